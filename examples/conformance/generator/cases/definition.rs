//! `definition`: the frozen definition and the soundness rules of FORMAT.md §3.

use super::*;

pub(super) fn cases(s: &mut Suite, e: &Elections) {
    let el = &e.board;
    let mut r = el.records["certified"].clone();
    r.v["election"]["definition"]["contests"][0]["candidates"][1]["name"] = json!("Daniel Brookes");
    s.verify(
        meta(
            "definition-changed-after-opening",
            "definition",
            "§3, §10 definition",
            "the definition frozen at opening",
            "A candidate's name changed in the record; polls_opened still holds the frozen hash.",
        ),
        text(&r),
        vec![],
    );
    // Unsound definitions, made to look frozen: the logged hash follows them.
    let refreeze = |el: &Election, mut r: Record| {
        let hash = sha256_hex(&[&canonical(&r.v["election"]["definition"])]);
        let at = r.find("polls_opened", 0);
        r.log()[at]["data"]["definition_hash"] = json!(hash);
        r.fix(&el.key, &el.certifiers);
        r
    };
    let w = &e.weighted;
    let contest = |r: &Record, id: &str| {
        r.v["election"]["definition"]["contests"]
            .as_array()
            .and_then(|cs| cs.iter().position(|c| c["id"] == id))
            .unwrap_or_else(|| panic!("no contest {id}"))
    };
    let cases: Vec<(&str, &Election, &str, RecordChange, &str)> = vec![
        (
            "definition-irv-two-seats",
            w,
            "§3 rule 9",
            Box::new(move |r: &mut Record| {
                let i = contest(r, "chair");
                r.v["election"]["definition"]["contests"][i]["seats"] = json!(2);
            }),
            "An IRV contest with 2 seats, frozen as such.",
        ),
        (
            "definition-cumulative-points",
            w,
            "§3 rule 9",
            Box::new(move |r: &mut Record| {
                let i = contest(r, "shares");
                r.v["election"]["definition"]["contests"][i]["method"]["points"] = json!(101);
            }),
            "A cumulative contest with 101 points (1–100 allowed).",
        ),
        (
            "definition-approval-more-seats-than-candidates",
            w,
            "§3 rule 9",
            Box::new(move |r: &mut Record| {
                let i = contest(r, "panel");
                r.v["election"]["definition"]["contests"][i]["seats"] = json!(4);
            }),
            "An approval contest with 4 seats and 3 candidates.",
        ),
        (
            "definition-stv-more-seats-than-candidates",
            w,
            "§3 rule 9",
            Box::new(move |r: &mut Record| {
                let i = contest(r, "council");
                r.v["election"]["definition"]["contests"][i]["seats"] = json!(5);
            }),
            "A Scottish STV contest with 5 seats and 4 candidates.",
        ),
        (
            "definition-look-alike-candidates",
            el,
            "§3 rule 6, §4a",
            Box::new(|r: &mut Record| {
                r.v["election"]["definition"]["contests"][0]["candidates"][3]["name"] = json!("\u{0410}mara Okafor");
            }),
            "Two director candidates with the same name key (\"Amara Okafor\" and a Cyrillic А look-alike).",
        ),
        (
            "definition-referendum-threshold",
            el,
            "§3 rule 8",
            Box::new(|r: &mut Record| {
                r.v["election"]["definition"]["contests"][2]["method"]["threshold"]["numerator"] = json!(4);
            }),
            "A referendum threshold of 4/3.",
        ),
    ];
    for (id, election, section, change, what) in cases {
        let mut r = election.records["tallied"].clone();
        change(&mut r);
        let r = refreeze(election, r);
        s.verify(
            meta(
                id,
                "definition",
                section,
                "§3 soundness rules, every rule teller-audit enforces",
                what,
            ),
            text(&r),
            vec![],
        );
    }
    // A value outside an enumeration cannot be read at all: `format`.
    let mut r = w.records["tallied"].clone();
    let i = contest(&r, "chair");
    r.v["election"]["definition"]["contests"][i]["method"]["skipped_ranks"] = json!("ignore");
    let r = refreeze(w, r);
    s.verify(
        meta(
            "format-definition-skipped-ranks",
            "format",
            "§1 strict reading 6, §3",
            "§3: skipped_ranks is refuse or close-up",
            "An IRV contest whose skipped_ranks is neither refuse nor close-up, frozen as such.",
        )
        // The method object is a tagged union: the place is the object, and
        // the message names the value.
        .at(&format!("election.definition.contests[{i}].method"))
        .mentioning("ignore"),
        text(&r),
        vec![],
    );
    let mut r = el.records["draft"].clone();
    r.v["election"]["definition"]["title"] = json!("  ");
    s.verify(
        meta(
            "definition-draft-blank-title",
            "definition",
            "§3 rule 1",
            "§3 soundness rules",
            "A draft whose title is blank.",
        ),
        text(&r),
        vec![],
    );
}
