//! The simulated floor: scenarios, the fact scheduler, random draws, and the clock.
//!
//! The simulator never changes the floor itself: it schedules *facts* (a call arrives, a caller speaks, a seat's
//! wrap-up ends, ...) and the engine turns each fact, when its time comes, into events.

pub mod clock;
pub mod scenario;

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use chrono::Duration;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, LogNormal};

use crate::model::{AgentId, CallId, TicketId, Time};
use scenario::Dist;

/// Something the simulation will make happen at a given floor time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fact {
    /// Once per floor-second: time moves on, metric alerts are checked every few ticks.
    Tick,
    /// The next caller dials in.
    Arrival,
    /// The caller finished the IVR and is put into a queue.
    IvrDone(CallId),
    /// The caller runs out of patience (if still waiting). The u32 is the call's epoch.
    Patience(CallId),
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
    /// A ticket's due time passed at the given escalation level.
    TicketDue(TicketId, u8),
    /// The back office resolves a ticket.
    BackOffice(TicketId),
    /// A post-call survey comes back.
    Survey(CallId),
    /// The back office calls an abandoned caller back.
    Callback(CallId),
}

/// Facts ordered by time, then by the order they were scheduled in, so equal times replay identically.
#[derive(Debug, Default)]
pub struct Scheduler {
    heap: BinaryHeap<Reverse<(i64, u64, Fact)>>,
    next: u64,
}

impl Scheduler {
    pub fn at(&mut self, t: Time, fact: Fact) {
        self.next += 1;
        self.heap.push(Reverse((t.timestamp_micros(), self.next, fact)));
    }

    /// The earliest fact due at or before `t`, if any.
    pub fn pop_due(&mut self, t: Time) -> Option<(Time, Fact)> {
        let micros = t.timestamp_micros();
        match self.heap.peek() {
            Some(Reverse((at, _, _))) if *at <= micros => {
                let Reverse((at, _, fact)) = self.heap.pop()?;
                Some((chrono::DateTime::from_timestamp_micros(at).unwrap_or(t), fact))
            }
            _ => None,
        }
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
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
