//! Choosing the highest totals for a number of seats (approval, cumulative).

use super::decimal::Decimal;
use super::lots::TieBreaker;
use super::transcript::{Action, Decision, Method, Outcome, Reason, Round, Status, TieBreak, TiePurpose, Transcript};

/// The `seats` eligible candidates with the highest totals, highest first.
/// Equal totals are listed in candidate order; when equal totals straddle
/// the last seat, lots (or the explicit tie order) decide among them.
pub(crate) fn top_seats(
    totals: &[u128],
    eligible: &[bool],
    seats: usize,
    breaker: &TieBreaker,
    context: &str,
) -> (Vec<usize>, Vec<TieBreak>) {
    let mut order: Vec<usize> = (0..totals.len()).filter(|&c| eligible[c]).collect();
    order.sort_by(|&a, &b| totals[b].cmp(&totals[a]).then(a.cmp(&b)));
    let mut elected = Vec::new();
    let mut ties = Vec::new();
    for group in order.chunk_by(|&a, &b| totals[a] == totals[b]) {
        let left = seats - elected.len();
        if left == 0 {
            break;
        }
        if group.len() <= left {
            elected.extend_from_slice(group);
            continue;
        }
        let (drawn, rule) = breaker.resolve(group, &format!("{context}/seat"));
        elected.extend_from_slice(&drawn[..left]);
        ties.push(TieBreak {
            purpose: TiePurpose::Seat,
            tied: group.to_vec(),
            chosen: drawn[0],
            order: drawn,
            rule,
        });
    }
    (elected, ties)
}

/// Builds the one-round outcome of a totals method.
pub(crate) struct TotalsCount<'a> {
    pub method: Method,
    pub rule: &'a str,
    pub candidates: &'a [String],
    pub withdrawn: &'a [usize],
    pub seats: usize,
    pub total_micros: u128,
    /// Weight of ballots that marked no eligible candidate.
    pub unused_micros: u128,
    /// Totals in units of 10^-`scale`.
    pub totals: &'a [u128],
    pub scale: u8,
    pub parameters: Vec<super::transcript::Parameter>,
}

impl TotalsCount<'_> {
    pub fn finish(self, eligible: &[bool], breaker: &TieBreaker) -> Outcome {
        let context = format!("{}/round 0", self.method.name());
        let (elected, ties) = top_seats(self.totals, eligible, self.seats, breaker, &context);
        let status = (0..self.totals.len())
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
        let tally: Vec<Decimal> = self
            .totals
            .iter()
            .map(|&t| Decimal::trimmed(t as i128, self.scale, 0))
            .collect();
        let round = Round {
            number: 0,
            action: Action::Tally,
            transfers: tally.clone(),
            tally,
            status,
            exhausted: Decimal::trimmed(self.unused_micros as i128, 6, 0),
            loss: None,
            quota: None,
            surplus: None,
            elected: elected
                .iter()
                .map(|&c| Decision {
                    candidate: c,
                    reason: Reason::HighestTotal,
                })
                .collect(),
            // Everyone eligible but not elected: the seats are filled
            // (COUNTING.md §8), listed in candidate order.
            excluded: (0..self.totals.len())
                .filter(|&c| eligible[c] && !elected.contains(&c))
                .map(|c| Decision {
                    candidate: c,
                    reason: Reason::SeatsFilled,
                })
                .collect(),
            ties,
            notes: Vec::new(),
        };
        let transcript = Transcript {
            method: self.method,
            rule: self.rule.to_owned(),
            candidates: self.candidates.to_vec(),
            withdrawn: self.withdrawn.to_vec(),
            seats: self.seats,
            total: Decimal::trimmed(self.total_micros as i128, 6, 0),
            quota: None,
            parameters: self.parameters,
            rounds: vec![round],
            elected: elected.clone(),
            ranking: None,
            pairwise: None,
        };
        Outcome { elected, transcript }
    }
}
