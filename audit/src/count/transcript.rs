//! The transcript of a count: what happened, round by round.
//!
//! Every method produces the same shape so that the record, the verifier and
//! the pages can show any count. All figures are [`Decimal`]s (exact, and
//! strings in JSON); candidates are 0-based numbers into `candidates`.

use super::decimal::Decimal;
use super::lots::TieRule;
use serde::Serialize;

/// The counting methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Instant-runoff voting (one seat).
    Irv,
    /// Scottish STV (SSI 2007/42).
    StvScottish,
    /// Meek STV.
    StvMeek,
    /// Approval voting, any number of seats.
    Approval,
    /// Condorcet–Schulze.
    Schulze,
    /// Cumulative voting.
    Cumulative,
}

impl Method {
    /// The method's name as used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Method::Irv => "irv",
            Method::StvScottish => "stv-scottish",
            Method::StvMeek => "stv-meek",
            Method::Approval => "approval",
            Method::Schulze => "schulze",
            Method::Cumulative => "cumulative",
        }
    }
}

/// A candidate's state at the end of a round.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Still in the count.
    Hopeful,
    /// Elected.
    Elected,
    /// Excluded (defeated).
    Excluded,
    /// Withdrawn before the count.
    Withdrawn,
}

impl Status {
    /// Lower-case word for the text transcript.
    pub fn word(self) -> &'static str {
        match self {
            Status::Hopeful => "hopeful",
            Status::Elected => "elected",
            Status::Excluded => "excluded",
            Status::Withdrawn => "withdrawn",
        }
    }
}

/// Why a candidate was elected or excluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// Reached the quota.
    Quota,
    /// More than half of the continuing votes (IRV).
    Majority,
    /// The only candidate left (IRV).
    LastRemaining,
    /// No more continuing candidates than vacancies: all elected.
    RemainingSeats,
    /// The lowest vote.
    LowestVote,
    /// All seats filled: the rest are excluded.
    SeatsFilled,
    /// Among the highest totals (approval, cumulative).
    HighestTotal,
    /// Among the first in the Schulze ranking.
    SchulzeRanking,
}

impl Reason {
    /// Phrase for the text transcript.
    pub fn phrase(self) -> &'static str {
        match self {
            Reason::Quota => "reached the quota",
            Reason::Majority => "more than half of the continuing votes",
            Reason::LastRemaining => "last candidate remaining",
            Reason::RemainingSeats => "no more continuing candidates than vacancies",
            Reason::LowestVote => "lowest vote",
            Reason::SeatsFilled => "all seats filled",
            Reason::HighestTotal => "highest totals",
            Reason::SchulzeRanking => "among the first in the Schulze ranking",
        }
    }
}

/// An election or exclusion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// The candidate.
    pub candidate: usize,
    /// Why.
    pub reason: Reason,
}

/// What a tie was about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TiePurpose {
    /// Which candidate to exclude.
    Exclusion,
    /// Whose surplus to transfer first.
    SurplusOrder,
    /// In which order simultaneous winners are listed.
    ElectionOrder,
    /// Who takes the last seat(s).
    Seat,
    /// Order within the Schulze ranking.
    Ranking,
}

/// A tie and how it was broken. `order` lists the tied candidates with the
/// chosen one first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TieBreak {
    /// What was decided.
    pub purpose: TiePurpose,
    /// The tied candidates, by candidate number.
    pub tied: Vec<usize>,
    /// The order decided (first = chosen).
    pub order: Vec<usize>,
    /// The chosen candidate (`order[0]`).
    pub chosen: usize,
    /// The rule that decided.
    pub rule: TieRule,
}

/// How a Meek round's iteration ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IterationStop {
    /// A candidate reached the quota.
    Elected,
    /// The total surplus fell below omega.
    Omega,
    /// The surplus stopped decreasing.
    Stable,
}

/// What a round did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Action {
    /// The first count of first preferences.
    FirstPreferences,
    /// Transfer of an elected candidate's surplus.
    Surplus {
        /// Whose surplus.
        candidate: usize,
        /// Its size.
        surplus: Decimal,
    },
    /// Exclusion of a candidate and transfer of their ballots.
    Exclusion {
        /// Who.
        candidate: usize,
    },
    /// A Meek round: keep factors iterated to a stop.
    Iteration {
        /// Number of distributions of the ballots in this round.
        iterations: u32,
        /// Why the iteration stopped.
        stop: IterationStop,
    },
    /// The count is complete: remaining candidates elected or excluded.
    Completion,
    /// A single tally (approval, cumulative).
    Tally,
    /// Pairwise comparison (Schulze).
    Pairwise,
}

/// One round of a count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Round {
    /// Round number; 0 is the first count.
    pub number: usize,
    /// What the round did.
    pub action: Action,
    /// Each candidate's votes at the end of the round.
    pub tally: Vec<Decimal>,
    /// Each candidate's change during the round (signed): this round's
    /// tally minus the previous round's (zero before round 0), exactly
    /// (COUNTING.md §11.3).
    pub transfers: Vec<Decimal>,
    /// Each candidate's state at the end of the round.
    pub status: Vec<Status>,
    /// Votes exhausted (non-transferable) so far.
    pub exhausted: Decimal,
    /// Votes lost to rounding so far (Scottish STV).
    pub loss: Option<Decimal>,
    /// The quota in force.
    pub quota: Option<Decimal>,
    /// Total surplus of elected candidates (STV).
    pub surplus: Option<Decimal>,
    /// Candidates elected in this round, in order.
    pub elected: Vec<Decision>,
    /// Candidates excluded in this round, in the order decided (approval,
    /// cumulative, Schulze: every loser, for `seats-filled`).
    pub excluded: Vec<Decision>,
    /// Ties broken in this round.
    pub ties: Vec<TieBreak>,
    /// Remarks, e.g. the stopping test of a Meek iteration: only the
    /// strings COUNTING.md §11.4 lists.
    pub notes: Vec<String>,
}

/// The pairwise section of a Schulze count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Pairwise {
    /// `preferences[a][b]`: weight of ballots preferring `a` to `b`.
    pub preferences: Vec<Vec<Decimal>>,
    /// `strongest_paths[a][b]`: strength of the strongest path from `a` to `b`.
    pub strongest_paths: Vec<Vec<Decimal>>,
}

/// A named parameter of the method (arithmetic, omega, …).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Parameter {
    /// Name.
    pub name: String,
    /// Value, as text.
    pub value: String,
}

/// The complete transcript of a count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Transcript {
    /// The method.
    pub method: Method,
    /// The rule in words, e.g. "Scottish STV (SSI 2007/42 rules 45-52)".
    pub rule: String,
    /// Candidate names, by number.
    pub candidates: Vec<String>,
    /// Withdrawn candidates.
    pub withdrawn: Vec<usize>,
    /// Seats to fill.
    pub seats: usize,
    /// Total weight of the valid ballots.
    pub total: Decimal,
    /// The (initial) quota, for quota methods.
    pub quota: Option<Decimal>,
    /// Other parameters.
    pub parameters: Vec<Parameter>,
    /// The rounds.
    pub rounds: Vec<Round>,
    /// The elected candidates, in order of election.
    pub elected: Vec<usize>,
    /// A full ranking of candidates (Schulze), best first.
    pub ranking: Option<Vec<usize>>,
    /// Pairwise matrices (Schulze).
    pub pairwise: Option<Pairwise>,
}

impl Transcript {
    /// Names of the elected candidates, in order.
    pub fn elected_names(&self) -> Vec<&str> {
        self.elected
            .iter()
            .map(|&c| self.candidates.get(c).map_or("?", String::as_str))
            .collect()
    }
}

/// The result of a count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// Elected candidates in order of election.
    pub elected: Vec<usize>,
    /// How the count went.
    pub transcript: Transcript,
}

impl Parameter {
    /// A parameter.
    pub fn new(name: &str, value: impl Into<String>) -> Parameter {
        Parameter {
            name: name.to_owned(),
            value: value.into(),
        }
    }
}
