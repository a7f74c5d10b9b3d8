//! A share sealed to its recipient: ECIES on ristretto255 with
//! HKDF-SHA256 and ChaCha20-Poly1305 (§16.3).
//!
//! To seal the share `s = s_ij` from dealer `i` for recipient `j` (key
//! `E_j`) in attempt `a`:
//!
//! 1. draw `y` (§14.4); `Y = g^y`, `S = E_j^y`;
//! 2. `info = str("teller/share-encryption/v1") ‖ str(election id) ‖ u32(a) ‖ u32(i) ‖ u32(j) ‖ elt(Y) ‖ elt(E_j)`;
//! 3. `key = HKDF-SHA256(salt = empty, IKM = E(S), info, L = 32)`;
//! 4. `ciphertext = ChaCha20-Poly1305-Seal(key, nonce = 12 zero bytes, AAD = info, plaintext = the 32 bytes of s)`.
//!
//! The recipient computes `S = Y^{d_j}`. Anyone holding `S` (a complaint
//! publishes it, §16.4) can open that one share, and nothing else: `y` is
//! fresh per share, so each key seals one message and the zero nonce is
//! safe. No share is ever on the board in a form the server can open.

use std::fmt;

use ring::{aead, hkdf};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

use super::TrusteeIndex;
use crate::encrypted::group::{decode_scalar, g_pow, random_scalar, Element, RandomSource, Scalar};
use crate::encrypted::hash::{tag, Framer};

/// Bytes of a sealed share: 32 of ciphertext and the 16-byte tag.
pub const SEALED_LEN: usize = 48;

/// Who a share is from and for, in which attempt: bound into `info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShareContext<'a> {
    /// The election's id.
    pub election: &'a str,
    /// The attempt (from 1).
    pub attempt: u32,
    /// The dealer `i`.
    pub dealer: TrusteeIndex,
    /// The recipient `j`.
    pub recipient: TrusteeIndex,
}

/// The 48 sealed bytes, written as 96 lower-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SealedBytes(pub [u8; SEALED_LEN]);

impl fmt::Debug for SealedBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SealedBytes({})", hex::encode(self.0))
    }
}

impl Serialize for SealedBytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(self.0))
    }
}

impl<'de> Deserialize<'de> for SealedBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let lower = text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        let mut out = [0u8; SEALED_LEN];
        match hex::decode_to_slice(text.as_bytes(), &mut out) {
            Ok(()) if lower => Ok(SealedBytes(out)),
            _ => Err(serde::de::Error::custom(format!(
                "expected a sealed share, 96 lower-case hex digits, found {:?}",
                text.chars().take(100).collect::<String>()
            ))),
        }
    }
}

/// One sealed share as a `deal` carries it: `{"to": j, "ephemeral": E(Y), "ciphertext": 96 hex}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedShare {
    /// The recipient `j`.
    pub to: TrusteeIndex,
    /// `Y = g^y`; never the identity (§14.2).
    pub ephemeral: Element,
    /// The AEAD output.
    pub ciphertext: SealedBytes,
}

/// Everything one sealing computes, for the test vectors (§B
/// `share-encryption`).
#[derive(Debug, Clone)]
pub struct Sealing {
    /// The share as sealed.
    pub sealed: SealedShare,
    /// The shared secret `S = E_j^y`.
    pub secret: Element,
    /// The framed `info` (HKDF info and AEAD associated data).
    pub info: Vec<u8>,
    /// The HKDF output (the AEAD key).
    pub key: Zeroizing<[u8; 32]>,
}

/// Why a sealed share does not open (§16.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// `Y` is the identity, which a recipient refuses.
    #[error("the ephemeral key is the identity")]
    IdentityEphemeral,
    /// The tag does not verify: wrong key, or the bytes were changed.
    #[error("the sealed share does not open (its tag does not verify)")]
    Tag,
    /// It opens, but the 32 bytes are not a canonical scalar.
    #[error("the share opens to bytes that are not a canonical scalar")]
    NonCanonical,
}

/// `info` for a share (§16.3 step 2): the framed bytes themselves.
pub fn info(ctx: &ShareContext<'_>, ephemeral: &Element, recipient_key: &Element) -> Vec<u8> {
    let mut f = Framer::bytes(tag::SHARE_ENCRYPTION);
    f.str(ctx.election)
        .u32(ctx.attempt)
        .u32(ctx.dealer)
        .u32(ctx.recipient)
        .elt(ephemeral)
        .elt(recipient_key);
    f.into_bytes()
}

/// HKDF's output length as ring wants it named.
struct KeyLength;

impl hkdf::KeyType for KeyLength {
    fn len(&self) -> usize {
        32
    }
}

/// `HKDF-SHA256(salt = empty, IKM = E(S), info, L = 32)` (§16.3 step 3).
/// RFC 5869's empty salt is HMAC's all-zero key, which ring's empty salt is.
pub fn derive_key(secret: &Element, info: &[u8]) -> Zeroizing<[u8; 32]> {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, &[]).extract(secret.as_bytes());
    let mut key = Zeroizing::new([0u8; 32]);
    // Expanding 32 bytes from SHA-256 cannot fail (the limit is 255 × 32).
    if let Ok(okm) = prk.expand(&[info], KeyLength) {
        let _ = okm.fill(key.as_mut());
    }
    key
}

fn aead_key(key: &[u8; 32]) -> aead::LessSafeKey {
    let unbound =
        aead::UnboundKey::new(&aead::CHACHA20_POLY1305, key).expect("32 bytes is ChaCha20-Poly1305's key length");
    aead::LessSafeKey::new(unbound)
}

/// Seal `share` for the recipient whose key is `recipient_key`, drawing `y`.
pub fn seal(
    ctx: &ShareContext<'_>,
    recipient_key: &Element,
    share: &Scalar,
    rng: &mut dyn RandomSource,
) -> SealedShare {
    let y = random_scalar(rng);
    seal_with(ctx, recipient_key, share, &y).sealed
}

/// Seal `share` with the given `y` (§16.3 steps 1–4), returning every
/// intermediate value.
pub fn seal_with(ctx: &ShareContext<'_>, recipient_key: &Element, share: &Scalar, y: &Scalar) -> Sealing {
    let ephemeral = Element::from_point(g_pow(y));
    let secret = Element::from_point(recipient_key.point() * y);
    let info = info(ctx, &ephemeral, recipient_key);
    let key = derive_key(&secret, &info);
    let mut in_out = Zeroizing::new(share.to_bytes().to_vec());
    let nonce = aead::Nonce::assume_unique_for_key([0; 12]);
    // Sealing 32 bytes cannot exceed ChaCha20-Poly1305's limits.
    let _ = aead_key(&key).seal_in_place_append_tag(nonce, aead::Aad::from(&info[..]), &mut *in_out);
    let mut ciphertext = [0u8; SEALED_LEN];
    ciphertext.copy_from_slice(&in_out[..SEALED_LEN]);
    Sealing {
        sealed: SealedShare {
            to: ctx.recipient,
            ephemeral,
            ciphertext: SealedBytes(ciphertext),
        },
        secret,
        info,
        key,
    }
}

/// The shared secret `S = Y^{d_j}` the recipient computes.
pub fn shared_secret(ephemeral: &Element, recipient_secret: &Scalar) -> Element {
    Element::from_point(ephemeral.point() * recipient_secret)
}

/// Open a share as its recipient, with the secret `d_j`.
pub fn open(
    ctx: &ShareContext<'_>,
    recipient_secret: &Scalar,
    recipient_key: &Element,
    sealed: &SealedShare,
) -> Result<Zeroizing<Scalar>, OpenError> {
    if sealed.ephemeral.is_identity() {
        return Err(OpenError::IdentityEphemeral);
    }
    let secret = shared_secret(&sealed.ephemeral, recipient_secret);
    open_with_secret(ctx, &secret, recipient_key, sealed)
}

/// Open a share with its shared secret `S` (as anyone can once a complaint
/// publishes it, §16.4).
pub fn open_with_secret(
    ctx: &ShareContext<'_>,
    secret: &Element,
    recipient_key: &Element,
    sealed: &SealedShare,
) -> Result<Zeroizing<Scalar>, OpenError> {
    if sealed.ephemeral.is_identity() {
        return Err(OpenError::IdentityEphemeral);
    }
    let info = info(ctx, &sealed.ephemeral, recipient_key);
    let key = derive_key(secret, &info);
    let mut in_out = Zeroizing::new(sealed.ciphertext.0.to_vec());
    let nonce = aead::Nonce::assume_unique_for_key([0; 12]);
    let plain = aead_key(&key)
        .open_in_place(nonce, aead::Aad::from(&info[..]), &mut in_out)
        .map_err(|_| OpenError::Tag)?;
    let mut bytes = Zeroizing::new([0u8; 32]);
    bytes.copy_from_slice(plain);
    decode_scalar(&bytes)
        .map(Zeroizing::new)
        .map_err(|_| OpenError::NonCanonical)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encrypted::group::OsRandom;

    const CTX: ShareContext<'static> = ShareContext {
        election: "2a6f16d2-c738-4ef1-8402-71c1bfa25a25",
        attempt: 1,
        dealer: 1,
        recipient: 2,
    };

    #[test]
    fn a_share_opens_for_its_recipient_only() {
        let d = random_scalar(&mut OsRandom);
        let key = Element::from_point(g_pow(&d));
        let share = *random_scalar(&mut OsRandom);
        let sealed = seal(&CTX, &key, &share, &mut OsRandom);
        assert_eq!(*open(&CTX, &d, &key, &sealed).unwrap(), share);
        let other = random_scalar(&mut OsRandom);
        assert_eq!(open(&CTX, &other, &key, &sealed).unwrap_err(), OpenError::Tag);
        // Another attempt, dealer or recipient changes `info`: refused.
        let moved = ShareContext { attempt: 2, ..CTX };
        assert_eq!(open(&moved, &d, &key, &sealed).unwrap_err(), OpenError::Tag);
        let mut flipped = sealed;
        flipped.ciphertext.0[0] ^= 1;
        assert_eq!(open(&CTX, &d, &key, &flipped).unwrap_err(), OpenError::Tag);
        let mut identity = sealed;
        identity.ephemeral = Element::identity();
        assert_eq!(
            open(&CTX, &d, &key, &identity).unwrap_err(),
            OpenError::IdentityEphemeral
        );
    }

    #[test]
    fn a_non_canonical_plaintext_is_refused() {
        // Seal ℓ's bytes by hand: they open, but are not a scalar.
        let d = random_scalar(&mut OsRandom);
        let key = Element::from_point(g_pow(&d));
        let y = random_scalar(&mut OsRandom);
        let mut sealing = seal_with(&CTX, &key, &Scalar::ONE, &y);
        let mut l = hex::decode("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010").unwrap();
        let nonce = aead::Nonce::assume_unique_for_key([0; 12]);
        aead_key(&sealing.key)
            .seal_in_place_append_tag(nonce, aead::Aad::from(&sealing.info[..]), &mut l)
            .unwrap();
        sealing.sealed.ciphertext.0.copy_from_slice(&l);
        assert_eq!(
            open(&CTX, &d, &key, &sealing.sealed).unwrap_err(),
            OpenError::NonCanonical
        );
    }

    #[test]
    fn sealed_bytes_are_96_lower_case_hex_digits() {
        let json = format!("\"{}\"", "ab".repeat(48));
        assert!(serde_json::from_str::<SealedBytes>(&json).is_ok());
        assert!(serde_json::from_str::<SealedBytes>(&json.to_uppercase()).is_err());
        assert!(serde_json::from_str::<SealedBytes>(&format!("\"{}\"", "ab".repeat(47))).is_err());
    }
}
