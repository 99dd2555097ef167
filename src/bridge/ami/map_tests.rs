//! Every AMI fixture replayed through frame reader, decoder and mapper, with the observations asserted.

use super::*;
use crate::bridge::ami::{Decoder, Frame, FrameReader, Limits, Message};
use crate::bridge::{RosterAgent, RosterQueue, RosterSupervisor};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/ami/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

fn q(id: &str) -> QueueId {
    QueueId::new(id)
}

fn a(n: u32) -> AgentId {
    AgentId(n)
}

fn key(k: &str) -> CallKey {
    CallKey(k.to_string())
}

fn roster(queues: &[(&str, &str)], agents: &[(u32, &str)]) -> Roster {
    Roster {
        queues: queues
            .iter()
            .map(|(id, pbx)| RosterQueue { id: q(id), pbx: pbx.to_string(), transfer: None })
            .collect(),
        agents: agents
            .iter()
            .map(|(n, member)| RosterAgent {
                id: a(*n),
                name: format!("agent {n}"),
                member: member.to_string(),
                extension: None,
            })
            .collect(),
        supervisors: vec![RosterSupervisor { name: "sam".into(), device: "PJSIP/2000".into() }],
    }
}

/// The synthetic floor: Alice behind a Local/ interface, Bob, Carol and Dave on PJSIP.
fn synthetic_roster() -> Roster {
    roster(
        &[("support", "support"), ("sales", "sales")],
        &[(1, "Local/1001@agents/n"), (2, "PJSIP/1002"), (3, "PJSIP/1003"), (4, "PJSIP/1004")],
    )
}

/// Feeds `bytes` in 512-byte reads through the whole pipe; `before` runs on the mapper first.
fn replay_with(bytes: &[u8], roster: Roster, before: impl FnOnce(&mut Mapper)) -> (Vec<Observation>, Mapper) {
    let mut reader = FrameReader::new(Limits::default());
    let mut decoder = Decoder::new();
    let mut mapper = Mapper::new(roster);
    before(&mut mapper);
    let mut out = Vec::new();
    for chunk in bytes.chunks(512) {
        reader.push(chunk);
        while let Ok(Some(frame)) = reader.next_frame() {
            if let Frame::Message(m) = frame
                && let Some(ev) = decoder.decode(&m)
            {
                mapper.map(&ev, &mut out);
            }
        }
    }
    (out, mapper)
}

fn replay(bytes: &[u8], roster: Roster) -> (Vec<Observation>, Mapper) {
    replay_with(bytes, roster, |_| {})
}

fn state(agent: u32, state: AgentState, reason: Option<&str>) -> Observation {
    Observation::AgentState { agent: a(agent), state, reason: reason.map(str::to_string) }
}

#[test]
fn the_synthetic_flows_map_to_the_floor_story() {
    let (obs, mapper) = replay(&fixture("synthetic-queue-flows.txt"), synthetic_roster());
    let (c10, c11, c15, c16, c18) =
        (key("1765020000.10"), key("1765020100.11"), key("1765020200.15"), key("1765020300.16"), key("1765020400.18"));
    use AgentState::*;
    let expected = vec![
        Observation::Snapshot(PbxSnapshot {
            agents: vec![
                SnapshotAgent { agent: a(1), state: Available, reason: None, queues: vec![q("support")] },
                SnapshotAgent { agent: a(2), state: Available, reason: None, queues: vec![q("support")] },
                // Paused for lunch, but the phone is unplugged (Status 5): offline wins.
                SnapshotAgent { agent: a(3), state: Offline, reason: None, queues: vec![q("support")] },
            ],
            calls: vec![SnapshotCall {
                key: c10.clone(),
                caller: "+15550100".into(),
                queue: q("support"),
                waited_s: 9,
                agent: None,
            }],
        }),
        Observation::CallQueued { key: c11.clone(), caller: "+15550111".into(), queue: q("support") },
        Observation::CallOffered { key: c11.clone(), agent: a(1) },
        state(1, Ringing, None),
        Observation::CallRingNoAnswer { key: c11.clone(), agent: a(1) },
        state(1, Available, None),
        Observation::CallOffered { key: c11.clone(), agent: a(2) },
        Observation::CallAnswered { key: c11.clone(), agent: a(2) },
        Observation::CallHeld { key: c11.clone() },
        Observation::CallResumed { key: c11.clone() },
        // Nobody asked for this leg through callfloor: the device name, as Monitor.
        Observation::SpyStarted { key: c11.clone(), supervisor: "PJSIP/2000".into(), mode: SupervisorMode::Monitor },
        Observation::SpyStopped { key: c11.clone(), supervisor: "PJSIP/2000".into() },
        Observation::CallEnded { key: c11.clone(), reason: EndReason::Agent },
        // The hangups of call 11 follow its end and add nothing.
        Observation::CallQueued { key: c15.clone(), caller: "+15550122".into(), queue: q("support") },
        Observation::CallAbandoned { key: c15.clone() },
        Observation::CallQueued { key: c16.clone(), caller: "+15550133".into(), queue: q("support") },
        Observation::CallOffered { key: c16.clone(), agent: a(1) },
        Observation::CallRingNoAnswer { key: c16.clone(), agent: a(1) },
        Observation::CallAnswered { key: c16.clone(), agent: a(2) },
        Observation::CallEnded { key: c16.clone(), reason: EndReason::Caller },
        Observation::CallQueued { key: c18.clone(), caller: "+15550144".into(), queue: q("support") },
        Observation::CallAnswered { key: c18.clone(), agent: a(2) },
        Observation::CallEnded { key: c18.clone(), reason: EndReason::Transfer },
        state(2, Break, Some("Coaching")),
        state(2, Available, None),
        Observation::AgentQueues { agent: a(4), queues: vec![q("sales")] },
        state(4, Available, None),
        Observation::AgentQueues { agent: a(4), queues: vec![] },
        // Carol's Status 0–8 while paused for lunch.
        state(3, Offline, None),
        state(3, Break, Some("Lunch")),
        state(3, OnCall, None),
        state(3, OnCall, None),
        state(3, Offline, None),
        state(3, Offline, None),
        state(3, Ringing, None),
        state(3, Ringing, None),
        state(3, OnCall, None),
    ];
    assert_eq!(obs, expected);
    assert_eq!(mapper.stats().observations, expected.len() as u64);
    assert_eq!(mapper.stats().snapshots, 1);
    assert_eq!((mapper.stats().unknown_members, mapper.stats().unknown_queues, mapper.stats().unmatched), (0, 0, 0));
    // The transferred call is still live: its caller channel is remembered for its Hangup, its device is not.
    assert_eq!(mapper.caller_channel(&c18), Some("PJSIP/trunk-00000018"));
    assert_eq!(mapper.device_channel(&c18), None);
    assert_eq!(mapper.queues_of(a(4)), Vec::<QueueId>::new());
    assert_eq!(mapper.queues_of(a(2)), vec![q("support")]);
}

#[test]
fn a_spy_leg_callfloor_asked_for_carries_its_user_and_mode() {
    let (obs, mapper) = replay_with(&fixture("synthetic-queue-flows.txt"), synthetic_roster(), |m| {
        m.expect_spy("sam", SupervisorMode::Whisper);
    });
    let c11 = key("1765020100.11");
    let spies: Vec<&Observation> =
        obs.iter().filter(|o| matches!(o, Observation::SpyStarted { .. } | Observation::SpyStopped { .. })).collect();
    assert_eq!(
        spies,
        [
            &Observation::SpyStarted { key: c11.clone(), supervisor: "sam".into(), mode: SupervisorMode::Whisper },
            &Observation::SpyStopped { key: c11.clone(), supervisor: "sam".into() },
        ]
    );
    assert!(mapper.pending_spies.is_empty(), "the pending request was used up");
}

#[test]
fn the_device_channel_comes_from_agent_connect_never_the_interface() {
    // Stop the synthetic capture right after the first AgentConnect: Bob's call is live.
    let text = String::from_utf8(fixture("synthetic-queue-flows.txt")).expect("utf-8 fixture");
    let cut = text.find("Event: QueueCallerLeave").expect("a Leave after the first connect");
    let (_, mapper) = replay(&text.as_bytes()[..cut], synthetic_roster());
    let c11 = key("1765020100.11");
    assert_eq!(mapper.device_channel(&c11), Some("PJSIP/1002-00000013"));
    assert_eq!(mapper.caller_channel(&c11), Some("PJSIP/trunk-00000011"));
    // Alice's ring on the same call went to a Local/ channel; it never became the spy target.
    assert!(!mapper.device_channel(&c11).unwrap_or_default().starts_with("Local/"));
}

#[test]
fn members_and_queues_outside_the_roster_are_skipped_and_counted() {
    // Only Bob and the support queue are on this floor.
    let (obs, mapper) =
        replay(&fixture("synthetic-queue-flows.txt"), roster(&[("support", "support")], &[(2, "pjsip/1002")]));
    let Some(Observation::Snapshot(s)) = obs.first() else { panic!("a snapshot first: {obs:?}") };
    assert_eq!(s.agents.iter().map(|x| x.agent).collect::<Vec<_>>(), [a(2)], "members match without regard to case");
    assert!(obs.iter().all(|o| !matches!(o, Observation::CallOffered { agent, .. } if *agent != a(2))));
    let st = mapper.stats();
    // Alice and Carol in the snapshot (2), Alice's 2 AgentCalled + RingNoAnswer + Dump + 2 QueueMemberStatus (6),
    // Dave's Added and Removed (2), Carol's 9 statuses (9).
    assert_eq!(st.unknown_members, 19);
    // Dave's membership events name `sales`, but he is unknown first; nothing else names another queue.
    assert_eq!(st.unknown_queues, 0);
}

#[test]
fn goami2_queue_status_replies_each_become_a_snapshot() {
    let r = roster(
        &[("books", "Books_12"), ("support", "ISupport02_12"), ("sales", "Sales_12")],
        &[(1, "Local/9921-12@from-queue/n"), (2, "Local/9922-12@from-queue/n"), (3, "Local/7855-12@from-queue/n")],
    );
    let (obs, mapper) = replay(&fixture("goami2-queues.txt"), r.clone());
    let snaps: Vec<&PbxSnapshot> = obs
        .iter()
        .map(|o| match o {
            Observation::Snapshot(s) => s,
            other => panic!("only snapshots in a QueueStatus exchange, got {other:?}"),
        })
        .collect();
    assert_eq!(snaps.len(), 6, "six QueueStatus replies");
    assert_eq!(
        snaps[1].agents,
        [
            SnapshotAgent { agent: a(1), state: AgentState::Available, reason: None, queues: vec![q("books")] },
            SnapshotAgent { agent: a(2), state: AgentState::Available, reason: None, queues: vec![q("books")] },
        ]
    );
    assert!(snaps[2].agents.is_empty(), "Sales_12 has no members");
    // Paused with an empty reason: Break, no reason.
    assert_eq!(snaps[4].agents[0].state, AgentState::Break);
    assert_eq!(snaps[4].agents[0].reason, None);
    // 9 members, 3 on the floor; Shipping, Financing and Bar are not floor queues (QueueParams + members).
    assert_eq!(mapper.stats().unknown_members, 6);

    // The pause exchange: Books_12's member unpaused (`Reason: <nil>`), then paused for "Break".
    let (obs, _) = replay(&fixture("goami2-queue-members.txt"), r);
    assert_eq!(obs, [state(1, AgentState::Available, None), state(1, AgentState::Break, Some("Break"))]);
}

#[test]
fn panoramisk_asterisk_11_members_map_through_location() {
    let r = roster(
        &[("all", "xxxxxxxxxxxxxxxx-tous"), ("general", "general_queue"), ("mv", "maisonvoyance-tous")],
        &[(220, "Local/id-9@agentcallback"), (999, "Local/id-12@agentcallback"), (402, "Local/id-3@agentcallback")],
    );
    let (obs, _) = replay(&fixture("panoramisk-queue_status.txt"), r.clone());
    let [Observation::Snapshot(s)] = obs.as_slice() else { panic!("one snapshot: {obs:?}") };
    assert_eq!(
        s.agents,
        [
            SnapshotAgent { agent: a(220), state: AgentState::Available, reason: None, queues: vec![q("all")] },
            SnapshotAgent { agent: a(402), state: AgentState::Available, reason: None, queues: vec![q("all")] },
            SnapshotAgent { agent: a(999), state: AgentState::Offline, reason: None, queues: vec![q("all")] },
        ]
    );

    let (obs, mapper) = replay(&fixture("panoramisk-agent_loggued_in.txt"), r.clone());
    assert_eq!(
        obs,
        [
            Observation::AgentQueues { agent: a(402), queues: vec![q("general")] },
            state(402, AgentState::OnCall, None),
            state(402, AgentState::Available, None),
            state(402, AgentState::Available, None),
        ]
    );
    assert_eq!(mapper.stats().unknown_members, 1, "Agent/401 is not on this floor");

    // Asterisk 11's QueueMemberPaused (no Status field: read as 0, Offline) and the statuses around it.
    let (obs, mapper) = replay(&fixture("panoramisk-agent_not_in_pause.txt"), r);
    assert_eq!(
        obs,
        [
            state(999, AgentState::OnCall, None),
            state(999, AgentState::OnCall, None),
            state(999, AgentState::OnCall, None),
            state(999, AgentState::Offline, None),
            state(999, AgentState::Available, None),
            state(999, AgentState::Available, None),
        ]
    );
    assert_eq!(mapper.stats().unknown_queues, 0);
}

#[test]
fn cacofonisk_captures_give_an_abandon_and_nothing_for_calls_outside_the_queues() {
    let r = roster(&[("support", "670100-540100")], &[]);
    let (obs, _) = replay(&fixture("cacofonisk-queue_a_cancel.txt"), r.clone());
    // The abandon, then the caller's Hangup says nothing more (the call already ended).
    assert_eq!(obs, [Observation::CallAbandoned { key: key("40a7a1f2a669-1585318545.326") }]);
    for name in
        ["cacofonisk-queue_simple.txt", "cacofonisk-queue_blind_xfer.txt", "panoramisk-command_core_show_version.txt"]
    {
        let (obs, mapper) = replay(&fixture(name), r.clone());
        assert_eq!(obs, [], "{name}: no queue events in this capture reach the floor");
        assert_eq!(mapper.stats().observations, 0);
    }
}

fn ev(pairs: &[(&str, &str)]) -> AmiEvent {
    Decoder::new().decode(&Message::from_pairs(pairs.iter().copied())).expect("an event")
}

fn caller(event: &str, linkedid: &str) -> AmiEvent {
    ev(&[
        ("Event", event),
        ("Queue", "support"),
        ("Channel", "PJSIP/trunk-1"),
        ("Uniqueid", linkedid),
        ("Linkedid", linkedid),
        ("CallerIDNum", "<unknown>"),
    ])
}

fn map_all(mapper: &mut Mapper, evs: &[AmiEvent]) -> Vec<Observation> {
    let mut out = Vec::new();
    for e in evs {
        mapper.map(e, &mut out);
    }
    out
}

#[test]
fn a_leave_with_neither_answer_nor_abandon_ends_the_wait_and_a_hangup_ends_a_live_call() {
    let mut m = Mapper::new(synthetic_roster());
    let out = map_all(&mut m, &[caller("QueueCallerJoin", "1.1"), caller("QueueCallerLeave", "1.1")]);
    assert_eq!(
        out,
        [
            Observation::CallQueued { key: key("1.1"), caller: String::new(), queue: q("support") },
            Observation::CallAbandoned { key: key("1.1") },
        ],
        "a withheld number reads empty; a timeout ends the wait"
    );
    // A caller who hangs up while still queued, with no abandon event: CallGone.
    let out = map_all(&mut m, &[caller("QueueCallerJoin", "2.2"), caller("Hangup", "2.2")]);
    assert_eq!(out[1], Observation::CallGone { key: key("2.2") });
    // A Hangup of another channel of the call is not the caller's.
    let out = map_all(
        &mut m,
        &[
            caller("QueueCallerJoin", "3.3"),
            ev(&[("Event", "Hangup"), ("Channel", "PJSIP/1002-1"), ("Uniqueid", "3.9"), ("Linkedid", "3.3")]),
        ],
    );
    assert_eq!(out.len(), 1, "only the CallQueued: {out:?}");
}

#[test]
fn live_events_during_a_snapshot_follow_it_and_a_lost_link_voids_a_half_snapshot() {
    let mut m = Mapper::new(synthetic_roster());
    let member = ev(&[
        ("Event", "QueueMember"),
        ("Queue", "support"),
        ("Name", "Bob"),
        ("Location", "PJSIP/1002"),
        ("Status", "2"),
    ]);
    let out =
        map_all(&mut m, &[member.clone(), caller("QueueCallerJoin", "5.5"), ev(&[("Event", "QueueStatusComplete")])]);
    assert!(
        matches!(out.as_slice(), [Observation::Snapshot(s), Observation::CallQueued { .. }]
        if s.agents[0].state == AgentState::OnCall),
        "{out:?}"
    );

    let out = map_all(&mut m, &[member, caller("QueueCallerJoin", "6.6")]);
    assert_eq!(out, [], "held back until the snapshot completes");
    m.link_lost();
    let out = map_all(&mut m, &[ev(&[("Event", "QueueStatusComplete")])]);
    assert_eq!(out, [Observation::Snapshot(PbxSnapshot::default())], "the new reply alone, nothing from the old link");
}

#[test]
fn device_of_strips_the_channel_suffix() {
    assert_eq!(device_of("PJSIP/2000-00000014"), "PJSIP/2000");
    assert_eq!(device_of("SIP/my-phone-0000000a"), "SIP/my-phone");
    assert_eq!(device_of("PJSIP/2000"), "PJSIP/2000");
    assert_eq!(device_of("weird-name"), "weird-name");
}

#[test]
fn after_a_reconnect_the_channel_list_decides_which_connected_calls_are_still_up() {
    let mut m = Mapper::new(synthetic_roster());
    let connect = |linkedid: &str, device: &str| {
        ev(&[
            ("Event", "AgentConnect"),
            ("Queue", "support"),
            ("Channel", &format!("PJSIP/trunk-{linkedid}")),
            ("Uniqueid", linkedid),
            ("Linkedid", linkedid),
            ("CallerIDNum", "555"),
            ("DestChannel", device),
            ("Interface", "PJSIP/1002"),
        ])
    };
    map_all(&mut m, &[connect("7.7", "PJSIP/1002-7"), connect("8.8", "PJSIP/1002-8")]);
    m.link_lost();
    m.begin_snapshot(true);
    let out = map_all(
        &mut m,
        &[
            ev(&[("Event", "QueueStatusComplete")]),
            // A live event during the replies waits behind the snapshot.
            caller("QueueCallerJoin", "9.9"),
            ev(&[
                ("Event", "CoreShowChannel"),
                ("Channel", "PJSIP/trunk-7.7"),
                ("Uniqueid", "7.7"),
                ("Linkedid", "7.7"),
            ]),
        ],
    );
    assert_eq!(out, [], "incomplete until the channel list ends");
    let out = map_all(&mut m, &[ev(&[("Event", "CoreShowChannelsComplete")])]);
    let [Observation::Snapshot(s), Observation::CallQueued { key: joined, .. }] = out.as_slice() else {
        panic!("the snapshot, then the held-back join: {out:?}")
    };
    assert_eq!(joined, &key("9.9"));
    assert_eq!(
        s.calls,
        [SnapshotCall { key: key("7.7"), caller: "555".into(), queue: q("support"), waited_s: 0, agent: Some(a(2)) }],
        "7.7 is still up with Bob; 8.8 hung up while the link was down"
    );
    assert_eq!(m.device_channel(&key("7.7")), Some("PJSIP/1002-7"), "ChanSpy can still reach it");
    assert_eq!(m.device_channel(&key("8.8")), None);

    // A PBX that will not list channels: connected calls are kept as they were.
    m.link_lost();
    m.begin_snapshot(true);
    let mut out = map_all(&mut m, &[ev(&[("Event", "QueueStatusComplete")])]);
    m.channel_list_unavailable(&mut out);
    let [Observation::Snapshot(s)] = out.as_slice() else { panic!("{out:?}") };
    assert_eq!(s.calls.iter().map(|c| c.key.clone()).collect::<Vec<_>>(), [key("7.7")]);
}

fn member(event: &str, queue: &str, status: &str, paused: &str, reason: &str) -> AmiEvent {
    ev(&[
        ("Event", event),
        ("Queue", queue),
        ("MemberName", "Carol"),
        ("Interface", "PJSIP/1003"),
        ("StateInterface", "PJSIP/1003"),
        ("Status", status),
        ("Paused", paused),
        ("PausedReason", reason),
    ])
}

#[test]
fn a_seat_in_two_queues_is_as_busy_as_its_busiest_queue_says_not_its_latest_event() {
    let mut m = Mapper::new(synthetic_roster());
    let carol = |s, r: Option<&str>| state(3, s, r);
    let out = map_all(
        &mut m,
        &[
            member("QueueMemberStatus", "support", "1", "0", ""),
            member("QueueMemberStatus", "sales", "1", "0", ""),
            // Paused in sales only: still takes support's calls.
            member("QueueMemberPause", "sales", "1", "1", "training"),
            // Paused in both: on a break, with the reason.
            member("QueueMemberPause", "support", "1", "1", "training"),
            // Back in support: available again, whatever sales says.
            member("QueueMemberPause", "support", "1", "0", ""),
            // Taken off support: only sales is left, where the seat is paused.
            member("QueueMemberRemoved", "support", "1", "0", ""),
            member("QueueMemberStatus", "sales", "1", "1", "training"),
        ],
    );
    let states: Vec<&Observation> = out.iter().filter(|o| matches!(o, Observation::AgentState { .. })).collect();
    assert_eq!(
        states,
        [
            &carol(AgentState::Available, None),
            &carol(AgentState::Available, None),
            &carol(AgentState::Available, None),
            &carol(AgentState::Break, Some("training")),
            &carol(AgentState::Available, None),
            &carol(AgentState::Break, Some("training")),
        ]
    );
}
