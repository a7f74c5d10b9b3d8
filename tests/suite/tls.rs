//! HTTPS without a proxy, over real TLS: the real `teller serve` with
//! `--tls-cert`/`--tls-key` and a certificate made here (rcgen), a real
//! rustls client that trusts only the test's CA and reads the certificate
//! each connection was given. Pages, a cast, a staff sign-in (cookie
//! `Secure`, HSTS); the certificate replaced and reloaded on SIGHUP and on
//! the file change, with a connection opened before still answered; a bad
//! new key keeping the old certificate; the plain-HTTP redirect listener;
//! plain HTTP on the TLS port refused without harm; and clear start-up
//! errors for a missing, unreadable or mismatched pair.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::process::{free_port, strip_ansi, Deployment};
use common::{example_choices, Backend};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use serde_json::json;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::{self, pki_types::CertificateDer, pki_types::ServerName};

/// A test certificate authority.
struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

/// A server certificate for `localhost` and 127.0.0.1, and its key, as PEM.
struct Leaf {
    cert_pem: String,
    key_pem: String,
    der: CertificateDer<'static>,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(rcgen::DnType::CommonName, name);
        let cert = params.self_signed(&key).unwrap();
        Ca { cert, key }
    }

    fn issue(&self) -> Leaf {
        let key = KeyPair::generate().unwrap();
        let params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
        let cert = params.signed_by(&key, &self.cert, &self.key).unwrap();
        // The chain a server is configured with: its certificate, then the CA's.
        Leaf {
            cert_pem: format!("{}{}", cert.pem(), self.cert.pem()),
            key_pem: key.serialize_pem(),
            der: cert.der().clone(),
        }
    }
}

/// A `teller serve` process, killed when dropped.
struct Serving {
    child: Child,
    log: std::path::PathBuf,
}

impl Serving {
    fn log_text(&self) -> String {
        strip_ansi(&std::fs::read_to_string(&self.log).unwrap_or_default())
    }

    fn hangup(&self) {
        let ok = std::process::Command::new("kill")
            .args(["-HUP", &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -HUP failed");
    }

    fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- server log ---\n{}", self.log_text());
        }
    }
}

/// A TLS client trusting only `ca`.
fn connector(ca: &Ca) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.cert.der().clone()).unwrap();
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    // As a browser asks: HTTP/2 first, then HTTP/1.1 (the server picks).
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// A client that offers TLS 1.2 only.
fn connector_tls12(ca: &Ca) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.cert.der().clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_protocol_versions(&[&rustls::version::TLS12])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

async fn connect(tls: &tokio_rustls::TlsConnector, port: u16) -> std::io::Result<TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).await?;
    tls.connect(ServerName::try_from("localhost").unwrap(), tcp).await
}

/// The certificate the server presented on this connection.
fn presented(stream: &TlsStream<TcpStream>) -> CertificateDer<'static> {
    stream.get_ref().1.peer_certificates().unwrap()[0].clone().into_owned()
}

/// One HTTP/1.1 response.
#[derive(Debug)]
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Send one request on a kept-alive connection and read its answer (the
/// server sends a `Content-Length` for everything these tests ask for).
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    method: &str,
    path: &str,
    host: &str,
    extra: &[(&str, &str)],
    body: &str,
) -> Response {
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\n");
    for (k, v) in extra {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    req.push_str(body);
    stream.write_all(req.as_bytes()).await.unwrap();
    stream.flush().await.unwrap();
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed before the response headers");
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.trim().to_string(), v.trim().to_string())
        })
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.parse().unwrap())
        .expect("a Content-Length");
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed inside the body");
        body.extend_from_slice(&chunk[..n]);
    }
    Response {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

async fn get<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S, path: &str) -> Response {
    exchange(stream, "GET", path, "localhost", &[], "").await
}

fn write_pair(dir: &Path, leaf: &Leaf) {
    std::fs::write(dir.join("cert.pem"), &leaf.cert_pem).unwrap();
    std::fs::write(dir.join("key.pem"), &leaf.key_pem).unwrap();
}

/// Wait until a new connection is given `want` (reloads are asynchronous).
async fn wait_for_certificate(
    tls: &tokio_rustls::TlsConnector,
    port: u16,
    want: &CertificateDer<'_>,
    within: Duration,
) {
    let started = Instant::now();
    loop {
        let c = connect(tls, port).await.unwrap();
        if presented(&c) == *want {
            return;
        }
        assert!(
            started.elapsed() < within,
            "new connections still get the old certificate after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Start `teller serve` over TLS (and the redirect listener) and wait until
/// it answers over TLS.
async fn serve_tls(d: &Deployment, tls: &tokio_rustls::TlsConnector, port: u16, redirect: u16) -> Serving {
    let log = d.path("serve-tls.log");
    let file = std::fs::File::create(&log).unwrap();
    let child = d
        .command()
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--tls-cert",
            d.path("cert.pem").to_str().unwrap(),
            "--tls-key",
            d.path("key.pem").to_str().unwrap(),
            "--http-redirect",
            &format!("127.0.0.1:{redirect}"),
        ])
        .env("TELLER_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::from(file.try_clone().unwrap()))
        .stderr(Stdio::from(file))
        .spawn()
        .unwrap();
    let mut server = Serving { child, log };
    let started = Instant::now();
    loop {
        if let Ok(mut c) = connect(tls, port).await {
            if get(&mut c, "/api/v1/elections").await.status == 200 {
                return server;
            }
        }
        assert!(server.is_running(), "teller serve exited:\n{}", server.log_text());
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "teller serve did not answer over TLS"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_serves_reloads_and_redirects() {
    let d = Deployment::new(Backend::Sqlite);
    let (election, tokens) = d.open_election(3);
    common::staff::add_staff_to(&d.db.url, "ada", "administrator", "correct horse battery");
    let ca = Ca::new("Teller test CA");
    let first = ca.issue();
    write_pair(d.db.dir.path(), &first);
    let tls = connector(&ca);
    let (port, redirect_port) = (free_port(), free_port());
    let mut server = serve_tls(&d, &tls, port, redirect_port).await;

    // Pages and the API over TLS, with HSTS and Secure cookies though no
    // public URL was configured.
    let mut before = connect(&tls, port).await.unwrap();
    assert_eq!(presented(&before), first.der);
    assert_eq!(before.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    assert_eq!(
        before.get_ref().1.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_3)
    );
    let mut old_client = connect(&connector_tls12(&ca), port).await.unwrap();
    assert_eq!(
        old_client.get_ref().1.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_2)
    );
    assert_eq!(get(&mut old_client, "/").await.status, 200);
    let home = get(&mut before, "/").await;
    assert_eq!(home.status, 200, "{}", home.body);
    assert_eq!(
        home.header("strict-transport-security"),
        Some("max-age=31536000; includeSubDomains")
    );
    let page = get(&mut before, &format!("/e/{election}")).await;
    assert_eq!(page.status, 200);
    let link = get(&mut before, &format!("/v/{}", tokens[0])).await;
    assert_eq!(link.status, 303);
    assert!(link.header("set-cookie").unwrap().ends_with("; Secure"), "{link:?}");
    let login = exchange(
        &mut before,
        "POST",
        "/staff/login",
        "localhost",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        "username=ada&password=correct+horse+battery&code=",
    )
    .await;
    assert_eq!(login.status, 303, "{}", login.body);
    let cookie = login.header("set-cookie").unwrap();
    assert!(
        cookie.starts_with("teller_staff=") && cookie.ends_with("; Secure"),
        "{cookie}"
    );
    let cast = |i: usize| json!({"token": tokens[i], "choices": example_choices(i)}).to_string();
    let ballots = format!("/api/v1/elections/{election}/ballots");
    let json = [("Content-Type", "application/json")];
    let res = exchange(&mut before, "POST", &ballots, "localhost", &json, &cast(0)).await;
    assert_eq!(res.status, 201, "{}", res.body);

    // A renewed certificate, on SIGHUP: new connections get it, the
    // connection opened before keeps its session and is still answered.
    let second = ca.issue();
    write_pair(d.db.dir.path(), &second);
    server.hangup();
    wait_for_certificate(&tls, port, &second.der, Duration::from_secs(10)).await;
    assert_eq!(presented(&before), first.der);
    let res = exchange(&mut before, "POST", &ballots, "localhost", &json, &cast(1)).await;
    assert_eq!(res.status, 201, "the connection opened before the reload: {}", res.body);
    assert_eq!(get(&mut before, "/").await.status, 200);

    // A key that is not the certificate's: logged, and the certificate in
    // use stays.
    let stranger = ca.issue();
    std::fs::write(d.path("key.pem"), &stranger.key_pem).unwrap();
    server.hangup();
    let started = Instant::now();
    while !server.log_text().contains("TLS certificate NOT reloaded") {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the bad key was not reported"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut after = connect(&tls, port).await.unwrap();
    assert_eq!(presented(&after), second.der);
    assert_eq!(get(&mut after, "/").await.status, 200);
    assert!(server.is_running());

    // A renewal without a signal: noticed by the files' modification times.
    let third = ca.issue();
    tokio::time::sleep(Duration::from_millis(20)).await;
    write_pair(d.db.dir.path(), &third);
    wait_for_certificate(&tls, port, &third.der, Duration::from_secs(15)).await;
    let res = exchange(&mut after, "POST", &ballots, "localhost", &json, &cast(2)).await;
    assert_eq!(res.status, 201, "{}", res.body);

    // The plain-HTTP listener redirects everything to HTTPS, path and query
    // kept, on the request's (checked) host and the HTTPS port.
    let mut plain = TcpStream::connect(("127.0.0.1", redirect_port)).await.unwrap();
    let moved = exchange(&mut plain, "GET", "/e/abc?x=1&y=2", "vote.example.org:80", &[], "").await;
    assert_eq!(moved.status, 308);
    assert_eq!(
        moved.header("location"),
        Some(format!("https://vote.example.org:{port}/e/abc?x=1&y=2").as_str())
    );
    let moved = exchange(&mut plain, "POST", "/ballot/cast", "localhost", &[], "").await;
    assert_eq!(moved.status, 308);
    assert_eq!(
        moved.header("location"),
        Some(format!("https://localhost:{port}/ballot/cast").as_str())
    );
    let refused = exchange(&mut plain, "GET", "/", "evil.example/x", &[], "").await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.header("location"), None);

    // Plain HTTP spoken to the TLS port gets no HTTP answer, and the server
    // carries on.
    let mut confused = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    confused
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(15), confused.read_to_end(&mut answer)).await;
    assert!(
        read.is_ok(),
        "the server held a plain-HTTP connection to its TLS port open"
    );
    assert!(!answer.starts_with(b"HTTP/"), "{}", String::from_utf8_lossy(&answer));
    assert!(server.is_running());
    let mut fresh = connect(&tls, port).await.unwrap();
    assert_eq!(get(&mut fresh, "/api/v1/elections").await.status, 200);
}

#[test]
fn a_bad_certificate_or_key_stops_start_up_with_a_clear_message() {
    let d = Deployment::new(Backend::Sqlite);
    let ca = Ca::new("Teller test CA");
    let one = ca.issue();
    let other = ca.issue();
    let dir = d.db.dir.path();
    std::fs::write(dir.join("cert.pem"), &one.cert_pem).unwrap();
    std::fs::write(dir.join("key.pem"), &one.key_pem).unwrap();
    std::fs::write(dir.join("other-key.pem"), &other.key_pem).unwrap();
    std::fs::write(dir.join("junk.pem"), "hello").unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
    let serve = |cert: &str, key: &str| {
        let out = d.teller(&["serve", "--listen", &listen, "--tls-cert", cert, "--tls-key", key]);
        assert!(!out.status.success(), "teller serve started with {cert} and {key}");
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!err.contains("panicked"), "{err}");
        err
    };
    let err = serve("missing.pem", "key.pem");
    assert!(err.contains("cannot read certificate missing.pem"), "{err}");
    let err = serve("cert.pem", "missing.pem");
    assert!(err.contains("cannot read key missing.pem"), "{err}");
    let err = serve("junk.pem", "key.pem");
    assert!(err.contains("junk.pem holds no PEM certificate"), "{err}");
    let err = serve("cert.pem", "junk.pem");
    assert!(err.contains("junk.pem holds no PEM private key"), "{err}");
    let err = serve("cert.pem", "other-key.pem");
    assert!(
        err.contains("cannot be used with the certificate in cert.pem"),
        "a mismatched key: {err}"
    );
    // Unreadable (not a permission test: root reads anything; a directory).
    let err = serve(dir.to_str().unwrap(), "key.pem");
    assert!(err.contains("cannot read certificate"), "{err}");
    // One without the other is refused by the command line.
    let out = d.teller(&["serve", "--listen", &listen, "--tls-cert", "cert.pem"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tls-key"));
}

/// Without certificates there is nothing to reload, yet `systemctl reload`
/// or a closed terminal sends SIGHUP: the server logs it and keeps serving
/// (the signal's default action would end it, and systemd would not count
/// that as a failure to restart from).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_survives_sighup() {
    let d = Deployment::new(Backend::Sqlite);
    let mut server = d.serve().await;
    let pid = server.pid().unwrap().to_string();
    for _ in 0..2 {
        assert!(std::process::Command::new("kill")
            .args(["-HUP", &pid])
            .status()
            .unwrap()
            .success());
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(
        server.is_running(),
        "SIGHUP stopped the server:\n{}",
        server.log_tail(20)
    );
    let res = reqwest::get(format!("{}/healthz", server.base)).await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(
        server.log_text().contains("SIGHUP: nothing to reload"),
        "{}",
        server.log_tail(20)
    );
}
