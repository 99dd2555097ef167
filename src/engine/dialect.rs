//! Issue 9 point 7 (dialects): who speaks a dialect or is elderly (drawn at arrival from the scenario's
//! `[dialects]`), the elderly priority bump, and the routing rule: a dialect caller waits up to `prefer_for_s` for a
//! seat that handles their dialect while one serves their queue; after that any seat of the queue may take them.

use chrono::Duration;
use rand::Rng;

use super::SimSource;
use super::sim::Fact;
use super::source::{Ctx, Source};
use crate::model::*;

/// Mixed into the seed for the dialects' own randomness.
pub(super) const DIALECT_SEED_SALT: u64 = 0x0064_6961_6c65_6374;

/// Highest priority an elderly bump reaches: urgent calls (priority 10) stay ahead.
const ELDERLY_PRIORITY_CAP: u8 = super::world::URGENT_PRIORITY - 1;

impl<S: Source> Ctx<'_, S> {
    /// Tells the floor its dialects (after `floor_opened`), when the scenario has any.
    pub(super) fn load_dialects(&mut self) {
        let Some(d) = &self.core.scenario.dialects else { return };
        if d.list.is_empty() {
            return;
        }
        let dialects = d.list.iter().map(|x| DialectInfo { id: x.id.clone(), name: x.name.clone() }).collect();
        self.emit(EventKind::DialectsLoaded { dialects });
    }
}

impl Ctx<'_, SimSource> {
    /// The arriving caller's dialect (Chinese speakers only, by the dialects' shares) and whether they are elderly.
    /// Nothing is drawn on a floor without `[dialects]`.
    pub(super) fn draw_dialect(&mut self, lang: Lang) -> (Option<String>, bool) {
        let Some(d) = &self.core.scenario.dialects else { return (None, false) };
        let mut dialect = None;
        if lang == Lang::Zh && !d.list.is_empty() {
            let mut pick = self.src.dialect_rng.random_range(0.0..1.0);
            for x in &d.list {
                pick -= x.share.max(0.0);
                if pick < 0.0 {
                    dialect = Some(x.id.clone());
                    break;
                }
            }
        }
        let elderly = d.elderly_share > 0.0 && self.src.dialect_rng.random_bool(d.elderly_share.clamp(0.0, 1.0));
        (dialect, elderly)
    }
}

impl<S: Source> Ctx<'_, S> {
    /// The queue priority of a (not urgent) call: `base`, plus the scenario's bump for an elderly caller.
    pub(super) fn elderly_bump(&self, call: CallId, base: u8) -> u8 {
        let bump = self.core.scenario.dialects.as_ref().map_or(0, |d| d.elderly_priority);
        if bump == 0 || !self.core.floor.calls.get(&call).is_some_and(|c| c.elderly) {
            return base;
        }
        base.saturating_add(bump).min(ELDERLY_PRIORITY_CAP.max(base))
    }
}

impl Ctx<'_, SimSource> {
    /// A dialect caller just queued: when their preference for a dialect seat runs out, routing looks again.
    pub(super) fn start_dialect_wait(&mut self, call: CallId) {
        let Some(prefer) = self.core.scenario.dialects.as_ref().map(|d| d.prefer_for_s) else { return };
        let Some(c) = self.core.floor.calls.get(&call) else { return };
        if prefer == 0 || c.dialect.is_none() {
            return;
        }
        let since = c.first_queued.unwrap_or(self.core.now);
        let at = since + Duration::seconds(i64::from(prefer));
        if at > self.core.now {
            self.at(at, Fact::DialectWait(call));
        }
    }

    /// Whether `call` is kept for a seat that handles its dialect, so `agent` (which does not) must leave it: the
    /// caller has waited less than `prefer_for_s` and a logged-in seat other than `agent` serves the queue, speaks
    /// the language and handles the dialect.
    pub(super) fn dialect_held(&self, call: &Call, agent: AgentId) -> bool {
        let Some(dialect) = call.dialect.as_deref() else { return false };
        let Some(prefer) = self.core.scenario.dialects.as_ref().map(|d| d.prefer_for_s) else { return false };
        let Some(queue) = call.queue.as_ref() else { return false };
        let since = call.first_queued.unwrap_or(self.core.now);
        if prefer == 0 || self.core.now - since >= Duration::seconds(i64::from(prefer)) {
            return false;
        }
        self.src.dialect_seats.iter().filter_map(|id| self.core.floor.agents.get(id)).any(|a| {
            a.id != agent
                && a.state != AgentState::Offline
                && a.dialects.iter().any(|d| d == dialect)
                && a.queues.contains(queue)
                && a.langs.contains(&call.lang)
        })
    }
}

/// Whether `agent` handles the dialect `call`'s caller speaks (false for a call without one).
pub(crate) fn handles_dialect(agent: &Agent, call: &Call) -> bool {
    call.dialect.as_deref().is_some_and(|d| agent.dialects.iter().any(|x| x == d))
}
