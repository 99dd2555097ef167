//! Events: everything that happens on a floor. [`super::Floor::apply`] is the only code that changes floor state.

use serde::{Deserialize, Serialize};

use super::edu::*;
use super::ids::{AgentId, AlertId, CallId, QueueId, TicketId};
use super::orders::{Order, OrderSource};
use super::types::*;

/// One thing that happened, at floor time `at`. Its sequence number is its position in the engine's stream.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Event {
    pub at: Time,
    #[serde(flatten)]
    pub kind: EventKind,
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// The floor opens: its scenario, queues and seats. Always the first event.
    FloorOpened {
        scenario: String,
        title: String,
        queues: Vec<Queue>,
        agents: Vec<Agent>,
    },
    /// Floor time moved on (once per floor-second), so clocks on every mirror advance even when nothing happens.
    Tick,
    /// A call reached the IVR.
    CallArrived {
        call: CallId,
        caller: String,
        lang: Lang,
        intent: String,
        /// The dialect the caller speaks (an id of the floor's `dialects`), when the IVR or the network knows it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dialect: Option<String>,
        /// The caller is elderly (from the caller's profile or the IVR's age question).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        elderly: bool,
    },
    /// The call entered a queue (from the IVR, a ring-out or a transfer).
    CallQueued {
        call: CallId,
        queue: QueueId,
        priority: u8,
    },
    /// A rule raised the call's priority; it moves ahead in its queue.
    CallPriorityRaised {
        call: CallId,
        priority: u8,
        reason: String,
    },
    /// A keyword rule matched a line of the call.
    RuleMatched {
        call: CallId,
        rule: String,
        word: String,
        actions: Vec<RuleAction>,
        /// Set when the rule marks the call urgent.
        #[serde(default)]
        urgent: bool,
        /// Set when the rule flags the call for review.
        #[serde(default)]
        risk: bool,
    },
    /// The call rings at an agent's seat.
    CallOffered {
        call: CallId,
        agent: AgentId,
    },
    /// The agent let the call ring out; it goes back to the head of its queue.
    CallRingNoAnswer {
        call: CallId,
        agent: AgentId,
    },
    CallAnswered {
        call: CallId,
        agent: AgentId,
    },
    CallHeld {
        call: CallId,
    },
    CallResumed {
        call: CallId,
    },
    /// A line spoken on the call.
    Utterance {
        call: CallId,
        speaker: Speaker,
        text: String,
        sentiment: f32,
        /// The emotion the line expresses (`anger`, `anxiety`, `confusion`); absent when none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        emotion: Option<super::Emotion>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        whisper: bool,
        /// Who said it, for a supervisor's line: the supervisor's user name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    /// A supervisor joined the call, or changed mode on it.
    SupervisorJoined {
        call: CallId,
        supervisor: String,
        mode: SupervisorMode,
    },
    SupervisorLeft {
        call: CallId,
        supervisor: String,
    },
    /// The call moved to another agent (it is connected to them at once) or back into a queue.
    CallTransferred {
        call: CallId,
        to_agent: Option<AgentId>,
        to_queue: Option<QueueId>,
        by: String,
    },
    /// The call finished normally; the agent goes to wrap-up.
    CallEnded {
        call: CallId,
    },
    /// The caller hung up while waiting; they go on the callback list.
    CallAbandoned {
        call: CallId,
    },
    /// A post-call satisfaction survey came back (1 = very bad .. 5 = very good).
    SurveyAnswered {
        call: CallId,
        score: u8,
    },
    /// A feeder (the `ingest` role) tagged a live call: each field present replaced the call's (`lang` also moves
    /// the call's place in the language the queue routes by).
    CallTagged {
        call: CallId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        intent: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lang: Option<Lang>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dialect: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        elderly: Option<bool>,
        /// The feeder's user name (the token's name).
        by: String,
    },
    /// The back office called an abandoned caller back.
    CallbackDone {
        call: CallId,
    },
    AgentStateChanged {
        agent: AgentId,
        state: AgentState,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    AgentReassigned {
        agent: AgentId,
        queues: Vec<QueueId>,
    },
    AlertRaised {
        alert: Alert,
    },
    AlertAcknowledged {
        alert: AlertId,
        by: String,
    },
    TicketOpened {
        ticket: Ticket,
    },
    TicketEscalated {
        ticket: TicketId,
        level: u8,
        note: String,
        by: String,
        /// New due time after escalation.
        due: Time,
    },
    TicketNoted {
        ticket: TicketId,
        text: String,
        by: String,
    },
    TicketResolved {
        ticket: TicketId,
        note: String,
        by: String,
    },
    /// A supervisor command and its outcome, for the audit log.
    Audited {
        entry: AuditEntry,
    },
    /// The IVR checked the caller's identity (a PBX bridge sends what its IVR found).
    CallVerified {
        call: CallId,
        verification: Verification,
    },
    /// A rule that requires verification matched on a call that is not verified: the call waits for a second
    /// confirmation (二次确认) by its agent or a supervisor.
    ConfirmationRequested {
        call: CallId,
        rule: String,
        word: String,
    },
    /// The agent or a supervisor confirmed (`accept`) or refused the call's pending second confirmation.
    ConfirmationDecided {
        call: CallId,
        accept: bool,
        by: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// The caller called before: their earlier calls and tickets, by id (the caller's number is the engine's link
    /// key and never travels here).
    CallerRecognised {
        call: CallId,
        earlier: CallerHistory,
    },
    /// The caller's number is a contact of a student on record: the call shows the student, and the student's
    /// record gains the call.
    StudentCallLinked {
        call: CallId,
        student: String,
        name: String,
        class: String,
        role: ContactRole,
        /// The contact's number (the caller's); masked for roles below admin.
        number: String,
    },
    /// Temporary seats logged in for a peak (an admin's `add_seats`, or the scenario's plan).
    SeatsAdded {
        agents: Vec<Agent>,
        by: String,
    },
    /// An abandoned caller was promised a call back by `due`.
    CallbackPromised {
        call: CallId,
        due: Time,
    },
    /// A supervisor gave a callback to a seat or a queue.
    CallbackAssigned {
        call: CallId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to_agent: Option<AgentId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to_queue: Option<QueueId>,
        by: String,
    },
    /// A seat dials an abandoned caller back: an outbound call `call` for callback `callback`.
    CallbackDialed {
        callback: CallId,
        call: CallId,
        agent: AgentId,
        /// The number dialled; masked for roles below admin.
        caller: String,
        lang: Lang,
        intent: String,
    },
    /// How an attempt went. `reached`: the outbound call is connected (its `call_ended` comes later); `no_answer`:
    /// the outbound call is over and the seat free, with the next attempt at `retry_at` (none: given up).
    CallbackAttempted {
        callback: CallId,
        call: CallId,
        agent: AgentId,
        outcome: CallbackOutcome,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_at: Option<Time>,
    },
    /// The floor's suggestion cards (sent after `floor_opened` when the scenario has any).
    CardsLoaded {
        cards: Vec<Card>,
    },
    /// A rule pushed a suggestion card to the call's agent (once per card and call).
    CardSuggested {
        call: CallId,
        card: String,
        /// The word that brought it up, as said.
        word: String,
    },
    /// The agent used a card suggested on the call (read the clause out, gave the coupon, offered the course).
    CardUsed {
        call: CallId,
        card: String,
    },
    /// The dialects the floor's callers may speak, with their names (sent after `floor_opened` when the scenario
    /// has any).
    DialectsLoaded {
        dialects: Vec<super::DialectInfo>,
    },
    /// The floor asked its order endpoint for the caller's orders: the call shows "looking up…" until
    /// `orders_found` or `orders_failed` comes.
    OrdersRequested {
        call: CallId,
        source: OrderSource,
    },
    /// The caller's orders and deliveries (at most [`crate::model::ORDERS_PER_CALL`]; `more` left out).
    OrdersFound {
        call: CallId,
        source: OrderSource,
        orders: Vec<Order>,
        #[serde(default, skip_serializing_if = "is_zero")]
        more: u32,
    },
    /// The order lookup failed (timed out, an HTTP error, bad JSON, too many lookups at once): why, in a sentence.
    OrdersFailed {
        call: CallId,
        reason: String,
    },
    /// An open callback reloaded from the store by a restarted engine (as it stood, except that an attempt cut off
    /// by the restart is not counted: the callback waits to be dialled again).
    CallbackRestored {
        callback: Callback,
    },
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl EventKind {
    /// The snake_case name of the event, as on the wire.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::FloorOpened { .. } => "floor_opened",
            EventKind::Tick => "tick",
            EventKind::CallArrived { .. } => "call_arrived",
            EventKind::CallQueued { .. } => "call_queued",
            EventKind::CallPriorityRaised { .. } => "call_priority_raised",
            EventKind::RuleMatched { .. } => "rule_matched",
            EventKind::CallOffered { .. } => "call_offered",
            EventKind::CallRingNoAnswer { .. } => "call_ring_no_answer",
            EventKind::CallAnswered { .. } => "call_answered",
            EventKind::CallHeld { .. } => "call_held",
            EventKind::CallResumed { .. } => "call_resumed",
            EventKind::Utterance { .. } => "utterance",
            EventKind::SupervisorJoined { .. } => "supervisor_joined",
            EventKind::SupervisorLeft { .. } => "supervisor_left",
            EventKind::CallTransferred { .. } => "call_transferred",
            EventKind::CallEnded { .. } => "call_ended",
            EventKind::CallAbandoned { .. } => "call_abandoned",
            EventKind::SurveyAnswered { .. } => "survey_answered",
            EventKind::CallTagged { .. } => "call_tagged",
            EventKind::CallbackDone { .. } => "callback_done",
            EventKind::AgentStateChanged { .. } => "agent_state_changed",
            EventKind::AgentReassigned { .. } => "agent_reassigned",
            EventKind::AlertRaised { .. } => "alert_raised",
            EventKind::AlertAcknowledged { .. } => "alert_acknowledged",
            EventKind::TicketOpened { .. } => "ticket_opened",
            EventKind::TicketEscalated { .. } => "ticket_escalated",
            EventKind::TicketNoted { .. } => "ticket_noted",
            EventKind::TicketResolved { .. } => "ticket_resolved",
            EventKind::Audited { .. } => "audited",
            EventKind::CallVerified { .. } => "call_verified",
            EventKind::ConfirmationRequested { .. } => "confirmation_requested",
            EventKind::ConfirmationDecided { .. } => "confirmation_decided",
            EventKind::CallerRecognised { .. } => "caller_recognised",
            EventKind::StudentCallLinked { .. } => "student_call_linked",
            EventKind::SeatsAdded { .. } => "seats_added",
            EventKind::CallbackPromised { .. } => "callback_promised",
            EventKind::CallbackAssigned { .. } => "callback_assigned",
            EventKind::CallbackDialed { .. } => "callback_dialed",
            EventKind::CallbackAttempted { .. } => "callback_attempted",
            EventKind::CardsLoaded { .. } => "cards_loaded",
            EventKind::CardSuggested { .. } => "card_suggested",
            EventKind::CardUsed { .. } => "card_used",
            EventKind::DialectsLoaded { .. } => "dialects_loaded",
            EventKind::CallbackRestored { .. } => "callback_restored",
            EventKind::OrdersRequested { .. } => "orders_requested",
            EventKind::OrdersFound { .. } => "orders_found",
            EventKind::OrdersFailed { .. } => "orders_failed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Floor;

    #[test]
    fn a_supervisor_line_names_who_said_it_and_older_lines_still_decode() {
        let arrived: Event = match serde_json::from_str(
            r#"{"at":"2026-01-05T08:00:00Z","type":"call_arrived","call":"C-1","caller":"555-0100","lang":"en","intent":"card"}"#,
        ) {
            Ok(e) => e,
            Err(e) => panic!("a call_arrived event must decode: {e}"),
        };
        // Written by a server from before `by` existed: it decodes, with nobody named.
        let old: Event = match serde_json::from_str(
            r#"{"at":"2026-01-05T08:00:01Z","type":"utterance","call":"C-1","speaker":"caller","text":"hi","sentiment":0.1}"#,
        ) {
            Ok(e) => e,
            Err(e) => panic!("an utterance without `by` must decode: {e}"),
        };
        let said = Event {
            at: old.at,
            kind: EventKind::Utterance {
                call: CallId(1),
                speaker: Speaker::Supervisor,
                text: "I am the duty supervisor".into(),
                sentiment: 0.2,
                emotion: None,
                whisper: false,
                by: Some("sue".into()),
            },
        };
        let wire = serde_json::to_string(&said).unwrap_or_default();
        assert!(wire.contains(r#""by":"sue""#), "{wire}");
        let mut floor = Floor::default();
        for ev in [&arrived, &old, &said] {
            floor.apply(ev);
        }
        let by: Vec<Option<&str>> = floor
            .calls
            .get(&CallId(1))
            .map(|c| c.transcript.iter().map(|l| l.by.as_deref()).collect())
            .unwrap_or_default();
        assert_eq!(by, vec![None, Some("sue")]);
        // A line without a speaker name does not write `by` at all.
        let line = serde_json::to_string(&floor.calls[&CallId(1)].transcript[0]).unwrap_or_default();
        assert!(!line.contains("by"), "{line}");
    }
}
