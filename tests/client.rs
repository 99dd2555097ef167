//! The client against scripted servers (gaps, refusals, reconnects) and `tail` against a live engine.

use std::future::Future;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use callfloor::client::tail::{self, TailOptions};
use callfloor::client::{self, ClientConfig, ConnState, Outgoing, Update};
use callfloor::engine::Engine;
use callfloor::engine::server::{self, Pacing, ServerConfig, ServerHandle, TokenEntry, Tokens};
use callfloor::engine::sim::scenario::Scenario;
use callfloor::model::*;
use callfloor::protocol::{self, ClientMsg};
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

const GUARD: Duration = Duration::from_secs(30);
const TOKEN: &str = "supervisor-token-0001";

async fn guard<T>(what: &str, f: impl Future<Output = T>) -> T {
    match tokio::time::timeout(GUARD, f).await {
        Ok(v) => v,
        Err(_) => panic!("timed out: {what}"),
    }
}

async fn next_update(rx: &mut mpsc::Receiver<Update>) -> Update {
    let Some(u) = guard("an update", rx.recv()).await else { panic!("the client task ended") };
    u
}

fn quick(url: String) -> ClientConfig {
    let mut c = ClientConfig::new(url, TOKEN);
    c.backoff_initial = Duration::from_millis(10);
    c.backoff_max = Duration::from_millis(40);
    c
}

async fn listen() -> (TcpListener, String) {
    let Ok(l) = TcpListener::bind("127.0.0.1:0").await else { panic!("cannot bind") };
    let Ok(addr) = l.local_addr() else { panic!("no address") };
    (l, format!("ws://{addr}"))
}

async fn accept_ws(l: &TcpListener) -> WebSocketStream<TcpStream> {
    let Ok((tcp, _)) = guard("a connection", l.accept()).await else { panic!("accept failed") };
    let Ok(ws) = tokio_tungstenite::accept_async(tcp).await else { panic!("handshake failed") };
    ws
}

async fn read_client(ws: &mut WebSocketStream<TcpStream>) -> ClientMsg {
    loop {
        match guard("a client frame", ws.next()).await {
            Some(Ok(Message::Text(t))) => match protocol::decode_client(&t) {
                Ok(m) => return m,
                Err(e) => panic!("the client sent a bad frame {t}: {e}"),
            },
            Some(Ok(_)) => {}
            other => panic!("the client went away: {other:?}"),
        }
    }
}

async fn send_text(ws: &mut WebSocketStream<TcpStream>, text: String) {
    assert!(ws.send(Message::text(text)).await.is_ok());
}

fn tick(n: usize) -> Vec<Event> {
    (0..n).map(|_| Event { at: chrono::DateTime::UNIX_EPOCH, kind: EventKind::Tick }).collect()
}

/// A welcome as a server from before the floor identity sends it (no `floor`).
fn welcome() -> String {
    r#"{"type":"welcome","protocol":1,"role":"supervisor","server":"scripted","user":"ana"}"#.to_string()
}

#[tokio::test]
async fn a_gap_in_seq_asks_for_a_fresh_snapshot() {
    let (listener, url) = listen().await;
    let (mut updates, _commands) = client::spawn(quick(url));
    let mut ws = accept_ws(&listener).await;
    assert!(matches!(read_client(&mut ws).await, ClientMsg::Hello { protocol: 1, ref token } if token == TOKEN));
    send_text(&mut ws, welcome()).await;
    send_text(&mut ws, protocol::encode_snapshot(&Floor { seq: 5, ..Floor::default() })).await;
    send_text(&mut ws, protocol::encode_events(5, &tick(2))).await;
    send_text(&mut ws, protocol::encode_events(6, &tick(3))).await; // overlaps: only 7 and 8 are new
    send_text(&mut ws, protocol::encode_events(12, &tick(1))).await; // 9..12 missing
    assert_eq!(read_client(&mut ws).await, ClientMsg::Resync, "the gap makes the client ask for a snapshot");
    send_text(&mut ws, protocol::encode_events(13, &tick(1))).await; // still no snapshot: dropped
    send_text(&mut ws, protocol::encode_snapshot(&Floor { seq: 20, ..Floor::default() })).await;
    send_text(&mut ws, protocol::encode_events(20, &tick(1))).await;

    assert_eq!(next_update(&mut updates).await, Update::Connection(ConnState::Connecting { attempt: 1 }));
    assert!(
        matches!(next_update(&mut updates).await, Update::Welcome { role: Role::Supervisor, floor: None, .. }),
        "a welcome without a floor identity is taken"
    );
    assert_eq!(next_update(&mut updates).await, Update::Connection(ConnState::Connected));
    let mut got = Vec::new();
    while got.len() < 5 {
        match next_update(&mut updates).await {
            Update::Snapshot { seq, .. } => got.push(format!("snapshot {seq}")),
            Update::Events { from_seq, events } => got.push(format!("events {from_seq}+{}", events.len())),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(got, ["snapshot 5", "events 5+2", "events 7+2", "snapshot 20", "events 20+1"]);
}

#[tokio::test]
async fn commands_while_offline_are_refused_at_once() {
    let (listener, url) = listen().await;
    let mut cfg = quick(url);
    // Long enough that the client is surely still waiting when the command comes.
    cfg.backoff_initial = Duration::from_secs(60);
    cfg.backoff_max = Duration::from_secs(60);
    let (mut updates, commands) = client::spawn(cfg);
    drop(accept_ws(&listener).await);
    assert_eq!(next_update(&mut updates).await, Update::Connection(ConnState::Connecting { attempt: 1 }));
    let Update::Connection(ConnState::Disconnected { retry_in_ms, .. }) = next_update(&mut updates).await else {
        panic!("the client reports the loss")
    };
    assert!((30_000..=60_000).contains(&retry_in_ms), "jittered in [half, all] of the delay: {retry_in_ms}");
    let out = Outgoing::command("c-9", Command::Leave { call: CallId(1) });
    assert!(commands.send(out).await.is_ok());
    let Update::Error { id, code, message } = next_update(&mut updates).await else { panic!("refused offline") };
    assert_eq!((id.as_deref(), code), (Some("c-9"), ErrorCode::Conflict));
    assert!(message.contains("not connected"), "{message}");
}

#[tokio::test]
async fn a_lost_connection_is_retried_and_welcomed() {
    let (listener, url) = listen().await;
    let (mut updates, _commands) = client::spawn(quick(url));
    // The first connection is dropped right after the handshake; the second is welcomed.
    drop(accept_ws(&listener).await);
    assert_eq!(next_update(&mut updates).await, Update::Connection(ConnState::Connecting { attempt: 1 }));
    assert!(matches!(next_update(&mut updates).await, Update::Connection(ConnState::Disconnected { .. })));
    let mut ws = accept_ws(&listener).await;
    assert!(matches!(read_client(&mut ws).await, ClientMsg::Hello { .. }));
    send_text(&mut ws, welcome()).await;
    assert_eq!(next_update(&mut updates).await, Update::Connection(ConnState::Connecting { attempt: 2 }));
    assert!(matches!(next_update(&mut updates).await, Update::Welcome { .. }));
    assert_eq!(next_update(&mut updates).await, Update::Connection(ConnState::Connected));
    // Lost after a welcome: the count starts again at 1.
    drop(ws);
    assert!(matches!(next_update(&mut updates).await, Update::Connection(ConnState::Disconnected { .. })));
    drop(accept_ws(&listener).await);
    assert_eq!(next_update(&mut updates).await, Update::Connection(ConnState::Connecting { attempt: 1 }));
}

#[tokio::test]
async fn backoff_grows_while_the_engine_stays_away() {
    let (listener, url) = listen().await;
    let (mut updates, _commands) = client::spawn(quick(url));
    let mut delays = Vec::new();
    for attempt in 1..=4u32 {
        drop(accept_ws(&listener).await);
        assert_eq!(next_update(&mut updates).await, Update::Connection(ConnState::Connecting { attempt }));
        let Update::Connection(ConnState::Disconnected { retry_in_ms, .. }) = next_update(&mut updates).await else {
            panic!("the client reports the loss")
        };
        delays.push(retry_in_ms);
    }
    // 10 ms doubling, capped at 40 ms, each drawn from [half, all].
    let caps = [10u64, 20, 40, 40];
    for (d, cap) in delays.iter().zip(caps) {
        assert!(*d >= cap / 2 && *d <= cap, "delays {delays:?} against caps {caps:?}");
    }
}

#[tokio::test]
async fn a_wrong_token_fails_for_good() {
    let (listener, url) = listen().await;
    let (mut updates, _commands) = client::spawn(quick(url));
    let mut ws = accept_ws(&listener).await;
    assert!(matches!(read_client(&mut ws).await, ClientMsg::Hello { .. }));
    send_text(&mut ws, protocol::encode_error(None, ErrorCode::Unauthorized, "the token is not valid")).await;
    assert_eq!(next_update(&mut updates).await, Update::Connection(ConnState::Connecting { attempt: 1 }));
    assert_eq!(
        next_update(&mut updates).await,
        Update::Connection(ConnState::Failed { reason: "the token is not valid".into() })
    );
    assert!(guard("the end of updates", updates.recv()).await.is_none(), "the client stops after failing");
}

async fn live_server() -> ServerHandle {
    let tokens =
        Tokens::from_entries(vec![TokenEntry { name: "ana".into(), token: TOKEN.into(), role: Role::Supervisor }]);
    let Ok(scenario) = Scenario::load("bank") else { panic!("bank must load") };
    let (listener, _) = listen().await;
    match server::serve(listener, Engine::new(scenario, 3), ServerConfig::new(tokens, Pacing::Manual)).await {
        Ok(s) => s,
        Err(e) => panic!("server: {e:#}"),
    }
}

/// A writer that keeps what it gets and reports a closed pipe after `lines` lines.
#[derive(Clone)]
struct Pipe {
    buf: Arc<Mutex<Vec<u8>>>,
    lines: usize,
}

impl Write for Pipe {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let Ok(mut b) = self.buf.lock() else { return Err(std::io::ErrorKind::Other.into()) };
        if b.iter().filter(|c| **c == b'\n').count() >= self.lines {
            return Err(std::io::ErrorKind::BrokenPipe.into());
        }
        b.extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `tail` against a live server until it has printed 200 lines; returns them parsed.
async fn tail_lines(opts: TailOptions) -> Vec<serde_json::Value> {
    let server = live_server().await;
    let pipe = Pipe { buf: Arc::new(Mutex::new(Vec::new())), lines: 200 };
    let run = tokio::spawn(tail::run(quick(server.url()), opts, pipe.clone(), std::io::sink()));
    for _ in 0..100 {
        if run.is_finished() {
            break;
        }
        let Ok(_) = guard("advance", server.advance(chrono::Duration::seconds(60), chrono::Duration::seconds(1))).await
        else {
            panic!("advance")
        };
        tokio::task::yield_now().await;
    }
    let r = guard("tail to stop at the closed pipe", run).await;
    assert!(matches!(r, Ok(Ok(()))), "tail ends quietly when its reader leaves: {r:?}");
    let Ok(buf) = pipe.buf.lock() else { panic!("lock") };
    let text = String::from_utf8_lossy(&buf);
    let lines: Vec<serde_json::Value> = text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    assert_eq!(lines.len(), 200, "every line is one JSON object");
    assert!(lines.iter().all(|l| l["type"].is_string() && l["at"].is_string()));
    lines
}

#[tokio::test]
async fn tail_prints_events_as_json_lines_with_their_seq() {
    let lines = tail_lines(TailOptions { ticks: true, ..TailOptions::default() }).await;
    let seqs: Vec<u64> = lines.iter().filter_map(|l| l["seq"].as_u64()).collect();
    assert_eq!(seqs.len(), 200);
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "with ticks the stream is every seq in order");
}

#[tokio::test]
async fn tail_leaves_out_ticks_unless_asked() {
    let lines = tail_lines(TailOptions::default()).await;
    assert!(lines.iter().all(|l| l["type"] != "tick"), "ticks are clock only: left out by default");
    let seqs: Vec<u64> = lines.iter().filter_map(|l| l["seq"].as_u64()).collect();
    assert!(seqs.windows(2).all(|w| w[1] > w[0]), "seqs still rise");
}

#[tokio::test]
async fn tail_once_prints_one_snapshot() {
    let server = live_server().await;
    let Ok(seq) = server.advance(chrono::Duration::minutes(5), chrono::Duration::seconds(1)).await else {
        panic!("advance")
    };
    let mut out = Vec::new();
    let opts = TailOptions { once: true, ..TailOptions::default() };
    let r = guard("tail --once", tail::run(quick(server.url()), opts, &mut out, std::io::sink())).await;
    assert!(r.is_ok(), "{r:?}");
    let text = String::from_utf8_lossy(&out);
    assert_eq!(text.lines().count(), 1);
    let Ok(protocol::ServerMsg::Snapshot { seq: s, floor }) = protocol::decode_server(text.trim()) else {
        panic!("one snapshot frame: {text}")
    };
    assert_eq!((s, floor.seq), (seq, seq));

    // The binary does the same, reading the token from the environment.
    let url = server.url();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_callfloor"))
            .args(["tail", "--once", "--url", &url])
            .env("CALLFLOOR_TOKEN", TOKEN)
            .output()
    })
    .await;
    let Ok(Ok(out)) = out else { panic!("cannot run callfloor tail") };
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with(&format!(r#"{{"type":"snapshot","seq":{seq},"floor":{{"#)), "{text:.200}");
}
