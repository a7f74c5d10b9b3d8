//! Scottish STV: the Scottish Local Government Elections Order 2007
//! (SSI 2007/42), rules 45 to 52.
//!
//! A weighted inclusive Gregory method: every ballot paper held by an elected
//! candidate is transferred at a value `surplus × value / total`, truncated
//! to five decimal places. Papers travel in parcels of identical rankings;
//! all papers of a parcel have the same history and hence the same value, so
//! a parcel of weight `m` counts exactly like `m` single papers.
//!
//! Units: a paper's value per unit of weight is an integer of 10⁻⁵ (1.00000
//! is 100 000); totals are integers of 10⁻¹¹ votes (value × micro-weight),
//! which with whole-vote weights are exact 5-decimal figures.

use super::ballots::{Profile, RankedBallots};
use super::decimal::Decimal;
use super::error::{check_profile, CountError};
use super::lots::TieBreaker;
use super::ties::{choose, order_group, Extreme};
use super::transcript::{
    Action, Decision, Method, Outcome, Parameter, Reason, Round, Status, TieBreak, TiePurpose, Transcript,
};

/// A paper's full value (1.00000) in units of 10⁻⁵.
const FULL_VALUE: u64 = 100_000;
/// Units of 10⁻¹¹ in one vote.
const VOTE: u128 = 100_000_000_000;
/// Units of 10⁻¹¹ in one micro-vote of weight at full value.
const MICRO_AT_FULL: u128 = 100_000;
/// Decimal places of a total, and the places always shown.
const SCALE: u8 = 11;
const SHOWN: u8 = 5;

/// A parcel of papers with one ranking, at one candidate.
#[derive(Clone, Copy, Debug)]
struct Parcel {
    group: u32,
    /// Position in the ranking of the candidate holding the parcel.
    pos: u16,
    /// Value per unit of weight, in 10⁻⁵.
    value: u64,
}

struct Count<'a> {
    ballots: &'a RankedBallots,
    breaker: &'a TieBreaker,
    seats: usize,
    status: Vec<Status>,
    piles: Vec<Vec<Parcel>>,
    tally: Vec<u128>,
    exhausted: u128,
    loss: u128,
    quota: u128,
    elected: Vec<usize>,
    /// Elected candidates whose surplus awaits transfer.
    pending: Vec<usize>,
    /// Totals at the end of each round, for tie-breaking (rules 49, 51).
    history: Vec<Vec<u128>>,
    rounds: Vec<Round>,
}

/// Counts `profile` by Scottish STV for `seats` seats.
///
/// Ties are broken by the totals at the most recent earlier stage at which
/// the tied candidates differed (rules 49(2), 51(2)), then by lots.
pub fn stv_scottish(
    profile: &Profile<RankedBallots>,
    seats: usize,
    breaker: &TieBreaker,
) -> Result<Outcome, CountError> {
    let ballots = &profile.ballots;
    check_profile(profile, ballots.num_candidates(), seats)?;
    let n = profile.num_candidates();
    let withdrawn = profile.withdrawn_mask();
    let status = withdrawn
        .iter()
        .map(|&w| if w { Status::Withdrawn } else { Status::Hopeful })
        .collect();
    let mut count = Count {
        ballots,
        breaker,
        seats,
        status,
        piles: vec![Vec::new(); n],
        tally: vec![0; n],
        exhausted: 0,
        loss: 0,
        quota: 0,
        elected: Vec::new(),
        pending: Vec::new(),
        history: Vec::new(),
        rounds: Vec::new(),
    };
    let valid = count.first_count();
    // Rule 46: valid papers / (seats + 1), decimals ignored, plus one.
    let divisor = u128::from(super::weight::WEIGHT_SCALE) * (seats as u128 + 1);
    count.quota = (valid / divisor + 1) * VOTE;
    count.push_round(Action::FirstPreferences, vec![0; n]);
    count.run();
    let transcript = Transcript {
        method: Method::StvScottish,
        rule: "Scottish STV (SSI 2007/42, rules 45-52)".to_owned(),
        candidates: profile.candidates.clone(),
        withdrawn: profile.withdrawn.clone(),
        seats,
        total: Decimal::trimmed(valid as i128, 6, 0),
        quota: Some(show(count.quota)),
        parameters: vec![
            Parameter::new("Arithmetic", "fixed point, 5 decimal places, truncated"),
            Parameter::new("Quota rule", "floor(valid votes / (seats + 1)) + 1"),
            Parameter::new("Ties", "earlier-stage totals, then lots"),
        ],
        rounds: count.rounds,
        elected: count.elected.clone(),
        ranking: None,
        pairwise: None,
    };
    Ok(Outcome {
        elected: count.elected,
        transcript,
    })
}

fn show(units: u128) -> Decimal {
    Decimal::trimmed(units as i128, SCALE, SHOWN)
}

impl Count<'_> {
    /// Rule 45: each paper to its first (non-withdrawn) preference. Returns
    /// the valid weight in micro-votes.
    fn first_count(&mut self) -> u128 {
        let mut valid = 0u128;
        for (g, (m, ranking)) in self.ballots.groups().enumerate() {
            if let Some(pos) = self.next_hopeful(ranking, None) {
                let c = usize::from(ranking[pos]);
                self.piles[c].push(Parcel {
                    group: g as u32,
                    pos: pos as u16,
                    value: FULL_VALUE,
                });
                self.tally[c] += u128::from(m) * MICRO_AT_FULL;
                valid += u128::from(m);
            }
        }
        valid
    }

    /// The position of the next continuing candidate after `after`.
    fn next_hopeful(&self, ranking: &[u16], after: Option<usize>) -> Option<usize> {
        let start = after.map_or(0, |p| p + 1);
        (start..ranking.len()).find(|&p| self.status[usize::from(ranking[p])] == Status::Hopeful)
    }

    fn hopefuls(&self) -> Vec<usize> {
        (0..self.status.len())
            .filter(|&c| self.status[c] == Status::Hopeful)
            .collect()
    }

    fn complete(&self) -> bool {
        let left = self.seats.saturating_sub(self.elected.len());
        left == 0 || self.hopefuls().len() <= left
    }

    fn earlier(&self) -> &[Vec<u128>] {
        &self.history[..self.history.len().saturating_sub(1)]
    }

    /// Lots context for a decision that opens the next round.
    fn context(&self, what: &str) -> String {
        format!("stv-scottish/round {}/{what}", self.rounds.len())
    }

    fn run(&mut self) {
        loop {
            self.elect_quota_reachers();
            if self.complete() {
                break;
            }
            if !self.pending.is_empty() {
                self.transfer_largest_surplus();
                continue;
            }
            self.exclude_lowest();
            if self.complete() {
                break;
            }
        }
        self.finish();
    }

    /// Rule 47: candidates at or above the quota are elected, highest first;
    /// equal totals are ordered by the surplus tie rule (rule 49).
    fn elect_quota_reachers(&mut self) {
        let mut reachers: Vec<usize> = self
            .hopefuls()
            .into_iter()
            .filter(|&c| self.tally[c] >= self.quota)
            .collect();
        if reachers.is_empty() {
            return;
        }
        reachers.sort_by(|&a, &b| self.tally[b].cmp(&self.tally[a]).then(a.cmp(&b)));
        let mut ordered = Vec::new();
        let mut ties = Vec::new();
        for group in reachers.chunk_by(|&a, &b| self.tally[a] == self.tally[b]) {
            let (order, t) = order_group(
                group,
                self.earlier(),
                Extreme::Highest,
                self.breaker,
                // Elections belong to the round just ended.
                &format!(
                    "stv-scottish/round {}/election-order",
                    self.rounds.len().saturating_sub(1)
                ),
                TiePurpose::ElectionOrder,
            );
            ordered.extend(order);
            ties.extend(t);
        }
        let decisions = ordered
            .iter()
            .map(|&c| Decision {
                candidate: c,
                reason: Reason::Quota,
            })
            .collect();
        for &c in &ordered {
            self.status[c] = Status::Elected;
            self.elected.push(c);
            if self.tally[c] > self.quota {
                self.pending.push(c);
            }
        }
        self.amend_last_round(decisions, Vec::new(), ties);
    }

    /// Rules 48 and 49: transfer the largest surplus.
    fn transfer_largest_surplus(&mut self) {
        let largest = self.pending.iter().map(|&c| self.tally[c]).max().unwrap_or(0);
        let tied: Vec<usize> = self
            .pending
            .iter()
            .copied()
            .filter(|&c| self.tally[c] == largest)
            .collect();
        let mut ties = Vec::new();
        let from = if tied.len() > 1 {
            let tie = choose(
                &tied,
                self.earlier(),
                Extreme::Highest,
                self.breaker,
                &self.context("surplus"),
                TiePurpose::SurplusOrder,
            );
            let c = tie.chosen;
            ties.push(tie);
            c
        } else {
            tied[0]
        };
        self.pending.retain(|&c| c != from);
        let before = self.tally.clone();
        let total = self.tally[from];
        let surplus = total - self.quota;
        let mut credited = 0u128;
        for parcel in std::mem::take(&mut self.piles[from]) {
            // Rule 48(3): surplus × value / total, to 5 places, remainder ignored.
            let value = (surplus * u128::from(parcel.value) / total) as u64;
            let (m, ranking) = self.ballots.group(parcel.group as usize);
            let amount = u128::from(m) * u128::from(value);
            credited += amount;
            if value == 0 {
                continue;
            }
            self.move_parcel(parcel, ranking, value, amount);
        }
        self.loss += surplus - credited;
        self.tally[from] = self.quota;
        let action = Action::Surplus {
            candidate: from,
            surplus: show(surplus),
        };
        self.push_round(action, before);
        self.amend_last_round(Vec::new(), Vec::new(), ties);
    }

    /// Rules 50 and 51: exclude the lowest candidate, papers at their value.
    fn exclude_lowest(&mut self) {
        let hopefuls = self.hopefuls();
        let lowest = hopefuls.iter().map(|&c| self.tally[c]).min().unwrap_or(0);
        let tied: Vec<usize> = hopefuls.into_iter().filter(|&c| self.tally[c] == lowest).collect();
        let mut ties = Vec::new();
        let out = if tied.len() > 1 {
            let tie = choose(
                &tied,
                self.earlier(),
                Extreme::Lowest,
                self.breaker,
                &self.context("exclude"),
                TiePurpose::Exclusion,
            );
            let c = tie.chosen;
            ties.push(tie);
            c
        } else {
            tied[0]
        };
        self.status[out] = Status::Excluded;
        let before = self.tally.clone();
        for parcel in std::mem::take(&mut self.piles[out]) {
            let (m, ranking) = self.ballots.group(parcel.group as usize);
            let amount = u128::from(m) * u128::from(parcel.value);
            self.move_parcel(parcel, ranking, parcel.value, amount);
        }
        self.tally[out] = 0;
        self.push_round(Action::Exclusion { candidate: out }, before);
        let excluded = vec![Decision {
            candidate: out,
            reason: Reason::LowestVote,
        }];
        self.amend_last_round(Vec::new(), excluded, ties);
    }

    /// Moves a parcel to the next continuing preference, or to the
    /// non-transferable papers.
    fn move_parcel(&mut self, parcel: Parcel, ranking: &[u16], value: u64, amount: u128) {
        match self.next_hopeful(ranking, Some(usize::from(parcel.pos))) {
            Some(pos) => {
                let to = usize::from(ranking[pos]);
                self.tally[to] += amount;
                self.piles[to].push(Parcel {
                    group: parcel.group,
                    pos: pos as u16,
                    value,
                });
            }
            None => self.exhausted += amount,
        }
    }

    /// Rule 52 and the end of the count: if no more continuing candidates
    /// than vacancies, all are elected (in ballot-paper order); the rest are
    /// excluded.
    fn finish(&mut self) {
        let left = self.seats.saturating_sub(self.elected.len());
        let hopefuls = self.hopefuls();
        let mut elected = Vec::new();
        let mut excluded = Vec::new();
        if hopefuls.len() <= left {
            for c in hopefuls {
                self.status[c] = Status::Elected;
                self.elected.push(c);
                elected.push(Decision {
                    candidate: c,
                    reason: Reason::RemainingSeats,
                });
            }
        } else {
            for c in hopefuls {
                self.status[c] = Status::Excluded;
                excluded.push(Decision {
                    candidate: c,
                    reason: Reason::SeatsFilled,
                });
            }
        }
        self.amend_last_round(elected, excluded, Vec::new());
    }

    fn push_round(&mut self, action: Action, before: Vec<u128>) {
        let transfers = self
            .tally
            .iter()
            .zip(&before)
            .map(|(&a, &b)| Decimal::trimmed(a as i128 - b as i128, SCALE, SHOWN))
            .collect();
        self.rounds.push(Round {
            number: self.rounds.len(),
            action,
            tally: self.tally.iter().map(|&t| show(t)).collect(),
            transfers,
            status: self.status.clone(),
            exhausted: show(self.exhausted),
            loss: Some(show(self.loss)),
            quota: Some(show(self.quota)),
            surplus: None,
            elected: Vec::new(),
            excluded: Vec::new(),
            ties: Vec::new(),
            notes: Vec::new(),
        });
        self.history.push(self.tally.clone());
    }

    /// Decisions taken at the end of the latest round belong to it.
    fn amend_last_round(&mut self, elected: Vec<Decision>, excluded: Vec<Decision>, ties: Vec<TieBreak>) {
        if let Some(round) = self.rounds.last_mut() {
            round.elected.extend(elected);
            round.excluded.extend(excluded);
            round.ties.extend(ties);
            round.status = self.status.clone();
        }
    }
}
