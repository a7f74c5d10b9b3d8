//! `teller-audit count`: count a ballot file and print the transcript.

use super::ballots::Profile;
use super::error::CountError;
use super::lots::TieBreaker;
use super::meek::MeekRule;
use super::parse::{detect_format, parse_ranked, ParseError};
use super::transcript::{Outcome, Transcript};
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;

/// Counting method on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CliMethod {
    /// Instant-runoff voting (one seat).
    Irv,
    /// Scottish STV (SSI 2007/42).
    StvScottish,
    /// Meek STV (9 places, omega 10^-6).
    StvMeek,
    /// Approval voting: every ranked candidate counts as approved.
    Approval,
    /// Schulze method: the rankings as preferences.
    Schulze,
}

/// Meek rule on the command line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum CliMeekRule {
    /// PR Foundation reference rule (Droop `meek-prf`).
    #[default]
    Prf,
    /// Droop's parametric `meek` rule (as reproduced by stv-rs).
    Droop,
}

/// Arguments of `teller-audit count`.
#[derive(Clone, Debug, clap::Args)]
pub struct CountArgs {
    /// Ranked ballot file: BLT (`.blt`) or PrefLib (`.soi`); other names are
    /// recognised by content.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Counting method.
    #[arg(long, value_enum)]
    pub method: CliMethod,
    /// Seats to fill. Defaults to the BLT header's; required for `.soi`.
    #[arg(long)]
    pub seats: Option<usize>,
    /// Print JSON (elected names and the full transcript) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Seed for lots: 64 hexadecimal digits (32 bytes). Defaults to all
    /// zeros, which suits test counts; an election uses the seed committed
    /// in its record.
    #[arg(long, value_name = "HEX")]
    pub seed: Option<String>,
    /// Meek rule, for `--method stv-meek`.
    #[arg(long, value_enum, default_value_t = CliMeekRule::Prf)]
    pub meek_rule: CliMeekRule,
}

/// Why `count` failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The file could not be read.
    #[error("cannot read {file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a valid ballot file.
    #[error("{file}: {source}")]
    Parse {
        /// The file.
        file: String,
        /// Where and what.
        source: ParseError,
    },
    /// The count could not run.
    #[error("{0}")]
    Count(#[from] CountError),
    /// No seat number given or known.
    #[error("the file does not give the number of seats: use --seats N")]
    SeatsRequired,
    /// The output could not be produced.
    #[error("cannot produce the output: {0}")]
    Output(String),
    /// A malformed seed.
    #[error("--seed must be 64 hexadecimal digits (32 bytes)")]
    BadSeed,
}

#[derive(Serialize)]
struct JsonOutput<'a> {
    title: &'a str,
    method: &'static str,
    seats: usize,
    elected: Vec<&'a str>,
    transcript: &'a Transcript,
}

/// Reads the file named in `args`, counts it and prints the transcript (or
/// JSON). Errors go to standard error with exit status 1.
pub fn run(args: &CountArgs) -> ExitCode {
    let file = args.file.display().to_string();
    let result = std::fs::read_to_string(&args.file)
        .map_err(|source| CliError::Io {
            file: file.clone(),
            source,
        })
        .and_then(|text| execute(args, &text));
    match result {
        Ok(output) => {
            print!("{output}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Counts `text` (the content of `args.file`) as `args` say and returns what
/// [`run`] prints. Pure: no I/O.
pub fn execute(args: &CountArgs, text: &str) -> Result<String, CliError> {
    let file = args.file.display().to_string();
    let name = args.file.file_name().and_then(|n| n.to_str());
    let format = detect_format(name, text);
    let profile = parse_ranked(text, format).map_err(|source| CliError::Parse {
        file: file.clone(),
        source,
    })?;
    let seats = args.seats.or(profile.seats).ok_or(CliError::SeatsRequired)?;
    let seed = parse_seed(args.seed.as_deref())?;
    let mut breaker = TieBreaker::new(seed);
    if let Some(order) = &profile.tie_order {
        breaker = breaker.with_order(order.clone());
    }
    let outcome = count(&profile, args, seats, &breaker)?;
    let t = &outcome.transcript;
    if args.json {
        let out = JsonOutput {
            title: &profile.title,
            method: t.method.name(),
            seats: t.seats,
            elected: t.elected_names(),
            transcript: t,
        };
        let mut json = serde_json::to_string_pretty(&out).map_err(|e| CliError::Output(e.to_string()))?;
        json.push('\n');
        Ok(json)
    } else {
        let mut text = String::new();
        if !profile.title.is_empty() {
            text.push_str(&format!("Title: {}\n", profile.title));
        }
        text.push_str(&t.render_text());
        Ok(text)
    }
}

fn count(
    profile: &Profile<super::ballots::RankedBallots>,
    args: &CountArgs,
    seats: usize,
    breaker: &TieBreaker,
) -> Result<Outcome, CountError> {
    match args.method {
        CliMethod::Irv => super::irv::irv(profile, breaker),
        CliMethod::StvScottish => super::scottish::stv_scottish(profile, seats, breaker),
        CliMethod::StvMeek => {
            let rule = match args.meek_rule {
                CliMeekRule::Prf => MeekRule::PrfReference,
                CliMeekRule::Droop => MeekRule::DroopParametric,
            };
            super::meek::stv_meek(profile, seats, rule, breaker)
        }
        CliMethod::Approval => {
            let approvals = Profile {
                title: profile.title.clone(),
                candidates: profile.candidates.clone(),
                seats: profile.seats,
                withdrawn: profile.withdrawn.clone(),
                tie_order: profile.tie_order.clone(),
                ballots: profile.ballots.to_approval(),
            };
            super::approval::approval(&approvals, seats, breaker)
        }
        CliMethod::Schulze => super::schulze::schulze(profile, seats, breaker),
    }
}

/// The lots seed: 64 hex digits, or all zeros when absent.
pub fn parse_seed(hex_seed: Option<&str>) -> Result<[u8; 32], CliError> {
    let Some(text) = hex_seed else {
        return Ok([0; 32]);
    };
    let bytes = hex::decode(text.trim()).map_err(|_| CliError::BadSeed)?;
    bytes.try_into().map_err(|_| CliError::BadSeed)
}
