//! Scenario keys of issue 9's point 7: `[dialects]` (the dialects callers may speak, elderly callers, how long
//! routing waits for a seat that handles the caller's dialect) and `[[agents]] dialects`.

use serde::Deserialize;

/// `[dialects]`: dialects some Chinese-speaking callers speak, and elderly callers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DialectPolicy {
    /// How long (floor-seconds since the call first queued) a dialect caller waits for a free seat that handles
    /// their dialect before any seat of the queue may take them; 0: prefer such a seat only when one is free.
    #[serde(default = "default_prefer_for_s")]
    pub prefer_for_s: u32,
    /// Share of callers (0..1, any language) who are elderly.
    #[serde(default)]
    pub elderly_share: f64,
    /// Added to an elderly caller's queue priority (0..8; urgent calls stay ahead at priority 9).
    #[serde(default)]
    pub elderly_priority: u8,
    /// `[[dialects.list]]`: the dialects, in the order the console shows them.
    #[serde(default)]
    pub list: Vec<DialectSpec>,
}

fn default_prefer_for_s() -> u32 {
    60
}

/// `[[dialects.list]]`: one dialect.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DialectSpec {
    /// Short id seats list in `dialects`, e.g. `yue`.
    pub id: String,
    /// Name shown on the console, e.g. `粤语`.
    pub name: String,
    /// Share (0..1) of Chinese-speaking callers who speak it; the shares of all dialects add up to at most 1.
    pub share: f64,
}
