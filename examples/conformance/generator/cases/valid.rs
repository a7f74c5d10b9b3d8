//! Valid cases: every election in every state, receipts, checkpoints kept
//! from earlier.

use super::*;

pub(super) fn cases(s: &mut Suite, b: &Bases) {
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
