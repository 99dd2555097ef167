//! The bundled simulator as a [`Source`]: it decides who calls and when, how long they talk, what they say, how
//! seats answer, break and leave, and routes calls to seats (the ACD a PBX has of its own). The simulation itself is
//! `impl Ctx<'_, SimSource>` in world.rs, edu.rs, routing.rs and the sim halves of fin.rs, dialect.rs and orders;
//! this is only where the core's hooks land.

use super::SimSource;
use super::orders::{OrderLookups, OrderReply, OrderRequest};
use super::source::{Acted, Ctx, Source};
use crate::model::*;

impl Source for SimSource {
    /// A seat on shift starts available; one whose shift has not begun (or is over) starts offline.
    fn seat_starts(on_shift: bool) -> AgentState {
        if on_shift { AgentState::Available } else { AgentState::Offline }
    }

    fn seat_opened(ctx: &mut Ctx<'_, Self>, id: AgentId, group: usize, on_shift: bool) {
        ctx.seat_opened(id, group, on_shift);
    }

    fn opened(ctx: &mut Ctx<'_, Self>) {
        ctx.schedule_arrival();
        ctx.schedule_seat_plan();
    }

    fn after_event(&mut self, ev: &Event, floor: &Floor) {
        self.routing.after(ev, floor);
    }

    fn next_due(&mut self, t: Time) -> Option<(i64, u64)> {
        self.sched.peek_due(t)
    }

    fn run_next(ctx: &mut Ctx<'_, Self>, t: Time) {
        if let Some((at, fact)) = ctx.src.sched.pop_due(t) {
            if at > ctx.core.now {
                ctx.core.now = at;
            }
            ctx.on_fact(fact);
        }
    }

    /// Every command is carried out on the simulated floor at once.
    fn command(ctx: &mut Ctx<'_, Self>, actor: &Actor, cmd: &Command) -> Result<Acted, CommandError> {
        ctx.decide(actor, cmd).map(Acted::Done)
    }

    fn card_suggested(ctx: &mut Ctx<'_, Self>, call: CallId, index: usize) {
        ctx.card_suggested(call, index);
    }

    fn confirmation_requested(ctx: &mut Ctx<'_, Self>, call: CallId) {
        ctx.schedule_agent_confirm(call);
    }

    fn ticket_opened(ctx: &mut Ctx<'_, Self>, ticket: TicketId) {
        ctx.ticket_opened(ticket);
    }

    fn call_finished(ctx: &mut Ctx<'_, Self>, call: CallId, outcome: CallState) {
        ctx.redial_maybe(call, outcome);
    }

    fn retagged(ctx: &mut Ctx<'_, Self>, call: CallId, lang: Option<Lang>, elderly: Option<bool>) {
        ctx.retag_sim(call, lang, elderly);
    }

    fn drop_call(&mut self, call: CallId) {
        self.calls.remove(&call);
    }

    fn reopens_at_saved_time(&self) -> bool {
        true
    }

    fn restore_seats(ctx: &mut Ctx<'_, Self>, saved: &[(Agent, String)]) {
        ctx.restore_temp_seats(saved);
    }

    fn restore_callbacks(ctx: &mut Ctx<'_, Self>, saved: &[Callback], saved_time: Option<Time>) {
        ctx.restore_callbacks(saved, saved_time);
    }

    fn attach_order_lookups(
        ctx: &mut Ctx<'_, Self>,
    ) -> Option<(OrderLookups, tokio::sync::mpsc::UnboundedReceiver<OrderReply>)> {
        ctx.attach_order_lookups()
    }

    fn take_order_requests(&mut self) -> Vec<OrderRequest> {
        self.order_requests()
    }
}
