//! `record_verify`: see `teller_fuzz::record_verify` and docs/FUZZING.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| teller_fuzz::record_verify(data));
