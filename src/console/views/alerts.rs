//! The Alerts view: newest first (or any column), severity colours, acknowledged ones dimmed.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row};

use super::util::{fmt_clock, severity_label, severity_style};
use crate::console::app::App;
use crate::console::lists::ListKind;
use crate::console::theme::S;

/// Draws the view into `area`.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let f = app.floor();
    let wide = area.width >= 120;
    let open = f.open_alerts().count();
    let shown = app.lists[ListKind::Alerts].rows.len();
    let title = format!(" Alerts: {open} open · {shown} shown{} ", super::list_note(app, ListKind::Alerts));
    let block = Block::bordered().border_style(th.get(S::Border)).title(Line::styled(title, th.get(S::Title)));
    super::list_table(frame, area, app, ListKind::Alerts, block, "no alerts", |id, cols| {
        let Some(a) = id.alert().and_then(|a| f.alerts.get(&a)) else { return Row::default() };
        let acked = a.acked.is_some();
        let sev = if acked { th.get(S::Muted) } else { severity_style(th, a.severity) };
        let text = if acked { th.get(S::Muted) } else { th.get(S::Text) };
        let cells: Vec<Cell> = cols
            .iter()
            .map(|col| match col.key {
                "raised" => Cell::from(fmt_clock(a.raised)),
                "alert" => Cell::from(a.id.to_string()),
                "sev" => Cell::from(Span::styled(severity_label(a.severity), sev)),
                "kind" => Cell::from(if wide { a.kind.as_str() } else { kind_short(a.kind) }),
                "subject" => Cell::from(a.subject.clone()),
                "message" => {
                    Cell::from(a.message.strip_prefix(&format!("{}: ", a.subject)).unwrap_or(&a.message).to_string())
                }
                "ack" => Cell::from(match &a.acked {
                    Some(k) if wide => format!("✓ {} {}", k.by, fmt_clock(k.at)),
                    Some(k) => format!("✓ {}", k.by),
                    None => String::new(),
                }),
                _ => Cell::default(),
            })
            .collect();
        Row::new(cells).style(text)
    });
}

/// A kind of alert in nine columns, for 80-column terminals.
pub(super) fn kind_short(kind: crate::model::AlertKind) -> &'static str {
    use crate::model::AlertKind as K;
    match kind {
        K::UrgentKeyword => "urgent",
        K::RiskKeyword => "risk",
        K::NegativeSentiment => "sentiment",
        K::LongWait => "long wait",
        K::SlaBreach => "SLA",
        K::AbandonSpike => "abandons",
        K::TicketOverdue => "overdue",
        K::AgentNoAnswer => "no answer",
        K::LowSatisfaction => "survey",
        K::SecondConfirmation => "2nd check",
        K::CallbackOverdue => "callback",
    }
}
