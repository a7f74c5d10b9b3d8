//! Tampering with the stored data, as an operator with full database access
//! could: every kind makes `teller-audit verify` fail and name the check.
#![allow(clippy::unwrap_used)]

use crate::common;

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
        .find(|r| r.body.ballot.plain().unwrap().choices["bylaw-amendment-7"] == ["yes"])
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
    let mut forged = victim.body.ballot.plain().unwrap().clone();
    forged.choices.insert("bylaw-amendment-7".into(), vec!["no".into()]);
    let new = forged.tracker().to_hex();
    let body = String::from_utf8(
        teller_audit::canonical::to_bytes(
            &serde_json::json!({"nonce": forged.nonce, "choices": forged.choices, "weight": forged.weight}),
        )
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
    assert_fails(
        &report,
        "counts",
        "ballots: expected 12 published ballots (the ballot entries in the log), found 11",
    );
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
        weight: teller_audit::count::Weight::ONE,
    };
    let tracker = stuffed.tracker().to_hex();
    let body = String::from_utf8(
        teller_audit::canonical::to_bytes(
            &serde_json::json!({"nonce": stuffed.nonce, "choices": stuffed.choices, "weight": stuffed.weight}),
        )
        .unwrap(),
    )
    .unwrap();
    app.db.sql(&format!(
        "INSERT INTO ballots (election_id, tracker, body, seal) VALUES ('{id}', '{tracker}', '{body}', 1)"
    ));
    let record = app.export(&id);
    let report = verify_record(&record, &[]);
    assert_fails(&report, "ballots-match-log", &tracker);
    assert_fails(
        &report,
        "counts",
        "ballots: expected 12 published ballots (the ballot entries in the log), found 13",
    );
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
    assert_fails(&report, "log-chain", &format!("expected seq {seq}, found {}", seq + 1));
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

async fn log_entries_swapped(backend: Backend) {
    let (app, id, _) = tallied(backend).await;
    let (seq, _) = first_ballot_entry(&app.export(&id));
    disable_guards(&app, "log_entries");
    // Swap the content of two neighbouring ballot entries.
    #[derive(QueryableByName)]
    struct E {
        #[diesel(sql_type = Text)]
        body: String,
    }
    let body_of = |seq: u64| {
        diesel::sql_query(format!(
            "SELECT body FROM log_entries WHERE election_id = '{id}' AND seq = {seq}"
        ))
        .get_result::<E>(&mut app.db.conn())
        .unwrap()
        .body
    };
    let (a, b) = (body_of(seq), body_of(seq + 1));
    app.db.sql(&format!(
        "UPDATE log_entries SET body = '{b}' WHERE election_id = '{id}' AND seq = {seq}; \
         UPDATE log_entries SET body = '{a}' WHERE election_id = '{id}' AND seq = {}",
        seq + 1
    ));
    let report = verify_record(&app.export(&id), &[]);
    assert_fails(&report, "log-chain", &format!("expected seq {seq}, found {}", seq + 1));
}
on_both_backends!(reordered_log_entries_are_detected, log_entries_swapped);

async fn definition_changed(backend: Backend) {
    let (app, id, _) = tallied(backend).await;
    app.db.sql(&format!(
        "UPDATE elections SET definition = REPLACE(definition, 'Amara Okafor', 'Mallory Smith') WHERE id = '{id}'"
    ));
    let report = verify_record(&app.export(&id), &[]);
    assert_fails(&report, "definition", "polls_opened");
}
on_both_backends!(a_definition_changed_after_opening_is_detected, definition_changed);

async fn tally_altered(backend: Backend) {
    let (app, id, _) = tallied(backend).await;
    let record = app.export(&id);
    let original = serde_json::to_string(record.tally.as_ref().unwrap()).unwrap();
    let votes = serde_json::to_string(&record.tally.as_ref().unwrap().contests[2]).unwrap();
    let altered = votes.replacen("\"no\":\"", "\"no\":\"1", 1);
    assert_ne!(votes, altered);
    let tally = original.replace(&votes, &altered);
    app.db
        .sql(&format!("UPDATE elections SET tally = '{tally}' WHERE id = '{id}'"));
    let report = verify_record(&app.export(&id), &[]);
    assert_fails(&report, "tally", "(tallied), found a tally hashing to");
    assert_fails(&report, "tally", "bylaw-amendment-7");
}
on_both_backends!(an_altered_tally_is_detected, tally_altered);

async fn state_rolled_back(backend: Backend) {
    let (app, id, _) = tallied(backend).await;
    app.db
        .sql(&format!("UPDATE elections SET state = 'closed' WHERE id = '{id}'"));
    let report = verify_record(&app.export(&id), &[]);
    assert_fails(
        &report,
        "log-structure",
        "expected \"tallied\" (the state the log shows)",
    );
    assert_fails(&report, "ballots-published", "found null");
}
on_both_backends!(a_state_rolled_back_is_detected, state_rolled_back);

async fn state_moved_to_certified(backend: Backend) {
    let (app, id, _) = tallied(backend).await;
    // Claim the committee certified a result nobody signed.
    app.db
        .sql(&format!("UPDATE elections SET state = 'certified' WHERE id = '{id}'"));
    let record = app.export(&id);
    assert_eq!(record.election.state, "certified");
    let report = verify_record(&record, &[]);
    assert_fails(
        &report,
        "log-structure",
        "expected \"tallied\" (the state the log shows)",
    );
}
on_both_backends!(a_certification_nobody_signed_is_detected, state_moved_to_certified);

async fn key_replaced(backend: Backend) {
    let (app, id, _) = tallied(backend).await;
    let other = "11".repeat(32);
    app.db.sql(&format!(
        "UPDATE elections SET public_key = '{other}' WHERE id = '{id}'"
    ));
    let report = verify_record(&app.export(&id), &[]);
    assert_fails(&report, "log-structure", "expected the record's key");
    assert_fails(
        &report,
        "checkpoint-signature",
        "expected a signature by the election key",
    );
}
on_both_backends!(a_replaced_election_key_is_detected, key_replaced);

async fn tokens_used_altered(backend: Backend) {
    let (app, id, _) = tallied(backend).await;
    // Mark a member as not having voted, as if to let them vote again.
    app.db.sql(&format!(
        "UPDATE members SET voted = FALSE WHERE election_id = '{id}' AND member_id = 'M00003'"
    ));
    let report = verify_record(&app.export(&id), &[]);
    assert_fails(&report, "counts", "counts.tokens_used: expected 12 (entry");
}
on_both_backends!(altered_tokens_used_are_detected, tokens_used_altered);

async fn sealed_count_altered(backend: Backend) {
    let (app, id, _) = tallied(backend).await;
    app.db.sql(&format!(
        "UPDATE log_heads SET sealed_ballots = sealed_ballots + 5 WHERE election_id = '{id}'"
    ));
    let report = verify_record(&app.export(&id), &[]);
    assert_fails(
        &report,
        "counts",
        "counts.ballots: expected 12 (the ballot entries in the log), found 17",
    );
}
on_both_backends!(an_altered_ballot_count_is_detected, sealed_count_altered);

async fn checkpoint_deleted(backend: Backend) {
    let (app, id, _) = tallied(backend).await;
    let record = app.export(&id);
    let sealed = record
        .checkpoints
        .iter()
        .find(|c| c.checkpoint.reason == teller_audit::checkpoint::CheckpointReason::Sealed)
        .unwrap()
        .checkpoint
        .size;
    disable_guards(&app, "checkpoints");
    app.db.sql(&format!(
        "DELETE FROM checkpoints WHERE election_id = '{id}' AND size = {sealed}"
    ));
    let report = verify_record(&app.export(&id), &[]);
    assert_fails(
        &report,
        "checkpoint-coverage",
        &format!(
            "entry {} (seal): expected one checkpoint of size {sealed} with reason sealed, found none",
            sealed - 1
        ),
    );
}
on_both_backends!(a_deleted_checkpoint_is_detected, checkpoint_deleted);

async fn ballot_moved_away(backend: Backend) {
    let (app, id, receipts) = tallied(backend).await;
    let (other, _) = app.open_example(1);
    let tracker = receipts[2].body.tracker.to_hex();
    disable_guards(&app, "ballots");
    app.db.sql(&format!(
        "UPDATE ballots SET election_id = '{other}' WHERE tracker = '{tracker}'"
    ));
    let report = verify_record(&app.export(&id), &[]);
    assert_fails(&report, "ballots-match-log", &tracker);
}
on_both_backends!(a_ballot_moved_to_another_election_is_detected, ballot_moved_away);

async fn receipt_from_another_election(backend: Backend) {
    let (app, _, receipts) = tallied(backend).await;
    // A second election on the same server; a receipt of the first is shown against it.
    let (other, tokens) = app.open_example(1);
    assert_eq!(app.cast(&other, &tokens[0].1, example_choices(0)).await.0, 201);
    app.teller_ok(&["election", "close", &other]);
    app.teller_ok(&["election", "tally", &other]);
    let report = verify_receipt(&receipts[0], &app.export(&other));
    assert_fails(
        &report,
        "receipt-election",
        "receipt election: expected the record's election",
    );
}
on_both_backends!(
    a_receipt_replayed_from_another_election_is_detected,
    receipt_from_another_election
);

/// The operator, who holds the election key, rewrites history: `edit` turns
/// the log's events into new ones, and everything is re-chained and
/// re-signed, so the rewritten record is consistent on its own. Only what
/// the public saw before — checkpoints, receipts — can expose it.
fn rewrite(
    app: &TestApp,
    record: &teller_audit::record::Record,
    edit: impl FnOnce(Vec<teller_audit::log::Event>) -> Vec<teller_audit::log::Event>,
) -> teller_audit::record::Record {
    use teller_audit::checkpoint::{Checkpoint, CheckpointReason, CHECKPOINT_FORMAT};
    use teller_audit::log::{ChainedEntry, Event, LogEntry, GENESIS};
    #[derive(QueryableByName)]
    struct K {
        #[diesel(sql_type = Text)]
        secret_key: String,
    }
    let id = record.election.id.clone();
    let sealed: K = diesel::sql_query(format!("SELECT secret_key FROM elections WHERE id = '{id}'"))
        .get_result(&mut app.db.conn())
        .unwrap();
    let signer = common::secret().signer(&id, &sealed.secret_key).unwrap();
    let events = edit(record.log.iter().map(|e| e.entry.event.clone()).collect());
    let kept: std::collections::BTreeSet<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Ballot { tracker } => Some(*tracker),
            _ => None,
        })
        .collect();
    let mut out = record.clone();
    out.ballots.as_mut().unwrap().retain(|b| kept.contains(&b.tracker));
    let ballots = out.ballots.clone().unwrap();
    let seed = events.iter().find_map(|e| match e {
        Event::Tallied { lot_seed, .. } => Some(*lot_seed),
        _ => None,
    });
    let tally = teller_audit::tally::tally(&id, &record.election.definition, &ballots, &seed.unwrap());
    out.counts.ballots = ballots.len() as u64;
    out.counts.tokens_used = ballots.len() as u64;
    out.log.clear();
    out.checkpoints.clear();
    let mut previous = GENESIS;
    for (seq, mut event) in events.into_iter().enumerate() {
        let reason = match &mut event {
            Event::PollsOpened { .. } => Some(CheckpointReason::Opened),
            Event::Seal { .. } => Some(CheckpointReason::Sealed),
            Event::PollsClosed {
                tokens_used,
                ballots: n,
                ..
            } => {
                *tokens_used = ballots.len() as u64;
                *n = ballots.len() as u64;
                Some(CheckpointReason::Closed)
            }
            Event::Tallied { tally_digest, .. } => {
                *tally_digest = tally.digest();
                Some(CheckpointReason::Tallied)
            }
            _ => None,
        };
        let entry = LogEntry {
            seq: seq as u64,
            time: record.log.get(seq).map(|e| e.entry.time).unwrap_or(0),
            event,
        };
        let hash = entry.chain_hash(&previous);
        previous = hash;
        out.log.push(ChainedEntry { entry, hash });
        if let Some(reason) = reason {
            let checkpoint = Checkpoint {
                format: CHECKPOINT_FORMAT.into(),
                election: id.clone(),
                size: seq as u64 + 1,
                head: hash,
                time: 1_900_000_000,
                reason,
            };
            let signature = signer.sign(&checkpoint.signed_bytes());
            out.checkpoints.push(SignedCheckpoint { checkpoint, signature });
        }
    }
    out.tally = Some(tally);
    out
}

/// Drop `victim` from the log and fix up its seal's count.
fn without(
    events: Vec<teller_audit::log::Event>,
    victim: teller_audit::crypto::Digest,
) -> Vec<teller_audit::log::Event> {
    use teller_audit::log::Event;
    let mut dropped_from_batch = false;
    events
        .into_iter()
        .filter_map(|e| match e {
            Event::Ballot { tracker } if tracker == victim => {
                dropped_from_batch = true;
                None
            }
            Event::Seal { seal, ballots } if dropped_from_batch => {
                dropped_from_batch = false;
                Some(Event::Seal {
                    seal,
                    ballots: ballots - 1,
                })
            }
            other => Some(other),
        })
        .collect()
}

async fn log_rolled_back_and_rewritten(backend: Backend) {
    let (app, id, receipts) = tallied(backend).await;
    let record = app.export(&id);
    // A monitor kept the closing checkpoint; the victim kept a receipt for a
    // ballot sealed after the first checkpoint the operator rolls back to.
    let seen = record
        .checkpoints
        .iter()
        .find(|c| c.checkpoint.reason == teller_audit::checkpoint::CheckpointReason::Closed)
        .unwrap()
        .clone();
    let victim = receipts.iter().find(|r| r.body.seal == 2).unwrap();
    let forged = rewrite(&app, &record, |events| without(events, victim.body.tracker));
    assert!(verify_record(&forged, &[]).ok(), "the rewrite is consistent on its own");
    assert_fails(
        &verify_record(&forged, &[seen]),
        "checkpoint-consistency",
        "previously seen checkpoint 0",
    );
    assert_fails(
        &verify_receipt(victim, &forged),
        "receipt-inclusion",
        "the service broke its promise",
    );
}
on_both_backends!(
    a_log_rolled_back_to_a_checkpoint_with_a_different_future_is_detected,
    log_rolled_back_and_rewritten
);

async fn ballot_left_out_of_its_seal(backend: Backend) {
    use teller_audit::log::Event;
    let (app, id, receipts) = tallied(backend).await;
    let record = app.export(&id);
    let victim = receipts.iter().find(|r| r.body.seal == 1).unwrap();
    let t = victim.body.tracker;
    // Hold the ballot back from seal 1 and put it in seal 2 (in tracker order).
    let forged = rewrite(&app, &record, |events| {
        let mut events = without(events, t);
        let seal2 = events
            .iter()
            .position(|e| matches!(e, Event::Seal { seal: 2, .. }))
            .unwrap();
        let start = events[..seal2]
            .iter()
            .rposition(|e| !matches!(e, Event::Ballot { .. }))
            .unwrap()
            + 1;
        let at = (start..seal2)
            .find(|&i| matches!(&events[i], Event::Ballot { tracker } if *tracker > t))
            .unwrap_or(seal2);
        events.insert(at, Event::Ballot { tracker: t });
        if let Event::Seal { ballots, .. } = &mut events[seal2 + 1] {
            *ballots += 1;
        }
        events
    });
    assert!(verify_record(&forged, &[]).ok(), "{}", verify_record(&forged, &[]));
    assert_fails(
        &verify_receipt(victim, &forged),
        "receipt-inclusion",
        "after it: the service broke its promise",
    );
}
on_both_backends!(
    a_receipted_ballot_left_out_of_its_promised_seal_is_detected,
    ballot_left_out_of_its_seal
);
