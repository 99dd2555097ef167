//! The console's key paths for issue 9's finance points: confirming and refusing a second confirmation (`y`, `x`
//! then the dialog's `y`, `:confirm`), the status line offering them only on a pending call, and a ticket's page
//! showing its excerpt and the caller's earlier contacts, with `H` opening one.

mod console_support;

use callfloor::console::app::{App, Dialog, View};
use callfloor::console::lists::ListKind;
use callfloor::engine::Engine;
use callfloor::engine::sim::scenario::{BUNDLED, Scenario};
use callfloor::local::LocalFeed;
use callfloor::model::*;
use console_support::*;

/// The bank, with agents leaving every second confirmation to supervisors, run until `want` connected calls wait.
fn bank_pending(want: usize) -> (Engine, Vec<CallId>) {
    let text = BUNDLED.iter().find(|(n, _)| *n == "bank").map(|(_, t)| *t).unwrap_or_default();
    let text = text.replace("agent_decides = 0.6", "agent_decides = 0.0");
    let Ok(s) = Scenario::parse(&text, "bank (test)") else { panic!("the bank scenario must load") };
    let mut engine = Engine::new(s, 5);
    for _ in 0..480 {
        let to = engine.now() + chrono::Duration::minutes(1);
        engine.advance_to(to);
        engine.discard_outbox();
        let pending: Vec<CallId> = engine
            .floor()
            .calls
            .values()
            .filter(|c| {
                c.confirmation.as_ref().is_some_and(|k| k.is_pending())
                    && matches!(c.state, CallState::Connected | CallState::Held)
            })
            .map(|c| c.id)
            .collect();
        if pending.len() >= want {
            return (engine, pending);
        }
    }
    panic!("{want} calls wait for a second confirmation within eight hours of the bank")
}

fn confirmation(feed: &LocalFeed, call: CallId) -> Option<(ConfirmationState, Option<String>)> {
    let c = feed.engine().floor().calls.get(&call)?.confirmation.as_ref()?;
    Some((c.state, c.by.clone()))
}

/// The screen at 120 x 40 as text, one line per row.
fn screen(app: &App) -> String {
    let t = draw(app, 120, 40);
    let buf = t.backend().buffer();
    (0..buf.area.height)
        .map(|y| (0..buf.area.width).map(|x| buf[(x, y)].symbol().to_string()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

fn status_line(app: &App) -> String {
    let t = draw(app, 120, 30);
    let buf = t.backend().buffer();
    let y = buf.area.height - 2;
    (0..buf.area.width).map(|x| buf[(x, y)].symbol().to_string()).collect()
}

#[test]
fn y_confirms_and_x_refuses_after_asking_and_the_status_line_offers_them_only_on_a_pending_call() {
    let (engine, pending) = bank_pending(2);
    let (yes, no) = (pending[0], pending[1]);
    let mut feed = LocalFeed::new(engine);
    let mut app = attach(&mut feed);

    // A call that is not pending: nothing offered, and y sends nothing.
    let plain = feed.engine().floor().calls.values().find(|c| c.confirmation.is_none()).map(|c| c.id);
    let Some(plain) = plain else { panic!("some live call has no confirmation") };
    let out = app.run_command_line(&format!("call {plain}"));
    assert!(out.is_empty());
    assert_eq!(app.view, View::Call);
    let line = status_line(&app);
    assert!(!line.contains("confirm"), "offered on a call that does not wait: {line}");
    assert!(press(&mut app, "y").is_empty(), "y on a call that does not wait sends nothing");

    // On the Calls view, filtered to the pending call: offered, and y confirms it.
    keys(&mut app, &["esc", "2", "/"]);
    type_text(&mut app, &yes.to_string());
    press(&mut app, "enter");
    assert_eq!(app.lists[ListKind::Calls].rows.len(), 1);
    let line = status_line(&app);
    assert!(line.contains("y confirm") && line.contains("x refuse"), "{line}");
    let out = press(&mut app, "y");
    assert_eq!(
        out.iter().filter_map(|o| o.as_command().cloned()).collect::<Vec<_>>(),
        vec![Command::Confirm { call: yes, accept: true, note: None }]
    );
    deliver(&mut app, &mut feed, out);
    assert_eq!(confirmation(&feed, yes), Some((ConfirmationState::Confirmed, Some(LOCAL_USER.to_string()))));
    assert_eq!(
        app.floor().calls.get(&yes).and_then(|c| c.confirmation.as_ref()).map(|c| c.state),
        Some(ConfirmationState::Confirmed)
    );
    assert!(!status_line(&app).contains("confirm"), "no longer offered once settled");

    // x asks first; n keeps the call pending, y refuses.
    app.run_command_line(&format!("call {no}"));
    assert!(press(&mut app, "x").is_empty(), "x asks before refusing");
    assert!(matches!(app.dialog, Some(Dialog::Confirm { .. })));
    press(&mut app, "n");
    assert!(app.dialog.is_none());
    assert_eq!(confirmation(&feed, no).map(|c| c.0), Some(ConfirmationState::Pending));
    press(&mut app, "x");
    let out = press(&mut app, "y");
    assert_eq!(out.len(), 1);
    deliver(&mut app, &mut feed, out);
    assert_eq!(confirmation(&feed, no).map(|c| c.0), Some(ConfirmationState::Refused));
    assert!(
        screen(&app).contains(&format!("2nd confirmation refused by {LOCAL_USER}")),
        "the call page shows the outcome:\n{}",
        screen(&app)
    );
}

use callfloor::local::LOCAL_USER;

#[test]
fn the_confirm_verb_sends_yes_or_no_with_a_note() {
    let (engine, pending) = bank_pending(1);
    let call = pending[0];
    let mut feed = LocalFeed::new(engine);
    let mut app = attach(&mut feed);
    let out = app.run_command_line(&format!("confirm {call} no \"voice does not match\""));
    assert_eq!(
        out.iter().filter_map(|o| o.as_command().cloned()).collect::<Vec<_>>(),
        vec![Command::Confirm { call, accept: false, note: Some("voice does not match".into()) }]
    );
    deliver(&mut app, &mut feed, out);
    let note =
        feed.engine().floor().calls.get(&call).and_then(|c| c.confirmation.as_ref()).and_then(|c| c.note.clone());
    assert_eq!(note.as_deref(), Some("voice does not match"));
    // A second decision is refused by the engine, and the refusal reaches the message line.
    let out = app.run_command_line(&format!("confirm {call} yes"));
    deliver(&mut app, &mut feed, out);
    let msg = app.current_message().map(|m| (m.ok, m.text.clone()));
    assert!(msg.as_ref().is_some_and(|(ok, t)| !ok && t.contains("already refused")), "{msg:?}");
    assert!(app.run_command_line(&format!("confirm {call} maybe")).is_empty(), "yes or no only");
}

#[test]
fn a_ticket_page_shows_its_excerpt_and_the_callers_earlier_contacts_and_h_opens_one() {
    // The bank after a day: tickets with earlier tickets of the same caller still on the floor.
    let Ok(s) = Scenario::load("bank") else { panic!("the bank scenario must load") };
    let mut engine = Engine::new(s, 3);
    let mut found = None;
    for _ in 0..48 {
        let to = engine.now() + chrono::Duration::minutes(15);
        engine.advance_to(to);
        engine.discard_outbox();
        let f = engine.floor();
        found = f
            .tickets
            .values()
            .find(|t| !t.links.excerpt.is_empty() && t.links.earlier.tickets.iter().any(|e| f.tickets.contains_key(e)))
            .map(|t| (t.id, t.links.earlier.tickets.iter().rev().copied().find(|e| f.tickets.contains_key(e))));
        if found.is_some() {
            break;
        }
    }
    let Some((ticket, Some(earlier))) = found else { panic!("a ticket links an earlier ticket within twelve hours") };
    let mut feed = LocalFeed::new(engine);
    let mut app = attach(&mut feed);
    app.run_command_line(&format!("ticket {ticket}"));
    assert_eq!(app.view, View::Ticket);
    let text = screen(&app);
    assert!(text.contains("from the call:"), "the excerpt is on the page:\n{text}");
    assert!(text.contains("earlier: ") && text.contains(&earlier.to_string()), "{text}");
    assert!(text.contains(&format!("H opens {earlier}")), "{text}");
    let caller = feed
        .engine()
        .floor()
        .tickets
        .get(&ticket)
        .and_then(|t| t.call)
        .and_then(|c| feed.engine().floor().calls.get(&c))
        .map(|c| c.caller.clone());
    if let Some(number) = caller {
        assert!(!text.contains(&number), "the caller's number is not on a supervisor's ticket page");
    }
    press(&mut app, "H");
    assert_eq!((app.view, app.open_ticket), (View::Ticket, Some(earlier)), "H opens the earlier ticket");
}

/// The identity-verification column shows where calls are verified (the bank) and is left out where they are not
/// (the hospital), rather than drawn blank; `s` cycling the sort passes over it there too.
#[test]
fn the_id_column_shows_only_on_a_floor_that_verifies_callers() {
    let header = |app: &App| {
        let t = draw(app, 200, 40);
        let Some(h) = rows(&t).into_iter().find(|r| r.contains("Call ") && r.contains("Queue ")) else {
            panic!("the Calls view has a header row")
        };
        h
    };
    let (engine, _) = bank_pending(1);
    let mut feed = LocalFeed::new(engine);
    let mut app = attach(&mut feed);
    press(&mut app, "2");
    assert!(has_word(&header(&app), "ID").is_some(), "the bank shows ID: {}", header(&app));
    let mut hospital = LocalFeed::new(console_support::hospital(40));
    let mut app = attach(&mut hospital);
    press(&mut app, "2");
    assert!(has_word(&header(&app), "ID").is_none(), "the hospital has no ID column: {}", header(&app));
    for _ in 0..ListKind::Calls.columns().len() {
        press(&mut app, "s");
        assert_ne!(app.lists[ListKind::Calls].sort.column, "id", "s sorts by a column the floor does not show");
    }
}
