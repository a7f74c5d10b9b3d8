//! `teller bench`: the measured performance of casting, export and
//! verification on this machine (see BENCHMARKS.md).
//!
//! One run measures, on SQLite and (given a URL) PostgreSQL: the raw durable
//! commit rate of the database, casting over real HTTP against the real
//! server at several numbers of concurrent voters, the server's memory under
//! that load, and the export and offline verification of large election
//! records. It prints a Markdown report. Everything it makes — a work
//! directory, SQLite files, PostgreSQL databases, server processes — is
//! removed or stopped when it ends, on error too.

pub mod ballots;
pub mod casting;
pub mod encrypted;
pub mod http;
pub mod load;
pub mod machine;
pub mod memory;
pub mod prepare;
pub mod proofs;
pub mod raw_commit;
pub mod record;
pub mod report;
pub mod roll;
pub mod scratch;
pub mod server;
pub mod stats;
pub mod targets;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use self::report::{Measured, Report};
use self::scratch::{Backend, ScratchDb, WorkDir};
use crate::secrets::MasterSecret;

/// Which parts of the suite to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parts {
    /// The raw durable commit rate.
    pub raw: bool,
    /// Casting over HTTP (and the server's memory).
    pub casting: bool,
    /// Export and verification of large records.
    pub records: bool,
}

/// Everything a run needs to know.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where to write the report, besides standard output.
    pub out: Option<PathBuf>,
    /// A PostgreSQL database whose role may create databases; `None` skips PostgreSQL.
    pub postgres_url: Option<String>,
    /// Also build, export and verify the records on PostgreSQL.
    pub export_postgres: bool,
    /// Mark the report as a smoke test.
    pub quick: bool,
    /// Concurrent voters at each casting level.
    pub levels: Vec<usize>,
    /// The most casts per level.
    pub max_casts: usize,
    /// The longest a level runs.
    pub level_time_limit: Duration,
    /// The share of the unpaced rate the paced level offers (`None`: no paced level).
    pub paced_share: Option<f64>,
    /// The most transactions of the raw commit measurement.
    pub raw_commits: u64,
    /// The longest the raw commit measurement runs.
    pub raw_time_limit: Duration,
    /// Ballots in each election whose record is exported and verified.
    pub sizes: Vec<u64>,
    /// The same on PostgreSQL, when `export_postgres`.
    pub postgres_sizes: Vec<u64>,
    /// The directory under which the work directory is made.
    pub work_parent: PathBuf,
    /// Which parts to run.
    pub parts: Parts,
    /// The command line, for the report.
    pub command: String,
}

/// Run the suite, print the report, and write it to `options.out`. Fails
/// (after writing the report) if any measurement failed.
pub fn run(options: Options) -> Result<()> {
    let started = Instant::now();
    let started_at = crate::time::now();
    let work = WorkDir::create(&options.work_parent)?;
    let exe = std::env::current_exe().context("cannot find this program's own path")?;
    // Before minutes of work, not after: the verifier must be there.
    let binaries = if options.parts.records {
        Some(record::Binaries::find()?)
    } else {
        None
    };
    let secret_file = work.path().join("master.key");
    let secret = MasterSecret::generate_file(&secret_file)?;
    eprintln!("teller bench: working in {}", work.path().display());

    let mut report = Report {
        machine: machine::describe(work.path()),
        databases: vec![(Backend::Sqlite, sqlite_description())],
        command: options.command.clone(),
        revision: std::env::var("TELLER_BENCH_REVISION").ok().filter(|r| !r.is_empty()),
        started_at,
        total: Duration::ZERO,
        quick: options.quick,
        max_casts: options.max_casts,
        level_time_limit: options.level_time_limit,
        raw: Vec::new(),
        casting: Vec::new(),
        records: Vec::new(),
    };

    let backends = [Backend::Sqlite, Backend::Postgres];
    for backend in backends {
        let database = match (backend, &options.postgres_url) {
            (Backend::Sqlite, _) => Ok(ScratchDb::sqlite(work.path(), "casting")),
            (Backend::Postgres, Some(url)) => {
                report.databases.push((backend, postgres_description(url)));
                ScratchDb::postgres(url, "casting").map_err(|e| Unavailable::Failed(format!("{e:#}")))
            }
            (Backend::Postgres, None) => Err(Unavailable::Skipped(NO_POSTGRES.to_string())),
        };
        let database = match database {
            Ok(d) => d,
            Err(why) => {
                if options.parts.raw {
                    report.raw.push((backend, why.measured()));
                }
                if options.parts.casting {
                    report.casting.push((backend, why.measured()));
                }
                continue;
            }
        };
        if options.parts.raw {
            eprintln!("{backend}: raw durable commit rate");
            // SQLite: a file of its own beside the casting database, on the same filesystem.
            let raw_db = ScratchDb::sqlite(work.path(), "raw-commit");
            let url = if backend == Backend::Sqlite {
                &raw_db.url
            } else {
                &database.url
            };
            let m = measure(raw_commit::measure(url, options.raw_commits, options.raw_time_limit));
            if let Some(x) = m.done() {
                eprintln!("  {backend}: {:.0} commits/s", x.per_second());
            }
            report.raw.push((backend, m));
        }
        if options.parts.casting {
            eprintln!("{backend}: casting over HTTP at {:?} voters", options.levels);
            let settings = casting::Settings {
                levels: options.levels.clone(),
                max_casts: options.max_casts,
                time_limit: options.level_time_limit,
                paced_share: options.paced_share,
            };
            let m = measure(casting::run(
                &database,
                &secret,
                &secret_file,
                &exe,
                work.path(),
                &settings,
            ));
            report.casting.push((backend, m));
        }
    }

    if let Some(binaries) = &binaries {
        let mut backends = vec![(Backend::Sqlite, &options.sizes)];
        if options.export_postgres {
            backends.push((Backend::Postgres, &options.postgres_sizes));
        }
        for (backend, sizes) in backends {
            for &size in sizes {
                eprintln!("{backend}: record of {size} ballots");
                let m = match (backend, &options.postgres_url) {
                    (Backend::Sqlite, _) => {
                        let db = ScratchDb::sqlite(work.path(), &format!("record-{size}"));
                        measure(record::run(&db, size, &secret, binaries, work.path()))
                    }
                    (Backend::Postgres, Some(url)) => measure(
                        ScratchDb::postgres(url, "record")
                            .and_then(|db| record::run(&db, size, &secret, binaries, work.path())),
                    ),
                    (Backend::Postgres, None) => Measured::Skipped(NO_POSTGRES.to_string()),
                };
                report.records.push((backend, size, m));
            }
        }
    }

    report.total = started.elapsed();
    let text = report::render(&report);
    println!("{text}");
    if let Some(out) = &options.out {
        std::fs::write(out, &text).with_context(|| format!("cannot write {}", out.display()))?;
        eprintln!("teller bench: report written to {}", out.display());
    }
    let failures = report.failures();
    anyhow::ensure!(
        failures.is_empty(),
        "some measurements failed:\n  - {}",
        failures.join("\n  - ")
    );
    Ok(())
}

/// Why PostgreSQL is skipped when it is.
const NO_POSTGRES: &str = "no --postgres-url (or TELLER_BENCH_POSTGRES_URL) given";

/// Why a backend cannot be measured at all.
enum Unavailable {
    /// Not asked for.
    Skipped(String),
    /// Asked for, but its database could not be made.
    Failed(String),
}

impl Unavailable {
    fn measured<T>(&self) -> Measured<T> {
        match self {
            Unavailable::Skipped(why) => Measured::Skipped(why.clone()),
            Unavailable::Failed(why) => Measured::Failed(why.clone()),
        }
    }
}

/// A result as a report entry, saying so on standard error when it failed.
fn measure<T>(result: Result<T>) -> Measured<T> {
    match result {
        Ok(t) => Measured::Done(t),
        Err(e) => {
            eprintln!("  failed: {e:#}");
            Measured::Failed(format!("{e:#}"))
        }
    }
}

/// The bundled SQLite's version and the settings Teller uses.
fn sqlite_description() -> String {
    use diesel::{Connection, RunQueryDsl};
    let version = diesel::SqliteConnection::establish(":memory:")
        .ok()
        .and_then(|mut c| {
            diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>("sqlite_version()"))
                .get_result::<String>(&mut c)
                .ok()
        })
        .unwrap_or_else(|| "unknown".to_string());
    format!("{version} (bundled); WAL, synchronous=FULL, busy_timeout=15 s")
}

/// The PostgreSQL server's version and durability settings.
fn postgres_description(url: &str) -> String {
    use diesel::{Connection, RunQueryDsl};
    let mut conn = match diesel::PgConnection::establish(url) {
        Ok(c) => c,
        Err(e) => return format!("cannot connect: {e}"),
    };
    let mut setting = |expr: &str| {
        diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(expr))
            .get_result::<String>(&mut conn)
            .unwrap_or_else(|_| "?".to_string())
    };
    let version = setting("version()");
    let short = version.split(" on ").next().unwrap_or(&version).to_string();
    format!(
        "{short}, same machine over loopback; fsync={}, synchronous_commit=on (Teller sets it), wal_sync_method={}, \
         shared_buffers={}",
        setting("current_setting('fsync')"),
        setting("current_setting('wal_sync_method')"),
        setting("current_setting('shared_buffers')")
    )
}
