//! End to end on FreeSWITCH: the replay server (the real event socket wire format on loopback TCP) → the ESL bridge
//! → the engine fed by floors/freeswitch-example.toml → a supervisor over WebSocket. The floor after the fixture's
//! replay, and a barge from the console reaching FreeSWITCH as an originate of an eavesdrop leg, shown when
//! FreeSWITCH reports the leg. No sleeps: waits are on the engine's floor, with a guard timeout for failures.

#[path = "support/esl_replay.rs"]
mod esl_replay;

#[path = "support/served.rs"]
mod served;

use std::path::Path;
use std::time::Duration;

use callfloor::bridge::esl::{self, EslConfig};
use callfloor::bridge::{self, Secret};
use callfloor::engine::Engine;
use callfloor::engine::server::{self, Pacing, ServerConfig, ServerHandle, TokenEntry, Tokens};
use callfloor::engine::sim::scenario::FloorDescription;
use callfloor::model::*;
use esl_replay::{Conn, Replay, fixture_api_body, fixture_events, plain_event};
use futures_util::SinkExt;
use serde_json::json;
use served::*;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

const ANA: &str = "supervisor-token-0001";
const PASSWORD: &str = "ClueCon-test";
const FIXTURE: &str = include_str!("fixtures/esl/synthetic-callcenter.txt");
const TIERS: &str = "queue|agent|state|level|position\nsupport@default|1001@default|Ready|1|1\n\
                     support@default|1002@default|Ready|1|2\n+OK\n";
const LAST_LIST: &str = "callcenter_config queue list tiers support@default";

/// The engine on the FreeSWITCH example floor, fed by the real ESL bridge connected to `replay`.
async fn start(replay: &Replay) -> ServerHandle {
    let Ok(d) = FloorDescription::load(Path::new("floors/freeswitch-example.toml")) else { panic!("example floor") };
    let engine = Engine::with_source(d, 1, chrono::Utc::now());
    let mut config = EslConfig::new("127.0.0.1", replay.addr.port(), Secret::new(PASSWORD));
    config.leg_prefix = "test".into();
    let (bridge, ends) = bridge::channel("esl", &config.target());
    esl::spawn(config, engine.roster(), ends);
    let tokens =
        Tokens::from_entries(vec![TokenEntry { name: "ana".into(), token: ANA.into(), role: Role::Supervisor }]);
    let mut cfg = ServerConfig::new(tokens, Pacing::Manual);
    cfg.metrics_every = Duration::from_millis(20);
    let Ok(listener) = TcpListener::bind("127.0.0.1:0").await else { panic!("bind") };
    match server::serve_source(listener, engine, cfg, Some(bridge)).await {
        Ok(s) => s,
        Err(e) => panic!("the server must start: {e:#}"),
    }
}

#[tokio::test]
async fn the_fixtures_calls_reach_the_served_floor_through_the_esl_bridge() {
    let (events, _) = fixture_events(FIXTURE);
    let conn = Conn::new(PASSWORD)
        .answer("callcenter_config queue list agents support@default", &fixture_api_body(FIXTURE))
        .answer(LAST_LIST, TIERS)
        .then_send(LAST_LIST, events);
    let replay = Replay::start(vec![conn]).await;
    let server = start(&replay).await;
    // The seats' last states come after the calls end in the fixture: wait for the whole replay, not the calls only.
    let f = floor_until(&server, "both calls over and the seats settled", |f| {
        f.recent.len() == 2
            && f.calls.is_empty()
            && f.agents.get(&AgentId(1)).is_some_and(|a| a.state == AgentState::Break)
            && f.agents.get(&AgentId(2)).is_some_and(|a| a.state == AgentState::Available)
    })
    .await;
    let outcomes: Vec<_> = f.recent.iter().map(|c| (c.state, c.agent)).collect();
    assert_eq!(outcomes, vec![(CallState::Ended, Some(AgentId(2))), (CallState::Abandoned, None)]);
    assert_eq!(f.agents[&AgentId(1)].state, AgentState::Break, "1001 went on break last");
    assert_eq!(f.agents[&AgentId(2)].state, AgentState::Available, "1002 is waiting again");
    let _ = server.shutdown().await;
}

#[tokio::test]
async fn a_barge_from_the_console_becomes_an_eavesdrop_leg_shown_when_freeswitch_reports_it() {
    let caller = "b77c49c2-a732-11df-9438-e7d9456f8886";
    let leg = "7acfecd3-ab50-470b-8875-d37aba0429ba";
    let cc = |more: &[(&str, &str)]| {
        let mut h = vec![("Event-Name", "CUSTOM"), ("Event-Subclass", "callcenter::info")];
        h.extend_from_slice(more);
        plain_event(&h, None)
    };
    let answered = [
        cc(&[
            ("CC-Action", "member-queue-start"),
            ("CC-Queue", "support@default"),
            ("CC-Member-Session-UUID", caller),
            ("CC-Member-CID-Number", "+15550111"),
        ]),
        cc(&[
            ("CC-Action", "bridge-agent-start"),
            ("CC-Queue", "support@default"),
            ("CC-Agent", "1002@default"),
            ("CC-Agent-UUID", leg),
            ("CC-Member-Session-UUID", caller),
        ]),
    ]
    .concat();
    let eavesdrop = plain_event(
        &[
            ("Event-Name", "CHANNEL_EXECUTE"),
            ("Unique-ID", "test-1"),
            ("Application", "eavesdrop"),
            ("Application-Data", leg),
            ("variable_callfloor_supervisor", "ana"),
            ("variable_eavesdrop_whisper_aleg", "true"),
            ("variable_eavesdrop_whisper_bleg", "true"),
        ],
        None,
    );
    let agents = "name|status|state\n1001@default|Available|Waiting\n1002@default|Available|Waiting\n+OK\n";
    let conn = Conn::new(PASSWORD)
        .answer("callcenter_config queue list agents support@default", agents)
        .answer(LAST_LIST, TIERS)
        .then_send(LAST_LIST, answered)
        .answer("originate ", "+OK test-1\n")
        .then_send("originate ", eavesdrop);
    let replay = Replay::start(vec![conn]).await;
    let server = start(&replay).await;
    let f = floor_until(&server, "Bob on the call", |f| {
        f.calls.values().any(|c| c.state == CallState::Connected && c.agent == Some(AgentId(2)))
    })
    .await;
    let Some(call) = f.calls.keys().next().copied() else { panic!("a call") };

    let url = server.url();
    let Ok(Ok((mut ws, _))) = tokio::time::timeout(GUARD, tokio_tungstenite::connect_async(url.as_str())).await else {
        panic!("cannot connect to {url}")
    };
    let hello = json!({"type": "hello", "protocol": 1, "token": ANA}).to_string();
    assert!(ws.send(Message::text(hello)).await.is_ok());
    let barge = json!({"type": "command", "id": "b1", "command": {"type": "barge", "call": call}});
    assert!(ws.send(Message::text(barge.to_string())).await.is_ok());
    let reply = loop {
        let v = next_json(&mut ws).await;
        if matches!(v["type"].as_str(), Some("ack" | "error")) {
            break v;
        }
    };
    assert_eq!((reply["type"].as_str(), reply["id"].as_str()), (Some("ack"), Some("b1")), "{reply}");
    let f =
        floor_until(&server, "ana barging", |f| f.calls.get(&call).is_some_and(|c| !c.supervisors.is_empty())).await;
    let s = &f.calls[&call].supervisors[0];
    assert_eq!((s.supervisor.as_str(), s.mode), ("ana", SupervisorMode::Barge));
    let originate = replay.commands(0).into_iter().find(|c| c.starts_with("bgapi originate"));
    assert_eq!(
        originate,
        Some(format!(
            "bgapi originate {{origination_uuid=test-1,callfloor_supervisor=ana,eavesdrop_enable_dtmf=false,\
             eavesdrop_whisper_aleg=true,eavesdrop_whisper_bleg=true}}user/2000 &eavesdrop({leg})"
        ))
    );
    let _ = server.shutdown().await;
}
