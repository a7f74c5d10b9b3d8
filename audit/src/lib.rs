//! Teller's public face: the formats it publishes, the offline verifier, and
//! the counting methods.
//!
//! An auditor builds only this crate. It depends on no web framework and no
//! database; the service depends on it to produce exactly what it verifies.
//! `FORMAT.md` beside this crate is the specification.
#![forbid(unsafe_code)]

pub mod ballot;
pub mod canonical;
pub mod certify;
pub mod checkpoint;
pub mod cosignature;
pub mod count;
pub mod crypto;
pub mod definition;
pub mod encrypted;
pub mod http;
pub mod inclusion;
pub mod log;
pub mod merkle;
pub mod monitor;
pub mod names;
pub mod note;
pub mod pipe;
pub mod receipt;
pub mod record;
pub mod tally;
pub mod tiles;
pub mod trustees;
pub mod verify;
pub mod witness;
