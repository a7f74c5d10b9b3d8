//! Encryption randomness from a ballot seed (FORMAT.md
//! §14.10).
//!
//! The device draws one 32-byte seed per encrypted ballot and derives every
//! ciphertext's randomness from it, so that revealing the seed of an audited
//! ballot opens its ciphertexts, and nothing else: proof nonces are drawn
//! fresh, never derived from the seed.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

use super::group::{RandomSource, Scalar};
use super::hash::{tag, Framer};
use crate::crypto::{Digest, Nonce};

/// The `str` item that marks an option's randomness.
pub const OPTION: &str = "option";
/// The `str` item that marks the indicator's randomness.
pub const INDICATOR: &str = "indicator";

/// A ballot's secret seed: 32 bytes, wiped when dropped. Revealed only when
/// the ballot is audited (written as 64 hex digits there).
#[derive(Clone, PartialEq, Eq)]
pub struct BallotSeed(Zeroizing<[u8; 32]>);

impl BallotSeed {
    /// A seed of these bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> BallotSeed {
        BallotSeed(Zeroizing::new(bytes))
    }

    /// A fresh seed: 32 bytes from `rng`.
    pub fn random(rng: &mut dyn RandomSource) -> BallotSeed {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rng.fill(bytes.as_mut());
        BallotSeed(bytes)
    }

    /// The seed's bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// 64 lower-case hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(*self.0)
    }
}

impl std::fmt::Debug for BallotSeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BallotSeed(…)")
    }
}

impl Serialize for BallotSeed {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for BallotSeed {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let digest = Digest::deserialize(d)?;
        Ok(BallotSeed::from_bytes(digest.0))
    }
}

/// A fresh ballot nonce: 16 bytes from `rng` (public, in the ballot).
pub fn random_nonce(rng: &mut dyn RandomSource) -> Nonce {
    let mut bytes = [0u8; 16];
    rng.fill(&mut bytes);
    Nonce(bytes)
}

/// `r(c, o) = HS("teller/encryption-nonce/v1"; raw(fp), raw(nonce),
/// raw(seed), str(c), str("option"), str(o))`.
pub fn option_randomness(
    fp: &Digest,
    nonce: &Nonce,
    seed: &BallotSeed,
    contest: &str,
    option: &str,
) -> Zeroizing<Scalar> {
    derive(fp, nonce, seed, contest, OPTION, option)
}

/// `r(c, indicator) = HS("teller/encryption-nonce/v1"; raw(fp), raw(nonce),
/// raw(seed), str(c), str("indicator"), str(""))`.
pub fn indicator_randomness(fp: &Digest, nonce: &Nonce, seed: &BallotSeed, contest: &str) -> Zeroizing<Scalar> {
    derive(fp, nonce, seed, contest, INDICATOR, "")
}

fn derive(fp: &Digest, nonce: &Nonce, seed: &BallotSeed, contest: &str, kind: &str, option: &str) -> Zeroizing<Scalar> {
    let mut h = Framer::hs(tag::ENCRYPTION_NONCE);
    h.raw(&fp.0)
        .raw(&nonce.0)
        .raw(seed.as_bytes())
        .str(contest)
        .str(kind)
        .str(option);
    Zeroizing::new(h.scalar())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_ciphertext_has_its_own_randomness() {
        let (fp, nonce, seed) = (Digest::of(b"fp"), Nonce([1; 16]), BallotSeed::from_bytes([2; 32]));
        let a = option_randomness(&fp, &nonce, &seed, "c", "a");
        assert_ne!(*a, *option_randomness(&fp, &nonce, &seed, "c", "b"));
        assert_ne!(*a, *option_randomness(&fp, &Nonce([3; 16]), &seed, "c", "a"));
        assert_ne!(
            *a,
            *option_randomness(&fp, &nonce, &BallotSeed::from_bytes([4; 32]), "c", "a")
        );
        assert_ne!(
            *indicator_randomness(&fp, &nonce, &seed, "c"),
            *option_randomness(&fp, &nonce, &seed, "c", "")
        );
        let json = serde_json::to_string(&seed).unwrap();
        assert_eq!(serde_json::from_str::<BallotSeed>(&json).unwrap(), seed);
        assert_eq!(format!("{seed:?}"), "BallotSeed(…)");
    }
}
