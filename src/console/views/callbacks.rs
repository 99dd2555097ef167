//! The Callbacks view: abandoned callers waiting for a call back, oldest first.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Cell, Row};

use super::util::{fit, fmt_clock, fmt_dur, window};
use crate::console::app::App;
use crate::console::theme::S;

/// Columns of the caller number: a whole one, masked or not (`+86 138****5678`), since its end tells callers apart.
const CALLER_W: u16 = 15;

/// Draws the view into `area`.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let f = &app.floor;
    let now = f.time();
    let title = format!(" Callbacks: {} callers who hung up while waiting, oldest first ", f.callbacks.len());
    let block = Block::bordered().border_style(th.get(S::Border)).title(Line::styled(title, th.get(S::Title)));
    let inner_h = area.height.saturating_sub(3) as usize;
    let (offset, sel) = window(app.callbacks_sel.index, f.callbacks.len(), inner_h);
    let header = vec!["Call", "Caller", "Lang", "Queue", "Hung up", "Waited", "Since", "Intent"];
    let widths = vec![
        Constraint::Length(7),
        Constraint::Length(CALLER_W),
        Constraint::Length(4),
        Constraint::Length(12),
        Constraint::Length(8),
        Constraint::Length(6),
        Constraint::Length(7),
        Constraint::Fill(1),
    ];
    let rows: Vec<Row> = f
        .callbacks
        .iter()
        .skip(offset)
        .take(inner_h)
        .map(|c| {
            let since = (now - c.abandoned).num_milliseconds() as f64 / 1000.0;
            Row::new(vec![
                Cell::from(c.call.to_string()),
                Cell::from(fit(&c.caller, CALLER_W as usize)),
                Cell::from(c.lang.as_str()),
                Cell::from(c.queue.as_ref().map(|q| q.to_string()).unwrap_or_else(|| "—".into())),
                Cell::from(fmt_clock(c.abandoned)),
                Cell::from(fmt_dur(c.waited_s)),
                Cell::from(fmt_dur(since)),
                Cell::from(c.intent.clone()),
            ])
        })
        .collect();
    super::list_table(frame, area, app, header, widths, rows, block, sel, Some("nobody is waiting for a call back"));
}
