//! Text analysis: language, per-utterance sentiment, keyword rules and PII masking.
//!
//! - [`detect_lang`]: Chinese when CJK ideographs dominate the letters of a line.
//! - [`sentiment`]: a lexicon score in [-1, 1]: VADER's rules and lexicon for English (negation, boosters, "but",
//!   exclamation marks, ALL CAPS; spoken fillers skipped); for Chinese the line is segmented into words
//!   (`zh_seg`, jieba's frequencies) and scored word by word with negation, degree, contrast and clause rules that
//!   also hold on unpunctuated speech (`zh_score`), with a naive-Bayes fallback for lines without a sentiment word
//!   (`zh_model`); see data/README.md. Keyword rules still match the raw text, not the words.
//! - [`emotion()`]: anger, anxiety or confusion from cue lists, with negation (不着急 is not anxiety).
//! - [`Analyzer`]: the above plus a scenario's keyword rules, matched with one Aho-Corasick automaton built once.
//! - [`redact`]: masking of phone, ID, card and account numbers.
//! - [`run_analyze`]: the `callfloor analyze` filter, one JSON object per input line.
//! - [`eval`]: `callfloor analyze --eval FILE.tsv`, sign accuracy on labelled lines.

pub mod emotion;
pub mod eval;
mod lexicon;
pub mod redact;
mod sentiment;
mod zh_dict;
mod zh_model;
mod zh_score;
mod zh_seg;

use std::io::{BufRead, Write};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use serde::Serialize;

pub use self::emotion::emotion;
use crate::engine::sim::scenario::{Bank, RuleSpec, Scenario};
use crate::model::{Emotion, Lang, RuleAction};

/// A keyword rule that matched: the index of the rule in the scenario's `rules` and the matched text.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Index into [`Analyzer::rules`].
    pub rule: usize,
    /// The text as it appears in the line (its case, its apostrophe).
    pub word: String,
}

/// Sentiment from which [`Analyzer::analyze`] gives a line no emotion: a clearly positive line tells of an emotion
/// that is over ("本来担心，结果很顺利，谢谢").
pub const RELIEF: f32 = 0.5;

/// What [`Analyzer::analyze`] found in one utterance.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// The language detected by [`detect_lang`]; sentiment and language-filtered rules follow it.
    pub lang: Lang,
    /// In [-1, 1].
    pub sentiment: f32,
    /// Anger, anxiety or confusion, when the line's cues say so (see [`emotion()`]) and its sentiment is below
    /// [`RELIEF`].
    pub emotion: Option<Emotion>,
    /// At most one per rule (its first match in the line), in rule order.
    pub hits: Vec<Hit>,
}

/// One distinct rule word in the automaton.
#[derive(Debug, Clone)]
struct Pattern {
    /// Rules listing this word.
    rules: Vec<usize>,
    /// The word starts / ends with an ASCII letter or digit, so a match must not continue a word on that side.
    bounded_left: bool,
    bounded_right: bool,
}

/// Analyses utterances against one scenario's rules. Build once, use for every line.
///
/// Rule words with a CJK character match as substrings; other words match case-insensitively (ASCII) on whole
/// words: "change my password" matches "I want to Change My Password now", "pain" does not match "paint" and
/// "transfer" does not match "transferred". A typographic apostrophe in the text matches `'` in a rule word.
#[derive(Debug, Clone)]
pub struct Analyzer {
    rules: Vec<RuleSpec>,
    automaton: Option<AhoCorasick>,
    patterns: Vec<Pattern>,
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl Analyzer {
    /// Builds the rule automaton (and, on first use in the process, the sentiment lexicons).
    pub fn new(rules: &[RuleSpec]) -> Analyzer {
        let mut words: Vec<String> = Vec::new();
        let mut patterns: Vec<Pattern> = Vec::new();
        for (r, rule) in rules.iter().enumerate() {
            for w in &rule.words {
                let w = w.trim();
                if w.is_empty() {
                    continue;
                }
                let key = w.to_ascii_lowercase();
                let mut variants = vec![key.clone()];
                if key.contains('\'') {
                    variants.push(key.replace('\'', "\u{2019}"));
                }
                for v in variants {
                    match words.iter().position(|x| *x == v) {
                        Some(p) => {
                            if !patterns[p].rules.contains(&r) {
                                patterns[p].rules.push(r);
                            }
                        }
                        None => {
                            let b = v.as_bytes();
                            patterns.push(Pattern {
                                rules: vec![r],
                                bounded_left: b.first().is_some_and(|&c| is_word_byte(c)),
                                bounded_right: b.last().is_some_and(|&c| is_word_byte(c)),
                            });
                            words.push(v);
                        }
                    }
                }
            }
        }
        let automaton = if words.is_empty() {
            None
        } else {
            match AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .ascii_case_insensitive(true)
                .kind(Some(AhoCorasickKind::DFA))
                .build(&words)
            {
                Ok(ac) => Some(ac),
                Err(e) => {
                    tracing::error!("keyword rules disabled: cannot build their automaton: {e}");
                    None
                }
            }
        };
        Analyzer { rules: rules.to_vec(), automaton, patterns }
    }

    /// Language, sentiment and rule hits of one utterance.
    pub fn analyze(&self, text: &str) -> Analysis {
        let lang = detect_lang(text);
        let sentiment = sentiment(text, lang);
        // A clearly positive line speaks of an emotion that is over ("I was worried, but you sorted it, thanks").
        let emotion = if sentiment >= RELIEF { None } else { emotion(text, lang).map(|(e, _)| e) };
        Analysis { lang, sentiment, emotion, hits: self.hits(text, lang) }
    }

    /// The first match of every rule that matches `text` (a line in `lang`).
    fn hits(&self, text: &str, lang: Lang) -> Vec<Hit> {
        let Some(ac) = &self.automaton else { return Vec::new() };
        let b = text.as_bytes();
        // (rule, start, end) of the best match so far; allocates only when something matches.
        let mut best: Vec<(usize, usize, usize)> = Vec::new();
        for m in ac.find_overlapping_iter(text) {
            let Some(p) = self.patterns.get(m.pattern().as_usize()) else { continue };
            if p.bounded_left && m.start() > 0 && is_word_byte(b[m.start() - 1]) {
                continue;
            }
            if p.bounded_right && b.get(m.end()).is_some_and(|&c| is_word_byte(c)) {
                continue;
            }
            for &r in &p.rules {
                if self.rules.get(r).and_then(|rule| rule.lang).is_some_and(|l| l != lang) {
                    continue;
                }
                match best.iter_mut().find(|(br, ..)| *br == r) {
                    Some(slot) => {
                        let earlier = m.start() < slot.1 || (m.start() == slot.1 && m.end() > slot.2);
                        if earlier {
                            *slot = (r, m.start(), m.end());
                        }
                    }
                    None => best.push((r, m.start(), m.end())),
                }
            }
        }
        best.sort_unstable_by_key(|&(r, ..)| r);
        best.into_iter().map(|(rule, s, e)| Hit { rule, word: text[s..e].to_string() }).collect()
    }

    /// The rules this analyzer matches, in scenario order ([`Hit::rule`] indexes them).
    pub fn rules(&self) -> &[RuleSpec] {
        &self.rules
    }
}

/// True for CJK unified ideographs (with extension A and the compatibility block; extensions B+ are rare in speech).
fn is_cjk_ideograph(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}' | '\u{f900}'..='\u{faff}' | '\u{20000}'..='\u{2ebef}')
}

/// Chinese when CJK ideographs dominate the letters of the line, English otherwise (and for lines without either).
///
/// One ideograph counts as much as three Latin letters — about a word each — so "我想查一下iPhone的订单" is
/// Chinese and "Please ask 王医生" is English.
pub fn detect_lang(text: &str) -> Lang {
    let (mut cjk, mut latin) = (0usize, 0usize);
    for c in text.chars() {
        if c.is_ascii_alphabetic() {
            latin += 1;
        } else if is_cjk_ideograph(c) {
            cjk += 1;
        }
    }
    if cjk > 0 && cjk * 3 >= latin { Lang::Zh } else { Lang::En }
}

/// Sentiment of one line in [-1, 1] (0 when no sentiment word is found), scored with the lexicon of `lang`.
pub fn sentiment(text: &str, lang: Lang) -> f32 {
    match lang {
        Lang::En => sentiment::score_en(text),
        Lang::Zh => zh_score::score_zh(text),
    }
}

/// One output line of [`run_analyze`].
#[derive(Serialize)]
struct AnalyzedLine<'a> {
    text: &'a str,
    lang: Lang,
    sentiment: f32,
    /// Absent when the line expresses none.
    #[serde(skip_serializing_if = "Option::is_none")]
    emotion: Option<Emotion>,
    rules: Vec<RuleHitOut<'a>>,
}

#[derive(Serialize)]
struct RuleHitOut<'a> {
    id: &'a str,
    /// The rule's first action (`null` for a rule without actions).
    action: Option<RuleAction>,
    actions: &'a [RuleAction],
    word: &'a str,
}

/// Reads utterances, one per line, and writes one JSON object per non-blank line:
/// `{"text":"...","lang":"zh","sentiment":-0.42,"emotion":"anxiety","rules":[{"id":"urgent-medical","action":"priority",
/// "actions":["priority","alert"],"word":"胸痛"}]}`. Sentiment is rounded to 3 decimals. Returns the number of
/// utterances written. Input that is not UTF-8 is refused with the line number.
pub fn run_analyze(analyzer: &Analyzer, mut input: impl BufRead, mut output: impl Write) -> std::io::Result<u64> {
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    let mut count = 0u64;
    loop {
        buf.clear();
        if input.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        line_no += 1;
        let text = std::str::from_utf8(&buf).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("input line {line_no} is not valid UTF-8 ({e}); convert the input to UTF-8 and try again"),
            )
        })?;
        let text = text.trim_end_matches(['\n', '\r']);
        if text.trim().is_empty() {
            continue;
        }
        let a = analyzer.analyze(text);
        let rules = a
            .hits
            .iter()
            .filter_map(|h| {
                let rule = analyzer.rules().get(h.rule)?;
                Some(RuleHitOut {
                    id: &rule.id,
                    action: rule.actions.first().copied(),
                    actions: &rule.actions,
                    word: &h.word,
                })
            })
            .collect();
        let line = AnalyzedLine {
            text,
            lang: a.lang,
            sentiment: (a.sentiment * 1000.0).round() / 1000.0,
            emotion: a.emotion,
            rules,
        };
        serde_json::to_writer(&mut output, &line)?;
        output.write_all(b"\n")?;
        count += 1;
    }
    output.flush()?;
    Ok(count)
}

/// Scenario lines whose sentiment contradicts their mood: callers' `positive` lines that do not score above 0,
/// callers' `negative` lines that do not score below 0, agents' `positive` lines that do not score above 0, and any
/// line whose detected language differs from the bank it is in. Each entry names where the line is and its score.
///
/// Agents' `negative` lines are not checked: they are what an agent says to an upset caller ("I understand how you
/// feel, I'm on it right away"), apologetic or reassuring rather than negative.
pub fn misjudged_lines(scenario: &Scenario) -> Vec<String> {
    let mut out = Vec::new();
    let mut check = |place: &str, bank: &Bank, check_negative: bool| {
        for lang in [Lang::Zh, Lang::En] {
            let lines = bank.lang(lang);
            let negative: &[String] = if check_negative { &lines.negative } else { &[] };
            let moods = [("positive", &lines.positive[..], 1.0f32), ("negative", negative, -1.0)];
            for (mood, texts, sign) in moods {
                for text in texts {
                    let detected = detect_lang(text);
                    let s = sentiment(text, detected);
                    if detected != lang {
                        out.push(format!(
                            "{place} {} {mood}: {text:?} reads as {} text",
                            lang.as_str(),
                            detected.as_str()
                        ));
                    } else if s * sign <= 0.0 {
                        out.push(format!("{place} {} {mood}: {text:?} scores {s:.3}", lang.as_str()));
                    }
                }
            }
        }
    };
    for intent in &scenario.intents {
        check(&format!("intent '{}'", intent.id), &intent.lines, true);
    }
    check("agent_lines", &scenario.agent_lines, false);
    out
}

#[cfg(test)]
mod speech_tests;
#[cfg(test)]
mod tests;
