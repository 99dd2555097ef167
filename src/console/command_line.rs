//! The `:` command line, k9s style: one table of verbs ([`VERBS`]) from which parsing, Tab completion and the help
//! view all derive, plus the line's history ([`History`]) and Tab cycling ([`Completion`]).
//!
//! This module knows nothing of the App: what a verb needs from the screen (the selected call or ticket, the
//! columns the current list sorts by) comes in as plain data ([`ParseCtx`], [`CompleteCtx`]).

use std::collections::VecDeque;

use super::action::Action;
use super::config::did_you_mean;
use crate::model::*;

/// What a command line asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// Commands for the engine.
    Send(Vec<Command>),
    /// A UI action.
    Act(Action),
    /// Acknowledge every unacknowledged alert.
    AckAll,
    /// Acknowledge these alerts (one bulk request once the engine takes one).
    Ack(Vec<AlertId>),
    Theme(String),
    Keymap(String),
    Bell(bool),
    /// Sort the current list by `column` (one of [`ParseCtx::sort_columns`]); `reverse` is `Some(true)` for
    /// `desc` (largest first), `Some(false)` for `asc`, `None` for the column's usual order.
    Sort {
        column: String,
        reverse: Option<bool>,
    },
    /// Filter the calls list (empty clears).
    Filter(String),
    /// Open a call in the Call view.
    Open(CallId),
    /// Open a ticket in the ticket view.
    OpenTicket(TicketId),
    /// Show the message history.
    Messages,
    /// Freeze or unfreeze the current list.
    Pause,
    /// Ask before risky actions (on) or not (off).
    Confirm(bool),
    /// Capture the mouse (on) or leave it to the terminal (off).
    Mouse(bool),
    Nothing,
    /// Search the floor's knowledge base for these words.
    Kb(String),
}

/// What parsing needs from the screen, filled in by the App.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParseCtx {
    /// The call the current view points at, for verbs whose call is optional.
    pub target_call: Option<CallId>,
    /// The ticket the current view points at, for verbs whose ticket is optional.
    pub target_ticket: Option<TicketId>,
    /// The columns the current list sorts by, lower case.
    pub sort_columns: Vec<&'static str>,
    /// Floor time now, for verbs that take a time of day (`:seats add ... until 12:00`).
    pub now: Option<Time>,
}

/// What completion needs: the floor for ids, and the current list's sortable columns.
#[derive(Debug, Clone)]
pub struct CompleteCtx<'a> {
    pub floor: &'a Floor,
    pub sort_columns: Vec<&'static str>,
}

/// What an argument position completes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    /// Any call on the floor.
    Call,
    /// A call a supervisor can join (connected or held).
    LiveCall,
    Agent,
    /// A comma-separated list of queues, completed item by item.
    Queues,
    /// A queue, or an available agent.
    TransferTarget,
    /// A state a supervisor may set an agent to.
    AgentState,
    /// Unacknowledged alerts or `all`; every later position too.
    Alerts,
    /// An open or escalated ticket.
    Ticket,
    Theme,
    Keymap,
    OnOff,
    /// One of [`CompleteCtx::sort_columns`].
    SortColumn,
    /// `asc` or `desc`.
    SortOrder,
    /// `on`, `off`, or a call waiting for its second confirmation.
    OnOffOrPendingCall,
    /// `yes` or `no`.
    YesNo,
    /// A callback nobody was given yet.
    Callback,
    /// A queue, or an agent at work (not offline).
    QueueOrAgent,
    /// `add` (the `:seats` verb's sub-command).
    SeatsAdd,
    /// `until`.
    Until,
    /// `outsourced` or `part_time`.
    Origin,
    /// One queue.
    Queue,
    /// Free text (a count, a time): nothing to complete.
    Free,
}

/// One command-line verb: its names, its arguments, what it does, and how to parse and complete it.
pub struct Verb {
    pub name: &'static str,
    /// Other names for the same verb (`:q`, `:seats`).
    pub aliases: &'static [&'static str],
    /// The argument shape, for help (`[call] text`).
    pub args: &'static str,
    /// What it does, in a few words.
    pub doc: &'static str,
    /// A line that runs it (without the `:`), checked by a test.
    pub example: &'static str,
    /// What each argument position completes from (position 1 is `complete[0]`).
    pub complete: &'static [Arg],
    /// Turns the words after the verb into what the line asks for.
    pub parse: fn(&[String], &ParseCtx) -> Result<Parsed, String>,
}

impl Verb {
    /// The role running this verb needs, read from what its example asks for (the commands it sends, the action
    /// it takes), so it cannot drift from the check made when it runs.
    pub fn required_role(&self) -> Option<Role> {
        let ctx = ParseCtx { target_call: None, target_ticket: None, sort_columns: Vec::new(), now: None };
        match parse(self.example, &ctx) {
            Ok(Parsed::Send(cmds)) => {
                cmds.iter().map(|c| c.required_role()).reduce(|a, b| if a.covers(b) { a } else { b })
            }
            Ok(Parsed::Ack(_) | Parsed::AckAll) => Action::Ack.required_role(),
            Ok(Parsed::Act(action)) => action.required_role(),
            _ => None,
        }
    }
}

impl std::fmt::Debug for Verb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verb").field("name", &self.name).field("aliases", &self.aliases).finish_non_exhaustive()
    }
}

impl Verb {
    /// The name and then the aliases.
    pub fn names(&self) -> impl Iterator<Item = &'static str> {
        std::iter::once(self.name).chain(self.aliases.iter().copied())
    }
    /// What argument position `index` (1 = the first argument) completes from.
    fn arg(&self, index: usize) -> Option<Arg> {
        match self.complete.get(index.checked_sub(1)?) {
            Some(a) => Some(*a),
            None => self.complete.last().copied().filter(|a| *a == Arg::Alerts),
        }
    }
}

/// States a supervisor may set an agent to.
pub const SETTABLE_STATES: [AgentState; 3] = [AgentState::Available, AgentState::Break, AgentState::Offline];

/// Every verb. Parsing, completion and the help view all read this table, so they cannot drift apart.
pub const VERBS: &[Verb] = &[
    Verb {
        name: "monitor",
        aliases: &["m"],
        args: "[call]",
        doc: "listen to the call silently",
        example: "monitor C-1042",
        complete: &[Arg::LiveCall],
        parse: |a, cx| join(a, cx, "monitor", |call| Command::Monitor { call }),
    },
    Verb {
        name: "whisper",
        aliases: &["w"],
        args: "[call]",
        doc: "speak to the agent only",
        example: "whisper C-1042",
        complete: &[Arg::LiveCall],
        parse: |a, cx| join(a, cx, "whisper", |call| Command::Whisper { call }),
    },
    Verb {
        name: "barge",
        aliases: &["b"],
        args: "[call]",
        doc: "join in: caller and agent hear you",
        example: "barge C-1042",
        complete: &[Arg::LiveCall],
        parse: |a, cx| join(a, cx, "barge", |call| Command::Barge { call }),
    },
    Verb {
        name: "leave",
        aliases: &[],
        args: "[call]",
        doc: "leave the call",
        example: "leave C-1042",
        complete: &[Arg::LiveCall],
        parse: |a, cx| join(a, cx, "leave", |call| Command::Leave { call }),
    },
    Verb {
        name: "say",
        aliases: &[],
        args: "[call] text",
        doc: "say a line into a call you are on",
        example: "say C-1042 \"I'm the supervisor, I can help\"",
        complete: &[Arg::LiveCall],
        parse: parse_say,
    },
    Verb {
        name: "transfer",
        aliases: &[],
        args: "call agent|queue",
        doc: "transfer a call to an agent or a queue",
        example: "transfer C-1042 billing",
        complete: &[Arg::Call, Arg::TransferTarget],
        parse: parse_transfer,
    },
    Verb {
        name: "reassign",
        aliases: &[],
        args: "agent queue,queue",
        doc: "choose the queues an agent serves",
        example: "reassign A-07 billing,vip",
        complete: &[Arg::Agent, Arg::Queues],
        parse: parse_reassign,
    },
    Verb {
        name: "state",
        aliases: &["set"],
        args: "agent available|break|offline",
        doc: "set an agent's state",
        example: "state A-07 break",
        complete: &[Arg::Agent, Arg::AgentState],
        parse: parse_state,
    },
    Verb {
        name: "ack",
        aliases: &[],
        args: "alert...|all",
        doc: "acknowledge alerts",
        example: "ack AL-3 AL-4",
        complete: &[Arg::Alerts],
        parse: parse_ack,
    },
    Verb {
        name: "escalate",
        aliases: &[],
        args: "[ticket] \"note\"",
        doc: "escalate a ticket",
        example: "escalate T-88 \"customer called twice\"",
        complete: &[Arg::Ticket],
        parse: |a, cx| {
            let (ticket, note) = ticket_and_text(a, cx, "escalate", "T-88 \"customer called twice\"")?;
            Ok(Parsed::Send(vec![Command::Escalate { ticket, note }]))
        },
    },
    Verb {
        name: "resolve",
        aliases: &[],
        args: "[ticket] [\"note\"]",
        doc: "resolve a ticket",
        example: "resolve T-88 \"refund issued\"",
        complete: &[Arg::Ticket],
        parse: |a, cx| {
            let (ticket, note) = ticket_and_text(a, cx, "resolve", "T-88 \"refund issued\"")?;
            Ok(Parsed::Send(vec![Command::Resolve { ticket, note }]))
        },
    },
    Verb {
        name: "note",
        aliases: &[],
        args: "[ticket] \"text\"",
        doc: "add a note to a ticket",
        example: "note T-88 \"called back, no answer\"",
        complete: &[Arg::Ticket],
        parse: |a, cx| {
            let (ticket, text) = ticket_and_text(a, cx, "note", "T-88 \"called back\"")?;
            if text.trim().is_empty() {
                return Err("note what? e.g. :note T-88 \"called back, no answer\"".into());
            }
            Ok(Parsed::Send(vec![Command::Note { ticket, text }]))
        },
    },
    Verb {
        name: "call",
        aliases: &["open"],
        args: "call",
        doc: "open a call in the Call view",
        example: "call C-1042",
        complete: &[Arg::Call],
        parse: |a, _| Ok(Parsed::Open(need(a.first(), "call", "a call id", "C-1042")?)),
    },
    Verb {
        name: "ticket",
        aliases: &[],
        args: "[ticket]",
        doc: "open a ticket",
        example: "ticket T-88",
        complete: &[Arg::Ticket],
        parse: |a, cx| match (a.first(), cx.target_ticket) {
            (None, Some(t)) => Ok(Parsed::OpenTicket(t)),
            (arg, _) => Ok(Parsed::OpenTicket(need(arg, "ticket", "a ticket id", "T-88")?)),
        },
    },
    Verb {
        name: "sort",
        aliases: &[],
        args: "column [asc|desc]",
        doc: "sort the list by a column",
        example: "sort wait desc",
        complete: &[Arg::SortColumn, Arg::SortOrder],
        parse: parse_sort,
    },
    Verb {
        name: "filter",
        aliases: &[],
        args: "[text]",
        doc: "filter the calls (no text clears)",
        example: "filter urgent",
        complete: &[],
        parse: |a, _| Ok(Parsed::Filter(a.join(" "))),
    },
    Verb {
        name: "pause",
        aliases: &[],
        args: "",
        doc: "freeze or unfreeze the list",
        example: "pause",
        complete: &[],
        parse: |_, _| Ok(Parsed::Pause),
    },
    Verb {
        name: "messages",
        aliases: &["mes"],
        args: "",
        doc: "show the messages so far",
        example: "messages",
        complete: &[],
        parse: |_, _| Ok(Parsed::Messages),
    },
    Verb {
        name: "kb",
        aliases: &[],
        args: "words",
        doc: "search the knowledge base",
        example: "kb 医保 报销",
        complete: &[],
        parse: |a, _| {
            if a.is_empty() {
                return Err("give the words to look for, e.g. :kb 医保 报销".into());
            }
            Ok(Parsed::Kb(a.join(" ")))
        },
    },
    Verb {
        name: "theme",
        aliases: &[],
        args: "name|path",
        doc: "switch the colours",
        example: "theme light",
        complete: &[Arg::Theme],
        parse: |a, _| match a.first() {
            Some(t) => Ok(Parsed::Theme(t.clone())),
            None => Err("theme which? e.g. :theme light (default, light, high-contrast, mono)".into()),
        },
    },
    Verb {
        name: "keymap",
        aliases: &[],
        args: "name|path",
        doc: "switch the keys",
        example: "keymap vim",
        complete: &[Arg::Keymap],
        parse: |a, _| match a.first() {
            Some(k) => Ok(Parsed::Keymap(k.clone())),
            None => Err("keymap which? e.g. :keymap vim (default, vim)".into()),
        },
    },
    Verb {
        name: "bell",
        aliases: &[],
        args: "on|off",
        doc: "ring on new urgent alerts",
        example: "bell off",
        complete: &[Arg::OnOff],
        parse: |a, _| on_off(a, "bell").map(Parsed::Bell),
    },
    Verb {
        name: "confirm",
        aliases: &[],
        args: "on|off · [call] yes|no",
        doc: "ask first; or settle a 2nd confirmation",
        example: "confirm off",
        complete: &[Arg::OnOffOrPendingCall, Arg::YesNo],
        // `on`/`off` is the console's setting; anything else settles a call's second confirmation.
        parse: |a, cx| match a.first().map(|s| s.to_lowercase()).as_deref() {
            Some("on" | "off") => on_off(a, "confirm").map(Parsed::Confirm),
            _ => parse_confirm(a, cx),
        },
    },
    Verb {
        name: "mouse",
        aliases: &[],
        args: "on|off",
        doc: "use the mouse (off: select text)",
        example: "mouse on",
        complete: &[Arg::OnOff],
        parse: |a, _| on_off(a, "mouse").map(Parsed::Mouse),
    },
    Verb {
        name: "floor",
        aliases: &[],
        args: "",
        doc: "the Floor view",
        example: "floor",
        complete: &[],
        parse: |_, _| Ok(Parsed::Act(Action::ViewFloor)),
    },
    Verb {
        name: "calls",
        aliases: &[],
        args: "",
        doc: "the Calls view",
        example: "calls",
        complete: &[],
        parse: |_, _| Ok(Parsed::Act(Action::ViewCalls)),
    },
    Verb {
        name: "agents",
        aliases: &["seats"],
        args: "[add q n until HH:MM origin]",
        doc: "Agents view; temp seats (admin)",
        example: "agents add enrolment 3 until 12:00 part_time",
        complete: &[Arg::SeatsAdd, Arg::Queue, Arg::Free, Arg::Until, Arg::Free, Arg::Origin],
        parse: parse_seats,
    },
    Verb {
        name: "callback",
        aliases: &["cb"],
        args: "call agent|queue",
        doc: "give a callback to a seat or queue",
        example: "callback C-1042 A-07",
        complete: &[Arg::Callback, Arg::QueueOrAgent],
        parse: parse_callback,
    },
    Verb {
        name: "alerts",
        aliases: &[],
        args: "",
        doc: "the Alerts view",
        example: "alerts",
        complete: &[],
        parse: |_, _| Ok(Parsed::Act(Action::ViewAlerts)),
    },
    Verb {
        name: "tickets",
        aliases: &[],
        args: "",
        doc: "the Tickets view",
        example: "tickets",
        complete: &[],
        parse: |_, _| Ok(Parsed::Act(Action::ViewTickets)),
    },
    Verb {
        name: "callbacks",
        aliases: &[],
        args: "",
        doc: "the Callbacks view",
        example: "callbacks",
        complete: &[],
        parse: |_, _| Ok(Parsed::Act(Action::ViewCallbacks)),
    },
    Verb {
        name: "audit",
        aliases: &[],
        args: "",
        doc: "the Audit view",
        example: "audit",
        complete: &[],
        parse: |_, _| Ok(Parsed::Act(Action::ViewAudit)),
    },
    Verb {
        name: "help",
        aliases: &["?"],
        args: "",
        doc: "keys and commands",
        example: "help",
        complete: &[],
        parse: |_, _| Ok(Parsed::Act(Action::ToggleHelp)),
    },
    Verb {
        name: "quit",
        aliases: &["q", "exit"],
        args: "",
        doc: "quit (asks first if barged in)",
        example: "quit",
        complete: &[],
        parse: |_, _| Ok(Parsed::Act(Action::Quit)),
    },
    Verb {
        name: "quit!",
        aliases: &["q!"],
        args: "",
        doc: "quit at once",
        example: "quit!",
        complete: &[],
        parse: |_, _| Ok(Parsed::Act(Action::ForceQuit)),
    },
];

/// `:confirm [call] yes|no [note]`: the call is typed, or the one the view points at.
fn parse_confirm(args: &[String], ctx: &ParseCtx) -> Result<Parsed, String> {
    const EXAMPLE: &str = "e.g. :confirm C-1042 yes, or :confirm C-1042 no \"voice does not match\"";
    let (call, at) = match args.first().map(|a| a.parse::<CallId>()) {
        Some(Ok(c)) => (c, 1),
        _ => (call_or_target(None, ctx, "confirm")?, 0),
    };
    let accept = match args.get(at).map(|s| s.to_lowercase()).as_deref() {
        Some("yes" | "y" | "accept") => true,
        Some("no" | "n" | "refuse") => false,
        Some(other) => return Err(format!("confirm {call} yes or no, not '{other}': {EXAMPLE}")),
        None => {
            return Err(format!(
                "confirm {call} yes or no (or :confirm on|off to be asked before risky actions)? {EXAMPLE}"
            ));
        }
    };
    let note = rest(args, at + 1);
    let note = (!note.trim().is_empty()).then_some(note);
    Ok(Parsed::Send(vec![Command::Confirm { call, accept, note }]))
}

/// The verb named `name` or one of its aliases, in any case.
pub fn find(name: &str) -> Option<&'static Verb> {
    let name = name.to_lowercase();
    VERBS.iter().find(|v| v.names().any(|n| n == name))
}

/// Splits a line into words; double quotes group words (`"customer called twice"`), `\"` is a quote.
pub fn split(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_quotes = false;
    let mut started = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if in_quotes => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '"' => {
                in_quotes = !in_quotes;
                started = true;
            }
            c if c.is_whitespace() && !in_quotes => {
                if started {
                    words.push(std::mem::take(&mut cur));
                    started = false;
                }
            }
            c => {
                cur.push(c);
                started = true;
            }
        }
    }
    if in_quotes {
        return Err("a quote is not closed: end the text with \"".to_string());
    }
    if started {
        words.push(cur);
    }
    Ok(words)
}

/// Parses one command line (with or without the `:`).
pub fn parse(text: &str, ctx: &ParseCtx) -> Result<Parsed, String> {
    let words = split(text.trim().trim_start_matches(':'))?;
    let Some((verb, args)) = words.split_first() else { return Ok(Parsed::Nothing) };
    match find(verb) {
        Some(v) => (v.parse)(args, ctx),
        None => {
            let typed = verb.to_lowercase();
            let hint = did_you_mean(&typed, VERBS.iter().flat_map(Verb::names))
                .map(|v| format!(" (did you mean :{v}?)"))
                .unwrap_or_default();
            Err(format!("unknown command :{verb}{hint}; ? lists the commands"))
        }
    }
}

fn need<T: std::str::FromStr<Err = IdParseError>>(
    arg: Option<&String>,
    verb: &str,
    what: &str,
    example: &str,
) -> Result<T, String> {
    let Some(a) = arg else { return Err(format!("{verb} needs {what}, e.g. :{verb} {example}")) };
    a.parse::<T>().map_err(|e| e.to_string())
}

fn rest(args: &[String], from: usize) -> String {
    args.get(from..).map(|a| a.join(" ")).unwrap_or_default()
}

fn call_or_target(arg: Option<&String>, ctx: &ParseCtx, verb: &str) -> Result<CallId, String> {
    match arg {
        Some(a) => a.parse::<CallId>().map_err(|e| e.to_string()),
        None => ctx.target_call.ok_or_else(|| format!("{verb} which call? e.g. :{verb} C-1042")),
    }
}

fn join(args: &[String], ctx: &ParseCtx, verb: &str, cmd: fn(CallId) -> Command) -> Result<Parsed, String> {
    Ok(Parsed::Send(vec![cmd(call_or_target(args.first(), ctx, verb)?)]))
}

/// The ticket a ticket verb is about and the text after it: a typed ticket id, else the selected ticket (when the
/// first word does not look like a mistyped id).
fn ticket_and_text(args: &[String], ctx: &ParseCtx, verb: &str, example: &str) -> Result<(TicketId, String), String> {
    let first = args.first();
    if let Some(Ok(t)) = first.map(|a| a.parse::<TicketId>()) {
        return Ok((t, rest(args, 1)));
    }
    let looks_like_id = first.is_some_and(|a| a.to_lowercase().starts_with("t-"));
    match ctx.target_ticket {
        Some(t) if !looks_like_id => Ok((t, rest(args, 0))),
        _ => {
            let ticket: TicketId = need(first, verb, "a ticket", example)?;
            Ok((ticket, rest(args, 1)))
        }
    }
}

fn on_off(args: &[String], verb: &str) -> Result<bool, String> {
    match args.first().map(|s| s.to_lowercase()).as_deref() {
        Some("on") => Ok(true),
        Some("off") => Ok(false),
        _ => Err(format!("{verb} on or {verb} off?")),
    }
}

fn parse_say(args: &[String], ctx: &ParseCtx) -> Result<Parsed, String> {
    let (call, text) = match args.first().map(|a| a.parse::<CallId>()) {
        Some(Ok(c)) if args.len() > 1 => (c, rest(args, 1)),
        _ => (call_or_target(None, ctx, "say")?, rest(args, 0)),
    };
    if text.trim().is_empty() {
        return Err("say what? e.g. :say C-1042 \"I'm the supervisor, I can help\"".into());
    }
    Ok(Parsed::Send(vec![Command::Say { call, text }]))
}

fn parse_transfer(args: &[String], _: &ParseCtx) -> Result<Parsed, String> {
    let call: CallId = need(args.first(), "transfer", "a call and a target", "C-1042 billing")?;
    let Some(target) = args.get(1) else {
        return Err("transfer to where? e.g. :transfer C-1042 billing or :transfer C-1042 A-07".into());
    };
    let cmd = match target.parse::<AgentId>() {
        Ok(agent) if target.to_uppercase().starts_with('A') => {
            Command::Transfer { call, to_agent: Some(agent), to_queue: None }
        }
        _ => Command::Transfer { call, to_agent: None, to_queue: Some(QueueId::new(target)) },
    };
    Ok(Parsed::Send(vec![cmd]))
}

fn parse_callback(args: &[String], _: &ParseCtx) -> Result<Parsed, String> {
    let call: CallId = need(args.first(), "callback", "a callback and a seat or queue", "C-1042 A-07")?;
    let Some(target) = args.get(1) else {
        return Err(format!(
            "give the callback of {call} to whom? e.g. :callback {call} A-07 or :callback {call} billing"
        ));
    };
    if args.len() > 2 {
        return Err(format!("callback takes one seat or queue, e.g. :callback {call} {target}"));
    }
    let cmd = match target.parse::<AgentId>() {
        Ok(agent) if target.to_uppercase().starts_with('A') => {
            Command::AssignCallback { call, to_agent: Some(agent), to_queue: None }
        }
        _ => Command::AssignCallback { call, to_agent: None, to_queue: Some(QueueId::new(target)) },
    };
    Ok(Parsed::Send(vec![cmd]))
}

/// `:seats` alone opens the Agents view; `:seats add QUEUE COUNT until HH:MM outsourced|part_time [skill,skill]`
/// adds temporary seats until that time of the floor's day.
fn parse_seats(args: &[String], ctx: &ParseCtx) -> Result<Parsed, String> {
    const EXAMPLE: &str = ":seats add enrolment 3 until 12:00 part_time";
    let Some(sub) = args.first() else { return Ok(Parsed::Act(Action::ViewAgents)) };
    if !sub.eq_ignore_ascii_case("add") {
        return Err(format!("seats {sub}? the seats command adds temporary seats, e.g. {EXAMPLE}"));
    }
    let (Some(queue), Some(count)) = (args.get(1), args.get(2)) else {
        return Err(format!("seats add needs a queue and a count, e.g. {EXAMPLE}"));
    };
    let count: u32 = count
        .parse()
        .map_err(|_| format!("'{count}' is not a number of seats: give a count from 1 to {ADD_SEATS_MAX}"))?;
    if !args.get(3).is_some_and(|w| w.eq_ignore_ascii_case("until")) || args.get(4).is_none() {
        return Err(format!("until when? e.g. {EXAMPLE}"));
    }
    let hhmm = &args[4];
    let now = ctx.now.ok_or("there is no floor yet: wait for the engine, then add seats")?;
    let until = floor_time_of_day(now, hhmm)
        .ok_or_else(|| format!("'{hhmm}' is not a time of day like 12:00 (floor time is {})", now.format("%H:%M")))?;
    if until <= now {
        return Err(format!("{hhmm} has passed (floor time is {}): give a later time", now.format("%H:%M")));
    }
    let names: Vec<&str> = SeatOrigin::ALL.iter().map(|o| o.as_str()).collect();
    let origin = args
        .get(5)
        .and_then(|o| SeatOrigin::ALL.into_iter().find(|x| x.as_str() == o.to_lowercase().replace('-', "_")))
        .ok_or_else(|| format!("where do the seats come from? end with {}", names.join(" or ")))?;
    let skills: Vec<String> = args
        .get(6..)
        .unwrap_or_default()
        .iter()
        .flat_map(|a| a.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    Ok(Parsed::Send(vec![Command::AddSeats { queue: QueueId::new(queue), count, skills, until, origin }]))
}

/// `HH:MM` on the floor's day of `now` (`24:00` is the day's end).
fn floor_time_of_day(now: Time, hhmm: &str) -> Option<Time> {
    let (h, m) = hhmm.split_once(':')?;
    let digits = |t: &str, lens: &[usize]| lens.contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(h, &[1, 2]) || !digits(m, &[2]) {
        return None;
    }
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    if m >= 60 || h * 60 + m > 24 * 60 {
        return None;
    }
    let midnight = now.date_naive().and_hms_opt(0, 0, 0)?.and_utc();
    Some(midnight + chrono::Duration::minutes(h * 60 + m))
}

fn parse_reassign(args: &[String], _: &ParseCtx) -> Result<Parsed, String> {
    let agent: AgentId = need(args.first(), "reassign", "an agent and queues", "A-07 billing,vip")?;
    let queues: Vec<QueueId> = args
        .get(1..)
        .unwrap_or_default()
        .iter()
        .flat_map(|a| a.split(','))
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(QueueId::new)
        .collect();
    if queues.is_empty() {
        return Err("reassign to which queues? e.g. :reassign A-07 billing,vip".into());
    }
    Ok(Parsed::Send(vec![Command::Reassign { agent, queues }]))
}

fn parse_state(args: &[String], _: &ParseCtx) -> Result<Parsed, String> {
    let agent: AgentId = need(args.first(), "state", "an agent and a state", "A-07 break")?;
    let names: Vec<&str> = SETTABLE_STATES.iter().map(|s| s.as_str()).collect();
    let state = args
        .get(1)
        .and_then(|s| SETTABLE_STATES.iter().find(|st| st.as_str() == s.to_lowercase()))
        .copied()
        .ok_or_else(|| format!("state {agent} to what? choose {}", names.join(", ")))?;
    Ok(Parsed::Send(vec![Command::SetAgentState { agent, state }]))
}

fn parse_ack(args: &[String], _: &ParseCtx) -> Result<Parsed, String> {
    if args.is_empty() {
        return Err("ack which alert? e.g. :ack AL-3, or :ack all".into());
    }
    if args.iter().any(|a| a.eq_ignore_ascii_case("all")) {
        return Ok(Parsed::AckAll);
    }
    let mut ids: Vec<AlertId> = Vec::new();
    for a in args {
        let id = a.parse::<AlertId>().map_err(|e| e.to_string())?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(Parsed::Ack(ids))
}

fn parse_sort(args: &[String], ctx: &ParseCtx) -> Result<Parsed, String> {
    if ctx.sort_columns.is_empty() {
        return Err("this list does not sort".into());
    }
    let choose = ctx.sort_columns.join(", ");
    let Some(column) = args.first().map(|c| c.to_lowercase()) else {
        return Err(format!("sort by which column? choose {choose}"));
    };
    if !ctx.sort_columns.contains(&column.as_str()) {
        return Err(format!("this list does not sort by '{column}': choose {choose}"));
    }
    let reverse = match args.get(1).map(|o| o.to_lowercase()).as_deref() {
        None => None,
        Some("asc") => Some(false),
        Some("desc") => Some(true),
        Some(other) => return Err(format!("sort {column} asc or desc, not '{other}'?")),
    };
    if args.len() > 2 {
        return Err(format!("sort takes a column and an order, e.g. :sort {column} desc"));
    }
    Ok(Parsed::Sort { column, reverse })
}

// -------------------------------------------------------------------------------------------------------------
// Completion.

/// The word being completed and what fits it.
struct Parts {
    /// The line before the word (or before the list item being completed).
    head: String,
    /// What was typed of the word (or list item) so far.
    item: String,
    /// The candidates that start with `item`, in the order the floor lists them.
    matches: Vec<String>,
    /// A completed word ends the argument (a space follows) unless it is an item of a comma list.
    end: &'static str,
}

fn parts(text: &str, ctx: &CompleteCtx) -> Parts {
    let words: Vec<&str> = text.split_whitespace().collect();
    let (index, word) = match words.last() {
        Some(w) if !text.ends_with(char::is_whitespace) => (words.len() - 1, *w),
        _ => (words.len(), ""),
    };
    let arg = if index == 0 { None } else { words.first().and_then(|v| find(v)).and_then(|v| v.arg(index)) };
    // For comma lists (reassign's queues), complete the last item.
    let (list_head, item) = match word.rfind(',') {
        Some(i) if arg == Some(Arg::Queues) => word.split_at(i + 1),
        _ => ("", word),
    };
    let mut candidates: Vec<String> = match arg {
        _ if index == 0 => VERBS.iter().flat_map(Verb::names).map(String::from).collect(),
        Some(a) => candidates(a, ctx),
        None => Vec::new(),
    };
    // What the line names already is not offered again.
    match arg {
        Some(Arg::Queues) => candidates.retain(|c| !list_head.split(',').any(|q| q.eq_ignore_ascii_case(c))),
        Some(Arg::Alerts) => candidates.retain(|c| !words[1..index].iter().any(|w| w.eq_ignore_ascii_case(c))),
        _ => {}
    }
    let lower = item.to_lowercase();
    let mut matches: Vec<String> = candidates.into_iter().filter(|c| c.to_lowercase().starts_with(&lower)).collect();
    matches.dedup();
    let mut head = words[..index].join(" ");
    if index > 0 {
        head.push(' ');
    }
    head.push_str(list_head);
    let end = if arg == Some(Arg::Queues) { "" } else { " " };
    Parts { head, item: item.to_string(), matches, end }
}

/// Completes the last word of a command line. Returns the new line and the candidates (listed when more than one
/// fits). A completed word gets a space after it, except an item of a comma list (`:reassign A-07 billing`), so a
/// `,` can continue the list.
pub fn complete(text: &str, ctx: &CompleteCtx) -> (String, Vec<String>) {
    let p = parts(text, ctx);
    match p.matches.as_slice() {
        [] => (text.to_string(), Vec::new()),
        [one] => (format!("{}{one}{}", p.head, p.end), Vec::new()),
        many => {
            let prefix = common_prefix(many);
            let item = if prefix.chars().count() > p.item.chars().count() { prefix } else { p.item.clone() };
            (format!("{}{item}", p.head), p.matches)
        }
    }
}

fn common_prefix(words: &[String]) -> String {
    let Some(first) = words.first() else { return String::new() };
    let mut len = first.chars().count();
    for w in &words[1..] {
        len = first.chars().zip(w.chars()).take_while(|(a, b)| a == b).count().min(len);
    }
    first.chars().take(len).collect()
}

fn candidates(arg: Arg, ctx: &CompleteCtx) -> Vec<String> {
    let floor = ctx.floor;
    let queues = || floor.queues.iter().map(|q| q.id.to_string()).collect::<Vec<_>>();
    let strings = |names: &[&str]| names.iter().map(|n| n.to_string()).collect();
    match arg {
        Arg::Call => floor.calls.keys().map(|c| c.to_string()).collect(),
        Arg::LiveCall => floor
            .calls
            .values()
            .filter(|c| matches!(c.state, CallState::Connected | CallState::Held))
            .map(|c| c.id.to_string())
            .collect(),
        Arg::Agent => floor.agents.keys().map(|a| a.to_string()).collect(),
        Arg::Queues => queues(),
        Arg::TransferTarget => {
            let mut v = queues();
            v.extend(floor.agents.values().filter(|a| a.state == AgentState::Available).map(|a| a.id.to_string()));
            v
        }
        Arg::AgentState => SETTABLE_STATES.iter().map(|s| s.as_str().to_string()).collect(),
        Arg::Alerts => {
            let mut v = vec!["all".to_string()];
            v.extend(floor.open_alerts().map(|a| a.id.to_string()));
            v
        }
        Arg::Ticket => {
            floor.tickets.values().filter(|t| t.status != TicketStatus::Resolved).map(|t| t.id.to_string()).collect()
        }
        Arg::Theme => super::theme::BUILTIN.iter().map(|(n, _)| n.to_string()).collect(),
        Arg::Keymap => super::keymap::BUILTIN.iter().map(|(n, _)| n.to_string()).collect(),
        Arg::OnOff => strings(&["on", "off"]),
        Arg::SortColumn => strings(&ctx.sort_columns),
        Arg::SortOrder => strings(&["asc", "desc"]),
        Arg::OnOffOrPendingCall => ["on", "off"]
            .into_iter()
            .map(str::to_string)
            .chain(
                floor
                    .calls
                    .values()
                    .filter(|c| c.confirmation.as_ref().is_some_and(|k| k.is_pending()))
                    .map(|c| c.id.to_string()),
            )
            .collect(),
        Arg::YesNo => strings(&["yes", "no"]),
        Arg::Callback => {
            floor.callbacks.iter().filter(|c| c.status == CallbackStatus::Waiting).map(|c| c.call.to_string()).collect()
        }
        Arg::QueueOrAgent => {
            let mut v = queues();
            v.extend(floor.agents.values().filter(|a| a.state != AgentState::Offline).map(|a| a.id.to_string()));
            v
        }
        Arg::SeatsAdd => strings(&["add"]),
        Arg::Until => strings(&["until"]),
        Arg::Origin => SeatOrigin::ALL.iter().map(|o| o.as_str().to_string()).collect(),
        Arg::Queue => queues(),
        Arg::Free => Vec::new(),
    }
}

/// Tab completion with cycling: the first Tab completes as far as every candidate agrees and lists them; each
/// further Tab (nothing typed in between) puts the next candidate in place of the word, BackTab the previous.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Completion {
    cycle: Option<Cycle>,
}

#[derive(Debug, Clone, PartialEq)]
struct Cycle {
    /// The line before the word being cycled.
    head: String,
    candidates: Vec<String>,
    /// The candidate in place, none before the second Tab.
    index: Option<usize>,
    /// The line as the last Tab left it: a different line means the user typed, and a Tab starts afresh.
    shown: String,
}

impl Completion {
    /// One Tab (`forward`) or BackTab on `text`. Returns the new line, the candidates to list and which of them is
    /// in place (none on the first Tab).
    pub fn tab(&mut self, text: &str, ctx: &CompleteCtx, forward: bool) -> (String, Vec<String>, Option<usize>) {
        if let Some(c) = self.cycle.as_mut().filter(|c| c.shown == text && !c.candidates.is_empty()) {
            let n = c.candidates.len();
            let i = match (c.index, forward) {
                (None, true) => 0,
                (None, false) => n - 1,
                (Some(i), true) => (i + 1) % n,
                (Some(i), false) => (i + n - 1) % n,
            };
            c.index = Some(i);
            c.shown = format!("{}{}", c.head, c.candidates[i]);
            return (c.shown.clone(), c.candidates.clone(), Some(i));
        }
        let head = parts(text, ctx).head;
        let (line, candidates) = complete(text, ctx);
        self.cycle = (candidates.len() > 1).then(|| Cycle {
            head,
            candidates: candidates.clone(),
            index: None,
            shown: line.clone(),
        });
        (line, candidates, None)
    }

    /// The candidate in place while cycling.
    pub fn highlighted(&self) -> Option<usize> {
        self.cycle.as_ref().and_then(|c| c.index)
    }

    /// Forgets the cycle (the user typed, or the line closed).
    pub fn reset(&mut self) {
        self.cycle = None;
    }
}

// -------------------------------------------------------------------------------------------------------------
// History.

/// Lines kept in the history.
pub const HISTORY_MAX: usize = 200;

/// The command lines run so far, recalled with Up and Down as in a shell.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    lines: VecDeque<String>,
    /// The line recalled, none while editing the draft.
    pos: Option<usize>,
    /// What was typed before the first Up, given back by Down past the newest line.
    draft: String,
}

impl History {
    /// Records a line that ran (not an empty one, nor a repeat of the newest) and stops recalling.
    pub fn push(&mut self, line: &str) {
        let line = line.trim();
        if !line.is_empty() && self.lines.back().is_none_or(|l| l != line) {
            self.lines.push_back(line.to_string());
            while self.lines.len() > HISTORY_MAX {
                self.lines.pop_front();
            }
        }
        self.reset();
    }

    /// The line before the one recalled (Up). `current` is the text in the line now: kept as the draft when
    /// recalling starts. None at the oldest line or with no history.
    pub fn prev(&mut self, current: &str) -> Option<String> {
        let pos = match self.pos {
            None if self.lines.is_empty() => return None,
            None => {
                self.draft = current.to_string();
                self.lines.len() - 1
            }
            Some(0) => return None,
            Some(p) => p - 1,
        };
        self.pos = Some(pos);
        self.lines.get(pos).cloned()
    }

    /// The line after the one recalled (Down); past the newest, the draft. None when not recalling.
    #[expect(clippy::should_implement_trait, reason = "a shell's Up/Down pair, not an iterator: it walks both ways")]
    pub fn next(&mut self) -> Option<String> {
        let pos = self.pos?;
        if pos + 1 < self.lines.len() {
            self.pos = Some(pos + 1);
            return self.lines.get(pos + 1).cloned();
        }
        self.pos = None;
        Some(std::mem::take(&mut self.draft))
    }

    /// Stops recalling and forgets the draft.
    pub fn reset(&mut self) {
        self.pos = None;
        self.draft.clear();
    }

    /// The lines, oldest first.
    pub fn lines(&self) -> impl Iterator<Item = &str> {
        self.lines.iter().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> ParseCtx {
        ParseCtx {
            target_call: None,
            target_ticket: None,
            sort_columns: vec!["wait", "sentiment", "priority"],
            now: chrono::DateTime::from_timestamp(1_767_603_600, 0), // 2026-01-05 09:00 UTC
        }
    }

    fn floor_with_queues(names: &[&str]) -> Floor {
        let mut floor = Floor::default();
        for n in names {
            floor.queues.push(Queue {
                id: QueueId::new(*n),
                name: n.to_string(),
                skills: Vec::new(),
                priority: 0,
                sla: SlaTarget { percent: 0.8, seconds: 20 },
                waiting: Default::default(),
            });
        }
        floor
    }

    fn cctx(floor: &Floor) -> CompleteCtx<'_> {
        CompleteCtx { floor, sort_columns: vec!["wait", "sentiment", "priority"] }
    }

    #[test]
    fn words_split_with_quotes() {
        assert_eq!(
            split(r#"escalate T-88 "customer called twice""#),
            Ok(vec!["escalate".to_string(), "T-88".to_string(), "customer called twice".to_string()])
        );
        assert_eq!(split(r#"say "he said \"no\"""#), Ok(vec!["say".to_string(), "he said \"no\"".to_string()]));
        assert!(split("note T-1 \"open").is_err());
    }

    #[test]
    fn names_are_unique_and_every_verb_runs_its_example() {
        let mut seen = std::collections::HashSet::new();
        for v in VERBS {
            for n in v.names() {
                assert!(seen.insert(n), ":{n} names two verbs");
                assert_eq!(n, n.to_lowercase(), "names are lower case (lookup lower-cases what is typed)");
            }
            assert!(!v.doc.is_empty(), ":{} has a doc line", v.name);
            assert_eq!(v.example.split_whitespace().next(), Some(v.name), "the example of :{} runs it", v.name);
            let parsed = parse(v.example, &ctx());
            assert!(matches!(parsed, Ok(ref p) if *p != Parsed::Nothing), ":{} → {parsed:?}", v.example);
        }
    }

    #[test]
    fn every_alias_parses_as_its_verb_in_any_case() {
        for v in VERBS {
            let args = v.example.strip_prefix(v.name).unwrap_or_default();
            let want = parse(v.example, &ctx());
            for alias in v.aliases {
                assert_eq!(parse(&format!("{alias}{args}"), &ctx()), want, ":{alias} is :{}", v.name);
                let upper = alias.to_uppercase();
                assert_eq!(parse(&format!(":{upper}{args}"), &ctx()), want, ":{upper} is :{}", v.name);
            }
        }
        assert_eq!(parse("mes", &ctx()), Ok(Parsed::Messages));
        assert_eq!(parse("exit", &ctx()), Ok(Parsed::Act(Action::Quit)));
        assert_eq!(parse("q!", &ctx()), Ok(Parsed::Act(Action::ForceQuit)));
        assert_eq!(parse("seats", &ctx()), Ok(Parsed::Act(Action::ViewAgents)));
        assert_eq!(parse("open C-5", &ctx()), Ok(Parsed::Open(CallId(5))));
        let set = parse("set a-7 break", &ctx());
        assert_eq!(set, Ok(Parsed::Send(vec![Command::SetAgentState { agent: AgentId(7), state: AgentState::Break }])));
    }

    #[test]
    fn unknown_verbs_get_a_hint() {
        let err = parse("barg C-1", &ctx()).err().unwrap_or_default();
        assert_eq!(err, "unknown command :barg (did you mean :barge?); ? lists the commands");
        let err = parse("exti", &ctx()).err().unwrap_or_default();
        assert!(err.contains("did you mean :exit?"), "{err}");
    }

    #[test]
    fn new_verbs() {
        assert_eq!(parse("ack AL-3 al-4 AL-3", &ctx()), Ok(Parsed::Ack(vec![AlertId(3), AlertId(4)])));
        assert_eq!(parse("ack AL-3 all", &ctx()), Ok(Parsed::AckAll));
        assert!(parse("ack AL-3 X", &ctx()).is_err());
        assert_eq!(parse("pause", &ctx()), Ok(Parsed::Pause));
        assert_eq!(parse("ticket t-88", &ctx()), Ok(Parsed::OpenTicket(TicketId(88))));
        let selected = ParseCtx { target_ticket: Some(TicketId(9)), ..ctx() };
        assert_eq!(parse("ticket", &selected), Ok(Parsed::OpenTicket(TicketId(9))));
        assert!(parse("ticket", &ctx()).is_err());
        assert_eq!(
            parse("resolve \"refund issued\"", &selected),
            Ok(Parsed::Send(vec![Command::Resolve { ticket: TicketId(9), note: "refund issued".into() }]))
        );
        // A mistyped id is an error, not a note on the selected ticket.
        assert!(parse("resolve T-8x done", &selected).is_err());
        assert_eq!(parse("confirm OFF", &ctx()), Ok(Parsed::Confirm(false)));
        assert_eq!(parse("mouse on", &ctx()), Ok(Parsed::Mouse(true)));
        assert_eq!(parse("mouse", &ctx()), Err("mouse on or mouse off?".to_string()));
        assert_eq!(parse("filter  urgent ", &ctx()), Ok(Parsed::Filter("urgent".into())));
        assert_eq!(parse("filter", &ctx()), Ok(Parsed::Filter(String::new())));
    }

    #[test]
    fn sort_takes_a_column_of_the_current_list() {
        assert_eq!(parse("sort Wait", &ctx()), Ok(Parsed::Sort { column: "wait".into(), reverse: None }));
        assert_eq!(
            parse("sort sentiment asc", &ctx()),
            Ok(Parsed::Sort { column: "sentiment".into(), reverse: Some(false) })
        );
        assert_eq!(
            parse("sort priority DESC", &ctx()),
            Ok(Parsed::Sort { column: "priority".into(), reverse: Some(true) })
        );
        assert_eq!(parse("sort", &ctx()), Err("sort by which column? choose wait, sentiment, priority".to_string()));
        assert_eq!(
            parse("sort name", &ctx()),
            Err("this list does not sort by 'name': choose wait, sentiment, priority".to_string())
        );
        assert!(parse("sort wait up", &ctx()).is_err_and(|e| e.contains("asc or desc")));
        let none = ParseCtx { sort_columns: Vec::new(), ..ctx() };
        assert_eq!(parse("sort wait", &none), Err("this list does not sort".to_string()));
        let floor = Floor::default();
        let cx = CompleteCtx { floor: &floor, sort_columns: vec!["state", "name"] };
        assert_eq!(complete("sort n", &cx), ("sort name ".to_string(), Vec::new()));
        assert_eq!(complete("sort name d", &cx), ("sort name desc ".to_string(), Vec::new()));
    }

    #[test]
    fn verbs_and_aliases_complete() {
        let floor = Floor::default();
        let cx = cctx(&floor);
        for (typed, want) in [("exi", "exit "), ("sea", "seats "), ("ope", "open "), ("set", "set "), ("q!", "q! ")] {
            assert_eq!(complete(typed, &cx), (want.to_string(), Vec::new()), "{typed}");
        }
        assert_eq!(complete("BAR", &cx), ("barge ".to_string(), Vec::new()));
        let (line, listed) = complete("q", &cx);
        assert_eq!((line.as_str(), listed), ("q", vec!["quit".into(), "q".into(), "quit!".into(), "q!".into()]));
    }

    #[test]
    fn a_queue_list_item_completes_without_a_space() {
        let floor = floor_with_queues(&["appointments", "admin", "results"]);
        let cx = cctx(&floor);
        assert_eq!(complete("reassign A-07 app", &cx), ("reassign A-07 appointments".to_string(), Vec::new()));
        // The list continues with a comma; queues already listed are not offered again.
        let (line, listed) = complete("reassign A-07 appointments,a", &cx);
        assert_eq!((line.as_str(), listed), ("reassign A-07 appointments,admin", Vec::new()));
        let (line, listed) = complete("reassign A-07 results,", &cx);
        assert_eq!((line.as_str(), listed), ("reassign A-07 results,a", vec!["appointments".into(), "admin".into()]));
        // Elsewhere a finished word ends with a space.
        assert_eq!(complete("transfer C-1 res", &cx), ("transfer C-1 results ".to_string(), Vec::new()));
    }

    #[test]
    fn tab_cycles_forward_and_back_until_something_is_typed() {
        let floor = floor_with_queues(&["appointments", "admin", "results"]);
        let cx = cctx(&floor);
        let all = vec!["appointments".to_string(), "admin".to_string()];
        let mut c = Completion::default();
        let first = c.tab("reassign A-07 a", &cx, true);
        assert_eq!(first, ("reassign A-07 a".to_string(), all.clone(), None));
        let second = c.tab(&first.0, &cx, true);
        assert_eq!(second, ("reassign A-07 appointments".to_string(), all.clone(), Some(0)));
        let third = c.tab(&second.0, &cx, true);
        assert_eq!(third, ("reassign A-07 admin".to_string(), all.clone(), Some(1)));
        let wrapped = c.tab(&third.0, &cx, true);
        assert_eq!(wrapped.2, Some(0), "after the last comes the first");
        let back = c.tab(&wrapped.0, &cx, false);
        assert_eq!(back, ("reassign A-07 admin".to_string(), all.clone(), Some(1)));
        assert_eq!(c.highlighted(), Some(1));
        // Typed text starts a fresh completion.
        let fresh = c.tab("reassign A-07 admin,", &cx, true);
        assert_eq!(fresh.0, "reassign A-07 admin,");
        assert_eq!(fresh.2, None);
        // BackTab first goes to the last candidate; reset forgets the cycle.
        let mut c = Completion::default();
        let first = c.tab("reassign A-07 a", &cx, false);
        assert_eq!(c.tab(&first.0, &cx, false).0, "reassign A-07 admin");
        c.reset();
        assert_eq!(c.highlighted(), None);
        assert_eq!(c.tab("reassign A-07 admin", &cx, true), ("reassign A-07 admin".to_string(), Vec::new(), None));
    }

    #[test]
    fn history_recalls_like_a_shell() {
        let mut h = History::default();
        assert_eq!(h.prev("draft"), None, "nothing to recall");
        assert_eq!(h.next(), None);
        for line in ["barge C-1", "", "  ", "ack all", "ack all", "calls"] {
            h.push(line);
        }
        assert_eq!(h.lines().collect::<Vec<_>>(), ["barge C-1", "ack all", "calls"], "no empties, no repeats");
        assert_eq!(h.prev("tra").as_deref(), Some("calls"));
        assert_eq!(h.prev("calls").as_deref(), Some("ack all"));
        assert_eq!(h.prev("ack all").as_deref(), Some("barge C-1"));
        assert_eq!(h.prev("barge C-1"), None, "the oldest line stays");
        assert_eq!(h.next().as_deref(), Some("ack all"));
        assert_eq!(h.next().as_deref(), Some("calls"));
        assert_eq!(h.next().as_deref(), Some("tra"), "past the newest: the draft back");
        assert_eq!(h.next(), None);
        // A repeat of an older line is kept; reset forgets the draft.
        h.push("barge C-1");
        assert_eq!(h.prev("x").as_deref(), Some("barge C-1"));
        h.reset();
        assert_eq!(h.next(), None);
        for i in 0..HISTORY_MAX + 5 {
            h.push(&format!("call C-{i}"));
        }
        assert_eq!(h.lines().count(), HISTORY_MAX);
        assert_eq!(h.lines().next(), Some("call C-5"), "the oldest go first");
    }

    #[test]
    fn seats_add_reads_a_time_of_the_floors_day_and_callback_reads_a_seat_or_a_queue() {
        let at = |h: u32, m: u32| {
            ctx().now.map(|n| n.date_naive().and_hms_opt(h, m, 0).unwrap_or_default().and_utc()).unwrap_or_default()
        };
        let add = parse("seats add enrolment 3 until 12:00 part_time registry,it", &ctx());
        assert_eq!(
            add,
            Ok(Parsed::Send(vec![Command::AddSeats {
                queue: QueueId::new("enrolment"),
                count: 3,
                skills: vec!["registry".into(), "it".into()],
                until: at(12, 0),
                origin: SeatOrigin::PartTime,
            }]))
        );
        let err = |line: &str| parse(line, &ctx()).err().unwrap_or_default();
        assert!(err("seats add enrolment 3 until 08:30 outsourced").contains("has passed"));
        assert!(err("seats add enrolment three until 12:00 outsourced").contains("not a number of seats"));
        assert!(err("seats add enrolment 3 until 25:00 outsourced").contains("not a time of day"));
        assert!(err("seats add enrolment 3 at 12:00 outsourced").contains("until when?"));
        assert!(err("seats add enrolment 3 until 12:00 contractor").contains("outsourced or part_time"));
        assert!(err("seats remove enrolment").contains("adds temporary seats"));
        let none = ParseCtx { now: None, ..ctx() };
        assert!(parse("seats add enrolment 3 until 12:00 outsourced", &none).is_err_and(|e| e.contains("no floor")));
        let cb = |line: &str| parse(line, &ctx());
        assert_eq!(
            cb("callback C-12 A-7"),
            Ok(Parsed::Send(vec![Command::AssignCallback {
                call: CallId(12),
                to_agent: Some(AgentId(7)),
                to_queue: None
            }]))
        );
        assert_eq!(
            cb("cb C-12 billing"),
            Ok(Parsed::Send(vec![Command::AssignCallback {
                call: CallId(12),
                to_agent: None,
                to_queue: Some(QueueId::new("billing"))
            }]))
        );
        assert!(cb("callback C-12").is_err_and(|e| e.contains("to whom?")));
    }
}
