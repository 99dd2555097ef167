//! The terminal and the event loop: terminal setup and restore (on quit, error and panic), keys and mouse read
//! on a thread, client updates forwarded from their channel, both merged into one loop that redraws only when
//! something changed and at most 20 times a second, each frame as one synchronized update. ctrl-z (on Unix)
//! hands the terminal back to the shell until `fg`.

mod scroll;
mod term;

pub use scroll::ScrollingBackend;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{self, Event, KeyEvent, KeyEventKind, MouseEvent, MouseEventKind};
use tokio::sync::mpsc::{Receiver, Sender, error::TrySendError};

use super::app::{App, AppOptions, Incoming};
use super::config::{UiFlags, UserConfig, default_log_path};
use super::keymap::Keymap;
use super::theme::{self, Theme};
use super::views;
use crate::client::{Outgoing, Update};

/// The console's terminal: crossterm on stdout, lines moved where that writes less.
type ConsoleTerminal = Terminal<ScrollingBackend<std::io::Stdout>>;

/// Shortest time between two frames (20 fps at most).
const FRAME: Duration = Duration::from_millis(50);
/// Redraw at least this often while data ages, so the header's data age and toasts stay true.
const TICK: Duration = Duration::from_secs(1);

/// How the console looks and behaves: resolved from flags, the config file and the environment.
#[derive(Debug, Clone)]
pub struct ConsoleOptions {
    pub theme: Theme,
    pub keymap: Keymap,
    /// Ring the terminal bell on new urgent alerts.
    pub bell: bool,
    /// Capture the mouse (click a tab or a row, scroll with the wheel).
    pub mouse: bool,
    /// Ask before risky commands.
    pub confirm: bool,
}

impl ConsoleOptions {
    /// Flags win over the config file; without either, `NO_COLOR` (set and not empty) picks the mono theme.
    pub fn resolve(flags: &UiFlags<'_>, config: &UserConfig) -> anyhow::Result<ConsoleOptions> {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let theme = theme::choose(flags.theme.or(config.theme.as_deref()), no_color)?;
        let keymap = Keymap::load(flags.keymap.or(config.keymap.as_deref()).unwrap_or("default"))?;
        let bell = !flags.no_bell && config.bell.unwrap_or(true);
        let mouse = !flags.no_mouse && config.mouse.unwrap_or(true);
        let confirm = !flags.no_confirm && config.confirm.unwrap_or(true);
        Ok(ConsoleOptions { theme, keymap, bell, mouse, confirm })
    }
}

impl Default for ConsoleOptions {
    fn default() -> Self {
        let o = AppOptions::default();
        ConsoleOptions { theme: o.theme, keymap: o.keymap, bell: o.bell, mouse: o.mouse, confirm: o.confirm }
    }
}

/// Sends log lines to a file (never to the screen): `path`, else `$XDG_STATE_HOME/callfloor/console.log`.
/// Returns the file used. Does nothing if a subscriber is already set.
pub fn init_logging(path: Option<&Path>) -> anyhow::Result<Option<PathBuf>> {
    let Some(path) = path.map(Path::to_path_buf).or_else(default_log_path) else { return Ok(None) };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating the log directory {}", dir.display()))?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("opening the log file {}", path.display()))?;
    let filter = tracing_subscriber::EnvFilter::try_from_env("CALLFLOOR_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init();
    Ok(Some(path))
}

enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    Redraw,
    Update(Update),
    UpdatesClosed,
    InputFailed(String),
}

/// Restores the terminal when dropped, so every way out of [`run`] (quit, error, panic unwinding) restores it.
struct Restore;

/// Set by the panic hook: some thread of the console panicked, so the loop ends instead of drawing into a
/// terminal the hook has already restored.
static PANICKED: AtomicBool = AtomicBool::new(false);

/// On top of ratatui's hook (restore the terminal, then the previous hook): log the panic, flag it, and turn mouse
/// reporting off before ratatui's restore runs.
fn install_panic_flag() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICKED.store(true, Ordering::SeqCst);
        tracing::error!("panic: {info}");
        let _ = term::release_mouse(&mut std::io::stdout());
        previous(info);
    }));
}

/// Wakes the event loop when a helper thread ends by panicking.
struct WakeOnPanic(std_mpsc::Sender<Msg>);

impl Drop for WakeOnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let _ = self.0.send(Msg::Redraw);
        }
    }
}

impl Drop for Restore {
    fn drop(&mut self) {
        term::restore();
    }
}

/// Runs the console until the user quits. **Blocking**: call it from a plain thread (the main thread, or
/// `tokio::task::spawn_blocking`), not from inside an async task; the client feeding `updates` may run on a
/// tokio runtime elsewhere. Takes over the terminal (raw mode, alternate screen) and restores it on quit, on
/// error and on panic (the panic hook restores, then chains to the previous hook). Mouse reporting, when on, is
/// turned off first on each of those ways out.
pub fn run(opts: ConsoleOptions, updates: Receiver<Update>, outgoing: Sender<Outgoing>) -> anyhow::Result<()> {
    let mut app = App::new(AppOptions {
        theme: opts.theme,
        keymap: opts.keymap,
        bell: opts.bell,
        mouse: opts.mouse,
        confirm: opts.confirm,
    });
    let (tx, rx) = std_mpsc::channel::<Msg>();
    let stop = Arc::new(AtomicBool::new(false));
    let gate = Arc::new(term::KeyGate::default());

    // Nothing is written to a stdout that is not a terminal (not even the escape that restores one): a console
    // started from a script or a pipe says why in one sentence and leaves its output clean.
    {
        use std::io::IsTerminal;
        if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
            anyhow::bail!(
                "the console needs an interactive terminal, and its input or output is not one; for scripts, use \
                 `callfloor tail`"
            );
        }
    }
    // The guard comes first: if setup fails half-way (raw mode on, alternate screen not), it still restores.
    let _restore = Restore;
    // ratatui's setup (raw mode, alternate screen, its restoring panic hook), then our terminal on it: one that
    // moves lines where that writes less (see `scroll`).
    drop(ratatui::try_init().context("setting up the terminal (is this an interactive terminal?)")?);
    let mut terminal = Terminal::new(ScrollingBackend::new(CrosstermBackend::new(std::io::stdout())))
        .context("setting up the terminal (is this an interactive terminal?)")?;
    install_panic_flag();
    if app.mouse {
        term::set_mouse(terminal.backend_mut(), true).context("turning on mouse reporting")?;
    }
    tracing::info!(mouse = app.mouse, "console started");

    // Keys, mouse and resizes, read on their own thread; it stops when the loop ends, and is joined before the
    // terminal is restored so it cannot swallow a keystroke meant for the shell. While the console is suspended
    // the gate keeps it off the terminal for the same reason.
    let keys = {
        let tx = tx.clone();
        let stop = stop.clone();
        let gate = gate.clone();
        std::thread::Builder::new()
            .name("callfloor-keys".into())
            .spawn(move || {
                let _wake = WakeOnPanic(tx.clone());
                while !stop.load(Ordering::Relaxed) {
                    let Some(_inside) = gate.enter() else { continue };
                    match event::poll(Duration::from_millis(200)) {
                        Ok(false) => continue,
                        Ok(true) => {}
                        Err(e) => {
                            let _ = tx.send(Msg::InputFailed(e.to_string()));
                            return;
                        }
                    }
                    let msg = match event::read() {
                        Ok(Event::Key(k)) if k.kind != KeyEventKind::Release => Msg::Key(k),
                        // Bare motion (no button held) asks nothing of the console; dropping it here saves frames.
                        Ok(Event::Mouse(m)) if m.kind != MouseEventKind::Moved => Msg::Mouse(m),
                        Ok(Event::Resize(w, h)) => Msg::Resize(w, h),
                        Ok(Event::FocusGained) => Msg::Redraw,
                        Ok(_) => continue,
                        Err(e) => Msg::InputFailed(e.to_string()),
                    };
                    if tx.send(msg).is_err() {
                        return;
                    }
                }
            })
            .context("starting the keyboard thread")?
    };
    // Client updates, forwarded into the same loop.
    {
        let tx = tx.clone();
        let mut updates = updates;
        std::thread::Builder::new()
            .name("callfloor-updates".into())
            .spawn(move || {
                let _wake = WakeOnPanic(tx.clone());
                while let Some(u) = updates.blocking_recv() {
                    if tx.send(Msg::Update(u)).is_err() {
                        return;
                    }
                }
                let _ = tx.send(Msg::UpdatesClosed);
            })
            .context("starting the update thread")?;
    }
    drop(tx);

    let result = event_loop(&mut app, &mut terminal, &rx, &outgoing, &gate);
    stop.store(true, Ordering::Relaxed);
    if keys.join().is_err() {
        tracing::warn!("the keyboard thread panicked");
    }
    tracing::info!("console stopped");
    result
}

fn event_loop(
    app: &mut App,
    terminal: &mut ConsoleTerminal,
    rx: &std_mpsc::Receiver<Msg>,
    outgoing: &Sender<Outgoing>,
    gate: &term::KeyGate,
) -> anyhow::Result<()> {
    // What the terminal was last told about the mouse; the App may change its mind at any message.
    let mut mouse_on = app.mouse;
    let started = Instant::now();
    let mut last_draw: Option<Instant> = None;
    let mut last_tick = started;
    let mut dirty = true;
    loop {
        if PANICKED.load(Ordering::SeqCst) {
            anyhow::bail!("a part of the console stopped unexpectedly; the log file has the details");
        }
        let now = Instant::now();
        app.now = now;
        if now.duration_since(last_tick) >= TICK {
            last_tick = now;
            app.tick();
            dirty = true;
        }
        if dirty && last_draw.is_none_or(|t| now.duration_since(t) >= FRAME) {
            // Data age counts from the last floor data the mirror took, not from connection news.
            app.data_age = app.mirror.data_age_at(now).unwrap_or_else(|| now.duration_since(started));
            if let Ok(size) = terminal.size() {
                app.size = (size.width, size.height);
            }
            term::draw_synced(terminal, |f| views::render(app, f)).context("drawing the screen")?;
            if app.take_bell() {
                let out = terminal.backend_mut();
                out.write_all(b"\x07").and_then(|_| out.flush()).context("ringing the bell")?;
            }
            last_draw = Some(now);
            dirty = false;
        }
        if app.quit {
            return Ok(());
        }
        let wake = if dirty { last_draw.map(|t| t + FRAME).unwrap_or(now) } else { last_tick + TICK };
        let first = match rx.recv_timeout(wake.saturating_duration_since(Instant::now())) {
            Ok(m) => m,
            Err(std_mpsc::RecvTimeoutError::Timeout) => continue,
            Err(std_mpsc::RecvTimeoutError::Disconnected) => anyhow::bail!("the console's input threads stopped"),
        };
        // Take everything already waiting before the next frame.
        let mut msg = Some(first);
        while let Some(m) = msg {
            dirty = true;
            match m {
                Msg::Key(k) => {
                    for o in app.on_key(k) {
                        send(app, outgoing, o);
                    }
                }
                Msg::Mouse(ev) => {
                    for o in app.on_mouse(ev) {
                        send(app, outgoing, o);
                    }
                }
                Msg::Resize(width, height) => app.size = (width, height),
                Msg::Redraw => {}
                Msg::Update(u) => {
                    app.now = Instant::now();
                    app.apply_update(u);
                }
                Msg::UpdatesClosed => {
                    tracing::warn!("the client's update channel closed");
                    app.apply(Incoming::ClientGone);
                }
                Msg::InputFailed(e) => anyhow::bail!("reading the keyboard failed: {e}"),
            }
            if app.quit {
                break;
            }
            if app.mouse != mouse_on {
                term::set_mouse(terminal.backend_mut(), app.mouse).context("switching mouse reporting")?;
                mouse_on = app.mouse;
                tracing::info!(mouse = mouse_on, "mouse reporting switched");
            }
            if std::mem::take(&mut app.suspend) {
                suspend(app, terminal, gate)?;
            }
            msg = rx.try_recv().ok();
        }
    }
}

/// ctrl-z: gives the terminal back to the shell as it was (mouse off, main screen, cooked mode), stops the
/// process until the shell's `fg`, then takes the terminal again and redraws it whole. The keyboard thread stays
/// off the terminal meanwhile, so it cannot eat what is typed into the shell.
#[cfg(unix)]
fn suspend(app: &mut App, terminal: &mut ConsoleTerminal, gate: &term::KeyGate) -> anyhow::Result<()> {
    use ratatui::crossterm::{execute, terminal as ct};
    let _paused = gate.pause();
    term::release_mouse(terminal.backend_mut()).context("turning off mouse reporting to suspend")?;
    ratatui::try_restore().context("restoring the terminal to suspend")?;
    tracing::info!("suspended");
    let stopped = term::stop_self();
    ct::enable_raw_mode().context("taking the terminal back after a suspend")?;
    execute!(terminal.backend_mut(), ct::EnterAlternateScreen).context("taking the terminal back after a suspend")?;
    if app.mouse {
        term::set_mouse(terminal.backend_mut(), true).context("turning on mouse reporting after a suspend")?;
    }
    terminal.clear().context("clearing the screen after a suspend")?;
    match stopped {
        Ok(()) => tracing::info!("resumed"),
        Err(e) => {
            tracing::warn!("suspending failed: {e}");
            app.notice_error(&format!("could not suspend: {e}"));
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn suspend(app: &mut App, _terminal: &mut ConsoleTerminal, _gate: &term::KeyGate) -> anyhow::Result<()> {
    app.notice_error("suspending is not available on this system");
    Ok(())
}

fn send(app: &mut App, outgoing: &Sender<Outgoing>, o: Outgoing) {
    tracing::info!(id = %o.id, request = o.name(), "sending");
    match outgoing.try_send(o) {
        Ok(()) => {}
        Err(TrySendError::Full(o)) => {
            app.apply(Incoming::NotSent { id: o.id, reason: "the connection is busy, try again".into() })
        }
        Err(TrySendError::Closed(o)) => app.apply(Incoming::NotSent { id: o.id, reason: "not connected".into() }),
    }
}
