//! WebSocket client shared by the console and `tail`: connects, authenticates, receives snapshot + events, checks
//! sequence numbers, reconnects with backoff. No TUI in here.
//!
//! The interface between a client task and its user (the console's event loop, `tail`) is two channels:
//! [`Update`]s come out, [`Outgoing`] commands go in. [`spawn`] starts a client task; [`Mirror`] applies updates
//! to a mirror [`Floor`].

mod connect;
pub mod ingest;
pub mod seq;
mod session;
pub mod tail;
pub mod tls;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::model::{Query, Record, TicketId, TicketRecord};

use anyhow::{Context, Result, bail};
use tokio::sync::mpsc;

pub use tls::ClientTls;

use crate::model::{
    Call, CallId, CallState, Command, ErrorCode, Event, EventKind, Floor, FloorIdentity, FloorMetrics, Role, Time,
};

/// Connection state, as the console's header shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum ConnState {
    /// Dialling, the `attempt`-th time since the last good connection (1 = first).
    Connecting { attempt: u32 },
    /// Authenticated and receiving.
    Connected,
    /// Lost; the client retries in `retry_in_ms`.
    Disconnected { reason: String, retry_in_ms: u64 },
    /// Refused for good (wrong token, unsupported protocol): the client stopped retrying.
    Failed { reason: String },
}

/// What a client task tells its user.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    Connection(ConnState),
    /// The server accepted the token.
    Welcome {
        role: Role,
        server: String,
        user: String,
        /// Which floor the server serves (None from a server older than the field).
        floor: Option<FloorIdentity>,
    },
    /// A full floor: replace the mirror with it. `seq` equals `floor.seq`.
    Snapshot {
        seq: u64,
        floor: Box<Floor>,
    },
    /// Events `from_seq`, `from_seq + 1`, ... in order, contiguous with what came before (the client checks; on a gap
    /// it resyncs and sends a new Snapshot instead).
    Events {
        from_seq: u64,
        events: Vec<Event>,
    },
    Metrics(Box<FloorMetrics>),
    Ack {
        id: String,
    },
    /// The answer to a query (a finished call or a ticket's whole history, from the engine's store).
    Record {
        id: String,
        record: Record,
    },
    Error {
        id: Option<String>,
        code: ErrorCode,
        message: String,
    },
}

/// A command to send, with the client-chosen id its ack or error will carry.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub id: String,
    pub request: Request,
}

/// What a client asks of the engine: a command (answered by `ack` or `error`) or a query (answered by `record` or
/// `error`).
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Command(Command),
    Query(Query),
}

impl Outgoing {
    /// A command with the id its ack or error will carry.
    pub fn command(id: impl Into<String>, command: Command) -> Outgoing {
        Outgoing { id: id.into(), request: Request::Command(command) }
    }

    /// A query with the id its record or error will carry.
    pub fn query(id: impl Into<String>, query: Query) -> Outgoing {
        Outgoing { id: id.into(), request: Request::Query(query) }
    }

    /// The command, when this is one.
    pub fn as_command(&self) -> Option<&Command> {
        match &self.request {
            Request::Command(c) => Some(c),
            Request::Query(_) => None,
        }
    }

    /// What it asks, in a few words: the command's name or `query`.
    pub fn name(&self) -> &'static str {
        match &self.request {
            Request::Command(c) => c.name(),
            Request::Query(_) => "query",
        }
    }
}

/// Where the engine listens by default (`callfloor engine --listen`).
pub const DEFAULT_URL: &str = "ws://127.0.0.1:7300";
/// Environment variable a token may come from.
pub const TOKEN_ENV: &str = "CALLFLOOR_TOKEN";

/// How a client connects and retries.
#[derive(Clone)]
pub struct ClientConfig {
    /// `ws://host:port` of the engine, or `wss://host:port` for one serving TLS.
    pub url: String,
    pub token: String,
    /// What a `wss://` connection trusts (None: the public web's CAs, bundled).
    pub tls: Option<ClientTls>,
    /// First retry delay after a failure; it doubles with every failed attempt...
    pub backoff_initial: Duration,
    /// ...up to this. Each delay is drawn from [half, all] of it (jitter), so clients do not retry in step.
    pub backoff_max: Duration,
    /// Time to open the connection and get the welcome.
    pub connect_timeout: Duration,
    /// With no frame for this long (the engine sends metrics every second) the connection is taken as lost.
    pub silence_timeout: Duration,
    /// Updates buffered for the user; when the user falls behind, the client stops reading the socket and the
    /// engine sends it a fresh snapshot later.
    pub updates_capacity: usize,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("url", &self.url)
            .field("tls", &self.tls)
            .field("backoff_initial", &self.backoff_initial)
            .field("backoff_max", &self.backoff_max)
            .finish_non_exhaustive()
    }
}

impl ClientConfig {
    /// Defaults: retry after 250 ms doubling up to 10 s, 5 s to connect, 10 s of silence means lost.
    pub fn new(url: impl Into<String>, token: impl Into<String>) -> ClientConfig {
        ClientConfig {
            url: url.into(),
            token: token.into(),
            tls: None,
            backoff_initial: Duration::from_millis(250),
            backoff_max: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            silence_timeout: Duration::from_secs(10),
            updates_capacity: 256,
        }
    }

    /// The delay before retry number `attempt` (1 = the first retry), jittered with `unit` in [0, 1).
    pub fn backoff(&self, attempt: u32, unit: f64) -> Duration {
        let doublings = attempt.saturating_sub(1).min(30);
        let full = self.backoff_initial.saturating_mul(1u32 << doublings).min(self.backoff_max);
        full.mul_f64(0.5 + 0.5 * unit.clamp(0.0, 1.0))
    }
}

/// Starts a client task on the current tokio runtime. It runs until the returned receiver is dropped or the
/// engine refuses it for good ([`ConnState::Failed`], after which the receiver ends).
pub fn spawn(config: ClientConfig) -> (mpsc::Receiver<Update>, mpsc::Sender<Outgoing>) {
    let (up_tx, up_rx) = mpsc::channel(config.updates_capacity.max(1));
    let (out_tx, out_rx) = mpsc::channel(64);
    tokio::spawn(session::run(config, up_tx, out_rx));
    (up_rx, out_tx)
}

/// Finished calls a [`Mirror`] keeps (oldest dropped first).
pub const FINISHED_CAP: usize = 300;

/// Whole tickets (read from the engine's store) a mirror keeps.
pub const WHOLE_TICKETS_CAP: usize = 50;

/// The record of a call that left the floor, so a console can still show it.
#[derive(Debug, Clone, PartialEq)]
pub struct FinishedCall {
    /// The call as it was when it ended (transcript, rule hits, flags, sentiment, supervisors, agent, queue,
    /// times), its state set to `outcome`.
    pub call: Call,
    /// [`CallState::Ended`] or [`CallState::Abandoned`].
    pub outcome: CallState,
    /// Floor time it ended.
    pub ended: Time,
    /// The caller's satisfaction survey (1-5), once it came back.
    pub survey: Option<u8>,
}

/// A mirror of the engine's floor built from a client's updates, with the connection's state, the data's age and
/// the records of calls that finished while it watched.
#[derive(Debug, Clone)]
pub struct Mirror {
    pub floor: Floor,
    pub metrics: Option<FloorMetrics>,
    pub conn: ConnState,
    pub role: Option<Role>,
    pub user: Option<String>,
    pub server: Option<String>,
    /// Which floor the server serves, from its latest welcome.
    pub identity: Option<FloorIdentity>,
    /// Snapshots taken so far (1 after connecting; more after resyncs and reconnects).
    pub snapshots: u64,
    /// Calls that ended or were abandoned, oldest first, at most [`FINISHED_CAP`].
    pub finished: VecDeque<FinishedCall>,
    /// The floor the finished records belong to (the identity at the last snapshot).
    finished_of: Option<FloorIdentity>,
    /// Tickets read whole from the engine's store (every note and history entry), newest last, at most
    /// [`WHOLE_TICKETS_CAP`].
    pub whole_tickets: VecDeque<TicketRecord>,
    last_data: Option<Instant>,
}

impl Default for Mirror {
    fn default() -> Self {
        Mirror {
            floor: Floor::default(),
            metrics: None,
            conn: ConnState::Connecting { attempt: 1 },
            role: None,
            user: None,
            server: None,
            identity: None,
            snapshots: 0,
            finished: VecDeque::new(),
            finished_of: None,
            whole_tickets: VecDeque::new(),
            last_data: None,
        }
    }
}

impl Mirror {
    /// Applies one update that arrived at wall time `now`. Events are applied with [`Floor::apply`], like on the
    /// engine; a call's record is kept when it ends. Pure: reads no clock.
    pub fn apply(&mut self, update: &Update, now: Instant) {
        match update {
            Update::Connection(c) => self.conn = c.clone(),
            Update::Welcome { role, server, user, floor } => {
                self.role = Some(*role);
                self.server = Some(server.clone());
                self.user = Some(user.clone());
                self.identity = floor.clone();
            }
            Update::Snapshot { floor, .. } => {
                // The records of finished calls belong to one floor: a restarted engine's snapshot drops them.
                if self.finished_of != self.identity {
                    self.finished.clear();
                    self.finished_of = self.identity.clone();
                }
                self.floor = (**floor).clone();
                self.snapshots += 1;
                self.last_data = Some(now);
            }
            Update::Events { events, .. } => {
                for ev in events {
                    self.keep_finished(ev);
                    self.floor.apply(ev);
                }
                self.last_data = Some(now);
            }
            Update::Metrics(m) => {
                self.metrics = Some((**m).clone());
                self.last_data = Some(now);
            }
            Update::Record { record: Record::Call(c), .. } => {
                // A call read back from the store, as if the mirror had seen it end.
                if self.finished_call(c.id).is_none() {
                    let call = c.to_call();
                    let outcome = call.state;
                    self.finished.push_back(FinishedCall { call, outcome, ended: c.ended, survey: None });
                    while self.finished.len() > FINISHED_CAP {
                        self.finished.pop_front();
                    }
                }
            }
            Update::Record { record: Record::Ticket(t), .. } => {
                self.whole_tickets.retain(|w| w.ticket.id != t.ticket.id);
                self.whole_tickets.push_back((**t).clone());
                while self.whole_tickets.len() > WHOLE_TICKETS_CAP {
                    self.whole_tickets.pop_front();
                }
            }
            // A knowledge search's answer is the console's to show; the mirror keeps nothing of it.
            Update::Record { record: Record::Kb(_), .. } => {}
            Update::Ack { .. } | Update::Error { .. } => {}
        }
    }

    /// Before `ev` is applied: copies a call that is about to leave the floor, or records its survey.
    fn keep_finished(&mut self, ev: &Event) {
        let (call, outcome) = match &ev.kind {
            EventKind::CallEnded { call } => (call, CallState::Ended),
            EventKind::CallAbandoned { call } => (call, CallState::Abandoned),
            EventKind::SurveyAnswered { call, score } => {
                if let Some(f) = self.finished.iter_mut().rev().find(|f| f.call.id == *call) {
                    f.survey = Some(*score);
                }
                return;
            }
            _ => return,
        };
        let Some(c) = self.floor.calls.get(call) else { return };
        let mut call = c.clone();
        call.state = outcome;
        self.finished.push_back(FinishedCall { call, outcome, ended: ev.at, survey: None });
        while self.finished.len() > FINISHED_CAP {
            self.finished.pop_front();
        }
    }

    /// A ticket read whole from the engine's store, if one was asked for.
    pub fn whole_ticket(&self, id: TicketId) -> Option<&TicketRecord> {
        self.whole_tickets.iter().rev().find(|t| t.ticket.id == id)
    }

    /// The record of a finished call, if the mirror saw it end (newest record first).
    pub fn finished_call(&self, id: CallId) -> Option<&FinishedCall> {
        self.finished.iter().rev().find(|f| f.call.id == id)
    }

    /// Seq of the next event the mirror expects.
    pub fn seq(&self) -> u64 {
        self.floor.seq
    }

    /// Wall time since the last snapshot, events or metrics arrived (None before any).
    pub fn data_age(&self) -> Option<Duration> {
        self.last_data.map(|t| t.elapsed())
    }

    /// Wall time from the last snapshot, events or metrics to `now` (None before any).
    pub fn data_age_at(&self, now: Instant) -> Option<Duration> {
        self.last_data.map(|t| now.saturating_duration_since(t))
    }

    /// Connected and holding a floor.
    pub fn is_live(&self) -> bool {
        self.conn == ConnState::Connected && self.snapshots > 0
    }
}

/// Where to connect and with which token, as command-line flags (shared by `console` and `tail`).
#[derive(Debug, Clone, clap::Args)]
pub struct ConnectArgs {
    /// WebSocket URL of the engine.
    #[arg(long, default_value = DEFAULT_URL)]
    pub url: String,
    /// Access token. Every user of this machine can read a command line: prefer the CALLFLOOR_TOKEN environment
    /// variable or --token-file.
    #[arg(long, conflicts_with = "token_file")]
    pub token: Option<String>,
    /// A file whose first line is the access token.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// CA certificate(s), PEM, to trust for a wss:// engine instead of the bundled public roots.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
}

impl ConnectArgs {
    /// The client configuration these flags (and `CALLFLOOR_TOKEN`) describe.
    pub fn to_config(&self) -> Result<ClientConfig> {
        check_url(&self.url)?;
        let token = resolve_token(self.token.as_deref(), self.token_file.as_deref(), std::env::var(TOKEN_ENV).ok())?;
        client_config(&self.url, token, self.ca.as_deref())
    }
}

/// A client configuration for `url` with `token`, trusting the CA certificates in `ca` (`--ca FILE`) for a
/// `wss://` URL. Fails, in one sentence, on a URL that is not `ws://` or `wss://`, on `--ca` with a `ws://` URL
/// (the user thinks the link is encrypted; it would not be), and on a CA file that cannot be read or used.
pub fn client_config(url: &str, token: String, ca: Option<&Path>) -> Result<ClientConfig> {
    check_url(url)?;
    let mut config = ClientConfig::new(url, token);
    if let Some(ca) = ca {
        if !url.starts_with("wss://") {
            bail!(
                "--ca {} is for wss:// URLs, but {url} is plain WebSocket (not encrypted): connect to the engine's wss:// URL, or drop --ca",
                ca.display()
            );
        }
        config.tls = Some(ClientTls::from_ca_file(ca)?);
    }
    Ok(config)
}

/// The token to use: `--token`, else the first line of `--token-file`, else `CALLFLOOR_TOKEN`.
pub fn resolve_token(flag: Option<&str>, file: Option<&Path>, env: Option<String>) -> Result<String> {
    if let Some(t) = flag {
        let t = t.trim();
        if t.is_empty() {
            bail!("--token is empty: give the token the engine printed, or use CALLFLOOR_TOKEN");
        }
        return Ok(t.to_string());
    }
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the token file {} given to --token-file", path.display()))?;
        let t = text.lines().next().unwrap_or("").trim();
        if t.is_empty() {
            bail!("the token file {} is empty: its first line must be the token", path.display());
        }
        return Ok(t.to_string());
    }
    if let Some(t) = env {
        let t = t.trim();
        if !t.is_empty() {
            return Ok(t.to_string());
        }
    }
    bail!(
        "no token: give --token, set {TOKEN_ENV}, or point --token-file at a file holding it (a loopback engine prints one when it starts)"
    )
}

/// Checks that `url` is a `ws://` or `wss://` URL with a host.
pub fn check_url(url: &str) -> Result<()> {
    let Some(rest) = url.strip_prefix("ws://").or_else(|| url.strip_prefix("wss://")) else {
        bail!(
            "'{url}' is not a WebSocket URL: write it like ws://127.0.0.1:7300 (or wss://HOST:7300 for an engine serving TLS)"
        );
    };
    if rest.is_empty() || rest.starts_with('/') {
        bail!("'{url}' names no host: write it like ws://127.0.0.1:7300");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Lang, Speaker};

    fn at(secs: i64) -> Time {
        chrono::DateTime::UNIX_EPOCH + chrono::Duration::seconds(1_767_600_000 + secs)
    }

    fn identity(id: &str) -> FloorIdentity {
        FloorIdentity { id: id.into(), started: at(0) }
    }

    fn welcome(floor: Option<FloorIdentity>) -> Update {
        Update::Welcome { role: Role::Supervisor, server: "test".into(), user: "sue".into(), floor }
    }

    fn snapshot(m: &Mirror) -> Update {
        Update::Snapshot { seq: m.floor.seq, floor: Box::new(m.floor.clone()) }
    }

    fn events(m: &Mirror, kinds: Vec<(i64, EventKind)>) -> Update {
        let events = kinds.into_iter().map(|(s, kind)| Event { at: at(s), kind }).collect();
        Update::Events { from_seq: m.floor.seq, events }
    }

    fn arrived(n: u32) -> EventKind {
        EventKind::CallArrived {
            call: CallId(n),
            caller: "555-0100".into(),
            lang: Lang::En,
            intent: "card".into(),
            dialect: None,
            elderly: false,
        }
    }

    /// A mirror connected to floor `id`, holding its (empty) snapshot.
    fn connected(id: &str, now: Instant) -> Mirror {
        let mut m = Mirror::default();
        m.apply(&welcome(Some(identity(id))), now);
        let snap = snapshot(&m);
        m.apply(&snap, now);
        m
    }

    #[test]
    fn the_data_age_comes_from_the_instant_given_not_a_clock() {
        let t0 = Instant::now();
        let mut m = Mirror::default();
        assert_eq!(m.data_age_at(t0), None, "no data yet");
        let snap = snapshot(&m);
        m.apply(&snap, t0);
        assert_eq!(m.data_age_at(t0 + Duration::from_secs(5)), Some(Duration::from_secs(5)));
        let later = t0 + Duration::from_secs(7);
        let ev = events(&m, vec![(1, EventKind::Tick)]);
        m.apply(&ev, later);
        assert_eq!(m.data_age_at(later + Duration::from_secs(2)), Some(Duration::from_secs(2)));
        // Connection news is not data.
        m.apply(&Update::Connection(ConnState::Connected), later + Duration::from_secs(60));
        assert_eq!(m.data_age_at(later + Duration::from_secs(60)), Some(Duration::from_secs(60)));
    }

    #[test]
    fn a_finished_call_keeps_its_record_and_later_its_survey() {
        let now = Instant::now();
        let mut m = connected("aaaaaaaaaaaaaaaa", now);
        assert_eq!(m.identity.as_ref().map(|i| i.id.as_str()), Some("aaaaaaaaaaaaaaaa"));
        let said = EventKind::Utterance {
            call: CallId(1),
            speaker: Speaker::Supervisor,
            text: "I am the duty supervisor".into(),
            sentiment: 0.3,
            emotion: None,
            whisper: false,
            by: Some("sue".into()),
        };
        let flagged = EventKind::RuleMatched {
            call: CallId(1),
            rule: "risk".into(),
            word: "lawyer".into(),
            actions: vec![],
            urgent: false,
            risk: true,
        };
        let batch = events(
            &m,
            vec![
                (1, arrived(1)),
                (2, arrived(2)),
                (3, said),
                (4, flagged),
                (5, EventKind::CallEnded { call: CallId(1) }),
                (6, EventKind::CallAbandoned { call: CallId(2) }),
            ],
        );
        m.apply(&batch, now);
        assert!(m.floor.calls.is_empty(), "both calls left the floor");
        let Some(f) = m.finished_call(CallId(1)) else { panic!("the ended call's record is kept") };
        assert_eq!((f.outcome, f.call.state, f.ended, f.survey), (CallState::Ended, CallState::Ended, at(5), None));
        assert_eq!(f.call.transcript.len(), 1);
        assert_eq!(f.call.transcript[0].by.as_deref(), Some("sue"));
        assert!(f.call.flags.risk && f.call.rule_hits.len() == 1, "rule hits and flags are kept");
        assert_eq!(m.finished_call(CallId(2)).map(|f| f.outcome), Some(CallState::Abandoned));
        assert_eq!(m.finished_call(CallId(3)), None);

        let survey = events(&m, vec![(9, EventKind::SurveyAnswered { call: CallId(1), score: 4 })]);
        m.apply(&survey, now);
        assert_eq!(m.finished_call(CallId(1)).and_then(|f| f.survey), Some(4));
        assert_eq!(m.finished_call(CallId(2)).and_then(|f| f.survey), None);
    }

    #[test]
    fn finished_records_are_capped_oldest_dropped() {
        let now = Instant::now();
        let mut m = connected("aaaaaaaaaaaaaaaa", now);
        let n = FINISHED_CAP as u32 + 5;
        for i in 0..n {
            let batch =
                events(&m, vec![(i64::from(i), arrived(i)), (i64::from(i), EventKind::CallEnded { call: CallId(i) })]);
            m.apply(&batch, now);
        }
        assert_eq!(m.finished.len(), FINISHED_CAP);
        assert_eq!(m.finished_call(CallId(4)), None, "the oldest records went first");
        assert!(m.finished_call(CallId(5)).is_some());
        assert_eq!(m.finished.back().map(|f| f.call.id), Some(CallId(n - 1)));
    }

    #[test]
    fn a_snapshot_of_the_same_floor_keeps_finished_records_and_another_floors_clears_them() {
        let now = Instant::now();
        let mut m = connected("aaaaaaaaaaaaaaaa", now);
        let batch = events(&m, vec![(1, arrived(1)), (2, EventKind::CallEnded { call: CallId(1) })]);
        m.apply(&batch, now);
        // A resync, and a reconnect to the same engine: the record stays.
        let snap = snapshot(&m);
        m.apply(&snap, now);
        m.apply(&welcome(Some(identity("aaaaaaaaaaaaaaaa"))), now);
        let snap = snapshot(&m);
        m.apply(&snap, now);
        assert!(m.finished_call(CallId(1)).is_some(), "same floor: the record is kept");
        // The engine restarted: a new floor, whose C-1 is another call.
        m.apply(&welcome(Some(identity("bbbbbbbbbbbbbbbb"))), now);
        let snap = snapshot(&m);
        m.apply(&snap, now);
        assert_eq!(m.finished_call(CallId(1)), None, "another floor: the records are dropped");
        assert_eq!(m.identity.map(|i| i.id), Some("bbbbbbbbbbbbbbbb".to_string()));
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter() {
        let c = ClientConfig::new("ws://x:1", "t");
        assert_eq!(c.backoff(1, 1.0), Duration::from_millis(250));
        assert_eq!(c.backoff(1, 0.0), Duration::from_millis(125));
        assert_eq!(c.backoff(3, 1.0), Duration::from_millis(1000));
        assert_eq!(c.backoff(30, 1.0), Duration::from_secs(10));
        assert_eq!(c.backoff(u32::MAX, 0.0), Duration::from_secs(5));
    }

    #[test]
    fn token_comes_from_flag_then_file_then_env() {
        let dir = std::env::temp_dir().join(format!("callfloor-token-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let file = dir.join("token");
        assert!(std::fs::write(&file, "from-file\nsecond line\n").is_ok());
        let env = || Some("from-env".to_string());
        assert_eq!(resolve_token(Some("from-flag"), Some(&file), env()).ok().as_deref(), Some("from-flag"));
        assert_eq!(resolve_token(None, Some(&file), env()).ok().as_deref(), Some("from-file"));
        assert_eq!(resolve_token(None, None, env()).ok().as_deref(), Some("from-env"));
        let none = resolve_token(None, None, None).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(none.contains("CALLFLOOR_TOKEN"), "{none}");
        let missing =
            resolve_token(None, Some(&dir.join("nope")), None).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(missing.contains("--token-file"), "{missing}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn urls_are_checked() {
        assert!(check_url("ws://127.0.0.1:7300").is_ok());
        assert!(check_url("wss://example.com:7300").is_ok());
        assert!(check_url("wss://").is_err());
        assert!(check_url("http://127.0.0.1:7300").is_err());
        assert!(check_url("ws://").is_err());
    }
}
