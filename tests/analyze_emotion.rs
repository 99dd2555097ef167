//! Emotion labels (issue 11 point 4), end to end: `callfloor analyze` and `--eval` name and score them, the shipped
//! evaluation files hold the accuracy measured on them, a fed caller line carries its emotion on the `utterance`
//! event and into the transcript, the negative-sentiment alert names the caller's current emotion (which fades
//! after calm lines), and the simulator's upset callers have one on the demo floor.

use std::path::PathBuf;
use std::process::Output;

use callfloor::engine::Engine;
use callfloor::engine::analysis::Analyzer;
use callfloor::engine::sim::scenario::{BUNDLED, Scenario};
use callfloor::model::*;
use serde_json::{Value, json};

fn callfloor(args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_callfloor"));
    cmd.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot run callfloor {args:?}: {e}"));
    if let (Some(text), Some(mut input)) = (stdin, child.stdin.take()) {
        input.write_all(text.as_bytes()).unwrap_or_else(|e| panic!("cannot write to callfloor's stdin: {e}"));
    }
    child.wait_with_output().unwrap_or_else(|e| panic!("callfloor {args:?} did not finish: {e}"))
}

fn eval_json(path: &str) -> Value {
    let out = callfloor(&["analyze", "--eval", path, "--json"], None);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "analyze --eval {path} failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("--json output is not JSON ({e}): {stdout}"))
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("callfloor-analyze-emotion-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    path
}

#[test]
fn analyze_names_the_emotion_of_each_line_and_omits_it_when_there_is_none() {
    let input = "我等了半天了，气死我了，我要投诉\nI'm so worried about my son's results\n\
                 我不明白这个账单是什么意思\n不着急，您慢慢查\nthank you so much\n";
    let out = callfloor(&["analyze"], Some(input));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let emotions: Vec<&Value> = lines.iter().map(|l| &l["emotion"]).collect();
    assert_eq!(
        emotions,
        [&json!("anger"), &json!("anxiety"), &json!("confusion"), &Value::Null, &Value::Null],
        "不着急 is not anxiety; a line without an emotion has no `emotion` key: {lines:?}"
    );
    assert!(lines[3].get("emotion").is_none());
}

/// Eight lines with emotion labels (one not scored) and one without: every cell the table needs.
const SYNTHETIC: &str = "\
neg\t我等了半天了，气死我了\tanger
neg\tthis is ridiculous, I'm furious\tANGER
neg\t他昏迷了，我好害怕，怎么办\tanxiety
neg\tthe bill is wrong again\tanger
pos\t好的，谢谢\tnone
pos\tI'm so scared for you lol\tnone
neg\tI don't understand this letter\tconfusion
neg\t这个到底是什么意思\tanxiety
neg\tugh\tjoy
pos\tgreat
";

#[test]
fn eval_scores_the_emotion_column_with_a_labelled_by_predicted_table() {
    let path = temp_file("emotions.tsv", SYNTHETIC);
    let v = eval_json(&path.to_string_lossy());
    assert_eq!(v["emotions"], json!({"anger": 3, "anxiety": 2, "confusion": 1, "joy": 1, "none": 2}));
    assert_eq!(v["emotions_scored"], true);
    let e = &v["emotion"];
    assert_eq!(e["scored"], 8, "joy is counted but not scored: {e}");
    assert_eq!(e["correct"], 5);
    assert_eq!(e["accuracy"], json!(5.0 / 8.0));
    assert_eq!((e["emotional"].clone(), e["emotional_correct"].clone()), (json!(6), json!(4)));
    assert_eq!(
        e["confusion"],
        json!({
            "anger": {"anger": 2, "anxiety": 0, "confusion": 0, "none": 1},
            "anxiety": {"anger": 0, "anxiety": 1, "confusion": 1, "none": 0},
            "confusion": {"anger": 0, "anxiety": 0, "confusion": 1, "none": 0},
            "none": {"anger": 0, "anxiety": 1, "confusion": 0, "none": 1},
        }),
        "rows are labels, columns the predicted emotion"
    );
    let out = callfloor(&["analyze", "--eval", &path.to_string_lossy()], None);
    let text = String::from_utf8_lossy(&out.stdout);
    for want in [
        "emotion labels: anger 3, anxiety 2, confusion 1, joy 1, none 2\n",
        "  not scored (an emotion label is anger, anxiety, confusion or none): joy 1\n",
        "emotion accuracy 0.6250 (5 of 8 lines with an emotion label; none is a label too)\n",
        "emotion recall   0.6667 (4 of 6 lines labelled anger, anxiety or confusion got that emotion)\n",
        "emotions:        predicted anger  anxiety  confusion  none\n",
        "    labelled anger               2        0          0     1\n",
        "    labelled none                0        1          0     1\n",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
}

#[test]
fn a_file_without_emotion_labels_has_no_emotion_figures() {
    let path = temp_file("plain.tsv", "pos\tgreat\nneg\tawful\n");
    let v = eval_json(&path.to_string_lossy());
    assert_eq!(v["emotions_scored"], false);
    assert!(v.get("emotion").is_none(), "{v}");
}

/// Emotion accuracy (none counted as a label) and recall of the emotional lines on the shipped files, measured
/// 2026-12-07 (with the segmented Chinese sentiment): zh_customer 0.834 / 0.610, en_calls 0.830 / 0.606. The cue lists were revised after reading the
/// misses of the odd-numbered lines only (of the files as they were then); on lines nobody tuned on accuracy is
/// 0.845 (the 226 zh lines added later) and 0.777 (en, the even-numbered lines). The floors sit a little below the
/// whole-file figures.
#[test]
fn the_shipped_evaluation_files_hold_their_emotion_accuracy() {
    for (file, accuracy, recall) in [("data/eval/zh_customer.tsv", 0.80, 0.58), ("data/eval/en_calls.tsv", 0.80, 0.56)]
    {
        let path = format!("{}/{file}", env!("CARGO_MANIFEST_DIR"));
        let v = eval_json(&path);
        let e = &v["emotion"];
        let got = e["accuracy"].as_f64().unwrap_or(0.0);
        let rec = e["emotional_recall"].as_f64().unwrap_or(0.0);
        assert!(e["scored"].as_u64().is_some_and(|n| n >= 500), "{file} has emotion labels: {e}");
        assert!(got >= accuracy, "{file}: emotion accuracy {got:.4} fell below {accuracy}: {e}");
        assert!(rec >= recall, "{file}: recall of emotional lines {rec:.4} fell below {recall}: {e}");
    }
}

fn bank() -> Engine {
    let Ok(s) = Scenario::load("bank") else { panic!("the bundled bank scenario must load") };
    Engine::new(s, 11)
}

fn connected(engine: &mut Engine) -> CallId {
    for _ in 0..720 {
        let found = engine
            .floor()
            .calls
            .values()
            .find(|c| c.state == CallState::Connected && c.rule_hits.is_empty() && !c.flags.urgent)
            .map(|c| c.id);
        if let Some(id) = found {
            return id;
        }
        let t = engine.now() + chrono::Duration::seconds(5);
        engine.advance_to(t);
    }
    panic!("no connected call within an hour of floor time");
}

fn say(engine: &mut Engine, call: CallId, text: &str) {
    let feeder = Actor::new("asr", Role::Ingest);
    let cmd = Command::Utterance { call, speaker: Speaker::Caller, text: text.into(), lang: None };
    assert_eq!(engine.command(&feeder, &cmd), Ok(()), "feeding {text:?}");
}

#[test]
fn a_fed_angry_caller_gets_an_alert_that_names_the_anger_and_the_emotion_fades_after_calm_lines() {
    let mut engine = bank();
    let call = connected(&mut engine);
    say(&mut engine, call, "thank you, that is great, very helpful");
    for _ in 0..6 {
        say(&mut engine, call, "this is ridiculous, I am furious, I want to speak to a manager");
    }
    let c = &engine.floor().calls[&call];
    assert_eq!(c.transcript.last().and_then(|l| l.emotion), Some(Emotion::Anger), "the line carries its emotion");
    assert_eq!(c.emotion(), Some(Emotion::Anger));
    let messages: Vec<&str> = engine
        .floor()
        .alerts
        .values()
        .filter(|a| a.kind == AlertKind::NegativeSentiment && a.subject == call.to_string())
        .map(|a| a.message.as_str())
        .collect();
    assert!(!messages.is_empty(), "the falling sentiment raised an alert");
    for m in &messages {
        assert!(m.starts_with(&format!("{call}: caller angry, -0.")) && m.contains(" and falling"), "{m}");
    }
    // One calm line keeps it (a caller does not calm down in one breath), the second ends it.
    say(&mut engine, call, "my account number ends in 4421");
    assert_eq!(engine.floor().calls[&call].emotion(), Some(Emotion::Anger));
    say(&mut engine, call, "ok I see");
    assert_eq!(engine.floor().calls[&call].emotion(), None, "{EMOTION_CALM_LINES} calm caller lines end it");
}

#[test]
fn the_utterance_event_carries_the_emotion_and_leaves_it_out_when_none() {
    let at = chrono::DateTime::parse_from_rfc3339("2026-01-05T08:00:01Z").map(|t| t.to_utc()).unwrap_or_default();
    let said = |emotion| Event {
        at,
        kind: EventKind::Utterance {
            call: CallId(1),
            speaker: Speaker::Caller,
            text: "我很着急".into(),
            sentiment: -0.5,
            emotion,
            whisper: false,
            by: None,
        },
    };
    let with = serde_json::to_value(said(Some(Emotion::Anxiety))).unwrap_or_default();
    assert_eq!(with["emotion"], "anxiety");
    let without = serde_json::to_value(said(None)).unwrap_or_default();
    assert!(without.get("emotion").is_none(), "absent when none, so old clients see the event they knew: {without}");
    // An event from an engine before emotions decodes, without one.
    let old = r#"{"at":"2026-01-05T08:00:01Z","type":"utterance","call":"C-1","speaker":"caller","text":"hi","sentiment":0.1}"#;
    let parsed: Result<Event, _> = serde_json::from_str(old);
    assert!(matches!(parsed, Ok(Event { kind: EventKind::Utterance { emotion: None, .. }, .. })), "{parsed:?}");
}

/// Upset callers of the demo floor show an emotion: most negative caller lines of every bundled scenario have one,
/// the hospital's emergencies read as anxiety and its billing complaints as anger, and no caller line the scenario
/// means as positive has one.
#[test]
fn the_simulators_upset_callers_have_an_emotion() {
    for (name, _) in BUNDLED {
        let Ok(s) = Scenario::load(name) else { panic!("{name} loads") };
        let analyzer = Analyzer::new(&s.rules);
        let (mut negative, mut with) = (0, 0);
        for intent in &s.intents {
            for lang in [Lang::Zh, Lang::En] {
                let lines = intent.lines.lang(lang);
                for text in &lines.negative {
                    negative += 1;
                    let e = analyzer.analyze(text).emotion;
                    with += usize::from(e.is_some());
                    let expected = match (*name, intent.id.as_str()) {
                        ("hospital", "chest_pain" | "breathing") => Some(Emotion::Anxiety),
                        ("hospital", "billing") => Some(Emotion::Anger),
                        _ => None,
                    };
                    if expected.is_some() {
                        assert_eq!(e, expected, "{name} {} {lang:?}: {text:?}", intent.id);
                    }
                }
                for text in &lines.positive {
                    let a = analyzer.analyze(text);
                    assert_eq!(a.emotion, None, "{name}: {text:?} is not upset ({a:?})");
                }
            }
        }
        let share = with as f64 / negative.max(1) as f64;
        let floor = if *name == "hospital" { 0.85 } else { 0.6 };
        assert!(share >= floor, "{name}: only {with} of {negative} negative caller lines have an emotion");
    }
}
