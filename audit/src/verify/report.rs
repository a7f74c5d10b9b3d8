//! What verification found: named checks, each passed, failed or skipped.

use std::fmt;

/// The record checks of FORMAT.md §10, in the order they run and are
/// reported; "the first failing check" is the first failing one in this order.
pub const RECORD_CHECKS: &[&str] = &[
    "format",
    "log-chain",
    "log-structure",
    "definition",
    "checkpoint-signature",
    "checkpoint-consistency",
    "checkpoint-coverage",
    "ballot-tracker",
    "ballot-order",
    "ballots-match-log",
    "ballot-validity",
    "ballots-published",
    "counts",
    "certification",
    "tally",
];

/// The receipt checks of FORMAT.md §10, run after the record checks.
pub const RECEIPT_CHECKS: &[&str] = &[
    "receipt-signature",
    "receipt-election",
    "receipt-inclusion",
    "receipt-content",
];

/// The `format` of the `--json` report.
pub const REPORT_FORMAT: &str = "teller-audit-report/1";

/// At most this many failures are printed per check.
const SHOWN: usize = 25;
/// At most this many failures are kept per check; the rest are counted.
const KEPT: usize = 1000;

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Everything the check covers holds.
    Pass,
    /// Something the check covers does not hold.
    Fail,
    /// The record does not yet hold what the check needs (for example, the
    /// ballots before the tally).
    Skipped,
}

/// One named check and what it found.
#[derive(Debug, Clone)]
pub struct Check {
    /// Stable name, such as `log-chain`.
    pub name: &'static str,
    /// Pass, fail or skipped.
    pub status: Status,
    /// One line on what was checked.
    pub summary: String,
    /// Failures, each naming what is at fault (the first 1,000).
    pub failures: Vec<String>,
    /// Failures beyond those kept.
    pub more: u64,
}

/// Failures gathered for one check, bounded in memory.
#[derive(Debug, Default)]
pub(crate) struct Failures {
    items: Vec<String>,
    more: u64,
}

impl Failures {
    pub(crate) fn push(&mut self, failure: String) {
        if self.items.len() < KEPT {
            self.items.push(failure);
        } else {
            self.more += 1;
        }
    }

    /// Add `other`'s failures after these.
    pub(crate) fn extend(&mut self, other: Failures) {
        self.more += other.more;
        for f in other.items {
            self.push(f);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// All checks run on a record (and receipt).
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// In the order they ran.
    pub checks: Vec<Check>,
}

impl Report {
    /// Whether no check failed.
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.status != Status::Fail)
    }

    /// The check with this name.
    pub fn check(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }

    /// The first failing check, in §10's order (the order of `checks`).
    pub fn first_failure(&self) -> Option<&'static str> {
        self.checks.iter().find(|c| c.status == Status::Fail).map(|c| c.name)
    }

    /// The report on an input that could not be read (`what`: "record",
    /// "receipt", "checkpoint"): `format` fails with `failure`, and every
    /// other check is reported as not run.
    pub fn unreadable(failure: impl Into<String>, with_receipt: bool, what: &str) -> Report {
        let mut report = Report::default();
        report.push_list("format", "the inputs are well-formed", vec![failure.into()]);
        let others = RECORD_CHECKS[1..]
            .iter()
            .chain(if with_receipt { RECEIPT_CHECKS } else { &[] });
        for name in others {
            report.skip(name, format!("not run: the {what} could not be read"));
        }
        report
    }

    /// The machine-readable report (`--json`, FORMAT.md §10):
    /// `{"format", "verified", "first_failure", "checks": [{"name", "status", "summary", "failures"}]}`.
    pub fn to_json(&self) -> serde_json::Value {
        let checks: Vec<serde_json::Value> = self
            .checks
            .iter()
            .map(|c| {
                serde_json::json!({
                    "name": c.name,
                    "status": match c.status {
                        Status::Pass => "pass",
                        Status::Fail => "fail",
                        Status::Skipped => "skipped",
                    },
                    "summary": if c.more > 0 {
                        format!("{} ({} more failures not listed)", c.summary, c.more)
                    } else {
                        c.summary.clone()
                    },
                    "failures": c.failures,
                })
            })
            .collect();
        serde_json::json!({
            "format": REPORT_FORMAT,
            "verified": self.ok(),
            "first_failure": self.first_failure(),
            "checks": checks,
        })
    }

    /// Names of the failed checks.
    pub fn failed(&self) -> Vec<&'static str> {
        self.checks
            .iter()
            .filter(|c| c.status == Status::Fail)
            .map(|c| c.name)
            .collect()
    }

    pub(crate) fn push(&mut self, name: &'static str, summary: impl Into<String>, failures: Failures) {
        let status = if failures.is_empty() {
            Status::Pass
        } else {
            Status::Fail
        };
        self.checks.push(Check {
            name,
            status,
            summary: summary.into(),
            failures: failures.items,
            more: failures.more,
        });
    }

    pub(crate) fn push_list(&mut self, name: &'static str, summary: impl Into<String>, list: Vec<String>) {
        let mut f = Failures::default();
        for item in list {
            f.push(item);
        }
        self.push(name, summary, f);
    }

    pub(crate) fn skip(&mut self, name: &'static str, why: impl Into<String>) {
        self.checks.push(Check {
            name,
            status: Status::Skipped,
            summary: why.into(),
            failures: vec![],
            more: 0,
        });
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.checks {
            let tag = match c.status {
                Status::Pass => "PASS",
                Status::Fail => "FAIL",
                Status::Skipped => "SKIP",
            };
            writeln!(f, "{tag}  {:<22} {}", c.name, c.summary)?;
            for failure in c.failures.iter().take(SHOWN) {
                writeln!(f, "      - {failure}")?;
            }
            let hidden = (c.failures.len().saturating_sub(SHOWN)) as u64 + c.more;
            if hidden > 0 {
                writeln!(f, "      … and {hidden} more")?;
            }
        }
        let failed = self.failed();
        if failed.is_empty() {
            writeln!(f, "\nVERIFIED: every check passed.")
        } else {
            writeln!(
                f,
                "\nNOT VERIFIED: {} check(s) failed: {} (first failing check: {})",
                failed.len(),
                failed.join(", "),
                failed[0]
            )
        }
    }
}
