//! Key sequences drive `App::update` to the right command for every intervention, through the default keymap
//! (and the vim one where it differs), the dialogs, the text lines and the `:` command line.

mod console_support;

use callfloor::client::{Outgoing, Update};
use callfloor::console::app::{App, BELL_INTERVAL_SECS, Dialog, Then, TransferTarget, View};
use callfloor::console::keymap::Keymap;
use callfloor::local::LocalFeed;
use callfloor::model::*;
use console_support::*;

fn commands(out: &[Outgoing]) -> Vec<Command> {
    out.iter().filter_map(|o| o.as_command().cloned()).collect()
}

/// Puts the Calls view on one call by typing its id as a filter.
fn select_call(app: &mut App, call: CallId) {
    press(app, "2");
    if !app.lists[ListKind::Calls].filter.is_empty() {
        press(app, "esc");
        assert!(app.lists[ListKind::Calls].filter.is_empty(), "esc clears the filter");
    }
    press(app, "/");
    type_text(app, &call.to_string());
    press(app, "enter");
    assert_eq!(ids_calls(app), vec![call], "the filter {call} leaves that one call");
}

fn select_agent(app: &mut App, agent: AgentId) {
    keys(app, &["3", "/"]);
    type_text(app, &agent.to_string());
    press(app, "enter");
    assert_eq!(ids_agents(app), vec![agent], "the filter {agent} leaves that one agent");
}

fn setup() -> (LocalFeed, App) {
    let mut feed = feed();
    let app = attach(&mut feed);
    (feed, app)
}

#[test]
fn monitor_whisper_barge_from_the_calls_list() {
    let (_feed, mut app) = setup();
    let call = connected_call(app.floor());
    for (key, want) in
        [("m", Command::Monitor { call }), ("w", Command::Whisper { call }), ("b", Command::Barge { call })]
    {
        select_call(&mut app, call);
        let mut out = press(&mut app, key);
        if key == "b" {
            // Barging from a list asks first, naming the call.
            assert!(out.is_empty() && app.view == View::Calls, "b asks before barging in");
            assert!(matches!(&app.dialog, Some(Dialog::Confirm { title, .. }) if title.contains(&call.to_string())));
            out = press(&mut app, "y");
        }
        assert_eq!(commands(&out), vec![want], "key {key}");
        assert_eq!(app.view, View::Call, "joining a call opens it");
        assert_eq!(app.open_call, Some(call));
        press(&mut app, "esc");
        assert_eq!(app.view, View::Calls, "esc goes back to the list");
    }
}

#[test]
fn switching_mode_mid_call_and_leaving() {
    let (mut feed, mut app) = setup();
    let call = connected_call(app.floor());
    select_call(&mut app, call);
    let out = press(&mut app, "m");
    deliver(&mut app, &mut feed, out);
    assert_eq!(app.my_mode(call), Some(SupervisorMode::Monitor));
    // n walks monitor → whisper → barge, as ChanSpy's 4/5/6 do.
    let out = press(&mut app, "n");
    assert_eq!(commands(&out), vec![Command::Whisper { call }]);
    deliver(&mut app, &mut feed, out);
    let out = press(&mut app, "n");
    assert_eq!(commands(&out), vec![Command::Barge { call }]);
    deliver(&mut app, &mut feed, out);
    assert_eq!(app.my_mode(call), Some(SupervisorMode::Barge));
    // The direct keys switch mode too.
    let out = press(&mut app, "w");
    assert_eq!(commands(&out), vec![Command::Whisper { call }]);
    deliver(&mut app, &mut feed, out);
    let out = press(&mut app, "l");
    assert_eq!(commands(&out), vec![Command::Leave { call }]);
    deliver(&mut app, &mut feed, out);
    assert_eq!(app.my_mode(call), None);
    assert!(press(&mut app, "l").is_empty(), "leaving twice sends nothing");
    assert!(app.messages.back().is_some_and(|t| t.text.contains("not on any call")));
}

#[test]
fn say_needs_whisper_or_barge() {
    let (mut feed, mut app) = setup();
    let call = connected_call(app.floor());
    select_call(&mut app, call);
    press(&mut app, "enter");
    assert_eq!(app.view, View::Call);
    // Not on the call: saying is refused here, with the way to fix it.
    assert!(press(&mut app, "i").is_empty());
    assert!(app.input.is_none());
    assert!(app.messages.back().is_some_and(|t| t.text.contains(&format!("join {call} first"))));
    let out = press(&mut app, "m");
    deliver(&mut app, &mut feed, out);
    assert!(press(&mut app, "i").is_empty());
    assert!(app.messages.back().is_some_and(|t| t.text.contains("silently")), "monitoring is silent");
    let out = press(&mut app, "b");
    deliver(&mut app, &mut feed, out);
    assert!(press(&mut app, "i").is_empty());
    assert!(app.input.is_some(), "barged in: the say line opens");
    type_text(&mut app, "I'm the duty supervisor");
    // Keys typed into the line are text, not commands: q did not quit.
    assert!(!app.quit);
    let out = press(&mut app, "enter");
    assert_eq!(commands(&out), vec![Command::Say { call, text: "I'm the duty supervisor".into() }]);
    assert!(app.input.is_none());
    // Esc abandons a line without sending.
    press(&mut app, "enter");
    type_text(&mut app, "never mind");
    assert!(press(&mut app, "esc").is_empty());
    assert!(app.input.is_none());
}

#[test]
fn transfer_from_the_dialog() {
    let (_feed, mut app) = setup();
    let call = connected_call(app.floor());
    let queues = queue_ids(app.floor());
    assert!(queues.len() >= 2, "the fixture floor has at least two queues");
    select_call(&mut app, call);
    press(&mut app, "t");
    let Some(Dialog::Transfer { targets, .. }) = &app.dialog else { panic!("t opens the transfer dialog") };
    let want: Vec<TransferTarget> = queues.iter().cloned().map(TransferTarget::Queue).collect();
    assert_eq!(targets.get(..queues.len()), Some(want.as_slice()), "every queue is a target, in the floor's order");
    let lang = app.floor().calls.get(&call).map(|c| c.lang);
    for t in &targets[queues.len()..] {
        let TransferTarget::Agent(a) = t else { panic!("after the queues come agents: {t:?}") };
        let a = app.floor().agents.get(a);
        assert!(
            a.is_some_and(|a| a.state == AgentState::Available && lang.is_some_and(|l| a.langs.contains(&l))),
            "only available agents who speak the caller's language are offered: {a:?}"
        );
    }
    let out = keys(&mut app, &["j", "enter"]);
    assert_eq!(commands(&out), vec![Command::Transfer { call, to_agent: None, to_queue: Some(queues[1].clone()) }]);
    assert!(app.dialog.is_none());
}

#[test]
fn reassign_with_a_multi_select_dialog() {
    let (_feed, mut app) = setup();
    let (agent, serves) = agent_to_reassign(app.floor());
    let queues = queue_ids(app.floor());
    assert!(queues.len() >= 3, "the fixture floor has at least three queues");
    select_agent(&mut app, agent);
    press(&mut app, "r");
    let Some(Dialog::Reassign { choices, .. }) = &app.dialog else { panic!("r opens the reassign dialog") };
    let listed: Vec<&QueueId> = choices.iter().map(|c| &c.0).collect();
    assert_eq!(listed, queues.iter().collect::<Vec<_>>(), "the dialog lists every queue, in the floor's order");
    let on: Vec<QueueId> = choices.iter().filter(|c| c.1).map(|c| c.0.clone()).collect();
    assert_eq!(on, in_floor_order(app.floor(), &serves, &[]), "the dialog starts from the agent's queues");
    // Toggle the first three queues: each flips, whether the agent served it or not (the agent does not serve
    // the first, so something stays ticked).
    let out = keys(&mut app, &["space", "j", "space", "j", "space", "enter"]);
    let want: Vec<QueueId> =
        queues.iter().enumerate().filter(|(i, q)| (*i < 3) != serves.contains(q)).map(|(_, q)| q.clone()).collect();
    assert!(!want.is_empty());
    assert_eq!(commands(&out), vec![Command::Reassign { agent, queues: want }]);
    // An empty choice is not sent: untick every queue the agent serves.
    press(&mut app, "r");
    let mut walk = Vec::new();
    for q in &queues {
        if serves.contains(q) {
            walk.push("space");
        }
        walk.push("j");
    }
    walk.push("enter");
    let out = keys(&mut app, &walk);
    assert!(out.is_empty());
    assert!(app.dialog.is_some(), "the dialog stays open until a queue is chosen");
    press(&mut app, "esc");
    assert!(app.dialog.is_none());
}

#[test]
fn set_agent_state() {
    let (_feed, mut app) = setup();
    let agent = connected_agent(app.floor());
    select_agent(&mut app, agent);
    press(&mut app, "s");
    let out = keys(&mut app, &["j", "enter"]);
    assert_eq!(commands(&out), vec![Command::SetAgentState { agent, state: AgentState::Break }]);
    press(&mut app, "s");
    let out = keys(&mut app, &["k", "enter"]);
    assert_eq!(commands(&out), vec![Command::SetAgentState { agent, state: AgentState::Offline }]);
}

#[test]
fn acknowledge_one_or_all() {
    let (_feed, mut app) = setup();
    // The two newest alerts on the floor, newest first; the fixture has not acknowledged them.
    let newest: Vec<AlertId> = app.floor().alerts.keys().rev().take(2).copied().collect();
    let [first, second] = newest[..] else { panic!("the fixture floor has at least two alerts") };
    assert!(newest.iter().all(|a| app.floor().alerts.get(a).is_some_and(|a| a.acked.is_none())));
    press(&mut app, "4");
    let out = press(&mut app, "a");
    assert_eq!(commands(&out), vec![Command::AckAlerts { alerts: vec![first] }], "newest first");
    let out = keys(&mut app, &["j", "a"]);
    assert_eq!(commands(&out), vec![Command::AckAlerts { alerts: vec![second] }]);
    let open: Vec<AlertId> = app.floor().open_alerts().map(|a| a.id).collect();
    let out = press(&mut app, "A");
    assert_eq!(
        commands(&out),
        vec![Command::AckAlerts { alerts: open }],
        "A is one request for every open alert shown"
    );
}

#[test]
fn escalate_resolve_and_note_tickets() {
    let (_feed, mut app) = setup();
    press(&mut app, "5");
    let first = ids_tickets(&app).first().copied();
    let Some(ticket) = first else { panic!("the fixed floor has open tickets") };
    press(&mut app, "e");
    type_text(&mut app, "customer called twice");
    let out = press(&mut app, "enter");
    assert_eq!(commands(&out), vec![Command::Escalate { ticket, note: "customer called twice".into() }]);
    press(&mut app, "r");
    type_text(&mut app, "refund issued");
    let out = press(&mut app, "enter");
    assert_eq!(commands(&out), vec![Command::Resolve { ticket, note: "refund issued".into() }]);
    press(&mut app, "n");
    type_text(&mut app, "called back");
    let out = press(&mut app, "enter");
    assert_eq!(commands(&out), vec![Command::Note { ticket, text: "called back".into() }]);
    press(&mut app, "n");
    assert!(press(&mut app, "enter").is_empty(), "an empty note is not sent");
}

#[test]
fn the_command_line() {
    let (_feed, mut app) = setup();
    let line = |app: &mut App, text: &str| -> Vec<Command> {
        press(app, ":");
        type_text(app, text);
        commands(&press(app, "enter"))
    };
    // Ids and queue names from the floor, written as a user types them (lower case works too).
    let call = connected_call(app.floor());
    let agent = connected_agent(app.floor());
    let other = app.floor().agents.keys().copied().find(|a| *a != agent);
    let Some(other) = other else { panic!("the fixture floor has two agents") };
    let ticket = soonest_ticket(app.floor());
    let alert = newest_open_alert(app.floor(), Severity::Warning);
    let queues = queue_ids(app.floor());
    let [q0, q1, ..] = &queues[..] else { panic!("the fixture floor has at least two queues") };
    // A mistyped id is sent (the engine's refusal says why) but does not open an empty Call view.
    let view = app.view;
    let gone = CallId(999_999);
    assert_eq!(line(&mut app, &format!("barge {gone}")), vec![Command::Barge { call: gone }]);
    assert_eq!((app.view, app.open_call), (view, None), "no Call view for a call that is not on the floor");
    assert_eq!(line(&mut app, &format!("barge {call}")), vec![Command::Barge { call }]);
    assert_eq!(app.open_call, Some(call), "joining a live call opens it");
    assert_eq!(
        line(&mut app, &format!("reassign {agent} {q0},{q1}")),
        vec![Command::Reassign { agent, queues: vec![q0.clone(), q1.clone()] }]
    );
    assert_eq!(
        line(&mut app, &format!("escalate {ticket} \"customer called twice\"")),
        vec![Command::Escalate { ticket, note: "customer called twice".into() }]
    );
    assert_eq!(
        line(&mut app, &format!("transfer {call} {other}")),
        vec![Command::Transfer { call, to_agent: Some(other), to_queue: None }]
    );
    assert_eq!(
        line(&mut app, &format!("transfer {call} {q1}")),
        vec![Command::Transfer { call, to_agent: None, to_queue: Some(q1.clone()) }]
    );
    assert_eq!(
        line(&mut app, &format!("state {} break", agent.to_string().to_lowercase())),
        vec![Command::SetAgentState { agent, state: AgentState::Break }]
    );
    assert_eq!(
        line(&mut app, &format!("say {call} hello there")),
        vec![Command::Say { call, text: "hello there".into() }]
    );
    let open = app.floor().open_alerts().count();
    assert!(open > 0, "the fixture floor has open alerts");
    let all = line(&mut app, "ack all");
    assert!(matches!(&all[..], [Command::AckAlerts { alerts }] if alerts.len() == open), "ack all is one request");
    assert_eq!(line(&mut app, &format!("ack {alert}")), vec![Command::AckAlerts { alerts: vec![alert] }]);
    assert!(line(&mut app, "theme light").is_empty());
    assert_eq!(app.theme.name, "light");
    assert!(line(&mut app, &format!("barg {call}")).is_empty());
    let last = app.messages.back().map(|t| t.text.clone()).unwrap_or_default();
    assert!(last.contains("did you mean :barge"), "{last}");
    assert!(line(&mut app, &format!("reassign {agent}")).is_empty());
    assert!(app.messages.back().is_some_and(|t| t.text.contains("which queues")));
    assert!(line(&mut app, "q").is_empty());
    assert!(app.quit);
}

#[test]
fn tab_completes_verbs_and_ids() {
    let (_feed, mut app) = setup();
    press(&mut app, ":");
    type_text(&mut app, "bar");
    press(&mut app, "tab");
    assert_eq!(app.input.as_ref().map(|i| i.text()), Some("barge ".to_string()));
    // A prefix several connected calls share lists them all; one more character picks the call.
    let (prefix, call) = shared_call_prefix(app.floor());
    let id = call.to_string();
    type_text(&mut app, &prefix);
    press(&mut app, "tab");
    assert!(app.completions.len() >= 2, "{:?}", app.completions);
    assert!(app.completions.contains(&id), "{:?}", app.completions);
    assert!(app.completions.iter().all(|c| c.starts_with(&prefix)));
    type_text(&mut app, &id[prefix.len()..]);
    press(&mut app, "tab");
    assert_eq!(app.input.as_ref().map(|i| i.text()), Some(format!("barge {id} ")));
    let out = press(&mut app, "enter");
    assert_eq!(commands(&out), vec![Command::Barge { call }]);
    // Queues after reassign, item by item.
    let agent = connected_agent(app.floor());
    let queues: Vec<String> = queue_ids(app.floor()).iter().map(|q| q.to_string()).collect();
    let [q0, q1, ..] = &queues[..] else { panic!("the fixture floor has at least two queues") };
    let start = unique_prefix(q1, &queues);
    press(&mut app, ":");
    type_text(&mut app, &format!("reassign {agent} {q0},{start}"));
    press(&mut app, "tab");
    // A completed list item ends without a space, so a comma continues the list.
    assert_eq!(app.input.as_ref().map(|i| i.text()), Some(format!("reassign {agent} {q0},{q1}")));
}

#[test]
fn quitting_asks_first_while_barged_in() {
    let (mut feed, mut app) = setup();
    let call = connected_call(app.floor());
    select_call(&mut app, call);
    // Barging from the list asks first; y confirms.
    let out = press(&mut app, "b");
    assert!(out.is_empty() && matches!(app.dialog, Some(Dialog::Confirm { .. })), "barge from a list asks first");
    let out = press(&mut app, "y");
    deliver(&mut app, &mut feed, out);
    assert_eq!(app.my_mode(call), Some(SupervisorMode::Barge));
    press(&mut app, "q");
    assert!(!app.quit);
    assert!(
        matches!(&app.dialog, Some(Dialog::Confirm { then: Then::Quit, lines, .. }) if lines[0].contains(&call.to_string()))
    );
    press(&mut app, "n");
    assert!(!app.quit && app.dialog.is_none());
    keys(&mut app, &["q", "y"]);
    assert!(app.quit);

    let (_feed, mut app) = setup();
    press(&mut app, "q");
    assert!(app.quit, "not on a call: q quits at once");
    let (_feed, mut app) = setup();
    press(&mut app, "ctrl-c");
    assert!(app.quit);
}

#[test]
fn esc_closes_what_is_open_and_the_hint_goes_after_the_first_key() {
    let (_feed, mut app) = setup();
    assert!(app.show_hint);
    press(&mut app, "?");
    assert!(app.help && !app.show_hint);
    press(&mut app, "esc");
    assert!(!app.help);
    press(&mut app, "?");
    press(&mut app, "?");
    assert!(!app.help, "? toggles help");
    // A view key closes help and switches.
    keys(&mut app, &["?", "4"]);
    assert!(!app.help && app.view == View::Alerts);
}

#[test]
fn the_bell_rings_once_per_new_critical_alert_at_most_once_per_interval() {
    let (_feed, mut app) = setup();
    assert!(!app.take_bell(), "alerts already open when the console attaches are not news");
    let now = app.floor().time();
    let newest = app.floor().alerts.keys().next_back().map_or(0, |a| a.0);
    let alert = Alert {
        id: AlertId(newest + 1),
        kind: AlertKind::UrgentKeyword,
        severity: Severity::Critical,
        subject: connected_call(app.floor()).to_string(),
        message: "caller said 'chest pain'".into(),
        raised: now,
        acked: None,
    };
    let ev = Event { at: now, kind: EventKind::AlertRaised { alert: alert.clone() } };
    app.apply_update(Update::Events { from_seq: app.floor().seq, events: vec![ev] });
    assert!(app.take_bell());
    assert!(!app.take_bell(), "once");
    let warn = Alert { id: AlertId(newest + 2), severity: Severity::Warning, ..alert.clone() };
    let ev = Event { at: now, kind: EventKind::AlertRaised { alert: warn } };
    app.apply_update(Update::Events { from_seq: app.floor().seq, events: vec![ev] });
    assert!(!app.take_bell(), "warnings do not ring");
    // Another critical alert right after: it waits for the interval, then rings once.
    let next = Alert { id: AlertId(newest + 3), ..alert.clone() };
    let ev = Event { at: now, kind: EventKind::AlertRaised { alert: next } };
    app.apply_update(Update::Events { from_seq: app.floor().seq, events: vec![ev] });
    assert!(!app.take_bell(), "at most once per interval");
    for _ in 0..BELL_INTERVAL_SECS {
        app.tick();
    }
    assert!(app.take_bell(), "after the interval the pending ring comes");
    assert!(!app.take_bell());
    // Turned off (B, not tmux's ctrl-b), it stays quiet even for a new critical alert.
    for _ in 0..BELL_INTERVAL_SECS {
        app.tick();
    }
    press(&mut app, "B");
    assert!(!app.bell_enabled);
    let crit = Alert { id: AlertId(newest + 4), ..alert };
    let ev = Event { at: now, kind: EventKind::AlertRaised { alert: crit } };
    app.apply_update(Update::Events { from_seq: app.floor().seq, events: vec![ev] });
    assert!(!app.take_bell(), "a bell turned off does not ring");
}

#[test]
fn the_vim_keymap() {
    let (mut feed, mut app) = setup();
    let vim = Keymap::load("vim");
    let Ok(vim) = vim else { panic!("the vim keymap loads") };
    app.keymap = vim;
    keys(&mut app, &["2", "G"]);
    assert_eq!(app.lists[ListKind::Calls].index, app.lists[ListKind::Calls].rows.len() - 1, "G selects the last call");
    press(&mut app, "g");
    assert_eq!(app.lists[ListKind::Calls].index, 0);
    press(&mut app, "l");
    assert_eq!(app.view, View::Agents, "l is the next view");
    let call = connected_call(app.floor());
    select_call(&mut app, call);
    let out = keys(&mut app, &["b", "y"]);
    deliver(&mut app, &mut feed, out);
    assert_eq!(app.view, View::Call);
    // On a call, l leaves it (as in the default keymap) instead of switching views away from it.
    let out = press(&mut app, "l");
    assert_eq!(commands(&out), vec![Command::Leave { call }]);
    assert_eq!(app.view, View::Call, "l does not switch views on a call");
    let out = keys(&mut app, &["b", "x"]);
    deliver(&mut app, &mut feed, out.clone());
    assert_eq!(commands(&out), vec![Command::Barge { call }, Command::Leave { call }]);
}

#[test]
fn help_is_generated_from_the_active_keymap() {
    let (_feed, mut app) = setup();
    let km = Keymap::parse("[global]\nz = \"barge\"\n\"?\" = \"toggle_help\"\n", "mine.toml");
    let Ok(km) = km else { panic!("a small keymap parses") };
    app.keymap = km;
    press(&mut app, "?");
    let text = draw(&app, 100, 40).backend().to_string();
    assert!(text.contains("z         barge in"), "help lists the rebound key:\n{text}");
    assert!(!text.contains("b         barge"), "and not the default one");
}
