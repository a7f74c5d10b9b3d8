//! Replaying every committed input — the seed corpora under
//! `corpus/<target>/` and the reproducers of past findings under
//! `regressions/<target>/` — through the same harnesses the fuzzers run,
//! without a fuzzer. `fuzz/tests/regressions.rs` (in this workspace) and
//! `tests/suite/fuzz_corpus.rs` (in Teller's, which CI runs) both call these.

use std::path::{Path, PathBuf};

use teller_audit::verify::{verify_receipt, verify_record};

use super::{fixtures, TARGETS};

/// The files of `dir`, sorted, without hidden ones; none if it is missing.
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return vec![];
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
        .collect();
    out.sort();
    out
}

/// Replay `fuzz/<kind>/<target>/*` (`fuzz` is `root`) through each target's
/// harness; panics naming every input that fails. Returns how many ran.
pub fn replay(root: &Path, kind: &str) -> usize {
    let mut replayed = 0;
    let mut failed = Vec::new();
    for (name, harness) in TARGETS {
        for file in files(&root.join(kind).join(name)) {
            let outcome = match std::fs::read(&file) {
                Ok(data) => std::panic::catch_unwind(|| harness(&data)).is_ok(),
                Err(_) => false,
            };
            if !outcome {
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

/// Every seed of the corpus passes its harness, and there is at least one
/// per target.
pub fn corpus(root: &Path) {
    for (name, _) in TARGETS {
        assert!(
            !files(&root.join("corpus").join(name)).is_empty(),
            "corpus/{name} is empty"
        );
    }
    let n = replay(root, "corpus");
    assert!(n >= TARGETS.len(), "only {n} corpus files");
}

/// Every past finding's reproducer passes its harness: the finding stays
/// fixed.
pub fn regressions(root: &Path) {
    replay(root, "regressions");
}

/// The fixtures the harnesses check against are themselves valid: the
/// record and the receipt verify.
pub fn fixtures_verify() {
    let f = fixtures::fixture();
    let report = verify_record(&f.record, &[]);
    assert!(report.ok(), "{report}");
    let report = verify_receipt(&f.receipt, &f.record);
    assert!(report.ok(), "{report}");
    assert!(f.receipt.problems().is_empty());
}
