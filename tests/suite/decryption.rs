//! An encrypted election from the close to the published result
//! (audit/FORMAT.md §16.6–§16.9, §16.12), on both
//! backends, with real trustees' files and real cryptography: the
//! trustees' ceremony runs over the API, members cast encrypted ballots,
//! the close forms the aggregate and logs `aggregated`; staff's tally
//! waits for the trustees; each trustee downloads the board and the
//! decryption request (on the page, or the API), runs `teller-audit
//! trustee decrypt` (the library function the binary runs, on files) and
//! uploads the partial decryption. A share with a failing proof is
//! refused and logged naming the reason and target; a second share is
//! refused without a log entry; with two accepted the totals are
//! decrypted, and staff's tally publishes the result — the tally the same
//! choices give counted in plain, with the lot seed it reveals. The record
//! carries the encrypted ballots (without `election`, by tracker) and its
//! `encryption` member, and `teller-audit verify` passes it.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Parser;
use reqwest::StatusCode;
use serde_json::{json, Value};
use teller_audit::ballot::PublishedBallot;
use teller_audit::count::Weight;
use teller_audit::crypto::{Digest, Nonce};
use teller_audit::definition::Definition;
use teller_audit::encrypted::audited::{AuditedBallot, AUDITED_BALLOT_FORMAT};
use teller_audit::encrypted::ballot::{BallotShape, Encrypter};
use teller_audit::encrypted::elgamal::EncryptionKey;
use teller_audit::encrypted::group::{Element, OsRandom};
use teller_audit::log::Event;
use teller_audit::trustees::cli::{run, TrusteeCommand};
use teller_audit::trustees::decrypt::DecryptBody;
use teller_audit::trustees::envelope::{Envelope, Round};
use teller_audit::trustees::files::read_secret_file;

use crate::ceremony::{open_encrypted, Trustee, ENCRYPTED};
use crate::common;
use common::staff::{get, sign_in};
use common::{Backend, TestApp};

const PASSWORD: &str = "correct horse battery staple 9";

/// `teller-audit trustee …`, parsed as the binary parses it.
#[derive(Parser)]
struct Audit {
    #[command(subcommand)]
    command: TrusteeCommand,
}

/// Run the command line `command` in the trustee's folder (its file
/// arguments are the folder's); returns the file it wrote.
fn run_in(dir: &std::path::Path, command: &str) -> PathBuf {
    let words: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(&words[..3], ["teller-audit", "trustee", "decrypt"], "{command}");
    let mut args = vec!["teller-audit".to_string()];
    let mut out = None;
    let mut path_next = false;
    for w in &words[2..] {
        if path_next {
            let p = dir.join(w);
            if args.last().is_some_and(|a| a == "--out") {
                out = Some(p.clone());
            }
            args.push(p.to_str().unwrap().to_string());
            path_next = false;
        } else {
            path_next = matches!(*w, "--board" | "--dir" | "--out" | "--request");
            args.push((*w).to_string());
        }
    }
    let parsed = Audit::try_parse_from(&args).unwrap();
    assert!(run(&parsed.command).unwrap(), "{command}: nothing to do");
    out.unwrap()
}

/// Save what `path` serves (with the trustee's code, or cookie) as `name`
/// in the trustee's folder.
async fn save(app: &TestApp, t: &Trustee, cookie: Option<&str>, path: &str, name: &str) {
    let req = match cookie {
        Some(c) => app.http.get(app.url(path)).header("cookie", c),
        None => app.http.get(app.url(path)).bearer_auth(&t.code),
    };
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    std::fs::write(t.dir.join(name), res.bytes().await.unwrap()).unwrap();
}

async fn page(app: &TestApp, cookie: &str) -> (StatusCode, String) {
    let res = app
        .http
        .get(app.url("/trustee"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

async fn upload_page(app: &TestApp, cookie: &str, bytes: Vec<u8>) -> (StatusCode, String) {
    let form = reqwest::multipart::Form::new().part(
        "partial",
        reqwest::multipart::Part::bytes(bytes).file_name("partial.json"),
    );
    let res = app
        .http
        .post(app.url("/trustee/decryption"))
        .header("cookie", cookie)
        .multipart(form)
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

async fn upload_api(app: &TestApp, election: &str, t: &Trustee, bytes: Vec<u8>) -> (StatusCode, Value) {
    let res = app
        .http
        .post(app.url(&format!("/api/v1/elections/{election}/decryption/partials")))
        .bearer_auth(&t.code)
        .body(bytes)
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap_or(Value::Null))
}

async fn trustee_cookie(app: &TestApp, code: &str) -> String {
    let res = app
        .http
        .post(app.url("/trustee"))
        .form(&[("code", code)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    cookie.split(';').next().unwrap().to_string()
}

/// The decryption's log entries, in order, in words.
fn decryption_log(app: &TestApp, election: &str) -> Vec<String> {
    let mut conn = app.db.conn();
    teller::store::log::entries(&mut conn, election)
        .unwrap()
        .into_iter()
        .filter_map(|c| match c.entry.event {
            Event::PollsClosed { .. } => Some("polls_closed".into()),
            Event::Aggregated {
                ballots,
                weight_decimals,
                ..
            } => Some(format!("aggregated {ballots} d={weight_decimals}")),
            Event::DecryptionShare { trustee, .. } => Some(format!("share {trustee}")),
            Event::DecryptionRefused {
                trustee,
                reason,
                target,
            } => Some(format!("refused {trustee} {reason} {target:?}")),
            Event::Tallied { actor, .. } => Some(format!("tallied by {actor}")),
            _ => None,
        })
        .collect()
}

/// Members' choices: directors (by candidate position) and the bylaw.
const VOTES: &[(&[usize], &str)] = &[(&[0, 1], "yes"), (&[1], "no"), (&[0], "yes"), (&[], "abstain")];

async fn from_close_to_result(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (election, tokens, trustees) = open_encrypted(&app, ENCRYPTED, 5).await;

    // Members cast encrypted ballots, as their devices do.
    let (status, params) = app.get_json(&format!("/api/v1/elections/{election}/encryption")).await;
    assert_eq!(status, 200, "{params}");
    let definition: Definition = serde_json::from_value(params["definition"].clone()).unwrap();
    let fingerprint = Digest::from_hex(params["fingerprint"].as_str().unwrap()).unwrap();
    let joint_key: Element = serde_json::from_value(params["encryption"]["joint_key"].clone()).unwrap();
    let key = EncryptionKey::new(joint_key).unwrap();
    let shape = BallotShape::of(&definition).unwrap();
    let encrypter = Encrypter {
        election: &election,
        fingerprint,
        key: &key,
        shape: &shape,
    };
    let mut plain = Vec::new();
    for (i, (directors, bylaw)) in VOTES.iter().enumerate() {
        let ids: Vec<String> = directors
            .iter()
            .map(|&d| definition.contests[0].candidates[d].id.clone())
            .collect();
        let choices = BTreeMap::from([
            ("directors".to_string(), ids),
            ("bylaw".to_string(), vec![bylaw.to_string()]),
        ]);
        let (ballot, _) = encrypter.encrypt(&choices, Weight::ONE, &mut OsRandom).unwrap();
        let res = app
            .http
            .post(app.url(&format!("/api/v1/elections/{election}/ballots")))
            .json(&json!({"token": tokens[i].1, "ballot": ballot}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
        plain.push(PublishedBallot {
            tracker: ballot.tracker(),
            nonce: Nonce([0; 16]),
            choices,
            weight: Weight::ONE,
        });
    }

    // A member checks an encryption instead of casting it (§16.10): it is
    // published from the close, never counted.
    let spoiled_choices = BTreeMap::from([
        (
            "directors".to_string(),
            vec![definition.contests[0].candidates[2].id.clone()],
        ),
        ("bylaw".to_string(), vec!["no".to_string()]),
    ]);
    let (spoiled, seed) = encrypter.encrypt(&spoiled_choices, Weight::ONE, &mut OsRandom).unwrap();
    let audited = AuditedBallot {
        format: AUDITED_BALLOT_FORMAT.into(),
        definition: definition.clone(),
        encryption: serde_json::from_value(params["encryption"].clone()).unwrap(),
        tracker: spoiled.tracker(),
        ballot: spoiled.clone(),
        seed: Digest(*seed.as_bytes()),
        choices: spoiled_choices,
    };
    let res = app
        .http
        .post(app.url(&format!("/api/v1/elections/{election}/audited")))
        .json(&audited)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());

    // Before the close there is nothing to decrypt.
    let res = app
        .http
        .get(app.url(&format!("/api/v1/elections/{election}/decryption/request")))
        .bearer_auth(&trustees[0].code)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "not_closed", "{body}");

    // The close fixes the encrypted totals.
    app.teller_ok(&["election", "close", &election]);
    assert_eq!(decryption_log(&app, &election), ["polls_closed", "aggregated 4 d=0"]);
    // Staff cannot count it themselves: it waits for the trustees.
    let out = app.teller(&["election", "tally", &election]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("waiting for the trustees' decryption: 0 of 2"), "{err}");

    // Trustee 1 on the page: the decryption step, its files and command.
    let t1 = &trustees[0];
    let cookie = trustee_cookie(&app, &t1.code).await;
    let (status, html) = page(&app, &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Decrypting the totals"), "{html}");
    assert!(
        html.contains("Partial decryptions accepted: 0 of the 2 needed"),
        "{html}"
    );
    let at = html.find("<pre><code>").expect("the page shows the command") + "<pre><code>".len();
    let command = html[at..at + html[at..].find("</code>").unwrap()].to_string();
    assert_eq!(
        command,
        "teller-audit trustee decrypt --board board.json --dir teller-trustee --request request.json --out partial.json"
    );
    save(&app, t1, Some(&cookie), "/trustee/board.json", "board.json").await;
    save(
        &app,
        t1,
        Some(&cookie),
        "/trustee/decryption-request.json",
        "request.json",
    )
    .await;
    // The request is what §16.12 says, canonical, ballots with their election.
    let request_bytes = std::fs::read(t1.dir.join("request.json")).unwrap();
    let request: Value = serde_json::from_slice(&request_bytes).unwrap();
    assert_eq!(request["format"], "teller-decryption-request/1");
    assert_eq!(request["ballots"].as_array().unwrap().len(), 4);
    assert!(request["ballots"]
        .as_array()
        .unwrap()
        .iter()
        .all(|b| b["election"] == election.as_str()));
    assert_eq!(teller_audit::canonical::to_bytes(&request).unwrap(), request_bytes);
    // … and the same through the API.
    save(
        &app,
        t1,
        None,
        &format!("/api/v1/elections/{election}/decryption/request"),
        "request-api.json",
    )
    .await;
    assert_eq!(std::fs::read(t1.dir.join("request-api.json")).unwrap(), request_bytes);
    // The download is streamed page by page; it is exactly what
    // `request` builds whole, whatever the page size.
    {
        use teller::ops::decryption::{request, RequestStream};
        let mut conn = app.db.conn();
        assert_eq!(request(&mut conn, &election).unwrap(), request_bytes);
        let mut stream = RequestStream::open(&mut conn, &election).unwrap();
        let mut pieced = stream.head();
        let mut pages = 0;
        while let Some(page) = stream.next_page(&mut conn, 1).unwrap() {
            pieced.extend(page);
            pages += 1;
        }
        pieced.extend(stream.tail().unwrap());
        assert_eq!(pages, 4);
        assert_eq!(pieced, request_bytes);
        // A stream stopped short is never given its end.
        let mut stream = RequestStream::open(&mut conn, &election).unwrap();
        assert!(stream.next_page(&mut conn, 3).unwrap().is_some());
        assert!(stream.tail().is_err());
    }

    let partial1 = run_in(&t1.dir, &command);
    let (status, html) = upload_page(&app, &cookie, std::fs::read(&partial1).unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Your partial decryption is accepted"), "{html}");
    assert!(
        html.contains("Partial decryptions accepted: 1 of the 2 needed"),
        "{html}"
    );
    // Again: refused politely, nothing logged.
    let (status, html) = upload_page(&app, &cookie, std::fs::read(&partial1).unwrap()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{html}");
    assert!(html.contains("accepted already"), "{html}");
    let (status, body) = upload_api(&app, &election, t1, std::fs::read(&partial1).unwrap()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"], "duplicate_share", "{body}");
    // Staff see the progress.
    let staff = sign_in(&app, "olga", PASSWORD, "").await.unwrap();
    let (_, console) = get(&app, &staff, &format!("/staff/elections/{election}")).await;
    assert!(console.contains("Decrypting the totals"), "{console}");
    assert!(
        console.contains("Partial decryptions accepted: 1 of the 2 needed (1 (Ada Lovelace))"),
        "{console}"
    );

    // Trustee 2, over the API: a share whose first factor is another
    // target's, signed properly, fails its proof and is refused by name.
    let t2 = &trustees[1];
    save(
        &app,
        t2,
        None,
        &format!("/api/v1/elections/{election}/ceremony"),
        "board.json",
    )
    .await;
    save(
        &app,
        t2,
        None,
        &format!("/api/v1/elections/{election}/decryption/request"),
        "request.json",
    )
    .await;
    let partial2 = run_in(&t2.dir, &command);
    let honest = std::fs::read(&partial2).unwrap();
    let e: Envelope = serde_json::from_slice(&honest).unwrap();
    let mut body: DecryptBody = serde_json::from_value(e.body.clone()).unwrap();
    body.factors[0].factor = body.factors[1].factor;
    let secret = read_secret_file(&t2.dir.join("teller-trustee")).unwrap();
    let forged = secret.sign(e.attempt, Round::Decrypt, &body).canonical_bytes();
    let (status, answer) = upload_api(&app, &election, t2, forged).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["error"], "share_refused", "{answer}");
    let message = answer["message"].as_str().unwrap();
    assert!(message.contains("refused (proof, target 0)"), "{message}");
    // Trustee 1's share uploaded by trustee 2: not theirs, nothing logged.
    let (status, answer) = upload_api(&app, &election, t2, std::fs::read(&partial1).unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["error"], "not_your_message", "{answer}");
    // The refusal is on trustee 1's page, with its reason.
    let (_, html) = page(&app, &cookie).await;
    assert!(html.contains("Refused partial decryptions"), "{html}");
    assert!(html.contains("refused (proof, target 0)"), "{html}");

    // The honest one completes the decryption.
    let (status, answer) = upload_api(&app, &election, t2, honest).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(
        (answer["accepted"].as_u64(), answer["decrypted"].as_bool()),
        (Some(2), Some(true))
    );
    // A third trustee is not needed any more.
    let t3 = &trustees[2];
    save(
        &app,
        t3,
        None,
        &format!("/api/v1/elections/{election}/ceremony"),
        "board.json",
    )
    .await;
    save(
        &app,
        t3,
        None,
        &format!("/api/v1/elections/{election}/decryption/request"),
        "request.json",
    )
    .await;
    let partial3 = run_in(&t3.dir, &command);
    let (status, answer) = upload_api(&app, &election, t3, std::fs::read(&partial3).unwrap()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(answer["error"], "decrypted", "{answer}");
    let (_, html) = page(&app, &cookie).await;
    assert!(html.contains("The totals are decrypted"), "{html}");
    let (_, console) = get(&app, &staff, &format!("/staff/elections/{election}")).await;
    assert!(
        console.contains("The totals are decrypted. Tally the election"),
        "{console}"
    );

    // Staff publish the result.
    let out = app.teller_ok(&["election", "tally", &election]);
    assert!(out.contains("Tallied 4 ballots"), "{out}");
    let log = decryption_log(&app, &election);
    assert_eq!(
        log[..5],
        [
            "polls_closed",
            "aggregated 4 d=0",
            "share 1",
            "refused 2 proof Some(0)",
            "share 2",
        ]
    );
    assert!(log[5].starts_with("tallied by cli:"), "{log:?}");
    assert_eq!(log.len(), 6);

    // The tally is the one the same choices give counted in plain, with
    // the lot seed the tally reveals.
    let (status, results) = app.get_json(&format!("/api/v1/elections/{election}/results")).await;
    assert_eq!(status, 200, "{results}");
    let mut conn = app.db.conn();
    let seed = teller::store::log::entries(&mut conn, &election)
        .unwrap()
        .into_iter()
        .find_map(|c| match c.entry.event {
            Event::Tallied { lot_seed, .. } => Some(lot_seed),
            _ => None,
        })
        .unwrap();
    plain.sort_by_key(|b| b.tracker);
    let expected = teller_audit::tally::tally(&election, &definition, &plain, &seed);
    let row = teller::store::elections::find(&mut conn, &election).unwrap().unwrap();
    let published: teller_audit::tally::Tally = serde_json::from_str(row.tally.as_deref().unwrap()).unwrap();
    assert_eq!(published, expected);
    let directors = &published.contests[0];
    assert_eq!((directors.cast, directors.blank, directors.invalid), (3, 1, 0));
    let bylaw = &published.contests[1];
    assert_eq!((bylaw.cast, bylaw.blank), (4, 0));

    // The record: encrypted ballots by tracker, without `election`, and
    // the encryption member of §16.9.
    let mut bytes = Vec::new();
    teller::ops::record::write_record(&mut conn, &election, &mut bytes).unwrap();
    let record: Value = serde_json::from_slice(&bytes).unwrap();
    let ballots = record["ballots"].as_array().unwrap();
    assert_eq!(ballots.len(), 4);
    let trackers: Vec<Digest> = ballots
        .iter()
        .map(|b| {
            assert!(
                b.get("election").is_none() && b["format"] == "teller-encrypted-ballot/1",
                "{b}"
            );
            let mut whole = b.clone();
            whole["election"] = json!(election);
            serde_json::from_value::<teller_audit::encrypted::ballot::EncryptedBallot>(whole)
                .unwrap()
                .tracker()
        })
        .collect();
    assert_eq!(trackers, plain.iter().map(|b| b.tracker).collect::<Vec<_>>());
    let enc = &record["encryption"];
    assert_eq!(enc["format"], "teller-encryption/1");
    assert_eq!(enc["trustees"][0], json!({"trustee": 1, "name": "Ada Lovelace"}));
    assert_eq!(enc["ceremony"].as_array().unwrap().len(), 3 * 5);
    let published_audited = enc["audited"].as_array().unwrap();
    assert_eq!(published_audited.len(), 1);
    assert_eq!(published_audited[0]["tracker"], json!(spoiled.tracker().to_hex()));
    assert!(published_audited[0]["ballot"].get("election").is_none());
    assert!(published_audited[0].get("definition").is_none());
    assert_eq!(enc["aggregate"], request["aggregate"]);
    assert_eq!(enc["aggregate"]["targets"].as_array().unwrap().len(), 5 + 5);
    assert_eq!(enc["decryptions"].as_array().unwrap().len(), 2);
    assert_eq!(
        enc["decryptions"][0],
        serde_json::from_slice::<Value>(&std::fs::read(&partial1).unwrap()).unwrap()
    );
    let totals = enc["totals"].as_array().unwrap();
    assert_eq!(totals.len(), 10);
    assert_eq!(totals[0], json!({"target": 0, "trustees": [1, 2], "value": 2}));
    // Directors: 2, 2, 0, cast weight 3, cast 3; bylaw: yes 2, no 1, abstain 1, 4, 4.
    let values: Vec<u64> = totals.iter().map(|t| t["value"].as_u64().unwrap()).collect();
    assert_eq!(values, [2, 2, 0, 3, 3, 2, 1, 1, 4, 4]);
    // teller-audit verify reads it and checks every step (§16.11).
    let parsed: teller_audit::record::Record = serde_json::from_slice(&bytes).unwrap();
    let report = teller_audit::verify::verify_record(&parsed, &[]);
    assert!(report.ok(), "{report}");
}

on_both_backends!(
    an_encrypted_election_is_decrypted_by_its_trustees_and_tallied,
    from_close_to_result
);
