//! Teller's public face: formats, verification and counting.
#![forbid(unsafe_code)]

pub mod count;
