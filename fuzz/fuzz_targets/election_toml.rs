//! `election_toml`: see `teller_fuzz::election_toml` and docs/FUZZING.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| teller_fuzz::election_toml(data));
