//! The wire protocol between the engine's server and its clients: message types, the protocol version, limits,
//! close codes and the JSON codec. docs/PROTOCOL.md describes the same thing for people writing other clients.
//!
//! Every frame is a JSON text frame holding one object with a snake_case `"type"`.

use std::borrow::Cow;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::model::{Command, ErrorCode, Event, Floor, FloorIdentity, FloorMetrics, Query, Record, Role};

/// The protocol version a client names in its hello; the server refuses any other with `unsupported_version`.
pub const PROTOCOL_VERSION: u32 = 1;

/// Largest frame a client may send, in bytes; a bigger one closes the connection with [`close::TOO_BIG`].
pub const MAX_CLIENT_FRAME_BYTES: usize = 64 * 1024;
/// A client must say hello within this long after the WebSocket opens.
pub const HELLO_TIMEOUT: Duration = Duration::from_secs(5);
/// The server sends one `events` frame per tick (when something happened).
pub const TICK: Duration = Duration::from_millis(100);
/// The server sends one `metrics` frame this often.
pub const METRICS_EVERY: Duration = Duration::from_secs(1);
/// Longest command id a client may use.
pub const MAX_ID_CHARS: usize = 64;

/// RFC 6455 close codes the server uses.
pub mod close {
    /// The session ended normally.
    pub const NORMAL: u16 = 1000;
    /// The engine is shutting down.
    pub const GOING_AWAY: u16 = 1001;
    /// A binary frame: the protocol is JSON text only.
    pub const UNSUPPORTED_DATA: u16 = 1003;
    /// Policy: no hello in time, a wrong token, an unsupported version, a flood of frames or bad frames.
    pub const POLICY: u16 = 1008;
    /// A frame over [`super::MAX_CLIENT_FRAME_BYTES`].
    pub const TOO_BIG: u16 = 1009;
}

/// A frame a client sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMsg {
    /// The first frame of every connection.
    Hello { protocol: u32, token: String },
    /// A supervisor command; `id` comes back in the `ack` or `error` that answers it.
    Command { id: String, command: Command },
    /// Asks for a fresh snapshot (after a client saw a gap in `seq`).
    Resync,
    /// Asks for a record the floor no longer holds (a finished call, a ticket's whole history); answered by a
    /// `record` or an `error` with the same `id`. Any role may ask; what comes back is masked as the floor is.
    Query { id: String, query: Query },
}

/// A frame the server sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    /// The token was accepted. `floor` says which floor this is (absent from servers older than the field).
    Welcome {
        protocol: u32,
        role: Role,
        server: String,
        user: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        floor: Option<FloorIdentity>,
    },
    /// The whole floor after `seq` events; `floor.seq == seq`.
    Snapshot { seq: u64, floor: Box<Floor> },
    /// Events `from_seq`, `from_seq + 1`, ...; batches follow each other without gaps.
    Events { from_seq: u64, events: Vec<Event> },
    /// Metric figures (the fields of [`FloorMetrics`] next to `"type"`).
    Metrics(Box<FloorMetrics>),
    /// The command with this id was carried out.
    Ack { id: String },
    /// The answer to the query with this id.
    Record { id: String, record: Record },
    /// Something was refused: a command (with its `id`) or a frame (no `id` when the frame had none).
    Error {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        code: ErrorCode,
        message: String,
    },
}

/// A client frame that could not be taken: the `id` it carried (if any), the code and one sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FrameError {
    pub id: Option<String>,
    pub code: ErrorCode,
    pub message: String,
}

impl FrameError {
    fn bad(id: Option<String>, message: impl Into<String>) -> Self {
        FrameError { id, code: ErrorCode::BadFrame, message: message.into() }
    }
}

#[derive(Deserialize)]
struct HelloFields {
    protocol: u32,
    token: String,
}

/// Decodes a client frame, telling malformed JSON, unknown types, wrong field types and unsupported versions
/// apart, and keeping the command id when there is one so the error can name it.
pub fn decode_client(text: &str) -> Result<ClientMsg, FrameError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| FrameError::bad(None, format!("the frame is not valid JSON ({e})")))?;
    let serde_json::Value::Object(mut obj) = value else {
        return Err(FrameError::bad(None, "a frame must be a JSON object with a \"type\" field"));
    };
    let id = match obj.get("id") {
        Some(serde_json::Value::String(s)) if !s.is_empty() && s.chars().count() <= MAX_ID_CHARS => Some(s.clone()),
        Some(serde_json::Value::String(_)) => {
            return Err(FrameError::bad(None, format!("\"id\" must be 1 to {MAX_ID_CHARS} characters long")));
        }
        Some(_) => return Err(FrameError::bad(None, "\"id\" must be a string")),
        None => None,
    };
    let ty = match obj.get("type") {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(_) => return Err(FrameError::bad(id, "\"type\" must be a string")),
        None => return Err(FrameError::bad(id, "the frame has no \"type\" field")),
    };
    match ty.as_str() {
        "hello" => {
            // The version is checked first: a future hello may carry other fields.
            match obj.get("protocol").and_then(serde_json::Value::as_u64) {
                Some(v) if v == u64::from(PROTOCOL_VERSION) => {}
                Some(v) => {
                    return Err(FrameError {
                        id,
                        code: ErrorCode::UnsupportedVersion,
                        message: format!(
                            "protocol version {v} is not supported: this server speaks {PROTOCOL_VERSION}"
                        ),
                    });
                }
                None => {
                    return Err(FrameError::bad(id, "hello needs \"protocol\" (a number) and \"token\" (a string)"));
                }
            }
            let h: HelloFields = serde_json::from_value(serde_json::Value::Object(obj))
                .map_err(|e| FrameError::bad(id, format!("hello is not valid: {e}")))?;
            Ok(ClientMsg::Hello { protocol: h.protocol, token: h.token })
        }
        "command" => {
            let Some(id) = id else {
                return Err(FrameError::bad(None, "a command needs an \"id\" string, echoed in its ack or error"));
            };
            let Some(cmd) = obj.remove("command") else {
                return Err(FrameError::bad(Some(id), "the frame has no \"command\" object"));
            };
            let command: Command = serde_json::from_value(cmd)
                .map_err(|e| FrameError::bad(Some(id.clone()), format!("the command is not valid: {e}")))?;
            Ok(ClientMsg::Command { id, command })
        }
        "resync" => Ok(ClientMsg::Resync),
        "query" => {
            let Some(id) = id else {
                return Err(FrameError::bad(None, "a query needs an \"id\" string, echoed in its record or error"));
            };
            let Some(q) = obj.remove("query") else {
                return Err(FrameError::bad(Some(id), "the frame has no \"query\" object"));
            };
            let query: Query = serde_json::from_value(q)
                .map_err(|e| FrameError::bad(Some(id.clone()), format!("the query is not valid: {e}")))?;
            Ok(ClientMsg::Query { id, query })
        }
        other => Err(FrameError::bad(
            id,
            format!("unknown frame type '{other}': a client sends hello, command, query or resync"),
        )),
    }
}

#[derive(Deserialize)]
struct Peek<'a> {
    #[serde(rename = "type", borrow)]
    ty: Cow<'a, str>,
}

#[derive(Deserialize)]
struct WelcomeFields {
    protocol: u32,
    role: Role,
    #[serde(default)]
    server: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    floor: Option<FloorIdentity>,
}

#[derive(Deserialize)]
struct SnapshotFields {
    seq: u64,
    floor: Box<Floor>,
}

#[derive(Deserialize)]
struct EventsFields {
    from_seq: u64,
    events: Vec<Event>,
}

#[derive(Deserialize)]
struct AckFields {
    id: String,
}

#[derive(Deserialize)]
struct RecordFields {
    id: String,
    record: Record,
}

#[derive(Deserialize)]
struct ErrorFields {
    #[serde(default)]
    id: Option<String>,
    code: ErrorCode,
    message: String,
}

/// Decodes a server frame. Looks at `"type"` first, then decodes the body straight into its type (no
/// intermediate tree), which matters for large `events` and `snapshot` frames.
pub fn decode_server(text: &str) -> Result<ServerMsg, serde_json::Error> {
    let peek: Peek<'_> = serde_json::from_str(text)?;
    Ok(match peek.ty.as_ref() {
        "welcome" => {
            let w: WelcomeFields = serde_json::from_str(text)?;
            ServerMsg::Welcome { protocol: w.protocol, role: w.role, server: w.server, user: w.user, floor: w.floor }
        }
        "snapshot" => {
            let s: SnapshotFields = serde_json::from_str(text)?;
            ServerMsg::Snapshot { seq: s.seq, floor: s.floor }
        }
        "events" => {
            let e: EventsFields = serde_json::from_str(text)?;
            ServerMsg::Events { from_seq: e.from_seq, events: e.events }
        }
        "metrics" => ServerMsg::Metrics(serde_json::from_str(text)?),
        "ack" => {
            let a: AckFields = serde_json::from_str(text)?;
            ServerMsg::Ack { id: a.id }
        }
        "record" => {
            let r: RecordFields = serde_json::from_str(text)?;
            ServerMsg::Record { id: r.id, record: r.record }
        }
        "error" => {
            let e: ErrorFields = serde_json::from_str(text)?;
            ServerMsg::Error { id: e.id, code: e.code, message: e.message }
        }
        other => return Err(serde::de::Error::custom(format!("unknown server frame type '{other}'"))),
    })
}

/// Encodes any frame (small ones; the server encodes events and snapshots with the borrowing helpers below).
pub fn encode<T: Serialize>(msg: &T) -> String {
    // Serialising our own types to a String cannot fail (no maps with non-string keys, no failing Serialize impls).
    serde_json::to_string(msg).unwrap_or_else(|e| {
        tracing::error!("could not encode a frame: {e}");
        String::from("{}")
    })
}

#[derive(Serialize)]
struct EventsRef<'a, E> {
    #[serde(rename = "type")]
    ty: &'static str,
    from_seq: u64,
    events: &'a [E],
}

/// Encodes an `events` frame from borrowed (possibly masked) events.
pub fn encode_events<E: Serialize>(from_seq: u64, events: &[E]) -> String {
    encode(&EventsRef { ty: "events", from_seq, events })
}

#[derive(Serialize)]
struct SnapshotRef<'a> {
    #[serde(rename = "type")]
    ty: &'static str,
    seq: u64,
    floor: &'a Floor,
}

/// Encodes a `snapshot` frame of `floor` (its `seq` is `floor.seq`).
pub fn encode_snapshot(floor: &Floor) -> String {
    encode(&SnapshotRef { ty: "snapshot", seq: floor.seq, floor })
}

#[derive(Serialize)]
struct MetricsRef<'a> {
    #[serde(rename = "type")]
    ty: &'static str,
    #[serde(flatten)]
    metrics: &'a FloorMetrics,
}

/// Encodes a `metrics` frame.
pub fn encode_metrics(metrics: &FloorMetrics) -> String {
    encode(&MetricsRef { ty: "metrics", metrics })
}

/// Encodes an `error` frame.
pub fn encode_error(id: Option<&str>, code: ErrorCode, message: &str) -> String {
    encode(&ServerMsg::Error { id: id.map(str::to_string), code, message: message.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CallId;

    fn code_of(text: &str) -> (Option<String>, ErrorCode) {
        match decode_client(text) {
            Ok(m) => panic!("{text} decoded as {m:?}, expected an error"),
            Err(e) => (e.id, e.code),
        }
    }

    #[test]
    fn client_frames_decode() {
        assert_eq!(
            decode_client(r#"{"type":"hello","protocol":1,"token":"abc"}"#),
            Ok(ClientMsg::Hello { protocol: 1, token: "abc".into() })
        );
        assert_eq!(
            decode_client(r#"{"type":"command","id":"c-1","command":{"type":"barge","call":"C-7"}}"#),
            Ok(ClientMsg::Command { id: "c-1".into(), command: Command::Barge { call: CallId(7) } })
        );
        assert_eq!(decode_client(r#"{"type":"resync"}"#), Ok(ClientMsg::Resync));
    }

    #[test]
    fn bad_client_frames_get_the_documented_codes() {
        assert_eq!(code_of("{not json"), (None, ErrorCode::BadFrame));
        assert_eq!(code_of("[1,2]"), (None, ErrorCode::BadFrame));
        assert_eq!(code_of(r#"{"id":"x"}"#), (Some("x".into()), ErrorCode::BadFrame));
        assert_eq!(code_of(r#"{"type":"explode","id":"c-2"}"#), (Some("c-2".into()), ErrorCode::BadFrame));
        // Wrong field types: the call id must be a string; the id is still echoed.
        assert_eq!(
            code_of(r#"{"type":"command","id":"c-3","command":{"type":"barge","call":12}}"#),
            (Some("c-3".into()), ErrorCode::BadFrame)
        );
        assert_eq!(
            code_of(r#"{"type":"command","command":{"type":"barge","call":"C-1"}}"#),
            (None, ErrorCode::BadFrame)
        );
        assert_eq!(code_of(r#"{"type":"command","id":7,"command":{}}"#), (None, ErrorCode::BadFrame));
        assert_eq!(code_of(r#"{"type":"hello","protocol":2,"token":"t"}"#), (None, ErrorCode::UnsupportedVersion));
        assert_eq!(code_of(r#"{"type":"hello","protocol":"1","token":"t"}"#), (None, ErrorCode::BadFrame));
        assert_eq!(code_of(r#"{"type":"hello","protocol":1,"token":5}"#), (None, ErrorCode::BadFrame));
    }

    #[test]
    fn server_frames_round_trip() {
        let floor = Floor { seq: 3, scenario: "bank".into(), ..Floor::default() };
        let snap = encode_snapshot(&floor);
        assert!(snap.starts_with(r#"{"type":"snapshot","seq":3,"floor":{"#), "{snap}");
        assert_eq!(decode_server(&snap).ok(), Some(ServerMsg::Snapshot { seq: 3, floor: Box::new(floor) }));

        let ev = Event { at: chrono::DateTime::UNIX_EPOCH, kind: crate::model::EventKind::Tick };
        let text = encode_events(9, std::slice::from_ref(&ev));
        assert!(text.starts_with(r#"{"type":"events","from_seq":9,"events":[{"#), "{text}");
        assert_eq!(decode_server(&text).ok(), Some(ServerMsg::Events { from_seq: 9, events: vec![ev] }));

        let m = FloorMetrics { window_s: 900, ..FloorMetrics::default() };
        let text = encode_metrics(&m);
        assert!(text.starts_with(r#"{"type":"metrics","at":null,"window_s":900"#), "{text}");
        assert_eq!(decode_server(&text).ok(), Some(ServerMsg::Metrics(Box::new(m))));

        let err = encode_error(None, ErrorCode::NotFound, "there is no live call C-1");
        assert_eq!(err, r#"{"type":"error","code":"not_found","message":"there is no live call C-1"}"#);
        let identity = FloorIdentity {
            id: "00c0ffee00c0ffee".into(),
            started: chrono::DateTime::UNIX_EPOCH + chrono::Duration::seconds(1_767_600_000),
        };
        let sent = ServerMsg::Welcome {
            protocol: 1,
            role: Role::Viewer,
            server: "callfloor 0.1.0".into(),
            user: "v".into(),
            floor: Some(identity),
        };
        let welcome = encode(&sent);
        assert!(welcome.contains(r#""floor":{"id":"00c0ffee00c0ffee","started":"2026-01-05T08:00:00Z"}"#), "{welcome}");
        assert_eq!(decode_server(&welcome).ok(), Some(sent));
        // A server from before the floor identity: the welcome still decodes, with no identity.
        let old = r#"{"type":"welcome","protocol":1,"role":"viewer","server":"callfloor 0.0.9","user":"v"}"#;
        assert!(matches!(decode_server(old), Ok(ServerMsg::Welcome { floor: None, .. })));
        assert!(decode_server(r#"{"type":"surprise"}"#).is_err());
    }

    #[test]
    fn the_largest_ack_alerts_fits_in_a_client_frame() {
        // 5,000 six-digit alert ids (AL-100000 ...): more alerts than a floor keeps, in one frame under the limit.
        let alerts = (0..crate::model::ACK_ALERTS_MAX as u32).map(|i| crate::model::AlertId(100_000 + i)).collect();
        let frame = encode(&ClientMsg::Command { id: "c-1".into(), command: Command::AckAlerts { alerts } });
        assert!(frame.len() <= MAX_CLIENT_FRAME_BYTES, "{} bytes", frame.len());
        assert!(matches!(decode_client(&frame), Ok(ClientMsg::Command { command: Command::AckAlerts { .. }, .. })));
    }
}
