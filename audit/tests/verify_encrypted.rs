//! `teller-audit verify` of an encrypted election's record
//! (docs/design/encrypted-ballots.md §16.11): a synthetic record verifies,
//! in memory, streamed and through the binary; each tampering fails the
//! check that names it.
#![allow(clippy::unwrap_used)]

#[path = "../examples/synth_encrypted.rs"]
#[allow(dead_code)]
mod synth;

use std::sync::OnceLock;

use synth::Synth;
use teller_audit::verify::{verify_record, verify_slice_receipts, Report, Status};

/// One valid record, built once (encrypting is slow in a debug build).
fn valid() -> &'static (Vec<u8>, Vec<u8>) {
    static VALID: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    VALID.get_or_init(|| {
        let s = synth::build(12, 2);
        (serde_json::to_vec(&s.record).unwrap(), s.pkcs8)
    })
}

fn fresh() -> Synth {
    let (bytes, pkcs8) = valid();
    Synth {
        record: serde_json::from_slice(bytes).unwrap(),
        pkcs8: pkcs8.clone(),
    }
}

fn streamed(s: &Synth) -> Report {
    let bytes = serde_json::to_vec(&s.record).unwrap();
    verify_slice_receipts(&bytes, "record.json", &[], &[]).unwrap().0
}

fn show(r: &Report) -> String {
    r.checks
        .iter()
        .map(|c| format!("{:?} {}: {} {:?}", c.status, c.name, c.summary, c.failures))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_synthetic_encrypted_record_verifies() {
    let s = fresh();
    for report in [verify_record(&s.record, &[]), streamed(&s)] {
        assert!(report.ok(), "{}", show(&report));
        for name in [
            "encryption-parameters",
            "ceremony-roster",
            "ceremony-messages",
            "ceremony-deals",
            "ceremony-exclusions",
            "joint-key",
            "verification-keys",
            "election-fingerprint",
            "ballot-elements",
            "ballot-proofs",
            "ballot-duplicates",
            "audited-ballots",
            "aggregate",
            "decryption-shares",
            "decryption-combined",
            "tally",
        ] {
            let c = report.check(name).unwrap_or_else(|| panic!("no check {name}"));
            assert_eq!(c.status, Status::Pass, "{name}: {}", show(&report));
        }
    }
}
