//! Generate Teller's conformance suite: real elections run through the
//! server's own operations, tampered copies of their records, the manifest
//! of expected outcomes, and the test vectors of FORMAT.md §12.
//!
//!     cargo run --example conformance -- audit/conformance
//!
//! With `--check`, also verify every case with `teller-audit` (the library)
//! and list those whose outcome differs from the manifest.

mod generator;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut dir = None;
    let mut check = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--check" => check = true,
            other if dir.is_none() => dir = Some(PathBuf::from(other)),
            other => {
                eprintln!("usage: conformance [--check] DIR (unexpected {other:?})");
                return ExitCode::from(2);
            }
        }
    }
    let Some(dir) = dir else {
        eprintln!("usage: conformance [--check] DIR");
        return ExitCode::from(2);
    };
    let n = generator::generate(&dir);
    println!("wrote {n} cases and the test vectors to {}", dir.display());
    if check {
        let wrong = generator::mismatches(&dir);
        for (id, expected, got) in &wrong {
            println!("  {id}: expected {expected}, teller-audit says {got}");
        }
        println!("{} of {n} cases give their expected outcome", n - wrong.len());
    }
    ExitCode::SUCCESS
}
