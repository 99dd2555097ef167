//! ESL throughput, two figures, each the median of 5 runs, as events/s wall and per on-CPU second of the measuring
//! thread:
//!
//! 1. **Parser** (issue 10's "ESL parser ≥ 200,000 events/s on one core"): the plain events of
//!    tests/fixtures/esl/synthetic-callcenter.txt, repeated, fed in 4 KiB reads (as benches/ami.rs does) through our
//!    frame reader (framing, percent-decoding of the values read) and the mapper, observations collected and
//!    dropped, on one thread for 2 s per run.
//! 2. **Link**: the same events streamed by the replay server (tests/support/esl_replay.rs, its own thread) over a
//!    loopback socket into the whole bridge — socket reads, frame reader, mapper and the observation channel, drained —
//!    all on one client thread (a current-thread tokio runtime). The stream goes in rounds of ROUND passes of the
//!    fixture, each asked for by an action (a `callcenter_config agent set status` the server answers and follows
//!    with the round's events), as it did when the bridge used freeswitch-esl-tokio (which dropped events past its
//!    queue), so the figures compare.
//!
//!     cargo bench --bench esl

#[path = "../tests/support/esl_replay.rs"]
mod esl_replay;

use std::sync::Arc;
use std::time::{Duration, Instant};

use callfloor::bridge::esl::frame::{FrameReader, Kind, Limits};
use callfloor::bridge::esl::{self, EslConfig, Mapper};
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
/// Parser runs: reads of this size, for this long.
const READ: usize = 4096;
const PARSE_RUN: Duration = Duration::from_secs(2);

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

struct Parse {
    events: u64,
    observations: u64,
    bytes: u64,
    wall: f64,
    cpu: Option<f64>,
}

/// One parser run: the stream over and over, in READ-byte pushes, for PARSE_RUN.
fn parse_run(stream: &[u8]) -> anyhow::Result<Parse> {
    let mut mapper = Mapper::new(roster());
    let mut reader = FrameReader::new(Limits::default());
    let mut out = Vec::with_capacity(64);
    let (mut events, mut observations, mut bytes) = (0u64, 0u64, 0u64);
    let cpu0 = thread_cpu_ns();
    let start = Instant::now();
    while start.elapsed() < PARSE_RUN {
        for chunk in stream.chunks(READ) {
            reader.push(chunk);
            while let Some(f) = reader.next_frame() {
                if f.kind() == Kind::Event
                    && let Some(ev) = f.event()
                {
                    events += 1;
                    mapper.event(&ev, &mut out);
                    observations += out.len() as u64;
                    out.clear();
                }
            }
        }
        bytes += stream.len() as u64;
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu = match (cpu0, thread_cpu_ns()) {
        (Some(a), Some(b)) if b > a => Some((b - a) as f64 / 1e9),
        _ => None,
    };
    let (s, m) = (reader.stats(), mapper.stats());
    anyhow::ensure!(
        s.garbage + s.oversized + s.bad_escapes + m.malformed + m.unknown + m.unmapped == 0,
        "the stream should read cleanly: {s:?} {m:?}"
    );
    Ok(Parse { events, observations, bytes, wall, cpu })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

fn main() -> anyhow::Result<()> {
    let (one, per_pass) = fixture_events(FIXTURE);
    anyhow::ensure!(per_pass > 0, "the fixture has no plain events");
    let stream: Arc<Vec<u8>> = Arc::new(one.repeat(ROUND));

    println!("ESL throughput (cargo bench --bench esl)");
    println!("machine: {}", machine());
    println!(
        "parser: frame reader + percent-decoding + mapper, one thread, {} KiB of {per_pass} fixture events x {ROUND} \
         fed in {READ} B reads, {} s per run",
        stream.len() / 1024,
        PARSE_RUN.as_secs()
    );
    let (mut walls, mut cpus) = (Vec::new(), Vec::new());
    for i in 0..RUNS {
        let r = parse_run(&stream)?;
        let rate = r.events as f64 / r.wall;
        walls.push(rate);
        let cpu = r.cpu.map(|c| {
            cpus.push(r.events as f64 / c);
            format!("{:.0} events per CPU-second ({:.0}% on CPU)", r.events as f64 / c, 100.0 * c / r.wall)
        });
        println!(
            "  run {}: {} events, {} observations, {:.0} MB/s: {rate:.0} events/s wall; {}",
            i + 1,
            r.events,
            r.observations,
            r.bytes as f64 / r.wall / 1e6,
            cpu.unwrap_or_else(|| "no schedstat".into())
        );
    }
    let cpu = if cpus.is_empty() { String::new() } else { format!(", {:.0} events per CPU-second", median(cpus)) };
    println!("  parser median: {:.0} events/s wall{cpu} (target 200,000)", median(walls));
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

    println!(
        "link: {per_pass} plain events of the fixture x {ROUND} x {ROUNDS} rounds = {total} events, {:.1} MB, \
         loopback TCP into the whole bridge, one client thread",
        (stream.len() * ROUNDS) as f64 / 1e6
    );
    let mut rates = Vec::new();
    let mut cpus = Vec::new();
    for (i, r) in runs.iter().enumerate() {
        let rate = r.events as f64 / r.wall;
        rates.push(rate);
        let cpu = r.cpu.map(|c| {
            cpus.push(r.events as f64 / c);
            format!("{:.0} events per CPU-second ({:.0}% on CPU)", r.events as f64 / c, 100.0 * c / r.wall)
        });
        println!(
            "  run {}: {} events, {} observations in {:.3} s: {:.0} events/s wall; {}",
            i + 1,
            r.events,
            r.observations,
            r.wall,
            rate,
            cpu.unwrap_or_else(|| "no schedstat".into())
        );
    }
    let cpu = if cpus.is_empty() { String::new() } else { format!(", {:.0} events per CPU-second", median(cpus)) };
    println!("  link median: {:.0} events/s wall{cpu}", median(rates));
    Ok(())
}
