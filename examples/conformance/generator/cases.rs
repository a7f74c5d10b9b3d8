//! Every case of the suite: the elections' records as exported (valid), and
//! tampered copies, each made consistent again (hashes re-chained,
//! checkpoints, receipts and certifications re-signed) everywhere but where
//! the case breaks it, so that its expected check is the first to fail.

use serde_json::{json, Value};

use super::elections::{certifier_key, Election, Elections};
use super::json::{canonical, render, render_record, resign_with, sha256_hex, statement, FixedKey, Record};
use super::{meta, Src, Suite};

/// The attacker's key: not the election's, not a certifier's.
fn attacker() -> FixedKey {
    FixedKey::from_seed(&[0xa7; 32])
}

/// A record written into the case's directory.
fn text(r: &Record) -> Src {
    Src::Text(render_record(&r.v))
}

/// A receipt or checkpoint file.
fn object(v: &Value) -> Src {
    Src::Text(render(v) + "\n")
}

/// Flip the last hex digit of a hex string.
fn flip(hex: &str) -> String {
    let mut s = hex.to_string();
    let last = s.pop().unwrap_or('0');
    s.push(if last == '0' { '1' } else { '0' });
    s
}

/// Write every case.
pub fn all(suite: &mut Suite, e: &Elections) {
    let bases = bases(suite, e);
    valid(suite, &bases);
    format(suite, e, &bases);
    log(suite, e);
    definition(suite, e);
    checkpoints(suite, e, &bases);
    ballots(suite, e);
    counts(suite, e);
    certification(suite, e);
    tally(suite, e);
    receipts(suite, e, &bases);
}

/// Paths of the shared files: records by "election/state", receipts and
/// checkpoints by label.
struct Bases {
    records: std::collections::BTreeMap<String, String>,
    receipts: std::collections::BTreeMap<String, String>,
    checkpoints: std::collections::BTreeMap<String, String>,
}

impl Bases {
    fn record(&self, key: &str) -> Src {
        Src::Shared(self.records[key].clone())
    }
    fn receipt(&self, key: &str) -> Src {
        Src::Shared(self.receipts[key].clone())
    }
    fn checkpoint(&self, key: &str) -> Src {
        Src::Shared(self.checkpoints[key].clone())
    }
}

fn bases(suite: &mut Suite, e: &Elections) -> Bases {
    let mut b = Bases {
        records: Default::default(),
        receipts: Default::default(),
        checkpoints: Default::default(),
    };
    for (name, el) in [("board", &e.board), ("weighted", &e.weighted), ("ties", &e.ties)] {
        for (state, r) in &el.records {
            let path = suite.shared(&format!("cases/elections/{name}/{state}.json"), &render_record(&r.v));
            b.records.insert(format!("{name}/{state}"), path);
        }
        for (label, r) in &el.receipts {
            let path = suite.shared(
                &format!("cases/elections/{name}/receipt-{label}.json"),
                &(render(r) + "\n"),
            );
            b.receipts.insert(format!("{name}/{label}"), path);
        }
    }
    // Checkpoints as a monitor keeps them: every one the board's record
    // holds, by reason and size.
    let board = &e.board.records["certified"];
    for cp in board.v["checkpoints"].as_array().into_iter().flatten() {
        let label = format!("{}-{}", cp["reason"].as_str().unwrap_or_default(), cp["size"]);
        let path = suite.shared(
            &format!("cases/elections/board/checkpoint-{label}.json"),
            &(render(cp) + "\n"),
        );
        b.checkpoints.insert(label, path);
    }
    b
}

fn valid(s: &mut Suite, b: &Bases) {
    for state in ["draft", "open", "closed", "tallied", "signed-once", "certified"] {
        s.verify(
            meta(
                &format!("valid-board-{state}"),
                "valid",
                "§8, §10",
                "a record in every state verifies",
                &format!("The board election's record as exported while {state}."),
            ),
            b.record(&format!("board/{state}")),
            vec![],
        );
    }
    s.verify(
        meta(
            "valid-weighted",
            "valid",
            "§4, §9.4; COUNTING.md §5–§10",
            "weights; every counting method (Meek with an exclusion and a completion round)",
            "A weighted election (weights 0.5 to 3) with an IRV, Scottish STV, Meek STV, approval, cumulative and Schulze contest, tallied.",
        ),
        b.record("weighted/tallied"),
        vec![],
    );
    s.verify(
        meta(
            "valid-ties",
            "valid",
            "§9.1, §9.2; COUNTING.md §4",
            "ties broken by lots in every method",
            "An election whose every contest ends in a tie broken by lots: plurality, IRV exclusion, Scottish election order and exclusion, approval and cumulative seat boundary, a Schulze rank group.",
        ),
        b.record("ties/tallied"),
        vec![],
    );
    let ids: Vec<String> = b.checkpoints.keys().cloned().collect();
    let opened = ids
        .iter()
        .find(|k| k.starts_with("opened"))
        .cloned()
        .unwrap_or_default();
    let closed = ids
        .iter()
        .find(|k| k.starts_with("closed"))
        .cloned()
        .unwrap_or_default();
    s.verify(
        meta(
            "valid-checkpoint-earlier",
            "valid",
            "§6, §10 checkpoint-consistency",
            "a checkpoint kept from earlier agrees with the later record",
            "The certified record, checked against the checkpoint signed when the polls opened and the one signed at the close.",
        ),
        b.record("board/certified"),
        vec![b.checkpoint(&opened), b.checkpoint(&closed)],
    );
    s.verify(
        meta(
            "valid-checkpoint-all",
            "valid",
            "§6",
            "every checkpoint a monitor collected",
            "The certified record, checked against every checkpoint signed during the election, each given with --checkpoint.",
        ),
        b.record("board/certified"),
        ids.iter().map(|k| b.checkpoint(k)).collect(),
    );
    for (id, receipt, record, what) in [
        ("valid-receipt-certified", "board/seal-1", "board/certified", "A receipt for a ballot of seal 1, against the certified record (content compared with the published ballot)."),
        ("valid-receipt-open", "board/seal-2", "board/open", "A receipt for a ballot of seal 2, against the record while the polls are open."),
        ("valid-receipt-waiting", "board/waiting", "board/open", "A receipt whose promised seal has not happened yet, while the polls are open: receipt-inclusion is skipped."),
        ("valid-receipt-waiting-later", "board/waiting", "board/closed", "The same receipt against the closed record: its ballot is in the seal it promised."),
        ("valid-receipt-at-close", "board/at-close", "board/tallied", "A receipt for a ballot sealed at the close, against the tallied record."),
        ("valid-receipt-weighted", "weighted/weight-2.5", "weighted/tallied", "A receipt for a ballot of weight 2.5."),
    ] {
        s.receipt(
            meta(id, "valid", "§7, §10", "receipts hold against their record", what),
            b.receipt(receipt),
            b.record(record),
        );
    }
}

fn format(s: &mut Suite, e: &Elections, b: &Bases) {
    let el = &e.board;
    let cert = || el.records["certified"].clone();
    let section = "§1, §8, §10 format";

    let mut r = cert();
    r.v["format"] = json!("teller-record/1");
    s.verify(
        meta(
            "format-record-v1",
            "format",
            "§13",
            "record/1 format",
            "A record made by version 1: a version-2 verifier refuses it.",
        )
        .at("format"),
        text(&r),
        vec![],
    );
    let mut r = cert();
    r.v["format"] = json!("teller-record/3");
    s.verify(
        meta(
            "format-record-unknown-version",
            "format",
            section,
            "unknown format string",
            "A record claiming a later format.",
        )
        .at("format"),
        text(&r),
        vec![],
    );
    let mut r = cert();
    r.v["comment"] = json!("added by hand");
    s.verify(
        meta(
            "format-unknown-top-member",
            "format",
            "§8",
            "unknown member in the record",
            "The record has a member the format does not define.",
        )
        .at("comment"),
        text(&r),
        vec![],
    );
    let mut r = cert();
    let at = r.find("polls_closed", 0);
    r.log()[at]["note"] = json!("x");
    s.verify(
        meta(
            "format-unknown-entry-member",
            "format",
            "§5, §8",
            "unknown member in an entry",
            "A log entry has a member beside seq, time, type, data and hash (outside what the chain hashes).",
        )
        .at(&format!("log[{at}].note")),
        text(&r),
        vec![],
    );
    let mut r = cert();
    let at = r.find("seal", 0);
    r.log()[at]["data"]["extra"] = json!(1);
    r.fix(&el.key, &el.certifiers);
    s.verify(
        meta("format-unknown-data-member", "format", "§5, §8", "unknown member in `data`", "A seal entry's data has an extra member; the chain is recomputed over it, so only the unknown member is wrong.").at(&format!("log[{at}].data.extra")),
        text(&r),
        vec![],
    );
    let mut r = cert();
    r.checkpoints()[1]["extra"] = json!("x");
    r.resign_checkpoints(&el.key);
    s.verify(
        meta(
            "format-unknown-checkpoint-member",
            "format",
            "§6, §8",
            "unknown member in a checkpoint",
            "A record checkpoint has an extra member, and is signed over it.",
        )
        .at("checkpoints[1].extra"),
        text(&r),
        vec![],
    );
    let mut r = cert();
    r.ballots()[0]["extra"] = json!(true);
    s.verify(
        meta(
            "format-unknown-ballot-member",
            "format",
            "§4, §8",
            "extra field in a published ballot",
            "A published ballot has a member besides tracker, nonce, choices and weight.",
        )
        .at("ballots[0].extra"),
        text(&r),
        vec![],
    );
    // Duplicate keys can only be written as text.
    let r = cert();
    let ballot = render(&r.v["ballots"][0]);
    let doubled = ballot.replacen("\"choices\":{", "\"choices\":{\"directors\":[],", 1);
    s.verify(
        meta(
            "format-duplicate-key-in-choices",
            "format",
            "§2 rule 2, §4",
            "duplicate key in `choices`",
            "A published ballot's choices name the contest `directors` twice.",
        )
        .at("ballots[0].choices.directors"),
        Src::Text(render_record(&r.v).replacen(&ballot, &doubled, 1)),
        vec![],
    );
    let r = cert();
    let at = r.find("seal", 0);
    let entry = render(&r.entries()[at]);
    let doubled = entry.replacen("\"data\":{\"ballots\":", "\"data\":{\"ballots\":1,\"ballots\":", 1);
    s.verify(
        meta(
            "format-duplicate-key-in-data",
            "format",
            "§2 rule 2",
            "duplicate key in an entry",
            "A seal entry's data holds `ballots` twice.",
        )
        .at(&format!("log[{at}].data.ballots")),
        Src::Text(render_record(&r.v).replacen(&entry, &doubled, 1)),
        vec![],
    );
    let r = cert();
    let counts = render(&r.v["counts"]);
    s.verify(
        meta(
            "format-duplicate-top-member",
            "format",
            "§2 rule 2, §8",
            "duplicate key in the record",
            "The record has `counts` twice.",
        )
        .at("counts"),
        Src::Text(render_record(&r.v).replacen("\n}\n", &format!(",\n\"counts\":{counts}\n}}\n"), 1)),
        vec![],
    );
    let mut r = cert();
    let at = r.find("ballot", 0);
    let upper = r.entries()[at]["data"]["tracker"]
        .as_str()
        .unwrap_or_default()
        .to_uppercase();
    r.log()[at]["data"]["tracker"] = json!(upper);
    r.fix(&el.key, &el.certifiers);
    s.verify(
        meta(
            "format-upper-case-hex-in-log",
            "format",
            "§1 Hex",
            "upper-case hex",
            "A ballot entry's tracker in upper case, chained and checkpointed as written: canonical hex is lower case.",
        )
        .at(&format!("log[{at}].data.tracker")),
        text(&r),
        vec![],
    );
    let mut r = cert();
    let pk = r.v["public_key"].as_str().unwrap_or_default().to_uppercase();
    r.v["public_key"] = json!(pk);
    s.verify(
        meta(
            "format-upper-case-public-key",
            "format",
            "§1 Hex",
            "upper-case hex",
            "The record's public key in upper case.",
        )
        .at("public_key"),
        text(&r),
        vec![],
    );
    let mut r = cert();
    let at = r.find("certification", 0);
    let sig = r.entries()[at]["data"]["signature"]
        .as_str()
        .unwrap_or_default()
        .to_uppercase();
    r.log()[at]["data"]["signature"] = json!(sig);
    r.rechain();
    r.resign_checkpoints(&el.key);
    s.verify(
        meta(
            "format-upper-case-certification",
            "format",
            "§1 Hex, §8a",
            "upper-case hex",
            "A certification entry's signature in upper case (the same signature bytes), chained as written.",
        )
        .at(&format!("log[{at}].data.signature")),
        text(&r),
        vec![],
    );
    for (id, weight) in [
        ("trailing-zero", "1.50"),
        ("leading-zero", "01"),
        ("plus-sign", "+1"),
        ("bare-point", ".5"),
        ("trailing-point", "1."),
    ] {
        let mut r = el.records["tallied"].clone();
        let mut ballot = r.v["ballots"][2].clone();
        ballot["weight"] = json!(weight);
        let i = r.replace_ballot(2, ballot);
        r.fix(&el.key, &el.certifiers);
        s.verify(
            meta(
                &format!("format-weight-{id}"),
                "format",
                "§4 weight",
                "non-canonical weight",
                &format!(
                    "A ballot's weight written {weight:?}, its tracker, log entry and checkpoints redone over it."
                ),
            )
            .at(&format!("ballots[{i}].weight")),
            text(&r),
            vec![],
        );
    }
    let mut r = cert();
    let id = r.id().to_uppercase();
    r.v["election"]["id"] = json!(id);
    s.verify(
        meta(
            "format-election-id-upper-case",
            "format",
            "§1 Identifiers",
            "election id not the lower-case hyphenated UUID",
            "The record's election id in upper case.",
        )
        .at("election.id"),
        text(&r),
        vec![],
    );
    let mut r = cert();
    r.v["counts"]["eligible"] = json!("12");
    s.verify(
        meta(
            "format-wrong-type",
            "format",
            "§8",
            "wrong type",
            "counts.eligible is a string.",
        )
        .at("counts.eligible"),
        text(&r),
        vec![],
    );
    let r = cert();
    let entry = render(&r.entries()[1]);
    let time = r.entries()[1]["time"].to_string();
    let fractional = entry.replacen(&format!("\"time\":{time}"), &format!("\"time\":{time}.0"), 1);
    s.verify(
        meta(
            "format-fractional-number",
            "format",
            "§1 Integers, §2 rule 3",
            "non-canonical integer",
            "A log entry's time written with a fraction.",
        )
        .at("log[1].time"),
        Src::Text(render_record(&r.v).replacen(&entry, &fractional, 1)),
        vec![],
    );
    let r = cert();
    let full = render_record(&r.v);
    s.verify(
        meta(
            "format-truncated",
            "format",
            "§1 JSON",
            "JSON syntax error",
            "The record cut off in the middle: it cannot be read, so every other check is reported as not run.",
        ),
        Src::Text(full[..full.len() / 2].to_string()),
        vec![],
    );
    let r = cert();
    let members = render(&r.v["counts"]);
    s.verify(
        meta(
            "format-missing-member",
            "format",
            "§8",
            "missing member",
            "The record has no `counts`.",
        )
        .at("counts"),
        Src::Text(render_record(&r.v).replacen(&format!(",\n\"counts\":{members}"), "", 1)),
        vec![],
    );
    // Receipts and checkpoint files are parsed as strictly.
    let receipt = el.receipts["seal-1"].clone();
    let mut rc = receipt.clone();
    rc["extra"] = json!(1);
    resign_with(&mut rc, &|bytes| el.key.sign(bytes));
    s.receipt(
        meta(
            "format-receipt-unknown-member",
            "format",
            "§7, §8",
            "unknown member in a receipt",
            "A receipt with an extra member, signed over it by the election key.",
        )
        .at("extra"),
        object(&rc),
        b.record("board/certified"),
    );
    let mut rc = receipt.clone();
    let sig = rc["signature"].as_str().unwrap_or_default().to_uppercase();
    rc["signature"] = json!(sig);
    s.receipt(
        meta(
            "format-receipt-upper-case-signature",
            "format",
            "§1 Hex, §7",
            "upper-case hex receipt",
            "A correctly signed receipt with its signature written in upper case.",
        )
        .at("signature"),
        object(&rc),
        b.record("board/certified"),
    );
    let mut rc = receipt.clone();
    let t = rc["tracker"].as_str().unwrap_or_default().to_uppercase();
    rc["tracker"] = json!(t);
    resign_with(&mut rc, &|bytes| el.key.sign(bytes));
    s.receipt(
        meta(
            "format-receipt-upper-case-tracker",
            "format",
            "§1 Hex, §7",
            "upper-case hex receipt",
            "A receipt whose tracker is in upper case, signed by the election key over it as written.",
        )
        .at("tracker"),
        object(&rc),
        b.record("board/certified"),
    );
    let rendered = render(&receipt);
    s.receipt(
        meta(
            "format-receipt-duplicate-key",
            "format",
            "§2 rule 2, §7",
            "duplicate key in a receipt",
            "A receipt with `seal` twice.",
        )
        .at("seal"),
        Src::Text(rendered.replacen("\"seal\":", "\"seal\":9,\"seal\":", 1) + "\n"),
        b.record("board/certified"),
    );
    let mut cp = el.records["certified"].v["checkpoints"][2].clone();
    cp["note"] = json!("x");
    resign_with(&mut cp, &|bytes| el.key.sign(bytes));
    s.verify(
        meta(
            "format-checkpoint-file-unknown-member",
            "format",
            "§6, §8",
            "unknown member in a checkpoint",
            "A checkpoint given with --checkpoint has an extra member, signed over it.",
        )
        .at("note"),
        b.record("board/certified"),
        vec![object(&cp)],
    );
    let mut cp = el.records["certified"].v["checkpoints"][2].clone();
    let head = cp["head"].as_str().unwrap_or_default().to_uppercase();
    cp["head"] = json!(head);
    resign_with(&mut cp, &|bytes| el.key.sign(bytes));
    s.verify(
        meta(
            "format-checkpoint-file-upper-case",
            "format",
            "§1 Hex, §6",
            "upper-case hex",
            "A checkpoint given with --checkpoint has its head in upper case, signed as written.",
        )
        .at("head"),
        b.record("board/certified"),
        vec![object(&cp)],
    );
}

/// Insert `data` as a new entry of `kind` at `at`, then repair.
fn with_entry(el: &Election, mut r: Record, at: usize, kind: &str, data: Value) -> Record {
    r.insert_entry(at, kind, data);
    // Checkpoints after the insertion cover one more entry.
    for cp in r.checkpoints().iter_mut() {
        let size = cp["size"].as_u64().unwrap_or(0);
        if size as usize > at {
            cp["size"] = json!(size + 1);
        }
    }
    r.fix(&el.key, &el.certifiers);
    r
}

fn log(s: &mut Suite, e: &Elections) {
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
    let at = r.find("seal", 1);
    r.log()[at]["data"]["ballots"] = json!(3);
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
            "§10 log-structure",
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
                "§5 actors",
                "actor is cli:USER, staff:USERNAME, scheduler or delivery",
                &format!("polls_closed with {what}."),
            ),
            text(&r),
            vec![],
        );
    }
}

fn definition(s: &mut Suite, e: &Elections) {
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
    let cases: Vec<(&str, &Election, &str, Box<dyn Fn(&mut Record)>, &str)> = vec![
        (
            "definition-irv-two-seats",
            w,
            "§3 soundness",
            Box::new(move |r: &mut Record| {
                let i = contest(r, "chair");
                r.v["election"]["definition"]["contests"][i]["seats"] = json!(2);
            }),
            "An IRV contest with 2 seats, frozen as such.",
        ),
        (
            "definition-cumulative-points",
            w,
            "§3 soundness",
            Box::new(move |r: &mut Record| {
                let i = contest(r, "shares");
                r.v["election"]["definition"]["contests"][i]["method"]["points"] = json!(101);
            }),
            "A cumulative contest with 101 points (1–100 allowed).",
        ),
        (
            "definition-approval-more-seats-than-candidates",
            w,
            "§3 soundness",
            Box::new(move |r: &mut Record| {
                let i = contest(r, "panel");
                r.v["election"]["definition"]["contests"][i]["seats"] = json!(4);
            }),
            "An approval contest with 4 seats and 3 candidates.",
        ),
        (
            "definition-stv-more-seats-than-candidates",
            w,
            "§3 soundness",
            Box::new(move |r: &mut Record| {
                let i = contest(r, "council");
                r.v["election"]["definition"]["contests"][i]["seats"] = json!(5);
            }),
            "A Scottish STV contest with 5 seats and 4 candidates.",
        ),
        (
            "definition-look-alike-candidates",
            el,
            "§3, §4a",
            Box::new(|r: &mut Record| {
                r.v["election"]["definition"]["contests"][0]["candidates"][3]["name"] = json!("\u{0410}mara Okafor");
            }),
            "Two director candidates with the same name key (\"Amara Okafor\" and a Cyrillic А look-alike).",
        ),
        (
            "definition-referendum-threshold",
            el,
            "§3 soundness",
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
            meta(id, "definition", section, "§3 soundness rules", what),
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
            "§3",
            "§3: skipped_ranks is refuse or close-up",
            "An IRV contest whose skipped_ranks is neither refuse nor close-up, frozen as such.",
        )
        .at(&format!("election.definition.contests[{i}].method.skipped_ranks")),
        text(&r),
        vec![],
    );
    let mut r = el.records["draft"].clone();
    r.v["election"]["definition"]["title"] = json!("  ");
    s.verify(
        meta(
            "definition-draft-blank-title",
            "definition",
            "§3 soundness",
            "§3 soundness rules",
            "A draft whose title is blank.",
        ),
        text(&r),
        vec![],
    );
}

fn checkpoints(s: &mut Suite, e: &Elections, b: &Bases) {
    let el = &e.board;
    let cert = || el.records["certified"].clone();
    let mut r = cert();
    let sig = r.v["checkpoints"][2]["signature"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    r.checkpoints()[2]["signature"] = json!(flip(&sig));
    s.verify(
        meta(
            "checkpoint-signature-altered",
            "checkpoint-signature",
            "§6",
            "checkpoint signed by the election key",
            "A record checkpoint's signature altered.",
        ),
        text(&r),
        vec![],
    );
    let mut r = cert();
    resign_with(&mut r.checkpoints()[3], &|bytes| attacker().sign(bytes));
    s.verify(
        meta(
            "checkpoint-signature-other-key",
            "checkpoint-signature",
            "§6",
            "checkpoint signed by the election key",
            "A record checkpoint signed by another key.",
        ),
        text(&r),
        vec![],
    );
    let mut r = cert();
    r.checkpoints()[0]["format"] = json!("teller-checkpoint/2");
    r.resign_checkpoints(&el.key);
    s.verify(
        meta(
            "checkpoint-signature-format",
            "checkpoint-signature",
            "§6",
            "checkpoint format",
            "A record checkpoint whose format is teller-checkpoint/2, signed by the election key.",
        ),
        text(&r),
        vec![],
    );
    let mut cp = el.records["certified"].v["checkpoints"][1].clone();
    resign_with(&mut cp, &|bytes| attacker().sign(bytes));
    s.verify(
        meta(
            "checkpoint-signature-file-other-key",
            "checkpoint-signature",
            "§6",
            "--checkpoint files signed by the election key",
            "A checkpoint given with --checkpoint is signed by another key.",
        ),
        b.record("board/certified"),
        vec![object(&cp)],
    );

    let mut cp = el.records["certified"].v["checkpoints"][1].clone();
    cp["head"] = json!(sha256_hex(&[b"a forked log"]));
    resign_with(&mut cp, &|bytes| el.key.sign(bytes));
    s.verify(
        meta("checkpoint-consistency-fork", "checkpoint-consistency", "§6", "a record that disagrees with a checkpoint seen earlier", "A checkpoint signed by the election key over another log of the same size: the record's history was rewritten."),
        b.record("board/certified"),
        vec![object(&cp)],
    );
    let ids: Vec<String> = b.checkpoints.keys().cloned().collect();
    let certified = ids
        .iter()
        .find(|k| k.starts_with("certified"))
        .cloned()
        .unwrap_or_default();
    s.verify(
        meta("checkpoint-consistency-rolled-back", "checkpoint-consistency", "§6", "a record cut short after a checkpoint was seen", "The tallied record checked against the later certified checkpoint: the log is shorter than what was signed."),
        b.record("board/tallied"),
        vec![b.checkpoint(&certified)],
    );
    let mut r = cert();
    let n = r.entries().len();
    r.checkpoints()[6]["size"] = json!(n + 3);
    r.resign_checkpoints(&el.key);
    s.verify(
        meta(
            "checkpoint-consistency-too-large",
            "checkpoint-consistency",
            "§10 checkpoint-consistency",
            "1 ≤ size ≤ log size",
            "A record checkpoint covering more entries than the log has.",
        ),
        text(&r),
        vec![],
    );
    let mut r = cert();
    r.checkpoints()[2]["election"] = json!(e.weighted.id.clone());
    r.resign_checkpoints(&el.key);
    s.verify(
        meta(
            "checkpoint-consistency-election",
            "checkpoint-consistency",
            "§10 checkpoint-consistency",
            "a checkpoint names the election",
            "A record checkpoint naming another election.",
        ),
        text(&r),
        vec![],
    );
    let mut r = cert();
    r.checkpoints().swap(1, 2);
    s.verify(
        meta(
            "checkpoint-consistency-order",
            "checkpoint-consistency",
            "§8, §10 checkpoint-consistency",
            "record checkpoints in order of size",
            "Two record checkpoints swapped.",
        ),
        text(&r),
        vec![],
    );

    let mut r = cert();
    let at = r
        .checkpoints()
        .iter()
        .position(|c| c["reason"] == "closed")
        .expect("a closed checkpoint");
    r.checkpoints().remove(at);
    s.verify(
        meta(
            "checkpoint-coverage-missing",
            "checkpoint-coverage",
            "§6, §10 checkpoint-coverage",
            "a checkpoint for every polls_opened, seal, polls_closed, tallied, certified",
            "The checkpoint signed at the close removed.",
        ),
        text(&r),
        vec![],
    );
    let mut r = cert();
    let dup = r.v["checkpoints"][5].clone();
    r.checkpoints().insert(5, dup);
    s.verify(
        meta(
            "checkpoint-coverage-duplicate",
            "checkpoint-coverage",
            "§6, §10 checkpoint-coverage",
            "extra/duplicate checkpoint",
            "The tallied checkpoint appears twice in the record.",
        ),
        text(&r),
        vec![],
    );
    let mut r = cert();
    let at = r.find("schedule_changed", 0);
    let mut extra = r.v["checkpoints"][1].clone();
    extra["size"] = json!(at + 1);
    extra["reason"] = json!("sealed");
    r.checkpoints().insert(2, extra);
    r.resign_checkpoints(&el.key);
    s.verify(
        meta(
            "checkpoint-coverage-extra",
            "checkpoint-coverage",
            "§6, §10 checkpoint-coverage",
            "extra/duplicate checkpoint",
            "An extra record checkpoint, correctly signed, at the schedule_changed entry.",
        ),
        text(&r),
        vec![],
    );
    let mut r = cert();
    let at = r
        .checkpoints()
        .iter()
        .position(|c| c["reason"] == "closed")
        .expect("a closed checkpoint");
    r.checkpoints()[at]["reason"] = json!("sealed");
    r.resign_checkpoints(&el.key);
    s.verify(
        meta(
            "checkpoint-coverage-wrong-reason",
            "checkpoint-coverage",
            "§6, §10 checkpoint-coverage",
            "wrong reason",
            "The checkpoint at polls_closed says `sealed`, signed as such.",
        ),
        text(&r),
        vec![],
    );
}

fn ballots(s: &mut Suite, e: &Elections) {
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
    let board_cases: Vec<(&str, &str, &str, Box<dyn Fn(&mut Value)>)> = vec![
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
            "ballot-validity-two-write-ins-one-key",
            "§4 rule 2.6",
            "one name written in twice",
            Box::new(|b| b["choices"]["treasurer"] = json!(["write-in:Jo Bloggs", "write-in:JO BLOGGS"])),
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
    let weighted_cases: Vec<(&str, &str, &str, Box<dyn Fn(&mut Value)>)> = vec![
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

fn counts(s: &mut Suite, e: &Elections) {
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

fn certification(s: &mut Suite, e: &Elections) {
    let el = &e.board;
    let section = "§8a, §10 certification";
    let cert = || el.records["certified"].clone();
    let id = el.id.clone();
    let digest = cert().tally_digest().expect("a tally");

    let mut r = cert();
    let at = r.find("certification", 1);
    r.log()[at]["data"]["signature"] = json!(certifier_key(2).sign(&canonical(&statement(&id, &digest))));
    r.fix(&el.key, &[]);
    s.verify(
        meta(
            "certification-wrong-key",
            "certification",
            section,
            "wrong key",
            "A certification entry names certifier 2's key but was signed by certifier 3's.",
        ),
        text(&r),
        vec![],
    );
    let mut r = cert();
    let at = r.find("certification", 1);
    let a = attacker();
    r.log()[at]["data"]["public_key"] = json!(a.public_hex());
    r.log()[at]["data"]["signature"] = json!(a.sign(&canonical(&statement(&id, &digest))));
    r.fix(&el.key, &[]);
    s.verify(
        meta(
            "certification-unregistered-key",
            "certification",
            section,
            "unregistered key",
            "A certification correctly signed by a key nobody registered.",
        ),
        text(&r),
        vec![],
    );
    let mut r = cert();
    let at = r.find("certification", 1);
    r.log()[at]["data"]["certifier"] = json!("Someone Else");
    r.fix(&el.key, &el.certifiers);
    s.verify(
        meta(
            "certification-name-mismatch",
            "certification",
            section,
            "certifier name mismatch",
            "A certification whose certifier name differs from the one registered with its key.",
        ),
        text(&r),
        vec![],
    );
    let r0 = cert();
    let at = r0.find("certification", 0);
    let data = r0.entries()[at]["data"].clone();
    let r = with_entry(el, r0, at + 1, "certification", data);
    s.verify(
        meta(
            "certification-signed-twice",
            "certification",
            section,
            "key signed twice",
            "The first certifier's signature logged twice.",
        ),
        text(&r),
        vec![],
    );
    let mut r = cert();
    let at = r.find("certification", 1);
    r.remove_entry(at);
    for cp in r.checkpoints().iter_mut() {
        let size = cp["size"].as_u64().unwrap_or(0);
        if size as usize > at {
            cp["size"] = json!(size - 1);
        }
    }
    r.fix(&el.key, &el.certifiers);
    s.verify(
        meta(
            "certification-without-quorum",
            "certification",
            section,
            "certified without quorum",
            "One signature of the two needed removed; certified still follows.",
        ),
        text(&r),
        vec![],
    );
    let mut r = cert();
    let at = r.find("certified", 0);
    r.log()[at]["data"]["quorum"] = json!(1);
    r.fix(&el.key, &el.certifiers);
    s.verify(
        meta(
            "certification-quorum-changed",
            "certification",
            section,
            "certified names the opening quorum",
            "certified claims a quorum of 1; the polls opened with 2.",
        ),
        text(&r),
        vec![],
    );
    let mut r = cert();
    let at = r.find("polls_opened", 0);
    r.log()[at]["data"]["certification_quorum"] = json!(4);
    let at = r.find("certified", 0);
    r.log()[at]["data"]["quorum"] = json!(4);
    r.fix(&el.key, &el.certifiers);
    s.verify(
        meta(
            "certification-quorum-exceeds-keys",
            "certification",
            section,
            "the quorum did not exceed the registered keys",
            "A quorum of 4 with 3 registered certifiers.",
        ),
        text(&r),
        vec![],
    );
    let mut r = cert();
    let at = r.find("certification", 0);
    r.log()[at]["data"]["signature"] = json!(certifier_key(0).sign(&canonical(&statement(&id, &"0".repeat(64)))));
    r.fix(&el.key, &[]);
    s.verify(
        meta(
            "certification-other-result",
            "certification",
            section,
            "signature over this election's statement",
            "The first certifier's signature is over another tally digest.",
        ),
        text(&r),
        vec![],
    );
}

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

fn tally(s: &mut Suite, e: &Elections) {
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
    let board_changes: Vec<(&str, &str, &str, Box<dyn Fn(&mut Value)>)> = vec![
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
    let weighted_changes: Vec<(&str, &str, &str, &str, Box<dyn Fn(&mut Value)>)> = vec![
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

fn receipts(s: &mut Suite, e: &Elections, b: &Bases) {
    let el = &e.board;
    let record = || b.record("board/certified");
    let receipt = || el.receipts["seal-1"].clone();
    let section = "§7, §10";
    let sign_election = |r: &mut Value| resign_with(r, &|bytes| el.key.sign(bytes));
    let retrack = |r: &mut Value| {
        let t = sha256_hex(&[&canonical(&r["ballot"])]);
        r["tracker"] = json!(t);
    };

    let mut r = receipt();
    let sig = r["signature"].as_str().unwrap_or_default().to_string();
    r["signature"] = json!(flip(&sig));
    s.receipt(
        meta(
            "receipt-signature-altered",
            "receipt-signature",
            section,
            "the receipt is signed",
            "The receipt's signature altered.",
        ),
        object(&r),
        record(),
    );
    let mut r = receipt();
    r["ballot"]["choices"]["bylaw-amendment-7"] = json!(["no"]);
    s.receipt(
        meta(
            "receipt-signature-ballot-changed",
            "receipt-signature",
            section,
            "the tracker is its ballot's hash",
            "The receipt's ballot changed; tracker and signature left.",
        ),
        object(&r),
        record(),
    );
    let mut r = receipt();
    r["format"] = json!("teller-receipt/2");
    sign_election(&mut r);
    s.receipt(
        meta(
            "receipt-signature-format",
            "receipt-signature",
            section,
            "receipt format",
            "A receipt whose format is teller-receipt/2, signed by the election key.",
        ),
        object(&r),
        record(),
    );
    let mut r = receipt();
    r["ballot"]["election"] = json!(e.weighted.id.clone());
    retrack(&mut r);
    sign_election(&mut r);
    s.receipt(
        meta(
            "receipt-signature-ballot-election",
            "receipt-signature",
            section,
            "the ballot names the receipt's election",
            "A receipt whose ballot names another election, tracker and signature redone.",
        ),
        object(&r),
        record(),
    );
    s.receipt(
        meta(
            "receipt-election-other",
            "receipt-election",
            section,
            "the receipt is the record's election's",
            "A valid receipt of the weighted election against the board's record.",
        ),
        b.receipt("weighted/weight-2.5"),
        record(),
    );
    let mut r = receipt();
    let a = attacker();
    r["public_key"] = json!(a.public_hex());
    resign_with(&mut r, &|bytes| a.sign(bytes));
    s.receipt(
        meta(
            "receipt-election-key",
            "receipt-election",
            section,
            "the receipt is signed by the record's key",
            "A receipt signed, validly, by another key than the election's.",
        ),
        object(&r),
        record(),
    );
    let mut r = el.receipts["seal-2"].clone();
    r["seal"] = json!(1);
    sign_election(&mut r);
    s.receipt(
        meta("receipt-inclusion-late", "receipt-inclusion", section, "the ballot precedes the promised seal", "A receipt promising seal 1 for a ballot sealed in seal 2, signed by the election key: the service broke its promise."),
        object(&r),
        record(),
    );
    let mut r = receipt();
    r["ballot"]["nonce"] = json!("ffeeddccbbaa99887766554433221100");
    retrack(&mut r);
    sign_election(&mut r);
    s.receipt(
        meta(
            "receipt-inclusion-missing",
            "receipt-inclusion",
            section,
            "the ballot is in the log",
            "A receipt signed by the election key for a ballot the log never had.",
        ),
        object(&r),
        record(),
    );
    let mut r = el.receipts["waiting"].clone();
    r["seal"] = json!(9);
    sign_election(&mut r);
    s.receipt(
        meta(
            "receipt-inclusion-seal-never-made",
            "receipt-inclusion",
            section,
            "a promised seal must happen",
            "A receipt promising seal 9, against the closed record: the polls closed without it.",
        ),
        object(&r),
        b.record("board/closed"),
    );
    // receipt-content cannot fail alone: a published ballot that differs from
    // the receipt's has another tracker, which ballot-tracker catches first.
    let mut rec = el.records["certified"].clone();
    let tracker = receipt()["tracker"].clone();
    let i = rec.v["ballots"]
        .as_array()
        .and_then(|bs| bs.iter().position(|b| b["tracker"] == tracker))
        .expect("the receipt's ballot is published");
    rec.ballots()[i]["choices"]["bylaw-amendment-7"] = json!(["no"]);
    s.receipt(
        meta("receipt-content-changed", "ballot-tracker", section, "the published ballot is the receipt's", "The published ballot with the receipt's tracker has other choices. receipt-content fails too, after ballot-tracker.")
            .also("receipt-content"),
        Src::Shared(b.receipts["board/seal-1"].clone()),
        text(&rec),
    );
}
