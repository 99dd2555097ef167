//! Sliding-window building blocks: time-stamped call records with running sums, the integral of agent counts
//! (for occupancy) and per-minute arrival counts. Times are floor milliseconds since the Unix epoch.

use std::collections::VecDeque;

/// Floor time in milliseconds since the Unix epoch.
pub(super) type Ms = i64;

/// What happened to a call, as counted by one queue.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Kind {
    /// The call entered the queue for the first time (first entry into any queue).
    Offered,
    /// Answered after waiting `wait` ms; `in_sl` when the wait was within the SL threshold.
    Answered { wait: Ms, in_sl: bool },
    /// The caller hung up after waiting `wait` ms; `short` when within the SL threshold.
    Abandoned { wait: Ms, short: bool },
    /// An agent finished a contact: talk + hold + wrap-up, ms.
    Handled { handle: Ms },
}

/// Running totals over the records held.
#[derive(Clone, Copy, PartialEq, Eq, Default, Debug)]
pub(super) struct Sums {
    pub offered: i64,
    pub answered: i64,
    pub answered_in_sl: i64,
    pub abandoned: i64,
    pub short_abandoned: i64,
    pub wait_answered: Ms,
    pub wait_abandoned: Ms,
    pub handled: i64,
    pub handle: Ms,
}

impl Sums {
    fn add(&mut self, kind: Kind, sign: i64) {
        match kind {
            Kind::Offered => self.offered += sign,
            Kind::Answered { wait, in_sl } => {
                self.answered += sign;
                self.answered_in_sl += sign * i64::from(in_sl);
                self.wait_answered += sign * wait;
            }
            Kind::Abandoned { wait, short } => {
                self.abandoned += sign;
                self.short_abandoned += sign * i64::from(short);
                self.wait_abandoned += sign * wait;
            }
            Kind::Handled { handle } => {
                self.handled += sign;
                self.handle += sign * handle;
            }
        }
    }

    /// Adds another queue's totals (for the floor-wide figures).
    pub fn merge(&mut self, o: &Sums) {
        self.offered += o.offered;
        self.answered += o.answered;
        self.answered_in_sl += o.answered_in_sl;
        self.abandoned += o.abandoned;
        self.short_abandoned += o.short_abandoned;
        self.wait_answered += o.wait_answered;
        self.wait_abandoned += o.wait_abandoned;
        self.handled += o.handled;
        self.handle += o.handle;
    }
}

/// One queue's call records in time order, with their running sums.
#[derive(Clone, Default, Debug)]
pub(super) struct Records {
    recs: VecDeque<(Ms, Kind)>,
    sums: Sums,
}

impl Records {
    pub fn push(&mut self, at: Ms, kind: Kind) {
        self.sums.add(kind, 1);
        self.recs.push_back((at, kind));
    }

    /// Forgets records older than `from`.
    pub fn prune(&mut self, from: Ms) {
        while let Some(&(at, kind)) = self.recs.front() {
            if at >= from {
                break;
            }
            self.sums.add(kind, -1);
            self.recs.pop_front();
        }
    }

    /// Totals of the records at or after `from` (only the few records not yet pruned are walked).
    pub fn since(&self, from: Ms) -> Sums {
        let mut s = self.sums;
        for &(_, kind) in self.recs.iter().take_while(|(at, _)| *at < from) {
            s.add(kind, -1);
        }
        s
    }
}

#[derive(Clone, Copy, Debug)]
struct Point {
    t: Ms,
    /// Agent-ms spent handling / available up to `t`.
    busy_int: i64,
    idle_int: i64,
    /// Agents handling / available from `t` on.
    busy: i64,
    idle: i64,
}

/// Number of agents handling calls and available, as step functions of floor time, with their integrals at each
/// step, so the agent-time of any recent window is exact and costs a binary search.
#[derive(Clone, Default, Debug)]
pub(super) struct Occupancy {
    points: VecDeque<Point>,
}

impl Occupancy {
    /// From `t` on, `d_busy` more agents handle calls and `d_idle` more are available.
    pub fn change(&mut self, t: Ms, d_busy: i64, d_idle: i64) {
        if d_busy == 0 && d_idle == 0 {
            return;
        }
        match self.points.back_mut() {
            Some(p) if t <= p.t => {
                p.busy += d_busy;
                p.idle += d_idle;
            }
            Some(p) => {
                let dt = t - p.t;
                let next = Point {
                    t,
                    busy_int: p.busy_int + p.busy * dt,
                    idle_int: p.idle_int + p.idle * dt,
                    busy: p.busy + d_busy,
                    idle: p.idle + d_idle,
                };
                self.points.push_back(next);
            }
            None => self.points.push_back(Point { t, busy_int: 0, idle_int: 0, busy: d_busy, idle: d_idle }),
        }
    }

    fn integral_at(&self, t: Ms) -> (i64, i64) {
        let i = self.points.partition_point(|p| p.t <= t);
        match i.checked_sub(1).and_then(|i| self.points.get(i)) {
            Some(p) => (p.busy_int + p.busy * (t - p.t), p.idle_int + p.idle * (t - p.t)),
            None => (0, 0),
        }
    }

    /// Agent-ms (handling, available) between `from` and `to`.
    pub fn between(&self, from: Ms, to: Ms) -> (i64, i64) {
        let (b1, i1) = self.integral_at(to);
        let (b0, i0) = self.integral_at(from.min(to));
        ((b1 - b0).max(0), (i1 - i0).max(0))
    }

    /// Forgets steps that no window starting at or after `from` needs.
    pub fn prune(&mut self, from: Ms) {
        while self.points.len() >= 2 && self.points.get(1).is_some_and(|p| p.t <= from) {
            self.points.pop_front();
        }
    }
}

/// Calls arriving per floor-minute (minute = floor time ÷ 60 s), newest last.
#[derive(Clone, Default, Debug)]
pub(super) struct MinuteCounts {
    buckets: VecDeque<(i64, u32)>,
}

impl MinuteCounts {
    pub fn add(&mut self, at: Ms) {
        let m = at.div_euclid(60_000);
        match self.buckets.back_mut() {
            Some((bm, c)) if *bm >= m => *c += 1,
            _ => self.buckets.push_back((m, 1)),
        }
    }

    /// Forgets minutes before `first`.
    pub fn prune(&mut self, first: i64) {
        while self.buckets.front().is_some_and(|(m, _)| *m < first) {
            self.buckets.pop_front();
        }
    }

    /// Counts for minutes `from..=to`, zeros where nothing arrived.
    pub fn range(&self, from: i64, to: i64) -> Vec<u32> {
        (from..=to).map(|m| self.buckets.iter().find(|(bm, _)| *bm == m).map_or(0, |(_, c)| *c)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_drop_out_of_the_window() {
        let mut r = Records::default();
        r.push(1_000, Kind::Offered);
        r.push(2_000, Kind::Answered { wait: 500, in_sl: true });
        r.push(3_000, Kind::Abandoned { wait: 40_000, short: false });
        assert_eq!(r.since(0).offered, 1);
        assert_eq!(r.since(1_500).offered, 0);
        assert_eq!(r.since(1_500).answered, 1);
        assert_eq!(r.since(2_500).answered, 0);
        r.prune(2_500);
        assert_eq!(r.since(0), Sums { abandoned: 1, wait_abandoned: 40_000, ..Sums::default() });
    }

    #[test]
    fn occupancy_integrates_exactly_over_any_window() {
        let mut o = Occupancy::default();
        o.change(0, 0, 2); // two agents available from t=0
        o.change(10_000, 1, -1); // one starts handling at 10 s
        o.change(30_000, -1, 1); // done at 30 s
        assert_eq!(o.between(0, 40_000), (20_000, 60_000));
        assert_eq!(o.between(20_000, 40_000), (10_000, 30_000));
        o.prune(20_000);
        assert_eq!(o.between(20_000, 40_000), (10_000, 30_000), "pruning keeps the window exact");
    }
}
