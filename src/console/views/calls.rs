//! The Calls view: live calls, sortable by any column, filterable by typed text, pausable.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row};

use super::util::{fit, fmt_dur, mode_letter, sentiment_span};
use crate::console::app::App;
use crate::console::lists::{Column, ListKind, call_wait};
use crate::console::theme::S;
use crate::model::*;

/// Draws the view into `area`.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let f = app.floor();
    let l = &app.lists[ListKind::Calls];
    let live = f.calls.len();
    // The title counts the rows: live calls, and apart from them the calls that ended since the list last settled
    // (once a second), which keep their row until then. Calls that arrived meanwhile join then; a filtered or
    // paused list also says how many calls the floor has.
    let ended = l.rows.iter().filter(|r| r.call().is_some_and(|c| !f.calls.contains_key(&c))).count();
    let listed_live = l.rows.len() - ended;
    let mut of = if l.filter.is_empty() && !l.paused {
        format!("{listed_live} live")
    } else {
        format!("{listed_live} of {live} live")
    };
    if ended > 0 {
        of.push_str(&format!(" (+{ended} ended)"));
    }
    let title = format!(" Calls {of}{} ", super::list_note(app, ListKind::Calls));
    let block = Block::bordered().border_style(th.get(S::Border)).title(Line::styled(title, th.get(S::Title)));
    let wide = area.width >= 120;
    super::list_table(frame, area, app, ListKind::Calls, block, "no live calls", |id, cols| {
        let Some(call) = id.call() else { return Row::default() };
        match f.calls.get(&call) {
            Some(c) => Row::new(cols.iter().map(|col| Cell::from(cell(app, c, col, wide))).collect::<Vec<_>>()),
            // A call that left keeps its row, whole, until the list settles (within a second) or, in a paused
            // list, until it is resumed. Its state says how it ended, muted; a paused list mutes the whole row,
            // which may stay a while. (Muting every cell of a row that leaves within a second would rewrite it on
            // the terminal for nothing.) Only text is muted, never the row: blank cells look the same either way.
            None => match app.call_record(call) {
                Some(c) => Row::new(
                    cols.iter()
                        .map(|col| {
                            let text = cell(app, c, col, wide);
                            Cell::from(if l.paused || col.key == "state" {
                                muted(text, th.get(S::Muted))
                            } else {
                                text
                            })
                        })
                        .collect::<Vec<_>>(),
                ),
                None => ended_row(app, call),
            },
        }
    });
}

/// Text styled `style` over its own styles (its blank cells keep the table's).
fn muted(line: Line<'static>, style: Style) -> Line<'static> {
    Line::from(line.spans.into_iter().map(|s| Span::styled(s.content, s.style.patch(style))).collect::<Vec<_>>())
}

/// One cell's text, styled by spans only (no line or cell style), so a row's blank cells always keep the table's
/// style.
fn cell(app: &App, c: &Call, col: &Column, wide: bool) -> Line<'static> {
    let th = &app.theme;
    let f = app.floor();
    // Times as of the list's last settle (once a second), like its order.
    let now = app.list_now;
    match col.key {
        "call" => {
            let style = if c.flags.urgent { th.get(S::CallUrgent) } else { th.get(S::Text) };
            Line::from(Span::styled(c.id.to_string(), style))
        }
        "queue" => Line::from(fit(c.queue.as_ref().map(|q| q.as_str()).unwrap_or("—"), 12)),
        "state" => Line::from(c.state.as_str()),
        "wait" => {
            let wait = call_wait(c, now);
            let waiting = c.answered.is_none() && matches!(c.state, CallState::Queued | CallState::Ringing);
            let over = c
                .queue
                .as_ref()
                .and_then(|q| f.queue(q))
                .is_some_and(|q| waiting && wait.unwrap_or(0.0) > q.sla.seconds as f64);
            let style = if over { th.get(S::QueueWarn) } else { th.get(S::Text) };
            Line::from(Span::styled(wait.map(fmt_dur).unwrap_or_default(), style))
        }
        "talk" => Line::from(if c.answered.is_some() { fmt_dur(c.talk_secs(now)) } else { String::new() }),
        "agent" => {
            let mark = c.agent.and_then(|a| f.agents.get(&a)).filter(|a| a.temporary.is_some()).map_or("", |_| "⧗");
            Line::from(format!("{}{mark}", c.agent.map(|a| a.to_string()).unwrap_or_default()))
        }
        // The caller's current emotion, as a word, takes the bar's place: `-0.62 angry` (`anx.`, `conf.` when narrow).
        "sentiment" => Line::from(if c.sentiment_trail.is_empty() {
            Span::styled("  —", th.get(S::Muted))
        } else {
            match c.emotion() {
                Some(e) => Span::styled(
                    format!("{:+.2} {}", c.sentiment, if wide { e.adjective() } else { e.short() }),
                    th.get(S::SentNegative),
                ),
                None => sentiment_span(th, c.sentiment, if wide { 5 } else { 4 }),
            }
        }),
        "flags" => {
            let mut flags = Vec::new();
            if c.flags.urgent {
                flags.push(Span::styled("U", th.get(S::CallUrgent)));
            }
            if c.flags.risk {
                flags.push(Span::styled("R", th.get(S::CallRisk)));
            }
            // Waiting for a second confirmation (?), or refused (✗).
            match c.confirmation.as_ref().map(|k| k.state) {
                Some(ConfirmationState::Pending) => flags.push(Span::styled("?", th.get(S::CallUrgent))),
                Some(ConfirmationState::Refused) => flags.push(Span::styled("✗", th.get(S::CallRisk))),
                _ => {}
            }
            if !c.earlier.calls.is_empty() {
                flags.push(Span::styled(format!("↻{}", c.earlier.calls.len()), th.get(S::Muted)));
            }
            for p in &c.supervisors {
                flags.push(Span::styled(mode_letter(p.mode), th.get(S::Supervisor)));
            }
            // A caller who is a contact of a student on record (others called about them too: bold).
            if let Some(s) = &c.student {
                let style = if s.others.is_empty() { th.get(S::Hint) } else { th.get(S::Title) };
                flags.push(Span::styled("S", style));
            }
            // The caller's orders: `O` found (warning colour when one is refunding, returned or cancelled), `o` still
            // looking up (muted) or the lookup failed (warning colour).
            match &c.orders {
                Some(CallOrders::Found { orders, .. }) if !orders.is_empty() => {
                    let warn = orders.iter().any(Order::needs_attention);
                    flags.push(Span::styled("O", if warn { th.get(S::SevWarning) } else { th.get(S::Hint) }));
                }
                Some(CallOrders::Pending { .. }) => flags.push(Span::styled("o", th.get(S::Muted))),
                Some(CallOrders::Failed { .. }) => flags.push(Span::styled("o", th.get(S::SevWarning))),
                _ => {}
            }
            // An outbound call, calling an abandoned caller back.
            if c.callback_for.is_some() {
                flags.push(Span::styled("↩", th.get(S::Hint)));
            }
            // A card was suggested: `c` until the agent uses one, then `C`.
            if !c.suggestions.is_empty() {
                flags.push(if c.suggestions.iter().any(|s| s.used.is_some()) {
                    Span::styled("C", th.get(S::SentPositive))
                } else {
                    Span::styled("c", th.get(S::Muted))
                });
            }
            Line::from(flags)
        }
        "id" => Line::from(verification_span(app, c.verification)),
        "pri" => Line::from(c.priority.to_string()),
        "lang" => Line::from(c.lang.as_str()),
        "caller" => Line::from(fit(&c.caller, 15)),
        // The dialect and age marks lead the intent, so no column moves on a floor without dialects.
        "intent" => {
            let tag = super::util::dialect_tag(f, c);
            let text = if tag.is_empty() { c.intent.clone() } else { format!("{tag} {}", c.intent) };
            Line::from(if wide { fit(&text, 18) } else { text })
        }
        "supervisors" => {
            let sups: Vec<String> =
                c.supervisors.iter().map(|p| format!("{} ({})", p.supervisor, p.mode.as_str())).collect();
            Line::from(Span::styled(sups.join(", "), th.get(S::Supervisor)))
        }
        _ => Line::default(),
    }
}

/// The row of a call that left while the list was paused and whose record is gone: its id and how it ended.
fn ended_row(app: &App, id: CallId) -> Row<'static> {
    let th = &app.theme;
    let summary = app.floor().recent.iter().rev().find(|s| s.id == id);
    let queue = summary.and_then(|s| s.queue.as_ref()).map(|q| q.as_str().to_string()).unwrap_or_default();
    let state = summary.map(|s| s.state.as_str()).unwrap_or("ended");
    let agent = summary.and_then(|s| s.agent).map(|a| a.to_string()).unwrap_or_default();
    let muted = th.get(S::Muted);
    let cells = [id.to_string(), fit(&queue, 12), state.to_string(), String::new(), String::new(), agent];
    Row::new(cells.map(|t| Cell::from(Span::styled(t, muted))))
}

/// A call's identity check in five columns: `otp`, `voice`, `unver`, `FAIL`; blank on floors that do not verify.
pub(super) fn verification_span(app: &App, v: Option<Verification>) -> Span<'static> {
    let th = &app.theme;
    match v {
        None => Span::raw(""),
        Some(Verification::Otp) => Span::styled("otp", th.get(S::Text)),
        Some(Verification::Voiceprint) => Span::styled("voice", th.get(S::Text)),
        Some(Verification::Unverified) => Span::styled("unver", th.get(S::QueueWarn)),
        Some(Verification::Failed) => Span::styled("FAIL", th.get(S::CallRisk)),
    }
}
