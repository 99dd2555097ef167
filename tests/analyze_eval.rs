//! `callfloor analyze --eval FILE.tsv`: the figures it prints on a small synthetic file, how it names bad lines, and
//! the shipped English evaluation files holding the accuracy measured on them (a figure test, not a timed one: the
//! throughput is printed, never asserted).

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{Value, json};

fn callfloor(args: &[&str]) -> Output {
    match std::process::Command::new(env!("CARGO_BIN_EXE_callfloor")).args(args).output() {
        Ok(out) => out,
        Err(e) => panic!("cannot run callfloor {args:?}: {e}"),
    }
}

/// Writes `text` to a file of its own in the temp dir (one per test and process).
fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("callfloor-analyze-eval-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    path
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap_or_else(|| panic!("temp path {} is not UTF-8", p.display()))
}

/// Runs `analyze --eval PATH --json` and parses its one JSON object.
fn eval_json(path: &str) -> Value {
    let out = callfloor(&["analyze", "--eval", path, "--json"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "analyze --eval {path} failed: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(stdout.lines().count(), 1, "--json prints one line: {stdout}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("--json output is not JSON ({e}): {stdout}"))
}

/// Ten scored lines (six English, four Chinese) whose scores' signs are known: each row of the confusion table gets
/// something in at least two columns, and the Chinese and English lines land in different cells. The order number
/// has no sentiment word and no informative character for the fallback model: it reads a calm 0. 他昨天打过电话 has no
/// sentiment word either, but a character the fallback model finds mostly in negative words leans it slightly
/// negative, against its pos label.
const SYNTHETIC: &str = "\
# label<TAB>text<TAB>emotion; this comment and the blank line below are ignored

pos\tI love this, thank you
pos\tgreat service
pos\tthe door would not close.
neg\tthis is terrible
neg\tI am so happy
neg\tthe package is still at the depot
neg\t我很生气\tanger
pos\t太好了，谢谢\tnone
neg\t我的订单号是12345\tAnxiety
pos\t他昨天打过电话
";

#[test]
fn eval_gives_the_exact_confusion_table_of_a_small_file() {
    let path = temp_file("synthetic.tsv", SYNTHETIC);
    let v = eval_json(path_str(&path));
    assert_eq!(v["lines_read"], 12);
    assert_eq!(v["skipped"], 0);
    assert_eq!(v["scored"], 10);
    assert_eq!(v["correct"], 5);
    assert_eq!(v["accuracy"], json!(0.5));
    assert_eq!(v["zero"], 3);
    assert_eq!(v["zero_share"], json!(0.3));
    assert_eq!(
        v["confusion"],
        json!({"pos": {"pos": 3, "neg": 1, "zero": 1}, "neg": {"pos": 1, "neg": 2, "zero": 2}}),
        "rows are labels, columns the sign the analyzer gave (a score of exactly 0 is its own column)"
    );
    assert_eq!(
        v["languages"],
        json!([
            {"lang": "zh", "scored": 4, "correct": 2, "accuracy": 0.5, "zero": 1, "zero_share": 0.25,
             "confusion": {"pos": {"pos": 1, "neg": 1, "zero": 0}, "neg": {"pos": 0, "neg": 1, "zero": 1}}},
            {"lang": "en", "scored": 6, "correct": 3, "accuracy": 0.5, "zero": 2, "zero_share": 2.0 / 6.0,
             "confusion": {"pos": {"pos": 2, "neg": 0, "zero": 1}, "neg": {"pos": 1, "neg": 1, "zero": 1}}},
        ])
    );
    assert_eq!(v["emotions"], json!({"anger": 1, "anxiety": 1, "none": 1}), "emotion labels are counted");
    assert_eq!(v["emotions_scored"], true, "the emotion column is scored (tests/analyze_emotion.rs)");
    // Throughput is reported (never asserted on its value): the whole file at least once, on one thread.
    let t = &v["throughput"];
    assert!(t["passes"].as_u64().is_some_and(|p| p >= 1), "{t}");
    assert_eq!(t["utterances"].as_u64(), t["passes"].as_u64().map(|p| p * 10), "{t}");
    assert_eq!(t["threads"], 1);
    assert!(t["cores"].as_u64().is_some_and(|c| c >= 1), "{t}");

    // The text report shows the same table, the per-language tables of a mixed file and the emotion counts.
    let out = callfloor(&["analyze", "--eval", path_str(&path)]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let expected = [
        "12 lines read, 10 scored, 0 skipped",
        "sign accuracy  0.5000 (5 of 10; a score of exactly 0 counts as wrong)",
        "scored 0       0.3000 (3 of 10, 30.0%)",
        "                 predicted pos  predicted neg  scored 0\n    \
         labelled pos             3              1         1\n    \
         labelled neg             1              2         2\n",
        "  zh: 4 lines, sign accuracy 0.5000, scored 0 0.2500\n",
        "    labelled pos             1              1         0\n    \
         labelled neg             0              1         1\n",
        "  en: 6 lines, sign accuracy 0.5000, scored 0 0.3333\n",
        "emotion labels: anger 1, anxiety 1, none 1\n",
        "utterances/s on 1 thread",
    ];
    for e in expected {
        assert!(text.contains(e), "missing {e:?} in:\n{text}");
    }
}

#[test]
fn an_english_only_file_prints_no_per_language_table() {
    let path = temp_file("english.tsv", "pos\tgreat service\nneg\tthis is terrible\n");
    let out = callfloor(&["analyze", "--eval", path_str(&path)]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("sign accuracy  1.0000 (2 of 2;"), "{text}");
    assert!(!text.contains("per language"), "{text}");
    assert!(!text.contains("emotions"), "no emotion column, no emotion line: {text}");
}

#[test]
fn a_bad_label_names_the_file_and_the_line() {
    let path = temp_file("bad-label.tsv", "pos\tgreat service\nneg\tthis is terrible\npositive\tI love it\nneg\n");
    let name = path_str(&path);
    let v = eval_json(name);
    assert_eq!(v["lines_read"], 4);
    assert_eq!(v["scored"], 2, "the bad lines are skipped, the good ones scored");
    assert_eq!(v["skipped"], 2);
    assert_eq!(v["skips"][0]["line"], 3);
    assert_eq!(
        v["skips"][0]["reason"],
        json!(format!("{name} line 3 has the label \"positive\"; a label is pos or neg"))
    );
    assert_eq!(v["skips"][1]["line"], 4);
    let reason = v["skips"][1]["reason"].as_str().unwrap_or_default();
    assert!(reason.starts_with(&format!("{name} line 4 has no TAB")), "{reason}");

    let out = callfloor(&["analyze", "--eval", name]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("  skipped: {name} line 3 has the label \"positive\"")), "{text}");
}

#[test]
fn a_file_without_a_usable_line_or_a_missing_file_fails_with_one_sentence() {
    let path = temp_file("no-usable.tsv", "# only bad lines\nPOSITIVE\tgood\n");
    let name = path_str(&path);
    let out = callfloor(&["analyze", "--eval", name]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains(&format!("{name} has no usable line")), "{err}");
    assert!(err.contains(&format!("{name} line 2 has the label \"POSITIVE\"")), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one sentence: {err}");

    let missing = std::env::temp_dir().join("callfloor-analyze-eval-no-such-file.tsv");
    let out = callfloor(&["analyze", "--eval", path_str(&missing), "--json"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains(&format!("cannot open the evaluation file {}", missing.display())), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one sentence: {err}");
    assert!(out.stdout.is_empty(), "no JSON on failure");
}

/// The shipped English files (data/eval/README.md) score at least what was measured on them, less a margin of
/// 0.01, and their zero share grows by no more than that: a change to the English analysis that loses accuracy on
/// real people's words fails here.
#[test]
fn the_shipped_english_files_keep_the_measured_accuracy() {
    let root = env!("CARGO_MANIFEST_DIR");
    // (file, lines, measured accuracy, measured zero share) — see data/eval/README.md.
    let files = [
        ("en_vader_tweets.tsv", 3432, 0.9636, 0.0219),
        ("en_vader_amazon.tsv", 2985, 0.6261, 0.2268),
        ("en_calls.tsv", 600, 0.7000, 0.1583),
    ];
    for (file, lines, accuracy, zero_share) in files {
        let v = eval_json(&format!("{root}/data/eval/{file}"));
        assert_eq!(v["scored"], lines, "{file}: every line is scored");
        assert_eq!(v["skipped"], 0, "{file}: {}", v["skips"]);
        let acc = v["accuracy"].as_f64().unwrap_or_default();
        let zero = v["zero_share"].as_f64().unwrap_or(1.0);
        assert!(acc >= accuracy - 0.01, "{file}: sign accuracy {acc:.4}, measured {accuracy}");
        assert!(zero <= zero_share + 0.01, "{file}: scored 0 on {zero:.4}, measured {zero_share}");
    }
}

/// Issue 11's targets for Chinese, on the shipped Chinese customer file (data/eval/zh_customer.tsv, written for this
/// project; see data/eval/README.md): sign accuracy at least 0.85 and under 10 % of the lines scored exactly 0.
#[test]
fn the_shipped_chinese_file_meets_the_issue_targets() {
    let root = env!("CARGO_MANIFEST_DIR");
    let file = format!("{root}/data/eval/zh_customer.tsv");
    let v = eval_json(&file);
    assert_eq!(v["skipped"], 0, "{file}: {}", v["skips"]);
    let langs = v["languages"].as_array().cloned().unwrap_or_default();
    let zh = langs.iter().find(|l| l["lang"] == "zh").unwrap_or_else(|| panic!("{file} has no Chinese line: {v}"));
    assert_eq!(zh["scored"], 1600, "{file}: every line is Chinese and scored");
    let acc = zh["accuracy"].as_f64().unwrap_or_default();
    let zero = zh["zero_share"].as_f64().unwrap_or(1.0);
    assert!(acc >= 0.85, "{file}: Chinese sign accuracy {acc:.4}, the target is 0.85");
    assert!(zero < 0.10, "{file}: {:.1} % of the Chinese lines scored 0, the target is under 10 %", zero * 100.0);
}
