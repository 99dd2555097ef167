//! The AMI bridge against a replay server speaking the real wire format over TCP: what the floor is told after each
//! replay, the exact AMI actions each PBX action becomes, refusals, and recovery after a cut link.

#[path = "support/ami_replay.rs"]
mod ami_replay;

use std::time::Duration;

use ami_replay::{AmiReplay, Answer, Script, TIMEOUT};
use callfloor::bridge::ami::{AmiConfig, spawn};
use callfloor::bridge::{
    ActionRequest, Bridge, CallKey, Observation, PbxAction, Roster, RosterAgent, RosterQueue, RosterSupervisor, Secret,
    SourceStatus,
};
use callfloor::model::{AgentId, AgentState, QueueId, SupervisorMode};
use tokio::sync::oneshot;

const SYNTHETIC: &str = include_str!("fixtures/ami/synthetic-queue-flows.txt");
const SECRET: &str = "s3cret-for-tests";

fn q(id: &str) -> QueueId {
    QueueId::new(id)
}

fn roster() -> Roster {
    let agent = |n: u32, name: &str, member: &str| RosterAgent {
        id: AgentId(n),
        name: name.into(),
        member: member.into(),
        extension: Some(format!("10{n:02}@agents")),
    };
    Roster {
        queues: vec![
            RosterQueue { id: q("support"), pbx: "support".into(), transfer: Some("6000@queues".into()) },
            RosterQueue { id: q("sales"), pbx: "sales".into(), transfer: None },
        ],
        agents: vec![
            agent(1, "Alice", "Local/1001@agents/n"),
            agent(2, "Bob", "PJSIP/1002"),
            agent(3, "Carol", "PJSIP/1003"),
            agent(4, "Dave", "PJSIP/1004"),
        ],
        supervisors: vec![RosterSupervisor { name: "sam".into(), device: "PJSIP/2000".into() }],
    }
}

fn config(server: &AmiReplay, secret: &str) -> AmiConfig {
    let mut c = AmiConfig::new("127.0.0.1", server.addr.port(), "cf", Secret::new(secret));
    c.backoff_initial = Duration::from_millis(5);
    c.backoff_max = Duration::from_millis(20);
    // Pings only where a test is about them.
    c.ping_interval = Duration::from_secs(3600);
    c.action_timeout = TIMEOUT;
    c
}

fn synthetic() -> Script {
    Script::from_fixture("cf", SECRET, SYNTHETIC)
}

async fn recv(bridge: &mut Bridge) -> Observation {
    tokio::time::timeout(TIMEOUT, bridge.observations.recv())
        .await
        .unwrap_or_else(|_| panic!("no observation within {TIMEOUT:?}"))
        .unwrap_or_else(|| panic!("the bridge stopped"))
}

/// Observations up to and including the first that `stop` accepts.
async fn recv_until(bridge: &mut Bridge, mut stop: impl FnMut(&Observation) -> bool) -> Vec<Observation> {
    let mut out = Vec::new();
    loop {
        let o = recv(bridge).await;
        let done = stop(&o);
        out.push(o);
        if done {
            return out;
        }
    }
}

async fn health_until(bridge: &mut Bridge, what: &str, ok: impl FnMut(&SourceStatus) -> bool) -> SourceStatus {
    let got = tokio::time::timeout(TIMEOUT, bridge.health.wait_for(ok)).await.map(|r| r.map(|h| h.clone()));
    match got {
        Ok(Ok(h)) => h,
        Ok(Err(_)) => panic!("the bridge stopped"),
        Err(_) => panic!("health never showed {what}: {:?}", *bridge.health.borrow()),
    }
}

fn ask(bridge: &Bridge, action: PbxAction) -> oneshot::Receiver<Result<(), String>> {
    let (reply, rx) = oneshot::channel();
    bridge.actions.try_send(ActionRequest { action, reply }).unwrap_or_else(|e| panic!("the action queue: {e}"));
    rx
}

async fn outcome(rx: oneshot::Receiver<Result<(), String>>) -> Result<(), String> {
    tokio::time::timeout(TIMEOUT, rx)
        .await
        .unwrap_or_else(|_| panic!("no reply to the action within {TIMEOUT:?}"))
        .unwrap_or_else(|_| panic!("the bridge dropped the reply"))
}

/// The actions of a (re)connect: Login, QueueStatus, CoreShowChannels.
async fn handshake(server: &mut AmiReplay) {
    let names = [server.next_action().await, server.next_action().await, server.next_action().await];
    let names: Vec<&str> = names.iter().map(|a| a.name()).collect();
    assert_eq!(names, ["Login", "QueueStatus", "CoreShowChannels"]);
}

fn c11() -> CallKey {
    CallKey("1765020100.11".into())
}

fn is_answered(o: &Observation) -> bool {
    matches!(o, Observation::CallAnswered { .. })
}

#[tokio::test]
async fn a_replayed_floor_reaches_the_engine_as_a_snapshot_then_live_observations() {
    let mut server = AmiReplay::start(vec![synthetic()]).await;
    let mut bridge = spawn(config(&server, SECRET), roster());

    let login = server.next_action().await;
    assert_eq!(
        login.fields(),
        [("Action", "Login"), ("Username", "cf"), ("Secret", SECRET), ("Events", "on")],
        "the login, with events switched on"
    );
    assert_eq!(server.next_action().await.fields(), [("Action", "QueueStatus")]);
    assert_eq!(server.next_action().await.fields(), [("Action", "CoreShowChannels")], "which calls are up");

    let Observation::Snapshot(snap) = recv(&mut bridge).await else { panic!("the snapshot comes first") };
    let states: Vec<(u32, AgentState)> = snap.agents.iter().map(|a| (a.agent.0, a.state)).collect();
    assert_eq!(states, [(1, AgentState::Available), (2, AgentState::Available), (3, AgentState::Offline)]);
    assert_eq!(snap.calls.len(), 1, "one caller waiting");
    assert_eq!((snap.calls[0].caller.as_str(), snap.calls[0].waited_s), ("+15550100", 9));

    // The whole live stream: it ends with Carol's nine statuses (Status 0–8).
    let mut carol = 0;
    let live = recv_until(&mut bridge, |o| {
        carol += usize::from(matches!(o, Observation::AgentState { agent: AgentId(3), .. }));
        carol == 9
    })
    .await;
    assert_eq!(live.len(), 36, "every live observation of the capture");
    let count = |f: fn(&Observation) -> bool| live.iter().filter(|o| f(o)).count();
    assert_eq!(count(|o| matches!(o, Observation::CallQueued { .. })), 4, "four callers joined");
    assert_eq!(count(|o| matches!(o, Observation::CallAnswered { .. })), 3, "three were answered");
    assert_eq!(count(|o| matches!(o, Observation::CallAbandoned { .. })), 1, "one hung up waiting");
    assert!(live.contains(&Observation::SpyStarted {
        key: c11(),
        supervisor: "PJSIP/2000".into(),
        mode: SupervisorMode::Monitor
    }));
    assert!(live.contains(&Observation::AgentState {
        agent: AgentId(2),
        state: AgentState::Break,
        reason: Some("Coaching".into())
    }));

    let h = health_until(&mut bridge, "the counters of the whole replay", |h| h.frames == 61).await; // 3 responses, 57 events, the channel list's end
    assert!(h.connected && h.reconnects == 0 && h.error.is_none(), "{h:?}");
    assert_eq!((h.kind.as_str(), h.unknown), ("ami", 2), "FullyBooted and DeviceStateChange are not used: {h:?}");
}

#[tokio::test]
async fn each_pbx_action_becomes_the_exact_ami_action() {
    let script = synthetic().live_until("AgentConnect", 1);
    let mut server = AmiReplay::start(vec![script]).await;
    let mut bridge = spawn(config(&server, SECRET), roster());
    recv_until(&mut bridge, is_answered).await;
    handshake(&mut server).await;

    // Whisper: a ChanSpy leg from sam's phone onto Bob's device channel of the call, never a Local/ interface.
    let spy = ask(
        &bridge,
        PbxAction::Spy { key: c11(), agent: AgentId(2), supervisor: "sam".into(), mode: SupervisorMode::Whisper },
    );
    assert_eq!(outcome(spy).await, Ok(()));
    assert_eq!(
        server.next_action().await.fields(),
        [
            ("Action", "Originate"),
            ("Channel", "PJSIP/2000"),
            ("Application", "ChanSpy"),
            ("Data", "PJSIP/1002-00000013,qEw"),
            ("CallerID", "callfloor whisper <1765020100.11>"),
            ("Async", "true"),
        ]
    );
    // The PBX reports the leg: it is sam's, in whisper mode.
    server.send_raw(
        "Event: ChanSpyStart\r\nSpyerChannel: PJSIP/2000-00000014\r\nSpyerUniqueid: 1765020150.14\r\n\
         SpyeeChannel: PJSIP/1002-00000013\r\nSpyeeLinkedid: 1765020100.11\r\n\r\n",
    );
    assert_eq!(
        recv(&mut bridge).await,
        Observation::SpyStarted { key: c11(), supervisor: "sam".into(), mode: SupervisorMode::Whisper }
    );
    // Leave: hang up the spyer's channel.
    assert_eq!(outcome(ask(&bridge, PbxAction::StopSpy { key: c11(), supervisor: "sam".into() })).await, Ok(()));
    assert_eq!(server.next_action().await.fields(), [("Action", "Hangup"), ("Channel", "PJSIP/2000-00000014")]);
    server.send_raw("Event: ChanSpyStop\r\nSpyerChannel: PJSIP/2000-00000014\r\n\r\n");
    assert_eq!(recv(&mut bridge).await, Observation::SpyStopped { key: c11(), supervisor: "sam".into() });

    // Reassign: one QueueAdd and one QueueRemove, one reply.
    let r = ask(&bridge, PbxAction::SetQueues { agent: AgentId(2), add: vec![q("sales")], remove: vec![q("support")] });
    assert_eq!(outcome(r).await, Ok(()));
    assert_eq!(
        server.next_action().await.fields(),
        [("Action", "QueueAdd"), ("Queue", "sales"), ("Interface", "PJSIP/1002"), ("MemberName", "Bob")]
    );
    assert_eq!(
        server.next_action().await.fields(),
        [("Action", "QueueRemove"), ("Queue", "support"), ("Interface", "PJSIP/1002")]
    );

    // Break with a reason, offline without one, back to available.
    for (state, reason, want) in [
        (AgentState::Break, "Coaching", vec![("Paused", "true"), ("Reason", "Coaching")]),
        (AgentState::Offline, "", vec![("Paused", "true"), ("Reason", "offline")]),
        (AgentState::Available, "", vec![("Paused", "false")]),
    ] {
        let r = ask(&bridge, PbxAction::SetState { agent: AgentId(2), state, reason: reason.into() });
        assert_eq!(outcome(r).await, Ok(()));
        let mut expected = vec![("Action", "QueuePause"), ("Interface", "PJSIP/1002")];
        expected.extend(want);
        assert_eq!(server.next_action().await.fields(), expected, "{state:?}");
    }

    // Transfer to a queue: Redirect of the caller's channel; to a seat: BlindTransfer from the agent's channel.
    let r = ask(&bridge, PbxAction::Transfer { key: c11(), to_agent: None, to_queue: Some(q("support")) });
    assert_eq!(outcome(r).await, Ok(()));
    assert_eq!(
        server.next_action().await.fields(),
        [
            ("Action", "Redirect"),
            ("Channel", "PJSIP/trunk-00000011"),
            ("Exten", "6000"),
            ("Context", "queues"),
            ("Priority", "1")
        ]
    );
    let r = ask(&bridge, PbxAction::Transfer { key: c11(), to_agent: Some(AgentId(3)), to_queue: None });
    assert_eq!(outcome(r).await, Ok(()));
    assert_eq!(
        server.next_action().await.fields(),
        [("Action", "BlindTransfer"), ("Channel", "PJSIP/1002-00000013"), ("Exten", "1003"), ("Context", "agents")]
    );

    // Alice answers a call through her Local/ interface: her device channel is a Local one.
    server.send_raw(
        "Event: AgentConnect\r\nQueue: support\r\nChannel: PJSIP/trunk-20\r\nUniqueid: 20.20\r\nLinkedid: 20.20\r\n\
         DestChannel: Local/1001@agents-00000009;1\r\nInterface: Local/1001@agents/n\r\nMemberName: Alice\r\n\r\n",
    );
    assert_eq!(recv(&mut bridge).await, Observation::CallAnswered { key: CallKey("20.20".into()), agent: AgentId(1) });

    // Refused before anything is sent, each with a sentence.
    let unknown_call = CallKey("9.9".into());
    let cases = [
        (
            PbxAction::Spy {
                key: unknown_call.clone(),
                agent: AgentId(2),
                supervisor: "sam".into(),
                mode: SupervisorMode::Monitor,
            },
            "no AgentConnect seen",
        ),
        (
            PbxAction::Spy { key: c11(), agent: AgentId(2), supervisor: "nobody".into(), mode: SupervisorMode::Barge },
            "nobody has no device",
        ),
        (PbxAction::StopSpy { key: c11(), supervisor: "sam".into() }, "no spy leg of sam"),
        (
            PbxAction::Spy {
                key: CallKey("20.20".into()),
                agent: AgentId(1),
                supervisor: "sam".into(),
                mode: SupervisorMode::Monitor,
            },
            "a Local channel ChanSpy cannot listen to",
        ),
        (PbxAction::Transfer { key: c11(), to_agent: None, to_queue: Some(q("sales")) }, "no transfer target"),
        (PbxAction::SetState { agent: AgentId(2), state: AgentState::OnCall, reason: String::new() }, "only available"),
    ];
    for (action, says) in cases {
        let what = format!("{action:?}");
        let e = outcome(ask(&bridge, action)).await.expect_err(&what);
        assert!(e.contains(says), "{what}: {e}");
    }
    // The next action the server sees is the next one accepted: the refused ones sent nothing.
    let r =
        ask(&bridge, PbxAction::SetState { agent: AgentId(1), state: AgentState::Available, reason: String::new() });
    assert_eq!(outcome(r).await, Ok(()));
    assert_eq!(
        server.next_action().await.fields(),
        [("Action", "QueuePause"), ("Interface", "Local/1001@agents/n"), ("Paused", "false")]
    );
}

#[tokio::test]
async fn a_refused_action_comes_back_with_the_pbx_message() {
    let script =
        synthetic().live_until("AgentConnect", 1).answer("QueuePause", Answer::Error("Interface not found".into()));
    let server = AmiReplay::start(vec![script]).await;
    let mut bridge = spawn(config(&server, SECRET), roster());
    recv_until(&mut bridge, is_answered).await;
    let r = ask(&bridge, PbxAction::SetState { agent: AgentId(3), state: AgentState::Break, reason: "Lunch".into() });
    assert_eq!(outcome(r).await, Err("the PBX refused QueuePause: Interface not found".to_string()));
}

#[tokio::test]
async fn a_refused_spy_is_not_credited_to_the_supervisor() {
    let script =
        synthetic().live_until("AgentConnect", 1).answer("Originate", Answer::Error("Channel not found".into()));
    let server = AmiReplay::start(vec![script]).await;
    let mut bridge = spawn(config(&server, SECRET), roster());
    recv_until(&mut bridge, is_answered).await;
    let r = ask(
        &bridge,
        PbxAction::Spy { key: c11(), agent: AgentId(2), supervisor: "sam".into(), mode: SupervisorMode::Barge },
    );
    assert_eq!(outcome(r).await, Err("the PBX refused Originate: Channel not found".to_string()));
    server.send_raw(
        "Event: ChanSpyStart\r\nSpyerChannel: PJSIP/2000-00000020\r\nSpyeeChannel: PJSIP/1002-00000013\r\n\
         SpyeeLinkedid: 1765020100.11\r\n\r\n",
    );
    assert_eq!(
        recv(&mut bridge).await,
        Observation::SpyStarted { key: c11(), supervisor: "PJSIP/2000".into(), mode: SupervisorMode::Monitor },
        "a leg nobody here asked for (any more) is the device's, as monitor"
    );
}

#[tokio::test]
async fn the_bridge_recovers_after_the_link_drops_mid_frame() {
    let first = synthetic().live_until("AgentConnect", 1).answer("QueuePause", Answer::Silent);
    // After the restart Bob is on a break and the waiting caller is gone.
    let mut second = synthetic();
    second.live.clear();
    // Bob's call is still up after the restart: its caller's channel is listed.
    second.channels = vec![("PJSIP/trunk-00000011".into(), "1765020100.11".into(), "1765020100.11".into())];
    second.snapshot.retain(|b| ami_replay::field(b, "Event") != Some("QueueEntry"));
    for b in &mut second.snapshot {
        if ami_replay::field(b, "Name") == Some("Bob") {
            for (k, v) in b.iter_mut() {
                match k.as_str() {
                    "Paused" => *v = "1".into(),
                    "PausedReason" => *v = "Training".into(),
                    _ => {}
                }
            }
        }
    }
    let mut server = AmiReplay::start(vec![first, second]).await;
    let mut bridge = spawn(config(&server, SECRET), roster());
    recv_until(&mut bridge, is_answered).await;
    health_until(&mut bridge, "connected", |h| h.connected).await;
    handshake(&mut server).await;

    let pending = ask(&bridge, PbxAction::SetState { agent: AgentId(2), state: AgentState::Break, reason: "x".into() });
    assert_eq!(server.next_action().await.name(), "QueuePause", "sent, and left unanswered");
    // Half an event, then the link is cut.
    server.send_raw("Event: QueueCallerJoin\r\nQueue: supp");
    server.drop_link();

    let e = outcome(pending).await.expect_err("the pending action fails when the link drops");
    assert!(e.contains("dropped before it answered QueuePause"), "{e}");
    // The half event never became an observation: the next thing is the new link's snapshot.
    let Observation::Snapshot(snap) = recv(&mut bridge).await else { panic!("a fresh snapshot after the reconnect") };
    let calls: Vec<(CallKey, Option<AgentId>)> = snap.calls.iter().map(|c| (c.key.clone(), c.agent)).collect();
    assert_eq!(calls, [(c11(), Some(AgentId(2)))], "the waiting caller is gone; Bob's call, still up, stays his");
    let bob = snap.agents.iter().find(|a| a.agent == AgentId(2)).map(|a| (a.state, a.reason.clone()));
    assert_eq!(bob, Some((AgentState::Break, Some("Training".into()))));
    let h = health_until(&mut bridge, "connected again", |h| h.connected && h.reconnects == 1).await;
    assert!(h.error.is_none() && h.since.is_some(), "{h:?}");
    handshake(&mut server).await;
    assert_eq!(server.connections(), 2);
}

#[tokio::test]
async fn a_refused_login_is_reported_without_the_secret_and_retried() {
    let mut server = AmiReplay::start(vec![synthetic()]).await;
    let mut bridge = spawn(config(&server, "wrong-secret"), roster());
    let h = health_until(&mut bridge, "an error", |h| h.error.is_some()).await;
    assert_eq!(h.error.as_deref(), Some("the PBX refused the login for cf: Authentication failed"));
    assert!(!h.connected);
    // It keeps trying, with backoff.
    assert_eq!(server.next_action().await.name(), "Login");
    assert_eq!(server.next_action().await.name(), "Login");
    // Actions meanwhile are refused with the reason.
    let e = outcome(ask(&bridge, PbxAction::StopSpy { key: c11(), supervisor: "sam".into() }))
        .await
        .expect_err("not connected");
    assert!(e.contains("not connected") && e.contains("refused the login"), "{e}");
    assert!(!e.contains("wrong-secret"));
}

#[tokio::test]
async fn unanswered_pings_mark_the_link_stale_and_it_reconnects() {
    let deaf = synthetic().answer("Ping", Answer::Silent);
    let mut server = AmiReplay::start(vec![deaf, synthetic()]).await;
    let mut cfg = config(&server, SECRET);
    cfg.ping_interval = Duration::from_millis(20);
    cfg.action_timeout = Duration::from_millis(200);
    let mut bridge = spawn(cfg, roster());
    assert!(matches!(recv(&mut bridge).await, Observation::Snapshot(_)));
    let h = health_until(&mut bridge, "a second link", |h| h.connected && h.reconnects == 1).await;
    assert!(h.error.is_none(), "{h:?}");
    let second = recv_until(&mut bridge, |o| matches!(o, Observation::Snapshot(_))).await;
    assert!(matches!(second.last(), Some(Observation::Snapshot(_))));
    assert!(server.connections() >= 2);
    let _ = server.drain_actions();
}

#[tokio::test]
async fn garbage_unknown_events_and_partial_frames_are_counted_not_fatal() {
    let mut script = synthetic();
    script.live.clear();
    let server = AmiReplay::start(vec![script]).await;
    let mut bridge = spawn(config(&server, SECRET), roster());
    assert!(matches!(recv(&mut bridge).await, Observation::Snapshot(_)));
    let before = bridge.health.borrow().clone();
    server.send_raw("this is not a header\r\n\r\n\x00\x01\x02 binary\r\n\r\nEvent: SomethingNew\r\nX: 1\r\n\r\n");
    server.send_raw("Event: AgentConnect\r\nQueue: support\r\n\r\n"); // no channel: malformed
    // A join split across two writes.
    server.send_raw("Event: QueueCallerJoin\r\nQueue: support\r\nChannel: PJSIP/trunk-9\r\nUniq");
    server.send_raw("ueid: 9.9\r\nLinkedid: 9.9\r\nCallerIDNum: 555\r\n\r\n");
    assert_eq!(
        recv(&mut bridge).await,
        Observation::CallQueued { key: CallKey("9.9".into()), caller: "555".into(), queue: q("support") }
    );
    let h = health_until(&mut bridge, "the counters", |h| {
        h.unknown > before.unknown && h.malformed >= before.malformed + 2
    })
    .await;
    assert!(h.connected && h.reconnects == 0, "{h:?}");
}

#[tokio::test]
async fn a_pbx_that_will_not_list_its_channels_still_gives_a_snapshot() {
    // Refused (the manager user lacks `reporting`), or answered without a list (an older or stand-in PBX).
    for answer in [Answer::Error("Permission denied".into()), Answer::Success] {
        let script = synthetic().live_until("QueueCallerJoin", 1).answer("CoreShowChannels", answer.clone());
        let server = AmiReplay::start(vec![script]).await;
        let mut bridge = spawn(config(&server, SECRET), roster());
        assert!(matches!(recv(&mut bridge).await, Observation::Snapshot(_)), "{answer:?}");
        assert!(matches!(recv(&mut bridge).await, Observation::CallQueued { .. }), "{answer:?}: live events follow");
        let h = health_until(&mut bridge, "connected", |h| h.connected).await;
        assert_eq!(h.reconnects, 0, "{answer:?}");
    }
}

#[tokio::test]
async fn a_snapshot_that_never_completes_ends_the_link_and_it_is_tried_again() {
    // The first PBX answers QueueStatus but never sends QueueStatusComplete.
    let mut stuck = synthetic();
    stuck.snapshot.retain(|b| ami_replay::field(b, "Event") != Some("QueueStatusComplete"));
    stuck.live.clear();
    let server = AmiReplay::start(vec![stuck, synthetic()]).await;
    let mut cfg = config(&server, SECRET);
    cfg.action_timeout = Duration::from_millis(300);
    let mut bridge = spawn(cfg, roster());
    let Observation::Snapshot(snap) = recv(&mut bridge).await else { panic!("the second link's snapshot") };
    assert_eq!(snap.agents.len(), 3);
    assert!(server.connections() >= 2, "the stuck link was given up");
    let h = health_until(&mut bridge, "connected", |h| h.connected).await;
    assert_eq!(h.reconnects, 0, "the first link never came up, so this is no reconnect");
}
