//! `callfloor tail`: the event stream as JSON lines, for scripts and headless operations.
//!
//! What callers and supervisors say reaches the terminal through `tail`, so nothing in it may act on the terminal:
//! JSON escapes the C0 controls, and `tail` also writes C1 controls, DEL and the bidirectional overrides as JSON
//! escapes (`\u009b`), which parse back to the same text; its status lines on stderr show them as `\u{9b}`.

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

pub use crate::model::terminal::{acts_on_terminal, json_for_terminal, text_for_terminal};

/// Connects and writes to `out`: one line per event (`{"seq":N,"at":...,"type":...}`), or with `once` the
/// snapshot frame. Connection news goes to `status` (stderr). Returns when `once` is done, when `out` is
/// closed (a pipe whose reader left), or with an error when connecting cannot succeed (the engine refused the
/// token, the client refused the engine's certificate).
pub async fn run(config: ClientConfig, opts: TailOptions, mut out: impl Write, mut status: impl Write) -> Result<()> {
    let (mut updates, _commands) = super::spawn(config);
    let mut snapshots = 0u64;
    // Whether the engine's database was last seen writable: a change is said on stderr, once.
    let mut store_ok: Option<bool> = None;
    // The PBX source as last said on stderr: up or down, why, reconnects.
    let mut source_said: Option<(bool, Option<String>, u64)> = None;
    while let Some(u) = updates.recv().await {
        let written = match &u {
            Update::Connection(ConnState::Failed { reason }) => {
                bail!("cannot connect: {}", text_for_terminal(reason))
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
            Update::Metrics(m) => {
                if let Some(s) = &m.store
                    && store_ok != Some(s.ok)
                {
                    let _ = if s.ok {
                        // Said only when it recovers, not on the first frame of a healthy engine.
                        if store_ok.is_some() {
                            writeln!(status, "callfloor tail: the engine's database is written to again")
                        } else {
                            Ok(())
                        }
                    } else {
                        writeln!(
                            status,
                            "callfloor tail: the engine's database cannot be written ({}): changes are refused, {} rows wait",
                            text_for_terminal(s.error.as_deref().unwrap_or("no reason given")),
                            s.pending
                        )
                    };
                    store_ok = Some(s.ok);
                }
                if let Some(src) = &m.source {
                    let now = (src.connected, src.error.clone(), src.reconnects);
                    if source_said.as_ref() != Some(&now) {
                        let _ = writeln!(status, "callfloor tail: {}", source_line(src));
                        source_said = Some(now);
                    }
                }
                if opts.metrics {
                    writeln!(out, "{}", json_for_terminal(&protocol::encode_metrics(m))).and_then(|_| out.flush())
                } else {
                    Ok(())
                }
            }
            Update::Ack { .. } | Update::Error { .. } | Update::Record { .. } => Ok(()),
        };
        match written {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
            Err(e) => bail!("cannot write to stdout: {e}"),
        }
    }
    Ok(())
}

/// The `source` line `tail` writes to stderr when a PBX link comes up, goes down or fails anew: `source ami
/// 10.0.0.5:5038 connected since 07:58:12` or `source ami 10.0.0.5:5038 down since 08:01:02, the floor is stale
/// (connection refused)`, with reconnects and skipped events when there were any. The metrics frames (`--metrics`)
/// carry the whole status as `source`.
pub fn source_line(s: &crate::model::SourceStatus) -> String {
    let since = s.since.map(|t| format!(" since {}", t.format("%H:%M:%S"))).unwrap_or_default();
    let target = format!("{} {}", text_for_terminal(&s.kind), text_for_terminal(&s.target));
    let mut line = if s.connected {
        let refused = s.error.as_deref().map(|e| format!(" (the PBX refused: {})", text_for_terminal(e)));
        format!("source {target} connected{since}{}", refused.unwrap_or_default())
    } else {
        let why = s.error.as_deref().map(|e| format!(" ({})", text_for_terminal(e))).unwrap_or_default();
        format!("source {target} down{since}, the floor is stale{why}")
    };
    if s.reconnects > 0 {
        let plural = if s.reconnects == 1 { "" } else { "s" };
        line.push_str(&format!("; {} reconnect{plural}", s.reconnects));
    }
    let skipped: Vec<String> = [(s.unknown, "unknown"), (s.malformed, "malformed"), (s.out_of_order, "out of order")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
    if !skipped.is_empty() {
        line.push_str(&format!("; {} events skipped", skipped.join(", ")));
    }
    line
}
