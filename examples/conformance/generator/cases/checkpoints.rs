//! `checkpoint-signature`, `checkpoint-consistency`, `checkpoint-coverage`
//! (FORMAT.md §6).

use super::*;

pub(super) fn cases(s: &mut Suite, e: &Elections, b: &Bases) {
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
