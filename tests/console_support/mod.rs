//! Shared helpers for the console tests: a fixed seeded floor, an App attached to it, keys, drawing.
#![allow(dead_code)]

use std::time::Duration;

use callfloor::client::{Outgoing, Update};
use callfloor::console::app::{App, AppOptions};
use callfloor::console::keymap::Key;
use callfloor::console::render;
use callfloor::engine::Engine;
use callfloor::engine::sim::scenario::Scenario;
use callfloor::local::LocalFeed;
use callfloor::model::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// Floor-minutes the fixed floor runs before the console attaches.
pub const WARM_MINUTES: i64 = 20;

/// The hospital scenario, seed 7, run for `minutes` floor-minutes.
pub fn hospital(minutes: i64) -> Engine {
    let scenario = Scenario::load("hospital");
    let Ok(scenario) = scenario else { panic!("the bundled hospital scenario must load") };
    let mut engine = Engine::new(scenario, 7);
    let to = engine.now() + chrono::Duration::minutes(minutes);
    engine.advance_to(to);
    engine.discard_outbox();
    engine
}

/// A local feed over the fixed floor.
pub fn feed() -> LocalFeed {
    LocalFeed::new(hospital(WARM_MINUTES))
}

/// An App with the default theme and keymap, attached to `feed` (welcome, snapshot, metrics), data 2 s old.
pub fn attach(feed: &mut LocalFeed) -> App {
    let mut app = App::new(AppOptions::default());
    for u in feed.hello() {
        app.apply_update(u);
    }
    app.data_age = Duration::from_secs(2);
    app
}

/// Presses one key, named as in keymap files (`b`, `enter`, `ctrl-c`).
pub fn press(app: &mut App, key: &str) -> Vec<Outgoing> {
    let k = Key::parse(key);
    let Ok(k) = k else { panic!("bad key name in a test: {key}") };
    app.on_key(k.to_event())
}

/// Presses keys in turn; returns everything they sent.
pub fn keys(app: &mut App, names: &[&str]) -> Vec<Outgoing> {
    names.iter().flat_map(|k| press(app, k)).collect()
}

/// Types text into whatever has the keyboard.
pub fn type_text(app: &mut App, text: &str) -> Vec<Outgoing> {
    text.chars().flat_map(|c| app.on_key(Key::char(c).to_event())).collect()
}

/// Sends each command to the feed and gives the App what comes back (events, then ack or error).
pub fn deliver(app: &mut App, feed: &mut LocalFeed, out: Vec<Outgoing>) -> Vec<Update> {
    let mut all = Vec::new();
    for o in out {
        for u in feed.handle(&o) {
            all.push(u.clone());
            app.apply_update(u);
        }
    }
    all
}

/// Draws the App into a test terminal of `w` x `h`.
pub fn draw(app: &App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap_or_else(|e| match e {});
    let drawn = t.draw(|f| render(app, f));
    assert!(drawn.is_ok(), "drawing into a test terminal cannot fail");
    t
}

/// insta settings: every console snapshot lives in the top-level `snapshots/` directory, named without the
/// module path.
pub fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../snapshots");
    s.set_prepend_module_to_snapshot(false);
    s
}

// ----- picking from the fixture floor -----
//
// The scenarios are re-tuned from time to time, so no test names an id: each one asks the floor it built for
// what it needs ("a connected call", "the newest open critical alert") and fails with a clear message if the
// floor has none.

/// The call the tests intervene on: one connected to an agent, an urgent one first (a supervisor's first pick),
/// then a flagged one, then the oldest.
pub fn connected_call(floor: &Floor) -> CallId {
    let mut calls: Vec<&Call> =
        floor.calls.values().filter(|c| c.state == CallState::Connected && c.agent.is_some()).collect();
    calls.sort_by_key(|c| (!c.flags.urgent, !c.flags.risk, c.id));
    let Some(c) = calls.first() else { panic!("the fixture floor must have a call connected to an agent") };
    c.id
}

/// A call nobody has answered yet (barging into it is refused): one waiting in a queue if any, else one ringing
/// or still in the IVR.
pub fn unanswered_call(floor: &Floor) -> Option<CallId> {
    let rank = |s: CallState| [CallState::Queued, CallState::Ringing, CallState::Ivr].iter().position(|x| *x == s);
    floor.calls.values().filter_map(|c| rank(c.state).map(|r| (r, c.id))).min().map(|(_, id)| id)
}

/// [`unanswered_call`], which the floor must have.
pub fn waiting_call(floor: &Floor) -> CallId {
    let Some(id) = unanswered_call(floor) else { panic!("the fixture floor must have a call not answered yet") };
    id
}

/// Runs the feed on in 10-second batches, giving the App each, until `ready` holds for the App's floor (at once
/// if it already does; at most a floor-hour). For what a quiet moment of a re-tuned scenario may lack.
pub fn watch_until(app: &mut App, feed: &mut LocalFeed, what: &str, ready: impl Fn(&Floor) -> bool) {
    for _ in 0..360 {
        if ready(app.floor()) {
            return;
        }
        if let Some(u) = feed.step(chrono::Duration::seconds(10)) {
            app.apply_update(u);
        }
        // The event loop settles the lists once a second; 10 floor-seconds is a second at the demo's pace.
        app.refresh_all();
    }
    panic!("the fixture floor never had {what} within a floor-hour");
}

/// The newest unacknowledged alert of `severity`.
pub fn newest_open_alert(floor: &Floor, severity: Severity) -> AlertId {
    let a = floor.open_alerts().find(|a| a.severity == severity);
    let Some(a) = a else { panic!("the fixture floor must have an open {severity:?} alert") };
    a.id
}

/// An agent who does not serve the floor's first queue (one serving a single queue if there is one), and the
/// queues they serve.
pub fn agent_to_reassign(floor: &Floor) -> (AgentId, Vec<QueueId>) {
    let first = floor.queues.first().map(|q| &q.id);
    let mut agents: Vec<&Agent> =
        floor.agents.values().filter(|a| first.is_some_and(|q| !a.queues.contains(q))).collect();
    agents.sort_by_key(|a| (a.queues.len() != 1, a.id));
    let Some(a) = agents.first() else { panic!("the fixture floor must have an agent not serving its first queue") };
    (a.id, a.queues.clone())
}

/// The queues of `floor` in its order that are in `a` or in `b`: what the reassign dialog sends.
pub fn in_floor_order(floor: &Floor, a: &[QueueId], b: &[QueueId]) -> Vec<QueueId> {
    queue_ids(floor).into_iter().filter(|q| a.contains(q) || b.contains(q)).collect()
}

/// The floor's queue ids, in the scenario's order (the order dialogs list them in).
pub fn queue_ids(floor: &Floor) -> Vec<QueueId> {
    floor.queues.iter().map(|q| q.id.clone()).collect()
}

/// A connected call whose id, less its last character, starts the ids of at least two connected calls: that
/// prefix, and the call. (Barge completes over connected calls.)
pub fn shared_call_prefix(floor: &Floor) -> (String, CallId) {
    let live: Vec<String> = floor
        .calls
        .values()
        .filter(|c| matches!(c.state, CallState::Connected | CallState::Held))
        .map(|c| c.id.to_string())
        .collect();
    for c in floor.calls.values().filter(|c| c.state == CallState::Connected) {
        let id = c.id.to_string();
        let prefix = &id[..id.len() - 1];
        if live.iter().filter(|o| o.starts_with(prefix)).count() >= 2 {
            return (prefix.to_string(), c.id);
        }
    }
    panic!("the fixture floor must have two connected calls whose ids share all but the last character: {live:?}")
}

/// The shortest prefix of `id` (shorter than `id`) that starts no other name in `all`.
pub fn unique_prefix(id: &str, all: &[String]) -> String {
    for n in 1..id.len() {
        let p = &id[..n];
        if all.iter().filter(|o| o.starts_with(p)).count() == 1 {
            return p.to_string();
        }
    }
    panic!("no prefix of {id} is unique among {all:?}")
}

/// Where `row` holds `token` as a whole word (`AL-3` is not found in `AL-31`), as a byte offset.
pub fn has_word(row: &str, token: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = row[from..].find(token) {
        let at = from + i;
        let end = at + token.len();
        let before = row[..at].chars().next_back();
        let after = row[end..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '-' || c == '_');
        if !word(before) && !word(after) {
            return Some(at);
        }
        from = end;
    }
    None
}

/// The rows of a drawn screen.
pub fn rows(t: &Terminal<TestBackend>) -> Vec<String> {
    let buf = t.backend().buffer();
    let area = buf.area;
    (0..area.height).map(|y| (0..area.width).map(|x| buf[(x, y)].symbol().to_string()).collect()).collect()
}

/// The agent on [`connected_call`].
pub fn connected_agent(floor: &Floor) -> AgentId {
    let call = connected_call(floor);
    let agent = floor.calls.get(&call).and_then(|c| c.agent);
    let Some(agent) = agent else { panic!("{call} is connected to an agent") };
    agent
}

/// The open (or escalated) ticket due soonest: the first row of the Tickets view.
pub fn soonest_ticket(floor: &Floor) -> TicketId {
    let t = floor.tickets.values().filter(|t| t.status != TicketStatus::Resolved).min_by_key(|t| (t.due, t.id));
    let Some(t) = t else { panic!("the fixture floor must have an open ticket") };
    t.id
}

pub use callfloor::console::lists::ListKind;

/// The calls the Calls list shows, in order.
pub fn ids_calls(app: &App) -> Vec<CallId> {
    app.lists[ListKind::Calls].rows.iter().filter_map(|r| r.call()).collect()
}

/// The seats the Agents list shows, in order.
pub fn ids_agents(app: &App) -> Vec<AgentId> {
    app.lists[ListKind::Agents].rows.iter().filter_map(|r| r.agent()).collect()
}

/// The alerts the Alerts list shows, in order.
pub fn ids_alerts(app: &App) -> Vec<AlertId> {
    app.lists[ListKind::Alerts].rows.iter().filter_map(|r| r.alert()).collect()
}

/// The tickets the Tickets list shows, in order.
pub fn ids_tickets(app: &App) -> Vec<TicketId> {
    app.lists[ListKind::Tickets].rows.iter().filter_map(|r| r.ticket()).collect()
}
