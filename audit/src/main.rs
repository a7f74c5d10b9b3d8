//! `teller-audit`: verify an election record or a receipt offline.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use teller_audit::checkpoint::SignedCheckpoint;
use teller_audit::inclusion::{verify_receipt_with_proof, InclusionProof};
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
        /// Print the report as JSON (FORMAT.md §10) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Check one voter's receipt against the record: its signature, that the
    /// ballot is in the log by the promised seal, and that its content is the
    /// published ballot's.
    ///
    /// With `--proof` instead of the record: check it with the few hundred
    /// bytes of its inclusion proof (from the election's "check my ballot"
    /// page or the API) — the ballot and its seal are in the log the
    /// election key signed.
    VerifyReceipt {
        /// The receipt downloaded after voting.
        receipt: PathBuf,
        /// The election record.
        #[arg(required_unless_present = "proof", conflicts_with = "proof")]
        record: Option<PathBuf>,
        /// The receipt's inclusion proof (FORMAT.md §7a), in place of the record.
        #[arg(long, value_name = "PROOF")]
        proof: Option<PathBuf>,
        /// Print the report as JSON (FORMAT.md §10) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Check many receipts against one record in one pass, reading the
    /// record once: the record's own checks, then each receipt's signature,
    /// inclusion and content. Exits 0 only when the record and every
    /// receipt pass.
    VerifyReceipts {
        /// The election record.
        record: PathBuf,
        /// Receipt files, or directories whose `.json` files are receipts.
        #[arg(required = true, value_name = "RECEIPT")]
        receipts: Vec<PathBuf>,
        /// Print the reports as JSON (FORMAT.md §10) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Check an audited (spoiled) encrypted ballot, as the ballot page
    /// saves it: that it encrypts exactly the choices shown, under the
    /// election's key, with valid proofs; with --record, that the record
    /// logged it as audited. Ends with the choices in the definition's
    /// words. Exits 0 only when every check passes.
    VerifyAudit {
        /// The audited ballot file (teller-audited-ballot/1).
        file: PathBuf,
        /// The election's record, to check the file against.
        #[arg(long, value_name = "RECORD")]
        record: Option<PathBuf>,
        /// Print the report as JSON (with the choices) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Follow an election's log over HTTP: check its newest tree checkpoint
    /// against the last one verified, fetch only the new entries, check
    /// them and recompute the root. Exits 0 when consistent, 1 when the log
    /// was rewritten (evidence saved in DIR), 2 on a local problem, 3 when
    /// the service cannot be reached (nothing saved).
    Monitor {
        /// The election's API address, https://HOST/api/v1/elections/ID.
        url: String,
        /// Where to keep what was verified, one file per election.
        #[arg(long, value_name = "DIR")]
        state: PathBuf,
        /// The election key (64 hex digits); without it, the first run
        /// trusts the key that the log's entry 0 names.
        #[arg(long, value_name = "HEX")]
        key: Option<String>,
        /// Seconds allowed for each request.
        #[arg(long, default_value_t = 30)]
        timeout: u64,
    },
    /// Count a ballot file (BLT or PrefLib .soi) with IRV, STV, approval or
    /// Schulze and print the round-by-round transcript — no server needed.
    Count(teller_audit::count::cli::CountArgs),
    /// Make a certifier's key pair, offline. The private key stays in FILE
    /// (readable only by you); register the public key it prints in the
    /// console before the polls open.
    Keygen {
        /// Where to keep the private key (must not exist yet).
        #[arg(long)]
        out: PathBuf,
    },
    /// Run an independent witness of Teller's logs: cosign each tree
    /// checkpoint that extends the last one seen (FORMAT.md §6b,
    /// docs/WITNESS.md).
    #[command(subcommand)]
    Witness(teller_audit::witness::cli::WitnessCommand),
    /// A trustee of an encrypted election: the key ceremony (keygen, share,
    /// check, finish) and, after the close, the partial decryption of the
    /// totals (decrypt). Each command reads the board you downloaded and
    /// writes your next message to upload; your secrets stay in --dir.
    #[command(subcommand)]
    Trustee(teller_audit::trustees::cli::TrusteeCommand),
    /// Certify a result: verify the record, then sign its tally with your
    /// key. Upload what it writes in the console.
    Sign {
        /// The election record, downloaded after the tally.
        record: PathBuf,
        /// Your private key file (from `teller-audit keygen`).
        #[arg(long)]
        key: PathBuf,
        /// Where to write the signed statement (default: print it).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    teller_audit::pipe::exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    if let Command::Count(args) = &cli.command {
        return teller_audit::count::cli::run(args);
    }
    if let Command::Monitor {
        url,
        state,
        key,
        timeout,
    } = &cli.command
    {
        return monitor(url, state, key.as_deref(), *timeout);
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

/// `teller-audit monitor`: one run, a one-line summary, the exit code of
/// [`teller_audit::monitor::MonitorError::exit_code`].
fn monitor(url: &str, state: &Path, key: Option<&str>, timeout: u64) -> ExitCode {
    let key = match key.map(teller_audit::crypto::PublicKey::from_hex).transpose() {
        Ok(key) => key,
        Err(_) => {
            eprintln!("teller-audit: --key: expected the election key, 64 lower-case hex digits");
            return ExitCode::from(2);
        }
    };
    let options = teller_audit::monitor::Options {
        url: url.to_string(),
        state_dir: state.to_path_buf(),
        key,
        timeout: std::time::Duration::from_secs(timeout.max(1)),
    };
    match teller_audit::monitor::run(&options) {
        Ok(outcome) => {
            if let Some(key) = outcome.trusted_key {
                println!(
                    "election {}: trusting the election key {} named by the log's entry 0 (first use; pass --key to pin it)",
                    outcome.election,
                    key.to_hex()
                );
            }
            println!("{outcome}");
            if outcome.short_of_witnesses() {
                println!(
                    "election {}: warning: this checkpoint lacks its witnesses' quorum; if it stays so, the log may be shown differently to others",
                    outcome.election
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("teller-audit: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn run(command: Command) -> Result<bool, String> {
    let (report, json) = match command {
        Command::Verify {
            record,
            checkpoints,
            json,
        } => {
            let mut seen = Vec::new();
            for path in &checkpoints {
                match read_input::<SignedCheckpoint>(path, "checkpoint")? {
                    Ok(cp) => seen.push(cp),
                    Err(failure) => {
                        return Ok(print_report(
                            &verify::Report::unreadable(failure, false, "checkpoint"),
                            json,
                        ))
                    }
                }
            }
            (verify_file(&record, &seen, None)?, json)
        }
        Command::VerifyReceipt {
            receipt,
            record,
            proof,
            json,
        } => {
            let receipt = match read_input::<Receipt>(&receipt, "receipt")? {
                Ok(receipt) => receipt,
                Err(failure) => {
                    let report = if proof.is_some() {
                        teller_audit::inclusion::unreadable(failure, "receipt")
                    } else {
                        verify::Report::unreadable(failure, true, "receipt")
                    };
                    return Ok(print_report(&report, json));
                }
            };
            match (record, proof) {
                (_, Some(proof)) => match read_input::<InclusionProof>(&proof, "proof")? {
                    Ok(proof) => (verify_receipt_with_proof(&receipt, &proof), json),
                    Err(failure) => {
                        return Ok(print_report(
                            &teller_audit::inclusion::unreadable(failure, "proof"),
                            json,
                        ))
                    }
                },
                (Some(record), None) => (verify_file(&record, &[], Some(&receipt))?, json),
                (None, None) => return Err("give the record, or the receipt's inclusion proof with --proof".into()),
            }
        }
        Command::VerifyReceipts { record, receipts, json } => return verify_receipts(&record, &receipts, json),
        Command::VerifyAudit { file, record, json } => return verify_audit(&file, record.as_deref(), json),
        Command::Count(_) | Command::Monitor { .. } => return Ok(true),
        Command::Keygen { out } => return keygen(&out).map(|()| true),
        Command::Witness(command) => return teller_audit::witness::cli::run(&command).map(|()| true),
        Command::Trustee(command) => return teller_audit::trustees::cli::run(&command),
        Command::Sign { record, key, out } => return sign(&record, &key, out.as_deref()),
    };
    Ok(print_report(&report, json))
}

/// `verify-audit`: the report, then the choices; whether every check passed.
fn verify_audit(file: &Path, record: Option<&Path>, json: bool) -> Result<bool, String> {
    let audited = read_input::<teller_audit::encrypted::audited::AuditedBallot>(file, "audited ballot")?;
    let record = match record {
        None => None,
        Some(path) => {
            let file =
                std::fs::File::open(path).map_err(|e| format!("cannot open the record {}: {e}", path.display()))?;
            let reader = std::io::BufReader::with_capacity(1 << 20, file);
            Some(
                serde_json::from_reader::<_, verify::audit::RecordSummary>(reader)
                    .map_err(|e| format!("the record {} cannot be read: {e}", path.display())),
            )
        }
    };
    let out = verify::audit::verify_audit(audited, record);
    if json {
        println!("{:#}", out.to_json());
    } else {
        print!("{}", out.report);
        if !out.choices.is_empty() {
            println!("\nThis ballot decrypts to:");
            for line in &out.choices {
                println!("  {line}");
            }
        }
    }
    Ok(out.report.ok())
}

/// Print the report as text or JSON; whether every check passed.
fn print_report(report: &verify::Report, json: bool) -> bool {
    if json {
        println!("{:#}", report.to_json());
    } else {
        print!("{report}");
    }
    report.ok()
}

/// Read a receipt or checkpoint file strictly: `Err` if it cannot be
/// opened (exit status 2), `Ok(Err(failure))` if it is not well-formed
/// (check `format` fails).
fn read_input<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<Result<T, String>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open the {what} {}: {e}", path.display()))?;
    match verify::read_strict(std::io::BufReader::new(file), &path.display().to_string()) {
        Ok(value) => Ok(Ok(value)),
        Err(verify::ReadError::Invalid(failure)) => Ok(Err(failure.to_string())),
        Err(e) => Err(e.to_string()),
    }
}

/// Verify the record on disk: a regular file is read in chunks and checked
/// on every core, anything else (or a file that fails to read) streamed on
/// one thread, which names the failure.
fn verify_file(path: &Path, seen: &[SignedCheckpoint], receipt: Option<&Receipt>) -> Result<verify::Report, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open the record {}: {e}", path.display()))?;
    let receipts = receipt.map_or(&[][..], std::slice::from_ref);
    let (mut report, each) =
        verify::verify_file_receipts(file, &path.display().to_string(), seen, receipts).map_err(|e| e.to_string())?;
    for r in each {
        report.checks.extend(r.checks);
    }
    Ok(report)
}

/// The receipt files named: files as given, directories as their `.json`
/// files in name order.
fn receipt_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries =
                std::fs::read_dir(path).map_err(|e| format!("cannot read the directory {}: {e}", path.display()))?;
            let mut files: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
                .collect();
            files.sort();
            out.extend(files);
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}

/// `verify-receipts`: the record once, then every receipt; whether all passed.
fn verify_receipts(record: &Path, paths: &[PathBuf], json: bool) -> Result<bool, String> {
    let files = receipt_files(paths)?;
    if files.is_empty() {
        return Err("no receipts: the directories given hold no .json files".into());
    }
    // Receipts that cannot be read get a report of their own; the others
    // are checked together.
    let mut readable = Vec::new();
    let mut reports: Vec<Option<verify::Report>> = Vec::with_capacity(files.len());
    for path in &files {
        match read_input::<Receipt>(path, "receipt")? {
            Ok(receipt) => {
                readable.push(receipt);
                reports.push(None);
            }
            Err(failure) => {
                let mut report = verify::Report::unreadable(failure, true, "receipt");
                report
                    .checks
                    .retain(|c| c.name == "format" || verify::RECEIPT_CHECKS.contains(&c.name));
                reports.push(Some(report));
            }
        }
    }
    let file = std::fs::File::open(record).map_err(|e| format!("cannot open the record {}: {e}", record.display()))?;
    let (record_report, checked) =
        verify::verify_file_receipts(file, &record.display().to_string(), &[], &readable).map_err(|e| e.to_string())?;
    let mut checked = checked.into_iter();
    let reports: Vec<verify::Report> = reports
        .into_iter()
        .map(|r| r.unwrap_or_else(|| checked.next().unwrap_or_default()))
        .collect();
    let all_ok = record_report.ok() && reports.iter().all(verify::Report::ok);
    if json {
        let receipts: Vec<serde_json::Value> = files
            .iter()
            .zip(&reports)
            .map(|(path, r)| {
                let mut v = r.to_json();
                v["file"] = path.display().to_string().into();
                v
            })
            .collect();
        let out = serde_json::json!({
            "format": verify::REPORT_FORMAT,
            "verified": all_ok,
            "record": record_report.to_json(),
            "receipts": receipts,
        });
        println!("{out:#}");
        return Ok(all_ok);
    }
    print!("{record_report}");
    println!("\nReceipts ({}):", files.len());
    let (mut held, mut failed, mut waiting) = (0, 0, 0);
    for (path, r) in files.iter().zip(&reports) {
        let line = match r.checks.iter().find(|c| c.status == verify::Status::Fail) {
            Some(c) => {
                failed += 1;
                format!(
                    "FAIL  {}  {}: {}",
                    path.display(),
                    c.name,
                    c.failures.first().map_or(c.summary.as_str(), String::as_str)
                )
            }
            None => match r.checks.iter().find(|c| c.status == verify::Status::Skipped) {
                Some(c) => {
                    waiting += 1;
                    format!("SKIP  {}  {}: {}", path.display(), c.name, c.summary)
                }
                None => {
                    held += 1;
                    let inclusion = r.check("receipt-inclusion").map_or("", |c| c.summary.as_str());
                    format!("PASS  {}  {inclusion}", path.display())
                }
            },
        };
        println!("{line}");
    }
    println!(
        "\n{} receipt(s): {held} hold, {failed} failed, {waiting} not fully checked yet (see SKIP).{}",
        files.len(),
        if record_report.ok() {
            ""
        } else {
            " The record itself did not verify (above)."
        }
    );
    Ok(all_ok)
}

/// A certifier's key file.
#[derive(serde::Serialize, serde::Deserialize)]
struct KeyFile {
    format: String,
    public_key: teller_audit::crypto::PublicKey,
    private_key_pkcs8: String,
}

const KEY_FORMAT: &str = "teller-certifier-key/1";

fn keygen(out: &Path) -> Result<(), String> {
    use ring::signature::{Ed25519KeyPair, KeyPair};
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| "the random generator failed".to_string())?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| "key generation failed".to_string())?;
    let mut public = [0u8; 32];
    public.copy_from_slice(pair.public_key().as_ref());
    let file = KeyFile {
        format: KEY_FORMAT.into(),
        public_key: teller_audit::crypto::PublicKey(public),
        private_key_pkcs8: hex::encode(pkcs8.as_ref()),
    };
    let text = serde_json::to_string_pretty(&file).map_err(|e| e.to_string())?;
    teller_audit::witness::cli::write_private_new(out, &text)?;
    println!(
        "Wrote your private key to {} (keep it safe and offline).",
        out.display()
    );
    println!("Public key (register it in the console): {}", file.public_key.to_hex());
    println!("Fingerprint: {}", file.public_key.fingerprint());
    Ok(())
}

fn sign(record: &Path, key: &Path, out: Option<&Path>) -> Result<bool, String> {
    use ring::signature::Ed25519KeyPair;
    use teller_audit::certify::{SignedStatement, Statement};
    let key: KeyFile = read_json(key, "key file")?;
    if key.format != KEY_FORMAT {
        return Err("that is not a teller-audit key file".into());
    }
    let pkcs8 = hex::decode(&key.private_key_pkcs8).map_err(|_| "the key file is damaged".to_string())?;
    let pair = Ed25519KeyPair::from_pkcs8(&pkcs8).map_err(|_| "the key file is damaged".to_string())?;
    // Only sign what verifies.
    let report = verify_file(record, &[], None)?;
    if !report.ok() {
        print!("{report}");
        eprintln!("teller-audit: the record does not verify; not signing it");
        return Ok(false);
    }
    let parsed: teller_audit::record::Record = read_json(record, "record")?;
    let Some(tally) = parsed.tally.as_ref() else {
        return Err("the record has no tally yet: sign after the count".into());
    };
    let statement = Statement::new(&parsed.election.id, tally.digest());
    let mut signature = [0u8; 64];
    signature.copy_from_slice(pair.sign(&statement.signed_bytes()).as_ref());
    let signed = SignedStatement {
        statement,
        public_key: key.public_key,
        signature: teller_audit::crypto::Signature(signature),
    };
    let text = serde_json::to_string_pretty(&signed).map_err(|e| e.to_string())?;
    match out {
        Some(path) => {
            std::fs::write(path, &text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            println!(
                "The record verifies. Signed its result (tally digest {}); upload {} in the console.",
                tally.digest(),
                path.display()
            );
        }
        None => println!("{text}"),
    }
    Ok(true)
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<T, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open the {what} {}: {e}", path.display()))?;
    serde_json::from_reader(std::io::BufReader::new(file))
        .map_err(|e| format!("{} is not a valid {what}: {e}", path.display()))
}
