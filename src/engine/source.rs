//! The Source seam (issue 10): what feeds the floor — the bundled simulator or a PBX bridge — apart from the core
//! that keeps the floor (decide/apply, rules and analysis, alerts, tickets, metrics, audit, the outbox).
//!
//! The engine is `Engine { core: Core, source: AnySource }`. Every engine operation runs on a [`Ctx`]: the core and
//! one source, borrowed side by side. Core code is written once, as `impl<S: Source> Ctx<'_, S>`, and reaches the
//! source only through the hooks of the [`Source`] trait (a seat opened, a card suggested, a ticket opened, a call
//! finished, a command to carry out, the next fact due…); it never asks which source runs. Source code is
//! `impl Ctx<'_, SimSource>` (world.rs, edu.rs, routing.rs, the sim halves of fin.rs, dialect.rs, orders) or
//! `impl Ctx<'_, PbxSource>` (pbx.rs).
//!
//! Why a trait for the hooks and an enum to hold the source, rather than `Box<dyn Source>` or `Engine<S>`: the
//! hooks need the core and the source mutably at once (the simulator emits through the core and draws from its own
//! randomness in one step), which a generic context expresses without `RefCell`s or downcasts, and core code is
//! monomorphised per source (no virtual call on the per-event path). `Engine<S>` would have made every user of the
//! engine (server, CLI, tests) generic for a choice made once at start-up; the enum keeps `Engine` one type, and
//! [`with_ctx!`] is the one place that matches on it.
//!
//! Time: each source keeps the facts it schedules (the simulator's arrivals, lines, breaks…; a PBX none); the core
//! keeps its own timers (the per-second tick, ticket due times). Both draw stamps from one counter in the core, and
//! [`Ctx::advance_to`] runs whichever is due first by (time, stamp), so a seeded run replays exactly as when one
//! scheduler held both.

use super::Core;
use crate::bridge::{CallKey, PbxAction, Roster};
use crate::model::*;

/// The core and the running source, borrowed together: what engine code runs on.
pub(super) struct Ctx<'a, S> {
    pub(super) core: &'a mut Core,
    pub(super) src: &'a mut S,
}

/// What became of a command ([`super::Engine::submit`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Submitted {
    /// Carried out on the floor (and audited).
    Done,
    /// Checked against the floor; the PBX must carry it out. Its audit entry and the client's answer wait for the
    /// PBX: hand the outcome to [`super::Engine::pbx_outcome`].
    Pending(PbxAction),
}

/// What a source did with a command.
pub(super) enum Acted {
    /// Carried out on the floor; the detail goes into the audit entry's `ok` outcome.
    Done(Option<String>),
    /// Checked against the floor; the PBX must carry it out.
    Pending(PbxAction),
}

/// The hooks through which the core reaches whichever source feeds the floor. A hook's default is "nothing to do",
/// which is what a source that does not simulate callers or seats (a PBX) does.
pub(super) trait Source: Sized {
    /// The state a seat opens in, given whether its shift (if any) is on.
    fn seat_starts(on_shift: bool) -> AgentState;

    /// A seat of scenario group `group` was built (before `floor_opened`).
    fn seat_opened(_ctx: &mut Ctx<'_, Self>, _id: AgentId, _group: usize, _on_shift: bool) {}

    /// The floor was opened and its first core timer set.
    fn opened(_ctx: &mut Ctx<'_, Self>) {}

    /// An event was applied to the floor.
    fn after_event(&mut self, _ev: &Event, _floor: &Floor) {}

    /// When the source's next fact due at or before `t` is due (microseconds) and its stamp.
    fn next_due(&mut self, _t: Time) -> Option<(i64, u64)> {
        None
    }

    /// Runs the source's next fact due at or before `t` (the one [`Source::next_due`] named).
    fn run_next(_ctx: &mut Ctx<'_, Self>, _t: Time) {}

    /// Carries out or plans a command whose role was checked.
    fn command(ctx: &mut Ctx<'_, Self>, actor: &Actor, cmd: &Command) -> Result<Acted, CommandError>;

    /// A rule suggested card `index` (of the scenario's) on `call`, and `card_suggested` was emitted.
    fn card_suggested(_ctx: &mut Ctx<'_, Self>, _call: CallId, _index: usize) {}

    /// A second confirmation was requested on `call`.
    fn confirmation_requested(_ctx: &mut Ctx<'_, Self>, _call: CallId) {}

    /// A ticket was opened (and its due timer set).
    fn ticket_opened(_ctx: &mut Ctx<'_, Self>, _ticket: TicketId) {}

    /// A call ended or was abandoned and joined its caller's history.
    fn call_finished(_ctx: &mut Ctx<'_, Self>, _call: CallId, _outcome: CallState) {}

    /// A feeder retagged a live call's language or the caller's age.
    fn retagged(_ctx: &mut Ctx<'_, Self>, _call: CallId, _lang: Option<Lang>, _elderly: Option<bool>) {}

    /// The core forgot `call` (its survey came in): the source drops what it kept of it.
    fn drop_call(&mut self, _call: CallId) {}

    /// Whether a floor continued from a store reopens at the floor time the last run reached (a simulated floor's
    /// time is its own; a PBX floor's is the wall clock).
    fn reopens_at_saved_time(&self) -> bool {
        false
    }

    /// Temporary seats a store kept (see [`super::Engine::resume`]).
    fn restore_seats(_ctx: &mut Ctx<'_, Self>, _saved: &[(Agent, String)]) {}

    /// Callbacks a store kept; `saved_time` is the floor time the store had reached.
    fn restore_callbacks(_ctx: &mut Ctx<'_, Self>, _saved: &[Callback], _saved_time: Option<Time>) {}

    /// What a PBX bridge saw (a source that is not a PBX ignores it).
    fn observe(_ctx: &mut Ctx<'_, Self>, _obs: crate::bridge::Observation) {}

    /// The floor's HTTP order lookups, when the source looks orders up (see [`super::orders`]).
    fn attach_order_lookups(
        _ctx: &mut Ctx<'_, Self>,
    ) -> Option<(super::orders::OrderLookups, tokio::sync::mpsc::UnboundedReceiver<super::orders::OrderReply>)> {
        None
    }

    /// Order lookups to start since the last call.
    fn take_order_requests(&mut self) -> Vec<super::orders::OrderRequest> {
        Vec::new()
    }

    /// Observations dropped because the floor could not apply them.
    fn out_of_order(&self) -> u64 {
        0
    }

    /// The PBX's names of the floor's queues, seats and supervisors' devices.
    fn roster(&self) -> Roster {
        Roster::default()
    }

    /// The floor call a PBX call key stands for.
    fn call_of_key(&self, _key: &CallKey) -> Option<CallId> {
        None
    }
}

/// The source that runs, held by the engine.
pub(super) enum AnySource {
    Sim(Box<super::SimSource>),
    Pbx(Box<super::pbx::PbxSource>),
}

/// Runs `$body` with `$ctx` bound to a [`Ctx`] of `$engine`'s core and its source, whichever it is.
macro_rules! with_ctx {
    ($engine:expr, $ctx:ident => $body:expr) => {
        match &mut $engine.source {
            $crate::engine::source::AnySource::Sim(s) => {
                #[allow(unused_mut)]
                let mut $ctx = $crate::engine::source::Ctx { core: &mut $engine.core, src: &mut **s };
                $body
            }
            $crate::engine::source::AnySource::Pbx(p) => {
                #[allow(unused_mut)]
                let mut $ctx = $crate::engine::source::Ctx { core: &mut $engine.core, src: &mut **p };
                $body
            }
        }
    };
}
pub(super) use with_ctx;

/// Runs `$body` with `$src` bound to the engine's source (read only), whichever it is.
macro_rules! with_source {
    ($engine:expr, $src:ident => $body:expr) => {
        match &$engine.source {
            $crate::engine::source::AnySource::Sim($src) => $body,
            $crate::engine::source::AnySource::Pbx($src) => $body,
        }
    };
}
pub(super) use with_source;
