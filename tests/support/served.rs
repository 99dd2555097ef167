//! What the served-floor tests share: a WebSocket client's frames and commands, and waiting for the engine's floor.
//! Included with `#[path]` (each test binary uses some of it).
#![allow(dead_code)]

use std::future::Future;
use std::time::Duration;

use callfloor::engine::server::ServerHandle;
use callfloor::model::Floor;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A failure guard, never a synchronisation: a test that waits this long has failed.
pub const GUARD: Duration = Duration::from_secs(30);

pub async fn guard<T>(what: &str, f: impl Future<Output = T>) -> T {
    match tokio::time::timeout(GUARD, f).await {
        Ok(v) => v,
        Err(_) => panic!("timed out: {what}"),
    }
}

/// The next text frame, parsed.
pub async fn next_json(ws: &mut Ws) -> Value {
    loop {
        match guard("a frame", ws.next()).await {
            Some(Ok(Message::Text(t))) => match serde_json::from_str(&t) {
                Ok(v) => return v,
                Err(e) => panic!("invalid JSON {t}: {e}"),
            },
            Some(Ok(_)) => {}
            other => panic!("the connection ended: {other:?}"),
        }
    }
}

/// The next frame `ok` accepts.
pub async fn next_of(ws: &mut Ws, ok: impl Fn(&Value) -> bool) -> Value {
    loop {
        let v = next_json(ws).await;
        if ok(&v) {
            return v;
        }
    }
}

/// The next ack or error (events, metrics and snapshots are skipped).
pub async fn next_reply(ws: &mut Ws) -> Value {
    next_of(ws, |v| matches!(v["type"].as_str(), Some("ack" | "error"))).await
}

pub async fn command(ws: &mut Ws, id: &str, cmd: Value) {
    let frame = json!({"type": "command", "id": id, "command": cmd});
    assert!(ws.send(Message::text(frame.to_string())).await.is_ok());
}

/// Waits until the engine's floor satisfies `ok`.
pub async fn floor_until(server: &ServerHandle, what: &str, ok: impl Fn(&Floor) -> bool) -> Floor {
    guard(what, async {
        loop {
            let Ok(f) = server.floor().await else { panic!("the engine answers") };
            if ok(&f) {
                return f;
            }
            tokio::task::yield_now().await;
        }
    })
    .await
}
