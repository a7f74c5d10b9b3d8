//! `ballot_files`: see `teller_fuzz::ballot_files` and docs/FUZZING.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| teller_fuzz::ballot_files(data));
