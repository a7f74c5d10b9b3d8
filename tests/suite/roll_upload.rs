//! Issue 15, finding 9: a large roll through the console. The upload is read
//! as it arrives and kept in the database between the preview and the
//! confirmation (never carried back through the page); the confirmation
//! posts only the upload's id, which works only for the officer and session
//! that uploaded it, for its election, once, within the hour.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::staff::{add_staff, csrf_of, get, sign_in};
use common::{Backend, TestApp};
use diesel::prelude::*;
use reqwest::StatusCode;
use teller::db::schema::{members, roll_upload_rows, roll_uploads};

const MEMBERS: usize = 50_000;

/// A roll with the columns an organisation's export has.
fn realistic_roll(members: usize) -> String {
    let mut s = String::from("member_id,name,email,weight,branch,joined,phone\n");
    for i in 0..members {
        s.push_str(&format!(
            "PT{i:07},\"Member {i}, Pharmacy Technician\",member.{i}@example-society.org,{},Branch {},20{:02}-0{}-1{},+44 20 7946 {:04}\n",
            1 + i % 3,
            i % 40,
            i % 25,
            1 + i % 9,
            i % 10,
            i % 10_000
        ));
    }
    s
}

async fn upload(app: &TestApp, cookie: &str, election: &str, csv: String) -> (StatusCode, String) {
    let (_, page) = get(app, cookie, &format!("/staff/elections/{election}")).await;
    let form = reqwest::multipart::Form::new().text("csrf", csrf_of(&page)).part(
        "roll",
        reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("members.csv"),
    );
    let res = app
        .http
        .post(app.url(&format!("/staff/elections/{election}/roll")))
        .header("cookie", cookie)
        .multipart(form)
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

fn upload_id(html: &str) -> String {
    let at = html.find("name=\"upload\" value=\"").expect(html) + "name=\"upload\" value=\"".len();
    html[at..at + html[at..].find('"').unwrap()].to_string()
}

async fn post(app: &TestApp, cookie: &str, path: &str, csrf: &str, upload: &str) -> (StatusCode, String) {
    let res = app
        .http
        .post(app.url(path))
        .header("cookie", cookie)
        .form(&[("csrf", csrf), ("upload", upload)])
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

/// (members on `election`'s roll, uploads waiting, rows waiting).
fn stored(app: &TestApp, election: &str) -> (i64, i64, i64) {
    let mut conn = app.db.conn();
    let on_roll = members::table
        .filter(members::election_id.eq(election))
        .count()
        .get_result(&mut conn)
        .unwrap();
    let uploads = roll_uploads::table.count().get_result(&mut conn).unwrap();
    let rows = roll_upload_rows::table.count().get_result(&mut conn).unwrap();
    (on_roll, uploads, rows)
}

fn create(app: &TestApp) -> String {
    let toml = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/board-election.toml");
    app.teller_ok(&["election", "create", toml.to_str().unwrap()])
        .trim()
        .lines()
        .last()
        .unwrap()
        .to_string()
}

async fn large_roll(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (id, other_election) = (create(&app), create(&app));
    add_staff(&app, "olga", "officer", "officer password!");
    add_staff(&app, "otto", "officer", "another officer password!");
    let olga = sign_in(&app, "olga", "officer password!", "").await.unwrap();
    let olga_again = sign_in(&app, "olga", "officer password!", "").await.unwrap();
    let otto = sign_in(&app, "otto", "another officer password!", "").await.unwrap();
    let confirm = format!("/staff/elections/{id}/roll/confirm");

    // The preview: small, whatever the size of the roll.
    let csv = realistic_roll(MEMBERS);
    let size = csv.len();
    let (status, html) = upload(&app, &olga, &id, csv).await;
    assert_eq!(status, StatusCode::OK, "{}", &html[..html.len().min(3000)]);
    assert!(
        html.contains(&format!("{MEMBERS} members read from <strong>members.csv</strong>")),
        "{html}"
    );
    assert!(
        html.contains("<td>PT0000009</td>") && !html.contains("PT0000010"),
        "the first ten rows only"
    );
    assert!(html.contains("<td>Phone</td><td>ignored</td>") || html.contains("<td>phone</td><td>ignored</td>"));
    assert!(
        html.len() < 20_000,
        "the preview of a {size}-byte roll is {} bytes",
        html.len()
    );
    let upload = upload_id(&html);
    assert_eq!(upload.len(), 32, "128 random bits: {upload}");
    let csrf = csrf_of(&html);
    assert_eq!(
        stored(&app, &id),
        (0, 1, MEMBERS as i64),
        "kept on the server, not yet imported"
    );

    // Attacks on the confirmation: each is refused and changes nothing.
    let unchanged = || async { assert_eq!(stored(&app, &id), (0, 1, MEMBERS as i64)) };
    let forged = "0123456789abcdef0123456789abcdef";
    let (status, html) = post(&app, &olga, &confirm, &csrf, forged).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a guessed id: {html}");
    assert!(html.contains("not waiting to be imported"), "{html}");
    unchanged().await;
    let (status, _) = post(&app, &olga, &confirm, &csrf, &format!("{upload}' OR '1'='1")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    unchanged().await;
    let (_, otto_page) = get(&app, &otto, "/staff").await;
    let (status, html) = post(&app, &otto, &confirm, &csrf_of(&otto_page), &upload).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "another officer: {html}");
    unchanged().await;
    let (status, _) = post(
        &app,
        &otto,
        &format!("/staff/elections/{id}/roll/cancel"),
        &csrf_of(&otto_page),
        &upload,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "cancelling what is not yours does nothing");
    unchanged().await;
    let (_, again_page) = get(&app, &olga_again, "/staff").await;
    let (status, _) = post(&app, &olga_again, &confirm, &csrf_of(&again_page), &upload).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the same officer in another session"
    );
    unchanged().await;
    let other_confirm = format!("/staff/elections/{other_election}/roll/confirm");
    let (status, _) = post(&app, &olga, &other_confirm, &csrf, &upload).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "another election");
    assert_eq!(stored(&app, &other_election).0, 0);
    unchanged().await;
    let (status, _) = post(&app, &olga, &confirm, "not-the-token", &upload).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a forged form");
    unchanged().await;

    // The officer's own confirmation imports every row, once, and the
    // stored upload is gone.
    let (status, html) = post(&app, &olga, &confirm, &csrf, &upload).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains(&format!("Imported {MEMBERS} members")), "{html}");
    assert_eq!(stored(&app, &id), (MEMBERS as i64, 0, 0));
    let (status, _) = post(&app, &olga, &confirm, &csrf, &upload).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a second confirmation");
    assert_eq!(stored(&app, &id), (MEMBERS as i64, 0, 0));
    let mut conn = app.db.conn();
    let weights: Vec<String> = members::table
        .filter(members::election_id.eq(&id))
        .filter(members::member_id.eq_any(["PT0000000", "PT0049999"]))
        .order(members::member_id)
        .select(members::weight)
        .load(&mut conn)
        .unwrap();
    assert_eq!(weights, vec!["1", "2"]);
    let record = app.export(&id);
    let imports: Vec<u64> = record
        .log
        .iter()
        .filter_map(|e| match &e.entry.event {
            teller_audit::log::Event::RollImported { added, actor, .. } if actor == "staff:olga" => Some(*added),
            _ => None,
        })
        .collect();
    assert_eq!(imports, vec![MEMBERS as u64], "one log entry");
    // The stored turnout figures staff and the public read count the new roll.
    let figures = teller::ops::status::status(&mut conn, &id).unwrap();
    assert_eq!(figures.eligible, MEMBERS as u64);
}
on_both_backends!(
    a_large_roll_is_kept_server_side_and_only_its_uploader_can_confirm_it,
    large_roll
);

async fn problems_cancel_and_stale(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let id = create(&app);
    add_staff(&app, "olga", "officer", "officer password!");
    let olga = sign_in(&app, "olga", "officer password!", "").await.unwrap();

    // Every row bad: the page lists the first 200 and counts the rest; nothing is kept.
    let mut csv = String::from("member_id,name,email\n");
    for i in 0..1_000 {
        csv.push_str(&format!("M{i},Member {i},not-an-address-{i}\n"));
    }
    let (status, html) = upload(&app, &olga, &id, csv).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("The roll has 1000 problems; nothing was imported"),
        "{html}"
    );
    assert!(html.contains("… and 800 more problems not listed here"), "{html}");
    assert_eq!(html.matches("is not a valid e-mail address").count(), 200);
    assert!(!html.contains("name=\"upload\""));
    assert_eq!(stored(&app, &id), (0, 0, 0), "nothing of a bad roll is kept");

    // Ids already on the roll are found against the stored upload.
    let (status, html) = upload(&app, &olga, &id, realistic_roll(3)).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let (status, _) = post(
        &app,
        &olga,
        &format!("/staff/elections/{id}/roll/confirm"),
        &csrf_of(&html),
        &upload_id(&html),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, html) = upload(&app, &olga, &id, realistic_roll(5)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("member id \"PT0000002\" is already on this election&#x27;s roll")
            || html.contains("member id &quot;PT0000002&quot; is already on this election"),
        "{html}"
    );
    assert_eq!(stored(&app, &id), (3, 0, 0));

    // Cancelling deletes the upload.
    let more = "member_id,name,email\nN1,Nan,nan@example.org\nN2,Ned,\n".to_string();
    let (status, html) = upload(&app, &olga, &id, more.clone()).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert_eq!(stored(&app, &id), (3, 1, 2));
    let (status, html) = post(
        &app,
        &olga,
        &format!("/staff/elections/{id}/roll/cancel"),
        &csrf_of(&html),
        &upload_id(&html),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("discarded; nothing was imported"), "{html}");
    assert_eq!(stored(&app, &id), (3, 0, 0));

    // An upload left for more than an hour cannot be confirmed and is swept.
    let (_, html) = upload(&app, &olga, &id, more.clone()).await;
    let (stale, csrf) = (upload_id(&html), csrf_of(&html));
    app.db.sql("UPDATE roll_uploads SET created_at = created_at - 3601");
    let (status, _) = post(
        &app,
        &olga,
        &format!("/staff/elections/{id}/roll/confirm"),
        &csrf,
        &stale,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "stale");
    assert_eq!(stored(&app, &id).0, 3);
    let (status, html) = upload(&app, &olga, &id, more).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        stored(&app, &id),
        (3, 1, 2),
        "the stale upload was swept, the new one kept"
    );
    assert_ne!(upload_id(&html), stale);
    // ... and the scheduler sweeps one even when no other upload comes.
    app.db.sql("UPDATE roll_uploads SET created_at = created_at - 3601");
    teller::scheduler::pass(&mut app.db.conn(), &common::secret(), teller::time::now());
    assert_eq!(stored(&app, &id), (3, 0, 0), "swept by the scheduler");

    // The file before the form's token is refused unread.
    let form = reqwest::multipart::Form::new()
        .part(
            "roll",
            reqwest::multipart::Part::bytes(b"member_id,name,email\nZ1,Zed,\n".to_vec()).file_name("m.csv"),
        )
        .text("csrf", csrf);
    let res = app
        .http
        .post(app.url(&format!("/staff/elections/{id}/roll")))
        .header("cookie", &olga)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(stored(&app, &id), (3, 0, 0));
}
on_both_backends!(
    a_roll_with_problems_keeps_nothing_and_uploads_are_cancelled_or_swept,
    problems_cancel_and_stale
);
