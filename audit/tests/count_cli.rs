//! The `count` command line: argument parsing, file detection, text and
//! JSON output (no floats, elected names as written in the file), errors.
#![allow(clippy::unwrap_used)]

#[path = "count_support.rs"]
mod support;

use clap::Parser;
use serde_json::Value;
use teller_audit::count::cli::{execute, run, CliError, CountArgs};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    count: CountArgs,
}

fn args(argv: &[&str]) -> CountArgs {
    let mut full = vec!["teller-audit"];
    full.extend_from_slice(argv);
    Cli::try_parse_from(full).unwrap().count
}

fn path(rel: &str) -> String {
    support::data_dir().join(rel).display().to_string()
}

fn exec(argv: &[&str]) -> Result<String, CliError> {
    let a = args(argv);
    let text = std::fs::read_to_string(&a.file).unwrap();
    execute(&a, &text)
}

const CALTON: &str = "droop/glasgow2007/Calton-2007.blt";

fn assert_no_floats(v: &Value) {
    match v {
        Value::Number(n) => assert!(n.is_u64() || n.is_i64(), "float in JSON: {n}"),
        Value::Array(items) => items.iter().for_each(assert_no_floats),
        Value::Object(map) => map.values().for_each(assert_no_floats),
        _ => {}
    }
}

#[test]
fn scottish_text_transcript_names_the_winners() {
    let out = exec(&[&path(CALTON), "--method", "stv-scottish"]).unwrap();
    assert!(out.starts_with("Title: CALTON\nMethod: stv-scottish"), "{out}");
    assert!(out.contains("Quota: 1300.00000"));
    assert!(out.contains("Round 1 - transfer of the surplus of George Redmond (682.00000)"));
    assert!(out.contains("  Elected: Alison E Thewliss (reached the quota)"));
    assert!(out.ends_with("\nElected: George Redmond, Alison E Thewliss, Ruth Simpson\n"));
}

#[test]
fn json_lists_elected_names_in_order_and_has_no_floats() {
    let out = exec(&[&path(CALTON), "--method", "stv-scottish", "--json"]).unwrap();
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["elected"],
        serde_json::json!(["George Redmond", "Alison E Thewliss", "Ruth Simpson"])
    );
    assert_eq!(v["method"], "stv-scottish");
    assert_eq!(v["seats"], 3);
    assert_eq!(v["transcript"]["quota"], "1300.00000");
    assert_eq!(v["transcript"]["rounds"][1]["tally"][0], "130.40863");
    assert_eq!(v["transcript"]["rounds"][1]["action"]["kind"], "surplus");
    assert_no_floats(&v);
}

#[test]
fn every_method_runs_from_the_command_line() {
    let soi = path("preflib/irish/00001-00000002.soi");
    for (method, extra, winner) in [
        ("irv", None, "Brian Lenihan F.F."),
        ("stv-scottish", None, "Brian Lenihan F.F."),
        ("stv-meek", None, "Brian Lenihan F.F."),
        ("stv-meek", Some("droop"), "Brian Lenihan F.F."),
        ("approval", None, "Brian Lenihan F.F."),
        ("schulze", None, "Brian Lenihan F.F."),
    ] {
        let mut argv = vec![soi.as_str(), "--method", method, "--seats", "3", "--json"];
        if let Some(rule) = extra {
            argv.extend(["--meek-rule", rule]);
        }
        let v: Value = serde_json::from_str(&exec(&argv).unwrap()).unwrap();
        assert_no_floats(&v);
        let elected = v["elected"].as_array().unwrap();
        assert!(elected.iter().any(|e| e == winner), "{method}: {v}");
        let expected = if method == "irv" { 1 } else { 3 };
        assert_eq!(elected.len(), expected, "{method}");
    }
}

#[test]
fn output_is_byte_identical_across_runs() {
    let argv = [path(CALTON), "--method".into(), "stv-meek".into(), "--json".into()];
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    assert_eq!(exec(&argv).unwrap(), exec(&argv).unwrap());
}

#[test]
fn soi_needs_seats_and_seed_must_be_32_bytes() {
    let soi = path("preflib/irish/00001-00000002.soi");
    let err = exec(&[&soi, "--method", "stv-scottish"]).unwrap_err();
    assert!(matches!(err, CliError::SeatsRequired));
    assert_eq!(
        err.to_string(),
        "the file does not give the number of seats: use --seats N"
    );
    let err = exec(&[&path(CALTON), "--method", "irv", "--seed", "abcd"]).unwrap_err();
    assert!(matches!(err, CliError::BadSeed));
    let seed = "ff".repeat(32);
    assert!(exec(&[&path(CALTON), "--method", "irv", "--seed", &seed]).is_ok());
}

#[test]
fn a_bad_file_is_reported_with_its_name_and_line() {
    let a = args(&["ballots.blt", "--method", "irv"]);
    let err = execute(&a, "2 1\n1 3 0\n0\n\"A\" \"B\"\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "ballots.blt: line 2: unknown candidate `3` (candidates are numbered 1 to 2)"
    );
}

#[test]
fn run_fails_cleanly_on_a_missing_file() {
    let a = args(&["/nonexistent/ballots.blt", "--method", "irv"]);
    assert_eq!(run(&a), std::process::ExitCode::FAILURE);
}

#[test]
fn unknown_method_is_refused_by_the_parser() {
    let r = Cli::try_parse_from(["teller-audit", "x.blt", "--method", "borda"]);
    assert!(r.is_err());
}
