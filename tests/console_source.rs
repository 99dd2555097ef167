//! The PBX source's health in the console (issue 10): a header segment on a PBX-fed floor, a stale banner while the
//! link is down (styled as the engine connection's stale banner), a line for skipped events; nothing on a simulated
//! floor. Snapshots at 80x24 in `snapshots/`, colours checked cell by cell, and the mono (NO_COLOR) theme.

mod console_support;

use callfloor::client::{ConnState, Update};
use callfloor::console::app::App;
use callfloor::console::theme::{S, Theme};
use callfloor::model::*;
use console_support::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::{Color, Style};

fn at(h: u32, m: u32, s: u32) -> Time {
    use chrono::TimeZone;
    chrono::Utc.with_ymd_and_hms(2026, 1, 5, h, m, s).single().unwrap_or_default()
}

fn up() -> SourceStatus {
    SourceStatus {
        kind: "ami".into(),
        target: "10.0.0.5:5038".into(),
        connected: true,
        since: Some(at(7, 58, 12)),
        reconnects: 0,
        frames: 48_213,
        unknown: 0,
        malformed: 0,
        out_of_order: 0,
        error: None,
    }
}

fn down() -> SourceStatus {
    SourceStatus {
        connected: false,
        since: Some(at(8, 1, 2)),
        reconnects: 2,
        unknown: 3,
        out_of_order: 1,
        error: Some("connection refused".into()),
        ..up()
    }
}

/// The fixed hospital floor, with the engine's metrics saying `source`.
fn with_source(source: Option<SourceStatus>) -> App {
    let mut feed = feed();
    let mut app = attach(&mut feed);
    let Update::Metrics(mut m) = feed.metrics() else { panic!("the feed's metrics are a metrics update") };
    m.source = source;
    app.apply_update(Update::Metrics(m));
    app.message_ttl = 0;
    app
}

fn screen(app: &App, w: u16) -> (Terminal<TestBackend>, Vec<String>) {
    let t = draw(app, w, 24);
    let rows = rows(&t);
    (t, rows)
}

/// The style of the cell where `needle` starts on the first row holding it.
fn style_at(t: &Terminal<TestBackend>, needle: &str) -> Style {
    let buf = t.backend().buffer();
    let first = needle.chars().next().map(String::from).unwrap_or_default();
    let width = buf.area.width;
    for y in 0..buf.area.height {
        for x in 0..width {
            if buf[(x, y)].symbol() != first {
                continue;
            }
            // The needle's characters in the cells from here (wide characters leave an empty cell after them).
            let rest: String = (x..width).map(|x| buf[(x, y)].symbol()).collect::<Vec<_>>().concat();
            if rest.starts_with(needle) {
                return buf[(x, y)].style();
            }
        }
    }
    panic!("{needle:?} is not on the screen:\n{}", t.backend());
}

/// Colours and modifiers, as a theme style sets them (a drawn cell also carries an underline colour).
fn look(s: Style) -> (Option<Color>, Option<Color>, ratatui::style::Modifier) {
    (s.fg, s.bg, s.add_modifier)
}

#[test]
fn a_simulated_floor_shows_no_source() {
    let app = with_source(None);
    let (_, rows) = screen(&app, 80);
    assert!(!rows.iter().any(|r| r.contains("ami") || r.contains("PBX")), "{rows:#?}");
}

#[test]
fn a_healthy_pbx_link_is_a_header_segment_only() {
    let plain = with_source(None);
    let app = with_source(Some(up()));
    let (_, sim_rows) = screen(&plain, 80);
    let (t, rows) = screen(&app, 80);
    assert!(rows[0].contains("⇄ ami"), "the header names the source: {}", rows[0]);
    assert!(rows.iter().skip(1).all(|r| !r.contains("PBX")), "no banner for a healthy link");
    assert_eq!(rows[2..], sim_rows[2..], "the body keeps every row");
    assert_eq!(style_at(&t, "⇄ ami").fg, Some(Color::LightGreen), "styled as a live connection");
    // Wide enough, the header also says which PBX.
    let (_, wide) = screen(&app, 160);
    assert!(wide[0].contains("⇄ ami 10.0.0.5:5038"), "{}", wide[0]);
    snapshot_settings().bind(|| insta::assert_snapshot!("source_up_80x24", draw(&app, 80, 24).backend()));
}

#[test]
fn a_link_that_skipped_events_says_how_many_in_a_quiet_line() {
    let app = with_source(Some(SourceStatus { unknown: 12, malformed: 1, ..up() }));
    let (t, rows) = screen(&app, 80);
    assert_eq!(rows[2].trim_end(), " ⇄ PBX ami 10.0.0.5:5038 connected · 12 unknown, 1 malformed events skipped");
    assert_eq!(style_at(&t, "⇄ PBX").fg, app.theme.get(S::Muted).fg);
    // A refused action is said too.
    let refused = with_source(Some(SourceStatus { error: Some("Interface not found".into()), ..up() }));
    let (_, rows) = screen(&refused, 160);
    assert!(rows[2].contains("connected · PBX said: Interface not found"), "{}", rows[2]);
}

#[test]
fn a_pbx_link_that_is_down_marks_the_floor_stale_as_a_lost_engine_does() {
    let mut app = with_source(Some(down()));
    let (t, rows) = screen(&app, 160);
    assert_eq!(
        rows[2].trim_end(),
        " ⚠ PBX link down since 08:01:02 — floor stale (ami 10.0.0.5:5038: connection refused) · 2 reconnects · \
         3 unknown, 1 out of order events skipped"
    );
    assert!(rows[0].contains("✗ ami"), "{}", rows[0]);
    let stale = style_at(&t, "⚠ PBX link down");
    assert_eq!(look(stale), look(app.theme.get(S::Stale)), "the engine's stale styling");
    // On the header's band, as the engine connection's own state is.
    let (cross, conn) = (style_at(&t, "✗ ami"), app.theme.get(S::ConnDown));
    assert_eq!((cross.fg, cross.add_modifier), (conn.fg, conn.add_modifier));
    // The engine connection's own stale banner has the same style.
    app.apply_update(Update::Connection(ConnState::Connecting { attempt: 2 }));
    let (t2, _) = screen(&app, 160);
    assert_eq!(style_at(&t2, "⚠ STALE"), stale);
    app.apply_update(Update::Connection(ConnState::Connected));
    snapshot_settings().bind(|| insta::assert_snapshot!("source_down_80x24", draw(&app, 80, 24).backend()));

    // NO_COLOR: the same words, no colour, and the band still stands out.
    app.theme = Theme::builtin("mono");
    let (t, mono_rows) = screen(&app, 80);
    let (_, colour_rows) = {
        let mut coloured = with_source(Some(down()));
        coloured.theme = Theme::builtin("default");
        screen(&coloured, 80)
    };
    assert_eq!(mono_rows, colour_rows, "the text does not depend on colour");
    let band = style_at(&t, "⚠ PBX link down");
    assert!(band.fg.is_none_or(|c| c == Color::Reset) && band.bg.is_none_or(|c| c == Color::Reset));
    assert_eq!(band.add_modifier, app.theme.get(S::Stale).add_modifier, "mono's stale style (reversed) marks it");
    assert!(band.add_modifier.contains(ratatui::style::Modifier::REVERSED));
}
