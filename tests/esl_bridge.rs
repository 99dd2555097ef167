//! The FreeSWITCH ESL bridge against a replay server speaking the real event socket wire format over TCP: the
//! observations a replay gives, the exact commands each action sends, a refusal's sentence, and recovery after the
//! link is cut mid-frame. No sleeps: every wait is on a channel, with a guard timeout only for failures.

#[path = "support/esl_replay.rs"]
mod esl_replay;

use std::time::Duration;

use callfloor::bridge::esl::{self, EslConfig};
use callfloor::bridge::{
    self, ActionRequest, Bridge, CallKey, EndReason, Observation, PbxAction, PbxSnapshot, Roster, RosterAgent,
    RosterQueue, RosterSupervisor, Secret, SnapshotAgent, SnapshotCall, SourceStatus,
};
use callfloor::model::{AgentId, AgentState, QueueId, SupervisorMode};
use esl_replay::{Conn, Replay, fixture_api_body, fixture_events, plain_event};
use tokio::sync::oneshot;

const GUARD: Duration = Duration::from_secs(30);
const PASSWORD: &str = "s3cret-ClueCon";
const FIXTURE: &str = include_str!("fixtures/esl/synthetic-callcenter.txt");
const CALLER: &str = "b77c49c2-a732-11df-9438-e7d9456f8886";
const AGENT_LEG: &str = "7acfecd3-ab50-470b-8875-d37aba0429ba";
const SUBSCRIBE: &str = "event plain CHANNEL_HOLD CHANNEL_UNHOLD CHANNEL_EXECUTE CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB \
                         CUSTOM callcenter::info";
const TIERS: &str = "queue|agent|state|level|position\nsupport@default|1001@default|Ready|1|1\n\
                     support@default|1002@default|Ready|1|2\n+OK\n";
const NO_MEMBERS: &str = "queue|instance_id|uuid|session_uuid|cid_number|cid_name|system_epoch|joined_epoch|\
                          rejoined_epoch|bridge_epoch|abandoned_epoch|base_score|skill_score|serving_agent|\
                          serving_system|state\n+OK\n";

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

fn config(replay: &Replay) -> EslConfig {
    let mut c = EslConfig::new("127.0.0.1", replay.addr.port(), Secret::new(PASSWORD));
    c.backoff_min = Duration::from_millis(5);
    c.backoff_max = Duration::from_millis(20);
    c.leg_prefix = "test".into();
    c
}

/// The snapshot commands for the roster's two queues, after the subscription (the sales queue answers `+OK`: empty).
fn snapshot_commands() -> Vec<String> {
    let mut v = vec![format!("auth {PASSWORD}"), SUBSCRIBE.to_string()];
    for q in ["support@default", "sales@default"] {
        for what in ["agents", "members", "tiers"] {
            v.push(format!("api callcenter_config queue list {what} {q}"));
        }
    }
    v
}

/// A connection whose snapshot is the fixture's agent table, no callers and the two tiers of `support`.
fn conn() -> Conn {
    Conn::new(PASSWORD)
        .answer("callcenter_config queue list agents support@default", &fixture_api_body(FIXTURE))
        .answer("callcenter_config queue list members support@default", NO_MEMBERS)
        .answer("callcenter_config queue list tiers support@default", TIERS)
}

fn start(replay: &Replay) -> Bridge {
    let (bridge, ends) = bridge::channel("esl", &config(replay).target());
    esl::spawn(config(replay), roster(), ends);
    bridge
}

async fn next(bridge: &mut Bridge) -> Observation {
    match tokio::time::timeout(GUARD, bridge.observations.recv()).await {
        Ok(Some(o)) => o,
        other => panic!("no observation from the bridge within {GUARD:?}: {other:?}"),
    }
}

async fn health(bridge: &mut Bridge, what: &str, f: impl Fn(&SourceStatus) -> bool) -> SourceStatus {
    let found = match tokio::time::timeout(GUARD, bridge.health.wait_for(|s| f(s))).await {
        Ok(Ok(s)) => Some(s.clone()),
        _ => None,
    };
    found.unwrap_or_else(|| panic!("the health line never showed {what}: {:?}", bridge.health.borrow()))
}

async fn act(bridge: &Bridge, action: PbxAction) -> Result<(), String> {
    let (reply, rx) = oneshot::channel();
    bridge.actions.send(ActionRequest { action, reply }).await.expect("the bridge takes actions");
    match tokio::time::timeout(GUARD, rx).await {
        Ok(Ok(r)) => r,
        other => panic!("no answer to the action within {GUARD:?}: {other:?}"),
    }
}

fn seat(id: u32, state: AgentState, reason: Option<&str>) -> SnapshotAgent {
    SnapshotAgent {
        agent: AgentId(id),
        state,
        reason: reason.map(str::to_string),
        queues: vec![QueueId::new("support")],
    }
}

fn agent_state(id: u32, state: AgentState, reason: Option<&str>) -> Observation {
    Observation::AgentState { agent: AgentId(id), state, reason: reason.map(str::to_string) }
}

#[tokio::test]
async fn the_callcenter_replay_gives_the_floor_its_snapshot_and_every_step_of_the_calls() {
    let (events, n) = fixture_events(FIXTURE);
    assert_eq!(n, 19, "the fixture's plain events");
    let replay =
        Replay::start(vec![conn().then_send("callcenter_config queue list tiers sales@default", events)]).await;
    let mut bridge = start(&replay);

    let expected = fixture_floor();
    let mut got = Vec::new();
    for _ in 0..expected.len() {
        got.push(next(&mut bridge).await);
    }
    assert_eq!(got, expected);

    let h = health(&mut bridge, "all 19 events read", |s| s.frames == 19).await;
    assert!(h.connected && h.since.is_some(), "{h:?}");
    assert_eq!((h.kind.as_str(), h.reconnects, h.unknown, h.malformed, &h.error), ("esl", 0, 0, 0, &None));
    assert_eq!(replay.commands(0), snapshot_commands());
}

#[tokio::test]
async fn events_that_arrive_while_the_snapshot_is_read_are_mapped_after_it_in_order() {
    // FreeSWITCH sends the fixture's events right after answering the first snapshot command, before the others.
    let (events, _) = fixture_events(FIXTURE);
    let replay =
        Replay::start(vec![conn().then_send("callcenter_config queue list agents support@default", events)]).await;
    let mut bridge = start(&replay);
    let expected = fixture_floor();
    let mut got = Vec::new();
    for _ in 0..expected.len() {
        got.push(next(&mut bridge).await);
    }
    assert_eq!(got, expected, "the snapshot first, then every event, none lost");
    let h = health(&mut bridge, "all 19 events read", |s| s.frames == 19).await;
    assert_eq!((h.unknown, h.malformed, &h.error), (0, 0, &None));
    assert_eq!(replay.commands(0), snapshot_commands());
}

#[tokio::test]
async fn a_disconnect_notice_ends_the_link_and_the_bridge_comes_back_with_a_fresh_snapshot() {
    let notice = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n";
    let notice =
        format!("Content-Type: text/disconnect-notice\nContent-Length: {}\n\n{notice}", notice.len()).into_bytes();
    let replay =
        Replay::start(vec![conn().then_send("callcenter_config queue list tiers sales@default", notice), conn()]).await;
    let mut bridge = start(&replay);
    assert!(matches!(next(&mut bridge).await, Observation::Snapshot(_)));
    assert!(matches!(next(&mut bridge).await, Observation::Snapshot(_)), "a fresh snapshot after the reconnect");
    let h = health(&mut bridge, "back up after one reconnect", |s| s.connected && s.reconnects == 1).await;
    assert_eq!((h.error, h.malformed), (None, 0));
    assert_eq!(replay.connections(), 2);
    assert_eq!(replay.commands(1), snapshot_commands());
}

/// What the fixture's replay gives: the snapshot, then each step of its two calls.
fn fixture_floor() -> Vec<Observation> {
    let key = CallKey(CALLER.into());
    let second = CallKey("c88d5ad3-b843-11df-9438-e7d9456f8887".into());
    let support = QueueId::new("support");
    vec![
        Observation::Snapshot(PbxSnapshot {
            agents: vec![seat(1, AgentState::Available, None), seat(2, AgentState::Break, Some("On Break"))],
            calls: vec![],
        }),
        // 1002 back from break (its state, Waiting, repeats what the floor knows: nothing new).
        agent_state(2, AgentState::Available, None),
        Observation::CallQueued { key: key.clone(), caller: "+15550111".into(), queue: support.clone() },
        Observation::CallOffered { key: key.clone(), agent: AgentId(1) },
        Observation::CallRingNoAnswer { key: key.clone(), agent: AgentId(1) },
        agent_state(1, AgentState::WrapUp, None),
        Observation::CallOffered { key: key.clone(), agent: AgentId(2) },
        Observation::CallAnswered { key: key.clone(), agent: AgentId(2) },
        agent_state(2, AgentState::OnCall, None),
        Observation::CallHeld { key: key.clone() },
        Observation::CallResumed { key: key.clone() },
        Observation::CallEnded { key: key.clone(), reason: EndReason::Caller },
        agent_state(2, AgentState::Available, None),
        Observation::CallQueued { key: second.clone(), caller: "+15550122".into(), queue: support.clone() },
        Observation::CallAbandoned { key: second },
        agent_state(1, AgentState::Break, Some("On Break")),
    ]
}

/// A connection with one call answered by 1001 on agent leg AGENT_LEG, and a script for every action.
fn action_conn() -> Conn {
    let answered = [
        plain_event(
            &[
                ("Event-Name", "CUSTOM"),
                ("Event-Subclass", "callcenter::info"),
                ("CC-Action", "member-queue-start"),
                ("CC-Queue", "support@default"),
                ("CC-Member-Session-UUID", CALLER),
                ("CC-Member-CID-Number", "+15550111"),
            ],
            None,
        ),
        plain_event(
            &[
                ("Event-Name", "CUSTOM"),
                ("Event-Subclass", "callcenter::info"),
                ("CC-Action", "bridge-agent-start"),
                ("CC-Queue", "support@default"),
                ("CC-Agent", "1001@default"),
                ("CC-Agent-UUID", AGENT_LEG),
                ("CC-Member-Session-UUID", CALLER),
            ],
            None,
        ),
    ]
    .concat();
    let eavesdrop = plain_event(
        &[
            ("Event-Name", "CHANNEL_EXECUTE"),
            ("Unique-ID", "test-1"),
            ("Channel-Name", "sofia/internal/2000@10.0.0.5"),
            ("Application", "eavesdrop"),
            ("Application-Data", AGENT_LEG),
            ("variable_callfloor_supervisor", "sam"),
            ("variable_eavesdrop_whisper_aleg", "true"),
            ("variable_eavesdrop_whisper_bleg", "false"),
        ],
        None,
    );
    let hangup = plain_event(&[("Event-Name", "CHANNEL_HANGUP_COMPLETE"), ("Unique-ID", "test-1")], None);
    conn()
        .then_send("callcenter_config queue list tiers sales@default", answered)
        .answer("callcenter_config tier add sales@default", "-ERR Queue not found!\n")
        .answer("originate {origination_uuid=test-1,", "+OK test-1\n")
        .answer("originate {origination_uuid=test-2,", "-ERR USER_BUSY\n")
        .then_send("originate {origination_uuid=test-1,", eavesdrop)
        .then_send("uuid_kill test-1", hangup)
}

#[tokio::test]
async fn each_action_sends_its_command_and_a_refusal_comes_back_as_the_pbxs_sentence() {
    let replay = Replay::start(vec![action_conn()]).await;
    let mut bridge = start(&replay);
    let key = CallKey(CALLER.into());
    assert!(matches!(next(&mut bridge).await, Observation::Snapshot(_)));
    assert!(matches!(next(&mut bridge).await, Observation::CallQueued { .. }));
    assert_eq!(next(&mut bridge).await, Observation::CallAnswered { key: key.clone(), agent: AgentId(1) });

    let set = PbxAction::SetState { agent: AgentId(1), state: AgentState::Break, reason: "lunch".into() };
    assert_eq!(act(&bridge, set).await, Ok(()));
    let queues = PbxAction::SetQueues {
        agent: AgentId(1),
        add: vec![QueueId::new("sales")],
        remove: vec![QueueId::new("support")],
    };
    assert_eq!(
        act(&bridge, queues).await,
        Err("the PBX refused callcenter_config tier add sales@default 1001@default 1 1: Queue not found!".into())
    );
    let transfer = PbxAction::Transfer { key: key.clone(), to_agent: None, to_queue: Some(QueueId::new("support")) };
    assert_eq!(act(&bridge, transfer).await, Ok(()));
    let whisper =
        PbxAction::Spy { key: key.clone(), agent: AgentId(1), supervisor: "sam".into(), mode: SupervisorMode::Whisper };
    assert_eq!(act(&bridge, whisper).await, Ok(()));
    // The floor changes when FreeSWITCH says the eavesdrop started, not when the originate was accepted.
    assert_eq!(
        next(&mut bridge).await,
        Observation::SpyStarted { key: key.clone(), supervisor: "sam".into(), mode: SupervisorMode::Whisper }
    );
    let stop = PbxAction::StopSpy { key: key.clone(), supervisor: "sam".into() };
    assert_eq!(act(&bridge, stop).await, Ok(()));
    assert_eq!(next(&mut bridge).await, Observation::SpyStopped { key: key.clone(), supervisor: "sam".into() });
    let barge =
        PbxAction::Spy { key: key.clone(), agent: AgentId(1), supervisor: "sam".into(), mode: SupervisorMode::Barge };
    assert_eq!(act(&bridge, barge).await, Err("the PBX refused originate of the listening leg: USER_BUSY".into()));
    // Refused by the bridge itself, before FreeSWITCH: nothing is sent.
    let nobody =
        PbxAction::Spy { key: key.clone(), agent: AgentId(1), supervisor: "eve".into(), mode: SupervisorMode::Monitor };
    assert!(act(&bridge, nobody).await.unwrap_err().contains("eve has no device"));

    let mut expected = snapshot_commands();
    expected.extend([
        "api callcenter_config agent set status 1001@default 'On Break'".to_string(),
        // The tier add was refused: the tier del after it was not sent.
        "api callcenter_config tier add sales@default 1001@default 1 1".to_string(),
        format!("api uuid_transfer {CALLER} 7000 XML default"),
        format!(
            "bgapi originate {{origination_uuid=test-1,callfloor_supervisor=sam,eavesdrop_enable_dtmf=false,\
             eavesdrop_whisper_aleg=true,eavesdrop_whisper_bleg=false}}user/2000 &eavesdrop({AGENT_LEG})"
        ),
        "api uuid_kill test-1".to_string(),
        format!(
            "bgapi originate {{origination_uuid=test-2,callfloor_supervisor=sam,eavesdrop_enable_dtmf=false,\
             eavesdrop_whisper_aleg=true,eavesdrop_whisper_bleg=true}}user/2000 &eavesdrop({AGENT_LEG})"
        ),
    ]);
    assert_eq!(replay.commands(0), expected);
    let h =
        health(&mut bridge, "the last refusal", |s| s.error.as_deref().is_some_and(|e| e.contains("USER_BUSY"))).await;
    assert!(h.connected);
}

#[tokio::test]
async fn a_link_cut_mid_frame_fails_the_pending_action_and_comes_back_with_a_fresh_snapshot() {
    let waiting = "queue|instance_id|uuid|session_uuid|cid_number|cid_name|system_epoch|joined_epoch|rejoined_epoch|\
                   bridge_epoch|abandoned_epoch|base_score|skill_score|serving_agent|serving_system|state\n\
                   support@default|single_box|m9|s9|+15550199|Z|1765020130|1765020100|0|0|0|0|0|||Waiting\n+OK\n";
    let first = conn().cut_on("callcenter_config agent set status");
    let second = Conn::new(PASSWORD)
        .answer(
            "callcenter_config queue list agents support@default",
            "name|status|state\n1001@default|Logged Out|Waiting\n1002@default|Available|Waiting\n+OK\n",
        )
        .answer("callcenter_config queue list members support@default", waiting)
        .answer("callcenter_config queue list tiers support@default", TIERS);
    let replay = Replay::start(vec![first, second]).await;
    let mut bridge = start(&replay);
    assert!(matches!(next(&mut bridge).await, Observation::Snapshot(_)));
    health(&mut bridge, "connected", |s| s.connected).await;

    // FreeSWITCH never answers: half an event frame arrives, then the link is cut.
    let set = PbxAction::SetState { agent: AgentId(2), state: AgentState::Offline, reason: "home".into() };
    let e = act(&bridge, set).await.unwrap_err();
    assert!(
        e.starts_with("the link to FreeSWITCH dropped before it answered callcenter_config agent set status 1002@default 'Logged Out'"),
        "{e}"
    );

    let fresh = next(&mut bridge).await;
    assert_eq!(
        fresh,
        Observation::Snapshot(PbxSnapshot {
            agents: vec![seat(1, AgentState::Offline, Some("Logged Out")), seat(2, AgentState::Available, None)],
            calls: vec![SnapshotCall {
                key: CallKey("s9".into()),
                caller: "+15550199".into(),
                queue: QueueId::new("support"),
                waited_s: 30,
                agent: None,
            }],
        })
    );
    let h = health(&mut bridge, "back up after one reconnect", |s| s.connected && s.reconnects == 1).await;
    assert_eq!((h.error, h.malformed), (None, 0), "the half frame was dropped with the link, not read");
    assert_eq!(replay.connections(), 2);
    assert_eq!(replay.commands(1), snapshot_commands());
}

#[tokio::test]
async fn a_wrong_password_says_where_the_password_goes_and_never_repeats_it() {
    let replay = Replay::start(vec![Conn::new("the-right-one")]).await;
    let mut bridge = start(&replay);
    let h = health(&mut bridge, "an error", |s| s.error.is_some()).await;
    let e = h.error.unwrap_or_default();
    assert!(e.contains("refused the event socket password") && e.contains("CALLFLOOR_ESL_PASSWORD"), "{e}");
    assert!(!e.contains(PASSWORD), "{e}");
    assert!(!h.connected);
    // While the link is down an action is answered at once, not left waiting.
    let set = PbxAction::SetState { agent: AgentId(1), state: AgentState::Break, reason: String::new() };
    assert!(act(&bridge, set).await.unwrap_err().contains("is down"));
}

#[tokio::test]
async fn an_acl_refusal_says_so_and_points_at_the_acl() {
    // FreeSWITCH answers a connection its event socket ACL denies with a rude rejection instead of auth/request.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
    let port = listener.local_addr().expect("local address").port();
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        let body = "Access Denied, go away.\n";
        let frame = format!("Content-Type: text/rude-rejection\nContent-Length: {}\n\n{body}", body.len());
        while let Ok((mut sock, _)) = listener.accept().await {
            let _ = sock.write_all(frame.as_bytes()).await;
            let _ = sock.shutdown().await;
        }
    });
    let mut c = EslConfig::new("127.0.0.1", port, Secret::new(PASSWORD));
    c.backoff_min = Duration::from_secs(3600);
    let (mut bridge, ends) = bridge::channel("esl", &c.target());
    esl::spawn(c, roster(), ends);
    let h = health(&mut bridge, "an error", |s| s.error.is_some()).await;
    let e = h.error.unwrap_or_default();
    assert_eq!(
        e,
        format!(
            "FreeSWITCH at 127.0.0.1:{port} turned the connection away (Access Denied, go away.): check its event \
             socket ACL"
        )
    );
    assert!(!h.connected);
}
