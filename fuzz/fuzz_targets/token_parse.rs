//! `token_parse`: see `teller_fuzz::token_parse` and docs/FUZZING.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| teller_fuzz::token_parse(data));
