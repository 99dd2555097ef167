//! Scenario key of issue 9's point 8: `[orders]`, where a floor looks up a caller's orders and deliveries: its own
//! table of customers (`[[orders.customers]]`, the default) or an HTTP endpoint of the shop.

use serde::Deserialize;

use crate::model::{Lang, Order, OrderSource};

/// `[orders]`: the floor's order lookup.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrdersSpec {
    /// `table` (the customers below) or `http` (the endpoint `url`).
    #[serde(default)]
    pub source: OrderSource,
    /// For `http`: the endpoint, with `{caller}` where the caller's number goes (percent-encoded), e.g.
    /// `http://orders.example/orders?phone={caller}`.
    #[serde(default)]
    pub url: Option<String>,
    /// For `http`: how long a lookup may take, milliseconds; then it fails with "timed out".
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u32,
    /// For `http`: the name of an environment variable holding a bearer token (the token is never in the file).
    #[serde(default)]
    pub token_env: Option<String>,
    /// Share of arriving callers (0..1) who are one of the customers below, drawn from the seed.
    #[serde(default)]
    pub caller_share: f64,
    /// The shop's customers: the numbers they call from and (for `table`) their orders.
    #[serde(default)]
    pub customers: Vec<CustomerSpec>,
}

/// Default `[orders] timeout_ms`.
pub const ORDERS_TIMEOUT_MS: u32 = 1500;
/// Longest `[orders] timeout_ms`.
pub const ORDERS_TIMEOUT_MS_MAX: u32 = 60_000;

fn default_timeout_ms() -> u32 {
    ORDERS_TIMEOUT_MS
}

/// `[[orders.customers]]`: one customer of the shop.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerSpec {
    /// The number they call from, as a caller number (masked below admin).
    pub number: String,
    /// The language they speak: only callers of this language are this customer. Absent: any.
    #[serde(default)]
    pub lang: Option<Lang>,
    /// Their orders, newest first (`[[orders.customers.orders]]`); read with `source = "table"`.
    #[serde(default)]
    pub orders: Vec<OrderSpec>,
}

/// `[[orders.customers.orders]]`: one order.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderSpec {
    pub id: String,
    pub item: String,
    #[serde(default)]
    pub amount: Option<f64>,
    #[serde(default)]
    pub currency: Option<String>,
    /// One of [`crate::model::ORDER_STATUSES`].
    pub status: String,
    #[serde(default)]
    pub carrier: Option<String>,
    #[serde(default)]
    pub tracking: Option<String>,
    #[serde(default)]
    pub eta: Option<String>,
}

impl OrderSpec {
    pub fn to_order(&self) -> Order {
        Order {
            id: self.id.clone(),
            item: self.item.clone(),
            amount: self.amount,
            currency: self.currency.clone(),
            status: self.status.clone(),
            carrier: self.carrier.clone(),
            tracking: self.tracking.clone(),
            eta: self.eta.clone(),
        }
        .cut()
    }
}
