//! Issue 9 point 7 (government dialects) on seeded sims: a dialect caller reaches a free seat that handles the
//! dialect first; while no such seat is free the caller waits for one up to `prefer_for_s`, then any seat of the
//! queue takes them (no call lost); elderly callers queue ahead of others of their priority but behind urgent
//! calls; a floor without `[dialects]` runs exactly as before; and broken `[dialects]` keys are refused with the
//! file, the line and one sentence.

use callfloor::engine::Engine;
use callfloor::engine::sim::scenario::Scenario;
use callfloor::model::*;
use chrono::Duration;

/// One queue, three plain seats and one that handles Cantonese; patient callers (nobody hangs up), 30% of them
/// speak Cantonese (more than the one seat can take, so some wait and then go to another seat), 30% elderly.
const FLOOR: &str = r#"
[scenario]
id = "dialect-mini"
title = "Dialect floor"
start = "09:00"
zh_share = 1.0

[arrivals]
base_per_hour = 90

[[queues]]
id = "help"
name = "Help"
priority = 2
sla_percent = 80
sla_seconds = 30

[[agents]]
count = 3
names = ["Ann", "Bo", "Cy"]
queues = ["help"]
langs = ["zh"]

[[agents]]
count = 1
names = ["Wong"]
queues = ["help"]
langs = ["zh"]
dialects = ["yue"]

[[intents]]
id = "ask"
queue = "help"
weight = 1
handle = { dist = "lognormal", mean_s = 120, sd_s = 40 }
patience = { dist = "infinite" }
[intents.lines.zh]
positive = ["好的，谢谢。"]
neutral = ["我想问一下。"]
negative = ["太慢了。"]
[intents.lines.en]
positive = ["Great, thanks."]
neutral = ["A question."]
negative = ["Too slow."]

[agent_lines.zh]
positive = ["不客气。"]
neutral = ["您好。"]
negative = ["非常抱歉。"]
[agent_lines.en]
positive = ["You're welcome."]
neutral = ["Hello."]
negative = ["I'm very sorry."]

[[rules]]
id = "complaint"
words = ["投诉", "complaint"]
actions = ["ticket"]
ticket_category = "complaint"

[thresholds]
service_level = { warn = 0.8, crit = 0.6 }
long_wait_s = { warn = 60, crit = 120 }
abandon_rate = { warn = 0.05, crit = 0.1 }
negative_sentiment = { warn = -0.4, crit = -0.7 }
retrigger_s = 300

[tickets]
due_min = { low = 240, normal = 60, high = 30, urgent = 10 }
backoffice = { dist = "exponential", mean_s = 1800 }
escalation_extends_min = 30
negative_end_sentiment = -0.5

[survey]
share = 0.0
bad_score = 2
followup_min = 60

[behaviour]
ivr = { dist = "fixed", s = 10 }
ring_timeout_s = 15
answer_delay = { dist = "uniform", min_s = 1, max_s = 4 }
max_no_answer = 3
wrap_up = { dist = "fixed", s = 20 }
line_gap = { dist = "uniform", min_s = 5, max_s = 10 }
break_every = { dist = "infinite" }
break_length = { dist = "fixed", s = 300 }
hold_share = 0.0
hold_length = { dist = "fixed", s = 30 }
callback_after = { dist = "infinite" }

[dialects]
prefer_for_s = 40
elderly_share = 0.3
elderly_priority = 1

[[dialects.list]]
id = "yue"
name = "粤语"
share = 0.3
"#;

const PREFER_S: i64 = 40;

fn parse(text: &str) -> Scenario {
    match Scenario::parse(text, "scenarios/dialect-mini.toml") {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}

fn load(name: &str) -> Scenario {
    match Scenario::load(name) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}

/// Runs `minutes` floor-minutes in one-second steps, handing `each` the mirror before every event, and the mirror
/// after each second; returns the events.
fn run(
    e: &mut Engine,
    minutes: i64,
    mut each: impl FnMut(&Floor, &Event),
    mut every_second: impl FnMut(&Floor),
) -> Vec<Event> {
    let mut mirror = Floor::default();
    let mut out = e.drain();
    for ev in &out {
        each(&mirror, ev);
        mirror.apply(ev);
    }
    let end = e.now() + Duration::minutes(minutes);
    while e.now() < end {
        let t = e.now() + Duration::seconds(1);
        e.advance_to(t);
        for ev in e.drain() {
            each(&mirror, &ev);
            mirror.apply(&ev);
            out.push(ev);
        }
        every_second(&mirror);
    }
    assert_eq!(&mirror, e.floor(), "the mirror fed the event stream equals the engine's floor");
    out
}

fn handles(a: &Agent, c: &Call) -> bool {
    c.dialect.as_ref().is_some_and(|d| a.dialects.contains(d))
}

/// Whether `a` could take `c` (serves its queue, speaks its language).
fn serves(a: &Agent, c: &Call) -> bool {
    c.queue.as_ref().is_some_and(|q| a.queues.contains(q)) && a.langs.contains(&c.lang)
}

#[test]
fn a_dialect_caller_reaches_a_free_dialect_seat_first_and_waits_for_one_a_while_then_any_seat_takes_them() {
    let mut e = Engine::new(parse(FLOOR), 7);
    let (mut to_dialect_seat, mut after_waiting, mut not_held) = (0, 0, 0);
    let mut problems: Vec<String> = Vec::new();
    let mut overdue: Vec<String> = Vec::new();
    let events = run(
        &mut e,
        120,
        |f, ev| {
            let EventKind::CallOffered { call, agent } = &ev.kind else { return };
            let (Some(c), Some(a)) = (f.calls.get(call), f.agents.get(agent)) else { return };
            if c.dialect.is_none() {
                return;
            }
            let free_dialect_seat =
                f.agents.values().any(|s| s.state == AgentState::Available && handles(s, c) && serves(s, c));
            if handles(a, c) {
                to_dialect_seat += 1;
                return;
            }
            if free_dialect_seat {
                problems.push(format!("{call} went to {agent} while a seat that handles its dialect was free"));
            }
            let waited = c.first_queued.map(|q| ev.at - q).unwrap_or_default();
            let dialect_seat_on = f.agents.values().any(|s| s.state != AgentState::Offline && handles(s, c));
            if waited >= Duration::seconds(PREFER_S) {
                after_waiting += 1;
            } else if dialect_seat_on {
                problems.push(format!("{call} went to {agent} after {waited} while a dialect seat was logged in"));
            } else {
                not_held += 1;
            }
        },
        |f| {
            // A dialect caller who has waited out the preference never waits while a seat that could take them
            // is free.
            let now = f.time();
            for q in &f.queues {
                for w in &q.waiting {
                    let Some(c) = f.calls.get(&w.call).filter(|c| c.dialect.is_some()) else { continue };
                    let waited = c.first_queued.map(|t| now - t).unwrap_or_default();
                    let free = f.agents.values().any(|a| a.state == AgentState::Available && serves(a, c));
                    if waited > Duration::seconds(PREFER_S + 1) && free {
                        overdue.push(format!("{} waited {waited} with a seat free", c.id));
                    }
                }
            }
        },
    );
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(overdue.is_empty(), "{overdue:#?}");
    assert!(to_dialect_seat >= 10, "dialect callers reached the dialect seat only {to_dialect_seat} times");
    assert!(after_waiting >= 3, "only {after_waiting} dialect callers went to another seat after waiting it out");
    assert_eq!(not_held, 0, "the dialect seat never logs off on this floor");

    // No call lost: nobody hangs up on this floor, so every dialect caller who arrived over ten minutes before
    // the end was answered.
    let end = e.now();
    let arrived: Vec<(CallId, Time)> = events
        .iter()
        .filter_map(|ev| match &ev.kind {
            EventKind::CallArrived { call, dialect: Some(_), .. } => Some((*call, ev.at)),
            _ => None,
        })
        .collect();
    let answered: std::collections::HashSet<CallId> = events
        .iter()
        .filter_map(|ev| match &ev.kind {
            EventKind::CallAnswered { call, .. } => Some(*call),
            _ => None,
        })
        .collect();
    assert!(arrived.len() >= 20, "too few dialect callers: {}", arrived.len());
    let lost: Vec<CallId> = arrived
        .iter()
        .filter(|(c, at)| *at < end - Duration::minutes(10) && !answered.contains(c))
        .map(|(c, _)| *c)
        .collect();
    assert!(lost.is_empty(), "dialect callers never answered: {lost:?}");
    let abandoned = events.iter().filter(|ev| ev.kind.name() == "call_abandoned").count();
    assert_eq!(abandoned, 0, "nobody hangs up on this floor");
}

#[test]
fn the_gov_hotline_speaks_dialects_and_its_dialect_seats_take_those_callers_first() {
    let mut e = Engine::new(load("gov-hotline"), 7);
    let mut by_dialect_seat = 0;
    let mut wrong: Vec<String> = Vec::new();
    let events = run(
        &mut e,
        60,
        |f, ev| {
            let EventKind::CallOffered { call, agent } = &ev.kind else { return };
            let (Some(c), Some(a)) = (f.calls.get(call), f.agents.get(agent)) else { return };
            if handles(a, c) {
                by_dialect_seat += 1;
            } else if f.agents.values().any(|s| s.state == AgentState::Available && handles(s, c) && serves(s, c)) {
                wrong.push(format!("{call} went to {agent} while a seat that handles its dialect was free"));
            }
        },
        |_| {},
    );
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert!(by_dialect_seat > 0, "no dialect caller reached a dialect seat in an hour");
    let names: Vec<&str> = e.floor().dialects.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["粤语", "四川话", "闽南语"]);
    let loaded = events.iter().position(|ev| ev.kind.name() == "dialects_loaded");
    let opened = events.iter().position(|ev| ev.kind.name() == "floor_opened");
    assert!(loaded.is_some() && loaded > opened, "dialects_loaded follows floor_opened");
    // A console that joins late gets the dialects in the snapshot.
    let Ok(json) = serde_json::to_string(e.floor()) else { panic!("the floor serialises") };
    let Ok(back) = serde_json::from_str::<Floor>(&json) else { panic!("the snapshot reads back") };
    assert_eq!(back.dialects, e.floor().dialects);
    // The metrics' staffing hint counts dialect callers waiting and the seats for them.
    let m = e.metrics();
    let ids: Vec<&str> = m.dialects.iter().map(|d| d.dialect.as_str()).collect();
    assert_eq!(ids, ["yue", "sc", "nan"]);
    let waiting: u32 = m.dialects.iter().map(|d| d.waiting).sum();
    let queued_dialect = e
        .floor()
        .queues
        .iter()
        .flat_map(|q| &q.waiting)
        .filter(|w| e.floor().calls.get(&w.call).is_some_and(|c| c.dialect.is_some()))
        .count();
    assert_eq!(waiting as usize, queued_dialect);
    let yue = m.dialects.iter().find(|d| d.dialect == "yue").map(|d| d.seats);
    assert_eq!(yue, Some(4), "the four seats of the Qian Lei group handle Cantonese");
}

#[test]
fn elderly_callers_queue_ahead_of_their_priority_but_behind_urgent_calls() {
    let mut e = Engine::new(load("gov-hotline"), 7);
    let (mut elderly, mut others, mut urgent) = (0, 0, 0);
    let mut wrong: Vec<String> = Vec::new();
    let mut order: Vec<String> = Vec::new();
    let mut jumped = 0;
    run(
        &mut e,
        90,
        |f, ev| {
            let EventKind::CallQueued { call, queue, priority } = &ev.kind else { return };
            let (Some(c), Some(q)) = (f.calls.get(call), f.queue(queue)) else { return };
            let want = if c.flags.urgent {
                urgent += 1;
                (*priority).max(10)
            } else if c.elderly {
                elderly += 1;
                q.priority + 1
            } else {
                others += 1;
                q.priority
            };
            if *priority != want {
                wrong.push(format!("{call} (elderly {}) queued at {priority}, not {want}", c.elderly));
            }
        },
        |f| {
            for q in &f.queues {
                let calls: Vec<&Call> = q.waiting.iter().filter_map(|w| f.calls.get(&w.call)).collect();
                // Urgent calls first, then the elderly of the queue's own priority, then the others.
                for pair in calls.windows(2) {
                    if pair[1].flags.urgent && !pair[0].flags.urgent {
                        order.push(format!("{} waits behind {} though urgent", pair[1].id, pair[0].id));
                    }
                }
                let first_plain = calls.iter().position(|c| !c.elderly && !c.flags.urgent);
                if let Some(p) = first_plain {
                    let later = calls[p..].iter().filter(|c| c.elderly && !c.flags.urgent).count();
                    if later > 0 {
                        order.push(format!("{later} elderly callers wait behind {} in {}", calls[p].id, q.id));
                    }
                    // An elderly caller ahead of someone who queued before them: they jumped the line.
                    let queued = |c: &&Call| c.queued;
                    if calls[..p].iter().any(|c| c.elderly && c.queued > queued(&calls[p])) {
                        jumped += 1;
                    }
                }
            }
        },
    );
    assert!(wrong.is_empty(), "{:#?}", &wrong[..wrong.len().min(10)]);
    assert!(order.is_empty(), "{:#?}", &order[..order.len().min(10)]);
    assert!(elderly >= 30 && others >= 60, "elderly {elderly}, others {others}");
    assert!(jumped > 0, "no elderly caller ever went ahead of an earlier caller");
    assert!(urgent > 0, "no urgent caller queued, so \"behind urgent calls\" went unchecked");
}

#[test]
fn a_floor_without_dialects_runs_exactly_as_before() {
    // The same floor with no [dialects] at all, and with a [dialects] table that has no dialects and no elderly
    // callers: the same event stream, and nothing of dialects in it.
    let Some(start) = FLOOR.find("[dialects]") else { panic!("test setup") };
    let without = FLOOR[..start].replace("dialects = [\"yue\"]\n", "");
    let empty = format!("{without}[dialects]\nprefer_for_s = 40\n");
    let mut a = Engine::new(parse(&without), 11);
    let mut b = Engine::new(parse(&empty), 11);
    let ea = run(&mut a, 60, |_, _| {}, |_| {});
    let eb = run(&mut b, 60, |_, _| {}, |_| {});
    assert!(ea.len() > 500, "a busy hour: {}", ea.len());
    assert_eq!(ea, eb, "an empty [dialects] changes nothing");
    let Ok(json) = serde_json::to_string(&ea) else { panic!("events serialise") };
    let dialect_field = ["\"dialect\"", "\"dialects\"", "dialects_loaded", "\"elderly\""];
    assert!(!dialect_field.iter().any(|f| json.contains(f)), "no dialect field on a floor without dialects");
}

#[test]
fn the_hospital_floor_has_no_dialect_in_its_stream() {
    let mut e = Engine::new(load("hospital"), 7);
    let events = run(&mut e, 30, |_, _| {}, |_| {});
    let Ok(json) = serde_json::to_string(&events) else { panic!("events serialise") };
    let dialect_field = ["\"dialect\"", "\"dialects\"", "dialects_loaded", "\"elderly\""];
    assert!(!dialect_field.iter().any(|f| json.contains(f)), "no dialect field on the hospital floor");
    assert!(e.floor().dialects.is_empty() && e.metrics().dialects.is_empty());
}

/// `FLOOR` with `from` (once) replaced by `to`: the error's line, and its text.
fn refused(from: &str, to: &str, marker: &str) -> (usize, usize, String) {
    assert_eq!(FLOOR.matches(from).count(), 1, "test setup: {from:?} must occur once");
    let text = FLOOR.replacen(from, to, 1);
    let Err(e) = Scenario::parse(&text, "scenarios/dialect-mini.toml") else { panic!("{to:?} was accepted") };
    assert_eq!(e.source_name, "scenarios/dialect-mini.toml");
    let lines: Vec<usize> = text.lines().enumerate().filter(|(_, l)| l.contains(marker)).map(|(n, _)| n + 1).collect();
    let [line] = lines[..] else { panic!("test setup: {marker:?} on lines {lines:?}") };
    (e.line.unwrap_or(0), line, e.to_string())
}

#[test]
fn broken_dialects_are_refused_with_the_file_line_and_one_sentence() {
    let cases: &[(&str, &str, &str, &[&str])] = &[
        // A seat that handles a dialect no entry defines.
        ("dialects = [\"yue\"]", "dialects = [\"hak\"]", "dialects = [\"hak\"]", &["'hak'", "defined: yue"]),
        // Shares of more than all the callers.
        (
            "name = \"粤语\"\nshare = 0.3",
            "name = \"粤语\"\nshare = 0.7\n[[dialects.list]]\nid = \"sc\"\nname = \"四川话\"\nshare = 0.6",
            "[[dialects.list]]",
            &["add up to 1.3", "at most 1"],
        ),
        ("name = \"粤语\"\nshare = 0.3", "name = \"粤语\"\nshare = 1.5", "share = 1.5", &["share"]),
        ("elderly_priority = 1", "elderly_priority = 9", "elderly_priority = 9", &["elderly_priority", "urgent"]),
        ("id = \"yue\"\nname", "id = \" \"\nname", "id = \" \"", &["id"]),
    ];
    for (from, to, marker, words) in cases {
        let (got, want, text) = if *marker == "[[dialects.list]]" {
            // The sum is a problem of the whole list: it points at its first entry.
            let text = FLOOR.replacen(from, to, 1);
            let Err(e) = Scenario::parse(&text, "scenarios/dialect-mini.toml") else { panic!("{to:?} was accepted") };
            let first = text.lines().position(|l| l.contains("[[dialects.list]]")).map_or(0, |n| n + 1);
            (e.line.unwrap_or(0), first, e.to_string())
        } else {
            refused(from, to, marker)
        };
        assert_eq!(got, want, "{to:?}: the error points at the wrong line: {text}");
        assert!(text.starts_with(&format!("scenarios/dialect-mini.toml, line {want}: ")), "{text}");
        assert_eq!(text.lines().count(), 1, "one sentence: {text}");
        for w in *words {
            assert!(text.contains(w), "{to:?}: the message does not name {w:?}: {text}");
        }
    }
    // Dialects on seats of a floor without [dialects].
    let Some(start) = FLOOR.find("[dialects]") else { panic!("test setup") };
    let Err(e) = Scenario::parse(&FLOOR[..start], "x.toml") else { panic!("seat dialects without [dialects]") };
    assert!(e.to_string().contains("no [dialects] table"), "{e}");
}

#[test]
fn temporary_seats_whose_skills_name_a_dialect_handle_it_and_take_its_callers_first() {
    let mut e = Engine::new(parse(FLOOR), 5);
    // Half an hour in (the events stay in the outbox, for the mirror below), an admin adds two seats.
    e.advance_to(e.now() + Duration::minutes(30));
    let until = e.now() + Duration::hours(1);
    let cmd = Command::AddSeats {
        queue: QueueId::new("help"),
        count: 2,
        skills: vec!["yue".into(), "patient".into()],
        until,
        origin: SeatOrigin::Outsourced,
    };
    assert_eq!(e.command(&Actor::new("root", Role::Admin), &cmd), Ok(()));
    let temps: Vec<AgentId> = e.floor().agents.values().filter(|a| a.temporary.is_some()).map(|a| a.id).collect();
    assert_eq!(temps.len(), 2);
    for id in &temps {
        let dialects = e.floor().agents.get(id).map(|a| a.dialects.clone());
        assert_eq!(dialects, Some(vec!["yue".to_string()]), "the skill 'yue' is a dialect, 'patient' is not");
    }
    let mut to_temp = 0;
    run(
        &mut e,
        30,
        |f, ev| {
            let EventKind::CallOffered { call, agent } = &ev.kind else { return };
            if temps.contains(agent) && f.calls.get(call).is_some_and(|c| c.dialect.is_some()) {
                to_temp += 1;
            }
        },
        |_| {},
    );
    assert!(to_temp > 0, "the Cantonese temporary seats took Cantonese callers");
}
