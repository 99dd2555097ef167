//! The entities on a floor: queues, agents (seats), calls, alerts, tickets, callbacks, audit entries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ids::{AgentId, AlertId, CallId, QueueId, TicketId};

pub type Time = DateTime<Utc>;

/// Which floor a client is looking at. A restarted engine is a new floor, with a new id, so a client can tell a
/// reconnect to the same floor from one to a floor that started afresh.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct FloorIdentity {
    /// A random instance id of 16 hex digits, made when the engine starts (not derived from the scenario's seed,
    /// so two runs of the same scenario differ).
    pub id: String,
    /// Wall-clock UTC time the engine started serving.
    pub started: Time,
}

/// What a connected user may do. The staff roles form a ladder (a supervisor may do what a viewer may, an admin
/// what a supervisor may); `ingest` stands apart: a machine feeding transcripts and tags (an ASR feeder), which
/// reads the floor as a viewer does and may send only the feed commands. No order is derived on purpose: every
/// permission is asked through [`Role::covers`] or `Command::allowed_for`, never by comparing roles.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads the floor; caller numbers and ID numbers are masked.
    Viewer,
    /// Also intervenes on calls, reassigns seats and works tickets.
    Supervisor,
    /// Also sees unmasked personal data.
    Admin,
    /// A feeder (speech recognition, a CRM): sends `utterance` and `call_tag` only, reads the floor masked.
    Ingest,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Supervisor, Role::Admin, Role::Ingest];

    /// The role named `s` (`viewer`, `supervisor`, `admin`, `ingest`).
    pub fn from_name(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
            Role::Ingest => "ingest",
        }
    }

    /// Whether this role may do everything `need` may: each role covers itself, and on the staff ladder a
    /// supervisor covers a viewer and an admin covers both. Ingest covers only itself, and no staff role covers
    /// ingest (a feeder's token is not a person's, see `Command::allowed_for`).
    pub fn covers(self, need: Role) -> bool {
        match (self, need) {
            (a, b) if a == b => true,
            (Role::Supervisor, Role::Viewer) | (Role::Admin, Role::Viewer | Role::Supervisor) => true,
            _ => false,
        }
    }

    /// Whether this role sees callers' numbers and ID numbers unmasked (admin only).
    pub fn sees_personal_data(self) -> bool {
        self == Role::Admin
    }

    /// Whether this role works the floor (supervisor, admin): such users may take the seats a full server keeps
    /// back from viewers. A feeder counts as staff too: without it the floor has no transcripts.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Supervisor | Role::Admin | Role::Ingest)
    }

    /// "a" or "an", as a refusal words it ("ask for an admin token").
    pub fn article(self) -> &'static str {
        match self {
            Role::Admin | Role::Ingest => "an",
            Role::Viewer | Role::Supervisor => "a",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Language of a call or an utterance.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

/// Service-level target: `percent` (a fraction 0..1) of calls answered within `seconds`.
#[derive(Clone, Copy, PartialEq, Debug, Serialize, Deserialize)]
pub struct SlaTarget {
    pub percent: f64,
    pub seconds: u32,
}

/// A call waiting in a queue. Queues keep these ordered by (priority descending, since ascending).
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Waiting {
    pub call: CallId,
    pub priority: u8,
    pub since: Time,
    /// The caller's language: routing passes over callers a seat does not speak without looking each call up
    /// (at a peak, a queue holds thousands).
    pub lang: Lang,
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Queue {
    pub id: QueueId,
    pub name: String,
    /// Skills the queue asks for (informational; routing uses the agent's queues and languages).
    #[serde(default)]
    pub skills: Vec<String>,
    /// Base priority of calls entering this queue (higher is served first).
    pub priority: u8,
    pub sla: SlaTarget,
    /// Waiting calls, first to be served first.
    #[serde(default)]
    pub waiting: std::collections::VecDeque<Waiting>,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    Available,
    Ringing,
    OnCall,
    WrapUp,
    Break,
    Offline,
}

impl AgentState {
    pub const ALL: [AgentState; 6] = [
        AgentState::Available,
        AgentState::Ringing,
        AgentState::OnCall,
        AgentState::WrapUp,
        AgentState::Break,
        AgentState::Offline,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            AgentState::Available => "available",
            AgentState::Ringing => "ringing",
            AgentState::OnCall => "on_call",
            AgentState::WrapUp => "wrap_up",
            AgentState::Break => "break",
            AgentState::Offline => "offline",
        }
    }
}

/// An agent's seat.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Agent {
    pub id: AgentId,
    pub name: String,
    /// Queues this seat takes calls from.
    pub queues: Vec<QueueId>,
    /// Languages the agent speaks; a call is only routed to an agent who speaks its language.
    pub langs: Vec<Lang>,
    pub state: AgentState,
    /// When the agent entered `state`.
    pub since: Time,
    pub call: Option<CallId>,
    /// Calls offered and left to ring out since the agent last answered.
    #[serde(default)]
    pub missed: u32,
    /// Calls answered today.
    #[serde(default)]
    pub handled: u32,
    /// Set for a temporary seat added for a peak (`add_seats`): where it comes from and when it leaves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temporary: Option<super::edu::TempSeat>,
    /// Dialects (ids of the floor's `dialects`) this seat handles; routing prefers it for callers who speak them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dialects: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallState {
    Ivr,
    Queued,
    Ringing,
    Connected,
    Held,
    WrapUp,
    Ended,
    Abandoned,
}

impl CallState {
    pub fn as_str(self) -> &'static str {
        match self {
            CallState::Ivr => "ivr",
            CallState::Queued => "queued",
            CallState::Ringing => "ringing",
            CallState::Connected => "connected",
            CallState::Held => "held",
            CallState::WrapUp => "wrap_up",
            CallState::Ended => "ended",
            CallState::Abandoned => "abandoned",
        }
    }
}

/// How a supervisor is on a call (Asterisk ChanSpy's modes): `monitor` hears both sides and is heard by
/// nobody, `whisper` is heard by the agent only, `barge` is heard by both.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupervisorMode {
    Monitor,
    Whisper,
    Barge,
}

impl SupervisorMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SupervisorMode::Monitor => "monitor",
            SupervisorMode::Whisper => "whisper",
            SupervisorMode::Barge => "barge",
        }
    }
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Participant {
    pub supervisor: String,
    pub mode: SupervisorMode,
    pub since: Time,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Speaker {
    Ivr,
    Caller,
    Agent,
    Supervisor,
}

/// One line of a live transcript.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Line {
    pub at: Time,
    pub speaker: Speaker,
    pub text: String,
    /// Sentiment of this line in [-1, 1].
    pub sentiment: f32,
    /// The emotion the line expresses, if any (absent on the wire when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emotion: Option<super::Emotion>,
    /// Whispered lines are heard by the agent only.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub whisper: bool,
    /// Who said it, for a supervisor's line: the supervisor's user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

/// What a keyword rule does when it matches.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleAction {
    /// Raise the call's priority so it jumps the queue, and mark it urgent.
    Priority,
    /// Raise an alert.
    Alert,
    /// Flag the call for review (risk).
    Flag,
    /// Open a ticket.
    Ticket,
    /// Push a suggestion card (the rule's `card`) to the call's agent.
    Suggest,
}

impl RuleAction {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleAction::Priority => "priority",
            RuleAction::Alert => "alert",
            RuleAction::Flag => "flag",
            RuleAction::Ticket => "ticket",
            RuleAction::Suggest => "suggest",
        }
    }
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct RuleHit {
    pub rule: String,
    /// The word that matched, as written in the transcript.
    pub word: String,
    pub actions: Vec<RuleAction>,
    pub at: Time,
}

#[derive(Clone, Copy, PartialEq, Eq, Default, Debug, Serialize, Deserialize)]
pub struct CallFlags {
    /// An urgent rule matched: the call jumped the queue.
    #[serde(default)]
    pub urgent: bool,
    /// A risk rule matched: the call is flagged for review.
    #[serde(default)]
    pub risk: bool,
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Call {
    pub id: CallId,
    /// Caller number; masked on the wire for roles below admin.
    pub caller: String,
    pub lang: Lang,
    pub intent: String,
    pub queue: Option<QueueId>,
    pub priority: u8,
    pub state: CallState,
    pub arrived: Time,
    /// When the call (last) entered a queue.
    pub queued: Option<Time>,
    /// When the call first entered a queue (for speed of answer).
    pub first_queued: Option<Time>,
    pub answered: Option<Time>,
    pub agent: Option<AgentId>,
    #[serde(default)]
    pub supervisors: Vec<Participant>,
    /// The newest lines of the transcript (at most [`crate::model::TRANSCRIPT_CAP`]).
    #[serde(default)]
    pub transcript: Vec<Line>,
    /// Rolling sentiment of the caller's lines in [-1, 1].
    pub sentiment: f32,
    /// Rolling sentiment after each caller line, for the sparkline (newest last, capped).
    #[serde(default)]
    pub sentiment_trail: Vec<f32>,
    #[serde(default)]
    pub flags: CallFlags,
    #[serde(default)]
    pub rule_hits: Vec<RuleHit>,
    /// Times the call was offered to an agent who let it ring out.
    #[serde(default)]
    pub ring_outs: u32,
    /// How the IVR checked the caller's identity; none on floors whose IVR does not verify.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
    /// The second confirmation asked for on the call, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation: Option<Confirmation>,
    /// The caller's earlier calls and tickets (a repeat caller has some).
    #[serde(default, skip_serializing_if = "CallerHistory::is_empty")]
    pub earlier: CallerHistory,
    /// The caller is a contact (parent, student, teacher) of a student on record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub student: Option<super::edu::StudentLink>,
    /// An outbound call placed to call back the caller of this (abandoned) call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_for: Option<CallId>,
    /// Cards suggested to the agent on this call, oldest first, and whether they were used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suggestions: Vec<Suggestion>,
    /// The dialect the caller speaks (an id of the floor's `dialects`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dialect: Option<String>,
    /// The caller is elderly.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub elderly: bool,
    /// The caller's orders from the floor's order lookup (none: no lookup, or a table without this caller).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orders: Option<super::orders::CallOrders>,
}

impl Call {
    /// Seconds spent waiting in queue so far (or until answered).
    pub fn wait_secs(&self, now: Time) -> f64 {
        match (self.first_queued, self.answered) {
            (Some(q), Some(a)) => (a - q).num_milliseconds() as f64 / 1000.0,
            (Some(q), None) => ((now - q).num_milliseconds() as f64 / 1000.0).max(0.0),
            _ => 0.0,
        }
    }
    /// Seconds since the call was answered.
    pub fn talk_secs(&self, now: Time) -> f64 {
        self.answered.map(|a| ((now - a).num_milliseconds() as f64 / 1000.0).max(0.0)).unwrap_or(0.0)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    UrgentKeyword,
    RiskKeyword,
    NegativeSentiment,
    LongWait,
    SlaBreach,
    AbandonSpike,
    TicketOverdue,
    AgentNoAnswer,
    LowSatisfaction,
    /// A rule that requires verification matched on an unverified call: it waits for a second confirmation.
    SecondConfirmation,
    /// A callback was not made by the time promised to the caller.
    CallbackOverdue,
}

impl AlertKind {
    pub const ALL: [AlertKind; 11] = [
        AlertKind::UrgentKeyword,
        AlertKind::RiskKeyword,
        AlertKind::NegativeSentiment,
        AlertKind::LongWait,
        AlertKind::SlaBreach,
        AlertKind::AbandonSpike,
        AlertKind::TicketOverdue,
        AlertKind::AgentNoAnswer,
        AlertKind::LowSatisfaction,
        AlertKind::SecondConfirmation,
        AlertKind::CallbackOverdue,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::UrgentKeyword => "urgent_keyword",
            AlertKind::RiskKeyword => "risk_keyword",
            AlertKind::NegativeSentiment => "negative_sentiment",
            AlertKind::LongWait => "long_wait",
            AlertKind::SlaBreach => "sla_breach",
            AlertKind::AbandonSpike => "abandon_spike",
            AlertKind::TicketOverdue => "ticket_overdue",
            AlertKind::AgentNoAnswer => "agent_no_answer",
            AlertKind::LowSatisfaction => "low_satisfaction",
            AlertKind::SecondConfirmation => "second_confirmation",
            AlertKind::CallbackOverdue => "callback_overdue",
        }
    }
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Ack {
    pub by: String,
    pub at: Time,
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Alert {
    pub id: AlertId,
    pub kind: AlertKind,
    pub severity: Severity,
    /// What the alert is about, as an id a supervisor can act on: `C-1042`, `emergency`, `T-88`, `A-07`.
    pub subject: String,
    pub message: String,
    pub raised: Time,
    pub acked: Option<Ack>,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketPriority {
    Low,
    Normal,
    High,
    Urgent,
}

impl TicketPriority {
    pub fn as_str(self) -> &'static str {
        match self {
            TicketPriority::Low => "low",
            TicketPriority::Normal => "normal",
            TicketPriority::High => "high",
            TicketPriority::Urgent => "urgent",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    Open,
    Escalated,
    Resolved,
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct TicketNote {
    pub at: Time,
    pub by: String,
    pub text: String,
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Ticket {
    pub id: TicketId,
    pub call: Option<CallId>,
    pub category: String,
    pub priority: TicketPriority,
    pub status: TicketStatus,
    /// Escalation level: 0 when opened, +1 each time it is escalated.
    pub level: u8,
    pub summary: String,
    pub opened: Time,
    pub due: Time,
    #[serde(default)]
    pub notes: Vec<TicketNote>,
    /// Everything that happened to the ticket, oldest first (the newest [`crate::model::TICKET_NOTES_INLINE`]).
    #[serde(default)]
    pub history: Vec<TicketNote>,
    /// Notes older than those in `notes`: kept in the engine's store, not on the floor, so a snapshot stays bounded
    /// however much is written on one ticket.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub notes_earlier: u32,
    /// The call's transcript excerpt and the caller's earlier contacts, kept when the ticket was opened.
    #[serde(default, skip_serializing_if = "TicketLinks::is_empty")]
    pub links: TicketLinks,
}

impl Ticket {
    /// Adds a note, keeping the newest [`crate::model::TICKET_NOTES_INLINE`] and counting the older ones.
    pub fn add_note(&mut self, note: TicketNote) {
        self.notes.push(note);
        if self.notes.len() > crate::model::TICKET_NOTES_INLINE {
            self.notes.remove(0);
            self.notes_earlier += 1;
        }
    }

    /// Adds a history entry, keeping the newest [`crate::model::TICKET_NOTES_INLINE`].
    pub fn add_history(&mut self, entry: TicketNote) {
        self.history.push(entry);
        if self.history.len() > crate::model::TICKET_NOTES_INLINE {
            self.history.remove(0);
        }
    }

    /// `open`, `esc L2` or `resolved`: the status as the console shows it.
    pub fn status_label(&self) -> String {
        match self.status {
            TicketStatus::Open => "open".into(),
            TicketStatus::Escalated => format!("esc L{}", self.level),
            TicketStatus::Resolved => "resolved".into(),
        }
    }
}

/// An abandoned caller to be called back.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Callback {
    pub call: CallId,
    pub caller: String,
    pub lang: Lang,
    pub queue: Option<QueueId>,
    pub intent: String,
    pub abandoned: Time,
    pub waited_s: f64,
    /// When the caller was promised a call back by (the scenario's `[callbacks] promise_min`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promised: Option<Time>,
    #[serde(default)]
    pub status: super::edu::CallbackStatus,
    /// Who a supervisor assigned it to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned: Option<super::edu::CallbackAssignee>,
    /// Attempts so far, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attempts: Vec<super::edu::CallbackAttempt>,
    /// The outbound call being placed now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dialing: Option<CallId>,
}

impl Callback {
    /// Past its promised time and not reached (or given up on) yet.
    pub fn overdue(&self, now: Time) -> bool {
        !self.status.is_done() && self.promised.is_some_and(|p| now > p)
    }
}

/// One supervisor command and what came of it.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: Time,
    pub actor: String,
    pub role: Role,
    /// The command as its wire JSON.
    pub command: String,
    pub ok: bool,
    /// `ok`, or the error code and message.
    pub outcome: String,
    /// Further commands this entry stands for: the server audits the first few rate-limited commands of a run one
    /// by one and the rest in one entry with this count. 0 (and absent on the wire) for a single command.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub more: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A finished call, kept briefly for the console's "recent" lists.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct CallSummary {
    pub id: CallId,
    pub queue: Option<QueueId>,
    pub agent: Option<AgentId>,
    pub state: CallState,
    pub ended: Time,
    pub sentiment: f32,
    pub flags: CallFlags,
}

/// How the IVR checked the caller's identity (finance floors). A call on a floor whose IVR does not verify carries
/// none.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verification {
    /// The caller skipped or did not finish the check.
    Unverified,
    /// Verified by a one-time code sent to the registered phone.
    Otp,
    /// Verified by voiceprint.
    Voiceprint,
    /// The check was tried and failed (wrong code, voiceprint mismatch).
    Failed,
}

impl Verification {
    pub const ALL: [Verification; 4] =
        [Verification::Unverified, Verification::Otp, Verification::Voiceprint, Verification::Failed];
    pub fn as_str(self) -> &'static str {
        match self {
            Verification::Unverified => "unverified",
            Verification::Otp => "otp",
            Verification::Voiceprint => "voiceprint",
            Verification::Failed => "failed",
        }
    }
    /// Whether the caller's identity was confirmed.
    pub fn is_verified(self) -> bool {
        matches!(self, Verification::Otp | Verification::Voiceprint)
    }
    /// The state as a supervisor reads it: `verified (one-time code)`, `unverified`, `FAILED`.
    pub fn describe(self) -> &'static str {
        match self {
            Verification::Unverified => "unverified",
            Verification::Otp => "verified (one-time code)",
            Verification::Voiceprint => "verified (voiceprint)",
            Verification::Failed => "verification FAILED",
        }
    }
}

/// Where a call's second confirmation (二次确认) stands.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfirmationState {
    /// Waiting for the agent or a supervisor to confirm or refuse.
    Pending,
    /// Confirmed: the caller's request may go ahead.
    Confirmed,
    /// Refused: the request is declined, the call stays flagged for risk and cannot be transferred.
    Refused,
}

impl ConfirmationState {
    pub fn as_str(self) -> &'static str {
        match self {
            ConfirmationState::Pending => "pending",
            ConfirmationState::Confirmed => "confirmed",
            ConfirmationState::Refused => "refused",
        }
    }
}

/// A second confirmation asked for on a call: a rule that requires verification matched on a call that is not
/// verified.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Confirmation {
    pub state: ConfirmationState,
    /// The rule that asked for it, and the word that matched.
    pub rule: String,
    pub word: String,
    pub asked: Time,
    /// Who confirmed or refused (a supervisor's user name, or `agent A-07`), when, and their note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Confirmation {
    pub fn is_pending(&self) -> bool {
        self.state == ConfirmationState::Pending
    }
}

/// An earlier call of the same caller, as the engine's per-caller index keeps it.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct EarlierCall {
    pub call: CallId,
    /// How it ended: `ended` or `abandoned`.
    pub outcome: CallState,
    /// When it ended.
    pub at: Time,
}

/// A caller's earlier calls and tickets, oldest first, linked by id (never by the caller's number). Bounded by
/// [`crate::model::EARLIER_CAP`] each.
#[derive(Clone, PartialEq, Debug, Default, Serialize, Deserialize)]
pub struct CallerHistory {
    #[serde(default)]
    pub calls: Vec<EarlierCall>,
    #[serde(default)]
    pub tickets: Vec<TicketId>,
}

impl CallerHistory {
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty() && self.tickets.is_empty()
    }
}

/// What a ticket links to: the transcript lines it came from and the caller's earlier contacts.
#[derive(Clone, PartialEq, Debug, Default, Serialize, Deserialize)]
pub struct TicketLinks {
    /// Lines of the call's transcript kept when the ticket was opened: the lines up to a rule hit, or the caller's
    /// last lines (at most [`crate::model::EXCERPT_LINES`], each cut to [`crate::model::EXCERPT_LINE_CHARS`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excerpt: Vec<Line>,
    /// The caller's calls and tickets before this ticket's call.
    #[serde(default, skip_serializing_if = "CallerHistory::is_empty")]
    pub earlier: CallerHistory,
}

impl TicketLinks {
    pub fn is_empty(&self) -> bool {
        self.excerpt.is_empty() && self.earlier.is_empty()
    }
}

/// What a suggestion card offers the agent.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardKind {
    /// A course: outline, teacher, dates.
    Course,
    /// A coupon the agent may give.
    Coupon,
    /// A related product to offer.
    Product,
    /// A policy clause to read out.
    Policy,
}

impl CardKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CardKind::Course => "course",
            CardKind::Coupon => "coupon",
            CardKind::Product => "product",
            CardKind::Policy => "policy",
        }
    }
}

/// A card's words in one language.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct CardText {
    pub title: String,
    pub body: String,
}

/// A suggestion card of the floor, with how often it was suggested and used since the floor opened.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Card {
    pub id: String,
    pub kind: CardKind,
    pub zh: CardText,
    pub en: CardText,
    /// For a policy card: the knowledge-base clause it quotes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clause: Option<String>,
    /// Calls it was suggested on.
    #[serde(default)]
    pub suggested: u32,
    /// Calls whose agent used it.
    #[serde(default)]
    pub used: u32,
}

impl Card {
    /// The card's words in `lang`.
    pub fn text(&self, lang: Lang) -> &CardText {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// A card suggested on a call.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Suggestion {
    /// The card's id (see [`crate::model::Floor::cards`]).
    pub card: String,
    /// The word that brought it up, as said.
    pub word: String,
    pub at: Time,
    /// When the agent used it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used: Option<Time>,
}
