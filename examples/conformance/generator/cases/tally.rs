//! `tally`: the lot seed, the digest, and the recount — ties and lots in
//! every method, weights, write-ins (FORMAT.md §9, COUNTING.md).

use super::*;

/// Reverse the order of the `nth` tie decided by lots (of `purpose`, if
/// given) in a contest's result, as if the lots had fallen the other way.
fn reverse_lots(r: &mut Record, contest: &str, purpose: Option<&str>, nth: usize) {
    let contests = r.v["tally"]["contests"].as_array_mut().expect("a tally");
    let c = contests
        .iter_mut()
        .find(|c| c["contest"] == contest)
        .unwrap_or_else(|| panic!("no contest {contest}"));
    let outcome = &mut c["outcome"];
    if outcome["method"] == "plurality" {
        let tie = &mut outcome["ties"][0];
        assert_eq!(
            tie["resolved_by"], "lots",
            "{contest}: the plurality tie was not broken by lots"
        );
        let order = tie["order"].as_array_mut().expect("order");
        order.reverse();
        let first = order[0].clone();
        outcome["elected"] = json!([first]);
        return;
    }
    let mut seen = 0;
    for round in outcome["transcript"]["rounds"].as_array_mut().into_iter().flatten() {
        for tie in round["ties"].as_array_mut().into_iter().flatten() {
            let lots = render(&tie["rule"]).contains("lots");
            if lots && purpose.is_none_or(|p| tie["purpose"] == p) {
                seen += 1;
                if seen <= nth {
                    continue;
                }
                let order = tie["order"].as_array_mut().expect("order");
                order.reverse();
                tie["chosen"] = order[0].clone();
                return;
            }
        }
    }
    panic!("{contest}: no tie broken by lots ({purpose:?}) in the transcript");
}

pub(super) fn cases(s: &mut Suite, e: &Elections) {
    let t = &e.ties;
    #[rustfmt::skip]
    let lots: [(&str, &str, Option<&str>, usize, &str); 11] = [
        ("tally-lots-plurality", "plur", None, 0, "plurality: the lot order of a tie for the seat"),
        ("tally-lots-irv-exclusion", "runoff", Some("exclusion"), 0, "IRV: who is excluded from a tie in round 0"),
        ("tally-lots-scottish-election-order", "council", Some("election-order"), 0, "Scottish STV: the order of two candidates elected together"),
        ("tally-lots-scottish-election-order-second-group", "pairs", Some("election-order"), 1, "Scottish STV: the order within the second of two groups elected in one round (election-order/k restarts at 1)"),
        ("tally-lots-scottish-surplus-order", "pairs", Some("surplus-order"), 0, "Scottish STV: whose equal surplus is transferred first"),
        ("tally-lots-scottish-exclusion", "council", Some("exclusion"), 0, "Scottish STV: who is excluded from a three-way tie"),
        ("tally-lots-scottish-exclusion-equal-throughout", "pairs", Some("exclusion"), 0, "Scottish STV: who is excluded when two candidates were equal in every round"),
        ("tally-lots-approval-seat", "panel", Some("seat"), 0, "approval: who takes the last seat"),
        ("tally-lots-cumulative-seat", "points", Some("seat"), 0, "cumulative: who takes the seat"),
        ("tally-lots-schulze-seat", "order", Some("seat"), 0, "Schulze: the order within a group of equal candidates across the seat boundary"),
        ("tally-lots-schulze-ranking", "rank", Some("ranking"), 0, "Schulze: the order within a group of equal candidates below the seats"),
    ];
    for (id, contest, purpose, nth, what) in lots {
        let mut r = t.records["tallied"].clone();
        reverse_lots(&mut r, contest, purpose, nth);
        r.fix(&t.key, &t.certifiers);
        s.verify(
            meta(id, "tally", "§9.1; COUNTING.md §4", "ties and lots", &format!("{what}: the published tally says the lots fell the other way (digest logged, chain and checkpoints redone).")),
            text(&r),
            vec![],
        );
    }
    let mut r = t.records["tallied"].clone();
    let duo = r.v["tally"]["contests"]
        .as_array()
        .and_then(|cs| cs.iter().position(|c| c["contest"] == "duo"))
        .expect("the duo contest");
    r.v["tally"]["contests"][duo]["outcome"]["elected"]
        .as_array_mut()
        .expect("elected")
        .reverse();
    r.fix(&t.key, &t.certifiers);
    s.verify(
        meta(
            "tally-plurality-group-order",
            "tally",
            "§9.2",
            "the order of plurality winners inside a group that fits",
            "Two plurality winners with equal votes, who fill both seats together, listed in the other order.",
        ),
        text(&r),
        vec![],
    );
    let el = &e.board;
    let mut r = el.records["tallied"].clone();
    let at = r.find("tallied", 0);
    r.log()[at]["data"]["lot_seed"] = json!("0".repeat(64));
    r.fix(&el.key, &el.certifiers);
    s.verify(
        meta(
            "tally-lot-seed",
            "tally",
            "§9.1",
            "the revealed seed matches its commitment",
            "tallied reveals a lot seed that does not hash to polls_opened's commitment.",
        ),
        text(&r),
        vec![],
    );
    let mut r = el.records["tallied"].clone();
    r.v["tally"]["contests"][0]["outcome"]["candidates"][0]["votes"] = json!("9");
    s.verify(
        meta(
            "tally-digest",
            "tally",
            "§9",
            "the tally hashes to the logged digest",
            "A vote figure changed in the tally; the logged digest left.",
        ),
        text(&r),
        vec![],
    );
    let board_changes: Vec<(&str, &str, &str, Change)> = vec![
        (
            "tally-plurality-votes",
            "§9.2",
            "A director's votes raised by one, digest logged again.",
            Box::new(|t| {
                t["contests"][0]["outcome"]["candidates"][0]["votes"] = json!("9");
            }),
        ),
        (
            "tally-write-ins-split",
            "§9.2, §4a",
            "two spellings merged in the count: the tally lists the look-alike write-in spellings apart",
            Box::new(|t| {
                let w = &mut t["contests"][1]["outcome"]["write_ins"];
                let first = w[0].clone();
                w[0]["votes"] = json!("2");
                let mut other = first;
                other["id"] = json!("write-in:JO BLOGGS");
                other["name"] = json!("JO BLOGGS");
                other["votes"] = json!("2");
                w.as_array_mut().expect("write-ins").push(other);
            }),
        ),
        (
            "tally-referendum-passed",
            "§9.3",
            "The amendment marked as failed.",
            Box::new(|t| {
                t["contests"][2]["outcome"]["passed"] = json!(false);
            }),
        ),
        (
            "tally-majority",
            "§9.2",
            "majority_over altered.",
            Box::new(|t| {
                t["contests"][1]["outcome"]["majority_over"] = json!("5");
            }),
        ),
    ];
    for (id, section, what, change) in board_changes {
        let mut r = el.records["certified"].clone();
        change(&mut r.v["tally"]);
        r.fix(&el.key, &el.certifiers);
        s.verify(
            meta(
                id,
                "tally",
                section,
                "the recount equals the published tally",
                &format!("{what} (digest logged, certifications re-signed, chain and checkpoints redone)."),
            ),
            text(&r),
            vec![],
        );
    }
    let w = &e.weighted;
    let contest_index = |r: &Record, id: &str| {
        r.v["tally"]["contests"]
            .as_array()
            .and_then(|cs| cs.iter().position(|c| c["contest"] == id))
            .unwrap_or_else(|| panic!("no contest {id}"))
    };
    let weighted_changes: Vec<(&str, &str, &str, &str, Change)> = vec![
        (
            "tally-weight-total",
            "",
            "§9",
            "The tally's total weight altered.",
            Box::new(|t: &mut Value| t["weight"] = json!("11")),
        ),
        (
            "tally-weight-cast",
            "chair",
            "§9, §4 weight",
            "A contest's cast_weight counted as if every ballot weighed 1.",
            Box::new(|c| c["cast_weight"] = json!("8")),
        ),
        (
            "tally-meek-completion",
            "board",
            "COUNTING.md §7, §11",
            "The Meek count's last round: exhausted copied from the round before.",
            Box::new(|c| {
                let rounds = c["outcome"]["transcript"]["rounds"].as_array_mut().expect("rounds");
                let n = rounds.len();
                let before = rounds[n - 2]["exhausted"].clone();
                let last = &mut rounds[n - 1]["exhausted"];
                *last = if *last == before { json!("0.000000001") } else { before };
            }),
        ),
        (
            "tally-scottish-elected-order",
            "council",
            "COUNTING.md §6",
            "Scottish STV winners listed in the other order.",
            Box::new(|c| {
                c["outcome"]["elected"].as_array_mut().expect("elected").reverse();
            }),
        ),
        (
            "tally-irv-transfer",
            "chair",
            "COUNTING.md §5",
            "An IRV round's exhausted figure altered.",
            Box::new(|c| {
                c["outcome"]["transcript"]["rounds"][1]["exhausted"] = json!("0.5");
            }),
        ),
        (
            "tally-schulze-matrix",
            "motto",
            "COUNTING.md §9",
            "A Schulze pairwise preference altered.",
            Box::new(|c| {
                c["outcome"]["transcript"]["pairwise"]["preferences"][0][1] = json!("100");
            }),
        ),
        (
            "tally-approval-figure",
            "panel",
            "COUNTING.md §8",
            "An approval total altered.",
            Box::new(|c| {
                c["outcome"]["transcript"]["rounds"][0]["tally"][0] = json!("100");
            }),
        ),
        (
            "tally-meek-excluded-transfer",
            "board",
            "COUNTING.md §7, §11.2",
            "Version 1's Meek finding: the round after an exclusion shows the excluded candidate's transfer as 0.",
            Box::new(|c| {
                let rounds = c["outcome"]["transcript"]["rounds"].as_array_mut().expect("rounds");
                // The first round whose transfers hold a candidate losing
                // votes it does not keep (its tally is now 0).
                let round = rounds
                    .iter_mut()
                    .skip(1)
                    .find(|r| {
                        let (t, x) = (&r["tally"], &r["transfers"]);
                        (0..t.as_array().map_or(0, Vec::len)).any(|i| {
                            t[i].as_str()
                                .is_some_and(|v| v.trim_start_matches(['0', '.']).is_empty())
                                && x[i].as_str().is_some_and(|v| v.starts_with('-'))
                        })
                    })
                    .expect("a Meek round after an exclusion");
                let t = round["tally"].clone();
                for (i, x) in round["transfers"]
                    .as_array_mut()
                    .expect("transfers")
                    .iter_mut()
                    .enumerate()
                {
                    if t[i]
                        .as_str()
                        .is_some_and(|v| v.trim_start_matches(['0', '.']).is_empty())
                        && x.as_str().is_some_and(|v| v.starts_with('-'))
                    {
                        *x = json!("0.000000000");
                    }
                }
            }),
        ),
        (
            "tally-approval-losers-not-listed",
            "panel",
            "COUNTING.md §8, §11.2",
            "Version 1's convention: approval losers have status excluded but the excluded list is empty.",
            Box::new(|c| {
                c["outcome"]["transcript"]["rounds"][0]["excluded"] = json!([]);
            }),
        ),
        (
            "tally-free-text-rule",
            "chair",
            "COUNTING.md §11.4",
            "The transcript's free text (its rule, in words) altered: free text is specified exactly and hashed.",
            Box::new(|c| {
                let rule = c["outcome"]["transcript"]["rule"].as_str().expect("rule").to_string();
                c["outcome"]["transcript"]["rule"] = json!(format!("{rule}."));
            }),
        ),
        (
            "tally-cumulative-figure",
            "shares",
            "COUNTING.md §10",
            "A cumulative total altered.",
            Box::new(|c| {
                c["outcome"]["transcript"]["rounds"][0]["tally"][1] = json!("100");
            }),
        ),
    ];
    for (id, contest, section, what, change) in weighted_changes {
        let mut r = w.records["tallied"].clone();
        if contest.is_empty() {
            change(&mut r.v["tally"]);
        } else {
            let i = contest_index(&r, contest);
            change(&mut r.v["tally"]["contests"][i]);
        }
        r.fix(&w.key, &w.certifiers);
        s.verify(
            meta(
                id,
                "tally",
                section,
                "weights; every counting method",
                &format!("{what} (digest logged, chain and checkpoints redone)."),
            ),
            text(&r),
            vec![],
        );
    }
}
