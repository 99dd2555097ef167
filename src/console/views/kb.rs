//! The `:kb` overlay: the hits of a knowledge-base search (id, date, title, a snippet with the matches marked), or
//! the clause opened with Enter.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::centered;
use super::util::{fit, fit_line};
use crate::console::app::App;
use crate::console::kb::KbOverlay;
use crate::console::theme::S;
use crate::kb::Hit;

pub fn render(app: &App, kb: &KbOverlay, frame: &mut Frame, body: Rect) {
    let t = &app.theme;
    let w = if body.width > 104 { 100 } else { body.width };
    let a = centered(body, w, body.height);
    let inner_h = a.height.saturating_sub(2) as usize;
    let inner_w = a.width.saturating_sub(2) as usize;
    let (title, lines, hint) = match &kb.open {
        Some(c) => {
            let mut lines = vec![
                Line::styled(format!("{} · {} · {}", c.id, c.date, c.lang.as_str()), t.get(S::Muted)),
                Line::styled(c.title.clone(), t.get(S::Title)),
                Line::default(),
                Line::raw(c.text.clone()),
            ];
            if !c.tags.is_empty() {
                lines.push(Line::default());
                lines.push(Line::styled(format!("tags: {}", c.tags.join(", ")), t.get(S::Muted)));
            }
            let lines: Vec<Line> = lines.into_iter().skip(kb.scroll).collect();
            (format!(" {} ", c.id), lines, " j/k scroll · esc back to the hits ")
        }
        None => {
            let mut lines = Vec::new();
            if !kb.search.all_terms && !kb.search.hits.is_empty() {
                lines.push(Line::styled("no clause has every word: clauses with some of them", t.get(S::Muted)));
            }
            if kb.search.hits.is_empty() {
                lines.push(Line::styled(format!("no clause matches '{}'", kb.query), t.get(S::Muted)));
            }
            // Two lines a hit; keep the selected one in view.
            let per = 2;
            let room = (inner_h.saturating_sub(lines.len()) / per).max(1);
            let first = kb.sel.saturating_sub(room - 1);
            for (i, h) in kb.search.hits.iter().enumerate().skip(first).take(room) {
                lines.extend(hit_lines(app, h, i == kb.sel, inner_w));
            }
            let title = format!(
                " Knowledge: {} · '{}' · {} of {} ",
                kb.title,
                kb.search.terms.join(" "),
                kb.search.hits.len(),
                kb.search.total
            );
            (title, lines, " j/k move · enter opens · esc closes ")
        }
    };
    let block = Block::bordered()
        .border_style(t.get(S::Hint))
        .title(Line::styled(fit(&title, inner_w), t.get(S::Title)))
        .title_bottom(Line::styled(hint, t.get(S::Muted)));
    frame.render_widget(Clear, a);
    let para = Paragraph::new(lines).block(block).style(t.get(S::Dialog));
    let para = if kb.open.is_some() { para.wrap(Wrap { trim: false }) } else { para };
    frame.render_widget(para, a);
}

/// A hit as two lines: id, date and title; then the snippet with its matches styled as rule hits.
fn hit_lines(app: &App, h: &Hit, selected: bool, width: usize) -> [Line<'static>; 2] {
    let t = &app.theme;
    let head_style = if selected { t.get(S::Selected) } else { t.get(S::Text) };
    let marker = if selected { "▶ " } else { "  " };
    let head = Line::styled(fit(&format!("{marker}{}  {}  {}", h.id, h.date, h.title), width), head_style);
    let mut spans = vec![Span::raw("    ")];
    let chars: Vec<char> = h.snippet.chars().collect();
    let mut pos = 0;
    // Marks come over the wire: each is clamped to the snippet and to what is left of it, so a bad one cannot panic.
    for m in &h.marks {
        let start = m.start.clamp(pos, chars.len());
        let end = m.end.clamp(start, chars.len());
        if start > pos {
            spans.push(Span::styled(chars[pos..start].iter().collect::<String>(), t.get(S::Muted)));
        }
        spans.push(Span::styled(chars[start..end].iter().collect::<String>(), t.get(S::RuleHit)));
        pos = end;
    }
    if pos < chars.len() {
        spans.push(Span::styled(chars[pos..].iter().collect::<String>(), t.get(S::Muted)));
    }
    let body = fit_line(Line::from(spans), width.saturating_sub(1));
    [head, body]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::app::AppOptions;
    use crate::kb::Mark;

    /// A hit's marks come from the engine: marks past the snippet's end, backwards or overlapping draw what they
    /// can instead of panicking, and the line never outgrows its width.
    #[test]
    fn marks_from_the_wire_that_do_not_fit_the_snippet_are_clamped() {
        let app = App::new(AppOptions::default());
        let bad = [Mark { start: 3, end: 1 }, Mark { start: 2, end: 9 }, Mark { start: 40, end: 50 }];
        let hit = Hit {
            id: "GH-1".into(),
            date: chrono::NaiveDate::default(),
            title: "t".into(),
            lang: crate::model::Lang::Zh,
            snippet: "医保报销比例调整".into(),
            marks: bad.to_vec(),
            score: 1.0,
            band: 0,
        };
        let [_, body] = hit_lines(&app, &hit, false, 12);
        let text: String = body.spans.iter().map(|s| s.content.as_ref()).collect();
        assert!(text.starts_with("    医"), "{text:?}");
        assert!(body.width() <= 11, "{text:?} is {} wide", body.width());
    }
}
