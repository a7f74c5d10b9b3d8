//! Referendum: yes / no / abstain against a threshold of votes cast.

use super::Outcome;
use crate::definition::Threshold;

pub(super) fn count(threshold: Threshold, [yes, no, abstain]: [u64; 3]) -> Outcome {
    let votes_cast = yes + no;
    let yes_needed = threshold.yes_needed(votes_cast);
    Outcome::Referendum {
        yes,
        no,
        abstain,
        votes_cast,
        threshold,
        yes_needed,
        passed: votes_cast > 0 && yes >= yes_needed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(threshold: Threshold, yes: u64, no: u64, abstain: u64) -> (u64, bool) {
        match count(threshold, [yes, no, abstain]) {
            Outcome::Referendum { yes_needed, passed, .. } => (yes_needed, passed),
            Outcome::Plurality { .. } => unreachable!(),
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
