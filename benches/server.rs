//! Server figures: N WebSocket clients on a live engine paced to a target event rate.
//!
//! Prints the events/s actually served, p50/p99 latency from an event's floor time (mapped to wall time through
//! the engine's clock) to its receipt by a client, the CPU of the engine thread, of the server's I/O threads
//! and of the benchmark's own clients, and the bytes each client receives per second.
//!
//! Run: `cargo bench --bench server` (environment: CALLFLOOR_BENCH_CLIENTS=100, CALLFLOOR_BENCH_RATE=20000,
//! CALLFLOOR_BENCH_SECS=10, CALLFLOOR_BENCH_SCENARIO=ecommerce-promo).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use callfloor::engine::Engine;
use callfloor::engine::server::{self, ClockOrigin, Pacing, ServerConfig, TokenEntry, Tokens};
use callfloor::engine::sim::clock::Speed;
use callfloor::engine::sim::scenario::Scenario;
use callfloor::model::{Role, Time};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

const SEED: u64 = 7;
const WARMUP: Duration = Duration::from_secs(2);
/// Clients that decode every event's time (the others read only the first event's).
const SAMPLED: usize = 10;
const SUP_TOKEN: &str = "bench-supervisor-token";
const ADMIN_TOKEN: &str = "bench-admin-token-0001";

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn scenario(name: &str) -> Scenario {
    match Scenario::load(name) {
        Ok(s) => s,
        Err(e) => panic!("scenario {name}: {e}"),
    }
}

/// Events a fresh engine produces between its start and `floor_secs` later.
fn events_in(name: &str, floor_secs: f64) -> u64 {
    let mut e = Engine::new(scenario(name), SEED);
    e.discard_outbox();
    let start = e.now();
    let end = start + chrono::Duration::milliseconds((floor_secs * 1000.0) as i64);
    let mut t = start;
    let mut n = 0u64;
    while t < end {
        t = (t + chrono::Duration::seconds(60)).min(end);
        e.advance_to(t);
        n += e.drain().len() as u64;
    }
    n
}

/// A speed at which the engine makes about `rate` events per wall-second over the first `wall_secs` seconds.
fn calibrate(name: &str, rate: f64, wall_secs: f64) -> f64 {
    let mut speed = 1000.0;
    for _ in 0..4 {
        let floor_secs = wall_secs * speed;
        let per_floor_sec = events_in(name, floor_secs) as f64 / floor_secs;
        speed = rate / per_floor_sec.max(1e-9);
    }
    speed
}

/// Clock ticks of one thread, by the thread's name prefix (Linux /proc; 0 elsewhere).
fn cpu_ticks(prefix: &str) -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else { return 0 };
    let mut total = 0;
    for task in dir.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if !comm.trim().starts_with(prefix) {
            continue;
        }
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
        // Fields after the ")" of the command name: state is field 3; utime and stime are fields 14 and 15.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else { continue };
        let f: Vec<&str> = rest.split_whitespace().collect();
        let n = |i: usize| f.get(i).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
        total += n(11) + n(12);
    }
    total
}

const CLK_TCK: f64 = 100.0;

#[derive(Default)]
struct ClientStats {
    bytes: AtomicU64,
    frames: AtomicU64,
    snapshots: AtomicU64,
    gaps: AtomicU64,
}

#[derive(Deserialize)]
struct AtOnly {
    at: Time,
}

#[derive(Deserialize)]
struct EventsTimes {
    from_seq: u64,
    events: Vec<AtOnly>,
}

/// The first event's time from the fixed prefix `{"type":"events","from_seq":N,"events":[{"at":"..."`.
fn first_at(text: &str) -> Option<(u64, Time)> {
    let rest = text.strip_prefix(r#"{"type":"events","from_seq":"#)?;
    let (seq, rest) = rest.split_once(',')?;
    let rest = rest.strip_prefix(r#""events":[{"at":""#)?;
    let (at, _) = rest.split_once('"')?;
    Some((seq.parse().ok()?, at.parse().ok()?))
}

struct Latencies {
    /// Per event, sampled clients (µs).
    events: Vec<u64>,
    /// Oldest event of each frame, every client (µs).
    oldest: Vec<u64>,
}

async fn client(
    url: String,
    token: &'static str,
    sampled: bool,
    origin: ClockOrigin,
    measuring: Arc<AtomicBool>,
    stats: Arc<ClientStats>,
    ready: tokio::sync::mpsc::Sender<()>,
) -> Latencies {
    let config = WebSocketConfig::default().max_message_size(Some(256 << 20)).max_frame_size(Some(256 << 20));
    let Ok((mut ws, _)) = tokio_tungstenite::connect_async_with_config(url.as_str(), Some(config), true).await else {
        panic!("bench client cannot connect")
    };
    let hello = format!(r#"{{"type":"hello","protocol":1,"token":"{token}"}}"#);
    if ws.send(Message::text(hello)).await.is_err() {
        panic!("bench client cannot say hello");
    }
    let mut lat = Latencies { events: Vec::new(), oldest: Vec::new() };
    let mut next_seq: Option<u64> = None;
    let mut ready = Some(ready);
    while let Some(Ok(msg)) = ws.next().await {
        let Message::Text(text) = msg else { continue };
        let now = Instant::now();
        let on = measuring.load(Ordering::Relaxed);
        if on {
            stats.bytes.fetch_add(text.len() as u64, Ordering::Relaxed);
        }
        if text.starts_with(r#"{"type":"events""#) {
            if on {
                stats.frames.fetch_add(1, Ordering::Relaxed);
            }
            if sampled {
                let Ok(f) = serde_json::from_str::<EventsTimes>(&text) else { panic!("bad events frame") };
                if next_seq.is_some_and(|s| s != f.from_seq) {
                    stats.gaps.fetch_add(1, Ordering::Relaxed);
                }
                next_seq = Some(f.from_seq + f.events.len() as u64);
                if on {
                    for e in &f.events {
                        lat.events.push(now.saturating_duration_since(origin.wall_at(e.at)).as_micros() as u64);
                    }
                }
            }
            if on && let Some((_, at)) = first_at(&text) {
                lat.oldest.push(now.saturating_duration_since(origin.wall_at(at)).as_micros() as u64);
            }
        } else if text.starts_with(r#"{"type":"snapshot""#) {
            if let Some(r) = ready.take() {
                let _ = r.send(()).await;
            } else {
                stats.snapshots.fetch_add(1, Ordering::Relaxed);
            }
            next_seq = None;
            if sampled {
                #[derive(Deserialize)]
                struct Seq {
                    seq: u64,
                }
                next_seq = serde_json::from_str::<Seq>(&text).ok().map(|s| s.seq);
            }
        }
    }
    lat
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)] as f64 / 1000.0
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    format!("{cpu}, {cores} cores available, {} {}", std::env::consts::OS, std::env::consts::ARCH)
}

fn main() {
    let clients: usize = env("CALLFLOOR_BENCH_CLIENTS", 100);
    let rate: f64 = env("CALLFLOOR_BENCH_RATE", 20_000.0);
    let secs: u64 = env("CALLFLOOR_BENCH_SECS", 10);
    let name: String = env("CALLFLOOR_BENCH_SCENARIO", "ecommerce-promo".to_string());
    let total = WARMUP.as_secs_f64() + secs as f64;
    let speed = calibrate(&name, rate, total);

    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("srv-io")
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("server runtime: {e}"));
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("bench-cli")
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("client runtime: {e}"));

    let tokens = Tokens::from_entries(vec![
        TokenEntry { name: "sup".into(), token: SUP_TOKEN.into(), role: Role::Supervisor },
        TokenEntry { name: "root".into(), token: ADMIN_TOKEN.into(), role: Role::Admin },
    ]);
    let mut config = ServerConfig::new(tokens, Pacing::Clock(Speed::Times(speed)));
    config.limits.max_clients = clients + 10;
    // Every client runs on this machine under two tokens: the per-address and per-token caps would refuse most.
    config.limits.max_per_token = clients;
    config.limits.max_per_address = clients + 10;
    config.limits.max_pending_hello = clients + 10;
    config.limits.max_pending_hello_per_address = clients + 10;
    let engine = Engine::new(scenario(&name), SEED);
    let handle = server_rt.block_on(async {
        let Ok(listener) = tokio::net::TcpListener::bind("127.0.0.1:0").await else { panic!("bind") };
        server::serve(listener, engine, config).await.unwrap_or_else(|e| panic!("serve: {e:#}"))
    });
    let Some(origin) = handle.clock_origin() else { panic!("a clock-paced server has a clock origin") };
    let url = handle.url();

    let measuring = Arc::new(AtomicBool::new(false));
    let stats = Arc::new(ClientStats::default());
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel(clients);
    let tasks: Vec<_> = (0..clients)
        .map(|i| {
            // One client in ten is an admin, so both the masked and the clear frame are made.
            let token = if i % 10 == 0 { ADMIN_TOKEN } else { SUP_TOKEN };
            client_rt.spawn(client(
                url.clone(),
                token,
                i < SAMPLED,
                origin,
                measuring.clone(),
                stats.clone(),
                ready_tx.clone(),
            ))
        })
        .collect();
    drop(ready_tx);
    client_rt.block_on(async {
        for _ in 0..clients {
            let _ = ready_rx.recv().await;
        }
    });
    std::thread::sleep(WARMUP.saturating_sub(origin.wall.elapsed()));

    let s0 = handle.stats();
    let (e0, io0, c0) = (cpu_ticks("callfloor-engin"), cpu_ticks("srv-io"), cpu_ticks("bench-cli"));
    let t0 = Instant::now();
    measuring.store(true, Ordering::Relaxed);
    std::thread::sleep(Duration::from_secs(secs));
    measuring.store(false, Ordering::Relaxed);
    let wall = t0.elapsed().as_secs_f64();
    let s1 = handle.stats();
    let (e1, io1, c1) = (cpu_ticks("callfloor-engin"), cpu_ticks("srv-io"), cpu_ticks("bench-cli"));

    let _ = server_rt.block_on(handle.shutdown());
    let mut events = Vec::new();
    let mut oldest = Vec::new();
    for t in tasks {
        if let Ok(l) = client_rt.block_on(t) {
            events.extend(l.events);
            oldest.extend(l.oldest);
        }
    }
    events.sort_unstable();
    oldest.sort_unstable();

    let ev_rate = (s1.events - s0.events) as f64 / wall;
    let busy = (s1.hub_busy - s0.hub_busy).as_secs_f64() / wall * 100.0;
    let cpu = |a: u64, b: u64| (b.saturating_sub(a)) as f64 / CLK_TCK / wall * 100.0;
    let bytes = stats.bytes.load(Ordering::Relaxed) as f64 / clients as f64 / wall;
    println!("callfloor server benchmark — {}", machine());
    println!(
        "scenario {name}, seed {SEED}, speed {speed:.0}x, {clients} clients ({} admin), {secs} s measured after {} s warm-up",
        clients.div_ceil(10),
        WARMUP.as_secs()
    );
    println!(
        "events served        {ev_rate:>10.0} /s   (target {rate:.0}; {} batches/s)",
        ((s1.batches - s0.batches) as f64 / wall).round()
    );
    println!(
        "latency, each event  p50 {:>6.1} ms   p99 {:>6.1} ms   max {:>6.1} ms   ({} events at {SAMPLED} clients)",
        pct(&events, 0.5),
        pct(&events, 0.99),
        pct(&events, 1.0),
        events.len()
    );
    println!(
        "latency, oldest event of each frame  p50 {:>6.1} ms   p99 {:>6.1} ms   ({} frames at all clients)",
        pct(&oldest, 0.5),
        pct(&oldest, 0.99),
        oldest.len()
    );
    println!(
        "engine thread CPU    {:>6.1} % of a core (busy time {busy:.1} %)   server I/O threads {:>6.1} %   bench clients {:>6.1} %",
        cpu(e0, e1),
        cpu(io0, io1),
        cpu(c0, c1)
    );
    println!(
        "bytes per client     {:>10.0} B/s   ({:.1} MB/s in all; {} resyncs, {} fresh snapshots, {} seq gaps at sampled clients)",
        bytes,
        bytes * clients as f64 / 1e6,
        s1.resyncs - s0.resyncs,
        stats.snapshots.load(Ordering::Relaxed),
        stats.gaps.load(Ordering::Relaxed)
    );
}
