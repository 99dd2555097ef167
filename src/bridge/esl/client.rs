//! The ESL link: connect and authenticate (the password never reaches a log), subscribe, read the snapshot, then
//! map live events and carry out actions until the link drops; then reconnect with capped backoff and a fresh
//! snapshot. Actions still waiting for FreeSWITCH when the link drops are answered with a sentence saying so.
//!
//! The socket is ours (tokio `TcpStream`), framed by [`super::frame::FrameReader`]. mod_event_socket answers the
//! commands of one connection in the order they were sent, so a reply (`command/reply`, `api/response`) goes to the
//! oldest command still waiting; events may come between them. Reading is backpressured: the link reads the socket
//! only as fast as it maps what it read, so nothing is dropped for want of a queue.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};

use super::command::{Plan, Step, plan, refused};
use super::frame::{FrameReader, FrameStats, Kind, Limits};
use super::map::{Mapper, QueueTables};
use super::{EslConfig, SUBSCRIPTION};
use crate::bridge::{ActionRequest, BridgeEnds, Observation, Roster, SourceStatus};

/// Bytes asked of the socket per read: a few hundred plain events.
const READ_SIZE: usize = 128 * 1024;

/// Bytes of events that may arrive while the snapshot is read, kept to be mapped after it; past this they are
/// dropped, counted as malformed and said in the health line.
const DEFER_MAX: usize = 32 * 1024 * 1024;

/// `BACKGROUND_JOB` results that came before their `bgapi` reply was seen, kept at most.
const EARLY_JOBS: usize = 256;

/// Commands action tasks may queue for the link loop to write.
const COMMAND_QUEUE: usize = 64;

/// Runs the bridge on a new tokio task until the engine drops its end.
pub fn spawn(config: EslConfig, roster: Roster, ends: BridgeEnds) -> JoinHandle<()> {
    tokio::spawn(run(config, roster, ends))
}

/// Why a link ended.
enum Ended {
    /// The engine dropped its end: the bridge stops.
    EngineGone,
    /// The link failed or dropped, in one sentence.
    Link(String),
}

/// What a spawned action task reports back.
enum Outcome {
    Done(u64, Result<(), String>),
    /// A `bgapi` was accepted under this Job-UUID; its answer comes as a BACKGROUND_JOB event.
    Started(u64, String),
}

struct Pending {
    reply: oneshot::Sender<Result<(), String>>,
    /// The command line for sentences about it.
    label: String,
    /// The spy leg an originate would create: forgotten again if the originate fails.
    spy_leg: Option<String>,
}

/// FreeSWITCH's answer to one command, copied out of its frame.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reply {
    kind: Kind,
    /// `Reply-Text` of a `command/reply` (`+OK accepted`, `-ERR invalid`, `+OK Job-UUID: …`).
    text: String,
    job: Option<String>,
    /// The body: an api/response's output, a rejection's text.
    body: String,
}

/// A command line for the link loop to write, and where its reply goes.
struct Command {
    /// The whole command, `api …\n\n`.
    wire: String,
    reply: oneshot::Sender<Reply>,
}

/// How action tasks reach the link: their commands go through the link loop, which owns the socket.
#[derive(Clone)]
struct Commander {
    tx: mpsc::Sender<Command>,
    timeout: Duration,
}

impl Commander {
    async fn call(&self, verb: &str, line: &str) -> Result<Reply, String> {
        let (reply, rx) = oneshot::channel();
        let wire = format!("{verb} {line}\n\n");
        if self.tx.send(Command { wire, reply }).await.is_err() {
            return Err("the link closed".into());
        }
        match tokio::time::timeout(self.timeout, rx).await {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(_)) => Err("the link closed before the answer came".into()),
            Err(_) => Err(format!("no answer within {} s", self.timeout.as_secs_f64())),
        }
    }
}

/// One connection: the socket's halves and the frames read from it.
struct Conn {
    rd: OwnedReadHalf,
    wr: OwnedWriteHalf,
    reader: FrameReader,
    buf: Vec<u8>,
    target: String,
}

impl Conn {
    /// Reads more bytes into the frame reader; `Err` with a sentence when the link is gone.
    async fn fill(&mut self) -> Result<(), String> {
        match self.rd.read(&mut self.buf).await {
            Ok(0) => Err(format!("the link to FreeSWITCH at {} dropped: the connection was closed", self.target)),
            Ok(n) => {
                self.reader.push(&self.buf[..n]);
                Ok(())
            }
            Err(e) => Err(format!("the link to FreeSWITCH at {} dropped: {e}", self.target)),
        }
    }

    async fn send(&mut self, wire: &str) -> Result<(), String> {
        self.wr
            .write_all(wire.as_bytes())
            .await
            .map_err(|e| format!("the link to FreeSWITCH at {} dropped: {e}", self.target))
    }

    /// The next frame that is not an event; events met on the way are appended (as sent) to `deferred` while it
    /// holds less than [`DEFER_MAX`], else counted in `dropped`.
    async fn reply(&mut self, deferred: &mut Vec<u8>, dropped: &mut u64) -> Result<Reply, String> {
        loop {
            while let Some(f) = self.reader.next_frame() {
                if f.kind() == Kind::Event {
                    if deferred.len() + f.wire().len() <= DEFER_MAX {
                        deferred.extend_from_slice(f.wire());
                    } else {
                        *dropped += 1;
                    }
                    continue;
                }
                return Ok(reply_of(&f));
            }
            self.fill().await?;
        }
    }
}

fn reply_of(f: &super::frame::Frame<'_>) -> Reply {
    Reply {
        kind: f.kind(),
        text: f.header("Reply-Text").map(|t| t.into_owned()).unwrap_or_default(),
        job: f.header("Job-UUID").map(|t| t.into_owned()),
        body: f.body_text().into_owned(),
    }
}

/// Connects and authenticates.
async fn open(config: &EslConfig) -> Result<Conn, String> {
    let target = config.target();
    let stream = TcpStream::connect((config.host.as_str(), config.port))
        .await
        .map_err(|e| format!("cannot reach FreeSWITCH at {target}: {e}"))?;
    // Commands are single small writes that wait for their answer.
    let _ = stream.set_nodelay(true);
    let (rd, wr) = stream.into_split();
    let mut conn = Conn { rd, wr, reader: FrameReader::new(Limits::default()), buf: vec![0; READ_SIZE], target };
    let (mut none, mut dropped) = (Vec::new(), 0);
    let hello = conn.reply(&mut none, &mut dropped).await?;
    match hello.kind {
        Kind::AuthRequest => {}
        Kind::RudeRejection => return Err(turned_away(&conn.target, &hello.body)),
        _ => {
            return Err(format!(
                "FreeSWITCH at {} did not ask for the event socket password (is that port its event socket?)",
                conn.target
            ));
        }
    }
    // The only place the password is exposed; the line is never logged.
    conn.send(&format!("auth {}\n\n", config.password.expose())).await?;
    let answer = conn.reply(&mut none, &mut dropped).await?;
    match answer.kind {
        Kind::CommandReply if answer.text.starts_with("+OK") => Ok(conn),
        Kind::CommandReply => Err(format!(
            "FreeSWITCH at {} refused the event socket password: check --secret-file or CALLFLOOR_ESL_PASSWORD",
            conn.target
        )),
        Kind::RudeRejection => Err(turned_away(&conn.target, &answer.body)),
        _ => Err(format!("FreeSWITCH at {} did not answer the event socket password", conn.target)),
    }
}

fn turned_away(target: &str, body: &str) -> String {
    let reason = body.trim();
    let reason = if reason.is_empty() { "access denied" } else { reason };
    format!("FreeSWITCH at {target} turned the connection away ({reason}): check its event socket ACL")
}

/// `+OK …` or anything else → `Ok`; `-ERR …`/`-USAGE …` → `Err(the answer)`; an empty answer is an error too.
fn api_outcome(body: &str) -> Result<(), String> {
    let body = body.strip_suffix('\n').unwrap_or(body);
    let body = body.strip_suffix('\r').unwrap_or(body);
    if body.is_empty() {
        Err("an empty answer".into())
    } else if body.starts_with("-ERR") || body.starts_with("-USAGE") {
        Err(body.to_string())
    } else {
        Ok(())
    }
}

struct Link<'a> {
    config: &'a EslConfig,
    mapper: &'a mut Mapper,
    observations: &'a mpsc::Sender<Observation>,
    actions: &'a mut mpsc::Receiver<ActionRequest>,
    actions_open: &'a mut bool,
    health: &'a watch::Sender<SourceStatus>,
    /// Stream problems of earlier links and of this one outside its frame reader (replies nobody waited for,
    /// events dropped while the snapshot was read), on top of the mapper's own counts.
    link_malformed: &'a mut u64,
    frames: &'a mut u64,
    next_id: &'a mut u64,
    legs: &'a mut u64,
    names_logged: &'a mut usize,
}

/// What the link loop keeps about actions in flight.
#[derive(Default)]
struct InFlight {
    pending: HashMap<u64, Pending>,
    /// Job-UUID → action, for `bgapi`s accepted and not yet answered.
    background: HashMap<String, u64>,
    /// BACKGROUND_JOB results whose bgapi reply has not reached its action task yet.
    early: Vec<(String, Result<(), String>)>,
    /// Replies owed to commands written, oldest first.
    waiting: VecDeque<oneshot::Sender<Reply>>,
}

/// The bridge: connects to FreeSWITCH and keeps the link up, sending observations and carrying out actions, until
/// the engine drops its end of the channels.
pub async fn run(config: EslConfig, roster: Roster, ends: BridgeEnds) {
    let BridgeEnds { observations, mut actions, health } = ends;
    let mut mapper = Mapper::new(roster);
    let (mut actions_open, mut link_malformed, mut frames, mut next_id, mut legs) = (true, 0u64, 0u64, 0u64, 0u64);
    let mut backoff = config.backoff_min;
    let mut was_up = false;
    let mut names_logged = 0usize;
    loop {
        let mut link = Link {
            config: &config,
            mapper: &mut mapper,
            observations: &observations,
            actions: &mut actions,
            actions_open: &mut actions_open,
            health: &health,
            link_malformed: &mut link_malformed,
            frames: &mut frames,
            next_id: &mut next_id,
            legs: &mut legs,
            names_logged: &mut names_logged,
        };
        let (ended, came_up) = link.run(&mut was_up).await;
        let reason = match ended {
            Ended::EngineGone => return,
            Ended::Link(reason) => reason,
        };
        tracing::warn!(target: "callfloor::bridge::esl", "{reason}");
        health.send_modify(|s| {
            if s.connected {
                s.since = Some(chrono::Utc::now());
            }
            s.connected = false;
            s.error = Some(reason.clone());
        });
        if came_up {
            backoff = config.backoff_min;
        }
        // Wait before the next attempt; actions meanwhile are refused at once rather than left hanging.
        let sleep = tokio::time::sleep(backoff);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                _ = &mut sleep => break,
                req = actions.recv(), if actions_open => match req {
                    Some(req) => {
                        let _ = req.reply.send(Err(format!(
                            "the link to FreeSWITCH at {} is down ({reason}); try again when the source shows \
                             connected",
                            config.target()
                        )));
                    }
                    None => actions_open = false,
                },
                _ = observations.closed() => return,
            }
        }
        backoff = (backoff * 2).min(config.backoff_max);
    }
}

/// The reader's problems, as the health line counts them.
fn stream_malformed(s: FrameStats) -> u64 {
    s.garbage + s.oversized + s.bad_escapes
}

impl Link<'_> {
    /// One link, from connect to its end; says whether it came up (authenticated and past the snapshot).
    async fn run(&mut self, was_up: &mut bool) -> (Ended, bool) {
        let target = self.config.target();
        let opened = tokio::select! {
            c = tokio::time::timeout(self.config.connect_timeout, open(self.config)) => c,
            _ = self.observations.closed() => return (Ended::EngineGone, false),
        };
        let mut conn = match opened {
            Ok(Ok(conn)) => conn,
            Ok(Err(e)) => return (Ended::Link(e), false),
            Err(_) => {
                return (
                    Ended::Link(format!(
                        "cannot reach FreeSWITCH at {target}: no answer within {} s",
                        self.config.connect_timeout.as_secs_f64()
                    )),
                    false,
                );
            }
        };
        let (mut deferred, mut dropped) = (Vec::new(), 0u64);
        let timeout = self.config.command_timeout;
        let ready =
            tokio::time::timeout(timeout, self.subscribe_and_snapshot(&mut conn, &mut deferred, &mut dropped)).await;
        let observation = match ready {
            Ok(Ok(o)) => o,
            Ok(Err(e)) => return self.close(Ended::Link(e), &conn, false),
            Err(_) => {
                let e = format!(
                    "FreeSWITCH at {target} did not answer the subscription and snapshot within {} s",
                    timeout.as_secs_f64()
                );
                return self.close(Ended::Link(e), &conn, false);
            }
        };
        if self.observations.send(observation).await.is_err() {
            return (Ended::EngineGone, false);
        }
        let reconnect = *was_up;
        *was_up = true;
        self.health.send_modify(|s| {
            s.connected = true;
            s.since = Some(chrono::Utc::now());
            s.error = None;
            if reconnect {
                s.reconnects += 1;
            }
        });
        tracing::info!(target: "callfloor::bridge::esl", "connected to FreeSWITCH at {target}");

        let mut flight = InFlight::default();
        let mut out = Vec::new();
        // Events that came while the snapshot was read, mapped after it.
        if !deferred.is_empty() {
            let mut early = FrameReader::new(Limits { max_body_bytes: DEFER_MAX, ..Limits::default() });
            early.push(&deferred);
            drop(deferred);
            self.frames_read(&mut early, &mut flight, &mut out);
            *self.link_malformed += stream_malformed(early.stats());
        }
        // Frames that came in the same reads as the snapshot's last answers.
        let mut end = self.frames_read(&mut conn.reader, &mut flight, &mut out);
        let mut error = None;
        if dropped > 0 {
            *self.link_malformed += dropped;
            error = Some("events were dropped: the bridge fell behind FreeSWITCH while reading the snapshot".into());
        }
        if let Some(gone) = self.deliver(&mut out).await {
            end = Some(gone);
        }
        self.publish(error, conn.reader.stats());
        if let Some(end) = end {
            return self.close(end, &conn, true);
        }

        let (commands, mut queued) = mpsc::channel::<Command>(COMMAND_QUEUE);
        let commander = Commander { tx: commands, timeout: self.config.command_timeout };
        let mut jobs: JoinSet<Outcome> = JoinSet::new();
        let ended = loop {
            tokio::select! {
                read = conn.rd.read(&mut conn.buf) => {
                    match read {
                        Ok(0) => break Ended::Link(format!("the link to FreeSWITCH at {target} dropped: the connection was closed")),
                        Ok(n) => conn.reader.push(&conn.buf[..n]),
                        Err(e) => break Ended::Link(format!("the link to FreeSWITCH at {target} dropped: {e}")),
                    }
                    let end = self.frames_read(&mut conn.reader, &mut flight, &mut out);
                    if let Some(end) = self.deliver(&mut out).await {
                        break end;
                    }
                    self.publish(None, conn.reader.stats());
                    if let Some(end) = end {
                        break end;
                    }
                },
                Some(cmd) = queued.recv() => {
                    if let Err(e) = conn.send(&cmd.wire).await {
                        break Ended::Link(e);
                    }
                    flight.waiting.push_back(cmd.reply);
                },
                req = self.actions.recv(), if *self.actions_open => match req {
                    Some(req) => self.start(req, &commander, &mut jobs, &mut flight.pending),
                    None => *self.actions_open = false,
                },
                done = jobs.join_next(), if !jobs.is_empty() => match done {
                    Some(Ok(Outcome::Done(id, result))) => self.finish(id, result, &mut flight.pending),
                    Some(Ok(Outcome::Started(id, job))) => {
                        match flight.early.iter().position(|(j, _)| *j == job) {
                            Some(i) => {
                                let (_, result) = flight.early.swap_remove(i);
                                let label = flight.pending.get(&id).map(|p| p.label.clone()).unwrap_or_default();
                                self.finish(id, result.map_err(|e| refused(&label, &e)), &mut flight.pending);
                            }
                            None => {
                                flight.background.insert(job, id);
                            }
                        }
                    }
                    // A task that panicked or was aborted: its request is answered below when the link ends, or
                    // never needed an answer.
                    Some(Err(_)) | None => {}
                },
                _ = self.observations.closed() => break Ended::EngineGone,
            }
        };
        jobs.abort_all();
        let why = match &ended {
            Ended::Link(reason) => reason.clone(),
            Ended::EngineGone => "the engine stopped".to_string(),
        };
        for (_, p) in flight.pending.drain() {
            if let Some(leg) = &p.spy_leg {
                self.mapper.forget_spy(leg);
            }
            let _ = p.reply.send(Err(format!(
                "the link to FreeSWITCH dropped before it answered {}: {why}; check the floor before trying again",
                p.label
            )));
        }
        self.close(ended, &conn, true)
    }

    /// Ends a link: the reader's counts join the totals (a frame cut off by the drop is not counted: it never came).
    fn close(&mut self, ended: Ended, conn: &Conn, came_up: bool) -> (Ended, bool) {
        *self.link_malformed += stream_malformed(conn.reader.stats());
        if conn.reader.buffered() > 0 {
            tracing::debug!(
                target: "callfloor::bridge::esl",
                "{} bytes of an unfinished frame went with the link",
                conn.reader.buffered()
            );
        }
        (ended, came_up)
    }

    /// Sends the observations mapped so far; `Some` when the engine is gone.
    async fn deliver(&mut self, out: &mut Vec<Observation>) -> Option<Ended> {
        for o in out.drain(..) {
            if self.observations.send(o).await.is_err() {
                return Some(Ended::EngineGone);
            }
        }
        None
    }

    /// Maps every complete frame the reader holds (events into `out`, replies to their commands, job results to
    /// their actions); `Some` when FreeSWITCH said it is closing the link.
    fn frames_read(
        &mut self,
        reader: &mut FrameReader,
        flight: &mut InFlight,
        out: &mut Vec<Observation>,
    ) -> Option<Ended> {
        while let Some(f) = reader.next_frame() {
            match f.kind() {
                Kind::Event => {
                    let Some(ev) = f.event() else { continue };
                    *self.frames += 1;
                    if ev.header("Event-Name").as_deref() == Some("BACKGROUND_JOB") {
                        let job = ev.header("Job-UUID").map(|j| j.into_owned());
                        let result = api_outcome(&ev.body().unwrap_or_default());
                        self.job_done(job, result, flight);
                    } else {
                        self.mapper.event(&ev, out);
                    }
                }
                Kind::CommandReply | Kind::ApiResponse => match flight.waiting.pop_front() {
                    Some(tx) => {
                        let _ = tx.send(reply_of(&f));
                    }
                    None => *self.link_malformed += 1,
                },
                Kind::DisconnectNotice => {
                    let target = self.config.target();
                    return Some(Ended::Link(format!(
                        "FreeSWITCH at {target} closed the event socket (disconnect notice)"
                    )));
                }
                Kind::RudeRejection => {
                    return Some(Ended::Link(turned_away(&self.config.target(), &f.body_text())));
                }
                // auth/request again, log/data, other formats: nothing the bridge asked for.
                Kind::AuthRequest | Kind::Other => *self.link_malformed += 1,
            }
        }
        None
    }

    /// `event plain …`, then `callcenter_config queue list agents|members|tiers` for every roster queue (sent at
    /// once: FreeSWITCH answers in order), as one observation. Events arriving meanwhile go to `deferred`.
    async fn subscribe_and_snapshot(
        &mut self,
        conn: &mut Conn,
        deferred: &mut Vec<u8>,
        dropped: &mut u64,
    ) -> Result<Observation, String> {
        let target = conn.target.clone();
        conn.send(&format!("event plain {SUBSCRIPTION}\n\n")).await?;
        let r = conn.reply(deferred, dropped).await?;
        if !(r.kind == Kind::CommandReply && r.text.starts_with("+OK")) {
            let why = if r.text.is_empty() { r.body.trim().to_string() } else { r.text };
            return Err(format!("FreeSWITCH at {target} refused the event subscription: {why}"));
        }
        let queues: Vec<String> = self.mapper.roster().queues.iter().map(|q| q.pbx.clone()).collect();
        let mut lines = Vec::with_capacity(queues.len() * 3);
        for queue in &queues {
            for what in ["agents", "members", "tiers"] {
                lines.push(format!("callcenter_config queue list {what} {queue}"));
            }
        }
        let wire: String = lines.iter().map(|l| format!("api {l}\n\n")).collect();
        if !wire.is_empty() {
            conn.send(&wire).await?;
        }
        let mut tables = Vec::with_capacity(queues.len());
        let mut answers = lines.iter();
        for queue in queues {
            let mut t = QueueTables { queue, ..QueueTables::default() };
            for slot in [&mut t.agents, &mut t.members, &mut t.tiers] {
                let line = answers.next().map(String::as_str).unwrap_or_default();
                let reply = conn.reply(deferred, dropped).await?;
                if reply.kind != Kind::ApiResponse {
                    let what = match reply.kind {
                        Kind::DisconnectNotice => "a disconnect notice",
                        Kind::RudeRejection => "a rejection",
                        Kind::CommandReply => "a command reply",
                        _ => "something else",
                    };
                    return Err(format!("FreeSWITCH at {target} answered `{line}` with {what}, not its output"));
                }
                let body = reply.body.trim_start();
                if body.starts_with("-ERR") || body.starts_with("-USAGE") {
                    let answer = body.trim_end();
                    return Err(format!("{} (is mod_callcenter loaded?)", refused(line, answer)));
                }
                *slot = reply.body;
            }
            tables.push(t);
        }
        Ok(self.mapper.snapshot(&tables))
    }

    /// Plans an action and starts its commands on their own task, so events keep flowing while FreeSWITCH works.
    fn start(
        &mut self,
        req: ActionRequest,
        commander: &Commander,
        jobs: &mut JoinSet<Outcome>,
        pending: &mut HashMap<u64, Pending>,
    ) {
        let legs = &mut *self.legs;
        let prefix = &self.config.leg_prefix;
        let planned = plan(&req.action, self.mapper.roster(), self.mapper, || {
            *legs += 1;
            format!("{prefix}-{legs}")
        });
        let Plan { steps, transfer, spy } = match planned {
            Ok(p) => p,
            Err(sentence) => {
                let _ = req.reply.send(Err(sentence));
                return;
            }
        };
        if let Some(key) = &transfer {
            self.mapper.expect_transfer(key);
        }
        let spy_leg = spy.map(|(leg, key, supervisor)| {
            self.mapper.expect_spy(&leg, &key, &supervisor);
            leg
        });
        *self.next_id += 1;
        let id = *self.next_id;
        let label = steps.first().map(|s| s.line.clone()).unwrap_or_default();
        pending.insert(id, Pending { reply: req.reply, label, spy_leg });
        let commander = commander.clone();
        jobs.spawn(async move { execute(id, &commander, steps).await });
    }

    fn finish(&mut self, id: u64, result: Result<(), String>, pending: &mut HashMap<u64, Pending>) {
        if let Some(p) = pending.remove(&id) {
            if result.is_err()
                && let Some(leg) = &p.spy_leg
            {
                self.mapper.forget_spy(leg);
            }
            if let Err(e) = &result {
                self.publish_error(e.clone());
            }
            let _ = p.reply.send(result);
        }
    }

    /// A BACKGROUND_JOB event: the answer to a `bgapi` (an originate), `+OK <uuid>` or `-ERR <cause>`.
    fn job_done(&mut self, job: Option<String>, result: Result<(), String>, flight: &mut InFlight) {
        let Some(job) = job else {
            *self.link_malformed += 1;
            return;
        };
        match flight.background.remove(&job) {
            Some(id) => {
                let label = flight.pending.get(&id).map(|p| p.label.clone()).unwrap_or_default();
                self.finish(id, result.map_err(|e| refused(&label, &e)), &mut flight.pending);
            }
            None => {
                // The job's bgapi reply may still be on its way to the action task.
                if flight.early.len() >= EARLY_JOBS {
                    drop(flight.early.remove(0));
                }
                flight.early.push((job, result));
            }
        }
    }

    /// An action's refusal as the health line's error.
    fn publish_error(&mut self, error: String) {
        self.health.send_modify(|s| s.error = Some(error));
    }

    /// Copies the counters (and an error sentence, when given) into the health line. Events naming an agent or
    /// queue the floor description lacks count as unknown; each such name is logged once.
    fn publish(&mut self, error: Option<String>, stream: FrameStats) {
        let stats = self.mapper.stats();
        for name in stats.unmapped_names.iter().skip(*self.names_logged) {
            tracing::warn!(
                target: "callfloor::bridge::esl",
                "FreeSWITCH names '{name}', which the floor description lacks: its events are skipped"
            );
        }
        *self.names_logged = stats.unmapped_names.len();
        let (frames, unknown, malformed) = (
            *self.frames,
            stats.unknown + stats.unmapped,
            stats.malformed + *self.link_malformed + stream_malformed(stream),
        );
        self.health.send_modify(|s| {
            s.frames = frames;
            s.unknown = unknown;
            s.malformed = malformed;
            if error.is_some() {
                s.error = error;
            }
        });
    }
}

/// Runs a plan's commands in order; the first one refused stops the rest.
async fn execute(id: u64, commander: &Commander, steps: Vec<Step>) -> Outcome {
    for step in steps {
        if step.background {
            let reply = match commander.call("bgapi", &step.line).await {
                Ok(r) => r,
                Err(e) => return Outcome::Done(id, Err(no_answer(&step.line, &e))),
            };
            if !reply.text.starts_with("+OK") {
                return Outcome::Done(id, Err(refused(&step.line, &reply.text)));
            }
            let job = reply.job.or_else(|| reply.text.strip_prefix("+OK Job-UUID:").map(|j| j.trim().to_string()));
            return match job.filter(|j| !j.is_empty()) {
                Some(job) => Outcome::Started(id, job),
                None => Outcome::Done(id, Err(format!("FreeSWITCH gave no Job-UUID for {}", short(&step.line)))),
            };
        }
        let reply = match commander.call("api", &step.line).await {
            Ok(r) => r,
            Err(e) => return Outcome::Done(id, Err(no_answer(&step.line, &e))),
        };
        if let Err(text) = api_outcome(&reply.body) {
            return Outcome::Done(id, Err(refused(&step.line, &text)));
        }
    }
    Outcome::Done(id, Ok(()))
}

fn short(line: &str) -> &str {
    if line.starts_with("originate ") { "the originate of the listening leg" } else { line }
}

fn no_answer(line: &str, e: &str) -> String {
    format!("FreeSWITCH did not answer {}: {e}", short(line))
}
