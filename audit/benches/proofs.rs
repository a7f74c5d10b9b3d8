//! Transparency-log proof benchmarks (FORMAT.md §5a, §6b, §7a) on a tree of
//! 1,000,000 entries: an inclusion proof's size and its verification, a
//! consistency check between two checkpoints without the entries, and a
//! whole `verify-receipt --proof` check of a receipt whose proof's note
//! carries two witness cosignatures.
//!
//! The tree is built from synthetic leaves (the leaf hash of the index's
//! bytes), except the three entries a receipt's proof names — the
//! `polls_opened` entry with its two witnesses, the ballot and its seal —
//! which are real entries at fixed positions. Keys are fixed seeds, so every
//! run measures the same proofs.
//!
//! Run: `cargo bench -p teller-audit --bench proofs [-- FILTER]`. Before the
//! benchmarks the process prints the proofs' sizes.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{criterion_group, Criterion};
use ring::signature::Ed25519KeyPair;
use teller_audit::ballot::Ballot;
use teller_audit::cosignature::{self, WitnessKey};
use teller_audit::count::Weight;
use teller_audit::crypto::{Digest, Nonce, PublicKey, Seed, Signature};
use teller_audit::inclusion::{self, InclusionProof};
use teller_audit::log::{Event, LogEntry, Witness};
use teller_audit::merkle::{self, Tree};
use teller_audit::note::{origin, TreeCheckpoint};
use teller_audit::receipt::{Receipt, ReceiptBody, RECEIPT_FORMAT};

/// Entries in the benchmark's tree.
const SIZE: u64 = 1_000_000;
/// The older checkpoint of the consistency check.
const OLDER: u64 = 700_001;
/// Positions of the real entries in the tree.
const OPENED: u64 = 3;
const BALLOT: u64 = 654_321;
const SEAL: u64 = 654_322;
const ELECTION: &str = "5f0c2a1e-9d3b-4c7a-8e21-6b4d9f0a1c33";

fn key(seed: u8) -> Ed25519KeyPair {
    Ed25519KeyPair::from_seed_unchecked(&[seed; 32]).expect("a 32-byte seed is a key")
}

fn public(key: &Ed25519KeyPair) -> PublicKey {
    use ring::signature::KeyPair;
    let mut out = [0u8; 32];
    out.copy_from_slice(key.public_key().as_ref());
    PublicKey(out)
}

fn sign(key: &Ed25519KeyPair, bytes: &[u8]) -> Signature {
    let mut out = [0u8; 64];
    out.copy_from_slice(key.sign(bytes).as_ref());
    Signature(out)
}

/// The tree, the three real entries, and a receipt for the ballot.
struct Fixture {
    tree: Tree,
    entries: Vec<LogEntry>,
    receipt: Receipt,
    election_key: Ed25519KeyPair,
    witnesses: Vec<(String, Ed25519KeyPair)>,
}

fn fixture() -> Fixture {
    let election_key = key(1);
    let election_public = public(&election_key);
    let witnesses = vec![
        ("witness.example.org".to_string(), key(2)),
        ("audit.example.net".to_string(), key(3)),
    ];
    let ballot = Ballot {
        election: ELECTION.into(),
        nonce: Nonce([9; 16]),
        choices: BTreeMap::from([("bylaw".to_string(), vec!["yes".to_string()])]),
        weight: Weight::ONE,
    };
    let tracker = ballot.tracker();
    let entry = |seq, event| LogEntry {
        seq,
        time: 1_796_115_600,
        event,
    };
    let entries = vec![
        entry(
            OPENED,
            Event::PollsOpened {
                definition_hash: Digest([1; 32]),
                eligible: SIZE,
                tokens_issued: SIZE,
                lot_seed_commitment: Seed([7; 32]).commitment(),
                certification_quorum: 0,
                closes_at: None,
                actor: "cli:bench".into(),
                witnesses: Some(
                    witnesses
                        .iter()
                        .map(|(name, k)| Witness {
                            name: name.clone(),
                            key: public(k),
                            url: format!("https://{name}/"),
                        })
                        .collect(),
                ),
                witness_quorum: Some(2),
                encryption: Some(None),
            },
        ),
        entry(BALLOT, Event::Ballot { tracker }),
        entry(SEAL, Event::Seal { seal: 66, ballots: 1 }),
    ];
    let real: BTreeMap<u64, Digest> = entries
        .iter()
        .map(|e| (e.seq, merkle::leaf_hash(&e.canonical_bytes())))
        .collect();
    let tree = Tree::from_leaf_hashes((0..SIZE).map(|i| {
        real.get(&i)
            .copied()
            .unwrap_or_else(|| merkle::leaf_hash(&i.to_be_bytes()))
    }));
    let body = ReceiptBody {
        format: RECEIPT_FORMAT.into(),
        election: ELECTION.into(),
        tracker,
        ballot: ballot.into(),
        seal: 66,
        public_key: election_public,
    };
    let receipt = Receipt {
        signature: sign(&election_key, &body.signed_bytes()),
        body,
    };
    Fixture {
        tree,
        entries,
        receipt,
        election_key,
        witnesses,
    }
}

/// The receipt's proof in the whole tree, its note signed by the election
/// key and co-signed by both witnesses.
fn witnessed_proof(f: &Fixture) -> InclusionProof {
    let checkpoint = TreeCheckpoint {
        origin: origin("vote.example.org", ELECTION),
        size: f.tree.size(),
        root: f.tree.root(),
    };
    let note = checkpoint.signed_note(&public(&f.election_key), |b| sign(&f.election_key, b));
    let lines: Vec<String> = f
        .witnesses
        .iter()
        .map(|(name, k)| cosignature::cosign(k, name, &checkpoint.text(), 1_796_115_700))
        .collect();
    let note = cosignature::add_lines(&note, &lines);
    let keys: Vec<WitnessKey> = f.witnesses.iter().map(|(n, k)| WitnessKey::of(n, k)).collect();
    assert_eq!(cosignature::count_valid(&keys, &checkpoint.text(), &note).len(), 2);
    inclusion::prove(
        &f.entries,
        &f.tree,
        ELECTION,
        &f.receipt.body.tracker,
        f.receipt.body.seal,
        f.tree.size(),
        note,
    )
    .expect("the entries are in the tree")
}

fn bench_proofs(c: &mut Criterion) {
    let f = fixture();
    let root = f.tree.root();

    // The longest inclusion path in the tree, and the ballot's.
    let longest = (0..SIZE)
        .step_by(997)
        .max_by_key(|&i| merkle::inclusion_proof_len(i, SIZE))
        .unwrap_or(0);
    let path = f.tree.inclusion_proof(longest, SIZE).expect("in range");
    let bytes = path.len() * 32;
    eprintln!(
        "inclusion proof in {SIZE} entries: {} hashes = {bytes} bytes (leaf {longest})",
        path.len()
    );
    assert!(bytes < 1024, "an inclusion proof is {bytes} bytes");
    let leaf = f.tree.leaf(longest).expect("in range");
    c.bench_function("merkle/verify_inclusion/1M", |b| {
        b.iter(|| merkle::verify_inclusion(black_box(longest), SIZE, &leaf, black_box(&path), &root))
    });

    let old_root = f.tree.root_at(OLDER).expect("in range");
    let consistency = f.tree.consistency_proof(OLDER, SIZE).expect("in range");
    eprintln!(
        "consistency proof {OLDER} -> {SIZE}: {} hashes = {} bytes",
        consistency.len(),
        consistency.len() * 32
    );
    c.bench_function("merkle/verify_consistency/700k-1M", |b| {
        b.iter(|| merkle::verify_consistency(OLDER, SIZE, &old_root, &root, black_box(&consistency)))
    });

    let proof = witnessed_proof(&f);
    let json = serde_json::to_vec(&proof).expect("serialises").len();
    eprintln!(
        "witnessed receipt proof: {} + {} + {} hashes, {json} bytes as JSON (note {} bytes)",
        proof.proof.len(),
        proof.seal_proof.len(),
        proof.opened_proof.len(),
        proof.checkpoint.len()
    );
    let report = inclusion::verify_receipt_with_proof(&f.receipt, &proof);
    assert!(report.ok(), "the benchmark's proof verifies: {report:?}");
    c.bench_function("inclusion/verify_receipt_with_proof/1M+2-witnesses", |b| {
        b.iter(|| inclusion::verify_receipt_with_proof(black_box(&f.receipt), black_box(&proof)))
    });
}

criterion_group!(benches, bench_proofs);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
