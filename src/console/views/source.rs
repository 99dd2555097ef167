//! The PBX source's health (`source` in the engine's metrics, on a floor fed by a PBX): a segment in the header, and
//! a banner line while the link is down (stale, styled as the engine connection's stale banner) or while the bridge
//! has skipped events.

use ratatui::text::{Line, Span};

use super::util::{fit, fmt_clock};
use crate::console::app::App;
use crate::console::theme::S;
use crate::model::SourceStatus;
use crate::model::terminal::acts_on_terminal;

/// Text from the PBX side without the characters a terminal would act on.
fn clean(s: &str) -> String {
    s.chars().filter(|c| !acts_on_terminal(*c)).collect()
}

/// The header segment: `⇄ ami 10.0.0.5:5038` while connected (`⇄ ami` when `long` is false), `✗ ami` while down.
pub fn header_span(app: &App, long: bool) -> Option<Span<'static>> {
    let s = app.source()?;
    let t = &app.theme;
    let kind = clean(&s.kind);
    Some(if !s.connected {
        Span::styled(format!("✗ {kind}  "), t.get(S::ConnDown))
    } else if long {
        Span::styled(format!("⇄ {kind} {}  ", clean(&s.target)), t.get(S::ConnOk))
    } else {
        Span::styled(format!("⇄ {kind}  "), t.get(S::ConnOk))
    })
}

/// `3 unknown, 1 malformed, 2 out of order events skipped`, or nothing when the bridge skipped nothing.
fn skipped(s: &SourceStatus) -> Option<String> {
    let parts: Vec<String> = [(s.unknown, "unknown"), (s.malformed, "malformed"), (s.out_of_order, "out of order")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
    (!parts.is_empty()).then(|| format!("{} events skipped", parts.join(", ")))
}

/// The banner line: the link is down (the floor is stale), or it is up and the bridge skipped events or the PBX
/// refused an action. None for a healthy link, or on a simulated floor.
pub fn banner(app: &App, width: usize) -> Option<Line<'static>> {
    let s = app.source()?;
    let t = &app.theme;
    let target = format!("{} {}", clean(&s.kind), clean(&s.target));
    let mut text = if s.connected {
        format!(" ⇄ PBX {target} connected")
    } else {
        let since = s.since.map(|at| format!(" since {}", fmt_clock(at))).unwrap_or_default();
        let why = s.error.as_deref().map(|e| format!(": {}", clean(e))).unwrap_or_default();
        format!(" ⚠ PBX link down{since} — floor stale ({target}{why})")
    };
    if s.reconnects > 0 {
        let plural = if s.reconnects == 1 { "" } else { "s" };
        text.push_str(&format!(" · {} reconnect{plural}", s.reconnects));
    }
    let skipped = skipped(s);
    if let Some(k) = &skipped {
        text.push_str(&format!(" · {k}"));
    }
    if s.connected {
        if let Some(e) = &s.error {
            text.push_str(&format!(" · PBX said: {}", clean(e)));
        } else if skipped.is_none() {
            return None;
        }
        return Some(Line::styled(fit(&text, width), t.get(S::Muted)));
    }
    Some(Line::styled(fit(&text, width), t.get(S::Stale)))
}
