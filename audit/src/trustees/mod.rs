//! Threshold trustees: the key ceremony, the partial decryptions and their
//! combination (FORMAT.md §16.1–§16.8; the reasons in
//! docs/design/encrypted-ballots.md).
//!
//! The server holds no secret of this module in any form: it relays the
//! trustees' signed messages, checks what is public and logs it. Each
//! trustee's secrets stay on their own machine, in the files that
//! `teller-audit trustee` writes (§16.12).
//!
//! | module | what | section |
//! |---|---|---|
//! | [`envelope`] | the signed message every trustee posts, and its rounds | §16.2 |
//! | [`proofs`] | Schnorr proofs of a discrete log and DLEQ proofs | §15.4–§15.5 |
//! | [`share`] | a share sealed to its recipient (ECIES on ristretto255) | §16.3 |
//! | [`ceremony`] | the message bodies, and what a trustee computes in each round | §16.2, §16.5 |
//! | [`board`] | the public state of a ceremony: which message is accepted, who is excluded and why, when it completes | §16.2–§16.5 |
//! | [`decrypt`] | the encrypted totals, partial decryptions with proofs, their combination | §16.6–§16.8 |
//! | [`dlog`] | the bounded discrete log (baby-step giant-step) | §16.8 |
//! | [`files`] | the files a trustee downloads and keeps: the board file, secret files | §16.12 |
//! | [`request`] | reading the decryption request in bounded memory, its ballots on every core | §16.12 |
//! | [`cli`] | `teller-audit trustee keygen / share / check / finish / decrypt` | §16.1 |
//!
//! A server integrates it so: it keeps a [`board::Board`] per election,
//! [`board::Board::post`]s every uploaded message (logging what
//! [`board::Accepted`] says: the message's digest, exclusions, completion),
//! and [`board::Board::exclude_absent`] when staff stop waiting. After the
//! close it forms the [`decrypt::Aggregate`], checks each uploaded partial
//! decryption with [`decrypt::check_partial`], and when `K` are in,
//! [`decrypt::combine`]s them into the totals.

pub mod board;
pub mod ceremony;
pub mod cli;
pub mod decrypt;
pub mod dlog;
pub mod envelope;
pub mod files;
pub mod proofs;
pub mod request;
pub mod share;

use crate::canonical::is_election_id;

/// The most trustees an election may have (§16.1).
pub const MAX_TRUSTEES: u32 = 32;

/// A trustee's index, `1 … N`: the order staff named them, never reused,
/// and the point at which polynomials are evaluated (§16.1).
pub type TrusteeIndex = u32;

/// What staff fix for a ceremony: the election, the threshold `K` and the
/// `N` trustees' names (trustee `j` is `names[j − 1]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameters {
    election: String,
    threshold: u32,
    names: Vec<String>,
}

/// Why a ceremony's parameters are refused (§16.1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParameterError {
    /// The election id is not in its canonical form (FORMAT.md §1).
    #[error("{0:?} is not an election id (a lower-case UUID, 36 characters)")]
    Election(String),
    /// `K` or `N` is out of range.
    #[error("the threshold K = {threshold} and the number of trustees N = {trustees} must satisfy 2 <= K <= N <= 32 (K = 1 would let one trustee decrypt every ballot)")]
    Range {
        /// `K`.
        threshold: u32,
        /// `N`.
        trustees: usize,
    },
    /// A trustee's name is empty.
    #[error("trustee {0} has an empty name")]
    EmptyName(TrusteeIndex),
}

impl Parameters {
    /// The parameters, checked: `2 ≤ K ≤ N ≤ 32` and every name non-empty.
    pub fn new(election: &str, threshold: u32, names: Vec<String>) -> Result<Parameters, ParameterError> {
        if !is_election_id(election) {
            return Err(ParameterError::Election(election.chars().take(80).collect()));
        }
        let n = names.len();
        if threshold < 2 || n < threshold as usize || n > MAX_TRUSTEES as usize {
            return Err(ParameterError::Range { threshold, trustees: n });
        }
        if let Some(j) = names.iter().position(|name| name.trim().is_empty()) {
            return Err(ParameterError::EmptyName(j as u32 + 1));
        }
        Ok(Parameters {
            election: election.to_string(),
            threshold,
            names,
        })
    }

    /// The election's id.
    pub fn election(&self) -> &str {
        &self.election
    }

    /// `K`: how many trustees it takes to decrypt.
    pub fn threshold(&self) -> u32 {
        self.threshold
    }

    /// `N`: how many trustees were named.
    pub fn trustees(&self) -> u32 {
        // At most 32, checked in `new`.
        self.names.len() as u32
    }

    /// Trustee `j`'s name, if `1 ≤ j ≤ N`.
    pub fn name(&self, j: TrusteeIndex) -> Option<&str> {
        let i = usize::try_from(j).ok()?.checked_sub(1)?;
        self.names.get(i).map(String::as_str)
    }

    /// The indices `1 … N`.
    pub fn indices(&self) -> impl Iterator<Item = TrusteeIndex> {
        1..=self.trustees()
    }
}
