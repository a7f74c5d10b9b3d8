//! The protocol without HTTP: each refusal of tlog-witness, in its order.
#![allow(clippy::unwrap_used)]

use ring::signature::KeyPair;

use super::*;
use crate::cosignature::verify;
use crate::crypto::Signature;
use crate::merkle::Tree;

const ORIGIN: &str = "vote.example.org/teller/2a6f16d2-c738-4ef1-8402-71c1bfa25a25";
const NAME: &str = "witness.example.org/w1";
const NOW: u64 = 1_796_116_380;

fn pair(byte: u8) -> Ed25519KeyPair {
    Ed25519KeyPair::from_seed_unchecked(&[byte; 32]).unwrap()
}

fn public(pair: &Ed25519KeyPair) -> PublicKey {
    PublicKey(pair.public_key().as_ref().try_into().unwrap())
}

/// A log of `n` entries, and its checkpoint note signed by `key`.
fn note(tree: &Tree, size: u64, key: &Ed25519KeyPair) -> String {
    let checkpoint = TreeCheckpoint {
        origin: ORIGIN.into(),
        size,
        root: tree.root_at(size).unwrap(),
    };
    checkpoint.signed_note(&public(key), |b| Signature(key.sign(b).as_ref().try_into().unwrap()))
}

fn tree(n: u64) -> Tree {
    let mut tree = Tree::new();
    for i in 0..n {
        tree.push(format!("entry {i}").as_bytes());
    }
    tree
}

fn body(old: u64, proof: &[Digest], note: &str) -> Vec<u8> {
    let mut text = format!("old {old}\n");
    for hash in proof {
        text.push_str(&STANDARD.encode(hash.0));
        text.push('\n');
    }
    format!("{text}\n{note}").into_bytes()
}

struct Fixture {
    witness: Witness,
    log: Ed25519KeyPair,
    dir: std::path::PathBuf,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn fixture(name: &str) -> Fixture {
    let dir = std::env::temp_dir().join(format!("teller-witness-unit-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let log = pair(2);
    let logs = [LogKey {
        origin: ORIGIN.into(),
        key: public(&log),
    }];
    let witness = Witness::open(NAME, pair(1), &logs, StateDir::open(&dir).unwrap()).unwrap();
    Fixture { witness, log, dir }
}

#[test]
fn requests_parse_strictly() {
    let good = body(3, &[Digest([7; 32])], "x\n");
    let parsed = parse_request(&good).unwrap();
    assert_eq!((parsed.old, parsed.proof.len(), parsed.note), (3, 1, "x\n"));
    let hash = STANDARD.encode([7u8; 32]);
    for bad in [
        String::new(),
        "old 3".into(),
        "old 03\n\nx\n".into(),
        "old -1\n\nx\n".into(),
        "old 3 \n\nx\n".into(),
        "new 3\n\nx\n".into(),
        "old 3\n\n".into(),
        "old 3\nx\n".into(),
        format!("old 3\n{}\n\nx\n", &hash[..40]),
        format!("old 3\n{hash}\n"),
        format!("old 3\n{}\nx\n", format!("{hash}\n").repeat(64)),
        "old 99999999999999999999\n\nx\n".into(),
    ] {
        assert!(
            matches!(parse_request(bad.as_bytes()), Err(Refusal::Malformed(_))),
            "{bad:?}"
        );
    }
    assert!(parse_request(format!("old 3\n{}\nx\n", format!("{hash}\n").repeat(63)).as_bytes()).is_ok());
    assert!(matches!(parse_request(b"old 1\n\n\xff\n"), Err(Refusal::Malformed(_))));
}

#[test]
fn a_log_grows_under_its_witness() {
    let f = fixture("grows");
    let t = tree(9);
    let first = f
        .witness
        .add_checkpoint(&body(0, &[], &note(&t, 4, &f.log)), NOW)
        .unwrap();
    let text = TreeCheckpoint::open_log(&note(&t, 4, &f.log), &public(&f.log))
        .unwrap()
        .text();
    assert_eq!(verify(&f.witness.key(), &text, &first.lines), Ok(NOW));
    let proof = t.consistency_proof(4, 9).unwrap();
    let later = f
        .witness
        .add_checkpoint(&body(4, &proof, &note(&t, 9, &f.log)), NOW + 1)
        .unwrap();
    assert_eq!((later.old, later.size), (4, 9));
    // The same checkpoint again is cosigned again.
    f.witness
        .add_checkpoint(&body(9, &[], &note(&t, 9, &f.log)), NOW + 2)
        .unwrap();
    let kept = f.witness.latest_note(ORIGIN).unwrap();
    assert_eq!(crate::cosignature::cosignature_lines(&kept).len(), 1);
}

#[test]
fn each_refusal_has_its_status() {
    let f = fixture("refusals");
    let t = tree(9);
    let status = |body: Vec<u8>| f.witness.add_checkpoint(&body, NOW).unwrap_err().status();
    // Unknown origin, then a bad signature, then old above the size.
    let foreign = note(&t, 4, &f.log).replace(ORIGIN, "example.com/other");
    assert_eq!(status(body(0, &[], &foreign)), 404);
    assert_eq!(status(body(0, &[], &note(&t, 4, &pair(3)))), 403);
    assert_eq!(status(body(5, &[], &note(&t, 4, &f.log))), 400);
    assert_eq!(status(body(0, &[], &note(&t, 4, &f.log).replace("\n\n", "\n"))), 400);
    // A non-empty proof from size 0.
    assert_eq!(status(body(0, &[Digest([1; 32])], &note(&t, 4, &f.log))), 422);
    f.witness
        .add_checkpoint(&body(0, &[], &note(&t, 4, &f.log)), NOW)
        .unwrap();
    assert!(matches!(
        f.witness.add_checkpoint(&body(0, &[], &note(&t, 9, &f.log)), NOW),
        Err(Refusal::Conflict { latest: 4, .. })
    ));
    // A rewritten past: a log of other entries, validly signed.
    let mut other = Tree::new();
    for i in 0..9 {
        other.push(format!("other {i}").as_bytes());
    }
    let proof = other.consistency_proof(4, 9).unwrap();
    assert_eq!(status(body(4, &proof, &note(&other, 9, &f.log))), 422);
    // A fork: the same size, another root.
    assert!(matches!(
        f.witness.add_checkpoint(&body(4, &[], &note(&other, 4, &f.log)), NOW),
        Err(Refusal::Inconsistent {
            why: Inconsistency::Fork,
            evidence: Some(_),
            ..
        })
    ));
    assert_eq!(f.witness.latest_note(ORIGIN).map(|n| n.contains("\n4\n")), Some(true));
}

#[test]
fn an_empty_tree_must_have_the_empty_root() {
    let f = fixture("empty");
    let t = tree(0);
    f.witness
        .add_checkpoint(&body(0, &[], &note(&t, 0, &f.log)), NOW)
        .unwrap();
    // Signed by the log, of size 0, with a root that is not the empty tree's.
    let cp = TreeCheckpoint {
        origin: ORIGIN.into(),
        size: 0,
        root: tree(1).root(),
    };
    let signed = cp.signed_note(&public(&f.log), |b| {
        Signature(f.log.sign(b).as_ref().try_into().unwrap())
    });
    assert!(matches!(
        f.witness.add_checkpoint(&body(0, &[], &signed), NOW),
        Err(Refusal::Inconsistent {
            why: Inconsistency::EmptyRoot,
            ..
        })
    ));
}
