//! The call page's Orders box: the caller's orders and deliveries from the floor's order lookup (issue 9, point 8),
//! "looking up…" while an endpoint has not answered, and why when the lookup failed.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::util::fit_line;
use crate::console::app::App;
use crate::console::theme::S;
use crate::model::*;

/// Order rows shown on a short terminal, and on a tall one (40 rows or more); the rest are counted as `+N more`.
const ROWS_SHORT: usize = 2;
const ROWS_TALL: usize = 4;

fn rows_for(area_h: u16) -> usize {
    if area_h >= 40 { ROWS_TALL } else { ROWS_SHORT }
}

/// Rows the box takes on a call view `area_h` rows high: none when the call has no lookup.
pub fn height(c: &Call, area_h: u16) -> u16 {
    match &c.orders {
        None => 0,
        Some(CallOrders::Found { orders, .. }) if !orders.is_empty() => 1 + orders.len().min(rows_for(area_h)) as u16,
        Some(CallOrders::Failed { .. }) => 2,
        Some(_) => 1,
    }
}

/// Draws the box into `area` (as high as [`height`] said); `view_h` is the call view's height.
pub fn render(app: &App, c: &Call, frame: &mut Frame, area: Rect, view_h: u16) {
    let th = &app.theme;
    let w = area.width as usize;
    let Some(o) = &c.orders else { return };
    let mut lines: Vec<Line> = Vec::new();
    match o {
        CallOrders::Pending { source } => lines.push(Line::from(vec![
            Span::styled(" Orders: ", th.get(S::Title)),
            Span::styled(format!("looking up… ({})", source.as_str()), th.get(S::Muted)),
        ])),
        CallOrders::Failed { reason } => {
            lines.push(Line::from(vec![
                Span::styled(" Orders: ", th.get(S::Title)),
                Span::styled("lookup failed", th.get(S::SevWarning)),
            ]));
            lines.push(Line::styled(format!("  {}", app.masked(reason)), th.get(S::SevWarning)));
        }
        CallOrders::Found { source, orders, more } => {
            let shown = rows_for(view_h).min(orders.len());
            let left = (orders.len() - shown) as u32 + more;
            let count = match orders.len() {
                0 => "none on record for this number".to_string(),
                n => format!("{}", n + *more as usize),
            };
            let mut head = vec![
                Span::styled(" Orders: ", th.get(S::Title)),
                Span::raw(count),
                Span::styled(format!(" ({})", source.as_str()), th.get(S::Muted)),
            ];
            if left > 0 {
                head.push(Span::styled(format!(" · +{left} more"), th.get(S::Hint)));
            }
            lines.push(Line::from(head));
            for ord in orders.iter().take(shown) {
                lines.push(order_line(app, ord));
            }
        }
    }
    let lines: Vec<Line> = lines.into_iter().map(|l| fit_line(l, w)).collect();
    frame.render_widget(Paragraph::new(lines), area);
}

/// One order: `  A1001 shipped  蓝牙耳机 · 199.00 CNY · SF Express SF1234 · eta 2026-01-07`.
fn order_line(app: &App, o: &Order) -> Line<'static> {
    let th = &app.theme;
    let status_style = if o.needs_attention() {
        th.get(S::SevWarning)
    } else if o.status == "delivered" {
        th.get(S::SentPositive)
    } else {
        th.get(S::Text)
    };
    let mut rest = vec![app.masked(&o.item)];
    rest.extend(o.amount_text());
    match (&o.carrier, &o.tracking) {
        (Some(c), Some(t)) => rest.push(format!("{c} {t}")),
        (Some(x), None) | (None, Some(x)) => rest.push(x.clone()),
        (None, None) => {}
    }
    if let Some(eta) = &o.eta {
        rest.push(format!("eta {eta}"));
    }
    Line::from(vec![
        Span::styled(format!("  {} ", o.id), th.get(S::Hint)),
        Span::styled(format!("{:<9}", o.status), status_style),
        Span::raw(format!(" {}", rest.join(" · "))),
    ])
}
