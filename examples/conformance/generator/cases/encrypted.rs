//! The checks of an encrypted election's record (FORMAT.md §14–§16,
//! §10's encrypted checks) and receipts of encrypted ballots (§7).
//!
//! Each tampered record is made consistent again wherever the case does not
//! break it: a ceremony message or partial decryption changed is signed
//! again with its trustee's key and its digest logged again; a ballot
//! changed gets its new tracker in the log (its batch kept in tracker
//! order) and the published ballots are sorted again; the aggregate's
//! digest is logged again; then the chain is recomputed and the
//! checkpoints re-signed.

use super::*;

/// The record's `encryption` member.
fn encryption(r: &mut Record) -> &mut Value {
    &mut r.v["encryption"]
}

/// The tracker an encrypted ballot of the record has (FORMAT.md §14.11:
/// with `election` added back).
fn tracker(r: &Record, ballot: &Value) -> String {
    r.tracker_of(ballot)
}

/// Sort the published encrypted ballots by their trackers again (§8).
fn sort_ballots(r: &mut Record) {
    let mut keyed: Vec<(String, Value)> = r.ballots().clone().into_iter().map(|b| (String::new(), b)).collect();
    for (t, b) in keyed.iter_mut() {
        *t = tracker(r, b);
    }
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    *r.ballots() = keyed.into_iter().map(|(_, b)| b).collect();
}

/// Replace published ballot `i` with `ballot`: its new tracker goes into
/// the log in place of the old one.
fn replace_encrypted(r: &mut Record, i: usize, ballot: Value) {
    let old = tracker(r, &r.v["ballots"][i].clone());
    let new = tracker(r, &ballot);
    r.ballots()[i] = ballot;
    r.retrack(&old, &new);
    sort_ballots(r);
}

/// Sign a changed envelope (§16.2) again with trustee `j`'s key, and log
/// its new digest in place of the `original`'s (`trustee_registered`,
/// `ceremony_message` or `decryption_share`).
fn resign_envelope(r: &mut Record, e: &Encrypted, original: &Value, envelope: &mut Value) {
    let old = sha256_hex(&[&canonical(original)]);
    let j = envelope["trustee"].as_u64().unwrap_or(1) as usize;
    let key = &e.trustees[j - 1];
    resign_with(envelope, &|bytes| key.sign(bytes));
    let new = sha256_hex(&[&canonical(envelope)]);
    for entry in r.log().iter_mut() {
        if entry["data"]["message"] == old.as_str() {
            entry["data"]["message"] = json!(new);
        }
    }
}

/// Change the first hex digit of a scalar or digest (its lowest nibble, so
/// a canonical scalar stays below ℓ).
fn flip_first(hex: &str) -> String {
    let mut s = hex.to_string();
    let first = s.remove(0);
    s.insert(0, if first == '0' { '1' } else { '0' });
    s
}

pub(super) fn cases(s: &mut Suite, e: &Elections, b: &Bases) {
    let en = &e.encrypted;
    let el = &en.election;
    valid(s, el, b);
    ceremony(s, en);
    ballots(s, en);
    decryption(s, en);
    receipts(s, e, b);
}

fn valid(s: &mut Suite, el: &Election, b: &Bases) {
    for state in el.records.keys() {
        s.verify(
            meta(
                &format!("valid-encrypted-{state}"),
                "valid",
                "§8, §10, §16.9, §16.11",
                "an encrypted election's record in every state verifies",
                &format!("The encrypted election's record as exported while {}.", words(state)),
            ),
            b.record(&format!("encrypted/{state}")),
            vec![],
        );
    }
}

/// What a state's label means.
fn words(state: &str) -> &str {
    match state {
        "dealt" => "draft, every trustee having dealt and none checked yet",
        "draft" => "draft, its key ceremony complete",
        "open" => "open, with an audited ballot sealed and two ballots waiting for their seal",
        "closed" => "closed: the encrypted ballots and the aggregate published",
        "decrypted" => "closed, decrypted by two trustees: their partial decryptions and the totals published",
        _ => "tallied from the decrypted totals",
    }
}

fn ceremony(s: &mut Suite, en: &Encrypted) {
    let el = &en.election;
    let mut r = el.records["draft"].clone();
    encryption(&mut r)["format"] = json!("teller-encryption/2");
    s.verify(
        meta(
            "encryption-parameters-format",
            "encryption-parameters",
            "§8, §16.9, §16.11 step 1",
            "the record's encryption member is teller-encryption/1",
            "The record's encryption member says format teller-encryption/2.",
        ),
        text(&r),
        vec![],
    );

    let mut r = el.records["draft"].clone();
    encryption(&mut r)["trustees"][1]["name"] = json!("Grace Murray Hopper");
    s.verify(
        meta(
            "ceremony-roster-name",
            "ceremony-roster",
            "§8, §16.11 step 2",
            "the record's trustees are those the log names",
            "encryption.trustees gives trustee 2 another name than its trustee_named entry.",
        ),
        text(&r),
        vec![],
    );

    let mut r = el.records["draft"].clone();
    let commits: Vec<usize> = r.v["encryption"]["ceremony"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .filter(|(_, m)| m["round"] == "commit")
        .map(|(i, _)| i)
        .collect();
    if let Some(list) = encryption(&mut r)["ceremony"].as_array_mut() {
        list.swap(commits[0], commits[1]);
    }
    s.verify(
        meta(
            "ceremony-messages-order",
            "ceremony-messages",
            "§8, §16.11 step 3",
            "the ceremony's messages are the log's, in log order",
            "Trustees 1 and 2's commit messages swapped in encryption.ceremony: neither is the one its log entry names.",
        ),
        text(&r),
        vec![],
    );

    let mut r = el.records["draft"].clone();
    let at = r.find("ceremony_completed", 0);
    let joint = r.entries()[at]["data"]["joint_key"].clone();
    r.log()[at]["data"]["verification_keys"][0]["key"] = joint;
    r.fix(&el.key, &[]);
    s.verify(
        meta(
            "verification-keys-completed",
            "verification-keys",
            "§16.5, §16.11 step 7",
            "the logged verification keys are those the deals give",
            "ceremony_completed logs the joint key (a valid element) as trustee 1's verification key.",
        ),
        text(&r),
        vec![],
    );

    // Trustee 3's deal (the last message of the record made while the
    // trustees were dealing) carries a coefficient it never committed to,
    // trustee 1's: its coefficients and its commitment differ.
    let mut r = el.records["dealt"].clone();
    let deal = |r: &Record, j: u64| {
        r.v["encryption"]["ceremony"]
            .as_array()
            .and_then(|m| m.iter().position(|m| m["round"] == "deal" && m["trustee"] == j))
            .expect("every trustee dealt")
    };
    let (dealer, other) = (deal(&r, 3), deal(&r, 1));
    let stolen = r.v["encryption"]["ceremony"][other]["body"]["coefficients"][1].clone();
    let original = r.v["encryption"]["ceremony"][dealer].clone();
    let mut envelope = original.clone();
    envelope["body"]["coefficients"][1] = stolen;
    resign_envelope(&mut r, en, &original, &mut envelope);
    encryption(&mut r)["ceremony"][dealer] = envelope;
    r.fix(&el.key, &[]);
    s.verify(
        meta(
            "ceremony-deals-coefficient-not-committed",
            "ceremony-deals",
            "§16.2 deal, §16.4 rule 1, §16.11 step 4",
            "a deal's coefficients hash to its commit",
            "While the trustees deal: trustee 3's deal carries trustee 1's second coefficient in place of its own, signed again by trustee 3 and its digest logged; its coefficients no longer hash to its commitment, which calls for an invalid-deal exclusion the log does not make (so ceremony-exclusions fails too).",
        )
        .also("ceremony-exclusions"),
        text(&r),
        vec![],
    );

    let mut r = el.records["open"].clone();
    let at = r.find("polls_opened", 0);
    let fp = r.entries()[at]["data"]["encryption"]["fingerprint"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    r.log()[at]["data"]["encryption"]["fingerprint"] = json!(flip_first(&fp));
    r.fix(&el.key, &[]);
    s.verify(
        meta(
            "election-fingerprint-changed",
            "election-fingerprint",
            "§14.7, §16.11 step 8",
            "the fingerprint is recomputed from the record",
            "polls_opened.encryption.fingerprint changed (chain and checkpoints redone): it is not the fingerprint of the election, definition, joint key and trustees.",
        ),
        text(&r),
        vec![],
    );

    let mut r = el.records["open"].clone();
    let at = r.find("polls_opened", 0);
    let completed = r.find("ceremony_completed", 0);
    let other_key = r.entries()[completed]["data"]["verification_keys"][0]["key"].clone();
    r.log()[at]["data"]["encryption"]["joint_key"] = other_key;
    r.fix(&el.key, &[]);
    s.verify(
        meta(
            "joint-key-opened-other",
            "joint-key",
            "§16.5, §16.11 step 6",
            "the polls open under the ceremony's joint key",
            "polls_opened.encryption.joint_key is trustee 1's verification key (a valid element), not the ceremony's joint key.",
        ),
        text(&r),
        vec![],
    );
}

fn ballots(s: &mut Suite, en: &Encrypted) {
    let el = &en.election;
    let mut r = el.records["tallied"].clone();
    let mut ballot = r.ballots()[0].clone();
    let fp = ballot["fingerprint"].as_str().unwrap_or_default().to_string();
    ballot["fingerprint"] = json!(flip_first(&fp));
    replace_encrypted(&mut r, 0, ballot);
    r.fix(&el.key, &[]);
    s.verify(
        meta(
            "ballot-elements-fingerprint",
            "ballot-elements",
            "§14.7, §14.11, §16.11 step 9",
            "every ballot names this election's fingerprint",
            "A published ballot names another fingerprint (its proofs, made under the election's, still hold); its new tracker logged in place of the old.",
        ),
        text(&r),
        vec![],
    );

    let mut r = el.records["tallied"].clone();
    let mut ballot = r.ballots()[0].clone();
    let v = ballot["contests"][0]["selections"][0]["proof"][0]["v"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    ballot["contests"][0]["selections"][0]["proof"][0]["v"] = json!(flip_first(&v));
    replace_encrypted(&mut r, 0, ballot);
    r.fix(&el.key, &[]);
    s.verify(
        meta(
            "ballot-proofs-selection-tampered",
            "ballot-proofs",
            "§15.2, §16.11 step 10",
            "every selection proof verifies",
            "A response of a published ballot's selection proof changed (still a canonical scalar); its new tracker logged in place of the old.",
        ),
        text(&r),
        vec![],
    );

    let mut r = el.records["tallied"].clone();
    let mut ballot = r.ballots()[1].clone();
    let v = ballot["contests"][0]["proof"][0]["v2"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    ballot["contests"][0]["proof"][0]["v2"] = json!(flip_first(&v));
    replace_encrypted(&mut r, 1, ballot);
    r.fix(&el.key, &[]);
    s.verify(
        meta(
            "ballot-proofs-contest-tampered",
            "ballot-proofs",
            "§15.3, §16.11 step 10",
            "every contest proof verifies",
            "A response of a published ballot's contest proof changed; its new tracker logged in place of the old.",
        ),
        text(&r),
        vec![],
    );

    // Another member's ballot replayed with another weight: every proof
    // holds (no proof covers the weight), the tracker is new, the alphas
    // are not.
    let mut r = el.records["tallied"].clone();
    let mut replay = r.ballots()[0].clone();
    let weight = if replay["weight"] == "3" { "4" } else { "3" };
    replay["weight"] = json!(weight);
    replace_encrypted(&mut r, 1, replay);
    r.fix(&el.key, &[]);
    s.verify(
        meta(
            "ballot-duplicates-replayed-alpha",
            "ballot-duplicates",
            "§15.7 rule 4, §16.11 step 11",
            "no alpha appears twice among the cast ballots",
            "A published ballot replaced by a copy of another with its weight changed, its tracker logged: the proofs hold, but its alphas repeat the other's.",
        ),
        text(&r),
        vec![],
    );

    let mut r = el.records["tallied"].clone();
    let audited = &mut encryption(&mut r)["audited"][0];
    let choices = audited["choices"].clone();
    let mut changed = choices.clone();
    if let Some(map) = changed.as_object_mut() {
        // The referendum's answer turned, or a blank contest given a vote.
        for (_, v) in map.iter_mut() {
            if *v == json!(["yes"]) {
                *v = json!(["no"]);
                break;
            }
            if *v == json!(["no"]) || *v == json!(["abstain"]) {
                *v = json!(["yes"]);
                break;
            }
        }
    }
    assert_ne!(changed, choices, "the audited ballot's choices changed");
    audited["choices"] = changed;
    s.verify(
        meta(
            "audited-ballots-opening",
            "audited-ballots",
            "§16.10 audit-opening, §16.11 step 12",
            "an audited ballot opens to its choices",
            "The audited ballot's choices in the record changed (still valid choices): its seed opens its ciphertexts to other counts.",
        ),
        text(&r),
        vec![],
    );
}

fn decryption(s: &mut Suite, en: &Encrypted) {
    let el = &en.election;
    // The aggregate's first two targets' alphas swapped, and the digest of
    // what the record now says logged in `aggregated`.
    let mut r = el.records["closed"].clone();
    let targets = &mut encryption(&mut r)["aggregate"]["targets"];
    let a0 = targets[0]["alpha"].clone();
    targets[0]["alpha"] = targets[1]["alpha"].clone();
    targets[1]["alpha"] = a0;
    let aggregate: teller_audit::trustees::decrypt::Aggregate =
        serde_json::from_value(r.v["encryption"]["aggregate"].clone()).expect("an aggregate");
    let at = r.find("polls_opened", 0);
    let fp: teller_audit::crypto::Digest =
        serde_json::from_value(r.entries()[at]["data"]["encryption"]["fingerprint"].clone()).expect("a fingerprint");
    let digest = aggregate.digest(&fp).to_hex();
    let at = r.find("aggregated", 0);
    r.log()[at]["data"]["aggregate_digest"] = json!(digest);
    r.fix(&el.key, &[]);
    s.verify(
        meta(
            "aggregate-not-product",
            "aggregate",
            "§16.6, §16.11 step 13",
            "the aggregate is the product of the cast ballots",
            "Two targets' alphas swapped in the published aggregate, and its digest logged again in aggregated: the targets are not the weighted products of the ballots' ciphertexts.",
        ),
        text(&r),
        vec![],
    );

    let mut r = el.records["decrypted"].clone();
    let original = r.v["encryption"]["decryptions"][0].clone();
    let mut envelope = original.clone();
    let v = envelope["body"]["factors"][0]["proof"]["v"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    envelope["body"]["factors"][0]["proof"]["v"] = json!(flip_first(&v));
    resign_envelope(&mut r, en, &original, &mut envelope);
    encryption(&mut r)["decryptions"][0] = envelope;
    r.fix(&el.key, &[]);
    s.verify(
        meta(
            "decryption-shares-proof",
            "decryption-shares",
            "§16.7, §16.11 step 14",
            "every partial decryption's proof holds",
            "The response of a trustee's proof for the first target changed, the envelope signed again by the trustee and its digest logged in decryption_share: the proof fails.",
        ),
        text(&r),
        vec![],
    );

    let mut r = el.records["decrypted"].clone();
    let totals = &mut encryption(&mut r)["totals"];
    let t = totals[0]["value"].as_u64().unwrap_or(0);
    totals[0]["value"] = json!(t + 1);
    s.verify(
        meta(
            "decryption-combined-total",
            "decryption-combined",
            "§16.8, §16.11 step 15",
            "each published total is the decryption of its target",
            "The first target's decrypted total is one more than the trustees' factors give.",
        ),
        text(&r),
        vec![],
    );

    let mut r = el.records["tallied"].clone();
    let votes = &mut r.v["tally"]["contests"][0]["outcome"]["candidates"][0]["votes"];
    let changed = if *votes == "0" { "1" } else { "0" };
    *votes = json!(changed);
    r.fix(&el.key, &[]);
    s.verify(
        meta(
            "tally-encrypted-votes",
            "tally",
            "§16.8, §16.11 step 16",
            "the tally is made from the decrypted totals",
            "A candidate's votes changed in the tally, its digest logged again in tallied: the decrypted totals give another figure.",
        ),
        text(&r),
        vec![],
    );
}

fn receipts(s: &mut Suite, e: &Elections, b: &Bases) {
    let en = &e.encrypted;
    let el = &en.election;
    let section = "§7, §14.11, §10";
    s.receipt(
        meta(
            "receipt-valid-encrypted",
            "valid",
            section,
            "a receipt of an encrypted ballot holds",
            "The receipt of an encrypted ballot sealed in seal 1, against the tallied record.",
        ),
        b.receipt("encrypted/seal-1"),
        b.record("encrypted/tallied"),
    );
    s.receipt(
        meta(
            "receipt-valid-encrypted-at-close",
            "valid",
            section,
            "a receipt of an encrypted ballot holds",
            "The receipt of an encrypted ballot sealed by the close, against the closed record.",
        ),
        b.receipt("encrypted/at-close"),
        b.record("encrypted/closed"),
    );
    let receipt = || el.receipts["seal-1"].clone();
    let sign_election = |r: &mut Value| resign_with(r, &|bytes| el.key.sign(bytes));
    let mut r = receipt();
    let beta = r["ballot"]["contests"][0]["selections"][0]["beta"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let alpha = r["ballot"]["contests"][0]["selections"][0]["alpha"].clone();
    // Another valid element: the ciphertext's own alpha in place of its beta.
    r["ballot"]["contests"][0]["selections"][0]["beta"] = alpha;
    assert_ne!(r["ballot"]["contests"][0]["selections"][0]["beta"], json!(beta));
    s.receipt(
        meta(
            "receipt-signature-encrypted-ballot-changed",
            "receipt-signature",
            section,
            "the tracker is its encrypted ballot's hash",
            "A ciphertext of the receipt's encrypted ballot changed; tracker and signature left.",
        ),
        object(&r),
        b.record("encrypted/tallied"),
    );
    let mut r = receipt();
    r["ballot"]["weight"] = json!("7");
    r["tracker"] = json!(sha256_hex(&[&canonical(&r["ballot"])]));
    sign_election(&mut r);
    s.receipt(
        meta(
            "receipt-inclusion-encrypted-missing",
            "receipt-inclusion",
            section,
            "the encrypted ballot is in the log",
            "A receipt signed by the election key for an encrypted ballot the log never had (another weight, so another tracker).",
        ),
        object(&r),
        b.record("encrypted/tallied"),
    );
    // Signed by the key it names (the attacker's, as in
    // receipt-election-key), so that only the receipt's own checks tell:
    // the encrypted ballot's format is the first thing at fault.
    let mut r = receipt();
    r["ballot"]["format"] = json!("teller-encrypted-ballot/2");
    r["tracker"] = json!(sha256_hex(&[&canonical(&r["ballot"])]));
    let a = attacker();
    r["public_key"] = json!(a.public_hex());
    resign_with(&mut r, &|bytes| a.sign(bytes));
    s.receipt(
        meta(
            "receipt-signature-encrypted-format",
            "receipt-signature",
            section,
            "the receipt's encrypted ballot is teller-encrypted-ballot/1",
            "A receipt whose encrypted ballot's format is teller-encrypted-ballot/2, tracker redone, signed by the key it names.",
        )
        .mentioning("teller-encrypted-ballot/2"),
        object(&r),
        b.record("encrypted/tallied"),
    );
    s.receipt(
        meta(
            "receipt-election-encrypted-other",
            "receipt-election",
            section,
            "the receipt is the record's election's",
            "A valid receipt of the encrypted election against the board election's record.",
        ),
        b.receipt("encrypted/seal-1"),
        b.record("board/certified"),
    );
}
