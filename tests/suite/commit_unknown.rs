//! A connection that drops during COMMIT leaves a cast's outcome unknown to
//! Teller: the ballot may have been stored. Teller must find out, and answer
//! with the receipt if it was stored — never "nothing was cast" about a
//! stored ballot (the member would get `409` on retry and never a receipt).
//!
//! The fault is real: Teller talks to PostgreSQL through a TCP relay on
//! loopback that, when armed, cuts the connection at the next `COMMIT` —
//! either after passing it on (PostgreSQL commits; Teller never hears so) or
//! instead of passing it on (PostgreSQL rolls back). PostgreSQL only: an
//! embedded SQLite has no connection to lose.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{example_choices, secret, Backend, TestApp};
use teller::web::AppState;
use teller_audit::receipt::Receipt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the relay does at the next `COMMIT` it sees.
const PASS: u8 = 0;
/// Pass the `COMMIT` on, then cut the connection before the answer.
const CUT_AFTER_COMMIT: u8 = 1;
/// Cut the connection instead of passing the `COMMIT` on.
const CUT_INSTEAD_OF_COMMIT: u8 = 2;

/// A TCP relay to PostgreSQL that can cut a connection at a `COMMIT`.
struct Relay {
    addr: SocketAddr,
    fault: Arc<AtomicU8>,
}

impl Relay {
    async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let fault = Arc::new(AtomicU8::new(PASS));
        let f = fault.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    continue;
                };
                tokio::spawn(relay(client, server, f.clone()));
            }
        });
        Relay { addr, fault }
    }

    /// Arm the fault for the next `COMMIT` on any connection.
    fn arm(&self, fault: u8) {
        self.fault.store(fault, Ordering::SeqCst);
    }

    fn fired(&self) -> bool {
        self.fault.load(Ordering::SeqCst) == PASS
    }
}

async fn relay(client: TcpStream, server: TcpStream, fault: Arc<AtomicU8>) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let answers = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
        client_write
    });
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match client_read.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let chunk = &buf[..n];
        // diesel sends COMMIT as a simple query: 'Q', length, "COMMIT\0".
        let commit = chunk.windows(7).any(|w| w == b"COMMIT\0");
        if commit {
            let armed = fault.swap(PASS, Ordering::SeqCst);
            if armed != PASS {
                // Stop relaying answers first, so that Teller hears nothing.
                answers.abort();
                if armed == CUT_AFTER_COMMIT {
                    // Cut at once: PostgreSQL reads the COMMIT before it
                    // sees the connection end, so it commits — possibly
                    // after Teller has started asking what was stored
                    // (which must then wait for it, not answer "nothing").
                    let _ = server_write.write_all(chunk).await;
                }
                return; // both halves dropped: the connection is cut
            }
        }
        if server_write.write_all(chunk).await.is_err() {
            break;
        }
    }
    answers.abort();
}

/// The server's address and database name in a PostgreSQL URL.
fn upstream_of(url: &str) -> (SocketAddr, String, String) {
    let (credentials, rest) = url.rsplit_once('@').unwrap();
    let (host, database) = rest.split_once('/').unwrap();
    let host = host.replace("localhost", "127.0.0.1");
    let addr: SocketAddr = if host.contains(':') {
        host.parse().unwrap()
    } else {
        format!("{host}:5432").parse().unwrap()
    };
    (
        addr,
        credentials.to_string(),
        database.split('?').next().unwrap().to_string(),
    )
}

/// A second server on the same database, reaching it through the relay.
async fn serve_through(relay: &Relay, credentials: &str, database: &str) -> String {
    let url = format!("{credentials}@{}/{database}?sslmode=disable", relay.addr);
    let pool = teller::db::connect(&url, 4).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = AppState::new(pool, secret(), base.clone());
    // Only casts may commit through the relay: the scheduler's first pass
    // (sealing) runs at once, and under load it could land after `arm` and
    // have its COMMIT cut instead of the cast's (seen once in CI).
    state.turn_scheduler_off();
    tokio::spawn(async move {
        let _ = teller::web::serve(state, listener, Duration::from_secs(3600), std::future::pending()).await;
    });
    base
}

async fn cast(http: &reqwest::Client, base: &str, election: &str, token: &str, i: usize) -> (u16, serde_json::Value) {
    let res = http
        .post(format!("{base}/api/v1/elections/{election}/ballots"))
        .json(&serde_json::json!({"token": token, "choices": example_choices(i)}))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(not(teller_pg_tests), ignore = "set TELLER_TEST_DATABASE_URL to run on PostgreSQL")]
async fn a_connection_cut_during_commit_is_answered_by_what_was_stored() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let (id, tokens) = app.open_example(4);
    let (upstream, credentials, database) = upstream_of(&app.db.url);
    let relay = Relay::start(upstream).await;
    let base = serve_through(&relay, &credentials, &database).await;
    let http = reqwest::Client::new();

    // PostgreSQL committed, then the connection was cut before Teller heard:
    // the member still gets the receipt of the ballot that was stored.
    relay.arm(CUT_AFTER_COMMIT);
    let (status, body) = cast(&http, &base, &id, &tokens[0].1, 0).await;
    assert!(relay.fired(), "the relay saw no COMMIT to cut");
    assert_eq!(status, 201, "a stored ballot answered as a failure: {body}");
    let stored: Receipt = serde_json::from_value(body).unwrap();

    // The connection was cut instead of committing: PostgreSQL rolled back,
    // so "nothing was cast" is the truth, and the code still works.
    relay.arm(CUT_INSTEAD_OF_COMMIT);
    let (status, body) = cast(&http, &base, &id, &tokens[1].1, 1).await;
    assert!(relay.fired(), "the relay saw no COMMIT to cut");
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"], "unavailable");
    let (status, body) = cast(&http, &base, &id, &tokens[1].1, 1).await;
    assert_eq!(
        status, 201,
        "the code of a cast that was rolled back must still work: {body}"
    );
    let retried: Receipt = serde_json::from_value(body).unwrap();

    // The stored ballot's token is used; both receipts are kept by the record.
    let (status, body) = cast(&http, &base, &id, &tokens[0].1, 0).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("token_used")));
    app.teller_ok(&["election", "close", &id]);
    let record = app.export(&id);
    let report = teller_audit::verify::verify_record(&record, &[]);
    assert!(report.ok(), "{report}");
    assert_eq!((record.counts.ballots, record.counts.tokens_used), (2, 2));
    for receipt in [&stored, &retried] {
        let report = teller_audit::verify::verify_receipt(receipt, &record);
        assert!(report.ok(), "{report}");
    }
}
