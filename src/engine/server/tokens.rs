//! Access tokens: who may connect, under which name and with which role. Read from a TOML file of `[[token]]`
//! tables (`name`, `token`, `role`), or generated for a demo or a loopback-only engine.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::path::Path;
use std::time::{Duration, Instant};

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
                    format!("'{other}' is not a role: use viewer, supervisor, admin or ingest"),
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

/// Wrong tokens from one address are forgotten this long after the last one.
pub const AUTH_FORGET_AFTER: Duration = Duration::from_secs(15 * 60);
/// Addresses the throttle remembers at most; past that, the longest-quiet ones are forgotten first.
const AUTH_ADDRESSES_MAX: usize = 10_000;

/// Backs off hellos from an address that sent wrong tokens: the first `free` wrong tokens cost nothing, each one
/// after that refuses hellos from the address for a wait that doubles from `first_wait` up to `max_wait` (the
/// right token included, so guesses cannot be tried during a wait). Failures are forgotten
/// [`AUTH_FORGET_AFTER`] after the last one; a right token does not wipe them, so a valid token cannot be used to
/// buy more guesses. IPv6 addresses count per /64, the block one host usually holds. Time comes from the caller.
#[derive(Debug, Clone)]
pub struct AuthThrottle {
    free: u32,
    first_wait: Duration,
    max_wait: Duration,
    addrs: HashMap<IpAddr, Failures>,
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    until: Option<Instant>,
}

impl AuthThrottle {
    pub fn new(free: u32, first_wait: Duration, max_wait: Duration) -> AuthThrottle {
        AuthThrottle { free, first_wait, max_wait: max_wait.max(first_wait), addrs: HashMap::new() }
    }

    /// The address failures are counted under: an IPv4 address (also when mapped into IPv6), or an IPv6 /64.
    pub fn key(addr: IpAddr) -> IpAddr {
        match addr {
            IpAddr::V4(_) => addr,
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
            },
        }
    }

    /// How much longer hellos from `addr` are refused, if they are at `now`.
    pub fn blocked(&self, addr: IpAddr, now: Instant) -> Option<Duration> {
        let until = self.addrs.get(&Self::key(addr))?.until?;
        (now < until).then(|| until - now)
    }

    /// Counts a wrong token from `addr` at `now`; returns the wait it starts (none within the free failures).
    pub fn failed(&mut self, addr: IpAddr, now: Instant) -> Option<Duration> {
        let key = Self::key(addr);
        if !self.addrs.contains_key(&key) && self.addrs.len() >= AUTH_ADDRESSES_MAX {
            self.forget(now);
        }
        let f = self.addrs.entry(key).or_insert(Failures { count: 0, last: now, until: None });
        if now.saturating_duration_since(f.last) >= AUTH_FORGET_AFTER {
            *f = Failures { count: 0, last: now, until: None };
        }
        f.count = f.count.saturating_add(1);
        f.last = now;
        let over = f.count.checked_sub(self.free)?.checked_sub(1)?;
        let wait = self.first_wait.checked_mul(1u32 << over.min(20)).unwrap_or(self.max_wait).min(self.max_wait);
        f.until = Some(now + wait);
        Some(wait)
    }

    /// Addresses remembered now.
    pub fn len(&self) -> usize {
        self.addrs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.addrs.is_empty()
    }

    /// Makes room: drops what is forgotten by now, then (if still full) the tenth quiet the longest.
    fn forget(&mut self, now: Instant) {
        self.addrs.retain(|_, f| now.saturating_duration_since(f.last) < AUTH_FORGET_AFTER);
        if self.addrs.len() >= AUTH_ADDRESSES_MAX {
            let mut lasts: Vec<Instant> = self.addrs.values().map(|f| f.last).collect();
            lasts.sort_unstable();
            let cutoff = lasts[lasts.len() / 10];
            self.addrs.retain(|_, f| f.last > cutoff);
        }
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

    const SEC: Duration = Duration::from_secs(1);

    #[test]
    fn wrong_tokens_back_off_their_address_with_growing_capped_waits() {
        let mut t = AuthThrottle::new(3, SEC, 8 * SEC);
        let a: IpAddr = [10, 0, 0, 7].into();
        let b: IpAddr = [10, 0, 0, 8].into();
        let t0 = Instant::now();
        // Three free mistakes: nothing is refused.
        for i in 0..3 {
            assert_eq!(t.failed(a, t0 + i * SEC / 10), None);
            assert_eq!(t.blocked(a, t0 + i * SEC / 10), None);
        }
        // Then waits of 1, 2, 4, 8, 8 s (the cap), each from the mistake that started it.
        let mut now = t0 + SEC;
        for want in [1, 2, 4, 8, 8] {
            assert_eq!(t.failed(a, now), Some(want * SEC));
            assert_eq!(t.blocked(a, now), Some(want * SEC));
            assert_eq!(t.blocked(a, now + want * SEC - SEC / 2), Some(SEC / 2), "still refused near the end");
            now += want * SEC;
            assert_eq!(t.blocked(a, now), None, "free again once the wait is over");
        }
        // Other addresses are not affected.
        assert_eq!(t.blocked(b, now), None);
        assert_eq!(t.failed(b, now), None);
        // Quiet for the forget time: the address starts afresh.
        let later = now + AUTH_FORGET_AFTER;
        assert_eq!(t.failed(a, later), None);
        assert_eq!(t.blocked(a, later), None);
    }

    #[test]
    fn an_ipv6_host_is_counted_by_its_64_block_and_mapped_ipv4_as_ipv4() {
        let mut t = AuthThrottle::new(0, SEC, 60 * SEC);
        let t0 = Instant::now();
        let one: IpAddr = "2001:db8:1:2::1".parse().unwrap_or(IpAddr::V4([0, 0, 0, 0].into()));
        let same_block: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap_or(IpAddr::V4([0, 0, 0, 0].into()));
        let other_block: IpAddr = "2001:db8:1:3::1".parse().unwrap_or(IpAddr::V4([0, 0, 0, 0].into()));
        assert_eq!(t.failed(one, t0), Some(SEC));
        assert_eq!(t.blocked(same_block, t0), Some(SEC), "a host rotating through its /64 is one address");
        assert_eq!(t.blocked(other_block, t0), None);
        let mapped: IpAddr = "::ffff:10.1.2.3".parse().unwrap_or(IpAddr::V4([0, 0, 0, 0].into()));
        assert_eq!(t.failed(mapped, t0), Some(SEC));
        assert_eq!(t.blocked([10, 1, 2, 3].into(), t0), Some(SEC));
    }

    #[test]
    fn the_throttle_remembers_a_bounded_number_of_addresses() {
        let mut t = AuthThrottle::new(0, SEC, 60 * SEC);
        let t0 = Instant::now();
        for i in 0..(AUTH_ADDRESSES_MAX as u32 + 500) {
            t.failed(IpAddr::V4(i.into()), t0 + Duration::from_millis(u64::from(i)));
        }
        assert!(t.len() <= AUTH_ADDRESSES_MAX, "{} addresses kept", t.len());
        let n = AUTH_ADDRESSES_MAX as u32 + 499;
        let at = t0 + Duration::from_millis(u64::from(n));
        assert!(t.blocked(IpAddr::V4(n.into()), at).is_some(), "the newest address is still remembered");
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
