//! Each method on small hand-checked elections: the textbook results, the
//! tie rules (earlier rounds, explicit order, lots) and how the transcript
//! records them, withdrawn candidates and fractional weights.
#![allow(clippy::unwrap_used)]

use teller_audit::count::{
    approval, cumulative, irv, lot_key, schulze, stv_meek, stv_scottish, Action, ApprovalBallots, MeekRule, Profile,
    RankedBallots, Reason, ScoreBallots, Status, TieBreaker, TiePurpose, TieRule, Weight,
};

fn w(votes: u64) -> Weight {
    Weight::from_votes(votes).unwrap()
}

/// Ballots written as (count, "ABC") with candidates named by letters.
fn ranked(n: usize, ballots: &[(u64, &str)]) -> Profile<RankedBallots> {
    let names = (0..n).map(|i| ((b'A' + i as u8) as char).to_string()).collect();
    let rankings: Vec<(Weight, Vec<usize>)> = ballots
        .iter()
        .map(|(k, r)| (w(*k), r.bytes().map(|b| usize::from(b - b'A')).collect()))
        .collect();
    let b = RankedBallots::from_rankings(n, rankings.iter().map(|(w, r)| (*w, r.as_slice()))).unwrap();
    Profile::new(names, b)
}

fn zero_seed() -> TieBreaker {
    TieBreaker::new([0; 32])
}

#[test]
fn schulze_reproduces_the_textbook_example() {
    // The 45-voter example of Schulze's paper (also on Wikipedia):
    // winner E, ranking E > A > C > B > D.
    let p = ranked(
        5,
        &[
            (5, "ACBED"),
            (5, "ADECB"),
            (8, "BEDAC"),
            (3, "CABED"),
            (7, "CAEBD"),
            (2, "CBADE"),
            (7, "DCEBA"),
            (8, "EBADC"),
        ],
    );
    let out = schulze(&p, 1, &zero_seed()).unwrap();
    assert_eq!(out.elected, vec![4]);
    assert_eq!(out.transcript.ranking, Some(vec![4, 0, 2, 1, 3]));
    let pw = out.transcript.pairwise.unwrap();
    assert_eq!(pw.preferences[0][1].to_string(), "20"); // A over B
    assert_eq!(pw.preferences[1][0].to_string(), "25");
    assert_eq!(pw.strongest_paths[4][0].to_string(), "25"); // E to A
    assert_eq!(pw.strongest_paths[0][4].to_string(), "24");
    assert!(out.transcript.rounds[0].ties.is_empty());
}

#[test]
fn irv_transfers_until_a_majority() {
    // A 8, B 7, C 5 (C's voters prefer B): B wins 12 to 8 after C goes.
    let p = ranked(3, &[(8, "A"), (7, "BA"), (5, "CB")]);
    let out = irv(&p, &zero_seed()).unwrap();
    assert_eq!(out.elected, vec![1]);
    let r = &out.transcript.rounds;
    assert_eq!(r.len(), 2);
    assert_eq!(r[1].action, Action::Exclusion { candidate: 2 });
    assert_eq!(r[1].tally[1].to_string(), "12");
    assert_eq!(r[1].transfers[1].to_string(), "5");
    assert_eq!(r[1].elected[0].reason, Reason::Majority);
}

#[test]
fn irv_exclusion_tie_goes_to_the_earlier_round() {
    // Round 0: A 6, B 3, C 4, D 2. D goes to B: B 5, C 4... then C is lowest.
    // Make B and C tie in round 1 (B 3+1=4, C 4): B was lower in round 0.
    let p = ranked(4, &[(6, "A"), (3, "B"), (4, "C"), (1, "DB"), (1, "D")]);
    let out = irv(&p, &zero_seed()).unwrap();
    let r = &out.transcript.rounds;
    assert_eq!(r[2].action, Action::Exclusion { candidate: 1 });
    let tie = &r[2].ties[0];
    assert_eq!(tie.purpose, TiePurpose::Exclusion);
    assert_eq!(tie.rule, TieRule::PriorRound { round: 0 });
    assert_eq!((tie.chosen, tie.tied.clone()), (1, vec![1, 2]));
}

#[test]
fn lots_follow_the_documented_hash_and_are_recorded() {
    // B and C tie at every round: lots decide whom to exclude.
    let p = ranked(3, &[(4, "A"), (2, "B"), (2, "C")]);
    let seed = [9u8; 32];
    let out = irv(&p, &TieBreaker::new(seed)).unwrap();
    let tie = out.transcript.rounds[1].ties[0].clone();
    assert_eq!(tie.rule, TieRule::Lots);
    let k1 = lot_key(&seed, "irv/round 1/exclude", 1);
    let k2 = lot_key(&seed, "irv/round 1/exclude", 2);
    let expected = if k1 < k2 { 1 } else { 2 };
    assert_eq!(tie.chosen, expected);
    assert!(out.transcript.render_text().contains("BY LOT"));
    // An explicit order overrides lots.
    let ordered = TieBreaker::new(seed).with_order(vec![2, 1, 0]);
    let out = irv(&p, &ordered).unwrap();
    let tie = out.transcript.rounds[1].ties[0].clone();
    assert_eq!((tie.chosen, tie.rule), (2, TieRule::ExplicitOrder));
}

#[test]
fn withdrawn_candidates_are_skipped_on_every_ballot() {
    let mut p = ranked(3, &[(4, "AB"), (3, "BA"), (2, "CB")]);
    p.withdrawn = vec![1];
    let out = stv_scottish(&p, 1, &zero_seed()).unwrap();
    let r0 = &out.transcript.rounds[0];
    assert_eq!(r0.status[1], Status::Withdrawn);
    assert_eq!(r0.tally[1].to_string(), "0.00000");
    // B's voters go on to A: A 7 of 9, quota 5.
    assert_eq!(r0.tally[0].to_string(), "7.00000");
    assert_eq!(out.elected, vec![0]);
    let irv_out = irv(&p, &zero_seed()).unwrap();
    assert_eq!(irv_out.elected, vec![0]);
}

#[test]
fn scottish_fractional_weights_are_exact() {
    // 2.5 + 0.5 papers: totals stay exact beyond 5 places when weights are
    // fractional; the quota uses the valid weight.
    let names = vec!["A".into(), "B".into(), "C".into()];
    let b = RankedBallots::from_rankings(
        3,
        [
            (Weight::parse("2.5").unwrap(), &[0usize, 1][..]),
            (Weight::parse("0.5").unwrap(), &[1][..]),
            (Weight::parse("1").unwrap(), &[2][..]),
        ],
    )
    .unwrap();
    let p = Profile::new(names, b);
    let out = stv_scottish(&p, 1, &zero_seed()).unwrap();
    let t = &out.transcript;
    assert_eq!(t.total.to_string(), "4");
    assert_eq!(t.quota.unwrap().to_string(), "3.00000");
    assert_eq!(t.rounds[0].tally[0].to_string(), "2.50000");
    assert_eq!(out.elected, vec![0]);
}

#[test]
fn scottish_surplus_uses_truncated_transfer_values() {
    // 7 A>B, quota for 2 seats of 10 is 4: surplus 3, value 3/7 = 0.42857.
    let p = ranked(3, &[(7, "AB"), (2, "C"), (1, "B")]);
    let out = stv_scottish(&p, 2, &zero_seed()).unwrap();
    let r1 = &out.transcript.rounds[1];
    assert!(matches!(r1.action, Action::Surplus { candidate: 0, .. }));
    assert_eq!(r1.tally[1].to_string(), "3.99999"); // 1 + 7 × 0.42857
    assert_eq!(r1.loss.unwrap().to_string(), "0.00001");
    assert_eq!(r1.tally[0].to_string(), "4.00000");
}

#[test]
fn meek_elects_by_quota_and_records_iterations() {
    let p = ranked(3, &[(9, "AB"), (10, "B"), (11, "C"), (12, "C")]);
    let out = stv_meek(&p, 2, MeekRule::PrfReference, &zero_seed()).unwrap();
    let mut names = out.elected.clone();
    names.sort();
    assert_eq!(names, vec![1, 2]);
    assert!(out
        .transcript
        .rounds
        .iter()
        .any(|r| matches!(r.action, Action::Iteration { iterations, .. } if iterations >= 1)));
}

#[test]
fn approval_fills_seats_by_totals_and_draws_lots_at_the_boundary() {
    let b = ApprovalBallots::from_approvals(
        4,
        [
            (w(3), &[0usize, 1][..]),
            (w(2), &[2][..]),
            (w(2), &[3][..]),
            (Weight::parse("0.5").unwrap(), &[][..]),
        ],
    )
    .unwrap();
    let p = Profile::new(vec!["A".into(), "B".into(), "C".into(), "D".into()], b);
    let out = approval(&p, 3, &zero_seed()).unwrap();
    assert_eq!(&out.elected[..2], &[0, 1]);
    let tie = &out.transcript.rounds[0].ties[0];
    assert_eq!(tie.purpose, TiePurpose::Seat);
    assert_eq!(tie.tied, vec![2, 3]);
    assert_eq!(out.elected[2], tie.chosen);
    assert_eq!(out.transcript.rounds[0].exhausted.to_string(), "0.5");
    let ordered = approval(&p, 3, &zero_seed().with_order(vec![3, 2])).unwrap();
    assert_eq!(ordered.elected, vec![0, 1, 3]);
}

#[test]
fn cumulative_totals_are_points_times_weight() {
    let mut b = ScoreBallots::new(3, 4).unwrap();
    b.push(w(2), &[(0, 4)]).unwrap();
    b.push(w(3), &[(1, 2), (2, 2)]).unwrap();
    b.push(Weight::parse("1.5").unwrap(), &[(2, 3), (0, 1)]).unwrap();
    let p = Profile::new(vec!["A".into(), "B".into(), "C".into()], b);
    let out = cumulative(&p, 1, &zero_seed()).unwrap();
    let tally: Vec<String> = out.transcript.rounds[0].tally.iter().map(ToString::to_string).collect();
    assert_eq!(tally, ["9.5", "6", "10.5"]);
    assert_eq!(out.elected, vec![2]);
}

#[test]
fn more_seats_than_candidates_elects_everyone() {
    let p = ranked(2, &[(3, "A"), (1, "B")]);
    for out in [
        stv_scottish(&p, 3, &zero_seed()).unwrap(),
        stv_meek(&p, 3, MeekRule::DroopParametric, &zero_seed()).unwrap(),
    ] {
        let mut e = out.elected.clone();
        e.sort();
        assert_eq!(e, vec![0, 1]);
    }
}

#[test]
fn no_ballots_still_gives_a_complete_transcript() {
    let p = ranked(3, &[]);
    let scottish = stv_scottish(&p, 2, &zero_seed()).unwrap();
    assert_eq!(scottish.elected.len(), 2);
    let meek = stv_meek(&p, 2, MeekRule::PrfReference, &zero_seed()).unwrap();
    assert_eq!(meek.elected.len(), 2);
    assert_eq!(irv(&p, &zero_seed()).unwrap().elected.len(), 1);
    assert_eq!(schulze(&p, 1, &zero_seed()).unwrap().elected.len(), 1);
}

#[test]
fn bad_arguments_are_refused() {
    use teller_audit::count::CountError;
    let p = ranked(2, &[(1, "A")]);
    assert_eq!(stv_scottish(&p, 0, &zero_seed()).unwrap_err(), CountError::NoSeats);
    let mut q = p.clone();
    q.candidates.pop();
    assert_eq!(
        stv_meek(&q, 1, MeekRule::PrfReference, &zero_seed()).unwrap_err(),
        CountError::CandidateMismatch { ballots: 2, names: 1 }
    );
    let mut r = p.clone();
    r.withdrawn = vec![5];
    assert_eq!(irv(&r, &zero_seed()).unwrap_err(), CountError::UnknownWithdrawn(5));
}

/// COUNTING.md §4: candidates elected together with equal totals are put
/// in order by picks numbered k = 1, 2, … within each group of equal
/// totals, k starting again at 1 for the next group; the context is
/// `stv-scottish/round r/election-order/k` with r the round just ended.
#[test]
fn scottish_election_order_lots_number_picks_within_each_group() {
    // Quota ⌊37 / 5⌋ + 1 = 8: A and B (10) and C and D (8) are all elected
    // in round 0, with no earlier round to separate them.
    let p = ranked(5, &[(10, "A"), (10, "B"), (8, "C"), (8, "D"), (1, "E")]);
    let drawn = |seed: &[u8; 32], k: u32, pair: [usize; 2]| {
        let context = format!("stv-scottish/round 0/election-order/{k}");
        let mut order = pair.to_vec();
        order.sort_by_key(|&c| lot_key(seed, &context, c));
        order
    };
    // A seed under which numbering the second group's pick 1 or 3 (its
    // position in the round) would order C and D differently.
    let seed = (0u8..=255)
        .map(|b| [b; 32])
        .find(|s| drawn(s, 1, [2, 3]) != drawn(s, 3, [2, 3]))
        .unwrap();
    let out = stv_scottish(&p, 4, &TieBreaker::new(seed)).unwrap();
    let round = &out.transcript.rounds[0];
    assert_eq!(round.ties.len(), 2);
    for (tie, pair) in round.ties.iter().zip([[0, 1], [2, 3]]) {
        assert_eq!(tie.purpose, TiePurpose::ElectionOrder);
        assert_eq!(tie.rule, TieRule::Lots);
        assert_eq!(tie.tied, pair.to_vec());
        assert_eq!(tie.order, drawn(&seed, 1, pair));
    }
    let mut expected = drawn(&seed, 1, [0, 1]);
    expected.extend(drawn(&seed, 1, [2, 3]));
    assert_eq!(out.elected, expected);
}

/// COUNTING.md §8, §9: in approval, cumulative and Schulze every eligible
/// candidate not elected is excluded, for `seats-filled`, in candidate order.
#[test]
fn single_round_methods_exclude_the_losers_for_seats_filled() {
    let p = ranked(4, &[(3, "CA"), (2, "B"), (1, "D")]);
    let b = ApprovalBallots::from_approvals(4, [(w(3), &[2usize, 0][..]), (w(2), &[1][..]), (w(1), &[3][..])]).unwrap();
    let a = Profile::new(p.candidates.clone(), b);
    for out in [
        schulze(&p, 2, &zero_seed()).unwrap(),
        approval(&a, 2, &zero_seed()).unwrap(),
    ] {
        let round = &out.transcript.rounds[0];
        let excluded: Vec<(usize, Reason)> = round.excluded.iter().map(|d| (d.candidate, d.reason)).collect();
        let mut losers: Vec<usize> = (0..4).filter(|c| !out.elected.contains(c)).collect();
        losers.sort_unstable();
        assert_eq!(
            excluded,
            losers.iter().map(|&c| (c, Reason::SeatsFilled)).collect::<Vec<_>>()
        );
        for &c in &losers {
            assert_eq!(round.status[c], Status::Excluded);
        }
    }
}

/// COUNTING.md §9: a group of candidates equal under Schulze is a `seat`
/// tie when it straddles the last seat, otherwise a `ranking` tie; its lots
/// use the context `schulze/rank k`, k the rank of its first place; the
/// tally counts the candidates each one beats.
#[test]
fn schulze_ties_are_seat_or_ranking_by_the_seat_boundary() {
    let p = ranked(3, &[]);
    let one = schulze(&p, 1, &zero_seed()).unwrap();
    let tie = &one.transcript.rounds[0].ties[0];
    assert_eq!((tie.purpose, tie.rule.clone()), (TiePurpose::Seat, TieRule::Lots));
    let mut order = vec![0, 1, 2];
    order.sort_by_key(|&c| lot_key(&[0; 32], "schulze/rank 1", c));
    assert_eq!(tie.order, order);
    let all = schulze(&p, 3, &zero_seed()).unwrap();
    assert_eq!(all.transcript.rounds[0].ties[0].purpose, TiePurpose::Ranking);
    // A beats B and C; B beats C.
    let q = ranked(3, &[(3, "ABC")]);
    let out = schulze(&q, 2, &zero_seed()).unwrap();
    let tally: Vec<String> = out.transcript.rounds[0].tally.iter().map(ToString::to_string).collect();
    assert_eq!(tally, ["2", "1", "0"]);
}
