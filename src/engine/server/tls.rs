//! TLS for the engine's WebSocket server (`engine --listen ADDR --tls-cert FILE --tls-key FILE`): `wss://`.
//!
//! The certificate chain and key are read once, at start, so a bad file stops the engine before it listens. Each
//! connection's TLS handshake runs on that connection's own task, under the hello deadline, so a slow or silent
//! peer never holds up the acceptor. A client that speaks plain HTTP to the TLS port is answered in plain HTTP
//! (`400`, with [`PLAIN_ON_TLS_HEADER`]) telling it to use `wss://`, instead of a TLS alert it cannot read.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, bail};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::{self, PemObject};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Header of the plain-HTTP answer a `ws://` client gets from a TLS port; clients that see it say "use wss://".
pub const PLAIN_ON_TLS_HEADER: &str = "x-callfloor-tls";

/// First byte of a TLS record carrying a handshake (a ClientHello opens with it).
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// The server's certificate chain and private key, ready to accept TLS connections.
#[derive(Clone)]
pub struct ServerTls {
    acceptor: tokio_rustls::TlsAcceptor,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls").finish_non_exhaustive()
    }
}

impl ServerTls {
    /// Reads a PEM certificate chain (server certificate first, then any intermediates) from `cert` and its PEM
    /// private key (PKCS#8, PKCS#1 or SEC1) from `key`. Each failure is one sentence naming the file.
    pub fn load(cert: &Path, key: &Path) -> Result<ServerTls> {
        let cert_pem = read(cert, "certificate", "--tls-cert")?;
        let key_pem = read(key, "key", "--tls-key")?;
        let cert_what = format!("the TLS certificate file {}", cert.display());
        let key_what = format!("the TLS key file {}", key.display());
        Self::build(&cert_pem, &key_pem, &cert_what, &key_what)
    }

    /// The same from PEM text in memory (tests, embedding).
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<ServerTls> {
        Self::build(cert_pem, key_pem, "the TLS certificate", "the TLS key")
    }

    /// `cert` and `key` name the inputs in error sentences.
    fn build(cert_pem: &[u8], key_pem: &[u8], cert: &str, key: &str) -> Result<ServerTls> {
        let chain = CertificateDer::pem_slice_iter(cert_pem).collect::<Result<Vec<_>, _>>().map_err(|e| {
            anyhow::anyhow!(
                "{cert} is not valid PEM ({}): it must hold -----BEGIN CERTIFICATE----- blocks",
                pem_error(&e)
            )
        })?;
        if chain.is_empty() {
            bail!(
                "{cert} holds no certificate (no -----BEGIN CERTIFICATE----- block): give the server's certificate, then any intermediates, in PEM"
            );
        }
        let private = match PrivateKeyDer::from_pem_slice(key_pem) {
            Ok(k) => k,
            Err(pem::Error::NoItemsFound) => bail!(
                "{key} holds no private key (no -----BEGIN PRIVATE KEY----- block, nor an RSA or EC one): give the certificate's private key in PEM"
            ),
            Err(e) => {
                bail!("{key} is not valid PEM ({}): it must hold a -----BEGIN PRIVATE KEY----- block", pem_error(&e))
            }
        };
        let builder = rustls::ServerConfig::builder_with_provider(crypto_provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| anyhow::anyhow!("cannot set up TLS: {e}"))?
            .with_no_client_auth();
        let config = match builder.with_single_cert(chain, private) {
            Ok(c) => c,
            Err(rustls::Error::InconsistentKeys(_)) => bail!(
                "the private key in {key} is not the key of the certificate in {cert}: give the key the certificate was issued for"
            ),
            Err(e) => bail!(
                "{cert} and {key} cannot be used together ({e}): give an RSA, ECDSA or Ed25519 key and the certificate issued for it"
            ),
        };
        Ok(ServerTls { acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)) })
    }

    /// Takes an accepted TCP connection through the TLS handshake within `within`. A peer that opens in plain
    /// HTTP gets a `400` saying to use `wss://`. None when the connection is not worth serving (logged).
    pub(super) async fn accept(
        &self,
        stream: TcpStream,
        peer: SocketAddr,
        within: Duration,
    ) -> Option<tokio_rustls::server::TlsStream<TcpStream>> {
        let handshake = async {
            let mut first = [0u8; 1];
            match stream.peek(&mut first).await {
                Ok(0) => return None,
                Err(e) => {
                    tracing::info!(%peer, "connection failed before the TLS handshake: {e}");
                    return None;
                }
                Ok(_) if first[0] != TLS_HANDSHAKE_RECORD => {
                    tracing::info!(%peer, "a client spoke plain WebSocket (ws://) to the TLS port: told it to use wss://");
                    answer_plain(stream).await;
                    return None;
                }
                Ok(_) => {}
            }
            match self.acceptor.accept(stream).await {
                Ok(tls) => Some(tls),
                Err(e) => {
                    tracing::info!(%peer, "TLS handshake failed: {e}");
                    None
                }
            }
        };
        match tokio::time::timeout(within, handshake).await {
            Ok(r) => r,
            Err(_) => {
                tracing::info!(%peer, "no TLS handshake within {within:?}: connection dropped");
                None
            }
        }
    }
}

/// Answers a plain-HTTP request on the TLS port, and closes.
async fn answer_plain(mut stream: TcpStream) {
    let body = "this callfloor engine serves TLS: connect with a wss:// URL instead of ws://\n";
    let response = format!(
        "HTTP/1.1 400 Bad Request\r\n{PLAIN_ON_TLS_HEADER}: required\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// rustls on *ring*: it builds with a C compiler alone (aws-lc-rs needs cmake too). rustls 0.23.48 deprecates
/// it for lacking post-quantum key exchange; the handshake is otherwise the same (TLS 1.3 and 1.2, X25519).
#[allow(deprecated)]
fn crypto_provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn read(path: &Path, what: &str, flag: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| {
        anyhow::anyhow!(
            "cannot read the TLS {what} file {} given to {flag} ({e}): check the path and that this user may read it",
            path.display()
        )
    })
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
