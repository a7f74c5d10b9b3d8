//! Teller's integration tests, in one binary: each module is one area (its
//! own doc says what it proves). One binary rather than one per file, because
//! linking a test binary costs more than compiling its tests; the tests
//! that measure this process's memory or time (`tests/public_flood.rs`,
//! `tests/proxies_and_floods.rs`), run whole deployments of processes
//! (`tests/crash.rs`, `tests/scaleout.rs`, `tests/backup.rs`) or drive a
//! browser (`tests/browser.rs`) keep binaries of their own, so nothing else
//! runs beside them.
//!
//! Run one area with `cargo test --test suite MODULE::`, for example
//! `cargo test --test suite tampering::`.

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

/// The fuzz harnesses (`fuzz/src/lib.rs`), for `fuzz_corpus`.
#[path = "../../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod teller_fuzz;

mod abuse;
mod accounts;
mod anonymity;
mod board;
mod candidates;
mod ceremony;
mod commit_unknown;
mod committee;
mod confirmations;
mod console;
mod decryption;
mod delivery;
mod demo;
mod election;
mod encrypted;
mod encrypted_pages;
mod files;
mod fuzz_corpus;
mod hardening;
mod insiders;
mod integrity;
mod languages;
mod lookalikes;
mod monitor;
mod office;
mod ops_metrics;
mod organisation;
mod pages;
mod purge;
mod ranked;
mod roll_upload;
mod scheduler;
mod tampering;
mod time_zones;
mod tls;
mod transparency;
mod upgrades;
mod witnesses;
