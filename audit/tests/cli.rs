//! `teller-audit` as an auditor runs it: on a record built here with the
//! library alone (a miniature Teller), and on tampered copies of it.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use ring::signature::{Ed25519KeyPair, KeyPair};
use serde_json::{json, Value};
use teller_audit::ballot::{Ballot, PublishedBallot};
use teller_audit::checkpoint::{Checkpoint, CheckpointReason, SignedCheckpoint, CHECKPOINT_FORMAT};
use teller_audit::crypto::{Digest, Nonce, PublicKey, Seed, Signature};
use teller_audit::definition::Definition;
use teller_audit::log::{ChainedEntry, Event, LogEntry, GENESIS};
use teller_audit::receipt::{Receipt, ReceiptBody, RECEIPT_FORMAT};
use teller_audit::record::{Counts, ElectionInfo, Record, RECORD_FORMAT};

const ELECTION: &str = "0b7c1a9e-3c1d-4e55-9a43-2f5d7a1c9e01";

struct Mini {
    key: Ed25519KeyPair,
    log: Vec<ChainedEntry>,
    checkpoints: Vec<SignedCheckpoint>,
}

impl Mini {
    fn public(&self) -> PublicKey {
        let mut k = [0u8; 32];
        k.copy_from_slice(self.key.public_key().as_ref());
        PublicKey(k)
    }

    fn sign(&self, bytes: &[u8]) -> Signature {
        let mut s = [0u8; 64];
        s.copy_from_slice(self.key.sign(bytes).as_ref());
        Signature(s)
    }

    fn append(&mut self, event: Event) {
        let previous = self.log.last().map(|e| e.hash).unwrap_or(GENESIS);
        let entry = LogEntry {
            seq: self.log.len() as u64,
            time: 1_796_115_600 + self.log.len() as i64,
            event,
        };
        let hash = entry.chain_hash(&previous);
        self.log.push(ChainedEntry { entry, hash });
    }

    fn checkpoint(&mut self, reason: CheckpointReason) {
        let checkpoint = Checkpoint {
            format: CHECKPOINT_FORMAT.into(),
            election: ELECTION.into(),
            size: self.log.len() as u64,
            head: self.log.last().unwrap().hash,
            time: 1_796_200_000,
            reason,
        };
        let signature = self.sign(&checkpoint.signed_bytes());
        self.checkpoints.push(SignedCheckpoint { checkpoint, signature });
    }
}

fn definition() -> Definition {
    serde_json::from_value(json!({
        "title": "Mini election",
        "description": "",
        "contests": [
            {"id": "board", "title": "Board", "description": "", "seats": 2,
             "candidates": [
                {"id": "ann", "name": "Ann", "statement": ""},
                {"id": "bo", "name": "Bo", "statement": ""},
                {"id": "cy", "name": "Cy", "statement": ""}],
             "method": {"kind": "plurality", "majority_required": false, "write_ins": false}},
            {"id": "bylaw", "title": "Bylaw", "description": "", "seats": 1, "candidates": [],
             "method": {"kind": "referendum", "threshold": {"comparison": "at-least", "numerator": 2, "denominator": 3}}}
        ]
    }))
    .unwrap()
}

/// A tallied record with 9 ballots, and a receipt for the first ballot cast.
fn mini_record() -> (Record, Receipt) {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
    let mut mini = Mini {
        key: Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap(),
        log: vec![],
        checkpoints: vec![],
    };
    let def = definition();
    let seed = Seed([42; 32]);
    mini.append(Event::ElectionCreated {
        election: ELECTION.into(),
        title: def.title.clone(),
        public_key: mini.public(),
        actor: "test".into(),
    });
    mini.append(Event::RollImported {
        added: 10,
        total: 10,
        actor: "test".into(),
    });
    mini.append(Event::TokensIssued {
        count: 10,
        actor: "test".into(),
    });
    mini.append(Event::PollsOpened {
        definition_hash: def.hash(),
        eligible: 10,
        tokens_issued: 10,
        lot_seed_commitment: seed.commitment(),
        closes_at: None,
        actor: "test".into(),
    });
    mini.checkpoint(CheckpointReason::Opened);
    let picks = [["ann", "bo"], ["ann", "cy"], ["bo", "cy"]];
    let answers = ["yes", "no", "yes"];
    let ballots: Vec<Ballot> = (0..9)
        .map(|i| {
            let mut choices = BTreeMap::new();
            choices.insert(
                "board".to_string(),
                picks[i % 3].iter().map(|s| s.to_string()).collect(),
            );
            choices.insert("bylaw".to_string(), vec![answers[i % 3].to_string()]);
            Ballot {
                election: ELECTION.into(),
                nonce: Nonce([i as u8 + 1; 16]),
                choices,
            }
        })
        .collect();
    let receipt_body = ReceiptBody {
        format: RECEIPT_FORMAT.into(),
        election: ELECTION.into(),
        tracker: ballots[0].tracker(),
        ballot: ballots[0].clone(),
        seal: 1,
        public_key: mini.public(),
    };
    let receipt = Receipt {
        signature: mini.sign(&receipt_body.signed_bytes()),
        body: receipt_body,
    };
    let mut trackers: Vec<Digest> = ballots.iter().map(Ballot::tracker).collect();
    trackers.sort();
    for t in &trackers {
        mini.append(Event::Ballot { tracker: *t });
    }
    mini.append(Event::Seal { seal: 1, ballots: 9 });
    mini.checkpoint(CheckpointReason::Sealed);
    mini.append(Event::PollsClosed {
        tokens_used: 9,
        ballots: 9,
        reason: "test".into(),
        actor: "test".into(),
    });
    mini.checkpoint(CheckpointReason::Closed);
    let mut published: Vec<PublishedBallot> = ballots
        .iter()
        .map(|b| PublishedBallot {
            tracker: b.tracker(),
            nonce: b.nonce,
            choices: b.choices.clone(),
        })
        .collect();
    published.sort_by_key(|b| b.tracker);
    let tally = teller_audit::tally::tally(ELECTION, &def, &published, &seed);
    mini.append(Event::Tallied {
        tally_digest: tally.digest(),
        lot_seed: seed,
        actor: "test".into(),
    });
    mini.checkpoint(CheckpointReason::Tallied);
    let record = Record {
        format: RECORD_FORMAT.into(),
        election: ElectionInfo {
            id: ELECTION.into(),
            state: "tallied".into(),
            definition: def,
        },
        public_key: mini.public(),
        log: mini.log,
        checkpoints: mini.checkpoints,
        ballots: Some(published),
        counts: Counts {
            eligible: 10,
            tokens_issued: 10,
            tokens_used: 9,
            ballots: 9,
        },
        tally: Some(tally),
    };
    (record, receipt)
}

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
fn unreadable_input_exits_two_with_a_message() {
    let path = write("garbage.json", &json!({"format": "something else"}));
    let (code, _, err) = audit(&["verify".as_ref(), path.as_os_str()]);
    assert_eq!(code, 2);
    assert!(err.contains("is not a valid record"), "{err}");
    let (code, _, err) = audit(&["verify".as_ref(), "/nonexistent/record.json".as_ref()]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot open the record"), "{err}");
}
