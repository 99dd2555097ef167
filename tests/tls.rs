//! `wss://`: the engine serving TLS with certificates made here by a test CA (rcgen), and clients that trust that CA
//! (`--ca`), that speak plain WebSocket to it, that meet a certificate for another name or an expired one, or that
//! speak TLS to a plain engine. The engine is stepped (`Pacing::Manual`); nothing waits on the wall clock except
//! failure guards.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use callfloor::client::{self, ClientConfig, ClientTls, ConnState, Update};
use callfloor::engine::Engine;
use callfloor::engine::server::{self, Pacing, ServerConfig, ServerHandle, ServerTls, TokenEntry, Tokens};
use callfloor::engine::sim::scenario::Scenario;
use callfloor::model::Role;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

const GUARD: Duration = Duration::from_secs(30);
const TOKEN: &str = "supervisor-token-0001";

async fn guard<T>(what: &str, f: impl Future<Output = T>) -> T {
    match tokio::time::timeout(GUARD, f).await {
        Ok(v) => v,
        Err(_) => panic!("timed out: {what}"),
    }
}

/// A test CA: its certificate (PEM) and what it signs with.
struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let Ok(mut params) = CertificateParams::new(Vec::<String>::new()) else { panic!("CA parameters") };
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.not_before = rcgen::date_time_ymd(2000, 1, 1);
        params.not_after = rcgen::date_time_ymd(2999, 1, 1);
        let Ok(key) = KeyPair::generate() else { panic!("CA key") };
        match CertifiedIssuer::self_signed(params, key) {
            Ok(issuer) => Ca { issuer },
            Err(e) => panic!("CA certificate: {e}"),
        }
    }

    fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A server certificate for `names`, valid from `from` to `to` (years, 1 January): (cert PEM, key PEM).
    fn server_cert(&self, names: &[&str], from: i32, to: i32) -> (String, String) {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let Ok(mut params) = CertificateParams::new(names) else { panic!("server certificate parameters") };
        params.distinguished_name.push(DnType::CommonName, "callfloor engine");
        params.not_before = rcgen::date_time_ymd(from, 1, 1);
        params.not_after = rcgen::date_time_ymd(to, 1, 1);
        let Ok(key) = KeyPair::generate() else { panic!("server key") };
        match params.signed_by(&key, &self.issuer) {
            Ok(cert) => (cert.pem(), key.serialize_pem()),
            Err(e) => panic!("server certificate: {e}"),
        }
    }
}

/// A scratch directory of this test's own.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("callfloor-tls-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        assert!(std::fs::create_dir_all(&dir).is_ok(), "cannot make {}", dir.display());
        Scratch(dir)
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        assert!(std::fs::write(&path, text).is_ok(), "cannot write {}", path.display());
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn engine() -> Engine {
    let Ok(s) = Scenario::load("bank") else { panic!("the bundled bank scenario must load") };
    Engine::new(s, 7)
}

fn tokens() -> Tokens {
    Tokens::from_entries(vec![TokenEntry { name: "ana".into(), token: TOKEN.into(), role: Role::Supervisor }])
}

/// An engine on a loopback port, serving TLS with `tls` (or plain without).
async fn start(tls: Option<ServerTls>) -> ServerHandle {
    let Ok(listener) = TcpListener::bind("127.0.0.1:0").await else { panic!("cannot bind a loopback port") };
    let mut cfg = ServerConfig::new(tokens(), Pacing::Manual);
    cfg.tls = tls;
    match server::serve(listener, engine(), cfg).await {
        Ok(s) => s,
        Err(e) => panic!("the server must start: {e:#}"),
    }
}

/// An engine serving TLS with a certificate `ca` signs for `names`, valid `from`..`to`.
async fn start_tls(ca: &Ca, names: &[&str], from: i32, to: i32) -> ServerHandle {
    let (cert, key) = ca.server_cert(names, from, to);
    match ServerTls::from_pem(cert.as_bytes(), key.as_bytes()) {
        Ok(tls) => start(Some(tls)).await,
        Err(e) => panic!("the test certificate must load: {e:#}"),
    }
}

/// A client of `url` that trusts the CA in `ca_file`, as `--ca FILE` makes it, retrying quickly.
fn client_config(url: &str, ca_file: Option<&Path>) -> ClientConfig {
    let mut c = match client::client_config(url, TOKEN.to_string(), ca_file) {
        Ok(c) => c,
        Err(e) => panic!("the client configuration must build: {e:#}"),
    };
    c.backoff_initial = Duration::from_millis(10);
    c.backoff_max = Duration::from_millis(40);
    c
}

async fn next_update(rx: &mut mpsc::Receiver<Update>) -> Update {
    let Some(u) = guard("an update", rx.recv()).await else { panic!("the client task ended") };
    u
}

/// The reason of the first connection failure: `Failed` (for good) or `Disconnected` (will retry).
async fn first_failure(config: ClientConfig) -> ConnState {
    let (mut rx, _tx) = client::spawn(config);
    loop {
        match next_update(&mut rx).await {
            u @ Update::Connection(ConnState::Failed { .. } | ConnState::Disconnected { .. }) => {
                let Update::Connection(state) = u else { unreachable!() };
                return state;
            }
            Update::Connection(ConnState::Connecting { .. }) => {}
            other => panic!("the client must not get in, yet it got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_client_trusting_the_test_ca_gets_the_welcome_snapshot_and_events_over_wss() {
    let scratch = Scratch::new("ok");
    let ca = Ca::new("callfloor test CA");
    let ca_file = scratch.file("ca.pem", &ca.pem());
    let server = start_tls(&ca, &["127.0.0.1", "localhost"], 2020, 2999).await;
    assert!(server.url().starts_with("wss://127.0.0.1:"), "{}", server.url());
    let port = server.local_addr().port();
    // By address (an IP name on the certificate) and by host name (a DNS name on it).
    for url in [server.url(), format!("wss://localhost:{port}")] {
        let (mut rx, _tx) = client::spawn(client_config(&url, Some(&ca_file)));
        let mut mirror = client::Mirror::default();
        let mut welcomed = false;
        loop {
            let u = next_update(&mut rx).await;
            mirror.apply(&u, std::time::Instant::now());
            match u {
                Update::Connection(ConnState::Failed { reason } | ConnState::Disconnected { reason, .. }) => {
                    panic!("{url}: the TLS connection must succeed: {reason}")
                }
                Update::Welcome { user, role, .. } => {
                    assert_eq!((user.as_str(), role), ("ana", Role::Supervisor));
                    welcomed = true;
                }
                Update::Snapshot { .. } => break,
                _ => {}
            }
        }
        assert!(welcomed, "{url}: the welcome comes before the snapshot");
        // The event stream flows over TLS too: the mirror follows the engine.
        let seq = match server.advance(chrono::Duration::seconds(120), chrono::Duration::seconds(1)).await {
            Ok(s) => s,
            Err(e) => panic!("advance: {e:#}"),
        };
        assert!(seq > mirror.seq(), "two floor minutes make events");
        while mirror.seq() < seq {
            let u = next_update(&mut rx).await;
            mirror.apply(&u, std::time::Instant::now());
        }
        let engine_floor = match server.floor().await {
            Ok(f) => f,
            Err(e) => panic!("floor: {e:#}"),
        };
        assert_eq!(mirror.floor.seq, engine_floor.seq);
        assert_eq!(mirror.floor.calls.len(), engine_floor.calls.len(), "{url}: the mirror holds the engine's calls");
    }
}

#[tokio::test]
async fn a_plain_ws_client_on_the_tls_port_is_told_to_use_wss() {
    let ca = Ca::new("callfloor test CA");
    let server = start_tls(&ca, &["127.0.0.1"], 2020, 2999).await;
    let addr = server.local_addr();
    let state = first_failure(client_config(&format!("ws://{addr}"), None)).await;
    let ConnState::Failed { reason } = state else {
        panic!("a ws:// URL for a TLS port is refused for good: {state:?}")
    };
    assert_eq!(
        reason,
        format!(
            "the engine at ws://{addr} serves TLS: connect to wss://{addr} instead (with --ca FILE if its certificate comes from a private CA)"
        )
    );
}

#[tokio::test]
async fn a_certificate_for_another_name_is_refused_naming_both() {
    let scratch = Scratch::new("name");
    let ca = Ca::new("callfloor test CA");
    let ca_file = scratch.file("ca.pem", &ca.pem());
    let server = start_tls(&ca, &["other.example"], 2020, 2999).await;
    let url = server.url();
    let state = first_failure(client_config(&url, Some(&ca_file))).await;
    let ConnState::Failed { reason } = state else { panic!("a wrong-name certificate is refused for good: {state:?}") };
    assert_eq!(
        reason,
        format!(
            "the engine at {url} presented a certificate for other.example, not 127.0.0.1: connect with a name the certificate holds, or have the engine's certificate issued for 127.0.0.1"
        )
    );
}

#[tokio::test]
async fn an_expired_certificate_is_refused_with_its_end_date() {
    let scratch = Scratch::new("expired");
    let ca = Ca::new("callfloor test CA");
    let ca_file = scratch.file("ca.pem", &ca.pem());
    let server = start_tls(&ca, &["127.0.0.1"], 2000, 2001).await;
    let url = server.url();
    let state = first_failure(client_config(&url, Some(&ca_file))).await;
    let ConnState::Failed { reason } = state else { panic!("an expired certificate is refused for good: {state:?}") };
    assert_eq!(
        reason,
        format!(
            "the engine at {url} presented a certificate that expired on 2001-01-01 00:00 UTC: the engine's operator must renew it (engine --tls-cert)"
        )
    );
}

#[tokio::test]
async fn a_certificate_from_another_ca_is_refused_pointing_at_ca() {
    let scratch = Scratch::new("issuer");
    let ours = Ca::new("callfloor test CA");
    let theirs = Ca::new("someone else's CA");
    let ca_file = scratch.file("ca.pem", &ours.pem());
    let server = start_tls(&theirs, &["127.0.0.1"], 2020, 2999).await;
    let url = server.url();
    let state = first_failure(client_config(&url, Some(&ca_file))).await;
    let ConnState::Failed { reason } = state else { panic!("an unknown issuer is refused for good: {state:?}") };
    assert_eq!(
        reason,
        format!(
            "the engine at {url} presented a certificate not issued by the CA in {}: give --ca the certificate of the CA that issued the engine's",
            ca_file.display()
        )
    );
    // Without --ca the client trusts the public web's CAs only, which did not sign a private CA's certificate.
    let state = first_failure(client_config(&url, None)).await;
    let ConnState::Failed { reason } = state else { panic!("an unknown issuer is refused for good: {state:?}") };
    assert!(reason.ends_with("if the engine uses a private CA, give its certificate with --ca FILE"), "{reason}");
}

#[tokio::test]
async fn a_tls_client_on_a_plain_port_is_told_the_engine_may_serve_ws() {
    let scratch = Scratch::new("plain");
    let ca = Ca::new("callfloor test CA");
    let ca_file = scratch.file("ca.pem", &ca.pem());
    let server = start(None).await;
    let addr = server.local_addr();
    let url = format!("wss://{addr}");
    let state = first_failure(client_config(&url, Some(&ca_file))).await;
    let ConnState::Disconnected { reason, .. } = state else {
        panic!("a TLS client on a plain port retries: {state:?}")
    };
    assert!(reason.starts_with(&format!("the engine at {url} ")), "{reason}");
    assert!(reason.ends_with(&format!("if it serves plain WebSocket, connect to ws://{addr}")), "{reason}");
}

#[test]
fn bad_certificate_and_key_files_fail_at_start_naming_the_file() {
    let scratch = Scratch::new("files");
    let ca = Ca::new("callfloor test CA");
    let (cert, key) = ca.server_cert(&["127.0.0.1"], 2020, 2999);
    let (_, other_key) = ca.server_cert(&["127.0.0.1"], 2020, 2999);
    let cert_file = scratch.file("cert.pem", &cert);
    let key_file = scratch.file("key.pem", &key);
    let other_key_file = scratch.file("other-key.pem", &other_key);
    let junk = scratch.file("junk.pem", "not a certificate\n");
    let broken = scratch.file("broken.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n");
    let missing = scratch.0.join("missing.pem");
    assert!(ServerTls::load(&cert_file, &key_file).is_ok(), "the good pair loads");

    let err = |cert: &Path, key: &Path| match ServerTls::load(cert, key) {
        Ok(_) => panic!("{} + {} must be refused", cert.display(), key.display()),
        Err(e) => format!("{e:#}"),
    };
    let cases = [
        (
            err(&missing, &key_file),
            format!("cannot read the TLS certificate file {} given to --tls-cert", missing.display()),
        ),
        (err(&cert_file, &missing), format!("cannot read the TLS key file {} given to --tls-key", missing.display())),
        (err(&junk, &key_file), format!("the TLS certificate file {} holds no certificate", junk.display())),
        (err(&broken, &key_file), format!("the TLS certificate file {} is not valid PEM", broken.display())),
        (err(&cert_file, &cert_file), format!("the TLS key file {} holds no private key", cert_file.display())),
        (
            err(&cert_file, &other_key_file),
            format!(
                "the private key in the TLS key file {} is not the key of the certificate in the TLS certificate file {}",
                other_key_file.display(),
                cert_file.display()
            ),
        ),
    ];
    for (got, want) in cases {
        assert!(got.starts_with(&want), "want {want:?}, got {got:?}");
        assert_eq!(got.lines().count(), 1, "one sentence: {got}");
        assert!(got.contains(": "), "says what to do: {got}");
    }

    // The engine stops at start, before listening, with that sentence.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_callfloor"))
        .args(["engine", "--listen", "127.0.0.1:0", "--tls-cert"])
        .arg(&missing)
        .arg("--tls-key")
        .arg(&key_file)
        .output();
    let Ok(out) = out else { panic!("cannot run callfloor") };
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let want = format!("callfloor: cannot read the TLS certificate file {} given to --tls-cert", missing.display());
    assert!(stderr.starts_with(&want), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one sentence: {stderr}");
}

#[test]
fn the_ca_file_is_checked_when_the_client_starts() {
    let scratch = Scratch::new("ca");
    let ca = Ca::new("callfloor test CA");
    let ca_file = scratch.file("ca.pem", &ca.pem());
    let junk = scratch.file("junk.pem", "hello\n");
    let missing = scratch.0.join("missing.pem");
    let err = |url: &str, ca: &Path| match client::client_config(url, TOKEN.into(), Some(ca)) {
        Ok(_) => panic!("{url} with --ca {} must be refused", ca.display()),
        Err(e) => format!("{e:#}"),
    };
    assert!(client::client_config("wss://127.0.0.1:7300", TOKEN.into(), Some(&ca_file)).is_ok());
    let got = err("wss://127.0.0.1:7300", &missing);
    assert!(got.starts_with(&format!("cannot read the CA file {} given to --ca", missing.display())), "{got}");
    let got = err("wss://127.0.0.1:7300", &junk);
    assert!(got.starts_with(&format!("the CA file {} holds no certificate", junk.display())), "{got}");
    // --ca on a ws:// URL would leave the user believing the link is encrypted.
    let got = err("ws://127.0.0.1:7300", &ca_file);
    assert!(got.contains("is plain WebSocket (not encrypted)"), "{got}");
    // From the command line too, before any connection.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_callfloor"))
        .args(["tail", "--url", "wss://127.0.0.1:9", "--token", TOKEN, "--ca"])
        .arg(&missing)
        .output();
    let Ok(out) = out else { panic!("cannot run callfloor") };
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("cannot read the CA file {} given to --ca", missing.display())), "{stderr}");
    assert!(ClientTls::from_ca_pem(b"").is_err(), "no certificate, no trust");
}

#[test]
fn listening_beyond_loopback_without_tls_warns_that_tokens_travel_in_clear() {
    use callfloor::cli::clear_text_warning;
    let any: std::net::SocketAddr = "0.0.0.0:7300".parse().unwrap_or_else(|_| unreachable!());
    let lo: std::net::SocketAddr = "127.0.0.1:7300".parse().unwrap_or_else(|_| unreachable!());
    let Some(w) = clear_text_warning(any, false) else { panic!("a plain engine on 0.0.0.0 is warned about") };
    assert!(w.contains("access tokens and callers' data travel in clear"), "{w}");
    assert!(w.contains("--tls-cert"), "says what to do: {w}");
    assert_eq!(clear_text_warning(any, true), None, "TLS: no warning");
    assert_eq!(clear_text_warning(lo, false), None, "loopback: no warning");

    // The engine prints it when it starts serving.
    let scratch = Scratch::new("warn");
    let tokens =
        scratch.file("tokens.toml", "[[token]]\nname = \"ana\"\ntoken = \"0123456789abcdef0123\"\nrole = \"viewer\"\n");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_callfloor"))
        .args(["engine", "--listen", "0.0.0.0:0", "--tokens"])
        .arg(&tokens)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let Ok(mut child) = child else { panic!("cannot run callfloor") };
    let Some(stderr) = child.stderr.take() else { panic!("no stderr") };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let mut seen = Vec::new();
    let warning = loop {
        match rx.recv_timeout(GUARD) {
            Ok(line) if line.starts_with("callfloor engine: warning: ") => break line,
            Ok(line) if line.starts_with("callfloor engine: serving") => {
                seen.push(line);
                break String::new();
            }
            Ok(line) => seen.push(line),
            Err(_) => break String::new(),
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(warning.contains("without TLS: access tokens and callers' data travel in clear"), "{warning} {seen:?}");
}
