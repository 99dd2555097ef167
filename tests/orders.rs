//! Issue 9's point 8, orders at hand: a call from one of the shop's customers shows their orders and deliveries.
//! From the scenario's table (seeded, no clock), and from an HTTP endpoint played by a tiny server in the test
//! (found, 404, 503, bad JSON, a server that never answers, more lookups than may run at once), with the engine
//! routing on while a lookup hangs; served over the wire, the answer reaches every mirror, masked below admin.
//! Bad `[orders]` keys are refused with one sentence naming the file and line.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use callfloor::client::{self, ClientConfig, Mirror};
use callfloor::engine::Engine;
use callfloor::engine::orders::{OrderLookups, OrderReply};
use callfloor::engine::server::mask::mask_floor;
use callfloor::engine::server::{self, Pacing, ServerConfig, TokenEntry, Tokens};
use callfloor::engine::sim::scenario::Scenario;
use callfloor::model::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc::{self, UnboundedReceiver};

/// A guard on every wait: a test that waits this long has failed (it never sleeps to synchronise).
const GUARD: Duration = Duration::from_secs(30);

async fn guard<T>(what: &str, f: impl Future<Output = T>) -> T {
    match tokio::time::timeout(GUARD, f).await {
        Ok(v) => v,
        Err(_) => panic!("timed out: {what}"),
    }
}

fn ecommerce_text() -> String {
    match std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/ecommerce-promo.toml")) {
        Ok(t) => t,
        Err(e) => panic!("the bundled ecommerce scenario must be readable: {e}"),
    }
}

/// The ecommerce floor with its `[orders]` table replaced by `orders` (the keys after `[orders]`).
fn ecommerce_with(orders: &str) -> Scenario {
    let text = ecommerce_text().replace("source = \"table\"\ncaller_share = 0.35\n", orders);
    match Scenario::parse(&text, "test scenario") {
        Ok(s) => s,
        Err(e) => panic!("the test scenario must load: {e}"),
    }
}

/// The ecommerce floor asking `http://ADDR/orders?phone={caller}`.
fn http_floor(addr: std::net::SocketAddr, timeout_ms: u32) -> Scenario {
    ecommerce_with(&format!(
        "source = \"http\"\nurl = \"http://{addr}/orders?phone={{caller}}\"\ntimeout_ms = {timeout_ms}\ncaller_share = 0.35\n"
    ))
}

/// How the test's endpoint answers.
#[derive(Clone)]
enum Answer {
    /// Status line and body.
    With(&'static str, String),
    /// Reads the request and never answers.
    Never,
}

/// A tiny HTTP server on a loopback port answering every request the same way; the request lines it saw come
/// over the channel.
async fn endpoint(answer: Answer) -> (std::net::SocketAddr, UnboundedReceiver<String>) {
    let Ok(listener) = TcpListener::bind("127.0.0.1:0").await else { panic!("cannot bind a loopback port") };
    let Ok(addr) = listener.local_addr() else { panic!("no local address") };
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 1024];
            // A TLS hello (first byte 0x16) gets the plain answer at once, as a server that speaks no TLS would.
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.first() != Some(&0x16) {
                match sock.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let request = String::from_utf8_lossy(&buf).lines().next().unwrap_or_default().to_string();
            let _ = tx.send(request);
            match &answer {
                Answer::With(status, body) => {
                    let reply = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = sock.write_all(reply.as_bytes()).await;
                    let _ = sock.shutdown().await;
                }
                // Kept open and silent.
                Answer::Never => held.push(sock),
            }
        }
    });
    (addr, rx)
}

const TWO_ORDERS: &str = r#"{"orders":[
  {"id":"DD1001","item":"蓝牙降噪耳机","amount":399,"currency":"CNY","status":"shipped","carrier":"顺丰速运",
   "tracking":"SF1234567890","eta":"2026-01-07","warehouse":"杭州"},
  {"id":7002,"item":"Air fryer","status":"refunding"}],"page":1}"#;

/// Runs the engine a floor-second at a time until a call asks for its orders; the call.
fn until_requested(engine: &mut Engine) -> CallId {
    for _ in 0..600 {
        let to = engine.now() + chrono::Duration::seconds(1);
        engine.advance_to(to);
        let asked = engine.drain().into_iter().find_map(|e| match e.kind {
            EventKind::OrdersRequested { call, source: OrderSource::Http } => Some(call),
            _ => None,
        });
        if let Some(call) = asked {
            return call;
        }
    }
    panic!("no call asked for its orders in 10 floor-minutes");
}

/// Attaches lookups, runs until a call asks, starts its lookup and waits for the answer; the call and the
/// answer, given to the engine.
async fn one_lookup(answer: Answer, timeout_ms: u32) -> (Engine, CallId, Vec<String>) {
    let (addr, mut seen) = endpoint(answer).await;
    let mut engine = Engine::new(http_floor(addr, timeout_ms), 11);
    let Some((lookups, mut replies)) = engine.attach_order_lookups() else { panic!("an http floor has lookups") };
    let call = until_requested(&mut engine);
    start_all(&mut engine, &lookups);
    let reply = guard("the lookup's answer", replies.recv()).await;
    let Some(reply) = reply else { panic!("the lookups' channel closed") };
    assert_eq!(reply.call, call);
    engine.orders_reply(reply);
    let mut requests = Vec::new();
    while let Ok(r) = seen.try_recv() {
        requests.push(r);
    }
    (engine, call, requests)
}

fn start_all(engine: &mut Engine, lookups: &OrderLookups) {
    for req in engine.take_order_requests() {
        if let Some(reply) = lookups.start(req) {
            engine.orders_reply(reply);
        }
    }
}

fn orders_of(engine: &Engine, call: CallId) -> Option<CallOrders> {
    engine.floor().calls.get(&call).and_then(|c| c.orders.clone())
}

fn failed_reason(engine: &Engine, call: CallId) -> String {
    match orders_of(engine, call) {
        Some(CallOrders::Failed { reason }) => reason,
        other => panic!("the lookup must have failed, the call shows {other:?}"),
    }
}

// ----- the table -----

/// A call that showed orders, its caller, and the orders.
type Shown = (CallId, String, Vec<Order>);

/// Every `orders_found` of a seeded ecommerce morning, with the caller of its call; and every caller.
fn table_run(seed: u64) -> (Vec<Shown>, HashMap<CallId, String>) {
    let Ok(s) = Scenario::load("ecommerce-promo") else { panic!("the bundled ecommerce scenario must load") };
    let mut engine = Engine::new(s, seed);
    let to = engine.now() + chrono::Duration::minutes(40);
    engine.advance_to(to);
    let mut callers = HashMap::new();
    let mut found = Vec::new();
    for e in engine.drain() {
        match e.kind {
            EventKind::CallArrived { call, caller, .. } | EventKind::CallbackDialed { call, caller, .. } => {
                callers.insert(call, caller);
            }
            EventKind::OrdersFound { call, source, orders, more } => {
                assert_eq!((source, more), (OrderSource::Table, 0));
                let caller = callers.get(&call).cloned().unwrap_or_default();
                found.push((call, caller, orders));
            }
            EventKind::OrdersRequested { .. } | EventKind::OrdersFailed { .. } => {
                panic!("a table floor neither asks an endpoint nor fails: {e:?}")
            }
            _ => {}
        }
    }
    (found, callers)
}

#[test]
fn a_known_callers_call_carries_their_orders_from_the_table_and_an_unknown_number_gets_none() {
    let Ok(s) = Scenario::load("ecommerce-promo") else { panic!("the bundled ecommerce scenario must load") };
    let Some(spec) = s.orders.clone() else { panic!("the ecommerce floor has an order table") };
    let table: HashMap<String, Vec<String>> =
        spec.customers.iter().map(|c| (c.number.clone(), c.orders.iter().map(|o| o.id.clone()).collect())).collect();
    let (found, callers) = table_run(7);
    assert!(found.len() >= 20, "many calls show orders on the morning of the sale: {}", found.len());
    for (call, caller, orders) in &found {
        let Some(ids) = table.get(caller) else { panic!("{call} from {caller} got orders but is not in the table") };
        let got: Vec<&String> = orders.iter().map(|o| &o.id).collect();
        assert_eq!(got, ids.iter().collect::<Vec<_>>(), "{call} shows its caller's orders, in the table's order");
    }
    // Callers the table does not hold get nothing, and every customer's call got their orders.
    let with_orders: Vec<CallId> = found.iter().map(|f| f.0).collect();
    let unknown = callers.iter().filter(|(_, n)| !table.contains_key(*n)).count();
    assert!(unknown > 20, "most callers are not customers: {unknown}");
    for (call, number) in &callers {
        assert_eq!(with_orders.contains(call), table.contains_key(number), "{call} from {number}");
    }
    // Seeded: the same morning again shows the same orders on the same calls.
    let (again, _) = table_run(7);
    assert_eq!(found, again);
}

#[test]
fn a_call_shows_its_found_orders_on_the_floor_with_the_more_count_when_the_table_holds_many() {
    // One customer with 25 orders: the call keeps ORDERS_PER_CALL and counts the rest.
    let Ok(s) = Scenario::load("ecommerce-promo") else { panic!("the bundled ecommerce scenario must load") };
    let Some(first) = s.orders.as_ref().and_then(|o| o.customers.first()).map(|c| c.number.clone()) else {
        panic!("the table has customers")
    };
    let many: String =
        (0..25).map(|i| format!("  {{ id = \"X{i:03}\", item = \"保温杯\", status = \"paid\" }},\n")).collect();
    let text = ecommerce_text().replace("source = \"table\"\ncaller_share = 0.35\n", "caller_share = 1.0\n")
        + &format!("\n[[orders.customers]]\nnumber = \"+86 13900000000\"\nlang = \"zh\"\norders = [\n{many}]\n");
    // Every caller is a customer now, the new one among them.
    let Ok(s) = Scenario::parse(&text, "many orders") else { panic!("the scenario with a big customer loads") };
    let mut engine = Engine::new(s, 3);
    let mut seen_many = false;
    for _ in 0..1200 {
        let to = engine.now() + chrono::Duration::seconds(1);
        engine.advance_to(to);
        for e in engine.drain() {
            if let EventKind::OrdersFound { call, orders, more, .. } = e.kind
                && orders.len() == ORDERS_PER_CALL
            {
                assert_eq!(more, 5);
                assert_eq!(orders[0].id, "X000");
                let shown = orders_of(&engine, call);
                if let Some(CallOrders::Found { orders: o, more: m, .. }) = shown {
                    assert_eq!((o.len(), m), (ORDERS_PER_CALL, 5));
                }
                seen_many = true;
            }
        }
        if seen_many {
            break;
        }
    }
    assert!(seen_many, "the customer with 25 orders called ({first} is another customer)");
}

// ----- the HTTP endpoint -----

#[tokio::test]
async fn an_endpoint_that_answers_gives_the_call_its_orders_and_gets_the_number_encoded() {
    let (engine, call, requests) = one_lookup(Answer::With("200 OK", TWO_ORDERS.to_string()), 1500).await;
    let Some(CallOrders::Found { source, orders, more }) = orders_of(&engine, call) else {
        panic!("the call shows its orders: {:?}", orders_of(&engine, call))
    };
    assert_eq!((source, more, orders.len()), (OrderSource::Http, 0, 2));
    assert_eq!(orders[0].item, "蓝牙降噪耳机");
    assert_eq!(orders[0].tracking.as_deref(), Some("SF1234567890"));
    assert_eq!(orders[1].id, "7002", "a numeric id reads as text");
    assert!(orders[1].needs_attention(), "refunding asks for attention");
    let caller = engine.floor().calls.get(&call).map(|c| c.caller.clone()).unwrap_or_default();
    assert_eq!(requests.len(), 1, "{requests:?}");
    let encoded = caller.replace('+', "%2B").replace(' ', "%20");
    assert!(requests[0].starts_with(&format!("GET /orders?phone={encoded} ")), "{requests:?} for {caller}");
}

#[tokio::test]
async fn a_404_means_no_orders_and_a_503_fails_with_the_status_and_host() {
    let (engine, call, _) = one_lookup(Answer::With("404 Not Found", "{}".into()), 1500).await;
    assert!(matches!(orders_of(&engine, call), Some(CallOrders::Found { ref orders, .. }) if orders.is_empty()));

    let (engine, call, _) = one_lookup(Answer::With("503 Service Unavailable", "busy".into()), 1500).await;
    let reason = failed_reason(&engine, call);
    assert!(reason.starts_with("HTTP 503 from 127.0.0.1:"), "{reason}");
}

#[tokio::test]
async fn bad_json_fails_with_where_the_json_went_wrong() {
    let (engine, call, _) = one_lookup(Answer::With("200 OK", "{\"orders\": [{\"id\": }".into()), 1500).await;
    let reason = failed_reason(&engine, call);
    assert!(reason.starts_with("bad JSON from 127.0.0.1:") && reason.contains("line 1 column"), "{reason}");
    let (engine, call, _) = one_lookup(Answer::With("200 OK", "{\"items\": []}".into()), 1500).await;
    let reason = failed_reason(&engine, call);
    assert!(reason.contains("missing field `orders`"), "{reason}");
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_with_the_scenarios_timeout() {
    let (engine, call, _) = one_lookup(Answer::Never, 200).await;
    let reason = failed_reason(&engine, call);
    assert!(reason.starts_with("timed out after 0.2 s: 127.0.0.1:"), "{reason}");
}

#[tokio::test]
async fn the_engine_routes_on_while_a_lookup_hangs_and_lookups_past_the_limit_fail_busy() {
    let (addr, _seen) = endpoint(Answer::Never).await;
    let mut engine = Engine::new(http_floor(addr, 30_000), 5);
    let Some((lookups, _replies)) = engine.attach_order_lookups() else { panic!("an http floor has lookups") };
    let first = until_requested(&mut engine);
    start_all(&mut engine, &lookups);
    assert_eq!(lookups.in_flight(), 1);
    // Ten floor-minutes on: calls are answered and end while the first lookup still hangs.
    let mut answered = 0;
    let mut asked = vec![first];
    for _ in 0..600 {
        let to = engine.now() + chrono::Duration::seconds(1);
        engine.advance_to(to);
        for e in engine.drain() {
            match e.kind {
                EventKind::CallAnswered { .. } => answered += 1,
                EventKind::OrdersRequested { call, .. } => asked.push(call),
                _ => {}
            }
        }
        start_all(&mut engine, &lookups);
    }
    assert!(answered >= 20, "the engine routed while the lookup hung: {answered} calls answered");
    assert_eq!(lookups.in_flight(), 8, "eight lookups hang at once, no more");
    // Past the eighth, every lookup failed at once with "lookup busy" (those whose call is still on the floor show it).
    let busy = asked[8..]
        .iter()
        .filter_map(|c| orders_of(&engine, *c))
        .filter(|o| matches!(o, CallOrders::Failed { reason } if reason.starts_with("lookup busy: 8 lookups")))
        .count();
    let live_after_eighth = asked[8..].iter().filter(|c| engine.floor().calls.contains_key(c)).count();
    assert!(asked.len() > 9, "more callers asked: {}", asked.len());
    assert_eq!(busy, live_after_eighth, "every later call still on the floor shows lookup busy");
    // The hanging ones still show looking up.
    let pending = asked[..8]
        .iter()
        .filter_map(|c| orders_of(&engine, *c))
        .all(|o| matches!(o, CallOrders::Pending { source: OrderSource::Http }));
    assert!(pending);
}

#[tokio::test]
async fn an_answer_for_a_call_that_left_the_floor_changes_nothing() {
    let (addr, _seen) = endpoint(Answer::Never).await;
    let mut engine = Engine::new(http_floor(addr, 30_000), 5);
    let Some(_lookups) = engine.attach_order_lookups() else { panic!("an http floor has lookups") };
    let call = until_requested(&mut engine);
    let seq = engine.floor().seq;
    engine.orders_reply(OrderReply { call: CallId(1), result: Ok(Vec::new()) });
    assert_eq!(engine.floor().seq, seq, "no call C-1: nothing happens");
    engine.orders_reply(OrderReply { call, result: Err("HTTP 500 from x".into()) });
    engine.orders_reply(OrderReply { call, result: Ok(Vec::new()) });
    assert_eq!(engine.floor().seq, seq + 1, "only the first answer counts");
    assert_eq!(failed_reason(&engine, call), "HTTP 500 from x");
}

#[test]
fn an_engine_without_lookups_attached_asks_no_endpoint() {
    // A headless run of an http floor: calls arrive, nobody is asked, nothing shows.
    let s =
        ecommerce_with("source = \"http\"\nurl = \"http://127.0.0.1:9/orders?phone={caller}\"\ncaller_share = 0.35\n");
    let mut engine = Engine::new(s, 2);
    let to = engine.now() + chrono::Duration::minutes(10);
    engine.advance_to(to);
    assert!(engine.take_order_requests().is_empty());
    assert!(engine.floor().calls.values().all(|c| c.orders.is_none()));
}

#[tokio::test]
async fn served_the_answer_reaches_every_mirror_masked_below_admin() {
    let body = r#"{"orders":[{"id":"DD1","item":"回电 13912345678 的耳机","status":"shipped","tracking":"SF99"}]}"#;
    let (addr, _seen) = endpoint(Answer::With("200 OK", body.to_string())).await;
    let e = |name: &str, token: &str, role| TokenEntry { name: name.into(), token: token.into(), role };
    let tokens = Tokens::from_entries(vec![
        e("ana", "supervisor-token-0001", Role::Supervisor),
        e("root", "admin-token-00000001", Role::Admin),
    ]);
    let Ok(listener) = TcpListener::bind("127.0.0.1:0").await else { panic!("cannot bind a loopback port") };
    let mut cfg = ServerConfig::new(tokens, Pacing::Manual);
    cfg.limits.queue_frames = 4096;
    let srv = match server::serve(listener, Engine::new(http_floor(addr, 1500), 4), cfg).await {
        Ok(s) => s,
        Err(e) => panic!("the server must start: {e:#}"),
    };
    let url = srv.url();
    let (mut sup_rx, _sup_tx) = client::spawn(ClientConfig::new(&url, "supervisor-token-0001"));
    let (mut admin_rx, _admin_tx) = client::spawn(ClientConfig::new(&url, "admin-token-00000001"));
    let Ok(_) = guard("advance", srv.advance(chrono::Duration::seconds(120), chrono::Duration::seconds(1))).await
    else {
        panic!("advance failed")
    };
    // The hub gives each answer to the engine as it comes: wait until the supervisor's mirror shows one.
    let mut sup = Mirror::default();
    let found =
        |m: &Mirror| m.floor.calls.values().find(|c| matches!(c.orders, Some(CallOrders::Found { .. }))).map(|c| c.id);
    while found(&sup).is_none() {
        let Some(u) = guard("an update", sup_rx.recv()).await else { panic!("the client stopped") };
        sup.apply(&u, std::time::Instant::now());
    }
    let Some(call) = found(&sup) else { panic!() };
    let floor = match guard("floor", srv.floor()).await {
        Ok(f) => f,
        Err(e) => panic!("the engine must answer: {e:#}"),
    };
    let mut admin = Mirror::default();
    while !(admin.is_live() && admin.seq() >= floor.seq) {
        let Some(u) = guard("an update", admin_rx.recv()).await else { panic!("the client stopped") };
        admin.apply(&u, std::time::Instant::now());
    }
    while sup.seq() < floor.seq {
        let Some(u) = guard("an update", sup_rx.recv()).await else { panic!("the client stopped") };
        sup.apply(&u, std::time::Instant::now());
    }
    assert!(admin.floor == floor, "the admin's mirror equals the engine");
    assert!(sup.floor == mask_floor(&floor), "the supervisor's mirror equals the masked floor");
    let item = |f: &Floor| match f.calls.get(&call).and_then(|c| c.orders.clone()) {
        Some(CallOrders::Found { orders, .. }) => orders[0].item.clone(),
        other => panic!("{call} shows its orders: {other:?}"),
    };
    assert!(item(&floor).contains("13912345678"));
    assert!(!item(&sup.floor).contains("13912345678") && item(&sup.floor).contains('*'), "{}", item(&sup.floor));
    let tracking = match sup.floor.calls.get(&call).and_then(|c| c.orders.clone()) {
        Some(CallOrders::Found { orders, .. }) => orders[0].tracking.clone(),
        _ => None,
    };
    assert_eq!(tracking.as_deref(), Some("SF99"), "tracking numbers are shown whole");
    drop(srv);
}

// ----- scenario validation -----

fn refused(orders: &str) -> (String, Option<usize>, usize) {
    let text = ecommerce_text().replace("source = \"table\"\ncaller_share = 0.35\n", orders);
    let at = text.find("[orders]").map(|i| text[..i].lines().count() + 1).unwrap_or(0);
    match Scenario::parse(&text, "shop.toml") {
        Ok(_) => panic!("a bad [orders] must be refused: {orders}"),
        Err(e) => (e.to_string(), e.line, at),
    }
}

#[test]
fn a_bad_orders_table_is_refused_with_one_sentence_naming_the_file_and_line() {
    let (msg, line, at) = refused("source = \"http\"\n");
    assert_eq!(line, Some(at + 1), "{msg}");
    assert!(msg.starts_with(&format!("shop.toml, line {}: [orders] source = \"http\" needs the endpoint", at + 1)));

    let (msg, line, at) = refused("source = \"http\"\nurl = \"http://orders.example/orders\"\n");
    assert_eq!(line, Some(at + 2), "{msg}");
    assert!(msg.contains("has no {caller}"), "{msg}");

    let (msg, line, at) = refused("source = \"http\"\nurl = \"ftp://x/{caller}\"\n");
    assert_eq!(line, Some(at + 2));
    assert!(msg.contains("must start with http:// or https://"), "{msg}");

    let (msg, _, _) = refused("url = \"http://x/{caller}\"\n");
    assert!(msg.contains("url is read only with source = \"http\""), "{msg}");

    let (msg, _, _) = refused("source = \"http\"\nurl = \"http://x/{caller}\"\ntoken_env = \"Bearer abc.def\"\n");
    assert!(msg.contains("is not an environment variable name"), "{msg}");

    let (msg, _, _) = refused("source = \"http\"\nurl = \"http://x/{caller}\"\ntimeout_ms = 0\n");
    assert!(msg.contains("timeout_ms = 0 is outside 1..60000"), "{msg}");

    let (msg, _, _) = refused("source = \"carrier-pigeon\"\n");
    assert!(msg.contains("carrier-pigeon") && msg.contains("line"), "{msg}");
}

#[test]
fn an_order_with_an_unknown_status_is_refused_at_its_line() {
    let text = ecommerce_text().replacen("status = \"shipped\"", "status = \"lost\"", 1);
    let line = text.lines().position(|l| l.contains("status = \"lost\"")).map(|i| i + 1);
    match Scenario::parse(&text, "shop.toml") {
        Ok(_) => panic!("an unknown status must be refused"),
        Err(e) => {
            assert_eq!(e.line, line, "{e}");
            let msg = e.to_string();
            assert!(
                msg.contains("status = \"lost\", which is not a status: use one of pending, paid, shipped"),
                "{msg}"
            );
        }
    }
}

#[tokio::test]
async fn an_https_url_to_a_plain_server_fails_on_tls_without_the_callers_number_in_the_reason() {
    let (addr, _seen) = endpoint(Answer::With("200 OK", TWO_ORDERS.to_string())).await;
    let s = ecommerce_with(&format!(
        "source = \"http\"\nurl = \"https://{addr}/orders?phone={{caller}}\"\ntimeout_ms = 5000\ncaller_share = 0.35\n"
    ));
    let mut engine = Engine::new(s, 11);
    let Some((lookups, mut replies)) = engine.attach_order_lookups() else { panic!("an http floor has lookups") };
    let call = until_requested(&mut engine);
    start_all(&mut engine, &lookups);
    let Some(reply) = guard("the lookup's answer", replies.recv()).await else { panic!("the channel closed") };
    engine.orders_reply(reply);
    let reason = failed_reason(&engine, call);
    let caller = engine.floor().calls.get(&call).map(|c| c.caller.clone()).unwrap_or_default();
    let digits: String = caller.chars().filter(char::is_ascii_digit).collect();
    assert!(reason.starts_with(&format!("TLS with {addr} failed: ")), "{reason}");
    assert!(!reason.contains(&digits) && !reason.contains("phone="), "{reason}");
}
