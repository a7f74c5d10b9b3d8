//! The test vectors of FORMAT.md §12, one group per primitive, each with its
//! inputs and the expected bytes (as text where they are text, and as hex)
//! and hashes. `audit/tests/vectors.rs` checks every one.
//!
//! The signing keys are RFC 8032's own test keys (§7.1, TEST 1 and TEST 2),
//! so an implementation can first check that it derives their public keys.

use std::path::Path;

use serde_json::{json, Value};

use super::json::{canonical, sha256_hex, FixedKey};

/// RFC 8032 §7.1 TEST 1: secret key (the 32-byte seed) and public key.
const RFC8032_1: (&str, &str) = (
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
);
/// RFC 8032 §7.1 TEST 2.
const RFC8032_2: (&str, &str) = (
    "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
);

const ELECTION: &str = "2a6f16d2-c738-4ef1-8402-71c1bfa25a25";

fn key(rfc: (&str, &str)) -> FixedKey {
    let mut seed = [0u8; 32];
    seed.copy_from_slice(&hex::decode(rfc.0).expect("hex"));
    let k = FixedKey::from_seed(&seed);
    assert_eq!(k.public_hex(), rfc.1, "RFC 8032's public key");
    k
}

fn bytes_of(v: &Value) -> Value {
    let b = canonical(v);
    json!({"text": String::from_utf8(b.clone()).expect("UTF-8"), "hex": hex::encode(&b), "sha256": sha256_hex(&[&b])})
}

fn canonical_vectors() -> Vec<Value> {
    let cases: [(&str, &str); 14] = [
        ("white space removed, members sorted", "{ \"b\" : 1 ,\n  \"a\" : [ true , false , null ] }"),
        ("a key that is a prefix of another sorts first; the empty key first of all", r#"{"ab":1,"a":2,"b":3,"":0,"a\u0000":4}"#),
        ("keys compared as UTF-8 bytes: upper case before lower case, then non-ASCII by bytes", r#"{"z":1,"é":2,"Z":3,"ü":4,"€":5,"a":6}"#),
        ("keys compared as UTF-8 bytes, not UTF-16 code units: U+FF5E sorts before U+10000", "{\"\u{10000}\":1,\"\u{ff5e}\":2,\"\u{e000}\":3}"),
        ("every control character U+0000–U+001F as \\u00xx, lower-case hex", "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000B\\f\\r\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001F\""),
        ("quote and backslash escaped; slash, DEL and non-ASCII written as themselves", r#""a\"b\\c\/d\u007fé\u00e9€😀""#),
        ("escapes in the input are decoded, then written canonically", r#""\u0041\u00e9\ud83d\ude00\n""#),
        ("integers: zero, negatives, the 64-bit extremes", "[0, -5, 18446744073709551615, -9223372036854775808, 9223372036854775807]"),
        ("null members are written, never omitted", r#"{"closes_at": null, "actor": "cli:officer"}"#),
        ("nested objects sorted at every level; arrays keep their order", r#"{"outer":{"y":[3,1,2],"x":{"b":null,"a":"A"}},"list":[{"b":1,"a":2}]}"#),
        ("empty object, array and string", r#"{"o":{},"a":[],"s":""}"#),
        ("a definition-like object", r#"{"title":"Société — élection 2026","contests":[{"id":"chair","seats":1,"method":{"kind":"irv","skipped_ranks":"refuse"}}],"description":"Line one\nLine two"}"#),
        ("strings with U+2028, U+2029 and U+FEFF are written as themselves", "\"\u{2028}\u{2029}\u{feff}\""),
        ("a ballot", r#"{"weight":"2.5","nonce":"00000000000000000000000000000001","election":"e","choices":{"bylaw":[],"board":["a"]}}"#),
    ];
    cases
        .iter()
        .map(|(what, input)| {
            let v: Value = serde_json::from_str(input).expect("the input is JSON");
            json!({"description": what, "input": input, "canonical": bytes_of(&v)})
        })
        .collect()
}

/// The seven entries of the chain vectors (and the Merkle vectors' log).
fn chain_entries() -> [Value; 7] {
    [
        json!({"seq": 0, "time": 1_796_115_600, "type": "election_created", "data": {"election": ELECTION, "title": "Société — élection", "public_key": RFC8032_1.1, "actor": "cli:officer"}}),
        json!({"seq": 1, "time": 1_796_115_660, "type": "roll_imported", "data": {"added": 40, "total": 40, "actor": "cli:officer"}}),
        json!({"seq": 2, "time": 1_796_115_720, "type": "tokens_issued", "data": {"count": 40, "actor": "staff:amara"}}),
        json!({"seq": 3, "time": 1_796_115_780, "type": "polls_opened", "data": {"definition_hash": sha256_hex(&[b"definition"]), "eligible": 40, "tokens_issued": 40, "lot_seed_commitment": sha256_hex(&[&[0u8; 32]]), "certification_quorum": 0, "closes_at": null, "actor": "scheduler"}}),
        json!({"seq": 4, "time": 1_796_116_380, "type": "ballot", "data": {"tracker": sha256_hex(&[b"ballot 1"])}}),
        json!({"seq": 5, "time": 1_796_116_380, "type": "ballot", "data": {"tracker": sha256_hex(&[b"ballot 2"])}}),
        json!({"seq": 6, "time": 1_796_116_380, "type": "seal", "data": {"seal": 1, "ballots": 2}}),
    ]
}

fn chain_vectors() -> Value {
    let mut previous = [0u8; 32];
    let mut out = Vec::new();
    for e in chain_entries() {
        let b = canonical(&e);
        let h = sha256_hex(&[&previous, &b]);
        out.push(json!({
            "entry": e,
            "canonical": String::from_utf8(b).expect("UTF-8"),
            "previous": hex::encode(previous),
            "hash": h,
        }));
        previous.copy_from_slice(&hex::decode(&h).expect("hex"));
    }
    json!({
        "description": "hash(0) = SHA-256(32 zero bytes ‖ canonical(entry 0)); hash(n) = SHA-256(hash(n−1) ‖ canonical(entry n)). The head of this log of size 7 is the last hash.",
        "entries": out,
        "head": hex::encode(previous),
    })
}

/// RFC 9162 §2.1, written out from its definitions over the leaves (the
/// verifier's `merkle.rs` keeps stored subtrees instead; the two must agree).
pub mod rfc9162 {
    use super::sha256_hex;

    fn leaf(bytes: &[u8]) -> String {
        sha256_hex(&[&[0x00], bytes])
    }

    fn node(left: &str, right: &str) -> String {
        let (l, r) = (hex::decode(left).expect("hex"), hex::decode(right).expect("hex"));
        sha256_hex(&[&[0x01], &l, &r])
    }

    /// The largest power of two smaller than `n` (`n` ≥ 2).
    fn split(n: usize) -> usize {
        let mut k = 1;
        while k * 2 < n {
            k *= 2;
        }
        k
    }

    /// `MTH(D[n])`.
    pub fn mth(d: &[Vec<u8>]) -> String {
        match d.len() {
            0 => sha256_hex(&[]),
            1 => leaf(&d[0]),
            n => {
                let k = split(n);
                node(&mth(&d[..k]), &mth(&d[k..]))
            }
        }
    }

    /// `PATH(m, D[n])`.
    pub fn path(m: usize, d: &[Vec<u8>]) -> Vec<String> {
        let n = d.len();
        if n <= 1 {
            return vec![];
        }
        let k = split(n);
        let (mut p, other) = if m < k {
            (path(m, &d[..k]), mth(&d[k..]))
        } else {
            (path(m - k, &d[k..]), mth(&d[..k]))
        };
        p.push(other);
        p
    }

    /// `SUBPROOF(m, D[n], b)`; `PROOF(m, D[n])` is `subproof(m, d, true)`.
    pub fn subproof(m: usize, d: &[Vec<u8>], b: bool) -> Vec<String> {
        let n = d.len();
        if m == n {
            return if b { vec![] } else { vec![mth(d)] };
        }
        let k = split(n);
        let (mut p, other) = if m <= k {
            (subproof(m, &d[..k], b), mth(&d[k..]))
        } else {
            (subproof(m - k, &d[k..], false), mth(&d[..k]))
        };
        p.push(other);
        p
    }

    /// The leaf hash of `bytes`.
    pub fn leaf_hash(bytes: &[u8]) -> String {
        leaf(bytes)
    }
}

/// §5a: the roots, inclusion proofs and consistency proofs of two trees —
/// the eight-leaf tree of Certificate Transparency's tests, whose roots are
/// published, and the chain vectors' log — for every size, leaf and pair of
/// sizes.
fn merkle_vectors() -> Value {
    let tree = |leaves: &[Vec<u8>]| {
        let roots: Vec<Value> = (0..=leaves.len())
            .map(|n| json!({"size": n, "root": rfc9162::mth(&leaves[..n])}))
            .collect();
        let mut inclusion = Vec::new();
        let mut consistency = Vec::new();
        for n in 1..=leaves.len() {
            for m in 0..n {
                inclusion.push(json!({"index": m, "size": n, "proof": rfc9162::path(m, &leaves[..n])}));
            }
            for m in 1..n {
                consistency.push(json!({"first": m, "second": n, "proof": rfc9162::subproof(m, &leaves[..n], true)}));
            }
        }
        json!({
            "leaves": leaves.iter().map(|l| json!({"hex": hex::encode(l), "leaf_hash": rfc9162::leaf_hash(l)})).collect::<Vec<_>>(),
            "roots": roots,
            "inclusion": inclusion,
            "consistency": consistency,
        })
    };
    let ct: Vec<Vec<u8>> = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
    .iter()
    .map(|h| hex::decode(h).expect("hex"))
    .collect();
    let log: Vec<Vec<u8>> = chain_entries().iter().map(canonical).collect();
    json!({
        "description": "RFC 9162 §2.1: leaf hash SHA-256(0x00 ‖ leaf), node SHA-256(0x01 ‖ left ‖ right), the empty tree SHA-256 of nothing. For each tree: every root, every inclusion proof PATH(index, D[size]) and every consistency proof PROOF(first, D[second]), hashes bottom-up as the RFC lists them.",
        "ct": tree(&ct),
        "log": tree(&log),
    })
}

/// §6a "Tiles": tile paths (and paths a reader must refuse), which tiles a
/// tree of a given size has, the contents of hash tiles at levels 0, 1 and
/// 2 of a 65,793-leaf tree, and an entry bundle of the chain vectors' log.
/// Hashes are computed from RFC 9162's definitions over the leaves
/// (`rfc9162::mth`), not by the verifier's tree.
fn tiles_vector() -> Value {
    let path = |kind: &str, index: u64, width: u64| {
        let mut p = format!("{kind}/{}", index_path(index));
        if width != 256 {
            p.push_str(&format!(".p/{width}"));
        }
        p
    };
    let paths: Vec<Value> = [
        ("0", 0, 256),
        ("0", 7, 256),
        ("0", 999, 256),
        ("0", 1000, 256),
        ("1", 1_234_067, 256),
        ("2", 0, 1),
        ("63", 5, 255),
        ("entries", 0, 7),
        ("entries", 1_000_000, 256),
    ]
    .iter()
    .map(|(kind, index, width)| json!({"kind": kind, "index": index, "width": width, "path": path(kind, *index, *width)}))
    .collect();
    let refused: Vec<Value> = [
        ("0/7", "an index element is three digits"),
        ("0/0007", "an index element is three digits"),
        ("0/x000/007", "no needless leading x000 element"),
        ("0/x1/007", "an x element is x and three digits"),
        ("00/000", "the level has no leading zero"),
        ("64/000", "the level is at most 63"),
        ("0/000.p/0", "a partial width is 1 to 255"),
        ("0/000.p/256", "a full tile has no .p/ suffix"),
        ("0/000.p/07", "the width has no leading zero"),
        ("0/-01", "an index element is three digits"),
        ("data/000", "the kind is a level or entries"),
        ("0/000/", "nothing after the index"),
    ]
    .iter()
    .map(|(p, why)| json!({"path": p, "why": why}))
    .collect();
    // Which tiles a tree of each size has: full tiles counted per kind,
    // partial ones listed (a complete list for the small sizes).
    let tiles_for = |size: u64| -> Value {
        let mut full = serde_json::Map::new();
        let mut partial = Vec::new();
        let mut all = Vec::new();
        for (kind, shift) in std::iter::once(("entries".to_string(), 0)).chain((0..64).map(|l| (l.to_string(), 8 * l)))
        {
            let count = if shift >= 64 { 0 } else { size >> shift };
            if count == 0 {
                continue;
            }
            full.insert(kind.clone(), json!(count / 256));
            for index in 0..count / 256 {
                all.push(json!(path(&kind, index, 256)));
            }
            if count % 256 != 0 {
                partial.push(json!(path(&kind, count / 256, count % 256)));
                all.push(json!(path(&kind, count / 256, count % 256)));
            }
        }
        let mut v = json!({"size": size, "full": full, "partial": partial});
        if size <= 600 {
            v["all"] = json!(all);
        }
        v
    };
    let sizes: Vec<Value> = [0, 1, 7, 255, 256, 257, 513, 65_536, 65_793]
        .into_iter()
        .map(tiles_for)
        .collect();
    // Leaf i of the contents tree: i as 8 bytes, big-endian.
    let leaves: Vec<Vec<u8>> = (0..65_793u64).map(|i| i.to_be_bytes().to_vec()).collect();
    let hashes = |level: u32, from: usize, count: usize| -> Vec<u8> {
        let span = 1usize << (8 * level);
        (from..from + count)
            .flat_map(|i| hex::decode(rfc9162::mth(&leaves[i * span..(i + 1) * span])).expect("hex"))
            .collect()
    };
    let content = |name: &str, level: u32, index: usize, width: usize| {
        let bytes = hashes(level, index * 256, width);
        let mut v = json!({"tile": name, "bytes": bytes.len(), "sha256": sha256_hex(&[&bytes])});
        if bytes.len() <= 64 {
            v["hex"] = json!(hex::encode(&bytes));
        }
        v
    };
    let contents = vec![
        content("0/000", 0, 0, 256),
        content("0/257.p/1", 0, 257, 1),
        content("1/000", 1, 0, 256),
        content("1/001.p/1", 1, 1, 1),
        content("2/000.p/1", 2, 0, 1),
    ];
    let log: Vec<Vec<u8>> = chain_entries().iter().map(canonical).collect();
    let mut bundle = Vec::new();
    for entry in &log {
        bundle.extend_from_slice(&(entry.len() as u16).to_be_bytes());
        bundle.extend_from_slice(entry);
    }
    json!({
        "description": "§6a Tiles (c2sp.org/tlog-tiles): `paths` are tiles and their one path below tile/; a reader refuses every `refused` path. `sizes`: for a tree of each size, the number of full tiles of each kind, the partial tiles, and (size ≤ 600) every path. `contents`: hash tiles of the tree whose leaf i is i as 8 bytes big-endian, 65,793 leaves (root given): a tile's bytes are its hashes concatenated, hash i of tile N at level L being MTH of the 256^L leaves from (256·N + i)·256^L. `bundle`: the chain vectors' log (7 entries) as entries/000.p/7, each entry a big-endian uint16 length and its canonical bytes.",
        "paths": paths,
        "refused": refused,
        "sizes": sizes,
        "contents": {"leaves": 65_793, "root": rfc9162::mth(&leaves), "tiles": contents},
        "bundle": {"tile": "entries/000.p/7", "entries": log.len(), "hex": hex::encode(&bundle), "sha256": sha256_hex(&[&bundle])},
    })
}

/// A tile index as its path: groups of three digits, all but the last
/// prefixed `x` (written here from the spec, not by the verifier's code).
fn index_path(mut index: u64) -> String {
    let mut groups = vec![format!("{:03}", index % 1000)];
    index /= 1000;
    while index > 0 {
        groups.push(format!("x{:03}", index % 1000));
        index /= 1000;
    }
    groups.reverse();
    groups.join("/")
}

fn signed(key: &FixedKey, body: &Value) -> (Value, String) {
    let b = canonical(body);
    let sig = key.sign(&b);
    (
        json!({"text": String::from_utf8(b.clone()).expect("UTF-8"), "hex": hex::encode(&b)}),
        sig,
    )
}

fn checkpoint_vector() -> Value {
    let k = key(RFC8032_1);
    let body = json!({"format": "teller-checkpoint/1", "election": ELECTION, "size": 7, "head": chain_vectors()["head"], "time": 1_796_116_380, "reason": "sealed"});
    let (bytes, sig) = signed(&k, &body);
    let mut whole = body.clone();
    whole["signature"] = json!(sig);
    json!({
        "description": "A checkpoint of the chain vectors' log, signed by the election key (RFC 8032 TEST 1): Ed25519 over the canonical encoding without `signature`.",
        "seed": RFC8032_1.0, "public_key": RFC8032_1.1,
        "checkpoint": whole, "signed_bytes": bytes, "signature": sig,
    })
}

/// §6a: the signed note of a tree checkpoint, written out from the spec:
/// the text, a blank line and the signature line of `origin`, whose key id
/// is SHA-256(origin ‖ 0x0A ‖ 0x01 ‖ public key)[:4]. Returns (text, key id,
/// signature, note).
pub fn signed_note(
    origin: &str,
    size: usize,
    root_hex: &str,
    public_hex: &str,
    sign: &dyn Fn(&[u8]) -> String,
) -> (String, Vec<u8>, Vec<u8>, String) {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    let root = hex::decode(root_hex).expect("hex");
    let text = format!("{origin}\n{size}\n{}\n", STANDARD.encode(&root));
    let public = hex::decode(public_hex).expect("hex");
    let key_id = hex::decode(sha256_hex(&[origin.as_bytes(), b"\n", &[0x01], &public])).expect("hex")[..4].to_vec();
    let signature = hex::decode(sign(text.as_bytes())).expect("hex");
    let mut blob = key_id.clone();
    blob.extend_from_slice(&signature);
    let note = format!("{text}\n\u{2014} {origin} {}\n", STANDARD.encode(&blob));
    (text, key_id, signature, note)
}

/// §7a: the inclusion proof of the ballot entry at `ballot`, the seal
/// entry at `seal` and the `polls_opened` entry at `opened` in the tree of
/// `entries` (each as the log shows it; its `hash`, if any, is not part of
/// the leaf), with the signed `note`.
pub fn inclusion_object(election: &str, entries: &[Value], [ballot, seal, opened]: [usize; 3], note: &str) -> Value {
    let leaves: Vec<Vec<u8>> = entries.iter().map(super::json::entry_bytes).collect();
    let bare = |i: usize| {
        let e = &entries[i];
        json!({"seq": e["seq"], "time": e["time"], "type": e["type"], "data": e["data"]})
    };
    json!({
        "format": "teller-inclusion/2",
        "election": election,
        "entry": bare(ballot),
        "proof": rfc9162::path(ballot, &leaves),
        "seal_entry": bare(seal),
        "seal_proof": rfc9162::path(seal, &leaves),
        "opened_entry": bare(opened),
        "opened_proof": rfc9162::path(opened, &leaves),
        "checkpoint": note,
    })
}

/// §6b: a witness's signature line of a checkpoint `text` at `time`, and
/// its vkey, written out from the spec.
pub fn cosignature_line(
    name: &str,
    public_hex: &str,
    sign: &dyn Fn(&[u8]) -> String,
    text: &str,
    time: u64,
) -> (String, String) {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    let public = hex::decode(public_hex).expect("hex");
    let key_id = hex::decode(sha256_hex(&[name.as_bytes(), b"\n", &[0x04], &public])).expect("hex")[..4].to_vec();
    let message = format!("cosignature/v1\ntime {time}\n{text}");
    let signature = hex::decode(sign(message.as_bytes())).expect("hex");
    let mut blob = key_id.clone();
    blob.extend_from_slice(&time.to_be_bytes());
    blob.extend_from_slice(&signature);
    let mut material = vec![0x04];
    material.extend_from_slice(&public);
    (
        format!("\u{2014} {name} {}\n", STANDARD.encode(&blob)),
        format!("{name}+{}+{}", hex::encode(&key_id), STANDARD.encode(&material)),
    )
}

/// §6a: the tree checkpoint of the chain vectors' log (its Merkle root,
/// §5a), as a signed note of the election key (RFC 8032 TEST 1).
fn note_vector() -> Value {
    let k = key(RFC8032_1);
    let origin = format!("vote.example.org/teller/{ELECTION}");
    let log: Vec<Vec<u8>> = chain_entries().iter().map(canonical).collect();
    let root = rfc9162::mth(&log);
    let (text, key_id, signature, note) = signed_note(&origin, log.len(), &root, RFC8032_1.1, &|b| k.sign(b));
    json!({
        "description": "The tree checkpoint of the chain vectors' log: origin, size and Merkle root (§5a, standard base64), signed by the election key as a C2SP signed note. key id = SHA-256(origin ‖ 0x0A ‖ 0x01 ‖ public key)[:4]; the signature line carries base64(key id ‖ Ed25519 signature of the text).",
        "seed": RFC8032_1.0, "public_key": RFC8032_1.1,
        "origin": origin, "size": log.len(), "root": root,
        "text": text, "key_id": hex::encode(&key_id), "signature": hex::encode(&signature),
        "note": note,
    })
}

/// §6b: the `note` vector's checkpoint cosigned by a witness whose key is
/// RFC 8032 TEST 1, as `c2sp.org/tlog-cosignature` v1 (Ed25519) defines it.
fn cosignature_vector() -> Value {
    let k = key(RFC8032_1);
    let name = "witness.example.org/w1";
    let time: u64 = 1_796_116_380;
    let note = note_vector();
    let text = note["text"].as_str().expect("text").to_string();
    let public = hex::decode(RFC8032_1.1).expect("hex");
    let key_id = hex::decode(sha256_hex(&[name.as_bytes(), b"\n", &[0x04], &public])).expect("hex")[..4].to_vec();
    let message = format!("cosignature/v1\ntime {time}\n{text}");
    let signature = hex::decode(k.sign(message.as_bytes())).expect("hex");
    let (line, vkey) = cosignature_line(name, RFC8032_1.1, &|b| k.sign(b), &text, time);
    json!({
        "description": "§6b: the note vector's checkpoint cosigned by a witness (RFC 8032 TEST 1 as the witness key) per c2sp.org/tlog-cosignature v1 (Ed25519). key id = SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key)[:4]; the signed message is \"cosignature/v1\\n\", \"time <decimal>\\n\" and the checkpoint text; the line carries base64(key id ‖ time as u64 big-endian ‖ Ed25519 signature of the message); vkey = name+hex(key id)+base64(0x04 ‖ public key).",
        "seed": RFC8032_1.0, "public_key": RFC8032_1.1,
        "name": name, "key_id": hex::encode(&key_id), "vkey": vkey,
        "time": time, "checkpoint_text": text,
        "signed_message": {"text": message, "hex": hex::encode(message.as_bytes())},
        "signature": hex::encode(&signature),
        "line": line,
        "cosigned_note": format!("{}{line}", note["note"].as_str().expect("note")),
    })
}

/// §7a: the inclusion proof of the chain vectors' second ballot (entry 5)
/// and its seal (entry 6), with the note of `note_vector`.
fn inclusion_vector() -> Value {
    let note = note_vector()["note"].as_str().expect("a note").to_string();
    let entries = chain_entries();
    json!({
        "description": "A whole teller-inclusion/2 object (§7a): the ballot entry 5, the seal entry 6 and the polls_opened entry 3 of the chain vectors' log with their paths PATH(5, D[7]), PATH(6, D[7]) and PATH(3, D[7]), and the note vector's checkpoint (no witnesses: that polls_opened names none). It holds for a receipt of tracker entries[5].data.tracker promising seal 1.",
        "proof": inclusion_object(ELECTION, &entries, [5, 6, 3], &note),
    })
}

fn ballot(nonce: &str, choices: Value, weight: &str) -> Value {
    json!({"election": ELECTION, "nonce": nonce, "choices": choices, "weight": weight})
}

fn tracker_vectors() -> Vec<Value> {
    [
        ballot("00000000000000000000000000000001", json!({"board": ["a"], "bylaw": []}), "1"),
        ballot("7931f3e6bf734badc83561595d0dff4d", json!({"directors": ["amara-okafor", "priya-raman"], "treasurer": ["write-in:Jo Bloggs"], "bylaw-amendment-7": ["yes"]}), "2.5"),
        ballot("ffffffffffffffffffffffffffffffff", json!({"chair": ["gus", "hal", "ivy"], "shares": ["max", "max", "ned"]}), "0.000001"),
        ballot("0123456789abcdef0123456789abcdef", json!({"treasurer": ["write-in:Zo\u{00eb} \u{00c5}ngstr\u{00f6}m"]}), "1000000"),
    ]
    .into_iter()
    .map(|b| {
        let c = bytes_of(&b);
        json!({"ballot": b, "canonical": c["text"], "tracker": c["sha256"]})
    })
    .collect()
}

fn receipt_vector() -> Value {
    let k = key(RFC8032_1);
    let b = ballot(
        "7931f3e6bf734badc83561595d0dff4d",
        json!({"directors": ["amara-okafor", "priya-raman"], "treasurer": ["write-in:Jo Bloggs"], "bylaw-amendment-7": ["yes"]}),
        "1",
    );
    let tracker = sha256_hex(&[&canonical(&b)]);
    let body = json!({"format": "teller-receipt/1", "election": ELECTION, "tracker": tracker, "ballot": b, "seal": 3, "public_key": RFC8032_1.1});
    let (bytes, sig) = signed(&k, &body);
    let mut whole = body;
    whole["signature"] = json!(sig);
    json!({
        "description": "A receipt signed by the election key (RFC 8032 TEST 1): its tracker is SHA-256 of its ballot's canonical encoding; the signature is over the canonical encoding without `signature`.",
        "seed": RFC8032_1.0, "public_key": RFC8032_1.1,
        "receipt": whole, "signed_bytes": bytes, "signature": sig,
    })
}

fn certification_vector() -> Value {
    let k = key(RFC8032_2);
    let digest = sha256_hex(&[b"a tally"]);
    let st = json!({"format": "teller-certification/1", "election": ELECTION, "tally_digest": digest});
    let (bytes, sig) = signed(&k, &st);
    let mut whole = st.clone();
    whole["public_key"] = json!(RFC8032_2.1);
    whole["signature"] = json!(sig);
    json!({
        "description": "A certifier's signed statement (RFC 8032 TEST 2 key): Ed25519 over the canonical encoding of the three-member statement.",
        "seed": RFC8032_2.0, "public_key": RFC8032_2.1,
        "statement": st, "signed_bytes": bytes, "signature": sig, "signed_statement": whole,
    })
}

fn lot_vectors() -> Value {
    let seeds = ["00".repeat(32), sha256_hex(&[b"teller conformance lot seed"])];
    let mut plurality = Vec::new();
    let mut contest_seeds = Vec::new();
    let mut method = Vec::new();
    for seed_hex in &seeds {
        let seed: [u8; 32] = hex::decode(seed_hex).expect("hex").try_into().expect("32 bytes");
        let commitment = sha256_hex(&[&seed]);
        for (contest, options) in [
            ("board", vec!["a", "b"]),
            (
                "treasurer",
                vec![
                    "grace-whitfield",
                    "omar-haddad",
                    "write-in:Jo Bloggs",
                    "write-in:Zo\u{00eb}",
                ],
            ),
        ] {
            let keys: Vec<Value> = options
                .iter()
                .map(|o| json!({"option": o, "key": sha256_hex(&[&seed, contest.as_bytes(), &[0], o.as_bytes()])}))
                .collect();
            let mut order: Vec<String> = options.iter().map(|o| o.to_string()).collect();
            teller_audit::tally::lot_order(&teller_audit::crypto::Seed(seed), contest, &mut order);
            plurality.push(json!({"seed": seed_hex, "contest": contest, "keys": keys, "order": order}));
        }
        for contest in ["council", "runoff", "order"] {
            let cs = teller_audit::tally::contest_seed(&teller_audit::crypto::Seed(seed), contest);
            contest_seeds.push(json!({"seed": seed_hex, "seed_commitment": commitment, "contest": contest, "contest_seed": hex::encode(cs)}));
            for context in [
                "irv/round 1/exclude",
                "stv-scottish/round 0/election-order/1",
                "stv-scottish/round 2/surplus",
                "stv-meek/round 3/exclude",
                "approval/round 0/seat",
                "cumulative/round 0/seat",
                "schulze/rank 1",
            ] {
                let keys: Vec<Value> = [0usize, 1, 2, 300]
                    .iter()
                    .map(|&c| {
                        let mut be = [0u8; 4];
                        be.copy_from_slice(&(c as u32).to_be_bytes());
                        let k = sha256_hex(&[&cs, context.as_bytes(), &be]);
                        assert_eq!(k, hex::encode(teller_audit::count::lot_key(&cs, context, c)));
                        json!({"candidate": c, "key": k})
                    })
                    .collect();
                let mut order: Vec<(String, usize)> = keys
                    .iter()
                    .map(|k| {
                        (
                            k["key"].as_str().unwrap_or_default().to_string(),
                            k["candidate"].as_u64().unwrap_or(0) as usize,
                        )
                    })
                    .collect();
                order.sort();
                method.push(json!({
                    "contest_seed": hex::encode(cs), "context": context, "keys": keys,
                    "order": order.into_iter().map(|(_, c)| c).collect::<Vec<_>>(),
                }));
            }
        }
    }
    json!({
        "plurality": {"description": "Plurality ties (§9.1): key = SHA-256(seed ‖ UTF-8(contest id) ‖ 0x00 ‖ UTF-8(option id)); ascending keys, the first wins.", "vectors": plurality},
        "contest_seed": {"description": "§9.1: contest seed = SHA-256(\"teller-lots/1\" ‖ 0x00 ‖ seed ‖ UTF-8(contest id)); seed_commitment = SHA-256(seed), as logged in polls_opened.", "vectors": contest_seeds},
        "method": {"description": "COUNTING.md §4: key = SHA-256(contest seed ‖ UTF-8(context) ‖ u32_be(candidate number, from 0)); ascending keys, the first is chosen.", "vectors": method},
    })
}

fn name_vectors() -> Value {
    let keys: Vec<Value> = [
        "Alice",
        "\u{0410}lice",
        "AIice",
        "ALICE",
        "Zo\u{00eb}",
        "Zoe\u{0308}",
        "Zo\u{200d}\u{00eb}",
        "Z\u{043e}\u{00eb}",
        "Wim",
        "JO BLOGGS",
        "Jo Bloggs",
        "J\u{043e} Bloggs",
        "Grace Whitfie1d",
        "Gr\u{0430}ce Whitfield",
        "\u{00c5}ngstr\u{00f6}m",
        "\u{212b}ngstr\u{00f6}m",
    ]
    .iter()
    .map(|n| json!({"name": n, "key": teller_audit::names::key(n)}))
    .collect();
    let candidates = ["Alice", "Grace Whitfield"];
    let write_ins: Vec<Value> = [
        ("Zo\u{00eb}", true, "valid"),
        ("Jo Bloggs", true, "valid"),
        ("Jo\u{0001}Bloggs", false, "a control character (Cc)"),
        ("Zo\u{200d}\u{00eb}", false, "a format character (Cf, U+200D)"),
        ("Zoe\u{0308}", false, "not in NFC"),
        ("Jo\u{00a0}Bloggs", false, "a space other than U+0020"),
        ("Jo  Bloggs", false, "two spaces together"),
        (" Jo", false, "a space at the start"),
        ("", false, "empty"),
        ("\u{0410}lice", false, "the same name key as the candidate Alice"),
        ("AIice", false, "the same name key as the candidate Alice"),
        ("ALICE", false, "the candidate Alice ignoring ASCII case"),
        (
            "Grace Whitfie1d",
            false,
            "the same name key as the candidate Grace Whitfield",
        ),
        (
            "Jo\u{00ad}Bloggs",
            false,
            "a default-ignorable code point (soft hyphen)",
        ),
        ("Jo\u{e000}", false, "a private-use code point"),
    ]
    .iter()
    .map(|(n, ok, why)| json!({"name": n, "valid": ok, "why": why}))
    .collect();
    json!({
        "keys": {"description": "§4a: key(s) = fold(skeleton(s)), Unicode 18.0.0 data.", "vectors": keys},
        "write_ins": {"description": "§4 rule 2: a plurality contest (one seat, write-ins allowed) whose candidates are named as listed; each name as `write-in:NAME` on its own.", "candidates": candidates, "vectors": write_ins},
    })
}

/// Write `vectors.json`.
pub fn write(path: &Path) {
    let v = json!({
        "format": "teller-vectors/1",
        "spec": "audit/FORMAT.md §12",
        "canonical": canonical_vectors(),
        "chain": chain_vectors(),
        "merkle": merkle_vectors(),
        "trackers": tracker_vectors(),
        "checkpoint": checkpoint_vector(),
        "note": note_vector(),
        "cosignature": cosignature_vector(),
        "inclusion": inclusion_vector(),
        "tiles": tiles_vector(),
        "receipt": receipt_vector(),
        "certification": certification_vector(),
        "lots": lot_vectors(),
        "names": name_vectors(),
    });
    let text = serde_json::to_string_pretty(&v).expect("JSON") + "\n";
    std::fs::write(path, text).expect("write vectors.json");
}
