//! Write the generated part of the seed corpora (docs/FUZZING.md, "Corpus"):
//!
//!     cargo run --manifest-path fuzz/Cargo.toml --example make_seeds
//!
//! It (re)writes `corpus/<target>/gen-*` files from the fixtures; the other
//! seeds (BLT files, the synthetic record) are copied by hand and listed in
//! docs/FUZZING.md. Each file is a valid input, so the fuzzers start from
//! inputs that reach deep into the code rather than from noise.

use std::fs;
use std::path::Path;

use teller_fuzz::fixtures;

fn write(target: &str, name: &str, bytes: impl AsRef<[u8]>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(target);
    fs::create_dir_all(&dir).expect("corpus directory");
    fs::write(dir.join(format!("gen-{name}")), bytes).expect("write a seed");
}

fn main() {
    let f = fixtures::fixture();

    // record_verify: the fixture record (every method), compact and pretty.
    write(
        "record_verify",
        "all-methods.json",
        serde_json::to_vec(&f.record).expect("json"),
    );
    let mut before_tally = f.record.clone();
    before_tally.ballots = None;
    before_tally.tally = None;
    before_tally.election.state = "closed".into();
    let size = before_tally
        .log
        .iter()
        .position(|e| e.entry.event.kind() == "tallied")
        .expect("a tallied entry");
    before_tally.log.truncate(size);
    before_tally.checkpoints.retain(|c| c.checkpoint.size <= size as u64);
    write(
        "record_verify",
        "closed-unpublished.json",
        serde_json::to_vec_pretty(&before_tally).expect("json"),
    );

    // receipt_verify: the receipt, and one whose ballot was altered.
    write(
        "receipt_verify",
        "valid.json",
        serde_json::to_vec(&f.receipt).expect("json"),
    );
    let mut forged = f.receipt.clone();
    forged.body.seal = 2;
    write(
        "receipt_verify",
        "wrong-seal.json",
        serde_json::to_vec_pretty(&forged).expect("json"),
    );

    // ballot_json: the fixture ballots as cast bodies.
    let token = fixtures::token_text();
    for (i, b) in f.record.ballots.as_ref().expect("ballots").iter().take(3).enumerate() {
        let body = serde_json::json!({ "token": token, "choices": b.choices });
        write("ballot_json", &format!("all-methods-{i}.json"), body.to_string());
    }
    let board = serde_json::json!({
        "token": "7k3m-q9td-aaaa-bbbb-cccc-dddd-eeee",
        "choices": {
            "directors": ["amara-okafor", "rosa-delgado", "priya-raman"],
            "treasurer": ["write-in:  Jo   Public "],
            "bylaw-amendment-7": ["yes"]
        }
    });
    write("ballot_json", "board.json", board.to_string());

    // ballot_form: the review page's hidden fields for the same ballots.
    for (i, b) in f.record.ballots.as_ref().expect("ballots").iter().take(3).enumerate() {
        let def = &fixtures::definitions()[2];
        let fields = teller_fuzz::hidden_as_fields(def, &b.choices);
        write(
            "ballot_form",
            &format!("all-methods-{i}.txt"),
            serde_urlencoded::to_string(&fields).expect("form"),
        );
    }

    // token_parse: the fixed token, grouped, lower case, with O/I/L.
    write("token_parse", "canonical.txt", &token);
    let grouped: Vec<String> = token
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into())
        .collect();
    write("token_parse", "grouped.txt", grouped.join("-"));
    write("token_parse", "lower-spaced.txt", grouped.join(" ").to_lowercase());
}
