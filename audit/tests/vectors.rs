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
