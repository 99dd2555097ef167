//! One client connection: the WebSocket handshake, hello and token check, then a reader (commands, resync
//! requests, limits) and a writer (welcome, snapshot, queued frames, replies, pings) that never blocks the hub.
//!
//! Before hello a connection holds a [`Pending`] place and may send only [`Limits::pre_hello_bytes`]; wrong tokens
//! back its address off ([`AuthThrottle`]); a hello takes a [`Seat`] (per-token, per-address and viewer caps).
//! Refusals are logged in summary ([`Tally`]), not one line each.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{Notify, mpsc, oneshot, watch};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message, Utf8Bytes};

use super::Limits;
use super::admit::{Gate, Pending, SUMMARY_EVERY, Tally};
use super::hub::{Control, Frame};
use crate::model::{Actor, Command, CommandError, ErrorCode};
use crate::protocol::{self, ClientMsg, ServerMsg, close};

use super::tokens::{AuthThrottle, Tokens};

/// A client's byte stream: plain TCP, or TLS over TCP.
pub(super) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

type Sink = SplitSink<WebSocketStream<Budgeted<Box<dyn Io>>>, Message>;
type Source = SplitStream<WebSocketStream<Budgeted<Box<dyn Io>>>>;

/// tungstenite's read buffer per connection. Allocated up front, so it is what each connection costs before it
/// says anything: measured with 1,000 connections waiting for hello, 8.5 KiB each with this, 132 KiB with the
/// default 128 KiB (which let unauthenticated sockets take gigabytes). It grows when a bigger frame comes.
const READ_BUFFER: usize = 4 * 1024;

/// How long a closing connection waits for the client's close reply before it drops the socket.
const LINGER: Duration = Duration::from_secs(2);
/// Replies (acks, errors) waiting for the writer.
const REPLY_QUEUE: usize = 64;
/// Rate-limited commands of one run (frames over the limit in a row) that get an audit entry each; the rest of the
/// run share one entry, written when the run ends. So the audit log counts every refusal a client was sent, and a
/// flood adds at most this many entries plus one per run (and a run needs an accepted frame before the next).
const AUDITED_PER_RUN: u32 = 10;

/// The rate-limited commands of the current run.
#[derive(Default)]
struct LimitedRun {
    audited: u32,
    /// Refused after the first [`AUDITED_PER_RUN`], not audited yet; the newest of them.
    unaudited: u32,
    last: Option<Command>,
}

impl LimitedRun {
    /// Audits a rate-limited command now, or counts it for the run's closing entry. False when the hub is gone.
    async fn refused(&mut self, shared: &Shared, actor: &Actor, command: &Command, message: &str) -> bool {
        if self.audited >= AUDITED_PER_RUN {
            self.unaudited += 1;
            self.last = Some(command.clone());
            return true;
        }
        self.audited += 1;
        let error = CommandError::new(ErrorCode::RateLimited, message);
        let ctl = Control::Refused { actor: actor.clone(), command: command.clone(), error, more: 0 };
        shared.ctl.send(ctl).await.is_ok()
    }

    /// The run is over: writes one audit entry for the commands not audited one by one, and starts afresh.
    async fn end(&mut self, shared: &Shared, actor: &Actor) {
        let run = std::mem::take(self);
        let Some(command) = run.last else { return };
        let n = run.unaudited;
        let message = format!(
            "{n} more commands in the same run were over the rate limit ({} a second, bursts of {}) and were dropped",
            shared.limits.frames_per_sec, shared.limits.frame_burst
        );
        let error = CommandError::new(ErrorCode::RateLimited, message);
        let _ = shared.ctl.send(Control::Refused { actor: actor.clone(), command, error, more: n - 1 }).await;
    }
}

/// What every connection task shares.
pub(super) struct Shared {
    pub tokens: Tokens,
    pub limits: Limits,
    pub ctl: mpsc::Sender<Control>,
    pub server_name: String,
    /// Which floor this server serves, sent in every welcome.
    pub identity: crate::model::FloorIdentity,
    gate: Arc<Gate>,
    throttle: Mutex<AuthThrottle>,
    tally: Arc<Tally>,
    /// The floor's knowledge base, indexed: `query{kb}` is answered here, on a blocking thread, never by the hub
    /// (a search takes milliseconds on a large base; the engine loop must not wait for it).
    pub kb: Option<Arc<Mutex<crate::kb::Index>>>,
}

impl Shared {
    pub fn new(
        tokens: Tokens,
        limits: Limits,
        ctl: mpsc::Sender<Control>,
        server_name: String,
        identity: crate::model::FloorIdentity,
        kb: Option<crate::kb::Index>,
    ) -> Arc<Shared> {
        let throttle = AuthThrottle::new(limits.auth_free_failures, limits.auth_backoff, limits.auth_backoff_max);
        Arc::new(Shared {
            gate: Arc::new(Gate::new(&limits)),
            throttle: Mutex::new(throttle),
            tally: Arc::new(Tally::default()),
            tokens,
            limits,
            ctl,
            server_name,
            identity,
            kb: kb.map(|i| Arc::new(Mutex::new(i))),
        })
    }

    fn throttle(&self) -> MutexGuard<'_, AuthThrottle> {
        self.throttle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Takes an accepted connection: gives it a place to say hello in and serves it, or closes it at once when the
/// connections waiting for hello are at their limit (in all or from its address), before any handshake.
pub(super) fn admit(stream: TcpStream, peer: SocketAddr, shared: &Arc<Shared>, tls: Option<&super::tls::ServerTls>) {
    match shared.gate.arrive(peer.ip()) {
        Ok(pending) => {
            let _ = stream.set_nodelay(true);
            let shared = shared.clone();
            match tls {
                None => {
                    tokio::spawn(serve(Box::new(stream), peer, shared, pending));
                }
                Some(tls) => {
                    // The TLS handshake runs on the connection's own task, so a silent peer holds up no one, and
                    // it holds the connection's place to say hello in.
                    let tls = tls.clone();
                    let within = shared.limits.hello_timeout;
                    tokio::spawn(async move {
                        if let Some(stream) = tls.accept(stream, peer, within).await {
                            serve(Box::new(stream), peer, shared, pending).await;
                        }
                    });
                }
            }
        }
        Err(refusal) => {
            shared.tally.note(peer.ip(), refusal.cause());
            drop(stream);
        }
    }
}

/// Logs the refused connections every [`SUMMARY_EVERY`], one line per address and cause, while the server runs.
pub(super) fn spawn_summary_log(shared: &Arc<Shared>) {
    let alive = Arc::downgrade(shared);
    let tally = shared.tally.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(SUMMARY_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        every.tick().await;
        loop {
            every.tick().await;
            for line in tally.report(SUMMARY_EVERY) {
                tracing::warn!("{line}");
            }
            if alive.strong_count() == 0 {
                break;
            }
        }
    });
}

/// A stream whose reads fail once more than `budget` bytes came in, until `lifted` is set (at hello): what a
/// connection may send before it is known bounds what it can make the server hold.
pub(super) struct Budgeted<S> {
    inner: S,
    budget: usize,
    read: usize,
    lifted: Arc<AtomicBool>,
}

/// The error a [`Budgeted`] stream's read fails with.
#[derive(Debug, thiserror::Error)]
#[error("more than {0} bytes before hello")]
struct OverBudget(usize);

impl<S: AsyncRead + Unpin> AsyncRead for Budgeted<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled
            && !this.lifted.load(Ordering::Relaxed)
        {
            this.read = this.read.saturating_add(buf.filled().len() - before);
            if this.read > this.budget {
                return Poll::Ready(Err(std::io::Error::new(std::io::ErrorKind::InvalidData, OverBudget(this.budget))));
            }
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Budgeted<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

fn is_over_budget(e: &WsError) -> bool {
    matches!(e, WsError::Io(io) if io.get_ref().is_some_and(|inner| inner.is::<OverBudget>()))
}

/// Whole seconds of a wait, rounded up (a wait of 0.2 s is "1 s").
fn secs_up(d: Duration) -> u64 {
    d.as_millis().div_ceil(1000).max(1) as u64
}

enum Reply {
    /// A frame to send once the client was sent every event before seq `after_seq` (so a command's ack follows
    /// its events).
    Text {
        after_seq: u64,
        text: String,
    },
    Close(u16, String),
}

fn close_msg(code: u16, reason: &str) -> Message {
    // A close reason is at most 123 bytes.
    let mut reason = reason.to_string();
    while reason.len() > 123 {
        reason.pop();
    }
    Message::Close(Some(CloseFrame { code: CloseCode::from(code), reason: Utf8Bytes::from(reason) }))
}

fn is_too_big(e: &WsError) -> bool {
    matches!(e, WsError::Capacity(_))
}

/// Serves one accepted connection (TLS done, if any), holding a place to say hello in, until it ends.
async fn serve(stream: Box<dyn Io>, peer: SocketAddr, shared: Arc<Shared>, pending: Pending) {
    let limits = &shared.limits;
    let ip = peer.ip();
    // tungstenite's own cap is a hard stop well above ours, so a frame a little over our cap is read whole and
    // answered with a clean close instead of a broken connection. Before hello the byte budget is the bound.
    let hard_cap = limits.max_frame_bytes.saturating_mul(16).max(1 << 20);
    let config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .max_message_size(Some(hard_cap))
        .max_frame_size(Some(hard_cap));
    let lifted = Arc::new(AtomicBool::new(false));
    let stream = Budgeted { inner: stream, budget: limits.pre_hello_bytes, read: 0, lifted: lifted.clone() };
    let deadline = tokio::time::Instant::now() + limits.hello_timeout;
    let ws = match tokio::time::timeout_at(deadline, tokio_tungstenite::accept_async_with_config(stream, Some(config)))
        .await
    {
        Ok(Ok(ws)) => ws,
        Ok(Err(e)) if is_over_budget(&e) => {
            shared.tally.note(ip, "too much data before hello");
            return;
        }
        Ok(Err(e)) => {
            tracing::debug!(%peer, "WebSocket handshake failed: {e}");
            shared.tally.note(ip, "WebSocket handshake failed");
            return;
        }
        Err(_) => {
            shared.tally.note(ip, "no WebSocket handshake in time");
            return;
        }
    };
    let (mut sink, mut source) = ws.split();

    // Hello.
    let entry = loop {
        let msg = match tokio::time::timeout_at(deadline, source.next()).await {
            Err(_) => {
                let secs = limits.hello_timeout.as_secs_f64();
                let why = format!("no hello within {secs} s");
                let no_hello = Some("no hello in time");
                return refuse(
                    sink,
                    source,
                    &shared,
                    peer,
                    no_hello,
                    Some(ErrorCode::Unauthorized),
                    close::POLICY,
                    &why,
                )
                .await;
            }
            Ok(None) => return,
            Ok(Some(Err(e))) if is_too_big(&e) => {
                let cause = Some("frame too big before hello");
                return refuse(sink, source, &shared, peer, cause, None, close::TOO_BIG, "frame too big").await;
            }
            Ok(Some(Err(e))) if is_over_budget(&e) => {
                let why = format!("more than {} bytes before hello", limits.pre_hello_bytes);
                let cause = Some("too much data before hello");
                return refuse(sink, source, &shared, peer, cause, None, close::TOO_BIG, &why).await;
            }
            Ok(Some(Err(e))) => {
                tracing::debug!(%peer, "connection failed before hello: {e}");
                return;
            }
            Ok(Some(Ok(m))) => m,
        };
        match msg {
            Message::Text(t) => {
                if t.len() > limits.max_frame_bytes {
                    let why = format!("frame of {} bytes is over the {} byte limit", t.len(), limits.max_frame_bytes);
                    let cause = Some("frame too big before hello");
                    return refuse(sink, source, &shared, peer, cause, None, close::TOO_BIG, &why).await;
                }
                let bad_hello = Some("first frame not a valid hello");
                match protocol::decode_client(&t) {
                    Ok(ClientMsg::Hello { token, .. }) => {
                        let now = Instant::now();
                        // Backing off: not even the right token is checked, so no guess is tried during a wait.
                        let blocked = shared.throttle().blocked(ip, now);
                        if let Some(wait) = blocked {
                            let why = format!(
                                "too many wrong tokens came from {ip}: its hellos are refused for {} s more",
                                secs_up(wait)
                            );
                            let cause = Some("hello during a wrong-token wait");
                            let code = Some(ErrorCode::RateLimited);
                            return refuse(sink, source, &shared, peer, cause, code, close::POLICY, &why).await;
                        }
                        match shared.tokens.check(&token) {
                            Some(e) => break e.clone(),
                            None => {
                                let wait = shared.throttle().failed(ip, now);
                                let mut why = "the token is not valid: ask the engine's operator for one".to_string();
                                if let Some(wait) = wait {
                                    why = format!(
                                        "the token is not valid, and too many wrong tokens came from {ip}: its hellos are refused for {} s",
                                        secs_up(wait)
                                    );
                                }
                                let code = Some(ErrorCode::Unauthorized);
                                let cause = Some("wrong token");
                                return refuse(sink, source, &shared, peer, cause, code, close::POLICY, &why).await;
                            }
                        }
                    }
                    Ok(_) => {
                        let why = "say hello first: {\"type\":\"hello\",\"protocol\":1,\"token\":\"...\"}";
                        let code = Some(ErrorCode::Unauthorized);
                        return refuse(sink, source, &shared, peer, bad_hello, code, close::POLICY, why).await;
                    }
                    Err(e) => {
                        let why = format!("the first frame must be a valid hello: {}", e.message);
                        return refuse(sink, source, &shared, peer, bad_hello, Some(e.code), close::POLICY, &why).await;
                    }
                }
            }
            Message::Binary(_) => {
                let why = "binary frames are not supported: send JSON text frames";
                let cause = Some("binary frame before hello");
                return refuse(sink, source, &shared, peer, cause, None, close::UNSUPPORTED_DATA, why).await;
            }
            Message::Close(_) => return,
            _ => {}
        }
    };
    // Known now: it may send full-size frames, and it takes a client's place (or is told why not).
    lifted.store(true, Ordering::Relaxed);
    let _seat = match pending.seat(&entry.name, entry.role) {
        Ok(seat) => seat,
        Err(r) => {
            let (cause, code) = (Some(r.cause()), Some(ErrorCode::RateLimited));
            return refuse(sink, source, &shared, peer, cause, code, close::POLICY, &r.sentence()).await;
        }
    };
    let actor = Actor::new(entry.name.clone(), entry.role);

    let (tx, rx) = oneshot::channel();
    let stopping = "the engine is shutting down";
    if shared.ctl.send(Control::Join { role: actor.role, reply: tx }).await.is_err() {
        return refuse(sink, source, &shared, peer, None, None, close::GOING_AWAY, stopping).await;
    }
    let joined = match rx.await {
        Ok(Ok(j)) => j,
        Ok(Err(why)) => {
            let (cause, code) = (Some("the server is full"), Some(ErrorCode::RateLimited));
            return refuse(sink, source, &shared, peer, cause, code, close::POLICY, &why).await;
        }
        Err(_) => return refuse(sink, source, &shared, peer, None, None, close::GOING_AWAY, stopping).await,
    };
    // Welcome (only once the hub took the client: a full server refuses before welcoming), then the snapshot.
    let welcome = protocol::encode(&ServerMsg::Welcome {
        protocol: protocol::PROTOCOL_VERSION,
        role: actor.role,
        server: shared.server_name.clone(),
        user: actor.name.clone(),
        floor: Some(shared.identity.clone()),
    });
    // Neither may wait for a client that does not read longer than the write timeout.
    let sent = tokio::time::timeout(limits.write_timeout, sink.send(Message::text(welcome))).await;
    if !matches!(sent, Ok(Ok(()))) {
        let _ = shared.ctl.send(Control::Leave { id: joined.id }).await;
        return;
    }
    let id = joined.id;
    tracing::info!(%peer, user = %actor.name, role = %actor.role, client = id, seq = joined.seq, "client connected");
    let sent = tokio::time::timeout(limits.write_timeout, sink.send(Message::Text(joined.snapshot))).await;
    if !matches!(sent, Ok(Ok(()))) {
        tracing::warn!(%peer, user = %actor.name, client = id, "closing the connection: the snapshot was not taken within {:?}", limits.write_timeout);
        let _ = shared.ctl.send(Control::Leave { id }).await;
        return;
    }

    let (pong_tx, pong_rx) = watch::channel(0u64);
    let (reply_tx, reply_rx) = mpsc::channel(REPLY_QUEUE);
    let mut writer = tokio::spawn(write_loop(WriteLoop {
        sink,
        frames: joined.frames,
        resync: joined.resync.clone(),
        replies: reply_rx,
        ctl: shared.ctl.clone(),
        id,
        seq: joined.seq,
        write_timeout: limits.write_timeout,
        ping_every: limits.ping_every.min(limits.write_timeout),
        pongs: pong_rx,
        ping: None,
        peer,
    }));

    let mut limited = LimitedRun::default();
    let end =
        read_loop(&mut source, &mut writer, &reply_tx, &joined.resync, &pong_tx, &actor, &shared, &mut limited, peer)
            .await;
    // Audited before the close frame goes out, so a client that saw the close finds the entry on the engine.
    limited.end(&shared, &actor).await;
    match &end {
        End::Close(code, why) => {
            tracing::warn!(%peer, user = %actor.name, client = id, code, "closing the connection: {why}");
            let _ = reply_tx.send(Reply::Close(*code, why.clone())).await;
        }
        End::ClientGone => tracing::info!(%peer, user = %actor.name, client = id, "client disconnected"),
        End::WriterDone => tracing::info!(%peer, user = %actor.name, client = id, "connection closed by the server"),
    }
    drop(reply_tx);
    // Let the close handshake finish (or the writer give up), then drop the socket.
    let _ = tokio::time::timeout(LINGER, async {
        if !matches!(end, End::WriterDone) {
            let _ = (&mut writer).await;
        }
        drain(&mut source).await;
    })
    .await;
    writer.abort();
    let _ = shared.ctl.send(Control::Leave { id }).await;
}

/// How a connection's read loop ended.
enum End {
    ClientGone,
    WriterDone,
    /// A limit was broken: close with this code and cause.
    Close(u16, String),
}

/// Reads until the client goes, the writer stops, or a limit is broken.
#[allow(clippy::too_many_arguments)]
async fn read_loop(
    source: &mut Source,
    writer: &mut tokio::task::JoinHandle<()>,
    replies: &mpsc::Sender<Reply>,
    resync: &Notify,
    pongs: &watch::Sender<u64>,
    actor: &Actor,
    shared: &Shared,
    limited: &mut LimitedRun,
    peer: SocketAddr,
) -> End {
    let limits = &shared.limits;
    let mut bucket = Bucket::new(limits.frames_per_sec, limits.frame_burst);
    let mut limited_in_a_row = 0u32;
    let mut bad_in_a_row = 0u32;
    let error = |id: Option<&str>, code: ErrorCode, message: &str| Reply::Text {
        after_seq: 0,
        text: protocol::encode_error(id, code, message),
    };
    loop {
        let msg = tokio::select! {
            msg = source.next() => msg,
            _ = &mut *writer => return End::WriterDone,
        };
        let text = match msg {
            None => return End::ClientGone,
            Some(Err(e)) if is_too_big(&e) => {
                return End::Close(
                    close::TOO_BIG,
                    format!("a frame is over the {} byte limit", limits.max_frame_bytes),
                );
            }
            Some(Err(e)) => {
                tracing::debug!(%peer, "read failed: {e}");
                return End::ClientGone;
            }
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Binary(_))) => {
                return End::Close(
                    close::UNSUPPORTED_DATA,
                    "binary frames are not supported: send JSON text frames".into(),
                );
            }
            Some(Ok(Message::Close(_))) => return End::ClientGone,
            Some(Ok(Message::Pong(payload))) => {
                // The answer to the writer's ping: the client reads.
                if let Ok(nonce) = <[u8; 8]>::try_from(payload.as_ref()) {
                    pongs.send_replace(u64::from_be_bytes(nonce));
                }
                continue;
            }
            Some(Ok(_)) => continue,
        };
        if text.len() > limits.max_frame_bytes {
            return End::Close(
                close::TOO_BIG,
                format!("a frame of {} bytes is over the {} byte limit", text.len(), limits.max_frame_bytes),
            );
        }
        let decoded = protocol::decode_client(&text);
        if !bucket.take() {
            limited_in_a_row += 1;
            let msg = format!(
                "too many frames: at most {} a second (bursts of {}); this one was dropped",
                limits.frames_per_sec, limits.frame_burst
            );
            // A command the supervisor sent and was refused is audited like any refused command.
            if let Ok(ClientMsg::Command { command, .. }) = &decoded
                && !limited.refused(shared, actor, command, &msg).await
            {
                return End::ClientGone;
            }
            if limited_in_a_row >= limits.flood_close_after {
                return End::Close(
                    close::POLICY,
                    format!("flood: {limited_in_a_row} frames over the rate limit in a row"),
                );
            }
            let id = match &decoded {
                Ok(ClientMsg::Command { id, .. } | ClientMsg::Query { id, .. }) => Some(id.as_str()),
                Err(e) => e.id.as_deref(),
                _ => None,
            };
            if limited_in_a_row == 1 {
                tracing::info!(%peer, user = %actor.name, "frames refused: over the rate limit");
            } else {
                tracing::debug!(%peer, user = %actor.name, "frame refused: rate limited");
            }
            if replies.send(error(id, ErrorCode::RateLimited, &msg)).await.is_err() {
                return End::ClientGone;
            }
            continue;
        }
        limited_in_a_row = 0;
        limited.end(shared, actor).await;
        let reply = match decoded {
            Ok(ClientMsg::Command { id, command }) => {
                bad_in_a_row = 0;
                let (tx, rx) = oneshot::channel();
                let ctl = Control::Command { actor: actor.clone(), command, reply: tx };
                if shared.ctl.send(ctl).await.is_err() {
                    return End::ClientGone;
                }
                match rx.await {
                    Ok((Ok(()), after_seq)) => {
                        Reply::Text { after_seq, text: protocol::encode(&ServerMsg::Ack { id }) }
                    }
                    Ok((Err(e), after_seq)) => {
                        Reply::Text { after_seq, text: protocol::encode_error(Some(&id), e.code, &e.message) }
                    }
                    Err(_) => return End::ClientGone,
                }
            }
            Ok(ClientMsg::Query { id, query: crate::model::Query::Kb { kb, limit } }) => {
                bad_in_a_row = 0;
                Reply::Text { after_seq: 0, text: search_kb(shared, id, kb, limit).await }
            }
            Ok(ClientMsg::Query { id, query }) => {
                bad_in_a_row = 0;
                let (tx, rx) = oneshot::channel();
                if shared.ctl.send(Control::Query { role: actor.role, query, reply: tx }).await.is_err() {
                    return End::ClientGone;
                }
                let text = match rx.await {
                    Ok(Ok(record)) => protocol::encode(&ServerMsg::Record { id, record }),
                    Ok(Err(e)) => protocol::encode_error(Some(&id), e.code, &e.message),
                    Err(_) => return End::ClientGone,
                };
                Reply::Text { after_seq: 0, text }
            }
            Ok(ClientMsg::Resync) => {
                bad_in_a_row = 0;
                tracing::debug!(%peer, user = %actor.name, "client asked for a resync");
                resync.notify_one();
                continue;
            }
            Ok(ClientMsg::Hello { .. }) => {
                bad_in_a_row += 1;
                error(None, ErrorCode::BadFrame, "hello was already accepted on this connection")
            }
            Err(e) => {
                bad_in_a_row += 1;
                tracing::info!(%peer, user = %actor.name, code = e.code.as_str(), "frame refused: {}", e.message);
                error(e.id.as_deref(), e.code, &e.message)
            }
        };
        if replies.send(reply).await.is_err() {
            return End::ClientGone;
        }
        if bad_in_a_row >= limits.bad_frames_close_after {
            return End::Close(close::POLICY, format!("{bad_in_a_row} bad frames in a row"));
        }
    }
}

/// Sends an error frame (if any) and a close frame, then waits briefly for the client's close reply. A refusal with
/// a `cause` is counted for the summary log (one line per address and cause every few seconds), so a flood of
/// them does not flood the log.
#[allow(clippy::too_many_arguments)]
async fn refuse(
    mut sink: Sink,
    mut source: Source,
    shared: &Shared,
    peer: SocketAddr,
    cause: Option<&'static str>,
    code: Option<ErrorCode>,
    close_code: u16,
    why: &str,
) {
    tracing::debug!(%peer, close = close_code, "refusing the connection: {why}");
    if let Some(cause) = cause {
        shared.tally.note(peer.ip(), cause);
    }
    let _ = tokio::time::timeout(LINGER, async {
        if let Some(code) = code {
            let _ = sink.send(Message::text(protocol::encode_error(None, code, why))).await;
        }
        let _ = sink.send(close_msg(close_code, why)).await;
        drain(&mut source).await;
    })
    .await;
}

/// Reads and drops frames until the close handshake completes or the connection ends.
async fn drain(source: &mut Source) {
    while let Some(Ok(m)) = source.next().await {
        if matches!(m, Message::Close(_)) {
            break;
        }
    }
}

struct WriteLoop {
    sink: Sink,
    frames: mpsc::Receiver<Frame>,
    resync: Arc<Notify>,
    replies: mpsc::Receiver<Reply>,
    ctl: mpsc::Sender<Control>,
    id: u64,
    /// Seq after the last snapshot or events frame sent.
    seq: u64,
    write_timeout: Duration,
    ping_every: Duration,
    /// The payload of the newest pong the reader saw.
    pongs: watch::Receiver<u64>,
    /// The ping not answered yet: its payload and the time by which its answer must come.
    ping: Option<(u64, tokio::time::Instant)>,
    peer: SocketAddr,
}

async fn write_loop(mut w: WriteLoop) {
    // Replies waiting for the events they follow.
    let mut held: std::collections::VecDeque<(u64, String)> = std::collections::VecDeque::new();
    // The first ping goes out at once, behind the snapshot: a client that never reads is dropped a write timeout
    // after it connected, whatever the socket buffers on the way hold.
    let mut next_ping = tokio::time::Instant::now();
    loop {
        // Replies whose events are out go first.
        if let Some((after_seq, _)) = held.front()
            && *after_seq <= w.seq
            && let Some((_, text)) = held.pop_front()
        {
            if !send(&mut w, Message::text(text)).await {
                return;
            }
            continue;
        }
        let wake = w.ping.map_or(next_ping, |(_, answer_by)| answer_by);
        let out = tokio::select! {
            biased;
            r = w.pongs.changed() => {
                if r.is_err() {
                    return;
                }
                let got = *w.pongs.borrow_and_update();
                if w.ping.is_some_and(|(nonce, _)| nonce == got) {
                    w.ping = None;
                    next_ping = tokio::time::Instant::now() + w.ping_every;
                }
                continue;
            }
            _ = tokio::time::sleep_until(wake) => {
                if w.ping.is_some() {
                    no_answer(&mut w).await;
                    return;
                }
                let nonce: u64 = rand::random();
                w.ping = Some((nonce, tokio::time::Instant::now() + w.write_timeout));
                Message::Ping(nonce.to_be_bytes().to_vec().into())
            }
            r = w.replies.recv() => match r {
                Some(Reply::Text { after_seq, text }) => {
                    if after_seq > w.seq || !held.is_empty() {
                        held.push_back((after_seq, text));
                        continue;
                    }
                    Message::text(text)
                }
                Some(Reply::Close(code, why)) => {
                    // Replies already made go out first, each after the events it follows.
                    flush_held(&mut w, &mut held).await;
                    let _ = tokio::time::timeout(w.write_timeout, w.sink.send(close_msg(code, &why))).await;
                    return;
                }
                None => return,
            },
            _ = w.resync.notified() => {
                let mut dropped = 0usize;
                while w.frames.try_recv().is_ok() {
                    dropped += 1;
                }
                let (tx, rx) = oneshot::channel();
                if w.ctl.send(Control::Resync { id: w.id, reply: tx }).await.is_err() {
                    return;
                }
                let Ok((seq, snapshot)) = rx.await else { return };
                tracing::debug!(peer = %w.peer, client = w.id, dropped, seq, "sending a fresh snapshot");
                w.seq = seq;
                Message::Text(snapshot)
            },
            f = w.frames.recv() => match f {
                Some(Frame::Events { end_seq, text }) => {
                    // Batches the snapshot already holds.
                    if end_seq <= w.seq {
                        continue;
                    }
                    w.seq = end_seq;
                    Message::Text(text)
                }
                Some(Frame::Metrics(text)) => Message::Text(text),
                None => {
                    flush_held(&mut w, &mut held).await;
                    let bye = close_msg(close::GOING_AWAY, "the engine is shutting down");
                    let _ = tokio::time::timeout(w.write_timeout, w.sink.send(bye)).await;
                    return;
                }
            },
        };
        if !send(&mut w, out).await {
            return;
        }
    }
}

/// Sends the held replies, each after the queued events it follows; stops where those events were dropped.
async fn flush_held(w: &mut WriteLoop, held: &mut std::collections::VecDeque<(u64, String)>) {
    while let Some((after_seq, text)) = held.pop_front() {
        while w.seq < after_seq {
            let msg = match w.frames.try_recv() {
                Ok(Frame::Events { end_seq, text }) if end_seq > w.seq => {
                    w.seq = end_seq;
                    Message::Text(text)
                }
                Ok(Frame::Events { .. }) => continue,
                Ok(Frame::Metrics(text)) => Message::Text(text),
                Err(_) => return,
            };
            if !send(w, msg).await {
                return;
            }
        }
        if !send(w, Message::text(text)).await {
            return;
        }
    }
}

/// Writes one frame; false when the connection is done for: the write failed, made no progress within the write
/// timeout, or was still blocked when the answer to a ping was due.
async fn send(w: &mut WriteLoop, msg: Message) -> bool {
    let limit = match w.ping {
        Some((_, answer_by)) => answer_by.min(tokio::time::Instant::now() + w.write_timeout),
        None => tokio::time::Instant::now() + w.write_timeout,
    };
    match tokio::time::timeout_at(limit, w.sink.send(msg)).await {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            tracing::debug!(peer = %w.peer, client = w.id, "write failed: {e}");
            false
        }
        Err(_) if w.ping.is_some_and(|(_, answer_by)| answer_by <= limit) => {
            no_answer(w).await;
            false
        }
        Err(_) => {
            tracing::warn!(peer = %w.peer, client = w.id, "closing the connection: no write progress for {:?}", w.write_timeout);
            false
        }
    }
}

/// The client did not answer a ping within the write timeout: it does not read. Says so in a close frame, if the
/// socket still takes one at once; the connection is dropped either way.
async fn no_answer(w: &mut WriteLoop) {
    let secs = w.write_timeout.as_secs_f64();
    let why = format!("no answer to a ping within {secs} s: the client is not reading");
    tracing::warn!(peer = %w.peer, client = w.id, "closing the connection: {why}");
    let _ = tokio::time::timeout(Duration::from_millis(100), w.sink.send(close_msg(close::POLICY, &why))).await;
}

/// Token bucket: `rate` frames a second, bursts of `burst`.
struct Bucket {
    tokens: f64,
    rate: f64,
    burst: f64,
    last: Instant,
}

impl Bucket {
    fn new(rate: f64, burst: f64) -> Bucket {
        Bucket { tokens: burst.max(1.0), rate: rate.max(0.0), burst: burst.max(1.0), last: Instant::now() }
    }

    fn take(&mut self) -> bool {
        let now = Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.last).as_secs_f64() * self.rate).min(self.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Answers `query{kb}` from the floor's knowledge base, on a blocking thread: a `record{kb}`, or `not_found` when
/// the floor has none, or `bad_frame` for words that cannot be searched.
async fn search_kb(shared: &Shared, id: String, words: String, limit: Option<u32>) -> String {
    let Some(index) = shared.kb.clone() else {
        return protocol::encode_error(
            Some(&id),
            ErrorCode::NotFound,
            "this floor has no knowledge base: its scenario names none (the `knowledge` key, docs/SCENARIOS.md)",
        );
    };
    let found = tokio::task::spawn_blocking(move || {
        let index = index.lock().unwrap_or_else(PoisonError::into_inner);
        crate::kb::answer(&index, &words, limit)
    })
    .await;
    match found {
        Ok(Ok(answer)) => {
            protocol::encode(&ServerMsg::Record { id, record: crate::model::Record::Kb(Box::new(answer)) })
        }
        Ok(Err(message)) => protocol::encode_error(Some(&id), ErrorCode::BadFrame, &message),
        Err(_) => protocol::encode_error(Some(&id), ErrorCode::NotFound, "the knowledge search stopped: try again"),
    }
}
