//! Errors of the counting methods (parsers have their own, with line numbers).

use super::ballots::Profile;

/// Why a count could not be run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CountError {
    /// Zero seats.
    #[error("the number of seats must be at least 1")]
    NoSeats,
    /// No candidates at all.
    #[error("the contest has no candidates")]
    NoCandidates,
    /// The ballots were built for a different number of candidates.
    #[error("the ballots are for {ballots} candidates but {names} candidate names are given")]
    CandidateMismatch {
        /// Candidates according to the ballots.
        ballots: usize,
        /// Candidate names given.
        names: usize,
    },
    /// A withdrawn candidate number that does not exist.
    #[error("withdrawn candidate number {0} does not exist")]
    UnknownWithdrawn(usize),
}

/// Checks what every method needs: seats ≥ 1, at least one candidate, names
/// matching the ballots, withdrawn candidates that exist.
pub(crate) fn check_profile<B>(profile: &Profile<B>, ballot_candidates: usize, seats: usize) -> Result<(), CountError> {
    if seats == 0 {
        return Err(CountError::NoSeats);
    }
    if profile.candidates.is_empty() {
        return Err(CountError::NoCandidates);
    }
    if profile.candidates.len() != ballot_candidates {
        return Err(CountError::CandidateMismatch {
            ballots: ballot_candidates,
            names: profile.candidates.len(),
        });
    }
    if let Some(&w) = profile.withdrawn.iter().find(|&&w| w >= profile.candidates.len()) {
        return Err(CountError::UnknownWithdrawn(w));
    }
    Ok(())
}
