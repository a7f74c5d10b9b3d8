//! Retention of personal data (issue 11): `teller election purge` deletes an
//! election's roll, delivery records and roll uploads once its result is
//! final and the recount window has passed — asking twice, refusing
//! before, changing nothing when not confirmed — and the record exported
//! afterwards is byte for byte the one before, and verifies. With `serve
//! --auto-purge` the scheduler does the same unasked.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::time::{Duration, Instant};

use common::process::{cast_once, Attempt, Deployment};
use common::staff::{act, add_staff, get, sign_in};
use common::{example_choices, Backend, TestApp};
use diesel::prelude::*;
use teller_audit::verify::verify_record;

fn count(conn: &mut teller::db::AnyConnection, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let q = diesel::sql_query(sql);
    match conn {
        teller::db::AnyConnection::Sqlite(c) => q.get_result::<N>(c),
        teller::db::AnyConnection::Postgresql(c) => q.get_result::<N>(c),
    }
    .unwrap()
    .n
}

fn export_bytes(app: &TestApp, id: &str) -> Vec<u8> {
    let out = app.path(&format!("record-{}.json", uuid::Uuid::new_v4().simple()));
    app.teller_ok(&["export", id, "--out", out.to_str().unwrap()]);
    std::fs::read(out).unwrap()
}

fn refused(out: &std::process::Output, words: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "expected a refusal: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(stderr.contains(words), "expected {words:?} in: {stderr}");
}

/// The SQLite database's files, as bytes someone with the disk would read.
fn sqlite_bytes(app: &TestApp) -> Vec<u8> {
    let mut all = Vec::new();
    for suffix in ["", "-wal"] {
        if let Ok(b) = std::fs::read(format!("{}{suffix}", app.db.url)) {
            all.extend(b);
        }
    }
    all
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

async fn purge_after_the_recount_window(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (id, tokens) = app.open_example(12);
    for (i, (_, token)) in tokens.iter().take(8).enumerate() {
        assert_eq!(app.cast(&id, token, example_choices(i)).await.0, 201);
    }
    // Delivery records, as `serve` keeps them for codes it mailed.
    app.db.sql(&format!(
        "INSERT INTO deliveries (election_id, member_id, kind, status, attempts, error, updated_at) VALUES \
         ('{id}', 'M00003', 'invitation', 'sent', 1, NULL, 0), ('{id}', 'M00004', 'reminder', 'failed', 3, 'mailbox full', 0)"
    ));
    let purge = |window: &str, input: &str| {
        app.teller_answering(&["election", "purge", &id, "--recount-window-days", window], input)
    };
    let answers = format!("{id}\nDELETE\n");

    // Not while the result is not final.
    refused(&purge("0", &answers), "the result is not final yet");
    app.teller_ok(&["election", "close", &id]);
    app.teller_ok(&["election", "tally", &id]);
    let before = export_bytes(&app, &id);

    // Not inside the recount window (90 days by default).
    refused(
        &app.teller_answering(&["election", "purge", &id], &answers),
        "the recount window is still open",
    );
    // Not without both confirmations: a wrong id, a wrong word, no answer.
    refused(&purge("0", "not-the-id\nDELETE\n"), "nothing was deleted");
    refused(&purge("0", &format!("{id}\ndelete\n")), "nothing was deleted");
    refused(&purge("0", &format!("{id}\n")), "nothing was deleted");
    let mut conn = app.db.conn();
    let members = format!("SELECT COUNT(*) AS n FROM members WHERE election_id = '{id}'");
    let deliveries = format!("SELECT COUNT(*) AS n FROM deliveries WHERE election_id = '{id}'");
    assert_eq!(count(&mut conn, &members), 12, "a refused purge deleted members");
    assert_eq!(count(&mut conn, &deliveries), 2);
    if backend == Backend::Sqlite {
        drop(conn);
        let bytes = sqlite_bytes(&app);
        assert!(contains(&bytes, "member3@example.org") && contains(&bytes, "Member 3"));
        conn = app.db.conn();
    }

    // Confirmed twice, after the window: deleted.
    let out = purge("0", &answers);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("12 members' ids, names, e-mail addresses"), "{said}");
    assert!(
        said.contains("Deleted the personal data") && said.contains("12 members, 2 delivery records"),
        "{said}"
    );
    assert_eq!(count(&mut conn, &members), 0);
    assert_eq!(count(&mut conn, &deliveries), 0);
    assert_eq!(
        count(&mut conn, &format!("SELECT COUNT(*) AS n FROM purges WHERE election_id = '{id}' AND actor LIKE 'cli:%' AND members = 12 AND voted = 8")),
        1
    );
    if backend == Backend::Sqlite {
        // Rewritten, so not even free pages hold the names and addresses.
        drop(conn);
        let bytes = sqlite_bytes(&app);
        for gone in ["member3@example.org", "Member 3", "M00003"] {
            assert!(!contains(&bytes, gone), "{gone:?} is still in the database file");
        }
    }

    // The record is exactly what it was, and verifies.
    let after = export_bytes(&app, &id);
    assert!(before == after, "the record changed with the purge");
    let record: teller_audit::record::Record = serde_json::from_slice(&after).unwrap();
    assert_eq!((record.counts.eligible, record.counts.tokens_used), (12, 8));
    let report = verify_record(&record, &[]);
    assert!(report.ok(), "{report}");
    // The public results and status still read.
    assert_eq!(app.get_json(&format!("/api/v1/elections/{id}/results")).await.0, 200);
    assert!(app.teller_ok(&["status", &id]).contains(&id));

    // Once is all.
    refused(&purge("0", &answers), "was deleted on");
}

on_both_backends!(purge, purge_after_the_recount_window);

async fn the_scheduler_purges_when_asked(backend: Backend) {
    let d = Deployment::new(backend);
    let (id, tokens) = d.open_election(6);
    let server = d.serve_with(&["--auto-purge", "--recount-window-days", "0"], &[]).await;
    let http = reqwest::Client::new();
    for (i, token) in tokens.iter().take(3).enumerate() {
        assert!(matches!(
            cast_once(&http, &server.base, &id, token, example_choices(i)).await,
            Attempt::Cast(_)
        ));
    }
    // Open and closed elections are not touched.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(d.count("SELECT COUNT(*) AS n FROM purges"), 0);
    d.teller_ok(&["election", "close", &id]);
    d.teller_ok(&["election", "tally", &id]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while d.count("SELECT COUNT(*) AS n FROM purges") == 0 {
        assert!(
            Instant::now() < deadline,
            "no purge within 30 s:\n{}",
            server.log_tail(20)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        d.count(&format!("SELECT COUNT(*) AS n FROM members WHERE election_id = '{id}'")),
        0
    );
    assert_eq!(
        d.count("SELECT COUNT(*) AS n FROM purges WHERE actor = 'scheduler' AND members = 6 AND voted = 3"),
        1
    );
    let record = d.export(&id);
    let report = verify_record(&record, &[]);
    assert!(report.ok(), "{report}");
    assert_eq!(record.counts.eligible, 6);
    assert!(
        server.log_text().contains("personal data deleted"),
        "{}",
        server.log_tail(20)
    );
}

on_both_backends!(scheduled_purge, the_scheduler_purges_when_asked);

/// In the console, an officer is asked twice — the button, then the
/// election's title typed — and an observer cannot delete at all.
async fn purge_in_the_console(backend: Backend) {
    let app = TestApp::spawn_configured(backend, None, None, |state| {
        state.set_retention(teller::web::Retention {
            window_days: 0,
            auto_purge: false,
        })
    })
    .await;
    let (id, tokens) = app.open_example(5);
    for (i, (_, token)) in tokens.iter().take(2).enumerate() {
        assert_eq!(app.cast(&id, token, example_choices(i)).await.0, 201);
    }
    add_staff(&app, "olga", "officer", "officer password!");
    add_staff(&app, "oscar", "observer", "observer password!");
    let officer = sign_in(&app, "olga", "officer password!", "").await.unwrap();
    let observer = sign_in(&app, "oscar", "observer password!", "").await.unwrap();
    let page = format!("/staff/elections/{id}");
    let (_, html) = get(&app, &officer, &page).await;
    assert!(!html.contains("Personal data"), "offered before the count: {html}");
    app.teller_ok(&["election", "close", &id]);
    app.teller_ok(&["election", "tally", &id]);
    let before = export_bytes(&app, &id);
    let title = app.export(&id).election.definition.title.clone();
    let members = format!("SELECT COUNT(*) AS n FROM members WHERE election_id = '{id}'");

    let (_, html) = get(&app, &officer, &page).await;
    assert!(
        html.contains("5 members&#x27; ids") || html.contains("5 members' ids"),
        "{html}"
    );
    assert!(html.contains("Delete personal data…"), "{html}");
    // The first click only asks again.
    let (status, html) = act(&app, &officer, &id, &[("action", "purge-review")]).await;
    assert_eq!(status.as_u16(), 200);
    assert!(
        html.contains("Type the election&#x27;s title") || html.contains("Type the election's title"),
        "{html}"
    );
    assert_eq!(count(&mut app.db.conn(), &members), 5);
    // A wrong title, or an observer: nothing deleted.
    let (status, html) = act(
        &app,
        &officer,
        &id,
        &[("action", "purge"), ("confirm", "Some other election")],
    )
    .await;
    assert_eq!(status.as_u16(), 422, "{html}");
    assert!(html.contains("nothing was deleted"), "{html}");
    let (status, _) = act(&app, &observer, &id, &[("action", "purge"), ("confirm", &title)]).await;
    assert_eq!(status.as_u16(), 403);
    assert_eq!(count(&mut app.db.conn(), &members), 5);
    // The title typed: deleted, and said so from then on.
    let (status, html) = act(&app, &officer, &id, &[("action", "purge"), ("confirm", &title)]).await;
    assert_eq!(status.as_u16(), 200, "{html}");
    assert!(
        html.contains("Deleted the personal data: the roll of 5 members"),
        "{html}"
    );
    assert_eq!(count(&mut app.db.conn(), &members), 0);
    let (_, html) = get(&app, &officer, &page).await;
    assert!(
        html.contains("was deleted on") && html.contains("by staff:olga"),
        "{html}"
    );
    assert!(!html.contains("Delete personal data…"));
    assert!(export_bytes(&app, &id) == before, "the record changed");
}

on_both_backends!(console_purge, purge_in_the_console);
