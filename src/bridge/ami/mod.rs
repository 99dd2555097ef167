//! Asterisk Manager Interface, the wire half: [`frame`] cuts the byte stream into messages, [`event`] types the queue,
//! channel, bridge and ChanSpy events a call-center floor is built from. Pure and synchronous, so the socket task that
//! will own the connection only pushes bytes and forwards events.
//!
//! A thin model of our own rather than a crate: the AMI crates looked at type few queue events, and none matches real
//! Asterisk 13+ traffic on the points that matter here (member `MemberName`/`Interface` vs `Name`/`Location`, the
//! agent's device channel in `DestChannel`, messages run together, `Response: Follows` output). See docs/BRIDGE.md.

pub mod client;
pub mod event;
pub mod frame;
pub mod map;

#[cfg(test)]
mod tests;

pub use client::{AmiConfig, run, spawn};
pub use event::{AgentLeg, AmiEvent, ChannelRef, CompleteReason, DecodeStats, Decoder, DeviceStatus, Member};
pub use frame::{Frame, FrameError, FrameReader, FrameStats, Limits, Message, MessageKind};
pub use map::{MapStats, Mapper};
