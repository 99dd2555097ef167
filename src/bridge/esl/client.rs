//! The ESL link: connect and authenticate (the password never reaches a log), subscribe, read the snapshot, then
//! map live events and carry out actions until the link drops; then reconnect with capped backoff and a fresh
//! snapshot. Actions still waiting for FreeSWITCH when the link drops are answered with a sentence saying so.

use std::collections::HashMap;

use freeswitch_esl_tokio::{
    ConnectionStatus, EslClient, EslConnectOptions, EslError, EslEvent, EventFormat, parse_api_body,
};
use futures_util::FutureExt;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};

use super::command::{Plan, Step, plan, refused};
use super::map::{Mapper, QueueTables};
use super::{EslConfig, SUBSCRIPTION};
use crate::bridge::{ActionRequest, BridgeEnds, Observation, Roster, SourceStatus};

/// Events the ESL crate may buffer while the bridge is busy (reading the snapshot, waiting for the engine) before
/// it drops them; a drop is counted as malformed and said in the health line.
const EVENT_BUFFER: usize = 65_536;

/// Events handled in a row (when the crate has them buffered) before the health line is updated and actions get a
/// turn.
const BATCH: usize = 1024;

/// `BACKGROUND_JOB` results that came before their `bgapi` reply was seen, kept at most.
const EARLY_JOBS: usize = 256;

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

struct Link<'a> {
    config: &'a EslConfig,
    mapper: &'a mut Mapper,
    observations: &'a mpsc::Sender<Observation>,
    actions: &'a mut mpsc::Receiver<ActionRequest>,
    actions_open: &'a mut bool,
    health: &'a watch::Sender<SourceStatus>,
    /// Stream errors (events the crate could not read or dropped), on top of the mapper's own counts.
    link_malformed: &'a mut u64,
    frames: &'a mut u64,
    next_id: &'a mut u64,
    legs: &'a mut u64,
    names_logged: &'a mut usize,
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

impl Link<'_> {
    /// One link, from connect to its end; says whether it came up (authenticated and past the snapshot).
    async fn run(&mut self, was_up: &mut bool) -> (Ended, bool) {
        let target = self.config.target();
        let options = EslConnectOptions::new()
            .with_event_queue_size(EVENT_BUFFER)
            .with_connect_timeout(self.config.connect_timeout);
        let connected = tokio::select! {
            c = EslClient::connect_with_options(
                &self.config.host,
                self.config.port,
                self.config.password.expose(),
                options,
            ) => c,
            _ = self.observations.closed() => return (Ended::EngineGone, false),
        };
        let (client, mut events) = match connected {
            Ok(pair) => pair,
            Err(e) => return (Ended::Link(connect_error(&target, &e)), false),
        };
        client.set_command_timeout(self.config.command_timeout);
        if let Err(e) = client.subscribe_events_raw(EventFormat::Plain, SUBSCRIPTION).await {
            return (Ended::Link(format!("FreeSWITCH at {target} refused the event subscription: {e}")), false);
        }
        let observation = match self.snapshot(&client).await {
            Ok(o) => o,
            Err(e) => return (Ended::Link(e), false),
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

        let mut jobs: JoinSet<Outcome> = JoinSet::new();
        let mut pending: HashMap<u64, Pending> = HashMap::new();
        let mut background: HashMap<String, u64> = HashMap::new();
        let mut early: Vec<(String, Result<(), String>)> = Vec::new();
        let mut out = Vec::new();
        let mut dropped_seen = 0u64;
        let ended = loop {
            tokio::select! {
                first = events.recv() => {
                    // This event and those already buffered behind it (up to BATCH), then one health update.
                    let mut item = first;
                    let (mut batch, mut error, mut end) = (0, None, None);
                    loop {
                        match item {
                            None => {
                                end = Some(Ended::Link(lost(&target, events.status())));
                                break;
                            }
                            Some(Ok(ev)) => {
                                *self.frames += 1;
                                if ev.header_str("Event-Name") == Some("BACKGROUND_JOB") {
                                    self.job_done(&ev, &mut pending, &mut background, &mut early);
                                } else {
                                    self.mapper.event(&ev, &mut out);
                                }
                            }
                            Some(Err(EslError::QueueFull)) => {
                                let dropped = client.dropped_event_count();
                                *self.link_malformed += dropped.saturating_sub(dropped_seen).max(1);
                                dropped_seen = dropped;
                                error = Some("events were dropped: the bridge fell behind FreeSWITCH".to_string());
                            }
                            Some(Err(_)) => *self.link_malformed += 1,
                        }
                        for o in out.drain(..) {
                            if self.observations.send(o).await.is_err() {
                                end = Some(Ended::EngineGone);
                                break;
                            }
                        }
                        batch += 1;
                        if end.is_some() || batch >= BATCH {
                            break;
                        }
                        match events.recv().now_or_never() {
                            Some(next) => item = next,
                            None => break,
                        }
                    }
                    self.publish(error);
                    if let Some(end) = end {
                        break end;
                    }
                },
                req = self.actions.recv(), if *self.actions_open => match req {
                    Some(req) => self.start(req, &client, &mut jobs, &mut pending),
                    None => *self.actions_open = false,
                },
                done = jobs.join_next(), if !jobs.is_empty() => match done {
                    Some(Ok(Outcome::Done(id, result))) => self.finish(id, result, &mut pending),
                    Some(Ok(Outcome::Started(id, job))) => {
                        match early.iter().position(|(j, _)| *j == job) {
                            Some(i) => {
                                let (_, result) = early.swap_remove(i);
                                let label = pending.get(&id).map(|p| p.label.clone()).unwrap_or_default();
                                self.finish(id, result.map_err(|e| refused(&label, &e)), &mut pending);
                            }
                            None => {
                                background.insert(job, id);
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
        for (_, p) in pending.drain() {
            if let Some(leg) = &p.spy_leg {
                self.mapper.forget_spy(leg);
            }
            let _ = p.reply.send(Err(format!(
                "the link to FreeSWITCH dropped before it answered {}: {why}; check the floor before trying again",
                p.label
            )));
        }
        (ended, true)
    }

    /// `callcenter_config queue list agents|members|tiers` for every roster queue, as one observation.
    async fn snapshot(&mut self, client: &EslClient) -> Result<Observation, String> {
        let queues: Vec<String> = self.mapper.roster().queues.iter().map(|q| q.pbx.clone()).collect();
        let mut tables = Vec::with_capacity(queues.len());
        for queue in queues {
            let mut t = QueueTables { queue: queue.clone(), ..QueueTables::default() };
            for (what, slot) in [("agents", &mut t.agents), ("members", &mut t.members), ("tiers", &mut t.tiers)] {
                let line = format!("callcenter_config queue list {what} {queue}");
                let reply = client
                    .api(&line)
                    .await
                    .map_err(|e| format!("FreeSWITCH did not answer `{line}` for the snapshot: {e}"))?;
                let body = reply.body().unwrap_or("");
                if let Err(EslError::CommandFailed { reply_text }) = parse_api_body(body) {
                    return Err(format!("{} (is mod_callcenter loaded?)", refused(&line, &reply_text)));
                }
                *slot = body.to_string();
            }
            tables.push(t);
        }
        Ok(self.mapper.snapshot(&tables))
    }

    /// Plans an action and starts its commands on their own task, so events keep flowing while FreeSWITCH works.
    fn start(
        &mut self,
        req: ActionRequest,
        client: &EslClient,
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
        let client = client.clone();
        jobs.spawn(async move { execute(id, &client, steps).await });
    }

    fn finish(&mut self, id: u64, result: Result<(), String>, pending: &mut HashMap<u64, Pending>) {
        if let Some(p) = pending.remove(&id) {
            if result.is_err()
                && let Some(leg) = &p.spy_leg
            {
                self.mapper.forget_spy(leg);
            }
            if let Err(e) = &result {
                self.publish(Some(e.clone()));
            }
            let _ = p.reply.send(result);
        }
    }

    /// A BACKGROUND_JOB event: the answer to a `bgapi` (an originate), `+OK <uuid>` or `-ERR <cause>`.
    fn job_done(
        &mut self,
        ev: &EslEvent,
        pending: &mut HashMap<u64, Pending>,
        background: &mut HashMap<String, u64>,
        early: &mut Vec<(String, Result<(), String>)>,
    ) {
        let Some(job) = ev.header_str("Job-UUID") else {
            *self.link_malformed += 1;
            return;
        };
        let body = ev.body().unwrap_or("");
        let result = match parse_api_body(body) {
            Ok(_) => Ok(()),
            Err(EslError::CommandFailed { reply_text }) => Err(reply_text),
            Err(e) => Err(e.to_string()),
        };
        match background.remove(job) {
            Some(id) => {
                let label = pending.get(&id).map(|p| p.label.clone()).unwrap_or_default();
                self.finish(id, result.map_err(|e| refused(&label, &e)), pending);
            }
            None => {
                // The job's bgapi reply may still be on its way to the action task.
                if early.len() >= EARLY_JOBS {
                    drop(early.remove(0));
                }
                early.push((job.to_string(), result));
            }
        }
    }

    /// Copies the counters (and an error sentence, when given) into the health line. Events naming an agent or
    /// queue the floor description lacks count as unknown; each such name is logged once.
    fn publish(&mut self, error: Option<String>) {
        let stats = self.mapper.stats();
        for name in stats.unmapped_names.iter().skip(*self.names_logged) {
            tracing::warn!(
                target: "callfloor::bridge::esl",
                "FreeSWITCH names '{name}', which the floor description lacks: its events are skipped"
            );
        }
        *self.names_logged = stats.unmapped_names.len();
        let (frames, unknown, malformed) =
            (*self.frames, stats.unknown + stats.unmapped, stats.malformed + *self.link_malformed);
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
async fn execute(id: u64, client: &EslClient, steps: Vec<Step>) -> Outcome {
    for step in steps {
        if step.background {
            let reply = match client.bgapi(&step.line).await {
                Ok(r) => r,
                Err(e) => return Outcome::Done(id, Err(no_answer(&step.line, &e))),
            };
            if !reply.is_success() {
                return Outcome::Done(id, Err(refused(&step.line, reply.reply_text().unwrap_or(""))));
            }
            return match reply.job_uuid() {
                Some(job) => Outcome::Started(id, job.to_string()),
                None => Outcome::Done(id, Err(format!("FreeSWITCH gave no Job-UUID for {}", short(&step.line)))),
            };
        }
        let reply = match client.api(&step.line).await {
            Ok(r) => r,
            Err(e) => return Outcome::Done(id, Err(no_answer(&step.line, &e))),
        };
        if let Err(e) = reply.api_result() {
            let text = match e {
                EslError::CommandFailed { reply_text } => reply_text,
                other => other.to_string(),
            };
            return Outcome::Done(id, Err(refused(&step.line, &text)));
        }
    }
    Outcome::Done(id, Ok(()))
}

fn short(line: &str) -> &str {
    if line.starts_with("originate ") { "the originate of the listening leg" } else { line }
}

fn no_answer(line: &str, e: &EslError) -> String {
    format!("FreeSWITCH did not answer {}: {e}", short(line))
}

fn connect_error(target: &str, e: &EslError) -> String {
    match e {
        EslError::AuthenticationFailed { .. } => format!(
            "FreeSWITCH at {target} refused the event socket password: check --secret-file or CALLFLOOR_ESL_PASSWORD"
        ),
        EslError::AccessDenied { reason } => {
            format!("FreeSWITCH at {target} turned the connection away ({reason}): check its event socket ACL")
        }
        other => format!("cannot reach FreeSWITCH at {target}: {other}"),
    }
}

fn lost(target: &str, status: ConnectionStatus) -> String {
    match status {
        ConnectionStatus::Disconnected(reason) => format!("the link to FreeSWITCH at {target} dropped: {reason}"),
        _ => format!("the link to FreeSWITCH at {target} dropped"),
    }
}
