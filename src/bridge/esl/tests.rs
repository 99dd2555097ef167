use super::command::{plan, refused};
use super::frame::{FrameReader, plain_event};
use super::map::{Mapper, QueueTables, Table, floor_state};
use crate::bridge::{
    CallKey, EndReason, Observation, PbxAction, Roster, RosterAgent, RosterQueue, RosterSupervisor, SnapshotCall,
};
use crate::model::{AgentId, AgentState, QueueId, SupervisorMode};

const CALLER: &str = "b77c49c2-a732-11df-9438-e7d9456f8886";
const AGENT_LEG: &str = "7acfecd3-ab50-470b-8875-d37aba0429ba";

fn roster() -> Roster {
    Roster {
        queues: vec![
            RosterQueue {
                id: QueueId::new("support"),
                pbx: "support@default".into(),
                transfer: Some("7000@default".into()),
            },
            RosterQueue { id: QueueId::new("sales"), pbx: "sales@default".into(), transfer: None },
        ],
        agents: vec![
            RosterAgent {
                id: AgentId(1),
                name: "Ann".into(),
                member: "1001@default".into(),
                extension: Some("1001".into()),
            },
            RosterAgent { id: AgentId(2), name: "Bo".into(), member: "1002@default".into(), extension: None },
        ],
        supervisors: vec![RosterSupervisor { name: "sam".into(), device: "user/2000".into() }],
    }
}

/// An event as FreeSWITCH sends it (a `text/event-plain` frame, values percent-encoded); [`map`] reads it back
/// through the frame reader, so the mapper sees what it sees on a link.
fn event(headers: &[(&str, &str)]) -> Vec<u8> {
    plain_event(headers, None)
}

fn cc(action: &str, more: &[(&str, &str)]) -> Vec<u8> {
    let mut h = vec![("Event-Name", "CUSTOM"), ("Event-Subclass", "callcenter::info"), ("CC-Action", action)];
    h.extend_from_slice(more);
    event(&h)
}

fn map(m: &mut Mapper, wire: &[u8]) -> Vec<Observation> {
    let mut reader = FrameReader::default();
    reader.push(wire);
    let frame = reader.next_frame().expect("the test's event frames");
    let ev = frame.event().expect("a plain event");
    let mut out = Vec::new();
    m.event(&ev, &mut out);
    assert!(reader.next_frame().is_none(), "one event per frame");
    out
}

fn key() -> CallKey {
    CallKey(CALLER.into())
}

/// A call through its whole life: queued, offered, answered (agent leg remembered), held, resumed, ended.
fn connect(m: &mut Mapper) {
    let start = cc(
        "member-queue-start",
        &[("CC-Queue", "support@default"), ("CC-Member-Session-UUID", CALLER), ("CC-Member-CID-Number", "+15550111")],
    );
    assert_eq!(
        map(m, &start),
        vec![Observation::CallQueued { key: key(), caller: "+15550111".into(), queue: QueueId::new("support") }]
    );
    let offer = cc(
        "agent-offering",
        &[("CC-Queue", "support@default"), ("CC-Agent", "1002@default"), ("CC-Member-Session-UUID", CALLER)],
    );
    assert_eq!(map(m, &offer), vec![Observation::CallOffered { key: key(), agent: AgentId(2) }]);
    let bridged = cc(
        "bridge-agent-start",
        &[("CC-Agent", "1002@default"), ("CC-Agent-UUID", AGENT_LEG), ("CC-Member-Session-UUID", CALLER)],
    );
    assert_eq!(map(m, &bridged), vec![Observation::CallAnswered { key: key(), agent: AgentId(2) }]);
    assert_eq!(m.agent_leg(&key()), Some(AGENT_LEG));
}

fn bridge_end() -> Vec<u8> {
    cc("bridge-agent-end", &[("CC-Agent", "1002@default"), ("CC-Member-Session-UUID", CALLER)])
}

fn hangup(uuid: &str) -> Vec<u8> {
    event(&[("Event-Name", "CHANNEL_HANGUP_COMPLETE"), ("Unique-ID", uuid)])
}

#[test]
fn a_call_is_queued_offered_answered_held_and_ended_by_the_caller() {
    let mut m = Mapper::new(roster());
    connect(&mut m);
    let hold = event(&[("Event-Name", "CHANNEL_HOLD"), ("Unique-ID", AGENT_LEG)]);
    assert_eq!(map(&mut m, &hold), vec![Observation::CallHeld { key: key() }]);
    let unhold = event(&[("Event-Name", "CHANNEL_UNHOLD"), ("Unique-ID", CALLER)]);
    assert_eq!(map(&mut m, &unhold), vec![Observation::CallResumed { key: key() }]);
    assert_eq!(map(&mut m, &bridge_end()), vec![Observation::CallEnded { key: key(), reason: EndReason::Caller }]);
    let served = cc("member-queue-end", &[("CC-Cause", "Terminated"), ("CC-Member-Session-UUID", CALLER)]);
    assert_eq!(map(&mut m, &served), vec![], "the bridge's end already ended the call");
    assert_eq!(map(&mut m, &hangup(CALLER)), vec![], "a call already ended is only forgotten");
    assert_eq!(m.stats().unknown + m.stats().malformed + m.stats().unmapped, 0);
}

#[test]
fn the_agent_hanging_up_first_and_a_transfer_callfloor_asked_for_read_as_such() {
    let mut m = Mapper::new(roster());
    connect(&mut m);
    assert_eq!(map(&mut m, &hangup(AGENT_LEG)), vec![]);
    assert_eq!(map(&mut m, &bridge_end()), vec![Observation::CallEnded { key: key(), reason: EndReason::Agent }]);

    let mut m = Mapper::new(roster());
    connect(&mut m);
    m.expect_transfer(&key());
    assert_eq!(map(&mut m, &bridge_end()), vec![Observation::CallEnded { key: key(), reason: EndReason::Transfer }]);
}

#[test]
fn a_cancelled_wait_is_an_abandon_and_its_reason_is_counted() {
    let mut m = Mapper::new(roster());
    let start = cc("member-queue-start", &[("CC-Queue", "sales@default"), ("CC-Member-Session-UUID", "c1")]);
    assert_eq!(map(&mut m, &start).len(), 1);
    let count = cc("members-count", &[("CC-Queue", "sales@default"), ("CC-Count", "1")]);
    assert_eq!(map(&mut m, &count), vec![]);
    assert_eq!(m.stats().count_mismatches, 0);
    let end = cc(
        "member-queue-end",
        &[("CC-Cause", "Cancel"), ("CC-Cancel-Reason", "BREAK_OUT"), ("CC-Member-Session-UUID", "c1")],
    );
    assert_eq!(map(&mut m, &end), vec![Observation::CallAbandoned { key: CallKey("c1".into()) }]);
    assert_eq!(m.stats().cancel_reasons, vec![("BREAK_OUT".to_string(), 1)]);
    let wrong = cc("members-count", &[("CC-Queue", "sales@default"), ("CC-Count", "3")]);
    map(&mut m, &wrong);
    assert_eq!(m.stats().count_mismatches, 1);
    // A caller who hangs up while still waiting, without mod_callcenter's end (a crash, a lost event): gone.
    map(&mut m, &cc("member-queue-start", &[("CC-Queue", "sales@default"), ("CC-Member-Session-UUID", "c2")]));
    assert_eq!(map(&mut m, &hangup("c2")), vec![Observation::CallGone { key: CallKey("c2".into()) }]);
}

#[test]
fn agent_status_and_state_combine_into_one_floor_state_reported_on_change() {
    let mut m = Mapper::new(roster());
    let status = |s| cc("agent-status-change", &[("CC-Agent", "1001@default"), ("CC-Agent-Status", s)]);
    let state = |s| cc("agent-state-change", &[("CC-Agent", "1001@default"), ("CC-Agent-State", s)]);
    let st = |state, reason: Option<&str>| {
        vec![Observation::AgentState { agent: AgentId(1), state, reason: reason.map(str::to_string) }]
    };
    assert_eq!(map(&mut m, &status("On Break")), st(AgentState::Break, Some("On Break")));
    assert_eq!(map(&mut m, &state("Waiting")), vec![], "still on break");
    assert_eq!(map(&mut m, &status("Available")), st(AgentState::Available, None));
    assert_eq!(map(&mut m, &state("Receiving")), st(AgentState::Ringing, None));
    assert_eq!(map(&mut m, &state("In a queue call")), st(AgentState::OnCall, None));
    assert_eq!(map(&mut m, &state("Idle")), st(AgentState::WrapUp, None));
    assert_eq!(map(&mut m, &status("Logged Out")), st(AgentState::Offline, Some("Logged Out")));
    assert_eq!(floor_state("Available (On Demand)", "Waiting"), (AgentState::Available, None));
}

#[test]
fn unknown_actions_events_and_names_are_counted_never_fatal() {
    let mut m = Mapper::new(roster());
    assert_eq!(map(&mut m, &cc("agent-max-no-answer", &[("CC-Agent", "1001@default")])), vec![]);
    assert_eq!(map(&mut m, &event(&[("Event-Name", "HEARTBEAT")])), vec![]);
    assert_eq!(map(&mut m, &event(&[("Event-Name", "CUSTOM"), ("Event-Subclass", "sofia::register")])), vec![]);
    assert_eq!(m.stats().unknown, 3);
    // Missing the call key, the action, the agent; an event without a name.
    assert_eq!(map(&mut m, &cc("member-queue-start", &[("CC-Queue", "support@default")])), vec![]);
    assert_eq!(map(&mut m, &event(&[("Event-Name", "CUSTOM"), ("Event-Subclass", "callcenter::info")])), vec![]);
    assert_eq!(map(&mut m, &cc("agent-offering", &[("CC-Member-Session-UUID", "x")])), vec![]);
    assert_eq!(map(&mut m, &event(&[("Unique-ID", "x")])), vec![]);
    assert_eq!(m.stats().malformed, 4);
    // Names the floor description lacks.
    assert_eq!(
        map(&mut m, &cc("agent-status-change", &[("CC-Agent", "9999@default"), ("CC-Agent-Status", "Available")])),
        vec![]
    );
    assert_eq!(
        map(&mut m, &cc("member-queue-start", &[("CC-Queue", "vip@default"), ("CC-Member-Session-UUID", "y")])),
        vec![]
    );
    assert_eq!(m.stats().unmapped, 2);
    assert_eq!(m.stats().unmapped_names, vec!["9999@default".to_string(), "vip@default".to_string()]);
    // Hold of a channel that is no call of ours.
    assert_eq!(map(&mut m, &event(&[("Event-Name", "CHANNEL_HOLD"), ("Unique-ID", "zzz")])), vec![]);
    assert_eq!(m.stats().ignored, 1);
    assert_eq!(m.stats().events, 10);
}

#[test]
fn an_eavesdrop_leg_is_a_supervisor_joining_and_its_hangup_leaving() {
    let mut m = Mapper::new(roster());
    connect(&mut m);
    // A leg callfloor originated for sam, in whisper mode.
    m.expect_spy("leg-1", &key(), "sam");
    let exec = event(&[
        ("Event-Name", "CHANNEL_EXECUTE"),
        ("Unique-ID", "leg-1"),
        ("Application", "eavesdrop"),
        ("Application-Data", AGENT_LEG),
        ("variable_eavesdrop_whisper_aleg", "true"),
        ("variable_eavesdrop_whisper_bleg", "false"),
    ]);
    assert_eq!(
        map(&mut m, &exec),
        vec![Observation::SpyStarted { key: key(), supervisor: "sam".into(), mode: SupervisorMode::Whisper }]
    );
    assert_eq!(m.spy_leg(&key(), "sam"), Some("leg-1"));
    // Someone else's eavesdrop from a desk phone, barging: named by the channel.
    let other = event(&[
        ("Event-Name", "CHANNEL_EXECUTE"),
        ("Unique-ID", "leg-2"),
        ("Channel-Name", "sofia/internal/2001@10.0.0.5"),
        ("Application", "eavesdrop"),
        ("Application-Data", AGENT_LEG),
        ("variable_eavesdrop_whisper_aleg", "true"),
        ("variable_eavesdrop_whisper_bleg", "true"),
    ]);
    assert_eq!(
        map(&mut m, &other),
        vec![Observation::SpyStarted {
            key: key(),
            supervisor: "sofia/internal/2001@10.0.0.5".into(),
            mode: SupervisorMode::Barge
        }]
    );
    assert_eq!(map(&mut m, &hangup("leg-1")), vec![Observation::SpyStopped { key: key(), supervisor: "sam".into() }]);
    // Other applications are channel noise.
    let playback = event(&[("Event-Name", "CHANNEL_EXECUTE"), ("Unique-ID", "x"), ("Application", "playback")]);
    assert_eq!(map(&mut m, &playback), vec![]);
}

fn tables() -> QueueTables {
    QueueTables {
        queue: "support@default".into(),
        agents: "name|instance_id|uuid|type|contact|status|state|max_no_answer\n\
                 1001@default|single_box||callback|user/1001|Available|In a queue call|3\n\
                 1002@default|single_box||callback|user/1002|On Break|Waiting|3\n+OK\n"
            .into(),
        members: "queue|instance_id|uuid|session_uuid|cid_number|cid_name|system_epoch|joined_epoch|rejoined_epoch|\
                  bridge_epoch|abandoned_epoch|base_score|skill_score|serving_agent|serving_system|state\n\
                  support@default|single_box|m1|s1|+15550100|A|1765020100|1765020040|0|0|0|0|0|||Waiting\n\
                  support@default|single_box|m2|s2|+15550101|B|1765020100|1765020000|0|1765020010|0|0|0|1001@default|single_box|Answered\n\
                  support@default|single_box|m3|s3|+15550102|C|1765020100|1765020000|0|0|1765020050|0|0|||Abandoned\n+OK\n"
            .into(),
        tiers: "queue|agent|state|level|position\nsupport@default|1001@default|Ready|1|1\n\
                support@default|1002@default|Ready|1|2\n+OK\n"
            .into(),
    }
}

#[test]
fn the_snapshot_reads_agents_waiting_and_talking_calls_and_tiers_by_column_name() {
    let mut m = Mapper::new(roster());
    let Observation::Snapshot(s) = m.snapshot(&[tables()]) else { panic!("a snapshot") };
    let states: Vec<_> = s.agents.iter().map(|a| (a.agent, a.state, a.queues.clone())).collect();
    let support = vec![QueueId::new("support")];
    assert_eq!(
        states,
        vec![(AgentId(1), AgentState::OnCall, support.clone()), (AgentId(2), AgentState::Break, support.clone())]
    );
    assert_eq!(
        s.calls,
        vec![
            SnapshotCall {
                key: CallKey("s1".into()),
                caller: "+15550100".into(),
                queue: QueueId::new("support"),
                waited_s: 60,
                agent: None
            },
            SnapshotCall {
                key: CallKey("s2".into()),
                caller: "+15550101".into(),
                queue: QueueId::new("support"),
                waited_s: 100,
                agent: Some(AgentId(1))
            },
        ],
        "the abandoned member is not on the floor"
    );
    // The snapshot re-seeds the mapper: the waiting call counts, the seat on break stays on break.
    map(&mut m, &cc("members-count", &[("CC-Queue", "support@default"), ("CC-Count", "1")]));
    assert_eq!(m.stats().count_mismatches, 0);
    assert_eq!(
        map(&mut m, &cc("agent-state-change", &[("CC-Agent", "1002@default"), ("CC-Agent-State", "Idle")])),
        vec![]
    );
    // An empty or refused list is no rows, not a crash.
    assert!(Table::parse("+OK\n").is_empty());
    assert!(Table::parse("-ERR Invalid!\n").is_empty());
    assert_eq!(Table::parse("a|b\n1|2\n+OK\ntrailing|junk\n").len(), 1);
}

#[test]
fn actions_become_the_commands_freeswitch_takes() {
    let mut m = Mapper::new(roster());
    let r = roster();
    let lines = |a: &PbxAction, m: &Mapper| -> Result<Vec<String>, String> {
        plan(a, &r, m, || "leg-9".into()).map(|p| p.steps.into_iter().map(|s| s.line).collect())
    };
    let set = |state| PbxAction::SetState { agent: AgentId(1), state, reason: "lunch".into() };
    assert_eq!(
        lines(&set(AgentState::Break), &m),
        Ok(vec!["callcenter_config agent set status 1001@default 'On Break'".into()])
    );
    assert_eq!(
        lines(&set(AgentState::Available), &m),
        Ok(vec!["callcenter_config agent set status 1001@default Available".into()])
    );
    assert_eq!(
        lines(&set(AgentState::Offline), &m),
        Ok(vec!["callcenter_config agent set status 1001@default 'Logged Out'".into()])
    );
    assert!(lines(&set(AgentState::OnCall), &m).unwrap_err().contains("not on_call"));
    let queues = PbxAction::SetQueues {
        agent: AgentId(2),
        add: vec![QueueId::new("sales")],
        remove: vec![QueueId::new("support")],
    };
    assert_eq!(
        lines(&queues, &m),
        Ok(vec![
            "callcenter_config tier add sales@default 1002@default 1 1".into(),
            "callcenter_config tier del support@default 1002@default".into()
        ])
    );
    let to_queue = PbxAction::Transfer { key: key(), to_agent: None, to_queue: Some(QueueId::new("support")) };
    assert_eq!(lines(&to_queue, &m), Ok(vec![format!("uuid_transfer {CALLER} 7000 XML default")]));
    let to_agent = PbxAction::Transfer { key: key(), to_agent: Some(AgentId(1)), to_queue: None };
    assert_eq!(lines(&to_agent, &m), Ok(vec![format!("uuid_transfer {CALLER} 1001")]));
    let nowhere = PbxAction::Transfer { key: key(), to_agent: None, to_queue: Some(QueueId::new("sales")) };
    assert!(lines(&nowhere, &m).unwrap_err().contains("no transfer extension"));

    let spy = |mode| PbxAction::Spy { key: key(), agent: AgentId(2), supervisor: "sam".into(), mode };
    assert!(lines(&spy(SupervisorMode::Monitor), &m).unwrap_err().contains("no agent leg"));
    connect(&mut m);
    let p = plan(&spy(SupervisorMode::Barge), &r, &m, || "leg-9".into()).unwrap();
    assert!(p.steps[0].background);
    assert_eq!(
        p.steps[0].line,
        format!(
            "originate {{origination_uuid=leg-9,callfloor_supervisor=sam,eavesdrop_enable_dtmf=false,\
             eavesdrop_whisper_aleg=true,eavesdrop_whisper_bleg=true}}user/2000 &eavesdrop({AGENT_LEG})"
        )
    );
    assert_eq!(p.spy, Some(("leg-9".into(), key(), "sam".into())));
    let stop = PbxAction::StopSpy { key: key(), supervisor: "sam".into() };
    assert!(lines(&stop, &m).unwrap_err().contains("no listening leg"));
    m.expect_spy("leg-9", &key(), "sam");
    assert_eq!(lines(&stop, &m), Ok(vec!["uuid_kill leg-9".into()]));
    let nobody =
        PbxAction::Spy { key: key(), agent: AgentId(2), supervisor: "eve".into(), mode: SupervisorMode::Monitor };
    assert!(lines(&nobody, &m).unwrap_err().contains("eve has no device"));

    assert_eq!(
        refused("callcenter_config tier add x 1001@default 1 1", "-ERR Queue not found!\n"),
        "the PBX refused callcenter_config tier add x 1001@default 1 1: Queue not found!"
    );
}
