//! The Calls view: live calls, sortable by wait, sentiment or priority, filterable by typed text.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row};

use super::util::{fit, fmt_dur, mode_letter, sentiment_span, window};
use crate::console::app::App;
use crate::console::theme::S;

/// Columns of the caller number: a whole one, masked or not (`+86 138****5678`), since its end tells callers apart.
const CALLER_W: u16 = 15;

/// Draws the view into `area`.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let f = &app.floor;
    let now = f.time();
    let wide = area.width >= 120;
    let filter =
        if app.calls_filter.is_empty() { String::new() } else { format!(" · filter \"{}\"", app.calls_filter) };
    // Rows of calls that ended since the list last settled (once a second) are not counted as live.
    let listed = app.calls.iter().filter(|id| f.calls.contains_key(id)).count();
    let title = format!(" Calls: {listed} of {} live · sorted by {}{filter} ", f.calls.len(), app.sort.as_str());
    let block = Block::bordered().border_style(th.get(S::Border)).title(Line::styled(title, th.get(S::Title)));
    let inner_h = area.height.saturating_sub(3) as usize;
    let (offset, sel) = window(app.calls_sel.index, app.calls.len(), inner_h);

    let mut header = vec!["Call", "Queue", "State", "Wait", "Talk", "Agent", "Sentiment", "Flags"];
    let mut widths = vec![
        Constraint::Length(7),
        Constraint::Length(12),
        Constraint::Length(9),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(5),
        Constraint::Length(if wide { 11 } else { 10 }),
        Constraint::Length(6),
    ];
    if wide {
        header.extend(["Pri", "Lang", "Caller", "Intent", "Supervisors"]);
        widths.extend([
            Constraint::Length(3),
            Constraint::Length(4),
            Constraint::Length(CALLER_W),
            Constraint::Length(18),
            Constraint::Fill(1),
        ]);
    } else {
        header.push("Intent");
        widths.push(Constraint::Fill(1));
    }
    let rows: Vec<Row> = app
        .calls
        .iter()
        .skip(offset)
        .take(inner_h)
        .map(|id| {
            // A call that ended since the list last settled keeps its row, marked, until the next second.
            let Some(c) = f.calls.get(id) else { return ended_row(app, *id) };
            let wait_s = c.wait_secs(now);
            let waiting = c.answered.is_none() && c.first_queued.is_some();
            let queue = c.queue.as_ref().map(|q| q.as_str()).unwrap_or("—");
            let over =
                c.queue.as_ref().and_then(|q| f.queue(q)).is_some_and(|q| waiting && wait_s > q.sla.seconds as f64);
            let wait_style = if over { th.get(S::QueueWarn) } else { th.get(S::Text) };
            let mut flags = Vec::new();
            if c.flags.urgent {
                flags.push(Span::styled("U", th.get(S::CallUrgent)));
            }
            if c.flags.risk {
                flags.push(Span::styled("R", th.get(S::CallRisk)));
            }
            for p in &c.supervisors {
                flags.push(Span::styled(mode_letter(p.mode), th.get(S::Supervisor)));
            }
            let talk = if c.answered.is_some() { fmt_dur(c.talk_secs(now)) } else { String::new() };
            let wait = if c.first_queued.is_some() { fmt_dur(wait_s) } else { String::new() };
            let id_style = if c.flags.urgent { th.get(S::CallUrgent) } else { th.get(S::Text) };
            let mut cells = vec![
                Cell::from(Span::styled(c.id.to_string(), id_style)),
                Cell::from(fit(queue, 12)),
                Cell::from(c.state.as_str()),
                Cell::from(Span::styled(wait, wait_style)),
                Cell::from(talk),
                Cell::from(c.agent.map(|a| a.to_string()).unwrap_or_default()),
                Cell::from(if c.sentiment_trail.is_empty() {
                    Span::styled("  —", th.get(S::Muted))
                } else {
                    sentiment_span(th, c.sentiment, if wide { 5 } else { 4 })
                }),
                Cell::from(Line::from(flags)),
            ];
            if wide {
                let sups: Vec<String> =
                    c.supervisors.iter().map(|p| format!("{} ({})", p.supervisor, p.mode.as_str())).collect();
                cells.extend([
                    Cell::from(c.priority.to_string()),
                    Cell::from(c.lang.as_str()),
                    Cell::from(fit(&c.caller, CALLER_W as usize)),
                    Cell::from(fit(&c.intent, 18)),
                    Cell::from(Span::styled(sups.join(", "), th.get(S::Supervisor))),
                ]);
            } else {
                cells.push(Cell::from(c.intent.clone()));
            }
            Row::new(cells)
        })
        .collect();
    let msg = if app.calls_filter.is_empty() { "no live calls" } else { "no call matches the filter (esc clears it)" };
    super::list_table(frame, area, app, header, widths, rows, block, sel, Some(msg));
}

/// The row of a call that left the floor since the list last settled: its id and how it ended, muted.
fn ended_row(app: &App, id: crate::model::CallId) -> Row<'static> {
    let th = &app.theme;
    let f = &app.floor;
    let summary = f.recent.iter().rev().find(|s| s.id == id);
    let queue = summary.and_then(|s| s.queue.as_ref()).map(|q| q.as_str().to_string()).unwrap_or_default();
    let state = summary.map(|s| s.state.as_str()).unwrap_or("ended");
    let agent = summary.and_then(|s| s.agent).map(|a| a.to_string()).unwrap_or_default();
    Row::new(vec![
        Cell::from(id.to_string()),
        Cell::from(fit(&queue, 12)),
        Cell::from(state),
        Cell::from(""),
        Cell::from(""),
        Cell::from(agent),
    ])
    .style(th.get(S::Muted))
}
