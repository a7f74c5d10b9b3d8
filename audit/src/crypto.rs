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

/// Each byte's value as a lower-case hex digit, or 0xff if it is not one.
const NIBBLE: [u8; 256] = {
    let mut table = [0xff; 256];
    let mut i = 0;
    while i < 16 {
        table[HEX_DIGITS[i] as usize] = i as u8;
        i += 1;
    }
    table
};

fn fixed_from_hex<const N: usize>(s: &str) -> Result<[u8; N], HexError> {
    let err = || HexError {
        expected: N * 2,
        found: s.chars().take(80).collect(),
    };
    // FORMAT.md §1: hex is lower case; anything else is not canonical, and
    // re-encoding it would change the bytes that were signed or hashed.
    if s.len() != N * 2 {
        return Err(err());
    }
    let mut out = [0u8; N];
    // No branch per digit: a verifier decodes millions of digests.
    let mut invalid = 0u8;
    for (byte, pair) in out.iter_mut().zip(s.as_bytes().chunks_exact(2)) {
        let (high, low) = (NIBBLE[usize::from(pair[0])], NIBBLE[usize::from(pair[1])]);
        invalid |= high | low;
        *byte = high << 4 | low;
    }
    if invalid > 0x0f {
        return Err(err());
    }
    Ok(out)
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Lower-case hex of `bytes`, appended to `out` (the canonical spelling,
/// FORMAT.md §1).
pub fn push_hex(bytes: &[u8], out: &mut Vec<u8>) {
    out.reserve(bytes.len() * 2);
    for &b in bytes {
        out.push(HEX_DIGITS[usize::from(b >> 4)]);
        out.push(HEX_DIGITS[usize::from(b & 0x0f)]);
    }
}

/// Lower-case hex of `bytes` written into `buf` (twice their length), as
/// text: no allocation, for serialising digests and keys.
pub(crate) fn hex_in<'b>(bytes: &[u8], buf: &'b mut [u8]) -> &'b str {
    for (pair, &b) in buf.chunks_exact_mut(2).zip(bytes) {
        pair[0] = HEX_DIGITS[usize::from(b >> 4)];
        pair[1] = HEX_DIGITS[usize::from(b & 0x0f)];
    }
    // Only ASCII hex digits were written.
    std::str::from_utf8(buf).unwrap_or_default()
}

/// Reads a fixed-length hex string from the text the deserializer holds,
/// without copying it first.
struct HexVisitor<const N: usize>;

impl<const N: usize> serde::de::Visitor<'_> for HexVisitor<N> {
    type Value = [u8; N];

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<[u8; N], E> {
        fixed_from_hex::<N>(v).map_err(E::custom)
    }
}

macro_rules! hex_serde {
    ($t:ty, $n:expr) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut buf = [0u8; $n * 2];
                s.serialize_str(hex_in(&self.0, &mut buf))
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_str(HexVisitor::<$n>).map(Self)
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

    /// Parse 64 lower-case hex digits.
    pub fn from_hex(s: &str) -> Result<Self, HexError> {
        fixed_from_hex::<32>(s).map(PublicKey)
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
