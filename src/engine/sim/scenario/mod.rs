//! Scenario files: one TOML file per industry floor. The format is documented in docs/SCENARIOS.md.
//! The bundled scenarios are compiled in, so the binary runs from any directory; a path overrides them.
//!
//! `schema` is the shape of the file (serde types), `time` reads its times of day, `validate` checks what serde
//! cannot, and `locate` turns a problem into the file's line and a sentence.

mod dialect;
mod edu;
mod floor;
mod locate;
mod orders;
mod schema;
mod time;
mod validate;

#[cfg(test)]
mod tests;

use std::path::Path;

pub use dialect::{DialectPolicy, DialectSpec};
pub use edu::{CallbackPolicy, ContactSpec, SeatPlan, StudentCalls, StudentSpec, TemporarySeats};
pub use floor::{FloorDescription, FloorFile};
pub use locate::{ScenarioError, line_of};
pub use orders::{CustomerSpec, ORDERS_TIMEOUT_MS, ORDERS_TIMEOUT_MS_MAX, OrderSpec, OrdersSpec};
pub use schema::{
    AgentGroup, Arrivals, Bank, Behaviour, CardSpec, CardTextSpec, Dist, DueMinutes, IntentSpec, Level, Meta,
    MoodLines, Peak, Privacy, QueueSpec, RepeatPolicy, RuleSpec, Scenario, Shift, SurveyPolicy, Thresholds,
    TicketPolicy, TicketSpec, VerificationPolicy, VerificationShares,
};
pub use time::{BadTime, TimeOfDay};
pub use validate::has_cjk;

/// The scenarios shipped with callfloor, by name.
pub const BUNDLED: &[(&str, &str)] = &[
    ("hospital", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/hospital.toml"))),
    ("bank", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/bank.toml"))),
    ("school", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/school.toml"))),
    ("gov-hotline", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/gov-hotline.toml"))),
    ("ecommerce-promo", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/ecommerce-promo.toml"))),
];

/// The scenario the demo runs when none is named.
pub const DEFAULT_SCENARIO: &str = "hospital";

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
        Scenario::parse_at(&text, &path.display().to_string(), path.parent())
    }

    /// Parses and validates scenario text; `source_name` names it in errors. A knowledge base it names is taken
    /// from the bundled ones.
    pub fn parse(text: &str, source_name: &str) -> Result<Scenario, ScenarioError> {
        Scenario::parse_at(text, source_name, None)
    }

    /// Parses and validates scenario text read from a file in `dir`, where its knowledge base is looked for first.
    pub fn parse_at(text: &str, source_name: &str, dir: Option<&Path>) -> Result<Scenario, ScenarioError> {
        let scenario: Scenario = toml::from_str(text).map_err(|e| {
            // A time of day serde refused is reported as the validator reports times: naming its key and range.
            if let Some(p) = e.span().and_then(|s| validate::bad_time(text, s.start)) {
                return p.into_error(text, source_name);
            }
            let line = e.span().map(|s| line_of(text, s.start));
            let source = line.and_then(|l| text.lines().nth(l - 1)).map(str::trim).unwrap_or_default();
            ScenarioError {
                source_name: source_name.to_string(),
                line,
                message: locate::plain_serde_message(e.message(), source),
            }
        })?;
        let mut scenario = scenario;
        scenario.validate(text, source_name)?;
        scenario.kb = validate::load_knowledge(&scenario, text, source_name, dir)?;
        validate::check_card_clauses(&scenario, text, source_name)?;
        Ok(scenario)
    }
}
