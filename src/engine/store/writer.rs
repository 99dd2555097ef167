//! The store's writer thread: turns events into rows with a shadow floor, and commits them.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use chrono::SecondsFormat;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::{Numbering, Resume, StoreHealth, StoreReport};
use crate::model::redact::{mask_number, mask_text};
use crate::model::*;

pub(super) fn ts(t: Time) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn wall() -> String {
    ts(chrono::Utc::now())
}

fn name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

/// What the server asks of the writer, in order.
pub(super) enum Job {
    Events(Arc<Vec<Event>>),
    /// Answer once everything before is committed.
    Barrier(Reply),
    /// Record a new id reservation.
    Reserve(Numbering),
}

/// Where a barrier's answer goes: a task awaiting it, or a thread blocked on it.
pub(super) enum Reply {
    Async(tokio::sync::oneshot::Sender<Result<(), String>>),
    Blocking(mpsc::Sender<Result<(), String>>),
}

impl Reply {
    fn send(self, result: Result<(), String>) {
        match self {
            Reply::Async(tx) => {
                let _ = tx.send(result);
            }
            Reply::Blocking(tx) => {
                let _ = tx.send(result);
            }
        }
    }
}

/// One row to write. Rows are kept until committed, so a failed write is retried whole.
#[derive(Debug, Clone)]
enum Row {
    Call { run: i64, call: Box<Call>, ended: Time, outcome: &'static str, wall: String, extra: Box<CallExtra> },
    Callback { scenario: String, callback: Box<Callback>, wall: String },
    CallbackGone { scenario: String, call: CallId },
    TempSeat { scenario: String, agent: Box<Agent>, by: String },
    Ticket { run: i64, ticket: Box<Ticket>, updated: Time, wall: String },
    TicketLog { run: i64, ticket: TicketId, note: TicketNote, kind: &'static str, wall: String },
    Alert { run: i64, alert: Box<Alert>, wall: String },
    AlertAck { run: i64, alert: AlertId, by: String, at: Time },
    Audit { run: i64, seq: u64, entry: Box<AuditEntry>, wall: String },
    Counters(Numbering),
    Seat { scenario: String, agent: AgentId, queues: Vec<QueueId> },
    FloorTime { run: i64, at: Time },
}

/// What a call row keeps that the call itself does not hold: found on the floor as the call ends.
#[derive(Debug, Clone, Default)]
struct CallExtra {
    caller_key: Option<String>,
    /// The seat's temporary origin, when it was a temporary seat.
    seat: Option<SeatOrigin>,
    /// For an outbound callback call: its callback as it stood.
    callback: Option<Callback>,
}

/// Rows kept after failed writes before the oldest are given up (about a floor-hour at a peak).
const PENDING_MAX: usize = 2_000_000;
/// How often a failing store retries when nothing new arrives.
const RETRY_EVERY: Duration = Duration::from_secs(1);

pub(super) struct Writer {
    run: i64,
    /// The floor as of the events turned into rows so far.
    shadow: Floor,
    /// Run of each ticket and alert reloaded from an earlier run: their rows stay where they are.
    ticket_home: HashMap<TicketId, i64>,
    alert_home: HashMap<AlertId, i64>,
    clear_transcripts: bool,
    pending: Vec<Row>,
    waiting: Vec<Reply>,
    health: Arc<StoreHealth>,
    report: StoreReport,
    last_time: Option<Time>,
    /// The db's caller-key salt (`meta.caller_salt`).
    salt: Option<String>,
    /// An outbound callback call that just went unanswered, recorded after its event is applied.
    unanswered: Option<Box<Call>>,
}

impl Writer {
    pub(super) fn new(shadow: Floor, resume: &Resume, clear_transcripts: bool, health: Arc<StoreHealth>) -> Writer {
        Writer {
            run: 0,
            shadow,
            ticket_home: HashMap::new(),
            alert_home: HashMap::new(),
            clear_transcripts,
            pending: Vec::new(),
            waiting: Vec::new(),
            health,
            report: StoreReport::default(),
            last_time: None,
            salt: None,
            unanswered: None,
        }
        .with_homes(resume)
    }

    fn with_homes(mut self, resume: &Resume) -> Writer {
        // Homes are filled by `begin`, which knows the runs; remember the ids for now.
        self.ticket_home = resume.tickets.iter().map(|t| (t.id, 0)).collect();
        self.alert_home = resume.alerts.iter().map(|a| (a.id, 0)).collect();
        self
    }

    pub(super) fn run_id(&self) -> i64 {
        self.run
    }

    /// Records the run, reserves ids, and writes what the floor holds that is not reloaded.
    pub(super) fn begin(
        &mut self,
        conn: &mut Connection,
        floor: &Floor,
        identity: &FloorIdentity,
        reserved: Numbering,
    ) -> rusqlite::Result<()> {
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO runs (scenario, floor_start, wall_start, floor_id, floor_last) VALUES (?1, ?2, ?3, ?4, ?2)",
            params![floor.scenario, floor.now.map(ts), wall(), identity.id],
        )?;
        self.run = tx.last_insert_rowid();
        self.salt = tx
            .query_row("SELECT value FROM meta WHERE name = 'caller_salt'", [], |r| r.get::<_, String>(0))
            .optional()?;
        for (id, home) in self.ticket_home.iter_mut() {
            *home = tx
                .query_row("SELECT MAX(run) FROM tickets WHERE id = ?1", [id.to_string()], |r| {
                    r.get::<_, Option<i64>>(0)
                })?
                .unwrap_or(self.run);
        }
        for (id, home) in self.alert_home.iter_mut() {
            *home = tx
                .query_row("SELECT MAX(run) FROM alerts WHERE id = ?1", [id.to_string()], |r| {
                    r.get::<_, Option<i64>>(0)
                })?
                .unwrap_or(self.run);
        }
        let mut rows = vec![Row::Counters(reserved)];
        for a in floor.alerts.values().filter(|a| !self.alert_home.contains_key(&a.id)) {
            rows.push(Row::Alert { run: self.run, alert: Box::new(a.clone()), wall: wall() });
        }
        for t in floor.tickets.values().filter(|t| !self.ticket_home.contains_key(&t.id)) {
            rows.extend(self.ticket_rows(t, floor.time(), true));
        }
        for row in &rows {
            self.write_row(&tx, row)?;
        }
        tx.commit()?;
        self.report.run = self.run;
        self.report.transactions += 1;
        Ok(())
    }

    /// The writer's loop: take every queued job, turn events into rows, commit, answer barriers; retry while failing.
    pub(super) fn serve(mut self, mut conn: Connection, rx: mpsc::Receiver<Job>, shown: String) -> StoreReport {
        let mut open = true;
        while open || !self.pending.is_empty() || !self.waiting.is_empty() {
            let first = if !open {
                None
            } else if self.health.failing() {
                match rx.recv_timeout(RETRY_EVERY) {
                    Ok(job) => Some(job),
                    Err(mpsc::RecvTimeoutError::Timeout) => None,
                    Err(mpsc::RecvTimeoutError::Disconnected) => {
                        open = false;
                        None
                    }
                }
            } else {
                match rx.recv() {
                    Ok(job) => Some(job),
                    Err(_) => {
                        open = false;
                        None
                    }
                }
            };
            if let Some(job) = first {
                self.take(job);
                while let Ok(job) = rx.try_recv() {
                    self.take(job);
                }
            }
            let result = self.commit(&mut conn);
            if let Err(e) = &result {
                self.report.failed_writes += 1;
                if self.report.first_error.is_none() {
                    self.report.first_error = Some(e.clone());
                }
                if !self.health.failing() {
                    tracing::error!("cannot write to the database {shown}: {e} (keeping the rows and retrying)");
                }
            } else if self.health.failing() {
                tracing::info!("the database {shown} is written to again");
            }
            self.health.set(&result, self.pending.len());
            for w in self.waiting.drain(..) {
                w.send(result.clone());
            }
            if !open && result.is_err() {
                // Closing with a store that cannot be written: say what is lost rather than retry forever.
                self.report.unwritten = self.pending.len() as u64;
                tracing::error!("{} rows could not be written to {shown} before closing", self.pending.len());
                break;
            }
        }
        self.report
    }

    fn take(&mut self, job: Job) {
        match job {
            Job::Events(events) => {
                for ev in events.iter() {
                    self.event(ev);
                    self.shadow.apply(ev);
                    self.after(ev);
                    self.last_time = Some(ev.at);
                }
                if let Some(at) = self.last_time {
                    self.pending.push(Row::FloorTime { run: self.run, at });
                }
            }
            Job::Barrier(reply) => self.waiting.push(reply),
            Job::Reserve(n) => self.pending.push(Row::Counters(n)),
        }
        if self.pending.len() > PENDING_MAX {
            let drop = self.pending.len() - PENDING_MAX;
            self.pending.drain(..drop);
            tracing::error!("the store has failed for long: {drop} of its oldest unwritten rows were given up");
        }
    }

    fn commit(&mut self, conn: &mut Connection) -> Result<(), String> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let tx = conn.transaction().map_err(|e| e.to_string())?;
        let mut last_floor_time = None;
        for row in &self.pending {
            // Only the last floor time of a transaction matters.
            if let Row::FloorTime { .. } = row {
                last_floor_time = Some(row);
                continue;
            }
            self.write_row(&tx, row).map_err(|e| e.to_string())?;
        }
        if let Some(row) = last_floor_time {
            self.write_row(&tx, row).map_err(|e| e.to_string())?;
        }
        tx.commit().map_err(|e| e.to_string())?;
        self.report.transactions += 1;
        self.report.rows += self.pending.len() as u64;
        self.health.rows.fetch_add(self.pending.len() as u64, std::sync::atomic::Ordering::Relaxed);
        self.pending.clear();
        Ok(())
    }

    fn ticket_run(&self, id: TicketId) -> i64 {
        self.ticket_home.get(&id).copied().unwrap_or(self.run)
    }

    fn alert_run(&self, id: AlertId) -> i64 {
        self.alert_home.get(&id).copied().unwrap_or(self.run)
    }

    /// A ticket's row, and (when new) a log row for each of its notes and history entries.
    fn ticket_rows(&self, t: &Ticket, updated: Time, new: bool) -> Vec<Row> {
        let run = self.ticket_run(t.id);
        let mut ticket = t.clone();
        if !self.clear_transcripts {
            for line in &mut ticket.links.excerpt {
                if let std::borrow::Cow::Owned(masked) = mask_text(&line.text) {
                    line.text = masked;
                }
            }
        }
        let mut rows = vec![Row::Ticket { run, ticket: Box::new(ticket), updated, wall: wall() }];
        if new {
            for (kind, list) in [("history", &t.history), ("note", &t.notes)] {
                for n in list {
                    rows.push(Row::TicketLog { run, ticket: t.id, note: n.clone(), kind, wall: wall() });
                }
            }
        }
        rows
    }

    /// Turns one event into rows (the shadow floor is applied after, by the caller).
    fn event(&mut self, ev: &Event) {
        let seq = self.shadow.seq;
        let at = ev.at;
        let log = |w: &Writer, ticket: TicketId, kind: &'static str, by: &str, text: String| Row::TicketLog {
            run: w.ticket_run(ticket),
            ticket,
            note: TicketNote { at, by: by.to_string(), text },
            kind,
            wall: wall(),
        };
        let mut rows = Vec::new();
        match &ev.kind {
            EventKind::CallEnded { call } | EventKind::CallAbandoned { call } => {
                let outcome = if matches!(ev.kind, EventKind::CallEnded { .. }) { "ended" } else { "abandoned" };
                if let Some(c) = self.shadow.calls.get(call) {
                    rows.push(self.call_row(c.clone(), at, outcome));
                }
            }
            // An outbound callback call nobody picked up leaves the floor with this event (no `call_ended`): its
            // record is made once the attempt is on its callback (see `after`).
            EventKind::CallbackAttempted { call, outcome: CallbackOutcome::NoAnswer, .. } => {
                self.unanswered = self.shadow.calls.get(call).cloned().map(Box::new);
            }
            EventKind::TicketOpened { ticket } => rows.extend(self.ticket_rows(ticket, at, true)),
            EventKind::TicketEscalated { ticket, level, note, by, .. } => {
                if !note.is_empty() {
                    rows.push(log(self, *ticket, "note", by, note.clone()));
                }
                rows.push(log(self, *ticket, "history", by, format!("escalated to level {level}")));
            }
            EventKind::TicketNoted { ticket, text, by } => rows.push(log(self, *ticket, "note", by, text.clone())),
            EventKind::TicketResolved { ticket, note, by } => {
                if !note.is_empty() {
                    rows.push(log(self, *ticket, "note", by, note.clone()));
                }
                rows.push(log(self, *ticket, "history", by, "resolved".into()));
            }
            EventKind::AlertRaised { alert } => {
                rows.push(Row::Alert { run: self.alert_run(alert.id), alert: Box::new(alert.clone()), wall: wall() })
            }
            EventKind::AlertAcknowledged { alert, by } => {
                rows.push(Row::AlertAck { run: self.alert_run(*alert), alert: *alert, by: by.clone(), at })
            }
            EventKind::AgentReassigned { agent, queues } => {
                rows.push(Row::Seat { scenario: self.shadow.scenario.clone(), agent: *agent, queues: queues.clone() })
            }
            EventKind::Audited { entry } => {
                rows.push(Row::Audit { run: self.run, seq, entry: Box::new(entry.clone()), wall: wall() })
            }
            _ => {}
        }
        // A ticket's row follows every change: its new state is the shadow's after this event, computed on a floor
        // that holds only this ticket (the shadow may drop an old resolved ticket as the event lands).
        if let EventKind::TicketEscalated { ticket, .. }
        | EventKind::TicketNoted { ticket, .. }
        | EventKind::TicketResolved { ticket, .. } = &ev.kind
            && let Some(t) = self.shadow.tickets.get(ticket)
        {
            let mut one = Floor::default();
            one.tickets.insert(t.id, t.clone());
            one.apply(ev);
            if let Some(t) = one.tickets.get(ticket) {
                rows.extend(self.ticket_rows(t, at, false));
            }
        }
        self.pending.extend(rows);
    }

    /// A finished call's row, from the shadow as the call leaves it (transcript, caller and numbers masked unless
    /// the scenario keeps them clear).
    fn call_row(&self, mut c: Call, at: Time, outcome: &'static str) -> Row {
        let extra = CallExtra {
            caller_key: self.salt.as_deref().map(|s| super::caller_key(s, &c.caller)),
            seat: c.agent.and_then(|a| self.shadow.agents.get(&a)).and_then(|a| a.temporary.as_ref()).map(|t| t.origin),
            callback: c.callback_for.and_then(|cb| self.shadow.callbacks.iter().find(|x| x.call == cb)).cloned(),
        };
        if !self.clear_transcripts {
            c.caller = mask_number(&c.caller);
            for line in &mut c.transcript {
                if let std::borrow::Cow::Owned(masked) = mask_text(&line.text) {
                    line.text = masked;
                }
            }
            if let Some(n) = c.confirmation.as_mut().and_then(|k| k.note.as_mut()) {
                *n = mask_text(n).into_owned();
            }
            if let Some(s) = c.student.as_mut() {
                for o in &mut s.others {
                    o.number = mask_number(&o.number);
                }
            }
        }
        Row::Call { run: self.run, call: Box::new(c), ended: at, outcome, wall: wall(), extra: Box::new(extra) }
    }

    /// Rows that follow from the shadow's state after an event: callbacks, temporary seats, and the record of an
    /// unanswered callback call.
    fn after(&mut self, ev: &Event) {
        if let Some(call) = self.unanswered.take() {
            let row = self.call_row(*call, ev.at, "no_answer");
            self.pending.push(row);
        }
        let callback = match &ev.kind {
            EventKind::CallAbandoned { call }
            | EventKind::CallbackPromised { call, .. }
            | EventKind::CallbackAssigned { call, .. } => Some(*call),
            EventKind::CallbackDialed { callback, .. } | EventKind::CallbackAttempted { callback, .. } => {
                Some(*callback)
            }
            EventKind::CallbackDone { call } => {
                self.pending.push(Row::CallbackGone { scenario: self.shadow.scenario.clone(), call: *call });
                None
            }
            EventKind::SeatsAdded { agents, by } => {
                for a in agents.iter().filter(|a| a.temporary.is_some()) {
                    self.pending.push(Row::TempSeat {
                        scenario: self.shadow.scenario.clone(),
                        agent: Box::new(a.clone()),
                        by: by.clone(),
                    });
                }
                None
            }
            _ => None,
        };
        if let Some(cb) = callback.and_then(|id| self.shadow.callbacks.iter().find(|c| c.call == id)) {
            let mut cb = cb.clone();
            if !self.clear_transcripts {
                cb.caller = mask_number(&cb.caller);
            }
            self.pending.push(Row::Callback {
                scenario: self.shadow.scenario.clone(),
                callback: Box::new(cb),
                wall: wall(),
            });
        }
    }

    fn write_row(&self, tx: &Transaction<'_>, row: &Row) -> rusqlite::Result<()> {
        match row {
            Row::Call { run, call: c, ended, outcome, wall, extra } => {
                let talk_s = c.answered.map(|a| (*ended - a).num_milliseconds().max(0) as f64 / 1000.0).unwrap_or(0.0);
                let transcript = serde_json::to_string(&c.transcript).unwrap_or_else(|_| "[]".into());
                let hits = serde_json::to_string(&c.rule_hits).unwrap_or_else(|_| "[]".into());
                let details = CallDetails {
                    confirmation: c.confirmation.clone(),
                    earlier: c.earlier.clone(),
                    suggestions: c.suggestions.clone(),
                    callback_attempts: extra.callback.as_ref().map(|cb| cb.attempts.clone()).unwrap_or_default(),
                    student: c.student.clone(),
                    seat_origin: extra.seat,
                };
                let details = serde_json::to_string(&details).unwrap_or_else(|_| "{}".into());
                // `dialect` and `elderly` stay NULL until calls carry them (the dialect feature fills them).
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO calls (run, id, queue, agent, lang, intent, arrived, answered, ended, \
                     wait_s, talk_s, outcome, final_sentiment, urgent, risk, ring_outs, caller, transcript, \
                     rule_hits, recorded, verification, confirmation, confirmed_by, repeat_caller, callback_for, \
                     callback_outcome, temp_seat, caller_key, extra) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, \
                     ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29)",
                )?
                .execute(params![
                    run,
                    c.id.to_string(),
                    c.queue.as_ref().map(|q| q.to_string()),
                    c.agent.map(|a| a.to_string()),
                    c.lang.as_str(),
                    c.intent,
                    ts(c.arrived),
                    c.answered.map(ts),
                    ts(*ended),
                    c.wait_secs(*ended),
                    talk_s,
                    outcome,
                    f64::from(c.sentiment),
                    c.flags.urgent,
                    c.flags.risk,
                    c.ring_outs,
                    c.caller,
                    transcript,
                    hits,
                    wall,
                    c.verification.map(Verification::as_str),
                    c.confirmation.as_ref().map(|k| k.state.as_str()),
                    c.confirmation.as_ref().and_then(|k| k.by.clone()),
                    !c.earlier.is_empty(),
                    c.callback_for.map(|x| x.to_string()),
                    extra.callback.as_ref().map(|cb| cb.status.as_str()),
                    extra.seat.is_some(),
                    extra.caller_key,
                    details,
                ])?;
            }
            Row::Ticket { run, ticket: t, updated, wall } => {
                let links = serde_json::to_string(&t.links).unwrap_or_else(|_| "{}".into());
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO tickets (run, id, call, category, priority, status, level, summary, \
                     opened, due, updated, wall, links) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                )?
                .execute(params![
                    run,
                    t.id.to_string(),
                    t.call.map(|c| c.to_string()),
                    t.category,
                    name(&t.priority),
                    name(&t.status),
                    t.level,
                    t.summary,
                    ts(t.opened),
                    ts(t.due),
                    ts(*updated),
                    wall,
                    links,
                ])?;
            }
            Row::TicketLog { run, ticket, note, kind, wall } => {
                tx.prepare_cached(
                    "INSERT INTO ticket_log (run, ticket, at, by, kind, text, wall) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?
                .execute(params![run, ticket.to_string(), ts(note.at), note.by, kind, note.text, wall])?;
            }
            Row::Alert { run, alert: a, wall } => {
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO alerts (run, id, kind, severity, subject, message, raised, acked_by, \
                     acked_at, wall) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )?
                .execute(params![
                    run,
                    a.id.to_string(),
                    a.kind.as_str(),
                    name(&a.severity),
                    a.subject,
                    a.message,
                    ts(a.raised),
                    a.acked.as_ref().map(|k| k.by.clone()),
                    a.acked.as_ref().map(|k| ts(k.at)),
                    wall,
                ])?;
            }
            Row::AlertAck { run, alert, by, at } => {
                tx.prepare_cached(
                    "UPDATE alerts SET acked_by = ?1, acked_at = ?2 WHERE run = ?3 AND id = ?4 AND acked_by IS NULL",
                )?
                .execute(params![by, ts(*at), run, alert.to_string()])?;
            }
            Row::Audit { run, seq, entry: e, wall } => {
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO audit (run, seq, at, actor, role, command, ok, outcome, more, wall) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )?
                .execute(params![
                    run,
                    *seq as i64,
                    ts(e.at),
                    e.actor,
                    e.role.as_str(),
                    e.command,
                    e.ok,
                    e.outcome,
                    e.more,
                    wall
                ])?;
            }
            Row::Counters(n) => {
                let mut st = tx.prepare_cached(
                    "INSERT INTO counters (name, value) VALUES (?1, ?2) \
                     ON CONFLICT (name) DO UPDATE SET value = MAX(value, excluded.value)",
                )?;
                for (k, v) in [("call", n.call), ("ticket", n.ticket), ("alert", n.alert)] {
                    st.execute(params![k, v])?;
                }
            }
            Row::Seat { scenario, agent, queues } => {
                let queues = serde_json::to_string(queues).unwrap_or_else(|_| "[]".into());
                tx.prepare_cached("INSERT OR REPLACE INTO seats (scenario, agent, queues) VALUES (?1, ?2, ?3)")?
                    .execute(params![scenario, agent.to_string(), queues])?;
            }
            Row::Callback { scenario, callback: cb, wall } => {
                let body = serde_json::to_string(cb).unwrap_or_else(|_| "{}".into());
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO callbacks (scenario, call, status, promised, body, wall) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![
                    scenario,
                    cb.call.to_string(),
                    cb.status.as_str(),
                    cb.promised.map(ts),
                    body,
                    wall
                ])?;
            }
            Row::CallbackGone { scenario, call } => {
                tx.prepare_cached("DELETE FROM callbacks WHERE scenario = ?1 AND call = ?2")?
                    .execute(params![scenario, call.to_string()])?;
            }
            Row::TempSeat { scenario, agent, by } => {
                let body = serde_json::to_string(agent).unwrap_or_else(|_| "{}".into());
                let until = agent.temporary.as_ref().map(|t| ts(t.until)).unwrap_or_default();
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO temp_seats (scenario, agent, until, by, body) VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![scenario, agent.id.to_string(), until, by, body])?;
            }
            Row::FloorTime { run, at } => {
                tx.prepare_cached("UPDATE runs SET floor_last = ?1 WHERE run = ?2")?.execute(params![ts(*at), run])?;
            }
        }
        Ok(())
    }
}
