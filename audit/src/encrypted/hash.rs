//! Framed, domain-separated hashing (FORMAT.md
//! §14.5–§14.6): `H256` (SHA-256, a 32-byte digest) and `HS` (SHA-512
//! reduced modulo ℓ, a scalar).
//!
//! A hash input is a sequence of typed items, each written as its length
//! (4 bytes, big-endian) and its bytes, after the domain tag (itself framed
//! as a `str`). Each tag fixes the number, order and types of its items; a
//! list of varying length starts with its count ([`Framer::list`]). So two
//! different inputs never give the same bytes.
//!
//! ```
//! use teller_audit::encrypted::hash::{Framer, tag};
//! let mut h = Framer::h256(tag::ELECTION_FINGERPRINT);
//! h.str("an id").u32(2);
//! let digest: [u8; 32] = h.digest();
//! # let _ = digest;
//! ```

use sha2::{Digest as _, Sha256, Sha512};

use super::group::{Element, Scalar};

/// The domain tags of §14.6: every hash, challenge and key derivation has
/// its own, listed here and nowhere else.
pub mod tag {
    /// The election fingerprint (§14.7).
    pub const ELECTION_FINGERPRINT: &str = "teller/election-fingerprint/v1";
    /// Encryption randomness from a ballot seed (§14.10).
    pub const ENCRYPTION_NONCE: &str = "teller/encryption-nonce/v1";
    /// The per-option range proof's challenge (§15.2).
    pub const SELECTION_PROOF: &str = "teller/selection-proof/v1";
    /// The per-contest limit proof's challenge (§15.3).
    pub const CONTEST_PROOF: &str = "teller/contest-proof/v1";
    /// The digest of the trustee roster (§16.2).
    pub const DKG_ROSTER: &str = "teller/dkg-roster/v1";
    /// Proof of a trustee's encryption key (§16.2).
    pub const KEY_POSSESSION: &str = "teller/key-possession/v1";
    /// A trustee's commitment to its coefficients (§16.2).
    pub const DKG_COMMITMENT: &str = "teller/dkg-commitment/v1";
    /// Proof of knowledge of a coefficient (§16.2).
    pub const DKG_COEFFICIENT: &str = "teller/dkg-coefficient/v1";
    /// HKDF info and AEAD associated data for a share (§16.3).
    pub const SHARE_ENCRYPTION: &str = "teller/share-encryption/v1";
    /// A complaint's proof of the shared secret (§16.4).
    pub const DKG_COMPLAINT: &str = "teller/dkg-complaint/v1";
    /// Proof that a trustee holds its key share (§16.2).
    pub const SHARE_POSSESSION: &str = "teller/share-possession/v1";
    /// The digest of the encrypted totals (§16.6).
    pub const AGGREGATE: &str = "teller/aggregate/v1";
    /// Proof of a partial decryption (§16.7).
    pub const DECRYPTION_PROOF: &str = "teller/decryption-proof/v1";
    /// Secrets of the test vectors, drawn from their labels (§B). Never
    /// used for anything but vectors.
    pub const TEST_VECTOR: &str = "teller/test-vector/v1";

    /// Every tag of §14.6, in its table's order (not the test-vector tag).
    pub const ALL: [&str; 13] = [
        ELECTION_FINGERPRINT,
        ENCRYPTION_NONCE,
        SELECTION_PROOF,
        CONTEST_PROOF,
        DKG_ROSTER,
        KEY_POSSESSION,
        DKG_COMMITMENT,
        DKG_COEFFICIENT,
        SHARE_ENCRYPTION,
        DKG_COMPLAINT,
        SHARE_POSSESSION,
        AGGREGATE,
        DECRYPTION_PROOF,
    ];
}

/// Where framed bytes go: a hash function, or a buffer (for test vectors,
/// and for inputs such as HKDF's `info` that are the framed bytes
/// themselves).
pub trait Sink {
    /// Append bytes.
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Sha256 {
    fn put(&mut self, bytes: &[u8]) {
        self.update(bytes)
    }
}

impl Sink for Sha512 {
    fn put(&mut self, bytes: &[u8]) {
        self.update(bytes)
    }
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes)
    }
}

/// Writes the items of §14.5 into a [`Sink`], each framed by its length.
/// Methods return `&mut Self` so items chain; [`Framer::digest`],
/// [`Framer::scalar`] and [`Framer::into_bytes`] finish.
#[derive(Clone)]
pub struct Framer<S: Sink> {
    sink: S,
}

impl Framer<Sha256> {
    /// `H256(tag; …)`: SHA-256 over the framed tag and items.
    pub fn h256(tag: &str) -> Self {
        Framer::start(Sha256::new(), tag)
    }

    /// The 32-byte digest.
    pub fn digest(self) -> [u8; 32] {
        self.sink.finalize().into()
    }
}

impl Framer<Sha512> {
    /// `HS(tag; …)`: SHA-512 over the framed tag and items, as a scalar.
    pub fn hs(tag: &str) -> Self {
        Framer::start(Sha512::new(), tag)
    }

    /// The 64-byte digest read as a little-endian integer, reduced mod ℓ.
    pub fn scalar(self) -> Scalar {
        let wide: [u8; 64] = self.sink.finalize().into();
        Scalar::from_bytes_mod_order_wide(&wide)
    }
}

impl Framer<Vec<u8>> {
    /// The framed bytes themselves, starting with `str(tag)`.
    pub fn bytes(tag: &str) -> Self {
        Framer::start(Vec::new(), tag)
    }

    /// The framed bytes without a tag: for showing single items.
    pub fn untagged() -> Self {
        Framer { sink: Vec::new() }
    }

    /// The bytes written.
    pub fn into_bytes(self) -> Vec<u8> {
        self.sink
    }
}

impl<S: Sink> Framer<S> {
    fn start(sink: S, tag: &str) -> Self {
        let mut framer = Framer { sink };
        framer.str(tag);
        framer
    }

    fn frame(&mut self, bytes: &[u8]) -> &mut Self {
        // Every item in this format is far below 4 GiB (ids are at most 64
        // characters, lists at most a few hundred items).
        let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
        self.sink.put(&len.to_be_bytes());
        self.sink.put(bytes);
        self
    }

    /// `str(s)`: the UTF-8 bytes of `s` (a tag, an id).
    pub fn str(&mut self, s: &str) -> &mut Self {
        self.frame(s.as_bytes())
    }

    /// `u32(n)`: 4 bytes, big-endian.
    pub fn u32(&mut self, n: u32) -> &mut Self {
        self.frame(&n.to_be_bytes())
    }

    /// `u64(n)`: 8 bytes, big-endian.
    pub fn u64(&mut self, n: u64) -> &mut Self {
        self.frame(&n.to_be_bytes())
    }

    /// `raw(b)`: the bytes themselves (a digest, a nonce, a seed).
    pub fn raw(&mut self, b: &[u8]) -> &mut Self {
        self.frame(b)
    }

    /// `elt(P)`: the element's 32-byte encoding.
    pub fn elt(&mut self, p: &Element) -> &mut Self {
        self.frame(p.as_bytes())
    }

    /// `sc(s)`: the scalar's 32-byte encoding.
    pub fn sc(&mut self, s: &Scalar) -> &mut Self {
        self.frame(s.as_bytes())
    }

    /// Starts `list(x₁…xₙ)`: writes `u32(n)`. The caller then writes the
    /// `n` items, each with its own type.
    pub fn list(&mut self, n: usize) -> &mut Self {
        self.u32(u32::try_from(n).unwrap_or(u32::MAX))
    }
}

/// A test vector's secret, from its label (§B):
/// `HS("teller/test-vector/v1"; str(label))`. Never for real secrets.
pub fn test_scalar(label: &str) -> Scalar {
    let mut h = Framer::hs(tag::TEST_VECTOR);
    h.str(label);
    h.scalar()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_framed_as_the_draft_shows() {
        let mut f = Framer::untagged();
        f.str("ab");
        assert_eq!(hex::encode(f.into_bytes()), "000000026162");
        let mut f = Framer::untagged();
        f.u32(3);
        assert_eq!(hex::encode(f.into_bytes()), "0000000400000003");
        let mut f = Framer::untagged();
        f.list(2).u64(1);
        assert_eq!(hex::encode(f.into_bytes()), "0000000400000002000000080000000000000001");
    }

    #[test]
    fn the_three_finishes_agree_on_the_bytes() {
        let mut bytes = Framer::bytes(tag::AGGREGATE);
        bytes.str("x").elt(&Element::generator());
        let bytes = bytes.into_bytes();
        let mut h = Framer::h256(tag::AGGREGATE);
        h.str("x").elt(&Element::generator());
        assert_eq!(h.digest(), <[u8; 32]>::from(Sha256::digest(&bytes)));
        let mut s = Framer::hs(tag::AGGREGATE);
        s.str("x").elt(&Element::generator());
        let wide: [u8; 64] = Sha512::digest(&bytes).into();
        assert_eq!(s.scalar(), Scalar::from_bytes_mod_order_wide(&wide));
        assert_eq!(&bytes[..4], &[0, 0, 0, 19]);
    }

    #[test]
    fn tags_are_distinct() {
        let set: std::collections::BTreeSet<_> = tag::ALL.iter().collect();
        assert_eq!(set.len(), tag::ALL.len());
    }
}
