//! Supervisor commands: each is checked against the floor and becomes events, or is refused with a stable code
//! and one sentence saying why.

use super::source::{Ctx, Source};
use super::{SimSource, Timer};
use crate::model::*;

/// Mood a caller gains when a barged-in supervisor says something calm to them.
const SAY_CALMING: f64 = 0.3;

impl Ctx<'_, SimSource> {
    /// Checks `cmd` against the simulated floor and emits its events: the commands that act on calls and seats
    /// here, the rest in [`Ctx::decide_core`]. `Ok(Some(detail))` adds a detail to the audit entry's `ok` outcome.
    pub(super) fn decide(&mut self, actor: &Actor, cmd: &Command) -> Result<Option<String>, CommandError> {
        // Texts a supervisor adds (notes, lines said into a call) are bounded before anything else is looked at.
        cmd.check_text_limits()?;
        match cmd {
            Command::Say { call, text } => {
                let text = text.trim();
                if text.is_empty() {
                    return Err(CommandError::new(ErrorCode::BadFrame, "there is nothing to say: the text is empty"));
                }
                let c = self.live_call(*call)?;
                let mode = c.supervisors.iter().find(|p| p.supervisor == actor.name).map(|p| p.mode);
                let whisper = match mode {
                    None => {
                        return Err(CommandError::conflict(format!("join {call} (whisper or barge) before speaking")));
                    }
                    Some(SupervisorMode::Monitor) => {
                        return Err(CommandError::conflict(format!(
                            "you are monitoring {call} silently: switch to whisper or barge to speak"
                        )));
                    }
                    Some(SupervisorMode::Whisper) => true,
                    Some(SupervisorMode::Barge) => false,
                };
                let analysis = self.core.analyzer.analyze(text);
                self.emit(EventKind::Utterance {
                    call: *call,
                    speaker: Speaker::Supervisor,
                    text: text.to_string(),
                    sentiment: analysis.sentiment,
                    emotion: None,
                    whisper,
                    by: Some(actor.name.clone()),
                });
                // A calm word from a supervisor the caller can hear turns the call; coaching the agent helps less.
                if let Some(cs) = self.src.calls.get_mut(call) {
                    let weight = if whisper { SAY_CALMING / 3.0 } else { SAY_CALMING };
                    let push = if analysis.sentiment < -0.2 { -weight } else { weight };
                    cs.mood = (cs.mood + push).clamp(-1.0, 1.0);
                }
                Ok(None)
            }
            Command::Reassign { agent, queues } => {
                let qs = self.check_reassign(*agent, queues)?;
                self.emit(EventKind::AgentReassigned { agent: *agent, queues: qs });
                self.route_agent(*agent);
                Ok(None)
            }
            Command::SetAgentState { agent, state } => {
                self.check_set_state(*agent, *state)?;
                self.emit(EventKind::AgentStateChanged {
                    agent: *agent,
                    state: *state,
                    reason: Some(format!("set by {}", actor.name)),
                });
                if let Some(s) = self.src.agents.get_mut(agent) {
                    s.epoch += 1;
                    s.break_due = false;
                }
                if *state == AgentState::Available {
                    self.route_agent(*agent);
                }
                Ok(None)
            }
            Command::Transfer { call, to_agent, to_queue } => {
                let c = self.check_transfer(*call, *to_agent, to_queue.as_ref())?;
                let old_agent = c.agent;
                let was_talking = matches!(c.state, CallState::Connected | CallState::Held);
                // Talk time already spent counts against the time the conversation still needs.
                if let Some(cs) = self.src.calls.get_mut(call) {
                    cs.epoch += 1;
                    if let Some(started) = cs.talk_started
                        && was_talking
                    {
                        cs.talk_left -= self.core.now - started;
                    }
                }
                self.emit(EventKind::CallTransferred {
                    call: *call,
                    to_agent: *to_agent,
                    to_queue: to_queue.clone(),
                    by: actor.name.clone(),
                });
                if let Some(old) = old_agent
                    && Some(old) != *to_agent
                    && was_talking
                {
                    self.start_wrap(old);
                }
                if to_agent.is_some() {
                    self.start_talk(*call);
                } else {
                    let patience = self
                        .src
                        .calls
                        .get(call)
                        .and_then(|c| self.core.scenario.intents.get(c.intent))
                        .map(|i| i.patience);
                    if let Some(p) = patience {
                        self.start_patience(*call, p);
                    }
                    self.route_call(*call);
                }
                Ok(None)
            }
            Command::AssignCallback { call, to_agent, to_queue } => {
                self.assign_callback(actor, *call, *to_agent, to_queue.as_ref())?;
                Ok(None)
            }
            Command::AddSeats { queue, count, skills, until, origin } => {
                self.check_add_seats(queue, *count, skills, *until)?;
                let ids = self.add_seats(queue, *count, skills, *until, *origin, &actor.name);
                let first = ids.first().map(|a| a.to_string()).unwrap_or_default();
                let last = ids.last().map(|a| a.to_string()).unwrap_or_default();
                Ok(Some(format!("{first}..{last} logged in")))
            }
            _ => self.decide_core(actor, cmd),
        }
    }
}

impl<S: Source> Ctx<'_, S> {
    /// Checks `cmd` against the floor and emits its events, for the commands the core carries out whichever source
    /// runs: joining and leaving calls, alerts, tickets, confirmations and the feed. A command that acts on calls or
    /// seats otherwise is its source's (see [`Source::command`]) and is refused here.
    pub(super) fn decide_core(&mut self, actor: &Actor, cmd: &Command) -> Result<Option<String>, CommandError> {
        cmd.check_text_limits()?;
        match cmd {
            Command::Monitor { call } | Command::Whisper { call } | Command::Barge { call } => {
                let mode = cmd.mode().unwrap_or(SupervisorMode::Monitor);
                self.check_join(actor, *call, mode)?;
                self.emit(EventKind::SupervisorJoined { call: *call, supervisor: actor.name.clone(), mode });
                Ok(None)
            }
            Command::Leave { call } => {
                self.check_leave(actor, *call)?;
                self.emit(EventKind::SupervisorLeft { call: *call, supervisor: actor.name.clone() });
                Ok(None)
            }
            Command::AckAlert { alert } => {
                let a = self
                    .core
                    .floor
                    .alerts
                    .get(alert)
                    .ok_or_else(|| CommandError::not_found(format!("there is no alert {alert}")))?;
                if let Some(ack) = &a.acked {
                    return Err(CommandError::conflict(format!("{alert} was already acknowledged by {}", ack.by)));
                }
                self.emit(EventKind::AlertAcknowledged { alert: *alert, by: actor.name.clone() });
                Ok(None)
            }
            Command::AckAlerts { alerts } => {
                if alerts.is_empty() {
                    return Err(CommandError::new(ErrorCode::BadFrame, "ack_alerts needs at least one alert id"));
                }
                if alerts.len() > ACK_ALERTS_MAX {
                    return Err(CommandError::new(
                        ErrorCode::BadFrame,
                        format!("ack_alerts takes at most {ACK_ALERTS_MAX} alert ids at once, not {}", alerts.len()),
                    ));
                }
                // All or nothing: every id is checked before anything is acknowledged.
                if let Some(missing) = alerts.iter().find(|a| !self.core.floor.alerts.contains_key(a)) {
                    return Err(CommandError::not_found(format!(
                        "there is no alert {missing}: no alert was acknowledged"
                    )));
                }
                let mut seen = std::collections::HashSet::with_capacity(alerts.len());
                let (mut acked, mut already) = (0usize, 0usize);
                for alert in alerts {
                    if !seen.insert(*alert) {
                        continue;
                    }
                    if self.core.floor.alerts.get(alert).is_some_and(|a| a.acked.is_some()) {
                        already += 1;
                    } else {
                        self.emit(EventKind::AlertAcknowledged { alert: *alert, by: actor.name.clone() });
                        acked += 1;
                    }
                }
                Ok(Some(format!("{acked} acknowledged, {already} already acknowledged")))
            }
            Command::Escalate { ticket, note } => {
                let t = self.open_ticket_ref(*ticket)?;
                let max = self.core.scenario.tickets.max_level;
                if t.level >= max {
                    return Err(CommandError::conflict(format!("{ticket} is already at the highest level ({max})")));
                }
                let level = t.level + 1;
                let due =
                    self.core.now + chrono::Duration::minutes(self.core.scenario.tickets.escalation_extends_min as i64);
                self.emit(EventKind::TicketEscalated {
                    ticket: *ticket,
                    level,
                    note: note.trim().to_string(),
                    by: actor.name.clone(),
                    due,
                });
                self.core.timer(due, Timer::TicketDue(*ticket, level));
                Ok(None)
            }
            Command::Note { ticket, text } => {
                self.open_ticket_ref(*ticket)?;
                if text.trim().is_empty() {
                    return Err(CommandError::new(ErrorCode::BadFrame, "the note is empty"));
                }
                self.emit(EventKind::TicketNoted {
                    ticket: *ticket,
                    text: text.trim().to_string(),
                    by: actor.name.clone(),
                });
                Ok(None)
            }
            Command::Resolve { ticket, note } => {
                self.open_ticket_ref(*ticket)?;
                self.emit(EventKind::TicketResolved {
                    ticket: *ticket,
                    note: note.trim().to_string(),
                    by: actor.name.clone(),
                });
                Ok(None)
            }
            Command::Confirm { call, accept, note } => self.decide_confirm(actor, *call, *accept, note.as_deref()),
            Command::Utterance { .. } | Command::CallTag { .. } => self.decide_ingest(actor, cmd),
            other => Err(CommandError::conflict(format!(
                "{} is not available on this floor",
                other.name().replace('_', " ")
            ))),
        }
    }

    /// Whether `actor` may join `call` in `mode` (monitor, whisper, barge).
    pub(super) fn check_join(&self, actor: &Actor, call: CallId, mode: SupervisorMode) -> Result<(), CommandError> {
        let c = self.live_call(call)?;
        if !matches!(c.state, CallState::Connected | CallState::Held) {
            return Err(CommandError::conflict(format!(
                "{call} is {}, not connected to an agent: you can join it once it is answered",
                c.state.as_str()
            )));
        }
        if mode == SupervisorMode::Barge
            && let Some(other) =
                c.supervisors.iter().find(|p| p.mode == SupervisorMode::Barge && p.supervisor != actor.name)
        {
            return Err(CommandError::conflict(format!(
                "{} is already barged into {call}: only one supervisor barges in at a time",
                other.supervisor
            )));
        }
        if c.supervisors.iter().any(|p| p.supervisor == actor.name && p.mode == mode) {
            return Err(CommandError::conflict(format!("you are already on {call} in {} mode", mode.as_str())));
        }
        Ok(())
    }

    pub(super) fn check_leave(&self, actor: &Actor, call: CallId) -> Result<(), CommandError> {
        let c = self.live_call(call)?;
        if !c.supervisors.iter().any(|p| p.supervisor == actor.name) {
            return Err(CommandError::conflict(format!("you are not on {call}")));
        }
        Ok(())
    }

    /// The queues a seat is to serve, checked and without repeats.
    pub(super) fn check_reassign(&self, agent: AgentId, queues: &[QueueId]) -> Result<Vec<QueueId>, CommandError> {
        self.agent(agent)?;
        if queues.is_empty() {
            return Err(CommandError::conflict(format!("{agent} must serve at least one queue")));
        }
        if let Some(q) = queues.iter().find(|q| self.core.floor.queue(q).is_none()) {
            let names: Vec<&str> = self.core.floor.queues.iter().map(|q| q.id.as_str()).collect();
            return Err(CommandError::not_found(format!(
                "there is no queue '{q}': the queues are {}",
                names.join(", ")
            )));
        }
        let mut qs: Vec<QueueId> = Vec::with_capacity(queues.len());
        for q in queues {
            if !qs.contains(q) {
                qs.push(q.clone());
            }
        }
        Ok(qs)
    }

    pub(super) fn check_set_state(&self, agent: AgentId, state: AgentState) -> Result<(), CommandError> {
        let a = self.agent(agent)?;
        let current = a.state;
        if !matches!(state, AgentState::Available | AgentState::Break | AgentState::Offline) {
            return Err(CommandError::conflict(format!(
                "an agent can be set to available, break or offline, not {}",
                state.as_str()
            )));
        }
        if matches!(current, AgentState::Ringing | AgentState::OnCall) {
            let call = a.call.map(|c| format!(" {c}")).unwrap_or_default();
            return Err(CommandError::conflict(format!(
                "{agent} is on call{call}: change the state after the call ends"
            )));
        }
        if current == state {
            return Err(CommandError::conflict(format!("{agent} is already {}", state.as_str())));
        }
        Ok(())
    }

    /// The call a transfer moves, once the transfer is checked.
    pub(super) fn check_transfer(
        &self,
        call: CallId,
        to_agent: Option<AgentId>,
        to_queue: Option<&QueueId>,
    ) -> Result<Call, CommandError> {
        let c = self.live_call(call)?.clone();
        if let Some(e) = self.transfer_blocked(&c) {
            return Err(e);
        }
        if to_agent.is_some() == to_queue.is_some() {
            return Err(CommandError::new(
                ErrorCode::BadFrame,
                "a transfer names exactly one target: to_agent or to_queue",
            ));
        }
        if !matches!(c.state, CallState::Queued | CallState::Connected | CallState::Held) {
            return Err(CommandError::conflict(format!(
                "{call} is {}: only queued or connected calls can be transferred",
                c.state.as_str()
            )));
        }
        if let Some(q) = to_queue {
            if self.core.floor.queue(q).is_none() {
                return Err(CommandError::not_found(format!("there is no queue '{q}'")));
            }
            self.check_temp_transfer(&c, Some(q))?;
            if c.queue.as_ref() == Some(q) && c.state == CallState::Queued {
                return Err(CommandError::conflict(format!("{call} is already waiting in {q}")));
            }
        }
        if let Some(a) = to_agent {
            let ag = self.agent(a)?;
            if ag.state != AgentState::Available {
                return Err(CommandError::conflict(format!(
                    "{a} is {}: a call can only be transferred to an available agent",
                    ag.state.as_str()
                )));
            }
            if !ag.langs.contains(&c.lang) {
                return Err(CommandError::conflict(format!(
                    "{a} does not speak {}, the caller's language",
                    c.lang.as_str()
                )));
            }
        }
        Ok(c)
    }

    pub(super) fn live_call(&self, id: CallId) -> Result<&Call, CommandError> {
        self.core
            .floor
            .calls
            .get(&id)
            .ok_or_else(|| CommandError::not_found(format!("there is no live call {id}: it may have ended")))
    }

    fn agent(&self, id: AgentId) -> Result<&Agent, CommandError> {
        self.core.floor.agents.get(&id).ok_or_else(|| CommandError::not_found(format!("there is no agent {id}")))
    }

    fn open_ticket_ref(&self, id: TicketId) -> Result<&Ticket, CommandError> {
        let t = self
            .core
            .floor
            .tickets
            .get(&id)
            .ok_or_else(|| CommandError::not_found(format!("there is no ticket {id}")))?;
        if t.status == TicketStatus::Resolved {
            return Err(CommandError::conflict(format!("{id} is already resolved")));
        }
        Ok(t)
    }
}
