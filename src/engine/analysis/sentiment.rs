//! Lexicon sentiment scoring: VADER's rules for English, the same scale and shape for Chinese.

use std::cell::RefCell;

use super::lexicon::{B_INCR, C_INCR, EN, MAX_PHRASE_TOKENS, N_SCALAR, WordInfo};

/// VADER's normalisation constant: `x / sqrt(x² + ALPHA)` maps a valence sum into (-1, 1).
const ALPHA: f32 = 15.0;

/// Maps a summed valence into [-1, 1] like VADER's compound score.
pub(super) fn normalize(sum: f32) -> f32 {
    (sum / (sum * sum + ALPHA).sqrt()).clamp(-1.0, 1.0)
}

/// VADER's emphasis from punctuation: each '!' (up to 4) adds 0.292, two or three '?' add 0.18 each, more add 0.96.
fn punctuation_emphasis(text: &str) -> f32 {
    let (mut bangs, mut questions) = (0u32, 0u32);
    for c in text.chars() {
        match c {
            '!' | '！' => bangs += 1,
            '?' | '？' => questions += 1,
            _ => {}
        }
    }
    let ep = bangs.min(4) as f32 * 0.292;
    let qm = match questions {
        0 | 1 => 0.0,
        2 | 3 => questions as f32 * 0.18,
        _ => 0.96,
    };
    ep + qm
}

/// Sums sentiment, weighting around the first contrast word ("but", "但是"): half before it, 1.5 times after it.
#[derive(Default)]
pub(super) struct Accumulator {
    before: f32,
    after: f32,
    pub seen_but: bool,
    any: bool,
}

impl Accumulator {
    pub fn add(&mut self, v: f32) {
        self.any = true;
        if self.seen_but { self.after += v } else { self.before += v }
    }

    pub fn compound(&self, text: &str) -> f32 {
        if !self.any {
            return 0.0;
        }
        let mut sum = if self.seen_but { 0.5 * self.before + 1.5 * self.after } else { self.before };
        if sum > 0.0 {
            sum += punctuation_emphasis(text);
        } else if sum < 0.0 {
            sum -= punctuation_emphasis(text);
        }
        normalize(sum)
    }
}

/// One English token: where its lower-case form sits in the scratch buffer and what the lexicon says about it.
#[derive(Clone, Copy)]
struct Tok {
    start: u32,
    end: u32,
    info: WordInfo,
    upper: bool,
    /// Tokens of the phrase starting here (1: a plain word).
    span: u8,
    /// Part of a phrase: scored with it, and neither a modifier nor a special word for the words after it.
    in_phrase: bool,
    /// Clause the token is in: a comma, semicolon, colon or sentence end starts a new one. Negators and boosters
    /// reach only within their clause ("it hasn't shipped, that's terrible" stays negative), unlike VADER.
    clause: u16,
}

/// Per-thread buffers reused across calls so that scoring a line does not allocate.
#[derive(Default)]
struct Scratch {
    lower: String,
    raw: String,
    toks: Vec<Tok>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Appends the lower-case form of `s` to `out`, folding the typographic apostrophe to '\''.
fn push_lower(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\u{2019}' | '\u{2018}' => out.push('\''),
            c if c.is_ascii() => out.push(c.to_ascii_lowercase()),
            c => out.push(c),
        }
    }
}

/// Python's `str.isupper` restricted to ASCII: at least one letter and no lower-case letter.
fn is_upper(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter().any(u8::is_ascii_uppercase) && !b.iter().any(u8::is_ascii_lowercase)
}

/// English sentiment, VADER's algorithm (compound score) over VADER's lexicon plus the call-centre entries.
///
/// Deviations from the Python reference: tokens keep their emoticon form only when that form is in the lexicon
/// (VADER keeps any token of two characters or fewer unstripped, so "ok," is never found); phrases from
/// `data/en_domain.tsv` are scored as one item; the "never so/this" rule uses the intended precedence; dampeners
/// ("kind of") move a valence toward zero whatever its sign and apply even when a lexicon word ("kind") precedes;
/// "nobody" negates.
pub(super) fn score_en(text: &str) -> f32 {
    SCRATCH.with(|s| match s.try_borrow_mut() {
        Ok(mut scratch) => score_en_with(text, &mut scratch),
        // Only reachable if scoring re-entered itself on this thread; fall back to fresh buffers.
        Err(_) => score_en_with(text, &mut Scratch::default()),
    })
}

fn score_en_with(text: &str, scratch: &mut Scratch) -> f32 {
    let lex = &*EN;
    let Scratch { lower, raw: raw_lower, toks } = scratch;
    lower.clear();
    toks.clear();
    let mut clause = 0u16;
    for raw in text.split_whitespace() {
        let this_clause = clause;
        if raw.ends_with([',', ';', ':', '.', '!', '?', '，', '。', '；', '！', '？']) {
            clause = clause.saturating_add(1);
        }
        let stripped = raw.trim_matches(|c: char| c.is_ascii_punctuation());
        // An emoticon like ":)" or ":D" is looked up as written; anything else without its punctuation.
        let mut key = stripped;
        let mut info = None;
        if stripped.len() != raw.len() && raw.len() <= 24 {
            raw_lower.clear();
            push_lower(raw_lower, raw);
            let i = lex.word(raw_lower);
            if i.valence.is_some() {
                key = raw;
                info = Some(i);
            }
        }
        if key.is_empty() {
            key = raw;
        }
        if !lower.is_empty() {
            lower.push(' ');
        }
        let start = lower.len();
        push_lower(lower, key);
        let end = lower.len();
        let info = info.unwrap_or_else(|| lex.word(&lower[start..end]));
        toks.push(Tok {
            start: start as u32,
            end: end as u32,
            info,
            upper: is_upper(key),
            span: 1,
            in_phrase: false,
            clause: this_clause,
        });
    }
    drop_fillers(lower, toks);
    let n = toks.len();
    if n == 0 {
        return 0.0;
    }
    // Phrases from en_domain.tsv, longest first; a phrase is scored as one lexicon item at its first token, and its
    // tokens count as lexicon words for the words after it (so "hasn't" in "hasn't arrived" negates nothing else).
    let mut i = 0;
    while i < n {
        let mut span = 1;
        if toks[i].info.phrase_start {
            for len in (2..=MAX_PHRASE_TOKENS.min(n - i)).rev() {
                let phrase = lower.get(toks[i].start as usize..toks[i + len - 1].end as usize);
                if let Some(v) = phrase.and_then(|p| lex.phrase(p)) {
                    span = len;
                    let plain = WordInfo { valence: Some(0.0), ..WordInfo::default() };
                    for t in &mut toks[i..i + len] {
                        t.info = plain;
                        t.in_phrase = true;
                    }
                    toks[i].info.valence = Some(v);
                    toks[i].span = len as u8;
                    break;
                }
            }
        }
        i += span;
    }
    let upper_count = toks.iter().filter(|t| t.upper).count();
    let cap_diff = upper_count > 0 && upper_count < n;
    let word = |i: usize| -> &str {
        toks.get(i).filter(|t| !t.in_phrase).and_then(|t| lower.get(t.start as usize..t.end as usize)).unwrap_or("")
    };
    let in_lexicon = |i: usize| toks.get(i).is_some_and(|t| t.info.valence.is_some());

    let mut acc = Accumulator::default();
    let mut i = 0;
    while i < n {
        let tok = toks[i];
        let w = word(i);
        if w == "but" {
            acc.seen_but = true;
            i += 1;
            continue;
        }
        let span = usize::from(tok.span);
        let valence = tok.info.valence;
        let next = i + span;
        if span == 1 && (tok.info.booster != 0.0 || (w == "kind" && word(i + 1) == "of")) {
            i = next;
            continue;
        }
        let Some(base) = valence else {
            i = next;
            continue;
        };
        if base == 0.0 {
            acc.add(0.0);
            i = next;
            continue;
        }
        let mut v = base;
        // "no" before another lexicon word negates that word instead of counting itself.
        if span == 1 && w == "no" && in_lexicon(next) {
            acc.add(0.0);
            i = next;
            continue;
        }
        if (i >= 1 && word(i - 1) == "no")
            || (i >= 2 && word(i - 2) == "no")
            || (i >= 3 && word(i - 3) == "no" && matches!(word(i - 1), "or" | "nor"))
        {
            v = base * N_SCALAR;
        }
        if tok.upper && cap_diff && span == 1 {
            v += if v > 0.0 { C_INCR } else { -C_INCR };
        }
        for back in 0..3usize {
            if i <= back || toks[i - back - 1].clause != tok.clause {
                break;
            }
            if in_lexicon(i - back - 1) {
                continue;
            }
            let j = i - back - 1;
            let prev = toks[j];
            let mut s = prev.info.booster;
            if s != 0.0 {
                if v < 0.0 {
                    s = -s;
                }
                if prev.upper && cap_diff {
                    s += if v > 0.0 { C_INCR } else { -C_INCR };
                }
                s *= [1.0, 0.95, 0.9][back];
            }
            v += s;
            v = negation_check(v, back, i, &word, &toks[..]);
        }
        // Two-word dampeners just before the word or one word earlier: "kind of good", "sort of a mess".
        let is_dampener = |a: &str, b: &str| matches!((a, b), ("kind", "of") | ("sort", "of") | ("just", "enough"));
        if (i >= 2 && is_dampener(word(i - 2), word(i - 1))) || (i >= 3 && is_dampener(word(i - 3), word(i - 2))) {
            v -= B_INCR * v.signum();
        }
        // "least" before a word negates it, except in "at least" / "very least".
        if i >= 1 && word(i - 1) == "least" && !in_lexicon(i - 1) && !(i >= 2 && matches!(word(i - 2), "at" | "very")) {
            v *= N_SCALAR;
        }
        acc.add(v);
        i = next;
    }
    acc.compound(text)
}

/// Spoken fillers: removed before scoring, so that they neither count nor keep a negator or booster from the word
/// it modifies ("not um really good").
const FILLERS: &[&str] = &["um", "umm", "uh", "uhh", "uhm", "er", "erm", "hmm", "hm", "mm", "mhm"];

/// Words after which "like" is a filler ("it was like broken", "and like it never came").
const LIKE_AS_FILLER_AFTER: &[&str] = &["was", "were", "is", "it's", "i'm", "and", "so", "but", "just"];

/// Words before which a "like" opening a clause is a filler ("like it never came", "like the agent hung up").
const LIKE_AS_FILLER_BEFORE: &[&str] =
    &["i", "i'm", "it", "it's", "you", "we", "they", "he", "she", "the", "this", "that", "nobody", "nothing"];

/// Removes speech fillers from `toks`: "um", "uh"…, "you know" and "I mean", "like" as a filler (next to another
/// filler or repeated, after "was"/"and"/"so", or opening a clause before a pronoun or article), and "well"
/// opening a clause before a word that is not in the lexicon ("well it broke again" is not praise; "well done" is).
/// "Like" as a verb or a preposition keeps its valence: VADER's raters scored "looks like" and "feels like" too.
fn drop_fillers(lower: &str, toks: &mut Vec<Tok>) {
    let word = |t: &Tok| lower.get(t.start as usize..t.end as usize).unwrap_or("");
    let mut kept = 0usize;
    let mut skip_next = false;
    for i in 0..toks.len() {
        if std::mem::take(&mut skip_next) {
            continue;
        }
        let t = toks[i];
        let w = word(&t);
        let next = toks.get(i + 1).filter(|n| n.clause == t.clause).map_or("", word);
        let prev = kept.checked_sub(1).map(|k| toks[k]);
        let prev_word = prev.as_ref().map_or("", word);
        let clause_start = prev.is_none_or(|p| p.clause != t.clause);
        if matches!((w, next), ("you", "know") | ("i", "mean")) {
            skip_next = true;
            continue;
        }
        let like_filler = FILLERS.contains(&prev_word)
            || FILLERS.contains(&next)
            || next == "like"
            || (next == "you" && toks.get(i + 2).is_some_and(|n| word(n) == "know"))
            || LIKE_AS_FILLER_AFTER.contains(&prev_word)
            || (clause_start && LIKE_AS_FILLER_BEFORE.contains(&next));
        let filler = FILLERS.contains(&w)
            || (w == "like" && like_filler)
            || (w == "well" && clause_start && toks.get(i + 1).is_some_and(|n| n.info.valence.is_none()));
        if !filler {
            toks[kept] = t;
            kept += 1;
        }
    }
    toks.truncate(kept);
}

/// VADER's negation check for the word `back + 1` positions before item `i`.
fn negation_check<'a>(v: f32, back: usize, i: usize, word: &impl Fn(usize) -> &'a str, toks: &[Tok]) -> f32 {
    let negated = |j: usize| toks.get(j).is_some_and(|t| t.info.negation);
    match back {
        0 => {
            if negated(i - 1) {
                return v * N_SCALAR;
            }
        }
        1 => {
            let (a, b) = (word(i - 2), word(i - 1));
            if a == "never" && matches!(b, "so" | "this") {
                return v * 1.25;
            }
            if a == "without" && b == "doubt" {
                return v;
            }
            if negated(i - 2) {
                return v * N_SCALAR;
            }
        }
        _ => {
            let (a, b, c) = (word(i - 3), word(i - 2), word(i - 1));
            if a == "never" && (matches!(b, "so" | "this") || matches!(c, "so" | "this")) {
                return v * 1.25;
            }
            if a == "without" && (b == "doubt" || c == "doubt") {
                return v;
            }
            if negated(i - 3) {
                return v * N_SCALAR;
            }
        }
    }
    v
}
