//! The terminal modes the console adds to ratatui's (raw mode, alternate screen): mouse reporting and
//! synchronized frames, and keeping the keyboard thread off the terminal around a suspend. Every way out turns
//! mouse reporting off before `ratatui::restore()`, so the shell is left exactly as it was.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use ratatui::backend::Backend;
use ratatui::crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use ratatui::crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use ratatui::crossterm::{execute, queue};
use ratatui::{Frame, Terminal};

/// Whether this process turned mouse reporting on (the terminal is one per process, so the flag is too: the panic
/// hook reads it).
static MOUSE_ON: AtomicBool = AtomicBool::new(false);

/// Turns mouse reporting on or off on `w` and remembers it for [`release_mouse`].
pub(super) fn set_mouse(w: &mut impl Write, on: bool) -> io::Result<()> {
    if on {
        execute!(w, EnableMouseCapture)?;
    } else {
        execute!(w, DisableMouseCapture)?;
    }
    MOUSE_ON.store(on, Ordering::SeqCst);
    Ok(())
}

/// Turns mouse reporting off on `w` if this process turned it on; writes nothing otherwise. The first step of
/// every restore, before `ratatui::restore()` (which knows nothing of the mouse).
pub(super) fn release_mouse(w: &mut impl Write) -> io::Result<()> {
    if MOUSE_ON.swap(false, Ordering::SeqCst) {
        execute!(w, DisableMouseCapture)?;
    }
    Ok(())
}

/// Leaves the terminal as it was before the console: mouse reporting off, then ratatui's restore (raw mode off,
/// main screen). Errors are printed, as `ratatui::restore` does: there is nothing better to do on the way out.
pub(super) fn restore() {
    if let Err(e) = release_mouse(&mut io::stdout()) {
        eprintln!("Failed to turn off mouse reporting: {e}");
    }
    ratatui::restore();
}

/// Draws one frame between begin and end synchronized update, so a terminal that knows the sequence shows the
/// frame at once instead of painting it line by line (no tearing over SSH); others ignore it. The end is written
/// even when drawing fails, so the terminal never stays frozen.
pub(super) fn draw_synced<B: Backend<Error = io::Error> + Write>(
    terminal: &mut Terminal<B>,
    render: impl FnOnce(&mut Frame),
) -> io::Result<()> {
    queue!(terminal.backend_mut(), BeginSynchronizedUpdate)?;
    let drawn = terminal.draw(render).map(drop);
    let ended = execute!(terminal.backend_mut(), EndSynchronizedUpdate);
    drawn.and(ended)
}

/// Keeps the keyboard thread off the terminal while the console is suspended, so it does not eat the shell's
/// input: the thread holds the gate while it polls and reads, and waits outside it while a pause is asked for.
#[derive(Default)]
pub(super) struct KeyGate {
    paused: AtomicBool,
    lock: Mutex<()>,
}

/// How long the keyboard thread sleeps between looks at a paused gate.
const PAUSED_NAP: Duration = Duration::from_millis(20);

impl KeyGate {
    /// For the keyboard thread: the gate to hold while polling and reading, or None while paused (after a nap,
    /// so the caller can check whether to stop and come back).
    pub(super) fn enter(&self) -> Option<MutexGuard<'_, ()>> {
        if self.paused.load(Ordering::SeqCst) {
            std::thread::sleep(PAUSED_NAP);
            return None;
        }
        Some(self.lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    /// For the event loop: waits until the keyboard thread is out of the terminal and keeps it out while the
    /// returned guard lives.
    #[cfg_attr(not(unix), allow(dead_code))]
    pub(super) fn pause(&self) -> Paused<'_> {
        self.paused.store(true, Ordering::SeqCst);
        let guard = self.lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        Paused { gate: self, _guard: guard }
    }
}

/// The keyboard thread stays out of the terminal until this is dropped.
pub(super) struct Paused<'a> {
    gate: &'a KeyGate,
    _guard: MutexGuard<'a, ()>,
}

impl Drop for Paused<'_> {
    fn drop(&mut self) {
        self.gate.paused.store(false, Ordering::SeqCst);
    }
}

/// Stops this process the way ctrl-z stops a program (the shell's `fg` continues it) and returns once continued.
///
/// The signal is SIGTSTP, the one ctrl-z sends in a cooked terminal, rather than SIGSTOP: under a shell they stop
/// the same way, but where no shell could ever `fg` us (an orphaned process group, e.g. `exec callfloor`) the
/// kernel ignores SIGTSTP and the console simply carries on, where SIGSTOP would hang it for good. It goes through
/// kill(1) to stay free of `unsafe` and of a direct libc dependency; the command returns after the `fg`.
#[cfg(unix)]
pub(super) fn stop_self() -> io::Result<()> {
    let status = std::process::Command::new("kill").args(["-TSTP", &std::process::id().to_string()]).status()?;
    if status.success() { Ok(()) } else { Err(io::Error::other(format!("kill -TSTP exited with {status}"))) }
}

#[cfg(test)]
mod tests {
    use ratatui::layout::Rect;
    use ratatui::widgets::Paragraph;
    use ratatui::{TerminalOptions, Viewport};

    use super::*;

    const BEGIN_SYNC: &str = "\x1b[?2026h";
    const END_SYNC: &str = "\x1b[?2026l";
    const MOUSE_ON_SEQ: &str = "\x1b[?1000h\x1b[?1002h\x1b[?1003h\x1b[?1015h\x1b[?1006h";
    const MOUSE_OFF_SEQ: &str = "\x1b[?1006l\x1b[?1015l\x1b[?1003l\x1b[?1002l\x1b[?1000l";

    fn text(bytes: &[u8]) -> String {
        String::from_utf8_lossy(bytes).into_owned()
    }

    #[test]
    fn a_frame_is_wrapped_in_a_synchronized_update() {
        let mut bytes = Vec::<u8>::new();
        {
            let backend = super::super::ScrollingBackend::new(ratatui::backend::CrosstermBackend::new(&mut bytes));
            let viewport = Viewport::Fixed(Rect::new(0, 0, 20, 2));
            let Ok(mut terminal) = Terminal::with_options(backend, TerminalOptions { viewport }) else {
                panic!("a fixed viewport needs no terminal")
            };
            let drawn = draw_synced(&mut terminal, |f| f.render_widget(Paragraph::new("hello floor"), f.area()));
            assert!(drawn.is_ok(), "{drawn:?}");
        }
        let out = text(&bytes);
        assert!(out.starts_with(BEGIN_SYNC), "the frame starts with begin: {out:?}");
        let Some(end) = out.rfind(END_SYNC) else { panic!("the frame ends with end: {out:?}") };
        let body = &out[BEGIN_SYNC.len()..end];
        assert!(body.contains("hello") && body.contains("floor"), "the frame is inside: {out:?}");
        // Only the terminal's own drop (show the cursor again) comes after.
        assert_eq!(&out[end + END_SYNC.len()..], "\x1b[?25h", "{out:?}");
        assert!(!body.contains("\x1b[?2026"), "one begin and one end: {out:?}");
    }

    #[test]
    fn mouse_reporting_is_turned_off_on_the_way_out_once() {
        let mut out = Vec::new();
        assert!(set_mouse(&mut out, true).is_ok());
        assert_eq!(text(&out), MOUSE_ON_SEQ);

        let mut out = Vec::new();
        assert!(release_mouse(&mut out).is_ok());
        assert_eq!(text(&out), MOUSE_OFF_SEQ, "the restore sequence disables every mouse mode it enabled");
        let mut again = Vec::new();
        assert!(release_mouse(&mut again).is_ok());
        assert!(again.is_empty(), "a second restore (guard after panic hook) writes nothing");

        let mut out = Vec::new();
        assert!(set_mouse(&mut out, false).is_ok());
        assert_eq!(text(&out), MOUSE_OFF_SEQ);
        let mut after = Vec::new();
        assert!(release_mouse(&mut after).is_ok());
        assert!(after.is_empty(), "mouse turned off at run time needs no restore");
    }

    #[test]
    fn a_paused_gate_keeps_the_key_thread_out() {
        let gate = KeyGate::default();
        assert!(gate.enter().is_some());
        {
            let _paused = gate.pause();
            assert!(gate.enter().is_none(), "no reading while paused");
        }
        assert!(gate.enter().is_some(), "reading again after the pause");
    }
}
