//! The supervisor console: a ratatui dashboard over a mirror of the floor.
//!
//! Shape (Elm style): [`App`] owns all state; a key becomes an [`Action`] through the [`Keymap`];
//! [`App::update`] changes UI state or returns commands to send; [`App::apply`] takes what the client reports;
//! [`render`] draws an `&App` and nothing else. [`run`] owns the terminal and the event loop.

pub mod action;
pub mod app;
pub mod command_line;
pub mod config;
pub mod kb;
pub mod keymap;
pub mod lists;
mod run;
pub mod theme;
pub mod views;

pub use action::Action;
pub use app::{App, AppOptions, View};
pub use config::{ConfigError, UserConfig};
pub use keymap::{Key, Keymap};
pub use run::{ConsoleOptions, ScrollingBackend, init_logging, run};
pub use theme::Theme;
pub use views::render;
