//! The test vectors printed in FORMAT.md: an independent implementation
//! should reproduce exactly these bytes and hashes.
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
