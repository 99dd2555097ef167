//! A backend that moves lines instead of rewriting them. When rows of a list shift (calls that ended leave at the
//! once-a-second settle and every row below moves up), ratatui's cell diff rewrites every shifted row. Terminals
//! can move lines themselves, as curses has them do: inside a scrolling region, delete-line and insert-line shift
//! any band of rows (`ESC[a;br ESC[a;1H ESC[nM ESC[r`, about 20 bytes; VT102 sequences that xterm, tmux, screen
//! and the Linux console all know). [`ScrollingBackend`] wraps a backend, keeps what the terminal shows, and when a
//! frame changes many rows it finds the line moves that leave the fewest cells to write (an alignment of old rows
//! to new rows), does them, and then writes only the cells that still differ. It also leaves alone cells that
//! already look right: a space on the default background looks the same whatever its foreground colour.
//!
//! The screen comes out the same whatever the plan: the moves are applied to the kept copy exactly as the terminal
//! applies them, and the cell diff from that copy to the frame does the rest. The plan only decides how many bytes
//! it takes.

use std::io::{self, Write};
use std::ops::Range;

use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::{Buffer, Cell, CellWidth};
use ratatui::layout::{Position, Rect, Size};
use ratatui::style::{Color, Modifier};

/// What starting a line move costs, counted in cells (a scrolling region, a cursor move, a delete or insert and a
/// reset: about 20 bytes).
const MOVE_COST: u32 = 20;
/// Moves are looked for only when a frame changes at least this many rows...
const MIN_CHANGED_ROWS: usize = 3;
/// ...and at least a full row's worth of cells: moving lines can save at most the cells that changed.
const MIN_CHANGED_ROW_WIDTHS: usize = 1;

/// A backend that shifts lines with the terminal's scrolling regions where that writes less. See the module
/// documentation.
pub struct ScrollingBackend<W: Write> {
    inner: CrosstermBackend<W>,
    /// What the terminal shows, as far as we know: ratatui's idea of it after every frame.
    screen: Buffer,
    /// False after an operation whose effect on the screen we cannot follow: no moves are made until a full clear.
    trusted: bool,
    /// Where the cursor was last put (clears that start at the cursor need it).
    cursor: Option<Position>,
    /// Turned off when writing a move fails: frames are then written cell by cell, as ratatui does.
    moves_work: bool,
}

/// One line move: scroll rows `region` up (`up`) or down by `by` rows; the rows it leaves are blank.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Move {
    region: Range<u16>,
    by: u16,
    up: bool,
}

impl<W: Write> ScrollingBackend<W> {
    pub fn new(inner: CrosstermBackend<W>) -> Self {
        ScrollingBackend { inner, screen: Buffer::empty(Rect::ZERO), trusted: true, cursor: None, moves_work: true }
    }

    /// Grows the kept screen to hold `w` x `h` cells (new cells are blank, as a cleared terminal's are).
    fn grow(&mut self, w: u16, h: u16) {
        let area = self.screen.area;
        if w <= area.width && h <= area.height {
            return;
        }
        let mut bigger = Buffer::empty(Rect::new(0, 0, w.max(area.width), h.max(area.height)));
        for y in 0..area.height {
            for x in 0..area.width {
                bigger[(x, y)] = self.screen[(x, y)].clone();
            }
        }
        self.screen = bigger;
    }

    fn blank_screen(&mut self) {
        let area = match self.inner.size() {
            Ok(s) => Rect::new(0, 0, s.width, s.height),
            Err(_) => self.screen.area,
        };
        self.screen = Buffer::empty(area);
        self.trusted = true;
    }

    /// Writes cells to the terminal and notes them on the kept screen as the terminal shows them.
    fn write_cells(&mut self, cells: Vec<(u16, u16, Cell)>) -> io::Result<()> {
        if cells.is_empty() {
            return Ok(());
        }
        self.inner.draw(cells.iter().map(|(x, y, c)| (*x, *y, c)))?;
        for (x, y, c) in &cells {
            put(&mut self.screen, *x, *y, c);
        }
        Ok(())
    }

    /// Applies one move to the terminal and to the kept screen: a scrolling region from the band's first row to
    /// its last, the cursor to its first row, `by` lines deleted there (up) or inserted (down), the region reset.
    fn shift(&mut self, m: &Move) -> io::Result<()> {
        let (top, bottom) = (m.region.start + 1, m.region.end);
        let op = if m.up { 'M' } else { 'L' };
        write!(self.inner, "\x1b[{top};{bottom}r\x1b[{top};1H\x1b[{}{op}\x1b[r", m.by)?;
        shift_rows(&mut self.screen.content, self.screen.area.width as usize, m);
        Ok(())
    }
}

/// Moves the rows of a screen `w` cells wide as the terminal does for `m`.
fn shift_rows<T: Default>(cells: &mut [T], w: usize, m: &Move) {
    let h = cells.len() / w.max(1);
    let (top, bottom) = (m.region.start as usize, (m.region.end as usize).min(h));
    if top >= bottom {
        return;
    }
    let by = (m.by as usize).min(bottom - top);
    let rows = &mut cells[top * w..bottom * w];
    if m.up {
        rows.rotate_left(by * w);
        let len = rows.len();
        rows[len - by * w..].fill_with(T::default);
    } else {
        rows.rotate_right(by * w);
        rows[..by * w].fill_with(T::default);
    }
}

/// What the kept screen holds in the columns a wide character covers after its first.
fn covered() -> Cell {
    let mut c = Cell::default();
    // A noncharacter: no text holds it.
    c.set_symbol("\u{FFFF}");
    c
}

/// Notes on `buf` a cell written at `x`, `y` as a terminal shows it: a character written over any part of a wide
/// one erases all of it, and a wide character covers the columns after its first.
fn put(buf: &mut Buffer, x: u16, y: u16, c: &Cell) {
    let w = buf.area.width;
    let cover = covered();
    let width = c.cell_width().max(1);
    for at in x..x.saturating_add(width).min(w) {
        // Overwriting a covered column erases the wide character it belongs to (its first column is to the left).
        if buf[(at, y)] == cover {
            let mut head = at;
            while head > 0 && buf[(head, y)] == cover {
                head -= 1;
            }
            let head_width = buf[(head, y)].cell_width().max(1);
            for i in head..head.saturating_add(head_width).min(w) {
                buf[(i, y)] = Cell::default();
            }
        }
        // Overwriting the first column of a wide character erases the columns it covers.
        let old_width = buf[(at, y)].cell_width().max(1);
        for i in at + 1..at.saturating_add(old_width).min(w) {
            buf[(i, y)] = Cell::default();
        }
    }
    if x < w {
        buf[(x, y)] = c.clone();
    }
    for i in x + 1..x.saturating_add(width).min(w) {
        buf[(i, y)] = cover.clone();
    }
}

/// Whether a cell shows as an empty cell: a space on the default background, with nothing a space can show
/// (reverse video, underline, strike-through). Its foreground colour, boldness and the like cannot be seen.
fn looks_blank(c: &Cell) -> bool {
    const SHOWS_ON_A_SPACE: Modifier = Modifier::REVERSED.union(Modifier::UNDERLINED).union(Modifier::CROSSED_OUT);
    c.symbol() == " " && c.bg == Color::Reset && !c.modifier.intersects(SHOWS_ON_A_SPACE)
}

/// Whether two cells look the same on screen (so the one shown need not be rewritten as the other).
fn same_look(a: &Cell, b: &Cell) -> bool {
    a == b || looks_blank(a) && looks_blank(b)
}

/// A colour as a number (distinct for distinct colours).
fn colour_code(c: Color) -> u64 {
    match c {
        Color::Rgb(r, g, b) => 0x100_0000 | (r as u64) << 16 | (g as u64) << 8 | b as u64,
        Color::Indexed(i) => 0x200_0000 | i as u64,
        // The named colours and Reset: their place in the enum.
        other => 0x300_0000 | named_index(other),
    }
}

fn named_index(c: Color) -> u64 {
    const NAMED: [Color; 17] = [
        Color::Reset,
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
    NAMED.iter().position(|n| *n == c).unwrap_or(NAMED.len()) as u64
}

/// Mixes `v` into `h` (FxHash's step).
fn mix(h: u64, v: u64) -> u64 {
    (h.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95)
}

/// A number per cell that is equal for cells that look the same (0 for every blank-looking cell), so rows compare
/// as slices of numbers. Two different cells may rarely share a number: that only makes a plan worse, never the
/// screen wrong.
fn keys(buf: &Buffer) -> Vec<u64> {
    buf.content
        .iter()
        .map(|c| {
            if looks_blank(c) {
                return 0;
            }
            let mut h = 0;
            for chunk in c.symbol().as_bytes().chunks(8) {
                let mut word = [0u8; 8];
                word[..chunk.len()].copy_from_slice(chunk);
                h = mix(h, u64::from_le_bytes(word));
            }
            h = mix(h, colour_code(c.fg) << 32 | colour_code(c.bg));
            h = mix(h, colour_code(c.underline_color) << 16 | c.modifier.bits() as u64);
            h | 1
        })
        .collect()
}

/// How the alignment reached a state that does not end in a match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Start,
    /// An old row dropped after a match (or after another drop or blank row).
    DropAfterMatch,
    Drop,
    /// A new row written from blank after a match (or after another drop or blank row).
    BlankAfterMatch,
    Blank,
}

/// The moves that turn the screen `old` into `new` (cell keys, rows of `w`) with the fewest cells left to write;
/// none when moving does not pay.
///
/// Rows `lo..=hi` (the first and last that differ) are aligned: each new row is an old row moved (old rows keep
/// their order) or written from blank. A run of rows moved by the same distance costs one move; rows matched in
/// place cost nothing to move. Up-moves are made top to bottom and down-moves bottom to top, so no move overwrites
/// rows a later one still needs (the order curses uses).
fn plan(old: &[u64], new: &[u64], w: usize) -> Vec<Move> {
    let h = old.len().min(new.len()) / w.max(1);
    let row = |k: &'_ [u64], y: usize| -> Vec<u64> { k[y * w..(y + 1) * w].to_vec() };
    let differs = |a: &[u64], b: &[u64]| a.iter().zip(b).filter(|(x, y)| x != y).count() as u32;
    let changed: Vec<usize> = (0..h).filter(|&y| old[y * w..(y + 1) * w] != new[y * w..(y + 1) * w]).collect();
    let (Some(&lo), Some(&hi)) = (changed.first(), changed.last()) else { return Vec::new() };
    if changed.len() < MIN_CHANGED_ROWS {
        return Vec::new();
    }
    let n = hi - lo + 1;
    let (olds, news): (Vec<Vec<u64>>, Vec<Vec<u64>>) = (0..n).map(|k| (row(old, lo + k), row(new, lo + k))).unzip();
    // cost[a][b]: cells to write to turn old row a into new row b (rows counted from lo).
    let cost: Vec<Vec<u32>> = olds.iter().map(|o| news.iter().map(|nw| differs(o, nw)).collect()).collect();
    let blank: Vec<u32> = news.iter().map(|nw| nw.iter().filter(|k| **k != 0).count() as u32).collect();
    // m[a][b]: the least cost of new rows ..b from old rows ..a, the last step a match of old a-1 to new b-1;
    // g[a][b]: the same, the last step a dropped old row or a new row written from blank.
    const INF: u32 = u32::MAX / 4;
    let idx = |a: usize, b: usize| a * (n + 1) + b;
    let mut m = vec![INF; (n + 1) * (n + 1)];
    let mut g = vec![INF; (n + 1) * (n + 1)];
    let mut m_from_m = vec![false; (n + 1) * (n + 1)];
    let mut g_from = vec![Step::Start; (n + 1) * (n + 1)];
    g[idx(0, 0)] = 0;
    for a in 0..=n {
        for b in 0..=n {
            if a > 0 && b > 0 {
                let start = if a == b { 0 } else { MOVE_COST };
                let (go_on, fresh) = (m[idx(a - 1, b - 1)], g[idx(a - 1, b - 1)] + start);
                m_from_m[idx(a, b)] = go_on <= fresh;
                m[idx(a, b)] = go_on.min(fresh) + cost[a - 1][b - 1];
            }
            let mut best = (g[idx(a, b)], g_from[idx(a, b)]);
            let mut consider = |c: u32, step: Step| {
                if c < best.0 {
                    best = (c, step);
                }
            };
            if a > 0 {
                consider(m[idx(a - 1, b)], Step::DropAfterMatch);
                consider(g[idx(a - 1, b)], Step::Drop);
            }
            if b > 0 {
                consider(m[idx(a, b - 1)] + blank[b - 1], Step::BlankAfterMatch);
                consider(g[idx(a, b - 1)] + blank[b - 1], Step::Blank);
            }
            (g[idx(a, b)], g_from[idx(a, b)]) = best;
        }
    }
    // Walk back: the matched pairs (old row, new row), bottom first.
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let (mut a, mut b) = (n, n);
    let mut in_m = m[idx(n, n)] < g[idx(n, n)];
    while a > 0 || b > 0 {
        if in_m {
            pairs.push((a - 1, b - 1));
            in_m = m_from_m[idx(a, b)];
            a -= 1;
            b -= 1;
            continue;
        }
        match g_from[idx(a, b)] {
            Step::DropAfterMatch => (a, in_m) = (a - 1, true),
            Step::Drop => a -= 1,
            Step::BlankAfterMatch => (b, in_m) = (b - 1, true),
            Step::Blank => b -= 1,
            Step::Start => break,
        }
    }
    pairs.reverse();
    // Runs of pairs on one diagonal, as (first new row, last new row, distance old - new), kept when moving them
    // saves more than the move costs against leaving them in place.
    let mut runs: Vec<(usize, usize, i64)> = Vec::new();
    for &(a, b) in &pairs {
        let d = a as i64 - b as i64;
        match runs.last_mut() {
            Some((_, last, rd)) if *rd == d && *last + 1 == b => *last = b,
            _ => runs.push((b, b, d)),
        }
    }
    runs.retain(|&(first, last, d)| {
        let moved: u32 = (first..=last).map(|b| cost[(b as i64 + d) as usize][b]).sum();
        let stay: u32 = (first..=last).map(|b| cost[b][b]).sum();
        d != 0 && moved + MOVE_COST < stay
    });
    let lo = lo as i64;
    let ups = runs.iter().filter(|r| r.2 > 0).map(|&(first, last, d)| Move {
        region: (lo + first as i64) as u16..(lo + last as i64 + d + 1) as u16,
        by: d as u16,
        up: true,
    });
    let downs = runs.iter().rev().filter(|r| r.2 < 0).map(|&(first, last, d)| Move {
        region: (lo + first as i64 + d) as u16..(lo + last as i64 + 1) as u16,
        by: (-d) as u16,
        up: false,
    });
    ups.chain(downs).collect()
}

impl<W: Write> Backend for ScrollingBackend<W> {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let content: Vec<(u16, u16, &Cell)> = content.collect();
        let (w, h) = content.iter().fold((0, 0), |(w, h), (x, y, _)| (w.max(x + 1), h.max(y + 1)));
        self.grow(w, h);
        let screen = &self.screen;
        // Ratatui's cells, less those that already look right.
        let changed: Vec<(u16, u16, Cell)> = content
            .iter()
            .filter(|(x, y, c)| !same_look(&screen[(*x, *y)], c))
            .map(|(x, y, c)| (*x, *y, (*c).clone()))
            .collect();
        let mut rows: Vec<u16> = changed.iter().map(|(_, y, _)| *y).collect();
        rows.dedup();
        let width = screen.area.width as usize;
        let worth_a_look = rows.len() >= MIN_CHANGED_ROWS && changed.len() >= MIN_CHANGED_ROW_WIDTHS * width;
        if self.trusted && self.moves_work && worth_a_look {
            let mut target = screen.clone();
            for (x, y, c) in &changed {
                put(&mut target, *x, *y, c);
            }
            let moves = plan(&keys(screen), &keys(&target), width);
            if !moves.is_empty() {
                // Lines a move inserts take the current colours: start from the defaults.
                let reset = write!(self.inner, "\x1b[0m");
                for m in moves.iter().filter(|_| reset.is_ok()) {
                    // A move that could not be written changed nothing: the kept screen only follows moves made.
                    // The cell diff below then does the rest, and later frames make no moves.
                    if self.shift(m).is_err() {
                        self.moves_work = false;
                        break;
                    }
                }
                let screen = &self.screen;
                let writes: Vec<(u16, u16, Cell)> = screen
                    .diff(&target)
                    .into_iter()
                    .filter(|(x, y, c)| !same_look(&screen[(*x, *y)], c))
                    .map(|(x, y, c)| (x, y, c.clone()))
                    .collect();
                return self.write_cells(writes);
            }
        }
        self.write_cells(changed)
    }
    fn append_lines(&mut self, n: u16) -> Result<(), Self::Error> {
        self.trusted = false;
        self.inner.append_lines(n)
    }

    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        let p = position.into();
        self.cursor = Some(p);
        self.inner.set_cursor_position(p)
    }

    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()?;
        self.blank_screen();
        Ok(())
    }

    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(clear_type)?;
        let area = self.screen.area;
        let w = area.width as usize;
        let blank = |buf: &mut Buffer, r: Range<usize>| {
            let end = r.end.min(buf.content.len());
            if r.start < end {
                buf.content[r.start..end].fill_with(Cell::default);
            }
        };
        match (clear_type, self.cursor) {
            (ClearType::All, _) => self.blank_screen(),
            (ClearType::AfterCursor, Some(p)) => blank(&mut self.screen, p.y as usize * w + p.x as usize..usize::MAX),
            (ClearType::BeforeCursor, Some(p)) => blank(&mut self.screen, 0..p.y as usize * w + p.x as usize + 1),
            (ClearType::CurrentLine, Some(p)) => blank(&mut self.screen, p.y as usize * w..(p.y as usize + 1) * w),
            (ClearType::UntilNewLine, Some(p)) => {
                blank(&mut self.screen, p.y as usize * w + p.x as usize..(p.y as usize + 1) * w)
            }
            (_, None) => self.trusted = false,
        }
        Ok(())
    }

    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }

    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        Backend::flush(&mut self.inner)
    }
}

/// Writes go to the terminal as they are (synchronized-update markers, the bell).
impl<W: Write> Write for ScrollingBackend<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Write::flush(&mut self.inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buf(lines: &[String]) -> Buffer {
        Buffer::with_lines(lines.iter().map(|s| s.as_str()))
    }

    #[test]
    fn a_list_that_lost_two_rows_moves_up_by_two() {
        let row = |i: usize, wait: usize| format!("|C-{i:04}  queue-{}  queued  {wait}:00   caller {i:08}   |", i % 7);
        let old: Vec<String> = std::iter::once("header".to_string()).chain((0..30).map(|i| row(i, 9))).collect();
        let new: Vec<String> = std::iter::once("header".to_string()).chain((2..32).map(|i| row(i, 8))).collect();
        let (old, new) = (buf(&old), buf(&new));
        let moves = plan(&keys(&old), &keys(&new), old.area.width as usize);
        assert_eq!(moves, vec![Move { region: 1..31, by: 2, up: true }]);
    }

    #[test]
    fn rows_leaving_at_several_places_move_in_several_runs() {
        let row = |i: usize, wait: usize| {
            let word: String = (0..12).map(|k| (b'a' + ((i * 7 + k * 13 + i * i) % 26) as u8) as char).collect();
            format!("|C-{i:04}  {word}  queued  {wait}:00   |")
        };
        let keep = |i: &usize| ![3usize, 4, 10, 17].contains(i);
        let old: Vec<String> = std::iter::once("header".to_string()).chain((0..30).map(|i| row(i, 9))).collect();
        let new: Vec<String> =
            std::iter::once("header".to_string()).chain((0..40).filter(keep).take(30).map(|i| row(i, 8))).collect();
        let (old, new) = (buf(&old), buf(&new));
        let moves = plan(&keys(&old), &keys(&new), old.area.width as usize);
        assert_eq!(moves.len(), 3, "{moves:?}");
    }
}
