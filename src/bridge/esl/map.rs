//! mod_callcenter and channel events → [`Observation`]s. Pure: no I/O, no clock; the client feeds it events as the
//! frame reader gives them (each value percent-decoded when the mapper reads it) and the `callcenter_config … list`
//! tables after a connect.
//!
//! Call key = `CC-Member-Session-UUID` (the caller's channel, stable while the caller is in mod_callcenter); agent =
//! `CC-Agent` (`1001@default`) through [`Roster::agent_by_member`]; queue = `CC-Queue` through
//! [`Roster::queue_by_pbx`]. A seat's floor state combines mod_callcenter's *status* (Available, On Break, Logged
//! Out) and *state* (Waiting, Receiving, In a queue call, Idle, Reserved), so the mapper remembers both per agent.
//! Unknown actions and events are counted, events without a field the mapping needs are counted as malformed, names
//! the roster does not know are counted as unmapped; none of them is an error.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};

use super::frame::Event;

use crate::bridge::{CallKey, EndReason, Observation, PbxSnapshot, Roster, SnapshotAgent, SnapshotCall};
use crate::model::{AgentId, AgentState, QueueId, SupervisorMode};

/// The channel variable a callfloor spy leg carries: the user who asked for it.
pub const SUPERVISOR_VAR: &str = "callfloor_supervisor";

/// Calls, agent legs and spy legs remembered at most (the oldest are forgotten first), so a PBX that never says a
/// call ended cannot grow the mapper without bound.
const MAX_TRACKED: usize = 65_536;

/// What the mapper counted, for the health line and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MapStats {
    /// Events mapped (whether or not they produced an observation).
    pub events: u64,
    /// Events of a kind or `CC-Action` the bridge does not use.
    pub unknown: u64,
    /// Events missing a field the mapping needs (`CC-Member-Session-UUID`, `CC-Agent`, …), skipped.
    pub malformed: u64,
    /// Events naming an agent or queue the roster does not know, skipped.
    pub unmapped: u64,
    /// The names behind `unmapped`, the first 64 different ones.
    pub unmapped_names: Vec<String>,
    /// Channel events about channels that are no call, agent leg or spy leg the bridge knows (ignored, as expected).
    pub ignored: u64,
    /// Waits that ended without an agent (`member-queue-end`, `CC-Cause: Cancel`), by `CC-Cancel-Reason`.
    pub cancel_reasons: Vec<(String, u64)>,
    /// `members-count` events whose count differed from the calls the mapper has waiting in that queue.
    pub count_mismatches: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Waiting,
    Connected,
    Ended,
}

#[derive(Debug, Clone)]
struct CallTrack {
    queue: Option<QueueId>,
    phase: Phase,
    agent: Option<AgentId>,
    /// The agent's leg (`CC-Agent-UUID`), target of eavesdrop and of `uuid_kill`-free hold events.
    agent_leg: Option<String>,
    /// The agent's leg hung up before mod_callcenter said the bridge ended: the agent ended the call.
    agent_hung_up: bool,
    /// callfloor sent `uuid_transfer` for this call: the bridge's end is a transfer.
    transfer_expected: bool,
}

#[derive(Debug, Clone)]
struct SpyLeg {
    key: CallKey,
    supervisor: String,
}

#[derive(Debug, Clone, Default)]
struct AgentTrack {
    status: String,
    state: String,
    /// The floor state last reported, so a status or state change that keeps it is not repeated.
    reported: Option<AgentState>,
}

/// The mapper: per-link state (calls, legs, agents' status and state) and counters.
#[derive(Debug)]
pub struct Mapper {
    roster: Roster,
    calls: HashMap<CallKey, CallTrack>,
    call_order: VecDeque<CallKey>,
    /// Agent leg uuid → the call it serves.
    agent_legs: HashMap<String, CallKey>,
    /// Spy leg uuid → what it spies on.
    spies: HashMap<String, SpyLeg>,
    agents: HashMap<AgentId, AgentTrack>,
    stats: MapStats,
}

impl Mapper {
    pub fn new(roster: Roster) -> Mapper {
        Mapper {
            roster,
            calls: HashMap::new(),
            call_order: VecDeque::new(),
            agent_legs: HashMap::new(),
            spies: HashMap::new(),
            agents: HashMap::new(),
            stats: MapStats::default(),
        }
    }

    pub fn roster(&self) -> &Roster {
        &self.roster
    }

    pub fn stats(&self) -> &MapStats {
        &self.stats
    }

    /// The agent leg uuid of a connected call, for eavesdrop.
    pub fn agent_leg(&self, key: &CallKey) -> Option<&str> {
        self.calls.get(key).and_then(|c| c.agent_leg.as_deref())
    }

    /// The spy leg a supervisor has on a call, for `uuid_kill`.
    pub fn spy_leg(&self, key: &CallKey, supervisor: &str) -> Option<&str> {
        self.spies.iter().find(|(_, s)| &s.key == key && s.supervisor == supervisor).map(|(uuid, _)| uuid.as_str())
    }

    /// callfloor asked the PBX to transfer this call: the end of its bridge that follows is a transfer.
    pub fn expect_transfer(&mut self, key: &CallKey) {
        if let Some(c) = self.calls.get_mut(key) {
            c.transfer_expected = true;
        }
    }

    /// A spy leg callfloor originated (its uuid is known before the PBX reports it), so a hang-up of the leg before
    /// its eavesdrop started still reads as the supervisor leaving.
    pub fn expect_spy(&mut self, leg: &str, key: &CallKey, supervisor: &str) {
        self.spies.insert(leg.to_string(), SpyLeg { key: key.clone(), supervisor: supervisor.to_string() });
    }

    /// A spy leg whose originate failed: it will never report.
    pub fn forget_spy(&mut self, leg: &str) {
        self.spies.remove(leg);
    }

    /// Maps one event; observations are appended to `out`.
    pub fn event(&mut self, ev: &Event<'_>, out: &mut Vec<Observation>) {
        self.stats.events += 1;
        match ev.header("Event-Name").as_deref() {
            Some("CUSTOM") => {
                if ev.header("Event-Subclass").as_deref() == Some("callcenter::info") {
                    self.callcenter(ev, out)
                } else {
                    self.stats.unknown += 1
                }
            }
            Some("CHANNEL_HOLD") => self.hold(ev, true, out),
            Some("CHANNEL_UNHOLD") => self.hold(ev, false, out),
            Some("CHANNEL_EXECUTE") => self.execute(ev, out),
            Some("CHANNEL_HANGUP_COMPLETE") => self.hangup(ev, out),
            Some(_) => self.stats.unknown += 1,
            None => self.stats.malformed += 1,
        }
    }

    fn callcenter(&mut self, ev: &Event<'_>, out: &mut Vec<Observation>) {
        let Some(action) = ev.header("CC-Action") else {
            self.stats.malformed += 1;
            return;
        };
        match &*action {
            "member-queue-start" => {
                let (Some(key), Some(queue)) = (self.key(ev), self.queue(ev)) else { return };
                let caller = ev.header("CC-Member-CID-Number").map(Cow::into_owned).unwrap_or_default();
                let track = self.track(&key);
                track.queue = Some(queue.clone());
                track.phase = Phase::Waiting;
                out.push(Observation::CallQueued { key, caller, queue });
            }
            "agent-offering" => {
                let (Some(key), Some(agent)) = (self.key(ev), self.agent(ev)) else { return };
                self.track(&key);
                out.push(Observation::CallOffered { key, agent });
            }
            "bridge-agent-start" => {
                let (Some(key), Some(agent)) = (self.key(ev), self.agent(ev)) else { return };
                let leg = ev.header("CC-Agent-UUID").filter(|l| !l.is_empty()).map(Cow::into_owned);
                if let Some(old) = self.track(&key).agent_leg.take() {
                    self.agent_legs.remove(&old);
                }
                let track = self.track(&key);
                track.phase = Phase::Connected;
                track.agent = Some(agent);
                track.agent_leg = leg.clone();
                track.agent_hung_up = false;
                track.transfer_expected = false;
                if let Some(leg) = leg {
                    self.agent_legs.insert(leg, key.clone());
                }
                out.push(Observation::CallAnswered { key, agent });
            }
            "bridge-agent-fail" => {
                let (Some(key), Some(agent)) = (self.key(ev), self.agent(ev)) else { return };
                out.push(Observation::CallRingNoAnswer { key, agent });
            }
            "bridge-agent-end" => {
                let Some(key) = self.key(ev) else { return };
                let track = self.track(&key);
                let reason = if track.transfer_expected {
                    EndReason::Transfer
                } else if track.agent_hung_up {
                    EndReason::Agent
                } else {
                    EndReason::Caller
                };
                track.phase = Phase::Ended;
                track.transfer_expected = false;
                if let Some(leg) = track.agent_leg.take() {
                    self.agent_legs.remove(&leg);
                }
                out.push(Observation::CallEnded { key, reason });
            }
            "member-queue-end" => {
                let Some(key) = self.key(ev) else { return };
                match ev.header("CC-Cause").as_deref() {
                    Some("Cancel") => {
                        let reason = ev.header("CC-Cancel-Reason");
                        let reason = reason.as_deref().unwrap_or("NONE");
                        match self.stats.cancel_reasons.iter_mut().find(|(r, _)| r == reason) {
                            Some((_, n)) => *n += 1,
                            None => self.stats.cancel_reasons.push((reason.to_string(), 1)),
                        }
                        if let Some(t) = self.calls.get_mut(&key) {
                            t.phase = Phase::Ended;
                        }
                        out.push(Observation::CallAbandoned { key });
                    }
                    // Served: the bridge's own end already said how it ended; a call the mapper never saw
                    // connected (the link came up mid-call) ends here.
                    Some(_) => match self.calls.get(&key).map(|t| t.phase) {
                        Some(Phase::Ended) => {}
                        Some(Phase::Connected) => {
                            if let Some(t) = self.calls.get_mut(&key) {
                                t.phase = Phase::Ended;
                            }
                            out.push(Observation::CallEnded { key, reason: EndReason::Caller })
                        }
                        Some(Phase::Waiting) | None => out.push(Observation::CallGone { key }),
                    },
                    None => self.stats.malformed += 1,
                }
            }
            "agent-status-change" => {
                let Some(agent) = self.agent(ev) else { return };
                let Some(status) = ev.header("CC-Agent-Status") else {
                    self.stats.malformed += 1;
                    return;
                };
                let track = self.agents.entry(agent).or_default();
                track.status = status.to_string();
                self.report_agent(agent, out);
            }
            "agent-state-change" => {
                let Some(agent) = self.agent(ev) else { return };
                let Some(state) = ev.header("CC-Agent-State") else {
                    self.stats.malformed += 1;
                    return;
                };
                let track = self.agents.entry(agent).or_default();
                track.state = state.to_string();
                self.report_agent(agent, out);
            }
            "members-count" => {
                let Some(queue) = self.queue(ev) else { return };
                let Some(count) = ev.header("CC-Count").and_then(|c| c.trim().parse::<usize>().ok()) else {
                    self.stats.malformed += 1;
                    return;
                };
                let ours =
                    self.calls.values().filter(|c| c.phase == Phase::Waiting && c.queue.as_ref() == Some(&queue));
                if ours.count() != count {
                    self.stats.count_mismatches += 1;
                }
            }
            _ => self.stats.unknown += 1,
        }
    }

    fn report_agent(&mut self, agent: AgentId, out: &mut Vec<Observation>) {
        let Some(track) = self.agents.get_mut(&agent) else { return };
        let (state, reason) = floor_state(&track.status, &track.state);
        if track.reported != Some(state) {
            track.reported = Some(state);
            out.push(Observation::AgentState { agent, state, reason });
        }
    }

    /// The call a channel event is about: the caller's own channel, or an agent leg of a connected call.
    fn call_of_channel(&self, uuid: &str) -> Option<CallKey> {
        let key = CallKey(uuid.to_string());
        if self.calls.contains_key(&key) {
            return Some(key);
        }
        self.agent_legs.get(uuid).cloned()
    }

    fn hold(&mut self, ev: &Event<'_>, held: bool, out: &mut Vec<Observation>) {
        let Some(uuid) = ev.header("Unique-ID") else {
            self.stats.malformed += 1;
            return;
        };
        match self.call_of_channel(&uuid) {
            Some(key) if self.calls.get(&key).is_some_and(|c| c.phase == Phase::Connected) => {
                out.push(if held { Observation::CallHeld { key } } else { Observation::CallResumed { key } })
            }
            _ => self.stats.ignored += 1,
        }
    }

    /// A channel starting `eavesdrop` on an agent leg (or a caller's channel): a supervisor joined that call.
    fn execute(&mut self, ev: &Event<'_>, out: &mut Vec<Observation>) {
        if ev.header("Application").as_deref() != Some("eavesdrop") {
            self.stats.ignored += 1;
            return;
        }
        let (Some(spy), Some(target)) = (ev.header("Unique-ID"), ev.header("Application-Data")) else {
            self.stats.malformed += 1;
            return;
        };
        let Some(key) = self.call_of_channel(target.trim()) else {
            self.stats.ignored += 1;
            return;
        };
        let supervisor = match ev.header(&format!("variable_{SUPERVISOR_VAR}")) {
            Some(s) if !s.is_empty() => s.into_owned(),
            _ => self
                .spies
                .get(&*spy)
                .map(|s| s.supervisor.clone())
                .or_else(|| ev.header("Channel-Name").map(Cow::into_owned))
                .unwrap_or_else(|| spy.to_string()),
        };
        let on = |name: &str| ev.header(&format!("variable_{name}")).is_some_and(|v| is_true(&v));
        let mode = match (on("eavesdrop_whisper_aleg"), on("eavesdrop_whisper_bleg")) {
            (true, true) => SupervisorMode::Barge,
            (true, false) | (false, true) => SupervisorMode::Whisper,
            (false, false) => SupervisorMode::Monitor,
        };
        self.forget_if_full();
        self.spies.insert(spy.to_string(), SpyLeg { key: key.clone(), supervisor: supervisor.clone() });
        out.push(Observation::SpyStarted { key, supervisor, mode });
    }

    fn hangup(&mut self, ev: &Event<'_>, out: &mut Vec<Observation>) {
        let Some(uuid) = ev.header("Unique-ID") else {
            self.stats.malformed += 1;
            return;
        };
        if let Some(spy) = self.spies.remove(&*uuid) {
            out.push(Observation::SpyStopped { key: spy.key, supervisor: spy.supervisor });
            return;
        }
        // An agent leg hanging up while its bridge is live: the agent ended the call (the bridge's end says so).
        if let Some(key) = self.agent_legs.get(&*uuid) {
            if let Some(t) = self.calls.get_mut(key) {
                t.agent_hung_up = true;
            }
            return;
        }
        let key = CallKey(uuid.to_string());
        if let Some(track) = self.calls.remove(&key) {
            if let Some(leg) = track.agent_leg {
                self.agent_legs.remove(&leg);
            }
            self.spies.retain(|_, s| s.key != key);
            // A call whose end mod_callcenter already reported is only forgotten.
            if track.phase != Phase::Ended {
                out.push(Observation::CallGone { key });
            }
        } else {
            self.stats.ignored += 1;
        }
    }

    fn key(&mut self, ev: &Event<'_>) -> Option<CallKey> {
        match ev.header("CC-Member-Session-UUID") {
            Some(k) if !k.is_empty() => Some(CallKey(k.to_string())),
            _ => {
                self.stats.malformed += 1;
                None
            }
        }
    }

    fn agent(&mut self, ev: &Event<'_>) -> Option<AgentId> {
        let Some(name) = ev.header("CC-Agent") else {
            self.stats.malformed += 1;
            return None;
        };
        let found = self.roster.agent_by_member(&name).map(|a| a.id);
        if found.is_none() {
            self.unmapped(&name);
        }
        found
    }

    fn queue(&mut self, ev: &Event<'_>) -> Option<QueueId> {
        let Some(name) = ev.header("CC-Queue") else {
            self.stats.malformed += 1;
            return None;
        };
        let found = self.roster.queue_by_pbx(&name).map(|q| q.id.clone());
        if found.is_none() {
            self.unmapped(&name);
        }
        found
    }

    fn unmapped(&mut self, name: &str) {
        self.stats.unmapped += 1;
        if self.stats.unmapped_names.len() < 64 && !self.stats.unmapped_names.iter().any(|n| n == name) {
            self.stats.unmapped_names.push(name.to_string());
        }
    }

    fn track(&mut self, key: &CallKey) -> &mut CallTrack {
        if !self.calls.contains_key(key) {
            self.forget_if_full();
            self.call_order.push_back(key.clone());
        }
        self.calls.entry(key.clone()).or_insert(CallTrack {
            queue: None,
            phase: Phase::Waiting,
            agent: None,
            agent_leg: None,
            agent_hung_up: false,
            transfer_expected: false,
        })
    }

    fn forget_if_full(&mut self) {
        while self.calls.len() >= MAX_TRACKED {
            let Some(old) = self.call_order.pop_front() else { break };
            if let Some(t) = self.calls.remove(&old)
                && let Some(leg) = t.agent_leg
            {
                self.agent_legs.remove(&leg);
            }
        }
        if self.spies.len() >= MAX_TRACKED {
            self.spies.clear();
        }
        // Keys whose call was removed by a hang-up linger in the order queue; drop them when it grows too long.
        if self.call_order.len() > 2 * MAX_TRACKED {
            let calls = &self.calls;
            self.call_order.retain(|k| calls.contains_key(k));
        }
    }

    /// Forgets everything the link taught (calls, legs, agents' states): called before a fresh snapshot, after a
    /// reconnect. Counters stay.
    pub fn reset(&mut self) {
        self.calls.clear();
        self.call_order.clear();
        self.agent_legs.clear();
        self.spies.clear();
        self.agents.clear();
    }

    /// One [`Observation::Snapshot`] from the three `callcenter_config queue list … <queue>` tables of every roster
    /// queue (`tables[i]` for `roster.queues[i]`: agents, members, tiers), which also re-seeds the mapper's state.
    pub fn snapshot(&mut self, tables: &[QueueTables]) -> Observation {
        self.reset();
        let mut agents: Vec<SnapshotAgent> = Vec::new();
        let mut calls: Vec<SnapshotCall> = Vec::new();
        let mut queues_of: HashMap<AgentId, Vec<QueueId>> = HashMap::new();
        for t in tables {
            let Some(queue) = self.roster.queue_by_pbx(&t.queue).map(|q| q.id.clone()) else {
                self.stats.unmapped += 1;
                continue;
            };
            for row in Table::parse(&t.tiers).rows() {
                let Some(agent) = row.get("agent").and_then(|m| self.roster.agent_by_member(m)).map(|a| a.id) else {
                    self.stats.unmapped += 1;
                    continue;
                };
                let qs = queues_of.entry(agent).or_default();
                if !qs.contains(&queue) {
                    qs.push(queue.clone());
                }
            }
            for row in Table::parse(&t.agents).rows() {
                let Some(agent) = row.get("name").and_then(|m| self.roster.agent_by_member(m)).map(|a| a.id) else {
                    self.stats.unmapped += 1;
                    continue;
                };
                if agents.iter().any(|a| a.agent == agent) {
                    continue;
                }
                let status = row.get("status").unwrap_or("");
                let st = row.get("state").unwrap_or("");
                let (state, reason) = floor_state(status, st);
                self.agents.insert(
                    agent,
                    AgentTrack { status: status.to_string(), state: st.to_string(), reported: Some(state) },
                );
                agents.push(SnapshotAgent { agent, state, reason, queues: Vec::new() });
            }
            for row in Table::parse(&t.members).rows() {
                let Some(key) = row.get("session_uuid").filter(|k| !k.is_empty()) else {
                    self.stats.malformed += 1;
                    continue;
                };
                let (phase, agent) = match row.get("state") {
                    Some("Waiting") | Some("Trying") => (Phase::Waiting, None),
                    Some("Answered") => {
                        let agent = row.get("serving_agent").and_then(|m| self.roster.agent_by_member(m)).map(|a| a.id);
                        (Phase::Connected, agent)
                    }
                    // Abandoned members linger in the table until `discard-abandoned-after`: not on the floor.
                    _ => continue,
                };
                let key = CallKey(key.to_string());
                let joined = row.get("joined_epoch").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
                let system = row.get("system_epoch").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
                let waited_s =
                    if joined > 0 && system >= joined { (system - joined).min(u32::MAX as i64) as u32 } else { 0 };
                let track = self.track(&key);
                track.queue = Some(queue.clone());
                track.phase = phase;
                track.agent = agent;
                calls.push(SnapshotCall {
                    key,
                    caller: row.get("cid_number").unwrap_or("").to_string(),
                    queue: queue.clone(),
                    waited_s,
                    agent,
                });
            }
        }
        for a in &mut agents {
            if let Some(qs) = queues_of.remove(&a.agent) {
                a.queues = qs;
            }
        }
        // Tier members the agent lists did not name (the query joins agents and tiers, so this is rare).
        let mut rest: Vec<_> = queues_of.into_iter().collect();
        rest.sort_by_key(|(a, _)| *a);
        for (agent, queues) in rest {
            agents.push(SnapshotAgent { agent, state: AgentState::Offline, reason: None, queues });
        }
        agents.sort_by_key(|a| a.agent);
        Observation::Snapshot(PbxSnapshot { agents, calls })
    }
}

/// The `api/response` bodies of `callcenter_config queue list agents|members|tiers <queue>` for one queue.
#[derive(Debug, Clone, Default)]
pub struct QueueTables {
    /// The mod_callcenter queue name (`support@default`).
    pub queue: String,
    pub agents: String,
    pub members: String,
    pub tiers: String,
}

/// A pipe-separated table as mod_callcenter prints it: a header line, rows, a closing `+OK`.
#[derive(Debug)]
pub struct Table<'a> {
    header: Vec<&'a str>,
    rows: Vec<Vec<&'a str>>,
}

/// One row of a [`Table`], read by column name.
pub struct Row<'t, 'a> {
    header: &'t [&'a str],
    cells: &'t [&'a str],
}

impl<'a> Row<'_, 'a> {
    pub fn get(&self, column: &str) -> Option<&'a str> {
        let i = self.header.iter().position(|h| *h == column)?;
        self.cells.get(i).copied()
    }
}

impl<'a> Table<'a> {
    /// Reads the table; lines after `+OK`, blank lines and a `-ERR` answer give no rows.
    pub fn parse(text: &'a str) -> Table<'a> {
        let mut lines = text.lines().map(|l| l.trim_end_matches('\r')).filter(|l| !l.is_empty());
        let header = match lines.next() {
            Some(h) if !h.starts_with("+OK") && !h.starts_with("-ERR") => h.split('|').collect(),
            _ => return Table { header: Vec::new(), rows: Vec::new() },
        };
        let rows = lines.take_while(|l| !l.starts_with("+OK")).map(|l| l.split('|').collect()).collect();
        Table { header, rows }
    }

    pub fn rows(&self) -> impl Iterator<Item = Row<'_, 'a>> {
        self.rows.iter().map(|cells| Row { header: &self.header, cells })
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

fn is_true(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "true" | "yes" | "on" | "1")
}

/// A seat's floor state from mod_callcenter's status and state. The status rules (a seat on break is on break
/// whatever its state); an available seat is as busy as its state says: Receiving rings, In a queue call talks, Idle
/// is the wrap-up (`wrap-up-time`) or a reject/busy delay, Waiting is free.
pub fn floor_state(status: &str, state: &str) -> (AgentState, Option<String>) {
    match status {
        "Logged Out" => (AgentState::Offline, Some("Logged Out".into())),
        "On Break" => (AgentState::Break, Some("On Break".into())),
        _ => match state {
            "Receiving" | "Reserved" => (AgentState::Ringing, None),
            "In a queue call" => (AgentState::OnCall, None),
            "Idle" => (AgentState::WrapUp, None),
            "Waiting" => (AgentState::Available, None),
            // A status we do not know, or no state yet: say what the status says it can do.
            _ if status.starts_with("Available") => (AgentState::Available, None),
            _ => (AgentState::Offline, (!status.is_empty()).then(|| status.to_string())),
        },
    }
}
