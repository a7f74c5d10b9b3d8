//! `log-chain` and `log-structure`: the chain and the rules of FORMAT.md §5.

use super::*;

pub(super) fn cases(s: &mut Suite, e: &Elections) {
    let el = &e.board;
    let cert = || el.records["certified"].clone();

    let mut r = cert();
    let at = r.find("ballot", 1);
    r.log()[at]["data"]["tracker"] = json!("0".repeat(64));
    s.verify(
        meta(
            "log-chain-altered-entry",
            "log-chain",
            "§5",
            "an entry changed after the fact",
            "A ballot entry's tracker replaced; nothing recomputed.",
        ),
        text(&r),
        vec![],
    );
    let mut r = cert();
    let at = r.find("schedule_changed", 0);
    r.log().remove(at);
    r.rechain();
    r.resign_checkpoints(&el.key);
    s.verify(
        meta(
            "log-chain-removed-entry",
            "log-chain",
            "§5",
            "an entry removed",
            "The schedule_changed entry removed and the chain recomputed, but the seq numbers now skip one.",
        ),
        text(&r),
        vec![],
    );
    let mut r = cert();
    r.log()[5]["hash"] = json!(sha256_hex(&[b"another history"]));
    s.verify(
        meta(
            "log-chain-wrong-hash",
            "log-chain",
            "§5",
            "a hash that is not the chain hash",
            "Entry 5's hash replaced.",
        ),
        text(&r),
        vec![],
    );
    let mut r = cert();
    r.log().swap(3, 4);
    r.rechain();
    r.resign_checkpoints(&el.key);
    s.verify(
        meta(
            "log-chain-reordered",
            "log-chain",
            "§5",
            "entries reordered",
            "Two certifier_registered entries swapped, chain recomputed, seq numbers left as they were.",
        ),
        text(&r),
        vec![],
    );

    let section = "§5 rule 2";
    let draft = el.records["draft"].clone();
    let n = draft.entries().len();
    let r = with_entry(
        el,
        draft,
        n,
        "schedule_changed",
        json!({"closes_at": null, "reason": "moved", "actor": "cli:officer"}),
    );
    s.verify(
        meta(
            "log-structure-schedule-changed-in-draft",
            "log-structure",
            section,
            "schedule_changed before opening",
            "A draft's log with a schedule_changed entry.",
        ),
        text(&r),
        vec![],
    );
    let r0 = cert();
    let at = r0.find("polls_opened", 0);
    let r = with_entry(
        el,
        r0,
        at,
        "schedule_changed",
        json!({"closes_at": 1_797_000_000, "reason": "moved", "actor": "cli:officer"}),
    );
    s.verify(
        meta(
            "log-structure-schedule-changed-before-opening",
            "log-structure",
            section,
            "schedule_changed before opening",
            "A schedule_changed entry just before polls_opened in a certified record.",
        ),
        text(&r),
        vec![],
    );
    for (id, kind, what) in [
        (
            "log-structure-opened-twice",
            "polls_opened",
            "polls_opened appears twice",
        ),
        (
            "log-structure-closed-twice",
            "polls_closed",
            "polls_closed appears twice",
        ),
        ("log-structure-tallied-twice", "tallied", "tallied appears twice"),
        ("log-structure-certified-twice", "certified", "certified appears twice"),
    ] {
        let r0 = cert();
        let at = r0.find(kind, 0);
        let data = r0.entries()[at]["data"].clone();
        let r = with_entry(el, r0, at + 1, kind, data);
        s.verify(
            meta(
                id,
                "log-structure",
                section,
                "polls_opened, polls_closed, tallied and certified at most once",
                &format!("{what}, one right after the other."),
            ),
            text(&r),
            vec![],
        );
    }
    let r0 = cert();
    let at = r0.find("polls_opened", 0);
    let r = with_entry(
        el,
        r0,
        at + 1,
        "roll_imported",
        json!({"added": 1, "total": 13, "actor": "cli:officer"}),
    );
    s.verify(
        meta(
            "log-structure-roll-after-opening",
            "log-structure",
            section,
            "roll_imported only before opening",
            "A roll_imported entry after polls_opened.",
        ),
        text(&r),
        vec![],
    );
    let r0 = cert();
    let at = r0.find("polls_opened", 0);
    let r = with_entry(
        el,
        r0,
        at + 1,
        "certifier_registered",
        json!({"certifier": "Late Comer", "public_key": attacker().public_hex(), "actor": "staff:late"}),
    );
    s.verify(
        meta(
            "log-structure-certifier-after-opening",
            "log-structure",
            section,
            "certifier_registered only before opening",
            "A certifier registered after the polls opened.",
        ),
        text(&r),
        vec![],
    );
    let r0 = cert();
    let at = r0.find("certifier_registered", 0);
    let data = r0.entries()[at]["data"].clone();
    let r = with_entry(el, r0, at + 1, "certifier_registered", data);
    s.verify(
        meta(
            "log-structure-certifier-key-twice",
            "log-structure",
            "§5 rule 5",
            "a certifier key is registered at most once",
            "The first certifier's key registered a second time.",
        ),
        text(&r),
        vec![],
    );
    let r0 = cert();
    let at = r0.find("polls_closed", 0);
    let r = with_entry(
        el,
        r0,
        at + 1,
        "tokens_issued",
        json!({"count": 1, "actor": "cli:officer"}),
    );
    s.verify(
        meta(
            "log-structure-tokens-after-close",
            "log-structure",
            section,
            "tokens_issued only before polls_closed",
            "Tokens issued after the close.",
        ),
        text(&r),
        vec![],
    );
    let r0 = cert();
    let at = r0.find("tallied", 0);
    let data = r0.entries()[r0.find("token_reissued", 0)]["data"].clone();
    let r = with_entry(el, r0, at, "token_reissued", data);
    s.verify(
        meta(
            "log-structure-token-reissued-after-close",
            "log-structure",
            section,
            "token_reissued only before polls_closed",
            "A member's token re-issued after the polls closed.",
        ),
        text(&r),
        vec![],
    );
    let r0 = cert();
    let at = r0.find("tallied", 0);
    let data = r0.entries()[r0.find("certification", 0)]["data"].clone();
    let r = with_entry(el, r0, at, "certification", data);
    s.verify(
        meta(
            "log-structure-certification-before-tally",
            "log-structure",
            section,
            "certification only after tallied",
            "A certification entry before the tallied entry.",
        ),
        text(&r),
        vec![],
    );
    let mut r = cert();
    let first = r.find("ballot", 0);
    let (a, b) = (
        r.entries()[first]["data"].clone(),
        r.entries()[first + 1]["data"].clone(),
    );
    r.log()[first]["data"] = b;
    r.log()[first + 1]["data"] = a;
    r.fix(&el.key, &el.certifiers);
    s.verify(
        meta(
            "log-structure-batch-order",
            "log-structure",
            "§5 rule 3",
            "trackers within a batch strictly increasing",
            "The first two ballot entries of seal 1 swapped.",
        ),
        text(&r),
        vec![],
    );
    let mut r = cert();
    let at = r.find("seal", 1);
    r.log()[at]["data"]["seal"] = json!(3);
    let last = r.find("seal", 2);
    r.log()[last]["data"]["seal"] = json!(4);
    r.fix(&el.key, &el.certifiers);
    s.verify(
        meta(
            "log-structure-seal-number-gap",
            "log-structure",
            "§5 rule 3",
            "seals numbered 1, 2, 3 with no gap",
            "Seals numbered 1, 3, 4.",
        ),
        text(&r),
        vec![],
    );
    let mut r = cert();
    let at = r.find("seal", 0);
    r.log()[at]["data"]["ballots"] = json!(5);
    r.fix(&el.key, &el.certifiers);
    s.verify(
        meta(
            "log-structure-seal-count",
            "log-structure",
            "§5 rule 3",
            "a seal's `ballots` equals its batch",
            "Seal 1 claims 5 ballots; its batch has 4.",
        ),
        text(&r),
        vec![],
    );
    let r0 = cert();
    let at = r0.find("seal", 1);
    let dup = r0.entries()[r0.find("ballot", 0)]["data"].clone();
    let mut r = with_entry(el, r0, at, "ballot", dup);
    // The copy takes its place in the batch's tracker order.
    let at = r.find("seal", 1);
    r.sort_batch(at - 1);
    r.log()[at]["data"]["ballots"] = json!(3);
    let closed = r.find("polls_closed", 0);
    r.log()[closed]["data"]["ballots"] = json!(11);
    r.fix(&el.key, &el.certifiers);
    s.verify(
        meta(
            "log-structure-tracker-twice",
            "log-structure",
            "§5 rule 3",
            "no tracker twice in the log",
            "The first ballot's tracker logged again in seal 2.",
        ),
        text(&r),
        vec![],
    );
    let mut r = cert();
    let at = r.find("polls_closed", 0);
    r.log()[at]["data"]["ballots"] = json!(9);
    r.fix(&el.key, &el.certifiers);
    s.verify(
        meta(
            "log-structure-closed-ballots",
            "log-structure",
            "§5 rule 4",
            "polls_closed.ballots equals the ballot entries",
            "polls_closed says 9 ballots; the log has 10.",
        ),
        text(&r),
        vec![],
    );
    let mut r = cert();
    r.v["election"]["state"] = json!("tallied");
    s.verify(
        meta(
            "log-structure-state",
            "log-structure",
            "§5 rule 7",
            "election.state matches the log",
            "A certified record that says it is tallied.",
        ),
        text(&r),
        vec![],
    );
    let mut r = cert();
    r.log()[0]["data"]["public_key"] = json!(attacker().public_hex());
    r.fix(&el.key, &el.certifiers);
    s.verify(
        meta(
            "log-structure-created-key",
            "log-structure",
            "§5 rule 1",
            "entry 0 fixes the election's key",
            "election_created names another key than the record's.",
        ),
        text(&r),
        vec![],
    );
    for (id, actor, what) in [
        ("log-structure-actor-empty", "cli:", "an empty user after `cli:`"),
        ("log-structure-actor-unknown-form", "root", "an actor of no known form"),
        (
            "log-structure-actor-control",
            "staff:ev\u{0001}l",
            "a control character in the actor",
        ),
    ] {
        let mut r = cert();
        let at = r.find("polls_closed", 0);
        r.log()[at]["data"]["actor"] = json!(actor);
        r.fix(&el.key, &el.certifiers);
        s.verify(
            meta(
                id,
                "log-structure",
                "§5 rule 6",
                "actor is cli:USER, staff:USERNAME, scheduler or delivery",
                &format!("polls_closed with {what}."),
            ),
            text(&r),
            vec![],
        );
    }
}
