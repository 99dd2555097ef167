//! Floor descriptions: what a PBX cannot tell the engine about the floor it runs. The non-simulated half of the
//! scenario format — queues with names and SLA targets, seats with names and languages, keyword rules, thresholds,
//! ticket policy, survey policy, cards — plus the PBX's names for queues and seats and the supervisors' devices.
//! A PBX-fed engine (`callfloor engine --source ami://…|esl://… --floor FILE`) runs on one. Documented in
//! docs/SCENARIOS.md ("Floor descriptions").

use std::path::Path;

use serde::Deserialize;

use super::locate::{self, ScenarioError, line_of};
use super::schema::{
    AgentGroup, Arrivals, Bank, Behaviour, CardSpec, Dist, DueMinutes, Meta, Privacy, QueueSpec, RuleSpec, Scenario,
    SurveyPolicy, Thresholds,
};
use super::time::TimeOfDay;
use crate::bridge::{Roster, RosterAgent, RosterQueue, RosterSupervisor};
use crate::model::{AgentId, Lang, QueueId};

/// A floor description file, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FloorFile {
    /// `[scenario]`: id and title (no start time: a PBX floor runs on the wall clock).
    pub scenario: FloorMeta,
    /// `[[queues]]`: as in a scenario, plus `pbx` and `transfer`.
    pub queues: Vec<FloorQueue>,
    /// `[[agents]]`: one table per seat (not groups: each seat has its own name on the PBX).
    pub agents: Vec<FloorAgent>,
    /// `[[supervisors]]`: where each callfloor user's monitor, whisper and barge legs ring.
    #[serde(default)]
    pub supervisors: Vec<FloorSupervisor>,
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
    pub thresholds: Thresholds,
    pub tickets: FloorTickets,
    /// `[survey]`: what a post-call score (sent by a feeder with `call_tag`) does; absent: bad scores 1–2 open a
    /// follow-up due in 60 minutes.
    #[serde(default)]
    pub survey: Option<SurveyPolicy>,
    #[serde(default)]
    pub privacy: Privacy,
    #[serde(default)]
    pub cards: Vec<CardSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FloorMeta {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub knowledge: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FloorQueue {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub priority: u8,
    pub sla_percent: f64,
    pub sla_seconds: u32,
    #[serde(default)]
    pub skills: Vec<String>,
    /// The PBX's name of the queue (Asterisk queue, mod_callcenter queue); default: `id`.
    #[serde(default)]
    pub pbx: Option<String>,
    /// Where a transfer to this queue goes: `exten@context` (Asterisk Redirect) or a dialplan extension (FreeSWITCH
    /// `uuid_transfer`); absent: transfers to the queue are refused.
    #[serde(default)]
    pub transfer: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FloorAgent {
    pub name: String,
    /// The PBX's name of the seat: the Asterisk queue member interface (`PJSIP/1001`) or the mod_callcenter agent
    /// (`1001@default`).
    pub member: String,
    /// Where a transfer to this seat goes (`exten@context`); absent: transfers to the seat are refused.
    #[serde(default)]
    pub extension: Option<String>,
    pub queues: Vec<String>,
    pub langs: Vec<Lang>,
    #[serde(default)]
    pub dialects: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FloorSupervisor {
    /// The user's name, as their token names them.
    pub name: String,
    /// Their phone: `PJSIP/2000` (Asterisk) or `user/2000` (FreeSWITCH).
    pub device: String,
}

/// `[tickets]` without the simulated back office.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FloorTickets {
    pub due_min: DueMinutes,
    pub escalation_extends_min: u32,
    #[serde(default = "default_max_level")]
    pub max_level: u8,
    pub negative_end_sentiment: f64,
}

fn default_max_level() -> u8 {
    3
}

/// A loaded floor description: the scenario the engine core runs on (without arrivals, intents or behaviour: the
/// PBX does those) and the roster a bridge maps names with.
#[derive(Debug, Clone)]
pub struct FloorDescription {
    pub scenario: Scenario,
    pub roster: Roster,
}

impl FloorDescription {
    /// Reads and checks a floor description file.
    pub fn load(path: &Path) -> Result<FloorDescription, ScenarioError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
            source_name: name.clone(),
            line: None,
            message: format!("cannot read the floor description: {e}"),
        })?;
        FloorDescription::parse_at(&text, &name, path.parent())
    }

    /// Parses and checks floor description text; `source_name` names it in errors.
    pub fn parse_at(text: &str, source_name: &str, dir: Option<&Path>) -> Result<FloorDescription, ScenarioError> {
        let file: FloorFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start));
            let source = line.and_then(|l| text.lines().nth(l - 1)).map(str::trim).unwrap_or_default();
            ScenarioError {
                source_name: source_name.to_string(),
                line,
                message: locate::plain_serde_message(e.message(), source),
            }
        })?;
        let at = |path: &[&str], message: String| {
            let line = locate_key(text, path);
            ScenarioError { source_name: source_name.to_string(), line, message }
        };
        // Seat checks that the group-shaped scenario checks cannot make.
        if file.agents.is_empty() {
            return Err(at(&["agents"], "the floor description has no [[agents]]: add one per seat".into()));
        }
        for (n, a) in file.agents.iter().enumerate() {
            let what = format!("[[agents]] '{}' (seat {})", a.name, n + 1);
            if a.name.trim().is_empty() {
                return Err(at(&["agents"], format!("[[agents]] seat {} has a blank name", n + 1)));
            }
            if a.member.trim().is_empty() {
                return Err(at(
                    &["agents"],
                    format!("{what} has a blank member: give the PBX's name of the seat (PJSIP/1001, 1001@default)"),
                ));
            }
            if let Some(other) = file.agents[..n].iter().find(|o| o.member.eq_ignore_ascii_case(&a.member)) {
                return Err(at(
                    &["agents"],
                    format!(
                        "{what} has member '{}', which seat '{}' has too: one member per seat",
                        a.member, other.name
                    ),
                ));
            }
            if let Some(other) = file.agents[..n].iter().find(|o| o.name == a.name) {
                return Err(at(
                    &["agents"],
                    format!("{what}: seat '{}' has the same name: give each seat its own", other.name),
                ));
            }
        }
        for (n, s) in file.supervisors.iter().enumerate() {
            if s.name.trim().is_empty() || s.device.trim().is_empty() {
                return Err(at(
                    &["supervisors"],
                    format!("[[supervisors]] entry {} needs a name (as the token names the user) and a device", n + 1),
                ));
            }
        }
        let description = FloorDescription::from_file(&file);
        description.scenario.validate_floor(text, source_name)?;
        let mut description = description;
        description.scenario.kb = super::validate::load_knowledge(&description.scenario, text, source_name, dir)?;
        super::validate::check_card_clauses(&description.scenario, text, source_name)?;
        Ok(description)
    }

    fn from_file(file: &FloorFile) -> FloorDescription {
        let never = Dist::Infinite;
        let scenario = Scenario {
            scenario: Meta {
                id: file.scenario.id.clone(),
                title: file.scenario.title.clone(),
                description: file.scenario.description.clone(),
                start: TimeOfDay::MIDNIGHT,
                zh_share: 0.5,
                knowledge: file.scenario.knowledge.clone(),
            },
            arrivals: Arrivals { base_per_hour: 0.0, peaks: Vec::new() },
            queues: file
                .queues
                .iter()
                .map(|q| QueueSpec {
                    id: q.id.clone(),
                    name: q.name.clone(),
                    priority: q.priority,
                    sla_percent: q.sla_percent,
                    sla_seconds: q.sla_seconds,
                    skills: q.skills.clone(),
                })
                .collect(),
            agents: file
                .agents
                .iter()
                .map(|a| AgentGroup {
                    count: 1,
                    names: vec![a.name.clone()],
                    queues: a.queues.clone(),
                    langs: a.langs.clone(),
                    shift: None,
                    answer_rate: 1.0,
                    dialects: a.dialects.clone(),
                })
                .collect(),
            intents: Vec::new(),
            agent_lines: Bank::default(),
            rules: file.rules.clone(),
            thresholds: file.thresholds.clone(),
            tickets: super::schema::TicketPolicy {
                due_min: file.tickets.due_min,
                backoffice: never,
                escalation_extends_min: file.tickets.escalation_extends_min,
                max_level: file.tickets.max_level,
                negative_end_sentiment: file.tickets.negative_end_sentiment,
            },
            survey: file.survey.clone().unwrap_or(SurveyPolicy { share: 0.0, bad_score: 2, followup_min: 60 }),
            behaviour: Behaviour {
                ivr: never,
                ring_timeout_s: 0,
                answer_delay: never,
                max_no_answer: 0,
                wrap_up: never,
                line_gap: never,
                break_every: never,
                break_length: never,
                hold_share: 0.0,
                hold_length: never,
                callback_after: never,
            },
            privacy: file.privacy.clone(),
            verification: None,
            repeat: Default::default(),
            students: Vec::new(),
            student_calls: None,
            temporary_seats: Default::default(),
            callbacks: Default::default(),
            cards: file.cards.clone(),
            dialects: None,
            orders: None,
            kb: None,
        };
        // Seats are numbered as the engine numbers a scenario's groups: one seat per table, from 1.
        let roster = Roster {
            queues: file
                .queues
                .iter()
                .map(|q| RosterQueue {
                    id: QueueId::new(&q.id),
                    pbx: q.pbx.clone().unwrap_or_else(|| q.id.clone()),
                    transfer: q.transfer.clone(),
                })
                .collect(),
            agents: file
                .agents
                .iter()
                .enumerate()
                .map(|(n, a)| RosterAgent {
                    id: AgentId(n as u32 + 1),
                    name: a.name.clone(),
                    member: a.member.clone(),
                    extension: a.extension.clone(),
                })
                .collect(),
            supervisors: file
                .supervisors
                .iter()
                .map(|s| RosterSupervisor { name: s.name.clone(), device: s.device.clone() })
                .collect(),
        };
        FloorDescription { scenario, roster }
    }
}

/// The line of the first table or key named by `path`'s first step (`[[agents]]`, `[[supervisors]]`), for errors
/// the path-based locator cannot place.
fn locate_key(text: &str, path: &[&str]) -> Option<usize> {
    let key = path.first()?;
    text.lines()
        .position(|l| {
            let l = l.trim();
            l == format!("[[{key}]]") || l == format!("[{key}]") || l.starts_with(&format!("{key} ="))
        })
        .map(|i| i + 1)
}
