//! The hub: the one task that owns the [`Engine`]. It advances the engine on its clock, drains the events,
//! encodes one `events` frame per role class (masked, clear) per tick and hands the same bytes to every client's
//! bounded queue; it answers joins, resyncs and commands arriving over a channel. It never waits for a client.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::sync::{Notify, mpsc, oneshot};
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::mask::{mask_event, mask_floor};
use super::{ClockOrigin, Pacing, Stats};
use crate::bridge::{ActionRequest, Bridge, Observation, SourceStatus};
use crate::engine::sim::clock::Speed;
use crate::engine::store::{Store, StoreReport};
use crate::engine::{Engine, Submitted};
use crate::model::*;
use crate::protocol;

/// A frame queued for one client. The bytes are shared by every client of the same role class.
#[derive(Debug)]
pub(super) enum Frame {
    /// An `events` frame whose last event has seq `end_seq - 1`.
    Events {
        end_seq: u64,
        text: Utf8Bytes,
    },
    Metrics(Utf8Bytes),
}

/// A client's place on the hub, handed back by [`Control::Join`].
pub(super) struct Joined {
    pub id: u64,
    pub frames: mpsc::Receiver<Frame>,
    /// Notified when the hub dropped frames for this client: it must resync.
    pub resync: Arc<Notify>,
    pub seq: u64,
    pub snapshot: Utf8Bytes,
}

/// What the server's other tasks ask of the hub.
pub(super) enum Control {
    Join {
        role: Role,
        reply: oneshot::Sender<Result<Joined, String>>,
    },
    Leave {
        id: u64,
    },
    /// A fresh snapshot for a client; from now on its queue gets every batch again.
    Resync {
        id: u64,
        reply: oneshot::Sender<(u64, Utf8Bytes)>,
    },
    /// Runs a command; replies with its outcome and the seq after its events.
    Command {
        actor: Actor,
        command: Command,
        reply: oneshot::Sender<(Result<(), CommandError>, u64)>,
    },
    /// Audits a command the connection refused itself (rate limited); `more` further refusals share the entry.
    Refused {
        actor: Actor,
        command: Command,
        error: CommandError,
        more: u32,
    },
    /// Runs the engine `by` floor time further in steps of `step`, one batch per step; replies with the seq.
    Advance {
        by: chrono::Duration,
        step: chrono::Duration,
        reply: oneshot::Sender<u64>,
    },
    Floor {
        reply: oneshot::Sender<Floor>,
    },
    /// A record the floor no longer holds, from the store, masked for `role`.
    Query {
        role: Role,
        query: Query,
        reply: oneshot::Sender<Result<Record, CommandError>>,
    },
    Shutdown {
        reply: oneshot::Sender<Option<StoreReport>>,
    },
}

/// A command the PBX has answered (or failed to), back on the hub to be audited and acknowledged.
struct PbxDone {
    actor: Actor,
    command: Command,
    outcome: Result<(), String>,
    reply: oneshot::Sender<(Result<(), CommandError>, u64)>,
}

/// Observations applied per batch before the hub flushes and looks at its other work.
const OBSERVATION_BATCH: usize = 512;

struct Slot {
    id: u64,
    clear: bool,
    tx: mpsc::Sender<Frame>,
    resync: Arc<Notify>,
    /// Frames were dropped: nothing more is queued until the client took a fresh snapshot.
    stale: bool,
}

pub(super) struct Hub {
    engine: Engine,
    pacing: Pacing,
    origin: Option<ClockOrigin>,
    tick: Duration,
    metrics_every: Duration,
    queue_frames: usize,
    max_clients: usize,
    store: Option<Store>,
    stats: Arc<Stats>,
    clients: Vec<Slot>,
    next_id: u64,
    /// Snapshot frames by role class (0 masked, 1 clear), valid while the floor's seq is unchanged.
    snapshots: [Option<(u64, Utf8Bytes)>; 2],
    /// The floor's HTTP order lookups (`[orders] source = "http"`), started as calls arrive.
    orders: Option<crate::engine::orders::OrderLookups>,
    /// On a PBX-fed floor: where actions go, the link's health, and the observations (taken by `run`).
    actions: Option<mpsc::Sender<ActionRequest>>,
    source_health: Option<tokio::sync::watch::Receiver<SourceStatus>>,
    observations: Option<mpsc::Receiver<Observation>>,
    pbx_done_tx: mpsc::UnboundedSender<PbxDone>,
    pbx_done_rx: Option<mpsc::UnboundedReceiver<PbxDone>>,
}

/// Floor time a `Speed::Max` engine advances per step, and the wall time a tick may spend on it.
const MAX_STEP: chrono::Duration = chrono::Duration::seconds(1);
const MAX_BUDGET: Duration = Duration::from_millis(50);

impl Hub {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        engine: Engine,
        pacing: Pacing,
        origin: Option<ClockOrigin>,
        tick: Duration,
        metrics_every: Duration,
        queue_frames: usize,
        max_clients: usize,
        store: Option<Store>,
        stats: Arc<Stats>,
        bridge: Option<Bridge>,
    ) -> Hub {
        let (pbx_done_tx, pbx_done_rx) = mpsc::unbounded_channel();
        let (actions, source_health, observations) = match bridge {
            Some(b) => (Some(b.actions), Some(b.health), Some(b.observations)),
            None => (None, None, None),
        };
        Hub {
            actions,
            source_health,
            observations,
            pbx_done_tx,
            pbx_done_rx: Some(pbx_done_rx),
            engine,
            pacing,
            origin,
            tick,
            metrics_every,
            queue_frames: queue_frames.max(1),
            max_clients,
            store,
            stats,
            clients: Vec::new(),
            next_id: 0,
            snapshots: [None, None],
            orders: None,
        }
    }

    pub async fn run(mut self, mut ctl: mpsc::Receiver<Control>) {
        let mut tick = tokio::time::interval(self.tick);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut metrics = tokio::time::interval(self.metrics_every);
        metrics.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Order lookups run on threads of their own; their answers come back here, whenever they come.
        let mut order_replies = match self.engine.attach_order_lookups() {
            Some((lookups, replies)) => {
                self.orders = Some(lookups);
                Some(replies)
            }
            None => None,
        };
        let mut observations = self.observations.take();
        let mut pbx_done = self.pbx_done_rx.take();
        loop {
            tokio::select! {
                obs = async {
                    match observations.as_mut() {
                        Some(r) => r.recv().await,
                        None => std::future::pending().await,
                    }
                } => {
                    let started = Instant::now();
                    match obs {
                        Some(first) => {
                            self.engine.observe(first);
                            // What else has come in goes in the same batch.
                            if let Some(rx) = observations.as_mut() {
                                for _ in 1..OBSERVATION_BATCH {
                                    match rx.try_recv() {
                                        Ok(o) => self.engine.observe(o),
                                        Err(_) => break,
                                    }
                                }
                            }
                            self.flush();
                        }
                        None => {
                            tracing::error!("the PBX bridge stopped: the floor no longer follows the PBX");
                            observations = None;
                        }
                    }
                    self.busy(started);
                }
                Some(done) = async {
                    match pbx_done.as_mut() {
                        Some(r) => r.recv().await,
                        None => std::future::pending().await,
                    }
                } => {
                    let started = Instant::now();
                    let PbxDone { actor, command, outcome, reply } = done;
                    let result = self.engine.pbx_outcome(&actor, &command, outcome);
                    self.finish_command(&actor, &command, result, reply);
                    self.busy(started);
                }
                Some(reply) = async {
                    match order_replies.as_mut() {
                        Some(r) => r.recv().await,
                        None => std::future::pending().await,
                    }
                } => {
                    let started = Instant::now();
                    self.engine.orders_reply(reply);
                    self.flush();
                    self.busy(started);
                }
                msg = ctl.recv() => {
                    let Some(msg) = msg else { break };
                    let started = Instant::now();
                    let done = self.handle(msg);
                    self.busy(started);
                    if done {
                        return;
                    }
                }
                _ = tick.tick() => {
                    let started = Instant::now();
                    self.on_tick();
                    self.busy(started);
                }
                _ = metrics.tick() => {
                    let started = Instant::now();
                    self.send_metrics();
                    self.busy(started);
                }
            }
        }
        // Every sender is gone: close quietly.
        self.flush();
        if let Some(store) = self.store.take()
            && let Err(e) = store.close()
        {
            tracing::error!("{e}");
        }
    }

    fn busy(&self, started: Instant) {
        self.stats.busy_ns.fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
    }

    /// Handles one control message; true when the hub must stop.
    fn handle(&mut self, msg: Control) -> bool {
        match msg {
            Control::Join { role, reply } => {
                if self.clients.len() >= self.max_clients {
                    let _ = reply.send(Err(format!(
                        "the engine serves {} clients already, its limit: try again later",
                        self.clients.len()
                    )));
                    return false;
                }
                self.flush();
                let clear = role.sees_personal_data();
                let snapshot = self.snapshot(clear);
                let (tx, rx) = mpsc::channel(self.queue_frames);
                let resync = Arc::new(Notify::new());
                let id = self.next_id;
                self.next_id += 1;
                self.clients.push(Slot { id, clear, tx, resync: resync.clone(), stale: false });
                self.stats.clients.store(self.clients.len() as u64, Ordering::Relaxed);
                let joined = Joined { id, frames: rx, resync, seq: self.engine.floor().seq, snapshot };
                if let Err(Ok(j)) = reply.send(Ok(joined)) {
                    self.remove(j.id);
                }
            }
            Control::Leave { id } => self.remove(id),
            Control::Resync { id, reply } => {
                self.flush();
                let Some(clear) = self.clients.iter().find(|s| s.id == id).map(|s| s.clear) else { return false };
                let snapshot = self.snapshot(clear);
                if let Some(slot) = self.clients.iter_mut().find(|s| s.id == id) {
                    slot.stale = false;
                }
                let _ = reply.send((self.engine.floor().seq, snapshot));
            }
            Control::Command { actor, command, reply } => {
                if command.durable()
                    && let Some(store) = &self.store
                    && store.health().failing()
                {
                    let why = store.health().error().unwrap_or_else(|| "the database cannot be written".into());
                    let err = CommandError::store_failed(format!(
                        "not done: the engine's database cannot be written ({why}), and {} must be kept: try again \
                         when the store is back (the header shows it)",
                        command.name().replace('_', " ")
                    ));
                    self.engine.audit_refusal(&actor, &command, &err, 0);
                    self.flush();
                    let _ = reply.send((Err(err), self.engine.floor().seq));
                    return false;
                }
                // Any source the same way: the source carries the command out on the floor, or (a PBX) hands back
                // the action to send.
                let result = match self.engine.submit(&actor, &command) {
                    Ok(Submitted::Done) => Ok(()),
                    Ok(Submitted::Pending(action)) => {
                        self.send_action(actor, command, action, reply);
                        return false;
                    }
                    Err(e) => Err(e),
                };
                self.finish_command(&actor, &command, result, reply);
            }
            Control::Refused { actor, command, error, more } => {
                self.engine.audit_refusal(&actor, &command, &error, more);
            }
            Control::Advance { by, step, reply } => {
                let step = if step <= chrono::Duration::zero() { chrono::Duration::seconds(1) } else { step };
                let end = self.engine.now() + by;
                let mut t = self.engine.now();
                while t < end {
                    t = (t + step).min(end);
                    self.engine.advance_to(t);
                    self.flush();
                }
                let _ = reply.send(self.engine.floor().seq);
            }
            Control::Query { role, query, reply } => {
                let _ = reply.send(self.query(role, &query));
            }
            Control::Floor { reply } => {
                self.flush();
                let _ = reply.send(self.engine.floor().clone());
            }
            Control::Shutdown { reply } => {
                self.flush();
                // Dropping the queues tells every writer to close with "going away".
                self.clients.clear();
                self.stats.clients.store(0, Ordering::Relaxed);
                let report = self.store.take().and_then(|s| match s.close() {
                    Ok(r) => Some(r),
                    Err(e) => {
                        tracing::error!("{e}");
                        None
                    }
                });
                let _ = reply.send(report);
                return true;
            }
        }
        false
    }

    /// Logs a refusal, sends the command's events out, and answers the client once the store has committed them.
    fn finish_command(
        &mut self,
        actor: &Actor,
        command: &Command,
        result: Result<(), CommandError>,
        reply: oneshot::Sender<(Result<(), CommandError>, u64)>,
    ) {
        if let Err(e) = &result {
            tracing::info!(
                user = %actor.name,
                role = %actor.role,
                command = command.name(),
                code = e.code.as_str(),
                "command refused: {}",
                e.message
            );
        }
        // The command's events (its audit entry at least) go out before its ack, and the ack waits until the store
        // has committed them.
        self.flush();
        let seq = self.engine.floor().seq;
        match &self.store {
            Some(store) => {
                let committed = store.barrier();
                tokio::spawn(async move {
                    let result = match (result, committed.await) {
                        (Err(e), _) => Err(e),
                        (Ok(()), Ok(Ok(()))) => Ok(()),
                        (Ok(()), Ok(Err(why))) => Err(CommandError::store_failed(format!(
                            "done on the floor but not saved: the database cannot be written ({why}); the engine \
                             keeps retrying, and the change is lost if it stops first"
                        ))),
                        (Ok(()), Err(_)) => Err(CommandError::store_failed(
                            "done on the floor but not saved: the engine's store has stopped",
                        )),
                    };
                    let _ = reply.send((result, seq));
                });
            }
            None => {
                let _ = reply.send((result, seq));
            }
        }
    }

    /// Hands a checked command's action to the PBX bridge; the PBX's answer comes back as a [`PbxDone`]. With the
    /// link down the command is refused at once: an action must not wait, unseen, for a PBX that may never answer.
    fn send_action(
        &mut self,
        actor: Actor,
        command: Command,
        action: crate::bridge::PbxAction,
        reply: oneshot::Sender<(Result<(), CommandError>, u64)>,
    ) {
        let down = self.source_health.as_ref().map(|h| {
            let h = h.borrow();
            (!h.connected).then(|| {
                let why = h.error.as_ref().map(|e| format!(" ({e})")).unwrap_or_default();
                format!("not sent: the link to the PBX at {} is down{why}; try again once it is back", h.target)
            })
        });
        let refused = match (&self.actions, down.flatten()) {
            (None, _) => Some("not sent: this floor has no PBX bridge running".to_string()),
            (Some(_), Some(why)) => Some(why),
            (Some(tx), None) => {
                let (otx, orx) = oneshot::channel();
                match tx.try_send(ActionRequest { action, reply: otx }) {
                    Ok(()) => {
                        let done = self.pbx_done_tx.clone();
                        tokio::spawn(async move {
                            let outcome = orx.await.unwrap_or_else(|_| {
                                Err("the PBX bridge stopped before the PBX answered: the action may or may not have \
                                     been carried out; look at the floor"
                                    .into())
                            });
                            let _ = done.send(PbxDone { actor, command, outcome, reply });
                        });
                        return;
                    }
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        Some("not sent: the PBX bridge has too many actions waiting; try again in a moment".into())
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => Some("not sent: the PBX bridge has stopped".into()),
                }
            }
        };
        if let Some(why) = refused {
            let result = self.engine.pbx_outcome(&actor, &command, Err(why));
            self.finish_command(&actor, &command, result, reply);
        }
    }

    /// Answers a query from the store (the newest committed state; a call that ended this very tick may not be
    /// there yet).
    fn query(&mut self, role: Role, query: &Query) -> Result<Record, CommandError> {
        let Some(store) = &self.store else {
            return Err(CommandError::not_found(
                "this engine keeps no database (--db :memory: or the demo): only what is on the floor can be shown",
            ));
        };
        let record = match query {
            Query::Call { call } => match store.read(|r| r.call(*call)) {
                Ok(Some(c)) => Record::Call(Box::new(c)),
                Ok(None) => {
                    return Err(CommandError::not_found(format!("{call} is not in the engine's records")));
                }
                Err(e) => return Err(CommandError::store_failed(format!("cannot read the records: {e:#}"))),
            },
            // Answered by the connection, from the floor's knowledge base (see `conn::search_kb`).
            Query::Kb { .. } => {
                return Err(CommandError::not_found("knowledge queries are answered by the connection, not the store"));
            }
            Query::Ticket { ticket } => match store.read(|r| r.ticket(*ticket)) {
                Ok(Some(t)) => Record::Ticket(Box::new(t)),
                Ok(None) => {
                    return Err(CommandError::not_found(format!("{ticket} is not in the engine's records")));
                }
                Err(e) => return Err(CommandError::store_failed(format!("cannot read the records: {e:#}"))),
            },
        };
        Ok(if role.sees_personal_data() { record } else { super::mask::mask_record(record) })
    }

    fn remove(&mut self, id: u64) {
        self.clients.retain(|s| s.id != id);
        self.stats.clients.store(self.clients.len() as u64, Ordering::Relaxed);
    }

    fn on_tick(&mut self) {
        match self.pacing {
            Pacing::Manual => {}
            Pacing::Clock(Speed::Times(_)) => {
                if let Some(origin) = self.origin {
                    self.engine.advance_to(origin.floor_at(Instant::now()));
                }
            }
            Pacing::Clock(Speed::Max) => {
                let started = Instant::now();
                while started.elapsed() < MAX_BUDGET {
                    let t = self.engine.now() + MAX_STEP;
                    self.engine.advance_to(t);
                }
            }
        }
        self.flush();
    }

    /// The snapshot frame for a role class at the floor's current seq (call after [`Hub::flush`]).
    fn snapshot(&mut self, clear: bool) -> Utf8Bytes {
        let seq = self.engine.floor().seq;
        let slot = &mut self.snapshots[usize::from(clear)];
        if let Some((s, text)) = slot
            && *s == seq
        {
            return text.clone();
        }
        let text: Utf8Bytes = if clear {
            protocol::encode_snapshot(self.engine.floor())
        } else {
            protocol::encode_snapshot(&mask_floor(self.engine.floor()))
        }
        .into();
        *slot = Some((seq, text.clone()));
        text
    }

    /// Sends the events produced since the last flush: to the store, and as one frame per role class to every
    /// client that is keeping up. Called before anything that reads the floor's seq, so the floor's seq is always
    /// the `from_seq` of the next batch.
    fn flush(&mut self) {
        self.start_order_lookups();
        let events = self.engine.drain();
        if events.is_empty() {
            return;
        }
        let end_seq = self.engine.floor().seq;
        let from_seq = end_seq - events.len() as u64;
        let events = Arc::new(events);
        self.stats.events.fetch_add(events.len() as u64, Ordering::Relaxed);
        self.stats.batches.fetch_add(1, Ordering::Relaxed);
        if let Some(store) = &mut self.store {
            store.record(events.clone());
            // Ids beyond the last committed reservation must be durable before anyone sees them.
            if store.reserve(self.engine.numbering()) {
                let _ = store.wait_committed();
            }
        }
        let live = |clear: bool| move |s: &Slot| s.clear == clear && !s.stale;
        let clear = self
            .clients
            .iter()
            .any(live(true))
            .then(|| -> Utf8Bytes { protocol::encode_events(from_seq, &events).into() });
        let masked = self.clients.iter().any(live(false)).then(|| -> Utf8Bytes {
            let m: Vec<Cow<'_, Event>> = events.iter().map(mask_event).collect();
            protocol::encode_events(from_seq, &m).into()
        });
        self.fan_out(|slot| {
            let text = if slot.clear { clear.as_ref() } else { masked.as_ref() };
            text.map(|t| Frame::Events { end_seq, text: t.clone() })
        });
    }

    /// Starts the order lookups calls asked for; one that cannot start (busy) is answered on the floor at once.
    fn start_order_lookups(&mut self) {
        let Some(lookups) = &self.orders else { return };
        for req in self.engine.take_order_requests() {
            if let Some(reply) = lookups.start(req) {
                self.engine.orders_reply(reply);
            }
        }
    }

    fn send_metrics(&mut self) {
        if self.clients.is_empty() {
            return;
        }
        self.flush();
        let mut m = self.engine.metrics();
        m.store = self.store.as_ref().map(|s| s.health().status());
        m.source = self.source_health.as_ref().map(|h| {
            let mut status = h.borrow().clone();
            status.out_of_order = self.engine.out_of_order();
            // A PBX floor's clock reads the host's local time of day (see `cli`); `since` is told on it too.
            status.since = status.since.map(|t| t.with_timezone(&chrono::Local).naive_local().and_utc());
            status
        });
        let text: Utf8Bytes = protocol::encode_metrics(&m).into();
        self.fan_out(|_| Some(Frame::Metrics(text.clone())));
    }

    /// Queues a frame for every client keeping up; a full queue marks its client for resync.
    fn fan_out(&mut self, frame_for: impl Fn(&Slot) -> Option<Frame>) {
        let mut gone = Vec::new();
        for slot in self.clients.iter_mut().filter(|s| !s.stale) {
            let Some(frame) = frame_for(slot) else { continue };
            match slot.tx.try_send(frame) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) => {
                    slot.stale = true;
                    slot.resync.notify_one();
                    self.stats.resyncs.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(
                        client = slot.id,
                        "client fell behind its queue: its frames are dropped, it gets a fresh snapshot"
                    );
                }
                Err(mpsc::error::TrySendError::Closed(_)) => gone.push(slot.id),
            }
        }
        for id in gone {
            self.remove(id);
        }
    }
}
