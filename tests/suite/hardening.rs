//! HTTP and secrets hardening: slow clients are dropped, malformed bytes get
//! a clear refusal, and a master secret others can read is refused.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::time::{Duration, Instant};

use common::{Backend, TestApp};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_that_sends_headers_too_slowly_is_dropped() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut slow = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: teller\r\n").await.unwrap();
    let started = Instant::now();
    // Meanwhile others are served.
    assert_eq!(app.http.get(app.url("/")).send().await.unwrap().status(), 200);
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), slow.read_to_end(&mut buf)).await;
    let waited = started.elapsed();
    assert!(read.is_ok(), "the slow connection was never closed");
    assert!(
        waited >= Duration::from_secs(9) && waited < Duration::from_secs(20),
        "{waited:?}"
    );
    let text = String::from_utf8_lossy(&buf);
    assert!(text.is_empty() || text.starts_with("HTTP/1.1 408"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn malformed_bytes_are_refused_cleanly() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (id, _) = app.open_example(2);
    // Invalid UTF-8 in a path, a form and a JSON body: a 4xx, never a 500.
    let res = app.http.get(app.url("/v/%FF%FE")).send().await.unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());
    let res = app
        .http
        .post(app.url("/vote"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(b"code=\xff\xfe\xfd".to_vec())
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());
    let res = app
        .http
        .post(app.url(&format!("/api/v1/elections/{id}/ballots")))
        .header("content-type", "application/json")
        .body(b"{\"token\": \"\xff\xfe\", \"choices\": {}}".to_vec())
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(body["error"].is_string());
    // A raw request with a broken request line.
    let mut raw = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    raw.write_all(b"\xff\xfe / HTTP/1.1\r\n\r\n").await.unwrap();
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), raw.read_to_end(&mut buf)).await;
    let text = String::from_utf8_lossy(&buf);
    assert!(text.is_empty() || text.starts_with("HTTP/1.1 400"), "{text}");
    // The server is still well.
    assert_eq!(app.http.get(app.url("/")).send().await.unwrap().status(), 200);
}

/// Behind TLS (a public URL starting `https://`) every response carries HSTS
/// and both cookies are `Secure`; over plain HTTP neither, since a browser
/// would then drop the cookie. On both, the CSP allows no inline script or
/// style and no framing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn over_tls_responses_carry_hsts_and_cookies_are_secure() {
    for public_url in [Some("https://vote.example.org"), None] {
        let tls = public_url.is_some();
        let app = TestApp::spawn_with(Backend::Sqlite, None, public_url).await;
        let (_, tokens) = app.open_example(1);
        common::staff::add_staff(&app, "ada", "administrator", "correct horse battery");
        let mut cookies = Vec::new();
        for res in [
            app.http.get(app.url("/")).send().await.unwrap(),
            app.http
                .get(app.url(&format!("/v/{}", tokens[0].1.replace('-', ""))))
                .send()
                .await
                .unwrap(),
            app.http
                .post(app.url("/staff/login"))
                .form(&[("username", "ada"), ("password", "correct horse battery"), ("code", "")])
                .send()
                .await
                .unwrap(),
        ] {
            let h = res.headers();
            assert_eq!(
                h.get("strict-transport-security").map(|v| v.to_str().unwrap()),
                tls.then_some("max-age=31536000; includeSubDomains"),
                "{}",
                res.url()
            );
            let csp = h["content-security-policy"].to_str().unwrap();
            assert!(
                csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
                "{csp}"
            );
            assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{csp}");
            assert_eq!(h["x-frame-options"], "DENY");
            cookies.extend(h.get_all("set-cookie").iter().map(|c| c.to_str().unwrap().to_string()));
        }
        assert!(cookies.iter().any(|c| c.starts_with("teller_vote=")), "{cookies:?}");
        assert!(cookies.iter().any(|c| c.starts_with("teller_staff=")), "{cookies:?}");
        for cookie in &cookies {
            assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite="), "{cookie}");
            assert_eq!(cookie.contains("; Secure"), tls, "{cookie}");
        }
    }
}

/// Someone who copies the database but not the master secret gets no usable
/// election key or lot seed: both are stored encrypted, bound to their
/// election, and open only under the master secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn election_keys_and_lot_seeds_are_encrypted_at_rest() {
    use ring::signature::{Ed25519KeyPair, KeyPair};
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (id, _) = app.open_example(1);
    let (other, _) = app.open_example(1);
    let mut conn = app.db.conn();
    let row = teller::store::elections::find(&mut conn, &id).unwrap().unwrap();
    let other_row = teller::store::elections::find(&mut conn, &other).unwrap().unwrap();
    let public = row.public_key().unwrap();
    for stored in [&row.secret_key, &row.lot_seed] {
        let bytes = hex::decode(stored).unwrap();
        // Not a PKCS#8 key, at any offset; not the bare 32-byte seed.
        assert!((0..bytes.len()).all(|i| Ed25519KeyPair::from_pkcs8(&bytes[i..]).is_err()));
        assert!(
            (0..bytes.len().saturating_sub(31)).all(|i| Ed25519KeyPair::from_seed_unchecked(&bytes[i..i + 32])
                .map_or(true, |k| k.public_key().as_ref() != public.0))
        );
    }
    // Under the master secret the key signs for its own election only, and
    // another master secret opens nothing.
    let secret = common::secret();
    let sig = secret.sign(&id, &row.secret_key, b"message").unwrap();
    assert!(public.verifies(b"message", &sig));
    assert!(secret.sign(&other, &row.secret_key, b"message").is_err());
    assert!(secret.sign(&id, &other_row.secret_key, b"message").is_err());
    assert!(secret.lot_seed(&id, &row.lot_seed).is_ok());
    assert!(secret.lot_seed(&id, &row.secret_key).is_err());
    let stranger = teller::secrets::MasterSecret::from_bytes(&[9u8; 32]).unwrap();
    assert!(stranger.sign(&id, &row.secret_key, b"message").is_err());
    assert!(stranger.lot_seed(&id, &row.lot_seed).is_err());
}

#[test]
fn a_master_secret_others_can_read_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("master.key");
    std::fs::write(&key, format!("{}\n", common::SECRET_HEX)).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_teller"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("TELLER_DATABASE_URL", dir.path().join("t.db"))
        .env("TELLER_MASTER_SECRET_FILE", &key)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("readable by other users") && err.contains("chmod 600"),
        "{err}"
    );
    // `teller secret new` makes one only its owner can read.
    let fresh = dir.path().join("fresh.key");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_teller"))
        .args(["secret", "new", fresh.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777, 0o600);
}

#[test]
fn an_unreachable_database_is_reported_quickly_and_plainly() {
    // Nothing listens on this port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_teller"))
        .args(["election", "list"])
        .env(
            "TELLER_DATABASE_URL",
            format!("postgres://teller:teller@127.0.0.1:{port}/teller"),
        )
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Connection refused") || err.contains("connection refused"),
        "{err}"
    );
    assert!(!err.contains("Invalid connection url"), "{err}");
    assert!(!err.contains("teller:teller@"), "the password is not shown: {err}");
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
}
