//! Commands a supervisor sends, and the errors they can meet.

use serde::{Deserialize, Serialize};

use super::ids::{AgentId, AlertId, CallId, QueueId, TicketId};
use super::types::{AgentState, Role, SupervisorMode};

/// Most alert ids one `ack_alerts` command may carry (5,000 ids of up to 9 characters fit in a client frame).
pub const ACK_ALERTS_MAX: usize = 5000;

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    Monitor {
        call: CallId,
    },
    Whisper {
        call: CallId,
    },
    Barge {
        call: CallId,
    },
    Leave {
        call: CallId,
    },
    /// Text the supervisor says into a call they whisper on (heard by the agent) or barged into (heard by all).
    Say {
        call: CallId,
        text: String,
    },
    Reassign {
        agent: AgentId,
        queues: Vec<QueueId>,
    },
    SetAgentState {
        agent: AgentId,
        state: AgentState,
    },
    Transfer {
        call: CallId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to_agent: Option<AgentId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to_queue: Option<QueueId>,
    },
    AckAlert {
        alert: AlertId,
    },
    /// Acknowledges many alerts in one decision, all or nothing: an unknown id refuses the whole command, alerts
    /// already acknowledged are skipped. At most [`ACK_ALERTS_MAX`] ids.
    AckAlerts {
        alerts: Vec<AlertId>,
    },
    Escalate {
        ticket: TicketId,
        note: String,
    },
    Note {
        ticket: TicketId,
        text: String,
    },
    Resolve {
        ticket: TicketId,
        note: String,
    },
}

impl Command {
    /// The snake_case name of the command, as on the wire and on the console's command line.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Monitor { .. } => "monitor",
            Command::Whisper { .. } => "whisper",
            Command::Barge { .. } => "barge",
            Command::Leave { .. } => "leave",
            Command::Say { .. } => "say",
            Command::Reassign { .. } => "reassign",
            Command::SetAgentState { .. } => "set_agent_state",
            Command::Transfer { .. } => "transfer",
            Command::AckAlert { .. } => "ack_alert",
            Command::AckAlerts { .. } => "ack_alerts",
            Command::Escalate { .. } => "escalate",
            Command::Note { .. } => "note",
            Command::Resolve { .. } => "resolve",
        }
    }

    /// The least role allowed to send this command.
    pub fn required_role(&self) -> Role {
        Role::Supervisor
    }

    /// True for commands that change tickets, alerts or seats: the store must be able to keep them, so the engine
    /// refuses them while its store is failing. (Listening in, speaking and leaving are never held back.)
    pub fn durable(&self) -> bool {
        matches!(
            self,
            Command::Reassign { .. }
                | Command::SetAgentState { .. }
                | Command::AckAlert { .. }
                | Command::AckAlerts { .. }
                | Command::Escalate { .. }
                | Command::Note { .. }
                | Command::Resolve { .. }
        )
    }

    /// The supervisor mode a monitor / whisper / barge command asks for.
    pub fn mode(&self) -> Option<SupervisorMode> {
        match self {
            Command::Monitor { .. } => Some(SupervisorMode::Monitor),
            Command::Whisper { .. } => Some(SupervisorMode::Whisper),
            Command::Barge { .. } => Some(SupervisorMode::Barge),
            _ => None,
        }
    }
}

/// Stable error codes, the same on the wire and in the audit log.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadFrame,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    RateLimited,
    UnsupportedVersion,
    /// The engine's store cannot write: a command that changes tickets, alerts or seats is refused (or, if it was
    /// already carried out when the write failed, reported as not saved).
    StoreFailed,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadFrame => "bad_frame",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::UnsupportedVersion => "unsupported_version",
            ErrorCode::StoreFailed => "store_failed",
        }
    }
}

/// Why a command was refused: a stable code and one sentence for the user.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct CommandError {
    pub code: ErrorCode,
    pub message: String,
}

impl CommandError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        CommandError { code, message: message.into() }
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }
    pub fn store_failed(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::StoreFailed, message)
    }
}

/// Who sent a command.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Actor {
    pub name: String,
    pub role: Role,
}

impl Actor {
    pub fn new(name: impl Into<String>, role: Role) -> Self {
        Actor { name: name.into(), role }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_have_the_documented_wire_form() {
        let c = Command::Barge { call: CallId(7) };
        assert_eq!(serde_json::to_string(&c).ok().as_deref(), Some(r#"{"type":"barge","call":"C-7"}"#));
        let t: Command = serde_json::from_str(r#"{"type":"transfer","call":"C-9","to_queue":"billing"}"#)
            .unwrap_or(Command::Leave { call: CallId(0) });
        assert_eq!(t, Command::Transfer { call: CallId(9), to_agent: None, to_queue: Some(QueueId::from("billing")) });
        let bad: Result<Command, _> = serde_json::from_str(r#"{"type":"barge","call":12}"#);
        assert!(bad.is_err(), "a call id must be a string");
        let unknown: Result<Command, _> = serde_json::from_str(r#"{"type":"explode"}"#);
        assert!(unknown.is_err());
        let bulk: Result<Command, _> = serde_json::from_str(r#"{"type":"ack_alerts","alerts":["AL-1","AL-2"]}"#);
        assert_eq!(bulk.ok(), Some(Command::AckAlerts { alerts: vec![AlertId(1), AlertId(2)] }));
        assert_eq!(Command::AckAlerts { alerts: vec![] }.name(), "ack_alerts");
    }
}
