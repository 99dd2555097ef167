//! Dialects in the store (issue 9 point 7): a finished call's record keeps the caller's dialect and whether they
//! were elderly (schema 3's `dialect` and `elderly` columns), and a call read back shows them as the floor did.

use std::path::PathBuf;
use std::sync::Arc;

use callfloor::engine::Engine;
use callfloor::engine::sim::scenario::Scenario;
use callfloor::engine::store::{DbOptions, Reader, Store};
use callfloor::model::*;
use chrono::Duration;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("callfloor-store-dialects-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(std::fs::create_dir_all(&dir).is_ok());
    dir
}

#[test]
fn finished_calls_keep_the_callers_dialect_and_age() {
    let dir = temp_dir("gov");
    let opts = DbOptions::plain(dir.join("floor.db"));
    let Ok(scenario) = Scenario::load("gov-hotline") else { panic!("the bundled gov-hotline scenario must load") };
    let mut engine = Engine::new(scenario, 7);
    let store = match Store::open(&opts, &mut engine) {
        Ok(s) => s,
        Err(e) => panic!("the store must open: {e:#}"),
    };
    // The calls as the floor held them when they ended.
    let mut mirror = engine.floor().clone();
    let mut finished = std::collections::BTreeMap::new();
    for _ in 0..3600 {
        let t = engine.now() + Duration::seconds(1);
        engine.advance_to(t);
        let events = engine.drain();
        for ev in &events {
            if let EventKind::CallEnded { call } | EventKind::CallAbandoned { call } = &ev.kind
                && let Some(c) = mirror.calls.get(call)
            {
                finished.insert(*call, (c.dialect.clone(), c.elderly));
            }
            mirror.apply(ev);
        }
        store.record(Arc::new(events));
    }
    let Ok(report) = store.close() else { panic!("the store must close") };
    assert_eq!((report.failed_writes, report.unwritten), (0, 0), "{report:?}");
    let records = match Reader::open(&opts).and_then(|r| r.calls(None)) {
        Ok(r) => r,
        Err(e) => panic!("calls: {e:#}"),
    };
    assert_eq!(records.len(), finished.len(), "every finished call has its record");
    for r in &records {
        let Some((dialect, elderly)) = finished.get(&r.id) else { panic!("{} did not finish", r.id) };
        assert_eq!((&r.dialect, r.elderly), (dialect, Some(*elderly)), "{}", r.id);
        let back = r.to_call();
        assert_eq!((&back.dialect, back.elderly), (dialect, *elderly), "{}", r.id);
    }
    let with_dialect = records.iter().filter(|r| r.dialect.is_some()).count();
    let elderly = records.iter().filter(|r| r.elderly == Some(true)).count();
    assert!(with_dialect > 0 && elderly > 0, "dialect callers {with_dialect}, elderly {elderly}");
    let _ = std::fs::remove_dir_all(&dir);
}
