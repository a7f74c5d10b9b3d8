//! Tampering with the stored data, as an operator with full database access
//! could: every kind makes `teller-audit verify` fail and name the check.
#![allow(clippy::unwrap_used)]

mod common;

use common::{example_choices, Backend, TestApp};
use diesel::prelude::*;
use diesel::sql_types::Text;
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde_json::Value;
use teller_audit::ballot::Ballot;
use teller_audit::checkpoint::SignedCheckpoint;
use teller_audit::crypto::{Nonce, Signature};
use teller_audit::receipt::Receipt;
use teller_audit::verify::{verify_receipt, verify_record, Report};

/// A tallied election with 12 ballots in two seals, and its receipts.
async fn tallied(backend: Backend) -> (TestApp, String, Vec<Receipt>) {
    let app = TestApp::spawn(backend).await;
    let (id, tokens) = app.open_example(12);
    let mut receipts = Vec::new();
    for (i, (_, token)) in tokens.iter().enumerate() {
        let (status, body) = app.cast(&id, token, example_choices(i)).await;
        assert_eq!(status, 201);
        receipts.push(serde_json::from_value::<Receipt>(body).unwrap());
        if i == 5 {
            app.teller_ok(&["seal", &id]);
        }
    }
    app.teller_ok(&["election", "close", &id]);
    app.teller_ok(&["election", "tally", &id]);
    let report = verify_record(&app.export(&id), &[]);
    assert!(report.ok(), "the untampered record must verify: {report}");
    (app, id, receipts)
}

/// What an attacker does first: switch off the guards on a table.
fn disable_guards(app: &TestApp, table: &str) {
    match app.db.backend {
        Backend::Postgres => app.db.sql(&format!("ALTER TABLE {table} DISABLE TRIGGER USER")),
        Backend::Sqlite => {
            let triggers: &[&str] = match table {
                "ballots" => &["ballots_no_delete", "ballots_seal_only"],
                "log_entries" => &["log_entries_append_only_update", "log_entries_append_only_delete"],
                "checkpoints" => &["checkpoints_append_only_update", "checkpoints_append_only_delete"],
                _ => &[],
            };
            for t in triggers {
                app.db.sql(&format!("DROP TRIGGER {t}"));
            }
        }
    }
}

fn assert_fails(report: &Report, check: &str, mentions: &str) {
    assert!(!report.ok(), "tampering went unnoticed:\n{report}");
    let c = report
        .check(check)
        .unwrap_or_else(|| panic!("no check {check}:\n{report}"));
    assert!(
        c.failures.iter().any(|f| f.contains(mentions)),
        "check {check} should name {mentions:?}:\n{report}"
    );
}

fn ballot_body(app: &TestApp, tracker: &str) -> String {
    #[derive(QueryableByName)]
    struct B {
        #[diesel(sql_type = Text)]
        body: String,
    }
    diesel::sql_query(format!("SELECT body FROM ballots WHERE tracker = '{tracker}'"))
        .get_result::<B>(&mut app.db.conn())
        .unwrap()
        .body
}

fn yes_receipt(receipts: &[Receipt]) -> &Receipt {
    receipts
        .iter()
        .find(|r| r.body.ballot.choices["bylaw-amendment-7"] == ["yes"])
        .unwrap()
}

async fn ballot_content_changed(backend: Backend) {
    let (app, id, receipts) = tallied(backend).await;
    let victim = yes_receipt(&receipts);
    let tracker = victim.body.tracker.to_hex();
    disable_guards(&app, "ballots");
    app.db.sql(&format!(
        "UPDATE ballots SET body = REPLACE(body, '\"bylaw-amendment-7\":[\"yes\"]', '\"bylaw-amendment-7\":[\"no\"]') WHERE tracker = '{tracker}'"
    ));
    assert!(ballot_body(&app, &tracker).contains("[\"no\"]"));
    let record = app.export(&id);
    assert_fails(&verify_record(&record, &[]), "ballot-tracker", &tracker);
    assert_fails(&verify_record(&record, &[]), "tally", "bylaw-amendment-7");
    assert_fails(&verify_receipt(victim, &record), "receipt-content", &tracker);
}
on_both_backends!(a_changed_ballot_is_detected, ballot_content_changed);

async fn ballot_content_and_tracker_changed(backend: Backend) {
    // A cleverer attacker recomputes the tracker so the ballot hashes right.
    let (app, id, receipts) = tallied(backend).await;
    let victim = yes_receipt(&receipts);
    let old = victim.body.tracker.to_hex();
    let mut forged = victim.body.ballot.clone();
    forged.choices.insert("bylaw-amendment-7".into(), vec!["no".into()]);
    let new = forged.tracker().to_hex();
    let body = String::from_utf8(
        teller_audit::canonical::to_bytes(&serde_json::json!({"nonce": forged.nonce, "choices": forged.choices}))
            .unwrap(),
    )
    .unwrap();
    disable_guards(&app, "ballots");
    app.db.sql(&format!(
        "UPDATE ballots SET tracker = '{new}', body = '{body}' WHERE tracker = '{old}'"
    ));
    let record = app.export(&id);
    let report = verify_record(&record, &[]);
    assert_fails(&report, "ballots-match-log", &new);
    assert_fails(&report, "ballots-match-log", &old);
    assert_fails(&verify_receipt(victim, &record), "receipt-content", &old);
}
on_both_backends!(
    a_changed_ballot_with_a_recomputed_tracker_is_detected,
    ballot_content_and_tracker_changed
);

async fn ballot_deleted(backend: Backend) {
    let (app, id, receipts) = tallied(backend).await;
    let victim = &receipts[3];
    let tracker = victim.body.tracker.to_hex();
    disable_guards(&app, "ballots");
    app.db.sql(&format!("DELETE FROM ballots WHERE tracker = '{tracker}'"));
    let record = app.export(&id);
    let report = verify_record(&record, &[]);
    assert_fails(&report, "ballots-match-log", &tracker);
    assert_fails(&report, "counts", "publishes 11 ballots but the log holds 12");
    assert_fails(&verify_receipt(victim, &record), "receipt-content", &tracker);
}
on_both_backends!(a_deleted_ballot_is_detected, ballot_deleted);

async fn ballot_added(backend: Backend) {
    let (app, id, _) = tallied(backend).await;
    let stuffed = Ballot {
        election: id.clone(),
        nonce: Nonce([9; 16]),
        choices: serde_json::from_value(
            serde_json::json!({"directors": ["samuel-adeyemi"], "treasurer": [], "bylaw-amendment-7": ["no"]}),
        )
        .unwrap(),
    };
    let tracker = stuffed.tracker().to_hex();
    let body = String::from_utf8(
        teller_audit::canonical::to_bytes(&serde_json::json!({"nonce": stuffed.nonce, "choices": stuffed.choices}))
            .unwrap(),
    )
    .unwrap();
    app.db.sql(&format!(
        "INSERT INTO ballots (election_id, tracker, body, seal) VALUES ('{id}', '{tracker}', '{body}', 1)"
    ));
    let record = app.export(&id);
    let report = verify_record(&record, &[]);
    assert_fails(&report, "ballots-match-log", &tracker);
    assert_fails(&report, "counts", "publishes 13 ballots but the log holds 12");
}
on_both_backends!(an_added_ballot_is_detected, ballot_added);

fn first_ballot_entry(record: &teller_audit::record::Record) -> (u64, String) {
    record
        .log
        .iter()
        .find_map(|e| match &e.entry.event {
            teller_audit::log::Event::Ballot { tracker } => Some((e.entry.seq, tracker.to_hex())),
            _ => None,
        })
        .unwrap()
}

async fn log_entry_altered(backend: Backend) {
    let (app, id, _) = tallied(backend).await;
    let (seq, tracker) = first_ballot_entry(&app.export(&id));
    disable_guards(&app, "log_entries");
    let other = "0".repeat(64);
    app.db.sql(&format!(
        "UPDATE log_entries SET body = REPLACE(body, '{tracker}', '{other}') WHERE seq = {seq}"
    ));
    let report = verify_record(&app.export(&id), &[]);
    assert_fails(&report, "log-chain", &format!("entry {seq} (ballot)"));
}
on_both_backends!(an_altered_log_entry_is_detected, log_entry_altered);

async fn log_entry_removed(backend: Backend) {
    let (app, id, _) = tallied(backend).await;
    let (seq, _) = first_ballot_entry(&app.export(&id));
    disable_guards(&app, "log_entries");
    app.db.sql(&format!("DELETE FROM log_entries WHERE seq = {seq}"));
    let report = verify_record(&app.export(&id), &[]);
    assert_fails(
        &report,
        "log-chain",
        &format!("entry at position {seq} has seq {}", seq + 1),
    );
}
on_both_backends!(a_removed_log_entry_is_detected, log_entry_removed);

async fn checkpoint_resigned(backend: Backend) {
    let (app, id, _) = tallied(backend).await;
    let record = app.export(&id);
    let original = record.checkpoints[1].clone();
    // Sign the same statement with a key that is not the election's.
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
    let other = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
    assert_ne!(other.public_key().as_ref(), &record.public_key.0);
    let mut sig = [0u8; 64];
    sig.copy_from_slice(other.sign(&original.checkpoint.signed_bytes()).as_ref());
    let forged = SignedCheckpoint {
        checkpoint: original.checkpoint.clone(),
        signature: Signature(sig),
    };
    let body: Value = serde_json::to_value(&forged).unwrap();
    disable_guards(&app, "checkpoints");
    app.db.sql(&format!(
        "UPDATE checkpoints SET body = '{body}' WHERE election_id = '{id}' AND size = {}",
        original.checkpoint.size
    ));
    let report = verify_record(&app.export(&id), &[]);
    assert_fails(
        &report,
        "checkpoint-signature",
        &format!("checkpoint 1 (size {}", original.checkpoint.size),
    );
}
on_both_backends!(a_checkpoint_signed_by_another_key_is_detected, checkpoint_resigned);
