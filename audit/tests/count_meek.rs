//! Meek STV against reference transcripts, figure by figure at 9 places:
//! Droop's `meek-prf-o6-fixed-p9-d9` vectors (PR Foundation reference rule)
//! and stv-rs's `meek-fixed9` logs (Droop's parametric rule).
//!
//! Compared for every round: who is elected (in order) and every
//! candidate's vote, the quota and the surplus wherever the reference shows
//! them; every defeat, tie and stopping reason; the completion and the
//! final figures.
//!
//! Skipped, with reason: `stv-rs/below_quota.blt`,
//! `stv-rs/equal_preference.blt` and `equal_preference.numeric.blt` use
//! equal rankings (`a=b`), which Teller refuses (its ballots are strict
//! rankings); the test checks that they are refused with a clear error.
#![allow(clippy::unwrap_used)]

#[path = "count_support.rs"]
mod support;

use support::{action_subject, blt, droop_ties, parse_report, parse_tie, read, RefAction};
use teller_audit::count::{
    parse_blt, stv_meek, Action, IterationStop, MeekRule, Outcome, ParseProblem, Reason, Round, Status,
};

fn index(names: &[String], name: &str) -> usize {
    names
        .iter()
        .position(|n| n == name)
        .unwrap_or_else(|| panic!("unknown candidate {name}"))
}

fn check_figures(names: &[String], a: &RefAction, tally: &[String], what: &str) {
    for c in &a.cands {
        assert_eq!(
            tally[index(names, &c.name)],
            c.value,
            "{what} (line {}: {}): {}",
            a.line,
            a.text,
            c.name
        );
    }
}

fn compare(outcome: &Outcome, report_rel: &str, rule: MeekRule) {
    let t = &outcome.transcript;
    let names = &t.candidates;
    let r = parse_report(&read(report_rel));
    let what = |s: &str| format!("{report_rel}: {s}");
    assert_eq!(
        t.quota.unwrap().to_string(),
        r.header["Quota"],
        "{}",
        what("initial quota")
    );
    let tallies: Vec<Vec<String>> = t
        .rounds
        .iter()
        .map(|round| round.tally.iter().map(ToString::to_string).collect())
        .collect();
    let rounds: Vec<&Round> = t.rounds.iter().collect();
    let iteration_rounds = rounds
        .iter()
        .filter(|r| matches!(r.action, Action::Iteration { .. }))
        .count();
    let completion = rounds.iter().find(|r| matches!(r.action, Action::Completion));
    let last_round = r.actions.iter().map(|a| a.round).max().unwrap_or(0);
    assert_eq!(iteration_rounds, last_round, "{}", what("number of rounds"));

    let mut elected_ref = Vec::new();
    let mut remaining_ref = Vec::new();
    for a in &r.actions {
        let text = a.text.as_str();
        let k = a.round;
        let round = rounds[k];
        let quota = round.quota.unwrap().to_string();
        let surplus = round.surplus.unwrap().to_string();
        if text == "Begin Count" {
            assert_eq!(k, 0);
            check_figures(names, a, &tallies[0], &what("begin"));
        } else if let Some(name) = text.strip_prefix("Elect: ") {
            elected_ref.push(name.to_owned());
            check_figures(names, a, &tallies[k], &what(&format!("round {k}")));
            assert_eq!(a.stats["Quota"], quota, "{}", what(&format!("round {k} quota")));
        } else if let Some(status) = text.strip_prefix("Iterate (") {
            let stop = match status.trim_end_matches(')') {
                "elected" => IterationStop::Elected,
                "omega" => IterationStop::Omega,
                "stable" => IterationStop::Stable,
                other => panic!("{other}"),
            };
            assert!(
                matches!(round.action, Action::Iteration { stop: s, .. } if s == stop),
                "{}",
                what(&format!("round {k} stop"))
            );
            let votes: i128 = round.tally.iter().map(|d| d.units()).sum();
            let exhausted = round.exhausted.to_string();
            assert_eq!(a.stats["Quota"], quota, "{}", what(&format!("round {k} quota")));
            assert_eq!(a.stats["Surplus"], surplus, "{}", what(&format!("round {k} surplus")));
            assert_eq!(
                a.stats["Residual"],
                exhausted,
                "{}",
                what(&format!("round {k} residual"))
            );
            let scale = round.tally[0].scale();
            let shown = teller_audit::count::Decimal::new(votes, scale).to_string();
            assert_eq!(a.stats["Votes"], shown, "{}", what(&format!("round {k} votes")));
        } else if let Some((kind, tied, chosen)) = parse_tie(text) {
            assert!(kind.contains("defeat"), "{}", what(text));
            let tie = round.ties.first().unwrap_or_else(|| panic!("{}", what(text)));
            let mut mine: Vec<String> = tie.tied.iter().map(|&c| names[c].clone()).collect();
            mine.sort();
            assert_eq!((mine, names[tie.chosen].clone()), (tied, chosen), "{}", what(text));
        } else if text.starts_with("Defeat (") {
            let name = action_subject(text);
            let d = round.excluded.first().unwrap();
            assert_eq!(names[d.candidate], name, "{}", what(text));
            assert_eq!(d.reason, Reason::LowestVote);
            let stable = text.starts_with("Defeat (stable surplus ");
            let stop = if stable {
                IterationStop::Stable
            } else {
                IterationStop::Omega
            };
            assert!(
                matches!(round.action, Action::Iteration { stop: s, .. } if s == stop),
                "{}",
                what(text)
            );
            let shown = text
                .trim_start_matches("Defeat (stable surplus ")
                .trim_start_matches("Defeat (surplus ")
                .split([' ', ')'])
                .next()
                .unwrap();
            assert_eq!(shown, surplus, "{}", what(text));
            check_figures(names, a, &tallies[k], &what(text));
            assert_eq!(a.stats["Quota"], quota, "{}", what(text));
            if let Some(s) = &a.stable {
                assert_eq!(s, &surplus, "{}", what("stable state"));
            }
        } else if let Some(name) = text.strip_prefix("Elect remaining: ") {
            remaining_ref.push((name.to_owned(), Reason::RemainingSeats));
        } else if let Some(name) = text.strip_prefix("Defeat remaining: ") {
            remaining_ref.push((name.to_owned(), Reason::SeatsFilled));
        } else if text == "Count Complete" {
            let final_tally: Vec<String> = match completion {
                Some(c) => c.tally.iter().map(ToString::to_string).collect(),
                None => {
                    let last = rounds.last().unwrap();
                    last.tally
                        .iter()
                        .zip(&last.status)
                        .map(|(v, s)| {
                            if *s == Status::Excluded {
                                "0.000000000".to_owned()
                            } else {
                                v.to_string()
                            }
                        })
                        .collect()
                }
            };
            check_figures(names, a, &final_tally, &what("count complete"));
            if let Some(c) = completion {
                // The votes of candidates excluded at the end are Droop's
                // residual: Σ votes + exhausted = total in the completion too.
                assert_eq!(
                    a.stats["Residual"],
                    c.exhausted.to_string(),
                    "{}",
                    what("count complete residual")
                );
            }
        } else {
            panic!("{}: unexpected action {text}", what(""));
        }
    }
    let elected_mine: Vec<String> = rounds
        .iter()
        .filter(|r| matches!(r.action, Action::Iteration { .. }))
        .flat_map(|r| r.elected.iter())
        .map(|d| names[d.candidate].clone())
        .collect();
    assert_eq!(elected_mine, elected_ref, "{}", what("elected by quota"));
    let remaining_mine: Vec<(String, Reason)> = completion
        .map(|c| {
            c.elected
                .iter()
                .chain(c.excluded.iter())
                .map(|d| (names[d.candidate].clone(), d.reason))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(remaining_mine, remaining_ref, "{}", what("completion"));
    let _ = rule;
}

fn check(blt_rel: &str, report_rel: &str, rule: MeekRule) {
    let p = blt(blt_rel);
    let out = stv_meek(&p, p.seats.unwrap(), rule, &droop_ties(&p)).unwrap();
    compare(&out, report_rel, rule);
}

fn prf(stem: &str) {
    check(
        &format!("droop/vectors/{stem}.blt"),
        &format!("droop/vectors/{stem}.meek-prf-o6-fixed-p9-d9.report.txt"),
        MeekRule::PrfReference,
    );
}

fn stvrs(blt_name: &str, log_stem: &str) {
    check(
        &format!("stv-rs/{blt_name}"),
        &format!("stv-rs/{log_stem}.meek-fixed9.expected.log"),
        MeekRule::DroopParametric,
    );
}

#[test]
fn prf_42_matches_droop() {
    prf("42");
}

#[test]
fn prf_42t_with_tie_order_matches_droop() {
    prf("42t");
}

#[test]
fn prf_513_matches_droop() {
    prf("513");
}

#[test]
fn prf_sc_matches_droop() {
    prf("SC");
}

/// Voting matters issue 12: the third seat depends on the arithmetic. At 9
/// places the PRF rule elects Y.
#[test]
fn prf_sc_vm_12_matches_droop_at_nine_places() {
    prf("SC-Vm-12");
    let p = blt("droop/vectors/SC-Vm-12.blt");
    let out = stv_meek(&p, 3, MeekRule::PrfReference, &droop_ties(&p)).unwrap();
    let names: Vec<&str> = out.elected.iter().map(|&c| p.candidates[c].as_str()).collect();
    assert_eq!(names, ["A", "B", "Y"]);
}

/// COUNTING.md §11: Budd Dickinson, excluded at the end of round 10 with
/// 10.204118384 votes, shows them leaving in round 11; Tom Sevigny, excluded
/// at completion, shows his 16.482212783 leaving, and they join the
/// exhausted votes (Droop's residual 17.550728483), so the completion
/// conserves the 94 votes.
#[test]
fn prf_sc_transfers_show_excluded_votes_leaving() {
    let p = blt("droop/vectors/SC.blt");
    let out = stv_meek(&p, 4, MeekRule::PrfReference, &droop_ties(&p)).unwrap();
    let t = &out.transcript;
    let budd = index(&t.candidates, "Budd Dickinson");
    let tom = index(&t.candidates, "Tom Sevigny");
    assert_eq!(t.rounds[10].tally[budd].to_string(), "10.204118384");
    assert_eq!(t.rounds[10].status[budd], Status::Excluded);
    assert_eq!(t.rounds[11].tally[budd].to_string(), "0.000000000");
    assert_eq!(t.rounds[11].transfers[budd].to_string(), "-10.204118384");
    let last = t.rounds.last().unwrap();
    assert!(matches!(last.action, Action::Completion));
    assert_eq!(last.transfers[tom].to_string(), "-16.482212783");
    assert_eq!(last.exhausted.to_string(), "17.550728483");
}

#[test]
fn stvrs_transfer_matches() {
    stvrs("transfer.blt", "transfer");
}

#[test]
fn stvrs_vegetables_with_withdrawn_candidates_matches() {
    stvrs("vegetables.blt", "vegetables");
}

#[test]
fn stvrs_vegetables_numeric_keep_withdrawn_matches() {
    stvrs("vegetables.numeric_keep_withdrawn.blt", "vegetables");
}

#[test]
fn stvrs_tie_break_explicit_matches() {
    stvrs("tie_break_explicit.blt", "tie_break_explicit");
}

#[test]
fn stvrs_tie_break_implicit_matches() {
    stvrs("tie_break_implicit.blt", "tie_break_implicit");
}

/// Without the `[withdrawn]` line, Banana and Fig stand with no votes and are
/// defeated first; the same four are elected.
#[test]
fn stvrs_vegetables_without_withdrawal_elects_the_same() {
    let p = blt("stv-rs/vegetables.numeric_remove_withdrawn.blt");
    let out = stv_meek(&p, 4, MeekRule::DroopParametric, &droop_ties(&p)).unwrap();
    let mut names: Vec<&str> = out.elected.iter().map(|&c| p.candidates[c].as_str()).collect();
    names.sort();
    assert_eq!(names, ["Eggplant", "Grape", "Hazelnut", "Jalapeno"]);
}

#[test]
fn equal_rankings_are_refused_with_a_clear_error() {
    for file in [
        "stv-rs/below_quota.blt",
        "stv-rs/equal_preference.blt",
        "stv-rs/equal_preference.numeric.blt",
    ] {
        let err = parse_blt(&read(file)).unwrap_err();
        assert!(matches!(err.problem, ParseProblem::EqualRanking(_)), "{file}: {err}");
        assert!(err.to_string().contains("equal rankings"), "{err}");
    }
}
