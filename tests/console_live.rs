//! The console against a live engine in the same test: keys become commands, the local feed runs them on a
//! real `Engine`, acks and events come back, and the engine's own floor is checked afterwards.

mod console_support;

use callfloor::client::Update;
use callfloor::console::app::App;
use callfloor::engine::server::mask::mask_floor;
use callfloor::local::{LOCAL_USER, LocalFeed};
use callfloor::model::*;
use console_support::*;

/// Runs the feed for `secs` floor-seconds in one-second batches, giving the App every batch.
fn watch(app: &mut App, feed: &mut LocalFeed, secs: i64) {
    for _ in 0..secs {
        if let Some(u) = feed.step(chrono::Duration::seconds(1)) {
            app.apply_update(u);
        }
    }
}

fn last_toast(app: &App) -> String {
    app.messages.back().map(|t| t.text.clone()).unwrap_or_default()
}

#[test]
fn barge_say_reassign_ack_escalate_reach_the_engine() {
    let mut feed = feed();
    let mut app = attach(&mut feed);
    let call = connected_call(app.floor());

    // Barge into a connected call (an urgent one if there is one) from the Calls list.
    keys(&mut app, &["2", "/"]);
    type_text(&mut app, &call.to_string());
    press(&mut app, "enter");
    assert_eq!(ids_calls(&app), vec![call], "the filter leaves the one call");
    let out = keys(&mut app, &["b", "y"]);
    deliver(&mut app, &mut feed, out);
    assert_eq!(last_toast(&app), format!("✓ barge {call}"));
    let c = feed.engine().floor().calls.get(&call).cloned();
    let Some(c) = c else { panic!("{call} is still live") };
    assert!(
        c.supervisors.iter().any(|p| p.supervisor == LOCAL_USER && p.mode == SupervisorMode::Barge),
        "the engine has us barged in: {:?}",
        c.supervisors
    );

    // Say something into the call.
    press(&mut app, "i");
    type_text(&mut app, "This is the duty supervisor, an ambulance is on its way");
    let out = press(&mut app, "enter");
    deliver(&mut app, &mut feed, out);
    let said = feed.engine().floor().calls.get(&call).and_then(|c| c.transcript.last().cloned());
    let Some(said) = said else { panic!("the call has a transcript") };
    assert_eq!(said.speaker, Speaker::Supervisor);
    assert!(!said.whisper, "barged in: caller and agent hear it");
    assert_eq!(said.text, "This is the duty supervisor, an ambulance is on its way");
    assert!(last_toast(&app).starts_with(&format!("✓ say to {call}")));

    // Add the first queue to an agent who does not serve it: the dialog ticks it, enter saves.
    let (agent, serves) = agent_to_reassign(app.floor());
    let first = queue_ids(app.floor())[0].clone();
    keys(&mut app, &["3", "/"]);
    type_text(&mut app, &agent.to_string());
    press(&mut app, "enter");
    assert_eq!(ids_agents(&app), vec![agent], "the filter leaves the one agent");
    let out = keys(&mut app, &["r", "space", "enter"]);
    deliver(&mut app, &mut feed, out);
    let now = feed.engine().floor().agents.get(&agent).map(|a| a.queues.clone()).unwrap_or_default();
    // The dialog lists queues in the floor's order, so the new list comes in that order too.
    let want = in_floor_order(app.floor(), &serves, std::slice::from_ref(&first));
    assert_eq!(now, want);
    let names: Vec<&str> = want.iter().map(QueueId::as_str).collect();
    assert_eq!(last_toast(&app), format!("✓ reassign {agent} to {}", names.join(", ")));

    // Acknowledge the newest alert.
    keys(&mut app, &["4"]);
    let newest = ids_alerts(&app).first().copied();
    let Some(newest) = newest else { panic!("the fixed floor has alerts") };
    assert_eq!(app.floor().alerts.keys().next_back(), Some(&newest), "the Alerts view lists the newest first");
    let out = press(&mut app, "a");
    deliver(&mut app, &mut feed, out);
    let acked = feed.engine().floor().alerts.get(&newest).and_then(|a| a.acked.clone());
    assert_eq!(acked.map(|a| a.by), Some(LOCAL_USER.to_string()));
    assert_eq!(last_toast(&app), format!("✓ ack {newest}"));

    // Escalate the most urgent ticket with a note.
    keys(&mut app, &["5"]);
    let ticket = ids_tickets(&app).first().copied();
    let Some(ticket) = ticket else { panic!("the fixed floor has tickets") };
    assert_eq!(ticket, soonest_ticket(app.floor()), "the Tickets view lists the soonest due first");
    press(&mut app, "e");
    type_text(&mut app, "customer called twice");
    let out = press(&mut app, "enter");
    deliver(&mut app, &mut feed, out);
    let t = feed.engine().floor().tickets.get(&ticket).cloned();
    let Some(t) = t else { panic!("the ticket exists") };
    assert_eq!((t.status, t.level), (TicketStatus::Escalated, 1));
    assert!(t.notes.iter().any(|n| n.text == "customer called twice" && n.by == LOCAL_USER));
    assert_eq!(last_toast(&app), format!("✓ escalate {ticket}"));

    // The audit log has all five, and the console shows the same floor as the engine after a minute more.
    watch(&mut app, &mut feed, 60);
    let ours: Vec<&AuditEntry> = feed.engine().floor().audit.iter().filter(|e| e.actor == LOCAL_USER).collect();
    assert_eq!(ours.len(), 5);
    assert!(ours.iter().all(|e| e.ok));
    let engine = mask_floor(feed.engine().floor());
    assert!(*app.floor() == engine, "the console's mirror equals the engine's floor, as a supervisor sees it");
    assert!(app.pending.is_empty(), "every command got its answer");
}

#[test]
fn a_refused_command_says_why() {
    let mut feed = feed();
    let mut app = attach(&mut feed);
    // Barging into a call still waiting in a queue is refused by the engine.
    watch_until(&mut app, &mut feed, "an unanswered call", |f| unanswered_call(f).is_some());
    let waiting = waiting_call(app.floor());
    let out = app.run_command_line(&format!("barge {waiting}"));
    let updates = deliver(&mut app, &mut feed, out);
    assert!(matches!(updates.last(), Some(Update::Error { code: ErrorCode::Conflict, .. })));
    let t = last_toast(&app);
    assert!(t.starts_with(&format!("✗ barge {waiting} refused (conflict):")), "{t}");
    assert!(t.contains("not connected to an agent"), "{t}");
    assert!(app.messages.back().is_some_and(|t| !t.ok));
}

#[test]
fn a_viewer_is_told_they_cannot_intervene() {
    let mut feed = LocalFeed::with_role(hospital(WARM_MINUTES), Role::Viewer);
    let mut app = attach(&mut feed);
    assert_eq!(app.mirror.role, Some(Role::Viewer));
    let header = draw(&app, 80, 24).backend().to_string();
    assert!(header.contains("you (viewer)"), "the header shows who we are and our role:\n{header}");
    let call = connected_call(app.floor());
    // Said locally, without a round trip: nothing is sent.
    let out = app.run_command_line(&format!("barge {call}"));
    assert!(out.is_empty(), "a viewer's barge is refused before it is sent");
    let t = last_toast(&app);
    assert!(t.contains("viewer role cannot barge") && t.contains("supervisor token"), "{t}");
    let out = keys(&mut app, &["4", "A"]);
    assert!(out.is_empty(), "A sends nothing for a viewer");
    assert_eq!(app.messages.iter().filter(|m| !m.ok).count(), 2, "one message for A, not one per alert");
    // The status line offers a viewer no action it cannot take.
    let screen = draw(&app, 200, 50).backend().to_string();
    let status = screen.lines().rev().nth(1).unwrap_or_default().to_string();
    assert!(!status.contains("ack") && status.contains("help"), "{status}");
    keys(&mut app, &["2"]);
    let screen = draw(&app, 200, 50).backend().to_string();
    let status = screen.lines().rev().nth(1).unwrap_or_default().to_string();
    assert!(!status.contains("barge") && !status.contains("monitor") && status.contains("open"), "{status}");
    let c = feed.engine().floor().calls.get(&call).cloned();
    assert!(c.is_some_and(|c| c.supervisors.is_empty()), "nothing changed on the engine");
}

#[test]
fn whisper_is_heard_by_the_agent_only_and_monitor_is_silent() {
    let mut feed = feed();
    let mut app = attach(&mut feed);
    let call = connected_call(app.floor());
    let out = app.run_command_line(&format!("monitor {call}"));
    deliver(&mut app, &mut feed, out);
    let screen = draw(&app, 80, 24).backend().to_string();
    assert!(screen.contains("monitor: silent, nobody hears"), "monitoring is visibly silent:\n{screen}");
    let out = app.run_command_line(&format!("whisper {call}"));
    deliver(&mut app, &mut feed, out);
    let out = app.run_command_line(&format!("say {call} ask for the address first"));
    deliver(&mut app, &mut feed, out);
    let said = feed.engine().floor().calls.get(&call).and_then(|c| c.transcript.last().cloned());
    assert!(said.is_some_and(|l| l.whisper && l.speaker == Speaker::Supervisor));
    app.messages.clear();
    let screen = draw(&app, 80, 24).backend().to_string();
    assert!(screen.contains("(whisper) ask for the address first"), "{screen}");
}

#[test]
fn after_a_disconnect_a_fresh_snapshot_resyncs_the_mirror() {
    let mut feed = feed();
    let mut app = attach(&mut feed);
    app.apply_update(Update::Connection(callfloor::client::ConnState::Disconnected {
        reason: "connection reset".into(),
        retry_in_ms: 1000,
    }));
    // While we were away the engine moved on.
    feed.step(chrono::Duration::minutes(2));
    assert!(*app.floor() != mask_floor(feed.engine().floor()));
    let stale = draw(&app, 80, 24).backend().to_string();
    assert!(stale.contains("STALE"), "{stale}");
    for u in feed.hello() {
        app.apply_update(u);
    }
    assert!(*app.floor() == mask_floor(feed.engine().floor()), "the snapshot replaced the mirror");
    let fresh = draw(&app, 80, 24).backend().to_string();
    assert!(!fresh.contains("STALE") && fresh.contains("● live"), "{fresh}");
}

#[test]
fn a_supervisor_sees_callers_masked_and_an_admin_does_not() {
    let mut feed = feed();
    let mut app = attach(&mut feed);
    let call = connected_call(app.floor());
    let caller = |f: &Floor| f.calls.get(&call).map(|c| c.caller.clone()).unwrap_or_default();
    let (shown, real) = (caller(app.floor()), caller(feed.engine().floor()));
    assert!(shown.contains('*') && !real.contains('*'), "masked {shown:?}, really {real:?}");
    let last4 = |s: &str| s.chars().filter(char::is_ascii_digit).rev().take(4).collect::<String>();
    assert_eq!(last4(&shown), last4(&real), "the last four digits stay, to tell callers apart");
    // Events are masked on the way too: after a floor-minute the mirror still equals the masked floor.
    watch(&mut app, &mut feed, 60);
    assert!(*app.floor() == mask_floor(feed.engine().floor()));
    let numbers =
        feed.engine().floor().calls.values().filter(|c| c.caller.bytes().filter(u8::is_ascii_digit).count() > 4);
    for c in numbers {
        let shown = app.floor().calls.get(&c.id).map(|m| m.caller.as_str()).unwrap_or("");
        assert!(shown.contains('*'), "{}'s number is masked: {shown:?}", c.id);
    }

    let mut feed = LocalFeed::with_role(hospital(WARM_MINUTES), Role::Admin);
    let mut app = attach(&mut feed);
    watch(&mut app, &mut feed, 60);
    assert!(*app.floor() == *feed.engine().floor(), "an admin sees the floor as it is");
}
