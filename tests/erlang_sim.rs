//! callfloor's own simulator against queueing theory: with Poisson arrivals, exponential handle times and
//! exponential patience (M/M/n+M), the service level and abandon rate the engine measures agree with Erlang A; with
//! infinite patience, with Erlang C.

use callfloor::engine::Engine;
use callfloor::engine::metrics::{erlang_a, erlang_c, erlang_c_service_level};
use callfloor::engine::sim::scenario::{Dist, Scenario};
use chrono::Duration;

const SEATS: u32 = 12;
const PER_HOUR: f64 = 220.0;
const AHT_S: f64 = 180.0;
const T_S: u32 = 20;

/// One queue, `SEATS` seats that always answer at once, never break and need no wrap-up; no IVR delay; no lines.
fn mmn_scenario(patience: Dist, per_hour: f64) -> Scenario {
    let mut s = match Scenario::load("hospital") {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    s.arrivals.base_per_hour = per_hour;
    s.arrivals.peaks.clear();
    s.queues.truncate(1);
    s.queues[0].sla_seconds = T_S;
    let q = s.queues[0].id.clone();
    s.agents.truncate(1);
    s.agents[0].count = SEATS;
    s.agents[0].queues = vec![q.clone()];
    s.agents[0].langs = vec![callfloor::model::Lang::Zh, callfloor::model::Lang::En];
    s.agents[0].shift = None;
    s.agents[0].answer_rate = 1.0;
    for i in &mut s.intents {
        i.queue = q.clone();
        i.handle = Dist::Exponential { mean_s: AHT_S };
        i.patience = patience;
        i.ticket = None;
    }
    s.rules.clear();
    let b = &mut s.behaviour;
    b.ivr = Dist::Fixed { s: 0.0 };
    b.answer_delay = Dist::Fixed { s: 0.0 };
    b.wrap_up = Dist::Fixed { s: 0.0 };
    b.line_gap = Dist::Fixed { s: 1.0e7 };
    b.break_every = Dist::Infinite;
    b.hold_share = 0.0;
    s.survey.share = 0.0;
    // Repeat callers are arrivals on top of the Poisson stream: none here, so arrivals stay Poisson.
    s.repeat = callfloor::engine::sim::scenario::RepeatPolicy::default();
    s
}

/// Runs a warm-up hour, then `hours` measured hours; returns (service level, abandon rate, answered + abandoned).
fn measure(patience: Dist, per_hour: f64, seed: u64, hours: i64) -> (f64, f64, u32) {
    let mut engine = Engine::new(mmn_scenario(patience, per_hour), seed);
    let mut t = engine.now();
    let warm = t + Duration::hours(1);
    while t < warm {
        t += Duration::seconds(30);
        engine.advance_to(t);
        engine.discard_outbox();
    }
    engine.track_whole_run((hours * 3600) as u32);
    let end = t + Duration::hours(hours);
    while t < end {
        t += Duration::seconds(30);
        engine.advance_to(t);
        engine.discard_outbox();
    }
    let Some(m) = engine.run_metrics() else { panic!("no run metrics") };
    let q = &m.queues[0];
    let (Some(sl), Some(ar)) = (q.service_level, q.abandon_rate) else { panic!("no figures: {q:?}") };
    (sl, ar, q.answered + q.abandoned)
}

#[test]
fn measured_service_level_and_abandon_rate_agree_with_erlang_a() {
    let patience = 120.0;
    let (mut sl, mut ar, mut n) = (0.0, 0.0, 0);
    let seeds = [1u64, 2, 3, 4];
    for seed in seeds {
        let (s, a, k) = measure(Dist::Exponential { mean_s: patience }, PER_HOUR, seed, 30);
        sl += s;
        ar += a;
        n += k;
    }
    sl /= seeds.len() as f64;
    ar /= seeds.len() as f64;
    let theory = erlang_a(SEATS, PER_HOUR / 3600.0, AHT_S, Some(patience), f64::from(T_S));
    assert!(n > 20_000, "enough calls to judge: {n}");
    eprintln!("SL {sl:.3} vs {:.3}, abandon {ar:.3} vs {:.3} over {n} calls", theory.service_level, theory.p_abandon);
    // Sampling error on ~25,000 calls in a correlated queue is about a point; allow three.
    assert!((sl - theory.service_level).abs() < 0.03, "SL measured {sl:.3} vs Erlang A {:.3}", theory.service_level);
    assert!((ar - theory.p_abandon).abs() < 0.02, "abandon measured {ar:.3} vs Erlang A {:.3}", theory.p_abandon);
}

#[test]
fn with_infinite_patience_the_simulator_agrees_with_erlang_c() {
    // 200 calls/h × 180 s = 10 Erlangs on 12 seats: the METRICS.md reference row (Pw 0.4494, SL 0.6402).
    let per_hour = 200.0;
    let (mut sl, mut n) = (0.0, 0);
    let seeds = [9u64, 10, 11];
    for seed in seeds {
        let (s, ar, k) = measure(Dist::Infinite, per_hour, seed, 30);
        assert_eq!(ar, 0.0, "nobody hangs up with infinite patience");
        sl += s;
        n += k;
    }
    sl /= seeds.len() as f64;
    let a = per_hour * AHT_S / 3600.0;
    let theory = erlang_c_service_level(SEATS, a, f64::from(T_S), AHT_S);
    assert!(n > 15_000, "enough calls to judge: {n}");
    assert!((erlang_c(SEATS, a) - 0.4494).abs() < 1e-3);
    eprintln!("SL measured {sl:.3} vs Erlang C {theory:.3} over {n} calls");
    assert!((sl - theory).abs() < 0.03, "SL measured {sl:.3} vs Erlang C {theory:.3}");
}
