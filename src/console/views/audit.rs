//! The Audit view: who did what, when, and what came of it; newest first.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row};

use super::util::{fmt_clock, window};
use crate::console::app::{App, describe};
use crate::console::theme::S;
use crate::model::*;

/// Draws the view into `area`.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let f = &app.floor;
    let wide = area.width >= 120;
    let failed = f.audit.iter().filter(|e| !e.ok).count();
    let title = format!(" Audit: {} commands, {failed} refused · newest first ", f.audit.len());
    let block = Block::bordered().border_style(th.get(S::Border)).title(Line::styled(title, th.get(S::Title)));
    let inner_h = area.height.saturating_sub(3) as usize;
    let (offset, sel) = window(app.audit_sel.index, f.audit.len(), inner_h);
    let header = vec!["When", "Who", "Role", "Command", "Outcome"];
    let widths = vec![
        Constraint::Length(8),
        Constraint::Length(10),
        Constraint::Length(10),
        Constraint::Length(if wide { 44 } else { 24 }),
        Constraint::Fill(1),
    ];
    let rows: Vec<Row> = f
        .audit
        .iter()
        .rev()
        .skip(offset)
        .take(inner_h)
        .map(|e| {
            let cmd =
                serde_json::from_str::<Command>(&e.command).map(|c| describe(&c)).unwrap_or_else(|_| e.command.clone());
            let outcome = if e.ok {
                Span::styled("ok", th.get(S::AuditOk))
            } else {
                Span::styled(e.outcome.clone(), th.get(S::AuditError))
            };
            Row::new(vec![
                Cell::from(fmt_clock(e.at)),
                Cell::from(e.actor.clone()),
                Cell::from(e.role.as_str()),
                Cell::from(cmd),
                Cell::from(outcome),
            ])
        })
        .collect();
    super::list_table(frame, area, app, header, widths, rows, block, sel, Some("no supervisor has acted yet"));
}
