//! The election record: everything an auditor needs, in one JSON document.

use serde::{Deserialize, Serialize};

use crate::ballot::PublishedBallot;
use crate::checkpoint::SignedCheckpoint;
use crate::crypto::PublicKey;
use crate::definition::Definition;
use crate::log::ChainedEntry;
use crate::tally::Tally;

/// The `format` value of a record.
pub const RECORD_FORMAT: &str = "teller-record/2";

/// The `format` of records made by earlier versions of Teller, which this
/// version does not read (FORMAT.md §13).
pub const EARLIER_RECORD_FORMATS: &[&str] = &["teller-record/1"];

/// The whole record of one election.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// Always `teller-record/2`.
    pub format: String,
    /// Which election, and its definition.
    pub election: ElectionInfo,
    /// The election's Ed25519 public key.
    pub public_key: PublicKey,
    /// The audit log, every entry with its chained hash, in order.
    pub log: Vec<ChainedEntry>,
    /// Signed checkpoints, in order of size.
    pub checkpoints: Vec<SignedCheckpoint>,
    /// The ballots sorted by tracker; `null` until the tally is published, so
    /// that no partial result can be computed while the polls are open.
    pub ballots: Option<Vec<PublishedBallot>>,
    /// Eligible voters, tokens issued and used, ballots.
    pub counts: Counts,
    /// The tally with its figures, once made.
    pub tally: Option<Tally>,
}

/// The election the record is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElectionInfo {
    /// The election's id.
    #[serde(deserialize_with = "crate::canonical::election_id")]
    pub id: String,
    /// Lifecycle state when the record was exported.
    pub state: String,
    /// The definition (frozen since the polls opened).
    pub definition: Definition,
}

/// The figures an auditor checks against each other and against the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counts {
    /// Members on the roll when the polls opened (0 before).
    pub eligible: u64,
    /// Members holding a token.
    pub tokens_issued: u64,
    /// Tokens used to cast a ballot, as of the last seal.
    pub tokens_used: u64,
    /// Ballot entries in the log.
    pub ballots: u64,
}
