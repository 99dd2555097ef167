//! Issue 9's points 3, 4 and 9 in the engine: callers who are contacts of a student, temporary seats that log in
//! for a peak and leave at their `until`, and callbacks a supervisor assigns that the floor dials, redials and
//! alerts on when overdue.

use chrono::Duration;
use rand::Rng;

use super::sim::Fact;
use super::source::{Ctx, Source};
use super::{CallMemo, SimSource};
use crate::model::*;

/// Most skills one `add_seats` may list, and the longest skill, in characters.
pub const ADD_SEATS_SKILLS_MAX: usize = 10;
pub const SKILL_MAX_CHARS: usize = 40;

/// Who placed an engine-made decision in events' `by` (the scenario's plan of temporary seats).
const PLAN_BY: &str = "scenario plan";

impl Ctx<'_, SimSource> {
    // ---------------------------------------------------------------------------------------------------------
    // One student, many contacts.

    /// For a caller of intent `intent`: with the scenario's share, a student and the contact calling about them
    /// (indexes into `[[students]]` and its contacts). Draws nothing when the scenario has no `[student_calls]`.
    pub(super) fn pick_student_contact(&mut self, intent: usize, lang: Lang) -> Option<(usize, usize)> {
        let sc = self.core.scenario.student_calls.as_ref()?;
        if self.core.scenario.students.is_empty() || sc.caller_share <= 0.0 {
            return None;
        }
        let id = self.core.scenario.intents.get(intent).map(|i| i.id.as_str()).unwrap_or("");
        if !sc.intents.is_empty() && !sc.intents.iter().any(|i| i == id) {
            return None;
        }
        if !self.src.rng.random_bool(sc.caller_share.clamp(0.0, 1.0)) {
            return None;
        }
        let speaks = |s: &crate::engine::sim::scenario::StudentSpec| s.lang.is_none_or(|l| l == lang);
        let fits = self.core.scenario.students.iter().filter(|s| speaks(s)).count();
        if fits == 0 {
            return None;
        }
        let pick = self.src.rng.random_range(0..fits);
        let s = self.core.scenario.students.iter().enumerate().filter(|(_, s)| speaks(s)).nth(pick).map(|(i, _)| i)?;
        let n = self.core.scenario.students[s].contacts.len().max(1);
        Some((s, self.src.rng.random_range(0..n)))
    }

    /// The caller's number when they are the contact `who` picked, and the event linking the call to the student.
    pub(super) fn student_contact(&self, call: CallId, who: (usize, usize)) -> Option<(String, EventKind)> {
        let s = self.core.scenario.students.get(who.0)?;
        let c = s.contacts.get(who.1)?;
        let ev = EventKind::StudentCallLinked {
            call,
            student: s.id.clone(),
            name: s.name.clone(),
            class: s.class.clone(),
            role: c.role,
            number: c.number.clone(),
        };
        Some((c.number.clone(), ev))
    }

    // ---------------------------------------------------------------------------------------------------------
    // Elastic seats.

    /// Schedules the scenario's planned temporary seats (those whose time is still ahead).
    pub(super) fn schedule_seat_plan(&mut self) {
        let day =
            self.core.now - Duration::seconds(i64::from(chrono::Timelike::num_seconds_from_midnight(&self.core.now)));
        let plan: Vec<(u32, u32)> =
            self.core.scenario.temporary_seats.plan.iter().map(|p| (p.at.secs(), p.until.secs())).collect();
        for (n, (at, until)) in plan.into_iter().enumerate() {
            let at = day + Duration::seconds(i64::from(at));
            let until = day + Duration::seconds(i64::from(until));
            if until > self.core.now {
                self.at(at.max(self.core.now), Fact::SeatPlan(n));
            }
        }
    }

    pub(super) fn seat_plan(&mut self, n: usize) {
        let Some(p) = self.core.scenario.temporary_seats.plan.get(n).cloned() else { return };
        let day =
            self.core.now - Duration::seconds(i64::from(chrono::Timelike::num_seconds_from_midnight(&self.core.now)));
        let until = day + Duration::seconds(i64::from(p.until.secs()));
        if until > self.core.now {
            self.add_seats(&QueueId::new(&p.queue), p.count, &p.skills, until, p.origin, PLAN_BY);
        }
    }

    /// Checks an `add_seats` command's figures: `bad_frame` for a count of 0 or over [`ADD_SEATS_MAX`], an `until`
    /// not in the next [`ADD_SEATS_MAX_HOURS`] hours, or too many or too long skills; `not_found` for a queue.
    pub(super) fn check_add_seats(
        &self,
        queue: &QueueId,
        count: u32,
        skills: &[String],
        until: Time,
    ) -> Result<(), CommandError> {
        let bad = |m: String| CommandError::new(ErrorCode::BadFrame, m);
        if count == 0 || count > ADD_SEATS_MAX {
            return Err(bad(format!("add {count} seats? give a count from 1 to {ADD_SEATS_MAX}")));
        }
        if self.core.floor.queue(queue).is_none() {
            let names: Vec<&str> = self.core.floor.queues.iter().map(|q| q.id.as_str()).collect();
            return Err(CommandError::not_found(format!(
                "there is no queue '{queue}': the queues are {}",
                names.join(", ")
            )));
        }
        if until <= self.core.now {
            return Err(bad(format!(
                "until {} is not ahead of floor time {}: give a later time",
                until.format("%H:%M"),
                self.core.now.format("%H:%M")
            )));
        }
        if until > self.core.now + Duration::hours(ADD_SEATS_MAX_HOURS) {
            return Err(bad(format!(
                "until {} is more than {ADD_SEATS_MAX_HOURS} hours ahead: temporary seats are for a peak",
                until.format("%Y-%m-%d %H:%M")
            )));
        }
        if skills.len() > ADD_SEATS_SKILLS_MAX {
            return Err(bad(format!("{} skills: list at most {ADD_SEATS_SKILLS_MAX}", skills.len())));
        }
        if let Some(s) = skills.iter().find(|s| s.trim().is_empty() || s.chars().count() > SKILL_MAX_CHARS) {
            return Err(bad(format!("skill '{s}' must be 1 to {SKILL_MAX_CHARS} characters")));
        }
        Ok(())
    }

    /// Logs `count` temporary seats into `queue` until `until`: they take calls at once and leave at `until`,
    /// after the call they are on.
    pub(super) fn add_seats(
        &mut self,
        queue: &QueueId,
        count: u32,
        skills: &[String],
        until: Time,
        origin: SeatOrigin,
        by: &str,
    ) -> Vec<AgentId> {
        let t = &self.core.scenario.temporary_seats;
        let mut langs: Vec<Lang> = t.langs.clone();
        if langs.is_empty() {
            for g in self.core.scenario.agents.iter().filter(|g| g.queues.iter().any(|q| q == queue.as_str())) {
                for l in &g.langs {
                    if !langs.contains(l) {
                        langs.push(*l);
                    }
                }
            }
        }
        if langs.is_empty() {
            langs = vec![Lang::Zh, Lang::En];
        }
        let mut next = self.core.floor.agents.keys().next_back().map_or(0, |a| a.0);
        let mut agents = Vec::with_capacity(count as usize);
        for _ in 0..count {
            next += 1;
            let k = self.src.temp_seats_named as usize;
            self.src.temp_seats_named += 1;
            let names = &self.core.scenario.temporary_seats.names;
            let name = match names.get(k % names.len().max(1)) {
                Some(base) if k < names.len() => base.clone(),
                Some(base) => format!("{base} {}", k / names.len() + 1),
                None => format!("Temp {}", k + 1),
            };
            let id = AgentId(next);
            agents.push(Agent {
                id,
                name,
                queues: vec![queue.clone()],
                langs: langs.clone(),
                state: AgentState::Available,
                since: self.core.now,
                call: None,
                missed: 0,
                handled: 0,
                temporary: Some(TempSeat { origin, until, skills: skills.to_vec() }),
                // A skill naming one of the floor's dialects (its id) makes the seat handle that dialect.
                dialects: skills
                    .iter()
                    .filter(|s| self.core.floor.dialects.iter().any(|d| &d.id == *s))
                    .cloned()
                    .collect(),
            });
            let handles_dialect = agents.last().is_some_and(|a| !a.dialects.is_empty());
            self.seat_temporary(id, until, handles_dialect);
        }
        let ids: Vec<AgentId> = agents.iter().map(|a| a.id).collect();
        self.emit(EventKind::SeatsAdded { agents, by: by.to_string() });
        for id in &ids {
            self.route_agent(*id);
        }
        ids
    }

    /// A temporary seat's `until` came: it logs off now if free, else after its call (and wrap-up).
    pub(super) fn seat_until(&mut self, agent: AgentId) {
        if let Some(s) = self.src.agents.get_mut(&agent) {
            s.off_shift = true;
        }
        if self
            .core
            .floor
            .agents
            .get(&agent)
            .is_some_and(|x| matches!(x.state, AgentState::Available | AgentState::Break))
        {
            self.emit(EventKind::AgentStateChanged {
                agent,
                state: AgentState::Offline,
                reason: Some(TEMP_SEAT_ENDED.into()),
            });
        }
    }
}

impl<S: Source> Ctx<'_, S> {
    /// Refuses moving a call held by a temporary seat to a queue the scenario keeps from them.
    pub(super) fn check_temp_transfer(&self, c: &Call, to_queue: Option<&QueueId>) -> Result<(), CommandError> {
        let (Some(q), Some(agent)) = (to_queue, c.agent) else { return Ok(()) };
        if !matches!(c.state, CallState::Connected | CallState::Held) {
            return Ok(());
        }
        let Some(temp) = self.core.floor.agents.get(&agent).and_then(|a| a.temporary.as_ref()) else { return Ok(()) };
        if self.core.scenario.temporary_seats.cannot_transfer_to.iter().any(|x| x == q.as_str()) {
            return Err(CommandError::conflict(format!(
                "{agent} is a temporary seat ({}): calls it holds cannot go to {q}; transfer {} to a permanent \
                 seat first",
                temp.origin.as_str(),
                c.id
            )));
        }
        Ok(())
    }
}

impl Ctx<'_, SimSource> {
    // ---------------------------------------------------------------------------------------------------------
    // Callbacks.

    /// After a caller hung up: the promise the scenario makes them, and the alert when it is not kept.
    pub(super) fn promise_callback(&mut self, call: CallId) {
        let Some(m) = self.core.scenario.callbacks.promise_min else { return };
        if !self.core.floor.callbacks.iter().any(|c| c.call == call) {
            return;
        }
        let due = self.core.now + Duration::minutes(i64::from(m));
        self.emit(EventKind::CallbackPromised { call, due });
        self.at(due, Fact::CallbackPromise(call));
    }

    pub(super) fn callback_promise_due(&mut self, call: CallId) {
        let Some(cb) = self.core.floor.callbacks.iter().find(|c| c.call == call) else { return };
        // Only reaching the caller keeps the promise: one given up on before its time is still a broken promise.
        if cb.status == CallbackStatus::Reached {
            return;
        }
        let promised = cb.promised.map(|p| p.format("%H:%M").to_string()).unwrap_or_default();
        let tries = match cb.attempts.len() {
            0 => "no attempt yet".to_string(),
            1 => "1 attempt, not reached".to_string(),
            n => format!("{n} attempts, not reached"),
        };
        let who = cb.assigned.as_ref().map(|a| format!(", assigned to {}", a.target())).unwrap_or_default();
        self.raise(
            AlertKind::CallbackOverdue,
            Severity::Warning,
            call.to_string(),
            format!("{call}: callback promised by {promised} not made ({tries}{who})"),
        );
    }

    /// Decides `assign_callback`.
    pub(super) fn assign_callback(
        &mut self,
        actor: &Actor,
        call: CallId,
        to_agent: Option<AgentId>,
        to_queue: Option<&QueueId>,
    ) -> Result<(), CommandError> {
        if to_agent.is_some() == to_queue.is_some() {
            return Err(CommandError::new(
                ErrorCode::BadFrame,
                "assign_callback names exactly one target: to_agent or to_queue",
            ));
        }
        let cb = self.core.floor.callbacks.iter().find(|c| c.call == call).ok_or_else(|| {
            CommandError::not_found(format!(
                "there is no callback for {call}: only callers who hung up while waiting are on the callback list"
            ))
        })?;
        match cb.status {
            CallbackStatus::Waiting => {}
            s if s.is_done() => {
                return Err(CommandError::conflict(format!("the callback of {call} is done ({})", s.as_str())));
            }
            _ => {
                let who = cb.assigned.as_ref().map(|a| format!(" to {} by {}", a.target(), a.by)).unwrap_or_default();
                return Err(CommandError::conflict(format!("the callback of {call} is already assigned{who}")));
            }
        }
        let lang = cb.lang;
        if let Some(a) = to_agent {
            let ag = self
                .core
                .floor
                .agents
                .get(&a)
                .ok_or_else(|| CommandError::not_found(format!("there is no agent {a}")))?;
            if !ag.langs.contains(&lang) {
                return Err(CommandError::conflict(format!(
                    "{a} does not speak {}, the caller's language",
                    lang.as_str()
                )));
            }
            if ag.state == AgentState::Offline {
                return Err(CommandError::conflict(format!(
                    "{a} is offline: assign the callback to a seat at work or to a queue"
                )));
            }
        }
        if let Some(q) = to_queue
            && self.core.floor.queue(q).is_none()
        {
            return Err(CommandError::not_found(format!("there is no queue '{q}'")));
        }
        self.emit(EventKind::CallbackAssigned { call, to_agent, to_queue: to_queue.cloned(), by: actor.name.clone() });
        self.src.cb_pending.push(call);
        self.dispatch_callback(call);
        Ok(())
    }

    /// Dials a pending callback if its seat (or a seat of its queue) is free now.
    fn dispatch_callback(&mut self, cb: CallId) {
        let Some(c) = self.core.floor.callbacks.iter().find(|c| c.call == cb) else { return };
        let Some(assigned) = c.assigned.as_ref() else { return };
        let agent = match (assigned.agent, &assigned.queue) {
            (Some(a), _) => {
                Some(a).filter(|a| self.core.floor.agents.get(a).is_some_and(|x| x.state == AgentState::Available))
            }
            (None, Some(q)) => self.src.routing.idle().find(|a| {
                self.core.floor.agents.get(a).is_some_and(|x| x.queues.contains(q) && x.langs.contains(&c.lang))
            }),
            _ => None,
        };
        if let Some(a) = agent {
            self.dial(cb, a);
        }
    }

    /// A seat just became free: it dials a callback assigned to it, or one of its queues' when nobody waits in
    /// them. True when it did.
    pub(super) fn dial_pending_for(&mut self, agent: AgentId) -> bool {
        let Some(ag) = self.core.floor.agents.get(&agent) else { return false };
        let queues_quiet = ag.queues.iter().all(|q| self.core.floor.queue(q).is_none_or(|x| x.waiting.is_empty()));
        let mut pick = None;
        for cb in &self.src.cb_pending {
            let Some(c) = self.core.floor.callbacks.iter().find(|c| c.call == *cb) else { continue };
            if !matches!(c.status, CallbackStatus::Assigned | CallbackStatus::Retry)
                || c.attempts.last().and_then(|a| a.retry_at).is_some_and(|t| t > self.core.now)
            {
                continue;
            }
            let Some(a) = c.assigned.as_ref() else { continue };
            // A promise already broken goes ahead of the queue: in a long rush the queue is never quiet.
            let overdue = c.promised.is_some_and(|p| p <= self.core.now);
            let fits = match (a.agent, &a.queue) {
                (Some(x), _) => x == agent,
                (None, Some(q)) => (queues_quiet || overdue) && ag.queues.contains(q) && ag.langs.contains(&c.lang),
                _ => false,
            };
            if fits {
                pick = Some(*cb);
                break;
            }
        }
        match pick {
            Some(cb) => {
                self.dial(cb, agent);
                true
            }
            None => false,
        }
    }

    /// The seat dials the caller: an outbound call on the floor, which they pick up or not after it rings.
    fn dial(&mut self, cb: CallId, agent: AgentId) {
        let Some(c) = self.core.floor.callbacks.iter().find(|c| c.call == cb) else { return };
        let (caller, lang, intent_id) = (c.caller.clone(), c.lang, c.intent.clone());
        self.src.cb_pending.retain(|x| *x != cb);
        self.core.next_call += 1;
        let id = CallId(self.core.next_call);
        let intent = self.core.scenario.intents.iter().position(|i| i.id == intent_id).unwrap_or(0);
        // A caller called back is in a better mood than when they hung up.
        let mood = self.core.scenario.intents.get(intent).map_or(0.0, |i| i.mood + 0.2).clamp(-1.0, 1.0);
        self.src.calls.insert(id, super::CallSim::new(intent, mood, lang));
        self.core.calls.insert(id, CallMemo::new(caller.clone()));
        self.emit(EventKind::CallbackDialed { callback: cb, call: id, agent, caller, lang, intent: intent_id });
        let p = &self.core.scenario.callbacks;
        let ring = p.ring_s.max(1);
        let reached = self.src.rng.random_bool(p.reach_share.clamp(0.0, 1.0));
        let after = if reached { self.src.rng.random_range(3..=ring.max(3)) } else { ring };
        self.at(self.core.now + Duration::seconds(i64::from(after)), Fact::CallbackRing(id, cb, reached));
    }

    /// The outbound call rang: the caller picked up (the conversation starts) or did not (the seat is free, and
    /// the next attempt is scheduled while attempts are left).
    pub(super) fn callback_ring(&mut self, call: CallId, cb: CallId, reached: bool) {
        let Some(c) = self.core.floor.calls.get(&call) else { return };
        if c.state != CallState::Ringing {
            return;
        }
        let Some(agent) = c.agent else { return };
        if reached {
            self.emit(EventKind::CallAnswered { call, agent });
            self.emit(EventKind::CallbackAttempted {
                callback: cb,
                call,
                agent,
                outcome: CallbackOutcome::Reached,
                retry_at: None,
            });
            self.start_talk(call);
            return;
        }
        let made = self.core.floor.callbacks.iter().find(|c| c.call == cb).map_or(0, |c| c.attempts.len()) as u32 + 1;
        let p = &self.core.scenario.callbacks;
        let retry_at = (made < p.max_attempts).then(|| self.core.now + Duration::minutes(i64::from(p.retry_after_min)));
        self.emit(EventKind::CallbackAttempted {
            callback: cb,
            call,
            agent,
            outcome: CallbackOutcome::NoAnswer,
            retry_at,
        });
        self.src.calls.remove(&call);
        self.core.calls.remove(&call);
        if let Some(t) = retry_at {
            self.at(t, Fact::CallbackRetry(cb));
        }
        self.after_free(agent);
    }

    pub(super) fn callback_retry(&mut self, cb: CallId) {
        let due = |s: CallbackStatus| matches!(s, CallbackStatus::Retry | CallbackStatus::Assigned);
        if !self.core.floor.callbacks.iter().any(|c| c.call == cb && due(c.status)) {
            return;
        }
        if !self.src.cb_pending.contains(&cb) {
            self.src.cb_pending.push(cb);
        }
        self.dispatch_callback(cb);
    }
}

impl Ctx<'_, SimSource> {
    /// Temporary seats a store kept come back (logged in, free) until their `until`; those the scenario's plan added
    /// are left to the plan, which adds them again on a restarted floor.
    /// The engine's side of a temporary seat (added now, or brought back from the store): its state, its place
    /// among the seats dialect routing waits for, and its leaving at `until`.
    fn seat_temporary(&mut self, id: AgentId, until: Time, handles_dialect: bool) {
        self.src.agents.insert(id, super::AgentSim { group: usize::MAX, temp: true, ..Default::default() });
        if handles_dialect {
            self.src.dialect_seats.push(id);
        }
        self.at(until, Fact::SeatUntil(id));
    }

    pub(super) fn restore_temp_seats(&mut self, saved: &[(Agent, String)]) {
        let mut by_who: Vec<(String, Vec<Agent>)> = Vec::new();
        for (a, by) in saved {
            let Some(temp) = &a.temporary else { continue };
            if by == PLAN_BY || temp.until <= self.core.now || self.core.floor.agents.contains_key(&a.id) {
                continue;
            }
            let mut a = a.clone();
            a.state = AgentState::Available;
            a.since = self.core.now;
            a.call = None;
            self.seat_temporary(a.id, temp.until, !a.dialects.is_empty());
            self.src.temp_seats_named += 1;
            match by_who.iter_mut().find(|(b, _)| b == by) {
                Some((_, list)) => list.push(a),
                None => by_who.push((by.clone(), vec![a])),
            }
        }
        for (by, agents) in by_who {
            let ids: Vec<AgentId> = agents.iter().map(|a| a.id).collect();
            self.emit(EventKind::SeatsAdded { agents, by });
            for id in ids {
                self.route_agent(id);
            }
        }
    }

    /// Open callbacks a store kept come back as they stood. An attempt the restart cut off does not count: the
    /// callback waits to be dialled again. Assigned ones and retries are dialled when a seat is free; a promise
    /// not yet due at `saved_time` (the floor time the store had reached) raises its overdue alert when due (one
    /// already due had raised it before the restart).
    pub(super) fn restore_callbacks(&mut self, saved: &[Callback], saved_time: Option<Time>) {
        let reached = saved_time.unwrap_or(self.core.now);
        for cb in saved {
            if cb.status.is_done() {
                continue;
            }
            let mut cb = cb.clone();
            if cb.status == CallbackStatus::Dialing || cb.dialing.is_some() {
                cb.dialing = None;
                cb.status = match (&cb.assigned, cb.attempts.last()) {
                    (_, Some(a)) if a.retry_at.is_some() => CallbackStatus::Retry,
                    (Some(_), _) => CallbackStatus::Assigned,
                    (None, _) => CallbackStatus::Waiting,
                };
            }
            let id = cb.call;
            let (status, promised) = (cb.status, cb.promised);
            let retry_at = cb.attempts.last().and_then(|a| a.retry_at);
            self.emit(EventKind::CallbackRestored { callback: cb });
            if matches!(status, CallbackStatus::Assigned | CallbackStatus::Retry) {
                if !self.src.cb_pending.contains(&id) {
                    self.src.cb_pending.push(id);
                }
                let at =
                    if status == CallbackStatus::Retry { retry_at.unwrap_or(self.core.now) } else { self.core.now };
                self.at(at.max(self.core.now), Fact::CallbackRetry(id));
            }
            if let Some(p) = promised
                && p > reached
            {
                self.at(p.max(self.core.now), Fact::CallbackPromise(id));
            }
        }
    }
}

/// The reason a temporary seat goes offline at its `until`.
pub const TEMP_SEAT_ENDED: &str = "temporary seat ended";
