//! `callfloor tail` never hands the terminal what callers or supervisors typed as controls: a scripted engine sends
//! an utterance, a supervisor name and a server name full of C1 controls (U+009B is a CSI) and bidi overrides, and
//! tail's output holds none of them raw, while its JSON still parses back to the very same text.

use std::future::Future;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use callfloor::client::ClientConfig;
use callfloor::client::tail::{self, TailOptions};
use callfloor::model::*;
use callfloor::protocol::{self, ClientMsg};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

const TOKEN: &str = "supervisor-token-0001";

/// What a red team typed: a CSI as a C1 control (clear the screen, then red), DEL, a right-to-left override, an
/// isolate, and a plain escape sequence for good measure.
const HOSTILE: &str = "refund \u{9b}2J\u{9b}31mnow\u{7f} \u{202e}dlrow\u{202c} \u{2067}x\u{2069} \u{1b}[5m!";

async fn guard<T>(what: &str, f: impl Future<Output = T>) -> T {
    match tokio::time::timeout(Duration::from_secs(30), f).await {
        Ok(v) => v,
        Err(_) => panic!("timed out: {what}"),
    }
}

/// A writer that keeps what it gets and reports a closed pipe once it holds `lines` lines.
#[derive(Clone, Default)]
struct Pipe {
    buf: Arc<Mutex<Vec<u8>>>,
    lines: usize,
}

impl Pipe {
    fn bytes(&self) -> Vec<u8> {
        self.buf.lock().map(|b| b.clone()).unwrap_or_default()
    }
}

impl Write for Pipe {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let Ok(mut b) = self.buf.lock() else { return Err(std::io::ErrorKind::Other.into()) };
        if self.lines > 0 && b.iter().filter(|c| **c == b'\n').count() >= self.lines {
            return Err(std::io::ErrorKind::BrokenPipe.into());
        }
        b.extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Bytes a terminal would act on: C0 controls but the newline, DEL, C1 controls as UTF-8 (C2 80..C2 9F), and the
/// bidi embeddings, overrides (E2 80 AA..AE) and isolates (E2 81 A6..A9).
fn acts_on_terminal(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    text.chars()
        .find(|c| (c.is_control() && *c != '\n') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
        .map(|c| format!("U+{:04X} in {text:?}", c as u32))
}

#[tokio::test]
async fn tail_escapes_c1_controls_and_bidi_overrides_and_its_json_still_reads_the_same() {
    let Ok(listener) = TcpListener::bind("127.0.0.1:0").await else { panic!("cannot bind") };
    let Ok(addr) = listener.local_addr() else { panic!("no address") };
    let mut config = ClientConfig::new(format!("ws://{addr}"), TOKEN);
    config.backoff_initial = Duration::from_millis(10);
    // Two event lines: the second write finds the pipe closed, and tail ends as when its reader leaves.
    let out = Pipe { lines: 2, ..Pipe::default() };
    let status = Pipe::default();
    let run = tokio::spawn(tail::run(config, TailOptions::default(), out.clone(), status.clone()));

    let Ok((tcp, _)) = guard("tail connects", listener.accept()).await else { panic!("accept failed") };
    let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else { panic!("handshake failed") };
    match guard("hello", ws.next()).await {
        Some(Ok(Message::Text(t))) => assert!(matches!(protocol::decode_client(&t), Ok(ClientMsg::Hello { .. }))),
        other => panic!("tail said {other:?} instead of hello"),
    }
    let welcome = serde_json::json!({
        "type": "welcome", "protocol": 1, "role": "supervisor", "server": format!("engine {HOSTILE}"), "user": HOSTILE,
    });
    let call = CallId(1042);
    let said = |by: Option<String>, emotion: Option<Emotion>| Event {
        at: chrono::DateTime::UNIX_EPOCH,
        kind: EventKind::Utterance {
            call,
            speaker: Speaker::Caller,
            text: HOSTILE.into(),
            sentiment: -0.5,
            emotion,
            whisper: false,
            by,
        },
    };
    let events = vec![said(None, None), said(Some(HOSTILE.into()), Some(Emotion::Anger)), said(None, None)];
    for frame in
        [welcome.to_string(), protocol::encode_snapshot(&Floor::default()), protocol::encode_events(0, &events)]
    {
        assert!(ws.send(Message::text(frame)).await.is_ok());
    }
    let r = guard("tail to stop at the closed pipe", run).await;
    assert!(matches!(r, Ok(Ok(()))), "{r:?}");

    // stdout: JSON lines with nothing a terminal acts on, and the very same text once parsed.
    let printed = out.bytes();
    assert_eq!(acts_on_terminal(&printed), None, "tail printed a control or bidi override raw");
    let text = String::from_utf8_lossy(&printed);
    let lines: Vec<serde_json::Value> = text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0]["text"], HOSTILE, "the escapes are JSON's own: the text reads back unchanged");
    assert_eq!(lines[1]["by"], HOSTILE);
    assert_eq!(lines[1]["emotion"], "anger", "tail shows a line's emotion");
    assert!(lines[0].get("emotion").is_none(), "and leaves it out when there is none: {text}");
    assert!(text.contains("\\u009b2J") && text.contains("\\u202e"), "{text}");
    // stderr: the status line shows what it cannot print as escapes.
    let said = status.bytes();
    assert_eq!(acts_on_terminal(&said), None, "tail's status line printed a control raw");
    let said = String::from_utf8_lossy(&said);
    assert!(said.contains("connected to engine refund \\u{9b}2J\\u{9b}31mnow\\u{7f} \\u{202e}dlrow"), "{said}");
}

#[test]
fn serde_json_escapes_c0_but_not_c1_controls_nor_bidi_overrides() {
    // Why tail escapes them itself: serde_json writes U+009B and U+202E as they are.
    let Ok(json) = serde_json::to_string("\u{1b}\u{9b}\u{202e}") else { panic!("a string serializes") };
    assert!(json.contains("\\u001b"), "{json}");
    assert!(json.contains('\u{9b}') && json.contains('\u{202e}'), "{json}");
    let safe = tail::json_for_terminal(&json);
    assert_eq!(safe, "\"\\u001b\\u009b\\u202e\"");
    assert_eq!(serde_json::from_str::<String>(&safe).ok().as_deref(), Some("\u{1b}\u{9b}\u{202e}"));
}

/// A PBX-fed engine's metrics carry `source`: tail says on stderr when the link comes up, goes down and comes back
/// (not every second), and its `--metrics` lines carry the whole status.
#[tokio::test]
async fn tail_prints_a_source_line_when_the_pbx_link_changes_and_metrics_carry_it() {
    let Ok(listener) = TcpListener::bind("127.0.0.1:0").await else { panic!("cannot bind") };
    let Ok(addr) = listener.local_addr() else { panic!("no address") };
    let mut config = ClientConfig::new(format!("ws://{addr}"), TOKEN);
    config.backoff_initial = Duration::from_millis(10);
    // Four metrics lines; the fifth write finds the pipe closed and tail ends.
    let out = Pipe { lines: 4, ..Pipe::default() };
    let status = Pipe::default();
    let opts = TailOptions { metrics: true, ..TailOptions::default() };
    let run = tokio::spawn(tail::run(config, opts, out.clone(), status.clone()));

    let Ok((tcp, _)) = guard("tail connects", listener.accept()).await else { panic!("accept failed") };
    let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else { panic!("handshake failed") };
    let _hello = guard("hello", ws.next()).await;
    let welcome = serde_json::json!({
        "type": "welcome", "protocol": 1, "role": "viewer", "server": "engine", "user": "wall",
    });
    let at = |h: u32, m: u32, s: u32| {
        use chrono::TimeZone;
        chrono::Utc.with_ymd_and_hms(2026, 1, 5, h, m, s).single()
    };
    let up = SourceStatus {
        kind: "ami".into(),
        target: "10.0.0.5:5038".into(),
        connected: true,
        since: at(7, 58, 12),
        frames: 100,
        ..SourceStatus::default()
    };
    let busier = SourceStatus { frames: 900, ..up.clone() };
    let down =
        SourceStatus { connected: false, since: at(8, 1, 2), error: Some("connection refused".into()), ..up.clone() };
    let back = SourceStatus { since: at(8, 1, 40), reconnects: 1, unknown: 3, out_of_order: 1, ..up.clone() };
    let mut frames = vec![welcome.to_string(), protocol::encode_snapshot(&Floor::default())];
    for s in [&up, &busier, &down, &back, &back] {
        let m = FloorMetrics { window_s: 900, source: Some(s.clone()), ..FloorMetrics::default() };
        frames.push(protocol::encode_metrics(&m));
    }
    for frame in frames {
        assert!(ws.send(Message::text(frame)).await.is_ok());
    }
    let r = guard("tail to stop at the closed pipe", run).await;
    assert!(matches!(r, Ok(Ok(()))), "{r:?}");

    let said = String::from_utf8_lossy(&status.bytes()).into_owned();
    let lines: Vec<&str> = said.lines().filter(|l| l.contains("source")).collect();
    assert_eq!(
        lines,
        vec![
            "callfloor tail: source ami 10.0.0.5:5038 connected since 07:58:12",
            "callfloor tail: source ami 10.0.0.5:5038 down since 08:01:02, the floor is stale (connection refused)",
            "callfloor tail: source ami 10.0.0.5:5038 connected since 08:01:40; 1 reconnect; 3 unknown, 1 out of order \
             events skipped",
        ],
        "a line when the link changes, not for every frame: {said}"
    );
    let printed = String::from_utf8_lossy(&out.bytes()).into_owned();
    let connected: Vec<serde_json::Value> = printed
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| v["source"]["connected"].clone())
        .collect();
    assert_eq!(connected, vec![true, true, false, true], "{printed}");
}
