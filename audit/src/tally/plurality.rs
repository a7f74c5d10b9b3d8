//! Plurality ("vote for up to N"), with the optional majority rule and write-ins.

use std::collections::BTreeMap;

use super::{lot_order, micros, OptionVotes, Outcome, Tie};
use crate::count::Weight;
use crate::crypto::Seed;
use crate::definition::{Contest, WRITE_IN_PREFIX};
use crate::names;

/// Write-in votes in micro-votes: name key (FORMAT.md §4a) → choice as
/// written (`write-in:NAME`) → votes. Names that look alike share a key and
/// are counted as one name (§9.2).
pub(super) type WriteInVotes = BTreeMap<String, BTreeMap<String, u128>>;

/// Add `votes` for the write-in `choice` (`write-in:NAME`).
pub(super) fn add_write_in(write_ins: &mut WriteInVotes, choice: &str, votes: u128) {
    let name = choice.strip_prefix(WRITE_IN_PREFIX).unwrap_or(choice);
    *write_ins
        .entry(names::key(name))
        .or_default()
        .entry(choice.to_string())
        .or_default() += votes;
}

pub(super) fn count(
    contest: &Contest,
    majority_required: bool,
    cast_weight: u128,
    candidate_votes: &[u128],
    write_in_votes: WriteInVotes,
    seed: &Seed,
) -> Outcome {
    let candidates: Vec<OptionVotes> = contest
        .candidates
        .iter()
        .zip(candidate_votes)
        .map(|(c, votes)| OptionVotes {
            id: c.id.clone(),
            name: c.name.clone(),
            votes: micros(*votes),
        })
        .collect();
    // One row per name key, under the spelling with the most votes (the
    // first in byte order among equals), with the votes of every spelling.
    let mut write_ins: Vec<OptionVotes> = write_in_votes
        .into_values()
        .filter_map(|spellings| {
            let total: u128 = spellings.values().sum();
            let mut best: Option<(&String, u128)> = None;
            for (id, n) in &spellings {
                if best.is_none_or(|(_, most)| *n > most) {
                    best = Some((id, *n));
                }
            }
            let (id, _) = best?;
            id.strip_prefix(WRITE_IN_PREFIX).map(|name| OptionVotes {
                name: name.to_string(),
                id: id.clone(),
                votes: micros(total),
            })
        })
        .collect();
    write_ins.sort_by(|a, b| b.votes.cmp(&a.votes).then_with(|| a.name.cmp(&b.name)));

    // "More than half" of the weight cast, exactly: votes > ⌊cast / 2⌋.
    let majority_over = majority_required.then_some(cast_weight / 2);
    let eligible = |votes: Weight| match majority_over {
        Some(over) => u128::from(votes.micros()) > over,
        None => !votes.is_zero(),
    };

    // Every option that may win, grouped by equal votes, most votes first.
    let mut by_votes: BTreeMap<std::cmp::Reverse<Weight>, Vec<String>> = BTreeMap::new();
    for o in candidates.iter().chain(write_ins.iter()) {
        if eligible(o.votes) {
            by_votes
                .entry(std::cmp::Reverse(o.votes))
                .or_default()
                .push(o.id.clone());
        }
    }
    let mut elected = Vec::new();
    let mut ties = Vec::new();
    let mut seats_left = contest.seats;
    for (std::cmp::Reverse(n), group) in by_votes {
        if seats_left == 0 {
            break;
        }
        if group.len() as u64 <= u64::from(seats_left) {
            seats_left -= group.len() as u32;
            elected.extend(group);
        } else {
            let mut order = group.clone();
            lot_order(seed, &contest.id, &mut order);
            elected.extend(order.iter().take(seats_left as usize).cloned());
            ties.push(Tie {
                between: group,
                votes: n,
                seats_left,
                resolved_by: "lots".into(),
                order,
            });
            seats_left = 0;
        }
    }
    Outcome::Plurality {
        candidates,
        write_ins,
        majority_over: majority_over.map(micros),
        elected,
        unfilled: seats_left,
        ties,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definition::{Candidate, Method};

    fn contest(seats: u32) -> Contest {
        Contest {
            id: "board".into(),
            title: "Board".into(),
            description: String::new(),
            seats,
            candidates: ["a", "b", "c", "d"]
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
        }
    }

    fn ballots(spec: &[&[&str]]) -> Vec<Vec<String>> {
        spec.iter().map(|b| b.iter().map(|s| s.to_string()).collect()).collect()
    }

    fn run(seats: u32, majority: bool, spec: &[&[&str]], seed: u8) -> Outcome {
        let c = contest(seats);
        let one = 1_000_000u128;
        let mut candidates = vec![0u128; c.candidates.len()];
        let mut write_ins = WriteInVotes::new();
        for b in ballots(spec) {
            for choice in b {
                match c.candidates.iter().position(|k| k.id == choice) {
                    Some(i) => candidates[i] += one,
                    None => add_write_in(&mut write_ins, &choice, one),
                }
            }
        }
        count(
            &c,
            majority,
            spec.len() as u128 * one,
            &candidates,
            write_ins,
            &Seed([seed; 32]),
        )
    }

    fn elected(o: &Outcome) -> Vec<String> {
        match o {
            Outcome::Plurality { elected, .. } => elected.clone(),
            _ => unreachable!(),
        }
    }

    #[test]
    fn the_highest_win_in_vote_order() {
        let o = run(2, false, &[&["a", "b"], &["b"], &["b", "c"], &["c", "write-in:Zed"]], 0);
        assert_eq!(elected(&o), ["b", "c"].map(String::from).to_vec());
        let Outcome::Plurality { ties, write_ins, .. } = &o else {
            unreachable!()
        };
        assert!(ties.is_empty());
        assert_eq!(write_ins[0].name, "Zed");
    }

    /// FORMAT.md §9.2: inside a group of equal votes that fits in the seats
    /// left, winners are listed in ballot order, then write-ins in
    /// `write_ins` order; no lots are drawn.
    #[test]
    fn a_group_that_fits_is_elected_in_ballot_order_then_write_ins() {
        let o = run(
            5,
            false,
            &[&["d"], &["write-in:Zed"], &["b"], &["write-in:Amy"], &["a", "d"]],
            0,
        );
        let Outcome::Plurality { ties, .. } = &o else {
            unreachable!()
        };
        assert!(ties.is_empty());
        assert_eq!(
            elected(&o),
            ["d", "a", "b", "write-in:Amy", "write-in:Zed"]
                .map(String::from)
                .to_vec()
        );
    }

    #[test]
    fn write_ins_that_look_alike_are_one_name_under_its_most_voted_spelling() {
        // Latin "Zoe", Cyrillic "Zое" (о, е) and "ZOE": one name, 4 votes,
        // shown as the spelling most voted for.
        let o = run(
            1,
            false,
            &[
                &["write-in:Zoe"],
                &["write-in:Z\u{043e}\u{0435}"],
                &["write-in:Z\u{043e}\u{0435}"],
                &["write-in:ZOE"],
                &["a"],
                &["b"],
                &["b"],
            ],
            0,
        );
        let Outcome::Plurality { write_ins, elected, .. } = &o else {
            unreachable!()
        };
        assert_eq!(write_ins.len(), 1);
        assert_eq!(write_ins[0].name, "Z\u{043e}\u{0435}");
        assert_eq!(write_ins[0].votes.to_string(), "4");
        assert_eq!(elected, &vec!["write-in:Z\u{043e}\u{0435}".to_string()]);
        // Equal votes: the first spelling in byte order ("ZOE" < "Zoe").
        let o = run(1, false, &[&["write-in:Zoe"], &["write-in:ZOE"]], 0);
        let Outcome::Plurality { write_ins, .. } = &o else {
            unreachable!()
        };
        assert_eq!(write_ins[0].id, "write-in:ZOE");
        assert_eq!(write_ins[0].votes.to_string(), "2");
    }

    #[test]
    fn a_tie_for_the_last_seat_is_resolved_by_lots_and_recorded() {
        let o = run(1, false, &[&["a"], &["b"]], 0);
        let Outcome::Plurality { ties, elected, .. } = &o else {
            unreachable!()
        };
        assert_eq!(ties.len(), 1);
        assert_eq!(ties[0].between, vec!["a".to_string(), "b".to_string()]);
        assert_eq!(elected[0], ties[0].order[0]);
        // Another seed may order them differently, but always reproducibly.
        let again = run(1, false, &[&["a"], &["b"]], 0);
        assert_eq!(o, again);
    }

    #[test]
    fn the_majority_rule_leaves_seats_unfilled() {
        // 4 ballots cast: a winner needs 3.
        let o = run(2, true, &[&["a", "b"], &["a", "c"], &["a"], &["b"]], 0);
        let Outcome::Plurality {
            elected,
            unfilled,
            majority_over,
            ..
        } = &o
        else {
            unreachable!()
        };
        // More than 2 (half of 4) votes.
        assert_eq!(majority_over.map(|w| w.to_string()), Some("2".to_string()));
        assert_eq!(elected, &vec!["a".to_string()]);
        assert_eq!(*unfilled, 1);
    }

    #[test]
    fn nobody_wins_with_no_votes() {
        let o = run(2, false, &[&["a"]], 0);
        let Outcome::Plurality { elected, unfilled, .. } = &o else {
            unreachable!()
        };
        assert_eq!(elected.len(), 1);
        assert_eq!(*unfilled, 1);
    }
}
