//! The Alerts view: newest first, severity colours, acknowledged ones dimmed.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row};

use super::util::{fmt_clock, severity_label, severity_style, window};
use crate::console::app::App;
use crate::console::theme::S;

/// Draws the view into `area`.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let f = &app.floor;
    let wide = area.width >= 120;
    let open = f.open_alerts().count();
    let title = format!(" Alerts: {open} open · {} shown, newest first ", app.alerts.len());
    let block = Block::bordered().border_style(th.get(S::Border)).title(Line::styled(title, th.get(S::Title)));
    let inner_h = area.height.saturating_sub(3) as usize;
    let (offset, sel) = window(app.alerts_sel.index, app.alerts.len(), inner_h);
    let header = vec!["Raised", "Alert", "Sev", "Kind", "Subject", "Message", "Ack"];
    let widths = vec![
        Constraint::Length(8),
        Constraint::Length(6),
        Constraint::Length(4),
        Constraint::Length(if wide { 18 } else { 9 }),
        Constraint::Length(if wide { 12 } else { 7 }),
        Constraint::Fill(1),
        Constraint::Length(if wide { 20 } else { 6 }),
    ];
    let rows: Vec<Row> = app
        .alerts
        .iter()
        .skip(offset)
        .take(inner_h)
        .filter_map(|id| f.alerts.get(id))
        .map(|a| {
            let acked = a.acked.is_some();
            let sev = if acked { th.get(S::Muted) } else { severity_style(th, a.severity) };
            let text = if acked { th.get(S::Muted) } else { th.get(S::Text) };
            let ack = match &a.acked {
                Some(k) if wide => format!("✓ {} {}", k.by, fmt_clock(k.at)),
                Some(k) => format!("✓ {}", k.by),
                None => String::new(),
            };
            Row::new(vec![
                Cell::from(fmt_clock(a.raised)),
                Cell::from(a.id.to_string()),
                Cell::from(Span::styled(severity_label(a.severity), sev)),
                Cell::from(if wide { a.kind.as_str() } else { kind_short(a.kind) }),
                Cell::from(a.subject.clone()),
                Cell::from(a.message.strip_prefix(&format!("{}: ", a.subject)).unwrap_or(&a.message).to_string()),
                Cell::from(ack),
            ])
            .style(text)
        })
        .collect();
    super::list_table(frame, area, app, header, widths, rows, block, sel, None);
}

/// A kind of alert in nine columns, for 80-column terminals.
fn kind_short(kind: crate::model::AlertKind) -> &'static str {
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
    }
}
