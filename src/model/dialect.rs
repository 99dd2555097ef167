//! Issue 9 point 7 (dialects): the dialects a floor's callers may speak, with the names the console shows.
//! A call carries the dialect id its caller speaks (and whether the caller is elderly); a seat lists the dialect
//! ids it handles; routing prefers those seats for a while.

use serde::{Deserialize, Serialize};

/// One dialect of the floor: a short id (`yue`) and the name shown to supervisors (`粤语`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DialectInfo {
    pub id: String,
    pub name: String,
}

impl super::Floor {
    /// The name shown for dialect `id`: its scenario name, else the id itself (an id the floor was never told of).
    pub fn dialect_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.dialects.iter().find(|d| d.id == id).map_or(id, |d| d.name.as_str())
    }

    /// Queued calls whose caller speaks a dialect, per dialect in the floor's order: `(id, name, waiting)`, only
    /// dialects with a waiter. `queue` narrows it to one queue.
    pub fn dialect_waiters(&self, queue: Option<&super::QueueId>) -> Vec<(&str, &str, u32)> {
        let mut out: Vec<(&str, &str, u32)> =
            self.dialects.iter().map(|d| (d.id.as_str(), d.name.as_str(), 0)).collect();
        if out.is_empty() {
            return out;
        }
        for q in &self.queues {
            if queue.is_some_and(|want| *want != q.id) {
                continue;
            }
            for w in &q.waiting {
                let Some(d) = self.calls.get(&w.call).and_then(|c| c.dialect.as_deref()) else { continue };
                if let Some(slot) = out.iter_mut().find(|s| s.0 == d) {
                    slot.2 += 1;
                }
            }
        }
        out.retain(|s| s.2 > 0);
        out
    }
}

/// The dialect part of the staffing hint: callers of one dialect waiting, and the seats that handle it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DialectStaffing {
    /// The dialect's id.
    pub dialect: String,
    /// Its callers queued now.
    pub waiting: u32,
    /// Logged-in seats (not offline) that handle it.
    pub seats: u32,
    /// Of those, the seats free to take a call now.
    pub free: u32,
}

impl DialectStaffing {
    /// Whether the floor should add a seat for this dialect: more of its callers wait than its seats are free.
    pub fn short(&self) -> bool {
        self.waiting > self.free
    }
}

impl super::Floor {
    /// The dialect staffing hint: per dialect of the floor (in its order), its waiting callers and its seats.
    /// Empty on a floor without dialects.
    pub fn dialect_staffing(&self) -> Vec<DialectStaffing> {
        let mut out: Vec<DialectStaffing> =
            self.dialects.iter().map(|d| DialectStaffing { dialect: d.id.clone(), ..Default::default() }).collect();
        if out.is_empty() {
            return out;
        }
        for (id, _, n) in self.dialect_waiters(None) {
            if let Some(s) = out.iter_mut().find(|s| s.dialect == id) {
                s.waiting = n;
            }
        }
        for a in self.agents.values().filter(|a| !a.dialects.is_empty() && a.state != super::AgentState::Offline) {
            for d in &a.dialects {
                if let Some(s) = out.iter_mut().find(|s| &s.dialect == d) {
                    s.seats += 1;
                    s.free += u32::from(a.state == super::AgentState::Available);
                }
            }
        }
        out
    }
}
