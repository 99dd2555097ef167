//! The Agents view: seats by queue, with state colours, time in state and current call.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row};

use super::util::{agent_style, fit, fmt_dur};
use crate::console::app::App;
use crate::console::lists::ListKind;
use crate::console::theme::S;
use crate::model::*;

/// Draws the view into `area`.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let f = app.floor();
    let now = f.time();
    let wide = area.width >= 120;
    let mut by_state = AgentCounts::default();
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
    let temps: Vec<&Agent> =
        f.agents.values().filter(|a| a.temporary.is_some() && a.state != AgentState::Offline).collect();
    if !temps.is_empty() {
        let until = temps.iter().filter_map(|a| a.temporary.as_ref().map(|t| t.until)).min();
        let text = match until {
            Some(u) if wide => format!("· {} ⧗ temporary, first leaves {} ", temps.len(), super::util::fmt_clock(u)),
            _ => format!("· {} ⧗ ", temps.len()),
        };
        title.push(Span::styled(text, th.get(S::Hint)));
    }
    title.push(Span::raw(format!("{} ", super::list_note(app, ListKind::Agents).trim_start())));
    let block = Block::bordered().border_style(th.get(S::Border)).title(Line::from(title));
    super::list_table(frame, area, app, ListKind::Agents, block, "no seats", |id, cols| {
        let Some(a) = id.agent().and_then(|a| f.agents.get(&a)) else { return Row::default() };
        let cells: Vec<Cell> = cols
            .iter()
            .map(|col| match col.key {
                "seat" => Cell::from(a.id.to_string()),
                "name" if a.temporary.is_some() => Cell::from(Span::styled(
                    fit(&format!("{} {}", super::util::temp_mark(a), a.name), if wide { 16 } else { 12 }),
                    th.get(S::Hint),
                )),
                "name" => Cell::from(fit(&a.name, if wide { 16 } else { 12 })),
                "state" => Cell::from(Span::styled(a.state.as_str(), agent_style(th, a.state))),
                "for" => Cell::from(fmt_dur((now - a.since).num_milliseconds() as f64 / 1000.0)),
                "call" => Cell::from(a.call.map(|c| c.to_string()).unwrap_or_default()),
                "done" => Cell::from(a.handled.to_string()),
                "missed" if a.missed > 0 => Cell::from(Span::styled(a.missed.to_string(), th.get(S::QueueWarn))),
                "missed" => Cell::from("0"),
                "langs" => Cell::from(a.langs.iter().map(|l| l.as_str()).collect::<Vec<_>>().join(",")),
                "queues" => {
                    let queues: Vec<&str> = a.queues.iter().map(QueueId::as_str).collect();
                    let mut text = queues.join(if wide { ", " } else { "," });
                    if !a.dialects.is_empty() {
                        let names: Vec<&str> = a.dialects.iter().map(|d| f.dialect_name(d)).collect();
                        text.push_str(&format!(" [{}]", names.join(",")));
                    }
                    Cell::from(text)
                }
                _ => Cell::default(),
            })
            .collect();
        Row::new(cells)
    });
}
