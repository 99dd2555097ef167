//! FreeSWITCH event socket (mod_callcenter) bridge: [`frame`] reads the wire format (Content-Type/Content-Length
//! frames, plain events with percent-encoded values decoded on demand), [`map`] turns events into observations,
//! [`command`] actions into API commands, [`client`] runs the link (connect, password, subscription, snapshot, events,
//! `api`/`bgapi` replies, actions, reconnect with capped backoff and a fresh snapshot each time).

pub mod client;
pub mod command;
pub mod frame;
pub mod map;

use std::time::Duration;

use crate::bridge::Secret;

pub use client::{run, spawn};
pub use map::{MapStats, Mapper, QueueTables};

/// The events the bridge subscribes to. `CUSTOM` comes last: mod_event_socket reads every name after it as a custom
/// subclass, so `CUSTOM callcenter::info CHANNEL_HOLD` would ask for a subclass named CHANNEL_HOLD.
pub const SUBSCRIPTION: &str =
    "CHANNEL_HOLD CHANNEL_UNHOLD CHANNEL_EXECUTE CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB CUSTOM callcenter::info";

/// Where and how the bridge connects.
#[derive(Debug, Clone)]
pub struct EslConfig {
    pub host: String,
    pub port: u16,
    /// The event socket password (`event_socket.conf.xml`); never logged.
    pub password: Secret,
    /// First wait before a reconnect; it doubles after each failed attempt up to `backoff_max`.
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// How long a TCP connect and the password exchange may take.
    pub connect_timeout: Duration,
    /// How long FreeSWITCH may take to answer one command.
    pub command_timeout: Duration,
    /// Prefix of the uuids of spy legs this bridge originates (`<prefix>-<n>`): unique per run, so a leg left over
    /// from an earlier run never collides.
    pub leg_prefix: String,
}

impl EslConfig {
    /// Production defaults: 0.5 s doubling to 30 s between attempts, 5 s to connect, 10 s per command.
    pub fn new(host: impl Into<String>, port: u16, password: Secret) -> EslConfig {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        EslConfig {
            host: host.into(),
            port,
            password,
            backoff_min: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            command_timeout: Duration::from_secs(10),
            leg_prefix: format!("callfloor-{:x}-{:x}", std::process::id(), nanos & 0xffff_ffff),
        }
    }

    /// `host:port` as the health line shows it.
    pub fn target(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

#[cfg(test)]
mod tests;
