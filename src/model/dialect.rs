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
