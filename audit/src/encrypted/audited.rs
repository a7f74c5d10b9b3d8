//! Audited ballots (Benaloh's cast-or-audit, FORMAT.md
//! §16.10): an encrypted ballot the member chose to check rather than cast,
//! with the seed that opens it and the choices it claims.
//!
//! [`AuditedBallot::check`] runs `verify-audit`'s checks on the file alone,
//! in order: `format` (reading it), `audit-fingerprint`, `audit-tracker`,
//! `audit-proofs`, `audit-opening`. The server runs the same checks before
//! it keeps an audited ballot.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ballot::{BallotShape, EncryptedBallot};
use super::batch::Bases;
use super::cast::CastContext;
use super::elgamal::EncryptionKey;
use super::fingerprint::FingerprintInput;
use super::group::{Element, RandomSource, Scalar};
use super::nonces::{indicator_randomness, option_randomness, BallotSeed};
use crate::crypto::Digest;
use crate::definition::Definition;
use crate::trustees::ceremony::KeyEntry;

/// The `format` of an audited ballot file.
pub const AUDITED_BALLOT_FORMAT: &str = "teller-audited-ballot/1";

/// The election's encryption as an audited ballot file states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditedEncryption {
    /// `K`.
    pub threshold: u32,
    /// The joint key `h`.
    pub joint_key: Element,
    /// `K_j` of each trustee of the completing attempt.
    pub verification_keys: Vec<KeyEntry>,
}

/// An audited ballot file (§16.10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditedBallot {
    /// Always [`AUDITED_BALLOT_FORMAT`].
    pub format: String,
    /// The election's definition (FORMAT.md §3).
    pub definition: Definition,
    /// The election's encryption.
    pub encryption: AuditedEncryption,
    /// The encrypted ballot, with its `election`.
    pub ballot: EncryptedBallot,
    /// Its tracker.
    pub tracker: Digest,
    /// The seed that opens it, 64 hex digits.
    pub seed: Digest,
    /// The choices it claims to hold.
    #[serde(deserialize_with = "crate::canonical::strict_map")]
    pub choices: BTreeMap<String, Vec<String>>,
}

/// The first check an audited ballot fails, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{check}: {message}")]
pub struct AuditFailure {
    /// The check's name (§16.10's table).
    pub check: &'static str,
    /// What is wrong.
    pub message: String,
}

fn fail(check: &'static str, message: impl Into<String>) -> AuditFailure {
    AuditFailure {
        check,
        message: message.into(),
    }
}

impl AuditedBallot {
    /// The fingerprint its definition and encryption give (§14.7).
    pub fn fingerprint(&self) -> Digest {
        let keys: Vec<(u32, Element)> = self
            .encryption
            .verification_keys
            .iter()
            .map(|k| (k.trustee, k.key))
            .collect();
        FingerprintInput {
            election: &self.ballot.election,
            definition_hash: self.definition.hash(),
            threshold: self.encryption.threshold,
            joint_key: self.encryption.joint_key,
            verification_keys: &keys,
        }
        .fingerprint()
    }

    /// §16.10's checks after `format`, in order; the first failure.
    pub fn check(&self, rng: &mut dyn RandomSource) -> Result<(), AuditFailure> {
        if self.format != AUDITED_BALLOT_FORMAT {
            return Err(fail(
                "format",
                format!("expected format {AUDITED_BALLOT_FORMAT:?}, found {:?}", self.format),
            ));
        }
        let fp = self.fingerprint();
        if fp != self.ballot.fingerprint {
            return Err(fail(
                "audit-fingerprint",
                format!(
                    "the definition and keys give fingerprint {}, the ballot has {}",
                    fp.to_hex(),
                    self.ballot.fingerprint.to_hex()
                ),
            ));
        }
        if let Some(p) = tracker_problem(&self.ballot, &self.tracker) {
            return Err(fail("audit-tracker", p));
        }
        let shape = BallotShape::of(&self.definition).map_err(|e| fail("format", e.to_string()))?;
        let bases = Bases::new(&self.encryption.joint_key);
        let ctx = CastContext {
            election: &self.ballot.election,
            fingerprint: fp,
            shape: &shape,
            bases: &bases,
        };
        if let Some(p) = proofs_problem(&ctx, &self.ballot, rng) {
            return Err(fail("audit-proofs", p));
        }
        let key =
            EncryptionKey::new(self.encryption.joint_key).map_err(|e| fail("audit-fingerprint", e.to_string()))?;
        let seed = BallotSeed::from_bytes(self.seed.0);
        match opening_problem(&shape, &key, &self.ballot, &seed, &self.choices) {
            Some(p) => Err(fail("audit-opening", p)),
            None => Ok(()),
        }
    }
}

/// `audit-tracker`: what is wrong, if the ballot does not hash to `tracker`.
pub fn tracker_problem(ballot: &EncryptedBallot, tracker: &Digest) -> Option<String> {
    let computed = ballot.tracker();
    (computed != *tracker).then(|| format!("the ballot hashes to {}, not {}", computed.to_hex(), tracker.to_hex()))
}

/// `audit-proofs`: what is wrong, if the ballot's shape, elements or proofs
/// fail the cast checks (§15.2, §15.3).
pub fn proofs_problem(ctx: &CastContext<'_>, ballot: &EncryptedBallot, rng: &mut dyn RandomSource) -> Option<String> {
    ctx.check_ballot(ballot, ballot.weight)
        .and_then(|()| ctx.check_proofs(ballot, rng))
        .err()
        .map(|e| e.to_string())
}

/// `audit-opening`: what is wrong, unless `choices` are valid and the
/// seed re-encrypts them to exactly the ballot's ciphertexts (§14.10).
pub fn opening_problem(
    shape: &BallotShape,
    key: &EncryptionKey,
    ballot: &EncryptedBallot,
    seed: &BallotSeed,
    choices: &BTreeMap<String, Vec<String>>,
) -> Option<String> {
    let counts = match shape.counts(choices) {
        Ok(c) => c,
        Err(e) => return Some(format!("the choices are not valid: {e}")),
    };
    let (fp, nonce) = (&ballot.fingerprint, &ballot.nonce);
    for ((contest, counts), encrypted) in shape.contests.iter().zip(&counts).zip(&ballot.contests) {
        for ((option, &m), selection) in contest.options.iter().zip(counts).zip(&encrypted.selections) {
            let r = option_randomness(fp, nonce, seed, &contest.id, option);
            if key.encrypt(u64::from(m), &r) != selection.ciphertext() {
                return Some(format!(
                    "contest {:?}, option {option:?}: the seed does not open the ciphertext to {m}",
                    contest.id
                ));
            }
        }
        let total: u32 = counts.iter().sum();
        let r_x = indicator_randomness(fp, nonce, seed, &contest.id);
        if *r_x == Scalar::ZERO || key.encrypt(u64::from(total >= 1), &r_x) != encrypted.indicator {
            return Some(format!(
                "contest {:?}: the seed does not open the indicator",
                contest.id
            ));
        }
    }
    None
}

/// The choices in the definition's words, one line per contest,
/// `Title: Name, Name` (or `Title: nothing chosen`): how `verify-audit`
/// ends its report.
pub fn choices_in_words(definition: &Definition, choices: &BTreeMap<String, Vec<String>>) -> Vec<String> {
    definition
        .contests
        .iter()
        .map(|contest| {
            let options = crate::definition::options(contest);
            let chosen: Vec<String> = choices
                .get(&contest.id)
                .into_iter()
                .flatten()
                .map(|id| {
                    options
                        .iter()
                        .find(|(o, _)| o == id)
                        .map_or_else(|| id.clone(), |(_, name)| name.clone())
                })
                .collect();
            if chosen.is_empty() {
                format!("{}: nothing chosen", contest.title)
            } else {
                format!("{}: {}", contest.title, chosen.join(", "))
            }
        })
        .collect()
}
