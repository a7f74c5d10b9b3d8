//! Cumulative voting: each voter spreads up to a fixed number of points
//! over the candidates; a candidate's total is the sum of points times
//! ballot weight; the highest totals win.

use super::ballots::{Profile, ScoreBallots};
use super::error::{check_profile, CountError};
use super::lots::TieBreaker;
use super::select::TotalsCount;
use super::transcript::{Method, Outcome, Parameter};

/// Counts `profile` by cumulative voting for `seats` seats. Points given to
/// withdrawn candidates are lost (not redistributed). Equal totals straddling
/// the last seat are decided by the explicit tie order or lots.
pub fn cumulative(profile: &Profile<ScoreBallots>, seats: usize, breaker: &TieBreaker) -> Result<Outcome, CountError> {
    let ballots = &profile.ballots;
    check_profile(profile, ballots.num_candidates(), seats)?;
    let eligible: Vec<bool> = profile.withdrawn_mask().iter().map(|&w| !w).collect();
    let mut totals = vec![0u128; profile.num_candidates()];
    let mut unused = 0u128;
    for (weight, marks) in ballots.ballots() {
        let w = u128::from(weight);
        let mut used = false;
        for &(c, points) in marks {
            let c = usize::from(c);
            if eligible[c] && points > 0 {
                totals[c] += w * u128::from(points);
                used = true;
            }
        }
        if !used {
            unused += w;
        }
    }
    Ok(TotalsCount {
        method: Method::Cumulative,
        rule: "Cumulative voting: highest point totals win",
        candidates: &profile.candidates,
        withdrawn: &profile.withdrawn,
        seats,
        total_micros: ballots.total_micros(),
        unused_micros: unused,
        totals: &totals,
        scale: 6,
        parameters: vec![
            Parameter::new("Points per voter", ballots.max_points().to_string()),
            Parameter::new("Ties", "equal totals for the last seat: tie order or lots"),
        ],
    }
    .finish(&eligible, breaker))
}

/// Counts cumulative voting from totals already summed (an encrypted
/// election's decrypted totals, FORMAT.md §16.8):
/// the count [`cumulative`] makes of ballots of up to `points` points that
/// give these `totals` (points × micro-votes per candidate) and weigh
/// `total_micros`, each giving a point to someone, none withdrawn.
pub fn cumulative_from_totals(
    candidates: &[String],
    seats: usize,
    points: u32,
    total_micros: u128,
    totals: &[u128],
    breaker: &TieBreaker,
) -> Result<Outcome, CountError> {
    let profile = Profile::new(candidates.to_vec(), ());
    check_profile(&profile, totals.len(), seats)?;
    let eligible = vec![true; totals.len()];
    Ok(TotalsCount {
        method: Method::Cumulative,
        rule: "Cumulative voting: highest point totals win",
        candidates: &profile.candidates,
        withdrawn: &profile.withdrawn,
        seats,
        total_micros,
        unused_micros: 0,
        totals,
        scale: 6,
        parameters: vec![
            Parameter::new("Points per voter", points.to_string()),
            Parameter::new("Ties", "equal totals for the last seat: tie order or lots"),
        ],
    }
    .finish(&eligible, breaker))
}
