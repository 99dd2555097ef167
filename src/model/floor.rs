//! The one state type. The engine and every console mirror hold a `Floor` and change it only through
//! [`Floor::apply`], so both always agree.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use super::dialect::DialectInfo;
use super::edu::*;
use super::event::{Event, EventKind};
use super::ids::{AgentId, AlertId, CallId, QueueId, TicketId};
use super::orders::CallOrders;
use super::types::*;

/// Newest transcript lines kept per live call.
pub const TRANSCRIPT_CAP: usize = 200;
/// Points of the per-call sentiment sparkline.
pub const SENTIMENT_TRAIL_CAP: usize = 60;
/// Alerts kept on the floor (the store keeps all of them); acknowledged ones are dropped first.
pub const ALERTS_CAP: usize = 1000;
/// Tickets kept on the floor (the store keeps all of them); resolved ones are dropped first.
pub const TICKETS_CAP: usize = 1000;
/// Entries of commands carried out kept on the floor's audit list (the store keeps all of them).
pub const AUDIT_CAP: usize = 500;
/// Notes (and history entries) a ticket keeps on the floor, newest last; older notes are counted in
/// `notes_earlier` and kept by the store.
pub const TICKET_NOTES_INLINE: usize = 20;
/// Entries of refused commands kept on the floor's audit list, besides [`AUDIT_CAP`] carried-out ones: refusals
/// only ever push out older refusals, so a flood of refused commands never hides what supervisors did.
pub const AUDIT_REFUSED_CAP: usize = 100;
/// Finished calls kept for "recent" lists.
pub const RECENT_CAP: usize = 100;
/// Callbacks kept (oldest dropped beyond this).
pub const CALLBACKS_CAP: usize = 1000;
/// Earlier calls (and earlier tickets) the per-caller index keeps per caller, and a call or ticket links to.
pub const EARLIER_CAP: usize = 5;
/// Transcript lines a ticket keeps as its excerpt, and the characters kept of each.
pub const EXCERPT_LINES: usize = 6;
pub const EXCERPT_LINE_CHARS: usize = 300;
/// Weight of the newest caller line in a call's rolling sentiment.
pub const SENTIMENT_ALPHA: f32 = 0.35;

#[derive(Clone, PartialEq, Debug, Default, Serialize, Deserialize)]
pub struct Floor {
    /// Number of events applied so far: the sequence number of the next event is `seq`.
    pub seq: u64,
    /// Floor time of the newest event.
    pub now: Option<Time>,
    pub scenario: String,
    pub title: String,
    /// Queues in the scenario's order.
    pub queues: Vec<Queue>,
    #[serde(with = "as_vec")]
    pub agents: BTreeMap<AgentId, Agent>,
    /// Live calls (IVR, queued, ringing, connected, held).
    #[serde(with = "as_vec")]
    pub calls: BTreeMap<CallId, Call>,
    #[serde(with = "as_vec")]
    pub alerts: BTreeMap<AlertId, Alert>,
    #[serde(with = "as_vec")]
    pub tickets: BTreeMap<TicketId, Ticket>,
    /// Abandoned callers waiting for a call back, oldest first.
    pub callbacks: VecDeque<Callback>,
    /// Newest last.
    pub audit: VecDeque<AuditEntry>,
    /// Recently finished calls, newest last.
    pub recent: VecDeque<CallSummary>,
    /// Student records that calls were linked to, by the scenario's student id (shared by all their contacts).
    #[serde(default, with = "as_vec")]
    pub students: BTreeMap<String, StudentRecord>,
    /// The scenario's suggestion cards, in file order, with their counts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cards: Vec<Card>,
    /// The dialects the floor's callers may speak, in the scenario's order (empty on a floor without).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dialects: Vec<DialectInfo>,
}

/// Elements of the floor's maps carry their own id, so they travel as plain arrays.
pub trait Keyed {
    type Key: Ord + Clone;
    fn key(&self) -> Self::Key;
}

impl Keyed for Agent {
    type Key = AgentId;
    fn key(&self) -> AgentId {
        self.id
    }
}
impl Keyed for Call {
    type Key = CallId;
    fn key(&self) -> CallId {
        self.id
    }
}
impl Keyed for Alert {
    type Key = AlertId;
    fn key(&self) -> AlertId {
        self.id
    }
}
impl Keyed for StudentRecord {
    type Key = String;
    fn key(&self) -> String {
        self.id.clone()
    }
}
impl Keyed for Ticket {
    type Key = TicketId;
    fn key(&self) -> TicketId {
        self.id
    }
}

mod as_vec {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::Keyed;

    pub fn serialize<S: Serializer, V: Keyed + Serialize>(map: &BTreeMap<V::Key, V>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(map.values())
    }

    pub fn deserialize<'de, D: Deserializer<'de>, V: Keyed + Deserialize<'de>>(
        d: D,
    ) -> Result<BTreeMap<V::Key, V>, D::Error> {
        let items = Vec::<V>::deserialize(d)?;
        Ok(items.into_iter().map(|v| (v.key(), v)).collect())
    }
}

impl Floor {
    pub fn queue(&self, id: &QueueId) -> Option<&Queue> {
        self.queues.iter().find(|q| &q.id == id)
    }

    fn queue_mut(&mut self, id: &QueueId) -> Option<&mut Queue> {
        self.queues.iter_mut().find(|q| &q.id == id)
    }

    /// Floor time, or the Unix epoch before the first event.
    pub fn time(&self) -> Time {
        self.now.unwrap_or_default()
    }

    /// Unacknowledged alerts, newest first.
    pub fn open_alerts(&self) -> impl Iterator<Item = &Alert> {
        self.alerts.values().rev().filter(|a| a.acked.is_none())
    }

    /// Removes a call from its queue's waiting list, if it is there. Calls are usually taken from the head, so the
    /// search starts there.
    fn unqueue(&mut self, call: CallId, queue: Option<&QueueId>) {
        if let Some(q) = queue.and_then(|q| self.queues.iter_mut().find(|x| &x.id == q))
            && let Some(i) = q.waiting.iter().position(|w| w.call == call)
        {
            q.waiting.remove(i);
        }
    }

    /// Inserts a waiting call at its place: higher priority first, then older first.
    fn enqueue(&mut self, queue: &QueueId, w: Waiting) {
        if let Some(q) = self.queue_mut(queue) {
            let pos = q.waiting.partition_point(|x| {
                (std::cmp::Reverse(x.priority), x.since) <= (std::cmp::Reverse(w.priority), w.since)
            });
            q.waiting.insert(pos, w);
        }
    }

    fn set_agent(&mut self, id: AgentId, state: AgentState, call: Option<CallId>, at: Time) {
        if let Some(a) = self.agents.get_mut(&id) {
            if a.state != state {
                a.since = at;
            }
            a.state = state;
            a.call = call;
        }
    }

    fn finish_call(&mut self, id: CallId, state: CallState, at: Time) -> Option<Call> {
        let mut call = self.calls.remove(&id)?;
        call.state = state;
        self.recent.push_back(CallSummary {
            id,
            queue: call.queue.clone(),
            agent: call.agent,
            state,
            ended: at,
            sentiment: call.sentiment,
            flags: call.flags,
        });
        while self.recent.len() > RECENT_CAP {
            self.recent.pop_front();
        }
        Some(call)
    }

    /// Applies one event. This is the only function that changes a floor; it never panics, and an event that
    /// names something the floor does not hold changes nothing but `seq` and `now`.
    pub fn apply(&mut self, ev: &Event) {
        self.seq += 1;
        let at = ev.at;
        if self.now.is_none_or(|n| at > n) {
            self.now = Some(at);
        }
        match &ev.kind {
            EventKind::FloorOpened { scenario, title, queues, agents } => {
                self.scenario = scenario.clone();
                self.title = title.clone();
                self.queues = queues.clone();
                self.agents = agents.iter().map(|a| (a.id, a.clone())).collect();
            }
            EventKind::Tick => {}
            EventKind::CallArrived { call, caller, lang, intent, dialect, elderly } => {
                self.calls.insert(
                    *call,
                    Call {
                        id: *call,
                        caller: caller.clone(),
                        lang: *lang,
                        intent: intent.clone(),
                        queue: None,
                        priority: 0,
                        state: CallState::Ivr,
                        arrived: at,
                        queued: None,
                        first_queued: None,
                        answered: None,
                        agent: None,
                        supervisors: Vec::new(),
                        transcript: Vec::new(),
                        sentiment: 0.0,
                        sentiment_trail: Vec::new(),
                        flags: CallFlags::default(),
                        rule_hits: Vec::new(),
                        ring_outs: 0,
                        verification: None,
                        confirmation: None,
                        earlier: CallerHistory::default(),
                        student: None,
                        callback_for: None,
                        suggestions: Vec::new(),
                        dialect: dialect.clone(),
                        elderly: *elderly,
                        orders: None,
                    },
                );
            }
            EventKind::CallQueued { call, queue, priority } => {
                let Some(c) = self.calls.get_mut(call) else { return };
                let old_queue = c.queue.replace(queue.clone());
                c.state = CallState::Queued;
                c.priority = (*priority).max(c.priority);
                c.queued = Some(at);
                c.first_queued.get_or_insert(at);
                let w = Waiting { call: *call, priority: c.priority, since: at, lang: c.lang };
                self.unqueue(*call, old_queue.as_ref());
                self.enqueue(queue, w);
            }
            EventKind::CallPriorityRaised { call, priority, .. } => {
                let Some(c) = self.calls.get_mut(call) else { return };
                c.priority = (*priority).max(c.priority);
                let new_priority = c.priority;
                if c.state == CallState::Queued {
                    let queue = c.queue.clone();
                    if let Some(q) = queue.as_ref().and_then(|q| self.queues.iter_mut().find(|x| &x.id == q))
                        && let Some(i) = q.waiting.iter().position(|w| w.call == *call)
                        && let Some(mut w) = q.waiting.remove(i)
                    {
                        w.priority = new_priority;
                        if let Some(qid) = queue {
                            self.enqueue(&qid, w);
                        }
                    }
                }
            }
            EventKind::RuleMatched { call, rule, word, actions, urgent, risk } => {
                let Some(c) = self.calls.get_mut(call) else { return };
                c.flags.urgent |= *urgent;
                c.flags.risk |= *risk;
                c.rule_hits.push(RuleHit { rule: rule.clone(), word: word.clone(), actions: actions.clone(), at });
            }
            EventKind::CallOffered { call, agent } => {
                let Some(c) = self.calls.get_mut(call) else { return };
                let queue = c.queue.clone();
                c.state = CallState::Ringing;
                c.agent = Some(*agent);
                self.unqueue(*call, queue.as_ref());
                self.set_agent(*agent, AgentState::Ringing, Some(*call), at);
            }
            EventKind::CallRingNoAnswer { call, agent } => {
                if let Some(a) = self.agents.get_mut(agent) {
                    a.missed += 1;
                }
                self.set_agent(*agent, AgentState::Available, None, at);
                let Some(c) = self.calls.get_mut(call) else { return };
                c.ring_outs += 1;
                c.agent = None;
                c.state = CallState::Queued;
                // Back to its old place: it keeps the time it first queued.
                let w = Waiting { call: *call, priority: c.priority, since: c.queued.unwrap_or(at), lang: c.lang };
                if let Some(q) = c.queue.clone() {
                    self.enqueue(&q, w);
                }
            }
            EventKind::CallAnswered { call, agent } => {
                let Some(c) = self.calls.get_mut(call) else { return };
                c.state = CallState::Connected;
                c.agent = Some(*agent);
                c.answered.get_or_insert(at);
                if let Some(a) = self.agents.get_mut(agent) {
                    a.missed = 0;
                    a.handled += 1;
                }
                self.set_agent(*agent, AgentState::OnCall, Some(*call), at);
            }
            EventKind::CallHeld { call } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.state = CallState::Held;
                }
            }
            EventKind::CallResumed { call } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.state = CallState::Connected;
                }
            }
            EventKind::Utterance { call, speaker, text, sentiment, emotion, whisper, by } => {
                let Some(c) = self.calls.get_mut(call) else { return };
                c.transcript.push(Line {
                    at,
                    speaker: *speaker,
                    text: text.clone(),
                    sentiment: *sentiment,
                    emotion: *emotion,
                    whisper: *whisper,
                    by: by.clone(),
                });
                if c.transcript.len() > TRANSCRIPT_CAP {
                    let extra = c.transcript.len() - TRANSCRIPT_CAP;
                    c.transcript.drain(..extra);
                }
                if *speaker == Speaker::Caller {
                    c.sentiment = push_sentiment(&mut c.sentiment_trail, *sentiment);
                }
            }
            EventKind::SupervisorJoined { call, supervisor, mode } => {
                let Some(c) = self.calls.get_mut(call) else { return };
                match c.supervisors.iter_mut().find(|p| &p.supervisor == supervisor) {
                    Some(p) => {
                        p.mode = *mode;
                        p.since = at;
                    }
                    None => c.supervisors.push(Participant { supervisor: supervisor.clone(), mode: *mode, since: at }),
                }
            }
            EventKind::SupervisorLeft { call, supervisor } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.supervisors.retain(|p| &p.supervisor != supervisor);
                }
            }
            EventKind::CallTransferred { call, to_agent, to_queue, .. } => {
                let Some(c) = self.calls.get_mut(call) else { return };
                let old_agent = c.agent.take();
                let old_queue = c.queue.clone();
                if let Some(q) = to_queue {
                    c.queue = Some(q.clone());
                    c.state = CallState::Queued;
                    c.queued = Some(at);
                    c.first_queued.get_or_insert(at);
                    let w = Waiting { call: *call, priority: c.priority, since: at, lang: c.lang };
                    self.unqueue(*call, old_queue.as_ref());
                    self.enqueue(q, w);
                } else if let Some(a) = to_agent {
                    c.agent = Some(*a);
                    c.state = CallState::Connected;
                    c.answered.get_or_insert(at);
                    self.unqueue(*call, old_queue.as_ref());
                    self.set_agent(*a, AgentState::OnCall, Some(*call), at);
                }
                if let Some(old) = old_agent
                    && Some(old) != *to_agent
                {
                    self.set_agent(old, AgentState::WrapUp, None, at);
                }
            }
            EventKind::CallEnded { call } => {
                let Some(c) = self.finish_call(*call, CallState::Ended, at) else { return };
                self.unqueue(*call, c.queue.as_ref());
                if let Some(a) = c.agent
                    && self.agents.get(&a).is_some_and(|ag| ag.call == Some(*call))
                {
                    self.set_agent(a, AgentState::WrapUp, None, at);
                }
            }
            EventKind::CallAbandoned { call } => {
                let Some(c) = self.finish_call(*call, CallState::Abandoned, at) else { return };
                self.unqueue(*call, c.queue.as_ref());
                if let Some(a) = c.agent
                    && self.agents.get(&a).is_some_and(|ag| ag.call == Some(*call))
                {
                    self.set_agent(a, AgentState::Available, None, at);
                }
                let waited_s = c.wait_secs(at);
                self.callbacks.push_back(Callback {
                    call: c.id,
                    caller: c.caller,
                    lang: c.lang,
                    queue: c.queue,
                    intent: c.intent,
                    abandoned: at,
                    waited_s,
                    promised: None,
                    status: CallbackStatus::Waiting,
                    assigned: None,
                    attempts: Vec::new(),
                    dialing: None,
                });
                while self.callbacks.len() > CALLBACKS_CAP {
                    self.callbacks.pop_front();
                }
            }
            EventKind::SurveyAnswered { .. } => {}
            EventKind::CallTagged { call, intent, lang, dialect, elderly, .. } => {
                let Some(c) = self.calls.get_mut(call) else { return };
                if let Some(i) = intent {
                    c.intent = i.clone();
                }
                if let Some(d) = dialect {
                    c.dialect = Some(d.clone());
                }
                if let Some(e) = elderly {
                    c.elderly = *e;
                }
                if let Some(l) = lang {
                    c.lang = *l;
                    // A waiting call's entry carries its language for routing.
                    let queue = c.queue.clone();
                    if let Some(w) = queue
                        .and_then(|q| self.queues.iter_mut().find(|x| x.id == q))
                        .and_then(|q| q.waiting.iter_mut().find(|w| w.call == *call))
                    {
                        w.lang = *l;
                    }
                }
            }
            EventKind::CallbackDone { call } => {
                self.callbacks.retain(|c| c.call != *call);
            }
            EventKind::AgentStateChanged { agent, state, .. } => {
                let call = self.agents.get(agent).and_then(|a| a.call);
                let keep_call = matches!(state, AgentState::Ringing | AgentState::OnCall);
                self.set_agent(*agent, *state, if keep_call { call } else { None }, at);
            }
            EventKind::AgentReassigned { agent, queues } => {
                if let Some(a) = self.agents.get_mut(agent) {
                    a.queues = queues.clone();
                }
            }
            EventKind::AlertRaised { alert } => {
                self.alerts.insert(alert.id, alert.clone());
                self.trim_alerts();
            }
            EventKind::AlertAcknowledged { alert, by } => {
                if let Some(a) = self.alerts.get_mut(alert)
                    && a.acked.is_none()
                {
                    a.acked = Some(Ack { by: by.clone(), at });
                }
            }
            EventKind::TicketOpened { ticket } => {
                self.tickets.insert(ticket.id, ticket.clone());
                self.trim_tickets();
            }
            EventKind::TicketEscalated { ticket, level, note, by, due } => {
                if let Some(t) = self.tickets.get_mut(ticket) {
                    t.status = TicketStatus::Escalated;
                    t.level = *level;
                    t.due = *due;
                    if !note.is_empty() {
                        t.add_note(TicketNote { at, by: by.clone(), text: note.clone() });
                    }
                    t.add_history(TicketNote { at, by: by.clone(), text: format!("escalated to level {level}") });
                }
            }
            EventKind::TicketNoted { ticket, text, by } => {
                if let Some(t) = self.tickets.get_mut(ticket) {
                    t.add_note(TicketNote { at, by: by.clone(), text: text.clone() });
                }
            }
            EventKind::TicketResolved { ticket, note, by } => {
                if let Some(t) = self.tickets.get_mut(ticket) {
                    t.status = TicketStatus::Resolved;
                    if !note.is_empty() {
                        t.add_note(TicketNote { at, by: by.clone(), text: note.clone() });
                    }
                    t.add_history(TicketNote { at, by: by.clone(), text: "resolved".into() });
                }
                self.trim_tickets();
            }
            EventKind::Audited { entry } => {
                self.audit.push_back(entry.clone());
                self.trim_audit(entry.ok);
            }
            EventKind::CallVerified { call, verification } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.verification = Some(*verification);
                }
            }
            EventKind::ConfirmationRequested { call, rule, word } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.confirmation = Some(Confirmation {
                        state: ConfirmationState::Pending,
                        rule: rule.clone(),
                        word: word.clone(),
                        asked: at,
                        by: None,
                        decided: None,
                        note: None,
                    });
                }
            }
            EventKind::ConfirmationDecided { call, accept, by, note } => {
                let Some(c) = self.calls.get_mut(call) else { return };
                let Some(conf) = c.confirmation.as_mut().filter(|k| k.is_pending()) else { return };
                conf.state = if *accept { ConfirmationState::Confirmed } else { ConfirmationState::Refused };
                conf.by = Some(by.clone());
                conf.decided = Some(at);
                conf.note = note.clone();
                // A refused confirmation keeps the call flagged for review whatever the rule said.
                if !*accept {
                    c.flags.risk = true;
                }
            }
            EventKind::CallerRecognised { call, earlier } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.earlier = earlier.clone();
                }
            }
            EventKind::StudentCallLinked { call, student, name, class, role, number } => {
                let Some(c) = self.calls.get_mut(call) else { return };
                let record = self.students.entry(student.clone()).or_insert_with(|| StudentRecord {
                    id: student.clone(),
                    name: name.clone(),
                    class: class.clone(),
                    calls: Vec::new(),
                });
                record.name = name.clone();
                record.class = class.clone();
                c.student = Some(StudentLink {
                    student: student.clone(),
                    name: name.clone(),
                    class: class.clone(),
                    role: *role,
                    others: record.calls.iter().filter(|s| s.call != *call).cloned().collect(),
                });
                record.calls.push(StudentCall { call: *call, role: *role, number: number.clone(), at });
                if record.calls.len() > STUDENT_CALLS_CAP {
                    record.calls.remove(0);
                }
            }
            EventKind::SeatsAdded { agents, .. } => {
                for a in agents {
                    self.agents.entry(a.id).or_insert_with(|| a.clone());
                }
            }
            EventKind::CallbackPromised { call, due } => {
                if let Some(cb) = self.callbacks.iter_mut().find(|c| c.call == *call) {
                    cb.promised = Some(*due);
                }
            }
            EventKind::CallbackAssigned { call, to_agent, to_queue, by } => {
                if let Some(cb) = self.callbacks.iter_mut().find(|c| c.call == *call) {
                    cb.status = CallbackStatus::Assigned;
                    cb.assigned =
                        Some(CallbackAssignee { agent: *to_agent, queue: to_queue.clone(), by: by.clone(), at });
                }
            }
            EventKind::CallbackDialed { callback, call, agent, caller, lang, intent } => {
                if let Some(cb) = self.callbacks.iter_mut().find(|c| c.call == *callback) {
                    cb.status = CallbackStatus::Dialing;
                    cb.dialing = Some(*call);
                }
                self.calls.insert(
                    *call,
                    Call {
                        id: *call,
                        caller: caller.clone(),
                        lang: *lang,
                        intent: intent.clone(),
                        // Kept out of the queue's inbound figures: an outbound call never waits in a queue.
                        queue: None,
                        priority: 0,
                        state: CallState::Ringing,
                        arrived: at,
                        queued: None,
                        first_queued: None,
                        answered: None,
                        agent: Some(*agent),
                        supervisors: Vec::new(),
                        transcript: Vec::new(),
                        sentiment: 0.0,
                        sentiment_trail: Vec::new(),
                        flags: CallFlags::default(),
                        rule_hits: Vec::new(),
                        ring_outs: 0,
                        student: None,
                        callback_for: Some(*callback),
                        suggestions: Vec::new(),
                        verification: None,
                        confirmation: None,
                        earlier: CallerHistory::default(),
                        dialect: None,
                        elderly: false,
                        orders: None,
                    },
                );
                self.set_agent(*agent, AgentState::OnCall, Some(*call), at);
            }
            EventKind::CallbackAttempted { callback, call, agent, outcome, retry_at } => {
                if let Some(cb) = self.callbacks.iter_mut().find(|c| c.call == *callback) {
                    cb.dialing = None;
                    cb.status = match (outcome, retry_at) {
                        (CallbackOutcome::Reached, _) => CallbackStatus::Reached,
                        (CallbackOutcome::NoAnswer, Some(_)) => CallbackStatus::Retry,
                        (CallbackOutcome::NoAnswer, None) => CallbackStatus::GaveUp,
                    };
                    cb.attempts.push(CallbackAttempt {
                        at,
                        agent: *agent,
                        call: *call,
                        outcome: *outcome,
                        retry_at: *retry_at,
                    });
                }
                if *outcome == CallbackOutcome::NoAnswer
                    && self.finish_call(*call, CallState::Ended, at).is_some()
                    && self.agents.get(agent).is_some_and(|a| a.call == Some(*call))
                {
                    self.set_agent(*agent, AgentState::Available, None, at);
                }
            }
            EventKind::CallbackRestored { callback } => {
                match self.callbacks.iter_mut().find(|c| c.call == callback.call) {
                    Some(c) => *c = callback.clone(),
                    None => self.callbacks.push_back(callback.clone()),
                }
                while self.callbacks.len() > CALLBACKS_CAP {
                    self.callbacks.pop_front();
                }
            }
            EventKind::CardsLoaded { cards } => self.cards = cards.clone(),
            EventKind::DialectsLoaded { dialects } => self.dialects = dialects.clone(),
            EventKind::CardSuggested { call, card, word } => {
                let Some(c) = self.calls.get_mut(call) else { return };
                if c.suggestions.iter().any(|s| &s.card == card) {
                    return;
                }
                c.suggestions.push(Suggestion { card: card.clone(), word: word.clone(), at, used: None });
                if let Some(k) = self.cards.iter_mut().find(|k| &k.id == card) {
                    k.suggested += 1;
                }
            }
            EventKind::CardUsed { call, card } => {
                let Some(s) = self
                    .calls
                    .get_mut(call)
                    .and_then(|c| c.suggestions.iter_mut().find(|s| &s.card == card && s.used.is_none()))
                else {
                    return;
                };
                s.used = Some(at);
                if let Some(k) = self.cards.iter_mut().find(|k| &k.id == card) {
                    k.used += 1;
                }
            }
            EventKind::OrdersRequested { call, source } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.orders = Some(CallOrders::Pending { source: *source });
                }
            }
            EventKind::OrdersFound { call, source, orders, more } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.orders = Some(CallOrders::Found { source: *source, orders: orders.clone(), more: *more });
                }
            }
            EventKind::OrdersFailed { call, reason } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.orders = Some(CallOrders::Failed { reason: reason.clone() });
                }
            }
        }
    }

    /// A card of the floor by id.
    pub fn card(&self, id: &str) -> Option<&Card> {
        self.cards.iter().find(|c| c.id == id)
    }

    /// Keeps the alert list bounded: beyond [`ALERTS_CAP`] alerts, the oldest acknowledged ones go first, then the
    /// oldest of all. Runs only when the cap is passed, and then frees a batch, so it costs nothing per event.
    fn trim_alerts(&mut self) {
        if self.alerts.len() <= ALERTS_CAP {
            return;
        }
        let target = ALERTS_CAP - ALERTS_CAP / 10;
        let excess = self.alerts.len() - target;
        let mut drop: Vec<AlertId> =
            self.alerts.values().filter(|a| a.acked.is_some()).take(excess).map(|a| a.id).collect();
        if drop.len() < excess {
            let more = excess - drop.len();
            drop.extend(self.alerts.values().filter(|a| a.acked.is_none()).take(more).map(|a| a.id));
        }
        for id in drop {
            self.alerts.remove(&id);
        }
    }

    /// Keeps the audit list bounded after an entry of kind `ok` (carried out or refused) was added: beyond its kind's
    /// cap ([`AUDIT_CAP`], [`AUDIT_REFUSED_CAP`]), the oldest entry of the same kind goes.
    fn trim_audit(&mut self, ok: bool) {
        let cap = if ok { AUDIT_CAP } else { AUDIT_REFUSED_CAP };
        if self.audit.len() <= cap {
            return;
        }
        let mut excess = self.audit.iter().filter(|e| e.ok == ok).count().saturating_sub(cap);
        if excess > 0 {
            self.audit.retain(|e| {
                let drop = excess > 0 && e.ok == ok;
                excess -= usize::from(drop);
                !drop
            });
        }
    }

    /// Keeps tickets bounded the same way as alerts: resolved ones go first, then the oldest.
    fn trim_tickets(&mut self) {
        if self.tickets.len() <= TICKETS_CAP {
            return;
        }
        let excess = self.tickets.len() - (TICKETS_CAP - TICKETS_CAP / 10);
        let mut drop: Vec<TicketId> =
            self.tickets.values().filter(|t| t.status == TicketStatus::Resolved).take(excess).map(|t| t.id).collect();
        if drop.len() < excess {
            let more = excess - drop.len();
            drop.extend(self.tickets.values().filter(|t| t.status != TicketStatus::Resolved).take(more).map(|t| t.id));
        }
        for id in drop {
            self.tickets.remove(&id);
        }
    }
}

/// Moves a call's rolling sentiment by a caller line's `sentiment` (the first line sets it), appends the new value
/// to `trail` (capped at [`SENTIMENT_TRAIL_CAP`], oldest dropped) and returns it. The floor and a call read back from
/// the store both work the trail out this way.
pub fn push_sentiment(trail: &mut Vec<f32>, sentiment: f32) -> f32 {
    let next = match trail.last() {
        None => sentiment,
        Some(s) => s + SENTIMENT_ALPHA * (sentiment - s),
    };
    trail.push(next);
    if trail.len() > SENTIMENT_TRAIL_CAP {
        trail.remove(0);
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audited(n: usize, actor: &str, ok: bool) -> Event {
        let at = chrono::DateTime::from_timestamp(1_700_000_000 + n as i64, 0).unwrap_or_default();
        let entry = AuditEntry {
            at,
            actor: actor.into(),
            role: if ok { Role::Supervisor } else { Role::Viewer },
            command: format!("{{\"type\":\"leave\",\"call\":\"C-{n}\"}}"),
            ok,
            outcome: if ok { "ok".into() } else { "forbidden: no".into() },
            more: 0,
        };
        Event { at, kind: EventKind::Audited { entry } }
    }

    #[test]
    fn refusals_never_push_carried_out_commands_off_the_audit_list() {
        let mut f = Floor::default();
        for n in 0..30 {
            f.apply(&audited(n, "ana", true));
        }
        for n in 30..2030 {
            f.apply(&audited(n, "val", false));
        }
        assert_eq!(f.audit.iter().filter(|e| e.ok && e.actor == "ana").count(), 30, "every action of ana is kept");
        let refused: Vec<&AuditEntry> = f.audit.iter().filter(|e| !e.ok).collect();
        assert_eq!(refused.len(), AUDIT_REFUSED_CAP);
        assert_eq!(refused[0].command, r#"{"type":"leave","call":"C-1930"}"#, "the newest refusals are kept");
        // Carried-out commands have their own, larger cap, and push out only older carried-out ones.
        for n in 2030..2030 + AUDIT_CAP + 5 {
            f.apply(&audited(n, "ben", true));
        }
        assert_eq!(f.audit.iter().filter(|e| e.ok).count(), AUDIT_CAP);
        assert_eq!(f.audit.iter().filter(|e| e.actor == "ana").count(), 0, "the oldest actions went first");
        assert_eq!(f.audit.iter().filter(|e| !e.ok).count(), AUDIT_REFUSED_CAP, "refusals are not pushed out");
        // The list stays in time order.
        assert!(f.audit.iter().zip(f.audit.iter().skip(1)).all(|(a, b)| a.at <= b.at));
    }
}
