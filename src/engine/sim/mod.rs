//! The simulated floor: scenarios, arrivals, callers' and agents' behaviour, the clock.

pub mod scenario;
