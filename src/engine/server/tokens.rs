//! Access tokens: who may connect, under which name and with which role. Read from a TOML file of `[[token]]`
//! tables (`name`, `token`, `role`), or generated for a demo or a loopback-only engine.

use std::path::Path;

use serde::Deserialize;

use crate::engine::sim::scenario::line_of;
use crate::model::Role;

/// Shortest token a tokens file may hold.
pub const MIN_TOKEN_CHARS: usize = 16;

/// One person (or script) allowed to connect.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenEntry {
    /// Shown in the audit log and to other supervisors.
    pub name: String,
    pub token: String,
    pub role: Role,
}

impl std::fmt::Debug for TokenEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a token into a log.
        f.debug_struct("TokenEntry").field("name", &self.name).field("role", &self.role).finish_non_exhaustive()
    }
}

/// The tokens an engine accepts.
#[derive(Clone, Debug, Default)]
pub struct Tokens {
    entries: Vec<TokenEntry>,
}

/// A tokens file that could not be used: which file, which line, which key, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}{}: {message}", line.map(|l| format!(", line {l}")).unwrap_or_default(), key.as_ref().map(|k| format!(", key `{k}`")).unwrap_or_default())]
pub struct TokensError {
    pub file: String,
    pub line: Option<usize>,
    pub key: Option<String>,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileShape {
    #[serde(default)]
    token: Vec<EntryShape>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryShape {
    name: toml::Spanned<String>,
    token: toml::Spanned<String>,
    role: toml::Spanned<String>,
}

/// The key written on the line at `offset` (`role = 5` gives `role`), if that line is a key/value pair.
fn key_on_line(text: &str, offset: usize) -> Option<String> {
    let start = text.get(..offset.min(text.len()))?.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line = text.get(start..)?.lines().next()?;
    let (key, _) = line.split_once('=')?;
    let key = key.trim().trim_matches('"');
    (!key.is_empty() && !key.starts_with('[')).then(|| key.to_string())
}

/// The first name in backticks in a message (`missing field `role``).
fn key_in_message(message: &str) -> Option<String> {
    let rest = message.split_once('`')?.1;
    Some(rest.split_once('`')?.0.to_string())
}

impl Tokens {
    /// Reads a tokens file.
    pub fn load(path: &Path) -> Result<Tokens, TokensError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| TokensError {
            file: file.clone(),
            line: None,
            key: None,
            message: format!("cannot read the tokens file ({e}); check the path given to --tokens"),
        })?;
        warn_if_readable_by_others(path);
        Tokens::parse(&text, &file)
    }

    /// Parses the text of a tokens file; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Tokens, TokensError> {
        let shape: FileShape = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start));
            let key = e.span().and_then(|s| key_on_line(text, s.start)).or_else(|| key_in_message(e.message()));
            TokensError {
                file: file.to_string(),
                line,
                key,
                message: format!("{} (each [[token]] table has name, token and role)", e.message().trim()),
            }
        })?;
        let err = |span: std::ops::Range<usize>, key: &str, message: String| TokensError {
            file: file.to_string(),
            line: Some(line_of(text, span.start)),
            key: Some(key.to_string()),
            message,
        };
        if shape.token.is_empty() {
            return Err(TokensError {
                file: file.to_string(),
                line: None,
                key: None,
                message: "the file holds no [[token]] tables: add one with name, token and role".into(),
            });
        }
        let mut entries: Vec<TokenEntry> = Vec::with_capacity(shape.token.len());
        for e in shape.token {
            let name = e.name.get_ref().trim().to_string();
            if name.is_empty() {
                return Err(err(e.name.span(), "name", "the name is empty: it is shown in the audit log".into()));
            }
            let token = e.token.get_ref().clone();
            if token.chars().count() < MIN_TOKEN_CHARS || token.chars().any(char::is_whitespace) {
                return Err(err(
                    e.token.span(),
                    "token",
                    format!(
                        "a token needs at least {MIN_TOKEN_CHARS} characters and no spaces; make one with `openssl rand -hex 16`"
                    ),
                ));
            }
            if entries.iter().any(|x| x.token == token) {
                return Err(err(
                    e.token.span(),
                    "token",
                    "this token is given twice: each token names one person".into(),
                ));
            }
            let Some(role) = Role::from_name(e.role.get_ref()) else {
                let other = e.role.get_ref();
                return Err(err(
                    e.role.span(),
                    "role",
                    format!("'{other}' is not a role: use viewer, supervisor or admin"),
                ));
            };
            entries.push(TokenEntry { name, token, role });
        }
        Ok(Tokens { entries })
    }

    /// Tokens from entries made in code.
    pub fn from_entries(entries: Vec<TokenEntry>) -> Tokens {
        Tokens { entries }
    }

    /// Adds a token.
    pub fn push(&mut self, entry: TokenEntry) {
        self.entries.push(entry);
    }

    pub fn entries(&self) -> &[TokenEntry] {
        &self.entries
    }

    /// The entry holding `token`. Compares in time independent of where the strings differ.
    pub fn check(&self, token: &str) -> Option<&TokenEntry> {
        let mut found = None;
        for e in &self.entries {
            if ct_eq(e.token.as_bytes(), token.as_bytes()) {
                found = Some(e);
            }
        }
        found
    }
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A new random token: 32 hex digits from the operating system's randomness.
pub fn generate_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!("the tokens file {} can be read by other users of this machine: chmod 600 it", path.display());
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[[token]]
name = "ana"
token = "0123456789abcdef0123"
role = "supervisor"

[[token]]
name = "root"
token = "fedcba9876543210fedc"
role = "admin"
"#;

    #[test]
    fn a_good_file_loads_and_checks_tokens() {
        let Ok(t) = Tokens::parse(GOOD, "tokens.toml") else { panic!("the example file must parse") };
        assert_eq!(t.entries().len(), 2);
        assert_eq!(t.check("0123456789abcdef0123").map(|e| (e.name.as_str(), e.role)), Some(("ana", Role::Supervisor)));
        assert_eq!(t.check("fedcba9876543210fedc").map(|e| e.role), Some(Role::Admin));
        assert!(t.check("0123456789abcdef012").is_none());
        assert!(t.check("").is_none());
    }

    fn error_of(text: &str) -> TokensError {
        match Tokens::parse(text, "tokens.toml") {
            Ok(_) => panic!("expected an error for:\n{text}"),
            Err(e) => e,
        }
    }

    #[test]
    fn bad_files_name_the_line_and_key() {
        let e = error_of(&GOOD.replace(r#"role = "admin""#, r#"role = "boss""#));
        assert_eq!((e.line, e.key.as_deref()), (Some(10), Some("role")), "{e}");
        assert!(e.to_string().starts_with("tokens.toml, line 10, key `role`: 'boss' is not a role"), "{e}");

        let e = error_of(&GOOD.replace(r#"role = "admin""#, "role = 5"));
        assert_eq!((e.line, e.key.as_deref()), (Some(10), Some("role")), "{e}");

        let e = error_of(&GOOD.replace(r#"role = "admin""#, ""));
        assert_eq!(e.key.as_deref(), Some("role"), "{e}");

        let e = error_of(&GOOD.replace("fedcba9876543210fedc", "short"));
        assert_eq!((e.line, e.key.as_deref()), (Some(9), Some("token")), "{e}");

        let e = error_of(&GOOD.replace("fedcba9876543210fedc", "0123456789abcdef0123"));
        assert_eq!((e.line, e.key.as_deref()), (Some(9), Some("token")), "{e}");

        let e = error_of(&GOOD.replace(r#"name = "root""#, r#"nmae = "root""#));
        assert_eq!(e.line, Some(8), "{e}");

        let e = error_of("# nothing here\n");
        assert!(e.message.contains("no [[token]]"), "{e}");
    }

    #[test]
    fn generated_tokens_are_long_and_differ() {
        let a = generate_token();
        let b = generate_token();
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        let Ok(t) = Tokens::parse(&format!("[[token]]\nname='x'\ntoken='{a}'\nrole='viewer'\n"), "t") else {
            panic!("a generated token must be accepted by the file format")
        };
        assert!(t.check(&a).is_some());
    }
}
