//! Opening a connection to the engine, step by step (TCP, then TLS for `wss://`, then the WebSocket handshake), so
//! each failure gets a sentence that says which step failed and what to do.

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, http};

use super::ClientConfig;
use super::tls::{ClientTls, Failure, explain_handshake};

/// Header of the engine's plain-HTTP answer on a TLS port (the engine's `server::tls` sends it; the two must
/// agree, and tests/tls.rs checks that they do).
const PLAIN_ON_TLS_HEADER: &str = "x-callfloor-tls";

/// The client's byte stream: plain TCP, or TLS over TCP.
pub(super) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

pub(super) type Ws = WebSocketStream<Box<dyn Io>>;

/// Connects to `cfg.url` and opens the WebSocket (no hello yet).
pub(super) async fn open(cfg: &ClientConfig, ws_config: WebSocketConfig) -> Result<Ws, Failure> {
    let url = cfg.url.as_str();
    let request = url.into_client_request().map_err(|e| {
        Failure::Fatal(format!("'{url}' is not a WebSocket URL ({e}): write it like ws://127.0.0.1:7300"))
    })?;
    let uri = request.uri();
    let secure = match uri.scheme_str() {
        Some("wss") => true,
        Some("ws") => false,
        _ => return Err(Failure::Fatal(format!("'{url}' is not a WebSocket URL: write it like ws://127.0.0.1:7300"))),
    };
    let Some(host) = uri.host().map(str::to_string) else {
        return Err(Failure::Fatal(format!("'{url}' names no host: write it like ws://127.0.0.1:7300")));
    };
    let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
    let authority = format!("{host}:{port}");
    // An IPv6 host is written [::1] in a URL, ::1 in a certificate.
    let bare_host = host.trim_start_matches('[').trim_end_matches(']').to_string();

    let tcp = TcpStream::connect(authority.as_str())
        .await
        .map_err(|e| Failure::Lost(format!("cannot connect to {url}: {e}")))?;
    let _ = tcp.set_nodelay(true);

    let stream: Box<dyn Io> = if secure {
        let trust = match &cfg.tls {
            Some(t) => t.clone(),
            None => ClientTls::web_roots().map_err(|e| Failure::Fatal(e.to_string()))?,
        };
        let name = ServerName::try_from(bare_host.clone()).map_err(|_| {
            Failure::Fatal(format!(
                "'{bare_host}' in {url} is neither a host name nor an IP address a certificate can name"
            ))
        })?;
        let connector = tokio_rustls::TlsConnector::from(trust.config());
        match connector.connect(name, tcp).await {
            Ok(tls) => Box::new(tls),
            Err(e) => return Err(explain_handshake(&e, url, &bare_host, &authority, &trust)),
        }
    } else {
        Box::new(tcp)
    };

    match tokio_tungstenite::client_async_with_config(request, stream, Some(ws_config)).await {
        Ok((ws, _)) => Ok(ws),
        Err(WsError::Http(response)) => Err(explain_refusal(&response, url, &authority)),
        Err(e) if !secure => Err(Failure::Lost(format!(
            "the WebSocket handshake with {url} failed ({e}): if the engine serves TLS, connect to wss://{authority}"
        ))),
        Err(e) => Err(Failure::Lost(format!("the WebSocket handshake with {url} failed: {e}"))),
    }
}

/// The sentence for an HTTP answer other than `101 Switching Protocols`.
fn explain_refusal(response: &http::Response<Option<Vec<u8>>>, url: &str, authority: &str) -> Failure {
    if response.headers().contains_key(PLAIN_ON_TLS_HEADER) {
        return Failure::Fatal(format!(
            "the engine at {url} serves TLS: connect to wss://{authority} instead (with --ca FILE if its certificate comes from a private CA)"
        ));
    }
    let body = response.body().as_deref().map(String::from_utf8_lossy).unwrap_or_default();
    let body = body.trim();
    if body.is_empty() || body.len() > 200 {
        Failure::Lost(format!("the server at {url} refused the WebSocket handshake ({})", response.status()))
    } else {
        Failure::Lost(format!("the server at {url} refused the WebSocket handshake ({}): {body}", response.status()))
    }
}
