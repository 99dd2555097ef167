//! Full-text search over a knowledge base: an in-memory SQLite FTS5 table, ranked by bm25.
//!
//! SQLite's tokenizers do not segment Chinese (unicode61 takes a run of Han characters as one token), so text is
//! segmented with jieba before it reaches FTS5: clauses in search mode (a compound such as 医疗保险 is indexed whole
//! and as 医疗 and 保险), queries in precise mode; the segments are joined by spaces and FTS5's
//! `porter unicode61` tokenizer splits on those spaces and stems English words. So `医保 报销`, `医保报销` and
//! `reimbursement` all find what a reader expects.
//!
//! **Ranking.** Every query word must match (FTS5's implicit AND); only when no clause has them all do clauses with
//! any of them count ([`Search::all_terms`] says which). Relevance is bm25 with the title weighted
//! [`TITLE_WEIGHT`], tags [`TAGS_WEIGHT`] and the text 1. Policy supersedes policy, so a caller must hear the newest
//! clause that answers them: hits are put in relevance bands relative to the best hit (band 0 within
//! 1/[`BANDS`] of its score, band 1 the next 1/[`BANDS`], ...), and within a band the newest clause comes first;
//! bm25 then the id break ties. A clearly better match is never pushed below a newer weak one.

use std::sync::OnceLock;

use chrono::NaiveDate;
use jieba_rs::Jieba;
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use super::{Clause, KnowledgeBase};
use crate::model::Lang;

/// bm25 weight of a clause's title (its text weighs 1).
pub const TITLE_WEIGHT: f64 = 4.0;
/// bm25 weight of a clause's tags.
pub const TAGS_WEIGHT: f64 = 2.0;
/// Relevance bands: hits whose score is within 1/BANDS of the best hit's are equally relevant (newest first).
pub const BANDS: f64 = 4.0;
/// Characters of a clause's text a hit quotes around its first match.
pub const SNIPPET_CHARS: usize = 72;
/// Characters the snippet shows before the first match.
const SNIPPET_BEFORE: usize = 16;
/// Query words used at most (the rest are ignored).
pub const MAX_TERMS: usize = 16;
/// Characters of a query read at most.
pub const MAX_QUERY_CHARS: usize = 200;

/// The segmenter, loaded once (its dictionary takes a moment).
fn jieba() -> &'static Jieba {
    static JIEBA: OnceLock<Jieba> = OnceLock::new();
    JIEBA.get_or_init(Jieba::new)
}

/// A token worth indexing: it has a letter or digit (drops spaces and punctuation).
fn is_word(w: &str) -> bool {
    w.chars().any(char::is_alphanumeric)
}

/// Text as space-separated, lower-case words for FTS5: jieba's search mode (compounds and their parts).
pub fn segment_for_index(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for t in jieba().cut_for_search(text, true) {
        if is_word(t.word) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&t.word.to_lowercase());
        }
    }
    out
}

/// The words of a query, lower case, once each, in order (jieba's precise mode).
pub fn query_terms(query: &str) -> Vec<String> {
    let query: String = query.chars().take(MAX_QUERY_CHARS).collect();
    let mut terms: Vec<String> = Vec::new();
    for t in jieba().cut(&query, true) {
        let w = t.word.to_lowercase();
        if is_word(&w) && !terms.contains(&w) {
            terms.push(w);
        }
        if terms.len() == MAX_TERMS {
            break;
        }
    }
    terms
}

/// A marked stretch of a snippet, in characters: `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    pub start: usize,
    pub end: usize,
}

/// One clause a search found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub id: String,
    pub date: NaiveDate,
    pub title: String,
    pub lang: Lang,
    /// Up to [`SNIPPET_CHARS`] characters of the text around the first match (`…` where cut).
    pub snippet: String,
    /// Where the query's words are in `snippet`.
    pub marks: Vec<Mark>,
    /// bm25 relevance, larger is better (SQLite's bm25() negated).
    pub score: f64,
    /// Relevance band (0 = as good as the best hit); within a band the newest clause comes first.
    pub band: u8,
}

impl Hit {
    /// The snippet with each match in `[` `]`, for plain text output.
    pub fn marked_snippet(&self) -> String {
        let mut out = String::new();
        for (i, ch) in self.snippet.chars().enumerate() {
            if self.marks.iter().any(|m| m.start == i) {
                out.push('[');
            }
            out.push(ch);
            if self.marks.iter().any(|m| m.end == i + 1) {
                out.push(']');
            }
        }
        out
    }
}

/// What a search found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Search {
    /// The query's words as searched for.
    pub terms: Vec<String>,
    /// True when every hit has all the words; false when none had them all and hits have any of them.
    pub all_terms: bool,
    /// Clauses that matched (the hits are the best `limit` of them).
    pub total: usize,
    pub hits: Vec<Hit>,
}

/// A knowledge base indexed for search, in memory.
pub struct Index {
    conn: Connection,
    kb: KnowledgeBase,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index").field("title", &self.kb.kb.title).field("clauses", &self.kb.clauses.len()).finish()
    }
}

impl Index {
    /// Builds the FTS5 index of `kb` in an in-memory SQLite database.
    pub fn build(kb: KnowledgeBase) -> Result<Index, String> {
        let fail = |what: &str, e: rusqlite::Error| format!("cannot build the knowledge index ({what}): {e}");
        let conn = Connection::open_in_memory().map_err(|e| fail("open", e))?;
        conn.execute_batch(
            "CREATE VIRTUAL TABLE kb USING fts5(title, body, tags, tokenize = 'porter unicode61 remove_diacritics 2');",
        )
        .map_err(|e| {
            fail("this SQLite has no FTS5: build rusqlite with its bundled SQLite, which compiles FTS5 in", e)
        })?;
        {
            let tx = conn.unchecked_transaction().map_err(|e| fail("begin", e))?;
            {
                let mut insert = tx
                    .prepare("INSERT INTO kb (rowid, title, body, tags) VALUES (?1, ?2, ?3, ?4)")
                    .map_err(|e| fail("prepare", e))?;
                for (i, c) in kb.clauses.iter().enumerate() {
                    insert
                        .execute(params![
                            i as i64,
                            segment_for_index(&c.title),
                            segment_for_index(&c.text),
                            segment_for_index(&c.tags.join(" ")),
                        ])
                        .map_err(|e| fail("insert", e))?;
                }
            }
            tx.commit().map_err(|e| fail("commit", e))?;
        }
        Ok(Index { conn, kb })
    }

    /// The base searched.
    pub fn kb(&self) -> &KnowledgeBase {
        &self.kb
    }

    /// The best `limit` clauses for `query` (see the module's ranking), with snippets.
    pub fn search(&self, query: &str, limit: usize) -> Result<Search, String> {
        let terms = query_terms(query);
        if terms.is_empty() {
            return Ok(Search { terms, all_terms: true, total: 0, hits: Vec::new() });
        }
        let quoted: Vec<String> = terms.iter().map(|t| format!("\"{}\"", t.replace('"', "\"\""))).collect();
        let mut all_terms = true;
        let mut found = self.matches(&quoted.join(" "))?;
        if found.is_empty() && terms.len() > 1 {
            all_terms = false;
            found = self.matches(&quoted.join(" OR "))?;
        }
        let total = found.len();
        let best = found.iter().map(|f| f.1).fold(0.0_f64, f64::max);
        let mut ranked: Vec<(u8, &Clause, f64)> = found
            .into_iter()
            .filter_map(|(row, score)| {
                let c = self.kb.clauses.get(usize::try_from(row).ok()?)?;
                let band =
                    if best > 0.0 { (((best - score) / best) * BANDS).floor().clamp(0.0, BANDS - 1.0) } else { 0.0 };
                Some((band as u8, c, score))
            })
            .collect();
        ranked.sort_by(|a, b| {
            a.0.cmp(&b.0).then(b.1.date.cmp(&a.1.date)).then(b.2.total_cmp(&a.2)).then_with(|| a.1.id.cmp(&b.1.id))
        });
        let hits = ranked
            .into_iter()
            .take(limit)
            .map(|(band, c, score)| {
                let (snippet, marks) = snippet(&c.text, &terms);
                Hit {
                    id: c.id.clone(),
                    date: c.date,
                    title: c.title.clone(),
                    lang: c.lang,
                    snippet,
                    marks,
                    score,
                    band,
                }
            })
            .collect();
        Ok(Search { terms, all_terms, total, hits })
    }

    /// Every clause matching an FTS5 expression: (rowid, relevance, larger is better).
    fn matches(&self, expr: &str) -> Result<Vec<(i64, f64)>, String> {
        let sql =
            format!("SELECT rowid, -bm25(kb, {TITLE_WEIGHT:.1}, 1.0, {TAGS_WEIGHT:.1}) FROM kb WHERE kb MATCH ?1");
        let fail = |e: rusqlite::Error| format!("the knowledge search failed: {e}");
        let mut stmt = self.conn.prepare_cached(&sql).map_err(fail)?;
        let rows = stmt.query_map([expr], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, f64>(1)?))).map_err(fail)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(fail)
    }
}

/// Where `terms` occur in `text` (ASCII case-insensitive), as merged character ranges. An English word not found
/// as written is looked for by its stem-like prefix (`reimbursed` marks `reimbursement`), as FTS5's stemmer found it.
/// English endings dropped to find a word's stem in a snippet (longest first).
const SUFFIXES: &[&str] = &["ements", "ement", "ments", "ment", "ings", "ing", "ions", "ion", "ies", "ed", "es", "s"];

fn find_marks(text: &[char], terms: &[String]) -> Vec<Mark> {
    let lower: Vec<char> = text.iter().map(char::to_ascii_lowercase).collect();
    let mut marks: Vec<Mark> = Vec::new();
    for term in terms {
        let t: Vec<char> = term.chars().collect();
        let mut found = occurrences(&lower, &t);
        if found.is_empty()
            && term.is_ascii()
            && let Some(stem) = SUFFIXES.iter().find_map(|s| term.strip_suffix(s).filter(|r| r.len() >= 4))
        {
            found = occurrences(&lower, &stem.chars().collect::<Vec<_>>());
        }
        marks.extend(found);
    }
    marks.sort_by_key(|m| (m.start, m.end));
    let mut merged: Vec<Mark> = Vec::new();
    for m in marks {
        match merged.last_mut() {
            Some(last) if m.start <= last.end => last.end = last.end.max(m.end),
            _ => merged.push(m),
        }
    }
    merged
}

fn occurrences(hay: &[char], needle: &[char]) -> Vec<Mark> {
    if needle.is_empty() || needle.len() > hay.len() {
        return Vec::new();
    }
    (0..=hay.len() - needle.len())
        .filter(|&i| hay[i..i + needle.len()] == *needle)
        .map(|i| Mark { start: i, end: i + needle.len() })
        .collect()
}

/// Up to [`SNIPPET_CHARS`] characters of `text` from a little before its first match, with the matches in it.
fn snippet(text: &str, terms: &[String]) -> (String, Vec<Mark>) {
    let chars: Vec<char> = text.chars().filter(|c| *c != '\n').collect();
    let marks = find_marks(&chars, terms);
    let first = marks.first().map_or(0, |m| m.start);
    let mut start = first.saturating_sub(SNIPPET_BEFORE);
    let end = (start + SNIPPET_CHARS).min(chars.len());
    start = end.saturating_sub(SNIPPET_CHARS).min(start);
    let lead = usize::from(start > 0);
    let mut out: String = if start > 0 { "…".into() } else { String::new() };
    out.extend(&chars[start..end]);
    if end < chars.len() {
        out.push('…');
    }
    let marks = marks
        .into_iter()
        .filter(|m| m.start >= start && m.start < end)
        .map(|m| Mark { start: m.start - start + lead, end: m.end.min(end) - start + lead })
        .collect();
    (out, marks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_is_segmented_and_english_lower_cased() {
        assert_eq!(query_terms("医保 报销"), vec!["医保", "报销"]);
        assert_eq!(query_terms("医保报销"), vec!["医保", "报销"]);
        assert_eq!(query_terms("Medical Insurance, reimbursement!"), vec!["medical", "insurance", "reimbursement"]);
        let seg = segment_for_index("医疗保险报销");
        assert!(seg.split(' ').any(|w| w == "医疗"), "{seg}");
        assert!(seg.split(' ').any(|w| w == "医疗保险"), "{seg}");
    }

    #[test]
    fn a_snippet_marks_matches_and_cuts_with_ellipses() {
        let text = "第一条 总则。".repeat(10) + "参保人员住院发生的医保费用按规定报销。" + &"其他。".repeat(30);
        let (s, marks) = snippet(&text, &["医保".into(), "报销".into()]);
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        let marked: Vec<String> =
            marks.iter().map(|m| s.chars().skip(m.start).take(m.end - m.start).collect()).collect();
        assert_eq!(marked, vec!["医保", "报销"]);
        let hit = Hit {
            id: "x".into(),
            date: NaiveDate::default(),
            title: String::new(),
            lang: Lang::Zh,
            snippet: "claims are reimbursed".into(),
            marks: find_marks(&"claims are reimbursed".chars().collect::<Vec<_>>(), &["reimbursement".into()]),
            score: 0.0,
            band: 0,
        };
        assert_eq!(hit.marked_snippet(), "claims are [reimburs]ed");
    }
}
