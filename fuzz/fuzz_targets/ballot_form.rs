//! `ballot_form`: see `teller_fuzz::ballot_form` and docs/FUZZING.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| teller_fuzz::ballot_form(data));
