//! The tally: a pure function of the definition, the ballots and the lot
//! seed. Every figure is weighted exactly ([`Weight`], six decimals); no
//! floating point anywhere.

mod plurality;
mod ranked;
mod referendum;

pub mod encrypted;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ballot::{self, PublishedBallot};
use crate::canonical;
use crate::count::Weight;
use crate::crypto::{Digest, Seed};
use crate::definition::{Definition, Method, Threshold};

/// The `format` value of a tally.
pub const TALLY_FORMAT: &str = "teller-tally/2";

/// The result of an election.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tally {
    /// Always `teller-tally/2`.
    pub format: String,
    /// The election's id.
    pub election: String,
    /// Ballots counted (valid or not).
    pub ballots: u64,
    /// Their total weight.
    pub weight: Weight,
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
    /// Valid ballots with at least one choice in this contest (for a
    /// referendum, abstentions included).
    pub cast: u64,
    /// Their total weight.
    pub cast_weight: Weight,
    /// Valid ballots with no choice in this contest.
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
        /// Votes per written-in name, names that look alike counted as one
        /// under their most voted spelling (FORMAT.md §9.2); most votes
        /// first, then by name.
        write_ins: Vec<OptionVotes>,
        /// Under the majority rule, a winner needs more votes than this
        /// (half the weight cast in the contest).
        majority_over: Option<Weight>,
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
        yes: Weight,
        /// No votes.
        no: Weight,
        /// Abstentions (not votes cast).
        abstain: Weight,
        /// yes + no.
        votes_cast: Weight,
        /// The rule.
        threshold: Threshold,
        /// Yes votes needed to pass.
        yes_needed: Weight,
        /// Whether it passed.
        passed: bool,
    },
    /// Approval, cumulative, IRV, STV and Schulze: counted by
    /// `teller_audit::count`, with its transcript.
    Counted {
        /// The method's name (as in the definition).
        counted_by: String,
        /// Winners' candidate ids, in order of election.
        elected: Vec<String>,
        /// The count, round by round (`audit/COUNTING.md`); numbers are
        /// decimal strings. Read strictly: a key written twice is refused.
        #[serde(deserialize_with = "crate::canonical::strict_value")]
        transcript: serde_json::Value,
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
    /// Votes (weighted).
    pub votes: Weight,
}

/// A tie that decided a seat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tie {
    /// The tied options, in ballot order.
    pub between: Vec<String>,
    /// Their equal vote.
    pub votes: Weight,
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
        tallier.add(&b.choices, b.weight);
    }
    tallier.finish(election, seed)
}

/// A running count, ballot by ballot, so that a million ballots can be
/// counted as they stream past without being held in memory (ranked ballots
/// are kept grouped by identical ranking).
pub struct Tallier {
    definition: Definition,
    positions: Vec<Option<usize>>,
    indices: Vec<usize>,
    ballots: u64,
    weight: u128,
    contests: Vec<Running>,
}

/// One contest's running count.
struct Running {
    index: ballot::ContestIndex,
    cast: u64,
    cast_weight: u128,
    blank: u64,
    invalid: u64,
    counts: Counts,
}

enum Counts {
    /// Micro-votes per candidate (ballot order) and per written-in name.
    Plurality {
        candidates: Vec<u128>,
        write_ins: plurality::WriteInVotes,
    },
    /// Yes, no, abstain, in micro-votes.
    Referendum([u128; 3]),
    /// Everything `count` counts.
    Counted(ranked::Collected),
}

impl Tallier {
    /// Start counting under `definition`.
    pub fn new(definition: Definition) -> Self {
        let contests = definition
            .contests
            .iter()
            .map(|c| Running {
                index: ballot::ContestIndex::new(c),
                cast: 0,
                cast_weight: 0,
                blank: 0,
                invalid: 0,
                counts: match &c.method {
                    Method::Plurality { .. } => Counts::Plurality {
                        candidates: vec![0; c.candidates.len()],
                        write_ins: plurality::WriteInVotes::new(),
                    },
                    Method::Referendum { .. } => Counts::Referendum([0; 3]),
                    other => Counts::Counted(ranked::Collected::new(other, c.candidates.len())),
                },
            })
            .collect();
        Tallier {
            definition,
            positions: Vec::new(),
            indices: Vec::new(),
            ballots: 0,
            weight: 0,
            contests,
        }
    }

    /// Count one ballot's choices with its weight. Choices that break a
    /// contest's rules are counted as invalid in that contest, never as votes.
    pub fn add(&mut self, choices: &BTreeMap<String, Vec<String>>, weight: Weight) {
        self.ballots += 1;
        let w = u128::from(weight.micros());
        self.weight += w;
        for (contest, running) in self.definition.contests.iter().zip(self.contests.iter_mut()) {
            // FORMAT.md §9: a ballot of weight 0 is refused (§4), so it is
            // invalid in every contest, whatever its choices; a ballot with
            // no member for a contest is invalid in it (§4), not blank.
            let Some(chosen) = choices.get(&contest.id).filter(|_| !weight.is_zero()) else {
                running.invalid += 1;
                continue;
            };
            let chosen = chosen.as_slice();
            if ballot::check_choices(contest, &running.index, chosen, &mut self.positions).is_err() {
                running.invalid += 1;
                continue;
            }
            let positions = &self.positions;
            if chosen.is_empty() {
                running.blank += 1;
                continue;
            }
            let counted = match &mut running.counts {
                Counts::Plurality { candidates, write_ins } => {
                    for (choice, position) in chosen.iter().zip(positions) {
                        match position {
                            Some(i) => candidates[*i] += w,
                            None => plurality::add_write_in(write_ins, choice, w),
                        }
                    }
                    true
                }
                Counts::Referendum(yna) => {
                    match chosen[0].as_str() {
                        "yes" => yna[0] += w,
                        "no" => yna[1] += w,
                        _ => yna[2] += w,
                    }
                    true
                }
                Counts::Counted(collected) => {
                    self.indices.clear();
                    self.indices.extend(positions.iter().flatten());
                    collected.push(weight, &self.indices)
                }
            };
            if counted {
                running.cast += 1;
                running.cast_weight += w;
            } else {
                running.invalid += 1;
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
                let cast_weight = micros(running.cast_weight);
                let outcome = match running.counts {
                    Counts::Plurality { candidates, write_ins } => {
                        let majority = matches!(
                            contest.method,
                            Method::Plurality {
                                majority_required: true,
                                ..
                            }
                        );
                        plurality::count(contest, majority, running.cast_weight, &candidates, write_ins, seed)
                    }
                    Counts::Referendum(yna) => match contest.method {
                        Method::Referendum { threshold } => referendum::count(threshold, yna),
                        _ => referendum::count(Threshold::SIMPLE_MAJORITY, yna),
                    },
                    Counts::Counted(collected) => collected.count(contest, seed),
                };
                ContestResult {
                    contest: contest.id.clone(),
                    title: contest.title.clone(),
                    seats: contest.seats,
                    cast: running.cast,
                    cast_weight,
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
            weight: micros(self.weight),
            contests,
        }
    }
}

/// A sum of micro-votes as a weight (sums are bounded far below the cap by
/// the roll's size times the largest weight; saturate rather than wrap).
fn micros(total: u128) -> Weight {
    Weight::from_micros(u64::try_from(total).unwrap_or(u64::MAX))
        .or(Weight::from_micros(crate::count::MAX_WEIGHT_MICROS))
        .unwrap_or(Weight::ZERO)
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

/// The seed a counting method draws its lots from in one contest:
/// SHA-256(`teller-lots/1` ‖ 0x00 ‖ seed ‖ contest id), so contests draw
/// independent lots.
pub fn contest_seed(seed: &Seed, contest: &str) -> [u8; 32] {
    Digest::of_parts(&[b"teller-lots/1\0", &seed.0, contest.as_bytes()]).0
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn definition() -> Definition {
        serde_json::from_value(serde_json::json!({
            "title": "T",
            "description": "",
            "contests": [
                {"id": "q", "title": "Q", "description": "", "seats": 1, "candidates": [],
                 "method": {"kind": "referendum",
                            "threshold": {"comparison": "more-than", "numerator": 1, "denominator": 2}}},
                {"id": "board", "title": "Board", "description": "", "seats": 1,
                 "candidates": [{"id": "a", "name": "A", "statement": ""}, {"id": "b", "name": "B", "statement": ""}],
                 "method": {"kind": "approval"}}
            ]
        }))
        .unwrap()
    }

    fn add(t: &mut Tallier, q: &[&str], board: Option<&[&str]>, weight: &str) {
        let mut choices = BTreeMap::new();
        choices.insert("q".to_string(), q.iter().map(|s| s.to_string()).collect());
        if let Some(board) = board {
            choices.insert("board".to_string(), board.iter().map(|s| s.to_string()).collect());
        }
        t.add(&choices, Weight::parse(weight).unwrap());
    }

    /// FORMAT.md §9: a referendum's `cast` counts abstentions, its
    /// `votes_cast` does not.
    #[test]
    fn a_referendum_casts_abstentions_but_does_not_count_them_as_votes() {
        let mut t = Tallier::new(definition());
        add(&mut t, &["yes"], Some(&[]), "1");
        add(&mut t, &["abstain"], Some(&[]), "2");
        add(&mut t, &[], Some(&[]), "1");
        let tally = t.finish("e", &Seed([0; 32]));
        let q = &tally.contests[0];
        assert_eq!((q.cast, q.cast_weight.to_string(), q.blank), (2, "3".to_string(), 1));
        let Outcome::Referendum {
            votes_cast, abstain, ..
        } = &q.outcome
        else {
            unreachable!()
        };
        assert_eq!((votes_cast.to_string(), abstain.to_string()), ("1".into(), "2".into()));
    }

    /// FORMAT.md §9: a ballot of weight 0 is invalid in every contest, and a
    /// ballot without a member for a contest is invalid in it, not blank.
    #[test]
    fn weight_zero_and_missing_contests_are_invalid_not_blank() {
        let mut t = Tallier::new(definition());
        add(&mut t, &["yes"], Some(&["a"]), "0");
        add(&mut t, &["no"], None, "1");
        let tally = t.finish("e", &Seed([0; 32]));
        let q = &tally.contests[0];
        let board = &tally.contests[1];
        assert_eq!((q.cast, q.blank, q.invalid), (1, 0, 1));
        assert_eq!((board.cast, board.blank, board.invalid), (0, 0, 2));
    }
}
