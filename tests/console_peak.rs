//! The console at a real peak (issue 7): lists hold still, the action hits what the screen shows, messages neither
//! hide the floor nor leak, an ended call stays readable, you see where you are, a restarted engine is said plainly,
//! and 80x24 keeps the alerts box alive. Each test drives an App with keys against a seeded local engine.

mod console_support;

use callfloor::client::Update;
use callfloor::console::app::{App, Dialog, View};
use callfloor::engine::Engine;
use callfloor::engine::sim::scenario::Scenario;
use callfloor::local::{LOCAL_USER, LocalFeed};
use callfloor::model::*;
use console_support::*;

fn last_message(app: &App) -> String {
    app.messages.back().map(|m| m.text.clone()).unwrap_or_default()
}

fn scenario_feed(name: &str, minutes: i64) -> LocalFeed {
    let Ok(scenario) = Scenario::load(name) else { panic!("the bundled {name} scenario must load") };
    let mut engine = Engine::new(scenario, 7);
    let to = engine.now() + chrono::Duration::minutes(minutes);
    engine.advance_to(to);
    engine.discard_outbox();
    LocalFeed::new(engine)
}

/// Runs the feed 10 floor-seconds and hands the App the events (no tick).
fn step(app: &mut App, feed: &mut LocalFeed) {
    if let Some(u) = feed.step(chrono::Duration::seconds(10)) {
        app.apply_update(u);
    }
}

fn screen(app: &App, w: u16, h: u16) -> String {
    rows(&draw(app, w, h)).join("\n")
}

fn status_line(app: &App, w: u16, h: u16) -> String {
    rows(&draw(app, w, h)).get(h as usize - 2).cloned().unwrap_or_default()
}

#[test]
fn the_calls_list_holds_still_keeps_its_row_and_moves_to_the_neighbour() {
    let mut feed = scenario_feed("ecommerce-promo", 90);
    let mut app = attach(&mut feed);
    press(&mut app, "2");
    let page = app.page();
    assert!(app.lists[ListKind::Calls].rows.len() > page + 3, "the peak floor has more calls than a page");
    // Move down past the first page: the view scrolls just enough.
    for _ in 0..page + 2 {
        press(&mut app, "j");
    }
    let top = app.lists[ListKind::Calls].top;
    assert!(top > 0);
    let mut moved_to_neighbour = false;
    for _ in 0..120 {
        let before = app.lists[ListKind::Calls].clone();
        let selected = before.sel.and_then(|r| r.call());
        step(&mut app, &mut feed);
        app.tick();
        let l = &app.lists[ListKind::Calls];
        assert_eq!(l.top, top, "the view never scrolls unless the supervisor moves");
        // Every row is a live call: ended ones do not sit among them, and the title counts the rows.
        assert!(l.rows.iter().all(|r| r.call().is_some_and(|c| app.floor().calls.contains_key(&c))));
        let title = rows(&draw(&app, 200, 50))[3].clone();
        assert!(title.contains(&format!("Calls {} live ·", l.rows.len())), "{title}");
        match selected {
            Some(c) if app.floor().calls.contains_key(&c) => {
                assert_eq!(l.sel.and_then(|r| r.call()), Some(c), "the selection stays on its call")
            }
            Some(c) => {
                // It left: the row that followed it is selected now.
                let at = before.rows.iter().position(|r| r.call() == Some(c)).unwrap_or(0);
                let want = before.rows[at + 1..].iter().find(|r| l.rows.contains(r)).copied();
                assert_eq!(l.sel, want, "{c} left: its neighbour is selected");
                moved_to_neighbour = true;
            }
            None => {}
        }
        // "Sorted by wait" is in the order of the Wait column as shown.
        let waits: Vec<f64> = l
            .rows
            .iter()
            .filter_map(|r| r.call())
            .filter_map(|c| app.floor().calls.get(&c))
            .map(|c| callfloor::console::lists::call_wait(c, app.list_now).unwrap_or(-1.0))
            .collect();
        assert!(waits.windows(2).all(|w| w[0] >= w[1]), "wait order: {waits:?}");
        if moved_to_neighbour {
            break;
        }
    }
    assert!(moved_to_neighbour, "a selected call ended within 20 floor-minutes");
}

#[test]
fn a_paused_list_keeps_its_rows_and_says_so() {
    let mut feed = scenario_feed("ecommerce-promo", 90);
    let mut app = attach(&mut feed);
    keys(&mut app, &["2", "p"]);
    assert!(status_line(&app, 80, 24).contains("PAUSED"), "{}", status_line(&app, 80, 24));
    let frozen = ids_calls(&app);
    let mut ended = None;
    for _ in 0..30 {
        step(&mut app, &mut feed);
        app.tick();
        assert_eq!(ids_calls(&app), frozen, "a paused list keeps its rows");
        ended = frozen.iter().find(|c| !app.floor().calls.contains_key(c)).copied();
        if ended.is_some() {
            break;
        }
    }
    let Some(ended) = ended else { panic!("a listed call ended within 5 floor-minutes") };
    // Its row is still whole (queue, agent), muted, and says how the call ended.
    let shot = screen(&app, 200, 50);
    let row = shot.lines().find(|l| l.contains(&ended.to_string())).unwrap_or_default().to_string();
    assert!(row.contains("ended") || row.contains("abandoned"), "{row}");
    press(&mut app, "p");
    assert!(!ids_calls(&app).contains(&ended), "resumed, the list settles at once");
    assert!(!status_line(&app, 80, 24).contains("PAUSED"));
}

#[test]
fn on_the_floor_every_key_acts_on_the_call_the_banner_shows() {
    let mut feed = feed();
    let mut app = attach(&mut feed);
    let Some(banner) = app.banner_alert().cloned() else { panic!("the fixture floor has an open critical alert") };
    let Ok(call) = banner.subject.parse::<CallId>() else { panic!("the banner is about a call") };
    // A newer, lesser alert about another live call must not steal the target.
    let other = app.floor().calls.keys().copied().find(|c| *c != call).unwrap_or(call);
    let newest = app.floor().alerts.keys().next_back().map_or(0, |a| a.0);
    let now = app.floor().time();
    let warn = Alert {
        id: AlertId(newest + 1),
        kind: AlertKind::NegativeSentiment,
        severity: Severity::Warning,
        subject: other.to_string(),
        message: format!("{other}: caller sentiment down"),
        raised: now,
        acked: None,
    };
    let ev = Event { at: now, kind: EventKind::AlertRaised { alert: warn } };
    app.apply_update(Update::Events { from_seq: app.floor().seq, events: vec![ev] });
    press(&mut app, "1");
    let status = status_line(&app, 80, 24);
    assert!(status.contains(&format!("barge {call}")), "the status line names the target: {status}");
    assert!(screen(&app, 80, 24).contains(&banner.id.to_string()));
    // b asks first (from a view other than the call's own), naming the same call; y barges into it.
    assert!(press(&mut app, "b").is_empty());
    assert!(matches!(&app.dialog, Some(Dialog::Confirm { title, .. }) if title.contains(&call.to_string())));
    let out = press(&mut app, "y");
    assert_eq!(out.iter().filter_map(|o| o.as_command().cloned()).collect::<Vec<_>>(), vec![Command::Barge { call }]);
    assert_eq!(app.open_call, Some(call), "and Enter would have opened the same call");
}

#[test]
fn messages_stay_on_their_line_are_kept_and_are_masked() {
    let mut feed = feed();
    let mut app = attach(&mut feed);
    let call = connected_call(app.floor());
    let out = app.run_command_line(&format!("barge {call}"));
    deliver(&mut app, &mut feed, out);
    // The say line carries a card number; the message area masks it as the transcript does.
    let out = app.run_command_line(&format!("say {call} your card 6222021234567890123 is blocked"));
    deliver(&mut app, &mut feed, out);
    let shown: String = app.messages.iter().map(|m| m.text.clone()).collect::<Vec<_>>().join("\n");
    assert!(!shown.contains("6222021234567890123") && !shown.contains("62220212345"), "{shown}");
    let shot = screen(&app, 80, 24);
    assert!(!shot.contains("62220212345"), "nothing on screen shows the number:\n{shot}");
    // The message sits on the bottom line, under the status line, not over the body.
    let lines = rows(&draw(&app, 80, 24));
    assert!(lines[23].contains("✓ say to"), "{:?}", lines[23]);
    // The history keeps them all.
    let n = app.messages.len();
    keys(&mut app, &[":"]);
    type_text(&mut app, "messages");
    press(&mut app, "enter");
    assert!(app.show_messages);
    let overlay = screen(&app, 80, 24);
    assert!(overlay.contains(&format!("Messages: {n}")), "{overlay}");
    press(&mut app, "esc");
    assert!(!app.show_messages);
}

#[test]
fn an_ended_call_stays_readable_and_its_actions_say_why_not() {
    let mut feed = feed();
    let mut app = attach(&mut feed);
    let call = connected_call(app.floor());
    let _ = app.run_command_line(&format!("call {call}"));
    let said = app.floor().calls[&call].transcript.last().map(|l| l.text.clone()).unwrap_or_default();
    for _ in 0..360 {
        if !app.floor().calls.contains_key(&call) {
            break;
        }
        step(&mut app, &mut feed);
    }
    assert!(!app.floor().calls.contains_key(&call), "{call} ended within a floor-hour");
    let shot = screen(&app, 120, 40);
    assert!(shot.contains("read only"), "{shot}");
    let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let head: String = squeeze(&said).chars().take(5).collect();
    assert!(squeeze(&shot).contains(&head), "its transcript is still there ({said}):\n{shot}");
    assert!(!status_line(&app, 120, 40).contains("barge"), "no action is offered on a finished call");
    assert!(press(&mut app, "b").is_empty());
    assert!(last_message(&app).contains("has left the floor"), "{}", last_message(&app));
}

#[test]
fn a_ticket_has_its_own_page_with_notes_escalations_who_and_when() {
    let mut feed = feed();
    let mut app = attach(&mut feed);
    keys(&mut app, &["5"]);
    let Some(ticket) = ids_tickets(&app).first().copied() else { panic!("the fixture floor has open tickets") };
    press(&mut app, "enter");
    assert_eq!((app.view, app.open_ticket), (View::Ticket, Some(ticket)));
    press(&mut app, "e");
    type_text(&mut app, "customer called twice");
    let out = press(&mut app, "enter");
    deliver(&mut app, &mut feed, out);
    let shot = screen(&app, 80, 24);
    assert!(shot.contains("customer called twice") && shot.contains("escalated to level 1"), "{shot}");
    assert!(shot.contains(LOCAL_USER), "who did it is on the page:\n{shot}");
    // Enter opens the linked call (live or its record); esc comes back to the ticket.
    if app.floor().tickets[&ticket].call.is_some() {
        press(&mut app, "enter");
        assert_eq!(app.view, View::Call);
        press(&mut app, "esc");
        assert_eq!(app.view, View::Ticket);
    }
}

#[test]
fn the_header_says_where_you_are_and_transcripts_name_who_spoke() {
    let mut feed = feed();
    let mut app = attach(&mut feed);
    let call = connected_call(app.floor());
    let out = app.run_command_line(&format!("barge {call}"));
    deliver(&mut app, &mut feed, out);
    let out = app.run_command_line(&format!("say {call} hello, I am the supervisor"));
    deliver(&mut app, &mut feed, out);
    for view in ["1", "3", "4", "5", "7"] {
        press(&mut app, view);
        let header = rows(&draw(&app, 80, 24))[0].clone();
        assert!(header.contains(&format!("barge {call}")), "view {view}: {header}");
    }
    let _ = app.run_command_line(&format!("call {call}"));
    let shot = screen(&app, 120, 40);
    let line = shot.lines().find(|l| l.contains("hello, I am the supervisor")).unwrap_or_default().to_string();
    assert!(line.contains(LOCAL_USER), "the line names the supervisor who spoke: {line}");
}

#[test]
fn a_restarted_engine_is_a_new_floor_said_once_and_old_pages_close() {
    let mut feed = feed();
    let mut app = attach(&mut feed);
    let call = connected_call(app.floor());
    let _ = app.run_command_line(&format!("call {call}"));
    assert_eq!(app.view, View::Call);
    // The engine restarts: same scenario, a new floor.
    let mut restarted = LocalFeed::new(hospital(WARM_MINUTES));
    for u in restarted.hello() {
        app.apply_update(u);
    }
    assert_eq!(app.open_call, None, "the old floor's call page is closed");
    assert_ne!(app.view, View::Call);
    let news: Vec<&String> = app.messages.iter().map(|m| &m.text).filter(|t| t.contains("new floor")).collect();
    assert_eq!(news.len(), 1, "said once: {news:?}");
    assert!(news[0].contains(&format!("old floor's {call}")), "{}", news[0]);
    // It stays on screen as a banner until the supervisor presses a key.
    for _ in 0..20 {
        app.tick();
    }
    assert!(screen(&app, 80, 24).contains("NEW FLOOR"), "{}", screen(&app, 80, 24));
    press(&mut app, "1");
    assert!(!screen(&app, 80, 24).contains("NEW FLOOR"));
    // Reconnecting to the same floor says nothing.
    for u in restarted.hello() {
        app.apply_update(u);
    }
    assert_eq!(app.messages.iter().filter(|m| m.text.contains("new floor")).count(), 1);
}

#[test]
fn at_80x24_a_peak_floor_keeps_its_alerts_box_and_separates_tab_counts() {
    let mut feed = scenario_feed("ecommerce-promo", 120);
    let app = attach(&mut feed);
    assert!(app.floor().open_alerts().count() >= 2, "the sale has open alerts");
    let lines = rows(&draw(&app, 80, 24));
    let boxed = lines.iter().position(|l| l.contains("newest alerts")).unwrap_or(usize::MAX);
    assert!(boxed < 20, "the alerts box is on screen:\n{}", lines.join("\n"));
    assert!(lines[boxed + 1].contains("AL-") && lines[boxed + 2].contains("AL-"), "{}", lines.join("\n"));
    // Every tile shows the same lines: no tile loses its seats line while another keeps it.
    let waiting = lines.iter().map(|l| l.matches("waiting").count()).sum::<usize>();
    let tiles = app.floor().queues.len();
    assert_eq!(waiting, tiles, "{}", lines.join("\n"));
    let tabs = &lines[1];
    assert!(tabs.contains("2 Calls(") && !tabs.contains("Calls 1"), "counts never run into the next tab: {tabs}");
}

#[test]
fn one_a_acknowledges_every_open_alert_on_the_engine_in_one_request() {
    let mut feed = scenario_feed("ecommerce-promo", 60);
    let mut app = attach(&mut feed);
    watch_until(&mut app, &mut feed, "200 open alerts", |f| f.open_alerts().count() >= 200);
    let open: Vec<AlertId> = app.floor().open_alerts().map(|a| a.id).collect();
    assert!(open.len() >= 200, "the sale raised {} open alerts", open.len());
    let out = keys(&mut app, &["4", "A"]);
    assert_eq!(out.len(), 1, "one request");
    deliver(&mut app, &mut feed, out);
    let engine = feed.engine().floor();
    let still_open: Vec<AlertId> = open.iter().copied().filter(|a| engine.alerts[a].acked.is_none()).collect();
    assert!(still_open.is_empty(), "all {} acknowledged on the engine; open: {still_open:?}", open.len());
    assert!(last_message(&app).starts_with(&format!("✓ ack {} alerts", open.len())), "{}", last_message(&app));
    let audit = engine.audit.back().map(|e| (e.ok, e.outcome.clone()));
    assert!(audit.as_ref().is_some_and(|(ok, _)| *ok), "one audit entry, ok: {audit:?}");
}

#[test]
fn between_ticks_rows_stay_put_and_an_ended_call_keeps_a_whole_row() {
    let mut feed = scenario_feed("ecommerce-promo", 90);
    let mut app = attach(&mut feed);
    press(&mut app, "2");
    let before = ids_calls(&app);
    let mut ended = None;
    for _ in 0..30 {
        step(&mut app, &mut feed);
        assert_eq!(ids_calls(&app), before, "rows do not move between ticks");
        ended = before.iter().find(|c| !app.floor().calls.contains_key(c)).copied();
        if ended.is_some() {
            break;
        }
    }
    let Some(ended) = ended else { panic!("a listed call ended within 5 floor-minutes") };
    let Some(record) = app.call_record(ended).cloned() else { panic!("the console keeps {ended}'s record") };
    let shot = screen(&app, 200, 50);
    let row = shot.lines().find(|l| l.contains(&ended.to_string())).unwrap_or_default().to_string();
    let queue = record.queue.map(|q| q.to_string()).unwrap_or_default();
    assert!(row.contains("ended") || row.contains("abandoned"), "{row}");
    assert!(row.contains(&queue), "the row is whole, not blank: {row}");
    // The title counts it apart from the live rows, briefly: "Calls 16 live (+1 ended)".
    let title = shot.lines().find(|l| l.contains("┌ Calls ")).unwrap_or_default().to_string();
    let ended_rows = ids_calls(&app).iter().filter(|c| !app.floor().calls.contains_key(c)).count();
    let live_rows = ids_calls(&app).len() - ended_rows;
    assert!(title.contains(&format!(" Calls {live_rows} live (+{ended_rows} ended) · sorted by wait")), "{title}");
    app.tick();
    assert!(!ids_calls(&app).contains(&ended), "the tick settles the list");
    assert_eq!(app.lists[ListKind::Calls].rows.len(), app.floor().calls.len(), "every live call is listed");
}

#[test]
fn the_mouse_clicks_tabs_and_rows_and_small_keys_behave() {
    use ratatui::crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    let mut feed = feed();
    let mut app = attach(&mut feed);
    app.size = (80, 24);
    let click = |column: u16, row: u16| MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column,
        row,
        modifiers: KeyModifiers::NONE,
    };
    // Row 1 is the tab bar: find the "4 Alerts" tab on screen and click it.
    let tabs = rows(&draw(&app, 80, 24))[1].clone();
    let Some(x) = tabs.find("4 Alerts") else { panic!("{tabs}") };
    app.on_mouse(click(tabs[..x].chars().count() as u16 + 1, 1));
    assert_eq!(app.view, View::Alerts);
    // Click the third row of the list (rows start under the border and the header), then click it again to open.
    let lines = rows(&draw(&app, 80, 24));
    let top = lines.iter().position(|l| l.starts_with('┌')).unwrap_or(0) as u16;
    app.on_mouse(click(5, top + 4));
    assert_eq!(app.lists[ListKind::Alerts].index, 2);
    // The wheel moves the selection.
    app.on_mouse(MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: 5,
        row: top + 4,
        modifiers: KeyModifiers::NONE,
    });
    assert_eq!(app.lists[ListKind::Alerts].index, 5);
    // Turned off, the mouse does nothing.
    app.mouse = false;
    app.on_mouse(click(5, top + 2));
    assert_eq!(app.lists[ListKind::Alerts].index, 5);
    // End scrolls help instead of closing it; Esc is offered only where it closes something.
    keys(&mut app, &["?", "end"]);
    assert!(app.help, "End keeps help open");
    press(&mut app, "esc");
    assert!(!status_line(&app, 80, 24).contains("esc back"), "nothing to close on a top-level view");
}
