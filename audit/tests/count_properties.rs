//! Properties every count must have, on random small elections:
//! conservation of votes round by round (within the stated rounding loss),
//! transfers that are exactly the differences of consecutive tallies,
//! statuses that match the decisions recorded, tie lists in the stated order,
//! quota winners elected, IRV monotonicity for added first preferences,
//! weights as multiplicities, determinism and independence from ballot
//! order, and lots mattering only when a transcript says so.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use teller_audit::count::{
    approval, cumulative, irv, schulze, stv_meek, stv_scottish, Action, ApprovalBallots, Decimal, MeekRule, Method,
    Outcome, Profile, RankedBallots, Reason, ScoreBallots, Status, TieBreaker, TiePurpose, TieRule, Weight,
};

type Ballots = Vec<(Weight, Vec<usize>)>;

/// Up to 6 candidates, up to 40 ballots of weight 1, 2, 0.5 or 2.5 with
/// random partial rankings.
fn election() -> impl Strategy<Value = (usize, Ballots)> {
    (2usize..=6).prop_flat_map(|n| {
        let ballot = (
            prop_oneof![Just(1_000_000u64), Just(2_000_000), Just(500_000), Just(2_500_000)],
            proptest::collection::vec(0..n, 0..=n + 1),
        )
            .prop_map(move |(w, raw)| {
                let mut ranking = Vec::new();
                for c in raw {
                    if !ranking.contains(&c) {
                        ranking.push(c);
                    }
                }
                (Weight::from_micros(w).unwrap(), ranking)
            });
        (Just(n), proptest::collection::vec(ballot, 0..40))
    })
}

fn profile(n: usize, ballots: &Ballots) -> Profile<RankedBallots> {
    let names = (0..n).map(|c| format!("C{c}")).collect();
    let b = RankedBallots::from_rankings(n, ballots.iter().map(|(w, r)| (*w, r.as_slice())));
    Profile::new(names, b.unwrap())
}

fn approvals(n: usize, ballots: &Ballots) -> Profile<ApprovalBallots> {
    let names = (0..n).map(|c| format!("C{c}")).collect();
    let b = ApprovalBallots::from_approvals(n, ballots.iter().map(|(w, r)| (*w, r.as_slice())));
    Profile::new(names, b.unwrap())
}

/// Cumulative ballots: 3 points to the first choice, 2 to the second.
fn scores(n: usize, ballots: &Ballots) -> Profile<ScoreBallots> {
    let names = (0..n).map(|c| format!("C{c}")).collect();
    let mut b = ScoreBallots::new(n, 5).unwrap();
    for (w, r) in ballots {
        let marks: Vec<(usize, u32)> = r.iter().take(2).zip([3, 2]).map(|(&c, p)| (c, p)).collect();
        b.push(*w, &marks).unwrap();
    }
    Profile::new(names, b)
}

/// Every method on the same election.
fn all_counts(n: usize, ballots: &Ballots, seats: usize, lots: &TieBreaker) -> Vec<Outcome> {
    let p = profile(n, ballots);
    vec![
        irv(&p, lots).unwrap(),
        stv_scottish(&p, seats, lots).unwrap(),
        stv_meek(&p, seats, MeekRule::PrfReference, lots).unwrap(),
        stv_meek(&p, seats, MeekRule::DroopParametric, lots).unwrap(),
        schulze(&p, seats, lots).unwrap(),
        approval(&approvals(n, ballots), seats, lots).unwrap(),
        cumulative(&scores(n, ballots), seats, lots).unwrap(),
    ]
}

/// `d` in units of 10^-scale.
fn at(d: &Decimal, scale: u8) -> i128 {
    d.units() * 10i128.pow(u32::from(scale - d.scale()))
}

fn total_micros(ballots: &Ballots) -> i128 {
    ballots
        .iter()
        .filter(|(_, r)| !r.is_empty())
        .map(|(w, _)| i128::from(w.micros()))
        .sum()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Scottish STV: every round, tallies + non-transferable + rounding loss
    /// = valid votes exactly; each surplus transfer loses less than 10^-5 per
    /// unit of weight and exclusions lose nothing; anyone at or above the
    /// quota at the end of a round is elected; all seats are filled.
    #[test]
    fn scottish_conserves_votes_and_elects_quota_holders(
        (n, ballots) in election(), seats in 1usize..4,
    ) {
        let out = stv_scottish(&profile(n, &ballots), seats, &TieBreaker::new([1; 32])).unwrap();
        let total = total_micros(&ballots) * 100_000; // in 10^-11
        let mut previous_loss = 0;
        for round in &out.transcript.rounds {
            let sum: i128 = round.tally.iter().map(|d| at(d, 11)).sum::<i128>()
                + at(&round.exhausted, 11)
                + at(round.loss.as_ref().unwrap(), 11);
            prop_assert_eq!(sum, total, "round {}", round.number);
            let loss = at(round.loss.as_ref().unwrap(), 11);
            let lost = loss - previous_loss;
            match round.action {
                Action::Surplus { .. } => prop_assert!(lost >= 0 && (lost < total / 100_000 || lost == 0)),
                _ => prop_assert_eq!(lost, 0),
            }
            previous_loss = loss;
            let quota = at(round.quota.as_ref().unwrap(), 11);
            for c in 0..n {
                if round.status[c] == Status::Hopeful {
                    prop_assert!(at(&round.tally[c], 11) < quota);
                }
            }
        }
        prop_assert_eq!(out.elected.len(), seats.min(n));
    }

    /// Meek STV (both rules): tallies + exhausted = valid votes every round,
    /// the completion round included;
    /// no hopeful candidate ends a round at or above the quota; all seats
    /// are filled; quota winners are elected in the round they reach it.
    #[test]
    fn meek_conserves_votes_and_elects_quota_holders(
        (n, ballots) in election(), seats in 1usize..4,
    ) {
        for rule in [MeekRule::PrfReference, MeekRule::DroopParametric] {
            let out = stv_meek(&profile(n, &ballots), seats, rule, &TieBreaker::new([2; 32])).unwrap();
            let total = total_micros(&ballots) * 1_000_000_000; // in 10^-15
            for round in &out.transcript.rounds {
                let sum: i128 = round.tally.iter().map(|d| at(d, 15)).sum::<i128>()
                    + at(&round.exhausted, 15);
                // Every round, the completion included (COUNTING.md §7).
                prop_assert_eq!(sum, total, "{:?} round {}", rule, round.number);
                if matches!(round.action, Action::Iteration { .. } | Action::FirstPreferences) {
                    let quota = at(round.quota.as_ref().unwrap(), 15);
                    for c in 0..n {
                        if round.status[c] == Status::Hopeful {
                            prop_assert!(at(&round.tally[c], 15) < quota || round.number == 0);
                        }
                    }
                }
                for d in &round.elected {
                    if d.reason == Reason::Quota {
                        let quota = at(round.quota.as_ref().unwrap(), 15);
                        prop_assert!(at(&round.tally[d.candidate], 15) >= quota);
                    }
                }
            }
            prop_assert_eq!(out.elected.len(), seats.min(n));
        }
    }

    /// IRV: the winner has a majority of the continuing votes or is the last
    /// candidate left; and a new ballot ranking the winner first (then
    /// anything) never makes them lose.
    #[test]
    fn irv_winner_survives_an_added_first_preference(
        (n, ballots) in election(), tail in proptest::collection::vec(0usize..6, 0..4),
    ) {
        let lots = TieBreaker::new([3; 32]);
        let out = irv(&profile(n, &ballots), &lots).unwrap();
        let w = out.elected[0];
        let last = out.transcript.rounds.last().unwrap();
        let continuing: i128 = (0..n)
            .filter(|&c| matches!(last.status[c], Status::Hopeful | Status::Elected))
            .map(|c| at(&last.tally[c], 6))
            .sum();
        match last.elected[0].reason {
            Reason::Majority => prop_assert!(2 * at(&last.tally[w], 6) > continuing),
            Reason::LastRemaining => prop_assert_eq!(
                last.status.iter().filter(|s| **s == Status::Hopeful).count(), 0),
            other => prop_assert!(false, "unexpected reason {:?}", other),
        }
        let mut more = ballots.clone();
        let mut ranking = vec![w];
        for c in tail {
            if c < n && !ranking.contains(&c) {
                ranking.push(c);
            }
        }
        more.push((Weight::ONE, ranking));
        prop_assert_eq!(irv(&profile(n, &more), &lots).unwrap().elected, vec![w]);
    }

    /// A ballot of weight 2 counts exactly as two ballots of weight 1 (and
    /// 2.5 as 2 + 0.5), whatever the method.
    #[test]
    fn weight_is_multiplicity(
        (n, mut ballots) in election(), seats in 1usize..4, pick in any::<prop::sample::Index>(),
    ) {
        prop_assume!(!ballots.is_empty());
        let i = pick.index(ballots.len());
        let (w, r) = ballots[i].clone();
        prop_assume!(w.micros() >= 2_000_000);
        let lots = TieBreaker::new([4; 32]);
        let before = all_counts(n, &ballots, seats, &lots);
        ballots[i].0 = Weight::from_micros(1_000_000).unwrap();
        ballots.push((Weight::from_micros(w.micros() - 1_000_000).unwrap(), r));
        let after = all_counts(n, &ballots, seats, &lots);
        prop_assert_eq!(before, after);
    }

    /// Counting is a pure function: twice the same bytes, and the order of
    /// the ballots does not matter.
    #[test]
    fn counting_is_deterministic_and_order_independent(
        (n, ballots) in election(), seats in 1usize..4, rotate in any::<prop::sample::Index>(),
    ) {
        let lots = TieBreaker::new([5; 32]);
        let a = all_counts(n, &ballots, seats, &lots);
        let b = all_counts(n, &ballots, seats, &lots);
        let ja: Vec<String> = a.iter().map(|o| serde_json::to_string(&o.transcript).unwrap()).collect();
        let jb: Vec<String> = b.iter().map(|o| serde_json::to_string(&o.transcript).unwrap()).collect();
        prop_assert_eq!(&ja, &jb);
        let ta: Vec<String> = a.iter().map(|o| o.transcript.render_text()).collect();
        let tb: Vec<String> = b.iter().map(|o| o.transcript.render_text()).collect();
        prop_assert_eq!(ta, tb);
        let mut shuffled = ballots.clone();
        if !shuffled.is_empty() {
            let k = rotate.index(shuffled.len());
            shuffled.rotate_left(k);
            shuffled.reverse();
        }
        prop_assert_eq!(a, all_counts(n, &shuffled, seats, &lots));
    }

    /// The seed only matters when the transcript records a lot.
    #[test]
    fn seed_matters_only_through_recorded_lots(
        (n, ballots) in election(), seats in 1usize..4,
    ) {
        let a = all_counts(n, &ballots, seats, &TieBreaker::new([6; 32]));
        let b = all_counts(n, &ballots, seats, &TieBreaker::new([7; 32]));
        for (x, y) in a.iter().zip(&b) {
            let lots = x.transcript.rounds.iter().flat_map(|r| &r.ties).any(|t| t.rule == TieRule::Lots);
            if !lots {
                prop_assert_eq!(x, y);
            }
        }
    }

    /// Schulze elects the Condorcet winner when there is one; approval and
    /// cumulative winners have totals no lower than any loser.
    #[test]
    fn schulze_condorcet_and_totals_methods_are_consistent(
        (n, ballots) in election(),
    ) {
        let lots = TieBreaker::new([8; 32]);
        let out = schulze(&profile(n, &ballots), 1, &lots).unwrap();
        let pw = out.transcript.pairwise.as_ref().unwrap();
        let d = |a: usize, b: usize| at(&pw.preferences[a][b], 6);
        if let Some(cw) = (0..n).find(|&a| (0..n).all(|b| a == b || d(a, b) > d(b, a))) {
            prop_assert_eq!(out.elected.clone(), vec![cw]);
        }
        prop_assert_eq!(out.transcript.ranking.as_ref().unwrap().len(), n);
        for o in [
            approval(&approvals(n, &ballots), 2, &lots).unwrap(),
            cumulative(&scores(n, &ballots), 2, &lots).unwrap(),
        ] {
            let tally = &o.transcript.rounds[0].tally;
            let lowest_winner = o.elected.iter().map(|&c| at(&tally[c], 6)).min().unwrap();
            for c in (0..n).filter(|c| !o.elected.contains(c)) {
                prop_assert!(at(&tally[c], 6) <= lowest_winner);
            }
        }
    }

    /// COUNTING.md §11, every method: a round's `transfers` are its tally
    /// minus the previous round's tally (zero before round 0), candidate by
    /// candidate — also for a candidate whose votes drop to 0 when excluded.
    #[test]
    fn transfers_are_the_differences_of_consecutive_tallies(
        (n, ballots) in election(), seats in 1usize..4,
    ) {
        for out in all_counts(n, &ballots, seats, &TieBreaker::new([9; 32])) {
            let t = &out.transcript;
            let mut previous = vec![0i128; n];
            for round in &t.rounds {
                for (c, before) in previous.iter().enumerate() {
                    prop_assert_eq!(
                        at(&round.transfers[c], 15),
                        at(&round.tally[c], 15) - before,
                        "{} round {} candidate {}", t.method.name(), round.number, c
                    );
                }
                previous = round.tally.iter().map(|d| at(d, 15)).collect();
            }
        }
    }

    /// COUNTING.md §11: in every round of IRV, Scottish STV and Meek STV,
    /// Σ tally + exhausted (+ loss) = `total`. Approval, cumulative and
    /// Schulze have one round, where a ballot may count for several
    /// candidates: there `exhausted` is the weight of the ballots that count
    /// for nobody (always 0 for Schulze) and `total` the weight of all
    /// ballots counted.
    #[test]
    fn every_round_accounts_for_the_total(
        (n, ballots) in election(), seats in 1usize..4,
    ) {
        let valid = total_micros(&ballots);
        let all: i128 = ballots.iter().map(|(w, _)| i128::from(w.micros())).sum();
        for out in all_counts(n, &ballots, seats, &TieBreaker::new([10; 32])) {
            let t = &out.transcript;
            let name = t.method.name();
            for round in &t.rounds {
                let sum: i128 = round.tally.iter().map(|d| at(d, 15)).sum();
                let exhausted = at(&round.exhausted, 15);
                let loss = round.loss.as_ref().map_or(0, |d| at(d, 15));
                match t.method {
                    Method::Irv | Method::StvScottish | Method::StvMeek => {
                        prop_assert_eq!(at(&t.total, 15), valid * 1_000_000_000, "{} total", name);
                        prop_assert_eq!(sum + exhausted + loss, at(&t.total, 15), "{} round {}", name, round.number);
                    }
                    Method::Schulze => {
                        prop_assert_eq!(at(&t.total, 15), valid * 1_000_000_000);
                        prop_assert_eq!(exhausted, 0);
                    }
                    Method::Approval | Method::Cumulative => {
                        // Empty rankings give no approval and no points.
                        prop_assert_eq!(at(&t.total, 15), all * 1_000_000_000);
                        prop_assert_eq!(exhausted, (all - valid) * 1_000_000_000);
                    }
                }
            }
        }
    }

    /// COUNTING.md §11, every method: a candidate's final status is
    /// `elected` exactly when some round's `elected` lists them, `excluded`
    /// exactly when some round's `excluded` lists them; nobody is decided
    /// twice; `transcript.elected` is the rounds' `elected` lists in order.
    #[test]
    fn statuses_match_the_recorded_decisions(
        (n, ballots) in election(), seats in 1usize..4,
    ) {
        for out in all_counts(n, &ballots, seats, &TieBreaker::new([11; 32])) {
            let t = &out.transcript;
            let name = t.method.name();
            let elected: Vec<usize> = t.rounds.iter().flat_map(|r| &r.elected).map(|d| d.candidate).collect();
            let excluded: Vec<usize> = t.rounds.iter().flat_map(|r| &r.excluded).map(|d| d.candidate).collect();
            prop_assert_eq!(&elected, &t.elected, "{}", name);
            prop_assert_eq!(&elected, &out.elected, "{}", name);
            // `elected` and `excluded` are final.
            for pair in t.rounds.windows(2) {
                for c in 0..n {
                    if matches!(pair[0].status[c], Status::Elected | Status::Excluded) {
                        prop_assert_eq!(pair[1].status[c], pair[0].status[c], "{} candidate {}", name, c);
                    }
                }
            }
            let last = &t.rounds.last().unwrap().status;
            for (c, &status) in last.iter().enumerate() {
                let times = elected.iter().chain(&excluded).filter(|&&x| x == c).count();
                prop_assert!(times <= 1, "{} candidate {} decided {} times", name, c, times);
                prop_assert_eq!(status == Status::Elected, elected.contains(&c), "{} candidate {}", name, c);
                prop_assert_eq!(status == Status::Excluded, excluded.contains(&c), "{} candidate {}", name, c);
            }
        }
    }

    /// COUNTING.md §4: a tie's `tied` list is in candidate order, except
    /// for `surplus-order`, where it is in order of election; `order` is a
    /// permutation of `tied` beginning with `chosen`.
    #[test]
    fn tie_lists_are_in_the_stated_order(
        (n, ballots) in election(), seats in 1usize..4,
    ) {
        for out in all_counts(n, &ballots, seats, &TieBreaker::new([12; 32])) {
            let t = &out.transcript;
            for tie in t.rounds.iter().flat_map(|r| &r.ties) {
                let key = |c: &usize| match tie.purpose {
                    TiePurpose::SurplusOrder => t.elected.iter().position(|e| e == c).unwrap(),
                    _ => *c,
                };
                let keys: Vec<usize> = tie.tied.iter().map(key).collect();
                prop_assert!(keys.windows(2).all(|w| w[0] < w[1]), "{} {:?}", t.method.name(), tie);
                let mut sorted_order = tie.order.clone();
                sorted_order.sort_unstable();
                let mut sorted_tied = tie.tied.clone();
                sorted_tied.sort_unstable();
                prop_assert_eq!(sorted_order, sorted_tied);
                prop_assert_eq!(tie.order[0], tie.chosen);
            }
        }
    }
}

/// The strings of COUNTING.md §11.4, read from the document itself: for
/// each method (and Meek rule), the `rule` and the parameters in order.
struct Strings {
    rules: Vec<(String, String)>,
    parameters: Vec<(Vec<String>, String, Vec<String>)>,
}

fn ticked(cell: &str) -> Vec<String> {
    cell.split('`').skip(1).step_by(2).map(str::to_owned).collect()
}

fn documented_strings() -> Strings {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/COUNTING.md")).unwrap();
    let start = doc.find("### 11.4").unwrap();
    let end = doc[start..].find("### 11.5").unwrap() + start;
    let mut strings = Strings {
        rules: Vec::new(),
        parameters: Vec::new(),
    };
    for line in doc[start..end].lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").collect();
        match cells.as_slice() {
            [method, rule] => {
                let m = ticked(method);
                let key = if m.len() == 2 {
                    format!("{} {}", m[0], m[1])
                } else {
                    m[0].clone()
                };
                strings.rules.push((key, ticked(rule)[0].clone()));
            }
            [methods, name, value] => {
                strings
                    .parameters
                    .push((ticked(methods), ticked(name)[0].clone(), ticked(value)));
            }
            _ => panic!("unexpected row {line}"),
        }
    }
    strings
}

/// The documented parameters of `method` (`meek_rule` picks a Meek value).
fn documented_parameters(strings: &Strings, method: &str, meek_rule: &str) -> Vec<(String, String)> {
    strings
        .parameters
        .iter()
        .filter(|(m, _, _)| m[0] == method)
        .map(|(_, name, values)| {
            let value = match values.iter().position(|v| v == meek_rule) {
                Some(i) => values[i + 1].clone(),
                None => values[0].clone(),
            };
            (name.clone(), value)
        })
        .collect()
}

/// Whether `note` is one of the Meek notes of COUNTING.md §11.4.
fn is_meek_note(note: &str) -> bool {
    let figure = |s: &str| {
        let s = s.strip_prefix('-').unwrap_or(s);
        let (whole, frac) = s.split_once('.').unwrap_or(("", ""));
        !whole.is_empty()
            && whole.bytes().all(|b| b.is_ascii_digit())
            && frac.len() >= 9
            && frac.bytes().all(|b| b.is_ascii_digit())
    };
    if note == "more candidates reached the quota than seats remained" || note == "iteration limit of 10000 reached" {
        return true;
    }
    if let Some(rest) = note.strip_prefix("stable state: surplus ") {
        return rest
            .split_once(" not below the previous ")
            .is_some_and(|(s, l)| figure(s) && figure(l));
    }
    if let Some(s) = note.strip_prefix("defeat with stable surplus ") {
        return figure(s);
    }
    if let Some(rest) = note.strip_prefix("defeat with surplus ") {
        return [" < omega", " <= omega"]
            .iter()
            .any(|tail| rest.strip_suffix(tail).is_some_and(figure));
    }
    false
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    /// COUNTING.md §11.4: every free-text string of a transcript is one the
    /// document lists, parameters in the listed order.
    #[test]
    fn free_text_is_exactly_as_documented((n, ballots) in election(), seats in 1usize..4) {
        let strings = documented_strings();
        let rules = ["", "", "prf", "droop", "", "", ""];
        for (out, meek_rule) in all_counts(n, &ballots, seats, &TieBreaker::new([13; 32])).iter().zip(rules) {
            let t = &out.transcript;
            let method = t.method.name();
            let key = if meek_rule.is_empty() { method.to_owned() } else { format!("{method} {meek_rule}") };
            let rule = strings.rules.iter().find(|(k, _)| *k == key).map(|(_, r)| r.as_str());
            prop_assert_eq!(Some(t.rule.as_str()), rule, "{}", key);
            let mut expected = documented_parameters(&strings, method, meek_rule);
            for (name, value) in &mut expected {
                if value == "K" {
                    prop_assert_eq!(name.as_str(), "Points per voter");
                    *value = "5".to_owned();
                }
            }
            let mine: Vec<(String, String)> = t.parameters.iter().map(|p| (p.name.clone(), p.value.clone())).collect();
            prop_assert_eq!(mine, expected, "{}", key);
            for round in &t.rounds {
                match t.method {
                    Method::Schulze => prop_assert_eq!(
                        round.notes.clone(),
                        vec!["tally: number of candidates each candidate beats".to_owned()]
                    ),
                    Method::StvMeek => {
                        prop_assert!(round.notes.len() <= 2);
                        for note in &round.notes {
                            prop_assert!(is_meek_note(note), "{}", note);
                        }
                    }
                    _ => prop_assert!(round.notes.is_empty()),
                }
            }
        }
    }
}
