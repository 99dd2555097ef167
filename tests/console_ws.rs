//! The console against a live engine over the real WebSocket: a server on 127.0.0.1:0, the client the console
//! uses, its updates fed into an `App`, keys driving the interventions, and the engine's own floor checked through
//! the server handle afterwards. The engine is stepped (`Pacing::Manual`), so nothing waits on the wall clock;
//! timeouts only turn a hang into a failure.

mod console_support;

use std::future::Future;
use std::time::Duration;

use callfloor::client::{self, ClientConfig, ConnState, Outgoing, Update};
use callfloor::console::app::{App, AppOptions};
use callfloor::engine::Engine;
use callfloor::engine::server::mask::mask_floor;
use callfloor::engine::server::{self, Pacing, ServerConfig, ServerHandle, TokenEntry, Tokens};
use callfloor::model::*;
use console_support::*;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// How long any one wait may take before the test fails instead of hanging.
const GUARD: Duration = Duration::from_secs(30);
const SUP_NAME: &str = "ana";
const SUP: &str = "supervisor-token-0001";
const VIEWER_NAME: &str = "val";
const VIEWER: &str = "viewer-token-0000001";

fn tokens() -> Tokens {
    Tokens::from_entries(vec![
        TokenEntry { name: SUP_NAME.into(), token: SUP.into(), role: Role::Supervisor },
        TokenEntry { name: VIEWER_NAME.into(), token: VIEWER.into(), role: Role::Viewer },
    ])
}

async fn guard<T>(what: &str, f: impl Future<Output = T>) -> T {
    match tokio::time::timeout(GUARD, f).await {
        Ok(v) => v,
        Err(_) => panic!("timed out: {what}"),
    }
}

/// Serves `engine` on `addr` (a port of 0 picks a free one), stepped by the test.
async fn serve_on(addr: &str, engine: Engine) -> ServerHandle {
    // A stopped server's acceptor task lets go of its port when the runtime next runs it: give it the turns.
    let mut listener = TcpListener::bind(addr).await;
    for _ in 0..1000 {
        if listener.is_ok() {
            break;
        }
        tokio::task::yield_now().await;
        listener = TcpListener::bind(addr).await;
    }
    let Ok(listener) = listener else { panic!("cannot bind {addr}: {:?}", listener.err()) };
    match server::serve(listener, engine, ServerConfig::new(tokens(), Pacing::Manual)).await {
        Ok(s) => s,
        Err(e) => panic!("the server must start: {e:#}"),
    }
}

/// The fixture floor (hospital, seed 7, 20 floor-minutes in) on a free loopback port.
async fn start() -> ServerHandle {
    serve_on("127.0.0.1:0", hospital(WARM_MINUTES)).await
}

async fn engine_floor(server: &ServerHandle) -> Floor {
    let f = guard("the engine's floor", server.floor()).await;
    let Ok(f) = f else { panic!("the engine must answer with its floor") };
    f
}

/// Runs the engine `secs` floor-seconds on, one events batch per floor-second; returns the seq after.
async fn advance(server: &ServerHandle, secs: i64) -> u64 {
    let (by, step) = (chrono::Duration::seconds(secs), chrono::Duration::seconds(1));
    let seq = guard("advance", server.advance(by, step)).await;
    let Ok(seq) = seq else { panic!("the engine must advance") };
    seq
}

/// A console App fed by the real WebSocket client, as `callfloor console --url` runs it (minus the terminal).
struct Console {
    app: App,
    updates: mpsc::Receiver<Update>,
    commands: mpsc::Sender<Outgoing>,
}

impl Console {
    fn connect(url: &str, token: &str) -> Console {
        let mut cfg = ClientConfig::new(url, token);
        // Reconnect quickly; and never take a slow debug build for a dead engine.
        cfg.backoff_initial = Duration::from_millis(20);
        cfg.backoff_max = Duration::from_millis(200);
        cfg.silence_timeout = Duration::from_secs(60);
        let (updates, commands) = client::spawn(cfg);
        let mut app = App::new(AppOptions::default());
        app.data_age = Duration::from_secs(1);
        Console { app, updates, commands }
    }

    /// Takes the client's next update into the App, and returns it.
    async fn pump(&mut self) -> Update {
        let u = guard("an update from the client", self.updates.recv()).await;
        let Some(u) = u else {
            panic!("the client task stopped; the console's connection was {:?}", self.app.mirror.conn)
        };
        self.app.apply_update(u.clone());
        u
    }

    /// Pumps until the App is connected and its mirror holds every event up to `seq`.
    async fn sync_to(&mut self, seq: u64) {
        while !(self.app.mirror.conn == ConnState::Connected && self.app.has_data() && self.app.floor().seq >= seq) {
            self.pump().await;
        }
    }

    /// Sends what the keys produced through the client, and pumps until each command's ack or error.
    async fn send(&mut self, out: Vec<Outgoing>) -> Vec<Result<(), (ErrorCode, String)>> {
        assert!(!out.is_empty(), "the keys must have produced a command");
        let mut results = Vec::new();
        for o in out {
            let id = o.id.clone();
            assert!(self.app.pending.contains_key(&id), "the App waits for {id}'s answer");
            let sent = self.commands.send(o).await;
            assert!(sent.is_ok(), "the client task must take commands");
            loop {
                match self.pump().await {
                    Update::Ack { id: i } if i == id => break results.push(Ok(())),
                    Update::Error { id: Some(i), code, message } if i == id => {
                        break results.push(Err((code, message)));
                    }
                    _ => {}
                }
            }
        }
        results
    }

    /// Sends one command and expects it acknowledged.
    async fn ok(&mut self, out: Vec<Outgoing>) {
        let what: Vec<String> = out.iter().map(|o| o.name().to_string()).collect();
        let results = self.send(out).await;
        assert!(results.iter().all(Result::is_ok), "{what:?} must be acknowledged: {results:?}");
    }

    fn last_toast(&self) -> (String, bool) {
        self.app.messages.back().map(|t| (t.text.clone(), t.ok)).unwrap_or_default()
    }

    fn screen(&self) -> String {
        draw(&self.app, 80, 24).backend().to_string()
    }
}

#[tokio::test]
async fn barge_say_reassign_ack_escalate_reach_the_engine_over_the_websocket() {
    let server = start().await;
    let mut console = Console::connect(&server.url(), SUP);
    let start_seq = engine_floor(&server).await.seq;
    console.sync_to(start_seq).await;
    assert_eq!((console.app.mirror.role, console.app.user()), (Some(Role::Supervisor), SUP_NAME));
    assert!(console.screen().contains("ana (supervisor)  ● live"), "{}", console.screen());
    assert!(
        *console.app.floor() == mask_floor(&engine_floor(&server).await),
        "the console starts from the engine's floor, as a supervisor sees it"
    );
    let app = &mut console.app;

    // Barge into a connected call (an urgent one if there is one), picked from the Calls list.
    let call = connected_call(app.floor());
    keys(app, &["2", "/"]);
    type_text(app, &call.to_string());
    press(app, "enter");
    assert_eq!(ids_calls(app), vec![call], "the filter leaves the one call");
    assert!(press(app, "b").is_empty(), "barging from a list asks first");
    let out = press(app, "y");
    assert_eq!(out.iter().filter_map(|o| o.as_command().cloned()).collect::<Vec<_>>(), vec![Command::Barge { call }]);
    console.ok(out).await;
    assert_eq!(console.last_toast(), (format!("✓ barge {call}"), true));
    let floor = engine_floor(&server).await;
    let Some(c) = floor.calls.get(&call) else { panic!("{call} is still live on the engine") };
    let on: Vec<(&str, SupervisorMode)> = c.supervisors.iter().map(|p| (p.supervisor.as_str(), p.mode)).collect();
    assert_eq!(on, vec![(SUP_NAME, SupervisorMode::Barge)], "the engine has ana barged in");
    assert_eq!(console.app.my_mode(call), Some(SupervisorMode::Barge), "and the console's mirror shows it");

    // Say a line into the call: barged in, caller and agent hear it.
    let said = "This is the duty supervisor, I am taking over";
    press(&mut console.app, "i");
    type_text(&mut console.app, said);
    let out = press(&mut console.app, "enter");
    console.ok(out).await;
    let (toast, ok) = console.last_toast();
    assert!(ok && toast.starts_with(&format!("✓ say to {call}")), "{toast}");
    let floor = engine_floor(&server).await;
    let line = floor.calls.get(&call).and_then(|c| c.transcript.last().cloned());
    let Some(line) = line else { panic!("{call} has a transcript on the engine") };
    assert_eq!((line.speaker, line.text.as_str(), line.whisper), (Speaker::Supervisor, said, false));

    // Add the first queue to an agent who does not serve it, through the dialog.
    let (agent, serves) = agent_to_reassign(console.app.floor());
    let first = queue_ids(console.app.floor())[0].clone();
    let want = in_floor_order(console.app.floor(), &serves, std::slice::from_ref(&first));
    let app = &mut console.app;
    keys(app, &["3", "/"]);
    type_text(app, &agent.to_string());
    press(app, "enter");
    assert_eq!(ids_agents(app), vec![agent], "the filter leaves the one agent");
    let out = keys(app, &["r", "space", "enter"]);
    console.ok(out).await;
    let names: Vec<&str> = want.iter().map(QueueId::as_str).collect();
    assert_eq!(console.last_toast(), (format!("✓ reassign {agent} to {}", names.join(", ")), true));
    let floor = engine_floor(&server).await;
    assert_eq!(floor.agents.get(&agent).map(|a| a.queues.clone()), Some(want), "the engine has the new queues");

    // Acknowledge the newest alert.
    let app = &mut console.app;
    press(app, "4");
    let Some(&alert) = ids_alerts(app).first() else { panic!("the fixture floor has alerts") };
    assert_eq!(app.floor().alerts.keys().next_back(), Some(&alert), "the Alerts view lists the newest first");
    let out = press(app, "a");
    console.ok(out).await;
    assert_eq!(console.last_toast(), (format!("✓ ack {alert}"), true));
    let floor = engine_floor(&server).await;
    let acked = floor.alerts.get(&alert).and_then(|a| a.acked.as_ref()).map(|a| a.by.as_str());
    assert_eq!(acked, Some(SUP_NAME), "the engine has the alert acknowledged by ana");

    // Escalate the ticket due soonest, with a note.
    let app = &mut console.app;
    press(app, "5");
    let Some(&ticket) = ids_tickets(app).first() else { panic!("the fixture floor has open tickets") };
    assert_eq!(ticket, soonest_ticket(app.floor()), "the Tickets view lists the soonest due first");
    press(app, "e");
    type_text(app, "caller rang three times, take it up");
    let out = press(app, "enter");
    console.ok(out).await;
    assert_eq!(console.last_toast(), (format!("✓ escalate {ticket}"), true));
    let floor = engine_floor(&server).await;
    let Some(t) = floor.tickets.get(&ticket) else { panic!("{ticket} is on the engine's floor") };
    assert_eq!((t.status, t.level), (TicketStatus::Escalated, 1));
    assert!(
        t.notes.iter().any(|n| n.text == "caller rang three times, take it up" && n.by == SUP_NAME),
        "the engine has the note: {:?}",
        t.notes
    );

    // A floor-minute later: the audit log has all five, and the console shows the engine's floor.
    let seq = advance(&server, 60).await;
    console.sync_to(seq).await;
    let floor = engine_floor(&server).await;
    let ours: Vec<(&str, bool)> = floor
        .audit
        .iter()
        .filter(|e| e.actor == SUP_NAME)
        .map(|e| (serde_json::from_str::<Command>(&e.command).map(|c| c.name()).unwrap_or("unreadable"), e.ok))
        .collect();
    assert_eq!(
        ours,
        vec![("barge", true), ("say", true), ("reassign", true), ("ack_alerts", true), ("escalate", true)],
        "every command is audited with its outcome"
    );
    assert!(*console.app.floor() == mask_floor(&floor), "the console's mirror equals the engine's floor");
    assert!(console.app.pending.is_empty(), "every command got its answer");
    let Ok(None) = guard("shutdown", server.shutdown()).await else { panic!("the server shuts down cleanly") };
}

#[tokio::test]
async fn a_viewer_gets_the_refusal_reason_as_a_toast() {
    let server = start().await;
    let mut console = Console::connect(&server.url(), VIEWER);
    console.sync_to(engine_floor(&server).await.seq).await;
    assert_eq!(console.app.mirror.role, Some(Role::Viewer));
    assert!(console.screen().contains("val (viewer)"), "the header shows who we are:\n{}", console.screen());

    let call = connected_call(console.app.floor());
    // The console knows its role: it says why locally and sends nothing.
    let out = console.app.run_command_line(&format!("barge {call}"));
    assert!(out.is_empty(), "a viewer's barge is refused before any round trip");
    let (toast, ok) = console.last_toast();
    assert!(!ok, "a refusal is an error message");
    assert!(toast.contains("viewer role cannot barge"), "{toast}");
    assert!(console.screen().contains("viewer role cannot barge"), "and it is on the screen:\n{}", console.screen());
    // A client that sends it anyway is refused by the engine with the reason, and the refusal is audited.
    let raw = vec![Outgoing::command("raw-1", Command::Barge { call })];
    console.app.pending.insert("raw-1".into(), format!("barge {call}"));
    let results = console.send(raw).await;
    let [Err((code, message))] = &results[..] else { panic!("a viewer's barge is refused: {results:?}") };
    assert_eq!(*code, ErrorCode::Forbidden);
    assert!(message.contains("viewer role cannot barge"), "{message}");

    let floor = engine_floor(&server).await;
    assert!(floor.calls.get(&call).is_some_and(|c| c.supervisors.is_empty()), "nothing changed on the engine");
    let last = floor.audit.back().map(|e| (e.actor.as_str(), e.role, e.ok));
    assert_eq!(last, Some((VIEWER_NAME, Role::Viewer, false)), "the refusal is audited");
}

#[tokio::test]
async fn the_console_says_when_the_engine_is_gone_and_recovers_when_it_is_back() {
    let server = start().await;
    let addr = server.local_addr();
    let mut console = Console::connect(&server.url(), SUP);
    console.sync_to(engine_floor(&server).await.seq).await;
    let live = console.screen();
    assert!(live.contains("● live") && !live.contains("STALE"), "{live}");
    let before = console.app.floor().clone();

    // The engine stops: the client reports the loss, and the screen says so and marks the data stale.
    let Ok(_) = guard("shutdown", server.shutdown()).await else { panic!("the server shuts down") };
    loop {
        if let Update::Connection(ConnState::Disconnected { .. }) = console.pump().await {
            break;
        }
    }
    let ConnState::Disconnected { reason, .. } = &console.app.mirror.conn else {
        panic!("the console is disconnected: {:?}", console.app.mirror.conn)
    };
    assert!(reason.contains("closed the connection"), "{reason}");
    let gone = console.screen();
    assert!(gone.contains("○ disconnected"), "the header says so:\n{gone}");
    assert!(gone.contains("⚠ STALE: disconnected"), "the data is marked stale:\n{gone}");
    assert!(*console.app.floor() == before, "the last floor stays on screen");
    // Commands are not lost silently while away: the client refuses them at once.
    let call = connected_call(console.app.floor());
    let out = console.app.run_command_line(&format!("monitor {call}"));
    let results = console.send(out).await;
    assert!(matches!(&results[..], [Err((ErrorCode::Conflict, m))] if m.contains("not connected")), "{results:?}");

    // An engine comes back on the same port (a minute further on): the client reconnects by itself, takes a
    // fresh snapshot, and the screen is live again.
    let server = serve_on(&addr.to_string(), hospital(WARM_MINUTES + 1)).await;
    let floor = engine_floor(&server).await;
    assert!(mask_floor(&floor) != before, "the new engine's floor differs from what the console showed");
    loop {
        console.pump().await;
        if console.app.mirror.conn == ConnState::Connected && console.app.floor().seq == floor.seq {
            break;
        }
    }
    assert!(*console.app.floor() == mask_floor(&floor), "the snapshot replaced the stale mirror");
    let back = console.screen();
    assert!(back.contains("● live") && !back.contains("STALE"), "{back}");
    let Ok(_) = guard("shutdown", server.shutdown()).await else { panic!("the server shuts down") };
}

/// Serves `engine` on a free port with a database in `db`.
async fn serve_with_db(engine: Engine, db: &std::path::Path) -> ServerHandle {
    let Ok(listener) = TcpListener::bind("127.0.0.1:0").await else { panic!("bind") };
    let mut cfg = ServerConfig::new(tokens(), Pacing::Manual);
    cfg.db = Some(callfloor::engine::store::DbOptions::plain(db));
    match server::serve(listener, engine, cfg).await {
        Ok(s) => s,
        Err(e) => panic!("the server must start: {e:#}"),
    }
}

impl Console {
    /// Sends what a key produced (queries included) and pumps until each is answered.
    async fn ask(&mut self, out: Vec<Outgoing>) {
        for o in out {
            let id = o.id.clone();
            assert!(self.commands.send(o).await.is_ok());
            loop {
                match self.pump().await {
                    Update::Record { id: i, .. } | Update::Ack { id: i } if i == id => break,
                    Update::Error { id: Some(i), .. } if i == id => break,
                    _ => {}
                }
            }
        }
    }
}

#[tokio::test]
async fn a_call_that_ended_before_the_console_came_is_read_from_the_engines_database() {
    let dir = std::env::temp_dir().join(format!("callfloor-console-records-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(std::fs::create_dir_all(&dir).is_ok());
    let server = serve_with_db(hospital(WARM_MINUTES), &dir.join("floor.db")).await;
    advance(&server, 600).await;
    let floor = engine_floor(&server).await;
    let Some(gone) = floor.recent.back().map(|r| r.id) else { panic!("calls ended in ten minutes") };

    let mut c = Console::connect(&server.url(), SUP);
    c.sync_to(floor.seq).await;
    assert!(c.app.call_record(gone).is_none(), "the console did not see {gone} end");
    // Its committed rows are what the query reads: a command's ack comes after everything before it is committed.
    let Some(ticket) = floor.tickets.values().find(|t| t.status != TicketStatus::Resolved).map(|t| t.id) else {
        panic!("an open ticket")
    };
    let out = c.app.run_command_line(&format!("note {ticket} \"flush\""));
    c.ok(out).await;

    let out = c.app.run_command_line(&format!("call {gone}"));
    assert!(out.iter().any(|o| o.name() == "query"), "opening a call the console never saw asks the engine");
    assert!(c.screen().contains("reading its record from the engine's database"), "{}", c.screen());
    c.ask(out).await;
    let screen = c.screen();
    assert!(screen.contains(&gone.to_string()) && screen.contains("read only"), "{screen}");
    assert!(screen.contains("transcript:") && !screen.contains("transcript: 0 lines"), "{screen}");
    // Asked once: opening it again sends nothing.
    c.app.update(callfloor::console::action::Action::Close);
    assert!(c.app.run_command_line(&format!("call {gone}")).iter().all(|o| o.name() != "query"));

    // A call id the engine never had says so, instead of waiting.
    let out = c.app.run_command_line("call C-999999");
    c.ask(out).await;
    assert!(c.screen().contains("not in the engine's records"), "{}", c.screen());
    let _ = server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_ticket_with_earlier_notes_shows_them_all_from_the_database() {
    let dir = std::env::temp_dir().join(format!("callfloor-console-ticket-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(std::fs::create_dir_all(&dir).is_ok());
    let server = serve_with_db(hospital(WARM_MINUTES), &dir.join("floor.db")).await;
    let floor = engine_floor(&server).await;
    let Some(ticket) = floor.tickets.values().find(|t| t.status != TicketStatus::Resolved).map(|t| t.id) else {
        panic!("an open ticket")
    };
    let mut c = Console::connect(&server.url(), SUP);
    c.sync_to(floor.seq).await;
    for i in 0..(TICKET_NOTES_INLINE + 5) {
        let out = c.app.run_command_line(&format!("note {ticket} \"note number {i}\""));
        c.ok(out).await;
    }
    assert_eq!(c.app.floor().tickets[&ticket].notes_earlier, 5);
    let out = c.app.run_command_line(&format!("ticket {ticket}"));
    assert!(out.iter().any(|o| o.name() == "query"), "a ticket with earlier notes asks for them");
    c.ask(out).await;
    let screen = draw(&c.app, 120, 60).backend().to_string();
    assert!(screen.contains("note number 0") && screen.contains("note number 24"), "{screen}");
    let _ = server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
