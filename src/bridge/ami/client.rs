//! The AMI socket task: one TCP link to an Asterisk manager, kept up for as long as the engine holds the [`Bridge`].
//!
//! [`run`] connects, reads the `Asterisk Call Manager/x.y` banner, logs in (`Action: Login` with `Events: on`; the
//! secret goes into that one message and nowhere else: no log line, no error), asks for `QueueStatus`, and sends the
//! reply as one [`Observation::Snapshot`](crate::bridge::Observation::Snapshot) before marking the source connected;
//! then live events become observations through the [`Mapper`]. Every [`ActionRequest`] becomes one or more AMI
//! actions, each with an `ActionID: cf-<n>`; the reply is `Ok` when the PBX answered `Response: Success` to all of
//! them, else the first refusal as a sentence ("the PBX refused QueuePause: Interface not found"), or a timeout.
//!
//! The link is watched with `Action: Ping` every [`AmiConfig::ping_interval`]. On EOF, a read or write error, a Ping
//! or handshake step left unanswered for [`AmiConfig::action_timeout`], the source turns stale (`connected: false`,
//! `since`, the reason in `error`), actions in flight fail with a sentence, and the task reconnects after an
//! exponential backoff (from [`AmiConfig::backoff_initial`], doubling up to [`AmiConfig::backoff_max`]; reset once a
//! link came all the way up), logs in again and reads a fresh snapshot; `reconnects` counts the links made again.
//! Garbage, partial frames, unknown events and fields never end the task; they are counted in the health line.
//! The task ends when the engine drops its [`Bridge`].

use std::collections::HashMap;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::oneshot;
use tokio::time::{Instant, MissedTickBehavior};

use super::{Decoder, Frame, FrameReader, Limits, Mapper, Message, MessageKind};
use crate::bridge::{ActionRequest, Bridge, BridgeEnds, Observation, PbxAction, Roster, Secret, channel};
use crate::model::{AgentState, SupervisorMode};

/// How to reach and watch one Asterisk manager.
#[derive(Debug, Clone)]
pub struct AmiConfig {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub secret: Secret,
    /// First wait before reconnecting; doubles after each failed attempt.
    pub backoff_initial: Duration,
    /// The longest wait between attempts.
    pub backoff_max: Duration,
    /// How often the link is checked with `Action: Ping`.
    pub ping_interval: Duration,
    /// How long the PBX has to answer an action, a Ping or a step of the login.
    pub action_timeout: Duration,
    pub limits: Limits,
}

impl AmiConfig {
    /// A config with the defaults: backoff 1 s doubling to 30 s, a Ping every 5 s, 10 s for an answer.
    pub fn new(host: impl Into<String>, port: u16, user: impl Into<String>, secret: Secret) -> AmiConfig {
        AmiConfig {
            host: host.into(),
            port,
            user: user.into(),
            secret,
            backoff_initial: Duration::from_secs(1),
            backoff_max: Duration::from_secs(30),
            ping_interval: Duration::from_secs(5),
            action_timeout: Duration::from_secs(10),
            limits: Limits::default(),
        }
    }

    /// `host:port` (`[v6]:port`), for the health line and messages.
    pub fn target(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// Starts [`run`] on the current tokio runtime and returns the engine's end.
pub fn spawn(config: AmiConfig, roster: Roster) -> Bridge {
    let (bridge, ends) = channel("ami", &config.target());
    tokio::spawn(run(config, roster, ends));
    bridge
}

/// Keeps a link to the PBX until the engine drops its [`Bridge`]; see the module documentation.
pub async fn run(config: AmiConfig, roster: Roster, ends: BridgeEnds) {
    let mut task = Task {
        target: config.target(),
        config,
        mapper: Mapper::new(roster),
        decoder: Decoder::new(),
        ends,
        next_id: 0,
        ever_up: false,
        frames_before: 0,
        unreadable_before: 0,
    };
    let mut backoff = task.config.backoff_initial;
    loop {
        let mut link = Link::default();
        let end = task.session(&mut link).await;
        task.frames_before += link.reader.stats().messages;
        task.unreadable_before += unreadable(&link.reader) + link.frame_errors;
        let sentence = match end {
            Ok(Ended::EngineGone) => return,
            Err(sentence) => sentence,
        };
        tracing::warn!(target = %task.target, "AMI link down: {sentence}");
        task.mapper.link_lost();
        let in_flight: Vec<Pending> = link.pending.drain().map(|(_, p)| p).collect();
        for pending in in_flight {
            if let Waiter::Request(group) = pending.waiter {
                let why = format!(
                    "the link to the PBX at {} dropped before it answered {}; whether the PBX carried it out shows once \
                     the link is back",
                    task.target, pending.action
                );
                task.fail_group(&mut link, group, why);
            }
        }
        let was_up = link.up;
        task.ends.health.send_modify(|h| {
            if h.connected || h.since.is_none() {
                h.since = Some(chrono::Utc::now());
            }
            h.connected = false;
            h.error = Some(sentence.clone());
        });
        if was_up {
            backoff = task.config.backoff_initial;
        }
        // Wait, refusing actions meanwhile.
        let until = Instant::now() + backoff;
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(until) => break,
                req = task.ends.actions.recv() => match req {
                    None => return,
                    Some(req) => {
                        let _ = req.reply.send(Err(task.not_connected()));
                    }
                },
            }
        }
        backoff = (backoff * 2).min(task.config.backoff_max);
    }
}

/// Why a session ended other than by losing the link.
enum Ended {
    EngineGone,
}

/// Where the handshake is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    Greeting,
    LoggingIn(String),
    Snapshotting(String),
    Up,
}

enum Waiter {
    Ping,
    /// One AMI action of a request (a request may need several: a QueueAdd per queue).
    Request(u64),
}

struct Pending {
    action: &'static str,
    waiter: Waiter,
    deadline: Instant,
}

/// A request's AMI actions still unanswered, and where its outcome goes.
struct Group {
    reply: Option<oneshot::Sender<Result<(), String>>>,
    remaining: usize,
    error: Option<String>,
    /// The supervisor whose spy Originate this is: forgotten by the mapper if it fails.
    spy: Option<String>,
}

/// One connection's state.
struct Link {
    reader: FrameReader,
    writer: Option<OwnedWriteHalf>,
    pending: HashMap<String, Pending>,
    groups: HashMap<u64, Group>,
    next_group: u64,
    frame_errors: u64,
    up: bool,
}

impl Default for Link {
    fn default() -> Link {
        Link {
            reader: FrameReader::new(Limits::default()),
            writer: None,
            pending: HashMap::new(),
            groups: HashMap::new(),
            next_group: 0,
            frame_errors: 0,
            up: false,
        }
    }
}

/// Frame-level damage: oversized messages and stray lines.
fn unreadable(reader: &FrameReader) -> u64 {
    let s = reader.stats();
    s.oversized + s.stray_lines
}

struct Task {
    config: AmiConfig,
    target: String,
    mapper: Mapper,
    decoder: Decoder,
    ends: BridgeEnds,
    next_id: u64,
    /// A link came all the way up before: the next one up is a reconnect.
    ever_up: bool,
    /// Counters of links that ended, so the health line counts across reconnects.
    frames_before: u64,
    unreadable_before: u64,
}

impl Task {
    fn not_connected(&self) -> String {
        let why = self.ends.health.borrow().error.clone().unwrap_or_else(|| "still connecting".to_string());
        format!("the PBX at {} is not connected ({why}); try again once the source shows connected", self.target)
    }

    fn action_id(&mut self) -> String {
        self.next_id += 1;
        format!("cf-{}", self.next_id)
    }

    async fn send(&mut self, link: &mut Link, msg: &Message) -> Result<(), String> {
        let Some(w) = link.writer.as_mut() else { return Err("the link is not open".to_string()) };
        w.write_all(msg.to_wire().as_bytes())
            .await
            .map_err(|e| format!("writing to the PBX at {} failed: {e}", self.target))
    }

    /// One link, from connect to loss. `Ok` only when the engine is gone.
    async fn session(&mut self, link: &mut Link) -> Result<Ended, String> {
        let timeout = self.config.action_timeout;
        link.reader = FrameReader::new(self.config.limits);
        let stream = tokio::time::timeout(timeout, TcpStream::connect((self.config.host.as_str(), self.config.port)))
            .await
            .map_err(|_| {
                format!("the PBX at {} did not accept a connection within {} s", self.target, timeout.as_secs_f32())
            })?
            .map_err(|e| format!("cannot connect to the PBX at {}: {e}", self.target))?;
        let _ = stream.set_nodelay(true);
        let (mut rd, wr) = stream.into_split();
        link.writer = Some(wr);
        let mut phase = Phase::Greeting;
        let mut handshake_deadline = Instant::now() + timeout;
        let mut buf = vec![0u8; 16 * 1024];
        let mut observations = Vec::new();
        let mut ping = tokio::time::interval_at(Instant::now() + self.config.ping_interval, self.config.ping_interval);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            let deadline = link
                .pending
                .values()
                .map(|p| p.deadline)
                .chain((phase != Phase::Up).then_some(handshake_deadline))
                .min();
            tokio::select! {
                n = rd.read(&mut buf) => {
                    let n = n.map_err(|e| format!("reading from the PBX at {} failed: {e}", self.target))?;
                    if n == 0 {
                        return Err(format!("the PBX at {} closed the connection", self.target));
                    }
                    link.reader.push(&buf[..n]);
                    if phase != Phase::Up {
                        handshake_deadline = Instant::now() + timeout;
                    }
                    loop {
                        let frame = match link.reader.next_frame() {
                            Ok(Some(frame)) => frame,
                            Ok(None) => break,
                            Err(e) => {
                                link.frame_errors += 1;
                                tracing::warn!(target = %self.target, "{e}");
                                continue;
                            }
                        };
                        match frame {
                            Frame::Banner(version) => {
                                if phase == Phase::Greeting {
                                    tracing::info!(target = %self.target, "AMI banner: {version}");
                                    let id = self.action_id();
                                    let login = Message::from_pairs([
                                        ("Action", "Login"),
                                        ("ActionID", id.as_str()),
                                        ("Username", self.config.user.as_str()),
                                        ("Secret", self.config.secret.expose()),
                                        ("Events", "on"),
                                    ]);
                                    self.send(link, &login).await?;
                                    phase = Phase::LoggingIn(id);
                                }
                            }
                            Frame::Message(m) => {
                                if phase == Phase::Greeting {
                                    return Err(format!(
                                        "{} did not greet as an Asterisk manager (no 'Asterisk Call Manager' banner): \
                                         check that the source names the AMI port",
                                        self.target
                                    ));
                                }
                                match m.kind() {
                                    MessageKind::Response(r) => self.on_response(link, &mut phase, &m, r).await?,
                                    MessageKind::Event(_) => {
                                        if let Some(ev) = self.decoder.decode(&m) {
                                            self.mapper.map(&ev, &mut observations);
                                        }
                                    }
                                    MessageKind::Action(_) | MessageKind::Other => {}
                                }
                            }
                        }
                    }
                    for obs in observations.drain(..) {
                        let snapshot = matches!(obs, Observation::Snapshot(_));
                        if self.ends.observations.send(obs).await.is_err() {
                            return Ok(Ended::EngineGone);
                        }
                        if snapshot && matches!(phase, Phase::Snapshotting(_)) {
                            phase = Phase::Up;
                            link.up = true;
                            let reconnect = std::mem::replace(&mut self.ever_up, true);
                            tracing::info!(target = %self.target, "AMI link up as {}", self.config.user);
                            self.ends.health.send_modify(|h| {
                                h.connected = true;
                                h.since = Some(chrono::Utc::now());
                                h.error = None;
                                if reconnect {
                                    h.reconnects += 1;
                                }
                            });
                        }
                    }
                    self.report(link);
                }
                req = self.ends.actions.recv() => match req {
                    None => return Ok(Ended::EngineGone),
                    Some(req) if phase == Phase::Up => self.start(link, req).await?,
                    Some(req) => {
                        let _ = req.reply.send(Err(self.not_connected()));
                    }
                },
                _ = ping.tick(), if phase == Phase::Up => {
                    if !link.pending.values().any(|p| matches!(p.waiter, Waiter::Ping)) {
                        let id = self.action_id();
                        self.send(link, &Message::from_pairs([("Action", "Ping"), ("ActionID", id.as_str())])).await?;
                        link.pending.insert(id, Pending { action: "Ping", waiter: Waiter::Ping, deadline: Instant::now() + timeout });
                    }
                }
                () = sleep_until_opt(deadline) => {
                    let now = Instant::now();
                    if phase != Phase::Up && handshake_deadline <= now {
                        let step = match phase {
                            Phase::Greeting => "the greeting",
                            Phase::LoggingIn(_) => "the login",
                            _ => "the QueueStatus snapshot",
                        };
                        return Err(format!(
                            "the PBX at {} stopped answering during {step} ({} s without a reply)",
                            self.target,
                            timeout.as_secs_f32()
                        ));
                    }
                    let expired: Vec<String> =
                        link.pending.iter().filter(|(_, p)| p.deadline <= now).map(|(id, _)| id.clone()).collect();
                    for id in expired {
                        let Some(p) = link.pending.remove(&id) else { continue };
                        match p.waiter {
                            Waiter::Ping => {
                                return Err(format!(
                                    "the PBX at {} stopped answering (no reply to Ping within {} s)",
                                    self.target,
                                    timeout.as_secs_f32()
                                ));
                            }
                            Waiter::Request(group) => {
                                let why = format!("the PBX did not answer {} within {} s", p.action, timeout.as_secs_f32());
                                self.fail_group(link, group, why);
                            }
                        }
                    }
                }
            }
        }
    }

    /// A `Response:` to the login, the snapshot request, a Ping or one of the requests' actions.
    async fn on_response(&mut self, link: &mut Link, phase: &mut Phase, m: &Message, r: &str) -> Result<(), String> {
        let id = m.get("ActionID").unwrap_or_default();
        let ok = !r.eq_ignore_ascii_case("Error");
        let said = m.get("Message").filter(|s| !s.is_empty()).unwrap_or("no reason given");
        match phase {
            Phase::LoggingIn(want) if want == id => {
                if !ok {
                    return Err(format!("the PBX refused the login for {}: {said}", self.config.user));
                }
                let qid = self.action_id();
                self.send(link, &Message::from_pairs([("Action", "QueueStatus"), ("ActionID", qid.as_str())])).await?;
                *phase = Phase::Snapshotting(qid);
                return Ok(());
            }
            Phase::Snapshotting(want) if want == id => {
                if !ok {
                    return Err(format!("the PBX refused QueueStatus: {said}"));
                }
                return Ok(());
            }
            _ => {}
        }
        let Some(p) = link.pending.remove(id) else { return Ok(()) };
        if let Waiter::Request(group) = p.waiter {
            if ok {
                self.settle(link, group, None);
            } else {
                self.settle(link, group, Some(format!("the PBX refused {}: {said}", p.action)));
            }
        }
        Ok(())
    }

    /// One of a group's actions was answered.
    fn settle(&mut self, link: &mut Link, group: u64, error: Option<String>) {
        let Some(g) = link.groups.get_mut(&group) else { return };
        g.remaining = g.remaining.saturating_sub(1);
        if g.error.is_none() {
            g.error = error;
        }
        if g.remaining == 0
            && let Some(g) = link.groups.remove(&group)
        {
            self.finish(g);
        }
    }

    /// The group fails now, whatever its other actions answer later.
    fn fail_group(&mut self, link: &mut Link, group: u64, why: String) {
        if let Some(mut g) = link.groups.remove(&group) {
            g.error.get_or_insert(why);
            self.finish(g);
        }
    }

    fn finish(&mut self, g: Group) {
        if g.error.is_some()
            && let Some(sup) = &g.spy
        {
            self.mapper.forget_spy(sup);
        }
        if let Some(reply) = g.reply {
            let _ = reply.send(g.error.map_or(Ok(()), Err));
        }
    }

    /// Sends the AMI actions for a request, or refuses it at once with a sentence.
    async fn start(&mut self, link: &mut Link, req: ActionRequest) -> Result<(), String> {
        let (msgs, spy) = match self.plan(&req.action) {
            Ok(plan) => plan,
            Err(why) => {
                let _ = req.reply.send(Err(why));
                return Ok(());
            }
        };
        if msgs.is_empty() {
            let _ = req.reply.send(Ok(()));
            return Ok(());
        }
        if let (Some(sup), PbxAction::Spy { mode, .. }) = (&spy, &req.action) {
            self.mapper.expect_spy(sup, *mode);
        }
        link.next_group += 1;
        let group = link.next_group;
        link.groups.insert(group, Group { reply: Some(req.reply), remaining: msgs.len(), error: None, spy });
        let deadline = Instant::now() + self.config.action_timeout;
        for (action, fields) in msgs {
            let id = self.action_id();
            let msg = Message::from_pairs(
                [("Action", action), ("ActionID", id.as_str())]
                    .into_iter()
                    .chain(fields.iter().map(|(k, v)| (*k, v.as_str()))),
            );
            tracing::debug!(target = %self.target, "AMI action {id}: {action}");
            link.pending.insert(id, Pending { action, waiter: Waiter::Request(group), deadline });
            self.send(link, &msg).await?;
        }
        Ok(())
    }

    /// The AMI actions a request needs (name and fields after `ActionID`), and the supervisor if it is a spy leg.
    #[allow(clippy::type_complexity)]
    fn plan(
        &self,
        action: &PbxAction,
    ) -> Result<(Vec<(&'static str, Vec<(&'static str, String)>)>, Option<String>), String> {
        let roster = self.mapper.roster();
        match action {
            PbxAction::Spy { key, agent, supervisor, mode } => {
                let sup = roster.supervisor(supervisor).ok_or_else(|| {
                    format!(
                        "{supervisor} has no device in the floor description's supervisors, so the PBX has nowhere to \
                         ring a spy leg: add one (e.g. device = \"PJSIP/2000\")"
                    )
                })?;
                let device = self.mapper.device_channel(key).ok_or_else(|| {
                    format!(
                        "the PBX has not reported the device channel of {agent} on call {key} (no AgentConnect seen \
                         since the link came up), so there is no channel to listen to"
                    )
                })?;
                if device.len() >= 6 && device[..6].eq_ignore_ascii_case("Local/") || device.starts_with("hint:") {
                    return Err(format!(
                        "call {key} reaches {agent} through {device}, a Local channel ChanSpy cannot listen to \
                         reliably: make the agent's queue interface a device (PJSIP/…, SIP/…)"
                    ));
                }
                let opts = match mode {
                    SupervisorMode::Monitor => "qE",
                    SupervisorMode::Whisper => "qEw",
                    SupervisorMode::Barge => "qEB",
                };
                let fields = vec![
                    ("Channel", sup.device.clone()),
                    ("Application", "ChanSpy".to_string()),
                    ("Data", format!("{device},{opts}")),
                    ("CallerID", format!("callfloor {} <{}>", mode.as_str(), key)),
                    ("Async", "true".to_string()),
                ];
                Ok((vec![("Originate", fields)], Some(supervisor.clone())))
            }
            PbxAction::StopSpy { key, supervisor } => {
                let spyer = self.mapper.spy_leg(key, supervisor).ok_or_else(|| {
                    format!("the PBX has reported no spy leg of {supervisor} on call {key} to hang up")
                })?;
                Ok((vec![("Hangup", vec![("Channel", spyer.to_string())])], None))
            }
            PbxAction::SetQueues { agent, add, remove } => {
                let seat = roster.agent(*agent).ok_or_else(|| {
                    format!("{agent} is not in the floor description, so the PBX has no member for it")
                })?;
                let mut msgs = Vec::new();
                for (name, queues) in [("QueueAdd", add), ("QueueRemove", remove)] {
                    for q in queues {
                        let rq = roster.queue(q).ok_or_else(|| {
                            format!("queue {q} is not in the floor description, so the PBX has no name for it")
                        })?;
                        let mut fields = vec![("Queue", rq.pbx.clone()), ("Interface", seat.member.clone())];
                        if name == "QueueAdd" {
                            fields.push(("MemberName", seat.name.clone()));
                        }
                        msgs.push((name, fields));
                    }
                }
                Ok((msgs, None))
            }
            PbxAction::SetState { agent, state, reason } => {
                let seat = roster.agent(*agent).ok_or_else(|| {
                    format!("{agent} is not in the floor description, so the PBX has no member for it")
                })?;
                let reason = reason.trim();
                let (paused, reason) = match state {
                    AgentState::Available => (false, ""),
                    AgentState::Break => (true, if reason.is_empty() { "break" } else { reason }),
                    AgentState::Offline => (true, if reason.is_empty() { "offline" } else { reason }),
                    other => {
                        return Err(format!(
                            "the PBX cannot put a seat in {}: only available, break and offline are set by a pause",
                            other.as_str()
                        ));
                    }
                };
                let mut fields = vec![("Interface", seat.member.clone()), ("Paused", paused.to_string())];
                if paused {
                    fields.push(("Reason", reason.to_string()));
                }
                Ok((vec![("QueuePause", fields)], None))
            }
            PbxAction::Transfer { key, to_agent, to_queue } => {
                let caller = self
                    .mapper
                    .caller_channel(key)
                    .ok_or_else(|| format!("the PBX has not reported the caller's channel of call {key}"))?;
                if let Some(q) = to_queue {
                    let rq = roster.queue(q).ok_or_else(|| format!("queue {q} is not in the floor description"))?;
                    let target = rq.transfer.as_deref().ok_or_else(|| {
                        format!("queue {q} has no transfer target (exten@context) in the floor description")
                    })?;
                    let (exten, context) = exten_at(target, &format!("queue {q}'s transfer target"))?;
                    let fields = vec![
                        ("Channel", caller.to_string()),
                        ("Exten", exten),
                        ("Context", context),
                        ("Priority", "1".to_string()),
                    ];
                    return Ok((vec![("Redirect", fields)], None));
                }
                let Some(agent) = to_agent else {
                    return Err("a transfer needs a queue or an agent to go to".to_string());
                };
                let seat = roster.agent(*agent).ok_or_else(|| format!("{agent} is not in the floor description"))?;
                let target = seat.extension.as_deref().ok_or_else(|| {
                    format!("{agent} has no extension (exten@context) in the floor description to transfer to")
                })?;
                let (exten, context) = exten_at(target, &format!("{agent}'s extension"))?;
                // Connected: the agent's channel is the transferer and the caller goes to the extension. Still waiting:
                // the caller's channel leaves the queue for it.
                Ok(match self.mapper.device_channel(key) {
                    Some(device) => (
                        vec![(
                            "BlindTransfer",
                            vec![("Channel", device.to_string()), ("Exten", exten), ("Context", context)],
                        )],
                        None,
                    ),
                    None => (
                        vec![(
                            "Redirect",
                            vec![
                                ("Channel", caller.to_string()),
                                ("Exten", exten),
                                ("Context", context),
                                ("Priority", "1".to_string()),
                            ],
                        )],
                        None,
                    ),
                })
            }
        }
    }

    /// Counters to the health line, when they changed.
    fn report(&self, link: &Link) {
        let frames = self.frames_before + link.reader.stats().messages;
        let unknown = self.decoder.stats().unknown();
        let malformed = self.decoder.stats().count("Malformed")
            + self.unreadable_before
            + unreadable(&link.reader)
            + link.frame_errors;
        self.ends.health.send_if_modified(|h| {
            let changed = (h.frames, h.unknown, h.malformed) != (frames, unknown, malformed);
            (h.frames, h.unknown, h.malformed) = (frames, unknown, malformed);
            changed
        });
    }
}

/// `1001@agents` → (`1001`, `agents`).
fn exten_at(s: &str, what: &str) -> Result<(String, String), String> {
    match s.split_once('@') {
        Some((e, c)) if !e.is_empty() && !c.is_empty() => Ok((e.to_string(), c.to_string())),
        _ => Err(format!("{what} '{s}' is not exten@context (e.g. 5000@queues)")),
    }
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
