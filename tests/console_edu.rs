//! The console on a seeded school floor: the callback key (`a` in the Callbacks view), `:seats add` for admins, the
//! temporary-seat mark and the student shown on a call from any of the student's contacts.

mod console_support;

use callfloor::client::Outgoing;
use callfloor::console::app::{App, Input, View};
use callfloor::engine::Engine;
use callfloor::engine::sim::scenario::Scenario;
use callfloor::local::LocalFeed;
use callfloor::model::*;
use console_support::*;

/// The school scenario, seed 7, run 70 floor-minutes (09:40, in the enrolment rush), seen with `role`.
fn school(role: Role) -> (LocalFeed, App) {
    let Ok(s) = Scenario::load("school") else { panic!("the bundled school scenario must load") };
    let mut engine = Engine::new(s, 7);
    let to = engine.now() + chrono::Duration::minutes(70);
    engine.advance_to(to);
    engine.discard_outbox();
    let mut feed = LocalFeed::with_role(engine, role);
    let app = attach(&mut feed);
    (feed, app)
}

fn last_message(app: &App) -> String {
    app.messages.back().map(|t| t.text.clone()).unwrap_or_default()
}

fn commands(out: &[Outgoing]) -> Vec<Command> {
    out.iter().filter_map(|o| o.as_command().cloned()).collect()
}

#[test]
fn a_in_the_callbacks_view_gives_the_selected_callback_to_a_queue_and_the_view_follows_it() {
    let (mut feed, mut app) = school(Role::Supervisor);
    press(&mut app, "6");
    assert_eq!(app.view, View::Callbacks);
    let Some(call) = app.target_call() else { panic!("the school floor has callbacks at 09:40") };
    let cb = app.floor().callbacks.iter().find(|c| c.call == call).cloned();
    let Some(cb) = cb else { panic!("the selected row is a callback") };
    assert_eq!(cb.status, CallbackStatus::Waiting);
    let Some(queue) = cb.queue.clone() else { panic!("the callback has its queue") };
    assert!(press(&mut app, "a").is_empty(), "a opens the command line, it sends nothing yet");
    let text = match &app.input {
        Some(Input::Command(_)) => app.input.as_ref().map(|i| i.text()).unwrap_or_default(),
        other => panic!("a opens the command line, not {other:?}"),
    };
    assert_eq!(text, format!("callback {call} "));
    type_text(&mut app, queue.as_str());
    let out = press(&mut app, "enter");
    assert_eq!(commands(&out), vec![Command::AssignCallback { call, to_agent: None, to_queue: Some(queue.clone()) }]);
    deliver(&mut app, &mut feed, out);
    assert!(
        last_message(&app).contains(&format!("assign the callback of {call} to {queue}")),
        "{}",
        last_message(&app)
    );
    // A seat of the queue dials it; the row says so.
    watch_until(&mut app, &mut feed, "the callback dialled", |f| {
        f.callbacks.iter().any(|c| c.call == call && c.status != CallbackStatus::Assigned)
    });
    let t = draw(&app, 160, 48);
    let row = rows(&t).into_iter().find(|r| r.contains(&call.to_string()));
    let Some(row) = row else { panic!("the callback's row is shown") };
    assert!(has_word(&row, queue.as_str()).is_some(), "the To column names the queue: {row}");
    assert!(["dialing", "reached", "retry"].iter().any(|s| row.contains(s)), "the status shows the attempt: {row}");
    // Pressed again on it: not assignable any more, nothing is sent.
    assert!(press(&mut app, "a").is_empty());
    assert!(app.input.is_none());
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("callbacks_assigned_160x48", draw(&app, 160, 48).backend().to_string());
    });
}

#[test]
fn a_viewer_cannot_assign_a_callback() {
    let (_feed, mut app) = school(Role::Viewer);
    press(&mut app, "6");
    assert!(press(&mut app, "a").is_empty());
    assert!(app.input.is_none());
    assert!(last_message(&app).contains("ask for a supervisor token"), "{}", last_message(&app));
}

#[test]
fn seats_add_on_the_command_line_logs_in_temporary_seats_marked_in_the_views() {
    let (mut feed, mut app) = school(Role::Admin);
    let mut out = press(&mut app, ":");
    out.extend(type_text(&mut app, "seats add parents 2 until 11:30 outsourced"));
    out.extend(press(&mut app, "enter"));
    let until = app.floor().time().date_naive().and_hms_opt(11, 30, 0).unwrap_or_default().and_utc();
    assert_eq!(
        commands(&out),
        vec![Command::AddSeats {
            queue: QueueId::new("parents"),
            count: 2,
            skills: Vec::new(),
            until,
            origin: SeatOrigin::Outsourced
        }]
    );
    deliver(&mut app, &mut feed, out);
    let temps: Vec<AgentId> = app
        .floor()
        .agents
        .values()
        .filter(|a| a.temporary.as_ref().is_some_and(|t| t.origin == SeatOrigin::Outsourced))
        .map(|a| a.id)
        .collect();
    assert_eq!(temps.len(), 2);
    // The Agents view marks them; a filter finds them.
    press(&mut app, "3");
    press(&mut app, "/");
    type_text(&mut app, "outsourced");
    press(&mut app, "enter");
    app.refresh_all();
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("agents_temporary_80x24", draw(&app, 80, 24).backend().to_string());
    });
    let shown = rows(&draw(&app, 80, 24));
    for a in &temps {
        let row = shown.iter().find(|r| r.contains(&a.to_string()));
        let Some(row) = row else { panic!("{a} is listed:\n{}", shown.join("\n")) };
        assert!(row.contains("⧗out"), "{a} is marked temporary: {row}");
    }
    // Once one takes a call, the Calls list marks its agent too.
    watch_until(&mut app, &mut feed, "a temporary seat on a call", |f| {
        temps.iter().any(|a| f.agents.get(a).is_some_and(|x| x.call.is_some()))
    });
    press(&mut app, "2");
    app.refresh_all();
    let marked = rows(&draw(&app, 160, 48)).iter().any(|r| temps.iter().any(|a| r.contains(&format!("{a}⧗"))));
    assert!(marked, "the calls list marks the temporary seat's calls");
}

#[test]
fn a_supervisor_typing_seats_add_is_told_it_needs_an_admin() {
    let (_feed, mut app) = school(Role::Supervisor);
    let mut out = press(&mut app, ":");
    out.extend(type_text(&mut app, "seats add parents 2 until 11:30 outsourced"));
    out.extend(press(&mut app, "enter"));
    assert!(out.is_empty(), "nothing is sent");
    assert_eq!(last_message(&app), "✗ the supervisor role cannot add seats: ask for an admin token");
}

#[test]
fn a_call_from_a_students_contact_shows_the_student_and_the_others_calls_masked() {
    let (mut feed, mut app) = school(Role::Supervisor);
    let linked =
        |f: &Floor| f.calls.values().find(|c| c.student.as_ref().is_some_and(|s| !s.others.is_empty())).map(|c| c.id);
    watch_until(&mut app, &mut feed, "a live call about a student called about before", |f| linked(f).is_some());
    let Some(call) = linked(app.floor()) else { panic!() };
    let Some(link) = app.floor().calls.get(&call).and_then(|c| c.student.clone()) else { panic!() };
    // The calls list flags it.
    press(&mut app, "2");
    app.refresh_all();
    let shown = rows(&draw(&app, 160, 48));
    let row = shown.iter().find(|r| r.contains(&call.to_string()));
    if let Some(row) = row {
        let flag = row
            .split_whitespace()
            .any(|w| w.contains('S') && w.chars().all(|c| "URMWBS↩↻?✗cC".contains(c) || c.is_ascii_digit()));
        assert!(flag, "the calls list flags a student contact: {row}");
    }
    // Opened, it names the student, who is calling and the other contacts' calls, numbers masked.
    let out = press(&mut app, ":");
    assert!(out.is_empty());
    type_text(&mut app, &format!("call {call}"));
    press(&mut app, "enter");
    assert_eq!(app.view, View::Call);
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("call_student_160x48", draw(&app, 160, 48).backend().to_string());
    });
    let screen = rows(&draw(&app, 160, 48)).join("\n");
    // Wide (CJK) characters are drawn with a blank cell after them.
    let squeezed = screen.replace(' ', "");
    assert!(squeezed.contains(&link.name.replace(' ', "")) && screen.contains(&link.class), "{screen}");
    assert!(screen.contains(&format!("this caller: {}", link.role.as_str())), "{screen}");
    for o in &link.others {
        let line = screen.lines().find(|l| l.contains(&format!("{} {}", o.call, o.role.as_str())));
        let Some(line) = line else { panic!("{} by the {} is listed:\n{screen}", o.call, o.role.as_str()) };
        assert!(line.contains('*'), "the number is masked for a supervisor: {line}");
    }
}

/// `+` on the Agents view opens the command line filled in for the selected seat's queue (two part-time seats for
/// the next hour); Enter sends it as it stands. A supervisor is told locally that it takes an admin.
#[test]
fn plus_in_the_agents_view_fills_in_seats_add_for_the_selected_seats_queue() {
    let (mut feed, mut app) = school(Role::Admin);
    press(&mut app, "3");
    let Some(agent) = app.target_agent() else { panic!("the school floor has seats") };
    let queue = app.floor().agents.get(&agent).and_then(|a| a.queues.first().cloned());
    let Some(queue) = queue else { panic!("{agent} serves a queue") };
    assert!(press(&mut app, "+").is_empty());
    let Some(Input::Command(area)) = &app.input else { panic!("+ opens the command line") };
    let now = app.floor().time();
    let until = now + chrono::Duration::hours(1);
    assert_eq!(area.lines().join(""), format!("seats add {queue} 2 until {} part_time", until.format("%H:%M")));
    let out = press(&mut app, "enter");
    let until = now.date_naive().and_time(until.time()).and_utc();
    let until = until - chrono::Duration::seconds(i64::from(chrono::Timelike::second(&until)));
    assert_eq!(
        commands(&out),
        vec![Command::AddSeats { queue, count: 2, skills: Vec::new(), until, origin: SeatOrigin::PartTime }]
    );
    let temporary = |app: &App| app.floor().agents.values().filter(|a| a.temporary.is_some()).count();
    let before = temporary(&app);
    deliver(&mut app, &mut feed, out);
    assert_eq!(temporary(&app), before + 2);

    let (_feed, mut app) = school(Role::Supervisor);
    press(&mut app, "3");
    assert!(press(&mut app, "+").is_empty());
    assert!(app.input.is_none(), "a supervisor gets no command line to fill");
    assert!(last_message(&app).contains("ask for an admin token"), "{}", last_message(&app));
}
