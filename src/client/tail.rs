//! `callfloor tail`: the event stream as JSON lines, for scripts and headless operations.
//!
//! What callers and supervisors say reaches the terminal through `tail`, so nothing in it may act on the terminal:
//! JSON escapes the C0 controls, and `tail` also writes C1 controls, DEL and the bidirectional overrides as JSON
//! escapes (`\u009b`), which parse back to the same text; its status lines on stderr show them as `\u{9b}`.

use std::borrow::Cow;
use std::io::Write;

use anyhow::{Result, bail};
use serde::Serialize;

use super::{ClientConfig, ConnState, Update};
use crate::model::Event;
use crate::protocol;

/// What `tail` prints.
#[derive(Debug, Clone, Copy, Default)]
pub struct TailOptions {
    /// Print one snapshot and stop.
    pub once: bool,
    /// Also print the metrics frames.
    pub metrics: bool,
    /// Also print the once-a-second `tick` events (clock only; off by default so the stream shows what happened).
    pub ticks: bool,
}

#[derive(Serialize)]
struct Line<'a> {
    seq: u64,
    #[serde(flatten)]
    event: &'a Event,
}

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

/// Connects and writes to `out`: one line per event (`{"seq":N,"at":...,"type":...}`), or with `once` the
/// snapshot frame. Connection news goes to `status` (stderr). Returns when `once` is done, when `out` is
/// closed (a pipe whose reader left), or with an error when the engine refuses the token.
pub async fn run(config: ClientConfig, opts: TailOptions, mut out: impl Write, mut status: impl Write) -> Result<()> {
    let (mut updates, _commands) = super::spawn(config);
    let mut snapshots = 0u64;
    while let Some(u) = updates.recv().await {
        let written = match &u {
            Update::Connection(ConnState::Failed { reason }) => {
                bail!("the engine refused the connection: {}", text_for_terminal(reason))
            }
            Update::Connection(ConnState::Disconnected { reason, retry_in_ms }) => {
                let reason = text_for_terminal(reason);
                let _ = writeln!(status, "callfloor tail: {reason}; retrying in {:.1} s", *retry_in_ms as f64 / 1000.0);
                Ok(())
            }
            Update::Connection(_) => Ok(()),
            Update::Welcome { role, server, user, .. } => {
                let (server, user) = (text_for_terminal(server), text_for_terminal(user));
                let _ = writeln!(status, "callfloor tail: connected to {server} as {user} ({role})");
                Ok(())
            }
            Update::Snapshot { seq, floor } => {
                snapshots += 1;
                if opts.once {
                    let line = protocol::encode_snapshot(floor);
                    writeln!(out, "{}", json_for_terminal(&line)).and_then(|_| out.flush())?;
                    return Ok(());
                }
                if snapshots > 1 {
                    let _ =
                        writeln!(status, "callfloor tail: resynced at seq {seq}; events before it were not printed");
                }
                Ok(())
            }
            Update::Events { from_seq, events } => {
                let mut r = Ok(());
                for (i, event) in events.iter().enumerate() {
                    if !opts.ticks && matches!(event.kind, crate::model::EventKind::Tick) {
                        continue;
                    }
                    let line = protocol::encode(&Line { seq: from_seq + i as u64, event });
                    r = writeln!(out, "{}", json_for_terminal(&line));
                    if r.is_err() {
                        break;
                    }
                }
                r.and_then(|_| out.flush())
            }
            Update::Metrics(m) if opts.metrics => {
                writeln!(out, "{}", json_for_terminal(&protocol::encode_metrics(m))).and_then(|_| out.flush())
            }
            Update::Metrics(_) | Update::Ack { .. } | Update::Error { .. } => Ok(()),
        };
        match written {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
            Err(e) => bail!("cannot write to stdout: {e}"),
        }
    }
    Ok(())
}
