//! Emotion labels (anger, anxiety, confusion) from cue lists, alongside the sentiment score.
//!
//! The cues are `data/zh_emotion.tsv` and `data/en_emotion.tsv` (see data/README.md): words and phrases with an
//! emotion and a weight, negators, words whose negation expresses an emotion (不明白, "don't understand") and
//! blockers. One leftmost-longest Aho-Corasick pass over the line finds them all; a cue right after a negator
//! (only degree or filler words between: 不太着急, "not really sure") is not counted, or, for a `negated:` word,
//! counts for its emotion. The emotion with the largest summed weight wins when that sum reaches [`THRESHOLD`]
//! (ties go to anger, then anxiety); its strength is the sum, capped at 1.
//!
//! Nothing depends on punctuation being there: the negator's reach is bounded by the words between, so
//! unpunctuated speech ("他没来我很担心", "i'm not angry i'm just worried") reads as it would with commas.

use std::sync::LazyLock;

use std::cell::RefCell;

use daachorse::{DoubleArrayAhoCorasick, DoubleArrayAhoCorasickBuilder, MatchKind};

pub use crate::model::Emotion;
use crate::model::Lang;

const ZH_CUES: &str = include_str!("../../../data/zh_emotion.tsv");
const EN_CUES: &str = include_str!("../../../data/en_emotion.tsv");

/// The summed weight one emotion needs in a line.
pub const THRESHOLD: f32 = 0.5;

/// Chinese characters that may stand between a negator and the cue it negates (degree and auxiliary words:
/// 不太着急, 不是很明白, 没那么生气, 不用太担心, 别这么着急, 没让我失望), at most [`ZH_REACH`] of them.
const ZH_GAP: &str = "太很是用那么这样怎再要大特别非常真的也都还会多够算让我人你";
const ZH_REACH: usize = 2;

/// English words that may stand between a negator and the cue it negates, at most [`EN_REACH`] of them.
const EN_GAP: &[&str] = &[
    "really",
    "that",
    "so",
    "too",
    "very",
    "quite",
    "all",
    "at",
    "even",
    "exactly",
    "entirely",
    "fully",
    "totally",
    "completely",
    "particularly",
    "be",
    "to",
    "need",
    "you",
    "a",
    "bit",
    "the",
    "i",
    "it",
    "think",
    "um",
    "uh",
    "er",
    "like",
    "any",
    "more",
    "gonna",
    "going",
    "get",
    "how",
    "reason",
];
const EN_REACH: usize = 3;

/// What one cue of the lists does.
#[derive(Debug, Clone, Default)]
struct Entry {
    /// Weight per emotion (in [`Emotion::ALL`] order) when the cue is not negated.
    plain: [f32; 3],
    /// Weight per emotion when it is negated (`negated:EMOTION` lines).
    negated: [f32; 3],
    neg: bool,
    block: bool,
    /// The cue starts / ends with an ASCII letter or digit, so a match must not continue a word on that side.
    bounded_left: bool,
    bounded_right: bool,
}

/// One language's cues: the automaton and what each of its patterns is.
struct Cues {
    /// Leftmost-longest over the cues (lower case for English: the line is lower-cased before the search).
    automaton: Option<DoubleArrayAhoCorasick<u32>>,
    entries: Vec<Entry>,
    /// Lines that did not parse (a test keeps this empty).
    #[cfg_attr(not(test), expect(dead_code, reason = "read by the tests; logged when built"))]
    errors: Vec<String>,
}

fn index(e: Emotion) -> usize {
    match e {
        Emotion::Anger => 0,
        Emotion::Anxiety => 1,
        Emotion::Confusion => 2,
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl Cues {
    fn build(text: &'static str, file: &str, lang: Lang) -> Cues {
        let mut errors = Vec::new();
        let mut patterns: Vec<String> = Vec::new();
        let mut entries: Vec<Entry> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let mut fields = line.split('\t');
            let cue = fields.next().unwrap_or("").trim();
            let kind = fields.next().unwrap_or("").trim();
            let weight = fields.next().map(|w| w.trim().parse::<f32>());
            let bad = |why: &str| format!("{file}, line {n}: {why}, found '{line}'");
            if cue.is_empty() || (lang == Lang::En && cue.bytes().any(|b| b.is_ascii_uppercase())) {
                errors.push(bad("expected a cue (lower-case) before the first TAB"));
                continue;
            }
            let key = cue.to_string();
            let at = match patterns.iter().position(|p| *p == key) {
                Some(at) => at,
                None => {
                    let b = key.as_bytes();
                    // "n't" attaches to the word before it ("don't"), so it has no left boundary.
                    let contraction = key.starts_with("n't");
                    entries.push(Entry {
                        bounded_left: !contraction && b.first().is_some_and(|&c| is_word_byte(c)),
                        bounded_right: b.last().is_some_and(|&c| is_word_byte(c)),
                        ..Entry::default()
                    });
                    patterns.push(key);
                    entries.len() - 1
                }
            };
            let entry = &mut entries[at];
            let (negated, name) = match kind.strip_prefix("negated:") {
                Some(name) => (true, name),
                None => (false, kind),
            };
            match (name, weight) {
                ("neg", None) if !negated => entry.neg = true,
                ("block", None) if !negated => entry.block = true,
                (name, Some(Ok(w))) if (0.0..=1.0).contains(&w) => match Emotion::parse(name) {
                    Some(e) => {
                        let slot = if negated { &mut entry.negated } else { &mut entry.plain };
                        if slot[index(e)] != 0.0 {
                            errors.push(bad("the cue is listed twice for this emotion"));
                        }
                        slot[index(e)] = w;
                    }
                    None => {
                        errors.push(bad("the kind is not anger, anxiety, confusion, negated:EMOTION, neg or block"))
                    }
                },
                _ => errors
                    .push(bad("expected 'cue<TAB>EMOTION<TAB>weight 0..1', 'cue<TAB>negated:EMOTION<TAB>weight', \
                     'cue<TAB>neg' or 'cue<TAB>block'")),
            }
            let entry = &entries[at];
            let cue_weight = entry.plain.iter().chain(&entry.negated).any(|&w| w > 0.0);
            if u8::from(entry.neg) + u8::from(entry.block) + u8::from(cue_weight) > 1 {
                errors.push(bad("a cue is one of: an emotion cue, a negator or a block"));
            }
        }
        // A typographic apostrophe in the text matches '\'' in a cue.
        let mut all = patterns.clone();
        let mut all_entries = entries.clone();
        for (p, e) in patterns.iter().zip(&entries) {
            if p.contains('\'') {
                all.push(p.replace('\'', "\u{2019}"));
                all_entries.push(e.clone());
            }
        }
        // daachorse's double array: about three times as fast as aho-corasick's DFA on these lines, and smaller.
        let automaton = DoubleArrayAhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build_with_values(all.iter().enumerate().map(|(i, p)| {
                let p = if lang == Lang::En { p.to_ascii_lowercase() } else { p.clone() };
                (p, i as u32)
            }))
            .map_err(|e| errors.push(format!("{file}: cannot build the emotion cue automaton: {e}")))
            .ok();
        for e in &errors {
            tracing::error!("emotion cues: {e}; the line is skipped");
        }
        Cues { automaton, entries: all_entries, errors }
    }
}

static ZH: LazyLock<Cues> = LazyLock::new(|| Cues::build(ZH_CUES, "data/zh_emotion.tsv", Lang::Zh));
static EN: LazyLock<Cues> = LazyLock::new(|| Cues::build(EN_CUES, "data/en_emotion.tsv", Lang::En));

/// Lines of the bundled cue files that did not parse (for the test that keeps them empty).
#[cfg(test)]
fn cue_errors() -> Vec<String> {
    ZH.errors.iter().chain(&EN.errors).cloned().collect()
}

/// True when a negator ending at `from` reaches a cue starting at `to`: only degree or filler words between.
fn reaches(text: &str, from: usize, to: usize, lang: Lang) -> bool {
    let Some(gap) = text.get(from..to) else { return false };
    match lang {
        Lang::Zh => {
            let mut n = 0;
            for c in gap.chars() {
                if c.is_whitespace() {
                    continue;
                }
                n += 1;
                if n > ZH_REACH || !ZH_GAP.contains(c) {
                    return false;
                }
            }
            true
        }
        Lang::En => {
            // The rest of the negator's word ("don't" matched as "n't" ends there) and whole words after it.
            let mut n = 0;
            for w in gap.split_whitespace() {
                n += 1;
                if n > EN_REACH || !EN_GAP.iter().any(|g| g.eq_ignore_ascii_case(w)) {
                    return false;
                }
            }
            true
        }
    }
}

/// The emotion `text` (a line in `lang`) expresses and its strength in (0, 1], or `None`.
pub fn emotion(text: &str, lang: Lang) -> Option<(Emotion, f32)> {
    let cues = match lang {
        Lang::Zh => &*ZH,
        Lang::En => &*EN,
    };
    let ac = cues.automaton.as_ref()?;
    match lang {
        Lang::Zh => scan(cues, ac, text, text, lang),
        // ASCII lower-casing keeps every byte offset, so matches in the copy are offsets in `text`.
        Lang::En => LOWER.with_borrow_mut(|lower| {
            lower.clear();
            lower.push_str(text);
            lower.make_ascii_lowercase();
            scan(cues, ac, lower, text, lang)
        }),
    }
}

thread_local! {
    /// The English line lower-cased, reused from line to line.
    static LOWER: RefCell<String> = const { RefCell::new(String::new()) };
}

fn scan(cues: &Cues, ac: &DoubleArrayAhoCorasick<u32>, hay: &str, text: &str, lang: Lang) -> Option<(Emotion, f32)> {
    let b = text.as_bytes();
    let mut sums = [0.0f32; 3];
    let mut neg_end: Option<usize> = None;
    for m in ac.leftmost_find_iter(hay) {
        let Some(e) = cues.entries.get(m.value() as usize) else { continue };
        if e.bounded_left && m.start() > 0 && is_word_byte(b[m.start() - 1]) {
            continue;
        }
        if e.bounded_right && b.get(m.end()).is_some_and(|&c| is_word_byte(c)) {
            continue;
        }
        if e.block {
            continue;
        }
        if e.neg {
            neg_end = Some(m.end());
            continue;
        }
        let negated = neg_end.take().is_some_and(|end| reaches(text, end, m.start(), lang));
        let weights = if negated { &e.negated } else { &e.plain };
        for (s, w) in sums.iter_mut().zip(weights) {
            *s += w;
        }
    }
    let (mut best, mut best_sum) = (Emotion::Anger, 0.0f32);
    for e in Emotion::ALL {
        if sums[index(e)] > best_sum {
            (best, best_sum) = (e, sums[index(e)]);
        }
    }
    (best_sum >= THRESHOLD).then_some((best, best_sum.min(1.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zh(text: &str) -> Option<Emotion> {
        emotion(text, Lang::Zh).map(|(e, _)| e)
    }

    fn en(text: &str) -> Option<Emotion> {
        emotion(text, Lang::En).map(|(e, _)| e)
    }

    #[test]
    fn cue_files_parse() {
        assert_eq!(cue_errors(), Vec::<String>::new());
    }

    #[test]
    fn chinese_cues_name_the_emotion() {
        assert_eq!(zh("你们这是什么破系统，气死我了"), Some(Emotion::Anger));
        assert_eq!(zh("我要投诉，太过分了！"), Some(Emotion::Anger));
        assert_eq!(zh("报告还没出来，我很着急"), Some(Emotion::Anxiety));
        assert_eq!(zh("他好像昏迷了，我好害怕，怎么办？"), Some(Emotion::Anxiety));
        assert_eq!(zh("这个结果我看不懂"), Some(Emotion::Confusion));
        assert_eq!(zh("你说的是什么意思"), Some(Emotion::Confusion));
        assert_eq!(zh("好的，谢谢你"), None);
        assert_eq!(zh("我想预约明天的门诊"), None);
    }

    #[test]
    fn english_cues_name_the_emotion() {
        assert_eq!(en("This is ridiculous, I want to speak to a manager"), Some(Emotion::Anger));
        assert_eq!(en("I'm FURIOUS about this bill"), Some(Emotion::Anger));
        assert_eq!(en("I'm really worried about my mother"), Some(Emotion::Anxiety));
        assert_eq!(en("He's not breathing, what do I do?"), Some(Emotion::Anxiety));
        assert_eq!(en("Sorry, what do you mean by co-pay?"), Some(Emotion::Confusion));
        assert_eq!(en("I'm confused about these numbers"), Some(Emotion::Confusion));
        assert_eq!(en("Thanks, that's all I needed"), None);
        // Whole words only: "mad" is not in "made", "rage" not in "storage".
        assert_eq!(en("I made a payment for storage"), None);
    }

    #[test]
    fn negation_turns_a_cue_off_or_into_its_emotion() {
        assert_eq!(zh("不着急，您慢慢查"), None);
        assert_eq!(zh("别担心，我没生气"), None);
        assert_eq!(zh("不用太担心"), None);
        assert_eq!(zh("我不是很明白"), Some(Emotion::Confusion));
        assert_eq!(zh("我明白了"), None);
        assert_eq!(en("I'm not angry, just asking"), None);
        assert_eq!(en("No worries, take your time"), None);
        assert_eq!(en("don't you worry about it"), None);
        assert_eq!(en("I'm not confused any more"), None);
        assert_eq!(en("I don't understand this letter"), Some(Emotion::Confusion));
        assert_eq!(en("I'm not really sure which form"), Some(Emotion::Confusion));
        assert_eq!(en("It doesn’t make sense"), Some(Emotion::Confusion), "typographic apostrophe");
        assert_eq!(en("I understand, thank you"), None);
    }

    #[test]
    fn unpunctuated_speech_keeps_negation_local() {
        // A negator far from the cue, with ordinary words between, does not reach it.
        assert_eq!(zh("他还没到好着急啊"), Some(Emotion::Anxiety));
        assert_eq!(zh("嗯那个我没收到短信我很担心"), Some(Emotion::Anxiety));
        assert_eq!(zh("嗯那个我没看懂这个账单上面写的什么意思"), Some(Emotion::Confusion));
        assert_eq!(en("um i'm not angry i'm just really worried"), Some(Emotion::Anxiety));
        assert_eq!(en("it did not arrive and i am furious"), Some(Emotion::Anger));
        assert_eq!(en("i called three times nobody called back this is ridiculous"), Some(Emotion::Anger));
    }

    #[test]
    fn strength_grows_with_cues_and_is_capped() {
        let one = emotion("有点着急", Lang::Zh).map(|(_, s)| s).unwrap_or(0.0);
        let more = emotion("急死了，我很担心，怎么办", Lang::Zh).map(|(_, s)| s).unwrap_or(0.0);
        assert!(one >= THRESHOLD && one <= more && more <= 1.0, "{one} {more}");
        // A weak cue alone is not enough.
        assert_eq!(en("why"), None);
    }
}
