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
mod kb;
mod orders;
mod source;
mod ticket;
mod tickets;
pub(crate) mod util;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, List, ListItem, Paragraph, Row, Table, TableState};

use super::action::Action;
use super::app::{App, Dialog, Input, SETTABLE_STATES, TransferTarget, View};
use super::keymap::Context;
use super::lists::{self, ListKind, RowId};
use super::theme::S;
use crate::client::ConnState;
use crate::model::*;
use util::{fit, fmt_age, fmt_clock};

/// The smallest terminal the console draws in.
pub const MIN_WIDTH: u16 = 80;
/// See [`MIN_WIDTH`].
pub const MIN_HEIGHT: u16 = 24;

/// Where each part of the screen goes: a pure function of the App and the terminal's area, shared by drawing,
/// paging and mouse hits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Screen {
    pub header: Rect,
    pub tabs: Rect,
    pub banner: Rect,
    pub body: Rect,
    /// Key hints, naming what they act on.
    pub status: Rect,
    /// The message line (and the line being typed: `:`, filters, say, notes), helix style.
    pub message: Rect,
}

/// Lays out `area` for `app` (banners take as many lines as they have).
pub fn screen(area: Rect, banners: usize) -> Screen {
    let [header, tabs, banner, body, status, message] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(banners as u16),
        Constraint::Min(0),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    Screen { header, tabs, banner, body, status, message }
}

/// The screen at the App's terminal size.
fn app_screen(app: &App) -> Screen {
    let area = Rect::new(0, 0, app.size.0, app.size.1);
    screen(area, banner_lines(app, area.width).len())
}

/// Rows a list view shows at the App's terminal size (the body less its borders and header row).
pub fn list_rows(app: &App) -> usize {
    app_screen(app).body.height.saturating_sub(3) as usize
}

/// Transcript rows the Call view shows at the App's terminal size.
pub fn transcript_rows(app: &App) -> usize {
    app_screen(app).body.height.saturating_sub(9) as usize
}

/// What a mouse click at a cell lands on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hit {
    Tab(View),
    /// A row of a list: its index in the list's rows.
    Row(ListKind, usize),
}

/// What is at column `x`, row `y` of the screen.
pub fn hit(app: &App, x: u16, y: u16) -> Option<Hit> {
    let area = Rect::new(0, 0, app.size.0, app.size.1);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT || !app.has_data() {
        return None;
    }
    let s = app_screen(app);
    if y == s.tabs.y {
        let mut at = s.tabs.x;
        for (view, span) in tab_spans(app, s.tabs.width) {
            let w = span.width() as u16;
            if x >= at && x < at + w {
                return view.map(Hit::Tab);
            }
            at += w;
        }
        return None;
    }
    let kind = app.view.list()?;
    // Rows start under the top border and the header row.
    let first = s.body.y + 2;
    let last = s.body.y + s.body.height.saturating_sub(1);
    if y < first || y >= last || x <= s.body.x || x >= s.body.x + s.body.width.saturating_sub(1) {
        return None;
    }
    let index = app.lists[kind].top + (y - first) as usize;
    (index < app.lists[kind].rows.len()).then_some(Hit::Row(kind, index))
}

/// Draws the whole screen.
pub fn render(app: &App, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(app, frame, area);
        return;
    }
    let banners = banner_lines(app, area.width);
    let s = screen(area, banners.len());
    header(app, frame, s.header);
    tabs(app, frame, s.tabs);
    frame.render_widget(Paragraph::new(banners), s.banner);
    if !app.has_data() {
        let msg = match &app.mirror.conn {
            ConnState::Failed { reason } => format!("Cannot connect: {reason}"),
            _ => "Waiting for the engine's first snapshot…".to_string(),
        };
        let p = Paragraph::new(vec![Line::default(), Line::styled(msg, app.theme.get(S::Muted)).centered()]);
        frame.render_widget(p, s.body);
    } else {
        match app.view {
            View::Floor => floor::render(app, frame, s.body),
            View::Calls => calls::render(app, frame, s.body),
            View::Call => call::render(app, frame, s.body),
            View::Ticket => ticket::render(app, frame, s.body),
            View::Agents => agents::render(app, frame, s.body),
            View::Alerts => alerts::render(app, frame, s.body),
            View::Tickets => tickets::render(app, frame, s.body),
            View::Callbacks => callbacks::render(app, frame, s.body),
            View::Audit => audit::render(app, frame, s.body),
        }
    }
    status(app, frame, s.status);
    message_line(app, frame, s.message);
    if let Some(d) = &app.dialog {
        dialog(app, d, frame, s.body);
    }
    if app.help {
        help::render(app, frame, s.body);
    } else if app.show_messages {
        messages(app, frame, s.body);
    } else if let Some(k) = &app.kb {
        kb::render(app, k, frame, s.body);
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
    match &app.mirror.conn {
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
    let floor = app.floor();
    let clock = floor.now.map(fmt_clock).unwrap_or_else(|| "--:--:--".into());
    let role = app.mirror.role.map(|r| r.as_str()).unwrap_or("no role yet");
    let user = app.user();
    // "sue (supervisor)", or just the role when the token's name is the role.
    let who = if user.is_empty() || user == role { role.to_string() } else { format!("{user} ({role})") };
    // Where we are: the call we barged into, whisper on or monitor, on every view.
    let mine: Vec<(CallId, SupervisorMode)> = app.my_calls().filter_map(|c| app.my_mode(c).map(|m| (c, m))).collect();
    let on_call = match mine.as_slice() {
        [] => None,
        [(c, m), rest @ ..] => {
            let more = if rest.is_empty() { String::new() } else { format!(" +{}", rest.len()) };
            Some(Span::styled(format!("◉ {} {c}{more}  ", m.as_str()), t.get(S::Supervisor)))
        }
    };
    let scenario = if floor.scenario.is_empty() { "no floor yet" } else { floor.scenario.as_str() };
    let fixed = format!(" callfloor │ {clock} │ ");
    let right_of = |source: Option<Span<'static>>| {
        let mut right = Vec::new();
        right.extend(on_call.clone());
        right.extend(source);
        if app.store_failing().is_some() {
            right.push(Span::styled("✗ db  ", t.get(S::ConnDown)));
        }
        right.extend([
            Span::raw(format!("{who}  ")),
            conn_span(app),
            Span::raw(format!("  data {} ", fmt_age(app.data_age))),
        ]);
        let right_w: usize = right.iter().map(|s| s.width()).sum();
        (right, right_w)
    };
    // A PBX floor names its source; the PBX's address goes first when the floor's name would not fit.
    let room_of = |right_w: usize| (area.width as usize).saturating_sub(right_w + fixed.chars().count() + 1);
    let (mut right, mut right_w) = right_of(source::header_span(app, true));
    if room_of(right_w) < unicode_width::UnicodeWidthStr::width(scenario) {
        (right, right_w) = right_of(source::header_span(app, false));
    }
    let room = room_of(right_w);
    // Most useful first: which floor, then its title, then which engine.
    let titled = if floor.title.is_empty() { scenario.to_string() } else { format!("{scenario} · {}", floor.title) };
    let server = app.mirror.server.as_deref().unwrap_or("");
    let with_server = if server.is_empty() { titled.clone() } else { format!("{titled} │ {server}") };
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

/// The tab bar's spans, each with the view it switches to (None for separators and the open call or ticket).
fn tab_spans(app: &App, width: u16) -> Vec<(Option<View>, Span<'static>)> {
    let t = &app.theme;
    let f = app.floor();
    let open_alerts = f.open_alerts().count();
    let now = f.time();
    let overdue = f.tickets.values().filter(|tk| tk.status != TicketStatus::Resolved && tk.due < now).count();
    let count = |v: View| -> String {
        match v {
            View::Calls => f.calls.len().to_string(),
            View::Alerts if open_alerts > 0 => open_alerts.to_string(),
            View::Tickets if overdue > 0 => format!("{overdue}!"),
            View::Tickets => f.tickets.values().filter(|tk| tk.status != TicketStatus::Resolved).count().to_string(),
            View::Callbacks => f.callbacks.len().to_string(),
            _ => String::new(),
        }
    };
    let active = if matches!(app.view, View::Call | View::Ticket) { app.back } else { app.view };
    // Roomy labels with counts; then tight ones with counts, the count in brackets so it never runs into the next
    // tab's number; then tight ones without counts.
    // Counts: 2 = every tab's, 1 = the live ones a supervisor watches (calls, open alerts, overdue tickets), 0 = none.
    let build = |counts: u8, roomy: bool| -> Vec<(Option<View>, Span<'static>)> {
        let mut spans = Vec::new();
        if !roomy {
            spans.push((None, Span::raw(" ")));
        }
        for (i, v) in View::TABS.iter().enumerate() {
            let c = match counts {
                2 => count(*v),
                1 if matches!(v, View::Calls | View::Alerts) || (*v == View::Tickets && overdue > 0) => count(*v),
                _ => String::new(),
            };
            let label = match (c.is_empty(), roomy) {
                (true, true) => format!(" {} {} ", i + 1, v.title()),
                (true, false) => format!("{} {}", i + 1, v.title()),
                (false, true) => format!(" {} {} {c} ", i + 1, v.title()),
                (false, false) => format!("{} {}({c})", i + 1, v.title()),
            };
            if !roomy && i > 0 {
                spans.push((None, Span::raw(" ")));
            }
            let style = if *v == active && !matches!(app.view, View::Call | View::Ticket) {
                t.get(S::TabActive)
            } else {
                t.get(S::Tab)
            };
            let style = if *v == View::Alerts && open_alerts > 0 && *v != active {
                style.patch(t.get(S::SevWarning))
            } else {
                style
            };
            spans.push((Some(*v), Span::styled(label, style)));
        }
        let open = match app.view {
            View::Call => app.open_call.map(|c| format!(" ▸ Call {c} ")),
            View::Ticket => app.open_ticket.map(|tk| format!(" ▸ Ticket {tk} ")),
            _ => None,
        };
        if let Some(label) = open {
            spans.push((None, Span::raw(" ")));
            spans.push((None, Span::styled(label, t.get(S::TabActive))));
        }
        spans
    };
    let fits = |s: &Vec<(Option<View>, Span)>| s.iter().map(|(_, s)| s.width()).sum::<usize>() <= width as usize;
    for (counts, roomy) in [(2, true), (2, false), (1, false)] {
        let spans = build(counts, roomy);
        if fits(&spans) {
            return spans;
        }
    }
    build(0, false)
}

fn tabs(app: &App, frame: &mut Frame, area: Rect) {
    let spans: Vec<Span> = tab_spans(app, area.width).into_iter().map(|(_, s)| s).collect();
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Lines shown under the tabs on every view: stale data, a new floor, then urgent alerts.
fn banner_lines(app: &App, width: u16) -> Vec<Line<'static>> {
    let t = &app.theme;
    let w = width as usize;
    let mut lines = Vec::new();
    if app.has_data() {
        let age = fmt_age(app.data_age);
        let text = match &app.mirror.conn {
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
    if let Some(line) = source::banner(app, w) {
        lines.push(line);
    }
    if let Some(why) = app.store_failing() {
        let text = format!(" ⚠ DATABASE: the engine cannot save ({why}): ticket, alert and seat changes are refused");
        lines.push(Line::styled(fit(&text, w), t.get(S::Stale)));
    }
    if let Some(text) = &app.new_floor {
        lines.push(Line::styled(fit(&format!(" ⚠ NEW FLOOR: {text} (any key hides this)"), w), t.get(S::Stale)));
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
        Action::SortNext => "sort",
        Action::TogglePause => "pause",
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
        Action::AssignCallback => "assign",
        Action::Close => "back",
        Action::ViewCalls => "calls",
        Action::Quit => "quit",
        Action::AcceptConfirmation => "confirm",
        Action::RefuseConfirmation => "refuse",
        Action::OpenEarlier => "earlier",
        _ => "",
    }
}

/// What an action would act on in the current view, as the status line names it (`b barge C-1188`).
fn hint_target(app: &App, action: Action) -> Option<String> {
    match action {
        Action::Monitor
        | Action::Whisper
        | Action::Barge
        | Action::Transfer
        | Action::NextMode
        | Action::Say
        | Action::AcceptConfirmation
        | Action::RefuseConfirmation => app.target_call().map(|c| c.to_string()),
        Action::OpenEarlier => app.earlier_target().map(|e| e.to_string()),
        Action::OpenCall => match app.view {
            View::Tickets => app.target_ticket().map(|t| t.to_string()),
            _ => app.target_call().map(|c| c.to_string()),
        },
        Action::Ack => app.target_alert().map(|a| a.to_string()),
        Action::Escalate | Action::Resolve | Action::Note => app.target_ticket().map(|t| t.to_string()),
        Action::Reassign | Action::SetAgentState => app.target_agent().map(|a| a.to_string()),
        Action::AssignCallback => app.target_call().map(|c| c.to_string()),
        _ => None,
    }
}

fn status(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let ctx = app.view.context();
    let km = &app.keymap;
    // While typing, the line above the entry lists the completions.
    if app.input.is_some() && !app.completions.is_empty() {
        frame.render_widget(Paragraph::new(completion_line(app, area.width as usize)), area);
        return;
    }
    let mut pairs: Vec<(String, Action)> = Vec::new();
    if app.show_hint {
        for a in [Action::ToggleHelp, Action::OpenCommandLine, Action::ViewCalls, Action::Barge] {
            if let Some(k) = km.key_for(ctx, a) {
                pairs.push((k.to_string(), a));
            }
        }
    } else {
        let mut seen = Vec::new();
        let mut push = |k: String, a: Action, pairs: &mut Vec<(String, Action)>| {
            if !short(a).is_empty() && !seen.contains(&a) {
                seen.push(a);
                pairs.push((k, a));
            }
        };
        let globals: &[Action] = match app.view {
            View::Calls | View::Call => {
                &[Action::OpenCall, Action::Barge, Action::Monitor, Action::Whisper, Action::Leave]
            }
            View::Floor => &[Action::Barge, Action::OpenCall, Action::ViewCalls],
            View::Ticket => &[Action::OpenCall],
            _ => &[Action::OpenCall],
        };
        // The view's main actions first, then its own bindings, then the ways out.
        for a in globals {
            if let Some(k) = km.key_for(ctx, *a) {
                push(k.to_string(), *a, &mut pairs);
            }
        }
        for (k, a) in km.bindings(ctx) {
            push(k.to_string(), *a, &mut pairs);
        }
        for a in [Action::Filter, Action::TogglePause, Action::Close, Action::ToggleHelp, Action::OpenCommandLine] {
            if let Some(k) = km.key_for(ctx, a) {
                push(k.to_string(), a, &mut pairs);
            }
        }
    }
    let leave_ok = app.target_call().is_some_and(|c| app.my_mode(c).is_some()) || app.my_calls().next().is_some();
    let live_target = app.target_call().is_some_and(|c| app.floor().calls.contains_key(&c));
    pairs.retain(|(_, a)| {
        app.may(*a)
            && match a {
                Action::Monitor
                | Action::Whisper
                | Action::Barge
                | Action::NextMode
                | Action::Say
                | Action::Transfer => live_target,
                Action::Close => app.can_close(),
                Action::Leave => leave_ok,
                Action::TogglePause | Action::Filter => app.view.list().is_some(),
                // Offered only on a call waiting for its second confirmation.
                Action::AcceptConfirmation | Action::RefuseConfirmation => app.pending_confirmation().is_some(),
                Action::OpenEarlier => app.earlier_target().is_some(),
                _ => true,
            }
    });
    let mut spans = Vec::new();
    let mut used = 1usize;
    spans.push(Span::raw(" "));
    let mut named = false;
    if app.view.list().is_some_and(|k| app.lists[k].paused) {
        let text = "⏸ PAUSED ";
        used += text.chars().count();
        spans.push(Span::styled(text, t.get(S::Stale)));
    }
    for (k, a) in pairs {
        // The first action that acts on something names it: `b barge C-1188`.
        let target = if named { None } else { hint_target(app, a) };
        let label = match &target {
            Some(id) => format!("{} {id}", short(a)),
            None => short(a).to_string(),
        };
        let w = k.chars().count() + label.chars().count() + 3;
        if used + w > area.width as usize {
            break;
        }
        named |= target.is_some();
        used += w;
        spans.push(Span::styled(k, t.get(S::Hint)));
        spans.push(Span::styled(format!(" {label}  "), t.get(S::Muted)));
    }
    if !app.bell_enabled && used + 8 < area.width as usize {
        spans.push(Span::styled("bell off", t.get(S::Muted)));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The bottom line: what is being typed, else the newest message while it is fresh.
fn message_line(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    if let Some(input) = &app.input {
        let prompt = match input {
            Input::Command(_) => ":".to_string(),
            Input::Filter(kind, _) => format!("filter {} /", list_name(*kind)),
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
        return;
    }
    let Some(m) = app.current_message() else { return };
    let style = if m.ok { t.get(S::ToastOk) } else { t.get(S::ToastError) };
    let older = app.messages.len().saturating_sub(1);
    let more = if older > 0 { "  (:messages for more)" } else { "" };
    let room = (area.width as usize).saturating_sub(more.chars().count() + 2);
    let line =
        Line::from(vec![Span::styled(format!(" {} ", fit(&m.text, room)), style), Span::styled(more, t.get(S::Muted))]);
    frame.render_widget(Paragraph::new(line), area);
}

/// A list's name in prompts.
fn list_name(kind: ListKind) -> &'static str {
    match kind {
        ListKind::Calls => "calls",
        ListKind::Agents => "agents",
        ListKind::Alerts => "alerts",
        ListKind::Tickets => "tickets",
        ListKind::Callbacks => "callbacks",
        ListKind::Audit => "audit",
    }
}

/// The message history overlay, newest last.
fn messages(app: &App, frame: &mut Frame, body: Rect) {
    let t = &app.theme;
    let w = if body.width > 104 { 100 } else { body.width };
    let a = centered(body, w, body.height);
    let inner_h = a.height.saturating_sub(2) as usize;
    let inner_w = a.width.saturating_sub(2) as usize;
    let all: Vec<Line> = app
        .messages
        .iter()
        .map(|m| {
            let at = m.at.map(fmt_clock).unwrap_or_else(|| "--:--:--".into());
            let style = if m.ok { t.get(S::Text) } else { t.get(S::AuditError) };
            Line::from(vec![
                Span::styled(format!("{at} "), t.get(S::Muted)),
                Span::styled(fit(&m.text, inner_w.saturating_sub(9)), style),
            ])
        })
        .collect();
    let all = if all.is_empty() { vec![Line::styled("no messages yet", t.get(S::Muted))] } else { all };
    // Newest at the bottom; scrolling goes back in time.
    let max_scroll = all.len().saturating_sub(inner_h);
    let scroll = app.help_scroll.min(max_scroll);
    let start = max_scroll - scroll;
    let shown: Vec<Line> = all.into_iter().skip(start).take(inner_h).collect();
    let block = Block::bordered()
        .border_style(t.get(S::Hint))
        .title(Line::styled(format!(" Messages: {} · newest last ", app.messages.len()), t.get(S::Title)))
        .title_bottom(Line::styled(" k older · j newer · esc closes ", t.get(S::Muted)));
    frame.render_widget(Clear, a);
    frame.render_widget(Paragraph::new(shown).block(block).style(t.get(S::Dialog)), a);
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
            let name = app.floor().agents.get(agent).map(|a| a.name.as_str()).unwrap_or("");
            let items = choices
                .iter()
                .map(|(q, on)| {
                    let qname = app.floor().queue(q).map(|x| x.name.as_str()).unwrap_or("");
                    format!("[{}] {q} · {qname}", if *on { "x" } else { " " })
                })
                .collect();
            (format!("Queues for {agent} {name}"), items, *cursor, "space toggle · enter save · esc cancel")
        }
        Dialog::AgentState { agent, cursor } => {
            let cur = app.floor().agents.get(agent).map(|a| a.state.as_str()).unwrap_or("?");
            let items = SETTABLE_STATES.iter().map(|s| s.as_str().to_string()).collect();
            (format!("Set {agent} (now {cur})"), items, *cursor, "enter set · esc cancel")
        }
        Dialog::Transfer { call, targets, cursor } => {
            let items = targets
                .iter()
                .map(|tt| match tt {
                    TransferTarget::Queue(q) => format!("queue  {q}"),
                    TransferTarget::Agent(a) => {
                        let name = app.floor().agents.get(a).map(|x| x.name.as_str()).unwrap_or("");
                        format!("agent  {a} {name} (available)")
                    }
                })
                .collect();
            (format!("Transfer {call} to"), items, *cursor, "enter transfer · esc cancel")
        }
        Dialog::Confirm { title, lines, .. } => {
            let mut text: Vec<Line> = lines.iter().map(|l| Line::raw(l.clone())).collect();
            text.push(Line::default());
            let yes = app.keymap.key_for(Context::Dialog, Action::Confirm).map(|k| k.to_string()).unwrap_or_default();
            let no = app.keymap.key_for(Context::Dialog, Action::Close).map(|k| k.to_string()).unwrap_or_default();
            text.push(Line::styled(format!("{yes} yes · {no} no"), t.get(S::Hint)));
            let wmax = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0).max(title.chars().count()) + 6;
            let a = centered(body, (wmax as u16).max(40), text.len() as u16 + 2);
            frame.render_widget(Clear, a);
            let block = Block::bordered().title(format!(" {title} ")).border_style(t.get(S::SevCritical));
            frame.render_widget(Paragraph::new(text).block(block).style(t.get(S::Dialog)), a);
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

/// Draws one of the list views' tables from its columns (as data, [`lists::Column`]): a muted header with the
/// sorted column marked, the rows from the list's first shown row, the selection highlighted when it is in view,
/// the title marking a selection scrolled out of view, and a muted line in place of rows when there are none.
/// `row` makes one row's cells, one per column given.
pub(super) fn list_table<'a>(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    kind: ListKind,
    mut block: Block<'a>,
    empty_msg: &str,
    row: impl Fn(RowId, &[&'static lists::Column]) -> Row<'a>,
) {
    let th = &app.theme;
    let state = &app.lists[kind];
    let wide = area.width >= 120;
    let cols = kind.shown_columns(wide, app.floor());
    let arrow = state.sort.label(kind);
    let arrow = arrow.rsplit(' ').next().unwrap_or("");
    let header: Vec<String> = cols
        .iter()
        .map(|c| if c.key == state.sort.column { format!("{}{arrow}", c.title) } else { c.title.to_string() })
        .collect();
    let widths: Vec<Constraint> = cols
        .iter()
        .map(|c| match c.width(wide) {
            lists::Width::Fixed(w) => Constraint::Length(w),
            lists::Width::Fill | lists::Width::Hidden => Constraint::Fill(1),
        })
        .collect();
    let h = area.height.saturating_sub(3) as usize;
    let rows: Vec<Row> = state.rows.iter().skip(state.top).take(h).map(|id| row(*id, &cols)).collect();
    let empty = rows.is_empty();
    let selected = state.selected().map(|_| state.index).filter(|i| *i >= state.top && *i < state.top + h);
    if let Some(up) = state.off_screen(h) {
        let id = state.sel.map(row_label).unwrap_or_default();
        let text = if up { format!(" ▲ {id} above ") } else { format!(" ▼ {id} below ") };
        block = block.title(Line::styled(text, th.get(S::Hint)).right_aligned());
    }
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(th.get(S::Muted)))
        .block(block)
        .style(th.get(S::Text))
        .row_highlight_style(th.get(S::Selected));
    let mut ts = TableState::default().with_selected(selected.map(|i| i - state.top));
    frame.render_stateful_widget(table, area, &mut ts);
    if empty {
        let msg = if state.filter.is_empty() { empty_msg } else { "nothing matches the filter (esc clears it)" };
        let a = Rect { x: area.x + 2, y: area.y + 2, width: area.width.saturating_sub(4), height: 1 };
        frame.render_widget(Line::styled(msg, th.get(S::Muted)), a);
    }
}

/// The completions, the one Tab put in place marked `[C-1079]` (and in the selection style); the others take the
/// same width (` C-1076 `, so words are two spaces apart), and the mark moves while the words do not. When they do
/// not all fit, the list starts late enough to show the marked one, and `…` says some are cut off.
pub(crate) fn completion_line(app: &App, width: usize) -> Line<'static> {
    use unicode_width::UnicodeWidthStr;
    let th = &app.theme;
    let marked = app.completion.highlighted();
    let items: Vec<(String, bool)> = app
        .completions
        .iter()
        .enumerate()
        .map(|(i, c)| if Some(i) == marked { (format!("[{c}]"), true) } else { (format!(" {c} "), false) })
        .collect();
    // Whether items `start..=upto` fit in `room` columns.
    let fits = |start: usize, upto: usize, room: usize| {
        items[start..=upto].iter().map(|(s, _)| s.width()).sum::<usize>() <= room
    };
    let mut start = 0;
    if let Some(m) = marked.filter(|m| *m < items.len()) {
        // Leave room for the "…" before and, unless the marked one is the last, after.
        let reserve = |start: usize| usize::from(start > 0) + usize::from(m + 1 < items.len());
        while start < m && !fits(start, m, width.saturating_sub(reserve(start))) {
            start += 1;
        }
    }
    let mut spans = Vec::new();
    let mut used = 0;
    if start > 0 {
        spans.push(Span::styled("…", th.get(S::Muted)));
        used += 1;
    }
    for (i, (text, is_marked)) in items.iter().enumerate().skip(start) {
        let more = i + 1 < items.len();
        if used + text.width() + usize::from(more) > width && !(*is_marked && used + text.width() <= width) {
            spans.push(Span::styled("…", th.get(S::Muted)));
            break;
        }
        let style = if *is_marked { th.get(S::Hint).patch(th.get(S::Selected)) } else { th.get(S::Hint) };
        spans.push(Span::styled(text.clone(), style));
        used += text.width();
    }
    Line::from(spans)
}

/// A row id as people read it: `C-1042`, `AL-3`, `T-88`, `A-07`.
pub(crate) fn row_label(id: RowId) -> String {
    match id {
        RowId::Call(c) => c.to_string(),
        RowId::Agent(a) => a.to_string(),
        RowId::Alert(a) => a.to_string(),
        RowId::Ticket(t) => t.to_string(),
        RowId::Audit(at, _) => fmt_clock(at),
    }
}

/// The title's note on the list's filter and pause: ` · filter "x" · paused`.
pub(super) fn list_note(app: &App, kind: ListKind) -> String {
    let l = &app.lists[kind];
    let mut s = format!(" · sorted by {}", l.sort.label(kind));
    if !l.filter.is_empty() {
        s.push_str(&format!(" · filter \"{}\"", l.filter));
    }
    if l.paused {
        s.push_str(" · PAUSED");
    }
    s
}
