//! Receipts: the election key's signed promise that a ballot will be in the
//! log by a named seal.

use serde::{Deserialize, Serialize};

use crate::ballot::Ballot;
use crate::canonical;
use crate::crypto::{Digest, PublicKey, Signature};

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
    /// The ballot itself (whoever holds the receipt can see its choices).
    pub ballot: Ballot,
    /// The ballot will be in the log no later than this seal.
    pub seal: u64,
    /// The election key that signs.
    pub public_key: PublicKey,
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
    ballot: Ballot,
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
        canonical::to_bytes(self).expect(canonical::ENCODABLE)
    }
}

/// What is wrong with a receipt on its own, before any record is consulted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptProblem {
    /// Unknown format string.
    #[error("the receipt's format is {0:?}, not teller-receipt/1")]
    Format(String),
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
        if b.ballot.election != b.election {
            out.push(ReceiptProblem::ElectionMismatch {
                receipt: b.election.clone(),
                ballot: b.ballot.election.clone(),
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
