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
    // Issue 9's records (schema 3). Always present on the wire and in exports (null or false when the call had
    // none), so a CSV export has the same columns whatever its first call; absent in records from older engines.
    /// How the IVR checked the caller's identity (none on floors whose IVR does not verify).
    #[serde(default)]
    pub verification: Option<Verification>,
    /// The second confirmation's outcome (`pending` when the call ended before anybody decided).
    #[serde(default)]
    pub confirmation: Option<ConfirmationState>,
    /// Who confirmed or refused it.
    #[serde(default)]
    pub confirmed_by: Option<String>,
    /// The caller had called before (their earlier contacts are in `details.earlier`).
    #[serde(default)]
    pub repeat_caller: bool,
    /// For an outbound callback call: the abandoned call it called back.
    #[serde(default)]
    pub callback_for: Option<CallId>,
    /// For an outbound callback call: how that callback stood when the call ended (`reached`, `retry`, `gave_up`).
    #[serde(default)]
    pub callback_outcome: Option<String>,
    /// The call was handled by a temporary seat (`details.seat_origin` says where the seat came from).
    #[serde(default)]
    pub temp_seat: bool,
    /// The caller's dialect, when the floor recognises dialects.
    #[serde(default)]
    pub dialect: Option<String>,
    /// The caller was recognised as elderly, when the floor does that.
    #[serde(default)]
    pub elderly: Option<bool>,
    /// The rest of what the call held: the whole confirmation, earlier contacts, suggestion cards, callback
    /// attempts, student link, seat origin.
    #[serde(default)]
    pub details: CallDetails,
}

/// What a call record keeps beyond its typed columns (the store's `extra` JSON column).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CallDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation: Option<Confirmation>,
    #[serde(default, skip_serializing_if = "CallerHistory::is_empty")]
    pub earlier: CallerHistory,
    /// Cards suggested on the call and whether they were used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suggestions: Vec<Suggestion>,
    /// For an outbound callback call: every attempt of its callback so far, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub callback_attempts: Vec<super::edu::CallbackAttempt>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub student: Option<super::edu::StudentLink>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seat_origin: Option<super::edu::SeatOrigin>,
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
    /// A search of the floor's knowledge base (`kb`: the words; `limit`: most hits, default [`KB_LIMIT_DEFAULT`],
    /// at most [`KB_LIMIT_MAX`]). Any role may search: it is public policy text.
    Kb {
        kb: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<u32>,
    },
}

/// Hits a `query{kb}` answers with when it names no limit.
pub const KB_LIMIT_DEFAULT: u32 = 10;
/// Most hits a `query{kb}` answers with.
pub const KB_LIMIT_MAX: u32 = 50;
/// Longest `query{kb}` words, in characters.
pub const KB_QUERY_MAX_CHARS: usize = 200;

/// What a knowledge search found (the `record` answering `query{kb}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KbAnswer {
    /// The base's title.
    pub title: String,
    /// The base is invented (every bundled one): shown next to results so nobody takes it for real policy.
    #[serde(default)]
    pub synthetic: bool,
    /// The query's words as searched for.
    pub terms: Vec<String>,
    /// True when every hit has all the words; false when none had them all and hits have any of them.
    pub all_terms: bool,
    /// Clauses that matched (the hits are the best `limit` of them).
    pub total: usize,
    /// Best first: by relevance band, then newest first.
    pub hits: Vec<KbHit>,
}

/// One clause a knowledge search found, whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KbHit {
    pub id: String,
    pub title: String,
    /// The day the clause took effect.
    pub date: chrono::NaiveDate,
    pub lang: Lang,
    /// The text around the first match (`…` where cut).
    pub snippet: String,
    /// Where the query's words are in `snippet`, in characters: `[start, end)`.
    #[serde(default)]
    pub marks: Vec<[usize; 2]>,
    /// Relevance band (0 = as good as the best hit).
    #[serde(default)]
    pub band: u8,
    /// The whole clause.
    pub text: String,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// The answer to a [`Query`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    Call(Box<CallRecord>),
    Ticket(Box<TicketRecord>),
    Kb(Box<KbAnswer>),
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
            verification: self.verification,
            confirmation: self.details.confirmation.clone(),
            earlier: self.details.earlier.clone(),
            student: self.details.student.clone(),
            callback_for: self.callback_for,
            suggestions: self.details.suggestions.clone(),
            dialect: self.dialect.clone(),
            elderly: self.elderly.unwrap_or(false),
            // Orders come from the shop's system and are not stored.
            orders: None,
        }
    }
}

/// The rolling sentiment after each caller line, as [`super::Floor::apply`] keeps it (newest last, capped).
fn rolling_sentiment(transcript: &[Line]) -> Vec<f32> {
    let mut trail = Vec::new();
    for l in transcript.iter().filter(|l| l.speaker == Speaker::Caller) {
        super::floor::push_sentiment(&mut trail, l.sentiment);
    }
    trail
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(speaker: Speaker, sentiment: f32) -> Line {
        Line { at: Time::default(), speaker, text: String::new(), sentiment, emotion: None, whisper: false, by: None }
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
