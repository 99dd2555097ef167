//! The Chinese dictionary: segmentation words with their frequencies (jieba's, `data/zh_segdict.tsv`) and what each
//! word means to the scorer (`data/zh_words.tsv`, `data/zh_lexicon.tsv`, `data/zh_modifiers.tsv`), with one
//! Aho-Corasick automaton that finds every dictionary word in a line (overlapping) for the segmenter.

use std::collections::HashMap;
use std::sync::LazyLock;

use daachorse::{CharwiseDoubleArrayAhoCorasick, CharwiseDoubleArrayAhoCorasickBuilder};

use super::lexicon::{data_lines, log_errors, parse_valences};

const ZH_SEGDICT: &str = include_str!("../../../data/zh_segdict.tsv");
const ZH_WORDS: &str = include_str!("../../../data/zh_words.tsv");
const ZH_LEXICON: &str = include_str!("../../../data/zh_lexicon.tsv");
const ZH_MODIFIERS: &str = include_str!("../../../data/zh_modifiers.tsv");

/// Frequency given to a word of our own files that jieba's dictionary lacks or counts rarer: about as common as
/// jieba's "满意" (so a lexicon word is not split into rarer pieces, nor does it swallow a common word around it).
const OWN_WORD_FREQ: f64 = 3_000.0;

/// What a Chinese word is to the scorer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum ZhKind {
    /// A sentiment word (valence 0: a neutral word that only keeps the characters inside it from being read as a
    /// sentiment word, e.g. 好像).
    Word(f32),
    /// A negator (不, 没有).
    Neg,
    /// A word of jieba's dictionary that starts with a negator (不让, 不想, 不同): it negates a sentiment word after
    /// it ("并不让人满意") but is no complaint by itself.
    NegWord,
    /// An intensifier (> 0) or dampener (< 0).
    Int(f32),
    /// A contrast word (但是): sentiment before it counts half, after it one and a half times; starts a clause.
    But,
    /// A conjunction that starts a new clause without weighting (而且, 因为, 所以, 然后): speech has no commas.
    Conj,
    /// A filler of speech (嗯, 呃, 那个): skipped, it neither separates a modifier from its word nor counts.
    Filler,
    /// Any other dictionary word (from jieba's dictionary only).
    Plain,
    /// Punctuation that ends a clause (never in the dictionary; made by the segmenter).
    Break,
}

/// One dictionary word: its meaning and the log of its probability for the segmenter's best path.
#[derive(Debug, Clone, Copy)]
pub(super) struct ZhEntry {
    pub kind: ZhKind,
    pub logp: f32,
}

/// The Chinese dictionary, built once.
pub(super) struct ZhDict {
    /// Every word of every file, matched overlapping; the value of a match indexes `entries`.
    pub automaton: Option<CharwiseDoubleArrayAhoCorasick<u32>>,
    /// Indexed by the automaton's pattern id.
    pub entries: Vec<ZhEntry>,
    /// Log-probability of one character no word covers.
    pub unknown_logp: f32,
    /// Sentiment words (valence != 0) from our files, with their valences: the naive-Bayes fallback trains on them.
    pub sentiment_words: Vec<(&'static str, f32)>,
    /// Lines of the bundled files that did not parse (a test keeps this empty).
    #[cfg_attr(not(test), expect(dead_code, reason = "read by the tests; logged when built"))]
    pub errors: Vec<String>,
}

impl ZhDict {
    fn build() -> ZhDict {
        let mut errors = Vec::new();
        let mut total = 0f64;
        let mut words: Vec<&'static str> = Vec::new();
        let mut freq: Vec<f64> = Vec::new();
        let mut kinds: Vec<ZhKind> = Vec::new();
        let mut index: HashMap<&'static str, usize> = HashMap::new();
        for (n, line) in ZH_SEGDICT.lines().enumerate() {
            if let Some(t) = line.strip_prefix("#total\t") {
                total = t.trim().parse().unwrap_or(0.0);
                continue;
            }
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            match line.split_once('\t').and_then(|(w, f)| Some((w, f.trim().parse::<f64>().ok()?))) {
                Some((w, f)) if !w.is_empty() && f > 0.0 => {
                    if index.insert(w, words.len()).is_none() {
                        words.push(w);
                        freq.push(f);
                        kinds.push(ZhKind::Plain);
                    }
                }
                _ => errors.push(format!("data/zh_segdict.tsv, line {}: expected 'word<TAB>frequency'", n + 1)),
            }
        }
        if total <= 0.0 {
            errors.push("data/zh_segdict.tsv has no '#total<TAB>number' line".to_string());
            total = freq.iter().sum::<f64>().max(1.0);
        }
        // Our own words: later files override earlier ones (zh_lexicon.tsv holds the call-centre words and wins
        // over zh_words.tsv; a modifier wins over both). Within zh_lexicon.tsv + zh_modifiers.tsv a word listed
        // twice is an error, as it always was.
        let mut own: HashMap<&'static str, &'static str> = HashMap::new();
        let mut set = |word: &'static str, kind: ZhKind, file: &'static str, errors: &mut Vec<String>| {
            if let Some(prev) = own.insert(word, file)
                && prev != "data/zh_words.tsv"
                && file != "data/zh_words.tsv"
            {
                errors.push(format!("'{word}' is listed twice in the Chinese lexicon files ({prev}, {file})"));
            }
            let i = *index.entry(word).or_insert_with(|| {
                words.push(word);
                freq.push(0.0);
                kinds.push(ZhKind::Plain);
                words.len() - 1
            });
            kinds[i] = kind;
            freq[i] = freq[i].max(OWN_WORD_FREQ);
        };
        for (file, text) in [("data/zh_words.tsv", ZH_WORDS), ("data/zh_lexicon.tsv", ZH_LEXICON)] {
            for (word, valence) in parse_valences(text, file, &mut errors) {
                set(word, ZhKind::Word(valence), file, &mut errors);
            }
        }
        for (n, line) in data_lines(ZH_MODIFIERS) {
            let mut fields = line.split('\t');
            let (word, kind, scalar) = (fields.next().unwrap_or(""), fields.next(), fields.next());
            let kind = match (kind, scalar.map(str::parse::<f32>)) {
                (Some("neg"), None) => ZhKind::Neg,
                (Some("but"), None) => ZhKind::But,
                (Some("conj"), None) => ZhKind::Conj,
                (Some("filler"), None) => ZhKind::Filler,
                (Some("int"), Some(Ok(s))) if s.is_finite() => ZhKind::Int(s),
                _ => {
                    errors.push(format!(
                        "data/zh_modifiers.tsv, line {n}: expected 'word<TAB>neg', 'word<TAB>but', 'word<TAB>conj', \
                         'word<TAB>filler' or 'word<TAB>int<TAB>number', found '{line}'"
                    ));
                    continue;
                }
            };
            set(word, kind, "data/zh_modifiers.tsv", &mut errors);
        }
        // Plain words that start with a negator would hide it from the scorer ("并/不让/人/满意").
        let negators: Vec<&str> =
            words.iter().zip(&kinds).filter(|(_, k)| **k == ZhKind::Neg).map(|(w, _)| *w).collect();
        for (w, k) in words.iter().zip(kinds.iter_mut()) {
            if *k == ZhKind::Plain && negators.iter().any(|n| w.len() > n.len() && w.starts_with(n)) {
                *k = ZhKind::NegWord;
            }
        }
        let ln_total = total.ln();
        let entries: Vec<ZhEntry> =
            kinds.iter().zip(&freq).map(|(&kind, &f)| ZhEntry { kind, logp: (f.ln() - ln_total) as f32 }).collect();
        let sentiment_words = words
            .iter()
            .zip(&kinds)
            .filter_map(|(&w, k)| match *k {
                ZhKind::Word(v) if v != 0.0 => Some((w, v)),
                _ => None,
            })
            .collect();
        let automaton = CharwiseDoubleArrayAhoCorasickBuilder::new()
            .build_with_values(words.iter().enumerate().map(|(i, w)| (w, i as u32)))
            .map_err(|e| errors.push(format!("cannot build the Chinese dictionary automaton: {e}")))
            .ok();
        log_errors(&errors);
        ZhDict { automaton, entries, unknown_logp: (1f64.ln() - ln_total) as f32, sentiment_words, errors }
    }
}

/// The Chinese dictionary, parsed on first use.
pub(super) static ZH: LazyLock<ZhDict> = LazyLock::new(ZhDict::build);
