//! A lost answer must not cost the receipt (issue 13; audit/FORMAT.md
//! §14.11). The real `teller serve` takes an encrypted ballot, commits it
//! and answers; the answer never reaches the member (a TCP relay between
//! them forwards the request, then drops the connection as soon as the
//! answer starts) and the server is killed with SIGKILL. After the
//! restart, the member's device sends the identical ballot again with the
//! same, now used, code: the answer is `201` with the receipt for that
//! very ballot (same tracker, one ballot stored, one code used), not
//! "already voted". A different ballot with that code is still refused.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;

use common::process::Deployment;
use common::{read_tokens, Backend};
use serde_json::{json, Value};
use teller::secrets::MasterSecret;
use teller_audit::count::Weight;
use teller_audit::crypto::Digest;
use teller_audit::definition::Definition;
use teller_audit::encrypted::ballot::{BallotShape, EncryptedBallot, Encrypter};
use teller_audit::encrypted::elgamal::EncryptionKey;
use teller_audit::encrypted::group::{Element, OsRandom};
use teller_audit::receipt::Receipt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// A relay for one HTTP request: it passes the request on to `server`,
/// waits for the first bytes of the answer, tells `answered`, and closes
/// both connections without passing the answer back.
async fn swallow_answer(listener: TcpListener, server: SocketAddr, answered: oneshot::Sender<()>) {
    let (mut client, _) = listener.accept().await.unwrap();
    let mut upstream = TcpStream::connect(server).await.unwrap();
    let (mut from_server, mut to_server) = upstream.split();
    let mut buf = vec![0u8; 64 * 1024];
    let mut answer = [0u8; 1];
    // The request: forward until the server starts answering.
    loop {
        tokio::select! {
            n = client.read(&mut buf) => {
                let n = n.unwrap();
                if n == 0 {
                    return;
                }
                to_server.write_all(&buf[..n]).await.unwrap();
            }
            n = from_server.read(&mut answer) => {
                assert!(n.unwrap() > 0, "the server closed the connection without answering");
                break;
            }
        }
    }
    drop(client);
    let _ = answered.send(());
}

/// What the device needs, from `GET …/encryption`.
async fn encrypter_parts(http: &reqwest::Client, base: &str, election: &str) -> (Definition, EncryptionKey, Digest) {
    let params: Value = http
        .get(format!("{base}/api/v1/elections/{election}/encryption"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let definition: Definition = serde_json::from_value(params["definition"].clone()).unwrap();
    let key =
        EncryptionKey::new(Element::from_hex(params["encryption"]["joint_key"].as_str().unwrap()).unwrap()).unwrap();
    let fingerprint = Digest::from_hex(params["fingerprint"].as_str().unwrap()).unwrap();
    (definition, key, fingerprint)
}

async fn lost_answer(backend: Backend) {
    let d = Deployment::new(backend);
    let secret = MasterSecret::from_file(&d.secret_file).unwrap();
    let dir = d.path("demo");
    std::fs::create_dir_all(&dir).unwrap();
    let demo = {
        let mut conn = d.db.conn();
        teller::cli::demo_encrypted::create(&mut conn, &secret, &dir, "http://127.0.0.1", 4, "cli:test").unwrap()
    };
    let election = demo.id.clone();
    let token = read_tokens(&demo.tokens_path)[0].1.clone();
    let weight = {
        let mut conn = d.db.conn();
        let w = teller::store::members::weight_of_token(
            &mut conn,
            &election,
            &secret.token_hash(teller::domain::token::Token::parse(&token).unwrap().as_str()),
        )
        .unwrap()
        .unwrap();
        Weight::parse(&w).unwrap()
    };
    let mut server = d.serve().await;
    let http = reqwest::Client::new();

    // The device encrypts the member's choices.
    let (definition, key, fingerprint) = encrypter_parts(&http, &server.base, &election).await;
    let shape = BallotShape::of(&definition).unwrap();
    let choices: BTreeMap<String, Vec<String>> = shape.contests.iter().map(|c| (c.id.clone(), vec![])).collect();
    let encrypt = |choices: &BTreeMap<String, Vec<String>>| -> EncryptedBallot {
        Encrypter {
            election: &election,
            fingerprint,
            key: &key,
            shape: &shape,
        }
        .encrypt(choices, weight, &mut OsRandom)
        .unwrap()
        .0
    };
    let ballot = encrypt(&choices);
    let body = json!({"token": token, "ballot": ballot});

    // The cast reaches the server, which commits and answers; the answer is
    // lost, and the server dies.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let relay_addr = listener.local_addr().unwrap();
    let (answered_tx, answered) = oneshot::channel();
    let relay = tokio::spawn(swallow_answer(listener, server.addr, answered_tx));
    let lost = http
        .post(format!("http://{relay_addr}/api/v1/elections/{election}/ballots"))
        .json(&body)
        .send()
        .await;
    assert!(lost.is_err(), "the answer should have been lost: {lost:?}");
    answered.await.expect("the server answered the cast");
    server.kill();
    relay.await.unwrap();
    let stored = d.count(&format!(
        "SELECT COUNT(*) AS n FROM ballots WHERE election_id = '{election}' AND tracker = '{}'",
        ballot.tracker().to_hex()
    ));
    assert_eq!(stored, 1, "the ballot was committed before the answer");

    // After the restart, the same ballot with the same code: the receipt.
    server.start().await;
    let res = http
        .post(format!("{}/api/v1/elections/{election}/ballots", server.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::CREATED);
    let receipt: Receipt = res.json().await.unwrap();
    assert!(receipt.problems().is_empty(), "{:?}", receipt.problems());
    assert_eq!(receipt.body.tracker, ballot.tracker());
    assert_eq!(receipt.body.ballot.encrypted(), Some(&ballot));
    let (ballots, used) = (
        d.count(&format!(
            "SELECT COUNT(*) AS n FROM ballots WHERE election_id = '{election}'"
        )),
        d.count(&format!(
            "SELECT COUNT(*) AS n FROM members WHERE election_id = '{election}' AND voted"
        )),
    );
    assert_eq!((ballots, used), (1, 1));
    // Another ballot with the used code: already voted.
    let other = encrypt(&choices);
    let res = http
        .post(format!("{}/api/v1/elections/{election}/ballots", server.base))
        .json(&json!({"token": token, "ballot": other}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::CONFLICT);
    server.kill();
}

on_both_backends!(a_lost_answer_is_given_again_for_the_same_encrypted_ballot, lost_answer);
