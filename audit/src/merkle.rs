//! The Merkle tree over the audit log (FORMAT.md §5a): RFC 9162 §2.1
//! hashing, inclusion and consistency proofs, and their verification.
//!
//! A log of `n` entries is the tree `MTH(D[n])` of RFC 9162 §2.1.1, where
//! `D[i]` is the canonical encoding of entry `i`:
//!
//! ```text
//! MTH({})      = SHA-256()                          (the empty string)
//! MTH({d0})    = SHA-256(0x00 ‖ d0)                 (a leaf)
//! MTH(D[n])    = SHA-256(0x01 ‖ MTH(D[0:k]) ‖ MTH(D[k:n]))
//!                where k is the largest power of two smaller than n
//! ```
//!
//! [`Tree`] keeps every complete subtree's hash (level `l` holds the hashes
//! of the aligned subtrees of `2^l` leaves), so a proof for any size costs
//! O(log² n) lookups and no rehashing of entries. The verifiers,
//! [`verify_inclusion`] and [`verify_consistency`], follow the steps of RFC
//! 9162 §2.1.3.2 and §2.1.4.2 exactly; they need nothing but the proof.

use crate::crypto::Digest;

/// The leaf hash of an entry's bytes: `SHA-256(0x00 ‖ bytes)`.
pub fn leaf_hash(bytes: &[u8]) -> Digest {
    Digest::of_parts(&[&[0x00], bytes])
}

/// The hash of an interior node: `SHA-256(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Digest, right: &Digest) -> Digest {
    Digest::of_parts(&[&[0x01], &left.0, &right.0])
}

/// The root of the empty tree: SHA-256 of the empty string.
pub fn empty_root() -> Digest {
    Digest::of(b"")
}

/// The largest power of two smaller than `n` (`n` ≥ 2).
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// Why a proof was not produced or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The index is not a leaf of a tree of this size.
    #[error("leaf {index} is not in a tree of {size} entries")]
    IndexOutOfRange {
        /// The leaf.
        index: u64,
        /// The tree's size.
        size: u64,
    },
    /// The sizes cannot be compared (`first` > `second`), or exceed the
    /// tree.
    #[error("no consistency proof from size {first} to size {second}")]
    BadSizes {
        /// The earlier size.
        first: u64,
        /// The later size.
        second: u64,
    },
    /// The proof has the wrong number of hashes for these sizes.
    #[error("the proof has {found} hashes; one for these sizes has {expected}")]
    WrongLength {
        /// How many the sizes call for.
        expected: usize,
        /// How many it has.
        found: usize,
    },
    /// The hashes do not lead to the root (or roots) claimed.
    #[error("the proof does not lead to the root it claims: the log differs from the one proved")]
    Mismatch,
}

/// A Merkle tree over a log, growing one leaf at a time.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    /// `levels[l][i]` is the root of the complete subtree of leaves
    /// `i·2^l .. (i+1)·2^l`.
    levels: Vec<Vec<Digest>>,
}

impl Tree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// The tree of these leaf hashes.
    pub fn from_leaf_hashes(leaves: impl IntoIterator<Item = Digest>) -> Self {
        let mut tree = Self::new();
        for leaf in leaves {
            tree.push_hash(leaf);
        }
        tree
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Append an entry's bytes.
    pub fn push(&mut self, entry: &[u8]) {
        self.push_hash(leaf_hash(entry));
    }

    /// Append a leaf by its hash, completing every subtree it closes.
    pub fn push_hash(&mut self, leaf: Digest) {
        let mut hash = leaf;
        let mut level = 0;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            self.levels[level].push(hash);
            let len = self.levels[level].len();
            if len % 2 == 1 {
                break;
            }
            hash = node_hash(&self.levels[level][len - 2], &self.levels[level][len - 1]);
            level += 1;
        }
    }

    /// The leaf hash at `index`.
    pub fn leaf(&self, index: u64) -> Option<Digest> {
        self.levels.first()?.get(usize::try_from(index).ok()?).copied()
    }

    /// The hash of the complete subtree of `2^level` leaves starting at leaf
    /// `index · 2^level`, if the tree has all of them (what a tile of
    /// `c2sp.org/tlog-tiles` at level `level / 8` holds).
    pub fn complete(&self, level: u32, index: u64) -> Option<Digest> {
        let level = usize::try_from(level).ok()?;
        self.levels.get(level)?.get(usize::try_from(index).ok()?).copied()
    }

    /// `MTH(D[lo:hi])` for `lo < hi ≤ size`, where `lo` is a multiple of the
    /// largest power of two not above `hi - lo` (always so in RFC 9162's
    /// recursion).
    fn subtree(&self, lo: u64, hi: u64) -> Digest {
        let n = hi - lo;
        if n.is_power_of_two() {
            let level = n.trailing_zeros() as usize;
            // In range: a complete subtree inside the tree is stored.
            return self.levels[level][(lo >> level) as usize];
        }
        let k = split(n);
        node_hash(&self.subtree(lo, lo + k), &self.subtree(lo + k, hi))
    }

    /// The root of the first `size` leaves (`size` ≤ the tree's size).
    pub fn root_at(&self, size: u64) -> Result<Digest, ProofError> {
        if size > self.size() {
            return Err(ProofError::BadSizes {
                first: size,
                second: self.size(),
            });
        }
        Ok(if size == 0 { empty_root() } else { self.subtree(0, size) })
    }

    /// The root of the whole tree.
    pub fn root(&self) -> Digest {
        self.subtree_or_empty(self.size())
    }

    fn subtree_or_empty(&self, size: u64) -> Digest {
        if size == 0 {
            empty_root()
        } else {
            self.subtree(0, size)
        }
    }

    /// The inclusion proof of leaf `index` in the tree of the first `size`
    /// leaves: RFC 9162 §2.1.3.1 `PATH(index, D[size])`, from the leaf up.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Digest>, ProofError> {
        if size > self.size() {
            return Err(ProofError::BadSizes {
                first: size,
                second: self.size(),
            });
        }
        if index >= size {
            return Err(ProofError::IndexOutOfRange { index, size });
        }
        let mut proof = Vec::new();
        self.path(index, 0, size, &mut proof);
        Ok(proof)
    }

    /// `PATH(m, D[lo:hi])`, appended bottom-up.
    fn path(&self, m: u64, lo: u64, hi: u64, out: &mut Vec<Digest>) {
        let n = hi - lo;
        if n <= 1 {
            return;
        }
        let k = split(n);
        if m < k {
            self.path(m, lo, lo + k, out);
            out.push(self.subtree(lo + k, hi));
        } else {
            self.path(m - k, lo + k, hi, out);
            out.push(self.subtree(lo, lo + k));
        }
    }

    /// The consistency proof from size `first` to size `second` (RFC 9162
    /// §2.1.4.1 `PROOF(first, D[second])`); empty when `first` is 0 or equals
    /// `second`.
    pub fn consistency_proof(&self, first: u64, second: u64) -> Result<Vec<Digest>, ProofError> {
        if first > second || second > self.size() {
            return Err(ProofError::BadSizes { first, second });
        }
        let mut proof = Vec::new();
        if first > 0 && first < second {
            self.subproof(first, 0, second, true, &mut proof);
        }
        Ok(proof)
    }

    /// `SUBPROOF(m, D[lo:hi], b)`, appended bottom-up.
    fn subproof(&self, m: u64, lo: u64, hi: u64, whole: bool, out: &mut Vec<Digest>) {
        let n = hi - lo;
        if m == n {
            if !whole {
                out.push(self.subtree(lo, hi));
            }
            return;
        }
        let k = split(n);
        if m <= k {
            self.subproof(m, lo, lo + k, whole, out);
            out.push(self.subtree(lo + k, hi));
        } else {
            self.subproof(m - k, lo + k, hi, false, out);
            out.push(self.subtree(lo, lo + k));
        }
    }
}

/// The right edge of a tree: the roots of its complete subtrees, largest
/// (leftmost) first, one per 1 bit of its size. It is all a monitor keeps to
/// extend a verified tree with new leaves and recompute its root, in
/// O(log n) memory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// One hash per 1 bit of `size`, from the highest bit down.
    hashes: Vec<Digest>,
}

impl Frontier {
    /// The frontier of a tree of `size` leaves from its complete subtrees'
    /// roots, largest first; `None` unless there is one per 1 bit of `size`.
    pub fn from_parts(size: u64, hashes: Vec<Digest>) -> Option<Self> {
        (hashes.len() == size.count_ones() as usize).then_some(Frontier { size, hashes })
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The complete subtrees' roots, largest first.
    pub fn hashes(&self) -> &[Digest] {
        &self.hashes
    }

    /// Append a leaf by its hash, merging the subtrees it completes.
    pub fn push_hash(&mut self, leaf: Digest) {
        let mut hash = leaf;
        // Each trailing 1 bit of the size is a subtree the new leaf completes.
        for _ in 0..self.size.trailing_ones() {
            let Some(left) = self.hashes.pop() else { break };
            hash = node_hash(&left, &hash);
        }
        self.hashes.push(hash);
        self.size += 1;
    }

    /// `MTH` of the leaves so far: the subtrees' roots folded from the right.
    pub fn root(&self) -> Digest {
        let mut hashes = self.hashes.iter().rev();
        let Some(last) = hashes.next() else {
            return empty_root();
        };
        hashes.fold(*last, |right, left| node_hash(left, &right))
    }
}

/// The number of hashes in an inclusion proof of leaf `index` in a tree of
/// `size` leaves.
pub fn inclusion_proof_len(index: u64, size: u64) -> usize {
    if index >= size {
        return 0;
    }
    // The path's length is the depth of the leaf: the levels where the leaf
    // and the last leaf are in different subtrees, plus the levels of the
    // complete subtree that holds the leaf.
    let inner = 64 - (index ^ (size - 1)).leading_zeros() as usize;
    let border = (index >> inner).count_ones() as usize;
    inner + border
}

/// Check that `leaf` is the hash at `index` of the tree of `size` leaves
/// whose root is `root`, by RFC 9162 §2.1.3.2.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Digest,
    proof: &[Digest],
    root: &Digest,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let expected = inclusion_proof_len(index, size);
    if proof.len() != expected {
        return Err(ProofError::WrongLength {
            expected,
            found: proof.len(),
        });
    }
    let (mut f_n, mut s_n) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s_n == 0 {
            return Err(ProofError::Mismatch);
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n == 0 && r == *root {
        Ok(())
    } else {
        Err(ProofError::Mismatch)
    }
}

/// The number of hashes in a consistency proof from `first` to `second`
/// leaves (0 < `first` < `second`).
pub fn consistency_proof_len(first: u64, second: u64) -> usize {
    if first == 0 || first >= second {
        return 0;
    }
    // Levels where the two trees' last leaves differ, plus the complete
    // subtrees along the first tree's right border below them, less one when
    // the first tree is itself a complete subtree of the second (its root
    // is then not sent).
    let inner = 64 - ((first - 1) ^ (second - 1)).leading_zeros() as usize;
    let border = ((first - 1) >> inner).count_ones() as usize;
    let low = (first - 1).trailing_ones() as usize;
    let start = if first >> low == 1 { 0 } else { 1 };
    inner + border - low + start
}

/// Check that the tree of `second` leaves with root `second_root` extends
/// the tree of `first` leaves with root `first_root`, by RFC 9162 §2.1.4.2.
/// Equal sizes need an empty proof and equal roots; any tree extends the
/// empty one.
pub fn verify_consistency(
    first: u64,
    second: u64,
    first_root: &Digest,
    second_root: &Digest,
    proof: &[Digest],
) -> Result<(), ProofError> {
    if first > second {
        return Err(ProofError::BadSizes { first, second });
    }
    let expected = consistency_proof_len(first, second);
    if proof.len() != expected {
        return Err(ProofError::WrongLength {
            expected,
            found: proof.len(),
        });
    }
    if first == second {
        return if first_root == second_root {
            Ok(())
        } else {
            Err(ProofError::Mismatch)
        };
    }
    if first == 0 {
        return if *first_root == empty_root() {
            Ok(())
        } else {
            Err(ProofError::Mismatch)
        };
    }
    // Step 2: when the first tree is a complete subtree of the second, its
    // root is the path's first value (the step many verifiers miss).
    let mut path: Vec<Digest> = Vec::with_capacity(proof.len() + 1);
    if first.is_power_of_two() {
        path.push(*first_root);
    }
    path.extend_from_slice(proof);
    let (mut f_n, mut s_n) = (first - 1, second - 1);
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if s_n == 0 {
            return Err(ProofError::Mismatch);
        }
        if f_n & 1 == 1 || f_n == s_n {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if fr == *first_root && sr == *second_root && s_n == 0 {
        Ok(())
    } else {
        Err(ProofError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// RFC 9162's definitions, written out recursively over the leaves:
    /// the reference the tree's stored-subtree shortcuts must agree with.
    mod reference {
        use super::super::*;

        pub fn mth(leaves: &[Digest]) -> Digest {
            match leaves.len() {
                0 => empty_root(),
                1 => leaves[0],
                n => {
                    let k = split(n as u64) as usize;
                    node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
                }
            }
        }

        pub fn path(m: usize, leaves: &[Digest]) -> Vec<Digest> {
            let n = leaves.len();
            if n <= 1 {
                return vec![];
            }
            let k = split(n as u64) as usize;
            if m < k {
                let mut p = path(m, &leaves[..k]);
                p.push(mth(&leaves[k..]));
                p
            } else {
                let mut p = path(m - k, &leaves[k..]);
                p.push(mth(&leaves[..k]));
                p
            }
        }

        pub fn subproof(m: usize, leaves: &[Digest], b: bool) -> Vec<Digest> {
            let n = leaves.len();
            if m == n {
                return if b { vec![] } else { vec![mth(leaves)] };
            }
            let k = split(n as u64) as usize;
            if m <= k {
                let mut p = subproof(m, &leaves[..k], b);
                p.push(mth(&leaves[k..]));
                p
            } else {
                let mut p = subproof(m - k, &leaves[k..], false);
                p.push(mth(&leaves[..k]));
                p
            }
        }
    }

    fn hex(d: &Digest) -> String {
        d.to_hex()
    }

    /// The leaves of the test tree used by Certificate Transparency's and
    /// transparency-dev's Merkle tests.
    fn ct_leaves() -> Vec<Vec<u8>> {
        [
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        ]
        .iter()
        .map(|h| hex::decode(h).unwrap())
        .collect()
    }

    #[test]
    fn the_published_roots_of_the_eight_leaf_test_tree() {
        let mut tree = Tree::new();
        assert_eq!(
            hex(&tree.root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let roots = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        for (leaf, root) in ct_leaves().iter().zip(roots) {
            tree.push(leaf);
            assert_eq!(hex(&tree.root()), root, "size {}", tree.size());
        }
        for (size, root) in roots.iter().enumerate() {
            assert_eq!(hex(&tree.root_at(size as u64 + 1).unwrap()), *root);
        }
    }

    #[test]
    fn the_published_proofs_of_the_eight_leaf_test_tree() {
        let tree = Tree::from_leaf_hashes(ct_leaves().iter().map(|l| leaf_hash(l)));
        let hexes = |p: Vec<Digest>| p.iter().map(hex).collect::<Vec<_>>();
        assert_eq!(
            hexes(tree.inclusion_proof(0, 8).unwrap()),
            [
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ]
        );
        assert_eq!(
            hexes(tree.consistency_proof(1, 8).unwrap()),
            [
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ]
        );
        assert_eq!(
            hexes(tree.consistency_proof(6, 8).unwrap()),
            [
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]
        );
        assert_eq!(
            hexes(tree.consistency_proof(2, 5).unwrap()),
            [
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ]
        );
    }

    fn leaves(n: usize) -> Vec<Digest> {
        (0..n).map(|i| leaf_hash(&(i as u64).to_be_bytes())).collect()
    }

    #[test]
    fn every_proof_agrees_with_the_rfc_definitions_and_verifies() {
        let all = leaves(70);
        let tree = Tree::from_leaf_hashes(all.iter().copied());
        for n in 1..=all.len() {
            let root = tree.root_at(n as u64).unwrap();
            assert_eq!(root, reference::mth(&all[..n]), "root of {n}");
            for m in 0..n {
                let proof = tree.inclusion_proof(m as u64, n as u64).unwrap();
                assert_eq!(proof, reference::path(m, &all[..n]), "PATH({m}, D[{n}])");
                assert_eq!(proof.len(), inclusion_proof_len(m as u64, n as u64));
                verify_inclusion(m as u64, n as u64, &all[m], &proof, &root).unwrap();
            }
            for m in 1..n {
                let proof = tree.consistency_proof(m as u64, n as u64).unwrap();
                assert_eq!(proof, reference::subproof(m, &all[..n], true), "PROOF({m}, D[{n}])");
                assert_eq!(proof.len(), consistency_proof_len(m as u64, n as u64), "len({m}, {n})");
                let old = tree.root_at(m as u64).unwrap();
                verify_consistency(m as u64, n as u64, &old, &root, &proof).unwrap();
            }
        }
    }

    #[test]
    fn any_altered_hash_size_or_index_fails() {
        let all = leaves(37);
        let tree = Tree::from_leaf_hashes(all.iter().copied());
        let flip = |d: &Digest, bit: usize| {
            let mut d = *d;
            d.0[bit / 8] ^= 1 << (bit % 8);
            d
        };
        for n in [1u64, 2, 3, 8, 13, 32, 37] {
            let root = tree.root_at(n).unwrap();
            for m in 0..n {
                let leaf = all[m as usize];
                let proof = tree.inclusion_proof(m, n).unwrap();
                assert!(verify_inclusion(m, n, &flip(&leaf, 0), &proof, &root).is_err());
                assert!(verify_inclusion(m, n, &leaf, &proof, &flip(&root, 255)).is_err());
                for i in 0..proof.len() {
                    let mut bad = proof.clone();
                    bad[i] = flip(&bad[i], (i * 7) % 256);
                    assert!(verify_inclusion(m, n, &leaf, &bad, &root).is_err());
                }
                if m + 1 < n {
                    assert!(verify_inclusion(m + 1, n, &leaf, &proof, &root).is_err());
                }
                // (The same proof may also fit size n + 1 when the leaf's
                // path has the same shape there: the size is bound by the
                // signed checkpoint that carries the root, not by the proof.)
                let mut longer = proof.clone();
                longer.push(leaf);
                assert!(verify_inclusion(m, n, &leaf, &longer, &root).is_err());
            }
            for m in 1..n {
                let old = tree.root_at(m).unwrap();
                let proof = tree.consistency_proof(m, n).unwrap();
                assert!(verify_consistency(m, n, &flip(&old, 3), &root, &proof).is_err());
                assert!(verify_consistency(m, n, &old, &flip(&root, 9), &proof).is_err());
                for i in 0..proof.len() {
                    let mut bad = proof.clone();
                    bad[i] = flip(&bad[i], 100);
                    assert!(
                        verify_consistency(m, n, &old, &root, &bad).is_err(),
                        "{m}→{n}, hash {i}"
                    );
                }
                assert!(verify_consistency(m, n, &old, &root, &proof[..proof.len() - 1]).is_err());
                // The same proof does not serve another old size.
                if m + 1 < n {
                    let other = tree.root_at(m + 1).unwrap();
                    assert!(verify_consistency(m + 1, n, &other, &root, &proof).is_err());
                }
            }
        }
    }

    #[test]
    fn a_rewritten_past_is_not_consistent() {
        // Two logs that agree on their first 4 entries and then differ: the
        // later one's root is not consistent with the other's root at 6.
        let mut a = leaves(10);
        let tree_a = Tree::from_leaf_hashes(a.iter().copied());
        a[5] = leaf_hash(b"rewritten");
        let tree_b = Tree::from_leaf_hashes(a.iter().copied());
        let old = tree_a.root_at(6).unwrap();
        let proof = tree_b.consistency_proof(6, 10).unwrap();
        assert_eq!(
            verify_consistency(6, 10, &old, &tree_b.root(), &proof),
            Err(ProofError::Mismatch)
        );
        // A fork of the same size: different roots, no proof can join them.
        assert_eq!(
            verify_consistency(10, 10, &tree_a.root(), &tree_b.root(), &[]),
            Err(ProofError::Mismatch)
        );
    }

    #[test]
    fn the_frontier_has_every_root_of_the_tree() {
        let all = leaves(300);
        let tree = Tree::from_leaf_hashes(all.iter().copied());
        let mut frontier = Frontier::default();
        assert_eq!(frontier.root(), empty_root());
        for (n, leaf) in all.iter().enumerate() {
            frontier.push_hash(*leaf);
            let size = n as u64 + 1;
            assert_eq!(frontier.size(), size);
            assert_eq!(frontier.hashes().len(), size.count_ones() as usize);
            assert_eq!(frontier.root(), tree.root_at(size).unwrap(), "size {size}");
        }
        let again = Frontier::from_parts(300, frontier.hashes().to_vec()).unwrap();
        assert_eq!(again, frontier);
        assert!(Frontier::from_parts(301, frontier.hashes().to_vec()).is_none());
        // Complete subtrees: level 8 index 0 is the first 256 leaves' root.
        assert_eq!(tree.complete(8, 0), tree.root_at(256).ok());
        assert_eq!(tree.complete(0, 299), Some(all[299]));
        assert_eq!(tree.complete(0, 300), None);
        assert_eq!(tree.complete(9, 0), None);
        assert_eq!(tree.complete(64, 0), None);
    }

    #[test]
    fn edge_sizes() {
        let tree = Tree::from_leaf_hashes(leaves(5));
        assert_eq!(
            tree.inclusion_proof(5, 5),
            Err(ProofError::IndexOutOfRange { index: 5, size: 5 })
        );
        assert!(tree.inclusion_proof(0, 6).is_err());
        assert!(tree.consistency_proof(3, 6).is_err());
        assert!(tree.consistency_proof(4, 3).is_err());
        assert_eq!(tree.consistency_proof(0, 5).unwrap(), vec![]);
        assert_eq!(tree.consistency_proof(5, 5).unwrap(), vec![]);
        verify_consistency(0, 5, &empty_root(), &tree.root(), &[]).unwrap();
        verify_consistency(5, 5, &tree.root(), &tree.root(), &[]).unwrap();
        assert!(verify_consistency(0, 5, &tree.root(), &tree.root(), &[]).is_err());
        assert!(verify_inclusion(0, 0, &tree.root(), &[], &tree.root()).is_err());
        // A tree of one leaf: the leaf is the root, with an empty proof.
        let one = Tree::from_leaf_hashes(leaves(1));
        verify_inclusion(0, 1, &one.leaf(0).unwrap(), &[], &one.root()).unwrap();
        // 1,000,000 leaves: a proof is at most 20 hashes (640 bytes); the
        // last leaf's is one per complete subtree to its left.
        assert_eq!(inclusion_proof_len(123_456, 1_000_000), 20);
        assert_eq!(inclusion_proof_len(999_999, 1_000_000), 12);
        let longest = (0..1_000_000).map(|i| inclusion_proof_len(i, 1_000_000)).max();
        assert_eq!(longest, Some(20));
    }
}
