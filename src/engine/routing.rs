//! ACD routing: offer each waiting call to the longest-idle available seat that serves its queue and speaks its
//! language; urgent calls are first in their queue (the queue keeps them ordered by priority, then age). A caller who
//! speaks a dialect goes to a seat that handles it when one is free, and waits for one a while (see `dialect`).

use std::collections::{BTreeSet, HashMap};

use rand::Rng;

use super::SimSource;
use super::dialect::handles_dialect;
use super::sim::{Fact, sample};
use super::source::Ctx;
use crate::model::*;

/// Available seats, longest idle first. Derived from the floor after every event.
#[derive(Debug, Default)]
pub(crate) struct Routing {
    idle: BTreeSet<(Time, AgentId)>,
    key: HashMap<AgentId, Time>,
}

impl Routing {
    fn sync(&mut self, id: AgentId, floor: &Floor) {
        if let Some(k) = self.key.remove(&id) {
            self.idle.remove(&(k, id));
        }
        if let Some(a) = floor.agents.get(&id)
            && a.state == AgentState::Available
        {
            self.idle.insert((a.since, id));
            self.key.insert(id, a.since);
        }
    }

    /// Keeps the index in step with the floor after `ev` was applied.
    pub(crate) fn after(&mut self, ev: &Event, floor: &Floor) {
        match &ev.kind {
            EventKind::FloorOpened { agents, .. } => {
                for a in agents {
                    self.sync(a.id, floor);
                }
            }
            EventKind::CallOffered { agent, .. }
            | EventKind::CallRingNoAnswer { agent, .. }
            | EventKind::CallAnswered { agent, .. }
            | EventKind::AgentStateChanged { agent, .. } => self.sync(*agent, floor),
            EventKind::CallTransferred { to_agent: Some(agent), .. } => self.sync(*agent, floor),
            EventKind::CallAbandoned { .. } => {
                if let Some(a) = floor.recent.back().and_then(|s| s.agent) {
                    self.sync(a, floor);
                }
            }
            EventKind::SeatsAdded { agents, .. } => {
                for a in agents {
                    self.sync(a.id, floor);
                }
            }
            EventKind::CallbackDialed { agent, .. } | EventKind::CallbackAttempted { agent, .. } => {
                self.sync(*agent, floor)
            }
            _ => {}
        }
    }

    /// Seats in idle order (longest idle first).
    pub(crate) fn idle(&self) -> impl Iterator<Item = AgentId> + '_ {
        self.idle.iter().map(|(_, id)| *id)
    }
}

/// Whether `agent` may take `call`: it serves the call's queue and speaks its language.
pub(crate) fn can_take(agent: &Agent, call: &Call) -> bool {
    call.queue.as_ref().is_some_and(|q| agent.queues.contains(q)) && agent.langs.contains(&call.lang)
}

impl Ctx<'_, SimSource> {
    /// Offers a queued call to the longest-idle seat that can take it, if any.
    pub(crate) fn route_call(&mut self, id: CallId) {
        let Some(call) = self.core.floor.calls.get(&id) else { return };
        if call.state != CallState::Queued {
            return;
        }
        let fits = |a: &AgentId| self.core.floor.agents.get(a).is_some_and(|ag| can_take(ag, call));
        let agent = if call.dialect.is_some() {
            // A seat that handles the caller's dialect first; another only once the caller may no longer wait
            // for one.
            let by_dialect = self.src.routing.idle().find(|a| {
                self.core.floor.agents.get(a).is_some_and(|ag| can_take(ag, call) && handles_dialect(ag, call))
            });
            by_dialect.or_else(|| self.src.routing.idle().find(fits).filter(|a| !self.dialect_held(call, *a)))
        } else {
            self.src.routing.idle().find(fits)
        };
        if let Some(agent) = agent {
            self.offer(id, agent);
        }
    }

    /// Offers the best waiting call (highest priority, then oldest) from the seat's queues to an available seat.
    pub(crate) fn route_agent(&mut self, id: AgentId) {
        let Some(agent) = self.core.floor.agents.get(&id) else { return };
        if agent.state != AgentState::Available {
            return;
        }
        if !self.src.cb_pending.is_empty() && self.dial_pending_for(id) {
            return;
        }
        let Some(agent) = self.core.floor.agents.get(&id) else { return };
        // Best by (priority, then a caller whose dialect the seat handles, then age). A dialect caller still
        // waiting for a seat that handles their dialect is left to it.
        // The language is on the queue entry: only a floor with dialects looks the call up.
        let dialects = self.core.scenario.dialects.is_some();
        let takes = |w: &Waiting| {
            agent.langs.contains(&w.lang)
                && (!dialects
                    || self
                        .core
                        .floor
                        .calls
                        .get(&w.call)
                        .is_some_and(|c| handles_dialect(agent, c) || !self.dialect_held(c, id)))
        };
        let mut best: Option<(u8, bool, Time, CallId)> = None;
        for q in &agent.queues {
            let Some(queue) = self.core.floor.queue(q) else { continue };
            let Some(mut w) = queue.waiting.iter().find(|w| takes(w)) else { continue };
            let mut matched = dialects && self.core.floor.calls.get(&w.call).is_some_and(|c| handles_dialect(agent, c));
            if !matched && !agent.dialects.is_empty() {
                let same_priority = queue.waiting.iter().skip_while(|x| x.priority > w.priority);
                let dialect_caller = same_priority.take_while(|x| x.priority == w.priority).find(|x| {
                    self.core
                        .floor
                        .calls
                        .get(&x.call)
                        .is_some_and(|c| agent.langs.contains(&c.lang) && handles_dialect(agent, c))
                });
                if let Some(x) = dialect_caller {
                    (w, matched) = (x, true);
                }
            }
            let key = (std::cmp::Reverse(w.priority), !matched, w.since);
            let better = match best {
                None => true,
                Some((p, m, since, _)) => key < (std::cmp::Reverse(p), !m, since),
            };
            if better {
                best = Some((w.priority, matched, w.since, w.call));
            }
        }
        if let Some((_, _, _, call)) = best {
            self.offer(call, id);
        }
    }

    /// Rings the seat; the simulation decides whether it answers or lets it ring out.
    fn offer(&mut self, call: CallId, agent: AgentId) {
        self.emit(EventKind::CallOffered { call, agent });
        let offer = match self.src.calls.get_mut(&call) {
            Some(cs) => {
                cs.offers += 1;
                cs.offers
            }
            None => return,
        };
        let group = self.src.agents.get(&agent).map(|a| a.group).unwrap_or(0);
        // Temporary seats belong to no group: the scenario's `[temporary_seats] answer_rate` is theirs.
        let answer_rate = self
            .core
            .scenario
            .agents
            .get(group)
            .map(|g| g.answer_rate)
            .unwrap_or(self.core.scenario.temporary_seats.answer_rate);
        if self.src.rng.random_bool(answer_rate.clamp(0.0, 1.0)) {
            let delay = sample(&self.core.scenario.behaviour.answer_delay, &mut self.src.rng).unwrap_or_default();
            let timeout = chrono::Duration::seconds(self.core.scenario.behaviour.ring_timeout_s as i64);
            self.at(self.core.now + delay.min(timeout), Fact::Answer(call, agent, offer));
        } else {
            let timeout = chrono::Duration::seconds(self.core.scenario.behaviour.ring_timeout_s.max(1) as i64);
            self.at(self.core.now + timeout, Fact::RingTimeout(call, agent, offer));
        }
    }
}
