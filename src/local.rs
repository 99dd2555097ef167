//! A local feed: an [`Engine`] in this process that talks to a console through the same channels as the
//! WebSocket client (`Update`s out, `Outgoing` commands in). For `callfloor console --local`, tests and benches.
//! It lives outside `console` (engine and console never depend on each other; this module wires them, as the demo
//! does).
//!
//! [`LocalFeed`] is the synchronous core (tests drive it step by step); [`spawn`] runs it on a thread at a speed.
//! Like the server, it masks caller numbers and ID numbers for roles below admin.

use std::time::{Duration, Instant};

use tokio::sync::mpsc::{self, Receiver, Sender, error::TryRecvError};

use crate::client::{ConnState, Outgoing, Update};
use crate::engine::Engine;
use crate::engine::server::mask::{mask_event, mask_floor};
use crate::engine::sim::clock::{Clock, ScaledClock, Speed};
use crate::model::*;

/// The name commands from a local console run under.
pub const LOCAL_USER: &str = "you";

/// An engine answering one console, step by step.
pub struct LocalFeed {
    engine: Engine,
    actor: Actor,
    /// The floor's knowledge base, indexed on the first `query{kb}` (or why it cannot be).
    kb: Option<Result<crate::kb::Index, String>>,
    /// HTTP order lookups, once attached ([`LocalFeed::attach_order_lookups`]), and where their answers come.
    orders: Option<(crate::engine::orders::OrderLookups, mpsc::UnboundedReceiver<crate::engine::orders::OrderReply>)>,
}

impl LocalFeed {
    /// A feed over `engine`; commands run as a supervisor named [`LOCAL_USER`].
    pub fn new(engine: Engine) -> LocalFeed {
        LocalFeed { engine, actor: Actor::new(LOCAL_USER, Role::Supervisor), kb: None, orders: None }
    }

    /// The same, with another role (to see refusals).
    pub fn with_role(engine: Engine, role: Role) -> LocalFeed {
        LocalFeed { engine, actor: Actor::new(LOCAL_USER, role), kb: None, orders: None }
    }

    /// The engine behind the feed, for tests that check its floor.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Runs the engine for `by` floor time before a console attaches (the demo's warm-up).
    pub fn warm_up(&mut self, by: chrono::Duration) {
        let to = self.engine.now() + by;
        self.engine.advance_to(to);
        self.engine.discard_outbox();
    }

    /// The engine's floor as this feed's role sees it (masked below admin), as a console mirror must hold it.
    pub fn visible_floor(&self) -> Floor {
        if self.unmasked() { self.engine.floor().clone() } else { mask_floor(self.engine.floor()) }
    }

    fn unmasked(&self) -> bool {
        self.actor.role.sees_personal_data()
    }

    /// What a console gets on attaching: connected, welcome, snapshot, metrics.
    pub fn hello(&mut self) -> Vec<Update> {
        self.engine.discard_outbox();
        let floor = self.visible_floor();
        vec![
            Update::Connection(ConnState::Connected),
            Update::Welcome {
                role: self.actor.role,
                server: "local engine".to_string(),
                user: self.actor.name.clone(),
                floor: Some(self.engine.identity().clone()),
            },
            Update::Snapshot { seq: floor.seq, floor: Box::new(floor) },
            self.metrics(),
        ]
    }

    /// Advances the engine to floor time `to` and returns the events it produced, if any.
    pub fn step_to(&mut self, to: Time) -> Option<Update> {
        self.engine.advance_to(to);
        self.drain()
    }

    /// Advances by `by` floor time.
    pub fn step(&mut self, by: chrono::Duration) -> Option<Update> {
        let to = self.engine.now() + by;
        self.step_to(to)
    }

    /// Looks orders up at the scenario's HTTP endpoint from now on (`[orders] source = "http"`); each batch then
    /// starts the lookups calls asked for and carries the answers that came.
    pub fn attach_order_lookups(&mut self) {
        self.orders = self.engine.attach_order_lookups();
    }

    /// Events produced since the last call, as one batch.
    pub fn drain(&mut self) -> Option<Update> {
        if let Some((lookups, replies)) = &mut self.orders {
            for req in self.engine.take_order_requests() {
                if let Some(reply) = lookups.start(req) {
                    self.engine.orders_reply(reply);
                }
            }
            while let Ok(reply) = replies.try_recv() {
                self.engine.orders_reply(reply);
            }
        }
        let mut events = self.engine.drain();
        if events.is_empty() {
            return None;
        }
        let from_seq = self.engine.floor().seq - events.len() as u64;
        if !self.unmasked() {
            events = events.iter().map(|e| mask_event(e).into_owned()).collect();
        }
        Some(Update::Events { from_seq, events })
    }

    /// The engine's metric figures, as the once-a-second update.
    pub fn metrics(&self) -> Update {
        Update::Metrics(Box::new(self.engine.metrics()))
    }

    /// Executes a command: the events it caused, then its ack or error.
    pub fn handle(&mut self, out: &Outgoing) -> Vec<Update> {
        let command = match &out.request {
            crate::client::Request::Command(c) => c,
            crate::client::Request::Query(Query::Kb { kb, limit }) => return vec![self.search_kb(&out.id, kb, *limit)],
            // A local feed keeps no store: only what is on the floor can be shown.
            crate::client::Request::Query(_) => {
                return vec![Update::Error {
                    id: Some(out.id.clone()),
                    code: crate::model::ErrorCode::NotFound,
                    message: "this engine keeps no database: only what is on the floor can be shown".into(),
                }];
            }
        };
        let result = self.engine.command(&self.actor, command);
        let mut updates: Vec<Update> = self.drain().into_iter().collect();
        updates.push(match result {
            Ok(()) => Update::Ack { id: out.id.clone() },
            Err(e) => Update::Error { id: Some(out.id.clone()), code: e.code, message: e.message },
        });
        updates
    }
}

impl LocalFeed {
    /// Answers `query{kb}` as the server does: from the scenario's knowledge base, or `not_found` without one.
    fn search_kb(&mut self, id: &str, words: &str, limit: Option<u32>) -> Update {
        if self.kb.is_none() {
            self.kb = self.engine.knowledge().cloned().map(crate::kb::Index::build);
        }
        let error = |code, message: String| Update::Error { id: Some(id.to_string()), code, message };
        match &self.kb {
            None => error(
                ErrorCode::NotFound,
                "this floor has no knowledge base: its scenario names none (the `knowledge` key, docs/SCENARIOS.md)"
                    .into(),
            ),
            Some(Err(e)) => error(ErrorCode::NotFound, e.clone()),
            Some(Ok(index)) => match crate::kb::answer(index, words, limit) {
                Ok(answer) => Update::Record { id: id.to_string(), record: Record::Kb(Box::new(answer)) },
                Err(e) => error(ErrorCode::BadFrame, e),
            },
        }
    }
}

/// How [`spawn`] runs the feed.
#[derive(Debug, Clone)]
pub struct LocalOptions {
    /// Floor-seconds per wall-second (`Max` runs as fast as the channel drains).
    pub speed: Speed,
    /// Floor time the engine runs before the console attaches.
    pub warm_up: chrono::Duration,
    /// Wall time between batches.
    pub tick: Duration,
}

impl Default for LocalOptions {
    fn default() -> Self {
        LocalOptions {
            speed: Speed::Times(10.0),
            warm_up: chrono::Duration::minutes(10),
            tick: Duration::from_millis(100),
        }
    }
}

/// Runs `engine` on a thread: warm-up, hello, then every tick a batch of events (and metrics once a second),
/// executing commands as they come. The thread ends when the console drops its receiver.
pub fn spawn(engine: Engine, opts: LocalOptions) -> (Receiver<Update>, Sender<Outgoing>) {
    let (up_tx, up_rx) = mpsc::channel::<Update>(256);
    let (out_tx, mut out_rx) = mpsc::channel::<Outgoing>(64);
    let spawned = std::thread::Builder::new().name("callfloor-local-feed".into()).spawn(move || {
        let mut feed = LocalFeed::new(engine);
        feed.warm_up(opts.warm_up);
        feed.attach_order_lookups();
        for u in feed.hello() {
            if up_tx.blocking_send(u).is_err() {
                return;
            }
        }
        let speed = match opts.speed {
            Speed::Times(s) => s,
            // "As fast as possible" for a console means a floor-minute per tick: fast, yet watchable.
            Speed::Max => 60.0 / opts.tick.as_secs_f64().max(0.001),
        };
        let mut clock = ScaledClock::new(feed.engine().now(), speed);
        let mut last_metrics = Instant::now();
        loop {
            loop {
                match out_rx.try_recv() {
                    Ok(out) => {
                        for u in feed.handle(&out) {
                            if up_tx.blocking_send(u).is_err() {
                                return;
                            }
                        }
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => return,
                }
            }
            if let Some(u) = feed.step_to(clock.now())
                && up_tx.blocking_send(u).is_err()
            {
                return;
            }
            if last_metrics.elapsed() >= Duration::from_secs(1) {
                last_metrics = Instant::now();
                if up_tx.blocking_send(feed.metrics()).is_err() {
                    return;
                }
            }
            std::thread::sleep(opts.tick);
        }
    });
    if let Err(e) = spawned {
        tracing::error!("cannot start the local feed thread: {e}");
    }
    (up_rx, out_tx)
}
