//! Contact-center metrics over a sliding window (offered, answered, abandoned, SL, ASA, AHT, abandon rate,
//! occupancy, longest wait, agents by state), staffing hints from Erlang C and Erlang A. See docs/METRICS.md.

mod erlang;
mod window;

#[cfg(test)]
mod tests;

use std::collections::HashMap;

pub use erlang::{
    ErlangA, MAX_ERLANGS, erlang_a, erlang_a_agents, erlang_b, erlang_c, erlang_c_agents, erlang_c_asa,
    erlang_c_occupancy, erlang_c_service_level,
};

use crate::model::{
    AgentCounts, AgentId, AgentState, Call, CallId, CallState, Event, EventKind, Floor, FloorMetrics, QueueId,
    QueueMetrics, SlaTarget, Staffing, Time,
};
use window::{Kind, MinuteCounts, Ms, Occupancy, Records, Sums};

/// Minutes shown by [`FloorMetrics::arrivals_per_min`].
pub const ARRIVAL_MINUTES: i64 = 30;

/// Queue id of the floor-wide entry in [`FloorMetrics`].
pub const FLOOR_ID: &str = "floor";

/// The contact an agent is talking on (from answer to hang-up or transfer away).
#[derive(Clone, Debug)]
struct Segment {
    call: CallId,
    queue: Option<usize>,
    start: Ms,
}

/// A contact whose talk is over and whose wrap-up is running.
#[derive(Clone, Debug)]
struct Wrap {
    queue: Option<usize>,
    talk: Ms,
    start: Ms,
}

#[derive(Clone, Debug)]
struct AgentTrack {
    state: AgentState,
    /// Indices into [`MetricsTracker::queues`].
    queues: Vec<usize>,
    segment: Option<Segment>,
    wrap: Option<Wrap>,
}

#[derive(Clone, Default, Debug)]
struct QueueTrack {
    records: Records,
    occupancy: Occupancy,
}

/// Follows the event stream and computes [`FloorMetrics`] over a sliding window.
///
/// It keeps per-queue running structures (records with running sums, the integral of busy and available agents),
/// pruned as the window slides, so [`MetricsTracker::snapshot`] walks the agents and the waiting lists once and
/// never the calls.
#[derive(Debug, Clone)]
pub struct MetricsTracker {
    window_s: u32,
    /// Floor time of the first event seen.
    started: Option<Ms>,
    /// Floor time of the newest event seen.
    last: Ms,
    queues: Vec<QueueTrack>,
    queue_index: HashMap<QueueId, usize>,
    agents: HashMap<AgentId, AgentTrack>,
    /// Every agent once, for the floor-wide occupancy.
    floor_occupancy: Occupancy,
    arrivals: MinuteCounts,
    /// Agents whose new state the last event implied, checked against the next event's `before` floor.
    predicted: Vec<(AgentId, AgentState)>,
    predicted_at: Ms,
}

fn ms(t: Time) -> Ms {
    t.timestamp_millis()
}

/// (handling, available) contribution of an agent in `state` to the occupancy counts.
fn class(state: AgentState) -> (i64, i64) {
    match state {
        AgentState::Ringing | AgentState::OnCall | AgentState::WrapUp => (1, 0),
        AgentState::Available => (0, 1),
        AgentState::Break | AgentState::Offline => (0, 0),
    }
}

/// The SLA target percent as a fraction; a value above 1 is read as a percentage (the scenario file writes 80 for
/// 80%), so a loader that forgot to divide does not make every target unreachable.
pub fn sla_fraction(sla: &SlaTarget) -> f64 {
    let p = if sla.percent > 1.0 { sla.percent / 100.0 } else { sla.percent };
    if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) }
}

fn ratio(num: i64, den: i64) -> Option<f64> {
    (den > 0).then(|| (num as f64 / den as f64).clamp(0.0, 1.0))
}

fn mean_s(total: Ms, count: i64) -> Option<f64> {
    (count > 0).then(|| total as f64 / 1000.0 / count as f64)
}

fn to_u32(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

impl MetricsTracker {
    /// A tracker whose figures cover the last `window_s` floor-seconds.
    pub fn new(window_s: u32) -> Self {
        MetricsTracker {
            window_s,
            started: None,
            last: i64::MIN,
            queues: Vec::new(),
            queue_index: HashMap::new(),
            agents: HashMap::new(),
            floor_occupancy: Occupancy::default(),
            arrivals: MinuteCounts::default(),
            predicted: Vec::new(),
            predicted_at: 0,
        }
    }

    /// Length of the sliding window, floor-seconds.
    pub fn window_s(&self) -> u32 {
        self.window_s
    }

    fn window_ms(&self) -> Ms {
        i64::from(self.window_s) * 1000
    }

    fn queue_idx(&mut self, id: &QueueId) -> usize {
        if let Some(&i) = self.queue_index.get(id) {
            return i;
        }
        self.queues.push(QueueTrack::default());
        let i = self.queues.len() - 1;
        self.queue_index.insert(id.clone(), i);
        i
    }

    /// Starts tracking a floor: its queues, and its agents in their current states from `at` on.
    fn start<'a>(
        &mut self,
        at: Ms,
        queues: impl Iterator<Item = &'a QueueId>,
        agents: impl Iterator<Item = &'a crate::model::Agent>,
        calls: Option<&std::collections::BTreeMap<CallId, Call>>,
    ) {
        *self = MetricsTracker::new(self.window_s);
        self.started = Some(at);
        self.last = at;
        for q in queues {
            self.queue_idx(q);
        }
        for a in agents {
            let idx: Vec<usize> = a.queues.iter().map(|q| self.queue_idx(q)).collect();
            // A call already in progress: its talk so far counts from when the agent went on call.
            let segment = match (a.state, a.call) {
                (AgentState::OnCall, Some(call)) => {
                    let queue = calls.and_then(|c| c.get(&call)).and_then(|c| c.queue.as_ref());
                    Some(Segment { call, queue: queue.map(|q| self.queue_idx(q)), start: ms(a.since).min(at) })
                }
                _ => None,
            };
            let (b, i) = class(a.state);
            for &q in &idx {
                if let Some(qt) = self.queues.get_mut(q) {
                    qt.occupancy.change(at, b, i);
                }
            }
            self.floor_occupancy.change(at, b, i);
            self.agents.insert(a.id, AgentTrack { state: a.state, queues: idx, segment, wrap: None });
        }
    }

    /// Feeds one event; `before` is the floor as it was just before the event was applied.
    pub fn observe(&mut self, ev: &Event, before: &Floor) {
        let at = ms(ev.at).max(self.last);
        if let EventKind::FloorOpened { queues, agents, .. } = &ev.kind {
            self.start(at, queues.iter().map(|q| &q.id), agents.iter(), None);
            return;
        }
        if self.started.is_none() {
            // Joined a floor already running: take it as it is now.
            self.start(at, before.queues.iter().map(|q| &q.id), before.agents.values(), Some(&before.calls));
        }
        self.check_predictions(before);
        self.last = at;
        self.prune(at);

        match &ev.kind {
            EventKind::CallArrived { .. } => self.arrivals.add(at),
            EventKind::CallQueued { call, queue, .. }
                if before.calls.get(call).is_some_and(|c| c.first_queued.is_none()) =>
            {
                let q = self.queue_idx(queue);
                self.push(q, at, Kind::Offered);
            }
            EventKind::CallOffered { call, agent } if before.calls.contains_key(call) => {
                self.set_state(*agent, AgentState::Ringing, at, None);
            }
            EventKind::CallRingNoAnswer { agent, .. } => self.set_state(*agent, AgentState::Available, at, None),
            EventKind::CallAnswered { call, agent } => {
                if let Some(c) = before.calls.get(call) {
                    let q = self.count_answer(c, at, before);
                    self.set_state(*agent, AgentState::OnCall, at, Some((*call, q)));
                }
            }
            EventKind::CallTransferred { call, to_agent, to_queue, .. } => {
                let Some(c) = before.calls.get(call) else { return };
                if let Some(queue) = to_queue {
                    if c.first_queued.is_none() {
                        let q = self.queue_idx(queue);
                        self.push(q, at, Kind::Offered);
                    }
                } else if let Some(a) = to_agent {
                    let q = self.count_answer(c, at, before);
                    self.set_state(*a, AgentState::OnCall, at, Some((*call, q)));
                }
                if let Some(old) = c.agent
                    && Some(old) != *to_agent
                {
                    self.set_state(old, AgentState::WrapUp, at, None);
                }
            }
            EventKind::CallEnded { call } => {
                if let Some(a) = before.calls.get(call).and_then(|c| c.agent)
                    && before.agents.get(&a).is_some_and(|ag| ag.call == Some(*call))
                {
                    self.set_state(a, AgentState::WrapUp, at, None);
                }
            }
            EventKind::CallAbandoned { call } => {
                let Some(c) = before.calls.get(call) else { return };
                if matches!(c.state, CallState::Queued | CallState::Ringing)
                    && c.answered.is_none()
                    && let (Some(first), Some(queue)) = (c.first_queued, c.queue.as_ref())
                {
                    let wait = (at - ms(first)).max(0);
                    let short = wait <= Self::threshold_ms(before, queue);
                    let q = self.queue_idx(queue);
                    self.push(q, at, Kind::Abandoned { wait, short });
                }
                if let Some(a) = c.agent
                    && before.agents.get(&a).is_some_and(|ag| ag.call == Some(*call))
                {
                    self.set_state(a, AgentState::Available, at, None);
                }
            }
            EventKind::AgentStateChanged { agent, state, .. } => self.set_state(*agent, *state, at, None),
            EventKind::AgentReassigned { agent, queues } => self.reassign(*agent, queues, at),
            EventKind::SeatsAdded { agents, .. } => {
                for a in agents {
                    self.add_agent(a, at);
                }
            }
            EventKind::CallbackDialed { call, agent, .. } => {
                self.set_state(*agent, AgentState::OnCall, at, Some((*call, None)))
            }
            EventKind::CallbackAttempted { call, agent, outcome: crate::model::CallbackOutcome::NoAnswer, .. }
                if before.agents.get(agent).is_some_and(|ag| ag.call == Some(*call)) =>
            {
                self.set_state(*agent, AgentState::Available, at, None);
            }
            _ => {}
        }
    }

    fn threshold_ms(floor: &Floor, queue: &QueueId) -> Ms {
        floor.queue(queue).map_or(0, |q| i64::from(q.sla.seconds) * 1000)
    }

    /// Counts the first answer of a queued call; returns the queue index the contact belongs to.
    fn count_answer(&mut self, c: &Call, at: Ms, before: &Floor) -> Option<usize> {
        let queue = c.queue.as_ref()?;
        let q = self.queue_idx(queue);
        if c.answered.is_none()
            && let Some(first) = c.first_queued
        {
            let wait = (at - ms(first)).max(0);
            let in_sl = wait <= Self::threshold_ms(before, queue);
            self.push(q, at, Kind::Answered { wait, in_sl });
        }
        Some(q)
    }

    fn push(&mut self, q: usize, at: Ms, kind: Kind) {
        if let Some(qt) = self.queues.get_mut(q) {
            qt.records.push(at, kind);
        }
    }

    fn prune(&mut self, at: Ms) {
        let from = at - self.window_ms();
        for q in &mut self.queues {
            q.records.prune(from);
            q.occupancy.prune(from);
        }
        self.floor_occupancy.prune(from);
        self.arrivals.prune(at.div_euclid(60_000) - (ARRIVAL_MINUTES - 1));
    }

    /// Reconciles the states the previous event implied with the floor after it; a mismatch (should the floor's
    /// rules change) is corrected as of that event's time.
    fn check_predictions(&mut self, before: &Floor) {
        let predicted = std::mem::take(&mut self.predicted);
        for (agent, state) in predicted {
            if let Some(actual) = before.agents.get(&agent).map(|a| a.state)
                && actual != state
            {
                let at = self.predicted_at;
                self.set_state(agent, actual, at, None);
            }
        }
        self.predicted.clear();
    }

    /// Moves an agent to `state` at `at`: updates the occupancy integrals, and the contact's talk and wrap-up.
    /// `contact` names the call (and its queue) when the agent is connected to one.
    fn set_state(&mut self, agent: AgentId, state: AgentState, at: Ms, contact: Option<(CallId, Option<usize>)>) {
        let Some(tr) = self.agents.get_mut(&agent) else { return };
        let old = tr.state;
        let mut handled: Vec<(Option<usize>, Ms)> = Vec::new();
        if old == AgentState::OnCall
            && state != AgentState::OnCall
            && let Some(s) = tr.segment.take()
        {
            let talk = (at - s.start).max(0);
            if state == AgentState::WrapUp {
                tr.wrap = Some(Wrap { queue: s.queue, talk, start: at });
            } else {
                handled.push((s.queue, talk));
            }
        }
        if old == AgentState::WrapUp
            && state != AgentState::WrapUp
            && let Some(w) = tr.wrap.take()
        {
            handled.push((w.queue, w.talk + (at - w.start).max(0)));
        }
        if state == AgentState::OnCall
            && let Some((call, queue)) = contact
            && tr.segment.as_ref().is_none_or(|s| s.call != call)
        {
            if let Some(s) = tr.segment.take() {
                handled.push((s.queue, (at - s.start).max(0)));
            }
            tr.segment = Some(Segment { call, queue, start: at });
        }
        tr.state = state;
        let (ob, oi) = class(old);
        let (nb, ni) = class(state);
        if (ob, oi) != (nb, ni) {
            for &q in &tr.queues {
                if let Some(qt) = self.queues.get_mut(q) {
                    qt.occupancy.change(at, nb - ob, ni - oi);
                }
            }
            self.floor_occupancy.change(at, nb - ob, ni - oi);
        }
        for (queue, handle) in handled {
            if let Some(q) = queue {
                self.push(q, at, Kind::Handled { handle });
            }
        }
        match self.predicted.iter_mut().find(|(a, _)| *a == agent) {
            Some(p) => p.1 = state,
            None => self.predicted.push((agent, state)),
        }
        self.predicted_at = at;
    }

    /// Starts tracking a seat that logged in after the floor opened (a temporary seat), in its current state.
    fn add_agent(&mut self, a: &crate::model::Agent, at: Ms) {
        if self.agents.contains_key(&a.id) {
            return;
        }
        let idx: Vec<usize> = a.queues.iter().map(|q| self.queue_idx(q)).collect();
        let (b, i) = class(a.state);
        for &q in &idx {
            if let Some(qt) = self.queues.get_mut(q) {
                qt.occupancy.change(at, b, i);
            }
        }
        self.floor_occupancy.change(at, b, i);
        self.agents.insert(a.id, AgentTrack { state: a.state, queues: idx, segment: None, wrap: None });
    }

    fn reassign(&mut self, agent: AgentId, queues: &[QueueId], at: Ms) {
        let idx: Vec<usize> = queues.iter().map(|q| self.queue_idx(q)).collect();
        let Some(tr) = self.agents.get_mut(&agent) else { return };
        let (b, i) = class(tr.state);
        for &q in &tr.queues {
            if let Some(qt) = self.queues.get_mut(q) {
                qt.occupancy.change(at, -b, -i);
            }
        }
        for &q in &idx {
            if let Some(qt) = self.queues.get_mut(q) {
                qt.occupancy.change(at, b, i);
            }
        }
        tr.queues = idx;
    }

    /// Figures for every queue and the floor at floor time `now`.
    pub fn snapshot(&self, floor: &Floor, now: Time) -> FloorMetrics {
        self.build(floor, now, true)
    }

    /// The same figures without the staffing search (Erlang C/A seat counts stay `None`): cheap enough for the
    /// engine's frequent threshold checks.
    pub fn snapshot_without_staffing(&self, floor: &Floor, now: Time) -> FloorMetrics {
        self.build(floor, now, false)
    }

    fn build(&self, floor: &Floor, now: Time, with_staffing: bool) -> FloorMetrics {
        let now_ms = ms(now).max(self.last);
        let from = now_ms - self.window_ms();
        let elapsed = self.started.map_or(0, |s| (now_ms - s).clamp(0, self.window_ms()));

        // Agents by state, per queue (an agent in several queues counts in each) and floor-wide (once).
        let pos: HashMap<&QueueId, usize> = floor.queues.iter().enumerate().map(|(i, q)| (&q.id, i)).collect();
        let mut counts = vec![AgentCounts::default(); floor.queues.len()];
        let mut floor_counts = AgentCounts::default();
        for a in floor.agents.values() {
            floor_counts.add(a.state);
            for q in &a.queues {
                if let Some(c) = pos.get(q).and_then(|&i| counts.get_mut(i)) {
                    c.add(a.state);
                }
            }
        }

        let mut floor_sums = Sums::default();
        let mut floor_staffing = Some((0u32, 0u32));
        let mut floor_erlangs = 0.0;
        let mut floor_longest = 0.0_f64;
        let mut floor_waiting = 0u32;
        let mut queues = Vec::with_capacity(floor.queues.len());
        for (i, q) in floor.queues.iter().enumerate() {
            let track = self.queue_index.get(&q.id).and_then(|&t| self.queues.get(t));
            let sums = track.map(|t| t.records.since(from)).unwrap_or_default();
            let occ = track.map_or((0, 0), |t| t.occupancy.between(from, now_ms));
            let longest = q
                .waiting
                .iter()
                .map(|w| w.since)
                .min()
                .map_or(0.0, |since| ((now_ms - ms(since)).max(0) as f64) / 1000.0);
            let agents = counts.get(i).copied().unwrap_or_default();
            let target = sla_fraction(&q.sla);
            let staffing = if with_staffing {
                staffing(&sums, elapsed, serving(&agents), target, q.sla.seconds)
            } else {
                let (lambda, _, patience) = rates(&sums, elapsed);
                Staffing {
                    agents: serving(&agents),
                    arrivals_per_hour: lambda * 3600.0,
                    patience_s: patience,
                    ..Staffing::default()
                }
            };
            floor_sums.merge(&sums);
            floor_erlangs += staffing.erlangs;
            floor_staffing = match (floor_staffing, staffing.erlang_c, staffing.erlang_a) {
                (Some((c, a)), Some(qc), Some(qa)) => Some((c.saturating_add(qc), a.saturating_add(qa))),
                _ => None,
            };
            floor_longest = floor_longest.max(longest);
            let waiting = u32::try_from(q.waiting.len()).unwrap_or(u32::MAX);
            floor_waiting = floor_waiting.saturating_add(waiting);
            queues.push(queue_metrics(
                q.id.clone(),
                &sums,
                occ,
                (target, q.sla.seconds),
                longest,
                waiting,
                agents,
                staffing,
            ));
        }

        // The floor row: each call judged against its own queue's threshold; the target shown is the queues' when
        // they share one, else the strictest percent and the shortest threshold.
        let target = floor
            .queues
            .iter()
            .map(|q| sla_fraction(&q.sla))
            .fold(None, |m: Option<f64>, t| Some(m.map_or(t, |m| m.max(t))));
        let seconds = floor.queues.iter().map(|q| q.sla.seconds).min().unwrap_or(0);
        let occ = self.floor_occupancy.between(from, now_ms);
        let (lambda, _, patience) = rates(&floor_sums, elapsed);
        let floor_staff = Staffing {
            agents: serving(&floor_counts),
            arrivals_per_hour: lambda * 3600.0,
            erlangs: floor_erlangs,
            erlang_c: floor_staffing.map(|(c, _)| c),
            erlang_a: floor_staffing.map(|(_, a)| a),
            patience_s: patience,
        };
        let floor_row = queue_metrics(
            QueueId::new(FLOOR_ID),
            &floor_sums,
            occ,
            (target.unwrap_or(0.0), seconds),
            floor_longest,
            floor_waiting,
            floor_counts,
            floor_staff,
        );

        FloorMetrics {
            at: Some(now),
            window_s: self.window_s,
            floor: floor_row,
            queues,
            arrivals_per_min: self.arrivals_per_min(now_ms),
            store: None,
            cards: floor
                .cards
                .iter()
                .map(|c| crate::model::CardCount { card: c.id.clone(), suggested: c.suggested, used: c.used })
                .collect(),
            dialects: if with_staffing { floor.dialect_staffing() } else { Vec::new() },
            source: None,
        }
    }

    fn arrivals_per_min(&self, now_ms: Ms) -> Vec<u32> {
        let Some(started) = self.started else { return Vec::new() };
        let to = now_ms.div_euclid(60_000);
        let from = (to - (ARRIVAL_MINUTES - 1)).max(started.div_euclid(60_000));
        self.arrivals.range(from, to)
    }
}

/// Arrivals per second over the elapsed window, observed AHT, and mean patience estimated by maximum likelihood for
/// exponential patience (total wait of the calls that left the queue, answered or abandoned, ÷ abandoned; None when
/// nobody abandoned: infinite).
fn rates(s: &Sums, elapsed: Ms) -> (f64, Option<f64>, Option<f64>) {
    let lambda = if elapsed > 0 { s.offered as f64 / (elapsed as f64 / 1000.0) } else { 0.0 };
    let aht = mean_s(s.handle, s.handled);
    let patience = (s.abandoned > 0)
        .then(|| ((s.wait_answered + s.wait_abandoned) as f64 / 1000.0 / s.abandoned as f64).max(1.0e-3));
    (lambda, aht, patience)
}

/// Staffing hint for one queue: A = λ·AHT, Erlang C seats, Erlang A seats with the estimated patience.
fn staffing(s: &Sums, elapsed: Ms, agents: u32, target: f64, sl_seconds: u32) -> Staffing {
    let (lambda, aht, patience) = rates(s, elapsed);
    let t = f64::from(sl_seconds);
    let (erlangs, erlang_c, erlang_a) = match aht {
        _ if lambda == 0.0 => (0.0, Some(0), Some(0)),
        Some(aht) => {
            let a = lambda * aht;
            (a, erlang_c_agents(a, aht, t, target), erlang_a_agents(lambda, aht, patience, t, target))
        }
        None => (0.0, None, None),
    };
    Staffing { agents, arrivals_per_hour: lambda * 3600.0, erlangs, erlang_c, erlang_a, patience_s: patience }
}

/// Seats serving: logged in and not on break.
fn serving(c: &AgentCounts) -> u32 {
    c.available + c.ringing + c.on_call + c.wrap_up
}

#[allow(clippy::too_many_arguments)]
fn queue_metrics(
    queue: QueueId,
    s: &Sums,
    (busy, idle): (i64, i64),
    (sl_target, sl_seconds): (f64, u32),
    longest_wait_s: f64,
    waiting: u32,
    agents: AgentCounts,
    staffing: Staffing,
) -> QueueMetrics {
    let long_abandoned = s.abandoned - s.short_abandoned;
    QueueMetrics {
        queue,
        offered: to_u32(s.offered),
        answered: to_u32(s.answered),
        abandoned: to_u32(s.abandoned),
        short_abandoned: to_u32(s.short_abandoned),
        answered_in_sl: to_u32(s.answered_in_sl),
        service_level: ratio(s.answered_in_sl, s.answered + long_abandoned),
        sl_target,
        sl_seconds,
        asa_s: mean_s(s.wait_answered, s.answered),
        aht_s: mean_s(s.handle, s.handled),
        abandon_rate: ratio(s.abandoned, s.offered),
        occupancy: ratio(busy, busy + idle),
        longest_wait_s,
        waiting,
        agents,
        staffing,
    }
}
