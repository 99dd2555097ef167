//! The Agents view: seats by queue, with state colours, time in state and current call.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row};

use super::util::{agent_style, fit, fmt_dur, window};
use crate::console::app::App;
use crate::console::theme::S;
use crate::model::*;

/// Draws the view into `area`.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let f = &app.floor;
    let now = f.time();
    let wide = area.width >= 120;
    let mut by_state = crate::model::AgentCounts::default();
    for a in f.agents.values() {
        by_state.add(a.state);
    }
    let mut title = vec![Span::styled(format!(" Agents: {} seats ", f.agents.len()), th.get(S::Title))];
    for s in AgentState::ALL {
        let n = by_state.get(s);
        if n > 0 {
            title.push(Span::styled(format!("{n} {} ", s.as_str()), agent_style(th, s)));
        }
    }
    if !app.agents_filter.is_empty() {
        title.push(Span::raw(format!("· filter \"{}\" ", app.agents_filter)));
    }
    let block = Block::bordered().border_style(th.get(S::Border)).title(Line::from(title));
    let inner_h = area.height.saturating_sub(3) as usize;
    let (offset, sel) = window(app.agents_sel.index, app.agents.len(), inner_h);
    let mut header = vec!["Seat", "Name", "State", "For", "Call", "Done"];
    let mut widths = vec![
        Constraint::Length(5),
        Constraint::Length(if wide { 16 } else { 12 }),
        Constraint::Length(9),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(4),
    ];
    if wide {
        header.extend(["Missed", "Langs", "Queues"]);
        widths.extend([Constraint::Length(6), Constraint::Length(6), Constraint::Fill(1)]);
    } else {
        header.push("Queues");
        widths.push(Constraint::Fill(1));
    }
    let rows: Vec<Row> = app
        .agents
        .iter()
        .skip(offset)
        .take(inner_h)
        .filter_map(|id| f.agents.get(id))
        .map(|a| {
            let since = (now - a.since).num_milliseconds() as f64 / 1000.0;
            let queues: Vec<&str> = a.queues.iter().map(QueueId::as_str).collect();
            let mut cells = vec![
                Cell::from(a.id.to_string()),
                Cell::from(fit(&a.name, if wide { 16 } else { 12 })),
                Cell::from(Span::styled(a.state.as_str(), agent_style(th, a.state))),
                Cell::from(fmt_dur(since)),
                Cell::from(a.call.map(|c| c.to_string()).unwrap_or_default()),
                Cell::from(a.handled.to_string()),
            ];
            if wide {
                let langs: Vec<&str> = a.langs.iter().map(|l| l.as_str()).collect();
                let missed = if a.missed > 0 {
                    Span::styled(a.missed.to_string(), th.get(S::QueueWarn))
                } else {
                    Span::raw("0")
                };
                cells.extend([Cell::from(missed), Cell::from(langs.join(",")), Cell::from(queues.join(", "))]);
            } else {
                cells.push(Cell::from(queues.join(",")));
            }
            Row::new(cells)
        })
        .collect();
    super::list_table(frame, area, app, header, widths, rows, block, sel, None);
}
