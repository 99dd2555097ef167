//! What the console writes to the terminal, read back through a terminal emulator (vt100): every frame shows
//! exactly as drawn when lines are moved with scrolling regions instead of rewritten, and the Calls view at the
//! e-commerce sale peak stays within its byte budget (issue 7: ≤ 8 KB/s at 200x50, 20x).

mod console_support;

use std::cell::RefCell;
use std::io::Write;
use std::num::NonZeroU16;
use std::rc::Rc;
use std::time::Duration;

use callfloor::console::ScrollingBackend;
use callfloor::console::render;
use callfloor::engine::Engine;
use callfloor::engine::sim::scenario::Scenario;
use callfloor::local::LocalFeed;
use console_support::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use ratatui::backend::{Backend, ClearType, CrosstermBackend, TestBackend};
use ratatui::buffer::{Buffer, Cell};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::{Frame, Terminal, TerminalOptions, Viewport};

/// Where a test terminal's bytes go: kept for the emulator, and counted.
#[derive(Clone, Default)]
struct Sink(Rc<RefCell<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A terminal of `w` x `h` whose output an emulator reads.
struct Screen<B: Backend> {
    terminal: Terminal<B>,
    sink: Sink,
    vt: vt100::Parser,
    bytes: usize,
    /// Everything written so far.
    written: Vec<u8>,
}

fn emulator(w: u16, h: u16) -> vt100::Parser {
    let (Some(rows), Some(cols)) = (NonZeroU16::new(h), NonZeroU16::new(w)) else { panic!("a terminal has a size") };
    vt100::Parser::new(rows, cols, 0)
}

fn fixed(w: u16, h: u16) -> TerminalOptions {
    TerminalOptions { viewport: Viewport::Fixed(Rect::new(0, 0, w, h)) }
}

impl Screen<ScrollingBackend<Sink>> {
    fn moving(w: u16, h: u16) -> Self {
        let sink = Sink::default();
        let backend = ScrollingBackend::new(CrosstermBackend::new(sink.clone()));
        let Ok(terminal) = Terminal::with_options(backend, fixed(w, h)) else { panic!("a test terminal") };
        Screen { terminal, sink, vt: emulator(w, h), bytes: 0, written: Vec::new() }
    }
}

impl Screen<CrosstermBackend<Sink>> {
    fn plain(w: u16, h: u16) -> Self {
        let sink = Sink::default();
        let Ok(terminal) = Terminal::with_options(CrosstermBackend::new(sink.clone()), fixed(w, h)) else {
            panic!("a test terminal")
        };
        Screen { terminal, sink, vt: emulator(w, h), bytes: 0, written: Vec::new() }
    }
}

impl<B: Backend> Screen<B>
where
    B::Error: std::fmt::Debug,
{
    /// Draws a frame, feeds what was written to the emulator, and returns the frame as drawn.
    fn draw(&mut self, f: impl FnOnce(&mut Frame)) -> Buffer {
        let drawn = match self.terminal.draw(f) {
            Ok(done) => done.buffer.clone(),
            Err(e) => panic!("drawing: {e:?}"),
        };
        let out = std::mem::take(&mut *self.sink.0.borrow_mut());
        self.bytes += out.len();
        self.vt.process(&out);
        self.written.extend_from_slice(&out);
        drawn
    }

    fn assert_shows(&self, want: &Buffer, what: &str) {
        assert_shows(&self.vt, want, what);
    }
}

/// Panics unless the emulator's screen looks like `want` in every cell.
fn assert_shows(vt: &vt100::Parser, want: &Buffer, what: &str) {
    let screen = vt.screen();
    for y in 0..want.area.height {
        for x in 0..want.area.width {
            let Some(got) = screen.cell(y, x) else { panic!("{what}: the emulator has no cell {x},{y}") };
            if got.is_wide_continuation() {
                continue;
            }
            let cell = &want[(x, y)];
            assert!(looks_same(cell, got), "{what}: cell {x},{y} should be {cell:?}, the terminal shows {got:?}");
        }
    }
}

/// Ratatui's colour as the emulator reports it after crossterm wrote it.
fn vt_colour(c: Color) -> vt100::Color {
    let named = [
        Color::Black,
        Color::Red,
        Color::Green,
        Color::Yellow,
        Color::Blue,
        Color::Magenta,
        Color::Cyan,
        Color::Gray,
        Color::DarkGray,
        Color::LightRed,
        Color::LightGreen,
        Color::LightYellow,
        Color::LightBlue,
        Color::LightMagenta,
        Color::LightCyan,
        Color::White,
    ];
    match c {
        Color::Reset => vt100::Color::Default,
        Color::Rgb(r, g, b) => vt100::Color::Rgb(r, g, b),
        Color::Indexed(i) => vt100::Color::Idx(i),
        other => match named.iter().position(|n| *n == other) {
            Some(i) => vt100::Color::Idx(i as u8),
            None => panic!("a colour the test does not know: {other:?}"),
        },
    }
}

/// Whether the terminal's cell looks like ratatui's: the same text and colours, or both empty-looking (a space
/// on the default background shows the same whatever its foreground).
fn looks_same(want: &Cell, got: &vt100::Cell) -> bool {
    let shows_on_blank = Modifier::REVERSED | Modifier::UNDERLINED | Modifier::CROSSED_OUT;
    let want_blank = want.symbol() == " " && want.bg == Color::Reset && !want.modifier.intersects(shows_on_blank);
    let text = if got.contents().is_empty() { " " } else { got.contents() };
    let got_blank = text == " " && got.bgcolor() == vt100::Color::Default && !got.inverse() && !got.underline();
    if want_blank || got_blank {
        return want_blank && got_blank;
    }
    text == want.symbol()
        && got.fgcolor() == vt_colour(want.fg)
        && got.bgcolor() == vt_colour(want.bg)
        && got.inverse() == want.modifier.contains(Modifier::REVERSED)
        && got.bold() == want.modifier.contains(Modifier::BOLD)
        && got.underline() == want.modifier.contains(Modifier::UNDERLINED)
        && got.italic() == want.modifier.contains(Modifier::ITALIC)
}

/// A list screen as a test draws it: a header with a counter, rows (some coloured, some with wide characters),
/// one of them highlighted across the whole width, and a status line.
struct List {
    rows: Vec<(u32, String)>,
    selected: usize,
    tick: u32,
    next: u32,
}

impl List {
    fn draw(&self, f: &mut Frame) {
        let area = f.area();
        let buf = f.buffer_mut();
        buf.set_string(0, 0, format!("header · tick {}", self.tick), Style::default().fg(Color::White));
        for (i, (id, text)) in self.rows.iter().take(area.height as usize - 2).enumerate() {
            let y = i as u16 + 1;
            let colour = [Color::Gray, Color::Red, Color::Rgb(80, 250, 123), Color::Indexed(141)][*id as usize % 4];
            buf.set_string(0, y, "│", Style::default().fg(Color::DarkGray));
            buf.set_string(1, y, format!("C-{id:04}"), Style::default().fg(colour));
            buf.set_string(9, y, text, Style::default().fg(Color::Gray));
            buf.set_string(40, y, format!("{}:{:02}", (self.tick + id) / 60, (self.tick + id) % 60), Style::default());
            buf.set_string(area.width - 1, y, "│", Style::default().fg(Color::DarkGray));
            if i == self.selected {
                buf.set_style(Rect::new(1, y, area.width - 2, 1), Style::default().add_modifier(Modifier::REVERSED));
            }
        }
        buf.set_string(0, area.height - 1, format!("{} rows", self.rows.len()), Style::default().fg(Color::Yellow));
    }

    fn row(&mut self, rng: &mut ChaCha8Rng) -> (u32, String) {
        self.next += 1;
        let words = ["orders", "payments", "退货 退款", "escalations", "优惠券", "returns"];
        let text = format!("{} {}", words[rng.random_range(0..words.len())], rng.random_range(0..1000));
        (self.next, text)
    }

    /// One second of a busy list: rows leave and arrive anywhere, some change, the selection may move.
    fn step(&mut self, rng: &mut ChaCha8Rng) {
        self.tick += 1;
        for _ in 0..rng.random_range(0..4) {
            if !self.rows.is_empty() {
                let at = rng.random_range(0..self.rows.len());
                self.rows.remove(at);
            }
        }
        for _ in 0..rng.random_range(0..4) {
            let at = rng.random_range(0..=self.rows.len());
            let row = self.row(rng);
            self.rows.insert(at, row);
        }
        if rng.random_bool(0.3) && !self.rows.is_empty() {
            let at = rng.random_range(0..self.rows.len());
            self.rows[at].1.push('!');
        }
        if rng.random_bool(0.2) {
            self.selected = rng.random_range(0..30);
        }
    }
}

#[test]
fn moved_lines_show_every_frame_exactly_as_drawn_and_write_less() {
    let (w, h) = (100, 40);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut list = List { rows: Vec::new(), selected: 3, tick: 0, next: 0 };
    for _ in 0..60 {
        let row = list.row(&mut rng);
        list.rows.push(row);
    }
    let mut moving = Screen::moving(w, h);
    let mut plain = Screen::plain(w, h);
    for frame in 0..300 {
        list.step(&mut rng);
        let want = plain.draw(|f| list.draw(f));
        plain.assert_shows(&want, &format!("frame {frame}, plain"));
        let want = moving.draw(|f| list.draw(f));
        moving.assert_shows(&want, &format!("frame {frame}, lines moved"));
    }
    println!("a busy list, 300 frames: {} bytes moving lines, {} rewriting them", moving.bytes, plain.bytes);
    assert!(
        moving.bytes * 2 < plain.bytes,
        "moving lines writes {} bytes where rewriting them writes {}",
        moving.bytes,
        plain.bytes
    );
}

#[test]
fn after_a_clear_the_next_frame_is_drawn_whole_and_lines_move_right_again() {
    let area = Rect::new(0, 0, 60, 20);
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut list = List { rows: Vec::new(), selected: 0, tick: 0, next: 0 };
    for _ in 0..30 {
        let row = list.row(&mut rng);
        list.rows.push(row);
    }
    let frame = |list: &List| {
        let mut t = Terminal::with_options(TestBackend::new(area.width, area.height), fixed(area.width, area.height))
            .unwrap_or_else(|e| match e {});
        match t.draw(|f| list.draw(f)) {
            Ok(done) => done.buffer.clone(),
            Err(e) => match e {},
        }
    };
    let sink = Sink::default();
    let mut backend = ScrollingBackend::new(CrosstermBackend::new(sink.clone()));
    let mut vt = emulator(area.width, area.height);
    let mut shown = Buffer::empty(area);
    for n in 0..40 {
        list.step(&mut rng);
        let next = frame(&list);
        // What a terminal does after ctrl-z and on a resize: clear the screen and draw the next frame whole (its
        // diff from an empty buffer), as ratatui's Terminal does.
        if n % 10 == 5 {
            if let Err(e) = backend.clear_region(ClearType::All) {
                panic!("clearing: {e}");
            }
            shown = Buffer::empty(area);
        }
        if let Err(e) = backend.draw(shown.diff(&next).into_iter()) {
            panic!("drawing: {e}");
        }
        vt.process(&std::mem::take(&mut *sink.0.borrow_mut()));
        assert_shows(&vt, &next, &format!("frame {n}"));
        shown = next;
    }
}

/// The bench's setup (`cargo bench --bench console`): the e-commerce sale, 32 floor-minutes in (the peak), the
/// console at 10 frames a second with the floor at 20x.
#[test]
fn the_calls_view_at_the_sale_peak_writes_at_most_8_kb_a_second_and_shows_every_frame_right() {
    const FPS: u64 = 10;
    const SECONDS: u64 = 20;
    let (w, h) = (200, 50);
    let Ok(scenario) = Scenario::load("ecommerce-promo") else { panic!("the bundled ecommerce-promo scenario") };
    let mut feed = LocalFeed::new(Engine::new(scenario, 7));
    feed.warm_up(chrono::Duration::minutes(32));
    let mut app = attach(&mut feed);
    app.size = (w, h);
    press(&mut app, "2");
    let mut moving = Screen::moving(w, h);
    let mut plain = Screen::plain(w, h);
    moving.draw(|f| render(&app, f));
    plain.draw(|f| render(&app, f));
    let (first_moving, first_plain) = (moving.bytes, plain.bytes);
    for frame in 0..FPS * SECONDS {
        if let Some(u) = feed.step(chrono::Duration::milliseconds(1000 * 20 / FPS as i64)) {
            app.apply_update(u);
        }
        if frame % FPS == 0 {
            app.apply_update(feed.metrics());
            app.tick();
            app.data_age = Duration::from_millis(100);
        }
        let want = moving.draw(|f| render(&app, f));
        moving.assert_shows(&want, &format!("frame {frame}"));
        plain.draw(|f| render(&app, f));
    }
    let per_s = |bytes: usize, first: usize| (bytes - first) as f64 / SECONDS as f64 / 1024.0;
    let (kb, plain_kb) = (per_s(moving.bytes, first_moving), per_s(plain.bytes, first_plain));
    println!(
        "the Calls view at the sale peak, 200x50, 20x: {kb:.1} KB/s moving lines, {plain_kb:.1} KB/s rewriting them"
    );
    assert!(kb <= 8.0, "the Calls view writes {kb:.1} KB/s (rewriting lines: {plain_kb:.1} KB/s); the budget is 8");
    // The saving depends on how many rows leave at once (about a fifth at this peak); that it saves is the point.
    assert!(kb < plain_kb, "moving lines writes {kb:.1} KB/s, rewriting them {plain_kb:.1} KB/s");
}

#[test]
fn the_console_never_writes_what_a_caller_typed_as_controls_to_the_terminal() {
    // A C1 CSI (clear the screen, then red), DEL, a right-to-left override, an isolate and a plain escape.
    let hostile = "refund \u{9b}2J\u{9b}31mnow\u{7f} \u{202e}dlrow\u{202c} \u{2067}x\u{2069} \u{1b}[5m!";
    let mut feed = feed();
    let mut app = attach(&mut feed);
    let call = connected_call(app.floor());
    let at = app.floor().time();
    let said = callfloor::model::EventKind::Utterance {
        call,
        speaker: callfloor::model::Speaker::Caller,
        text: hostile.into(),
        sentiment: -0.5,
        emotion: None,
        whisper: false,
        by: Some(hostile.into()),
    };
    app.apply_update(callfloor::client::Update::Events {
        from_seq: app.floor().seq,
        events: vec![callfloor::model::Event { at, kind: said }],
    });
    let _ = app.run_command_line(&format!("call {call}"));
    let mut screen = Screen::moving(120, 40);
    let want = screen.draw(|f| render(&app, f));
    screen.assert_shows(&want, "the call page");
    let text: String = (0..want.area.height)
        .flat_map(|y| (0..want.area.width).map(move |x| (x, y)))
        .map(|p| want[p].symbol().to_string())
        .collect();
    assert!(text.contains("dlrow"), "the line is on the page: {text}");
    // What went to the terminal: ratatui's own escape sequences, and none of the caller's.
    let written = String::from_utf8_lossy(&screen.written).to_string();
    let bad =
        written.chars().find(|c| matches!(c, '\u{7f}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'));
    assert_eq!(bad, None, "a control or bidi override reached the terminal");
    assert!(
        !written.contains("\u{1b}[5m") && !written.contains("\u{1b}[2J"),
        "the caller's escape reached the terminal"
    );
}

/// A console started from a script or a pipe (no terminal) says so in one sentence and writes nothing to its
/// output, not even the escape sequence that would restore a terminal it never took over.
#[test]
fn a_console_without_a_terminal_says_so_and_leaves_its_output_clean() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_callfloor"))
        .args(["console", "--url", "ws://127.0.0.1:9", "--token", "t"])
        .stdin(std::process::Stdio::null())
        .output();
    let Ok(out) = out else { panic!("run callfloor console") };
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(out.stdout.is_empty(), "stdout: {:?}", String::from_utf8_lossy(&out.stdout));
    assert!(err.contains("needs an interactive terminal") && err.lines().count() == 1, "{err}");
}
