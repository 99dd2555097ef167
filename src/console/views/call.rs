//! The Call view: one call in depth: who is on it (and in which mode), its live transcript with per-line
//! sentiment, emotion (`[angry]`) and rule hits highlighted, and the sentiment and current emotion over the call.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Sparkline};

use super::util::{fit_line, fmt_clock, fmt_dur, sentiment_span, sentiment_style, to_line, wrap_spans};
use crate::console::action::Action;
use crate::console::app::App;
use crate::console::keymap::Context;
use crate::console::theme::{S, Theme};
use crate::model::*;

/// Draws the view into `area`.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let Some(id) = app.open_call else { return };
    let Some(c) = app.call_record(id) else {
        gone(app, id, frame, area);
        return;
    };
    let finished = app.finished(id);
    // A finished call's clock stopped when it ended.
    let now = finished.map(|f| f.1).unwrap_or_else(|| app.floor().time());
    // Wide terminals get a details panel on the right.
    let area = if area.width >= 120 {
        let [main, side] = Layout::horizontal([Constraint::Min(60), Constraint::Length(46)]).areas(area);
        details(app, c, frame, side);
        main
    } else {
        area
    };
    let w = area.width as usize;
    // Suggestion cards (only on calls that have some): a heading and a line per card, at most SUGGESTIONS_SHOWN.
    let sugg_h = if c.suggestions.is_empty() { 0 } else { c.suggestions.len().min(SUGGESTIONS_SHOWN) as u16 + 1 };
    // The caller's orders (only on floors with an order lookup).
    let orders_h = super::orders::height(c, area.height);
    let [info_a, spark_a, sugg_a, orders_a, tr_a] = Layout::vertical([
        Constraint::Length(4),
        Constraint::Length(3),
        Constraint::Length(sugg_h),
        Constraint::Length(orders_h),
        Constraint::Min(3),
    ])
    .areas(area);
    if sugg_h > 0 {
        suggestions(app, c, frame, sugg_a);
    }
    if orders_h > 0 {
        super::orders::render(app, c, frame, orders_a, area.height);
    }

    // Who and what.
    let agent = c
        .agent
        .map(|a| {
            let name = app.floor().agents.get(&a).map(|x| x.name.as_str()).unwrap_or("");
            format!("{a} {name}")
        })
        .unwrap_or_else(|| "no agent".into());
    let queue = c.queue.as_ref().map(|q| q.as_str()).unwrap_or("—");
    // The dialect and elderly marks go with the language, early enough to survive a narrow terminal.
    let tag = super::util::dialect_tag(app.floor(), c);
    let tag = if tag.is_empty() { tag } else { format!(" {tag}") };
    let mut l1 = vec![
        Span::styled(format!(" {id} "), if c.flags.urgent { th.get(S::CallUrgent) } else { th.get(S::Title) }),
        Span::raw(format!(
            " {queue} · {} · {agent} · {}{tag} · {} · P{}",
            c.state.as_str(),
            c.lang.as_str(),
            c.intent,
            c.priority
        )),
    ];
    if c.flags.urgent {
        l1.push(Span::styled(" URGENT", th.get(S::CallUrgent)));
    }
    if c.flags.risk {
        l1.push(Span::styled(" RISK", th.get(S::CallRisk)));
    }
    if let Some(v) = c.verification {
        let style = if v.is_verified() { th.get(S::Muted) } else { th.get(S::CallRisk) };
        l1.push(Span::styled(format!(" · {}", v.describe()), style));
    }
    if !c.earlier.calls.is_empty() {
        l1.push(Span::styled(format!(" ↻{}", c.earlier.calls.len()), th.get(S::Hint)));
    }
    if let Some(t) = c.agent.and_then(|a| app.floor().agents.get(&a)).and_then(|a| a.temporary.as_ref()) {
        l1.push(Span::styled(format!(" ⧗ {} seat until {}", t.origin.as_str(), fmt_clock(t.until)), th.get(S::Hint)));
    }
    if let Some(cb) = c.callback_for {
        l1.push(Span::styled(format!(" ↩ calling back {cb}"), th.get(S::Hint)));
    }
    if let Some(s) = &c.student {
        let others = match s.others.len() {
            0 => String::new(),
            1 => " · 1 other call".to_string(),
            n => format!(" · {n} other calls"),
        };
        l1.push(Span::styled(format!(" · student {}{others}", super::util::student_text(s)), th.get(S::Title)));
    }
    let wait = if c.first_queued.is_some() { fmt_dur(c.wait_secs(now)) } else { "—".into() };
    let talk = if c.answered.is_some() { fmt_dur(c.talk_secs(now)) } else { "—".into() };
    let rules: Vec<String> = c.rule_hits.iter().map(|h| format!("{} \"{}\"", h.rule, h.word)).collect();
    let mut l2 = vec![Span::raw(format!(" caller {} · wait {wait} · talk {talk}", c.caller))];
    if c.ring_outs > 0 {
        l2.push(Span::raw(format!(" · rang out {}×", c.ring_outs)));
    }
    if let Some(k) = &c.confirmation {
        let (text, style) = match k.state {
            ConfirmationState::Pending => {
                (format!(" · 2nd confirmation PENDING ('{}', {})", app.masked(&k.word), k.rule), th.get(S::CallUrgent))
            }
            state => {
                let by = k.by.as_deref().unwrap_or("");
                let note = k.note.as_deref().map(|n| format!(": {}", app.masked(n))).unwrap_or_default();
                let style = if state == ConfirmationState::Refused { th.get(S::CallRisk) } else { th.get(S::Muted) };
                (format!(" · 2nd confirmation {} by {by}{note}", state.as_str()), style)
            }
        };
        l2.push(Span::styled(text, style));
    }
    if !rules.is_empty() {
        l2.push(Span::raw(" · rules: "));
        l2.push(Span::styled(rules.join(", "), th.get(S::RuleHit)));
    }
    let last = match finished {
        Some((outcome, ended, survey)) => {
            let survey = survey.map(|s| format!(" · survey {s}/5")).unwrap_or_default();
            Line::styled(
                format!(
                    " {} at {}{survey} · read only: the call has left the floor",
                    outcome.as_str(),
                    fmt_clock(ended)
                ),
                th.get(S::Muted),
            )
        }
        None => Line::from(action_hints(app, c)),
    };
    let info = vec![Line::from(l1), Line::from(l2), participants(app, c), last];
    frame.render_widget(Paragraph::new(info.into_iter().map(|l| fit_line(l, w)).collect::<Vec<_>>()), info_a);

    // Sentiment over the call.
    let trail: Vec<u64> =
        c.sentiment_trail.iter().map(|s| (((s + 1.0) * 50.0).round().clamp(0.0, 100.0)) as u64).collect();
    let label_w = 20u16;
    let [label_a, chart_a] = Layout::horizontal([Constraint::Length(label_w), Constraint::Min(1)]).areas(spark_a);
    // The caller's current emotion, as a word (so it reads without colour), next to the heading.
    let mut heading = vec![Span::styled(" sentiment", th.get(S::Muted))];
    if let Some(e) = c.emotion() {
        heading.push(Span::styled(format!(" {}", e.adjective()), th.get(S::SentNegative)));
    }
    let label = vec![
        Line::from(heading),
        Line::from(vec![Span::raw(" "), sentiment_span(th, c.sentiment, 5)]),
        Line::styled(format!(" {} caller lines", c.sentiment_trail.len()), th.get(S::Muted)),
    ];
    frame.render_widget(Paragraph::new(label), label_a);
    let shown: Vec<u64> = trail.iter().rev().take(chart_a.width as usize).rev().copied().collect();
    let spark_style = sentiment_style(th, c.sentiment);
    frame.render_widget(Sparkline::default().data(&shown).max(100).style(spark_style), chart_a);

    // Transcript.
    let block = Block::bordered()
        .border_style(th.get(S::Border))
        .title(Line::styled(format!(" transcript: {} lines ", c.transcript.len()), th.get(S::Title)))
        .title(if app.transcript_scroll > 0 {
            Line::styled(
                format!(" ↑ scrolled up {} lines ", app.transcript_scroll.min(c.transcript.len())),
                th.get(S::Hint),
            )
            .right_aligned()
        } else {
            Line::default()
        });
    let inner_w = tr_a.width.saturating_sub(2) as usize;
    let inner_h = tr_a.height.saturating_sub(2) as usize;
    // Scrolling counts transcript lines (as the title says); only the lines that fit are wrapped, newest first.
    let words: Vec<&str> = c.rule_hits.iter().map(|h| h.word.as_str()).collect();
    // Scrolled past the oldest line, the pane would show a few lines and blank rows: stop where the oldest line
    // tops a full pane.
    let mut fill = 0;
    let mut fits_from_oldest = 0;
    for l in &c.transcript {
        if fill >= inner_h {
            break;
        }
        fill += transcript_line(th, l, &words, inner_w).len();
        fits_from_oldest += 1;
    }
    let scroll = app.transcript_scroll.min(c.transcript.len().saturating_sub(fits_from_oldest));
    let mut blocks: Vec<Vec<Line>> = Vec::new();
    let mut rows = 0;
    for l in c.transcript.iter().rev().skip(scroll) {
        if rows >= inner_h {
            break;
        }
        let wrapped = transcript_line(th, l, &words, inner_w);
        rows += wrapped.len();
        blocks.push(wrapped);
    }
    let mut shown: Vec<Line> = blocks.into_iter().rev().flatten().collect();
    if shown.len() > inner_h {
        // The oldest line shown is cut at the top, so the newest stay whole.
        shown.drain(..shown.len() - inner_h);
    }
    let shown = if shown.is_empty() { vec![Line::styled("nothing said yet", th.get(S::Muted))] } else { shown };
    frame.render_widget(Paragraph::new(shown).block(block), tr_a);
}

/// Who is on the call and what they can hear: monitoring is shown as silent, so nobody wonders.
fn participants(app: &App, c: &Call) -> Line<'static> {
    let th = &app.theme;
    if c.supervisors.is_empty() {
        return Line::styled(" no supervisor on this call", th.get(S::Muted));
    }
    let mut spans = vec![Span::raw(" on the call: ")];
    for (i, p) in c.supervisors.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(" · "));
        }
        let who = if p.supervisor == app.user() && p.supervisor != "you" {
            format!("{} (you)", p.supervisor)
        } else {
            p.supervisor.clone()
        };
        let what = match p.mode {
            SupervisorMode::Monitor => "monitor: silent, nobody hears",
            SupervisorMode::Whisper => "whisper: the agent hears",
            SupervisorMode::Barge => "barge: caller and agent hear",
        };
        spans.push(Span::styled(format!("{who} — {what}"), th.get(S::Supervisor)));
    }
    Line::from(spans)
}

fn action_hints(app: &App, c: &Call) -> Vec<Span<'static>> {
    let th = &app.theme;
    let km = &app.keymap;
    let mine = app.my_mode(c.id);
    let mut wanted = vec![Action::Monitor, Action::Whisper, Action::Barge];
    if mine.is_some() {
        wanted.extend([Action::NextMode, Action::Leave]);
    }
    if matches!(mine, Some(SupervisorMode::Whisper | SupervisorMode::Barge)) {
        wanted.push(Action::Say);
    }
    wanted.push(Action::Transfer);
    if c.confirmation.as_ref().is_some_and(|k| k.is_pending()) && app.may(Action::AcceptConfirmation) {
        wanted.extend([Action::AcceptConfirmation, Action::RefuseConfirmation]);
    }
    let mut spans = vec![Span::raw(" ")];
    for a in wanted {
        if let Some(k) = km.key_for(Context::Call, a) {
            let label = match a {
                Action::Monitor => "monitor",
                Action::Whisper => "whisper",
                Action::Barge => "barge",
                Action::NextMode => "next mode",
                Action::Leave => "leave",
                Action::Say => "say",
                Action::AcceptConfirmation => "confirm",
                Action::RefuseConfirmation => "refuse",
                _ => "transfer",
            };
            let current = matches!(
                (a, mine),
                (Action::Monitor, Some(SupervisorMode::Monitor))
                    | (Action::Whisper, Some(SupervisorMode::Whisper))
                    | (Action::Barge, Some(SupervisorMode::Barge))
            );
            spans.push(Span::styled(k.to_string(), th.get(S::Hint)));
            let style = if current { th.get(S::Supervisor) } else { th.get(S::Muted) };
            spans.push(Span::styled(format!(" {label}{}  ", if current { " ◂" } else { "" }), style));
        }
    }
    spans
}

/// Byte ranges of `words` in `text` (ASCII case-insensitive), merged and sorted.
fn hit_ranges(text: &str, words: &[&str]) -> Vec<(usize, usize)> {
    let lower = text.to_lowercase();
    let same_len = lower.len() == text.len();
    let hay = if same_len { lower.as_str() } else { text };
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for w in words {
        if w.is_empty() {
            continue;
        }
        let needle = if same_len { w.to_lowercase() } else { w.to_string() };
        let mut from = 0;
        while let Some(i) = hay.get(from..).and_then(|h| h.find(&needle)) {
            ranges.push((from + i, from + i + needle.len()));
            from += i + needle.len().max(1);
        }
    }
    ranges.sort();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.0 <= last.1 => last.1 = last.1.max(r.1),
            _ => merged.push(r),
        }
    }
    merged
}

fn transcript_line(th: &Theme, l: &Line_, words: &[&str], width: usize) -> Vec<Line<'static>> {
    // A supervisor's line names who spoke (the token's name), so two supervisors on a call are told apart.
    let (who, style) = match l.speaker {
        Speaker::Caller => ("caller", th.get(S::SpeakerCaller)),
        Speaker::Agent => ("agent", th.get(S::SpeakerAgent)),
        Speaker::Ivr => ("ivr", th.get(S::SpeakerIvr)),
        Speaker::Supervisor => (l.by.as_deref().unwrap_or("supervisor"), th.get(S::SpeakerSupervisor)),
    };
    let who: String = who.chars().take(10).collect();
    let prefix_w = 8 + 1 + 10 + 1 + 5 + 1;
    let mut pieces: Vec<(String, Style)> = Vec::new();
    if l.whisper {
        pieces.push(("(whisper) ".to_string(), th.get(S::Muted)));
    }
    if let Some(e) = l.emotion {
        pieces.push((format!("[{}] ", e.adjective()), th.get(S::SentNegative)));
    }
    let mut at = 0;
    for (s, e) in hit_ranges(&l.text, words) {
        if let (Some(before), Some(hit)) = (l.text.get(at..s), l.text.get(s..e)) {
            pieces.push((before.to_string(), Style::default()));
            pieces.push((hit.to_string(), th.get(S::RuleHit)));
            at = e;
        }
    }
    pieces.push((l.text.get(at..).unwrap_or_default().to_string(), Style::default()));
    pieces.retain(|(s, _)| !s.is_empty());
    let wrapped = wrap_spans(&pieces, width.saturating_sub(prefix_w).max(10));
    let mut out = Vec::with_capacity(wrapped.len());
    for (i, chunk) in wrapped.into_iter().enumerate() {
        let mut spans = if i == 0 {
            vec![
                (fmt_clock(l.at), th.get(S::Muted)),
                (format!(" {who:<10} "), style),
                (format!("{:+.2}", l.sentiment), sentiment_style(th, l.sentiment)),
                (" ".to_string(), Style::default()),
            ]
        } else {
            vec![(" ".repeat(prefix_w), Style::default())]
        };
        spans.extend(chunk);
        out.push(to_line(spans));
    }
    out
}

type Line_ = crate::model::Line;

/// The right-hand panel of a wide Call view: participants with times, rule hits, the call's alerts and tickets.
/// Suggestion cards a call view lists (the newest when there are more).
const SUGGESTIONS_SHOWN: usize = 3;

/// The call's suggestion cards: used (✓ and when) or not yet, kind, title and body in the call's language.
fn suggestions(app: &App, c: &Call, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let w = area.width as usize;
    let used = c.suggestions.iter().filter(|s| s.used.is_some()).count();
    let mut lines =
        vec![Line::styled(format!(" suggestions: {} · {used} used", c.suggestions.len()), th.get(S::Title))];
    let skip = c.suggestions.len().saturating_sub(SUGGESTIONS_SHOWN);
    for s in c.suggestions.iter().skip(skip) {
        let card = app.floor().card(&s.card);
        let (kind, text) = match card {
            Some(k) => (k.kind.as_str(), format!("{} — {}", k.text(c.lang).title, k.text(c.lang).body)),
            None => ("card", s.card.clone()),
        };
        let mark = match s.used {
            Some(at) => Span::styled(format!(" ✓ used {} ", fmt_clock(at)), th.get(S::SentPositive)),
            None => Span::styled(" · not used yet ", th.get(S::Muted)),
        };
        lines.push(fit_line(
            Line::from(vec![
                mark,
                Span::styled(format!("{kind} "), th.get(S::Hint)),
                Span::raw(text),
                Span::styled(format!(" (\"{}\")", s.word), th.get(S::RuleHit)),
            ]),
            w,
        ));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn details(app: &App, c: &Call, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let f = app.floor();
    let now = f.time();
    let w = area.width.saturating_sub(2) as usize;
    let head = |s: &str| Line::styled(s.to_string(), th.get(S::Title));
    let mut lines = vec![head("Caller")];
    lines.push(Line::raw(format!(" {} · {} · {}", c.caller, c.lang.as_str(), c.intent)));
    if let Some(d) = c.dialect.as_deref() {
        let elderly = if c.elderly { " · 老 elderly caller" } else { "" };
        lines.push(Line::styled(format!(" dialect: {}{elderly}", f.dialect_name(d)), th.get(S::Hint)));
    } else if c.elderly {
        lines.push(Line::styled(" 老 elderly caller", th.get(S::Hint)));
    }
    lines.push(Line::raw(format!(" arrived {} · priority {}", fmt_clock(c.arrived), c.priority)));
    if !c.earlier.is_empty() {
        lines.push(Line::styled(format!(" earlier: {}", super::util::earlier_text(f, &c.earlier)), th.get(S::Hint)));
    }
    if let Some(v) = c.verification {
        lines.push(Line::raw(format!(" identity: {}", v.describe())));
    }
    if let Some(k) = &c.confirmation {
        let who = k.by.as_deref().map(|b| format!(" by {b}")).unwrap_or_default();
        let note = k.note.as_deref().map(|n| format!(": {}", app.masked(n))).unwrap_or_default();
        let style = match k.state {
            ConfirmationState::Pending => th.get(S::CallUrgent),
            ConfirmationState::Refused => th.get(S::CallRisk),
            ConfirmationState::Confirmed => th.get(S::Text),
        };
        lines.push(Line::styled(format!(" 2nd confirmation {}{who}{note}", k.state.as_str()), style));
    }
    if let Some(q) = c.queue.as_ref().and_then(|q| f.queue(q)) {
        lines.push(Line::raw(format!(" queue {} · target {:.0}% in {}s", q.id, q.sla.percent * 100.0, q.sla.seconds)));
    }
    if let Some(s) = &c.student {
        lines.push(Line::default());
        lines.push(head("Student"));
        lines.push(Line::raw(format!(" {} · {} · {}", s.student, s.name, s.class)));
        lines.push(Line::raw(format!(" this caller: {}", s.role.as_str())));
        if s.others.is_empty() {
            lines.push(Line::styled(" no other recent calls", th.get(S::Muted)));
        }
        for o in super::util::student_others(s) {
            lines.push(Line::raw(format!(" {o}")));
        }
    }
    if let Some(cb) = c.callback_for {
        lines.push(Line::default());
        lines.push(head("Callback"));
        let tries = f.callbacks.iter().find(|x| x.call == cb).map_or(0, |x| x.attempts.len());
        lines.push(Line::raw(format!(" calling back {cb} · attempt {}", tries + 1)));
    }
    lines.push(Line::default());
    lines.push(head("Agent"));
    match c.agent.and_then(|a| f.agents.get(&a)) {
        Some(a) => {
            let since = (now - a.since).num_milliseconds() as f64 / 1000.0;
            let temp = a
                .temporary
                .as_ref()
                .map(|t| format!(" ⧗ {} until {}", t.origin.as_str(), fmt_clock(t.until)))
                .unwrap_or_default();
            lines.push(Line::from(vec![
                Span::raw(format!(" {} {}{temp} · ", a.id, a.name)),
                Span::styled(a.state.as_str(), super::util::agent_style(th, a.state)),
                Span::raw(format!(" {} · {} handled", fmt_dur(since), a.handled)),
            ]));
        }
        None => lines.push(Line::styled(" none yet", th.get(S::Muted))),
    }
    lines.push(Line::default());
    lines.push(head("Supervisors"));
    if c.supervisors.is_empty() {
        lines.push(Line::styled(" nobody is listening", th.get(S::Muted)));
    }
    for p in &c.supervisors {
        lines.push(Line::styled(
            format!(" {} {} since {}", p.supervisor, p.mode.as_str(), fmt_clock(p.since)),
            th.get(S::Supervisor),
        ));
    }
    lines.push(Line::default());
    lines.push(head("Rule hits"));
    if c.rule_hits.is_empty() {
        lines.push(Line::styled(" none", th.get(S::Muted)));
    }
    for h in &c.rule_hits {
        let acts: Vec<&str> = h.actions.iter().map(|a| a.as_str()).collect();
        lines.push(Line::from(vec![
            Span::styled(format!(" {} ", fmt_clock(h.at)), th.get(S::Muted)),
            Span::styled(h.word.clone(), th.get(S::RuleHit)),
            Span::raw(format!(" {} → {}", h.rule, acts.join(", "))),
        ]));
    }
    let id = c.id.to_string();
    let alerts: Vec<&Alert> = f.alerts.values().rev().filter(|a| a.subject == id).collect();
    let tickets: Vec<&Ticket> = f.tickets.values().filter(|t| t.call == Some(c.id)).collect();
    if !alerts.is_empty() {
        lines.push(Line::default());
        lines.push(head("Alerts"));
        for a in alerts {
            let style = if a.acked.is_some() { th.get(S::Muted) } else { super::util::severity_style(th, a.severity) };
            let ack = a.acked.as_ref().map(|k| format!(" ✓ {}", k.by)).unwrap_or_default();
            lines.push(Line::styled(format!(" {} {} {}{ack}", a.id, fmt_clock(a.raised), a.kind.as_str()), style));
        }
    }
    if !tickets.is_empty() {
        lines.push(Line::default());
        lines.push(head("Tickets"));
        for t in tickets {
            let left = (t.due - now).num_milliseconds() as f64 / 1000.0;
            let style = if left < 0.0 { th.get(S::TicketOverdue) } else { th.get(S::Text) };
            let status = t.status_label();
            let due = if left < 0.0 { format!("{} over", fmt_dur(-left)) } else { format!("due in {}", fmt_dur(left)) };
            lines.push(Line::styled(format!(" {} {status} {due}", t.id), style));
        }
    }
    let lines: Vec<Line> = lines.into_iter().map(|l| fit_line(l, w)).collect();
    let block = Block::bordered().border_style(th.get(S::Border)).title(Line::styled(" details ", th.get(S::Title)));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn gone(app: &App, id: CallId, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let summary = app.floor().recent.iter().rev().find(|s| s.id == id);
    let text = match summary {
        Some(s) => format!(
            " {id} {} at {} · queue {} · agent {} · sentiment {:+.2}",
            s.state.as_str(),
            fmt_clock(s.ended),
            s.queue.as_ref().map(|q| q.as_str()).unwrap_or("—"),
            s.agent.map(|a| a.to_string()).unwrap_or_else(|| "—".into()),
            s.sentiment
        ),
        None => format!(" {id} is not on this floor"),
    };
    let q = Query::Call { call: id };
    let why = if app.fetching(&q) {
        " reading its record from the engine's database… · esc goes back".to_string()
    } else if let Some(reason) = app.unavailable.get(&q) {
        format!(" no record to show: {reason} · esc goes back")
    } else {
        " its record is no longer kept by this console · esc goes back".to_string()
    };
    let lines = vec![Line::styled(text, th.get(S::Title)), Line::styled(why, th.get(S::Muted))];
    frame.render_widget(Paragraph::new(lines), area);
}
