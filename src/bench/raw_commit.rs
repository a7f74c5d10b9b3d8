//! The raw durable commit rate: one client inserting one small row per
//! transaction, one after another, through Teller's own connection setup
//! (`db::connect_one`: SQLite WAL + `synchronous=FULL` + busy timeout,
//! PostgreSQL `synchronous_commit=on`) and its own write transactions
//! (`db::write_tx`: `BEGIN IMMEDIATE` on SQLite). It is the yardstick for
//! casting: a server that commits each cast on its own can do no better,
//! and group commit is how casting can approach or beat it.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use diesel::connection::SimpleConnection;

use crate::db;

/// Transactions run before timing starts, so that creating the table and
/// the first growth of the WAL are not counted.
const WARM_UP: u64 = 20;

/// What a raw-commit run measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RawCommits {
    /// Transactions committed while timing.
    pub transactions: u64,
    /// How long they took.
    pub elapsed: Duration,
}

impl RawCommits {
    /// Commits per second.
    pub fn per_second(&self) -> f64 {
        self.transactions as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Mean time of one commit.
    pub fn mean(&self) -> Duration {
        self.elapsed / u32::try_from(self.transactions.max(1)).unwrap_or(u32::MAX)
    }
}

/// Commit up to `max` one-row transactions on the database at `url`, or for
/// at most `limit`, whichever comes first. The table it uses is dropped
/// afterwards.
pub fn measure(url: &str, max: u64, limit: Duration) -> Result<RawCommits> {
    let mut conn = db::connect_one(url).context("raw commit rate: cannot connect")?;
    conn.batch_execute(
        "DROP TABLE IF EXISTS teller_bench_commits; \
         CREATE TABLE teller_bench_commits (n BIGINT PRIMARY KEY, payload TEXT NOT NULL)",
    )?;
    let insert = |conn: &mut db::AnyConnection, n: u64| {
        // About the size of a token-hash update: one small row.
        let sql = format!("INSERT INTO teller_bench_commits (n, payload) VALUES ({n}, 'row {n:064}')");
        db::write_tx(conn, |c| c.batch_execute(&sql))
    };
    for n in 0..WARM_UP {
        insert(&mut conn, n)?;
    }
    let start = Instant::now();
    let mut transactions = 0;
    while transactions < max && start.elapsed() < limit {
        insert(&mut conn, WARM_UP + transactions)?;
        transactions += 1;
    }
    let elapsed = start.elapsed();
    conn.batch_execute("DROP TABLE teller_bench_commits")?;
    Ok(RawCommits { transactions, elapsed })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_run_on_sqlite_commits_what_it_says() {
        let dir = tempfile::tempdir().unwrap();
        let url = dir.path().join("raw.db").to_string_lossy().into_owned();
        let r = measure(&url, 25, Duration::from_secs(30)).unwrap();
        assert_eq!(r.transactions, 25);
        assert!(r.per_second() > 0.0);
        assert!(r.mean() <= r.elapsed);
    }

    #[test]
    fn the_time_limit_bounds_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let url = dir.path().join("raw.db").to_string_lossy().into_owned();
        let r = measure(&url, u64::MAX, Duration::ZERO).unwrap();
        assert_eq!(r.transactions, 0);
    }
}
