//! HTTP and secrets hardening: slow clients are dropped, malformed bytes get
//! a clear refusal, and a master secret others can read is refused.
#![allow(clippy::unwrap_used)]

mod common;

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
