//! Chinese word segmentation: jieba's maximum-probability path over the dictionary words found in a line.
//!
//! Every dictionary word in the line is found with one overlapping Aho-Corasick pass (character-wise double array); the segmentation is the path
//! through the line (words and single characters) whose product of word probabilities is highest, as in jieba's
//! precise mode without its HMM for unknown words. A character no word covers is a word of its own. Punctuation
//! becomes a [`ZhKind::Break`] token; spaces, Latin letters and digits are plain single-character tokens.

use super::zh_dict::{ZhDict, ZhKind};

/// One word of a segmented line: its byte range in the line and what it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Token {
    pub start: u32,
    pub end: u32,
    pub kind: ZhKind,
}

/// Buffers reused across lines so that segmenting does not allocate once they have grown.
#[derive(Default)]
pub(super) struct SegScratch {
    /// (start, end, entry) of every dictionary match, in order of their end.
    matches: Vec<(u32, u32, u32)>,
    /// Best log-probability of the line up to each byte offset (only char boundaries are used).
    best: Vec<f32>,
    /// For each byte offset: where the last word of the best path ending there starts, and its entry.
    back: Vec<(u32, u32)>,
}

/// No dictionary entry: a single character that no word covers.
const NO_ENTRY: u32 = u32::MAX;

/// Characters that end a clause.
pub(super) fn is_clause_break(c: char) -> bool {
    matches!(
        c,
        '，' | '。' | '！' | '？' | '；' | '：' | '、' | '…' | ',' | '.' | '!' | '?' | ';' | ':' | '\n' | '~' | '～'
    )
}

/// Segments `text` into `out` (cleared first).
pub(super) fn segment(dict: &ZhDict, text: &str, scratch: &mut SegScratch, out: &mut Vec<Token>) {
    out.clear();
    let n = text.len();
    let SegScratch { matches, best, back } = scratch;
    matches.clear();
    if let Some(ac) = &dict.automaton {
        for m in ac.find_overlapping_iter(text) {
            matches.push((m.start() as u32, m.end() as u32, m.value()));
        }
    }
    // Overlapping matches come in order of their end already; keep it certain.
    if !matches.is_sorted_by_key(|m| m.1) {
        matches.sort_by_key(|m| m.1);
    }
    best.clear();
    best.resize(n + 1, f32::NEG_INFINITY);
    back.clear();
    back.resize(n + 1, (0, NO_ENTRY));
    best[0] = 0.0;
    let mut next_match = 0;
    for (p, c) in text.char_indices() {
        let q = p + c.len_utf8();
        best[q] = best[p] + dict.unknown_logp;
        back[q] = (p as u32, NO_ENTRY);
        while let Some(&(s, e, id)) = matches.get(next_match) {
            if e as usize > q {
                break;
            }
            next_match += 1;
            let Some(entry) = dict.entries.get(id as usize) else { continue };
            let cand = best[s as usize] + entry.logp;
            if cand > best[q] {
                best[q] = cand;
                back[q] = (s, id);
            }
        }
    }
    let mut q = n;
    while q > 0 {
        let (s, id) = back[q];
        let kind = match dict.entries.get(id as usize) {
            Some(entry) => entry.kind,
            None => match text[s as usize..q].chars().next() {
                Some(c) if is_clause_break(c) => ZhKind::Break,
                _ => ZhKind::Plain,
            },
        };
        out.push(Token { start: s, end: q as u32, kind });
        q = s as usize;
    }
    out.reverse();
}
