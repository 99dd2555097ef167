//! The knowledge base: the bundled bases load, full-text search ranks a fixed set of queries in both languages as a
//! caller needs (every word, then newest first among equally relevant clauses), and `callfloor kb` prints the hits.

use callfloor::cli::{KbArgs, run_kb};
use callfloor::engine::sim::scenario::Scenario;
use callfloor::kb::{Index, KnowledgeBase};

fn gov_index() -> Index {
    let scenario = match Scenario::load("gov-hotline") {
        Ok(s) => s,
        Err(e) => panic!("the bundled gov-hotline scenario must load: {e}"),
    };
    let Some(kb) = scenario.kb else { panic!("gov-hotline names a knowledge base") };
    match Index::build(kb) {
        Ok(i) => i,
        Err(e) => panic!("the index must build: {e}"),
    }
}

fn top(index: &Index, query: &str, n: usize) -> Vec<String> {
    match index.search(query, n) {
        Ok(s) => s.hits.into_iter().map(|h| h.id).collect(),
        Err(e) => panic!("search '{query}' failed: {e}"),
    }
}

#[test]
fn the_bundled_bases_load_and_gov_hotline_has_forty_clauses_in_both_languages() {
    for name in ["gov-hotline", "hospital", "bank"] {
        let Some(Ok(kb)) = KnowledgeBase::bundled(name) else { panic!("bundled base {name} must parse") };
        assert!(kb.kb.synthetic, "{name} is invented and must say so");
        let zh = kb.clauses.iter().filter(|c| c.lang == callfloor::model::Lang::Zh).count();
        let en = kb.clauses.len() - zh;
        assert!(zh > 0 && en > 0, "{name}: clauses in both languages");
        if name == "gov-hotline" {
            assert!(kb.clauses.len() >= 40, "gov-hotline has {} clauses", kb.clauses.len());
        }
    }
}

#[test]
fn chinese_queries_rank_every_word_then_newest_first() {
    let index = gov_index();
    // Split or run together, 医保 报销 finds the reimbursement clauses, the 2024 rate change before the 2021
    // outpatient rules and the 2019 claim procedure (equally relevant: newest first).
    assert_eq!(top(&index, "医保 报销", 3), ["GH-101", "GH-102", "GH-103"]);
    assert_eq!(top(&index, "医保报销", 3), ["GH-101", "GH-102", "GH-103"]);
    // Today's residence-permit policy comes before the 2020 renewal rules.
    assert_eq!(top(&index, "居住证", 2), ["GH-106", "GH-107"]);
    assert_eq!(top(&index, "异地就医", 1), ["GH-104"]);
    assert_eq!(top(&index, "燃气", 1), ["GH-120"]);
    assert_eq!(top(&index, "失业金", 1), ["GH-116"]);
    assert_eq!(top(&index, "社保 转移", 1), ["GH-115"]);
}

#[test]
fn english_queries_are_stemmed_and_ranked_the_same_way() {
    let index = gov_index();
    assert_eq!(top(&index, "residence permit", 2), ["GH-206", "GH-207"]);
    // "reimbursed" and "reimbursement" are one word to the stemmer.
    assert_eq!(top(&index, "reimbursed", 3), ["GH-201", "GH-202", "GH-203"]);
    assert_eq!(top(&index, "Gas leak", 1), ["GH-220"]);
    assert_eq!(top(&index, "unemployment benefit", 1), ["GH-216"]);
    assert_eq!(top(&index, "senior allowance", 1), ["GH-211"]);
}

#[test]
fn a_query_no_clause_has_whole_falls_back_to_any_word_and_says_so() {
    let index = gov_index();
    let all = match index.search("养老金 没到账", 5) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    assert!(!all.all_terms, "no clause has every word: {:?}", all.terms);
    assert_eq!(all.hits.first().map(|h| h.id.as_str()), Some("GH-110"));
    let none = match index.search("火星 旅游", 5) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    assert!(none.hits.is_empty());
    // Quotes and FTS5 operators in a query are words, not syntax.
    let odd = index.search("\"医保\" OR NEAR(报销", 5);
    assert!(odd.is_ok(), "{odd:?}");
}

fn cli(args: &[&str], json: bool, limit: u32) -> String {
    let args =
        KbArgs { scenario: "gov-hotline".into(), query: args.iter().map(|s| s.to_string()).collect(), json, limit };
    let mut out = Vec::new();
    if let Err(e) = run_kb(&args, &mut out) {
        panic!("callfloor kb failed: {e}");
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn the_cli_prints_id_date_title_and_a_marked_snippet() {
    let text = cli(&["医保", "报销"], false, 2);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(lines[0].starts_with("2 of 4 clauses with every word of '医保 报销'"), "{text}");
    assert_eq!(lines[1], "GH-101  2024-01-01  职工医保住院费用报销比例调整");
    assert!(lines[2].contains("[医保]") && lines[2].contains("[报销]"), "{text}");
    assert!(lines[3].starts_with("GH-102  2021-07-01"), "{text}");

    let json = cli(&["residence", "permit"], true, 1);
    let v: serde_json::Value = match serde_json::from_str(&json) {
        Ok(v) => v,
        Err(e) => panic!("--json prints JSON: {e}\n{json}"),
    };
    assert_eq!(v["hits"][0]["id"], "GH-206");
    assert_eq!(v["hits"][0]["date"], "2026-01-05");
    assert_eq!(v["total"], 3);
    assert!(v["hits"][0]["marks"].as_array().is_some_and(|m| !m.is_empty()), "{json}");
}

#[test]
fn a_scenario_without_a_base_and_a_broken_base_are_refused_in_one_sentence() {
    let args = KbArgs { scenario: "school".into(), query: vec!["x".into()], json: false, limit: 5 };
    let err = match run_kb(&args, Vec::new()) {
        Ok(()) => panic!("school ships no knowledge base"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("ships no knowledge base") && err.contains("knowledge = "), "{err}");

    let broken = "[kb]\ntitle = \"t\"\n\n[[clauses]]\nid = \"A\"\ntitle = \"a\"\ndate = \"2024-01-01\"\nlang = \"zh\"\ntext = \"x\"\n\n[[clauses]]\nid = \"A\"\ntitle = \"b\"\ndate = \"2024-01-02\"\nlang = \"en\"\ntext = \"y\"\n";
    let err = match KnowledgeBase::parse(broken, "my-kb.toml") {
        Ok(_) => panic!("a duplicate id is refused"),
        Err(e) => e.to_string(),
    };
    assert_eq!(err, "my-kb.toml, line 12: [[clauses]] 2 ('A') id 'A' is used twice: clause ids must be unique");
    let bad_date = broken.replace("2024-01-02", "2024-13-02");
    let err = match KnowledgeBase::parse(&bad_date, "my-kb.toml") {
        Ok(_) => panic!("a bad date is refused"),
        Err(e) => e.to_string(),
    };
    assert!(err.starts_with("my-kb.toml, line 14:"), "{err}");
}

#[test]
fn a_scenario_naming_a_missing_base_is_refused_at_its_knowledge_key() {
    let Some((_, text)) = callfloor::engine::sim::scenario::BUNDLED.iter().find(|(n, _)| *n == "gov-hotline") else {
        panic!("gov-hotline is bundled")
    };
    let line = text.lines().position(|l| l.starts_with("knowledge =")).map(|i| i + 1);
    let text = text.replace("knowledge = \"kb/gov-hotline.toml\"", "knowledge = \"kb/nope.toml\"");
    let err = match Scenario::parse(&text, "my.toml") {
        Ok(_) => panic!("a missing base is refused"),
        Err(e) => e,
    };
    assert_eq!(err.line, line);
    assert!(
        err.message.starts_with("[scenario] knowledge = \"kb/nope.toml\" cannot be used: no knowledge base"),
        "{err}"
    );
}
