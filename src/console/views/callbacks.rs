//! The Callbacks view: abandoned callers waiting for a call back, oldest first.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row};

use super::util::{fit, fmt_clock, fmt_dur};
use crate::console::app::App;
use crate::console::lists::ListKind;
use crate::console::theme::S;
use crate::model::CallbackStatus;

/// Draws the view into `area`.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let f = app.floor();
    let now = f.time();
    let overdue = f.callbacks.iter().filter(|c| c.overdue(now)).count();
    let open = f.callbacks.iter().filter(|c| !c.status.is_done()).count();
    let overdue = if overdue > 0 { format!(", {overdue} overdue") } else { String::new() };
    let title = format!(
        " Callbacks: {open} open · {} hung up waiting{overdue}{} ",
        f.callbacks.len(),
        super::list_note(app, ListKind::Callbacks)
    );
    let block = Block::bordered().border_style(th.get(S::Border)).title(Line::styled(title, th.get(S::Title)));
    super::list_table(frame, area, app, ListKind::Callbacks, block, "nobody is waiting for a call back", |id, cols| {
        let Some(c) = id.call().and_then(|call| f.callbacks.iter().find(|c| c.call == call)) else {
            return Row::default();
        };
        let cells: Vec<Cell> = cols
            .iter()
            .map(|col| match col.key {
                "call" => Cell::from(c.call.to_string()),
                "caller" => Cell::from(fit(&c.caller, 15)),
                "lang" => Cell::from(c.lang.as_str()),
                "queue" => Cell::from(c.queue.as_ref().map(|q| q.to_string()).unwrap_or_else(|| "—".into())),
                "hung_up" => Cell::from(fmt_clock(c.abandoned)),
                "waited" => Cell::from(fmt_dur(c.waited_s)),
                "status" => {
                    let retry =
                        c.attempts.last().and_then(|a| a.retry_at).filter(|_| c.status == CallbackStatus::Retry);
                    let text = match retry {
                        Some(t) => format!("retry {}", fmt_clock(t)),
                        None => c.status.as_str().replace('_', " "),
                    };
                    let style = match c.status {
                        CallbackStatus::Reached => th.get(S::Muted),
                        CallbackStatus::GaveUp => th.get(S::QueueWarn),
                        CallbackStatus::Dialing => th.get(S::Supervisor),
                        _ => th.get(S::Text),
                    };
                    Cell::from(Span::styled(text, style))
                }
                "to" => Cell::from(c.assigned.as_ref().map(|a| a.target()).unwrap_or_else(|| "—".into())),
                "tries" => Cell::from(match c.attempts.len() {
                    0 => "—".to_string(),
                    n => format!("{n}"),
                }),
                "promised" => match c.promised {
                    Some(p) if c.overdue(now) => {
                        Cell::from(Span::styled(format!("{}!", fmt_clock(p)), th.get(S::QueueWarn)))
                    }
                    Some(p) => Cell::from(fmt_clock(p)),
                    None => Cell::from("—"),
                },
                "intent" => Cell::from(c.intent.clone()),
                _ => Cell::default(),
            })
            .collect();
        Row::new(cells)
    });
}
