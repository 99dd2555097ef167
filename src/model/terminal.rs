//! Text from callers and supervisors made safe to print to a terminal: the characters a terminal acts on instead of
//! showing (C0 and C1 controls, DEL, bidi overrides) escaped. Used by `tail` and `audit`; the console drops them.

use std::borrow::Cow;

/// Whether a terminal may act on `c` instead of showing it: the C0 and C1 controls and DEL (U+009B is a CSI, that
/// can move the cursor and rewrite the screen) and the bidirectional embeddings, overrides and isolates
/// (U+202A–U+202E, U+2066–U+2069) that reorder how the rest of a line reads.
pub fn acts_on_terminal(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A JSON line with every character a terminal acts on written as a JSON escape (`\u009b`): the same JSON value,
/// safe to print. (serde_json escapes the C0 controls but writes DEL, C1 controls and the bidi overrides raw.) Such
/// characters can only be inside JSON strings, where an escape means the same character.
pub fn json_for_terminal(line: &str) -> Cow<'_, str> {
    if !line.chars().any(acts_on_terminal) {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len() + 16);
    for c in line.chars() {
        if acts_on_terminal(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Text with every character a terminal acts on shown as a Rust-style escape (`\u{9b}`).
pub fn text_for_terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(acts_on_terminal) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| if acts_on_terminal(c) { c.escape_unicode().to_string() } else { c.to_string() })
            .collect(),
    )
}
