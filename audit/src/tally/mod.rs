//! The tally: a pure function of the definition, the ballots and the lot seed.

mod plurality;
mod referendum;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ballot::{self, PublishedBallot};
use crate::canonical;
use crate::crypto::{Digest, Seed};
use crate::definition::{Definition, Method, Threshold};

/// The `format` value of a tally.
pub const TALLY_FORMAT: &str = "teller-tally/1";

/// The result of an election.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tally {
    /// Always `teller-tally/1`.
    pub format: String,
    /// The election's id.
    pub election: String,
    /// Ballots counted (valid or not).
    pub ballots: u64,
    /// One result per contest, in ballot order.
    pub contests: Vec<ContestResult>,
}

/// One contest's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContestResult {
    /// The contest's id.
    pub contest: String,
    /// Its title.
    pub title: String,
    /// Seats to fill.
    pub seats: u32,
    /// Ballots with at least one mark in this contest.
    pub cast: u64,
    /// Ballots with no mark in this contest.
    pub blank: u64,
    /// Ballots whose marks in this contest break its rules (not counted).
    pub invalid: u64,
    /// The method's own figures.
    pub outcome: Outcome,
}

/// A method's figures and decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Outcome {
    /// Vote for up to N.
    Plurality {
        /// Votes per candidate, in ballot order.
        candidates: Vec<OptionVotes>,
        /// Votes per written-in name, most votes first, then by name.
        write_ins: Vec<OptionVotes>,
        /// Votes a winner needs under the majority rule, when the contest has it.
        majority_needed: Option<u64>,
        /// Winners' option ids, in order of votes (ties in lot order).
        elected: Vec<String>,
        /// Seats left empty because too few candidates met the rule.
        unfilled: u32,
        /// Ties that decided who won, and how they were resolved.
        ties: Vec<Tie>,
    },
    /// Yes / no / abstain.
    Referendum {
        /// Yes votes.
        yes: u64,
        /// No votes.
        no: u64,
        /// Abstentions (not votes cast).
        abstain: u64,
        /// yes + no.
        votes_cast: u64,
        /// The rule.
        threshold: Threshold,
        /// Yes votes needed to pass.
        yes_needed: u64,
        /// Whether it passed.
        passed: bool,
    },
}

/// An option and its votes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionVotes {
    /// Option id (`write-in:NAME` for write-ins).
    pub id: String,
    /// Name as shown.
    pub name: String,
    /// Votes.
    pub votes: u64,
}

/// A tie that decided a seat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tie {
    /// The tied options, in ballot order.
    pub between: Vec<String>,
    /// Their equal vote count.
    pub votes: u64,
    /// Seats that were left for them.
    pub seats_left: u32,
    /// How it was resolved: `lots`.
    pub resolved_by: String,
    /// The tied options in the order the lots put them; the first
    /// `seats_left` won.
    pub order: Vec<String>,
}

/// Count every contest. Deterministic: the same inputs give the same tally.
pub fn tally(election: &str, definition: &Definition, ballots: &[PublishedBallot], seed: &Seed) -> Tally {
    let mut tallier = Tallier::new(definition.clone());
    for b in ballots {
        tallier.add(&b.choices);
    }
    tallier.finish(election, seed)
}

/// A running count, ballot by ballot, so that a million ballots can be
/// counted as they stream past without being held in memory.
pub struct Tallier {
    definition: Definition,
    ballots: u64,
    contests: Vec<Running>,
}

/// One contest's running count.
struct Running {
    cast: u64,
    blank: u64,
    invalid: u64,
    counts: Counts,
}

enum Counts {
    /// Votes per candidate (ballot order) and per written-in name.
    Plurality {
        candidates: Vec<u64>,
        write_ins: BTreeMap<String, u64>,
    },
    /// Yes, no, abstain.
    Referendum([u64; 3]),
}

impl Tallier {
    /// Start counting under `definition`.
    pub fn new(definition: Definition) -> Self {
        let contests = definition
            .contests
            .iter()
            .map(|c| Running {
                cast: 0,
                blank: 0,
                invalid: 0,
                counts: match c.method {
                    Method::Plurality { .. } => Counts::Plurality {
                        candidates: vec![0; c.candidates.len()],
                        write_ins: BTreeMap::new(),
                    },
                    Method::Referendum { .. } => Counts::Referendum([0; 3]),
                },
            })
            .collect();
        Tallier {
            definition,
            ballots: 0,
            contests,
        }
    }

    /// Count one ballot's choices. Choices that break a contest's rules are
    /// counted as invalid in that contest, never as votes.
    pub fn add(&mut self, choices: &BTreeMap<String, Vec<String>>) {
        self.ballots += 1;
        for (contest, running) in self.definition.contests.iter().zip(self.contests.iter_mut()) {
            let chosen = choices.get(&contest.id).map(Vec::as_slice).unwrap_or(&[]);
            if ballot::contest_problem(contest, chosen).is_some() {
                running.invalid += 1;
                continue;
            }
            if chosen.is_empty() {
                running.blank += 1;
                continue;
            }
            running.cast += 1;
            match &mut running.counts {
                Counts::Plurality { candidates, write_ins } => {
                    for choice in chosen {
                        match contest.candidates.iter().position(|c| &c.id == choice) {
                            Some(i) => candidates[i] += 1,
                            None => *write_ins.entry(choice.clone()).or_default() += 1,
                        }
                    }
                }
                Counts::Referendum(yna) => match chosen[0].as_str() {
                    "yes" => yna[0] += 1,
                    "no" => yna[1] += 1,
                    _ => yna[2] += 1,
                },
            }
        }
    }

    /// The tally, with ties broken by lots drawn from `seed`.
    pub fn finish(self, election: &str, seed: &Seed) -> Tally {
        let contests = self
            .definition
            .contests
            .iter()
            .zip(self.contests)
            .map(|(contest, running)| {
                let outcome = match (&contest.method, running.counts) {
                    (Method::Plurality { majority_required, .. }, Counts::Plurality { candidates, write_ins }) => {
                        plurality::count(contest, *majority_required, running.cast, &candidates, write_ins, seed)
                    }
                    (Method::Referendum { threshold }, Counts::Referendum(yna)) => referendum::count(*threshold, yna),
                    // `new` builds the counts from the same method.
                    (Method::Plurality { .. }, _) | (Method::Referendum { .. }, _) => {
                        unreachable!("counts built for another method")
                    }
                };
                ContestResult {
                    contest: contest.id.clone(),
                    title: contest.title.clone(),
                    seats: contest.seats,
                    cast: running.cast,
                    blank: running.blank,
                    invalid: running.invalid,
                    outcome,
                }
            })
            .collect();
        Tally {
            format: TALLY_FORMAT.to_string(),
            election: election.to_string(),
            ballots: self.ballots,
            contests,
        }
    }
}

impl Tally {
    /// SHA-256 of the canonical encoding: the digest logged at the tally and
    /// signed by certifiers.
    pub fn digest(&self) -> Digest {
        Digest::of(&canonical::to_bytes(self).expect(canonical::ENCODABLE))
    }
}

/// Order tied options by lot: ascending SHA-256(seed ‖ contest id ‖ 0x00 ‖ option id).
pub fn lot_order(seed: &Seed, contest: &str, options: &mut [String]) {
    options.sort_by_cached_key(|id| Digest::of_parts(&[&seed.0, contest.as_bytes(), &[0], id.as_bytes()]));
}
