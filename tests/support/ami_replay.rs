//! A scripted Asterisk manager for tests, speaking the real AMI wire format over TCP on 127.0.0.1.
//!
//! Each accepted connection plays the next [`Script`] (the last one repeats): the `Asterisk Call Manager/5.0.1` banner;
//! `Login` answered Success only for the script's user and secret; `QueueStatus` answered with the script's snapshot
//! events (re-labelled with the request's `ActionID`) and then its live events; `Ping` answered `Pong`; any other
//! action answered as the script says ([`Answer`], Success by default). Every action received is recorded for the
//! test ([`AmiReplay::next_action`]); the test can also write raw bytes down the link and drop it
//! ([`AmiReplay::send_raw`], [`AmiReplay::drop_link`]), e.g. in the middle of a frame.
//!
//! Fixtures are split by a parser of its own here (blank-line blocks of `Key: Value` lines), not by the bridge's
//! framer, so the bridge is tested against an independent reading of the capture.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// How long a test waits for anything before it fails (a guard, never a synchronisation).
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// One AMI message: its fields in wire order.
pub type Block = Vec<(String, String)>;

/// An action the replay server received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action(pub Block);

impl Action {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str())
    }

    pub fn name(&self) -> &str {
        self.get("Action").unwrap_or_default()
    }

    /// Its fields without the `ActionID`, for exact comparisons.
    pub fn fields(&self) -> Vec<(&str, &str)> {
        self.0.iter().filter(|(k, _)| k != "ActionID").map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }
}

/// How the server answers an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Success,
    Error(String),
    /// No answer at all.
    Silent,
}

/// What one connection plays.
#[derive(Debug, Clone, Default)]
pub struct Script {
    pub user: String,
    pub secret: String,
    /// The QueueStatus reply's events (QueueParams, QueueMember, QueueEntry, QueueStatusComplete).
    pub snapshot: Vec<Block>,
    /// Events streamed right after the snapshot.
    pub live: Vec<Block>,
    /// The channels `CoreShowChannels` lists: (channel, uniqueid, linkedid).
    pub channels: Vec<(String, String, String)>,
    /// Answers by action name; unnamed actions get Success.
    pub answers: Vec<(String, Answer)>,
}

impl Script {
    /// A script playing a capture: its QueueStatus reply events as the snapshot, its other events as the live stream
    /// (responses and banners dropped: the server answers for itself).
    pub fn from_fixture(user: &str, secret: &str, text: &str) -> Script {
        let (snapshot, live) = split_fixture(text);
        Script { user: user.into(), secret: secret.into(), snapshot, live, channels: Vec::new(), answers: Vec::new() }
    }

    pub fn answer(mut self, action: &str, answer: Answer) -> Script {
        self.answers.push((action.to_string(), answer));
        self
    }

    /// Keeps the live events up to and including the first whose `Event` is `event` (the `nth`, from 1).
    pub fn live_until(mut self, event: &str, nth: usize) -> Script {
        let mut seen = 0;
        let end = self
            .live
            .iter()
            .position(|b| {
                seen += usize::from(field(b, "Event") == Some(event));
                seen == nth
            })
            .unwrap_or_else(|| panic!("no {event} #{nth} in the script's live events"));
        self.live.truncate(end + 1);
        self
    }
}

pub fn field<'a>(b: &'a Block, key: &str) -> Option<&'a str> {
    b.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str())
}

/// Reads a capture into blocks and sorts them: events carrying an `ActionID` (the QueueStatus reply) and the rest.
pub fn split_fixture(text: &str) -> (Vec<Block>, Vec<Block>) {
    let text = text.replace("\r\n", "\n");
    let (mut snapshot, mut live) = (Vec::new(), Vec::new());
    for chunk in text.split("\n\n") {
        let block: Block = chunk
            .lines()
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim_start().to_string()))
            .collect();
        if field(&block, "Event").is_none() {
            continue;
        }
        if field(&block, "ActionID").is_some() { snapshot.push(block) } else { live.push(block) }
    }
    (snapshot, live)
}

/// The wire text of a block.
pub fn wire(b: &Block) -> String {
    let mut s = String::new();
    for (k, v) in b {
        s.push_str(&format!("{k}: {v}\r\n"));
    }
    s.push_str("\r\n");
    s
}

enum Control {
    Send(String),
    Drop,
}

/// The running server; dropping it leaves the listener task to end with the runtime.
pub struct AmiReplay {
    pub addr: SocketAddr,
    actions: mpsc::UnboundedReceiver<Action>,
    control: mpsc::UnboundedSender<Control>,
    connections: Arc<AtomicUsize>,
}

impl AmiReplay {
    pub async fn start(scripts: Vec<Script>) -> AmiReplay {
        assert!(!scripts.is_empty(), "a replay needs a script");
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("bind 127.0.0.1:0: {e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("local_addr: {e}"));
        let (act_tx, act_rx) = mpsc::unbounded_channel();
        let (ctl_tx, mut ctl_rx) = mpsc::unbounded_channel();
        let connections = Arc::new(AtomicUsize::new(0));
        let count = connections.clone();
        tokio::spawn(async move {
            let mut n = 0;
            while let Ok((sock, _)) = listener.accept().await {
                let script = &scripts[n.min(scripts.len() - 1)];
                n += 1;
                count.store(n, Ordering::SeqCst);
                serve(sock, script, &act_tx, &mut ctl_rx).await;
            }
        });
        AmiReplay { addr, actions: act_rx, control: ctl_tx, connections }
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// The next action received other than a Ping.
    pub async fn next_action(&mut self) -> Action {
        loop {
            let a = tokio::time::timeout(TIMEOUT, self.actions.recv())
                .await
                .unwrap_or_else(|_| panic!("no action reached the replay server within {TIMEOUT:?}"))
                .unwrap_or_else(|| panic!("the replay server stopped"));
            if a.name() != "Ping" {
                return a;
            }
        }
    }

    /// Actions received and not yet taken, Pings left out (call when nothing more is in flight).
    pub fn drain_actions(&mut self) -> Vec<Action> {
        let mut out = Vec::new();
        while let Ok(a) = self.actions.try_recv() {
            if a.name() != "Ping" {
                out.push(a);
            }
        }
        out
    }

    /// Writes raw text down the current link (after what the script has sent).
    pub fn send_raw(&self, text: &str) {
        let _ = self.control.send(Control::Send(text.to_string()));
    }

    /// Closes the current link (after anything sent before).
    pub fn drop_link(&self) {
        let _ = self.control.send(Control::Drop);
    }
}

async fn serve(
    mut sock: TcpStream,
    script: &Script,
    actions: &mpsc::UnboundedSender<Action>,
    control: &mut mpsc::UnboundedReceiver<Control>,
) {
    if sock.write_all(b"Asterisk Call Manager/5.0.1\r\n").await.is_err() {
        return;
    }
    let mut inbox = String::new();
    let mut buf = [0u8; 4096];
    loop {
        tokio::select! {
            n = sock.read(&mut buf) => {
                let n = match n { Ok(0) | Err(_) => return, Ok(n) => n };
                inbox.push_str(&String::from_utf8_lossy(&buf[..n]));
                while let Some(end) = inbox.find("\r\n\r\n") {
                    let text: String = inbox.drain(..end + 4).collect();
                    let action = Action(
                        text.lines()
                            .filter_map(|l| l.split_once(':'))
                            .map(|(k, v)| (k.trim().to_string(), v.trim_start().to_string()))
                            .collect(),
                    );
                    let reply = answer(script, &action);
                    let _ = actions.send(action);
                    if !reply.is_empty() && sock.write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                }
            }
            c = control.recv() => match c {
                Some(Control::Send(text)) => {
                    if sock.write_all(text.as_bytes()).await.is_err() {
                        return;
                    }
                }
                Some(Control::Drop) | None => return,
            },
        }
    }
}

fn response(id: &str, ok: bool, message: &str) -> String {
    let status = if ok { "Success" } else { "Error" };
    format!("Response: {status}\r\nActionID: {id}\r\nMessage: {message}\r\n\r\n")
}

/// What the server writes back for one action.
fn answer(script: &Script, action: &Action) -> String {
    let id = action.get("ActionID").unwrap_or_default();
    match action.name() {
        "Login" => {
            let ok = action.get("Username") == Some(script.user.as_str())
                && action.get("Secret") == Some(script.secret.as_str());
            response(id, ok, if ok { "Authentication accepted" } else { "Authentication failed" })
        }
        "QueueStatus" => {
            let mut out = format!(
                "Response: Success\r\nActionID: {id}\r\nEventList: start\r\nMessage: Queue status will follow\r\n\r\n"
            );
            for b in &script.snapshot {
                let relabelled: Block = b
                    .iter()
                    .map(|(k, v)| {
                        (k.clone(), if k.eq_ignore_ascii_case("ActionID") { id.to_string() } else { v.clone() })
                    })
                    .collect();
                out.push_str(&wire(&relabelled));
            }
            for b in &script.live {
                out.push_str(&wire(b));
            }
            out
        }
        "CoreShowChannels" if !script.answers.iter().any(|(a, _)| a == "CoreShowChannels") => {
            let mut out = format!(
                "Response: Success\r\nActionID: {id}\r\nEventList: start\r\nMessage: Channels will follow\r\n\r\n"
            );
            for (channel, uniqueid, linkedid) in &script.channels {
                out.push_str(&format!(
                    "Event: CoreShowChannel\r\nActionID: {id}\r\nChannel: {channel}\r\nUniqueid: {uniqueid}\r\n\
                     Linkedid: {linkedid}\r\nApplication: Queue\r\n\r\n"
                ));
            }
            out.push_str(&format!(
                "Event: CoreShowChannelsComplete\r\nActionID: {id}\r\nEventList: Complete\r\nListItems: {}\r\n\r\n",
                script.channels.len()
            ));
            out
        }
        "Ping" if !script.answers.iter().any(|(a, _)| a == "Ping") => {
            format!("Response: Success\r\nActionID: {id}\r\nPing: Pong\r\nTimestamp: 1765020000.000000\r\n\r\n")
        }
        name => match script.answers.iter().find(|(a, _)| a == name).map(|(_, ans)| ans) {
            None | Some(Answer::Success) => response(id, true, "Success"),
            Some(Answer::Error(msg)) => response(id, false, msg),
            Some(Answer::Silent) => String::new(),
        },
    }
}
