//! The console on the ecommerce floor: a call from one of the shop's customers shows an Orders box on its page
//! (order id, status, item, amount, carrier and tracking, eta; `+N more` past what fits), the calls list flags it
//! (`O`), and a failed lookup shows why in the warning colour.

mod console_support;

use callfloor::console::app::{App, View};
use callfloor::console::theme::S;
use callfloor::engine::Engine;
use callfloor::engine::sim::scenario::Scenario;
use callfloor::local::LocalFeed;
use callfloor::model::*;
use console_support::*;

/// The ecommerce floor, seed 7, 20 floor-minutes in, seen by a supervisor.
fn shop(scenario: Scenario) -> (LocalFeed, App) {
    let mut engine = Engine::new(scenario, 7);
    let to = engine.now() + chrono::Duration::minutes(20);
    engine.advance_to(to);
    engine.discard_outbox();
    let mut feed = LocalFeed::with_role(engine, Role::Supervisor);
    feed.attach_order_lookups();
    let app = attach(&mut feed);
    (feed, app)
}

fn open_call(app: &mut App, call: CallId) {
    press(app, ":");
    type_text(app, &format!("call {call}"));
    press(app, "enter");
    assert_eq!(app.view, View::Call);
}

/// A live, answered call whose caller has at least `n` orders.
fn with_orders(f: &Floor, n: usize) -> Option<CallId> {
    f.calls
        .values()
        .filter(|c| c.state == CallState::Connected)
        .find(|c| matches!(&c.orders, Some(CallOrders::Found { orders, .. }) if orders.len() >= n))
        .map(|c| c.id)
}

#[test]
fn a_customers_call_page_shows_their_orders_compactly_at_80x24() {
    let Ok(s) = Scenario::load("ecommerce-promo") else { panic!("the bundled ecommerce scenario must load") };
    let (mut feed, mut app) = shop(s);
    watch_until(&mut app, &mut feed, "a connected customer with 3 orders or more", |f| with_orders(f, 3).is_some());
    let Some(call) = with_orders(app.floor(), 3) else { panic!() };
    let Some(CallOrders::Found { orders, .. }) = app.floor().calls.get(&call).and_then(|c| c.orders.clone()) else {
        panic!()
    };
    // The calls list flags the call.
    press(&mut app, "2");
    app.refresh_all();
    let shown = rows(&draw(&app, 160, 48));
    if let Some(row) = shown.iter().find(|r| has_word(r, &call.to_string()).is_some()) {
        assert!(row.split_whitespace().any(|w| w.contains('O') && w.len() <= 8), "the O flag: {row}");
    }
    open_call(&mut app, call);
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("call_orders_80x24", draw(&app, 80, 24).backend().to_string());
    });
    let screen = rows(&draw(&app, 80, 24)).join("\n");
    // Two orders fit at 80x24, the rest are counted; a taller page shows four.
    assert!(screen.contains(&format!("Orders: {} (table) · +{} more", orders.len(), orders.len() - 2)), "{screen}");
    for o in &orders[..2] {
        assert!(screen.contains(&format!("{} {}", o.id, o.status)), "{} is listed:\n{screen}", o.id);
    }
    assert!(!screen.contains(&orders[2].id), "the third order is only counted at 80x24");
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("call_orders_160x48", draw(&app, 160, 48).backend().to_string());
    });
    let tall = rows(&draw(&app, 160, 48)).join("\n");
    for o in orders.iter().take(4) {
        assert!(tall.contains(&o.id), "{} is listed at 160x48:\n{tall}", o.id);
    }
}

#[test]
fn a_failed_lookup_shows_why_in_the_warning_colour() {
    // An endpoint whose token variable is not set: every lookup fails at once, without a network.
    let text = match std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/ecommerce-promo.toml")) {
        Ok(t) => t,
        Err(e) => panic!("the bundled ecommerce scenario must be readable: {e}"),
    };
    let text = text.replace(
        "source = \"table\"\n",
        "source = \"http\"\nurl = \"https://orders.example/orders?phone={caller}\"\n\
         token_env = \"SHOP_TOKEN_UNSET_IN_TEST\"\n",
    );
    let Ok(s) = Scenario::parse(&text, "shop.toml") else { panic!("the http shop scenario loads") };
    let (mut feed, mut app) = shop(s);
    let failed = |f: &Floor| {
        f.calls
            .values()
            .find(|c| c.state == CallState::Connected && matches!(c.orders, Some(CallOrders::Failed { .. })))
            .map(|c| c.id)
    };
    watch_until(&mut app, &mut feed, "a connected call whose lookup failed", |f| failed(f).is_some());
    let Some(call) = failed(app.floor()) else { panic!() };
    open_call(&mut app, call);
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("call_orders_failed_80x24", draw(&app, 80, 24).backend().to_string());
    });
    let t = draw(&app, 80, 24);
    let screen = rows(&t);
    let Some(y) = screen.iter().position(|r| r.contains("Orders: lookup failed")) else {
        panic!("the failure is shown:\n{}", t.backend())
    };
    let why = screen.get(y + 1).cloned().unwrap_or_default();
    assert!(why.contains("no token: SHOP_TOKEN_UNSET_IN_TEST ([orders] token_env) is not set"), "{why}");
    let warn = app.theme.get(S::SevWarning).fg;
    assert_ne!(warn, app.theme.get(S::Text).fg, "the theme tells a warning from text");
    for (row, needle) in [(y, "lookup failed"), (y + 1, "no token")] {
        let text = &screen[row];
        let x = text.find(needle).map(|b| text[..b].chars().count()).unwrap_or(0) as u16;
        assert_eq!(t.backend().buffer()[(x, row as u16)].style().fg, warn, "{needle} in the warning colour");
    }
}
