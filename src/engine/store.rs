//! The engine's SQLite store (`--db FILE`): tickets, alerts, the audit log and call detail records.
//!
//! The engine hands each batch of events to [`Store::record`], which only queues it; a writer thread applies the
//! batches to its own copy of the floor (with [`Floor::apply`], like every mirror) and writes the rows, one
//! transaction per batch (batches that queued up while it was writing share one), so the engine never waits for
//! the disk. Every run gets a row in `runs`; the other tables are keyed by (run, id).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;

use anyhow::{Context, Result};
use chrono::SecondsFormat;
use rusqlite::{Connection, params};

use crate::model::*;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS runs (
    run INTEGER PRIMARY KEY AUTOINCREMENT,
    scenario TEXT NOT NULL,
    floor_start TEXT,
    wall_start TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS calls (
    run INTEGER NOT NULL,
    id TEXT NOT NULL,
    queue TEXT,
    agent TEXT,
    lang TEXT NOT NULL,
    intent TEXT NOT NULL,
    arrived TEXT NOT NULL,
    answered TEXT,
    ended TEXT NOT NULL,
    wait_s REAL NOT NULL,
    talk_s REAL NOT NULL,
    outcome TEXT NOT NULL,
    final_sentiment REAL NOT NULL,
    urgent INTEGER NOT NULL,
    risk INTEGER NOT NULL,
    ring_outs INTEGER NOT NULL,
    PRIMARY KEY (run, id)
);
CREATE TABLE IF NOT EXISTS tickets (
    run INTEGER NOT NULL,
    id TEXT NOT NULL,
    call TEXT,
    category TEXT NOT NULL,
    priority TEXT NOT NULL,
    status TEXT NOT NULL,
    level INTEGER NOT NULL,
    summary TEXT NOT NULL,
    opened TEXT NOT NULL,
    due TEXT NOT NULL,
    updated TEXT NOT NULL,
    notes TEXT NOT NULL,
    PRIMARY KEY (run, id)
);
CREATE TABLE IF NOT EXISTS alerts (
    run INTEGER NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    subject TEXT NOT NULL,
    message TEXT NOT NULL,
    raised TEXT NOT NULL,
    acked_by TEXT,
    acked_at TEXT,
    PRIMARY KEY (run, id)
);
CREATE TABLE IF NOT EXISTS audit (
    run INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    command TEXT NOT NULL,
    ok INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    PRIMARY KEY (run, seq)
);
";

fn ts(t: Time) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Batches (one per ~100 ms tick) the writer may fall behind by before `record` waits: several minutes.
const STORE_QUEUE: usize = 4096;

/// What the writer thread did, returned by [`Store::close`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoreReport {
    /// This run's id in the `runs` table.
    pub run: i64,
    /// Transactions committed.
    pub transactions: u64,
    /// Rows written (inserted or updated).
    pub rows: u64,
    /// Batches that could not be written, and the first reason.
    pub failed_batches: u64,
    pub first_error: Option<String>,
}

/// A handle on the store's writer thread.
pub struct Store {
    path: PathBuf,
    tx: Option<mpsc::SyncSender<Arc<Vec<Event>>>>,
    thread: Option<JoinHandle<StoreReport>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (or creates) the database, starts a run, writes what `floor` already holds, and starts the writer.
    /// Events recorded next must be the ones that follow `floor` (their first seq is `floor.seq`).
    pub fn open(path: &Path, floor: &Floor) -> Result<Store> {
        let shown = path.display().to_string();
        let mut conn = Connection::open(path).with_context(|| {
            format!("cannot open the database {shown}: check that its folder exists and is writable")
        })?;
        conn.pragma_update(None, "journal_mode", "WAL").with_context(|| format!("{shown}: cannot switch to WAL"))?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .with_context(|| format!("{shown}: cannot set synchronous"))?;
        conn.execute_batch(SCHEMA)
            .with_context(|| format!("cannot create the tables in {shown}: is it a callfloor database?"))?;
        conn.execute(
            "INSERT INTO runs (scenario, floor_start, wall_start) VALUES (?1, ?2, ?3)",
            params![floor.scenario, floor.now.map(ts), ts(chrono::Utc::now())],
        )
        .with_context(|| format!("cannot start a run in {shown}"))?;
        let run = conn.last_insert_rowid();
        let mut writer = Writer { run, shadow: floor.clone(), report: StoreReport { run, ..StoreReport::default() } };
        writer.write_initial(&mut conn).with_context(|| format!("cannot write the floor's state to {shown}"))?;
        let (tx, rx) = mpsc::sync_channel::<Arc<Vec<Event>>>(STORE_QUEUE);
        let thread = std::thread::Builder::new()
            .name("callfloor-store".into())
            .spawn(move || writer.run(conn, rx, shown))
            .context("cannot start the store's writer thread")?;
        Ok(Store { path: path.to_path_buf(), tx: Some(tx), thread: Some(thread) })
    }

    /// Queues a batch of events for writing. The queue holds minutes of batches; only a disk that stalls for that
    /// long makes this wait (nothing is dropped: the audit log must be complete).
    pub fn record(&self, events: Arc<Vec<Event>>) {
        let Some(tx) = &self.tx else { return };
        let sent = match tx.try_send(events) {
            Ok(()) => Ok(()),
            Err(mpsc::TrySendError::Full(events)) => {
                tracing::warn!("the database {} is falling behind: waiting for it", self.path.display());
                tx.send(events).map_err(|_| ())
            }
            Err(mpsc::TrySendError::Disconnected(_)) => Err(()),
        };
        if sent.is_err() {
            tracing::error!(
                "the store's writer thread has stopped: events are no longer written to {}",
                self.path.display()
            );
        }
    }

    /// Writes what is queued, stops the writer and says what it did.
    pub fn close(mut self) -> Result<StoreReport> {
        self.finish()
    }

    fn finish(&mut self) -> Result<StoreReport> {
        self.tx.take();
        let Some(thread) = self.thread.take() else { return Ok(StoreReport::default()) };
        thread.join().map_err(|_| anyhow::anyhow!("the store's writer thread panicked ({})", self.path.display()))
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        if self.thread.is_some()
            && let Err(e) = self.finish()
        {
            tracing::error!("{e}");
        }
    }
}

struct Writer {
    run: i64,
    /// The floor as of the events written so far.
    shadow: Floor,
    report: StoreReport,
}

impl Writer {
    fn run(mut self, mut conn: Connection, rx: mpsc::Receiver<Arc<Vec<Event>>>, shown: String) -> StoreReport {
        while let Ok(first) = rx.recv() {
            let mut batches = vec![first];
            while let Ok(more) = rx.try_recv() {
                batches.push(more);
            }
            if let Err(e) = self.write_batches(&mut conn, &batches) {
                self.report.failed_batches += batches.len() as u64;
                if self.report.first_error.is_none() {
                    tracing::error!("cannot write to the database {shown}: {e}");
                    self.report.first_error = Some(e.to_string());
                }
            }
        }
        self.report
    }

    fn write_initial(&mut self, conn: &mut Connection) -> rusqlite::Result<()> {
        let tx = conn.transaction()?;
        let floor = self.shadow.clone();
        for a in floor.alerts.values() {
            self.alert(&tx, a)?;
        }
        for t in floor.tickets.values() {
            self.ticket(&tx, t, floor.time())?;
        }
        let first = floor.seq.saturating_sub(floor.audit.len() as u64);
        for (i, e) in floor.audit.iter().enumerate() {
            self.audit(&tx, first + i as u64, e)?;
        }
        tx.commit()?;
        self.report.transactions += 1;
        Ok(())
    }

    /// Writes the batches in one transaction. The shadow floor follows every event whatever happens to the SQL, so
    /// one failed write costs those rows, not the store's view of every later event.
    fn write_batches(&mut self, conn: &mut Connection, batches: &[Arc<Vec<Event>>]) -> rusqlite::Result<()> {
        let events = batches.iter().flat_map(|b| b.iter());
        let tx = match conn.transaction() {
            Ok(tx) => tx,
            Err(e) => {
                events.for_each(|ev| self.shadow.apply(ev));
                return Err(e);
            }
        };
        let mut first_error = None;
        for ev in events {
            if first_error.is_none()
                && let Err(e) = self.event(&tx, ev)
            {
                first_error = Some(e);
            }
            self.shadow.apply(ev);
        }
        if let Some(e) = first_error {
            return Err(e);
        }
        tx.commit()?;
        self.report.transactions += 1;
        Ok(())
    }

    /// Writes the rows one event makes (the shadow floor is applied by the caller).
    fn event(&mut self, tx: &rusqlite::Transaction<'_>, ev: &Event) -> rusqlite::Result<()> {
        let seq = self.shadow.seq;
        match &ev.kind {
            EventKind::CallEnded { call } | EventKind::CallAbandoned { call } => {
                if let Some(c) = self.shadow.calls.get(call).cloned() {
                    let outcome = if matches!(ev.kind, EventKind::CallEnded { .. }) { "ended" } else { "abandoned" };
                    self.cdr(tx, &c, ev.at, outcome)?;
                }
            }
            EventKind::TicketEscalated { ticket, .. }
            | EventKind::TicketNoted { ticket, .. }
            | EventKind::TicketResolved { ticket, .. } => {
                // The shadow floor may drop an old resolved ticket as this event lands, so the ticket's new
                // state comes from applying the event to a floor that holds only this ticket.
                if let Some(t) = self.shadow.tickets.get(ticket).cloned() {
                    let mut one = Floor::default();
                    one.tickets.insert(t.id, t);
                    one.apply(ev);
                    if let Some(t) = one.tickets.get(ticket) {
                        self.ticket(tx, t, ev.at)?;
                    }
                }
            }
            EventKind::TicketOpened { ticket } => self.ticket(tx, ticket, ev.at)?,
            EventKind::AlertRaised { alert } => self.alert(tx, alert)?,
            EventKind::AlertAcknowledged { alert, by } => {
                let n = tx.prepare_cached("UPDATE alerts SET acked_by = ?1, acked_at = ?2 WHERE run = ?3 AND id = ?4 AND acked_by IS NULL")?
                    .execute(params![by, ts(ev.at), self.run, alert.to_string()])?;
                self.report.rows += n as u64;
            }
            EventKind::Audited { entry } => self.audit(tx, seq, entry)?,
            _ => {}
        }
        Ok(())
    }

    fn cdr(&mut self, tx: &rusqlite::Transaction<'_>, c: &Call, ended: Time, outcome: &str) -> rusqlite::Result<()> {
        let talk_s = c.answered.map(|a| (ended - a).num_milliseconds().max(0) as f64 / 1000.0).unwrap_or(0.0);
        tx.prepare_cached(
            "INSERT OR REPLACE INTO calls (run, id, queue, agent, lang, intent, arrived, answered, ended, wait_s, \
             talk_s, outcome, final_sentiment, urgent, risk, ring_outs) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        )?
        .execute(params![
            self.run,
            c.id.to_string(),
            c.queue.as_ref().map(|q| q.to_string()),
            c.agent.map(|a| a.to_string()),
            c.lang.as_str(),
            c.intent,
            ts(c.arrived),
            c.answered.map(ts),
            ts(ended),
            c.wait_secs(ended),
            talk_s,
            outcome,
            f64::from(c.sentiment),
            c.flags.urgent,
            c.flags.risk,
            c.ring_outs,
        ])?;
        self.report.rows += 1;
        Ok(())
    }

    fn ticket(&mut self, tx: &rusqlite::Transaction<'_>, t: &Ticket, updated: Time) -> rusqlite::Result<()> {
        let notes = serde_json::to_string(&t.notes).unwrap_or_else(|_| "[]".into());
        let priority = serde_json::to_value(t.priority).ok().and_then(|v| v.as_str().map(str::to_string));
        let status = serde_json::to_value(t.status).ok().and_then(|v| v.as_str().map(str::to_string));
        tx.prepare_cached(
            "INSERT OR REPLACE INTO tickets (run, id, call, category, priority, status, level, summary, opened, due, \
             updated, notes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?
        .execute(params![
            self.run,
            t.id.to_string(),
            t.call.map(|c| c.to_string()),
            t.category,
            priority.unwrap_or_default(),
            status.unwrap_or_default(),
            t.level,
            t.summary,
            ts(t.opened),
            ts(t.due),
            ts(updated),
            notes,
        ])?;
        self.report.rows += 1;
        Ok(())
    }

    fn alert(&mut self, tx: &rusqlite::Transaction<'_>, a: &Alert) -> rusqlite::Result<()> {
        let severity = serde_json::to_value(a.severity).ok().and_then(|v| v.as_str().map(str::to_string));
        tx.prepare_cached(
            "INSERT OR REPLACE INTO alerts (run, id, kind, severity, subject, message, raised, acked_by, acked_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            self.run,
            a.id.to_string(),
            a.kind.as_str(),
            severity.unwrap_or_default(),
            a.subject,
            a.message,
            ts(a.raised),
            a.acked.as_ref().map(|k| k.by.clone()),
            a.acked.as_ref().map(|k| ts(k.at)),
        ])?;
        self.report.rows += 1;
        Ok(())
    }

    fn audit(&mut self, tx: &rusqlite::Transaction<'_>, seq: u64, e: &AuditEntry) -> rusqlite::Result<()> {
        tx.prepare_cached(
            "INSERT OR REPLACE INTO audit (run, seq, at, actor, role, command, ok, outcome) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            self.run,
            seq as i64,
            ts(e.at),
            e.actor,
            e.role.as_str(),
            e.command,
            e.ok,
            e.outcome
        ])?;
        self.report.rows += 1;
        Ok(())
    }
}
