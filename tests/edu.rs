//! Issue 9's points 3, 4 and 9 on a seeded sim: callers who are contacts of a student show the student and the
//! others' calls; temporary seats log in, take calls and leave at `until` with no call lost; callbacks are assigned,
//! dialled, redialled and alert when overdue. Every run's mirror equals the engine's floor.

use callfloor::engine::Engine;
use callfloor::engine::server::mask::{mask_event, mask_floor};
use callfloor::engine::sim::scenario::Scenario;
use callfloor::model::*;
use chrono::Duration;

fn load(name: &str) -> Scenario {
    match Scenario::load(name) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}

/// The bundled scenario `name` with `from` replaced by `to` (which must occur once).
fn load_changed(name: &str, from: &str, to: &str) -> Scenario {
    let Some((_, text)) = callfloor::engine::sim::scenario::BUNDLED.iter().find(|(n, _)| *n == name) else {
        panic!("no bundled {name}")
    };
    assert_eq!(text.matches(from).count(), 1, "test setup: {from:?} must occur once in {name}");
    match Scenario::parse(&text.replace(from, to), name) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}

/// Runs `minutes` floor-minutes in one-second steps; returns the events.
fn run(e: &mut Engine, minutes: i64) -> Vec<Event> {
    let end = e.now() + Duration::minutes(minutes);
    let mut out = Vec::new();
    while e.now() < end {
        let t = e.now() + Duration::seconds(1);
        e.advance_to(t);
        out.extend(e.drain());
    }
    out
}

fn replay(events: &[Event]) -> Floor {
    let mut f = Floor::default();
    for ev in events {
        f.apply(ev);
    }
    f
}

const ADMIN: fn() -> Actor = || Actor::new("root", Role::Admin);
const SUE: fn() -> Actor = || Actor::new("sue", Role::Supervisor);

// -------------------------------------------------------------------------------------------------------------
// 3. One student, many contacts.

#[test]
fn a_call_from_a_students_contact_shows_the_student_and_the_others_recent_calls() {
    let mut e = Engine::new(load("school"), 11);
    let mut events = e.drain();
    events.extend(run(&mut e, 120));
    let linked: Vec<(CallId, String, ContactRole, String)> = events
        .iter()
        .filter_map(|ev| match &ev.kind {
            EventKind::StudentCallLinked { call, student, role, number, .. } => {
                Some((*call, student.clone(), *role, number.clone()))
            }
            _ => None,
        })
        .collect();
    let arrived = events.iter().filter(|ev| matches!(ev.kind, EventKind::CallArrived { .. })).count();
    // The school's [student_calls] caller_share is 0.25.
    let share = linked.len() as f64 / arrived as f64;
    assert!((0.15..0.35).contains(&share), "{} of {arrived} callers were contacts: {share:.2}", linked.len());
    // The caller's number is the contact's.
    for ev in &events {
        if let EventKind::CallArrived { call, caller, .. } = &ev.kind
            && let Some(l) = linked.iter().find(|l| l.0 == *call)
        {
            assert_eq!(caller, &l.3, "{call} comes from the contact's number");
        }
    }
    // Find a student called about by two different contacts: the later call lists the earlier one, with who called.
    let mirror = replay(&events);
    assert_eq!(&mirror, e.floor(), "the mirror equals the engine");
    let mut shown = 0;
    for (i, later) in linked.iter().enumerate() {
        let Some(earlier) = linked[..i].iter().rev().find(|x| x.1 == later.1 && x.2 != later.2) else { continue };
        // The link as the call saw it when it came in: replay up to that event.
        let upto = events
            .iter()
            .position(|ev| matches!(&ev.kind, EventKind::StudentCallLinked { call, .. } if *call == later.0))
            .unwrap_or(0);
        let f = replay(&events[..=upto]);
        let Some(link) = f.calls.get(&later.0).and_then(|c| c.student.as_ref()) else {
            panic!("{} is linked to {} but shows no student", later.0, later.1)
        };
        assert_eq!(link.student, later.1);
        assert_eq!(link.role, later.2);
        assert!(!link.name.is_empty() && !link.class.is_empty());
        let other = link.others.iter().find(|o| o.call == earlier.0);
        let Some(other) = other else { panic!("{} does not list {}'s earlier call {}", later.0, later.1, earlier.0) };
        assert_eq!((other.role, other.number.as_str()), (earlier.2, earlier.3.as_str()));
        // Below admin the numbers are masked; names are not.
        let masked = mask_floor(&f);
        let ml = masked.calls.get(&later.0).and_then(|c| c.student.as_ref());
        let Some(ml) = ml else { panic!("the masked floor keeps the link") };
        assert_eq!(ml.name, link.name);
        assert!(ml.others.iter().all(|o| o.number.contains('*')), "{:?}", ml.others);
        assert!(masked.students.values().all(|s| s.calls.iter().all(|c| c.number.contains('*'))));
        shown += 1;
    }
    assert!(shown >= 3, "only {shown} calls showed another contact's call about the same student");
    // A masked event stream builds the masked floor.
    let masked_mirror = replay(&events.iter().map(|ev| mask_event(ev).into_owned()).collect::<Vec<_>>());
    assert_eq!(masked_mirror.students, mask_floor(e.floor()).students);
}

// -------------------------------------------------------------------------------------------------------------
// 4. Elastic seats.

#[test]
fn temporary_seats_log_in_take_calls_and_leave_at_until_with_no_call_lost() {
    let mut e = Engine::new(load("school"), 5);
    let mut events = e.drain();
    events.extend(run(&mut e, 50)); // 09:20, inside the enrolment peak
    let until = e.now() + Duration::minutes(40);
    let cmd = Command::AddSeats {
        queue: QueueId::new("parents"),
        count: 3,
        skills: vec!["registry".into()],
        until,
        origin: SeatOrigin::Outsourced,
    };
    assert_eq!(e.command(&ADMIN(), &cmd), Ok(()));
    let added: Vec<AgentId> = e
        .floor()
        .agents
        .values()
        .filter(|a| a.temporary.as_ref().is_some_and(|t| t.origin == SeatOrigin::Outsourced))
        .map(|a| a.id)
        .collect();
    assert_eq!(added.len(), 3);
    for a in &added {
        let ag = &e.floor().agents[a];
        assert_eq!(ag.queues, vec![QueueId::new("parents")]);
        assert_eq!(ag.temporary.as_ref().map(|t| t.until), Some(until));
        assert_ne!(ag.state, AgentState::Offline, "{a} logged in");
    }
    events.extend(e.drain());
    events.extend(run(&mut e, 60));
    assert_eq!(&replay(&events), e.floor(), "the mirror equals the engine");
    // They took calls.
    let taken: Vec<CallId> = events
        .iter()
        .filter_map(|ev| match &ev.kind {
            EventKind::CallAnswered { call, agent } if added.contains(agent) => Some(*call),
            _ => None,
        })
        .collect();
    assert!(taken.len() >= 5, "the temporary seats answered only {} calls", taken.len());
    // No call offered to them after until; each call they answered ended normally (none abandoned or dropped).
    for ev in &events {
        if let EventKind::CallOffered { agent, call } = &ev.kind
            && added.contains(agent)
        {
            assert!(ev.at < until, "{call} was offered to {agent} at {} after its until", ev.at);
        }
    }
    for call in &taken {
        let ended = events.iter().any(|ev| matches!(&ev.kind, EventKind::CallEnded { call: c } if c == call));
        let moved = events.iter().any(|ev| matches!(&ev.kind, EventKind::CallTransferred { call: c, .. } if c == call));
        assert!(ended || moved, "{call}, answered by a temporary seat, never ended");
    }
    // They left: offline, with the reason, each no earlier than until; one that was on a call left after it.
    let mut after_a_call = 0;
    for a in &added {
        assert_eq!(e.floor().agents[a].state, AgentState::Offline, "{a} left");
        let left = events.iter().rev().find(|ev| {
            matches!(&ev.kind, EventKind::AgentStateChanged { agent, state: AgentState::Offline, reason: Some(r) }
                if agent == a && r == "temporary seat ended")
        });
        let Some(left) = left else { panic!("{a} never went offline as a temporary seat ending") };
        assert!(left.at >= until);
        if left.at > until {
            after_a_call += 1;
        }
    }
    assert!(after_a_call >= 1, "with a busy peak, at least one seat finished a call past its until");
}

#[test]
fn the_scenario_plan_brings_temporary_seats_and_a_call_they_hold_cannot_go_to_a_protected_queue() {
    let mut e = Engine::new(load("school"), 9);
    let _ = run(&mut e, 31); // 09:01: the plan's 4 part-time seats logged in at 09:00
    let temps: Vec<&Agent> = e.floor().agents.values().filter(|a| a.temporary.is_some()).collect();
    assert_eq!(temps.len(), 4);
    assert!(temps.iter().all(|a| a.name.starts_with("Temp ") && a.queues == vec![QueueId::new("enrolment")]));
    // Wait until one of them is on a call.
    let mut held = None;
    for _ in 0..600 {
        held = e
            .floor()
            .calls
            .values()
            .find(|c| {
                c.state == CallState::Connected
                    && c.agent.is_some_and(|a| e.floor().agents.get(&a).is_some_and(|x| x.temporary.is_some()))
            })
            .map(|c| c.id);
        if held.is_some() {
            break;
        }
        let _ = run(&mut e, 1);
    }
    let Some(call) = held else { panic!("no temporary seat took a call") };
    let to = |q: &str| Command::Transfer { call, to_agent: None, to_queue: Some(QueueId::new(q)) };
    let Err(err) = e.command(&SUE(), &to("safeguarding")) else { panic!("the transfer must be refused") };
    assert_eq!(err.code, ErrorCode::Conflict);
    assert!(err.message.contains("temporary seat") && err.message.contains("safeguarding"), "{}", err.message);
    assert_eq!(e.floor().calls[&call].state, CallState::Connected, "the call stays where it is");
    // A queue the scenario does not protect takes it.
    assert_eq!(e.command(&SUE(), &to("parents")), Ok(()));
}

#[test]
fn add_seats_is_for_admins_and_its_figures_are_checked() {
    let mut e = Engine::new(load("school"), 1);
    let now = e.now();
    let add = |queue: &str, count: u32, until| Command::AddSeats {
        queue: QueueId::new(queue),
        count,
        skills: Vec::new(),
        until,
        origin: SeatOrigin::PartTime,
    };
    let ok = add("enrolment", 2, now + Duration::hours(1));
    let code = |r: Result<(), CommandError>| r.err().map(|e| e.code);
    assert_eq!(code(e.command(&SUE(), &ok)), Some(ErrorCode::Forbidden));
    assert_eq!(code(e.command(&Actor::new("val", Role::Viewer), &ok)), Some(ErrorCode::Forbidden));
    assert_eq!(code(e.command(&ADMIN(), &add("nope", 2, now + Duration::hours(1)))), Some(ErrorCode::NotFound));
    assert_eq!(code(e.command(&ADMIN(), &add("enrolment", 0, now + Duration::hours(1)))), Some(ErrorCode::BadFrame));
    let over = add("enrolment", ADD_SEATS_MAX + 1, now + Duration::hours(1));
    assert_eq!(code(e.command(&ADMIN(), &over)), Some(ErrorCode::BadFrame));
    assert_eq!(code(e.command(&ADMIN(), &add("enrolment", 2, now - Duration::minutes(1)))), Some(ErrorCode::BadFrame));
    assert_eq!(code(e.command(&ADMIN(), &add("enrolment", 2, now + Duration::hours(25)))), Some(ErrorCode::BadFrame));
    let seats = e.floor().agents.len();
    assert_eq!(e.command(&ADMIN(), &ok), Ok(()));
    assert_eq!(e.floor().agents.len(), seats + 2);
    let last = e.floor().audit.back().map(|a| a.outcome.clone()).unwrap_or_default();
    assert!(last.starts_with("ok: A-"), "the audit names the seats: {last}");
}

// -------------------------------------------------------------------------------------------------------------
// 9. Callbacks.

/// Runs until the floor holds at least `n` callbacks waiting for a call back.
fn until_callbacks(e: &mut Engine, n: usize) -> Vec<Event> {
    let mut events = e.drain();
    for _ in 0..(6 * 60) {
        if e.floor().callbacks.iter().filter(|c| c.status == CallbackStatus::Waiting).count() >= n {
            return events;
        }
        events.extend(run(e, 1));
    }
    panic!("fewer than {n} callbacks in 6 floor-hours");
}

#[test]
fn an_assigned_callback_is_dialled_by_its_seat_and_a_reached_caller_is_talked_to() {
    let s = load_changed("school", "reach_share = 0.75", "reach_share = 1.0");
    let mut e = Engine::new(s, 4);
    let mut events = until_callbacks(&mut e, 1);
    let cb = e.floor().callbacks.iter().find(|c| c.status == CallbackStatus::Waiting).map(|c| c.call);
    let Some(cb) = cb else { panic!("a waiting callback") };
    let promised = e.floor().callbacks.iter().find(|c| c.call == cb).and_then(|c| c.promised);
    assert!(promised.is_some(), "the school promises a call back");
    let queue = e.floor().callbacks.iter().find(|c| c.call == cb).and_then(|c| c.queue.clone());
    let Some(queue) = queue else { panic!("the callback has its queue") };
    assert_eq!(e.command(&SUE(), &Command::AssignCallback { call: cb, to_agent: None, to_queue: Some(queue) }), Ok(()));
    events.extend(e.drain());
    // A seat of the queue dials as soon as one is free.
    let mut outbound = None;
    for _ in 0..1800 {
        outbound = e.floor().calls.values().find(|c| c.callback_for == Some(cb)).map(|c| (c.id, c.agent));
        if outbound.is_some() {
            break;
        }
        events.extend(step(&mut e));
    }
    let Some((out, Some(agent))) = outbound else { panic!("no seat dialled the callback of {cb}") };
    assert_eq!(e.floor().agents[&agent].call, Some(out), "the seat is on the outbound call");
    let c = e.floor().callbacks.iter().find(|c| c.call == cb).map(|c| (c.status, c.dialing));
    assert_eq!(c, Some((CallbackStatus::Dialing, Some(out))));
    // Reached: connected, then the conversation runs and ends.
    events.extend(run(&mut e, 30));
    let done = e.floor().callbacks.iter().find(|c| c.call == cb).cloned();
    let Some(done) = done else { panic!("the callback stays on the list with its outcome") };
    assert_eq!(done.status, CallbackStatus::Reached);
    assert_eq!(done.attempts.len(), 1);
    assert_eq!(
        (done.attempts[0].outcome, done.attempts[0].agent, done.attempts[0].call),
        (CallbackOutcome::Reached, agent, out)
    );
    assert!(
        events.iter().any(|ev| matches!(&ev.kind, EventKind::CallEnded { call } if *call == out)),
        "the callback call ended"
    );
    assert_eq!(&replay(&events), e.floor(), "the mirror equals the engine");
    // Done: assigning again is a conflict.
    let again = e.command(&SUE(), &Command::AssignCallback { call: cb, to_agent: Some(agent), to_queue: None });
    assert_eq!(again.err().map(|e| e.code), Some(ErrorCode::Conflict));
}

fn step(e: &mut Engine) -> Vec<Event> {
    let t = e.now() + Duration::seconds(1);
    e.advance_to(t);
    e.drain()
}

#[test]
fn an_unreached_caller_is_retried_then_given_up_and_an_overdue_callback_alerts() {
    let s = load_changed("school", "reach_share = 0.75", "reach_share = 0.0");
    let mut e = Engine::new(s, 4);
    let mut events = until_callbacks(&mut e, 1);
    let Some(cb) = e.floor().callbacks.iter().find(|c| c.status == CallbackStatus::Waiting).map(|c| c.call) else {
        panic!("a waiting callback")
    };
    let cbref = e.floor().callbacks.iter().find(|c| c.call == cb).cloned();
    let Some(cbref) = cbref else { panic!() };
    let Some(promised) = cbref.promised else { panic!("promised") };
    // A seat that speaks the caller's language and is at work.
    let agent = e
        .floor()
        .agents
        .values()
        .find(|a| a.langs.contains(&cbref.lang) && a.state != AgentState::Offline && a.temporary.is_none())
        .map(|a| a.id);
    let Some(agent) = agent else { panic!("a seat for the callback") };
    assert_eq!(e.command(&SUE(), &Command::AssignCallback { call: cb, to_agent: Some(agent), to_queue: None }), Ok(()));
    // Already assigned: a conflict, naming who has it.
    let Err(err) =
        e.command(&SUE(), &Command::AssignCallback { call: cb, to_agent: None, to_queue: cbref.queue.clone() })
    else {
        panic!("a second assignment must be refused")
    };
    assert_eq!(err.code, ErrorCode::Conflict);
    assert!(err.message.contains(&agent.to_string()), "{}", err.message);
    events.extend(e.drain());
    // Three attempts 10 minutes apart (the school's retry_after_min), none reached: given up.
    events.extend(run(&mut e, 60));
    let Some(done) = e.floor().callbacks.iter().find(|c| c.call == cb).cloned() else { panic!("kept") };
    assert_eq!(done.status, CallbackStatus::GaveUp);
    assert_eq!(done.attempts.len(), 3);
    assert!(done.attempts.iter().all(|a| a.outcome == CallbackOutcome::NoAnswer && a.agent == agent));
    assert!(done.attempts[..2].iter().all(|a| a.retry_at == Some(a.at + Duration::minutes(10))));
    assert_eq!(done.attempts[2].retry_at, None);
    for w in done.attempts.windows(2) {
        assert!(w[1].at >= w[0].retry_at.unwrap_or(w[1].at), "an attempt came before its retry time");
    }
    // No outbound call is left on the floor, and the seat went back to work.
    assert!(e.floor().calls.values().all(|c| c.callback_for != Some(cb)));
    // The promise (30 minutes) passed without reaching the caller: one overdue alert about the call.
    let overdue: Vec<&Event> = events
        .iter()
        .filter(|ev| matches!(&ev.kind, EventKind::AlertRaised { alert } if alert.kind == AlertKind::CallbackOverdue && alert.subject == cb.to_string()))
        .collect();
    assert_eq!(overdue.len(), 1);
    assert_eq!(overdue[0].at, promised);
    assert_eq!(&replay(&events), e.floor(), "the mirror equals the engine");
}

#[test]
fn assign_callback_refuses_unknown_callbacks_agents_and_queues() {
    let mut e = Engine::new(load("school"), 4);
    let _ = until_callbacks(&mut e, 1);
    let Some(cb) = e.floor().callbacks.iter().find(|c| c.status == CallbackStatus::Waiting).map(|c| c.call) else {
        panic!()
    };
    let code = |r: Result<(), CommandError>| r.err().map(|e| e.code);
    let to_agent = |call, a| Command::AssignCallback { call, to_agent: Some(a), to_queue: None };
    let to_queue = |call, q: &str| Command::AssignCallback { call, to_agent: None, to_queue: Some(QueueId::new(q)) };
    assert_eq!(code(e.command(&SUE(), &to_queue(CallId(1), "parents"))), Some(ErrorCode::NotFound));
    assert_eq!(code(e.command(&SUE(), &to_agent(cb, AgentId(999)))), Some(ErrorCode::NotFound));
    assert_eq!(code(e.command(&SUE(), &to_queue(cb, "nope"))), Some(ErrorCode::NotFound));
    let both =
        Command::AssignCallback { call: cb, to_agent: Some(AgentId(1)), to_queue: Some(QueueId::new("parents")) };
    assert_eq!(code(e.command(&SUE(), &both)), Some(ErrorCode::BadFrame));
    assert_eq!(code(e.command(&Actor::new("val", Role::Viewer), &to_queue(cb, "parents"))), Some(ErrorCode::Forbidden));
    // Nothing changed.
    assert!(e.floor().callbacks.iter().any(|c| c.call == cb && c.status == CallbackStatus::Waiting));
}
