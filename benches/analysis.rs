//! Throughput of `Analyzer::analyze` (language, sentiment and keyword rules) on one core.
//!
//! Run: `cargo bench --bench analysis`. The corpus is every caller and agent line of the hospital scenario, Chinese
//! and English alternating, analysed against the hospital's rules for a few seconds on the calling thread.

use std::hint::black_box;
use std::time::{Duration, Instant};

use anyhow::Context;
use callfloor::engine::analysis::Analyzer;
use callfloor::engine::sim::scenario::{Bank, Scenario};
use callfloor::model::Lang;

const RUN: Duration = Duration::from_secs(4);
const TARGET_PER_S: f64 = 200_000.0;

fn lines(bank: &Bank, lang: Lang, out: &mut Vec<String>) {
    let m = bank.lang(lang);
    out.extend(m.positive.iter().chain(&m.neutral).chain(&m.negative).cloned());
}

fn main() -> anyhow::Result<()> {
    let scenario = Scenario::load("hospital").context("the bundled hospital scenario does not load")?;
    let analyzer = Analyzer::new(&scenario.rules);

    let (mut zh, mut en) = (Vec::new(), Vec::new());
    for intent in &scenario.intents {
        lines(&intent.lines, Lang::Zh, &mut zh);
        lines(&intent.lines, Lang::En, &mut en);
    }
    lines(&scenario.agent_lines, Lang::Zh, &mut zh);
    lines(&scenario.agent_lines, Lang::En, &mut en);
    let mut corpus = Vec::with_capacity(zh.len() + en.len());
    for i in 0..zh.len().max(en.len()) {
        corpus.extend(zh.get(i).cloned());
        corpus.extend(en.get(i).cloned());
    }
    anyhow::ensure!(!corpus.is_empty(), "the hospital scenario has no lines to analyse");
    let bytes: usize = corpus.iter().map(String::len).sum();

    // Warm-up: builds the lexicons and fills the caches.
    for line in &corpus {
        black_box(analyzer.analyze(black_box(line)));
    }

    let mut done = 0u64;
    let mut hits = 0usize;
    let mut sum = 0.0f64;
    let start = Instant::now();
    let elapsed = loop {
        for line in &corpus {
            let a = analyzer.analyze(black_box(line));
            hits += a.hits.len();
            sum += f64::from(a.sentiment);
        }
        done += corpus.len() as u64;
        let e = start.elapsed();
        if e >= RUN {
            break e;
        }
    };
    black_box((hits, sum));

    let per_s = done as f64 / elapsed.as_secs_f64();
    let ns = elapsed.as_nanos() as f64 / done as f64;
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string());
    println!("analysis bench: Analyzer::analyze (language + sentiment + {} keyword rules)", analyzer.rules().len());
    println!(
        "  corpus       {} utterances ({} zh, {} en, {:.0} bytes avg), hospital scenario",
        corpus.len(),
        zh.len(),
        en.len(),
        bytes as f64 / corpus.len() as f64
    );
    println!("  run          {done} utterances in {:.2} s, single thread", elapsed.as_secs_f64());
    println!("  throughput   {per_s:.0} utterances/s");
    println!("  latency      {ns:.0} ns/utterance");
    println!(
        "  target       {TARGET_PER_S:.0} utterances/s: {}",
        if per_s >= TARGET_PER_S { "met" } else { "NOT met" }
    );
    println!("  machine      {cores} cores (available_parallelism), {cpu}; shared with other jobs, figures are noisy");
    Ok(())
}
