//! A miniature Teller built from the library alone: valid records to verify
//! and to tamper with.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeMap;

use ring::signature::{Ed25519KeyPair, KeyPair};
use serde_json::json;
use teller_audit::ballot::{Ballot, PublishedBallot};
use teller_audit::checkpoint::{Checkpoint, CheckpointReason, SignedCheckpoint, CHECKPOINT_FORMAT};
use teller_audit::count::Weight;
use teller_audit::crypto::{Digest, Nonce, PublicKey, Seed, Signature};
use teller_audit::definition::Definition;
use teller_audit::log::{ChainedEntry, Event, LogEntry, GENESIS};
use teller_audit::receipt::{Receipt, ReceiptBody, RECEIPT_FORMAT};
use teller_audit::record::{Counts, ElectionInfo, Record, RECORD_FORMAT};

pub const ELECTION: &str = "0b7c1a9e-3c1d-4e55-9a43-2f5d7a1c9e01";

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
pub fn mini_record() -> (Record, Receipt) {
    let (record, receipt, _) = mini_record_and_key();
    (record, receipt)
}

/// A fresh Ed25519 key pair.
pub fn new_key() -> Ed25519KeyPair {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
    Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap()
}

/// `key`'s public key.
pub fn public(key: &Ed25519KeyPair) -> PublicKey {
    let mut k = [0u8; 32];
    k.copy_from_slice(key.public_key().as_ref());
    PublicKey(k)
}

/// `key`'s signature of `bytes`.
pub fn sign(key: &Ed25519KeyPair, bytes: &[u8]) -> Signature {
    let mut s = [0u8; 64];
    s.copy_from_slice(key.sign(bytes).as_ref());
    Signature(s)
}

/// The checkpoint of `record`'s first `size` entries, signed by `key`.
pub fn signed_checkpoint(
    record: &Record,
    key: &Ed25519KeyPair,
    size: u64,
    reason: CheckpointReason,
) -> SignedCheckpoint {
    let checkpoint = Checkpoint {
        format: CHECKPOINT_FORMAT.into(),
        election: ELECTION.into(),
        size,
        head: record.log[(size - 1) as usize].hash,
        time: 1_796_200_000,
        reason,
    };
    let signature = sign(key, &checkpoint.signed_bytes());
    SignedCheckpoint { checkpoint, signature }
}

/// Make `record` as Teller would after its events were changed: renumber
/// and re-chain the log, and sign one checkpoint per entry that needs one.
pub fn reseal(record: &mut Record, key: &Ed25519KeyPair) {
    let mut previous = GENESIS;
    for (seq, chained) in record.log.iter_mut().enumerate() {
        chained.entry.seq = seq as u64;
        chained.hash = chained.entry.chain_hash(&previous);
        previous = chained.hash;
    }
    let needs: Vec<(u64, CheckpointReason)> = record
        .log
        .iter()
        .filter_map(|c| {
            let reason = match c.entry.event {
                Event::PollsOpened { .. } => CheckpointReason::Opened,
                Event::Seal { .. } => CheckpointReason::Sealed,
                Event::PollsClosed { .. } => CheckpointReason::Closed,
                Event::Tallied { .. } => CheckpointReason::Tallied,
                Event::Certified { .. } => CheckpointReason::Certified,
                _ => return None,
            };
            Some((c.entry.seq + 1, reason))
        })
        .collect();
    record.checkpoints = needs
        .into_iter()
        .map(|(size, reason)| signed_checkpoint(record, key, size, reason))
        .collect();
}

/// Publish `ballots` in place of `record`'s, as Teller would have: their
/// trackers in the log's ballot entries (one batch), the tally recounted
/// and its digest logged, the log re-chained and re-signed.
pub fn republish(record: &mut Record, key: &Ed25519KeyPair, mut ballots: Vec<PublishedBallot>) {
    for b in &mut ballots {
        b.tracker = b.computed_tracker(ELECTION);
    }
    ballots.sort_by_key(|b| b.tracker);
    let mut trackers = ballots.iter().map(|b| b.tracker);
    let tally = teller_audit::tally::tally(ELECTION, &record.election.definition, &ballots, &Seed([42; 32]));
    for chained in &mut record.log {
        match &mut chained.entry.event {
            Event::Ballot { tracker } => *tracker = trackers.next().unwrap(),
            Event::Tallied { tally_digest, .. } => *tally_digest = tally.digest(),
            _ => {}
        }
    }
    record.ballots = Some(ballots);
    record.tally = Some(tally);
    reseal(record, key);
}

/// The record of the same election while still a draft: its first three
/// entries (created, roll imported, tokens issued), nothing published.
pub fn draft(record: &Record) -> Record {
    let mut r = record.clone();
    r.log.truncate(3);
    r.checkpoints.clear();
    r.election.state = "draft".into();
    r.ballots = None;
    r.tally = None;
    r.counts = Counts {
        eligible: 10,
        tokens_issued: 10,
        tokens_used: 0,
        ballots: 0,
    };
    r
}

/// [`mini_record`] with the election key, to make changed records that
/// are signed as Teller signs them.
pub fn mini_record_and_key() -> (Record, Receipt, Ed25519KeyPair) {
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
        actor: "cli:test".into(),
    });
    mini.append(Event::RollImported {
        added: 10,
        total: 10,
        actor: "cli:test".into(),
    });
    mini.append(Event::TokensIssued {
        count: 10,
        actor: "cli:test".into(),
    });
    mini.append(Event::PollsOpened {
        definition_hash: def.hash(),
        eligible: 10,
        tokens_issued: 10,
        lot_seed_commitment: seed.commitment(),
        certification_quorum: 0,
        closes_at: None,
        actor: "cli:test".into(),
        witnesses: Some(vec![]),
        witness_quorum: Some(0),
        encryption: Some(None),
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
                // One member holds two votes.
                weight: if i == 4 {
                    Weight::parse("2").unwrap()
                } else {
                    Weight::ONE
                },
            }
        })
        .collect();
    let receipt_body = ReceiptBody {
        format: RECEIPT_FORMAT.into(),
        election: ELECTION.into(),
        tracker: ballots[0].tracker(),
        ballot: ballots[0].clone().into(),
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
        tokens_issued: 10,
        ballots: 9,
        reason: "test".into(),
        actor: "cli:test".into(),
    });
    mini.checkpoint(CheckpointReason::Closed);
    let mut published: Vec<PublishedBallot> = ballots
        .iter()
        .map(|b| PublishedBallot {
            tracker: b.tracker(),
            nonce: b.nonce,
            choices: b.choices.clone(),
            weight: b.weight,
        })
        .collect();
    published.sort_by_key(|b| b.tracker);
    let tally = teller_audit::tally::tally(ELECTION, &def, &published, &seed);
    mini.append(Event::Tallied {
        tally_digest: tally.digest(),
        lot_seed: seed,
        actor: "cli:test".into(),
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
        encrypted_ballots: None,
        encryption: None,
        counts: Counts {
            eligible: 10,
            tokens_issued: 10,
            tokens_used: 9,
            ballots: 9,
        },
        tally: Some(tally),
    };
    (record, receipt, Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap())
}
