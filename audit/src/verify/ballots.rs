//! The published ballots, one by one: each hashes to its tracker, they are in
//! tracker order, they are exactly the log's, they obey the rules — and they
//! are counted as they pass.

use std::collections::{HashMap, HashSet};

use crate::ballot::{BallotProblem, PublishedBallot, Rules};
use crate::crypto::Digest;
use crate::definition::Definition;
use crate::tally::Tallier;

use super::log::LogFacts;
use super::report::Failures;

/// The part of a ballot's checks that needs nothing but the ballot and the
/// election, done ahead (on a parser thread).
pub(crate) struct Precheck {
    /// The tracker its content hashes to.
    pub tracker: Digest,
    /// What is wrong with its choices under the definition.
    pub problems: Vec<BallotProblem>,
}

/// Checks ballots as they arrive, against the finished log.
pub(crate) struct BallotChecker {
    election: String,
    /// The definition's rules, its contests indexed once.
    rules: Rules,
    /// Where the previous ballot's tracker was among the log's (ballots come
    /// in tracker order, so the next is usually the one after it).
    hint: usize,
    /// Which of the log's trackers (sorted) a ballot has matched.
    matched: Vec<bool>,
    previous: Option<Digest>,
    count: u64,
    pub tracker: Failures,
    pub order: Failures,
    pub matching: Failures,
    pub validity: Failures,
    pub tallier: Tallier,
    /// Ballots to remember (receipts'), and what was published for them.
    watch: HashSet<Digest>,
    pub watched: HashMap<Digest, PublishedBallot>,
}

impl BallotChecker {
    pub fn new(election: &str, definition: &Definition, facts: &LogFacts, watch: HashSet<Digest>) -> Self {
        BallotChecker {
            election: election.to_string(),
            rules: Rules::new(definition.clone()),
            hint: 0,
            matched: vec![false; facts.trackers.len()],
            previous: None,
            count: 0,
            tracker: Failures::default(),
            order: Failures::default(),
            matching: Failures::default(),
            validity: Failures::default(),
            tallier: Tallier::new(definition.clone()),
            watch,
            watched: HashMap::new(),
        }
    }

    /// Check and count one ballot, with its checks done `ahead` for the
    /// election named, if they were. They were done under the definition
    /// of the record's only `election`, which is this checker's.
    pub fn ballot(&mut self, b: &PublishedBallot, facts: &LogFacts, ahead: Option<(&str, &Precheck)>) {
        let i = self.count;
        self.count += 1;
        let ahead = ahead.filter(|(election, _)| *election == self.election).map(|(_, p)| p);
        let computed = ahead.map_or_else(|| b.computed_tracker(&self.election), |p| p.tracker);
        if computed != b.tracker {
            self.tracker.push(format!(
                "§4: ballot {i} (tracker {}): expected its content to hash to its tracker, found {computed}; the content or tracker was changed",
                b.tracker
            ));
        }
        if let Some(previous) = &self.previous {
            if previous >= &b.tracker {
                self.order.push(format!(
                    "§8: ballot {i} (tracker {}): expected a tracker after ballot {}'s ({previous}), found one not after it (out of order, or a duplicate)",
                    b.tracker,
                    i - 1
                ));
            }
        }
        self.previous = Some(b.tracker);
        match lookup(&facts.trackers, &b.tracker, self.hint) {
            Ok(k) => {
                self.matched[k] = true;
                self.hint = k + 1;
            }
            Err(_) => self.matching.push(format!(
                "§8: ballot {i} (tracker {}): expected a tracker of a ballot entry, found one the log does not hold (an added ballot)",
                b.tracker
            )),
        }
        let problems;
        let problems = match ahead {
            Some(p) => &p.problems,
            None => {
                problems = self.rules.problems(&b.choices);
                &problems
            }
        };
        for p in problems {
            let contest = if p.contest.is_empty() {
                String::new()
            } else {
                format!("contest {:?}: ", p.contest)
            };
            self.validity.push(format!(
                "§4: ballot {i} (tracker {}): {contest}{}",
                b.tracker, p.message
            ));
        }
        if b.weight.is_zero() {
            self.validity.push(format!(
                "§4: ballot {i} (tracker {}): expected a weight greater than 0, found \"0\"",
                b.tracker
            ));
        }
        self.tallier.add(&b.choices, b.weight);
        if !self.watch.is_empty() && self.watch.contains(&b.tracker) {
            self.watched.insert(b.tracker, b.clone());
        }
    }

    /// All ballots seen: report log trackers no ballot matched.
    pub fn finish(&mut self, facts: &LogFacts) -> u64 {
        for (k, seen) in self.matched.iter().enumerate() {
            if !seen {
                let (tracker, seq) = facts.trackers[k];
                self.matching.push(format!(
                    "§8: entry {seq} (ballot): expected a published ballot with tracker {tracker}, found none (a ballot is missing)"
                ));
            }
        }
        self.count
    }
}

/// `trackers.binary_search_by` for `tracker`, answered without a search
/// when the tracker is at `hint` and appears once: there, the search could
/// only find it at `hint` too.
fn lookup(trackers: &[(Digest, u64)], tracker: &Digest, hint: usize) -> Result<usize, usize> {
    let at = |i: usize| trackers.get(i).map(|(t, _)| t);
    let before = hint.checked_sub(1).and_then(at);
    if at(hint) == Some(tracker) && before != Some(tracker) && at(hint + 1) != Some(tracker) {
        return Ok(hint);
    }
    trackers.binary_search_by(|(t, _)| t.cmp(tracker))
}
