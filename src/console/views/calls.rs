//! The Calls view: live calls, sortable by any column, filterable by typed text, pausable.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row};

use super::util::{fit, fmt_dur, mode_letter, sentiment_span};
use crate::console::app::App;
use crate::console::lists::{Column, ListKind, call_wait};
use crate::console::theme::S;
use crate::model::*;

/// Draws the view into `area`.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let f = app.floor();
    let l = &app.lists[ListKind::Calls];
    let live = f.calls.len();
    // The title counts the rows; calls that ended since the list last settled (once a second) keep their row until
    // then, and calls that arrived meanwhile join then.
    let rows = l.rows.len();
    let ended = l.rows.iter().filter(|r| r.call().is_some_and(|c| !f.calls.contains_key(&c))).count();
    let listed_live = rows - ended;
    let joining = if l.filter.is_empty() && !l.paused { live.saturating_sub(listed_live) } else { 0 };
    let of = if ended == 0 {
        format!("{rows} of {live} live")
    } else {
        format!("{rows}: {listed_live} live + {ended} just ended")
    };
    let of = if joining > 0 { format!("{of} · {joining} joining") } else { of };
    let title = format!(" Calls: {of}{} ", super::list_note(app, ListKind::Calls));
    let block = Block::bordered().border_style(th.get(S::Border)).title(Line::styled(title, th.get(S::Title)));
    let wide = area.width >= 120;
    super::list_table(frame, area, app, ListKind::Calls, block, "no live calls", |id, cols| {
        let Some(call) = id.call() else { return Row::default() };
        match f.calls.get(&call) {
            Some(c) => Row::new(cols.iter().map(|col| cell(app, c, col, wide)).collect::<Vec<_>>()),
            // Only a paused list keeps the row of a call that left: shown whole, muted, with how it ended.
            None => match app.call_record(call) {
                Some(c) => {
                    Row::new(cols.iter().map(|col| cell(app, c, col, wide)).collect::<Vec<_>>()).style(th.get(S::Muted))
                }
                None => ended_row(app, call),
            },
        }
    });
}

fn cell(app: &App, c: &Call, col: &Column, wide: bool) -> Cell<'static> {
    let th = &app.theme;
    let f = app.floor();
    // Times as of the list's last settle (once a second), like its order.
    let now = app.list_now;
    match col.key {
        "call" => {
            let style = if c.flags.urgent { th.get(S::CallUrgent) } else { th.get(S::Text) };
            Cell::from(Span::styled(c.id.to_string(), style))
        }
        "queue" => Cell::from(fit(c.queue.as_ref().map(|q| q.as_str()).unwrap_or("—"), 12)),
        "state" => Cell::from(c.state.as_str()),
        "wait" => {
            let wait = call_wait(c, now);
            let waiting = c.answered.is_none() && matches!(c.state, CallState::Queued | CallState::Ringing);
            let over = c
                .queue
                .as_ref()
                .and_then(|q| f.queue(q))
                .is_some_and(|q| waiting && wait.unwrap_or(0.0) > q.sla.seconds as f64);
            let style = if over { th.get(S::QueueWarn) } else { th.get(S::Text) };
            Cell::from(Span::styled(wait.map(fmt_dur).unwrap_or_default(), style))
        }
        "talk" => Cell::from(if c.answered.is_some() { fmt_dur(c.talk_secs(now)) } else { String::new() }),
        "agent" => Cell::from(c.agent.map(|a| a.to_string()).unwrap_or_default()),
        "sentiment" => Cell::from(if c.sentiment_trail.is_empty() {
            Span::styled("  —", th.get(S::Muted))
        } else {
            sentiment_span(th, c.sentiment, if wide { 5 } else { 4 })
        }),
        "flags" => {
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
            // A card was suggested: `c` until the agent uses one, then `C`.
            if !c.suggestions.is_empty() {
                flags.push(if c.suggestions.iter().any(|s| s.used.is_some()) {
                    Span::styled("C", th.get(S::SentPositive))
                } else {
                    Span::styled("c", th.get(S::Muted))
                });
            }
            Cell::from(Line::from(flags))
        }
        "pri" => Cell::from(c.priority.to_string()),
        "lang" => Cell::from(c.lang.as_str()),
        "caller" => Cell::from(fit(&c.caller, 15)),
        "intent" => Cell::from(if wide { fit(&c.intent, 18) } else { c.intent.clone() }),
        "supervisors" => {
            let sups: Vec<String> =
                c.supervisors.iter().map(|p| format!("{} ({})", p.supervisor, p.mode.as_str())).collect();
            Cell::from(Span::styled(sups.join(", "), th.get(S::Supervisor)))
        }
        _ => Cell::default(),
    }
}

/// The row of a call that left while the list was paused and whose record is gone: its id and how it ended.
fn ended_row(app: &App, id: CallId) -> Row<'static> {
    let th = &app.theme;
    let summary = app.floor().recent.iter().rev().find(|s| s.id == id);
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
