//! The simulated world: what callers, seats and the back office do, fact by fact, and the alerts and tickets that
//! follow from it.

use chrono::{Duration, Timelike};
use rand::Rng;

use super::analysis::Analysis;
use super::sim::{Fact, normal, sample, secs_to_duration};
use super::source::{Ctx, Source};
use super::{AgentSim, CallMemo, CallSim, Raised, SimSource, Timer};
use crate::model::*;

/// Priority an urgent rule hit gives a call: above every queue's base priority.
pub const URGENT_PRIORITY: u8 = 10;
/// How often (floor-seconds) metric alerts are checked.
const METRIC_CHECK_S: u64 = 10;
/// Calls a window must hold before rate alerts (SL, abandon) may fire.
const MIN_SAMPLE: u32 = 10;
/// How far a call's rolling sentiment must fall from its best before a warning-level alert.
const SENTIMENT_DROP: f64 = 0.3;
/// Surveys per queue a low-satisfaction alert looks back over, and how many bad ones in them raise it.
const SURVEY_LOOKBACK: usize = 10;
const SURVEY_BAD_TRIGGER: usize = 3;
/// Mood gained per caller line while a supervisor is barged in (de-escalation).
const BARGE_CALMING: f64 = 0.12;
/// Mood gained per caller line while a supervisor whispers to the agent (coaching).
const WHISPER_COACHING: f64 = 0.05;

/// A scenario card as the floor holds it.
fn card_of(c: &crate::engine::sim::scenario::CardSpec) -> Card {
    let text =
        |t: &crate::engine::sim::scenario::CardTextSpec| CardText { title: t.title.clone(), body: t.body.clone() };
    Card {
        id: c.id.clone(),
        kind: c.kind,
        zh: text(&c.zh),
        en: text(&c.en),
        clause: c.clause.clone(),
        suggested: 0,
        used: 0,
    }
}

fn secs_of_day(t: Time) -> u32 {
    t.num_seconds_from_midnight()
}

impl<S: Source> Ctx<'_, S> {
    /// Opens the floor: seats from the scenario's groups, queues, and the first scheduled facts.
    pub(super) fn open_floor(&mut self) {
        let queues: Vec<Queue> = self
            .core
            .scenario
            .queues
            .iter()
            .map(|q| Queue {
                id: QueueId::new(&q.id),
                name: q.name.clone(),
                skills: q.skills.clone(),
                priority: q.priority,
                sla: SlaTarget { percent: q.sla_percent / 100.0, seconds: q.sla_seconds },
                waiting: Default::default(),
            })
            .collect();
        let now_s = secs_of_day(self.core.now);
        let mut agents = Vec::new();
        let mut opened = Vec::new();
        let mut n = 0u32;
        for (gi, g) in self.core.scenario.agents.iter().enumerate() {
            for i in 0..g.count {
                n += 1;
                let id = AgentId(n);
                let name = match g.names.get(i as usize % g.names.len().max(1)) {
                    Some(base) if (i as usize) < g.names.len() => base.clone(),
                    Some(base) => format!("{base} {}", i as usize / g.names.len() + 1),
                    None => format!("Agent {n}"),
                };
                let on_shift = g.shift.as_ref().is_none_or(|s| {
                    let (from, to) = (s.from.secs(), s.to.secs());
                    from <= now_s && now_s < to
                });
                agents.push(Agent {
                    id,
                    name,
                    queues: g.queues.iter().map(QueueId::new).collect(),
                    langs: g.langs.clone(),
                    state: S::seat_starts(on_shift),
                    since: self.core.now,
                    call: None,
                    missed: 0,
                    handled: 0,
                    temporary: None,
                    dialects: g.dialects.clone(),
                });
                opened.push((id, gi, on_shift));
            }
        }
        for (id, gi, on_shift) in opened {
            S::seat_opened(self, id, gi, on_shift);
        }
        self.emit(EventKind::FloorOpened {
            scenario: self.core.scenario.scenario.id.clone(),
            title: self.core.scenario.scenario.title.clone(),
            queues,
            agents,
        });
        if !self.core.scenario.cards.is_empty() {
            let cards = self.core.scenario.cards.iter().map(card_of).collect();
            self.emit(EventKind::CardsLoaded { cards });
        }
        self.load_dialects();
        self.core.timer(self.core.now + Duration::seconds(1), Timer::Tick);
        S::opened(self);
    }
}

impl Ctx<'_, SimSource> {
    /// Schedules a simulated fact at `t`.
    pub(super) fn at(&mut self, t: Time, fact: Fact) {
        let stamp = self.core.stamp();
        self.src.sched.at_stamped(t, stamp, fact);
    }

    /// The simulator's side of a seat the floor opens with: its shift, its first break, dialect routing.
    pub(super) fn seat_opened(&mut self, id: AgentId, gi: usize, on_shift: bool) {
        self.src.agents.insert(id, AgentSim { group: gi, off_shift: !on_shift, ..Default::default() });
        let Some(g) = self.core.scenario.agents.get(gi) else { return };
        if !g.dialects.is_empty() {
            self.src.dialect_seats.push(id);
        }
        let now_s = secs_of_day(self.core.now);
        let shift = g.shift.as_ref().map(|s| (s.from.secs(), s.to.secs()));
        if let Some((from, to)) = shift {
            let day = self.core.now - Duration::seconds(now_s as i64);
            let from = day + Duration::seconds(i64::from(from));
            let to = day + Duration::seconds(i64::from(to));
            if from > self.core.now {
                self.at(from, Fact::ShiftStart(id));
            }
            if to > self.core.now {
                self.at(to, Fact::ShiftEnd(id));
            }
        }
        if let Some(d) = sample(&self.core.scenario.behaviour.break_every, &mut self.src.rng) {
            self.at(self.core.now + d, Fact::BreakStart(id));
        }
    }
}

impl Ctx<'_, SimSource> {
    /// Arrival rate (calls per second) at floor time `t`.
    fn rate_at(&self, t: Time) -> f64 {
        let s = secs_of_day(t);
        // Peak windows are disjoint (the loader checks); a multiplier below 1 is a lull.
        let mult = self.src.peaks.iter().find(|(from, to, _)| *from <= s && s < *to).map_or(1.0, |p| p.2);
        self.core.scenario.arrivals.base_per_hour.max(0.0) * mult / 3600.0
    }

    /// Schedules the next arrival of a non-homogeneous Poisson process by thinning.
    pub(super) fn schedule_arrival(&mut self) {
        if self.src.max_rate <= 0.0 {
            return;
        }
        let mut t = self.core.now;
        for _ in 0..10_000 {
            let u: f64 = self.src.rng.random_range(f64::EPSILON..1.0);
            t += secs_to_duration(-u.ln() / self.src.max_rate);
            let accept: f64 = self.src.rng.random();
            if accept * self.src.max_rate <= self.rate_at(t) {
                self.at(t, Fact::Arrival);
                return;
            }
        }
        // The rate is near zero for a long stretch: draw again from there, without an arrival.
        self.at(t, Fact::DrawArrival);
    }

    pub(super) fn on_fact(&mut self, fact: Fact) {
        match fact {
            Fact::Arrival => {
                self.schedule_arrival();
                self.arrive();
            }
            Fact::DrawArrival => self.schedule_arrival(),
            Fact::IvrDone(c) => self.ivr_done(c),
            Fact::Patience(c, epoch) => {
                if self.call_epoch(c) == Some(epoch) {
                    self.patience_out(c);
                }
            }
            Fact::Answer(c, a, offer) => self.answer(c, a, offer),
            Fact::RingTimeout(c, a, offer) => self.ring_out(c, a, offer),
            Fact::NextLine(c, epoch) => self.next_line(c, epoch),
            Fact::EndCall(c, epoch) => self.end_call(c, epoch),
            Fact::HoldStart(c, epoch) => {
                if self.call_epoch(c) == Some(epoch)
                    && self.core.floor.calls.get(&c).is_some_and(|x| x.state == CallState::Connected)
                {
                    self.emit(EventKind::CallHeld { call: c });
                    let d = sample(&self.core.scenario.behaviour.hold_length, &mut self.src.rng).unwrap_or_default();
                    self.at(self.core.now + d, Fact::HoldEnd(c, epoch));
                }
            }
            Fact::HoldEnd(c, epoch) => {
                if self.call_epoch(c) == Some(epoch)
                    && self.core.floor.calls.get(&c).is_some_and(|x| x.state == CallState::Held)
                {
                    self.emit(EventKind::CallResumed { call: c });
                }
            }
            Fact::WrapDone(a, epoch) => self.wrap_done(a, epoch),
            Fact::BreakStart(a) => self.break_start(a),
            Fact::BreakEnd(a, epoch) => self.break_end(a, epoch),
            Fact::ShiftStart(a) => {
                if let Some(s) = self.src.agents.get_mut(&a) {
                    s.off_shift = false;
                }
                if self.core.floor.agents.get(&a).is_some_and(|x| x.state == AgentState::Offline) {
                    self.set_available(a, Some("shift started"));
                }
            }
            Fact::ShiftEnd(a) => {
                if let Some(s) = self.src.agents.get_mut(&a) {
                    s.off_shift = true;
                }
                if self
                    .core
                    .floor
                    .agents
                    .get(&a)
                    .is_some_and(|x| matches!(x.state, AgentState::Available | AgentState::Break))
                {
                    self.emit(EventKind::AgentStateChanged {
                        agent: a,
                        state: AgentState::Offline,
                        reason: Some("shift ended".into()),
                    });
                }
            }
            Fact::BackOffice(t) => {
                if self.core.floor.tickets.get(&t).is_some_and(|x| x.status != TicketStatus::Resolved) {
                    self.emit(EventKind::TicketResolved {
                        ticket: t,
                        note: "resolved by the back office".into(),
                        by: "back-office".into(),
                    });
                }
            }
            Fact::Survey(c) => self.survey(c),
            Fact::Callback(c) => {
                // The back office takes only callbacks nobody was given.
                if self.core.floor.callbacks.iter().any(|cb| cb.call == c && cb.status == CallbackStatus::Waiting) {
                    self.emit(EventKind::CallbackDone { call: c });
                }
            }
            Fact::Redial(c) => self.redial(c),
            Fact::AgentConfirm(c) => self.agent_confirm(c),
            Fact::SeatPlan(n) => self.seat_plan(n),
            Fact::SeatUntil(a) => self.seat_until(a),
            Fact::CallbackRing(call, cb, reached) => self.callback_ring(call, cb, reached),
            Fact::CallbackRetry(cb) => self.callback_retry(cb),
            Fact::CallbackPromise(cb) => self.callback_promise_due(cb),
            Fact::CardUse(c, card) => self.use_card(c, card),
            Fact::DialectWait(c) => self.route_call(c),
        }
    }

    pub(super) fn call_epoch(&self, c: CallId) -> Option<u32> {
        self.src.calls.get(&c).map(|s| s.epoch)
    }
}

impl<S: Source> Ctx<'_, S> {
    pub(super) fn on_tick(&mut self) {
        self.core.ticks += 1;
        self.emit(EventKind::Tick);
        self.core.timer(self.core.now + Duration::seconds(1), Timer::Tick);
        if self.core.ticks.is_multiple_of(METRIC_CHECK_S) {
            self.check_metric_alerts();
        }
    }
}

impl Ctx<'_, SimSource> {
    fn arrive(&mut self) {
        self.core.next_call += 1;
        let id = CallId(self.core.next_call);
        let total: f64 = self.core.scenario.intents.iter().map(|i| i.weight.max(0.0)).sum();
        let mut pick = self.src.rng.random_range(0.0..total.max(f64::MIN_POSITIVE));
        let mut intent = 0;
        for (i, it) in self.core.scenario.intents.iter().enumerate() {
            pick -= it.weight.max(0.0);
            if pick < 0.0 {
                intent = i;
                break;
            }
        }
        let lang = if self.src.rng.random_bool(self.core.scenario.scenario.zh_share.clamp(0.0, 1.0)) {
            Lang::Zh
        } else {
            Lang::En
        };
        let caller = match lang {
            Lang::Zh => {
                format!(
                    "+86 1{}{:09}",
                    self.src.rng.random_range(3..=9),
                    self.src.rng.random_range(0..1_000_000_000u64)
                )
            }
            Lang::En => {
                format!("+1 {}-555-{:04}", self.src.rng.random_range(201..=989), self.src.rng.random_range(0..10_000))
            }
        };
        let (dialect, elderly) = self.draw_dialect(lang);
        let contact = self.pick_student_contact(intent, lang).and_then(|who| self.student_contact(id, who));
        let caller = contact.as_ref().map_or(caller, |(number, _)| number.clone());
        let caller = if contact.is_none() { self.pick_customer(lang).unwrap_or(caller) } else { caller };
        let spec = &self.core.scenario.intents[intent];
        let mood = (spec.mood + 0.15 * normal(&mut self.src.rng)).clamp(-1.0, 1.0);
        let mut cs = CallSim::new(intent, mood, lang);
        (cs.dialect, cs.elderly) = (dialect.clone(), elderly);
        self.src.calls.insert(id, cs);
        self.core.calls.insert(id, CallMemo::new(caller.clone()));
        self.emit(EventKind::CallArrived { call: id, caller, lang, intent: spec.id.clone(), dialect, elderly });
        self.recognise_caller(id);
        if let Some((_, linked)) = contact {
            self.emit(linked);
        }
        self.look_up_orders(id);
        let d = sample(&self.core.scenario.behaviour.ivr, &mut self.src.rng).unwrap_or_default();
        self.at(self.core.now + d, Fact::IvrDone(id));
    }

    /// The caller states their reason to the speech IVR (so urgent words are heard before queueing), then queues.
    fn ivr_done(&mut self, id: CallId) {
        let Some(cs) = self.src.calls.get(&id) else { return };
        let Some(spec) = self.core.scenario.intents.get(cs.intent) else { return };
        let queue_id = QueueId::new(&spec.queue);
        let spec_patience = spec.patience;
        let base = self.core.floor.queue(&queue_id).map(|q| q.priority).unwrap_or(0);
        self.ivr_verify(id);
        self.caller_line(id, true);
        let urgent = self.core.floor.calls.get(&id).is_some_and(|c| c.flags.urgent);
        let priority = if urgent { URGENT_PRIORITY.max(base) } else { self.elderly_bump(id, base) };
        self.emit(EventKind::CallQueued { call: id, queue: queue_id, priority });
        self.start_patience(id, spec_patience);
        self.start_dialect_wait(id);
        self.route_call(id);
    }

    /// The caller waits at most a patience draw from now (a transfer back to a queue starts a new wait).
    pub(super) fn start_patience(&mut self, id: CallId, patience: crate::engine::sim::scenario::Dist) {
        let Some(epoch) = self.call_epoch(id) else { return };
        if let Some(d) = sample(&patience, &mut self.src.rng) {
            self.at(self.core.now + d, Fact::Patience(id, epoch));
        }
    }

    fn patience_out(&mut self, id: CallId) {
        let Some(call) = self.core.floor.calls.get(&id) else { return };
        if !matches!(call.state, CallState::Queued | CallState::Ringing) {
            return;
        }
        let ringing_agent = if call.state == CallState::Ringing { call.agent } else { None };
        if let Some(cs) = self.src.calls.get_mut(&id) {
            cs.epoch += 1;
            cs.offers += 1;
        }
        self.emit(EventKind::CallAbandoned { call: id });
        self.call_finished(id, CallState::Abandoned);
        self.promise_callback(id);
        self.forget_call(id);
        if let Some(d) = sample(&self.core.scenario.behaviour.callback_after, &mut self.src.rng) {
            self.at(self.core.now + d, Fact::Callback(id));
        }
        if let Some(a) = ringing_agent {
            self.after_free(a);
        }
    }

    fn answer(&mut self, id: CallId, agent: AgentId, offer: u32) {
        let valid = self.src.calls.get(&id).is_some_and(|s| s.offers == offer)
            && self.core.floor.calls.get(&id).is_some_and(|c| c.state == CallState::Ringing && c.agent == Some(agent));
        if !valid {
            return;
        }
        self.emit(EventKind::CallAnswered { call: id, agent });
        self.start_talk(id);
    }

    /// Starts (or resumes, after a transfer) the conversation on a connected call.
    pub(super) fn start_talk(&mut self, id: CallId) {
        let Some(cs) = self.src.calls.get(&id) else { return };
        let intent = cs.intent;
        let first = cs.talk_started.is_none();
        let talk = if first {
            sample(&self.core.scenario.intents[intent].handle, &mut self.src.rng).unwrap_or(Duration::minutes(5))
        } else {
            cs.talk_left.max(Duration::seconds(30))
        };
        let hold = first && self.src.rng.random_bool(self.core.scenario.behaviour.hold_share.clamp(0.0, 1.0));
        let Some(cs) = self.src.calls.get_mut(&id) else { return };
        cs.epoch += 1;
        cs.talk_started = Some(self.core.now);
        cs.talk_left = talk;
        cs.agent_turn = true;
        let epoch = cs.epoch;
        self.at(self.core.now + Duration::seconds(1), Fact::NextLine(id, epoch));
        self.at(self.core.now + talk, Fact::EndCall(id, epoch));
        if hold {
            let at = self.core.now + secs_to_duration(talk.num_seconds() as f64 * self.src.rng.random_range(0.3..0.7));
            self.at(at, Fact::HoldStart(id, epoch));
        }
    }

    fn ring_out(&mut self, id: CallId, agent: AgentId, offer: u32) {
        let valid = self.src.calls.get(&id).is_some_and(|s| s.offers == offer)
            && self.core.floor.calls.get(&id).is_some_and(|c| c.state == CallState::Ringing && c.agent == Some(agent));
        if !valid {
            return;
        }
        self.emit(EventKind::CallRingNoAnswer { call: id, agent });
        let missed = self.core.floor.agents.get(&agent).map(|a| a.missed).unwrap_or(0);
        let max = self.core.scenario.behaviour.max_no_answer;
        if max > 0 && missed >= max {
            let name = self.core.floor.agents.get(&agent).map(|a| a.name.clone()).unwrap_or_default();
            self.emit(EventKind::AgentStateChanged {
                agent,
                state: AgentState::Break,
                reason: Some(format!("let {missed} calls ring out in a row")),
            });
            self.raise(
                AlertKind::AgentNoAnswer,
                Severity::Warning,
                agent.to_string(),
                format!("{agent} {name} let {missed} calls ring out in a row and was put on break"),
            );
            self.schedule_break_end(agent);
        }
        // A seat whose shift (or temporary seat's `until`) ended while the call rang logs off now.
        if self.src.agents.get(&agent).is_some_and(|s| s.off_shift)
            && self.core.floor.agents.get(&agent).is_some_and(|a| a.state == AgentState::Available)
        {
            self.after_free(agent);
        }
        // The freed seat takes the best waiting call first (which may be an older one than the call that rang
        // out); only then may another idle seat take the re-queued call.
        self.route_agent(agent);
        self.route_call(id);
    }

    fn next_line(&mut self, id: CallId, epoch: u32) {
        if self.call_epoch(id) != Some(epoch) {
            return;
        }
        let Some(call) = self.core.floor.calls.get(&id) else { return };
        match call.state {
            CallState::Held => {}
            CallState::Connected => {
                let agent_turn = self.src.calls.get(&id).is_some_and(|c| c.agent_turn);
                if agent_turn {
                    self.agent_line(id);
                } else {
                    self.caller_line(id, false);
                }
                if let Some(cs) = self.src.calls.get_mut(&id) {
                    cs.agent_turn = !cs.agent_turn;
                }
            }
            _ => return,
        }
        let gap = sample(&self.core.scenario.behaviour.line_gap, &mut self.src.rng).unwrap_or(Duration::seconds(8));
        self.at(self.core.now + gap, Fact::NextLine(id, epoch));
    }

    fn bucket(mood: f64) -> usize {
        if mood > 0.25 {
            0
        } else if mood < -0.25 {
            2
        } else {
            1
        }
    }

    /// Picks a line for `mood` from the bank, falling back to other moods when a pool is empty. A line in `avoid`
    /// (the speaker's previous line, the greeting) is skipped when the pool has another, so nobody repeats
    /// themselves word for word.
    fn pick_line<'a>(
        lines: &'a crate::engine::sim::scenario::MoodLines,
        mood: f64,
        rng: &mut rand_chacha::ChaCha8Rng,
        avoid: &[&str],
    ) -> Option<&'a String> {
        let pools = [&lines.positive, &lines.neutral, &lines.negative];
        let b = Self::bucket(mood);
        let pool = [b, 1, 0, 2].into_iter().map(|i| pools[i]).find(|p| !p.is_empty())?;
        let start = rng.random_range(0..pool.len());
        (0..pool.len())
            .map(|k| &pool[(start + k) % pool.len()])
            .find(|l| !avoid.contains(&l.as_str()))
            .or_else(|| pool.get(start))
    }

    fn agent_line(&mut self, id: CallId) {
        let Some(call) = self.core.floor.calls.get(&id) else { return };
        let lang = call.lang;
        let mood = self.src.calls.get(&id).map(|c| c.mood).unwrap_or(0.0);
        let first = !self.src.calls.get(&id).is_some_and(|c| c.agent_spoke);
        let intent = self.src.calls.get(&id).and_then(|c| self.core.scenario.intents.get(c.intent));
        let bank = intent.and_then(|i| i.agent_lines.as_ref()).unwrap_or(&self.core.scenario.agent_lines).lang(lang);
        let text = if first {
            bank.neutral.first()
        } else {
            // Upset callers get apologies and calming lines; content callers get good news. The greeting (the
            // first neutral line) is said once.
            let last = call.transcript.iter().rev().find(|l| l.speaker == Speaker::Agent).map(|l| l.text.as_str());
            let greeting = bank.neutral.first().map(String::as_str);
            let avoid: Vec<&str> = [last, greeting].into_iter().flatten().collect();
            Self::pick_line(bank, if mood < -0.25 { -1.0 } else { mood }, &mut self.src.rng, &avoid)
        };
        let Some(text) = text.cloned() else { return };
        let sentiment = self.src.bank_analysis.get(&text).map(|a| a.sentiment).unwrap_or(0.0);
        if let Some(cs) = self.src.calls.get_mut(&id) {
            cs.agent_spoke = true;
        }
        self.emit(EventKind::Utterance {
            call: id,
            speaker: Speaker::Agent,
            text,
            sentiment,
            // Emotion labels are the caller's: an agent's "I know this is frightening" is empathy, not fear.
            emotion: None,
            whisper: false,
            by: None,
        });
    }

    /// The caller says a line that fits their mood; it is analysed and any rule that matches takes effect.
    fn caller_line(&mut self, id: CallId, in_ivr: bool) {
        let Some(cs) = self.src.calls.get(&id) else { return };
        let Some(call) = self.core.floor.calls.get(&id) else { return };
        let lang = call.lang;
        let intent = cs.intent;
        let spec = &self.core.scenario.intents[intent];
        let mut mood = cs.mood;
        if !in_ivr {
            mood += spec.drift + 0.08 * normal(&mut self.src.rng);
            for p in &call.supervisors {
                mood += match p.mode {
                    SupervisorMode::Barge => BARGE_CALMING,
                    SupervisorMode::Whisper => WHISPER_COACHING,
                    SupervisorMode::Monitor => 0.0,
                };
            }
        }
        let mood = mood.clamp(-1.0, 1.0);
        let lines = spec.lines.lang(lang);
        let last = call.transcript.iter().rev().find(|l| l.speaker == Speaker::Caller).map(|l| l.text.as_str());
        let avoid: Vec<&str> = last.into_iter().collect();
        // In the IVR callers state their problem: never the "thank you" lines.
        let pick_mood = if in_ivr { mood.min(0.0) } else { mood };
        let Some(text) = Self::pick_line(lines, pick_mood, &mut self.src.rng, &avoid).cloned() else {
            return;
        };
        if let Some(cs) = self.src.calls.get_mut(&id) {
            cs.mood = mood;
            cs.lines += 1;
        }
        // Bank lines were analysed once at start; only lines with rule hits need their analysis copied.
        let (sentiment, emotion, hits) = match self.src.bank_analysis.get(&text) {
            Some(a) => (a.sentiment, a.emotion, (!a.hits.is_empty()).then(|| a.clone())),
            None => {
                let a = self.core.analyzer.analyze(&text);
                (a.sentiment, a.emotion, (!a.hits.is_empty()).then_some(a))
            }
        };
        self.emit(EventKind::Utterance {
            call: id,
            speaker: Speaker::Caller,
            text,
            sentiment,
            emotion,
            whisper: false,
            by: None,
        });
        if let Some(analysis) = hits {
            self.apply_rules(id, &analysis);
        }
        self.check_sentiment(id);
    }
}

impl<S: Source> Ctx<'_, S> {
    /// Acts on the rules an utterance matched, once per rule per call.
    pub(super) fn apply_rules(&mut self, id: CallId, analysis: &Analysis) {
        for hit in &analysis.hits {
            let Some(rule) = self.core.scenario.rules.get(hit.rule).cloned() else { continue };
            match self.core.calls.get_mut(&id) {
                Some(cs) => {
                    if cs.rules_done.contains(&hit.rule) {
                        continue;
                    }
                    cs.rules_done.push(hit.rule);
                }
                // A call the core keeps nothing of (one a PBX floor was not told arrive, fed by the ingest role): the
                // floor's rule hits say which rules already acted.
                None => {
                    let Some(call) = self.core.floor.calls.get(&id) else { return };
                    if call.rule_hits.iter().any(|h| h.rule == rule.id) {
                        continue;
                    }
                }
            }
            self.emit(EventKind::RuleMatched {
                call: id,
                rule: rule.id.clone(),
                word: hit.word.clone(),
                actions: rule.actions.clone(),
                urgent: rule.urgent,
                risk: rule.risk || rule.actions.contains(&RuleAction::Flag),
            });
            if rule.requires_verification {
                self.require_verification(id, &rule, &hit.word);
            }
            for action in &rule.actions {
                match action {
                    RuleAction::Priority => {
                        let current = self.core.floor.calls.get(&id).map(|c| c.priority).unwrap_or(0);
                        if current < URGENT_PRIORITY {
                            self.emit(EventKind::CallPriorityRaised {
                                call: id,
                                priority: URGENT_PRIORITY,
                                reason: format!("'{}' ({})", hit.word, rule.id),
                            });
                        }
                    }
                    RuleAction::Alert => {
                        let kind = if rule.urgent { AlertKind::UrgentKeyword } else { AlertKind::RiskKeyword };
                        self.raise(
                            kind,
                            rule.severity,
                            id.to_string(),
                            format!("{id}: caller said '{}' ({})", hit.word, rule.id),
                        );
                    }
                    RuleAction::Flag => {}
                    RuleAction::Suggest => self.suggest(id, rule.card.as_deref(), &hit.word),
                    RuleAction::Ticket => {
                        let category = rule.ticket_category_or_id().to_string();
                        let priority = rule.ticket_priority_or_default();
                        self.open_ticket(
                            Some(id),
                            &category,
                            priority,
                            format!("caller said '{}' ({})", hit.word, rule.id),
                            None,
                        );
                    }
                }
            }
        }
    }

    /// Raises a negative-sentiment alert when a call's rolling sentiment has *fallen* past the thresholds: a trend,
    /// at least [`SENTIMENT_DROP`] below the call's best so far, not a caller who was upset from the first word (the
    /// keyword rules and the end-of-call ticket cover those). Once per call and severity. The text names the
    /// caller's current emotion when there is one, value first so a narrow column keeps both:
    /// "C-1023: caller angry, -0.54 and falling (agent A-09)".
    pub(super) fn check_sentiment(&mut self, id: CallId) {
        let Some(call) = self.core.floor.calls.get(&id) else { return };
        let th = self.core.scenario.thresholds.negative_sentiment;
        let s = call.sentiment as f64;
        let best = call.sentiment_trail.iter().copied().fold(f32::MIN, f32::max) as f64;
        let dropped = call.sentiment_trail.len() >= 3 && best - s >= SENTIMENT_DROP;
        let severity = if s <= th.crit && dropped {
            Severity::Critical
        } else if s <= th.warn && dropped {
            Severity::Warning
        } else {
            return;
        };
        // A call the core keeps nothing of: the floor's alerts about it say what was raised.
        let alerted = match self.core.calls.get(&id) {
            Some(c) => c.negative_alerted,
            None => self
                .core
                .floor
                .alerts
                .values()
                .filter(|a| a.kind == AlertKind::NegativeSentiment && a.subject == id.to_string())
                .map(|a| a.severity)
                .max(),
        };
        if alerted.is_some_and(|a| a >= severity) {
            return;
        }
        if let Some(c) = self.core.calls.get_mut(&id) {
            c.negative_alerted = Some(severity);
        }
        let agent = call.agent.map(|a| format!(" (agent {a})")).unwrap_or_default();
        self.raise(
            AlertKind::NegativeSentiment,
            severity,
            id.to_string(),
            match call.emotion() {
                Some(e) => format!("{id}: caller {}, {s:+.2} and falling{agent}", e.adjective()),
                None => format!("{id}: caller sentiment down to {s:+.2}{agent}"),
            },
        );
    }
}

impl Ctx<'_, SimSource> {
    fn end_call(&mut self, id: CallId, epoch: u32) {
        if self.call_epoch(id) != Some(epoch) {
            return;
        }
        let Some(call) = self.core.floor.calls.get(&id) else { return };
        if !matches!(call.state, CallState::Connected | CallState::Held) {
            return;
        }
        let agent = call.agent;
        let sentiment = call.sentiment as f64;
        let mood = self.src.calls.get(&id).map(|c| c.mood).unwrap_or(0.0);
        let intent = self.src.calls.get(&id).map(|c| c.intent).unwrap_or(0);
        self.keep_excerpt(id);
        self.emit(EventKind::CallEnded { call: id });
        if let Some(spec) = self.core.scenario.intents.get(intent).and_then(|i| i.ticket.clone()) {
            self.open_ticket(Some(id), &spec.category, spec.priority, format!("follow-up of {id}"), None);
        }
        if sentiment <= self.core.scenario.tickets.negative_end_sentiment {
            self.open_ticket(
                Some(id),
                "unhappy-caller",
                TicketPriority::High,
                format!("{id} ended with sentiment {sentiment:+.2}"),
                None,
            );
        }
        if let Some(cs) = self.src.calls.get_mut(&id) {
            cs.final_mood = mood;
            cs.epoch += 1;
        }
        self.call_finished(id, CallState::Ended);
        if self.src.rng.random_bool(self.core.scenario.survey.share.clamp(0.0, 1.0)) {
            let d = Duration::seconds(self.src.rng.random_range(60..600));
            self.at(self.core.now + d, Fact::Survey(id));
        } else {
            self.forget_call(id);
        }
        if let Some(a) = agent {
            self.start_wrap(a);
        }
    }

    pub(super) fn start_wrap(&mut self, agent: AgentId) {
        let d = sample(&self.core.scenario.behaviour.wrap_up, &mut self.src.rng).unwrap_or(Duration::seconds(20));
        self.seat_timer(agent, d, Fact::WrapDone);
    }

    /// Schedules the end of what a seat does now (wrap-up, break) after `d`; any timer set before becomes void.
    fn seat_timer(&mut self, agent: AgentId, d: Duration, fact: fn(AgentId, u32) -> Fact) {
        let Some(s) = self.src.agents.get_mut(&agent) else { return };
        s.epoch += 1;
        let epoch = s.epoch;
        self.at(self.core.now + d, fact(agent, epoch));
    }

    fn wrap_done(&mut self, agent: AgentId, epoch: u32) {
        if self.src.agents.get(&agent).map(|s| s.epoch) != Some(epoch) {
            return;
        }
        if self.core.floor.agents.get(&agent).is_some_and(|a| a.state == AgentState::WrapUp) {
            self.after_free(agent);
        }
    }

    /// A seat just finished with a call: it goes on a due break, off shift, or back to available.
    pub(super) fn after_free(&mut self, agent: AgentId) {
        let Some(s) = self.src.agents.get(&agent) else { return };
        if s.off_shift {
            let reason = if s.temp { super::edu::TEMP_SEAT_ENDED } else { "shift ended" };
            self.emit(EventKind::AgentStateChanged { agent, state: AgentState::Offline, reason: Some(reason.into()) });
        } else if s.break_due {
            if let Some(s) = self.src.agents.get_mut(&agent) {
                s.break_due = false;
            }
            self.emit(EventKind::AgentStateChanged { agent, state: AgentState::Break, reason: Some("break".into()) });
            self.schedule_break_end(agent);
        } else if self.core.floor.agents.get(&agent).is_some_and(|a| a.state != AgentState::Available) {
            self.set_available(agent, None);
        } else {
            self.route_agent(agent);
        }
    }

    pub(super) fn set_available(&mut self, agent: AgentId, reason: Option<&str>) {
        self.emit(EventKind::AgentStateChanged {
            agent,
            state: AgentState::Available,
            reason: reason.map(str::to_string),
        });
        self.route_agent(agent);
    }

    fn break_start(&mut self, agent: AgentId) {
        if let Some(d) = sample(&self.core.scenario.behaviour.break_every, &mut self.src.rng) {
            self.at(self.core.now + d, Fact::BreakStart(agent));
        }
        match self.core.floor.agents.get(&agent).map(|a| a.state) {
            Some(AgentState::Available) => {
                self.emit(EventKind::AgentStateChanged {
                    agent,
                    state: AgentState::Break,
                    reason: Some("break".into()),
                });
                self.schedule_break_end(agent);
            }
            Some(AgentState::Ringing | AgentState::OnCall | AgentState::WrapUp) => {
                if let Some(s) = self.src.agents.get_mut(&agent) {
                    s.break_due = true;
                }
            }
            _ => {}
        }
    }

    pub(super) fn schedule_break_end(&mut self, agent: AgentId) {
        let d = sample(&self.core.scenario.behaviour.break_length, &mut self.src.rng).unwrap_or(Duration::minutes(10));
        self.seat_timer(agent, d, Fact::BreakEnd);
    }

    fn break_end(&mut self, agent: AgentId, epoch: u32) {
        if self.src.agents.get(&agent).map(|s| s.epoch) != Some(epoch) {
            return;
        }
        if self.core.floor.agents.get(&agent).is_some_and(|a| a.state == AgentState::Break) {
            if self.src.agents.get(&agent).is_some_and(|s| s.off_shift) {
                self.emit(EventKind::AgentStateChanged {
                    agent,
                    state: AgentState::Offline,
                    reason: Some("shift ended".into()),
                });
            } else {
                self.set_available(agent, Some("back from break"));
            }
        }
    }

    /// Drops the simulator's and the core's state about a call that is over (and, after its survey, the tickets it
    /// opened).
    fn forget_call(&mut self, id: CallId) {
        self.src.calls.remove(&id);
        self.core.forget_call(id);
    }

    fn survey(&mut self, id: CallId) {
        // Kept until the survey is dealt with: a follow-up ticket links the call's excerpt and caller.
        let Some((final_mood, intent)) = self.src.calls.get(&id).map(|c| (c.final_mood, c.intent)) else { return };
        let raw = 3.0 + 2.2 * final_mood + 0.7 * normal(&mut self.src.rng);
        let score = raw.round().clamp(1.0, 5.0) as u8;
        let queue = self.core.scenario.intents.get(intent).map(|i| i.queue.clone()).unwrap_or_default();
        self.survey_scored(id, score, queue);
        self.forget_call(id);
    }
}

impl<S: Source> Ctx<'_, S> {
    /// A caller scored call `id` (of `queue`): the score is an event, a bad one a follow-up ticket, and several
    /// bad ones in the queue's recent surveys an alert. From the simulated survey or a feeder's `call_tag`.
    pub(super) fn survey_scored(&mut self, id: CallId, score: u8, queue: String) {
        self.emit(EventKind::SurveyAnswered { call: id, score });
        if score <= self.core.scenario.survey.bad_score {
            let due = Duration::minutes(self.core.scenario.survey.followup_min as i64);
            self.open_ticket(
                Some(id),
                "low-satisfaction",
                TicketPriority::High,
                format!("{id} rated the call {score}/5: follow up"),
                Some(due),
            );
        }
        // One bad score is a ticket; several in a queue's recent surveys are a pattern worth an alert.
        let bad_score = self.core.scenario.survey.bad_score;
        let recent = self.core.surveys.entry(queue.clone()).or_default();
        recent.push_back(score);
        if recent.len() > SURVEY_LOOKBACK {
            recent.pop_front();
        }
        let bad = recent.iter().filter(|s| **s <= bad_score).count();
        if score <= bad_score && bad >= SURVEY_BAD_TRIGGER {
            let n = recent.len();
            self.raise(
                AlertKind::LowSatisfaction,
                Severity::Warning,
                queue.clone(),
                format!("{queue}: {bad} of the last {n} callers rated their call {bad_score}/5 or worse"),
            );
        }
    }

    /// Opens a ticket (once per call and category) with a due time from its priority.
    pub(super) fn open_ticket(
        &mut self,
        call: Option<CallId>,
        category: &str,
        priority: TicketPriority,
        summary: String,
        due_in: Option<Duration>,
    ) {
        if let Some(c) = call {
            let causes = self.core.ticket_causes.entry(c).or_default();
            if causes.iter().any(|k| k == category) {
                return;
            }
            causes.push(category.to_string());
        }
        self.core.next_ticket += 1;
        let id = TicketId(self.core.next_ticket);
        let due_in = due_in
            .unwrap_or_else(|| Duration::minutes(self.core.scenario.tickets.due_min.for_priority(priority) as i64));
        let due = self.core.now + due_in;
        let links = self.ticket_links(call, id);
        self.emit(EventKind::TicketOpened {
            ticket: Ticket {
                id,
                call,
                category: category.to_string(),
                priority,
                status: TicketStatus::Open,
                level: 0,
                summary,
                opened: self.core.now,
                due,
                notes: Vec::new(),
                history: vec![TicketNote { at: self.core.now, by: "engine".into(), text: "opened".into() }],
                notes_earlier: 0,
                links,
            },
        });
        self.core.timer(due, Timer::TicketDue(id, 0));
        S::ticket_opened(self, id);
    }

    /// A ticket passed its due time at `level`: escalate it a level and alert (ignored if it moved on since).
    pub(super) fn ticket_due(&mut self, id: TicketId, level: u8) {
        let Some(t) = self.core.floor.tickets.get(&id) else { return };
        if t.status == TicketStatus::Resolved || t.level != level || t.due > self.core.now {
            return;
        }
        let max = self.core.scenario.tickets.max_level;
        let category = t.category.clone();
        if level < max {
            let due = self.core.now + Duration::minutes(self.core.scenario.tickets.escalation_extends_min as i64);
            self.emit(EventKind::TicketEscalated {
                ticket: id,
                level: level + 1,
                note: format!("overdue: escalated to level {}", level + 1),
                by: "engine".into(),
                due,
            });
            self.core.timer(due, Timer::TicketDue(id, level + 1));
        }
        let severity = if level + 1 >= max { Severity::Critical } else { Severity::Warning };
        self.raise(
            AlertKind::TicketOverdue,
            severity,
            id.to_string(),
            format!("{id} ({category}) is overdue at level {}", (level + 1).min(max)),
        );
    }

    /// Raises an alert unless the same cause raised one recently at the same or a higher severity.
    pub(super) fn raise(&mut self, kind: AlertKind, severity: Severity, subject: String, message: String) {
        let key = (kind, subject.clone());
        let retrigger = Duration::seconds(self.core.scenario.thresholds.retrigger_s as i64);
        if let Some(r) = self.core.raised.get(&key)
            && self.core.now - r.at < retrigger
            && r.severity >= severity
        {
            return;
        }
        self.core.raised.insert(key, Raised { at: self.core.now, severity });
        self.core.next_alert += 1;
        let alert = Alert {
            id: AlertId(self.core.next_alert),
            kind,
            severity,
            subject,
            message,
            raised: self.core.now,
            acked: None,
        };
        self.emit(EventKind::AlertRaised { alert });
    }

    /// Service level, abandon rate and longest wait against the scenario's warning and critical levels.
    fn check_metric_alerts(&mut self) {
        // Causes whose re-trigger interval has passed need no memory (keeps the map to recent causes).
        let retrigger = Duration::seconds(self.core.scenario.thresholds.retrigger_s as i64);
        let now = self.core.now;
        self.core.raised.retain(|_, r| now - r.at < retrigger);
        let m = self.core.metrics.snapshot_without_staffing(&self.core.floor, self.core.now);
        let th = self.core.scenario.thresholds.clone();
        let window = m.window_s / 60;
        for q in &m.queues {
            let qid = q.queue.to_string();
            let judged = q.answered + q.abandoned - q.short_abandoned;
            if let Some(sl) = q.service_level.filter(|_| judged >= MIN_SAMPLE)
                && let Some(sev) = th.service_level.below(sl)
            {
                let message = format!(
                    "{qid}: service level {:.0}% in the last {window} min, target {:.0}% in {} s",
                    sl * 100.0,
                    q.sl_target * 100.0,
                    q.sl_seconds
                );
                self.raise(AlertKind::SlaBreach, sev, qid.clone(), message);
            }
            if let Some(ar) = q.abandon_rate.filter(|_| q.offered >= MIN_SAMPLE)
                && let Some(sev) = th.abandon_rate.above(ar)
            {
                let message = format!("{qid}: {:.0}% of callers hung up in the last {window} min", ar * 100.0);
                self.raise(AlertKind::AbandonSpike, sev, qid.clone(), message);
            }
            let lw = q.longest_wait_s;
            if let Some(sev) = th.long_wait_s.above(lw) {
                let message = format!("{qid}: a caller has waited {}:{:02}", lw as u64 / 60, lw as u64 % 60);
                self.raise(AlertKind::LongWait, sev, qid.clone(), message);
            }
        }
    }
}

impl<S: Source> Ctx<'_, S> {
    /// A rule suggests `card` on a call (once per call): the card goes to the agent (on a simulated floor the agent
    /// then uses it, see [`Ctx::card_suggested`]).
    fn suggest(&mut self, id: CallId, card: Option<&str>, word: &str) {
        let Some(card) = card else { return };
        let Some(index) = self.core.scenario.cards.iter().position(|c| c.id == card) else { return };
        let Some(call) = self.core.floor.calls.get(&id) else { return };
        if call.suggestions.iter().any(|s| s.card == card) {
            return;
        }
        self.emit(EventKind::CardSuggested { call: id, card: card.to_string(), word: word.to_string() });
        S::card_suggested(self, id, index);
    }
}

impl Ctx<'_, SimSource> {
    /// The simulated agent uses a suggested card with the card's use rate, after a conversational pause.
    pub(super) fn card_suggested(&mut self, id: CallId, index: usize) {
        let rate = self.core.scenario.cards.get(index).map_or(0.0, |c| c.use_rate.clamp(0.0, 1.0));
        if self.src.card_rng.random_bool(rate) {
            let d =
                sample(&self.core.scenario.behaviour.line_gap, &mut self.src.card_rng).unwrap_or(Duration::seconds(8));
            self.at(self.core.now + d, Fact::CardUse(id, index));
        }
    }

    /// The back office may resolve a ticket the floor opened.
    pub(super) fn ticket_opened(&mut self, id: TicketId) {
        if let Some(d) = sample(&self.core.scenario.tickets.backoffice, &mut self.src.rng) {
            self.at(self.core.now + d, Fact::BackOffice(id));
        }
    }

    /// The agent uses a suggested card: now if they are on the call, after another pause if the call has not reached
    /// them yet, never if it is over.
    fn use_card(&mut self, id: CallId, index: usize) {
        let Some(call) = self.core.floor.calls.get(&id) else { return };
        let Some(card) = self.core.scenario.cards.get(index) else { return };
        match call.state {
            CallState::Connected | CallState::Held => {
                self.emit(EventKind::CardUsed { call: id, card: card.id.clone() });
            }
            CallState::Ivr | CallState::Queued | CallState::Ringing => {
                let d = sample(&self.core.scenario.behaviour.line_gap, &mut self.src.card_rng)
                    .unwrap_or(Duration::seconds(8));
                self.at(self.core.now + d, Fact::CardUse(id, index));
            }
            CallState::WrapUp | CallState::Ended | CallState::Abandoned => {}
        }
    }
}
