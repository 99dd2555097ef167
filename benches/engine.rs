//! Engine throughput on a peak floor: about 10,000 concurrent calls and 2,000 seats.
//! Prints events/s (wall), the floor's size while measured, and the process's peak memory.
//!
//!     cargo bench --bench engine
//!     CALLFLOOR_BENCH_NO_ORDERS=1 cargo bench --bench engine     (without orders at hand)
//!     CALLFLOOR_BENCH_PLAIN=1 cargo bench --bench engine         (without dialects and verification)

use std::time::Instant;

use callfloor::engine::Engine;
use callfloor::engine::sim::scenario::{Dist, Scenario};
use chrono::Duration;

fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// The hospital scenario scaled to a 2,000-seat floor overloaded so that ~8,000 callers wait.
fn peak_scenario() -> Scenario {
    let mut s = match Scenario::load("hospital") {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    s.arrivals.base_per_hour = 12.0 * 3600.0;
    s.arrivals.peaks.clear();
    let total: u32 = s.agents.iter().map(|g| g.count).sum();
    for g in &mut s.agents {
        g.count = g.count * 2000 / total.max(1);
        g.shift = None;
    }
    let have: u32 = s.agents.iter().map(|g| g.count).sum();
    if let Some(g) = s.agents.first_mut() {
        g.count += 2000 - have;
    }
    for i in &mut s.intents {
        i.handle = Dist::Exponential { mean_s: 300.0 };
        i.patience = Dist::Exponential { mean_s: 1500.0 };
    }
    // Orders at hand on: the shop's customers (35% of callers) and a table lookup on every arrival
    // (CALLFLOOR_BENCH_NO_ORDERS=1 leaves them off, to see what they cost).
    if std::env::var_os("CALLFLOOR_BENCH_NO_ORDERS").is_none() {
        match Scenario::load("ecommerce-promo") {
            Ok(shop) => s.orders = shop.orders,
            Err(e) => panic!("{e}"),
        }
    }
    // Dialects and elderly callers (gov-hotline's), with a tenth of the seats handling one each, and identity
    // verification (the bank's IVR): every routing and IVR feature on (CALLFLOOR_BENCH_PLAIN=1 leaves them off).
    if std::env::var_os("CALLFLOOR_BENCH_PLAIN").is_none() {
        let (gov, bank) = match (Scenario::load("gov-hotline"), Scenario::load("bank")) {
            (Ok(g), Ok(b)) => (g, b),
            (Err(e), _) | (_, Err(e)) => panic!("{e}"),
        };
        let ids: Vec<String> =
            gov.dialects.as_ref().map(|d| d.list.iter().map(|x| x.id.clone()).collect()).unwrap_or_default();
        s.dialects = gov.dialects;
        s.verification = bank.verification;
        let mut extra = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            if let Some(g) = s.agents.get(i % s.agents.len().max(1)) {
                let mut d = g.clone();
                let n = (g.count / 10).max(1);
                d.count = n;
                d.dialects = vec![id.clone()];
                extra.push((i % s.agents.len().max(1), n, d));
            }
        }
        for (i, n, d) in extra {
            if let Some(g) = s.agents.get_mut(i) {
                g.count = g.count.saturating_sub(n);
            }
            s.agents.push(d);
        }
    }
    s
}

fn main() {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let mut engine = Engine::new(peak_scenario(), 1);
    let warm = Instant::now();
    let start = engine.now();
    let mut t = start;
    // Warm up until the floor holds 10,000 live calls (or two floor-hours pass).
    while engine.floor().calls.len() < 10_000 && t < start + Duration::hours(2) {
        t += Duration::seconds(1);
        engine.advance_to(t);
        engine.discard_outbox();
    }
    let warm_s = warm.elapsed().as_secs_f64();
    let calls_at_start = engine.floor().calls.len();
    let before = engine.events_total();
    let wall = Instant::now();
    let measure_until = t + Duration::minutes(30);
    while t < measure_until {
        t += Duration::seconds(1);
        engine.advance_to(t);
        engine.discard_outbox();
    }
    let secs = wall.elapsed().as_secs_f64();
    let events = engine.events_total() - before;
    println!("engine throughput — peak floor ({cores} cores available, one used)");
    println!(
        "  floor: {} seats, {} live calls at start, {} at end",
        engine.floor().agents.len(),
        calls_at_start,
        engine.floor().calls.len()
    );
    if calls_at_start >= 10_000 {
        println!("  warm-up: {warm_s:.1} s wall to reach 10,000 live calls");
    } else {
        println!("  warm-up: {warm_s:.1} s wall; the floor did NOT reach 10,000 live calls within two floor-hours");
    }
    println!(
        "  measured: {} events in {:.2} s wall over 30 floor-minutes = {:.0} events/s",
        events,
        secs,
        events as f64 / secs
    );
    let f = engine.floor();
    let dialect = f.calls.values().filter(|c| c.dialect.is_some()).count();
    let verified = f.calls.values().filter(|c| c.verification.is_some()).count();
    let orders = f.calls.values().filter(|c| c.orders.is_some()).count();
    let dialect_seats = f.agents.values().filter(|a| !a.dialects.is_empty()).count();
    println!(
        "  live calls at the end (a sample; finished calls leave the floor): {dialect} in a dialect ({dialect_seats} dialect seats), {verified} with a \
         verification state, {orders} with orders at hand"
    );
    match peak_rss_mb() {
        Some(mb) => println!("  peak memory (VmHWM): {mb:.1} MB"),
        None => println!("  peak memory: unavailable (no /proc/self/status)"),
    }
}
