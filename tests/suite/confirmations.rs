//! Confirmation e-mails (issue 12): a member who ticks the box on the review
//! page is e-mailed their ballot's tracker and a link to check it when the
//! ballot is sealed, never before; nobody else is; the messages of a seal
//! leave in neither the order of casting nor the trackers'; and nothing
//! linking a member to a tracker stays in the database once they are sent
//! and the polls are closed. Over real HTTP, through a real SMTP server on
//! loopback, on both backends.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::time::{Duration, Instant};

use common::form::{fields, set};
use common::smtp::{Mail, SmtpSink};
use common::staff::{add_staff, get, sign_in};
use common::{read_tokens, Backend, TestApp};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use reqwest::header::{LOCATION, SET_COOKIE};
use reqwest::StatusCode;
use teller_audit::receipt::Receipt;

const EXAMPLE: &str = include_str!("../../examples/board-election.toml");

/// The example election, sealing batches of one, confirmations as given.
fn election_file(confirmations: bool) -> String {
    let example = EXAMPLE.replacen("min_ballots = 5", "min_ballots = 1", 1);
    if confirmations {
        format!("confirmation_emails = true\n{example}")
    } else {
        example
    }
}

/// Create a draft from `toml`, import `roll` and issue codes (not opened).
fn draft(app: &TestApp, toml: &str, roll: &str) -> (String, Vec<(String, String)>) {
    let file = app.path(&format!("e-{}.toml", uuid::Uuid::new_v4().simple()));
    std::fs::write(&file, toml).unwrap();
    let id = app
        .teller_ok(&["election", "create", file.to_str().unwrap()])
        .trim()
        .lines()
        .last()
        .unwrap()
        .to_string();
    let csv = app.path(&format!("roll-{}.csv", uuid::Uuid::new_v4().simple()));
    std::fs::write(&csv, roll).unwrap();
    app.teller_ok(&["voters", "import", &id, csv.to_str().unwrap()]);
    let out = app.path(&format!("tokens-{}.csv", uuid::Uuid::new_v4().simple()));
    app.teller_ok(&["tokens", "issue", &id, "--out", out.to_str().unwrap()]);
    (id, read_tokens(&out))
}

/// `n` members with e-mail addresses `member{i}@example.org`, then one
/// without (`NOMAIL`).
fn roll(n: usize) -> String {
    let mut s = String::from("member_id,name,email\n");
    for i in 0..n {
        s.push_str(&format!("M{i:02},Member {i},member{i}@example.org\n"));
    }
    s.push_str("NOMAIL,No Mail,\n");
    s
}

/// What the member's browser saw and got.
struct Voted {
    /// The review page.
    review: String,
    /// The receipt.
    receipt: Receipt,
}

/// Vote through the member's pages: link, review, cast (with `extra`
/// fields added to the cast form as the page has it).
async fn vote(app: &TestApp, token: &str, extra: &[(&str, &str)]) -> Voted {
    let res = app.http.get(app.url(&format!("/v/{token}"))).send().await.unwrap();
    let cookie = res.headers()[SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let res = app
        .http
        .post(app.url("/ballot/review"))
        .header("cookie", &cookie)
        .form(&[("c.directors", "amara-okafor"), ("c.bylaw-amendment-7", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let review = res.text().await.unwrap();
    let mut form = fields(&review, "/ballot/cast");
    for (k, v) in extra {
        set(&mut form, k, v);
    }
    let res = app
        .http
        .post(app.url("/ballot/cast"))
        .header("cookie", &cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/receipt");
    let hex_json = res
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .find_map(|v| v.strip_prefix("teller_receipt="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let receipt: Receipt = serde_json::from_slice(&hex::decode(hex_json).unwrap()).unwrap();
    Voted { review, receipt }
}

const CHECKBOX: &str = r#"name="confirm" value="yes""#;

/// A confirmation row, as stored: (tracker, member, status, seal, updated_at).
type Stored = (String, String, String, Option<i64>, Option<i64>);

/// The confirmation rows, as stored.
fn stored(app: &TestApp) -> Vec<Stored> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        tracker: String,
        #[diesel(sql_type = Text)]
        member_id: String,
        #[diesel(sql_type = Text)]
        status: String,
        #[diesel(sql_type = Nullable<BigInt>)]
        seal: Option<i64>,
        #[diesel(sql_type = Nullable<BigInt>)]
        updated_at: Option<i64>,
    }
    diesel::sql_query("SELECT tracker, member_id, status, seal, updated_at FROM confirmations ORDER BY tracker")
        .load::<Row>(&mut app.db.conn())
        .unwrap()
        .into_iter()
        .map(|r| (r.tracker, r.member_id, r.status, r.seal, r.updated_at))
        .collect()
}

/// Wait until the sink holds `n` messages (and a moment more, to catch an
/// extra one).
async fn wait_for(sink: &SmtpSink, n: usize) -> Vec<Mail> {
    let started = Instant::now();
    while sink.received().len() < n {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "only {} of {n} messages arrived",
            sink.received().len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(1200)).await;
    sink.received()
}

/// Undo base64 (for encoded headers).
fn base64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.bytes().filter(|c| *c != b'=') {
        let v = ALPHABET.iter().position(|a| *a == c).unwrap() as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// The message's subject (RFC 2047 encoded words decoded) and body
/// (quoted-printable undone), as the member reads them.
fn read(mail: &Mail) -> (String, String) {
    let (head, body) = mail.data.split_once("\r\n\r\n").unwrap();
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    let raw = unfolded
        .lines()
        .find_map(|l| l.strip_prefix("Subject: "))
        .unwrap()
        .to_string();
    // Whitespace between two encoded words is not text (RFC 2047 §6.2).
    let mut subject = String::new();
    let mut last_encoded = false;
    for word in raw.split(' ') {
        let encoded = word
            .strip_prefix("=?utf-8?b?")
            .or_else(|| word.strip_prefix("=?UTF-8?B?"))
            .and_then(|w| w.strip_suffix("?="));
        if !(subject.is_empty() || last_encoded && encoded.is_some()) {
            subject.push(' ');
        }
        match encoded {
            Some(b) => subject.push_str(&String::from_utf8(base64(b)).unwrap()),
            None => subject.push_str(word),
        }
        last_encoded = encoded.is_some();
    }
    let soft = body.replace("=\r\n", "");
    let bytes = soft.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    (subject, String::from_utf8(out).unwrap())
}

fn grouped(hex: &str) -> String {
    hex.as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(" ")
}

async fn sent_at_the_seal(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with_mail(backend, Some(sink.url())).await;
    let (id, tokens) = draft(&app, &election_file(false), &roll(11));
    let token = |member: &str| tokens.iter().find(|(m, _)| m == member).unwrap().1.clone();

    // Staff turn confirmations on in the builder (a draft setting), and the
    // election's page says so.
    add_staff(&app, "olga", "officer", "officer password!");
    let officer = sign_in(&app, "olga", "officer password!", "").await.unwrap();
    let (_, page) = get(&app, &officer, &format!("/staff/elections/{id}")).await;
    assert!(page.contains("Confirmation e-mails: off"), "{page}");
    let edit = format!("/staff/elections/{id}/edit");
    let (_, builder) = get(&app, &officer, &edit).await;
    assert!(builder.contains(r#"name="confirmations""#), "{builder}");
    let mut form = fields(&builder, &edit);
    set(&mut form, "confirmations", "on");
    set(&mut form, "action", "save");
    let res = app
        .http
        .post(app.url(&edit))
        .header("cookie", &officer)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", res.text().await.unwrap());
    let (_, builder) = get(&app, &officer, &edit).await;
    assert!(
        builder.contains(
            r#"id="confirmations" name="confirmations" value="on" aria-describedby="confirmations-hint" checked"#
        ),
        "{builder}"
    );
    let (_, page) = get(&app, &officer, &format!("/staff/elections/{id}")).await;
    assert!(page.contains("Confirmation e-mails: on."), "{page}");
    app.teller_ok(&["election", "open", &id]);

    // Eight members tick the box, in the order M00..M07; M08 does not; the
    // member without an address is not offered it, and a forged field
    // changes nothing.
    let mut asked = Vec::new();
    for i in 0..8 {
        let member = format!("M{i:02}");
        let voted = vote(&app, &token(&member), &[("confirm", "yes")]).await;
        assert!(voted.review.contains(CHECKBOX), "{}", voted.review);
        assert!(
            voted
                .review
                .contains("E-mail me a confirmation when my ballot is in the public record"),
            "{}",
            voted.review
        );
        asked.push((format!("member{i}@example.org"), voted.receipt.body.tracker.to_hex()));
    }
    let unticked = vote(&app, &token("M08"), &[]).await;
    assert!(unticked.review.contains(CHECKBOX));
    assert!(
        !unticked.review.contains(&format!("{CHECKBOX} checked")),
        "the box starts unticked"
    );
    let no_mail = vote(&app, &token("NOMAIL"), &[("confirm", "yes")]).await;
    assert!(!no_mail.review.contains(CHECKBOX), "no address, no box");

    // Cast but not sealed: nothing is sent, and what is stored has no time
    // and no seal.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        sink.received().is_empty(),
        "nothing before the seal: {:?}",
        sink.received()
    );
    let rows = stored(&app);
    assert_eq!(rows.len(), 8, "{rows:?}");
    assert!(
        rows.iter()
            .all(|(_, _, status, seal, at)| status == "pending" && seal.is_none() && at.is_none()),
        "{rows:?}"
    );
    let mut members: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    members.sort();
    assert_eq!(members, ["M00", "M01", "M02", "M03", "M04", "M05", "M06", "M07"]);
    // Staff see nothing of them before the seal.
    let (_, page) = get(&app, &officer, &format!("/staff/elections/{id}")).await;
    assert!(page.contains("Sealed and not yet sent: 0; failed: 0"), "{page}");
    let (_, delivery) = get(&app, &officer, &format!("/staff/elections/{id}/delivery")).await;
    assert!(
        !delivery.contains("M00") && !delivery.contains("member0@"),
        "{delivery}"
    );

    // The seal: exactly one message to each member who asked.
    app.teller_ok(&["seal", &id]);
    let mails = wait_for(&sink, 8).await;
    assert_eq!(mails.len(), 8, "{mails:?}");
    let base = app.url("");
    for (address, tracker) in &asked {
        let to_them: Vec<&Mail> = mails.iter().filter(|m| m.to[0].contains(address.as_str())).collect();
        assert_eq!(to_them.len(), 1, "one message to {address}");
        let (subject, body) = read(to_them[0]);
        assert_eq!(
            subject,
            format!("Your ballot is in the public record — {}", example_title()),
            "{}",
            to_them[0].data
        );
        assert!(body.contains(&grouped(tracker)), "{body}");
        assert!(
            body.contains(&format!("{base}/e/{id}/track?tracker={tracker}")),
            "{body}"
        );
        assert!(body.contains("sealed into the public log in seal 1"), "{body}");
        assert!(body.contains("does not say how you voted"), "{body}");
    }
    assert!(
        !mails.iter().any(|m| m.to[0].contains("member8@")),
        "not to a member who did not tick"
    );
    // Each check link works: the public page finds the ballot in seal 1.
    let (address, tracker) = &asked[0];
    let res = app
        .http
        .get(app.url(&format!("/e/{id}/track?tracker={tracker}")))
        .send()
        .await
        .unwrap();
    let html = res.text().await.unwrap();
    assert!(
        html.contains("sealed into the log in seal 1"),
        "{address}'s link: {html}"
    );

    // Sent in neither the order of casting nor the trackers' (a random
    // order: each fails by chance once in 40,320 runs).
    let sent_order: Vec<usize> = mails
        .iter()
        .map(|m| asked.iter().position(|(a, _)| m.to[0].contains(a.as_str())).unwrap())
        .collect();
    let cast_order: Vec<usize> = (0..8).collect();
    let mut tracker_order = cast_order.clone();
    tracker_order.sort_by(|a, b| asked[*a].1.cmp(&asked[*b].1));
    assert_ne!(
        tracker_order, cast_order,
        "the test needs trackers out of casting order"
    );
    assert_ne!(sent_order, cast_order, "sent in the order of casting");
    assert_ne!(sent_order, tracker_order, "sent in tracker order");
    // Sent means deleted: the link is gone.
    assert!(stored(&app).is_empty(), "{:?}", stored(&app));

    // The close's final seal sends the rest; after the close nothing pending
    // stays, and once sent nothing at all.
    let late = vote(&app, &token("M09"), &[("confirm", "yes")]).await;
    let late_tracker = late.receipt.body.tracker.to_hex();
    vote(&app, &token("M10"), &[]).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(sink.received().len(), 8, "nothing before the final seal");
    app.teller_ok(&["election", "close", &id]);
    assert!(
        stored(&app)
            .iter()
            .all(|(_, _, status, seal, _)| status != "pending" && *seal == Some(2)),
        "{:?}",
        stored(&app)
    );
    let mails = wait_for(&sink, 9).await;
    assert_eq!(mails.len(), 9);
    let (_, body) = read(&mails[8]);
    assert!(mails[8].to[0].contains("member9@"), "{:?}", mails[8].to);
    assert!(
        body.contains(&grouped(&late_tracker)) && body.contains("in seal 2"),
        "{body}"
    );
    assert!(stored(&app).is_empty(), "{:?}", stored(&app));
    // No other table took the trackers in: the delivery queue holds only
    // its own kinds, and no text column anywhere but the ballots and the
    // log holds a confirmed tracker.
    assert_no_tracker_outside_the_record(&app, &late_tracker);
    assert_no_tracker_outside_the_record(&app, &asked[3].1);
}

/// The example election's title.
fn example_title() -> String {
    EXAMPLE
        .lines()
        .find_map(|l| l.strip_prefix("title = \""))
        .unwrap()
        .trim_end_matches('"')
        .to_string()
}

/// `tracker` appears in no table but `ballots` and the log's.
fn assert_no_tracker_outside_the_record(app: &TestApp, tracker: &str) {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let mut conn = app.db.conn();
    for (table, columns) in [
        ("confirmations", "tracker || member_id"),
        ("deliveries", "member_id || kind || COALESCE(error, '')"),
        ("members", "member_id || name || email || COALESCE(token_hash, '')"),
        ("mail_templates", "subject || body"),
    ] {
        let n: N = diesel::sql_query(format!(
            "SELECT COUNT(*) AS n FROM {table} WHERE {columns} LIKE '%{tracker}%'"
        ))
        .get_result(&mut conn)
        .unwrap();
        assert_eq!(n.n, 0, "{table} holds the tracker");
    }
}

async fn off_unless_asked(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with_mail(backend, Some(sink.url())).await;
    // Off (the default): no box, and a forged field sends nothing.
    let (id, tokens) = draft(&app, &election_file(false), &roll(2));
    app.teller_ok(&["election", "open", &id]);
    let voted = vote(&app, &tokens[0].1, &[("confirm", "yes")]).await;
    assert!(!voted.review.contains(CHECKBOX), "{}", voted.review);
    assert!(!voted.review.contains("E-mail me a confirmation"));
    app.teller_ok(&["seal", &id]);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(sink.received().is_empty(), "{:?}", sink.received());
    assert!(stored(&app).is_empty());

    // On from the election file; an unticked box, or a forged value other
    // than "yes", asks for nothing. A message the mail server refuses is
    // kept (failed, for a retry), and staff see only that one failed.
    let bouncing = "member_id,name,email\nM00,A,a@example.org\nM01,B,b@example.org\nM02,C,bounce@example.org\n";
    let (on, tokens) = draft(&app, &election_file(true), bouncing);
    app.teller_ok(&["election", "open", &on]);
    let voted = vote(&app, &tokens[0].1, &[("confirm", "please")]).await;
    assert!(voted.review.contains(CHECKBOX));
    vote(&app, &tokens[1].1, &[]).await;
    assert!(stored(&app).is_empty(), "{:?}", stored(&app));
    vote(&app, &tokens[2].1, &[("confirm", "yes")]).await;
    app.teller_ok(&["seal", &on]);
    let started = Instant::now();
    while stored(&app).first().is_none_or(|r| r.2 != "failed") {
        assert!(started.elapsed() < Duration::from_secs(30), "{:?}", stored(&app));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(sink.received().is_empty(), "{:?}", sink.received());
    let rows = stored(&app);
    assert_eq!(
        (rows.len(), rows[0].1.as_str(), rows[0].3),
        (1, "M02", Some(1)),
        "{rows:?}"
    );
    add_staff(&app, "olga", "officer", "officer password!");
    let officer = sign_in(&app, "olga", "officer password!", "").await.unwrap();
    let (_, page) = get(&app, &officer, &format!("/staff/elections/{on}")).await;
    assert!(page.contains("Sealed and not yet sent: 0; failed: 1"), "{page}");
    let (_, delivery) = get(&app, &officer, &format!("/staff/elections/{on}/delivery")).await;
    assert!(
        delivery.contains("1 confirmation e-mail of sealed ballots could not be sent"),
        "{delivery}"
    );
    assert!(!delivery.contains("M02") && !delivery.contains("bounce@"), "{delivery}");
    let (status, _) = common::staff::post(
        &app,
        &officer,
        &format!("/staff/elections/{on}/delivery"),
        &[("action", "retry")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let started = Instant::now();
    loop {
        let attempts: Vec<i64> = {
            #[derive(QueryableByName)]
            struct A {
                #[diesel(sql_type = BigInt)]
                attempts: i64,
            }
            diesel::sql_query("SELECT attempts FROM confirmations WHERE status = 'failed'")
                .load::<A>(&mut app.db.conn())
                .unwrap()
                .into_iter()
                .map(|a| a.attempts)
                .collect()
        };
        if attempts == [2] {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{attempts:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(sink.received().is_empty(), "{:?}", sink.received());

    // Without a mail server the box is not offered, and a forged field
    // stores nothing.
    let quiet = TestApp::spawn(backend).await;
    let (on, tokens) = draft(&quiet, &election_file(true), &roll(1));
    quiet.teller_ok(&["election", "open", &on]);
    let voted = vote(&quiet, &tokens[0].1, &[("confirm", "yes")]).await;
    assert!(!voted.review.contains(CHECKBOX));
    assert!(stored(&quiet).is_empty());
}

on_both_backends!(sent_at_the_seal, sent_at_the_seal);
on_both_backends!(off_unless_asked, off_unless_asked);
