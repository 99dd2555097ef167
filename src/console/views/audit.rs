//! The Audit view: who did what, when, and what came of it; newest first.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row};
use unicode_width::UnicodeWidthStr;

use super::util::{fit, fmt_clock};
use crate::console::app::{App, describe};
use crate::console::lists::{ListKind, RowId, Width};
use crate::console::theme::S;
use crate::model::*;

/// Draws the view into `area`.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let f = app.floor();
    // An entry can stand for a run of refused commands (`more`): the counts count commands, not entries.
    let commands: u64 = f.audit.iter().map(|e| 1 + e.more as u64).sum();
    let refused: u64 = f.audit.iter().filter(|e| !e.ok).map(|e| 1 + e.more as u64).sum();
    let title = format!(" Audit: {commands} commands, {refused} refused{} ", super::list_note(app, ListKind::Audit));
    let block = Block::bordered().border_style(th.get(S::Border)).title(Line::styled(title, th.get(S::Title)));
    let wide = area.width >= 120;
    super::list_table(frame, area, app, ListKind::Audit, block, "no supervisor has acted yet", |id, cols| {
        let RowId::Audit(at, n) = id else { return Row::default() };
        let Some(e) = f.audit.iter().filter(|e| e.at == at).nth(n as usize) else { return Row::default() };
        let cells: Vec<Cell> = cols
            .iter()
            .map(|col| match col.key {
                "when" => Cell::from(fmt_clock(e.at)),
                "who" => Cell::from(e.actor.clone()),
                "role" => Cell::from(e.role.as_str()),
                "command" => {
                    let width = match col.width(wide) {
                        Width::Fixed(w) => w as usize,
                        Width::Fill | Width::Hidden => usize::MAX,
                    };
                    Cell::from(command_text(&e.command, width))
                }
                "outcome" => {
                    let style = th.get(if e.ok { S::AuditOk } else { S::AuditError });
                    let text = if e.more > 0 {
                        format!("{} (and {} more like it)", e.outcome, e.more)
                    } else {
                        e.outcome.clone()
                    };
                    Cell::from(Span::styled(text, style))
                }
                _ => Cell::default(),
            })
            .collect();
        Row::new(cells)
    });
}

/// An audit entry's command (its wire JSON) in words, as the messages say it, in at most `width` columns. A bulk
/// acknowledgement lists the ids that fit and counts the rest, including those the engine left out of the
/// entry (its `"more": n`): `ack 250 alerts: AL-1, AL-2 … +248`. Text that is not a command is shown as it is.
pub fn command_text(json: &str, width: usize) -> String {
    let parsed = serde_json::from_str::<serde_json::Value>(json).ok().and_then(|mut v| {
        let more = v.as_object_mut().and_then(|o| o.remove("more")).and_then(|m| m.as_u64()).unwrap_or(0);
        serde_json::from_value::<Command>(v).ok().map(|c| (c, more as usize))
    });
    match parsed {
        Some((Command::AckAlerts { alerts }, more)) => ack_text(&alerts, more, width),
        Some((cmd, _)) => fit(&describe(&cmd), width),
        None => fit(json, width),
    }
}

/// `ack AL-3`, or `ack 250 alerts: AL-1, AL-2 … +248` with as many ids as fit in `width` columns.
fn ack_text(alerts: &[AlertId], more: usize, width: usize) -> String {
    let total = alerts.len() + more;
    if let ([one], 0) = (alerts, more) {
        return fit(&format!("ack {one}"), width);
    }
    let head = format!("ack {total} alerts");
    let ids: Vec<String> = alerts.iter().map(|a| a.to_string()).collect();
    // The most ids that fit with what follows them: " … +rest" when some are left; no room for one, no list.
    for shown in (1..=ids.len()).rev() {
        let rest = total - shown;
        let tail = if rest == 0 { String::new() } else { format!(" … +{rest}") };
        let text = format!("{head}: {}{tail}", ids[..shown].join(", "));
        if text.width() <= width {
            return text;
        }
    }
    fit(&head, width)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bulk_ack_cut_to_fifty_ids_reads_as_a_command() {
        // The engine's shape: the command's JSON with its first 50 ids and "more" (see `audit_text`).
        let cmd = Command::AckAlerts { alerts: (1..=50).map(AlertId).collect() };
        let Ok(serde_json::Value::Object(mut obj)) = serde_json::to_value(&cmd) else {
            panic!("a command is an object")
        };
        obj.insert("more".into(), 200.into());
        let cut = serde_json::Value::Object(obj).to_string();
        assert_eq!(command_text(&cut, 44), "ack 250 alerts: AL-1, AL-2, AL-3 … +247");
        assert_eq!(command_text(&cut, 24), "ack 250 alerts");
        assert_eq!(command_text(&cut, usize::MAX).matches("AL-").count(), 50, "every id the entry kept");
        let few =
            serde_json::to_string(&Command::AckAlerts { alerts: vec![AlertId(3), AlertId(4)] }).unwrap_or_default();
        assert_eq!(command_text(&few, 44), "ack 2 alerts: AL-3, AL-4");
        let one = serde_json::to_string(&Command::AckAlerts { alerts: vec![AlertId(3)] }).unwrap_or_default();
        assert_eq!(command_text(&one, 44), "ack AL-3");
        assert_eq!(command_text("not json", 44), "not json");
    }
}
