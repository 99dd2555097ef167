//! AMI events → floor [`Observation`]s: pure and synchronous, no I/O.
//!
//! [`Mapper::map`] takes each decoded [`AmiEvent`] in wire order and appends what it means for the floor. It names
//! calls by `Linkedid` (the `Uniqueid` of the call's first channel; Asterisk 11 has none, so there the caller channel's
//! `Uniqueid`), seats by their member `Interface` through [`Roster::agent_by_member`] (the decoder already reads
//! `Interface` or `Location`, whichever the event carries) and queues by [`Roster::queue_by_pbx`]. A member or queue the
//! roster does not list is skipped and counted in [`MapStats`].
//!
//! Besides the observations it remembers, per call, what the bridge's actions need and the events do not repeat:
//! the caller's channel (Redirect, and telling the caller's Hangup from any other), the agent's *device* channel from
//! `AgentConnect`'s `DestChannel` (ChanSpy and BlindTransfer; never the member interface, which may be a `Local/` or
//! `hint:` name), and the spy legs ChanSpyStart reported (the leg a `leave` hangs up).
//!
//! The `QueueStatus` reply (QueueParams, QueueMember, QueueEntry … QueueStatusComplete) is gathered into one
//! [`Observation::Snapshot`]. After a (re)connect the bridge also asks for `CoreShowChannels` ([`Mapper::begin_snapshot`]):
//! a QueueStatus reply lists waiting callers only, so the channel list is what tells which calls connected before the
//! outage are still up; those join the snapshot with their agent, the others are left out (the engine ends them).
//! Live events that arrive while the replies are still coming are held back and mapped after the snapshot, so the
//! engine never applies a live event to a floor the snapshot then overwrites.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::event::{AgentLeg, AmiEvent, ChannelRef, CompleteReason, DeviceStatus, Member};
use crate::bridge::{CallKey, EndReason, Observation, PbxSnapshot, Roster, SnapshotAgent, SnapshotCall};
use crate::model::{AgentId, AgentState, QueueId, SupervisorMode};

/// What the mapper did with the events it was given, for tests and the health line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MapStats {
    /// Observations produced (a snapshot counts once).
    pub observations: u64,
    pub snapshots: u64,
    /// Events naming a queue member whose interface the roster does not list (skipped).
    pub unknown_members: u64,
    /// Events naming a queue the roster does not list (skipped; in a snapshot, only that membership is left out).
    pub unknown_queues: u64,
    /// Events about a call the bridge never saw in a queue (a Hold on a call outside the queues, a ChanSpyStart on a
    /// channel that is no queue call's agent), skipped.
    pub unmatched: u64,
}

/// What the mapper remembers of one call.
#[derive(Debug, Clone, Default)]
struct CallMemo {
    /// The caller's channel (`PJSIP/trunk-00000011`) and its `Uniqueid`.
    caller_channel: String,
    caller_uniqueid: String,
    /// The caller's number and the queue the call was last in, for a snapshot after a reconnect.
    caller_num: String,
    queue: Option<QueueId>,
    /// The seat it is ringing at, if any.
    offered: Option<AgentId>,
    /// The seat it is connected to and that seat's device channel (`PJSIP/1002-00000013`).
    agent: Option<AgentId>,
    device: Option<String>,
    /// Something of the call is still live on the floor (queued, ringing, talking, transferred); false once it was
    /// abandoned or ended, so the caller's Hangup then says nothing more.
    live: bool,
}

/// A ChanSpy leg the PBX reported.
#[derive(Debug, Clone)]
struct SpyLeg {
    key: CallKey,
    supervisor: String,
    /// The spyer's channel (`PJSIP/2000-00000014`): what a `Hangup` ends the leg with.
    spyer: String,
}

/// A spy Originate the bridge sent whose ChanSpyStart has not come yet.
#[derive(Debug, Clone)]
struct PendingSpy {
    supervisor: String,
    mode: SupervisorMode,
}

/// The `QueueStatus` reply so far, and the `CoreShowChannels` reply when one was asked for.
#[derive(Debug, Default)]
struct SnapshotBuilder {
    agents: BTreeMap<AgentId, (AgentState, Option<String>, BTreeSet<QueueId>)>,
    /// Each seat's state per PBX queue, as the reply lists them.
    per_queue: BTreeMap<AgentId, BTreeMap<String, (AgentState, Option<String>)>>,
    calls: Vec<SnapshotCall>,
    status_done: bool,
    /// Channel names, unique ids and linked ids of the live channels; `None` when no channel list is part of this
    /// snapshot (then the calls connected before are taken to be still up).
    channels: Option<HashSet<String>>,
    channels_done: bool,
}

/// Turns AMI events into observations; see the module documentation.
#[derive(Debug)]
pub struct Mapper {
    roster: Roster,
    calls: HashMap<CallKey, CallMemo>,
    spies: Vec<SpyLeg>,
    pending_spies: Vec<PendingSpy>,
    /// Each seat's queues on the PBX (roster queues only), from the snapshot and member events since.
    queues: HashMap<AgentId, BTreeSet<QueueId>>,
    /// Each seat's last state per PBX queue (member status and pause are per queue): the seat's state is the busiest
    /// of them, so a seat paused in one queue and free in another is available, not flapping between the two.
    member_states: HashMap<AgentId, BTreeMap<String, (AgentState, Option<String>)>>,
    collecting: Option<SnapshotBuilder>,
    /// Live events that came while a snapshot was being read, mapped once it is complete.
    held_back: Vec<AmiEvent>,
    stats: MapStats,
}

/// The call a channel belongs to: its `Linkedid`, or on Asterisk 11 (no `Linkedid`) its `Uniqueid`, or failing both
/// the channel name.
pub fn call_key(c: &ChannelRef) -> CallKey {
    let id = [&c.linkedid, &c.uniqueid, &c.channel].into_iter().find(|s| !s.is_empty());
    CallKey(id.cloned().unwrap_or_default())
}

/// The device a channel belongs to: `PJSIP/2000-00000014` → `PJSIP/2000` (the part before the last `-`).
pub fn device_of(channel: &str) -> &str {
    match channel.rfind('-') {
        Some(i) if channel[..i].contains('/') => &channel[..i],
        _ => channel,
    }
}

/// A seat's state from a member's device state and pause, per docs/BRIDGE.md: NotInUse is Available, or Break when
/// paused (with the pause reason); InUse, Busy and OnHold are OnCall; Ringing and RingInUse are Ringing; Unknown,
/// Invalid, Unavailable (and anything outside 0–8) are Offline. Wrap-up comes from AgentComplete, not from here.
pub fn member_state(m: &Member) -> (AgentState, Option<String>) {
    match m.status {
        DeviceStatus::NotInUse if m.paused => {
            (AgentState::Break, (!m.paused_reason.is_empty()).then(|| m.paused_reason.clone()))
        }
        DeviceStatus::NotInUse => (AgentState::Available, None),
        DeviceStatus::InUse | DeviceStatus::Busy | DeviceStatus::OnHold => (AgentState::OnCall, None),
        DeviceStatus::Ringing | DeviceStatus::RingInUse => (AgentState::Ringing, None),
        DeviceStatus::Unknown | DeviceStatus::Invalid | DeviceStatus::Unavailable | DeviceStatus::Other(_) => {
            (AgentState::Offline, None)
        }
    }
}

/// Which of a seat's per-queue states a snapshot keeps: a seat paused in one queue and free in another still takes
/// calls, so the busiest reading wins.
fn rank(s: AgentState) -> u8 {
    match s {
        AgentState::OnCall => 5,
        AgentState::WrapUp => 4,
        AgentState::Ringing => 3,
        AgentState::Available => 2,
        AgentState::Break => 1,
        AgentState::Offline => 0,
    }
}

/// The busiest of a seat's per-queue states (see [`rank`]), with its reason.
fn busiest(per_queue: &BTreeMap<String, (AgentState, Option<String>)>) -> Option<(AgentState, Option<String>)> {
    per_queue.values().max_by_key(|(s, _)| rank(*s)).cloned()
}

impl Mapper {
    pub fn new(roster: Roster) -> Mapper {
        Mapper {
            roster,
            calls: HashMap::new(),
            spies: Vec::new(),
            pending_spies: Vec::new(),
            queues: HashMap::new(),
            member_states: HashMap::new(),
            collecting: None,
            held_back: Vec::new(),
            stats: MapStats::default(),
        }
    }

    pub fn roster(&self) -> &Roster {
        &self.roster
    }

    pub fn stats(&self) -> &MapStats {
        &self.stats
    }

    /// The agent's device channel on a connected call (from AgentConnect's `DestChannel`): where ChanSpy listens.
    pub fn device_channel(&self, key: &CallKey) -> Option<&str> {
        self.calls.get(key).and_then(|c| c.device.as_deref())
    }

    /// The caller's channel of a call: what Redirect moves.
    pub fn caller_channel(&self, key: &CallKey) -> Option<&str> {
        self.calls.get(key).map(|c| c.caller_channel.as_str()).filter(|c| !c.is_empty())
    }

    /// The spyer channel of `supervisor`'s spy leg on the call (what `leave` hangs up). `supervisor` is the callfloor
    /// user or, for a leg nobody here asked for, the device name the leg was reported under.
    pub fn spy_leg(&self, key: &CallKey, supervisor: &str) -> Option<&str> {
        self.spies
            .iter()
            .find(|l| {
                &l.key == key
                    && (l.supervisor == supervisor
                        || self.roster.supervisor_by_device(&l.spyer).is_some_and(|s| s.name == supervisor))
            })
            .map(|l| l.spyer.as_str())
    }

    /// The seat's queues on the PBX as last reported (roster queues only).
    pub fn queues_of(&self, agent: AgentId) -> Vec<QueueId> {
        self.queues.get(&agent).map(|q| q.iter().cloned().collect()).unwrap_or_default()
    }

    /// The bridge sent a spy Originate from `supervisor`'s device: the next ChanSpyStart from that device is theirs,
    /// in `mode`. A second request from the same supervisor replaces the first.
    pub fn expect_spy(&mut self, supervisor: &str, mode: SupervisorMode) {
        self.pending_spies.retain(|p| p.supervisor != supervisor);
        self.pending_spies.push(PendingSpy { supervisor: supervisor.to_string(), mode });
    }

    /// The PBX refused (or never answered) `supervisor`'s spy Originate: no ChanSpyStart will come for it.
    pub fn forget_spy(&mut self, supervisor: &str) {
        self.pending_spies.retain(|p| p.supervisor != supervisor);
    }

    /// The link dropped: a half-read snapshot, the live events held back behind it and pending spy requests are void
    /// (a fresh snapshot follows the reconnect). What is known of calls stays, so a call connected across the outage
    /// keeps its device channel.
    pub fn link_lost(&mut self) {
        self.collecting = None;
        self.held_back.clear();
        self.pending_spies.clear();
    }

    /// Appends to `out` what `ev` means for the floor.
    pub fn map(&mut self, ev: &AmiEvent, out: &mut Vec<Observation>) {
        match ev {
            AmiEvent::QueueParams { queue, .. } => {
                let known = self.roster.queue_by_pbx(queue).is_some();
                self.collecting.get_or_insert_with(SnapshotBuilder::default);
                if !known {
                    self.stats.unknown_queues += 1;
                }
            }
            AmiEvent::QueueMember(m) => self.snapshot_member(m),
            AmiEvent::QueueEntry { queue, caller, wait_secs, .. } => self.snapshot_entry(queue, caller, *wait_secs),
            AmiEvent::QueueStatusComplete { .. } => {
                self.collecting.get_or_insert_with(SnapshotBuilder::default).status_done = true;
                self.try_finish(out);
            }
            AmiEvent::CoreShowChannel { channel } => {
                if let Some(set) = self.collecting.as_mut().and_then(|b| b.channels.as_mut()) {
                    for id in [&channel.channel, &channel.uniqueid, &channel.linkedid] {
                        if !id.is_empty() {
                            set.insert(id.clone());
                        }
                    }
                }
            }
            AmiEvent::CoreShowChannelsComplete => {
                if let Some(b) = self.collecting.as_mut() {
                    b.channels_done = true;
                }
                self.try_finish(out);
            }
            _ => {
                if self.collecting.is_some() {
                    self.held_back.push(ev.clone());
                } else {
                    let before = out.len();
                    self.live(ev, out);
                    self.stats.observations += (out.len() - before) as u64;
                }
            }
        }
    }

    fn snapshot_member(&mut self, m: &Member) {
        let Some(agent) = self.roster.agent_by_member(&m.interface).map(|a| a.id) else {
            self.stats.unknown_members += 1;
            return;
        };
        let queue = self.roster.queue_by_pbx(&m.queue).map(|q| q.id.clone());
        if queue.is_none() {
            self.stats.unknown_queues += 1;
        }
        let (state, reason) = member_state(m);
        let builder = self.collecting.get_or_insert_with(SnapshotBuilder::default);
        builder.per_queue.entry(agent).or_default().insert(m.queue.clone(), (state, reason.clone()));
        let entry = builder.agents.entry(agent).or_insert((state, reason.clone(), BTreeSet::new()));
        if rank(state) > rank(entry.0) {
            entry.0 = state;
            entry.1 = reason;
        }
        entry.2.extend(queue);
    }

    /// Notes a waiting caller's channel, number and queue (from QueueEntry or QueueCallerJoin); returns its call key.
    fn remember_caller(&mut self, caller: &ChannelRef, queue: &QueueId) -> CallKey {
        let key = call_key(caller);
        let memo = self.calls.entry(key.clone()).or_default();
        memo.caller_channel.clone_from(&caller.channel);
        memo.caller_uniqueid.clone_from(&caller.uniqueid);
        memo.caller_num = caller_number(caller);
        memo.queue = Some(queue.clone());
        memo.live = true;
        key
    }

    fn snapshot_entry(&mut self, queue: &str, caller: &ChannelRef, wait_secs: u32) {
        let Some(queue) = self.roster.queue_by_pbx(queue).map(|q| q.id.clone()) else {
            self.stats.unknown_queues += 1;
            return;
        };
        let key = self.remember_caller(caller, &queue);
        let agent = self.calls.get(&key).and_then(|m| m.agent);
        let builder = self.collecting.get_or_insert_with(SnapshotBuilder::default);
        builder.calls.push(SnapshotCall { key, caller: caller_number(caller), queue, waited_s: wait_secs, agent });
    }

    /// The bridge is about to ask for `QueueStatus` (and, with `channels`, `CoreShowChannels`): live events from now
    /// on wait behind the snapshot, which is complete when both replies are.
    pub fn begin_snapshot(&mut self, channels: bool) {
        self.collecting = Some(SnapshotBuilder { channels: channels.then(HashSet::new), ..SnapshotBuilder::default() });
        self.held_back.clear();
    }

    /// The PBX would not list its channels (the manager user lacks `write = reporting`): the snapshot goes on
    /// without, and calls connected before the outage are taken to be still up.
    pub fn channel_list_unavailable(&mut self, out: &mut Vec<Observation>) {
        if let Some(b) = self.collecting.as_mut() {
            b.channels = None;
        }
        self.try_finish(out);
    }

    fn try_finish(&mut self, out: &mut Vec<Observation>) {
        let ready =
            self.collecting.as_ref().is_some_and(|b| b.status_done && (b.channels.is_none() || b.channels_done));
        if ready {
            self.finish_snapshot(out);
        }
    }

    fn finish_snapshot(&mut self, out: &mut Vec<Observation>) {
        let mut builder = self.collecting.take().unwrap_or_default();
        self.queues.clear();
        self.member_states = std::mem::take(&mut builder.per_queue).into_iter().collect();
        let mut agents = Vec::with_capacity(builder.agents.len());
        for (agent, (state, reason, queues)) in builder.agents {
            self.queues.insert(agent, queues.clone());
            agents.push(SnapshotAgent { agent, state, reason, queues: queues.into_iter().collect() });
        }
        // A QueueStatus reply lists waiting callers only: a call that was connected before the link dropped is still
        // up if the channel list still has its caller (or, without a channel list, as far as anyone can tell).
        let waiting: HashSet<CallKey> = builder.calls.iter().map(|c| c.key.clone()).collect();
        let mut connected: Vec<SnapshotCall> = Vec::new();
        self.calls.retain(|k, c| {
            if waiting.contains(k) {
                return true;
            }
            let (Some(agent), Some(queue)) = (c.agent, c.queue.clone()) else { return false };
            let alive = builder.channels.as_ref().is_none_or(|set| {
                set.contains(&c.caller_channel) || set.contains(&c.caller_uniqueid) || set.contains(&k.0)
            });
            if alive {
                connected.push(SnapshotCall {
                    key: k.clone(),
                    caller: c.caller_num.clone(),
                    queue,
                    waited_s: 0,
                    agent: Some(agent),
                });
            }
            alive
        });
        connected.sort_by(|a, b| a.key.cmp(&b.key));
        builder.calls.extend(connected);
        out.push(Observation::Snapshot(PbxSnapshot { agents, calls: builder.calls }));
        self.stats.snapshots += 1;
        let before = out.len();
        for ev in std::mem::take(&mut self.held_back) {
            self.live(&ev, out);
        }
        self.stats.observations += 1 + (out.len() - before) as u64;
    }

    fn agent_of(&mut self, leg: &AgentLeg) -> Option<AgentId> {
        let Some(queue) = self.roster.queue_by_pbx(&leg.queue).map(|q| q.id.clone()) else {
            self.stats.unknown_queues += 1;
            return None;
        };
        if let Some(memo) = self.calls.get_mut(&call_key(&leg.caller)) {
            memo.queue = Some(queue);
        }
        let agent = self.roster.agent_by_member(&leg.interface).map(|a| a.id);
        if agent.is_none() {
            self.stats.unknown_members += 1;
        }
        agent
    }

    /// The memo of an Agent* event's call, made if this is the first the bridge hears of it.
    fn leg_memo(&mut self, leg: &AgentLeg) -> (CallKey, &mut CallMemo) {
        let key = call_key(&leg.caller);
        let memo = self.calls.entry(key.clone()).or_default();
        if memo.caller_channel.is_empty() {
            memo.caller_channel.clone_from(&leg.caller.channel);
            memo.caller_uniqueid.clone_from(&leg.caller.uniqueid);
            memo.caller_num = caller_number(&leg.caller);
        }
        if memo.queue.is_none() {
            memo.queue = self.roster.queue_by_pbx(&leg.queue).map(|q| q.id.clone());
        }
        memo.live = true;
        (key, memo)
    }

    fn member_agent(&mut self, m: &Member) -> Option<AgentId> {
        let agent = self.roster.agent_by_member(&m.interface).map(|a| a.id);
        if agent.is_none() {
            self.stats.unknown_members += 1;
        }
        agent
    }

    fn live(&mut self, ev: &AmiEvent, out: &mut Vec<Observation>) {
        match ev {
            AmiEvent::QueueCallerJoin { queue, caller, .. } => {
                let Some(queue) = self.roster.queue_by_pbx(queue).map(|q| q.id.clone()) else {
                    self.stats.unknown_queues += 1;
                    return;
                };
                let key = self.remember_caller(caller, &queue);
                if let Some(memo) = self.calls.get_mut(&key) {
                    memo.offered = None;
                }
                out.push(Observation::CallQueued { key, caller: caller_number(caller), queue });
            }
            AmiEvent::AgentCalled(leg) => {
                let Some(agent) = self.agent_of(leg) else { return };
                let (key, memo) = self.leg_memo(leg);
                memo.offered = Some(agent);
                out.push(Observation::CallOffered { key, agent });
            }
            AmiEvent::AgentRingNoAnswer { leg, .. } | AmiEvent::AgentDump(leg) => {
                let Some(agent) = self.agent_of(leg) else { return };
                let (key, memo) = self.leg_memo(leg);
                if memo.offered == Some(agent) {
                    memo.offered = None;
                }
                out.push(Observation::CallRingNoAnswer { key, agent });
            }
            AmiEvent::AgentConnect { leg, .. } => {
                let Some(agent) = self.agent_of(leg) else { return };
                let (key, memo) = self.leg_memo(leg);
                memo.offered = None;
                memo.agent = Some(agent);
                memo.device = Some(leg.dest.channel.clone());
                out.push(Observation::CallAnswered { key, agent });
            }
            AmiEvent::AgentComplete { leg, reason, .. } => {
                if self.agent_of(leg).is_none() {
                    return;
                }
                let (key, memo) = self.leg_memo(leg);
                memo.agent = None;
                memo.device = None;
                let reason = match reason {
                    CompleteReason::Agent => EndReason::Agent,
                    CompleteReason::Transfer => EndReason::Transfer,
                    // Asterisk sends only caller, agent and transfer; anything else is read as the caller leaving.
                    CompleteReason::Caller | CompleteReason::Other(_) => EndReason::Caller,
                };
                // A transferred call lives on (its next queue or seat comes later, or its Hangup ends it).
                memo.live = reason == EndReason::Transfer;
                out.push(Observation::CallEnded { key, reason });
            }
            AmiEvent::QueueCallerAbandon { queue, caller, .. } => {
                if self.roster.queue_by_pbx(queue).is_none() {
                    self.stats.unknown_queues += 1;
                    return;
                }
                let key = call_key(caller);
                let memo = self.calls.entry(key.clone()).or_default();
                if memo.caller_channel.is_empty() {
                    memo.caller_channel.clone_from(&caller.channel);
                    memo.caller_uniqueid.clone_from(&caller.uniqueid);
                }
                memo.offered = None;
                memo.live = false;
                out.push(Observation::CallAbandoned { key });
            }
            AmiEvent::QueueCallerLeave { queue, caller, .. } => {
                if self.roster.queue_by_pbx(queue).is_none() {
                    self.stats.unknown_queues += 1;
                    return;
                }
                // Leave follows AgentConnect (answered), QueueCallerAbandon (hung up), or nothing: the caller left the
                // queue by timeout or an exit key, which ends the wait as abandoned. A call still ringing at a seat is
                // about to be connected (Asterisk may send Leave just before AgentConnect), so it is left alone.
                let key = call_key(caller);
                if let Some(memo) = self.calls.get_mut(&key)
                    && memo.live
                    && memo.agent.is_none()
                    && memo.offered.is_none()
                {
                    memo.live = false;
                    out.push(Observation::CallAbandoned { key });
                }
            }
            AmiEvent::Hold { channel } | AmiEvent::Unhold { channel } => {
                let key = call_key(channel);
                match self.calls.get(&key) {
                    Some(memo) if memo.agent.is_some() => out.push(match ev {
                        AmiEvent::Hold { .. } => Observation::CallHeld { key },
                        _ => Observation::CallResumed { key },
                    }),
                    _ => self.stats.unmatched += 1,
                }
            }
            AmiEvent::QueueMemberStatus(m) | AmiEvent::QueueMemberPause(m) => {
                let Some(agent) = self.member_agent(m) else { return };
                let per_queue = self.member_states.entry(agent).or_default();
                per_queue.insert(m.queue.clone(), member_state(m));
                if let Some((state, reason)) = busiest(per_queue) {
                    out.push(Observation::AgentState { agent, state, reason });
                }
            }
            AmiEvent::QueueMemberAdded(m) | AmiEvent::QueueMemberRemoved(m) => {
                let Some(agent) = self.member_agent(m) else { return };
                let Some(queue) = self.roster.queue_by_pbx(&m.queue).map(|q| q.id.clone()) else {
                    self.stats.unknown_queues += 1;
                    return;
                };
                if matches!(ev, AmiEvent::QueueMemberRemoved(_))
                    && let Some(per_queue) = self.member_states.get_mut(&agent)
                {
                    per_queue.remove(&m.queue);
                }
                let set = self.queues.entry(agent).or_default();
                let changed = match ev {
                    AmiEvent::QueueMemberAdded(_) => set.insert(queue),
                    _ => set.remove(&queue),
                };
                if changed {
                    out.push(Observation::AgentQueues { agent, queues: set.iter().cloned().collect() });
                }
                if matches!(ev, AmiEvent::QueueMemberAdded(_)) {
                    let (state, reason) = member_state(m);
                    out.push(Observation::AgentState { agent, state, reason });
                }
            }
            AmiEvent::ChanSpyStart { spyer, spyee } => {
                let Some(key) = self.call_of_device(spyee) else {
                    self.stats.unmatched += 1;
                    return;
                };
                let device = device_of(&spyer.channel);
                let asked = self.roster.supervisor_by_device(&spyer.channel).map(|s| s.name.clone()).and_then(|name| {
                    let i = self.pending_spies.iter().position(|p| p.supervisor == name)?;
                    Some(self.pending_spies.remove(i))
                });
                let (supervisor, mode) = match asked {
                    Some(p) => (p.supervisor, p.mode),
                    None => (device.to_string(), SupervisorMode::Monitor),
                };
                self.spies.retain(|l| l.spyer != spyer.channel);
                self.spies.push(SpyLeg {
                    key: key.clone(),
                    supervisor: supervisor.clone(),
                    spyer: spyer.channel.clone(),
                });
                out.push(Observation::SpyStarted { key, supervisor, mode });
            }
            AmiEvent::ChanSpyStop { spyer, .. } => match self.spies.iter().position(|l| l.spyer == spyer.channel) {
                Some(i) => {
                    let leg = self.spies.remove(i);
                    out.push(Observation::SpyStopped { key: leg.key, supervisor: leg.supervisor });
                }
                None => self.stats.unmatched += 1,
            },
            AmiEvent::Hangup { channel, .. } => {
                // A spy leg hung up without its ChanSpyStop.
                if let Some(i) = self.spies.iter().position(|l| l.spyer == channel.channel) {
                    let leg = self.spies.remove(i);
                    out.push(Observation::SpyStopped { key: leg.key, supervisor: leg.supervisor });
                    return;
                }
                let key = call_key(channel);
                let is_caller = self.calls.get(&key).is_some_and(|m| {
                    m.caller_channel == channel.channel
                        || (!m.caller_uniqueid.is_empty() && m.caller_uniqueid == channel.uniqueid)
                });
                if is_caller && let Some(memo) = self.calls.remove(&key) {
                    self.spies.retain(|l| l.key != key);
                    if memo.live {
                        out.push(Observation::CallGone { key });
                    }
                }
            }
            // Snapshot events are handled in `map`; the rest carry nothing the floor shows (QueueMemberPenalty,
            // Newchannel, bridges) or are counted by the decoder (Unknown, Malformed).
            AmiEvent::QueueParams { .. }
            | AmiEvent::QueueMember(_)
            | AmiEvent::QueueEntry { .. }
            | AmiEvent::QueueStatusComplete { .. }
            | AmiEvent::CoreShowChannel { .. }
            | AmiEvent::CoreShowChannelsComplete
            | AmiEvent::QueueMemberPenalty(_)
            | AmiEvent::Newchannel { .. }
            | AmiEvent::BridgeEnter { .. }
            | AmiEvent::BridgeLeave { .. }
            | AmiEvent::Unknown { .. }
            | AmiEvent::Malformed { .. } => {}
        }
    }

    /// The call whose agent device channel is `spyee` (by its `Linkedid` when the event has one, else by channel).
    fn call_of_device(&self, spyee: &ChannelRef) -> Option<CallKey> {
        if !spyee.linkedid.is_empty() {
            let key = CallKey(spyee.linkedid.clone());
            if self.calls.get(&key).is_some_and(|c| c.agent.is_some()) {
                return Some(key);
            }
        }
        self.calls.iter().find(|(_, c)| c.device.as_deref() == Some(spyee.channel.as_str())).map(|(k, _)| k.clone())
    }
}

/// The caller's number, empty when withheld (`<unknown>`).
fn caller_number(c: &ChannelRef) -> String {
    if c.caller_id_num.is_empty() || c.caller_id_num == "<unknown>" { String::new() } else { c.caller_id_num.clone() }
}

#[cfg(test)]
#[path = "map_tests.rs"]
mod tests;
