//! Contact-center metrics over sliding windows, Erlang C and Erlang A. STUB (contract only).

use crate::model::{Event, Floor, FloorMetrics, Time};

/// Follows the event stream and computes [`FloorMetrics`] over a sliding window.
#[derive(Debug, Clone)]
pub struct MetricsTracker {
    window_s: u32,
}

impl MetricsTracker {
    pub fn new(window_s: u32) -> Self {
        MetricsTracker { window_s }
    }

    /// Feeds one event; `before` is the floor as it was just before the event was applied.
    pub fn observe(&mut self, _ev: &Event, _before: &Floor) {}

    /// Figures for every queue and the floor at floor time `now`.
    pub fn snapshot(&self, _floor: &Floor, now: Time) -> FloorMetrics {
        FloorMetrics { at: Some(now), window_s: self.window_s, ..Default::default() }
    }
}

/// Erlang C probability that a call waits, with `n` agents and `a` Erlangs offered (1.0 when n <= a).
pub fn erlang_c(_n: u32, _a: f64) -> f64 {
    1.0
}
