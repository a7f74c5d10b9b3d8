//! Teller's pages in real Chromium (tests/browser/run.mjs, Playwright): a
//! member votes by keyboard alone with JavaScript off at 360 pixels and with
//! it on at 1,280; an officer signs in, closes the polls, counts and opens the
//! tellers' report. Every page must pass axe-core (WCAG 2.1 A/AA and best
//! practice) with no violation, fit a 360-pixel screen, and load nothing from
//! another origin.
//!
//! Needs Chromium at /usr/bin/chromium and `npm ci --prefix tests/browser`;
//! compiled in when `TELLER_BROWSER_TESTS=1` at build time, ignored otherwise.
//! `TELLER_SCREENSHOTS=docs/screenshots` also rewrites the docs' screenshots.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::staff::add_staff;
use common::{example_choices, Backend, TestApp};
use serde_json::json;

/// The officer and administrator the staff flow signs in as.
const OFFICER: (&str, &str) = ("olga", "officer password!");
const ADMIN: (&str, &str) = ("ada", "administrator password");

/// The node script's own limit is shorter; this one catches a hung browser.
const LIMIT: Duration = Duration::from_secs(240);

/// Cast `n` ballots through the JSON API with the given codes and seal them,
/// so the election has a public log to look trackers up in; returns the
/// trackers.
async fn cast_and_seal(app: &TestApp, id: &str, codes: &[(String, String)]) -> Vec<String> {
    let mut trackers = Vec::new();
    for (i, (_, code)) in codes.iter().enumerate() {
        let (status, receipt) = app.cast(id, code, example_choices(i + 1)).await;
        assert_eq!(status, 201, "{receipt}");
        trackers.push(receipt["tracker"].as_str().unwrap().to_string());
    }
    app.teller_ok(&["seal", id]);
    trackers
}

/// Create the election in `file`, give it `members` members with codes and
/// open it, as `open_example` does for the example; returns id and codes.
fn open_election(app: &TestApp, file: &Path, members: usize) -> (String, Vec<(String, String)>) {
    let out = app.teller_ok(&["election", "create", file.to_str().unwrap()]);
    let id = out.trim().lines().last().unwrap().to_string();
    let roll = app.path(&format!("roll-{id}.csv"));
    std::fs::write(&roll, common::roll_csv(members)).unwrap();
    app.teller_ok(&["voters", "import", &id, roll.to_str().unwrap()]);
    let tokens = app.path(&format!("tokens-{id}.csv"));
    app.teller_ok(&["tokens", "issue", &id, "--out", tokens.to_str().unwrap()]);
    app.teller_ok(&["election", "open", &id]);
    (id, common::read_tokens(&tokens))
}

async fn browser_flows(backend: Backend) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(
        root.join("tests/browser/node_modules/playwright-core").is_dir(),
        "the browser tests need their Node packages: run `npm ci --prefix tests/browser`"
    );
    let app = TestApp::spawn(backend).await;

    // The members' election, presented as the demo's is: the society's
    // look, the election's texts in Spanish, Board candidates with photos
    // and profiles (set while a draft); then open, five ballots sealed.
    let (member_election, codes) = app.draft_with_tokens(include_str!("../examples/board-election.toml"), 12);
    {
        let mut conn = app.db.conn();
        let def = teller::store::elections::find(&mut conn, &member_election)
            .unwrap()
            .unwrap()
            .definition()
            .unwrap();
        teller::cli::demo::demo_presentation(&mut conn, &member_election, &def).unwrap();
        teller::cli::demo::demo_organisation(&mut conn, "cli:test").unwrap();
    }
    app.teller_ok(&["election", "open", &member_election]);
    // Each server reloads the profile within organisation::REFRESH.
    let waited = Instant::now();
    while !app
        .http
        .get(app.url("/brand.css"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .contains("#0b5d3b")
    {
        assert!(
            waited.elapsed() < Duration::from_secs(30),
            "the server never loaded the profile"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let sealed = cast_and_seal(&app, &member_election, &codes[4..9]).await;

    // Ranked, approval, cumulative and Schulze contests, for a third member.
    let (ranked_election, ranked_codes) = open_election(&app, &root.join("tests/data/ranked-election.toml"), 3);

    // The staff's election: open, with a seal's worth of ballots, to close and count.
    let (staff_election, staff_codes) = app.open_example(10);
    cast_and_seal(&app, &staff_election, &staff_codes[..6]).await;
    add_staff(&app, OFFICER.0, "officer", OFFICER.1);
    add_staff(&app, ADMIN.0, "administrator", ADMIN.1);

    let screenshots = std::env::var("TELLER_SCREENSHOTS")
        .ok()
        .filter(|d| !d.is_empty())
        .map(|d| root.join(d).to_string_lossy().into_owned());
    let fixture = json!({
        "base": app.base,
        "member_election": member_election,
        "codes": [codes[0].1, codes[1].1, codes[2].1, codes[3].1],
        "sealed_tracker": sealed[0],
        "ranked_election": ranked_election,
        "ranked_code": ranked_codes[0].1,
        "staff_election": staff_election,
        "officer": {"username": OFFICER.0, "password": OFFICER.1},
        "admin": {"username": ADMIN.0, "password": ADMIN.1},
        "out": app.path("browser").to_string_lossy(),
        "screenshots": screenshots,
    });
    let fixture_path = app.path("browser-fixture.json");
    std::fs::write(&fixture_path, serde_json::to_vec_pretty(&fixture).unwrap()).unwrap();

    let stdout_path = app.path("browser.out");
    let stderr_path = app.path("browser.err");
    let (stdout_file, stderr_file) = (
        std::fs::File::create(&stdout_path).unwrap(),
        std::fs::File::create(&stderr_path).unwrap(),
    );
    let script = root.join("tests/browser/run.mjs");
    let started = Instant::now();
    // The server runs on this runtime: wait for node on a blocking thread.
    let status = tokio::task::spawn_blocking(move || {
        let mut child = Command::new("node")
            .arg(script)
            .arg(&fixture_path)
            .current_dir(root)
            .stdin(Stdio::null())
            .stdout(stdout_file)
            .stderr(stderr_file)
            .spawn()
            .expect("node (Node.js 20 or later) must be on PATH");
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return Some(status);
            }
            if started.elapsed() > LIMIT {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    })
    .await
    .unwrap();
    let stdout = std::fs::read_to_string(&stdout_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    println!("{stdout}");
    eprintln!("{stderr}");
    println!("browser flows took {:.1} s", started.elapsed().as_secs_f64());
    let status = status.unwrap_or_else(|| panic!("the browser flows did not finish within {LIMIT:?}"));
    assert!(
        status.success(),
        "the browser flows failed ({status}):\n{stdout}\n{stderr}"
    );
}

/// Run `node SCRIPT FIXTURE` from the repository's root within [`LIMIT`]
/// (on a blocking thread: the server runs on this runtime); prints its
/// output, and fails the test if it fails.
async fn run_node(app: &TestApp, script: &str, fixture: serde_json::Value) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(
        root.join("tests/browser/node_modules/playwright-core").is_dir(),
        "the browser tests need their Node packages: run `npm ci --prefix tests/browser`"
    );
    let name = Path::new(script).file_stem().unwrap().to_string_lossy().into_owned();
    let fixture_path = app.path(&format!("{name}-fixture.json"));
    std::fs::write(&fixture_path, serde_json::to_vec_pretty(&fixture).unwrap()).unwrap();
    let stdout_path = app.path(&format!("{name}.out"));
    let stderr_path = app.path(&format!("{name}.err"));
    let (stdout_file, stderr_file) = (
        std::fs::File::create(&stdout_path).unwrap(),
        std::fs::File::create(&stderr_path).unwrap(),
    );
    let script = root.join(script);
    let started = Instant::now();
    let status = tokio::task::spawn_blocking(move || {
        let mut child = Command::new("node")
            .arg(script)
            .arg(&fixture_path)
            .current_dir(root)
            .stdin(Stdio::null())
            .stdout(stdout_file)
            .stderr(stderr_file)
            .spawn()
            .expect("node (Node.js 20 or later) must be on PATH");
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return Some(status);
            }
            if started.elapsed() > LIMIT {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    })
    .await
    .unwrap();
    let stdout = std::fs::read_to_string(&stdout_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    println!("{stdout}");
    eprintln!("{stderr}");
    println!("{name} took {:.1} s", started.elapsed().as_secs_f64());
    let status = status.unwrap_or_else(|| panic!("{name} did not finish within {LIMIT:?}"));
    assert!(status.success(), "{name} failed ({status}):\n{stdout}\n{stderr}");
}

/// An encrypted election's ballot, JavaScript on (tests/browser/encrypted.mjs):
/// the member encrypts, checks the encryption, encrypts again and casts;
/// then the database holds one encrypted ballot and one audited ballot,
/// and no POST the page sent carried a mark.
async fn encrypted_flow(backend: Backend) {
    // A mail server, so that the booth offers the confirmation box.
    let sink = common::smtp::SmtpSink::start().await;
    let app = TestApp::spawn_with_mail(backend, Some(sink.url())).await;
    // The demo's encrypted election: its trustees' whole key ceremony run
    // with the code a trustee runs, then its polls opened.
    let dir = app.path("encrypted-demo");
    std::fs::create_dir_all(&dir).unwrap();
    let demo = {
        let mut conn = app.db.conn();
        let demo =
            teller::cli::demo_encrypted::create(&mut conn, &common::secret(), &dir, &app.base, 3, "cli:test").unwrap();
        // Confirmation e-mails on (a draft's setting, set here after the
        // fact: the demo's election does not send them).
        use diesel::prelude::*;
        diesel::sql_query(format!(
            "UPDATE elections SET send_confirmations = TRUE WHERE id = '{}'",
            demo.id
        ))
        .execute(&mut conn)
        .unwrap();
        demo
    };
    let out = app.path("encrypted-browser");
    run_node(
        &app,
        "tests/browser/encrypted.mjs",
        json!({
            "base": app.base,
            "link": demo.links[0].1,
            "election": demo.id,
            "out": out.to_string_lossy(),
        }),
    )
    .await;

    let mut conn = app.db.conn();
    let bodies = teller::store::ballots::all_bodies(&mut conn, &demo.id).unwrap();
    assert_eq!(bodies.len(), 1, "one ballot cast");
    let mut body: serde_json::Value = serde_json::from_str(&bodies[0].1).unwrap();
    assert_eq!(body["format"], "teller-encrypted-ballot/1", "{body}");
    assert!(body.get("choices").is_none(), "no plain choices stored: {body}");
    // It passes the cast checks, as stored.
    let enc = teller::ops::encrypted::Encryption::load(&mut conn, &demo.id)
        .unwrap()
        .unwrap();
    body["election"] = serde_json::Value::String(demo.id.clone());
    let bytes = teller_audit::canonical::value_to_bytes(&body).unwrap();
    let ballot = teller_audit::encrypted::cast::read_ballot(&bytes).unwrap();
    assert_eq!(ballot.tracker().to_hex(), bodies[0].0);
    let ctx = enc.cast_context();
    ctx.check_ballot(&ballot, ballot.weight).unwrap();
    ctx.check_proofs(&ballot, &mut teller_audit::encrypted::group::OsRandom)
        .unwrap();
    assert_eq!(teller::store::ballots::audited_count(&mut conn, &demo.id).unwrap(), 1);
    // The member ticked the booth's confirmation box: a confirmation of
    // the cast ballot's tracker waits for its seal.
    {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            tracker: String,
        }
        let rows: Vec<Row> = diesel::sql_query(format!(
            "SELECT tracker FROM confirmations WHERE election_id = '{}'",
            demo.id
        ))
        .load(&mut conn)
        .unwrap();
        let trackers: Vec<&str> = rows.iter().map(|r| r.tracker.as_str()).collect();
        assert_eq!(trackers, [bodies[0].0.as_str()], "one confirmation, of the cast ballot");
    }
    // What the page posted: never a mark field.
    let posts: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(out.join("posts.json")).unwrap()).unwrap();
    assert_eq!(posts.len(), 2, "{posts:?}");
    for post in &posts {
        let body = post["body"].as_str().unwrap();
        let fields: Vec<String> = if post["url"] == "/ballot/cast" {
            url::form_urlencoded::parse(body.as_bytes())
                .map(|(k, _)| k.into_owned())
                .collect()
        } else {
            vec![]
        };
        assert!(
            fields.iter().all(|k| k == "encrypted_ballot" || k == "confirm"),
            "{}: {fields:?}",
            post["url"]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    not(teller_browser_tests),
    ignore = "needs Chromium and `npm ci --prefix tests/browser`; build with TELLER_BROWSER_TESTS=1 to run"
)]
async fn an_encrypted_ballot_in_chromium() {
    // SQLite only, as the flows below.
    encrypted_flow(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    not(teller_browser_tests),
    ignore = "needs Chromium and `npm ci --prefix tests/browser`; build with TELLER_BROWSER_TESTS=1 to run"
)]
async fn member_and_staff_flows_in_chromium() {
    // SQLite only: the pages do not depend on the database, the other tests
    // cover PostgreSQL, and a second run would double the ~45 s this takes.
    browser_flows(Backend::Sqlite).await
}
