//! `format`: what cannot be read strictly — unknown members, duplicate keys,
//! non-canonical spellings, other versions — in records, receipts and
//! checkpoint files (FORMAT.md §1, §2, §8).

use super::*;

pub(super) fn cases(s: &mut Suite, e: &Elections, b: &Bases) {
    let el = &e.board;
    let cert = || el.records["certified"].clone();
    let section = "§1 strict reading 6, §10 format";

    let mut r = cert();
    r.v["format"] = json!("teller-record/1");
    s.verify(
        meta(
            "format-record-v1",
            "format",
            "§1 strict reading 6, §13",
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
            "§1 strict reading 2, §8",
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
            "§1 strict reading 2, §5",
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
        meta("format-unknown-data-member", "format", "§1 strict reading 2, §5", "unknown member in `data`", "A seal entry's data has an extra member; the chain is recomputed over it, so only the unknown member is wrong.").at(&format!("log[{at}].data.extra")),
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
            "§1 strict reading 2, §6",
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
            "§1 strict reading 2, §4",
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
            "§1 strict reading 4, §2 rule 2",
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
            "§1 strict reading 4, §2 rule 2",
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
            "§1 strict reading 4, §2 rule 2",
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
            "§1 Hex, §1 strict reading 6",
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
            "§1 Hex, §1 strict reading 6",
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
            "§1 Hex, §1 strict reading 6, §8a",
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
                "§1 strict reading 6, §4 weight",
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
            "§1 Identifiers, §1 strict reading 6",
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
            "§1 strict reading 5",
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
            "§1 strict reading 5, §2 rule 3",
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
            "§1 strict reading 1",
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
            "§1 strict reading 3, §8",
            "missing member",
            "The record has no `counts`.",
        )
        .at("counts"),
        Src::Text(render_record(&r.v).replacen(&format!(",\n\"counts\":{members}"), "", 1)),
        vec![],
    );
    let r = cert();
    let full = render_record(&r.v);
    s.receipt(
        meta(
            "format-truncated-record-with-receipt",
            "format",
            "§1 strict reading 1, §10",
            "JSON syntax error",
            "A valid receipt against a record cut off in the middle: the record checks and the receipt checks are reported as not run.",
        ),
        b.receipt("board/seal-1"),
        Src::Text(full[..full.len() / 3].to_string()),
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
            "§1 strict reading 2, §7",
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
            "§1 Hex, §1 strict reading 6, §7",
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
            "§1 Hex, §1 strict reading 6, §7",
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
            "§1 strict reading 4, §7",
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
            "§1 strict reading 2, §6",
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
            "§1 Hex, §1 strict reading 6, §6",
            "upper-case hex",
            "A checkpoint given with --checkpoint has its head in upper case, signed as written.",
        )
        .at("head"),
        b.record("board/certified"),
        vec![object(&cp)],
    );
}
