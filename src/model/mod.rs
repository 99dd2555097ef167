//! The shared domain: ids, entities, events, commands and the one state type, [`Floor`].
//! Depends on nothing else in the crate.

pub mod command;
pub mod dialect;
pub mod edu;
pub mod emotion;
pub mod event;
pub mod floor;
pub mod ids;
pub mod metrics;
pub mod orders;
pub mod record;
pub mod redact;
pub mod terminal;
pub mod types;

pub use command::{
    ACK_ALERTS_MAX, Actor, Command, CommandError, ErrorCode, INTENT_MAX_CHARS, NOTE_MAX_CHARS, SAY_MAX_CHARS,
    SURVEY_SCORES,
};
pub use dialect::*;
pub use edu::*;
pub use emotion::{EMOTION_CALM_LINES, Emotion};
pub use event::{Event, EventKind};
pub use floor::*;
pub use ids::*;
pub use metrics::*;
pub use orders::*;
pub use record::*;
pub use types::*;
