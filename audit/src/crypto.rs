//! Hashes and signatures: SHA-256 and Ed25519, as `FORMAT.md` specifies.

use std::fmt;

use ring::digest;
use ring::signature::{UnparsedPublicKey, ED25519};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A SHA-256 digest, written as 64 lower-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self::of_parts(&[bytes])
    }

    /// The digest of the concatenation of `parts`.
    pub fn of_parts(parts: &[&[u8]]) -> Self {
        let mut ctx = digest::Context::new(&digest::SHA256);
        for part in parts {
            ctx.update(part);
        }
        let mut out = [0u8; 32];
        out.copy_from_slice(ctx.finish().as_ref());
        Digest(out)
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parse 64 lower-case hex digits (FORMAT.md §1: canonical hex is lower case).
    pub fn from_hex(s: &str) -> Result<Self, HexError> {
        fixed_from_hex::<32>(s).map(Digest)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.to_hex())
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// A hex string of the wrong length or with a non-hex character.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("expected {expected} lower-case hex digits, found {found:?}")]
pub struct HexError {
    /// How many hex digits were expected.
    pub expected: usize,
    /// What was found (truncated).
    pub found: String,
}

fn fixed_from_hex<const N: usize>(s: &str) -> Result<[u8; N], HexError> {
    let err = || HexError {
        expected: N * 2,
        found: s.chars().take(80).collect(),
    };
    let mut out = [0u8; N];
    // FORMAT.md §1: hex is lower case; anything else is not canonical, and
    // re-encoding it would change the bytes that were signed or hashed.
    if s.len() != N * 2 || !s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Err(err());
    }
    hex::decode_to_slice(s, &mut out).map_err(|_| err())?;
    Ok(out)
}

macro_rules! hex_serde {
    ($t:ty, $n:expr) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&hex::encode(self.0))
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                fixed_from_hex::<$n>(&s)
                    .map(Self)
                    .map_err(serde::de::Error::custom)
            }
        }
    };
}

hex_serde!(Digest, 32);

/// An Ed25519 public key (32 bytes, hex in JSON).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey(pub [u8; 32]);
hex_serde!(PublicKey, 32);

/// An Ed25519 signature (64 bytes, hex in JSON).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature(pub [u8; 64]);
hex_serde!(Signature, 64);

impl PublicKey {
    /// Whether `signature` is this key's Ed25519 signature of `message`.
    pub fn verifies(&self, message: &[u8], signature: &Signature) -> bool {
        UnparsedPublicKey::new(&ED25519, &self.0)
            .verify(message, &signature.0)
            .is_ok()
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// A short fingerprint for people: the first 16 hex digits of SHA-256 of the key.
    pub fn fingerprint(&self) -> String {
        Digest::of(&self.0).to_hex()[..16].to_string()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_hex())
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({}…)", &hex::encode(self.0)[..16])
    }
}

/// A 16-byte random value (ballot nonce), hex in JSON.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Nonce(pub [u8; 16]);
hex_serde!(Nonce, 16);

impl fmt::Debug for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nonce({})", hex::encode(self.0))
    }
}

/// A 32-byte secret revealed after the tally: the seed lots are drawn from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Seed(pub [u8; 32]);
hex_serde!(Seed, 32);

impl fmt::Debug for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Seed({})", hex::encode(self.0))
    }
}

impl Seed {
    /// The commitment logged before the polls open: SHA-256 of the seed.
    pub fn commitment(&self) -> Digest {
        Digest::of(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_abc_is_the_standard_vector() {
        assert_eq!(
            Digest::of(b"abc").to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(Digest::of_parts(&[b"a", b"bc"]), Digest::of(b"abc"));
    }

    #[test]
    fn hex_round_trips_and_rejects_bad_lengths() {
        let d = Digest::of(b"x");
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(serde_json::from_str::<Digest>(&json).unwrap(), d);
        assert!(serde_json::from_str::<Digest>("\"abcd\"").is_err());
        assert!(serde_json::from_str::<Nonce>("\"zz000000000000000000000000000000\"").is_err());
        // Upper case is not canonical (§1): refused, never lower-cased.
        assert!(serde_json::from_str::<Nonce>("\"0000000000000000000000000000000A\"").is_err());
        assert!(serde_json::from_str::<Nonce>("\"0000000000000000000000000000000a\"").is_ok());
    }
}
