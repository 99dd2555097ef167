//! Engine behaviour: determinism, routing invariants, urgent calls first, every scenario runs, the event-sourced
//! mirror equals the engine's floor, and supervisor commands take effect.

use std::collections::{HashMap, HashSet};

use callfloor::engine::Engine;
use callfloor::engine::sim::scenario::{BUNDLED, Scenario};
use callfloor::model::*;
use chrono::Duration;
use proptest::prelude::*;

fn load(name: &str) -> Scenario {
    match Scenario::load(name) {
        Ok(s) => s,
        Err(e) => panic!("scenario {name} does not load: {e}"),
    }
}

/// Runs `engine` for `minutes` floor-minutes, one floor-second at a time, returning every event.
fn run(engine: &mut Engine, minutes: i64) -> Vec<Event> {
    let mut all = engine.drain();
    let end = engine.now() + Duration::minutes(minutes);
    let mut t = engine.now();
    while t < end {
        t += Duration::seconds(1);
        engine.advance_to(t);
        all.extend(engine.drain());
    }
    all
}

/// Checks the routing invariants on a floor; returns the first violation.
fn check_invariants(f: &Floor) -> Result<(), String> {
    let mut agent_of_call: HashMap<CallId, AgentId> = HashMap::new();
    for a in f.agents.values() {
        match (a.state, a.call) {
            (AgentState::Ringing | AgentState::OnCall, Some(c)) => {
                if let Some(other) = agent_of_call.insert(c, a.id) {
                    return Err(format!("{c} is on two agents: {other} and {}", a.id));
                }
                let Some(call) = f.calls.get(&c) else {
                    return Err(format!("{} holds {c}, which is not a live call", a.id));
                };
                if call.agent != Some(a.id) {
                    return Err(format!("{} holds {c} but the call names {:?}", a.id, call.agent));
                }
            }
            (AgentState::Ringing | AgentState::OnCall, None) => {
                return Err(format!("{} is {} without a call", a.id, a.state.as_str()));
            }
            (_, Some(c)) => return Err(format!("{} is {} but still holds {c}", a.id, a.state.as_str())),
            (_, None) => {}
        }
    }
    let mut waiting: HashSet<CallId> = HashSet::new();
    for q in &f.queues {
        for w in &q.waiting {
            if !waiting.insert(w.call) {
                return Err(format!("{} waits twice", w.call));
            }
            match f.calls.get(&w.call) {
                Some(c) if c.state == CallState::Queued && c.queue.as_ref() == Some(&q.id) => {}
                Some(c) => {
                    return Err(format!("{} waits in {} but is {} in {:?}", w.call, q.id, c.state.as_str(), c.queue));
                }
                None => return Err(format!("{} waits in {} but is not a live call", w.call, q.id)),
            }
        }
        let ordered = q
            .waiting
            .iter()
            .zip(q.waiting.iter().skip(1))
            .all(|(a, b)| (std::cmp::Reverse(a.priority), a.since) <= (std::cmp::Reverse(b.priority), b.since));
        if !ordered {
            return Err(format!("queue {} is not ordered by priority then age", q.id));
        }
    }
    for c in f.calls.values() {
        match c.state {
            CallState::Queued if !waiting.contains(&c.id) => {
                return Err(format!("{} is queued but in no queue: lost", c.id));
            }
            CallState::Ringing | CallState::Connected | CallState::Held
                if agent_of_call.get(&c.id) != c.agent.as_ref() =>
            {
                return Err(format!("{} is {} but no agent holds it", c.id, c.state.as_str()));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Replays `events` into a fresh mirror, checking invariants after every event and that every offer respects
/// skills (queue and language) and priority order.
fn replay_checked(events: &[Event]) -> Result<Floor, String> {
    let mut f = Floor::default();
    for (i, ev) in events.iter().enumerate() {
        if let EventKind::CallOffered { call, agent } = &ev.kind {
            let (Some(c), Some(a)) = (f.calls.get(call), f.agents.get(agent)) else {
                return Err(format!("event {i}: offer of unknown {call} or {agent}"));
            };
            let q = c.queue.clone().unwrap_or_default();
            if !a.queues.contains(&q) || !a.langs.contains(&c.lang) {
                return Err(format!(
                    "event {i}: {call} ({q}, {}) offered to {agent} who serves {:?} in {:?}",
                    c.lang.as_str(),
                    a.queues,
                    a.langs
                ));
            }
            if a.state != AgentState::Available {
                return Err(format!("event {i}: {call} offered to {agent} who is {}", a.state.as_str()));
            }
            // No call the agent could take waits ahead of this one in its queue. Dialects bend this: a dialect
            // caller may be left for a seat that handles the dialect, and a seat that handles it takes such a caller
            // before others of the same priority.
            let handles = |x: &Call| x.dialect.as_ref().is_some_and(|d| a.dialects.contains(d));
            if let Some(queue) = f.queue(&q) {
                let pos = queue.waiting.iter().position(|w| w.call == *call);
                let ahead = queue.waiting.iter().take(pos.unwrap_or(0)).find(|w| {
                    f.calls.get(&w.call).is_some_and(|x| {
                        a.langs.contains(&x.lang)
                            && (x.dialect.is_none() || handles(x))
                            && !(handles(c) && !handles(x) && w.priority == c.priority)
                    }) && (w.priority > c.priority || (w.priority == c.priority && Some(w.since) < c.queued))
                });
                if let Some(w) = ahead {
                    return Err(format!("event {i}: {call} offered to {agent} while {} waited ahead of it", w.call));
                }
            }
        }
        f.apply(ev);
        check_invariants(&f).map_err(|e| format!("after event {i} ({}): {e}", ev.kind.name()))?;
    }
    Ok(f)
}

#[test]
fn same_seed_same_events_and_another_seed_differs() {
    let mut a = Engine::new(load("hospital"), 42);
    let mut b = Engine::new(load("hospital"), 42);
    let mut c = Engine::new(load("hospital"), 43);
    let ea = run(&mut a, 30);
    let eb = run(&mut b, 30);
    let ec = run(&mut c, 30);
    assert!(ea.len() > 500, "30 floor-minutes of the hospital should produce a busy stream, got {}", ea.len());
    assert_eq!(ea, eb, "two runs with the same seed must produce identical event streams");
    assert_ne!(ea, ec, "another seed should give another floor");
    assert_eq!(a.floor(), b.floor());
}

#[test]
fn every_scenario_runs_an_hour_and_the_mirror_equals_the_engine() {
    for (name, _) in BUNDLED {
        let mut engine = Engine::new(load(name), 7);
        let events = run(&mut engine, 60);
        let mirror = match replay_checked(&events) {
            Ok(m) => m,
            Err(e) => panic!("{name}: {e}"),
        };
        assert_eq!(&mirror, engine.floor(), "{name}: a mirror fed the event stream must equal the engine's floor");
        let count = |k: &str| events.iter().filter(|e| e.kind.name() == k).count();
        assert!(count("call_arrived") > 20, "{name}: too few calls in an hour: {}", count("call_arrived"));
        assert!(count("call_answered") > 10, "{name}: too few answered calls: {}", count("call_answered"));
        assert!(count("call_ended") > 10, "{name}: too few finished calls: {}", count("call_ended"));
        assert!(count("rule_matched") > 0, "{name}: no keyword rule matched in an hour");
        assert!(count("ticket_opened") > 0, "{name}: no ticket opened in an hour");
        assert!(count("alert_raised") > 0, "{name}: no alert in an hour");
        // The floor's clock follows the run.
        assert_eq!(engine.floor().now, Some(engine.now()));
    }
}

/// A small floor for targeted tests: one queue, one seat, calls that wait.
fn one_seat_scenario(urgent_weight: f64) -> Scenario {
    let mut s = load("hospital");
    s.arrivals.base_per_hour = 400.0;
    s.arrivals.peaks.clear();
    // Everyone goes to one queue served by one bilingual seat that always answers and never breaks.
    let q = s.queues[0].id.clone();
    for i in &mut s.intents {
        i.queue = q.clone();
        i.patience = callfloor::engine::sim::scenario::Dist::Infinite;
        if i.id == "chest_pain" || i.id == "breathing" {
            i.weight = urgent_weight;
        }
    }
    s.agents.truncate(1);
    s.agents[0].count = 1;
    s.agents[0].queues = vec![q];
    s.agents[0].answer_rate = 1.0;
    s.agents[0].shift = None;
    s.behaviour.break_every = callfloor::engine::sim::scenario::Dist::Infinite;
    s
}

#[test]
fn urgent_calls_are_answered_before_older_normal_calls() {
    let mut engine = Engine::new(one_seat_scenario(6.0), 3);
    let events = run(&mut engine, 90);
    let mut mirror = Floor::default();
    let mut jumped = 0;
    for ev in &events {
        if let EventKind::CallAnswered { call, .. } = &ev.kind
            && let Some(c) = mirror.calls.get(call)
            && c.flags.urgent
        {
            // Any normal call that queued before this urgent call and is still waiting was overtaken.
            let overtaken = mirror
                .calls
                .values()
                .filter(|o| o.state == CallState::Queued && !o.flags.urgent && o.first_queued < c.first_queued)
                .count();
            jumped += overtaken;
        }
        // The seat is offered a normal call only when no urgent call is waiting.
        if let EventKind::CallOffered { call, .. } = &ev.kind
            && let Some(c) = mirror.calls.get(call)
            && !c.flags.urgent
        {
            let urgent_waiting = mirror.calls.values().find(|o| o.state == CallState::Queued && o.flags.urgent);
            assert!(
                urgent_waiting.is_none(),
                "{call} (normal) was offered while urgent {:?} waited",
                urgent_waiting.map(|o| o.id)
            );
        }
        mirror.apply(ev);
    }
    assert!(jumped > 0, "in 90 minutes on one seat some urgent call should have overtaken older normal calls");
}

#[test]
fn reassigning_seats_to_a_surging_queue_drains_it() {
    let scenario = load("hospital");
    let mut base = Engine::new(scenario.clone(), 11);
    let mut helped = Engine::new(scenario, 11);
    run(&mut base, 20);
    run(&mut helped, 20);
    let sup = Actor::new("sup", Role::Supervisor);
    // Move the results and admin seats (not the emergency nurses) to appointments only.
    let appointments = QueueId::from("appointments");
    let emergency = QueueId::from("emergency");
    let ids: Vec<AgentId> = helped
        .floor()
        .agents
        .values()
        .filter(|a| a.queues != [appointments.clone()] && !a.queues.contains(&emergency))
        .map(|a| a.id)
        .collect();
    assert!(ids.len() >= 4, "the hospital has results and admin seats to move: {}", ids.len());
    for id in ids {
        let cmd = Command::Reassign { agent: id, queues: vec![appointments.clone()] };
        assert_eq!(helped.command(&sup, &cmd), Ok(()));
        assert_eq!(helped.floor().agents[&id].queues, std::slice::from_ref(&appointments));
    }
    let abandoned_in = |events: &[Event], queue: &QueueId| {
        let mut queue_of: HashMap<CallId, QueueId> = HashMap::new();
        let mut n = 0;
        for ev in events {
            match &ev.kind {
                EventKind::CallQueued { call, queue, .. } => {
                    queue_of.insert(*call, queue.clone());
                }
                EventKind::CallAbandoned { call } if queue_of.get(call) == Some(queue) => n += 1,
                _ => {}
            }
        }
        n
    };
    // Only abandons of calls queued after the reassignment are counted: the same span for both floors.
    let eb = run(&mut base, 30);
    let eh = run(&mut helped, 30);
    let (lost_base, lost_helped) = (abandoned_in(&eb, &appointments), abandoned_in(&eh, &appointments));
    assert!(
        lost_helped * 4 < lost_base * 3,
        "with more seats appointments should lose at least a quarter fewer callers: {lost_helped} vs {lost_base}"
    );
    let waiting = |e: &Engine| e.floor().queue(&appointments).map(|q| q.waiting.len()).unwrap_or(0);
    assert!(waiting(&helped) <= waiting(&base));
}

#[test]
fn barging_into_a_souring_call_turns_it() {
    // Run the same floor twice; in the second, a supervisor barges into every connected call with falling
    // sentiment and says something calming. The barged calls end better than the same calls left alone.
    let scenario = load("hospital");
    let mut alone = Engine::new(scenario.clone(), 5);
    let mut helped = Engine::new(scenario, 5);
    run(&mut alone, 25);
    run(&mut helped, 25);
    let sup = Actor::new("sup", Role::Supervisor);
    let targets: Vec<CallId> = helped
        .floor()
        .calls
        .values()
        .filter(|c| c.state == CallState::Connected && c.sentiment < 0.0)
        .map(|c| c.id)
        .collect();
    assert!(!targets.is_empty(), "some connected call should be unhappy after 25 minutes");
    for c in &targets {
        assert_eq!(helped.command(&sup, &Command::Barge { call: *c }), Ok(()));
        let say =
            Command::Say { call: *c, text: "I'm so sorry, I will personally make sure this is fixed today.".into() };
        assert_eq!(helped.command(&sup, &say), Ok(()));
    }
    let final_sentiment = |e: &mut Engine| {
        let mut out: HashMap<CallId, f32> = HashMap::new();
        let end = e.now() + Duration::minutes(15);
        let mut t = e.now();
        while t < end {
            t += Duration::seconds(1);
            e.advance_to(t);
            for c in &targets {
                if let Some(call) = e.floor().calls.get(c) {
                    out.insert(*c, call.sentiment);
                }
            }
            e.drain();
        }
        out
    };
    let a = final_sentiment(&mut alone);
    let h = final_sentiment(&mut helped);
    let mean = |m: &HashMap<CallId, f32>| m.values().sum::<f32>() / m.len().max(1) as f32;
    assert!(
        mean(&h) > mean(&a) + 0.1,
        "barged calls should end happier: {:.2} vs {:.2} left alone",
        mean(&h),
        mean(&a)
    );
}

#[test]
fn commands_are_checked_and_audited() {
    let mut e = Engine::new(load("bank"), 9);
    run(&mut e, 15);
    let viewer = Actor::new("vic", Role::Viewer);
    let sup = Actor::new("sue", Role::Supervisor);
    let connected = e.floor().calls.values().find(|c| c.state == CallState::Connected).map(|c| c.id);
    let Some(call) = connected else { panic!("no connected call after 15 minutes") };
    let refused = e.command(&viewer, &Command::Barge { call });
    assert_eq!(refused.as_ref().map_err(|e| e.code), Err(ErrorCode::Forbidden));
    assert_eq!(e.command(&sup, &Command::Monitor { call }), Ok(()));
    let participants = &e.floor().calls[&call].supervisors;
    assert_eq!(participants.len(), 1);
    assert_eq!(participants[0].mode, SupervisorMode::Monitor);
    // Monitoring is silent: speaking needs whisper or barge.
    let say = Command::Say { call, text: "hello".into() };
    assert_eq!(e.command(&sup, &say).map_err(|e| e.code), Err(ErrorCode::Conflict));
    assert_eq!(e.command(&sup, &Command::Barge { call }), Ok(()));
    assert_eq!(e.floor().calls[&call].supervisors[0].mode, SupervisorMode::Barge);
    let other = Actor::new("sam", Role::Admin);
    assert_eq!(e.command(&other, &Command::Barge { call }).map_err(|e| e.code), Err(ErrorCode::Conflict));
    assert_eq!(e.command(&sup, &say), Ok(()));
    assert!(e.floor().calls[&call].transcript.iter().any(|l| l.speaker == Speaker::Supervisor && l.text == "hello"));
    assert_eq!(e.command(&sup, &Command::Leave { call }), Ok(()));
    assert!(e.floor().calls[&call].supervisors.is_empty());
    assert_eq!(
        e.command(&sup, &Command::Monitor { call: CallId(999_999) }).map_err(|e| e.code),
        Err(ErrorCode::NotFound)
    );
    let audit: Vec<(String, bool)> = e.floor().audit.iter().map(|a| (a.actor.clone(), a.ok)).collect();
    assert_eq!(audit.len(), 8, "every command, refused or not, is audited: {audit:?}");
    assert_eq!(audit[0], ("vic".to_string(), false));
    assert!(e.floor().audit[0].outcome.starts_with("forbidden"));
}

/// A supervisor action picked at random, resolved against whatever is on the floor when it runs.
#[derive(Debug, Clone)]
enum Poke {
    Reassign { agent: usize, queues: Vec<usize> },
    SetState { agent: usize, state: usize },
    TransferToQueue { call: usize, queue: usize },
    TransferToAgent { call: usize, agent: usize },
    Barge { call: usize },
    Leave { call: usize },
}

fn poke_strategy() -> impl Strategy<Value = Poke> {
    prop_oneof![
        (0..64usize, proptest::collection::vec(0..8usize, 1..3))
            .prop_map(|(agent, queues)| Poke::Reassign { agent, queues }),
        (0..64usize, 0..3usize).prop_map(|(agent, state)| Poke::SetState { agent, state }),
        (0..64usize, 0..8usize).prop_map(|(call, queue)| Poke::TransferToQueue { call, queue }),
        (0..64usize, 0..64usize).prop_map(|(call, agent)| Poke::TransferToAgent { call, agent }),
        (0..64usize).prop_map(|call| Poke::Barge { call }),
        (0..64usize).prop_map(|call| Poke::Leave { call }),
    ]
}

fn resolve(f: &Floor, poke: &Poke) -> Option<Command> {
    let agent = |i: usize| f.agents.keys().nth(i % f.agents.len().max(1)).copied();
    let call = |i: usize| f.calls.keys().nth(i % f.calls.len().max(1)).copied();
    let queue = |i: usize| f.queues.get(i % f.queues.len().max(1)).map(|q| q.id.clone());
    Some(match poke {
        Poke::Reassign { agent: a, queues } => {
            Command::Reassign { agent: agent(*a)?, queues: queues.iter().filter_map(|q| queue(*q)).collect() }
        }
        Poke::SetState { agent: a, state } => Command::SetAgentState {
            agent: agent(*a)?,
            state: [AgentState::Available, AgentState::Break, AgentState::Offline][*state % 3],
        },
        Poke::TransferToQueue { call: c, queue: q } => {
            Command::Transfer { call: call(*c)?, to_agent: None, to_queue: Some(queue(*q)?) }
        }
        Poke::TransferToAgent { call: c, agent: a } => {
            Command::Transfer { call: call(*c)?, to_agent: Some(agent(*a)?), to_queue: None }
        }
        Poke::Barge { call: c } => Command::Barge { call: call(*c)? },
        Poke::Leave { call: c } => Command::Leave { call: call(*c)? },
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Under random seeds and random supervisor actions, after every event: a call is never on two agents, an
    /// agent never on two calls, no call is lost between queue and agent, offers respect queues and languages,
    /// and no call is offered while one the agent could take waits ahead of it.
    #[test]
    fn routing_invariants_hold_under_random_supervisor_actions(
        seed in 0u64..10_000,
        scenario_index in 0usize..5,
        pokes in proptest::collection::vec((0u32..1200, poke_strategy()), 0..40),
    ) {
        let (name, _) = BUNDLED[scenario_index % BUNDLED.len()];
        let mut engine = Engine::new(load(name), seed);
        let sup = Actor::new("prop", Role::Supervisor);
        let mut pokes = pokes;
        pokes.sort_by_key(|(t, _)| *t);
        let start = engine.now();
        let mut events = engine.drain();
        let mut next = pokes.into_iter().peekable();
        for s in 1..=1200u32 {
            engine.advance_to(start + Duration::seconds(s as i64));
            while let Some((_, poke)) = next.next_if(|(t, _)| *t <= s) {
                if let Some(cmd) = resolve(engine.floor(), &poke) {
                    // Refusals are fine; what matters is that accepted commands keep the floor consistent.
                    let _ = engine.command(&sup, &cmd);
                }
            }
            events.extend(engine.drain());
        }
        match replay_checked(&events) {
            Ok(mirror) => prop_assert_eq!(&mirror, engine.floor()),
            Err(e) => prop_assert!(false, "{} seed {}: {}", name, seed, e),
        }
    }
}

/// Runs `engine` a floor-minute at a time until it holds at least `n` open alerts (at most `max_hours`).
fn until_open_alerts(engine: &mut Engine, n: usize, max_hours: i64) -> Vec<AlertId> {
    for _ in 0..max_hours * 60 {
        let open: Vec<AlertId> = engine.floor().open_alerts().map(|a| a.id).collect();
        if open.len() >= n {
            return open;
        }
        let t = engine.now() + Duration::minutes(1);
        engine.advance_to(t);
        engine.discard_outbox();
    }
    panic!("fewer than {n} open alerts after {max_hours} floor-hours");
}

#[test]
fn ack_alerts_is_all_or_nothing_and_skips_alerts_already_acknowledged() {
    let mut e = Engine::new(load("ecommerce-promo"), 3);
    let open = until_open_alerts(&mut e, 12, 8);
    let sue = Actor::new("sue", Role::Supervisor);
    let audited = |e: &Engine| e.floor().audit.len();

    // An unknown id refuses the whole command, naming the id: nothing is acknowledged, one audit entry says why.
    let mut with_unknown = open.clone();
    with_unknown.insert(3, AlertId(999_999));
    let before = audited(&e);
    let Err(err) = e.command(&sue, &Command::AckAlerts { alerts: with_unknown }) else {
        panic!("an unknown alert id must refuse the command")
    };
    assert_eq!(err.code, ErrorCode::NotFound);
    assert!(err.message.contains("AL-999999"), "the refusal names the unknown id: {}", err.message);
    assert_eq!(e.floor().open_alerts().count(), open.len(), "nothing was acknowledged");
    assert_eq!(audited(&e), before + 1);
    assert!(e.drain().iter().all(|ev| !matches!(ev.kind, EventKind::AlertAcknowledged { .. })));

    // Empty and oversized lists are bad frames.
    let empty = e.command(&sue, &Command::AckAlerts { alerts: vec![] });
    assert_eq!(empty.map_err(|e| e.code), Err(ErrorCode::BadFrame));
    let huge = e.command(&sue, &Command::AckAlerts { alerts: vec![open[0]; ACK_ALERTS_MAX + 1] });
    assert_eq!(huge.map_err(|e| e.code), Err(ErrorCode::BadFrame));
    assert_eq!(e.floor().open_alerts().count(), open.len());

    // Another supervisor acknowledged two a moment ago: they are skipped, the rest acknowledged in one decision.
    let sam = Actor::new("sam", Role::Supervisor);
    assert_eq!(e.command(&sam, &Command::AckAlert { alert: open[0] }), Ok(()));
    assert_eq!(e.command(&sam, &Command::AckAlert { alert: open[5] }), Ok(()));
    e.drain();
    let before = audited(&e);
    assert_eq!(e.command(&sue, &Command::AckAlerts { alerts: open.clone() }), Ok(()));
    let events = e.drain();
    let acks = events.iter().filter(|ev| matches!(&ev.kind, EventKind::AlertAcknowledged { by, .. } if by == "sue"));
    assert_eq!(acks.count(), open.len() - 2, "one alert_acknowledged per alert that was still open");
    assert_eq!(audited(&e), before + 1, "one audit entry for the bulk command");
    let entry = &e.floor().audit[e.floor().audit.len() - 1];
    assert!(entry.ok);
    assert_eq!(entry.outcome, format!("ok: {} acknowledged, 2 already acknowledged", open.len() - 2));
    assert_eq!(e.floor().open_alerts().count(), 0);
    for id in &open {
        let by = e.floor().alerts.get(id).and_then(|a| a.acked.as_ref()).map(|a| a.by.as_str());
        let want = if *id == open[0] || *id == open[5] { "sam" } else { "sue" };
        assert_eq!(by, Some(want), "{id}");
    }
    // Sent again, everything is already acknowledged: still ok, nothing changes.
    assert_eq!(e.command(&sue, &Command::AckAlerts { alerts: open.clone() }), Ok(()));
    let entry = &e.floor().audit[e.floor().audit.len() - 1];
    assert_eq!(entry.outcome, format!("ok: 0 acknowledged, {} already acknowledged", open.len()));
}

#[test]
fn a_bulk_ack_audit_entry_lists_a_bounded_number_of_ids() {
    let mut e = Engine::new(load("ecommerce-promo"), 3);
    let open = until_open_alerts(&mut e, 1, 8);
    let sue = Actor::new("sue", Role::Supervisor);
    // 4,000 copies of one id: a legal command whose wire JSON is ~40 KB.
    assert_eq!(e.command(&sue, &Command::AckAlerts { alerts: vec![open[0]; 4000] }), Ok(()));
    let entry = &e.floor().audit[e.floor().audit.len() - 1];
    assert!(entry.command.len() < 1024, "the audit keeps a short form: {} bytes", entry.command.len());
    let v: serde_json::Value = serde_json::from_str(&entry.command).unwrap_or_default();
    assert_eq!(v["type"], "ack_alerts");
    assert_eq!(v["more"], 4000 - v["alerts"].as_array().map_or(0, Vec::len), "{v}");
    assert_eq!(entry.outcome, "ok: 1 acknowledged, 0 already acknowledged");
}
