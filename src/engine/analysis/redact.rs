//! Masking of personal data for roles below admin. The functions live in [`crate::model::redact`] (the console
//! masks what a supervisor typed with the very same code); they are re-exported here for the engine's users.

pub use crate::model::redact::{mask_number, mask_text};
