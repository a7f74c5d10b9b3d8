//! `teller bench`: the measured performance of casting, export and
//! verification on this machine (see BENCHMARKS.md).
