//! Rendering: `render(&App, &mut Frame)` draws the whole screen from the App and nothing else (no clocks, no
//! I/O). One module per view; this one draws the frame around them: header, tabs, banners, status line, toasts,
//! dialogs and help.

mod agents;
mod alerts;
mod audit;
mod call;
mod callbacks;
mod calls;
mod floor;
mod help;
mod tickets;
pub(crate) mod util;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, List, ListItem, Paragraph};

use super::action::Action;
use super::app::{App, Dialog, Input, SETTABLE_STATES, TransferTarget, View};
use super::keymap::Context;
use super::theme::S;
use crate::client::ConnState;
use crate::model::*;
use util::{fit, fmt_age, fmt_clock};

/// The smallest terminal the console draws in.
pub const MIN_WIDTH: u16 = 80;
/// See [`MIN_WIDTH`].
pub const MIN_HEIGHT: u16 = 24;

/// Draws the whole screen.
pub fn render(app: &App, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(app, frame, area);
        return;
    }
    let banners = banner_lines(app, area.width);
    let [header_a, tabs_a, banner_a, body_a, status_a] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(banners.len() as u16),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    header(app, frame, header_a);
    tabs(app, frame, tabs_a);
    frame.render_widget(Paragraph::new(banners), banner_a);
    if !app.has_data {
        let msg = match &app.conn {
            ConnState::Failed { reason } => format!("Cannot connect: {reason}"),
            _ => "Waiting for the engine's first snapshot…".to_string(),
        };
        let p = Paragraph::new(vec![Line::default(), Line::styled(msg, app.theme.get(S::Muted)).centered()]);
        frame.render_widget(p, body_a);
    } else {
        match app.view {
            View::Floor => floor::render(app, frame, body_a),
            View::Calls => calls::render(app, frame, body_a),
            View::Call => call::render(app, frame, body_a),
            View::Agents => agents::render(app, frame, body_a),
            View::Alerts => alerts::render(app, frame, body_a),
            View::Tickets => tickets::render(app, frame, body_a),
            View::Callbacks => callbacks::render(app, frame, body_a),
            View::Audit => audit::render(app, frame, body_a),
        }
    }
    status(app, frame, status_a);
    toasts(app, frame, body_a);
    if let Some(d) = &app.dialog {
        dialog(app, d, frame, body_a);
    }
    if app.help {
        help::render(app, frame, body_a);
    }
}

fn too_small(app: &App, frame: &mut Frame, area: Rect) {
    let lines = vec![
        Line::styled("Terminal too small", app.theme.get(S::Title)),
        Line::raw(format!("{}x{} — callfloor needs at least {MIN_WIDTH}x{MIN_HEIGHT}", area.width, area.height)),
        Line::styled("Enlarge the window, or press q to quit", app.theme.get(S::Muted)),
    ];
    let top = area.height.saturating_sub(3) / 2;
    let a = Rect { y: area.y + top, height: area.height.saturating_sub(top).min(3), ..area };
    frame.render_widget(Paragraph::new(lines).centered(), a);
}

fn conn_span(app: &App) -> Span<'static> {
    let t = &app.theme;
    match &app.conn {
        ConnState::Connected => Span::styled("● live", t.get(S::ConnOk)),
        ConnState::Connecting { attempt } if *attempt <= 1 => Span::styled("◌ connecting", t.get(S::ConnWait)),
        ConnState::Connecting { attempt } => Span::styled(format!("◌ connecting #{attempt}"), t.get(S::ConnWait)),
        ConnState::Disconnected { .. } => Span::styled("○ disconnected", t.get(S::ConnDown)),
        ConnState::Failed { .. } => Span::styled("✗ refused", t.get(S::ConnDown)),
    }
}

fn header(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let base = t.get(S::Header);
    let clock = app.floor.now.map(fmt_clock).unwrap_or_else(|| "--:--:--".into());
    let role = app.role.map(|r| r.as_str()).unwrap_or("no role yet");
    // "sue (supervisor)", or just the role when the token's name is the role.
    let who = if app.user.is_empty() || app.user == role { role.to_string() } else { format!("{} ({role})", app.user) };
    let right =
        vec![Span::raw(format!("{who}  ")), conn_span(app), Span::raw(format!("  data {} ", fmt_age(app.data_age)))];
    let right_w: usize = right.iter().map(|s| s.width()).sum();
    let fixed = format!(" callfloor │ {clock} │ ");
    let room = (area.width as usize).saturating_sub(right_w + fixed.chars().count() + 1);
    // Most useful first: which floor, then its title, then which engine.
    let scenario = if app.floor.scenario.is_empty() { "no floor yet" } else { app.floor.scenario.as_str() };
    let titled =
        if app.floor.title.is_empty() { scenario.to_string() } else { format!("{scenario} · {}", app.floor.title) };
    let with_server = if app.server.is_empty() { titled.clone() } else { format!("{titled} │ {}", app.server) };
    let fits = |s: &str| unicode_width::UnicodeWidthStr::width(s) <= room;
    let mid = [with_server, titled].into_iter().find(|s| fits(s)).unwrap_or_else(|| fit(scenario, room));
    let mut spans = vec![Span::styled(" callfloor", base.patch(t.get(S::Title))), Span::raw(format!(" │ {clock} │ "))];
    spans.push(Span::raw(mid));
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let pad = (area.width as usize).saturating_sub(used + right_w);
    spans.push(Span::raw(" ".repeat(pad)));
    spans.extend(right);
    frame.render_widget(Paragraph::new(Line::from(spans)).style(base), area);
}

fn tabs(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let f = &app.floor;
    let open_alerts = f.open_alerts().count();
    let now = f.time();
    let overdue = f.tickets.values().filter(|tk| tk.status != TicketStatus::Resolved && tk.due < now).count();
    let count = |v: View| -> String {
        match v {
            View::Calls => f.calls.len().to_string(),
            View::Alerts if open_alerts > 0 => open_alerts.to_string(),
            View::Tickets if overdue > 0 => format!("{overdue}!"),
            View::Tickets => app.tickets.len().to_string(),
            View::Callbacks => f.callbacks.len().to_string(),
            _ => String::new(),
        }
    };
    let active = if app.view == View::Call { app.back } else { app.view };
    // Roomy labels with counts; then tight ones with counts; then tight ones without.
    let build = |with_counts: bool, pad: &str| -> Vec<Span<'static>> {
        let mut spans = Vec::new();
        for (i, v) in View::TABS.iter().enumerate() {
            let c = if with_counts { count(*v) } else { String::new() };
            let label = if c.is_empty() {
                format!("{pad}{} {}{pad}", i + 1, v.title())
            } else {
                format!("{pad}{} {} {c}{pad}", i + 1, v.title())
            };
            if pad.is_empty() && i > 0 {
                spans.push(Span::raw(" "));
            }
            let style = if *v == active && app.view != View::Call { t.get(S::TabActive) } else { t.get(S::Tab) };
            let style = if *v == View::Alerts && open_alerts > 0 && *v != active {
                style.patch(t.get(S::SevWarning))
            } else {
                style
            };
            spans.push(Span::styled(label, style));
        }
        if app.view == View::Call
            && let Some(c) = app.open_call
        {
            spans.push(Span::raw(" "));
            spans.push(Span::styled(format!(" ▸ Call {c} "), t.get(S::TabActive)));
        }
        spans
    };
    let fits = |s: &Vec<Span>| s.iter().map(|s| s.width()).sum::<usize>() <= area.width as usize;
    let mut spans = build(true, " ");
    if !fits(&spans) {
        spans = build(true, "");
        spans.insert(0, Span::raw(" "));
    }
    if !fits(&spans) {
        spans = build(false, "");
        spans.insert(0, Span::raw(" "));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Lines shown under the tabs on every view: stale data, then urgent alerts.
fn banner_lines(app: &App, width: u16) -> Vec<Line<'static>> {
    let t = &app.theme;
    let w = width as usize;
    let mut lines = Vec::new();
    if app.has_data {
        let age = fmt_age(app.data_age);
        let text = match &app.conn {
            ConnState::Connected => None,
            ConnState::Connecting { attempt } => {
                Some(format!(" ⚠ STALE: reconnecting (attempt {attempt}); showing the last data, {age} old"))
            }
            ConnState::Disconnected { reason, retry_in_ms } => Some(format!(
                " ⚠ STALE: disconnected ({reason}); showing the last data, {age} old; retrying in {}s",
                retry_in_ms.div_ceil(1000)
            )),
            ConnState::Failed { reason } => {
                Some(format!(" ⚠ STALE: the engine refused us ({reason}); showing the last data, {age} old; q quits"))
            }
        };
        if let Some(text) = text {
            lines.push(Line::styled(fit(&text, w), t.get(S::Stale)));
        }
    }
    let mut urgent = app.urgent_alerts();
    if let Some(a) = urgent.next() {
        let more = urgent.count();
        let more = if more > 0 { format!(" (+{more} more)") } else { String::new() };
        let key = app
            .keymap
            .key_for(Context::Global, Action::ViewAlerts)
            .map(|k| format!(" · {k}: alerts"))
            .unwrap_or_default();
        let text =
            format!(" ▲ {} {} {}: {}{more}{key}", a.id, fmt_clock(a.raised), a.kind.as_str(), util::alert_text(a));
        lines.push(Line::styled(fit(&text, w), t.get(S::AlertBanner)));
    }
    lines
}

/// The short label a hint uses for an action.
fn short(action: Action) -> &'static str {
    match action {
        Action::ToggleHelp => "help",
        Action::OpenCommandLine => "command",
        Action::OpenCall => "open",
        Action::Filter => "filter",
        Action::CycleSort => "sort",
        Action::Monitor => "monitor",
        Action::Whisper => "whisper",
        Action::Barge => "barge",
        Action::Leave => "leave",
        Action::NextMode => "mode",
        Action::Say => "say",
        Action::Transfer => "transfer",
        Action::Reassign => "reassign",
        Action::SetAgentState => "state",
        Action::Ack => "ack",
        Action::AckAllVisible => "ack all",
        Action::Escalate => "escalate",
        Action::Resolve => "resolve",
        Action::Note => "note",
        Action::Close => "back",
        Action::ViewCalls => "calls",
        Action::Quit => "quit",
        _ => "",
    }
}

fn status(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    if let Some(input) = &app.input {
        let prompt = match input {
            Input::Command(_) => ":".to_string(),
            Input::Filter(v, _) => format!("filter {} /", v.title().to_lowercase()),
            Input::Say(call, _) => {
                let mode = app.my_mode(*call).map(|m| m.as_str()).unwrap_or("not on the call");
                let who = if mode == "whisper" { "the agent hears" } else { "caller and agent hear" };
                format!("say to {call} ({mode}: {who}) ›")
            }
            Input::Ticket(ticket, op, _) => format!("{} {ticket} note ›", op.as_str()),
        };
        let pw = unicode_width::UnicodeWidthStr::width(prompt.as_str()) as u16 + 1;
        let [p, rest] = Layout::horizontal([Constraint::Length(pw), Constraint::Min(1)]).areas(area);
        frame.render_widget(Paragraph::new(Span::styled(prompt, t.get(S::Hint))), p);
        let mut ta = input.area().clone();
        ta.set_style(t.get(S::Input));
        frame.render_widget(&ta, rest);
        if !app.completions.is_empty() {
            let text = fit(&app.completions.join("  "), area.width as usize);
            let above = Rect { y: area.y.saturating_sub(1), height: 1, ..area };
            frame.render_widget(Clear, above);
            frame.render_widget(Paragraph::new(Span::styled(text, t.get(S::Hint))), above);
        }
        return;
    }
    let ctx = app.view.context();
    let km = &app.keymap;
    let mut pairs: Vec<(String, &'static str)> = Vec::new();
    if app.show_hint {
        for a in [Action::ToggleHelp, Action::OpenCommandLine, Action::ViewCalls, Action::Barge] {
            if let Some(k) = km.key_for(ctx, a) {
                pairs.push((k.to_string(), short(a)));
            }
        }
    } else {
        let mut seen = Vec::new();
        let mut push = |k: String, a: Action, pairs: &mut Vec<(String, &'static str)>| {
            if !short(a).is_empty() && !seen.contains(&a) {
                seen.push(a);
                pairs.push((k, short(a)));
            }
        };
        for (k, a) in km.bindings(ctx) {
            push(k.to_string(), *a, &mut pairs);
        }
        let globals: &[Action] = match app.view {
            View::Calls | View::Call => {
                &[Action::OpenCall, Action::Monitor, Action::Whisper, Action::Barge, Action::Leave]
            }
            View::Floor => &[Action::ViewCalls, Action::Barge],
            _ => &[Action::OpenCall],
        };
        for a in globals.iter().chain([Action::Close, Action::ToggleHelp, Action::OpenCommandLine].iter()) {
            if let Some(k) = km.key_for(ctx, *a) {
                push(k.to_string(), *a, &mut pairs);
            }
        }
    }
    let mut spans = Vec::new();
    let mut used = 1usize;
    spans.push(Span::raw(" "));
    for (k, label) in pairs {
        let w = k.chars().count() + label.chars().count() + 3;
        if used + w > area.width as usize {
            break;
        }
        used += w;
        spans.push(Span::styled(k, t.get(S::Hint)));
        spans.push(Span::styled(format!(" {label}  "), t.get(S::Muted)));
    }
    if !app.bell_enabled && used + 8 < area.width as usize {
        spans.push(Span::styled("bell off", t.get(S::Muted)));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn toasts(app: &App, frame: &mut Frame, body: Rect) {
    let t = &app.theme;
    let n = app.toasts.len().min(body.height as usize) as u16;
    for (i, toast) in app.toasts.iter().rev().take(n as usize).enumerate() {
        let max = (body.width as usize).saturating_sub(4).min(100);
        let text = format!(" {} ", fit(&toast.text, max.saturating_sub(2)));
        let w = unicode_width::UnicodeWidthStr::width(text.as_str()) as u16;
        let y = body.y + body.height - 1 - i as u16;
        let a = Rect { x: body.x + body.width.saturating_sub(w + 1), y, width: w.min(body.width), height: 1 };
        let style = if toast.ok { t.get(S::ToastOk) } else { t.get(S::ToastError) };
        frame.render_widget(Clear, a);
        frame.render_widget(Paragraph::new(Span::styled(text, style)), a);
    }
}

/// A centred rectangle of at most `w` x `h` inside `area`.
pub(crate) fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h }
}

fn dialog(app: &App, d: &Dialog, frame: &mut Frame, body: Rect) {
    let t = &app.theme;
    let (title, items, cursor, footer): (String, Vec<String>, usize, &str) = match d {
        Dialog::Reassign { agent, choices, cursor } => {
            let name = app.floor.agents.get(agent).map(|a| a.name.as_str()).unwrap_or("");
            let items = choices
                .iter()
                .map(|(q, on)| {
                    let qname = app.floor.queue(q).map(|x| x.name.as_str()).unwrap_or("");
                    format!("[{}] {q} · {qname}", if *on { "x" } else { " " })
                })
                .collect();
            (format!("Queues for {agent} {name}"), items, *cursor, "space toggle · enter save · esc cancel")
        }
        Dialog::AgentState { agent, cursor } => {
            let cur = app.floor.agents.get(agent).map(|a| a.state.as_str()).unwrap_or("?");
            let items = SETTABLE_STATES.iter().map(|s| s.as_str().to_string()).collect();
            (format!("Set {agent} (now {cur})"), items, *cursor, "enter set · esc cancel")
        }
        Dialog::Transfer { call, targets, cursor } => {
            let items = targets
                .iter()
                .map(|tt| match tt {
                    TransferTarget::Queue(q) => format!("queue  {q}"),
                    TransferTarget::Agent(a) => {
                        let name = app.floor.agents.get(a).map(|x| x.name.as_str()).unwrap_or("");
                        format!("agent  {a} {name} (available)")
                    }
                })
                .collect();
            (format!("Transfer {call} to"), items, *cursor, "enter transfer · esc cancel")
        }
        Dialog::ConfirmQuit { call } => {
            let lines = vec![
                Line::raw(format!("You are barged into {call}.")),
                Line::raw("Quit anyway? The engine keeps you on the call until you leave."),
                Line::default(),
                Line::styled("y quit · n stay", t.get(S::Hint)),
            ];
            let a = centered(body, 66, 6);
            frame.render_widget(Clear, a);
            let block = Block::bordered().title(" Quit? ").border_style(t.get(S::SevCritical));
            frame.render_widget(Paragraph::new(lines).block(block).style(t.get(S::Dialog)), a);
            return;
        }
    };
    let h = (items.len() as u16 + 3).min(body.height);
    let w = items.iter().map(|s| s.chars().count()).max().unwrap_or(0).max(title.chars().count()).max(footer.len())
        as u16
        + 6;
    let a = centered(body, w, h);
    frame.render_widget(Clear, a);
    let block = Block::bordered()
        .title(format!(" {title} "))
        .title_bottom(Line::styled(format!(" {footer} "), t.get(S::Muted)))
        .border_style(t.get(S::Hint));
    let inner_h = a.height.saturating_sub(2) as usize;
    let offset = cursor.saturating_sub(inner_h.saturating_sub(1));
    let list: Vec<ListItem> = items
        .into_iter()
        .enumerate()
        .skip(offset)
        .take(inner_h)
        .map(|(i, s)| {
            let style = if i == cursor { t.get(S::Selected) } else { Style::default() };
            ListItem::new(Line::styled(format!(" {s} "), style))
        })
        .collect();
    frame.render_widget(List::new(list).block(block).style(t.get(S::Dialog)), a);
}

/// Draws one of the views' tables: a muted header, the selection highlighted, and a muted line in place of rows when
/// there are none (`empty_msg`).
#[allow(clippy::too_many_arguments)]
pub(super) fn list_table(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    header: Vec<&str>,
    widths: Vec<Constraint>,
    rows: Vec<ratatui::widgets::Row>,
    block: Block,
    sel: usize,
    empty_msg: Option<&str>,
) {
    use ratatui::widgets::{Row, Table, TableState};
    let th = &app.theme;
    let empty = rows.is_empty();
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(th.get(S::Muted)))
        .block(block)
        .style(th.get(S::Text))
        .row_highlight_style(th.get(S::Selected));
    let mut state = TableState::default().with_selected(if empty { None } else { Some(sel) });
    frame.render_stateful_widget(table, area, &mut state);
    if let Some(msg) = empty_msg.filter(|_| empty) {
        let a = Rect { x: area.x + 2, y: area.y + 2, width: area.width.saturating_sub(4), height: 1 };
        frame.render_widget(Line::styled(msg, th.get(S::Muted)), a);
    }
}
