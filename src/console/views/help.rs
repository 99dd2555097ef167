//! The Help overlay, generated from the active keymap so it is always true.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::centered;
use crate::console::app::{App, View};
use crate::console::command_line::{VERBS, Verb};
use crate::console::keymap::Context;
use crate::console::theme::S;
use crate::model::Role;

/// The help text for the current view, one line per entry. What our role cannot do is greyed and says which role
/// can, as the status line leaves it out.
pub fn lines(app: &App) -> Vec<Line<'static>> {
    let th = &app.theme;
    let km = &app.keymap;
    let ctx = app.view.context();
    let mut out = Vec::new();
    let greyed = |need: Option<Role>| need.filter(|_| !app.has_role(need));
    let role = app.mirror.role.map(|r| format!("the {r} role")).unwrap_or_else(|| "no role yet".into());
    let any_greyed = km.bindings(ctx).iter().chain(km.bindings(Context::Global)).any(|(_, a)| !app.may(*a))
        || VERBS.iter().any(|v| greyed(v.required_role()).is_some());
    if any_greyed {
        out.push(Line::styled(format!("Greyed: needs the role in brackets (you have {role})"), th.get(S::Muted)));
        out.push(Line::default());
    }
    let section = |title: String, ctx: Context, out: &mut Vec<Line<'static>>| {
        let b = km.bindings(ctx);
        if b.is_empty() {
            return;
        }
        out.push(Line::styled(title, th.get(S::Title)));
        for (k, a) in b {
            // A view binding hides the global one for the same key.
            if ctx == Context::Global && km.lookup(app.view.context(), *k) != Some(*a) {
                continue;
            }
            let line = match greyed(a.required_role()) {
                None => Line::from(vec![
                    Span::styled(format!("  {:<10}", k.to_string()), th.get(S::Hint)),
                    Span::raw(a.describe()),
                    Span::styled(format!("  ({})", a.name()), th.get(S::Muted)),
                ]),
                Some(need) => Line::styled(
                    format!("  {:<10}{}  ({}; {need})", k.to_string(), a.describe(), a.name()),
                    th.get(S::Muted),
                ),
            };
            out.push(line);
        }
        out.push(Line::default());
    };
    if ctx != Context::Global {
        section(format!("{} view", app.view.title()), ctx, &mut out);
    }
    section("Everywhere".to_string(), Context::Global, &mut out);
    if matches!(app.view, View::Calls | View::Call) {
        out.push(Line::styled("Flags", th.get(S::Title)));
        out.push(Line::raw("  U urgent · R risk · M W B a supervisor monitors (silent) / whispers / barged in"));
        out.push(Line::raw(
            "  S a contact of a student on record · ↩ calling an abandoned caller back · A-07⧗ a temporary seat",
        ));
        // Only on floors whose callers speak dialects, before the intent: the caller's dialect and age.
        if let Some(d) = app.floor().dialects.first() {
            out.push(Line::raw(format!(
                "  [{}] the caller's dialect · 老 an elderly caller (/{} or /老 filters them)",
                d.name, d.name
            )));
        }
        out.push(Line::raw("  O the caller's orders are shown · o looking them up, or the lookup failed"));
        out.push(Line::default());
    }
    out.push(Line::styled("Command line (:, tab completes, tab again cycles, up/down recall)", th.get(S::Title)));
    let usage = |v: &Verb| if v.args.is_empty() { v.name.to_string() } else { format!("{} {}", v.name, v.args) };
    let width = VERBS.iter().map(|v| usage(v).chars().count()).max().unwrap_or(0);
    for v in VERBS {
        if let Some(need) = greyed(v.required_role()) {
            out.push(Line::styled(format!("  :{:<width$}  {} ({need})", usage(v), v.doc), th.get(S::Muted)));
            continue;
        }
        let mut spans = vec![Span::styled(format!("  :{:<width$}  ", usage(v)), th.get(S::Hint)), Span::raw(v.doc)];
        if !v.aliases.is_empty() {
            let also: Vec<String> = v.aliases.iter().map(|a| format!(":{a}")).collect();
            spans.push(Span::styled(format!("   also {}", also.join(" ")), th.get(S::Muted)));
        }
        out.push(Line::from(spans));
    }
    out.push(Line::default());
    out.push(Line::styled(
        "Dialogs: j/k or arrows move · space toggles · enter confirms · esc cancels",
        th.get(S::Muted),
    ));
    out.push(Line::styled(format!("keymap {} · theme {}", km.name, th.name), th.get(S::Muted)));
    out
}

/// Draws the view into `area`.
pub fn render(app: &App, frame: &mut Frame, body: Rect) {
    let th = &app.theme;
    let all = lines(app);
    let w = if body.width > 94 { 90 } else { body.width };
    // Full width covers the view's borders, so take its full height too (else its bottom border shows twice);
    // narrower, leave the view's bottom border showing under the box.
    let h = if w >= body.width { body.height } else { body.height.saturating_sub(1) };
    let a = centered(body, w, h);
    let inner_h = a.height.saturating_sub(2) as usize;
    let max_scroll = all.len().saturating_sub(inner_h);
    let scroll = app.help_scroll.min(max_scroll);
    let shown: Vec<Line> = all.into_iter().skip(scroll).take(inner_h).collect();
    let more = if max_scroll > scroll { " ↓ more (j) " } else { "" };
    let block = Block::bordered()
        .border_style(th.get(S::Hint))
        .title(Line::styled(" Help: keys from the active keymap ", th.get(S::Title)))
        .title_bottom(Line::styled(format!(" ? or esc closes{more}"), th.get(S::Muted)));
    frame.render_widget(Clear, a);
    frame.render_widget(Paragraph::new(shown).block(block).style(th.get(S::Dialog)), a);
}
