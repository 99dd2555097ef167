//! The console's small config files: the error they share (file, line, key), the user config file
//! (`~/.config/callfloor/config.toml`) and how a name-or-path picks a built-in or a user file.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// A keymap, theme or config file that could not be used, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}, line {line}{}: {message}", key.as_ref().map(|k| format!(", key {k}")).unwrap_or_default())]
pub struct ConfigError {
    /// The file's path, or `built-in <name>` for a compiled-in file.
    pub file: String,
    /// 1-based line number.
    pub line: usize,
    /// The key (or section) at fault, quoted as written.
    pub key: Option<String>,
    /// One sentence: what is wrong and what to do.
    pub message: String,
}

impl ConfigError {
    pub(crate) fn at(file: &str, text: &str, offset: usize, key: Option<String>, message: impl Into<String>) -> Self {
        ConfigError { file: file.to_string(), line: line_of(text, offset), key, message: message.into() }
    }

    /// Wraps a TOML syntax or shape error with the file name and line.
    pub(crate) fn from_toml(file: &str, text: &str, e: &toml::de::Error) -> Self {
        let offset = e.span().map(|s| s.start).unwrap_or(0);
        ConfigError::at(file, text, offset, None, e.message().trim().to_string())
    }
}

/// 1-based line number of a byte offset.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

/// The closest of `candidates` to `word`, if it is close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = edit_distance(word, c);
        if d <= 2.max(word.len() / 3) && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The user's config file, all of it optional.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    /// Theme: a built-in name (`default`, `light`, `high-contrast`, `mono`) or a path to a theme file.
    pub theme: Option<String>,
    /// Keymap: a built-in name (`default`, `vim`) or a path to a keymap file.
    pub keymap: Option<String>,
    /// Ring the terminal bell on new urgent alerts (default true).
    pub bell: Option<bool>,
    /// Capture the mouse: click a tab or a row, scroll with the wheel (default true).
    pub mouse: Option<bool>,
    /// Ask before risky commands such as barging from a list (default true).
    pub confirm: Option<bool>,
    /// Engine to connect to, e.g. `ws://127.0.0.1:7700`.
    pub url: Option<String>,
    /// File holding the access token.
    pub token_file: Option<PathBuf>,
    /// Where the console writes its log.
    pub log_file: Option<PathBuf>,
}

impl UserConfig {
    /// The keys a config file may set.
    pub const KEYS: [&'static str; 8] =
        ["theme", "keymap", "bell", "mouse", "confirm", "url", "token_file", "log_file"];

    /// Parses a config file's text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<UserConfig, ConfigError> {
        toml::from_str(text).map_err(|e| {
            let mut err = ConfigError::from_toml(file, text, &e);
            // serde names an unknown key only inside its message: name it as the key, with the likely meant one.
            let unknown =
                err.message.strip_prefix("unknown field `").and_then(|m| m.split_once('`')).map(|(k, _)| k.to_string());
            if let Some(key) = unknown {
                let hint = match did_you_mean(&key, UserConfig::KEYS) {
                    Some(k) => format!("did you mean '{k}'?"),
                    None => format!("the settings are {}", UserConfig::KEYS.join(", ")),
                };
                err.message = format!("'{key}' is not a setting ({hint})");
                err.key = Some(key);
            }
            err
        })
    }

    /// Loads `path`, or the default location when `path` is None; a missing default file is an empty config.
    pub fn load(path: Option<&Path>) -> anyhow::Result<UserConfig> {
        let (path, explicit) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => match default_config_path() {
                Some(p) => (p, false),
                None => return Ok(UserConfig::default()),
            },
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(UserConfig::parse(&text, &path.display().to_string())?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => Ok(UserConfig::default()),
            Err(e) => Err(anyhow::anyhow!("cannot read the config file {}: {e}", path.display())),
        }
    }
}

/// What the command line says about the console's look and behaviour; each flag wins over the config file.
#[derive(Debug, Clone, Copy, Default)]
pub struct UiFlags<'a> {
    /// `--theme`
    pub theme: Option<&'a str>,
    /// `--keymap`
    pub keymap: Option<&'a str>,
    /// `--no-bell`
    pub no_bell: bool,
    /// `--no-mouse`
    pub no_mouse: bool,
    /// `--no-confirm`
    pub no_confirm: bool,
}

/// `$XDG_CONFIG_HOME/callfloor/config.toml`, else `~/.config/callfloor/config.toml`.
pub fn default_config_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("callfloor").join("config.toml"))
}

/// `$XDG_STATE_HOME/callfloor/console.log`, else `~/.local/state/callfloor/console.log`.
pub fn default_log_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local").join("state")))?;
    Some(base.join("callfloor").join("console.log"))
}

/// Reads a named built-in file or a user's file: a name without a path separator or `.toml` ending picks the
/// built-in of that name. Returns (file name for errors, text).
pub(crate) fn read_named(
    kind: &str,
    name_or_path: &str,
    builtin: &[(&'static str, &'static str)],
) -> anyhow::Result<(String, String)> {
    if let Some((n, text)) = builtin.iter().find(|(n, _)| *n == name_or_path) {
        return Ok((format!("built-in {kind} '{n}'"), text.to_string()));
    }
    let looks_like_path = name_or_path.contains(['/', '\\']) || name_or_path.ends_with(".toml");
    if !looks_like_path {
        let names: Vec<&str> = builtin.iter().map(|(n, _)| *n).collect();
        anyhow::bail!(
            "there is no built-in {kind} '{name_or_path}': choose one of {} or give a path to a .toml file",
            names.join(", ")
        );
    }
    let text = std::fs::read_to_string(name_or_path)
        .map_err(|e| anyhow::anyhow!("cannot read the {kind} file {name_or_path}: {e}"))?;
    Ok((name_or_path.to_string(), text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_suggestions() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 99), 3);
        assert_eq!(did_you_mean("barg", ["barge", "monitor"]), Some("barge"));
        assert_eq!(did_you_mean("zzzzzz", ["barge", "monitor"]), None);
    }

    #[test]
    fn config_file_errors_name_the_line() {
        let err = UserConfig::parse("theme = \"light\"\nbel = false\n", "cfg.toml").err();
        let Some(err) = err else { panic!("an unknown key must be refused") };
        assert_eq!(err.file, "cfg.toml");
        assert_eq!(err.line, 2);
        assert_eq!(err.key.as_deref(), Some("bel"));
        assert!(err.message.contains("did you mean 'bell'?"), "{err}");
    }
}
