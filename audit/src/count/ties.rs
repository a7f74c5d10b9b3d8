//! Tie resolution shared by the methods: earlier-round totals, then lots.

use super::lots::{TieBreaker, TieRule};
use super::transcript::{TieBreak, TiePurpose};

/// Which end of the totals a tie rule looks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Extreme {
    /// The candidate with the fewest votes is chosen (exclusion).
    Lowest,
    /// The candidate with the most votes is chosen (surplus order).
    Highest,
}

/// Chooses one of `tied` (at least two candidates).
///
/// `earlier` holds each candidate's totals at the end of the rounds before
/// the one whose totals are tied, oldest first. Going back from the most
/// recent, the first round in which the candidates still in contention had
/// unequal totals narrows them to those at the `extreme`; when one remains it
/// is chosen. Candidates equal in every earlier round go to lots.
pub(crate) fn choose(
    tied: &[usize],
    earlier: &[Vec<u128>],
    extreme: Extreme,
    breaker: &TieBreaker,
    context: &str,
    purpose: TiePurpose,
) -> TieBreak {
    let mut contenders: Vec<usize> = tied.to_vec();
    for (round, totals) in earlier.iter().enumerate().rev() {
        let value = |c: &usize| totals.get(*c).copied().unwrap_or(0);
        let best = match extreme {
            Extreme::Lowest => contenders.iter().map(value).min(),
            Extreme::Highest => contenders.iter().map(value).max(),
        };
        let Some(best) = best else { break };
        let narrowed: Vec<usize> = contenders.iter().copied().filter(|c| value(c) == best).collect();
        if narrowed.len() == 1 {
            return record(tied, narrowed[0], purpose, TieRule::PriorRound { round });
        }
        contenders = narrowed;
    }
    let (order, rule) = breaker.resolve(&contenders, context);
    // `contenders` is never empty: it starts as `tied` and narrowing keeps
    // every candidate equal to the extreme.
    let chosen = order.first().copied().unwrap_or(tied[0]);
    let mut tie = record(tied, chosen, purpose, rule);
    // Keep the drawn order for the audit trail; candidates narrowed out
    // earlier follow in candidate order.
    let mut full = order;
    full.extend(tie.order.iter().copied().filter(|c| !contenders.contains(c)));
    tie.order = full;
    tie
}

/// Puts `group` (equal totals now) in order, first chosen first, by repeated
/// use of [`choose`]; returns the order and the ties recorded.
pub(crate) fn order_group(
    group: &[usize],
    earlier: &[Vec<u128>],
    extreme: Extreme,
    breaker: &TieBreaker,
    context: &str,
    purpose: TiePurpose,
) -> (Vec<usize>, Vec<TieBreak>) {
    let mut remaining: Vec<usize> = group.to_vec();
    let mut order = Vec::with_capacity(group.len());
    let mut ties = Vec::new();
    let mut step = 0;
    while remaining.len() > 1 {
        step += 1;
        let tie = choose(
            &remaining,
            earlier,
            extreme,
            breaker,
            &format!("{context}/{step}"),
            purpose,
        );
        remaining.retain(|&c| c != tie.chosen);
        order.push(tie.chosen);
        ties.push(tie);
    }
    order.extend(remaining);
    (order, ties)
}

fn record(tied: &[usize], chosen: usize, purpose: TiePurpose, rule: TieRule) -> TieBreak {
    let mut order = vec![chosen];
    order.extend(tied.iter().copied().filter(|&c| c != chosen));
    TieBreak {
        purpose,
        tied: tied.to_vec(),
        order,
        chosen,
        rule,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn most_recent_unequal_round_decides() {
        let earlier = vec![vec![2, 3, 1], vec![5, 5, 9]];
        let t = TieBreaker::new([0; 32]);
        let tie = choose(&[0, 1], &earlier, Extreme::Lowest, &t, "x", TiePurpose::Exclusion);
        assert_eq!(tie.chosen, 0);
        assert_eq!(tie.rule, TieRule::PriorRound { round: 0 });
        let tie = choose(&[0, 1], &earlier, Extreme::Highest, &t, "x", TiePurpose::Exclusion);
        assert_eq!(tie.chosen, 1);
    }

    #[test]
    fn narrowing_keeps_only_candidates_at_the_extreme() {
        // Round 1: 0 and 1 lowest (4), 2 higher; round 0 would pick 2 as
        // lowest without narrowing, but 2 is out of contention already.
        let earlier = vec![vec![3, 2, 1], vec![4, 4, 6]];
        let t = TieBreaker::new([0; 32]);
        let tie = choose(&[0, 1, 2], &earlier, Extreme::Lowest, &t, "x", TiePurpose::Exclusion);
        assert_eq!(tie.chosen, 1);
        assert_eq!(tie.rule, TieRule::PriorRound { round: 0 });
    }

    #[test]
    fn equal_throughout_goes_to_lots() {
        let earlier = vec![vec![1, 1]];
        let t = TieBreaker::new([7; 32]);
        let tie = choose(&[0, 1], &earlier, Extreme::Lowest, &t, "x", TiePurpose::Exclusion);
        assert_eq!(tie.rule, TieRule::Lots);
        assert_eq!(tie.order.len(), 2);
        assert_eq!(tie.order[0], tie.chosen);
    }
}
