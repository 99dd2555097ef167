//! AMI framing: bytes from the manager socket in, whole messages out.
//!
//! The Asterisk Manager Interface sends `Key: Value` lines ended by `\r\n`, and ends a message with a blank line. The
//! connection opens with a banner line (`Asterisk Call Manager/5.0.1`) that has no colon and no blank line after it.
//! The reply to a `Command` action on Asterisk 11–13 is `Response: Follows`, a few headers, then free-form output up to
//! a line ending in `--END COMMAND--` (Asterisk 14+ sends `Output:` headers instead, which need nothing special).
//!
//! [`FrameReader`] is incremental and does no I/O: [`FrameReader::push`] whatever a read returned (a message may be
//! split anywhere, even inside `\r\n`), then call [`FrameReader::next_frame`] until it returns `Ok(None)`. It accepts
//! `\n` without `\r`, treats a whitespace-only line as blank, and survives two things real traffic contains: messages
//! run together without their blank line (a second `Event:`/`Response:`/`Action:` header starts a new message), and
//! stray lines that are not `Key: Value` (skipped and counted). A message larger than [`Limits::max_message_bytes`]
//! is an error, not a crash or an unbounded buffer: it is skipped up to the next blank line and reading goes on.

use std::borrow::Cow;
use std::ops::Range;

/// Bounds on what one message may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of one message (headers and command output), not counting line ends.
    pub max_message_bytes: usize,
    /// `Key: Value` lines in one message.
    pub max_fields: usize,
}

impl Default for Limits {
    /// 64 KiB and 1,024 fields: a `QueueMember` is under 1 KiB; `Command` output such as `queue show` on a large
    /// floor is the biggest thing a supervisor console asks for.
    fn default() -> Self {
        Limits { max_message_bytes: 64 * 1024, max_fields: 1024 }
    }
}

/// What the reader produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// The greeting line, e.g. `Asterisk Call Manager/5.0.1` (the text after the slash is the AMI version).
    Banner(String),
    Message(Message),
}

/// The reader could not frame part of the stream; it has already recovered and reading may go on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error(
        "an AMI message grew past {limit} bytes or {fields} fields before its blank line, so it was skipped up to the \
         next blank line; raise the bridge's message limit only if this PBX really sends messages that large"
    )]
    TooLarge { limit: usize, fields: usize },
}

/// Counters a `source` health line reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FrameStats {
    pub bytes: u64,
    pub messages: u64,
    pub banners: u64,
    /// Messages that ended at the next message's first header instead of a blank line.
    pub run_together: u64,
    /// Messages skipped for being over the limits.
    pub oversized: u64,
    /// Lines that were neither `Key: Value`, blank, a banner nor command output (skipped).
    pub stray_lines: u64,
}

/// One AMI message: its fields in wire order (a key may repeat, e.g. `ChanVariable` or `Output`), and for a
/// `Response: Follows` the command output. Keys compare without regard to case, as Asterisk's own do.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    text: String,
    fields: Vec<(Range<usize>, Range<usize>)>,
    output: Option<Range<usize>>,
}

/// What a message is, from its first `Event`, `Response` or `Action` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind<'a> {
    Event(&'a str),
    Response(&'a str),
    Action(&'a str),
    Other,
}

impl Message {
    /// A message from its fields, in order (for tests, replay servers and actions).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Message {
        let mut m = Message::default();
        for (k, v) in pairs {
            m.push_field(k, v);
        }
        m
    }

    fn push_field(&mut self, key: &str, value: &str) {
        let k = self.text.len()..self.text.len() + key.len();
        self.text.push_str(key);
        let v = self.text.len()..self.text.len() + value.len();
        self.text.push_str(value);
        self.fields.push((k, v));
    }

    fn push_output(&mut self, line: &str) {
        let start = self.output.as_ref().map_or(self.text.len(), |r| r.start);
        self.text.push_str(line);
        self.output = Some(start..self.text.len());
    }

    /// Fields in wire order.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(k, v)| (&self.text[k.clone()], &self.text[v.clone()]))
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.output.is_none()
    }

    /// The first value of `key` (any case).
    pub fn get(&self, key: &str) -> Option<&str> {
        let kb = key.as_bytes();
        self.fields
            .iter()
            .find(|(k, _)| self.text.as_bytes()[k.clone()].eq_ignore_ascii_case(kb))
            .map(|(_, v)| &self.text[v.clone()])
    }

    /// Every value of `key` (any case), in order.
    pub fn get_all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields().filter(move |(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v)
    }

    /// The output of a `Response: Follows`, without its `--END COMMAND--` marker.
    pub fn output(&self) -> Option<&str> {
        self.output.as_ref().map(|r| &self.text[r.clone()])
    }

    pub fn kind(&self) -> MessageKind<'_> {
        for (k, v) in self.fields() {
            if k.eq_ignore_ascii_case("Event") {
                return MessageKind::Event(v);
            } else if k.eq_ignore_ascii_case("Response") {
                return MessageKind::Response(v);
            } else if k.eq_ignore_ascii_case("Action") {
                return MessageKind::Action(v);
            }
        }
        MessageKind::Other
    }

    /// The message as Asterisk would send it (`\r\n` line ends, a blank line at the end).
    pub fn to_wire(&self) -> String {
        let mut s = String::with_capacity(self.text.len() + 4 * self.fields.len() + 24);
        for (k, v) in self.fields() {
            s.push_str(k);
            s.push_str(": ");
            s.push_str(v);
            s.push_str("\r\n");
        }
        if let Some(out) = self.output() {
            s.push_str(out);
            s.push_str("--END COMMAND--\r\n");
        }
        s.push_str("\r\n");
        s
    }
}

/// The incremental reader; see the module documentation.
#[derive(Debug, Default)]
pub struct FrameReader {
    buf: Vec<u8>,
    /// First byte not yet consumed.
    pos: usize,
    /// Bytes from `pos` already searched for a line end.
    scanned: usize,
    asm: Assembler,
}

#[derive(Debug, Default)]
struct Assembler {
    limits: Limits,
    cur: Option<Building>,
    /// Skipping the rest of an oversized message, up to its blank line.
    discarding: bool,
    stats: FrameStats,
}

#[derive(Debug, Default)]
struct Building {
    msg: Message,
    /// The message's first `Event`, `Response` or `Action` header.
    head: Option<Head>,
    /// `Response: Follows`: free-form output may follow the headers.
    follows: bool,
    in_output: bool,
}

/// The header that says what a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Head {
    /// `may_carry_response`: events with a `Response` field of their own (`OriginateResponse`,
    /// `ChallengeResponseFailed`) or any field a client chose (`UserEvent`, which also echoes `Action`).
    Event {
        may_carry_response: bool,
    },
    Response,
    Action,
}

impl Head {
    fn of(key: &str, value: &str) -> Option<Head> {
        if key.eq_ignore_ascii_case("Event") {
            let may_carry_response = ["OriginateResponse", "ChallengeResponseFailed", "UserEvent"]
                .iter()
                .any(|n| value.eq_ignore_ascii_case(n));
            Some(Head::Event { may_carry_response })
        } else if key.eq_ignore_ascii_case("Response") {
            Some(Head::Response)
        } else if key.eq_ignore_ascii_case("Action") {
            Some(Head::Action)
        } else {
            None
        }
    }

    /// Whether `next`, met inside a message headed `self`, must be the start of another message whose blank line
    /// was lost. An event may carry `Action` (UserEvent echoes it) and a few carry `Response`; nothing carries a
    /// second `Event`.
    fn ends_at(self, next: Head) -> bool {
        match (self, next) {
            (_, Head::Event { .. }) => true,
            (Head::Event { may_carry_response }, Head::Response) => !may_carry_response,
            (Head::Event { .. }, Head::Action) => false,
            (Head::Response | Head::Action, _) => true,
        }
    }
}

impl Building {
    /// Sized for a typical Asterisk 13+ channel event (20-odd fields, 500-odd bytes), so most never reallocate.
    fn new() -> Building {
        Building {
            msg: Message { text: String::with_capacity(768), fields: Vec::with_capacity(32), output: None },
            ..Building::default()
        }
    }
}

enum Step {
    Nothing,
    Emit(Frame),
    /// Emit, then read the same line again as the start of the next message.
    EmitRetry(Frame),
    TooLarge,
}

const BANNER: &str = "Asterisk Call Manager/";
const END_COMMAND: &str = "--END COMMAND--";

impl FrameReader {
    pub fn new(limits: Limits) -> FrameReader {
        FrameReader { asm: Assembler { limits, ..Assembler::default() }, ..FrameReader::default() }
    }

    /// Add bytes read from the socket.
    pub fn push(&mut self, data: &[u8]) {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(data);
        self.asm.stats.bytes += data.len() as u64;
    }

    pub fn stats(&self) -> FrameStats {
        self.asm.stats
    }

    /// Bytes held for a message not yet complete (bounded by the limits).
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.pos + self.asm.cur.as_ref().map_or(0, |b| b.msg.text.len())
    }

    /// The next complete frame, `Ok(None)` when more bytes are needed. After an error the reader has skipped the
    /// offending message; keep calling.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, FrameError> {
        loop {
            let from = self.pos + self.scanned;
            let Some(i) = memchr::memchr(b'\n', &self.buf[from..]) else {
                self.scanned = self.buf.len() - self.pos;
                return self.check_partial();
            };
            let start = self.pos;
            let end = from + i;
            self.pos = end + 1;
            self.scanned = 0;
            match self.asm.line(&self.buf[start..end]) {
                Step::Nothing => {}
                Step::Emit(f) => return Ok(Some(f)),
                Step::EmitRetry(f) => {
                    self.pos = start;
                    return Ok(Some(f));
                }
                Step::TooLarge => return Err(self.asm.too_large()),
            }
        }
    }

    /// No line end in the buffer: make sure the partial line cannot grow past the limit.
    fn check_partial(&mut self) -> Result<Option<Frame>, FrameError> {
        let limit = self.asm.limits.max_message_bytes;
        let partial = self.buf.len() - self.pos;
        let held = partial + self.asm.cur.as_ref().map_or(0, |b| b.msg.text.len());
        if self.asm.discarding {
            if partial > limit {
                self.pos = self.buf.len();
                self.scanned = 0;
            }
            return Ok(None);
        }
        if held > limit {
            self.pos = self.buf.len();
            self.scanned = 0;
            return Err(self.asm.too_large());
        }
        Ok(None)
    }
}

impl Assembler {
    fn too_large(&mut self) -> FrameError {
        self.cur = None;
        self.discarding = true;
        self.stats.oversized += 1;
        FrameError::TooLarge { limit: self.limits.max_message_bytes, fields: self.limits.max_fields }
    }

    fn finish(&mut self) -> Frame {
        self.stats.messages += 1;
        Frame::Message(self.cur.take().map(|b| b.msg).unwrap_or_default())
    }

    fn line(&mut self, raw: &[u8]) -> Step {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        // One UTF-8 check per line; AMI is ASCII in practice, and anything else is kept, repaired, not refused.
        let line: Cow<'_, str> = String::from_utf8_lossy(raw);
        let line: &str = &line;
        let blank = line.bytes().all(|b| b.is_ascii_whitespace());
        if self.discarding {
            if blank {
                self.discarding = false;
            }
            return Step::Nothing;
        }
        if self.cur.as_ref().is_some_and(|b| b.in_output) {
            return self.output_line(line);
        }
        if blank {
            return if self.cur.is_some() { Step::Emit(self.finish()) } else { Step::Nothing };
        }
        let Some((key, value)) = split_header(line) else {
            if self.cur.as_ref().is_some_and(|b| b.follows) {
                if let Some(b) = self.cur.as_mut() {
                    b.in_output = true;
                }
                return self.output_line(line);
            }
            if self.cur.is_none() && line.starts_with(BANNER) {
                self.stats.banners += 1;
                return Step::Emit(Frame::Banner(line.trim_ascii().to_string()));
            }
            self.stats.stray_lines += 1;
            return Step::Nothing;
        };
        let head = Head::of(key, value);
        if let (Some(new), Some(b)) = (head, self.cur.as_ref())
            && b.head.is_some_and(|cur| cur.ends_at(new))
        {
            self.stats.run_together += 1;
            return Step::EmitRetry(self.finish());
        }
        let limits = self.limits;
        let b = self.cur.get_or_insert_with(Building::new);
        if b.msg.text.len() + line.len() > limits.max_message_bytes || b.msg.fields.len() >= limits.max_fields {
            return Step::TooLarge;
        }
        if b.head.is_none() && head.is_some() {
            b.head = head;
            b.follows = key.eq_ignore_ascii_case("Response") && value.eq_ignore_ascii_case("Follows");
        }
        b.msg.push_field(key, value);
        Step::Nothing
    }

    /// A line of `Response: Follows` output; the marker line ends the message.
    fn output_line(&mut self, line: &str) -> Step {
        let max = self.limits.max_message_bytes;
        let Some(b) = self.cur.as_mut() else { return Step::Nothing };
        if b.msg.text.len() + line.len() + 1 > max {
            return Step::TooLarge;
        }
        match line.find(END_COMMAND) {
            Some(at) => {
                let before = &line[..at];
                if !before.is_empty() {
                    b.msg.push_output(before);
                }
                if b.msg.output.is_none() {
                    b.msg.push_output("");
                }
                Step::Emit(self.finish())
            }
            None => {
                b.msg.push_output(line);
                b.msg.push_output("\n");
                Step::Nothing
            }
        }
    }
}

/// `Key: Value` with a key free of spaces; the value trimmed. `None` for anything else.
fn split_header(line: &str) -> Option<(&str, &str)> {
    let (key, value) = line.split_once(':')?;
    if key.is_empty() || key.bytes().any(|b| b.is_ascii_whitespace()) {
        return None;
    }
    Some((key, value.trim_ascii()))
}
