//! `teller bench`: run the benchmark suite.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

use crate::bench::{self, Options, Parts};

/// Options of `teller bench`.
///
/// Measures the raw durable commit rate, casting over real HTTP at several
/// numbers of concurrent voters, the server's memory, and the export and
/// offline verification of large records, then prints a Markdown report.
/// Build with `cargo build --release --workspace` first: the verifier
/// `teller-audit` must sit beside this binary. A full run takes about ten
/// minutes on two cores; `--quick` takes well under a minute.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Also write the report to this file.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// A PostgreSQL database whose role may create databases (for example
    /// postgres://teller:teller@127.0.0.1/teller). The run makes its own
    /// databases beside it and drops them. Without it, PostgreSQL is skipped.
    #[arg(long, env = "TELLER_BENCH_POSTGRES_URL", value_name = "URL")]
    postgres_url: Option<String>,
    /// Also build, export and verify the large records on PostgreSQL (slow).
    #[arg(long)]
    export_postgres: bool,
    /// A small run to check the harness end to end (under a minute).
    /// Explicit options below still apply.
    #[arg(long)]
    quick: bool,
    /// Concurrent voters at each casting level [default: 10,100,1000].
    #[arg(long, value_delimiter = ',', value_name = "N,N,…")]
    levels: Option<Vec<usize>>,
    /// The most casts in one level [default: 20000; quick: 2000].
    #[arg(long, value_name = "N")]
    max_casts: Option<usize>,
    /// The longest one level runs, in seconds [default: 15; quick: 3].
    #[arg(long, value_name = "SECONDS")]
    level_seconds: Option<u64>,
    /// After the unpaced levels, run the largest number of voters once more,
    /// paced to offer this percentage of the rate it reached; 0 leaves it out.
    #[arg(long, default_value_t = 50, value_name = "PERCENT")]
    paced_percent: u32,
    /// Transactions in the raw commit measurement [default: 3000; quick: 200].
    #[arg(long, value_name = "N")]
    raw_commits: Option<u64>,
    /// Ballots in each election exported and verified
    /// [default: 10000,100000,1000000; quick: 5000].
    #[arg(long, value_delimiter = ',', value_name = "N,N,…")]
    sizes: Option<Vec<u64>>,
    /// Ballots in each election exported and verified on PostgreSQL, with
    /// --export-postgres [default: as --sizes].
    #[arg(long, value_delimiter = ',', value_name = "N,N,…")]
    postgres_sizes: Option<Vec<u64>>,
    /// Make the work directory (databases, records) under this directory
    /// [default: the system's temporary directory].
    #[arg(long, value_name = "DIR")]
    work_dir: Option<PathBuf>,
    /// Instead of the suite: import a roll of this many members through the
    /// console (real upload, preview and confirmation against `teller
    /// serve`) and through `teller voters import`, with time and peak memory.
    #[arg(long, value_name = "MEMBERS")]
    roll: Option<u64>,
    /// Instead of the suite: serve inclusion and consistency proofs of an
    /// election of this many sealed ballots to concurrent clients over
    /// HTTP (beside the plain election summary as a baseline), then cast
    /// with and without witnesses; --level-seconds bounds each level
    /// [default: 10], --max-casts the casts into each election [default: 100000].
    #[arg(long, value_name = "BALLOTS")]
    proofs: Option<u64>,
    /// Concurrent clients reading proofs, with --proofs.
    #[arg(long, default_value_t = 32, value_name = "N")]
    proof_clients: usize,
    /// The most requests of one read level, with --proofs.
    #[arg(long, default_value_t = 200_000, value_name = "N")]
    proof_reads: usize,
    /// Instead of the suite: casting plain and encrypted ballots (issue 13),
    /// at `--levels` voters (default 100,1000), `--max-casts` per level
    /// (default 3000), on SQLite and, with a PostgreSQL URL, PostgreSQL.
    #[arg(long)]
    encrypted_casting: bool,
    /// Leave out parts of the suite.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "PART,…")]
    skip: Vec<Part>,
}

/// A part of the suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Part {
    /// The raw durable commit rate.
    Raw,
    /// Casting over HTTP and server memory.
    Casting,
    /// Export and verification of large records.
    Records,
}

/// Run the benchmarks.
pub fn run(args: BenchArgs) -> Result<()> {
    if let Some(members) = args.roll {
        anyhow::ensure!(members >= 1, "--roll takes a number of members");
        let parent = args.work_dir.clone().unwrap_or_else(bench::roll::default_parent);
        bench::roll::run(members, args.postgres_url.as_deref(), &parent, args.out.as_deref())?;
        return Ok(());
    }
    if let Some(ballots) = args.proofs {
        anyhow::ensure!(ballots >= 1, "--proofs takes a number of ballots");
        anyhow::ensure!(
            (1..=1000).contains(&args.proof_clients),
            "--proof-clients takes a number from 1 to 1000"
        );
        let settings = bench::proofs::Settings {
            ballots,
            clients: args.proof_clients,
            max_reads: args.proof_reads.max(1),
            time_limit: Duration::from_secs(args.level_seconds.unwrap_or(10)),
            casts: args.max_casts.unwrap_or(100_000).max(1),
        };
        let parent = args.work_dir.clone().unwrap_or_else(bench::roll::default_parent);
        bench::proofs::run(&settings, args.postgres_url.as_deref(), &parent, args.out.as_deref())?;
        return Ok(());
    }
    if args.encrypted_casting {
        let settings = bench::casting::Settings {
            levels: args.levels.clone().unwrap_or_else(|| vec![100, 1000]),
            max_casts: args.max_casts.unwrap_or(3000).max(1),
            time_limit: Duration::from_secs(args.level_seconds.unwrap_or(15)),
            paced_share: None,
        };
        let parent = args.work_dir.clone().unwrap_or_else(bench::roll::default_parent);
        let exe = std::env::current_exe().context("cannot find this program's own path")?;
        return bench::encrypted::run(
            &settings,
            args.postgres_url.as_deref(),
            &parent,
            args.out.as_deref(),
            &exe,
        );
    }
    let options = options(args, command_line())?;
    bench::run(options)
}

fn options(args: BenchArgs, argv: Vec<String>) -> Result<Options> {
    let quick = args.quick;
    let levels = args.levels.unwrap_or_else(|| vec![10, 100, 1000]);
    anyhow::ensure!(
        !levels.is_empty() && levels.iter().all(|n| (1..=10_000).contains(n)),
        "--levels takes numbers of voters from 1 to 10000"
    );
    let max_casts = args.max_casts.unwrap_or(if quick { 2000 } else { 20_000 });
    anyhow::ensure!(max_casts >= 1, "--max-casts must be at least 1");
    let sizes = args.sizes.unwrap_or_else(|| {
        if quick {
            vec![5000]
        } else {
            vec![10_000, 100_000, 1_000_000]
        }
    });
    let postgres_sizes = args.postgres_sizes.unwrap_or_else(|| sizes.clone());
    anyhow::ensure!(
        sizes.iter().chain(&postgres_sizes).all(|n| *n >= 1),
        "--sizes and --postgres-sizes must be at least 1 ballot each"
    );
    let mut command = argv.iter().map(|a| shell_word(a)).collect::<Vec<_>>().join(" ");
    if args.postgres_url.is_some() && !argv.iter().any(|a| a.starts_with("--postgres-url")) {
        if let Some(url) = &args.postgres_url {
            command = format!("TELLER_BENCH_POSTGRES_URL={} {command}", super::shown_url(url));
        }
    }
    Ok(Options {
        out: args.out,
        postgres_url: args.postgres_url,
        export_postgres: args.export_postgres,
        quick,
        levels,
        max_casts,
        level_time_limit: Duration::from_secs(args.level_seconds.unwrap_or(if quick { 3 } else { 15 })),
        paced_share: (args.paced_percent > 0).then(|| f64::from(args.paced_percent) / 100.0),
        raw_commits: args.raw_commits.unwrap_or(if quick { 200 } else { 3000 }),
        raw_time_limit: Duration::from_secs(if quick { 5 } else { 20 }),
        sizes,
        postgres_sizes,
        work_parent: args.work_dir.unwrap_or_else(std::env::temp_dir),
        parts: Parts {
            raw: !args.skip.contains(&Part::Raw),
            casting: !args.skip.contains(&Part::Casting),
            records: !args.skip.contains(&Part::Records),
        },
        command,
    })
}

/// This process's command line, with any password in a URL hidden.
fn command_line() -> Vec<String> {
    hide_passwords(std::env::args())
}

fn hide_passwords(args: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for arg in args {
        let hidden = match arg.split_once('=') {
            Some((flag, url)) if flag == "--postgres-url" => format!("{flag}={}", super::shown_url(url)),
            _ if out.last().is_some_and(|prev| prev == "--postgres-url") => super::shown_url(&arg),
            _ => arg,
        };
        out.push(hidden);
    }
    out
}

/// A word as a POSIX shell would need it quoted.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@*".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        args: BenchArgs,
    }

    fn parse(argv: &[&str]) -> Options {
        let t = T::try_parse_from(std::iter::once("teller").chain(argv.iter().copied())).unwrap();
        options(t.args, argv.iter().map(|s| s.to_string()).collect()).unwrap()
    }

    #[test]
    fn the_defaults_are_the_full_suite_and_quick_is_small() {
        let full = parse(&[]);
        assert_eq!(full.levels, vec![10, 100, 1000]);
        assert_eq!(full.sizes, vec![10_000, 100_000, 1_000_000]);
        assert_eq!((full.max_casts, full.level_time_limit.as_secs()), (20_000, 15));
        let quick = parse(&["--quick"]);
        assert_eq!(quick.sizes, vec![5000]);
        assert!(quick.max_casts <= 2000 && quick.quick);
        assert_eq!(quick.postgres_sizes, quick.sizes);
        let chosen = parse(&["--quick", "--sizes", "5,6", "--levels", "3", "--skip", "raw,records"]);
        assert_eq!((chosen.sizes, chosen.levels), (vec![5, 6], vec![3]));
        assert_eq!(
            chosen.parts,
            Parts {
                raw: false,
                casting: true,
                records: false
            }
        );
    }

    #[test]
    fn passwords_stay_out_of_the_report() {
        let argv = [
            "teller",
            "bench",
            "--postgres-url",
            "postgres://u:pw@h/d",
            "--postgres-url=postgres://u:pw@h/d",
        ];
        let shown = hide_passwords(argv.iter().map(|s| s.to_string()));
        assert_eq!(shown[3], "postgres://u:***@h/d");
        assert_eq!(shown[4], "--postgres-url=postgres://u:***@h/d");
    }

    #[test]
    fn words_are_quoted_only_when_a_shell_needs_it() {
        assert_eq!(shell_word("--sizes=1,2"), "--sizes=1,2");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        assert_eq!(shell_word(""), "''");
    }
}
