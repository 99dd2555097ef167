//! The lists the views show, as pure functions of (floor, filter, sort, time), and the selection state that keeps a
//! list still while the floor moves under it.
//!
//! Columns are data ([`Column`]): the views draw them, the sort and the filter read them, `:sort` completes them.
//! A [`ListState`] keeps the selection on the same row id (or its neighbour when that row leaves) and scrolls only
//! when the user moves.

use std::collections::HashSet;

use crate::model::*;

/// The six lists, one per list view.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ListKind {
    Calls,
    Agents,
    Alerts,
    Tickets,
    Callbacks,
    Audit,
}

impl ListKind {
    pub const ALL: [ListKind; 6] =
        [ListKind::Calls, ListKind::Agents, ListKind::Alerts, ListKind::Tickets, ListKind::Callbacks, ListKind::Audit];

    /// The list's columns, in display order.
    pub fn columns(self) -> &'static [Column] {
        match self {
            ListKind::Calls => CALL_COLUMNS,
            ListKind::Agents => AGENT_COLUMNS,
            ListKind::Alerts => ALERT_COLUMNS,
            ListKind::Tickets => TICKET_COLUMNS,
            ListKind::Callbacks => CALLBACK_COLUMNS,
            ListKind::Audit => AUDIT_COLUMNS,
        }
    }

    /// The columns drawn at `wide` (≥ 120 columns) or not on `floor`: those not hidden at that width, less those
    /// of a feature the floor does not use (they would only be blank).
    pub fn shown_columns(self, wide: bool, floor: &Floor) -> Vec<&'static Column> {
        self.columns().iter().filter(|c| c.width(wide) != Width::Hidden && self.applies(c.key, floor)).collect()
    }

    /// Whether column `key` means anything on `floor`: the identity-verification column only where calls are
    /// verified (the bank's floor), not on floors whose calls carry no verification.
    pub fn applies(self, key: &str, floor: &Floor) -> bool {
        match (self, key) {
            (ListKind::Calls, "id") => floor.calls.values().any(|c| c.verification.is_some()),
            _ => true,
        }
    }

    /// The order a list starts in.
    pub fn default_sort(self) -> Sort {
        let column = match self {
            ListKind::Calls => "wait",
            ListKind::Agents => "queues",
            ListKind::Alerts => "raised",
            ListKind::Tickets => "due",
            ListKind::Callbacks => "hung_up",
            ListKind::Audit => "when",
        };
        Sort { column, reverse: false }
    }

    /// Names `:sort` takes for this list.
    pub fn sort_names(self) -> Vec<&'static str> {
        self.columns().iter().map(|c| c.key).collect()
    }

    /// The column named `key` (case-insensitive; the title works too).
    pub fn column(self, key: &str) -> Option<&'static Column> {
        let k = key.to_lowercase();
        self.columns().iter().find(|c| c.key == k || c.title.to_lowercase() == k)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// How wide a column is on a narrow (< 120 columns) or wide terminal.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Width {
    /// Not shown at this width.
    Hidden,
    Fixed(u16),
    /// Takes the room left.
    Fill,
}

/// Whether a column's natural order is smallest or largest first (the sort `reverse` flips it).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Dir {
    Asc,
    Desc,
}

/// One column of a list.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Column {
    /// Lower-case name, as `:sort` takes it.
    pub key: &'static str,
    /// Header text.
    pub title: &'static str,
    pub narrow: Width,
    pub wide: Width,
    /// The order sorting by this column starts with.
    pub dir: Dir,
}

impl Column {
    /// The width at `wide` (≥ 120 columns) or not.
    pub fn width(&self, wide: bool) -> Width {
        if wide { self.wide } else { self.narrow }
    }
}

const fn col(key: &'static str, title: &'static str, narrow: Width, wide: Width, dir: Dir) -> Column {
    Column { key, title, narrow, wide, dir }
}

use Dir::{Asc, Desc};
use Width::{Fill, Fixed, Hidden};

/// Columns of the Calls view.
pub const CALL_COLUMNS: &[Column] = &[
    col("call", "Call", Fixed(7), Fixed(7), Asc),
    col("queue", "Queue", Fixed(12), Fixed(12), Asc),
    col("state", "State", Fixed(9), Fixed(9), Asc),
    col("wait", "Wait", Fixed(6), Fixed(6), Desc),
    col("talk", "Talk", Fixed(6), Fixed(6), Desc),
    col("agent", "Agent", Fixed(5), Fixed(5), Asc),
    // Wide enough for the emotion word that may follow the value: `-0.62 conf.`, `-0.62 confused`.
    col("sentiment", "Sentiment", Fixed(11), Fixed(14), Asc),
    col("flags", "Flags", Fixed(6), Fixed(6), Desc),
    col("id", "ID", Hidden, Fixed(5), Asc),
    col("pri", "Pri", Hidden, Fixed(3), Desc),
    col("lang", "Lang", Hidden, Fixed(4), Asc),
    col("caller", "Caller", Hidden, Fixed(15), Asc),
    col("intent", "Intent", Fill, Fixed(18), Asc),
    col("supervisors", "Supervisors", Hidden, Fill, Desc),
];

/// Columns of the Agents view.
pub const AGENT_COLUMNS: &[Column] = &[
    col("seat", "Seat", Fixed(5), Fixed(5), Asc),
    col("name", "Name", Fixed(12), Fixed(16), Asc),
    col("state", "State", Fixed(9), Fixed(9), Asc),
    col("for", "For", Fixed(7), Fixed(7), Desc),
    col("call", "Call", Fixed(7), Fixed(7), Asc),
    col("done", "Done", Fixed(4), Fixed(4), Desc),
    col("missed", "Missed", Hidden, Fixed(6), Desc),
    col("langs", "Langs", Hidden, Fixed(6), Asc),
    col("queues", "Queues", Fill, Fill, Asc),
];

/// Columns of the Alerts view.
pub const ALERT_COLUMNS: &[Column] = &[
    col("raised", "Raised", Fixed(8), Fixed(8), Desc),
    col("alert", "Alert", Fixed(6), Fixed(6), Desc),
    col("sev", "Sev", Fixed(4), Fixed(4), Desc),
    col("kind", "Kind", Fixed(9), Fixed(18), Asc),
    col("subject", "Subject", Fixed(7), Fixed(12), Asc),
    col("message", "Message", Fill, Fill, Asc),
    col("ack", "Ack", Fixed(6), Fixed(20), Asc),
];

/// Columns of the Tickets view.
pub const TICKET_COLUMNS: &[Column] = &[
    col("ticket", "Ticket", Fixed(6), Fixed(6), Asc),
    col("prio", "Prio", Fixed(6), Fixed(6), Desc),
    col("status", "Status", Fixed(7), Fixed(7), Asc),
    col("due", "Due in", Fixed(11), Fixed(11), Asc),
    col("call", "Call", Fixed(7), Fixed(7), Asc),
    col("category", "Category", Hidden, Fixed(16), Asc),
    col("notes", "Notes", Hidden, Fixed(5), Desc),
    col("summary", "Summary", Fill, Fill, Asc),
];

/// Columns of the Callbacks view.
pub const CALLBACK_COLUMNS: &[Column] = &[
    col("call", "Call", Fixed(7), Fixed(7), Asc),
    col("caller", "Caller", Fixed(15), Fixed(15), Asc),
    col("lang", "Lang", Hidden, Fixed(4), Asc),
    col("queue", "Queue", Fixed(12), Fixed(12), Asc),
    col("hung_up", "Hung up", Fixed(8), Fixed(8), Asc),
    col("waited", "Waited", Fixed(6), Fixed(6), Desc),
    col("status", "Status", Fixed(11), Fixed(11), Asc),
    col("to", "To", Hidden, Fixed(10), Asc),
    col("tries", "Tries", Hidden, Fixed(5), Desc),
    col("promised", "Promised", Hidden, Fixed(9), Asc),
    col("intent", "Intent", Fill, Fill, Asc),
];

/// Columns of the Audit view.
pub const AUDIT_COLUMNS: &[Column] = &[
    col("when", "When", Fixed(8), Fixed(8), Desc),
    col("who", "Who", Fixed(10), Fixed(10), Asc),
    col("role", "Role", Fixed(10), Fixed(10), Asc),
    col("command", "Command", Fixed(24), Fixed(44), Asc),
    col("outcome", "Outcome", Fill, Fill, Asc),
];

/// A list's order: a column (its key) and whether the column's natural order is reversed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Sort {
    pub column: &'static str,
    pub reverse: bool,
}

impl Sort {
    /// "wait ↓" as titles show it: the arrow points the way values run down the list.
    pub fn label(&self, kind: ListKind) -> String {
        let dir = kind.column(self.column).map(|c| c.dir).unwrap_or(Asc);
        let desc = (dir == Desc) != self.reverse;
        format!("{} {}", self.column, if desc { "↓" } else { "↑" })
    }
}

/// What identifies a row across updates.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum RowId {
    Call(CallId),
    Agent(AgentId),
    Alert(AlertId),
    Ticket(TicketId),
    /// An audit entry: its time and its place among entries of the same time.
    Audit(Time, u32),
}

impl RowId {
    pub fn call(self) -> Option<CallId> {
        match self {
            RowId::Call(c) => Some(c),
            _ => None,
        }
    }
    pub fn agent(self) -> Option<AgentId> {
        match self {
            RowId::Agent(a) => Some(a),
            _ => None,
        }
    }
    pub fn alert(self) -> Option<AlertId> {
        match self {
            RowId::Alert(a) => Some(a),
            _ => None,
        }
    }
    pub fn ticket(self) -> Option<TicketId> {
        match self {
            RowId::Ticket(t) => Some(t),
            _ => None,
        }
    }
}

/// A sort value: numbers and text, compared within one column.
#[derive(Clone, PartialEq, Debug)]
enum Key {
    Num(f64),
    Text(String),
}

impl Key {
    fn cmp(&self, other: &Key) -> std::cmp::Ordering {
        match (self, other) {
            (Key::Num(a), Key::Num(b)) => a.total_cmp(b),
            (Key::Text(a), Key::Text(b)) => a.cmp(b),
            (Key::Num(_), Key::Text(_)) => std::cmp::Ordering::Less,
            (Key::Text(_), Key::Num(_)) => std::cmp::Ordering::Greater,
        }
    }
}

fn secs_between(a: Time, b: Time) -> f64 {
    (b - a).num_milliseconds() as f64 / 1000.0
}

fn text(s: impl Into<String>) -> Key {
    Key::Text(s.into())
}

fn num(v: impl Into<f64>) -> Key {
    Key::Num(v.into())
}

/// Seconds a call has waited as the Wait column shows it, or None when it never queued (blank).
pub fn call_wait(c: &Call, now: Time) -> Option<f64> {
    c.first_queued.map(|_| c.wait_secs(now))
}

fn call_key(col: &str, c: &Call, now: Time) -> Key {
    match col {
        "call" => num(c.id.0),
        "queue" => text(c.queue.as_ref().map(|q| q.as_str()).unwrap_or("")),
        "state" => num(c.state as u8),
        // Calls that never queued (still in the IVR) have no wait: they sort after every call that has one.
        "wait" => num(call_wait(c, now).unwrap_or(-1.0)),
        "talk" => num(if c.answered.is_some() { c.talk_secs(now) } else { -1.0 }),
        "agent" => num(c.agent.map(|a| a.0 as f64).unwrap_or(f64::MAX)),
        "sentiment" => num(if c.sentiment_trail.is_empty() { f64::MAX } else { c.sentiment as f64 }),
        "flags" => num(u8::from(c.confirmation.as_ref().is_some_and(|k| k.is_pending())) * 4
            + u8::from(c.flags.urgent) * 2
            + u8::from(c.flags.risk)),
        // Failed first, then unverified, then verified; floors that do not verify last.
        "id" => num(match c.verification {
            Some(Verification::Failed) => 0,
            Some(Verification::Unverified) => 1,
            Some(Verification::Otp) => 2,
            Some(Verification::Voiceprint) => 3,
            None => 4,
        }),
        "pri" => num(c.priority),
        "lang" => text(c.lang.as_str()),
        "caller" => text(c.caller.clone()),
        "intent" => text(c.intent.clone()),
        "supervisors" => num(c.supervisors.len() as f64),
        _ => num(0.0),
    }
}

fn agent_key(col: &str, a: &Agent, floor: &Floor, now: Time) -> Key {
    match col {
        "seat" => num(a.id.0),
        "name" => text(a.name.to_lowercase()),
        "state" => num(a.state as u8),
        "for" => num(secs_between(a.since, now)),
        "call" => num(a.call.map(|c| c.0 as f64).unwrap_or(f64::MAX)),
        "done" => num(a.handled),
        "missed" => num(a.missed),
        "langs" => text(a.langs.iter().map(|l| l.as_str()).collect::<Vec<_>>().join(",")),
        // The floor's queue order, so seats group by the queue they serve first.
        "queues" => {
            num(a.queues.first().and_then(|q| floor.queues.iter().position(|x| &x.id == q)).unwrap_or(usize::MAX)
                as f64)
        }
        _ => num(0.0),
    }
}

fn alert_key(col: &str, a: &Alert) -> Key {
    match col {
        "raised" | "alert" => num(a.id.0),
        "sev" => num(a.severity as u8),
        "kind" => text(a.kind.as_str()),
        "subject" => text(a.subject.clone()),
        "message" => text(a.message.clone()),
        "ack" => text(a.acked.as_ref().map(|k| k.by.clone()).unwrap_or_default()),
        _ => num(0.0),
    }
}

fn ticket_key(col: &str, t: &Ticket) -> Key {
    match col {
        "ticket" => num(t.id.0),
        "prio" => num(t.priority as u8),
        "status" => text(t.status_label()),
        "due" => num(t.due.timestamp_millis() as f64),
        "call" => num(t.call.map(|c| c.0 as f64).unwrap_or(f64::MAX)),
        "category" => text(t.category.clone()),
        "notes" => num(t.notes.len() as f64),
        "summary" => text(t.summary.clone()),
        _ => num(0.0),
    }
}

fn callback_key(col: &str, c: &Callback) -> Key {
    match col {
        "call" => num(c.call.0),
        "caller" => text(c.caller.clone()),
        "lang" => text(c.lang.as_str()),
        "queue" => text(c.queue.as_ref().map(|q| q.as_str()).unwrap_or("")),
        "hung_up" => num(c.abandoned.timestamp_millis() as f64),
        "waited" => num(c.waited_s),
        "status" => num(c.status as u8),
        "to" => text(c.assigned.as_ref().map(|a| a.target()).unwrap_or_default()),
        "tries" => num(c.attempts.len() as f64),
        "promised" => num(c.promised.map_or(f64::MAX, |p| p.timestamp_millis() as f64)),
        "intent" => text(c.intent.clone()),
        _ => num(0.0),
    }
}

fn audit_key(col: &str, e: &AuditEntry, pos: usize) -> Key {
    match col {
        "when" => num(pos as f64),
        "who" => text(e.actor.clone()),
        "role" => text(e.role.as_str()),
        "command" => text(e.command.clone()),
        "outcome" => text(if e.ok { "ok".to_string() } else { e.outcome.clone() }),
        _ => num(0.0),
    }
}

/// Text a filter looks in: every column a user can read, lower-cased, plus words for flags and severities.
fn call_hay(f: &Floor, c: &Call) -> String {
    let mut s = format!(
        "{} {} {} {} {} {} {}",
        c.id,
        c.queue.as_ref().map(|q| q.as_str()).unwrap_or(""),
        c.state.as_str(),
        c.agent.map(|a| a.to_string()).unwrap_or_default(),
        c.intent,
        c.lang.as_str(),
        c.caller
    );
    for p in &c.supervisors {
        s.push(' ');
        s.push_str(&p.supervisor);
        s.push(' ');
        s.push_str(p.mode.as_str());
    }
    if c.flags.urgent {
        s.push_str(" urgent");
    }
    if c.flags.risk {
        s.push_str(" risk");
    }
    // Dialect callers by the dialect's id or name (`yue`, `粤语`), elderly ones by `elderly` or `老`.
    if let Some(d) = c.dialect.as_deref() {
        s.push_str(&format!(" {d} {} dialect", f.dialect_name(d)));
    }
    if c.elderly {
        s.push_str(" elderly 老");
    }
    s.to_lowercase()
}

fn agent_hay(f: &Floor, a: &Agent) -> String {
    let dialects: String = a.dialects.iter().map(|d| format!(" {d} {}", f.dialect_name(d))).collect();
    let queues: Vec<&str> = a.queues.iter().map(|q| q.as_str()).collect();
    let langs: Vec<&str> = a.langs.iter().map(|l| l.as_str()).collect();
    let temp = a.temporary.as_ref().map(|t| format!(" temporary {}", t.origin.as_str())).unwrap_or_default();
    format!(
        "{} {} {} {} {} {}{temp}{dialects}",
        a.id,
        a.name,
        a.state.as_str(),
        a.call.map(|c| c.to_string()).unwrap_or_default(),
        queues.join(" "),
        langs.join(" ")
    )
    .to_lowercase()
}

fn alert_hay(a: &Alert) -> String {
    let sev = match a.severity {
        Severity::Critical => "crit critical",
        Severity::Warning => "warn warning",
        Severity::Info => "info",
    };
    let state = if a.acked.is_some() { "acked" } else { "open" };
    let by = a.acked.as_ref().map(|k| k.by.as_str()).unwrap_or("");
    format!("{} {sev} {} {} {} {state} {by}", a.id, a.kind.as_str(), a.subject, a.message).to_lowercase()
}

fn ticket_hay(t: &Ticket) -> String {
    format!(
        "{} {} {} {} {} {}",
        t.id,
        t.priority.as_str(),
        t.status_label(),
        t.call.map(|c| c.to_string()).unwrap_or_default(),
        t.category,
        t.summary
    )
    .to_lowercase()
}

fn callback_hay(c: &Callback) -> String {
    format!(
        "{} {} {} {} {} {} {}",
        c.call,
        c.caller,
        c.lang.as_str(),
        c.queue.as_ref().map(|q| q.as_str()).unwrap_or(""),
        c.intent,
        c.status.as_str(),
        c.assigned.as_ref().map(|a| a.target()).unwrap_or_default()
    )
    .to_lowercase()
}

fn audit_hay(e: &AuditEntry) -> String {
    format!("{} {} {} {}", e.actor, e.role.as_str(), e.command, if e.ok { "ok" } else { &e.outcome }).to_lowercase()
}

/// Whether a row's text holds every word of the filter (case-insensitive).
fn matches(hay: &str, words: &[String]) -> bool {
    words.iter().all(|w| hay.contains(w.as_str()))
}

/// The rows of a list: those matching `filter` (every word, case-insensitive), ordered by `sort`. Ties keep the
/// list's default order, so equal rows never swap places between updates.
pub fn rows(kind: ListKind, floor: &Floor, now: Time, filter: &str, sort: Sort) -> Vec<RowId> {
    let words: Vec<String> = filter.split_whitespace().map(str::to_lowercase).collect();
    let ok = |hay: &dyn Fn() -> String| words.is_empty() || matches(&hay(), &words);
    let dir = kind.column(sort.column).map(|c| c.dir).unwrap_or(Asc);
    let flip = (dir == Desc) != sort.reverse;
    let mut keyed: Vec<(Key, RowId)> = match kind {
        ListKind::Calls => floor
            .calls
            .values()
            .filter(|c| ok(&|| call_hay(floor, c)))
            .map(|c| (call_key(sort.column, c, now), RowId::Call(c.id)))
            .collect(),
        ListKind::Agents => floor
            .agents
            .values()
            .filter(|a| ok(&|| agent_hay(floor, a)))
            .map(|a| (agent_key(sort.column, a, floor, now), RowId::Agent(a.id)))
            .collect(),
        ListKind::Alerts => floor
            .alerts
            .values()
            .rev()
            .filter(|a| ok(&|| alert_hay(a)))
            .map(|a| (alert_key(sort.column, a), RowId::Alert(a.id)))
            .collect(),
        ListKind::Tickets => floor
            .tickets
            .values()
            .filter(|t| t.status != TicketStatus::Resolved)
            .filter(|t| ok(&|| ticket_hay(t)))
            .map(|t| (ticket_key(sort.column, t), RowId::Ticket(t.id)))
            .collect(),
        ListKind::Callbacks => floor
            .callbacks
            .iter()
            .filter(|c| ok(&|| callback_hay(c)))
            .map(|c| (callback_key(sort.column, c), RowId::Call(c.call)))
            .collect(),
        ListKind::Audit => {
            let mut out = Vec::new();
            let mut prev: Option<(Time, u32)> = None;
            for (pos, e) in floor.audit.iter().enumerate() {
                let n = match prev {
                    Some((t, n)) if t == e.at => n + 1,
                    _ => 0,
                };
                prev = Some((e.at, n));
                if ok(&|| audit_hay(e)) {
                    out.push((audit_key(sort.column, e, pos), RowId::Audit(e.at, n)));
                }
            }
            // Newest first is the default order the ties keep.
            out.reverse();
            out
        }
    };
    // A stable sort: rows with equal keys keep the default order they were listed in.
    keyed.sort_by(|a, b| if flip { b.0.cmp(&a.0) } else { a.0.cmp(&b.0) });
    keyed.into_iter().map(|(_, id)| id).collect()
}

/// A list as the user sees it: its rows, the selected row (kept by id), the first row shown, its filter and sort,
/// and whether it is paused.
#[derive(Clone, Debug, PartialEq)]
pub struct ListState {
    pub rows: Vec<RowId>,
    /// The selected row's place in `rows`.
    pub index: usize,
    /// The selected row.
    pub sel: Option<RowId>,
    /// The first row shown: it changes only when the user moves (or the list gets too short to fill it).
    pub top: usize,
    pub filter: String,
    pub sort: Sort,
    /// A paused list keeps its rows until it is resumed.
    pub paused: bool,
}

impl ListState {
    fn new(kind: ListKind) -> ListState {
        ListState {
            rows: Vec::new(),
            index: 0,
            sel: None,
            top: 0,
            filter: String::new(),
            sort: kind.default_sort(),
            paused: false,
        }
    }

    /// Takes a new row list. The selection stays on its row; if that row left, it moves to the row that followed
    /// it (or, at the end, the one before). The first row shown stays put unless the list got too short to fill
    /// `page` rows from it.
    pub fn relist(&mut self, rows: Vec<RowId>, page: usize) {
        let old = std::mem::replace(&mut self.rows, rows);
        match self.sel.and_then(|s| self.rows.iter().position(|r| *r == s)) {
            Some(i) => self.index = i,
            None if self.sel.is_some() => {
                let present: HashSet<&RowId> = self.rows.iter().collect();
                let at = self.index.min(old.len());
                let after = old.iter().skip(at + 1).find(|r| present.contains(r));
                let before = old.iter().take(at).rev().find(|r| present.contains(r));
                let next = after.or(before).copied();
                self.index = next.and_then(|n| self.rows.iter().position(|r| *r == n)).unwrap_or(0);
            }
            None => self.index = self.index.min(self.rows.len().saturating_sub(1)),
        }
        self.sel = self.rows.get(self.index).copied();
        let max_top = self.rows.len().saturating_sub(page.max(1));
        self.top = self.top.min(max_top);
    }

    /// Moves the selection by `by` rows (clamped), scrolling just enough to keep it in a window of `page` rows.
    pub fn move_by(&mut self, by: i64, page: usize) {
        if self.rows.is_empty() {
            return;
        }
        let last = self.rows.len() as i64 - 1;
        self.index = (self.index as i64).saturating_add(by).clamp(0, last) as usize;
        self.sel = self.rows.get(self.index).copied();
        self.reveal(page);
    }

    /// Selects `row` if it is listed.
    pub fn select(&mut self, row: RowId, page: usize) {
        if let Some(i) = self.rows.iter().position(|r| *r == row) {
            self.index = i;
            self.sel = Some(row);
            self.reveal(page);
        }
    }

    /// Scrolls so the selection is in view.
    pub fn reveal(&mut self, page: usize) {
        let page = page.max(1);
        if self.index < self.top {
            self.top = self.index;
        } else if self.index >= self.top + page {
            self.top = self.index + 1 - page;
        }
    }

    /// The selected row, if the list has one.
    pub fn selected(&self) -> Option<RowId> {
        self.sel.filter(|_| !self.rows.is_empty())
    }

    /// Whether the selected row is above (`Some(true)`), below (`Some(false)`) or inside a window of `page` rows.
    pub fn off_screen(&self, page: usize) -> Option<bool> {
        self.selected()?;
        if self.index < self.top {
            Some(true)
        } else if self.index >= self.top + page.max(1) {
            Some(false)
        } else {
            None
        }
    }
}

/// Every list's state.
#[derive(Clone, Debug, PartialEq)]
pub struct Lists([ListState; 6]);

impl Default for Lists {
    fn default() -> Self {
        Lists(ListKind::ALL.map(ListState::new))
    }
}

impl std::ops::Index<ListKind> for Lists {
    type Output = ListState;
    fn index(&self, k: ListKind) -> &ListState {
        &self.0[k.index()]
    }
}

impl std::ops::IndexMut<ListKind> for Lists {
    fn index_mut(&mut self, k: ListKind) -> &mut ListState {
        &mut self.0[k.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: u32) -> Vec<RowId> {
        (0..n).map(|i| RowId::Call(CallId(i))).collect()
    }

    #[test]
    fn the_selection_stays_on_its_row_and_moves_to_the_neighbour_when_it_leaves() {
        let mut l = ListState::new(ListKind::Calls);
        l.relist(ids(10), 5);
        l.move_by(3, 5);
        assert_eq!(l.sel, Some(RowId::Call(CallId(3))));
        // Reordered: the selection follows its row.
        let mut r = ids(10);
        r.reverse();
        l.relist(r, 5);
        assert_eq!((l.sel, l.index), (Some(RowId::Call(CallId(3))), 6));
        // Its row leaves: the row that followed it is selected.
        let r: Vec<RowId> = ids(10).into_iter().rev().filter(|r| *r != RowId::Call(CallId(3))).collect();
        l.relist(r, 5);
        assert_eq!(l.sel, Some(RowId::Call(CallId(2))));
        // The last row leaves: the one before it.
        l.move_by(100, 5);
        let last = l.sel;
        let r: Vec<RowId> = l.rows.iter().copied().filter(|r| Some(*r) != last).collect();
        l.relist(r, 5);
        assert_eq!(l.sel, Some(RowId::Call(CallId(1))));
    }

    #[test]
    fn the_view_scrolls_only_when_the_user_moves() {
        let mut l = ListState::new(ListKind::Calls);
        l.relist(ids(30), 10);
        l.move_by(15, 10);
        assert_eq!(l.top, 6, "moving down past the window scrolls just enough");
        // New rows above and the selection pushed far down: the window does not follow.
        let mut r: Vec<RowId> = (100..120).map(|i| RowId::Call(CallId(i))).collect();
        r.extend(ids(30));
        l.relist(r, 10);
        assert_eq!((l.top, l.index), (6, 35));
        assert_eq!(l.off_screen(10), Some(false));
        // The list shrinks below the window: it is pulled back to stay full.
        l.relist(ids(8), 10);
        assert_eq!(l.top, 0);
    }
}
