//! Records of issue 9's points 3, 4 and 9: student records shared by their contacts, temporary (elastic) seats,
//! and callbacks a supervisor assigns and the floor places.

use serde::{Deserialize, Serialize};

use super::ids::{AgentId, CallId, QueueId};
use super::types::Time;

/// Calls kept per student record on the floor (the newest), so a student's page shows recent contact.
pub const STUDENT_CALLS_CAP: usize = 10;
/// Most temporary seats one `add_seats` command may add.
pub const ADD_SEATS_MAX: u32 = 50;
/// How far ahead a temporary seat's `until` may be, hours.
pub const ADD_SEATS_MAX_HOURS: i64 = 24;

/// Who a contact of a student is.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactRole {
    Parent,
    Student,
    Teacher,
}

impl ContactRole {
    pub const ALL: [ContactRole; 3] = [ContactRole::Parent, ContactRole::Student, ContactRole::Teacher];
    pub fn as_str(self) -> &'static str {
        match self {
            ContactRole::Parent => "parent",
            ContactRole::Student => "student",
            ContactRole::Teacher => "teacher",
        }
    }
}

/// One call from a contact of a student, as the student's record keeps it.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct StudentCall {
    pub call: CallId,
    pub role: ContactRole,
    /// The contact's number; masked on the wire for roles below admin.
    pub number: String,
    pub at: Time,
}

/// A student record on the floor: who the student is and the newest calls from any of their contacts.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct StudentRecord {
    /// The scenario's id for the student, e.g. `S-7`.
    pub id: String,
    pub name: String,
    pub class: String,
    /// Newest last, at most [`STUDENT_CALLS_CAP`].
    #[serde(default)]
    pub calls: Vec<StudentCall>,
}

/// What a call from a contact of a student shows: the student, who is calling, and the other contacts' recent calls
/// (as the record held them when the call came in).
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct StudentLink {
    pub student: String,
    pub name: String,
    pub class: String,
    /// Who this caller is to the student.
    pub role: ContactRole,
    /// Earlier calls about the same student, newest last.
    #[serde(default)]
    pub others: Vec<StudentCall>,
}

/// Where a temporary seat comes from.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeatOrigin {
    Outsourced,
    PartTime,
}

impl SeatOrigin {
    pub const ALL: [SeatOrigin; 2] = [SeatOrigin::Outsourced, SeatOrigin::PartTime];
    pub fn as_str(self) -> &'static str {
        match self {
            SeatOrigin::Outsourced => "outsourced",
            SeatOrigin::PartTime => "part_time",
        }
    }
    /// Short label for narrow columns: `out`, `pt`.
    pub fn short(self) -> &'static str {
        match self {
            SeatOrigin::Outsourced => "out",
            SeatOrigin::PartTime => "pt",
        }
    }
}

/// What makes a seat temporary: where it comes from and when it leaves.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct TempSeat {
    pub origin: SeatOrigin,
    /// The seat logs off at this floor time (after finishing a call in progress).
    pub until: Time,
    /// Skills the seat was added with (informational, like a queue's).
    #[serde(default)]
    pub skills: Vec<String>,
}

/// Where a callback stands.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackStatus {
    /// Nobody has it yet.
    #[default]
    Waiting,
    /// Assigned to a seat or a queue, waiting for that seat (or one of the queue's) to be free.
    Assigned,
    /// A seat is dialling the caller now.
    Dialing,
    /// Not reached; another attempt is due at `retry_at` of the last attempt.
    Retry,
    /// The caller was reached: done.
    Reached,
    /// Not reached in the scenario's most attempts: done.
    GaveUp,
}

impl CallbackStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CallbackStatus::Waiting => "waiting",
            CallbackStatus::Assigned => "assigned",
            CallbackStatus::Dialing => "dialing",
            CallbackStatus::Retry => "retry",
            CallbackStatus::Reached => "reached",
            CallbackStatus::GaveUp => "gave_up",
        }
    }
    /// Reached or given up: nothing more will happen to it.
    pub fn is_done(self) -> bool {
        matches!(self, CallbackStatus::Reached | CallbackStatus::GaveUp)
    }
}

/// How one attempt to call back went.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackOutcome {
    Reached,
    NoAnswer,
}

impl CallbackOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            CallbackOutcome::Reached => "reached",
            CallbackOutcome::NoAnswer => "no_answer",
        }
    }
}

/// One attempt to call an abandoned caller back.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct CallbackAttempt {
    pub at: Time,
    pub agent: AgentId,
    /// The outbound call placed for it.
    pub call: CallId,
    pub outcome: CallbackOutcome,
    /// When the next attempt is due (not reached, attempts left).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<Time>,
}

/// Who a callback is assigned to.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct CallbackAssignee {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<AgentId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<QueueId>,
    pub by: String,
    pub at: Time,
}

impl CallbackAssignee {
    /// `A-07` or `billing`.
    pub fn target(&self) -> String {
        match (&self.agent, &self.queue) {
            (Some(a), _) => a.to_string(),
            (_, Some(q)) => q.to_string(),
            _ => "—".into(),
        }
    }
}
