//! The ballot-file parsers: every shared data file parses; bad input gets an
//! error naming the line and the problem; no input makes them panic.
#![allow(clippy::unwrap_used)]

#[path = "count_support.rs"]
mod support;

use proptest::prelude::*;
use teller_audit::count::{detect_format, parse_blt, parse_soi, BallotError, FileFormat, ParseProblem, WeightError};

fn blt_err(text: &str) -> (usize, ParseProblem, String) {
    let e = parse_blt(text).unwrap_err();
    (e.line, e.problem.clone(), e.to_string())
}

fn soi_err(text: &str) -> (usize, ParseProblem, String) {
    let e = parse_soi(text).unwrap_err();
    (e.line, e.problem.clone(), e.to_string())
}

const NAMES: &str = "\"A\"\n\"B\"\n\"C\"\n\"Title\"\n";

#[test]
fn every_shared_blt_and_soi_file_parses_except_equal_rankings() {
    let dir = support::data_dir();
    let mut files = Vec::new();
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if matches!(path.extension().and_then(|e| e.to_str()), Some("blt" | "soi")) {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.len() >= 30, "found {} files", files.len());
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().and_then(|n| n.to_str());
        let result = match detect_format(name, &text) {
            FileFormat::Blt => parse_blt(&text),
            FileFormat::Soi => parse_soi(&text),
        };
        let equal_rankings = text.lines().any(|l| !l.contains('"') && l.contains('='));
        match result {
            Ok(p) => {
                assert!(!equal_rankings, "{}", path.display());
                assert!(!p.ballots.is_empty(), "{}", path.display());
            }
            Err(e) => {
                assert!(equal_rankings, "{}: {e}", path.display());
                assert!(matches!(e.problem, ParseProblem::EqualRanking(_)));
            }
        }
    }
}

#[test]
fn format_is_detected_by_extension_then_content() {
    assert_eq!(detect_format(Some("x.SOI"), "3 1"), FileFormat::Soi);
    assert_eq!(detect_format(Some("x.blt"), "# A: b"), FileFormat::Blt);
    assert_eq!(detect_format(None, "\n# TITLE: x\n1: 1"), FileFormat::Soi);
    assert_eq!(detect_format(Some("ballots.txt"), "3 1\n"), FileFormat::Blt);
}

#[test]
fn blt_errors_name_the_line_and_the_problem() {
    assert_eq!(blt_err("").1, ParseProblem::Empty);
    let (line, p, msg) = blt_err("three 2\n");
    assert_eq!((line, &p), (1, &ParseProblem::BadHeader("`three 2`".into())));
    assert_eq!(msg, "line 1: expected `<candidates> <seats>`, found `three 2`");
    assert_eq!(blt_err("3 0\n").1, ParseProblem::NoSeats);
    assert_eq!(blt_err("0 1\n").1, ParseProblem::CandidateCount("0".into()));

    let (line, p, msg) = blt_err(&format!("3 1\n1 1 2 0\n1 1 4 0\n0\n{NAMES}"));
    assert_eq!(line, 3);
    assert_eq!(
        p,
        ParseProblem::UnknownCandidate {
            token: "4".into(),
            count: 3
        }
    );
    assert_eq!(msg, "line 3: unknown candidate `4` (candidates are numbered 1 to 3)");

    let (line, p, _) = blt_err(&format!("3 1\n\n2 3 1 3 0\n0\n{NAMES}"));
    assert_eq!((line, p), (3, ParseProblem::Repeated("3".into())));

    let (line, p, msg) = blt_err(&format!("3 1\n1 1=2 3 0\n0\n{NAMES}"));
    assert_eq!((line, p), (2, ParseProblem::EqualRanking("1=2".into())));
    assert!(msg.contains("equal rankings"));

    let (line, p, _) = blt_err(&format!("3 1\n1.0000001 1 0\n0\n{NAMES}"));
    assert_eq!(
        (line, p),
        (2, ParseProblem::Weight(WeightError::TooPrecise("1.0000001".into())))
    );
    let (line, p, _) = blt_err(&format!("3 1\nx 1 0\n0\n{NAMES}"));
    assert_eq!(
        (line, p),
        (2, ParseProblem::Weight(WeightError::NotANumber("x".into())))
    );

    // A ballot without its terminating 0 runs into the names.
    let (line, p, _) = blt_err(&format!("3 1\n1 1 2\n0\n{NAMES}"));
    assert_eq!((line, p), (2, ParseProblem::UnterminatedBallot));
    // No `0` line after the ballots.
    let (_, p, _) = blt_err("3 1\n1 1 2 0\n\"A\"");
    assert_eq!(p, ParseProblem::MissingEnd);
    let (line, p, _) = blt_err("3 1\n1 1 0\n0\n\"A\"\n\"B\n");
    assert_eq!((line, p), (5, ParseProblem::UnterminatedString));
    let (line, p, msg) = blt_err("3 1\n1 1 0\n0\n\"A\"\n\"B\"\n");
    assert_eq!(line, 5);
    assert_eq!(p, ParseProblem::MissingNames { expected: 3, found: 2 });
    assert_eq!(msg, "line 5: expected 3 quoted candidate names, found 2");
    let (line, p, _) = blt_err(&format!("3 1\n[frobnicate 1]\n1 1 0\n0\n{NAMES}"));
    assert_eq!((line, p), (2, ParseProblem::UnknownOption("frobnicate".into())));
    let (line, p, _) = blt_err(&format!("3 1\n[tie 1 2\n1 1 0\n0\n{NAMES}"));
    assert_eq!((line, p), (2, ParseProblem::UnterminatedOption));
    let (line, p, _) = blt_err(&format!("3 1\n-7\n1 1 0\n0\n{NAMES}"));
    assert_eq!(
        (line, p),
        (
            2,
            ParseProblem::UnknownCandidate {
                token: "7".into(),
                count: 3
            }
        )
    );
    let (line, p, _) = blt_err(&format!("3 1\n1 1 0\n0\n{NAMES}stray\n"));
    assert_eq!((line, p), (8, ParseProblem::Unexpected("stray".into())));
}

#[test]
fn blt_accepts_comments_ids_nicknames_and_extra_strings() {
    let text = "# a comment\n3 2 # seats\n[nick a b c]\n(id-1) 2 a c 0\n(id-2) 1 b 0\n\
                0\n\"A\" \"B\" \"C\"\n\"Title\" \"source\" \"comment\"\n";
    let p = parse_blt(text).unwrap();
    assert_eq!(p.title, "Title");
    // A byte-order mark is tolerated.
    assert!(parse_blt("\u{feff}2 1\n1 1 0\n0\n\"A\" \"B\"").is_ok());
    assert!(parse_soi("\u{feff}# ALTERNATIVE NAME 1: A\n1: 1\n").is_ok());
    assert_eq!(p.ballots.len(), 2);
    assert_eq!(p.ballots.group(0), (2_000_000, &[0u16, 2][..]));
}

#[test]
fn soi_errors_name_the_line_and_the_problem() {
    let head = "# NUMBER ALTERNATIVES: 2\n# ALTERNATIVE NAME 1: A\n# ALTERNATIVE NAME 2: B\n";
    assert_eq!(soi_err("").1, ParseProblem::Empty);
    let (line, p, msg) = soi_err(&format!("{head}3: 1,2\n2 1,2\n"));
    assert_eq!((line, &p), (5, &ParseProblem::BadSoiLine("2 1,2".into())));
    assert_eq!(
        msg,
        "line 5: expected `<count>: <candidate>,<candidate>,…`, found `2 1,2`"
    );
    let (line, p, _) = soi_err(&format!("{head}3: 1,3\n"));
    assert_eq!(
        (line, p),
        (
            4,
            ParseProblem::UnknownCandidate {
                token: "3".into(),
                count: 2
            }
        )
    );
    let (line, p, _) = soi_err(&format!("{head}3: 2,2\n"));
    assert_eq!((line, p), (4, ParseProblem::Repeated("2".into())));
    let (line, p, _) = soi_err(&format!("{head}3: {{1,2}}\n"));
    assert_eq!((line, p), (4, ParseProblem::SoiTie));
    let (_, p, _) = soi_err("# NUMBER ALTERNATIVES: 2\n# ALTERNATIVE NAME 1: A\n1: 1\n");
    assert_eq!(p, ParseProblem::MissingName(2));
    let (line, p, _) = soi_err(&format!("{head}-3: 1\n"));
    assert_eq!(
        (line, p),
        (4, ParseProblem::Weight(WeightError::NotANumber("-3".into())))
    );
}

#[test]
fn ballot_model_errors_surface_with_the_line() {
    // Total weight above 10^12 votes.
    let text = format!("3 1\n999999999999 1 0\n2 2 0\n0\n{NAMES}");
    let e = parse_blt(&text).unwrap_err();
    assert_eq!(e.line, 3);
    assert_eq!(e.problem, ParseProblem::Ballot(BallotError::TotalTooLarge));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Arbitrary text never makes either parser panic.
    #[test]
    fn parsers_never_panic_on_arbitrary_text(text in "\\PC*") {
        let _ = parse_blt(&text);
        let _ = parse_soi(&text);
    }

    /// Text built from the formats' own tokens never makes them panic.
    #[test]
    fn parsers_never_panic_on_token_soup(
        tokens in proptest::collection::vec(
            prop_oneof![
                Just("0"), Just("1"), Just("2"), Just("3"), Just("-1"), Just("\n"),
                Just("\"x\""), Just("["), Just("]"), Just("tie"), Just("nick"),
                Just("withdrawn"), Just("(7)"), Just("="), Just("#"), Just(":"),
                Just(","), Just("{"), Just("# ALTERNATIVE NAME 1: A\n"),
                Just("# NUMBER ALTERNATIVES: 2\n"), Just("2.5"), Just("99999999999999999999"),
            ],
            0..60,
        )
    ) {
        let text = tokens.join(" ");
        let _ = parse_blt(&text);
        let _ = parse_soi(&text);
    }
}
