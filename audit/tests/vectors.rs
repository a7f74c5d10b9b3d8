//! The test vectors of FORMAT.md §12 — those printed in it, and every vector
//! of `audit/conformance/vectors.json`: an independent implementation should
//! reproduce exactly these bytes and hashes.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use teller_audit::ballot::Ballot;
use teller_audit::crypto::{Nonce, Seed};
use teller_audit::log::{Event, LogEntry, GENESIS};
use teller_audit::tally::lot_order;

#[test]
fn log_entry_vector() {
    let e = LogEntry {
        seq: 0,
        time: 1_796_115_600,
        event: Event::Seal { seal: 1, ballots: 2 },
    };
    assert_eq!(
        String::from_utf8(e.canonical_bytes()).unwrap(),
        r#"{"data":{"ballots":2,"seal":1},"seq":0,"time":1796115600,"type":"seal"}"#
    );
    assert_eq!(
        e.chain_hash(&GENESIS).to_hex(),
        "e15f34502060069b44ef59a4ac27f579188c7bc41b9da49f3c616a25fb747d54"
    );
}

#[test]
fn tracker_vector() {
    let mut choices = BTreeMap::new();
    choices.insert("board".to_string(), vec!["a".to_string()]);
    choices.insert("bylaw".to_string(), vec![]);
    let mut nonce = [0u8; 16];
    nonce[15] = 1;
    let b = Ballot {
        election: "e".into(),
        nonce: Nonce(nonce),
        choices,
        weight: teller_audit::count::Weight::ONE,
    };
    assert_eq!(
        b.tracker().to_hex(),
        "cc49f79f66326236959d91e7dc7d0048283cbfb2387b12c7e95cfba020180f2e"
    );
}

#[test]
fn lot_vector() {
    // SHA-256(seed ‖ "board" ‖ 0x00 ‖ id): a → 05d4…, b → 836c…, so a first.
    let mut tied = vec!["b".to_string(), "a".to_string()];
    lot_order(&Seed([0; 32]), "board", &mut tied);
    assert_eq!(tied, ["a", "b"]);
}

#[test]
fn name_key_vectors() {
    use teller_audit::names::key;
    for (name, expected) in [
        ("Alice", "alice"),
        ("\u{0410}lice", "alice"),
        ("AIice", "alice"),
        ("ALICE", "allce"),
        ("Zo\u{00eb}", "zoe\u{0308}"),
        ("Zoe\u{0308}", "zoe\u{0308}"),
        ("Zo\u{200d}\u{00eb}", "zoe\u{0308}"),
        ("Z\u{043e}\u{00eb}", "zoe\u{0308}"),
        ("Wim", "wirn"),
        ("JO BLOGGS", "jo bloggs"),
    ] {
        assert_eq!(key(name), expected, "{name:?}");
    }
    // The write-in names §12 lists as not valid, in a contest of "Alice".
    let definition: teller_audit::definition::Definition = serde_json::from_value(serde_json::json!({
        "title": "T", "description": "",
        "contests": [{"id": "chair", "title": "Chair", "description": "", "seats": 1,
            "candidates": [{"id": "alice", "name": "Alice", "statement": ""}],
            "method": {"kind": "plurality", "majority_required": false, "write_ins": true}}]
    }))
    .unwrap();
    let problems = |name: &str| {
        let choices = BTreeMap::from([("chair".to_string(), vec![format!("write-in:{name}")])]);
        teller_audit::ballot::problems(&definition, &choices).len()
    };
    for bad in [
        "Jo\u{0001}Bloggs",
        "Zo\u{200d}\u{00eb}",
        "Zoe\u{0308}",
        "Jo\u{00a0}Bloggs",
        "\u{0410}lice",
        "AIice",
        "ALICE",
    ] {
        assert_eq!(problems(bad), 1, "{bad:?}");
    }
    assert_eq!(problems("Zo\u{00eb}"), 0);
    assert_eq!(problems("Jo Bloggs"), 0);
}

// The vectors of `audit/conformance/vectors.json` (FORMAT.md §12): every
// primitive, with inputs and expected bytes. Made by the conformance
// generator; the Ed25519 keys are RFC 8032's test keys.

fn vectors() -> serde_json::Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/vectors.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn str_of(v: &serde_json::Value) -> &str {
    v.as_str().unwrap()
}

fn sha256_hex(parts: &[&[u8]]) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for p in parts {
        ctx.update(p);
    }
    hex::encode(ctx.finish().as_ref())
}

/// Deterministic Ed25519 (RFC 8032): the seed gives the key pair, the
/// message gives the signature.
fn check_signature(v: &serde_json::Value) {
    use ring::signature::{Ed25519KeyPair, KeyPair};
    let seed = hex::decode(str_of(&v["seed"])).unwrap();
    let pair = Ed25519KeyPair::from_seed_unchecked(&seed).unwrap();
    assert_eq!(hex::encode(pair.public_key().as_ref()), str_of(&v["public_key"]));
    let bytes = hex::decode(str_of(&v["signed_bytes"]["hex"])).unwrap();
    assert_eq!(bytes, str_of(&v["signed_bytes"]["text"]).as_bytes());
    assert_eq!(hex::encode(pair.sign(&bytes).as_ref()), str_of(&v["signature"]));
}

#[test]
fn canonical_encoding_vectors() {
    for v in vectors()["canonical"].as_array().unwrap() {
        let input: serde_json::Value = serde_json::from_str(str_of(&v["input"])).unwrap();
        let bytes = teller_audit::canonical::value_to_bytes(&input).unwrap();
        let what = str_of(&v["description"]);
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            str_of(&v["canonical"]["text"]),
            "{what}"
        );
        assert_eq!(hex::encode(&bytes), str_of(&v["canonical"]["hex"]), "{what}");
        assert_eq!(sha256_hex(&[&bytes]), str_of(&v["canonical"]["sha256"]), "{what}");
    }
}

#[test]
fn chain_vectors() {
    let chain = &vectors()["chain"];
    let mut previous = GENESIS;
    for v in chain["entries"].as_array().unwrap() {
        let entry: LogEntry = serde_json::from_value(v["entry"].clone()).unwrap();
        assert_eq!(
            String::from_utf8(entry.canonical_bytes()).unwrap(),
            str_of(&v["canonical"])
        );
        assert_eq!(previous.to_hex(), str_of(&v["previous"]));
        previous = entry.chain_hash(&previous);
        assert_eq!(previous.to_hex(), str_of(&v["hash"]), "entry {}", entry.seq);
    }
    assert_eq!(previous.to_hex(), str_of(&chain["head"]));
}

#[test]
fn tracker_vectors() {
    for v in vectors()["trackers"].as_array().unwrap() {
        let ballot: Ballot = serde_json::from_value(v["ballot"].clone()).unwrap();
        assert_eq!(
            teller_audit::canonical::to_bytes(&ballot).unwrap(),
            str_of(&v["canonical"]).as_bytes()
        );
        assert_eq!(ballot.tracker().to_hex(), str_of(&v["tracker"]));
    }
}

#[test]
fn checkpoint_vector() {
    let v = &vectors()["checkpoint"];
    check_signature(v);
    let cp: teller_audit::checkpoint::SignedCheckpoint = serde_json::from_value(v["checkpoint"].clone()).unwrap();
    assert_eq!(
        cp.checkpoint.signed_bytes(),
        str_of(&v["signed_bytes"]["text"]).as_bytes()
    );
    let key: teller_audit::crypto::PublicKey = serde_json::from_value(v["public_key"].clone()).unwrap();
    assert!(cp.verifies(&key));
    assert_eq!(cp.checkpoint.head.to_hex(), str_of(&vectors()["chain"]["head"]));
}

#[test]
fn receipt_vector() {
    let v = &vectors()["receipt"];
    check_signature(v);
    let receipt: teller_audit::receipt::Receipt = serde_json::from_value(v["receipt"].clone()).unwrap();
    assert_eq!(
        receipt.body.signed_bytes(),
        str_of(&v["signed_bytes"]["text"]).as_bytes()
    );
    assert!(receipt.problems().is_empty(), "{:?}", receipt.problems());
}

#[test]
fn certification_vector() {
    let v = &vectors()["certification"];
    check_signature(v);
    let signed: teller_audit::certify::SignedStatement = serde_json::from_value(v["signed_statement"].clone()).unwrap();
    assert_eq!(
        signed.statement.signed_bytes(),
        str_of(&v["signed_bytes"]["text"]).as_bytes()
    );
    assert!(signed.verifies());
}

#[test]
fn lot_vectors() {
    let lots = &vectors()["lots"];
    for v in lots["plurality"]["vectors"].as_array().unwrap() {
        let seed: [u8; 32] = hex::decode(str_of(&v["seed"])).unwrap().try_into().unwrap();
        let contest = str_of(&v["contest"]);
        let mut options = Vec::new();
        for k in v["keys"].as_array().unwrap() {
            let option = str_of(&k["option"]);
            assert_eq!(
                sha256_hex(&[&seed, contest.as_bytes(), &[0], option.as_bytes()]),
                str_of(&k["key"])
            );
            options.push(option.to_string());
        }
        lot_order(&Seed(seed), contest, &mut options);
        let order: Vec<&str> = v["order"].as_array().unwrap().iter().map(str_of).collect();
        assert_eq!(options, order);
    }
    for v in lots["contest_seed"]["vectors"].as_array().unwrap() {
        let seed: [u8; 32] = hex::decode(str_of(&v["seed"])).unwrap().try_into().unwrap();
        assert_eq!(Seed(seed).commitment().to_hex(), str_of(&v["seed_commitment"]));
        let cs = teller_audit::tally::contest_seed(&Seed(seed), str_of(&v["contest"]));
        assert_eq!(hex::encode(cs), str_of(&v["contest_seed"]));
        let spelled = sha256_hex(&[b"teller-lots/1", &[0], &seed, str_of(&v["contest"]).as_bytes()]);
        assert_eq!(spelled, str_of(&v["contest_seed"]));
    }
    for v in lots["method"]["vectors"].as_array().unwrap() {
        let cs: [u8; 32] = hex::decode(str_of(&v["contest_seed"])).unwrap().try_into().unwrap();
        let context = str_of(&v["context"]);
        let mut tied = Vec::new();
        for k in v["keys"].as_array().unwrap() {
            let c = k["candidate"].as_u64().unwrap() as usize;
            assert_eq!(
                hex::encode(teller_audit::count::lot_key(&cs, context, c)),
                str_of(&k["key"])
            );
            tied.push(c);
        }
        let (order, _) = teller_audit::count::TieBreaker::new(cs).resolve(&tied, context);
        let expected: Vec<usize> = v["order"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(order, expected, "{context}");
    }
}

#[test]
fn name_vectors() {
    let names = &vectors()["names"];
    for v in names["keys"]["vectors"].as_array().unwrap() {
        assert_eq!(
            teller_audit::names::key(str_of(&v["name"])),
            str_of(&v["key"]),
            "{}",
            v["name"]
        );
    }
    let candidates: Vec<serde_json::Value> = names["write_ins"]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, n)| serde_json::json!({"id": format!("c{i}"), "name": n, "statement": ""}))
        .collect();
    let definition: teller_audit::definition::Definition = serde_json::from_value(serde_json::json!({
        "title": "T", "description": "",
        "contests": [{"id": "chair", "title": "Chair", "description": "", "seats": 1,
            "candidates": candidates,
            "method": {"kind": "plurality", "majority_required": false, "write_ins": true}}]
    }))
    .unwrap();
    for v in names["write_ins"]["vectors"].as_array().unwrap() {
        let choices = BTreeMap::from([("chair".to_string(), vec![format!("write-in:{}", str_of(&v["name"]))])]);
        let valid = teller_audit::ballot::problems(&definition, &choices).is_empty();
        assert_eq!(valid, v["valid"].as_bool().unwrap(), "{} ({})", v["name"], v["why"]);
    }
}

#[test]
fn merkle_vectors() {
    use teller_audit::crypto::Digest;
    use teller_audit::merkle::{self, Tree};
    let digest = |v: &serde_json::Value| Digest::from_hex(str_of(v)).unwrap();
    let proof = |v: &serde_json::Value| v.as_array().unwrap().iter().map(digest).collect::<Vec<_>>();
    let group = &vectors()["merkle"];
    for name in ["ct", "log"] {
        let t = &group[name];
        let mut tree = Tree::new();
        for leaf in t["leaves"].as_array().unwrap() {
            let bytes = hex::decode(str_of(&leaf["hex"])).unwrap();
            assert_eq!(merkle::leaf_hash(&bytes), digest(&leaf["leaf_hash"]), "{name}");
            tree.push(&bytes);
        }
        let roots: Vec<Digest> = t["roots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| digest(&r["root"]))
            .collect();
        for (size, root) in roots.iter().enumerate() {
            assert_eq!(tree.root_at(size as u64).unwrap(), *root, "{name} root of {size}");
        }
        for v in t["inclusion"].as_array().unwrap() {
            let (index, size) = (v["index"].as_u64().unwrap(), v["size"].as_u64().unwrap());
            let expected = proof(&v["proof"]);
            assert_eq!(
                tree.inclusion_proof(index, size).unwrap(),
                expected,
                "{name} PATH({index}, {size})"
            );
            let leaf = tree.leaf(index).unwrap();
            merkle::verify_inclusion(index, size, &leaf, &expected, &roots[size as usize]).unwrap();
        }
        for v in t["consistency"].as_array().unwrap() {
            let (first, second) = (v["first"].as_u64().unwrap(), v["second"].as_u64().unwrap());
            let expected = proof(&v["proof"]);
            assert_eq!(
                tree.consistency_proof(first, second).unwrap(),
                expected,
                "{name} PROOF({first}, {second})"
            );
            merkle::verify_consistency(
                first,
                second,
                &roots[first as usize],
                &roots[second as usize],
                &expected,
            )
            .unwrap();
        }
    }
    // The log's leaves are the chain vectors' entries, canonically encoded.
    let chain = vectors()["chain"]["entries"].as_array().unwrap().clone();
    let leaves = group["log"]["leaves"].as_array().unwrap();
    assert_eq!(chain.len(), leaves.len());
    for (entry, leaf) in chain.iter().zip(leaves) {
        assert_eq!(
            hex::encode(str_of(&entry["canonical"]).as_bytes()),
            str_of(&leaf["hex"])
        );
    }
}

#[test]
fn note_vector() {
    use teller_audit::crypto::{Digest, PublicKey, Signature};
    use teller_audit::note::{key_id, TreeCheckpoint};
    let v = &vectors()["note"];
    let key = PublicKey(hex::decode(str_of(&v["public_key"])).unwrap().try_into().unwrap());
    let checkpoint = TreeCheckpoint {
        origin: str_of(&v["origin"]).to_string(),
        size: v["size"].as_u64().unwrap(),
        root: Digest::from_hex(str_of(&v["root"])).unwrap(),
    };
    assert_eq!(checkpoint.text(), str_of(&v["text"]));
    assert_eq!(hex::encode(key_id(&checkpoint.origin, &key)), str_of(&v["key_id"]));
    let signature = Signature(hex::decode(str_of(&v["signature"])).unwrap().try_into().unwrap());
    assert!(key.verifies(checkpoint.text().as_bytes(), &signature));
    assert_eq!(checkpoint.signed_note(&key, |_| signature), str_of(&v["note"]));
    let election = checkpoint.origin.rsplit('/').next().unwrap();
    assert_eq!(
        TreeCheckpoint::open(str_of(&v["note"]), election, &key).unwrap(),
        checkpoint
    );
    // The root is the Merkle root of the chain vectors' log (merkle.log).
    let roots = vectors()["merkle"]["log"]["roots"].as_array().unwrap().clone();
    assert_eq!(roots.last().unwrap()["root"], v["root"]);
    // Ed25519 is deterministic: the seed gives exactly this signature.
    let seed = hex::decode(str_of(&v["seed"])).unwrap();
    let pair = ring::signature::Ed25519KeyPair::from_seed_unchecked(&seed).unwrap();
    assert_eq!(
        hex::encode(pair.sign(checkpoint.text().as_bytes()).as_ref()),
        str_of(&v["signature"])
    );
}

#[test]
fn inclusion_vector() {
    use teller_audit::inclusion::{prove, InclusionProof};
    use teller_audit::merkle::{leaf_hash, verify_inclusion, Tree};
    use teller_audit::note::TreeCheckpoint;
    let v = &vectors()["inclusion"]["proof"];
    let proof: InclusionProof = serde_json::from_value(v.clone()).unwrap();
    let note = &vectors()["note"];
    let root = teller_audit::crypto::Digest::from_hex(str_of(&note["root"])).unwrap();
    let size = note["size"].as_u64().unwrap();
    for (entry, path) in [(&proof.entry, &proof.proof), (&proof.seal_entry, &proof.seal_proof)] {
        verify_inclusion(entry.seq, size, &leaf_hash(&entry.canonical_bytes()), path, &root).unwrap();
    }
    // The library's prover gives exactly this object from the whole log.
    let entries: Vec<LogEntry> = vectors()["chain"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| serde_json::from_value(e["entry"].clone()).unwrap())
        .collect();
    let mut tree = Tree::new();
    for e in &entries {
        tree.push(&e.canonical_bytes());
    }
    let Event::Ballot { tracker } = &entries[5].event else {
        panic!("entry 5 is a ballot")
    };
    let made = prove(
        &entries,
        &tree,
        &proof.election,
        tracker,
        1,
        size,
        proof.checkpoint.clone(),
    )
    .unwrap();
    assert_eq!(serde_json::to_value(&made).unwrap(), *v);
    assert_eq!(proof.checkpoint, str_of(&note["note"]));
    let _: TreeCheckpoint = TreeCheckpoint::open(&proof.checkpoint, &proof.election, &{
        let k = hex::decode(str_of(&note["public_key"])).unwrap();
        teller_audit::crypto::PublicKey(k.try_into().unwrap())
    })
    .unwrap();
}

#[test]
fn cosignature_vector() {
    use ring::signature::Ed25519KeyPair;
    use teller_audit::cosignature::{cosign, count_valid, verify, WitnessKey};
    let v = &vectors()["cosignature"];
    let seed = hex::decode(str_of(&v["seed"])).unwrap();
    let pair = Ed25519KeyPair::from_seed_unchecked(&seed).unwrap();
    let name = str_of(&v["name"]);
    let key = WitnessKey::of(name, &pair);
    assert_eq!(hex::encode(key.key), str_of(&v["public_key"]));
    assert_eq!(hex::encode(key.key_id()), str_of(&v["key_id"]));
    assert_eq!(key.vkey(), str_of(&v["vkey"]));
    assert_eq!(WitnessKey::parse(str_of(&v["vkey"])).unwrap(), key);
    // The checkpoint cosigned is the note vector's.
    let text = str_of(&v["checkpoint_text"]);
    assert_eq!(text, str_of(&vectors()["note"]["text"]));
    let time = v["time"].as_u64().unwrap();
    let message = hex::decode(str_of(&v["signed_message"]["hex"])).unwrap();
    assert_eq!(message, str_of(&v["signed_message"]["text"]).as_bytes());
    assert_eq!(message, format!("cosignature/v1\ntime {time}\n{text}").as_bytes());
    assert_eq!(hex::encode(pair.sign(&message).as_ref()), str_of(&v["signature"]));
    // Ed25519 is deterministic: cosign writes exactly the line.
    assert_eq!(cosign(&pair, name, text, time), str_of(&v["line"]));
    assert_eq!(verify(&key, text, str_of(&v["line"])), Ok(time));
    let note = str_of(&v["cosigned_note"]);
    assert_eq!(
        note,
        format!("{}{}", str_of(&vectors()["note"]["note"]), str_of(&v["line"]))
    );
    assert_eq!(count_valid(&[key], text, note), vec![name.to_string()]);
}

#[test]
fn tiles_vectors() {
    use teller_audit::crypto::Digest;
    use teller_audit::merkle::Tree;
    use teller_audit::tiles::{split_bundle, Tile, TileKind};
    let group = &vectors()["tiles"];
    let kind_of = |k: &str| match k {
        "entries" => TileKind::Entries,
        level => TileKind::Hashes(level.parse().unwrap()),
    };
    for v in group["paths"].as_array().unwrap() {
        let tile = Tile {
            kind: kind_of(str_of(&v["kind"])),
            index: v["index"].as_u64().unwrap(),
            width: v["width"].as_u64().unwrap() as u16,
        };
        assert_eq!(tile.path(), str_of(&v["path"]));
        assert_eq!(Tile::parse(str_of(&v["path"])), Ok(tile));
    }
    for v in group["refused"].as_array().unwrap() {
        let path = str_of(&v["path"]);
        assert!(Tile::parse(path).is_err(), "{path} was read ({})", str_of(&v["why"]));
    }
    for v in group["sizes"].as_array().unwrap() {
        let size = v["size"].as_u64().unwrap();
        let tiles = Tile::all_for(size);
        let partial: Vec<String> = tiles.iter().filter(|t| !t.is_full()).map(Tile::path).collect();
        let expected: Vec<&str> = v["partial"].as_array().unwrap().iter().map(str_of).collect();
        assert_eq!(partial, expected, "partial tiles of {size}");
        for (kind, count) in v["full"].as_object().unwrap() {
            let full = tiles.iter().filter(|t| t.is_full() && t.kind == kind_of(kind)).count();
            assert_eq!(full as u64, count.as_u64().unwrap(), "full {kind} tiles of {size}");
        }
        if let Some(all) = v["all"].as_array() {
            let paths: Vec<String> = tiles.iter().map(Tile::path).collect();
            let expected: Vec<&str> = all.iter().map(str_of).collect();
            assert_eq!(paths, expected, "the tiles of {size}");
        }
    }
    // Tile contents from the verifier's own tree.
    let contents = &group["contents"];
    let mut tree = Tree::new();
    for i in 0..contents["leaves"].as_u64().unwrap() {
        tree.push(&i.to_be_bytes());
    }
    assert_eq!(tree.root(), Digest::from_hex(str_of(&contents["root"])).unwrap());
    for v in contents["tiles"].as_array().unwrap() {
        let tile = Tile::parse(str_of(&v["tile"])).unwrap();
        let TileKind::Hashes(level) = tile.kind else {
            panic!("a hash tile")
        };
        let bytes: Vec<u8> = (0..u64::from(tile.width))
            .flat_map(|i| tree.complete(8 * u32::from(level), tile.start() + i).unwrap().0)
            .collect();
        assert_eq!(bytes.len() as u64, v["bytes"].as_u64().unwrap(), "{tile}");
        assert_eq!(sha256_hex(&[&bytes]), str_of(&v["sha256"]), "{tile}");
        if let Some(h) = v["hex"].as_str() {
            assert_eq!(hex::encode(&bytes), h, "{tile}");
        }
    }
    // The entry bundle: split, each entry is the chain vectors' log's.
    let bundle = hex::decode(str_of(&group["bundle"]["hex"])).unwrap();
    let entries = split_bundle(&bundle, 7).unwrap();
    let log = &vectors()["merkle"]["log"]["leaves"];
    for (i, entry) in entries.iter().enumerate() {
        assert_eq!(hex::encode(entry), str_of(&log[i]["hex"]), "bundle entry {i}");
    }
    assert!(
        split_bundle(&bundle[..bundle.len() - 1], 7).is_err(),
        "a truncated bundle was read"
    );
    assert!(split_bundle(&bundle, 6).is_err(), "a bundle of 7 read as 6");
}
