//! Knowledge bases: the policy clauses a scenario ships (id, title, date, text, language, tags), and full-text
//! search over them. Used by the engine's scenario loader (which checks the file), `callfloor kb` and the
//! console's `:kb` overlay, so it depends on nothing but `model`.
//!
//! A knowledge base is a TOML file (docs/SCENARIOS.md, "Knowledge base"); [`KnowledgeBase::parse`] reads and checks
//! it, and [`index::Index`] builds an in-memory SQLite FTS5 index over it, segmenting Chinese with jieba.

pub mod index;

use std::collections::HashSet;
use std::path::Path;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use index::{Hit, Index, Mark, Search};

use crate::model::Lang;

/// The knowledge bases shipped with callfloor, by the name a scenario's `knowledge` key gives (`kb/NAME.toml`).
pub const BUNDLED: &[(&str, &str)] = &[
    ("gov-hotline", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/kb/gov-hotline.toml"))),
    ("hospital", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/kb/hospital.toml"))),
    ("bank", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/kb/bank.toml"))),
];

/// One policy clause.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clause {
    /// Unique id within the base, e.g. `GH-012`.
    pub id: String,
    pub title: String,
    /// The day the clause took effect (`YYYY-MM-DD`): among equally relevant clauses the newest comes first.
    pub date: NaiveDate,
    pub text: String,
    pub lang: Lang,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// `[kb]`: what the base is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KbMeta {
    /// One line naming the base.
    pub title: String,
    /// Set for invented content (every bundled base): shown next to results so nobody takes it for real policy.
    #[serde(default)]
    pub synthetic: bool,
}

/// A knowledge base file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnowledgeBase {
    pub kb: KbMeta,
    #[serde(default)]
    pub clauses: Vec<Clause>,
}

/// A knowledge base file that could not be used: which file, where, and what is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{source_name}{}: {message}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
pub struct KbError {
    /// The file's path, or `bundled knowledge base 'NAME'`.
    pub source_name: String,
    pub line: Option<usize>,
    pub message: String,
}

impl KnowledgeBase {
    /// Parses and checks a knowledge base: unique, non-blank ids, titles and texts. Errors name the file, the line
    /// and the key.
    pub fn parse(text: &str, source_name: &str) -> Result<KnowledgeBase, KbError> {
        let kb: KnowledgeBase = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start));
            let message =
                e.message().trim().replace("missing field", "missing key").replace("unknown field", "unknown key");
            KbError { source_name: source_name.to_string(), line, message }
        })?;
        let err = |n: Option<usize>, key: &str, message: String| KbError {
            source_name: source_name.to_string(),
            line: locate(text, n, key),
            message,
        };
        if kb.kb.title.trim().is_empty() {
            return Err(err(None, "title", "[kb] title is blank: give the base a one-line title".into()));
        }
        let mut seen = HashSet::new();
        for (n, c) in kb.clauses.iter().enumerate() {
            let what = format!("[[clauses]] {} ('{}')", n + 1, c.id);
            for (key, value) in [("id", &c.id), ("title", &c.title), ("text", &c.text)] {
                if value.trim().is_empty() {
                    return Err(err(
                        Some(n),
                        key,
                        format!("{what} {key} is blank: every clause needs an id, a title and a text"),
                    ));
                }
            }
            if !seen.insert(c.id.as_str()) {
                return Err(err(
                    Some(n),
                    "id",
                    format!("{what} id '{}' is used twice: clause ids must be unique", c.id),
                ));
            }
            if let Some(t) = c.tags.iter().find(|t| t.trim().is_empty()) {
                return Err(err(Some(n), "tags", format!("{what} tags has a blank tag ({t:?}): remove it")));
            }
        }
        Ok(kb)
    }

    /// A bundled knowledge base by name (`gov-hotline`), or None.
    pub fn bundled(name: &str) -> Option<Result<KnowledgeBase, KbError>> {
        BUNDLED
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, text)| KnowledgeBase::parse(text, &format!("bundled knowledge base '{n}'")))
    }

    /// The base a scenario's `knowledge` key names: `kb/NAME.toml`, read next to the scenario file when it came from
    /// one (`scenario_dir`), else (or when that file does not exist) the bundled base `NAME`.
    pub fn resolve(knowledge: &str, scenario_dir: Option<&Path>) -> Result<KnowledgeBase, String> {
        if let Some(dir) = scenario_dir {
            let path = dir.join(knowledge);
            if path.exists() {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read the knowledge base {}: {e}", path.display()))?;
                return KnowledgeBase::parse(&text, &path.display().to_string()).map_err(|e| e.to_string());
            }
        }
        let name = Path::new(knowledge).file_stem().and_then(|s| s.to_str()).unwrap_or(knowledge);
        match KnowledgeBase::bundled(name) {
            Some(r) => r.map_err(|e| e.to_string()),
            None => {
                let names: Vec<&str> = BUNDLED.iter().map(|(n, _)| *n).collect();
                Err(format!(
                    "no knowledge base '{knowledge}': put the file next to the scenario, or name a bundled one \
                     (kb/NAME.toml with NAME one of {})",
                    names.join(", ")
                ))
            }
        }
    }

    /// A clause by id.
    pub fn clause(&self, id: &str) -> Option<&Clause> {
        self.clauses.iter().find(|c| c.id == id)
    }
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

/// The line of `key` in clause `n` (or in `[kb]` when `n` is None), falling back to the clause's own line.
fn locate(text: &str, n: Option<usize>, key: &str) -> Option<usize> {
    use toml::de::DeTable;
    let root = DeTable::parse(text).ok()?;
    let table = match n {
        None => root.get_ref().get("kb")?.get_ref().as_table()?,
        Some(n) => {
            let entry = root.get_ref().get("clauses")?.get_ref().as_array()?.get(n)?;
            match entry.get_ref().as_table() {
                Some(t) => t,
                None => return Some(line_of(text, entry.span().start)),
            }
        }
    };
    let (k, _) = table.get_key_value(key).or_else(|| table.iter().next())?;
    Some(line_of(text, k.span().start))
}

/// Answers a `query{kb}` from `index`: the best `limit` hits (default and cap in [`crate::model`]), whole.
/// Refuses words longer than [`crate::model::KB_QUERY_MAX_CHARS`] or blank, with one sentence.
pub fn answer(index: &Index, words: &str, limit: Option<u32>) -> Result<crate::model::KbAnswer, String> {
    use crate::model::{KB_LIMIT_DEFAULT, KB_LIMIT_MAX, KB_QUERY_MAX_CHARS, KbAnswer, KbHit};
    let words = words.trim();
    if words.is_empty() {
        return Err("give the words to look for, e.g. {\"type\":\"kb\",\"kb\":\"医保 报销\"}".into());
    }
    if words.chars().nth(KB_QUERY_MAX_CHARS).is_some() {
        return Err(format!("the search words are longer than {KB_QUERY_MAX_CHARS} characters: give fewer words"));
    }
    let limit = limit.unwrap_or(KB_LIMIT_DEFAULT).clamp(1, KB_LIMIT_MAX) as usize;
    let found = index.search(words, limit)?;
    let kb = index.kb();
    let hits = found
        .hits
        .into_iter()
        .map(|h| {
            let clause = kb.clause(&h.id);
            KbHit {
                text: clause.map(|c| c.text.clone()).unwrap_or_default(),
                tags: clause.map(|c| c.tags.clone()).unwrap_or_default(),
                marks: h.marks.iter().map(|m| [m.start, m.end]).collect(),
                id: h.id,
                title: h.title,
                date: h.date,
                lang: h.lang,
                snippet: h.snippet,
                band: h.band,
            }
        })
        .collect();
    Ok(KbAnswer {
        title: kb.kb.title.clone(),
        synthetic: kb.kb.synthetic,
        terms: found.terms,
        all_terms: found.all_terms,
        total: found.total,
        hits,
    })
}
