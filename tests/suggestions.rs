//! Suggestion cards: a `suggest` rule pushes its card to the call once, the sim's agent uses some of them while on
//! the call, the floor and every mirror count them per card, and the metrics carry the counts.

use std::collections::{HashMap, HashSet};

use callfloor::engine::Engine;
use callfloor::engine::sim::scenario::Scenario;
use callfloor::model::*;
use chrono::Duration;

fn run(name: &str, seed: u64, minutes: i64) -> (Engine, Vec<Event>) {
    let scenario = match Scenario::load(name) {
        Ok(s) => s,
        Err(e) => panic!("scenario {name} does not load: {e}"),
    };
    let mut engine = Engine::new(scenario, seed);
    let mut all = engine.drain();
    let end = engine.now() + Duration::minutes(minutes);
    let mut t = engine.now();
    while t < end {
        t += Duration::seconds(1);
        engine.advance_to(t);
        all.extend(engine.drain());
    }
    (engine, all)
}

#[test]
fn policy_questions_bring_up_clauses_that_agents_use_while_on_the_call() {
    let (engine, events) = run("gov-hotline", 7, 90);
    let mut mirror = Floor::default();
    let mut suggested: HashMap<(CallId, String), String> = HashMap::new();
    let mut used: HashSet<(CallId, String)> = HashSet::new();
    let mut per_card: HashMap<String, (u32, u32)> = HashMap::new();
    for ev in &events {
        match &ev.kind {
            EventKind::CardSuggested { call, card, word } => {
                // A card follows the rule hit that brought it up, once per call.
                let hit = mirror.calls.get(call).and_then(|c| c.rule_hits.last()).map(|h| h.word.clone());
                assert_eq!(hit.as_deref(), Some(word.as_str()), "{call} {card}: the rule hit comes first");
                assert!(suggested.insert((*call, card.clone()), word.clone()).is_none(), "{call} {card} twice");
                per_card.entry(card.clone()).or_default().0 += 1;
            }
            EventKind::CardUsed { call, card } => {
                assert!(suggested.contains_key(&(*call, card.clone())), "{call} used {card} before it came up");
                let state = mirror.calls.get(call).map(|c| c.state);
                assert!(
                    matches!(state, Some(CallState::Connected | CallState::Held)),
                    "{call} used {card} while {state:?}: only an agent on the call uses a card"
                );
                assert!(used.insert((*call, card.clone())), "{call} used {card} twice");
                per_card.entry(card.clone()).or_default().1 += 1;
            }
            _ => {}
        }
        mirror.apply(ev);
    }
    assert!(suggested.len() >= 20, "a policy morning brings up cards: {}", suggested.len());
    assert!(
        !used.is_empty() && used.len() < suggested.len(),
        "some used, not all: {} of {}",
        used.len(),
        suggested.len()
    );
    // Every card the scenario ships is on the floor; the floor's counts are the events' and reach the metrics.
    let floor = engine.floor();
    assert_eq!(floor, &mirror, "the mirror holds what the engine holds");
    assert_eq!(floor.cards.len(), 5);
    for card in &floor.cards {
        let (s, u) = per_card.get(&card.id).copied().unwrap_or_default();
        assert_eq!((card.suggested, card.used), (s, u), "{}", card.id);
    }
    let metrics = engine.metrics();
    let counts: Vec<(String, u32, u32)> = metrics.cards.iter().map(|c| (c.card.clone(), c.suggested, c.used)).collect();
    let expected: Vec<(String, u32, u32)> = floor.cards.iter().map(|c| (c.id.clone(), c.suggested, c.used)).collect();
    assert_eq!(counts, expected);
    // A policy card names the clause it quotes, and the clause is in the scenario's knowledge base.
    assert_eq!(floor.card("residence-permit-2026").and_then(|c| c.clause.as_deref()), Some("GH-106"));
}

#[test]
fn card_use_is_seeded_and_leaves_the_rest_of_the_run_as_it_was() {
    let (_, a) = run("school", 3, 45);
    let (_, b) = run("school", 3, 45);
    assert_eq!(a, b, "the same seed gives the same cards and uses");
    let cards = |evs: &[Event]| evs.iter().filter(|e| matches!(e.kind, EventKind::CardSuggested { .. })).count();
    assert!(cards(&a) > 0, "course questions bring up course cards");
    // The cards have their own randomness: without card events the run is the one a floor without cards has.
    let mut scenario = match Scenario::load("school") {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    scenario.cards.clear();
    scenario.rules.retain(|r| !r.actions.contains(&RuleAction::Suggest));
    let mut engine = Engine::new(scenario, 3);
    let mut plain = engine.drain();
    let end = engine.now() + Duration::minutes(45);
    let mut t = engine.now();
    while t < end {
        t += Duration::seconds(1);
        engine.advance_to(t);
        plain.extend(engine.drain());
    }
    let strip = |evs: &[Event]| -> Vec<Event> {
        evs.iter()
            .filter(|e| {
                !matches!(
                    &e.kind,
                    EventKind::CardsLoaded { .. } | EventKind::CardSuggested { .. } | EventKind::CardUsed { .. }
                ) && !matches!(&e.kind, EventKind::RuleMatched { actions, .. } if actions == &[RuleAction::Suggest])
            })
            .cloned()
            .collect()
    };
    let (sa, sp) = (strip(&a), plain);
    if let Some(i) = (0..sa.len().min(sp.len())).find(|&i| sa[i] != sp[i]) {
        panic!("first difference at event {i}: with cards {:?} / without {:?}", sa[i], sp[i]);
    }
    assert_eq!(sa.len(), sp.len(), "the same number of events");
}

#[test]
fn a_suggestion_travels_in_events_and_snapshots() {
    let (engine, events) = run("ecommerce-promo", 7, 30);
    let Some(ev) = events.iter().find(|e| matches!(e.kind, EventKind::CardSuggested { .. })) else {
        panic!("coupon and stock questions bring up cards")
    };
    let wire = serde_json::to_string(ev).unwrap_or_default();
    assert!(wire.contains(r#""type":"card_suggested""#), "{wire}");
    let back: Event = match serde_json::from_str(&wire) {
        Ok(e) => e,
        Err(e) => panic!("{e}: {wire}"),
    };
    assert_eq!(&back, ev);
    let snapshot = serde_json::to_string(engine.floor()).unwrap_or_default();
    let floor: Floor = match serde_json::from_str(&snapshot) {
        Ok(f) => f,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(&floor, engine.floor(), "cards and suggestions travel in snapshots");
}

fn refusal(from: &str, to: &str) -> (Option<usize>, String) {
    let Some((_, text)) = callfloor::engine::sim::scenario::BUNDLED.iter().find(|(n, _)| *n == "gov-hotline") else {
        panic!("gov-hotline is bundled")
    };
    assert!(text.contains(from), "the bundled file has {from:?}");
    match Scenario::parse(&text.replacen(from, to, 1), "my.toml") {
        Ok(_) => panic!("{to:?} must be refused"),
        Err(e) => (e.line, e.message),
    }
}

fn line_of(to: &str) -> Option<usize> {
    let (_, text) = callfloor::engine::sim::scenario::BUNDLED.iter().find(|(n, _)| *n == "gov-hotline")?;
    text.lines().position(|l| l.contains(to)).map(|i| i + 1)
}

#[test]
fn cards_and_suggest_rules_are_checked_with_file_line_and_key() {
    let (line, msg) = refusal("card = \"residence-permit-2026\"", "card = \"nope\"");
    assert_eq!(line, line_of("card = \"residence-permit-2026\""));
    assert!(msg.starts_with("[[rules]] 'policy-residence' suggests card \"nope\", which is not in [[cards]]: the cards are residence-permit-2026,"), "{msg}");

    let (_, msg) = refusal("card = \"residence-permit-2026\"\n", "");
    assert!(msg.contains("has the action \"suggest\" but no card"), "{msg}");

    let (_, msg) = refusal(
        "actions = [\"suggest\"]\nseverity = \"info\"\ncard = \"residence-permit-2026\"",
        "actions = [\"alert\"]\nseverity = \"info\"\ncard = \"residence-permit-2026\"",
    );
    assert!(msg.contains("has card = \"residence-permit-2026\" but no \"suggest\" among its actions"), "{msg}");

    let (line, msg) = refusal("clause = \"GH-106\"", "clause = \"GH-999\"");
    assert_eq!(line, line_of("clause = \"GH-106\""));
    assert!(
        msg.starts_with(
            "[[cards]] 'residence-permit-2026' quotes clause \"GH-999\", which is not in the knowledge base"
        ),
        "{msg}"
    );

    let (_, msg) = refusal("use_rate = 0.8", "use_rate = 1.8");
    assert!(msg.contains("use_rate = 1.8 is not a share"), "{msg}");

    let (_, msg) = refusal("kind = \"policy\"\nclause = \"GH-106\"", "kind = \"coupon\"\nclause = \"GH-106\"");
    assert!(msg.contains("is a coupon card with a clause"), "{msg}");
}
