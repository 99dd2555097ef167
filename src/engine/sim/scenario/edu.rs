//! Scenario keys of issue 9's points 3, 4 and 9: `[[students]]` and `[student_calls]` (one student, many contacts),
//! `[temporary_seats]` (elastic seats and what they may not do), and `[callbacks]` (promises and redials).

use serde::Deserialize;

use super::TimeOfDay;
use crate::model::{ContactRole, Lang, SeatOrigin};

/// `[[students]]`: a student record whose contacts (parents, the student, teachers) may call.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudentSpec {
    /// Unique id, e.g. `S-7`.
    pub id: String,
    /// The student's name (shown to every role).
    pub name: String,
    /// Class or grade, e.g. `Grade 7 · Class 2`.
    pub class: String,
    /// The numbers that call about this student.
    pub contacts: Vec<ContactSpec>,
    /// The language the family speaks: only callers of this language are its contacts. Absent: any.
    #[serde(default)]
    pub lang: Option<Lang>,
}

/// One contact of a student: who they are and the number they call from.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactSpec {
    /// `parent`, `student` or `teacher`.
    pub role: ContactRole,
    /// The number, as a caller number (masked below admin).
    pub number: String,
}

/// `[student_calls]`: how many callers are contacts of a student.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudentCalls {
    /// Share of arriving callers (0..1) who are a contact of one of the `[[students]]`, drawn from the seed.
    pub caller_share: f64,
    /// Only callers of these intents are contacts; empty: any intent.
    #[serde(default)]
    pub intents: Vec<String>,
}

/// `[temporary_seats]`: seats added for a peak (by an admin's `add_seats`, or by `plan`), and their limits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemporarySeats {
    /// Queues a call held by a temporary seat may not be transferred to (refused with `conflict`).
    #[serde(default)]
    pub cannot_transfer_to: Vec<String>,
    /// Names given to temporary seats in turn (numbered when they run out); empty: `Temp 1`, `Temp 2`, ...
    #[serde(default)]
    pub names: Vec<String>,
    /// Languages temporary seats speak; empty: every language a seat group serving the queue speaks.
    #[serde(default)]
    pub langs: Vec<Lang>,
    /// Chance that a temporary seat answers a ringing call, 0..1.
    #[serde(default = "default_temp_answer_rate")]
    pub answer_rate: f64,
    /// Seats the floor adds by itself at a time of day, as if an admin had sent `add_seats`.
    #[serde(default)]
    pub plan: Vec<SeatPlan>,
}

impl Default for TemporarySeats {
    fn default() -> Self {
        TemporarySeats {
            cannot_transfer_to: Vec::new(),
            names: Vec::new(),
            langs: Vec::new(),
            answer_rate: default_temp_answer_rate(),
            plan: Vec::new(),
        }
    }
}

fn default_temp_answer_rate() -> f64 {
    0.95
}

/// `[[temporary_seats.plan]]`: temporary seats that log in at `at` and leave at `until`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeatPlan {
    /// When they log in, `HH:MM` (before `24:00`).
    pub at: TimeOfDay,
    /// The queue they serve.
    pub queue: String,
    /// How many, 1..=50.
    pub count: u32,
    /// When they leave, `HH:MM` (later than `at`; `24:00` is the end of the day).
    pub until: TimeOfDay,
    /// `outsourced` or `part_time`.
    pub origin: SeatOrigin,
    /// Skills shown for them (informational).
    #[serde(default)]
    pub skills: Vec<String>,
}

/// `[callbacks]`: what callers who hung up are promised, and how the floor calls them back.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallbackPolicy {
    /// Minutes after hanging up by which a caller is promised a call back; a callback not reached by then raises a
    /// `callback_overdue` alert. Absent: no promise, no alert.
    #[serde(default)]
    pub promise_min: Option<u32>,
    /// Chance that a dialled caller picks up, 0..1.
    #[serde(default = "default_reach_share")]
    pub reach_share: f64,
    /// Seconds an outbound call rings before it counts as no answer.
    #[serde(default = "default_ring_s")]
    pub ring_s: u32,
    /// Minutes until the next attempt after no answer.
    #[serde(default = "default_retry_after_min")]
    pub retry_after_min: u32,
    /// Attempts before the callback is given up.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
}

impl Default for CallbackPolicy {
    fn default() -> Self {
        CallbackPolicy {
            promise_min: None,
            reach_share: default_reach_share(),
            ring_s: default_ring_s(),
            retry_after_min: default_retry_after_min(),
            max_attempts: default_max_attempts(),
        }
    }
}

fn default_reach_share() -> f64 {
    0.7
}
fn default_ring_s() -> u32 {
    25
}
fn default_retry_after_min() -> u32 {
    15
}
fn default_max_attempts() -> u32 {
    3
}
