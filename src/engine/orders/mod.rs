//! Issue 9's point 8 in the engine: a call from a known number shows the caller's orders and deliveries.
//!
//! With `[orders] source = "table"` the lookup is the scenario's table: synchronous, cheap, and needs no clock, so
//! seeded runs stay reproducible. With `source = "http"` the engine never waits: an arriving call gets
//! `orders_requested` and joins a request list that whoever runs the engine (the server's hub, a local feed) hands
//! to an [`http::OrderLookups`]; the answer comes back, whenever it comes, through [`Engine::orders_reply`] as
//! `orders_found` or `orders_failed`. An engine nobody attached lookups to (a headless run) asks no endpoint.
//!
//! A PBX bridge may send the same three events from its own CRM lookup.

pub mod http;

use std::collections::HashMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::SimSource;
use super::sim::scenario::OrdersSpec;
use super::source::{Ctx, Source};
use crate::model::*;

pub use http::{OrderLookups, OrderReply, OrderRequest};

/// Seeds the draws of which callers are customers apart from the main stream (xor with the run's seed).
const ORDERS_SEED: u64 = 0x0000_04de_5000_0000;

/// The engine's side of the order lookup.
pub(super) struct Orders {
    rng: ChaCha8Rng,
    /// Customer index by number: their orders (table source) and how many the table left out.
    table: HashMap<String, (Vec<Order>, u32)>,
    /// For each language, the customers' numbers a caller of it may be (customers without a language are in both).
    numbers: [Vec<String>; 2],
    /// HTTP lookups to start, oldest first (only while someone runs them).
    requests: Vec<OrderRequest>,
    attached: bool,
}

impl Orders {
    pub(super) fn new(spec: Option<&OrdersSpec>, seed: u64) -> Orders {
        let mut table = HashMap::new();
        let mut numbers: [Vec<String>; 2] = [Vec::new(), Vec::new()];
        if let Some(spec) = spec {
            for c in &spec.customers {
                let all: Vec<Order> = c.orders.iter().map(|o| o.to_order()).collect();
                let more = all.len().saturating_sub(ORDERS_PER_CALL) as u32;
                table.insert(c.number.clone(), (all.into_iter().take(ORDERS_PER_CALL).collect(), more));
                for (i, l) in [Lang::Zh, Lang::En].into_iter().enumerate() {
                    if c.lang.is_none_or(|x| x == l) {
                        numbers[i].push(c.number.clone());
                    }
                }
            }
        }
        Orders {
            rng: ChaCha8Rng::seed_from_u64(seed ^ ORDERS_SEED),
            table,
            numbers,
            requests: Vec::new(),
            attached: false,
        }
    }
}

impl Ctx<'_, SimSource> {
    /// For an arriving caller of `lang`: with `[orders] caller_share`, the number of one of the shop's customers.
    /// Draws from its own stream, so floors without customers run as before.
    pub(super) fn pick_customer(&mut self, lang: Lang) -> Option<String> {
        let share = self.core.scenario.orders.as_ref().map_or(0.0, |o| o.caller_share);
        if share <= 0.0 {
            return None;
        }
        let o = &mut self.src.orders;
        let numbers = &o.numbers[usize::from(lang == Lang::En)];
        if numbers.is_empty() || !o.rng.random_bool(share.clamp(0.0, 1.0)) {
            return None;
        }
        numbers.get(o.rng.random_range(0..numbers.len())).cloned()
    }

    /// A call arrived: look up the caller's orders. The table answers at once (a number it does not hold gets
    /// nothing); an endpoint is asked for every caller, without waiting.
    pub(super) fn look_up_orders(&mut self, call: CallId) {
        let Some(spec) = &self.core.scenario.orders else { return };
        let Some(caller) = self.core.calls.get(&call).map(|c| &c.caller) else { return };
        match spec.source {
            OrderSource::Table => {
                let Some((orders, more)) = self.src.orders.table.get(caller) else { return };
                let (orders, more) = (orders.clone(), *more);
                self.emit(EventKind::OrdersFound { call, source: OrderSource::Table, orders, more });
            }
            OrderSource::Http => {
                if !self.src.orders.attached {
                    return;
                }
                let caller = caller.clone();
                self.src.orders.requests.push(OrderRequest { call, caller });
                self.emit(EventKind::OrdersRequested { call, source: OrderSource::Http });
            }
        }
    }

    /// The floor's HTTP order lookups, for whoever runs this engine: from now on arriving calls ask the endpoint
    /// (hand [`Engine::take_order_requests`] to [`OrderLookups::start`], and answers to [`Engine::orders_reply`]).
    /// `None` when the scenario looks orders up in its table or not at all.
    pub(in crate::engine) fn attach_order_lookups(
        &mut self,
    ) -> Option<(OrderLookups, tokio::sync::mpsc::UnboundedReceiver<OrderReply>)> {
        let spec = self.core.scenario.orders.as_ref().filter(|o| o.source == OrderSource::Http)?;
        let lookups = OrderLookups::new(spec)?;
        self.src.orders.attached = true;
        Some(lookups)
    }
}

impl<S: Source> Ctx<'_, S> {
    /// An answer from the order endpoint: `orders_found` or `orders_failed` on the call, if it is still on the floor
    /// and still waiting for it.
    pub(in crate::engine) fn orders_reply(&mut self, reply: OrderReply) {
        let waiting = self
            .core
            .floor
            .calls
            .get(&reply.call)
            .is_some_and(|c| matches!(c.orders, Some(CallOrders::Pending { .. })));
        if !waiting {
            return;
        }
        let call = reply.call;
        match reply.result {
            Ok(mut orders) => {
                let more = orders.len().saturating_sub(ORDERS_PER_CALL) as u32;
                orders.truncate(ORDERS_PER_CALL);
                let orders = orders.into_iter().map(Order::cut).collect();
                self.emit(EventKind::OrdersFound { call, source: OrderSource::Http, orders, more });
            }
            Err(mut reason) => {
                cut_in_place(&mut reason, ORDER_REASON_CHARS);
                self.emit(EventKind::OrdersFailed { call, reason });
            }
        }
    }
}

impl super::Engine {
    /// The floor's HTTP order lookups, for whoever runs this engine: from now on arriving calls ask the endpoint
    /// (hand [`super::Engine::take_order_requests`] to [`OrderLookups::start`], and answers to
    /// [`super::Engine::orders_reply`]). `None` when the scenario looks orders up in its table or not at all, and on
    /// a PBX floor (a bridge sends its own CRM's answers).
    pub fn attach_order_lookups(&mut self) -> Option<(OrderLookups, tokio::sync::mpsc::UnboundedReceiver<OrderReply>)> {
        super::source::with_ctx!(self, ctx => Source::attach_order_lookups(&mut ctx))
    }

    /// HTTP lookups to start since the last call, oldest first.
    pub fn take_order_requests(&mut self) -> Vec<OrderRequest> {
        super::source::with_ctx!(self, ctx => ctx.src.take_order_requests())
    }

    /// An answer from the order endpoint: `orders_found` or `orders_failed` on the call, if it is still on the floor
    /// and still waiting for it.
    pub fn orders_reply(&mut self, reply: OrderReply) {
        super::source::with_ctx!(self, ctx => ctx.orders_reply(reply));
    }
}

impl SimSource {
    /// HTTP lookups to start since the last call, oldest first.
    pub(in crate::engine) fn order_requests(&mut self) -> Vec<OrderRequest> {
        std::mem::take(&mut self.orders.requests)
    }
}
