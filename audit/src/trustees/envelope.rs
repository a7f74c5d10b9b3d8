//! The signed envelope every trustee message travels in (§16.2).
//!
//! ```json
//! {"format": "teller-ceremony/1", "election": "<id>", "attempt": 1, "trustee": 2,
//!  "round": "commit", "body": { … }, "signature": "<128 hex>"}
//! ```
//!
//! The signature is Ed25519 (RFC 8032) by the trustee's registered signing
//! key over the canonical encoding (FORMAT.md §2) of the envelope without
//! `signature`; a message's digest is SHA-256 of the canonical encoding of
//! the whole envelope, signature included (§16.9).

use std::fmt;

use ring::signature::{Ed25519KeyPair, KeyPair};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::TrusteeIndex;
use crate::canonical;
use crate::crypto::{Digest, PublicKey, Signature};

/// The `format` of a ceremony message.
pub const ENVELOPE_FORMAT: &str = "teller-ceremony/1";

/// The round a message belongs to (§16.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Round {
    /// A trustee's keys, in attempt 0.
    Register,
    /// The digest of a trustee's coefficient commitments.
    Commit,
    /// The commitments themselves and the sealed shares.
    Deal,
    /// The shares received: good, or complaints.
    Check,
    /// The joint key and verification keys, with proof of the key share.
    Finish,
    /// A partial decryption of the encrypted totals (§16.7).
    Decrypt,
}

impl Round {
    /// The round's name, as written.
    pub fn name(self) -> &'static str {
        match self {
            Round::Register => "register",
            Round::Commit => "commit",
            Round::Deal => "deal",
            Round::Check => "check",
            Round::Finish => "finish",
            Round::Decrypt => "decrypt",
        }
    }
}

impl fmt::Display for Round {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A signed ceremony message, as posted, stored and published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// Always `teller-ceremony/1`.
    pub format: String,
    /// The election's id.
    #[serde(deserialize_with = "canonical::election_id")]
    pub election: String,
    /// 0 for `register`; the attempt (from 1) otherwise.
    pub attempt: u32,
    /// The sender's index.
    pub trustee: TrusteeIndex,
    /// Which round.
    pub round: Round,
    /// The round's body (its shape is checked by whoever reads it, so that
    /// a malformed `deal` can be accepted and ruled on, §16.4 rule 1). Read
    /// strictly: no key twice, and no fraction (it would have no canonical
    /// encoding to sign).
    #[serde(deserialize_with = "canonical_body")]
    pub body: Value,
    /// Ed25519 over [`Envelope::signed_bytes`].
    pub signature: Signature,
}

/// The envelope without its signature: what is signed.
#[derive(Serialize)]
struct Unsigned<'a> {
    format: &'a str,
    election: &'a str,
    attempt: u32,
    trustee: TrusteeIndex,
    round: Round,
    body: &'a Value,
}

impl Envelope {
    /// Sign `body` as trustee `trustee`'s message of `round` in `attempt`.
    pub fn sign(
        election: &str,
        attempt: u32,
        trustee: TrusteeIndex,
        round: Round,
        body: Value,
        key: &Ed25519KeyPair,
    ) -> Envelope {
        let mut envelope = Envelope {
            format: ENVELOPE_FORMAT.to_string(),
            election: election.to_string(),
            attempt,
            trustee,
            round,
            body,
            signature: Signature([0; 64]),
        };
        let mut signature = [0u8; 64];
        signature.copy_from_slice(key.sign(&envelope.signed_bytes()).as_ref());
        envelope.signature = Signature(signature);
        envelope
    }

    /// The canonical encoding of the envelope without `signature`: the
    /// bytes signed. (Every envelope read or signed here has one: a body
    /// with a fraction is refused when read.)
    pub fn signed_bytes(&self) -> Vec<u8> {
        let unsigned = Unsigned {
            format: &self.format,
            election: &self.election,
            attempt: self.attempt,
            trustee: self.trustee,
            round: self.round,
            body: &self.body,
        };
        canonical::to_bytes(&unsigned).unwrap_or_else(|_| serde_json::to_vec(&unsigned).unwrap_or_default())
    }

    /// Whether `key` signed this envelope.
    pub fn signed_by(&self, key: &PublicKey) -> bool {
        key.verifies(&self.signed_bytes(), &self.signature)
    }

    /// `SHA-256(canonical(envelope))`, signature included: the digest the
    /// log names the message by (§16.9).
    pub fn digest(&self) -> Digest {
        let bytes = canonical::to_bytes(self).unwrap_or_else(|_| serde_json::to_vec(self).unwrap_or_default());
        Digest::of(&bytes)
    }

    /// The canonical bytes of the whole envelope (what is stored and
    /// published).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        canonical::to_bytes(self).unwrap_or_else(|_| serde_json::to_vec(self).unwrap_or_default())
    }
}

/// A body read strictly, refusing what has no canonical encoding.
fn canonical_body<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
    let value = canonical::strict_value(d)?;
    canonical::value_to_bytes(&value).map_err(serde::de::Error::custom)?;
    Ok(value)
}

/// The Ed25519 public key of a key pair, as Teller writes keys.
pub fn public_key(pair: &Ed25519KeyPair) -> PublicKey {
    let mut key = [0u8; 32];
    key.copy_from_slice(pair.public_key().as_ref());
    PublicKey(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ELECTION: &str = "2a6f16d2-c738-4ef1-8402-71c1bfa25a25";

    #[test]
    fn a_signed_envelope_verifies_and_a_changed_one_does_not() {
        let pair = Ed25519KeyPair::from_seed_unchecked(&[7; 32]).unwrap();
        let body = serde_json::json!({"complaints": []});
        let e = Envelope::sign(ELECTION, 1, 2, Round::Check, body, &pair);
        assert!(e.signed_by(&public_key(&pair)));
        let text = serde_json::to_string(&e).unwrap();
        let back: Envelope = serde_json::from_str(&text).unwrap();
        assert_eq!(back, e);
        assert_eq!(back.digest(), e.digest());
        let mut other = e.clone();
        other.attempt = 2;
        assert!(!other.signed_by(&public_key(&pair)));
        assert!(String::from_utf8(e.signed_bytes())
            .unwrap()
            .starts_with(r#"{"attempt":1,"body":{"complaints":[]},"election":"#));
    }

    #[test]
    fn unknown_members_and_duplicate_keys_are_refused() {
        let pair = Ed25519KeyPair::from_seed_unchecked(&[7; 32]).unwrap();
        let e = Envelope::sign(ELECTION, 1, 2, Round::Check, serde_json::json!({}), &pair);
        let text = serde_json::to_string(&e).unwrap();
        assert!(serde_json::from_str::<Envelope>(&text.replacen('{', "{\"x\":1,", 1)).is_err());
        let dup = text.replacen("\"body\":{}", "\"body\":{\"a\":1,\"a\":2}", 1);
        assert!(serde_json::from_str::<Envelope>(&dup).is_err());
        let float = text.replacen("\"body\":{}", "\"body\":{\"a\":1.5}", 1);
        assert!(serde_json::from_str::<Envelope>(&float).is_err());
    }
}
