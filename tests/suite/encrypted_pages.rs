//! The member's pages in an encrypted election (issue 13, §14.11, §16.10),
//! over HTTP as a browser sends them, on both backends.
//!
//! Without JavaScript: the code is typed, the marks posted for review; the
//! review page says the server encrypts on this path; "Check the
//! encryption" keeps an audited ballot and shows what it decrypts to, with
//! a file that `AuditedBallot::check` accepts; the cast gives the receipt
//! page (no choices, the tracker), and the stored ballot is encrypted and
//! passes the cast checks. With JavaScript (its server side): the ballot
//! page follows browser/README.md's page contract, and `POST /ballot/cast`
//! takes `encrypted_ballot` alone; a ballot failing a check shows the
//! ballot again, saying why, with the code still working. And the CSP:
//! `script-src 'self'` only on the encrypted ballot page.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use reqwest::header::{CONTENT_DISPOSITION, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::Value;
use teller::ops::encrypted::Encryption;
use teller_audit::count::Weight;
use teller_audit::encrypted::audited::AuditedBallot;
use teller_audit::encrypted::cast::read_ballot;
use teller_audit::encrypted::group::OsRandom;
use teller_audit::receipt::Receipt;

use crate::ceremony::{count, open_encrypted, ENCRYPTED};
use crate::common::form::{fields, unescape};
use crate::common::{Backend, TestApp};

/// The CSP of every page but the encrypted ballot's.
const STRICT: &str =
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
/// The encrypted ballot page's: the same, with same-origin script files
/// and requests.
const WITH_SCRIPT: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A browser without JavaScript: the voting cookie, forms posted as HTML
/// forms are.
struct Member<'a> {
    app: &'a TestApp,
    cookie: Option<String>,
}

struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl<'a> Member<'a> {
    /// Type the code on `/vote`, as a member does.
    async fn enter(app: &'a TestApp, code: &str) -> Member<'a> {
        let mut member = Member { app, cookie: None };
        let res = member.post("/vote", &[("code", code)]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        assert_eq!(res.headers[LOCATION], "/ballot");
        assert!(member.cookie.is_some());
        member
    }

    async fn answer(&mut self, req: reqwest::RequestBuilder) -> Answer {
        let req = match &self.cookie {
            Some(c) => req.header("cookie", c),
            None => req,
        };
        let res = req.send().await.unwrap();
        for c in res.headers().get_all(SET_COOKIE) {
            let pair = c.to_str().unwrap().split(';').next().unwrap().to_string();
            if pair.starts_with("teller_vote=") {
                self.cookie = (!pair.ends_with('=')).then_some(pair);
            }
        }
        Answer {
            status: res.status(),
            headers: res.headers().clone(),
            body: res.text().await.unwrap(),
        }
    }

    async fn get(&mut self, path: &str) -> Answer {
        let req = self.app.http.get(self.app.url(path));
        self.answer(req).await
    }

    async fn post<K: AsRef<str>, V: AsRef<str>>(&mut self, path: &str, form: &[(K, V)]) -> Answer {
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_ref(), v.as_ref())).collect();
        let req = self.app.http.post(self.app.url(path)).form(&pairs);
        self.answer(req).await
    }
}

/// The value of attribute `name` on the first tag holding it.
fn attribute(html: &str, name: &str) -> String {
    let key = format!(" {name}=\"");
    let at = html.find(&key).unwrap_or_else(|| panic!("no {name} in {html}")) + key.len();
    unescape(&html[at..at + html[at..].find('"').unwrap()])
}

/// The 64 hex digits of the tracker shown in groups (`.tracker code`).
fn shown_tracker(html: &str) -> String {
    let at = html.find("<p class=\"tracker\"><code>").expect("a tracker") + "<p class=\"tracker\"><code>".len();
    let grouped = &html[at..at + html[at..].find("</code>").unwrap()];
    grouped.split_whitespace().collect()
}

fn encryption(app: &TestApp, election: &str) -> Encryption {
    let mut conn = app.db.conn();
    Encryption::load(&mut conn, election).unwrap().unwrap()
}

/// The marks: Amara Okafor and Priya Raman for directors, no on the bylaw.
/// Form fields, as posted.
type Fields = Vec<(String, String)>;

fn marks(enc: &Encryption) -> (Fields, BTreeMap<String, Vec<String>>) {
    let directors = &enc.definition.contests[0].candidates;
    let chosen = vec![directors[0].id.clone(), directors[2].id.clone()];
    let fields = vec![
        ("c.directors".to_string(), chosen[0].clone()),
        ("c.directors".to_string(), chosen[1].clone()),
        ("c.bylaw".to_string(), "no".to_string()),
    ];
    let choices = BTreeMap::from([
        ("directors".to_string(), chosen),
        ("bylaw".to_string(), vec!["no".to_string()]),
    ]);
    (fields, choices)
}

/// The stored ballot of `tracker` read back as cast (with its election),
/// checked as at casting.
fn stored_ballot_checks(app: &TestApp, enc: &Encryption, tracker: &teller_audit::crypto::Digest) {
    let mut conn = app.db.conn();
    let (body, _) = teller::store::ballots::body_and_seal(&mut conn, &enc.election, tracker)
        .unwrap()
        .expect("the ballot is stored");
    let mut value: Value = serde_json::from_str(&body).unwrap();
    assert!(
        value.get("choices").is_none(),
        "an encrypted ballot holds no plain choices: {body}"
    );
    value["election"] = Value::String(enc.election.clone());
    let bytes = teller_audit::canonical::value_to_bytes(&value).unwrap();
    let ballot = read_ballot(&bytes).unwrap();
    assert_eq!(&ballot.tracker(), tracker);
    let ctx = enc.cast_context();
    ctx.check_ballot(&ballot, Weight::ONE).unwrap();
    ctx.check_proofs(&ballot, &mut OsRandom).unwrap();
}

fn sorted(fields: &[(String, String)]) -> Vec<(String, String)> {
    let mut v = fields.to_vec();
    v.sort();
    v
}

fn audited_count(app: &TestApp, election: &str) -> i64 {
    count(
        app,
        &format!("SELECT COUNT(*) AS n FROM audited_ballots WHERE election_id = '{election}'"),
    )
}

fn voted(app: &TestApp, election: &str) -> i64 {
    count(
        app,
        &format!("SELECT COUNT(*) AS n FROM members WHERE election_id = '{election}' AND voted"),
    )
}

async fn without_javascript(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (election, tokens, _trustees) = open_encrypted(&app, ENCRYPTED, 3).await;
    let enc = encryption(&app, &election);
    let (marks, choices) = marks(&enc);
    let mut member = Member::enter(&app, &tokens[0].1).await;

    // The ballot: the page contract, for JavaScript; the form posts the
    // marks for review without it.
    let ballot = member.get("/ballot").await;
    assert_eq!(ballot.status, StatusCode::OK, "{}", ballot.body);
    assert_eq!(ballot.headers[CONTENT_SECURITY_POLICY], WITH_SCRIPT);
    assert!(ballot
        .body
        .contains(r#"<form method="post" action="/ballot/review" novalidate"#));
    let params: Value = serde_json::from_str(&attribute(&ballot.body, "data-teller-encrypt")).unwrap();
    assert_eq!(params["election"], election.as_str());
    assert_eq!(params["weight"], "1");
    assert_eq!(params["fingerprint"], enc.fingerprint.to_hex());
    assert_eq!(attribute(&ballot.body, "data-teller-cast-action"), "/ballot/cast");
    assert_eq!(
        attribute(&ballot.body, "data-teller-audit-action"),
        format!("/api/v1/elections/{election}/audited")
    );
    for msg in [
        "encrypting",
        "ready",
        "invalid",
        "failed",
        "mismatch",
        "checking",
        "audit-sent",
        "audit-unsent",
        "blank",
    ] {
        assert!(
            !attribute(&ballot.body, &format!("data-msg-{msg}")).is_empty(),
            "data-msg-{msg}"
        );
    }
    for hook in [
        "data-teller-booth hidden",
        "<p data-teller-status role=\"status\" aria-live=\"polite\"></p>",
        "<code data-teller-tracker></code>",
        "<code data-teller-fingerprint></code>",
        "data-teller-cast>",
        "data-teller-check>",
        "data-teller-change>",
        "data-teller-audit hidden",
        "data-teller-audit-choices>",
        "<a data-teller-audit-download>",
        "data-teller-again>",
        r#"<script src="/static/js/teller-ballot.js" defer></script>"#,
    ] {
        assert!(ballot.body.contains(hook), "{hook} is missing from the ballot page");
    }
    assert!(!ballot.body.contains("style="), "no inline style");
    assert_eq!(ballot.body.matches("<script").count(), 1, "one script, a file");

    // Review: the server-encryption warning, before anything is cast.
    let review = member.post("/ballot/review", &marks).await;
    assert_eq!(review.status, StatusCode::OK, "{}", review.body);
    assert_eq!(review.headers[CONTENT_SECURITY_POLICY], STRICT);
    assert!(!review.body.contains("<script"));
    assert!(
        review
            .body
            .contains("the election service encrypts this ballot for you")
            && review.body.contains("at that moment the service sees your choices")
            && review
                .body
                .contains("With JavaScript on, your own device encrypts the ballot"),
        "{}",
        review.body
    );
    assert!(review.body.contains(r#"formaction="/ballot/audit""#));
    let hidden = fields(&review.body, "/ballot/cast");
    assert_eq!(sorted(&hidden), sorted(&marks));

    // Check the encryption: kept as audited, decrypted choices shown, the
    // file downloads and verifies; nothing cast, the code still works.
    let audit = member.post("/ballot/audit", &hidden).await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.body);
    assert!(audit.body.contains("Nothing has been cast"), "{}", audit.body);
    let audited_tracker = shown_tracker(&audit.body);
    for name in ["Amara Okafor", "Priya Raman", "<li>No</li>"] {
        assert!(audit.body.contains(name), "{name} is not among the decrypted choices");
    }
    assert!(!audit.body.contains("Daniel Brooks</li>"));
    assert_eq!(audited_count(&app, &election), 1);
    assert_eq!(voted(&app, &election), 0);
    let file = fields(&audit.body, "/ballot/audit/download");
    let download = member.post("/ballot/audit/download", &file).await;
    assert_eq!(download.status, StatusCode::OK, "{}", download.body);
    assert_eq!(download.headers[CONTENT_TYPE], "application/json");
    assert_eq!(
        download.headers[CONTENT_DISPOSITION],
        format!(
            "attachment; filename=\"audited-ballot-{}.json\"",
            &audited_tracker[..16]
        )
    );
    let audited: AuditedBallot = serde_json::from_str(&download.body).unwrap();
    audited.check(&mut OsRandom).unwrap();
    assert_eq!(audited.tracker.to_hex(), audited_tracker);
    assert_eq!(audited.choices, choices);
    assert_eq!(audited.ballot.fingerprint, enc.fingerprint);
    // A file that was tampered with is not handed back.
    let mut lying: Value = serde_json::from_str(&file[0].1).unwrap();
    lying["choices"]["bylaw"] = serde_json::json!(["yes"]);
    let refused = member
        .post("/ballot/audit/download", &[("audited", lying.to_string())])
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    // Encrypt again: the review page again, with the same marks.
    let again = member
        .post("/ballot/review", &fields(&audit.body, "/ballot/review"))
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(sorted(&fields(&again.body, "/ballot/cast")), sorted(&marks));

    // Cast: the server encrypts anew and casts; the receipt page at once
    // (too large for the receipt cookie), with the tracker and no choices.
    let cast = member.post("/ballot/cast", &marks).await;
    assert_eq!(cast.status, StatusCode::OK, "{}", cast.body);
    assert!(cast.body.contains("Your ballot has been cast"), "{}", cast.body);
    assert!(cast
        .body
        .contains("Your receipt shows no choices: your ballot is encrypted"));
    assert!(!cast.body.contains("Amara Okafor"), "the receipt page shows no choice");
    assert!(member.cookie.is_none(), "the voting code is forgotten");
    let tracker = shown_tracker(&cast.body);
    assert_ne!(tracker, audited_tracker, "a new encryption");
    let receipt_json = fields(&cast.body, "/receipt/download");
    let receipt: Receipt = serde_json::from_str(&receipt_json[0].1).unwrap();
    assert!(receipt.problems().is_empty());
    assert_eq!(receipt.body.tracker.to_hex(), tracker);
    assert!(cast.body.contains(&format!("seal {}", receipt.body.seal)));
    let sent = receipt.body.ballot.encrypted().expect("an encrypted ballot's receipt");
    assert_eq!(sent.weight, Weight::ONE);
    let download = member.post("/receipt/download", &receipt_json).await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(voted(&app, &election), 1);
    stored_ballot_checks(&app, &enc, &receipt.body.tracker);
    // The audited encryption was never cast.
    let mut conn = app.db.conn();
    let audited_digest = audited.tracker;
    assert!(teller::store::ballots::seal_of(&mut conn, &election, &audited_digest)
        .unwrap()
        .is_none());
}
on_both_backends!(
    a_member_votes_without_javascript_in_an_encrypted_election,
    without_javascript
);

async fn device_cast(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (election, tokens, _trustees) = open_encrypted(&app, ENCRYPTED, 3).await;
    let enc = encryption(&app, &election);
    let (_, choices) = marks(&enc);
    let mut member = Member::enter(&app, &tokens[1].1).await;
    let ballot = member.get("/ballot").await;
    let params: Value = serde_json::from_str(&attribute(&ballot.body, "data-teller-encrypt")).unwrap();
    let weight = Weight::parse(params["weight"].as_str().unwrap()).unwrap();

    // A ballot failing a check: the ballot page again, saying which, and
    // the code still works.
    let other = enc.encrypt(&choices, Weight::parse("2").unwrap()).unwrap();
    let refused = member
        .post(
            "/ballot/cast",
            &[("encrypted_ballot", String::from_utf8(other.bytes).unwrap())],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("Your ballot was not cast: the encrypted ballot failed the check ballot-weight"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("data-teller-encrypt="), "the booth again");
    assert_eq!(refused.headers[CONTENT_SECURITY_POLICY], WITH_SCRIPT);
    let garbled = member
        .post("/ballot/cast", &[("encrypted_ballot", "{\"format\":1}")])
        .await;
    assert_eq!(garbled.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(garbled.body.contains("failed the check format"), "{}", garbled.body);
    // A large ballot (a cumulative contest's is up to about 200 KB) is read,
    // not cut off at the plain forms' 64 KiB.
    let large = format!("{{\"format\":\"{}\"}}", "0".repeat(300 * 1024));
    let read = member.post("/ballot/cast", &[("encrypted_ballot", large)]).await;
    assert_eq!(read.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(read.body.contains("failed the check format"), "{}", read.body);
    assert_eq!(voted(&app, &election), 0);

    // The device's ballot, alone (the marks never leave the device).
    let made = enc.encrypt(&choices, weight).unwrap();
    let cast = member
        .post(
            "/ballot/cast",
            &[("encrypted_ballot", String::from_utf8(made.bytes.clone()).unwrap())],
        )
        .await;
    assert_eq!(cast.status, StatusCode::OK, "{}", cast.body);
    assert!(cast.body.contains("Your ballot has been cast"), "{}", cast.body);
    assert_eq!(shown_tracker(&cast.body), made.tracker.to_hex());
    assert_eq!(voted(&app, &election), 1);
    stored_ballot_checks(&app, &enc, &made.tracker);
    // The code is used now.
    let mut again = Member {
        app: &app,
        cookie: Some(format!("teller_vote={}", tokens[1].1.replace('-', ""))),
    };
    let used = again.get("/ballot").await;
    assert_eq!(used.status, StatusCode::CONFLICT);
}
on_both_backends!(the_booth_casts_the_devices_encrypted_ballot, device_cast);

/// The script is served as JavaScript; only the encrypted ballot page may
/// run it; a plain election's ballot page stays as strict as every page.
async fn script_and_csp(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let res = app
        .http
        .get(app.url("/static/js/teller-ballot.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[CONTENT_TYPE], "text/javascript; charset=utf-8");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(res.headers()[CONTENT_SECURITY_POLICY], STRICT);
    let served = res.bytes().await.unwrap();
    let committed = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/static/js/teller-ballot.js")).unwrap();
    assert!(served == committed, "the committed bundle is what is served");
    let res = app.http.get(app.url("/static/js/nothing.js")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .http
        .get(app.url("/static/js/..%2Fteller.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    let (_, tokens) = app.open_example(1);
    let mut member = Member::enter(&app, &tokens[0].1).await;
    let plain = member.get("/ballot").await;
    assert_eq!(plain.status, StatusCode::OK);
    assert_eq!(plain.headers[CONTENT_SECURITY_POLICY], STRICT);
    assert!(!plain.body.contains("<script") && !plain.body.contains("data-teller"));
    let home = member.get("/").await;
    assert_eq!(home.headers[CONTENT_SECURITY_POLICY], STRICT);
    // A plain election takes no encrypted ballot, and no audit.
    let refused = member.post("/ballot/cast", &[("encrypted_ballot", "{}")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert_eq!(refused.headers[CONTENT_SECURITY_POLICY], STRICT);
    let audit = member.post("/ballot/audit", &[("c.bylaw-amendment-7", "yes")]).await;
    assert_eq!(audit.status, StatusCode::BAD_REQUEST);
}
on_both_backends!(the_ballot_script_and_its_csp, script_and_csp);

/// The confirmation rows' trackers of `election`, as stored.
fn confirmation_trackers(app: &TestApp, election: &str) -> Vec<String> {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        tracker: String,
    }
    let rows: Vec<Row> = diesel::sql_query(format!(
        "SELECT tracker FROM confirmations WHERE election_id = '{election}' ORDER BY tracker"
    ))
    .load(&mut app.db.conn())
    .unwrap();
    rows.into_iter().map(|r| r.tracker).collect()
}

/// The booth offers the box asking for a confirmation e-mail where the
/// review page does (confirmations on, a mail server, an address on the
/// roll), beside Cast and outside the ballot form (so the marks' form never
/// carries it); a device cast with `confirm=yes` stores a confirmation of
/// its tracker, one without stores none. Without a mail server the box is
/// not offered and a forged `confirm=yes` is ignored.
async fn booth_confirmation(backend: Backend) {
    let sink = crate::common::smtp::SmtpSink::start().await;
    let app = TestApp::spawn_with_mail(backend, Some(sink.url())).await;
    let toml = format!("confirmation_emails = true\n{ENCRYPTED}");
    let (election, tokens, _trustees) = open_encrypted(&app, &toml, 3).await;
    let enc = encryption(&app, &election);
    let (_, choices) = marks(&enc);

    let mut asks = Member::enter(&app, &tokens[0].1).await;
    let ballot = asks.get("/ballot").await;
    assert_eq!(ballot.status, StatusCode::OK);
    let booth = &ballot.body[ballot.body.find("data-teller-booth").expect("the booth")..];
    assert!(
        booth.contains(r#"name="confirm" value="yes" data-teller-confirm"#),
        "the booth offers the box: {booth}"
    );
    assert!(booth.contains("E-mail me a confirmation when my ballot is in the public record"));
    let form = fields(&ballot.body, "/ballot/review");
    assert!(
        form.iter().all(|(k, _)| k != "confirm"),
        "not a field of the ballot form: {form:?}"
    );
    let made = enc.encrypt(&choices, Weight::ONE).unwrap();
    let cast = asks
        .post(
            "/ballot/cast",
            &[
                ("encrypted_ballot", String::from_utf8(made.bytes.clone()).unwrap()),
                ("confirm", "yes".to_string()),
            ],
        )
        .await;
    assert_eq!(cast.status, StatusCode::OK, "{}", cast.body);
    assert_eq!(shown_tracker(&cast.body), made.tracker.to_hex());
    assert_eq!(confirmation_trackers(&app, &election), [made.tracker.to_hex()]);

    // Not ticked: no confirmation.
    let mut silent = Member::enter(&app, &tokens[1].1).await;
    let other = enc.encrypt(&choices, Weight::ONE).unwrap();
    let cast = silent
        .post(
            "/ballot/cast",
            &[("encrypted_ballot", String::from_utf8(other.bytes).unwrap())],
        )
        .await;
    assert_eq!(cast.status, StatusCode::OK, "{}", cast.body);
    assert_eq!(confirmation_trackers(&app, &election), [made.tracker.to_hex()]);

    // A server without mail: no box, and a forged field stores nothing.
    let app = TestApp::spawn(backend).await;
    let (election, tokens, _trustees) = open_encrypted(&app, &toml, 1).await;
    let enc = encryption(&app, &election);
    let mut member = Member::enter(&app, &tokens[0].1).await;
    let ballot = member.get("/ballot").await;
    assert!(ballot.body.contains("data-teller-booth"));
    assert!(!ballot.body.contains("data-teller-confirm"), "{}", ballot.body);
    let made = enc.encrypt(&choices, Weight::ONE).unwrap();
    let cast = member
        .post(
            "/ballot/cast",
            &[
                ("encrypted_ballot", String::from_utf8(made.bytes).unwrap()),
                ("confirm", "yes".to_string()),
            ],
        )
        .await;
    assert_eq!(cast.status, StatusCode::OK, "{}", cast.body);
    assert!(confirmation_trackers(&app, &election).is_empty());
}
on_both_backends!(
    the_booth_offers_a_confirmation_e_mail_as_the_review_page_does,
    booth_confirmation
);

/// Audited ballots are anonymous, so an election keeps at most
/// `AUDITS_PER_MEMBER` per member on its roll plus `AUDITS_SPARE`
/// (`ops::encrypted::accept_audited`). On a roll of one the cap is 105:
/// filled to one short of it in the store (cheaply, as if earlier checks
/// had been kept), the member's check takes the last place; the next one,
/// on the page or through the API, is refused, saying why and what to do
/// instead, and stores nothing: the count stays, the refused file's tracker
/// is not kept, and its ballot, whose alphas were not taken, can still be
/// cast.
async fn audit_cap(backend: Backend) {
    use teller::ops::encrypted::{AUDITS_PER_MEMBER, AUDITS_SPARE};
    let app = TestApp::spawn(backend).await;
    let (election, tokens, _trustees) = open_encrypted(&app, ENCRYPTED, 1).await;
    let enc = encryption(&app, &election);
    let (fields, choices) = marks(&enc);
    let cap = AUDITS_PER_MEMBER + AUDITS_SPARE;
    {
        let mut conn = app.db.conn();
        for i in 0..cap - 1 {
            let tracker = teller_audit::crypto::Digest::of(format!("earlier audit {i}").as_bytes());
            teller::store::ballots::insert_audited(&mut conn, &election, &tracker, "{}", &[], 0).unwrap();
        }
    }
    assert_eq!(audited_count(&app, &election), cap as i64 - 1);

    // The last place: taken.
    let mut member = Member::enter(&app, &tokens[0].1).await;
    let last = member.post("/ballot/audit", &fields).await;
    assert_eq!(last.status, StatusCode::OK, "{}", last.body);
    assert_eq!(audited_count(&app, &election), cap as i64);

    // Over the cap on the page: refused, saying why, nothing kept.
    let over = member.post("/ballot/audit", &fields).await;
    assert_eq!(over.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", over.body);
    // (The page starts the sentence with a capital.)
    let why = format!("his election has taken {cap} audited ballots, as many as it keeps");
    assert!(over.body.contains(&why), "{}", over.body);
    assert!(over.body.contains("teller-audit verify-audit"), "{}", over.body);
    assert_eq!(audited_count(&app, &election), cap as i64);

    // Over the cap through the API (a device's check): 422 `refused`,
    // the same words; nothing kept.
    let made = enc.encrypt(&choices, Weight::ONE).unwrap();
    let file = teller::web::voting::encrypted::audited_file(&enc, &made, &choices);
    let res = app
        .http
        .post(app.url(&format!("/api/v1/elections/{election}/audited")))
        .header(CONTENT_TYPE, "application/json")
        .body(teller_audit::canonical::to_bytes(&file).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let answer: Value = res.json().await.unwrap();
    assert_eq!(answer["error"], "refused", "{answer}");
    assert!(answer["message"].as_str().unwrap().contains(&why), "{answer}");
    assert_eq!(audited_count(&app, &election), cap as i64);
    {
        let mut conn = app.db.conn();
        assert!(!teller::store::ballots::is_audited(&mut conn, &election, &made.tracker).unwrap());
    }
    // Its alphas were not taken: the same encryption can still be cast
    // (as a device would only if it had not shown it opened; here it
    // proves that the refusal reserved nothing).
    let cast = member
        .post(
            "/ballot/cast",
            &[("encrypted_ballot", String::from_utf8(made.bytes).unwrap())],
        )
        .await;
    assert_eq!(cast.status, StatusCode::OK, "{}", cast.body);
    assert_eq!(shown_tracker(&cast.body), made.tracker.to_hex());
    assert_eq!(audited_count(&app, &election), cap as i64);
}
on_both_backends!(audited_ballots_over_the_cap_are_refused_and_nothing_is_kept, audit_cap);
