//! The election definition: what is on the ballot and how each contest is
//! counted. Frozen, and its hash logged, when the polls open.

use serde::{Deserialize, Serialize};

use crate::canonical;
use crate::crypto::Digest;
use crate::names;

/// The longest title, name or identifier Teller accepts, in characters.
pub const MAX_SHORT_TEXT: usize = 200;
/// The longest statement or description, in characters.
pub const MAX_LONG_TEXT: usize = 4000;
/// The longest write-in name, in characters.
pub const MAX_WRITE_IN: usize = 100;
/// The most candidates a contest may have.
pub const MAX_CANDIDATES: usize = 200;
/// The prefix that marks a write-in choice in a ballot.
pub const WRITE_IN_PREFIX: &str = "write-in:";

/// An election's ballot: its title and contests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    /// The election's title, as members see it.
    pub title: String,
    /// An introduction shown above the ballot (may be empty).
    pub description: String,
    /// The contests, in ballot order.
    pub contests: Vec<Contest>,
}

/// One contest on the ballot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contest {
    /// Identifier, unique in the election: 1–64 of `a-z`, `0-9`, `-`.
    pub id: String,
    /// Title, as members see it.
    pub title: String,
    /// Instructions or the question put (may be empty).
    pub description: String,
    /// Seats to fill (1 for a referendum).
    pub seats: u32,
    /// The candidates, in ballot order (empty for a referendum).
    pub candidates: Vec<Candidate>,
    /// How the contest is counted, with the method's own rules.
    pub method: Method,
}

/// A candidate standing in a contest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Candidate {
    /// Identifier, unique in the contest: 1–64 of `a-z`, `0-9`, `-`.
    pub id: String,
    /// The name on the ballot.
    pub name: String,
    /// The candidate's short statement (may be empty).
    pub statement: String,
}

/// A counting method and its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Method {
    /// Vote for up to `seats`; the `seats` highest win.
    Plurality {
        /// The bylaw rule that a winner needs more than half of the ballots
        /// cast in the contest (blank ballots in the contest do not count).
        majority_required: bool,
        /// Whether members may write in names not on the ballot.
        write_ins: bool,
    },
    /// Yes / no / abstain on a question; abstentions are not votes cast.
    Referendum {
        /// The share of votes cast that "yes" needs.
        threshold: Threshold,
    },
    /// Approve any number of candidates; the `seats` most approved win.
    Approval,
    /// Spread up to `points` points among the candidates; the `seats` with
    /// the most points win.
    Cumulative {
        /// Points each member may give.
        points: u32,
    },
    /// Instant-runoff: rank the candidates; one seat.
    Irv {
        /// What a ranking with a skipped rank means.
        skipped_ranks: SkippedRanks,
    },
    /// Single transferable vote, Scottish rules (SSI 2007/42).
    StvScottish {
        /// What a ranking with a skipped rank means.
        skipped_ranks: SkippedRanks,
    },
    /// Single transferable vote, Meek's method (9-place fixed point).
    StvMeek {
        /// What a ranking with a skipped rank means.
        skipped_ranks: SkippedRanks,
    },
    /// Condorcet–Schulze: rank the candidates; the `seats` first in the
    /// Schulze ranking win.
    Schulze {
        /// What a ranking with a skipped rank means.
        skipped_ranks: SkippedRanks,
    },
}

/// What the ballot page does with a ranking that skips a rank (1, 2, 4).
/// A repeated rank is always refused: it cannot be read either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SkippedRanks {
    /// Refuse it, saying which rank is missing.
    Refuse,
    /// Close the gap up: 1, 2, 4 counts as 1, 2, 3.
    CloseUp,
}

impl Method {
    /// The method's name as used in the API and on pages.
    pub fn name(&self) -> &'static str {
        match self {
            Method::Plurality { .. } => "plurality",
            Method::Referendum { .. } => "referendum",
            Method::Approval => "approval",
            Method::Cumulative { .. } => "cumulative",
            Method::Irv { .. } => "irv",
            Method::StvScottish { .. } => "stv-scottish",
            Method::StvMeek { .. } => "stv-meek",
            Method::Schulze { .. } => "schulze",
        }
    }

    /// Whether members rank candidates in order of preference.
    pub fn ranks(&self) -> bool {
        self.skipped_ranks().is_some()
    }

    /// The skipped-rank rule of a ranking method.
    pub fn skipped_ranks(&self) -> Option<SkippedRanks> {
        match self {
            Method::Irv { skipped_ranks }
            | Method::StvScottish { skipped_ranks }
            | Method::StvMeek { skipped_ranks }
            | Method::Schulze { skipped_ranks } => Some(*skipped_ranks),
            _ => None,
        }
    }

    /// The rule in words, for pages.
    pub fn describe(&self) -> &'static str {
        match self {
            Method::Plurality { .. } => "plurality (most votes win)",
            Method::Referendum { .. } => "referendum",
            Method::Approval => "approval voting",
            Method::Cumulative { .. } => "cumulative voting",
            Method::Irv { .. } => "instant-runoff voting",
            Method::StvScottish { .. } => "single transferable vote (Scottish rules)",
            Method::StvMeek { .. } => "single transferable vote (Meek's method)",
            Method::Schulze { .. } => "Condorcet–Schulze",
        }
    }
}

/// The share of votes cast a referendum needs to pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    /// Whether "yes" must reach the fraction or exceed it.
    pub comparison: Comparison,
    /// Numerator of the fraction of votes cast.
    pub numerator: u32,
    /// Denominator of the fraction of votes cast.
    pub denominator: u32,
}

/// How a referendum's "yes" share is compared with the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Comparison {
    /// yes / (yes + no) ≥ fraction.
    AtLeast,
    /// yes / (yes + no) > fraction.
    MoreThan,
}

impl Threshold {
    /// More than half of the votes cast.
    pub const SIMPLE_MAJORITY: Threshold = Threshold {
        comparison: Comparison::MoreThan,
        numerator: 1,
        denominator: 2,
    };
    /// At least two-thirds of the votes cast.
    pub const TWO_THIRDS: Threshold = Threshold {
        comparison: Comparison::AtLeast,
        numerator: 2,
        denominator: 3,
    };

    /// The smallest number of "yes" votes that passes, given `votes_cast`
    /// (yes + no). Passing also needs at least one vote cast.
    pub fn yes_needed(&self, votes_cast: u64) -> u64 {
        let product = u128::from(self.numerator) * u128::from(votes_cast);
        let den = u128::from(self.denominator.max(1));
        let needed = match self.comparison {
            Comparison::AtLeast => product.div_ceil(den),
            Comparison::MoreThan => product / den + 1,
        };
        u64::try_from(needed).unwrap_or(u64::MAX).max(1)
    }

    /// Plain words, such as "at least 2/3 of votes cast".
    pub fn describe(&self) -> String {
        let share = match (self.numerator, self.denominator) {
            (1, 2) => "half".to_string(),
            (2, 3) => "two-thirds".to_string(),
            (3, 4) => "three-quarters".to_string(),
            (3, 5) => "three-fifths".to_string(),
            (n, d) => format!("{n}/{d}"),
        };
        match self.comparison {
            Comparison::AtLeast => format!("at least {share} of the votes cast"),
            Comparison::MoreThan => format!("more than {share} of the votes cast"),
        }
    }
}

/// The options a member chooses among in a contest, as (id, name).
pub fn options(contest: &Contest) -> Vec<(String, String)> {
    match contest.method {
        Method::Referendum { .. } => vec![
            ("yes".into(), "Yes".into()),
            ("no".into(), "No".into()),
            ("abstain".into(), "Abstain".into()),
        ],
        _ => contest
            .candidates
            .iter()
            .map(|c| (c.id.clone(), c.name.clone()))
            .collect(),
    }
}

impl Definition {
    /// SHA-256 of the canonical encoding: the hash logged when the polls open.
    pub fn hash(&self) -> Digest {
        Digest::of(&canonical::to_bytes(self).expect(canonical::ENCODABLE))
    }

    /// The contest with this id.
    pub fn contest(&self, id: &str) -> Option<&Contest> {
        self.contests.iter().find(|c| c.id == id)
    }

    /// Contests with two candidates whose names look alike (§4a), each
    /// named: part of [`Definition::problems`], and refused on its own where
    /// a draft may otherwise be incomplete.
    pub fn look_alike_problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (i, c) in self.contests.iter().enumerate() {
            let at = format!("contest {} ({:?})", i + 1, c.id);
            out.extend(look_alike_candidates(c).into_iter().map(|p| format!("{at}: {p}")));
        }
        out
    }

    /// Every problem that makes this definition unusable; empty when it is sound.
    pub fn problems(&self) -> Vec<String> {
        self.soundness().into_iter().map(|u| u.message).collect()
    }

    /// Every rule of FORMAT.md §3 ("sound") this definition breaks, each
    /// with its rule number.
    pub fn soundness(&self) -> Vec<Unsound> {
        let mut out = Rules::default();
        text_problem(&mut out, "the election title", &self.title, MAX_SHORT_TEXT, true);
        text_problem(
            &mut out,
            "the election description",
            &self.description,
            MAX_LONG_TEXT,
            false,
        );
        if self.contests.is_empty() {
            out.push(4, "the election has no contests".into());
        }
        for (i, c) in self.contests.iter().enumerate() {
            let at = format!("contest {} ({:?})", i + 1, c.id);
            if !is_identifier(&c.id) {
                out.push(5, format!("{at}: the id must be 1–64 characters of a-z, 0-9 and -"));
            }
            if self.contests[..i].iter().any(|o| o.id == c.id) {
                out.push(5, format!("{at}: another contest has the same id"));
            }
            text_problem(&mut out, &format!("{at}: the title"), &c.title, MAX_SHORT_TEXT, true);
            text_problem(
                &mut out,
                &format!("{at}: the description"),
                &c.description,
                MAX_LONG_TEXT,
                false,
            );
            for (j, cand) in c.candidates.iter().enumerate() {
                let cat = format!("{at}, candidate {} ({:?})", j + 1, cand.id);
                if !is_identifier(&cand.id) {
                    out.push(5, format!("{cat}: the id must be 1–64 characters of a-z, 0-9 and -"));
                }
                if c.candidates[..j].iter().any(|o| o.id == cand.id) {
                    out.push(5, format!("{cat}: another candidate in the contest has the same id"));
                }
                text_problem(&mut out, &format!("{cat}: the name"), &cand.name, MAX_SHORT_TEXT, true);
                text_problem(
                    &mut out,
                    &format!("{cat}: the statement"),
                    &cand.statement,
                    MAX_LONG_TEXT,
                    false,
                );
            }
            for p in look_alike_candidates(c) {
                out.push(6, format!("{at}: {p}"));
            }
            match &c.method {
                Method::Plurality { write_ins, .. } => {
                    if c.seats == 0 {
                        out.push(7, format!("{at}: seats must be at least 1"));
                    }
                    if c.candidates.is_empty() && !write_ins {
                        out.push(7, format!("{at}: a plurality contest needs candidates or write-ins"));
                    }
                    if c.seats > 1000 {
                        out.push(7, format!("{at}: at most 1000 seats"));
                    }
                }
                Method::Referendum { threshold } => {
                    if c.seats != 1 {
                        out.push(8, format!("{at}: a referendum has exactly 1 seat"));
                    }
                    if !c.candidates.is_empty() {
                        out.push(
                            8,
                            format!("{at}: a referendum has no candidates (its options are yes, no, abstain)"),
                        );
                    }
                    if threshold.denominator == 0 || threshold.numerator > threshold.denominator {
                        out.push(
                            8,
                            format!(
                                "{at}: the threshold {}/{} is not a fraction between 0 and 1",
                                threshold.numerator, threshold.denominator
                            ),
                        );
                    }
                }
                other => {
                    if c.candidates.is_empty() {
                        out.push(9, format!("{at}: {} needs candidates", other.describe()));
                    }
                    if c.candidates.len() > MAX_CANDIDATES {
                        out.push(9, format!("{at}: at most {MAX_CANDIDATES} candidates"));
                    }
                    if c.seats == 0 || c.seats as usize > c.candidates.len().max(1) {
                        out.push(
                            9,
                            format!(
                                "{at}: seats must be between 1 and the number of candidates ({})",
                                c.candidates.len()
                            ),
                        );
                    }
                    if matches!(other, Method::Irv { .. }) && c.seats != 1 {
                        out.push(
                            9,
                            format!("{at}: instant-runoff fills exactly 1 seat; use STV for more"),
                        );
                    }
                    if let Method::Cumulative { points } = other {
                        if !(1..=100).contains(points) {
                            out.push(9, format!("{at}: points must be between 1 and 100"));
                        }
                    }
                }
            }
        }
        out.0
    }
}

/// Each pair of candidates of `contest` whose names have the same name key
/// or are the same ignoring ASCII case (FORMAT.md §4a): members could not tell them apart on the ballot.
fn look_alike_candidates(contest: &Contest) -> Vec<String> {
    let keys: Vec<(String, String)> = contest
        .candidates
        .iter()
        .map(|c| (names::key(&c.name), names::fold(&c.name)))
        .collect();
    let mut out = Vec::new();
    for (j, (key, folded)) in keys.iter().enumerate() {
        if let Some(i) = keys[..j].iter().position(|(k, f)| k == key || f == folded) {
            let (a, b) = (&contest.candidates[i], &contest.candidates[j]);
            out.push(format!(
                "candidates {} ({:?}) and {} ({:?}) have names that look alike ({:?} and {:?}); members could not tell them apart",
                i + 1,
                a.id,
                j + 1,
                b.id,
                a.name,
                b.name
            ));
        }
    }
    out
}

fn text_problem(out: &mut Rules, what: &str, text: &str, max: usize, required: bool) {
    if required && text.trim().is_empty() {
        out.push(1, format!("{what} is empty"));
    }
    if text.chars().count() > max {
        out.push(2, format!("{what} is longer than {max} characters"));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        out.push(3, format!("{what} contains control characters"));
    }
}

/// A rule of FORMAT.md §3 a definition breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsound {
    /// The rule's number in §3's list of soundness rules.
    pub rule: u8,
    /// What is wrong, naming the contest and candidate.
    pub message: String,
}

/// The broken rules, gathered in the order found.
#[derive(Default)]
struct Rules(Vec<Unsound>);

impl Rules {
    fn push(&mut self, rule: u8, message: String) {
        self.0.push(Unsound { rule, message });
    }
}

/// 1–64 characters of `a-z`, `0-9` and `-`.
pub fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_compute_the_yes_votes_needed() {
        assert_eq!(Threshold::TWO_THIRDS.yes_needed(30), 20);
        assert_eq!(Threshold::TWO_THIRDS.yes_needed(31), 21);
        assert_eq!(Threshold::SIMPLE_MAJORITY.yes_needed(30), 16);
        assert_eq!(Threshold::SIMPLE_MAJORITY.yes_needed(31), 16);
        assert_eq!(Threshold::SIMPLE_MAJORITY.yes_needed(0), 1);
    }

    #[test]
    fn candidates_whose_names_look_alike_are_refused() {
        let contest = |names: &[&str]| Contest {
            id: "board".into(),
            title: "Board".into(),
            description: String::new(),
            seats: 1,
            candidates: names
                .iter()
                .enumerate()
                .map(|(i, n)| Candidate {
                    id: format!("c{i}"),
                    name: n.to_string(),
                    statement: String::new(),
                })
                .collect(),
            method: Method::Plurality {
                majority_required: false,
                write_ins: false,
            },
        };
        let definition = |names: &[&str]| Definition {
            title: "T".into(),
            description: String::new(),
            contests: vec![contest(names)],
        };
        assert!(definition(&["Alice", "Bob"]).problems().is_empty());
        for pair in [
            ["Alice", "\u{0410}lice"],
            ["Zo\u{eb}", "Zoe\u{308}"],
            ["Jo", "J\u{200d}o"],
            ["Ann", "ANN"],
            ["Alice", "ALICE"],
        ] {
            let d = definition(&pair);
            let problems = d.problems();
            assert_eq!(problems.len(), 1, "{pair:?}: {problems:?}");
            assert!(problems[0].contains("look alike"), "{}", problems[0]);
            assert!(
                problems[0].contains("c0") && problems[0].contains("c1"),
                "{}",
                problems[0]
            );
            assert_eq!(d.look_alike_problems(), problems);
        }
    }

    #[test]
    fn identifiers_are_lowercase_slugs() {
        assert!(is_identifier("board-2026"));
        assert!(!is_identifier("Board"));
        assert!(!is_identifier(""));
        assert!(!is_identifier(&"a".repeat(65)));
    }
}
