//! Export and offline verification of large elections.
//!
//! Each election is made by the bulk path: `ops::cast::cast_batch` — the
//! very function the server's cast queue calls — with batches of
//! [`BATCH`] requests, no HTTP in between, so the records are exactly
//! those the HTTP path would produce. A seal every [`SEAL_EVERY`] ballots
//! stands in for the server's sealing schedule; then the polls are closed
//! (a final seal) and the election tallied through `ops::lifecycle`.
//!
//! Then `teller export` and `teller-audit verify` run as child processes,
//! measured from outside: wall time, and peak memory by polling `VmHWM`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::ballots::BallotMaker;
use super::memory::{run_measured, Measured};
use super::prepare::{self, ACTOR};
use super::scratch::{Backend, ScratchDb};
use crate::db;
use crate::ops::cast::{cast_batch, CastRequest};
use crate::ops::lifecycle;
use crate::ops::seal::{seal, SealWhen};
use crate::secrets::MasterSecret;
use crate::time::now;

/// Casts per `cast_batch` call (one transaction each).
pub const BATCH: usize = 1000;
/// Ballots between seals while the polls are open.
pub const SEAL_EVERY: u64 = 25_000;
/// The longest an export or a verification may run before it is stopped.
const CHILD_LIMIT: Duration = Duration::from_secs(15 * 60);

/// The two binaries measured.
pub struct Binaries {
    /// `teller` (this binary).
    pub teller: PathBuf,
    /// `teller-audit`, built beside it.
    pub audit: PathBuf,
}

impl Binaries {
    /// This binary and the `teller-audit` next to it; a clear error if it is missing.
    pub fn find() -> Result<Self> {
        let teller = std::env::current_exe().context("cannot find this program's own path")?;
        let audit = teller.with_file_name(format!("teller-audit{}", std::env::consts::EXE_SUFFIX));
        anyhow::ensure!(
            audit.is_file(),
            "{} is missing: the export and verification benchmarks run the real verifier. Build both binaries \
             with `cargo build --release --workspace` and run target/release/teller bench",
            audit.display()
        );
        Ok(Binaries { teller, audit })
    }
}

/// What one election of one size measured.
#[derive(Debug, Clone)]
pub struct RecordRun {
    /// The backend holding the election.
    pub backend: Backend,
    /// Ballots in it.
    pub ballots: u64,
    /// Import of the roll and issue of tokens.
    pub setup: Duration,
    /// All the casting (batches and the seals between them).
    pub casting: Duration,
    /// Close (final seal) and tally.
    pub close_and_tally: Duration,
    /// Size of the exported record, in bytes.
    pub record_bytes: u64,
    /// `teller export`.
    pub export: Measured,
    /// `teller-audit verify`.
    pub verify: Measured,
}

impl RecordRun {
    /// Whether the verifier accepted the record.
    pub fn verified(&self) -> bool {
        self.verify.status.success()
    }
}

/// A closed and tallied election made by the bulk path.
#[derive(Debug, Clone)]
pub struct Built {
    /// Its id.
    pub election: String,
    /// Import of the roll, issue of tokens, opening.
    pub setup: Duration,
    /// All the casting (batches and the seals between them).
    pub casting: Duration,
    /// Close (final seal) and tally.
    pub close_and_tally: Duration,
}

/// Make a tallied election of `ballots` ballots in the database at `url`,
/// sealing every `seal_every` ballots; `label` names it in progress lines.
pub fn build(url: &str, ballots: u64, seal_every: u64, secret: &MasterSecret, label: &str) -> Result<Built> {
    let pool = db::connect(url, 1)?;
    let mut conn = db::get(&pool)?;
    let started = Instant::now();
    let prepared = prepare::election_with_tokens(&mut conn, secret, ballots, label)?;
    prepare::open(&mut conn, secret, &prepared.election)?;
    let setup = started.elapsed();

    let election = prepared.election;
    let mut maker = BallotMaker::new(&prepared.definition, ballots);
    let started = Instant::now();
    let mut cast: u64 = 0;
    let mut tokens = prepared.tokens.into_iter().peekable();
    while tokens.peek().is_some() {
        let requests: Vec<CastRequest> = tokens
            .by_ref()
            .take(BATCH)
            .map(|token| CastRequest {
                election: election.clone(),
                token,
                choices: maker.choices(),
                confirm: false,
            })
            .collect();
        let n = requests.len() as u64;
        let results = cast_batch(&mut conn, secret, requests, now())?;
        if let Some(Err(e)) = results.into_iter().find(Result::is_err) {
            anyhow::bail!("a bulk cast was refused: {e}");
        }
        let before = cast;
        cast += n;
        if cast / seal_every.max(1) > before / seal_every.max(1) && cast < ballots {
            seal(&mut conn, secret, &election, SealWhen::Now, now())?;
        }
        if cast / 100_000 > before / 100_000 {
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "  {label}: {cast} ballots cast in {secs:.0} s ({:.0}/s)",
                cast as f64 / secs.max(1e-9)
            );
        }
    }
    let casting = started.elapsed();

    let started = Instant::now();
    let closed = lifecycle::close(&mut conn, secret, &election, "benchmark", ACTOR, now())?;
    anyhow::ensure!(
        closed.ballots == ballots,
        "{} ballots sealed, not {ballots}",
        closed.ballots
    );
    let tally = lifecycle::tally(&mut conn, secret, &election, ACTOR, now())?;
    anyhow::ensure!(
        tally.ballots == ballots,
        "{} ballots tallied, not {ballots}",
        tally.ballots
    );
    Ok(Built {
        election,
        setup,
        casting,
        close_and_tally: started.elapsed(),
    })
}

/// Build an election of `ballots` ballots in `database`, then export and
/// verify it, the record file living in `work` until measured.
pub fn run(
    database: &ScratchDb,
    ballots: u64,
    secret: &MasterSecret,
    binaries: &Binaries,
    work: &Path,
) -> Result<RecordRun> {
    let label = format!("{} {ballots}", database.backend);
    let Built {
        election,
        setup,
        casting,
        close_and_tally,
    } = build(&database.url, ballots, SEAL_EVERY, secret, &label)?;
    eprintln!(
        "  {label}: election ready (setup {:.1} s, casting {:.1} s, close and tally {:.1} s); exporting",
        setup.as_secs_f64(),
        casting.as_secs_f64(),
        close_and_tally.as_secs_f64()
    );

    let file = work.join(format!("record-{}-{ballots}.json", database.backend));
    let export = run_measured(
        Command::new(&binaries.teller)
            .args(["export", &election, "--out"])
            .arg(&file)
            .env("TELLER_DATABASE_URL", &database.url),
        &work.join("export.log"),
        CHILD_LIMIT,
    )?;
    anyhow::ensure!(
        export.status.success(),
        "teller export failed ({}):\n{}",
        export.status,
        export.output_tail
    );
    let record_bytes = std::fs::metadata(&file)
        .with_context(|| format!("the export wrote no {}", file.display()))?
        .len();
    eprintln!(
        "  {label}: exported {:.0} MiB in {:.1} s; verifying",
        record_bytes as f64 / 1_048_576.0,
        export.wall.as_secs_f64()
    );
    let verify = run_measured(
        Command::new(&binaries.audit).arg("verify").arg(&file),
        &work.join("verify.log"),
        CHILD_LIMIT,
    );
    // The record can be hundreds of MiB: gone before the next size is made.
    let _ = std::fs::remove_file(&file);
    let verify = verify?;
    Ok(RecordRun {
        backend: database.backend,
        ballots,
        setup,
        casting,
        close_and_tally,
        record_bytes,
        export,
        verify,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bulk_path_makes_a_tallied_election_with_seals_on_the_way() {
        let dir = tempfile::tempdir().unwrap();
        let url = dir.path().join("r.db").to_string_lossy().into_owned();
        let secret = MasterSecret::from_bytes(&[9u8; 32]).unwrap();
        let built = build(&url, 2_500, 1_000, &secret, "test").unwrap();
        let pool = db::connect(&url, 1).unwrap();
        let mut conn = db::get(&pool).unwrap();
        let record = crate::ops::record::export(&mut conn, &built.election).unwrap();
        assert_eq!(record.ballots.as_ref().map(Vec::len), Some(2_500));
        // Opened, two seals while open, the closing seal, closed, tallied.
        assert_eq!(record.checkpoints.len(), 6);
        let report = teller_audit::verify::verify_record(&record, &[]);
        assert!(report.ok(), "{report}");
    }
}
