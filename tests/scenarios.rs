//! The bundled scenarios: every one loads, and each has the properties the demo relies on (lines in both languages
//! for every mood, urgent or risk calls early, rules that fire, agent lines that read as their mood, a floor that
//! copes outside peaks and strains in them). Validation of broken files is unit-tested next to the validator.

use callfloor::engine::analysis::{detect_lang, sentiment};
use callfloor::engine::sim::scenario::{
    AgentGroup, BUNDLED, Bank, DEFAULT_SCENARIO, Dist, IntentSpec, RuleSpec, Scenario, has_cjk,
};
use callfloor::model::Lang;

#[test]
fn every_bundled_scenario_loads() {
    for (name, _) in BUNDLED {
        match Scenario::load(name) {
            Ok(s) => assert_eq!(s.scenario.id, *name, "bundled scenario '{name}' has a different [scenario] id"),
            Err(e) => panic!("{e}"),
        }
    }
    assert!(BUNDLED.iter().any(|(n, _)| *n == DEFAULT_SCENARIO), "the default scenario is not bundled");
}

fn bundled() -> Vec<Scenario> {
    BUNDLED
        .iter()
        .map(|(name, _)| match Scenario::load(name) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        })
        .collect()
}

fn banks(s: &Scenario) -> Vec<(String, &Bank)> {
    let mut v: Vec<(String, &Bank)> = s.intents.iter().map(|i| (format!("intent '{}'", i.id), &i.lines)).collect();
    v.extend(agent_banks(s));
    v
}

/// Every bank agents speak from: the scenario's `[agent_lines]` and the intents' own.
fn agent_banks(s: &Scenario) -> Vec<(String, &Bank)> {
    let mut v = vec![("agent_lines".to_string(), &s.agent_lines)];
    v.extend(
        s.intents.iter().filter_map(|i| Some((format!("intent '{}' agent_lines", i.id), i.agent_lines.as_ref()?))),
    );
    v
}

#[test]
fn every_bundled_bank_has_three_lines_per_mood_in_both_languages() {
    for s in bundled() {
        for (what, bank) in banks(&s) {
            for lang in [Lang::Zh, Lang::En] {
                let m = bank.lang(lang);
                for (mood, lines) in [("positive", &m.positive), ("neutral", &m.neutral), ("negative", &m.negative)] {
                    assert!(
                        lines.len() >= 3,
                        "{}: {what} {}.{mood} has {} lines",
                        s.scenario.id,
                        lang.as_str(),
                        lines.len()
                    );
                    for l in lines {
                        assert_eq!(
                            has_cjk(l),
                            lang == Lang::Zh,
                            "{}: {what} {}.{mood} line {l:?} is in the wrong language",
                            s.scenario.id,
                            lang.as_str()
                        );
                    }
                }
            }
        }
    }
}

/// Caller lines of an intent that hold a word of one of `rules` (case-insensitive, as the analyser matches).
fn rule_lines(i: &IntentSpec, rules: &[&RuleSpec]) -> (usize, usize) {
    let words: Vec<String> = rules.iter().flat_map(|r| r.words.iter().map(|w| w.to_lowercase())).collect();
    let all: Vec<String> = [&i.lines.zh, &i.lines.en]
        .iter()
        .flat_map(|m| m.positive.iter().chain(&m.neutral).chain(&m.negative))
        .map(|l| l.to_lowercase())
        .collect();
    (all.iter().filter(|l| words.iter().any(|w| l.contains(w.as_str()))).count(), all.len())
}

#[test]
fn every_bundled_scenario_brings_urgent_or_risk_hits_early() {
    for s in bundled() {
        let hot: Vec<&RuleSpec> = s.rules.iter().filter(|r| r.urgent || r.risk).collect();
        assert!(!hot.is_empty(), "{}: no urgent or risk rule", s.scenario.id);
        let total: f64 = s.intents.iter().map(|i| i.weight).sum();
        // Intents whose callers say a hot word in at least half their lines nearly always trigger a rule.
        let hot_weight: f64 = s
            .intents
            .iter()
            .filter(|i| {
                let (hit, all) = rule_lines(i, &hot);
                2 * hit >= all
            })
            .map(|i| i.weight)
            .sum();
        assert!(
            hot_weight / total >= 0.03,
            "{}: only {:.1}% of calls come from intents that say urgent or risk words",
            s.scenario.id,
            100.0 * hot_weight / total
        );
        let per_hour = s.arrivals.base_per_hour * hot_weight / total;
        assert!(
            per_hour >= 6.0,
            "{}: urgent or risk calls arrive {per_hour:.1} an hour, want one in 10 minutes",
            s.scenario.id
        );
    }
}

#[test]
fn every_bundled_rule_fires_on_some_caller_line() {
    for s in bundled() {
        for r in &s.rules {
            let fires = s.intents.iter().any(|i| rule_lines(i, &[r]).0 > 0);
            assert!(fires, "{}: rule '{}' matches no caller line", s.scenario.id, r.id);
        }
    }
}

/// Agent lines are spoken on every call of their intent (or of every intent), so a rule word among them would
/// fire on calls the caller's words never flagged.
#[test]
fn no_bundled_agent_line_holds_a_rule_word() {
    for s in bundled() {
        for (what, bank) in agent_banks(&s) {
            let m = [&bank.zh, &bank.en];
            for line in m.iter().flat_map(|m| m.positive.iter().chain(&m.neutral).chain(&m.negative)) {
                for r in &s.rules {
                    let hit = r.words.iter().find(|w| line.to_lowercase().contains(&w.to_lowercase()));
                    assert!(hit.is_none(), "{}: {what} line {line:?} holds {hit:?} of rule '{}'", s.scenario.id, r.id);
                }
            }
        }
    }
}

/// Agents' good news must lift the call's rolling sentiment and their apologies must not read as good news,
/// in every agent bank (`analysis::misjudged_lines` checks only the positive lines of `[agent_lines]`).
#[test]
fn bundled_agent_lines_read_as_their_mood() {
    let mut wrong = Vec::new();
    for s in bundled() {
        for (what, bank) in agent_banks(&s) {
            for lang in [Lang::Zh, Lang::En] {
                let m = bank.lang(lang);
                for line in &m.positive {
                    let score = sentiment(line, detect_lang(line));
                    if score <= 0.0 {
                        wrong.push(format!(
                            "{}: {what} {}.positive {line:?} scores {score:.3}",
                            s.scenario.id,
                            lang.as_str()
                        ));
                    }
                }
                for line in &m.negative {
                    let score = sentiment(line, detect_lang(line));
                    if score > 0.0 {
                        wrong.push(format!(
                            "{}: {what} {}.negative {line:?} scores {score:.3}",
                            s.scenario.id,
                            lang.as_str()
                        ));
                    }
                }
            }
        }
    }
    assert!(wrong.is_empty(), "agent lines that read as the wrong mood:\n{}", wrong.join("\n"));
}

/// Offered load in Erlangs at the base rate: calls/hour × (handle + wrap-up + mean hold) / 3600.
fn base_erlangs(s: &Scenario) -> f64 {
    let b = &s.behaviour;
    let extra = b.wrap_up.mean().unwrap_or(0.0) + b.hold_share * b.hold_length.mean().unwrap_or(0.0);
    let total: f64 = s.intents.iter().map(|i| i.weight).sum();
    s.intents
        .iter()
        .map(|i| s.arrivals.base_per_hour * i.weight / total * (i.handle.mean().unwrap_or(0.0) + extra) / 3600.0)
        .sum()
}

#[test]
fn every_bundled_floor_copes_outside_peaks_and_strains_in_them() {
    for s in bundled() {
        let start = s.scenario.start;
        let on_shift = |g: &AgentGroup| g.shift.as_ref().is_none_or(|sh| sh.from <= start && start < sh.to);
        let seats: f64 = s.agents.iter().filter(|g| on_shift(g)).map(|g| f64::from(g.count)).sum();
        let load = base_erlangs(&s);
        assert!(
            seats >= load * 1.05,
            "{}: {seats} seats on shift at the start for {load:.1} Erlangs of base load",
            s.scenario.id
        );
        let peak = s.arrivals.peaks.iter().map(|p| p.multiplier).fold(1.0, f64::max) * load;
        let all: f64 = s.agents.iter().map(|g| f64::from(g.count)).sum();
        assert!(peak >= all * 0.9, "{}: the top peak ({peak:.1} Erlangs) does not strain {all} seats", s.scenario.id);
    }
}

#[test]
fn some_bundled_caller_never_hangs_up() {
    let infinite = bundled().iter().any(|s| s.intents.iter().any(|i| i.patience == Dist::Infinite));
    assert!(infinite, "no bundled intent has patience = {{ dist = \"infinite\" }}");
}
