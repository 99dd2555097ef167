//! The console on a seeded gov-hotline floor whose callers speak dialects (issue 9 point 7): the Floor shows dialect
//! callers waiting and the seats free for them per dialect, and says which dialect needs a seat, within 80x24; a
//! call row and the call page show the caller's dialect and the elderly mark; `/粤语` filters the calls to
//! Cantonese callers; the seat list shows each seat's dialects.

mod console_support;

use callfloor::console::app::{App, View};
use callfloor::console::lists::ListKind;
use callfloor::engine::Engine;
use callfloor::engine::sim::scenario::Scenario;
use callfloor::local::LocalFeed;
use callfloor::model::*;
use console_support::*;

/// The gov-hotline at the announcement surge (09:30), seed 7: queues are long, some dialect callers wait.
fn gov_app() -> (App, LocalFeed) {
    let Ok(scenario) = Scenario::load("gov-hotline") else { panic!("the bundled gov-hotline scenario must load") };
    let mut engine = Engine::new(scenario, 7);
    let to = engine.now() + chrono::Duration::minutes(60);
    engine.advance_to(to);
    engine.discard_outbox();
    let mut feed = LocalFeed::new(engine);
    let mut app = attach(&mut feed);
    let ready = |f: &Floor| {
        let hint = f.dialect_staffing();
        hint.iter().any(|d| d.waiting > 0)
            && f.calls.values().any(|c| c.dialect.is_some() && c.elderly)
            && f.calls.values().any(|c| c.dialect.is_some() && c.state == CallState::Connected)
    };
    watch_until(&mut app, &mut feed, "dialect callers waiting, an elderly one and one connected", ready);
    app.apply_update(feed.metrics());
    app.refresh_all();
    app.message_ttl = 0;
    app.show_hint = false;
    (app, feed)
}

/// A drawn screen's rows without spaces (the test terminal pads wide characters with one).
fn squeezed(app: &App, w: u16, h: u16) -> Vec<String> {
    rows(&draw(app, w, h)).into_iter().map(|r| r.replace(' ', "")).collect()
}

#[test]
fn the_floor_shows_dialect_waiters_and_which_dialect_needs_a_seat_in_80x24() {
    let (mut app, _feed) = gov_app();
    press(&mut app, "1");
    assert_eq!(app.view, View::Floor);
    let f = app.floor();
    let hint = f.dialect_staffing();
    let screen = squeezed(&app, 80, 24);
    let Some(line) = screen.iter().find(|r| r.starts_with("dialectswait/free:")) else {
        panic!("no dialects line on the Floor:\n{}", screen.join("\n"))
    };
    for d in &hint {
        let shown = format!("{}{}/{}", f.dialect_name(&d.dialect), d.waiting, d.free);
        assert!(line.contains(&shown), "{shown} missing from {line}");
    }
    let short: Vec<&str> = hint.iter().filter(|d| d.short()).map(|d| f.dialect_name(&d.dialect)).collect();
    assert!(!short.is_empty(), "at the surge some dialect needs a seat: {hint:?}");
    assert!(line.contains(&format!("│adda{}seat", short.join("/"))), "{line}");
    // The rest of the Floor is still there: the tiles, the totals and the newest alerts.
    let all = screen.join("\n");
    assert!(all.contains("newestalerts") && all.contains("calls:"), "{all}");
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("floor_dialects_80x24", draw(&app, 80, 24).backend());
    });
}

#[test]
fn call_rows_and_the_call_page_show_the_dialect_and_the_elderly_mark() {
    let (mut app, _feed) = gov_app();
    press(&mut app, "2");
    // Filter on the Cantonese name: only Cantonese callers remain, each row marked [粤语].
    press(&mut app, "/");
    type_text(&mut app, "粤语");
    press(&mut app, "enter");
    assert_eq!(app.lists[ListKind::Calls].filter, "粤语");
    let shown = ids_calls(&app);
    let f = app.floor();
    let yue = f.calls.values().filter(|c| c.dialect.as_deref() == Some("yue")).count();
    assert!(yue > 0, "the surge has Cantonese callers");
    assert_eq!(shown.len(), yue, "the filter keeps exactly the Cantonese callers");
    let screen = squeezed(&app, 80, 24);
    for id in &shown {
        let Some(row) = screen.iter().find(|r| r.contains(&format!("│{id}"))) else { continue };
        assert!(row.contains("[粤语]"), "{id}'s row does not show its dialect: {row}");
        let elderly = f.calls.get(id).is_some_and(|c| c.elderly);
        assert_eq!(row.contains("[粤语]老"), elderly, "{id}: the elderly mark follows the caller: {row}");
    }
    // `/老` finds the elderly callers, of every dialect and none. (`elderly` would also match the Seniors' line,
    // whose queue id is `elderly`.)
    press(&mut app, "esc");
    press(&mut app, "/");
    type_text(&mut app, "老");
    press(&mut app, "enter");
    let elderly = app.floor().calls.values().filter(|c| c.elderly).count();
    assert_eq!(ids_calls(&app).len(), elderly);

    // The call page of a connected dialect caller says the dialect in its header and its caller box.
    let Some(c) = app
        .floor()
        .calls
        .values()
        .filter(|c| c.state == CallState::Connected)
        .find_map(|c| c.dialect.as_deref().map(|d| (c.id, app.floor().dialect_name(d).to_string())))
    else {
        panic!("a connected dialect caller")
    };
    let (call, name) = c;
    assert!(app.run_command_line(&format!("call {call}")).is_empty());
    assert_eq!(app.open_call, Some(call));
    let screen = squeezed(&app, 80, 24).join("\n");
    assert!(screen.contains(&format!("[{name}]")), "the header shows [{name}]:\n{screen}");
    let wide = squeezed(&app, 160, 48).join("\n");
    assert!(wide.contains(&format!("dialect:{name}")), "the caller box shows the dialect:\n{wide}");
}

#[test]
fn the_seat_list_shows_each_seats_dialects() {
    let (mut app, _feed) = gov_app();
    press(&mut app, "3");
    let screen = squeezed(&app, 160, 48);
    let f = app.floor();
    let with: Vec<&Agent> = f.agents.values().filter(|a| !a.dialects.is_empty()).collect();
    assert_eq!(with.len(), 8, "the Qian Lei group and the case officers handle dialects");
    let mut seen = 0;
    for a in f.agents.values() {
        let Some(row) = screen.iter().find(|r| r.contains(&format!("│{}", a.id))) else { continue };
        seen += 1;
        let names: Vec<&str> = a.dialects.iter().map(|d| f.dialect_name(d)).collect();
        let mark = format!("[{}]", names.join(","));
        assert_eq!(row.contains(&mark) && !names.is_empty(), !a.dialects.is_empty(), "{}: {row}", a.id);
    }
    assert!(seen > 20, "the seat list shows most seats at 160x48: {seen}");
    // `/闽南语` keeps the Minnan seats.
    press(&mut app, "/");
    type_text(&mut app, "闽南语");
    press(&mut app, "enter");
    assert_eq!(ids_agents(&app).len(), 4);
}

/// Every line the Calls help shows as it scrolls (j) to its end, without spaces.
fn calls_help(app: &mut App) -> String {
    keys(app, &["2", "?"]);
    let mut seen = Vec::new();
    for _ in 0..80 {
        seen.extend(squeezed(app, 160, 48));
        press(app, "j");
    }
    seen.join("\n")
}

#[test]
fn the_calls_help_explains_the_dialect_marks_on_a_dialect_floor_only() {
    let (mut app, _feed) = gov_app();
    let help = calls_help(&mut app);
    assert!(help.contains("[粤语]thecaller'sdialect·老anelderlycaller"), "{help}");
    let mut feed = feed();
    let mut hospital = attach(&mut feed);
    let help = calls_help(&mut hospital);
    assert!(help.contains("Sacontactofastudent") && !help.contains("dialect"), "{help}");
}
