//! Metric figures as they travel to the console (computed by `engine::metrics`). See docs/METRICS.md.

use serde::{Deserialize, Serialize};

use super::ids::QueueId;
use super::types::Time;

/// Agents of a queue (or the floor) by state.
#[derive(Clone, Copy, PartialEq, Eq, Default, Debug, Serialize, Deserialize)]
pub struct AgentCounts {
    pub available: u32,
    pub ringing: u32,
    pub on_call: u32,
    pub wrap_up: u32,
    #[serde(rename = "break")]
    pub on_break: u32,
    pub offline: u32,
}

impl AgentCounts {
    /// Agents in `state`.
    pub fn get(&self, state: super::types::AgentState) -> u32 {
        use super::types::AgentState as S;
        match state {
            S::Available => self.available,
            S::Ringing => self.ringing,
            S::OnCall => self.on_call,
            S::WrapUp => self.wrap_up,
            S::Break => self.on_break,
            S::Offline => self.offline,
        }
    }

    /// Counts one more agent in `state`.
    pub fn add(&mut self, state: super::types::AgentState) {
        use super::types::AgentState as S;
        match state {
            S::Available => self.available += 1,
            S::Ringing => self.ringing += 1,
            S::OnCall => self.on_call += 1,
            S::WrapUp => self.wrap_up += 1,
            S::Break => self.on_break += 1,
            S::Offline => self.offline += 1,
        }
    }
    /// Logged-in seats (everything but offline).
    pub fn staffed(&self) -> u32 {
        self.available + self.ringing + self.on_call + self.wrap_up + self.on_break
    }
    /// Seats busy with a call (ringing, talking or wrapping up).
    pub fn busy(&self) -> u32 {
        self.ringing + self.on_call + self.wrap_up
    }
}

/// Staffing hint for a queue: how many seats reach its SLA target at the current arrival rate.
#[derive(Clone, Copy, PartialEq, Default, Debug, Serialize, Deserialize)]
pub struct Staffing {
    /// Seats serving the queue now (logged in and not on break).
    pub agents: u32,
    /// Arrivals per hour over the window.
    pub arrivals_per_hour: f64,
    /// Offered load in Erlangs (arrival rate × AHT).
    pub erlangs: f64,
    /// Seats Erlang C says reach the target (ignores abandonment, so it overstates).
    pub erlang_c: Option<u32>,
    /// Seats Erlang A says reach the target with the observed patience.
    pub erlang_a: Option<u32>,
    /// Mean patience used for Erlang A, seconds (None when nobody abandoned: infinite).
    pub patience_s: Option<f64>,
}

/// One queue's figures over the sliding window (or the whole floor, with `queue` = "floor").
#[derive(Clone, PartialEq, Default, Debug, Serialize, Deserialize)]
pub struct QueueMetrics {
    pub queue: QueueId,
    pub offered: u32,
    pub answered: u32,
    pub abandoned: u32,
    /// Abandoned within the SL threshold (counted neither way in SL).
    pub short_abandoned: u32,
    pub answered_in_sl: u32,
    /// answered within T ÷ (answered + abandoned after T); None before any call counts.
    pub service_level: Option<f64>,
    pub sl_target: f64,
    pub sl_seconds: u32,
    pub asa_s: Option<f64>,
    pub aht_s: Option<f64>,
    pub abandon_rate: Option<f64>,
    pub occupancy: Option<f64>,
    pub longest_wait_s: f64,
    pub waiting: u32,
    pub agents: AgentCounts,
    pub staffing: Staffing,
}

#[derive(Clone, PartialEq, Default, Debug, Serialize, Deserialize)]
pub struct FloorMetrics {
    pub at: Option<Time>,
    /// Length of the sliding window, floor-seconds.
    pub window_s: u32,
    pub floor: QueueMetrics,
    pub queues: Vec<QueueMetrics>,
    /// Calls arriving per floor-minute, oldest first, for the arrivals sparkline.
    pub arrivals_per_min: Vec<u32>,
    /// How the engine's store is doing (absent when the engine keeps no store).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<StoreStatus>,
    /// Suggestion cards since the floor opened: how often each was suggested and used (absent on a floor without).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cards: Vec<CardCount>,
    /// The staffing hint's dialect part: per dialect of the floor, callers waiting and seats handling it (absent on
    /// a floor without dialects, and in the engine's frequent checks that skip the staffing search).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dialects: Vec<super::DialectStaffing>,
    /// How the link to the PBX is doing (absent on a simulated floor).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceStatus>,
}

/// The health of a PBX source (`--source ami://…` or `esl://…`), as it travels in metrics frames and `tail`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceStatus {
    /// `ami` or `esl`.
    pub kind: String,
    /// `host:port` of the PBX (never the secret).
    pub target: String,
    /// Logged in and past the snapshot: the floor follows the PBX. False while (re)connecting: the floor is stale.
    pub connected: bool,
    /// When the link last came up or went down, on the floor's clock (a PBX floor runs on the engine host's local time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<Time>,
    /// Times the link was lost and made again.
    #[serde(default)]
    pub reconnects: u64,
    /// Messages (AMI) or events (ESL) read from the PBX.
    #[serde(default)]
    pub frames: u64,
    /// Events of a kind the bridge does not use, skipped.
    #[serde(default)]
    pub unknown: u64,
    /// Events missing a field the bridge needs, or frames it could not read, skipped.
    #[serde(default)]
    pub malformed: u64,
    /// Observations the floor could not apply (an answer for a call it never saw, an end of an ended call), dropped.
    #[serde(default)]
    pub out_of_order: u64,
    /// Why the link is down (or the last action the PBX refused), in one sentence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One suggestion card's counts since the floor opened (not windowed: cards are few and their use is a day's story).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardCount {
    pub card: String,
    /// Calls it was suggested on.
    pub suggested: u32,
    /// Calls whose agent used it.
    pub used: u32,
}

/// How the engine's store is doing, as it travels in metrics frames.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreStatus {
    /// False while the last write failed (the rows are kept and retried).
    pub ok: bool,
    /// The last write's error while failing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Rows waiting to be written.
    #[serde(default)]
    pub pending: u64,
}
