//! The known-answer vectors of encrypted ballots
//! (`audit/conformance/encrypted-vectors.json`, the plan of
//! docs/design/encrypted-ballots.md §B): every vector recomputed from the inputs the file gives, and every
//! refusal refused with the check it names. The browser code checks the same
//! file independently.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use serde_json::Value;
use teller_audit::count::Weight;
use teller_audit::crypto::{Digest, Nonce};
use teller_audit::definition::Definition;
use teller_audit::encrypted::audited::AuditedBallot;
use teller_audit::encrypted::ballot::{BallotShape, EncryptedBallot, Encrypter};
use teller_audit::encrypted::batch::Bases;
use teller_audit::encrypted::cast::{read_ballot, CastContext, CastRefusal, CastStore};
use teller_audit::encrypted::elgamal::{product, Ciphertext, EncryptionKey};
use teller_audit::encrypted::fingerprint::{short, FingerprintInput};
use teller_audit::encrypted::group::{
    g_pow, int, scalar_from_hex, scalar_to_hex, Element, OsRandom, Scalar, ScriptedRandom,
};
use teller_audit::encrypted::hash::{tag, test_scalar, Framer, Sink};
use teller_audit::encrypted::nonces::{indicator_randomness, option_randomness, BallotSeed};
use teller_audit::encrypted::proofs::{ContestProof, ContestStatement, ProofError, SelectionProof, SelectionStatement};
use teller_audit::verify::audit::verify_audit;

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/conformance/encrypted-vectors.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("expected a string, found {v}"))
}

fn bytes(v: &Value) -> Vec<u8> {
    hex::decode(s(v)).unwrap()
}

fn element(v: &Value) -> Element {
    Element::from_hex(s(v)).unwrap()
}

fn scalar(v: &Value) -> Scalar {
    scalar_from_hex(s(v)).unwrap()
}

fn digest(v: &Value) -> Digest {
    Digest::from_hex(s(v)).unwrap()
}

fn nonce(v: &Value) -> Nonce {
    Nonce(bytes(v).try_into().unwrap())
}

fn array(v: &Value) -> &Vec<Value> {
    v.as_array().unwrap_or_else(|| panic!("expected an array, found {v}"))
}

fn draws(v: &Value) -> Vec<Vec<u8>> {
    array(v).iter().map(bytes).collect()
}

/// A labelled secret: the scalar must be the label's.
fn labelled(v: &Value) -> Scalar {
    let x = scalar(&v["scalar"]);
    assert_eq!(x, test_scalar(s(&v["label"])), "label {}", v["label"]);
    x
}

fn key_of(h: &Value) -> (EncryptionKey, Bases) {
    let h = element(h);
    (EncryptionKey::new(h).unwrap(), Bases::new(&h))
}

#[test]
fn ristretto_encodings_are_rfc_9496_a1() {
    let v = vectors();
    let cases = array(&v["ristretto.encodings"]);
    assert_eq!(cases.len(), 16);
    for case in cases {
        let i = case["multiple"].as_u64().unwrap();
        assert_eq!(scalar(&case["scalar"]), int(i));
        let p = g_pow(&int(i));
        assert_eq!(Element::from_point(p).to_hex(), s(&case["encoding"]));
        assert_eq!(element(&case["encoding"]).point(), &p);
    }
}

#[test]
fn refused_encodings_are_refused_for_their_reason() {
    let v = vectors();
    let cases = array(&v["ristretto.refused"]);
    assert!(cases.len() >= 29 + 6);
    for case in cases {
        let err = Element::from_hex(s(&case["input"])).unwrap_err();
        assert_eq!(err.reason(), s(&case["reason"]), "{}", case["input"]);
    }
}

#[test]
fn the_identity_decodes_and_is_refused_where_listed() {
    let v = vectors();
    let group = &v["ristretto.identity"];
    let identity = element(&group["encoding"]);
    assert!(identity.is_identity());
    let refused = array(&group["refused"]);
    assert_eq!(
        EncryptionKey::new(identity).unwrap_err().to_string(),
        s(&refused[0]["error"])
    );
    // The ballot fields are refusal cases; they must exist with that check.
    let cases = array(&v["refusals"]["cases"]);
    for field in &refused[1..] {
        let case = cases.iter().find(|c| c["name"] == field["refusal"]).unwrap();
        assert_eq!(case["expected"]["check"], field["check"]);
    }
}

#[test]
fn scalars_are_read_canonically_and_reduced_wide() {
    let v = vectors();
    for case in array(&v["scalars"]["accepted"]) {
        let x = scalar(&case["input"]);
        assert_eq!(scalar_to_hex(&x), s(&case["input"]));
    }
    for case in array(&v["scalars"]["refused"]) {
        let err = scalar_from_hex(s(&case["input"])).unwrap_err();
        assert_eq!(err.reason(), s(&case["reason"]), "{}", case["what"]);
    }
    for case in array(&v["scalars"]["wide_reduction"]) {
        let wide: [u8; 64] = bytes(&case["input"]).try_into().unwrap();
        assert_eq!(
            scalar_to_hex(&Scalar::from_bytes_mod_order_wide(&wide)),
            s(&case["reduced"])
        );
    }
}

/// Frames one typed item of the vectors (§14.5).
fn frame<S: Sink>(f: &mut Framer<S>, item: &Value) {
    match s(&item["type"]) {
        "str" => f.str(s(&item["value"])),
        "u32" => f.u32(u32::try_from(item["value"].as_u64().unwrap()).unwrap()),
        "u64" => f.u64(s(&item["value"]).parse().unwrap()),
        "raw" => f.raw(&bytes(&item["hex"])),
        "elt" => f.elt(&element(&item["hex"])),
        "sc" => f.sc(&scalar(&item["hex"])),
        "list" => {
            let items = array(&item["items"]);
            f.list(items.len());
            items.iter().for_each(|i| frame(f, i));
            f
        }
        other => panic!("unknown item type {other}"),
    };
}

#[test]
fn hashes_frame_every_item_type_under_every_tag() {
    let v = vectors();
    for case in array(&v["hash"]["items"]) {
        let mut f = Framer::untagged();
        frame(&mut f, &case["item"]);
        assert_eq!(hex::encode(f.into_bytes()), s(&case["framed"]), "{}", case["item"]);
    }
    let tags = array(&v["hash"]["tags"]);
    assert_eq!(tags.iter().map(|t| s(&t["tag"])).collect::<Vec<_>>(), tag::ALL);
    for case in tags {
        let t = s(&case["tag"]);
        let (mut bytes_f, mut h256, mut hs) = (Framer::bytes(t), Framer::h256(t), Framer::hs(t));
        for item in array(&case["items"]) {
            frame(&mut bytes_f, item);
            frame(&mut h256, item);
            frame(&mut hs, item);
        }
        assert_eq!(hex::encode(bytes_f.into_bytes()), s(&case["input"]), "{t}");
        assert_eq!(hex::encode(h256.digest()), s(&case["h256"]), "{t}");
        assert_eq!(scalar_to_hex(&hs.scalar()), s(&case["hs"]), "{t}");
    }
    for case in array(&v["hash"]["test_labels"]) {
        let label = s(&case["label"]);
        assert_eq!(scalar_to_hex(&test_scalar(label)), s(&case["scalar"]));
        let mut h = Framer::h256(tag::TEST_VECTOR);
        h.str(label);
        assert_eq!(hex::encode(h.digest()), s(&case["bytes"]));
    }
}

/// The fingerprint input of a vector, and the fingerprint it gives.
fn fingerprint_of(input: &Value) -> Digest {
    assert_eq!(input["group"], "ristretto255");
    let keys: Vec<(u32, Element)> = array(&input["verification_keys"])
        .iter()
        .map(|k| (k["trustee"].as_u64().unwrap() as u32, element(&k["key"])))
        .collect();
    FingerprintInput {
        election: s(&input["election"]),
        definition_hash: digest(&input["definition_hash"]),
        threshold: input["threshold"].as_u64().unwrap() as u32,
        joint_key: element(&input["joint_key"]),
        verification_keys: &keys,
    }
    .fingerprint()
}

#[test]
fn the_fingerprint_binds_the_example_election() {
    let v = vectors();
    let group = &v["fingerprint"];
    let definition: Definition = serde_json::from_value(group["definition"].clone()).unwrap();
    let input = &group["input"];
    assert_eq!(definition.hash(), digest(&input["definition_hash"]));
    let x = labelled(&group["joint_secret"]);
    assert_eq!(Element::from_point(g_pow(&x)), element(&input["joint_key"]));
    let keys: Vec<(u32, Element)> = array(&input["verification_keys"])
        .iter()
        .map(|k| (k["trustee"].as_u64().unwrap() as u32, element(&k["key"])))
        .collect();
    let fp_input = FingerprintInput {
        election: s(&input["election"]),
        definition_hash: definition.hash(),
        threshold: 2,
        joint_key: element(&input["joint_key"]),
        verification_keys: &keys,
    };
    assert_eq!(hex::encode(fp_input.framed_bytes()), s(&group["framed"]));
    let fp = fingerprint_of(input);
    assert_eq!(fp, digest(&group["fingerprint"]));
    assert_eq!(short(&fp), s(&group["short"]));
}

#[test]
fn elgamal_encrypts_multiplies_and_decrypts() {
    let v = vectors();
    let group = &v["elgamal"];
    let x = labelled(&group["x"]);
    let key = EncryptionKey::new(element(&group["h"])).unwrap();
    assert_eq!(Element::from_point(g_pow(&x)), *key.element());
    let mut cts = Vec::new();
    for case in array(&group["encryptions"]) {
        let m = case["m"].as_u64().unwrap();
        let ct = key.encrypt(m, &labelled(&case["r"]));
        assert_eq!(ct.alpha, element(&case["alpha"]));
        assert_eq!(ct.beta, element(&case["beta"]));
        let decrypted = Element::from_point(ct.raw().decrypt_to_point(&x));
        assert_eq!(decrypted, element(&case["decrypted"]));
        assert_eq!(decrypted, Element::from_point(g_pow(&int(m))));
        cts.push(ct);
    }
    let sum = product(&cts);
    let p = &group["product"];
    assert_eq!(
        sum.encode(),
        Ciphertext {
            alpha: element(&p["alpha"]),
            beta: element(&p["beta"])
        }
    );
    assert_eq!(Element::from_point(sum.decrypt_to_point(&x)), element(&p["decrypted"]));
    assert_eq!(element(&p["decrypted"]).point(), &g_pow(&int(p["m"].as_u64().unwrap())));
}

#[test]
fn encryption_randomness_derives_from_the_seed() {
    let v = vectors();
    let group = &v["nonces"];
    let fp = digest(&group["fingerprint"]);
    let n = nonce(&group["nonce"]["hex"]);
    let seed = BallotSeed::from_bytes(bytes(&group["seed"]["hex"]).try_into().unwrap());
    for case in array(&group["derivations"]) {
        let (contest, option) = (s(&case["contest"]), s(&case["option"]));
        let r = match s(&case["kind"]) {
            "option" => option_randomness(&fp, &n, &seed, contest, option),
            "indicator" => {
                assert_eq!(option, "");
                indicator_randomness(&fp, &n, &seed, contest)
            }
            other => panic!("unknown kind {other}"),
        };
        assert_eq!(scalar_to_hex(&r), s(&case["r"]));
        let mut f = Framer::bytes(tag::ENCRYPTION_NONCE);
        f.raw(&fp.0)
            .raw(&n.0)
            .raw(seed.as_bytes())
            .str(contest)
            .str(s(&case["kind"]))
            .str(option);
        assert_eq!(hex::encode(f.into_bytes()), s(&case["input"]));
    }
}

#[test]
fn selection_proofs_are_reproduced_exactly_and_verify() {
    let v = vectors();
    for case in array(&v["selection-proof"]) {
        let st = &case["statement"];
        let (key, bases) = key_of(&st["h"]);
        let (fp, n) = (digest(&st["fingerprint"]), nonce(&st["nonce"]));
        let m = case["m"].as_u64().unwrap() as u32;
        let r = labelled(&case["r"]);
        let ct = key.encrypt(u64::from(m), &r);
        assert_eq!(
            ct,
            serde_json::from_value::<Ciphertext>(case["ciphertext"].clone()).unwrap()
        );
        let statement = SelectionStatement {
            fingerprint: &fp,
            nonce: &n,
            contest: s(&st["contest"]),
            option: s(&st["option"]),
            max: st["p"].as_u64().unwrap() as u32,
            ciphertext: &ct,
        };
        let draws = draws(&case["draws"]);
        for (d, named) in draws.iter().zip(array(&case["drawn"])) {
            assert_eq!(&d[..32], bytes(&named["scalar"]).as_slice());
            assert_eq!(&d[32..], &[0u8; 32]);
        }
        let mut rng = ScriptedRandom::new(draws);
        let proof = statement.prove(&key, m, &r, &mut rng).unwrap();
        assert_eq!(rng.remaining(), 0, "{}", case["name"]);
        let expected: SelectionProof = serde_json::from_value(case["proof"].clone()).unwrap();
        assert_eq!(proof, expected, "{}", case["name"]);
        let commitments = proof.branches.iter().map(|b| (&b.a, &b.b));
        assert_eq!(
            hex::encode(statement.challenge_input(commitments.clone())),
            s(&case["challenge_input"])
        );
        let c = statement.challenge(commitments);
        assert_eq!(scalar_to_hex(&c), s(&case["challenge"]));
        assert_eq!(c, proof.branches.iter().map(|b| b.c).sum::<Scalar>());
        assert_eq!(statement.verify(&bases, &proof), Ok(()));
    }
}

#[test]
fn contest_proofs_are_reproduced_exactly_and_verify() {
    let v = vectors();
    for case in array(&v["contest-proof"]) {
        let st = &case["statement"];
        let (key, bases) = key_of(&st["h"]);
        let (fp, n) = (digest(&st["fingerprint"]), nonce(&st["nonce"]));
        let mut cts = Vec::new();
        let mut r_sum = Scalar::ZERO;
        for sel in array(&case["selections"]) {
            let r = labelled(&sel["r"]);
            r_sum += r;
            let ct = key.encrypt(sel["m"].as_u64().unwrap(), &r);
            assert_eq!(ct.alpha, element(&sel["alpha"]));
            assert_eq!(ct.beta, element(&sel["beta"]));
            cts.push(ct);
        }
        assert_eq!(scalar_to_hex(&r_sum), s(&case["r_sum"]));
        let sum = product(&cts).encode();
        assert_eq!(sum, serde_json::from_value::<Ciphertext>(case["sum"].clone()).unwrap());
        let ind = &case["indicator"];
        let r_x = labelled(&ind["r"]);
        let indicator = key.encrypt(ind["b"].as_u64().unwrap(), &r_x);
        assert_eq!(indicator.alpha, element(&ind["alpha"]));
        assert_eq!(indicator.beta, element(&ind["beta"]));
        let statement = ContestStatement {
            fingerprint: &fp,
            nonce: &n,
            contest: s(&st["contest"]),
            limit: st["L"].as_u64().unwrap() as u32,
            indicator: &indicator,
            sum: &sum,
        };
        let mut rng = ScriptedRandom::new(draws(&case["draws"]));
        let k = case["k"].as_u64().unwrap() as u32;
        let proof = statement.prove(&key, k, &r_x, &r_sum, &mut rng).unwrap();
        assert_eq!(rng.remaining(), 0);
        let expected: ContestProof = serde_json::from_value(case["proof"].clone()).unwrap();
        assert_eq!(proof, expected, "{}", case["name"]);
        let commitments = proof.branches.iter().map(|b| [&b.a1, &b.b1, &b.a2, &b.b2]);
        assert_eq!(
            hex::encode(statement.challenge_input(commitments.clone())),
            s(&case["challenge_input"])
        );
        assert_eq!(scalar_to_hex(&statement.challenge(commitments)), s(&case["challenge"]));
        assert_eq!(statement.verify(&bases, &proof), Ok(()));
    }
}

struct Election {
    id: String,
    fp: Digest,
    shape: BallotShape,
    key: EncryptionKey,
    bases: Bases,
}

fn election_of(case: &Value) -> Election {
    let definition: Definition = serde_json::from_value(case["definition"].clone()).unwrap();
    let input = &case["fingerprint_input"];
    assert_eq!(definition.hash(), digest(&input["definition_hash"]));
    assert_eq!(input["election"], case["election"]);
    let fp = fingerprint_of(input);
    assert_eq!(fp, digest(&case["fingerprint"]));
    let shape = BallotShape::of(&definition).unwrap();
    let listed: Vec<(String, Vec<String>, u32, u32)> = array(&case["shape"])
        .iter()
        .map(|c| {
            (
                s(&c["contest"]).to_string(),
                serde_json::from_value(c["options"].clone()).unwrap(),
                c["p"].as_u64().unwrap() as u32,
                c["L"].as_u64().unwrap() as u32,
            )
        })
        .collect();
    let computed: Vec<_> = shape
        .contests
        .iter()
        .map(|c| (c.id.clone(), c.options.clone(), c.per_option, c.limit))
        .collect();
    assert_eq!(computed, listed);
    let (key, bases) = key_of(&input["joint_key"]);
    Election {
        id: s(&case["election"]).to_string(),
        fp,
        shape,
        key,
        bases,
    }
}

#[test]
fn encrypted_ballots_are_reproduced_exactly_with_their_trackers() {
    let v = vectors();
    for case in array(&v["encrypted-ballot"]) {
        let e = election_of(case);
        let choices: BTreeMap<String, Vec<String>> = serde_json::from_value(case["choices"].clone()).unwrap();
        let weight = Weight::parse(s(&case["weight"])).unwrap();
        let random = draws(&case["random"]);
        assert_eq!(hex::encode(&random[0]), s(&case["seed"]));
        assert_eq!(hex::encode(&random[1]), s(&case["nonce"]));
        let mut rng = ScriptedRandom::new(random);
        let encrypter = Encrypter {
            election: &e.id,
            fingerprint: e.fp,
            key: &e.key,
            shape: &e.shape,
        };
        let (ballot, seed) = encrypter.encrypt(&choices, weight, &mut rng).unwrap();
        assert_eq!(rng.remaining(), 0);
        assert_eq!(seed.to_hex(), s(&case["seed"]));
        let expected: EncryptedBallot = serde_json::from_value(case["ballot"].clone()).unwrap();
        assert_eq!(ballot, expected, "{}", case["name"]);
        let canonical = String::from_utf8(ballot.canonical_bytes()).unwrap();
        assert_eq!(canonical, s(&case["canonical"]));
        assert_eq!(canonical.len() as u64, case["size"].as_u64().unwrap());
        assert_eq!(ballot.tracker(), digest(&case["tracker"]));
        assert_eq!(Digest::of(canonical.as_bytes()), ballot.tracker());
        assert_eq!(read_ballot(canonical.as_bytes()).unwrap(), ballot);
        let context = CastContext {
            election: &e.id,
            fingerprint: e.fp,
            shape: &e.shape,
            bases: &e.bases,
        };
        assert_eq!(
            context.check_cast(&ballot, weight, &Store::default(), &mut OsRandom),
            Ok(ballot.tracker())
        );
        assert_eq!(context.check_proofs_unbatched(&ballot), Ok(()));
    }
}

#[derive(Default)]
struct Store {
    alphas: Vec<Element>,
    audited: Vec<Digest>,
}

impl CastStore for Store {
    fn stored_alpha(&self, alphas: &[Element]) -> Option<usize> {
        alphas.iter().position(|a| self.alphas.contains(a))
    }
    fn audited(&self, tracker: &Digest) -> bool {
        self.audited.contains(tracker)
    }
}

#[test]
fn every_refusal_is_refused_with_its_named_check() {
    let v = vectors();
    let example = array(&v["encrypted-ballot"])
        .iter()
        .find(|c| c["name"] == "example")
        .unwrap();
    let e = election_of(example);
    let context = &v["refusals"]["context"];
    assert_eq!(s(&context["election"]), e.id);
    assert_eq!(digest(&context["fingerprint"]), e.fp);
    assert_eq!(element(&context["joint_key"]), *e.key.element());
    let cast = CastContext {
        election: &e.id,
        fingerprint: e.fp,
        shape: &e.shape,
        bases: &e.bases,
    };
    let cases = array(&v["refusals"]["cases"]);
    let rules: std::collections::BTreeSet<u64> = cases.iter().map(|c| c["rule"].as_u64().unwrap()).collect();
    assert_eq!(
        rules.into_iter().collect::<Vec<_>>(),
        [1, 2, 3, 4, 5, 6],
        "every rule of §15.7 has a case"
    );
    for case in cases {
        let name = s(&case["name"]);
        let store = Store {
            alphas: array(&case["stored_alphas"]).iter().map(element).collect(),
            audited: array(&case["audited_trackers"]).iter().map(digest).collect(),
        };
        let weight = Weight::parse(s(&case["weight"])).unwrap();
        let refusal = read_ballot(s(&case["ballot_text"]).as_bytes())
            .and_then(|b| cast.check_cast(&b, weight, &store, &mut OsRandom))
            .expect_err(name);
        let expected = &case["expected"];
        assert_eq!(refusal.check(), s(&expected["check"]), "{name}: {refusal}");
        assert_eq!(refusal.path(), expected["path"].as_str(), "{name}");
        if let CastRefusal::Proof { error, .. } = &refusal {
            assert_eq!(error.reason(), s(&expected["proof_error"]), "{name}");
            if let ProofError::Equation { branch } = error {
                assert_eq!(*branch as u64, expected["branch"].as_u64().unwrap(), "{name}");
            }
            // The unbatched check reaches the same verdict.
            let ballot = read_ballot(s(&case["ballot_text"]).as_bytes()).unwrap();
            assert_eq!(cast.check_proofs_unbatched(&ballot), Err(refusal.clone()), "{name}");
        }
    }
}

/// The count each ciphertext holds, found by opening it with the seed's `r`
/// (§14.10): `α = g^r` and `β / h^r = g^m` for exactly one `m ∈ {0 … max}`.
fn opened(h: &Element, r: &Scalar, alpha: &Value, beta: &Value, max: u32) -> u32 {
    assert_eq!(element(alpha), Element::from_point(g_pow(r)), "alpha is g^r");
    let gm = element(beta).point() - h.point() * r;
    let found: Vec<u32> = (0..=max).filter(|&m| g_pow(&int(u64::from(m))) == gm).collect();
    assert_eq!(found.len(), 1, "beta opens to exactly one count in 0 … {max}");
    found[0]
}

#[test]
fn the_audited_ballot_opens_to_its_choices_and_each_change_fails_its_check() {
    let v = vectors();
    let cases = array(&v["audited-ballot"]);
    assert!(!cases.is_empty());
    for case in cases {
        let example = array(&v["encrypted-ballot"])
            .iter()
            .find(|b| b["name"] == case["name"])
            .unwrap();
        let file = &case["file"];
        // The encrypted-ballot vector's ballot, seed and choices, with the
        // election it was made for.
        assert_eq!(file["format"], "teller-audited-ballot/1");
        for member in ["ballot", "tracker", "seed", "choices", "definition"] {
            assert_eq!(file[member], example[member], "{member}");
        }
        let input = &example["fingerprint_input"];
        assert_eq!(file["encryption"]["threshold"], input["threshold"]);
        assert_eq!(file["encryption"]["joint_key"], input["joint_key"]);
        assert_eq!(file["encryption"]["verification_keys"], input["verification_keys"]);

        // What the seed opens it to, recomputed here.
        let e = election_of(example);
        let (nonce, seed) = (
            nonce(&example["nonce"]),
            BallotSeed::from_bytes(digest(&file["seed"]).0),
        );
        let h = element(&input["joint_key"]);
        let counts: Vec<Value> = array(&file["ballot"]["contests"])
            .iter()
            .zip(&e.shape.contests)
            .map(|(contest, shape)| {
                let id = s(&contest["contest"]);
                let counts: Vec<u32> = array(&contest["selections"])
                    .iter()
                    .zip(&shape.options)
                    .map(|(sel, option)| {
                        let r = option_randomness(&e.fp, &nonce, &seed, id, option);
                        opened(&h, &r, &sel["alpha"], &sel["beta"], shape.per_option)
                    })
                    .collect();
                let r_x = indicator_randomness(&e.fp, &nonce, &seed, id);
                let indicator = &contest["indicator"];
                let marked = opened(&h, &r_x, &indicator["alpha"], &indicator["beta"], 1);
                assert_eq!(
                    marked,
                    u32::from(counts.iter().sum::<u32>() >= 1),
                    "{id}: the indicator"
                );
                serde_json::json!({"contest": id, "counts": counts})
            })
            .collect();
        assert_eq!(Value::Array(counts), case["counts"]);
        let choices: BTreeMap<String, Vec<String>> = serde_json::from_value(case["choices"].clone()).unwrap();
        let listed: Vec<Vec<u32>> = array(&case["counts"])
            .iter()
            .map(|c| serde_json::from_value(c["counts"].clone()).unwrap())
            .collect();
        assert_eq!(e.shape.counts(&choices).unwrap(), listed);

        // verify-audit: every check passes, and it ends with these choices.
        let audited: AuditedBallot = serde_json::from_value(file.clone()).unwrap();
        let out = verify_audit(Ok(audited), None);
        assert!(out.report.ok(), "{}", out.report);
        assert_eq!(out.choice_ids, choices);
        assert_eq!(serde_json::json!(out.choices), case["in_words"]);

        for refused in array(&case["refused"]) {
            let mut changed = file.clone();
            changed[s(&refused["member"])] = refused["replacement"].clone();
            assert_ne!(&changed, file, "{}", refused["name"]);
            let audited: AuditedBallot = serde_json::from_value(changed).unwrap();
            let failure = audited.check(&mut OsRandom).unwrap_err();
            assert_eq!(failure.check, s(&refused["check"]), "{}: {failure}", refused["name"]);
            let out = verify_audit(Ok(audited), None);
            assert_eq!(out.report.first_failure(), Some(failure.check), "{}", refused["name"]);
        }
    }
}
