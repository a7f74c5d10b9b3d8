//! Scottish STV against Droop's reference counts: the four Glasgow 2007
//! wards (whose figures match the officially published ones) and the
//! `scotland-fixed-p5-d5` test vectors, stage by stage to the fifth decimal.
//!
//! Two documented differences in presentation, not in result, are
//! normalised before comparing (see audit/COUNTING.md):
//! * Droop records a "transfer" of a zero surplus (a candidate elected with
//!   exactly the quota) as a stage; under rule 48 only a surplus that
//!   exceeds the quota is transferred, so Teller records no such stage. The
//!   test checks that each such Droop stage changes no figure and skips it.
//! * Candidates elected at the same stage with exactly equal votes are
//!   listed by Teller in the order its tie rule gives (the order their
//!   surpluses would be transferred); Droop lists them in an internal
//!   order. Such groups are compared as sets.
#![allow(clippy::unwrap_used)]

#[path = "count_support.rs"]
mod support;

use support::{action_subject, blt, droop_ties, parse_report, parse_tie, read, soi, RefAction};
use teller_audit::count::{stv_scottish, Action, Outcome, Reason, TiePurpose, TieRule};

fn index(names: &[String], name: &str) -> usize {
    names
        .iter()
        .position(|n| n == name)
        .unwrap_or_else(|| panic!("unknown candidate {name}"))
}

fn paren_value(text: &str) -> Option<&str> {
    let open = text.rfind(" (")?;
    text[open + 2..].strip_suffix(')')
}

/// Groups consecutive (stage, value) equal elections and sorts names within.
fn normalise(mut list: Vec<(usize, String, String)>) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut last: Option<(usize, String)> = None;
    for (stage, name, value) in list.drain(..) {
        let key = Some((stage, value));
        if key == last {
            if let Some(group) = out.last_mut() {
                group.push(name);
                group.sort();
            }
        } else {
            out.push(vec![name]);
            last = key;
        }
    }
    out
}

fn compare(outcome: &Outcome, report_rel: &str) {
    let t = &outcome.transcript;
    let names = &t.candidates;
    let r = parse_report(&read(report_rel));
    assert_eq!(t.quota.unwrap().to_string(), r.header["Quota"], "{report_rel}: quota");

    // Stages: Begin Count, then each transfer, skipping zero surpluses.
    let mut stages: Vec<(&str, &str, &RefAction)> = Vec::new();
    let mut elected_ref: Vec<(usize, String, String)> = Vec::new();
    let mut excluded_ref: Vec<(String, bool)> = Vec::new();
    let mut ties_ref: Vec<(TiePurpose, Vec<String>, String, bool)> = Vec::new();
    for (i, a) in r.actions.iter().enumerate() {
        let text = a.text.as_str();
        if text == "Begin Count" {
            stages.push(("begin", "", a));
        } else if text.starts_with("Surplus transferred: ") {
            let subject = action_subject(text);
            if paren_value(text) == Some("0.00000") {
                let prev = stages.last().unwrap().2;
                for c in &a.cands {
                    if let Some(v) = prev.value_of(&c.name) {
                        assert_eq!(v, c.value, "{report_rel}:{}: zero surplus moved votes", a.line);
                    }
                }
                continue;
            }
            stages.push(("surplus", subject, a));
        } else if text.starts_with("Transfer defeated: ") {
            stages.push(("exclusion", action_subject(text), a));
        } else if text.starts_with("Elect, transfer pending: ") || text.starts_with("Elect remaining candidates: ") {
            let name = action_subject(text).to_owned();
            let value = a.value_of(&name).unwrap().to_owned();
            elected_ref.push((stages.len() - 1, name, value));
        } else if text.starts_with("Defeat low candidate: ") {
            excluded_ref.push((action_subject(text).to_owned(), false));
        } else if text.starts_with("Defeat remaining candidates: ") {
            excluded_ref.push((action_subject(text).to_owned(), true));
        } else if let Some((kind, tied, chosen)) = parse_tie(text) {
            let purpose = if kind.contains("largest surplus") {
                // A tie over whose zero surplus goes first has no counterpart.
                let next_transfer = r.actions[i..]
                    .iter()
                    .find(|b| b.text.starts_with("Surplus transferred: "));
                if next_transfer.and_then(|b| paren_value(&b.text)) == Some("0.00000") {
                    continue;
                }
                TiePurpose::SurplusOrder
            } else {
                TiePurpose::Exclusion
            };
            ties_ref.push((purpose, tied, chosen, kind.contains("by lot")));
        }
    }

    assert_eq!(stages.len(), t.rounds.len(), "{report_rel}: number of stages");
    for (k, ((kind, subject, a), round)) in stages.iter().zip(&t.rounds).enumerate() {
        match (&round.action, *kind) {
            (Action::FirstPreferences, "begin") => {}
            (Action::Surplus { candidate, .. }, "surplus") | (Action::Exclusion { candidate }, "exclusion") => {
                assert_eq!(names[*candidate], *subject, "{report_rel}: stage {k}");
            }
            (action, kind) => panic!("{report_rel}: stage {k}: {action:?} vs {kind}"),
        }
        for c in &a.cands {
            let i = index(names, &c.name);
            assert_eq!(
                round.tally[i].to_string(),
                c.value,
                "{report_rel}:{}: stage {k}, {}",
                a.line,
                c.name
            );
        }
        if let Some(nt) = a.stats.get("Nontransferable votes") {
            assert_eq!(&round.exhausted.to_string(), nt, "{report_rel}: stage {k} exhausted");
        }
        if let Some(res) = a.stats.get("Residual") {
            assert_eq!(
                &round.loss.unwrap().to_string(),
                res,
                "{report_rel}: stage {k} rounding loss"
            );
        }
    }

    // Elected, in order (equal simultaneous winners as sets).
    let mut elected_mine = Vec::new();
    for round in &t.rounds {
        for d in &round.elected {
            elected_mine.push((
                round.number,
                names[d.candidate].clone(),
                round.tally[d.candidate].to_string(),
            ));
        }
    }
    let flat = |v: &[(usize, String, String)]| v.iter().map(|e| e.1.clone()).collect::<Vec<_>>();
    assert_eq!(
        flat(&elected_mine),
        t.elected_names(),
        "transcript order = result order"
    );
    assert_eq!(normalise(elected_mine), normalise(elected_ref), "{report_rel}: elected");

    // Excluded, in order.
    let excluded_mine: Vec<(String, bool)> = t
        .rounds
        .iter()
        .flat_map(|r| r.excluded.iter())
        .map(|d| (names[d.candidate].clone(), d.reason == Reason::SeatsFilled))
        .collect();
    assert_eq!(excluded_mine, excluded_ref, "{report_rel}: excluded");

    // Ties over exclusion and surplus order.
    let ties_mine: Vec<(TiePurpose, Vec<String>, String, bool)> = t
        .rounds
        .iter()
        .flat_map(|r| r.ties.iter())
        .filter(|tie| tie.purpose != TiePurpose::ElectionOrder)
        .map(|tie| {
            let mut tied: Vec<String> = tie.tied.iter().map(|&c| names[c].clone()).collect();
            tied.sort();
            let by_lot = !matches!(tie.rule, TieRule::PriorRound { .. });
            (tie.purpose, tied, names[tie.chosen].clone(), by_lot)
        })
        .collect();
    assert_eq!(ties_mine, ties_ref, "{report_rel}: ties");
}

fn check(stem: &str) {
    let p = blt(&format!("{stem}.blt"));
    let out = stv_scottish(&p, p.seats.unwrap(), &droop_ties(&p)).unwrap();
    compare(&out, &format!("{stem}.scotland-fixed-p5-d5.report.txt"));
}

#[test]
fn glasgow_anderston_city_matches_droop_stage_by_stage() {
    check("droop/glasgow2007/Anderston-City-2007");
}

#[test]
fn glasgow_calton_matches_droop_stage_by_stage() {
    check("droop/glasgow2007/Calton-2007");
}

#[test]
fn glasgow_drumchapel_anniesland_matches_droop_stage_by_stage() {
    check("droop/glasgow2007/Drumchapel-Anniesland-2007");
}

#[test]
fn glasgow_garscadden_scotstounhill_matches_droop_stage_by_stage() {
    check("droop/glasgow2007/Garscadden-Scotsounhill-2007");
}

#[test]
fn vector_42_matches_droop() {
    check("droop/vectors/42");
}

#[test]
fn vector_42t_with_tie_order_matches_droop() {
    check("droop/vectors/42t");
}

#[test]
fn vector_513_matches_droop() {
    check("droop/vectors/513");
}

#[test]
fn vector_sc_matches_droop() {
    check("droop/vectors/SC");
}

#[test]
fn vector_sc_vm_12_matches_droop() {
    check("droop/vectors/SC-Vm-12");
}

#[test]
fn weak_defeat_tie_is_broken_by_the_earlier_stage() {
    check("droop/vectors/weak-defeat");
    let p = blt("droop/vectors/weak-defeat.blt");
    let out = stv_scottish(&p, 2, &droop_ties(&p)).unwrap();
    let tie = &out.transcript.rounds[2].ties[0];
    assert_eq!(tie.rule, TieRule::PriorRound { round: 0 });
    assert_eq!(p.candidates[tie.chosen], "B");
}

#[test]
fn weak_surplus_matches_droop() {
    check("droop/vectors/weak-surplus");
}

/// The PrefLib copies of the Glasgow wards (same ballots, no seat count)
/// give the same count as the Droop BLT files.
#[test]
fn preflib_glasgow_files_count_like_the_blt_files() {
    for (soi_rel, blt_rel, seats) in [
        (
            "preflib/glasgow/00008-00000001.soi",
            "droop/glasgow2007/Anderston-City-2007.blt",
            4,
        ),
        (
            "preflib/glasgow/00008-00000003.soi",
            "droop/glasgow2007/Calton-2007.blt",
            3,
        ),
        (
            "preflib/glasgow/00008-00000006.soi",
            "droop/glasgow2007/Drumchapel-Anniesland-2007.blt",
            4,
        ),
        (
            "preflib/glasgow/00008-00000008.soi",
            "droop/glasgow2007/Garscadden-Scotsounhill-2007.blt",
            4,
        ),
    ] {
        let a = soi(soi_rel);
        let b = blt(blt_rel);
        assert_eq!(b.seats, Some(seats));
        let ta = stv_scottish(&a, seats, &droop_ties(&a)).unwrap().transcript;
        let tb = stv_scottish(&b, seats, &droop_ties(&b)).unwrap().transcript;
        // Same numbering; the spelling of one name differs ("Mackay").
        assert_eq!(ta.elected, tb.elected, "{soi_rel}");
        assert_eq!(ta.rounds.len(), tb.rounds.len(), "{soi_rel}");
        for (ra, rb) in ta.rounds.iter().zip(&tb.rounds) {
            assert_eq!(ra.tally, rb.tally, "{soi_rel}: round {}", ra.number);
        }
    }
}
