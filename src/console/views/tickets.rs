//! The Tickets view: open and escalated tickets with their SLA countdown, overdue in red.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row};

use super::util::{fmt_dur, window};
use crate::console::app::App;
use crate::console::theme::S;
use crate::model::*;

/// A ticket due within this many seconds is shown as due soon.
const DUE_SOON_S: f64 = 10.0 * 60.0;

/// Draws the view into `area`.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let f = &app.floor;
    let now = f.time();
    let wide = area.width >= 120;
    let overdue = app.tickets.iter().filter_map(|id| f.tickets.get(id)).filter(|t| t.due < now).count();
    let resolved = f.tickets.len() - app.tickets.len();
    let mut title = vec![Span::styled(format!(" Tickets: {} open ", app.tickets.len()), th.get(S::Title))];
    if overdue > 0 {
        title.push(Span::styled(format!("{overdue} overdue "), th.get(S::TicketOverdue)));
    }
    title.push(Span::styled(format!("· {resolved} resolved · soonest due first "), th.get(S::Muted)));
    let block = Block::bordered().border_style(th.get(S::Border)).title(Line::from(title));
    let inner_h = area.height.saturating_sub(3) as usize;
    let (offset, sel) = window(app.tickets_sel.index, app.tickets.len(), inner_h);
    let mut header = vec!["Ticket", "Prio", "Status", "Due in", "Call"];
    let mut widths = vec![
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(7),
        Constraint::Length(11),
        Constraint::Length(7),
    ];
    if wide {
        header.extend(["Category", "Notes", "Summary"]);
        widths.extend([Constraint::Length(16), Constraint::Length(5), Constraint::Fill(1)]);
    } else {
        header.push("Summary");
        widths.push(Constraint::Fill(1));
    }
    let rows: Vec<Row> = app
        .tickets
        .iter()
        .skip(offset)
        .take(inner_h)
        .filter_map(|id| f.tickets.get(id))
        .map(|t| {
            let left = (t.due - now).num_milliseconds() as f64 / 1000.0;
            let due_style = if left < 0.0 {
                th.get(S::TicketOverdue)
            } else if left < DUE_SOON_S {
                th.get(S::TicketDueSoon)
            } else {
                th.get(S::Text)
            };
            let due = if left < 0.0 { format!("{} over", fmt_dur(-left)) } else { fmt_dur(left) };
            let status = t.status_label();
            let prio = t.priority.as_str();
            let prio_style = if t.priority >= TicketPriority::High { th.get(S::SevWarning) } else { th.get(S::Text) };
            let mut cells = vec![
                Cell::from(t.id.to_string()),
                Cell::from(Span::styled(prio, prio_style)),
                Cell::from(status),
                Cell::from(Span::styled(due, due_style)),
                Cell::from(t.call.map(|c| c.to_string()).unwrap_or_default()),
            ];
            if wide {
                cells.extend([
                    Cell::from(t.category.clone()),
                    Cell::from(t.notes.len().to_string()),
                    Cell::from(t.summary.clone()),
                ]);
            } else {
                cells.push(Cell::from(t.summary.clone()));
            }
            Row::new(cells)
        })
        .collect();
    super::list_table(frame, area, app, header, widths, rows, block, sel, None);
}
