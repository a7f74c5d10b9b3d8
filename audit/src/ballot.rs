//! A cast ballot, its tracker, and the rules a ballot must satisfy.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::canonical;
use crate::count::Weight;
use crate::crypto::{Digest, Nonce};
use crate::definition::{Contest, Definition, Method, MAX_WRITE_IN, WRITE_IN_PREFIX};
use crate::names;

/// A ballot as stored and published: no voter, no time.
///
/// `choices` has one entry per contest of the election, in any order (the
/// encoding sorts keys): the chosen option ids, in order of preference where
/// the method ranks; an empty list is a blank contest. `weight` is the
/// member's vote weight (`"1"` for most).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ballot {
    /// The election's id.
    pub election: String,
    /// 16 random bytes that keep equal ballots apart and trackers unguessable.
    pub nonce: Nonce,
    /// Contest id → chosen option ids (a contest written twice is refused).
    #[serde(deserialize_with = "canonical::strict_map")]
    pub choices: BTreeMap<String, Vec<String>>,
    /// The vote weight of the member who cast it.
    pub weight: Weight,
}

impl Ballot {
    /// The ballot's tracker: SHA-256 of its canonical encoding.
    pub fn tracker(&self) -> Digest {
        tracker_of(&self.election, &self.nonce, &self.choices, self.weight)
    }

    /// The canonical encoding (the same bytes as `canonical::to_bytes`,
    /// written directly because a verifier hashes millions of them).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        canonical_ballot(&self.election, &self.nonce, &self.choices, self.weight)
    }
}

/// `{"choices":{…},"election":"…","nonce":"…","weight":"…"}` with keys in
/// byte order (a `BTreeMap<String, _>` iterates in byte order).
fn canonical_ballot(election: &str, nonce: &Nonce, choices: &BTreeMap<String, Vec<String>>, weight: Weight) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(b"{\"choices\":{");
    for (i, (contest, chosen)) in choices.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        canonical::write_string(contest, &mut out);
        out.extend_from_slice(b":[");
        for (j, choice) in chosen.iter().enumerate() {
            if j > 0 {
                out.push(b',');
            }
            canonical::write_string(choice, &mut out);
        }
        out.push(b']');
    }
    out.extend_from_slice(b"},\"election\":");
    canonical::write_string(election, &mut out);
    out.extend_from_slice(b",\"nonce\":\"");
    crate::crypto::push_hex(&nonce.0, &mut out);
    out.extend_from_slice(b"\",\"weight\":\"");
    // Most ballots weigh 1: written without formatting.
    if weight == Weight::ONE {
        out.push(b'1');
    } else {
        out.extend_from_slice(weight.to_string().as_bytes());
    }
    out.extend_from_slice(b"\"}");
    out
}

/// The tracker of a ballot given by parts (a published ballot and its election).
pub fn tracker_of(election: &str, nonce: &Nonce, choices: &BTreeMap<String, Vec<String>>, weight: Weight) -> Digest {
    Digest::of(&canonical_ballot(election, nonce, choices, weight))
}

/// A ballot as published in the record: the election id is implied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishedBallot {
    /// The tracker the ballot claims; a verifier recomputes it.
    pub tracker: Digest,
    /// The ballot's nonce.
    pub nonce: Nonce,
    /// Contest id → chosen option ids (a contest written twice is refused).
    #[serde(deserialize_with = "canonical::strict_map")]
    pub choices: BTreeMap<String, Vec<String>>,
    /// The vote weight.
    pub weight: Weight,
}

impl PublishedBallot {
    /// The tracker this ballot's content hashes to in `election`.
    pub fn computed_tracker(&self, election: &str) -> Digest {
        tracker_of(election, &self.nonce, &self.choices, self.weight)
    }

    /// The full ballot in `election`.
    pub fn to_ballot(&self, election: &str) -> Ballot {
        Ballot {
            election: election.to_string(),
            nonce: self.nonce,
            choices: self.choices.clone(),
            weight: self.weight,
        }
    }
}

/// What is wrong with a ballot, naming the contest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BallotProblem {
    /// The contest's id (empty when the problem concerns no one contest).
    pub contest: String,
    /// What the member can do about it.
    pub message: String,
}

impl fmt::Display for BallotProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Normalise a write-in name as members typed it: trim, collapse runs of
/// white space (tabs, line breaks, no-break spaces…) into one U+0020, and
/// put it in Unicode normalisation form C, so that equal names typed on
/// different keyboards make equal ballots (FORMAT.md §4a). Invisible and
/// control characters are not removed: the ballot is refused, naming them.
pub fn normalise_write_in(name: &str) -> String {
    names::nfc(&collapse_spaces(name))
}

/// Trim and collapse runs of white space into one U+0020.
fn collapse_spaces(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Check choices against the definition; every problem is returned, each
/// naming its contest. Contests missing from `choices` are reported too.
pub fn problems(definition: &Definition, choices: &BTreeMap<String, Vec<String>>) -> Vec<BallotProblem> {
    let indexes: Vec<ContestIndex> = definition.contests.iter().map(ContestIndex::new).collect();
    indexed_problems(definition, &indexes, choices)
}

/// A definition with each contest's candidates indexed once, for checking
/// many ballots ([`problems`] indexes them at every call).
pub struct Rules {
    definition: Definition,
    /// One per contest, in the definition's order.
    indexes: Vec<ContestIndex>,
}

impl Rules {
    /// Index `definition`'s contests.
    pub fn new(definition: Definition) -> Self {
        let indexes = definition.contests.iter().map(ContestIndex::new).collect();
        Rules { definition, indexes }
    }

    /// What [`problems`] returns for `choices` under this definition.
    pub fn problems(&self, choices: &BTreeMap<String, Vec<String>>) -> Vec<BallotProblem> {
        indexed_problems(&self.definition, &self.indexes, choices)
    }
}

/// [`problems`], with `indexes` the index of each of `definition`'s contests.
fn indexed_problems(
    definition: &Definition,
    indexes: &[ContestIndex],
    choices: &BTreeMap<String, Vec<String>>,
) -> Vec<BallotProblem> {
    let mut out = Vec::new();
    for key in choices.keys() {
        if definition.contest(key).is_none() {
            out.push(BallotProblem {
                contest: String::new(),
                message: format!("there is no contest {key:?} in this election"),
            });
        }
    }
    let mut positions = Vec::new();
    for (contest, index) in definition.contests.iter().zip(indexes) {
        match choices.get(&contest.id) {
            None => out.push(BallotProblem {
                contest: contest.id.clone(),
                message: format!("{}: the ballot has no entry for this contest", contest.title),
            }),
            Some(chosen) => {
                if let Err(message) = check_choices(contest, index, chosen, &mut positions) {
                    out.push(BallotProblem {
                        contest: contest.id.clone(),
                        message: format!("{}: {message}", contest.title),
                    });
                }
            }
        }
    }
    out
}

/// FNV-1a: candidate ids are short, and a verifier looks up millions.
#[derive(Default, Clone, Copy)]
struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for b in bytes {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// A contest's candidates by id, built once to check many ballots fast.
#[derive(Debug, Clone)]
pub struct ContestIndex {
    ids: HashMap<String, usize, std::hash::BuildHasherDefault<Fnv>>,
    /// The candidates' name keys and ASCII-folded names (§4a), computed at
    /// the first write-in.
    keys: std::sync::OnceLock<Vec<(String, String)>>,
}

impl ContestIndex {
    /// Index `contest`'s candidates.
    pub fn new(contest: &Contest) -> Self {
        ContestIndex {
            ids: contest
                .candidates
                .iter()
                .enumerate()
                .map(|(i, c)| (c.id.clone(), i))
                .collect(),
            keys: std::sync::OnceLock::new(),
        }
    }

    /// The candidate a write-in named `name`, with name key `key`, stands
    /// for (§4a), by ballot position.
    fn look_alike(&self, contest: &Contest, name: &str, key: &str) -> Option<usize> {
        let folded = names::fold(name);
        self.keys
            .get_or_init(|| {
                contest
                    .candidates
                    .iter()
                    .map(|c| (names::key(&c.name), names::fold(&c.name)))
                    .collect()
            })
            .iter()
            .position(|(k, f)| k == key || *f == folded)
    }

    /// The candidate with this id, by its ballot position.
    pub fn get(&self, id: &str) -> Option<usize> {
        self.ids.get(id).copied()
    }
}

/// What is wrong with the choices in one contest, if anything.
pub fn contest_problem(contest: &Contest, chosen: &[String]) -> Option<String> {
    check_choices(contest, &ContestIndex::new(contest), chosen, &mut Vec::new()).err()
}

/// Check the choices in one contest, filling `positions` with each one's
/// candidate position (`None` for a write-in or a referendum answer); or say
/// what is wrong.
pub fn check_choices(
    contest: &Contest,
    index: &ContestIndex,
    chosen: &[String],
    positions: &mut Vec<Option<usize>>,
) -> Result<(), String> {
    positions.clear();
    positions.extend(chosen.iter().map(|c| index.get(c)));
    let positions = &*positions;
    // Cumulative voting lists a candidate once per point; elsewhere a choice
    // appears at most once.
    if !matches!(contest.method, Method::Cumulative { .. }) {
        for (i, (choice, position)) in chosen.iter().zip(positions).enumerate() {
            let repeated = match position {
                Some(p) => positions[..i].contains(&Some(*p)),
                None => chosen[..i].contains(choice),
            };
            if repeated {
                return Err(if contest.method.ranks() {
                    "a candidate is ranked twice".into()
                } else {
                    "the same choice appears twice".into()
                });
            }
        }
    }
    let unknown = || match chosen.iter().zip(positions).find(|(_, p)| p.is_none()) {
        Some((c, _)) => Err(format!("{c:?} is not a candidate in this contest")),
        None => Ok(()),
    };
    match &contest.method {
        Method::Approval => unknown(),
        Method::Cumulative { points } => {
            if chosen.len() > *points as usize {
                return Err(format!(
                    "you gave {} points but have {points}; take away {} to continue",
                    chosen.len(),
                    chosen.len() - *points as usize
                ));
            }
            unknown()
        }
        Method::Irv { .. } | Method::StvScottish { .. } | Method::StvMeek { .. } | Method::Schulze { .. } => unknown(),
        Method::Referendum { .. } => {
            if chosen.len() > 1 {
                return Err("choose only one of yes, no or abstain".into());
            }
            if let Some(c) = chosen.first() {
                if !matches!(c.as_str(), "yes" | "no" | "abstain") {
                    return Err(format!("{c:?} is not yes, no or abstain"));
                }
            }
            Ok(())
        }
        Method::Plurality { write_ins, .. } => {
            let seats = contest.seats as usize;
            if chosen.len() > seats {
                return Err(format!(
                    "you chose {} but may choose at most {}; remove {} to continue",
                    chosen.len(),
                    seats,
                    chosen.len() - seats
                ));
            }
            let mut keys: Vec<(String, &str)> = Vec::new();
            for (choice, position) in chosen.iter().zip(positions) {
                if position.is_some() {
                    continue;
                }
                let Some(name) = choice.strip_prefix(WRITE_IN_PREFIX) else {
                    return Err(format!("{choice:?} is not a candidate in this contest"));
                };
                if !write_ins {
                    return Err("this contest does not allow write-in candidates".into());
                }
                if let Some(problem) = write_in_problem(contest, index, name, &mut keys) {
                    return Err(problem);
                }
            }
            Ok(())
        }
    }
}

/// What is wrong with one write-in name (FORMAT.md §4 rule 2 and §4a), if
/// anything; `earlier` holds the name keys of the ballot's earlier write-ins
/// in this contest, and gets this one's.
fn write_in_problem<'a>(
    contest: &Contest,
    index: &ContestIndex,
    name: &'a str,
    earlier: &mut Vec<(String, &'a str)>,
) -> Option<String> {
    if name.is_empty() {
        return Some("a write-in name is empty".into());
    }
    let length = name.chars().count();
    if length > MAX_WRITE_IN {
        return Some(format!(
            "a write-in name must be at most {MAX_WRITE_IN} characters; this one has {length}"
        ));
    }
    if let Some((c, class)) = names::first_forbidden(name) {
        return Some(format!(
            "the write-in name {name:?} contains {} ({}); type the name with letters, marks, digits, punctuation and single spaces only",
            class.describe(),
            names::CodePoint(c)
        ));
    }
    if collapse_spaces(name) != name {
        return Some(format!(
            "the write-in name {name:?} has leading, trailing, repeated or unusual spaces"
        ));
    }
    if !names::is_nfc(name) {
        return Some(format!(
            "the write-in name {name:?} is not in Unicode normalisation form C (NFC)"
        ));
    }
    let key = names::key(name);
    if let Some(i) = index.look_alike(contest, name, &key) {
        let listed = &contest.candidates[i].name;
        return Some(if listed == name {
            format!("{name:?} is on the ballot already; mark their box instead of writing them in")
        } else {
            format!(
                "the write-in {name:?} looks like {listed:?}, who is on the ballot already; mark their box instead of writing them in"
            )
        });
    }
    if let Some((_, other)) = earlier.iter().find(|(k, _)| *k == key) {
        return Some(format!(
            "the write-ins {other:?} and {name:?} look alike: they are the same name, written in twice"
        ));
    }
    earlier.push((key, name));
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definition::{Candidate, Threshold};

    fn definition() -> Definition {
        Definition {
            title: "T".into(),
            description: String::new(),
            contests: vec![
                Contest {
                    id: "board".into(),
                    title: "Board".into(),
                    description: String::new(),
                    seats: 2,
                    candidates: ["a", "b", "c"]
                        .iter()
                        .map(|id| Candidate {
                            id: id.to_string(),
                            name: id.to_uppercase(),
                            statement: String::new(),
                        })
                        .collect(),
                    method: Method::Plurality {
                        majority_required: false,
                        write_ins: true,
                    },
                },
                Contest {
                    id: "bylaw".into(),
                    title: "Bylaw".into(),
                    description: String::new(),
                    seats: 1,
                    candidates: vec![],
                    method: Method::Referendum {
                        threshold: Threshold::TWO_THIRDS,
                    },
                },
            ],
        }
    }

    fn choices(board: &[&str], bylaw: &[&str]) -> BTreeMap<String, Vec<String>> {
        let mut m = BTreeMap::new();
        m.insert("board".into(), board.iter().map(|s| s.to_string()).collect());
        m.insert("bylaw".into(), bylaw.iter().map(|s| s.to_string()).collect());
        m
    }

    #[test]
    fn a_full_and_a_blank_ballot_are_valid() {
        assert!(problems(&definition(), &choices(&["a", "write-in:Jo Bloggs"], &["yes"])).is_empty());
        assert!(problems(&definition(), &choices(&[], &[])).is_empty());
    }

    #[test]
    fn an_over_vote_names_its_contest() {
        let p = problems(&definition(), &choices(&["a", "b", "c"], &["no"]));
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].contest, "board");
        assert!(p[0].message.contains("at most 2"), "{}", p[0].message);
    }

    #[test]
    fn unknown_duplicate_and_malformed_choices_are_refused() {
        assert_eq!(problems(&definition(), &choices(&["z"], &[])).len(), 1);
        assert_eq!(problems(&definition(), &choices(&["a", "a"], &[])).len(), 1);
        assert_eq!(problems(&definition(), &choices(&[], &["maybe"])).len(), 1);
        assert_eq!(problems(&definition(), &choices(&["write-in: x"], &[])).len(), 1);
        assert_eq!(problems(&definition(), &choices(&["write-in:B"], &[])).len(), 1);
        let mut missing = choices(&[], &[]);
        missing.remove("bylaw");
        assert_eq!(problems(&definition(), &missing)[0].contest, "bylaw");
    }

    /// The one problem of a board ballot holding `write_ins`.
    fn write_in_refusal(write_ins: &[&str]) -> String {
        let mut d = definition();
        d.contests[0].candidates[0].name = "Alice".into();
        d.contests[0].seats = 3;
        let board: Vec<String> = write_ins.iter().map(|w| format!("{WRITE_IN_PREFIX}{w}")).collect();
        let board: Vec<&str> = board.iter().map(String::as_str).collect();
        let p = problems(&d, &choices(&board, &[]));
        assert_eq!(p.len(), 1, "{write_ins:?}: {p:?}");
        p[0].message.clone()
    }

    #[test]
    fn a_look_alike_of_a_listed_candidate_is_refused_naming_them() {
        let m = write_in_refusal(&["\u{0410}lice"]);
        assert!(m.contains("looks like \"Alice\", who is on the ballot already"), "{m}");
        let m = write_in_refusal(&["AIice"]);
        assert!(m.contains("looks like \"Alice\""), "{m}");
        let m = write_in_refusal(&["ALICE"]);
        assert!(m.contains("\"Alice\", who is on the ballot already"), "{m}");
        let m = write_in_refusal(&["Alice"]);
        assert!(m.contains("\"Alice\" is on the ballot already"), "{m}");
    }

    #[test]
    fn each_refused_write_in_gets_its_own_message() {
        let m = write_in_refusal(&["Jo\u{1}Bloggs"]);
        assert!(m.contains("a control character (U+0001)"), "{m}");
        assert!(!m.contains("at most"), "{m}");
        let m = write_in_refusal(&["Zo\u{200d}\u{eb}"]);
        assert!(m.contains("an invisible or formatting character (U+200D)"), "{m}");
        let m = write_in_refusal(&["Zo\u{e000}"]);
        assert!(m.contains("an unassigned or private-use character (U+E000)"), "{m}");
        let m = write_in_refusal(&["Zoe\u{308}"]);
        assert!(m.contains("normalisation form C"), "{m}");
        let m = write_in_refusal(&["Jo  Bloggs"]);
        assert!(m.contains("spaces"), "{m}");
        let m = write_in_refusal(&["Jo\u{a0}Bloggs"]);
        assert!(m.contains("spaces"), "{m}");
        let m = write_in_refusal(&[&"x".repeat(101)]);
        assert!(m.contains("at most 100 characters; this one has 101"), "{m}");
        let m = write_in_refusal(&[""]);
        assert!(m.contains("empty"), "{m}");
        let m = write_in_refusal(&["Zoe", "Z\u{043e}\u{0435}"]);
        assert!(m.contains("look alike"), "{m}");
        // What the server makes of typed names passes.
        for typed in ["  Zoe\u{308}\u{a0}Q  ", "Jo\tBloggs", "\u{416}\u{435}\u{43d}\u{44f}"] {
            let name = normalise_write_in(typed);
            let mut d = definition();
            d.contests[0].candidates[0].name = "Alice".into();
            let board = format!("{WRITE_IN_PREFIX}{name}");
            assert!(problems(&d, &choices(&[&board], &[])).is_empty(), "{name:?}");
        }
        assert_eq!(normalise_write_in("  Zoe\u{308}\u{a0}Q  "), "Zo\u{eb} Q");
    }

    #[test]
    fn the_direct_encoding_is_the_canonical_encoding() {
        let mut tricky = choices(&["a", "write-in:Zoë \"Q\" \\ \u{1}"], &["yes"]);
        tricky.insert("z-é".into(), vec![]);
        for c in [choices(&[], &[]), choices(&["a", "b"], &["no"]), tricky] {
            let b = Ballot {
                election: "e\u{7f}/".into(),
                nonce: Nonce([0xab; 16]),
                choices: c,
                weight: Weight::parse("2.5").unwrap(),
            };
            assert_eq!(b.canonical_bytes(), canonical::to_bytes(&b).unwrap());
        }
    }

    #[test]
    fn the_tracker_commits_to_content_and_nonce() {
        let b = Ballot {
            election: "e".into(),
            nonce: Nonce([1; 16]),
            choices: choices(&["a"], &[]),
            weight: Weight::ONE,
        };
        let mut other = b.clone();
        other.choices = choices(&["b"], &[]);
        assert_ne!(b.tracker(), other.tracker());
        let mut renonced = b.clone();
        renonced.nonce = Nonce([2; 16]);
        assert_ne!(b.tracker(), renonced.tracker());
        assert_eq!(b.tracker(), b.clone().tracker());
    }
}
