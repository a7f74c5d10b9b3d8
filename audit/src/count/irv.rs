//! Instant-runoff voting: one seat.
//!
//! Each round counts every ballot for its highest-ranked continuing
//! candidate. A candidate with more than half of the votes on continuing
//! ballots wins; so does the last candidate left. Otherwise the candidate
//! with the fewest votes is excluded and their ballots move on. A tie for
//! exclusion goes to the candidate with fewer votes at the most recent
//! earlier round where the tied candidates differed, then to lots.
//! Totals are exact sums of weights (micro-votes).

use super::ballots::{Profile, RankedBallots};
use super::decimal::Decimal;
use super::error::{check_profile, CountError};
use super::lots::TieBreaker;
use super::ties::{choose, Extreme};
use super::transcript::{Action, Decision, Method, Outcome, Parameter, Reason, Round, Status, TiePurpose, Transcript};

/// Ballots of one ranking sitting with one candidate.
#[derive(Clone, Copy, Debug)]
struct Parcel {
    group: u32,
    pos: u16,
}

fn show(micros: u128) -> Decimal {
    Decimal::trimmed(micros as i128, 6, 0)
}

/// Counts `profile` by instant-runoff for a single seat.
pub fn irv(profile: &Profile<RankedBallots>, breaker: &TieBreaker) -> Result<Outcome, CountError> {
    let ballots = &profile.ballots;
    check_profile(profile, ballots.num_candidates(), 1)?;
    let n = profile.num_candidates();
    let mut status: Vec<Status> = profile
        .withdrawn_mask()
        .iter()
        .map(|&w| if w { Status::Withdrawn } else { Status::Hopeful })
        .collect();
    let mut piles: Vec<Vec<Parcel>> = vec![Vec::new(); n];
    let mut tally = vec![0u128; n];
    let mut exhausted = 0u128;
    let mut valid = 0u128;

    let next_hopeful = |status: &[Status], ranking: &[u16], start: usize| {
        (start..ranking.len()).find(|&p| status[usize::from(ranking[p])] == Status::Hopeful)
    };
    for (g, (m, ranking)) in ballots.groups().enumerate() {
        if let Some(pos) = next_hopeful(&status, ranking, 0) {
            let c = usize::from(ranking[pos]);
            piles[c].push(Parcel {
                group: g as u32,
                pos: pos as u16,
            });
            tally[c] += u128::from(m);
            valid += u128::from(m);
        }
    }

    let mut rounds: Vec<Round> = Vec::new();
    let mut history: Vec<Vec<u128>> = Vec::new();
    let mut before = vec![0u128; n];
    let mut action = Action::FirstPreferences;
    let mut pending_exclusion = None;
    let mut elected = Vec::new();
    loop {
        let mut round = Round {
            number: rounds.len(),
            action: action.clone(),
            tally: tally.iter().map(|&t| show(t)).collect(),
            transfers: tally
                .iter()
                .zip(&before)
                .map(|(&a, &b)| Decimal::trimmed(a as i128 - b as i128, 6, 0))
                .collect(),
            status: status.clone(),
            exhausted: show(exhausted),
            loss: None,
            quota: None,
            surplus: None,
            elected: Vec::new(),
            excluded: Vec::new(),
            ties: Vec::new(),
            notes: Vec::new(),
        };
        if let Some((decision, tie)) = pending_exclusion.take() {
            round.excluded.push(decision);
            round.ties.extend(tie);
        }
        history.push(tally.clone());

        let hopefuls: Vec<usize> = (0..n).filter(|&c| status[c] == Status::Hopeful).collect();
        let continuing: u128 = hopefuls.iter().map(|&c| tally[c]).sum();
        let leader = hopefuls
            .iter()
            .copied()
            .max_by_key(|&c| (tally[c], std::cmp::Reverse(c)));
        let winner = match leader {
            Some(c) if 2 * tally[c] > continuing => Some((c, Reason::Majority)),
            Some(c) if hopefuls.len() == 1 => Some((c, Reason::LastRemaining)),
            _ => None,
        };
        if let Some((c, reason)) = winner {
            status[c] = Status::Elected;
            round.status = status.clone();
            round.elected.push(Decision { candidate: c, reason });
            elected.push(c);
        }
        let done = winner.is_some() || hopefuls.is_empty();
        rounds.push(round);
        if done {
            break;
        }

        // Exclude the lowest.
        let lowest = hopefuls.iter().map(|&c| tally[c]).min().unwrap_or(0);
        let tied: Vec<usize> = hopefuls.iter().copied().filter(|&c| tally[c] == lowest).collect();
        let (out, tie) = if tied.len() > 1 {
            let earlier = &history[..history.len() - 1];
            let context = format!("irv/round {}/exclude", rounds.len());
            let tie = choose(
                &tied,
                earlier,
                Extreme::Lowest,
                breaker,
                &context,
                TiePurpose::Exclusion,
            );
            (tie.chosen, Some(tie))
        } else {
            (tied[0], None)
        };
        status[out] = Status::Excluded;
        before = tally.clone();
        for parcel in std::mem::take(&mut piles[out]) {
            let (m, ranking) = ballots.group(parcel.group as usize);
            match next_hopeful(&status, ranking, usize::from(parcel.pos) + 1) {
                Some(pos) => {
                    let to = usize::from(ranking[pos]);
                    tally[to] += u128::from(m);
                    piles[to].push(Parcel {
                        group: parcel.group,
                        pos: pos as u16,
                    });
                }
                None => exhausted += u128::from(m),
            }
        }
        tally[out] = 0;
        action = Action::Exclusion { candidate: out };
        pending_exclusion = Some((
            Decision {
                candidate: out,
                reason: Reason::LowestVote,
            },
            tie,
        ));
    }

    let transcript = Transcript {
        method: Method::Irv,
        rule: "Instant-runoff voting (single seat)".to_owned(),
        candidates: profile.candidates.clone(),
        withdrawn: profile.withdrawn.clone(),
        seats: 1,
        total: show(valid),
        quota: None,
        parameters: vec![
            Parameter::new("Winner", "more than half of the continuing votes, or last remaining"),
            Parameter::new("Ties", "earlier-round totals, then lots"),
        ],
        rounds,
        elected: elected.clone(),
        ranking: None,
        pairwise: None,
    };
    Ok(Outcome { elected, transcript })
}
