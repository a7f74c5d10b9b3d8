//! `roll_csv`: see `teller_fuzz::roll_csv` and docs/FUZZING.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| teller_fuzz::roll_csv(data));
