//! TLS for the client (`wss://` URLs): which certificates it trusts, and a sentence for each way a TLS handshake
//! can fail.
//!
//! Trust: with `--ca FILE`, the client trusts only the CA certificates in that file (an engine on a private CA
//! cannot then be impersonated by a certificate any public CA would sign); without it, the Mozilla roots bundled
//! in the binary (`webpki-roots`), the same on every machine whatever its OS trust store holds.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use anyhow::{Result, bail};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::pki_types::pem::{self, PemObject};
use tokio_rustls::rustls::{CertificateError, RootCertStore};

/// Where a client's trust comes from.
#[derive(Debug, Clone, PartialEq)]
enum Trust {
    /// The public web's CAs, bundled.
    Web,
    /// The CA certificates of a `--ca` file.
    CaFile(PathBuf),
    /// CA certificates given in memory.
    Given,
}

/// What a client trusts when it connects to a `wss://` URL.
#[derive(Clone)]
pub struct ClientTls {
    config: Arc<rustls::ClientConfig>,
    trust: Trust,
}

impl std::fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientTls").field("trust", &self.trust).finish_non_exhaustive()
    }
}

impl ClientTls {
    /// Trusts the public web's CAs (Mozilla's list, bundled in the binary).
    pub fn web_roots() -> Result<ClientTls> {
        static WEB: OnceLock<Result<ClientTls, String>> = OnceLock::new();
        WEB.get_or_init(|| {
            let roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
            client_config(roots).map(|config| ClientTls { config, trust: Trust::Web }).map_err(|e| e.to_string())
        })
        .clone()
        .map_err(anyhow::Error::msg)
    }

    /// Trusts only the CA certificates (PEM) in `path`: what `--ca FILE` gives. Each failure is one sentence
    /// naming the file.
    pub fn from_ca_file(path: &Path) -> Result<ClientTls> {
        let pem = std::fs::read(path).map_err(|e| {
            anyhow::anyhow!(
                "cannot read the CA file {} given to --ca ({e}): check the path and that this user may read it",
                path.display()
            )
        })?;
        let config = ca_config(&pem, &format!("the CA file {}", path.display()))?;
        Ok(ClientTls { config, trust: Trust::CaFile(path.to_path_buf()) })
    }

    /// Trusts only the CA certificates in `pem` (tests, embedding).
    pub fn from_ca_pem(pem: &[u8]) -> Result<ClientTls> {
        Ok(ClientTls { config: ca_config(pem, "the CA certificate given")?, trust: Trust::Given })
    }

    pub(super) fn config(&self) -> Arc<rustls::ClientConfig> {
        self.config.clone()
    }

    /// The `--ca` file this trust comes from (None: the bundled web roots, or PEM given in memory).
    pub fn ca_file(&self) -> Option<&Path> {
        match &self.trust {
            Trust::CaFile(p) => Some(p),
            _ => None,
        }
    }
}

fn ca_config(pem: &[u8], what: &str) -> Result<Arc<rustls::ClientConfig>> {
    let certs = CertificateDer::pem_slice_iter(pem).collect::<Result<Vec<_>, _>>().map_err(|e| {
        anyhow::anyhow!("{what} is not valid PEM ({}): it must hold -----BEGIN CERTIFICATE----- blocks", pem_error(&e))
    })?;
    if certs.is_empty() {
        bail!(
            "{what} holds no certificate (no -----BEGIN CERTIFICATE----- block): give the PEM certificate of the CA that issued the engine's certificate"
        );
    }
    let mut roots = RootCertStore::empty();
    for cert in certs {
        roots.add(cert).map_err(|e| {
            anyhow::anyhow!(
                "{what} holds a certificate that cannot be used as a CA ({e}): give the CA's certificate in PEM"
            )
        })?;
    }
    client_config(roots)
}

/// rustls on *ring*: it builds with a C compiler alone (aws-lc-rs needs cmake too). rustls 0.23.48 deprecates
/// it for lacking post-quantum key exchange; the handshake is otherwise the same (TLS 1.3 and 1.2, X25519).
#[allow(deprecated)]
fn client_config(roots: RootCertStore) -> Result<Arc<rustls::ClientConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| anyhow::anyhow!("cannot set up TLS: {e}"))?;
    Ok(Arc::new(builder.with_root_certificates(roots).with_no_client_auth()))
}

/// How a connection attempt failed: for good (the user must change something) or for now (retry).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Failure {
    Fatal(String),
    Lost(String),
}

/// The sentence for a failed TLS handshake with the engine at `url` (host `host`, `host:port` `authority`).
pub(super) fn explain_handshake(e: &io::Error, url: &str, host: &str, authority: &str, trust: &ClientTls) -> Failure {
    let Some(error) = e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) else {
        // The peer closed or reset the connection instead of answering the ClientHello: typically a plain server.
        return Failure::Lost(format!(
            "the engine at {url} ended the connection during the TLS handshake ({e}): if it serves plain WebSocket, connect to ws://{authority}"
        ));
    };
    match error {
        rustls::Error::InvalidCertificate(c) => Failure::Fatal(explain_certificate(c, url, host, trust)),
        rustls::Error::InvalidMessage(_)
        | rustls::Error::InappropriateMessage { .. }
        | rustls::Error::InappropriateHandshakeMessage { .. } => Failure::Lost(format!(
            "the engine at {url} did not answer in TLS ({error}): if it serves plain WebSocket, connect to ws://{authority}"
        )),
        rustls::Error::AlertReceived(alert) => {
            Failure::Lost(format!("the engine at {url} refused the TLS handshake (alert: {alert:?})"))
        }
        other => Failure::Lost(format!("the TLS handshake with the engine at {url} failed: {other}")),
    }
}

fn explain_certificate(c: &CertificateError, url: &str, host: &str, trust: &ClientTls) -> String {
    let at = format!("the engine at {url}");
    match c {
        CertificateError::NotValidForNameContext { presented, .. }
            if presented.iter().any(|n| name_of(n).is_some()) =>
        {
            format!(
                "{at} presented a certificate for {}, not {host}: connect with a name the certificate holds, or have the engine's certificate issued for {host}",
                presented.iter().filter_map(|n| name_of(n)).collect::<Vec<_>>().join(", ")
            )
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => format!(
            "{at} presented a certificate that is not for {host}: connect with a name the certificate holds, or have the engine's certificate issued for {host}"
        ),
        CertificateError::ExpiredContext { not_after, .. } => format!(
            "{at} presented a certificate that expired on {}: the engine's operator must renew it (engine --tls-cert)",
            date(not_after.as_secs())
        ),
        CertificateError::Expired => {
            format!(
                "{at} presented a certificate that has expired: the engine's operator must renew it (engine --tls-cert)"
            )
        }
        CertificateError::NotValidYetContext { not_before, .. } => format!(
            "{at} presented a certificate that is not valid before {}: check this machine's clock, or the certificate's dates",
            date(not_before.as_secs())
        ),
        CertificateError::NotValidYet => format!(
            "{at} presented a certificate that is not valid yet: check this machine's clock, or the certificate's dates"
        ),
        CertificateError::UnknownIssuer => match &trust.trust {
            Trust::CaFile(file) => format!(
                "{at} presented a certificate not issued by the CA in {}: give --ca the certificate of the CA that issued the engine's",
                file.display()
            ),
            Trust::Web => format!(
                "{at} presented a certificate from an issuer this client does not trust: if the engine uses a private CA, give its certificate with --ca FILE"
            ),
            Trust::Given => format!("{at} presented a certificate not issued by the CA this client was given"),
        },
        other => format!(
            "{at} presented a certificate this client refuses ({}): the engine's operator must fix it",
            rustls::Error::InvalidCertificate(other.clone())
        ),
    }
}

/// A host name or address out of a name the verifier reports as presented (`DnsName("a.example")`,
/// `IpAddress(10.0.0.1)`); None for other kinds of names.
fn name_of(presented: &str) -> Option<&str> {
    if let Some(dns) = presented.strip_prefix("DnsName(\"") {
        return dns.strip_suffix("\")");
    }
    presented.strip_prefix("IpAddress(").and_then(|ip| ip.strip_suffix(')'))
}

/// A certificate time (seconds since the Unix epoch) as a UTC date and time.
fn date(secs: u64) -> String {
    i64::try_from(secs)
        .ok()
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .map_or_else(|| format!("{secs} s after 1970"), |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
}

fn pem_error(e: &pem::Error) -> String {
    match e {
        pem::Error::MissingSectionEnd { end_marker } => {
            format!("a block has no {} line", String::from_utf8_lossy(end_marker))
        }
        pem::Error::IllegalSectionStart { line } => {
            format!("a malformed -----BEGIN line: {}", String::from_utf8_lossy(line))
        }
        pem::Error::Base64Decode(e) => format!("bad base64: {e}"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presented_names_are_read_out_of_the_verifiers_words() {
        assert_eq!(name_of("DnsName(\"other.example\")"), Some("other.example"));
        assert_eq!(name_of("IpAddress(10.0.0.1)"), Some("10.0.0.1"));
        assert_eq!(name_of("DirectoryName"), None);
    }

    #[test]
    fn certificate_times_read_as_utc_dates() {
        assert_eq!(date(0), "1970-01-01 00:00 UTC");
        assert_eq!(date(1_577_836_800), "2020-01-01 00:00 UTC");
    }
}
