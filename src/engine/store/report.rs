//! `callfloor audit` and `callfloor export`: what auditors read out of an engine's database.

use std::io::Write;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use super::{DbOptions, ExportKind, Reader};
use crate::cli::{AuditArgs, ExportArgs, ExportFormat};

fn reader(db: &std::path::Path, key: Option<String>) -> Result<Reader> {
    Reader::open(&DbOptions { path: db.to_path_buf(), key })
}

/// A command's wire JSON as a short phrase: `note T-12 "called back"`, `ack_alerts AL-1, AL-2 … (+200)`.
pub fn command_phrase(command: &str) -> String {
    let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(command) else { return command.to_string() };
    let mut out = obj.get("type").and_then(Value::as_str).unwrap_or("?").to_string();
    // Ids first, then free text: `note T-12 "called back"`.
    let is_text = |k: &str| k == "text" || k == "note";
    let fields = obj.iter().filter(|(k, _)| !is_text(k)).chain(obj.iter().filter(|(k, _)| is_text(k)));
    for (k, v) in fields {
        if k == "type" || k == "more" {
            continue;
        }
        match v {
            Value::String(s) if k == "text" || k == "note" => out.push_str(&format!(" {s:?}")),
            Value::String(s) => out.push_str(&format!(" {s}")),
            Value::Array(items) => {
                let ids: Vec<String> =
                    items.iter().map(|i| i.as_str().map(str::to_string).unwrap_or_else(|| i.to_string())).collect();
                out.push_str(&format!(" {}", ids.join(",")));
            }
            other => out.push_str(&format!(" {k}={other}")),
        }
    }
    if let Some(more) = obj.get("more").and_then(Value::as_u64) {
        out.push_str(&format!(" (+{more} more)"));
    }
    out
}

/// `callfloor audit`.
pub fn audit(args: &AuditArgs) -> Result<()> {
    let reader = reader(&args.db, args.key.key()?)?;
    let rows = reader.audit(args.since, args.actor.as_deref())?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    write_audit(&mut out, &rows, args.json).context("writing the audit log")?;
    out.flush().context("writing the audit log")
}

/// Writes audit rows as JSON lines or as a table a person reads (terminal controls escaped).
pub fn write_audit(out: &mut impl Write, rows: &[super::AuditRow], as_json: bool) -> std::io::Result<()> {
    if as_json {
        for r in rows {
            serde_json::to_writer(&mut *out, r)?;
            writeln!(out)?;
        }
        return Ok(());
    }
    writeln!(
        out,
        "{:<24} {:<24} {:<12} {:<10} {:<4} {:<40} OUTCOME",
        "WRITTEN", "FLOOR TIME", "ACTOR", "ROLE", "OK", "COMMAND"
    )?;
    for r in rows {
        let e = &r.entry;
        let more = if e.more > 0 { format!(" (and {} more like it)", e.more) } else { String::new() };
        writeln!(
            out,
            "{:<24} {:<24} {:<12} {:<10} {:<4} {:<40} {}{more}",
            r.wall.as_deref().unwrap_or("-"),
            e.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            crate::model::terminal::text_for_terminal(&e.actor),
            e.role.as_str(),
            if e.ok { "yes" } else { "NO" },
            crate::model::terminal::text_for_terminal(&command_phrase(&e.command)),
            crate::model::terminal::text_for_terminal(&e.outcome),
        )?;
    }
    writeln!(out, "{} entries, {} refused", rows.len(), rows.iter().filter(|r| !r.entry.ok).count())
}

/// The records of one export as (columns, rows of JSON values): one shape for CSV and JSON.
pub fn export_rows(reader: &Reader, what: ExportKind, since: Option<super::Since>) -> Result<Vec<Value>> {
    Ok(match what {
        ExportKind::Calls => reader.calls(since)?.into_iter().map(|c| json!(c)).collect(),
        ExportKind::Tickets => reader.tickets(since)?.into_iter().map(|t| json!(t)).collect(),
        ExportKind::Alerts => reader
            .alerts(since)?
            .into_iter()
            .map(|(run, a)| {
                let mut v = json!(a);
                if let Value::Object(o) = &mut v {
                    o.insert("run".into(), json!(run));
                    let acked = o.remove("acked");
                    let (by, at) = match acked {
                        Some(Value::Object(k)) => (k.get("by").cloned(), k.get("at").cloned()),
                        _ => (None, None),
                    };
                    o.insert("acked_by".into(), by.unwrap_or(Value::Null));
                    o.insert("acked_at".into(), at.unwrap_or(Value::Null));
                }
                v
            })
            .collect(),
    })
}

/// A JSON value as one CSV cell: strings as they are, null empty, arrays and objects as compact JSON.
fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// Writes records as CSV (header from the first record's fields, in order) or JSON lines.
pub fn write_export(out: &mut impl Write, rows: &[Value], format: ExportFormat) -> Result<()> {
    match format {
        ExportFormat::Json => {
            for r in rows {
                serde_json::to_writer(&mut *out, r)?;
                writeln!(out)?;
            }
        }
        ExportFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            let mut header: Vec<String> = Vec::new();
            for r in rows {
                let Value::Object(o) = r else { continue };
                if header.is_empty() {
                    header = o.keys().cloned().collect();
                    w.write_record(&header)?;
                }
                w.write_record(header.iter().map(|k| cell(o.get(k).unwrap_or(&Value::Null))))?;
            }
            w.flush()?;
        }
    }
    Ok(())
}

/// `callfloor export`.
pub fn export(args: &ExportArgs) -> Result<()> {
    let reader = reader(&args.db, args.key.key()?)?;
    let rows = export_rows(&reader, args.what, args.since)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    write_export(&mut out, &rows, args.format).context("writing the export")?;
    out.flush().context("writing the export")
}
