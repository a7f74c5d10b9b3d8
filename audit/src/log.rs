//! The append-only, hash-chained audit log: its entries and the chain rule.

use serde::{Deserialize, Serialize};

use crate::canonical;
use crate::crypto::{Digest, PublicKey, Seed, Signature};

/// One log entry, without its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Position in the log, from 0.
    pub seq: u64,
    /// When the entry was appended, in whole seconds since the Unix epoch (UTC).
    pub time: i64,
    /// What happened.
    #[serde(flatten)]
    pub event: Event,
}

/// A log entry with the hash that chains it to its predecessors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainedEntry {
    /// The entry.
    #[serde(flatten)]
    pub entry: LogEntry,
    /// SHA-256(previous hash ‖ canonical(entry)).
    pub hash: Digest,
}

/// What a log entry records. Every staff action that changes an election names
/// its `actor`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum Event {
    /// The election exists; its signing key is fixed.
    ElectionCreated {
        /// The election's id.
        election: String,
        /// Its title.
        title: String,
        /// The election's Ed25519 public key.
        public_key: PublicKey,
        /// Who created it.
        actor: String,
    },
    /// The draft definition was replaced (before the polls opened).
    DefinitionUpdated {
        /// SHA-256 of the new definition's canonical encoding.
        definition_hash: Digest,
        /// Who changed it.
        actor: String,
    },
    /// Members were added to the roll.
    RollImported {
        /// Members added by this import.
        added: u64,
        /// Members on the roll afterwards.
        total: u64,
        /// Who imported them.
        actor: String,
    },
    /// A member of the election committee registered the public key they
    /// will certify the result with (before the polls open).
    CertifierRegistered {
        /// The certifier's name.
        certifier: String,
        /// Their Ed25519 public key; the private key never reaches the server.
        public_key: PublicKey,
        /// Who registered it.
        actor: String,
    },
    /// Voting tokens were issued to members who had none.
    TokensIssued {
        /// How many were issued.
        count: u64,
        /// Who issued them.
        actor: String,
    },
    /// New tokens were issued to members and sent to them (by e-mail or
    /// printed letter), replacing any they had; old ones no longer work.
    TokensSent {
        /// `invitation`, `reminder` or `letter`.
        kind: String,
        /// Members sent a token.
        count: u64,
        /// Who sent them.
        actor: String,
    },
    /// A member's token was replaced; the old one no longer works.
    TokenReissued {
        /// HMAC of the member id under a server key: staff can recognise the
        /// member, the public cannot.
        member_ref: String,
        /// Who re-issued it.
        actor: String,
    },
    /// The polls opened; the definition is frozen.
    PollsOpened {
        /// SHA-256 of the frozen definition's canonical encoding.
        definition_hash: Digest,
        /// Members on the roll: the eligible voters.
        eligible: u64,
        /// Tokens issued so far.
        tokens_issued: u64,
        /// SHA-256 of the seed lots will be drawn from, revealed at the tally.
        lot_seed_commitment: Digest,
        /// Certifiers who must sign the result to certify it (0: the
        /// election is not certified by a committee).
        certification_quorum: u32,
        /// When the polls are scheduled to close, if they are.
        closes_at: Option<i64>,
        /// Who opened them (or `scheduler`).
        actor: String,
    },
    /// A ballot, sealed into the log. Its content is published after the tally.
    Ballot {
        /// The ballot's tracker.
        tracker: Digest,
    },
    /// The end of a batch of ballot entries.
    Seal {
        /// Seal number, from 1.
        seal: u64,
        /// Ballot entries since the previous seal.
        ballots: u64,
    },
    /// The closing time changed while the polls were open.
    ScheduleChanged {
        /// The new closing time, if any.
        closes_at: Option<i64>,
        /// Why.
        reason: String,
        /// Who changed it.
        actor: String,
    },
    /// The polls closed.
    PollsClosed {
        /// Tokens used to cast a ballot.
        tokens_used: u64,
        /// Ballots in the log.
        ballots: u64,
        /// Why (for example "scheduled close" or a reason given by staff).
        reason: String,
        /// Who closed them (or `scheduler`).
        actor: String,
    },
    /// A certifier signed the result (after the tally).
    Certification {
        /// The certifier's name.
        certifier: String,
        /// The registered key that signed.
        public_key: PublicKey,
        /// Ed25519 signature of the certification statement (FORMAT.md §8b).
        signature: Signature,
    },
    /// Enough certifiers signed: the result is certified.
    Certified {
        /// Valid signatures.
        signatures: u64,
        /// The quorum set when the polls opened.
        quorum: u32,
    },
    /// The count was made.
    Tallied {
        /// SHA-256 of the tally's canonical encoding.
        tally_digest: Digest,
        /// The seed committed to when the polls opened.
        lot_seed: Seed,
        /// Who ran the tally.
        actor: String,
    },
}

impl Event {
    /// The entry type as written in the log.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::ElectionCreated { .. } => "election_created",
            Event::DefinitionUpdated { .. } => "definition_updated",
            Event::RollImported { .. } => "roll_imported",
            Event::TokensIssued { .. } => "tokens_issued",
            Event::TokenReissued { .. } => "token_reissued",
            Event::TokensSent { .. } => "tokens_sent",
            Event::PollsOpened { .. } => "polls_opened",
            Event::Ballot { .. } => "ballot",
            Event::Seal { .. } => "seal",
            Event::ScheduleChanged { .. } => "schedule_changed",
            Event::PollsClosed { .. } => "polls_closed",
            Event::Tallied { .. } => "tallied",
            Event::CertifierRegistered { .. } => "certifier_registered",
            Event::Certification { .. } => "certification",
            Event::Certified { .. } => "certified",
        }
    }
}

/// The hash before the first entry: 32 zero bytes.
pub const GENESIS: Digest = Digest([0; 32]);

impl LogEntry {
    /// The canonical encoding the chain hashes.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        match &self.event {
            // Most entries are ballots: write them directly.
            Event::Ballot { tracker } => format!(
                r#"{{"data":{{"tracker":"{}"}},"seq":{},"time":{},"type":"ballot"}}"#,
                tracker.to_hex(),
                self.seq,
                self.time
            )
            .into_bytes(),
            _ => canonical::to_bytes(self).expect(canonical::ENCODABLE),
        }
    }

    /// This entry's hash, chained to `previous`.
    pub fn chain_hash(&self, previous: &Digest) -> Digest {
        Digest::of_parts(&[&previous.0, &self.canonical_bytes()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_encode_with_type_and_data_beside_seq_and_time() {
        let e = LogEntry {
            seq: 3,
            time: 1_700_000_000,
            event: Event::Seal { seal: 1, ballots: 2 },
        };
        assert_eq!(
            String::from_utf8(e.canonical_bytes()).unwrap(),
            r#"{"data":{"ballots":2,"seal":1},"seq":3,"time":1700000000,"type":"seal"}"#
        );
        let back: LogEntry = serde_json::from_slice(&e.canonical_bytes()).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn ballot_entries_are_written_directly_but_canonically() {
        let e = LogEntry {
            seq: 12,
            time: -3,
            event: Event::Ballot {
                tracker: Digest([7; 32]),
            },
        };
        assert_eq!(e.canonical_bytes(), canonical::to_bytes(&e).unwrap());
    }

    #[test]
    fn the_chain_hash_covers_the_previous_hash() {
        let e = LogEntry {
            seq: 0,
            time: 0,
            event: Event::Seal { seal: 1, ballots: 0 },
        };
        assert_ne!(e.chain_hash(&GENESIS), e.chain_hash(&Digest([1; 32])));
    }
}
