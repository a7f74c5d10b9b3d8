//! Every case of the suite: the elections' records as exported (valid), and
//! tampered copies, each made consistent again (hashes re-chained,
//! checkpoints, receipts and certifications re-signed) everywhere but where
//! the case breaks it, so that its expected check is the first to fail.

mod ballots;
mod certification;
mod checkpoints;
mod counts;
mod definition;
mod encrypted;
mod format;
mod log;
mod proofs;
mod receipts;
mod tally;
mod valid;

use serde_json::{json, Value};

use super::elections::{certifier_key, Election, Elections, Encrypted};
use super::json::{canonical, render, render_record, resign_with, sha256_hex, statement, FixedKey, Record};
use super::{meta, Src, Suite};

/// A change to a ballot, a tally or a contest result.
type Change = Box<dyn Fn(&mut Value)>;
/// A change to a whole record.
type RecordChange = Box<dyn Fn(&mut Record)>;

/// The attacker's key: not the election's, not a certifier's.
fn attacker() -> FixedKey {
    FixedKey::from_seed(&[0xa7; 32])
}

/// A record written into the case's directory.
fn text(r: &Record) -> Src {
    Src::Text(render_record(&r.v))
}

/// A receipt or checkpoint file.
fn object(v: &Value) -> Src {
    Src::Text(render(v) + "\n")
}

/// Flip the last hex digit of a hex string.
fn flip(hex: &str) -> String {
    let mut s = hex.to_string();
    let last = s.pop().unwrap_or('0');
    s.push(if last == '0' { '1' } else { '0' });
    s
}

/// Write every case.
pub fn all(suite: &mut Suite, e: &Elections) {
    let bases = bases(suite, e);
    valid::cases(suite, &bases);
    format::cases(suite, e, &bases);
    log::cases(suite, e);
    definition::cases(suite, e);
    checkpoints::cases(suite, e, &bases);
    ballots::cases(suite, e);
    counts::cases(suite, e);
    certification::cases(suite, e);
    tally::cases(suite, e);
    receipts::cases(suite, e, &bases);
    proofs::cases(suite, e, &bases);
    encrypted::cases(suite, e, &bases);
}

/// Paths of the shared files: records by "election/state", receipts and
/// checkpoints by label.
struct Bases {
    records: std::collections::BTreeMap<String, String>,
    receipts: std::collections::BTreeMap<String, String>,
    checkpoints: std::collections::BTreeMap<String, String>,
}

impl Bases {
    fn record(&self, key: &str) -> Src {
        Src::Shared(self.records[key].clone())
    }
    fn receipt(&self, key: &str) -> Src {
        Src::Shared(self.receipts[key].clone())
    }
    fn checkpoint(&self, key: &str) -> Src {
        Src::Shared(self.checkpoints[key].clone())
    }
}

fn bases(suite: &mut Suite, e: &Elections) -> Bases {
    let mut b = Bases {
        records: Default::default(),
        receipts: Default::default(),
        checkpoints: Default::default(),
    };
    for (name, el) in [
        ("board", &e.board),
        ("weighted", &e.weighted),
        ("ties", &e.ties),
        ("encrypted", &e.encrypted.election),
    ] {
        for (state, r) in &el.records {
            let path = suite.shared(&format!("cases/elections/{name}/{state}.json"), &render_record(&r.v));
            b.records.insert(format!("{name}/{state}"), path);
        }
        for (label, r) in &el.receipts {
            let path = suite.shared(
                &format!("cases/elections/{name}/receipt-{label}.json"),
                &(render(r) + "\n"),
            );
            b.receipts.insert(format!("{name}/{label}"), path);
        }
    }
    // The audited ballot as the member's device made it (§16.10), for
    // `teller-audit verify-audit`.
    suite.shared(
        "cases/elections/encrypted/audited-ballot.json",
        &(render(&e.encrypted.audited) + "\n"),
    );
    // Checkpoints as a monitor keeps them: every one the board's record
    // holds, by reason and size.
    let board = &e.board.records["certified"];
    for cp in board.v["checkpoints"].as_array().into_iter().flatten() {
        let label = format!("{}-{}", cp["reason"].as_str().unwrap_or_default(), cp["size"]);
        let path = suite.shared(
            &format!("cases/elections/board/checkpoint-{label}.json"),
            &(render(cp) + "\n"),
        );
        b.checkpoints.insert(label, path);
    }
    b
}

/// Insert `data` as a new entry of `kind` at `at`, then repair.
fn with_entry(el: &Election, mut r: Record, at: usize, kind: &str, data: Value) -> Record {
    r.insert_entry(at, kind, data);
    // Checkpoints after the insertion cover one more entry.
    for cp in r.checkpoints().iter_mut() {
        let size = cp["size"].as_u64().unwrap_or(0);
        if size as usize > at {
            cp["size"] = json!(size + 1);
        }
    }
    r.fix(&el.key, &el.certifiers);
    r
}
