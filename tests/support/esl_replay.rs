//! A FreeSWITCH event socket replay server for tests and the ESL bench: it speaks the real wire format over TCP on
//! 127.0.0.1 — `Content-Type: auth/request`, `auth <password>` → `command/reply` `+OK accepted`, `event plain …` →
//! `+OK event listener enabled plain`, `api …` → `api/response` with its Content-Length, `bgapi …` → `+OK Job-UUID`
//! then a `BACKGROUND_JOB` event, events as `text/event-plain` with Content-Length and URL-encoded values — answers
//! commands as scripted, and records every command it reads, per connection.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// How the server answers one `api`/`bgapi` command.
#[derive(Debug, Clone)]
pub enum Answer {
    /// The api/response body (`+OK\n`, `-ERR Queue not found!\n`, a table); for `bgapi`, the BACKGROUND_JOB body.
    Body(String),
    /// No answer: half of an event frame, then the link is cut.
    CutMidFrame,
}

/// One connection's script.
#[derive(Debug, Clone, Default)]
pub struct Conn {
    /// The password `auth` must carry; anything else is refused (`-ERR invalid`) and the link closed.
    pub password: String,
    /// (prefix of the command after `api `/`bgapi `, answer); the first match answers; no match is `+OK\n`.
    pub answers: Vec<(String, Answer)>,
    /// (prefix of a command, wire bytes): sent right after that command is answered (events, usually). Shared, so
    /// a bench can script many connections with one large stream.
    pub after: Vec<(String, Arc<Vec<u8>>)>,
}

impl Conn {
    pub fn new(password: &str) -> Conn {
        Conn { password: password.to_string(), ..Conn::default() }
    }

    pub fn answer(mut self, prefix: &str, body: &str) -> Conn {
        self.answers.push((prefix.to_string(), Answer::Body(body.to_string())));
        self
    }

    pub fn cut_on(mut self, prefix: &str) -> Conn {
        self.answers.push((prefix.to_string(), Answer::CutMidFrame));
        self
    }

    pub fn then_send(mut self, prefix: &str, bytes: impl Into<Arc<Vec<u8>>>) -> Conn {
        self.after.push((prefix.to_string(), bytes.into()));
        self
    }
}

/// A running replay server: one scripted [`Conn`] per accepted connection, in order; connections past the script
/// are closed at once.
pub struct Replay {
    pub addr: SocketAddr,
    log: Arc<Mutex<Vec<Vec<String>>>>,
    count: watch::Receiver<usize>,
}

impl Replay {
    pub async fn start(conns: Vec<Conn>) -> Replay {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let log: Arc<Mutex<Vec<Vec<String>>>> = Arc::new(Mutex::new(Vec::new()));
        let (count_tx, count) = watch::channel(0usize);
        let count_tx = Arc::new(count_tx);
        let server_log = log.clone();
        tokio::spawn(async move {
            let mut conns = conns.into_iter();
            loop {
                let Ok((sock, _)) = listener.accept().await else { return };
                let Some(script) = conns.next() else {
                    drop(sock);
                    continue;
                };
                let index = {
                    let mut l = server_log.lock().expect("log lock");
                    l.push(Vec::new());
                    l.len() - 1
                };
                tokio::spawn(serve(sock, script, server_log.clone(), index, count_tx.clone()));
            }
        });
        Replay { addr, log, count }
    }

    /// The commands read on connection `conn` (0-based), as sent (`api callcenter_config …`).
    pub fn commands(&self, conn: usize) -> Vec<String> {
        self.log.lock().expect("log lock").get(conn).cloned().unwrap_or_default()
    }

    pub fn connections(&self) -> usize {
        self.log.lock().expect("log lock").len()
    }

    /// Waits until `f(all commands so far)` holds (woken by each command the server reads; no polling).
    pub async fn wait_for(&self, what: &str, f: impl Fn(&[Vec<String>]) -> bool) {
        let mut count = self.count.clone();
        let wait = async {
            loop {
                if f(&self.log.lock().expect("log lock")) {
                    return;
                }
                if count.changed().await.is_err() {
                    return;
                }
            }
        };
        if tokio::time::timeout(std::time::Duration::from_secs(30), wait).await.is_err() {
            panic!("the replay server never saw {what}; it saw {:?}", self.log.lock().expect("log lock"));
        }
    }
}

async fn serve(
    mut sock: TcpStream,
    script: Conn,
    log: Arc<Mutex<Vec<Vec<String>>>>,
    index: usize,
    count: Arc<watch::Sender<usize>>,
) {
    if sock.write_all(b"Content-Type: auth/request\n\n").await.is_err() {
        return;
    }
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 4096];
    let mut jobs = 0u32;
    loop {
        // One command: everything up to a blank line.
        let cmd = loop {
            if let Some(end) = buf.windows(2).position(|w| w == b"\n\n") {
                let line = String::from_utf8_lossy(&buf[..end]).trim().to_string();
                buf.drain(..end + 2);
                break line;
            }
            match sock.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        log.lock().expect("log lock")[index].push(cmd.clone());
        count.send_modify(|c| *c += 1);
        let reply: Vec<u8> = if let Some(pw) = cmd.strip_prefix("auth ") {
            if pw != script.password {
                let _ = sock.write_all(&command_reply("-ERR invalid")).await;
                return;
            }
            command_reply("+OK accepted")
        } else if cmd.starts_with("event plain") {
            command_reply("+OK event listener enabled plain")
        } else if let Some(api) = cmd.strip_prefix("api ") {
            match answer(&script, api) {
                Answer::Body(body) => api_response(&body),
                Answer::CutMidFrame => return cut(sock).await,
            }
        } else if let Some(api) = cmd.strip_prefix("bgapi ") {
            match answer(&script, api) {
                Answer::Body(body) => {
                    jobs += 1;
                    let job = format!("job-{index}-{jobs}");
                    let mut r =
                        format!("Content-Type: command/reply\nReply-Text: +OK Job-UUID: {job}\nJob-UUID: {job}\n\n")
                            .into_bytes();
                    let name = api.split(' ').next().unwrap_or("");
                    r.extend(plain_event(
                        &[("Event-Name", "BACKGROUND_JOB"), ("Job-UUID", &job), ("Job-Command", name)],
                        Some(&body),
                    ));
                    r
                }
                Answer::CutMidFrame => return cut(sock).await,
            }
        } else {
            command_reply("-ERR command not found")
        };
        if sock.write_all(&reply).await.is_err() {
            return;
        }
        let rest = cmd.split_once(' ').map(|(_, r)| r).unwrap_or("");
        for (prefix, bytes) in &script.after {
            if rest.starts_with(prefix.as_str()) && sock.write_all(bytes.as_slice()).await.is_err() {
                return;
            }
        }
    }
}

fn answer(script: &Conn, cmd: &str) -> Answer {
    script
        .answers
        .iter()
        .find(|(p, _)| cmd.starts_with(p.as_str()))
        .map(|(_, a)| a.clone())
        .unwrap_or_else(|| Answer::Body("+OK\n".into()))
}

/// Half an event frame (its Content-Length promises more), then the link closes.
async fn cut(mut sock: TcpStream) {
    let frame = plain_event(
        &[("Event-Name", "CUSTOM"), ("Event-Subclass", "callcenter::info"), ("CC-Action", "members-count")],
        None,
    );
    let _ = sock.write_all(&frame[..frame.len() / 2]).await;
    let _ = sock.shutdown().await;
}

pub fn command_reply(text: &str) -> Vec<u8> {
    format!("Content-Type: command/reply\nReply-Text: {text}\n\n").into_bytes()
}

pub fn api_response(body: &str) -> Vec<u8> {
    format!("Content-Type: api/response\nContent-Length: {}\n\n{body}", body.len()).into_bytes()
}

/// FreeSWITCH's URL encoding of plain-event values: everything but ASCII letters, digits and `-_.~` as `%XX`.
pub fn url_encode(v: &str) -> String {
    let mut s = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

/// A `text/event-plain` frame: the event's headers with URL-encoded values (and its body, if any) inside a
/// Content-Length envelope, as mod_event_socket writes it.
pub fn plain_event(headers: &[(&str, &str)], body: Option<&str>) -> Vec<u8> {
    let mut inner = String::new();
    for (k, v) in headers {
        inner.push_str(k);
        inner.push_str(": ");
        inner.push_str(&url_encode(v));
        inner.push('\n');
    }
    match body {
        Some(b) => inner.push_str(&format!("Content-Length: {}\n\n{b}", b.len())),
        None => inner.push('\n'),
    }
    let mut out = format!("Content-Length: {}\nContent-Type: text/event-plain\n\n", inner.len()).into_bytes();
    out.extend_from_slice(inner.as_bytes());
    out
}

/// The plain events of a capture laid out as tests/fixtures/esl/*.txt are (each envelope, a blank line, the event's
/// already URL-encoded headers, a blank line), re-framed with Content-Lengths computed here; the capture's other
/// messages (auth, replies, api responses) are left out. Also returns how many events there were.
pub fn fixture_events(text: &str) -> (Vec<u8>, usize) {
    let text = text.replace("\r\n", "\n");
    let blocks: Vec<&str> = text.split("\n\n").collect();
    let (mut out, mut n) = (Vec::new(), 0);
    let mut i = 0;
    while i < blocks.len() {
        if blocks[i].lines().any(|l| l.trim() == "Content-Type: text/event-plain") && i + 1 < blocks.len() {
            let inner = format!("{}\n\n", blocks[i + 1].trim_matches('\n'));
            out.extend(format!("Content-Length: {}\nContent-Type: text/event-plain\n\n", inner.len()).into_bytes());
            out.extend(inner.into_bytes());
            n += 1;
            i += 2;
        } else {
            i += 1;
        }
    }
    (out, n)
}

/// The body of the capture's first `api/response` (up to and including its `+OK` line).
pub fn fixture_api_body(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let blocks: Vec<&str> = text.split("\n\n").collect();
    for (i, b) in blocks.iter().enumerate() {
        if b.lines().any(|l| l.trim() == "Content-Type: api/response")
            && let Some(body) = blocks.get(i + 1)
        {
            let end = body.find("\n+OK").map(|e| e + 4).unwrap_or(body.len());
            return format!("{}\n", &body[..end]);
        }
    }
    String::new()
}
