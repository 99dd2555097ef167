//! Bridges from a real PBX into the engine (issue 10): the engine's *sources* other than the simulator.
//!
//! The contract between a bridge and the engine is this module's types, and nothing else:
//! - a bridge reads its PBX and sends [`Observation`]s: what happened, in floor terms (floor queue and agent ids,
//!   looked up in the [`Roster`]) but keyed by the PBX's own call identity ([`CallKey`]), since the engine numbers
//!   calls itself;
//! - the engine sends it [`ActionRequest`]s: supervisor commands it has checked against the floor, to carry out on the
//!   PBX; the reply is `Ok` once the PBX accepted the action, or the PBX's refusal in one sentence. The floor changes
//!   only when the PBX's own events confirm it (a ChanSpy leg that started, a pause the PBX reports);
//! - it keeps a [`SourceStatus`] up to date on a watch channel, for the `source` line of metrics and `tail`.
//!
//! [`ami`] speaks the Asterisk Manager Interface, [`esl`] FreeSWITCH's event socket (mod_callcenter). docs/BRIDGE.md
//! has the mapping tables.

pub mod ami;
pub mod esl;
mod url;

use tokio::sync::{mpsc, oneshot, watch};

pub use crate::model::SourceStatus;
use crate::model::{AgentId, AgentState, QueueId, SupervisorMode};
pub use url::{Secret, SourceUrl};

/// The PBX's identity of one call: Asterisk's `Linkedid` (the first channel's `Uniqueid`), FreeSWITCH's member
/// session UUID. Stable across transfers and queue changes; the engine maps it to a [`crate::model::CallId`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallKey(pub String);

impl std::fmt::Display for CallKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a connected call ended, as far as the PBX says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// The caller hung up (AgentComplete `Reason: caller`, a Hangup of the caller's channel).
    Caller,
    /// The agent hung up.
    Agent,
    /// The agent transferred the call away: the call lives on, its next queue or agent comes in a later
    /// observation (`CallQueued`/`CallOffered`/`CallAnswered` with the same key), or a `CallGone` ends it.
    Transfer,
}

/// A waiting or talking call in a [`PbxSnapshot`].
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotCall {
    pub key: CallKey,
    /// The caller's number as the PBX gives it (`CallerIDNum`); empty when withheld.
    pub caller: String,
    pub queue: QueueId,
    /// Seconds the caller has waited so far (QueueEntry `Wait`).
    pub waited_s: u32,
    /// The agent it is connected to, if the PBX says so.
    pub agent: Option<AgentId>,
}

/// One seat in a [`PbxSnapshot`].
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotAgent {
    pub agent: AgentId,
    pub state: AgentState,
    /// Why, when the PBX says (a pause reason).
    pub reason: Option<String>,
    /// The floor queues the seat is a member of on the PBX.
    pub queues: Vec<QueueId>,
}

/// The PBX's whole state as read after a (re)connect: AMI `QueueStatus`, ESL `callcenter_config … list`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PbxSnapshot {
    pub agents: Vec<SnapshotAgent>,
    pub calls: Vec<SnapshotCall>,
}

/// What a bridge saw, in floor terms. The engine checks each against the floor (a PBX reports things out of order
/// around reconnects and transfers) and drops, and counts, what it cannot apply.
#[derive(Debug, Clone, PartialEq)]
pub enum Observation {
    /// The link came up and the PBX's state was read: seats take the states it gives; calls it lists that the floor
    /// lacks are added; calls on the floor it lacks ended while the link was down.
    Snapshot(PbxSnapshot),
    /// A caller is waiting in a queue (AMI QueueCallerJoin, ESL member-queue-start). A key the floor does not know
    /// is a new call; a known, connected call moving to a queue was transferred there.
    CallQueued {
        key: CallKey,
        caller: String,
        queue: QueueId,
    },
    /// The call rings at a seat (AgentCalled, agent-offering).
    CallOffered {
        key: CallKey,
        agent: AgentId,
    },
    /// The seat did not pick up (AgentRingNoAnswer, AgentDump, bridge-agent-fail); the call stays queued.
    CallRingNoAnswer {
        key: CallKey,
        agent: AgentId,
    },
    /// The seat picked up (AgentConnect, bridge-agent-start). For a call connected to another seat, a transfer.
    CallAnswered {
        key: CallKey,
        agent: AgentId,
    },
    CallHeld {
        key: CallKey,
    },
    CallResumed {
        key: CallKey,
    },
    /// The conversation ended (AgentComplete, bridge-agent-end).
    CallEnded {
        key: CallKey,
        reason: EndReason,
    },
    /// The caller hung up while waiting (QueueCallerAbandon, member-queue-end with `CC-Cause: Cancel`).
    CallAbandoned {
        key: CallKey,
    },
    /// The caller's channel is gone (Hangup): ends whatever of the call is still live (a transferred call that never
    /// reached its target, a wait that ended without an abandon event).
    CallGone {
        key: CallKey,
    },
    /// A seat's state as the PBX reports it (QueueMemberStatus, QueueMemberPause, agent-status-change).
    AgentState {
        agent: AgentId,
        state: AgentState,
        reason: Option<String>,
    },
    /// A seat's queue memberships changed (QueueMemberAdded/Removed, tier add/del): the whole new set.
    AgentQueues {
        agent: AgentId,
        queues: Vec<QueueId>,
    },
    /// A supervisor leg is listening to the call (ChanSpyStart, eavesdrop). `supervisor` is the callfloor user who
    /// asked for it, or the spying device when nobody did.
    SpyStarted {
        key: CallKey,
        supervisor: String,
        mode: SupervisorMode,
    },
    SpyStopped {
        key: CallKey,
        supervisor: String,
    },
}

/// A supervisor command, checked against the floor, for the PBX to carry out.
#[derive(Debug, Clone, PartialEq)]
pub enum PbxAction {
    /// Monitor, whisper or barge: a spy leg from the supervisor's device (the [`Roster`]'s supervisors) onto the
    /// agent's device channel of the call.
    Spy { key: CallKey, agent: AgentId, supervisor: String, mode: SupervisorMode },
    /// Hang up the supervisor's spy leg on the call.
    StopSpy { key: CallKey, supervisor: String },
    /// Change a seat's queue memberships: join `add`, leave `remove`.
    SetQueues { agent: AgentId, add: Vec<QueueId>, remove: Vec<QueueId> },
    /// Pause (break, offline) or unpause (available) a seat.
    SetState { agent: AgentId, state: AgentState, reason: String },
    /// Send the call to a queue (its `transfer` target) or to a seat (its `extension`).
    Transfer { key: CallKey, to_agent: Option<AgentId>, to_queue: Option<QueueId> },
}

/// An action and where its outcome goes: `Ok` when the PBX accepted it, else the PBX's refusal as one sentence
/// ("the PBX refused QueuePause: Interface not found").
#[derive(Debug)]
pub struct ActionRequest {
    pub action: PbxAction,
    pub reply: oneshot::Sender<Result<(), String>>,
}

/// A floor queue as the PBX knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RosterQueue {
    pub id: QueueId,
    /// The PBX's name of the queue (AMI `Queue`, mod_callcenter queue name).
    pub pbx: String,
    /// Where a transfer to the queue goes: `exten@context` (AMI Redirect) or a dialplan extension (ESL).
    pub transfer: Option<String>,
}

/// A seat as the PBX knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RosterAgent {
    pub id: AgentId,
    pub name: String,
    /// The PBX's name of the seat: the AMI queue member `Interface` (`PJSIP/1001`, `Local/1001@agents`), or the
    /// mod_callcenter agent name (`1001@default`).
    pub member: String,
    /// `exten@context` a transfer to this seat dials.
    pub extension: Option<String>,
}

/// A callfloor user's device, where their spy legs ring.
#[derive(Debug, Clone, PartialEq)]
pub struct RosterSupervisor {
    /// The user's name as their token names it.
    pub name: String,
    /// `PJSIP/2000` (AMI Originate `Channel`), `user/2000` (ESL originate).
    pub device: String,
}

/// What the floor description tells a bridge about the PBX: names both ways.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Roster {
    pub queues: Vec<RosterQueue>,
    pub agents: Vec<RosterAgent>,
    pub supervisors: Vec<RosterSupervisor>,
}

impl Roster {
    /// The floor queue the PBX calls `pbx`.
    pub fn queue_by_pbx(&self, pbx: &str) -> Option<&RosterQueue> {
        self.queues.iter().find(|q| q.pbx == pbx)
    }

    pub fn queue(&self, id: &QueueId) -> Option<&RosterQueue> {
        self.queues.iter().find(|q| &q.id == id)
    }

    /// The seat whose member name is `member` (compared without regard to case, as Asterisk compares interfaces).
    pub fn agent_by_member(&self, member: &str) -> Option<&RosterAgent> {
        self.agents.iter().find(|a| a.member.eq_ignore_ascii_case(member))
    }

    pub fn agent(&self, id: AgentId) -> Option<&RosterAgent> {
        self.agents.iter().find(|a| a.id == id)
    }

    pub fn supervisor(&self, name: &str) -> Option<&RosterSupervisor> {
        self.supervisors.iter().find(|s| s.name == name)
    }

    /// The supervisor whose device is `device` (`PJSIP/2000`, or a channel of it: `PJSIP/2000-0000001a`).
    pub fn supervisor_by_device(&self, device: &str) -> Option<&RosterSupervisor> {
        self.supervisors.iter().find(|s| {
            device.eq_ignore_ascii_case(&s.device)
                || device.len() > s.device.len()
                    && device.is_char_boundary(s.device.len())
                    && device[..s.device.len()].eq_ignore_ascii_case(&s.device)
                    && device[s.device.len()..].starts_with('-')
        })
    }
}

/// A running bridge, as the engine's hub holds it.
#[derive(Debug)]
pub struct Bridge {
    pub observations: mpsc::Receiver<Observation>,
    pub actions: mpsc::Sender<ActionRequest>,
    pub health: watch::Receiver<SourceStatus>,
}

/// The ends a bridge task keeps: where it sends observations, where actions come from, where it reports health.
#[derive(Debug)]
pub struct BridgeEnds {
    pub observations: mpsc::Sender<Observation>,
    pub actions: mpsc::Receiver<ActionRequest>,
    pub health: watch::Sender<SourceStatus>,
}

/// Observations a bridge may have in flight before it waits for the engine.
pub const OBSERVATION_QUEUE: usize = 4096;

/// A connected pair of [`Bridge`] (for the engine) and [`BridgeEnds`] (for the bridge task).
pub fn channel(kind: &str, target: &str) -> (Bridge, BridgeEnds) {
    let (obs_tx, obs_rx) = mpsc::channel(OBSERVATION_QUEUE);
    let (act_tx, act_rx) = mpsc::channel(256);
    let status = SourceStatus { kind: kind.to_string(), target: target.to_string(), ..SourceStatus::default() };
    let (health_tx, health_rx) = watch::channel(status);
    (
        Bridge { observations: obs_rx, actions: act_tx, health: health_rx },
        BridgeEnds { observations: obs_tx, actions: act_rx, health: health_tx },
    )
}

/// Starts the bridge a `--source` names, on the current tokio runtime, with the production defaults (backoff, ping,
/// timeouts); `None` for the simulator, which is not a bridge.
pub fn start(url: &SourceUrl, secret: Secret, roster: Roster) -> Option<Bridge> {
    match url {
        SourceUrl::Sim => None,
        SourceUrl::Ami { user, host, port } => {
            Some(ami::client::spawn(ami::client::AmiConfig::new(host.clone(), *port, user.clone(), secret), roster))
        }
        SourceUrl::Esl { host, port } => {
            let config = esl::EslConfig::new(host.clone(), *port, secret);
            let (bridge, ends) = channel("esl", &config.target());
            esl::spawn(config, roster, ends);
            Some(bridge)
        }
    }
}
