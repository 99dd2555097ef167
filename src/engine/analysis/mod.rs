//! Text analysis: language, per-utterance sentiment, keyword rules and PII masking.
//! STUB: the real implementation replaces this file (interface below is the contract).

pub mod redact;

use crate::engine::sim::scenario::RuleSpec;
use crate::model::Lang;

/// A keyword rule that matched: the index of the rule in the scenario's `rules` and the matched text.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub rule: usize,
    pub word: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    pub lang: Lang,
    /// In [-1, 1].
    pub sentiment: f32,
    pub hits: Vec<Hit>,
}

/// Analyses utterances against one scenario's rules. Build once, use for every line.
#[derive(Debug, Clone)]
pub struct Analyzer {
    rules: Vec<RuleSpec>,
}

impl Analyzer {
    pub fn new(rules: &[RuleSpec]) -> Analyzer {
        Analyzer { rules: rules.to_vec() }
    }

    pub fn analyze(&self, text: &str) -> Analysis {
        let lang = detect_lang(text);
        let mut hits = Vec::new();
        for (i, r) in self.rules.iter().enumerate() {
            if r.lang.is_some_and(|l| l != lang) {
                continue;
            }
            for w in &r.words {
                if text.to_lowercase().contains(&w.to_lowercase()) {
                    hits.push(Hit { rule: i, word: w.clone() });
                    break;
                }
            }
        }
        Analysis { lang, sentiment: sentiment(text, lang), hits }
    }

    pub fn rules(&self) -> &[RuleSpec] {
        &self.rules
    }
}

/// Chinese when the text holds CJK ideographs, English otherwise.
pub fn detect_lang(text: &str) -> Lang {
    if text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) { Lang::Zh } else { Lang::En }
}

/// Sentiment of one line in [-1, 1].
pub fn sentiment(_text: &str, _lang: Lang) -> f32 {
    0.0
}

/// Reads utterances, one per line, and writes one JSON line of analysis each. (Stub: replaced by the analysis work.)
pub fn run_analyze(
    analyzer: &Analyzer,
    input: impl std::io::BufRead,
    mut output: impl std::io::Write,
) -> std::io::Result<u64> {
    let mut n = 0;
    for line in input.lines() {
        let line = line?;
        let a = analyzer.analyze(&line);
        writeln!(output, "{}", serde_json::json!({"text": line, "lang": a.lang, "sentiment": a.sentiment}))?;
        n += 1;
    }
    Ok(n)
}
