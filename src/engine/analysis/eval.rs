//! `callfloor analyze --eval FILE.tsv`: how well the sentiment score's sign agrees with labelled lines.
//!
//! A file holds `label<TAB>text` lines, the label `pos` or `neg`, with an optional third column naming an emotion
//! (`anger`, `anxiety`, `confusion` or `none`). Lines with one of those four are also scored on emotion: a table of
//! labelled against predicted emotion (`none` included) and the share where they agree. Other emotion words are
//! counted and named, not scored. Blank lines and lines starting with `#` are ignored; any other line that cannot be used (no
//! TAB, a label other than pos/neg, empty text, not UTF-8) is skipped and reported with the file and line number.
//!
//! [`evaluate`] is deterministic (counts only); [`throughput`] times the analyzer on the file's lines and is only
//! printed, never asserted.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;

use super::Analyzer;
use crate::engine::sim::scenario::has_cjk;
use crate::model::Emotion;

/// At most this many skipped lines are listed (the count covers them all).
pub const MAX_SKIPS_LISTED: usize = 20;

/// The label of an evaluation line, and the sign the analyzer gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Polarity {
    Pos,
    Neg,
}

/// One usable line of an evaluation file.
#[derive(Debug, Clone, PartialEq)]
pub struct Labelled {
    /// 1-based line number in the file.
    pub line: usize,
    pub label: Polarity,
    pub text: String,
    /// The optional third column, lower-cased (`None` when absent or empty).
    pub emotion: Option<String>,
}

/// A line that was skipped and why, as one sentence naming the file and line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Skip {
    pub line: usize,
    pub reason: String,
}

/// The lines of an evaluation file: the usable ones and the skipped ones.
#[derive(Debug, Clone, Default)]
pub struct EvalFile {
    /// Every line of the file, including blank and comment lines.
    pub lines: usize,
    pub labelled: Vec<Labelled>,
    pub skipped: Vec<Skip>,
}

/// Parses an evaluation file; `name` is how its lines are named in skip reasons (its path as given).
pub fn parse(name: &str, mut input: impl BufRead) -> std::io::Result<EvalFile> {
    let mut out = EvalFile::default();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if input.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        out.lines += 1;
        let line = out.lines;
        let mut skip = |reason: String| out.skipped.push(Skip { line, reason });
        let Ok(raw) = std::str::from_utf8(&buf) else {
            skip(format!("{name} line {line} is not valid UTF-8; convert the file to UTF-8"));
            continue;
        };
        let raw = raw.trim_end_matches(['\n', '\r']);
        if raw.trim().is_empty() || raw.starts_with('#') {
            continue;
        }
        let mut cols = raw.splitn(3, '\t');
        let label = cols.next().unwrap_or_default().trim();
        let Some(text) = cols.next() else {
            skip(format!("{name} line {line} has no TAB; write it as label<TAB>text with the label pos or neg"));
            continue;
        };
        let label = match label.to_ascii_lowercase().as_str() {
            "pos" => Polarity::Pos,
            "neg" => Polarity::Neg,
            _ => {
                let shown: String = label.chars().take(20).collect();
                skip(format!("{name} line {line} has the label {shown:?}; a label is pos or neg"));
                continue;
            }
        };
        let text = text.trim();
        if text.is_empty() {
            skip(format!("{name} line {line} has a label but no text after the TAB"));
            continue;
        }
        let emotion = cols.next().map(|e| e.trim().to_lowercase()).filter(|e| !e.is_empty());
        if let Some(e) = &emotion
            && !e.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        {
            let shown: String = e.chars().take(20).collect();
            skip(format!(
                "{name} line {line} has the emotion {shown:?}; an emotion is one word such as anger, anxiety, \
                 confusion or none (and the text may not contain a TAB)"
            ));
            continue;
        }
        out.labelled.push(Labelled { line, label, text: text.to_string(), emotion });
    }
    Ok(out)
}

/// Rows of the confusion table: how many lines of a label were scored positive, negative or exactly 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Row {
    pub pos: usize,
    pub neg: usize,
    pub zero: usize,
}

impl Row {
    fn total(&self) -> usize {
        self.pos + self.neg + self.zero
    }
}

/// The confusion table: labels (rows) × predicted sign (columns).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Confusion {
    pub pos: Row,
    pub neg: Row,
}

/// Sign accuracy and zero share of a set of lines.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Scores {
    /// Lines scored.
    pub scored: usize,
    /// Lines whose score has the label's sign (a score of exactly 0 is wrong).
    pub correct: usize,
    /// `correct / lines`, 0..1.
    pub accuracy: f64,
    /// Lines scored exactly 0 (no sentiment word found).
    pub zero: usize,
    /// `zero / lines`, 0..1.
    pub zero_share: f64,
    pub confusion: Confusion,
}

impl Scores {
    fn add(&mut self, label: Polarity, score: f32) {
        let row = match label {
            Polarity::Pos => &mut self.confusion.pos,
            Polarity::Neg => &mut self.confusion.neg,
        };
        if score > 0.0 {
            row.pos += 1;
        } else if score < 0.0 {
            row.neg += 1;
        } else {
            row.zero += 1;
        }
    }

    fn finish(mut self) -> Scores {
        let c = &self.confusion;
        self.scored = c.pos.total() + c.neg.total();
        self.correct = c.pos.pos + c.neg.neg;
        self.zero = c.pos.zero + c.neg.zero;
        let share = |n: usize| if self.scored == 0 { 0.0 } else { n as f64 / self.scored as f64 };
        self.accuracy = share(self.correct);
        self.zero_share = share(self.zero);
        self
    }
}

/// Figures of one language in a file that mixes Chinese and English lines.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LangScores {
    /// `zh` (the line has a CJK character) or `en`.
    pub lang: &'static str,
    #[serde(flatten)]
    pub scores: Scores,
}

/// Everything `--eval` reports except the throughput.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    pub file: String,
    /// Every line of the file, blank and comment lines included.
    pub lines_read: usize,
    pub skipped: usize,
    /// The first [`MAX_SKIPS_LISTED`] skipped lines.
    pub skips: Vec<Skip>,
    #[serde(flatten)]
    pub scores: Scores,
    /// Per language (`zh` lines have a CJK character); one entry per language present, zh first.
    pub languages: Vec<LangScores>,
    /// Lines per emotion label of the optional third column.
    pub emotions: BTreeMap<String, usize>,
    /// True when some line has an emotion label that is scored (`anger`, `anxiety`, `confusion`, `none`).
    pub emotions_scored: bool,
    /// Emotion figures over the lines with a scored emotion label; absent when there are none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emotion: Option<EmotionScores>,
}

/// One row of the emotion table: how many lines of a label got each predicted emotion (`none`: no emotion).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct EmotionRow {
    pub anger: usize,
    pub anxiety: usize,
    pub confusion: usize,
    pub none: usize,
}

impl EmotionRow {
    fn cell(&mut self, e: Option<Emotion>) -> &mut usize {
        match e {
            Some(Emotion::Anger) => &mut self.anger,
            Some(Emotion::Anxiety) => &mut self.anxiety,
            Some(Emotion::Confusion) => &mut self.confusion,
            None => &mut self.none,
        }
    }

    fn get(&self, e: Option<Emotion>) -> usize {
        let mut row = *self;
        *row.cell(e)
    }

    fn total(&self) -> usize {
        self.anger + self.anxiety + self.confusion + self.none
    }
}

/// The emotion table: labelled emotion (rows) × predicted emotion (columns), `none` included on both sides.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct EmotionConfusion {
    pub anger: EmotionRow,
    pub anxiety: EmotionRow,
    pub confusion: EmotionRow,
    pub none: EmotionRow,
}

impl EmotionConfusion {
    fn row(&mut self, label: Option<Emotion>) -> &mut EmotionRow {
        match label {
            Some(Emotion::Anger) => &mut self.anger,
            Some(Emotion::Anxiety) => &mut self.anxiety,
            Some(Emotion::Confusion) => &mut self.confusion,
            None => &mut self.none,
        }
    }

    /// Rows in table order, with their labels.
    fn rows(&self) -> [(Option<Emotion>, EmotionRow); 4] {
        [
            (Some(Emotion::Anger), self.anger),
            (Some(Emotion::Anxiety), self.anxiety),
            (Some(Emotion::Confusion), self.confusion),
            (None, self.none),
        ]
    }
}

/// How well the predicted emotion agrees with the labelled one.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EmotionScores {
    /// Lines with a scored emotion label (`anger`, `anxiety`, `confusion`, `none`).
    pub scored: usize,
    /// Lines whose predicted emotion (or none) is the label.
    pub correct: usize,
    /// `correct / scored`, 0..1.
    pub accuracy: f64,
    /// Lines labelled with an emotion (not `none`) that got exactly that emotion, and their share of such lines.
    pub emotional: usize,
    pub emotional_correct: usize,
    pub emotional_recall: f64,
    pub confusion: EmotionConfusion,
}

impl EmotionScores {
    fn add(&mut self, label: Option<Emotion>, predicted: Option<Emotion>) {
        *self.confusion.row(label).cell(predicted) += 1;
    }

    fn finish(mut self) -> Option<EmotionScores> {
        let rows = self.confusion.rows();
        self.scored = rows.iter().map(|(_, r)| r.total()).sum();
        if self.scored == 0 {
            return None;
        }
        self.correct = rows.iter().map(|(l, r)| r.get(*l)).sum();
        self.accuracy = self.correct as f64 / self.scored as f64;
        self.emotional = self.scored - self.confusion.none.total();
        self.emotional_correct = self.correct - self.confusion.none.none;
        self.emotional_recall =
            if self.emotional == 0 { 0.0 } else { self.emotional_correct as f64 / self.emotional as f64 };
        Some(self)
    }
}

/// The emotion an evaluation label names: `Some(None)` for `none`, `None` for a word that is not scored.
fn emotion_label(label: &str) -> Option<Option<Emotion>> {
    if label == "none" { Some(None) } else { Emotion::parse(label).map(Some) }
}

/// Scores every usable line of `file` with `analyzer` and counts the results.
pub fn evaluate(analyzer: &Analyzer, name: &str, file: &EvalFile) -> EvalReport {
    let mut all = Scores::default();
    let (mut zh, mut en) = (Scores::default(), Scores::default());
    let mut emotions = BTreeMap::new();
    let mut emotion = EmotionScores::default();
    for l in &file.labelled {
        let a = analyzer.analyze(&l.text);
        let score = a.sentiment;
        all.add(l.label, score);
        if has_cjk(&l.text) { &mut zh } else { &mut en }.add(l.label, score);
        if let Some(e) = &l.emotion {
            *emotions.entry(e.clone()).or_insert(0) += 1;
            if let Some(label) = emotion_label(e) {
                emotion.add(label, a.emotion);
            }
        }
    }
    let emotion = emotion.finish();
    let languages = [("zh", zh), ("en", en)]
        .into_iter()
        .map(|(lang, s)| LangScores { lang, scores: s.finish() })
        .filter(|l| l.scores.scored > 0)
        .collect();
    EvalReport {
        file: name.to_string(),
        lines_read: file.lines,
        skipped: file.skipped.len(),
        skips: file.skipped.iter().take(MAX_SKIPS_LISTED).cloned().collect(),
        scores: all.finish(),
        languages,
        emotions,
        emotions_scored: emotion.is_some(),
        emotion,
    }
}

/// How fast the analyzer went over the file's lines (printed, never asserted).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Throughput {
    pub utterances_per_s: f64,
    /// Utterances analysed in total (the file's lines times `passes`).
    pub utterances: usize,
    /// Times the whole file was analysed, so a small file is timed long enough for a stable figure.
    pub passes: usize,
    pub seconds: f64,
    /// Threads used for the analysis (one).
    pub threads: usize,
    /// The machine's cores (`available_parallelism`).
    pub cores: usize,
}

/// Analyses every line of `file` (sentiment and the analyzer's rules), pass after pass, until `min` has passed
/// (at least one pass), on one thread.
pub fn throughput(analyzer: &Analyzer, file: &EvalFile, min: Duration) -> Throughput {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let start = Instant::now();
    let mut passes = 0;
    let mut sink = 0usize;
    loop {
        for l in &file.labelled {
            let a = analyzer.analyze(std::hint::black_box(&l.text));
            sink = sink.wrapping_add(a.hits.len()).wrapping_add(usize::from(a.sentiment > 0.0));
        }
        passes += 1;
        if start.elapsed() >= min || file.labelled.is_empty() {
            break;
        }
    }
    std::hint::black_box(sink);
    let seconds = start.elapsed().as_secs_f64();
    let utterances = passes * file.labelled.len();
    let utterances_per_s = if seconds > 0.0 { utterances as f64 / seconds } else { 0.0 };
    Throughput { utterances_per_s, utterances, passes, seconds, threads: 1, cores }
}

/// Reads and parses the file at `path`; an unreadable file or one without a usable line is an error (one sentence).
pub fn load(path: &Path) -> anyhow::Result<EvalFile> {
    let name = path.display().to_string();
    let f = std::fs::File::open(path).map_err(|e| {
        anyhow::anyhow!(
            "cannot open the evaluation file {name} ({e}); give a TSV file of label<TAB>text lines (label pos or neg)"
        )
    })?;
    let file = parse(&name, std::io::BufReader::new(f)).with_context(|| format!("cannot read {name}"))?;
    if file.labelled.is_empty() {
        let why = match file.skipped.first() {
            Some(s) => format!(" ({} skipped; the first: {})", file.skipped.len(), s.reason),
            None => String::new(),
        };
        anyhow::bail!("{name} has no usable line{why}; write each line as label<TAB>text with the label pos or neg");
    }
    Ok(file)
}

/// The `--json` output: the report and the throughput in one object.
#[derive(Serialize)]
pub struct JsonOut<'a> {
    #[serde(flatten)]
    pub report: &'a EvalReport,
    pub throughput: &'a Throughput,
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn table(out: &mut String, c: &Confusion) {
    out.push_str("                 predicted pos  predicted neg  scored 0\n");
    for (label, row) in [("labelled pos", c.pos), ("labelled neg", c.neg)] {
        out.push_str(&format!("    {label:<12} {:>13}  {:>13}  {:>8}\n", row.pos, row.neg, row.zero));
    }
}

fn emotion_name(e: Option<Emotion>) -> &'static str {
    e.map_or("none", Emotion::as_str)
}

fn emotion_table(out: &mut String, e: &EmotionScores) {
    out.push_str(&format!(
        "emotion accuracy {:.4} ({} of {} lines with an emotion label; none is a label too)\n",
        e.accuracy, e.correct, e.scored
    ));
    out.push_str(&format!(
        "emotion recall   {:.4} ({} of {} lines labelled anger, anxiety or confusion got that emotion)\n",
        e.emotional_recall, e.emotional_correct, e.emotional
    ));
    out.push_str("emotions:        predicted anger  anxiety  confusion  none\n");
    for (label, row) in e.confusion.rows() {
        let label = format!("labelled {}", emotion_name(label));
        out.push_str(&format!(
            "    {label:<18} {:>11}  {:>7}  {:>9}  {:>4}\n",
            row.anger, row.anxiety, row.confusion, row.none
        ));
    }
}

/// The human-readable report.
pub fn render(r: &EvalReport, t: &Throughput) -> String {
    let mut out = String::new();
    let s = &r.scores;
    out.push_str(&format!("{}: {} lines read, {} scored, {} skipped\n", r.file, r.lines_read, s.scored, r.skipped));
    for skip in &r.skips {
        out.push_str(&format!("  skipped: {}\n", skip.reason));
    }
    if r.skipped > r.skips.len() {
        out.push_str(&format!("  ... and {} more skipped lines\n", r.skipped - r.skips.len()));
    }
    out.push_str(&format!(
        "sign accuracy  {:.4} ({} of {}; a score of exactly 0 counts as wrong)\n",
        s.accuracy, s.correct, s.scored
    ));
    out.push_str(&format!("scored 0       {:.4} ({} of {}, {})\n", s.zero_share, s.zero, s.scored, pct(s.zero_share)));
    out.push_str("confusion:\n");
    table(&mut out, &s.confusion);
    if r.languages.len() > 1 {
        out.push_str("per language (zh = the line has a CJK character):\n");
        for l in &r.languages {
            let ls = &l.scores;
            out.push_str(&format!(
                "  {}: {} lines, sign accuracy {:.4}, scored 0 {:.4}\n",
                l.lang, ls.scored, ls.accuracy, ls.zero_share
            ));
            table(&mut out, &ls.confusion);
        }
    }
    if !r.emotions.is_empty() {
        let list: Vec<String> = r.emotions.iter().map(|(e, n)| format!("{e} {n}")).collect();
        out.push_str(&format!("emotion labels: {}\n", list.join(", ")));
        let unscored: Vec<String> =
            r.emotions.iter().filter(|(e, _)| emotion_label(e).is_none()).map(|(e, n)| format!("{e} {n}")).collect();
        if !unscored.is_empty() {
            out.push_str(&format!(
                "  not scored (an emotion label is anger, anxiety, confusion or none): {}\n",
                unscored.join(", ")
            ));
        }
    }
    if let Some(e) = &r.emotion {
        emotion_table(&mut out, e);
    }
    out.push_str(&format!(
        "throughput     {:.0} utterances/s on {} thread ({} passes over the file, {} utterances in {:.2} s; \
         machine has {} cores)\n",
        t.utterances_per_s, t.threads, t.passes, t.utterances, t.seconds, t.cores
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_skips_bad_lines_with_file_and_line() {
        let input = "# comment\npos\tgood\n\nmeh\tbad label\nneg\n neg \t awful \tANGER\npos\t  \nneg\tx\tnot one\n";
        let f = parse("t.tsv", input.as_bytes()).unwrap_or_default();
        assert_eq!(f.lines, 8);
        let lines: Vec<usize> = f.labelled.iter().map(|l| l.line).collect();
        assert_eq!(lines, [2, 6]);
        assert_eq!(f.labelled[1].text, "awful");
        assert_eq!(f.labelled[1].emotion.as_deref(), Some("anger"));
        let skipped: Vec<usize> = f.skipped.iter().map(|s| s.line).collect();
        assert_eq!(skipped, [4, 5, 7, 8]);
        assert!(f.skipped[0].reason.starts_with("t.tsv line 4 has the label \"meh\""), "{:?}", f.skipped[0]);
        assert!(f.skipped[1].reason.contains("no TAB"));
    }
}
