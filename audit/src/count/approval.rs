//! Approval voting for any number of seats: each ballot gives its full
//! weight to every candidate it approves; the highest totals win. One pass
//! over the ballots, no grouping needed.

use super::ballots::{ApprovalBallots, Profile};
use super::error::{check_profile, CountError};
use super::lots::TieBreaker;
use super::select::TotalsCount;
use super::transcript::{Method, Outcome, Parameter};

/// Counts `profile` by approval voting for `seats` seats. Approvals of
/// withdrawn candidates are ignored. Equal totals straddling the last seat
/// are decided by the explicit tie order or lots.
pub fn approval(profile: &Profile<ApprovalBallots>, seats: usize, breaker: &TieBreaker) -> Result<Outcome, CountError> {
    let ballots = &profile.ballots;
    check_profile(profile, ballots.num_candidates(), seats)?;
    let withdrawn = profile.withdrawn_mask();
    let eligible: Vec<bool> = withdrawn.iter().map(|&w| !w).collect();
    let mut totals = vec![0u128; profile.num_candidates()];
    let mut unused = 0u128;
    for (weight, approved) in ballots.ballots() {
        let w = u128::from(weight);
        let mut used = false;
        for &c in approved {
            let c = usize::from(c);
            if eligible[c] {
                totals[c] += w;
                used = true;
            }
        }
        if !used {
            unused += w;
        }
    }
    Ok(TotalsCount {
        method: Method::Approval,
        rule: "Approval voting: highest approval totals win",
        candidates: &profile.candidates,
        withdrawn: &profile.withdrawn,
        seats,
        total_micros: ballots.total_micros(),
        unused_micros: unused,
        totals: &totals,
        scale: 6,
        parameters: vec![Parameter::new(
            "Ties",
            "equal totals for the last seat: tie order or lots",
        )],
    }
    .finish(&eligible, breaker))
}

/// Counts approval voting from totals already summed (an encrypted
/// election's decrypted totals, FORMAT.md §16.8):
/// the count [`approval`] makes of ballots that give these `totals` (in
/// micro-votes per candidate) and weigh `total_micros`, each approving at
/// least one candidate, none withdrawn.
pub fn approval_from_totals(
    candidates: &[String],
    seats: usize,
    total_micros: u128,
    totals: &[u128],
    breaker: &TieBreaker,
) -> Result<Outcome, CountError> {
    let profile = Profile::new(candidates.to_vec(), ());
    check_profile(&profile, totals.len(), seats)?;
    let eligible = vec![true; totals.len()];
    Ok(TotalsCount {
        method: Method::Approval,
        rule: "Approval voting: highest approval totals win",
        candidates: &profile.candidates,
        withdrawn: &profile.withdrawn,
        seats,
        total_micros,
        unused_micros: 0,
        totals,
        scale: 6,
        parameters: vec![Parameter::new(
            "Ties",
            "equal totals for the last seat: tie order or lots",
        )],
    }
    .finish(&eligible, breaker))
}
