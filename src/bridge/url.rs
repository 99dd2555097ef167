//! `--source`: which source feeds the floor, and the secret a PBX source logs in with.

use std::fmt;
use std::path::Path;

/// A `--source` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceUrl {
    /// The bundled simulator (the default).
    Sim,
    /// `ami://USER@HOST[:PORT]` (port 5038 by default).
    Ami { user: String, host: String, port: u16 },
    /// `esl://HOST[:PORT]` (port 8021 by default).
    Esl { host: String, port: u16 },
}

impl SourceUrl {
    /// Reads a `--source` value; the error is one sentence saying what is accepted.
    pub fn parse(s: &str) -> Result<SourceUrl, String> {
        let s = s.trim();
        if s == "sim" {
            return Ok(SourceUrl::Sim);
        }
        let usage = "name `sim`, `ami://USER@HOST:5038` or `esl://HOST:8021` (the secret goes in --secret-file or \
                     the environment, never in the URL)";
        let (scheme, rest) = s.split_once("://").ok_or_else(|| format!("'{s}' is not a source: {usage}"))?;
        let rest = rest.trim_end_matches('/');
        match scheme {
            "ami" => {
                let (user, hostport) = rest
                    .rsplit_once('@')
                    .ok_or_else(|| format!("'{s}' names no AMI user: write ami://USER@HOST:5038"))?;
                if user.contains(':') {
                    return Err(format!(
                        "'{}' carries a secret in the URL, where shell history and process lists show it: put it in \
                         --secret-file or CALLFLOOR_AMI_SECRET",
                        redact(s)
                    ));
                }
                if user.is_empty() {
                    return Err(format!("'{s}' names no AMI user: write ami://USER@HOST:5038"));
                }
                let (host, port) = host_port(hostport, 5038, s)?;
                Ok(SourceUrl::Ami { user: user.to_string(), host, port })
            }
            "esl" => {
                if rest.contains('@') {
                    return Err(format!(
                        "'{}' carries a user or password: the event socket has only a password, and it goes in \
                         --secret-file or CALLFLOOR_ESL_PASSWORD",
                        redact(s)
                    ));
                }
                let (host, port) = host_port(rest, 8021, s)?;
                Ok(SourceUrl::Esl { host, port })
            }
            other => Err(format!("'{other}://' is not a source this engine knows: {usage}")),
        }
    }

    /// `ami`, `esl` or `sim`.
    pub fn kind(&self) -> &'static str {
        match self {
            SourceUrl::Sim => "sim",
            SourceUrl::Ami { .. } => "ami",
            SourceUrl::Esl { .. } => "esl",
        }
    }

    /// `host:port`, for logs and the health line.
    pub fn target(&self) -> String {
        match self {
            SourceUrl::Sim => "sim".into(),
            SourceUrl::Ami { host, port, .. } | SourceUrl::Esl { host, port } => {
                if host.contains(':') {
                    format!("[{host}]:{port}")
                } else {
                    format!("{host}:{port}")
                }
            }
        }
    }

    /// The environment variable a secret may come from.
    pub fn secret_env(&self) -> Option<&'static str> {
        match self {
            SourceUrl::Sim => None,
            SourceUrl::Ami { .. } => Some("CALLFLOOR_AMI_SECRET"),
            SourceUrl::Esl { .. } => Some("CALLFLOOR_ESL_PASSWORD"),
        }
    }

    /// The secret for this source: the first line of `file` when given, else the environment variable. The error
    /// says where to put one.
    pub fn secret(&self, file: Option<&Path>) -> Result<Secret, String> {
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read the secret file {}: {e}", path.display()))?;
            let line = text.lines().next().unwrap_or("").trim();
            if line.is_empty() {
                return Err(format!("the secret file {} is empty: put the secret on its first line", path.display()));
            }
            return Ok(Secret(line.to_string()));
        }
        let Some(var) = self.secret_env() else { return Ok(Secret(String::new())) };
        match std::env::var(var) {
            Ok(v) if !v.trim().is_empty() => Ok(Secret(v.trim().to_string())),
            _ => Err(format!(
                "the {} source needs a secret: give --secret-file FILE (first line) or set {var}",
                self.kind().to_uppercase()
            )),
        }
    }
}

impl fmt::Display for SourceUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceUrl::Sim => f.write_str("sim"),
            SourceUrl::Ami { user, .. } => write!(f, "ami://{user}@{}", self.target()),
            SourceUrl::Esl { .. } => write!(f, "esl://{}", self.target()),
        }
    }
}

/// `s` with whatever sits between `://` and `@` replaced, so an error never repeats a secret.
fn redact(s: &str) -> String {
    match (s.find("://"), s.rfind('@')) {
        (Some(a), Some(b)) if b > a => format!("{}://…{}", &s[..a], &s[b..]),
        _ => s.to_string(),
    }
}

fn host_port(hostport: &str, default: u16, whole: &str) -> Result<(String, u16), String> {
    // [v6]:port, host:port, host
    let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
        let (h, after) = rest.split_once(']').ok_or_else(|| format!("'{whole}' has an unclosed '[' in its host"))?;
        (h, after.strip_prefix(':'))
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    if host.is_empty() {
        return Err(format!("'{whole}' names no host"));
    }
    let port = match port {
        None => default,
        Some(p) => p.parse().map_err(|_| format!("'{whole}': '{p}' is not a port number (1–65535)"))?,
    };
    if port == 0 {
        return Err(format!("'{whole}': port 0 is not a port to connect to"));
    }
    Ok((host.to_string(), port))
}

/// A PBX secret. Its `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    /// The secret itself, for the login action only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_parse_with_default_ports() {
        assert_eq!(SourceUrl::parse("sim"), Ok(SourceUrl::Sim));
        assert_eq!(
            SourceUrl::parse("ami://callfloor@pbx.example"),
            Ok(SourceUrl::Ami { user: "callfloor".into(), host: "pbx.example".into(), port: 5038 })
        );
        assert_eq!(
            SourceUrl::parse("ami://cf@10.0.0.5:15038"),
            Ok(SourceUrl::Ami { user: "cf".into(), host: "10.0.0.5".into(), port: 15038 })
        );
        assert_eq!(SourceUrl::parse("esl://[::1]"), Ok(SourceUrl::Esl { host: "::1".into(), port: 8021 }));
        assert_eq!(SourceUrl::parse("esl://[::1]").map(|s| s.target()), Ok("[::1]:8021".to_string()));
    }

    #[test]
    fn a_secret_in_the_url_is_refused_without_being_repeated() {
        let e = SourceUrl::parse("ami://cf:hunter2@pbx:5038").unwrap_err();
        assert!(!e.contains("hunter2"), "{e}");
        assert!(e.contains("CALLFLOOR_AMI_SECRET"), "{e}");
        let e = SourceUrl::parse("esl://:ClueCon@pbx").unwrap_err();
        assert!(!e.contains("ClueCon"), "{e}");
        assert!(SourceUrl::parse("ami://pbx:5038").unwrap_err().contains("no AMI user"));
        assert!(SourceUrl::parse("sip://pbx").unwrap_err().contains("not a source"));
        assert!(SourceUrl::parse("ami://cf@pbx:99999").unwrap_err().contains("not a port"));
    }

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s} {s:?}"), "… Secret(…)");
        assert_eq!(s.expose(), "hunter2");
    }
}
