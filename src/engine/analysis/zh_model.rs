//! The fallback for Chinese lines in which no sentiment word is found: naive Bayes over character 1- and 2-grams,
//! trained when first used on the project's own sentiment word lists (`data/zh_words.tsv` and
//! `data/zh_lexicon.tsv`, MIT, this project): each positive word is a positive document, each negative word a
//! negative one. Unknown words built from the characters of known ones ("难吃" → "吃得难受") then lean the right
//! way instead of scoring 0. No labelled sentences are used, so nothing here is tuned on any evaluation set.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::LazyLock;

use super::lexicon::Fnv;
use super::zh_dict::ZH;

/// Laplace smoothing of the n-gram counts.
const SMOOTHING: f64 = 1.0;

/// An n-gram is kept only when it is at least e² ≈ 7.4 times likelier in one class than in the other. Without this,
/// the common characters of a neutral question (请, 问, 天, 号) each carried a small chance weight and their sum leaned
/// every calm line by about ±0.13 on the console ("明天下午有号吗？" read −0.13). With it, such a line reads 0, at a cost
/// of about half a point of sign accuracy on review text (data/eval/README.md).
const MIN_WEIGHT: f32 = 2.0;

/// Per n-gram `ln P(g | pos) - ln P(g | neg)`, for the n-grams seen in training.
pub(super) struct NbModel {
    weights: HashMap<u64, f32, BuildHasherDefault<Fnv>>,
}

/// An n-gram of one or two characters as one key.
fn key(a: char, b: Option<char>) -> u64 {
    (u64::from(a as u32) << 32) | b.map_or(0, |b| u64::from(b as u32) + 1)
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}')
}

/// Calls `f` with the key of every character unigram and bigram of the ideograph runs in `text`.
fn ngrams(text: &str, mut f: impl FnMut(u64)) {
    let mut prev: Option<char> = None;
    for c in text.chars() {
        if !is_han(c) {
            prev = None;
            continue;
        }
        f(key(c, None));
        if let Some(p) = prev {
            f(key(p, Some(c)));
        }
        prev = Some(c);
    }
}

impl NbModel {
    fn train(words: &[(&str, f32)]) -> NbModel {
        let mut counts: HashMap<u64, [f64; 2], BuildHasherDefault<Fnv>> = HashMap::default();
        let mut totals = [0f64; 2];
        for &(w, v) in words {
            let class = usize::from(v < 0.0);
            ngrams(w, |k| {
                counts.entry(k).or_default()[class] += 1.0;
                totals[class] += 1.0;
            });
        }
        let vocab = counts.len() as f64;
        let denom = [totals[0] + SMOOTHING * vocab, totals[1] + SMOOTHING * vocab];
        let weights = counts
            .into_iter()
            .map(|(k, [p, n])| {
                let w = ((p + SMOOTHING) / denom[0]).ln() - ((n + SMOOTHING) / denom[1]).ln();
                (k, w as f32)
            })
            .filter(|(_, w)| w.abs() >= MIN_WEIGHT)
            .collect();
        NbModel { weights }
    }

    /// The log-odds (positive minus negative) of `text`, with equal priors; 0 when no informative n-gram is in it.
    pub fn log_odds(&self, text: &str) -> f32 {
        let mut sum = 0.0;
        ngrams(text, |k| sum += self.weights.get(&k).copied().unwrap_or(0.0));
        sum
    }
}

/// The fallback model, trained on first use.
pub(super) static NB: LazyLock<NbModel> = LazyLock::new(|| NbModel::train(&ZH.sentiment_words));
