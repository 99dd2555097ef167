//! Every console view drawn from a fixed seeded floor, at 80x24 (the SSH minimum) and 160x48, as insta
//! snapshots in `snapshots/`; and the colours text snapshots cannot show, checked cell by cell.

mod console_support;

use callfloor::client::{ConnState, Update};
use callfloor::console::app::{App, View};
use callfloor::console::theme::Theme;
use callfloor::model::*;
use console_support::*;
use ratatui::style::{Color, Modifier};

/// The App every snapshot starts from: the hospital floor after 20 floor-minutes, with a barge, an ack and a
/// refused command already in the audit log.
fn fixed() -> App {
    let mut feed = callfloor::console::local::LocalFeed::new(hospital(WARM_MINUTES - 3));
    let mut app = attach(&mut feed);
    // Watch three floor-minutes, in 10-second batches, so the console has counted arrivals itself.
    for _ in 0..18 {
        if let Some(u) = feed.step(chrono::Duration::seconds(10)) {
            app.apply(u);
        }
    }
    // Barge into the urgent connected call, ack its alert, and try something the engine refuses.
    let out = app.run_command_line("barge C-1122");
    deliver(&mut app, &mut feed, out);
    let out = app.run_command_line("ack AL-15");
    deliver(&mut app, &mut feed, out);
    let out = app.run_command_line("barge C-1080");
    deliver(&mut app, &mut feed, out);
    app.toasts.clear();
    press(&mut app, "1");
    app
}

fn shot(app: &App, w: u16, h: u16) -> String {
    draw(app, w, h).backend().to_string()
}

fn snap_all_sizes(name: &str, app: &App) {
    let settings = snapshot_settings();
    settings.bind(|| {
        insta::assert_snapshot!(format!("{name}_80x24"), shot(app, 80, 24));
        insta::assert_snapshot!(format!("{name}_160x48"), shot(app, 160, 48));
    });
}

#[test]
fn floor_view() {
    let mut app = fixed();
    app.show_hint = true;
    snap_all_sizes("floor", &app);
}

#[test]
fn calls_view() {
    let mut app = fixed();
    press(&mut app, "2");
    snap_all_sizes("calls", &app);
}

#[test]
fn calls_view_filtered_and_sorted_by_priority() {
    let mut app = fixed();
    keys(&mut app, &["2", "P", "/"]);
    type_text(&mut app, "emergency");
    press(&mut app, "enter");
    assert_eq!(app.calls_filter, "emergency");
    assert!(!app.calls.is_empty(), "the fixed floor has emergency calls");
    snap_all_sizes("calls_filtered", &app);
}

#[test]
fn call_view() {
    let mut app = fixed();
    let out = app.run_command_line("call C-1122");
    assert!(out.is_empty());
    assert_eq!(app.view, View::Call);
    snap_all_sizes("call", &app);
}

#[test]
fn agents_view() {
    let mut app = fixed();
    press(&mut app, "3");
    snap_all_sizes("agents", &app);
}

#[test]
fn alerts_view() {
    let mut app = fixed();
    press(&mut app, "4");
    snap_all_sizes("alerts", &app);
}

#[test]
fn tickets_view() {
    let mut app = fixed();
    press(&mut app, "5");
    snap_all_sizes("tickets", &app);
}

#[test]
fn callbacks_view() {
    let mut app = fixed();
    press(&mut app, "6");
    snap_all_sizes("callbacks", &app);
}

#[test]
fn audit_view() {
    let mut app = fixed();
    press(&mut app, "7");
    snap_all_sizes("audit", &app);
}

#[test]
fn help_view() {
    let mut app = fixed();
    keys(&mut app, &["2", "?"]);
    assert!(app.help);
    snap_all_sizes("help_calls", &app);
}

#[test]
fn dialogs_and_lines() {
    let settings = snapshot_settings();
    settings.bind(|| {
        let mut app = fixed();
        keys(&mut app, &["3", "r"]);
        insta::assert_snapshot!("reassign_dialog_80x24", shot(&app, 80, 24));

        let mut app = fixed();
        press(&mut app, ":");
        type_text(&mut app, "barge C-11");
        press(&mut app, "tab");
        insta::assert_snapshot!("command_line_completion_80x24", shot(&app, 80, 24));

        let mut app = fixed();
        let _ = app.run_command_line("call C-1122");
        press(&mut app, "i");
        type_text(&mut app, "I'm the duty supervisor, help is coming");
        insta::assert_snapshot!("say_line_80x24", shot(&app, 80, 24));
    });
}

#[test]
fn honest_state_when_disconnected_and_too_small() {
    let settings = snapshot_settings();
    settings.bind(|| {
        let mut app = fixed();
        app.apply(Update::Connection(ConnState::Disconnected { reason: "connection reset".into(), retry_in_ms: 2000 }));
        app.data_age = std::time::Duration::from_secs(14);
        let text = shot(&app, 80, 24);
        assert!(text.contains("STALE"), "a disconnected console says its data is stale:\n{text}");
        assert!(text.contains("14s old"), "and how old it is:\n{text}");
        insta::assert_snapshot!("disconnected_80x24", text);

        let text = shot(&app, 79, 23);
        assert!(text.contains("Terminal too small"), "{text}");
        insta::assert_snapshot!("too_small_79x23", text);
    });
}

// ----- colours (text snapshots do not show them) -----

/// The style of the first cell on the screen that starts `needle` in a row containing `row_has`.
fn style_of(app: &App, w: u16, h: u16, row_has: &str, needle: &str) -> ratatui::style::Style {
    let t = draw(app, w, h);
    let buf = t.backend().buffer();
    for y in 0..h {
        let row: String = (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect();
        if !row.contains(row_has) {
            continue;
        }
        let Some(byte) = row.find(needle) else { continue };
        let x = row[..byte].chars().count() as u16;
        return buf[(x, y)].style();
    }
    panic!("no row with {row_has:?} and {needle:?} on the screen");
}

#[test]
fn alert_severities_have_their_colours() {
    let mut app = fixed();
    press(&mut app, "4");
    let crit = style_of(&app, 160, 48, "AL-17", "CRIT");
    assert_eq!(crit.fg, Some(Color::LightRed), "critical alerts are red");
    assert!(crit.add_modifier.contains(Modifier::BOLD));
    let warn = style_of(&app, 160, 48, "AL-14", "WARN");
    assert_eq!(warn.fg, Some(Color::Yellow), "warnings are yellow");
    // An acknowledged alert is dimmed, whatever its severity.
    let acked = style_of(&app, 160, 48, "AL-15", "CRIT");
    assert_eq!(acked.fg, Some(Color::DarkGray));
    // The banner on every view is the urgent style.
    press(&mut app, "1");
    let banner = style_of(&app, 80, 24, "▲", "▲");
    assert_eq!((banner.fg, banner.bg), (Some(Color::White), Some(Color::Red)));
}

#[test]
fn sentiment_and_overdue_tickets_are_red() {
    let mut app = fixed();
    let now = app.floor.time();
    let call = CallId(1089);
    let ticket = TicketId(900);
    let events = vec![
        Event {
            at: now,
            kind: EventKind::Utterance {
                call,
                speaker: Speaker::Caller,
                text: "this is terrible".into(),
                sentiment: -0.9,
                whisper: false,
            },
        },
        Event {
            at: now,
            kind: EventKind::TicketOpened {
                ticket: Ticket {
                    id: ticket,
                    call: Some(call),
                    category: "complaint".into(),
                    priority: TicketPriority::High,
                    status: TicketStatus::Open,
                    level: 0,
                    summary: "late on purpose".into(),
                    opened: now - chrono::Duration::hours(2),
                    due: now - chrono::Duration::minutes(5),
                    notes: Vec::new(),
                    history: Vec::new(),
                },
            },
        },
    ];
    app.apply(Update::Events { from_seq: app.floor.seq, events });
    keys(&mut app, &["2", "S"]);
    let shown = app.floor.calls.get(&call).map(|c| format!("{:+.2}", c.sentiment)).unwrap_or_default();
    assert!(shown.starts_with('-'), "the caller's rolling sentiment went negative: {shown}");
    let s = style_of(&app, 80, 24, "C-1089", &shown);
    assert_eq!(s.fg, Some(Color::LightRed), "negative sentiment is red");
    press(&mut app, "5");
    let due = style_of(&app, 80, 24, "T-900", "5:00 over");
    assert_eq!(due.fg, Some(Color::LightRed), "an overdue ticket's countdown is red");
    assert!(due.add_modifier.contains(Modifier::BOLD));
}

#[test]
fn a_queue_in_breach_has_a_red_tile_and_mono_uses_no_colour() {
    let mut app = fixed();
    let mut m = FloorMetrics { at: app.floor.now, window_s: 900, ..Default::default() };
    m.queues.push(QueueMetrics {
        queue: QueueId::from("emergency"),
        service_level: Some(0.5),
        sl_target: 0.9,
        sl_seconds: 10,
        ..Default::default()
    });
    app.apply(Update::Metrics(Box::new(m)));
    let sl = style_of(&app, 80, 24, "SL  50%", "50%");
    assert_eq!(sl.fg, Some(Color::LightRed), "SL under target is red");
    let border = style_of(&app, 80, 24, "emergency", "┌");
    assert_eq!(border.fg, Some(Color::LightRed), "and so is the tile's border");

    app.theme = Theme::builtin("mono");
    let t = draw(&app, 160, 48);
    let coloured = t.backend().buffer().content.iter().any(|c| {
        let s = c.style();
        !matches!(s.fg, None | Some(Color::Reset)) || !matches!(s.bg, None | Some(Color::Reset))
    });
    assert!(!coloured, "the mono theme (NO_COLOR) draws no colour at all");
    let sl = style_of(&app, 80, 24, "SL  50%", "50%");
    assert!(sl.add_modifier.contains(Modifier::REVERSED), "mono shows a breach by reversing it");
}
