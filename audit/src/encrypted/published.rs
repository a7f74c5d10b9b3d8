//! Encrypted ballots as the record publishes them
//! (FORMAT.md §14.11, §16.9): the ballot of §14.11
//! without its `election` member, which the record's `election.id` implies,
//! as for plain ballots (FORMAT.md §8).
//!
//! The tracker commits to the whole ballot, `election` included, so a
//! verifier adds the member back ([`PublishedEncryptedBallot::with_election`])
//! before hashing.

use serde::{Deserialize, Serialize};

use super::ballot::{EncryptedBallot, EncryptedContest};
use crate::count::Weight;
use crate::crypto::{Digest, Nonce};

/// An encrypted ballot in the record's `ballots` (or in an audited
/// ballot of its `encryption.audited`): §14.11 without `election`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishedEncryptedBallot {
    /// Always `teller-encrypted-ballot/1` (checked with the shape).
    pub format: String,
    /// The election fingerprint (§14.7).
    pub fingerprint: Digest,
    /// The ballot nonce, chosen by the device.
    pub nonce: Nonce,
    /// The member's weight, from the roll.
    pub weight: Weight,
    /// One member per contest of the definition, in definition order.
    pub contests: Vec<EncryptedContest>,
}

impl PublishedEncryptedBallot {
    /// The ballot as published: `ballot` without its `election`.
    pub fn of(ballot: EncryptedBallot) -> PublishedEncryptedBallot {
        PublishedEncryptedBallot {
            format: ballot.format,
            fingerprint: ballot.fingerprint,
            nonce: ballot.nonce,
            weight: ballot.weight,
            contests: ballot.contests,
        }
    }

    /// The whole ballot again, with the election id the record implies
    /// (a copy; see [`PublishedEncryptedBallot::into_ballot`]).
    pub fn with_election(&self, election: &str) -> EncryptedBallot {
        self.clone().into_ballot(election)
    }

    /// The whole ballot again, with the election id the record implies.
    pub fn into_ballot(self, election: &str) -> EncryptedBallot {
        EncryptedBallot {
            format: self.format,
            election: election.to_string(),
            fingerprint: self.fingerprint,
            nonce: self.nonce,
            weight: self.weight,
            contests: self.contests,
        }
    }

    /// The tracker of the whole ballot, `election` added back.
    pub fn tracker(&self, election: &str) -> Digest {
        self.with_election(election).tracker()
    }
}
