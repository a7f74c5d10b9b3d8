//! The fuzz targets' committed inputs (`fuzz/corpus/`, and the reproducers
//! of past findings in `fuzz/regressions/`) replayed through their harnesses
//! (`fuzz/src/lib.rs`, included here as the module `teller_fuzz`), without a
//! fuzzer: docs/FUZZING.md. Run here, in Teller's workspace, so that CI
//! builds nothing twice; `cargo test --manifest-path fuzz/Cargo.toml` runs
//! the same.

use std::path::{Path, PathBuf};

use crate::teller_fuzz::replay;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

#[test]
fn every_seed_in_the_corpus_passes_its_harness() {
    replay::corpus(&root());
}

#[test]
fn every_past_finding_stays_fixed() {
    replay::regressions(&root());
}

#[test]
fn the_fixture_record_and_receipt_verify() {
    replay::fixtures_verify();
}
