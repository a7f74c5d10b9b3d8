//! `receipt_verify`: see `teller_fuzz::receipt_verify` and docs/FUZZING.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| teller_fuzz::receipt_verify(data));
