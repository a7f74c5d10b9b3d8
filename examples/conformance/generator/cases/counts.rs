//! `counts`: the record's figures against the log (FORMAT.md §8, §10).

use super::*;

pub(super) fn cases(s: &mut Suite, e: &Elections) {
    let el = &e.board;
    let section = "§8, §10 counts";
    let simple: Vec<(&str, &str, &str, u64, &str)> = vec![
        (
            "counts-eligible",
            "certified",
            "eligible",
            13,
            "counts.eligible is 13; polls_opened says 12.",
        ),
        (
            "counts-tokens-issued",
            "certified",
            "tokens_issued",
            11,
            "counts.tokens_issued lowered to 11; polls_closed pins 12.",
        ),
        (
            "counts-ballots",
            "certified",
            "ballots",
            9,
            "counts.ballots is 9; the log has 10 ballots.",
        ),
        (
            "counts-tokens-used",
            "certified",
            "tokens_used",
            9,
            "counts.tokens_used is 9; polls_closed says 10.",
        ),
        (
            "counts-tokens-used-open",
            "open",
            "tokens_used",
            7,
            "While open, counts.tokens_used must equal the sealed ballots (6).",
        ),
        (
            "counts-more-used-than-issued",
            "open",
            "tokens_issued",
            5,
            "5 tokens issued but 6 used.",
        ),
    ];
    for (id, state, field, value, what) in simple {
        let mut r = el.records[state].clone();
        r.v["counts"][field] = json!(value);
        let covers = if field == "tokens_issued" && state == "certified" {
            "tokens_issued count altered"
        } else {
            "the record's counts agree with the log"
        };
        s.verify(meta(id, "counts", section, covers, what), text(&r), vec![]);
    }
    let mut r = el.records["certified"].clone();
    let at = r.find("polls_opened", 0);
    r.log()[at]["data"]["eligible"] = json!(11);
    r.v["counts"]["eligible"] = json!(11);
    r.fix(&el.key, &el.certifiers);
    s.verify(
        meta(
            "counts-eligible-not-roll",
            "counts",
            section,
            "eligible not matching roll_imported",
            "polls_opened and counts say 11 eligible; the roll_imported entry says 12.",
        ),
        text(&r),
        vec![],
    );
    let mut r = el.records["certified"].clone();
    let at = r.find("roll_imported", 0);
    r.log()[at]["data"]["added"] = json!(10);
    r.fix(&el.key, &el.certifiers);
    s.verify(
        meta(
            "counts-roll-total",
            "counts",
            section,
            "roll_imported.total = previous total + added",
            "A roll import of 10 members that brings the roll to 12.",
        ),
        text(&r),
        vec![],
    );
    let mut r = el.records["certified"].clone();
    let at = r.find("polls_closed", 0);
    r.log()[at]["data"]["tokens_used"] = json!(9);
    r.v["counts"]["tokens_used"] = json!(9);
    r.fix(&el.key, &el.certifiers);
    s.verify(
        meta(
            "counts-closed-used-not-ballots",
            "counts",
            section,
            "tokens_used = ballots once closed",
            "polls_closed says 9 tokens used for 10 ballots.",
        ),
        text(&r),
        vec![],
    );
}
