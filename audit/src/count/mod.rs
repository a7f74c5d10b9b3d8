//! Counting methods: pure, deterministic functions from ballots to a result
//! and a round-by-round transcript.
//!
//! * Input: a [`Profile`] — candidate names, withdrawn candidates, an
//!   optional tie order — over [`RankedBallots`], [`ApprovalBallots`] or
//!   [`ScoreBallots`]. Weights are exact ([`Weight`], micro-votes); identical
//!   rankings are grouped before counting.
//! * Methods: [`irv`], [`stv_scottish`], [`stv_meek`], [`approval`],
//!   [`schulze`], [`cumulative`]. Each returns an [`Outcome`]: the elected
//!   candidates in order of election and a [`Transcript`] (text via
//!   [`Transcript::render_text`], JSON via serde with every number a string).
//! * Ties: each method's own rule first, then lots drawn by a
//!   [`TieBreaker`] from a 32-byte seed (or an explicit tie order).
//! * Files: [`parse_blt`], [`parse_soi`]; the command line is in [`cli`].
//!
//! No floating point anywhere: all arithmetic is on integers of a fixed
//! unit. `audit/COUNTING.md` specifies every rule precisely.

mod approval;
mod ballots;
mod blt;
pub mod cli;
mod cumulative;
mod decimal;
mod error;
mod irv;
mod lots;
mod meek;
mod parse;
mod render;
mod schulze;
mod scottish;
mod select;
mod soi;
mod ties;
mod transcript;
mod weight;

pub use approval::{approval, approval_from_totals};
pub use ballots::{
    ApprovalBallots, BallotError, Profile, RankedBallots, RankedBallotsBuilder, ScoreBallots, MAX_CANDIDATES,
};
pub use blt::parse_blt;
pub use cumulative::{cumulative, cumulative_from_totals};
pub use decimal::Decimal;
pub use error::CountError;
pub use irv::irv;
pub use lots::{lot_key, TieBreaker, TieRule};
pub use meek::{stv_meek, MeekRule};
pub use parse::{detect_format, parse_ranked, FileFormat, ParseError, ParseProblem};
pub use schulze::schulze;
pub use scottish::stv_scottish;
pub use soi::parse_soi;
pub use transcript::{
    Action, Decision, IterationStop, Method, Outcome, Pairwise, Parameter, Reason, Round, Status, TieBreak, TiePurpose,
    Transcript,
};
pub use weight::{Weight, WeightError, MAX_WEIGHT_MICROS, WEIGHT_DECIMALS, WEIGHT_SCALE};
