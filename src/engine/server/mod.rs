//! The engine's WebSocket server: serves a running floor to clients (see docs/PROTOCOL.md).
//!
//! One hub (on its own thread) owns the [`Engine`]; an acceptor task takes connections, and each connection has
//! a reader and a writer task. They talk to the hub only through channels: commands in with a oneshot for the
//! reply, frames out through a bounded queue per client.

mod admit;
mod conn;
mod hub;
pub mod mask;
pub mod tls;
pub mod tokens;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, watch};

use super::Engine;
use super::sim::clock::Speed;
use super::store::{Db, DbOptions, StoreReport};
use crate::model::{Floor, Role, Time};
use crate::protocol;
use hub::{Control, Hub};
pub use tls::ServerTls;
pub use tokens::{TokenEntry, Tokens, TokensError, generate_token};

/// How the hub moves floor time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pacing {
    /// With the wall clock at a speed (`Speed::Max`: as fast as the CPU allows, ~50 ms of work per tick).
    Clock(Speed),
    /// Only when told to, with [`ServerHandle::advance`] (tests, benchmarks).
    Manual,
}

/// Per-connection limits.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest client frame; a bigger one closes the connection with 1009.
    pub max_frame_bytes: usize,
    /// Time to open the WebSocket and say hello; then the connection is closed with 1008.
    pub hello_timeout: Duration,
    /// Frames a client may send per second, on average...
    pub frames_per_sec: f64,
    /// ...and in a burst. Frames over the limit get `rate_limited`.
    pub frame_burst: f64,
    /// This many rate-limited frames in a row close the connection with 1008 (flood).
    pub flood_close_after: u32,
    /// This many bad frames in a row close the connection with 1008.
    pub bad_frames_close_after: u32,
    /// Frames queued for a client before it is marked for resync (batches are ~10 a second).
    pub queue_frames: usize,
    /// A client that does not answer a ping for this long (or whose socket takes no data for this long) is dropped.
    pub write_timeout: Duration,
    /// A ping goes to each client this often (at most every `write_timeout`); WebSocket libraries answer pings
    /// by themselves while the client reads.
    pub ping_every: Duration,
    /// Connected clients at most.
    pub max_clients: usize,
    /// The last this many of `max_clients` places are for supervisors, admins and feeders (`ingest`): viewers cannot
    /// take them.
    pub staff_reserved: usize,
    /// Clients one token may have connected at once.
    pub max_per_token: usize,
    /// Connections (connected or waiting for hello) one peer address may have open at once. Behind an SSH tunnel or
    /// a proxy every client has the same address: raise it there.
    pub max_per_address: usize,
    /// Connections that have not said hello yet, at most; more are closed at once, before the WebSocket handshake.
    pub max_pending_hello: usize,
    /// ...and at most this many of them from one address.
    pub max_pending_hello_per_address: usize,
    /// Bytes a connection may send before its hello is accepted (the HTTP upgrade request and the hello frame);
    /// more closes it with 1009.
    pub pre_hello_bytes: usize,
    /// Wrong tokens from one address that cost nothing...
    pub auth_free_failures: u32,
    /// ...then each one refuses hellos from that address for a wait starting at this...
    pub auth_backoff: Duration,
    /// ...doubling with each further wrong token up to this.
    pub auth_backoff_max: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frame_bytes: protocol::MAX_CLIENT_FRAME_BYTES,
            hello_timeout: protocol::HELLO_TIMEOUT,
            frames_per_sec: 20.0,
            frame_burst: 40.0,
            flood_close_after: 100,
            bad_frames_close_after: 20,
            queue_frames: 64,
            write_timeout: Duration::from_secs(30),
            ping_every: Duration::from_secs(10),
            max_clients: 500,
            staff_reserved: 50,
            max_per_token: 16,
            max_per_address: 100,
            max_pending_hello: 64,
            max_pending_hello_per_address: 8,
            pre_hello_bytes: 16 * 1024,
            auth_free_failures: 5,
            auth_backoff: Duration::from_secs(1),
            auth_backoff_max: Duration::from_secs(60),
        }
    }
}

/// Everything [`serve`] needs besides the engine and the socket.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub tokens: Tokens,
    pub pacing: Pacing,
    pub limits: Limits,
    /// One `events` frame per tick.
    pub tick: Duration,
    pub metrics_every: Duration,
    /// The store (SQLite file, and its key) the floor continues from and writes tickets, alerts, audit and call
    /// records to; `None` keeps the floor in memory only.
    pub db: Option<DbOptions>,
    /// Serve `wss://` with this certificate and key (None: plain `ws://`).
    pub tls: Option<ServerTls>,
}

impl ServerConfig {
    pub fn new(tokens: Tokens, pacing: Pacing) -> ServerConfig {
        ServerConfig {
            tokens,
            pacing,
            limits: Limits::default(),
            tick: protocol::TICK,
            metrics_every: protocol::METRICS_EVERY,
            db: None,
            tls: None,
        }
    }
}

/// Maps wall time to floor time for a clock-paced hub: floor time = `floor` + (wall − `wall`) × `speed`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClockOrigin {
    pub wall: Instant,
    pub floor: Time,
    pub speed: f64,
}

impl ClockOrigin {
    /// Floor time at a wall instant.
    pub fn floor_at(&self, wall: Instant) -> Time {
        let secs = wall.saturating_duration_since(self.wall).as_secs_f64() * self.speed;
        self.floor + chrono::Duration::microseconds((secs * 1e6) as i64)
    }

    /// Wall instant at which the clock reaches floor time `t` (the origin for earlier times).
    pub fn wall_at(&self, t: Time) -> Instant {
        let floor_secs = (t - self.floor).num_microseconds().unwrap_or(0).max(0) as f64 / 1e6;
        self.wall + Duration::from_secs_f64(floor_secs / self.speed.max(f64::MIN_POSITIVE))
    }
}

/// Counters the server keeps, for logs and benchmarks.
#[derive(Debug, Default)]
pub struct Stats {
    events: AtomicU64,
    batches: AtomicU64,
    resyncs: AtomicU64,
    clients: AtomicU64,
    busy_ns: AtomicU64,
}

/// A reading of [`Stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StatsSnapshot {
    /// Events sent out (each once, whatever the number of clients).
    pub events: u64,
    /// Batches (ticks with events).
    pub batches: u64,
    /// Times a client fell behind its queue and was marked for a fresh snapshot.
    pub resyncs: u64,
    pub clients: u64,
    /// Time the hub spent working (engine, encoding, fan-out).
    pub hub_busy: Duration,
}

impl Stats {
    fn read(&self) -> StatsSnapshot {
        StatsSnapshot {
            events: self.events.load(Ordering::Relaxed),
            batches: self.batches.load(Ordering::Relaxed),
            resyncs: self.resyncs.load(Ordering::Relaxed),
            clients: self.clients.load(Ordering::Relaxed),
            hub_busy: Duration::from_nanos(self.busy_ns.load(Ordering::Relaxed)),
        }
    }
}

/// A running server. Dropping it stops the server too, without waiting; [`ServerHandle::shutdown`] waits.
pub struct ServerHandle {
    addr: SocketAddr,
    /// Serving `wss://`.
    tls: bool,
    ctl: mpsc::Sender<Control>,
    stop_accepting: watch::Sender<bool>,
    hub_thread: Option<std::thread::JoinHandle<()>>,
    stats: Arc<Stats>,
    origin: Option<ClockOrigin>,
}

impl std::fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerHandle").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl ServerHandle {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `ws://` (or, with TLS, `wss://`) URL of the server.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "wss" } else { "ws" };
        format!("{scheme}://{}", self.addr)
    }

    /// Whether the server serves `wss://`.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The wall/floor time mapping of a clock-paced server at a speed.
    pub fn clock_origin(&self) -> Option<ClockOrigin> {
        self.origin
    }

    pub fn stats(&self) -> StatsSnapshot {
        self.stats.read()
    }

    async fn ask<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Control) -> Result<T> {
        let (tx, rx) = oneshot::channel();
        self.ctl.send(make(tx)).await.map_err(|_| anyhow::anyhow!("the engine has stopped"))?;
        rx.await.map_err(|_| anyhow::anyhow!("the engine has stopped"))
    }

    /// Runs the engine `by` floor time further, in steps of `step` (one events batch per step). Returns the floor's
    /// seq afterwards. Meant for a [`Pacing::Manual`] server.
    pub async fn advance(&self, by: chrono::Duration, step: chrono::Duration) -> Result<u64> {
        self.ask(|reply| Control::Advance { by, step, reply }).await
    }

    /// A copy of the engine's floor (unmasked), after every event so far was sent to the clients.
    pub async fn floor(&self) -> Result<Floor> {
        self.ask(|reply| Control::Floor { reply }).await
    }

    /// Stops accepting, closes every client with 1001, stops the engine and closes the store (saying what it wrote).
    pub async fn shutdown(mut self) -> Result<Option<StoreReport>> {
        let _ = self.stop_accepting.send(true);
        let report = self.ask(|reply| Control::Shutdown { reply }).await?;
        if let Some(thread) = self.hub_thread.take() {
            tokio::task::spawn_blocking(move || thread.join())
                .await
                .context("waiting for the engine thread")?
                .map_err(|_| anyhow::anyhow!("the engine thread panicked"))?;
        }
        Ok(report)
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if self.hub_thread.is_some() {
            let _ = self.stop_accepting.send(true);
            let (tx, _rx) = oneshot::channel();
            let _ = self.ctl.try_send(Control::Shutdown { reply: tx });
        }
    }
}

/// The server's name and version, as sent in `welcome`.
pub fn server_name() -> String {
    format!("callfloor {}", env!("CARGO_PKG_VERSION"))
}

/// Serves `engine`'s floor on `listener`. Must be called inside a tokio runtime (connections run on it; the
/// engine runs on a thread of its own).
pub async fn serve(listener: TcpListener, engine: Engine, config: ServerConfig) -> Result<ServerHandle> {
    serve_source(listener, engine, config, None).await
}

/// Serves a floor fed by a PBX `bridge` (see [`crate::bridge`]); with `None`, as [`serve`]. Observations go to the
/// engine as they come; commands that act on calls and seats go to the bridge as actions, and their clients are
/// answered when the PBX answers.
pub async fn serve_source(
    listener: TcpListener,
    mut engine: Engine,
    config: ServerConfig,
    bridge: Option<crate::bridge::Bridge>,
) -> Result<ServerHandle> {
    let addr = listener.local_addr().context("reading the listening address")?;
    // A floor with a store continues what the store saved.
    let db = match &config.db {
        Some(opts) => {
            let db = Db::open(opts)?;
            let resume = db.resume(engine.scenario_id())?;
            engine.resume(&resume);
            tracing::info!(
                db = %opts.path.display(),
                runs = resume.runs,
                tickets = resume.tickets.len(),
                alerts = resume.alerts.len(),
                "{}",
                if resume.runs == 0 { "starting a new floor in the db" } else { "continuing the saved floor" }
            );
            Some((db, resume))
        }
        None => None,
    };
    // Events so far are already on the floor, which every client gets as its first snapshot.
    engine.discard_outbox();
    // The floor's identity says when it started serving.
    let identity = crate::model::FloorIdentity { id: engine.identity().id.clone(), started: chrono::Utc::now() };
    engine.set_identity(identity.clone());
    let store = match db {
        Some((db, resume)) => {
            let clear = engine.stores_clear_transcripts();
            Some(db.start(engine.floor(), &identity, &resume, engine.numbering(), clear)?)
        }
        None => None,
    };
    let kb = match engine.knowledge().cloned().map(crate::kb::Index::build) {
        Some(Ok(index)) => Some(index),
        Some(Err(e)) => {
            tracing::warn!("{e}: the floor answers knowledge queries with not_found");
            None
        }
        None => None,
    };
    let origin = match config.pacing {
        Pacing::Clock(Speed::Times(speed)) => Some(ClockOrigin { wall: Instant::now(), floor: engine.now(), speed }),
        _ => None,
    };
    let stats = Arc::new(Stats::default());
    let (ctl_tx, ctl_rx) = mpsc::channel(1024);
    let hub = Hub::new(
        engine,
        config.pacing,
        origin,
        config.tick,
        config.metrics_every,
        config.limits.queue_frames,
        config.limits.max_clients,
        store,
        stats.clone(),
        bridge,
    );
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_time().build().context("starting the engine's runtime")?;
    let hub_thread = std::thread::Builder::new()
        .name("callfloor-engine".into())
        .spawn(move || runtime.block_on(hub.run(ctl_rx)))
        .context("starting the engine thread")?;

    let tls = config.tls;
    let is_tls = tls.is_some();
    let shared = conn::Shared::new(config.tokens, config.limits, ctl_tx.clone(), server_name(), identity, kb);
    let (stop_tx, mut stop_rx) = watch::channel(false);
    conn::spawn_summary_log(&shared);
    tokio::spawn(async move {
        loop {
            tokio::select! {
                r = listener.accept() => match r {
                    Ok((stream, peer)) => conn::admit(stream, peer, &shared, tls.as_ref()),
                    Err(e) => {
                        // Out of file descriptors and the like: wait a little rather than spin.
                        tracing::warn!("accepting a connection failed: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
                _ = stop_rx.changed() => break,
            }
        }
    });
    tracing::info!(%addr, tls = is_tls, "serving the floor");
    Ok(ServerHandle {
        addr,
        tls: is_tls,
        ctl: ctl_tx,
        stop_accepting: stop_tx,
        hub_thread: Some(hub_thread),
        stats,
        origin,
    })
}

/// A demo engine served on a free loopback port, with tokens made for this run.
#[derive(Debug)]
pub struct DemoServer {
    pub addr: SocketAddr,
    /// Token of the demo's supervisor (named `supervisor`).
    pub supervisor_token: String,
    /// Token of an admin (named `admin`), who sees unmasked data.
    pub admin_token: String,
    /// Token of a read-only viewer (named `viewer`).
    pub viewer_token: String,
    /// Stops the server.
    pub server: ServerHandle,
}

impl DemoServer {
    /// `ws://` URL of the server.
    pub fn url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// Stops the server and waits for it.
    pub async fn shutdown(self) -> Result<()> {
        self.server.shutdown().await.map(|_| ())
    }
}

/// Serves `engine` on 127.0.0.1 (a free port) at `speed`, with a supervisor, an admin and a viewer token made for
/// this run.
pub async fn spawn_demo_server(engine: Engine, speed: Speed) -> Result<DemoServer> {
    let supervisor_token = generate_token();
    let admin_token = generate_token();
    let viewer_token = generate_token();
    let tokens = Tokens::from_entries(vec![
        TokenEntry { name: "supervisor".into(), token: supervisor_token.clone(), role: Role::Supervisor },
        TokenEntry { name: "admin".into(), token: admin_token.clone(), role: Role::Admin },
        TokenEntry { name: "viewer".into(), token: viewer_token.clone(), role: Role::Viewer },
    ]);
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.context("opening a loopback port for the demo engine")?;
    let server = serve(listener, engine, ServerConfig::new(tokens, Pacing::Clock(speed))).await?;
    Ok(DemoServer { addr: server.local_addr(), supervisor_token, admin_token, viewer_token, server })
}
