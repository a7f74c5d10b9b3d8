//! The conformance suite's generator (`examples/conformance`) still works:
//! it runs its elections through the server's operations, writes every
//! case, and each case gives the outcome its manifest entry promises when
//! `teller-audit` verifies it. The committed suite (`audit/conformance/`)
//! lists the same cases.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

#[path = "../examples/conformance/generator/mod.rs"]
mod generator;

use std::path::Path;

use serde_json::Value;

fn cases(dir: &Path) -> Vec<(String, String)> {
    let manifest: Value = serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    manifest["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["expected"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn the_generator_writes_every_case_with_the_outcome_it_promises() {
    let dir = tempfile::tempdir().unwrap();
    let n = generator::generate(dir.path());
    assert!(n >= 80, "only {n} cases");
    let wrong = generator::mismatches(dir.path());
    assert!(
        wrong.is_empty(),
        "{} of {n} generated cases do not give their expected outcome:\n{}",
        wrong.len(),
        wrong
            .iter()
            .map(|(id, expected, got)| format!("  {id}: expected {expected}, got {got}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("audit/conformance");
    assert_eq!(
        cases(&committed),
        cases(dir.path()),
        "the committed suite differs from what the generator makes: run `cargo run --example conformance -- audit/conformance`"
    );
}
