//! The browser's encrypted ballots pass the Rust checks (issue 13's
//! interoperability test, one direction; the other is
//! `browser/test/vectors.test.mjs`, which recomputes the Rust vectors).
//!
//! `tests/fixtures/js-ballots.json` is written by the browser code itself
//! under Node (`browser/scripts/make-fixture.mjs`, fixed randomness): for
//! each election its definition, trustees' keys and fingerprint, cast
//! ballots with their choices and seeds, and audited ballots. Here every
//! cast ballot must pass the server's cast checks (§15.7) and carry the
//! tracker the browser showed; each must decrypt, with the test joint
//! secret, to the counts its choices give; an audited ballot's seed must
//! re-encrypt to exactly its ciphertexts. A flipped proof must be refused,
//! so the checks are known to bite on the browser's bytes.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use serde_json::Value;
use teller_audit::crypto::Digest;
use teller_audit::definition::Definition;
use teller_audit::encrypted::ballot::{BallotShape, EncryptedBallot};
use teller_audit::encrypted::batch::Bases;
use teller_audit::encrypted::cast::{read_ballot, CastContext, CastStore, EmptyStore};
use teller_audit::encrypted::elgamal::EncryptionKey;
use teller_audit::encrypted::fingerprint::FingerprintInput;
use teller_audit::encrypted::group::{g_pow, int, scalar_from_hex, Element, OsRandom};
use teller_audit::encrypted::nonces::{indicator_randomness, option_randomness, BallotSeed};

fn fixture() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/js-ballots.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("expected a string, found {v}"))
}

/// One election of the fixture, ready to check ballots.
struct Election {
    id: String,
    shape: BallotShape,
    bases: Bases,
    key: EncryptionKey,
    fingerprint: Digest,
    secret: teller_audit::encrypted::group::Scalar,
}

fn election(e: &Value) -> Election {
    let definition: Definition = serde_json::from_value(e["definition"].clone()).unwrap();
    let joint_key = Element::from_hex(s(&e["encryption"]["joint_key"])).unwrap();
    let keys: Vec<(u32, Element)> = e["encryption"]["verification_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["trustee"].as_u64().unwrap() as u32,
                Element::from_hex(s(&k["key"])).unwrap(),
            )
        })
        .collect();
    let fingerprint = FingerprintInput {
        election: s(&e["election"]),
        definition_hash: definition.hash(),
        threshold: e["encryption"]["threshold"].as_u64().unwrap() as u32,
        joint_key,
        verification_keys: &keys,
    }
    .fingerprint();
    assert_eq!(
        fingerprint.to_hex(),
        s(&e["fingerprint"]),
        "the browser's fingerprint of {}",
        e["name"]
    );
    let secret = scalar_from_hex(s(&e["joint_secret"])).unwrap();
    assert_eq!(
        Element::from_point(g_pow(&secret)),
        joint_key,
        "the fixture's secret is the joint key's"
    );
    Election {
        id: s(&e["election"]).to_string(),
        shape: BallotShape::of(&definition).unwrap(),
        bases: Bases::new(&joint_key),
        key: EncryptionKey::new(joint_key).unwrap(),
        fingerprint,
        secret,
    }
}

fn choices(v: &Value) -> BTreeMap<String, Vec<String>> {
    serde_json::from_value(v.clone()).unwrap()
}

/// The ballots cast before: their alphas may not come back (§15.7 rule 4).
struct Seen(Vec<Element>);

impl CastStore for Seen {
    fn stored_alpha(&self, alphas: &[Element]) -> Option<usize> {
        alphas.iter().position(|a| self.0.contains(a))
    }
    fn audited(&self, _: &Digest) -> bool {
        false
    }
}

#[test]
fn the_browsers_cast_ballots_pass_the_cast_checks_and_decrypt_to_their_choices() {
    let f = fixture();
    let mut checked = 0;
    for e in f["elections"].as_array().unwrap() {
        let el = election(e);
        let ctx = CastContext {
            election: &el.id,
            fingerprint: el.fingerprint,
            shape: &el.shape,
            bases: &el.bases,
        };
        let mut seen = Seen(Vec::new());
        for b in e["ballots"].as_array().unwrap() {
            let bytes = serde_json::to_vec(&b["ballot"]).unwrap();
            let ballot = read_ballot(&bytes).unwrap();
            let weight = s(&b["weight"]).parse().unwrap();
            let tracker = ctx
                .check_cast(&ballot, weight, &seen, &mut OsRandom)
                .unwrap_or_else(|r| panic!("{}: {} refused: {r}", e["name"], b["name"]));
            assert_eq!(tracker.to_hex(), s(&b["tracker"]), "{}", b["name"]);
            assert_eq!(ballot.tracker(), tracker);
            let counts = el.shape.counts(&choices(&b["choices"])).unwrap();
            for (contest, expected) in ballot.contests.iter().zip(&counts) {
                for (sel, m) in contest.selections.iter().zip(expected) {
                    let point = sel.ciphertext().raw().decrypt_to_point(&el.secret);
                    assert_eq!(point, g_pow(&int(u64::from(*m))), "{} {}", contest.contest, sel.option);
                }
            }
            seen.0.extend(ballot.alphas().into_iter().map(|(_, a)| a));
            checked += 1;
        }
    }
    assert!(checked >= 5, "the fixture holds at least five cast ballots ({checked})");
}

#[test]
fn a_browser_ballot_altered_or_replayed_is_refused() {
    let f = fixture();
    let e = &f["elections"][0];
    let el = election(e);
    let ctx = CastContext {
        election: &el.id,
        fingerprint: el.fingerprint,
        shape: &el.shape,
        bases: &el.bases,
    };
    let b = &e["ballots"][0];
    let weight = s(&b["weight"]).parse().unwrap();
    let ballot: EncryptedBallot = read_ballot(&serde_json::to_vec(&b["ballot"]).unwrap()).unwrap();
    // Replayed: its alphas are already stored.
    let seen = Seen(ballot.alphas().into_iter().map(|(_, a)| a).collect());
    let refusal = ctx.check_cast(&ballot, weight, &seen, &mut OsRandom).unwrap_err();
    assert_eq!(refusal.check(), "ballot-duplicates");
    // Another option's ciphertext swapped in: its proof no longer holds.
    let mut swapped = ballot.clone();
    let first = &mut swapped.contests[0];
    let (a, b2) = (first.selections[0].clone(), first.selections[1].clone());
    first.selections[0].alpha = b2.alpha;
    first.selections[0].beta = b2.beta;
    first.selections[1].alpha = a.alpha;
    first.selections[1].beta = a.beta;
    let refusal = ctx
        .check_cast(&swapped, weight, &EmptyStore, &mut OsRandom)
        .unwrap_err();
    assert_eq!(refusal.check(), "ballot-proofs", "{refusal}");
}

#[test]
fn the_browsers_audited_ballots_reopen_to_their_choices() {
    let f = fixture();
    let mut checked = 0;
    for e in f["elections"].as_array().unwrap() {
        let el = election(e);
        for a in e["audited"].as_array().unwrap() {
            assert_eq!(s(&a["format"]), "teller-audited-ballot/1");
            let ballot = read_ballot(&serde_json::to_vec(&a["ballot"]).unwrap()).unwrap();
            assert_eq!(ballot.tracker().to_hex(), s(&a["tracker"]));
            assert_eq!(ballot.fingerprint, el.fingerprint);
            let seed_bytes: [u8; 32] = hex::decode(s(&a["seed"])).unwrap().try_into().unwrap();
            let seed = BallotSeed::from_bytes(seed_bytes);
            let counts = el.shape.counts(&choices(&a["choices"])).unwrap();
            for (contest, expected) in ballot.contests.iter().zip(&counts) {
                for (sel, m) in contest.selections.iter().zip(expected) {
                    let r = option_randomness(&el.fingerprint, &ballot.nonce, &seed, &contest.contest, &sel.option);
                    assert_eq!(el.key.encrypt(u64::from(*m), &r), sel.ciphertext(), "{}", sel.option);
                }
                let any = u64::from(expected.iter().any(|m| *m > 0));
                let r = indicator_randomness(&el.fingerprint, &ballot.nonce, &seed, &contest.contest);
                assert_eq!(
                    el.key.encrypt(any, &r),
                    contest.indicator,
                    "{} indicator",
                    contest.contest
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 2, "the fixture holds audited ballots ({checked})");
}

/// A receipt carries an encrypted ballot unchanged: signed, written, read
/// back strictly to the same ballot and tracker; a ballot mixing the two
/// kinds' members is refused.
#[test]
fn a_receipt_carries_an_encrypted_ballot() {
    use ring::signature::{Ed25519KeyPair, KeyPair};
    use teller_audit::crypto::{PublicKey, Signature};
    use teller_audit::receipt::{Receipt, ReceiptBallot, ReceiptBody, RECEIPT_FORMAT};
    let fx = fixture();
    let e = &fx["elections"][0];
    let b = &e["ballots"][0];
    let ballot: EncryptedBallot = serde_json::from_value(b["ballot"].clone()).unwrap();
    let tracker = ballot.tracker();
    assert_eq!(tracker.to_hex(), s(&b["tracker"]));
    let key = Ed25519KeyPair::from_seed_unchecked(&[7; 32]).unwrap();
    let body = ReceiptBody {
        format: RECEIPT_FORMAT.into(),
        election: ballot.election.clone(),
        tracker,
        ballot: ReceiptBallot::Encrypted(ballot.clone()),
        seal: 3,
        public_key: PublicKey(key.public_key().as_ref().try_into().unwrap()),
    };
    let receipt = Receipt {
        signature: Signature(key.sign(&body.signed_bytes()).as_ref().try_into().unwrap()),
        body,
    };
    assert!(receipt.problems().is_empty(), "{:?}", receipt.problems());
    let text = serde_json::to_string(&receipt).unwrap();
    let back: Receipt = serde_json::from_str(&text).unwrap();
    assert_eq!(back, receipt);
    assert_eq!(back.body.ballot.encrypted(), Some(&ballot));
    assert_eq!(back.body.ballot.tracker(), tracker);
    // An encrypted ballot with `choices` too, or without `format`: refused.
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["ballot"]["choices"] = serde_json::json!({});
    assert!(serde_json::from_value::<Receipt>(v.clone()).is_err());
    v["ballot"].as_object_mut().unwrap().remove("choices");
    v["ballot"].as_object_mut().unwrap().remove("format");
    assert!(serde_json::from_value::<Receipt>(v).is_err());
}
