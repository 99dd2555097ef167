//! Tracker tests: scripted event streams with hand-computed figures, the sliding window, a large floor, and a
//! simulated M/M/n+M floor whose measured figures must agree with Erlang A.

use std::collections::{BinaryHeap, VecDeque};

use chrono::DateTime;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp};

use super::*;
use crate::model::{Agent, Lang, Queue, SlaTarget};

/// 2025-01-01T09:00:00Z, on a minute boundary.
const T0_MS: i64 = 1_735_722_000_000;

fn at(s: f64) -> Time {
    DateTime::from_timestamp_millis(T0_MS + (s * 1000.0).round() as i64).unwrap_or_default()
}

fn queue(id: &str, percent: f64, seconds: u32) -> Queue {
    Queue {
        id: QueueId::new(id),
        name: id.to_string(),
        skills: Vec::new(),
        priority: 0,
        sla: SlaTarget { percent, seconds },
        waiting: Default::default(),
    }
}

fn agent(id: u32, queues: &[&str], state: AgentState) -> Agent {
    Agent {
        id: AgentId(id),
        name: format!("agent {id}"),
        queues: queues.iter().map(|q| QueueId::new(*q)).collect(),
        langs: vec![Lang::En],
        state,
        since: at(0.0),
        call: None,
        missed: 0,
        handled: 0,
        temporary: None,
        dialects: Vec::new(),
    }
}

/// A floor and a tracker fed the same events, the tracker first (it sees the floor as it was before the event).
struct Run {
    floor: Floor,
    tracker: MetricsTracker,
}

impl Run {
    fn open(window_s: u32, queues: Vec<Queue>, agents: Vec<Agent>) -> Run {
        let mut run = Run { floor: Floor::default(), tracker: MetricsTracker::new(window_s) };
        run.feed(0.0, EventKind::FloorOpened { scenario: "test".into(), title: "Test".into(), queues, agents });
        run
    }

    fn feed(&mut self, s: f64, kind: EventKind) {
        let ev = Event { at: at(s), kind };
        self.tracker.observe(&ev, &self.floor);
        self.floor.apply(&ev);
    }

    fn arrive(&mut self, s: f64, call: u32, queue: &str) {
        self.feed(
            s,
            EventKind::CallArrived {
                call: CallId(call),
                caller: "+100".into(),
                lang: Lang::En,
                intent: "x".into(),
                dialect: None,
                elderly: false,
            },
        );
        self.feed(s, EventKind::CallQueued { call: CallId(call), queue: QueueId::new(queue), priority: 0 });
    }

    fn offer(&mut self, s: f64, call: u32, agent: u32) {
        self.feed(s, EventKind::CallOffered { call: CallId(call), agent: AgentId(agent) });
    }

    fn answer(&mut self, s: f64, call: u32, agent: u32) {
        self.feed(s, EventKind::CallAnswered { call: CallId(call), agent: AgentId(agent) });
    }

    fn state(&mut self, s: f64, agent: u32, state: AgentState) {
        self.feed(s, EventKind::AgentStateChanged { agent: AgentId(agent), state, reason: None });
    }

    fn snapshot(&self, s: f64) -> FloorMetrics {
        self.tracker.snapshot(&self.floor, at(s))
    }
}

fn row<'a>(m: &'a FloorMetrics, id: &str) -> &'a QueueMetrics {
    let Some(q) = m.queues.iter().find(|q| q.queue.as_str() == id) else { panic!("no metrics row for queue {id}") };
    q
}

fn approx(got: Option<f64>, want: f64) -> bool {
    got.is_some_and(|g| (g - want).abs() < 1e-9)
}

/// Two queues, three seats; the timeline is in the comments (seconds after opening).
fn scripted(window_s: u32) -> Run {
    let mut r = Run::open(
        window_s,
        vec![queue("billing", 0.8, 20), queue("sales", 0.9, 30)],
        vec![
            agent(1, &["billing"], AgentState::Available),
            agent(2, &["billing", "sales"], AgentState::Available),
            agent(3, &["sales"], AgentState::Offline),
        ],
    );
    r.arrive(10.0, 1, "billing");
    r.offer(15.0, 1, 1);
    r.answer(18.0, 1, 1); // waited 8 s: within 20 s
    r.arrive(20.0, 2, "billing");
    r.arrive(50.0, 3, "billing");
    r.feed(55.0, EventKind::CallAbandoned { call: CallId(3) }); // 5 s: short abandon
    r.offer(60.0, 2, 2);
    r.feed(61.0, EventKind::CallRingNoAnswer { call: CallId(2), agent: AgentId(2) }); // back in queue, not re-offered
    r.offer(70.0, 2, 2);
    r.answer(75.0, 2, 2); // waited 55 s
    r.feed(78.0, EventKind::CallEnded { call: CallId(1) }); // talk 60 s, A-01 to wrap-up
    r.state(90.0, 1, AgentState::Available); // wrap-up 12 s: handled 72 s
    r.arrive(100.0, 4, "billing");
    r.feed(140.0, EventKind::CallAbandoned { call: CallId(4) }); // 40 s: abandoned after T
    r.arrive(150.0, 5, "sales");
    r.feed(160.0, EventKind::CallEnded { call: CallId(2) }); // talk 85 s
    r.state(170.0, 2, AgentState::Available); // wrap-up 10 s: handled 95 s (billing)
    r.offer(171.0, 5, 2);
    r.answer(173.0, 5, 2); // sales, waited 23 s: within 30 s
    r.arrive(180.0, 6, "billing"); // still waiting at the snapshot
    r
}

#[test]
fn no_figures_before_any_call() {
    let empty = MetricsTracker::new(1800).snapshot(&Floor::default(), at(0.0));
    assert_eq!(empty.floor.queue.as_str(), "floor");
    assert_eq!((empty.floor.service_level, empty.floor.asa_s, empty.floor.aht_s), (None, None, None));
    assert!(empty.arrivals_per_min.is_empty());

    let r = Run::open(1800, vec![queue("billing", 0.8, 20)], vec![agent(1, &["billing"], AgentState::Available)]);
    let m = r.snapshot(30.0);
    let b = row(&m, "billing");
    assert_eq!((b.offered, b.answered, b.abandoned), (0, 0, 0));
    assert_eq!((b.service_level, b.asa_s, b.aht_s, b.abandon_rate), (None, None, None, None));
    assert_eq!(b.occupancy, Some(0.0), "an idle agent is 0% occupied");
    assert_eq!((b.sl_target, b.sl_seconds, b.waiting, b.longest_wait_s), (0.8, 20, 0, 0.0));
    assert_eq!(b.staffing.erlang_c, Some(0), "no traffic needs no seats");
    assert_eq!(m.arrivals_per_min, vec![0]);
}

#[test]
fn scripted_floor_figures_are_exact() {
    let r = scripted(1800);
    let m = r.snapshot(200.0);
    assert_eq!(m.window_s, 1800);
    assert_eq!(m.at, Some(at(200.0)));

    let b = row(&m, "billing");
    assert_eq!((b.offered, b.answered, b.answered_in_sl, b.abandoned, b.short_abandoned), (5, 2, 1, 2, 1));
    assert!(
        approx(b.service_level, 1.0 / 3.0),
        "billing SL {:?}: 1 in SL ÷ (2 answered + 1 late abandon)",
        b.service_level
    );
    assert!(approx(b.asa_s, (8.0 + 55.0) / 2.0), "billing ASA {:?}", b.asa_s);
    assert!(approx(b.aht_s, (72.0 + 95.0) / 2.0), "billing AHT {:?}", b.aht_s);
    assert!(approx(b.abandon_rate, 2.0 / 5.0), "billing abandon rate {:?}", b.abandon_rate);
    // busy 15–18 ring, 18–78 talk, 78–90 wrap = 75 s, available 125 s.
    // ring 60–61, 70–75, 171–173, talk 75–160, 173–200, wrap 160–170 = 130 s busy, available 70 s.
    assert!(approx(b.occupancy, 205.0 / 400.0), "billing occupancy {:?}", b.occupancy);
    assert_eq!((b.waiting, b.longest_wait_s), (1, 20.0));
    assert_eq!(b.agents, AgentCounts { available: 1, on_call: 1, ..AgentCounts::default() });

    let s = row(&m, "sales");
    assert_eq!((s.offered, s.answered, s.answered_in_sl, s.abandoned), (1, 1, 1, 0));
    assert!(approx(s.service_level, 1.0) && approx(s.asa_s, 23.0) && approx(s.abandon_rate, 0.0));
    assert_eq!(s.aht_s, None, "the sales call is still on");
    assert!(approx(s.occupancy, 130.0 / 200.0), "sales occupancy {:?} (A-03 offline counts nowhere)", s.occupancy);
    assert_eq!(s.agents, AgentCounts { on_call: 1, offline: 1, ..AgentCounts::default() });
    assert_eq!(s.staffing.agents, 1);

    let f = &m.floor;
    assert_eq!((f.offered, f.answered, f.answered_in_sl, f.abandoned, f.short_abandoned), (6, 3, 2, 2, 1));
    assert!(approx(f.service_level, 2.0 / 4.0), "floor SL {:?}", f.service_level);
    assert!(approx(f.asa_s, (8.0 + 55.0 + 23.0) / 3.0));
    assert!(approx(f.aht_s, 83.5) && approx(f.abandon_rate, 2.0 / 6.0));
    assert!(approx(f.occupancy, 205.0 / 400.0), "floor occupancy {:?}: A-02 counted once", f.occupancy);
    assert_eq!(f.agents, AgentCounts { available: 1, on_call: 1, offline: 1, ..AgentCounts::default() });
    assert_eq!((f.waiting, f.longest_wait_s), (1, 20.0));

    // Arrivals per floor-minute: 10 s, 20 s, 50 s | 100 s | 150 s | 180 s.
    assert_eq!(m.arrivals_per_min, vec![3, 1, 1, 1]);
}

#[test]
fn staffing_uses_window_rates_and_the_patience_estimate() {
    let r = scripted(1800);
    let m = r.snapshot(200.0);
    let st = row(&m, "billing").staffing;
    // 5 offered in the 200 s since opening (shorter than the window).
    let lambda = 5.0 / 200.0;
    assert!((st.arrivals_per_hour - lambda * 3600.0).abs() < 1e-9, "arrivals/h {}", st.arrivals_per_hour);
    assert!((st.erlangs - lambda * 83.5).abs() < 1e-9, "erlangs {}", st.erlangs);
    // θ̂ = 2 abandoned ÷ (8 + 55 + 5 + 40) s waited by the calls that left.
    let Some(patience) = st.patience_s else { panic!("two abandons but no patience estimate") };
    assert!((patience - 54.0).abs() < 1e-9, "patience {patience}");
    assert_eq!(st.erlang_c, erlang_c_agents(lambda * 83.5, 83.5, 20.0, 0.8));
    assert_eq!(st.erlang_a, erlang_a_agents(lambda, 83.5, Some(54.0), 20.0, 0.8));
    assert!(st.erlang_c.is_some() && st.erlang_a.is_some());
    assert_eq!(st.agents, 2);
    // Sales: nobody abandoned (infinite patience) and no handled call yet (no AHT, no load).
    let sales = row(&m, "sales").staffing;
    assert_eq!((sales.patience_s, sales.erlang_c, sales.erlang_a), (None, None, None));
    // Floor: the queues' needs add up only when every queue has one.
    assert_eq!(m.floor.staffing.erlang_c, None);
}

#[test]
fn the_window_drops_old_calls() {
    let r = scripted(100);
    let m = r.snapshot(200.0);
    let b = row(&m, "billing");
    // Only what happened at 100 s or later: C-4 offered (100) and abandoned late (140), C-6 offered (180),
    // C-2's contact handled at 170.
    assert_eq!((b.offered, b.answered, b.abandoned, b.short_abandoned), (2, 0, 1, 0));
    assert_eq!(b.service_level, Some(0.0));
    assert_eq!(b.asa_s, None);
    assert!(approx(b.aht_s, 95.0), "AHT {:?}", b.aht_s);
    // 100–200: A-01 available 100 s; A-02 busy 99 s, available 1 s.
    assert!(approx(b.occupancy, 99.0 / 200.0), "occupancy {:?}", b.occupancy);

    // Much later, with no events since: every call has left the window; agents' ongoing states still count.
    let later = r.snapshot(1000.0);
    let b = row(&later, "billing");
    assert_eq!((b.offered, b.answered, b.abandoned), (0, 0, 0));
    assert_eq!((b.service_level, b.aht_s, b.abandon_rate), (None, None, None));
    assert!(approx(b.occupancy, 0.5), "A-01 available, A-02 on call: {:?}", b.occupancy);
    assert_eq!(b.longest_wait_s, 820.0);
    // The sparkline covers the last 30 floor-minutes whatever the window: minutes 0..=16 here.
    let mut want = vec![3, 1, 1, 1];
    want.resize(17, 0);
    assert_eq!(later.arrivals_per_min, want);
}

#[test]
fn transfers_count_a_call_once_and_each_contact_once() {
    let mut r = Run::open(
        1800,
        vec![queue("billing", 0.8, 20), queue("sales", 0.8, 20)],
        vec![
            agent(1, &["billing"], AgentState::Available),
            agent(2, &["billing"], AgentState::Available),
            agent(3, &["sales"], AgentState::Available),
        ],
    );
    r.arrive(0.0, 1, "billing");
    r.offer(2.0, 1, 1);
    r.answer(4.0, 1, 1);
    // A-01 hands the caller straight to A-02 after 30 s, wraps up 10 s.
    r.feed(
        34.0,
        EventKind::CallTransferred { call: CallId(1), to_agent: Some(AgentId(2)), to_queue: None, by: "sup".into() },
    );
    r.state(44.0, 1, AgentState::Available);
    // A-02 sends it to the sales queue after 20 s, no wrap-up; A-03 takes it 6 s later.
    r.feed(
        54.0,
        EventKind::CallTransferred {
            call: CallId(1),
            to_agent: None,
            to_queue: Some("sales".into()),
            by: "sup".into(),
        },
    );
    r.state(54.0, 2, AgentState::Available);
    r.offer(58.0, 1, 3);
    r.answer(60.0, 1, 3);
    r.feed(100.0, EventKind::CallEnded { call: CallId(1) });
    r.state(105.0, 3, AgentState::Available);
    let m = r.snapshot(110.0);
    let b = row(&m, "billing");
    let s = row(&m, "sales");
    assert_eq!((b.offered, b.answered, s.offered, s.answered), (1, 1, 0, 0), "offered and answered once, in billing");
    assert!(approx(b.asa_s, 4.0));
    assert_eq!(m.floor.answered, 1);
    // Contacts: A-01 30 + 10 s, A-02 20 s (billing); A-03 40 + 5 s (sales).
    assert!(approx(b.aht_s, 30.0), "billing AHT {:?}", b.aht_s);
    assert!(approx(s.aht_s, 45.0), "sales AHT {:?}", s.aht_s);
}

#[test]
fn reassigned_agents_move_their_time_between_queues() {
    let mut r = Run::open(
        1800,
        vec![queue("billing", 0.8, 20), queue("sales", 0.8, 20)],
        vec![agent(1, &["billing"], AgentState::Available), agent(2, &["sales"], AgentState::OnCall)],
    );
    r.feed(50.0, EventKind::AgentReassigned { agent: AgentId(2), queues: vec!["billing".into()] });
    let m = r.snapshot(100.0);
    // Billing: A-01 idle 100 s, A-02 busy 50 s (from the move on). Sales: A-02 busy 50 s before the move.
    assert!(approx(row(&m, "billing").occupancy, 50.0 / 150.0), "{:?}", row(&m, "billing").occupancy);
    assert!(approx(row(&m, "sales").occupancy, 1.0));
    assert!(approx(m.floor.occupancy, 100.0 / 200.0));
}

#[test]
fn large_floor_snapshot_works() {
    let queues: Vec<Queue> = (0..10).map(|i| queue(&format!("q{i}"), 0.8, 20)).collect();
    let agents: Vec<Agent> = (0..2000)
        .map(|i| agent(i + 1, &[&format!("q{}", i % 10), &format!("q{}", (i + 1) % 10)], AgentState::Available))
        .collect();
    let mut r = Run::open(1800, queues, agents);
    // 12,000 arrivals over 20 minutes; the first 2,000 are answered by one agent each.
    for c in 0..12_000u32 {
        let s = 1.0 + f64::from(c) * 0.1;
        let q = format!("q{}", c % 10);
        r.arrive(s, c, &q);
        if c < 2000 {
            r.offer(s, c, c + 1);
            r.answer(s + 0.05, c, c + 1);
        }
    }
    let m = r.snapshot(1300.0);
    assert_eq!(m.floor.waiting, 10_000);
    assert_eq!(m.floor.offered, 12_000);
    assert_eq!(m.floor.answered, 2_000);
    assert_eq!(m.floor.agents.on_call, 2_000);
    assert_eq!(m.queues.len(), 10);
    assert_eq!(m.queues.iter().map(|q| q.waiting).sum::<u32>(), 10_000);
    // The oldest waiting call (the 2,001st) arrived at 201 s.
    assert!((m.floor.longest_wait_s - 1099.0).abs() < 1e-6, "longest wait {}", m.floor.longest_wait_s);
    assert_eq!(m.arrivals_per_min.len(), 22);
    assert_eq!(m.arrivals_per_min.iter().sum::<u32>(), 12_000);
}

#[test]
fn sla_percent_given_as_a_percentage_is_read_as_a_fraction() {
    assert_eq!(sla_fraction(&SlaTarget { percent: 80.0, seconds: 20 }), 0.8);
    assert_eq!(sla_fraction(&SlaTarget { percent: 0.8, seconds: 20 }), 0.8);
    assert_eq!(sla_fraction(&SlaTarget { percent: 1.0, seconds: 20 }), 1.0);
}

/// A simulated M/M/n+M floor: Poisson arrivals, exponential talk, exponential patience, FCFS, no ring time and no
/// wrap-up, fed through `Floor::apply` and the tracker. Returns per-batch snapshots (window = one batch).
/// An M/M/n+M floor: `n` agents, arrivals per second, mean handle time, mean patience (None: infinite), SL threshold.
struct Model {
    n: u32,
    lambda: f64,
    aht: f64,
    patience: Option<f64>,
    t: u32,
}

fn simulate(model: &Model, batches: u32, batch_s: u32, seed: u64) -> Vec<QueueMetrics> {
    let &Model { n, lambda, aht, patience, t } = model;
    #[derive(PartialEq, Eq, PartialOrd, Ord)]
    enum Ev {
        Arrival,
        End(u32, u32),
        Abandon(u32),
        Batch,
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (Ok(arr), Ok(talk)) = (Exp::new(lambda), Exp::new(1.0 / aht)) else { panic!("bad rates") };
    let pat = patience.map(|p| Exp::new(1.0 / p));
    let agents: Vec<Agent> = (1..=n).map(|i| agent(i, &["q"], AgentState::Available)).collect();
    let mut r = Run::open(batch_s, vec![queue("q", 0.8, t)], agents);
    // Min-heap on time (ms) via Reverse.
    let mut heap: BinaryHeap<std::cmp::Reverse<(i64, Ev)>> = BinaryHeap::new();
    let ms_of = |s: f64| (s * 1000.0).round() as i64;
    heap.push(std::cmp::Reverse((ms_of(arr.sample(&mut rng)), Ev::Arrival)));
    for b in 1..=batches {
        heap.push(std::cmp::Reverse((i64::from(b * batch_s) * 1000, Ev::Batch)));
    }
    let mut free: Vec<u32> = (1..=n).rev().collect();
    let mut waiting: VecDeque<u32> = VecDeque::new();
    let mut next_call = 0u32;
    let mut out = Vec::new();
    while let Some(std::cmp::Reverse((now, ev))) = heap.pop() {
        let s = now as f64 / 1000.0;
        let connect = |r: &mut Run, heap: &mut BinaryHeap<_>, call: u32, agent: u32, rng: &mut ChaCha8Rng| {
            r.offer(s, call, agent);
            r.answer(s, call, agent);
            heap.push(std::cmp::Reverse((now + ms_of(talk.sample(rng)).max(1), Ev::End(call, agent))));
        };
        match ev {
            Ev::Batch => {
                out.push(r.snapshot(s).queues.remove(0));
                if out.len() == batches as usize {
                    break;
                }
            }
            Ev::Arrival => {
                let call = next_call;
                next_call += 1;
                r.arrive(s, call, "q");
                if let Some(a) = free.pop() {
                    connect(&mut r, &mut heap, call, a, &mut rng);
                } else {
                    waiting.push_back(call);
                    if let Some(Ok(p)) = &pat {
                        heap.push(std::cmp::Reverse((now + ms_of(p.sample(&mut rng)).max(1), Ev::Abandon(call))));
                    }
                }
                heap.push(std::cmp::Reverse((now + ms_of(arr.sample(&mut rng)).max(1), Ev::Arrival)));
            }
            Ev::End(call, a) => {
                r.feed(s, EventKind::CallEnded { call: CallId(call) });
                r.state(s, a, AgentState::Available);
                match waiting.pop_front() {
                    Some(next) => connect(&mut r, &mut heap, next, a, &mut rng),
                    None => free.push(a),
                }
            }
            Ev::Abandon(call) => {
                if let Some(i) = waiting.iter().position(|&c| c == call) {
                    waiting.remove(i);
                    r.feed(s, EventKind::CallAbandoned { call: CallId(call) });
                }
            }
        }
    }
    out
}

/// Mean and standard error of per-batch values.
fn batch_mean(values: &[f64]) -> (f64, f64) {
    let k = values.len() as f64;
    let mean = values.iter().sum::<f64>() / k;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (k - 1.0);
    (mean, (var / k).sqrt())
}

fn check(what: &str, batches: &[QueueMetrics], get: impl Fn(&QueueMetrics) -> Option<f64>, want: f64) {
    let vals: Vec<f64> = batches.iter().filter_map(&get).collect();
    assert_eq!(vals.len(), batches.len(), "{what}: some batch had no figure");
    let (mean, se) = batch_mean(&vals);
    eprintln!("{what}: measured {mean:.4} ± {se:.4} (batch means), model {want:.4}");
    // Four standard errors of the batch means, plus a little for the bias of per-batch ratios.
    let tol = 4.0 * se + 0.005 * want.abs().max(1.0);
    assert!((mean - want).abs() <= tol, "{what}: measured {mean:.4} ± {se:.4}, Erlang A says {want:.4}");
}

#[test]
fn simulated_floor_agrees_with_erlang_a() {
    // 12 agents, 10 Erlangs (AHT 180 s), mean patience 120 s, 80/20.
    let (n, lambda, aht, patience, t) = (12, 10.0 / 180.0, 180.0, 120.0, 20);
    let batches = simulate(&Model { n, lambda, aht, patience: Some(patience), t }, 20, 36_000, 7);
    let ea = erlang_a(n, lambda, aht, Some(patience), f64::from(t));
    check("SL", &batches, |q| q.service_level, ea.service_level);
    check("abandon rate", &batches, |q| q.abandon_rate, ea.p_abandon);
    check("ASA", &batches, |q| q.asa_s, ea.asa_s);
    check("occupancy", &batches, |q| q.occupancy, ea.occupancy);
    check("AHT", &batches, |q| q.aht_s, aht);
    // The patience estimate recovers the simulated mean patience.
    check("patience", &batches, |q| q.staffing.patience_s, patience);
}

#[test]
fn simulated_floor_without_abandonment_agrees_with_erlang_c() {
    let (n, a, aht, t) = (13u32, 10.0, 180.0, 20);
    let batches = simulate(&Model { n, lambda: a / aht, aht, patience: None, t }, 20, 36_000, 11);
    check("SL", &batches, |q| q.service_level, erlang_c_service_level(n, a, f64::from(t), aht));
    check("ASA", &batches, |q| q.asa_s, erlang_c_asa(n, a, aht));
    check("occupancy", &batches, |q| q.occupancy, erlang_c_occupancy(n, a));
    assert!(batches.iter().all(|q| q.abandoned == 0));
}

#[test]
fn agent_states_follow_the_floor_when_a_prediction_is_wrong() {
    let mut r = Run::open(1800, vec![queue("q", 0.8, 20)], vec![agent(1, &["q"], AgentState::Available)]);
    r.arrive(0.0, 1, "q");
    // The tracker hears that A-01 starts ringing, but the floor (as if its rules had changed) keeps them available.
    let offered = Event { at: at(10.0), kind: EventKind::CallOffered { call: CallId(1), agent: AgentId(1) } };
    r.tracker.observe(&offered, &r.floor);
    r.floor.apply(&Event { at: at(10.0), kind: EventKind::Tick });
    // The next event shows the floor as it is: the tracker corrects itself as of 10 s.
    r.feed(20.0, EventKind::Tick);
    let m = r.snapshot(40.0);
    assert_eq!(row(&m, "q").occupancy, Some(0.0), "A-01 was available all along");
}
