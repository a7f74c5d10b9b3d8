//! What the ballot-file parsers share: the error type and format detection.

use super::ballots::{BallotError, Profile, RankedBallots};
use super::weight::WeightError;

/// A ballot file could not be read: where and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct ParseError {
    /// 1-based line number of the problem.
    pub line: usize,
    /// What is wrong.
    pub problem: ParseProblem,
}

/// What is wrong in a ballot file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseProblem {
    /// Nothing but blanks and comments.
    #[error("the file is empty")]
    Empty,
    /// The BLT header is not `candidates seats`.
    #[error("expected `<candidates> <seats>`, found {0}")]
    BadHeader(String),
    /// No seats.
    #[error("the number of seats must be at least 1")]
    NoSeats,
    /// No candidates, or more than 65 535.
    #[error("the number of candidates must be between 1 and 65535, found {0}")]
    CandidateCount(String),
    /// A token that should be a whole number.
    #[error("`{0}` is not a whole number")]
    NotANumber(String),
    /// A candidate number or nickname that does not exist.
    #[error("unknown candidate `{token}` (candidates are numbered 1 to {count})")]
    UnknownCandidate {
        /// The token as written.
        token: String,
        /// Number of candidates.
        count: usize,
    },
    /// The same candidate twice on one ballot.
    #[error("candidate `{0}` is ranked more than once on this ballot")]
    Repeated(String),
    /// Equal rankings such as `a=b`.
    #[error("equal rankings (`{0}`) are not supported: Teller ballots are strict rankings")]
    EqualRanking(String),
    /// A bad ballot weight.
    #[error("bad ballot weight: {0}")]
    Weight(#[from] WeightError),
    /// A ballot that runs into the candidate names or the end of the file.
    #[error("ballot does not end with 0")]
    UnterminatedBallot,
    /// The ballots are not followed by a line `0`.
    #[error("the ballots must end with a line `0`")]
    MissingEnd,
    /// A quoted string without its closing quote.
    #[error("unterminated quoted string")]
    UnterminatedString,
    /// An `[option …]` without `]`.
    #[error("unterminated `[` option")]
    UnterminatedOption,
    /// An `[option …]` this parser does not know.
    #[error("unknown option `[{0}`")]
    UnknownOption(String),
    /// Fewer candidate names than candidates.
    #[error("expected {expected} quoted candidate names, found {found}")]
    MissingNames {
        /// Candidates in the header.
        expected: usize,
        /// Names found.
        found: usize,
    },
    /// Something unexpected.
    #[error("unexpected `{0}`")]
    Unexpected(String),
    /// A `.soi` line that is not `count: c1,c2,…`.
    #[error("expected `<count>: <candidate>,<candidate>,…`, found `{0}`")]
    BadSoiLine(String),
    /// A `.soi` candidate without its `# ALTERNATIVE NAME` line.
    #[error("no `# ALTERNATIVE NAME {0}:` line")]
    MissingName(usize),
    /// Ties (`{…}`) in a `.soi` file.
    #[error("ties (`{{…}}`) are not allowed in a .soi file")]
    SoiTie,
    /// A ballot the ballot model refuses.
    #[error("{0}")]
    Ballot(#[from] BallotError),
}

impl ParseProblem {
    /// This problem at `line`.
    pub fn at(self, line: usize) -> ParseError {
        ParseError { line, problem: self }
    }
}

/// A ranked-ballot file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    /// BLT (Hill–Wichmann–Woodall, with Droop/OpenSTV extensions).
    Blt,
    /// PrefLib strict orders, incomplete (`.soi`).
    Soi,
}

/// The format of a file: by its name's extension when it is `.blt` or
/// `.soi`, otherwise by content (a PrefLib file starts with `#` headers).
pub fn detect_format(file_name: Option<&str>, text: &str) -> FileFormat {
    if let Some(name) = file_name {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".soi") {
            return FileFormat::Soi;
        }
        if lower.ends_with(".blt") {
            return FileFormat::Blt;
        }
    }
    let first = text.lines().map(str::trim).find(|l| !l.is_empty());
    match first {
        Some(l) if l.starts_with("# ") && l.contains(':') => FileFormat::Soi,
        _ => FileFormat::Blt,
    }
}

/// Parses ranked ballots in the given format.
pub fn parse_ranked(text: &str, format: FileFormat) -> Result<Profile<RankedBallots>, ParseError> {
    match format {
        FileFormat::Blt => super::blt::parse_blt(text),
        FileFormat::Soi => super::soi::parse_soi(text),
    }
}
