//! Shared helpers for the console tests: a fixed seeded floor, an App attached to it, keys, drawing.
#![allow(dead_code)]

use std::time::Duration;

use callfloor::client::{Outgoing, Update};
use callfloor::console::app::{App, AppOptions};
use callfloor::console::keymap::Key;
use callfloor::console::local::LocalFeed;
use callfloor::console::render;
use callfloor::engine::Engine;
use callfloor::engine::sim::scenario::Scenario;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// Floor-minutes the fixed floor runs before the console attaches.
pub const WARM_MINUTES: i64 = 20;

/// The hospital scenario, seed 7, run for `minutes` floor-minutes.
pub fn hospital(minutes: i64) -> Engine {
    let scenario = Scenario::load("hospital");
    let Ok(scenario) = scenario else { panic!("the bundled hospital scenario must load") };
    let mut engine = Engine::new(scenario, 7);
    let to = engine.now() + chrono::Duration::minutes(minutes);
    engine.advance_to(to);
    engine.discard_outbox();
    engine
}

/// A local feed over the fixed floor.
pub fn feed() -> LocalFeed {
    LocalFeed::new(hospital(WARM_MINUTES))
}

/// An App with the default theme and keymap, attached to `feed` (welcome, snapshot, metrics), data 2 s old.
pub fn attach(feed: &mut LocalFeed) -> App {
    let mut app = App::new(AppOptions::default());
    for u in feed.hello() {
        app.apply(u);
    }
    app.data_age = Duration::from_secs(2);
    app
}

/// Presses one key, named as in keymap files (`b`, `enter`, `ctrl-c`).
pub fn press(app: &mut App, key: &str) -> Vec<Outgoing> {
    let k = Key::parse(key);
    let Ok(k) = k else { panic!("bad key name in a test: {key}") };
    app.on_key(k.to_event())
}

/// Presses keys in turn; returns everything they sent.
pub fn keys(app: &mut App, names: &[&str]) -> Vec<Outgoing> {
    names.iter().flat_map(|k| press(app, k)).collect()
}

/// Types text into whatever has the keyboard.
pub fn type_text(app: &mut App, text: &str) -> Vec<Outgoing> {
    text.chars().flat_map(|c| app.on_key(Key::char(c).to_event())).collect()
}

/// Sends each command to the feed and gives the App what comes back (events, then ack or error).
pub fn deliver(app: &mut App, feed: &mut LocalFeed, out: Vec<Outgoing>) -> Vec<Update> {
    let mut all = Vec::new();
    for o in out {
        for u in feed.handle(&o) {
            all.push(u.clone());
            app.apply(u);
        }
    }
    all
}

/// Draws the App into a test terminal of `w` x `h`.
pub fn draw(app: &App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap_or_else(|e| match e {});
    let drawn = t.draw(|f| render(app, f));
    assert!(drawn.is_ok(), "drawing into a test terminal cannot fail");
    t
}

/// insta settings: every console snapshot lives in the top-level `snapshots/` directory, named without the
/// module path.
pub fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../snapshots");
    s.set_prepend_module_to_snapshot(false);
    s
}
