//! WebSocket client shared by the console and `tail`: connects, authenticates, receives snapshot + events, checks
//! sequence numbers, reconnects with backoff. No TUI in here.
//!
//! The interface between a client task and its user (the console's event loop, `tail`) is two channels:
//! [`Update`]s come out, [`Outgoing`] commands go in.

use crate::model::{Command, ErrorCode, Event, Floor, FloorMetrics, Role};

/// Connection state, as the console's header shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum ConnState {
    /// Dialling, the `attempt`-th time since the last good connection (1 = first).
    Connecting { attempt: u32 },
    /// Authenticated and receiving.
    Connected,
    /// Lost; the client retries in `retry_in_ms`.
    Disconnected { reason: String, retry_in_ms: u64 },
    /// Refused for good (wrong token, unsupported protocol): the client stopped retrying.
    Failed { reason: String },
}

/// What a client task tells its user.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    Connection(ConnState),
    /// The server accepted the token.
    Welcome {
        role: Role,
        server: String,
        user: String,
    },
    /// A full floor: replace the mirror with it. `seq` equals `floor.seq`.
    Snapshot {
        seq: u64,
        floor: Box<Floor>,
    },
    /// Events `from_seq`, `from_seq + 1`, ... in order, contiguous with what came before (the client checks; on a gap
    /// it resyncs and sends a new Snapshot instead).
    Events {
        from_seq: u64,
        events: Vec<Event>,
    },
    Metrics(Box<FloorMetrics>),
    Ack {
        id: String,
    },
    Error {
        id: Option<String>,
        code: ErrorCode,
        message: String,
    },
}

/// A command to send, with the client-chosen id its ack or error will carry.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub id: String,
    pub command: Command,
}
