//! Properties of the log's Merkle tree (FORMAT.md §5a) over random sizes:
//! every inclusion and consistency proof the tree makes verifies, and any
//! altered hash, index, size or root makes it fail.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use teller_audit::crypto::Digest;
use teller_audit::merkle::{leaf_hash, verify_consistency, verify_inclusion, Tree};

/// A tree of `n` distinct leaves.
fn tree(n: u64) -> Tree {
    let mut t = Tree::new();
    for i in 0..n {
        t.push(format!("entry {i}").as_bytes());
    }
    t
}

/// `d` with bit `bit` of byte `byte` flipped.
fn flipped(d: &Digest, byte: usize, bit: u8) -> Digest {
    let mut d = *d;
    d.0[byte % 32] ^= 1 << (bit % 8);
    d
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn every_inclusion_proof_verifies_and_any_change_fails(
        n in 1u64..3000,
        pick in any::<u64>(),
        which in any::<usize>(),
        byte in any::<usize>(),
        bit in any::<u8>(),
    ) {
        let t = tree(n);
        let index = pick % n;
        let size = index + 1 + (pick / n) % (n - index);
        let root = t.root_at(size).unwrap();
        let leaf = leaf_hash(format!("entry {index}").as_bytes());
        let proof = t.inclusion_proof(index, size).unwrap();
        prop_assert!(verify_inclusion(index, size, &leaf, &proof, &root).is_ok());
        // Under 1 KiB of hashes even at 2^32 entries: 32 hashes of 32 bytes.
        prop_assert!(proof.len() <= 32);

        prop_assert!(verify_inclusion(index, size, &flipped(&leaf, byte, bit), &proof, &root).is_err());
        prop_assert!(verify_inclusion(index, size, &leaf, &proof, &flipped(&root, byte, bit)).is_err());
        if !proof.is_empty() {
            let mut bad = proof.clone();
            let k = which % bad.len();
            bad[k] = flipped(&bad[k], byte, bit);
            prop_assert!(verify_inclusion(index, size, &leaf, &bad, &root).is_err());
            prop_assert!(verify_inclusion(index, size, &leaf, &proof[..proof.len() - 1], &root).is_err());
        }
        if size > 1 {
            let other = (index + 1 + (pick % (size - 1))) % size;
            prop_assert!(verify_inclusion(other, size, &leaf, &proof, &root).is_err());
        }
    }

    #[test]
    fn every_consistency_proof_verifies_and_any_change_fails(
        n in 2u64..3000,
        a in any::<u64>(),
        b in any::<u64>(),
        which in any::<usize>(),
        byte in any::<usize>(),
        bit in any::<u8>(),
    ) {
        let t = tree(n);
        let second = 1 + b % n;
        let first = 1 + a % second;
        let (r1, r2) = (t.root_at(first).unwrap(), t.root_at(second).unwrap());
        let proof = t.consistency_proof(first, second).unwrap();
        prop_assert!(verify_consistency(first, second, &r1, &r2, &proof).is_ok());
        if first == second {
            prop_assert!(proof.is_empty());
            prop_assert!(verify_consistency(first, second, &r1, &flipped(&r2, byte, bit), &proof).is_err());
            return Ok(());
        }
        prop_assert!(verify_consistency(first, second, &flipped(&r1, byte, bit), &r2, &proof).is_err());
        prop_assert!(verify_consistency(first, second, &r1, &flipped(&r2, byte, bit), &proof).is_err());
        let mut bad = proof.clone();
        let k = which % bad.len();
        bad[k] = flipped(&bad[k], byte, bit);
        prop_assert!(verify_consistency(first, second, &r1, &r2, &bad).is_err());
        // A rewritten past: a log whose first `first` leaves differ.
        let mut other = Tree::new();
        for i in 0..second {
            let text = if i == first - 1 { "rewritten".to_string() } else { format!("entry {i}") };
            other.push(text.as_bytes());
        }
        let forged = other.consistency_proof(first, second).unwrap();
        prop_assert!(verify_consistency(first, second, &r1, &other.root_at(second).unwrap(), &forged).is_err());
    }
}
