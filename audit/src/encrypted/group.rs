//! The group ristretto255 (RFC 9496) and its scalars, as encrypted ballots
//! use them (FORMAT.md §14.1–§14.4).
//!
//! Every element read from outside is decoded here, at the edge, into an
//! [`Element`], which cannot hold anything but a valid group element and
//! keeps the 32 bytes it was read from (its only encoding, so hashes over
//! received bytes are hashes over the element). A refused encoding is named
//! by an [`ElementError`], with the reason a verifier reports. Scalars are
//! read canonically (no silent reduction) and drawn without bias: 64 random
//! bytes reduced modulo ℓ.

use std::fmt;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::ristretto::CompressedRistretto;
use curve25519_dalek::traits::Identity;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

use crate::crypto::Digest;

pub use curve25519_dalek::ristretto::RistrettoPoint;
pub use curve25519_dalek::scalar::Scalar;

/// Bytes in an encoded element or scalar.
pub const ENCODED_LEN: usize = 32;

/// Why 64 hex digits are not an element (§14.2). The checks run in the
/// order of the variants, and the first that fails names the reason, so
/// every implementation names the same one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ElementError {
    /// Not exactly 64 lower-case hex digits.
    #[error("not 64 lower-case hex digits")]
    Hex,
    /// The field element `s` is not canonical: `s ≥ p = 2^255 − 19`, which
    /// includes any encoding with the top bit of its last byte set.
    #[error("not a canonical encoding (the field element is at least 2^255 - 19)")]
    NonCanonical,
    /// `s` is negative (odd) in RFC 9496's sense.
    #[error("not a canonical encoding (the field element is negative)")]
    Negative,
    /// RFC 9496 Decode fails for another reason: `s` gives no point (a
    /// non-square, a negative `x·y`, or `y = 0`).
    #[error("not an element of ristretto255 (RFC 9496 decoding fails)")]
    NotInGroup,
}

impl ElementError {
    /// The reason's name, as reported and as the test vectors spell it.
    pub fn reason(&self) -> &'static str {
        match self {
            ElementError::Hex => "hex",
            ElementError::NonCanonical => "non-canonical",
            ElementError::Negative => "negative",
            ElementError::NotInGroup => "not-in-group",
        }
    }
}

/// An element that must not be the identity is (§14.2), naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} is the identity element, which is not allowed there")]
pub struct IdentityError {
    /// The field, such as `alpha` or `joint_key`.
    pub field: String,
}

/// A ristretto255 element with its 32-byte encoding `E(P)`.
///
/// Built only by decoding bytes (which refuses every invalid encoding) or
/// from a computed point (which is encoded once, here), so it always holds
/// a group element and the one encoding of it.
#[derive(Clone, Copy)]
pub struct Element {
    point: RistrettoPoint,
    bytes: [u8; ENCODED_LEN],
}

impl Element {
    /// Decode 32 bytes (RFC 9496 §4.3.1), naming the first check that fails.
    pub fn decode(bytes: &[u8; ENCODED_LEN]) -> Result<Element, ElementError> {
        if !field_is_canonical(bytes) {
            return Err(ElementError::NonCanonical);
        }
        if bytes[0] & 1 == 1 {
            return Err(ElementError::Negative);
        }
        let point = CompressedRistretto(*bytes)
            .decompress()
            .ok_or(ElementError::NotInGroup)?;
        Ok(Element { point, bytes: *bytes })
    }

    /// Decode 64 lower-case hex digits (FORMAT.md §1), then the bytes.
    pub fn from_hex(text: &str) -> Result<Element, ElementError> {
        let bytes = Digest::from_hex(text).map_err(|_| ElementError::Hex)?;
        Element::decode(&bytes.0)
    }

    /// The element of a computed point (encodes it: a field inversion).
    pub fn from_point(point: RistrettoPoint) -> Element {
        Element {
            point,
            bytes: point.compress().to_bytes(),
        }
    }

    /// The generator `g` (§14.1).
    pub fn generator() -> Element {
        Element::from_point(RISTRETTO_BASEPOINT_POINT)
    }

    /// The identity, encoded as 32 zero bytes.
    pub fn identity() -> Element {
        Element {
            point: RistrettoPoint::identity(),
            bytes: [0; ENCODED_LEN],
        }
    }

    /// The point, for arithmetic.
    pub fn point(&self) -> &RistrettoPoint {
        &self.point
    }

    /// The encoding `E(P)`.
    pub fn as_bytes(&self) -> &[u8; ENCODED_LEN] {
        &self.bytes
    }

    /// The encoding `E(P)`, as a value.
    pub fn to_bytes(&self) -> [u8; ENCODED_LEN] {
        self.bytes
    }

    /// The encoding as 64 lower-case hex digits.
    pub fn to_hex(&self) -> String {
        let mut buf = [0u8; 2 * ENCODED_LEN];
        crate::crypto::hex_in(&self.bytes, &mut buf).to_string()
    }

    /// Whether this is the identity. The encoding is unique, so this is a
    /// comparison of bytes.
    pub fn is_identity(&self) -> bool {
        self.bytes == [0; ENCODED_LEN]
    }

    /// This element, unless it is the identity (§14.2's list of fields that
    /// must not be), in which case the error names `field`.
    pub fn non_identity(self, field: &str) -> Result<Element, IdentityError> {
        if self.is_identity() {
            Err(IdentityError {
                field: field.to_string(),
            })
        } else {
            Ok(self)
        }
    }
}

impl PartialEq for Element {
    fn eq(&self, other: &Element) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for Element {}

impl std::hash::Hash for Element {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.bytes.hash(state)
    }
}

impl fmt::Debug for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Element({})", self.to_hex())
    }
}

impl From<RistrettoPoint> for Element {
    fn from(point: RistrettoPoint) -> Element {
        Element::from_point(point)
    }
}

impl Serialize for Element {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Written in place: a ballot has a few hundred of them.
        let mut buf = [0u8; 2 * ENCODED_LEN];
        s.serialize_str(crate::crypto::hex_in(&self.bytes, &mut buf))
    }
}

impl<'de> Deserialize<'de> for Element {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Element::from_hex(&text).map_err(|e| {
            serde::de::Error::custom(format!(
                "expected a ristretto255 element (64 lower-case hex digits): {} ({}), found {:?}",
                e,
                e.reason(),
                text.chars().take(80).collect::<String>()
            ))
        })
    }
}

/// Whether the little-endian 32 bytes are below `p = 2^255 − 19`.
fn field_is_canonical(bytes: &[u8; ENCODED_LEN]) -> bool {
    if bytes[31] & 0x80 != 0 {
        return false;
    }
    // Below 2^255: at least p exactly when bytes 1..31 are all 0xff, the
    // last is 0x7f and the first is at least 0xed.
    !(bytes[31] == 0x7f && bytes[1..31].iter().all(|&b| b == 0xff) && bytes[0] >= 0xed)
}

/// Why 64 hex digits are not a scalar (§14.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ScalarError {
    /// Not exactly 64 lower-case hex digits.
    #[error("not 64 lower-case hex digits")]
    Hex,
    /// The little-endian integer is at least ℓ (never reduced on input).
    #[error("not a canonical scalar (at least the group order)")]
    NonCanonical,
}

impl ScalarError {
    /// The reason's name, as reported and as the test vectors spell it.
    pub fn reason(&self) -> &'static str {
        match self {
            ScalarError::Hex => "hex",
            ScalarError::NonCanonical => "non-canonical",
        }
    }
}

/// Decode a scalar from its 32 bytes, refusing any integer ≥ ℓ (§14.3).
pub fn decode_scalar(bytes: &[u8; ENCODED_LEN]) -> Result<Scalar, ScalarError> {
    Option::<Scalar>::from(Scalar::from_canonical_bytes(*bytes)).ok_or(ScalarError::NonCanonical)
}

/// Decode a scalar from 64 lower-case hex digits.
pub fn scalar_from_hex(text: &str) -> Result<Scalar, ScalarError> {
    let bytes = Digest::from_hex(text).map_err(|_| ScalarError::Hex)?;
    decode_scalar(&bytes.0)
}

/// A scalar as 64 lower-case hex digits (32 bytes, little-endian).
pub fn scalar_to_hex(s: &Scalar) -> String {
    let mut buf = [0u8; 64];
    crate::crypto::hex_in(s.as_bytes(), &mut buf).to_string()
}

/// A small integer (a count, a weight, an index) as a scalar: `m mod ℓ`,
/// which is `m` itself below 2^64 (§14.3).
pub fn int(m: u64) -> Scalar {
    Scalar::from(m)
}

/// `g^s` (constant time in `s`).
pub fn g_pow(s: &Scalar) -> RistrettoPoint {
    RistrettoPoint::mul_base(s)
}

/// The generator `g` as a point.
pub const G: RistrettoPoint = RISTRETTO_BASEPOINT_POINT;

/// Serde for a scalar field as 64 hex digits, read canonically: use with
/// `#[serde(with = "crate::encrypted::group::hex_scalar")]`.
pub mod hex_scalar {
    use super::*;

    /// Write 64 lower-case hex digits.
    pub fn serialize<S: Serializer>(s: &Scalar, ser: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 64];
        ser.serialize_str(crate::crypto::hex_in(s.as_bytes(), &mut buf))
    }

    /// Read 64 lower-case hex digits of a canonical scalar.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        scalar_from_hex(&text).map_err(|e| {
            serde::de::Error::custom(format!(
                "expected a scalar (64 lower-case hex digits, below the group order): {} ({}), found {:?}",
                e,
                e.reason(),
                text.chars().take(80).collect::<String>()
            ))
        })
    }
}

/// Where random bytes come from. Provers and samplers take one as an
/// argument, so that test vectors can fix every value drawn
/// ([`ScriptedRandom`]); in use it is [`OsRandom`].
pub trait RandomSource {
    /// Fill `out` with random bytes.
    fn fill(&mut self, out: &mut [u8]);
}

/// The operating system's CSPRNG (`getrandom`).
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandom;

impl RandomSource for OsRandom {
    fn fill(&mut self, out: &mut [u8]) {
        use rand_core::Rng;
        // Panics only if the operating system has no random source at all,
        // when nothing secret can be made safely anyway.
        rand_core::UnwrapErr(getrandom::SysRng).fill_bytes(out)
    }
}

/// A random source that returns a fixed sequence of byte strings, one per
/// call, each of exactly the length asked for: the test vectors' way to fix
/// every drawn value (§B). A call whose length differs from the next
/// string's, or a call after the last, is a bug in the vector and panics.
#[derive(Debug, Clone)]
pub struct ScriptedRandom {
    draws: std::collections::VecDeque<Vec<u8>>,
    taken: Vec<Vec<u8>>,
}

impl ScriptedRandom {
    /// A source that returns `draws` in order.
    pub fn new(draws: Vec<Vec<u8>>) -> ScriptedRandom {
        ScriptedRandom {
            draws: draws.into(),
            taken: Vec::new(),
        }
    }

    /// Draws not yet taken.
    pub fn remaining(&self) -> usize {
        self.draws.len()
    }

    /// Every draw taken so far, in order.
    pub fn taken(&self) -> &[Vec<u8>] {
        &self.taken
    }
}

impl RandomSource for ScriptedRandom {
    fn fill(&mut self, out: &mut [u8]) {
        let next = self.draws.pop_front().unwrap_or_default();
        assert_eq!(
            next.len(),
            out.len(),
            "scripted draw {} has the wrong length",
            self.taken.len()
        );
        out.copy_from_slice(&next);
        self.taken.push(next);
    }
}

/// The 64 bytes a [`RandomSource`] must return for [`random_scalar`] to
/// draw exactly `s`: its encoding followed by 32 zero bytes (the wide
/// reduction of that is `s`). For test vectors.
pub fn draw_for(s: &Scalar) -> Vec<u8> {
    let mut out = s.to_bytes().to_vec();
    out.resize(64, 0);
    out
}

/// A random non-zero scalar, without bias (§14.4): 64 bytes read as a
/// little-endian integer and reduced modulo ℓ, drawn again if zero.
pub fn random_scalar(rng: &mut dyn RandomSource) -> Zeroizing<Scalar> {
    loop {
        let mut wide = Zeroizing::new([0u8; 64]);
        rng.fill(wide.as_mut());
        let s = Zeroizing::new(Scalar::from_bytes_mod_order_wide(&wide));
        if *s != Scalar::ZERO {
            return s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const G_HEX: &str = "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76";

    #[test]
    fn generator_and_identity_encode_as_the_rfc_says() {
        assert_eq!(Element::generator().to_hex(), G_HEX);
        assert_eq!(Element::identity().to_hex(), "00".repeat(32));
        assert_eq!(Element::from_point(RistrettoPoint::identity()), Element::identity());
        assert!(Element::from_hex(&"00".repeat(32)).unwrap().is_identity());
        assert_eq!(Element::from_hex(G_HEX).unwrap().point(), &G);
    }

    #[test]
    fn refusals_are_named_in_order() {
        let p = format!("ed{}7f", "ff".repeat(30));
        assert_eq!(Element::from_hex(&p), Err(ElementError::NonCanonical));
        assert_eq!(
            Element::from_hex(&format!("00{}", "ff".repeat(31))),
            Err(ElementError::NonCanonical)
        );
        assert_eq!(
            Element::from_hex(&format!("01{}", "00".repeat(31))),
            Err(ElementError::Negative)
        );
        let minus_one = format!("ec{}7f", "ff".repeat(30));
        assert_eq!(Element::from_hex(&minus_one), Err(ElementError::NotInGroup));
        assert_eq!(Element::from_hex(&G_HEX.to_uppercase()), Err(ElementError::Hex));
        assert_eq!(Element::from_hex(&G_HEX[1..]), Err(ElementError::Hex));
        let err = serde_json::from_str::<Element>(&format!("\"{p}\"")).unwrap_err();
        assert!(err.to_string().contains("(non-canonical)"), "{err}");
    }

    #[test]
    fn identity_is_refused_where_it_must_be() {
        let e = Element::identity().non_identity("alpha").unwrap_err();
        assert_eq!(e.field, "alpha");
        assert!(Element::generator().non_identity("alpha").is_ok());
    }

    #[test]
    fn scalars_are_read_without_reduction() {
        let l = "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";
        assert_eq!(scalar_from_hex(l), Err(ScalarError::NonCanonical));
        let l_minus_1 = "ecd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";
        assert_eq!(scalar_from_hex(l_minus_1).unwrap(), -Scalar::ONE);
        assert_eq!(scalar_from_hex(&"00".repeat(32)).unwrap(), Scalar::ZERO);
        assert_eq!(scalar_from_hex(&"FF".repeat(32)), Err(ScalarError::Hex));
    }

    #[test]
    fn scripted_draws_give_the_scalars_they_encode() {
        let s = Scalar::from(12345u64);
        let mut rng = ScriptedRandom::new(vec![vec![0; 64], draw_for(&s)]);
        // The zero draw is skipped, as §14.4 says.
        assert_eq!(*random_scalar(&mut rng), s);
        assert_eq!(rng.remaining(), 0);
        assert_ne!(*random_scalar(&mut OsRandom), Scalar::ZERO);
    }
}
