//! The call engine: decides what happens (from supervisor commands and simulated facts), as events.

pub mod analysis;
pub mod metrics;
pub mod sim;
