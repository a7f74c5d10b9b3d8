//! The fuzz harnesses, one function per target (docs/FUZZING.md).
//!
//! Each `fuzz_targets/NAME.rs` is one line that hands libFuzzer's input to
//! the function of the same name here; `tests/regressions.rs` replays every
//! file under `corpus/` and `regressions/` through the same functions on a
//! plain `cargo test`, without a fuzzer.
//!
//! A harness fails (panics) when the code under test panics, and also when
//! one of the properties written here does not hold: each `assert!` states a
//! promise of the README or of `audit/FORMAT.md` that arbitrary input must
//! not break.

use std::collections::{BTreeMap, HashSet};

use teller::domain::token::Token;
use teller::domain::{roll, spec};
use teller::ops::cast::{normalise_choices, prepare, CastRequest, Choices};
use teller::web::voting::ballot::checked_choices;
use teller::web::voting::form::{
    ballot_page, choices_from_marks, hidden_fields, instructions, marks_from_choices, marks_from_fields, summaries,
};
use teller_audit::ballot::{self, PublishedBallot};
use teller_audit::count::Weight;
use teller_audit::count::{
    approval, detect_format, irv, parse_blt, parse_ranked, parse_soi, schulze, stv_meek, stv_scottish, CountError,
    MeekRule, Outcome, Profile, RankedBallots, TieBreaker,
};
use teller_audit::crypto::{Nonce, Seed};
use teller_audit::definition::Definition;
use teller_audit::receipt::Receipt;
use teller_audit::record::Record;
use teller_audit::verify::{verify_reader, verify_receipt, verify_record, Report, Status};

pub mod fixtures;
pub mod replay;

/// A harness: panics when the input breaks the code under test or one of
/// the target's properties.
pub type Harness = fn(&[u8]);

/// Every target: its name (the directory under `corpus/` and
/// `regressions/`) and its harness.
pub const TARGETS: &[(&str, Harness)] = &[
    ("record_verify", record_verify),
    ("receipt_verify", receipt_verify),
    ("roll_csv", roll_csv),
    ("ballot_form", ballot_form),
    ("ballot_json", ballot_json),
    ("ballot_files", ballot_files),
    ("token_parse", token_parse),
    ("election_toml", election_toml),
];

/// Findings reported but not yet fixed in the code under test (see
/// docs/FUZZING.md, "Findings"). While a finding is listed here its harness
/// skips the one property it breaks, so that fuzzing goes on to find others;
/// once the fix lands, delete it from this list and its reproducer under
/// `regressions/` is checked in full by `tests/regressions.rs`.
pub const OPEN_FINDINGS: &[&str] = &[];

/// Whether `finding` is still open (harnesses skip the property it breaks).
pub fn open(finding: &str) -> bool {
    OPEN_FINDINGS.contains(&finding)
}

/// Ranked profiles larger than this are parsed but not counted, to keep
/// each run short (the counts are exercised on realistic sizes elsewhere).
pub const MAX_COUNTED_CANDIDATES: usize = 12;
/// See [`MAX_COUNTED_CANDIDATES`].
pub const MAX_COUNTED_GROUPS: usize = 200;

// ---------------------------------------------------------------------------
// 1. record_verify

/// Arbitrary bytes as an election record: the streaming reader and every
/// check must not panic, and the streaming and in-memory verifiers must agree
/// on any record both can read (`Verifier` promises that any member order
/// gives the same result).
pub fn record_verify(data: &[u8]) {
    let streamed = verify_reader(data, "record", &[], None);
    if let Ok(report) = &streamed {
        let _ = report.to_string();
        let _ = report.failed();
        let _ = report.to_json();
    }
    let Ok(record) = serde_json::from_slice::<Record>(data) else {
        return;
    };
    let whole = verify_record(&record, &[]);
    let _ = whole.to_string();
    // The streaming reader stops at a `format` other than this version's
    // (FORMAT.md §13); the in-memory verifier, given a parsed record, goes on.
    let read_whole = |r: &Report| r.check("format").is_some_and(|c| c.status == Status::Pass);
    if let Ok(streamed) = &streamed {
        if read_whole(streamed) {
            assert_same_report("verify_reader", streamed, "verify_record", &whole);
        } else {
            assert_ne!(record.format, teller_audit::record::RECORD_FORMAT, "{streamed}");
        }
    }
    // The fixed receipt against this record, streamed and in memory.
    let f = fixtures::fixture();
    let with_receipt = verify_receipt(&f.receipt, &record);
    if let Ok(streamed) = verify_reader(data, "record", &[], Some(&f.receipt)) {
        if read_whole(&streamed) {
            assert_same_report("verify_reader+receipt", &streamed, "verify_receipt", &with_receipt);
        }
    }
    // Checkpoints seen elsewhere: the fixture's, and the record's own.
    let _ = verify_record(&record, &f.record.checkpoints);
    let _ = verify_record(&record, &record.checkpoints);
}

// ---------------------------------------------------------------------------
// 2. receipt_verify

/// Arbitrary bytes as a receipt, checked on its own and against a small
/// valid record. The record's own checks must pass whatever the receipt, and
/// only the receipt the election key really signed may pass every check.
pub fn receipt_verify(data: &[u8]) {
    let Ok(receipt) = serde_json::from_slice::<Receipt>(data) else {
        return;
    };
    let problems = receipt.problems();
    for p in &problems {
        let _ = p.to_string();
    }
    let f = fixtures::fixture();
    let report = verify_receipt(&receipt, &f.record);
    let _ = report.to_string();
    for c in &report.checks {
        assert!(
            c.name.starts_with("receipt") || c.status != Status::Fail,
            "a receipt made the record's own check {} fail:\n{report}",
            c.name
        );
    }
    if !problems.is_empty() {
        assert!(!report.ok(), "a receipt with problems {problems:?} passed:\n{report}");
    }
    if report.ok() {
        assert_eq!(
            receipt.body, f.receipt.body,
            "a receipt the election key never signed passed every check"
        );
    }
}

// ---------------------------------------------------------------------------
// 3. roll_csv

/// Arbitrary bytes as a member-roll CSV: no panic; a roll that imports holds
/// only members that pass every rule the module documents.
pub fn roll_csv(data: &[u8]) {
    let mapping = roll::column_mapping(data);
    match roll::parse(data) {
        Err(problems) => {
            assert!(!problems.is_empty(), "a refused roll must name a problem");
            for p in &problems {
                let _ = p.to_string();
            }
        }
        Ok(r) => {
            assert!(!r.members.is_empty(), "an imported roll has members");
            for field in ["member id", "name", "e-mail"] {
                assert!(
                    mapping.iter().any(|(_, f)| *f == Some(field)),
                    "the roll imported but column_mapping does not show the {field} column: {mapping:?}"
                );
            }
            let mut ids = HashSet::new();
            let mut last_row = 1;
            for m in &r.members {
                // Finding F1 (docs/FUZZING.md) broke this with CR and CRLF
                // line ends.
                assert!(
                    m.row > last_row,
                    "member row numbers out of order: {} after {last_row}",
                    m.row
                );
                last_row = m.row;
                assert!(!m.member_id.is_empty() && m.member_id.trim() == m.member_id);
                assert!(m.member_id.chars().count() <= roll::MAX_MEMBER_ID);
                assert!(!m.member_id.chars().any(char::is_control));
                assert!(
                    ids.insert(m.member_id.clone()),
                    "member id {:?} imported twice",
                    m.member_id
                );
                assert!(!m.name.is_empty() && !m.name.chars().any(char::is_control));
                assert!(m.email.is_empty() || roll::is_plausible_email(&m.email));
                assert!(!m.weight.is_zero() && m.weight.micros() <= roll::MAX_MEMBER_WEIGHT * 1_000_000);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// 4. ballot_form

/// Arbitrary bytes as the ballot form's `application/x-www-form-urlencoded`
/// body (decoded as axum's `Form` decodes it), against each fixture
/// definition.
pub fn ballot_form(data: &[u8]) {
    let Ok(fields) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(data) else {
        return; // axum answers 4xx before any of our code runs
    };
    for def in fixtures::definitions() {
        form_against(def, &fields);
    }
}

fn form_against(def: &Definition, fields: &[(String, String)]) {
    let marks = marks_from_fields(def, fields);
    let (choices, form_problems) = choices_from_marks(def, &marks);
    let choices = normalise_choices(def, choices);
    let rule_problems = ballot::problems(def, &choices);
    // The ballot page is shown again with whatever was typed.
    let _ = ballot_page(def, &marks, form_problems.clone());
    let checked = checked_choices(def, &marks);
    assert_eq!(
        checked.is_ok(),
        form_problems.is_empty() && rule_problems.is_empty(),
        "checked_choices disagrees with its parts"
    );
    let Ok(choices) = checked else {
        return;
    };
    accepted(def, &choices);
    // Review page → cast: the hidden fields must cast exactly the ballot
    // the member reviewed.
    let back = hidden_as_fields(def, &choices);
    let body = serde_urlencoded::to_string(&back).expect("hidden fields encode");
    let back: Vec<(String, String)> = serde_urlencoded::from_str(&body).expect("hidden fields decode");
    let again = checked_choices(def, &marks_from_fields(def, &back));
    assert!(
        again.as_ref() == Ok(&choices),
        "the review page's hidden fields cast {again:?}, not the reviewed {choices:?}"
    );
    let _ = marks_from_choices(def, &choices);
}

/// `hidden_fields` as (name, value) pairs (its fields are private; it is
/// `Serialize` for the templates).
pub fn hidden_as_fields(def: &Definition, choices: &Choices) -> Vec<(String, String)> {
    let value = serde_json::to_value(hidden_fields(def, choices)).expect("hidden fields serialise");
    value
        .as_array()
        .expect("a list")
        .iter()
        .map(|h| {
            let s = |k: &str| h[k].as_str().expect("a string").to_string();
            (s("name"), s("value"))
        })
        .collect()
}

/// What happens to a ballot the service accepts: the receipt page's summary,
/// the server's own cast check, and the tally, which must count it as valid
/// in every contest.
fn accepted(def: &Definition, choices: &Choices) {
    let _ = summaries(def, choices);
    let f = fixtures::fixture();
    let prepared = prepare(
        def,
        def.hash(),
        &f.secret,
        CastRequest {
            election: fixtures::ELECTION.into(),
            token: f.token.clone(),
            choices: choices.clone(),
            confirm: false,
        },
    );
    assert!(prepared.is_ok(), "prepare refused an accepted ballot: {prepared:?}");
    let nonce = Nonce([7; 16]);
    let weight = Weight::ONE;
    let published = PublishedBallot {
        tracker: ballot::tracker_of(fixtures::ELECTION, &nonce, choices, weight),
        nonce,
        choices: choices.clone(),
        weight,
    };
    let tally = teller_audit::tally::tally(fixtures::ELECTION, def, &[published], &Seed([3; 32]));
    for c in &tally.contests {
        assert_eq!(
            c.invalid, 0,
            "the tally rejects an accepted ballot in {}: {choices:?}",
            c.contest
        );
    }
}

// ---------------------------------------------------------------------------
// 5. ballot_json

/// The API's cast body (`src/web/api.rs`, `CastBody`, whose fields are
/// private): the same shape and serde attributes.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CastBody {
    /// The voting code as typed.
    pub token: String,
    /// Contest id → option ids.
    #[serde(default)]
    pub choices: BTreeMap<String, Vec<String>>,
}

/// Arbitrary bytes as the JSON cast body: token parsing, normalisation and
/// the ballot rules, against each fixture definition.
pub fn ballot_json(data: &[u8]) {
    let Ok(body) = serde_json::from_slice::<CastBody>(data) else {
        return;
    };
    if let Ok(t) = Token::parse(&body.token) {
        token_round_trip(&t);
    }
    for def in fixtures::definitions() {
        let choices = normalise_choices(def, body.choices.clone());
        assert_eq!(
            normalise_choices(def, choices.clone()),
            choices,
            "normalise_choices is not idempotent"
        );
        let problems = ballot::problems(def, &choices);
        for p in &problems {
            let _ = p.to_string();
        }
        let f = fixtures::fixture();
        let prepared = prepare(
            def,
            def.hash(),
            &f.secret,
            CastRequest {
                election: fixtures::ELECTION.into(),
                token: f.token.clone(),
                choices: body.choices.clone(),
                confirm: false,
            },
        );
        assert_eq!(
            prepared.is_ok(),
            problems.is_empty(),
            "prepare disagrees with ballot::problems"
        );
        if problems.is_empty() {
            accepted(def, &choices);
        }
    }
}

// ---------------------------------------------------------------------------
// 6. ballot_files

/// Arbitrary text as a BLT or PrefLib file; profiles that parse and are
/// small are counted by every ranked method.
pub fn ballot_files(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let blt = parse_blt(&text);
    let soi = parse_soi(&text);
    let detected = parse_ranked(&text, detect_format(None, &text));
    for parsed in [blt, soi, detected] {
        match parsed {
            Err(e) => {
                let _ = e.to_string();
            }
            Ok(profile) => count_all(&profile),
        }
    }
}

fn count_all(profile: &Profile<RankedBallots>) {
    let n = profile.num_candidates();
    if n > MAX_COUNTED_CANDIDATES || profile.ballots.len() > MAX_COUNTED_GROUPS {
        return;
    }
    let seats = profile.seats.unwrap_or(1);
    let mut breaker = TieBreaker::new([9; 32]);
    if let Some(order) = &profile.tie_order {
        breaker = breaker.with_order(order.clone());
    }
    check_outcome(profile, 1, irv(profile, &breaker));
    check_outcome(profile, seats, stv_scottish(profile, seats, &breaker));
    check_outcome(
        profile,
        seats,
        stv_meek(profile, seats, MeekRule::PrfReference, &breaker),
    );
    check_outcome(
        profile,
        seats,
        stv_meek(profile, seats, MeekRule::DroopParametric, &breaker),
    );
    check_outcome(profile, seats, schulze(profile, seats, &breaker));
    let approvals = Profile {
        title: profile.title.clone(),
        candidates: profile.candidates.clone(),
        seats: profile.seats,
        withdrawn: profile.withdrawn.clone(),
        tie_order: profile.tie_order.clone(),
        ballots: profile.ballots.to_approval(),
    };
    match approval(&approvals, seats, &breaker) {
        Ok(o) => check_elected(profile, seats, &o),
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

fn check_outcome(profile: &Profile<RankedBallots>, seats: usize, result: Result<Outcome, CountError>) {
    match result {
        Ok(o) => check_elected(profile, seats, &o),
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

fn check_elected(profile: &Profile<RankedBallots>, seats: usize, o: &Outcome) {
    let _ = o.transcript.render_text();
    let _ = serde_json::to_string(&o.transcript).expect("a transcript serialises");
    let method = o.transcript.method.name();
    assert!(
        o.elected.len() <= seats,
        "{method} elected {} for {seats} seats",
        o.elected.len()
    );
    let withdrawn = profile.withdrawn_mask();
    let mut seen = HashSet::new();
    for &c in &o.elected {
        assert!(
            c < profile.num_candidates(),
            "{method} elected candidate {c}, who does not exist"
        );
        assert!(!withdrawn[c], "{method} elected withdrawn candidate {c}");
        assert!(seen.insert(c), "{method} elected candidate {c} twice");
    }
}

// ---------------------------------------------------------------------------
// 7. token_parse

/// Arbitrary text as a typed voting code: no panic, and every code accepted
/// reads back from its grouped and canonical forms.
pub fn token_parse(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(t) = Token::parse(&text) {
        token_round_trip(&t);
    }
}

fn token_round_trip(t: &Token) {
    assert_eq!(Token::parse(&t.grouped()).as_ref(), Ok(t));
    assert_eq!(Token::parse(t.as_str()).as_ref(), Ok(t));
    assert_eq!(Token::parse(&t.grouped().to_lowercase()).as_ref(), Ok(t));
    assert_eq!(t.as_str().len(), teller::domain::token::TOKEN_SYMBOLS);
    assert!(t.as_str().bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()));
}

// ---------------------------------------------------------------------------
// 8. election_toml

/// Arbitrary text as the election file staff write: no panic, and a file
/// that is accepted gives a definition that is sound, reads back from the
/// JSON the record carries, renders as a ballot, and accepts, casts and
/// tallies a blank ballot ("any contest may be left blank").
pub fn election_toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let spec = match spec::parse(text) {
        Ok(spec) => spec,
        Err(problems) => {
            assert!(!problems.is_empty(), "a refused election file must name a problem");
            return;
        }
    };
    let def = &spec.definition;
    let problems = def.problems();
    assert!(
        problems.is_empty(),
        "an accepted election file has problems: {problems:?}"
    );
    let json = serde_json::to_string(def).expect("a definition serialises");
    let back: Definition = serde_json::from_str(&json).expect("a definition reads back from its JSON");
    assert!(&back == def, "a definition changes when read back from its JSON");
    assert_eq!(back.hash(), def.hash());
    for contest in &def.contests {
        let _ = instructions(contest);
    }
    let _ = ballot_page(def, &marks_from_fields(def, &[]), vec![]);
    let blank = normalise_choices(def, Choices::new());
    let problems = ballot::problems(def, &blank);
    assert!(problems.is_empty(), "a blank ballot is refused: {problems:?}");
    accepted(def, &blank);
}

// ---------------------------------------------------------------------------

/// Two reports of the same record must list the same checks with the same
/// outcomes and failures.
fn assert_same_report(a_name: &str, a: &Report, b_name: &str, b: &Report) {
    let key = |r: &Report| {
        r.checks
            .iter()
            .map(|c| (c.name, c.status, c.summary.clone(), c.failures.clone(), c.more))
            .collect::<Vec<_>>()
    };
    assert!(
        key(a) == key(b),
        "{a_name} and {b_name} disagree on the same record:\n--- {a_name}\n{a}\n--- {b_name}\n{b}"
    );
}
