//! A live server on 127.0.0.1:0 with real clients: mirrors, roles, bad input, slow clients, broken connections.
//! The engine is stepped (`Pacing::Manual`), so nothing here waits on the wall clock except failure guards.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use callfloor::client::{self, ClientConfig, ConnState, Mirror, Outgoing, Update};
use callfloor::engine::Engine;
use callfloor::engine::server::mask::mask_floor;
use callfloor::engine::server::{self, Limits, Pacing, ServerConfig, ServerHandle, TokenEntry, Tokens};
use callfloor::engine::sim::scenario::Scenario;
use callfloor::model::*;
use callfloor::protocol::close;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, mpsc};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const GUARD: Duration = Duration::from_secs(30);
const SUP: &str = "supervisor-token-0001";
const SUP2: &str = "supervisor-token-0002";
const ADMIN: &str = "admin-token-00000001";
const VIEWER: &str = "viewer-token-0000001";
const SUE: &str = "supervisor-token-0003";

fn tokens() -> Tokens {
    let e = |name: &str, token: &str, role| TokenEntry { name: name.into(), token: token.into(), role };
    Tokens::from_entries(vec![
        e("ana", SUP, Role::Supervisor),
        e("ben", SUP2, Role::Supervisor),
        e("root", ADMIN, Role::Admin),
        e("val", VIEWER, Role::Viewer),
        e("sue", SUE, Role::Supervisor),
    ])
}

fn engine() -> Engine {
    let Ok(s) = Scenario::load("bank") else { panic!("the bundled bank scenario must load") };
    Engine::new(s, 7)
}

async fn start_with(limits: Limits, db: Option<std::path::PathBuf>) -> ServerHandle {
    serve_engine(engine(), limits, db).await
}

async fn serve_engine(engine: Engine, limits: Limits, db: Option<std::path::PathBuf>) -> ServerHandle {
    let Ok(listener) = TcpListener::bind("127.0.0.1:0").await else { panic!("cannot bind a loopback port") };
    let mut cfg = ServerConfig::new(tokens(), Pacing::Manual);
    cfg.limits = limits;
    cfg.db = db.map(callfloor::engine::store::DbOptions::plain);
    match server::serve(listener, engine, cfg).await {
        Ok(s) => s,
        Err(e) => panic!("the server must start: {e:#}"),
    }
}

async fn start() -> ServerHandle {
    start_with(Limits::default(), None).await
}

async fn guard<T>(what: &str, f: impl Future<Output = T>) -> T {
    match tokio::time::timeout(GUARD, f).await {
        Ok(v) => v,
        Err(_) => panic!("timed out: {what}"),
    }
}

/// Runs the engine `secs` floor-seconds on, one events batch per floor-second.
async fn advance(server: &ServerHandle, secs: i64) -> u64 {
    advance_in(server, secs, 1).await
}

/// Runs the engine `secs` floor-seconds on, one events batch per `step` floor-seconds.
async fn advance_in(server: &ServerHandle, secs: i64, step: i64) -> u64 {
    let (by, step) = (chrono::Duration::seconds(secs), chrono::Duration::seconds(step));
    let Ok(seq) = guard("advance", server.advance(by, step)).await else { panic!("advance failed") };
    seq
}

async fn engine_floor(server: &ServerHandle) -> Floor {
    let Ok(f) = guard("floor", server.floor()).await else { panic!("the engine must answer with its floor") };
    f
}

/// A real client (the one the console uses) with its mirror.
struct TestClient {
    updates: mpsc::Receiver<Update>,
    commands: mpsc::Sender<Outgoing>,
    mirror: Mirror,
    next_id: u32,
    disconnects: u32,
}

impl TestClient {
    fn connect(url: &str, token: &str) -> TestClient {
        let mut cfg = ClientConfig::new(url, token);
        cfg.backoff_initial = Duration::from_millis(20);
        cfg.backoff_max = Duration::from_millis(200);
        let (updates, commands) = client::spawn(cfg);
        TestClient { updates, commands, mirror: Mirror::default(), next_id: 0, disconnects: 0 }
    }

    async fn pump(&mut self) -> Update {
        let Some(u) = guard("an update from the client", self.updates.recv()).await else {
            panic!("the client task stopped; its state was {:?}", self.mirror.conn)
        };
        if matches!(u, Update::Connection(ConnState::Disconnected { .. })) {
            self.disconnects += 1;
        }
        self.mirror.apply(&u, std::time::Instant::now());
        u
    }

    async fn sync_to(&mut self, seq: u64) {
        while !(self.mirror.is_live() && self.mirror.seq() >= seq) {
            self.pump().await;
        }
    }

    async fn command(&mut self, command: Command) -> Result<(), (ErrorCode, String)> {
        self.next_id += 1;
        let id = format!("t-{}", self.next_id);
        let sent = self.commands.send(Outgoing::command(id.clone(), command)).await;
        assert!(sent.is_ok(), "the client task must take commands");
        loop {
            match self.pump().await {
                Update::Ack { id: i } if i == id => return Ok(()),
                Update::Error { id: Some(i), code, message } if i == id => return Err((code, message)),
                _ => {}
            }
        }
    }
}

/// Steps the engine until a call is connected to an agent.
async fn connected_call(server: &ServerHandle) -> CallId {
    for _ in 0..360 {
        let f = engine_floor(server).await;
        if let Some(c) = f.calls.values().find(|c| c.state == CallState::Connected) {
            return c.id;
        }
        advance(server, 10).await;
    }
    panic!("no call was connected within an hour of floor time");
}

#[tokio::test]
async fn mirrors_equal_the_engine_floor_after_ten_floor_minutes() {
    let server = start_with(Limits { queue_frames: 2048, ..Limits::default() }, None).await;
    let url = server.url();
    let mut admin = TestClient::connect(&url, ADMIN);
    let mut sup = TestClient::connect(&url, SUP);
    let start_seq = engine_floor(&server).await.seq;
    admin.sync_to(start_seq).await;
    sup.sync_to(start_seq).await;

    let seq = advance(&server, 600).await;
    assert!(seq > start_seq + 600, "ten floor-minutes hold at least one tick a second");
    admin.sync_to(seq).await;
    sup.sync_to(seq).await;
    let floor = engine_floor(&server).await;
    assert_eq!(floor.seq, seq);
    assert!(!floor.recent.is_empty(), "calls must have come and gone in ten minutes");
    assert_eq!(admin.mirror.seq(), seq);
    assert!(admin.mirror.floor == floor, "the admin's mirror must equal the engine's floor");
    assert!(sup.mirror.floor == mask_floor(&floor), "the supervisor's mirror must equal the masked floor");
    // What masking means for people: a supervisor sees every caller number cut to its last four digits, the
    // admin sees it whole, and record numbers said in a call are masked in the supervisor's transcript.
    assert!(!floor.calls.is_empty());
    for (id, call) in &floor.calls {
        let seen = &sup.mirror.floor.calls[id].caller;
        assert!(!call.caller.contains('*'), "the admin sees {} whole", call.caller);
        assert!(seen.contains("****") && seen != &call.caller, "a supervisor sees {seen} for {}", call.caller);
        let last4: String = call.caller.chars().filter(char::is_ascii_digit).rev().take(4).collect();
        let seen4: String = seen.chars().filter(char::is_ascii_digit).rev().take(4).collect();
        assert_eq!(seen4, last4, "the last four digits stay readable");
    }
    let long_numbers = |f: &callfloor::model::Floor| {
        f.calls
            .values()
            .flat_map(|c| &c.transcript)
            .filter(|l| l.text.split(|ch: char| !ch.is_ascii_digit()).any(|run| run.len() >= 8))
            .count()
    };
    assert_eq!(long_numbers(&sup.mirror.floor), 0, "no 8-digit number reaches a supervisor");
    assert_eq!((admin.mirror.snapshots, sup.mirror.snapshots), (1, 1), "no resync was needed");
    assert_eq!(admin.mirror.role, Some(Role::Admin));
    assert_eq!(sup.mirror.user.as_deref(), Some("ana"));
    assert!(admin.mirror.data_age().is_some());
    let Ok(None) = server.shutdown().await else { panic!("shutdown without a store reports nothing") };
}

#[tokio::test]
async fn each_role_can_do_what_it_may_and_every_command_is_audited() {
    let server = start().await;
    let url = server.url();
    let call = connected_call(&server).await;
    let mut viewer = TestClient::connect(&url, VIEWER);
    let mut ana = TestClient::connect(&url, SUP);
    let mut ben = TestClient::connect(&url, SUP2);
    let mut root = TestClient::connect(&url, ADMIN);

    let Err((code, _)) = viewer.command(Command::Monitor { call }).await else { panic!("a viewer cannot monitor") };
    assert_eq!(code, ErrorCode::Forbidden);
    let refused = viewer.mirror.floor.audit.back().map(|e| (e.actor.as_str(), e.ok));
    assert_eq!(refused, Some(("val", false)), "the refusal's audit entry arrives before the error");
    let Err((code, _)) = viewer.command(Command::Barge { call }).await else { panic!("a viewer cannot barge") };
    assert_eq!(code, ErrorCode::Forbidden);

    assert_eq!(ana.command(Command::Barge { call }).await, Ok(()));
    // The command's events reach the client before its ack.
    let joined = ana.mirror.floor.calls.get(&call).map(|c| c.supervisors.iter().any(|p| p.supervisor == "ana"));
    assert_eq!(joined, Some(true), "when the ack arrives the mirror already shows the barge");
    assert_eq!(ana.mirror.floor.audit.back().map(|e| (e.actor.as_str(), e.ok)), Some(("ana", true)));
    let Err((code, message)) = ben.command(Command::Barge { call }).await else {
        panic!("a second supervisor cannot barge into the same call")
    };
    assert_eq!(code, ErrorCode::Conflict);
    assert!(message.contains("ana"), "the conflict names who is barged in: {message}");
    assert_eq!(ben.command(Command::Monitor { call }).await, Ok(()));
    assert_eq!(ana.command(Command::Say { call, text: "I am taking over, sir.".into() }).await, Ok(()));
    assert_eq!(root.command(Command::Whisper { call }).await, Ok(()));

    let Err((code, _)) = ana.command(Command::Barge { call: CallId(999_999) }).await else { panic!("unknown call") };
    assert_eq!(code, ErrorCode::NotFound);
    let Err((code, _)) = ana.command(Command::SetAgentState { agent: AgentId(99), state: AgentState::Break }).await
    else {
        panic!("unknown agent")
    };
    assert_eq!(code, ErrorCode::NotFound);
    let Err((code, _)) = ana.command(Command::AckAlert { alert: AlertId(99_999) }).await else {
        panic!("unknown alert")
    };
    assert_eq!(code, ErrorCode::NotFound);

    // Every command above, refused or not, is in the audit log with who, what, when and the outcome.
    let floor = engine_floor(&server).await;
    let audit: Vec<(&str, bool, &str)> =
        floor.audit.iter().map(|e| (e.actor.as_str(), e.ok, e.outcome.split(':').next().unwrap_or(""))).collect();
    assert_eq!(
        audit,
        vec![
            ("val", false, "forbidden"),
            ("val", false, "forbidden"),
            ("ana", true, "ok"),
            ("ben", false, "conflict"),
            ("ben", true, "ok"),
            ("ana", true, "ok"),
            ("root", true, "ok"),
            ("ana", false, "not_found"),
            ("ana", false, "not_found"),
            ("ana", false, "not_found"),
        ]
    );
    assert_eq!(floor.audit[0].role, Role::Viewer);
    assert!(floor.audit[0].command.contains(r#""type":"monitor""#), "{}", floor.audit[0].command);
    // The viewer's mirror got the audit events too (it watches the floor).
    viewer.sync_to(floor.seq).await;
    assert_eq!(viewer.mirror.floor.audit.len(), floor.audit.len());
    let Some(c) = floor.calls.get(&call) else { panic!("the call is still live") };
    let modes: Vec<(&str, SupervisorMode)> = c.supervisors.iter().map(|p| (p.supervisor.as_str(), p.mode)).collect();
    assert_eq!(
        modes,
        vec![("ana", SupervisorMode::Barge), ("ben", SupervisorMode::Monitor), ("root", SupervisorMode::Whisper)]
    );
}

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn raw(url: &str) -> Ws {
    let Ok(Ok((ws, _))) = tokio::time::timeout(GUARD, tokio_tungstenite::connect_async(url)).await else {
        panic!("cannot open a WebSocket to {url}")
    };
    ws
}

async fn send(ws: &mut Ws, msg: Message) {
    assert!(guard("send", ws.send(msg)).await.is_ok(), "sending a frame failed");
}

async fn send_json(ws: &mut Ws, v: Value) {
    send(ws, Message::text(v.to_string())).await;
}

/// The next text frame, parsed.
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
    loop {
        let v = next_json(ws).await;
        if matches!(v["type"].as_str(), Some("ack" | "error")) {
            return v;
        }
    }
}

async fn hello(url: &str, token: &str) -> Ws {
    let mut ws = raw(url).await;
    send_json(&mut ws, json!({"type": "hello", "protocol": 1, "token": token})).await;
    let welcome = next_json(&mut ws).await;
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    let snapshot = next_json(&mut ws).await;
    assert_eq!(snapshot["type"], "snapshot");
    ws
}

/// Reads until the server's close frame; returns its code and the error frames that came before it.
async fn close_code(ws: &mut Ws) -> (u16, Vec<Value>) {
    let mut errors = Vec::new();
    loop {
        match guard("the server's close frame", ws.next()).await {
            Some(Ok(Message::Close(Some(f)))) => return (u16::from(f.code), errors),
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

#[tokio::test]
async fn hello_is_checked() {
    let server = start().await;
    let url = server.url();

    let mut ws = raw(&url).await;
    send_json(&mut ws, json!({"type": "hello", "protocol": 1, "token": "not-a-token-at-all"})).await;
    let (code, errors) = close_code(&mut ws).await;
    assert_eq!(code, close::POLICY);
    assert_eq!(errors.first().map(|e| e["code"].clone()), Some(json!("unauthorized")));

    let mut ws = raw(&url).await;
    send_json(&mut ws, json!({"type": "hello", "protocol": 2, "token": SUP})).await;
    let (code, errors) = close_code(&mut ws).await;
    assert_eq!(code, close::POLICY);
    assert_eq!(errors.first().map(|e| e["code"].clone()), Some(json!("unsupported_version")));

    let mut ws = raw(&url).await;
    send_json(&mut ws, json!({"type": "command", "id": "c-1", "command": {"type": "leave", "call": "C-1"}})).await;
    let (code, errors) = close_code(&mut ws).await;
    assert_eq!(code, close::POLICY, "a command before hello is refused");
    assert_eq!(errors.len(), 1);

    let mut ws = hello(&url, VIEWER).await;
    send_json(&mut ws, json!({"type": "hello", "protocol": 1, "token": VIEWER})).await;
    let reply = next_reply(&mut ws).await;
    assert_eq!((reply["code"].as_str(), reply.get("id")), (Some("bad_frame"), None), "{reply}");
}

#[tokio::test]
async fn no_hello_in_time_closes_with_policy() {
    let server = start_with(Limits { hello_timeout: Duration::from_millis(200), ..Limits::default() }, None).await;
    let mut ws = raw(&server.url()).await;
    let (code, errors) = close_code(&mut ws).await;
    assert_eq!(code, close::POLICY);
    assert_eq!(errors.first().map(|e| e["code"].clone()), Some(json!("unauthorized")));
}

#[tokio::test]
async fn malformed_frames_get_bad_frame_and_the_connection_lives_on() {
    let server = start().await;
    let url = server.url();
    let mut ws = hello(&url, SUP).await;

    send(&mut ws, Message::text("{this is not json")).await;
    let r = next_reply(&mut ws).await;
    assert_eq!((r["type"].as_str(), r["code"].as_str(), r.get("id")), (Some("error"), Some("bad_frame"), None), "{r}");

    send_json(&mut ws, json!({"type": "dance", "id": "c-2"})).await;
    let r = next_reply(&mut ws).await;
    assert_eq!((r["code"].as_str(), r["id"].as_str()), (Some("bad_frame"), Some("c-2")), "{r}");

    send_json(&mut ws, json!({"type": "command", "id": "c-3", "command": {"type": "barge", "call": 17}})).await;
    let r = next_reply(&mut ws).await;
    assert_eq!((r["code"].as_str(), r["id"].as_str()), (Some("bad_frame"), Some("c-3")), "{r}");

    send_json(&mut ws, json!({"type": "command", "id": "c-4", "command": {"type": "self_destruct"}})).await;
    let r = next_reply(&mut ws).await;
    assert_eq!((r["code"].as_str(), r["id"].as_str()), (Some("bad_frame"), Some("c-4")), "{r}");

    // Still served: a good command gets its answer.
    send_json(&mut ws, json!({"type": "command", "id": "c-5", "command": {"type": "barge", "call": "C-999999"}})).await;
    let r = next_reply(&mut ws).await;
    assert_eq!((r["code"].as_str(), r["id"].as_str()), (Some("not_found"), Some("c-5")), "{r}");
}

#[tokio::test]
async fn oversized_and_binary_frames_close_with_1009_and_1003() {
    let server = start().await;
    let url = server.url();
    let mut watcher = TestClient::connect(&url, VIEWER);

    let mut ws = hello(&url, SUP).await;
    let big = format!(
        r#"{{"type":"command","id":"c-1","command":{{"type":"say","call":"C-1","text":"{}"}}}}"#,
        "a".repeat(100_000)
    );
    send(&mut ws, Message::text(big)).await;
    assert_eq!(close_code(&mut ws).await.0, close::TOO_BIG);

    let mut ws = hello(&url, SUP).await;
    send(&mut ws, Message::binary(vec![1u8, 2, 3])).await;
    assert_eq!(close_code(&mut ws).await.0, close::UNSUPPORTED_DATA);

    // A binary frame instead of hello is refused the same way.
    let mut ws = raw(&url).await;
    send(&mut ws, Message::binary(vec![0u8; 8])).await;
    assert_eq!(close_code(&mut ws).await.0, close::UNSUPPORTED_DATA);

    // The engine kept serving everyone else.
    let seq = advance(&server, 30).await;
    watcher.sync_to(seq).await;
    assert!(watcher.mirror.floor == mask_floor(&engine_floor(&server).await));
}

#[tokio::test]
async fn a_flood_of_commands_is_rate_limited_then_closed() {
    let limits = Limits { frames_per_sec: 0.001, frame_burst: 3.0, flood_close_after: 25, ..Limits::default() };
    let server = start_with(limits, None).await;
    let url = server.url();
    let mut ws = hello(&url, SUP).await;
    for i in 0..30 {
        let frame = json!({"type": "command", "id": format!("f-{i}"), "command": {"type": "leave", "call": "C-1"}});
        send_json(&mut ws, frame).await;
    }
    let (code, errors) = close_code(&mut ws).await;
    assert_eq!(code, close::POLICY);
    let codes: Vec<&str> = errors.iter().filter_map(|e| e["code"].as_str()).collect();
    assert_eq!(&codes[..3], &["not_found", "not_found", "not_found"], "the burst is served: {codes:?}");
    assert!(codes[3..].iter().all(|c| *c == "rate_limited") && codes.len() > 3, "{codes:?}");
    assert_eq!(errors[3]["id"], "f-3", "a rate-limited command keeps its id");
    // The refusals reach the audit log: the first ones one by one, the rest of the run in one entry with a count,
    // so the log counts every command refused (the frame that tripped the flood close included) and stays small.
    let floor = engine_floor(&server).await;
    let limited: Vec<&AuditEntry> = floor.audit.iter().filter(|e| e.outcome.starts_with("rate_limited:")).collect();
    let refused: u32 = limited.iter().map(|e| 1 + e.more).sum();
    let sent_back = codes.iter().filter(|c| **c == "rate_limited").count() as u32;
    assert_eq!(refused, sent_back + 1, "every refused command is counted: {limited:?}");
    assert_eq!((refused, limited.len()), (25, 11), "ten one by one, then one for the other 15: {limited:?}");
    assert!(limited.iter().all(|e| !e.ok && e.actor == "ana" && e.command.contains(r#""type":"leave""#)));
    assert_eq!(floor.audit.iter().filter(|e| e.outcome.starts_with("not_found:")).count(), 3, "the burst was served");

    // A steady stream of bad frames is closed too.
    let limits = Limits { bad_frames_close_after: 5, ..Limits::default() };
    let server = start_with(limits, None).await;
    let mut ws = hello(&server.url(), SUP).await;
    for _ in 0..5 {
        send(&mut ws, Message::text("nope")).await;
    }
    let (code, errors) = close_code(&mut ws).await;
    assert_eq!((code, errors.len()), (close::POLICY, 5));
}

#[tokio::test]
async fn a_client_that_never_reads_does_not_hold_up_the_others() {
    // A long write timeout, so the slow client is not dropped while the test runs however slow the machine.
    let limits = Limits { queue_frames: 8, write_timeout: Duration::from_secs(600), ..Limits::default() };
    let server = start_with(limits, None).await;
    let url = server.url();

    // The slow client: a tiny receive buffer, says hello and then never reads again.
    let Ok(addr) = url.trim_start_matches("ws://").parse::<SocketAddr>() else { panic!("bad url {url}") };
    let Ok(sock) = tokio::net::TcpSocket::new_v4() else { panic!("no socket") };
    assert!(sock.set_recv_buffer_size(4096).is_ok());
    let Ok(tcp) = sock.connect(addr).await else { panic!("cannot connect") };
    let Ok((mut slow, _)) = tokio_tungstenite::client_async(url.as_str(), MaybeTlsStream::Plain(tcp)).await else {
        panic!("handshake")
    };
    send_json(&mut slow, json!({"type": "hello", "protocol": 1, "token": VIEWER})).await;
    assert_eq!(next_json(&mut slow).await["type"], "welcome");

    let mut fast = TestClient::connect(&url, ADMIN);
    let mut steps = 0;
    // Step the engine (one batch a step) in lockstep with the fast client until the slow one has fallen behind
    // its queue of 8 frames.
    while server.stats().resyncs == 0 {
        steps += 1;
        assert!(steps <= 3000, "the slow client never fell behind");
        let seq = advance_in(&server, 20, 20).await;
        fast.sync_to(seq).await;
    }
    // And some more after that.
    for _ in 0..20 {
        let seq = advance_in(&server, 20, 20).await;
        fast.sync_to(seq).await;
    }
    eprintln!("the slow client fell behind after {steps} steps");
    let floor = engine_floor(&server).await;
    fast.sync_to(floor.seq).await;
    assert!(fast.mirror.floor == floor, "the fast client must have everything");
    assert_eq!(fast.mirror.snapshots, 1, "the fast client never needed a resync");
    assert_eq!(server.stats().clients, 2, "the slow client is still connected, waiting for its fresh snapshot");
    // When the slow client reads again, what it gets after what was already on its way is a fresh snapshot of the
    // floor as it is now (masked: it is a viewer), not the backlog it missed.
    let mut snapshots = 0;
    let fresh = loop {
        let v = next_json(&mut slow).await;
        if v["type"] == "snapshot" {
            snapshots += 1;
            if snapshots == 2 {
                break v;
            }
        }
    };
    assert_eq!(fresh["seq"].as_u64(), Some(floor.seq), "the fresh snapshot is of the floor now");
    let Ok(seen) = serde_json::from_value::<callfloor::model::Floor>(fresh["floor"].clone()) else {
        panic!("the fresh snapshot holds a floor")
    };
    assert!(seen == mask_floor(&floor), "the fresh snapshot equals the masked engine floor");
    drop(slow);
}

/// A TCP relay whose connections can all be cut at once.
async fn relay(target: SocketAddr) -> (SocketAddr, broadcast::Sender<()>) {
    let Ok(listener) = TcpListener::bind("127.0.0.1:0").await else { panic!("cannot bind the relay") };
    let Ok(addr) = listener.local_addr() else { panic!("relay address") };
    let (cut, _) = broadcast::channel::<()>(4);
    let cut_tx = cut.clone();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let mut cut = cut_tx.subscribe();
            tokio::spawn(async move {
                let Ok(mut outbound) = TcpStream::connect(target).await else { return };
                tokio::select! {
                    _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                    _ = cut.recv() => {}
                }
            });
        }
    });
    (addr, cut)
}

#[tokio::test]
async fn a_client_cut_off_mid_stream_reconnects_and_resyncs_to_an_equal_mirror() {
    let server = start_with(Limits { queue_frames: 2048, ..Limits::default() }, None).await;
    let (addr, cut) = relay(server.local_addr()).await;
    let mut admin = TestClient::connect(&format!("ws://{addr}"), ADMIN);
    let seq = advance(&server, 60).await;
    admin.sync_to(seq).await;

    // Cut while a few minutes of batches are on their way.
    let seq = advance(&server, 300).await;
    assert!(cut.send(()).is_ok(), "the relay has a connection to cut");
    advance(&server, 120).await;
    while admin.disconnects == 0 {
        admin.pump().await;
    }
    let seq_after = advance(&server, 60).await;
    assert!(seq_after > seq);
    admin.sync_to(seq_after).await;
    assert!(admin.mirror.snapshots >= 2, "the reconnect brought a fresh snapshot");
    let floor = engine_floor(&server).await;
    admin.sync_to(floor.seq).await;
    assert!(admin.mirror.floor == floor, "after the reconnect the mirror equals the engine's floor");
}

#[tokio::test]
async fn the_store_gets_what_the_server_served() {
    let dir = std::env::temp_dir().join(format!("callfloor-server-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(std::fs::create_dir_all(&dir).is_ok());
    let db = dir.join("floor.db");
    let server = start_with(Limits::default(), Some(db.clone())).await;
    let mut viewer = TestClient::connect(&server.url(), VIEWER);
    advance(&server, 1200).await;
    assert!(viewer.command(Command::AckAlert { alert: AlertId(1) }).await.is_err());
    let floor = engine_floor(&server).await;
    let Ok(Some(report)) = server.shutdown().await else { panic!("the store must report") };
    assert_eq!((report.failed_writes, report.first_error), (0, None));
    let Ok(conn) = rusqlite::Connection::open(&db) else { panic!("open the db") };
    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap_or(-1);
    assert_eq!(count("SELECT COUNT(*) FROM audit WHERE ok = 0 AND actor = 'val'"), 1);
    assert!(count("SELECT COUNT(*) FROM calls") >= floor.recent.len() as i64);
    assert_eq!(count("SELECT COUNT(*) FROM tickets"), floor.tickets.len() as i64);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn listening_beyond_loopback_without_tokens_is_refused() {
    let out =
        std::process::Command::new(env!("CARGO_BIN_EXE_callfloor")).args(["engine", "--listen", "0.0.0.0:0"]).output();
    let Ok(out) = out else { panic!("cannot run callfloor") };
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("refusing to listen on 0.0.0.0:0 without --tokens"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one clear sentence: {err}");
}

#[test]
fn a_bad_tokens_file_is_reported_with_file_line_and_key() {
    let dir = std::env::temp_dir().join(format!("callfloor-tokens-{}", std::process::id()));
    assert!(std::fs::create_dir_all(&dir).is_ok());
    let file = dir.join("tokens.toml");
    let text = "[[token]]\nname = \"ana\"\ntoken = \"0123456789abcdef0123\"\nrole = \"boss\"\n";
    assert!(std::fs::write(&file, text).is_ok());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_callfloor"))
        .args(["engine", "--listen", "127.0.0.1:0", "--tokens"])
        .arg(&file)
        .output();
    let Ok(out) = out else { panic!("cannot run callfloor") };
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tokens.toml, line 4, key `role`: 'boss' is not a role"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_demo_server_makes_its_own_tokens_on_loopback() {
    let demo = match server::spawn_demo_server(engine(), callfloor::engine::sim::clock::Speed::Times(60.0)).await {
        Ok(d) => d,
        Err(e) => panic!("the demo server must start: {e:#}"),
    };
    assert!(demo.addr.ip().is_loopback() && demo.addr.port() != 0);
    let tokens = [&demo.supervisor_token, &demo.admin_token, &demo.viewer_token];
    assert!(tokens.iter().all(|t| t.len() >= 32) && tokens[0] != tokens[1] && tokens[1] != tokens[2]);
    for (token, role) in [(tokens[0], Role::Supervisor), (tokens[1], Role::Admin), (tokens[2], Role::Viewer)] {
        let mut c = TestClient::connect(&demo.url(), token);
        c.sync_to(1).await;
        assert_eq!(c.mirror.role, Some(role));
        assert_eq!(c.mirror.floor.scenario, "bank");
    }
    assert!(demo.shutdown().await.is_ok());
}

#[tokio::test]
async fn a_full_server_refuses_before_welcoming() {
    let server = start_with(Limits { max_clients: 1, ..Limits::default() }, None).await;
    let url = server.url();
    let _first = hello(&url, SUP).await;
    // The second client is told why and closed; it never sees a welcome, so its client does not count itself
    // connected (and back off as if it had been).
    let mut ws = raw(&url).await;
    send_json(&mut ws, json!({"type": "hello", "protocol": 1, "token": VIEWER})).await;
    let first = next_json(&mut ws).await;
    assert_eq!((first["type"].as_str(), first["code"].as_str()), (Some("error"), Some("rate_limited")), "{first}");
    let (code, _) = close_code(&mut ws).await;
    assert_eq!(code, close::POLICY);
}

/// Opens a raw connection, says hello and returns the welcome frame.
async fn welcome_of(url: &str, token: &str) -> Value {
    let mut ws = raw(url).await;
    send_json(&mut ws, json!({"type": "hello", "protocol": 1, "token": token})).await;
    let welcome = next_json(&mut ws).await;
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    welcome
}

#[tokio::test]
async fn the_welcome_names_the_floor_and_a_restarted_engine_is_another_floor() {
    // Two engines of the same scenario and seed: two floors all the same.
    let a = start().await;
    let b = start().await;
    let first = welcome_of(&a.url(), SUP).await["floor"].clone();
    let Some(id) = first["id"].as_str() else { panic!("the welcome carries the floor's id: {first}") };
    assert!(id.len() == 16 && id.chars().all(|c| c.is_ascii_hexdigit()), "16 hex digits: {id}");
    let started = first["started"].as_str().and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok());
    let Some(started) = started else { panic!("started is an RFC 3339 time: {first}") };
    let age = chrono::Utc::now() - started.to_utc();
    assert!(age >= chrono::Duration::zero() && age < chrono::Duration::minutes(5), "wall-clock start: {started}");
    // Reconnecting (any user) to the same engine: the same floor.
    assert_eq!(welcome_of(&a.url(), VIEWER).await["floor"], first);
    // Another engine: another floor.
    let other = welcome_of(&b.url(), SUP).await["floor"].clone();
    assert_ne!(other["id"], first["id"], "two engines are two floors");
    // The client hands the identity to its mirror.
    let mut sup = TestClient::connect(&a.url(), SUP);
    sup.sync_to(0).await;
    assert_eq!(sup.mirror.identity.as_ref().map(|i| i.id.as_str()), Some(id));
}

#[tokio::test]
async fn a_supervisor_line_names_the_supervisor_on_every_mirror() {
    let server = start().await;
    let url = server.url();
    let call = connected_call(&server).await;
    let mut sue = TestClient::connect(&url, SUE);
    let mut viewer = TestClient::connect(&url, VIEWER);
    assert_eq!(sue.command(Command::Barge { call }).await, Ok(()));
    assert_eq!(sue.command(Command::Say { call, text: "Let me help, my number is 13812345678".into() }).await, Ok(()));
    let seq = engine_floor(&server).await.seq;
    viewer.sync_to(seq).await;
    for (who, mirror) in [("sue", &sue.mirror), ("viewer", &viewer.mirror)] {
        let line =
            mirror.floor.calls.get(&call).and_then(|c| c.transcript.iter().rfind(|l| l.speaker == Speaker::Supervisor));
        let Some(line) = line else { panic!("{who}'s mirror shows the supervisor's line") };
        assert_eq!(line.by.as_deref(), Some("sue"), "{who}'s mirror names who spoke");
        assert!(line.text.contains("138****5678"), "masked for {who}, who is below admin: {}", line.text);
    }
}

#[tokio::test]
async fn two_hundred_alerts_are_acknowledged_with_one_command() {
    let Ok(s) = Scenario::load("ecommerce-promo") else { panic!("the bundled ecommerce-promo scenario must load") };
    let server = serve_engine(Engine::new(s, 3), Limits::default(), None).await;
    let mut open = Vec::new();
    for _ in 0..48 {
        let floor = engine_floor(&server).await;
        open = floor.open_alerts().map(|a| a.id).collect::<Vec<AlertId>>();
        if open.len() >= 200 {
            break;
        }
        advance_in(&server, 600, 60).await;
    }
    assert!(open.len() >= 200, "a busy floor raises 200 alerts in 8 floor-hours, got {}", open.len());
    let mut sue = TestClient::connect(&server.url(), SUE);
    sue.sync_to(engine_floor(&server).await.seq).await;

    // One unknown id among them: refused whole, nothing acknowledged.
    let mut with_unknown = open.clone();
    with_unknown.push(AlertId(999_999));
    let Err((code, message)) = sue.command(Command::AckAlerts { alerts: with_unknown }).await else {
        panic!("an unknown id refuses the bulk ack")
    };
    assert_eq!(code, ErrorCode::NotFound);
    assert!(message.contains("AL-999999"), "{message}");
    let floor = engine_floor(&server).await;
    assert_eq!(floor.open_alerts().count(), open.len(), "nothing was acknowledged");

    let audit_before = floor.audit.len();
    assert_eq!(sue.command(Command::AckAlerts { alerts: open.clone() }).await, Ok(()));
    assert_eq!(sue.mirror.floor.open_alerts().count(), 0, "the acks reach the mirror before the command's ack");
    let floor = engine_floor(&server).await;
    for id in &open {
        let by = floor.alerts.get(id).and_then(|a| a.acked.as_ref()).map(|a| a.by.as_str());
        assert_eq!(by, Some("sue"), "{id} is acknowledged on the engine's floor");
    }
    assert_eq!(floor.audit.len(), audit_before + 1, "one command, one audit entry");
    let entry = &floor.audit[audit_before];
    assert_eq!((entry.actor.as_str(), entry.ok), ("sue", true));
    assert_eq!(entry.outcome, format!("ok: {} acknowledged, 0 already acknowledged", open.len()));
}

/// The next record or error (events, metrics and snapshots are skipped).
async fn next_answer(ws: &mut Ws) -> Value {
    loop {
        let v = next_json(ws).await;
        if matches!(v["type"].as_str(), Some("record" | "error")) {
            return v;
        }
    }
}

#[tokio::test]
async fn a_finished_call_and_a_whole_ticket_come_from_the_store_masked_below_admin() {
    let dir = std::env::temp_dir().join(format!("callfloor-server-query-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(std::fs::create_dir_all(&dir).is_ok());
    let server = start_with(Limits::default(), Some(dir.join("floor.db"))).await;
    advance(&server, 1800).await;
    let floor = engine_floor(&server).await;
    let Some(done) = floor.recent.front().map(|r| r.id) else { panic!("calls ended in half an hour") };
    let Some(ticket) = floor.tickets.values().find(|t| t.status != TicketStatus::Resolved).map(|t| t.id) else {
        panic!("an open ticket after half an hour")
    };
    let mut sup = hello(&server.url(), SUP).await;
    let mut root = hello(&server.url(), ADMIN).await;
    // Wait until the store has what the floor shows: a command's ack comes after its commit.
    let mut ana = TestClient::connect(&server.url(), SUP);
    let noted = ana.command(Command::Note { ticket, text: "note for the record".into() }).await;
    assert_eq!(noted, Ok(()));

    send_json(&mut sup, json!({"type": "query", "id": "q1", "query": {"type": "call", "call": done.to_string()}}))
        .await;
    let rec = next_answer(&mut sup).await;
    assert_eq!((rec["type"].as_str(), rec["id"].as_str()), (Some("record"), Some("q1")), "{rec}");
    assert_eq!(rec["record"]["type"], "call");
    assert_eq!(rec["record"]["id"], done.to_string());
    assert!(rec["record"]["transcript"].as_array().is_some_and(|t| !t.is_empty()), "{rec}");
    assert!(rec["record"]["caller"].as_str().is_some_and(|c| c.contains("****")), "a supervisor sees it masked");

    send_json(
        &mut root,
        json!({"type": "query", "id": "q2", "query": {"type": "ticket", "ticket": ticket.to_string()}}),
    )
    .await;
    let rec = next_answer(&mut root).await;
    assert_eq!(rec["record"]["type"], "ticket", "{rec}");
    let notes = rec["record"]["notes"].as_array().cloned().unwrap_or_default();
    assert!(notes.iter().any(|n| n["text"] == "note for the record" && n["by"] == "ana"), "{rec}");

    // Unknown ids, a query without an id, and a malformed query are refused in one sentence.
    send_json(&mut sup, json!({"type": "query", "id": "q3", "query": {"type": "call", "call": "C-999999"}})).await;
    let err = next_answer(&mut sup).await;
    assert_eq!((err["code"].as_str(), err["id"].as_str()), (Some("not_found"), Some("q3")), "{err}");
    send_json(&mut sup, json!({"type": "query", "query": {"type": "call", "call": "C-1001"}})).await;
    let err = next_answer(&mut sup).await;
    assert_eq!(err["code"], "bad_frame", "{err}");
    send_json(&mut sup, json!({"type": "query", "id": "q4", "query": {"type": "recording"}})).await;
    let err = next_answer(&mut sup).await;
    assert_eq!((err["code"].as_str(), err["id"].as_str()), (Some("bad_frame"), Some("q4")), "{err}");
    let _ = server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);

    // An engine without a database says so.
    let server = start().await;
    let mut sup = hello(&server.url(), SUP).await;
    send_json(&mut sup, json!({"type": "query", "id": "q5", "query": {"type": "call", "call": "C-1001"}})).await;
    let err = next_answer(&mut sup).await;
    assert!(err["message"].as_str().is_some_and(|m| m.contains("keeps no database")), "{err}");
}
