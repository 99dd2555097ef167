//! Console figures, printed: render time per frame at 200x50 with 10,000 live calls, the console's peak memory
//! with that floor, and bytes written to the terminal per second during the e-commerce peak at 10 fps (through the
//! console's own backend, which moves lines with scrolling regions, and for comparison through ratatui's plain
//! crossterm backend, which rewrites them).
//!
//! Run with `cargo bench --bench console`. Every figure is measured in this run; nothing is hard-coded.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use callfloor::client::{ConnState, Update};
use callfloor::console::app::{App, AppOptions};
use callfloor::console::keymap::Key;
use callfloor::console::{ScrollingBackend, render};
use callfloor::engine::Engine;
use callfloor::engine::sim::scenario::Scenario;
use callfloor::local::LocalFeed;
use callfloor::model::*;
use ratatui::backend::{CrosstermBackend, TestBackend};
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

const CALLS: u32 = 10_000;
const AGENTS: u32 = 1_000;
const FRAMES: usize = 300;

fn status_kb(field: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

/// A floor with `CALLS` live calls on `AGENTS` seats, built by applying events (the only way a floor changes).
fn big_floor() -> Floor {
    let scenario = Scenario::load("hospital").unwrap_or_else(|e| panic!("hospital scenario: {e}"));
    let engine = Engine::new(scenario, 7);
    let base = engine.floor();
    let t0 = base.time();
    let queues: Vec<Queue> = base.queues.clone();
    let qids: Vec<QueueId> = queues.iter().map(|q| q.id.clone()).collect();
    let agents: Vec<Agent> = (1..=AGENTS)
        .map(|i| Agent {
            id: AgentId(i),
            name: format!("Agent {i}"),
            queues: vec![qids[(i as usize) % qids.len()].clone()],
            langs: vec![Lang::Zh, Lang::En],
            state: AgentState::Available,
            since: t0,
            call: None,
            missed: 0,
            handled: 0,
            temporary: None,
            dialects: Vec::new(),
        })
        .collect();
    let mut floor = Floor::default();
    let mut at = t0;
    let apply = |floor: &mut Floor, at: Time, kind: EventKind| floor.apply(&Event { at, kind });
    apply(
        &mut floor,
        at,
        EventKind::FloorOpened { scenario: "bench".into(), title: "10,000 live calls".into(), queues, agents },
    );
    for i in 0..CALLS {
        at += chrono::Duration::milliseconds(100);
        let call = CallId(10_000 + i);
        let queue = qids[(i as usize) % qids.len()].clone();
        apply(
            &mut floor,
            at,
            EventKind::CallArrived {
                call,
                caller: format!("+86 138{:08}", i),
                lang: if i % 3 == 0 { Lang::En } else { Lang::Zh },
                intent: "order_status".into(),
                dialect: None,
                elderly: false,
            },
        );
        apply(&mut floor, at, EventKind::CallQueued { call, queue, priority: (i % 5) as u8 });
        if i < AGENTS {
            let agent = AgentId(i + 1);
            apply(&mut floor, at, EventKind::CallOffered { call, agent });
            apply(&mut floor, at, EventKind::CallAnswered { call, agent });
            for k in 0..20 {
                let (speaker, text) = if k % 2 == 0 {
                    (Speaker::Caller, "where is my order? I paid for express delivery three days ago")
                } else {
                    (Speaker::Agent, "let me check the tracking number for you right away")
                };
                let sentiment = ((i + k) % 20) as f32 / 10.0 - 1.0;
                apply(
                    &mut floor,
                    at,
                    EventKind::Utterance {
                        call,
                        speaker,
                        text: text.into(),
                        sentiment,
                        emotion: None,
                        whisper: false,
                        by: None,
                    },
                );
            }
        }
        if i % 50 == 0 {
            apply(
                &mut floor,
                at,
                EventKind::RuleMatched {
                    call,
                    rule: "complaint".into(),
                    word: "express".into(),
                    actions: vec![RuleAction::Alert],
                    urgent: i % 100 == 0,
                    risk: true,
                },
            );
            apply(
                &mut floor,
                at,
                EventKind::AlertRaised {
                    alert: Alert {
                        id: AlertId(i / 50),
                        kind: AlertKind::RiskKeyword,
                        severity: if i % 100 == 0 { Severity::Critical } else { Severity::Warning },
                        subject: call.to_string(),
                        message: format!("{call}: caller said 'express' (complaint)"),
                        raised: at,
                        acked: None,
                    },
                },
            );
            apply(
                &mut floor,
                at,
                EventKind::TicketOpened {
                    ticket: Ticket {
                        id: TicketId(i / 50),
                        call: Some(call),
                        category: "complaint".into(),
                        priority: TicketPriority::High,
                        status: TicketStatus::Open,
                        level: 0,
                        summary: "caller said 'express' (complaint)".into(),
                        opened: at,
                        due: at + chrono::Duration::minutes(30),
                        notes: Vec::new(),
                        history: Vec::new(),
                        notes_earlier: 0,
                        links: TicketLinks::default(),
                    },
                },
            );
        }
    }
    floor
}

/// One small batch like a tick brings: a clock tick and a few lines on live calls.
fn tick_batch(app: &App, n: u64) -> Update {
    let at = app.floor().time() + chrono::Duration::milliseconds(100);
    let mut events = vec![Event { at, kind: EventKind::Tick }];
    for k in 0..5u64 {
        let call = CallId(10_000 + ((n * 5 + k) % AGENTS as u64) as u32);
        events.push(Event {
            at,
            kind: EventKind::Utterance {
                call,
                speaker: Speaker::Caller,
                text: "still waiting for the courier".into(),
                sentiment: -0.4,
                emotion: None,
                whisper: false,
                by: None,
            },
        });
    }
    Update::Events { from_seq: app.floor().seq, events }
}

fn press(app: &mut App, key: &str) {
    if let Ok(k) = Key::parse(key) {
        let _ = app.on_key(k.to_event());
    }
}

fn render_figures() {
    println!("== render time per frame, 200x50, {CALLS} live calls on {AGENTS} seats ==");
    let rss_before = status_kb("VmRSS:").unwrap_or(0);
    let floor = big_floor();
    let json = serde_json::to_string(&floor).unwrap_or_default();
    drop(floor);
    println!("snapshot of that floor: {:.1} MB of JSON", json.len() as f64 / 1e6);
    let floor: Floor = serde_json::from_str(&json).unwrap_or_else(|e| panic!("snapshot parses: {e}"));
    drop(json);
    let mut app = App::new(AppOptions::default());
    app.apply_update(Update::Connection(ConnState::Connected));
    app.apply_update(Update::Welcome {
        role: Role::Supervisor,
        server: "bench".into(),
        user: "you".into(),
        floor: None,
    });
    let t = Instant::now();
    app.apply_update(Update::Snapshot { seq: floor.seq, floor: Box::new(floor) });
    println!("applying the snapshot (mirror + list refresh): {}", ms(t.elapsed()));
    app.show_hint = false;

    let mut terminal = Terminal::new(TestBackend::new(200, 50)).unwrap_or_else(|e| match e {});
    let mut all = Vec::new();
    let mut updates = Vec::new();
    let mut n = 0u64;
    for (label, keys) in [
        ("floor", vec!["1"]),
        ("calls", vec!["2"]),
        ("calls sorted by sentiment", vec!["2", "S"]),
        ("call (20-line transcript)", vec!["2", "S", "enter"]),
        ("agents", vec!["3"]),
        ("alerts", vec!["4"]),
        ("tickets", vec!["5"]),
        ("callbacks", vec!["6"]),
        ("audit", vec!["7"]),
        ("help", vec!["2", "?"]),
    ] {
        for k in &keys {
            press(&mut app, k);
        }
        let mut times = Vec::with_capacity(FRAMES);
        for _ in 0..FRAMES {
            n += 1;
            let u = tick_batch(&app, n);
            let t = Instant::now();
            app.apply_update(u);
            updates.push(t.elapsed());
            let t = Instant::now();
            let _ = terminal.draw(|f| render(&app, f));
            times.push(t.elapsed());
        }
        if app.help {
            press(&mut app, "esc");
        }
        times.sort();
        println!(
            "  {label:<28} p50 {}  p99 {}  max {}",
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99)),
            ms(percentile(&times, 1.0))
        );
        all.extend(times);
    }
    all.sort();
    updates.sort();
    println!(
        "all views: p50 {}  p99 {} (target p99 <= 2 ms) over {} frames",
        ms(percentile(&all, 0.5)),
        ms(percentile(&all, 0.99)),
        all.len()
    );
    println!(
        "applying one tick's events (6 events on a {CALLS}-call floor; the calls list itself re-sorts once a second): p50 {}  p99 {}",
        ms(percentile(&updates, 0.5)),
        ms(percentile(&updates, 0.99))
    );
    let hwm = status_kb("VmHWM:").unwrap_or(0);
    println!(
        "== console peak memory with that floor: VmHWM {:.1} MB (target <= 64 MB); resident before building it {:.1} MB ==",
        hwm as f64 / 1024.0,
        rss_before as f64 / 1024.0
    );
}

/// Counts what the terminal backend writes.
#[derive(Clone, Default)]
struct Counter(Arc<AtomicU64>);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.fetch_add(buf.len() as u64, Ordering::Relaxed);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Bytes at real time (a live floor runs at 1x) and at 20x (the demo's pace doubled: a stress figure).
fn bytes_figures() {
    for speed in [1, 20] {
        bytes_at(speed);
    }
}

fn bytes_at(speed: i64) {
    const FPS: u64 = 10;
    const WALL_S: u64 = 60;
    println!("== bytes to the terminal, ecommerce-promo peak, {FPS} fps, speed {speed}x, {WALL_S} s of frames ==");
    for (w, h) in [(80u16, 24u16), (200, 50)] {
        for (label, key) in [("floor", "1"), ("calls", "2"), ("alerts", "4")] {
            let scenario = Scenario::load("ecommerce-promo").unwrap_or_else(|e| panic!("ecommerce-promo: {e}"));
            let mut feed = LocalFeed::new(Engine::new(scenario, 7));
            // The sale peak runs 20:00-21:00 and the floor opens at 19:30: start measuring inside it.
            feed.warm_up(chrono::Duration::minutes(32));
            let mut app = App::new(AppOptions::default());
            app.size = (w, h);
            for u in feed.hello() {
                app.apply_update(u);
            }
            press(&mut app, key);
            let opts = || TerminalOptions { viewport: Viewport::Fixed(Rect::new(0, 0, w, h)) };
            let counter = Counter::default();
            let backend = ScrollingBackend::new(CrosstermBackend::new(counter.clone()));
            let mut terminal = Terminal::with_options(backend, opts()).unwrap_or_else(|e| panic!("terminal: {e}"));
            let plain_counter = Counter::default();
            let mut plain = Terminal::with_options(CrosstermBackend::new(plain_counter.clone()), opts())
                .unwrap_or_else(|e| panic!("terminal: {e}"));
            let _ = terminal.draw(|f| render(&app, f));
            let _ = plain.draw(|f| render(&app, f));
            let first = counter.0.load(Ordering::Relaxed);
            let plain_first = plain_counter.0.load(Ordering::Relaxed);
            let frame_floor = chrono::Duration::milliseconds(1000 * speed / FPS as i64);
            let mut draws = Vec::with_capacity((FPS * WALL_S) as usize);
            for frame in 0..(FPS * WALL_S) {
                if let Some(u) = feed.step(frame_floor) {
                    app.apply_update(u);
                }
                if frame % FPS == 0 {
                    app.apply_update(feed.metrics());
                    app.tick();
                    app.data_age = Duration::from_millis(100);
                }
                let t = Instant::now();
                let _ = terminal.draw(|f| render(&app, f));
                draws.push(t.elapsed());
                let _ = plain.draw(|f| render(&app, f));
            }
            draws.sort();
            let per_s = |c: &Counter, first: u64| (c.0.load(Ordering::Relaxed) - first) as f64 / WALL_S as f64 / 1024.0;
            println!(
                "  {w}x{h} {label:<7} {:>5.1} KB/s (rewriting lines: {:>5.1} KB/s; first full frame {:.1} KB; render + write p50 {} p99 {})",
                per_s(&counter, first),
                per_s(&plain_counter, plain_first),
                first as f64 / 1024.0,
                ms(percentile(&draws, 0.5)),
                ms(percentile(&draws, 0.99)),
            );
        }
    }
    println!("  (targets: <= 30 KB/s everywhere; Calls at 200x50, 20x: <= 8 KB/s)");
}

fn main() {
    // `cargo bench` passes --bench; a filter argument is accepted and ignored.
    render_figures();
    bytes_figures();
}
