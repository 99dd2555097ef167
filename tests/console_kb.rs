//! The console's knowledge base and suggestion cards on a seeded gov-hotline floor: `:kb 医保 报销` opens the
//! overlay on the hits, j moves, enter shows the clause, esc goes back and closes; a call with a suggested card
//! shows it (and whether it was used) in the Call view and a marker in the calls list.

mod console_support;

use callfloor::console::app::{App, View};
use callfloor::engine::Engine;
use callfloor::engine::sim::scenario::Scenario;
use callfloor::local::LocalFeed;
use console_support::*;

fn gov_feed(minutes: i64) -> LocalFeed {
    let Ok(scenario) = Scenario::load("gov-hotline") else { panic!("the bundled gov-hotline scenario must load") };
    let mut engine = Engine::new(scenario, 7);
    let to = engine.now() + chrono::Duration::minutes(minutes);
    engine.advance_to(to);
    engine.discard_outbox();
    LocalFeed::new(engine)
}

/// Types `:text`, enter, and passes what it sends to the engine (a `query{kb}`) and the answer back.
fn kb_command(app: &mut App, feed: &mut LocalFeed, text: &str) {
    press(app, ":");
    type_text(app, text);
    let out = press(app, "enter");
    let words = text.trim_start_matches("kb").trim();
    if words.is_empty() {
        assert!(out.is_empty(), ":kb without words asks nothing");
        return;
    }
    assert_eq!(out.len(), 1, ":kb asks the engine once");
    deliver(app, feed, out);
}

#[test]
fn kb_opens_the_hits_enter_shows_a_clause_and_esc_goes_back_then_closes() {
    let mut feed = gov_feed(5);
    let mut app = attach(&mut feed);
    kb_command(&mut app, &mut feed, "kb 医保 报销");
    let Some(kb) = &app.kb else { panic!(":kb opens the overlay; messages: {:?}", app.messages.back()) };
    let ids: Vec<&str> = kb.search.hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids.first(), Some(&"GH-101"), "the newest of the equally relevant clauses first: {ids:?}");
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("kb_overlay_hits_100x30", draw(&app, 100, 30).backend());
    });
    // j moves to the second hit; enter opens it whole.
    press(&mut app, "j");
    press(&mut app, "enter");
    let opened = app.kb.as_ref().and_then(|k| k.open.as_ref()).map(|c| c.id.clone());
    assert_eq!(opened.as_deref(), Some("GH-102"));
    // The test terminal pads wide characters with a space: compare without spaces.
    let screen = rows(&draw(&app, 100, 30)).join("\n").replace(' ', "");
    assert!(screen.contains("职工医保门诊费用报销办法") && screen.contains("1800元"), "{screen}");
    // esc goes back to the hits (the selection kept), esc again closes; the view underneath is unchanged.
    let view = app.view;
    press(&mut app, "esc");
    assert_eq!(app.kb.as_ref().map(|k| (k.open.is_none(), k.sel)), Some((true, 1)));
    press(&mut app, "esc");
    assert!(app.kb.is_none());
    assert_eq!(app.view, view);
}

#[test]
fn kb_without_words_or_on_a_floor_without_a_base_says_what_to_do() {
    let mut feed = gov_feed(1);
    let mut app = attach(&mut feed);
    kb_command(&mut app, &mut feed, "kb");
    assert!(app.kb.is_none());
    let last = app.messages.back().map(|m| m.text.clone()).unwrap_or_default();
    assert!(last.contains("give the words to look for"), "{last}");
    // The hospital fixture has a base too; school has none.
    let Ok(scenario) = Scenario::load("school") else { panic!("school loads") };
    let mut school = LocalFeed::new(Engine::new(scenario, 7));
    let mut app = attach(&mut school);
    kb_command(&mut app, &mut school, "kb 英语");
    assert!(app.kb.is_none());
    let last = app.messages.back().map(|m| m.text.clone()).unwrap_or_default();
    assert!(last.contains("this floor has no knowledge base"), "{last}");
}

#[test]
fn a_call_shows_its_suggestion_cards_and_the_list_marks_it() {
    let mut feed = gov_feed(20);
    let mut app = attach(&mut feed);
    watch_until(&mut app, &mut feed, "a live call whose agent used a suggested card", |f| {
        f.calls.values().any(|c| c.suggestions.iter().any(|s| s.used.is_some()))
    });
    let Some(call) = app.floor().calls.values().find(|c| c.suggestions.iter().any(|s| s.used.is_some())).map(|c| c.id)
    else {
        panic!("watched for it")
    };
    press(&mut app, "2");
    app.refresh_all();
    let list = rows(&draw(&app, 160, 48));
    let Some(row) = list.iter().find(|r| r.contains(&format!("{call} "))).cloned() else {
        panic!("{call} is listed:\n{}", list.join("\n"))
    };
    let Some(header) = list.iter().find(|r| r.contains("Flags")).cloned() else {
        panic!("the calls list has a Flags column:\n{}", list.join("\n"))
    };
    let Some(at) = header.find("Flags").map(|b| header[..b].chars().count()) else { panic!("Flags in {header}") };
    let flags: String = row.chars().skip(at).take(6).collect();
    assert!(flags.contains('C'), "the calls list marks a call whose card was used: {flags:?} in\n{header}\n{row}");
    press(&mut app, ":");
    type_text(&mut app, &format!("call {call}"));
    press(&mut app, "enter");
    assert_eq!((app.view, app.open_call), (View::Call, Some(call)));
    let screen = rows(&draw(&app, 160, 48)).join("\n").replace(' ', "");
    let c = &app.floor().calls[&call];
    let s = &c.suggestions[0];
    let Some(card) = app.floor().card(&s.card) else { panic!("the card is on the floor") };
    assert!(screen.contains(&format!("suggestions:{}", c.suggestions.len())), "{screen}");
    assert!(
        screen.contains(&card.text(c.lang).title.replace(' ', "")),
        "the card's title in the call's language:\n{screen}"
    );
    assert!(screen.contains("✓used"), "{screen}");
}

/// `:kb` in a console attached over the real WebSocket to an engine: the engine searches its own base (the
/// console does not need it bundled), and the overlay shows the hits; Enter opens a clause from the answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kb_over_the_websocket_asks_the_engine_and_shows_its_hits() {
    use callfloor::client::{self, ClientConfig, Update};
    use callfloor::console::app::AppOptions;
    use callfloor::engine::server::{self, Pacing, ServerConfig, TokenEntry, Tokens};
    use callfloor::model::Role;

    async fn next(updates: &mut tokio::sync::mpsc::Receiver<Update>) -> Update {
        match tokio::time::timeout(std::time::Duration::from_secs(30), updates.recv()).await {
            Ok(Some(u)) => u,
            Ok(None) => panic!("the client stopped"),
            Err(_) => panic!("timed out waiting for the client"),
        }
    }

    let Ok(scenario) = Scenario::load("gov-hotline") else { panic!("gov-hotline loads") };
    let Ok(listener) = tokio::net::TcpListener::bind("127.0.0.1:0").await else { panic!("bind") };
    let token = "viewer-token-0000001";
    let tokens = Tokens::from_entries(vec![TokenEntry { name: "val".into(), token: token.into(), role: Role::Viewer }]);
    let server =
        match server::serve(listener, Engine::new(scenario, 7), ServerConfig::new(tokens, Pacing::Manual)).await {
            Ok(s) => s,
            Err(e) => panic!("the server must start: {e:#}"),
        };
    let (mut updates, commands) = client::spawn(ClientConfig::new(server.url(), token));
    let mut app = App::new(AppOptions::default());
    while !app.has_data() {
        let u = next(&mut updates).await;
        app.apply_update(u);
    }
    press(&mut app, ":");
    type_text(&mut app, "kb 医保 报销");
    let out = press(&mut app, "enter");
    assert_eq!(out.len(), 1, ":kb asks the engine");
    assert!(commands.send(out.into_iter().next().unwrap_or_else(|| panic!("a query"))).await.is_ok());
    while app.kb.is_none() {
        let u = next(&mut updates).await;
        let answered = matches!(u, Update::Record { .. } | Update::Error { .. });
        app.apply_update(u);
        assert!(!answered || app.kb.is_some(), "the answer opens the overlay: {:?}", app.messages.back());
    }
    let Some(kb) = &app.kb else { panic!("the overlay is open") };
    assert_eq!(kb.search.hits.first().map(|h| h.id.as_str()), Some("GH-101"));
    let screen = rows(&draw(&app, 100, 30)).join("\n").replace(' ', "");
    assert!(screen.contains("GH-101"), "{screen}");
    press(&mut app, "enter");
    let bundled = callfloor::kb::KnowledgeBase::bundled("gov-hotline").and_then(Result::ok);
    let whole = bundled.and_then(|b| b.clause("GH-101").map(|c| c.text.clone()));
    assert!(whole.as_ref().is_some_and(|t| !t.is_empty()));
    let opened = app.kb.as_ref().and_then(|k| k.open.as_ref()).map(|c| (c.id.clone(), Some(c.text.clone())));
    assert_eq!(opened, Some(("GH-101".to_string(), whole)), "enter opens the clause the engine sent whole");
    let _ = server.shutdown().await;
}

/// An engine from before knowledge queries refuses `query{kb}` as an unknown query: the console then searches the
/// base bundled in it for the floor's scenario, and the overlay opens all the same.
#[test]
fn kb_falls_back_to_the_bundled_base_when_the_engine_does_not_know_the_query() {
    let mut feed = gov_feed(1);
    let mut app = attach(&mut feed);
    press(&mut app, ":");
    type_text(&mut app, "kb 医保 报销");
    let out = press(&mut app, "enter");
    let Some(asked) = out.first() else { panic!(":kb asks the engine") };
    // What an older engine's protocol decoder answers.
    app.apply_update(callfloor::client::Update::Error {
        id: Some(asked.id.clone()),
        code: callfloor::model::ErrorCode::BadFrame,
        message: "the query is not valid: unknown variant `kb`, expected `call` or `ticket`".into(),
    });
    let Some(kb) = &app.kb else { panic!("the bundled base is searched: {:?}", app.messages.back()) };
    assert_eq!(kb.search.hits.first().map(|h| h.id.as_str()), Some("GH-101"));
    press(&mut app, "enter");
    assert_eq!(app.kb.as_ref().and_then(|k| k.open.as_ref()).map(|c| c.id.as_str()), Some("GH-101"));
}
