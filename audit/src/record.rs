//! The election record: everything an auditor needs, in one JSON document.

use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;

use crate::ballot::PublishedBallot;
use crate::checkpoint::SignedCheckpoint;
use crate::crypto::{Digest, PublicKey};
use crate::definition::Definition;
use crate::encrypted::nonces::BallotSeed;
use crate::encrypted::published::PublishedEncryptedBallot;
use crate::log::ChainedEntry;
use crate::tally::Tally;
use crate::trustees::decrypt::Aggregate;
use crate::trustees::envelope::Envelope;
use crate::trustees::TrusteeIndex;

/// The `format` value of a record.
pub const RECORD_FORMAT: &str = "teller-record/2";

/// The `format` of records made by earlier versions of Teller, which this
/// version does not read (FORMAT.md §13).
pub const EARLIER_RECORD_FORMATS: &[&str] = &["teller-record/1"];

/// The whole record of one election.
///
/// Its `ballots` member holds plain ballots, or, in an encrypted election
/// (FORMAT.md §16.9), encrypted ones: in memory the
/// former are [`Record::ballots`] and the latter
/// [`Record::encrypted_ballots`] (at most one of the two is `Some`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RecordWire", into = "RecordWire")]
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
    /// An encrypted election's ballots (written as `ballots`), sorted by
    /// tracker, published from the close (§16.9); `None` otherwise.
    pub encrypted_ballots: Option<Vec<PublishedEncryptedBallot>>,
    /// Eligible voters, tokens issued and used, ballots.
    pub counts: Counts,
    /// The tally with its figures, once made.
    pub tally: Option<Tally>,
    /// An encrypted election's trustees, ceremony, audited ballots and
    /// decryption (§16.9); absent in a plain election's record.
    pub encryption: Option<EncryptionRecord>,
}

/// The record as written: `ballots` is either kind, and `encryption` is
/// absent in a plain election's record.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordWire {
    format: String,
    election: ElectionInfo,
    public_key: PublicKey,
    log: Vec<ChainedEntry>,
    checkpoints: Vec<SignedCheckpoint>,
    ballots: Option<Vec<AnyBallot>>,
    counts: Counts,
    tally: Option<Tally>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    encryption: Option<EncryptionRecord>,
}

/// One published ballot of either kind (told apart by their members: an
/// encrypted ballot has `format`, a plain one `tracker`).
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum AnyBallot {
    Plain(PublishedBallot),
    Encrypted(PublishedEncryptedBallot),
}

impl TryFrom<RecordWire> for Record {
    type Error = String;

    fn try_from(w: RecordWire) -> Result<Record, String> {
        let (mut plain, mut encrypted) = (Vec::new(), Vec::new());
        let published = w.ballots.is_some();
        for b in w.ballots.into_iter().flatten() {
            match b {
                AnyBallot::Plain(b) => plain.push(b),
                AnyBallot::Encrypted(b) => encrypted.push(b),
            }
        }
        if !plain.is_empty() && !encrypted.is_empty() {
            return Err("the record's ballots mix plain and encrypted ballots".into());
        }
        let is_encrypted = !encrypted.is_empty() || w.encryption.is_some();
        Ok(Record {
            format: w.format,
            election: w.election,
            public_key: w.public_key,
            log: w.log,
            checkpoints: w.checkpoints,
            ballots: (published && !is_encrypted).then_some(plain),
            encrypted_ballots: (published && is_encrypted).then_some(encrypted),
            counts: w.counts,
            tally: w.tally,
            encryption: w.encryption,
        })
    }
}

impl From<Record> for RecordWire {
    fn from(r: Record) -> RecordWire {
        let ballots = match (r.ballots, r.encrypted_ballots) {
            (Some(plain), _) => Some(plain.into_iter().map(AnyBallot::Plain).collect()),
            (None, Some(encrypted)) => Some(encrypted.into_iter().map(AnyBallot::Encrypted).collect()),
            (None, None) => None,
        };
        RecordWire {
            format: r.format,
            election: r.election,
            public_key: r.public_key,
            log: r.log,
            checkpoints: r.checkpoints,
            ballots,
            counts: r.counts,
            tally: r.tally,
            encryption: r.encryption,
        }
    }
}

/// The `format` of the record's `encryption` member.
pub const ENCRYPTION_FORMAT: &str = "teller-encryption/1";

/// The record's `encryption` member (§16.9).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptionRecord {
    /// Always [`ENCRYPTION_FORMAT`].
    pub format: String,
    /// The trustees staff named, by index.
    pub trustees: Vec<TrusteeName>,
    /// Every accepted ceremony envelope (§16.2), in log order.
    pub ceremony: Vec<Envelope>,
    /// The audited ballots, sorted by tracker; `null` before the close.
    pub audited: Option<Vec<PublishedAudited>>,
    /// The encrypted totals; `null` until aggregated.
    pub aggregate: Option<Aggregate>,
    /// Every accepted `decrypt` envelope (§16.7), in log order.
    pub decryptions: Vec<Envelope>,
    /// The decrypted totals; `null` until combined.
    pub totals: Option<Vec<Total>>,
}

// Envelope bodies are JSON values, whose equality is an equivalence.
impl Eq for EncryptionRecord {}

/// `{"trustee": j, "name": …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrusteeName {
    /// The index `j`.
    pub trustee: TrusteeIndex,
    /// The name staff gave it.
    pub name: String,
}

/// An audited ballot as the record publishes it: §16.10's file without
/// `definition` and `encryption` (the record has them), its ballot without
/// `election`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishedAudited {
    /// The encrypted ballot.
    pub ballot: PublishedEncryptedBallot,
    /// Its tracker.
    pub tracker: Digest,
    /// The seed its randomness derives from (§14.10).
    pub seed: BallotSeed,
    /// The choices it opens to.
    #[serde(deserialize_with = "crate::canonical::strict_map")]
    pub choices: BTreeMap<String, Vec<String>>,
}

/// One decrypted total: `{"target": index, "trustees": Q, "value": t}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Total {
    /// The target's index in the aggregate.
    pub target: u64,
    /// `Q`: the trustees whose factors were combined.
    pub trustees: Vec<TrusteeIndex>,
    /// `t`.
    pub value: u64,
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
