//! The Ticket view: one ticket in depth: its status and countdown, the call it came from, and its whole history
//! (notes, escalations, resolution) with who and when.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::util::fmt_clock;
use crate::console::action::Action;
use crate::console::app::App;
use crate::console::theme::S;
use crate::model::*;

/// One history line: a note or an event of the ticket's life.
struct Entry<'a> {
    at: Time,
    by: &'a str,
    text: &'a str,
    note: bool,
}

/// Draws the view into `area`.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let f = app.floor();
    let Some(id) = app.open_ticket else { return };
    // The whole ticket from the engine's database when it was read (every note), else the floor's (the newest).
    let whole = app.mirror.whole_ticket(id).map(|w| &w.ticket);
    let Some(t) = whole.filter(|_| !f.tickets.contains_key(&id)).or_else(|| f.tickets.get(&id)) else {
        let q = Query::Ticket { ticket: id };
        let why = if app.fetching(&q) {
            " reading it from the engine's database… · esc goes back".to_string()
        } else if let Some(reason) = app.unavailable.get(&q) {
            format!(" the floor keeps the newest tickets only, and {reason} · esc goes back")
        } else {
            " the floor keeps the newest tickets only · esc goes back".to_string()
        };
        let lines = vec![
            Line::styled(format!(" {id} is no longer on the floor"), th.get(S::Title)),
            Line::styled(why, th.get(S::Muted)),
        ];
        frame.render_widget(Paragraph::new(lines), area);
        return;
    };
    let now = f.time();
    let (due, due_style) = super::tickets::due(th, t, now);
    let call = match t.call {
        Some(c) if f.calls.contains_key(&c) => format!("{c} (live)"),
        Some(c) if app.call_record(c).is_some() => format!("{c} (ended)"),
        Some(c) => format!("{c} (gone from the floor)"),
        None => "no call".into(),
    };
    let open_key = app.keymap.key_for(app.view.context(), Action::OpenCall).map(|k| format!(" · {k} opens it"));
    let mut info = vec![
        Line::from(vec![
            Span::styled(format!(" {} ", t.id), th.get(S::Title)),
            Span::raw(format!(" {} · {} · {} · ", t.status_label(), t.priority.as_str(), t.category)),
            Span::styled(
                if t.status == TicketStatus::Resolved { "resolved".into() } else { format!("due {due}") },
                due_style,
            ),
        ]),
        Line::raw(format!(
            " opened {} · level {} · call {call}{}",
            fmt_clock(t.opened),
            t.level,
            open_key.filter(|_| t.call.is_some_and(|c| app.call_record(c).is_some())).unwrap_or_default()
        )),
        Line::raw(format!(" {}", t.summary)),
    ];
    let hints: Vec<Span> = [Action::Escalate, Action::Resolve, Action::Note]
        .into_iter()
        .filter(|a| app.may(*a) && t.status != TicketStatus::Resolved)
        .filter_map(|a| app.keymap.key_for(app.view.context(), a).map(|k| (k, a)))
        .flat_map(|(k, a)| {
            [Span::styled(format!(" {k}"), th.get(S::Hint)), Span::styled(format!(" {}", a.name()), th.get(S::Muted))]
        })
        .collect();
    info.push(if hints.is_empty() { Line::styled(" read only", th.get(S::Muted)) } else { Line::from(hints) });
    // What the ticket links to: the caller's earlier contacts (by id) and the call's excerpt.
    let earlier_key = app
        .keymap
        .key_for(app.view.context(), Action::OpenEarlier)
        .filter(|_| app.earlier_target().is_some())
        .map(|k| format!(" · {k} opens {}", app.earlier_target().map(|e| e.to_string()).unwrap_or_default()))
        .unwrap_or_default();
    if !t.links.earlier.is_empty() {
        info.push(Line::styled(
            format!(" earlier: {}{earlier_key}", super::util::earlier_text(f, &t.links.earlier)),
            th.get(S::Hint),
        ));
    }
    let excerpt: Vec<Line> = t
        .links
        .excerpt
        .iter()
        .map(|l| {
            let who = match l.speaker {
                Speaker::Caller => "caller",
                Speaker::Agent => "agent",
                Speaker::Ivr => "ivr",
                Speaker::Supervisor => "supervisor",
            };
            Line::from(vec![
                Span::styled(format!("{} ", fmt_clock(l.at)), th.get(S::Muted)),
                Span::styled(format!("{who:<10} "), th.get(S::SpeakerSupervisor)),
                Span::raw(app.masked(&l.text)),
            ])
        })
        .collect();
    let info_h = info.len() as u16;
    let excerpt_h = if excerpt.is_empty() { 0 } else { excerpt.len() as u16 + 2 };
    let [info_a, excerpt_a, hist_a] =
        Layout::vertical([Constraint::Length(info_h), Constraint::Length(excerpt_h), Constraint::Min(3)]).areas(area);
    frame.render_widget(Paragraph::new(info), info_a);
    if !excerpt.is_empty() {
        let block = Block::bordered()
            .border_style(th.get(S::Border))
            .title(Line::styled(format!(" from the call: {} lines ", excerpt.len()), th.get(S::Title)));
        frame.render_widget(Paragraph::new(excerpt).block(block), excerpt_a);
    }

    // Notes older than the floor keeps come from the whole ticket once it was read; the floor's copy has the newest
    // state, the record every note.
    // (notes written since the record was read are on the floor only: both are shown, once each).
    let merged = |read: &'_ [TicketNote], live: &'_ [TicketNote]| -> Vec<TicketNote> {
        let mut all = read.to_vec();
        all.extend(live.iter().filter(|n| !read.contains(n)).cloned());
        all
    };
    let (notes, history) = match whole {
        Some(w) if t.notes_earlier > 0 => (merged(&w.notes, &t.notes), merged(&w.history, &t.history)),
        _ => (t.notes.clone(), t.history.clone()),
    };
    let mut entries: Vec<Entry> = notes
        .iter()
        .map(|n| Entry { at: n.at, by: &n.by, text: &n.text, note: true })
        .chain(history.iter().map(|n| Entry { at: n.at, by: &n.by, text: &n.text, note: false }))
        .collect();
    entries.sort_by_key(|e| e.at);
    let lines: Vec<Line> = entries
        .iter()
        .map(|e| {
            let who = if e.by.is_empty() { "engine" } else { e.by };
            let (kind, style) = if e.note { ("note", th.get(S::Text)) } else { ("", th.get(S::Supervisor)) };
            Line::from(vec![
                Span::styled(format!("{} ", fmt_clock(e.at)), th.get(S::Muted)),
                Span::styled(format!("{who:<10} "), th.get(S::SpeakerSupervisor)),
                Span::styled(if kind.is_empty() { e.text.to_string() } else { format!("{kind}: {}", e.text) }, style),
            ])
        })
        .collect();
    let inner_h = hist_a.height.saturating_sub(2) as usize;
    let max_scroll = lines.len().saturating_sub(inner_h);
    let scroll = app.transcript_scroll.min(max_scroll);
    let start = max_scroll - scroll;
    let shown: Vec<Line> = lines.into_iter().skip(start).take(inner_h).collect();
    let shown =
        if shown.is_empty() { vec![Line::styled("no notes or escalations yet", th.get(S::Muted))] } else { shown };
    let q = Query::Ticket { ticket: id };
    let earlier = if t.notes_earlier == 0 || whole.is_some() {
        String::new()
    } else if app.fetching(&q) {
        format!(" · reading {} earlier notes…", t.notes_earlier)
    } else if let Some(reason) = app.unavailable.get(&q) {
        format!(" · {} earlier notes not shown: {reason}", t.notes_earlier)
    } else {
        format!(" · {} earlier notes in the engine's database", t.notes_earlier)
    };
    let block = Block::bordered().border_style(th.get(S::Border)).title(Line::styled(
        format!(
            " history: {} {}, newest last{earlier} ",
            entries.len(),
            if entries.len() == 1 { "entry" } else { "entries" }
        ),
        th.get(S::Title),
    ));
    frame.render_widget(Paragraph::new(shown).block(block).wrap(Wrap { trim: false }), hist_a);
}
