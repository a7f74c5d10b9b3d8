//! The published ballots: `ballot-tracker`, `ballot-order`,
//! `ballots-match-log`, `ballot-validity` (FORMAT.md §4) and
//! `ballots-published` (§8).

use super::*;

pub(super) fn cases(s: &mut Suite, e: &Elections) {
    let el = &e.board;
    let tallied = || el.records["tallied"].clone();
    let yes = |r: &Record| {
        r.v["ballots"]
            .as_array()
            .and_then(|bs| {
                bs.iter()
                    .position(|b| b["choices"]["bylaw-amendment-7"] == json!(["yes"]))
            })
            .expect("a yes ballot")
    };

    let mut r = tallied();
    let i = yes(&r);
    r.ballots()[i]["choices"]["bylaw-amendment-7"] = json!(["no"]);
    s.verify(
        meta(
            "ballot-tracker-choices-changed",
            "ballot-tracker",
            "§4",
            "published ballot altered",
            "A published ballot's yes turned into no, its tracker left.",
        ),
        text(&r),
        vec![],
    );
    let mut r = tallied();
    r.ballots()[0]["weight"] = json!("2");
    s.verify(
        meta(
            "ballot-tracker-weight-changed",
            "ballot-tracker",
            "§4",
            "weights are in the tracker",
            "A published ballot's weight raised from 1 to 2.",
        ),
        text(&r),
        vec![],
    );
    let mut r = tallied();
    r.ballots().swap(0, 1);
    s.verify(
        meta(
            "ballot-order-swapped",
            "ballot-order",
            "§8",
            "ballots sorted by tracker",
            "Two published ballots swapped.",
        ),
        text(&r),
        vec![],
    );
    let mut r = tallied();
    let dup = r.v["ballots"][3].clone();
    r.ballots().insert(3, dup);
    s.verify(
        meta(
            "ballot-order-duplicate",
            "ballot-order",
            "§8",
            "no ballot twice",
            "A published ballot listed twice.",
        ),
        text(&r),
        vec![],
    );
    let forged = |r: &Record| {
        let mut b = r.v["ballots"][0].clone();
        b["nonce"] = json!("00112233445566778899aabbccddeeff");
        b["tracker"] = json!(r.tracker_of(&b));
        b
    };
    let mut r = tallied();
    let f = forged(&r);
    r.ballots()[0] = f;
    r.ballots()
        .sort_by(|a, b| a["tracker"].as_str().cmp(&b["tracker"].as_str()));
    s.verify(
        meta(
            "ballots-match-log-substituted",
            "ballots-match-log",
            "§8, §10",
            "published ballots are the log's",
            "A ballot replaced by another with a correct tracker the log never had.",
        ),
        text(&r),
        vec![],
    );
    let mut r = tallied();
    r.ballots().remove(4);
    s.verify(
        meta(
            "ballots-match-log-removed",
            "ballots-match-log",
            "§8, §10",
            "published ballots are the log's",
            "A published ballot removed.",
        ),
        text(&r),
        vec![],
    );
    let mut r = tallied();
    let f = forged(&r);
    r.ballots().push(f);
    r.ballots()
        .sort_by(|a, b| a["tracker"].as_str().cmp(&b["tracker"].as_str()));
    s.verify(
        meta(
            "ballots-match-log-added",
            "ballots-match-log",
            "§8, §10",
            "published ballots are the log's",
            "A ballot added that the log never had.",
        ),
        text(&r),
        vec![],
    );

    // Invalid ballots with their trackers, log entries and checkpoints redone:
    // only the ballot's validity is wrong.
    let board_cases: Vec<(&str, &str, &str, Change)> = vec![
        (
            "ballot-validity-weight-zero",
            "§4 weight; COUNTING.md §1",
            "weight \"0\"",
            Box::new(|b| b["weight"] = json!("0")),
        ),
        (
            "ballot-validity-missing-contest",
            "§4",
            "ballot missing a contest",
            Box::new(|b| {
                b["choices"]
                    .as_object_mut()
                    .expect("choices")
                    .remove("bylaw-amendment-7");
            }),
        ),
        (
            "ballot-validity-extra-contest",
            "§4",
            "extra member in `choices`",
            Box::new(|b| b["choices"]["extra"] = json!([])),
        ),
        (
            "ballot-validity-write-in-look-alike-digit",
            "§4 rule 2.5, §4a",
            "look-alike write-in",
            Box::new(|b| b["choices"]["treasurer"] = json!(["write-in:Grace Whitfie1d"])),
        ),
        (
            "ballot-validity-write-in-look-alike-cyrillic",
            "§4 rule 2.5, §4a",
            "look-alike write-in",
            Box::new(|b| b["choices"]["treasurer"] = json!(["write-in:Gr\u{0430}ce Whitfield"])),
        ),
        (
            "ballot-validity-write-in-case",
            "§4 rule 2.5, §4a",
            "write-in equal to a candidate ignoring case",
            Box::new(|b| b["choices"]["treasurer"] = json!(["write-in:GRACE WHITFIELD"])),
        ),
        (
            "ballot-validity-write-in-nfd",
            "§4 rule 2.4",
            "NFD write-in",
            Box::new(|b| b["choices"]["treasurer"] = json!(["write-in:Zoe\u{0308} Lund"])),
        ),
        (
            "ballot-validity-write-in-control",
            "§4 rule 2.2, §4a",
            "forbidden character U+0001",
            Box::new(|b| b["choices"]["treasurer"] = json!(["write-in:Jo\u{0001}Bloggs"])),
        ),
        (
            "ballot-validity-write-in-zwj",
            "§4 rule 2.2, §4a",
            "forbidden character U+200D",
            Box::new(|b| b["choices"]["treasurer"] = json!(["write-in:Zo\u{200d}\u{00eb} Lund"])),
        ),
        (
            "ballot-validity-write-in-nbsp",
            "§4 rule 2.3",
            "space other than U+0020",
            Box::new(|b| b["choices"]["treasurer"] = json!(["write-in:Jo\u{00a0}Bloggs"])),
        ),
        (
            "ballot-validity-write-in-double-space",
            "§4 rule 2.3",
            "U+0020 next to another",
            Box::new(|b| b["choices"]["treasurer"] = json!(["write-in:Jo  Bloggs"])),
        ),
        (
            "ballot-validity-write-in-empty",
            "§4 rule 2.1",
            "empty write-in",
            Box::new(|b| b["choices"]["treasurer"] = json!(["write-in:"])),
        ),
        (
            "ballot-validity-write-in-too-long",
            "§4 rule 2.1",
            "write-in over 100 characters",
            Box::new(|b| b["choices"]["treasurer"] = json!([format!("write-in:{}", "A".repeat(101))])),
        ),
        (
            "ballot-validity-write-in-not-allowed",
            "§4 rule 2",
            "write-in where the contest has none",
            Box::new(|b| b["choices"]["directors"] = json!(["write-in:Jo Bloggs"])),
        ),
        (
            "ballot-validity-too-many",
            "§4 rule 2",
            "more choices than seats",
            Box::new(|b| {
                b["choices"]["directors"] = json!(["amara-okafor", "daniel-brooks", "mei-ling-chen", "rosa-delgado"])
            }),
        ),
        (
            "ballot-validity-unknown-candidate",
            "§4 rule 2",
            "unknown option",
            Box::new(|b| b["choices"]["directors"] = json!(["nobody"])),
        ),
        (
            "ballot-validity-repeated-option",
            "§4 rule 1",
            "an option twice",
            Box::new(|b| b["choices"]["directors"] = json!(["amara-okafor", "amara-okafor"])),
        ),
        (
            "ballot-validity-referendum-two",
            "§4 rule 3",
            "referendum with two choices",
            Box::new(|b| b["choices"]["bylaw-amendment-7"] = json!(["yes", "no"])),
        ),
        (
            "ballot-validity-referendum-unknown",
            "§4 rule 3",
            "referendum choice not yes/no/abstain",
            Box::new(|b| b["choices"]["bylaw-amendment-7"] = json!(["maybe"])),
        ),
    ];
    for (id, section, covers, change) in board_cases {
        let mut r = tallied();
        let i = yes(&r);
        let mut b = r.v["ballots"][i].clone();
        change(&mut b);
        r.replace_ballot(i, b);
        r.retally();
        r.fix(&el.key, &el.certifiers);
        let mut m = meta(
            id,
            "ballot-validity",
            section,
            covers,
            &format!("A published ballot with {covers}, its tracker, log entry and checkpoints redone."),
        );
        // The failure names the character at fault, not another rule.
        for c in ["U+0001", "U+200D"] {
            if covers.contains(c) {
                m = m.mentioning(c);
            }
        }
        s.verify(m, text(&r), vec![]);
    }
    let w = &e.weighted;
    let weighted_cases: Vec<(&str, &str, &str, Change)> = vec![
        (
            "ballot-validity-ranked-repeat",
            "§4 rules 1, 4",
            "a candidate ranked twice (IRV)",
            Box::new(|b| b["choices"]["chair"] = json!(["gus", "gus"])),
        ),
        (
            "ballot-validity-stv-unknown",
            "§4 rule 4",
            "an unknown candidate (Meek STV)",
            Box::new(|b| b["choices"]["board"] = json!(["zed"])),
        ),
        (
            "ballot-validity-approval-repeat",
            "§4 rule 1",
            "a candidate approved twice",
            Box::new(|b| b["choices"]["panel"] = json!(["jo", "jo"])),
        ),
        (
            "ballot-validity-cumulative-points",
            "§4 rule 5",
            "more points than allowed (cumulative)",
            Box::new(|b| b["choices"]["shares"] = json!(["max", "max", "max", "ned"])),
        ),
        (
            "ballot-validity-schulze-write-in",
            "§4 rule 4",
            "a write-in in a Schulze contest",
            Box::new(|b| b["choices"]["motto"] = json!(["write-in:Forward"])),
        ),
    ];
    for (id, section, covers, change) in weighted_cases {
        let mut r = w.records["tallied"].clone();
        let mut b = r.v["ballots"][1].clone();
        change(&mut b);
        r.replace_ballot(1, b);
        r.retally();
        r.fix(&w.key, &w.certifiers);
        s.verify(
            meta(
                id,
                "ballot-validity",
                section,
                covers,
                &format!("A weighted ballot with {covers}, its tracker, log entry and checkpoints redone."),
            ),
            text(&r),
            vec![],
        );
    }

    // Two write-ins with one name key on one ballot, in a contest of two
    // seats that takes write-ins.
    let t = &e.ties;
    let mut r = t.records["tallied"].clone();
    let mut b = r.v["ballots"][0].clone();
    b["choices"]["duo"] = json!(["write-in:Jo Bloggs", "write-in:J\u{043e} Bloggs"]);
    r.replace_ballot(0, b);
    r.retally();
    r.fix(&t.key, &t.certifiers);
    s.verify(
        meta(
            "ballot-validity-two-write-ins-one-key",
            "ballot-validity",
            "§4 rule 2.6, §4a",
            "one name written in twice",
            "A ballot writing in Jo Bloggs twice (once with a Cyrillic о) in a two-seat contest.",
        ),
        text(&r),
        vec![],
    );
    let mut r = el.records["closed"].clone();
    r.v["ballots"] = el.records["tallied"].v["ballots"].clone();
    s.verify(
        meta(
            "ballots-published-closed",
            "ballots-published",
            "§8",
            "ballots published in a closed record",
            "The closed record publishes every ballot before the tally.",
        ),
        text(&r),
        vec![],
    );
    let mut r = el.records["open"].clone();
    let logged: Vec<Value> = r
        .entries()
        .iter()
        .filter(|e| e["type"] == "ballot")
        .map(|e| e["data"]["tracker"].clone())
        .collect();
    let published: Vec<Value> = el.records["tallied"].v["ballots"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|b| logged.contains(&b["tracker"]))
        .cloned()
        .collect();
    r.v["ballots"] = Value::Array(published);
    s.verify(
        meta(
            "ballots-published-open",
            "ballots-published",
            "§8",
            "no partial result while open",
            "The open record publishes its sealed ballots.",
        ),
        text(&r),
        vec![],
    );
    let mut r = el.records["draft"].clone();
    r.v["ballots"] = json!([]);
    s.verify(
        meta(
            "ballots-published-draft",
            "ballots-published",
            "§8",
            "`ballots` is null until tallied",
            "A draft record with an empty ballot list instead of null.",
        ),
        text(&r),
        vec![],
    );
    let mut r = tallied();
    r.v["ballots"] = Value::Null;
    s.verify(
        meta(
            "ballots-published-missing",
            "ballots-published",
            "§8",
            "tallied records publish the ballots",
            "A tallied record without its ballots.",
        ),
        text(&r),
        vec![],
    );
}
