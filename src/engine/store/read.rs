//! Reading the store: what a restarted floor continues from, and what auditors and the console ask for (audit
//! entries, call records, ticket histories, exports). Readers open the file read-only, so they can read a db that
//! a running engine is writing (WAL).

use std::str::FromStr;

use anyhow::{Context, Result, bail};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::writer::ts;
use super::{DbOptions, Numbering, Resume, connect, schema};
use crate::model::*;

fn parse_time(s: &str) -> Option<Time> {
    chrono::DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&chrono::Utc))
}

fn parse_name<T: serde::de::DeserializeOwned>(s: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
}

/// A conversion error as rusqlite reports it, naming the column.
fn bad(col: usize, what: &str, text: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        col,
        rusqlite::types::Type::Text,
        format!("{what} {text:?} cannot be read").into(),
    )
}

fn time_at(r: &rusqlite::Row<'_>, col: usize) -> rusqlite::Result<Time> {
    let s: String = r.get(col)?;
    parse_time(&s).ok_or_else(|| bad(col, "time", &s))
}

fn opt_time_at(r: &rusqlite::Row<'_>, col: usize) -> rusqlite::Result<Option<Time>> {
    let s: Option<String> = r.get(col)?;
    match s {
        None => Ok(None),
        Some(s) => parse_time(&s).map(Some).ok_or_else(|| bad(col, "time", &s)),
    }
}

fn id_at<T: FromStr>(r: &rusqlite::Row<'_>, col: usize) -> rusqlite::Result<T> {
    let s: String = r.get(col)?;
    s.parse().map_err(|_| bad(col, "id", &s))
}

fn name_at<T: serde::de::DeserializeOwned>(r: &rusqlite::Row<'_>, col: usize) -> rusqlite::Result<T> {
    let s: String = r.get(col)?;
    parse_name(&s).ok_or_else(|| bad(col, "value", &s))
}

fn opt_name_at<T: serde::de::DeserializeOwned>(r: &rusqlite::Row<'_>, col: usize) -> rusqlite::Result<Option<T>> {
    let s: Option<String> = r.get(col)?;
    s.map(|s| parse_name(&s).ok_or_else(|| bad(col, "value", &s))).transpose()
}

const TICKET_COLS: &str =
    "t.run, t.id, t.call, t.category, t.priority, t.status, t.level, t.summary, t.opened, t.due, t.links";

fn ticket_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, Ticket)> {
    let call: Option<String> = r.get(2)?;
    let links: String = r.get(10)?;
    Ok((
        r.get(0)?,
        Ticket {
            id: id_at(r, 1)?,
            call: call.and_then(|c| c.parse().ok()),
            category: r.get(3)?,
            priority: name_at(r, 4)?,
            status: name_at(r, 5)?,
            level: r.get(6)?,
            summary: r.get(7)?,
            opened: time_at(r, 8)?,
            due: time_at(r, 9)?,
            notes: Vec::new(),
            history: Vec::new(),
            notes_earlier: 0,
            links: serde_json::from_str(&links).map_err(|_| bad(10, "ticket links", "…"))?,
        },
    ))
}

/// Fills a ticket's notes and history from its log: all of them, or the newest `inline` of each with the rest
/// counted.
fn fill_log(conn: &Connection, run: i64, t: &mut Ticket, inline: Option<usize>) -> rusqlite::Result<()> {
    let mut st =
        conn.prepare_cached("SELECT at, by, kind, text FROM ticket_log WHERE run = ?1 AND ticket = ?2 ORDER BY rowid")?;
    let rows = st.query_map(params![run, t.id.to_string()], |r| {
        Ok((TicketNote { at: time_at(r, 0)?, by: r.get(1)?, text: r.get(3)? }, r.get::<_, String>(2)?))
    })?;
    for row in rows {
        let (note, kind) = row?;
        if kind == "note" { t.notes.push(note) } else { t.history.push(note) }
    }
    if let Some(n) = inline {
        let extra = t.notes.len().saturating_sub(n);
        t.notes.drain(..extra);
        t.notes_earlier = extra as u32;
        let extra = t.history.len().saturating_sub(n);
        t.history.drain(..extra);
    }
    Ok(())
}

fn alert_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Alert> {
    let kind: String = r.get(1)?;
    let acked_by: Option<String> = r.get(6)?;
    let acked_at = opt_time_at(r, 7)?;
    Ok(Alert {
        id: id_at(r, 0)?,
        kind: parse_name(&kind).ok_or_else(|| bad(1, "alert kind", &kind))?,
        severity: name_at(r, 2)?,
        subject: r.get(3)?,
        message: r.get(4)?,
        raised: time_at(r, 5)?,
        acked: match (acked_by, acked_at) {
            (Some(by), Some(at)) => Some(Ack { by, at }),
            _ => None,
        },
    })
}

fn audit_entry(r: &rusqlite::Row<'_>, base: usize) -> rusqlite::Result<AuditEntry> {
    let role: String = r.get(base + 2)?;
    Ok(AuditEntry {
        at: time_at(r, base)?,
        actor: r.get(base + 1)?,
        role: Role::from_name(&role).ok_or_else(|| bad(base + 2, "role", &role))?,
        command: r.get(base + 3)?,
        ok: r.get(base + 4)?,
        outcome: r.get(base + 5)?,
        more: r.get(base + 6)?,
    })
}

/// The highest number of each id kind in the db (counters and rows), so numbering continues.
fn numbering(conn: &Connection) -> rusqlite::Result<Numbering> {
    let mut n = Numbering::default();
    let mut st = conn.prepare("SELECT name, value FROM counters")?;
    for row in st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
        let (k, v) = row?;
        let v = u32::try_from(v).unwrap_or(u32::MAX);
        match k.as_str() {
            "call" => n.call = n.call.max(v),
            "ticket" => n.ticket = n.ticket.max(v),
            "alert" => n.alert = n.alert.max(v),
            _ => {}
        }
    }
    // Rows from before the counters (a migrated db) count too.
    let max_of = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, Option<i64>>(0)).map(|v| v.unwrap_or(0));
    let clamp = |v: i64| u32::try_from(v.max(0)).unwrap_or(u32::MAX);
    n.call = n.call.max(clamp(max_of("SELECT MAX(CAST(substr(id, 3) AS INTEGER)) FROM calls")?));
    n.ticket = n.ticket.max(clamp(max_of("SELECT MAX(CAST(substr(id, 3) AS INTEGER)) FROM tickets")?));
    n.alert = n.alert.max(clamp(max_of("SELECT MAX(CAST(substr(id, 4) AS INTEGER)) FROM alerts")?));
    Ok(n)
}

/// What a new floor of `scenario` continues from.
pub(super) fn resume(conn: &Connection, scenario: &str) -> rusqlite::Result<Resume> {
    let runs: i64 = conn.query_row("SELECT COUNT(*) FROM runs WHERE scenario = ?1", [scenario], |r| r.get(0))?;
    let floor_time = conn
        .query_row(
            "SELECT COALESCE(floor_last, floor_start) FROM runs WHERE scenario = ?1 ORDER BY run DESC LIMIT 1",
            [scenario],
            |r| r.get::<_, Option<String>>(0),
        )
        .optional()?
        .flatten()
        .and_then(|s| parse_time(&s));
    let in_scenario = "run IN (SELECT run FROM runs WHERE scenario = ?1)";
    // Each id's newest row: a db from before numbering continued may hold one id in several runs.
    let mut st = conn.prepare(&format!(
        "SELECT {TICKET_COLS} FROM tickets t WHERE t.{in_scenario} AND t.status != 'resolved' \
         AND t.run = (SELECT MAX(run) FROM tickets u WHERE u.id = t.id) ORDER BY t.opened DESC, t.rowid DESC LIMIT ?2"
    ))?;
    let mut tickets =
        st.query_map(params![scenario, TICKETS_CAP as i64], ticket_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    tickets.reverse();
    let mut loaded = Vec::with_capacity(tickets.len());
    for (run, mut t) in tickets {
        fill_log(conn, run, &mut t, Some(TICKET_NOTES_INLINE))?;
        loaded.push(t);
    }
    let mut st = conn.prepare(&format!(
        "SELECT a.id, a.kind, a.severity, a.subject, a.message, a.raised, a.acked_by, a.acked_at FROM alerts a \
         WHERE a.{in_scenario} AND a.acked_by IS NULL AND a.run = (SELECT MAX(run) FROM alerts b WHERE b.id = a.id) \
         ORDER BY a.raised DESC, a.rowid DESC LIMIT ?2"
    ))?;
    let mut alerts =
        st.query_map(params![scenario, ALERTS_CAP as i64], alert_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    alerts.reverse();
    let mut st = conn.prepare(&format!(
        "SELECT at, actor, role, command, ok, outcome, more FROM audit WHERE {in_scenario} \
         ORDER BY run DESC, seq DESC LIMIT ?2"
    ))?;
    let mut audit = st
        .query_map(params![scenario, AUDIT_CAP as i64], |r| audit_entry(r, 0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    audit.reverse();
    let mut st = conn.prepare("SELECT agent, queues FROM seats WHERE scenario = ?1 ORDER BY agent")?;
    let seats = st
        .query_map([scenario], |r| {
            let queues: String = r.get(1)?;
            Ok((id_at::<AgentId>(r, 0)?, serde_json::from_str(&queues).map_err(|_| bad(1, "queues", &queues))?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let caller_salt = conn
        .query_row("SELECT value FROM meta WHERE name = 'caller_salt'", [], |r| r.get::<_, String>(0))
        .optional()?;
    Ok(Resume {
        caller_salt,
        callers: callers(conn, scenario)?,
        callbacks: callbacks(conn, scenario)?,
        temp_seats: temp_seats(conn, scenario)?,
        seats,
        runs: u32::try_from(runs).unwrap_or(u32::MAX),
        floor_time,
        tickets: loaded,
        alerts,
        audit,
        numbering: numbering(conn)?,
    })
}

/// The newest earlier contacts of callers of `scenario`, by caller key: calls (each caller's newest
/// [`EARLIER_CAP`]) and the tickets opened from them. Calls are read newest written first (rowid order, so the
/// read stops after [`super::CALLER_ROWS`] rows on a large db instead of sorting every call).
fn callers(conn: &Connection, scenario: &str) -> rusqlite::Result<Vec<super::SavedCaller>> {
    use std::collections::HashMap;
    let in_scenario = "run IN (SELECT run FROM runs WHERE scenario = ?1)";
    let mut by_key: HashMap<String, super::SavedCaller> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut st = conn.prepare(&format!(
        "SELECT caller_key, id, outcome, ended FROM calls WHERE caller_key IS NOT NULL AND {in_scenario} \
         ORDER BY rowid DESC LIMIT ?2"
    ))?;
    let rows = st.query_map(params![scenario, super::CALLER_ROWS as i64], |r| {
        let outcome: String = r.get(2)?;
        let state = if outcome == "abandoned" { CallState::Abandoned } else { CallState::Ended };
        Ok((r.get::<_, String>(0)?, EarlierCall { call: id_at(r, 1)?, outcome: state, at: time_at(r, 3)? }))
    })?;
    for row in rows {
        let (key, call) = row?;
        let saved = by_key.entry(key.clone()).or_insert_with(|| {
            order.push(key.clone());
            super::SavedCaller { key, ..Default::default() }
        });
        // Newest first here: keep the newest EARLIER_CAP, turned oldest first below.
        if saved.calls.len() < EARLIER_CAP && !saved.calls.iter().any(|c| c.call == call.call) {
            saved.calls.push(call);
        }
    }
    let mut st = conn.prepare(&format!(
        "SELECT DISTINCT c.caller_key, t.id, t.call, t.opened FROM tickets t JOIN calls c ON c.id = t.call \
         WHERE c.caller_key IS NOT NULL AND t.{in_scenario} ORDER BY t.opened DESC LIMIT ?2"
    ))?;
    let rows = st.query_map(params![scenario, super::CALLER_ROWS as i64], |r| {
        let call: Option<String> = r.get(2)?;
        Ok((r.get::<_, String>(0)?, id_at::<TicketId>(r, 1)?, call.and_then(|c| c.parse().ok())))
    })?;
    for row in rows {
        let (key, ticket, call) = row?;
        let saved = by_key.entry(key.clone()).or_insert_with(|| {
            order.push(key.clone());
            super::SavedCaller { key, ..Default::default() }
        });
        if saved.tickets.len() < EARLIER_CAP && !saved.tickets.iter().any(|(t, _)| *t == ticket) {
            saved.tickets.push((ticket, call));
        }
    }
    Ok(order
        .into_iter()
        .filter_map(|k| by_key.remove(&k))
        .map(|mut s| {
            s.calls.reverse();
            s.tickets.reverse();
            s
        })
        .collect())
}

/// Callbacks of `scenario` not reached or given up, oldest first.
fn callbacks(conn: &Connection, scenario: &str) -> rusqlite::Result<Vec<Callback>> {
    let mut st = conn.prepare(
        "SELECT body FROM callbacks WHERE scenario = ?1 AND status NOT IN ('reached', 'gave_up') \
         ORDER BY json_extract(body, '$.abandoned') DESC LIMIT ?2",
    )?;
    let mut list = st
        .query_map(params![scenario, CALLBACKS_CAP as i64], |r| {
            let body: String = r.get(0)?;
            serde_json::from_str::<Callback>(&body).map_err(|_| bad(0, "callback", "…"))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    list.reverse();
    Ok(list)
}

/// Temporary seats a restarted engine reads back at most (those whose `until` is furthest ahead).
const TEMP_SEATS_LOADED: usize = 1000;

/// Temporary seats of `scenario` with who added them, `until` furthest ahead last.
fn temp_seats(conn: &Connection, scenario: &str) -> rusqlite::Result<Vec<(Agent, String)>> {
    let mut st =
        conn.prepare("SELECT body, by FROM temp_seats WHERE scenario = ?1 ORDER BY until DESC, agent LIMIT ?2")?;
    let mut list = st
        .query_map(params![scenario, TEMP_SEATS_LOADED as i64], |r| {
            let body: String = r.get(0)?;
            let agent = serde_json::from_str::<Agent>(&body).map_err(|_| bad(0, "temporary seat", "…"))?;
            Ok((agent, r.get::<_, String>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    list.reverse();
    Ok(list)
}

/// `--since`: a wall-clock time, given as a duration before now (`2h`, `30m`, `1h30m`) or an RFC 3339 time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Since(pub Time);

impl FromStr for Since {
    type Err = String;
    fn from_str(s: &str) -> Result<Since, String> {
        if let Some(t) = parse_time(s.trim()) {
            return Ok(Since(t));
        }
        match crate::engine::sim::clock::parse_duration(s.trim()) {
            Ok(d) => Ok(Since(chrono::Utc::now() - d)),
            Err(_) => {
                Err(format!("{s:?} is neither a duration (2h, 30m, 1h30m) nor an RFC 3339 time (2026-12-06T09:00:00Z)"))
            }
        }
    }
}

/// One audit entry as `callfloor audit` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRow {
    pub run: i64,
    pub seq: i64,
    /// Wall-clock time it was written (absent for entries from before the durable store).
    pub wall: Option<String>,
    #[serde(flatten)]
    pub entry: AuditEntry,
}

/// What `callfloor export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportKind {
    Calls,
    Tickets,
    Alerts,
}

/// A read-only view of a db, for `callfloor audit`/`export` and for the server's queries.
pub struct Reader {
    conn: Connection,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader").finish_non_exhaustive()
    }
}

const CALL_COLS: &str = "run, id, caller, queue, agent, lang, intent, arrived, answered, ended, wait_s, talk_s, \
                         outcome, final_sentiment, urgent, risk, ring_outs, transcript, rule_hits, recorded, \
                         verification, confirmation, confirmed_by, repeat_caller, callback_for, callback_outcome, \
                         temp_seat, dialect, elderly, extra";

fn call_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CallRecord> {
    let transcript: String = r.get(17)?;
    let hits: String = r.get(18)?;
    Ok(CallRecord {
        run: r.get(0)?,
        id: id_at(r, 1)?,
        caller: r.get(2)?,
        queue: r.get(3)?,
        agent: r.get(4)?,
        lang: r.get(5)?,
        intent: r.get(6)?,
        arrived: time_at(r, 7)?,
        answered: opt_time_at(r, 8)?,
        ended: time_at(r, 9)?,
        wait_s: r.get(10)?,
        talk_s: r.get(11)?,
        outcome: r.get(12)?,
        final_sentiment: r.get(13)?,
        urgent: r.get(14)?,
        risk: r.get(15)?,
        ring_outs: r.get(16)?,
        transcript: serde_json::from_str(&transcript).map_err(|_| bad(17, "transcript", "…"))?,
        rule_hits: serde_json::from_str(&hits).map_err(|_| bad(18, "rule hits", "…"))?,
        recorded: r.get(19)?,
        verification: opt_name_at(r, 20)?,
        confirmation: opt_name_at(r, 21)?,
        confirmed_by: r.get(22)?,
        repeat_caller: r.get(23)?,
        callback_for: r.get::<_, Option<String>>(24)?.and_then(|c| c.parse().ok()),
        callback_outcome: r.get(25)?,
        temp_seat: r.get(26)?,
        dialect: r.get(27)?,
        elderly: r.get(28)?,
        details: {
            let extra: String = r.get(29)?;
            serde_json::from_str(&extra).map_err(|_| bad(29, "call details", "…"))?
        },
    })
}

impl Reader {
    /// Opens `opts.path` read-only. Refuses a db of another schema version with one sentence.
    pub fn open(opts: &DbOptions) -> Result<Reader> {
        let shown = opts.path.display();
        let conn = connect(opts, false)?;
        let version = schema::version(&conn).with_context(|| format!("cannot read the database {shown}"))?;
        match version {
            Some(v) if v == schema::VERSION => {}
            Some(v) if v > schema::VERSION => bail!(
                "{shown} was written by a newer callfloor (schema {v}; this one knows up to {}): use a newer callfloor",
                schema::VERSION
            ),
            _ => bail!(
                "{shown} is not a callfloor database of this version: start `callfloor engine --db {shown}` once to \
                 migrate it, or check the path"
            ),
        }
        Ok(Reader { conn })
    }

    /// Audit entries, oldest first, written since `since` (wall clock) and by `actor` when given.
    pub fn audit(&self, since: Option<Since>, actor: Option<&str>) -> Result<Vec<AuditRow>> {
        let mut st = self.conn.prepare(
            "SELECT a.run, a.seq, COALESCE(a.wall, r.wall_start), a.at, a.actor, a.role, a.command, a.ok, a.outcome, \
             a.more FROM audit a JOIN runs r ON r.run = a.run \
             WHERE (?1 IS NULL OR COALESCE(a.wall, r.wall_start) >= ?1) AND (?2 IS NULL OR a.actor = ?2) \
             ORDER BY a.run, a.seq",
        )?;
        let rows = st
            .query_map(params![since.map(|s| ts(s.0)), actor], |r| {
                Ok(AuditRow { run: r.get(0)?, seq: r.get(1)?, wall: r.get(2)?, entry: audit_entry(r, 3)? })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()
            .context("cannot read the audit log")?;
        Ok(rows)
    }

    /// The newest record of a finished call.
    pub fn call(&self, id: CallId) -> Result<Option<CallRecord>> {
        let sql = format!("SELECT {CALL_COLS} FROM calls WHERE id = ?1 ORDER BY run DESC LIMIT 1");
        Ok(self.conn.query_row(&sql, [id.to_string()], call_row).optional()?)
    }

    /// Finished calls recorded since `since`, oldest first.
    pub fn calls(&self, since: Option<Since>) -> Result<Vec<CallRecord>> {
        let sql = format!(
            "SELECT {CALL_COLS} FROM calls WHERE (?1 IS NULL OR recorded >= ?1 OR \
             (recorded IS NULL AND ended >= ?1)) ORDER BY run, ended, id"
        );
        let mut st = self.conn.prepare(&sql)?;
        let rows = st.query_map(params![since.map(|s| ts(s.0))], call_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// A ticket with every note and history entry.
    pub fn ticket(&self, id: TicketId) -> Result<Option<TicketRecord>> {
        let sql = format!("SELECT {TICKET_COLS}, t.updated FROM tickets t WHERE t.id = ?1 ORDER BY t.run DESC LIMIT 1");
        let row = self.conn.query_row(&sql, [id.to_string()], |r| Ok((ticket_row(r)?, time_at(r, 11)?))).optional()?;
        let Some(((run, mut ticket), updated)) = row else { return Ok(None) };
        fill_log(&self.conn, run, &mut ticket, None)?;
        Ok(Some(TicketRecord { run, updated, ticket }))
    }

    /// Tickets updated since `since` (wall clock), with their whole history, oldest first.
    pub fn tickets(&self, since: Option<Since>) -> Result<Vec<TicketRecord>> {
        let sql = format!(
            "SELECT {TICKET_COLS}, t.updated FROM tickets t JOIN runs r ON r.run = t.run \
             WHERE (?1 IS NULL OR COALESCE(t.wall, r.wall_start) >= ?1) ORDER BY t.run, t.opened, t.id"
        );
        let mut st = self.conn.prepare(&sql)?;
        let rows = st
            .query_map(params![since.map(|s| ts(s.0))], |r| Ok((ticket_row(r)?, time_at(r, 11)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut out = Vec::with_capacity(rows.len());
        for ((run, mut ticket), updated) in rows {
            fill_log(&self.conn, run, &mut ticket, None)?;
            out.push(TicketRecord { run, updated, ticket });
        }
        Ok(out)
    }

    /// Alerts raised since `since` (wall clock), oldest first, with their run.
    pub fn alerts(&self, since: Option<Since>) -> Result<Vec<(i64, Alert)>> {
        let mut st = self.conn.prepare(
            "SELECT a.id, a.kind, a.severity, a.subject, a.message, a.raised, a.acked_by, a.acked_at, a.run \
             FROM alerts a JOIN runs r ON r.run = a.run \
             WHERE (?1 IS NULL OR COALESCE(a.wall, r.wall_start) >= ?1) ORDER BY a.run, a.raised, a.rowid",
        )?;
        let rows = st
            .query_map(params![since.map(|s| ts(s.0))], |r| Ok((r.get::<_, i64>(8)?, alert_row(r)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}
