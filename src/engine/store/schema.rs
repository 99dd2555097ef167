//! The store's schema and its migrations. `PRAGMA user_version` holds the schema version and `PRAGMA application_id`
//! marks the file as callfloor's, so a db from a newer callfloor, or somebody else's file, is refused rather than
//! changed.

use rusqlite::{Connection, OptionalExtension};

/// The schema this build writes.
pub const VERSION: i64 = 3;

/// `PRAGMA application_id` of a callfloor db: "CFLR".
pub const APPLICATION_ID: i64 = 0x4346_4C52;

/// Version 1: the tables of the first store (callfloor 0.1 before the durable store), which set no version.
pub const V1: &str = "
CREATE TABLE IF NOT EXISTS runs (
    run INTEGER PRIMARY KEY AUTOINCREMENT,
    scenario TEXT NOT NULL,
    floor_start TEXT,
    wall_start TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS calls (
    run INTEGER NOT NULL, id TEXT NOT NULL, queue TEXT, agent TEXT, lang TEXT NOT NULL, intent TEXT NOT NULL,
    arrived TEXT NOT NULL, answered TEXT, ended TEXT NOT NULL, wait_s REAL NOT NULL, talk_s REAL NOT NULL,
    outcome TEXT NOT NULL, final_sentiment REAL NOT NULL, urgent INTEGER NOT NULL, risk INTEGER NOT NULL,
    ring_outs INTEGER NOT NULL,
    PRIMARY KEY (run, id)
);
CREATE TABLE IF NOT EXISTS tickets (
    run INTEGER NOT NULL, id TEXT NOT NULL, call TEXT, category TEXT NOT NULL, priority TEXT NOT NULL,
    status TEXT NOT NULL, level INTEGER NOT NULL, summary TEXT NOT NULL, opened TEXT NOT NULL, due TEXT NOT NULL,
    updated TEXT NOT NULL, notes TEXT NOT NULL,
    PRIMARY KEY (run, id)
);
CREATE TABLE IF NOT EXISTS alerts (
    run INTEGER NOT NULL, id TEXT NOT NULL, kind TEXT NOT NULL, severity TEXT NOT NULL, subject TEXT NOT NULL,
    message TEXT NOT NULL, raised TEXT NOT NULL, acked_by TEXT, acked_at TEXT,
    PRIMARY KEY (run, id)
);
CREATE TABLE IF NOT EXISTS audit (
    run INTEGER NOT NULL, seq INTEGER NOT NULL, at TEXT NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL,
    command TEXT NOT NULL, ok INTEGER NOT NULL, outcome TEXT NOT NULL,
    PRIMARY KEY (run, seq)
);
";

/// Version 1 → 2: the floor's identity and last floor time per run, wall times (for `--since`), whole call records
/// (caller, transcript, rule hits), a ticket log that notes are appended to (instead of a JSON column rewritten on
/// every note), `more` on audit entries, the queues each seat was reassigned to, and the id counters that let a restarted engine continue numbering.
const V1_TO_V2: &str = "
ALTER TABLE runs ADD COLUMN floor_id TEXT;
ALTER TABLE runs ADD COLUMN floor_last TEXT;
ALTER TABLE calls ADD COLUMN caller TEXT;
ALTER TABLE calls ADD COLUMN transcript TEXT NOT NULL DEFAULT '[]';
ALTER TABLE calls ADD COLUMN rule_hits TEXT NOT NULL DEFAULT '[]';
ALTER TABLE calls ADD COLUMN recorded TEXT;
ALTER TABLE audit ADD COLUMN more INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit ADD COLUMN wall TEXT;
ALTER TABLE alerts ADD COLUMN wall TEXT;
ALTER TABLE tickets ADD COLUMN wall TEXT;
CREATE TABLE ticket_log (
    run INTEGER NOT NULL,
    ticket TEXT NOT NULL,
    at TEXT NOT NULL,
    by TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    wall TEXT
);
CREATE INDEX ticket_log_ticket ON ticket_log (run, ticket);
INSERT INTO ticket_log (run, ticket, at, by, kind, text)
    SELECT t.run, t.id, json_extract(n.value, '$.at'), json_extract(n.value, '$.by'), 'note',
           json_extract(n.value, '$.text')
    FROM tickets t, json_each(t.notes) n;
ALTER TABLE tickets DROP COLUMN notes;
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE seats (scenario TEXT NOT NULL, agent TEXT NOT NULL, queues TEXT NOT NULL, PRIMARY KEY (scenario, agent));
CREATE INDEX audit_wall ON audit (wall);
CREATE INDEX calls_id ON calls (id);
";

/// Version 2 → 3: the records of issue 9's features.
/// - `calls`: how the IVR verified the caller, the second confirmation's outcome and who decided it, whether the
///   caller had called before, the callback an outbound call was placed for and how that callback stood, whether the
///   seat was temporary (typed columns, for auditors' filters), the rest in `extra` (JSON: the whole confirmation,
///   earlier contacts, suggestion cards, callback attempts, student link, seat origin). `caller_key` is a salted
///   hash of the caller's number (the salt is `meta.caller_salt`, made once per db) so a restarted engine finds a
///   caller's earlier calls without the db keeping the number. `dialect` and `elderly` are kept for the dialect
///   feature (NULL until the engine's calls carry them).
/// - `tickets.links`: the excerpt and earlier contacts a ticket was opened with (JSON).
/// - `callbacks`: every callback and its attempts, one row rewritten on each change (open ones are reloaded).
/// - `temp_seats`: temporary seats (`add_seats`, the scenario's plan), reloaded until their `until`.
const V2_TO_V3: &str = "
ALTER TABLE calls ADD COLUMN verification TEXT;
ALTER TABLE calls ADD COLUMN confirmation TEXT;
ALTER TABLE calls ADD COLUMN confirmed_by TEXT;
ALTER TABLE calls ADD COLUMN repeat_caller INTEGER NOT NULL DEFAULT 0;
ALTER TABLE calls ADD COLUMN callback_for TEXT;
ALTER TABLE calls ADD COLUMN callback_outcome TEXT;
ALTER TABLE calls ADD COLUMN temp_seat INTEGER NOT NULL DEFAULT 0;
ALTER TABLE calls ADD COLUMN dialect TEXT;
ALTER TABLE calls ADD COLUMN elderly INTEGER;
ALTER TABLE calls ADD COLUMN caller_key TEXT;
ALTER TABLE calls ADD COLUMN extra TEXT NOT NULL DEFAULT '{}';
CREATE INDEX calls_caller_key ON calls (caller_key);
ALTER TABLE tickets ADD COLUMN links TEXT NOT NULL DEFAULT '{}';
CREATE TABLE callbacks (
    scenario TEXT NOT NULL,
    call TEXT NOT NULL,
    status TEXT NOT NULL,
    promised TEXT,
    body TEXT NOT NULL,
    wall TEXT,
    PRIMARY KEY (scenario, call)
);
CREATE TABLE temp_seats (
    scenario TEXT NOT NULL,
    agent TEXT NOT NULL,
    until TEXT NOT NULL,
    by TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (scenario, agent)
);
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta (name, value) VALUES ('caller_salt', lower(hex(randomblob(16))));
";

/// What [`prepare`] found and did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prepared {
    /// An empty file: the tables were made.
    Created,
    /// A db of an older schema, migrated from that version.
    Migrated { from: i64 },
    /// Already at [`VERSION`].
    Current,
}

/// Why a file cannot be used as the store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    #[error("it was written by a newer callfloor (schema {found}; this callfloor knows up to {VERSION})")]
    Newer { found: i64 },
    #[error("it is not a callfloor database (application id {found:#x}, tables: {tables})")]
    Foreign { found: i64, tables: String },
    #[error("{0}")]
    Sql(String),
}

impl From<rusqlite::Error> for SchemaError {
    fn from(e: rusqlite::Error) -> Self {
        SchemaError::Sql(e.to_string())
    }
}

fn tables(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut st = conn.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")?;
    let names = st.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(names)
}

/// Reads which schema version the db has (0: empty) without writing anything; refuses a newer or foreign db.
pub fn check(conn: &Connection) -> Result<i64, SchemaError> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let app: i64 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    let names = tables(conn)?;
    if version > VERSION {
        return Err(SchemaError::Newer { found: version });
    }
    let ours = app == APPLICATION_ID || (app == 0 && version == 0 && is_v1(&names));
    if !names.is_empty() && !ours {
        let mut shown = names.clone();
        shown.truncate(5);
        return Err(SchemaError::Foreign { found: app, tables: shown.join(", ") });
    }
    Ok(if names.is_empty() { 0 } else { version.max(1) })
}

/// Brings a db that [`check`] found at version `from` to [`VERSION`], in one transaction.
pub fn prepare(conn: &mut Connection, from: i64) -> Result<Prepared, SchemaError> {
    if from == VERSION {
        return Ok(Prepared::Current);
    }
    let tx = conn.transaction()?;
    if from == 0 {
        tx.execute_batch(V1)?;
    }
    if from <= 1 {
        tx.execute_batch(V1_TO_V2)?;
    }
    if from <= 2 {
        tx.execute_batch(V2_TO_V3)?;
    }
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.pragma_update(None, "user_version", VERSION)?;
    tx.commit()?;
    Ok(if from == 0 { Prepared::Created } else { Prepared::Migrated { from } })
}

/// A version-1 db: exactly the first store's tables.
fn is_v1(names: &[String]) -> bool {
    let mut sorted: Vec<&str> = names.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    sorted == ["alerts", "audit", "calls", "runs", "sqlite_sequence", "tickets"]
        || sorted == ["alerts", "audit", "calls", "runs", "tickets"]
}

/// The schema version of an open db, if it has one.
pub fn version(conn: &Connection) -> rusqlite::Result<Option<i64>> {
    conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0)).optional()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A db of schema 2 (made by the v2 schema text, with a call, a ticket and a reassigned seat in it) is
    /// migrated to 3 on open: its rows are intact, the new columns have their defaults, the new tables are there
    /// and the db has its caller-key salt; a restarted floor reads it back.
    #[test]
    fn a_version_2_db_is_migrated_to_3_with_its_rows_intact() {
        let Ok(mut conn) = Connection::open_in_memory() else { panic!("an in-memory db") };
        assert!(conn.execute_batch(V1).is_ok());
        assert!(conn.execute_batch(V1_TO_V2).is_ok());
        assert!(conn.pragma_update(None, "application_id", APPLICATION_ID).is_ok());
        assert!(conn.pragma_update(None, "user_version", 2).is_ok());
        let rows = "
            INSERT INTO runs (scenario, floor_start, wall_start, floor_id, floor_last)
                VALUES ('bank', '2026-01-05T09:00:00.000Z', '2026-11-30T10:00:00.000Z', 'f1', '2026-01-05T12:00:00.000Z');
            INSERT INTO calls (run, id, queue, agent, lang, intent, arrived, answered, ended, wait_s, talk_s, outcome,
                final_sentiment, urgent, risk, ring_outs, caller, transcript, rule_hits, recorded)
                VALUES (1, 'C-7', 'cards', 'A-3', 'en', 'lost_card', '2026-01-05T11:00:00.000Z',
                '2026-01-05T11:00:20.000Z', '2026-01-05T11:04:00.000Z', 20.0, 220.0, 'ended', 0.2, 0, 0, 0,
                '138****5678', '[]', '[]', '2026-11-30T10:04:00.000Z');
            INSERT INTO tickets (run, id, call, category, priority, status, level, summary, opened, due, updated, wall)
                VALUES (1, 'T-4', 'C-7', 'card_block', 'high', 'open', 0, 'block the card',
                '2026-01-05T11:04:00.000Z', '2026-01-05T13:00:00.000Z', '2026-01-05T11:04:00.000Z', NULL);
            INSERT INTO seats (scenario, agent, queues) VALUES ('bank', 'A-3', '[\"cards\"]');
        ";
        assert!(conn.execute_batch(rows).is_ok());
        assert_eq!(check(&conn), Ok(2));
        assert_eq!(prepare(&mut conn, 2), Ok(Prepared::Migrated { from: 2 }));
        assert_eq!(check(&conn), Ok(VERSION));
        let call = conn.query_row(
            "SELECT caller, outcome, repeat_caller, temp_seat, extra, verification, caller_key FROM calls WHERE id = 'C-7'",
            [],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, bool>(2)?,
                    r.get::<_, bool>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                ))
            },
        );
        assert_eq!(
            call,
            Ok(("138****5678".into(), "ended".into(), false, false, "{}".into(), None, None)),
            "the call row is intact, new columns at their defaults"
        );
        let salt = conn.query_row("SELECT value FROM meta WHERE name = 'caller_salt'", [], |r| r.get::<_, String>(0));
        assert!(salt.as_ref().is_ok_and(|s| s.len() == 32 && s.chars().all(|c| c.is_ascii_hexdigit())), "{salt:?}");
        let resume = match super::super::read::resume(&conn, "bank") {
            Ok(r) => r,
            Err(e) => panic!("a migrated db is read back: {e}"),
        };
        assert_eq!(resume.tickets.iter().map(|t| t.id.to_string()).collect::<Vec<_>>(), ["T-4"]);
        assert!(resume.tickets[0].links.is_empty(), "a ticket from before schema 3 has no links");
        assert_eq!(resume.seats.len(), 1);
        assert!(resume.callbacks.is_empty() && resume.temp_seats.is_empty() && resume.callers.is_empty());
        assert_eq!(resume.caller_salt, salt.ok());
        // Preparing again finds it current.
        assert_eq!(prepare(&mut conn, VERSION), Ok(Prepared::Current));
    }
}
