//! Look-alike names (issue 15, finding 8), attacked over real HTTP and on
//! the real files: a Cyrillic "Аlice" written in beside the listed "Alice",
//! invisible characters, the composed and decomposed "Zoë", look-alike
//! candidates in an election file and in the console builder, and a record
//! holding a look-alike ballot that an insider slipped into the database.
//! The rule is FORMAT.md §4a (name keys) and §9.2 (write-ins counted by key).
#![allow(clippy::unwrap_used)]

use crate::common;

use common::form::{fields, set};
use common::staff::{add_staff, get, sign_in};
use common::{read_tokens, roll_csv, Backend, TestApp};
use reqwest::header::{LOCATION, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::{json, Value};
use teller_audit::ballot::Ballot;
use teller_audit::crypto::Nonce;
use teller_audit::tally::Outcome;
use teller_audit::verify::verify_record;

/// Cyrillic capital A (U+0410) then "lice": looks exactly like "Alice".
const CYRILLIC_ALICE: &str = "\u{0410}lice";
/// "Zoë" with the precomposed ë (U+00EB): normalisation form C.
const ZOE_NFC: &str = "Zo\u{00eb}";
/// "Zoë" as e + combining diaeresis (U+0308): form D, as some keyboards type it.
const ZOE_NFD: &str = "Zoe\u{0308}";
/// "Zoë" with a zero-width joiner (U+200D) inside: invisible.
const ZOE_ZWJ: &str = "Zo\u{200d}\u{00eb}";
/// "Zoë" with a Cyrillic о (U+043E): another string, the same name to the eye.
const ZOE_CYRILLIC_O: &str = "Z\u{043e}\u{00eb}";

fn election_file(candidates: &[&str], seats: u32) -> String {
    let mut toml = format!(
        "title = \"Look-alike names\"\n\n[[contest]]\nid = \"chair\"\ntitle = \"Chair\"\nmethod = \"plurality\"\nseats = {seats}\nwrite_ins = true\n",
    );
    for (i, name) in candidates.iter().enumerate() {
        toml.push_str(&format!(
            "\n[[contest.candidate]]\nid = \"c{i}\"\nname = {}\n",
            serde_json::to_string(name).unwrap()
        ));
    }
    toml
}

/// Create the election from `candidates` with the real CLI, import
/// `members`, issue tokens and open it.
fn open(app: &TestApp, candidates: &[&str], seats: u32, members: usize) -> (String, Vec<String>) {
    let file = app.path("lookalike.toml");
    std::fs::write(&file, election_file(candidates, seats)).unwrap();
    let out = app.teller_ok(&["election", "create", file.to_str().unwrap()]);
    let id = out.trim().lines().last().unwrap().to_string();
    let roll = app.path("members.csv");
    std::fs::write(&roll, roll_csv(members)).unwrap();
    app.teller_ok(&["voters", "import", &id, roll.to_str().unwrap()]);
    let tokens = app.path("tokens.csv");
    app.teller_ok(&["tokens", "issue", &id, "--out", tokens.to_str().unwrap()]);
    app.teller_ok(&["election", "open", &id]);
    (id, read_tokens(&tokens).into_iter().map(|(_, t)| t).collect())
}

fn chair(choices: &[String]) -> Value {
    json!({ "chair": choices })
}

fn write_in(name: &str) -> Vec<String> {
    vec![format!("write-in:{name}")]
}

/// The one problem message of a refused cast.
fn refusal(status: u16, body: &Value) -> String {
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"], "invalid_ballot", "{body}");
    let problems = body["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{body}");
    assert_eq!(problems[0]["contest"], "chair");
    problems[0]["message"].as_str().unwrap().to_string()
}

async fn look_alike_write_ins(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (id, tokens) = open(&app, &["Alice", "Bob"], 2, 8);

    // The attack: "Аlice" (Cyrillic А) beside the listed "Alice". Refused,
    // naming Alice; the token is not used (it casts a real ballot below).
    let (status, body) = app.cast(&id, &tokens[0], chair(&write_in(CYRILLIC_ALICE))).await;
    let m = refusal(status, &body);
    assert!(m.contains("looks like \"Alice\", who is on the ballot already"), "{m}");
    // Nor do a capital I for the l, case, or invisible characters.
    let (status, body) = app.cast(&id, &tokens[0], chair(&write_in("AIice"))).await;
    assert!(refusal(status, &body).contains("looks like \"Alice\""));
    let (status, body) = app.cast(&id, &tokens[0], chair(&write_in("ALICE"))).await;
    assert!(refusal(status, &body).contains("\"Alice\", who is on the ballot already"));
    let (status, body) = app.cast(&id, &tokens[0], chair(&write_in("Al\u{200b}ice"))).await;
    let m = refusal(status, &body);
    assert!(m.contains("an invisible or formatting character (U+200B)"), "{m}");
    // A zero-width joiner inside "Zoë" is refused, naming the character.
    let (status, body) = app.cast(&id, &tokens[0], chair(&write_in(ZOE_ZWJ))).await;
    let m = refusal(status, &body);
    assert!(m.contains("an invisible or formatting character (U+200D)"), "{m}");
    // Issue 10: a control character gets its own message, not "at most 100 characters".
    let (status, body) = app.cast(&id, &tokens[0], chair(&write_in("Jo\u{1}Bloggs"))).await;
    let m = refusal(status, &body);
    assert!(
        m.contains("a control character (U+0001)") && !m.contains("at most"),
        "{m}"
    );
    // Two look-alike write-ins on one ballot (two seats) are one name
    // written in twice.
    let two = [write_in("Zoe"), write_in("Z\u{043e}\u{0435}")].concat();
    let (status, body) = app.cast(&id, &tokens[0], chair(&two)).await;
    let m = refusal(status, &body);
    assert!(
        m.contains("look alike: they are the same name, written in twice"),
        "{m}"
    );

    // The two spellings of "Zoë" are one name: the server normalises what it
    // is given to NFC, and the count merges look-alikes by name key.
    let mut receipts = Vec::new();
    for (token, name) in tokens.iter().zip([ZOE_NFC, ZOE_NFD, ZOE_NFD, ZOE_CYRILLIC_O]) {
        let (status, body) = app.cast(&id, token, chair(&write_in(name))).await;
        assert_eq!(status, 201, "{body}");
        receipts.push(body);
    }
    for receipt in &receipts[..3] {
        assert_eq!(
            receipt["ballot"]["choices"]["chair"],
            json!([format!("write-in:{ZOE_NFC}")])
        );
    }
    assert_eq!(
        receipts[3]["ballot"]["choices"]["chair"],
        json!(write_in(ZOE_CYRILLIC_O))
    );
    // Alice 2, Bob 1: divided, Zoë's spellings would lose to Alice.
    for (token, pick) in tokens[4..].iter().zip(["c0", "c0", "c1"]) {
        let (status, body) = app.cast(&id, token, chair(&[pick.to_string()])).await;
        assert_eq!(status, 201, "{body}");
    }

    app.teller_ok(&["election", "close", &id]);
    app.teller_ok(&["election", "tally", &id]);
    let (status, record) = app.get_json(&format!("/api/v1/elections/{id}/record")).await;
    assert_eq!(status, 200);
    let record: teller_audit::record::Record = serde_json::from_value(record).unwrap();
    let report = verify_record(&record, &[]);
    assert!(report.ok(), "{report}");
    let tally = record.tally.unwrap();
    let result = &tally.contests[0];
    assert_eq!((result.cast, result.invalid), (7, 0));
    let Outcome::Plurality { write_ins, elected, .. } = &result.outcome else {
        panic!("{result:?}")
    };
    assert_eq!(write_ins.len(), 1, "one name, one row: {write_ins:?}");
    assert_eq!(write_ins[0].name, ZOE_NFC, "shown as the most voted spelling");
    assert_eq!(write_ins[0].votes.to_string(), "4");
    assert_eq!(elected, &[write_in(ZOE_NFC), vec!["c0".to_string()]].concat());
}
on_both_backends!(look_alike_write_ins_are_refused_or_counted_as_one, look_alike_write_ins);

/// What a member sees on the ballot page (no JavaScript): the same refusal,
/// naming the listed candidate, and nothing consumed.
async fn look_alike_on_the_ballot_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, tokens) = open(&app, &["Alice", "Bob"], 1, 1);
    let res = app
        .http
        .get(app.url(&format!("/v/{}", tokens[0].replace('-', ""))))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cookie = res.headers()[SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let post = |path: &'static str, name: &'static str| {
        app.http
            .post(app.url(path))
            .header("cookie", &cookie)
            .form(&[("w.chair", name)])
            .send()
    };
    let res = post("/ballot/review", CYRILLIC_ALICE).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("looks like &quot;Alice&quot;, who is on the ballot already"),
        "{html}"
    );
    let res = post("/ballot/cast", CYRILLIC_ALICE).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The decomposed "Zoë" typed in the form is cast in NFC.
    let res = post("/ballot/cast", ZOE_NFD).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let receipt = res
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .find(|v| v.starts_with("teller_receipt="))
        .unwrap();
    let res = app
        .http
        .get(app.url("/receipt"))
        .header("cookie", receipt)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("Your ballot has been cast"), "{html}");
    assert!(html.contains(&format!("write-in:{ZOE_NFC}")), "{html}");
    assert!(!html.contains(ZOE_NFD), "{html}");
}
on_both_backends!(
    a_look_alike_is_refused_on_the_ballot_page,
    look_alike_on_the_ballot_page
);

/// An election file whose candidates look alike is refused by the CLI, and
/// nothing is created.
async fn look_alike_candidates_in_a_file(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for pair in [
        ["Alice", CYRILLIC_ALICE],
        [ZOE_NFC, ZOE_NFD],
        [ZOE_NFC, ZOE_ZWJ],
        ["Jo Bloggs", "JO BLOGGS"],
    ] {
        let file = app.path("lookalike.toml");
        std::fs::write(&file, election_file(&pair, 1)).unwrap();
        let out = app.teller(&["election", "create", file.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{pair:?} was accepted");
        assert!(
            stderr.contains("candidates 1 (\"c0\") and 2 (\"c1\") have names that look alike"),
            "{pair:?}: {stderr}"
        );
    }
    let (status, list) = app.get_json("/api/v1/elections").await;
    assert_eq!(status, 200);
    assert!(!list.to_string().contains("Look-alike names"), "{list}");
    // Names that merely share letters are fine.
    let file = app.path("lookalike.toml");
    std::fs::write(&file, election_file(&["Alice", "Alicia", ZOE_NFC, "Zoe"], 1)).unwrap();
    app.teller_ok(&["election", "create", file.to_str().unwrap()]);
}
on_both_backends!(
    look_alike_candidates_are_refused_in_an_election_file,
    look_alike_candidates_in_a_file
);

/// The console builder refuses look-alike candidates when saving, saying
/// which, and saves nothing.
async fn look_alike_candidates_in_the_builder(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    add_staff(&app, "olga", "officer", "officer password 7Qx!");
    let officer = sign_in(&app, "olga", "officer password 7Qx!", "").await.unwrap();
    let (status, html) = get(&app, &officer, "/staff/elections/new").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let mut form = fields(&html, "/staff/elections/new");
    for (k, v) in [
        ("title", "Look-alike names"),
        ("c0.title", "Chair"),
        ("c0.method", "plurality"),
        ("c0.seats", "1"),
        ("c0.k0.name", "Alice"),
        ("c0.k1.name", CYRILLIC_ALICE),
    ] {
        set(&mut form, k, v);
    }
    form.push(("action".into(), "save".into()));
    let res = app
        .http
        .post(app.url("/staff/elections/new"))
        .header("cookie", &officer)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.headers().get(LOCATION).is_none());
    let html = res.text().await.unwrap();
    assert!(html.contains("Nothing was saved"), "{html}");
    assert!(html.contains("have names that look alike"), "{html}");
    let (_, list) = app.get_json("/api/v1/elections").await;
    assert!(!list.to_string().contains("Look-alike names"), "{list}");
    // With a real second name, it saves.
    set(&mut form, "c0.k1.name", "Bob");
    let res = app
        .http
        .post(app.url("/staff/elections/new"))
        .header("cookie", &officer)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}
on_both_backends!(
    look_alike_candidates_are_refused_in_the_builder,
    look_alike_candidates_in_the_builder
);

/// An insider with database access slips ballots the server would refuse
/// into the ballots table while the polls are open; the server seals and
/// counts them like any other. The published record chains and signs
/// correctly, and the verifier refuses it, naming each ballot.
async fn look_alike_ballots_in_a_record(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (id, tokens) = open(&app, &["Alice", "Bob"], 1, 2);
    let (status, body) = app.cast(&id, &tokens[0], chair(&["c1".to_string()])).await;
    assert_eq!(status, 201, "{body}");
    let mut slipped = Vec::new();
    for (i, name) in [CYRILLIC_ALICE, ZOE_NFD, ZOE_ZWJ].iter().enumerate() {
        let ballot = Ballot {
            election: id.clone(),
            nonce: Nonce([i as u8 + 1; 16]),
            choices: serde_json::from_value(chair(&write_in(name))).unwrap(),
            weight: teller_audit::count::Weight::ONE,
        };
        let tracker = ballot.tracker().to_hex();
        let body = String::from_utf8(
            teller_audit::canonical::to_bytes(
                &json!({"nonce": ballot.nonce, "choices": ballot.choices, "weight": ballot.weight}),
            )
            .unwrap(),
        )
        .unwrap();
        app.db.sql(&format!(
            "INSERT INTO ballots (election_id, tracker, body, seal) VALUES ('{id}', '{tracker}', '{}', NULL)",
            body.replace('\'', "''")
        ));
        slipped.push(tracker);
    }
    app.teller_ok(&["election", "close", &id]);
    app.teller_ok(&["election", "tally", &id]);
    let record = app.export(&id);
    let report = verify_record(&record, &[]);
    assert!(!report.ok(), "the look-alike ballots went unnoticed:\n{report}");
    for check in [
        "log-chain",
        "log-structure",
        "checkpoint-signature",
        "ballot-tracker",
        "ballots-match-log",
    ] {
        assert!(report.check(check).unwrap().failures.is_empty(), "{check}:\n{report}");
    }
    let validity = &report.check("ballot-validity").unwrap().failures;
    assert_eq!(validity.len(), 3, "{report}");
    let naming = |tracker: &str, words: &str| {
        assert!(
            validity.iter().any(|f| f.contains(tracker) && f.contains(words)),
            "ballot-validity should name {tracker} with {words:?}:\n{report}"
        );
    };
    naming(&slipped[0], "looks like \"Alice\"");
    naming(&slipped[1], "normalisation form C");
    naming(&slipped[2], "(U+200D)");
    // The count itself never gave them a vote.
    let result = &record.tally.as_ref().unwrap().contests[0];
    assert_eq!((result.cast, result.invalid), (1, 3));
    // The report teller-audit prints says which rule.
    let printed = report.to_string();
    assert!(
        printed.contains("ballot-validity") && printed.contains("looks like"),
        "{printed}"
    );
}
on_both_backends!(
    a_record_with_look_alike_ballots_fails_verification,
    look_alike_ballots_in_a_record
);
