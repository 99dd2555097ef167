//! A PBX-fed floor: the engine core (floor, rules, alerts, tickets, metrics, audit, store) fed by a bridge's
//! [`Observation`]s instead of the simulator's facts.
//!
//! The engine is the consistency layer between the PBX and the floor. Every observation is checked against the
//! floor before it becomes events: a PBX reports things out of order around reconnects and transfers, and an
//! observation that cannot apply (an answer for a call never seen, the end of an ended call) is dropped and counted
//! (`out_of_order` in the source's health line) rather than applied. Missing steps are filled in where the meaning is
//! plain (an answer with no offer seen first is an offer and an answer). Supervisor commands that act on calls and
//! seats become [`PbxAction`]s for the bridge: the floor changes only when the PBX's own events confirm them.

use std::collections::{HashMap, HashSet};

use super::source::{Acted, Ctx, Source};
use super::{CallMemo, Engine};
use crate::bridge::{CallKey, EndReason, Observation, PbxAction, PbxSnapshot, Roster};
use crate::engine::sim::scenario::FloorDescription;
use crate::model::*;

/// The PBX source: what the engine keeps of a PBX-fed floor apart from the core — the roster, the PBX's call keys,
/// the calls in a transfer, and the count of observations that could not apply.
#[derive(Debug, Default)]
pub(super) struct PbxSource {
    roster: Roster,
    keys: HashMap<CallKey, CallId>,
    by_call: HashMap<CallId, CallKey>,
    /// Calls their agent transferred away (AgentComplete `Reason: transfer`): where they go next is a transfer.
    transferring: HashSet<CallId>,
    out_of_order: u64,
}

/// What an observation needs of a live call.
struct Live {
    state: CallState,
    agent: Option<AgentId>,
    queue: Option<QueueId>,
}

/// Who the floor names as the one who did what the PBX reports.
const BY_PBX: &str = "pbx";

impl Engine {
    /// A floor fed by a PBX: queues, seats, rules and policies from `description`; calls and seat states from the
    /// observations its bridge sends. Floor time is `start` on (the wall clock, for a served floor). Seats are offline
    /// until the PBX's snapshot says otherwise.
    pub fn with_source(description: FloorDescription, seed: u64, start: Time) -> Engine {
        let pbx = PbxSource { roster: description.roster, ..PbxSource::default() };
        Engine::build(description.scenario, seed, start, Some(pbx))
    }
}

impl Source for PbxSource {
    /// A PBX's seats are offline until its snapshot says otherwise.
    fn seat_starts(_on_shift: bool) -> AgentState {
        AgentState::Offline
    }

    /// A command that acts on a call or a seat is checked as on any floor and becomes the [`PbxAction`] to send;
    /// one the PBX cannot carry out is refused; the rest (alerts, tickets, confirmations, feed lines) the core
    /// carries out at once.
    fn command(ctx: &mut Ctx<'_, Self>, actor: &Actor, cmd: &Command) -> Result<Acted, CommandError> {
        match ctx.plan_pbx(actor, cmd)? {
            Some(action) => Ok(Acted::Pending(action)),
            None => ctx.decide_core(actor, cmd).map(Acted::Done),
        }
    }

    fn observe(ctx: &mut Ctx<'_, Self>, obs: Observation) {
        ctx.observe(obs);
    }

    fn out_of_order(&self) -> u64 {
        self.out_of_order
    }

    fn roster(&self) -> Roster {
        self.roster.clone()
    }

    fn call_of_key(&self, key: &CallKey) -> Option<CallId> {
        self.keys.get(key).copied()
    }
}

impl Ctx<'_, PbxSource> {
    /// Applies what the PBX saw.
    fn observe(&mut self, obs: Observation) {
        let applied = match obs {
            Observation::Snapshot(s) => {
                self.pbx_snapshot(s);
                true
            }
            Observation::CallQueued { key, caller, queue } => self.pbx_queued(key, caller, queue),
            Observation::CallOffered { key, agent } => self.pbx_offered(&key, agent),
            Observation::CallRingNoAnswer { key, agent } => match self.live_key(&key) {
                Some((id, c)) if c.state == CallState::Ringing && c.agent == Some(agent) => {
                    self.emit(EventKind::CallRingNoAnswer { call: id, agent });
                    true
                }
                _ => false,
            },
            Observation::CallAnswered { key, agent } => self.pbx_answered(&key, agent),
            Observation::CallHeld { key } => match self.live_key(&key) {
                Some((id, c)) if c.state == CallState::Connected => {
                    self.emit(EventKind::CallHeld { call: id });
                    true
                }
                Some((_, c)) => c.state == CallState::Held,
                None => false,
            },
            Observation::CallResumed { key } => match self.live_key(&key) {
                Some((id, c)) if c.state == CallState::Held => {
                    self.emit(EventKind::CallResumed { call: id });
                    true
                }
                Some((_, c)) => c.state == CallState::Connected,
                None => false,
            },
            Observation::CallEnded { key, reason } => self.pbx_ended(&key, reason),
            Observation::CallAbandoned { key } => match self.live_key(&key) {
                Some((id, c)) if matches!(c.state, CallState::Ivr | CallState::Queued | CallState::Ringing) => {
                    self.pbx_abandon(id);
                    true
                }
                _ => false,
            },
            Observation::CallGone { key } => {
                match self.live_key(&key) {
                    Some((id, c)) => match c.state {
                        CallState::Ivr | CallState::Queued | CallState::Ringing => self.pbx_abandon(id),
                        _ => self.pbx_end(id),
                    },
                    // The usual case: the call ended with AgentComplete or an abandon, then the channel went.
                    None => self.forget_key(&key),
                }
                true
            }
            Observation::AgentState { agent, state, reason } => self.pbx_agent_state(agent, state, reason),
            Observation::AgentQueues { agent, queues } => {
                let queues: Vec<QueueId> = queues.into_iter().filter(|q| self.core.floor.queue(q).is_some()).collect();
                match self.core.floor.agents.get(&agent) {
                    Some(a) if a.queues != queues => {
                        self.emit(EventKind::AgentReassigned { agent, queues });
                        true
                    }
                    Some(_) => true,
                    None => false,
                }
            }
            Observation::SpyStarted { key, supervisor, mode } => match self.live_key(&key) {
                Some((id, _)) => {
                    if !self.supervising(id, &supervisor, Some(mode)) {
                        self.emit(EventKind::SupervisorJoined { call: id, supervisor, mode });
                    }
                    true
                }
                None => false,
            },
            Observation::SpyStopped { key, supervisor } => match self.live_key(&key) {
                Some((id, _)) => {
                    if self.supervising(id, &supervisor, None) {
                        self.emit(EventKind::SupervisorLeft { call: id, supervisor });
                    }
                    true
                }
                // The call ended first: its spy legs went with it.
                None => true,
            },
        };
        if !applied {
            self.src.out_of_order += 1;
        }
    }

    /// The live floor call of a PBX key and what the observations look at: its state, agent and queue. Not the
    /// whole call: a copy of its transcript on every PBX event would be work on the apply path for nothing.
    fn live_key(&self, key: &CallKey) -> Option<(CallId, Live)> {
        let id = self.src.call_of_key(key)?;
        self.core.floor.calls.get(&id).map(|c| (id, Live { state: c.state, agent: c.agent, queue: c.queue.clone() }))
    }

    /// Whether `supervisor` is on the call (in `mode`, when given).
    fn supervising(&self, id: CallId, supervisor: &str, mode: Option<SupervisorMode>) -> bool {
        self.core.floor.calls.get(&id).is_some_and(|c| {
            c.supervisors.iter().any(|p| p.supervisor == supervisor && mode.is_none_or(|m| p.mode == m))
        })
    }

    fn forget_key(&mut self, key: &CallKey) {
        let p = &mut *self.src;
        if let Some(id) = p.keys.remove(key) {
            p.by_call.remove(&id);
            p.transferring.remove(&id);
        }
    }

    /// The language a new call in `queue` is taken to be in until a feeder says otherwise: the language most of the
    /// queue's seats speak.
    fn queue_lang(&self, queue: &QueueId) -> Lang {
        let (mut zh, mut en) = (0, 0);
        for a in self.core.floor.agents.values().filter(|a| a.queues.contains(queue)) {
            zh += usize::from(a.langs.contains(&Lang::Zh));
            en += usize::from(a.langs.contains(&Lang::En));
        }
        if en > zh { Lang::En } else { Lang::Zh }
    }

    /// A new call from the PBX: it arrives and waits in `queue`.
    fn pbx_arrive(&mut self, key: CallKey, caller: String, queue: QueueId) -> CallId {
        self.core.next_call += 1;
        let id = CallId(self.core.next_call);
        let lang = self.queue_lang(&queue);
        self.src.keys.insert(key.clone(), id);
        self.src.by_call.insert(id, key);
        self.core.calls.insert(id, CallMemo::new(caller.clone()));
        self.emit(EventKind::CallArrived {
            call: id,
            caller,
            lang,
            intent: queue.to_string(),
            dialect: None,
            elderly: false,
        });
        self.recognise_caller(id);
        let priority = self.core.floor.queue(&queue).map_or(0, |q| q.priority);
        self.emit(EventKind::CallQueued { call: id, queue, priority });
        id
    }

    fn pbx_queued(&mut self, key: CallKey, caller: String, queue: QueueId) -> bool {
        if self.core.floor.queue(&queue).is_none() {
            return false;
        }
        let Some((id, c)) = self.live_key(&key) else {
            if self.src.call_of_key(&key).is_some() {
                // An ended call's key came back: the PBX reused it (a callback, a new leg). A new call.
                self.forget_key(&key);
            }
            self.pbx_arrive(key, caller, queue);
            return true;
        };
        match c.state {
            CallState::Queued if c.queue.as_ref() == Some(&queue) => true,
            CallState::Ivr => {
                let priority = self.core.floor.queue(&queue).map_or(0, |q| q.priority);
                self.emit(EventKind::CallQueued { call: id, queue, priority });
                true
            }
            _ => {
                self.pbx_transferred(id, None, Some(queue));
                true
            }
        }
    }

    fn pbx_transferred(&mut self, id: CallId, to_agent: Option<AgentId>, to_queue: Option<QueueId>) {
        self.src.transferring.remove(&id);
        self.emit(EventKind::CallTransferred { call: id, to_agent, to_queue, by: BY_PBX.into() });
    }

    fn pbx_offered(&mut self, key: &CallKey, agent: AgentId) -> bool {
        if !self.core.floor.agents.contains_key(&agent) {
            return false;
        }
        match self.live_key(key) {
            Some((id, c)) if c.state == CallState::Queued => {
                self.emit(EventKind::CallOffered { call: id, agent });
                true
            }
            // Rang at another seat and the ring-out was not reported: it rings here now.
            Some((id, c)) if c.state == CallState::Ringing && c.agent != Some(agent) => {
                if let Some(old) = c.agent {
                    self.emit(EventKind::CallRingNoAnswer { call: id, agent: old });
                }
                self.emit(EventKind::CallOffered { call: id, agent });
                true
            }
            Some((_, c)) => c.state == CallState::Ringing,
            None => false,
        }
    }

    fn pbx_answered(&mut self, key: &CallKey, agent: AgentId) -> bool {
        if !self.core.floor.agents.contains_key(&agent) {
            return false;
        }
        let Some((id, c)) = self.live_key(key) else { return false };
        let transferring = self.src.transferring.contains(&id);
        match c.state {
            CallState::Ringing if c.agent == Some(agent) => {}
            CallState::Queued => self.emit(EventKind::CallOffered { call: id, agent }),
            CallState::Ringing => {
                if let Some(old) = c.agent {
                    self.emit(EventKind::CallRingNoAnswer { call: id, agent: old });
                }
                self.emit(EventKind::CallOffered { call: id, agent });
            }
            CallState::Connected | CallState::Held if c.agent == Some(agent) && !transferring => return true,
            CallState::Connected | CallState::Held => {
                self.pbx_transferred(id, Some(agent), None);
                return true;
            }
            _ => return false,
        }
        self.emit(EventKind::CallAnswered { call: id, agent });
        true
    }

    fn pbx_ended(&mut self, key: &CallKey, reason: EndReason) -> bool {
        let Some((id, c)) = self.live_key(key) else { return false };
        if !matches!(c.state, CallState::Connected | CallState::Held) {
            return false;
        }
        if reason == EndReason::Transfer {
            self.src.transferring.insert(id);
            // The agent has handed the call on and left it: their seat is free of it (wrap-up until the PBX says
            // the seat is free), while the call lives on until it lands somewhere or its caller hangs up.
            if let Some(agent) = c.agent
                && self.core.floor.agents.get(&agent).is_some_and(|a| a.call == Some(id))
            {
                self.emit(EventKind::AgentStateChanged {
                    agent,
                    state: AgentState::WrapUp,
                    reason: Some(format!("transferred {id}")),
                });
            }
        } else {
            self.pbx_end(id);
        }
        true
    }

    /// A conversation is over: the same end as a simulated call's (excerpt kept, follow-up tickets, the caller's
    /// history), without the simulator's survey and wrap-up timers: the PBX says when the seat is free again.
    fn pbx_end(&mut self, id: CallId) {
        let sentiment = self.core.floor.calls.get(&id).map_or(0.0, |c| c.sentiment as f64);
        self.keep_excerpt(id);
        self.emit(EventKind::CallEnded { call: id });
        if sentiment <= self.core.scenario.tickets.negative_end_sentiment {
            self.open_ticket(
                Some(id),
                "unhappy-caller",
                TicketPriority::High,
                format!("{id} ended with sentiment {sentiment:+.2}"),
                None,
            );
        }
        self.call_finished(id, CallState::Ended);
        self.pbx_forget_call(id);
    }

    fn pbx_abandon(&mut self, id: CallId) {
        self.emit(EventKind::CallAbandoned { call: id });
        self.call_finished(id, CallState::Abandoned);
        self.pbx_forget_call(id);
    }

    fn pbx_forget_call(&mut self, id: CallId) {
        if let Some(key) = self.src.by_call.get(&id).cloned() {
            self.forget_key(&key);
        }
        self.core.forget_call(id);
    }

    fn pbx_agent_state(&mut self, agent: AgentId, state: AgentState, reason: Option<String>) -> bool {
        let Some(a) = self.core.floor.agents.get(&agent) else { return false };
        // Ringing and talking come with the call's own events, which know the call; a seat on a floor call keeps it
        // until those say otherwise. A seat busy on a call the floor does not show (an internal call) is on call.
        if matches!(state, AgentState::Ringing | AgentState::OnCall) && a.call.is_some() {
            return true;
        }
        // The PBX reports a seat free while it finishes the call's paperwork: wrap-up lasts until the PBX says the
        // seat is free, which it does at once without a queue `wrapuptime`.
        if a.state == state {
            return true;
        }
        self.emit(EventKind::AgentStateChanged { agent, state, reason });
        true
    }

    /// The PBX's whole state after a (re)connect: seats take its states and memberships; calls it has that the floor
    /// lacks arrive; floor calls it lacks ended while the link was down.
    fn pbx_snapshot(&mut self, s: PbxSnapshot) {
        let listed: HashSet<&CallKey> = s.calls.iter().map(|c| &c.key).collect();
        let mut gone: Vec<CallId> =
            self.src.keys.iter().filter(|(k, _)| !listed.contains(k)).map(|(_, id)| *id).collect();
        gone.sort();
        if !gone.is_empty() {
            tracing::info!(calls = gone.len(), "calls the PBX no longer has ended while the link was down");
        }
        for id in gone {
            match self.core.floor.calls.get(&id).map(|c| c.state) {
                Some(CallState::Connected | CallState::Held) => self.pbx_end(id),
                Some(_) => self.pbx_abandon(id),
                None => self.pbx_forget_call(id),
            }
        }
        for c in s.calls {
            if self.core.floor.queue(&c.queue).is_none() {
                self.src.out_of_order += 1;
                continue;
            }
            let key = c.key.clone();
            if self.live_key(&key).is_none() {
                self.pbx_arrive(key.clone(), c.caller, c.queue);
            }
            if let Some(agent) = c.agent {
                self.pbx_answered(&key, agent);
            }
        }
        for a in s.agents {
            self.observe(Observation::AgentQueues { agent: a.agent, queues: a.queues });
            self.pbx_agent_state(a.agent, a.state, a.reason);
        }
    }

    /// The PBX action a command becomes on a PBX-fed floor, `None` for a command the core carries out itself.
    fn plan_pbx(&self, actor: &Actor, cmd: &Command) -> Result<Option<PbxAction>, CommandError> {
        cmd.check_text_limits()?;
        let pbx = &*self.src;
        let key_of = |call: CallId| {
            pbx.by_call
                .get(&call)
                .cloned()
                .ok_or_else(|| CommandError::not_found(format!("there is no live call {call}: it may have ended")))
        };
        let action = match cmd {
            Command::Monitor { call } | Command::Whisper { call } | Command::Barge { call } => {
                let mode = cmd.mode().unwrap_or(SupervisorMode::Monitor);
                self.check_join(actor, *call, mode)?;
                if pbx.roster.supervisor(&actor.name).is_none() {
                    return Err(CommandError::conflict(format!(
                        "the floor description gives '{}' no device for the PBX to ring: an admin adds one under \
                         [[supervisors]]",
                        actor.name
                    )));
                }
                let agent = self
                    .core
                    .floor
                    .calls
                    .get(call)
                    .and_then(|c| c.agent)
                    .ok_or_else(|| CommandError::conflict(format!("{call} has no agent on it to listen to")))?;
                PbxAction::Spy { key: key_of(*call)?, agent, supervisor: actor.name.clone(), mode }
            }
            Command::Leave { call } => {
                self.check_leave(actor, *call)?;
                PbxAction::StopSpy { key: key_of(*call)?, supervisor: actor.name.clone() }
            }
            Command::Reassign { agent, queues } => {
                let wanted = self.check_reassign(*agent, queues)?;
                let have = self.core.floor.agents.get(agent).map(|a| a.queues.clone()).unwrap_or_default();
                let add: Vec<QueueId> = wanted.iter().filter(|q| !have.contains(q)).cloned().collect();
                let remove: Vec<QueueId> = have.iter().filter(|q| !wanted.contains(q)).cloned().collect();
                if add.is_empty() && remove.is_empty() {
                    return Err(CommandError::conflict(format!("{agent} already serves exactly these queues")));
                }
                PbxAction::SetQueues { agent: *agent, add, remove }
            }
            Command::SetAgentState { agent, state } => {
                self.check_set_state(*agent, *state)?;
                PbxAction::SetState { agent: *agent, state: *state, reason: format!("set by {}", actor.name) }
            }
            Command::Transfer { call, to_agent, to_queue } => {
                self.check_transfer(*call, *to_agent, to_queue.as_ref())?;
                if let Some(q) = to_queue
                    && pbx.roster.queue(q).and_then(|r| r.transfer.as_ref()).is_none()
                {
                    return Err(CommandError::conflict(format!(
                        "the floor description gives queue '{q}' no transfer target: an admin adds transfer = \
                         \"exten@context\" to it"
                    )));
                }
                if let Some(a) = to_agent
                    && pbx.roster.agent(*a).and_then(|r| r.extension.as_ref()).is_none()
                {
                    return Err(CommandError::conflict(format!(
                        "the floor description gives {a} no extension to transfer to: an admin adds extension = \
                         \"exten@context\" to the seat"
                    )));
                }
                PbxAction::Transfer { key: key_of(*call)?, to_agent: *to_agent, to_queue: to_queue.clone() }
            }
            Command::Say { .. } => {
                return Err(CommandError::conflict(
                    "on a PBX floor there is no text path into a call: speak on your phone's barge leg instead",
                ));
            }
            Command::AssignCallback { .. } | Command::AddSeats { .. } => {
                return Err(CommandError::conflict(format!(
                    "{} is not available on a PBX floor: callbacks and new seats are set up on the PBX",
                    cmd.name().replace('_', " ")
                )));
            }
            _ => return Ok(None),
        };
        Ok(Some(action))
    }
}
