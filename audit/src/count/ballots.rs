//! The input model: candidates and weighted ballots.
//!
//! Candidates are numbered `0..n`. Ranked ballots are stored compactly (one
//! flat array of `u16` candidate numbers) and identical rankings are grouped,
//! their weights summed, before any count: with a million ballots the number
//! of distinct rankings is what the counting loops pay for.

use super::weight::{Weight, MAX_WEIGHT_MICROS};
use std::collections::HashMap;

/// Most candidates a contest may have (candidate numbers are stored as `u16`).
pub const MAX_CANDIDATES: usize = u16::MAX as usize;

/// A contest's candidates and ballots, as read from a file or built by the
/// service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile<B> {
    /// The contest's title (informative only).
    pub title: String,
    /// Candidate names, indexed by candidate number.
    pub candidates: Vec<String>,
    /// Seats to fill, when the source says (a BLT header does, `.soi` does not).
    pub seats: Option<usize>,
    /// Candidates who withdrew: they are skipped on every ballot.
    pub withdrawn: Vec<usize>,
    /// A predetermined tie-breaking order (BLT `[tie …]`), first chosen first.
    pub tie_order: Option<Vec<usize>>,
    /// The ballots.
    pub ballots: B,
}

impl<B> Profile<B> {
    /// A profile with these candidates and ballots, no title, no withdrawn
    /// candidates and no tie order.
    pub fn new(candidates: Vec<String>, ballots: B) -> Profile<B> {
        Profile {
            title: String::new(),
            candidates,
            seats: None,
            withdrawn: Vec::new(),
            tie_order: None,
            ballots,
        }
    }

    /// Number of candidates.
    pub fn num_candidates(&self) -> usize {
        self.candidates.len()
    }

    /// For each candidate, whether they withdrew.
    pub fn withdrawn_mask(&self) -> Vec<bool> {
        let mut mask = vec![false; self.candidates.len()];
        for &c in &self.withdrawn {
            if let Some(m) = mask.get_mut(c) {
                *m = true;
            }
        }
        mask
    }
}

/// Why a ballot was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BallotError {
    /// A candidate number outside `0..count`.
    #[error("candidate number {candidate} does not exist (there are {count} candidates)")]
    UnknownCandidate {
        /// The offending number (0-based).
        candidate: usize,
        /// Number of candidates.
        count: usize,
    },
    /// The same candidate appears twice on one ballot.
    #[error("candidate number {candidate} appears more than once on the ballot")]
    Repeated {
        /// The repeated candidate (0-based).
        candidate: usize,
    },
    /// A ballot of weight zero.
    #[error("ballot weight must be positive")]
    ZeroWeight,
    /// The weights add up to more than [`MAX_WEIGHT_MICROS`].
    #[error("total ballot weight exceeds 10^12 votes")]
    TotalTooLarge,
    /// More than [`MAX_CANDIDATES`] candidates, or more preferences than fit.
    #[error("too many candidates or preferences")]
    TooLarge,
    /// Cumulative voting: more points than allowed.
    #[error("ballot gives {points} points but at most {max} are allowed")]
    TooManyPoints {
        /// Points on the ballot.
        points: u64,
        /// The maximum.
        max: u64,
    },
}

/// Checks candidate numbers for range and repetition in O(length), using a
/// per-candidate stamp instead of clearing a set for every ballot.
#[derive(Clone, Debug)]
struct RepeatGuard {
    stamps: Vec<u32>,
    current: u32,
}

impl RepeatGuard {
    fn new(n: usize) -> RepeatGuard {
        RepeatGuard {
            stamps: vec![0; n],
            current: 0,
        }
    }

    fn check(&mut self, candidates: impl Iterator<Item = usize>) -> Result<(), BallotError> {
        self.current = self.current.wrapping_add(1);
        if self.current == 0 {
            self.stamps.iter_mut().for_each(|s| *s = 0);
            self.current = 1;
        }
        let count = self.stamps.len();
        for c in candidates {
            let stamp = self
                .stamps
                .get_mut(c)
                .ok_or(BallotError::UnknownCandidate { candidate: c, count })?;
            if *stamp == self.current {
                return Err(BallotError::Repeated { candidate: c });
            }
            *stamp = self.current;
        }
        Ok(())
    }
}

/// Range and repetition check for one ballot without a reusable guard:
/// a stack bitset for up to 256 candidates, a heap one beyond.
fn check_distinct(n: usize, candidates: impl Iterator<Item = usize>) -> Result<(), BallotError> {
    let mut small = [0u64; 4];
    let mut large: Vec<u64> = if n > 256 { vec![0; n.div_ceil(64)] } else { Vec::new() };
    let bits: &mut [u64] = if n > 256 { &mut large } else { &mut small };
    for c in candidates {
        if c >= n {
            return Err(BallotError::UnknownCandidate { candidate: c, count: n });
        }
        let (word, bit) = (c / 64, 1u64 << (c % 64));
        if bits[word] & bit != 0 {
            return Err(BallotError::Repeated { candidate: c });
        }
        bits[word] |= bit;
    }
    Ok(())
}

fn check_candidate_count(n: usize) -> Result<(), BallotError> {
    if n > MAX_CANDIDATES {
        Err(BallotError::TooLarge)
    } else {
        Ok(())
    }
}

/// Ranked ballots, grouped: each group is one distinct ranking (most
/// preferred first, no repeats, possibly partial) with the summed weight of
/// the ballots that carried it. Groups keep the order of first appearance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RankedBallots {
    num_candidates: usize,
    prefs: Vec<u16>,
    ends: Vec<u32>,
    weights: Vec<u64>,
    total: u128,
    blank: u128,
}

impl RankedBallots {
    /// Starts collecting ballots for `num_candidates` candidates.
    pub fn builder(num_candidates: usize) -> RankedBallotsBuilder {
        RankedBallotsBuilder::new(num_candidates)
    }

    /// Groups `(weight, ranking)` pairs; a convenience over [`Self::builder`].
    pub fn from_rankings<'a>(
        num_candidates: usize,
        ballots: impl IntoIterator<Item = (Weight, &'a [usize])>,
    ) -> Result<RankedBallots, BallotError> {
        let mut builder = RankedBallots::builder(num_candidates);
        for (weight, ranking) in ballots {
            builder.push(weight, ranking)?;
        }
        Ok(builder.build())
    }

    /// Number of candidates.
    pub fn num_candidates(&self) -> usize {
        self.num_candidates
    }

    /// Number of distinct rankings.
    pub fn len(&self) -> usize {
        self.weights.len()
    }

    /// Whether there are no (non-blank) ballots.
    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    /// Group `i`: its total weight in micro-votes and its ranking.
    ///
    /// # Panics
    ///
    /// If `i >= self.len()`, like slice indexing.
    pub fn group(&self, i: usize) -> (u64, &[u16]) {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        let end = self.ends[i] as usize;
        (self.weights[i], &self.prefs[start..end])
    }

    /// All groups in order: (total weight in micro-votes, ranking).
    pub fn groups(&self) -> impl Iterator<Item = (u64, &[u16])> + '_ {
        (0..self.len()).map(move |i| self.group(i))
    }

    /// Total weight of the non-blank ballots, in micro-votes.
    pub fn total_micros(&self) -> u128 {
        self.total
    }

    /// Total weight of blank ballots (empty rankings), in micro-votes. They
    /// are not part of any count.
    pub fn blank_micros(&self) -> u128 {
        self.blank
    }

    /// The same ballots read as approvals: every ranked candidate approved.
    pub fn to_approval(&self) -> ApprovalBallots {
        let mut out = ApprovalBallots {
            num_candidates: self.num_candidates,
            approvals: self.prefs.clone(),
            ends: self.ends.clone(),
            weights: self.weights.clone(),
            total: self.total,
        };
        out.total += self.blank;
        if self.blank > 0 {
            // Blank ballots are ballots that approve nobody.
            out.ends.push(self.prefs.len() as u32);
            out.weights.push(self.blank as u64);
        }
        out
    }
}

/// Collects ranked ballots and groups identical rankings.
#[derive(Clone, Debug)]
pub struct RankedBallotsBuilder {
    num_candidates: usize,
    guard: RepeatGuard,
    prefs: Vec<u16>,
    ends: Vec<u32>,
    weights: Vec<u64>,
    total: u128,
    blank: u128,
    error: Option<BallotError>,
}

impl RankedBallotsBuilder {
    fn new(num_candidates: usize) -> RankedBallotsBuilder {
        let error = check_candidate_count(num_candidates).err();
        RankedBallotsBuilder {
            num_candidates,
            guard: RepeatGuard::new(num_candidates.min(MAX_CANDIDATES)),
            prefs: Vec::new(),
            ends: Vec::new(),
            weights: Vec::new(),
            total: 0,
            blank: 0,
            error,
        }
    }

    /// Reserves room for about `ballots` ballots of `prefs` preferences in all.
    pub fn reserve(&mut self, ballots: usize, prefs: usize) {
        self.prefs.reserve(prefs);
        self.ends.reserve(ballots);
        self.weights.reserve(ballots);
    }

    /// Adds one ballot: its weight and its ranking (0-based candidate numbers,
    /// most preferred first). An empty ranking is a blank ballot.
    pub fn push(&mut self, weight: Weight, ranking: &[usize]) -> Result<(), BallotError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if weight.is_zero() {
            return Err(BallotError::ZeroWeight);
        }
        self.guard.check(ranking.iter().copied())?;
        let total = self.total + u128::from(weight.micros()) + self.blank;
        if total > u128::from(MAX_WEIGHT_MICROS) {
            return Err(BallotError::TotalTooLarge);
        }
        if ranking.is_empty() {
            self.blank += u128::from(weight.micros());
            return Ok(());
        }
        let end = u32::try_from(self.prefs.len() + ranking.len()).map_err(|_| BallotError::TooLarge)?;
        // Range was checked by the guard, and n ≤ u16::MAX.
        self.prefs.extend(ranking.iter().map(|&c| c as u16));
        self.ends.push(end);
        self.weights.push(weight.micros());
        self.total += u128::from(weight.micros());
        Ok(())
    }

    /// Groups identical rankings (summing weights) in order of first
    /// appearance.
    pub fn build(self) -> RankedBallots {
        let mut index: HashMap<&[u16], u32> = HashMap::with_capacity(self.ends.len() / 2);
        let mut prefs: Vec<u16> = Vec::new();
        let mut ends: Vec<u32> = Vec::new();
        let mut weights: Vec<u64> = Vec::new();
        let mut start = 0usize;
        for (i, &end) in self.ends.iter().enumerate() {
            let ranking = &self.prefs[start..end as usize];
            start = end as usize;
            let next = weights.len() as u32;
            let g = *index.entry(ranking).or_insert(next);
            if g == next {
                prefs.extend_from_slice(ranking);
                ends.push(prefs.len() as u32);
                weights.push(self.weights[i]);
            } else {
                // Sums stay below MAX_WEIGHT_MICROS < u64::MAX (checked in push).
                weights[g as usize] += self.weights[i];
            }
        }
        prefs.shrink_to_fit();
        RankedBallots {
            num_candidates: self.num_candidates,
            prefs,
            ends,
            weights,
            total: self.total,
            blank: self.blank,
        }
    }
}

/// Approval ballots (not grouped: an approval count is one pass).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApprovalBallots {
    num_candidates: usize,
    approvals: Vec<u16>,
    ends: Vec<u32>,
    weights: Vec<u64>,
    total: u128,
}

impl ApprovalBallots {
    /// An empty set of approval ballots for `num_candidates` candidates.
    pub fn new(num_candidates: usize) -> Result<ApprovalBallots, BallotError> {
        check_candidate_count(num_candidates)?;
        Ok(ApprovalBallots {
            num_candidates,
            approvals: Vec::new(),
            ends: Vec::new(),
            weights: Vec::new(),
            total: 0,
        })
    }

    /// Builds from `(weight, approved candidates)` pairs.
    pub fn from_approvals<'a>(
        num_candidates: usize,
        ballots: impl IntoIterator<Item = (Weight, &'a [usize])>,
    ) -> Result<ApprovalBallots, BallotError> {
        let mut out = ApprovalBallots::new(num_candidates)?;
        for (weight, approved) in ballots {
            out.push(weight, approved)?;
        }
        Ok(out)
    }

    /// Adds a ballot approving `approved` (any order, no repeats).
    pub fn push(&mut self, weight: Weight, approved: &[usize]) -> Result<(), BallotError> {
        if weight.is_zero() {
            return Err(BallotError::ZeroWeight);
        }
        check_distinct(self.num_candidates, approved.iter().copied())?;
        let total = self.total + u128::from(weight.micros());
        if total > u128::from(MAX_WEIGHT_MICROS) {
            return Err(BallotError::TotalTooLarge);
        }
        let end = u32::try_from(self.approvals.len() + approved.len()).map_err(|_| BallotError::TooLarge)?;
        self.approvals.extend(approved.iter().map(|&c| c as u16));
        self.ends.push(end);
        self.weights.push(weight.micros());
        self.total = total;
        Ok(())
    }

    /// Number of candidates.
    pub fn num_candidates(&self) -> usize {
        self.num_candidates
    }

    /// Number of ballots.
    pub fn len(&self) -> usize {
        self.weights.len()
    }

    /// Whether there are no ballots.
    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    /// Total weight in micro-votes.
    pub fn total_micros(&self) -> u128 {
        self.total
    }

    /// All ballots: (weight in micro-votes, approved candidates).
    pub fn ballots(&self) -> impl Iterator<Item = (u64, &[u16])> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter().copied())
            .zip(self.weights.iter().copied())
            .map(move |((s, e), w)| (w, &self.approvals[s as usize..e as usize]))
    }
}

/// Cumulative-voting ballots: each gives up to `max_points` points in all,
/// spread over candidates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScoreBallots {
    num_candidates: usize,
    max_points: u32,
    marks: Vec<(u16, u32)>,
    ends: Vec<u32>,
    weights: Vec<u64>,
    total: u128,
}

impl ScoreBallots {
    /// No ballots yet; each voter may give at most `max_points` points.
    pub fn new(num_candidates: usize, max_points: u32) -> Result<ScoreBallots, BallotError> {
        check_candidate_count(num_candidates)?;
        Ok(ScoreBallots {
            num_candidates,
            max_points,
            marks: Vec::new(),
            ends: Vec::new(),
            weights: Vec::new(),
            total: 0,
        })
    }

    /// Adds a ballot giving `points` to candidates: `(candidate, points)`
    /// pairs, each candidate at most once, the points adding up to at most
    /// `max_points`. Zero-point entries are allowed and ignored.
    pub fn push(&mut self, weight: Weight, points: &[(usize, u32)]) -> Result<(), BallotError> {
        if weight.is_zero() {
            return Err(BallotError::ZeroWeight);
        }
        check_distinct(self.num_candidates, points.iter().map(|&(c, _)| c))?;
        let given: u64 = points.iter().map(|&(_, p)| u64::from(p)).sum();
        if given > u64::from(self.max_points) {
            return Err(BallotError::TooManyPoints {
                points: given,
                max: u64::from(self.max_points),
            });
        }
        let total = self.total + u128::from(weight.micros());
        if total > u128::from(MAX_WEIGHT_MICROS) {
            return Err(BallotError::TotalTooLarge);
        }
        let end = u32::try_from(self.marks.len() + points.len()).map_err(|_| BallotError::TooLarge)?;
        self.marks.extend(points.iter().map(|&(c, p)| (c as u16, p)));
        self.ends.push(end);
        self.weights.push(weight.micros());
        self.total = total;
        Ok(())
    }

    /// Number of candidates.
    pub fn num_candidates(&self) -> usize {
        self.num_candidates
    }

    /// Points each voter may give in all.
    pub fn max_points(&self) -> u32 {
        self.max_points
    }

    /// Number of ballots.
    pub fn len(&self) -> usize {
        self.weights.len()
    }

    /// Whether there are no ballots.
    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    /// Total weight in micro-votes.
    pub fn total_micros(&self) -> u128 {
        self.total
    }

    /// All ballots: (weight in micro-votes, (candidate, points) pairs).
    pub fn ballots(&self) -> impl Iterator<Item = (u64, &[(u16, u32)])> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter().copied())
            .zip(self.weights.iter().copied())
            .map(move |((s, e), w)| (w, &self.marks[s as usize..e as usize]))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn groups_identical_rankings_in_first_seen_order() {
        let one = Weight::ONE;
        let b = RankedBallots::from_rankings(
            3,
            [
                (one, &[1usize, 0][..]),
                (one, &[2][..]),
                (Weight::from_votes(2).unwrap(), &[1, 0][..]),
                (one, &[][..]),
            ],
        )
        .unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!(b.group(0), (3_000_000, &[1u16, 0][..]));
        assert_eq!(b.group(1), (1_000_000, &[2u16][..]));
        assert_eq!(b.total_micros(), 4_000_000);
        assert_eq!(b.blank_micros(), 1_000_000);
    }

    #[test]
    fn refuses_bad_rankings() {
        let mut b = RankedBallots::builder(3);
        assert_eq!(
            b.push(Weight::ONE, &[0, 3]),
            Err(BallotError::UnknownCandidate { candidate: 3, count: 3 })
        );
        assert_eq!(
            b.push(Weight::ONE, &[0, 1, 0]),
            Err(BallotError::Repeated { candidate: 0 })
        );
        assert_eq!(b.push(Weight::ZERO, &[0]), Err(BallotError::ZeroWeight));
        assert!(b.push(Weight::ONE, &[0, 1, 2]).is_ok());
    }

    #[test]
    fn cumulative_points_are_bounded() {
        let mut s = ScoreBallots::new(3, 5).unwrap();
        assert!(s.push(Weight::ONE, &[(0, 3), (2, 2)]).is_ok());
        assert_eq!(
            s.push(Weight::ONE, &[(0, 3), (1, 3)]),
            Err(BallotError::TooManyPoints { points: 6, max: 5 })
        );
    }
}
