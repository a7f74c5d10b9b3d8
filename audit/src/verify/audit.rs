//! `teller-audit verify-audit FILE [--record RECORD]`: check an audited
//! (spoiled) encrypted ballot (docs/design/encrypted-ballots.md §16.10):
//! that the device encrypted exactly the choices it shows, under this
//! election's key, with valid proofs; and, given the record, that the
//! ballot is this election's and was logged as audited.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::report::Report;
use crate::encrypted::audited::{self, AuditedBallot, AUDITED_BALLOT_FORMAT};
use crate::encrypted::ballot::BallotShape;
use crate::encrypted::batch::Bases;
use crate::encrypted::cast::CastContext;
use crate::encrypted::elgamal::EncryptionKey;
use crate::encrypted::fingerprint::{short, FingerprintInput};
use crate::encrypted::group::OsRandom;
use crate::log::{ChainedEntry, Event};
use crate::record::ElectionInfo;

/// The checks of `verify-audit`, in order (§16.10's table).
pub const AUDIT_CHECKS: &[&str] = &[
    "format",
    "audit-fingerprint",
    "audit-tracker",
    "audit-proofs",
    "audit-opening",
    "audit-record",
];

/// What `verify-audit` needs of a record: its election and its log (the
/// rest is skipped while reading, so a large record costs little memory).
/// It is compared, not verified: `teller-audit verify` verifies the record.
#[derive(Debug, Deserialize)]
pub struct RecordSummary {
    /// The election and its definition.
    pub election: ElectionInfo,
    /// The log.
    pub log: Vec<ChainedEntry>,
}

/// The report, and the choices the ballot decrypts to in the definition's
/// words (when it opens).
#[derive(Debug)]
pub struct AuditReport {
    /// The checks.
    pub report: Report,
    /// One line per contest: `Title: Name, Name`.
    pub choices: Vec<String>,
    /// The choices by contest and option id.
    pub choice_ids: BTreeMap<String, Vec<String>>,
}

impl AuditReport {
    /// The JSON report (FORMAT.md §10's form) with the choices added.
    pub fn to_json(&self) -> serde_json::Value {
        let mut json = self.report.to_json();
        json["choices"] = serde_json::json!(self.choice_ids);
        json
    }
}

/// Every check of §16.10 on `file` (or the reason it could not be read),
/// against `record` when given.
pub fn verify_audit(file: Result<AuditedBallot, String>, record: Option<Result<RecordSummary, String>>) -> AuditReport {
    let mut report = Report::default();
    let skip_rest = |report: &mut Report, why: &str| {
        for name in &AUDIT_CHECKS[1..] {
            report.skip(name, why.to_string());
        }
    };
    let a = match file {
        Ok(a) => a,
        Err(failure) => {
            report.push_list("format", "the audited ballot is well-formed", vec![failure]);
            skip_rest(&mut report, "not run: the audited ballot could not be read");
            return AuditReport {
                report,
                choices: vec![],
                choice_ids: BTreeMap::new(),
            };
        }
    };
    let mut format = Vec::new();
    if a.format != AUDITED_BALLOT_FORMAT {
        format.push(format!(
            "format: expected {AUDITED_BALLOT_FORMAT:?}, found {:?}",
            a.format
        ));
    }
    for p in a.definition.soundness() {
        format.push(format!("§3 rule {}: definition: {}", p.rule, p.message));
    }
    let shape = BallotShape::of(&a.definition);
    let key = EncryptionKey::new(a.encryption.joint_key);
    let keys: Vec<(u32, crate::encrypted::group::Element)> = a
        .encryption
        .verification_keys
        .iter()
        .map(|k| (k.trustee, k.key))
        .collect();
    let fp = FingerprintInput {
        election: &a.ballot.election,
        definition_hash: a.definition.hash(),
        threshold: a.encryption.threshold,
        joint_key: a.encryption.joint_key,
        verification_keys: &keys,
    }
    .fingerprint();
    let (shape, key) = match (shape, key) {
        (Ok(shape), Ok(key)) => (shape, key),
        (Err(u), _) => {
            format.push(format!(
                "§14.8: contest {:?} cannot be encrypted: {}",
                u.contest, u.message
            ));
            report.push_list("format", "the audited ballot is well-formed", format);
            skip_rest(&mut report, "not run: the definition cannot be encrypted");
            return AuditReport {
                report,
                choices: vec![],
                choice_ids: BTreeMap::new(),
            };
        }
        (_, Err(_)) => {
            format.push("encryption.joint_key: the identity is not a key".into());
            report.push_list("format", "the audited ballot is well-formed", format);
            skip_rest(&mut report, "not run: the joint key is not a key");
            return AuditReport {
                report,
                choices: vec![],
                choice_ids: BTreeMap::new(),
            };
        }
    };
    let bases = Bases::new(&a.encryption.joint_key);
    let ctx = CastContext {
        election: &a.ballot.election,
        fingerprint: fp,
        shape: &shape,
        bases: &bases,
    };
    let shape_ok = match ctx.check_shape(&a.ballot) {
        Ok(()) => true,
        Err(e) => {
            format.push(format!("ballot.{}: {e}", e.path().unwrap_or("")));
            false
        }
    };
    report.push_list(
        "format",
        "the audited ballot is well-formed and has the shape of its definition",
        format,
    );
    let fp_failures = if fp == a.ballot.fingerprint {
        vec![]
    } else {
        vec![format!(
            "§14.7: ballot.fingerprint: expected {fp} (recomputed from the election, definition and encryption), found {}",
            a.ballot.fingerprint
        )]
    };
    report.push_list(
        "audit-fingerprint",
        format!(
            "fingerprint {} (compare with the one the election's page publishes)",
            short(&fp)
        ),
        fp_failures,
    );
    report.push_list(
        "audit-tracker",
        format!("tracker {}", a.tracker),
        audited::tracker_problem(&a.ballot, &a.tracker).into_iter().collect(),
    );
    if shape_ok {
        report.push_list(
            "audit-proofs",
            "every selection and contest proof verifies",
            audited::proofs_problem(&ctx, &a.ballot, &mut OsRandom)
                .into_iter()
                .collect(),
        );
        report.push_list(
            "audit-opening",
            "the seed opens every ciphertext to the choices shown",
            audited::opening_problem(
                &shape,
                &key,
                &a.ballot,
                &crate::encrypted::nonces::BallotSeed::from_bytes(a.seed.0),
                &a.choices,
            )
            .into_iter()
            .collect(),
        );
    } else {
        report.skip(
            "audit-proofs",
            "not run: the ballot does not have its definition's shape",
        );
        report.skip(
            "audit-opening",
            "not run: the ballot does not have its definition's shape",
        );
    }
    match record {
        None => report.skip("audit-record", "no record given (--record RECORD)"),
        Some(Err(failure)) => report.push_list("audit-record", "the record holds this audited ballot", vec![failure]),
        Some(Ok(r)) => report.push_list(
            "audit-record",
            "the record's election, definition and encryption are the file's, and its log has the audited entry (verify the record itself with teller-audit verify)",
            record_problems(&a, &r),
        ),
    }
    let opened = report
        .check("audit-opening")
        .is_some_and(|c| c.status == super::Status::Pass);
    let (choices, choice_ids) = if opened {
        (audited::choices_in_words(&a.definition, &a.choices), a.choices.clone())
    } else {
        (vec![], BTreeMap::new())
    };
    AuditReport {
        report,
        choices,
        choice_ids,
    }
}

/// `audit-record`: what differs between the file and the record.
fn record_problems(a: &AuditedBallot, r: &RecordSummary) -> Vec<String> {
    let mut out = Vec::new();
    if r.election.id != a.ballot.election {
        out.push(format!(
            "the record is of election {}, the ballot of {}",
            r.election.id, a.ballot.election
        ));
    }
    if r.election.definition != a.definition {
        out.push("the record's definition is not the file's".into());
    }
    let mut opened = None;
    let mut completed = None;
    let mut logged = None;
    for e in &r.log {
        match &e.entry.event {
            Event::PollsOpened {
                encryption: Some(Some(enc)),
                ..
            } => opened = Some(enc.clone()),
            Event::CeremonyCompleted { verification_keys, .. } => completed = Some(verification_keys.clone()),
            Event::Audited { tracker } if *tracker == a.tracker => logged = Some(e.entry.seq),
            _ => {}
        }
    }
    match opened {
        Some(enc) => {
            if enc.joint_key != a.encryption.joint_key || enc.threshold != a.encryption.threshold {
                out.push("the record's joint key or threshold (polls_opened.encryption) is not the file's".into());
            }
            if enc.fingerprint != a.ballot.fingerprint {
                out.push(format!(
                    "the record's fingerprint is {}, the ballot's {}",
                    enc.fingerprint, a.ballot.fingerprint
                ));
            }
        }
        None => out.push("the record's log opens no encrypted election".into()),
    }
    if completed.as_ref() != Some(&a.encryption.verification_keys) {
        out.push("the record's verification keys (ceremony_completed) are not the file's".into());
    }
    if logged.is_none() {
        out.push(format!(
            "the record's log has no audited entry with tracker {}",
            a.tracker
        ));
    }
    out
}
