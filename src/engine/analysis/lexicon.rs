//! The bundled sentiment lexicons (`data/*.tsv`, see data/README.md), parsed once on first use.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

const VADER: &str = include_str!("../../../data/vader_lexicon.tsv");
const EN_DOMAIN: &str = include_str!("../../../data/en_domain.tsv");

/// VADER's empirically derived increment for a booster word ("very").
pub(super) const B_INCR: f32 = 0.293;
/// VADER's increment for a word in ALL CAPS among mixed-case words.
pub(super) const C_INCR: f32 = 0.733;
/// VADER's factor for a negated word.
pub(super) const N_SCALAR: f32 = -0.74;

/// Longest English phrase, in tokens.
pub(super) const MAX_PHRASE_TOKENS: usize = 4;

/// English negation words (VADER's NEGATE list and "nobody"); any token containing "n't" negates too.
const NEGATE: &[&str] = &[
    "aint",
    "arent",
    "cannot",
    "cant",
    "couldnt",
    "darent",
    "didnt",
    "doesnt",
    "ain't",
    "aren't",
    "can't",
    "couldn't",
    "daren't",
    "didn't",
    "doesn't",
    "dont",
    "hadnt",
    "hasnt",
    "havent",
    "isnt",
    "mightnt",
    "mustnt",
    "neither",
    "don't",
    "hadn't",
    "hasn't",
    "haven't",
    "isn't",
    "mightn't",
    "mustn't",
    "neednt",
    "needn't",
    "never",
    "none",
    "nope",
    "nor",
    "not",
    "nothing",
    "nowhere",
    "oughtnt",
    "shant",
    "shouldnt",
    "uhuh",
    "wasnt",
    "werent",
    "oughtn't",
    "shan't",
    "shouldn't",
    "uh-uh",
    "wasn't",
    "weren't",
    "without",
    "wont",
    "wouldnt",
    "won't",
    "wouldn't",
    "rarely",
    "seldom",
    "despite",
    // not in VADER's list
    "nobody",
    "noone",
];

/// English boosters (+) and dampeners (-) from VADER's BOOSTER_DICT (single words; "kind of" and "sort of" are
/// handled by the scorer).
const BOOSTERS: &[(&str, f32)] = &[
    ("absolutely", B_INCR),
    ("amazingly", B_INCR),
    ("awfully", B_INCR),
    ("completely", B_INCR),
    ("considerable", B_INCR),
    ("considerably", B_INCR),
    ("decidedly", B_INCR),
    ("deeply", B_INCR),
    ("effing", B_INCR),
    ("enormous", B_INCR),
    ("enormously", B_INCR),
    ("entirely", B_INCR),
    ("especially", B_INCR),
    ("exceptional", B_INCR),
    ("exceptionally", B_INCR),
    ("extreme", B_INCR),
    ("extremely", B_INCR),
    ("fabulously", B_INCR),
    ("flipping", B_INCR),
    ("flippin", B_INCR),
    ("frackin", B_INCR),
    ("fracking", B_INCR),
    ("fricking", B_INCR),
    ("frickin", B_INCR),
    ("frigging", B_INCR),
    ("friggin", B_INCR),
    ("fully", B_INCR),
    ("fuckin", B_INCR),
    ("fucking", B_INCR),
    ("fuggin", B_INCR),
    ("fugging", B_INCR),
    ("greatly", B_INCR),
    ("hella", B_INCR),
    ("highly", B_INCR),
    ("hugely", B_INCR),
    ("incredible", B_INCR),
    ("incredibly", B_INCR),
    ("intensely", B_INCR),
    ("major", B_INCR),
    ("majorly", B_INCR),
    ("more", B_INCR),
    ("most", B_INCR),
    ("particularly", B_INCR),
    ("purely", B_INCR),
    ("quite", B_INCR),
    ("really", B_INCR),
    ("remarkably", B_INCR),
    ("so", B_INCR),
    ("substantially", B_INCR),
    ("thoroughly", B_INCR),
    ("total", B_INCR),
    ("totally", B_INCR),
    ("tremendous", B_INCR),
    ("tremendously", B_INCR),
    ("uber", B_INCR),
    ("unbelievably", B_INCR),
    ("unusually", B_INCR),
    ("utter", B_INCR),
    ("utterly", B_INCR),
    ("very", B_INCR),
    ("almost", -B_INCR),
    ("barely", -B_INCR),
    ("hardly", -B_INCR),
    ("kinda", -B_INCR),
    ("kindof", -B_INCR),
    ("kind-of", -B_INCR),
    ("less", -B_INCR),
    ("little", -B_INCR),
    ("marginal", -B_INCR),
    ("marginally", -B_INCR),
    ("occasional", -B_INCR),
    ("occasionally", -B_INCR),
    ("partly", -B_INCR),
    ("scarce", -B_INCR),
    ("scarcely", -B_INCR),
    ("slight", -B_INCR),
    ("slightly", -B_INCR),
    ("somewhat", -B_INCR),
    ("sorta", -B_INCR),
    ("sortof", -B_INCR),
    ("sort-of", -B_INCR),
];

/// FNV-1a: the lexicon keys are short, so this beats SipHash by a wide margin and needs no DoS resistance (the
/// keys are our own data; the haystack only ever looks keys up).
#[derive(Default, Clone, Copy)]
pub(super) struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type FnvMap<V> = HashMap<Box<str>, V, BuildHasherDefault<Fnv>>;

/// What the English scorer needs to know about one lower-case token.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(super) struct WordInfo {
    /// Valence when the token is a lexicon word.
    pub valence: Option<f32>,
    /// Booster (> 0) or dampener (< 0) increment; 0 when it is neither.
    pub booster: f32,
    /// A negation word ("not", "never", "n't" forms).
    pub negation: bool,
    /// Some phrase of `en_domain.tsv` starts with this token.
    pub phrase_start: bool,
}

/// The English lexicon: VADER plus the call-centre entries.
pub(super) struct EnLexicon {
    words: FnvMap<WordInfo>,
    phrases: FnvMap<f32>,
    /// Lines of the bundled files that did not parse (a test keeps this empty).
    #[cfg_attr(not(test), expect(dead_code, reason = "read by the tests; logged when built"))]
    pub errors: Vec<String>,
}

impl EnLexicon {
    fn build() -> EnLexicon {
        let mut words: FnvMap<WordInfo> = FnvMap::default();
        let mut phrases: FnvMap<f32> = FnvMap::default();
        let mut errors = Vec::new();
        for (word, valence) in parse_valences(VADER, "data/vader_lexicon.tsv", &mut errors) {
            words.entry(word.into()).or_default().valence = Some(valence);
        }
        for (entry, valence) in parse_valences(EN_DOMAIN, "data/en_domain.tsv", &mut errors) {
            let tokens = entry.split(' ').count();
            if tokens == 1 {
                words.entry(entry.into()).or_default().valence = Some(valence);
            } else if tokens <= MAX_PHRASE_TOKENS && !entry.contains("  ") {
                phrases.insert(entry.into(), valence);
                let first = entry.split(' ').next().unwrap_or(entry);
                words.entry(first.into()).or_default().phrase_start = true;
            } else {
                errors.push(format!(
                    "data/en_domain.tsv: '{entry}' has more than {MAX_PHRASE_TOKENS} tokens or a double space"
                ));
            }
        }
        for &(word, b) in BOOSTERS {
            words.entry(word.into()).or_default().booster = b;
        }
        for &word in NEGATE {
            words.entry(word.into()).or_default().negation = true;
        }
        log_errors(&errors);
        EnLexicon { words, phrases, errors }
    }

    /// Facts about one lower-case token.
    pub fn word(&self, lower: &str) -> WordInfo {
        let mut info = self.words.get(lower).copied().unwrap_or_default();
        if !info.negation && lower.contains("n't") {
            info.negation = true;
        }
        info
    }

    /// The valence of a lower-case phrase (tokens joined by single spaces).
    pub fn phrase(&self, lower: &str) -> Option<f32> {
        self.phrases.get(lower).copied()
    }
}

/// The English lexicon, parsed on first use.
pub(super) static EN: LazyLock<EnLexicon> = LazyLock::new(EnLexicon::build);

/// Reports lines of the bundled data that were skipped (only a broken build can have any).
pub(super) fn log_errors(errors: &[String]) {
    for e in errors {
        tracing::error!("sentiment lexicon: {e}; the line is skipped");
    }
}

/// Non-blank, non-comment lines with their 1-based numbers.
pub(super) fn data_lines(text: &'static str) -> impl Iterator<Item = (usize, &'static str)> {
    text.lines().enumerate().map(|(i, l)| (i + 1, l.trim_end_matches('\r'))).filter(|(_, l)| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#')
    })
}

/// `word<TAB>valence` lines; bad lines are reported in `errors` and skipped.
pub(super) fn parse_valences(text: &'static str, file: &str, errors: &mut Vec<String>) -> Vec<(&'static str, f32)> {
    let mut out = Vec::new();
    for (n, line) in data_lines(text) {
        let parsed = line.split_once('\t').and_then(|(w, v)| {
            let v: f32 = v.trim().parse().ok()?;
            (!w.is_empty() && v.is_finite() && (-4.0..=4.0).contains(&v)).then_some((w, v))
        });
        match parsed {
            Some(p) => out.push(p),
            None => errors.push(format!("{file}, line {n}: expected 'word<TAB>valence in -4..4', found '{line}'")),
        }
    }
    out
}
