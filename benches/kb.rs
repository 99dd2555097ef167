//! Knowledge search latency on a 50,000-clause base: p50, p99 and the worst of a fixed mix of Chinese and English
//! queries, one at a time on the calling thread, each returning its top 10 with snippets (as `callfloor kb` does).
//!
//! Run: `cargo bench --bench kb`. The base is generated (seeded) from the sentences of the bundled gov-hotline base:
//! each clause takes a title and two to four sentences from clauses of its language, so words are distributed as in
//! real policy text and common queries match thousands of clauses (the ranking bands them all, see `kb::index`).

use std::time::Instant;

use anyhow::Context;
use callfloor::kb::{Clause, Index, KnowledgeBase};
use chrono::NaiveDate;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const CLAUSES: usize = 50_000;
const ROUNDS: usize = 20;
const QUERIES: &[&str] = &[
    "医保 报销",
    "居住证",
    "养老金 到账",
    "社保 转移",
    "燃气泄漏",
    "失业金",
    "高龄津贴 申请",
    "residence permit",
    "pension",
    "medical insurance reimbursement",
    "unemployment benefit",
    "gas leak",
    "home care elderly",
    "火星 旅游",
];

fn sentences(text: &str) -> Vec<String> {
    text.split_inclusive(['。', '.']).map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

fn main() -> anyhow::Result<()> {
    let base = match KnowledgeBase::bundled("gov-hotline") {
        Some(r) => r.context("the bundled gov-hotline base does not parse")?,
        None => anyhow::bail!("the gov-hotline base is not bundled"),
    };
    let mut rng = ChaCha8Rng::seed_from_u64(50_000);
    let start = NaiveDate::from_ymd_opt(2010, 1, 1).context("a date")?;
    let mut clauses = Vec::with_capacity(CLAUSES);
    for n in 0..CLAUSES {
        let src = &base.clauses[rng.random_range(0..base.clauses.len())];
        let same_lang: Vec<&Clause> = base.clauses.iter().filter(|c| c.lang == src.lang).collect();
        let mut text = String::new();
        for _ in 0..rng.random_range(2..=4) {
            let other = same_lang[rng.random_range(0..same_lang.len())];
            let s = sentences(&other.text);
            if let Some(pick) = s.get(rng.random_range(0..s.len().max(1))) {
                text.push_str(pick);
                text.push(' ');
            }
        }
        clauses.push(Clause {
            id: format!("G-{n:05}"),
            title: format!("{} ({})", src.title, n % 977),
            date: start + chrono::Days::new(rng.random_range(0..6000)),
            text,
            lang: src.lang,
            tags: src.tags.clone(),
        });
    }
    let kb = KnowledgeBase { kb: base.kb.clone(), clauses };
    let built = Instant::now();
    let index = Index::build(kb).map_err(anyhow::Error::msg)?;
    let build_s = built.elapsed().as_secs_f64();

    // One warm-up pass (the first query loads nothing more, but caches settle), then timed rounds.
    for q in QUERIES {
        index.search(q, 10).map_err(anyhow::Error::msg)?;
    }
    let mut times = Vec::with_capacity(ROUNDS * QUERIES.len());
    let mut hits = 0usize;
    for _ in 0..ROUNDS {
        for q in QUERIES {
            let t = Instant::now();
            let found = index.search(q, 10).map_err(anyhow::Error::msg)?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            hits += found.total;
        }
    }
    times.sort_by(f64::total_cmp);
    let pct = |p: f64| times[((times.len() as f64 * p).ceil() as usize).clamp(1, times.len()) - 1];
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!("knowledge search on {CLAUSES} clauses ({cores} cores available, one used)");
    println!("  index built in {build_s:.1} s (jieba segmentation + FTS5 insert, in memory)");
    println!(
        "  {} searches of {} queries (zh + en), {:.0} matching clauses each on average",
        times.len(),
        QUERIES.len(),
        hits as f64 / times.len() as f64
    );
    println!("  p50 {:.2} ms · p99 {:.2} ms · max {:.2} ms", pct(0.50), pct(0.99), pct(1.0));
    Ok(())
}
