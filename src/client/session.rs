//! The client task: connect, hello, then relay frames as updates (checking seq) and commands as frames; on loss,
//! wait a jittered, capped exponential backoff and connect again.

use std::time::Instant;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::seq::{SeqCheck, Verdict};
use super::tls::Failure;
use super::{ClientConfig, ConnState, Outgoing, Update};
use crate::model::ErrorCode;
use crate::protocol::{self, ClientMsg, ServerMsg};

/// Largest frame the client accepts from the engine (a snapshot of a busy floor is a few MB).
const MAX_SERVER_FRAME: usize = 256 << 20;

enum End {
    /// The user dropped the updates receiver.
    UserGone,
    /// Refused for good (token, protocol version, certificate, ws:// to a TLS port).
    Fatal(String),
    /// Lost; `connected` says whether the engine had welcomed us.
    Lost { reason: String, connected: bool },
}

fn lost(reason: impl Into<String>, connected: bool) -> End {
    End::Lost { reason: reason.into(), connected }
}

/// Refuses a command while there is no connection.
async fn refuse_offline(updates: &mpsc::Sender<Update>, o: Outgoing) -> bool {
    let message = format!("not connected to the engine: {} was not sent", o.name().replace('_', " "));
    updates.send(Update::Error { id: Some(o.id), code: ErrorCode::Conflict, message }).await.is_ok()
}

pub(super) async fn run(cfg: ClientConfig, updates: mpsc::Sender<Update>, mut outgoing: mpsc::Receiver<Outgoing>) {
    let mut attempt = 0u32;
    let mut outgoing_open = true;
    loop {
        attempt += 1;
        if updates.send(Update::Connection(ConnState::Connecting { attempt })).await.is_err() {
            return;
        }
        let (reason, connected) = match session(&cfg, &updates, &mut outgoing, &mut outgoing_open).await {
            End::UserGone => return,
            End::Fatal(reason) => {
                tracing::warn!("gave up connecting (retrying would not help): {reason}");
                let _ = updates.send(Update::Connection(ConnState::Failed { reason })).await;
                return;
            }
            End::Lost { reason, connected } => (reason, connected),
        };
        if connected {
            attempt = 1;
        }
        let delay = cfg.backoff(attempt, rand::random::<f64>());
        tracing::info!("connection to {} lost ({reason}); retrying in {delay:?}", cfg.url);
        let retry_in_ms = delay.as_millis() as u64;
        if updates.send(Update::Connection(ConnState::Disconnected { reason, retry_in_ms })).await.is_err() {
            return;
        }
        let sleep = tokio::time::sleep(delay);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                _ = &mut sleep => break,
                o = outgoing.recv(), if outgoing_open => match o {
                    Some(o) => {
                        if !refuse_offline(&updates, o).await {
                            return;
                        }
                    }
                    None => outgoing_open = false,
                },
                _ = updates.closed() => return,
            }
        }
        if connected {
            attempt = 0;
        }
    }
}

async fn session(
    cfg: &ClientConfig,
    updates: &mpsc::Sender<Update>,
    outgoing: &mut mpsc::Receiver<Outgoing>,
    outgoing_open: &mut bool,
) -> End {
    let config =
        WebSocketConfig::default().max_message_size(Some(MAX_SERVER_FRAME)).max_frame_size(Some(MAX_SERVER_FRAME));
    let ws = match tokio::time::timeout(cfg.connect_timeout, super::connect::open(cfg, config)).await {
        Err(_) => return lost(format!("no answer from {} within {:?}", cfg.url, cfg.connect_timeout), false),
        Ok(Err(Failure::Fatal(reason))) => return End::Fatal(reason),
        Ok(Err(Failure::Lost(reason))) => return lost(reason, false),
        Ok(Ok(ws)) => ws,
    };
    let (mut sink, mut source) = ws.split();
    let hello = protocol::encode(&ClientMsg::Hello { protocol: protocol::PROTOCOL_VERSION, token: cfg.token.clone() });
    if let Err(e) = sink.send(Message::text(hello)).await {
        return lost(format!("cannot say hello: {e}"), false);
    }

    // Welcome, or a refusal.
    let deadline = tokio::time::Instant::now() + cfg.connect_timeout;
    loop {
        let msg = match tokio::time::timeout_at(deadline, source.next()).await {
            Err(_) => return lost(format!("no welcome from {} within {:?}", cfg.url, cfg.connect_timeout), false),
            Ok(None) => return lost("the engine closed the connection before its welcome", false),
            Ok(Some(Err(e))) => return lost(format!("the connection failed before the welcome: {e}"), false),
            Ok(Some(Ok(m))) => m,
        };
        let text = match msg {
            Message::Text(t) => t,
            Message::Close(f) => return lost(close_reason(f.as_ref()), false),
            _ => continue,
        };
        match protocol::decode_server(&text) {
            Ok(ServerMsg::Welcome { role, server, user, floor, .. }) => {
                tracing::info!(%user, %role, %server, "connected to {}", cfg.url);
                if updates.send(Update::Welcome { role, server, user, floor }).await.is_err()
                    || updates.send(Update::Connection(ConnState::Connected)).await.is_err()
                {
                    return End::UserGone;
                }
                break;
            }
            Ok(ServerMsg::Error { code: ErrorCode::Unauthorized | ErrorCode::UnsupportedVersion, message, .. }) => {
                return End::Fatal(message);
            }
            Ok(ServerMsg::Error { message, .. }) => return lost(message, false),
            Ok(other) => return lost(format!("the engine answered hello with {other:?} instead of welcome"), false),
            Err(e) => return lost(format!("the engine's first frame is not valid: {e}"), false),
        }
    }

    let mut seq = SeqCheck::default();
    // When the client asked for a fresh snapshot after a gap.
    let mut asked_resync: Option<Instant> = None;
    let mut last_frame = tokio::time::Instant::now();
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(last_frame + cfg.silence_timeout) => {
                return lost(format!("no data from the engine for {:?}", cfg.silence_timeout), true);
            }
            msg = source.next() => {
                last_frame = tokio::time::Instant::now();
                let msg = match msg {
                    None => return lost("the engine closed the connection", true),
                    Some(Err(e)) => return lost(format!("the connection failed: {e}"), true),
                    Some(Ok(m)) => m,
                };
                let text = match msg {
                    Message::Text(t) => t,
                    Message::Close(f) => return lost(close_reason(f.as_ref()), true),
                    _ => continue,
                };
                let update = match protocol::decode_server(&text) {
                    Ok(ServerMsg::Snapshot { seq: s, floor }) => {
                        seq.on_snapshot(s);
                        asked_resync = None;
                        Some(Update::Snapshot { seq: s, floor })
                    }
                    Ok(ServerMsg::Events { from_seq, mut events }) => match seq.on_events(from_seq, events.len()) {
                        Verdict::Forward { skip } => {
                            let events = if skip > 0 { events.split_off(skip) } else { events };
                            Some(Update::Events { from_seq: from_seq + skip as u64, events })
                        }
                        Verdict::Drop => None,
                        Verdict::Gap { expected } => {
                            tracing::warn!(expected, got = from_seq, "events are missing: asking the engine for a fresh snapshot");
                            if ask_resync(&mut sink).await.is_err() {
                                return lost("the connection failed while asking for a resync", true);
                            }
                            asked_resync = Some(Instant::now());
                            None
                        }
                    },
                    Ok(ServerMsg::Metrics(m)) => Some(Update::Metrics(m)),
                    Ok(ServerMsg::Ack { id }) => Some(Update::Ack { id }),
                    Ok(ServerMsg::Record { id, record }) => Some(Update::Record { id, record }),
                    Ok(ServerMsg::Error { id, code, message }) => Some(Update::Error { id, code, message }),
                    Ok(ServerMsg::Welcome { .. }) => None,
                    Err(e) if !carries_floor(&text) => {
                        // A metrics frame, an ack or a newer server's frame type: the mirror is still whole.
                        tracing::warn!("a frame from the engine could not be read ({e}); skipped");
                        None
                    }
                    Err(e) => {
                        // A snapshot or events frame we cannot read: the mirror can no longer be trusted.
                        tracing::warn!("a frame from the engine could not be read ({e}): asking for a fresh snapshot");
                        seq = SeqCheck::default();
                        if ask_resync(&mut sink).await.is_err() {
                            return lost("the connection failed while asking for a resync", true);
                        }
                        asked_resync = Some(Instant::now());
                        None
                    }
                };
                if let Some(u) = update
                    && updates.send(u).await.is_err()
                {
                    return End::UserGone;
                }
                if asked_resync.is_some_and(|t| t.elapsed() > cfg.silence_timeout) {
                    return lost("the engine sent no snapshot after a gap", true);
                }
            }
            o = outgoing.recv(), if *outgoing_open => match o {
                Some(o) => {
                    let frame = match o.request {
                        super::Request::Command(command) => protocol::encode(&ClientMsg::Command { id: o.id, command }),
                        super::Request::Query(query) => protocol::encode(&ClientMsg::Query { id: o.id, query }),
                    };
                    if let Err(e) = sink.send(Message::text(frame)).await {
                        return lost(format!("the connection failed while sending a command: {e}"), true);
                    }
                }
                None => *outgoing_open = false,
            },
            _ = updates.closed() => return End::UserGone,
        }
    }
}

async fn ask_resync<S>(sink: &mut S) -> Result<(), S::Error>
where
    S: futures_util::Sink<Message> + Unpin,
{
    sink.send(Message::text(protocol::encode(&ClientMsg::Resync))).await
}

fn close_reason(frame: Option<&tokio_tungstenite::tungstenite::protocol::CloseFrame>) -> String {
    match frame {
        Some(f) if !f.reason.is_empty() => {
            format!("the engine closed the connection ({}): {}", u16::from(f.code), f.reason)
        }
        Some(f) => format!("the engine closed the connection ({})", u16::from(f.code)),
        None => "the engine closed the connection".to_string(),
    }
}

/// Whether an unreadable frame was one that changes the floor (`events`, `snapshot`) or is not JSON at all.
fn carries_floor(text: &str) -> bool {
    let kind = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_string));
    kind.is_none_or(|k| k == "events" || k == "snapshot")
}
