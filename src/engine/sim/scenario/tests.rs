//! Unit tests of loading and validation: a small scenario that loads, and broken variants of it that must be
//! refused with the file, the line and the key. The bundled scenarios are checked in tests/scenarios.rs.

use super::*;
use crate::model::TicketPriority;

/// A small scenario that loads; each broken case below changes one thing in it.
const BASE: &str = r#"
[scenario]
id = "mini"
title = "Mini floor"
start = "09:00"
zh_share = 0.5

[arrivals]
base_per_hour = 60
peaks = [
  { from = "09:30", to = "10:00", multiplier = 2 },
  { from = "11:00", to = "12:00", multiplier = 1.5 },
]

[[queues]]
id = "sales"
name = "Sales"
sla_percent = 80
sla_seconds = 20

[[queues]]
id = "support"
name = "Support"
priority = 3
sla_percent = 90
sla_seconds = 30

[[agents]]
count = 2
names = ["Ann", "Bo"]
queues = ["sales", "support"]
langs = ["zh", "en"]
shift = { from = "09:00", to = "17:00" }
answer_rate = 0.95

[[intents]]
id = "buy"
queue = "sales"
weight = 3
handle = { dist = "exponential", mean_s = 120 }
patience = { dist = "infinite" }
[intents.lines.zh]
positive = ["好的，谢谢。"]
neutral = ["我想买东西。"]
negative = ["太慢了。"]
[intents.lines.en]
positive = ["Great, thanks."]
neutral = ["I want to buy something."]
negative = ["This is too slow."]

[[intents]]
id = "fix"
queue = "support"
weight = 1
handle = { dist = "lognormal", mean_s = 200, sd_s = 60 }
patience = { dist = "uniform", min_s = 30, max_s = 300 }
mood = -0.2
drift = -0.05
ticket = { category = "repair", priority = "normal" }
[intents.lines.zh]
positive = ["修好了，谢谢。"]
neutral = ["机器坏了。"]
negative = ["我要投诉。"]
[intents.lines.en]
positive = ["It works, thanks."]
neutral = ["The machine is broken."]
negative = ["I want to file a complaint."]

[agent_lines.zh]
positive = ["不客气。"]
neutral = ["您好。"]
negative = ["非常抱歉。"]
[agent_lines.en]
positive = ["You're welcome."]
neutral = ["Hello."]
negative = ["I'm very sorry."]

[[rules]]
id = "complaint"
words = ["投诉", "complaint"]
actions = ["ticket", "alert"]
ticket_category = "complaint"

[[rules]]
id = "refund"
words = ["refund"]
lang = "en"
actions = ["ticket"]

[thresholds]
service_level = { warn = 0.8, crit = 0.6 }
long_wait_s = { warn = 60, crit = 120 }
abandon_rate = { warn = 0.05, crit = 0.1 }
negative_sentiment = { warn = -0.4, crit = -0.7 }
retrigger_s = 300

[tickets]
due_min = { low = 240, normal = 60, high = 30, urgent = 10 }
backoffice = { dist = "exponential", mean_s = 1800 }
escalation_extends_min = 30
negative_end_sentiment = -0.5

[survey]
share = 0.3
bad_score = 2
followup_min = 60

[behaviour]
ivr = { dist = "fixed", s = 10 }
ring_timeout_s = 15
answer_delay = { dist = "uniform", min_s = 1, max_s = 4 }
max_no_answer = 3
wrap_up = { dist = "fixed", s = 20 }
line_gap = { dist = "uniform", min_s = 5, max_s = 10 }
break_every = { dist = "infinite" }
break_length = { dist = "fixed", s = 300 }
hold_share = 0.1
hold_length = { dist = "fixed", s = 30 }
callback_after = { dist = "exponential", mean_s = 900 }
"#;

const SOURCE: &str = "scenarios/x.toml";

/// BASE with `from` (which must occur exactly once) replaced by `to`, and the offset of the replacement.
fn broken(from: &str, to: &str) -> (String, usize) {
    assert_eq!(BASE.matches(from).count(), 1, "test setup: {from:?} must occur exactly once in BASE");
    let Some(at) = BASE.find(from) else { panic!("test setup: {from:?} is not in BASE") };
    (BASE.replacen(from, to, 1), at)
}

/// The 1-based line of the only line of `text` holding `marker`.
fn line_holding(text: &str, marker: &str) -> usize {
    let lines: Vec<usize> = text.lines().enumerate().filter(|(_, l)| l.contains(marker)).map(|(n, _)| n + 1).collect();
    let [line] = lines[..] else { panic!("test setup: {marker:?} must be on exactly one line, is on {lines:?}") };
    line
}

/// Where the error about a replacement must point: at `marker` inside the replaced text when it is there,
/// else at the only line of the file that holds it.
fn expected_line(text: &str, at: usize, replaced: &str, marker: &str) -> usize {
    match replaced.find(marker) {
        Some(inside) => line_of(text, at + inside),
        None => line_holding(text, marker),
    }
}

#[test]
fn the_base_scenario_loads() {
    if let Err(e) = Scenario::parse(BASE, SOURCE) {
        panic!("{e}");
    }
}

/// Times of day are read once, into seconds after midnight; "24:00" ends a window.
#[test]
fn times_of_day_are_read_into_seconds_after_midnight() {
    let (text, _) = broken("to = \"17:00\"", "to = \"24:00\"");
    let s = match Scenario::parse(&text, SOURCE) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(s.scenario.start.secs(), 9 * 3600);
    let peaks: Vec<(u32, u32)> = s.arrivals.peaks.iter().map(|p| (p.from.secs(), p.to.secs())).collect();
    assert_eq!(peaks, [(9 * 3600 + 30 * 60, 10 * 3600), (11 * 3600, 12 * 3600)]);
    let Some(shift) = &s.agents[0].shift else { panic!("group 1 lost its shift") };
    assert_eq!((shift.from.secs(), shift.to), (9 * 3600, TimeOfDay::END_OF_DAY));
    assert_eq!(shift.to.secs(), 86_400);
}

/// Each case: what to replace in BASE, with what, the text on the line the error must point at, and words the
/// message must hold (the key, the offending value).
#[test]
fn broken_files_are_refused_with_the_line_and_key() {
    let cases: &[(&str, &str, &str, &[&str])] = &[
        // references between sections
        (
            "queue = \"support\"",
            "queue = \"returns\"",
            "queue = \"returns\"",
            &["intent 'fix'", "'returns'", "[[queues]]"],
        ),
        (
            "queues = [\"sales\", \"support\"]",
            "queues = [\"sales\", \"suport\"]",
            "\"suport\"",
            &["group 1", "'suport'"],
        ),
        ("langs = [\"zh\", \"en\"]", "langs = [\"en\"]", "queue = \"sales\"", &["intent 'buy'", "zh", "langs"]),
        ("id = \"support\"", "id = \"sales\"", "id = \"sales\"", &["[[queues]]", "id = \"sales\"", "unique"]),
        ("id = \"fix\"", "id = \"buy\"", "id = \"buy\"", &["[[intents]]", "id = \"buy\"", "unique"]),
        ("id = \"refund\"", "id = \"complaint\"", "id = \"complaint\"", &["[[rules]]", "unique"]),
        // empty lists and banks
        ("words = [\"refund\"]", "words = []", "words = []", &["'refund'", "words"]),
        (
            "words = [\"投诉\", \"complaint\"]",
            "words = [\"投诉\", \" \"]",
            "words = [\"投诉\", \" \"]",
            &["'complaint'", "words", "blank"],
        ),
        ("negative = [\"我要投诉。\"]", "negative = []", "negative = []", &["'fix'", "zh.negative", "no lines"]),
        ("neutral = [\"Hello.\"]", "neutral = []", "neutral = []", &["[agent_lines]", "en.neutral"]),
        ("actions = [\"ticket\"]", "actions = []", "actions = []", &["'refund'", "actions"]),
        // numbers and shares
        ("weight = 3", "weight = 0", "weight = 0", &["'buy'", "weight = 0"]),
        ("weight = 3", "weight = nan", "weight = nan", &["'buy'", "weight = NaN"]),
        ("weight = 1", "weight = inf", "weight = inf", &["'fix'", "weight = inf"]),
        ("zh_share = 0.5", "zh_share = 1.5", "zh_share", &["zh_share = 1.5"]),
        ("hold_share = 0.1", "hold_share = -0.1", "hold_share", &["hold_share = -0.1"]),
        ("share = 0.3", "share = 3", "share = 3", &["[survey] share = 3"]),
        ("bad_score = 2", "bad_score = 5", "bad_score", &["bad_score = 5"]),
        ("sla_percent = 80", "sla_percent = 0", "sla_percent = 0", &["'sales'", "sla_percent = 0"]),
        ("sla_percent = 90", "sla_percent = 120", "sla_percent = 120", &["'support'", "sla_percent = 120"]),
        ("count = 2", "count = 0", "count = 0", &["group 1", "count = 0"]),
        ("answer_rate = 0.95", "answer_rate = 0", "answer_rate", &["answer_rate = 0"]),
        ("answer_rate = 0.95", "answer_rate = 1.2", "answer_rate", &["answer_rate = 1.2"]),
        ("mood = -0.2", "mood = -2", "mood = -2", &["'fix'", "mood = -2"]),
        ("priority = 3", "priority = 12", "priority = 12", &["'support'", "priority = 12"]),
        ("base_per_hour = 60", "base_per_hour = 0", "base_per_hour", &["base_per_hour = 0"]),
        // times
        ("start = \"09:00\"", "start = \"9h00\"", "start = ", &["start", "\"9h00\""]),
        ("start = \"09:00\"", "start = \"24:00\"", "start = ", &["start", "\"24:00\""]),
        ("{ from = \"09:30\", to = \"10:00\"", "{ from = \"09:30\", to = \"25:00\"", "25:00", &["peak 1 to"]),
        ("{ from = \"09:30\", to = \"10:00\"", "{ from = \"10:30\", to = \"10:00\"", "10:30", &["peak 1", "from"]),
        (
            "{ from = \"11:00\", to = \"12:00\"",
            "{ from = \"09:45\", to = \"12:00\"",
            "09:45",
            &["peak 2", "overlaps peak 1"],
        ),
        ("to = \"17:00\"", "to = \"08:00\"", "shift = ", &["group 1 shift", "from"]),
        ("shift = { from = \"09:00\"", "shift = { from = \"9:0\"", "shift = ", &["group 1 shift from", "\"9:0\""]),
        (
            "start = \"09:00\"",
            "start = \"25:00\"",
            "start = ",
            &["[scenario] start = \"25:00\" is not a time of day", "00:00 to 23:59"],
        ),
        ("start = \"09:00\"", "start = 9", "start = 9", &["expected a string", "start = 9"]),
        (
            "{ from = \"09:30\", to = \"10:00\"",
            "{ from = \"24:00\", to = \"10:00\"",
            "24:00",
            &["[arrivals] peak 1 from = \"24:00\"", "00:00 to 23:59"],
        ),
        (
            "{ from = \"11:00\", to = \"12:00\"",
            "{ from = \"11:00\", to = \"1:00 pm\"",
            "1:00 pm",
            &["[arrivals] peak 2 to = \"1:00 pm\"", "00:00 to 24:00"],
        ),
        (
            "to = \"17:00\"",
            "to = \"24:30\"",
            "shift = ",
            &["[[agents]] group 1 shift to = \"24:30\"", "00:00 to 24:00"],
        ),
        (
            "shift = { from = \"09:00\", to = \"17:00\" }\nanswer_rate = 0.95",
            "answer_rate = 0.95\n[agents.shift]\nfrom = \"09:00\"\nto = \"7pm\"",
            "to = \"7pm\"",
            &["[[agents]] group 1 shift to = \"7pm\"", "00:00 to 24:00"],
        ),
        // distributions
        ("mean_s = 120", "mean_s = -120", "mean_s = -120", &["'buy' handle", "mean_s = -120"]),
        ("sd_s = 60", "sd_s = 0", "sd_s = 0", &["'fix' handle", "sd_s = 0"]),
        ("min_s = 30, max_s = 300", "min_s = 300, max_s = 30", "min_s = 300", &["'fix' patience", "min_s", "max_s"]),
        (
            "handle = { dist = \"exponential\", mean_s = 120 }",
            "handle = { dist = \"infinite\" }",
            "handle = ",
            &["'buy' handle", "infinite"],
        ),
        ("mean_s = 1800", "mean_s = inf", "mean_s = inf", &["backoffice", "mean_s = inf"]),
        (
            "answer_delay = { dist = \"uniform\", min_s = 1, max_s = 4 }",
            "answer_delay = { dist = \"fixed\", s = 20 }",
            "answer_delay",
            &["answer_delay", "ring_timeout_s"],
        ),
        // threshold ordering
        (
            "service_level = { warn = 0.8, crit = 0.6 }",
            "service_level = { warn = 0.6, crit = 0.8 }",
            "service_level",
            &["service_level", "crit = 0.8"],
        ),
        (
            "long_wait_s = { warn = 60, crit = 120 }",
            "long_wait_s = { warn = 120, crit = 60 }",
            "long_wait_s",
            &["long_wait_s", "crit = 60"],
        ),
        (
            "negative_sentiment = { warn = -0.4, crit = -0.7 }",
            "negative_sentiment = { warn = -0.7, crit = -0.4 }",
            "negative_sentiment",
            &["negative_sentiment", "crit = -0.4"],
        ),
        ("urgent = 10 }", "urgent = 45 }", "due_min", &["due_min", "urgent", "high"]),
        ("retrigger_s = 300", "retrigger_s = 0", "retrigger_s", &["retrigger_s = 0"]),
        // rules
        (
            "actions = [\"ticket\", \"alert\"]",
            "actions = [\"alert\"]",
            "ticket_category = ",
            &["'complaint'", "ticket_category", "actions"],
        ),
        ("words = [\"refund\"]", "words = [\"退款\"]", "退款", &["'refund'", "lang = \"en\"", "'退款'"]),
        (
            "actions = [\"ticket\", \"alert\"]\nticket_category",
            "actions = [\"alert\"]\nticket_priority = \"high\"\nticket_category",
            "ticket_priority",
            &["'complaint'", "ticket_priority"],
        ),
        (
            "actions = [\"ticket\"]",
            "actions = [\"ticket\", \"ticket\"]",
            "actions = [\"ticket\", \"ticket\"]",
            &["'refund'", "twice"],
        ),
        // serde-level errors keep their line
        ("sla_seconds = 30", "sla_seconds = \"thirty\"", "\"thirty\"", &["whole number", "sla_seconds"]),
        ("retrigger_s = 300", "retrigger_s = 300\nretrigger = 5", "retrigger = 5", &["retrigger"]),
        (
            "ticket = { category = \"repair\", priority = \"normal\" }",
            "ticket = { category = \"repair\", priority = \"soon\" }",
            "\"soon\"",
            &["soon"],
        ),
        ("[survey]\nshare", "[survey]\nshare = = 1\nx", "share = = 1", &[]),
        (
            "[[queues]]\nid = \"sales\"\nname = \"Sales\"\nsla_percent = 80\nsla_seconds = 20",
            "[[queues]]\nid = \"sales\"\nname = \"Sales\"\nsla_percent = 80",
            "[[queues]]",
            &["missing key `sla_seconds`"],
        ),
        ("mean_s = 120 }", "mean_s = 120, sd_s = 3 }", "sd_s = 3", &["sd_s", "handle = "]),
        ("dist = \"exponential\", mean_s = 120", "dist = \"gamma\", mean_s = 120", "gamma", &["gamma", "lognormal"]),
    ];
    for (from, to, marker, words) in cases {
        let (text, at) = broken(from, to);
        let Err(e) = Scenario::parse(&text, SOURCE) else { panic!("{to:?} was accepted") };
        let expected = expected_line(&text, at, to, marker);
        assert_eq!(e.line, Some(expected), "{to:?}: the error points at the wrong line: {e}");
        assert_eq!(e.source_name, SOURCE);
        for w in *words {
            assert!(e.message.contains(w), "{to:?}: the message does not name {w:?}: {e}");
        }
        assert!(e.to_string().starts_with(&format!("{SOURCE}, line {expected}: ")), "{e}");
    }
}

/// BASE with intent 'fix' given its own agent lines, `bank` written after its caller lines.
fn with_fix_agent_lines(bank: &str) -> String {
    let (text, _) = broken(
        "negative = [\"I want to file a complaint.\"]\n",
        &format!("negative = [\"I want to file a complaint.\"]\n{bank}"),
    );
    text
}

const FIX_AGENT_LINES: &str = r#"[intents.agent_lines.zh]
positive = ["修好了，很高兴帮到您。"]
neutral = ["您好，维修热线。", "请说一下机器的型号。"]
negative = ["非常抱歉，我马上派师傅。"]
[intents.agent_lines.en]
positive = ["It's fixed, glad I could help."]
neutral = ["Repairs desk, hello.", "Which model is the machine?"]
negative = ["I'm very sorry, I'm sending an engineer now."]
"#;

#[test]
fn an_intent_may_carry_its_own_agent_lines() {
    let text = with_fix_agent_lines(FIX_AGENT_LINES);
    let s = match Scenario::parse(&text, SOURCE) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    let Some(fix) = s.intents.iter().find(|i| i.id == "fix") else { panic!("no intent 'fix'") };
    let Some(bank) = &fix.agent_lines else { panic!("intent 'fix' lost its agent_lines") };
    assert_eq!(bank.zh.neutral.first().map(String::as_str), Some("您好，维修热线。"));
    assert_eq!(bank.en.negative, ["I'm very sorry, I'm sending an engineer now."]);
    let Some(buy) = s.intents.iter().find(|i| i.id == "buy") else { panic!("no intent 'buy'") };
    assert!(buy.agent_lines.is_none(), "intent 'buy' has no agent_lines of its own");
}

/// Each case: what to replace in FIX_AGENT_LINES, with what, the text on the line the error must point at, and
/// words the message must hold.
#[test]
fn broken_intent_agent_lines_are_refused_with_the_line_and_key() {
    let cases: &[(&str, &str, &str, &[&str])] = &[
        (
            "negative = [\"非常抱歉，我马上派师傅。\"]",
            "negative = []",
            "negative = []",
            &["[[intents]] 'fix' agent_lines", "zh.negative", "no lines"],
        ),
        (
            "neutral = [\"Repairs desk, hello.\", \"Which model is the machine?\"]",
            "neutral = [\"Repairs desk, hello.\", \" \"]",
            "neutral = [\"Repairs desk",
            &["[[intents]] 'fix' agent_lines", "en.neutral", "line 2", "blank"],
        ),
        (
            "positive = [\"修好了，很高兴帮到您。\"]",
            "positive = [\"Fixed, glad to help.\"]",
            "Fixed, glad to help.",
            &["[[intents]] 'fix' agent_lines", "zh.positive", "line 1", "no Chinese", "Fixed, glad to help."],
        ),
        (
            "negative = [\"I'm very sorry, I'm sending an engineer now.\"]",
            "negative = [\"I'm sorry.\", \"抱歉，师傅马上到。\"]",
            "抱歉，师傅马上到。",
            &["[[intents]] 'fix' agent_lines", "en.negative", "line 2", "holds Chinese"],
        ),
        (
            "negative = [\"I'm very sorry, I'm sending an engineer now.\"]\n",
            "",
            "[intents.agent_lines.en]",
            &["missing key `negative`"],
        ),
    ];
    for (from, to, marker, words) in cases {
        assert_eq!(FIX_AGENT_LINES.matches(from).count(), 1, "test setup: {from:?} must occur once");
        let text = with_fix_agent_lines(&FIX_AGENT_LINES.replacen(from, to, 1));
        let Err(e) = Scenario::parse(&text, SOURCE) else { panic!("{to:?} was accepted") };
        let expected = line_holding(&text, marker);
        assert_eq!(e.line, Some(expected), "{to:?}: the error points at the wrong line: {e}");
        for w in *words {
            assert!(e.message.contains(w), "{to:?}: the message does not name {w:?}: {e}");
        }
    }
}

/// The complete example in docs/SCENARIOS.md is what users copy first: it must load.
#[test]
fn the_documented_minimal_scenario_loads() {
    let doc = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/SCENARIOS.md"));
    let Some((_, section)) = doc.split_once("## A complete minimal scenario") else {
        panic!("docs/SCENARIOS.md has no complete minimal scenario section")
    };
    let Some((_, block)) = section.split_once("```toml\n") else { panic!("the section has no toml block") };
    let Some((toml_text, _)) = block.split_once("```") else { panic!("the toml block is not closed") };
    if let Err(e) = Scenario::parse(toml_text, "docs/SCENARIOS.md example") {
        panic!("{e}");
    }
}

#[test]
fn a_rule_ticket_without_category_or_priority_falls_back() {
    let Ok(s) = Scenario::parse(BASE, SOURCE) else { panic!("BASE does not load") };
    let Some(refund) = s.rules.iter().find(|r| r.id == "refund") else { panic!("BASE has no rule 'refund'") };
    assert_eq!(refund.ticket_category_or_id(), "refund");
    let Some(complaint) = s.rules.iter().find(|r| r.id == "complaint") else { panic!("no rule 'complaint'") };
    assert_eq!(complaint.ticket_category_or_id(), "complaint");
    assert_eq!(refund.ticket_priority_or_default(), TicketPriority::Normal);
    let (text, _) = broken("actions = [\"ticket\"]", "actions = [\"ticket\"]\nticket_priority = \"low\"");
    let Ok(s) = Scenario::parse(&text, SOURCE) else { panic!("ticket_priority was refused") };
    let Some(refund) = s.rules.iter().find(|r| r.id == "refund") else { panic!("no rule 'refund'") };
    assert_eq!(refund.ticket_priority_or_default(), TicketPriority::Low);
}

#[test]
fn a_path_to_a_file_loads_and_names_the_file_in_errors() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/bank.toml");
    match Scenario::load(path) {
        Ok(s) => assert_eq!(s.scenario.id, "bank"),
        Err(e) => panic!("{e}"),
    }
    let broken_path = std::env::temp_dir().join(format!("callfloor-scenario-test-{}.toml", std::process::id()));
    let (text, _) = broken("count = 2", "count = 0");
    if let Err(e) = std::fs::write(&broken_path, &text) {
        panic!("cannot write {}: {e}", broken_path.display());
    }
    let result = Scenario::load(&broken_path.display().to_string());
    let _ = std::fs::remove_file(&broken_path);
    let Err(e) = result else { panic!("a file with count = 0 was accepted") };
    assert_eq!(e.source_name, broken_path.display().to_string());
    assert_eq!(e.line, Some(line_holding(&text, "count = 0")));
}

#[test]
fn an_unknown_name_lists_the_bundled_names() {
    let Err(e) = Scenario::load("no-such-floor") else { panic!("an unknown name was accepted") };
    assert_eq!(e.line, None);
    for (name, _) in BUNDLED {
        assert!(e.message.contains(name), "the message does not list '{name}': {e}");
    }
}

const FIN_TABLES: &str = r#"
[verification]
shares = { otp = 0.5, voiceprint = 0.2, failed = 0.1 }
agent_after = { dist = "uniform", min_s = 10, max_s = 30 }
agent_decides = 0.5
agent_accepts = 0.8

[repeat]
after_abandon = 0.3
after_ticket = 0.2
delay = { dist = "fixed", s = 600 }
"#;

#[test]
fn verification_and_repeat_tables_load_and_default_to_off() {
    let Ok(plain) = Scenario::parse(BASE, SOURCE) else { panic!("BASE must load") };
    assert!(plain.verification.is_none(), "no [verification]: the IVR verifies nobody");
    assert_eq!((plain.repeat.after_abandon, plain.repeat.after_ticket, plain.repeat.after_call), (0.0, 0.0, 0.0));
    let text = format!(
        "{}{FIN_TABLES}",
        BASE.replace("actions = [\"ticket\"]\n", "actions = [\"ticket\"]\nrequires_verification = true\n")
    );
    let s = match Scenario::parse(&text, SOURCE) {
        Ok(s) => s,
        Err(e) => panic!("the finance tables must load: {e}"),
    };
    let Some(v) = &s.verification else { panic!("[verification] was read") };
    assert_eq!((v.shares.otp, v.shares.voiceprint, v.shares.failed), (0.5, 0.2, 0.1));
    assert!(s.rules.iter().any(|r| r.id == "refund" && r.requires_verification));
    assert_eq!(s.repeat.delay, Dist::Fixed { s: 600.0 });
}

/// Each case: the text to put in place of the marker's line, the text on the line the error must point at, and
/// words the message must hold.
#[test]
fn broken_verification_and_repeat_keys_are_refused_with_the_line_and_key() {
    let good = format!("{BASE}{FIN_TABLES}");
    let cases: &[(&str, &str, &str, &[&str])] = &[
        (
            "shares = { otp = 0.5, voiceprint = 0.2, failed = 0.1 }",
            "shares = { otp = 0.7, voiceprint = 0.2, failed = 0.3 }",
            "shares = ",
            &["[verification] shares", "at most 1"],
        ),
        ("agent_decides = 0.5", "agent_decides = 1.5", "agent_decides", &["[verification] agent_decides", "share"]),
        (
            "agent_after = { dist = \"uniform\", min_s = 10, max_s = 30 }",
            "agent_after = { dist = \"infinite\" }",
            "agent_after",
            &["agent_after", "infinite"],
        ),
        ("after_abandon = 0.3", "after_abandon = -0.1", "after_abandon", &["[repeat] after_abandon"]),
        (
            "delay = { dist = \"fixed\", s = 600 }",
            "delay = { dist = \"infinite\" }",
            "delay = { dist = \"inf",
            &["[repeat] delay"],
        ),
        ("agent_accepts = 0.8", "agent_accepts = 0.8\nagent_refuses = 0.2", "agent_refuses", &["agent_refuses"]),
    ];
    for (from, to, marker, words) in cases {
        assert_eq!(good.matches(from).count(), 1, "test setup: {from:?}");
        let text = good.replacen(from, to, 1);
        let Err(e) = Scenario::parse(&text, SOURCE) else { panic!("{to:?} was accepted") };
        assert_eq!(e.line, Some(line_holding(&text, marker)), "{to:?}: wrong line: {e}");
        for w in *words {
            assert!(e.message.contains(w), "{to:?}: the message does not name {w:?}: {e}");
        }
    }
    // Verification keys without a [verification] table.
    let rule = BASE.replace("actions = [\"ticket\"]\n", "actions = [\"ticket\"]\nrequires_verification = true\n");
    let Err(e) = Scenario::parse(&rule, SOURCE) else { panic!("requires_verification without [verification]") };
    assert_eq!(e.line, Some(line_holding(&rule, "requires_verification")), "{e}");
    assert!(e.message.contains("'refund'") && e.message.contains("[verification]"), "{e}");
    let intent = BASE.replacen(
        "patience = { dist = \"infinite\" }\n",
        "patience = { dist = \"infinite\" }\nverification = { otp = 0.5 }\n",
        1,
    );
    let Err(e) = Scenario::parse(&intent, SOURCE) else { panic!("an intent's verification without [verification]") };
    assert_eq!(e.line, Some(line_holding(&intent, "verification = { otp")), "{e}");
    assert!(e.message.contains("'buy' verification"), "{e}");
}

/// BASE with students, temporary seats and callbacks.
const EDU: &str = r#"
[student_calls]
caller_share = 0.3
intents = ["buy"]

[[students]]
id = "S-1"
name = "Wang Xiaoming"
class = "Grade 7"
lang = "zh"
contacts = [
  { role = "parent", number = "+86 13800000001" },
  { role = "teacher", number = "+86 13700000002" },
]

[temporary_seats]
names = ["Temp A"]
cannot_transfer_to = ["support"]
answer_rate = 0.91

[[temporary_seats.plan]]
at = "09:30"
until = "11:00"
queue = "sales"
count = 3
origin = "part_time"

[callbacks]
promise_min = 30
reach_share = 0.6
max_attempts = 2
"#;

#[test]
fn students_temporary_seats_and_callbacks_load_and_broken_ones_name_their_line_and_key() {
    let base = format!("{BASE}{EDU}");
    let s = match Scenario::parse(&base, SOURCE) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(s.students.len(), 1);
    assert_eq!(s.students[0].contacts[1].role, crate::model::ContactRole::Teacher);
    assert_eq!(s.temporary_seats.plan[0].until.secs(), 11 * 3600);
    assert_eq!(s.temporary_seats.plan[0].origin, crate::model::SeatOrigin::PartTime);
    assert_eq!((s.callbacks.promise_min, s.callbacks.max_attempts, s.callbacks.ring_s), (Some(30), 2, 25));
    // Absent tables: no students, no promise, the documented defaults.
    let plain = match Scenario::parse(BASE, SOURCE) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    assert!(plain.students.is_empty() && plain.student_calls.is_none() && plain.temporary_seats.plan.is_empty());
    assert_eq!((plain.callbacks.promise_min, plain.callbacks.reach_share), (None, 0.7));
    let cases: &[(&str, &str, &str, &[&str])] = &[
        ("caller_share = 0.3", "caller_share = 1.3", "caller_share = 1.3", &["[student_calls] caller_share", "1.3"]),
        ("intents = [\"buy\"]", "intents = [\"sell\"]", "\"sell\"", &["[student_calls] intents", "'sell'"]),
        ("class = \"Grade 7\"", "class = \" \"", "class = \" \"", &["[[students]] 'S-1' class", "blank"]),
        ("number = \"+86 13700000002\"", "number = \"+86 13800000001\"", "teacher\", number", &["twice"]),
        ("role = \"teacher\"", "role = \"uncle\"", "role = \"uncle\"", &["uncle"]),
        (
            "cannot_transfer_to = [\"support\"]",
            "cannot_transfer_to = [\"vip\"]",
            "\"vip\"",
            &["cannot_transfer_to", "'vip'"],
        ),
        ("answer_rate = 0.91", "answer_rate = 0", "answer_rate = 0\n", &["[temporary_seats] answer_rate"]),
        ("queue = \"sales\"\ncount = 3", "queue = \"vip\"\ncount = 3", "queue = \"vip\"", &["plan]] entry 1", "'vip'"]),
        ("count = 3", "count = 51", "count = 51", &["plan]] entry 1 count", "1..50"]),
        ("until = \"11:00\"", "until = \"09:00\"", "until = \"09:00\"", &["until must be later than at"]),
        ("at = \"09:30\"", "at = \"9h30\"", "at = \"9h30\"", &["plan]] entry 1 at", "9h30"]),
        ("origin = \"part_time\"", "origin = \"agency\"", "origin = \"agency\"", &["agency"]),
        ("promise_min = 30", "promise_min = 0", "promise_min = 0", &["[callbacks] promise_min"]),
        ("max_attempts = 2", "max_attempts = 11", "max_attempts = 11", &["[callbacks] max_attempts", "1..10"]),
    ];
    for (from, to, marker, words) in cases {
        assert_eq!(base.matches(from).count(), 1, "test setup: {from:?} must occur once");
        let text = base.replacen(from, to, 1);
        let Err(e) = Scenario::parse(&text, SOURCE) else { panic!("{from} → {to} was accepted") };
        let Some(at) = text.find(marker) else { panic!("test setup: {marker:?} is not in the text") };
        assert_eq!(e.line, Some(line_of(&text, at)), "{from} → {to}: {e}");
        for w in *words {
            assert!(e.message.contains(w), "{from} → {to}: the message lacks {w:?}: {e}");
        }
    }
}
