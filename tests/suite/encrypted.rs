//! Casting in an encrypted election over the JSON API
//! (audit/FORMAT.md §14.11, §15.7, §16.10), on both
//! backends. The test plays the member's device: it reads what
//! `GET …/encryption` gives, encrypts with the audit crate's encrypter,
//! and sends the ballot. A cast gives a receipt for the encrypted ballot;
//! a retry of the same ballot with the same (now used) code gives the same
//! receipt; each refusal of §15.7 is named and changes nothing (the code
//! still works); an audited ballot is kept, can never be cast, and is
//! logged with the next seal after the ballots.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use reqwest::StatusCode;
use serde_json::{json, Value};
use teller_audit::count::Weight;
use teller_audit::crypto::Digest;
use teller_audit::definition::Definition;
use teller_audit::encrypted::audited::{AuditedBallot, AuditedEncryption, AUDITED_BALLOT_FORMAT};
use teller_audit::encrypted::ballot::{BallotShape, EncryptedBallot, Encrypter};
use teller_audit::encrypted::elgamal::EncryptionKey;
use teller_audit::encrypted::fingerprint::FingerprintInput;
use teller_audit::encrypted::group::{Element, OsRandom};
use teller_audit::encrypted::nonces::BallotSeed;
use teller_audit::log::Event;
use teller_audit::receipt::Receipt;

use crate::ceremony::{open_encrypted, ENCRYPTED};
use crate::common;
use common::{Backend, TestApp};

/// The device: the election's parameters as the API gives them.
struct Device {
    election: String,
    definition: Definition,
    shape: BallotShape,
    key: EncryptionKey,
    fingerprint: Digest,
    encryption: AuditedEncryption,
}

impl Device {
    async fn fetch(app: &TestApp, election: &str) -> Device {
        let (status, params) = app.get_json(&format!("/api/v1/elections/{election}/encryption")).await;
        assert_eq!(status, 200, "{params}");
        assert!(params.get("weight").is_none(), "{params}");
        let definition: Definition = serde_json::from_value(params["definition"].clone()).unwrap();
        let encryption: AuditedEncryption = serde_json::from_value(params["encryption"].clone()).unwrap();
        let fingerprint = Digest::from_hex(params["fingerprint"].as_str().unwrap()).unwrap();
        // The device recomputes the fingerprint from what it was given.
        let keys: Vec<(u32, Element)> = encryption
            .verification_keys
            .iter()
            .map(|k| (k.trustee, k.key))
            .collect();
        let recomputed = FingerprintInput {
            election,
            definition_hash: definition.hash(),
            threshold: encryption.threshold,
            joint_key: encryption.joint_key,
            verification_keys: &keys,
        }
        .fingerprint();
        assert_eq!(recomputed, fingerprint);
        Device {
            election: election.to_string(),
            shape: BallotShape::of(&definition).unwrap(),
            key: EncryptionKey::new(encryption.joint_key).unwrap(),
            definition,
            fingerprint,
            encryption,
        }
    }

    fn encrypt(&self, choices: &BTreeMap<String, Vec<String>>, weight: Weight) -> (EncryptedBallot, BallotSeed) {
        Encrypter {
            election: &self.election,
            fingerprint: self.fingerprint,
            key: &self.key,
            shape: &self.shape,
        }
        .encrypt(choices, weight, &mut OsRandom)
        .unwrap()
    }

    /// Choices: the first `directors` candidates and one bylaw answer.
    fn choices(&self, directors: usize, bylaw: &str) -> BTreeMap<String, Vec<String>> {
        let ids: Vec<String> = self.definition.contests[0]
            .candidates
            .iter()
            .take(directors)
            .map(|c| c.id.clone())
            .collect();
        BTreeMap::from([
            ("directors".to_string(), ids),
            ("bylaw".to_string(), vec![bylaw.to_string()]),
        ])
    }
}

async fn post(app: &TestApp, path: &str, body: &Value) -> (StatusCode, Value) {
    let res = app.http.post(app.url(path)).json(body).send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn cast(app: &TestApp, election: &str, token: &str, ballot: &Value) -> (StatusCode, Value) {
    post(
        app,
        &format!("/api/v1/elections/{election}/ballots"),
        &json!({"token": token, "ballot": ballot}),
    )
    .await
}

/// How many members of `election` have voted (a cast consumed their code).
fn voted(app: &TestApp, election: &str) -> i64 {
    crate::ceremony::count(
        app,
        &format!("SELECT COUNT(*) AS n FROM members WHERE election_id = '{election}' AND voted"),
    )
}

async fn casting(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Seals of any size, so that the test's few ballots are sealed.
    let toml = format!("{ENCRYPTED}\n[sealing]\nmin_ballots = 1\n");
    let (election, tokens, _trustees) = open_encrypted(&app, &toml, 6).await;
    let device = Device::fetch(&app, &election).await;

    // A cast: 201 with a receipt for the encrypted ballot, as sent.
    let (ballot, _) = device.encrypt(&device.choices(2, "yes"), Weight::ONE);
    let sent = serde_json::to_value(&ballot).unwrap();
    let (status, body) = cast(&app, &election, &tokens[0].1, &sent).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let receipt: Receipt = serde_json::from_value(body.clone()).unwrap();
    assert!(receipt.problems().is_empty(), "{:?}", receipt.problems());
    assert_eq!(receipt.body.tracker, ballot.tracker());
    assert_eq!(receipt.body.ballot.encrypted(), Some(&ballot));
    assert_eq!(voted(&app, &election), 1);

    // The answer was lost: the same ballot with the same code gives the
    // same receipt, not "already voted".
    let (status, again) = cast(&app, &election, &tokens[0].1, &sent).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    let again: Receipt = serde_json::from_value(again).unwrap();
    assert_eq!(
        (again.body.tracker, again.body.seal),
        (receipt.body.tracker, receipt.body.seal)
    );
    // A different ballot with the used code: already voted.
    let (other, _) = device.encrypt(&device.choices(1, "no"), Weight::ONE);
    let (status, body) = cast(&app, &election, &tokens[0].1, &serde_json::to_value(&other).unwrap()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // The same ballot with another member's code: a replay, refused, and
    // that code still works.
    let (status, body) = cast(&app, &election, &tokens[1].1, &sent).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"], "ballot-duplicates", "{body}");
    assert_eq!(voted(&app, &election), 1);
    // Its ciphertexts in a ballot of its own: refused too (Helios issue #8).
    let mut copied = serde_json::to_value(&other).unwrap();
    copied["contests"][0] = sent["contests"][0].clone();
    let (status, body) = cast(&app, &election, &tokens[1].1, &copied).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        ["ballot-duplicates", "ballot-proofs"].contains(&body["error"].as_str().unwrap()),
        "{body}"
    );
    assert_eq!(voted(&app, &election), 1);

    // A flipped proof: refused by name.
    let mut forged = serde_json::to_value(&other).unwrap();
    let v = forged["contests"][0]["selections"][0]["proof"][0]["v"]
        .as_str()
        .unwrap()
        .to_string();
    let flipped = format!("{}{}", if v.starts_with('0') { "1" } else { "0" }, &v[1..]);
    forged["contests"][0]["selections"][0]["proof"][0]["v"] = json!(flipped);
    let (status, body) = cast(&app, &election, &tokens[1].1, &forged).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        ["ballot-proofs", "format"].contains(&body["error"].as_str().unwrap()),
        "{body}"
    );
    // Another election's fingerprint, a member absent, nonsense: refused.
    let mut wrong = serde_json::to_value(&other).unwrap();
    wrong["fingerprint"] = json!("00".repeat(32));
    let (status, body) = cast(&app, &election, &tokens[1].1, &wrong).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"], "ballot-fingerprint", "{body}");
    let mut short = serde_json::to_value(&other).unwrap();
    short.as_object_mut().unwrap().remove("nonce");
    let (status, body) = cast(&app, &election, &tokens[1].1, &short).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"], "format", "{body}");
    // A ballot larger than a plain cast's 64 KiB is read (and refused by
    // its check here), not cut off.
    let mut big = serde_json::to_value(&other).unwrap();
    big["contests"][0]["contest"] = json!("x".repeat(100 * 1024));
    let (status, body) = cast(&app, &election, &tokens[1].1, &big).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"], "ballot-shape", "{body}");
    // A weight that is not the member's: refused, the code given back.
    let (heavy, _) = device.encrypt(&device.choices(1, "no"), Weight::parse("2").unwrap());
    let (status, body) = cast(&app, &election, &tokens[1].1, &serde_json::to_value(&heavy).unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"], "ballot-weight", "{body}");
    assert_eq!(voted(&app, &election), 1);
    // Plain choices in an encrypted election: refused.
    let (status, body) = app
        .cast(&election, &tokens[1].1, json!({"directors": [], "bylaw": ["yes"]}))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(voted(&app, &election), 1);
    // After all that, the code casts.
    let (status, body) = cast(&app, &election, &tokens[1].1, &serde_json::to_value(&other).unwrap()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // Cast or audit: the member checks an encryption instead of casting it.
    let choices = device.choices(1, "abstain");
    let (spoiled, seed) = device.encrypt(&choices, Weight::ONE);
    let audited = AuditedBallot {
        format: AUDITED_BALLOT_FORMAT.into(),
        definition: device.definition.clone(),
        encryption: device.encryption.clone(),
        tracker: spoiled.tracker(),
        ballot: spoiled.clone(),
        seed: Digest(*seed.as_bytes()),
        choices: choices.clone(),
    };
    let audit_path = format!("/api/v1/elections/{election}/audited");
    // One that lies about its choices is refused by name.
    let mut lying = serde_json::to_value(&audited).unwrap();
    lying["choices"] = json!(device.choices(0, "yes"));
    let (status, body) = post(&app, &audit_path, &lying).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"], "audit-opening", "{body}");
    let file = serde_json::to_value(&audited).unwrap();
    let (status, body) = post(&app, &audit_path, &file).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["tracker"], spoiled.tracker().to_hex());
    // Again: nothing changes.
    let (status, _) = post(&app, &audit_path, &file).await;
    assert_eq!(status, StatusCode::CREATED);
    // An audited ballot can never be cast, and the code still works.
    let (status, body) = cast(&app, &election, &tokens[2].1, &serde_json::to_value(&spoiled).unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"], "ballot-audited", "{body}");
    assert_eq!(voted(&app, &election), 2);
    // A cast ballot cannot be audited.
    let (_, cast_seed) = (ballot.clone(), BallotSeed::from_bytes([0; 32]));
    let mut of_cast = serde_json::to_value(&audited).unwrap();
    of_cast["ballot"] = sent.clone();
    of_cast["tracker"] = json!(ballot.tracker().to_hex());
    of_cast["seed"] = json!(cast_seed.to_hex());
    let (status, _) = post(&app, &audit_path, &of_cast).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // The seal: the ballots in tracker order, then the audited ballot.
    app.teller_ok(&["seal", &election]);
    let mut conn = app.db.conn();
    let tail: Vec<String> = teller::store::log::entries(&mut conn, &election)
        .unwrap()
        .into_iter()
        .filter_map(|c| match c.entry.event {
            Event::Ballot { tracker } => Some(format!("ballot {}", tracker.to_hex())),
            Event::Audited { tracker } => Some(format!("audited {}", tracker.to_hex())),
            Event::Seal { ballots, .. } => Some(format!("seal {ballots}")),
            _ => None,
        })
        .collect();
    let mut cast_trackers = [ballot.tracker().to_hex(), other.tracker().to_hex()];
    cast_trackers.sort();
    assert_eq!(
        tail,
        [
            format!("ballot {}", cast_trackers[0]),
            format!("ballot {}", cast_trackers[1]),
            format!("audited {}", spoiled.tracker().to_hex()),
            "seal 2".to_string(),
        ]
    );
    assert!(
        crate::ceremony::count(
            &app,
            &format!("SELECT COUNT(*) AS n FROM ballot_alphas WHERE election_id = '{election}'")
        ) > 0
    );
    // The retry after the seal: the same receipt, now naming that seal.
    let (status, again) = cast(&app, &election, &tokens[0].1, &sent).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    let again: Receipt = serde_json::from_value(again).unwrap();
    assert_eq!(again.body.seal, receipt.body.seal);
    // At the close the used alphas, written by the casts in casting order,
    // are forgotten: they were needed only while casting.
    app.teller_ok(&["election", "close", &election]);
    assert_eq!(
        crate::ceremony::count(
            &app,
            &format!("SELECT COUNT(*) AS n FROM ballot_alphas WHERE election_id = '{election}'")
        ),
        0
    );
}

on_both_backends!(encrypted_ballots_are_cast_retried_refused_by_name_and_audited, casting);

/// Each batch of casts adds its ballots to the election's running totals
/// in its own transaction, and the close forms the aggregate from them; an
/// election without them (its polls opened before Teller kept them) is
/// aggregated from its stored ballots. Both give the aggregate the ballots
/// make, computed here on the device's side.
async fn running_totals(backend: Backend) {
    use teller_audit::trustees::decrypt::Aggregator;
    let toml = format!("{ENCRYPTED}\n[sealing]\nmin_ballots = 1\n");
    for keep_totals in [true, false] {
        let app = TestApp::spawn(backend).await;
        let (election, tokens, _trustees) = open_encrypted(&app, &toml, 4).await;
        let device = Device::fetch(&app, &election).await;
        let mut expected = Aggregator::new(&device.shape);
        for (i, (directors, bylaw)) in [(2, "yes"), (0, "no"), (1, "abstain")].into_iter().enumerate() {
            let (ballot, _) = device.encrypt(&device.choices(directors, bylaw), Weight::ONE);
            let (status, body) = cast(&app, &election, &tokens[i].1, &serde_json::to_value(&ballot).unwrap()).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            expected.add_ballot(&ballot).unwrap();
        }
        // A refused cast adds nothing.
        let (ballot, _) = device.encrypt(&device.choices(1, "yes"), Weight::ONE);
        let (status, _) = cast(&app, &election, "not-a-code", &serde_json::to_value(&ballot).unwrap()).await;
        assert!(status.is_client_error());
        let counted = format!("SELECT ballots AS n FROM encrypted_totals WHERE election_id = '{election}'");
        assert_eq!(crate::ceremony::count(&app, &counted), 3);
        if !keep_totals {
            app.db.sql(&format!(
                "DELETE FROM encrypted_totals WHERE election_id = '{election}'"
            ));
        }
        app.teller_ok(&["election", "close", &election]);
        let mut conn = app.db.conn();
        let aggregated: Vec<(Digest, u64)> = teller::store::log::entries(&mut conn, &election)
            .unwrap()
            .into_iter()
            .filter_map(|c| match c.entry.event {
                Event::Aggregated {
                    aggregate_digest,
                    ballots,
                    ..
                } => Some((aggregate_digest, ballots)),
                _ => None,
            })
            .collect();
        let digest = expected.finish().unwrap().digest(&device.fingerprint);
        assert_eq!(aggregated, [(digest, 3)], "keep_totals: {keep_totals}");
    }
}

on_both_backends!(
    the_close_aggregates_from_the_running_totals_the_casts_kept,
    running_totals
);
