//! Headless runs: drive an engine for a floor duration, at a speed, and sum it up for scripts (`--summary json`)
//! or people (`--summary text`).

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Instant;

use chrono::Duration;
use serde::Serialize;

use super::Engine;
use super::sim::clock::{Clock, ScaledClock, Speed};
use crate::model::*;

/// Everything a script can rely on after a headless run (the JSON shape is documented in README.md).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    pub scenario: String,
    pub seed: u64,
    pub floor_seconds: u64,
    pub events: u64,
    pub calls: CallCounts,
    pub alerts: BTreeMap<String, u32>,
    pub tickets: TicketCounts,
    pub queues: Vec<QueueSummary>,
    pub staffing: Vec<StaffingSummary>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct CallCounts {
    pub offered: u64,
    pub answered: u64,
    pub abandoned: u64,
    pub in_progress: u64,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct TicketCounts {
    pub opened: u64,
    /// Tickets escalated at least once.
    pub escalated: u64,
    pub resolved: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct QueueSummary {
    pub id: String,
    pub offered: u32,
    pub answered: u32,
    pub abandoned: u32,
    pub service_level: Option<f64>,
    pub asa_s: Option<f64>,
    pub aht_s: Option<f64>,
    pub abandon_rate: Option<f64>,
    pub occupancy: Option<f64>,
    pub longest_wait_s: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StaffingSummary {
    pub queue: String,
    pub agents: u32,
    pub erlangs: f64,
    pub erlang_c: Option<u32>,
    pub erlang_a: Option<u32>,
}

/// Counts what a run produced, from the event stream.
#[derive(Debug, Default)]
pub struct Tally {
    pub events: u64,
    pub calls: CallCounts,
    pub alerts: BTreeMap<String, u32>,
    pub tickets: TicketCounts,
    escalated: std::collections::HashSet<TicketId>,
    /// Longest wait any caller had in each queue over the run.
    longest_wait: BTreeMap<QueueId, f64>,
}

impl Tally {
    pub fn add(&mut self, events: &[Event]) {
        self.events += events.len() as u64;
        for ev in events {
            match &ev.kind {
                EventKind::AlertRaised { alert } => {
                    *self.alerts.entry(alert.kind.as_str().to_string()).or_default() += 1
                }
                EventKind::TicketOpened { .. } => self.tickets.opened += 1,
                EventKind::TicketEscalated { ticket, .. } if self.escalated.insert(*ticket) => {
                    self.tickets.escalated += 1;
                }
                EventKind::TicketResolved { .. } => self.tickets.resolved += 1,
                _ => {}
            }
        }
    }

    fn note_waits(&mut self, floor: &Floor) {
        let now = floor.time();
        for q in &floor.queues {
            if let Some(w) =
                q.waiting.iter().map(|w| (now - w.since).num_milliseconds() as f64 / 1000.0).reduce(f64::max)
            {
                let e = self.longest_wait.entry(q.id.clone()).or_default();
                *e = e.max(w);
            }
        }
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub seed: u64,
    pub speed: Speed,
    pub duration: Duration,
    /// Print a one-line status to stderr every wall-second (or every floor-10-minutes at max speed).
    pub progress: bool,
}

/// Runs `engine` for `opts.duration` of floor time and returns the summary.
pub fn run(engine: &mut Engine, opts: &RunOptions) -> Summary {
    let start = engine.now();
    let end = start + opts.duration;
    engine.track_whole_run(opts.duration.num_seconds().max(1) as u32);
    let mut tally = Tally::default();
    let consume = |engine: &mut Engine, tally: &mut Tally| {
        let events = engine.drain();
        tally.add(&events);
        tally.note_waits(engine.floor());
    };
    // Events of the floor's opening count too.
    consume(engine, &mut tally);
    let wall = Instant::now();
    match opts.speed {
        Speed::Max => {
            let mut next_report = start + Duration::minutes(10);
            let mut t = start;
            while t < end {
                t = (t + Duration::seconds(1)).min(end);
                engine.advance_to(t);
                consume(engine, &mut tally);
                if opts.progress && t >= next_report {
                    status_line(engine, &tally, wall);
                    next_report += Duration::minutes(10);
                }
            }
        }
        Speed::Times(x) => {
            let mut clock = ScaledClock::new(start, x);
            let mut last_report = Instant::now();
            loop {
                let t = clock.now().min(end);
                engine.advance_to(t);
                consume(engine, &mut tally);
                if opts.progress && last_report.elapsed() >= std::time::Duration::from_secs(1) {
                    status_line(engine, &tally, wall);
                    last_report = Instant::now();
                }
                if t >= end {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        }
    }
    if opts.progress {
        status_line(engine, &tally, wall);
    }
    summarize(engine, opts.seed, (engine.now() - start).num_seconds().max(0) as u64, tally)
}

fn status_line(engine: &Engine, tally: &Tally, wall: Instant) {
    let f = engine.floor();
    let waiting: usize = f.queues.iter().map(|q| q.waiting.len()).sum();
    let open_alerts = f.open_alerts().count();
    let m = engine.run_metrics().unwrap_or_default();
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "[{} floor | {:>5.1}s wall] calls {} offered, {} answered, {} abandoned, {} live, {} waiting | alerts {} open | tickets {} open | {} events",
        f.time().format("%H:%M:%S"),
        wall.elapsed().as_secs_f64(),
        m.floor.offered,
        m.floor.answered,
        m.floor.abandoned,
        f.calls.len(),
        waiting,
        open_alerts,
        f.tickets.values().filter(|t| t.status != TicketStatus::Resolved).count(),
        tally.events
    );
}

fn summarize(engine: &Engine, seed: u64, floor_seconds: u64, mut tally: Tally) -> Summary {
    let floor = engine.floor();
    let m = engine.run_metrics().unwrap_or_default();
    // Call counts come from the same tracker as the per-queue rows, so the totals and the rows agree (each call
    // offered, answered and abandoned at most once, transfers included).
    tally.calls = CallCounts {
        offered: u64::from(m.floor.offered),
        answered: u64::from(m.floor.answered),
        abandoned: u64::from(m.floor.abandoned),
        in_progress: floor.calls.len() as u64,
    };
    let queues = m
        .queues
        .iter()
        .map(|q| QueueSummary {
            id: q.queue.to_string(),
            offered: q.offered,
            answered: q.answered,
            abandoned: q.abandoned,
            service_level: q.service_level,
            asa_s: q.asa_s,
            aht_s: q.aht_s,
            abandon_rate: q.abandon_rate,
            occupancy: q.occupancy,
            longest_wait_s: tally.longest_wait.get(&q.queue).copied().unwrap_or(0.0).max(q.longest_wait_s),
        })
        .collect();
    let staffing = m
        .queues
        .iter()
        .map(|q| StaffingSummary {
            queue: q.queue.to_string(),
            agents: q.staffing.agents,
            erlangs: q.staffing.erlangs,
            erlang_c: q.staffing.erlang_c,
            erlang_a: q.staffing.erlang_a,
        })
        .collect();
    for k in AlertKind::ALL {
        tally.alerts.entry(k.as_str().to_string()).or_insert(0);
    }
    Summary {
        scenario: floor.scenario.clone(),
        seed,
        floor_seconds,
        events: tally.events,
        calls: tally.calls,
        alerts: tally.alerts,
        tickets: tally.tickets,
        queues,
        staffing,
    }
}

impl Summary {
    /// A short human-readable report.
    pub fn to_text(&self) -> String {
        let pct = |v: Option<f64>| v.map(|x| format!("{:.1}%", x * 100.0)).unwrap_or_else(|| "—".into());
        let secs = |v: Option<f64>| v.map(|x| format!("{x:.0}s")).unwrap_or_else(|| "—".into());
        let mut s = format!(
            "{} · seed {} · {} floor-minutes · {} events\ncalls: {} offered, {} answered, {} abandoned, {} in progress\ntickets: {} opened, {} escalated, {} resolved\nalerts: {}\n\n{:<16} {:>7} {:>8} {:>9} {:>7} {:>6} {:>6} {:>8} {:>9} {:>9}\n",
            self.scenario,
            self.seed,
            self.floor_seconds / 60,
            self.events,
            self.calls.offered,
            self.calls.answered,
            self.calls.abandoned,
            self.calls.in_progress,
            self.tickets.opened,
            self.tickets.escalated,
            self.tickets.resolved,
            self.alerts.iter().filter(|(_, n)| **n > 0).map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(", "),
            "queue",
            "offered",
            "answered",
            "abandoned",
            "SL",
            "ASA",
            "AHT",
            "abandon",
            "occupancy",
            "max wait"
        );
        for q in &self.queues {
            s.push_str(&format!(
                "{:<16} {:>7} {:>8} {:>9} {:>7} {:>6} {:>6} {:>8} {:>9} {:>8.0}s\n",
                q.id,
                q.offered,
                q.answered,
                q.abandoned,
                pct(q.service_level),
                secs(q.asa_s),
                secs(q.aht_s),
                pct(q.abandon_rate),
                pct(q.occupancy),
                q.longest_wait_s
            ));
        }
        s.push_str("\nstaffing (seats to reach each queue's SLA target at the run's arrival rate):\n");
        for st in &self.staffing {
            let n = |v: Option<u32>| v.map(|x| x.to_string()).unwrap_or_else(|| "—".into());
            s.push_str(&format!(
                "  {:<16} {:>3} seats now · {:>6.1} Erlangs · Erlang C {} · Erlang A {}\n",
                st.queue,
                st.agents,
                st.erlangs,
                n(st.erlang_c),
                n(st.erlang_a)
            ));
        }
        s
    }
}
