//! The rules of FORMAT.md made exact (issue 10): each rule the verifier
//! enforces, broken once in an otherwise Teller-made record, fails the check
//! §10 names for it — as the first failing check — with a message naming
//! the rule, the place and what was expected.
#![allow(clippy::unwrap_used)]

mod common;

use common::{draft, mini_record, mini_record_and_key, public, republish, reseal, sign, signed_checkpoint};
use serde_json::{json, Value};
use teller_audit::checkpoint::CheckpointReason;
use teller_audit::count::Weight;
use teller_audit::crypto::Seed;
use teller_audit::log::{ChainedEntry, Event, LogEntry};
use teller_audit::record::Record;
use teller_audit::verify::{verify_reader, verify_record, Report, Status, RECEIPT_CHECKS, RECORD_CHECKS};

/// Verify JSON text as `teller-audit verify` reads a file.
fn verify_text(text: &str) -> Report {
    verify_reader(text.as_bytes(), "record.json", &[], None).unwrap()
}

fn verify_value(v: &Value) -> Report {
    verify_text(&serde_json::to_string(v).unwrap())
}

fn verify(record: &Record) -> Report {
    verify_value(&serde_json::to_value(record).unwrap())
}

/// `check` is the first failing check, and one of its failures says `says`.
#[track_caller]
fn first_fails(report: &Report, check: &str, says: &str) {
    assert_eq!(report.first_failure(), Some(check), "{report}");
    let failures = &report.check(check).unwrap().failures;
    assert!(
        failures.iter().any(|f| f.contains(says)),
        "{says:?} not in {failures:#?}"
    );
}

fn entry(seq: u64, event: Event) -> ChainedEntry {
    ChainedEntry {
        entry: LogEntry {
            seq,
            time: 1_796_115_600 + seq as i64,
            event,
        },
        hash: teller_audit::crypto::Digest([0; 32]),
    }
}

fn position(record: &Record, kind: &str) -> usize {
    record.log.iter().position(|e| e.entry.event.kind() == kind).unwrap()
}

#[test]
fn a_teller_made_record_passes_every_check_in_section_10_order() {
    let (record, receipt) = mini_record();
    let report = verify(&record);
    assert!(report.ok(), "{report}");
    let names: Vec<&str> = report.checks.iter().map(|c| c.name).collect();
    assert_eq!(names, RECORD_CHECKS);
    let report = teller_audit::verify::verify_receipt(&receipt, &record);
    let names: Vec<&str> = report.checks.iter().map(|c| c.name).collect();
    let all: Vec<&str> = RECORD_CHECKS.iter().chain(RECEIPT_CHECKS).copied().collect();
    assert_eq!(names, all);
    // The in-memory and the streaming verifier agree.
    assert!(verify_record(&record, &[]).ok());
}

#[test]
fn format_md_lists_exactly_the_checks_the_verifier_runs_in_order() {
    let spec = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/FORMAT.md")).unwrap();
    let section = &spec[spec.find("## 10. Verification").unwrap()..spec.find("## 11.").unwrap()];
    let listed: Vec<&str> = section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .collect();
    // The record checks, the receipt checks, then the checks of a receipt
    // with its inclusion proof that the receipt checks do not already name.
    let mut all: Vec<&str> = RECORD_CHECKS.iter().chain(RECEIPT_CHECKS).copied().collect();
    for check in teller_audit::inclusion::PROOF_CHECKS {
        if !all.contains(check) {
            all.push(check);
        }
    }
    // Then an encrypted record's checks (§16.11 steps 1–15), in report order.
    all.extend(teller_audit::verify::ENCRYPTED_CHECKS.iter().copied());
    assert_eq!(listed, all);
}

// ---- format: strict reading (§1) ----

#[test]
fn an_unknown_member_of_an_entry_fails_format_naming_its_path() {
    let (record, _) = mini_record();
    let mut v = serde_json::to_value(&record).unwrap();
    v["log"][3]["extra"] = json!(1);
    first_fails(&verify_value(&v), "format", "record.json at log[3]");
    let report = verify_value(&v);
    let failure = &report.check("format").unwrap().failures[0];
    assert!(failure.contains("unknown field `extra`"), "{failure}");
    assert!(failure.contains("(line 1, column "), "{failure}");
    for c in &report.checks[1..] {
        assert_eq!(c.status, Status::Skipped);
        assert_eq!(c.summary, "not run: the record could not be read");
    }
}

#[test]
fn an_unknown_member_of_an_entrys_data_fails_format_naming_it() {
    let (record, _) = mini_record();
    let mut v = serde_json::to_value(&record).unwrap();
    v["log"][1]["data"]["extra"] = json!("x");
    first_fails(&verify_value(&v), "format", "at log[1].data.extra");
    // A member another type of entry has.
    let mut v = serde_json::to_value(&record).unwrap();
    v["log"][1]["data"]["tracker"] = v["log"][5]["data"]["tracker"].clone();
    first_fails(
        &verify_value(&v),
        "format",
        "data.tracker: a roll_imported entry's data has no member \"tracker\"",
    );
    // A missing one.
    let mut v = serde_json::to_value(&record).unwrap();
    let closed = position(&record, "polls_closed");
    v["log"][closed]["data"]
        .as_object_mut()
        .unwrap()
        .remove("tokens_issued");
    first_fails(
        &verify_value(&v),
        "format",
        "a polls_closed entry's data must have the member \"tokens_issued\"",
    );
}

#[test]
fn a_key_written_twice_fails_format_in_data_and_in_choices() {
    let (record, _) = mini_record();
    let text = serde_json::to_string(&record).unwrap();
    let twice = text.replacen("\"added\":10,", "\"added\":10,\"added\":10,", 1);
    assert_ne!(twice, text);
    first_fails(&verify_text(&twice), "format", "at log[1].data");
    let board = &text[text.find("\"choices\":{\"board\":").unwrap()..];
    let board = &board[..board.find(']').unwrap() + 1];
    let twice = text.replacen(board, &format!("{board},{}", &board["\"choices\":{".len()..]), 1);
    assert_ne!(twice, text);
    first_fails(&verify_text(&twice), "format", "at ballots[0].choices.board");
    first_fails(&verify_text(&twice), "format", "appears twice");
}

#[test]
fn unknown_members_of_checkpoints_and_ballots_fail_format() {
    let (record, _) = mini_record();
    let mut v = serde_json::to_value(&record).unwrap();
    v["checkpoints"][1]["extra"] = json!(true);
    first_fails(&verify_value(&v), "format", "at checkpoints[1]");
    first_fails(&verify_value(&v), "format", "unknown field `extra`");
    let mut v = serde_json::to_value(&record).unwrap();
    v["ballots"][2]["extra"] = json!(true);
    first_fails(&verify_value(&v), "format", "at ballots[2].extra");
}

#[test]
fn upper_case_hex_fails_format_rather_than_being_lower_cased() {
    let (record, _) = mini_record();
    let mut v = serde_json::to_value(&record).unwrap();
    let hash = v["log"][2]["hash"].as_str().unwrap().to_uppercase();
    v["log"][2]["hash"] = json!(hash);
    first_fails(&verify_value(&v), "format", "at log[2].hash");
    first_fails(&verify_value(&v), "format", "expected 64 lower-case hex digits");
    let mut v = serde_json::to_value(&record).unwrap();
    let tracker = v["ballots"][0]["tracker"].as_str().unwrap().to_uppercase();
    v["ballots"][0]["tracker"] = json!(tracker);
    first_fails(&verify_value(&v), "format", "at ballots[0].tracker");
    let mut v = serde_json::to_value(&record).unwrap();
    v["ballots"][0]["nonce"] = json!("0101010101010101010101010101010A");
    first_fails(&verify_value(&v), "format", "at ballots[0].nonce");
}

#[test]
fn non_canonical_weights_and_election_ids_fail_format() {
    let (record, _) = mini_record();
    for weight in ["1.0", "01", "+1", ".5", "1e0", "2.50"] {
        let mut v = serde_json::to_value(&record).unwrap();
        v["ballots"][3]["weight"] = json!(weight);
        first_fails(&verify_value(&v), "format", "at ballots[3].weight");
    }
    let mut v = serde_json::to_value(&record).unwrap();
    v["election"]["id"] = json!(common::ELECTION.to_uppercase());
    first_fails(&verify_value(&v), "format", "at election.id");
    let mut v = serde_json::to_value(&record).unwrap();
    v["log"][0]["data"]["election"] = json!(common::ELECTION.replace('-', ""));
    first_fails(&verify_value(&v), "format", "data.election: expected an election id");
    let mut v = serde_json::to_value(&record).unwrap();
    v["checkpoints"][0]["election"] = json!(format!("{{{}}}", common::ELECTION));
    first_fails(&verify_value(&v), "format", "at checkpoints[0].election");
}

#[test]
fn a_version_1_record_is_refused_with_a_helpful_message() {
    let (record, _) = mini_record();
    let mut v = serde_json::to_value(&record).unwrap();
    v["format"] = json!("teller-record/1");
    first_fails(
        &verify_value(&v),
        "format",
        "expected \"teller-record/2\", found \"teller-record/1\": made by an earlier version of Teller: verify it with the teller-audit of that version",
    );
}

// ---- ballot-validity (§4) ----

#[test]
fn a_ballot_of_weight_zero_is_invalid() {
    let (mut record, _, key) = mini_record_and_key();
    let mut ballots = record.ballots.clone().unwrap();
    ballots[0].weight = Weight::ZERO;
    republish(&mut record, &key, ballots);
    first_fails(
        &verify(&record),
        "ballot-validity",
        "expected a weight greater than 0, found \"0\"",
    );
}

#[test]
fn a_ballot_missing_a_contest_or_with_an_extra_one_is_invalid() {
    let (mut record, _, key) = mini_record_and_key();
    let mut ballots = record.ballots.clone().unwrap();
    ballots[0].choices.remove("bylaw");
    republish(&mut record, &key, ballots);
    first_fails(
        &verify(&record),
        "ballot-validity",
        "contest \"bylaw\": Bylaw: the ballot has no entry for this contest",
    );
    let (mut record, _, key) = mini_record_and_key();
    let mut ballots = record.ballots.clone().unwrap();
    ballots[0].choices.insert("treasurer".into(), vec![]);
    republish(&mut record, &key, ballots);
    first_fails(
        &verify(&record),
        "ballot-validity",
        "there is no contest \"treasurer\" in this election",
    );
}

// ---- log-structure (§5) ----

#[test]
fn schedule_changed_outside_the_open_polls_breaks_rule_2() {
    let changed = Event::ScheduleChanged {
        closes_at: Some(1_796_300_000),
        reason: "board decision".into(),
        actor: "staff:olga".into(),
    };
    // Before opening.
    let (mut record, _, key) = mini_record_and_key();
    record.log.insert(2, entry(2, changed.clone()));
    reseal(&mut record, &key);
    first_fails(
        &verify(&record),
        "log-structure",
        "§5 rule 2: entry 2 (schedule_changed): expected while the election is open, found while it is draft",
    );
    // After closing.
    let (mut record, _, key) = mini_record_and_key();
    let closed = position(&record, "polls_closed");
    record.log.insert(closed + 1, entry(0, changed));
    reseal(&mut record, &key);
    first_fails(&verify(&record), "log-structure", "found while it is closed");
    // While open it is fine.
    let (mut record, _, key) = mini_record_and_key();
    let opened = position(&record, "polls_opened");
    record.log.insert(
        opened + 1,
        entry(
            0,
            Event::ScheduleChanged {
                closes_at: None,
                reason: "r".into(),
                actor: "scheduler".into(),
            },
        ),
    );
    reseal(&mut record, &key);
    assert!(verify(&record).ok(), "{}", verify(&record));
}

#[test]
fn a_ceremony_entry_after_the_opening_breaks_rule_2() {
    // Trustees are named (and the key made) only while a draft: a trustee
    // slipped in once the polls are open would change who can decrypt.
    let (mut record, _, key) = mini_record_and_key();
    let opened = position(&record, "polls_opened");
    let named = Event::TrusteeNamed {
        trustee: 1,
        name: "Late Trustee".into(),
        actor: "staff:olga".into(),
    };
    record.log.insert(opened + 1, entry(0, named));
    reseal(&mut record, &key);
    first_fails(
        &verify(&record),
        "log-structure",
        &format!(
            "§5 rule 2: entry {} (trustee_named): expected while the election is draft, found while it is open",
            opened + 1
        ),
    );
}

#[test]
fn polls_closed_and_tallied_happen_at_most_once() {
    for kind in ["polls_opened", "polls_closed", "tallied"] {
        let (mut record, _, key) = mini_record_and_key();
        let at = position(&record, kind);
        let again = record.log[at].clone();
        record.log.insert(at + 1, again);
        reseal(&mut record, &key);
        first_fails(
            &verify(&record),
            "log-structure",
            &format!(
                "§5 rule 2: entry {} ({kind}): {kind} at most once, found a second one",
                at + 1
            ),
        );
    }
}

#[test]
fn an_actor_not_of_the_four_forms_breaks_rule_6() {
    for bad in ["test", "cli:", "staff:", "staff:ol\u{7}ga", "Scheduler"] {
        let (mut record, _, key) = mini_record_and_key();
        if let Event::RollImported { actor, .. } = &mut record.log[1].entry.event {
            *actor = bad.into();
        }
        reseal(&mut record, &key);
        first_fails(&verify(&record), "log-structure", "§5 rule 6: entry 1 (roll_imported): expected an actor of the form cli:USER, staff:USERNAME, scheduler or delivery");
    }
    for good in ["cli:unknown", "staff:olga", "scheduler", "delivery", "cli:Jo Bloggs"] {
        let (mut record, _, key) = mini_record_and_key();
        if let Event::RollImported { actor, .. } = &mut record.log[1].entry.event {
            *actor = good.into();
        }
        reseal(&mut record, &key);
        assert!(verify(&record).ok(), "{good}: {}", verify(&record));
    }
}

// ---- checkpoint-coverage (§6) ----

#[test]
fn an_extra_duplicate_or_mislabelled_checkpoint_fails_coverage() {
    // A second checkpoint of the same entry.
    let (mut record, _, _) = mini_record_and_key();
    let copy = record.checkpoints[1].clone();
    record.checkpoints.insert(2, copy);
    first_fails(
        &verify(&record),
        "checkpoint-coverage",
        "expected one checkpoint of size",
    );
    // A checkpoint of an entry that needs none.
    let (mut record, _, key) = mini_record_and_key();
    let extra = signed_checkpoint(&record, &key, 2, CheckpointReason::Sealed);
    record.checkpoints.insert(0, extra);
    first_fails(
        &verify(&record),
        "checkpoint-coverage",
        "§6: checkpoint 0 (size 2, sealed): expected no checkpoint of this size",
    );
    // The right size, the wrong reason.
    let (mut record, _, key) = mini_record_and_key();
    let size = record.checkpoints[1].checkpoint.size;
    record.checkpoints[1] = signed_checkpoint(&record, &key, size, CheckpointReason::Closed);
    first_fails(
        &verify(&record),
        "checkpoint-coverage",
        &format!(
            "§6: entry {} (seal): expected a checkpoint of size {size} with reason sealed, found checkpoint 1 with reason closed",
            size - 1
        ),
    );
}

// ---- ballots-published (§8) ----

#[test]
fn ballots_published_before_the_tally_fail() {
    let (mut record, _, key) = mini_record_and_key();
    let tallied = position(&record, "tallied");
    record.log.truncate(tallied);
    record.election.state = "closed".into();
    record.tally = None;
    reseal(&mut record, &key);
    first_fails(
        &verify(&record),
        "ballots-published",
        "§8: ballots: expected null (the election is closed: ballots are published only once tallied), found 9 ballots",
    );
    record.ballots = None;
    assert!(verify(&record).ok(), "{}", verify(&record));
    // And a tallied record must publish them.
    let (mut record, _) = mini_record();
    record.ballots = None;
    first_fails(&verify(&record), "ballots-published", "expected the published ballots");
}

// ---- counts (§8) ----

#[test]
fn counts_tokens_issued_is_pinned_by_polls_closed() {
    let (mut record, _) = mini_record();
    record.counts.tokens_issued = 9;
    first_fails(
        &verify(&record),
        "counts",
        "§8 counts rule 4: counts.tokens_issued: expected 10 (entry 14, polls_closed), found 9",
    );
}

#[test]
fn eligible_is_tied_to_the_roll_imports() {
    // polls_opened.eligible is not the last roll total.
    let (mut record, _, key) = mini_record_and_key();
    let opened = position(&record, "polls_opened");
    if let Event::PollsOpened { eligible, .. } = &mut record.log[opened].entry.event {
        *eligible = 11;
    }
    record.counts.eligible = 11;
    reseal(&mut record, &key);
    first_fails(
        &verify(&record),
        "counts",
        "§8 counts rule 2: entry 3 (polls_opened): expected eligible = 10 (the last roll_imported total before opening), found 11",
    );
    // A roll total that is not the previous total plus those added.
    let (mut record, _, key) = mini_record_and_key();
    if let Event::RollImported { total, .. } = &mut record.log[1].entry.event {
        *total = 12;
    }
    reseal(&mut record, &key);
    first_fails(
        &verify(&record),
        "counts",
        "§8 counts rule 1: entry 1 (roll_imported): expected total = 0 (the previous total) + 10 (added) = 10, found 12",
    );
}

// ---- certification (§8a) ----

#[test]
fn a_certification_must_carry_the_registered_certifiers_name() {
    let certify = |name: &str| {
        let (mut record, _, key) = mini_record_and_key();
        let certifier = common::new_key();
        record.log.insert(
            1,
            entry(
                0,
                Event::CertifierRegistered {
                    certifier: "Ada".into(),
                    public_key: public(&certifier),
                    actor: "staff:olga".into(),
                },
            ),
        );
        let opened = position(&record, "polls_opened");
        if let Event::PollsOpened {
            certification_quorum, ..
        } = &mut record.log[opened].entry.event
        {
            *certification_quorum = 1;
        }
        let digest = record.tally.as_ref().unwrap().digest();
        let statement = teller_audit::certify::Statement::new(common::ELECTION, digest);
        record.log.push(entry(
            0,
            Event::Certification {
                certifier: name.into(),
                public_key: public(&certifier),
                signature: sign(&certifier, &statement.signed_bytes()),
            },
        ));
        record.log.push(entry(
            0,
            Event::Certified {
                signatures: 1,
                quorum: 1,
            },
        ));
        record.election.state = "certified".into();
        reseal(&mut record, &key);
        verify(&record)
    };
    let report = certify("Ada");
    assert!(report.ok(), "{report}");
    first_fails(
        &certify("Bob"),
        "certification",
        "§8a: entry 17 (certification by \"Bob\"): expected the certifier \"Ada\" registered with key",
    );
}

// ---- definition (§3) ----

#[test]
fn every_soundness_rule_of_section_3_is_enforced_with_its_number() {
    let (record, _) = mini_record();
    let base = draft(&record);
    assert!(verify(&base).ok(), "{}", verify(&base));
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "/title",
            json!(" "),
            "§3 rule 1: definition: the election title is empty",
        ),
        ("/contests/0/title", json!("x".repeat(201)), "§3 rule 2:"),
        (
            "/contests/0/candidates/0/statement",
            json!("x".repeat(4001)),
            "§3 rule 2:",
        ),
        ("/description", json!("a\u{7}b"), "§3 rule 3:"),
        ("/contests", json!([]), "§3 rule 4:"),
        ("/contests/0/id", json!("Board"), "§3 rule 5:"),
        ("/contests/0/candidates/1/id", json!("ann"), "§3 rule 5:"),
        ("/contests/0/candidates/1/name", json!("ANN"), "§3 rule 6:"),
        ("/contests/0/seats", json!(1001), "§3 rule 7:"),
        ("/contests/1/seats", json!(2), "§3 rule 8:"),
        ("/contests/1/method/threshold/numerator", json!(4), "§3 rule 8:"),
    ];
    for (pointer, value, says) in cases {
        let mut v = serde_json::to_value(&base).unwrap();
        *v.pointer_mut(&format!("/election/definition{pointer}")).unwrap() = value;
        first_fails(&verify_value(&v), "definition", says);
    }
    let method = |contest: Value| {
        let mut v = serde_json::to_value(&base).unwrap();
        v["election"]["definition"]["contests"][0] = contest;
        verify_value(&v)
    };
    let candidates = json!([
        {"id": "ann", "name": "Ann", "statement": ""},
        {"id": "bo", "name": "Bo", "statement": ""}]);
    let contest = |seats: u32, candidates: &Value, method: Value| {
        json!({"id": "board", "title": "Board", "description": "", "seats": seats,
               "candidates": candidates, "method": method})
    };
    let irv = json!({"kind": "irv", "skipped_ranks": "refuse"});
    first_fails(
        &method(contest(2, &candidates, irv.clone())),
        "definition",
        "§3 rule 9:",
    );
    assert!(method(contest(1, &candidates, irv)).ok());
    for kind in ["approval", "stv-scottish", "stv-meek", "schulze"] {
        let m = if kind == "approval" {
            json!({"kind": kind})
        } else {
            json!({"kind": kind, "skipped_ranks": "close-up"})
        };
        first_fails(&method(contest(3, &candidates, m.clone())), "definition", "§3 rule 9:");
        first_fails(&method(contest(1, &json!([]), m.clone())), "definition", "§3 rule 9:");
        assert!(method(contest(2, &candidates, m)).ok(), "{kind}");
    }
    for points in [0, 101] {
        let m = json!({"kind": "cumulative", "points": points});
        first_fails(
            &method(contest(1, &candidates, m)),
            "definition",
            "§3 rule 9: definition: contest 1 (\"board\"): points must be between 1 and 100",
        );
    }
    // A value no rule allows is not read at all.
    let m = json!({"kind": "irv", "skipped_ranks": "ignore"});
    first_fails(
        &method(contest(1, &candidates, m)),
        "format",
        "at election.definition.contests[0].method",
    );
}

#[test]
fn the_lot_seed_of_the_test_record_is_known() {
    // `republish` recounts with the mini record's seed.
    let (record, _) = mini_record();
    let tallied = position(&record, "tallied");
    assert!(matches!(record.log[tallied].entry.event, Event::Tallied { lot_seed, .. } if lot_seed == Seed([42; 32])));
}

#[test]
fn the_definition_and_signed_statements_are_read_strictly_too() {
    let (record, _) = mini_record();
    let mut v = serde_json::to_value(&record).unwrap();
    v["election"]["definition"]["contests"][0]["method"]["extra"] = json!(1);
    first_fails(&verify_value(&v), "format", "at election.definition.contests[0].method");
    let text = serde_json::to_string(&record).unwrap();
    let twice = text.replacen("\"seats\":2,", "\"seats\":2,\"seats\":2,", 1);
    assert_ne!(twice, text);
    first_fails(&verify_text(&twice), "format", "duplicate field `seats`");

    let key = common::new_key();
    let statement = teller_audit::certify::Statement::new(common::ELECTION, record.tally.as_ref().unwrap().digest());
    let signed = teller_audit::certify::SignedStatement {
        signature: sign(&key, &statement.signed_bytes()),
        statement,
        public_key: public(&key),
    };
    let good = serde_json::to_value(&signed).unwrap();
    let back: teller_audit::certify::SignedStatement = serde_json::from_value(good.clone()).unwrap();
    assert!(back.verifies());
    let mut extra = good.clone();
    extra["note"] = json!("x");
    let e = serde_json::from_value::<teller_audit::certify::SignedStatement>(extra).unwrap_err();
    assert!(e.to_string().contains("unknown field `note`"), "{e}");
    let mut upper = good;
    upper["signature"] = json!(upper["signature"].as_str().unwrap().to_uppercase());
    assert!(serde_json::from_value::<teller_audit::certify::SignedStatement>(upper).is_err());
}

#[test]
fn a_certifier_key_is_registered_once_and_certifies_only_after_the_tally() {
    let certifier = common::new_key();
    let registered = |name: &str| {
        entry(
            0,
            Event::CertifierRegistered {
                certifier: name.into(),
                public_key: public(&certifier),
                actor: "staff:olga".into(),
            },
        )
    };
    let (mut record, _, key) = mini_record_and_key();
    record.log.insert(1, registered("Ada"));
    record.log.insert(2, registered("Ada again"));
    reseal(&mut record, &key);
    first_fails(
        &verify(&record),
        "log-structure",
        "§5 rule 5: entry 2 (certifier_registered): the key",
    );
    // A certification while the polls are closed, before the tally.
    let (mut record, _, key) = mini_record_and_key();
    record.log.insert(1, registered("Ada"));
    let tallied = position(&record, "tallied");
    record.log.insert(
        tallied,
        entry(
            0,
            Event::Certification {
                certifier: "Ada".into(),
                public_key: public(&certifier),
                signature: sign(&certifier, b"anything"),
            },
        ),
    );
    reseal(&mut record, &key);
    first_fails(
        &verify(&record),
        "log-structure",
        &format!("§5 rule 2: entry {tallied} (certification): expected while the election is tallied or certified, found while it is closed"),
    );
}

#[test]
fn a_key_written_twice_in_a_counted_contests_transcript_fails_format() {
    // The weighted election of the conformance suite: a Teller-made record
    // with a contest of every counted method.
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/conformance/cases/elections/weighted/tallied.json"
    );
    let text = std::fs::read_to_string(path).unwrap();
    assert!(verify_text(&text).ok(), "{}", verify_text(&text));
    let at = text.find("\"transcript\":{").unwrap() + "\"transcript\":{".len();
    let doubled = format!("{}\"method\":\"irv\",{}", &text[..at], &text[at..]);
    first_fails(&verify_text(&doubled), "format", "appears twice");
}
