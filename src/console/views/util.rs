//! Small formatting helpers shared by the views.

use std::time::Duration;

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::console::theme::{S, Theme};
use crate::model::*;

/// `HH:MM:SS` of a floor time.
pub fn fmt_clock(t: Time) -> String {
    t.format("%H:%M:%S").to_string()
}

/// `m:ss`, or `h:mm:ss` past an hour; negative durations get a `-`.
pub fn fmt_dur(secs: f64) -> String {
    let neg = secs < 0.0;
    let s = secs.abs().round() as u64;
    let body = if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    };
    if neg { format!("-{body}") } else { body }
}

/// Wall-time data age: `0s`, `12s`, `3m`, `2h`.
pub fn fmt_age(d: Duration) -> String {
    let s = d.as_secs();
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m", s / 60)
    } else {
        format!("{}h", s / 3600)
    }
}

/// Fraction as a percentage, or `—`.
pub fn pct(v: Option<f64>) -> String {
    v.map(|v| format!("{:.0}%", v * 100.0)).unwrap_or_else(|| "—".into())
}

/// Seconds as `12s` / `3:10`, or `—`.
pub fn secs(v: Option<f64>) -> String {
    match v {
        Some(s) if s < 100.0 => format!("{s:.0}s"),
        Some(s) => fmt_dur(s),
        None => "—".into(),
    }
}

/// Cuts `s` to at most `width` display columns, with `…` when cut.
pub fn fit(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > width - 1 {
            break;
        }
        w += cw;
        out.push(c);
    }
    out.push('…');
    out
}

/// The theme style for a sentiment value.
pub fn sentiment_style(theme: &Theme, s: f32) -> Style {
    if s <= -0.25 {
        theme.get(S::SentNegative)
    } else if s >= 0.25 {
        theme.get(S::SentPositive)
    } else {
        theme.get(S::SentNeutral)
    }
}

/// `-0.42 ██··`: the value and a bar of `bar` cells, coloured by sign.
pub fn sentiment_span(theme: &Theme, s: f32, bar: usize) -> Span<'static> {
    let n = ((s.abs() * bar as f32).round() as usize).min(bar);
    let text =
        if bar == 0 { format!("{s:+.2}") } else { format!("{s:+.2} {}{}", "█".repeat(n), "·".repeat(bar - n)) };
    Span::styled(text, sentiment_style(theme, s))
}

/// The style of an agent state.
pub fn agent_style(theme: &Theme, s: AgentState) -> Style {
    theme.get(match s {
        AgentState::Available => S::AgentAvailable,
        AgentState::Ringing => S::AgentRinging,
        AgentState::OnCall => S::AgentOnCall,
        AgentState::WrapUp => S::AgentWrapUp,
        AgentState::Break => S::AgentBreak,
        AgentState::Offline => S::AgentOffline,
    })
}

/// The style of an alert severity.
pub fn severity_style(theme: &Theme, s: Severity) -> Style {
    theme.get(match s {
        Severity::Info => S::SevInfo,
        Severity::Warning => S::SevWarning,
        Severity::Critical => S::SevCritical,
    })
}

/// An alert's message, led by its subject unless the message already names it.
pub fn alert_text(a: &Alert) -> String {
    if a.message.contains(&a.subject) { a.message.clone() } else { format!("{}: {}", a.subject, a.message) }
}

/// Four letters for a severity column.
pub fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Warning => "WARN",
        Severity::Critical => "CRIT",
    }
}

/// The flag letter of a supervisor mode: M, W, B.
pub fn mode_letter(m: SupervisorMode) -> &'static str {
    match m {
        SupervisorMode::Monitor => "M",
        SupervisorMode::Whisper => "W",
        SupervisorMode::Barge => "B",
    }
}

/// Wraps styled text into lines of at most `width` columns, breaking at spaces where it can (and anywhere in
/// text without spaces, such as Chinese).
pub fn wrap_spans(spans: &[(String, Style)], width: usize) -> Vec<Vec<(String, Style)>> {
    let width = width.max(1);
    // Words: runs ending after a space, or single wide characters.
    let mut words: Vec<Vec<(String, Style)>> = Vec::new();
    let mut cur: Vec<(String, Style)> = Vec::new();
    let push_char = |cur: &mut Vec<(String, Style)>, c: char, st: Style| match cur.last_mut() {
        Some((s, cs)) if *cs == st => s.push(c),
        _ => cur.push((c.to_string(), st)),
    };
    for (text, st) in spans {
        for c in text.chars() {
            let wide = c.width().unwrap_or(0) > 1;
            if wide && !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            push_char(&mut cur, c, *st);
            if c == ' ' || wide {
                words.push(std::mem::take(&mut cur));
            }
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    let wlen = |w: &Vec<(String, Style)>| w.iter().map(|(s, _)| s.width()).sum::<usize>();
    let mut lines: Vec<Vec<(String, Style)>> = Vec::new();
    let mut line: Vec<(String, Style)> = Vec::new();
    let mut used = 0;
    for word in words {
        let ww = wlen(&word);
        if used + ww > width && used > 0 {
            lines.push(std::mem::take(&mut line));
            used = 0;
        }
        if ww > width {
            // A word longer than the line: break it anywhere.
            for (s, st) in word {
                for c in s.chars() {
                    let cw = c.width().unwrap_or(0);
                    if used + cw > width {
                        lines.push(std::mem::take(&mut line));
                        used = 0;
                    }
                    push_char(&mut line, c, st);
                    used += cw;
                }
            }
            continue;
        }
        for (s, st) in word {
            match line.last_mut() {
                Some((ls, lst)) if *lst == st => ls.push_str(&s),
                _ => line.push((s, st)),
            }
        }
        used += ww;
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// A line from (text, style) pieces.
pub fn to_line(pieces: Vec<(String, Style)>) -> Line<'static> {
    Line::from(pieces.into_iter().map(|(s, st)| Span::styled(s, st)).collect::<Vec<_>>())
}

/// A caller's earlier contacts as the call and ticket pages show them: `C-1012 (abandoned 09:14), T-7 (open)`.
/// Tickets still on the floor show their status now; the caller's number never appears (links are by id).
pub fn earlier_text(floor: &crate::model::Floor, earlier: &crate::model::CallerHistory) -> String {
    let calls = earlier.calls.iter().rev().map(|c| format!("{} ({} {})", c.call, c.outcome.as_str(), fmt_clock(c.at)));
    let tickets = earlier.tickets.iter().rev().map(|t| match floor.tickets.get(t) {
        Some(x) => format!("{t} ({})", x.status_label()),
        None => t.to_string(),
    });
    calls.chain(tickets).collect::<Vec<_>>().join(", ")
}

/// A temporary seat's mark, as every view shows it: `⧗pt` (part-time) or `⧗out` (outsourced); empty for others.
pub fn temp_mark(a: &Agent) -> String {
    a.temporary.as_ref().map(|t| format!("⧗{}", t.origin.short())).unwrap_or_default()
}

/// A student link in a few words: `王小明 (Grade 7 · Class 2), parent calling`.
pub fn student_text(s: &StudentLink) -> String {
    format!("{} ({}), {} calling", s.name, s.class, s.role.as_str())
}

/// The other contacts' recent calls about a student, newest first: `C-1012 teacher 09:12 +86 137****5604` (the
/// number as the mirror holds it: masked below admin by the server).
pub fn student_others(s: &StudentLink) -> Vec<String> {
    s.others.iter().rev().map(|o| format!("{} {} {} {}", o.call, o.role.as_str(), fmt_clock(o.at), o.number)).collect()
}

/// A call's dialect and age marks, plain text so they read in 16 colours and under NO_COLOR: `[粤语]` for the
/// dialect (its floor name), `老` for an elderly caller, `[粤语]老` for both; empty for neither.
pub fn dialect_tag(f: &Floor, c: &Call) -> String {
    let mut s = c.dialect.as_deref().map(|d| format!("[{}]", f.dialect_name(d))).unwrap_or_default();
    if c.elderly {
        s.push('老');
    }
    s
}

/// The line cut to `width` columns, keeping each span's style and the line's own style and alignment.
pub fn fit_line(line: Line<'static>, width: usize) -> Line<'static> {
    let mut used = 0;
    let mut spans = Vec::new();
    let (style, alignment) = (line.style, line.alignment);
    for s in line.spans {
        let sw = s.width();
        if used + sw <= width {
            used += sw;
            spans.push(s);
        } else {
            let room = width.saturating_sub(used);
            if room > 0 {
                spans.push(Span::styled(fit(&s.content, room), s.style));
            }
            break;
        }
    }
    // Keep the line's own style (a severity, an overdue ticket) and alignment.
    let mut out = Line::from(spans).style(style);
    out.alignment = alignment;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_fitting() {
        assert_eq!(fmt_dur(75.0), "1:15");
        assert_eq!(fmt_dur(3725.0), "1:02:05");
        assert_eq!(fmt_dur(-30.0), "-0:30");
        assert_eq!(fit("hello world", 8), "hello w…");
        assert_eq!(fit("短い文字列です", 6), "短い…");
    }

    #[test]
    fn wrapping_keeps_width_and_text() {
        let st = Style::default();
        let lines = wrap_spans(&[("the quick brown fox jumps".to_string(), st)], 10);
        let texts: Vec<String> = lines.iter().map(|l| l.iter().map(|(s, _)| s.as_str()).collect()).collect();
        assert_eq!(texts, vec!["the quick ", "brown fox ", "jumps"]);
        let zh = wrap_spans(&[("我胸口很痛喘不过气".to_string(), st)], 6);
        assert!(zh.iter().all(|l| l.iter().map(|(s, _)| s.width()).sum::<usize>() <= 6));
        assert_eq!(zh.len(), 3);
    }
}
