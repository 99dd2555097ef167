//! AMI parser throughput: the fixtures of tests/fixtures/ami (real captures and the synthetic queue flows) replayed in a
//! loop through the frame reader and the event decoder on one thread, fed in 4 KiB reads as a socket would deliver
//! them. Prints events/s (messages with an `Event:` header, typed or not) and messages/s. Target: 200,000 events/s.
//!
//!     cargo bench --bench ami

use std::time::{Duration, Instant};

use callfloor::bridge::ami::{Decoder, Frame, FrameReader, Limits};

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
