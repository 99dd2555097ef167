//! A PBX-fed floor served over WebSocket (issue 10), with the test standing in for the bridge: observations in,
//! actions out. What a supervisor sees: an ack when the PBX accepted an action, the floor changing when the PBX
//! reports it, the PBX's refusal as `pbx_refused`, a refusal at once while the link is down, and the link's health in
//! metrics frames.

#[path = "support/served.rs"]
mod served;

use std::path::Path;
use std::time::Duration;

use callfloor::bridge::{self, BridgeEnds, CallKey, Observation, PbxAction};
use callfloor::engine::Engine;
use callfloor::engine::server::{self, Pacing, ServerConfig, ServerHandle, TokenEntry, Tokens};
use callfloor::engine::sim::scenario::FloorDescription;
use callfloor::model::*;
use futures_util::SinkExt;
use serde_json::json;
use served::*;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

const ANA: &str = "supervisor-token-0001";

async fn start() -> (ServerHandle, BridgeEnds) {
    let Ok(d) = FloorDescription::load(Path::new("floors/asterisk-example.toml")) else { panic!("example floor") };
    let engine = Engine::with_source(d, 1, chrono::Utc::now());
    let (bridge, ends) = bridge::channel("ami", "pbx.test:5038");
    let tokens =
        Tokens::from_entries(vec![TokenEntry { name: "ana".into(), token: ANA.into(), role: Role::Supervisor }]);
    let mut cfg = ServerConfig::new(tokens, Pacing::Manual);
    cfg.metrics_every = Duration::from_millis(20);
    let Ok(listener) = TcpListener::bind("127.0.0.1:0").await else { panic!("bind") };
    match server::serve_source(listener, engine, cfg, Some(bridge)).await {
        Ok(s) => (s, ends),
        Err(e) => panic!("the server must start: {e:#}"),
    }
}

async fn hello(url: &str) -> Ws {
    let Ok(Ok((mut ws, _))) = tokio::time::timeout(GUARD, tokio_tungstenite::connect_async(url)).await else {
        panic!("cannot connect to {url}")
    };
    let hello = json!({"type": "hello", "protocol": 1, "token": ANA}).to_string();
    assert!(ws.send(Message::text(hello)).await.is_ok());
    assert_eq!(next_json(&mut ws).await["type"], "welcome");
    assert_eq!(next_json(&mut ws).await["type"], "snapshot");
    ws
}

async fn observe(ends: &BridgeEnds, obs: Observation) {
    assert!(guard("observation", ends.observations.send(obs)).await.is_ok(), "the hub takes observations");
}

fn key(s: &str) -> CallKey {
    CallKey(s.into())
}

/// A call answered by Bob, through the bridge.
async fn connected(server: &ServerHandle, ends: &BridgeEnds, k: &str) -> CallId {
    let bob = AgentId(2);
    observe(ends, Observation::AgentState { agent: bob, state: AgentState::Available, reason: None }).await;
    let queue = QueueId::new("support");
    observe(ends, Observation::CallQueued { key: key(k), caller: "+1 555 0100".into(), queue }).await;
    observe(ends, Observation::CallAnswered { key: key(k), agent: bob }).await;
    let f = floor_until(server, "the call is connected", |f| {
        f.calls.values().any(|c| c.state == CallState::Connected && c.agent == Some(bob))
    })
    .await;
    let Some(id) = f.calls.keys().next().copied() else { panic!("a call") };
    id
}

#[tokio::test]
async fn a_barge_is_acked_when_the_pbx_accepts_and_shown_when_the_pbx_reports_it() {
    let (server, mut ends) = start().await;
    ends.health.send_modify(|h| h.connected = true);
    let call = connected(&server, &ends, "1733.7").await;
    let mut ws = hello(&server.url()).await;
    command(&mut ws, "b1", json!({"type": "barge", "call": call})).await;
    let Some(req) = guard("the action reaches the bridge", ends.actions.recv()).await else { panic!("an action") };
    assert_eq!(
        req.action,
        PbxAction::Spy { key: key("1733.7"), agent: AgentId(2), supervisor: "ana".into(), mode: SupervisorMode::Barge }
    );
    let f = floor_until(&server, "the floor", |_| true).await;
    assert!(f.calls[&call].supervisors.is_empty(), "nothing shows before the PBX reports the leg");
    assert!(req.reply.send(Ok(())).is_ok());
    let reply = next_reply(&mut ws).await;
    assert_eq!((reply["type"].as_str(), reply["id"].as_str()), (Some("ack"), Some("b1")), "{reply}");
    observe(
        &ends,
        Observation::SpyStarted { key: key("1733.7"), supervisor: "ana".into(), mode: SupervisorMode::Barge },
    )
    .await;
    let f = floor_until(&server, "ana on the call", |f| !f.calls[&call].supervisors.is_empty()).await;
    assert_eq!(f.calls[&call].supervisors[0].mode, SupervisorMode::Barge);
    let audit = f.audit.iter().rev().find(|a| a.command.contains("barge")).map(|a| (a.ok, a.outcome.clone()));
    assert_eq!(audit, Some((true, "ok: sent to the PBX".to_string())));
    let _ = server.shutdown().await;
}

#[tokio::test]
async fn the_pbxs_refusal_reaches_the_supervisor_as_one_sentence() {
    let (server, mut ends) = start().await;
    ends.health.send_modify(|h| h.connected = true);
    let mut ws = hello(&server.url()).await;
    observe(&ends, Observation::AgentState { agent: AgentId(1), state: AgentState::Available, reason: None }).await;
    floor_until(&server, "Alice available", |f| f.agents[&AgentId(1)].state == AgentState::Available).await;
    command(&mut ws, "p1", json!({"type": "set_agent_state", "agent": "A-1", "state": "break"})).await;
    let Some(req) = guard("the action", ends.actions.recv()).await else { panic!("an action") };
    assert!(matches!(req.action, PbxAction::SetState { agent: AgentId(1), state: AgentState::Break, .. }));
    assert!(req.reply.send(Err("the PBX refused QueuePause: Interface not found".into())).is_ok());
    let reply = next_reply(&mut ws).await;
    assert_eq!(reply["code"], "pbx_refused", "{reply}");
    assert_eq!(reply["message"], "the PBX refused QueuePause: Interface not found");
    let f = floor_until(&server, "the floor", |_| true).await;
    assert_eq!(f.agents[&AgentId(1)].state, AgentState::Available, "the seat did not change");
    let _ = server.shutdown().await;
}

#[tokio::test]
async fn with_the_link_down_a_command_is_refused_at_once_and_nothing_is_sent() {
    let (server, mut ends) = start().await;
    ends.health.send_modify(|h| {
        h.connected = true;
    });
    let call = connected(&server, &ends, "9.1").await;
    ends.health.send_modify(|h| {
        h.connected = false;
        h.error = Some("connection refused".into());
    });
    let mut ws = hello(&server.url()).await;
    command(&mut ws, "m1", json!({"type": "monitor", "call": call})).await;
    let reply = next_reply(&mut ws).await;
    assert_eq!(reply["code"], "pbx_refused", "{reply}");
    let msg = reply["message"].as_str().unwrap_or_default();
    assert!(msg.contains("pbx.test:5038 is down (connection refused)") && msg.contains("not sent"), "{msg}");
    assert!(ends.actions.try_recv().is_err(), "nothing went to the bridge");
    let _ = server.shutdown().await;
}

#[tokio::test]
async fn metrics_frames_carry_the_links_health_and_the_dropped_observations() {
    let (server, ends) = start().await;
    ends.health.send_modify(|h| {
        h.connected = true;
        h.frames = 42;
        h.unknown = 3;
    });
    observe(&ends, Observation::CallAnswered { key: key("never-seen"), agent: AgentId(1) }).await;
    let mut ws = hello(&server.url()).await;
    let source = guard("a metrics frame with the source", async {
        loop {
            let v = next_json(&mut ws).await;
            if v["type"] == "metrics" && v["source"]["out_of_order"] == 1 {
                return v["source"].clone();
            }
        }
    })
    .await;
    assert_eq!(source["kind"], "ami");
    assert_eq!(source["target"], "pbx.test:5038");
    assert_eq!(source["connected"], true);
    assert_eq!((source["frames"].as_u64(), source["unknown"].as_u64()), (Some(42), Some(3)));
    let _ = server.shutdown().await;
}
