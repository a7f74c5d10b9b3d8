//! Replays every committed input — the seed corpora under `corpus/<target>/`
//! and the reproducers of past findings under `regressions/<target>/` —
//! through the same harnesses the fuzzers run, on a plain stable
//! `cargo test --manifest-path fuzz/Cargo.toml`.

use std::path::{Path, PathBuf};

use teller_audit::verify::{verify_receipt, verify_record};
use teller_fuzz::{fixtures, TARGETS};

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return vec![];
    };
    let mut out: Vec<PathBuf> = entries
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.is_file() && !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
        .collect();
    out.sort();
    out
}

fn replay(kind: &str) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(kind);
    let mut replayed = 0;
    let mut failed = Vec::new();
    for (name, harness) in TARGETS {
        for file in files(&root.join(name)) {
            let data = std::fs::read(&file).expect("readable");
            let outcome = std::panic::catch_unwind(|| harness(&data));
            if outcome.is_err() {
                failed.push(file.display().to_string());
            }
            replayed += 1;
        }
    }
    assert!(
        failed.is_empty(),
        "these inputs fail their harness:\n{}",
        failed.join("\n")
    );
    replayed
}

#[test]
fn every_seed_in_the_corpus_passes_its_harness() {
    let n = replay("corpus");
    assert!(n >= TARGETS.len(), "only {n} corpus files");
}

#[test]
fn every_past_finding_stays_fixed() {
    replay("regressions");
}

#[test]
fn every_target_has_a_seed_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for (name, _) in TARGETS {
        assert!(!files(&root.join(name)).is_empty(), "corpus/{name} is empty");
    }
}

#[test]
fn the_fixture_record_and_receipt_verify() {
    let f = fixtures::fixture();
    let report = verify_record(&f.record, &[]);
    assert!(report.ok(), "{report}");
    let report = verify_receipt(&f.receipt, &f.record);
    assert!(report.ok(), "{report}");
    assert!(f.receipt.problems().is_empty());
}
