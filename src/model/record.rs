//! Records the engine's store keeps and a client may ask for: a finished call whole, a ticket with its whole
//! history. They travel as `record` frames answering a `query` (docs/PROTOCOL.md).

use serde::{Deserialize, Serialize};

use super::ids::{CallId, TicketId};
use super::types::*;

/// A finished call as the store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallRecord {
    pub run: i64,
    pub id: CallId,
    pub caller: Option<String>,
    pub queue: Option<String>,
    pub agent: Option<String>,
    pub lang: String,
    pub intent: String,
    pub arrived: Time,
    pub answered: Option<Time>,
    pub ended: Time,
    pub wait_s: f64,
    pub talk_s: f64,
    pub outcome: String,
    pub final_sentiment: f64,
    pub urgent: bool,
    pub risk: bool,
    pub ring_outs: u32,
    pub transcript: Vec<Line>,
    pub rule_hits: Vec<RuleHit>,
    pub recorded: Option<String>,
}

/// A ticket with its whole history, as the store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketRecord {
    pub run: i64,
    pub updated: Time,
    #[serde(flatten)]
    pub ticket: Ticket,
}

/// What a client may ask the engine for, beyond the floor.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Query {
    /// A call that has left the floor, from the store.
    Call { call: CallId },
    /// A ticket with every note and history entry, from the store.
    Ticket { ticket: TicketId },
}

/// The answer to a [`Query`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    Call(Box<CallRecord>),
    Ticket(Box<TicketRecord>),
}

impl CallRecord {
    /// The call as the floor held it when it ended, as far as the record tells (the times it waited in queues and
    /// the rolling sentiment after each line are not kept: its first queueing is put `wait_s` before it was
    /// answered or ended, and the trail is left empty).
    pub fn to_call(&self) -> Call {
        let state = if self.outcome == "abandoned" { CallState::Abandoned } else { CallState::Ended };
        let until = self.answered.unwrap_or(self.ended);
        let first_queued = until - chrono::Duration::milliseconds((self.wait_s * 1000.0) as i64);
        let flags = CallFlags { urgent: self.urgent, risk: self.risk };
        Call {
            id: self.id,
            caller: self.caller.clone().unwrap_or_default(),
            lang: if self.lang == "en" { Lang::En } else { Lang::Zh },
            intent: self.intent.clone(),
            queue: self.queue.as_deref().map(super::ids::QueueId::new),
            priority: 0,
            state,
            arrived: self.arrived,
            queued: Some(first_queued),
            first_queued: Some(first_queued),
            answered: self.answered,
            agent: self.agent.as_deref().and_then(|a| a.parse().ok()),
            supervisors: Vec::new(),
            transcript: self.transcript.clone(),
            sentiment: self.final_sentiment as f32,
            sentiment_trail: Vec::new(),
            flags,
            rule_hits: self.rule_hits.clone(),
            ring_outs: self.ring_outs,
            // Not kept in the call record.
            verification: None,
            confirmation: None,
            earlier: CallerHistory::default(),
            student: None,
            callback_for: None,
            suggestions: Vec::new(),
        }
    }
}
