//! Two AMI figures (issue 10).
//!
//! 1. Parser throughput: the fixtures of tests/fixtures/ami (real captures and the synthetic queue flows) replayed in a
//!    loop through the frame reader and the event decoder on one thread, fed in 4 KiB reads as a socket would deliver
//!    them. Prints events/s (messages with an `Event:` header, typed or not) and messages/s. Target: 200,000 events/s.
//! 2. PBX event → console latency through the bridge at 2,000 events/s: a stand-in PBX on loopback TCP streams
//!    queue traffic (QueueCallerJoin, QueueCallerAbandon, Hangup per caller) at 2,000 events/s to the AMI bridge,
//!    which feeds a served PBX-fed engine (floors/asterisk-example.toml, wall-clock pacing); a supervisor's WebSocket
//!    client times each caller's `call_arrived` from the moment its QueueCallerJoin was written to the socket.
//!    Prints percentiles. `CALLFLOOR_AMI_LATENCY_SECS` sets the stream's length (default 10 s).
//!
//!     cargo bench --bench ami

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use callfloor::bridge::Secret;
use callfloor::bridge::ami::{AmiConfig, Decoder, Frame, FrameReader, Limits, spawn};
use callfloor::engine::Engine;
use callfloor::engine::server::{self, Pacing, ServerConfig, TokenEntry, Tokens};
use callfloor::engine::sim::clock::Speed;
use callfloor::engine::sim::scenario::FloorDescription;
use callfloor::model::Role;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

const FIXTURES: &[&[u8]] = &[
    include_bytes!("../tests/fixtures/ami/cacofonisk-queue_a_cancel.txt"),
    include_bytes!("../tests/fixtures/ami/cacofonisk-queue_blind_xfer.txt"),
    include_bytes!("../tests/fixtures/ami/cacofonisk-queue_simple.txt"),
    include_bytes!("../tests/fixtures/ami/goami2-queue-members.txt"),
    include_bytes!("../tests/fixtures/ami/goami2-queues.txt"),
    include_bytes!("../tests/fixtures/ami/panoramisk-agent_loggued_in.txt"),
    include_bytes!("../tests/fixtures/ami/panoramisk-agent_not_in_pause.txt"),
    include_bytes!("../tests/fixtures/ami/panoramisk-command_core_show_version.txt"),
    include_bytes!("../tests/fixtures/ami/panoramisk-queue_status.txt"),
    include_bytes!("../tests/fixtures/ami/synthetic-queue-flows.txt"),
];
const READ: usize = 4096;

/// Nanoseconds this thread has run on a CPU (Linux schedstat), so the figure means something on a shared box where
/// the wall clock also counts time spent waiting for a core.
fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}
const RUN: Duration = Duration::from_secs(3);

fn main() -> anyhow::Result<()> {
    parser()?;
    latency()
}

fn parser() -> anyhow::Result<()> {
    // One stream: every fixture, each closed with a blank line so none leaves a half message for the next.
    let mut stream = Vec::new();
    for f in FIXTURES {
        stream.extend_from_slice(f);
        stream.extend_from_slice(b"\r\n\r\n");
    }
    let mut reader = FrameReader::new(Limits::default());
    let mut decoder = Decoder::new();
    let (mut messages, mut events, mut typed, mut errors, mut passes) = (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut replay = |messages: &mut u64, events: &mut u64, typed: &mut u64, errors: &mut u64| {
        for chunk in stream.chunks(READ) {
            reader.push(chunk);
            loop {
                match reader.next_frame() {
                    Ok(Some(Frame::Message(m))) => {
                        *messages += 1;
                        if let Some(ev) = decoder.decode(&m) {
                            *events += 1;
                            if !matches!(ev.name(), "Unknown" | "Malformed") {
                                *typed += 1;
                            }
                        }
                    }
                    Ok(Some(Frame::Banner(_))) => {}
                    Ok(None) => break,
                    Err(_) => *errors += 1,
                }
            }
        }
    };
    // Warm-up pass (also the per-pass counts), then timed passes for RUN.
    replay(&mut messages, &mut events, &mut typed, &mut errors);
    let per_pass = (messages, events, typed);
    anyhow::ensure!(errors == 0, "the fixtures should frame without errors, got {errors}");
    let (mut messages, mut events, mut typed) = (0, 0, 0);
    let cpu_start = thread_cpu_ns();
    let start = Instant::now();
    while start.elapsed() < RUN {
        replay(&mut messages, &mut events, &mut typed, &mut errors);
        passes += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    let cpu_secs = match (cpu_start, thread_cpu_ns()) {
        (Some(a), Some(b)) if b > a => Some((b - a) as f64 / 1e9),
        _ => None,
    };
    anyhow::ensure!(errors == 0, "the fixtures should frame without errors, got {errors}");
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!("AMI frame reader + decoder ({cores} cores available, one used) — cargo bench --bench ami");
    println!(
        "  stream: {} fixtures, {} KiB, {} messages, {} events ({} typed) per pass, fed in {} B reads",
        FIXTURES.len(),
        stream.len() / 1024,
        per_pass.0,
        per_pass.1,
        per_pass.2,
        READ
    );
    println!(
        "  {passes} passes in {secs:.2} s: {:.0} events/s, {:.0} messages/s, {:.1} MB/s (target ≥ 200,000 events/s)",
        events as f64 / secs,
        messages as f64 / secs,
        (passes as f64 * stream.len() as f64) / secs / 1e6
    );
    match cpu_secs {
        Some(cpu) => println!(
            "  on-CPU {cpu:.2} s of the {secs:.2} s wall ({:.0}%): {:.0} events per CPU-second",
            100.0 * cpu / secs,
            events as f64 / cpu
        ),
        None => println!("  on-CPU time: unavailable (no /proc/thread-self/schedstat)"),
    }
    Ok(())
}

/// Events per second the stand-in PBX writes, in bursts every [`BURST_EVERY`].
const RATE: u64 = 2_000;
const BURST_EVERY: Duration = Duration::from_millis(5);
const SUP_TOKEN: &str = "bench-supervisor-token-0001";

/// The `n`th event of the stream: caller `n / 3` joins support, abandons, hangs up.
fn stream_event(n: u64) -> String {
    let call = n / 3;
    let head = format!(
        "Privilege: agent,all\r\nChannel: PJSIP/trunk-{call:08x}\r\nChannelState: 6\r\nChannelStateDesc: Up\r\n\
         CallerIDNum: +1555{call:07}\r\nCallerIDName: Caller {call}\r\nConnectedLineNum: <unknown>\r\n\
         ConnectedLineName: <unknown>\r\nLanguage: en\r\nAccountCode: \r\nContext: from-trunk\r\nExten: 5000\r\n\
         Priority: 1\r\nUniqueid: 1765000000.{call}\r\nLinkedid: 1765000000.{call}\r\n"
    );
    match n % 3 {
        0 => format!("Event: QueueCallerJoin\r\n{head}Queue: support\r\nPosition: 1\r\nCount: 1\r\n\r\n"),
        1 => format!(
            "Event: QueueCallerAbandon\r\n{head}Queue: support\r\nPosition: 1\r\nOriginalPosition: 1\r\nHoldTime: 2\r\n\r\n"
        ),
        _ => format!("Event: Hangup\r\n{head}Cause: 16\r\nCause-txt: Normal Clearing\r\n\r\n"),
    }
}

/// The answer of the stand-in PBX to one action (Login, QueueStatus, CoreShowChannels, Ping, anything else).
fn pbx_answer(action: &str) -> String {
    let get = |key: &str| {
        action.lines().find_map(|l| l.split_once(": ").filter(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v))
    };
    let id = get("ActionID").unwrap_or_default();
    match get("Action").unwrap_or_default() {
        "QueueStatus" => format!(
            "Response: Success\r\nActionID: {id}\r\nEventList: start\r\nMessage: Queue status will follow\r\n\r\n\
             Event: QueueStatusComplete\r\nActionID: {id}\r\nEventList: Complete\r\nListItems: 0\r\n\r\n"
        ),
        "CoreShowChannels" => format!(
            "Response: Success\r\nActionID: {id}\r\nEventList: start\r\nMessage: Channels will follow\r\n\r\n\
             Event: CoreShowChannelsComplete\r\nActionID: {id}\r\nEventList: Complete\r\nListItems: 0\r\n\r\n"
        ),
        "Ping" => format!("Response: Success\r\nActionID: {id}\r\nPing: Pong\r\n\r\n"),
        _ => format!("Response: Success\r\nActionID: {id}\r\nMessage: Authentication accepted\r\n\r\n"),
    }
}

/// Serves one bridge connection: answers its actions; once `go` fires, streams `total` events at [`RATE`], noting
/// when each caller's QueueCallerJoin was written.
async fn stand_in_pbx(
    listener: TcpListener,
    go: tokio::sync::oneshot::Receiver<()>,
    total: u64,
    joins: Arc<Mutex<Vec<Instant>>>,
) -> anyhow::Result<()> {
    let (mut sock, _) = listener.accept().await?;
    sock.set_nodelay(true)?;
    sock.write_all(b"Asterisk Call Manager/5.0.1\r\n").await?;
    let mut inbox = String::new();
    let mut buf = [0u8; 4096];
    let mut go = Some(go);
    let per_burst = (RATE as f64 * BURST_EVERY.as_secs_f64()).round() as u64;
    let mut burst = tokio::time::interval(BURST_EVERY);
    burst.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut streaming = false;
    let mut next = 0u64;
    loop {
        tokio::select! {
            n = sock.read(&mut buf) => {
                let n = n?;
                if n == 0 {
                    return Ok(());
                }
                inbox.push_str(&String::from_utf8_lossy(&buf[..n]));
                while let Some(end) = inbox.find("\r\n\r\n") {
                    let action: String = inbox.drain(..end + 4).collect();
                    sock.write_all(pbx_answer(&action).as_bytes()).await?;
                }
            }
            _ = async { match go.as_mut() { Some(rx) => { let _ = rx.await; } None => std::future::pending().await } },
                if go.is_some() => {
                go = None;
                streaming = true;
                burst.reset();
            }
            _ = burst.tick(), if streaming && next < total => {
                let mut text = String::new();
                let now = Instant::now();
                let end = (next + per_burst).min(total);
                let mut stamps = Vec::new();
                for n in next..end {
                    text.push_str(&stream_event(n));
                    if n % 3 == 0 {
                        stamps.push(now);
                    }
                }
                next = end;
                if let Ok(mut j) = joins.lock() {
                    j.extend(stamps);
                }
                sock.write_all(text.as_bytes()).await?;
            }
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

fn latency() -> anyhow::Result<()> {
    let secs: u64 = std::env::var("CALLFLOOR_AMI_LATENCY_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(10);
    let total = RATE * secs / 3 * 3;
    let calls = total / 3;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    rt.block_on(async {
        let pbx = TcpListener::bind("127.0.0.1:0").await?;
        let pbx_port = pbx.local_addr()?.port();
        let joins = Arc::new(Mutex::new(Vec::with_capacity(calls as usize)));
        let (go_tx, go_rx) = tokio::sync::oneshot::channel();
        let mut go_tx = Some(go_tx);
        let pbx_task = tokio::spawn(stand_in_pbx(pbx, go_rx, total, joins.clone()));

        let d = FloorDescription::load(Path::new("floors/asterisk-example.toml"))
            .map_err(|e| anyhow::anyhow!("floors/asterisk-example.toml: {e}"))?;
        let engine = Engine::with_source(d, 1, chrono::Utc::now());
        let bridge = spawn(AmiConfig::new("127.0.0.1", pbx_port, "bench", Secret::new("bench")), engine.roster());
        let tokens =
            Tokens::from_entries(vec![TokenEntry { name: "ana".into(), token: SUP_TOKEN.into(), role: Role::Supervisor }]);
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let handle =
            server::serve_source(listener, engine, ServerConfig::new(tokens, Pacing::Clock(Speed::Times(1.0))), Some(bridge))
                .await?;

        let (mut ws, _) = tokio_tungstenite::connect_async(handle.url()).await?;
        let hello = serde_json::json!({"type": "hello", "protocol": 1, "token": SUP_TOKEN}).to_string();
        ws.send(Message::text(hello)).await?;
        let mut arrivals: Vec<Instant> = Vec::with_capacity(calls as usize);
        let mut snapshots = 0;
        let mut source = serde_json::Value::Null;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs + 30);
        while (arrivals.len() as u64) < calls {
            let frame = match tokio::time::timeout_at(deadline, ws.next()).await {
                Ok(Some(Ok(Message::Text(t)))) => t,
                Ok(Some(Ok(_))) => continue,
                Ok(other) => anyhow::bail!("the console's connection ended: {other:?}"),
                Err(_) => break,
            };
            let now = Instant::now();
            let v: serde_json::Value = serde_json::from_str(&frame)?;
            match v["type"].as_str() {
                Some("snapshot") => {
                    snapshots += 1;
                    // Attached: the stream starts.
                    if let Some(tx) = go_tx.take() {
                        let _ = tx.send(());
                    }
                }
                Some("events") => {
                    if let Some(evs) = v["events"].as_array() {
                        let n = evs.iter().filter(|e| e["type"] == "call_arrived").count();
                        arrivals.extend(std::iter::repeat_n(now, n));
                    }
                }
                Some("metrics") => source = v["source"].clone(),
                _ => {}
            }
        }
        let joins = joins.lock().map(|j| j.clone()).unwrap_or_default();
        let mut lat: Vec<Duration> =
            joins.iter().zip(arrivals.iter()).map(|(sent, got)| got.saturating_duration_since(*sent)).collect();
        lat.sort();
        println!();
        println!("PBX event → console latency through the AMI bridge — cargo bench --bench ami");
        println!(
            "  stand-in PBX on loopback: {RATE} events/s for {secs} s ({total} events: join, abandon, hang-up per caller), \
             served floor floors/asterisk-example.toml, one supervisor client"
        );
        println!(
            "  {} of {calls} callers reached the console (snapshots: {snapshots}); call_arrived after its QueueCallerJoin \
             was written: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            arrivals.len(),
            percentile(&lat, 0.50).as_secs_f64() * 1e3,
            percentile(&lat, 0.90).as_secs_f64() * 1e3,
            percentile(&lat, 0.99).as_secs_f64() * 1e3,
            lat.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
        );
        println!(
            "  source line of the last metrics frame: frames {}, unknown {}, malformed {}, out_of_order {}, reconnects {}",
            source["frames"], source["unknown"], source["malformed"], source["out_of_order"], source["reconnects"]
        );
        pbx_task.abort();
        let _ = handle.shutdown().await;
        anyhow::ensure!(snapshots == 1, "the console fell behind and was resynced {} times", snapshots - 1);
        Ok(())
    })
}
