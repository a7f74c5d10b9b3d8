//! The three Dáil 2002 e-voting constituencies (PrefLib 00001). The official
//! count used the Irish rule, which moves whole papers chosen from the last
//! parcel received; these aggregated files cannot reproduce its intermediate
//! figures, but any sound STV count of them should elect the official TDs:
//!
//! * Dublin North (4): Trevor Sargent, Jim Glennon, G.V. Wright, Seán Ryan;
//! * Dublin West (3): Brian Lenihan, Joe Higgins, Joan Burton;
//! * Meath (5): John Bruton, Noel Dempsey, Johnny Brady, Mary Wallace,
//!   Damien English.
//!
//! IRV has no official counterpart (these were multi-seat contests); its
//! winner is pinned as a regression value and checked for what IRV
//! guarantees: a majority of the continuing votes in the last round.
#![allow(clippy::unwrap_used)]

#[path = "count_support.rs"]
mod support;

use support::{blt, soi};
use teller_audit::count::{irv, stv_meek, stv_scottish, MeekRule, Outcome, Reason, Status, TieBreaker};

const ELECTIONS: [(&str, usize, &[&str], &str); 3] = [
    (
        "00001-00000001",
        4,
        &[
            "G.V. Wright F.F.",
            "Jim Glennon F.F.",
            "Sean Ryan Lab",
            "Trevor Sargent G.P.",
        ],
        "Trevor Sargent G.P.",
    ),
    (
        "00001-00000002",
        3,
        &["Brian Lenihan F.F.", "Joan Burton Lab", "Joe Higgins S.P."],
        "Brian Lenihan F.F.",
    ),
    (
        "00001-00000003",
        5,
        &[
            "Damien English F.G.",
            "John Bruton F.G.",
            "Johnny Brady F.F.",
            "Mary Wallace F.F.",
            "Noel Dempsey F.F.",
        ],
        "Noel Dempsey F.F.",
    ),
];

fn sorted_names(candidates: &[String], out: &Outcome) -> Vec<String> {
    let mut names: Vec<String> = out.elected.iter().map(|&c| candidates[c].clone()).collect();
    names.sort();
    names
}

#[test]
fn stv_elects_the_official_tds_under_both_rules() {
    let lots = TieBreaker::new([0; 32]);
    for (file, seats, official, _) in ELECTIONS {
        let p = soi(&format!("preflib/irish/{file}.soi"));
        for (rule, out) in [
            ("scottish", stv_scottish(&p, seats, &lots).unwrap()),
            ("meek-prf", stv_meek(&p, seats, MeekRule::PrfReference, &lots).unwrap()),
            (
                "meek-droop",
                stv_meek(&p, seats, MeekRule::DroopParametric, &lots).unwrap(),
            ),
        ] {
            assert_eq!(sorted_names(&p.candidates, &out), official, "{file} {rule}");
            let lots_used = out.transcript.rounds.iter().any(|r| !r.ties.is_empty());
            assert!(!lots_used, "{file} {rule}: no tie should arise");
        }
    }
}

#[test]
fn irv_winner_has_a_majority_of_continuing_votes() {
    let lots = TieBreaker::new([0; 32]);
    for (file, _, official, irv_winner) in ELECTIONS {
        let p = soi(&format!("preflib/irish/{file}.soi"));
        let out = irv(&p, &lots).unwrap();
        let winner = out.elected[0];
        assert_eq!(p.candidates[winner], irv_winner, "{file}");
        assert!(official.contains(&irv_winner));
        let last = out.transcript.rounds.last().unwrap();
        assert_eq!(last.elected[0].reason, Reason::Majority);
        let continuing: i128 = (0..p.candidates.len())
            .filter(|&c| matches!(last.status[c], Status::Hopeful | Status::Elected))
            .map(|c| last.tally[c].units())
            .sum();
        assert!(2 * last.tally[winner].units() > continuing, "{file}");
    }
}

#[test]
fn blt_and_soi_copies_give_identical_transcripts() {
    let lots = TieBreaker::new([0; 32]);
    for (file, seats, _, _) in ELECTIONS {
        let a = soi(&format!("preflib/irish/{file}.soi"));
        let b = blt(&format!("preflib/irish-blt/{file}.blt"));
        assert_eq!(b.seats, Some(seats));
        assert_eq!(a.candidates, b.candidates);
        let ta = stv_scottish(&a, seats, &lots).unwrap();
        let tb = stv_scottish(&b, seats, &lots).unwrap();
        assert_eq!(ta, tb, "{file}");
        let ma = stv_meek(&a, seats, MeekRule::PrfReference, &lots).unwrap();
        let mb = stv_meek(&b, seats, MeekRule::PrfReference, &lots).unwrap();
        assert_eq!(ma, mb, "{file}");
    }
}
