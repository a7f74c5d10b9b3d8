// Helpers for tests that run `teller serve` as child processes (crash, scale-out).
