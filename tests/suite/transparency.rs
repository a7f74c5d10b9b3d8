//! The log's Merkle tree as members and monitors meet it (audit/FORMAT.md
//! §5a–§7a): the signed tree checkpoint, and a receipt checked from its
//! inclusion proof alone — on both backends.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::{example_choices, Backend, TestApp};
use teller_audit::inclusion::{verify_receipt_with_proof, InclusionProof};
use teller_audit::merkle::Tree;
use teller_audit::note::TreeCheckpoint;
use teller_audit::receipt::Receipt;
use teller_audit::verify::Status;

async fn get_text(app: &TestApp, path: &str) -> (u16, String) {
    let res = app.http.get(app.url(path)).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn receipts_proved_offline(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (id, tokens) = app.open_example(8);
    let record = app.export(&id);
    let key = record.public_key;

    // Open: the tree checkpoint covers the log up to the opening.
    let (status, note) = get_text(&app, &format!("/api/v1/elections/{id}/log/checkpoint")).await;
    assert_eq!(status, 200, "{note}");
    let opened = TreeCheckpoint::open(&note, &id, &key).unwrap();
    assert_eq!(opened.size, record.log.len() as u64);

    // An entry no checkpoint covers yet (a replaced code) is not signed:
    // tree checkpoints stay at checkpointed sizes, so two never disagree.
    app.teller_ok(&["tokens", "reissue", &id, &tokens[7].0]);
    assert_eq!(app.export(&id).log.len() as u64, opened.size + 1);
    let (_, again) = get_text(&app, &format!("/api/v1/elections/{id}/log/checkpoint")).await;
    assert_eq!(again, note);

    let mut receipts = Vec::new();
    for (i, (_, token)) in tokens.iter().take(5).enumerate() {
        let (status, receipt) = app.cast(&id, token, example_choices(i)).await;
        assert_eq!(status, 201, "{receipt}");
        receipts.push(serde_json::from_value::<Receipt>(receipt).unwrap());
    }
    let tracker = receipts[0].body.tracker.to_hex();
    // Not sealed yet: no proof, and the answer says when.
    let (status, body) = app
        .get_json(&format!("/api/v1/elections/{id}/receipts/{tracker}/proof"))
        .await;
    assert_eq!(status, 404, "{body}");
    assert!(body.to_string().contains("not yet in a signed checkpoint"), "{body}");

    assert!(app.teller_ok(&["seal", &id]).contains("Sealed 5 ballots"));
    let (status, note) = get_text(&app, &format!("/api/v1/elections/{id}/log/checkpoint")).await;
    assert_eq!(status, 200);
    let sealed = TreeCheckpoint::open(&note, &id, &key).unwrap();
    assert!(sealed.size > opened.size);

    // The tree checkpoint's root is the Merkle root of the record's log.
    let record = app.export(&id);
    let mut tree = Tree::new();
    for e in &record.log {
        tree.push(&e.entry.canonical_bytes());
    }
    assert_eq!(tree.size(), sealed.size);
    assert_eq!(tree.root(), sealed.root);
    assert_eq!(tree.root_at(opened.size).unwrap(), opened.root);

    for receipt in &receipts {
        let t = receipt.body.tracker.to_hex();
        let res = app
            .http
            .get(app.url(&format!("/api/v1/elections/{id}/receipts/{t}/proof")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);
        let bytes = res.bytes().await.unwrap();
        assert!(bytes.len() < 2048, "a proof of {} bytes", bytes.len());
        let proof: InclusionProof = serde_json::from_slice(&bytes).unwrap();
        // The entries served are the stored ones (the server makes the
        // ballot's from its tree, and keeps the seal's and the opening's).
        for served in [&proof.entry, &proof.seal_entry, &proof.opened_entry] {
            let stored = &record.log[served.seq as usize].entry;
            assert_eq!(served.canonical_bytes(), stored.canonical_bytes());
        }
        let report = verify_receipt_with_proof(receipt, &proof);
        assert!(report.ok(), "{report}");
        assert_eq!(report.check("receipt-inclusion").unwrap().status, Status::Pass);
        // The proof of one receipt does not serve another.
        let other = receipts
            .iter()
            .find(|r| r.body.tracker != receipt.body.tracker)
            .unwrap();
        assert!(!verify_receipt_with_proof(other, &proof).ok());
    }

    // A tracker nobody cast, and one that is not a tracker.
    let (status, _) = app
        .get_json(&format!("/api/v1/elections/{id}/receipts/{}/proof", "ab".repeat(32)))
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .get_json(&format!("/api/v1/elections/{id}/receipts/xyz/proof"))
        .await;
    assert_eq!(status, 400);
    // A seal that never happened.
    let (status, _) = app
        .get_json(&format!("/api/v1/elections/{id}/receipts/{tracker}/proof?seal=9"))
        .await;
    assert_eq!(status, 404);
    // No such election, and a draft (which has no checkpoint): the same 404.
    let (draft, _) = app.draft_with_tokens(include_str!("../../examples/board-election.toml"), 2);
    for election in [uuid::Uuid::new_v4().to_string(), draft] {
        let (status, body) = app
            .get_json(&format!("/api/v1/elections/{election}/receipts/{tracker}/proof"))
            .await;
        assert_eq!(status, 404, "{body}");
        assert!(body.to_string().contains("no election"), "{body}");
    }
}
on_both_backends!(
    receipts_are_proved_offline_from_their_inclusion_proofs,
    receipts_proved_offline
);

async fn consistency_between_checkpoints(backend: Backend) {
    use teller_audit::crypto::Digest;
    let app = TestApp::spawn(backend).await;
    let (id, tokens) = app.open_example(12);
    let key = app.export(&id).public_key;
    let note_now = || async {
        let (status, note) = get_text(&app, &format!("/api/v1/elections/{id}/log/checkpoint")).await;
        assert_eq!(status, 200, "{note}");
        TreeCheckpoint::open(&note, &id, &key).unwrap()
    };
    let first = note_now().await;
    let mut seen = vec![first.clone()];
    for round in 0..2 {
        for (i, (_, token)) in tokens.iter().enumerate().skip(round * 5).take(5) {
            assert_eq!(app.cast(&id, token, example_choices(i)).await.0, 201);
        }
        app.teller_ok(&["seal", &id]);
        seen.push(note_now().await);
    }
    let newest = seen.last().unwrap().clone();
    for old in &seen {
        let (status, body) = app
            .get_json(&format!("/api/v1/elections/{id}/log/consistency?from={}", old.size))
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["to"], newest.size);
        let served = TreeCheckpoint::open(body["checkpoint"].as_str().unwrap(), &id, &key).unwrap();
        assert_eq!(served, newest);
        let proof: Vec<Digest> = serde_json::from_value(body["proof"].clone()).unwrap();
        teller_audit::merkle::verify_consistency(old.size, newest.size, &old.root, &newest.root, &proof).unwrap();
        // The same proof does not join a root the log never had.
        let forged = Digest::of(b"another history");
        assert!(
            teller_audit::merkle::verify_consistency(old.size, newest.size, &forged, &newest.root, &proof).is_err()
        );
    }
    let (status, _) = app
        .get_json(&format!(
            "/api/v1/elections/{id}/log/consistency?from={}",
            newest.size + 1
        ))
        .await;
    assert_eq!(status, 400);
    // Malformed numbers are refused in JSON, naming the parameter.
    for (path, name) in [
        (format!("/api/v1/elections/{id}/log/consistency?from=abc"), "from"),
        (format!("/api/v1/elections/{id}/log/consistency?from=-1"), "from"),
        (format!("/api/v1/elections/{id}/log/consistency?from=+3"), "from"),
        (format!("/api/v1/elections/{id}/log/consistency"), "from="),
        (
            format!("/api/v1/elections/{id}/receipts/{}/proof?seal=x", "0".repeat(64)),
            "seal",
        ),
        (
            format!(
                "/api/v1/elections/{id}/receipts/{}/proof?seal=99999999999999999999",
                "0".repeat(64)
            ),
            "seal",
        ),
    ] {
        let (status, body) = app.get_json(&path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["error"], "invalid_query", "{path}: {body}");
        assert!(body["message"].as_str().unwrap().contains(name), "{path}: {body}");
    }
}
on_both_backends!(checkpoints_are_proved_consistent, consistency_between_checkpoints);
