//! PBX event → console latency through the AMI bridge (issue 10).
//!
//! A stand-in Asterisk on loopback (banner, Login, QueueStatus, Ping answered as Asterisk 18 answers them) streams
//! queue events at a steady rate: a `QueueCallerJoin` per new caller and a `QueueCallerAbandon` for an earlier one,
//! in the wire format of the synthetic fixtures. The real bridge (`bridge::ami::client`) reads them, the engine
//! (`Engine::with_source` on floors/asterisk-example.toml, served by `server::serve_source` on its own clock) applies
//! them, and a WebSocket client — what the console runs — receives the events. Latency: from the moment the PBX
//! wrote a caller's join to the moment the client decoded that call's `call_arrived`.
//!
//! Run: `cargo bench --bench bridge` (environment: CALLFLOOR_BENCH_RATE=2000 events/s, CALLFLOOR_BENCH_SECS=10).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use callfloor::bridge::{self, Secret, SourceUrl};
use callfloor::engine::Engine;
use callfloor::engine::server::{self, Pacing, ServerConfig, TokenEntry, Tokens};
use callfloor::engine::sim::clock::Speed;
use callfloor::engine::sim::scenario::FloorDescription;
use callfloor::model::Role;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

const ADMIN: &str = "bench-admin-token-0001";
/// Callers kept waiting: each join is followed, this many joins later, by that caller's abandon.
const WAITING: u64 = 200;

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

type Sent = Arc<Mutex<HashMap<u64, Instant>>>;

fn join(i: u64) -> String {
    format!(
        "Event: QueueCallerJoin\r\nPrivilege: agent,all\r\nChannel: PJSIP/trunk-{i:08x}\r\nChannelState: 6\r\n\
         ChannelStateDesc: Up\r\nCallerIDNum: {i}\r\nCallerIDName: Bench\r\nConnectedLineNum: <unknown>\r\n\
         ConnectedLineName: <unknown>\r\nLanguage: en\r\nAccountCode: \r\nContext: from-trunk\r\nExten: 5000\r\n\
         Priority: 1\r\nUniqueid: 1765020100.{i}\r\nLinkedid: 1765020100.{i}\r\nQueue: support\r\nPosition: 1\r\n\
         Count: 1\r\n\r\n"
    )
}

fn abandon(i: u64) -> String {
    format!(
        "Event: QueueCallerAbandon\r\nPrivilege: agent,all\r\nChannel: PJSIP/trunk-{i:08x}\r\nChannelState: 6\r\n\
         ChannelStateDesc: Up\r\nCallerIDNum: {i}\r\nCallerIDName: Bench\r\nUniqueid: 1765020100.{i}\r\n\
         Linkedid: 1765020100.{i}\r\nQueue: support\r\nPosition: 1\r\nOriginalPosition: 1\r\nHoldTime: 12\r\n\r\n"
    )
}

/// Reads one `Key: Value` message; `None` at EOF.
async fn read_message(r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> Option<HashMap<String, String>> {
    let mut m = HashMap::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            if m.is_empty() {
                continue;
            }
            return Some(m);
        }
        if let Some((k, v)) = line.split_once(':') {
            m.insert(k.trim().to_string(), v.trim().to_string());
        }
    }
}

/// The stand-in PBX: one connection, answered, then `rate` events a second for `secs` seconds.
async fn pbx(listener: TcpListener, rate: u64, secs: u64, sent: Sent) -> u64 {
    let Ok((stream, _)) = listener.accept().await else { panic!("the bridge never connected") };
    let (rd, wr) = stream.into_split();
    let wr = Arc::new(tokio::sync::Mutex::new(wr));
    let mut rd = BufReader::new(rd);
    let _ = wr.lock().await.write_all(b"Asterisk Call Manager/9.0.0\r\n").await;
    // Answers the bridge's actions (Login, QueueStatus, Ping) for as long as the link lives.
    let answers = wr.clone();
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let mut ready = Some(ready_tx);
        while let Some(m) = read_message(&mut rd).await {
            let id = m.get("ActionID").cloned().unwrap_or_default();
            let reply = match m.get("Action").map(String::as_str) {
                Some("Login") => {
                    format!("Response: Success\r\nActionID: {id}\r\nMessage: Authentication accepted\r\n\r\n")
                }
                Some("QueueStatus") => {
                    if let Some(r) = ready.take() {
                        let _ = r.send(());
                    }
                    format!(
                        "Response: Success\r\nActionID: {id}\r\nEventList: start\r\nMessage: Queue status will follow\r\n\r\n\
                         Event: QueueStatusComplete\r\nActionID: {id}\r\nEventList: Complete\r\nListItems: 0\r\n\r\n"
                    )
                }
                _ => format!("Response: Success\r\nActionID: {id}\r\nPing: Pong\r\n\r\n"),
            };
            if answers.lock().await.write_all(reply.as_bytes()).await.is_err() {
                return;
            }
        }
    });
    let _ = ready_rx.await;
    // Give the snapshot a moment to reach the floor before the stream starts.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let tick = Duration::from_millis(10);
    let per_tick = (rate / 100).max(2);
    let mut interval = tokio::time::interval(tick);
    let end = Instant::now() + Duration::from_secs(secs);
    let (mut i, mut events) = (0u64, 0u64);
    while Instant::now() < end {
        interval.tick().await;
        let mut batch = String::new();
        let mut joined = Vec::new();
        for _ in 0..per_tick / 2 {
            i += 1;
            batch.push_str(&join(i));
            joined.push(i);
            if i > WAITING {
                batch.push_str(&abandon(i - WAITING));
            }
            events += 2;
        }
        let now = Instant::now();
        if let Ok(mut s) = sent.lock() {
            for j in joined {
                s.insert(j, now);
            }
        }
        if wr.lock().await.write_all(batch.as_bytes()).await.is_err() {
            break;
        }
    }
    events
}

#[derive(serde::Deserialize)]
struct EventsFrame {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    events: Vec<serde_json::Value>,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let rate: u64 = env("CALLFLOOR_BENCH_RATE", 2000);
    let secs: u64 = env("CALLFLOOR_BENCH_SECS", 10);
    let description = match FloorDescription::load(Path::new("floors/asterisk-example.toml")) {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    let engine = Engine::with_source(description, 7, chrono::Local::now().naive_local().and_utc());
    let Ok(pbx_listener) = TcpListener::bind("127.0.0.1:0").await else { panic!("bind") };
    let Ok(pbx_addr) = pbx_listener.local_addr() else { panic!("addr") };
    let sent: Sent = Arc::default();
    let pbx_task = tokio::spawn(pbx(pbx_listener, rate, secs, sent.clone()));
    let url = SourceUrl::Ami { user: "bench".into(), host: "127.0.0.1".into(), port: pbx_addr.port() };
    let bridge = bridge::start(&url, Secret::new("bench-secret"), engine.roster());
    let tokens = Tokens::from_entries(vec![TokenEntry { name: "root".into(), token: ADMIN.into(), role: Role::Admin }]);
    let cfg = ServerConfig::new(tokens, Pacing::Clock(Speed::Times(1.0)));
    let Ok(listener) = TcpListener::bind("127.0.0.1:0").await else { panic!("bind") };
    let srv = match server::serve_source(listener, engine, cfg, bridge).await {
        Ok(s) => s,
        Err(e) => panic!("{e:#}"),
    };
    let Ok((mut ws, _)) = tokio_tungstenite::connect_async(srv.url()).await else { panic!("connect") };
    let hello = format!(r#"{{"type":"hello","protocol":1,"token":"{ADMIN}"}}"#);
    let _ = ws.send(Message::text(hello)).await;
    let mut latencies: Vec<f64> = Vec::new();
    let mut received = 0u64;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs + 3);
    while Instant::now() < deadline {
        let Ok(Some(Ok(msg))) = tokio::time::timeout(Duration::from_secs(1), ws.next()).await else { continue };
        let Message::Text(t) = msg else { continue };
        let Ok(frame) = serde_json::from_str::<EventsFrame>(&t) else { continue };
        if frame.kind != "events" {
            continue;
        }
        let now = Instant::now();
        received += frame.events.len() as u64;
        for ev in &frame.events {
            if ev["type"] == "call_arrived"
                && let Some(i) = ev["caller"].as_str().and_then(|c| c.parse::<u64>().ok())
                && let Some(at) = sent.lock().ok().and_then(|mut s| s.remove(&i))
            {
                latencies.push(now.duration_since(at).as_secs_f64() * 1000.0);
            }
        }
    }
    let pbx_events = pbx_task.await.unwrap_or(0);
    let metrics = srv.floor().await.ok();
    let _ = srv.shutdown().await;
    latencies.sort_by(f64::total_cmp);
    println!("PBX event -> console latency through the AMI bridge (cargo bench --bench bridge; 2-core machine)");
    println!(
        "  PBX wrote {pbx_events} AMI events in {secs} s ({:.0}/s target {rate}/s); the client got {received} floor events",
        pbx_events as f64 / secs as f64
    );
    println!(
        "  calls timed: {}  latency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
        latencies.len(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.9),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(f64::NAN)
    );
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "  load average at the end: {} (on a shared 2-core box, a load above 2 means runnable threads waited for a core)",
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    );
    if let Some(f) = metrics {
        println!("  floor at the end: {} calls waiting, {} finished calls kept", f.calls.len(), f.recent.len());
    }
}
