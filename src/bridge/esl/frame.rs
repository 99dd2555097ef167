//! ESL framing: bytes from the FreeSWITCH event socket in, frames out.
//!
//! mod_event_socket writes every message as a header block (`Key: Value` lines ended by `\n`, the block by a blank
//! line) followed by exactly `Content-Length` body bytes when that header is present. `Content-Type` says what the
//! message is: `auth/request` (the greeting), `command/reply` (`Reply-Text: +OK accepted`, `Job-UUID` for `bgapi`),
//! `api/response` (the command's output as the body), `text/event-plain` (the body is the event: another header
//! block whose values are percent-encoded, then, when it has its own `Content-Length`, the event's body — a
//! BACKGROUND_JOB's result), `text/disconnect-notice`, `text/rude-rejection` (an ACL refusal).
//!
//! [`FrameReader`] is incremental and does no I/O, like the AMI one: [`FrameReader::push`] whatever a read returned
//! (a message may be split anywhere), then call [`FrameReader::next_frame`] until it returns `None`. One buffer holds
//! the bytes; a [`Frame`] and its [`Event`] are slices into it (no allocation per frame), and a value is
//! percent-decoded only when asked for ([`Event::header`] returns a `Cow`, borrowed when there is nothing to decode).
//!
//! Decoding follows FreeSWITCH's `switch_url_decode`: `%XX` is the byte 0xXX and everything else, `+` included, stands
//! for itself (its `switch_url_encode` writes a space as `%20` and a `+` as `%2B`). A `%` not followed by two hex
//! digits is kept as written and counted ([`FrameStats::bad_escapes`]); bytes that do not decode to UTF-8 are
//! replaced (U+FFFD) and counted the same way. Nothing in the stream is fatal: a line that is not `Key: Value`, a
//! header block without `Content-Type`, an unreadable `Content-Length` are skipped and counted
//! ([`FrameStats::garbage`]); a header block or body over [`Limits`] is skipped without being held in memory and
//! counted ([`FrameStats::oversized`]). A frame still incomplete when the link drops is simply never produced.

use std::borrow::Cow;
use std::cell::Cell;
use std::ops::Range;

/// Bounds on what one frame may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of one outer header block (FreeSWITCH's are under 200).
    pub max_header_bytes: usize,
    /// Bytes of one body (an event, or an api/response such as a large `callcenter_config queue list members`).
    pub max_body_bytes: usize,
}

impl Default for Limits {
    /// 16 KiB of headers; 16 MiB of body: a plain event is 1–8 KiB, a member table of a busy queue some hundreds.
    fn default() -> Self {
        Limits { max_header_bytes: 16 * 1024, max_body_bytes: 16 * 1024 * 1024 }
    }
}

/// Counters a `source` health line reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FrameStats {
    pub bytes: u64,
    pub frames: u64,
    /// Lines that were not `Key: Value`, header blocks without `Content-Type`, unreadable `Content-Length`s.
    pub garbage: u64,
    /// Header blocks or bodies over the limits, skipped.
    pub oversized: u64,
    /// Values read with a `%` not followed by two hex digits, or that did not decode to UTF-8.
    pub bad_escapes: u64,
}

/// One `Key: Value` as offsets into the frame's bytes.
#[derive(Debug, Clone, Copy)]
struct Field {
    key: (u32, u32),
    value: (u32, u32),
}

impl Field {
    fn key<'a>(&self, base: &'a [u8]) -> &'a [u8] {
        &base[self.key.0 as usize..self.key.1 as usize]
    }

    fn value<'a>(&self, base: &'a [u8]) -> &'a [u8] {
        &base[self.value.0 as usize..self.value.1 as usize]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a header block; `scanned` bytes from `pos` are already split into fields (or skipped).
    Head { scanned: usize },
    /// The header block (`head` bytes) is read; waiting for `len` body bytes.
    Body { head: usize, len: usize },
    /// Skipping the rest of an oversized or unusable body.
    Skip { remaining: usize },
    /// Skipping an oversized header block up to its blank line.
    Discard,
}

/// The incremental reader; see the module documentation.
#[derive(Debug)]
pub struct FrameReader {
    buf: Vec<u8>,
    /// First byte not yet consumed (the start of the frame being read).
    pos: usize,
    state: State,
    limits: Limits,
    /// The current frame's outer fields, offsets from `pos`.
    outer: Vec<Field>,
    /// The current event's fields, offsets from `pos`.
    inner: Vec<Field>,
    stats: FrameStats,
    /// Bad escapes met while frames handed out decoded values (they borrow the reader, hence a `Cell`).
    bad: Cell<u64>,
}

impl Default for FrameReader {
    fn default() -> Self {
        FrameReader::new(Limits::default())
    }
}

impl FrameReader {
    /// A reader with these limits (each at most 1 GiB: offsets into a frame are kept as `u32`).
    pub fn new(limits: Limits) -> FrameReader {
        const MAX: usize = 1 << 30;
        let limits = Limits {
            max_header_bytes: limits.max_header_bytes.min(MAX),
            max_body_bytes: limits.max_body_bytes.min(MAX),
        };
        FrameReader {
            buf: Vec::with_capacity(64 * 1024),
            pos: 0,
            state: State::Head { scanned: 0 },
            limits,
            outer: Vec::with_capacity(8),
            inner: Vec::with_capacity(64),
            stats: FrameStats::default(),
            bad: Cell::new(0),
        }
    }

    /// Add bytes read from the socket.
    pub fn push(&mut self, data: &[u8]) {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.stats.bytes += data.len() as u64;
        if let State::Skip { remaining } = self.state {
            // An oversized body is dropped as it arrives, never held.
            let take = remaining.min(data.len());
            self.state = if take == remaining {
                State::Head { scanned: 0 }
            } else {
                State::Skip { remaining: remaining - take }
            };
            self.buf.extend_from_slice(&data[take..]);
            return;
        }
        self.buf.extend_from_slice(data);
    }

    pub fn stats(&self) -> FrameStats {
        FrameStats { bad_escapes: self.stats.bad_escapes + self.bad.get(), ..self.stats }
    }

    /// Bytes held for a frame not yet complete (bounded by the limits).
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The next complete frame, `None` when more bytes are needed. Whatever could not be framed has been skipped and
    /// counted in [`FrameReader::stats`].
    pub fn next_frame(&mut self) -> Option<Frame<'_>> {
        loop {
            match self.state {
                State::Head { scanned } => {
                    let Some(head) = self.head(scanned) else {
                        if self.state == State::Discard {
                            continue;
                        }
                        return None;
                    };
                    match self.body_len() {
                        Ok(len) if len > self.limits.max_body_bytes => {
                            self.stats.oversized += 1;
                            self.skip(head, len);
                        }
                        Ok(len) if self.has_type() => self.state = State::Body { head, len },
                        Ok(len) => {
                            self.stats.garbage += 1;
                            self.skip(head, len);
                        }
                        Err(()) => {
                            self.stats.garbage += 1;
                            self.skip(head, 0);
                        }
                    }
                }
                State::Body { head, len } => {
                    if self.buf.len() - self.pos < head + len {
                        return None;
                    }
                    let start = self.pos;
                    let end = start + head + len;
                    self.pos = end;
                    self.state = State::Head { scanned: 0 };
                    self.stats.frames += 1;
                    let base = &self.buf[start..end];
                    let event = if content_type(base, &self.outer) == Some(b"text/event-plain".as_slice()) {
                        Some(parse_event(base, head, &mut self.inner, &mut self.stats.garbage))
                    } else {
                        None
                    };
                    return Some(Frame {
                        base,
                        outer: &self.outer,
                        body: head..head + len,
                        event,
                        inner: &self.inner,
                        bad: &self.bad,
                    });
                }
                State::Skip { remaining } => {
                    let take = remaining.min(self.buf.len() - self.pos);
                    self.pos += take;
                    if take < remaining {
                        self.state = State::Skip { remaining: remaining - take };
                        return None;
                    }
                    self.state = State::Head { scanned: 0 };
                }
                State::Discard => {
                    let from = self.pos;
                    let mut at = from;
                    let found = loop {
                        let Some(i) = memchr::memchr(b'\n', &self.buf[at..]) else { break false };
                        let line = &self.buf[at..at + i];
                        at += i + 1;
                        if line.is_empty() || line == b"\r" {
                            break true;
                        }
                    };
                    if found {
                        self.pos = at;
                        self.state = State::Head { scanned: 0 };
                    } else {
                        // Keep only a partial last line's worth, bounded by the header limit.
                        let keep = self.buf.len() - at;
                        self.pos = if keep > self.limits.max_header_bytes { self.buf.len() } else { at };
                        return None;
                    }
                }
            }
        }
    }

    /// Reads header lines from `pos + scanned`; the block's length once its blank line is in. `None` when more bytes
    /// are needed, or when the block is over the limit (then the state is `Discard`).
    fn head(&mut self, mut scanned: usize) -> Option<usize> {
        if scanned == 0 {
            self.outer.clear();
        }
        loop {
            let from = self.pos + scanned;
            let Some(i) = memchr::memchr(b'\n', &self.buf[from..]) else {
                if self.buf.len() - self.pos > self.limits.max_header_bytes {
                    self.stats.oversized += 1;
                    self.outer.clear();
                    self.pos += scanned;
                    self.state = State::Discard;
                    return None;
                }
                self.state = State::Head { scanned };
                return None;
            };
            let line = trim_cr(&self.buf[from..from + i]);
            let next = scanned + i + 1;
            if line.is_empty() {
                if self.outer.is_empty() {
                    // Blank lines between frames: nothing to read.
                    self.pos += next;
                    scanned = 0;
                    continue;
                }
                return Some(next);
            }
            if next > self.limits.max_header_bytes {
                self.stats.oversized += 1;
                self.outer.clear();
                self.pos += next;
                self.state = State::Discard;
                return None;
            }
            match split_field(line, scanned) {
                Some(f) => self.outer.push(f),
                None => self.stats.garbage += 1,
            }
            scanned = next;
        }
    }

    fn skip(&mut self, head: usize, len: usize) {
        self.pos += head;
        self.state = if len == 0 { State::Head { scanned: 0 } } else { State::Skip { remaining: len } };
    }

    fn has_type(&self) -> bool {
        content_type(&self.buf[self.pos..], &self.outer).is_some()
    }

    /// The `Content-Length` of the current header block: 0 when absent, `Err` when unreadable.
    fn body_len(&self) -> Result<usize, ()> {
        let base = &self.buf[self.pos..];
        match find(base, &self.outer, b"Content-Length") {
            None => Ok(0),
            Some(v) => std::str::from_utf8(v).ok().and_then(|s| s.trim().parse().ok()).ok_or(()),
        }
    }
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// `Key: Value` (the key free of spaces, the value without its leading and trailing blanks), as offsets from the
/// frame's start (`at` = the line's offset).
fn split_field(line: &[u8], at: usize) -> Option<Field> {
    let colon = memchr::memchr(b':', line)?;
    let key = &line[..colon];
    if key.is_empty() || key.iter().any(|b| b.is_ascii_whitespace()) {
        return None;
    }
    let mut v0 = colon + 1;
    let mut v1 = line.len();
    while v0 < v1 && (line[v0] == b' ' || line[v0] == b'\t') {
        v0 += 1;
    }
    while v1 > v0 && line[v1 - 1].is_ascii_whitespace() {
        v1 -= 1;
    }
    let off = |n: usize| (at + n) as u32;
    Some(Field { key: (off(0), off(colon)), value: (off(v0), off(v1)) })
}

/// The first value of `name` (any case) among `fields` of `base`.
fn find<'a>(base: &'a [u8], fields: &[Field], name: &[u8]) -> Option<&'a [u8]> {
    fields.iter().find(|f| f.key(base).eq_ignore_ascii_case(name)).map(|f| f.value(base))
}

fn content_type<'a>(base: &'a [u8], fields: &[Field]) -> Option<&'a [u8]> {
    find(base, fields, b"Content-Type")
}

/// Splits a `text/event-plain` body (`base[head..]`) into its fields; returns the event's own body, if it has one.
fn parse_event(base: &[u8], head: usize, fields: &mut Vec<Field>, garbage: &mut u64) -> Option<Range<usize>> {
    fields.clear();
    let end = base.len();
    let mut at = head;
    while at < end {
        let (line, next) = match memchr::memchr(b'\n', &base[at..end]) {
            Some(i) => (trim_cr(&base[at..at + i]), at + i + 1),
            None => (trim_cr(&base[at..end]), end),
        };
        if line.is_empty() {
            at = next;
            if fields.is_empty() {
                continue;
            }
            break;
        }
        match split_field(line, at) {
            Some(f) => fields.push(f),
            None => *garbage += 1,
        }
        at = next;
    }
    let len = find(base, fields, b"Content-Length")?;
    let len: usize = std::str::from_utf8(len).ok()?.trim().parse().ok()?;
    let stop = (at + len).min(end);
    if stop - at < len {
        *garbage += 1;
    }
    Some(at..stop)
}

/// What a frame is, from its `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    AuthRequest,
    CommandReply,
    ApiResponse,
    Event,
    DisconnectNotice,
    RudeRejection,
    /// Any other content type (`log/data`, `text/event-json`, …).
    Other,
}

/// One frame: slices of the reader's buffer, valid until the next `push`/`next_frame`.
#[derive(Debug, Clone)]
pub struct Frame<'a> {
    base: &'a [u8],
    outer: &'a [Field],
    body: Range<usize>,
    event: Option<Option<Range<usize>>>,
    inner: &'a [Field],
    bad: &'a Cell<u64>,
}

impl<'a> Frame<'a> {
    pub fn kind(&self) -> Kind {
        match content_type(self.base, self.outer).unwrap_or_default() {
            b"text/event-plain" => Kind::Event,
            b"command/reply" => Kind::CommandReply,
            b"api/response" => Kind::ApiResponse,
            b"auth/request" => Kind::AuthRequest,
            b"text/disconnect-notice" => Kind::DisconnectNotice,
            b"text/rude-rejection" => Kind::RudeRejection,
            _ => Kind::Other,
        }
    }

    /// The `Content-Type` as sent.
    pub fn content_type(&self) -> Cow<'a, str> {
        String::from_utf8_lossy(content_type(self.base, self.outer).unwrap_or_default())
    }

    /// An outer header (`Reply-Text`, `Job-UUID`, …; any case), as sent (outer headers are not percent-encoded).
    pub fn header(&self, name: &str) -> Option<Cow<'a, str>> {
        find(self.base, self.outer, name.as_bytes()).map(String::from_utf8_lossy)
    }

    /// The outer headers in wire order.
    pub fn headers(&self) -> impl Iterator<Item = (Cow<'a, str>, Cow<'a, str>)> + '_ {
        let base = self.base;
        self.outer.iter().map(move |f| (String::from_utf8_lossy(f.key(base)), String::from_utf8_lossy(f.value(base))))
    }

    /// The whole frame as it came (header block and body).
    pub fn wire(&self) -> &'a [u8] {
        self.base
    }

    /// The body (`Content-Length` bytes; empty without one).
    pub fn body(&self) -> &'a [u8] {
        &self.base[self.body.clone()]
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn body_text(&self) -> Cow<'a, str> {
        String::from_utf8_lossy(self.body())
    }

    /// The event a `text/event-plain` frame carries.
    pub fn event(&self) -> Option<Event<'a>> {
        self.event.clone().map(|body| Event { base: self.base, fields: self.inner, body, bad: self.bad })
    }
}

/// A plain event: its headers (values percent-encoded on the wire, decoded on request) and its body, if any.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    base: &'a [u8],
    fields: &'a [Field],
    body: Option<Range<usize>>,
    bad: &'a Cell<u64>,
}

impl<'a> Event<'a> {
    /// The first value of `name` (any case), percent-decoded.
    pub fn header(&self, name: &str) -> Option<Cow<'a, str>> {
        find(self.base, self.fields, name.as_bytes()).map(|v| self.decode(v))
    }

    /// The first value of `name` as sent, still encoded.
    pub fn raw(&self, name: &str) -> Option<&'a [u8]> {
        find(self.base, self.fields, name.as_bytes())
    }

    /// Headers in wire order, values decoded.
    pub fn headers(&self) -> impl Iterator<Item = (Cow<'a, str>, Cow<'a, str>)> + '_ {
        self.fields.iter().map(|f| (String::from_utf8_lossy(f.key(self.base)), self.decode(f.value(self.base))))
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The event's own body (a BACKGROUND_JOB's result), after its `Content-Length` header.
    pub fn body(&self) -> Option<Cow<'a, str>> {
        self.body.clone().map(|r| String::from_utf8_lossy(&self.base[r]))
    }

    fn decode(&self, raw: &'a [u8]) -> Cow<'a, str> {
        let (value, bad) = percent_decode(raw);
        if bad > 0 {
            self.bad.set(self.bad.get() + bad);
        }
        value
    }
}

/// FreeSWITCH's URL decoding (see the module documentation): the value, and how many bad escapes or invalid UTF-8
/// sequences it had.
pub fn percent_decode(raw: &[u8]) -> (Cow<'_, str>, u64) {
    let Some(first) = memchr::memchr(b'%', raw) else {
        return match std::str::from_utf8(raw) {
            Ok(s) => (Cow::Borrowed(s), 0),
            Err(_) => (String::from_utf8_lossy(raw), 1),
        };
    };
    let mut out = Vec::with_capacity(raw.len());
    out.extend_from_slice(&raw[..first]);
    let mut bad = 0;
    let mut i = first;
    while i < raw.len() {
        let b = raw[i];
        if b == b'%' {
            match (raw.get(i + 1).and_then(|h| hex(*h)), raw.get(i + 2).and_then(|l| hex(*l))) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
                _ => bad += 1,
            }
        }
        out.push(b);
        i += 1;
    }
    match String::from_utf8(out) {
        Ok(s) => (Cow::Owned(s), bad),
        Err(e) => (Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()), bad + 1),
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// FreeSWITCH's URL encoding of a plain-event value (`switch_url_encode`): control bytes, bytes past `~` (so every
/// byte of a multibyte UTF-8 character) and `\r\n "#%&+:;<=>?@[\]^`{|}` become `%XX`.
pub fn percent_encode(value: &str) -> String {
    const UNSAFE: &[u8] = b"\r\n \"#%&+:;<=>?@[\\]^`{|}";
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut s = String::with_capacity(value.len());
    for &b in value.as_bytes() {
        if !(b' '..=b'~').contains(&b) || UNSAFE.contains(&b) {
            s.push('%');
            s.push(HEX[(b >> 4) as usize] as char);
            s.push(HEX[(b & 15) as usize] as char);
        } else {
            s.push(b as char);
        }
    }
    s
}

/// A `text/event-plain` frame as mod_event_socket writes it: the headers with encoded values, the event's body (with
/// its own `Content-Length`) if any, inside the outer `Content-Length` envelope. For tests and replay servers.
pub fn plain_event(headers: &[(&str, &str)], body: Option<&str>) -> Vec<u8> {
    let mut inner = String::new();
    for (k, v) in headers {
        inner.push_str(k);
        inner.push_str(": ");
        inner.push_str(&percent_encode(v));
        inner.push('\n');
    }
    match body {
        Some(b) => {
            inner.push_str(&format!("Content-Length: {}\n\n", b.len()));
            inner.push_str(b);
        }
        None => inner.push('\n'),
    }
    let mut out = format!("Content-Length: {}\nContent-Type: text/event-plain\n\n", inner.len()).into_bytes();
    out.extend_from_slice(inner.as_bytes());
    out
}

#[cfg(test)]
#[path = "frame_tests.rs"]
mod tests;
