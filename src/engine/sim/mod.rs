//! The simulated floor: scenarios, the fact scheduler, random draws, and the clock.
//!
//! The simulator never changes the floor itself: it schedules *facts* (a call arrives, a caller speaks, a seat's
//! wrap-up ends, ...) and the engine turns each fact, when its time comes, into events.

pub mod clock;
pub mod scenario;

use std::collections::BTreeMap;

use chrono::Duration;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, LogNormal};

use crate::model::{AgentId, CallId, TicketId, Time};
use scenario::Dist;

/// Something the simulation will make happen at a given floor time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fact {
    /// The next caller dials in.
    Arrival,
    /// Draw the next arrival time again from here (after a long stretch of near-zero rate), without an arrival.
    DrawArrival,
    /// The caller finished the IVR and is put into a queue.
    IvrDone(CallId),
    /// The caller runs out of patience (if still waiting or ringing, and not transferred or answered since: the
    /// u32 is the call's epoch).
    Patience(CallId, u32),
    /// The seat picks up the call offered to it (offer number).
    Answer(CallId, AgentId, u32),
    /// The call rang out at the seat (offer number).
    RingTimeout(CallId, AgentId, u32),
    /// Next line of the conversation (call epoch).
    NextLine(CallId, u32),
    /// The conversation is over (call epoch).
    EndCall(CallId, u32),
    HoldStart(CallId, u32),
    HoldEnd(CallId, u32),
    /// The seat finished wrap-up (seat epoch).
    WrapDone(AgentId, u32),
    BreakStart(AgentId),
    BreakEnd(AgentId, u32),
    ShiftStart(AgentId),
    ShiftEnd(AgentId),
    /// The back office resolves a ticket.
    BackOffice(TicketId),
    /// A post-call survey comes back.
    Survey(CallId),
    /// The back office calls an abandoned caller back.
    Callback(CallId),
    /// A caller calls again: the call id is their earlier call's.
    Redial(CallId),
    /// The agent looks at the call's pending second confirmation.
    AgentConfirm(CallId),
    /// The scenario's planned temporary seats (index into `[[temporary_seats.plan]]`) log in.
    SeatPlan(usize),
    /// A temporary seat's `until` came.
    SeatUntil(AgentId),
    /// An outbound callback call (first id) for a callback (second) has rung: picked up or not.
    CallbackRing(CallId, CallId, bool),
    /// The next attempt of a callback is due.
    CallbackRetry(CallId),
    /// A callback's promised time came.
    CallbackPromise(CallId),
    /// The agent uses a card suggested on the call (index into the scenario's cards), once they have the call.
    CardUse(CallId, usize),
    /// A dialect caller's wait for a seat that handles their dialect is over: any seat of the queue may take them.
    DialectWait(CallId),
}

/// Facts (of any kind `F`) ordered by time, then by the order they were scheduled in, so equal times replay
/// identically. Two schedulers that share a stamp counter ([`Scheduler::at_stamped`]) merge into one order by
/// (time, stamp): the core's timers and the simulator's facts are kept apart that way and still replay as one.
///
/// A calendar queue: facts wait in one bucket per floor-second; the earliest bucket is sorted once when it comes
/// due. Almost every fact is scheduled seconds to minutes ahead, so this beats a binary heap of tens of thousands
/// of pending facts on a busy floor.
#[derive(Debug)]
pub struct Scheduler<F = Fact> {
    buckets: BTreeMap<i64, Vec<(i64, u64, F)>>,
    /// The bucket being drained, sorted latest first (so the next fact pops off the end).
    current: Vec<(i64, u64, F)>,
    current_sec: Option<i64>,
    next: u64,
    len: usize,
}

impl<F> Default for Scheduler<F> {
    fn default() -> Self {
        Scheduler { buckets: BTreeMap::new(), current: Vec::new(), current_sec: None, next: 0, len: 0 }
    }
}

const MICROS: i64 = 1_000_000;

impl<F: Copy> Scheduler<F> {
    /// Schedules `fact` at `t`, stamped by this scheduler's own counter.
    pub fn at(&mut self, t: Time, fact: F) {
        self.next += 1;
        self.at_stamped(t, self.next, fact);
    }

    /// Schedules `fact` at `t` with a stamp from a counter shared with other schedulers: among facts due at the
    /// same time the lower stamp comes first.
    pub fn at_stamped(&mut self, t: Time, stamp: u64, fact: F) {
        self.len += 1;
        let micros = t.timestamp_micros();
        let sec = micros.div_euclid(MICROS);
        let entry = (micros, stamp, fact);
        match self.current_sec {
            Some(cur) if sec <= cur => {
                // Into the bucket being drained: keep it sorted latest first.
                let key = (micros, stamp);
                let pos = self.current.partition_point(|e| (e.0, e.1) > key);
                self.current.insert(pos, entry);
            }
            _ => self.buckets.entry(sec).or_default().push(entry),
        }
    }

    /// The earliest fact due at or before `t`, if any.
    pub fn pop_due(&mut self, t: Time) -> Option<(Time, F)> {
        self.peek_due(t)?;
        let (at, _, fact) = self.current.pop()?;
        self.len -= 1;
        Some((chrono::DateTime::from_timestamp_micros(at).unwrap_or(t), fact))
    }

    /// When the earliest fact due at or before `t` is due (microseconds) and its stamp, without taking it.
    pub fn peek_due(&mut self, t: Time) -> Option<(i64, u64)> {
        let micros = t.timestamp_micros();
        loop {
            if let Some(&(at, stamp, _)) = self.current.last() {
                return (at <= micros).then_some((at, stamp));
            }
            // Load the next bucket, if it has begun.
            let (&sec, _) = self.buckets.first_key_value()?;
            if sec * MICROS > micros {
                return None;
            }
            let mut bucket = self.buckets.remove(&sec).unwrap_or_default();
            bucket.sort_unstable_by_key(|e| std::cmp::Reverse((e.0, e.1)));
            self.current = bucket;
            self.current_sec = Some(sec);
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Draws a duration from `d`; `None` for `infinite`. Never negative.
pub fn sample(d: &Dist, rng: &mut ChaCha8Rng) -> Option<Duration> {
    let secs = match *d {
        Dist::Fixed { s } => s,
        Dist::Uniform { min_s, max_s } => {
            if max_s > min_s {
                rng.random_range(min_s..max_s)
            } else {
                min_s
            }
        }
        Dist::Exponential { mean_s } => match Exp::new(1.0 / mean_s.max(1e-9)) {
            Ok(e) => e.sample(rng),
            Err(_) => mean_s,
        },
        Dist::Lognormal { mean_s, sd_s } => {
            // Parameters of the underlying normal from the mean and standard deviation of the log-normal.
            let m = mean_s.max(1e-9);
            let var = sd_s * sd_s;
            let sigma2 = (1.0 + var / (m * m)).ln();
            let mu = m.ln() - sigma2 / 2.0;
            match LogNormal::new(mu, sigma2.sqrt()) {
                Ok(l) => l.sample(rng),
                Err(_) => m,
            }
        }
        Dist::Infinite => return None,
    };
    Some(secs_to_duration(secs.max(0.0)))
}

pub fn secs_to_duration(secs: f64) -> Duration {
    Duration::microseconds((secs.clamp(0.0, 1e9) * 1e6) as i64)
}

/// A standard normal draw (Box–Muller), for small mood noise.
pub fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn facts_come_out_in_time_then_schedule_order() {
        let t0 = chrono::Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).single().unwrap_or_default();
        let ms = |n: i64| t0 + Duration::milliseconds(n);
        let mut s = Scheduler::default();
        s.at(ms(2500), Fact::Arrival);
        s.at(ms(100), Fact::DrawArrival);
        s.at(ms(2500), Fact::IvrDone(CallId(1)));
        s.at(ms(900), Fact::IvrDone(CallId(2)));
        assert_eq!(s.len(), 4);
        assert_eq!(s.pop_due(ms(50)), None, "nothing is due yet");
        assert_eq!(s.pop_due(ms(1000)).map(|x| x.1), Some(Fact::DrawArrival));
        // Scheduled while its second is being drained, before a fact already there.
        s.at(ms(500), Fact::IvrDone(CallId(3)));
        assert_eq!(s.pop_due(ms(1000)).map(|x| x.1), Some(Fact::IvrDone(CallId(3))));
        assert_eq!(s.pop_due(ms(1000)).map(|x| x.1), Some(Fact::IvrDone(CallId(2))));
        assert_eq!(s.pop_due(ms(1000)), None);
        assert_eq!(s.pop_due(ms(3000)).map(|x| x.1), Some(Fact::Arrival));
        assert_eq!(s.pop_due(ms(3000)).map(|x| x.1), Some(Fact::IvrDone(CallId(1))));
        assert!(s.is_empty());
    }

    /// The core's timers and the simulator's facts live in two schedulers that share one stamp counter; taking
    /// whichever is due first by (time, stamp) gives the order one scheduler holding both gave (what keeps seeded runs
    /// byte for byte the same), equal times included.
    #[test]
    fn two_schedulers_sharing_stamps_replay_as_one() {
        let t0 = chrono::Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).single().unwrap_or_default();
        let ms = |n: i64| t0 + Duration::milliseconds(n);
        // (time, which scheduler) in the order they are scheduled: equal times across the two on purpose.
        let plan = [(1000, 'a'), (1000, 'b'), (500, 'b'), (1000, 'a'), (1500, 'b'), (500, 'a'), (2000, 'a')];
        let mut one: Scheduler<usize> = Scheduler::default();
        let (mut a, mut b): (Scheduler<usize>, Scheduler<usize>) = Default::default();
        let mut stamps = 0;
        for (n, (at, which)) in plan.iter().enumerate() {
            one.at(ms(*at), n);
            stamps += 1;
            match which {
                'a' => a.at_stamped(ms(*at), stamps, n),
                _ => b.at_stamped(ms(*at), stamps, n),
            }
        }
        let end = ms(5000);
        let single: Vec<usize> = std::iter::from_fn(|| one.pop_due(end).map(|x| x.1)).collect();
        let mut merged = Vec::new();
        loop {
            let first_a = match (a.peek_due(end), b.peek_due(end)) {
                (Some(x), Some(y)) => x < y,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            let next = if first_a { a.pop_due(end) } else { b.pop_due(end) };
            merged.extend(next.map(|x| x.1));
        }
        assert_eq!(single, vec![2, 5, 0, 1, 3, 4, 6]);
        assert_eq!(merged, single);
    }
}
