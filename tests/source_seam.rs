//! The Source seam (issue 10): the hub drives a simulated floor and a PBX-fed floor the same way, and the core's
//! checks, answers and audit entries do not depend on which source runs. The same command frames go to a served
//! simulated floor (the hospital scenario) and a served PBX floor (the Asterisk example, the test standing in for the
//! bridge): what a supervisor gets back and what the audit log records must match, except where the PBX, not the
//! engine, carries the command out.

#[path = "support/served.rs"]
mod served;

use std::path::Path;
use std::time::Duration;

use callfloor::bridge::{self, BridgeEnds, Observation, PbxAction};
use callfloor::engine::Engine;
use callfloor::engine::server::{self, Pacing, ServerConfig, ServerHandle, TokenEntry, Tokens};
use callfloor::engine::sim::scenario::{FloorDescription, Scenario};
use callfloor::model::*;
use futures_util::SinkExt;
use serde_json::{Value, json};
use served::*;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

const ANA: &str = "supervisor-token-0001";
const VAL: &str = "viewer-token-00000001";

fn config() -> ServerConfig {
    let tokens = Tokens::from_entries(vec![
        TokenEntry { name: "ana".into(), token: ANA.into(), role: Role::Supervisor },
        TokenEntry { name: "val".into(), token: VAL.into(), role: Role::Viewer },
    ]);
    let mut cfg = ServerConfig::new(tokens, Pacing::Manual);
    cfg.metrics_every = Duration::from_millis(50);
    cfg
}

async fn listener() -> TcpListener {
    match TcpListener::bind("127.0.0.1:0").await {
        Ok(l) => l,
        Err(e) => panic!("bind: {e}"),
    }
}

/// A simulated floor, held at its opening time (manual pacing): every seat on shift is free.
async fn sim_floor() -> ServerHandle {
    let Ok(s) = Scenario::load("hospital") else { panic!("the bundled hospital scenario loads") };
    match server::serve(listener().await, Engine::new(s, 1), config()).await {
        Ok(s) => s,
        Err(e) => panic!("the server must start: {e:#}"),
    }
}

/// A PBX floor whose link is up and whose seat A-01 the PBX reports free.
async fn pbx_floor() -> (ServerHandle, BridgeEnds) {
    let Ok(d) = FloorDescription::load(Path::new("floors/asterisk-example.toml")) else { panic!("example floor") };
    let (bridge, ends) = bridge::channel("ami", "pbx.test:5038");
    let server = match server::serve_source(
        listener().await,
        Engine::with_source(d, 1, chrono::Utc::now()),
        config(),
        Some(bridge),
    )
    .await
    {
        Ok(s) => s,
        Err(e) => panic!("the server must start: {e:#}"),
    };
    ends.health.send_modify(|h| h.connected = true);
    let free = Observation::AgentState { agent: AgentId(1), state: AgentState::Available, reason: None };
    assert!(guard("observation", ends.observations.send(free)).await.is_ok());
    floor_until(&server, "A-01 free", |f| f.agents.get(&AgentId(1)).is_some_and(|a| a.state == AgentState::Available))
        .await;
    (server, ends)
}

async fn hello(url: &str, token: &str) -> Ws {
    let Ok(Ok((mut ws, _))) = tokio::time::timeout(GUARD, tokio_tungstenite::connect_async(url)).await else {
        panic!("cannot connect to {url}")
    };
    let hello = json!({"type": "hello", "protocol": 1, "token": token}).to_string();
    assert!(ws.send(Message::text(hello)).await.is_ok());
    assert_eq!(next_json(&mut ws).await["type"], "welcome");
    assert_eq!(next_json(&mut ws).await["type"], "snapshot");
    ws
}

/// Commands whose outcome the core decides whichever source runs, each with who sends it: refusals of the role
/// check, of the shared floor checks (no such seat, call, alert or ticket; a state a supervisor cannot set) and of the text limits.
fn core_decided() -> Vec<(&'static str, Value)> {
    vec![
        (VAL, json!({"type": "set_agent_state", "agent": "A-01", "state": "break"})),
        (ANA, json!({"type": "set_agent_state", "agent": "A-99", "state": "break"})),
        (ANA, json!({"type": "set_agent_state", "agent": "A-01", "state": "on_call"})),
        (ANA, json!({"type": "monitor", "call": "C-999999"})),
        (ANA, json!({"type": "ack_alert", "alert": "AL-999999"})),
        (ANA, json!({"type": "note", "ticket": "T-999999", "text": "called back"})),
        (ANA, json!({"type": "resolve", "ticket": "T-999999", "note": "x".repeat(5000)})),
    ]
}

/// Sends `commands` in turn; the replies as (type, code, message), and the audit entries they left as (actor, role,
/// command, ok, outcome).
async fn run(server: &ServerHandle, commands: &[(&str, Value)]) -> (Vec<(Value, Value, Value)>, Vec<AuditEntry>) {
    let before = floor_until(server, "the floor", |_| true).await.audit.len();
    let mut replies = Vec::new();
    for (n, (token, cmd)) in commands.iter().enumerate() {
        let mut ws = hello(&server.url(), token).await;
        command(&mut ws, &format!("c{n}"), cmd.clone()).await;
        let r = next_reply(&mut ws).await;
        replies.push((r["type"].clone(), r["code"].clone(), r["message"].clone()));
    }
    let f = floor_until(server, "the audit entries", |f| f.audit.len() >= before + commands.len()).await;
    (replies, f.audit.iter().skip(before).cloned().collect())
}

fn shape(audit: &[AuditEntry]) -> Vec<(String, Role, String, bool, String)> {
    audit.iter().map(|e| (e.actor.clone(), e.role, e.command.clone(), e.ok, e.outcome.clone())).collect()
}

#[tokio::test]
async fn the_core_answers_and_audits_a_command_alike_whichever_source_feeds_the_floor() {
    let sim = sim_floor().await;
    let (pbx, _ends) = pbx_floor().await;
    let commands = core_decided();
    let (sim_replies, sim_audit) = run(&sim, &commands).await;
    let (pbx_replies, pbx_audit) = run(&pbx, &commands).await;
    assert_eq!(sim_replies.len(), commands.len());
    assert!(sim_replies.iter().all(|(t, _, _)| t == "error"), "each is refused: {sim_replies:?}");
    let codes: Vec<&str> = sim_replies.iter().map(|(_, c, _)| c.as_str().unwrap_or_default()).collect();
    assert_eq!(codes, ["forbidden", "not_found", "conflict", "not_found", "not_found", "not_found", "bad_frame"]);
    assert_eq!(sim_replies, pbx_replies, "the same answer, word for word, on either floor");
    assert_eq!(shape(&sim_audit), shape(&pbx_audit), "the same audit entries on either floor");
    assert!(sim_audit.iter().all(|e| !e.ok) && sim_audit.len() == commands.len(), "every refusal is audited");
    let _ = sim.shutdown().await;
    let _ = pbx.shutdown().await;
}

#[tokio::test]
async fn a_seat_command_is_acked_on_either_floor_carried_out_by_whoever_runs_the_calls() {
    let sim = sim_floor().await;
    let (pbx, mut ends) = pbx_floor().await;
    let cmd = json!({"type": "set_agent_state", "agent": "A-01", "state": "break"});

    // Simulated floor: the engine carries it out at once.
    let mut ws = hello(&sim.url(), ANA).await;
    command(&mut ws, "s1", cmd.clone()).await;
    let reply = next_reply(&mut ws).await;
    assert_eq!((reply["type"].as_str(), reply["id"].as_str()), (Some("ack"), Some("s1")), "{reply}");
    let f = floor_until(&sim, "A-01 on break", |f| f.agents[&AgentId(1)].state == AgentState::Break).await;
    let sim_entry = f.audit.back().cloned();

    // PBX floor: the same frame becomes the PBX's action; the ack waits for the PBX, the seat for its report.
    let mut ws = hello(&pbx.url(), ANA).await;
    command(&mut ws, "p1", cmd).await;
    let Some(req) = guard("the action reaches the bridge", ends.actions.recv()).await else { panic!("an action") };
    assert!(matches!(req.action, PbxAction::SetState { agent: AgentId(1), state: AgentState::Break, .. }));
    assert!(req.reply.send(Ok(())).is_ok());
    let reply = next_reply(&mut ws).await;
    assert_eq!((reply["type"].as_str(), reply["id"].as_str()), (Some("ack"), Some("p1")), "{reply}");
    let f =
        floor_until(&pbx, "the audit entry", |f| f.audit.iter().any(|e| e.command.contains("set_agent_state"))).await;
    assert_eq!(f.agents[&AgentId(1)].state, AgentState::Available, "the seat waits for the PBX's own report");
    let pbx_entry = f.audit.back().cloned();

    let who = |e: &Option<AuditEntry>| e.as_ref().map(|e| (e.actor.clone(), e.role, e.command.clone(), e.ok));
    assert_eq!(who(&sim_entry), who(&pbx_entry), "the same audit entry, by the same path");
    assert_eq!(sim_entry.map(|e| e.outcome), Some("ok".to_string()));
    assert_eq!(pbx_entry.map(|e| e.outcome), Some("ok: sent to the PBX".to_string()));
    let _ = sim.shutdown().await;
    let _ = pbx.shutdown().await;
}
