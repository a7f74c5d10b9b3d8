//! The tally of an encrypted election, from its decrypted totals
//! (FORMAT.md §16.8): the same [`Tally`] a plain
//! election's ballots give, without the ballots' choices.
//!
//! Each contest's targets (§16.6: its options in option order, then
//! `indicator-weight`, then `indicator-count`) decrypt to integers scaled
//! by `10^d`; they make FORMAT.md §9's figures as §16.8's table says:
//! an option's votes are `t_o / 10^d`, `cast` is the indicator count,
//! `cast_weight` the indicator weight, `blank` the ballots not cast in the
//! contest and `invalid` 0 (an invalid ballot cannot be cast). Plurality
//! and referendum then decide exactly as for plain ballots; approval and
//! cumulative are counted by `count` from the same totals, with lots as
//! today.

use super::{contest_seed, micros, plurality, ranked, referendum, ContestResult, Outcome, Tally, TALLY_FORMAT};
use crate::count::{approval_from_totals, cumulative_from_totals, TieBreaker, Weight, WEIGHT_DECIMALS};
use crate::crypto::Seed;
use crate::definition::{self, Contest, Definition, Method};
use crate::trustees::decrypt::{Aggregate, TargetKind, Totals};

/// Why totals cannot make a tally: they are not the definition's (an
/// internal error: the aggregate was formed from the same definition).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TotalsError {
    /// The targets are not, in order, each contest's options and indicators.
    #[error("target {index} is not the one the definition expects ({expected})")]
    Target {
        /// Where.
        index: usize,
        /// What the definition gives there.
        expected: String,
    },
    /// More or fewer values or targets than the definition gives.
    #[error("{found} decrypted totals and {targets} targets where the definition gives {expected}")]
    Count {
        /// Values.
        found: usize,
        /// Targets.
        targets: usize,
        /// Targets the definition gives.
        expected: usize,
    },
    /// `d` is more than six decimals.
    #[error("weights scaled by 10^{0}: at most 10^6")]
    Decimals(u32),
    /// A contest counts more ballots than were cast.
    #[error("contest {contest:?} counts {cast} ballots of {ballots}")]
    Cast {
        /// The contest.
        contest: String,
        /// Its indicator count.
        cast: u64,
        /// All ballots.
        ballots: u64,
    },
}

/// The tally of `ballots` cast ballots weighing `weight` in all, from the
/// decrypted `totals` of `aggregate` (formed under `definition`), with ties
/// broken by lots drawn from `seed`.
pub fn tally(
    election: &str,
    definition: &Definition,
    aggregate: &Aggregate,
    totals: &Totals,
    ballots: u64,
    weight: Weight,
    seed: &Seed,
) -> Result<Tally, TotalsError> {
    let d = aggregate.weight_decimals;
    if d > WEIGHT_DECIMALS {
        return Err(TotalsError::Decimals(d));
    }
    // t × scale is in micro-votes.
    let scale = 10u128.pow(WEIGHT_DECIMALS - d);
    let expected: usize = definition
        .contests
        .iter()
        .map(|c| definition::options(c).len() + 2)
        .sum();
    if totals.values.len() != expected || aggregate.targets.len() != expected {
        return Err(TotalsError::Count {
            found: totals.values.len(),
            targets: aggregate.targets.len(),
            expected,
        });
    }
    let mut at = 0;
    let mut contests = Vec::new();
    for contest in &definition.contests {
        // The contest's targets, checked to be the ones expected, in order.
        let mut take = |kind: TargetKind, option: Option<&str>| {
            let index = at;
            at += 1;
            let t = &aggregate.targets[index];
            if t.contest != contest.id || t.kind != kind || t.option.as_deref() != option {
                return Err(TotalsError::Target {
                    index,
                    expected: format!("{} {} {}", contest.id, kind.name(), option.unwrap_or("")),
                });
            }
            Ok(u128::from(totals.values[index]))
        };
        let votes: Vec<u128> = definition::options(contest)
            .iter()
            .map(|(id, _)| take(TargetKind::Option, Some(id)).map(|t| t * scale))
            .collect::<Result<_, _>>()?;
        let cast_weight = take(TargetKind::IndicatorWeight, None)? * scale;
        let cast = take(TargetKind::IndicatorCount, None)?;
        let cast = u64::try_from(cast).unwrap_or(u64::MAX);
        if cast > ballots {
            return Err(TotalsError::Cast {
                contest: contest.id.clone(),
                cast,
                ballots,
            });
        }
        contests.push(ContestResult {
            contest: contest.id.clone(),
            title: contest.title.clone(),
            seats: contest.seats,
            cast,
            cast_weight: micros(cast_weight),
            blank: ballots - cast,
            invalid: 0,
            outcome: outcome(contest, &votes, cast_weight, seed),
        });
    }
    Ok(Tally {
        format: TALLY_FORMAT.to_string(),
        election: election.to_string(),
        ballots,
        weight,
        contests,
    })
}

/// A contest's decision from its options' votes (micro-votes, in option
/// order) and its cast weight.
fn outcome(contest: &Contest, votes: &[u128], cast_weight: u128, seed: &Seed) -> Outcome {
    let names: Vec<String> = contest.candidates.iter().map(|c| c.name.clone()).collect();
    let seats = contest.seats as usize;
    let breaker = || TieBreaker::new(contest_seed(seed, &contest.id));
    match contest.method {
        Method::Plurality { majority_required, .. } => plurality::count(
            contest,
            majority_required,
            cast_weight,
            votes,
            plurality::WriteInVotes::new(),
            seed,
        ),
        Method::Referendum { threshold } => {
            let get = |i: usize| votes.get(i).copied().unwrap_or(0);
            referendum::count(threshold, [get(0), get(1), get(2)])
        }
        Method::Approval => ranked::counted(
            contest,
            approval_from_totals(&names, seats, cast_weight, votes, &breaker()),
        ),
        Method::Cumulative { points } => ranked::counted(
            contest,
            cumulative_from_totals(&names, seats, points, cast_weight, votes, &breaker()),
        ),
        // Refused at opening (§14.8): never aggregated.
        _ => ranked::failed(
            contest,
            "ranked methods and write-ins cannot be counted under encryption".to_string(),
        ),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::encrypted::group::{Element, RistrettoPoint};
    use crate::tally::Tallier;
    use crate::trustees::decrypt::Target;
    use curve25519_dalek::traits::Identity;

    fn definition() -> Definition {
        let candidates = |ids: &[&str]| {
            ids.iter()
                .map(|id| serde_json::json!({"id": id, "name": id.to_uppercase(), "statement": ""}))
                .collect::<Vec<_>>()
        };
        serde_json::from_value(serde_json::json!({
            "title": "T",
            "description": "",
            "contests": [
                {"id": "board", "title": "Board", "description": "", "seats": 2,
                 "candidates": candidates(&["a", "b", "c", "d"]),
                 "method": {"kind": "plurality", "majority_required": false, "write_ins": false}},
                {"id": "chair", "title": "Chair", "description": "", "seats": 1,
                 "candidates": candidates(&["x", "y"]),
                 "method": {"kind": "plurality", "majority_required": true, "write_ins": false}},
                {"id": "q", "title": "Q", "description": "", "seats": 1, "candidates": [],
                 "method": {"kind": "referendum",
                            "threshold": {"comparison": "more-than", "numerator": 1, "denominator": 2}}},
                {"id": "panel", "title": "Panel", "description": "", "seats": 2,
                 "candidates": candidates(&["p", "r", "s"]),
                 "method": {"kind": "approval"}},
                {"id": "fund", "title": "Fund", "description": "", "seats": 1,
                 "candidates": candidates(&["f", "g", "h"]),
                 "method": {"kind": "cumulative", "points": 3}}
            ]
        }))
        .unwrap()
    }

    type Ballot = (&'static str, [&'static [&'static str]; 5]);

    /// Valid ballots (every contest present, within its limits), some
    /// blank in a contest, weights with up to two decimals.
    const BALLOTS: &[Ballot] = &[
        ("1", [&["a", "b"], &["x"], &["yes"], &["p", "r"], &["f", "f", "g"]]),
        ("2", [&["b"], &["y"], &["no"], &["r"], &["h", "h", "h"]]),
        ("0.25", [&["c", "a"], &[], &["abstain"], &["p", "r", "s"], &["g"]]),
        ("1.5", [&[], &["x"], &["yes"], &[], &[]]),
        ("1", [&["d", "b"], &["y"], &[], &["s"], &["f", "g", "h"]]),
        ("3", [&["a"], &["x"], &["yes"], &["p"], &["f", "f"]]),
        // Ties: b and a, for the lots.
        ("0.75", [&["b"], &[], &["no"], &["r", "s"], &["g", "g"]]),
    ];

    fn choices(b: &Ballot) -> BTreeMap<String, Vec<String>> {
        ["board", "chair", "q", "panel", "fund"]
            .iter()
            .zip(b.1.iter())
            .map(|(c, chosen)| (c.to_string(), chosen.iter().map(|s| s.to_string()).collect()))
            .collect()
    }

    /// The totals §16.6 and §16.8 give for plain ballots, by hand: per
    /// contest, `Σ e_i · m_o` per option, `Σ e_i` and the count of the
    /// ballots that chose anything, with `e_i = weight_i × 10^d`.
    fn by_hand(definition: &Definition, ballots: &[Ballot]) -> (Aggregate, Totals, Weight) {
        let weights: Vec<Weight> = ballots.iter().map(|b| Weight::parse(b.0).unwrap()).collect();
        let d = weights
            .iter()
            .map(|w| crate::trustees::decrypt::decimals(w.micros()))
            .max()
            .unwrap_or(0);
        let e = |w: &Weight| w.micros() / 10u64.pow(WEIGHT_DECIMALS - d);
        let nothing = Element::from_point(RistrettoPoint::identity());
        let mut targets = Vec::new();
        let mut values = Vec::new();
        for contest in &definition.contests {
            let target = |kind, option: Option<String>| Target {
                contest: contest.id.clone(),
                kind,
                option,
                alpha: nothing,
                beta: nothing,
                bound: u64::MAX,
            };
            let chosen: Vec<(u64, Vec<String>)> = ballots
                .iter()
                .zip(&weights)
                .map(|(b, w)| (e(w), choices(b)[&contest.id].clone()))
                .collect();
            for (id, _) in definition::options(contest) {
                targets.push(target(TargetKind::Option, Some(id.clone())));
                values.push(
                    chosen
                        .iter()
                        .map(|(e, c)| e * c.iter().filter(|o| **o == id).count() as u64)
                        .sum(),
                );
            }
            targets.push(target(TargetKind::IndicatorWeight, None));
            values.push(chosen.iter().filter(|(_, c)| !c.is_empty()).map(|(e, _)| e).sum());
            targets.push(target(TargetKind::IndicatorCount, None));
            values.push(chosen.iter().filter(|(_, c)| !c.is_empty()).count() as u64);
        }
        let total = Weight::from_micros(weights.iter().map(|w| w.micros()).sum()).unwrap();
        (
            Aggregate {
                weight_decimals: d,
                targets,
            },
            Totals {
                trustees: vec![1, 2],
                values,
            },
            total,
        )
    }

    fn plain(definition: &Definition, ballots: &[Ballot], seed: &Seed) -> Tally {
        let mut t = Tallier::new(definition.clone());
        for b in ballots {
            t.add(&choices(b), Weight::parse(b.0).unwrap());
        }
        t.finish("e", seed)
    }

    #[test]
    fn totals_give_the_tally_the_ballots_give() {
        let def = definition();
        for seed in [Seed([0; 32]), Seed([7; 32]), Seed([200; 32])] {
            for n in [0, 1, 3, BALLOTS.len()] {
                let ballots = &BALLOTS[..n];
                let (aggregate, totals, weight) = by_hand(&def, ballots);
                let from_totals = tally("e", &def, &aggregate, &totals, n as u64, weight, &seed).unwrap();
                assert_eq!(from_totals, plain(&def, ballots, &seed), "{n} ballots");
                assert_eq!(from_totals.digest(), plain(&def, ballots, &seed).digest());
            }
        }
    }

    #[test]
    fn whole_weights_scale_by_one() {
        let def = definition();
        let ballots: Vec<Ballot> = BALLOTS.iter().map(|b| ("2", b.1)).collect();
        let (aggregate, totals, weight) = by_hand(&def, &ballots);
        assert_eq!(aggregate.weight_decimals, 0);
        let seed = Seed([1; 32]);
        let t = tally("e", &def, &aggregate, &totals, ballots.len() as u64, weight, &seed).unwrap();
        assert_eq!(t, plain(&def, &ballots, &seed));
    }

    #[test]
    fn targets_out_of_order_or_miscounted_are_refused() {
        let def = definition();
        let (mut aggregate, mut totals, weight) = by_hand(&def, BALLOTS);
        let seed = Seed([0; 32]);
        aggregate.targets.swap(0, 1);
        let err = tally("e", &def, &aggregate, &totals, 7, weight, &seed).unwrap_err();
        assert!(matches!(err, TotalsError::Target { index: 0, .. }), "{err}");
        aggregate.targets.swap(0, 1);
        totals.values.pop();
        let err = tally("e", &def, &aggregate, &totals, 7, weight, &seed).unwrap_err();
        assert!(matches!(err, TotalsError::Count { .. }), "{err}");
        let (aggregate, totals, weight) = by_hand(&def, BALLOTS);
        let err = tally("e", &def, &aggregate, &totals, 2, weight, &seed).unwrap_err();
        assert!(matches!(err, TotalsError::Cast { .. }), "{err}");
    }
}
