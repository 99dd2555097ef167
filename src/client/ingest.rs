//! `callfloor ingest`: lines read from stdin become feed commands (`utterance`, `call_tag`) sent with an ingest
//! token, over the same client task the console and `tail` use (connect, hello, reconnect with backoff).
//!
//! Plain mode: each non-empty line is one utterance on `--call`, by `--speaker`. JSON mode: each line is an object,
//! `{"call":"C-1","speaker":"caller","text":"…","lang":"zh"}` for a line (call, speaker and lang default to the
//! flags) or `{"call_tag":{"call":"C-1","intent":"billing"}}` for a tag, so one feeder can multiplex calls.
//!
//! Up to `window` commands are in flight at once; each gets its ack or error, and a refusal is written to stderr
//! as one sentence naming the input line. A `rate_limited` refusal is not the line's fault: the line is sent again
//! once the engine's rate limit has had time to refill.

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::time::Duration;

use anyhow::{Result, bail};
use tokio::sync::mpsc;

use super::{ClientConfig, ConnState, Outgoing, Update};
use crate::model::terminal::text_for_terminal;
use crate::model::{CallId, Command, ErrorCode, Lang, Role, Speaker};

/// How long to hold back after the engine said `rate_limited` (its bucket refills about 20 frames a second).
const RATE_PAUSE: Duration = Duration::from_millis(500);
/// Times one line is sent again after `rate_limited` before it counts as refused.
const RATE_RETRIES: u32 = 20;

/// How `ingest` reads its input.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// The call plain lines belong to (and JSON lines without a `call`).
    pub call: Option<CallId>,
    /// Who speaks plain lines (and JSON lines without a `speaker`).
    pub speaker: Speaker,
    /// The language of the lines, when known.
    pub lang: Option<Lang>,
    /// Lines are JSON objects.
    pub json: bool,
    /// Commands in flight at most (1: wait for each ack before the next line).
    pub window: usize,
}

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IngestSummary {
    /// Commands the engine accepted.
    pub accepted: u64,
    /// Lines refused (by the engine, or unreadable).
    pub refused: u64,
}

/// The command one input line asks for, or why it cannot be read.
pub fn command_for_line(line: &str, opts: &IngestOptions) -> Result<Command, String> {
    if !opts.json {
        let Some(call) = opts.call else {
            return Err("no call to feed: give --call C-1234, or use --json with a call on each line".into());
        };
        return Ok(Command::Utterance { call, speaker: opts.speaker, text: line.to_string(), lang: opts.lang });
    }
    let value: serde_json::Value = serde_json::from_str(line).map_err(|e| format!("not a JSON object ({e})"))?;
    let serde_json::Value::Object(mut obj) = value else {
        return Err("not a JSON object: write {\"call\":\"C-1\",\"text\":\"…\"} or {\"call_tag\":{…}}".into());
    };
    let mut cmd = if let Some(tag) = obj.remove("call_tag") {
        if !obj.is_empty() {
            return Err("a call_tag line holds only the call_tag object".into());
        }
        let serde_json::Value::Object(tag) = tag else { return Err("call_tag must be an object".into()) };
        tag
    } else {
        if !obj.contains_key("speaker") {
            obj.insert("speaker".into(), serde_json::to_value(opts.speaker).unwrap_or_default());
        }
        if let Some(lang) = opts.lang.filter(|_| !obj.contains_key("lang")) {
            obj.insert("lang".into(), serde_json::Value::from(lang.as_str()));
        }
        obj.insert("type".into(), "utterance".into());
        obj
    };
    if !cmd.contains_key("call")
        && let Some(call) = opts.call
    {
        cmd.insert("call".into(), serde_json::Value::from(call.to_string()));
    }
    cmd.entry("type").or_insert_with(|| "call_tag".into());
    serde_json::from_value(serde_json::Value::Object(cmd)).map_err(|e| e.to_string())
}

/// The lines of `reader` (stdin), read on a thread of their own, as a channel `run` can wait on alongside the
/// engine's frames. The channel ends after the last line or the first read error.
pub fn lines_of(reader: impl std::io::BufRead + Send + 'static) -> mpsc::Receiver<std::io::Result<String>> {
    let (tx, rx) = mpsc::channel(64);
    std::thread::spawn(move || {
        for line in reader.lines() {
            let failed = line.is_err();
            if tx.blocking_send(line).is_err() || failed {
                break;
            }
        }
    });
    rx
}

/// Feeds every line of `input` to the engine and waits for each answer. Refusals go to `status` (stderr), one
/// sentence each; the run fails when the engine cannot be reached for good (a refused token), when the token is
/// not an ingest token, or at the end when any line was refused.
pub async fn run(
    config: ClientConfig,
    opts: IngestOptions,
    mut input: mpsc::Receiver<std::io::Result<String>>,
    mut status: impl Write,
) -> Result<IngestSummary> {
    let (mut updates, commands) = super::spawn(config);
    // Welcome first: a wrong token or role is said once, before any line is read.
    loop {
        match updates.recv().await {
            None => bail!("the client stopped before the engine welcomed it"),
            Some(Update::Connection(ConnState::Failed { reason })) => {
                bail!("cannot connect: {}", text_for_terminal(&reason))
            }
            Some(Update::Connection(ConnState::Disconnected { reason, retry_in_ms })) => {
                let _ = writeln!(
                    status,
                    "callfloor ingest: {}; retrying in {:.1} s",
                    text_for_terminal(&reason),
                    retry_in_ms as f64 / 1000.0
                );
            }
            Some(Update::Welcome { role: Role::Ingest, .. }) => break,
            Some(Update::Welcome { role, user, .. }) => bail!(
                "the token is {}'s, of the {role} role: feeding lines needs an ingest token (role = \"ingest\" in the \
                 engine's tokens file)",
                text_for_terminal(&user)
            ),
            Some(_) => {}
        }
    }
    let mut line_no = 0u64;
    let mut eof = false;
    // In flight: id → (input line, command, rate-limited retries so far).
    let mut in_flight: HashMap<String, (u64, Command, u32)> = HashMap::new();
    let mut retry: VecDeque<(u64, Command, u32)> = VecDeque::new();
    let mut paused_until: Option<tokio::time::Instant> = None;
    let mut summary = IngestSummary::default();
    let window = opts.window.max(1);
    // While the link is down, lines wait in the pipe rather than being refused for want of a connection.
    let mut online = true;
    loop {
        let paused = !online || paused_until.is_some_and(|t| tokio::time::Instant::now() < t);
        // Lines sent again after `rate_limited` go first.
        while !paused
            && in_flight.len() < window
            && let Some((n, cmd, tries)) = retry.pop_front()
        {
            let id = format!("L{n}-{tries}");
            in_flight.insert(id.clone(), (n, cmd.clone(), tries));
            if commands.send(Outgoing::command(id, cmd)).await.is_err() {
                bail!("the client stopped while sending line {n}");
            }
        }
        if eof && in_flight.is_empty() && retry.is_empty() {
            break;
        }
        // The input is read alongside the engine's frames: a live feed may be quiet for minutes, and the client
        // must keep reading meanwhile.
        let can_read = !eof && !paused && in_flight.len() < window && retry.is_empty();
        let pause = async {
            match paused_until {
                Some(t) => tokio::time::sleep_until(t).await,
                None => std::future::pending().await,
            }
        };
        // The engine's news first: a lost link must be seen before another line is sent into it.
        tokio::select! {
            biased;
            u = updates.recv() => match u {
                None => bail!("the client stopped with {} lines unanswered", in_flight.len()),
                Some(Update::Ack { id }) => {
                    if in_flight.remove(&id).is_some() {
                        summary.accepted += 1;
                    }
                }
                Some(Update::Error { id: Some(id), code, message }) => {
                    let Some((n, cmd, tries)) = in_flight.remove(&id) else { continue };
                    if code == ErrorCode::RateLimited && tries < RATE_RETRIES {
                        retry.push_back((n, cmd, tries + 1));
                        paused_until = Some(tokio::time::Instant::now() + RATE_PAUSE);
                    } else {
                        summary.refused += 1;
                        let _ = writeln!(
                            status,
                            "callfloor ingest: line {n} refused ({}): {}",
                            code.as_str(),
                            text_for_terminal(&message)
                        );
                    }
                }
                Some(Update::Connection(ConnState::Failed { reason })) => {
                    bail!("cannot connect: {}", text_for_terminal(&reason))
                }
                Some(Update::Welcome { role: Role::Ingest, .. }) => online = true,
                Some(Update::Welcome { role, .. }) => {
                    bail!("the engine now gives this token the {role} role: feeding lines needs an ingest token")
                }
                Some(Update::Connection(ConnState::Disconnected { reason, retry_in_ms })) => {
                    online = false;
                    let _ = writeln!(
                        status,
                        "callfloor ingest: {}; retrying in {:.1} s",
                        text_for_terminal(&reason),
                        retry_in_ms as f64 / 1000.0
                    );
                    // Their answers went with the connection: not sent again, since a line the engine took would
                    // then be in the transcript twice.
                    let mut lost: Vec<u64> = in_flight.drain().map(|(_, (n, _, _))| n).collect();
                    lost.sort_unstable();
                    for n in lost {
                        summary.refused += 1;
                        let _ = writeln!(
                            status,
                            "callfloor ingest: line {n} unanswered: the connection was lost before the engine \
                             answered, so it may or may not have been fed"
                        );
                    }
                }
                Some(_) => {}
            },
            line = input.recv(), if can_read => match line {
                Some(Err(e)) => bail!("cannot read line {} of the input: {e}", line_no + 1),
                None => eof = true,
                Some(Ok(text)) => {
                    line_no += 1;
                    if text.trim().is_empty() {
                        continue;
                    }
                    match command_for_line(&text, &opts) {
                        Ok(cmd) => {
                            let id = format!("L{line_no}");
                            in_flight.insert(id.clone(), (line_no, cmd.clone(), 0));
                            if commands.send(Outgoing::command(id, cmd)).await.is_err() {
                                bail!("the client stopped while sending line {line_no}");
                            }
                        }
                        Err(why) => {
                            summary.refused += 1;
                            let _ = writeln!(status, "callfloor ingest: line {line_no} skipped: {why}");
                        }
                    }
                }
            },
            _ = pause => paused_until = None,
        }
    }
    let _ = status.flush();
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(json: bool) -> IngestOptions {
        IngestOptions { call: Some(CallId(7)), speaker: Speaker::Caller, lang: None, json, window: 8 }
    }

    #[test]
    fn plain_and_json_lines_become_feed_commands() {
        assert_eq!(
            command_for_line("my card was stolen", &opts(false)),
            Ok(Command::Utterance {
                call: CallId(7),
                speaker: Speaker::Caller,
                text: "my card was stolen".into(),
                lang: None
            })
        );
        let no_call = IngestOptions { call: None, ..opts(false) };
        assert!(command_for_line("hello", &no_call).is_err_and(|e| e.contains("--call")));
        assert_eq!(
            command_for_line(r#"{"call":"C-9","speaker":"agent","text":"稍等","lang":"zh"}"#, &opts(true)),
            Ok(Command::Utterance {
                call: CallId(9),
                speaker: Speaker::Agent,
                text: "稍等".into(),
                lang: Some(Lang::Zh)
            })
        );
        // The flags fill in what a JSON line leaves out.
        assert_eq!(
            command_for_line(r#"{"text":"hi"}"#, &IngestOptions { lang: Some(Lang::En), ..opts(true) }),
            Ok(Command::Utterance {
                call: CallId(7),
                speaker: Speaker::Caller,
                text: "hi".into(),
                lang: Some(Lang::En)
            })
        );
        assert_eq!(
            command_for_line(r#"{"call_tag":{"call":"C-3","intent":"billing","elderly":true}}"#, &opts(true)),
            Ok(Command::CallTag {
                call: CallId(3),
                intent: Some("billing".into()),
                lang: None,
                dialect: None,
                elderly: Some(true),
                survey: None
            })
        );
        assert!(command_for_line("not json", &opts(true)).is_err_and(|e| e.starts_with("not a JSON object")));
        assert!(
            command_for_line(r#"{"call_tag":{"call":"C-3","mood":1}}"#, &opts(true)).is_err_and(|e| e.contains("mood"))
        );
        assert!(command_for_line(r#"{"call":"C-1"}"#, &opts(true)).is_err_and(|e| e.contains("text")));
    }
}
