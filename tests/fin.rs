//! Finance (issue 9 points 1 and 2): the IVR's identity check and second confirmation (二次确认), and tickets that
//! carry their call's excerpt and the caller's earlier calls and tickets (repeat callers). Seeded sim runs, the
//! `confirm` command on the engine, and its refusals over a real server.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use callfloor::client::{self, ClientConfig, Mirror, Outgoing, Update};
use callfloor::engine::Engine;
use callfloor::engine::server::mask::mask_floor;
use callfloor::engine::server::{self, Pacing, ServerConfig, ServerHandle, TokenEntry, Tokens};
use callfloor::engine::sim::scenario::{BUNDLED, Scenario};
use callfloor::model::*;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

fn bank_with(agent_decides: &str) -> Scenario {
    let text = BUNDLED.iter().find(|(n, _)| *n == "bank").map(|(_, t)| *t).unwrap_or_default();
    let text = text.replace("agent_decides = 0.6", &format!("agent_decides = {agent_decides}"));
    match Scenario::parse(&text, "bank (test)") {
        Ok(s) => s,
        Err(e) => panic!("the bank scenario with agent_decides = {agent_decides} must load: {e}"),
    }
}

/// Runs `engine` `minutes` floor-minutes on and returns the events, each with the mirror floor as it was just
/// before it (so a test can ask what a call looked like when something happened to it).
fn run(engine: &mut Engine, minutes: i64, mirror: &mut Floor) -> Vec<(Event, Option<Call>)> {
    let to = engine.now() + chrono::Duration::minutes(minutes);
    let mut out = Vec::new();
    while engine.now() < to {
        let step = engine.now() + chrono::Duration::seconds(30);
        engine.advance_to(step.min(to));
        for ev in engine.drain() {
            let call = event_call(&ev).and_then(|c| mirror.calls.get(&c).cloned());
            mirror.apply(&ev);
            out.push((ev, call));
        }
    }
    out
}

fn event_call(ev: &Event) -> Option<CallId> {
    match &ev.kind {
        EventKind::ConfirmationRequested { call, .. }
        | EventKind::ConfirmationDecided { call, .. }
        | EventKind::RuleMatched { call, .. }
        | EventKind::CallerRecognised { call, .. } => Some(*call),
        _ => None,
    }
}

fn fresh(engine: &mut Engine) -> Floor {
    let mut mirror = Floor::default();
    for ev in engine.drain() {
        mirror.apply(&ev);
    }
    mirror
}

#[test]
fn a_risk_word_on_an_unverified_bank_call_waits_for_second_confirmation() {
    let mut engine = Engine::new(bank_with("0.6"), 11);
    let mut mirror = fresh(&mut engine);
    let events = run(&mut engine, 240, &mut mirror);
    assert_eq!(&mirror, engine.floor(), "the mirror built from the events equals the engine's floor");

    // The IVR verified callers every way the scenario allows.
    let mut verified: HashMap<Verification, usize> = HashMap::new();
    for (ev, _) in &events {
        if let EventKind::CallVerified { verification, .. } = ev.kind {
            *verified.entry(verification).or_default() += 1;
        }
    }
    for v in Verification::ALL {
        assert!(verified.get(&v).copied().unwrap_or(0) > 0, "no call was {v:?} in four hours: {verified:?}");
    }

    // Every request came from the verification rule on a call that was not verified, with a critical alert.
    let requested: Vec<(CallId, Option<Verification>)> = events
        .iter()
        .filter_map(|(ev, before)| match &ev.kind {
            EventKind::ConfirmationRequested { call, rule, .. } => {
                assert_eq!(rule, "account-risk", "only the rule with requires_verification asks");
                Some((*call, before.as_ref().and_then(|c| c.verification)))
            }
            _ => None,
        })
        .collect();
    assert!(requested.len() >= 5, "a bank day asks for second confirmations: {}", requested.len());
    for (call, v) in &requested {
        assert!(!v.is_some_and(Verification::is_verified), "{call} was verified ({v:?}) and still asked");
        let alerted = events.iter().any(|(ev, _)| {
            matches!(&ev.kind, EventKind::AlertRaised { alert }
                if alert.kind == AlertKind::SecondConfirmation && alert.severity == Severity::Critical
                    && alert.subject == call.to_string())
        });
        assert!(alerted, "{call} asked for a second confirmation without a critical alert");
    }
    // The same rule on verified calls asks nothing.
    let verified_hits = events
        .iter()
        .filter(|(ev, before)| {
            matches!(&ev.kind, EventKind::RuleMatched { rule, .. } if rule == "account-risk")
                && before.as_ref().and_then(|c| c.verification).is_some_and(Verification::is_verified)
        })
        .count();
    assert!(verified_hits > 0, "verified callers say the risk words too");
    assert!(
        events.iter().filter(|(ev, _)| matches!(ev.kind, EventKind::RuleMatched { .. })).count() > requested.len(),
        "not every rule hit asks"
    );

    // Agents settled some: confirmed some, refused some; a refusal opened an identity-review ticket for the call.
    let decided: Vec<(CallId, bool, String)> = events
        .iter()
        .filter_map(|(ev, _)| match &ev.kind {
            EventKind::ConfirmationDecided { call, accept, by, .. } => Some((*call, *accept, by.clone())),
            _ => None,
        })
        .collect();
    assert!(decided.iter().all(|(_, _, by)| by.starts_with("agent A-")), "{decided:?}");
    assert!(decided.iter().any(|d| d.1) && decided.iter().any(|d| !d.1), "agents confirm and refuse: {decided:?}");
    assert!(decided.len() < requested.len(), "agents leave some to supervisors (agent_decides = 0.6)");
    for (call, _, _) in decided.iter().filter(|d| !d.1) {
        let ticket = events.iter().any(|(ev, _)| {
            matches!(&ev.kind, EventKind::TicketOpened { ticket }
                if ticket.call == Some(*call) && ticket.category == "identity-review"
                    && ticket.priority == TicketPriority::Urgent)
        });
        assert!(ticket, "the refusal on {call} opened no identity-review ticket");
    }
}

#[test]
fn a_supervisor_confirms_or_refuses_and_a_refused_call_cannot_be_transferred() {
    // Agents leave every second confirmation to the supervisors.
    let mut engine = Engine::new(bank_with("0.0"), 5);
    let mut mirror = fresh(&mut engine);
    let mut pending = Vec::new();
    for _ in 0..480 {
        run(&mut engine, 1, &mut mirror);
        pending = engine
            .floor()
            .calls
            .values()
            .filter(|c| {
                c.confirmation.as_ref().is_some_and(|k| k.is_pending())
                    && matches!(c.state, CallState::Connected | CallState::Held)
            })
            .map(|c| c.id)
            .collect();
        if pending.len() >= 2 {
            break;
        }
    }
    let [yes, no, ..] = pending[..] else { panic!("two connected calls pending within eight hours: {pending:?}") };
    let ana = Actor::new("ana", Role::Supervisor);
    let val = Actor::new("val", Role::Viewer);

    let confirm = |call, accept, note: Option<&str>| Command::Confirm { call, accept, note: note.map(str::to_string) };
    let forbidden = engine.command(&val, &confirm(yes, true, None));
    assert_eq!(forbidden.map_err(|e| e.code), Err(ErrorCode::Forbidden));
    assert_eq!(engine.command(&ana, &confirm(yes, true, Some("caller named the last payee"))), Ok(()));
    let c = engine.floor().calls.get(&yes).and_then(|c| c.confirmation.clone());
    let Some(c) = c else { panic!("{yes} keeps its confirmation") };
    assert_eq!(
        (c.state, c.by.as_deref(), c.note.as_deref()),
        (ConfirmationState::Confirmed, Some("ana"), Some("caller named the last payee"))
    );
    let again = engine.command(&ana, &confirm(yes, false, None));
    let Err(e) = again else { panic!("a settled confirmation cannot be settled again") };
    assert_eq!(e.code, ErrorCode::Conflict);
    assert!(e.message.contains("already confirmed by ana"), "{}", e.message);

    assert_eq!(engine.command(&ana, &confirm(no, false, Some("voice does not match"))), Ok(()));
    let call = engine.floor().calls.get(&no).cloned();
    let Some(call) = call else { panic!("{no} is still live") };
    assert_eq!(call.confirmation.as_ref().map(|c| c.state), Some(ConfirmationState::Refused));
    assert!(call.flags.risk, "a refused call stays flagged");
    let review = engine.floor().tickets.values().find(|t| t.call == Some(no) && t.category == "identity-review");
    let Some(review) = review else { panic!("the refusal opened an identity-review ticket") };
    assert!(review.summary.contains("voice does not match"), "{}", review.summary);
    let to_queue = Some(QueueId::new("general"));
    let Err(e) = engine.command(&ana, &Command::Transfer { call: no, to_agent: None, to_queue }) else {
        panic!("a call whose confirmation was refused cannot be transferred")
    };
    assert_eq!(e.code, ErrorCode::Conflict);
    assert!(e.message.contains("refused by ana"), "{}", e.message);

    let unknown = engine.command(&ana, &confirm(CallId(999_999), true, None));
    assert_eq!(unknown.map_err(|e| e.code), Err(ErrorCode::NotFound));
    let plain = engine.floor().calls.values().find(|c| c.confirmation.is_none()).map(|c| c.id);
    let Some(plain) = plain else { panic!("some live call has no confirmation") };
    assert_eq!(engine.command(&ana, &confirm(plain, true, None)).map_err(|e| e.code), Err(ErrorCode::Conflict));

    // Every one of them is audited with its outcome.
    let audit: Vec<(String, bool)> = engine
        .floor()
        .audit
        .iter()
        .filter(|e| e.command.contains(r#""type":"confirm""#))
        .map(|e| (e.actor.clone(), e.ok))
        .collect();
    let want: Vec<(String, bool)> =
        [("val", false), ("ana", true), ("ana", false), ("ana", true), ("ana", false), ("ana", false)]
            .iter()
            .map(|(a, ok)| (a.to_string(), *ok))
            .collect();
    assert_eq!(audit, want);
}

#[test]
fn every_bundled_scenario_has_repeat_callers_linked_by_id_on_calls_and_tickets() {
    for (name, _) in BUNDLED {
        let Ok(s) = Scenario::load(name) else { panic!("{name} must load") };
        let mut engine = Engine::new(s, 3);
        let mut mirror = fresh(&mut engine);
        let events = run(&mut engine, 360, &mut mirror);
        // Who called, by call id, and how each call ended.
        let mut caller: HashMap<CallId, String> = HashMap::new();
        let mut ended: HashMap<CallId, CallState> = HashMap::new();
        let mut recognised = 0;
        let mut linked_tickets = 0;
        for (ev, _) in &events {
            match &ev.kind {
                EventKind::CallArrived { call, caller: c, .. } => {
                    caller.insert(*call, c.clone());
                }
                EventKind::CallEnded { call } => {
                    ended.insert(*call, CallState::Ended);
                }
                EventKind::CallAbandoned { call } => {
                    ended.insert(*call, CallState::Abandoned);
                }
                EventKind::CallerRecognised { call, earlier } => {
                    recognised += 1;
                    assert!(earlier.calls.len() <= EARLIER_CAP && earlier.tickets.len() <= EARLIER_CAP);
                    for e in &earlier.calls {
                        assert_eq!(
                            caller.get(&e.call),
                            caller.get(call),
                            "{name}: {call} linked to another's {}",
                            e.call
                        );
                        assert_eq!(ended.get(&e.call), Some(&e.outcome), "{name}: {} ended otherwise", e.call);
                    }
                }
                EventKind::TicketOpened { ticket } => {
                    let l = &ticket.links;
                    assert!(l.excerpt.len() <= EXCERPT_LINES, "{name}: {} keeps {} lines", ticket.id, l.excerpt.len());
                    assert!(l.excerpt.iter().all(|x| x.text.chars().count() <= EXCERPT_LINE_CHARS + 1));
                    if !l.earlier.is_empty() {
                        linked_tickets += 1;
                    }
                }
                _ => {}
            }
        }
        assert!(recognised >= 3, "{name}: only {recognised} repeat callers in six hours");
        assert!(linked_tickets >= 1, "{name}: no ticket links a caller's earlier contacts");
        let with_excerpt =
            engine.floor().tickets.values().filter(|t| t.call.is_some() && !t.links.excerpt.is_empty()).count();
        let with_call = engine.floor().tickets.values().filter(|t| t.call.is_some()).count();
        assert!(
            with_excerpt * 10 >= with_call * 9,
            "{name}: {with_excerpt} of {with_call} call tickets keep an excerpt"
        );
        // The repeat caller is flagged on the live call.
        assert_eq!(&mirror, engine.floor(), "{name}: the mirror equals the engine's floor");
    }
}

#[test]
fn excerpts_and_confirmation_words_are_masked_below_admin() {
    let mut engine = Engine::new(bank_with("0.6"), 11);
    let mut mirror = fresh(&mut engine);
    run(&mut engine, 240, &mut mirror);
    let floor = engine.floor();
    let id_number = "110101199003071234";
    let clear = floor.tickets.values().flat_map(|t| &t.links.excerpt).filter(|l| l.text.contains(id_number)).count();
    assert!(clear > 0, "some excerpt holds the ID number a lost-card caller reads out");
    let masked = mask_floor(floor);
    let leaked = masked.tickets.values().flat_map(|t| &t.links.excerpt).filter(|l| l.text.contains(id_number)).count();
    assert_eq!(leaked, 0, "an excerpt shows an ID number unmasked below admin");
    // The links carry ids only: no caller number travels with them.
    let wire =
        serde_json::to_string(&masked.tickets.values().map(|t| &t.links).collect::<Vec<_>>()).unwrap_or_default();
    let numbers: Vec<&str> = floor.calls.values().map(|c| c.caller.as_str()).collect();
    assert!(numbers.iter().all(|n| !wire.contains(n)), "a caller number travels with a ticket's links");
}

// ---------------------------------------------------------------------------------------------------------------
// The `confirm` command over a real server.

const GUARD: Duration = Duration::from_secs(30);

async fn guard<T>(what: &str, f: impl Future<Output = T>) -> T {
    match tokio::time::timeout(GUARD, f).await {
        Ok(v) => v,
        Err(_) => panic!("timed out: {what}"),
    }
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

    async fn command(&mut self, command: Command) -> Result<(), (ErrorCode, String)> {
        self.next_id += 1;
        let id = format!("f-{}", self.next_id);
        let sent = self.commands.send(Outgoing::command(id.clone(), command)).await;
        assert!(sent.is_ok(), "the client task must take commands");
        loop {
            let Some(u) = guard("an update", self.updates.recv()).await else { panic!("the client stopped") };
            self.mirror.apply(&u, std::time::Instant::now());
            match u {
                Update::Ack { id: i } if i == id => return Ok(()),
                Update::Error { id: Some(i), code, message } if i == id => return Err((code, message)),
                _ => {}
            }
        }
    }
}

#[tokio::test]
async fn confirm_is_refused_over_the_wire_for_viewers_unknown_calls_and_calls_not_pending() {
    let mut engine = Engine::new(bank_with("0.0"), 5);
    let mut mirror = fresh(&mut engine);
    let mut pending = None;
    for _ in 0..480 {
        run(&mut engine, 1, &mut mirror);
        pending = engine
            .floor()
            .calls
            .values()
            .find(|c| c.confirmation.as_ref().is_some_and(|k| k.is_pending()))
            .map(|c| c.id);
        if pending.is_some() {
            break;
        }
    }
    let Some(call) = pending else { panic!("a call waits for a second confirmation within eight hours") };
    let plain = engine.floor().calls.values().find(|c| c.confirmation.is_none()).map(|c| c.id);
    let Some(plain) = plain else { panic!("some live call has no confirmation") };
    let Ok(listener) = TcpListener::bind("127.0.0.1:0").await else { panic!("cannot bind a loopback port") };
    let e = |name: &str, token: &str, role| TokenEntry { name: name.into(), token: token.into(), role };
    let tokens = Tokens::from_entries(vec![
        e("ana", "supervisor-token-0001", Role::Supervisor),
        e("val", "viewer-token-0000001", Role::Viewer),
    ]);
    let Ok(server) = server::serve(listener, engine, ServerConfig::new(tokens, Pacing::Manual)).await else {
        panic!("the server must start")
    };
    let server: ServerHandle = server;
    let mut val = TestClient::connect(&server.url(), "viewer-token-0000001");
    let mut ana = TestClient::connect(&server.url(), "supervisor-token-0001");
    let confirm = |call, accept| Command::Confirm { call, accept, note: None };

    let Err((code, message)) = val.command(confirm(call, true)).await else { panic!("a viewer cannot confirm") };
    assert_eq!(code, ErrorCode::Forbidden, "{message}");
    let Err((code, _)) = ana.command(confirm(CallId(999_999), true)).await else { panic!("unknown call") };
    assert_eq!(code, ErrorCode::NotFound);
    let Err((code, message)) = ana.command(confirm(plain, false)).await else { panic!("not pending") };
    assert_eq!(code, ErrorCode::Conflict);
    assert!(message.contains("not waiting for a second confirmation"), "{message}");
    assert_eq!(ana.command(confirm(call, false)).await, Ok(()));
    // The viewer's (masked) mirror shows the outcome.
    let Ok(seq) = guard("advance", server.advance(chrono::Duration::seconds(1), chrono::Duration::seconds(1))).await
    else {
        panic!("advance failed")
    };
    while !(val.mirror.is_live() && val.mirror.seq() >= seq) {
        let Some(u) = guard("an update", val.updates.recv()).await else { panic!("the client stopped") };
        val.mirror.apply(&u, std::time::Instant::now());
    }
    let state =
        val.mirror.floor.calls.get(&call).and_then(|c| c.confirmation.as_ref()).map(|c| (c.state, c.by.clone()));
    assert_eq!(state, Some((ConfirmationState::Refused, Some("ana".into()))));
}
