//! A receipt checked with its inclusion proof alone (FORMAT.md §6a, §7a,
//! §10: `verify-receipt RECEIPT --proof PROOF`). Proofs are written out
//! from RFC 9162's definitions over the board's certified log, and the
//! notes from §6a, by the generator's own code (`vectors.rs`).

use super::super::elections::{witness_key, WITNESSES};
use super::super::vectors::{cosignature_line, inclusion_object, rfc9162, signed_note};
use super::*;

/// What a proof is made from: the board's log and the receipt's entries.
struct Proofs<'a> {
    el: &'a Election,
    entries: Vec<Value>,
    public: String,
    /// The receipt's ballot entry, its seal entry and the opening.
    ballot: usize,
    seal: usize,
    opened: usize,
}

/// When the witnesses co-signed (a fixed time, so the suite is the same
/// each time it is written).
const COSIGNED_AT: u64 = 1_796_200_000;

impl Proofs<'_> {
    fn origin(election: &str) -> String {
        format!("vote.example.org/teller/{election}")
    }

    /// The text and note of the tree of the first `size` entries, signed by
    /// `sign` under `public` and the origin of `election`.
    fn note_by(&self, election: &str, size: usize, public: &str, sign: &dyn Fn(&[u8]) -> String) -> String {
        self.text_and_note(election, size, public, sign).1
    }

    fn text_and_note(
        &self,
        election: &str,
        size: usize,
        public: &str,
        sign: &dyn Fn(&[u8]) -> String,
    ) -> (String, String) {
        let leaves: Vec<Vec<u8>> = self.entries[..size]
            .iter()
            .map(super::super::json::entry_bytes)
            .collect();
        let (text, _, _, note) = signed_note(&Self::origin(election), size, &rfc9162::mth(&leaves), public, sign);
        (text, note)
    }

    /// The election key's note of the first `size` entries, co-signed by
    /// the witnesses `by` (indexes into `WITNESSES`).
    fn cosigned(&self, size: usize, by: &[usize]) -> String {
        let (text, mut note) = self.text_and_note(&self.el.id, size, &self.public, &|b| self.el.key.sign(b));
        for &i in by {
            let k = witness_key(i);
            note.push_str(&cosignature_line(WITNESSES[i], &k.public_hex(), &|b| k.sign(b), &text, COSIGNED_AT).0);
        }
        note
    }

    /// The election key's note of the first `size` entries, co-signed by
    /// both witnesses.
    fn note(&self, size: usize) -> String {
        self.cosigned(size, &[0, 1])
    }

    /// The proof of the entries at `ballot` and `seal` in the tree of the
    /// first `size` entries.
    fn proof_at(&self, ballot: usize, seal: usize, size: usize) -> Value {
        inclusion_object(
            &self.el.id,
            &self.entries[..size],
            [ballot, seal, self.opened],
            &self.note(size),
        )
    }

    /// The receipt's proof at the whole certified log.
    fn proof(&self) -> Value {
        self.proof_at(self.ballot, self.seal, self.entries.len())
    }
}

/// The position of the entry of `kind` whose `data[member]` is `value`.
fn position(entries: &[Value], kind: &str, member: &str, value: &Value) -> usize {
    entries
        .iter()
        .position(|e| e["type"] == kind && e["data"][member] == *value)
        .expect("the entry is in the log")
}

pub(super) fn cases(s: &mut Suite, e: &Elections, b: &Bases) {
    let el = &e.board;
    let record = &el.records["certified"];
    let receipt = el.receipts["seal-1"].clone();
    let entries = record.entries().clone();
    let p = Proofs {
        el,
        public: record.v["public_key"].as_str().unwrap_or_default().to_string(),
        ballot: position(&entries, "ballot", "tracker", &receipt["tracker"]),
        seal: position(&entries, "seal", "seal", &receipt["seal"]),
        opened: entries.iter().position(|e| e["type"] == "polls_opened").unwrap_or(0),
        entries,
    };
    let other_ballot = position(&p.entries, "ballot", "tracker", &el.receipts["seal-2"]["tracker"]);
    let other_seal = position(&p.entries, "seal", "seal", &el.receipts["seal-2"]["seal"]);
    let given = || b.receipt("board/seal-1");
    let section = "§7a, §10";

    s.proof(
        meta(
            "proof-valid",
            "valid",
            section,
            "a receipt holds with its inclusion proof alone",
            "The first seal's receipt with its proof in the certified log's tree.",
        ),
        given(),
        object(&p.proof()),
    );
    s.proof(
        meta(
            "proof-valid-at-seal",
            "valid",
            section,
            "any signed size that holds the seal will do",
            "The same receipt proved in the smallest tree that holds its seal.",
        ),
        given(),
        object(&p.proof_at(p.ballot, p.seal, p.seal + 1)),
    );

    // format: the proof is read strictly.
    let mut v = p.proof();
    v["format"] = json!("teller-inclusion/1");
    s.proof(
        meta(
            "proof-format-version",
            "format",
            "§7a, §13",
            "the proof's format",
            "A proof whose format is teller-inclusion/1 (version 2 of the formats).",
        ),
        given(),
        object(&v),
    );
    let mut v = p.proof();
    v["witnesses"] = json!([]);
    s.proof(
        meta(
            "proof-format-unknown-member",
            "format",
            "§1, §7a",
            "strict reading of the proof",
            "A proof with a member the format does not have.",
        ),
        given(),
        object(&v),
    );
    let mut v = p.proof();
    let upper = v["proof"][0].as_str().unwrap_or_default().to_uppercase();
    v["proof"][0] = json!(upper);
    s.proof(
        meta(
            "proof-format-upper-hex",
            "format",
            "§1, §7a",
            "hex is lower-case",
            "A proof whose first hash is written in upper-case hex.",
        ),
        given(),
        object(&v),
    );

    // receipt-signature: the receipt must hold on its own.
    let mut r = receipt.clone();
    let sig = r["signature"].as_str().unwrap_or_default().to_string();
    r["signature"] = json!(flip(&sig));
    s.proof(
        meta(
            "proof-receipt-signature",
            "receipt-signature",
            section,
            "the receipt is signed",
            "The receipt's signature altered; its proof is sound.",
        ),
        object(&r),
        object(&p.proof()),
    );

    // proof-checkpoint: the election key signed the proof's tree.
    let size = p.entries.len();
    let a = attacker();
    let mut v = p.proof();
    v["checkpoint"] = json!(p.note_by(&el.id, size, &a.public_hex(), &|b| a.sign(b)));
    s.proof(
        meta(
            "proof-checkpoint-other-key",
            "proof-checkpoint",
            "§6a, §7a",
            "the checkpoint is signed by the receipt's key",
            "The proof's note signed by another key, with that key's key id.",
        ),
        given(),
        object(&v),
    );
    let mut v = p.proof();
    let note = p.note(size);
    let mut lines: Vec<String> = note.split('\n').map(str::to_string).collect();
    lines[1] = (size - 1).to_string();
    v["checkpoint"] = json!(lines.join("\n"));
    s.proof(
        meta(
            "proof-checkpoint-text-changed",
            "proof-checkpoint",
            "§6a",
            "the signature covers the text",
            "The note's size lowered by one; its signature left.",
        ),
        given(),
        object(&v),
    );
    let mut v = p.proof();
    v["checkpoint"] = json!(p.note_by(&e.weighted.id, size, &p.public, &|b| el.key.sign(b)));
    s.proof(
        meta(
            "proof-checkpoint-origin",
            "proof-checkpoint",
            "§6a",
            "the origin names the receipt's election",
            "A note signed by the election key whose origin names another election.",
        ),
        given(),
        object(&v),
    );
    let mut v = p.proof();
    v["election"] = json!(e.weighted.id.clone());
    s.proof(
        meta(
            "proof-checkpoint-other-election",
            "proof-checkpoint",
            section,
            "the proof is the receipt's election's",
            "A sound proof whose election member names another election.",
        ),
        given(),
        object(&v),
    );

    // receipt-inclusion: the ballot and its seal are in that tree.
    for (id, member, what) in [
        ("proof-inclusion-ballot-path", "proof", "ballot's"),
        ("proof-inclusion-seal-path", "seal_proof", "seal's"),
    ] {
        let mut v = p.proof();
        let last = v[member].as_array().map_or(0, Vec::len).saturating_sub(1);
        let h = v[member][last].as_str().unwrap_or_default().to_string();
        v[member][last] = json!(flip(&h));
        s.proof(
            meta(
                id,
                "receipt-inclusion",
                "§5a, §7a",
                "every hash of a path counts",
                &format!("The {what} path with its last hash altered."),
            ),
            given(),
            object(&v),
        );
    }
    s.proof(
        meta(
            "proof-inclusion-other-ballot",
            "receipt-inclusion",
            section,
            "the entry is the receipt's ballot",
            "A sound proof of another ballot entry (and the receipt's seal).",
        ),
        given(),
        object(&p.proof_at(other_ballot, p.seal, size)),
    );
    s.proof(
        meta(
            "proof-inclusion-other-seal",
            "receipt-inclusion",
            section,
            "the seal entry is the promised seal's",
            "A sound proof of the receipt's ballot and the next seal's entry.",
        ),
        given(),
        object(&p.proof_at(p.ballot, other_seal, size)),
    );
    let mut r = el.receipts["seal-2"].clone();
    r["seal"] = receipt["seal"].clone();
    resign_with(&mut r, &|bytes| el.key.sign(bytes));
    s.proof(
        meta(
            "proof-inclusion-after-seal",
            "receipt-inclusion",
            "§7, §7a",
            "a ballot after its promised seal is a broken promise",
            "A receipt promising the first seal for a ballot the second seal sealed, re-signed by the election key, with sound paths of that ballot and the first seal.",
        ),
        object(&r),
        object(&p.proof_at(other_ballot, p.seal, size)),
    );
    let mut v = p.proof_at(p.ballot, p.seal, p.seal + 1);
    v["checkpoint"] = json!(p.note(p.seal));
    s.proof(
        meta(
            "proof-inclusion-tree-too-small",
            "receipt-inclusion",
            "§5a, §7a",
            "the seal is inside the signed tree",
            "Paths for a tree that holds the seal, with the signed note of one entry fewer.",
        ),
        given(),
        object(&v),
    );
    let mut v = p.proof();
    let seq = v["entry"]["seq"].as_u64().unwrap_or(0);
    v["entry"]["seq"] = json!(seq + 1);
    s.proof(
        meta(
            "proof-inclusion-entry-moved",
            "receipt-inclusion",
            "§5a, §7a",
            "the leaf index is the entry's seq",
            "The ballot entry's seq raised by one, its path left.",
        ),
        given(),
        object(&v),
    );
    let mut v = p.proof();
    let time = v["seal_entry"]["time"].as_i64().unwrap_or(0);
    v["seal_entry"]["time"] = json!(time + 60);
    s.proof(
        meta(
            "proof-inclusion-entry-time",
            "receipt-inclusion",
            "§5a, §7a",
            "the leaf is the whole canonical entry",
            "The seal entry's time moved by a minute, its path left.",
        ),
        given(),
        object(&v),
    );

    // proof-witnesses: the witnesses named at the opening co-signed.
    let witness_case = |s: &mut Suite, id: &str, covers: &str, description: &str, v: Value| {
        s.proof(
            meta(id, "proof-witnesses", "§6b, §7a", covers, description),
            given(),
            object(&v),
        );
    };
    for (id, by, description) in [
        ("proof-witnesses-none", &[][..], "The proof's note with no cosignature."),
        (
            "proof-witnesses-one-of-two",
            &[1][..],
            "The note co-signed by one of the two witnesses; both must.",
        ),
    ] {
        let mut v = p.proof();
        v["checkpoint"] = json!(p.cosigned(size, by));
        witness_case(s, id, "the quorum of the witnesses co-signed", description, v);
    }
    let mut v = p.proof();
    let (text, mut note) = p.text_and_note(&el.id, size, &p.public, &|b| el.key.sign(b));
    for (i, name) in WITNESSES.iter().enumerate() {
        let stranger = FixedKey::from_seed(&[0xb0 + i as u8; 32]);
        note.push_str(&cosignature_line(name, &stranger.public_hex(), &|b| stranger.sign(b), &text, COSIGNED_AT).0);
    }
    v["checkpoint"] = json!(note);
    witness_case(
        s,
        "proof-witnesses-other-keys",
        "a cosignature counts only under the witness's own key",
        "The note co-signed under the witnesses' names by two other keys.",
        v,
    );
    let mut v = p.proof();
    let (text, mut note) = p.text_and_note(&el.id, size, &p.public, &|b| el.key.sign(b));
    for (i, name) in WITNESSES.iter().enumerate() {
        let k = witness_key(i);
        let line = cosignature_line(name, &k.public_hex(), &|b| k.sign(b), &text, COSIGNED_AT).0;
        // The same signature, claimed for a second later.
        note.push_str(&retime(&line, COSIGNED_AT + 1));
    }
    v["checkpoint"] = json!(note);
    witness_case(
        s,
        "proof-witnesses-time-changed",
        "the cosignature covers its time",
        "Both cosignatures' times moved by a second, their signatures left.",
        v,
    );
    let mut v = p.proof();
    let last = v["opened_proof"].as_array().map_or(0, Vec::len).saturating_sub(1);
    let h = v["opened_proof"][last].as_str().unwrap_or_default().to_string();
    v["opened_proof"][last] = json!(flip(&h));
    witness_case(
        s,
        "proof-witnesses-opened-path",
        "the witnesses are those of the signed log",
        "The polls_opened entry's path with its last hash altered.",
        v,
    );
    let roll = p.entries.iter().position(|e| e["type"] == "roll_imported").unwrap_or(0);
    let leaves: Vec<Vec<u8>> = p.entries.iter().map(super::super::json::entry_bytes).collect();
    let mut v = p.proof();
    v["opened_entry"] = json!({"seq": p.entries[roll]["seq"], "time": p.entries[roll]["time"], "type": p.entries[roll]["type"], "data": p.entries[roll]["data"]});
    v["opened_proof"] = json!(rfc9162::path(roll, &leaves));
    witness_case(
        s,
        "proof-witnesses-not-the-opening",
        "the policy comes from the polls_opened entry",
        "A sound proof of the roll_imported entry in place of polls_opened.",
        v,
    );

    // §5 rule 8 in the record: a quorum above the witnesses named.
    let mut r = record.clone();
    let at = r.find("polls_opened", 0);
    r.log()[at]["data"]["witness_quorum"] = json!(3);
    r.fix(&el.key, &el.certifiers);
    s.verify(
        meta(
            "log-structure-witness-quorum",
            "log-structure",
            "§5 rule 8",
            "a witness quorum within the witnesses named",
            "polls_opened names two witnesses with a quorum of 3; chain and checkpoints redone.",
        ),
        super::text(&r),
        vec![],
    );
    let mut r = record.clone();
    let at = r.find("polls_opened", 0);
    let first = r.log()[at]["data"]["witnesses"][0]["name"].clone();
    r.log()[at]["data"]["witnesses"][1]["name"] = first;
    r.fix(&el.key, &el.certifiers);
    s.verify(
        meta(
            "log-structure-witness-twice",
            "log-structure",
            "§5 rule 8",
            "each witness named once",
            "polls_opened names one witness name twice; chain and checkpoints redone.",
        ),
        super::text(&r),
        vec![],
    );
}

/// A cosignature line with its time changed and its signature kept.
fn retime(line: &str, time: u64) -> String {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    let (head, blob) = line.trim_end().rsplit_once(' ').unwrap_or_default();
    let mut bytes = STANDARD.decode(blob).unwrap_or_default();
    if bytes.len() == 76 {
        bytes[4..12].copy_from_slice(&time.to_be_bytes());
    }
    format!("{head} {}\n", STANDARD.encode(&bytes))
}
