//! Where in a scenario file an error is: the key path the validator complains about, mapped to a line through
//! the spans the TOML parser records, and serde's messages put in the words of the format.

/// A scenario file that could not be used: which file, where, and what is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{source_name}{}: {message}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
pub struct ScenarioError {
    /// The file's path, or `bundled scenario 'NAME'`.
    pub source_name: String,
    /// 1-based line of the offending key, when the file has one.
    pub line: Option<usize>,
    /// What is wrong and what to do, naming the table and key.
    pub message: String,
}

/// One step into the TOML document: a key of a table or an index into an array. The validator names keys with
/// `&'static str`; a path found in a document borrows its keys from a [`FoundString`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Step<'k> {
    Key(&'k str),
    Index(usize),
}

/// A step of a path found in a document, owning its key.
#[derive(Debug, Clone, PartialEq)]
enum FoundStep {
    Key(String),
    Index(usize),
}

impl FoundStep {
    fn as_step(&self) -> Step<'_> {
        match self {
            FoundStep::Key(k) => Step::Key(k.as_str()),
            FoundStep::Index(i) => Step::Index(*i),
        }
    }
}

/// A string value of the document and the path to it, with the document's own keys.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct FoundString {
    steps: Vec<FoundStep>,
    /// The string's contents.
    pub(super) value: String,
}

impl FoundString {
    /// The path to the string, to match against the validator's paths.
    pub(super) fn path(&self) -> Vec<Step<'_>> {
        self.steps.iter().map(FoundStep::as_step).collect()
    }
}

/// The string value of the document whose text covers byte `offset` (where serde said a value is wrong), with its
/// path. `None` when the text does not parse or no string value is there.
pub(super) fn string_at(text: &str, offset: usize) -> Option<FoundString> {
    use toml::Spanned;
    use toml::de::DeValue;
    /// Depth first; `steps` ends as the path to the string found, if any.
    fn walk(v: &Spanned<DeValue<'_>>, offset: usize, steps: &mut Vec<FoundStep>) -> Option<String> {
        let mut child = |step: FoundStep, v: &Spanned<DeValue<'_>>| {
            steps.push(step);
            let found = walk(v, offset, steps);
            if found.is_none() {
                steps.pop();
            }
            found
        };
        match v.get_ref() {
            DeValue::String(s) => {
                let span = v.span();
                (span.start <= offset && offset < span.end.max(span.start + 1)).then(|| s.to_string())
            }
            DeValue::Table(t) => t.iter().find_map(|(k, v)| child(FoundStep::Key(k.get_ref().to_string()), v)),
            DeValue::Array(a) => a.iter().enumerate().find_map(|(i, v)| child(FoundStep::Index(i), v)),
            _ => None,
        }
    }
    let root = toml::de::DeTable::parse(text).ok()?;
    let root = Spanned::new(root.span(), DeValue::Table(root.into_inner()));
    let mut steps = Vec::new();
    let value = walk(&root, offset, &mut steps)?;
    Some(FoundString { steps, value })
}

/// The 1-based line of the deepest part of `at` that the document holds: the key itself when present, else its
/// nearest enclosing key or array entry. `None` when the text does not parse (it did, to get here).
pub(super) fn locate(text: &str, at: &[Step<'_>]) -> Option<usize> {
    use toml::de::{DeArray, DeTable, DeValue};
    fn children<'r, 'i>(v: &'r DeValue<'i>) -> (Option<&'r DeTable<'i>>, Option<&'r DeArray<'i>>) {
        (v.as_table(), v.as_array())
    }
    let root = DeTable::parse(text).ok()?;
    let mut offset = None;
    let (mut table, mut array): (Option<&DeTable<'_>>, Option<&DeArray<'_>>) = (Some(root.get_ref()), None);
    for step in at {
        let value = match *step {
            Step::Key(k) => {
                let Some((key, value)) = table.and_then(|t| t.get_key_value(k)) else { break };
                offset = Some(key.span().start);
                value
            }
            Step::Index(i) => {
                let Some(value) = array.and_then(|a| a.get(i)) else { break };
                offset = Some(value.span().start);
                value
            }
        };
        (table, array) = children(value.get_ref());
    }
    offset.map(|o| line_of(text, o))
}

/// toml/serde's message in the words of this format (keys, whole numbers), quoting the offending line when it is
/// a `key = value` line.
pub(super) fn plain_serde_message(message: &str, line: &str) -> String {
    let mut m = message.trim().replace("missing field", "missing key").replace("unknown field", "unknown key");
    for (rust, plain) in
        [("u8", "a whole number"), ("u32", "a whole number"), ("u64", "a whole number"), ("f64", "a number")]
    {
        m = m.replace(&format!("expected {rust}"), &format!("expected {plain}"));
    }
    if line.contains('=') && !line.starts_with('[') && line.chars().count() <= 120 {
        m = format!("{m}, in `{line}`");
    }
    m
}

/// 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}
