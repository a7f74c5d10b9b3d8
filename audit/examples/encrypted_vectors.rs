//! Writes the known-answer vectors of encrypted ballots
//! (docs/design/encrypted-ballots.md §B, the groups of §14–§15) to
//! `audit/conformance/encrypted-vectors.json`, deterministically:
//!
//!     cargo run -p teller-audit --example encrypted_vectors -- audit/conformance/encrypted-vectors.json
//!     cargo run -p teller-audit --example encrypted_vectors -- --check audit/conformance/encrypted-vectors.json
//!
//! Every secret comes from a label (`HS("teller/test-vector/v1";
//! str(label))`), every random byte string a prover draws is listed, and
//! every input is written beside its outputs, so the file describes
//! itself. `audit/tests/encrypted_vectors.rs` recomputes every vector from
//! its inputs, and so does the browser code's `node --test`.
//!
//! The group vectors of RFC 9496 (Appendix A.1, A.2) are copied here from
//! the RFC; the generator refuses to write a file where the library
//! disagrees with them.
// A generator over fixed inputs: a failure is a bug to stop at.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::process::ExitCode;

use serde_json::{json, Value};
use teller_audit::count::Weight;
use teller_audit::crypto::{Digest, Nonce};
use teller_audit::definition::Definition;
use teller_audit::encrypted::audited::{choices_in_words, AuditedBallot, AuditedEncryption, AUDITED_BALLOT_FORMAT};
use teller_audit::encrypted::ballot::{BallotShape, EncryptedBallot, EncryptedSelection, Encrypter};
use teller_audit::encrypted::batch::Bases;
use teller_audit::encrypted::cast::{read_ballot, CastContext, CastStore};
use teller_audit::encrypted::elgamal::{product, EncryptionKey};
use teller_audit::encrypted::fingerprint::{short, FingerprintInput};
use teller_audit::encrypted::group::{
    decode_scalar, draw_for, g_pow, int, scalar_to_hex, Element, OsRandom, RistrettoPoint, Scalar, ScriptedRandom,
};
use teller_audit::encrypted::hash::{tag, test_scalar, Framer};
use teller_audit::encrypted::nonces::{indicator_randomness, option_randomness, BallotSeed};
use teller_audit::encrypted::proofs::{ContestStatement, SelectionStatement};
use teller_audit::trustees::ceremony::KeyEntry;

/// The example election's definition (examples/board-election.toml, as
/// the demo makes it), with the treasurer's write-ins turned off (§14.8).
const EXAMPLE_DEFINITION: &str = r#"{
  "contests": [
    {
      "candidates": [
        {
          "id": "amara-okafor",
          "name": "Amara Okafor",
          "statement": "Hospital pharmacy technician for 12 years; I will push for paid continuing-education hours."
        },
        {
          "id": "daniel-brooks",
          "name": "Daniel Brooks",
          "statement": "Community pharmacy lead. Fair pay scales and safe staffing levels in every retail chain."
        },
        {
          "id": "mei-ling-chen",
          "name": "Mei-Ling Chen",
          "statement": "Compounding specialist and trainer; a mentorship programme for new technicians."
        },
        {
          "id": "rosa-delgado",
          "name": "Rosa Delgado",
          "statement": "Two terms as regional secretary. Transparent budgets and more regional meetings."
        },
        {
          "id": "tomasz-nowak",
          "name": "Tomasz Nowak",
          "statement": "Sterile preparation supervisor; national recognition of advanced certifications."
        },
        {
          "id": "priya-raman",
          "name": "Priya Raman",
          "statement": "Informatics technician; modernise how the Society communicates with members."
        },
        {
          "id": "samuel-adeyemi",
          "name": "Samuel Adeyemi",
          "statement": "Student liaison; lower dues for technicians in their first two years."
        }
      ],
      "description": "Three seats, each for a three-year term.",
      "id": "directors",
      "method": {
        "kind": "plurality",
        "majority_required": false,
        "write_ins": false
      },
      "seats": 3,
      "title": "Board of Directors"
    },
    {
      "candidates": [
        {
          "id": "grace-whitfield",
          "name": "Grace Whitfield",
          "statement": "Chartered accountant and certified technician; current deputy treasurer."
        },
        {
          "id": "omar-haddad",
          "name": "Omar Haddad",
          "statement": "Ran the Society's 2024 budget review; proposes quarterly published accounts."
        }
      ],
      "description": "One seat, two-year term. The winner needs a majority of the ballots cast in this contest (Bylaw 4.2).",
      "id": "treasurer",
      "method": {
        "kind": "plurality",
        "majority_required": true,
        "write_ins": false
      },
      "seats": 1,
      "title": "Treasurer"
    },
    {
      "candidates": [],
      "description": "Shall Article 7 of the Bylaws be amended to allow all future elections and votes of members to be held electronically? Passing requires at least two-thirds of the votes cast; abstentions are not votes cast.",
      "id": "bylaw-amendment-7",
      "method": {
        "kind": "referendum",
        "threshold": {
          "comparison": "at-least",
          "denominator": 3,
          "numerator": 2
        }
      },
      "seats": 1,
      "title": "Bylaw Amendment 7: electronic voting"
    }
  ],
  "description": "Members elect three directors to the Board, the Treasurer, and decide on an amendment to the Bylaws. You may leave any contest blank.",
  "title": "Society of Pharmacy Technicians — 2026 Board Election"
}"#;

/// The election of the example vectors: FORMAT.md's example id.
const ELECTION: &str = "2a6f16d2-c738-4ef1-8402-71c1bfa25a25";
/// Another election, for the refusals.
const OTHER_ELECTION: &str = "7c1b2f4e-93a0-4d5b-8e61-0f2a9c3d4b57";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (check, path) = match args.as_slice() {
        [flag, path] if flag == "--check" => (true, path),
        [path] if !path.starts_with('-') => (false, path),
        _ => {
            eprintln!("usage: encrypted_vectors [--check] FILE");
            return ExitCode::from(2);
        }
    };
    let text = generate();
    if check {
        match std::fs::read_to_string(path) {
            Ok(existing) if existing == text => {
                println!("{path} is up to date");
                ExitCode::SUCCESS
            }
            Ok(_) => {
                eprintln!("{path} differs from what the library generates; regenerate it without --check");
                ExitCode::FAILURE
            }
            Err(e) => {
                eprintln!("cannot read {path}: {e}");
                ExitCode::FAILURE
            }
        }
    } else if let Err(e) = std::fs::write(path, &text) {
        eprintln!("cannot write {path}: {e}");
        ExitCode::FAILURE
    } else {
        println!("wrote {path} ({} bytes)", text.len());
        ExitCode::SUCCESS
    }
}

fn generate() -> String {
    let election = ExampleElection::new();
    let mut top = BTreeMap::new();
    top.insert("format", json!("teller-encrypted-vectors/1"));
    top.insert("about", about());
    top.insert("ristretto.encodings", ristretto_encodings());
    top.insert("ristretto.refused", ristretto_refused());
    top.insert("ristretto.identity", ristretto_identity());
    top.insert("scalars", scalars());
    top.insert("hash", hash());
    top.insert("fingerprint", fingerprint(&election));
    top.insert("elgamal", elgamal());
    top.insert("nonces", nonces(&election));
    top.insert("selection-proof", selection_proof(&election));
    top.insert("contest-proof", contest_proof(&election));
    let (ballots, example) = encrypted_ballots(&election);
    top.insert("audited-ballot", audited_ballots(&election, &ballots[0]));
    top.insert("encrypted-ballot", ballots);
    top.insert("refusals", refusals(&election, &example));
    let value = Value::Object(top.into_iter().map(|(k, v)| (k.to_string(), v)).collect());
    let mut out = String::new();
    pretty(&value, 0, &mut out);
    out.push('\n');
    out
}

fn about() -> Value {
    json!({
        "spec": "audit/FORMAT.md §14-§15 and §16.10 (format version 5); test-vector plan: docs/design/encrypted-ballots.md §B",
        "generator": "cargo run -p teller-audit --example encrypted_vectors -- [--check] audit/conformance/encrypted-vectors.json",
        "checked_by": ["audit/tests/encrypted_vectors.rs (Rust, recomputing every vector from its inputs)", "browser: node --test"],
        "hex": "All bytes are lower-case hex. An element is its 32-byte encoding E(P) (RFC 9496); a scalar is 32 bytes little-endian, below the group order.",
        "labels": "A secret scalar named by a label is HS(\"teller/test-vector/v1\"; str(label)). Fixed byte strings named by a label (seeds, nonces) are the first bytes of H256(\"teller/test-vector/v1\"; str(label)).",
        "draws": "Provers take a random source. `draws` lists, in order, every byte string it returns: a scalar is drawn as 64 bytes reduced mod the group order (§14.4), and each vector's 64-byte draws are a scalar's 32 bytes followed by 32 zero bytes, so the drawn scalar is that scalar. A ballot's `random` starts with the 32-byte seed and the 16-byte nonce.",
        "draw_order": "Selection proof (§15.2): for j = 0..p, c_j then v_j; for j = m, v_m is the nonce u and c_m is replaced. Contest proof (§15.3): for j = 0..L, c_j, v1_j, v2_j; for j = k, v1_k and v2_k are u1 and u2 and c_k is replaced. A ballot: contest by contest in definition order, each option's selection proof in option order, then the contest proof.",
        "audited": "audited-ballot: the file of §16.10 for the encrypted-ballot vector of the same name; `counts` and `choices` are what the seed opens it to, `in_words` the lines verify-audit ends with; each `refused` entry is the file with the top-level `member` replaced by `replacement`, whose first failing check is `check`.",
        "rfc9496": "ristretto.encodings is RFC 9496 Appendix A.1; the first 29 entries of ristretto.refused are Appendix A.2, in the RFC's order."
    })
}

// ---------------------------------------------------------------- helpers

fn hx(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

fn el(p: &RistrettoPoint) -> Value {
    json!(Element::from_point(*p).to_hex())
}

/// 32 fixed bytes from a label.
fn label_bytes(label: &str) -> [u8; 32] {
    let mut h = Framer::h256(tag::TEST_VECTOR);
    h.str(label);
    h.digest()
}

/// `n` scalar draws named `prefix/0`, `prefix/1`, …
fn scalar_draws(prefix: &str, n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| draw_for(&test_scalar(&format!("{prefix}/{i}"))))
        .collect()
}

fn hex_list(draws: &[Vec<u8>]) -> Value {
    json!(draws.iter().map(|d| hx(d)).collect::<Vec<_>>())
}

/// JSON with keys sorted (by their UTF-8 bytes), two spaces of indent, and
/// short arrays of scalars kept one per line: the same bytes whatever
/// serde_json's map order is.
fn pretty(value: &Value, indent: usize, out: &mut String) {
    let pad = |n: usize| "  ".repeat(n);
    match value {
        Value::Object(map) if !map.is_empty() => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push_str("{\n");
            for (i, (k, v)) in entries.iter().enumerate() {
                out.push_str(&pad(indent + 1));
                out.push_str(&serde_json::to_string(k).unwrap());
                out.push_str(": ");
                pretty(v, indent + 1, out);
                out.push_str(if i + 1 < entries.len() { ",\n" } else { "\n" });
            }
            out.push_str(&pad(indent));
            out.push('}');
        }
        Value::Array(items) if !items.is_empty() => {
            out.push_str("[\n");
            for (i, v) in items.iter().enumerate() {
                out.push_str(&pad(indent + 1));
                pretty(v, indent + 1, out);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            out.push_str(&pad(indent));
            out.push(']');
        }
        other => out.push_str(&serde_json::to_string(other).unwrap()),
    }
}

// --------------------------------------------------------- the election

/// The example election of the demo (examples/board-election.toml), with
/// the treasurer's write-ins turned off (§14.8), under a joint key shared
/// 2 of 3 by a polynomial whose coefficients come from labels.
struct ExampleElection {
    definition: Definition,
    shape: BallotShape,
    x: Scalar,
    key: EncryptionKey,
    bases: Bases,
    verification_keys: Vec<(u32, Element)>,
    fp: Digest,
}

impl ExampleElection {
    fn new() -> Self {
        let definition: Definition = serde_json::from_str(EXAMPLE_DEFINITION).unwrap();
        let x = test_scalar("election/x");
        let a1 = test_scalar("election/a1");
        let h = Element::from_point(g_pow(&x));
        let verification_keys: Vec<(u32, Element)> = (1..=3u32)
            .map(|j| (j, Element::from_point(g_pow(&(x + a1 * int(u64::from(j)))))))
            .collect();
        let fp = FingerprintInput {
            election: ELECTION,
            definition_hash: definition.hash(),
            threshold: 2,
            joint_key: h,
            verification_keys: &verification_keys,
        }
        .fingerprint();
        ExampleElection {
            shape: BallotShape::of(&definition).unwrap(),
            definition,
            x,
            key: EncryptionKey::new(h).unwrap(),
            bases: Bases::new(&h),
            verification_keys,
            fp,
        }
    }

    fn h(&self) -> &Element {
        self.key.element()
    }

    fn fingerprint_input(&self, election: &str, definition: &Definition) -> Value {
        let keys: Vec<Value> = self
            .verification_keys
            .iter()
            .map(|(j, k)| json!({"trustee": j, "key": k.to_hex()}))
            .collect();
        json!({
            "election": election,
            "definition_hash": definition.hash().to_hex(),
            "group": "ristretto255",
            "threshold": 2,
            "joint_key": self.h().to_hex(),
            "verification_keys": keys,
        })
    }

    fn fingerprint_of<'a>(&'a self, election: &'a str, definition: &Definition) -> FingerprintInput<'a> {
        FingerprintInput {
            election,
            definition_hash: definition.hash(),
            threshold: 2,
            joint_key: *self.h(),
            verification_keys: &self.verification_keys,
        }
    }
}

// ------------------------------------------------------------- the groups

/// RFC 9496 Appendix A.1: the encodings of `i·g`, `i = 0 … 15`.
const RFC_MULTIPLES: [&str; 16] = [
    "0000000000000000000000000000000000000000000000000000000000000000",
    "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76",
    "6a493210f7499cd17fecb510ae0cea23a110e8d5b901f8acadd3095c73a3b919",
    "94741f5d5d52755ece4f23f044ee27d5d1ea1e2bd196b462166b16152a9d0259",
    "da80862773358b466ffadfe0b3293ab3d9fd53c5ea6c955358f568322daf6a57",
    "e882b131016b52c1d3337080187cf768423efccbb517bb495ab812c4160ff44e",
    "f64746d3c92b13050ed8d80236a7f0007c3b3f962f5ba793d19a601ebb1df403",
    "44f53520926ec81fbd5a387845beb7df85a96a24ece18738bdcfa6a7822a176d",
    "903293d8f2287ebe10e2374dc1a53e0bc887e592699f02d077d5263cdd55601c",
    "02622ace8f7303a31cafc63f8fc48fdc16e1c8c8d234b2f0d6685282a9076031",
    "20706fd788b2720a1ed2a5dad4952b01f413bcf0e7564de8cdc816689e2db95f",
    "bce83f8ba5dd2fa572864c24ba1810f9522bc6004afe95877ac73241cafdab42",
    "e4549ee16b9aa03099ca208c67adafcafa4c3f3e4e5303de6026e3ca8ff84460",
    "aa52e000df2e16f55fb1032fc33bc42742dad6bd5a8fc0be0167436c5948501f",
    "46376b80f409b29dc2b5f6f0c52591990896e5716f41477cd30085ab7f10301e",
    "e0c418f7c8d9c4cdd7395b93ea124f3ad99021bb681dfc3302a9d99a2e53e64e",
];

/// RFC 9496 Appendix A.2, in its order, with its grouping.
const RFC_BAD: [(&str, &str); 29] = [
    (
        "00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "non-canonical field encoding",
    ),
    (
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "non-canonical field encoding",
    ),
    (
        "f3ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "non-canonical field encoding",
    ),
    (
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "non-canonical field encoding",
    ),
    (
        "0100000000000000000000000000000000000000000000000000000000000000",
        "negative field element",
    ),
    (
        "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "negative field element",
    ),
    (
        "ed57ffd8c914fb201471d1c3d245ce3c746fcbe63a3679d51b6a516ebebe0e20",
        "negative field element",
    ),
    (
        "c34c4e1826e5d403b78e246e88aa051c36ccf0aafebffe137d148a2bf9104562",
        "negative field element",
    ),
    (
        "c940e5a4404157cfb1628b108db051a8d439e1a421394ec4ebccb9ec92a8ac78",
        "negative field element",
    ),
    (
        "47cfc5497c53dc8e61c91d17fd626ffb1c49e2bca94eed052281b510b1117a24",
        "negative field element",
    ),
    (
        "f1c6165d33367351b0da8f6e4511010c68174a03b6581212c71c0e1d026c3c72",
        "negative field element",
    ),
    (
        "87260f7a2f12495118360f02c26a470f450dadf34a413d21042b43b9d93e1309",
        "negative field element",
    ),
    (
        "26948d35ca62e643e26a83177332e6b6afeb9d08e4268b650f1f5bbd8d81d371",
        "non-square x^2",
    ),
    (
        "4eac077a713c57b4f4397629a4145982c661f48044dd3f96427d40b147d9742f",
        "non-square x^2",
    ),
    (
        "de6a7b00deadc788eb6b6c8d20c0ae96c2f2019078fa604fee5b87d6e989ad7b",
        "non-square x^2",
    ),
    (
        "bcab477be20861e01e4a0e295284146a510150d9817763caf1a6f4b422d67042",
        "non-square x^2",
    ),
    (
        "2a292df7e32cababbd9de088d1d1abec9fc0440f637ed2fba145094dc14bea08",
        "non-square x^2",
    ),
    (
        "f4a9e534fc0d216c44b218fa0c42d99635a0127ee2e53c712f70609649fdff22",
        "non-square x^2",
    ),
    (
        "8268436f8c4126196cf64b3c7ddbda90746a378625f9813dd9b8457077256731",
        "non-square x^2",
    ),
    (
        "2810e5cbc2cc4d4eece54f61c6f69758e289aa7ab440b3cbeaa21995c2f4232b",
        "non-square x^2",
    ),
    (
        "3eb858e78f5a7254d8c9731174a94f76755fd3941c0ac93735c07ba14579630e",
        "negative xy value",
    ),
    (
        "a45fdc55c76448c049a1ab33f17023edfb2be3581e9c7aade8a6125215e04220",
        "negative xy value",
    ),
    (
        "d483fe813c6ba647ebbfd3ec41adca1c6130c2beeee9d9bf065c8d151c5f396e",
        "negative xy value",
    ),
    (
        "8a2e1d30050198c65a54483123960ccc38aef6848e1ec8f5f780e8523769ba32",
        "negative xy value",
    ),
    (
        "32888462f8b486c68ad7dd9610be5192bbeaf3b443951ac1a8118419d9fa097b",
        "negative xy value",
    ),
    (
        "227142501b9d4355ccba290404bde41575b037693cef1f438c47f8fbf35d1165",
        "negative xy value",
    ),
    (
        "5c37cc491da847cfeb9281d407efc41e15144c876e0170b499a96a22ed31e01e",
        "negative xy value",
    ),
    (
        "445425117cb8c90edcbc7c1cc0e74f747f2c1efa5630a967c64f287792a48a4b",
        "negative xy value",
    ),
    (
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "s = -1, which gives y = 0",
    ),
];

fn ristretto_encodings() -> Value {
    let mut p = RistrettoPoint::default();
    let mut out = Vec::new();
    for (i, expected) in RFC_MULTIPLES.iter().enumerate() {
        let encoding = Element::from_point(p).to_hex();
        assert_eq!(&encoding, expected, "RFC 9496 A.1, {i}·g");
        assert_eq!(Element::from_hex(expected).unwrap().point(), &p);
        out.push(json!({"multiple": i, "scalar": scalar_to_hex(&int(i as u64)), "encoding": expected}));
        p += g_pow(&Scalar::ONE);
    }
    json!(out)
}

fn ristretto_refused() -> Value {
    let mut out = Vec::new();
    for (input, category) in RFC_BAD {
        let reason = Element::from_hex(input).unwrap_err().reason();
        let expected = match category {
            "non-canonical field encoding" => "non-canonical",
            "negative field element" => "negative",
            _ => "not-in-group",
        };
        assert_eq!(reason, expected, "{input}");
        out.push(json!({"input": input, "reason": reason, "source": format!("RFC 9496 A.2: {category}")}));
    }
    let g = RFC_MULTIPLES[1];
    let extras = [
        (g.to_uppercase(), "upper-case hex (FORMAT.md §1)"),
        (g[..63].to_string(), "63 hex digits"),
        (format!("{g}0"), "65 hex digits"),
        (String::new(), "empty"),
        (format!("0x{}", &g[2..]), "a 0x prefix"),
        (format!("{}g", &g[..63]), "a character that is not a hex digit"),
    ];
    for (input, what) in extras {
        let reason = Element::from_hex(&input).unwrap_err().reason();
        assert_eq!(reason, "hex");
        out.push(json!({"input": input, "reason": reason, "source": format!("§14.2: {what}")}));
    }
    json!(out)
}

fn ristretto_identity() -> Value {
    let zero = "00".repeat(32);
    let refused = EncryptionKey::new(Element::from_hex(&zero).unwrap()).unwrap_err();
    json!({
        "encoding": zero,
        "decodes": true,
        "note": "The identity is an element (it decodes); it is refused only in the fields §14.2 lists. The trustees' fields (encryption keys, coefficient commitments, verification keys, ephemeral keys) belong to §16 and its vectors.",
        "refused": [
            {"field": "joint_key", "where": "the election's joint key h (§14.9, §16.5)", "error": refused.to_string()},
            {"field": "alpha", "where": "a selection's alpha in a cast ballot", "check": "ballot-elements", "refusal": "identity-alpha"},
            {"field": "indicator.alpha", "where": "a contest's indicator alpha in a cast ballot", "check": "ballot-elements", "refusal": "identity-indicator-alpha"}
        ],
        "allowed": ["beta", "proof commitments (a, b, a1, b1, a2, b2)", "the sum of a contest's selections", "aggregates"]
    })
}

fn scalars() -> Value {
    let l_minus_1 = -Scalar::ONE;
    let accepted: Vec<Value> = [
        ("0", Scalar::ZERO),
        ("1", Scalar::ONE),
        ("ℓ − 1", l_minus_1),
        ("a label's scalar", test_scalar("scalars/example")),
    ]
    .iter()
    .map(|(what, s)| {
        assert_eq!(decode_scalar(&s.to_bytes()).unwrap(), *s);
        json!({"input": scalar_to_hex(s), "what": what})
    })
    .collect();
    let l = "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";
    let l_plus_1 = "eed3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";
    let refused_inputs = [
        (l.to_string(), "ℓ"),
        (l_plus_1.to_string(), "ℓ + 1"),
        (format!("{}7f", "ff".repeat(31)), "2^255 − 1"),
        (format!("{}80", "00".repeat(31)), "the top bit set (2^255)"),
        ("ff".repeat(32), "2^256 − 1"),
        (
            scalar_to_hex(&Scalar::ONE).to_uppercase().replace("01", "0A"),
            "upper-case hex",
        ),
        ("00".repeat(31), "62 hex digits"),
    ];
    let refused: Vec<Value> = refused_inputs
        .iter()
        .map(|(input, what)| {
            let reason = teller_audit::encrypted::group::scalar_from_hex(input)
                .unwrap_err()
                .reason();
            json!({"input": input, "what": what, "reason": reason})
        })
        .collect();
    let mut sequence = [0u8; 64];
    sequence.iter_mut().enumerate().for_each(|(i, b)| *b = i as u8);
    let mut l_wide = hex::decode(l).unwrap();
    l_wide.resize(64, 0);
    let wide_inputs: Vec<(Vec<u8>, &str)> = vec![
        (sequence.to_vec(), "bytes 00, 01, …, 3f"),
        (vec![0xff; 64], "2^512 − 1"),
        (
            l_wide,
            "ℓ, widened: reduces to 0 (a draw that gives 0 is drawn again, §14.4)",
        ),
        (
            draw_for(&test_scalar("scalars/example")),
            "a scalar followed by 32 zero bytes reduces to itself",
        ),
    ];
    let wide: Vec<Value> = wide_inputs
        .iter()
        .map(|(bytes, what)| {
            let s = Scalar::from_bytes_mod_order_wide(&bytes.as_slice().try_into().unwrap());
            json!({"input": hx(bytes), "what": what, "reduced": scalar_to_hex(&s)})
        })
        .collect();
    json!({"accepted": accepted, "refused": refused, "wide_reduction": wide})
}

/// A typed hash item (§14.5), as the vectors write it.
#[derive(Clone)]
enum Item {
    Str(String),
    U32(u32),
    U64(u64),
    Raw(Vec<u8>),
    Elt(Element),
    Sc(Scalar),
    List(Vec<Item>),
}

impl Item {
    fn json(&self) -> Value {
        match self {
            Item::Str(s) => json!({"type": "str", "value": s}),
            Item::U32(n) => json!({"type": "u32", "value": n}),
            // As a string: JavaScript numbers are exact only below 2^53.
            Item::U64(n) => json!({"type": "u64", "value": n.to_string()}),
            Item::Raw(b) => json!({"type": "raw", "hex": hx(b)}),
            Item::Elt(e) => json!({"type": "elt", "hex": e.to_hex()}),
            Item::Sc(s) => json!({"type": "sc", "hex": scalar_to_hex(s)}),
            Item::List(items) => json!({"type": "list", "items": items.iter().map(Item::json).collect::<Vec<_>>()}),
        }
    }

    fn write<S: teller_audit::encrypted::hash::Sink>(&self, f: &mut Framer<S>) {
        match self {
            Item::Str(s) => {
                f.str(s);
            }
            Item::U32(n) => {
                f.u32(*n);
            }
            Item::U64(n) => {
                f.u64(*n);
            }
            Item::Raw(b) => {
                f.raw(b);
            }
            Item::Elt(e) => {
                f.elt(e);
            }
            Item::Sc(s) => {
                f.sc(s);
            }
            Item::List(items) => {
                f.list(items.len());
                items.iter().for_each(|i| i.write(f));
            }
        }
    }
}

fn hash() -> Value {
    let g = Element::generator();
    let two_g = Element::from_point(g_pow(&int(2)));
    let items = vec![
        Item::Str("ab".into()),
        Item::Str(String::new()),
        Item::Str("Zoë — ✓".into()),
        Item::U32(3),
        Item::U32(u32::MAX),
        Item::U64(1_796_115_600),
        Item::U64(u64::MAX),
        Item::Raw((0u8..16).collect()),
        Item::Raw(Vec::new()),
        Item::Elt(g),
        Item::Elt(Element::identity()),
        Item::Sc(-Scalar::ONE),
        Item::List(vec![]),
        Item::List(vec![Item::U32(1), Item::Elt(g), Item::U32(2), Item::Elt(two_g)]),
    ];
    let framed: Vec<Value> = items
        .iter()
        .map(|item| {
            let mut f = Framer::untagged();
            item.write(&mut f);
            json!({"item": item.json(), "framed": hx(&f.into_bytes())})
        })
        .collect();
    let sequence = vec![
        Item::Str("teller".into()),
        Item::U32(2026),
        Item::U64(1_796_115_600),
        Item::Raw(label_bytes("hash/raw")[..16].to_vec()),
        Item::Elt(g),
        Item::Sc(test_scalar("hash/sc")),
        Item::List(vec![Item::U32(1), Item::Elt(two_g)]),
    ];
    let tagged: Vec<Value> = tag::ALL
        .iter()
        .map(|t| {
            let mut bytes = Framer::bytes(t);
            let mut h256 = Framer::h256(t);
            let mut hs = Framer::hs(t);
            for item in &sequence {
                item.write(&mut bytes);
                item.write(&mut h256);
                item.write(&mut hs);
            }
            json!({
                "tag": t,
                "items": sequence.iter().map(Item::json).collect::<Vec<_>>(),
                "input": hx(&bytes.into_bytes()),
                "h256": hx(&h256.digest()),
                "hs": scalar_to_hex(&hs.scalar()),
            })
        })
        .collect();
    let labels: Vec<Value> = ["election/x", "scalars/example"]
        .iter()
        .map(|l| json!({"label": l, "scalar": scalar_to_hex(&test_scalar(l)), "bytes": hx(&label_bytes(l))}))
        .collect();
    json!({"items": framed, "tags": tagged, "test_labels": labels})
}

fn fingerprint(e: &ExampleElection) -> Value {
    let input = e.fingerprint_of(ELECTION, &e.definition);
    assert_eq!(input.fingerprint(), e.fp);
    json!({
        "definition": serde_json::to_value(&e.definition).unwrap(),
        "joint_secret": {"label": "election/x", "scalar": scalar_to_hex(&e.x)},
        "sharing": "x_j = x + a1·j with a1 = HS label \"election/a1\"; K_j = g^{x_j}",
        "input": e.fingerprint_input(ELECTION, &e.definition),
        "framed": hx(&input.framed_bytes()),
        "fingerprint": e.fp.to_hex(),
        "short": short(&e.fp),
    })
}

fn elgamal() -> Value {
    let x = test_scalar("elgamal/x");
    let key = EncryptionKey::new(Element::from_point(g_pow(&x))).unwrap();
    let mut cases = Vec::new();
    let mut cts = Vec::new();
    for m in [0u64, 1, 5] {
        let label = format!("elgamal/r/{m}");
        let r = test_scalar(&label);
        let ct = key.encrypt(m, &r);
        let decrypted = ct.raw().decrypt_to_point(&x);
        assert_eq!(decrypted, g_pow(&int(m)));
        cases.push(json!({
            "m": m, "r": {"label": label, "scalar": scalar_to_hex(&r)},
            "alpha": ct.alpha.to_hex(), "beta": ct.beta.to_hex(),
            "decrypted": el(&decrypted),
        }));
        cts.push(ct);
    }
    let sum = product(&cts);
    json!({
        "x": {"label": "elgamal/x", "scalar": scalar_to_hex(&x)},
        "h": key.element().to_hex(),
        "encryptions": cases,
        "product": {
            "of": "the three encryptions above, componentwise",
            "alpha": el(&sum.alpha), "beta": el(&sum.beta),
            "decrypted": el(&sum.decrypt_to_point(&x)), "m": 6,
        },
    })
}

fn nonces(e: &ExampleElection) -> Value {
    let nonce = Nonce(label_bytes("nonces/nonce")[..16].try_into().unwrap());
    let seed = BallotSeed::from_bytes(label_bytes("nonces/seed"));
    let cases = [
        ("directors", "option", "amara-okafor"),
        ("directors", "option", "priya-raman"),
        ("directors", "indicator", ""),
        ("bylaw-amendment-7", "option", "yes"),
        ("bylaw-amendment-7", "indicator", ""),
    ];
    let out: Vec<Value> = cases
        .iter()
        .map(|(contest, kind, option)| {
            let r = if *kind == "option" {
                option_randomness(&e.fp, &nonce, &seed, contest, option)
            } else {
                indicator_randomness(&e.fp, &nonce, &seed, contest)
            };
            let mut f = Framer::bytes(tag::ENCRYPTION_NONCE);
            f.raw(&e.fp.0)
                .raw(&nonce.0)
                .raw(seed.as_bytes())
                .str(contest)
                .str(kind)
                .str(option);
            let framed = f.into_bytes();
            let mut h = Framer::hs(tag::ENCRYPTION_NONCE);
            h.raw(&e.fp.0)
                .raw(&nonce.0)
                .raw(seed.as_bytes())
                .str(contest)
                .str(kind)
                .str(option);
            assert_eq!(h.scalar(), *r);
            json!({"contest": contest, "kind": kind, "option": option, "input": hx(&framed), "r": scalar_to_hex(&r)})
        })
        .collect();
    json!({
        "fingerprint": e.fp.to_hex(),
        "nonce": {"label": "nonces/nonce", "hex": hx(&nonce.0)},
        "seed": {"label": "nonces/seed", "hex": seed.to_hex()},
        "derivations": out,
    })
}

fn selection_proof(e: &ExampleElection) -> Value {
    let nonce = Nonce(label_bytes("selection-proof/nonce")[..16].try_into().unwrap());
    let cases = [("p1-m0", 1u32, 0u32), ("p1-m1", 1, 1), ("p3-m2", 3, 2)];
    let out: Vec<Value> = cases
        .iter()
        .map(|(name, p, m)| {
            let r_label = format!("selection-proof/{name}/r");
            let r = test_scalar(&r_label);
            let ct = e.key.encrypt(u64::from(*m), &r);
            let statement = SelectionStatement {
                fingerprint: &e.fp,
                nonce: &nonce,
                contest: "directors",
                option: "amara-okafor",
                max: *p,
                ciphertext: &ct,
            };
            let draws = scalar_draws(&format!("selection-proof/{name}/draw"), 2 * (*p as usize + 1));
            let mut rng = ScriptedRandom::new(draws.clone());
            let proof = statement.prove(&e.key, *m, &r, &mut rng).unwrap();
            assert_eq!(rng.remaining(), 0);
            statement.verify(&e.bases, &proof).unwrap();
            let commitments = proof.branches.iter().map(|b| (&b.a, &b.b));
            let c = statement.challenge(commitments.clone());
            let drawn: Vec<Value> = draws
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    let name = format!("{}_{}", if i % 2 == 0 { "c" } else { "v" }, i / 2);
                    json!({"name": name, "scalar": hx(&d[..32])})
                })
                .collect();
            json!({
                "name": name,
                "statement": {
                    "fingerprint": e.fp.to_hex(), "nonce": hx(&nonce.0),
                    "contest": "directors", "option": "amara-okafor", "p": p,
                    "h": e.h().to_hex(),
                },
                "m": m,
                "r": {"label": r_label, "scalar": scalar_to_hex(&r)},
                "draws": hex_list(&draws),
                "drawn": drawn,
                "ciphertext": {"alpha": ct.alpha.to_hex(), "beta": ct.beta.to_hex()},
                "challenge_input": hx(&statement.challenge_input(commitments)),
                "challenge": scalar_to_hex(&c),
                "proof": serde_json::to_value(&proof).unwrap(),
            })
        })
        .collect();
    json!(out)
}

fn contest_proof(e: &ExampleElection) -> Value {
    let nonce = Nonce(label_bytes("contest-proof/nonce")[..16].try_into().unwrap());
    // A contest of three options with L = 2: blank (k = 0) and full (k = L).
    let cases = [("blank", [0u64, 0, 0]), ("full", [1, 0, 1])];
    let limit = 2u32;
    let out: Vec<Value> = cases
        .iter()
        .map(|(name, counts)| {
            let rs: Vec<(String, Scalar)> = (0..counts.len())
                .map(|o| {
                    let label = format!("contest-proof/{name}/r/{o}");
                    let r = test_scalar(&label);
                    (label, r)
                })
                .collect();
            let selections: Vec<_> = counts.iter().zip(&rs).map(|(m, (_, r))| e.key.encrypt(*m, r)).collect();
            let total: u64 = counts.iter().sum();
            let rx_label = format!("contest-proof/{name}/r_x");
            let r_x = test_scalar(&rx_label);
            let indicator = e.key.encrypt(u64::from(total >= 1), &r_x);
            let sum = product(&selections).encode();
            let r_sum: Scalar = rs.iter().map(|(_, r)| *r).sum();
            let statement = ContestStatement {
                fingerprint: &e.fp,
                nonce: &nonce,
                contest: "council",
                limit,
                indicator: &indicator,
                sum: &sum,
            };
            let draws = scalar_draws(&format!("contest-proof/{name}/draw"), 3 * (limit as usize + 1));
            let mut rng = ScriptedRandom::new(draws.clone());
            let k = total as u32;
            let proof = statement.prove(&e.key, k, &r_x, &r_sum, &mut rng).unwrap();
            assert_eq!(rng.remaining(), 0);
            statement.verify(&e.bases, &proof).unwrap();
            let commitments = proof.branches.iter().map(|b| [&b.a1, &b.b1, &b.a2, &b.b2]);
            let drawn: Vec<Value> = draws
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    let name = format!("{}_{}", ["c", "v1", "v2"][i % 3], i / 3);
                    json!({"name": name, "scalar": hx(&d[..32])})
                })
                .collect();
            json!({
                "name": name,
                "statement": {
                    "fingerprint": e.fp.to_hex(), "nonce": hx(&nonce.0), "contest": "council",
                    "L": limit, "h": e.h().to_hex(),
                },
                "counts": counts,
                "k": k,
                "selections": selections.iter().zip(&rs).zip(counts).map(|((ct, (label, r)), m)| json!({
                    "m": m, "r": {"label": label, "scalar": scalar_to_hex(r)},
                    "alpha": ct.alpha.to_hex(), "beta": ct.beta.to_hex(),
                })).collect::<Vec<_>>(),
                "r_sum": scalar_to_hex(&r_sum),
                "sum": {"alpha": sum.alpha.to_hex(), "beta": sum.beta.to_hex()},
                "indicator": {
                    "b": u64::from(total >= 1), "r": {"label": rx_label, "scalar": scalar_to_hex(&r_x)},
                    "alpha": indicator.alpha.to_hex(), "beta": indicator.beta.to_hex(),
                },
                "draws": hex_list(&draws),
                "drawn": drawn,
                "challenge_input": hx(&statement.challenge_input(commitments.clone())),
                "challenge": scalar_to_hex(&statement.challenge(commitments)),
                "proof": serde_json::to_value(&proof).unwrap(),
            })
        })
        .collect();
    json!(out)
}

/// A second definition: approval and cumulative (p = 3), which the
/// example election does not have.
const METHODS_DEFINITION: &str = r#"{
  "title": "Methods under encryption",
  "description": "",
  "contests": [
    {"id": "committee", "title": "Committee", "description": "", "seats": 2, "method": {"kind": "approval"},
     "candidates": [{"id": "ada", "name": "Ada", "statement": ""}, {"id": "bo", "name": "Bo", "statement": ""},
                    {"id": "cy", "name": "Cy", "statement": ""}, {"id": "di", "name": "Di", "statement": ""}]},
    {"id": "budget", "title": "Budget", "description": "", "seats": 1, "method": {"kind": "cumulative", "points": 3},
     "candidates": [{"id": "parks", "name": "Parks", "statement": ""}, {"id": "roads", "name": "Roads", "statement": ""},
                    {"id": "schools", "name": "Schools", "statement": ""}]}
  ]
}"#;

struct BallotCase {
    name: &'static str,
    election: &'static str,
    definition: Definition,
    weight: &'static str,
    choices: BTreeMap<String, Vec<String>>,
}

fn choices(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
    pairs
        .iter()
        .map(|(c, chosen)| (c.to_string(), chosen.iter().map(|s| s.to_string()).collect()))
        .collect()
}

/// The ballot draws of a case: seed, nonce, then 64-byte scalar draws.
fn ballot_random(name: &str, shape: &BallotShape) -> Vec<Vec<u8>> {
    let n: usize = shape
        .contests
        .iter()
        .map(|c| c.options.len() * 2 * (c.per_option as usize + 1) + 3 * (c.limit as usize + 1))
        .sum();
    let mut random = vec![
        label_bytes(&format!("encrypted-ballot/{name}/seed")).to_vec(),
        label_bytes(&format!("encrypted-ballot/{name}/nonce"))[..16].to_vec(),
    ];
    random.extend(scalar_draws(&format!("encrypted-ballot/{name}/draw"), n));
    random
}

fn encrypted_ballots(e: &ExampleElection) -> (Value, EncryptedBallot) {
    let cases = [
        BallotCase {
            name: "example",
            election: ELECTION,
            definition: e.definition.clone(),
            weight: "1",
            choices: choices(&[
                ("directors", &["amara-okafor", "priya-raman"]),
                ("treasurer", &["omar-haddad"]),
                ("bylaw-amendment-7", &["yes"]),
            ]),
        },
        BallotCase {
            name: "methods",
            election: ELECTION,
            definition: serde_json::from_str(METHODS_DEFINITION).unwrap(),
            weight: "2.5",
            choices: choices(&[
                ("committee", &["di", "ada", "bo"]),
                ("budget", &["roads", "parks", "roads"]),
            ]),
        },
    ];
    let mut example = None;
    let out: Vec<Value> = cases
        .iter()
        .map(|case| {
            let shape = BallotShape::of(&case.definition).unwrap();
            let fp = e.fingerprint_of(case.election, &case.definition).fingerprint();
            let encrypter = Encrypter {
                election: case.election,
                fingerprint: fp,
                key: &e.key,
                shape: &shape,
            };
            let random = ballot_random(case.name, &shape);
            let mut rng = ScriptedRandom::new(random.clone());
            let weight = Weight::parse(case.weight).unwrap();
            let (ballot, seed) = encrypter.encrypt(&case.choices, weight, &mut rng).unwrap();
            assert_eq!(rng.remaining(), 0);
            let context = CastContext {
                election: case.election,
                fingerprint: fp,
                shape: &shape,
                bases: &e.bases,
            };
            assert_eq!(
                context.check_cast(&ballot, weight, &NoStore, &mut OsRandom),
                Ok(ballot.tracker())
            );
            let canonical = String::from_utf8(ballot.canonical_bytes()).unwrap();
            let shape_json: Vec<Value> = shape
                .contests
                .iter()
                .map(|c| json!({"contest": c.id, "options": c.options, "p": c.per_option, "L": c.limit}))
                .collect();
            if case.name == "example" {
                example = Some(ballot.clone());
            }
            json!({
                "name": case.name,
                "election": case.election,
                "definition": serde_json::to_value(&case.definition).unwrap(),
                "shape": shape_json,
                "fingerprint_input": e.fingerprint_input(case.election, &case.definition),
                "fingerprint": fp.to_hex(),
                "weight": case.weight,
                "choices": case.choices,
                "seed": seed.to_hex(),
                "nonce": hx(&ballot.nonce.0),
                "random": hex_list(&random),
                "ballot": serde_json::to_value(&ballot).unwrap(),
                "canonical": canonical,
                "size": canonical.len(),
                "tracker": ballot.tracker().to_hex(),
            })
        })
        .collect();
    (json!(out), example.unwrap())
}

/// The `example` encrypted ballot audited instead of cast (§16.10): the
/// file the device offers, what `verify-audit` finds it opens to, and
/// copies with one member replaced, each failing the check named.
fn audited_ballots(e: &ExampleElection, example: &Value) -> Value {
    let choices: BTreeMap<String, Vec<String>> = serde_json::from_value(example["choices"].clone()).unwrap();
    let file = AuditedBallot {
        format: AUDITED_BALLOT_FORMAT.to_string(),
        definition: e.definition.clone(),
        encryption: AuditedEncryption {
            threshold: 2,
            joint_key: *e.h(),
            verification_keys: e
                .verification_keys
                .iter()
                .map(|&(trustee, key)| KeyEntry { trustee, key })
                .collect(),
        },
        ballot: serde_json::from_value(example["ballot"].clone()).unwrap(),
        tracker: Digest::from_hex(example["tracker"].as_str().unwrap()).unwrap(),
        seed: Digest::from_hex(example["seed"].as_str().unwrap()).unwrap(),
        choices: choices.clone(),
    };
    assert_eq!(file.check(&mut OsRandom), Ok(()));
    let counts: Vec<Value> = e
        .shape
        .contests
        .iter()
        .zip(e.shape.counts(&choices).unwrap())
        .map(|(c, counts)| json!({"contest": c.id, "counts": counts}))
        .collect();
    let value = serde_json::to_value(&file).unwrap();
    let mut other_choices = choices.clone();
    other_choices.insert("bylaw-amendment-7".into(), vec!["no".into()]);
    let mut other_encryption = value["encryption"].clone();
    other_encryption["threshold"] = json!(3);
    let refused: Vec<(&str, &str, Value, &str)> = vec![
        ("another-threshold", "encryption", other_encryption, "audit-fingerprint"),
        (
            "another-tracker",
            "tracker",
            json!(flip_last(example["tracker"].as_str().unwrap())),
            "audit-tracker",
        ),
        (
            "another-seed",
            "seed",
            json!(hx(&label_bytes("audited-ballot/example/another-seed"))),
            "audit-opening",
        ),
        ("other-choices", "choices", json!(other_choices), "audit-opening"),
    ];
    let refused: Vec<Value> = refused
        .into_iter()
        .map(|(name, member, replacement, check)| {
            let mut changed = value.clone();
            changed[member] = replacement.clone();
            let audited: AuditedBallot = serde_json::from_value(changed).unwrap();
            assert_eq!(audited.check(&mut OsRandom).map_err(|f| f.check), Err(check), "{name}");
            json!({"name": name, "member": member, "replacement": replacement, "check": check})
        })
        .collect();
    json!([{
        "name": "example",
        "ballot": "the encrypted-ballot vector example, audited instead of cast",
        "file": value,
        "counts": counts,
        "choices": choices,
        "in_words": choices_in_words(&e.definition, &choices),
        "refused": refused,
    }])
}

/// A hex string with its last digit changed.
fn flip_last(hex: &str) -> String {
    let mut s = hex.to_string();
    let last = s.pop().unwrap();
    s.push(if last == '0' { '1' } else { '0' });
    s
}

struct NoStore;

impl CastStore for NoStore {
    fn stored_alpha(&self, _: &[Element]) -> Option<usize> {
        None
    }
    fn audited(&self, _: &Digest) -> bool {
        false
    }
}

/// A store holding these alphas and audited trackers.
struct ListStore {
    alphas: Vec<Element>,
    audited: Vec<Digest>,
}

impl CastStore for ListStore {
    fn stored_alpha(&self, alphas: &[Element]) -> Option<usize> {
        alphas.iter().position(|a| self.alphas.contains(a))
    }
    fn audited(&self, tracker: &Digest) -> bool {
        self.audited.contains(tracker)
    }
}

/// One refusal: what is posted, what the server knows, what must result.
struct Refusal {
    name: &'static str,
    rule: u32,
    description: &'static str,
    text: String,
    stored_alphas: Vec<Element>,
    audited: Vec<Digest>,
    weight: &'static str,
}

fn to_text(ballot: &EncryptedBallot) -> String {
    String::from_utf8(ballot.canonical_bytes()).unwrap()
}

fn patched(ballot: &EncryptedBallot, patch: impl FnOnce(&mut Value)) -> String {
    let mut value = serde_json::to_value(ballot).unwrap();
    patch(&mut value);
    String::from_utf8(teller_audit::canonical::value_to_bytes(&value).unwrap()).unwrap()
}

fn refusal(name: &'static str, rule: u32, description: &'static str, text: String) -> Refusal {
    Refusal {
        name,
        rule,
        description,
        text,
        stored_alphas: vec![],
        audited: vec![],
        weight: "1",
    }
}

fn refusals(e: &ExampleElection, example: &EncryptedBallot) -> Value {
    let shape = &e.shape;
    let context = CastContext {
        election: ELECTION,
        fingerprint: e.fp,
        shape,
        bases: &e.bases,
    };
    let encrypter = Encrypter {
        election: ELECTION,
        fingerprint: e.fp,
        key: &e.key,
        shape,
    };
    let example_choices = choices(&[
        ("directors", &["amara-okafor", "priya-raman"]),
        ("treasurer", &["omar-haddad"]),
        ("bylaw-amendment-7", &["yes"]),
    ]);
    // Another member's ballot, already stored, whose ciphertext is replayed.
    let victim_choices = choices(&[
        ("directors", &["rosa-delgado"]),
        ("treasurer", &["grace-whitfield"]),
        ("bylaw-amendment-7", &["no"]),
    ]);
    let (victim, _) = encrypter
        .encrypt(
            &victim_choices,
            Weight::ONE,
            &mut ScriptedRandom::new(ballot_random("victim", shape)),
        )
        .unwrap();
    // The same choices proved under another election's fingerprint.
    let other_fp = e.fingerprint_of(OTHER_ELECTION, &e.definition).fingerprint();
    let other = Encrypter {
        election: ELECTION,
        fingerprint: other_fp,
        key: &e.key,
        shape,
    };
    let (mut foreign, _) = other
        .encrypt(
            &example_choices,
            Weight::ONE,
            &mut ScriptedRandom::new(ballot_random("foreign", shape)),
        )
        .unwrap();
    foreign.fingerprint = e.fp;

    let not_in_group = RFC_BAD[12].0;
    let l_hex = "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";
    let mut cases = vec![
        refusal(
            "alpha-not-in-group",
            1,
            "a selection's alpha is not a ristretto255 element (RFC 9496 A.2, non-square x^2)",
            patched(example, |v| v["contests"][0]["selections"][1]["alpha"] = json!(not_in_group)),
        ),
        refusal(
            "response-not-canonical",
            1,
            "a response is the group order ℓ, not reduced",
            patched(example, |v| v["contests"][2]["proof"][1]["v2"] = json!(l_hex)),
        ),
        refusal(
            "unknown-member",
            1,
            "a member the format does not define",
            patched(example, |v| v["contests"][0]["selections"][0]["note"] = json!("x")),
        ),
        refusal(
            "format-string",
            1,
            "another format string",
            patched(example, |v| v["format"] = json!("teller-encrypted-ballot/2")),
        ),
        refusal(
            "option-order",
            1,
            "two selections swapped, option ids and all",
            patched(example, |v| v["contests"][0]["selections"].as_array_mut().unwrap().swap(0, 1)),
        ),
        refusal(
            "selection-branch-missing",
            1,
            "a selection proof with p branches instead of p + 1",
            patched(example, |v| {
                v["contests"][0]["selections"][3]["proof"].as_array_mut().unwrap().pop();
            }),
        ),
        refusal(
            "contest-branch-extra",
            1,
            "a contest proof with L + 2 branches",
            patched(example, |v| {
                let branches = v["contests"][1]["proof"].as_array_mut().unwrap();
                let first = branches[0].clone();
                branches.push(first);
            }),
        ),
        refusal(
            "another-election",
            2,
            "the ballot names another election",
            patched(example, |v| v["election"] = json!(OTHER_ELECTION)),
        ),
        refusal(
            "another-fingerprint",
            2,
            "the ballot carries another election's fingerprint",
            patched(example, |v| v["fingerprint"] = json!(other_fp.to_hex())),
        ),
        Refusal {
            weight: "2",
            ..refusal("weight", 2, "the member's weight is 2, the ballot says 1", to_text(example))
        },
        refusal(
            "identity-alpha",
            3,
            "a selection's alpha is the identity",
            patched(example, |v| v["contests"][1]["selections"][0]["alpha"] = json!("00".repeat(32))),
        ),
        refusal(
            "identity-indicator-alpha",
            3,
            "a contest's indicator alpha is the identity",
            patched(example, |v| v["contests"][2]["indicator"]["alpha"] = json!("00".repeat(32))),
        ),
        refusal(
            "alpha-twice-in-ballot",
            4,
            "an indicator reuses a selection's alpha",
            patched(example, |v| {
                v["contests"][0]["indicator"]["alpha"] = v["contests"][0]["selections"][0]["alpha"].clone()
            }),
        ),
        Refusal {
            stored_alphas: victim.alphas().into_iter().map(|(_, a)| a).collect(),
            ..refusal(
                "replayed-alpha",
                4,
                "a selection copied from a stored ballot (its alphas are stored_alphas): Helios issue #8's attack",
                patched(example, |v| {
                    v["contests"][0]["selections"][3] = serde_json::to_value(&victim.contests[0].selections[3]).unwrap()
                }),
            )
        },
        refusal(
            "replayed-selection-unstored",
            5,
            "the same copied selection when the victim's ballot is not stored: its proof is bound to the victim's ballot nonce",
            patched(example, |v| {
                v["contests"][0]["selections"][3] = serde_json::to_value(&victim.contests[0].selections[3]).unwrap()
            }),
        ),
        refusal(
            "proof-for-another-election",
            5,
            "proved under another election's fingerprint, then relabelled with this one's",
            to_text(&foreign),
        ),
        refusal(
            "proof-for-another-option",
            5,
            "two selections' ciphertexts and proofs swapped, option ids kept",
            patched(example, |v| {
                let s = v["contests"][0]["selections"].as_array_mut().unwrap();
                let (a, b) = (s[0].clone(), s[1].clone());
                for key in ["alpha", "beta", "proof"] {
                    s[0][key] = b[key].clone();
                    s[1][key] = a[key].clone();
                }
            }),
        ),
        refusal(
            "another-ballot-nonce",
            5,
            "the ballot nonce changed: every proof hashes it",
            patched(example, |v| v["nonce"] = json!("00".repeat(16))),
        ),
        refusal(
            "tampered-response",
            5,
            "a simulated branch's response changed",
            patched(example, |v| {
                let s = &example.contests[1].selections[1].proof.branches[0];
                v["contests"][1]["selections"][1]["proof"][0]["v"] = json!(scalar_to_hex(&(s.v + Scalar::ONE)))
            }),
        ),
        refusal(
            "over-the-limit",
            5,
            "four directors marked where L = 3: each selection proof holds, the contest proof claims branch 3 and fails",
            to_text(&over_the_limit(e, &encrypter)),
        ),
        Refusal {
            audited: vec![example.tracker()],
            ..refusal("audited", 6, "this ballot's tracker is an audited ballot's", to_text(example))
        },
    ];
    let out: Vec<Value> = cases
        .drain(..)
        .map(|case| {
            let store = ListStore {
                alphas: case.stored_alphas.clone(),
                audited: case.audited.clone(),
            };
            let weight = Weight::parse(case.weight).unwrap();
            let refused = read_ballot(case.text.as_bytes())
                .and_then(|b| context.check_cast(&b, weight, &store, &mut OsRandom))
                .unwrap_err();
            let mut expected =
                json!({"check": refused.check(), "path": refused.path(), "message": refused.to_string()});
            if let teller_audit::encrypted::cast::CastRefusal::Proof { error, .. } = &refused {
                expected["proof_error"] = json!(error.reason());
                if let teller_audit::encrypted::proofs::ProofError::Equation { branch } = error {
                    expected["branch"] = json!(branch);
                }
            }
            json!({
                "name": case.name,
                "rule": case.rule,
                "description": case.description,
                "ballot_text": case.text,
                "weight": case.weight,
                "stored_alphas": case.stored_alphas.iter().map(|a| a.to_hex()).collect::<Vec<_>>(),
                "audited_trackers": case.audited.iter().map(|t| t.to_hex()).collect::<Vec<_>>(),
                "expected": expected,
            })
        })
        .collect();
    json!({
        "context": {
            "about": "Every case is checked as §15.7 says, in its order, against the example election of encrypted-ballot (name \"example\"): its election id, fingerprint, shape and joint key; `weight` is the token's member's; `stored_alphas` are the alphas of stored cast or audited ballots; `audited_trackers` the trackers of audited ballots. `ballot_text` is exactly what is posted.",
            "election": ELECTION,
            "fingerprint": e.fp.to_hex(),
            "joint_key": e.h().to_hex(),
        },
        "cases": out,
    })
}

/// The example ballot's choices plus a fourth director: each selection
/// proof is honest, and the contest proof claims the largest branch, L = 3.
fn over_the_limit(e: &ExampleElection, encrypter: &Encrypter) -> EncryptedBallot {
    let four = choices(&[
        ("directors", &["amara-okafor", "daniel-brooks", "mei-ling-chen"]),
        ("treasurer", &[]),
        ("bylaw-amendment-7", &[]),
    ]);
    let (mut ballot, seed) = encrypter
        .encrypt(
            &four,
            Weight::ONE,
            &mut ScriptedRandom::new(ballot_random("over", &e.shape)),
        )
        .unwrap();
    let nonce = ballot.nonce;
    let contest = &mut ballot.contests[0];
    let option = "priya-raman";
    let r = option_randomness(&e.fp, &nonce, &seed, "directors", option);
    let ciphertext = e.key.encrypt(1, &r);
    let mut rng = ScriptedRandom::new(scalar_draws("over/selection", 4));
    let proof = SelectionStatement {
        fingerprint: &e.fp,
        nonce: &nonce,
        contest: "directors",
        option,
        max: 1,
        ciphertext: &ciphertext,
    }
    .prove(&e.key, 1, &r, &mut rng)
    .unwrap();
    let index = e.shape.contests[0].options.iter().position(|o| o == option).unwrap();
    contest.selections[index] = EncryptedSelection {
        option: option.into(),
        alpha: ciphertext.alpha,
        beta: ciphertext.beta,
        proof,
    };
    let r_sum: Scalar = e.shape.contests[0]
        .options
        .iter()
        .map(|o| *option_randomness(&e.fp, &nonce, &seed, "directors", o))
        .sum();
    let r_x = indicator_randomness(&e.fp, &nonce, &seed, "directors");
    let sum = contest.sum();
    let mut rng = ScriptedRandom::new(scalar_draws("over/contest", 12));
    contest.proof = ContestStatement {
        fingerprint: &e.fp,
        nonce: &nonce,
        contest: "directors",
        limit: 3,
        indicator: &contest.indicator,
        sum: &sum,
    }
    .prove(&e.key, 3, &r_x, &r_sum, &mut rng)
    .unwrap();
    ballot
}
