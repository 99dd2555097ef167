//! [`PbxAction`] → the FreeSWITCH API commands that carry it out. Pure: the roster gives names, the mapper the legs.

use crate::bridge::{CallKey, PbxAction, Roster};
use crate::model::{AgentState, SupervisorMode};

use super::map::{Mapper, SUPERVISOR_VAR};

/// One API command of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The command line after `api ` / `bgapi `.
    pub line: String,
    /// Sent with `bgapi`: the answer comes later in a `BACKGROUND_JOB` event (originate waits for the supervisor's
    /// phone to answer, and `api` would block the event socket meanwhile).
    pub background: bool,
}

/// What an action becomes: its commands in order (the first refused one stops the rest), and what the mapper
/// should expect once they are sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub steps: Vec<Step>,
    /// A call callfloor transfers: the end of its bridge is a transfer, not a hang-up.
    pub transfer: Option<CallKey>,
    /// A spy leg callfloor originates: `(leg uuid, call, supervisor)`.
    pub spy: Option<(String, CallKey, String)>,
}

impl Plan {
    fn api(lines: Vec<String>) -> Plan {
        Plan {
            steps: lines.into_iter().map(|line| Step { line, background: false }).collect(),
            transfer: None,
            spy: None,
        }
    }
}

/// The mod_callcenter status that puts a seat in `state`.
fn status_for(state: AgentState) -> Result<&'static str, String> {
    match state {
        AgentState::Available => Ok("Available"),
        AgentState::Break => Ok("'On Break'"),
        AgentState::Offline => Ok("'Logged Out'"),
        other => Err(format!(
            "FreeSWITCH sets a seat available, on break or logged out, not {}: mod_callcenter moves it through the \
             other states itself",
            other.as_str()
        )),
    }
}

/// A transfer target from the floor description as `uuid_transfer` takes it: `exten@context` becomes
/// `exten XML context`; anything else (`exten`, `exten XML context`) goes as written.
fn transfer_target(t: &str) -> String {
    match t.split_once('@') {
        Some((exten, context)) if !t.contains(' ') && !exten.is_empty() && !context.is_empty() => {
            format!("{exten} XML {context}")
        }
        _ => t.to_string(),
    }
}

/// A word that can stand in a command line and an originate variable: no spaces, quotes, commas or braces.
fn plain_word(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "@._-+:/".contains(c))
}

/// Plans `action`. `leg` names the spy leg an originate would create (`origination_uuid`). The error is one
/// sentence for the supervisor.
pub fn plan(
    action: &PbxAction,
    roster: &Roster,
    mapper: &Mapper,
    leg: impl FnOnce() -> String,
) -> Result<Plan, String> {
    let member = |agent| {
        roster
            .agent(agent)
            .map(|a| a.member.as_str())
            .filter(|m| plain_word(m))
            .ok_or_else(|| format!("seat {agent} has no FreeSWITCH agent name in the floor description"))
    };
    match action {
        PbxAction::SetState { agent, state, .. } => {
            // mod_callcenter keeps no reason with a status; the floor keeps the supervisor's.
            let status = status_for(*state)?;
            Ok(Plan::api(vec![format!("callcenter_config agent set status {} {status}", member(*agent)?)]))
        }
        PbxAction::SetQueues { agent, add, remove } => {
            let m = member(*agent)?;
            let mut lines = Vec::new();
            for (q, verb) in add.iter().map(|q| (q, "add")).chain(remove.iter().map(|q| (q, "del"))) {
                let pbx = roster
                    .queue(q)
                    .map(|r| r.pbx.as_str())
                    .filter(|p| plain_word(p))
                    .ok_or_else(|| format!("queue {q} has no FreeSWITCH queue name in the floor description"))?;
                // Level and position 1 1: older mod_callcenter requires both on `tier add`.
                lines.push(match verb {
                    "add" => format!("callcenter_config tier add {pbx} {m} 1 1"),
                    _ => format!("callcenter_config tier del {pbx} {m}"),
                });
            }
            Ok(Plan::api(lines))
        }
        PbxAction::Transfer { key, to_agent, to_queue } => {
            let target = match (to_queue, to_agent) {
                (Some(q), _) => roster
                    .queue(q)
                    .and_then(|r| r.transfer.as_deref())
                    .ok_or_else(|| format!("queue {q} has no transfer extension in the floor description"))?,
                (None, Some(a)) => roster
                    .agent(*a)
                    .and_then(|r| r.extension.as_deref())
                    .ok_or_else(|| format!("seat {a} has no extension in the floor description"))?,
                (None, None) => return Err("a transfer needs a queue or a seat to go to".into()),
            };
            let target = transfer_target(target);
            if target.is_empty() || !target.split(' ').all(plain_word) || !plain_word(&key.0) {
                return Err(format!("the transfer target '{target}' is not a dialplan extension FreeSWITCH can take"));
            }
            let mut p = Plan::api(vec![format!("uuid_transfer {key} {target}")]);
            p.transfer = Some(key.clone());
            Ok(p)
        }
        PbxAction::Spy { key, supervisor, mode, .. } => {
            let device = roster
                .supervisor(supervisor)
                .map(|s| s.device.as_str())
                .filter(|d| plain_word(d))
                .ok_or_else(|| format!("{supervisor} has no device in the floor description for listening in"))?;
            let target = mapper.agent_leg(key).ok_or_else(|| {
                format!("call {key} has no agent leg the bridge saw answer (it was connected before the link came up)")
            })?;
            let (a, b) = match mode {
                SupervisorMode::Monitor => (false, false),
                SupervisorMode::Whisper => (true, false),
                SupervisorMode::Barge => (true, true),
            };
            let leg = leg();
            // The user's name rides on the leg for events after a reconnect; characters an originate variable
            // cannot hold become '_'.
            let tag: String = supervisor
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() || "@._-".contains(c) { c } else { '_' })
                .collect();
            let line = format!(
                "originate {{origination_uuid={leg},{SUPERVISOR_VAR}={tag},eavesdrop_enable_dtmf=false,\
                 eavesdrop_whisper_aleg={a},eavesdrop_whisper_bleg={b}}}{device} &eavesdrop({target})"
            );
            Ok(Plan {
                steps: vec![Step { line, background: true }],
                transfer: None,
                spy: Some((leg, key.clone(), supervisor.clone())),
            })
        }
        PbxAction::StopSpy { key, supervisor } => {
            let leg = mapper
                .spy_leg(key, supervisor)
                .ok_or_else(|| format!("{supervisor} has no listening leg on call {key} that the bridge knows of"))?;
            Ok(Plan::api(vec![format!("uuid_kill {leg}")]))
        }
    }
}

/// The sentence for a command FreeSWITCH answered with `-ERR …` (or `-USAGE`).
pub fn refused(line: &str, answer: &str) -> String {
    let msg = answer.trim();
    let msg = msg.strip_prefix("-ERR").unwrap_or(msg).trim();
    let shown = if line.starts_with("originate ") { "originate of the listening leg" } else { line };
    if msg.is_empty() { format!("the PBX refused {shown}") } else { format!("the PBX refused {shown}: {msg}") }
}
