//! callfloor: a terminal supervisor console for call centers, with a bundled call engine it watches over
//! WebSocket. See README.md and docs/.

pub mod bridge;
pub mod cli;
pub mod client;
pub mod console;
pub mod engine;
pub mod kb;
pub mod local;
pub mod model;
pub mod protocol;
