//! Throughput of `Analyzer::analyze` (language, sentiment with Chinese segmentation, and keyword rules) on one
//! core, the heap the lexicons, segmenter dictionary and fallback model take, and the sign accuracy per language on
//! the shipped evaluation files (data/eval/*.tsv).
//!
//! Run: `cargo bench --bench analysis`. The corpus is every caller and agent line of the hospital scenario, Chinese
//! and English alternating, analysed against the hospital's rules for a few seconds on the calling thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use callfloor::engine::analysis::{Analyzer, eval};
use callfloor::engine::sim::scenario::{Bank, Scenario};
use callfloor::model::Lang;

const RUN: Duration = Duration::from_secs(4);
/// Issue 11's floor, with segmentation and rules.
const TARGET_PER_S: f64 = 1_000_000.0;

/// The system allocator, counting the bytes live on the heap (for the memory figure).
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; only a counter is updated besides.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller upholds `alloc`'s contract, passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` was allocated by `System` with `layout` (every allocation goes through `alloc` above).
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn lines(bank: &Bank, lang: Lang, out: &mut Vec<String>) {
    let m = bank.lang(lang);
    out.extend(m.positive.iter().chain(&m.neutral).chain(&m.negative).cloned());
}

fn main() -> anyhow::Result<()> {
    let scenario = Scenario::load("hospital").context("the bundled hospital scenario does not load")?;
    let analyzer = Analyzer::new(&scenario.rules);
    // The lexicons are built on first use: measure the heap they keep.
    let before = live();
    black_box(analyzer.analyze("thank you, that was helpful"));
    let en_bytes = live().saturating_sub(before);
    let before = live();
    black_box(analyzer.analyze("我对服务很满意"));
    let zh_bytes = live().saturating_sub(before);
    let before = live();
    black_box(analyzer.analyze("我想预约周一的门诊"));
    let model_bytes = live().saturating_sub(before);

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

    let all = run(&analyzer, &corpus);
    let zh_only = run(&analyzer, &zh);
    let en_only = run(&analyzer, &en);
    let (done, elapsed, cpu_s) = all;
    let per_s = done as f64 / elapsed.as_secs_f64();
    let ns = elapsed.as_nanos() as f64 / done as f64;
    // On a shared machine the thread does not get a whole core: CPU time is what it used.
    let per_cpu_s = cpu_s.map(|c| done as f64 / c);
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
    println!("  throughput   {per_s:.0} utterances/s of wall time ({ns:.0} ns/utterance)");
    let fmt =
        |x: Option<f64>| x.map_or_else(|| "unknown (no /proc/thread-self/stat)".to_string(), |x| format!("{x:.0}"));
    println!("  per CPU      {} utterances per CPU-second of the thread (what one whole core gives)", fmt(per_cpu_s));
    for (name, (n, wall, cpu)) in [("zh only", zh_only), ("en only", en_only)] {
        println!(
            "  {name:<12} {:.0} utterances/s of wall time, {} per CPU-second",
            n as f64 / wall.as_secs_f64(),
            fmt(cpu.map(|c| n as f64 / c))
        );
    }
    let best = per_cpu_s.unwrap_or(per_s).max(per_s);
    println!(
        "  target       {TARGET_PER_S:.0} utterances/s on one core: {}",
        if best >= TARGET_PER_S { "met" } else { "NOT met" }
    );
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load = load.split_whitespace().take(3).collect::<Vec<_>>().join(" ");
    println!("  machine      {cores} cores (available_parallelism), {cpu}; shared with other jobs, figures are noisy");
    println!("  load         {load} (1/5/15-minute load average at the end of the run)");
    println!(
        "  memory       {:.1} MB heap for the lexicons and models: English {:.1} MB, Chinese dictionary + segmenter \
         {:.1} MB, Chinese fallback model {:.1} MB (live bytes after first use, counting allocator)",
        mb(en_bytes + zh_bytes + model_bytes),
        mb(en_bytes),
        mb(zh_bytes),
        mb(model_bytes)
    );
    accuracy(&analyzer)?;
    Ok(())
}

/// Analyses `lines` over and over for [`RUN`]: utterances done, wall time, and the thread's CPU time in seconds.
fn run(analyzer: &Analyzer, lines: &[String]) -> (u64, Duration, Option<f64>) {
    let mut done = 0u64;
    let mut hits = 0usize;
    let mut sum = 0.0f64;
    let cpu0 = thread_cpu_s();
    let start = Instant::now();
    let elapsed = loop {
        for line in lines {
            let a = analyzer.analyze(black_box(line));
            hits += a.hits.len();
            sum += f64::from(a.sentiment);
        }
        done += lines.len() as u64;
        let e = start.elapsed();
        if e >= RUN {
            break e;
        }
    };
    black_box((hits, sum));
    let cpu = thread_cpu_s().zip(cpu0).map(|(b, a)| b - a).filter(|&c| c > 0.0);
    (done, elapsed, cpu)
}

/// User + system CPU time of the calling thread, from /proc/thread-self/stat (clock ticks of 1/100 s).
fn thread_cpu_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces): state is field 3, utime 14.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// Sign accuracy and zero share per language on every shipped evaluation file.
fn accuracy(analyzer: &Analyzer) -> anyhow::Result<()> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/eval");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tsv"))
        .collect();
    files.sort();
    println!("  accuracy     sign accuracy (a score of 0 counts as wrong) / share scored 0, shipped files:");
    for path in files {
        let name = path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let file = std::fs::File::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
        let parsed = eval::parse(&name, std::io::BufReader::new(file))
            .with_context(|| format!("cannot read {}", path.display()))?;
        let report = eval::evaluate(analyzer, &name, &parsed);
        for l in &report.languages {
            println!(
                "               {name} [{}]: {:.4} on {} lines, scored 0 {:.4}",
                l.lang, l.scores.accuracy, l.scores.scored, l.scores.zero_share
            );
        }
    }
    Ok(())
}
