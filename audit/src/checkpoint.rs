//! Signed checkpoints: the election key's statement of the log's size and head.

use serde::{Deserialize, Serialize};

use crate::canonical;
use crate::crypto::{Digest, PublicKey, Signature};

/// The `format` value of a checkpoint.
pub const CHECKPOINT_FORMAT: &str = "teller-checkpoint/1";

/// Why a checkpoint was signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckpointReason {
    /// The polls opened.
    Opened,
    /// A batch of ballots was sealed.
    Sealed,
    /// The polls closed.
    Closed,
    /// The count was made.
    Tallied,
    /// The committee certified the result.
    Certified,
}

impl CheckpointReason {
    /// As written in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckpointReason::Opened => "opened",
            CheckpointReason::Sealed => "sealed",
            CheckpointReason::Closed => "closed",
            CheckpointReason::Tallied => "tallied",
            CheckpointReason::Certified => "certified",
        }
    }
}

/// What a checkpoint states.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// Always `teller-checkpoint/1`; it also separates checkpoint signatures
    /// from receipt signatures.
    pub format: String,
    /// The election's id.
    #[serde(deserialize_with = "canonical::election_id")]
    pub election: String,
    /// Number of log entries covered.
    pub size: u64,
    /// Hash of entry `size - 1`.
    pub head: Digest,
    /// When it was signed (seconds since the Unix epoch).
    pub time: i64,
    /// Why it was signed.
    pub reason: CheckpointReason,
}

/// A checkpoint with the election key's signature over its canonical encoding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "SignedWire")]
pub struct SignedCheckpoint {
    /// The statement.
    #[serde(flatten)]
    pub checkpoint: Checkpoint,
    /// Ed25519 signature of `canonical(checkpoint)`.
    pub signature: Signature,
}

/// A signed checkpoint as written: every member at one level, none unknown
/// (a flattened struct would drop unknown members silently).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignedWire {
    format: String,
    #[serde(deserialize_with = "canonical::election_id")]
    election: String,
    size: u64,
    head: Digest,
    time: i64,
    reason: CheckpointReason,
    signature: Signature,
}

impl From<SignedWire> for SignedCheckpoint {
    fn from(w: SignedWire) -> Self {
        SignedCheckpoint {
            checkpoint: Checkpoint {
                format: w.format,
                election: w.election,
                size: w.size,
                head: w.head,
                time: w.time,
                reason: w.reason,
            },
            signature: w.signature,
        }
    }
}

impl Checkpoint {
    /// The bytes the election key signs.
    pub fn signed_bytes(&self) -> Vec<u8> {
        canonical::to_bytes(self).expect(canonical::ENCODABLE)
    }
}

impl SignedCheckpoint {
    /// Whether the signature is `key`'s.
    pub fn verifies(&self, key: &PublicKey) -> bool {
        self.checkpoint.format == CHECKPOINT_FORMAT && key.verifies(&self.checkpoint.signed_bytes(), &self.signature)
    }
}
