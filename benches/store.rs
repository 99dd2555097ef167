//! Store figures: events persisted per second and the writer's CPU at the e-commerce sale, the ack latency that
//! persist-before-ack adds, and db growth per floor-hour (plain and encrypted).
//!
//! Run: `cargo bench --bench store` (environment: CALLFLOOR_BENCH_RATE=20000 events/s for the paced run,
//! CALLFLOOR_BENCH_SECS=10, CALLFLOOR_BENCH_ACKS=300).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use callfloor::client::{self, ClientConfig, Mirror, Outgoing, Update};
use callfloor::engine::Engine;
use callfloor::engine::server::{self, Pacing, ServerConfig, TokenEntry, Tokens};
use callfloor::engine::sim::scenario::Scenario;
use callfloor::engine::store::{DbOptions, Store};
use callfloor::model::*;

const SEED: u64 = 7;
const SUP: &str = "bench-supervisor-token-1";

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn engine(name: &str) -> Engine {
    match Scenario::load(name) {
        Ok(s) => Engine::new(s, SEED),
        Err(e) => panic!("scenario {name}: {e}"),
    }
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("callfloor-bench-store-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let p = dir.join(name);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
    }
    p
}

fn size(db: &Path) -> u64 {
    ["", "-wal"].iter().filter_map(|s| std::fs::metadata(format!("{}{s}", db.display())).ok()).map(|m| m.len()).sum()
}

/// CPU time (user + system) of this process's thread named `name`, from /proc (Linux).
fn thread_cpu(name: &str) -> Option<Duration> {
    let tasks = std::fs::read_dir("/proc/self/task").ok()?;
    for t in tasks.flatten() {
        let comm = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
        if comm.trim() != name {
            continue;
        }
        let stat = std::fs::read_to_string(t.path().join("stat")).ok()?;
        let after = stat.rsplit_once(')')?.1;
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        return Some(Duration::from_millis(ticks * 10));
    }
    None
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// The e-commerce floor at the start of its sale (20:00), and batches of its next `floor_min` floor-minutes, one per
/// floor-second.
fn sale_batches(floor_min: i64) -> (Engine, Vec<Arc<Vec<Event>>>) {
    let mut e = engine("ecommerce-promo");
    let sale = e.now() + chrono::Duration::minutes(30);
    e.advance_to(sale);
    e.discard_outbox();
    let mut batches = Vec::new();
    let mut t = e.now();
    for _ in 0..floor_min * 60 {
        t += chrono::Duration::seconds(1);
        e.advance_to(t);
        batches.push(Arc::new(e.drain()));
    }
    (e, batches)
}

/// Regroups `batches` into batches of `per` events (what one 100 ms server tick hands the store at a rate).
fn regroup(batches: &[Arc<Vec<Event>>], per: usize) -> Vec<Arc<Vec<Event>>> {
    let all: Vec<Event> = batches.iter().flat_map(|b| b.iter().cloned()).collect();
    all.chunks(per.max(1)).map(|c| Arc::new(c.to_vec())).collect()
}

fn throughput(rate: f64, secs: u64) {
    let (_, batches) = sale_batches(60);
    let events: usize = batches.iter().map(|b| b.len()).sum();
    println!("e-commerce sale hour: {events} events in {} floor-second batches", batches.len());

    // As fast as the writer goes: every batch queued at once.
    let db = temp("flood.db");
    let (mut e0, _) = (engine("ecommerce-promo"), ());
    let Ok(store) = Store::open(&DbOptions::plain(&db), &mut e0) else { panic!("open {}", db.display()) };
    // The batches follow a different engine's floor, but the writer only needs their ids to be consistent.
    let started = Instant::now();
    for b in &batches {
        store.record(b.clone());
    }
    let _ = store.wait_committed();
    let wall = started.elapsed();
    let cpu = thread_cpu("callfloor-store");
    let Ok(report) = store.close() else { panic!("close") };
    println!(
        "flood: {events} events persisted in {:.2} s = {:.0} events/s ({} transactions, {} rows, writer CPU {})",
        wall.as_secs_f64(),
        events as f64 / wall.as_secs_f64(),
        report.transactions,
        report.rows,
        cpu.map(|c| format!("{:.2} s", c.as_secs_f64())).unwrap_or_else(|| "n/a".into()),
    );

    // Paced like a server at `rate` events/s: one batch per 100 ms tick.
    // The sale hour holds ~40k events, 2 s at 20k events/s: it is replayed as often as `secs` needs (the rows are
    // written again, which costs what new ones would).
    let per_tick = (rate / 10.0) as usize;
    let one = regroup(&batches, per_tick);
    let n = (secs * 10) as usize;
    let ticks: Vec<Arc<Vec<Event>>> = one.iter().cycle().take(n).cloned().collect();
    let db = temp("paced.db");
    let mut e1 = engine("ecommerce-promo");
    let Ok(store) = Store::open(&DbOptions::plain(&db), &mut e1) else { panic!("open") };
    let cpu0 = thread_cpu("callfloor-store").unwrap_or_default();
    let started = Instant::now();
    let mut lag = Vec::new();
    for (i, b) in ticks.iter().take(n).enumerate() {
        let due = started + Duration::from_millis(100 * i as u64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        store.record(b.clone());
        if i % 10 == 9 {
            let t = Instant::now();
            let _ = store.wait_committed();
            lag.push(t.elapsed());
        }
    }
    let _ = store.wait_committed();
    let wall = started.elapsed();
    let cpu = thread_cpu("callfloor-store").unwrap_or_default().saturating_sub(cpu0);
    let sent: usize = ticks.iter().take(n).map(|b| b.len()).sum();
    lag.sort();
    println!(
        "paced at {rate:.0} events/s for {:.1} s: {sent} events persisted, writer CPU {:.1}% of a core, \
         catch-up after a tick p50 {:.2} ms p99 {:.2} ms",
        wall.as_secs_f64(),
        100.0 * cpu.as_secs_f64() / wall.as_secs_f64(),
        percentile(&lag, 0.5).as_secs_f64() * 1e3,
        percentile(&lag, 0.99).as_secs_f64() * 1e3,
    );
    let _ = store.close();
}

async fn acks(db: Option<DbOptions>, n: usize) -> Vec<Duration> {
    let tokens =
        Tokens::from_entries(vec![TokenEntry { name: "ana".into(), token: SUP.into(), role: Role::Supervisor }]);
    let mut cfg = ServerConfig::new(tokens, Pacing::Manual);
    cfg.db = db;
    cfg.limits.frames_per_sec = 1e6;
    cfg.limits.frame_burst = 1e6;
    let Ok(listener) = tokio::net::TcpListener::bind("127.0.0.1:0").await else { panic!("bind") };
    let server = server::serve(listener, engine("bank"), cfg).await.unwrap_or_else(|e| panic!("serve: {e:#}"));
    let _ = server.advance(chrono::Duration::hours(2), chrono::Duration::seconds(10)).await;
    let Ok(floor) = server.floor().await else { panic!("floor") };
    let Some(ticket) = floor.tickets.values().find(|t| t.status != TicketStatus::Resolved).map(|t| t.id) else {
        panic!("an open ticket after two floor-hours")
    };
    let (mut updates, commands) = client::spawn(ClientConfig::new(server.url(), SUP));
    let mut mirror = Mirror::default();
    while !mirror.is_live() {
        let Some(u) = updates.recv().await else { panic!("client stopped") };
        mirror.apply(&u, Instant::now());
    }
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let id = format!("b-{i}");
        let t = Instant::now();
        let cmd = Command::Note { ticket, text: format!("bench note {i}") };
        if commands.send(Outgoing::command(id.clone(), cmd)).await.is_err() {
            panic!("client stopped");
        }
        loop {
            match updates.recv().await {
                Some(Update::Ack { id: a }) if a == id => break,
                Some(Update::Error { id: Some(a), message, .. }) if a == id => panic!("note refused: {message}"),
                Some(_) => {}
                None => panic!("client stopped"),
            }
        }
        out.push(t.elapsed());
    }
    let _ = server.shutdown().await;
    out.sort();
    out
}

fn ack_latency(n: usize) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    let without = rt.block_on(acks(None, n));
    let db = temp("acks.db");
    let with = rt.block_on(acks(Some(DbOptions::plain(&db)), n));
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "ack latency over {n} notes (send to ack, loopback): in memory p50 {:.2} ms p99 {:.2} ms; \
         persisted before ack (WAL, synchronous=FULL) p50 {:.2} ms p99 {:.2} ms; added p50 {:.2} ms p99 {:.2} ms",
        ms(percentile(&without, 0.5)),
        ms(percentile(&without, 0.99)),
        ms(percentile(&with, 0.5)),
        ms(percentile(&with, 0.99)),
        ms(percentile(&with, 0.5)) - ms(percentile(&without, 0.5)),
        ms(percentile(&with, 0.99)) - ms(percentile(&without, 0.99)),
    );
}

/// Db size after `hours` floor-hours of `scenario` from its start, plain and encrypted.
fn growth(scenario: &str, skip_min: i64, hours: i64) {
    for (label, key) in [("plain", None), ("encrypted", Some("bench key".to_string()))] {
        let db = temp(&format!("growth-{scenario}-{label}.db"));
        let mut e = engine(scenario);
        e.advance_to(e.now() + chrono::Duration::minutes(skip_min));
        e.discard_outbox();
        let opts = DbOptions { path: db.clone(), key };
        let Ok(store) = Store::open(&opts, &mut e) else { panic!("open") };
        let before = size(&db);
        let mut t = e.now();
        let mut events = 0usize;
        for _ in 0..hours * 60 {
            t += chrono::Duration::minutes(1);
            e.advance_to(t);
            let b = e.drain();
            events += b.len();
            store.record(Arc::new(b));
        }
        let _ = store.close();
        let grown = size(&db).saturating_sub(before);
        println!(
            "growth, {scenario} ({hours} floor-hour from +{skip_min} min, {events} events), {label}: {:.2} MB per floor-hour",
            grown as f64 / 1e6 / hours as f64
        );
    }
}

fn main() {
    let rate: f64 = env("CALLFLOOR_BENCH_RATE", 20_000.0);
    let secs: u64 = env("CALLFLOOR_BENCH_SECS", 10);
    let n: usize = env("CALLFLOOR_BENCH_ACKS", 300);
    println!("machine: {} cores", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    throughput(rate, secs);
    ack_latency(n);
    growth("ecommerce-promo", 30, 1);
    growth("hospital", 0, 1);
}
