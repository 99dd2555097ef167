//! The shape of a scenario file: one serde type per table, with the defaults of optional keys and the small
//! helpers that read them. What serde cannot check (references, ranges) is in `validate`.

use serde::Deserialize;

use super::TimeOfDay;
use crate::model::{CardKind, Lang, RuleAction, Severity, TicketPriority};

/// One floor: who calls, why, who answers, and what the supervisor is alerted to. Build it with
/// [`Scenario::load`] or [`Scenario::parse`], which validate it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// `[scenario]`: name, title, start time, language mix.
    pub scenario: Meta,
    /// `[arrivals]`: the Poisson arrival rate over the day.
    pub arrivals: Arrivals,
    /// `[[queues]]`, in file order.
    pub queues: Vec<QueueSpec>,
    /// `[[agents]]`: seat groups, in file order.
    pub agents: Vec<AgentGroup>,
    /// `[[intents]]`: why people call.
    pub intents: Vec<IntentSpec>,
    /// What agents say, by mood of the conversation.
    pub agent_lines: Bank,
    /// `[[rules]]`: keyword rules matched against every line.
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
    /// `[thresholds]`: when metric alerts are raised.
    pub thresholds: Thresholds,
    /// `[tickets]`: due times, escalation and the back office.
    pub tickets: TicketPolicy,
    /// `[survey]`: the post-call survey.
    pub survey: SurveyPolicy,
    /// `[behaviour]`: timings of the IVR, seats and conversations.
    pub behaviour: Behaviour,
    /// `[privacy]`: what the store may keep in clear.
    #[serde(default)]
    pub privacy: Privacy,
    /// `[verification]`: the IVR's identity check and the second confirmation; absent: the IVR does not verify.
    #[serde(default)]
    pub verification: Option<VerificationPolicy>,
    /// `[repeat]`: callers who call again; absent: nobody does.
    #[serde(default)]
    pub repeat: RepeatPolicy,
    /// `[[students]]`: student records whose contacts call (see `[student_calls]`).
    #[serde(default)]
    pub students: Vec<super::edu::StudentSpec>,
    /// `[student_calls]`: the share of callers who are a student's contact.
    #[serde(default)]
    pub student_calls: Option<super::edu::StudentCalls>,
    /// `[temporary_seats]`: elastic seats and their limits.
    #[serde(default)]
    pub temporary_seats: super::edu::TemporarySeats,
    /// `[callbacks]`: promises to abandoned callers and how they are called back.
    #[serde(default)]
    pub callbacks: super::edu::CallbackPolicy,
    /// `[[cards]]`: suggestion cards that rules with the `suggest` action push to calls.
    #[serde(default)]
    pub cards: Vec<CardSpec>,
    /// `[dialects]`: dialects callers speak, elderly callers and dialect routing; absent: nobody speaks one.
    #[serde(default)]
    pub dialects: Option<super::dialect::DialectPolicy>,
    /// `[orders]`: where a caller's orders are looked up when their call arrives; absent: no lookup.
    #[serde(default)]
    pub orders: Option<super::orders::OrdersSpec>,
    /// The knowledge base `[scenario] knowledge` names, read when the scenario is loaded (not a key of the file).
    #[serde(skip)]
    pub kb: Option<crate::kb::KnowledgeBase>,
}

/// `[privacy]`: by default the store masks ID, card and phone numbers in transcripts and caller numbers.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Privacy {
    /// Keep transcripts and caller numbers unmasked in the store (a floor whose records must hold them whole).
    #[serde(default)]
    pub store_clear_transcripts: bool,
}

/// `[scenario]`: what the floor is and when its day starts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// Short name, e.g. `hospital`.
    pub id: String,
    /// One line shown in the console header.
    pub title: String,
    /// A sentence or two about the floor.
    #[serde(default)]
    pub description: String,
    /// Floor time of day at which the simulation starts, `HH:MM` (before `24:00`).
    pub start: TimeOfDay,
    /// Share of callers who speak Chinese (the rest speak English), 0..1.
    pub zh_share: f64,
    /// Knowledge base the floor ships, `kb/NAME.toml`: read next to the scenario file, else the bundled base NAME.
    #[serde(default)]
    pub knowledge: Option<String>,
}

/// `[arrivals]`: Poisson arrivals at `base_per_hour`, multiplied inside peak windows.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arrivals {
    /// Calls per hour outside peaks.
    pub base_per_hour: f64,
    /// Disjoint windows of the day with a higher (or lower) rate.
    #[serde(default)]
    pub peaks: Vec<Peak>,
}

/// A window of the day in which the arrival rate is multiplied.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Peak {
    /// Start, `HH:MM` (inclusive; before `24:00`).
    pub from: TimeOfDay,
    /// End, `HH:MM` (exclusive; `24:00` is the end of the day).
    pub to: TimeOfDay,
    /// Factor applied to `base_per_hour` inside the window.
    pub multiplier: f64,
}

/// `[[queues]]`: a queue that intents send calls to and seat groups serve.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueSpec {
    /// Unique id that intents and seat groups refer to.
    pub id: String,
    /// Name shown in the console.
    pub name: String,
    /// Base priority of calls in this queue, 0..=9 (urgent rule hits raise a call to 10+).
    #[serde(default)]
    pub priority: u8,
    /// SLA target: `sla_percent` % answered within `sla_seconds`.
    pub sla_percent: f64,
    /// SLA threshold T, seconds.
    pub sla_seconds: u32,
    /// Skills shown for the queue (informational).
    #[serde(default)]
    pub skills: Vec<String>,
}

/// A group of identical seats.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentGroup {
    /// Number of seats in the group.
    pub count: u32,
    /// Names given to the seats in turn (cycled, numbered when they run out).
    #[serde(default)]
    pub names: Vec<String>,
    /// Queues these seats serve.
    pub queues: Vec<String>,
    /// Languages these seats speak; a call is only offered to a seat that speaks its language.
    pub langs: Vec<Lang>,
    /// Shift as `HH:MM`; seats are offline outside it. Absent: the whole run.
    #[serde(default)]
    pub shift: Option<Shift>,
    /// Chance that a seat answers a ringing call (the rest ring out), 0..1.
    #[serde(default = "default_answer_rate")]
    pub answer_rate: f64,
    /// Dialects (ids of `[[dialects.list]]`) these seats handle; routing prefers them for those callers.
    #[serde(default)]
    pub dialects: Vec<String>,
}

fn default_answer_rate() -> f64 {
    0.98
}

/// A seat group's working hours, `HH:MM` to `HH:MM` on the same day.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shift {
    /// Start of the shift (inclusive; before `24:00`).
    pub from: TimeOfDay,
    /// End of the shift (exclusive; `24:00` is the end of the day).
    pub to: TimeOfDay,
}

/// Why people call: routes them to a queue and drives the conversation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntentSpec {
    /// Unique id, shown as the call's intent.
    pub id: String,
    /// Queue the IVR sends these calls to.
    pub queue: String,
    /// Relative share of arrivals.
    pub weight: f64,
    /// Handle (talk) time.
    pub handle: Dist,
    /// How long a caller waits before hanging up.
    pub patience: Dist,
    /// Caller's mood at the start, -1..1.
    #[serde(default)]
    pub mood: f64,
    /// Change of mood per caller line, e.g. -0.1 for a call that goes sour.
    #[serde(default)]
    pub drift: f64,
    /// Caller lines by mood.
    pub lines: Bank,
    /// What agents say on calls of this intent; absent: the scenario's `[agent_lines]`. Lets an emergency line
    /// promise an ambulance without the appointments desk promising one too.
    #[serde(default)]
    pub agent_lines: Option<Bank>,
    /// Open a ticket after every call of this intent.
    #[serde(default)]
    pub ticket: Option<TicketSpec>,
    /// How the IVR verifies callers of this intent; absent: `[verification] shares`.
    #[serde(default)]
    pub verification: Option<VerificationShares>,
}

/// The ticket an intent opens after each of its calls.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketSpec {
    /// Free-text category, e.g. `billing`.
    pub category: String,
    /// Sets the due time through `[tickets] due_min`.
    pub priority: TicketPriority,
}

/// Lines in both languages.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bank {
    /// Chinese lines.
    pub zh: MoodLines,
    /// English lines.
    pub en: MoodLines,
}

impl Bank {
    /// The lines of one language.
    pub fn lang(&self, lang: Lang) -> &MoodLines {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// Lines of one language by mood bucket (mood > 0.25 positive, < -0.25 negative, else neutral).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoodLines {
    /// Pleased, thankful lines.
    pub positive: Vec<String>,
    /// Matter-of-fact lines.
    pub neutral: Vec<String>,
    /// Upset lines (for agents: apologetic, calming lines).
    pub negative: Vec<String>,
}

/// `[[rules]]`: words or phrases that, said on a call, trigger actions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Unique id, shown in rule hits and alerts.
    pub id: String,
    /// Words or phrases, matched as substrings (case-insensitive for English).
    pub words: Vec<String>,
    /// Only match lines in this language; absent: both.
    #[serde(default)]
    pub lang: Option<Lang>,
    /// What a hit does: `priority`, `alert`, `flag`, `ticket`.
    pub actions: Vec<RuleAction>,
    /// Severity of the alert it raises; default `warning`.
    #[serde(default = "default_severity")]
    pub severity: Severity,
    /// Mark the call urgent (it jumps the queue when `priority` is among the actions).
    #[serde(default)]
    pub urgent: bool,
    /// Flag the call for review.
    #[serde(default)]
    pub risk: bool,
    /// Ticket category when `ticket` is among the actions; absent: the rule's id (see `ticket_category_or_id`).
    #[serde(default)]
    pub ticket_category: Option<String>,
    /// Priority of the tickets it opens when `ticket` is among the actions. Added (optional) because a rule has no
    /// other way to say how soon its tickets are due; absent: see `ticket_priority_or_default`.
    #[serde(default)]
    pub ticket_priority: Option<TicketPriority>,
    /// A hit on a call that is not verified (unverified or failed) raises a critical alert and puts the call in
    /// second confirmation. Needs `[verification]`.
    #[serde(default)]
    pub requires_verification: bool,
    /// The `[[cards]]` id a hit suggests; required when `suggest` is among the actions, refused otherwise.
    #[serde(default)]
    pub card: Option<String>,
}

/// `[[cards]]`: a suggestion card (a course, a coupon, a product, a policy clause) a rule pushes to a call.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardSpec {
    /// Unique id that rules refer to.
    pub id: String,
    /// `course`, `coupon`, `product` or `policy`.
    pub kind: CardKind,
    /// The card in Chinese (shown on Chinese calls).
    pub zh: CardTextSpec,
    /// The card in English.
    pub en: CardTextSpec,
    /// For a `policy` card: the id of the knowledge-base clause it quotes (checked against `[scenario] knowledge`).
    #[serde(default)]
    pub clause: Option<String>,
    /// Chance that the agent uses the card once it is suggested, 0..1.
    #[serde(default = "default_card_use")]
    pub use_rate: f64,
}

fn default_card_use() -> f64 {
    0.5
}

/// A card's title and body in one language.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardTextSpec {
    /// One line.
    pub title: String,
    /// What the agent reads or offers: outline and teacher, coupon terms, product, clause.
    pub body: String,
}

fn default_severity() -> Severity {
    Severity::Warning
}

/// A warning and a critical level for one metric.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    /// Level at which a warning is raised.
    pub warn: f64,
    /// Level at which a critical alert is raised (no better than `warn`).
    pub crit: f64,
}

impl Level {
    /// The severity a value that should stay high (like service level) reaches: critical below `crit`, warning
    /// below `warn`.
    pub fn below(&self, v: f64) -> Option<Severity> {
        if v < self.crit {
            Some(Severity::Critical)
        } else if v < self.warn {
            Some(Severity::Warning)
        } else {
            None
        }
    }

    /// The severity a value that should stay low (like a wait) reaches: critical at `crit`, warning at `warn`.
    pub fn above(&self, v: f64) -> Option<Severity> {
        if v >= self.crit {
            Some(Severity::Critical)
        } else if v >= self.warn {
            Some(Severity::Warning)
        } else {
            None
        }
    }
}

/// `[thresholds]`: levels at which metric alerts are raised.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// Service level (fraction) below which an SLA-breach alert is raised.
    pub service_level: Level,
    /// Seconds the oldest waiting call has waited.
    pub long_wait_s: Level,
    /// Abandon rate (fraction) over the window.
    pub abandon_rate: Level,
    /// Rolling call sentiment (negative numbers: -0.4 warns, -0.7 is critical).
    pub negative_sentiment: Level,
    /// An alert for the same cause is raised again at most this often, floor-seconds.
    pub retrigger_s: u64,
    /// Sliding window for metrics and metric alerts, floor-minutes.
    #[serde(default = "default_window")]
    pub window_min: u32,
}

fn default_window() -> u32 {
    15
}

/// `[tickets]`: due times, escalation and the simulated back office.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketPolicy {
    /// Minutes until a ticket is due, by priority.
    pub due_min: DueMinutes,
    /// How long the back office takes to resolve a ticket.
    pub backoffice: Dist,
    /// Minutes added to the due time at each escalation.
    pub escalation_extends_min: u32,
    /// Highest escalation level.
    #[serde(default = "default_max_level")]
    pub max_level: u8,
    /// Open a ticket when a call ends with rolling sentiment at or below this.
    pub negative_end_sentiment: f64,
}

fn default_max_level() -> u8 {
    3
}

/// Minutes from opening until a ticket is due, by priority (more urgent: no later).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DueMinutes {
    /// Low-priority tickets.
    pub low: u32,
    /// Normal-priority tickets.
    pub normal: u32,
    /// High-priority tickets.
    pub high: u32,
    /// Urgent tickets.
    pub urgent: u32,
}

impl DueMinutes {
    /// Minutes until a ticket of priority `p` is due.
    pub fn for_priority(&self, p: TicketPriority) -> u32 {
        match p {
            TicketPriority::Low => self.low,
            TicketPriority::Normal => self.normal,
            TicketPriority::High => self.high,
            TicketPriority::Urgent => self.urgent,
        }
    }
}

/// `[survey]`: the post-call survey and its follow-ups.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurveyPolicy {
    /// Share of answered callers who answer the post-call survey, 0..1.
    pub share: f64,
    /// Scores at or below this (1..5) are bad: a follow-up ticket is opened.
    pub bad_score: u8,
    /// Minutes within which a bad score must be followed up.
    pub followup_min: u32,
}

/// `[behaviour]`: timings of callers, seats and conversations.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Behaviour {
    /// Time in the IVR before the caller reaches a queue.
    pub ivr: Dist,
    /// Seconds a call rings at a seat before it rings out.
    pub ring_timeout_s: u32,
    /// Seconds a seat takes to pick up when it does.
    pub answer_delay: Dist,
    /// Ring-outs in a row after which a seat is put on break (FreeSWITCH's max-no-answer).
    pub max_no_answer: u32,
    /// After-call work, during which the seat takes no calls.
    pub wrap_up: Dist,
    /// Gap between lines of a conversation.
    pub line_gap: Dist,
    /// Time between a seat's breaks (`infinite`: no breaks).
    pub break_every: Dist,
    /// Length of a break.
    pub break_length: Dist,
    /// Share of calls put on hold once.
    pub hold_share: f64,
    /// Length of a hold.
    pub hold_length: Dist,
    /// How long the back office takes to call back an abandoned caller (`infinite`: never).
    pub callback_after: Dist,
}

/// A distribution of durations, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(tag = "dist", rename_all = "snake_case", deny_unknown_fields)]
pub enum Dist {
    /// Always `s` seconds.
    Fixed {
        /// Seconds, 0 or more.
        s: f64,
    },
    /// Evenly spread between `min_s` and `max_s`.
    Uniform {
        /// Shortest, seconds.
        min_s: f64,
        /// Longest, seconds (at least `min_s`).
        max_s: f64,
    },
    /// Memoryless, with mean `mean_s`: many short, a few long.
    Exponential {
        /// Mean, seconds (> 0).
        mean_s: f64,
    },
    /// Right-skewed, with the given mean and standard deviation of the duration itself (not of its logarithm).
    Lognormal {
        /// Mean, seconds (> 0).
        mean_s: f64,
        /// Standard deviation, seconds (> 0).
        sd_s: f64,
    },
    /// Never happens (e.g. a caller who never hangs up).
    Infinite,
}

impl Dist {
    /// The mean in seconds (None for `infinite`).
    pub fn mean(&self) -> Option<f64> {
        match *self {
            Dist::Fixed { s } => Some(s),
            Dist::Uniform { min_s, max_s } => Some((min_s + max_s) / 2.0),
            Dist::Exponential { mean_s } => Some(mean_s),
            Dist::Lognormal { mean_s, .. } => Some(mean_s),
            Dist::Infinite => None,
        }
    }
}

impl RuleSpec {
    /// Category of the tickets this rule opens: `ticket_category`, or the rule's id when that is absent.
    pub fn ticket_category_or_id(&self) -> &str {
        self.ticket_category.as_deref().unwrap_or(&self.id)
    }

    /// Priority of the tickets this rule opens: `ticket_priority`, or else `urgent` for urgent rules, `high` for
    /// critical ones and `normal` for the rest.
    pub fn ticket_priority_or_default(&self) -> TicketPriority {
        match self.ticket_priority {
            Some(p) => p,
            None if self.urgent => TicketPriority::Urgent,
            None if self.severity == Severity::Critical => TicketPriority::High,
            None => TicketPriority::Normal,
        }
    }
}

/// `[verification]`: the IVR's identity check, and how agents settle second confirmations.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerificationPolicy {
    /// Shares of callers the IVR verifies, by how; an intent's `verification` overrides them.
    pub shares: VerificationShares,
    /// How long after a second confirmation is asked for the call's agent looks at it.
    pub agent_after: Dist,
    /// Share of second confirmations the agent settles (the rest wait for a supervisor), 0..1.
    pub agent_decides: f64,
    /// Share of those the agent confirms (the rest are refused), 0..1.
    pub agent_accepts: f64,
}

/// Shares of callers the IVR verifies by one-time code, by voiceprint, or fails; the rest stay unverified. Each
/// 0..1, together at most 1.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerificationShares {
    /// Verified by a one-time code.
    #[serde(default)]
    pub otp: f64,
    /// Verified by voiceprint.
    #[serde(default)]
    pub voiceprint: f64,
    /// Tried and failed.
    #[serde(default)]
    pub failed: f64,
}

/// `[repeat]`: callers who call again, with the same number, language and reason.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepeatPolicy {
    /// Share of callers who hung up waiting and call again, 0..1.
    #[serde(default)]
    pub after_abandon: f64,
    /// Share of answered callers whose call opened a ticket who call again, 0..1.
    #[serde(default)]
    pub after_ticket: f64,
    /// Share of other answered callers who call again, 0..1.
    #[serde(default)]
    pub after_call: f64,
    /// How long after the first call they call again.
    #[serde(default = "default_repeat_delay")]
    pub delay: Dist,
}

fn default_repeat_delay() -> Dist {
    Dist::Lognormal { mean_s: 1800.0, sd_s: 1200.0 }
}

impl Default for RepeatPolicy {
    fn default() -> Self {
        RepeatPolicy { after_abandon: 0.0, after_ticket: 0.0, after_call: 0.0, delay: default_repeat_delay() }
    }
}
