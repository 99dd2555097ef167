//! Issue 9's point 8: a caller's orders and deliveries, looked up when their call arrives (from the scenario's order
//! table or an HTTP endpoint of the shop) and shown on the call.

use serde::{Deserialize, Serialize};

/// Orders one call keeps (the newest the lookup gave, in its order); the rest are counted in `more`.
pub const ORDERS_PER_CALL: usize = 20;
/// Characters kept of each text of an order (id, item, carrier, tracking, eta, status).
pub const ORDER_TEXT_CHARS: usize = 120;
/// Characters kept of a failed lookup's reason.
pub const ORDER_REASON_CHARS: usize = 200;

/// Statuses a scenario's order table may use (an endpoint may send others: they are shown as sent).
pub const ORDER_STATUSES: [&str; 8] =
    ["pending", "paid", "shipped", "delivered", "refunding", "refunded", "cancelled", "returned"];

/// Where a floor looks orders up.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderSource {
    /// The scenario's `[[orders.customers]]` table.
    #[default]
    Table,
    /// The HTTP endpoint `[orders] url` names.
    Http,
}

impl OrderSource {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderSource::Table => "table",
            OrderSource::Http => "http",
        }
    }
}

/// One order of a caller, as the order lookup gave it.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Order {
    pub id: String,
    pub item: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// `paid`, `shipped`, `delivered`, `refunding`… (see [`ORDER_STATUSES`]).
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking: Option<String>,
    /// When the delivery is expected, as the shop says it (`2026-01-07`, `today`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eta: Option<String>,
}

impl Order {
    /// The order with every text cut to [`ORDER_TEXT_CHARS`] (an endpoint may send anything).
    pub fn cut(mut self) -> Order {
        for s in [&mut self.id, &mut self.item, &mut self.status] {
            cut_in_place(s, ORDER_TEXT_CHARS);
        }
        for s in [&mut self.currency, &mut self.carrier, &mut self.tracking, &mut self.eta].into_iter().flatten() {
            cut_in_place(s, ORDER_TEXT_CHARS);
        }
        self
    }

    /// Whether the status asks for attention (money going back, or nothing moving).
    pub fn needs_attention(&self) -> bool {
        matches!(self.status.as_str(), "refunding" | "returned" | "cancelled")
    }

    /// The amount as shown: `199.00 CNY`, or nothing.
    pub fn amount_text(&self) -> Option<String> {
        let a = self.amount?;
        Some(match &self.currency {
            Some(c) => format!("{a:.2} {c}"),
            None => format!("{a:.2}"),
        })
    }
}

/// `s` cut to `max` characters, ending in `…` when something was cut.
pub fn cut_in_place(s: &mut String, max: usize) {
    if let Some((end, _)) = s.char_indices().nth(max) {
        s.truncate(end);
        s.push('…');
    }
}

/// What a call shows of the caller's orders.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum CallOrders {
    /// The lookup is under way (an HTTP endpoint answers while the call goes on).
    Pending { source: OrderSource },
    /// The caller's orders (possibly none), at most [`ORDERS_PER_CALL`]; `more` were left out.
    Found {
        source: OrderSource,
        orders: Vec<Order>,
        #[serde(default, skip_serializing_if = "is_zero")]
        more: u32,
    },
    /// The lookup failed: why, in a sentence.
    Failed { reason: String },
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}
