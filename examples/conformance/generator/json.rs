//! A record, receipt or checkpoint held as plain JSON, and the repairs that
//! keep a tampered copy consistent everywhere but where the case wants it
//! broken: chain hashes recomputed (FORMAT.md §5), checkpoints and receipts
//! re-signed with the election's own key (§6, §7), the tally digest and the
//! certifiers' signatures redone (§8a, §9).
//!
//! Everything here works on `serde_json::Value`, not on `teller_audit`'s
//! types, so that it can write what those types would refuse to hold.

use ring::signature::{Ed25519KeyPair, KeyPair};
use serde_json::{json, Map, Value};
use teller::secrets::MasterSecret;

/// SHA-256, hex.
pub fn sha256_hex(parts: &[&[u8]]) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for p in parts {
        ctx.update(p);
    }
    hex::encode(ctx.finish().as_ref())
}

/// The canonical encoding (FORMAT.md §2).
pub fn canonical(v: &Value) -> Vec<u8> {
    teller_audit::canonical::value_to_bytes(v).expect("the generator writes integers only")
}

/// An election's signing key, opened through the server's own secrets code.
pub struct ElectionKey {
    /// The election id (the key is sealed to it).
    pub election: String,
    /// The sealed PKCS#8 key as stored.
    pub sealed: String,
    /// The master secret.
    pub secret: std::sync::Arc<MasterSecret>,
}

impl ElectionKey {
    /// Ed25519 signature, hex.
    pub fn sign(&self, bytes: &[u8]) -> String {
        let sig = self
            .secret
            .sign(&self.election, &self.sealed, bytes)
            .expect("the election key opens");
        hex::encode(sig.0)
    }
}

/// An Ed25519 key made from a fixed seed (a certifier's, or an attacker's).
pub struct FixedKey {
    pair: Ed25519KeyPair,
}

impl FixedKey {
    /// The key whose RFC 8032 seed is `seed`.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        FixedKey {
            pair: Ed25519KeyPair::from_seed_unchecked(seed).expect("any 32 bytes are a seed"),
        }
    }

    /// Public key, hex.
    pub fn public_hex(&self) -> String {
        hex::encode(self.pair.public_key().as_ref())
    }

    /// Signature, hex.
    pub fn sign(&self, bytes: &[u8]) -> String {
        hex::encode(self.pair.sign(bytes).as_ref())
    }
}

/// Sign an object over its canonical encoding without `signature`, and set
/// `signature` (checkpoints, receipts: FORMAT.md §6, §7).
pub fn resign_with(obj: &mut Value, sign: &dyn Fn(&[u8]) -> String) {
    let mut body = obj.clone();
    if let Some(map) = body.as_object_mut() {
        map.remove("signature");
    }
    let signature = sign(&canonical(&body));
    obj["signature"] = Value::String(signature);
}

/// The certification statement a certifier signs (FORMAT.md §8a).
pub fn statement(election: &str, tally_digest: &str) -> Value {
    json!({"format": "teller-certification/1", "election": election, "tally_digest": tally_digest})
}

/// The canonical bytes the chain hashes for an entry: its `data`, `seq`,
/// `time` and `type` only (FORMAT.md §5).
pub fn entry_bytes(entry: &Value) -> Vec<u8> {
    let mut m = Map::new();
    for k in ["data", "seq", "time", "type"] {
        if let Some(v) = entry.get(k) {
            m.insert(k.to_string(), v.clone());
        }
    }
    canonical(&Value::Object(m))
}

/// A record as JSON, with what is needed to repair it after a change.
#[derive(Clone)]
pub struct Record {
    /// The record.
    pub v: Value,
}

impl Record {
    /// The election id.
    pub fn id(&self) -> String {
        self.v["election"]["id"].as_str().unwrap_or_default().to_string()
    }

    /// The log entries.
    pub fn log(&mut self) -> &mut Vec<Value> {
        self.v["log"].as_array_mut().expect("a record has a log")
    }

    /// The log entries, read-only.
    pub fn entries(&self) -> &Vec<Value> {
        self.v["log"].as_array().expect("a record has a log")
    }

    /// The position of the `nth` (from 0) entry of type `kind`.
    pub fn find(&self, kind: &str, nth: usize) -> usize {
        self.entries()
            .iter()
            .enumerate()
            .filter(|(_, e)| e["type"] == kind)
            .nth(nth)
            .map(|(i, _)| i)
            .unwrap_or_else(|| panic!("no {kind} entry number {nth}"))
    }

    /// The checkpoints.
    pub fn checkpoints(&mut self) -> &mut Vec<Value> {
        self.v["checkpoints"].as_array_mut().expect("a record has checkpoints")
    }

    /// The published ballots.
    pub fn ballots(&mut self) -> &mut Vec<Value> {
        self.v["ballots"].as_array_mut().expect("this record publishes ballots")
    }

    /// Insert an entry at position `at` and renumber the entries after it.
    pub fn insert_entry(&mut self, at: usize, kind: &str, data: Value) {
        let time = self.entries()[at.saturating_sub(1)]["time"].clone();
        self.log().insert(
            at,
            json!({"seq": at, "time": time, "type": kind, "data": data, "hash": ""}),
        );
        self.renumber();
    }

    /// Remove the entry at `at` and renumber those after it.
    pub fn remove_entry(&mut self, at: usize) -> Value {
        let e = self.log().remove(at);
        self.renumber();
        e
    }

    /// `seq` = position, for every entry.
    pub fn renumber(&mut self) {
        for (i, e) in self.log().iter_mut().enumerate() {
            e["seq"] = json!(i);
        }
    }

    /// Recompute every entry's chain hash from GENESIS.
    pub fn rechain(&mut self) {
        let mut previous = [0u8; 32];
        for e in self.log().iter_mut() {
            let h = sha256_hex(&[&previous, &entry_bytes(e)]);
            previous.copy_from_slice(&hex::decode(&h).expect("hex"));
            e["hash"] = Value::String(h);
        }
    }

    /// Point every checkpoint at the log's head at its size and re-sign it.
    pub fn resign_checkpoints(&mut self, key: &ElectionKey) {
        let hashes: Vec<Value> = self.entries().iter().map(|e| e["hash"].clone()).collect();
        for cp in self.checkpoints().iter_mut() {
            let size = cp["size"].as_u64().unwrap_or(0) as usize;
            if size >= 1 && size <= hashes.len() {
                cp["head"] = hashes[size - 1].clone();
            }
            resign_with(cp, &|b| key.sign(b));
        }
    }

    /// The tally's digest.
    pub fn tally_digest(&self) -> Option<String> {
        let t = &self.v["tally"];
        (!t.is_null()).then(|| sha256_hex(&[&canonical(t)]))
    }

    /// Log the tally's digest in `tallied` and have the certifiers sign it again.
    pub fn fix_tally_digest(&mut self, certifiers: &[FixedKey]) {
        let Some(digest) = self.tally_digest() else { return };
        let id = self.id();
        for e in self.log().iter_mut() {
            if e["type"] == "tallied" {
                e["data"]["tally_digest"] = Value::String(digest.clone());
            }
            if e["type"] == "certification" {
                let key = e["data"]["public_key"].as_str().unwrap_or_default().to_string();
                if let Some(c) = certifiers.iter().find(|c| c.public_hex() == key) {
                    e["data"]["signature"] = Value::String(c.sign(&canonical(&statement(&id, &digest))));
                }
            }
        }
    }

    /// Count the published ballots again with `teller_audit`'s tally (the
    /// one a verifier's recount uses) and publish that tally; left as it is
    /// when the ballots cannot be read as ballots at all.
    pub fn retally(&mut self) {
        let definition =
            serde_json::from_value::<teller_audit::definition::Definition>(self.v["election"]["definition"].clone());
        let ballots = serde_json::from_value::<Vec<teller_audit::ballot::PublishedBallot>>(self.v["ballots"].clone());
        let seed = self
            .entries()
            .iter()
            .find(|e| e["type"] == "tallied")
            .and_then(|e| serde_json::from_value::<teller_audit::crypto::Seed>(e["data"]["lot_seed"].clone()).ok());
        if let (Ok(definition), Ok(ballots), Some(seed)) = (definition, ballots, seed) {
            let tally = teller_audit::tally::tally(&self.id(), &definition, &ballots, &seed);
            self.v["tally"] = serde_json::to_value(&tally).expect("a tally is JSON");
        }
    }

    /// Repair everything derived: tally digest and certifications, chain,
    /// checkpoints.
    pub fn fix(&mut self, key: &ElectionKey, certifiers: &[FixedKey]) {
        self.fix_tally_digest(certifiers);
        self.rechain();
        self.resign_checkpoints(key);
    }

    /// The tracker of a published ballot (FORMAT.md §4: with `election` added).
    pub fn tracker_of(&self, ballot: &Value) -> String {
        let mut b = ballot.clone();
        let map = b.as_object_mut().expect("a ballot is an object");
        map.remove("tracker");
        map.insert("election".into(), Value::String(self.id()));
        sha256_hex(&[&canonical(&b)])
    }

    /// Replace published ballot `i` with `ballot` under its new tracker:
    /// the log's entry follows it (its batch kept in tracker order) and the
    /// published ballots are sorted again; returns its new index. Call [`Record::fix`] afterwards.
    pub fn replace_ballot(&mut self, i: usize, mut ballot: Value) -> usize {
        let old = self.ballots()[i]["tracker"].as_str().unwrap_or_default().to_string();
        let new = self.tracker_of(&ballot);
        ballot["tracker"] = Value::String(new.clone());
        self.ballots()[i] = ballot;
        self.retrack(&old, &new);
        self.ballots()
            .sort_by(|a, b| a["tracker"].as_str().cmp(&b["tracker"].as_str()));
        self.ballots()
            .iter()
            .position(|b| b["tracker"] == new.as_str())
            .expect("the ballot is still there")
    }

    /// Change a tracker in the log, keeping its batch in tracker order.
    pub fn retrack(&mut self, old: &str, new: &str) {
        let log = self.log();
        let Some(at) = log
            .iter()
            .position(|e| e["type"] == "ballot" && e["data"]["tracker"] == old)
        else {
            return;
        };
        log[at]["data"]["tracker"] = Value::String(new.to_string());
        self.sort_batch(at);
    }

    /// Put the trackers of the batch holding entry `at` in order again.
    pub fn sort_batch(&mut self, at: usize) {
        let log = self.log();
        let mut start = at;
        while start > 0 && log[start - 1]["type"] == "ballot" {
            start -= 1;
        }
        let mut end = at;
        while end + 1 < log.len() && log[end + 1]["type"] == "ballot" {
            end += 1;
        }
        let mut trackers: Vec<Value> = log[start..=end].iter().map(|e| e["data"]["tracker"].clone()).collect();
        trackers.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
        for (e, t) in log[start..=end].iter_mut().zip(trackers) {
            e["data"]["tracker"] = t;
        }
    }
}

/// Write a record with one top-level member per line and one log entry or
/// ballot per line, every value in canonical form; members in the order of
/// FORMAT.md §8 (others after them).
pub fn render_record(v: &Value) -> String {
    const ORDER: [&str; 8] = [
        "format",
        "election",
        "public_key",
        "log",
        "checkpoints",
        "ballots",
        "counts",
        "tally",
    ];
    let Some(map) = v.as_object() else {
        return render(v);
    };
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort_by_key(|k| ORDER.iter().position(|o| o == k).unwrap_or(ORDER.len()));
    let mut out = String::from("{");
    for (n, k) in keys.into_iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        out.push('\n');
        out.push_str(&render(&Value::String(k.clone())));
        out.push(':');
        match &map[k] {
            Value::Array(items) if k == "log" || k == "ballots" || k == "checkpoints" => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push('\n');
                    out.push_str(&render(item));
                }
                out.push_str("\n]");
            }
            other => out.push_str(&render(other)),
        }
    }
    out.push_str("\n}\n");
    out
}

/// Canonical JSON text.
pub fn render(v: &Value) -> String {
    String::from_utf8(canonical(v)).expect("canonical JSON is UTF-8")
}
