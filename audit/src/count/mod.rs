//! Counting methods: pure, deterministic functions from ballots to a result
//! and a round-by-round transcript.
