//! The conformance suite's generator (see `audit/conformance/README.md`):
//! runs real elections through Teller, derives tampered copies from their
//! records, and writes every case with its manifest entry, and the test
//! vectors of FORMAT.md §12.

pub mod cases;
pub mod elections;
pub mod json;
pub mod vectors;

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use teller_audit::inclusion::PROOF_CHECKS;
use teller_audit::verify::{RECEIPT_CHECKS, RECORD_CHECKS};

/// The checks an encrypted record adds (FORMAT.md §10, "Encrypted
/// records"; §16.11 steps 1–15), as its table lists them; `teller-audit`
/// reports them in these places of its order.
pub use teller_audit::verify::ENCRYPTED_CHECKS;

/// The checks of FORMAT.md §10 as its tables list them: the record checks,
/// the receipt checks, the proof checks not already listed, then the
/// encrypted record's checks. "First failing check" means the first
/// failing one in the order the case's command reports them.
pub fn checks() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = RECORD_CHECKS.iter().chain(RECEIPT_CHECKS).copied().collect();
    for c in PROOF_CHECKS.iter().chain(ENCRYPTED_CHECKS.iter()) {
        if !all.contains(c) {
            all.push(c);
        }
    }
    all
}

/// Where an input file of a case comes from.
pub enum Src {
    /// A file already written (an election's record at some state), by its
    /// path relative to the suite's directory.
    Shared(String),
    /// Contents to write into the case's own directory.
    Text(String),
}

/// What a case is about.
pub struct Meta {
    /// Stable identifier; also the case's directory.
    pub id: String,
    /// What the case does, in a sentence.
    pub description: String,
    /// The finding (issue 10) or rule the case pins down.
    pub covers: String,
    /// Where the rule is: a section of FORMAT.md (or COUNTING.md).
    pub section: String,
    /// `valid`, or the name of the first failing check.
    pub expected: &'static str,
    /// For `format` failures: the JSON path (or file) the message must name.
    pub place: Option<String>,
    /// Checks that must fail besides the first (where a check can only fail
    /// after an earlier one has).
    pub also_fails: Vec<&'static str>,
    /// Text the expected check's failure must contain (the character at
    /// fault, say).
    pub mentions: Option<String>,
}

/// Shorthand for a [`Meta`].
pub fn meta(id: &str, expected: &'static str, section: &str, covers: &str, description: &str) -> Meta {
    assert!(
        expected == "valid" || checks().contains(&expected),
        "{id}: unknown check {expected}"
    );
    Meta {
        id: id.to_string(),
        description: description.to_string(),
        covers: covers.to_string(),
        section: section.to_string(),
        expected,
        place: None,
        also_fails: vec![],
        mentions: None,
    }
}

impl Meta {
    /// The place a `format` failure must name.
    pub fn at(mut self, place: &str) -> Self {
        self.place = Some(place.to_string());
        self
    }

    /// Text the failure must contain.
    pub fn mentioning(mut self, text: &str) -> Self {
        self.mentions = Some(text.to_string());
        self
    }

    /// A check that fails besides the first.
    pub fn also(mut self, check: &'static str) -> Self {
        self.also_fails.push(check);
        self
    }
}

/// The suite being written.
pub struct Suite {
    dir: PathBuf,
    /// Manifest entries, in order.
    pub cases: Vec<Value>,
}

impl Suite {
    /// A suite written under `dir` (its `cases/` and `manifest.json`).
    pub fn new(dir: &Path) -> Self {
        Suite {
            dir: dir.to_path_buf(),
            cases: vec![],
        }
    }

    /// Write a shared file (relative to the suite) and return its path.
    pub fn shared(&self, rel: &str, text: &str) -> String {
        let path = self.dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("a file has a directory")).expect("mkdir");
        std::fs::write(&path, text).expect("write");
        rel.to_string()
    }

    fn place(&self, id: &str, name: &str, src: Src) -> String {
        match src {
            Src::Shared(rel) => rel,
            Src::Text(text) => self.shared(&format!("cases/{id}/{name}"), &text),
        }
    }

    /// A `verify` case.
    pub fn verify(&mut self, m: Meta, record: Src, checkpoints: Vec<Src>) {
        let record = self.place(&m.id, "record.json", record);
        let checkpoints: Vec<String> = checkpoints
            .into_iter()
            .enumerate()
            .map(|(i, c)| self.place(&m.id, &format!("checkpoint-{}.json", i + 1), c))
            .collect();
        let mut args = vec!["verify".to_string(), record.clone()];
        for c in &checkpoints {
            args.push("--checkpoint".into());
            args.push(c.clone());
        }
        self.push(m, "verify", json!({"record": record, "checkpoints": checkpoints}), args);
    }

    /// A `verify-receipt` case.
    pub fn receipt(&mut self, m: Meta, receipt: Src, record: Src) {
        let record = self.place(&m.id, "record.json", record);
        let receipt = self.place(&m.id, "receipt.json", receipt);
        let args = vec!["verify-receipt".to_string(), receipt.clone(), record.clone()];
        self.push(
            m,
            "verify-receipt",
            json!({"record": record, "receipt": receipt, "checkpoints": []}),
            args,
        );
    }

    /// A `verify-receipt --proof` case: a receipt with its inclusion proof
    /// (FORMAT.md §7a), no record.
    pub fn proof(&mut self, m: Meta, receipt: Src, proof: Src) {
        let receipt = self.place(&m.id, "receipt.json", receipt);
        let proof = self.place(&m.id, "proof.json", proof);
        let args = vec![
            "verify-receipt".to_string(),
            receipt.clone(),
            "--proof".into(),
            proof.clone(),
        ];
        self.push(
            m,
            "verify-receipt",
            json!({"receipt": receipt, "proof": proof, "checkpoints": []}),
            args,
        );
    }

    fn push(&mut self, m: Meta, command: &str, inputs: Value, args: Vec<String>) {
        assert!(
            !self.cases.iter().any(|c| c["id"] == m.id.as_str()),
            "two cases are named {}",
            m.id
        );
        let mut case = json!({
            "id": m.id,
            "description": m.description,
            "covers": m.covers,
            "section": m.section,
            "command": command,
            "inputs": inputs,
            "args": args,
            "expected": m.expected,
            "exit_code": if m.expected == "valid" { 0 } else { 1 },
        });
        if let Some(p) = m.place {
            case["place"] = Value::String(p);
        }
        if let Some(t) = m.mentions {
            case["mentions"] = Value::String(t);
        }
        if !m.also_fails.is_empty() {
            case["also_fails"] = json!(m.also_fails);
        }
        debug_assert!(case
            .as_object()
            .is_some_and(|m| m.keys().all(|k| MANIFEST_ORDER.contains(&k.as_str()))));
        self.cases.push(case);
    }

    /// Write `manifest.json`.
    pub fn finish(self) -> usize {
        let n = self.cases.len();
        let json = |v: &Value| serde_json::to_string(v).expect("JSON");
        let cases: Vec<String> = self
            .cases
            .iter()
            .map(|case| {
                let members: Vec<String> = MANIFEST_ORDER
                    .iter()
                    .filter_map(|k| case.get(*k).map(|v| format!("      {}: {}", json(&json!(k)), json(v))))
                    .collect();
                format!("    {{\n{}\n    }}", members.join(",\n"))
            })
            .collect();
        let text = format!(
            "{{\n  \"format\": \"teller-conformance/1\",\n  \"spec\": {},\n  \"checks\": {},\n  \"cases\": [\n{}\n  ]\n}}\n",
            json(&json!("Teller public formats, version 5 (audit/FORMAT.md)")),
            json(&json!(checks())),
            cases.join(",\n")
        );
        std::fs::write(self.dir.join("manifest.json"), text).expect("write the manifest");
        n
    }
}

/// The order of a manifest entry's members, as people read them.
const MANIFEST_ORDER: [&str; 12] = [
    "id",
    "description",
    "covers",
    "section",
    "command",
    "inputs",
    "args",
    "expected",
    "exit_code",
    "place",
    "mentions",
    "also_fails",
];

/// Generate the whole suite into `dir` (its `cases/` directory is replaced).
/// Returns the number of cases.
pub fn generate(dir: &Path) -> usize {
    let cases_dir = dir.join("cases");
    if cases_dir.exists() {
        std::fs::remove_dir_all(&cases_dir).expect("remove the old cases");
    }
    std::fs::create_dir_all(&cases_dir).expect("mkdir cases");
    let work = tempfile::tempdir().expect("a temporary directory");
    let elections = elections::run(work.path());
    let mut suite = Suite::new(dir);
    cases::all(&mut suite, &elections);
    vectors::write(&dir.join("vectors.json"));
    suite.finish()
}

/// What `teller-audit` (the library, as its binary uses it) says of a case:
/// the first failing check in §10 order, or `valid`.
pub fn outcome(dir: &Path, case: &Value) -> String {
    use teller_audit::checkpoint::SignedCheckpoint;
    use teller_audit::receipt::Receipt;
    use teller_audit::verify::{read_strict, verify_reader, ReadError};
    let inputs = &case["inputs"];
    let name = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let open = |v: &Value| std::fs::File::open(dir.join(name(v))).map(std::io::BufReader::new);
    let mut seen = Vec::new();
    for c in inputs["checkpoints"].as_array().into_iter().flatten() {
        let Ok(file) = open(c) else {
            return "cannot open a checkpoint".into();
        };
        match read_strict::<SignedCheckpoint, _>(file, &name(c)) {
            Ok(cp) => seen.push(cp),
            Err(ReadError::Invalid(_)) => return "format".into(),
            Err(e) => return e.to_string(),
        }
    }
    let receipt = match inputs.get("receipt") {
        Some(r) => {
            let Ok(file) = open(r) else {
                return "cannot open the receipt".into();
            };
            match read_strict::<Receipt, _>(file, &name(r)) {
                Ok(r) => Some(r),
                Err(ReadError::Invalid(_)) => return "format".into(),
                Err(e) => return e.to_string(),
            }
        }
        None => None,
    };
    if let Some(p) = inputs.get("proof") {
        let Some(receipt) = receipt else {
            return "a proof case without a receipt".into();
        };
        let Ok(file) = open(p) else {
            return "cannot open the proof".into();
        };
        let proof = match read_strict::<teller_audit::inclusion::InclusionProof, _>(file, &name(p)) {
            Ok(p) => p,
            Err(ReadError::Invalid(_)) => return "format".into(),
            Err(e) => return e.to_string(),
        };
        let report = teller_audit::inclusion::verify_receipt_with_proof(&receipt, &proof);
        return report.first_failure().map_or("valid".into(), str::to_string);
    }
    let Ok(file) = open(&inputs["record"]) else {
        return "cannot open the record".into();
    };
    let report = match verify_reader(file, &name(&inputs["record"]), &seen, receipt.as_ref()) {
        Ok(r) => r,
        Err(e) => return e.to_string(),
    };
    match report.first_failure() {
        Some(check) => check.to_string(),
        None => "valid".into(),
    }
}

/// Every case whose outcome differs from the manifest: (id, expected, got).
pub fn mismatches(dir: &Path) -> Vec<(String, String, String)> {
    let manifest: Value = serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).expect("read the manifest"))
        .expect("the manifest is JSON");
    manifest["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter_map(|case| {
            let got = outcome(dir, case);
            let expected = case["expected"].as_str().unwrap_or_default().to_string();
            (got != expected).then(|| (case["id"].as_str().unwrap_or_default().to_string(), expected, got))
        })
        .collect()
}
