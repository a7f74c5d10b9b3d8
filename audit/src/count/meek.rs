//! Meek STV in 9-place fixed-point arithmetic, omega = 10⁻⁶.
//!
//! Two rules are offered, both as implemented by the Droop package:
//!
//! * [`MeekRule::PrfReference`] — the Proportional Representation
//!   Foundation's reference Meek rule (Droop `meek-prf`);
//! * [`MeekRule::DroopParametric`] — Droop's parametric `meek` rule with
//!   fixed 9-place arithmetic and omega 10⁻⁶, the rule reproduced by stv-rs.
//!
//! They differ only in how a ballot's weight is split at an elected
//! candidate, in the omega test and in how a negative surplus is treated
//! (see `audit/COUNTING.md`).
//!
//! Units: keep factors and ballot weights (per unit of ballot weight) are
//! integers of 10⁻⁹; votes are integers of 10⁻¹⁵ (10⁻⁹ × micro-weight),
//! exact 9-place figures when ballot weights are whole votes.

use super::ballots::{Profile, RankedBallots};
use super::decimal::Decimal;
use super::error::{check_profile, CountError};
use super::lots::TieBreaker;
use super::ties::{choose, Extreme};
use super::transcript::{
    Action, Decision, IterationStop, Method, Outcome, Parameter, Reason, Round, Status, TieBreak, TiePurpose,
    Transcript,
};
use std::collections::HashMap;

/// Which Meek rule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum MeekRule {
    /// PR Foundation reference rule: keep = w·kf rounded up, w −= keep;
    /// iteration stops when the surplus is below omega.
    #[default]
    PrfReference,
    /// Droop parametric rule: keep = w·kf rounded down, w ← w·(1−kf) rounded
    /// down; iteration stops when the surplus is at most omega.
    DroopParametric,
}

/// 1.000000000 in units of 10⁻⁹.
const ONE: u64 = 1_000_000_000;
/// Units of 10⁻¹⁵ per unit of 10⁻⁹ at weight one (one vote = 10⁶ micro).
const PER_NANO: u128 = 1_000_000;
/// Omega, 10⁻⁶, in units of 10⁻¹⁵.
const OMEGA: i128 = 1_000_000_000;
/// Safety stop for pathological inputs; never reached by real counts.
const MAX_ITERATIONS: u32 = 10_000;
const SCALE: u8 = 15;
const SHOWN: u8 = 9;

fn show(units: u128) -> Decimal {
    Decimal::trimmed(units as i128, SCALE, SHOWN)
}

fn show_signed(units: i128) -> Decimal {
    Decimal::trimmed(units, SCALE, SHOWN)
}

struct Meek<'a> {
    rule: MeekRule,
    ballots: &'a RankedBallots,
    breaker: &'a TieBreaker,
    seats: usize,
    status: Vec<Status>,
    kf: Vec<u64>,
    elected: Vec<usize>,
    /// This round's distinct effective rankings: continuing candidates up to
    /// and including the first hopeful one; defeated candidates (keep factor
    /// 0) pass weight on unchanged and are dropped.
    prefix: Vec<u16>,
    prefix_ends: Vec<u32>,
    prefix_weight: Vec<u128>,
    votes: Vec<u128>,
    /// The tally of the last round pushed, as shown: each round's transfers
    /// are the change from it (COUNTING.md §11).
    shown: Vec<u128>,
    exhausted: u128,
    /// Total valid weight in units of 10⁻¹⁵.
    total: u128,
    quota: u128,
    surplus: i128,
    rounds: Vec<Round>,
}

/// Counts `profile` by Meek STV for `seats` seats.
///
/// Candidates elected in the same iteration are listed in candidate order.
/// A defeat tie (candidates within the total surplus of the lowest) is
/// broken by the explicit tie order or lots.
pub fn stv_meek(
    profile: &Profile<RankedBallots>,
    seats: usize,
    rule: MeekRule,
    breaker: &TieBreaker,
) -> Result<Outcome, CountError> {
    let ballots = &profile.ballots;
    check_profile(profile, ballots.num_candidates(), seats)?;
    let n = profile.num_candidates();
    let status: Vec<Status> = profile
        .withdrawn_mask()
        .iter()
        .map(|&w| if w { Status::Withdrawn } else { Status::Hopeful })
        .collect();
    let kf = status
        .iter()
        .map(|&s| if s == Status::Hopeful { ONE } else { 0 })
        .collect();
    let mut meek = Meek {
        rule,
        ballots,
        breaker,
        seats,
        status,
        kf,
        elected: Vec::new(),
        prefix: Vec::new(),
        prefix_ends: Vec::new(),
        prefix_weight: Vec::new(),
        votes: vec![0; n],
        shown: vec![0; n],
        exhausted: 0,
        total: 0,
        quota: 0,
        surplus: 0,
        rounds: Vec::new(),
    };
    meek.compact();
    meek.total = meek.prefix_weight.iter().sum::<u128>() * u128::from(ONE);
    meek.distribute();
    meek.quota = meek.quota_of(meek.total);
    meek.push_round(Action::FirstPreferences);
    meek.run();
    let (rule_name, split, stop) = match rule {
        MeekRule::PrfReference => (
            "Meek STV, PR Foundation reference rule",
            "keep = weight x kf rounded up; weight -= keep",
            "surplus < omega, or surplus not decreasing",
        ),
        MeekRule::DroopParametric => (
            "Meek STV, Droop parametric rule",
            "keep = weight x kf rounded down; weight = weight x (1 - kf) rounded down",
            "surplus <= omega, or surplus not decreasing",
        ),
    };
    let transcript = Transcript {
        method: Method::StvMeek,
        rule: rule_name.to_owned(),
        candidates: profile.candidates.clone(),
        withdrawn: profile.withdrawn.clone(),
        seats,
        total: Decimal::trimmed((meek.total / u128::from(ONE)) as i128, 6, 0),
        quota: meek.rounds.first().and_then(|r| r.quota),
        parameters: vec![
            Parameter::new("Arithmetic", "fixed point, 9 decimal places"),
            Parameter::new("Omega", "0.000001"),
            Parameter::new("Split at a candidate", split),
            Parameter::new(
                "Quota rule",
                "votes / (seats + 1) truncated to 9 places, plus 0.000000001",
            ),
            Parameter::new("Keep factor", "kf x quota (rounded up) / votes (rounded up), at most 1"),
            Parameter::new("Iteration stops", stop),
            Parameter::new(
                "Ties",
                "defeat: candidates within the surplus of the lowest, by tie order or lots",
            ),
        ],
        rounds: meek.rounds,
        elected: meek.elected.clone(),
        ranking: None,
        pairwise: None,
    };
    Ok(Outcome {
        elected: meek.elected,
        transcript,
    })
}

impl Meek<'_> {
    fn hopefuls(&self) -> Vec<usize> {
        (0..self.status.len())
            .filter(|&c| self.status[c] == Status::Hopeful)
            .collect()
    }

    /// Groups the ballots by their effective ranking under the current
    /// statuses: everything after the first hopeful candidate is unreachable.
    fn compact(&mut self) {
        let mut index: HashMap<Vec<u16>, usize> = HashMap::new();
        self.prefix.clear();
        self.prefix_ends.clear();
        self.prefix_weight.clear();
        let mut buf: Vec<u16> = Vec::new();
        for (m, ranking) in self.ballots.groups() {
            buf.clear();
            for &c in ranking {
                match self.status[usize::from(c)] {
                    Status::Hopeful => {
                        buf.push(c);
                        break;
                    }
                    Status::Elected => buf.push(c),
                    Status::Excluded | Status::Withdrawn => {}
                }
            }
            if buf.is_empty() {
                // Nobody left to credit: exhausted (or, before the first
                // round, only withdrawn candidates: not a valid vote).
                continue;
            }
            match index.get(buf.as_slice()) {
                Some(&i) => self.prefix_weight[i] += u128::from(m),
                None => {
                    index.insert(buf.clone(), self.prefix_weight.len());
                    self.prefix.extend_from_slice(&buf);
                    self.prefix_ends.push(self.prefix.len() as u32);
                    self.prefix_weight.push(u128::from(m));
                }
            }
        }
    }

    /// One distribution of every ballot under the current keep factors.
    fn distribute(&mut self) {
        self.votes.iter_mut().for_each(|v| *v = 0);
        let mut start = 0usize;
        for (i, &end) in self.prefix_ends.iter().enumerate() {
            let weight = self.prefix_weight[i];
            let mut w = ONE;
            for &c in &self.prefix[start..end as usize] {
                let c = usize::from(c);
                let k = self.kf[c];
                let keep = match self.rule {
                    MeekRule::PrfReference => {
                        let keep = (w * k).div_ceil(ONE);
                        w -= keep;
                        keep
                    }
                    MeekRule::DroopParametric => {
                        let keep = w * k / ONE;
                        w = w * (ONE - k) / ONE;
                        keep
                    }
                };
                self.votes[c] += u128::from(keep) * weight;
                if w == 0 {
                    break;
                }
            }
            start = end as usize;
        }
        let credited: u128 = self.votes.iter().sum();
        self.exhausted = self.total.saturating_sub(credited);
    }

    /// Votes / (seats + 1), truncated to 9 places, plus 10⁻⁹ (units 10⁻¹⁵).
    fn quota_of(&self, votes: u128) -> u128 {
        (votes / (PER_NANO * (self.seats as u128 + 1)) + 1) * PER_NANO
    }

    fn run(&mut self) {
        loop {
            let left = self.seats.saturating_sub(self.elected.len());
            if left == 0 || self.hopefuls().len() <= left {
                break;
            }
            self.round();
        }
        self.complete();
    }

    /// One round: iterate keep factors until someone is elected or the
    /// surplus is small or stable; then, unless someone was elected, defeat
    /// the lowest hopeful candidate.
    fn round(&mut self) {
        self.compact();
        let mut last_surplus = self.total as i128;
        let mut iterations = 0u32;
        let mut elected_now = Vec::new();
        let mut notes = Vec::new();
        let stop = loop {
            iterations += 1;
            self.distribute();
            self.quota = self.quota_of(self.votes.iter().sum());
            let mut reachers: Vec<usize> = self
                .hopefuls()
                .into_iter()
                .filter(|&c| self.votes[c] >= self.quota)
                .collect();
            let left = self.seats.saturating_sub(self.elected.len());
            if reachers.len() > left {
                // Only possible when elected candidates have fallen below
                // the quota (where Droop itself fails): never elect more
                // than the seats, the highest votes first.
                reachers.sort_by(|&a, &b| self.votes[b].cmp(&self.votes[a]).then(a.cmp(&b)));
                reachers.truncate(left);
                reachers.sort_unstable();
                notes.push("more candidates reached the quota than seats remained".to_owned());
            }
            for c in reachers {
                self.status[c] = Status::Elected;
                self.elected.push(c);
                elected_now.push(Decision {
                    candidate: c,
                    reason: Reason::Quota,
                });
            }
            let surplus: i128 = self
                .elected
                .iter()
                .map(|&c| self.votes[c] as i128 - self.quota as i128)
                .sum();
            self.surplus = match self.rule {
                MeekRule::PrfReference => surplus.max(0),
                MeekRule::DroopParametric => surplus,
            };
            if !elected_now.is_empty() {
                break IterationStop::Elected;
            }
            let small = match self.rule {
                MeekRule::PrfReference => self.surplus < OMEGA,
                MeekRule::DroopParametric => self.surplus <= OMEGA,
            };
            if small {
                break IterationStop::Omega;
            }
            if self.surplus >= last_surplus {
                notes.push(format!(
                    "stable state: surplus {} not below the previous {}",
                    show_signed(self.surplus),
                    show_signed(last_surplus)
                ));
                break IterationStop::Stable;
            }
            if iterations >= MAX_ITERATIONS {
                notes.push(format!("iteration limit of {MAX_ITERATIONS} reached"));
                break IterationStop::Stable;
            }
            last_surplus = self.surplus;
            self.update_keep_factors();
        };
        let mut excluded = Vec::new();
        let mut ties = Vec::new();
        if stop != IterationStop::Elected {
            let (out, tie) = self.lowest();
            notes.push(match stop {
                IterationStop::Omega => format!(
                    "defeat with surplus {} {} omega",
                    show_signed(self.surplus),
                    if self.rule == MeekRule::PrfReference { "<" } else { "<=" }
                ),
                _ => format!("defeat with stable surplus {}", show_signed(self.surplus)),
            });
            ties.extend(tie);
            excluded.push(Decision {
                candidate: out,
                reason: Reason::LowestVote,
            });
        }
        let action = Action::Iteration { iterations, stop };
        self.push_round(action);
        if let Some(round) = self.rounds.last_mut() {
            round.elected = elected_now;
            round.excluded = excluded.clone();
            round.ties = ties;
            round.notes = notes;
        }
        for d in excluded {
            self.status[d.candidate] = Status::Excluded;
            self.kf[d.candidate] = 0;
        }
        if let Some(round) = self.rounds.last_mut() {
            round.status = self.status.clone();
        }
        // A defeated candidate's votes are transferred by the next
        // distribution; until then they count for nobody.
        for c in 0..self.votes.len() {
            if self.status[c] == Status::Excluded {
                self.votes[c] = 0;
            }
        }
    }

    /// kf ← (kf × quota, rounded up) / votes, rounded up; never above 1.
    fn update_keep_factors(&mut self) {
        let quota_nanos = self.quota / PER_NANO;
        for &c in &self.elected {
            let votes = self.votes[c];
            if votes == 0 {
                continue;
            }
            let a = (u128::from(self.kf[c]) * quota_nanos).div_ceil(u128::from(ONE));
            let kf = (a * u128::from(ONE) * PER_NANO).div_ceil(votes);
            self.kf[c] = kf.min(u128::from(ONE)) as u64;
        }
    }

    /// The hopeful candidate to defeat: the lowest, where every candidate
    /// within the total surplus of the lowest counts as tied.
    fn lowest(&self) -> (usize, Option<TieBreak>) {
        let hopefuls = self.hopefuls();
        let low = hopefuls.iter().map(|&c| self.votes[c]).min().unwrap_or(0);
        let margin = self.surplus.max(0) as u128;
        let tied: Vec<usize> = hopefuls
            .into_iter()
            .filter(|&c| self.votes[c] <= low + margin)
            .collect();
        if tied.len() == 1 {
            return (tied[0], None);
        }
        let context = format!("stv-meek/round {}/exclude", self.rounds.len());
        let tie = choose(
            &tied,
            &[],
            Extreme::Lowest,
            self.breaker,
            &context,
            TiePurpose::Exclusion,
        );
        (tie.chosen, Some(tie))
    }

    /// Elect or defeat the remaining hopeful candidates, in candidate order.
    fn complete(&mut self) {
        let hopefuls = self.hopefuls();
        if hopefuls.is_empty() {
            return;
        }
        let mut elected = Vec::new();
        let mut excluded = Vec::new();
        for c in hopefuls {
            if self.elected.len() < self.seats {
                self.status[c] = Status::Elected;
                self.elected.push(c);
                elected.push(Decision {
                    candidate: c,
                    reason: Reason::RemainingSeats,
                });
            } else {
                self.status[c] = Status::Excluded;
                self.kf[c] = 0;
                self.votes[c] = 0;
                excluded.push(Decision {
                    candidate: c,
                    reason: Reason::SeatsFilled,
                });
            }
        }
        match self.rule {
            MeekRule::DroopParametric => {
                // Droop recounts with the final keep factors for its report.
                self.compact();
                self.distribute();
            }
            MeekRule::PrfReference => {
                // No redistribution: the votes of candidates excluded now (or
                // at the end of the last round) are credited to nobody, so
                // they join the exhausted votes (Droop's residual) and the
                // round still conserves the total.
                let credited: u128 = self.votes.iter().sum();
                self.exhausted = self.total.saturating_sub(credited);
            }
        }
        self.push_round(Action::Completion);
        if let Some(round) = self.rounds.last_mut() {
            round.elected = elected;
            round.excluded = excluded;
        }
    }

    /// Records the current votes as a round. Transfers are the change from
    /// the tally of the previous round as shown, so that a candidate whose
    /// votes were shown in the round that excluded them shows their loss in
    /// the next (COUNTING.md §11).
    fn push_round(&mut self, action: Action) {
        let transfers = self
            .votes
            .iter()
            .zip(&self.shown)
            .map(|(&a, &b)| show_signed(a as i128 - b as i128))
            .collect();
        self.shown.clone_from(&self.votes);
        self.rounds.push(Round {
            number: self.rounds.len(),
            action,
            tally: self.votes.iter().map(|&v| show(v)).collect(),
            transfers,
            status: self.status.clone(),
            exhausted: show(self.exhausted),
            loss: None,
            quota: Some(show(self.quota)),
            surplus: Some(show_signed(self.surplus)),
            elected: Vec::new(),
            excluded: Vec::new(),
            ties: Vec::new(),
            notes: Vec::new(),
        });
    }
}
