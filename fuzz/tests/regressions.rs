//! Replays every committed input through the same harnesses the fuzzers
//! run, on a plain stable `cargo test --manifest-path fuzz/Cargo.toml`
//! (`teller_fuzz::replay`; CI runs the same from Teller's own workspace,
//! `tests/suite/fuzz_corpus.rs`).

use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_seed_in_the_corpus_passes_its_harness() {
    teller_fuzz::replay::corpus(root());
}

#[test]
fn every_past_finding_stays_fixed() {
    teller_fuzz::replay::regressions(root());
}

#[test]
fn the_fixture_record_and_receipt_verify() {
    teller_fuzz::replay::fixtures_verify();
}
