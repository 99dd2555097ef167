//! The HTTP order lookup: `GET [orders] url` with the caller's number, on a thread of its own per lookup (at most
//! [`ORDER_LOOKUPS_IN_FLIGHT`] at once), with the scenario's timeout; the answer goes back over a channel to whoever
//! runs the engine. The documented JSON is in docs/ORDERS.md.
//!
//! ureq (blocking, rustls with ring, no other features) keeps this small: a lookup is one GET that already runs off
//! the engine's thread, so an async client would add a runtime's worth of machinery for nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde::Deserialize;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use crate::engine::sim::scenario::OrdersSpec;
use crate::model::{CallId, Order};

/// Lookups running at once; one more fails at once with "lookup busy".
pub const ORDER_LOOKUPS_IN_FLIGHT: usize = 8;
/// Largest answer read from the endpoint, bytes.
pub const ORDER_BODY_MAX: u64 = 256 * 1024;

/// A lookup to start: the call, and the number to look up (it leaves the engine only to the endpoint).
#[derive(Debug, Clone, PartialEq)]
pub struct OrderRequest {
    pub call: CallId,
    pub caller: String,
}

/// What the endpoint said about a call's caller: their orders, or why there are none to show.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderReply {
    pub call: CallId,
    pub result: Result<Vec<Order>, String>,
}

/// Runs HTTP lookups for one floor. Cheap to clone (clones share the in-flight count).
#[derive(Clone)]
pub struct OrderLookups {
    agent: ureq::Agent,
    url: String,
    host: String,
    timeout: Duration,
    /// The bearer token, or why it is missing (a named variable that is not set).
    token: Result<Option<String>, String>,
    in_flight: Arc<AtomicUsize>,
    tx: UnboundedSender<OrderReply>,
}

impl std::fmt::Debug for OrderLookups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrderLookups").field("host", &self.host).field("timeout", &self.timeout).finish_non_exhaustive()
    }
}

impl OrderLookups {
    /// Lookups for `[orders]` (with a url), and the receiver their answers come to.
    pub(super) fn new(spec: &OrdersSpec) -> Option<(OrderLookups, UnboundedReceiver<OrderReply>)> {
        let url = spec.url.clone()?;
        let timeout = Duration::from_millis(u64::from(spec.timeout_ms.max(1)));
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .max_redirects(3)
            .user_agent(format!("callfloor/{}", env!("CARGO_PKG_VERSION")))
            .build();
        let token = match &spec.token_env {
            None => Ok(None),
            Some(name) => match std::env::var(name) {
                Ok(t) if !t.trim().is_empty() => Ok(Some(t.trim().to_string())),
                _ => Err(format!("no token: {name} ([orders] token_env) is not set where the engine runs")),
            },
        };
        let (tx, rx) = unbounded_channel();
        let lookups = OrderLookups {
            agent: config.into(),
            host: host_of(&url),
            url,
            timeout,
            token,
            in_flight: Arc::new(AtomicUsize::new(0)),
            tx,
        };
        Some((lookups, rx))
    }

    /// Lookups under way.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    /// Starts a lookup on a thread of its own; its answer comes over the channel. A lookup that cannot start
    /// (too many under way, no token) is answered here instead: give that answer to the engine.
    pub fn start(&self, req: OrderRequest) -> Option<OrderReply> {
        let token = match &self.token {
            Ok(t) => t.clone(),
            Err(why) => return Some(OrderReply { call: req.call, result: Err(why.clone()) }),
        };
        let taken = self
            .in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < ORDER_LOOKUPS_IN_FLIGHT).then_some(n + 1));
        if taken.is_err() {
            let why = format!("lookup busy: {ORDER_LOOKUPS_IN_FLIGHT} lookups at {} under way already", self.host);
            return Some(OrderReply { call: req.call, result: Err(why) });
        }
        let me = self.clone();
        let call = req.call;
        let spawned = std::thread::Builder::new().name("callfloor-orders".into()).spawn(move || {
            let result = me.fetch(&req.caller, token.as_deref());
            me.in_flight.fetch_sub(1, Ordering::AcqRel);
            // The engine may have stopped: nobody to tell then.
            let _ = me.tx.send(OrderReply { call: req.call, result });
        });
        match spawned {
            Ok(_) => None,
            Err(e) => {
                self.in_flight.fetch_sub(1, Ordering::AcqRel);
                Some(OrderReply { call, result: Err(format!("lookup busy: cannot start a lookup thread ({e})")) })
            }
        }
    }

    /// One GET: the orders, or a sentence saying why not. A 404 means the shop does not know the number: no orders.
    fn fetch(&self, caller: &str, token: Option<&str>) -> Result<Vec<Order>, String> {
        let url = self.url.replace("{caller}", &percent_encode(caller));
        let mut req = self.agent.get(&url).header("Accept", "application/json");
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        let mut resp = req.call().map_err(|e| self.describe(e))?;
        let status = resp.status().as_u16();
        if status == 404 {
            return Ok(Vec::new());
        }
        if !(200..300).contains(&status) {
            return Err(format!("HTTP {status} from {}", self.host));
        }
        let body =
            resp.body_mut().with_config().limit(ORDER_BODY_MAX).read_to_string().map_err(|e| self.describe(e))?;
        parse_orders(&body).map_err(|e| format!("bad JSON from {}: {e}", self.host))
    }

    /// A failed request in a sentence (never with the URL: it holds the caller's number).
    fn describe(&self, e: ureq::Error) -> String {
        let host = &self.host;
        match e {
            ureq::Error::Timeout(_) => {
                format!("timed out after {} s: {host} did not answer", self.timeout.as_millis() as f64 / 1000.0)
            }
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
                format!("timed out after {} s: {host} did not answer", self.timeout.as_millis() as f64 / 1000.0)
            }
            // rustls reports a broken handshake as invalid data on the socket.
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::InvalidData && self.url.starts_with("https://") => {
                format!("TLS with {host} failed: {io}")
            }
            ureq::Error::Io(io) => format!("cannot reach {host}: {io}"),
            ureq::Error::HostNotFound => format!("cannot find the host {host}"),
            ureq::Error::ConnectionFailed => format!("cannot connect to {host}"),
            ureq::Error::BodyExceedsLimit(n) => format!("the answer from {host} is over {} KiB", n / 1024),
            ureq::Error::BadUri(_) => format!("the [orders] url does not make a valid address for {host}"),
            ureq::Error::Tls(m) => format!("TLS with {host} failed: {m}"),
            ureq::Error::Rustls(r) => format!("TLS with {host} failed: {r}"),
            other => format!("the lookup at {host} failed: {other}"),
        }
    }
}

/// The endpoint's answer: `{"orders": [...]}`; fields it does not know are ignored.
#[derive(Deserialize)]
struct Wire {
    orders: Vec<WireOrder>,
}

#[derive(Deserialize)]
struct WireOrder {
    id: StrOrNum,
    item: String,
    #[serde(default)]
    amount: Option<f64>,
    #[serde(default)]
    currency: Option<String>,
    status: String,
    #[serde(default)]
    carrier: Option<String>,
    #[serde(default)]
    tracking: Option<String>,
    #[serde(default)]
    eta: Option<String>,
}

/// An order id as a JSON string or number.
#[derive(Deserialize)]
#[serde(untagged)]
enum StrOrNum {
    S(String),
    N(serde_json::Number),
}

/// Orders in the documented JSON (see docs/ORDERS.md).
pub fn parse_orders(body: &str) -> Result<Vec<Order>, serde_json::Error> {
    let wire: Wire = serde_json::from_str(body)?;
    Ok(wire
        .orders
        .into_iter()
        .map(|o| Order {
            id: match o.id {
                StrOrNum::S(s) => s,
                StrOrNum::N(n) => n.to_string(),
            },
            item: o.item,
            amount: o.amount,
            currency: o.currency,
            status: o.status,
            carrier: o.carrier,
            tracking: o.tracking,
            eta: o.eta,
        })
        .collect())
}

/// The host (and port) of a URL, for messages: `orders.example`, `127.0.0.1:8080`.
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    authority.rsplit_once('@').map_or(authority, |(_, h)| h).to_string()
}

/// `s` with everything but unreserved characters percent-encoded (`+86 138…` → `%2B86%20138…`).
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_goes_into_the_url_encoded_and_messages_name_only_the_host() {
        assert_eq!(percent_encode("+86 138-0000"), "%2B86%20138-0000");
        assert_eq!(host_of("https://user:pw@orders.example:8443/o?phone={caller}"), "orders.example:8443");
        assert_eq!(host_of("http://127.0.0.1:9/orders"), "127.0.0.1:9");
    }

    #[test]
    fn the_documented_json_reads_with_unknown_fields_and_numeric_ids() {
        let body = r#"{"orders":[{"id":1001,"item":"耳机","amount":199,"currency":"CNY","status":"shipped",
            "carrier":"SF","tracking":"SF123","eta":"2026-01-07","gift_wrap":true}],"next":null}"#;
        let orders = parse_orders(body).unwrap_or_default();
        assert_eq!(orders.len(), 1);
        assert_eq!(orders[0].id, "1001");
        assert_eq!(orders[0].amount_text().as_deref(), Some("199.00 CNY"));
        let bad = parse_orders("{\"orders\": [1,").map(|_| ()).map_err(|e| e.to_string());
        assert!(bad.is_err_and(|e| e.contains("line 1 column")));
    }
}
