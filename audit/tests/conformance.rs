//! The conformance suite (`audit/conformance/`), run as another
//! implementation would run it: every case through the `teller-audit`
//! binary with `--json`, its exit code and first failing check compared
//! with the manifest.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance")
}

fn manifest() -> Value {
    serde_json::from_slice(&std::fs::read(suite().join("manifest.json")).unwrap()).unwrap()
}

fn checks() -> Vec<String> {
    manifest()["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect()
}

/// Run one case; `None` when the outcome is as expected, else what differs.
fn run(case: &Value) -> Option<String> {
    let args: Vec<&str> = case["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let out = Command::new(env!("CARGO_BIN_EXE_teller-audit"))
        .arg(args[0])
        .arg("--json")
        .args(&args[1..])
        .current_dir(suite())
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    let expected_code = case["exit_code"].as_i64().unwrap() as i32;
    let expected = case["expected"].as_str().unwrap();
    let report: Value = match serde_json::from_slice(&out.stdout) {
        Ok(v) => v,
        Err(_) => {
            return Some(format!(
                "exit {code}, no JSON report: {}{}",
                String::from_utf8_lossy(&out.stdout).lines().next().unwrap_or(""),
                String::from_utf8_lossy(&out.stderr).lines().next().unwrap_or("")
            ))
        }
    };
    let first = report["first_failure"].as_str().unwrap_or("valid");
    let mut wrong = Vec::new();
    if code != expected_code {
        wrong.push(format!("exit {code}, expected {expected_code}"));
    }
    if first != expected {
        wrong.push(format!("first failing check {first}, expected {expected}"));
    }
    if report["verified"] != (expected == "valid") {
        wrong.push(format!("verified is {}", report["verified"]));
    }
    let check = |name: &str| {
        report["checks"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["name"] == name).cloned())
            .unwrap_or(Value::Null)
    };
    for also in case["also_fails"].as_array().into_iter().flatten() {
        let name = also.as_str().unwrap();
        if check(name)["status"] != "fail" {
            wrong.push(format!("{name} should fail too"));
        }
    }
    if let Some(place) = case["place"].as_str() {
        // The path itself, or its parent with the member named (a key
        // written twice is found at its object).
        let failures = check("format")["failures"].to_string();
        let named = failures.contains(place)
            || place
                .rsplit_once('.')
                .is_some_and(|(parent, member)| failures.contains(parent) && failures.contains(&format!("`{member}`")));
        if !named {
            wrong.push(format!("the format failure should name {place}: {failures}"));
        }
    }
    if let Some(text) = case["mentions"].as_str() {
        let failures = check(expected)["failures"].to_string();
        if !failures.contains(text) {
            wrong.push(format!("the {expected} failure should mention {text:?}: {failures}"));
        }
    }
    (!wrong.is_empty()).then(|| wrong.join("; "))
}

#[test]
fn every_case_gives_its_expected_outcome() {
    let manifest = manifest();
    let cases = manifest["cases"].as_array().unwrap();
    let wrong: Vec<String> = cases
        .iter()
        .filter_map(|c| run(c).map(|w| format!("  {}: {w}", c["id"].as_str().unwrap())))
        .collect();
    assert!(
        wrong.is_empty(),
        "{} of {} conformance cases differ:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}

#[test]
fn the_manifest_covers_every_check_and_names_files_that_exist() {
    let manifest = manifest();
    let cases = manifest["cases"].as_array().unwrap();
    assert!(cases.len() >= 80, "{} cases", cases.len());
    let checks = checks();
    let mut ids = std::collections::HashSet::new();
    for c in cases {
        let id = c["id"].as_str().unwrap();
        assert!(ids.insert(id), "two cases named {id}");
        let expected = c["expected"].as_str().unwrap();
        assert!(
            expected == "valid" || checks.iter().any(|k| k == expected),
            "{id}: {expected}"
        );
        let inputs = &c["inputs"];
        // A record, or (verify-receipt --proof) a receipt with its proof.
        assert!(
            inputs.get("record").is_some() != inputs.get("proof").is_some(),
            "{id}: a record or a proof"
        );
        let mut files: Vec<Value> = ["record", "receipt", "proof"]
            .iter()
            .filter_map(|k| inputs.get(*k).cloned())
            .collect();
        files.extend(inputs["checkpoints"].as_array().unwrap().iter().cloned());
        for f in files {
            assert!(suite().join(f.as_str().unwrap()).is_file(), "{id}: no file {f}");
        }
    }
    // Every check fails first in some case, or (receipt-content, which only
    // fails after ballot-tracker) fails in one.
    for check in &checks {
        let covered = cases.iter().any(|c| {
            c["expected"] == check.as_str()
                || c["also_fails"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|x| x == check.as_str()))
        });
        assert!(covered, "no case fails {check}");
    }
    assert!(cases.iter().any(|c| c["expected"] == "valid"));
}

#[test]
fn the_manifest_lists_the_checks_of_format_md_in_order() {
    let spec = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("FORMAT.md")).unwrap();
    let start = spec.find("## 10.").unwrap();
    let end = spec[start..].find("\n## 11.").map_or(spec.len(), |e| start + e);
    let named: Vec<String> = spec[start..end]
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_string)
        .collect();
    assert_eq!(
        named,
        checks(),
        "FORMAT.md §10's tables and the manifest's checks differ"
    );
}
