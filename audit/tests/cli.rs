//! `teller-audit` as an auditor runs it: on a record built here with the
//! library alone (a miniature Teller), and on tampered copies of it.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::mini_record;
use serde_json::{json, Value};
use teller_audit::log::{ChainedEntry, Event, LogEntry, GENESIS};
use teller_audit::receipt::Receipt;
use teller_audit::record::Record;

fn write(name: &str, value: &impl serde::Serialize) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("teller-audit-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
    path
}

fn audit(args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_teller-audit"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn a_sound_record_verifies_with_exit_status_zero() {
    let (record, receipt) = mini_record();
    let path = write("good.json", &record);
    let (code, out, _) = audit(&["verify".as_ref(), path.as_os_str()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("VERIFIED: every check passed."));
    assert!(!out.contains("FAIL"));
    let rpath = write("receipt.json", &receipt);
    let (code, out, _) = audit(&["verify-receipt".as_ref(), rpath.as_os_str(), path.as_os_str()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("PASS  receipt-inclusion"));
    // A checkpoint seen earlier agrees with the record.
    let cpath = write("cp.json", &record.checkpoints[1]);
    let (code, _, _) = audit(&[
        "verify".as_ref(),
        path.as_os_str(),
        "--checkpoint".as_ref(),
        cpath.as_os_str(),
    ]);
    assert_eq!(code, 0);
}

#[test]
fn a_changed_vote_fails_naming_the_check_and_ballot() {
    let (record, _) = mini_record();
    let mut v: Value = serde_json::to_value(&record).unwrap();
    v["ballots"][4]["choices"]["bylaw"] = json!(["no"]);
    let tracker = v["ballots"][4]["tracker"].as_str().unwrap().to_string();
    let path = write("changed.json", &v);
    let (code, out, _) = audit(&["verify".as_ref(), path.as_os_str()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  ballot-tracker"), "{out}");
    assert!(out.contains(&format!("ballot 4 (tracker {tracker})")), "{out}");
    assert!(out.contains("NOT VERIFIED"));
}

#[test]
fn a_rolled_back_log_contradicts_a_checkpoint_seen_earlier() {
    // The operator drops the tally and re-does it differently: the checkpoint
    // of the first tally, kept by a monitor, no longer matches.
    let (record, _) = mini_record();
    let seen = record.checkpoints.last().unwrap().clone();
    let mut rewritten = record.clone();
    rewritten.log.pop();
    rewritten.checkpoints.pop();
    let mut v: Value = serde_json::to_value(&rewritten).unwrap();
    v["election"]["state"] = json!("closed");
    v["tally"] = Value::Null;
    v["ballots"] = Value::Null;
    let path = write("rolled-back.json", &v);
    let cpath = write("seen.json", &seen);
    let (code, out, _) = audit(&[
        "verify".as_ref(),
        path.as_os_str(),
        "--checkpoint".as_ref(),
        cpath.as_os_str(),
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  checkpoint-consistency"), "{out}");
}

#[test]
fn a_receipt_from_another_key_or_for_a_missing_ballot_fails() {
    let (record, receipt) = mini_record();
    let path = write("r-good.json", &record);
    // The ballot is removed from the record (and from the log, re-chained).
    let (other, _) = record_without_first_ballot(&record, &receipt);
    let opath = write("r-missing.json", &other);
    let rpath = write("r-receipt.json", &receipt);
    let (code, out, _) = audit(&["verify-receipt".as_ref(), rpath.as_os_str(), opath.as_os_str()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  receipt-inclusion"), "{out}");
    // A receipt signed by a key that is not the election's.
    let (_, foreign) = mini_record();
    let fpath = write("r-foreign.json", &foreign);
    let (code, out, _) = audit(&["verify-receipt".as_ref(), fpath.as_os_str(), path.as_os_str()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  receipt-election"), "{out}");
}

/// Remove the receipt's ballot everywhere, keeping the log's chain valid:
/// only a receipt can catch this.
fn record_without_first_ballot(record: &Record, receipt: &Receipt) -> (Record, ()) {
    let mut r = record.clone();
    let gone = receipt.body.tracker;
    r.ballots.as_mut().unwrap().retain(|b| b.tracker != gone);
    let mut log: Vec<LogEntry> = r
        .log
        .iter()
        .map(|e| e.entry.clone())
        .filter(|e| !matches!(e.event, Event::Ballot { tracker } if tracker == gone))
        .collect();
    let mut previous = GENESIS;
    let mut chained = Vec::new();
    for (i, e) in log.iter_mut().enumerate() {
        e.seq = i as u64;
        if let Event::Seal { ballots, .. } = &mut e.event {
            *ballots = 8;
        }
        let hash = e.chain_hash(&previous);
        previous = hash;
        chained.push(ChainedEntry { entry: e.clone(), hash });
    }
    r.log = chained;
    (r, ())
}

#[test]
fn a_malformed_record_fails_format_and_a_missing_file_exits_two() {
    let path = write("garbage.json", &json!({"format": "something else"}));
    let (code, out, _) = audit(&["verify".as_ref(), path.as_os_str()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  format"), "{out}");
    assert!(
        out.contains("expected \"teller-record/2\", found \"something else\""),
        "{out}"
    );
    assert!(out.contains("not run: the record could not be read"), "{out}");
    let (code, _, err) = audit(&["verify".as_ref(), "/nonexistent/record.json".as_ref()]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot open the record"), "{err}");
}

#[test]
fn json_reports_list_every_check_in_order_with_the_first_failure() {
    let (record, receipt) = mini_record();
    let path = write("json-good.json", &record);
    let rpath = write("json-receipt.json", &receipt);
    let (code, out, _) = audit(&[
        "verify-receipt".as_ref(),
        rpath.as_os_str(),
        path.as_os_str(),
        "--json".as_ref(),
    ]);
    assert_eq!(code, 0, "{out}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["format"], "teller-audit-report/1");
    assert_eq!(report["verified"], true);
    assert_eq!(report["first_failure"], Value::Null);
    let names: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    let all: Vec<&str> = teller_audit::verify::RECORD_CHECKS
        .iter()
        .chain(teller_audit::verify::RECEIPT_CHECKS)
        .copied()
        .collect();
    assert_eq!(names, all);
    let first = &report["checks"][0];
    assert_eq!(first["status"], "pass");
    assert!(first["summary"].is_string() && first["failures"] == json!([]));

    let mut v: Value = serde_json::to_value(&record).unwrap();
    v["counts"]["tokens_issued"] = json!(9);
    v["ballots"][4]["choices"]["bylaw"] = json!(["no"]);
    let path = write("json-bad.json", &v);
    let (code, out, _) = audit(&["verify".as_ref(), path.as_os_str(), "--json".as_ref()]);
    assert_eq!(code, 1, "{out}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["verified"], false);
    assert_eq!(report["first_failure"], "ballot-tracker");
    let counts = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "counts")
        .unwrap();
    assert_eq!(counts["status"], "fail");
    assert_eq!(
        counts["failures"][0],
        "§8 counts rule 4: counts.tokens_issued: expected 10 (entry 14, polls_closed), found 9"
    );
}

#[test]
fn a_malformed_receipt_or_checkpoint_file_fails_format_naming_the_file() {
    let (record, receipt) = mini_record();
    let path = write("m-record.json", &record);
    let mut r: Value = serde_json::to_value(&receipt).unwrap();
    r["extra"] = json!(1);
    let rpath = write("m-receipt.json", &r);
    let (code, out, _) = audit(&["verify-receipt".as_ref(), rpath.as_os_str(), path.as_os_str()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  format"), "{out}");
    assert!(
        out.contains(&format!("§1: {} at extra (line ", rpath.display())),
        "{out}"
    );
    assert!(
        out.contains("SKIP  receipt-content") && out.contains("not run: the receipt could not be read"),
        "{out}"
    );
    // A correctly signed receipt written in upper case is not canonical (§1).
    let mut r: Value = serde_json::to_value(&receipt).unwrap();
    r["signature"] = json!(r["signature"].as_str().unwrap().to_uppercase());
    let rpath = write("m-upper.json", &r);
    let (code, out, _) = audit(&["verify-receipt".as_ref(), rpath.as_os_str(), path.as_os_str()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("at signature (line"), "{out}");
    assert!(out.contains("expected 128 lower-case hex digits"), "{out}");
    // A checkpoint given with --checkpoint.
    let mut cp: Value = serde_json::to_value(&record.checkpoints[0]).unwrap();
    cp["reason"] = json!("reopened");
    let cpath = write("m-cp.json", &cp);
    let (code, out, _) = audit(&[
        "verify".as_ref(),
        path.as_os_str(),
        "--checkpoint".as_ref(),
        cpath.as_os_str(),
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("§1: {} at reason (line ", cpath.display())),
        "{out}"
    );
    assert!(out.contains("not run: the checkpoint could not be read"), "{out}");
}

/// `teller-audit verify record.json | head -1`: when the reader has gone,
/// the tool stops quietly as a program killed by SIGPIPE does (status 141),
/// instead of panicking with "failed printing to stdout".
#[test]
fn a_closed_pipe_ends_it_quietly() {
    let (record, _) = mini_record();
    let path = write("piped.json", &record);
    let mut child = Command::new(env!("CARGO_BIN_EXE_teller-audit"))
        .args(["verify".as_ref(), path.as_os_str()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before the tool has printed anything.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        out.status.code(),
        Some(teller_audit::pipe::BROKEN_PIPE_STATUS),
        "{stderr}"
    );
}

/// A receipt for a published ballot of `record`, signed with `key`,
/// promising `seal`.
fn receipt_for(record: &Record, i: usize, seal: u64, key: &ring::signature::Ed25519KeyPair) -> Receipt {
    use teller_audit::ballot::Ballot;
    use teller_audit::receipt::{ReceiptBody, RECEIPT_FORMAT};
    let b = &record.ballots.as_ref().unwrap()[i];
    let ballot = Ballot {
        election: record.election.id.clone(),
        nonce: b.nonce,
        choices: b.choices.clone(),
        weight: b.weight,
    };
    let body = ReceiptBody {
        format: RECEIPT_FORMAT.into(),
        election: record.election.id.clone(),
        tracker: ballot.tracker(),
        ballot: ballot.into(),
        seal,
        public_key: record.public_key,
    };
    Receipt {
        signature: common::sign(key, &body.signed_bytes()),
        body,
    }
}

#[test]
fn many_receipts_are_checked_against_one_record_in_one_pass() {
    let (record, _, key) = common::mini_record_and_key();
    let path = write("many-record.json", &record);
    let dir = path.parent().unwrap().join("many-receipts");
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..9 {
        let r = receipt_for(&record, i, 1, &key);
        std::fs::write(dir.join(format!("r{i}.json")), serde_json::to_vec(&r).unwrap()).unwrap();
    }
    // Not a receipt (ignored: not .json) beside them.
    std::fs::write(dir.join("notes.txt"), "kept by the member").unwrap();
    let (code, out, err) = audit(&["verify-receipts".as_ref(), path.as_os_str(), dir.as_os_str()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("VERIFIED: every check passed."), "{out}");
    assert_eq!(out.matches(&format!("PASS  {}", dir.display())).count(), 9, "{out}");
    assert!(out.contains("9 receipt(s): 9 hold, 0 failed"), "{out}");

    // Three bad ones among them: a promise of a seal that never came, a
    // changed choice (the signature no longer holds), and a file that is
    // not a receipt.
    let late = write("many-late.json", &receipt_for(&record, 3, 2, &key));
    let mut changed = serde_json::to_value(receipt_for(&record, 5, 1, &key)).unwrap();
    changed["ballot"]["weight"] = json!("3");
    let changed = write("many-changed.json", &changed);
    let broken = write("many-broken.json", &json!({"format": "teller-receipt/1"}));
    let args = [
        "verify-receipts".as_ref(),
        path.as_os_str(),
        dir.as_os_str(),
        late.as_os_str(),
        changed.as_os_str(),
        broken.as_os_str(),
    ];
    let (code, out, _) = audit(&args);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("12 receipt(s): 9 hold, 3 failed"), "{out}");
    assert!(
        out.contains(&format!(
            "FAIL  {}  receipt-inclusion: §7: expected seal 2",
            late.display()
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("FAIL  {}  receipt-signature", changed.display())),
        "{out}"
    );
    assert!(out.contains(&format!("FAIL  {}  format", broken.display())), "{out}");
    // The record itself still verified.
    assert!(out.contains("VERIFIED: every check passed."), "{out}");

    // Each receipt's report is the one `verify-receipt` gives it alone.
    let mut json_args = args.to_vec();
    json_args.push("--json".as_ref());
    let (code, out, _) = audit(&json_args);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["verified"], json!(false));
    assert_eq!(v["record"]["verified"], json!(true));
    let receipts = v["receipts"].as_array().unwrap();
    assert_eq!(receipts.len(), 12);
    for r in receipts {
        let file = r["file"].as_str().unwrap();
        let (_, alone, _) = audit(&[
            "verify-receipt".as_ref(),
            std::ffi::OsStr::new(file),
            path.as_os_str(),
            "--json".as_ref(),
        ]);
        let alone: Value = serde_json::from_str(&alone).unwrap();
        let receipt_checks: Vec<&Value> = alone["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| {
                let name = c["name"].as_str().unwrap();
                name.starts_with("receipt-") || (name == "format" && c["status"] == "fail")
            })
            .collect();
        let together: Vec<&Value> = r["checks"].as_array().unwrap().iter().collect();
        assert_eq!(together, receipt_checks, "{file}");
    }

    // No receipts at all is an error of use, not a verdict.
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let (code, _, err) = audit(&["verify-receipts".as_ref(), path.as_os_str(), empty.as_os_str()]);
    assert_eq!(code, 2);
    assert!(err.contains("no receipts"), "{err}");
}

/// The receipt's inclusion proof in the record's whole log, its tree
/// checkpoint signed with `key` (or by `signer` when given another).
fn proof_for(
    record: &Record,
    receipt: &Receipt,
    key: &ring::signature::Ed25519KeyPair,
) -> teller_audit::inclusion::InclusionProof {
    use teller_audit::merkle::Tree;
    use teller_audit::note::{origin, TreeCheckpoint};
    let entries: Vec<LogEntry> = record.log.iter().map(|c| c.entry.clone()).collect();
    let mut tree = Tree::new();
    for e in &entries {
        tree.push(&e.canonical_bytes());
    }
    let checkpoint = TreeCheckpoint {
        origin: origin("vote.example.org", &record.election.id),
        size: tree.size(),
        root: tree.root(),
    };
    let note = checkpoint.signed_note(&record.public_key, |bytes| common::sign(key, bytes));
    teller_audit::inclusion::prove(
        &entries,
        &tree,
        &record.election.id,
        &receipt.body.tracker,
        receipt.body.seal,
        tree.size(),
        note,
    )
    .unwrap()
}

#[test]
fn a_receipt_is_checked_from_its_inclusion_proof_alone() {
    let (record, receipt, key) = common::mini_record_and_key();
    let proof = proof_for(&record, &receipt, &key);
    let rpath = write("p-receipt.json", &receipt);
    let ppath = write("p-proof.json", &proof);
    let bytes = serde_json::to_vec(&proof).unwrap().len();
    assert!(bytes < 2048, "the proof is {bytes} bytes");
    let run = |proof: &PathBuf| {
        audit(&[
            "verify-receipt".as_ref(),
            rpath.as_os_str(),
            "--proof".as_ref(),
            proof.as_os_str(),
        ])
    };
    let (code, out, err) = run(&ppath);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("PASS  proof-checkpoint"), "{out}");
    assert!(out.contains("PASS  receipt-inclusion"), "{out}");
    assert!(out.contains("sealed by seal 1"), "{out}");
    assert!(out.contains("VERIFIED"), "{out}");

    // A changed hash in the path, a path for another entry, a seal that is
    // not the promised one, a checkpoint another key signed: each fails.
    let mut v = serde_json::to_value(&proof).unwrap();
    let h = v["proof"][0].as_str().unwrap().to_string();
    v["proof"][0] = json!(format!("{}{}", if h.starts_with('0') { "1" } else { "0" }, &h[1..]));
    let (code, out, _) = run(&write("p-changed.json", &v));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  receipt-inclusion"), "{out}");

    let other = record
        .ballots
        .as_ref()
        .unwrap()
        .iter()
        .find(|b| b.tracker != receipt.body.tracker)
        .unwrap();
    let mut v = serde_json::to_value(&proof).unwrap();
    v["entry"]["data"]["tracker"] = json!(other.tracker.to_hex());
    let (code, out, _) = run(&write("p-other.json", &v));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("expected the ballot entry with tracker"), "{out}");

    let mut v = serde_json::to_value(&proof).unwrap();
    v["seal_entry"] = v["entry"].clone();
    v["seal_proof"] = v["proof"].clone();
    let (code, out, _) = run(&write("p-noseal.json", &v));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("expected the entry of seal 1"), "{out}");

    let stranger = common::new_key();
    let forged = proof_for(&record, &receipt, &stranger);
    let (code, out, _) = run(&write("p-forged.json", &forged));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  proof-checkpoint"), "{out}");
    assert!(out.contains("SKIP  receipt-inclusion"), "{out}");

    // Strict reading: an unknown member is refused in `format`.
    let mut v = serde_json::to_value(&proof).unwrap();
    v["extra"] = json!(1);
    let (code, out, _) = run(&write("p-extra.json", &v));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  format"), "{out}");

    // Record and proof together is a usage error.
    let path = write("p-record.json", &record);
    let (code, _, err) = audit(&[
        "verify-receipt".as_ref(),
        rpath.as_os_str(),
        path.as_os_str(),
        "--proof".as_ref(),
        ppath.as_os_str(),
    ]);
    assert_eq!(code, 2, "{err}");
}
