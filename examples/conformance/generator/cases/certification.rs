//! `certification` (FORMAT.md §8a).

use super::*;

pub(super) fn cases(s: &mut Suite, e: &Elections) {
    let el = &e.board;
    let section = "§8a, §10 certification";
    let cert = || el.records["certified"].clone();
    let id = el.id.clone();
    let digest = cert().tally_digest().expect("a tally");

    let mut r = cert();
    let at = r.find("certification", 1);
    r.log()[at]["data"]["signature"] = json!(certifier_key(2).sign(&canonical(&statement(&id, &digest))));
    r.fix(&el.key, &[]);
    s.verify(
        meta(
            "certification-wrong-key",
            "certification",
            section,
            "wrong key",
            "A certification entry names certifier 2's key but was signed by certifier 3's.",
        ),
        text(&r),
        vec![],
    );
    let mut r = cert();
    let at = r.find("certification", 1);
    let a = attacker();
    r.log()[at]["data"]["public_key"] = json!(a.public_hex());
    r.log()[at]["data"]["signature"] = json!(a.sign(&canonical(&statement(&id, &digest))));
    r.fix(&el.key, &[]);
    s.verify(
        meta(
            "certification-unregistered-key",
            "certification",
            section,
            "unregistered key",
            "A certification correctly signed by a key nobody registered.",
        ),
        text(&r),
        vec![],
    );
    let mut r = cert();
    let at = r.find("certification", 1);
    r.log()[at]["data"]["certifier"] = json!("Someone Else");
    r.fix(&el.key, &el.certifiers);
    s.verify(
        meta(
            "certification-name-mismatch",
            "certification",
            section,
            "certifier name mismatch",
            "A certification whose certifier name differs from the one registered with its key.",
        ),
        text(&r),
        vec![],
    );
    let r0 = cert();
    let at = r0.find("certification", 0);
    let data = r0.entries()[at]["data"].clone();
    let r = with_entry(el, r0, at + 1, "certification", data);
    s.verify(
        meta(
            "certification-signed-twice",
            "certification",
            section,
            "key signed twice",
            "The first certifier's signature logged twice.",
        ),
        text(&r),
        vec![],
    );
    let mut r = cert();
    let at = r.find("certification", 1);
    r.remove_entry(at);
    for cp in r.checkpoints().iter_mut() {
        let size = cp["size"].as_u64().unwrap_or(0);
        if size as usize > at {
            cp["size"] = json!(size - 1);
        }
    }
    let at = r.find("certified", 0);
    r.log()[at]["data"]["signatures"] = json!(1);
    r.fix(&el.key, &el.certifiers);
    s.verify(
        meta(
            "certification-without-quorum",
            "certification",
            section,
            "certified without quorum",
            "One signature of the two needed removed; certified still follows.",
        ),
        text(&r),
        vec![],
    );
    let mut r = cert();
    let at = r.find("certified", 0);
    r.log()[at]["data"]["quorum"] = json!(1);
    r.fix(&el.key, &el.certifiers);
    s.verify(
        meta(
            "certification-quorum-changed",
            "certification",
            section,
            "certified names the opening quorum",
            "certified claims a quorum of 1; the polls opened with 2.",
        ),
        text(&r),
        vec![],
    );
    let mut r = cert();
    let at = r.find("polls_opened", 0);
    r.log()[at]["data"]["certification_quorum"] = json!(4);
    let at = r.find("certified", 0);
    r.log()[at]["data"]["quorum"] = json!(4);
    r.fix(&el.key, &el.certifiers);
    s.verify(
        meta(
            "certification-quorum-exceeds-keys",
            "certification",
            section,
            "the quorum did not exceed the registered keys",
            "A quorum of 4 with 3 registered certifiers.",
        ),
        text(&r),
        vec![],
    );
    let mut r = cert();
    let at = r.find("certification", 0);
    r.log()[at]["data"]["signature"] = json!(certifier_key(0).sign(&canonical(&statement(&id, &"0".repeat(64)))));
    r.fix(&el.key, &[]);
    s.verify(
        meta(
            "certification-other-result",
            "certification",
            section,
            "signature over this election's statement",
            "The first certifier's signature is over another tally digest.",
        ),
        text(&r),
        vec![],
    );
}
