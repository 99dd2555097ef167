//! Commands a supervisor sends, and the errors they can meet.

use serde::{Deserialize, Serialize};

use super::edu::SeatOrigin;
use super::ids::{AgentId, AlertId, CallId, QueueId, TicketId};
use super::types::{AgentState, Lang, Role, Speaker, SupervisorMode, Time};

/// Most alert ids one `ack_alerts` command may carry (5,000 ids of up to 9 characters fit in a client frame).
pub const ACK_ALERTS_MAX: usize = 5000;
/// Longest ticket note (`note`, and the note of `escalate` and `resolve`), in characters. About 300 words: a full
/// hand-over a supervisor types, while a ticket's notes stay small enough that every snapshot can carry them.
pub const NOTE_MAX_CHARS: usize = 2000;
/// Longest line a supervisor may `say` into a call, in characters. About 80 words, 30 seconds of speech: more than
/// one turn of a conversation, and a transcript of 200 such lines stays under 100 KB.
pub const SAY_MAX_CHARS: usize = 500;
/// Longest intent a feeder may tag a call with (`call_tag`), in characters: a label ("挂号 / appointment"), not a
/// summary, so it fits the call list's column and every snapshot.
pub const INTENT_MAX_CHARS: usize = 100;
/// Survey scores run from 1 (very bad) to 5 (very good).
pub const SURVEY_SCORES: std::ops::RangeInclusive<u8> = 1..=5;

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
    /// Confirms (`accept: true`) or refuses the second confirmation (二次确认) a call waits for. A refusal declines
    /// the caller's request: the call stays flagged for risk, cannot be transferred, and an identity-review ticket
    /// is opened.
    Confirm {
        call: CallId,
        accept: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// Gives the callback of abandoned call `call` to a seat or a queue (exactly one): the floor dials the caller
    /// back as soon as that seat (or a seat of that queue) is free.
    AssignCallback {
        call: CallId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to_agent: Option<AgentId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to_queue: Option<QueueId>,
    },
    /// Adds `count` temporary seats serving `queue` until floor time `until` (admin only; at most
    /// [`super::edu::ADD_SEATS_MAX`] at once, `until` in the next [`super::edu::ADD_SEATS_MAX_HOURS`] hours).
    AddSeats {
        queue: QueueId,
        count: u32,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        skills: Vec<String>,
        until: Time,
        origin: SeatOrigin,
    },
    /// A line heard on a live call, from a feeder (the `ingest` role: speech recognition on a PBX's audio). The
    /// engine analyses it as it does the simulator's lines: sentiment, keyword rules, sentiment alerts.
    Utterance {
        call: CallId,
        /// `caller` or `agent`.
        speaker: Speaker,
        text: String,
        /// The language the recogniser heard; a caller's line in another language than the call's re-tags the call.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lang: Option<Lang>,
    },
    /// What a feeder learned about a call (the `ingest` role): each field present changes that field of the call.
    /// `survey` is the caller's post-call score for a call that has ended (one score per call).
    CallTag {
        call: CallId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        intent: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lang: Option<Lang>,
        /// An id of the floor's dialects.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dialect: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        elderly: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        survey: Option<u8>,
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
            Command::Confirm { .. } => "confirm",
            Command::AssignCallback { .. } => "assign_callback",
            Command::AddSeats { .. } => "add_seats",
            Command::Utterance { .. } => "utterance",
            Command::CallTag { .. } => "call_tag",
        }
    }

    /// Whether this is a feed command (`utterance`, `call_tag`): sent by a feeder, not by a person.
    pub fn is_feed(&self) -> bool {
        matches!(self, Command::Utterance { .. } | Command::CallTag { .. })
    }

    /// The role a refusal asks for: `ingest` for the feed commands, `admin` for `add_seats`, else `supervisor`.
    pub fn required_role(&self) -> Role {
        match self {
            Command::AddSeats { .. } => Role::Admin,
            Command::Utterance { .. } | Command::CallTag { .. } => Role::Ingest,
            _ => Role::Supervisor,
        }
    }

    /// Whether `role` may send this command. The feed commands are the ingest role's alone (admins included may
    /// not: a person's token should not put words in a caller's mouth, and a feeder's token should not steer calls
    /// or see unmasked data); every other command needs a staff role covering [`Command::required_role`], so a
    /// feeder may send none of them.
    pub fn allowed_for(&self, role: Role) -> bool {
        if self.is_feed() { role == Role::Ingest } else { role.covers(self.required_role()) }
    }

    /// The sentence a refused `role` gets: "the viewer role cannot barge: ask for a supervisor token".
    pub fn refusal_for(&self, role: Role) -> String {
        let need = self.required_role();
        format!("the {role} role cannot {}: ask for {} {need} token", self.name().replace('_', " "), need.article())
    }

    /// True for commands that change tickets, alerts or seats: the store must be able to keep them, so the engine
    /// refuses them while its store is failing. (Listening in, speaking and leaving are never held back, nor are a
    /// feeder's lines and tags: a line held back is a line lost, and an urgent word in it unseen; a survey score,
    /// which may open a ticket, is held back.)
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
                | Command::Confirm { .. }
                | Command::AssignCallback { .. }
                | Command::AddSeats { .. }
                | Command::CallTag { survey: Some(_), .. }
        )
    }

    /// Refuses a text longer than its limit ([`SAY_MAX_CHARS`], [`NOTE_MAX_CHARS`]), counted in characters after
    /// trimming, as the engine keeps it. `bad_frame`, with a sentence saying how long it is, the limit and what to do.
    pub fn check_text_limits(&self) -> Result<(), CommandError> {
        let (what, text, max, fix) = match self {
            Command::Say { text, .. } => ("the line", text, SAY_MAX_CHARS, "say it in several shorter lines"),
            Command::Utterance { text, .. } => ("the line", text, SAY_MAX_CHARS, "send it as several shorter lines"),
            Command::CallTag { intent: Some(intent), .. } => {
                ("the intent", intent, INTENT_MAX_CHARS, "tag a short label and keep the rest for a ticket note")
            }
            Command::Note { text, .. } => ("the note", text, NOTE_MAX_CHARS, "split it into several notes"),
            Command::Escalate { note, .. } => {
                ("the escalation note", note, NOTE_MAX_CHARS, "put the rest in a note of its own")
            }
            Command::Resolve { note, .. } => {
                ("the resolution note", note, NOTE_MAX_CHARS, "put the rest in a note of its own")
            }
            Command::Confirm { note: Some(note), .. } => {
                ("the confirmation note", note, NOTE_MAX_CHARS, "put the rest in a ticket note")
            }
            _ => return Ok(()),
        };
        // Counting stops past the limit, so a long text costs no more than a short one.
        let trimmed = text.trim();
        if trimmed.chars().nth(max).is_none() {
            return Ok(());
        }
        let len = trimmed.chars().count();
        Err(CommandError::new(
            ErrorCode::BadFrame,
            format!("{what} is {} characters long, over the limit of {}: {fix}", thousands(len), thousands(max)),
        ))
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

/// `12345` as `12,345`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
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
    /// On a PBX-fed floor: the PBX refused the action the command became, or could not be reached; the message
    /// quotes the PBX.
    PbxRefused,
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
            ErrorCode::PbxRefused => "pbx_refused",
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
    pub fn pbx_refused(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::PbxRefused, message)
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

    #[test]
    fn texts_over_their_limit_are_refused_in_characters_not_bytes() {
        let ticket = TicketId(1);
        let note = |n: usize, ch: char| Command::Note { ticket, text: ch.to_string().repeat(n) };
        assert_eq!(note(NOTE_MAX_CHARS, 'a').check_text_limits(), Ok(()));
        // 2,000 Chinese characters are 6,000 bytes, and still one note.
        assert_eq!(note(NOTE_MAX_CHARS, '多').check_text_limits(), Ok(()));
        // Spaces around the text are not kept, so they do not count.
        let padded = Command::Note { ticket, text: format!("  {}  ", "a".repeat(NOTE_MAX_CHARS)) };
        assert_eq!(padded.check_text_limits(), Ok(()));
        let Err(e) = note(60_000, 'a').check_text_limits() else { panic!("a 60,000 character note is refused") };
        assert_eq!(e.code, ErrorCode::BadFrame);
        assert_eq!(
            e.message,
            "the note is 60,000 characters long, over the limit of 2,000: split it into several notes"
        );
        let say = Command::Say { call: CallId(1), text: "b".repeat(SAY_MAX_CHARS + 1) };
        assert!(
            say.check_text_limits().is_err_and(|e| e.message.contains("501 characters long, over the limit of 500"))
        );
        let esc = Command::Escalate { ticket, note: "c".repeat(NOTE_MAX_CHARS + 1) };
        assert!(esc.check_text_limits().is_err());
        let res = Command::Resolve { ticket, note: "d".repeat(NOTE_MAX_CHARS + 1) };
        assert!(res.check_text_limits().is_err());
        assert_eq!(Command::Leave { call: CallId(1) }.check_text_limits(), Ok(()));
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}

#[cfg(test)]
mod permission_tests {
    use super::*;

    #[test]
    fn the_feed_commands_are_the_ingest_roles_alone_and_it_may_send_nothing_else() {
        let call = CallId(1);
        let feed = [
            Command::Utterance { call, speaker: Speaker::Caller, text: "hi".into(), lang: None },
            Command::CallTag { call, intent: None, lang: None, dialect: None, elderly: Some(true), survey: None },
        ];
        let staff = [Command::Monitor { call }, Command::Say { call, text: "hi".into() }];
        for c in &feed {
            let allowed: Vec<Role> = Role::ALL.into_iter().filter(|r| c.allowed_for(*r)).collect();
            assert_eq!(allowed, vec![Role::Ingest], "{}", c.name());
            assert!(c.is_feed());
        }
        for c in &staff {
            let allowed: Vec<Role> = Role::ALL.into_iter().filter(|r| c.allowed_for(*r)).collect();
            assert_eq!(allowed, vec![Role::Supervisor, Role::Admin], "{}", c.name());
        }
        assert_eq!(feed[0].refusal_for(Role::Admin), "the admin role cannot utterance: ask for an ingest token");
        assert_eq!(staff[0].refusal_for(Role::Ingest), "the ingest role cannot monitor: ask for a supervisor token");
        // The roles' ladder, and ingest apart from it.
        assert!(Role::Admin.covers(Role::Supervisor) && Role::Supervisor.covers(Role::Viewer));
        assert!(!Role::Viewer.covers(Role::Supervisor) && !Role::Ingest.covers(Role::Viewer));
        assert!(!Role::Admin.covers(Role::Ingest));
        assert_eq!(Role::from_name("ingest"), Some(Role::Ingest));
        assert!(Role::Ingest.is_staff() && !Role::Ingest.sees_personal_data());
        // Feed lines are bounded as `say` is; a survey score is held back while the store fails, a line is not.
        assert!(!feed[0].durable() && !feed[1].durable());
        let scored = Command::CallTag { call, intent: None, lang: None, dialect: None, elderly: None, survey: Some(2) };
        assert!(scored.durable());
        let long = Command::CallTag {
            call,
            intent: Some("x".repeat(INTENT_MAX_CHARS + 1)),
            lang: None,
            dialect: None,
            elderly: None,
            survey: None,
        };
        assert!(long.check_text_limits().is_err_and(|e| e.message.starts_with("the intent is 101 characters long")));
        let wire = r#"{"type":"utterance","call":"C-1","speaker":"agent","text":"稍等","lang":"zh"}"#;
        let parsed: Result<Command, _> = serde_json::from_str(wire);
        assert!(matches!(parsed, Ok(Command::Utterance { speaker: Speaker::Agent, lang: Some(Lang::Zh), .. })));
    }
}
