//! Everything a key (through the keymap) or the command line can ask the console to do.

use serde::{Deserialize, Serialize};

use crate::model::Role;
use strum::{IntoStaticStr, VariantArray};

/// One thing the user asks for. Keymap files name these in snake_case (`barge`, `view_calls`, ...), so the
/// names are part of the keymap file format: rename one and every user's keymap breaks.
///
/// A renamed action keeps its old name as a serde alias, so users' keymaps keep working.
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize, VariantArray, IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Action {
    /// Quit (asks first while you are barged into a call).
    Quit,
    /// Quit at once, without asking.
    ForceQuit,
    ToggleHelp,
    OpenCommandLine,
    /// Close whatever is open: help, a dialog, the command line, the call view.
    Close,
    ViewFloor,
    ViewCalls,
    ViewAgents,
    ViewAlerts,
    ViewTickets,
    ViewCallbacks,
    ViewAudit,
    NextView,
    PrevView,
    SelectNext,
    SelectPrev,
    PageDown,
    PageUp,
    SelectFirst,
    SelectLast,
    /// Open the selected row: a call in the Call view, a ticket in the Ticket view (or the call an alert or a
    /// seat is about).
    #[serde(alias = "open")]
    OpenCall,
    /// Type a filter for the list.
    Filter,
    /// Sort the list by its next column.
    #[serde(alias = "cycle_sort")]
    SortNext,
    /// Reverse the list's order.
    SortReverse,
    /// Freeze the list (rows stay until it is resumed), or resume it.
    TogglePause,
    SortByWait,
    SortBySentiment,
    SortByPriority,
    /// Listen silently to the selected call.
    Monitor,
    /// Speak to the agent of the selected call only.
    Whisper,
    /// Join the selected call: caller and agent hear you.
    Barge,
    /// Leave the call you are on.
    Leave,
    /// Switch to the next mode on the call you are on: monitor → whisper → barge.
    NextMode,
    /// Type a line into the call you whisper on or barged into.
    Say,
    /// Transfer the selected call to an agent or a queue.
    Transfer,
    /// Choose the queues of the selected agent.
    Reassign,
    /// Set the selected agent available, on break or offline.
    SetAgentState,
    /// Acknowledge the selected alert.
    Ack,
    /// Acknowledge every unacknowledged alert shown.
    AckAllVisible,
    /// Escalate the selected ticket, with a note.
    Escalate,
    /// Resolve the selected ticket, with a note.
    Resolve,
    /// Add a note to the selected ticket.
    Note,
    /// Switch to the next built-in theme.
    CycleTheme,
    /// Turn the bell for urgent alerts on or off.
    ToggleBell,
    /// Show the history of messages.
    ShowMessages,
    /// Suspend the console (fg resumes it).
    Suspend,
    /// In a dialog: toggle the item under the cursor.
    Toggle,
    /// In a dialog: confirm.
    Confirm,
    /// Confirm the selected call's pending second confirmation (二次确认): the caller's request goes ahead.
    AcceptConfirmation,
    /// Refuse the selected call's pending second confirmation: the request is declined (asks first).
    RefuseConfirmation,
    /// Open the caller's newest earlier ticket (or call) from a ticket or a call.
    OpenEarlier,
    /// Give the selected callback to a seat or a queue (opens `:callback C-… ` to complete).
    AssignCallback,
    /// Add temporary seats for a peak (opens `:seats add …` filled in for the selected seat's queue).
    AddSeats,
}

impl Action {
    /// Every action, in the order help lists them.
    pub const ALL: &'static [Action] = Action::VARIANTS;

    /// The snake_case name keymap files use.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Parses a keymap action name (old names of renamed actions too).
    pub fn from_name(name: &str) -> Option<Action> {
        serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
    }

    /// The role a user needs for this action, when it sends a command to the engine (the engine checks the same:
    /// every supervisor command needs at least [`Role::Supervisor`], see `Command::required_role`).
    pub fn required_role(self) -> Option<Role> {
        match self {
            Action::Monitor
            | Action::Whisper
            | Action::Barge
            | Action::Leave
            | Action::NextMode
            | Action::Say
            | Action::Transfer
            | Action::Reassign
            | Action::SetAgentState
            | Action::Ack
            | Action::AckAllVisible
            | Action::Escalate
            | Action::Resolve
            | Action::Note
            | Action::AcceptConfirmation
            | Action::RefuseConfirmation
            | Action::AssignCallback => Some(Role::Supervisor),
            Action::AddSeats => Some(Role::Admin),
            _ => None,
        }
    }

    /// One line for the help view.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Quit => "quit (asks first while barged in)",
            Action::ForceQuit => "quit at once",
            Action::ToggleHelp => "show or hide this help",
            Action::OpenCommandLine => "command line (:barge C-1042, :ack all, :q)",
            Action::Close => "close what is open",
            Action::ViewFloor => "Floor view",
            Action::ViewCalls => "Calls view",
            Action::ViewAgents => "Agents view",
            Action::ViewAlerts => "Alerts view",
            Action::ViewTickets => "Tickets view",
            Action::ViewCallbacks => "Callbacks view",
            Action::ViewAudit => "Audit view",
            Action::NextView => "next view",
            Action::PrevView => "previous view",
            Action::SelectNext => "select next",
            Action::SelectPrev => "select previous",
            Action::PageDown => "page down",
            Action::PageUp => "page up",
            Action::SelectFirst => "select first",
            Action::SelectLast => "select last",
            Action::OpenCall => "open the selected call or ticket",
            Action::Filter => "filter by typed text",
            Action::SortNext => "sort by the next column",
            Action::SortReverse => "reverse the order",
            Action::TogglePause => "pause / resume the list (rows hold still)",
            Action::SortByWait => "sort by wait",
            Action::SortBySentiment => "sort by sentiment",
            Action::SortByPriority => "sort by priority",
            Action::Monitor => "monitor the call (silent)",
            Action::Whisper => "whisper to the agent",
            Action::Barge => "barge in (caller and agent hear you)",
            Action::Leave => "leave the call",
            Action::NextMode => "next mode: monitor → whisper → barge",
            Action::Say => "say a line into the call",
            Action::Transfer => "transfer the call to an agent or queue",
            Action::Reassign => "choose the agent's queues",
            Action::SetAgentState => "set the agent available / break / offline",
            Action::Ack => "acknowledge the alert",
            Action::AckAllVisible => "acknowledge all alerts shown",
            Action::Escalate => "escalate the ticket with a note",
            Action::Resolve => "resolve the ticket",
            Action::Note => "add a note to the ticket",
            Action::CycleTheme => "next theme",
            Action::ToggleBell => "bell on new critical alerts on / off",
            Action::ShowMessages => "message history",
            Action::Suspend => "suspend (fg resumes)",
            Action::Toggle => "dialog: toggle the item",
            Action::Confirm => "dialog: confirm",
            Action::AcceptConfirmation => "confirm the call's 2nd confirmation",
            Action::RefuseConfirmation => "refuse the call's 2nd confirmation",
            Action::OpenEarlier => "open the caller's newest earlier ticket or call",
            Action::AssignCallback => "give the callback to a seat or a queue",
            Action::AddSeats => "add temporary seats for a peak (:seats add …)",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_one_name_for_keymaps_serde_and_help() {
        for a in Action::ALL {
            let wire = serde_json::to_value(a).ok().and_then(|v| v.as_str().map(str::to_string));
            assert_eq!(wire.as_deref(), Some(a.name()), "serde and strum disagree on {a:?}");
            assert_eq!(Action::from_name(a.name()), Some(*a));
            assert!(!a.describe().is_empty());
        }
    }

    #[test]
    fn renamed_actions_keep_their_old_names() {
        assert_eq!(Action::from_name("cycle_sort"), Some(Action::SortNext));
        assert_eq!(Action::from_name("open"), Some(Action::OpenCall));
    }
}
