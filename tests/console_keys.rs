//! Key sequences drive `App::update` to the right command for every intervention, through the default keymap
//! (and the vim one where it differs), the dialogs, the text lines and the `:` command line.

mod console_support;

use callfloor::client::{Outgoing, Update};
use callfloor::console::app::{App, Dialog, View};
use callfloor::console::keymap::Keymap;
use callfloor::console::local::LocalFeed;
use callfloor::model::*;
use console_support::*;

fn commands(out: &[Outgoing]) -> Vec<Command> {
    out.iter().map(|o| o.command.clone()).collect()
}

/// Puts the Calls view on one call by typing its id as a filter.
fn select_call(app: &mut App, id: &str) {
    press(app, "2");
    if !app.calls_filter.is_empty() {
        press(app, "esc");
        assert!(app.calls_filter.is_empty(), "esc clears the filter");
    }
    press(app, "/");
    type_text(app, id);
    press(app, "enter");
    assert_eq!(app.calls.len(), 1, "the filter {id} leaves one call");
}

fn select_agent(app: &mut App, id: &str) {
    keys(app, &["3", "/"]);
    type_text(app, id);
    press(app, "enter");
    assert_eq!(app.agents.len(), 1, "the filter {id} leaves one agent");
}

fn setup() -> (LocalFeed, App) {
    let mut feed = feed();
    let app = attach(&mut feed);
    (feed, app)
}

#[test]
fn monitor_whisper_barge_from_the_calls_list() {
    let (_feed, mut app) = setup();
    let call = CallId(1122);
    for (key, want) in
        [("m", Command::Monitor { call }), ("w", Command::Whisper { call }), ("b", Command::Barge { call })]
    {
        select_call(&mut app, "C-1122");
        let out = press(&mut app, key);
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
    let call = CallId(1122);
    select_call(&mut app, "C-1122");
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
    assert!(app.toasts.back().is_some_and(|t| t.text.contains("not on any call")));
}

#[test]
fn say_needs_whisper_or_barge() {
    let (mut feed, mut app) = setup();
    let call = CallId(1122);
    select_call(&mut app, "C-1122");
    press(&mut app, "enter");
    assert_eq!(app.view, View::Call);
    // Not on the call: saying is refused here, with the way to fix it.
    assert!(press(&mut app, "i").is_empty());
    assert!(app.input.is_none());
    assert!(app.toasts.back().is_some_and(|t| t.text.contains("join C-1122 first")));
    let out = press(&mut app, "m");
    deliver(&mut app, &mut feed, out);
    assert!(press(&mut app, "i").is_empty());
    assert!(app.toasts.back().is_some_and(|t| t.text.contains("silently")), "monitoring is silent");
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
    let call = CallId(1122);
    select_call(&mut app, "C-1122");
    press(&mut app, "t");
    let Some(Dialog::Transfer { targets, .. }) = &app.dialog else { panic!("t opens the transfer dialog") };
    assert!(targets.len() >= 4, "every queue is a target");
    let out = keys(&mut app, &["j", "enter"]);
    assert_eq!(
        commands(&out),
        vec![Command::Transfer { call, to_agent: None, to_queue: Some(QueueId::from("appointments")) }]
    );
    assert!(app.dialog.is_none());
}

#[test]
fn reassign_with_a_multi_select_dialog() {
    let (_feed, mut app) = setup();
    select_agent(&mut app, "A-07");
    press(&mut app, "r");
    let Some(Dialog::Reassign { choices, .. }) = &app.dialog else { panic!("r opens the reassign dialog") };
    let on: Vec<&str> = choices.iter().filter(|c| c.1).map(|c| c.0.as_str()).collect();
    assert_eq!(on, vec!["appointments"], "the dialog starts from the agent's queues");
    // Tick emergency (first), untick appointments (second), tick admin (fourth).
    let out = keys(&mut app, &["space", "j", "space", "j", "j", "space", "enter"]);
    assert_eq!(
        commands(&out),
        vec![Command::Reassign { agent: AgentId(7), queues: vec![QueueId::from("emergency"), QueueId::from("admin")] }]
    );
    // An empty choice is not sent.
    press(&mut app, "r");
    let out = keys(&mut app, &["j", "space", "enter"]);
    assert!(out.is_empty());
    assert!(app.dialog.is_some(), "the dialog stays open until a queue is chosen");
    press(&mut app, "esc");
    assert!(app.dialog.is_none());
}

#[test]
fn set_agent_state() {
    let (_feed, mut app) = setup();
    select_agent(&mut app, "A-08");
    press(&mut app, "s");
    let out = keys(&mut app, &["j", "enter"]);
    assert_eq!(commands(&out), vec![Command::SetAgentState { agent: AgentId(8), state: AgentState::Break }]);
    press(&mut app, "s");
    let out = keys(&mut app, &["k", "enter"]);
    assert_eq!(commands(&out), vec![Command::SetAgentState { agent: AgentId(8), state: AgentState::Offline }]);
}

#[test]
fn acknowledge_one_or_all() {
    let (_feed, mut app) = setup();
    press(&mut app, "4");
    let out = press(&mut app, "a");
    assert_eq!(commands(&out), vec![Command::AckAlert { alert: AlertId(17) }], "newest first");
    let out = keys(&mut app, &["j", "a"]);
    assert_eq!(commands(&out), vec![Command::AckAlert { alert: AlertId(16) }]);
    let open = app.floor.open_alerts().count();
    let out = press(&mut app, "A");
    assert_eq!(out.len(), open, "A acknowledges every open alert shown");
    assert!(commands(&out).iter().all(|c| matches!(c, Command::AckAlert { .. })));
}

#[test]
fn escalate_resolve_and_note_tickets() {
    let (_feed, mut app) = setup();
    press(&mut app, "5");
    let first = app.tickets.first().copied();
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
    assert_eq!(line(&mut app, "barge C-1042"), vec![Command::Barge { call: CallId(1042) }]);
    assert_eq!(
        line(&mut app, "reassign A-07 billing,vip"),
        vec![Command::Reassign { agent: AgentId(7), queues: vec![QueueId::from("billing"), QueueId::from("vip")] }]
    );
    assert_eq!(
        line(&mut app, "escalate T-88 \"customer called twice\""),
        vec![Command::Escalate { ticket: TicketId(88), note: "customer called twice".into() }]
    );
    assert_eq!(
        line(&mut app, "transfer C-1122 A-03"),
        vec![Command::Transfer { call: CallId(1122), to_agent: Some(AgentId(3)), to_queue: None }]
    );
    assert_eq!(
        line(&mut app, "transfer C-1122 admin"),
        vec![Command::Transfer { call: CallId(1122), to_agent: None, to_queue: Some(QueueId::from("admin")) }]
    );
    assert_eq!(
        line(&mut app, "state A-07 break"),
        vec![Command::SetAgentState { agent: AgentId(7), state: AgentState::Break }]
    );
    assert_eq!(
        line(&mut app, "say C-1122 hello there"),
        vec![Command::Say { call: CallId(1122), text: "hello there".into() }]
    );
    let open = app.floor.open_alerts().count();
    assert_eq!(line(&mut app, "ack all").len(), open);
    assert_eq!(line(&mut app, "ack AL-3"), vec![Command::AckAlert { alert: AlertId(3) }]);
    assert!(line(&mut app, "theme light").is_empty());
    assert_eq!(app.theme.name, "light");
    assert!(line(&mut app, "barg C-1042").is_empty());
    let last = app.toasts.back().map(|t| t.text.clone()).unwrap_or_default();
    assert!(last.contains("did you mean :barge"), "{last}");
    assert!(line(&mut app, "reassign A-07").is_empty());
    assert!(app.toasts.back().is_some_and(|t| t.text.contains("which queues")));
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
    type_text(&mut app, "C-112");
    press(&mut app, "tab");
    assert!(app.completions.iter().any(|c| c == "C-1122"), "{:?}", app.completions);
    assert!(app.completions.iter().all(|c| c.starts_with("C-112")));
    type_text(&mut app, "2");
    press(&mut app, "tab");
    assert_eq!(app.input.as_ref().map(|i| i.text()), Some("barge C-1122 ".to_string()));
    let out = press(&mut app, "enter");
    assert_eq!(commands(&out), vec![Command::Barge { call: CallId(1122) }]);
    // Queues after reassign, item by item.
    press(&mut app, ":");
    type_text(&mut app, "reassign A-07 emergency,app");
    press(&mut app, "tab");
    assert_eq!(app.input.as_ref().map(|i| i.text()), Some("reassign A-07 emergency,appointments ".to_string()));
}

#[test]
fn quitting_asks_first_while_barged_in() {
    let (mut feed, mut app) = setup();
    select_call(&mut app, "C-1122");
    let out = press(&mut app, "b");
    deliver(&mut app, &mut feed, out);
    press(&mut app, "q");
    assert!(!app.quit);
    assert!(matches!(app.dialog, Some(Dialog::ConfirmQuit { call: CallId(1122) })));
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
fn the_bell_rings_once_per_new_urgent_alert() {
    let (_feed, mut app) = setup();
    assert!(app.take_bell(), "open urgent alerts on attach ring once");
    assert!(!app.take_bell());
    let now = app.floor.time();
    let alert = Alert {
        id: AlertId(500),
        kind: AlertKind::UrgentKeyword,
        severity: Severity::Critical,
        subject: "C-1122".into(),
        message: "caller said 'chest pain'".into(),
        raised: now,
        acked: None,
    };
    let ev = Event { at: now, kind: EventKind::AlertRaised { alert: alert.clone() } };
    app.apply(Update::Events { from_seq: app.floor.seq, events: vec![ev] });
    assert!(app.take_bell());
    assert!(!app.take_bell(), "once");
    let warn = Alert { id: AlertId(501), severity: Severity::Warning, ..alert };
    let ev = Event { at: now, kind: EventKind::AlertRaised { alert: warn } };
    app.apply(Update::Events { from_seq: app.floor.seq, events: vec![ev] });
    assert!(!app.take_bell(), "warnings do not ring");
    // Turned off, it stays quiet.
    press(&mut app, "ctrl-b");
    assert!(!app.bell_enabled);
}

#[test]
fn the_vim_keymap() {
    let (mut feed, mut app) = setup();
    let vim = Keymap::load("vim");
    let Ok(vim) = vim else { panic!("the vim keymap loads") };
    app.keymap = vim;
    keys(&mut app, &["2", "G"]);
    assert_eq!(app.calls_sel.index, app.calls.len() - 1, "G selects the last call");
    press(&mut app, "g");
    assert_eq!(app.calls_sel.index, 0);
    press(&mut app, "l");
    assert_eq!(app.view, View::Agents, "l is the next view");
    select_call(&mut app, "C-1122");
    let out = press(&mut app, "b");
    deliver(&mut app, &mut feed, out);
    let out = press(&mut app, "x");
    assert_eq!(commands(&out), vec![Command::Leave { call: CallId(1122) }]);
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
