//! What the harnesses check input against, built once with the libraries'
//! public APIs: the election definitions, and a small valid tallied record
//! with a receipt, signed by a fixed key so that the committed corpus stays
//! valid from run to run.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use ring::signature::{Ed25519KeyPair, KeyPair};
use teller::domain::spec;
use teller::domain::token::Token;
use teller::secrets::MasterSecret;
use teller_audit::ballot::{self, Ballot, PublishedBallot};
use teller_audit::checkpoint::{Checkpoint, CheckpointReason, SignedCheckpoint, CHECKPOINT_FORMAT};
use teller_audit::count::Weight;
use teller_audit::crypto::{Digest, Nonce, PublicKey, Seed, Signature};
use teller_audit::definition::Definition;
use teller_audit::log::{ChainedEntry, Event, LogEntry, GENESIS};
use teller_audit::receipt::{Receipt, ReceiptBody, RECEIPT_FORMAT};
use teller_audit::record::{Counts, ElectionInfo, Record, RECORD_FORMAT};

/// The fixture election's id.
pub const ELECTION: &str = "f0220000-5eed-4c0d-9a11-000000000001";

/// The example board election (plurality with a majority rule and
/// write-ins, a referendum).
pub const BOARD_TOML: &str = include_str!("../../examples/board-election.toml");
/// The integration tests' ranked election (STV, IRV, approval, cumulative,
/// Schulze).
pub const RANKED_TOML: &str = include_str!("../../tests/data/ranked-election.toml");
/// Every method and rule in one election (this crate's own).
pub const ALL_METHODS_TOML: &str = include_str!("../data/all-methods.toml");

/// The parsed definitions, in the order above.
pub fn definitions() -> &'static [Definition] {
    static DEFS: OnceLock<Vec<Definition>> = OnceLock::new();
    DEFS.get_or_init(|| {
        [BOARD_TOML, RANKED_TOML, ALL_METHODS_TOML]
            .iter()
            .map(|text| {
                spec::parse(text)
                    .unwrap_or_else(|e| panic!("a fixture election file does not parse: {e:?}"))
                    .definition
            })
            .collect()
    })
}

/// The record, its receipt, and what the cast path needs.
pub struct Fixture {
    /// A valid, tallied record of the all-methods election with 9 ballots.
    pub record: Record,
    /// The election key's receipt for one of its ballots.
    pub receipt: Receipt,
    /// A master secret (for `ops::cast::prepare`).
    pub secret: MasterSecret,
    /// A well-formed voting code.
    pub token: Token,
}

/// Built on first use.
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(build)
}

struct Log {
    key: Ed25519KeyPair,
    entries: Vec<ChainedEntry>,
    checkpoints: Vec<SignedCheckpoint>,
}

impl Log {
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
        let previous = self.entries.last().map(|e| e.hash).unwrap_or(GENESIS);
        let entry = LogEntry {
            seq: self.entries.len() as u64,
            time: 1_796_115_600 + self.entries.len() as i64,
            event,
        };
        let hash = entry.chain_hash(&previous);
        self.entries.push(ChainedEntry { entry, hash });
    }

    fn checkpoint(&mut self, reason: CheckpointReason) {
        let checkpoint = Checkpoint {
            format: CHECKPOINT_FORMAT.into(),
            election: ELECTION.into(),
            size: self.entries.len() as u64,
            head: self.entries.last().expect("a log entry").hash,
            time: 1_796_200_000 + self.entries.len() as i64,
            reason,
        };
        let signature = self.sign(&checkpoint.signed_bytes());
        self.checkpoints.push(SignedCheckpoint { checkpoint, signature });
    }
}

/// Three ballots' worth of choices in the all-methods election, used in turn.
const PATTERNS: [&[(&str, &[&str])]; 3] = [
    &[
        ("board", &["ann", "bo"]),
        ("chair", &["dee"]),
        ("bylaw", &["yes"]),
        ("panel", &["jo", "kim"]),
        ("shares", &["max", "max", "ned"]),
        ("council", &["ola", "pat", "quin"]),
        ("trustees", &["sol", "tam"]),
        ("warden", &["vic", "wes"]),
        ("motto", &["onward", "upward", "forward"]),
    ],
    &[
        ("board", &["cy", "write-in:Zed Quill"]),
        ("chair", &["eli"]),
        ("bylaw", &["no"]),
        ("panel", &["lee"]),
        ("shares", &["ned"]),
        ("council", &["ros", "ola"]),
        ("trustees", &["uma", "sol", "tam"]),
        ("warden", &["xan"]),
        ("motto", &["upward"]),
    ],
    &[
        ("board", &["bo"]),
        ("chair", &[]),
        ("bylaw", &["abstain"]),
        ("panel", &["jo", "kim", "lee"]),
        ("shares", &[]),
        ("council", &["pat"]),
        ("trustees", &["tam"]),
        ("warden", &["wes", "vic", "xan"]),
        ("motto", &["forward", "onward"]),
    ],
];

fn build() -> Fixture {
    let definition = definitions()[2].clone();
    let key = Ed25519KeyPair::from_seed_unchecked(&[0x5e; 32]).expect("an Ed25519 seed");
    let mut log = Log {
        key,
        entries: vec![],
        checkpoints: vec![],
    };
    let seed = Seed([42; 32]);
    log.append(Event::ElectionCreated {
        election: ELECTION.into(),
        title: definition.title.clone(),
        public_key: log.public(),
        actor: "cli:fuzz".into(),
    });
    log.append(Event::RollImported {
        added: 10,
        total: 10,
        actor: "cli:fuzz".into(),
    });
    log.append(Event::TokensIssued {
        count: 10,
        actor: "cli:fuzz".into(),
    });
    log.append(Event::PollsOpened {
        definition_hash: definition.hash(),
        eligible: 10,
        tokens_issued: 10,
        lot_seed_commitment: seed.commitment(),
        certification_quorum: 0,
        closes_at: None,
        actor: "cli:fuzz".into(),
        witnesses: None,
        witness_quorum: None,
        encryption: None,
    });
    log.checkpoint(CheckpointReason::Opened);
    let ballots: Vec<Ballot> = (0..9u8)
        .map(|i| {
            let choices: BTreeMap<String, Vec<String>> = PATTERNS[usize::from(i % 3)]
                .iter()
                .map(|(contest, chosen)| (contest.to_string(), chosen.iter().map(|c| c.to_string()).collect()))
                .collect();
            let problems = ballot::problems(&definition, &choices);
            assert!(problems.is_empty(), "fixture ballot {i} is invalid: {problems:?}");
            Ballot {
                election: ELECTION.into(),
                nonce: Nonce([i + 1; 16]),
                choices,
                weight: if i == 4 {
                    Weight::parse("2.5").expect("a weight")
                } else {
                    Weight::ONE
                },
            }
        })
        .collect();
    let body = ReceiptBody {
        format: RECEIPT_FORMAT.into(),
        election: ELECTION.into(),
        tracker: ballots[1].tracker(),
        ballot: ballots[1].clone().into(),
        seal: 1,
        public_key: log.public(),
    };
    let receipt = Receipt {
        signature: log.sign(&body.signed_bytes()),
        body,
    };
    let mut trackers: Vec<Digest> = ballots.iter().map(Ballot::tracker).collect();
    trackers.sort();
    for t in &trackers {
        log.append(Event::Ballot { tracker: *t });
    }
    log.append(Event::Seal { seal: 1, ballots: 9 });
    log.checkpoint(CheckpointReason::Sealed);
    log.append(Event::PollsClosed {
        tokens_used: 9,
        tokens_issued: 10,
        ballots: 9,
        reason: "fuzz".into(),
        actor: "cli:fuzz".into(),
    });
    log.checkpoint(CheckpointReason::Closed);
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
    let tally = teller_audit::tally::tally(ELECTION, &definition, &published, &seed);
    log.append(Event::Tallied {
        tally_digest: tally.digest(),
        lot_seed: seed,
        actor: "cli:fuzz".into(),
    });
    log.checkpoint(CheckpointReason::Tallied);
    let record = Record {
        format: RECORD_FORMAT.into(),
        election: ElectionInfo {
            id: ELECTION.into(),
            state: "tallied".into(),
            definition,
        },
        public_key: log.public(),
        log: log.entries,
        checkpoints: log.checkpoints,
        ballots: Some(published),
        encrypted_ballots: None,
        counts: Counts {
            eligible: 10,
            tokens_issued: 10,
            tokens_used: 9,
            ballots: 9,
        },
        tally: Some(tally),
        encryption: None,
    };
    Fixture {
        record,
        receipt,
        secret: MasterSecret::from_bytes(&[0x42; 32]).expect("a master secret"),
        token: Token::parse(&token_text()).expect("a valid token"),
    }
}

/// A fixed, valid voting code: 26 symbols and their two check symbols
/// (computed as `domain::token` does; `Token::generate` would draw a random one).
pub fn token_text() -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let values: Vec<u32> = (0..26u32).map(|i| (i * 7 + 3) % 32).collect();
    let sum = values
        .iter()
        .enumerate()
        .fold(0u32, |acc, (i, v)| (acc + (i as u32 + 1) * v) % 1021);
    values
        .iter()
        .chain([sum / 32, sum % 32].iter())
        .map(|v| ALPHABET[*v as usize] as char)
        .collect()
}
