//! What an election officer can learn and do with ordinary console features
//! (issue 15, findings 2 and 11), attacked over real HTTP:
//!
//! - who has voted, only as of the last seal, in batches of at least the
//!   election's `min_ballots`: "Seal now" below the minimum is refused, and
//!   casting between seals changes nothing staff or the public see — the
//!   console, the delivery page, `teller status`, the public page, the API,
//!   who gets reminders and letters, and whether a lost code is replaced;
//! - after the close, delivery rows keep no time finer than the close;
//! - a replaced code is made visible: the member is told at their e-mail
//!   address, and the record and the tellers' report count replacements.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::smtp::SmtpSink;
use common::staff::{act, add_staff, drained, get, post, sign_in};
use common::{example_choices, Backend, TestApp};
use reqwest::StatusCode;

/// The example election with `min_ballots` as given, `with_email` members
/// with an address and `without` without, tokens issued, polls open.
/// Returns the id and the tokens (member id, code) in roll order.
fn open_election(
    app: &TestApp,
    min_ballots: u32,
    with_email: usize,
    without: usize,
) -> (String, Vec<(String, String)>) {
    let example = include_str!("../../examples/board-election.toml");
    let toml = app.path("election.toml");
    let changed = example.replacen("min_ballots = 5", &format!("min_ballots = {min_ballots}"), 1);
    assert!(changed.contains(&format!("min_ballots = {min_ballots}")));
    std::fs::write(&toml, changed).unwrap();
    let id = app
        .teller_ok(&["election", "create", toml.to_str().unwrap()])
        .trim()
        .lines()
        .last()
        .unwrap()
        .to_string();
    let mut roll = String::from("member_id,name,email\n");
    for i in 0..with_email + without {
        let email = if i < with_email {
            format!("member{i}@example.org")
        } else {
            String::new()
        };
        roll.push_str(&format!("M{i:02},Member {i},{email}\n"));
    }
    let file = app.path("members.csv");
    std::fs::write(&file, roll).unwrap();
    app.teller_ok(&["voters", "import", &id, file.to_str().unwrap()]);
    let tokens = app.path("tokens.csv");
    app.teller_ok(&["tokens", "issue", &id, "--out", tokens.to_str().unwrap()]);
    app.teller_ok(&["election", "open", &id]);
    (id, common::read_tokens(&tokens))
}

/// Everything about turnout that staff and the public can read, as text.
async fn views(app: &TestApp, officer: &str, id: &str) -> Vec<(&'static str, String)> {
    let console = get(app, officer, &format!("/staff/elections/{id}")).await.1;
    let delivery = get(app, officer, &format!("/staff/elections/{id}/delivery")).await.1;
    let dashboard = get(app, officer, "/staff").await.1;
    let public = app
        .http
        .get(app.url(&format!("/e/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let api = app.get_json(&format!("/api/v1/elections/{id}")).await.1.to_string();
    let status = app.teller_ok(&["status", id]);
    vec![
        ("console election page", console),
        ("delivery page", delivery),
        ("console front page", dashboard),
        ("public election page", public),
        ("API election", api),
        ("teller status", status),
    ]
}

async fn turnout_only_at_seals(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with_mail(backend, Some(sink.url())).await;
    // Seven is the smallest batch; eight members with e-mail, four without.
    let (id, tokens) = open_election(&app, 7, 8, 4);
    add_staff(&app, "olga", "officer", "officer password!");
    let officer = sign_in(&app, "olga", "officer password!", "").await.unwrap();

    let before = views(&app, &officer, &id).await;
    assert!(
        before[0].1.contains("0 of 12 members had voted as of the last seal"),
        "{}",
        before[0].1
    );
    assert!(!before[0].1.contains("await"), "no live count of waiting ballots");

    // The attack: after each single vote, "Seal now" — six times. Each is
    // refused (six is below the smallest batch of seven), and nothing staff
    // or the public can read moves.
    let voters = [0usize, 1, 2, 8, 9, 3];
    for (n, &v) in voters.iter().enumerate() {
        let (status, receipt) = app.cast(&id, &tokens[v].1, example_choices(v)).await;
        assert_eq!(status, 201, "{receipt}");
        let (status, html) = act(&app, &officer, &id, &[("action", "seal")]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "seal {n}: {html}");
        assert!(
            html.contains("nothing was sealed: a seal before the close needs at least 7 waiting ballots"),
            "{html}"
        );
        let out = app.teller_ok(&["seal", &id]);
        assert!(out.starts_with("Nothing was sealed: a seal before the close"), "{out}");
        for ((what, was), (_, now)) in before.iter().zip(views(&app, &officer, &id).await) {
            assert_eq!(*was, now, "the {what} changed after a vote, between seals");
        }
    }
    let record = app.export(&id);
    assert!(
        !record.log.iter().any(|e| e.entry.event.kind() == "seal"),
        "no seal was made"
    );

    // Reminders and letters are chosen as of the last seal: all eight with
    // e-mail get a reminder, all four without get a letter, voters included.
    let delivery = format!("/staff/elections/{id}/delivery");
    let (status, html) = post(&app, &officer, &delivery, &[("action", "remind")]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("8 reminders are being sent"), "{html}");
    drained(&app, &officer, &id).await;
    let reminders = sink.received();
    assert_eq!(reminders.len(), 8, "one reminder to each member with e-mail");
    let (status, html) = post(&app, &officer, &format!("/staff/elections/{id}/letters"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        html.matches("<article class=\"letter\" lang=\"en\">").count(),
        4,
        "{html}"
    );
    // A reminder carries no code, so a voter's reminder gives nothing to try.
    let m0 = reminders.iter().find(|m| m.to[0].contains("member0@")).unwrap();
    assert!(!m0.data.contains("/v/"), "{}", m0.data);
    // A voter's letter carries a new code, which cannot vote again: it answers "already used".
    let at = html.find("class=\"letter-code\">").unwrap() + "class=\"letter-code\">".len();
    let m8_letter = html[at..at + 34].to_string();
    assert_eq!(app.cast(&id, &m8_letter, example_choices(8)).await.0, 409);

    // A lost code is replaced for a member who voted since the last seal
    // exactly as for one who did not: no answer tells the officer.
    let replace = format!("/staff/elections/{id}/replace");
    for member in ["M01", "M04"] {
        let (status, html) = post(&app, &officer, &replace, &[("member_id", member), ("how", "email")]).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(
            html.contains(&format!(
                "A new code was e-mailed to Member {} ({member})",
                &member[2..]
            )),
            "{html}"
        );
    }
    let out = app.teller_ok(&["tokens", "reissue", &id, "M02"]);
    assert!(out.contains("Re-issued the token of member M02"), "{out}");

    // The close seals the six (the final seal may be smaller than seven).
    app.teller_ok(&["election", "close", &id]);
    let (_, html) = get(&app, &officer, &format!("/staff/elections/{id}")).await;
    assert!(html.contains("6 of 12 members had voted as of the last seal"), "{html}");
    let (_, api) = app.get_json(&format!("/api/v1/elections/{id}")).await;
    assert_eq!(api["turnout"]["voted_as_of_last_seal"], 6);

    // After the close, delivery rows carry the close's time and nothing finer.
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    use diesel::RunQueryDsl;
    let count = |sql: &str| -> i64 { diesel::sql_query(sql).get_result::<N>(&mut app.db.conn()).unwrap().n };
    let rows = count("SELECT COUNT(*) AS n FROM deliveries WHERE kind <> 'notice'");
    assert!(rows >= 8, "{rows} delivery rows");
    assert_eq!(
        count("SELECT COUNT(DISTINCT updated_at) AS n FROM deliveries WHERE kind <> 'notice'"),
        1,
        "one time for every row"
    );
    let closed_at = record_time(&app.export(&id), "polls_closed");
    assert_eq!(
        count(&format!(
            "SELECT COUNT(*) AS n FROM deliveries WHERE kind <> 'notice' AND updated_at = {closed_at}"
        )),
        rows
    );
    if backend == Backend::Postgres {
        // Rewritten by the close and clustered: no older row versions, one writer.
        assert_eq!(
            count("SELECT COUNT(DISTINCT xmin::text) AS n FROM deliveries WHERE kind <> 'notice'"),
            1
        );
    }
}
on_both_backends!(
    staff_learn_who_voted_only_at_seals_of_at_least_min_ballots,
    turnout_only_at_seals
);

fn record_time(record: &teller_audit::record::Record, kind: &str) -> i64 {
    record
        .log
        .iter()
        .find(|e| e.entry.event.kind() == kind)
        .map(|e| e.entry.time)
        .unwrap()
}

async fn replaced_codes_are_visible(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with_mail(backend, Some(sink.url())).await;
    let (id, tokens) = open_election(&app, 1, 3, 1);
    add_staff(&app, "olga", "officer", "officer password!");
    let officer = sign_in(&app, "olga", "officer password!", "").await.unwrap();
    let replace = format!("/staff/elections/{id}/replace");

    // The attack: a letter for a member who has e-mail; the officer sees the
    // code and votes with it.
    let (status, html) = post(&app, &officer, &replace, &[("member_id", "M00"), ("how", "letter")]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let at = html.find("class=\"letter-code\">").unwrap() + "class=\"letter-code\">".len();
    let code = html[at..at + 34].to_string();
    assert_eq!(app.cast(&id, &code, example_choices(0)).await.0, 201);
    assert_eq!(app.cast(&id, &tokens[0].1, example_choices(0)).await.0, 403);
    // … but the member is told, at their address, with how to object.
    let notice = wait_for_mail(&sink, "member0@example.org").await;
    assert!(
        notice.data.contains("Subject: A new voting code was issued for you in"),
        "{}",
        notice.data
    );
    let text = decoded(&notice.data);
    assert!(
        text.contains("If you did not ask for a new code, someone may be trying to vote in your name"),
        "{text}"
    );
    assert!(text.contains(&format!("/e/{id}")), "{text}");
    assert!(!text.contains("/v/"), "a notice carries no code");
    assert!(!text.contains(&code[..9]), "a notice carries no code");

    // From the command line too (the server sends the notice).
    app.teller_ok(&["tokens", "reissue", &id, "M01"]);
    wait_for_mail(&sink, "member1@example.org").await;
    // By e-mail, the new code itself goes to the member, with the warning.
    let (status, html) = post(&app, &officer, &replace, &[("member_id", "M02"), ("how", "email")]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let mail = wait_for_mail(&sink, "member2@example.org").await;
    assert!(mail.data.contains("Your new voting code"), "{}", mail.data);
    assert!(
        decoded(&mail.data).contains("someone may be trying to vote in your name"),
        "{}",
        mail.data
    );
    // Without e-mail, nobody can be told (SECURITY.md says so); it is counted all the same.
    let (status, _) = post(&app, &officer, &replace, &[("member_id", "M03"), ("how", "letter")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sink.received().len(), 3, "{:?}", sink.received());

    // The record and the tellers' report count the four replacements.
    app.teller_ok(&["election", "close", &id]);
    app.teller_ok(&["election", "tally", &id]);
    let record = app.export(&id);
    let report = teller_audit::verify::verify_record(&record, &[]);
    assert!(report.ok(), "{report}");
    assert!(
        report.to_string().contains("4 replaced by staff (token_reissued)"),
        "{report}"
    );
    let (status, html) = get(&app, &officer, &format!("/staff/elections/{id}/report")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Voting codes replaced by staff</th><td>4 (lost codes re-issued"),
        "{html}"
    );
}
on_both_backends!(
    a_replaced_code_is_told_to_the_member_and_counted,
    replaced_codes_are_visible
);

/// The first message to `address`, waiting up to 15 s for the sender.
async fn wait_for_mail(sink: &SmtpSink, address: &str) -> common::smtp::Mail {
    let started = std::time::Instant::now();
    loop {
        if let Some(m) = sink.received().into_iter().find(|m| m.to[0].contains(address)) {
            return m;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(15),
            "nothing reached {address}: {:?}",
            sink.received()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// A message's text with quoted-printable soft breaks and escapes undone.
fn decoded(data: &str) -> String {
    let joined = data.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'=', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
