//! Contests counted by `teller_audit::count`: approval, cumulative, IRV,
//! STV and Schulze. Ballots are collected (ranked ones grouped by identical
//! ranking) as they stream past, then counted once.

use super::{contest_seed, Outcome};
use crate::count::{
    approval, cumulative, irv, schulze, stv_meek, stv_scottish, ApprovalBallots, MeekRule, Profile, RankedBallots,
    RankedBallotsBuilder, ScoreBallots, TieBreaker, Weight,
};
use crate::crypto::Seed;
use crate::definition::{Contest, Method};

/// Ballots gathered for one contest.
pub(super) enum Collected {
    Ranked(RankedBallotsBuilder),
    Approval(ApprovalBallots),
    Cumulative(ScoreBallots),
    /// The contest cannot be counted (too many candidates for the engine).
    Unusable(String),
}

impl Collected {
    pub(super) fn new(method: &Method, candidates: usize) -> Self {
        let made = match method {
            Method::Approval => ApprovalBallots::new(candidates).map(Collected::Approval),
            Method::Cumulative { points } => ScoreBallots::new(candidates, *points).map(Collected::Cumulative),
            _ => Ok(Collected::Ranked(RankedBallots::builder(candidates))),
        };
        made.unwrap_or_else(|e| Collected::Unusable(e.to_string()))
    }

    /// Add one ballot's choices (candidate indices, in ballot order). `false`
    /// if the engine refuses them (the ballot is then counted as invalid).
    pub(super) fn push(&mut self, weight: Weight, chosen: &[usize]) -> bool {
        match self {
            Collected::Ranked(b) => b.push(weight, chosen).is_ok(),
            Collected::Approval(b) => b.push(weight, chosen).is_ok(),
            Collected::Cumulative(b) => {
                // A candidate listed k times has k points.
                let mut points: Vec<(usize, u32)> = Vec::new();
                for &c in chosen {
                    match points.iter_mut().find(|(k, _)| *k == c) {
                        Some((_, p)) => *p += 1,
                        None => points.push((c, 1)),
                    }
                }
                b.push(weight, &points).is_ok()
            }
            Collected::Unusable(_) => false,
        }
    }

    /// Count, with lots drawn from the contest's own seed.
    pub(super) fn count(self, contest: &Contest, seed: &Seed) -> Outcome {
        let names: Vec<String> = contest.candidates.iter().map(|c| c.name.clone()).collect();
        let seats = contest.seats as usize;
        let breaker = TieBreaker::new(contest_seed(seed, &contest.id));
        let result = match (self, &contest.method) {
            (Collected::Approval(b), _) => approval(&Profile::new(names, b), seats, &breaker),
            (Collected::Cumulative(b), _) => cumulative(&Profile::new(names, b), seats, &breaker),
            (Collected::Ranked(b), method) => {
                let profile = Profile::new(names, b.build());
                match method {
                    Method::Irv { .. } => irv(&profile, &breaker),
                    Method::StvScottish { .. } => stv_scottish(&profile, seats, &breaker),
                    Method::StvMeek { .. } => stv_meek(&profile, seats, MeekRule::PrfReference, &breaker),
                    _ => schulze(&profile, seats, &breaker),
                }
            }
            (Collected::Unusable(why), _) => {
                return failed(contest, why);
            }
        };
        counted(contest, result)
    }
}

/// A counting method's result as the tally's figures (an engine's refusal
/// as a failed count).
pub(super) fn counted(contest: &Contest, result: Result<crate::count::Outcome, crate::count::CountError>) -> Outcome {
    match result {
        Ok(outcome) => Outcome::Counted {
            counted_by: contest.method.name().to_string(),
            elected: outcome
                .elected
                .iter()
                .filter_map(|&i| contest.candidates.get(i).map(|c| c.id.clone()))
                .collect(),
            transcript: serde_json::to_value(&outcome.transcript).expect(crate::canonical::ENCODABLE),
        },
        Err(e) => failed(contest, e.to_string()),
    }
}

pub(super) fn failed(contest: &Contest, why: String) -> Outcome {
    Outcome::Counted {
        counted_by: contest.method.name().to_string(),
        elected: vec![],
        transcript: serde_json::json!({ "error": why }),
    }
}
