//! `teller-audit verify` of an encrypted election's record
//! (FORMAT.md §16.11): a synthetic record verifies,
//! in memory, streamed and through the binary; each tampering fails the
//! check that names it.
#![allow(clippy::unwrap_used)]

#[path = "../examples/synth_encrypted.rs"]
#[allow(dead_code)]
mod synth;

use std::sync::OnceLock;

use synth::Synth;
use teller_audit::verify::{verify_record, verify_slice_receipts, Report, Status};

/// One valid record, built once (encrypting is slow in a debug build).
fn valid() -> &'static (Vec<u8>, Vec<u8>) {
    static VALID: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    VALID.get_or_init(|| {
        let s = synth::build(12, 2);
        (serde_json::to_vec(&s.record).unwrap(), s.pkcs8)
    })
}

fn fresh() -> Synth {
    let (bytes, pkcs8) = valid();
    Synth {
        record: serde_json::from_slice(bytes).unwrap(),
        pkcs8: pkcs8.clone(),
    }
}

fn streamed(s: &Synth) -> Report {
    let bytes = serde_json::to_vec(&s.record).unwrap();
    verify_slice_receipts(&bytes, "record.json", &[], &[]).unwrap().0
}

fn show(r: &Report) -> String {
    r.checks
        .iter()
        .map(|c| format!("{:?} {}: {} {:?}", c.status, c.name, c.summary, c.failures))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_synthetic_encrypted_record_verifies() {
    let s = fresh();
    for report in [verify_record(&s.record, &[]), streamed(&s)] {
        assert!(report.ok(), "{}", show(&report));
        for name in teller_audit::verify::ENCRYPTED_CHECKS.iter().chain(&["tally"]) {
            let c = report.check(name).unwrap_or_else(|| panic!("no check {name}"));
            assert_eq!(c.status, Status::Pass, "{name}: {}", show(&report));
        }
    }
}

/// The record as JSON, changed by `change`, read back; with `reseal`, the
/// log chained and the checkpoints signed again after the change.
fn tampered(change: impl FnOnce(&mut serde_json::Value), reseal: bool) -> Synth {
    let mut s = fresh();
    let mut v = serde_json::to_value(&s.record).unwrap();
    change(&mut v);
    s.record = serde_json::from_value(v).unwrap();
    if reseal {
        s.reseal();
    }
    s
}

/// The position of the first log entry of type `kind`.
fn entry(v: &serde_json::Value, kind: &str) -> usize {
    v["log"]
        .as_array()
        .unwrap()
        .iter()
        .position(|e| e["type"] == kind)
        .unwrap()
}

/// Both readings fail `check`, and every failure of it names something.
fn fails(s: &Synth, check: &str) {
    for report in [verify_record(&s.record, &[]), streamed(s)] {
        let c = report.check(check).unwrap_or_else(|| panic!("no check {check}"));
        assert_eq!(c.status, Status::Fail, "{check} should fail:\n{}", show(&report));
        assert!(!c.failures.is_empty());
    }
}

/// Another canonical scalar: `v` plus one in its first byte, or one.
fn other_scalar(hex: &str) -> String {
    let mut bytes = hex::decode(hex).unwrap();
    bytes[0] = bytes[0].wrapping_add(1);
    if bytes[31] >= 0x10 {
        bytes = vec![0; 32];
        bytes[0] = 1;
    }
    hex::encode(bytes)
}

#[test]
fn a_flipped_proof_fails_ballot_proofs() {
    let s = tampered(
        |v| {
            let p = &mut v["ballots"][0]["contests"][0]["selections"][0]["proof"][0]["v"];
            *p = other_scalar(p.as_str().unwrap()).into();
        },
        false,
    );
    fails(&s, "ballot-proofs");
}

#[test]
fn a_replayed_ciphertext_fails_ballot_duplicates() {
    let s = tampered(
        |v| {
            let copied = v["ballots"][0]["contests"][0]["selections"][0].clone();
            v["ballots"][1]["contests"][0]["selections"][0] = copied;
        },
        false,
    );
    fails(&s, "ballot-duplicates");
    fails(&s, "ballot-proofs");
}

#[test]
fn a_wrong_aggregate_fails_aggregate() {
    let s = tampered(
        |v| {
            let other = v["encryption"]["aggregate"]["targets"][1]["alpha"].clone();
            v["encryption"]["aggregate"]["targets"][0]["alpha"] = other;
        },
        false,
    );
    fails(&s, "aggregate");
}

#[test]
fn a_wrong_partial_decryption_fails_decryption_shares() {
    let s = tampered(
        |v| {
            let factors = &mut v["encryption"]["decryptions"][0]["body"]["factors"];
            let other = factors[1]["factor"].clone();
            factors[0]["factor"] = other;
        },
        false,
    );
    fails(&s, "decryption-shares");
}

#[test]
fn a_missing_decryption_share_fails_decryption_shares() {
    let s = tampered(
        |v| {
            v["encryption"]["decryptions"].as_array_mut().unwrap().pop();
        },
        false,
    );
    fails(&s, "decryption-shares");
    fails(&s, "decryption-combined");
}

#[test]
fn a_wrong_total_fails_decryption_combined() {
    let s = tampered(
        |v| {
            let t = &mut v["encryption"]["totals"][0]["value"];
            *t = (t.as_u64().unwrap() + 1).into();
        },
        false,
    );
    fails(&s, "decryption-combined");
}

#[test]
fn an_audited_ballot_whose_opening_lies_fails_audited_ballots() {
    let s = tampered(
        |v| {
            let choices = &mut v["encryption"]["audited"][0]["choices"]["treasurer"];
            *choices = if choices[0] == "omar-haddad" {
                serde_json::json!(["grace-whitfield"])
            } else {
                serde_json::json!(["omar-haddad"])
            };
        },
        false,
    );
    fails(&s, "audited-ballots");
}

#[test]
fn a_changed_weight_fails_ballots_match_log_and_aggregate() {
    let s = tampered(
        |v| {
            let w = &mut v["ballots"][0]["weight"];
            *w = if *w == "1" { "2.5".into() } else { "1".into() };
        },
        false,
    );
    fails(&s, "ballots-match-log");
    fails(&s, "aggregate");
}

#[test]
fn an_altered_deal_fails_ceremony_messages() {
    let s = tampered(
        |v| {
            let ceremony = v["encryption"]["ceremony"].as_array_mut().unwrap();
            let deal = ceremony.iter_mut().find(|e| e["round"] == "deal").unwrap();
            let other = deal["body"]["coefficients"][1].clone();
            deal["body"]["coefficients"][0] = other;
        },
        false,
    );
    fails(&s, "ceremony-messages");
}

#[test]
fn an_altered_deal_logged_as_accepted_fails_its_signature() {
    // The deal altered and its new digest logged: its trustee's signature
    // no longer holds, so the board refuses it, and the ceremony does not
    // complete.
    let mut s = fresh();
    let mut v = serde_json::to_value(&s.record).unwrap();
    let ceremony = v["encryption"]["ceremony"].as_array_mut().unwrap();
    let i = ceremony.iter().position(|e| e["round"] == "deal").unwrap();
    let other = ceremony[i]["body"]["coefficients"][1].clone();
    ceremony[i]["body"]["coefficients"][0] = other;
    let e: teller_audit::trustees::envelope::Envelope = serde_json::from_value(ceremony[i].clone()).unwrap();
    let digest = e.digest();
    let log = v["log"].as_array_mut().unwrap();
    let at = log
        .iter()
        .position(|x| x["type"] == "ceremony_message" && x["data"]["round"] == "deal")
        .unwrap();
    log[at]["data"]["message"] = digest.to_string().into();
    s.record = serde_json::from_value(v).unwrap();
    s.reseal();
    fails(&s, "ceremony-messages");
    fails(&s, "ceremony-exclusions");
    let report = verify_record(&s.record, &[]);
    let failures = &report.check("ceremony-messages").unwrap().failures;
    assert!(failures[0].contains("signature"), "{failures:?}");
}

#[test]
fn a_changed_fingerprint_fails_election_fingerprint() {
    let s = tampered(
        |v| {
            let at = entry(v, "polls_opened");
            v["log"][at]["data"]["encryption"]["fingerprint"] = "ab".repeat(32).into();
        },
        true,
    );
    let report = verify_record(&s.record, &[]);
    assert_eq!(
        report.first_failure(),
        Some("election-fingerprint"),
        "{}",
        show(&report)
    );
    fails(&s, "election-fingerprint");
}

#[test]
fn a_changed_joint_key_fails_joint_key() {
    let s = tampered(
        |v| {
            let at = entry(v, "ceremony_completed");
            let other = v["log"][at]["data"]["verification_keys"][0]["key"].clone();
            v["log"][at]["data"]["joint_key"] = other;
        },
        true,
    );
    fails(&s, "joint-key");
}

#[test]
fn a_changed_aggregated_entry_fails_aggregate() {
    let s = tampered(
        |v| {
            let at = entry(v, "aggregated");
            v["log"][at]["data"]["aggregate_digest"] = "cd".repeat(32).into();
        },
        true,
    );
    fails(&s, "aggregate");
}

#[test]
fn a_removed_ballot_fails_ballots_match_log() {
    let s = tampered(
        |v| {
            v["ballots"].as_array_mut().unwrap().remove(3);
        },
        false,
    );
    fails(&s, "ballots-match-log");
    fails(&s, "aggregate");
}

#[test]
fn the_binary_verifies_an_encrypted_record_file() {
    let (bytes, _) = valid();
    let dir = std::env::temp_dir().join(format!("teller-verify-encrypted-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("record.json");
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_teller-audit"))
        .args(["verify", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["verified"], true, "{report:#}");
    assert!(out.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

/// An audited ballot file (§16.10) made from the record's first audited ballot.
fn audited_file(s: &Synth) -> teller_audit::encrypted::audited::AuditedBallot {
    use teller_audit::encrypted::audited::{AuditedBallot, AuditedEncryption, AUDITED_BALLOT_FORMAT};
    use teller_audit::log::Event;
    let r = &s.record;
    let a = &r.encryption.as_ref().unwrap().audited.as_ref().unwrap()[0];
    let (mut joint, mut keys, mut threshold) = (None, vec![], 0);
    for e in &r.log {
        if let Event::CeremonyCompleted {
            joint_key,
            verification_keys,
            threshold: k,
            ..
        } = &e.entry.event
        {
            joint = Some(*joint_key);
            keys = verification_keys.clone();
            threshold = *k;
        }
    }
    AuditedBallot {
        format: AUDITED_BALLOT_FORMAT.into(),
        definition: r.election.definition.clone(),
        encryption: AuditedEncryption {
            threshold,
            joint_key: joint.unwrap(),
            verification_keys: keys,
        },
        ballot: a.ballot.with_election(&r.election.id),
        tracker: a.tracker,
        seed: teller_audit::crypto::Digest(*a.seed.as_bytes()),
        choices: a.choices.clone(),
    }
}

fn verify_audit_binary(
    file: &teller_audit::encrypted::audited::AuditedBallot,
    record: bool,
) -> (bool, String, serde_json::Value) {
    static RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("teller-verify-audit-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("audited.json");
    std::fs::write(&path, serde_json::to_vec(file).unwrap()).unwrap();
    let record_path = dir.join("record.json");
    std::fs::write(&record_path, &valid().0).unwrap();
    let run = |json: bool| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_teller-audit"));
        c.arg("verify-audit").arg(&path);
        if record {
            c.arg("--record").arg(&record_path);
        }
        if json {
            c.arg("--json");
        }
        c.output().unwrap()
    };
    let text = run(false);
    let json = run(true);
    let _ = std::fs::remove_dir_all(&dir);
    (
        text.status.success(),
        String::from_utf8(text.stdout).unwrap(),
        serde_json::from_slice(&json.stdout).unwrap(),
    )
}

#[test]
fn verify_audit_opens_an_audited_ballot_and_finds_it_in_the_record() {
    let s = fresh();
    let file = audited_file(&s);
    let (ok, text, json) = verify_audit_binary(&file, true);
    assert!(ok, "{text}");
    assert!(text.contains("This ballot decrypts to:"), "{text}");
    assert!(text.contains("Board of Directors:"), "{text}");
    assert_eq!(json["verified"], true);
    assert_eq!(json["choices"], serde_json::json!(file.choices));
    for c in json["checks"].as_array().unwrap() {
        assert_eq!(c["status"], "pass", "{c}");
    }
}

#[test]
fn verify_audit_names_a_lying_opening_and_a_wrong_tracker() {
    let s = fresh();
    let mut file = audited_file(&s);
    let t = file.choices.get_mut("treasurer").unwrap();
    *t = if t.first().map(String::as_str) == Some("omar-haddad") {
        vec!["grace-whitfield".into()]
    } else {
        vec!["omar-haddad".into()]
    };
    let (ok, text, json) = verify_audit_binary(&file, false);
    assert!(!ok, "{text}");
    assert_eq!(json["first_failure"], "audit-opening", "{json:#}");
    assert!(!text.contains("decrypts to"), "{text}");

    let mut file = audited_file(&s);
    file.tracker = teller_audit::crypto::Digest([1; 32]);
    let (_, _, json) = verify_audit_binary(&file, true);
    assert_eq!(json["first_failure"], "audit-tracker", "{json:#}");
    let record = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "audit-record")
        .unwrap();
    assert_eq!(record["status"], "fail", "{record}");
}

/// The streamed report's failures of `check`.
fn failures_of(report: &Report, check: &str) -> Vec<String> {
    report
        .check(check)
        .unwrap_or_else(|| panic!("no check {check}"))
        .failures
        .clone()
}

#[test]
fn one_bad_proof_among_many_ballots_names_exactly_that_ballot() {
    // 300 ballots: the streamed reader checks the proofs of up to 128
    // ballots in one batch (one Pippenger multiplication), so the bad one
    // sits in a batch with 127 good ones and must still be named alone.
    let synth = synth::build(300, 0);
    for bad in [0usize, 137, 299] {
        let mut v = serde_json::to_value(&synth.record).unwrap();
        let p = &mut v["ballots"][bad]["contests"][1]["selections"][1]["proof"][0]["v"];
        *p = other_scalar(p.as_str().unwrap()).into();
        let s = Synth {
            record: serde_json::from_value(v).unwrap(),
            pkcs8: synth.pkcs8.clone(),
        };
        let ballots = s.record.encrypted_ballots.as_ref().unwrap();
        let tracker = ballots[bad].tracker(synth::ELECTION);
        for report in [verify_record(&s.record, &[]), streamed(&s)] {
            let failures = failures_of(&report, "ballot-proofs");
            assert_eq!(failures.len(), 1, "{failures:?}");
            assert!(
                failures[0].contains(&tracker.to_string())
                    && failures[0].contains("contests[1].selections[1].proof")
                    && failures[0].contains("branch 0"),
                "{failures:?}"
            );
            for check in ["ballot-elements", "ballot-duplicates"] {
                assert_eq!(report.check(check).unwrap().status, Status::Pass, "{check}");
            }
        }
    }
}

/// The record as JSON with `change` made to its log, every entry numbered
/// again and every checkpoint after the change covering the same entries,
/// chained and signed again.
fn log_changed(change: impl FnOnce(&mut Vec<serde_json::Value>) -> usize) -> Synth {
    let mut s = fresh();
    let mut v = serde_json::to_value(&s.record).unwrap();
    let before = v["log"].as_array().unwrap().len();
    let at = change(v["log"].as_array_mut().unwrap());
    let grown = v["log"].as_array().unwrap().len() as i64 - before as i64;
    for (i, e) in v["log"].as_array_mut().unwrap().iter_mut().enumerate() {
        e["seq"] = i.into();
    }
    for cp in v["checkpoints"].as_array_mut().unwrap() {
        let size = cp["size"].as_i64().unwrap();
        if size > at as i64 {
            cp["size"] = (size + grown).into();
        }
    }
    s.record = serde_json::from_value(v).unwrap();
    s.reseal();
    s
}

/// A `decryption_refused` entry inserted at `at` (a position in the log),
/// made from the entry at that position.
fn refusal_at(log: &mut Vec<serde_json::Value>, at: usize, data: serde_json::Value) -> usize {
    let mut e = log[at].clone();
    e["type"] = "decryption_refused".into();
    e["data"] = data;
    log.insert(at, e);
    at
}

fn position(log: &[serde_json::Value], kind: &str, nth: usize) -> usize {
    log.iter()
        .enumerate()
        .filter(|(_, e)| e["type"] == kind)
        .nth(nth)
        .unwrap()
        .0
}

#[test]
fn a_decryption_refusal_the_upload_could_make_passes() {
    // Trustee 2's share refused for its proof of target 4, before any was
    // accepted; then trustee 1's refused as malformed between the two
    // accepted shares (trustee 1's own share comes after it).
    let s = log_changed(|log| {
        let at = position(log, "decryption_share", 0);
        refusal_at(
            log,
            at,
            serde_json::json!({"trustee": 2, "reason": "proof", "target": 4}),
        );
        let at = position(log, "decryption_share", 1);
        refusal_at(
            log,
            at,
            serde_json::json!({"trustee": 1, "reason": "malformed", "target": null}),
        )
    });
    for report in [verify_record(&s.record, &[]), streamed(&s)] {
        assert!(report.ok(), "{}", show(&report));
        assert!(
            report.check("decryption-shares").unwrap().summary.contains("2 refused"),
            "{}",
            show(&report)
        );
    }
}

/// The record with one `decryption_refused` entry inserted before the
/// `nth` `kind` entry fails `decryption-shares`, naming the entry and
/// saying `why`.
fn refusal_fails(kind: &str, nth: usize, data: serde_json::Value, why: &str) {
    let mut seq = 0;
    let s = log_changed(|log| {
        seq = position(log, kind, nth);
        refusal_at(log, seq, data)
    });
    fails(&s, "decryption-shares");
    let failures = failures_of(&verify_record(&s.record, &[]), "decryption-shares");
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(
        failures[0].contains(&format!("entry {seq} (decryption_refused")) && failures[0].contains(why),
        "{failures:?}"
    );
}

#[test]
fn a_proof_refusal_without_a_target_fails_decryption_shares() {
    refusal_fails(
        "decryption_share",
        0,
        serde_json::json!({"trustee": 2, "reason": "proof", "target": null}),
        "expected the first failing target",
    );
}

#[test]
fn a_refusal_naming_a_target_for_another_reason_fails_decryption_shares() {
    refusal_fails(
        "decryption_share",
        0,
        serde_json::json!({"trustee": 2, "reason": "signature", "target": 1}),
        "expected target null",
    );
}

#[test]
fn a_refusal_naming_a_target_beyond_the_aggregate_fails_decryption_shares() {
    refusal_fails(
        "decryption_share",
        0,
        serde_json::json!({"trustee": 2, "reason": "proof", "target": 999}),
        "expected a target below",
    );
}

#[test]
fn a_trustee_refused_as_not_a_trustee_fails_decryption_shares() {
    refusal_fails(
        "decryption_share",
        0,
        serde_json::json!({"trustee": 2, "reason": "not-a-trustee", "target": null}),
        "not-a-trustee would not refuse it",
    );
}

#[test]
fn a_non_trustee_refused_for_its_signature_fails_decryption_shares() {
    refusal_fails(
        "decryption_share",
        0,
        serde_json::json!({"trustee": 7, "reason": "signature", "target": null}),
        "expected a trustee of the completed ceremony",
    );
}

#[test]
fn a_refusal_of_an_accepted_trustee_fails_decryption_shares() {
    // Trustee 3's share is the first accepted; a later refusal of trustee 3
    // cannot be logged (a second share is refused without an entry).
    refusal_fails(
        "decryption_share",
        1,
        serde_json::json!({"trustee": 3, "reason": "proof", "target": 0}),
        "was accepted already",
    );
}

#[test]
fn a_refusal_after_the_totals_are_decrypted_fails_decryption_shares() {
    refusal_fails(
        "tallied",
        0,
        serde_json::json!({"trustee": 2, "reason": "aggregate-digest", "target": null}),
        "after 2 accepted shares decrypted the totals",
    );
}

#[test]
fn an_audited_entry_before_a_ballot_entry_of_its_batch_fails_log_structure() {
    let mut seq = 0;
    let s = log_changed(|log| {
        let a = position(log, "audited", 0);
        assert_eq!(log[a - 1]["type"], "ballot");
        let (ballot, audited) = (log[a - 1].clone(), log[a].clone());
        for (at, from) in [(a - 1, &audited), (a, &ballot)] {
            log[at]["type"] = from["type"].clone();
            log[at]["data"] = from["data"].clone();
        }
        seq = a;
        log.len()
    });
    fails(&s, "log-structure");
    let failures = failures_of(&verify_record(&s.record, &[]), "log-structure");
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(
        failures[0].contains(&format!("entry {seq} (ballot)"))
            && failures[0].contains("expected the batch's ballot entries before its audited entries"),
        "{failures:?}"
    );
}

#[test]
fn audited_entries_out_of_tracker_order_fail_log_structure() {
    let mut seq = 0;
    let s = log_changed(|log| {
        let a = position(log, "audited", 0);
        assert_eq!(log[a + 1]["type"], "audited");
        let (first, second) = (log[a]["data"].clone(), log[a + 1]["data"].clone());
        log[a]["data"] = second;
        log[a + 1]["data"] = first;
        seq = a + 1;
        log.len()
    });
    fails(&s, "log-structure");
    let failures = failures_of(&verify_record(&s.record, &[]), "log-structure");
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(
        failures[0].contains(&format!("entry {seq} (audited)"))
            && failures[0].contains("expected a tracker after the previous audited one of its batch"),
        "{failures:?}"
    );
}
