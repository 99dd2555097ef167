//! Chinese sentiment over segmented words.
//!
//! The line is segmented ([`super::zh_seg`]); each word is looked up in the lexicons. A negator or degree word
//! reaches a sentiment word at most [`REACH`] words later within the same clause. Clauses end at punctuation and,
//! because speech has none, at contrast words (但是) and conjunctions (而且, 然后, 所以). Fillers (嗯, 呃, 那个) are
//! skipped as if they were not said, and a word said twice in a row ("不不满意", "很很好") counts once.
//! - Negation: an odd number of negators flips a word (× -0.74, VADER's factor); two ("不是不好") give it back at
//!   0.74² of its strength. A negator before a degree word ("不太好", "不很满意") weakens instead of strengthening.
//! - Degree: the degree words' scalars add to the word's strength (stacked ones add up).
//! - A negator that reaches no sentiment word ("没收到货", "不能用") counts [`LONE_NEGATOR`]: in a customer's mouth a
//!   bare "not" is a complaint more often than not.
//! - A rhetorical question ("这不是耍人吗", "难道不好吗") asks rather than negates: its 不是/难道 flips nothing.
//! - Contrast: sentiment before the first contrast word counts half, after it one and a half times.
//! - A line without any sentiment word is scored by the naive-Bayes fallback ([`super::zh_model`]), at most
//!   ±[`FALLBACK_MAX`], so a supervisor sees a lean rather than a calm 0.

use std::cell::RefCell;

use super::lexicon::N_SCALAR;
use super::sentiment::Accumulator;
use super::zh_dict::{ZH, ZhKind};
use super::zh_model::NB;
use super::zh_seg::{SegScratch, Token, segment};

/// How many words after a negator or degree word the sentiment word may be (1: right after it).
const REACH: u32 = 3;
/// Valence of a negator that reaches no sentiment word in its clause.
const LONE_NEGATOR: f32 = -0.8;
/// The largest score the fallback model gives.
const FALLBACK_MAX: f32 = 0.15;
/// How much a negator before a degree word keeps of the negated word ("不太好" is milder than "不好").
const NEGATED_DEGREE: f32 = 0.6;

#[derive(Default)]
struct Scratch {
    seg: SegScratch,
    toks: Vec<Token>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Sentiment of a Chinese line in [-1, 1].
pub(super) fn score_zh(text: &str) -> f32 {
    SCRATCH.with(|s| match s.try_borrow_mut() {
        Ok(mut scratch) => score_with(text, &mut scratch),
        Err(_) => score_with(text, &mut Scratch::default()),
    })
}

/// Negators and degree words waiting for a sentiment word in the current clause.
#[derive(Default)]
struct Pending {
    /// A 不是 or 难道 among the negators: in a question ending with 吗 it asks rather than negates.
    rhetorical: bool,
    /// Word positions of the negators (the last few).
    negs: [u32; 4],
    neg_count: usize,
    /// Negators not yet used by a sentiment word.
    lone_negs: bool,
    int_sum: f32,
    int_first: Option<u32>,
    int_last: u32,
}

impl Pending {
    fn add_neg(&mut self, pos: u32, lone_counts: bool, rhetorical: bool) {
        self.rhetorical |= rhetorical;
        if self.neg_count < self.negs.len() {
            self.negs[self.neg_count] = pos;
            self.neg_count += 1;
        } else {
            self.negs.rotate_left(1);
            self.negs[self.negs.len() - 1] = pos;
        }
        self.lone_negs |= lone_counts;
    }

    fn add_int(&mut self, pos: u32, s: f32) {
        if self.int_first.is_none_or(|_| pos > self.int_last + REACH) {
            self.int_sum = 0.0;
            self.int_first = Some(pos);
        }
        self.int_sum += s;
        self.int_last = pos;
    }

    /// The valence `base` of the sentiment word at `pos`, with the modifiers that reach it.
    fn apply(&self, base: f32, pos: u32) -> f32 {
        let reaching = |p: u32| p < pos && pos - p <= REACH;
        let negs = self.negs[..self.neg_count].iter().filter(|&&p| reaching(p));
        let (mut count, mut first_neg) = (0, u32::MAX);
        for &p in negs {
            count += 1;
            first_neg = first_neg.min(p);
        }
        let int = self.int_first.filter(|_| reaching(self.int_last));
        let mut v = base;
        match (count, int) {
            (0, Some(_)) => v += self.int_sum * v.signum(),
            (0, None) => {}
            (_, Some(first_int)) if first_neg < first_int && count % 2 == 1 => v *= N_SCALAR * NEGATED_DEGREE,
            (c, int) => {
                if int.is_some() {
                    v += self.int_sum * v.signum();
                }
                v *= N_SCALAR.powi(c);
            }
        }
        v
    }

    /// Ends the clause: a negator that reached nothing counts as a complaint.
    fn close(&mut self, acc: &mut Accumulator) {
        if self.lone_negs {
            acc.add(LONE_NEGATOR);
        }
        *self = Pending::default();
    }
}

/// True when the clause that `rest` continues ends with the question particle 吗 (fillers and punctuation aside).
fn ends_in_question(text: &str, rest: &[Token]) -> bool {
    let mut last = "";
    for t in rest {
        match t.kind {
            ZhKind::Break | ZhKind::But | ZhKind::Conj => break,
            ZhKind::Filler => {}
            _ => last = text.get(t.start as usize..t.end as usize).unwrap_or(""),
        }
    }
    last == "吗"
}

fn score_with(text: &str, scratch: &mut Scratch) -> f32 {
    let dict = &*ZH;
    let Scratch { seg, toks } = scratch;
    segment(dict, text, seg, toks);
    let mut acc = Accumulator::default();
    let mut pending = Pending::default();
    let mut pos = 0u32;
    let mut prev: &str = "";
    let mut any_word = false;
    for (i, t) in toks.iter().enumerate() {
        let word = text.get(t.start as usize..t.end as usize).unwrap_or("");
        if word.trim().is_empty() || t.kind == ZhKind::Filler {
            continue;
        }
        // A word said twice in a row counts once ("不不满意", "很很好").
        if word == prev && !matches!(t.kind, ZhKind::Plain | ZhKind::Break) {
            continue;
        }
        prev = word;
        pos += 1;
        match t.kind {
            ZhKind::Break | ZhKind::Conj => pending.close(&mut acc),
            ZhKind::But => {
                pending.close(&mut acc);
                acc.seen_but = true;
            }
            ZhKind::Neg => pending.add_neg(pos, true, matches!(word, "不是" | "难道")),
            ZhKind::NegWord => pending.add_neg(pos, false, word.starts_with("难道")),
            ZhKind::Int(s) => pending.add_int(pos, s),
            ZhKind::Word(base) if base != 0.0 => {
                // "这不是耍人吗" asks "isn't this a joke?": the 不是 affirms the word.
                if pending.rhetorical && ends_in_question(text, &toks[i + 1..]) {
                    pending.neg_count = 0;
                    pending.lone_negs = false;
                }
                let v = pending.apply(base, pos);
                any_word = true;
                pending = Pending::default();
                acc.add(v);
            }
            ZhKind::Word(_) | ZhKind::Plain | ZhKind::Filler => {}
        }
    }
    pending.close(&mut acc);
    let score = acc.compound(text);
    if score != 0.0 || any_word {
        return score;
    }
    // The fallback reads the words that were said: runs of tokens between fillers and punctuation.
    let mut odds = 0.0;
    let mut run: Option<(u32, u32)> = None;
    for t in toks.iter() {
        if matches!(t.kind, ZhKind::Filler | ZhKind::Break) {
            if let Some((s, e)) = run.take() {
                odds += NB.log_odds(text.get(s as usize..e as usize).unwrap_or(""));
            }
        } else {
            run = Some((run.map_or(t.start, |r| r.0), t.end));
        }
    }
    if let Some((s, e)) = run {
        odds += NB.log_odds(text.get(s as usize..e as usize).unwrap_or(""));
    }
    FALLBACK_MAX * (odds / 4.0).tanh()
}
