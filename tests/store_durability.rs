//! Acked means durable: a real engine process is killed with SIGKILL right after each of 50 acknowledged commands
//! (escalate, note, resolve, ack, reassign) and restarted on the same db; every change is on the restarted floor and
//! in the audit log, and numbering continues (no id twice on one db).

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};

use callfloor::engine::store::{DbOptions, Reader};
use callfloor::model::*;

mod store_support;
use store_support::Client;

const ADMIN: &str = "admin-token-durable-0001";

struct Engine {
    child: Child,
    url: String,
}

/// Starts `callfloor engine` on a free loopback port with `db` and waits for the line that gives its URL.
fn start_engine(dir: &Path, db: &Path) -> Engine {
    let tokens = dir.join("tokens.toml");
    let text = format!("[[token]]\nname = \"auditor-ana\"\ntoken = \"{ADMIN}\"\nrole = \"admin\"\n");
    assert!(std::fs::write(&tokens, text).is_ok());
    let child = Process::new(env!("CARGO_BIN_EXE_callfloor"))
        .args(["engine", "--scenario", "ecommerce-promo", "--speed", "30", "--listen", "127.0.0.1:0", "--tokens"])
        .arg(&tokens)
        .arg("--db")
        .arg(db)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else { panic!("cannot start callfloor engine") };
    let Some(stderr) = child.stderr.take() else { panic!("no stderr") };
    let mut lines = BufReader::new(stderr).lines();
    let url = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(at) = line.find("ws://") {
                    break line[at..].trim().to_string();
                }
            }
            other => {
                let _ = child.kill();
                panic!("the engine stopped before serving: {other:?}");
            }
        }
    };
    // Keep draining stderr so the engine never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Engine { child, url }
}

/// What one acknowledged command must have left behind.
#[derive(Debug, Clone)]
enum Expect {
    Note { ticket: TicketId, text: String },
    Escalated { ticket: TicketId, level: u8, text: String },
    Resolved { ticket: TicketId, text: String },
    Acked { alert: AlertId },
    Seat { agent: AgentId, queues: Vec<QueueId> },
}

fn open_ticket(f: &Floor) -> Option<&Ticket> {
    f.tickets.values().rev().find(|t| t.status != TicketStatus::Resolved && t.level < 2)
}

/// Picks the command for step `i` on this floor, or None when the floor has nothing to act on yet.
fn pick(i: usize, f: &Floor) -> Option<(Command, Expect)> {
    let text = format!("durable step {i}");
    match i % 5 {
        0 => open_ticket(f)
            .map(|t| (Command::Note { ticket: t.id, text: text.clone() }, Expect::Note { ticket: t.id, text })),
        1 => open_ticket(f).map(|t| {
            (
                Command::Escalate { ticket: t.id, note: text.clone() },
                Expect::Escalated { ticket: t.id, level: t.level + 1, text },
            )
        }),
        2 => open_ticket(f)
            .map(|t| (Command::Resolve { ticket: t.id, note: text.clone() }, Expect::Resolved { ticket: t.id, text })),
        3 => f.open_alerts().last().map(|a| (Command::AckAlert { alert: a.id }, Expect::Acked { alert: a.id })),
        _ => {
            let a = f.agents.values().nth(i % f.agents.len().max(1))?;
            let mut queues: Vec<QueueId> = f.queues.iter().map(|q| q.id.clone()).collect();
            // A different set each time: rotate and take one more or one fewer queue.
            let n = queues.len().max(1);
            queues.rotate_left(i % n);
            queues.truncate(1 + i % 2);
            Some((Command::Reassign { agent: a.id, queues: queues.clone() }, Expect::Seat { agent: a.id, queues }))
        }
    }
}

/// Checks a restarted floor (and the db) hold what the acknowledged command did.
fn check(step: usize, expect: &Expect, floor: &Floor, reader: &Reader) {
    let audit = match reader.audit(None, Some("auditor-ana")) {
        Ok(a) => a,
        Err(e) => panic!("reading the audit log: {e:#}"),
    };
    let name = match expect {
        Expect::Note { .. } => "note",
        Expect::Escalated { .. } => "escalate",
        Expect::Resolved { .. } => "resolve",
        Expect::Acked { .. } => "ack_alert",
        Expect::Seat { .. } => "reassign",
    };
    let needle = match expect {
        Expect::Note { text, .. } | Expect::Escalated { text, .. } | Expect::Resolved { text, .. } => text.clone(),
        Expect::Acked { alert } => alert.to_string(),
        Expect::Seat { agent, .. } => agent.to_string(),
    };
    assert!(
        audit.iter().any(|r| r.entry.ok && r.entry.command.contains(name) && r.entry.command.contains(&needle)),
        "step {step}: the audit log has the acknowledged {name} ({needle})"
    );
    match expect {
        Expect::Note { ticket, text } | Expect::Escalated { ticket, text, .. } | Expect::Resolved { ticket, text } => {
            let Ok(Some(rec)) = reader.ticket(*ticket) else { panic!("step {step}: {ticket} is in the db") };
            assert!(rec.ticket.notes.iter().any(|n| &n.text == text), "step {step}: {ticket} has the note {text:?}");
            let on_floor = floor.tickets.get(ticket);
            match expect {
                Expect::Resolved { .. } => {
                    assert_eq!(rec.ticket.status, TicketStatus::Resolved, "step {step}");
                    assert!(on_floor.is_none(), "step {step}: a resolved {ticket} is not reopened on the new floor");
                }
                Expect::Escalated { level, .. } => {
                    assert!(rec.ticket.level >= *level, "step {step}");
                    let Some(t) = on_floor else { panic!("step {step}: the escalated {ticket} is back on the floor") };
                    assert!(t.level >= *level && t.notes.iter().any(|n| &n.text == text), "step {step}: {t:?}");
                }
                _ => {
                    let Some(t) = on_floor else { panic!("step {step}: the noted {ticket} is back on the floor") };
                    assert!(t.notes.iter().any(|n| &n.text == text), "step {step}: {t:?}");
                }
            }
        }
        Expect::Acked { alert } => {
            assert!(!floor.open_alerts().any(|a| a.id == *alert), "step {step}: the acked {alert} stays acked");
        }
        Expect::Seat { agent, queues } => {
            let Some(a) = floor.agents.get(agent) else { panic!("step {step}: {agent} exists") };
            assert_eq!(&a.queues, queues, "step {step}: {agent} keeps the queues it was moved to");
        }
    }
}

/// Every id a floor shows.
fn ids(f: &Floor) -> (BTreeSet<u32>, BTreeSet<u32>, BTreeSet<u32>) {
    (
        f.calls.keys().map(|c| c.0).chain(f.recent.iter().map(|r| r.id.0)).collect(),
        f.tickets.keys().map(|t| t.0).collect(),
        f.alerts.keys().map(|a| a.0).collect(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_command_survives_a_kill_9_and_numbering_continues() {
    let dir = std::env::temp_dir().join(format!("callfloor-durable-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(std::fs::create_dir_all(&dir).is_ok());
    let db: PathBuf = dir.join("floor.db");
    let mut pending: Option<(usize, Expect)> = None;
    let mut seen_before = (0u32, 0u32, 0u32);
    let mut step = 0;
    let mut restarts = 0;
    while step < 50 {
        let mut engine = start_engine(&dir, &db);
        restarts += 1;
        let mut client = Client::connect(&engine.url, ADMIN);
        client.until(|_| true).await;
        let first = client.mirror.floor.clone();
        // Numbering continues: every new call is numbered after every call, ticket and alert of earlier runs.
        let (calls, _, _) = ids(&first);
        if let Some(min_new_call) = calls.iter().copied().filter(|&c| c > 0).min() {
            assert!(min_new_call > seen_before.0, "run {restarts}: C-{min_new_call} after C-{}", seen_before.0);
        }
        if let Some((at, expect)) = pending.take() {
            let reader = match Reader::open(&DbOptions::plain(&db)) {
                Ok(r) => r,
                Err(e) => panic!("the db must be readable while the engine runs: {e:#}"),
            };
            check(at, &expect, &first, &reader);
        }
        // Act once the floor has something to act on, then kill the engine the moment the ack arrives.
        let target = step;
        client.until(|f| pick(target, f).is_some()).await;
        let Some((command, expect)) = pick(step, &client.mirror.floor) else { unreachable!() };
        let result = client.command(command.clone()).await;
        let killed = engine.child.kill();
        assert!(killed.is_ok(), "SIGKILL the engine");
        let _ = engine.child.wait();
        match result {
            Ok(()) => {
                pending = Some((step, expect));
                step += 1;
            }
            // A command the floor refused (the ticket moved on between pick and send): not acknowledged, nothing
            // to check; try the step again.
            Err(e) => assert!(!e.contains("StoreFailed"), "step {step}: {e}"),
        }
        let (c, t, a) = ids(&client.mirror.floor);
        let max = |s: &BTreeSet<u32>| s.iter().next_back().copied().unwrap_or(0);
        seen_before = (seen_before.0.max(max(&c)), seen_before.1.max(max(&t)), seen_before.2.max(max(&a)));
    }
    // The last one, on one more restart.
    let mut engine = start_engine(&dir, &db);
    let mut client = Client::connect(&engine.url, ADMIN);
    client.until(|_| true).await;
    if let Some((at, expect)) = pending.take() {
        let Ok(reader) = Reader::open(&DbOptions::plain(&db)) else { panic!("reader") };
        check(at, &expect, &client.mirror.floor, &reader);
    }
    let _ = engine.child.kill();
    let _ = engine.child.wait();
    // No id twice on one db.
    let Ok(conn) = rusqlite::Connection::open(&db) else { panic!("open the db") };
    let dupes = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap_or(-1);
    assert_eq!(dupes("SELECT COUNT(*) FROM (SELECT id FROM calls GROUP BY id HAVING COUNT(*) > 1)"), 0);
    assert_eq!(dupes("SELECT COUNT(*) FROM (SELECT id FROM tickets GROUP BY id HAVING COUNT(*) > 1)"), 0);
    assert_eq!(dupes("SELECT COUNT(*) FROM (SELECT id FROM alerts GROUP BY id HAVING COUNT(*) > 1)"), 0);
    assert!(restarts >= 50, "{restarts} restarts");
    let _ = std::fs::remove_dir_all(&dir);
}
