//! The Tickets view: open and escalated tickets with their SLA countdown, overdue in red.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row};

use super::util::fmt_dur;
use crate::console::app::App;
use crate::console::lists::ListKind;
use crate::console::theme::{S, Theme};
use crate::model::*;

/// A ticket due within this many seconds is shown as due soon.
pub(super) const DUE_SOON_S: f64 = 10.0 * 60.0;

/// "12:30" left or "3:10 over", and its style.
pub(super) fn due(th: &Theme, t: &Ticket, now: Time) -> (String, Style) {
    let left = (t.due - now).num_milliseconds() as f64 / 1000.0;
    let style = if t.status == TicketStatus::Resolved {
        th.get(S::Muted)
    } else if left < 0.0 {
        th.get(S::TicketOverdue)
    } else if left < DUE_SOON_S {
        th.get(S::TicketDueSoon)
    } else {
        th.get(S::Text)
    };
    let text = if left < 0.0 { format!("{} over", fmt_dur(-left)) } else { fmt_dur(left) };
    (text, style)
}

/// Draws the view into `area`.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let f = app.floor();
    let now = f.time();
    let open: Vec<&Ticket> = f.tickets.values().filter(|t| t.status != TicketStatus::Resolved).collect();
    let overdue = open.iter().filter(|t| t.due < now).count();
    let resolved = f.tickets.len() - open.len();
    let mut title = vec![Span::styled(format!(" Tickets: {} open ", open.len()), th.get(S::Title))];
    if overdue > 0 {
        title.push(Span::styled(format!("{overdue} overdue "), th.get(S::TicketOverdue)));
    }
    title.push(Span::styled(
        format!("· {resolved} resolved{} ", super::list_note(app, ListKind::Tickets)),
        th.get(S::Muted),
    ));
    let block = Block::bordered().border_style(th.get(S::Border)).title(Line::from(title));
    super::list_table(frame, area, app, ListKind::Tickets, block, "no open tickets", |id, cols| {
        let Some(t) = id.ticket().and_then(|t| f.tickets.get(&t)) else { return Row::default() };
        let cells: Vec<Cell> = cols
            .iter()
            .map(|col| match col.key {
                "ticket" => Cell::from(t.id.to_string()),
                "prio" => {
                    let style =
                        if t.priority >= TicketPriority::High { th.get(S::SevWarning) } else { th.get(S::Text) };
                    Cell::from(Span::styled(t.priority.as_str(), style))
                }
                "status" => Cell::from(t.status_label()),
                "due" => {
                    let (text, style) = due(th, t, now);
                    Cell::from(Span::styled(text, style))
                }
                "call" => Cell::from(t.call.map(|c| c.to_string()).unwrap_or_default()),
                "category" => Cell::from(t.category.clone()),
                "notes" => Cell::from(t.notes.len().to_string()),
                "summary" => Cell::from(t.summary.clone()),
                _ => Cell::default(),
            })
            .collect();
        Row::new(cells)
    });
}
