//! The Floor view: a tile per queue, floor totals, an arrivals sparkline and the newest alerts.

use std::collections::HashMap;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Sparkline};

use super::util::{alert_text, fit, fmt_clock, fmt_dur, pct, secs, severity_label, severity_style};
use crate::console::app::App;
use crate::console::theme::S;
use crate::model::*;

/// Width a queue tile wants.
const TILE_W: u16 = 38;
/// The newest-alerts box never gets smaller than this (two alert rows).
const ALERTS_MIN_H: u16 = 4;

/// What a tile shows for one queue: the engine's figures when it sends them, else what the floor itself says.
struct Tile<'a> {
    queue: &'a Queue,
    m: Option<&'a QueueMetrics>,
    waiting: usize,
    longest: f64,
    agents: AgentCounts,
}

/// Draws the view into `area`.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let f = app.floor();
    let now = f.time();
    let mut counts: HashMap<&QueueId, AgentCounts> = HashMap::new();
    for a in f.agents.values() {
        for q in &a.queues {
            counts.entry(q).or_default().add(a.state);
        }
    }
    let tiles: Vec<Tile> = f
        .queues
        .iter()
        .map(|q| {
            let m = app.mirror.metrics.as_ref().and_then(|m| m.queues.iter().find(|x| x.queue == q.id));
            let longest =
                q.waiting.iter().map(|w| (now - w.since).num_milliseconds() as f64 / 1000.0).fold(0.0, f64::max);
            Tile {
                queue: q,
                m,
                waiting: q.waiting.len(),
                longest,
                agents: counts.get(&q.id).copied().unwrap_or_default(),
            }
        })
        .collect();

    let n = tiles.len().max(1) as u16;
    let cols = (area.width / TILE_W).clamp(1, n);
    let rows = n.div_ceil(cols);
    // At a peak on a small terminal something has to give: keep the alerts box alive (two rows at least) and
    // drop the least useful lines first, the same on every tile: the Erlang line, then the arrivals chart, then
    // the seats line.
    let tall = area.height >= 40;
    let layouts: &[(u16, u16)] =
        if tall { &[(6, 6), (4, 6), (4, 3)] } else { &[(4, 6), (4, 3), (3, 3), (3, 0), (2, 0), (1, 0)] };
    // A floor whose callers speak dialects gets a line for them under the totals.
    let dialect_h = u16::from(!f.dialects.is_empty());
    let fits = |lines: u16, spark: u16| rows * (lines + 2) + 1 + dialect_h + spark + ALERTS_MIN_H <= area.height;
    let (lines, spark_h) = layouts.iter().copied().find(|(l, s)| fits(*l, *s)).unwrap_or((1, 0));
    // A short body keeps the tall layout's chart only when it has room to spare.
    let spark_h = if spark_h == 6 && area.height - rows * (lines + 2) < 16 { 3 } else { spark_h };
    let tile_h = lines + 2;
    let tiles_h = (rows * tile_h).min(area.height);
    let [tiles_a, totals_a, dialects_a, spark_a, alerts_a] = Layout::vertical([
        Constraint::Length(tiles_h),
        Constraint::Length(1),
        Constraint::Length(dialect_h),
        Constraint::Length(spark_h),
        Constraint::Min(0),
    ])
    .areas(area);

    let row_areas = Layout::vertical(vec![Constraint::Length(tile_h); rows as usize]).split(tiles_a);
    for (r, row_a) in row_areas.iter().enumerate() {
        let col_areas = Layout::horizontal(vec![Constraint::Ratio(1, cols as u32); cols as usize]).split(*row_a);
        for (c, a) in col_areas.iter().enumerate() {
            if let Some(t) = tiles.get(r * cols as usize + c) {
                tile(app, t, frame, *a);
            }
        }
    }
    totals(app, frame, totals_a);
    if dialect_h > 0 {
        dialects(app, frame, dialects_a);
    }
    if spark_h > 0 {
        arrivals(app, frame, spark_a);
    }
    newest_alerts(app, frame, alerts_a);
}

fn tile(app: &App, t: &Tile, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let q = t.queue;
    let sla = q.sla;
    let sl = t.m.and_then(|m| m.service_level);
    let breach = sl.is_some_and(|v| v < sla.percent);
    let long = t.longest > sla.seconds as f64;
    let state_style = if breach {
        th.get(S::QueueBreach)
    } else if long {
        th.get(S::QueueWarn)
    } else {
        th.get(S::Border)
    };
    let inner_w = area.width.saturating_sub(2) as usize;
    let target = format!("{:.0}/{}s", sla.percent * 100.0, sla.seconds);
    let title = fit(&format!(" {} · {} ", q.id, q.name), inner_w.saturating_sub(target.len() + 2));
    let block = Block::bordered()
        .border_style(state_style)
        .title(Line::styled(title, th.get(S::Title)))
        .title(Line::styled(format!(" {target} "), th.get(S::Muted)).right_aligned());

    let wait_style = if long { th.get(S::QueueWarn) } else { th.get(S::Text) };
    let sl_style = match sl {
        Some(_) if breach => th.get(S::QueueBreach),
        Some(_) => th.get(S::QueueOk),
        None => th.get(S::Muted),
    };
    let agents = t.m.map(|m| m.agents).filter(|a| a.staffed() + a.offline > 0).unwrap_or(t.agents);
    let mut lines = vec![
        Line::from(vec![
            Span::raw("waiting "),
            Span::styled(format!("{:<3}", t.waiting), th.get(S::Title)),
            Span::raw(" longest "),
            Span::styled(fmt_dur(t.longest), wait_style),
        ]),
        Line::from(vec![
            Span::raw("SL "),
            Span::styled(format!("{:>4}", pct(sl)), sl_style),
            Span::styled(if breach { " ▼ breach" } else { "" }, th.get(S::QueueBreach)),
            Span::raw("  ASA "),
            Span::raw(secs(t.m.and_then(|m| m.asa_s))),
            Span::raw("  aband "),
            Span::raw(pct(t.m.and_then(|m| m.abandon_rate))),
        ]),
        Line::from(vec![
            Span::raw("agents "),
            Span::styled(format!("{} free", agents.available), th.get(S::AgentAvailable)),
            Span::raw(", "),
            Span::styled(format!("{} busy", agents.busy()), th.get(S::AgentOnCall)),
            Span::raw(", "),
            Span::styled(format!("{} away", agents.on_break), th.get(S::AgentBreak)),
            Span::styled(
                if agents.offline > 0 { format!(", {} off", agents.offline) } else { String::new() },
                th.get(S::AgentOffline),
            ),
        ]),
    ];
    let staffing = t.m.map(|m| m.staffing);
    let erlang = match staffing.and_then(|s| s.erlang_c) {
        Some(need) => {
            let have = staffing.map(|s| s.agents).unwrap_or(0);
            let style = if need > have { th.get(S::QueueWarn) } else { th.get(S::Muted) };
            // Small tiles show both models on one line; tall ones give Erlang A a line of its own below.
            let label = match staffing.and_then(|s| s.erlang_a) {
                Some(a) if area.height < 8 => format!("Erlang C/A: {need}/{a} for {target}"),
                _ => format!("Erlang C: {need} seats for {target}"),
            };
            Line::from(vec![Span::styled(label, style), Span::styled(format!(" ({have} on)"), th.get(S::Muted))])
        }
        None => Line::styled("Erlang C: — (no figures yet)", th.get(S::Muted)),
    };
    lines.push(erlang);
    if area.height >= 8 {
        let aht = secs(t.m.and_then(|m| m.aht_s));
        let occ = pct(t.m.and_then(|m| m.occupancy));
        let offered = t.m.map(|m| m.offered.to_string()).unwrap_or_else(|| "—".into());
        lines.push(Line::styled(format!("offered {offered} · AHT {aht} · occupancy {occ}"), th.get(S::Muted)));
        let erl_a = staffing
            .and_then(|s| s.erlang_a)
            .map(|n| format!("Erlang A: {n} seats"))
            .unwrap_or_else(|| "Erlang A: —".into());
        let load = staffing.map(|s| format!(" · {:.1} Erl", s.erlangs)).unwrap_or_default();
        lines.push(Line::styled(format!("{erl_a}{load}"), th.get(S::Muted)));
    }
    frame.render_widget(Paragraph::new(lines).block(block).style(th.get(S::Text)), area);
}

fn totals(app: &App, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let f = app.floor();
    let (mut ivr, mut waiting, mut talking) = (0, 0, 0);
    for c in f.calls.values() {
        match c.state {
            CallState::Ivr => ivr += 1,
            CallState::Queued | CallState::Ringing => waiting += 1,
            _ => talking += 1,
        }
    }
    let mut agents = AgentCounts::default();
    for a in f.agents.values() {
        agents.add(a.state);
    }
    let now = f.time();
    let open_t = f.tickets.values().filter(|t| t.status != TicketStatus::Resolved).count();
    let overdue = f.tickets.values().filter(|t| t.status != TicketStatus::Resolved && t.due < now).count();
    let fm = app.mirror.metrics.as_ref().map(|m| &m.floor);
    let wide = area.width >= 120;
    let calls = if wide {
        format!(": {waiting} waiting · {ivr} in ivr · {talking} talking │ agents ")
    } else {
        format!(": {waiting} wait · {talking} talk │ ")
    };
    let mut spans = vec![
        Span::styled(format!(" {} calls", f.calls.len()), th.get(S::Title)),
        Span::raw(calls),
        Span::styled(format!("{} free", agents.available), th.get(S::AgentAvailable)),
        Span::raw(format!(" {} busy │ SL {} │ ", agents.busy(), pct(fm.and_then(|m| m.service_level)))),
        Span::raw(format!("{open_t} tickets")),
    ];
    if overdue > 0 {
        spans.push(Span::styled(format!(" {overdue} late"), th.get(S::TicketOverdue)));
    }
    if wide {
        spans.push(Span::raw(format!(" │ {} callbacks │ {} open alerts", f.callbacks.len(), f.open_alerts().count())));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Dialect callers waiting and the seats free for them, per dialect, and the staffing hint: which dialects need a
/// seat (more of their callers wait than their seats are free). `粤语 2/0` reads "2 waiting, 0 seats free".
fn dialects(app: &App, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let f = app.floor();
    let hint = f.dialect_staffing();
    let mut spans = vec![Span::styled(" dialects wait/free: ", th.get(S::Muted))];
    for (i, d) in hint.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", th.get(S::Muted)));
        }
        let style = if d.short() { th.get(S::QueueWarn) } else { th.get(S::Text) };
        spans.push(Span::styled(format!("{} {}/{}", f.dialect_name(&d.dialect), d.waiting, d.free), style));
    }
    let short: Vec<&str> = hint.iter().filter(|d| d.short()).map(|d| f.dialect_name(&d.dialect)).collect();
    if !short.is_empty() {
        let seats = if short.len() == 1 { "seat" } else { "seats" };
        spans.push(Span::styled(format!(" │ add a {} {seats}", short.join("/")), th.get(S::QueueWarn)));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn arrivals(app: &App, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let data = app.arrivals_per_min();
    let width = area.width.saturating_sub(2) as usize;
    let shown: Vec<u64> = data.iter().rev().take(width).rev().copied().collect();
    let last = shown.last().copied().unwrap_or(0);
    let peak = shown.iter().copied().max().unwrap_or(0);
    let title = format!(" arrivals/min: now {last}, peak {peak}, last {} min ", shown.len());
    let block = Block::bordered().border_style(th.get(S::Border)).title(Line::styled(title, th.get(S::Muted)));
    if shown.is_empty() {
        frame.render_widget(Paragraph::new(Line::styled("no arrivals seen yet", th.get(S::Muted))).block(block), area);
        return;
    }
    frame.render_widget(Sparkline::default().data(&shown).style(th.get(S::Spark)).block(block), area);
}

fn newest_alerts(app: &App, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let block = Block::bordered()
        .border_style(th.get(S::Border))
        .title(Line::styled(format!(" newest alerts ({} open) ", app.floor().open_alerts().count()), th.get(S::Muted)));
    let h = area.height.saturating_sub(2) as usize;
    let w = area.width.saturating_sub(2) as usize;
    let lines: Vec<Line> = app
        .floor()
        .alerts
        .values()
        .rev()
        .take(h)
        .map(|a| {
            let acked = a.acked.is_some();
            let sev = if acked { th.get(S::Muted) } else { severity_style(th, a.severity) };
            let text_style = if acked { th.get(S::Muted) } else { Style::default() };
            let head = format!("{} {:<5} ", fmt_clock(a.raised), a.id.to_string());
            let body = format!(" {}: {}{}", a.kind.as_str(), alert_text(a), if acked { " ✓" } else { "" });
            let room = w.saturating_sub(head.len() + 4);
            Line::from(vec![
                Span::styled(head, th.get(S::Muted)),
                Span::styled(severity_label(a.severity), sev),
                Span::styled(fit(&body, room), text_style),
            ])
        })
        .collect();
    let lines = if lines.is_empty() { vec![Line::styled("no alerts", th.get(S::Muted))] } else { lines };
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
