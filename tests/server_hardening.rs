//! The server against misuse (issue 8, point 7): texts a client adds are bounded, one token or address cannot
//! hold every place, viewers leave a share to supervisors, connections that never say hello are capped and small,
//! a client that stops reading is dropped, wrong tokens back their address off, and refused commands cannot
//! flush the audit list. A live server on 127.0.0.1:0 stepped by hand (`Pacing::Manual`); the policies
//! themselves (caps, backoff with an injected clock) have unit tests next to their code.

use std::future::Future;
use std::time::Duration;

use callfloor::client::{self, ClientConfig, ConnState, Mirror, Outgoing, Update};
use callfloor::engine::Engine;
use callfloor::engine::server::{self, Limits, Pacing, ServerConfig, ServerHandle, TokenEntry, Tokens};
use callfloor::engine::sim::scenario::Scenario;
use callfloor::model::*;
use callfloor::protocol::close;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const GUARD: Duration = Duration::from_secs(30);
const SUP: &str = "supervisor-token-0001";
const VIEWER: &str = "viewer-token-0000001";

fn tokens() -> Tokens {
    let e = |name: &str, token: &str, role| TokenEntry { name: name.into(), token: token.into(), role };
    Tokens::from_entries(vec![e("ana", SUP, Role::Supervisor), e("val", VIEWER, Role::Viewer)])
}

fn engine() -> Engine {
    let Ok(s) = Scenario::load("bank") else { panic!("the bundled bank scenario must load") };
    Engine::new(s, 7)
}

async fn start_with(limits: Limits) -> ServerHandle {
    let Ok(listener) = TcpListener::bind("127.0.0.1:0").await else { panic!("cannot bind a loopback port") };
    let mut cfg = ServerConfig::new(tokens(), Pacing::Manual);
    cfg.limits = limits;
    match server::serve(listener, engine(), cfg).await {
        Ok(s) => s,
        Err(e) => panic!("the server must start: {e:#}"),
    }
}

async fn guard<T>(what: &str, f: impl Future<Output = T>) -> T {
    match tokio::time::timeout(GUARD, f).await {
        Ok(v) => v,
        Err(_) => panic!("timed out: {what}"),
    }
}

async fn advance(server: &ServerHandle, secs: i64) -> u64 {
    let (by, step) = (chrono::Duration::seconds(secs), chrono::Duration::seconds(1));
    let Ok(seq) = guard("advance", server.advance(by, step)).await else { panic!("advance failed") };
    seq
}

async fn engine_floor(server: &ServerHandle) -> Floor {
    let Ok(f) = guard("floor", server.floor()).await else { panic!("the engine must answer with its floor") };
    f
}

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn raw(url: &str) -> Ws {
    let Ok(Ok((ws, _))) = tokio::time::timeout(GUARD, tokio_tungstenite::connect_async(url)).await else {
        panic!("cannot open a WebSocket to {url}")
    };
    ws
}

async fn send_json(ws: &mut Ws, v: Value) {
    assert!(guard("send", ws.send(Message::text(v.to_string()))).await.is_ok(), "sending a frame failed");
}

async fn next_json(ws: &mut Ws) -> Value {
    loop {
        match guard("a frame from the server", ws.next()).await {
            Some(Ok(Message::Text(t))) => {
                let Ok(v) = serde_json::from_str::<Value>(&t) else { panic!("the server sent invalid JSON: {t}") };
                return v;
            }
            Some(Ok(Message::Close(f))) => panic!("the server closed the connection: {f:?}"),
            Some(Ok(_)) => {}
            other => panic!("the connection ended: {other:?}"),
        }
    }
}

/// The next ack or error (events, metrics and snapshots are skipped).
async fn next_reply(ws: &mut Ws) -> Value {
    guard("an ack or error", async {
        loop {
            let v = next_json(ws).await;
            if matches!(v["type"].as_str(), Some("ack" | "error")) {
                return v;
            }
        }
    })
    .await
}

async fn hello(url: &str, token: &str) -> Ws {
    let mut ws = raw(url).await;
    send_json(&mut ws, json!({"type": "hello", "protocol": 1, "token": token})).await;
    let welcome = next_json(&mut ws).await;
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    assert_eq!(next_json(&mut ws).await["type"], "snapshot");
    ws
}

/// Reads until the server's close frame: its code, its reason and the error frames before it.
async fn closed(ws: &mut Ws) -> (u16, String, Vec<Value>) {
    guard("the server's close frame", closed_unguarded(ws)).await
}

async fn closed_unguarded(ws: &mut Ws) -> (u16, String, Vec<Value>) {
    let mut errors = Vec::new();
    loop {
        match ws.next().await {
            Some(Ok(Message::Close(Some(f)))) => return (u16::from(f.code), f.reason.to_string(), errors),
            Some(Ok(Message::Close(None))) => panic!("the server closed without a code"),
            Some(Ok(Message::Text(t))) => {
                let v: Value = serde_json::from_str(&t).unwrap_or(Value::Null);
                if v["type"] == "error" {
                    errors.push(v);
                }
            }
            Some(Ok(_)) => {}
            other => panic!("the connection ended without a close frame: {other:?}"),
        }
    }
}

/// Says hello with `token` and expects a refusal: returns the error frame's code and message, the close code and
/// the close reason.
async fn refused_hello(url: &str, token: &str) -> (String, String, u16, String) {
    let mut ws = raw(url).await;
    send_json(&mut ws, json!({"type": "hello", "protocol": 1, "token": token})).await;
    let (code, reason, errors) = closed(&mut ws).await;
    let Some(e) = errors.first() else { panic!("a refusal comes with an error frame (close {code} {reason})") };
    (e["code"].as_str().unwrap_or("").to_string(), e["message"].as_str().unwrap_or("").to_string(), code, reason)
}

/// Steps the engine until the floor has an open ticket and a connected call.
async fn ticket_and_call(server: &ServerHandle) -> (TicketId, CallId) {
    for _ in 0..360 {
        let f = engine_floor(server).await;
        let ticket = f.tickets.values().find(|t| t.status != TicketStatus::Resolved).map(|t| t.id);
        let call = f.calls.values().find(|c| c.state == CallState::Connected).map(|c| c.id);
        if let (Some(t), Some(c)) = (ticket, call) {
            return (t, c);
        }
        advance(server, 10).await;
    }
    panic!("no open ticket and connected call within an hour of floor time");
}

fn command(id: &str, command: Value) -> Value {
    json!({"type": "command", "id": id, "command": command})
}

#[tokio::test]
async fn an_over_long_note_or_line_is_refused_and_one_at_the_limit_is_kept() {
    let server = start_with(Limits::default()).await;
    let (ticket, call) = ticket_and_call(&server).await;
    let mut ws = hello(&server.url(), SUP).await;

    // The red team's 60 KB note: refused, and the ticket does not grow.
    let note = "n".repeat(60_000);
    send_json(&mut ws, command("n-1", json!({"type": "note", "ticket": ticket.to_string(), "text": note}))).await;
    let r = next_reply(&mut ws).await;
    assert_eq!((r["code"].as_str(), r["id"].as_str()), (Some("bad_frame"), Some("n-1")), "{r}");
    assert_eq!(
        r["message"], "the note is 60,000 characters long, over the limit of 2,000: split it into several notes",
        "one sentence: how long, the limit, what to do"
    );
    for (i, kind, field) in [(2, "escalate", "note"), (3, "resolve", "note")] {
        let c = json!({"type": kind, "ticket": ticket.to_string(), field: "e".repeat(NOTE_MAX_CHARS + 1)});
        send_json(&mut ws, command(&format!("n-{i}"), c)).await;
        let r = next_reply(&mut ws).await;
        assert_eq!(r["code"], "bad_frame", "{kind}: {r}");
        assert!(r["message"].as_str().is_some_and(|m| m.contains("2,001 characters long")), "{r}");
    }
    let t = &engine_floor(&server).await.tickets[&ticket];
    assert!(t.notes.is_empty() && t.status != TicketStatus::Resolved, "nothing over the limit reached the ticket");

    // A note of exactly 2,000 characters (Chinese: 6,000 bytes) is a note.
    let fits = "多".repeat(NOTE_MAX_CHARS);
    send_json(&mut ws, command("n-4", json!({"type": "note", "ticket": ticket.to_string(), "text": fits}))).await;
    assert_eq!(next_reply(&mut ws).await["type"], "ack");
    let notes = &engine_floor(&server).await.tickets[&ticket].notes;
    assert_eq!(notes.iter().map(|n| n.text.chars().count()).collect::<Vec<_>>(), vec![NOTE_MAX_CHARS]);

    // A line said into a call: 500 characters at most.
    send_json(&mut ws, command("s-0", json!({"type": "barge", "call": call.to_string()}))).await;
    assert_eq!(next_reply(&mut ws).await["type"], "ack");
    let long = "s".repeat(SAY_MAX_CHARS + 1);
    send_json(&mut ws, command("s-1", json!({"type": "say", "call": call.to_string(), "text": long}))).await;
    let r = next_reply(&mut ws).await;
    assert_eq!(r["code"], "bad_frame", "{r}");
    assert!(r["message"].as_str().is_some_and(|m| m.contains("501 characters long, over the limit of 500")), "{r}");
    let fits = "s".repeat(SAY_MAX_CHARS);
    send_json(&mut ws, command("s-2", json!({"type": "say", "call": call.to_string(), "text": fits}))).await;
    assert_eq!(next_reply(&mut ws).await["type"], "ack");
    let lines = &engine_floor(&server).await.calls[&call].transcript;
    let said: Vec<usize> =
        lines.iter().filter(|l| l.speaker == Speaker::Supervisor).map(|l| l.text.chars().count()).collect();
    assert_eq!(said, vec![SAY_MAX_CHARS]);
}

#[tokio::test]
async fn one_token_cannot_hold_more_than_its_connections() {
    let server = start_with(Limits { max_per_token: 2, ..Limits::default() }).await;
    let url = server.url();
    let _a = hello(&url, VIEWER).await;
    let _b = hello(&url, VIEWER).await;
    let (code, message, close_code, reason) = refused_hello(&url, VIEWER).await;
    assert_eq!((code.as_str(), close_code), ("rate_limited", close::POLICY));
    assert_eq!(
        message,
        "val has 2 connections open, the most one token may have: close one (or ask the operator for a token of your own)"
    );
    assert!(reason.starts_with("val has 2 connections open"), "the close reason says why too: {reason}");
    // Another token is not affected.
    let _c = hello(&url, SUP).await;
}

#[tokio::test]
async fn viewers_cannot_take_the_places_kept_for_supervisors_and_admins() {
    let server = start_with(Limits { max_clients: 3, staff_reserved: 1, ..Limits::default() }).await;
    let url = server.url();
    let _v1 = hello(&url, VIEWER).await;
    let _v2 = hello(&url, VIEWER).await;
    let (code, message, close_code, _) = refused_hello(&url, VIEWER).await;
    assert_eq!((code.as_str(), close_code), ("rate_limited", close::POLICY));
    assert!(message.contains("the last 1 of 3 places are kept for supervisors and admins"), "{message}");
    // The kept place is there for the supervisor.
    let _sup = hello(&url, SUP).await;
    assert_eq!(server.stats().clients, 3);
}

#[tokio::test]
async fn connections_over_the_pre_hello_cap_are_closed_at_once() {
    let server = start_with(Limits { max_pending_hello: 2, ..Limits::default() }).await;
    let url = server.url();
    // Two connections open the WebSocket and say nothing: they hold the two places.
    let mut quiet = raw(&url).await;
    let _quiet2 = raw(&url).await;
    // The third is closed before its handshake.
    let third = guard("the third connection", tokio_tungstenite::connect_async(url.as_str())).await;
    assert!(third.is_err(), "a connection over the cap of connections waiting for hello is closed at once");
    // A hello frees a place: the next connection is served.
    send_json(&mut quiet, json!({"type": "hello", "protocol": 1, "token": SUP})).await;
    assert_eq!(next_json(&mut quiet).await["type"], "welcome");
    let _next = hello(&url, VIEWER).await;
}

#[tokio::test]
async fn a_client_that_sends_too_much_before_hello_is_closed_with_1009() {
    let server = start_with(Limits { pre_hello_bytes: 1024, ..Limits::default() }).await;
    let mut ws = raw(&server.url()).await;
    // 2,000 bytes, well under the 64 KiB frame limit of a client that said hello.
    let padding = "p".repeat(2000);
    send_json(&mut ws, json!({"type": "hello", "protocol": 1, "token": SUP, "padding": padding})).await;
    let (code, reason, _) = closed(&mut ws).await;
    assert_eq!((code, reason.as_str()), (close::TOO_BIG, "more than 1024 bytes before hello"));
    // After hello the full frame size is allowed.
    let mut ws = hello(&server.url(), SUP).await;
    let note = "q".repeat(NOTE_MAX_CHARS);
    send_json(&mut ws, command("c-1", json!({"type": "note", "ticket": "T-999999", "text": note}))).await;
    assert_eq!(next_reply(&mut ws).await["code"], "not_found");
}

/// A WebSocket client by hand: it says hello and then takes every byte the server sends without ever answering,
/// as a client does that stopped reading (however much the socket buffers on the way would hold). Returns what it
/// read until the server closed the connection.
async fn hello_and_never_answer(addr: std::net::SocketAddr, token: &str) -> Vec<u8> {
    let Ok(mut tcp) = TcpStream::connect(addr).await else { panic!("cannot connect to {addr}") };
    let upgrade = format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    let hello = json!({"type": "hello", "protocol": 1, "token": token}).to_string();
    assert!(hello.len() < 126);
    // A final text frame, masked with the key 0 (so the payload goes as it is).
    let mut frame = vec![0x81, 0x80 | hello.len() as u8, 0, 0, 0, 0];
    frame.extend_from_slice(hello.as_bytes());
    // The server takes no frame before it answered the upgrade.
    assert!(tcp.write_all(upgrade.as_bytes()).await.is_ok());
    let mut got = Vec::new();
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        let mut buf = [0u8; 1024];
        match guard("the upgrade's answer", tcp.read(&mut buf)).await {
            Ok(n) if n > 0 => got.extend_from_slice(&buf[..n]),
            other => panic!("the upgrade was not answered: {other:?}"),
        }
    }
    assert!(got.starts_with(b"HTTP/1.1 101"), "{}", String::from_utf8_lossy(&got));
    assert!(tcp.write_all(&frame).await.is_ok());
    let read = guard("the server dropping a client that does not answer", tcp.read_to_end(&mut got)).await;
    // The server ends the connection: a clean close, or a reset when it drops unread bytes.
    let ended = match &read {
        Ok(_) => true,
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
    };
    assert!(ended, "the connection did not end as a close or a reset: {read:?}");
    got
}

#[tokio::test]
async fn a_client_that_stops_reading_is_dropped_within_the_write_timeout() {
    let limits =
        Limits { write_timeout: Duration::from_secs(2), ping_every: Duration::from_millis(200), ..Limits::default() };
    let server = start_with(limits).await;
    // A real client reads, so it answers the pings (its WebSocket library does) and stays.
    let mut cfg = ClientConfig::new(server.url(), SUP);
    cfg.backoff_initial = Duration::from_millis(20);
    let (mut updates, _commands): (mpsc::Receiver<Update>, mpsc::Sender<Outgoing>) = client::spawn(cfg);
    let mut mirror = Mirror::default();
    while !mirror.is_live() {
        let Some(u) = guard("the reading client's snapshot", updates.recv()).await else { panic!("client stopped") };
        mirror.apply(&u, std::time::Instant::now());
    }

    let started = std::time::Instant::now();
    let got = hello_and_never_answer(server.local_addr(), VIEWER).await;
    let took = started.elapsed();
    let text = String::from_utf8_lossy(&got);
    assert!(text.contains("\"type\":\"snapshot\""), "it was served first");
    assert!(got.windows(2).any(|w| w[0] == 0x89 && w[1] == 8), "it was sent a ping (opcode 9, 8 bytes)");
    assert!(text.contains("no answer to a ping within 2 s: the client is not reading"), "the close says why");
    assert!(took >= Duration::from_secs(2), "not before the write timeout: {took:?}");

    // The reading client was pinged all along and is still served.
    let seq = advance(&server, 5).await;
    while mirror.seq() < seq {
        let Some(u) = guard("the reading client's events", updates.recv()).await else { panic!("client stopped") };
        assert!(!matches!(u, Update::Connection(ConnState::Disconnected { .. })), "the reading client stays: {u:?}");
        mirror.apply(&u, std::time::Instant::now());
    }
    assert_eq!(mirror.snapshots, 1, "never dropped, never resynced");
}

#[tokio::test]
async fn wrong_tokens_back_off_their_address_even_for_the_right_token() {
    let limits = Limits {
        auth_free_failures: 2,
        auth_backoff: Duration::from_secs(600),
        auth_backoff_max: Duration::from_secs(3600),
        ..Limits::default()
    };
    let server = start_with(limits).await;
    let url = server.url();
    for _ in 0..2 {
        let (code, message, close_code, _) = refused_hello(&url, "guess-guess-guess-1").await;
        assert_eq!((code.as_str(), close_code), ("unauthorized", close::POLICY));
        assert_eq!(message, "the token is not valid: ask the engine's operator for one");
    }
    let (code, message, _, _) = refused_hello(&url, "guess-guess-guess-3").await;
    assert_eq!(code, "unauthorized");
    assert!(
        message.ends_with("too many wrong tokens came from 127.0.0.1: its hellos are refused for 600 s"),
        "{message}"
    );
    // During the wait not even the right token is tried, so no guess can be.
    let (code, message, close_code, reason) = refused_hello(&url, SUP).await;
    assert_eq!((code.as_str(), close_code), ("rate_limited", close::POLICY));
    assert!(message.starts_with("too many wrong tokens came from 127.0.0.1: its hellos are refused for "), "{message}");
    assert!(reason.starts_with("too many wrong tokens"), "{reason}");
}

#[tokio::test]
async fn refused_commands_never_push_a_supervisors_actions_off_the_audit_list() {
    let limits = Limits { frames_per_sec: 1e6, frame_burst: 1e6, ..Limits::default() };
    let server = start_with(limits).await;
    let (_, call) = ticket_and_call(&server).await;
    let url = server.url();
    let mut sup = hello(&url, SUP).await;
    let actions = ["monitor", "leave", "whisper", "leave"];
    for (i, kind) in actions.iter().enumerate() {
        send_json(&mut sup, command(&format!("a-{i}"), json!({"type": kind, "call": call.to_string()}))).await;
        assert_eq!(next_reply(&mut sup).await["type"], "ack", "{kind}");
    }

    // A viewer sends 600 commands with 20 KB notes, each refused (a viewer may not act).
    let mut viewer = hello(&url, VIEWER).await;
    let note = "x".repeat(20_000);
    const SENT: u32 = 600;
    for i in 0..SENT {
        let c = command(&format!("v-{i}"), json!({"type": "note", "ticket": "T-1", "text": note}));
        send_json(&mut viewer, c).await;
    }
    for _ in 0..SENT {
        assert_eq!(next_reply(&mut viewer).await["code"], "forbidden");
    }

    let floor = engine_floor(&server).await;
    let ana: Vec<&AuditEntry> = floor.audit.iter().filter(|e| e.actor == "ana").collect();
    assert_eq!(ana.len(), actions.len(), "every action of the supervisor is still on the floor: {ana:?}");
    assert!(ana.iter().all(|e| e.ok));
    let val: Vec<&AuditEntry> = floor.audit.iter().filter(|e| e.actor == "val").collect();
    assert_eq!(val.len(), 20, "20 refusals a floor-minute get an entry each, the rest wait for the minute's end");
    for e in &val {
        assert!(!e.ok && e.outcome.starts_with("forbidden: "), "{}", e.outcome);
        // The note is cut to 200 characters and marked: the entry stays a command the console can read.
        let Ok(Command::Note { text, .. }) = serde_json::from_str::<Command>(&e.command) else {
            panic!("the entry's command is still a command: {}", e.command)
        };
        assert_eq!(text, format!("{}…", "x".repeat(200)));
    }
    let audit_bytes = serde_json::to_string(&floor.audit).map(|s| s.len()).unwrap_or(usize::MAX);
    assert!(audit_bytes < 20_000, "the audit list stays small: {audit_bytes} bytes");

    // When the minute is over, one entry stands for the rest, so the log still counts every refusal.
    advance(&server, 61).await;
    let floor = engine_floor(&server).await;
    let val: Vec<&AuditEntry> = floor.audit.iter().filter(|e| e.actor == "val").collect();
    assert_eq!(val.len(), 21);
    assert_eq!(val[20].more, SENT - 21, "{:?}", val[20]);
    assert!(val[20].outcome.contains("the last of 580 refused commands"), "{}", val[20].outcome);
    assert_eq!(val.iter().map(|e| 1 + e.more).sum::<u32>(), SENT);
    assert_eq!(floor.audit.iter().filter(|e| e.actor == "ana").count(), actions.len());
}

#[test]
fn refusals_are_audited_within_a_budget_per_actor_and_floor_minute() {
    let mut e = engine();
    let val = Actor::new("val", Role::Viewer);
    let ana = Actor::new("ana", Role::Supervisor);
    let leave = Command::Leave { call: CallId(999_999) };
    let refused = |e: &Engine, who: &str| e.floor().audit.iter().filter(|a| a.actor == who && !a.ok).count();
    for _ in 0..50 {
        assert!(e.command(&val, &leave).is_err());
    }
    assert_eq!(refused(&e, "val"), 20);
    // Another actor has a budget of its own.
    for _ in 0..5 {
        assert!(e.command(&ana, &leave).is_err());
    }
    assert_eq!(refused(&e, "ana"), 5);
    // Still within the minute: held back.
    e.advance_to(e.now() + chrono::Duration::seconds(59));
    assert_eq!(refused(&e, "val"), 20);
    // The minute is over: one entry for the 30 held back; ana had nothing held back.
    e.advance_to(e.now() + chrono::Duration::seconds(1));
    assert_eq!((refused(&e, "val"), refused(&e, "ana")), (21, 5));
    let last = e.floor().audit.iter().rev().find(|a| a.actor == "val").map(|a| (a.more, a.outcome.clone()));
    let Some((more, outcome)) = last else { panic!("val has entries") };
    assert_eq!(more, 29);
    assert!(outcome.starts_with("forbidden: the viewer role cannot leave"), "{outcome}");
    // A new minute, a new budget.
    for _ in 0..3 {
        assert!(e.command(&val, &leave).is_err());
    }
    assert_eq!(refused(&e, "val"), 24);
    // A refused transfer to a 60 KB queue name: the name is cut in the command and in the outcome.
    let to = Command::Transfer { call: CallId(999_999), to_agent: None, to_queue: Some(QueueId("q".repeat(60_000))) };
    assert!(e.command(&ana, &to).is_err());
    let Some(entry) = e.floor().audit.back() else { panic!("the transfer is audited") };
    assert!(entry.command.chars().count() < 300 && entry.command.contains('…'), "{}", entry.command);
    assert!(entry.outcome.chars().count() <= 401, "{}", entry.outcome);
}
