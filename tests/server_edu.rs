//! Issue 9's new commands over the wire, on a live server (127.0.0.1:0, `Pacing::Manual`): `add_seats` and
//! `assign_callback` are acknowledged or refused with `forbidden`, `not_found`, `conflict` or `bad_frame`, and every
//! mirror sees the temporary seats, the callbacks' outcomes and the student records, masked below admin.

use std::future::Future;
use std::time::Duration;

use callfloor::client::{self, ClientConfig, Mirror, Outgoing, Update};
use callfloor::engine::Engine;
use callfloor::engine::server::mask::mask_floor;
use callfloor::engine::server::{self, Pacing, ServerConfig, ServerHandle, TokenEntry, Tokens};
use callfloor::engine::sim::scenario::Scenario;
use callfloor::model::*;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

const GUARD: Duration = Duration::from_secs(30);
const SUP: &str = "supervisor-token-0001";
const ADMIN: &str = "admin-token-00000001";
const VIEWER: &str = "viewer-token-0000001";

async fn start() -> ServerHandle {
    let e = |name: &str, token: &str, role| TokenEntry { name: name.into(), token: token.into(), role };
    let tokens = Tokens::from_entries(vec![
        e("ana", SUP, Role::Supervisor),
        e("root", ADMIN, Role::Admin),
        e("val", VIEWER, Role::Viewer),
    ]);
    let Ok(s) = Scenario::load("school") else { panic!("the bundled school scenario must load") };
    let Ok(listener) = TcpListener::bind("127.0.0.1:0").await else { panic!("cannot bind a loopback port") };
    let mut cfg = ServerConfig::new(tokens, Pacing::Manual);
    cfg.limits.queue_frames = 4096;
    match server::serve(listener, Engine::new(s, 4), cfg).await {
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

struct TestClient {
    updates: mpsc::Receiver<Update>,
    commands: mpsc::Sender<Outgoing>,
    mirror: Mirror,
    next_id: u32,
}

impl TestClient {
    fn connect(url: &str, token: &str) -> TestClient {
        let (updates, commands) = client::spawn(ClientConfig::new(url, token));
        TestClient { updates, commands, mirror: Mirror::default(), next_id: 0 }
    }

    async fn pump(&mut self) -> Update {
        let Some(u) = guard("an update from the client", self.updates.recv()).await else {
            panic!("the client task stopped; its state was {:?}", self.mirror.conn)
        };
        self.mirror.apply(&u, std::time::Instant::now());
        u
    }

    async fn sync_to(&mut self, seq: u64) {
        while !(self.mirror.is_live() && self.mirror.seq() >= seq) {
            self.pump().await;
        }
    }

    async fn command(&mut self, command: Command) -> Result<(), ErrorCode> {
        self.next_id += 1;
        let id = format!("t-{}", self.next_id);
        let sent = self.commands.send(Outgoing::command(id.clone(), command)).await;
        assert!(sent.is_ok(), "the client task must take commands");
        loop {
            match self.pump().await {
                Update::Ack { id: i } if i == id => return Ok(()),
                Update::Error { id: Some(i), code, .. } if i == id => return Err(code),
                _ => {}
            }
        }
    }
}

#[tokio::test]
async fn add_seats_over_the_wire_is_for_admins_and_every_mirror_sees_the_temporary_seats() {
    let server = start().await;
    let url = server.url();
    let mut admin = TestClient::connect(&url, ADMIN);
    let mut sup = TestClient::connect(&url, SUP);
    let seq = advance(&server, 60).await;
    admin.sync_to(seq).await;
    sup.sync_to(seq).await;
    let now = engine_floor(&server).await.time();
    let add = |queue: &str, count: u32, until| Command::AddSeats {
        queue: QueueId::new(queue),
        count,
        skills: vec!["registry".into()],
        until,
        origin: SeatOrigin::PartTime,
    };
    let hour = now + chrono::Duration::hours(1);
    assert_eq!(sup.command(add("enrolment", 2, hour)).await, Err(ErrorCode::Forbidden));
    assert_eq!(admin.command(add("nowhere", 2, hour)).await, Err(ErrorCode::NotFound));
    assert_eq!(admin.command(add("enrolment", 0, hour)).await, Err(ErrorCode::BadFrame));
    assert_eq!(admin.command(add("enrolment", 2, now - chrono::Duration::minutes(5))).await, Err(ErrorCode::BadFrame));
    assert_eq!(admin.command(add("enrolment", 2, hour)).await, Ok(()));
    let seq = advance(&server, 30).await;
    admin.sync_to(seq).await;
    sup.sync_to(seq).await;
    let floor = engine_floor(&server).await;
    let temps: Vec<&Agent> =
        floor.agents.values().filter(|a| a.temporary.as_ref().is_some_and(|t| t.until == hour)).collect();
    assert_eq!(temps.len(), 2);
    assert!(admin.mirror.floor == floor, "the admin's mirror equals the engine");
    assert!(sup.mirror.floor == mask_floor(&floor), "the supervisor's mirror equals the masked floor");
    assert!(sup.mirror.floor.agents.values().filter(|a| a.temporary.is_some()).count() >= 2);
}

#[tokio::test]
async fn assign_callback_over_the_wire_is_refused_with_forbidden_not_found_and_conflict() {
    let server = start().await;
    let url = server.url();
    let mut sup = TestClient::connect(&url, SUP);
    let mut viewer = TestClient::connect(&url, VIEWER);
    // Run until somebody hung up.
    let mut cb = None;
    for _ in 0..360 {
        let f = engine_floor(&server).await;
        cb = f.callbacks.iter().find(|c| c.status == CallbackStatus::Waiting).map(|c| (c.call, c.queue.clone()));
        if cb.is_some() {
            break;
        }
        advance(&server, 60).await;
    }
    let Some((call, Some(queue))) = cb else { panic!("no callback within six floor-hours") };
    let seq = engine_floor(&server).await.seq;
    sup.sync_to(seq).await;
    viewer.sync_to(seq).await;
    let to_queue = |call, q: QueueId| Command::AssignCallback { call, to_agent: None, to_queue: Some(q) };
    assert_eq!(viewer.command(to_queue(call, queue.clone())).await, Err(ErrorCode::Forbidden));
    assert_eq!(sup.command(to_queue(CallId(3), queue.clone())).await, Err(ErrorCode::NotFound));
    assert_eq!(sup.command(to_queue(call, QueueId::new("nowhere"))).await, Err(ErrorCode::NotFound));
    let unknown_agent = Command::AssignCallback { call, to_agent: Some(AgentId(9999)), to_queue: None };
    assert_eq!(sup.command(unknown_agent).await, Err(ErrorCode::NotFound));
    assert_eq!(sup.command(to_queue(call, queue.clone())).await, Ok(()));
    assert_eq!(sup.command(to_queue(call, queue.clone())).await, Err(ErrorCode::Conflict));
    // The viewer's mirror shows the assignment (and the dialled number masked).
    let seq = advance(&server, 120).await;
    viewer.sync_to(seq).await;
    let floor = engine_floor(&server).await;
    assert!(viewer.mirror.floor == mask_floor(&floor), "the viewer's mirror equals the masked floor");
    let seen = viewer.mirror.floor.callbacks.iter().find(|c| c.call == call).and_then(|c| c.assigned.clone());
    assert_eq!(seen.map(|a| (a.queue, a.by)), Some((Some(queue), "ana".to_string())));
    for c in viewer.mirror.floor.calls.values().filter(|c| c.callback_for.is_some()) {
        assert!(c.caller.contains('*'), "the dialled number is masked for a viewer: {}", c.caller);
    }
}
