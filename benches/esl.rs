//! ESL bridge throughput: the plain events of tests/fixtures/esl/synthetic-callcenter.txt, repeated, streamed by the
//! replay server (tests/support/esl_replay.rs, its own thread) over a loopback socket into the bridge — the
//! freeswitch-esl-tokio reader (framing, URL-decoding), the mapper and the observation channel, drained — all on one
//! client thread (a current-thread tokio runtime). Prints events/s wall and per on-CPU second of that thread, for
//! each run and their median. Target: 200,000 events/s.
//!
//! The stream goes in rounds of ROUND passes of the fixture, each asked for by an action (a `callcenter_config agent
//! set status` the server answers and follows with the round's events): the crate reads without backpressure and
//! drops events once its queue (65,536) is full, so one 190,000-event burst would measure drops, not throughput.
//!
//!     cargo bench --bench esl

#[path = "../tests/support/esl_replay.rs"]
mod esl_replay;

use std::sync::Arc;
use std::time::{Duration, Instant};

use callfloor::bridge::esl::{self, EslConfig};
use callfloor::bridge::{self, ActionRequest, Observation, PbxAction, Roster, RosterAgent, RosterQueue, Secret};
use callfloor::model::{AgentId, AgentState, QueueId};
use esl_replay::{Conn, Replay, fixture_events};
use tokio::sync::oneshot;

const FIXTURE: &str = include_str!("../tests/fixtures/esl/synthetic-callcenter.txt");
/// Fixture passes per round, and rounds per run.
const ROUND: usize = 1_000;
const ROUNDS: usize = 10;
const RUNS: usize = 5;
const PASSWORD: &str = "bench";

/// Nanoseconds this thread has run on a CPU (Linux schedstat): on a shared box the wall clock also counts time spent
/// waiting for a core.
fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    format!("{cpu}, {cores} cores, load {}", load.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
}

fn roster() -> Roster {
    Roster {
        queues: vec![RosterQueue { id: QueueId::new("support"), pbx: "support@default".into(), transfer: None }],
        agents: vec![
            RosterAgent { id: AgentId(1), name: "Ann".into(), member: "1001@default".into(), extension: None },
            RosterAgent { id: AgentId(2), name: "Bo".into(), member: "1002@default".into(), extension: None },
        ],
        supervisors: vec![],
    }
}

struct Run {
    events: u64,
    observations: u64,
    wall: f64,
    cpu: Option<f64>,
}

fn main() -> anyhow::Result<()> {
    let (one, per_pass) = fixture_events(FIXTURE);
    anyhow::ensure!(per_pass > 0, "the fixture has no plain events");
    let stream: Arc<Vec<u8>> = Arc::new(one.repeat(ROUND));
    let per_round = (per_pass * ROUND) as u64;
    let total = per_round * ROUNDS as u64;

    // The server: its own thread and runtime, so the client thread measured below does only the bridge's work.
    let conns: Vec<Conn> = (0..RUNS)
        .map(|_| Conn::new(PASSWORD).then_send("callcenter_config agent set status", stream.clone()))
        .collect();
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("server runtime");
        rt.block_on(async move {
            let replay = Replay::start(conns).await;
            let _ = addr_tx.send(replay.addr);
            std::future::pending::<()>().await;
        });
    });
    let addr = addr_rx.recv_timeout(Duration::from_secs(30))?;

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let mut runs = Vec::new();
    for _ in 0..RUNS {
        let run = rt.block_on(async {
            let mut config = EslConfig::new("127.0.0.1", addr.port(), Secret::new(PASSWORD));
            config.backoff_min = Duration::from_secs(3600);
            let (mut bridge, ends) = bridge::channel("esl", &config.target());
            let task = tokio::spawn(esl::run(config, roster(), ends));
            // The snapshot comes first; the clock starts when it is in.
            match tokio::time::timeout(Duration::from_secs(30), bridge.observations.recv()).await {
                Ok(Some(Observation::Snapshot(_))) => {}
                other => anyhow::bail!("expected the snapshot first, got {other:?}"),
            }
            let cpu0 = thread_cpu_ns();
            let start = Instant::now();
            let mut observations = 0u64;
            for round in 1..=ROUNDS as u64 {
                let (reply, answer) = oneshot::channel();
                let action =
                    PbxAction::SetState { agent: AgentId(1), state: AgentState::Available, reason: String::new() };
                anyhow::ensure!(
                    bridge.actions.send(ActionRequest { action, reply }).await.is_ok(),
                    "the bridge stopped"
                );
                let mut answered = false;
                let mut answer = std::pin::pin!(answer);
                loop {
                    tokio::select! {
                        r = &mut answer, if !answered => {
                            anyhow::ensure!(matches!(r, Ok(Ok(()))), "the round's action failed: {r:?}");
                            answered = true;
                            // The round's events may all have been read before the answer came through.
                            if bridge.health.borrow().frames >= per_round * round {
                                break;
                            }
                        }
                        o = bridge.observations.recv() => match o {
                            Some(_) => observations += 1,
                            None => anyhow::bail!("the bridge stopped"),
                        },
                        changed = bridge.health.changed() => {
                            anyhow::ensure!(changed.is_ok(), "the bridge stopped");
                            let h = bridge.health.borrow().clone();
                            anyhow::ensure!(h.malformed == 0, "events were dropped or unreadable: {h:?}");
                            if answered && h.frames >= per_round * round {
                                break;
                            }
                        }
                    }
                }
            }
            // What the last events produced.
            while let Ok(_o) = bridge.observations.try_recv() {
                observations += 1;
            }
            let wall = start.elapsed().as_secs_f64();
            let cpu = match (cpu0, thread_cpu_ns()) {
                (Some(a), Some(b)) if b > a => Some((b - a) as f64 / 1e9),
                _ => None,
            };
            let h = bridge.health.borrow().clone();
            anyhow::ensure!(h.malformed == 0 && h.unknown == 0, "the stream should read cleanly: {h:?}");
            drop(bridge);
            task.abort();
            Ok(Run { events: h.frames, observations, wall, cpu })
        })?;
        runs.push(run);
    }

    println!("ESL bridge throughput (cargo bench --bench esl)");
    println!("machine: {}", machine());
    println!(
        "stream: {per_pass} plain events of the fixture x {ROUND} x {ROUNDS} rounds = {total} events, {:.1} MB, \
         loopback TCP, one client thread",
        (stream.len() * ROUNDS) as f64 / 1e6
    );
    let mut rates = Vec::new();
    for (i, r) in runs.iter().enumerate() {
        let rate = r.events as f64 / r.wall;
        rates.push(rate);
        let cpu = r
            .cpu
            .map(|c| format!("{:.0} events per CPU-second ({:.0}% on CPU)", r.events as f64 / c, 100.0 * c / r.wall));
        println!(
            "run {}: {} events, {} observations in {:.3} s: {:.0} events/s wall; {}",
            i + 1,
            r.events,
            r.observations,
            r.wall,
            rate,
            cpu.unwrap_or_else(|| "no schedstat".into())
        );
    }
    rates.sort_by(|a, b| a.total_cmp(b));
    let median = rates[rates.len() / 2];
    println!("median: {median:.0} events/s wall (target 200,000)");
    Ok(())
}
