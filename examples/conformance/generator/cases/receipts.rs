//! The receipt checks (FORMAT.md §7).

use super::*;

pub(super) fn cases(s: &mut Suite, e: &Elections, b: &Bases) {
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
