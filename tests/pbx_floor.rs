//! A PBX-fed floor (issue 10): the engine core applies a bridge's observations to the same floor, rules, alerts
//! and tickets as the simulator's, checks each against the floor, and turns supervisor commands into PBX actions
//! whose outcome only the PBX's own events put on the floor. Driven here with observations directly; the bridges'
//! own tests replay captured PBX traffic into them.

use std::path::Path;

use callfloor::bridge::{CallKey, EndReason, Observation, PbxAction, PbxSnapshot, SnapshotAgent, SnapshotCall};
use callfloor::engine::Engine;
use callfloor::engine::Submitted;
use callfloor::engine::sim::scenario::FloorDescription;
use callfloor::model::*;
use chrono::TimeZone;

fn engine() -> Engine {
    let d = FloorDescription::load(Path::new("floors/asterisk-example.toml")).expect("the example floor loads");
    let start = chrono::Utc.with_ymd_and_hms(2026, 12, 6, 9, 0, 0).single().expect("a time");
    Engine::with_source(d, 1, start)
}

fn key(s: &str) -> CallKey {
    CallKey(s.to_string())
}

fn q(s: &str) -> QueueId {
    QueueId::new(s)
}

const ALICE: AgentId = AgentId(1);
const BOB: AgentId = AgentId(2);
const CAROL: AgentId = AgentId(3);

fn available(e: &mut Engine, agent: AgentId) {
    e.observe(Observation::AgentState { agent, state: AgentState::Available, reason: None });
}

fn ana() -> Actor {
    Actor::new("ana", Role::Supervisor)
}

/// A call from the PBX, answered by Bob.
fn connected_call(e: &mut Engine, k: &str) -> CallId {
    available(e, BOB);
    e.observe(Observation::CallQueued { key: key(k), caller: "+86 138 0000 1111".into(), queue: q("support") });
    e.observe(Observation::CallOffered { key: key(k), agent: BOB });
    e.observe(Observation::CallAnswered { key: key(k), agent: BOB });
    e.call_of_key(&key(k)).expect("the call is on the floor")
}

#[test]
fn the_floor_comes_from_the_description_and_seats_wait_for_the_pbx() {
    let e = engine();
    let f = e.floor();
    assert_eq!(f.scenario, "asterisk-example");
    assert_eq!(f.queues.iter().map(|q| q.id.as_str()).collect::<Vec<_>>(), ["support", "sales"]);
    let names: Vec<&str> = f.agents.values().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["Alice", "Bob", "Carol", "Dave"]);
    assert!(f.agents.values().all(|a| a.state == AgentState::Offline), "seats are offline until the PBX says");
    let roster = e.roster();
    assert_eq!(roster.agent_by_member("local/1001@AGENTS/n").map(|a| a.id), Some(ALICE));
    assert_eq!(roster.supervisor_by_device("PJSIP/2000-0000001a").map(|s| s.name.as_str()), Some("ana"));
    assert_eq!(roster.queue_by_pbx("sales").and_then(|q| q.transfer.as_deref()), Some("601@from-queues"));
}

#[test]
fn a_call_goes_from_queue_to_seat_to_wrap_up_as_the_pbx_reports() {
    let mut e = engine();
    available(&mut e, BOB);
    e.observe(Observation::CallQueued { key: key("1700.1"), caller: "+1 555 0100".into(), queue: q("support") });
    let id = e.call_of_key(&key("1700.1")).expect("a new call");
    assert_eq!(e.floor().calls[&id].state, CallState::Queued);
    assert_eq!(e.floor().queue(&q("support")).map(|q| q.waiting.len()), Some(1));
    e.observe(Observation::CallOffered { key: key("1700.1"), agent: BOB });
    assert_eq!(e.floor().agents[&BOB].state, AgentState::Ringing);
    // The PBX reports the seat ringing too: the call's own events already said so.
    e.observe(Observation::AgentState { agent: BOB, state: AgentState::Ringing, reason: None });
    e.observe(Observation::CallAnswered { key: key("1700.1"), agent: BOB });
    assert_eq!(e.floor().calls[&id].state, CallState::Connected);
    assert_eq!(e.floor().agents[&BOB].call, Some(id));
    e.observe(Observation::CallHeld { key: key("1700.1") });
    assert_eq!(e.floor().calls[&id].state, CallState::Held);
    e.observe(Observation::CallResumed { key: key("1700.1") });
    e.observe(Observation::CallEnded { key: key("1700.1"), reason: EndReason::Caller });
    assert!(!e.floor().calls.contains_key(&id));
    assert_eq!(e.floor().agents[&BOB].state, AgentState::WrapUp, "wrap-up lasts until the PBX frees the seat");
    available(&mut e, BOB);
    assert_eq!(e.floor().agents[&BOB].state, AgentState::Available);
    // The channel's hangup after the end is expected, not out of order.
    e.observe(Observation::CallGone { key: key("1700.1") });
    assert_eq!(e.out_of_order(), 0);
    assert_eq!(e.floor().recent.back().map(|c| c.state), Some(CallState::Ended));
}

#[test]
fn an_answer_without_an_offer_is_both_and_waiting_callers_who_hang_up_abandon() {
    let mut e = engine();
    e.observe(Observation::CallQueued { key: key("a"), caller: "1".into(), queue: q("support") });
    e.observe(Observation::CallAnswered { key: key("a"), agent: CAROL });
    let a = e.call_of_key(&key("a")).expect("call a");
    assert_eq!(e.floor().calls[&a].agent, Some(CAROL));
    e.observe(Observation::CallQueued { key: key("b"), caller: "2".into(), queue: q("sales") });
    e.observe(Observation::CallAbandoned { key: key("b") });
    e.observe(Observation::CallQueued { key: key("c"), caller: "3".into(), queue: q("sales") });
    e.observe(Observation::CallGone { key: key("c") });
    let states: Vec<CallState> = e.floor().recent.iter().map(|c| c.state).collect();
    assert_eq!(states, [CallState::Abandoned, CallState::Abandoned]);
    assert_eq!(e.out_of_order(), 0);
}

#[test]
fn observations_the_floor_cannot_apply_are_dropped_and_counted() {
    let mut e = engine();
    e.observe(Observation::CallAnswered { key: key("never-seen"), agent: BOB });
    e.observe(Observation::CallEnded { key: key("never-seen"), reason: EndReason::Agent });
    e.observe(Observation::CallQueued { key: key("x"), caller: "1".into(), queue: q("no-such-queue") });
    let id = connected_call(&mut e, "k");
    e.observe(Observation::CallAbandoned { key: key("k") }); // a connected call does not abandon
    e.observe(Observation::AgentState { agent: AgentId(99), state: AgentState::Available, reason: None });
    assert_eq!(e.out_of_order(), 5);
    assert!(e.floor().calls.is_empty() || e.floor().calls.keys().all(|c| *c == id));
    assert_eq!(e.floor().calls[&id].state, CallState::Connected);
}

#[test]
fn an_agents_transfer_moves_the_call_to_the_queue_it_reaches_next() {
    let mut e = engine();
    let id = connected_call(&mut e, "t");
    e.observe(Observation::CallEnded { key: key("t"), reason: EndReason::Transfer });
    assert_eq!(e.floor().calls[&id].state, CallState::Connected, "the call lives on until it lands");
    assert_eq!(e.floor().agents[&BOB].state, AgentState::WrapUp, "Bob handed it on and is free of it");
    assert_eq!(e.floor().agents[&BOB].call, None);
    e.observe(Observation::CallQueued { key: key("t"), caller: String::new(), queue: q("sales") });
    let c = &e.floor().calls[&id];
    assert_eq!((c.state, c.queue.as_ref().map(|q| q.as_str())), (CallState::Queued, Some("sales")));
    assert_eq!(e.floor().agents[&BOB].state, AgentState::WrapUp);
    e.observe(Observation::CallAnswered { key: key("t"), agent: CAROL });
    assert_eq!(e.floor().calls[&id].agent, Some(CAROL));
}

#[test]
fn spy_legs_show_who_is_listening_in_which_mode() {
    let mut e = engine();
    let id = connected_call(&mut e, "s");
    e.observe(Observation::SpyStarted { key: key("s"), supervisor: "ana".into(), mode: SupervisorMode::Whisper });
    let sup = &e.floor().calls[&id].supervisors;
    assert_eq!(sup.len(), 1);
    assert_eq!((sup[0].supervisor.as_str(), sup[0].mode), ("ana", SupervisorMode::Whisper));
    e.observe(Observation::SpyStopped { key: key("s"), supervisor: "ana".into() });
    assert!(e.floor().calls[&id].supervisors.is_empty());
}

#[test]
fn a_snapshot_after_a_reconnect_ends_what_the_pbx_no_longer_has_and_adds_what_it_has() {
    let mut e = engine();
    let old = connected_call(&mut e, "old");
    e.observe(Observation::CallQueued { key: key("waiting"), caller: "1".into(), queue: q("support") });
    let waiting = e.call_of_key(&key("waiting")).expect("waiting call");
    e.observe(Observation::Snapshot(PbxSnapshot {
        agents: vec![
            SnapshotAgent {
                agent: ALICE,
                state: AgentState::Break,
                reason: Some("lunch".into()),
                queues: vec![q("support")],
            },
            SnapshotAgent { agent: CAROL, state: AgentState::OnCall, reason: None, queues: vec![q("sales")] },
        ],
        calls: vec![
            SnapshotCall { key: key("waiting"), caller: "1".into(), queue: q("support"), waited_s: 40, agent: None },
            SnapshotCall { key: key("new"), caller: "2".into(), queue: q("sales"), waited_s: 10, agent: Some(CAROL) },
        ],
    }));
    let f = e.floor();
    assert!(!f.calls.contains_key(&old), "the call that ended during the outage is gone");
    assert_eq!(f.calls[&waiting].state, CallState::Queued);
    let new = e.call_of_key(&key("new")).expect("the snapshot's new call");
    assert_eq!((f.calls[&new].state, f.calls[&new].agent), (CallState::Connected, Some(CAROL)));
    assert_eq!(f.agents[&ALICE].state, AgentState::Break);
    assert_eq!(f.agents[&CAROL].queues, vec![q("sales")], "Carol left support on the PBX");
    assert_eq!(f.agents[&CAROL].call, Some(new));
}

#[test]
fn commands_on_calls_and_seats_become_pbx_actions_and_change_nothing_until_the_pbx_says() {
    let mut e = engine();
    let id = connected_call(&mut e, "c");
    let before = e.floor().seq;
    let out = e.submit(&ana(), &Command::Barge { call: id }).expect("barge is checked and sent");
    assert_eq!(
        out,
        Submitted::Pending(PbxAction::Spy {
            key: key("c"),
            agent: BOB,
            supervisor: "ana".into(),
            mode: SupervisorMode::Barge
        })
    );
    assert_eq!(e.floor().seq, before, "nothing on the floor, not even the audit entry, before the PBX answers");
    e.pbx_outcome(&ana(), &Command::Barge { call: id }, Ok(())).expect("accepted");
    let entry = e.floor().audit.back().expect("audited");
    assert!(entry.ok && entry.outcome.contains("sent to the PBX"), "{entry:?}");
    assert!(e.floor().calls[&id].supervisors.is_empty(), "joined only when ChanSpyStart comes");

    let err = e
        .pbx_outcome(
            &ana(),
            &Command::SetAgentState { agent: BOB, state: AgentState::Break },
            Err("the PBX refused QueuePause: Interface not found".into()),
        )
        .expect_err("refused");
    assert_eq!(err.code, ErrorCode::PbxRefused);
    assert_eq!(err.message, "the PBX refused QueuePause: Interface not found");
    let entry = e.floor().audit.back().expect("audited");
    assert!(!entry.ok && entry.outcome.contains("pbx_refused: the PBX refused QueuePause"), "{entry:?}");

    available(&mut e, ALICE);
    let out = e
        .submit(&ana(), &Command::Reassign { agent: CAROL, queues: vec![q("sales"), q("support"), q("sales")] })
        .map(|s| format!("{s:?}"));
    assert!(out.as_deref().is_err_and(|e| e.message.contains("already serves exactly")), "{out:?}");
    assert_eq!(
        e.submit(&ana(), &Command::Reassign { agent: ALICE, queues: vec![q("sales")] }),
        Ok(Submitted::Pending(PbxAction::SetQueues {
            agent: ALICE,
            add: vec![q("sales")],
            remove: vec![q("support")]
        }))
    );
    assert_eq!(
        e.submit(&ana(), &Command::SetAgentState { agent: ALICE, state: AgentState::Break }),
        Ok(Submitted::Pending(PbxAction::SetState {
            agent: ALICE,
            state: AgentState::Break,
            reason: "set by ana".into()
        }))
    );
    assert_eq!(
        e.submit(&ana(), &Command::Transfer { call: id, to_agent: None, to_queue: Some(q("sales")) }),
        Ok(Submitted::Pending(PbxAction::Transfer { key: key("c"), to_agent: None, to_queue: Some(q("sales")) }))
    );
}

#[test]
fn commands_the_pbx_cannot_carry_out_are_refused_in_one_sentence_and_audited() {
    let mut e = engine();
    let id = connected_call(&mut e, "r");
    let say = e.submit(&ana(), &Command::Say { call: id, text: "hello".into() }).expect_err("no text path");
    assert!(say.message.contains("no text path into a call"), "{}", say.message);
    let bo = Actor::new("bo", Role::Supervisor);
    let monitor = e.submit(&bo, &Command::Monitor { call: id }).expect_err("bo has no device");
    assert!(
        monitor.message.contains("no device") && monitor.message.contains("[[supervisors]]"),
        "{}",
        monitor.message
    );
    available(&mut e, AgentId(4));
    let to_dave = e.submit(&ana(), &Command::Transfer { call: id, to_agent: Some(AgentId(4)), to_queue: None });
    assert!(to_dave.is_err_and(|e| e.message.contains("no extension")));
    let viewer = e.submit(&Actor::new("v", Role::Viewer), &Command::Monitor { call: id }).expect_err("role");
    assert_eq!(viewer.code, ErrorCode::Forbidden);
    let refused = e.floor().audit.iter().filter(|a| !a.ok).count();
    assert_eq!(refused, 4, "every refusal is audited");
}

#[test]
fn commands_the_core_carries_out_are_done_at_once_as_on_a_simulated_floor() {
    let mut e = engine();
    let id = connected_call(&mut e, "n");
    e.observe(Observation::CallHeld { key: key("n") });
    e.observe(Observation::CallEnded { key: key("n"), reason: EndReason::Agent });
    assert!(!e.floor().calls.contains_key(&id));
    // Long waits raise alerts from the floor's own metric checks: time moves on the engine's clock.
    e.observe(Observation::CallQueued { key: key("w"), caller: "1".into(), queue: q("support") });
    let later = e.now() + chrono::Duration::seconds(300);
    e.advance_to(later);
    let alert = e.floor().alerts.values().find(|a| a.kind == AlertKind::LongWait).expect("a long-wait alert");
    let alert = alert.id;
    let ack = e.submit(&ana(), &Command::AckAlert { alert });
    assert_eq!(ack, Ok(Submitted::Done));
    assert_eq!(e.floor().alerts[&alert].acked.as_ref().map(|a| a.by.as_str()), Some("ana"));
}

#[test]
fn a_broken_floor_description_names_the_file_line_and_fix() {
    let text = std::fs::read_to_string("floors/asterisk-example.toml").expect("read");
    let broken = text
        .replace("queues = [\"sales\"]\nlangs = [\"zh\", \"en\"]", "queues = [\"billing\"]\nlangs = [\"zh\", \"en\"]");
    assert_ne!(broken, text);
    let e = FloorDescription::parse_at(&broken, "floor.toml", None).expect_err("an unknown queue");
    let msg = e.to_string();
    assert!(msg.starts_with("floor.toml, line "), "{msg}");
    assert!(msg.contains("'billing'"), "{msg}");
    assert!(msg.contains("[[agents]] seat 4 serves queue 'billing'"), "{msg}");
    let dup = text.replace("member = \"PJSIP/1004\"", "member = \"pjsip/1002\"");
    let e = FloorDescription::parse_at(&dup, "floor.toml", None).expect_err("a member twice");
    assert!(e.to_string().contains("one member per seat"), "{e}");
    let e = FloorDescription::parse_at(&text.replace("member = \"PJSIP/1004\"\n", ""), "floor.toml", None)
        .expect_err("no member");
    assert!(e.to_string().contains("member"), "{e}");
    let fs = FloorDescription::load(Path::new("floors/freeswitch-example.toml")).expect("the FreeSWITCH example loads");
    assert_eq!(fs.roster.queue_by_pbx("support@default").map(|q| q.id.as_str()), Some("support"));
}
