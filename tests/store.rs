//! The store as an operator meets it: schema versions and migrations, files that are refused and left alone,
//! owner-only files, encryption at rest, exports that parse back, and a store that fails and comes back.

mod store_support;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use callfloor::cli::ExportFormat;
use callfloor::engine::Engine;
use callfloor::engine::server::{self, Pacing, ServerConfig, TokenEntry, Tokens};
use callfloor::engine::sim::scenario::Scenario;
use callfloor::engine::store::report::{export_rows, write_export};
use callfloor::engine::store::{Db, DbOptions, ExportKind, Prepared, Reader, SCHEMA_VERSION, Store};
use callfloor::model::*;
use store_support::Client;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("callfloor-store-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(std::fs::create_dir_all(&dir).is_ok());
    dir
}

fn engine(seed: u64) -> Engine {
    let Ok(s) = Scenario::load("bank") else { panic!("the bank scenario must load") };
    Engine::new(s, seed)
}

/// Runs a bank floor `minutes` floor-minutes with a store at `opts`, a supervisor noting and resolving a ticket
/// every 5 minutes (the note says `marker`). Returns the engine's floor at the end.
fn run_floor(opts: &DbOptions, minutes: u32, marker: &str) -> Floor {
    let mut engine = engine(11);
    let store = match Store::open(opts, &mut engine) {
        Ok(s) => s,
        Err(e) => panic!("the store must open: {e:#}"),
    };
    let ana = Actor::new("ana", Role::Supervisor);
    let mut t = engine.now();
    for minute in 0..minutes {
        t += chrono::Duration::minutes(1);
        engine.advance_to(t);
        if minute % 5 == 4
            && let Some(tk) = engine.floor().tickets.values().find(|t| t.status != TicketStatus::Resolved).cloned()
        {
            let note = Command::Note { ticket: tk.id, text: format!("{marker}, card 6222 0000 1111 2345") };
            assert!(engine.command(&ana, &note).is_ok());
        }
        store.record(Arc::new(engine.drain()));
    }
    let floor = engine.floor().clone();
    let Ok(report) = store.close() else { panic!("the store must close") };
    assert_eq!((report.failed_writes, report.unwritten), (0, 0), "{report:?}");
    floor
}

fn count(db: &Path, sql: &str) -> i64 {
    let Ok(conn) = rusqlite::Connection::open(db) else { panic!("open {}", db.display()) };
    match conn.query_row(sql, [], |r| r.get::<_, i64>(0)) {
        Ok(n) => n,
        Err(e) => panic!("{sql}: {e}"),
    }
}

fn open_err(opts: &DbOptions) -> String {
    match Db::open(opts) {
        Ok(_) => panic!("{} must be refused", opts.path.display()),
        Err(e) => format!("{e:#}"),
    }
}

#[test]
fn an_empty_file_gets_the_current_schema_and_a_second_open_finds_it_current() {
    let dir = temp_dir("empty");
    let db = dir.join("floor.db");
    let opts = DbOptions::plain(&db);
    let Ok(first) = Db::open(&opts) else { panic!("a new db opens") };
    assert_eq!(first.prepared(), Prepared::Created);
    drop(first);
    assert_eq!(count(&db, "PRAGMA user_version"), SCHEMA_VERSION);
    let Ok(again) = Db::open(&opts) else { panic!("it opens again") };
    assert_eq!(again.prepared(), Prepared::Current);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The first store's tables, as callfloor wrote them before schema versions.
const V1_DB: &str = "
CREATE TABLE runs (run INTEGER PRIMARY KEY AUTOINCREMENT, scenario TEXT NOT NULL, floor_start TEXT, wall_start TEXT NOT NULL);
CREATE TABLE calls (run INTEGER NOT NULL, id TEXT NOT NULL, queue TEXT, agent TEXT, lang TEXT NOT NULL, intent TEXT NOT NULL,
    arrived TEXT NOT NULL, answered TEXT, ended TEXT NOT NULL, wait_s REAL NOT NULL, talk_s REAL NOT NULL,
    outcome TEXT NOT NULL, final_sentiment REAL NOT NULL, urgent INTEGER NOT NULL, risk INTEGER NOT NULL,
    ring_outs INTEGER NOT NULL, PRIMARY KEY (run, id));
CREATE TABLE tickets (run INTEGER NOT NULL, id TEXT NOT NULL, call TEXT, category TEXT NOT NULL, priority TEXT NOT NULL,
    status TEXT NOT NULL, level INTEGER NOT NULL, summary TEXT NOT NULL, opened TEXT NOT NULL, due TEXT NOT NULL,
    updated TEXT NOT NULL, notes TEXT NOT NULL, PRIMARY KEY (run, id));
CREATE TABLE alerts (run INTEGER NOT NULL, id TEXT NOT NULL, kind TEXT NOT NULL, severity TEXT NOT NULL,
    subject TEXT NOT NULL, message TEXT NOT NULL, raised TEXT NOT NULL, acked_by TEXT, acked_at TEXT, PRIMARY KEY (run, id));
CREATE TABLE audit (run INTEGER NOT NULL, seq INTEGER NOT NULL, at TEXT NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL,
    command TEXT NOT NULL, ok INTEGER NOT NULL, outcome TEXT NOT NULL, PRIMARY KEY (run, seq));
INSERT INTO runs (scenario, floor_start, wall_start) VALUES ('bank', '2026-01-05T09:00:00.000Z', '2026-11-30T10:00:00.000Z');
INSERT INTO calls VALUES (1, 'C-1734', 'cards', 'A-3', 'en', 'lost_card', '2026-01-05T11:00:00.000Z',
    '2026-01-05T11:00:20.000Z', '2026-01-05T11:04:00.000Z', 20.0, 220.0, 'ended', 0.2, 0, 0, 0);
INSERT INTO tickets VALUES (1, 'T-41', 'C-1734', 'card_block', 'high', 'escalated', 1, 'block the lost card',
    '2026-01-05T11:04:00.000Z', '2026-01-05T13:00:00.000Z', '2026-01-05T12:00:00.000Z',
    '[{\"at\":\"2026-01-05T11:30:00.000Z\",\"by\":\"ana\",\"text\":\"customer called back twice\"}]');
INSERT INTO alerts VALUES (1, 'AL-77', 'urgent_keyword', 'critical', 'C-1734', 'caller said stolen', '2026-01-05T11:01:00.000Z', NULL, NULL);
INSERT INTO audit VALUES (1, 5000, '2026-01-05T11:30:00.000Z', 'ana', 'supervisor', '{\"type\":\"note\",\"ticket\":\"T-41\",\"text\":\"customer called back twice\"}', 1, 'ok');
";

#[test]
fn a_first_version_db_is_migrated_and_its_floor_continues() {
    let dir = temp_dir("v1");
    let db = dir.join("floor.db");
    let Ok(conn) = rusqlite::Connection::open(&db) else { panic!("make a v1 db") };
    assert!(conn.execute_batch(V1_DB).is_ok());
    drop(conn);
    let opts = DbOptions::plain(&db);
    let Ok(opened) = Db::open(&opts) else { panic!("a v1 db opens") };
    assert_eq!(opened.prepared(), Prepared::Migrated { from: 1 });
    let resume = match opened.resume("bank") {
        Ok(r) => r,
        Err(e) => panic!("resume: {e:#}"),
    };
    let Some(t) = resume.tickets.iter().find(|t| t.id == TicketId(41)) else { panic!("T-41 is reloaded: {resume:?}") };
    assert_eq!((t.level, t.status), (1, TicketStatus::Escalated));
    assert_eq!(
        t.notes.iter().map(|n| (n.by.as_str(), n.text.as_str())).collect::<Vec<_>>(),
        [("ana", "customer called back twice")]
    );
    assert!(resume.alerts.iter().any(|a| a.id == AlertId(77)));
    assert!(resume.audit.iter().any(|e| e.actor == "ana" && e.command.contains("T-41")));
    assert_eq!((resume.numbering.call, resume.numbering.ticket, resume.numbering.alert), (1734, 41, 77));
    drop(opened);

    // A floor started on it continues: T-41 is on it, new ids come after the old ones.
    let mut engine = engine(3);
    let Ok(store) = Store::open(&opts, &mut engine) else { panic!("the migrated db takes a new run") };
    assert!(engine.floor().tickets.contains_key(&TicketId(41)));
    engine.advance_to(engine.now() + chrono::Duration::minutes(30));
    store.record(Arc::new(engine.drain()));
    assert!(store.close().is_ok());
    assert!(count(&db, "SELECT MIN(CAST(substr(id, 3) AS INTEGER)) FROM calls WHERE run = 2") > 1734);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM tickets WHERE id = 'T-41'"), 1, "T-41 keeps its one row");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_newer_a_foreign_and_a_damaged_file_are_refused_and_left_as_they_were() {
    let dir = temp_dir("refused");
    // Newer: a callfloor db from a later schema.
    let newer = dir.join("newer.db");
    let Ok(conn) = rusqlite::Connection::open(&newer) else { panic!("make a db") };
    assert!(
        conn.execute_batch(
            "CREATE TABLE runs (run INTEGER); PRAGMA application_id = 1128680530; PRAGMA user_version = 99;"
        )
        .is_ok()
    );
    drop(conn);
    // Foreign: somebody else's SQLite file.
    let foreign = dir.join("foreign.db");
    let Ok(conn) = rusqlite::Connection::open(&foreign) else { panic!("make a db") };
    assert!(
        conn.execute_batch("CREATE TABLE invoices (id INTEGER, total REAL); INSERT INTO invoices VALUES (1, 9.5);")
            .is_ok()
    );
    drop(conn);
    // Damaged: not a database at all.
    let damaged = dir.join("damaged.db");
    assert!(
        std::fs::write(&damaged, b"SQLite format 2\0 this is not a database, just bytes that look a bit like one")
            .is_ok()
    );

    for (path, expect) in [
        (&newer, "written by a newer callfloor (schema 99"),
        (&foreign, "is not a callfloor database"),
        (&damaged, "cannot be read"),
    ] {
        let before = std::fs::read(path).unwrap_or_default();
        let msg = open_err(&DbOptions::plain(path));
        assert!(msg.contains(expect) && msg.contains(&path.display().to_string()), "{msg}");
        assert_eq!(msg.lines().count(), 1, "one sentence: {msg}");
        let after = std::fs::read(path).unwrap_or_default();
        assert!(after == before, "{} is left exactly as it was", path.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[test]
fn the_db_and_its_wal_and_shm_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("mode");
    let db = dir.join("floor.db");
    let mut engine = engine(5);
    let Ok(store) = Store::open(&DbOptions::plain(&db), &mut engine) else { panic!("open") };
    engine.advance_to(engine.now() + chrono::Duration::minutes(10));
    store.record(Arc::new(engine.drain()));
    // While the store is open its -wal and -shm exist.
    let Ok(()) = store.wait_committed() else { panic!("commit") };
    for suffix in ["", "-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{suffix}", db.display()));
        let Ok(meta) = std::fs::metadata(&p) else { panic!("{} exists while the engine runs", p.display()) };
        assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{}", p.display());
    }
    assert!(store.close().is_ok());
    // A db made readable by others is made owner-only again when an engine opens it.
    assert!(std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).is_ok());
    assert!(Db::open(&DbOptions::plain(&db)).is_ok());
    let mode = std::fs::metadata(&db).map(|m| m.permissions().mode() & 0o777).unwrap_or(0);
    assert_eq!(mode, 0o600);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Distinct words (6+ letters) of the stored transcripts.
fn transcript_words(reader: &Reader) -> Vec<String> {
    let Ok(calls) = reader.calls(None) else { panic!("read calls") };
    let mut words: Vec<String> = calls
        .iter()
        .flat_map(|c| c.transcript.iter())
        .flat_map(|l| l.text.split(|c: char| !c.is_ascii_alphabetic()).map(str::to_string).collect::<Vec<_>>())
        .filter(|w| w.len() >= 6)
        .collect();
    words.sort();
    words.dedup();
    words
}

#[test]
fn an_encrypted_db_holds_no_readable_words_and_opens_only_with_its_key() {
    let dir = temp_dir("cipher");
    let db = dir.join("floor.db");
    let key = DbOptions { path: db.clone(), key: Some("correct horse battery staple".into()) };
    run_floor(&key, 60, "papayawhip marker");
    let Ok(reader) = Reader::open(&key) else { panic!("the right key opens it") };
    let words = transcript_words(&reader);
    assert!(words.len() > 20, "a floor-hour says many words: {words:?}");
    let Ok(Some(_)) = reader.ticket(TicketId(1)).map(|t| t.map(|t| t.ticket.id)) else { panic!("T-1 is readable") };
    drop(reader);
    let mut bytes = std::fs::read(&db).unwrap_or_default();
    bytes.extend(std::fs::read(format!("{}-wal", db.display())).unwrap_or_default());
    assert!(bytes.len() > 10_000);
    let text = String::from_utf8_lossy(&bytes);
    for w in words.iter().chain(std::iter::once(&"papayawhip".to_string())) {
        assert!(!text.contains(w.as_str()), "the encrypted file holds the word {w:?}");
    }
    assert!(!text.contains("SQLite format 3"), "not even the SQLite header is readable");

    let without = open_err(&DbOptions::plain(&db));
    assert!(without.contains("it is encrypted (give its key with --db-key-file"), "{without}");
    let wrong = open_err(&DbOptions { path: db.clone(), key: Some("wrong key".into()) });
    assert!(wrong.contains("the key does not open"), "{wrong}");
    assert!(Reader::open(&DbOptions { path: db.clone(), key: Some("wrong key".into()) }).is_err());

    // The same floor in a plain db: its words are there to read, which is what the key prevents.
    let plain = dir.join("plain.db");
    run_floor(&DbOptions::plain(&plain), 60, "papayawhip marker");
    let bytes = std::fs::read(&plain).unwrap_or_default();
    assert!(String::from_utf8_lossy(&bytes).contains("papayawhip"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn stored_transcripts_mask_card_and_phone_numbers() {
    let dir = temp_dir("masked");
    let db = dir.join("floor.db");
    run_floor(&DbOptions::plain(&db), 90, "masked marker");
    let Ok(reader) = Reader::open(&DbOptions::plain(&db)) else { panic!("open") };
    let Ok(calls) = reader.calls(None) else { panic!("calls") };
    assert!(calls.len() > 50);
    for c in &calls {
        let caller = c.caller.clone().unwrap_or_default();
        assert!(caller.contains("****"), "{} is stored masked: {caller}", c.id);
        for l in &c.transcript {
            let longest = l.text.split(|ch: char| !ch.is_ascii_digit()).map(str::len).max().unwrap_or(0);
            assert!(longest < 8, "{}: {:?} keeps a long number", c.id, l.text);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn exports_parse_back_to_what_the_db_holds() {
    let dir = temp_dir("export");
    let db = dir.join("floor.db");
    run_floor(&DbOptions::plain(&db), 60, "export marker");
    let Ok(reader) = Reader::open(&DbOptions::plain(&db)) else { panic!("open") };
    for (kind, table, id_col) in [
        (ExportKind::Calls, "calls", "id"),
        (ExportKind::Tickets, "tickets", "id"),
        (ExportKind::Alerts, "alerts", "id"),
    ] {
        let Ok(rows) = export_rows(&reader, kind, None) else { panic!("export {table}") };
        let expected = count(&db, &format!("SELECT COUNT(*) FROM {table}"));
        assert!(expected > 0, "{table} has rows");
        assert_eq!(rows.len() as i64, expected, "{table}");

        let mut csv_out = Vec::new();
        assert!(write_export(&mut csv_out, &rows, ExportFormat::Csv).is_ok());
        let mut rdr = csv::Reader::from_reader(csv_out.as_slice());
        let Ok(headers) = rdr.headers().cloned() else { panic!("{table}: a header row") };
        let Some(id_at) = headers.iter().position(|h| h == id_col) else { panic!("{table}: an id column") };
        let records: Vec<csv::StringRecord> = rdr.records().filter_map(Result::ok).collect();
        assert_eq!(records.len() as i64, expected, "{table}: every CSV record parses");
        for (r, v) in records.iter().zip(&rows) {
            assert_eq!(Some(r.get(id_at).unwrap_or("")), v.get(id_col).and_then(|x| x.as_str()));
        }

        let mut json_out = Vec::new();
        assert!(write_export(&mut json_out, &rows, ExportFormat::Json).is_ok());
        let parsed: Vec<serde_json::Value> =
            String::from_utf8_lossy(&json_out).lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
        assert_eq!(parsed.len(), rows.len(), "{table}: every JSON line parses");
        for (p, r) in parsed.iter().zip(&rows) {
            assert!(same(p, r), "{table}: a JSON line parses back to the same record");
        }
    }
    // A ticket's notes travel whole: the CSV cell is JSON that parses back to the notes.
    let Ok(rows) = export_rows(&reader, ExportKind::Tickets, None) else { panic!("tickets") };
    let mut csv_out = Vec::new();
    assert!(write_export(&mut csv_out, &rows, ExportFormat::Csv).is_ok());
    let mut rdr = csv::Reader::from_reader(csv_out.as_slice());
    let Ok(headers) = rdr.headers().cloned() else { panic!("header") };
    let Some(notes_at) = headers.iter().position(|h| h == "notes") else { panic!("a notes column") };
    let noted = rdr
        .records()
        .filter_map(Result::ok)
        .filter_map(|r| serde_json::from_str::<Vec<TicketNote>>(r.get(notes_at).unwrap_or("[]")).ok())
        .filter(|notes| notes.iter().any(|n| n.text.starts_with("export marker") && n.by == "ana"))
        .count();
    assert!(noted > 0, "the supervisor's notes are in the CSV export");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Equal JSON values, numbers within 1e-12 (serde_json's default float parser may differ in the last bit).
fn same(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value as V;
    match (a, b) {
        (V::Number(x), V::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => (x - y).abs() <= 1e-12 * x.abs().max(1.0),
            _ => x == y,
        },
        (V::Array(x), V::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y)),
        (V::Object(x), V::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

const SUP: &str = "supervisor-token-store-01";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_cannot_write_refuses_changes_says_so_and_catches_up_when_it_can() {
    let dir = temp_dir("failing");
    let db = dir.join("floor.db");
    let tokens =
        Tokens::from_entries(vec![TokenEntry { name: "ana".into(), token: SUP.into(), role: Role::Supervisor }]);
    let Ok(listener) = tokio::net::TcpListener::bind("127.0.0.1:0").await else { panic!("bind") };
    let mut cfg = ServerConfig::new(tokens, Pacing::Manual);
    cfg.db = Some(DbOptions::plain(&db));
    let server = match server::serve(listener, engine(13), cfg).await {
        Ok(s) => s,
        Err(e) => panic!("serve: {e:#}"),
    };
    let mut open = None;
    for _ in 0..240 {
        let Ok(f) = server.floor().await else { panic!("floor") };
        open = f.tickets.values().find(|t| t.status != TicketStatus::Resolved).map(|t| t.id);
        if open.is_some() {
            break;
        }
        let _ = server.advance(chrono::Duration::seconds(60), chrono::Duration::seconds(1)).await;
    }
    let Some(ticket) = open else { panic!("a ticket opens within four floor-hours") };
    let mut ana = Client::connect(&server.url(), SUP);
    ana.until(|f| f.tickets.contains_key(&ticket)).await;
    assert_eq!(ana.command(Command::Note { ticket, text: "saved note".into() }).await, Ok(()));

    // Break the store under the engine: its notes table goes away.
    let Ok(conn) = rusqlite::Connection::open(&db) else { panic!("open") };
    assert!(conn.execute_batch("ALTER TABLE ticket_log RENAME TO ticket_log_away;").is_ok());
    let Err(first) = ana.command(Command::Note { ticket, text: "unsaved note".into() }).await else {
        panic!("a note the store cannot keep is not acknowledged")
    };
    assert!(first.starts_with("StoreFailed") && first.contains("not saved"), "{first}");
    let Err(second) = ana.command(Command::Note { ticket, text: "refused note".into() }).await else {
        panic!("while the store fails, changes are refused")
    };
    assert!(second.starts_with("StoreFailed") && second.contains("not done"), "{second}");
    let Ok(f) = server.floor().await else { panic!("floor") };
    assert!(!f.tickets[&ticket].notes.iter().any(|n| n.text == "refused note"), "a refused note is not on the floor");
    // Listening in is never held back by the store.
    // The metrics frames say the store is failing.
    loop {
        if let callfloor::client::Update::Metrics(m) = ana.pump().await
            && let Some(s) = &m.store
            && !s.ok
        {
            assert!(s.error.as_deref().unwrap_or("").contains("ticket_log"), "{s:?}");
            break;
        }
    }

    // The table comes back: the kept rows are written, and the metrics say so.
    assert!(conn.execute_batch("ALTER TABLE ticket_log_away RENAME TO ticket_log;").is_ok());
    loop {
        if let callfloor::client::Update::Metrics(m) = ana.pump().await
            && m.store.as_ref().is_some_and(|s| s.ok)
        {
            break;
        }
    }
    assert_eq!(count(&db, "SELECT COUNT(*) FROM ticket_log WHERE text = 'unsaved note'"), 1, "kept and written late");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM ticket_log WHERE text = 'refused note'"), 0);
    assert_eq!(ana.command(Command::Note { ticket, text: "after".into() }).await, Ok(()));
    assert!(server.shutdown().await.is_ok());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn callfloor_audit_and_export_read_the_db_from_the_command_line() {
    let dir = temp_dir("cli");
    let db = dir.join("floor.db");
    let key = DbOptions { path: db.clone(), key: Some("cli key 42".into()) };
    run_floor(&key, 45, "cli marker");
    let run = |args: &[&str], key: Option<&str>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_callfloor"));
        cmd.args(args).arg("--db").arg(&db).env_remove("CALLFLOOR_DB_KEY");
        if let Some(k) = key {
            cmd.env("CALLFLOOR_DB_KEY", k);
        }
        let Ok(out) = cmd.output() else { panic!("run callfloor {args:?}") };
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    // JSON lines of ana's entries: every one parses and is ana's note.
    let (ok, out, err) = run(&["audit", "--actor", "ana", "--json"], Some("cli key 42"));
    assert!(ok, "{err}");
    let rows: Vec<serde_json::Value> = out.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    assert!(rows.len() >= 5 && rows.len() == out.lines().count(), "{out}");
    assert!(
        rows.iter().all(|r| r["actor"] == "ana" && r["command"].as_str().is_some_and(|c| c.contains("cli marker")))
    );
    // The table for people, with a count line; --since in the future selects nothing.
    let (ok, out, _) = run(&["audit"], Some("cli key 42"));
    assert!(
        ok && out.contains("ana")
            && out.contains("note T-")
            && out.lines().last().is_some_and(|l| l.contains("entries")),
        "{out}"
    );
    let (ok, out, _) = run(&["audit", "--since", "2999-01-01T00:00:00Z"], Some("cli key 42"));
    assert!(ok && out.trim_end().ends_with("0 entries, 0 refused"), "{out}");
    // CSV of calls parses back.
    let (ok, out, err) = run(&["export", "calls", "--format", "csv"], Some("cli key 42"));
    assert!(ok, "{err}");
    let mut rdr = csv::Reader::from_reader(out.as_bytes());
    assert!(rdr.records().filter_map(Result::ok).count() > 30);
    // Without the key, or with a wrong one: one sentence, a failing exit.
    for key in [None, Some("wrong")] {
        let (ok, out, err) = run(&["audit"], key);
        assert!(!ok && out.is_empty(), "{out}");
        assert_eq!(err.trim().lines().count(), 1, "one sentence: {err}");
        assert!(err.contains("floor.db"), "{err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `callfloor export … | head` is a script's everyday pipe: when the reader goes away, the export stops quietly
/// (success, nothing on stderr) instead of printing a "Broken pipe" error.
#[test]
fn an_export_whose_reader_goes_away_stops_quietly() {
    let dir = temp_dir("pipe");
    let db = dir.join("floor.db");
    run_floor(&DbOptions { path: db.clone(), key: None }, 30, "pipe marker");
    let Ok((reader, writer)) = std::io::pipe() else { panic!("make a pipe") };
    drop(reader);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_callfloor"))
        .args(["export", "calls", "--format", "json", "--db"])
        .arg(&db)
        .env_remove("CALLFLOOR_DB_KEY")
        .stdout(writer)
        .output();
    let Ok(out) = out else { panic!("run callfloor export") };
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && err.is_empty(), "status {:?}, stderr: {err}", out.status);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_ticket_with_a_thousand_notes_keeps_the_snapshot_small_and_every_note_in_the_db() {
    let dir = temp_dir("notes");
    let db = dir.join("floor.db");
    let mut engine = engine(17);
    let Ok(store) = Store::open(&DbOptions::plain(&db), &mut engine) else { panic!("open") };
    let mut t = engine.now();
    let ticket = loop {
        t += chrono::Duration::minutes(1);
        engine.advance_to(t);
        if let Some(tk) = engine.floor().tickets.values().find(|t| t.status != TicketStatus::Resolved) {
            break tk.id;
        }
    };
    let ana = Actor::new("ana", Role::Supervisor);
    let before = callfloor::protocol::encode_snapshot(engine.floor()).len();
    for i in 0..1000 {
        let note = Command::Note { ticket, text: format!("note {i}: {}", "x".repeat(400)) };
        assert!(engine.command(&ana, &note).is_ok());
    }
    store.record(Arc::new(engine.drain()));
    let after = callfloor::protocol::encode_snapshot(engine.floor()).len();
    let on_floor = &engine.floor().tickets[&ticket];
    assert_eq!(on_floor.notes.len(), TICKET_NOTES_INLINE);
    assert_eq!(on_floor.notes_earlier as usize, 1000 - TICKET_NOTES_INLINE);
    assert_eq!(on_floor.notes.last().map(|n| n.text.starts_with("note 999:")), Some(true));
    // 1000 notes of 400+ characters are 400 KB; the snapshot grows by the inline 20 (and the audit entries).
    assert!(after - before < 20 * 1024 + AUDIT_CAP * 600, "the snapshot grew by {} bytes", after - before);
    assert!(store.close().is_ok());
    let Ok(reader) = Reader::open(&DbOptions::plain(&db)) else { panic!("reader") };
    let Ok(Some(rec)) = reader.ticket(ticket) else { panic!("the ticket is in the db") };
    assert_eq!(rec.ticket.notes.len(), 1000, "every note is kept in the db, in order");
    assert!(rec.ticket.notes.iter().enumerate().all(|(i, n)| n.text.starts_with(&format!("note {i}:"))));
    assert_eq!(count(&db, "SELECT COUNT(*) FROM ticket_log WHERE kind = 'note'"), 1000, "appended, one row a note");
    let _ = std::fs::remove_dir_all(&dir);
}
