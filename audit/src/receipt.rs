//! Receipts: the election key's signed promise that a ballot will be in the
//! log by a named seal.

use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;

use crate::ballot::Ballot;
use crate::canonical;
use crate::count::Weight;
use crate::crypto::{Digest, Nonce, PublicKey, Signature};
use crate::encrypted::ballot::{EncryptedBallot, EncryptedContest, ENCRYPTED_BALLOT_FORMAT};

/// The `format` value of a receipt.
pub const RECEIPT_FORMAT: &str = "teller-receipt/1";

/// What a receipt promises.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptBody {
    /// Always `teller-receipt/1`.
    pub format: String,
    /// The election's id.
    #[serde(deserialize_with = "canonical::election_id")]
    pub election: String,
    /// The ballot's tracker.
    pub tracker: Digest,
    /// The ballot itself: in a plain election whoever holds the receipt
    /// can see its choices; in an encrypted one, only its ciphertexts.
    pub ballot: ReceiptBallot,
    /// The ballot will be in the log no later than this seal.
    pub seal: u64,
    /// The election key that signs.
    pub public_key: PublicKey,
}

/// The ballot a receipt carries: a plain ballot (FORMAT.md §4) or an
/// encrypted one (§14.11), told apart by the encrypted ballot's `format`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
#[serde(try_from = "AnyBallot")]
pub enum ReceiptBallot {
    /// A plain ballot.
    Plain(Ballot),
    /// An encrypted ballot.
    Encrypted(EncryptedBallot),
}

impl ReceiptBallot {
    /// The election the ballot names.
    pub fn election(&self) -> &str {
        match self {
            ReceiptBallot::Plain(b) => &b.election,
            ReceiptBallot::Encrypted(b) => &b.election,
        }
    }

    /// The ballot's tracker: SHA-256 of its canonical encoding.
    pub fn tracker(&self) -> Digest {
        match self {
            ReceiptBallot::Plain(b) => b.tracker(),
            ReceiptBallot::Encrypted(b) => b.tracker(),
        }
    }

    /// The plain ballot, if it is one.
    pub fn plain(&self) -> Option<&Ballot> {
        match self {
            ReceiptBallot::Plain(b) => Some(b),
            ReceiptBallot::Encrypted(_) => None,
        }
    }

    /// The encrypted ballot, if it is one.
    pub fn encrypted(&self) -> Option<&EncryptedBallot> {
        match self {
            ReceiptBallot::Plain(_) => None,
            ReceiptBallot::Encrypted(b) => Some(b),
        }
    }
}

impl From<Ballot> for ReceiptBallot {
    fn from(b: Ballot) -> Self {
        ReceiptBallot::Plain(b)
    }
}

impl From<EncryptedBallot> for ReceiptBallot {
    fn from(b: EncryptedBallot) -> Self {
        ReceiptBallot::Encrypted(b)
    }
}

/// Every member of either kind of ballot, read strictly (each member's
/// path is kept for the report), then sorted out by `format`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnyBallot {
    format: Option<String>,
    #[serde(deserialize_with = "canonical::election_id")]
    election: String,
    fingerprint: Option<Digest>,
    nonce: Nonce,
    #[serde(default, deserialize_with = "some_strict_map")]
    choices: Option<BTreeMap<String, Vec<String>>>,
    weight: Weight,
    contests: Option<Vec<EncryptedContest>>,
}

fn some_strict_map<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<BTreeMap<String, Vec<String>>>, D::Error> {
    canonical::strict_map(d).map(Some)
}

impl TryFrom<AnyBallot> for ReceiptBallot {
    type Error = String;
    fn try_from(b: AnyBallot) -> Result<Self, String> {
        match (b.format, b.fingerprint, b.choices, b.contests) {
            (None, None, Some(choices), None) => Ok(ReceiptBallot::Plain(Ballot {
                election: b.election,
                nonce: b.nonce,
                choices,
                weight: b.weight,
            })),
            (Some(format), Some(fingerprint), None, Some(contests)) => Ok(ReceiptBallot::Encrypted(EncryptedBallot {
                format,
                election: b.election,
                fingerprint,
                nonce: b.nonce,
                weight: b.weight,
                contests,
            })),
            _ => Err(
                "expected a ballot (§4: election, nonce, choices, weight) or an encrypted ballot (§14.11: format, election, fingerprint, nonce, weight, contests)".into(),
            ),
        }
    }
}

/// A receipt as the voter downloads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "ReceiptWire")]
pub struct Receipt {
    /// The promise.
    #[serde(flatten)]
    pub body: ReceiptBody,
    /// Ed25519 signature of `canonical(body)` by the election key.
    pub signature: Signature,
}

/// A receipt as written: every member at one level, none unknown.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReceiptWire {
    format: String,
    #[serde(deserialize_with = "canonical::election_id")]
    election: String,
    tracker: Digest,
    ballot: ReceiptBallot,
    seal: u64,
    public_key: PublicKey,
    signature: Signature,
}

impl From<ReceiptWire> for Receipt {
    fn from(w: ReceiptWire) -> Self {
        Receipt {
            body: ReceiptBody {
                format: w.format,
                election: w.election,
                tracker: w.tracker,
                ballot: w.ballot,
                seal: w.seal,
                public_key: w.public_key,
            },
            signature: w.signature,
        }
    }
}

impl ReceiptBody {
    /// The bytes the election key signs.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let ReceiptBallot::Encrypted(ballot) = &self.ballot else {
            return canonical::to_bytes(self).expect(canonical::ENCODABLE);
        };
        // The same bytes, faster (the server signs every cast): `ballot`
        // sorts first of the body's members, and an encrypted ballot's
        // canonical encoding is written directly, as for its tracker.
        #[derive(Serialize)]
        struct Rest<'a> {
            format: &'a str,
            election: &'a str,
            tracker: &'a Digest,
            seal: u64,
            public_key: &'a PublicKey,
        }
        let rest = canonical::to_bytes(&Rest {
            format: &self.format,
            election: &self.election,
            tracker: &self.tracker,
            seal: self.seal,
            public_key: &self.public_key,
        })
        .expect(canonical::ENCODABLE);
        let ballot = ballot.canonical_bytes();
        let mut out = Vec::with_capacity(ballot.len() + rest.len() + 16);
        out.extend_from_slice(b"{\"ballot\":");
        out.extend_from_slice(&ballot);
        out.push(b',');
        out.extend_from_slice(&rest[1..]);
        out
    }
}

/// What is wrong with a receipt on its own, before any record is consulted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptProblem {
    /// Unknown format string.
    #[error("the receipt's format is {0:?}, not teller-receipt/1")]
    Format(String),
    /// The encrypted ballot's format is not the one this reader knows: its
    /// members may read alike, but nothing says they mean the same.
    #[error("the receipt's encrypted ballot has format {0:?}, not teller-encrypted-ballot/1")]
    EncryptedBallotFormat(String),
    /// The ballot belongs to another election than the receipt names.
    #[error("the receipt names election {receipt} but its ballot is for {ballot}")]
    ElectionMismatch {
        /// The receipt's election.
        receipt: String,
        /// The ballot's election.
        ballot: String,
    },
    /// The tracker is not the hash of the ballot.
    #[error("the tracker {claimed} is not the hash of the ballot in the receipt ({computed})")]
    Tracker {
        /// What the receipt says.
        claimed: Digest,
        /// What the ballot hashes to.
        computed: Digest,
    },
    /// The signature is not the named key's.
    #[error("the signature is not a valid signature by key {0}")]
    Signature(String),
}

impl Receipt {
    /// Check the receipt's internal consistency and signature against the
    /// key it names.
    pub fn problems(&self) -> Vec<ReceiptProblem> {
        let b = &self.body;
        let mut out = Vec::new();
        if b.format != RECEIPT_FORMAT {
            out.push(ReceiptProblem::Format(b.format.clone()));
        }
        if let Some(encrypted) = b.ballot.encrypted() {
            if encrypted.format != ENCRYPTED_BALLOT_FORMAT {
                out.push(ReceiptProblem::EncryptedBallotFormat(encrypted.format.clone()));
            }
        }
        if b.ballot.election() != b.election {
            out.push(ReceiptProblem::ElectionMismatch {
                receipt: b.election.clone(),
                ballot: b.ballot.election().to_string(),
            });
        }
        let computed = b.ballot.tracker();
        if computed != b.tracker {
            out.push(ReceiptProblem::Tracker {
                claimed: b.tracker,
                computed,
            });
        }
        if !b.public_key.verifies(&b.signed_bytes(), &self.signature) {
            out.push(ReceiptProblem::Signature(b.public_key.to_hex()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{Ed25519KeyPair, KeyPair};

    const ELECTION: &str = "2a6f16d2-c738-4ef1-8402-71c1bfa25a25";

    /// RFC 8032 §7.1 TEST 1's key, as the election key.
    fn key() -> Ed25519KeyPair {
        let seed = hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60").unwrap();
        Ed25519KeyPair::from_seed_unchecked(&seed).unwrap()
    }

    /// A receipt of an encrypted ballot whose `format` is `format`, its
    /// tracker that ballot's hash and its signature the named key's, so
    /// that only the format can be at fault. (The contests do not matter
    /// here: a receipt's own checks do not open the ciphertexts.)
    fn encrypted_receipt(format: &str) -> Receipt {
        let pair = key();
        let ballot = ReceiptBallot::Encrypted(EncryptedBallot {
            format: format.into(),
            election: ELECTION.into(),
            fingerprint: Digest::of(b"fingerprint"),
            nonce: Nonce([7; 16]),
            weight: Weight::parse("1").unwrap(),
            contests: vec![],
        });
        let body = ReceiptBody {
            format: RECEIPT_FORMAT.into(),
            election: ELECTION.into(),
            tracker: ballot.tracker(),
            ballot,
            seal: 1,
            public_key: PublicKey(pair.public_key().as_ref().try_into().unwrap()),
        };
        let signature = Signature(pair.sign(&body.signed_bytes()).as_ref().try_into().unwrap());
        Receipt { body, signature }
    }

    /// Write the receipt and read it back, as `verify-receipt` does.
    fn reread(receipt: &Receipt) -> Receipt {
        serde_json::from_slice(&serde_json::to_vec(receipt).unwrap()).unwrap()
    }

    #[test]
    fn a_receipt_of_an_encrypted_ballot_of_format_1_has_no_problem() {
        let receipt = reread(&encrypted_receipt(ENCRYPTED_BALLOT_FORMAT));
        assert_eq!(receipt.problems(), vec![]);
    }

    #[test]
    fn a_receipt_of_an_encrypted_ballot_of_another_format_names_it() {
        for format in ["teller-encrypted-ballot/2", "", "Teller-Encrypted-Ballot/1"] {
            let receipt = reread(&encrypted_receipt(format));
            assert!(
                receipt.body.ballot.encrypted().is_some(),
                "{format:?} is read as an encrypted ballot"
            );
            let problems = receipt.problems();
            assert_eq!(problems, vec![ReceiptProblem::EncryptedBallotFormat(format.into())]);
            assert_eq!(
                problems[0].to_string(),
                format!("the receipt's encrypted ballot has format {format:?}, not teller-encrypted-ballot/1")
            );
        }
    }
}
