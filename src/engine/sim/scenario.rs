//! Scenario files: one TOML file per industry floor. The format is documented in docs/SCENARIOS.md.
//! The bundled scenarios are compiled in, so the binary runs from any directory; a path overrides them.

use std::path::Path;

use serde::Deserialize;

use crate::model::{Lang, RuleAction, Severity, TicketPriority};

/// The scenarios shipped with callfloor, by name.
pub const BUNDLED: &[(&str, &str)] = &[
    ("hospital", include_str!("../../../scenarios/hospital.toml")),
    ("bank", include_str!("../../../scenarios/bank.toml")),
    ("school", include_str!("../../../scenarios/school.toml")),
    ("gov-hotline", include_str!("../../../scenarios/gov-hotline.toml")),
    ("ecommerce-promo", include_str!("../../../scenarios/ecommerce-promo.toml")),
];

/// The scenario the demo runs when none is named.
pub const DEFAULT_SCENARIO: &str = "hospital";

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
    /// Floor time of day at which the simulation starts, `HH:MM`.
    pub start: String,
    /// Share of callers who speak Chinese (the rest speak English), 0..1.
    pub zh_share: f64,
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
    /// Start, `HH:MM` (inclusive).
    pub from: String,
    /// End, `HH:MM` (exclusive; `24:00` is the end of the day).
    pub to: String,
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
}

fn default_answer_rate() -> f64 {
    0.98
}

/// A seat group's working hours, `HH:MM` to `HH:MM` on the same day.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shift {
    /// Start of the shift (inclusive).
    pub from: String,
    /// End of the shift (exclusive; `24:00` is the end of the day).
    pub to: String,
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
#[derive(Debug, Clone, Deserialize)]
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
#[derive(Debug, Clone, Deserialize)]
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
    pub fn below(&self, v: f64) -> Option<crate::model::Severity> {
        if v < self.crit {
            Some(crate::model::Severity::Critical)
        } else if v < self.warn {
            Some(crate::model::Severity::Warning)
        } else {
            None
        }
    }

    /// The severity a value that should stay low (like a wait) reaches: critical at `crit`, warning at `warn`.
    pub fn above(&self, v: f64) -> Option<crate::model::Severity> {
        if v >= self.crit {
            Some(crate::model::Severity::Critical)
        } else if v >= self.warn {
            Some(crate::model::Severity::Warning)
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

/// A scenario file that could not be used: which file, where, and what is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{source_name}{}: {message}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
pub struct ScenarioError {
    /// The file's path, or `bundled scenario 'NAME'`.
    pub source_name: String,
    /// 1-based line of the offending key, when the file has one.
    pub line: Option<usize>,
    /// What is wrong and what to do, naming the table and key.
    pub message: String,
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

impl Scenario {
    /// Loads a bundled scenario by name, or a file by path. A name that is neither is refused with the list of
    /// bundled names.
    pub fn load(name_or_path: &str) -> Result<Scenario, ScenarioError> {
        if let Some((_, text)) = BUNDLED.iter().find(|(n, _)| *n == name_or_path) {
            return Scenario::parse(text, &format!("bundled scenario '{name_or_path}'"));
        }
        let path = Path::new(name_or_path);
        if !path.exists() {
            let names: Vec<&str> = BUNDLED.iter().map(|(n, _)| *n).collect();
            return Err(ScenarioError {
                source_name: name_or_path.to_string(),
                line: None,
                message: format!(
                    "no such scenario: name one of {} or give the path of a scenario file",
                    names.join(", ")
                ),
            });
        }
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
            source_name: path.display().to_string(),
            line: None,
            message: format!("cannot read the file: {e}"),
        })?;
        Scenario::parse(&text, &path.display().to_string())
    }

    /// Parses and validates scenario text; `source_name` names it in errors.
    pub fn parse(text: &str, source_name: &str) -> Result<Scenario, ScenarioError> {
        let scenario: Scenario = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start));
            let source = line.and_then(|l| text.lines().nth(l - 1)).map(str::trim).unwrap_or_default();
            ScenarioError {
                source_name: source_name.to_string(),
                line,
                message: plain_serde_message(e.message(), source),
            }
        })?;
        scenario.validate(text, source_name)?;
        Ok(scenario)
    }

    /// Checks what serde cannot: references between sections and value ranges. The error points at the line of
    /// the offending key, found from the spans the TOML parser records.
    fn validate(&self, text: &str, source_name: &str) -> Result<(), ScenarioError> {
        self.check().map_err(|p| ScenarioError {
            source_name: source_name.to_string(),
            line: locate(text, &p.at),
            message: p.message,
        })
    }

    /// The first rule of the format this scenario breaks, in file order.
    fn check(&self) -> Result<(), Problem> {
        self.check_meta()?;
        self.check_arrivals()?;
        self.check_queues()?;
        self.check_agents()?;
        self.check_intents()?;
        check_bank(&self.agent_lines, &[K("agent_lines")], "[agent_lines]")?;
        self.check_rules()?;
        self.check_thresholds()?;
        self.check_tickets()?;
        check_share(self.survey.share, &[K("survey"), K("share")], "[survey] share")?;
        if !(1..=4).contains(&self.survey.bad_score) {
            return Err(problem(
                &[K("survey"), K("bad_score")],
                format!(
                    "[survey] bad_score = {} is outside 1..4: scores run from 1 to 5, and scores at or below \
                     bad_score open a follow-up ticket",
                    self.survey.bad_score
                ),
            ));
        }
        check_nonzero(self.survey.followup_min, &[K("survey"), K("followup_min")], "[survey] followup_min", "minutes")?;
        self.check_behaviour()
    }

    fn check_meta(&self) -> Result<(), Problem> {
        let m = &self.scenario;
        check_not_blank(&m.id, &[K("scenario"), K("id")], "[scenario] id")?;
        check_not_blank(&m.title, &[K("scenario"), K("title")], "[scenario] title")?;
        check_time(&m.start, &[K("scenario"), K("start")], "[scenario] start", false)?;
        check_share(m.zh_share, &[K("scenario"), K("zh_share")], "[scenario] zh_share")
    }

    fn check_arrivals(&self) -> Result<(), Problem> {
        let a = &self.arrivals;
        check_positive(
            a.base_per_hour,
            &[K("arrivals"), K("base_per_hour")],
            "[arrivals] base_per_hour",
            "calls per hour",
        )?;
        let mut windows: Vec<(u32, u32)> = Vec::new();
        for (n, p) in a.peaks.iter().enumerate() {
            let at = [K("arrivals"), K("peaks"), I(n)];
            let what = format!("[arrivals] peak {}", n + 1);
            let from = check_time(&p.from, &join(&at, K("from")), &format!("{what} from"), false)?;
            let to = check_time(&p.to, &join(&at, K("to")), &format!("{what} to"), true)?;
            if from >= to {
                return Err(problem(
                    &join(&at, K("from")),
                    format!(
                        "{what} runs from \"{}\" to \"{}\": from must be earlier than to (a window cannot cross \
                         midnight; split it in two)",
                        p.from, p.to
                    ),
                ));
            }
            if let Some(other) = windows.iter().position(|&(f, t)| from < t && f < to) {
                return Err(problem(
                    &join(&at, K("from")),
                    format!(
                        "{what} (\"{}\" to \"{}\") overlaps peak {}: only one multiplier applies at a time, so make \
                         the windows disjoint",
                        p.from,
                        p.to,
                        other + 1
                    ),
                ));
            }
            windows.push((from, to));
            check_positive(
                p.multiplier,
                &join(&at, K("multiplier")),
                &format!("{what} multiplier"),
                "times the base rate",
            )?;
        }
        Ok(())
    }

    fn check_queues(&self) -> Result<(), Problem> {
        if self.queues.is_empty() {
            return Err(problem(&[K("queues")], "the scenario has no [[queues]]: add at least one"));
        }
        check_unique(self.queues.iter().map(|q| q.id.as_str()), "queues", "[[queues]]")?;
        for (n, q) in self.queues.iter().enumerate() {
            let at = [K("queues"), I(n)];
            let what = label("[[queues]]", &q.id, n);
            check_not_blank(&q.id, &join(&at, K("id")), &format!("{what} id"))?;
            check_not_blank(&q.name, &join(&at, K("name")), &format!("{what} name"))?;
            if q.priority > 9 {
                return Err(problem(
                    &join(&at, K("priority")),
                    format!(
                        "{what} priority = {} is above 9: base priorities run 0..9 (urgent rule hits lift a call to \
                         10 and above)",
                        q.priority
                    ),
                ));
            }
            if !(q.sla_percent.is_finite() && q.sla_percent > 0.0 && q.sla_percent <= 100.0) {
                return Err(problem(
                    &join(&at, K("sla_percent")),
                    format!(
                        "{what} sla_percent = {} is not a percentage: give a number above 0 and at most 100 \
                         (80 means 80% answered within sla_seconds)",
                        q.sla_percent
                    ),
                ));
            }
            check_nonzero(q.sla_seconds, &join(&at, K("sla_seconds")), &format!("{what} sla_seconds"), "seconds")?;
            if let Some(j) = q.skills.iter().position(|s| s.trim().is_empty()) {
                return Err(problem(&join3(&at, K("skills"), I(j)), format!("{what} skills has a blank entry")));
            }
        }
        Ok(())
    }

    fn check_agents(&self) -> Result<(), Problem> {
        if self.agents.is_empty() {
            return Err(problem(&[K("agents")], "the scenario has no [[agents]]: add at least one seat group"));
        }
        let mut seen_names: Vec<(&str, usize)> = Vec::new();
        for (n, g) in self.agents.iter().enumerate() {
            let at = [K("agents"), I(n)];
            let what = format!("[[agents]] group {}", n + 1);
            check_nonzero(g.count, &join(&at, K("count")), &format!("{what} count"), "seats")?;
            for (j, name) in g.names.iter().enumerate() {
                let name_at = join3(&at, K("names"), I(j));
                check_not_blank(name, &name_at, &format!("{what} names entry {}", j + 1))?;
                if let Some(&(_, other)) = seen_names.iter().find(|(s, _)| *s == name.as_str()) {
                    return Err(problem(
                        &name_at,
                        format!(
                            "{what} names seat '{name}', which [[agents]] group {} names too: give each seat its \
                             own name",
                            other + 1
                        ),
                    ));
                }
                seen_names.push((name, n));
            }
            if g.queues.is_empty() {
                return Err(problem(
                    &join(&at, K("queues")),
                    format!("{what} queues is empty: name the queues it serves"),
                ));
            }
            for (j, q) in g.queues.iter().enumerate() {
                if !self.queues.iter().any(|x| &x.id == q) {
                    return Err(problem(
                        &join3(&at, K("queues"), I(j)),
                        format!(
                            "{what} serves queue '{q}', which no [[queues]] entry defines (defined: {})",
                            self.queue_ids()
                        ),
                    ));
                }
                if g.queues[..j].contains(q) {
                    return Err(problem(
                        &join3(&at, K("queues"), I(j)),
                        format!("{what} lists queue '{q}' twice in queues"),
                    ));
                }
            }
            if g.langs.is_empty() {
                return Err(problem(
                    &join(&at, K("langs")),
                    format!("{what} langs is empty: give the languages its seats speak, e.g. [\"zh\", \"en\"]"),
                ));
            }
            if let Some(shift) = &g.shift {
                let from =
                    check_time(&shift.from, &join3(&at, K("shift"), K("from")), &format!("{what} shift from"), false)?;
                let to = check_time(&shift.to, &join3(&at, K("shift"), K("to")), &format!("{what} shift to"), true)?;
                if from >= to {
                    return Err(problem(
                        &join(&at, K("shift")),
                        format!(
                            "{what} shift runs from \"{}\" to \"{}\": from must be earlier than to (a shift cannot \
                             cross midnight; use two groups)",
                            shift.from, shift.to
                        ),
                    ));
                }
            }
            if !(g.answer_rate.is_finite() && g.answer_rate > 0.0 && g.answer_rate <= 1.0) {
                return Err(problem(
                    &join(&at, K("answer_rate")),
                    format!(
                        "{what} answer_rate = {} is not a chance above 0 and at most 1 (0.98 means 98% of ringing \
                         calls are picked up)",
                        g.answer_rate
                    ),
                ));
            }
        }
        for (n, q) in self.queues.iter().enumerate() {
            if !self.agents.iter().any(|g| g.queues.contains(&q.id)) {
                return Err(problem(
                    &[K("queues"), I(n), K("id")],
                    format!(
                        "queue '{}' is served by no [[agents]] group: add it to the queues of a group, or remove it",
                        q.id
                    ),
                ));
            }
        }
        Ok(())
    }

    fn check_intents(&self) -> Result<(), Problem> {
        if self.intents.is_empty() {
            return Err(problem(&[K("intents")], "the scenario has no [[intents]]: add at least one"));
        }
        check_unique(self.intents.iter().map(|i| i.id.as_str()), "intents", "[[intents]]")?;
        for (n, i) in self.intents.iter().enumerate() {
            let at = [K("intents"), I(n)];
            let what = label("[[intents]]", &i.id, n);
            check_not_blank(&i.id, &join(&at, K("id")), &format!("{what} id"))?;
            if !self.queues.iter().any(|q| q.id == i.queue) {
                return Err(problem(
                    &join(&at, K("queue")),
                    format!(
                        "intent '{}' sends calls to queue '{}', which no [[queues]] entry defines (defined: {})",
                        i.id,
                        i.queue,
                        self.queue_ids()
                    ),
                ));
            }
            for (lang, share) in [(Lang::Zh, self.scenario.zh_share), (Lang::En, 1.0 - self.scenario.zh_share)] {
                let served = self.agents.iter().any(|g| g.queues.contains(&i.queue) && g.langs.contains(&lang));
                if share > 0.0 && !served {
                    return Err(problem(
                        &join(&at, K("queue")),
                        format!(
                            "intent '{}' sends {}-speaking callers to queue '{}', but no [[agents]] group serving \
                             '{}' speaks \"{}\": add it to the langs of such a group",
                            i.id,
                            lang.as_str(),
                            i.queue,
                            i.queue,
                            lang.as_str()
                        ),
                    ));
                }
            }
            check_positive(
                i.weight,
                &join(&at, K("weight")),
                &format!("{what} weight"),
                "the intent's relative share of arrivals",
            )?;
            check_dist(&i.handle, &join(&at, K("handle")), &format!("{what} handle"), Some("every call has to end"))?;
            check_dist(&i.patience, &join(&at, K("patience")), &format!("{what} patience"), None)?;
            check_range(i.mood, -1.0, 1.0, &join(&at, K("mood")), &format!("{what} mood"))?;
            check_range(i.drift, -1.0, 1.0, &join(&at, K("drift")), &format!("{what} drift"))?;
            check_bank(&i.lines, &join(&at, K("lines")), &format!("{what} lines"))?;
            if let Some(bank) = &i.agent_lines {
                let bank_at = join(&at, K("agent_lines"));
                let bank_what = format!("{what} agent_lines");
                check_bank(bank, &bank_at, &bank_what)?;
                check_bank_langs(bank, &bank_at, &bank_what)?;
            }
            if let Some(t) = &i.ticket {
                check_not_blank(
                    &t.category,
                    &join3(&at, K("ticket"), K("category")),
                    &format!("{what} ticket category"),
                )?;
            }
        }
        Ok(())
    }

    fn check_rules(&self) -> Result<(), Problem> {
        check_unique(self.rules.iter().map(|r| r.id.as_str()), "rules", "[[rules]]")?;
        for (n, r) in self.rules.iter().enumerate() {
            let at = [K("rules"), I(n)];
            let what = label("[[rules]]", &r.id, n);
            check_not_blank(&r.id, &join(&at, K("id")), &format!("{what} id"))?;
            if r.words.is_empty() {
                return Err(problem(
                    &join(&at, K("words")),
                    format!("{what} words is empty: give the words or phrases that trigger it"),
                ));
            }
            for (j, w) in r.words.iter().enumerate() {
                let word_at = join3(&at, K("words"), I(j));
                check_not_blank(w, &word_at, &format!("{what} words entry {}", j + 1))?;
                if r.lang == Some(Lang::En) && has_cjk(w) {
                    return Err(problem(
                        &word_at,
                        format!(
                            "{what} matches English lines only (lang = \"en\"), so its Chinese word '{w}' can never \
                             match: remove lang or the word"
                        ),
                    ));
                }
            }
            if r.actions.is_empty() {
                return Err(problem(
                    &join(&at, K("actions")),
                    format!("{what} actions is empty: give one or more of priority, alert, flag, ticket"),
                ));
            }
            for (j, a) in r.actions.iter().enumerate() {
                if r.actions[..j].contains(a) {
                    return Err(problem(
                        &join3(&at, K("actions"), I(j)),
                        format!("{what} lists the action '{}' twice", a.as_str()),
                    ));
                }
            }
            if r.ticket_priority.is_some() && !r.actions.contains(&RuleAction::Ticket) {
                return Err(problem(
                    &join(&at, K("ticket_priority")),
                    format!(
                        "{what} has ticket_priority but no \"ticket\" among its actions, so it never opens a ticket: \
                         add \"ticket\" to actions or remove ticket_priority"
                    ),
                ));
            }
            if let Some(c) = &r.ticket_category {
                check_not_blank(c, &join(&at, K("ticket_category")), &format!("{what} ticket_category"))?;
                if !r.actions.contains(&RuleAction::Ticket) {
                    return Err(problem(
                        &join(&at, K("ticket_category")),
                        format!(
                            "{what} has ticket_category = \"{c}\" but no \"ticket\" among its actions, so it never \
                             opens a ticket: add \"ticket\" to actions or remove ticket_category"
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    fn check_thresholds(&self) -> Result<(), Problem> {
        let t = &self.thresholds;
        let at = |key| [K("thresholds"), K(key)];
        let sl = t.service_level;
        check_range(sl.warn, 0.0, 1.0, &join(&at("service_level"), K("warn")), "[thresholds] service_level warn")?;
        check_range(sl.crit, 0.0, 1.0, &join(&at("service_level"), K("crit")), "[thresholds] service_level crit")?;
        check_order(sl, false, &at("service_level"), "[thresholds] service_level", "a lower service level is worse")?;
        let lw = t.long_wait_s;
        check_positive(lw.warn, &join(&at("long_wait_s"), K("warn")), "[thresholds] long_wait_s warn", "seconds")?;
        check_positive(lw.crit, &join(&at("long_wait_s"), K("crit")), "[thresholds] long_wait_s crit", "seconds")?;
        check_order(lw, true, &at("long_wait_s"), "[thresholds] long_wait_s", "a longer wait is worse")?;
        let ab = t.abandon_rate;
        check_range(ab.warn, 0.0, 1.0, &join(&at("abandon_rate"), K("warn")), "[thresholds] abandon_rate warn")?;
        check_range(ab.crit, 0.0, 1.0, &join(&at("abandon_rate"), K("crit")), "[thresholds] abandon_rate crit")?;
        check_order(ab, true, &at("abandon_rate"), "[thresholds] abandon_rate", "a higher abandon rate is worse")?;
        let ns = t.negative_sentiment;
        let ns_at = at("negative_sentiment");
        check_range(ns.warn, -1.0, 1.0, &join(&ns_at, K("warn")), "[thresholds] negative_sentiment warn")?;
        check_range(ns.crit, -1.0, 1.0, &join(&ns_at, K("crit")), "[thresholds] negative_sentiment crit")?;
        check_order(ns, false, &ns_at, "[thresholds] negative_sentiment", "a more negative sentiment is worse")?;
        if t.retrigger_s == 0 {
            return Err(problem(
                &at("retrigger_s"),
                "[thresholds] retrigger_s = 0 would raise the same alert on every tick: give the floor-seconds \
                 between repeats, e.g. 600",
            ));
        }
        if t.retrigger_s > 86_400 {
            return Err(problem(
                &at("retrigger_s"),
                "[thresholds] retrigger_s is more than a day: give the floor-seconds between repeats, e.g. 600",
            ));
        }
        if t.window_min > 1440 {
            return Err(problem(
                &at("window_min"),
                "[thresholds] window_min is more than a day: metrics windows are minutes long, e.g. 15",
            ));
        }
        check_nonzero(t.window_min, &at("window_min"), "[thresholds] window_min", "floor-minutes")
    }

    fn check_tickets(&self) -> Result<(), Problem> {
        let t = &self.tickets;
        let d = t.due_min;
        let due = [("urgent", d.urgent), ("high", d.high), ("normal", d.normal), ("low", d.low)];
        for (key, v) in due {
            check_nonzero(v, &[K("tickets"), K("due_min"), K(key)], &format!("[tickets] due_min {key}"), "minutes")?;
        }
        for pair in due.windows(2) {
            if let [(k1, v1), (k2, v2)] = pair
                && v1 > v2
            {
                return Err(problem(
                    &[K("tickets"), K("due_min"), K(k2)],
                    format!(
                        "[tickets] due_min gives {k1} tickets {v1} minutes but {k2} tickets only {v2}: a more \
                         urgent priority must be due no later"
                    ),
                ));
            }
        }
        check_dist(&t.backoffice, &[K("tickets"), K("backoffice")], "[tickets] backoffice", None)?;
        check_nonzero(
            t.escalation_extends_min,
            &[K("tickets"), K("escalation_extends_min")],
            "[tickets] escalation_extends_min",
            "minutes",
        )?;
        check_nonzero(t.max_level, &[K("tickets"), K("max_level")], "[tickets] max_level", "escalation levels")?;
        check_range(
            t.negative_end_sentiment,
            -1.0,
            1.0,
            &[K("tickets"), K("negative_end_sentiment")],
            "[tickets] negative_end_sentiment",
        )
    }

    fn check_behaviour(&self) -> Result<(), Problem> {
        let b = &self.behaviour;
        let at = |key| [K("behaviour"), K(key)];
        let ends = Some("it has to end for the call to go on");
        check_dist(&b.ivr, &at("ivr"), "[behaviour] ivr", ends)?;
        check_nonzero(b.ring_timeout_s, &at("ring_timeout_s"), "[behaviour] ring_timeout_s", "seconds")?;
        check_dist(&b.answer_delay, &at("answer_delay"), "[behaviour] answer_delay", ends)?;
        if let Some(mean) = b.answer_delay.mean()
            && mean >= f64::from(b.ring_timeout_s)
        {
            return Err(problem(
                &at("answer_delay"),
                format!(
                    "[behaviour] answer_delay averages {mean} s but calls ring out after ring_timeout_s = {} s, so \
                     most calls would never be answered: shorten the delay or lengthen the timeout",
                    b.ring_timeout_s
                ),
            ));
        }
        check_nonzero(b.max_no_answer, &at("max_no_answer"), "[behaviour] max_no_answer", "ring-outs")?;
        check_dist(&b.wrap_up, &at("wrap_up"), "[behaviour] wrap_up", ends)?;
        check_dist(&b.line_gap, &at("line_gap"), "[behaviour] line_gap", ends)?;
        if b.line_gap.mean().is_some_and(|m| m <= 0.0) {
            return Err(problem(
                &at("line_gap"),
                "[behaviour] line_gap averages 0 s: conversations need time between lines, e.g. uniform 6..16 s",
            ));
        }
        check_dist(&b.break_every, &at("break_every"), "[behaviour] break_every", None)?;
        check_dist(&b.break_length, &at("break_length"), "[behaviour] break_length", Some("every break has to end"))?;
        check_share(b.hold_share, &at("hold_share"), "[behaviour] hold_share")?;
        check_dist(&b.hold_length, &at("hold_length"), "[behaviour] hold_length", Some("every hold has to end"))?;
        check_dist(&b.callback_after, &at("callback_after"), "[behaviour] callback_after", None)
    }

    fn queue_ids(&self) -> String {
        self.queues.iter().map(|q| q.id.as_str()).collect::<Vec<_>>().join(", ")
    }
}

/// One step into the TOML document: a key of a table or an index into an array.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    Key(&'static str),
    Index(usize),
}

use Step::{Index as I, Key as K};

/// A rule of the format that a scenario breaks: where (the key path) and what (one sentence).
#[derive(Debug)]
struct Problem {
    at: Vec<Step>,
    message: String,
}

fn problem(at: &[Step], message: impl Into<String>) -> Problem {
    Problem { at: at.to_vec(), message: message.into() }
}

fn join(at: &[Step], step: Step) -> Vec<Step> {
    let mut v = at.to_vec();
    v.push(step);
    v
}

fn join3(at: &[Step], a: Step, b: Step) -> Vec<Step> {
    let mut v = at.to_vec();
    v.extend([a, b]);
    v
}

/// How an entry of an array of tables is named in messages: by its id, or by its position when the id is blank.
fn label(table: &str, id: &str, n: usize) -> String {
    if id.trim().is_empty() { format!("{table} entry {}", n + 1) } else { format!("{table} '{id}'") }
}

/// The 1-based line of the deepest part of `at` that the document holds: the key itself when present, else its
/// nearest enclosing key or array entry. `None` when the text does not parse (it did, to get here).
fn locate(text: &str, at: &[Step]) -> Option<usize> {
    use toml::de::{DeArray, DeTable, DeValue};
    fn children<'r, 'i>(v: &'r DeValue<'i>) -> (Option<&'r DeTable<'i>>, Option<&'r DeArray<'i>>) {
        (v.as_table(), v.as_array())
    }
    let root = DeTable::parse(text).ok()?;
    let mut offset = None;
    let (mut table, mut array): (Option<&DeTable<'_>>, Option<&DeArray<'_>>) = (Some(root.get_ref()), None);
    for step in at {
        let value = match *step {
            Step::Key(k) => {
                let Some((key, value)) = table.and_then(|t| t.get_key_value(k)) else { break };
                offset = Some(key.span().start);
                value
            }
            Step::Index(i) => {
                let Some(value) = array.and_then(|a| a.get(i)) else { break };
                offset = Some(value.span().start);
                value
            }
        };
        (table, array) = children(value.get_ref());
    }
    offset.map(|o| line_of(text, o))
}

fn check_unique<'a>(ids: impl Iterator<Item = &'a str>, key: &'static str, table: &str) -> Result<(), Problem> {
    let mut seen: Vec<&str> = Vec::new();
    for (n, id) in ids.enumerate() {
        if let Some(first) = seen.iter().position(|s| *s == id) {
            return Err(problem(
                &[K(key), I(n), K("id")],
                format!("{table} entries {} and {} both have id = \"{id}\": ids must be unique", first + 1, n + 1),
            ));
        }
        seen.push(id);
    }
    Ok(())
}

fn check_not_blank(s: &str, at: &[Step], what: &str) -> Result<(), Problem> {
    if s.trim().is_empty() {
        return Err(problem(at, format!("{what} is blank: give it some text")));
    }
    Ok(())
}

fn check_share(v: f64, at: &[Step], what: &str) -> Result<(), Problem> {
    if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
        return Err(problem(at, format!("{what} = {v} is not a share: give a number from 0 to 1 (0.4 means 40%)")));
    }
    Ok(())
}

fn check_range(v: f64, lo: f64, hi: f64, at: &[Step], what: &str) -> Result<(), Problem> {
    if !(v.is_finite() && (lo..=hi).contains(&v)) {
        return Err(problem(at, format!("{what} = {v} is outside {lo}..{hi}")));
    }
    Ok(())
}

fn check_positive(v: f64, at: &[Step], what: &str, meaning: &str) -> Result<(), Problem> {
    if !(v.is_finite() && v > 0.0) {
        return Err(problem(at, format!("{what} = {v} must be a positive, finite number ({meaning})")));
    }
    Ok(())
}

fn check_nonzero<T: Into<u64> + Copy>(v: T, at: &[Step], what: &str, unit: &str) -> Result<(), Problem> {
    if v.into() == 0 {
        return Err(problem(at, format!("{what} = 0: give a positive number of {unit}")));
    }
    Ok(())
}

/// `crit` must be no better than `warn`; `higher_is_worse` says which way is worse.
fn check_order(l: Level, higher_is_worse: bool, at: &[Step], what: &str, why: &str) -> Result<(), Problem> {
    let consistent = if higher_is_worse { l.crit >= l.warn } else { l.crit <= l.warn };
    if !consistent {
        let side = if higher_is_worse { "at or above" } else { "at or below" };
        return Err(problem(
            &join(at, K("crit")),
            format!("{what} has crit = {} and warn = {}: {why}, so crit must be {side} warn", l.crit, l.warn),
        ));
    }
    Ok(())
}

/// Checks a distribution's parameters. `refuse_infinite` gives the reason when `infinite` makes no sense here.
fn check_dist(d: &Dist, at: &[Step], what: &str, refuse_infinite: Option<&str>) -> Result<(), Problem> {
    let param = |key: &'static str, v: f64, zero_ok: bool| -> Result<(), Problem> {
        let ok = v.is_finite() && (v > 0.0 || (zero_ok && v == 0.0));
        if !ok {
            let kind =
                if zero_ok { "a finite number of seconds, 0 or more" } else { "a positive, finite number of seconds" };
            return Err(problem(&join(at, K(key)), format!("{what}: {key} = {v} must be {kind}")));
        }
        Ok(())
    };
    match *d {
        Dist::Fixed { s } => param("s", s, true),
        Dist::Uniform { min_s, max_s } => {
            param("min_s", min_s, true)?;
            param("max_s", max_s, true)?;
            if min_s > max_s {
                return Err(problem(
                    &join(at, K("min_s")),
                    format!("{what}: uniform min_s = {min_s} is above max_s = {max_s}: swap them"),
                ));
            }
            Ok(())
        }
        Dist::Exponential { mean_s } => param("mean_s", mean_s, false),
        Dist::Lognormal { mean_s, sd_s } => {
            param("mean_s", mean_s, false)?;
            param("sd_s", sd_s, false)
        }
        Dist::Infinite => match refuse_infinite {
            Some(why) => Err(problem(&join(at, K("dist")), format!("{what} cannot be infinite: {why}"))),
            None => Ok(()),
        },
    }
}

/// Every language and mood needs at least one non-blank line: the simulator draws from each.
fn check_bank(bank: &Bank, at: &[Step], what: &str) -> Result<(), Problem> {
    for lang in [Lang::Zh, Lang::En] {
        let lines = bank.lang(lang);
        for (mood, list) in [("positive", &lines.positive), ("neutral", &lines.neutral), ("negative", &lines.negative)]
        {
            let mood_at = join3(at, K(lang.as_str()), K(mood));
            if list.is_empty() {
                return Err(problem(
                    &mood_at,
                    format!(
                        "{what} {}.{mood} has no lines: add at least one (a line is drawn from it whenever the mood \
                         is {mood})",
                        lang.as_str()
                    ),
                ));
            }
            if let Some(j) = list.iter().position(|l| l.trim().is_empty()) {
                return Err(problem(
                    &join(&mood_at, I(j)),
                    format!("{what} {}.{mood} line {} is blank", lang.as_str(), j + 1),
                ));
            }
        }
    }
    Ok(())
}

/// Every `zh` line of the bank holds Chinese and no `en` line does, so the analyser reads each line in the language
/// of the callers it is said to.
fn check_bank_langs(bank: &Bank, at: &[Step], what: &str) -> Result<(), Problem> {
    for lang in [Lang::Zh, Lang::En] {
        let lines = bank.lang(lang);
        for (mood, list) in [("positive", &lines.positive), ("neutral", &lines.neutral), ("negative", &lines.negative)]
        {
            if let Some((j, line)) = list.iter().enumerate().find(|(_, l)| has_cjk(l) != (lang == Lang::Zh)) {
                let fix = match lang {
                    Lang::Zh => {
                        "it holds no Chinese, but zh lines are said to Chinese-speaking callers: write it in \
                                 Chinese or move it to en"
                    }
                    Lang::En => {
                        "it holds Chinese, but en lines are said to English-speaking callers: write it in \
                                 English or move it to zh"
                    }
                };
                return Err(problem(
                    &join(&join3(at, K(lang.as_str()), K(mood)), I(j)),
                    format!("{what} {}.{mood} line {} ({line:?}): {fix}", lang.as_str(), j + 1),
                ));
            }
        }
    }
    Ok(())
}

/// Whether the text holds CJK ideographs (the analyser then reads it as Chinese).
fn has_cjk(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// toml/serde's message in the words of this format (keys, whole numbers), quoting the offending line when it is
/// a `key = value` line.
fn plain_serde_message(message: &str, line: &str) -> String {
    let mut m = message.trim().replace("missing field", "missing key").replace("unknown field", "unknown key");
    for (rust, plain) in
        [("u8", "a whole number"), ("u32", "a whole number"), ("u64", "a whole number"), ("f64", "a number")]
    {
        m = m.replace(&format!("expected {rust}"), &format!("expected {plain}"));
    }
    if line.contains('=') && !line.starts_with('[') && line.chars().count() <= 120 {
        m = format!("{m}, in `{line}`");
    }
    m
}

/// 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

/// Parses `HH:MM` (or `H:MM`) into seconds after midnight; `24:00` is the end of the day.
pub fn parse_hhmm(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    let digits = |t: &str, lens: &[usize]| lens.contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(h, &[1, 2]) || !digits(m, &[2]) {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60 && h * 60 + m <= 24 * 60).then_some(h * 3600 + m * 60)
}

/// A time of day; `end_ok` allows `24:00` (the end of a window).
fn check_time(s: &str, at: &[Step], what: &str, end_ok: bool) -> Result<u32, Problem> {
    match parse_hhmm(s) {
        Some(t) if end_ok || t < 24 * 3600 => Ok(t),
        _ => {
            let range = if end_ok { "00:00 to 24:00" } else { "00:00 to 23:59" };
            Err(problem(at, format!("{what} = \"{s}\" is not a time of day like \"08:30\" ({range})")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small scenario that loads; each broken case below changes one thing in it.
    const BASE: &str = r#"
[scenario]
id = "mini"
title = "Mini floor"
start = "09:00"
zh_share = 0.5

[arrivals]
base_per_hour = 60
peaks = [
  { from = "09:30", to = "10:00", multiplier = 2 },
  { from = "11:00", to = "12:00", multiplier = 1.5 },
]

[[queues]]
id = "sales"
name = "Sales"
sla_percent = 80
sla_seconds = 20

[[queues]]
id = "support"
name = "Support"
priority = 3
sla_percent = 90
sla_seconds = 30

[[agents]]
count = 2
names = ["Ann", "Bo"]
queues = ["sales", "support"]
langs = ["zh", "en"]
shift = { from = "09:00", to = "17:00" }
answer_rate = 0.95

[[intents]]
id = "buy"
queue = "sales"
weight = 3
handle = { dist = "exponential", mean_s = 120 }
patience = { dist = "infinite" }
[intents.lines.zh]
positive = ["好的，谢谢。"]
neutral = ["我想买东西。"]
negative = ["太慢了。"]
[intents.lines.en]
positive = ["Great, thanks."]
neutral = ["I want to buy something."]
negative = ["This is too slow."]

[[intents]]
id = "fix"
queue = "support"
weight = 1
handle = { dist = "lognormal", mean_s = 200, sd_s = 60 }
patience = { dist = "uniform", min_s = 30, max_s = 300 }
mood = -0.2
drift = -0.05
ticket = { category = "repair", priority = "normal" }
[intents.lines.zh]
positive = ["修好了，谢谢。"]
neutral = ["机器坏了。"]
negative = ["我要投诉。"]
[intents.lines.en]
positive = ["It works, thanks."]
neutral = ["The machine is broken."]
negative = ["I want to file a complaint."]

[agent_lines.zh]
positive = ["不客气。"]
neutral = ["您好。"]
negative = ["非常抱歉。"]
[agent_lines.en]
positive = ["You're welcome."]
neutral = ["Hello."]
negative = ["I'm very sorry."]

[[rules]]
id = "complaint"
words = ["投诉", "complaint"]
actions = ["ticket", "alert"]
ticket_category = "complaint"

[[rules]]
id = "refund"
words = ["refund"]
lang = "en"
actions = ["ticket"]

[thresholds]
service_level = { warn = 0.8, crit = 0.6 }
long_wait_s = { warn = 60, crit = 120 }
abandon_rate = { warn = 0.05, crit = 0.1 }
negative_sentiment = { warn = -0.4, crit = -0.7 }
retrigger_s = 300

[tickets]
due_min = { low = 240, normal = 60, high = 30, urgent = 10 }
backoffice = { dist = "exponential", mean_s = 1800 }
escalation_extends_min = 30
negative_end_sentiment = -0.5

[survey]
share = 0.3
bad_score = 2
followup_min = 60

[behaviour]
ivr = { dist = "fixed", s = 10 }
ring_timeout_s = 15
answer_delay = { dist = "uniform", min_s = 1, max_s = 4 }
max_no_answer = 3
wrap_up = { dist = "fixed", s = 20 }
line_gap = { dist = "uniform", min_s = 5, max_s = 10 }
break_every = { dist = "infinite" }
break_length = { dist = "fixed", s = 300 }
hold_share = 0.1
hold_length = { dist = "fixed", s = 30 }
callback_after = { dist = "exponential", mean_s = 900 }
"#;

    const SOURCE: &str = "scenarios/x.toml";

    /// BASE with `from` (which must occur exactly once) replaced by `to`, and the offset of the replacement.
    fn broken(from: &str, to: &str) -> (String, usize) {
        assert_eq!(BASE.matches(from).count(), 1, "test setup: {from:?} must occur exactly once in BASE");
        let Some(at) = BASE.find(from) else { panic!("test setup: {from:?} is not in BASE") };
        (BASE.replacen(from, to, 1), at)
    }

    /// The 1-based line of the only line of `text` holding `marker`.
    fn line_holding(text: &str, marker: &str) -> usize {
        let lines: Vec<usize> =
            text.lines().enumerate().filter(|(_, l)| l.contains(marker)).map(|(n, _)| n + 1).collect();
        let [line] = lines[..] else { panic!("test setup: {marker:?} must be on exactly one line, is on {lines:?}") };
        line
    }

    /// Where the error about a replacement must point: at `marker` inside the replaced text when it is there,
    /// else at the only line of the file that holds it.
    fn expected_line(text: &str, at: usize, replaced: &str, marker: &str) -> usize {
        match replaced.find(marker) {
            Some(inside) => line_of(text, at + inside),
            None => line_holding(text, marker),
        }
    }

    #[test]
    fn the_base_scenario_loads() {
        if let Err(e) = Scenario::parse(BASE, SOURCE) {
            panic!("{e}");
        }
    }

    #[test]
    fn every_bundled_scenario_loads() {
        for (name, _) in BUNDLED {
            match Scenario::load(name) {
                Ok(s) => assert_eq!(s.scenario.id, *name, "bundled scenario '{name}' has a different [scenario] id"),
                Err(e) => panic!("{e}"),
            }
        }
        assert!(BUNDLED.iter().any(|(n, _)| *n == DEFAULT_SCENARIO), "the default scenario is not bundled");
    }

    /// Each case: what to replace in BASE, with what, the text on the line the error must point at, and words the
    /// message must hold (the key, the offending value).
    #[test]
    fn broken_files_are_refused_with_the_line_and_key() {
        let cases: &[(&str, &str, &str, &[&str])] = &[
            // references between sections
            (
                "queue = \"support\"",
                "queue = \"returns\"",
                "queue = \"returns\"",
                &["intent 'fix'", "'returns'", "[[queues]]"],
            ),
            (
                "queues = [\"sales\", \"support\"]",
                "queues = [\"sales\", \"suport\"]",
                "\"suport\"",
                &["group 1", "'suport'"],
            ),
            ("langs = [\"zh\", \"en\"]", "langs = [\"en\"]", "queue = \"sales\"", &["intent 'buy'", "zh", "langs"]),
            ("id = \"support\"", "id = \"sales\"", "id = \"sales\"", &["[[queues]]", "id = \"sales\"", "unique"]),
            ("id = \"fix\"", "id = \"buy\"", "id = \"buy\"", &["[[intents]]", "id = \"buy\"", "unique"]),
            ("id = \"refund\"", "id = \"complaint\"", "id = \"complaint\"", &["[[rules]]", "unique"]),
            // empty lists and banks
            ("words = [\"refund\"]", "words = []", "words = []", &["'refund'", "words"]),
            (
                "words = [\"投诉\", \"complaint\"]",
                "words = [\"投诉\", \" \"]",
                "words = [\"投诉\", \" \"]",
                &["'complaint'", "words", "blank"],
            ),
            ("negative = [\"我要投诉。\"]", "negative = []", "negative = []", &["'fix'", "zh.negative", "no lines"]),
            ("neutral = [\"Hello.\"]", "neutral = []", "neutral = []", &["[agent_lines]", "en.neutral"]),
            ("actions = [\"ticket\"]", "actions = []", "actions = []", &["'refund'", "actions"]),
            // numbers and shares
            ("weight = 3", "weight = 0", "weight = 0", &["'buy'", "weight = 0"]),
            ("weight = 3", "weight = nan", "weight = nan", &["'buy'", "weight = NaN"]),
            ("weight = 1", "weight = inf", "weight = inf", &["'fix'", "weight = inf"]),
            ("zh_share = 0.5", "zh_share = 1.5", "zh_share", &["zh_share = 1.5"]),
            ("hold_share = 0.1", "hold_share = -0.1", "hold_share", &["hold_share = -0.1"]),
            ("share = 0.3", "share = 3", "share = 3", &["[survey] share = 3"]),
            ("bad_score = 2", "bad_score = 5", "bad_score", &["bad_score = 5"]),
            ("sla_percent = 80", "sla_percent = 0", "sla_percent = 0", &["'sales'", "sla_percent = 0"]),
            ("sla_percent = 90", "sla_percent = 120", "sla_percent = 120", &["'support'", "sla_percent = 120"]),
            ("count = 2", "count = 0", "count = 0", &["group 1", "count = 0"]),
            ("answer_rate = 0.95", "answer_rate = 0", "answer_rate", &["answer_rate = 0"]),
            ("answer_rate = 0.95", "answer_rate = 1.2", "answer_rate", &["answer_rate = 1.2"]),
            ("mood = -0.2", "mood = -2", "mood = -2", &["'fix'", "mood = -2"]),
            ("priority = 3", "priority = 12", "priority = 12", &["'support'", "priority = 12"]),
            ("base_per_hour = 60", "base_per_hour = 0", "base_per_hour", &["base_per_hour = 0"]),
            // times
            ("start = \"09:00\"", "start = \"9h00\"", "start = ", &["start", "\"9h00\""]),
            ("start = \"09:00\"", "start = \"24:00\"", "start = ", &["start", "\"24:00\""]),
            ("{ from = \"09:30\", to = \"10:00\"", "{ from = \"09:30\", to = \"25:00\"", "25:00", &["peak 1 to"]),
            ("{ from = \"09:30\", to = \"10:00\"", "{ from = \"10:30\", to = \"10:00\"", "10:30", &["peak 1", "from"]),
            (
                "{ from = \"11:00\", to = \"12:00\"",
                "{ from = \"09:45\", to = \"12:00\"",
                "09:45",
                &["peak 2", "overlaps peak 1"],
            ),
            ("to = \"17:00\"", "to = \"08:00\"", "shift = ", &["group 1 shift", "from"]),
            ("shift = { from = \"09:00\"", "shift = { from = \"9:0\"", "shift = ", &["group 1 shift from", "\"9:0\""]),
            // distributions
            ("mean_s = 120", "mean_s = -120", "mean_s = -120", &["'buy' handle", "mean_s = -120"]),
            ("sd_s = 60", "sd_s = 0", "sd_s = 0", &["'fix' handle", "sd_s = 0"]),
            (
                "min_s = 30, max_s = 300",
                "min_s = 300, max_s = 30",
                "min_s = 300",
                &["'fix' patience", "min_s", "max_s"],
            ),
            (
                "handle = { dist = \"exponential\", mean_s = 120 }",
                "handle = { dist = \"infinite\" }",
                "handle = ",
                &["'buy' handle", "infinite"],
            ),
            ("mean_s = 1800", "mean_s = inf", "mean_s = inf", &["backoffice", "mean_s = inf"]),
            (
                "answer_delay = { dist = \"uniform\", min_s = 1, max_s = 4 }",
                "answer_delay = { dist = \"fixed\", s = 20 }",
                "answer_delay",
                &["answer_delay", "ring_timeout_s"],
            ),
            // threshold ordering
            (
                "service_level = { warn = 0.8, crit = 0.6 }",
                "service_level = { warn = 0.6, crit = 0.8 }",
                "service_level",
                &["service_level", "crit = 0.8"],
            ),
            (
                "long_wait_s = { warn = 60, crit = 120 }",
                "long_wait_s = { warn = 120, crit = 60 }",
                "long_wait_s",
                &["long_wait_s", "crit = 60"],
            ),
            (
                "negative_sentiment = { warn = -0.4, crit = -0.7 }",
                "negative_sentiment = { warn = -0.7, crit = -0.4 }",
                "negative_sentiment",
                &["negative_sentiment", "crit = -0.4"],
            ),
            ("urgent = 10 }", "urgent = 45 }", "due_min", &["due_min", "urgent", "high"]),
            ("retrigger_s = 300", "retrigger_s = 0", "retrigger_s", &["retrigger_s = 0"]),
            // rules
            (
                "actions = [\"ticket\", \"alert\"]",
                "actions = [\"alert\"]",
                "ticket_category = ",
                &["'complaint'", "ticket_category", "actions"],
            ),
            ("words = [\"refund\"]", "words = [\"退款\"]", "退款", &["'refund'", "lang = \"en\"", "'退款'"]),
            (
                "actions = [\"ticket\", \"alert\"]\nticket_category",
                "actions = [\"alert\"]\nticket_priority = \"high\"\nticket_category",
                "ticket_priority",
                &["'complaint'", "ticket_priority"],
            ),
            (
                "actions = [\"ticket\"]",
                "actions = [\"ticket\", \"ticket\"]",
                "actions = [\"ticket\", \"ticket\"]",
                &["'refund'", "twice"],
            ),
            // serde-level errors keep their line
            ("sla_seconds = 30", "sla_seconds = \"thirty\"", "\"thirty\"", &["whole number", "sla_seconds"]),
            ("retrigger_s = 300", "retrigger_s = 300\nretrigger = 5", "retrigger = 5", &["retrigger"]),
            (
                "ticket = { category = \"repair\", priority = \"normal\" }",
                "ticket = { category = \"repair\", priority = \"soon\" }",
                "\"soon\"",
                &["soon"],
            ),
            ("[survey]\nshare", "[survey]\nshare = = 1\nx", "share = = 1", &[]),
            (
                "[[queues]]\nid = \"sales\"\nname = \"Sales\"\nsla_percent = 80\nsla_seconds = 20",
                "[[queues]]\nid = \"sales\"\nname = \"Sales\"\nsla_percent = 80",
                "[[queues]]",
                &["missing key `sla_seconds`"],
            ),
            ("mean_s = 120 }", "mean_s = 120, sd_s = 3 }", "sd_s = 3", &["sd_s", "handle = "]),
            (
                "dist = \"exponential\", mean_s = 120",
                "dist = \"gamma\", mean_s = 120",
                "gamma",
                &["gamma", "lognormal"],
            ),
        ];
        for (from, to, marker, words) in cases {
            let (text, at) = broken(from, to);
            let Err(e) = Scenario::parse(&text, SOURCE) else { panic!("{to:?} was accepted") };
            let expected = expected_line(&text, at, to, marker);
            assert_eq!(e.line, Some(expected), "{to:?}: the error points at the wrong line: {e}");
            assert_eq!(e.source_name, SOURCE);
            for w in *words {
                assert!(e.message.contains(w), "{to:?}: the message does not name {w:?}: {e}");
            }
            assert!(e.to_string().starts_with(&format!("{SOURCE}, line {expected}: ")), "{e}");
        }
    }

    /// BASE with intent 'fix' given its own agent lines, `bank` written after its caller lines.
    fn with_fix_agent_lines(bank: &str) -> String {
        let (text, _) = broken(
            "negative = [\"I want to file a complaint.\"]\n",
            &format!("negative = [\"I want to file a complaint.\"]\n{bank}"),
        );
        text
    }

    const FIX_AGENT_LINES: &str = r#"[intents.agent_lines.zh]
positive = ["修好了，很高兴帮到您。"]
neutral = ["您好，维修热线。", "请说一下机器的型号。"]
negative = ["非常抱歉，我马上派师傅。"]
[intents.agent_lines.en]
positive = ["It's fixed, glad I could help."]
neutral = ["Repairs desk, hello.", "Which model is the machine?"]
negative = ["I'm very sorry, I'm sending an engineer now."]
"#;

    #[test]
    fn an_intent_may_carry_its_own_agent_lines() {
        let text = with_fix_agent_lines(FIX_AGENT_LINES);
        let s = match Scenario::parse(&text, SOURCE) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        };
        let Some(fix) = s.intents.iter().find(|i| i.id == "fix") else { panic!("no intent 'fix'") };
        let Some(bank) = &fix.agent_lines else { panic!("intent 'fix' lost its agent_lines") };
        assert_eq!(bank.zh.neutral.first().map(String::as_str), Some("您好，维修热线。"));
        assert_eq!(bank.en.negative, ["I'm very sorry, I'm sending an engineer now."]);
        let Some(buy) = s.intents.iter().find(|i| i.id == "buy") else { panic!("no intent 'buy'") };
        assert!(buy.agent_lines.is_none(), "intent 'buy' has no agent_lines of its own");
    }

    /// Each case: what to replace in FIX_AGENT_LINES, with what, the text on the line the error must point at, and
    /// words the message must hold.
    #[test]
    fn broken_intent_agent_lines_are_refused_with_the_line_and_key() {
        let cases: &[(&str, &str, &str, &[&str])] = &[
            (
                "negative = [\"非常抱歉，我马上派师傅。\"]",
                "negative = []",
                "negative = []",
                &["[[intents]] 'fix' agent_lines", "zh.negative", "no lines"],
            ),
            (
                "neutral = [\"Repairs desk, hello.\", \"Which model is the machine?\"]",
                "neutral = [\"Repairs desk, hello.\", \" \"]",
                "neutral = [\"Repairs desk",
                &["[[intents]] 'fix' agent_lines", "en.neutral", "line 2", "blank"],
            ),
            (
                "positive = [\"修好了，很高兴帮到您。\"]",
                "positive = [\"Fixed, glad to help.\"]",
                "Fixed, glad to help.",
                &["[[intents]] 'fix' agent_lines", "zh.positive", "line 1", "no Chinese", "Fixed, glad to help."],
            ),
            (
                "negative = [\"I'm very sorry, I'm sending an engineer now.\"]",
                "negative = [\"I'm sorry.\", \"抱歉，师傅马上到。\"]",
                "抱歉，师傅马上到。",
                &["[[intents]] 'fix' agent_lines", "en.negative", "line 2", "holds Chinese"],
            ),
            (
                "negative = [\"I'm very sorry, I'm sending an engineer now.\"]\n",
                "",
                "[intents.agent_lines.en]",
                &["missing key `negative`"],
            ),
        ];
        for (from, to, marker, words) in cases {
            assert_eq!(FIX_AGENT_LINES.matches(from).count(), 1, "test setup: {from:?} must occur once");
            let text = with_fix_agent_lines(&FIX_AGENT_LINES.replacen(from, to, 1));
            let Err(e) = Scenario::parse(&text, SOURCE) else { panic!("{to:?} was accepted") };
            let expected = line_holding(&text, marker);
            assert_eq!(e.line, Some(expected), "{to:?}: the error points at the wrong line: {e}");
            for w in *words {
                assert!(e.message.contains(w), "{to:?}: the message does not name {w:?}: {e}");
            }
        }
    }

    /// The complete example in docs/SCENARIOS.md is what users copy first: it must load.
    #[test]
    fn the_documented_minimal_scenario_loads() {
        let doc = include_str!("../../../docs/SCENARIOS.md");
        let Some((_, section)) = doc.split_once("## A complete minimal scenario") else {
            panic!("docs/SCENARIOS.md has no complete minimal scenario section")
        };
        let Some((_, block)) = section.split_once("```toml\n") else { panic!("the section has no toml block") };
        let Some((toml_text, _)) = block.split_once("```") else { panic!("the toml block is not closed") };
        if let Err(e) = Scenario::parse(toml_text, "docs/SCENARIOS.md example") {
            panic!("{e}");
        }
    }

    #[test]
    fn a_rule_ticket_without_category_or_priority_falls_back() {
        let Ok(s) = Scenario::parse(BASE, SOURCE) else { panic!("BASE does not load") };
        let Some(refund) = s.rules.iter().find(|r| r.id == "refund") else { panic!("BASE has no rule 'refund'") };
        assert_eq!(refund.ticket_category_or_id(), "refund");
        let Some(complaint) = s.rules.iter().find(|r| r.id == "complaint") else { panic!("no rule 'complaint'") };
        assert_eq!(complaint.ticket_category_or_id(), "complaint");
        assert_eq!(refund.ticket_priority_or_default(), TicketPriority::Normal);
        let (text, _) = broken("actions = [\"ticket\"]", "actions = [\"ticket\"]\nticket_priority = \"low\"");
        let Ok(s) = Scenario::parse(&text, SOURCE) else { panic!("ticket_priority was refused") };
        let Some(refund) = s.rules.iter().find(|r| r.id == "refund") else { panic!("no rule 'refund'") };
        assert_eq!(refund.ticket_priority_or_default(), TicketPriority::Low);
    }

    #[test]
    fn a_path_to_a_file_loads_and_names_the_file_in_errors() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/bank.toml");
        match Scenario::load(path) {
            Ok(s) => assert_eq!(s.scenario.id, "bank"),
            Err(e) => panic!("{e}"),
        }
        let broken_path = std::env::temp_dir().join(format!("callfloor-scenario-test-{}.toml", std::process::id()));
        let (text, _) = broken("count = 2", "count = 0");
        if let Err(e) = std::fs::write(&broken_path, &text) {
            panic!("cannot write {}: {e}", broken_path.display());
        }
        let result = Scenario::load(&broken_path.display().to_string());
        let _ = std::fs::remove_file(&broken_path);
        let Err(e) = result else { panic!("a file with count = 0 was accepted") };
        assert_eq!(e.source_name, broken_path.display().to_string());
        assert_eq!(e.line, Some(line_holding(&text, "count = 0")));
    }

    #[test]
    fn an_unknown_name_lists_the_bundled_names() {
        let Err(e) = Scenario::load("no-such-floor") else { panic!("an unknown name was accepted") };
        assert_eq!(e.line, None);
        for (name, _) in BUNDLED {
            assert!(e.message.contains(name), "the message does not list '{name}': {e}");
        }
    }

    #[test]
    fn hhmm_times_are_strict() {
        assert_eq!(parse_hhmm("08:30"), Some(8 * 3600 + 30 * 60));
        assert_eq!(parse_hhmm("8:05"), Some(8 * 3600 + 5 * 60));
        assert_eq!(parse_hhmm("24:00"), Some(24 * 3600));
        for bad in ["24:01", "08:60", "8:5", "08h30", " 8:30", "-1:00", "", "123:00"] {
            assert_eq!(parse_hhmm(bad), None, "{bad:?} was read as a time");
        }
    }

    fn bundled() -> Vec<Scenario> {
        BUNDLED
            .iter()
            .map(|(name, _)| match Scenario::load(name) {
                Ok(s) => s,
                Err(e) => panic!("{e}"),
            })
            .collect()
    }

    fn banks(s: &Scenario) -> Vec<(String, &Bank)> {
        let mut v: Vec<(String, &Bank)> = s.intents.iter().map(|i| (format!("intent '{}'", i.id), &i.lines)).collect();
        v.extend(agent_banks(s));
        v
    }

    /// Every bank agents speak from: the scenario's `[agent_lines]` and the intents' own.
    fn agent_banks(s: &Scenario) -> Vec<(String, &Bank)> {
        let mut v = vec![("agent_lines".to_string(), &s.agent_lines)];
        v.extend(
            s.intents.iter().filter_map(|i| Some((format!("intent '{}' agent_lines", i.id), i.agent_lines.as_ref()?))),
        );
        v
    }

    #[test]
    fn every_bundled_bank_has_three_lines_per_mood_in_both_languages() {
        for s in bundled() {
            for (what, bank) in banks(&s) {
                for lang in [Lang::Zh, Lang::En] {
                    let m = bank.lang(lang);
                    for (mood, lines) in [("positive", &m.positive), ("neutral", &m.neutral), ("negative", &m.negative)]
                    {
                        assert!(
                            lines.len() >= 3,
                            "{}: {what} {}.{mood} has {} lines",
                            s.scenario.id,
                            lang.as_str(),
                            lines.len()
                        );
                        for l in lines {
                            assert_eq!(
                                has_cjk(l),
                                lang == Lang::Zh,
                                "{}: {what} {}.{mood} line {l:?} is in the wrong language",
                                s.scenario.id,
                                lang.as_str()
                            );
                        }
                    }
                }
            }
        }
    }

    /// Caller lines of an intent that hold a word of one of `rules` (case-insensitive, as the analyser matches).
    fn rule_lines(i: &IntentSpec, rules: &[&RuleSpec]) -> (usize, usize) {
        let words: Vec<String> = rules.iter().flat_map(|r| r.words.iter().map(|w| w.to_lowercase())).collect();
        let all: Vec<String> = [&i.lines.zh, &i.lines.en]
            .iter()
            .flat_map(|m| m.positive.iter().chain(&m.neutral).chain(&m.negative))
            .map(|l| l.to_lowercase())
            .collect();
        (all.iter().filter(|l| words.iter().any(|w| l.contains(w.as_str()))).count(), all.len())
    }

    #[test]
    fn every_bundled_scenario_brings_urgent_or_risk_hits_early() {
        for s in bundled() {
            let hot: Vec<&RuleSpec> = s.rules.iter().filter(|r| r.urgent || r.risk).collect();
            assert!(!hot.is_empty(), "{}: no urgent or risk rule", s.scenario.id);
            let total: f64 = s.intents.iter().map(|i| i.weight).sum();
            // Intents whose callers say a hot word in at least half their lines nearly always trigger a rule.
            let hot_weight: f64 = s
                .intents
                .iter()
                .filter(|i| {
                    let (hit, all) = rule_lines(i, &hot);
                    2 * hit >= all
                })
                .map(|i| i.weight)
                .sum();
            assert!(
                hot_weight / total >= 0.03,
                "{}: only {:.1}% of calls come from intents that say urgent or risk words",
                s.scenario.id,
                100.0 * hot_weight / total
            );
            let per_hour = s.arrivals.base_per_hour * hot_weight / total;
            assert!(
                per_hour >= 6.0,
                "{}: urgent or risk calls arrive {per_hour:.1} an hour, want one in 10 minutes",
                s.scenario.id
            );
        }
    }

    #[test]
    fn every_bundled_rule_fires_on_some_caller_line() {
        for s in bundled() {
            for r in &s.rules {
                let fires = s.intents.iter().any(|i| rule_lines(i, &[r]).0 > 0);
                assert!(fires, "{}: rule '{}' matches no caller line", s.scenario.id, r.id);
            }
        }
    }

    /// Agent lines are spoken on every call of their intent (or of every intent), so a rule word among them would
    /// fire on calls the caller's words never flagged.
    #[test]
    fn no_bundled_agent_line_holds_a_rule_word() {
        for s in bundled() {
            for (what, bank) in agent_banks(&s) {
                let m = [&bank.zh, &bank.en];
                for line in m.iter().flat_map(|m| m.positive.iter().chain(&m.neutral).chain(&m.negative)) {
                    for r in &s.rules {
                        let hit = r.words.iter().find(|w| line.to_lowercase().contains(&w.to_lowercase()));
                        assert!(
                            hit.is_none(),
                            "{}: {what} line {line:?} holds {hit:?} of rule '{}'",
                            s.scenario.id,
                            r.id
                        );
                    }
                }
            }
        }
    }

    /// Agents' good news must lift the call's rolling sentiment and their apologies must not read as good news,
    /// in every agent bank (`analysis::misjudged_lines` checks only the positive lines of `[agent_lines]`).
    #[test]
    fn bundled_agent_lines_read_as_their_mood() {
        use crate::engine::analysis::{detect_lang, sentiment};
        let mut wrong = Vec::new();
        for s in bundled() {
            for (what, bank) in agent_banks(&s) {
                for lang in [Lang::Zh, Lang::En] {
                    let m = bank.lang(lang);
                    for line in &m.positive {
                        let score = sentiment(line, detect_lang(line));
                        if score <= 0.0 {
                            wrong.push(format!(
                                "{}: {what} {}.positive {line:?} scores {score:.3}",
                                s.scenario.id,
                                lang.as_str()
                            ));
                        }
                    }
                    for line in &m.negative {
                        let score = sentiment(line, detect_lang(line));
                        if score > 0.0 {
                            wrong.push(format!(
                                "{}: {what} {}.negative {line:?} scores {score:.3}",
                                s.scenario.id,
                                lang.as_str()
                            ));
                        }
                    }
                }
            }
        }
        assert!(wrong.is_empty(), "agent lines that read as the wrong mood:\n{}", wrong.join("\n"));
    }

    /// Offered load in Erlangs at the base rate: calls/hour × (handle + wrap-up + mean hold) / 3600.
    fn base_erlangs(s: &Scenario) -> f64 {
        let b = &s.behaviour;
        let extra = b.wrap_up.mean().unwrap_or(0.0) + b.hold_share * b.hold_length.mean().unwrap_or(0.0);
        let total: f64 = s.intents.iter().map(|i| i.weight).sum();
        s.intents
            .iter()
            .map(|i| s.arrivals.base_per_hour * i.weight / total * (i.handle.mean().unwrap_or(0.0) + extra) / 3600.0)
            .sum()
    }

    #[test]
    fn every_bundled_floor_copes_outside_peaks_and_strains_in_them() {
        for s in bundled() {
            let start = parse_hhmm(&s.scenario.start).unwrap_or(0);
            let on_shift = |g: &AgentGroup| {
                g.shift.as_ref().is_none_or(|sh| {
                    parse_hhmm(&sh.from).is_some_and(|f| f <= start) && parse_hhmm(&sh.to).is_some_and(|t| start < t)
                })
            };
            let seats: f64 = s.agents.iter().filter(|g| on_shift(g)).map(|g| f64::from(g.count)).sum();
            let load = base_erlangs(&s);
            assert!(
                seats >= load * 1.05,
                "{}: {seats} seats on shift at the start for {load:.1} Erlangs of base load",
                s.scenario.id
            );
            let peak = s.arrivals.peaks.iter().map(|p| p.multiplier).fold(1.0, f64::max) * load;
            let all: f64 = s.agents.iter().map(|g| f64::from(g.count)).sum();
            assert!(
                peak >= all * 0.9,
                "{}: the top peak ({peak:.1} Erlangs) does not strain {all} seats",
                s.scenario.id
            );
        }
    }

    #[test]
    fn some_bundled_caller_never_hangs_up() {
        let infinite = bundled().iter().any(|s| s.intents.iter().any(|i| i.patience == Dist::Infinite));
        assert!(infinite, "no bundled intent has patience = {{ dist = \"infinite\" }}");
    }
}
