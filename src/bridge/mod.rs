//! Bridges from a real PBX into the engine (issue 10). For now only the pure protocol layers: [`ami`] frames and types
//! Asterisk Manager Interface traffic. Nothing here does I/O or knows the engine; docs/BRIDGE.md describes the
//! `Source` seam these will feed.

pub mod ami;
