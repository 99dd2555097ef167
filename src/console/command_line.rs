//! The `:` command line, k9s style: parsing a typed line into commands or UI actions, and completing verbs and
//! ids with Tab.

use super::action::Action;
use super::app::{App, SETTABLE_STATES};
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
    Theme(String),
    Keymap(String),
    Bell(bool),
    /// Sort the calls by a column.
    Sort(&'static str),
    Filter(String),
    /// Open a call in the Call view.
    Open(CallId),
    Nothing,
}

/// Verbs with their argument shapes, for completion and the help view.
pub const VERBS: &[(&str, &str)] = &[
    ("monitor", "[call]"),
    ("whisper", "[call]"),
    ("barge", "[call]"),
    ("leave", "[call]"),
    ("say", "[call] text"),
    ("transfer", "call agent|queue"),
    ("reassign", "agent queue,queue"),
    ("state", "agent available|break|offline"),
    ("ack", "alert...|all"),
    ("escalate", "ticket \"note\""),
    ("resolve", "ticket [\"note\"]"),
    ("note", "ticket \"text\""),
    ("call", "call"),
    ("sort", "wait|sentiment|priority"),
    ("filter", "[text]"),
    ("theme", "name|path"),
    ("keymap", "name|path"),
    ("bell", "on|off"),
    ("floor", ""),
    ("calls", ""),
    ("agents", ""),
    ("alerts", ""),
    ("tickets", ""),
    ("callbacks", ""),
    ("audit", ""),
    ("help", ""),
    ("quit", ""),
    ("q", ""),
];

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

fn need<T: std::str::FromStr<Err = IdParseError>>(
    arg: Option<&String>,
    verb: &str,
    what: &str,
    example: &str,
) -> Result<T, String> {
    let Some(a) = arg else { return Err(format!("{verb} needs {what}, e.g. :{verb} {example}")) };
    a.parse::<T>().map_err(|e| e.to_string())
}

/// Parses one command line (without the `:`). `app` gives the selected call and ticket for verbs whose id is
/// optional.
pub fn parse(text: &str, app: &App) -> Result<Parsed, String> {
    let words = split(text.trim().trim_start_matches(':'))?;
    let Some((verb, args)) = words.split_first() else { return Ok(Parsed::Nothing) };
    let verb_l = verb.to_lowercase();
    let call_or_target = |arg: Option<&String>| -> Result<CallId, String> {
        match arg {
            Some(a) => a.parse::<CallId>().map_err(|e| e.to_string()),
            None => app.target_call().ok_or_else(|| format!("{verb_l} which call? e.g. :{verb_l} C-1042")),
        }
    };
    let rest = |from: usize| args.get(from..).map(|a| a.join(" ")).unwrap_or_default();
    let parsed = match verb_l.as_str() {
        "q" | "quit" | "exit" => Parsed::Act(Action::Quit),
        "q!" | "quit!" => Parsed::Act(Action::ForceQuit),
        "help" | "?" => Parsed::Act(Action::ToggleHelp),
        "floor" => Parsed::Act(Action::ViewFloor),
        "calls" => Parsed::Act(Action::ViewCalls),
        "agents" | "seats" => Parsed::Act(Action::ViewAgents),
        "alerts" => Parsed::Act(Action::ViewAlerts),
        "tickets" => Parsed::Act(Action::ViewTickets),
        "callbacks" => Parsed::Act(Action::ViewCallbacks),
        "audit" => Parsed::Act(Action::ViewAudit),
        "call" | "open" => Parsed::Open(need(args.first(), &verb_l, "a call id", "C-1042")?),
        "monitor" => Parsed::Send(vec![Command::Monitor { call: call_or_target(args.first())? }]),
        "whisper" => Parsed::Send(vec![Command::Whisper { call: call_or_target(args.first())? }]),
        "barge" => Parsed::Send(vec![Command::Barge { call: call_or_target(args.first())? }]),
        "leave" => Parsed::Send(vec![Command::Leave { call: call_or_target(args.first())? }]),
        "say" => {
            let (call, text) = match args.first().map(|a| a.parse::<CallId>()) {
                Some(Ok(c)) if args.len() > 1 => (c, rest(1)),
                _ => (call_or_target(None)?, rest(0)),
            };
            if text.trim().is_empty() {
                return Err("say what? e.g. :say C-1042 \"I'm the supervisor, I can help\"".into());
            }
            Parsed::Send(vec![Command::Say { call, text }])
        }
        "transfer" => {
            let call: CallId = need(args.first(), "transfer", "a call and a target", "C-1042 billing")?;
            let Some(target) = args.get(1) else {
                return Err("transfer to where? e.g. :transfer C-1042 billing or :transfer C-1042 A-07".into());
            };
            if let Ok(agent) = target.parse::<AgentId>()
                && target.to_uppercase().starts_with('A')
            {
                Parsed::Send(vec![Command::Transfer { call, to_agent: Some(agent), to_queue: None }])
            } else {
                Parsed::Send(vec![Command::Transfer { call, to_agent: None, to_queue: Some(QueueId::new(target)) }])
            }
        }
        "reassign" => {
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
            Parsed::Send(vec![Command::Reassign { agent, queues }])
        }
        "state" | "set" => {
            let agent: AgentId = need(args.first(), "state", "an agent and a state", "A-07 break")?;
            let names: Vec<&str> = SETTABLE_STATES.iter().map(|s| s.as_str()).collect();
            let state = args
                .get(1)
                .and_then(|s| SETTABLE_STATES.iter().find(|st| st.as_str() == s.to_lowercase()))
                .copied()
                .ok_or_else(|| format!("state {agent} to what? choose {}", names.join(", ")))?;
            Parsed::Send(vec![Command::SetAgentState { agent, state }])
        }
        "ack" => {
            if args.is_empty() {
                return Err("ack which alert? e.g. :ack AL-3, or :ack all".into());
            }
            if args.iter().any(|a| a.eq_ignore_ascii_case("all")) {
                Parsed::AckAll
            } else {
                let ids: Result<Vec<AlertId>, _> = args.iter().map(|a| a.parse::<AlertId>()).collect();
                Parsed::Send(
                    ids.map_err(|e| e.to_string())?.into_iter().map(|alert| Command::AckAlert { alert }).collect(),
                )
            }
        }
        "escalate" => {
            let ticket: TicketId =
                need(args.first(), "escalate", "a ticket and a note", "T-88 \"customer called twice\"")?;
            Parsed::Send(vec![Command::Escalate { ticket, note: rest(1) }])
        }
        "resolve" => {
            let ticket: TicketId = need(args.first(), "resolve", "a ticket", "T-88 \"refund issued\"")?;
            Parsed::Send(vec![Command::Resolve { ticket, note: rest(1) }])
        }
        "note" => {
            let ticket: TicketId = need(args.first(), "note", "a ticket and a text", "T-88 \"called back\"")?;
            let text = rest(1);
            if text.trim().is_empty() {
                return Err("note what? e.g. :note T-88 \"called back, no answer\"".into());
            }
            Parsed::Send(vec![Command::Note { ticket, text }])
        }
        "theme" => match args.first() {
            Some(t) => Parsed::Theme(t.clone()),
            None => return Err("theme which? e.g. :theme light (default, light, high-contrast, mono)".into()),
        },
        "keymap" => match args.first() {
            Some(k) => Parsed::Keymap(k.clone()),
            None => return Err("keymap which? e.g. :keymap vim (default, vim)".into()),
        },
        "bell" => match args.first().map(|s| s.to_lowercase()).as_deref() {
            Some("on") => Parsed::Bell(true),
            Some("off") => Parsed::Bell(false),
            _ => return Err("bell on or bell off?".into()),
        },
        "sort" => {
            let key = args.first().map(|a| a.to_lowercase());
            let column = match key.as_deref() {
                Some("wait") => "wait",
                Some("sentiment") => "sentiment",
                Some("priority") => "pri",
                _ => return Err("sort by what? wait, sentiment or priority".into()),
            };
            Parsed::Sort(column)
        }
        "filter" => Parsed::Filter(rest(0)),
        _ => {
            let hint = did_you_mean(&verb_l, VERBS.iter().map(|(v, _)| *v))
                .map(|v| format!(" (did you mean :{v}?)"))
                .unwrap_or_default();
            return Err(format!("unknown command :{verb}{hint}; ? lists the commands"));
        }
    };
    Ok(parsed)
}

/// Completes the last word of a command line. Returns the new line and the candidates (shown when more than one
/// fits).
pub fn complete(text: &str, floor: &Floor) -> (String, Vec<String>) {
    let trailing_space = text.ends_with(' ');
    let words: Vec<&str> = text.split_whitespace().collect();
    let (index, word) =
        if trailing_space || words.is_empty() { (words.len(), "") } else { (words.len() - 1, words[words.len() - 1]) };
    let verb = words.first().map(|v| v.to_lowercase()).unwrap_or_default();
    // For comma lists (reassign's queues), complete the last item.
    let (list_head, item) = match word.rfind(',') {
        Some(i) if verb == "reassign" && index == 2 => (&word[..=i], &word[i + 1..]),
        _ => ("", word),
    };
    let candidates: Vec<String> = if index == 0 {
        VERBS.iter().map(|(v, _)| v.to_string()).collect()
    } else {
        candidates_for(&verb, index, floor)
    };
    let lower = item.to_lowercase();
    let mut matches: Vec<String> = candidates.into_iter().filter(|c| c.to_lowercase().starts_with(&lower)).collect();
    matches.dedup();
    let head: String = {
        let mut h: Vec<&str> = words.iter().take(index).copied().collect();
        h.push("");
        h.join(" ")
    };
    match matches.len() {
        0 => (text.to_string(), Vec::new()),
        1 => (format!("{head}{list_head}{} ", matches[0]), Vec::new()),
        _ => {
            let prefix = common_prefix(&matches);
            let new_item = if prefix.len() > item.len() { prefix } else { item.to_string() };
            (format!("{head}{list_head}{new_item}"), matches)
        }
    }
}

fn common_prefix(words: &[String]) -> String {
    let Some(first) = words.first() else { return String::new() };
    let mut len = first.len();
    for w in &words[1..] {
        len = first.char_indices().zip(w.chars()).take_while(|((_, a), b)| a == b).count().min(len);
    }
    first.chars().take(len).collect()
}

fn candidates_for(verb: &str, index: usize, floor: &Floor) -> Vec<String> {
    let calls = || floor.calls.keys().map(|c| c.to_string()).collect::<Vec<_>>();
    let joined = || {
        floor
            .calls
            .values()
            .filter(|c| matches!(c.state, CallState::Connected | CallState::Held))
            .map(|c| c.id.to_string())
            .collect::<Vec<_>>()
    };
    let agents = || floor.agents.keys().map(|a| a.to_string()).collect::<Vec<_>>();
    let queues = || floor.queues.iter().map(|q| q.id.to_string()).collect::<Vec<_>>();
    let tickets =
        || floor.tickets.values().filter(|t| t.status != TicketStatus::Resolved).map(|t| t.id.to_string()).collect();
    match (verb, index) {
        ("monitor" | "whisper" | "barge" | "leave" | "say", 1) => joined(),
        ("call" | "open" | "transfer", 1) => calls(),
        ("transfer", 2) => {
            let mut v = queues();
            v.extend(floor.agents.values().filter(|a| a.state == AgentState::Available).map(|a| a.id.to_string()));
            v
        }
        ("reassign" | "state" | "set", 1) => agents(),
        ("reassign", 2) => queues(),
        ("state" | "set", 2) => SETTABLE_STATES.iter().map(|s| s.as_str().to_string()).collect(),
        ("ack", _) => {
            let mut v = vec!["all".to_string()];
            v.extend(floor.open_alerts().map(|a| a.id.to_string()));
            v
        }
        ("escalate" | "resolve" | "note", 1) => tickets(),
        ("theme", 1) => super::theme::BUILTIN.iter().map(|(n, _)| n.to_string()).collect(),
        ("keymap", 1) => super::keymap::BUILTIN.iter().map(|(n, _)| n.to_string()).collect(),
        ("bell", 1) => vec!["on".into(), "off".into()],
        ("sort", 1) => vec!["wait".into(), "sentiment".into(), "priority".into()],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_with_quotes() {
        assert_eq!(
            split(r#"escalate T-88 "customer called twice""#),
            Ok(vec!["escalate".to_string(), "T-88".to_string(), "customer called twice".to_string()])
        );
        assert_eq!(split(r#"say "he said \"no\"""#), Ok(vec!["say".to_string(), "he said \"no\"".to_string()]));
        assert!(split("note T-1 \"open").is_err());
    }
}
