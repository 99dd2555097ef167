//! The Audit view: who did what, when, and what came of it; newest first.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row};

use super::util::fmt_clock;
use crate::console::app::{App, describe};
use crate::console::lists::{ListKind, RowId};
use crate::console::theme::S;
use crate::model::*;

/// Draws the view into `area`.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let f = app.floor();
    let failed = f.audit.iter().filter(|e| !e.ok).count();
    let title =
        format!(" Audit: {} commands, {failed} refused{} ", f.audit.len(), super::list_note(app, ListKind::Audit));
    let block = Block::bordered().border_style(th.get(S::Border)).title(Line::styled(title, th.get(S::Title)));
    super::list_table(frame, area, app, ListKind::Audit, block, "no supervisor has acted yet", |id, cols| {
        let RowId::Audit(at, n) = id else { return Row::default() };
        let Some(e) = f.audit.iter().filter(|e| e.at == at).nth(n as usize) else { return Row::default() };
        let cells: Vec<Cell> = cols
            .iter()
            .map(|col| match col.key {
                "when" => Cell::from(fmt_clock(e.at)),
                "who" => Cell::from(e.actor.clone()),
                "role" => Cell::from(e.role.as_str()),
                "command" => Cell::from(
                    serde_json::from_str::<Command>(&e.command)
                        .map(|c| describe(&c))
                        .unwrap_or_else(|_| e.command.clone()),
                ),
                "outcome" if e.ok => Cell::from(Span::styled(e.outcome.clone(), th.get(S::AuditOk))),
                "outcome" => Cell::from(Span::styled(e.outcome.clone(), th.get(S::AuditError))),
                _ => Cell::default(),
            })
            .collect();
        Row::new(cells)
    });
}
