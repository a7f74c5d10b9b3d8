//! The trustees' test vectors (docs/design/encrypted-ballots.md §B, groups
//! `share-encryption`, `ceremony` and `decryption`), written to
//! `audit/conformance/trustee-vectors.json`.
//!
//! ```text
//! cargo run -p teller-audit --example trustee_vectors -- audit/conformance/trustee-vectors.json
//! cargo run -p teller-audit --example trustee_vectors -- --check audit/conformance/trustee-vectors.json
//! ```
//!
//! Deterministic: every secret and every drawn value comes from a label,
//! `HS("teller/test-vector/v1"; str(label))` (§B). A party's draws in one
//! step are labelled `PREFIX/0`, `PREFIX/1`, … in the order it draws them
//! (a 64-byte draw gives exactly that scalar, a 32-byte draw its
//! encoding), and each vector names its prefixes. Ed25519 is
//! deterministic, so the signatures are too. `--check` recomputes the file
//! and fails if one byte differs; `audit/tests/trustees.rs` recomputes it
//! too, and checks every value independently.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use serde_json::{json, Value};
use teller_audit::count::Weight;
use teller_audit::crypto::Digest;
use teller_audit::definition::{Candidate, Contest, Definition, Method, Threshold};
use teller_audit::encrypted::ballot::BallotShape;
use teller_audit::encrypted::elgamal::{EncryptionKey, RawCiphertext};
use teller_audit::encrypted::fingerprint::FingerprintInput;
use teller_audit::encrypted::group::{draw_for, scalar_to_hex, Element, RandomSource, Scalar};
use teller_audit::encrypted::hash::test_scalar;
use teller_audit::trustees::board::Board;
use teller_audit::trustees::ceremony::{self, DealBody, KeyShare, Polynomial, TrusteeSecret};
use teller_audit::trustees::decrypt::{
    check_partial, combine, combined_point, lagrange_at_zero, partial_decrypt, Aggregate, Aggregator,
};
use teller_audit::trustees::envelope::{Envelope, Round};
use teller_audit::trustees::files::ExclusionEntry;
use teller_audit::trustees::share::{self, seal_with, ShareContext};
use teller_audit::trustees::{Parameters, TrusteeIndex};

/// The election of every vector.
pub const ELECTION: &str = "2a6f16d2-c738-4ef1-8402-71c1bfa25a25";

/// Draws from labels: the `n`-th draw is `test_scalar("PREFIX/n")`.
pub struct Labelled {
    prefix: String,
    count: u32,
}

impl Labelled {
    /// Draws labelled `prefix/0`, `prefix/1`, ….
    pub fn new(prefix: &str) -> Labelled {
        Labelled {
            prefix: prefix.to_string(),
            count: 0,
        }
    }
}

impl RandomSource for Labelled {
    fn fill(&mut self, out: &mut [u8]) {
        let s = test_scalar(&format!("{}/{}", self.prefix, self.count));
        self.count += 1;
        let bytes = if out.len() == 64 {
            draw_for(&s)
        } else {
            s.to_bytes().to_vec()
        };
        assert_eq!(bytes.len(), out.len(), "the vectors draw 32 or 64 bytes at a time");
        out.copy_from_slice(&bytes);
    }
}

fn hex_scalar(s: &Scalar) -> Value {
    Value::String(scalar_to_hex(s))
}

fn labelled(label: &str) -> Value {
    json!({"label": label, "scalar": scalar_to_hex(&test_scalar(label))})
}

// ---------------------------------------------------------------- share-encryption

fn share_encryption() -> Value {
    let cases = [(1u32, 1u32, 2u32, "a"), (2, 3, 1, "b")];
    let mut out = Vec::new();
    for (attempt, dealer, recipient, name) in cases {
        let d = test_scalar(&format!("share-encryption/{name}/recipient-secret"));
        let key = Element::from_point(teller_audit::encrypted::group::g_pow(&d));
        let y = test_scalar(&format!("share-encryption/{name}/y"));
        let s = test_scalar(&format!("share-encryption/{name}/share"));
        let ctx = ShareContext {
            election: ELECTION,
            attempt,
            dealer,
            recipient,
        };
        let sealing = seal_with(&ctx, &key, &s, &y);
        out.push(json!({
            "description": format!("the share from trustee {dealer} to trustee {recipient} in attempt {attempt}"),
            "inputs": {
                "election": ELECTION, "attempt": attempt, "dealer": dealer, "recipient": recipient,
                "recipient_secret": labelled(&format!("share-encryption/{name}/recipient-secret")),
                "recipient_key": key,
                "y": labelled(&format!("share-encryption/{name}/y")),
                "share": labelled(&format!("share-encryption/{name}/share")),
            },
            "expected": {
                "ephemeral": sealing.sealed.ephemeral,
                "secret": sealing.secret,
                "info": hex::encode(&sealing.info),
                "key": hex::encode(*sealing.key),
                "sealed": sealing.sealed,
            },
        }));
    }
    // Refusals, on the first case's share.
    let d = test_scalar("share-encryption/a/recipient-secret");
    let key = Element::from_point(teller_audit::encrypted::group::g_pow(&d));
    let ctx = ShareContext {
        election: ELECTION,
        attempt: 1,
        dealer: 1,
        recipient: 2,
    };
    let good = seal_with(
        &ctx,
        &key,
        &test_scalar("share-encryption/a/share"),
        &test_scalar("share-encryption/a/y"),
    )
    .sealed;
    let mut flipped = good;
    flipped.ciphertext.0[0] ^= 1;
    let mut identity = good;
    identity.ephemeral = Element::identity();
    let refusals: Vec<Value> = [
        ("a ciphertext with one bit changed", flipped, "tag"),
        ("an identity ephemeral key", identity, "identity-ephemeral"),
    ]
    .into_iter()
    .map(|(description, sealed, error)| {
        assert!(share::open(&ctx, &d, &key, &sealed).is_err());
        json!({"description": description, "context": "the first case's", "sealed": sealed, "error": error})
    })
    .collect();
    json!({"cases": out, "refusals": refusals})
}

// ---------------------------------------------------------------- ceremony

/// The small definition the `ceremony` and `decryption` vectors use.
pub fn definition() -> Definition {
    Definition {
        title: "Trustee vectors".into(),
        description: String::new(),
        contests: vec![
            Contest {
                id: "motion".into(),
                title: "Motion".into(),
                description: String::new(),
                seats: 1,
                candidates: Vec::new(),
                method: Method::Referendum {
                    threshold: Threshold::SIMPLE_MAJORITY,
                },
            },
            Contest {
                id: "board".into(),
                title: "Board".into(),
                description: String::new(),
                seats: 2,
                candidates: ["a", "b", "c"]
                    .iter()
                    .map(|id| Candidate {
                        id: id.to_string(),
                        name: id.to_uppercase(),
                        statement: String::new(),
                    })
                    .collect(),
                method: Method::Approval,
            },
        ],
    }
}

/// The ceremony of the vectors, with every message and secret.
pub struct VectorCeremony {
    /// The board after every message.
    pub board: Board,
    /// Every message, in the order posted.
    pub messages: Vec<Envelope>,
    /// Trustees' secrets, by index.
    pub secrets: BTreeMap<TrusteeIndex, TrusteeSecret>,
    /// Polynomials drawn, by (attempt, trustee).
    pub polynomials: BTreeMap<(u32, TrusteeIndex), Polynomial>,
    /// Key shares of the completing attempt.
    pub shares: BTreeMap<TrusteeIndex, KeyShare>,
}

/// Three trustees, `K = 2`. In attempt 1 trustee 2 deals trustee 3 a share
/// that is one more than `f_2(3)`; trustee 3 complains, and rule 3
/// excludes trustee 2. Attempt 2, trustees 1 and 3, completes.
pub fn run_ceremony() -> VectorCeremony {
    let names = vec!["Ada".to_string(), "Grace".to_string(), "Hedy".to_string()];
    let params = Parameters::new(ELECTION, 2, names).unwrap();
    let mut c = VectorCeremony {
        board: Board::new(params.clone()),
        messages: Vec::new(),
        secrets: BTreeMap::new(),
        polynomials: BTreeMap::new(),
        shares: BTreeMap::new(),
    };
    fn post(c: &mut VectorCeremony, e: Envelope) {
        c.board.post(&e).unwrap();
        c.messages.push(e);
    }
    for j in params.indices() {
        let mut rng = Labelled::new(&format!("ceremony/trustee-{j}/keygen"));
        let secret = TrusteeSecret::generate(ELECTION, j, params.name(j).unwrap(), &mut rng);
        let e = secret.register(&mut rng);
        c.secrets.insert(j, secret);
        post(&mut c, e);
    }
    for attempt in 1..=2u32 {
        assert_eq!(c.board.attempt(), attempt);
        let participants = c.board.participants().to_vec();
        for &j in &participants {
            let p = Polynomial::draw(
                attempt,
                2,
                &mut Labelled::new(&format!("ceremony/trustee-{j}/attempt-{attempt}/polynomial")),
            );
            let e = ceremony::commit(&c.secrets[&j], &c.board, &p).unwrap();
            c.polynomials.insert((attempt, j), p);
            post(&mut c, e);
        }
        for &j in &participants {
            let mut rng = Labelled::new(&format!("ceremony/trustee-{j}/attempt-{attempt}/deal"));
            let p = &c.polynomials[&(attempt, j)];
            let mut e = ceremony::deal(&c.secrets[&j], &c.board, p, &mut rng).unwrap();
            if attempt == 1 && j == 2 {
                // The bad share: f_2(3) + 1, sealed with the next draw.
                let mut body: DealBody = serde_json::from_value(e.body).unwrap();
                let ctx = ShareContext {
                    election: ELECTION,
                    attempt,
                    dealer: 2,
                    recipient: 3,
                };
                let key = c.board.registration(3).unwrap().encryption_key;
                let wrong = *p.evaluate(3) + Scalar::ONE;
                let at = body.shares.iter().position(|s| s.to == 3).unwrap();
                body.shares[at] = share::seal(&ctx, &key, &wrong, &mut rng);
                e = c.secrets[&2].sign(attempt, Round::Deal, &body);
            }
            post(&mut c, e);
        }
        for &j in &participants {
            let mut rng = Labelled::new(&format!("ceremony/trustee-{j}/attempt-{attempt}/check"));
            let (e, _) = ceremony::check(&c.secrets[&j], &c.board, &mut rng).unwrap();
            post(&mut c, e);
            if c.board.attempt() != attempt {
                break;
            }
        }
        if c.board.attempt() != attempt {
            continue;
        }
        for &j in &participants {
            let mut rng = Labelled::new(&format!("ceremony/trustee-{j}/attempt-{attempt}/finish"));
            let p = &c.polynomials[&(attempt, j)];
            let (share, e) = ceremony::finish(&c.secrets[&j], &c.board, p, &mut rng).unwrap();
            c.shares.insert(j, share);
            post(&mut c, e);
        }
    }
    assert!(c.board.outcome().is_some());
    c
}

/// The fingerprint of the vectors' election.
pub fn fingerprint(board: &Board) -> (Vec<u8>, Digest) {
    let outcome = board.outcome().unwrap();
    let keys = outcome.verification_keys();
    let input = FingerprintInput {
        election: ELECTION,
        definition_hash: definition().hash(),
        threshold: outcome.threshold,
        joint_key: outcome.joint_key,
        verification_keys: &keys,
    };
    (input.framed_bytes(), input.fingerprint())
}

fn ceremony_vector(c: &VectorCeremony) -> Value {
    let outcome = c.board.outcome().unwrap();
    let (framed, fp) = fingerprint(&c.board);
    let secrets: Vec<Value> = c
        .secrets
        .values()
        .map(|s| {
            json!({
                "trustee": s.trustee(),
                "draws": format!("ceremony/trustee-{}/keygen", s.trustee()),
                "signing_seed": hex::encode(s.signing_seed()),
                "encryption_secret": hex_scalar(s.encryption_secret()),
                "signing_key": s.signing_key(),
                "encryption_key": s.encryption_key(),
            })
        })
        .collect();
    let polynomials: Vec<Value> = c
        .polynomials
        .iter()
        .map(|((attempt, j), p)| {
            json!({
                "attempt": attempt, "trustee": j,
                "draws": format!("ceremony/trustee-{j}/attempt-{attempt}/polynomial"),
                "coefficients": p.coefficients().map(hex_scalar).collect::<Vec<_>>(),
                "commitments": p.commitments(),
            })
        })
        .collect();
    let messages: Vec<Value> = c
        .messages
        .iter()
        .map(|e| {
            let draws = match e.round {
                Round::Register => format!("ceremony/trustee-{}/keygen", e.trustee),
                round => format!("ceremony/trustee-{}/attempt-{}/{}", e.trustee, e.attempt, round),
            };
            json!({
                "draws": draws,
                "signed": String::from_utf8(e.signed_bytes()).unwrap(),
                "envelope": e,
                "digest": e.digest(),
            })
        })
        .collect();
    let shares: Vec<Value> = c
        .shares
        .values()
        .map(|s| json!({"trustee": s.trustee, "key_share": hex_scalar(&s.secret), "verification_key": s.verification_key}))
        .collect();
    json!({
        "description": "three trustees, K = 2; in attempt 1 trustee 2 deals trustee 3 the share f_2(3) + 1 (sealed with its deal's next draw), trustee 3's complaint holds and rule 3 (bad-share) excludes trustee 2; attempt 2 with trustees 1 and 3 completes",
        "election": ELECTION,
        "threshold": 2,
        "trustees": [{"trustee": 1, "name": "Ada"}, {"trustee": 2, "name": "Grace"}, {"trustee": 3, "name": "Hedy"}],
        "secrets": secrets,
        "roster": c.board.roster().unwrap(),
        "polynomials": polynomials,
        "messages": messages,
        "exclusions": c.board.exclusions().iter().map(ExclusionEntry::from).collect::<Vec<_>>(),
        "completed": {
            "attempt": outcome.attempt,
            "joint_key": outcome.joint_key,
            "verification_keys": outcome.members.iter().map(|m| json!({"trustee": m.trustee, "key": m.verification_key})).collect::<Vec<_>>(),
        },
        "key_shares": shares,
        "fingerprint": {
            "definition": definition(),
            "definition_hash": definition().hash(),
            "framed": hex::encode(framed),
            "fingerprint": fp,
        },
    })
}

// ---------------------------------------------------------------- decryption

/// The four ballots: weight and, per ciphertext (motion yes, no, abstain,
/// indicator; board a, b, c, indicator), the count.
pub fn ballots() -> Vec<(&'static str, [u64; 8])> {
    vec![
        ("1", [1, 0, 0, 1, 1, 1, 0, 1]),
        ("2.5", [0, 1, 0, 1, 0, 0, 1, 1]),
        ("1", [0, 0, 1, 1, 0, 0, 0, 0]),
        ("0.5", [1, 0, 0, 1, 1, 0, 0, 1]),
    ]
}

/// The ballots' ciphertexts, encrypted under `h` with randomness
/// `decryption/ballot-n/ciphertext-i`.
pub fn aggregate(h: &Element) -> (Vec<Value>, Aggregate) {
    let key = EncryptionKey::new(*h).unwrap();
    let shape = BallotShape::of(&definition()).unwrap();
    let mut aggregator = Aggregator::new(&shape);
    let mut listed = Vec::new();
    for (n, (weight, counts)) in ballots().into_iter().enumerate() {
        let cts: Vec<RawCiphertext> = counts
            .iter()
            .enumerate()
            .map(|(i, &m)| key.encrypt_raw(m, &test_scalar(&format!("decryption/ballot-{n}/ciphertext-{i}"))))
            .collect();
        aggregator.add(Weight::parse(weight).unwrap(), &cts).unwrap();
        listed.push(json!({
            "weight": weight,
            "counts": counts,
            "randomness": format!("decryption/ballot-{n}/ciphertext-0 … -7"),
            "ciphertexts": cts.iter().map(RawCiphertext::encode).collect::<Vec<_>>(),
        }));
    }
    (listed, aggregator.finish().unwrap())
}

fn decryption_vector(c: &VectorCeremony) -> Value {
    let outcome = c.board.outcome().unwrap();
    let (_, fp) = fingerprint(&c.board);
    let (listed, aggregate) = aggregate(&outcome.joint_key);
    let digest = aggregate.digest(&fp);
    let mut partials = Vec::new();
    let mut messages = Vec::new();
    for j in [1u32, 3] {
        let mut rng = Labelled::new(&format!("decryption/trustee-{j}"));
        let e = partial_decrypt(&c.secrets[&j], &c.shares[&j], &fp, &aggregate, &mut rng);
        partials.push(check_partial(outcome, &fp, &aggregate, &e).unwrap());
        messages.push(json!({
            "draws": format!("decryption/trustee-{j}"),
            "envelope": e,
            "digest": e.digest(),
        }));
    }
    let totals = combine(outcome, &aggregate, &partials).unwrap();
    let lambdas = lagrange_at_zero(&totals.trustees);
    let combined: Vec<Value> = aggregate
        .targets
        .iter()
        .enumerate()
        .map(|(n, t)| {
            let factors: Vec<&Element> = partials.iter().map(|p| &p.factors[n]).collect();
            let big_t = Element::from_point(combined_point(t, &lambdas, &factors));
            let big_m = Element::from_point(t.beta.point() - big_t.point());
            json!({"target": n, "M": big_m, "T": big_t, "t": totals.values[n]})
        })
        .collect();
    json!({
        "description": "four ballots of the vectors' definition with weights 1, 2.5, 1 and 0.5 (so d = 1), encrypted under the ceremony's joint key; decrypted by trustees 1 and 3 of its attempt 2",
        "fingerprint": fp,
        "ballots": listed,
        "aggregate": aggregate,
        "aggregate_digest": digest,
        "decryptions": messages,
        "quorum": totals.trustees,
        "lagrange": totals.trustees.iter().zip(&lambdas).map(|(j, l)| json!({"trustee": j, "lambda": hex_scalar(l)})).collect::<Vec<_>>(),
        "combined": combined,
        "totals": totals.values,
    })
}

/// Every vector of the file.
pub fn vectors() -> Value {
    let c = run_ceremony();
    json!({
        "format": "teller-trustee-vectors/1",
        "description": "Test vectors of docs/design/encrypted-ballots.md §B for the trustees: share-encryption (§16.3), ceremony (§16.2-§16.5), decryption (§16.6-§16.8). Every secret and drawn value is HS(\"teller/test-vector/v1\"; str(label)); a party's draws in one step are labelled DRAWS/0, DRAWS/1, ... in the order drawn (64-byte draws give that scalar, 32-byte draws its encoding). Generated by `cargo run -p teller-audit --example trustee_vectors`.",
        "share-encryption": share_encryption(),
        "ceremony": ceremony_vector(&c),
        "decryption": decryption_vector(&c),
    })
}

/// The file's text: pretty JSON, members sorted, with a final newline.
pub fn text() -> String {
    serde_json::to_string_pretty(&vectors()).unwrap() + "\n"
}

#[allow(dead_code)]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (check, path) = match args.as_slice() {
        [flag, path] if flag == "--check" => (true, path),
        [path] => (false, path),
        _ => {
            eprintln!("usage: trustee_vectors [--check] FILE");
            std::process::exit(2);
        }
    };
    let text = text();
    if check {
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        if on_disk != text {
            eprintln!("{path} differs from the vectors computed now: run without --check to rewrite it, and review the change");
            std::process::exit(1);
        }
        println!("{path}: the trustee vectors are as computed");
    } else {
        std::fs::write(path, &text).unwrap();
        println!("wrote {path}");
    }
}
