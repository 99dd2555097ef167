//! The Callbacks view: abandoned callers waiting for a call back, oldest first.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Cell, Row};

use super::util::{fit, fmt_clock, fmt_dur};
use crate::console::app::App;
use crate::console::lists::ListKind;
use crate::console::theme::S;

/// Draws the view into `area`.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let f = app.floor();
    let title = format!(
        " Callbacks: {} callers who hung up while waiting{} ",
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
                "intent" => Cell::from(c.intent.clone()),
                _ => Cell::default(),
            })
            .collect();
        Row::new(cells)
    });
}
