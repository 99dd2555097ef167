//! Schema 3: what issue 9's features leave in the store, and what a restarted engine gets back from it. Finished
//! calls keep how the caller was verified, the second confirmation, whether they had called before, the cards
//! suggested, the callback they were placed for and whether a temporary seat took them; tickets keep their excerpt
//! and earlier contacts; open callbacks, temporary seats and callers' earlier contacts come back after a restart.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use callfloor::cli::ExportFormat;
use callfloor::engine::Engine;
use callfloor::engine::sim::scenario::Scenario;
use callfloor::engine::store::report::{export_rows, write_export};
use callfloor::engine::store::{Db, DbOptions, ExportKind, Reader, Store};
use callfloor::model::*;
use chrono::Duration;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("callfloor-store-v3-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(std::fs::create_dir_all(&dir).is_ok());
    dir
}

/// The bundled scenario `name` with `from` replaced by `to` (which must occur once).
fn load_changed(name: &str, from: &str, to: &str) -> Scenario {
    let Some((_, text)) = callfloor::engine::sim::scenario::BUNDLED.iter().find(|(n, _)| *n == name) else {
        panic!("no bundled {name}")
    };
    assert_eq!(text.matches(from).count(), 1, "test setup: {from:?} must occur once in {name}");
    match Scenario::parse(&text.replace(from, to), name) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}

fn load(name: &str) -> Scenario {
    match Scenario::load(name) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}

fn open(opts: &DbOptions, engine: &mut Engine) -> Store {
    match Store::open(opts, engine) {
        Ok(s) => s,
        Err(e) => panic!("the store must open: {e:#}"),
    }
}

/// Advances `seconds` floor-seconds one second at a time, recording every event; returns them.
fn step(engine: &mut Engine, store: &Store, seconds: i64) -> Vec<Event> {
    let mut out = Vec::new();
    for _ in 0..seconds {
        let t = engine.now() + Duration::seconds(1);
        engine.advance_to(t);
        let events = engine.drain();
        out.extend(events.iter().cloned());
        store.record(Arc::new(events));
    }
    out
}

/// The calls as the floor held them just before they ended or were abandoned, by id.
fn finished_calls(start: &Floor, events: &[Event]) -> BTreeMap<CallId, Call> {
    let mut mirror = start.clone();
    let mut out = BTreeMap::new();
    for ev in events {
        if let EventKind::CallEnded { call } | EventKind::CallAbandoned { call } = &ev.kind
            && let Some(c) = mirror.calls.get(call)
        {
            out.insert(*call, c.clone());
        }
        mirror.apply(ev);
    }
    out
}

/// One text value from the db (read-only, as an auditor would).
fn sql_text(opts: &DbOptions, sql: &str) -> String {
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY;
    let Ok(conn) = rusqlite::Connection::open_with_flags(&opts.path, flags) else { panic!("open the db") };
    match conn.query_row(sql, [], |r| r.get::<_, String>(0)) {
        Ok(v) => v,
        Err(e) => panic!("{sql}: {e}"),
    }
}

fn reader(opts: &DbOptions) -> Reader {
    match Reader::open(opts) {
        Ok(r) => r,
        Err(e) => panic!("the db must open for reading: {e:#}"),
    }
}

#[test]
fn finished_bank_calls_keep_verification_confirmation_and_repeat_callers_and_exports_show_them() {
    let dir = temp_dir("bank");
    let opts = DbOptions::plain(dir.join("floor.db"));
    let mut engine = Engine::new(load("bank"), 21);
    let store = open(&opts, &mut engine);
    let start = engine.floor().clone();
    let events = step(&mut engine, &store, 4 * 3600);
    let floor = engine.floor().clone();
    let Ok(report) = store.close() else { panic!("the store must close") };
    assert_eq!((report.failed_writes, report.unwritten), (0, 0), "{report:?}");

    let finished = finished_calls(&start, &events);
    let records = match reader(&opts).calls(None) {
        Ok(r) => r,
        Err(e) => panic!("calls: {e:#}"),
    };
    assert_eq!(records.len(), finished.len(), "every finished call has its record");
    for r in &records {
        let Some(c) = finished.get(&r.id) else { panic!("{} is not a call that finished", r.id) };
        assert_eq!(r.verification, c.verification, "{}", r.id);
        assert_eq!(r.confirmation, c.confirmation.as_ref().map(|k| k.state), "{}", r.id);
        assert_eq!(r.confirmed_by, c.confirmation.as_ref().and_then(|k| k.by.clone()), "{}", r.id);
        assert_eq!(
            r.details.confirmation.as_ref().map(|k| (&k.rule, k.asked)),
            c.confirmation.as_ref().map(|k| (&k.rule, k.asked))
        );
        assert_eq!(r.repeat_caller, !c.earlier.is_empty(), "{}", r.id);
        assert_eq!(r.details.earlier, c.earlier, "{}", r.id);
        assert_eq!(r.details.suggestions, c.suggestions, "{}", r.id);
        assert!(!r.temp_seat && r.callback_for.is_none(), "the bank has no temporary seats or callback calls");
        assert_eq!((r.dialect.as_deref(), r.elderly), (None, None), "not filled until calls carry them");
        // Read back as a call, the record shows what the floor showed.
        let back = r.to_call();
        assert_eq!((back.verification, &back.earlier), (c.verification, &c.earlier));
    }
    let verified = records.iter().filter(|r| r.verification.is_some_and(Verification::is_verified)).count();
    let decided = records
        .iter()
        .filter(|r| matches!(r.confirmation, Some(ConfirmationState::Confirmed | ConfirmationState::Refused)))
        .count();
    let repeat = records.iter().filter(|r| r.repeat_caller).count();
    assert!(verified > 0 && decided > 0 && repeat > 0, "verified {verified}, decided {decided}, repeat {repeat}");

    // The export carries the new fields: typed columns in the CSV header, and each call's values.
    let Ok(rows) = export_rows(&reader(&opts), ExportKind::Calls, None) else { panic!("export") };
    let mut csv_out = Vec::new();
    assert!(write_export(&mut csv_out, &rows, ExportFormat::Csv).is_ok());
    let mut rdr = csv::Reader::from_reader(csv_out.as_slice());
    let Ok(headers) = rdr.headers().cloned() else { panic!("a header row") };
    let col = |name: &str| match headers.iter().position(|h| h == name) {
        Some(i) => i,
        None => panic!("the CSV has no {name} column: {headers:?}"),
    };
    let (id, ver, conf, rep, det) =
        (col("id"), col("verification"), col("confirmation"), col("repeat_caller"), col("details"));
    for c in ["confirmed_by", "callback_for", "callback_outcome", "temp_seat", "dialect", "elderly"] {
        col(c);
    }
    let mut repeat_in_csv = 0;
    for rec in rdr.records().filter_map(Result::ok) {
        let Some(r) = records.iter().find(|r| Some(r.id.to_string().as_str()) == rec.get(id)) else {
            panic!("a CSV row of an unknown call")
        };
        assert_eq!(rec.get(ver).unwrap_or(""), r.verification.map(Verification::as_str).unwrap_or(""));
        assert_eq!(rec.get(conf).unwrap_or(""), r.confirmation.map(ConfirmationState::as_str).unwrap_or(""));
        assert_eq!(rec.get(rep), Some(if r.repeat_caller { "true" } else { "false" }));
        let details: CallDetails = match serde_json::from_str(rec.get(det).unwrap_or("")) {
            Ok(d) => d,
            Err(e) => panic!("the details cell is JSON: {e}"),
        };
        assert_eq!(details, r.details);
        repeat_in_csv += usize::from(r.repeat_caller);
    }
    assert_eq!(repeat_in_csv, repeat);
    let mut json_out = Vec::new();
    assert!(write_export(&mut json_out, &rows, ExportFormat::Json).is_ok());
    let parsed: Vec<CallRecord> =
        String::from_utf8_lossy(&json_out).lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    assert_eq!(parsed.len(), records.len(), "every JSON line is a call record");
    assert_eq!(parsed.iter().filter(|r| r.repeat_caller).count(), repeat);

    // Tickets keep the excerpt and earlier contacts they were opened with: a restarted floor's open tickets have
    // them, as the floor had them (the excerpt masked as transcripts are).
    let Ok(db) = Db::open(&opts) else { panic!("reopen") };
    let Ok(resume) = db.resume("bank") else { panic!("resume") };
    let mut linked = 0;
    for t in &resume.tickets {
        let Some(was) = floor.tickets.get(&t.id) else { continue };
        assert_eq!(t.links.earlier, was.links.earlier, "{}", t.id);
        assert_eq!(t.links.excerpt.len(), was.links.excerpt.len(), "{}", t.id);
        for (a, b) in t.links.excerpt.iter().zip(&was.links.excerpt) {
            assert_eq!((a.at, a.speaker), (b.at, b.speaker));
            assert_eq!(a.text, callfloor::model::redact::mask_text(&b.text), "{}", t.id);
        }
        linked += usize::from(!t.links.is_empty());
    }
    assert!(linked > 0, "some reloaded ticket has links");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs the school floor (callers never picking up a callback) until a callback waits; returns it.
fn until_callback(engine: &mut Engine, store: &Store) -> CallId {
    for _ in 0..(6 * 60) {
        if let Some(c) = engine.floor().callbacks.iter().find(|c| c.status == CallbackStatus::Waiting) {
            return c.call;
        }
        step(engine, store, 60);
    }
    panic!("no callback in 6 floor-hours");
}

#[test]
fn open_callbacks_temporary_seats_and_callers_come_back_after_a_restart() {
    let dir = temp_dir("school");
    let opts = DbOptions::plain(dir.join("floor.db"));
    let scenario = load_changed("school", "reach_share = 0.75", "reach_share = 0.0");
    let sue = Actor::new("sue", Role::Supervisor);
    let root = Actor::new("root", Role::Admin);

    // First run: a callback assigned to its queue and tried once, and two part-time seats until 90 minutes ahead.
    let mut engine = Engine::new(scenario.clone(), 4);
    let store = open(&opts, &mut engine);
    let cb = until_callback(&mut engine, &store);
    let queue = engine.floor().callbacks.iter().find(|c| c.call == cb).and_then(|c| c.queue.clone());
    assert!(engine.command(&sue, &Command::AssignCallback { call: cb, to_agent: None, to_queue: queue }).is_ok());
    store.record(Arc::new(engine.drain()));
    // What the server's ack waits for: once committed, the assignment is in the db.
    assert!(store.wait_committed().is_ok());
    let status = sql_text(&opts, &format!("SELECT status FROM callbacks WHERE call = '{cb}'"));
    assert!(status == "assigned" || status == "dialing", "{cb} is kept as {status}");
    for _ in 0..600 {
        if engine.floor().callbacks.iter().any(|c| c.call == cb && c.status == CallbackStatus::Retry) {
            break;
        }
        step(&mut engine, &store, 1);
    }
    let Some(before) = engine.floor().callbacks.iter().find(|c| c.call == cb).cloned() else { panic!("{cb}") };
    assert_eq!((before.status, before.attempts.len()), (CallbackStatus::Retry, 1), "{before:?}");
    let Some(promised) = before.promised else { panic!("the school promises a call back") };
    let until = engine.now() + Duration::minutes(90);
    let add = Command::AddSeats {
        queue: QueueId::new("parents"),
        count: 2,
        skills: vec!["registry".into()],
        until,
        origin: SeatOrigin::PartTime,
    };
    assert!(engine.command(&root, &add).is_ok());
    store.record(Arc::new(engine.drain()));
    assert!(store.wait_committed().is_ok());
    let kept = sql_text(&opts, "SELECT COUNT(*) || '' FROM temp_seats WHERE by = 'root'");
    assert_eq!(kept, "2", "the added seats are in the db once committed");
    let temps: BTreeMap<AgentId, Agent> = engine
        .floor()
        .agents
        .values()
        .filter(|a| a.temporary.as_ref().is_some_and(|t| t.origin == SeatOrigin::PartTime && t.until == until))
        .map(|a| (a.id, a.clone()))
        .collect();
    assert_eq!(temps.len(), 2);
    let stopped_at = engine.now();
    assert!(promised > stopped_at, "test setup: the promise is still ahead when the engine stops");
    assert!(store.wait_committed().is_ok());
    let first_calls: BTreeSet<CallId> = match reader(&opts).calls(None) {
        Ok(r) => r.iter().map(|c| c.id).collect(),
        Err(e) => panic!("{e:#}"),
    };
    drop(store);
    drop(engine);

    // Second run on the same db: the callback and the seats are back as they were.
    let mut engine = Engine::new(scenario, 4);
    let store = open(&opts, &mut engine);
    let Some(after) = engine.floor().callbacks.iter().find(|c| c.call == cb).cloned() else {
        panic!("the open callback {cb} is back")
    };
    assert_eq!((after.status, &after.assigned, after.promised), (before.status, &before.assigned, before.promised));
    assert_eq!(after.attempts, before.attempts);
    assert_eq!(after.caller, callfloor::model::redact::mask_number(&before.caller), "numbers are masked at rest");
    for (id, was) in &temps {
        let Some(a) = engine.floor().agents.get(id) else { panic!("temporary seat {id} is back") };
        assert_eq!((&a.name, &a.queues, &a.temporary), (&was.name, &was.queues, &was.temporary));
        assert_eq!(a.state, AgentState::Available);
    }

    // The retry timer, the promise timer and the seats' `until` run on.
    let events = step(&mut engine, &store, 100 * 60);
    let dialled = events
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::CallbackDialed { callback, .. } if *callback == cb))
        .count();
    assert!(dialled >= 1, "the restored callback is dialled again");
    assert!(
        events.iter().any(|e| matches!(&e.kind, EventKind::AlertRaised { alert }
            if alert.kind == AlertKind::CallbackOverdue && alert.subject == cb.to_string())),
        "the promise timer raises the overdue alert"
    );
    for id in temps.keys() {
        assert_eq!(engine.floor().agents.get(id).map(|a| a.state), Some(AgentState::Offline), "{id} left at until");
    }
    // Callers of the first run are recognised in the second (the school's contacts call often).
    let recognised = events.iter().any(|e| {
        matches!(&e.kind, EventKind::CallerRecognised { earlier, .. }
            if earlier.calls.iter().any(|c| first_calls.contains(&c.call)))
    });
    assert!(recognised, "a caller's calls from before the restart are found");
    let Ok(report) = store.close() else { panic!("close") };
    assert_eq!((report.failed_writes, report.unwritten), (0, 0), "{report:?}");

    // The records of the callback's calls say what they were for and how the callback stood; the temporary seats'
    // calls say so.
    let records = match reader(&opts).calls(None) {
        Ok(r) => r,
        Err(e) => panic!("{e:#}"),
    };
    let outbound: Vec<&CallRecord> = records.iter().filter(|r| r.callback_for == Some(cb)).collect();
    assert!(outbound.len() >= 2, "each attempt's call has its record: {}", outbound.len());
    for r in &outbound {
        assert!(r.callback_outcome.is_some() && !r.details.callback_attempts.is_empty(), "{r:?}");
    }
    assert!(
        records.iter().any(|r| r.temp_seat && r.details.seat_origin.is_some()),
        "calls taken by temporary seats say so"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
