//! A receipt's inclusion proof (FORMAT.md §7a): a few hundred bytes that
//! show, without the record, that the receipt's ballot is in the log before
//! the seal it promised, in a tree the election key signed (§6a).

use serde::{Deserialize, Serialize};

use crate::canonical;
use crate::cosignature::{self, WitnessKey};
use crate::crypto::Digest;
use crate::log::{Event, LogEntry};
use crate::merkle;
use crate::note::TreeCheckpoint;
use crate::receipt::Receipt;
use crate::verify::Report;

/// The `format` of an inclusion proof.
pub const INCLUSION_FORMAT: &str = "teller-inclusion/2";

/// The checks `teller-audit verify-receipt RECEIPT --proof PROOF` runs, in
/// order (§10).
pub const PROOF_CHECKS: &[&str] = &[
    "format",
    "receipt-signature",
    "proof-checkpoint",
    "receipt-inclusion",
    "proof-witnesses",
];

/// An inclusion proof, as served at
/// `/api/v1/elections/{id}/receipts/{tracker}/proof`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionProof {
    /// Always `teller-inclusion/2`.
    pub format: String,
    /// The election.
    #[serde(deserialize_with = "canonical::election_id")]
    pub election: String,
    /// The ballot's log entry.
    pub entry: LogEntry,
    /// Its inclusion proof in the checkpoint's tree (§5a), lowest first.
    pub proof: Vec<Digest>,
    /// The log entry of the seal the receipt promised.
    pub seal_entry: LogEntry,
    /// Its inclusion proof in the same tree.
    pub seal_proof: Vec<Digest>,
    /// The log's `polls_opened` entry, which names the witnesses (§6b).
    pub opened_entry: LogEntry,
    /// Its inclusion proof in the same tree.
    pub opened_proof: Vec<Digest>,
    /// The tree checkpoint, a signed note (§6a).
    pub checkpoint: String,
}

/// The report when the receipt or the proof (`what`) cannot be read:
/// `format` fails with `failure`, the other checks are not run.
pub fn unreadable(failure: String, what: &str) -> Report {
    let mut report = Report::default();
    report.push_list("format", "the receipt and the proof are well-formed", vec![failure]);
    for name in &PROOF_CHECKS[1..] {
        report.skip(name, format!("not run: the {what} could not be read"));
    }
    report
}

/// Check `receipt` with `proof` alone: its signature, the checkpoint's
/// signature by the receipt's key, and the ballot and seal entries'
/// inclusion in the checkpoint's tree.
pub fn verify_receipt_with_proof(receipt: &Receipt, proof: &InclusionProof) -> Report {
    let body = &receipt.body;
    let mut report = Report::default();
    let mut format = Vec::new();
    if proof.format != INCLUSION_FORMAT {
        format.push(format!(
            "§7a: the proof's format: expected {INCLUSION_FORMAT:?}, found {:?}",
            proof.format
        ));
    }
    report.push_list("format", "the receipt and the proof are well-formed", format);
    let own: Vec<String> = receipt.problems().iter().map(|p| format!("§7: {p}")).collect();
    report.push_list(
        "receipt-signature",
        "the receipt is signed and its tracker is its ballot's hash",
        own,
    );

    let checkpoint = if proof.election != body.election {
        Err(format!(
            "§7a: expected the receipt's election {}, found a proof for {}",
            body.election, proof.election
        ))
    } else {
        TreeCheckpoint::open(&proof.checkpoint, &body.election, &body.public_key).map_err(|e| e.to_string())
    };
    let checkpoint = match checkpoint {
        Ok(c) => {
            report.push_list(
                "proof-checkpoint",
                format!(
                    "the election key signed a log of {} entries with root {} ({})",
                    c.size, c.root, c.origin
                ),
                vec![],
            );
            c
        }
        Err(e) => {
            report.push_list(
                "proof-checkpoint",
                "the election key signed the proof's checkpoint",
                vec![e],
            );
            report.skip("receipt-inclusion", "not run: the checkpoint is not the election's");
            report.skip("proof-witnesses", "not run: the checkpoint is not the election's");
            return report;
        }
    };

    let mut failures = Vec::new();
    match &proof.entry.event {
        Event::Ballot { tracker } if *tracker == body.tracker => {}
        _ => failures.push(format!(
            "§7a: entry {}: expected the ballot entry with tracker {}, found another entry",
            proof.entry.seq, body.tracker
        )),
    }
    match &proof.seal_entry.event {
        Event::Seal { seal, .. } if *seal == body.seal => {}
        _ => failures.push(format!(
            "§7a: entry {}: expected the entry of seal {}, found another entry",
            proof.seal_entry.seq, body.seal
        )),
    }
    if proof.seal_entry.seq <= proof.entry.seq {
        failures.push(format!(
            "§7: expected the ballot (entry {}) before seal {} (entry {}): the service broke its promise",
            proof.entry.seq, body.seal, proof.seal_entry.seq
        ));
    }
    for (what, entry, path) in [
        ("ballot", &proof.entry, &proof.proof),
        ("seal", &proof.seal_entry, &proof.seal_proof),
    ] {
        let leaf = merkle::leaf_hash(&entry.canonical_bytes());
        if let Err(e) = merkle::verify_inclusion(entry.seq, checkpoint.size, &leaf, path, &checkpoint.root) {
            failures.push(format!(
                "§5a: the {what} entry {} is not proved in the log of {} entries: {e}",
                entry.seq, checkpoint.size
            ));
        }
    }
    let summary = if failures.is_empty() {
        format!(
            "the ballot is entry {}, sealed by seal {} (entry {}) as promised, in that log",
            proof.entry.seq, body.seal, proof.seal_entry.seq
        )
    } else {
        "the ballot is in the signed log by the promised seal".to_string()
    };
    report.push_list("receipt-inclusion", summary, failures);
    let (summary, failures) = witnesses(proof, &checkpoint);
    report.push_list("proof-witnesses", summary, failures);
    report
}

/// §6b, §7a: the `polls_opened` entry is in the tree before the ballot,
/// and at least its quorum of the witnesses it names co-signed the note.
fn witnesses(proof: &InclusionProof, checkpoint: &TreeCheckpoint) -> (String, Vec<String>) {
    let opened = &proof.opened_entry;
    let Event::PollsOpened {
        witnesses,
        witness_quorum,
        ..
    } = &opened.event
    else {
        return (
            "the witnesses named at the opening co-signed the checkpoint".into(),
            vec![format!(
                "§7a: entry {}: expected the polls_opened entry, found a {} entry",
                opened.seq,
                opened.event.kind()
            )],
        );
    };
    let mut failures = Vec::new();
    let leaf = merkle::leaf_hash(&opened.canonical_bytes());
    if let Err(e) = merkle::verify_inclusion(
        opened.seq,
        checkpoint.size,
        &leaf,
        &proof.opened_proof,
        &checkpoint.root,
    ) {
        failures.push(format!(
            "§5a: the polls_opened entry {} is not proved in the log of {} entries: {e}",
            opened.seq, checkpoint.size
        ));
    }
    if opened.seq >= proof.entry.seq {
        failures.push(format!(
            "§7a: expected the polls_opened entry before the ballot (entry {}), found it at entry {}",
            proof.entry.seq, opened.seq
        ));
    }
    let policy = witnesses.as_deref().unwrap_or_default();
    let quorum = witness_quorum.unwrap_or(0);
    for problem in crate::log::policy_problems(policy, quorum) {
        failures.push(format!("§5 rule 8: entry {} (polls_opened): {problem}", opened.seq));
    }
    if !failures.is_empty() {
        return (
            "the witnesses named at the opening co-signed the checkpoint".into(),
            failures,
        );
    }
    if policy.is_empty() {
        return (
            "the election names no witnesses: only the election key vouches for this log (keep checkpoints, or compare them with others', to rule out a forked log)".into(),
            vec![],
        );
    }
    let keys: Vec<WitnessKey> = policy
        .iter()
        .map(|w| WitnessKey {
            name: w.name.clone(),
            key: w.key.0,
        })
        .collect();
    let signed = cosignature::count_valid(&keys, &checkpoint.text(), &proof.checkpoint);
    let named = |list: &[String]| {
        if list.is_empty() {
            "none".to_string()
        } else {
            list.join(", ")
        }
    };
    let all: Vec<String> = keys.iter().map(|k| format!("{} ({})", k.name, k.vkey())).collect();
    let summary = format!(
        "co-signed by {} of the {} witnesses named at the opening (quorum {quorum}): {}; named: {}",
        signed.len(),
        keys.len(),
        named(&signed),
        all.join(", ")
    );
    if signed.len() < quorum as usize {
        failures.push(format!(
            "§6b: expected cosignatures of at least {quorum} of the named witnesses, found {} ({}): fetch the proof again once the witnesses have co-signed a checkpoint that holds the seal",
            signed.len(),
            named(&signed)
        ));
    }
    (summary, failures)
}

/// The inclusion proof of the ballot with `tracker`, of seal `seal` and of
/// the `polls_opened` entry in the tree of the log's first `size` entries
/// (`tree` holds at least those), with `note`, the signed note of that
/// checkpoint (with any cosignatures). `entries` are log entries that
/// include those three (the whole log, or just them); `None` when any is
/// not among them below `size`.
pub fn prove(
    entries: &[LogEntry],
    tree: &merkle::Tree,
    election: &str,
    tracker: &Digest,
    seal: u64,
    size: u64,
    note: String,
) -> Option<InclusionProof> {
    let within = entries.iter().filter(|e| e.seq < size);
    let find = |test: &dyn Fn(&Event) -> bool| within.clone().find(|e| test(&e.event));
    let entry = find(&|e| matches!(e, Event::Ballot { tracker: t } if t == tracker))?;
    let seal_entry = find(&|e| matches!(e, Event::Seal { seal: s, .. } if *s == seal))?;
    let opened_entry = find(&|e| matches!(e, Event::PollsOpened { .. }))?;
    Some(InclusionProof {
        format: INCLUSION_FORMAT.into(),
        election: election.to_string(),
        proof: tree.inclusion_proof(entry.seq, size).ok()?,
        seal_proof: tree.inclusion_proof(seal_entry.seq, size).ok()?,
        opened_proof: tree.inclusion_proof(opened_entry.seq, size).ok()?,
        entry: entry.clone(),
        seal_entry: seal_entry.clone(),
        opened_entry: opened_entry.clone(),
        checkpoint: note,
    })
}
