//! The SQLite store: run an engine for some floor minutes with a store, then read back the rows.

use std::collections::HashSet;
use std::sync::Arc;

use callfloor::engine::Engine;
use callfloor::engine::sim::scenario::Scenario;
use callfloor::engine::store::{DbOptions, Store};
use callfloor::model::*;

#[derive(Default, Debug)]
struct Counts {
    cdrs: i64,
    abandoned: i64,
    tickets: i64,
    resolved: HashSet<TicketId>,
    alerts: i64,
    acked: i64,
    audit: i64,
    refused: i64,
}

impl Counts {
    fn add(&mut self, events: &[Event]) {
        for ev in events {
            match &ev.kind {
                EventKind::CallEnded { .. } => self.cdrs += 1,
                EventKind::CallAbandoned { .. } => {
                    self.cdrs += 1;
                    self.abandoned += 1;
                }
                EventKind::TicketOpened { .. } => self.tickets += 1,
                EventKind::TicketResolved { ticket, .. } => {
                    self.resolved.insert(*ticket);
                }
                EventKind::AlertRaised { .. } => self.alerts += 1,
                EventKind::AlertAcknowledged { .. } => self.acked += 1,
                EventKind::Audited { entry } => {
                    self.audit += 1;
                    if !entry.ok {
                        self.refused += 1;
                    }
                }
                _ => {}
            }
        }
    }
}

#[test]
fn the_store_holds_what_the_events_said() {
    let dir = std::env::temp_dir().join(format!("callfloor-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(std::fs::create_dir_all(&dir).is_ok());
    let db = dir.join("floor.db");

    let Ok(scenario) = Scenario::load("bank") else { panic!("the bank scenario must load") };
    let mut engine = Engine::new(scenario, 11);
    engine.discard_outbox();
    let store = match Store::open(&DbOptions::plain(&db), &mut engine) {
        Ok(s) => s,
        Err(e) => panic!("the store must open: {e:#}"),
    };
    let mut counts = Counts::default();
    let mut notes_sent = 0;
    let viewer = Actor::new("val", Role::Viewer);
    let ana = Actor::new("ana", Role::Supervisor);
    let mut t = engine.now();
    for minute in 0..45 {
        for _ in 0..60 {
            t += chrono::Duration::seconds(1);
            engine.advance_to(t);
            let events = engine.drain();
            counts.add(&events);
            store.record(Arc::new(events));
        }
        if minute % 5 == 4 {
            let f = engine.floor().clone();
            if let Some(a) = f.open_alerts().next() {
                assert!(engine.command(&viewer, &Command::AckAlert { alert: a.id }).is_err(), "viewers cannot ack");
                assert!(engine.command(&ana, &Command::AckAlert { alert: a.id }).is_ok());
            }
            if let Some(tk) = f.tickets.values().find(|t| t.status != TicketStatus::Resolved) {
                let note = Command::Note { ticket: tk.id, text: "called back, card 6222 0000 1111 2345".into() };
                assert!(engine.command(&ana, &note).is_ok());
                notes_sent += 1;
                assert!(engine.command(&ana, &Command::Resolve { ticket: tk.id, note: "done".into() }).is_ok());
            }
            let events = engine.drain();
            counts.add(&events);
            store.record(Arc::new(events));
        }
    }
    let report = match store.close() {
        Ok(r) => r,
        Err(e) => panic!("the store must close cleanly: {e:#}"),
    };
    assert_eq!((report.failed_writes, report.unwritten, report.first_error.as_deref()), (0, 0, None));
    assert!(counts.cdrs > 50 && counts.tickets > 0 && counts.alerts > 0 && counts.refused > 0, "{counts:?}");

    let Ok(conn) = rusqlite::Connection::open(&db) else { panic!("cannot open the database") };
    let count = |sql: &str| match conn.query_row(sql, [], |r| r.get::<_, i64>(0)) {
        Ok(n) => n,
        Err(e) => panic!("{sql}: {e}"),
    };
    assert_eq!(count("SELECT COUNT(*) FROM calls"), counts.cdrs);
    assert_eq!(count("SELECT COUNT(*) FROM calls WHERE outcome = 'abandoned'"), counts.abandoned);
    assert_eq!(count("SELECT COUNT(*) FROM tickets"), counts.tickets);
    assert_eq!(count("SELECT COUNT(*) FROM tickets WHERE status = 'resolved'"), counts.resolved.len() as i64);
    assert_eq!(count("SELECT COUNT(*) FROM alerts"), counts.alerts);
    assert_eq!(count("SELECT COUNT(*) FROM alerts WHERE acked_by IS NOT NULL"), counts.acked);
    assert_eq!(count("SELECT COUNT(*) FROM audit"), counts.audit);
    assert_eq!(count("SELECT COUNT(*) FROM audit WHERE ok = 0"), counts.refused);
    assert_eq!(
        count("SELECT COUNT(*) FROM audit WHERE ok = 0 AND actor = 'val' AND outcome LIKE 'forbidden:%'"),
        counts.refused
    );
    assert_eq!(count("SELECT COUNT(*) FROM runs"), 1);
    // Call detail records are whole: answered calls have an agent and a talk time, waits are never negative.
    assert_eq!(count("SELECT COUNT(*) FROM calls WHERE outcome = 'ended' AND (agent IS NULL OR answered IS NULL)"), 0);
    assert_eq!(count("SELECT COUNT(*) FROM calls WHERE wait_s < 0 OR talk_s < 0"), 0);
    assert!(count("SELECT COUNT(*) FROM calls WHERE talk_s > 0") > 0);
    // Notes are appended to the ticket's log, one row each, with who wrote them.
    assert_eq!(
        count("SELECT COUNT(*) FROM ticket_log WHERE kind = 'note' AND by = 'ana' AND text LIKE 'called back%'"),
        notes_sent
    );

    // A second run in the same file gets its own run id, continues the first's numbering and overwrites nothing.
    let Ok(scenario) = Scenario::load("bank") else { panic!("the bank scenario must load") };
    let mut engine = Engine::new(scenario, 11);
    engine.discard_outbox();
    let Ok(store) = Store::open(&DbOptions::plain(&db), &mut engine) else {
        panic!("the store must open a second time")
    };
    engine.advance_to(engine.now() + chrono::Duration::minutes(10));
    store.record(Arc::new(engine.drain()));
    let Ok(report) = store.close() else { panic!("second close") };
    assert_eq!(report.run, 2);
    assert_eq!(count("SELECT COUNT(*) FROM calls WHERE run = 1"), counts.cdrs);
    assert!(count("SELECT COUNT(*) FROM calls WHERE run = 2") > 0);
    assert_eq!(count("SELECT COUNT(*) FROM calls a JOIN calls b ON a.id = b.id AND a.run < b.run"), 0, "no id twice");
    assert!(
        count("SELECT MIN(CAST(substr(id, 3) AS INTEGER)) FROM calls WHERE run = 2")
            > count("SELECT MAX(CAST(substr(id, 3) AS INTEGER)) FROM calls WHERE run = 1")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unwritable_database_is_reported_at_open() {
    // A folder that cannot be made: its parent is a file.
    let file = std::env::temp_dir().join(format!("callfloor-not-a-dir-{}", std::process::id()));
    assert!(std::fs::write(&file, "x").is_ok());
    let path = file.join("x").join("floor.db");
    let Ok(scenario) = Scenario::load("bank") else { panic!("the bank scenario must load") };
    let mut engine = Engine::new(scenario, 11);
    let Err(e) = Store::open(&DbOptions::plain(&path), &mut engine) else {
        panic!("a folder under a file cannot be made")
    };
    let msg = format!("{e:#}");
    assert!(msg.contains("cannot create the folder") && msg.contains("callfloor-not-a-dir"), "{msg}");
    let _ = std::fs::remove_file(&file);
}
