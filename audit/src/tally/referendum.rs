//! Referendum: yes / no / abstain against a threshold of votes cast.

use super::{micros, Outcome};
use crate::definition::Threshold;

pub(super) fn count(threshold: Threshold, [yes, no, abstain]: [u128; 3]) -> Outcome {
    let votes_cast = yes + no;
    let yes_needed = u128::from(threshold.yes_needed(u64::try_from(votes_cast).unwrap_or(u64::MAX)));
    Outcome::Referendum {
        yes: micros(yes),
        no: micros(no),
        abstain: micros(abstain),
        votes_cast: micros(votes_cast),
        threshold,
        yes_needed: micros(yes_needed),
        passed: votes_cast > 0 && yes >= yes_needed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(threshold: Threshold, yes: u64, no: u64, abstain: u64) -> (u64, bool) {
        let one = 1_000_000u128;
        match count(
            threshold,
            [u128::from(yes) * one, u128::from(no) * one, u128::from(abstain) * one],
        ) {
            // Whole-vote weights: the votes needed in micro-votes, rounded up to a vote.
            Outcome::Referendum { yes_needed, passed, .. } => (yes_needed.micros().div_ceil(1_000_000), passed),
            _ => unreachable!(),
        }
    }

    #[test]
    fn two_thirds_exactly_passes_and_abstentions_do_not_count() {
        assert_eq!(run(Threshold::TWO_THIRDS, 20, 10, 50), (20, true));
        assert_eq!(run(Threshold::TWO_THIRDS, 19, 10, 0), (20, false));
    }

    #[test]
    fn simple_majority_needs_more_than_half() {
        assert_eq!(run(Threshold::SIMPLE_MAJORITY, 10, 10, 0), (11, false));
        assert_eq!(run(Threshold::SIMPLE_MAJORITY, 11, 10, 0), (11, true));
        assert_eq!(run(Threshold::SIMPLE_MAJORITY, 0, 0, 5), (1, false));
    }
}
