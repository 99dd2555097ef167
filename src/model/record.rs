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
    /// The call as the floor held it when it ended, as far as the record tells (the times it waited in queues are
    /// not kept: its first queueing is put `wait_s` before it was answered or ended; the rolling sentiment after
    /// each caller line is worked out again from the transcript, as the floor works it out).
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
            sentiment_trail: rolling_sentiment(&self.transcript),
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
            orders: None,
        }
    }
}

/// The rolling sentiment after each caller line, as [`super::Floor::apply`] keeps it (newest last, capped).
fn rolling_sentiment(transcript: &[Line]) -> Vec<f32> {
    let mut trail: Vec<f32> = Vec::new();
    for l in transcript.iter().filter(|l| l.speaker == Speaker::Caller) {
        let next = match trail.last() {
            None => l.sentiment,
            Some(s) => s + super::floor::SENTIMENT_ALPHA * (l.sentiment - s),
        };
        trail.push(next);
    }
    let extra = trail.len().saturating_sub(super::floor::SENTIMENT_TRAIL_CAP);
    trail.drain(..extra);
    trail
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(speaker: Speaker, sentiment: f32) -> Line {
        Line { at: Time::default(), speaker, text: String::new(), sentiment, whisper: false, by: None }
    }

    /// A call read back from the store draws the same sentiment trail the floor drew while it was live: agent lines
    /// do not move it, caller lines move it by the floor's smoothing.
    #[test]
    fn a_stored_call_gets_back_its_sentiment_trail() {
        let lines = [line(Speaker::Caller, -0.8), line(Speaker::Agent, 0.9), line(Speaker::Caller, 0.2)];
        let trail = rolling_sentiment(&lines);
        assert_eq!(trail.len(), 2);
        assert!((trail[0] + 0.8).abs() < 1e-6);
        let want = -0.8 + super::super::floor::SENTIMENT_ALPHA * (0.2 + 0.8);
        assert!((trail[1] - want).abs() < 1e-6, "{trail:?}");
        let long: Vec<Line> = (0..100).map(|_| line(Speaker::Caller, 0.0)).collect();
        assert_eq!(rolling_sentiment(&long).len(), super::super::floor::SENTIMENT_TRAIL_CAP);
    }
}
