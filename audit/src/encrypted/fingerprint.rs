//! The election fingerprint (FORMAT.md §14.7): one
//! digest that binds every proof to one election, one definition, one joint
//! key and one set of trustees.

use super::group::Element;
use super::hash::{tag, Framer, Sink};
use crate::crypto::Digest;

/// The group's name as the fingerprint hashes it.
pub const GROUP_NAME: &str = "ristretto255";

/// What the fingerprint is computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FingerprintInput<'a> {
    /// The election id (36 characters, FORMAT.md §1).
    pub election: &'a str,
    /// SHA-256 of the canonical definition (FORMAT.md §3).
    pub definition_hash: Digest,
    /// The threshold `K`.
    pub threshold: u32,
    /// The joint key `h`.
    pub joint_key: Element,
    /// `(j, K_j)` for each trustee of the ceremony's completing attempt, in
    /// any order: they are hashed by increasing `j`.
    pub verification_keys: &'a [(u32, Element)],
}

impl FingerprintInput<'_> {
    /// `fp = H256("teller/election-fingerprint/v1"; str(election),
    /// raw(definition_hash), str("ristretto255"), u32(K), elt(h),
    /// list((u32(j), elt(K_j)) by increasing j))`.
    pub fn fingerprint(&self) -> Digest {
        let mut h = Framer::h256(tag::ELECTION_FINGERPRINT);
        self.write(&mut h);
        Digest(h.digest())
    }

    /// The framed bytes hashed (tag included), for test vectors.
    pub fn framed_bytes(&self) -> Vec<u8> {
        let mut f = Framer::bytes(tag::ELECTION_FINGERPRINT);
        self.write(&mut f);
        f.into_bytes()
    }

    fn write<S: Sink>(&self, h: &mut Framer<S>) {
        let mut keys = self.verification_keys.to_vec();
        keys.sort_by_key(|(j, _)| *j);
        h.str(self.election)
            .raw(&self.definition_hash.0)
            .str(GROUP_NAME)
            .u32(self.threshold)
            .elt(&self.joint_key)
            .list(keys.len());
        for (j, key) in &keys {
            h.u32(*j).elt(key);
        }
    }
}

/// The first 16 hex digits, as the console and the ballot page show them.
pub fn short(fp: &Digest) -> String {
    fp.to_hex()[..16].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encrypted::group::{g_pow, int};

    #[test]
    fn keys_are_hashed_in_trustee_order_and_every_input_counts() {
        let key = |n| Element::from_point(g_pow(&int(n)));
        let keys = [(3, key(3)), (1, key(1))];
        let input = FingerprintInput {
            election: "2a6f16d2-c738-4ef1-8402-71c1bfa25a25",
            definition_hash: Digest::of(b"definition"),
            threshold: 2,
            joint_key: key(7),
            verification_keys: &keys,
        };
        let sorted = [(1, key(1)), (3, key(3))];
        let fp = input.fingerprint();
        assert_eq!(
            FingerprintInput {
                verification_keys: &sorted,
                ..input.clone()
            }
            .fingerprint(),
            fp
        );
        assert_ne!(
            FingerprintInput {
                threshold: 3,
                ..input.clone()
            }
            .fingerprint(),
            fp
        );
        assert_ne!(
            FingerprintInput {
                joint_key: key(8),
                ..input.clone()
            }
            .fingerprint(),
            fp
        );
        assert_ne!(
            FingerprintInput {
                verification_keys: &sorted[..1],
                ..input.clone()
            }
            .fingerprint(),
            fp
        );
        assert_eq!(Digest::of(&input.framed_bytes()), fp);
        assert_eq!(short(&fp).len(), 16);
    }
}
