//! The AMI events a call-center bridge needs, typed.
//!
//! [`Decoder::decode`] turns a framed [`Message`] into an [`AmiEvent`]. It follows Asterisk 13 and later and tolerates
//! 11: event names that changed (`Join`/`Leave`, `QueueMemberPaused`) are mapped to today's, and every field is looked
//! up without regard to case (`HoldTime` in 13+, `Holdtime` in 11). Fields it does not use are ignored; an event it
//! does not know becomes [`AmiEvent::Unknown`] and one missing a field it cannot do without becomes
//! [`AmiEvent::Malformed`]; both are counted in [`DecodeStats`], never an error.
//!
//! Two traps real traffic sets, handled here so no caller has to:
//! - a queue member is `MemberName`/`Interface` in unsolicited events (`QueueMemberStatus`, `AgentConnect`, …) but
//!   `Name`/`Location` in the `QueueMember` reply to `QueueStatus` (and Asterisk 11 mixes `MemberName` with
//!   `Location`): [`Member`] reads either;
//! - the agent's *device* channel (`PJSIP/1002-00000013`) is the `DestChannel` of `AgentCalled`/`AgentConnect`, while
//!   the member's `Interface` may be a `Local/…` or `hint:` name no channel operation accepts: [`AgentLeg`] keeps both,
//!   and ChanSpy must target `dest.channel`.
//!
//! `HoldTime`, `RingTime`, `TalkTime` and `Wait` are whole seconds on the wire and stay so here (`*_secs`).

use std::collections::BTreeMap;

use super::frame::{Message, MessageKind};

/// A channel as AMI describes it in a `Channel`/`Uniqueid`/... group (optionally prefixed `Dest`, `Spyer`, `Spyee`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChannelRef {
    pub channel: String,
    pub uniqueid: String,
    /// The call the channel belongs to: the `Uniqueid` of its first channel. Empty on Asterisk 11.
    pub linkedid: String,
    pub caller_id_num: String,
    pub caller_id_name: String,
}

/// Device state of a queue member, the `Status` field (0–8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceStatus {
    Unknown,
    NotInUse,
    InUse,
    Busy,
    Invalid,
    Unavailable,
    Ringing,
    RingInUse,
    OnHold,
    /// A value outside 0–8.
    Other(u32),
}

impl DeviceStatus {
    pub fn from_code(code: u32) -> DeviceStatus {
        match code {
            0 => DeviceStatus::Unknown,
            1 => DeviceStatus::NotInUse,
            2 => DeviceStatus::InUse,
            3 => DeviceStatus::Busy,
            4 => DeviceStatus::Invalid,
            5 => DeviceStatus::Unavailable,
            6 => DeviceStatus::Ringing,
            7 => DeviceStatus::RingInUse,
            8 => DeviceStatus::OnHold,
            n => DeviceStatus::Other(n),
        }
    }
}

/// A queue member, from a `QueueMember` reply or a `QueueMember*` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub queue: String,
    /// `MemberName` in events, `Name` in the `QueueMember` reply; the interface when neither is given.
    pub name: String,
    /// `Interface` in events, `Location` in the reply and in Asterisk 11 events: what QueueAdd/QueueRemove/QueuePause
    /// take. Not a channel: it may be `Local/1001@agents/n` or `hint:1001@ext`.
    pub interface: String,
    /// The device whose state drives `status`, e.g. `PJSIP/1001`.
    pub state_interface: String,
    pub penalty: u32,
    pub calls_taken: u32,
    pub in_call: bool,
    pub status: DeviceStatus,
    pub paused: bool,
    /// Why the member is paused (`PausedReason`; 13's `QueueMemberPause` also sent `Reason`). Empty when none.
    pub paused_reason: String,
}

/// The caller and the agent leg of an `Agent*` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentLeg {
    pub queue: String,
    /// The caller's channel (`Channel`, `Uniqueid`, ...).
    pub caller: ChannelRef,
    /// The agent's device channel (`DestChannel`, ...): what ChanSpy, Redirect and Hangup act on.
    pub dest: ChannelRef,
    pub member_name: String,
    /// The member's queue interface (`Interface`), to match it with [`Member::interface`].
    pub interface: String,
}

/// Who ended an answered queue call (`AgentComplete`'s `Reason`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompleteReason {
    Caller,
    Agent,
    Transfer,
    Other(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum AmiEvent {
    /// Snapshot: a queue's settings and counters.
    QueueParams {
        queue: String,
        strategy: String,
        calls: u32,
        /// Average hold time, seconds.
        hold_secs: u32,
        /// Average talk time, seconds.
        talk_secs: u32,
        completed: u32,
        abandoned: u32,
        /// The service level threshold, seconds.
        service_level_secs: u32,
        /// Percent answered within it.
        service_level_perf: f64,
    },
    /// Snapshot: a member of a queue.
    QueueMember(Member),
    /// Snapshot: a caller waiting in a queue.
    QueueEntry {
        queue: String,
        position: u32,
        caller: ChannelRef,
        wait_secs: u32,
    },
    /// Snapshot complete (`ListItems` when Asterisk sends it).
    QueueStatusComplete {
        items: Option<u32>,
    },
    QueueCallerJoin {
        queue: String,
        caller: ChannelRef,
        position: u32,
        count: u32,
    },
    QueueCallerLeave {
        queue: String,
        caller: ChannelRef,
        position: u32,
        count: u32,
    },
    QueueCallerAbandon {
        queue: String,
        caller: ChannelRef,
        position: u32,
        original_position: u32,
        hold_secs: u32,
    },
    AgentCalled(AgentLeg),
    AgentConnect {
        leg: AgentLeg,
        hold_secs: u32,
        ring_secs: u32,
    },
    AgentComplete {
        leg: AgentLeg,
        hold_secs: u32,
        talk_secs: u32,
        reason: CompleteReason,
    },
    AgentRingNoAnswer {
        leg: AgentLeg,
        ring_secs: u32,
    },
    /// The agent hung up while the call rang at it.
    AgentDump(AgentLeg),
    QueueMemberStatus(Member),
    QueueMemberAdded(Member),
    QueueMemberRemoved(Member),
    QueueMemberPause(Member),
    /// Only `queue`, `name`, `interface` and `penalty` are meaningful.
    QueueMemberPenalty(Member),
    Newchannel {
        channel: ChannelRef,
        context: String,
        exten: String,
    },
    Hangup {
        channel: ChannelRef,
        cause: u32,
        cause_txt: String,
    },
    BridgeEnter {
        bridge: String,
        channel: ChannelRef,
    },
    BridgeLeave {
        bridge: String,
        channel: ChannelRef,
    },
    ChanSpyStart {
        spyer: ChannelRef,
        spyee: ChannelRef,
    },
    ChanSpyStop {
        spyer: ChannelRef,
        spyee: ChannelRef,
    },
    Hold {
        channel: ChannelRef,
    },
    Unhold {
        channel: ChannelRef,
    },
    /// Reply to `CoreShowChannels`: one live channel. The bridge reads it after a reconnect to learn which connected
    /// calls are still up (a `QueueStatus` reply lists only waiting callers).
    CoreShowChannel {
        channel: ChannelRef,
    },
    /// The `CoreShowChannels` reply is complete.
    CoreShowChannelsComplete,
    /// An event the bridge does not use.
    Unknown {
        name: String,
    },
    /// A known event without a field it cannot do without.
    Malformed {
        name: String,
        missing: &'static str,
    },
}

impl AmiEvent {
    /// The event's kind, as Asterisk 13+ names it (`Unknown` and `Malformed` for those two).
    pub fn name(&self) -> &'static str {
        match self {
            AmiEvent::QueueParams { .. } => "QueueParams",
            AmiEvent::QueueMember(_) => "QueueMember",
            AmiEvent::QueueEntry { .. } => "QueueEntry",
            AmiEvent::QueueStatusComplete { .. } => "QueueStatusComplete",
            AmiEvent::QueueCallerJoin { .. } => "QueueCallerJoin",
            AmiEvent::QueueCallerLeave { .. } => "QueueCallerLeave",
            AmiEvent::QueueCallerAbandon { .. } => "QueueCallerAbandon",
            AmiEvent::AgentCalled(_) => "AgentCalled",
            AmiEvent::AgentConnect { .. } => "AgentConnect",
            AmiEvent::AgentComplete { .. } => "AgentComplete",
            AmiEvent::AgentRingNoAnswer { .. } => "AgentRingNoAnswer",
            AmiEvent::AgentDump(_) => "AgentDump",
            AmiEvent::QueueMemberStatus(_) => "QueueMemberStatus",
            AmiEvent::QueueMemberAdded(_) => "QueueMemberAdded",
            AmiEvent::QueueMemberRemoved(_) => "QueueMemberRemoved",
            AmiEvent::QueueMemberPause(_) => "QueueMemberPause",
            AmiEvent::QueueMemberPenalty(_) => "QueueMemberPenalty",
            AmiEvent::Newchannel { .. } => "Newchannel",
            AmiEvent::Hangup { .. } => "Hangup",
            AmiEvent::BridgeEnter { .. } => "BridgeEnter",
            AmiEvent::BridgeLeave { .. } => "BridgeLeave",
            AmiEvent::ChanSpyStart { .. } => "ChanSpyStart",
            AmiEvent::ChanSpyStop { .. } => "ChanSpyStop",
            AmiEvent::Hold { .. } => "Hold",
            AmiEvent::Unhold { .. } => "Unhold",
            AmiEvent::CoreShowChannel { .. } => "CoreShowChannel",
            AmiEvent::CoreShowChannelsComplete => "CoreShowChannelsComplete",
            AmiEvent::Unknown { .. } => "Unknown",
            AmiEvent::Malformed { .. } => "Malformed",
        }
    }
}

/// Counters a `source` health line reports.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DecodeStats {
    /// Decoded events by [`AmiEvent::name`] (including `Unknown` and `Malformed`).
    pub by_kind: BTreeMap<&'static str, u64>,
    /// Unknown event names and how often each came, up to [`UNKNOWN_NAMES_KEPT`] names (the rest only counted).
    pub unknown_names: BTreeMap<String, u64>,
    /// Numeric fields that did not parse (read as 0).
    pub bad_numbers: u64,
}

/// How many distinct unknown event names [`DecodeStats`] keeps, so a hostile peer cannot grow it without bound.
pub const UNKNOWN_NAMES_KEPT: usize = 64;

impl DecodeStats {
    pub fn count(&self, kind: &str) -> u64 {
        self.by_kind.get(kind).copied().unwrap_or(0)
    }

    pub fn unknown(&self) -> u64 {
        self.count("Unknown")
    }

    pub fn total(&self) -> u64 {
        self.by_kind.values().sum()
    }
}

/// Turns messages into events and counts what it saw.
#[derive(Debug, Default)]
pub struct Decoder {
    stats: DecodeStats,
}

impl Decoder {
    pub fn new() -> Decoder {
        Decoder::default()
    }

    pub fn stats(&self) -> &DecodeStats {
        &self.stats
    }

    /// The event a message carries; `None` when it is not an event (a response or an echoed action).
    pub fn decode(&mut self, msg: &Message) -> Option<AmiEvent> {
        let MessageKind::Event(name) = msg.kind() else { return None };
        let mut f = Fields { msg, bad_numbers: 0, missing: None };
        let ev = f.event(name);
        let ev = match f.missing {
            Some(missing) => AmiEvent::Malformed { name: name.to_string(), missing },
            None => ev,
        };
        self.stats.bad_numbers += u64::from(f.bad_numbers);
        *self.stats.by_kind.entry(ev.name()).or_insert(0) += 1;
        if let AmiEvent::Unknown { name } = &ev {
            if let Some(n) = self.stats.unknown_names.get_mut(name) {
                *n += 1;
            } else if self.stats.unknown_names.len() < UNKNOWN_NAMES_KEPT {
                self.stats.unknown_names.insert(name.clone(), 1);
            }
        }
        Some(ev)
    }
}

struct ChannelKeys {
    channel: &'static str,
    uniqueid: &'static str,
    linkedid: &'static str,
    num: &'static str,
    name: &'static str,
}

const PLAIN: ChannelKeys = ChannelKeys {
    channel: "Channel",
    uniqueid: "Uniqueid",
    linkedid: "Linkedid",
    num: "CallerIDNum",
    name: "CallerIDName",
};
const DEST: ChannelKeys = ChannelKeys {
    channel: "DestChannel",
    uniqueid: "DestUniqueid",
    linkedid: "DestLinkedid",
    num: "DestCallerIDNum",
    name: "DestCallerIDName",
};
const SPYER: ChannelKeys = ChannelKeys {
    channel: "SpyerChannel",
    uniqueid: "SpyerUniqueid",
    linkedid: "SpyerLinkedid",
    num: "SpyerCallerIDNum",
    name: "SpyerCallerIDName",
};
const SPYEE: ChannelKeys = ChannelKeys {
    channel: "SpyeeChannel",
    uniqueid: "SpyeeUniqueid",
    linkedid: "SpyeeLinkedid",
    num: "SpyeeCallerIDNum",
    name: "SpyeeCallerIDName",
};

/// Field access for one message, remembering the first required field that was missing.
struct Fields<'a> {
    msg: &'a Message,
    bad_numbers: u32,
    missing: Option<&'static str>,
}

impl Fields<'_> {
    fn opt(&self, key: &str) -> String {
        self.msg.get(key).unwrap_or_default().to_string()
    }

    /// The first of `keys` present (for names that differ between versions or between replies and events).
    fn either(&self, keys: &[&str]) -> Option<&str> {
        keys.iter().find_map(|k| self.msg.get(k))
    }

    fn req(&mut self, key: &'static str) -> String {
        match self.msg.get(key) {
            Some(v) if !v.is_empty() => v.to_string(),
            _ => {
                self.missing.get_or_insert(key);
                String::new()
            }
        }
    }

    fn num(&mut self, key: &str) -> u32 {
        match self.msg.get(key) {
            None | Some("") => 0,
            Some(v) => v.parse().unwrap_or_else(|_| {
                self.bad_numbers += 1;
                0
            }),
        }
    }

    fn flag(&mut self, key: &str) -> bool {
        self.num(key) != 0
    }

    fn channel(&mut self, keys: &ChannelKeys) -> ChannelRef {
        let channel = self.msg.get(keys.channel).unwrap_or_default();
        if channel.is_empty() {
            self.missing.get_or_insert(keys.channel);
        }
        ChannelRef {
            channel: channel.to_string(),
            uniqueid: self.opt(keys.uniqueid),
            linkedid: self.opt(keys.linkedid),
            caller_id_num: self.opt(keys.num),
            caller_id_name: self.opt(keys.name),
        }
    }

    fn member(&mut self) -> Member {
        let queue = self.req("Queue");
        let interface = self.either(&["Interface", "Location"]).unwrap_or_default().to_string();
        if interface.is_empty() {
            self.missing.get_or_insert("Interface");
        }
        let name = self.either(&["MemberName", "Name"]).filter(|n| !n.is_empty()).unwrap_or(&interface).to_string();
        let paused_reason = self.either(&["PausedReason", "Reason"]).unwrap_or_default();
        // goami2's capture shows 13's QueueMemberPause with `Reason: <nil>` when no reason was given.
        let paused_reason = if paused_reason == "<nil>" { "" } else { paused_reason }.to_string();
        Member {
            queue,
            name,
            interface,
            state_interface: self.opt("StateInterface"),
            penalty: self.num("Penalty"),
            calls_taken: self.num("CallsTaken"),
            in_call: self.flag("InCall"),
            status: DeviceStatus::from_code(self.num("Status")),
            paused: self.flag("Paused"),
            paused_reason,
        }
    }

    fn leg(&mut self) -> AgentLeg {
        let queue = self.req("Queue");
        let caller = self.channel(&PLAIN);
        let dest = self.channel(&DEST);
        AgentLeg {
            queue,
            caller,
            dest,
            member_name: self.opt("MemberName"),
            interface: self.either(&["Interface", "Member", "AgentCalled"]).unwrap_or_default().to_string(),
        }
    }

    fn event(&mut self, name: &str) -> AmiEvent {
        match name {
            "QueueParams" => AmiEvent::QueueParams {
                queue: self.req("Queue"),
                strategy: self.opt("Strategy"),
                calls: self.num("Calls"),
                hold_secs: self.num("Holdtime"),
                talk_secs: self.num("TalkTime"),
                completed: self.num("Completed"),
                abandoned: self.num("Abandoned"),
                service_level_secs: self.num("ServiceLevel"),
                service_level_perf: self.msg.get("ServicelevelPerf").and_then(|v| v.parse().ok()).unwrap_or(0.0),
            },
            "QueueMember" => AmiEvent::QueueMember(self.member()),
            "QueueEntry" => AmiEvent::QueueEntry {
                queue: self.req("Queue"),
                position: self.num("Position"),
                caller: self.channel(&PLAIN),
                wait_secs: self.num("Wait"),
            },
            "QueueStatusComplete" => {
                AmiEvent::QueueStatusComplete { items: self.msg.get("ListItems").and_then(|v| v.parse().ok()) }
            }
            "QueueCallerJoin" | "Join" => AmiEvent::QueueCallerJoin {
                queue: self.req("Queue"),
                caller: self.channel(&PLAIN),
                position: self.num("Position"),
                count: self.num("Count"),
            },
            "QueueCallerLeave" | "Leave" => AmiEvent::QueueCallerLeave {
                queue: self.req("Queue"),
                caller: self.channel(&PLAIN),
                position: self.num("Position"),
                count: self.num("Count"),
            },
            "QueueCallerAbandon" => AmiEvent::QueueCallerAbandon {
                queue: self.req("Queue"),
                caller: self.channel(&PLAIN),
                position: self.num("Position"),
                original_position: self.num("OriginalPosition"),
                hold_secs: self.num("HoldTime"),
            },
            "AgentCalled" => AmiEvent::AgentCalled(self.leg()),
            "AgentConnect" => {
                let leg = self.leg();
                AmiEvent::AgentConnect { leg, hold_secs: self.num("HoldTime"), ring_secs: self.num("RingTime") }
            }
            "AgentComplete" => {
                let leg = self.leg();
                let reason = match self.msg.get("Reason").unwrap_or_default() {
                    r if r.eq_ignore_ascii_case("caller") => CompleteReason::Caller,
                    r if r.eq_ignore_ascii_case("agent") => CompleteReason::Agent,
                    r if r.eq_ignore_ascii_case("transfer") => CompleteReason::Transfer,
                    r => CompleteReason::Other(r.to_string()),
                };
                AmiEvent::AgentComplete {
                    leg,
                    hold_secs: self.num("HoldTime"),
                    talk_secs: self.num("TalkTime"),
                    reason,
                }
            }
            "AgentRingNoAnswer" => {
                let leg = self.leg();
                AmiEvent::AgentRingNoAnswer { leg, ring_secs: self.num("RingTime") }
            }
            "AgentDump" => AmiEvent::AgentDump(self.leg()),
            "QueueMemberStatus" => AmiEvent::QueueMemberStatus(self.member()),
            "QueueMemberAdded" => AmiEvent::QueueMemberAdded(self.member()),
            "QueueMemberRemoved" => AmiEvent::QueueMemberRemoved(self.member()),
            "QueueMemberPause" | "QueueMemberPaused" => AmiEvent::QueueMemberPause(self.member()),
            "QueueMemberPenalty" => AmiEvent::QueueMemberPenalty(self.member()),
            "Newchannel" => AmiEvent::Newchannel {
                channel: self.channel(&PLAIN),
                context: self.opt("Context"),
                exten: self.opt("Exten"),
            },
            "Hangup" => AmiEvent::Hangup {
                channel: self.channel(&PLAIN),
                cause: self.num("Cause"),
                cause_txt: self.opt("Cause-txt"),
            },
            "BridgeEnter" => {
                AmiEvent::BridgeEnter { bridge: self.req("BridgeUniqueid"), channel: self.channel(&PLAIN) }
            }
            "BridgeLeave" => {
                AmiEvent::BridgeLeave { bridge: self.req("BridgeUniqueid"), channel: self.channel(&PLAIN) }
            }
            "ChanSpyStart" => AmiEvent::ChanSpyStart { spyer: self.channel(&SPYER), spyee: self.channel(&SPYEE) },
            // The spyee may be gone by the time spying stops; Asterisk then leaves its fields out.
            "ChanSpyStop" => {
                let spyer = self.channel(&SPYER);
                let missing = self.missing;
                let spyee = self.channel(&SPYEE);
                self.missing = missing;
                AmiEvent::ChanSpyStop { spyer, spyee }
            }
            "CoreShowChannel" => AmiEvent::CoreShowChannel { channel: self.channel(&PLAIN) },
            "CoreShowChannelsComplete" => AmiEvent::CoreShowChannelsComplete,
            "Hold" => AmiEvent::Hold { channel: self.channel(&PLAIN) },
            "Unhold" => AmiEvent::Unhold { channel: self.channel(&PLAIN) },
            other => AmiEvent::Unknown { name: other.to_string() },
        }
    }
}
