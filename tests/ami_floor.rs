//! End to end on a PBX-fed floor: the AMI bridge against the replay server (the real wire format over TCP), feeding an
//! engine built from floors/asterisk-example.toml, as `callfloor engine --source ami://… --floor …` runs it. Asserts
//! the floor the console would show: calls waiting, answered, abandoned, seats' states, who is spying; and a
//! supervisor's barge over WebSocket going all the way to a ChanSpy Originate and back as the PBX's ChanSpyStart.

#[path = "support/ami_replay.rs"]
mod ami_replay;

#[path = "support/served.rs"]
mod served;

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use ami_replay::{AmiReplay, Script, TIMEOUT};
use callfloor::bridge::ami::{AmiConfig, spawn};
use callfloor::bridge::{Bridge, CallKey, Observation, Roster, Secret};
use callfloor::engine::Engine;
use callfloor::engine::server::{self, Pacing, ServerConfig, TokenEntry, Tokens};
use callfloor::engine::sim::scenario::FloorDescription;
use callfloor::model::*;
use futures_util::SinkExt;
use serde_json::json;
use served::*;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

const SYNTHETIC: &str = include_str!("fixtures/ami/synthetic-queue-flows.txt");
const SECRET: &str = "floor-test-secret";
const ANA: &str = "supervisor-token-0001";

fn engine() -> Engine {
    let d = match FloorDescription::load(Path::new("floors/asterisk-example.toml")) {
        Ok(d) => d,
        Err(e) => panic!("the example floor must load: {e}"),
    };
    Engine::with_source(d, 1, chrono::Utc::now())
}

fn config(server: &AmiReplay) -> AmiConfig {
    let mut c = AmiConfig::new("127.0.0.1", server.addr.port(), "cf", Secret::new(SECRET));
    c.backoff_initial = Duration::from_millis(5);
    c.backoff_max = Duration::from_millis(20);
    c.ping_interval = Duration::from_secs(3600);
    c.action_timeout = TIMEOUT;
    c
}

fn synthetic() -> Script {
    Script::from_fixture("cf", SECRET, SYNTHETIC)
}

fn seat(roster: &Roster, name: &str) -> AgentId {
    match roster.agents.iter().find(|a| a.name == name) {
        Some(a) => a.id,
        None => panic!("no seat {name} in the example floor"),
    }
}

async fn recv(bridge: &mut Bridge) -> Observation {
    match tokio::time::timeout(TIMEOUT, bridge.observations.recv()).await {
        Ok(Some(o)) => o,
        Ok(None) => panic!("the bridge stopped"),
        Err(_) => panic!("no observation within {TIMEOUT:?}"),
    }
}

/// Applies observations to the engine up to and including the first `stop` accepts; returns the floor call each PBX
/// call key stood for (the engine forgets a key once its call ends).
async fn apply_until(
    engine: &mut Engine,
    bridge: &mut Bridge,
    mut stop: impl FnMut(&Observation) -> bool,
) -> HashMap<CallKey, CallId> {
    let mut ids = HashMap::new();
    loop {
        let o = recv(bridge).await;
        let done = stop(&o);
        let key = match &o {
            Observation::CallQueued { key, .. }
            | Observation::CallOffered { key, .. }
            | Observation::CallAnswered { key, .. } => Some(key.clone()),
            _ => None,
        };
        engine.observe(o);
        if let Some(key) = key
            && let Some(id) = engine.call_of_key(&key)
        {
            ids.insert(key, id);
        }
        if done {
            return ids;
        }
    }
}

fn call_by_caller<'a>(f: &'a Floor, caller: &str) -> &'a Call {
    match f.calls.values().find(|c| c.caller == caller) {
        Some(c) => c,
        None => panic!("no live call from {caller}: {:?}", f.calls.values().map(|c| &c.caller).collect::<Vec<_>>()),
    }
}

#[tokio::test]
async fn mid_replay_the_floor_shows_the_waiting_caller_the_answered_call_and_who_listens() {
    let mut engine = engine();
    let roster = engine.roster();
    let server = AmiReplay::start(vec![synthetic().live_until("ChanSpyStart", 1)]).await;
    let mut bridge = spawn(config(&server), roster.clone());
    apply_until(&mut engine, &mut bridge, |o| matches!(o, Observation::SpyStarted { .. })).await;

    let f = engine.floor();
    let (alice, bob, carol) = (seat(&roster, "Alice"), seat(&roster, "Bob"), seat(&roster, "Carol"));
    // Dana has waited in support since before the link came up (the QueueStatus snapshot).
    let dana = call_by_caller(f, "+15550100");
    assert_eq!((dana.state, dana.queue.as_ref().map(QueueId::as_str)), (CallState::Queued, Some("support")));
    let support = f.queues.iter().find(|q| q.id.as_str() == "support").map(|q| q.waiting.len());
    assert_eq!(support, Some(1), "one caller waiting in support");
    // Erin rang Alice (no answer), then Bob picked up; PJSIP/2000 is listening, nobody here asked for it.
    let erin = call_by_caller(f, "+15550111");
    assert_eq!((erin.state, erin.agent, erin.ring_outs), (CallState::Connected, Some(bob), 1));
    let spies: Vec<(&str, SupervisorMode)> = erin.supervisors.iter().map(|p| (p.supervisor.as_str(), p.mode)).collect();
    assert_eq!(spies, [("PJSIP/2000", SupervisorMode::Monitor)]);
    assert_eq!(f.agents[&bob].state, AgentState::OnCall);
    assert_eq!(f.agents[&alice].state, AgentState::Available);
    assert_eq!(f.agents[&carol].state, AgentState::Offline, "Carol's phone is unplugged");
    assert_eq!(engine.out_of_order(), 0, "every observation applied");
}

#[tokio::test]
async fn after_the_whole_replay_the_floor_has_the_answered_abandoned_and_transferred_calls() {
    let mut engine = engine();
    let roster = engine.roster();
    let server = AmiReplay::start(vec![synthetic()]).await;
    let mut bridge = spawn(config(&server), roster.clone());
    let (bob, carol, dave) = (seat(&roster, "Bob"), seat(&roster, "Carol"), seat(&roster, "Dave"));
    // The stream ends with Carol's Status 0–8; the last (8, on hold) reads on_call.
    let mut carol_states = 0;
    let ids = apply_until(&mut engine, &mut bridge, |o| {
        if matches!(o, Observation::AgentState { agent, .. } if *agent == carol) {
            carol_states += 1;
        }
        carol_states == 9
    })
    .await;

    let f = engine.floor();
    let outcome = |key: &str| {
        let Some(id) = ids.get(&CallKey(key.into())).copied() else { panic!("the floor never knew call {key}") };
        f.recent.iter().find(|s| s.id == id).map(|s| (s.state, s.agent))
    };
    assert_eq!(outcome("1765020100.11"), Some((CallState::Ended, Some(bob))), "Erin's call, answered by Bob");
    assert_eq!(outcome("1765020200.15"), Some((CallState::Abandoned, None)), "the caller who hung up waiting");
    assert_eq!(outcome("1765020300.16"), Some((CallState::Ended, Some(bob))));
    // Dana still waits; the transferred call (AgentComplete reason transfer) waits for its next queue or seat.
    assert_eq!(call_by_caller(f, "+15550100").state, CallState::Queued);
    let c18 = ids.get(&CallKey("1765020400.18".into())).copied();
    let c18 = c18.unwrap_or_else(|| panic!("the floor never knew the transferred call"));
    assert!(f.calls.contains_key(&c18), "a transferred call lives on until its next queue or seat, or its hang-up");
    assert!(f.calls.values().all(|c| c.supervisors.is_empty()), "the spy leg ended");
    assert_eq!(f.agents[&bob].state, AgentState::Available, "Bob back from coaching");
    assert_eq!(f.agents[&carol].state, AgentState::OnCall);
    assert!(f.agents[&dave].queues.is_empty(), "Dave left sales on the PBX");
    assert_eq!(engine.out_of_order(), 0);
}

// ---- served: a supervisor's console command all the way to the PBX and back ----

#[tokio::test]
async fn a_barge_from_the_console_rings_a_chanspy_leg_and_the_floor_shows_it_once_the_pbx_reports_it() {
    let engine = engine();
    let roster = engine.roster();
    let bob = seat(&roster, "Bob");
    let first = synthetic().live_until("AgentConnect", 1);
    // After the cut, Erin's call is still up on the PBX.
    let mut second = synthetic();
    second.live.clear();
    second.channels = vec![("PJSIP/trunk-00000011".into(), "1765020100.11".into(), "1765020100.11".into())];
    let mut pbx = AmiReplay::start(vec![first, second]).await;
    let bridge = spawn(config(&pbx), roster);
    let tokens =
        Tokens::from_entries(vec![TokenEntry { name: "ana".into(), token: ANA.into(), role: Role::Supervisor }]);
    let mut cfg = ServerConfig::new(tokens, Pacing::Manual);
    cfg.metrics_every = Duration::from_millis(20);
    let Ok(listener) = TcpListener::bind("127.0.0.1:0").await else { panic!("bind") };
    let served = match server::serve_source(listener, engine, cfg, Some(bridge)).await {
        Ok(s) => s,
        Err(e) => panic!("the server must start: {e:#}"),
    };
    let f = floor_until(&served, "Erin's call with Bob", |f| {
        f.calls.values().any(|c| c.caller == "+15550111" && c.state == CallState::Connected)
    })
    .await;
    let erin = call_by_caller(&f, "+15550111").id;
    assert_eq!(f.calls[&erin].agent, Some(bob));

    let Ok(Ok((mut ws, _))) = tokio::time::timeout(TIMEOUT, tokio_tungstenite::connect_async(served.url())).await
    else {
        panic!("cannot connect to the engine")
    };
    let hello = json!({"type": "hello", "protocol": 1, "token": ANA}).to_string();
    assert!(ws.send(Message::text(hello)).await.is_ok());
    next_of(&mut ws, |v| v["type"] == "snapshot").await;

    command(&mut ws, "b1", json!({"type": "barge", "call": erin})).await;
    let originate = loop {
        let a = pbx.next_action().await;
        if a.name() == "Originate" {
            break a;
        }
    };
    assert_eq!(originate.get("Channel"), Some("PJSIP/2000"), "ana's phone, from the floor description");
    assert_eq!(originate.get("Data"), Some("PJSIP/1002-00000013,qEB"), "Bob's device channel, barge");
    let reply = next_of(&mut ws, |v| matches!(v["type"].as_str(), Some("ack" | "error"))).await;
    assert_eq!((reply["type"].as_str(), reply["id"].as_str()), (Some("ack"), Some("b1")), "{reply}");
    let f = floor_until(&served, "the floor", |_| true).await;
    assert!(f.calls[&erin].supervisors.is_empty(), "nothing shows before the PBX reports the leg");

    pbx.send_raw(
        "Event: ChanSpyStart\r\nSpyerChannel: PJSIP/2000-0000001f\r\nSpyeeChannel: PJSIP/1002-00000013\r\n\
         SpyeeLinkedid: 1765020100.11\r\n\r\n",
    );
    let f = floor_until(&served, "ana on Erin's call", |f| !f.calls[&erin].supervisors.is_empty()).await;
    let spies: Vec<(&str, SupervisorMode)> =
        f.calls[&erin].supervisors.iter().map(|p| (p.supervisor.as_str(), p.mode)).collect();
    assert_eq!(spies, [("ana", SupervisorMode::Barge)]);

    // The link drops mid-frame and comes back: the source line shows the reconnect, and Erin's call, still up on
    // the PBX, is still on the floor with Bob.
    pbx.send_raw("Event: Hangup\r\nChannel: PJSIP/trunk-000");
    pbx.drop_link();
    let source = guard("metrics with the reconnect", async {
        loop {
            let v = next_json(&mut ws).await;
            if v["type"] == "metrics" && v["source"]["reconnects"] == 1 && v["source"]["connected"] == true {
                return v["source"].clone();
            }
        }
    })
    .await;
    assert_eq!(source["kind"], "ami");
    let f = floor_until(&served, "the floor after the reconnect", |_| true).await;
    assert_eq!(f.calls.get(&erin).map(|c| (c.state, c.agent)), Some((CallState::Connected, Some(bob))));
    let _ = served.shutdown().await;
}
