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

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub scenario: Meta,
    pub arrivals: Arrivals,
    pub queues: Vec<QueueSpec>,
    pub agents: Vec<AgentGroup>,
    pub intents: Vec<IntentSpec>,
    /// What agents say, by mood of the conversation.
    pub agent_lines: Bank,
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
    pub thresholds: Thresholds,
    pub tickets: TicketPolicy,
    pub survey: SurveyPolicy,
    pub behaviour: Behaviour,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// Short name, e.g. `hospital`.
    pub id: String,
    /// One line shown in the console header.
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Floor time of day at which the simulation starts, `HH:MM`.
    pub start: String,
    /// Share of callers who speak Chinese (the rest speak English), 0..1.
    pub zh_share: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arrivals {
    /// Calls per hour outside peaks.
    pub base_per_hour: f64,
    #[serde(default)]
    pub peaks: Vec<Peak>,
}

/// A window of the day in which the arrival rate is multiplied.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Peak {
    /// `HH:MM`
    pub from: String,
    /// `HH:MM`
    pub to: String,
    pub multiplier: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueSpec {
    pub id: String,
    pub name: String,
    /// Base priority of calls in this queue, 0..=9 (urgent rule hits raise a call to 10+).
    #[serde(default)]
    pub priority: u8,
    /// SLA target: `sla_percent` % answered within `sla_seconds`.
    pub sla_percent: f64,
    pub sla_seconds: u32,
    #[serde(default)]
    pub skills: Vec<String>,
}

/// A group of identical seats.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentGroup {
    pub count: u32,
    /// Names given to the seats in turn (cycled, numbered when they run out).
    #[serde(default)]
    pub names: Vec<String>,
    /// Queues these seats serve.
    pub queues: Vec<String>,
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

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shift {
    pub from: String,
    pub to: String,
}

/// Why people call: routes them to a queue and drives the conversation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntentSpec {
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
    /// Open a ticket after every call of this intent.
    #[serde(default)]
    pub ticket: Option<TicketSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketSpec {
    pub category: String,
    pub priority: TicketPriority,
}

/// Lines in both languages.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bank {
    pub zh: MoodLines,
    pub en: MoodLines,
}

impl Bank {
    pub fn lang(&self, lang: Lang) -> &MoodLines {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoodLines {
    pub positive: Vec<String>,
    pub neutral: Vec<String>,
    pub negative: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: String,
    pub words: Vec<String>,
    /// Only match lines in this language; absent: both.
    #[serde(default)]
    pub lang: Option<Lang>,
    pub actions: Vec<RuleAction>,
    #[serde(default = "default_severity")]
    pub severity: Severity,
    /// Mark the call urgent (it jumps the queue when `priority` is among the actions).
    #[serde(default)]
    pub urgent: bool,
    /// Flag the call for review.
    #[serde(default)]
    pub risk: bool,
    /// Ticket category when `ticket` is among the actions.
    #[serde(default)]
    pub ticket_category: Option<String>,
}

fn default_severity() -> Severity {
    Severity::Warning
}

/// A warning and a critical level for one metric.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    pub warn: f64,
    pub crit: f64,
}

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

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DueMinutes {
    pub low: u32,
    pub normal: u32,
    pub high: u32,
    pub urgent: u32,
}

impl DueMinutes {
    pub fn for_priority(&self, p: TicketPriority) -> u32 {
        match p {
            TicketPriority::Low => self.low,
            TicketPriority::Normal => self.normal,
            TicketPriority::High => self.high,
            TicketPriority::Urgent => self.urgent,
        }
    }
}

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
    pub wrap_up: Dist,
    /// Gap between lines of a conversation.
    pub line_gap: Dist,
    /// Time between a seat's breaks, and their length.
    pub break_every: Dist,
    pub break_length: Dist,
    /// Share of calls put on hold once.
    pub hold_share: f64,
    pub hold_length: Dist,
    /// How long the back office takes to call back an abandoned caller.
    pub callback_after: Dist,
}

/// A distribution of durations, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(tag = "dist", rename_all = "snake_case", deny_unknown_fields)]
pub enum Dist {
    Fixed {
        s: f64,
    },
    Uniform {
        min_s: f64,
        max_s: f64,
    },
    Exponential {
        mean_s: f64,
    },
    Lognormal {
        mean_s: f64,
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
    pub line: Option<usize>,
    pub message: String,
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
            ScenarioError { source_name: source_name.to_string(), line, message: e.message().to_string() }
        })?;
        scenario.validate(text, source_name)?;
        Ok(scenario)
    }

    /// Checks what serde cannot: references between sections and value ranges.
    fn validate(&self, text: &str, source_name: &str) -> Result<(), ScenarioError> {
        let err = |needle: &str, message: String| ScenarioError {
            source_name: source_name.to_string(),
            line: text.find(needle).map(|i| line_of(text, i)),
            message,
        };
        parse_hhmm(&self.scenario.start).ok_or_else(|| {
            err("start", format!("[scenario] start = \"{}\" is not a time like \"08:00\"", self.scenario.start))
        })?;
        if self.queues.is_empty() {
            return Err(err("[[queues]]", "the scenario has no [[queues]]: add at least one".into()));
        }
        if self.intents.is_empty() {
            return Err(err("[[intents]]", "the scenario has no [[intents]]: add at least one".into()));
        }
        for i in &self.intents {
            if !self.queues.iter().any(|q| q.id == i.queue) {
                return Err(err(
                    &format!("queue = \"{}\"", i.queue),
                    format!("intent '{}' sends calls to queue '{}', which no [[queues]] entry defines", i.id, i.queue),
                ));
            }
        }
        for g in &self.agents {
            for q in &g.queues {
                if !self.queues.iter().any(|x| &x.id == q) {
                    return Err(err(
                        &format!("\"{q}\""),
                        format!("an [[agents]] group serves queue '{q}', which no [[queues]] entry defines"),
                    ));
                }
            }
        }
        for p in &self.arrivals.peaks {
            for t in [&p.from, &p.to] {
                parse_hhmm(t).ok_or_else(|| err(t, format!("peak time \"{t}\" is not a time like \"09:30\"")))?;
            }
        }
        Ok(())
    }
}

/// 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).map(|t| t.matches('\n').count() + 1).unwrap_or(1)
}

/// Parses `HH:MM` into seconds after midnight.
pub fn parse_hhmm(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    let (h, m): (u32, u32) = (h.trim().parse().ok()?, m.trim().parse().ok()?);
    (h <= 24 && m < 60 && h * 60 + m <= 24 * 60).then_some(h * 3600 + m * 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_scenario_loads() {
        for (name, _) in BUNDLED {
            if let Err(e) = Scenario::load(name) {
                panic!("{e}");
            }
        }
    }
}
