//! Reading a record as a stream gives the same verdict as reading it whole,
//! whatever the order of its members, and refuses what is not a record.
#![allow(clippy::unwrap_used)]

mod common;

use common::mini_record;
use serde_json::Value;
use teller_audit::verify::{verify_reader, verify_receipt, verify_record};

fn summary(r: &teller_audit::verify::Report) -> Vec<(String, String, usize)> {
    r.checks
        .iter()
        .map(|c| (c.name.to_string(), format!("{:?}", c.status), c.failures.len()))
        .collect()
}

#[test]
fn streaming_and_in_memory_verification_agree() {
    let (record, receipt) = mini_record();
    let bytes = serde_json::to_vec(&record).unwrap();
    let streamed = verify_reader(&bytes[..], "record.json", &[], None).unwrap();
    assert!(streamed.ok(), "{streamed}");
    assert_eq!(summary(&streamed), summary(&verify_record(&record, &[])));
    let streamed = verify_reader(&bytes[..], "record.json", &[], Some(&receipt)).unwrap();
    assert!(streamed.ok(), "{streamed}");
    assert_eq!(summary(&streamed), summary(&verify_receipt(&receipt, &record)));
}

#[test]
fn members_in_any_order_verify_the_same() {
    let (record, _) = mini_record();
    let v: Value = serde_json::to_value(&record).unwrap();
    // Reverse alphabetical: tally, public_key, log, format, election, … ballots last-but-one.
    let mut members: Vec<(String, Value)> = v.as_object().unwrap().clone().into_iter().collect();
    members.sort_by(|a, b| b.0.cmp(&a.0));
    let mut text = String::from("{");
    for (i, (k, v)) in members.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&serde_json::to_string(k).unwrap());
        text.push(':');
        text.push_str(&serde_json::to_string(v).unwrap());
    }
    text.push('}');
    let report = verify_reader(text.as_bytes(), "record.json", &[], None).unwrap();
    assert!(report.ok(), "{report}");
    assert_eq!(summary(&report), summary(&verify_record(&record, &[])));
    // Tampering is still caught when ballots arrive before the log.
    let tampered = text.replacen("\"bylaw\":[\"yes\"]", "\"bylaw\":[\"no\"]", 1);
    assert_ne!(tampered, text);
    let report = verify_reader(tampered.as_bytes(), "record.json", &[], None).unwrap();
    assert!(report.failed().contains(&"ballot-tracker"), "{report}");
}

#[test]
fn what_is_not_a_record_fails_format_naming_the_place() {
    for (text, says) in [
        ("[]", "record.json at . (line 1, column"),
        ("{\"format\":\"teller-record/2\"}", "the record has no member"),
        ("{\"format\":\"teller-record/2\",\"format\":\"y\"}", "at format (line 1"),
        ("{\"surprise\":1}", "at surprise (line 1"),
        ("{\"log\":[{\"seq\":0}]", "at log[0]"),
        ("{", "EOF"),
        (
            "{\"format\":\"teller-record/1\"}",
            "made by an earlier version of Teller",
        ),
    ] {
        let report = verify_reader(text.as_bytes(), "record.json", &[], None).unwrap();
        assert_eq!(report.first_failure(), Some("format"), "{text}: {report}");
        let failure = &report.check("format").unwrap().failures[0];
        assert!(failure.contains(says), "{text}: {failure}");
        assert!(failure.starts_with("§1: record.json at "), "{failure}");
        let others: Vec<_> = report.checks.iter().skip(1).collect();
        assert_eq!(others.len(), teller_audit::verify::RECORD_CHECKS.len() - 1);
        assert!(others.iter().all(|c| c.status == teller_audit::verify::Status::Skipped
            && c.summary == "not run: the record could not be read"));
    }
}

/// Every check's name, status, summary and failures, in order.
fn full(r: &teller_audit::verify::Report) -> Vec<(String, String, String, Vec<String>, u64)> {
    r.checks
        .iter()
        .map(|c| {
            (
                c.name.to_string(),
                format!("{:?}", c.status),
                c.summary.clone(),
                c.failures.clone(),
                c.more,
            )
        })
        .collect()
}

#[test]
fn a_record_in_memory_verifies_on_every_core_exactly_as_streamed() {
    use teller_audit::verify::{verify_reader_receipts, verify_slice_receipts};
    let (record, receipt) = mini_record();
    let text = serde_json::to_string(&record).unwrap();
    let first_ballot = record.ballots.as_ref().unwrap()[0].tracker.to_hex();
    let mut broken = vec![
        text.clone(),
        // A changed choice: tracker and tally failures, named alike.
        text.replacen("\"bylaw\":[\"yes\"]", "\"bylaw\":[\"no\"]", 1),
        // A ballot the log does not hold, and one missing.
        text.replacen(&first_ballot, &"0".repeat(64), 1),
        // Not well-formed at all, or only deep inside the ballots.
        text[..text.len() / 2].to_string(),
        text.replacen("\"nonce\":", "\"nonce\":1,\"nonce\":", 1),
        text.replacen("\"seq\":1,", "\"seq\":1,\"extra\":[[[]]],", 1),
        text.replacen("\"ballots\":[", "\"ballots\":[1,", 1),
        text.replacen("\"ballots\":[", "\"ballots\":[ ", 1)
            .replacen("],\"counts\"", ",]\n,\"counts\"", 1),
        format!("{text} x"),
    ];
    // The ballots before the log: held until the log is read.
    let v: Value = serde_json::from_str(&text).unwrap();
    let mut members: Vec<(String, Value)> = v.as_object().unwrap().clone().into_iter().collect();
    members.sort_by(|a, b| b.0.cmp(&a.0));
    broken.push(serde_json::to_string(&serde_json::Map::from_iter(members)).unwrap());
    for input in &broken {
        let receipts = [receipt.clone()];
        let (streamed, s_each) = verify_reader_receipts(input.as_bytes(), "r.json", &[], &receipts).unwrap();
        let (parallel, p_each) = verify_slice_receipts(input.as_bytes(), "r.json", &[], &receipts).unwrap();
        assert_eq!(full(&parallel), full(&streamed), "{input}");
        assert_eq!(full(&p_each[0]), full(&s_each[0]), "{input}");
    }
}
