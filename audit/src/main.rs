//! `teller-audit`: verify an election record or a receipt offline.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use teller_audit::checkpoint::SignedCheckpoint;
use teller_audit::receipt::Receipt;
use teller_audit::verify;

/// Verify a Teller election offline, trusting nothing the server says.
#[derive(Parser)]
#[command(name = "teller-audit", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a whole election record: every hash, signature and count, and
    /// recount the ballots. Exits 0 only when every check passes.
    Verify {
        /// The record, as exported by `teller export` or downloaded from the
        /// election's public page.
        record: PathBuf,
        /// A checkpoint you obtained earlier (JSON); the record must agree
        /// with it. May be repeated.
        #[arg(long = "checkpoint", value_name = "FILE")]
        checkpoints: Vec<PathBuf>,
    },
    /// Check one voter's receipt against the record: its signature, that the
    /// ballot is in the log by the promised seal, and that its content is the
    /// published ballot's.
    VerifyReceipt {
        /// The receipt downloaded after voting.
        receipt: PathBuf,
        /// The election record.
        record: PathBuf,
    },
    /// Count a ballot file (BLT or PrefLib .soi) with IRV, STV, approval or
    /// Schulze and print the round-by-round transcript — no server needed.
    Count(teller_audit::count::cli::CountArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Count(args) = &cli.command {
        return teller_audit::count::cli::run(args);
    }
    match run(cli.command) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(message) => {
            eprintln!("teller-audit: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(command: Command) -> Result<bool, String> {
    let report = match command {
        Command::Verify { record, checkpoints } => {
            let seen = checkpoints
                .iter()
                .map(|p| read_json::<SignedCheckpoint>(p, "checkpoint"))
                .collect::<Result<Vec<_>, _>>()?;
            verify_file(&record, &seen, None)?
        }
        Command::VerifyReceipt { receipt, record } => {
            let receipt: Receipt = read_json(&receipt, "receipt")?;
            verify_file(&record, &[], Some(&receipt))?
        }
        Command::Count(_) => return Ok(true),
    };
    print!("{report}");
    Ok(report.ok())
}

/// Stream the record from disk: a million ballots need not fit in memory.
fn verify_file(path: &Path, seen: &[SignedCheckpoint], receipt: Option<&Receipt>) -> Result<verify::Report, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open the record {}: {e}", path.display()))?;
    verify::verify_reader(std::io::BufReader::with_capacity(1 << 20, file), seen, receipt)
        .map_err(|e| format!("{} is not a valid record: {e}", path.display()))
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<T, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open the {what} {}: {e}", path.display()))?;
    serde_json::from_reader(std::io::BufReader::new(file))
        .map_err(|e| format!("{} is not a valid {what}: {e}", path.display()))
}
