//! The Schulze method (Condorcet): single winner and full ranking.
//!
//! `d[a][b]` is the weight of ballots ranking `a` above `b` (a ranked
//! candidate is above every unranked one; unranked candidates are equal).
//! A link a→b has strength `d[a][b]` if `d[a][b] > d[b][a]` (winning
//! votes), else 0. `p[a][b]` is the strength of the strongest path
//! (widest path, Floyd–Warshall). `a` beats `b` when `p[a][b] > p[b][a]`;
//! this relation is transitive, so the ranking is built by repeatedly
//! taking the candidates no remaining candidate beats. Candidates in such a
//! group are equal under Schulze and are ordered by the explicit tie order
//! or lots. The first `seats` candidates of the ranking are elected.

use super::ballots::{Profile, RankedBallots};
use super::decimal::Decimal;
use super::error::{check_profile, CountError};
use super::lots::TieBreaker;
use super::transcript::{
    Action, Decision, Method, Outcome, Pairwise, Parameter, Reason, Round, Status, TieBreak, TiePurpose, Transcript,
};

fn show(micros: u128) -> Decimal {
    Decimal::trimmed(micros as i128, 6, 0)
}

/// `d[a][b]`: weight of ballots preferring `a` to `b` (withdrawn skipped).
fn pairwise(ballots: &RankedBallots, eligible: &[bool]) -> Vec<Vec<u128>> {
    let n = eligible.len();
    let mut d = vec![vec![0u128; n]; n];
    let mut rank = vec![usize::MAX; n];
    for (m, ranking) in ballots.groups() {
        let m = u128::from(m);
        let mut pos = 0;
        for &c in ranking {
            let c = usize::from(c);
            if eligible[c] {
                rank[c] = pos;
                pos += 1;
            }
        }
        for &a in ranking {
            let a = usize::from(a);
            if !eligible[a] {
                continue;
            }
            let row = &mut d[a];
            for b in 0..n {
                if eligible[b] && rank[b] > rank[a] {
                    row[b] += m;
                }
            }
        }
        for &c in ranking {
            rank[usize::from(c)] = usize::MAX;
        }
    }
    d
}

/// Strongest paths by winning votes.
fn strongest_paths(d: &[Vec<u128>], eligible: &[bool]) -> Vec<Vec<u128>> {
    let n = d.len();
    let mut p = vec![vec![0u128; n]; n];
    for a in 0..n {
        for b in 0..n {
            if a != b && eligible[a] && eligible[b] && d[a][b] > d[b][a] {
                p[a][b] = d[a][b];
            }
        }
    }
    for i in (0..n).filter(|&i| eligible[i]) {
        for j in (0..n).filter(|&j| j != i && eligible[j]) {
            let pji = p[j][i];
            if pji == 0 {
                continue;
            }
            for k in (0..n).filter(|&k| k != i && k != j && eligible[k]) {
                let via = pji.min(p[i][k]);
                if via > p[j][k] {
                    p[j][k] = via;
                }
            }
        }
    }
    p
}

/// Counts `profile` by the Schulze method; elects the first `seats`
/// candidates of the Schulze ranking.
pub fn schulze(profile: &Profile<RankedBallots>, seats: usize, breaker: &TieBreaker) -> Result<Outcome, CountError> {
    let ballots = &profile.ballots;
    check_profile(profile, ballots.num_candidates(), seats)?;
    let n = profile.num_candidates();
    let eligible: Vec<bool> = profile.withdrawn_mask().iter().map(|&w| !w).collect();
    let d = pairwise(ballots, &eligible);
    let p = strongest_paths(&d, &eligible);
    let beats = |a: usize, b: usize| p[a][b] > p[b][a];

    let mut remaining: Vec<usize> = (0..n).filter(|&c| eligible[c]).collect();
    let mut ranking = Vec::with_capacity(remaining.len());
    let mut ties: Vec<TieBreak> = Vec::new();
    while !remaining.is_empty() {
        let top: Vec<usize> = remaining
            .iter()
            .copied()
            .filter(|&a| !remaining.iter().any(|&b| beats(b, a)))
            .collect();
        // Transitivity guarantees a maximal element; keep going regardless.
        let top = if top.is_empty() { remaining.clone() } else { top };
        if top.len() > 1 {
            let context = format!("schulze/rank {}", ranking.len() + 1);
            let (order, rule) = breaker.resolve(&top, &context);
            let purpose = if ranking.len() < seats && ranking.len() + top.len() > seats {
                TiePurpose::Seat
            } else {
                TiePurpose::Ranking
            };
            ties.push(TieBreak {
                purpose,
                tied: top.clone(),
                chosen: order[0],
                order: order.clone(),
                rule,
            });
            ranking.extend(order);
        } else {
            ranking.extend_from_slice(&top);
        }
        remaining.retain(|c| !top.contains(c));
    }
    let elected: Vec<usize> = ranking.iter().copied().take(seats).collect();
    let wins: Vec<Decimal> = (0..n)
        .map(|a| Decimal::integer((0..n).filter(|&b| a != b && beats(a, b)).count() as i128))
        .collect();
    let status = (0..n)
        .map(|c| {
            if !eligible[c] {
                Status::Withdrawn
            } else if elected.contains(&c) {
                Status::Elected
            } else {
                Status::Excluded
            }
        })
        .collect();
    // The valid weight: ballots ranking at least one candidate who did not
    // withdraw (COUNTING.md §1).
    let total: u128 = ballots
        .groups()
        .filter(|(_, ranking)| ranking.iter().any(|&c| eligible[usize::from(c)]))
        .map(|(m, _)| u128::from(m))
        .sum();
    let round = Round {
        number: 0,
        action: Action::Pairwise,
        transfers: wins.clone(),
        tally: wins,
        status,
        exhausted: Decimal::integer(0),
        loss: None,
        quota: None,
        surplus: None,
        elected: elected
            .iter()
            .map(|&c| Decision {
                candidate: c,
                reason: Reason::SchulzeRanking,
            })
            .collect(),
        // The rest of the ranking: the seats are filled (COUNTING.md §9),
        // listed in candidate order.
        excluded: (0..n)
            .filter(|&c| eligible[c] && !elected.contains(&c))
            .map(|c| Decision {
                candidate: c,
                reason: Reason::SeatsFilled,
            })
            .collect(),
        ties,
        notes: vec!["tally: number of candidates each candidate beats".to_owned()],
    };
    let matrix =
        |m: &[Vec<u128>]| -> Vec<Vec<Decimal>> { m.iter().map(|row| row.iter().map(|&x| show(x)).collect()).collect() };
    let transcript = Transcript {
        method: Method::Schulze,
        rule: "Schulze method (winning votes)".to_owned(),
        candidates: profile.candidates.clone(),
        withdrawn: profile.withdrawn.clone(),
        seats,
        total: show(total),
        quota: None,
        parameters: vec![
            Parameter::new("Link strength", "winning votes"),
            Parameter::new("Ties", "candidates equal under Schulze: tie order or lots"),
        ],
        rounds: vec![round],
        elected: elected.clone(),
        ranking: Some(ranking),
        pairwise: Some(Pairwise {
            preferences: matrix(&d),
            strongest_paths: matrix(&p),
        }),
    };
    Ok(Outcome { elected, transcript })
}
