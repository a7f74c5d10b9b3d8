//! The trustees' key ceremony run through Teller (audit/FORMAT.md
//! §16.1–§16.5, §16.9), on both backends: an encrypted election is
//! defined (and what §14.8 refuses is refused), staff name three trustees
//! (K = 2) in the console, and each trustee follows their page — download
//! the board, run the `teller-audit trustee` command the page shows (the
//! library function the binary runs, on files), upload the message — or
//! the JSON API. A refused message changes nothing; a bad share gets its
//! dealer excluded and the ceremony restarts without them; the polls
//! cannot open until the ceremony completes, and then they can; the log
//! holds every step in order. Staff can exclude an absent trustee. A
//! plain election has no trustees.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use clap::Parser;
use reqwest::StatusCode;
use serde_json::Value;
use teller_audit::encrypted::group::OsRandom;
use teller_audit::log::Event;
use teller_audit::trustees::ceremony::DealBody;
use teller_audit::trustees::cli::{run, TrusteeCommand};
use teller_audit::trustees::envelope::{Envelope, Round};
use teller_audit::trustees::files::{read_polynomial, read_secret_file};
use teller_audit::trustees::share::{seal, ShareContext};

use crate::common;
use common::staff::{act, add_staff, get, sign_in};
use common::{Backend, TestApp};

const PASSWORD: &str = "correct horse battery staple 9";

/// An election the trustees can encrypt: plurality without write-ins and
/// a referendum.
pub(crate) const ENCRYPTED: &str = r#"
title = "Encrypted board election"
encryption = "trustees"
trustees = 3
threshold = 2

[[contest]]
id = "directors"
title = "Directors"
method = "plurality"
seats = 2
[[contest.candidate]]
name = "Amara Okafor"
[[contest.candidate]]
name = "Daniel Brooks"
[[contest.candidate]]
name = "Priya Raman"

[[contest]]
id = "bylaw"
title = "Bylaw amendment"
method = "referendum"
threshold = "simple-majority"
"#;

/// `teller-audit trustee …`, parsed as the binary parses it.
#[derive(Parser)]
struct Audit {
    #[command(subcommand)]
    command: TrusteeCommand,
}

/// One trustee: their code, folder, and how they reach Teller.
pub(crate) struct Trustee {
    pub(crate) number: u32,
    pub(crate) code: String,
    pub(crate) dir: PathBuf,
    /// Signed in on the page (cookie), or `None` for the API.
    pub(crate) cookie: Option<String>,
}

impl Trustee {
    /// The page, as this trustee sees it.
    async fn page(&self, app: &TestApp) -> String {
        let res = app
            .http
            .get(app.url("/trustee"))
            .header("cookie", self.cookie.as_deref().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        res.text().await.unwrap()
    }

    /// Save the board file in the trustee's folder, from the page's link
    /// or the API.
    async fn download(&self, app: &TestApp, election: &str) {
        let req = match &self.cookie {
            Some(c) => app.http.get(app.url("/trustee/board.json")).header("cookie", c),
            None => app
                .http
                .get(app.url(&format!("/api/v1/elections/{election}/ceremony")))
                .bearer_auth(&self.code),
        };
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        std::fs::write(self.dir.join("board.json"), res.bytes().await.unwrap()).unwrap();
    }

    /// Run a `teller-audit trustee` command line in the trustee's folder
    /// (relative paths are the folder's); returns the file it wrote.
    fn run(&self, command: &str) -> PathBuf {
        let words: Vec<&str> = command.split_whitespace().collect();
        assert_eq!(&words[..2], ["teller-audit", "trustee"], "{command}");
        let mut args = vec!["teller-audit".to_string()];
        let mut out = None;
        let mut path_next = false;
        for w in &words[2..] {
            if path_next {
                let p = self.dir.join(w);
                if out.is_none() && args.last().is_some_and(|a| a == "--out") {
                    out = Some(p.clone());
                }
                args.push(p.to_str().unwrap().to_string());
                path_next = false;
            } else {
                path_next = matches!(*w, "--board" | "--dir" | "--out");
                args.push((*w).to_string());
            }
        }
        let parsed = Audit::try_parse_from(&args).unwrap();
        assert!(run(&parsed.command).unwrap(), "{command}: nothing to do");
        out.unwrap()
    }

    /// The command for this trustee's next message, from the page (or,
    /// on the API, the one the page would show).
    async fn next_command(&self, app: &TestApp, round: &str, attempt: u32) -> String {
        match &self.cookie {
            Some(_) => {
                let page = self.page(app).await;
                let at = page.find("<pre><code>").expect("the page shows a command") + "<pre><code>".len();
                page[at..at + page[at..].find("</code>").unwrap()].to_string()
            }
            None => {
                let (cmd, file) = match round {
                    "register" => (
                        format!("keygen --board board.json --trustee {}", self.number),
                        "register".into(),
                    ),
                    "commit" | "deal" => ("share --board board.json".to_string(), format!("{round}-{attempt}")),
                    other => (format!("{other} --board board.json"), format!("{other}-{attempt}")),
                };
                format!("teller-audit trustee {cmd} --dir teller-trustee --out {file}.json")
            }
        }
    }

    /// Upload a message file: on the page (the answer page), or the API
    /// (status and JSON).
    async fn upload(&self, app: &TestApp, election: &str, bytes: Vec<u8>) -> (StatusCode, String) {
        let res = match &self.cookie {
            Some(c) => {
                let form = reqwest::multipart::Form::new().part(
                    "message",
                    reqwest::multipart::Part::bytes(bytes).file_name("message.json"),
                );
                app.http
                    .post(app.url("/trustee/message"))
                    .header("cookie", c)
                    .multipart(form)
                    .send()
                    .await
                    .unwrap()
            }
            None => app
                .http
                .post(app.url(&format!("/api/v1/elections/{election}/ceremony/messages")))
                .bearer_auth(&self.code)
                .body(bytes)
                .send()
                .await
                .unwrap(),
        };
        (res.status(), res.text().await.unwrap())
    }

    /// Take a turn: download, run the command, upload; expect acceptance.
    pub(crate) async fn turn(&self, app: &TestApp, election: &str, round: &str, attempt: u32) -> PathBuf {
        self.download(app, election).await;
        let command = self.next_command(app, round, attempt).await;
        let file = self.run(&command);
        let (status, body) = self.upload(app, election, std::fs::read(&file).unwrap()).await;
        match &self.cookie {
            Some(_) => {
                assert_eq!(status, StatusCode::OK, "{body}");
                assert!(body.contains("Your message is accepted"), "{body}");
            }
            None => assert_eq!(status, StatusCode::CREATED, "{body}"),
        }
        file
    }
}

/// The ceremony's log entries, as (type, trustee, round or rule, attempt).
pub(crate) fn ceremony_log(app: &TestApp, election: &str) -> Vec<String> {
    let mut conn = app.db.conn();
    teller::store::log::entries(&mut conn, election)
        .unwrap()
        .into_iter()
        .filter_map(|c| match c.entry.event {
            Event::TrusteeNamed { trustee, .. } => Some(format!("named {trustee}")),
            Event::TrusteeRegistered { trustee, .. } => Some(format!("registered {trustee}")),
            Event::CeremonyMessage {
                attempt,
                trustee,
                round,
                ..
            } => Some(format!("{round} {attempt}/{trustee}")),
            Event::TrusteeExcluded {
                attempt,
                trustee,
                rule,
                actor,
            } => Some(format!(
                "excluded {attempt}/{trustee} {rule} {}",
                actor.unwrap_or_default()
            )),
            Event::CeremonyCompleted { attempt, .. } => Some(format!("completed {attempt}")),
            Event::PollsOpened { .. } => Some("polls_opened".into()),
            _ => None,
        })
        .collect()
}

/// `polls_opened.encryption` and `ceremony_completed`'s key and
/// verification keys.
#[allow(clippy::type_complexity)]
fn opened_and_completed(
    app: &TestApp,
    election: &str,
) -> (
    Option<teller_audit::log::OpenedEncryption>,
    Option<(
        teller_audit::encrypted::group::Element,
        Vec<(u32, teller_audit::encrypted::group::Element)>,
    )>,
) {
    let mut conn = app.db.conn();
    let mut opened = None;
    let mut completed = None;
    for c in teller::store::log::entries(&mut conn, election).unwrap() {
        match c.entry.event {
            Event::PollsOpened { encryption, .. } => opened = Some(encryption.expect("written by version 4")),
            Event::CeremonyCompleted {
                joint_key,
                verification_keys,
                ..
            } => {
                completed = Some((
                    joint_key,
                    verification_keys.iter().map(|k| (k.trustee, k.key)).collect(),
                ))
            }
            _ => {}
        }
    }
    (opened.expect("polls_opened"), completed)
}

pub(crate) fn count(app: &TestApp, sql: &str) -> i64 {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.db.conn();
    let rows: Vec<N> = diesel::sql_query(sql).load(&mut conn).unwrap();
    rows[0].n
}

/// Staff sign in and name the trustees; returns the codes.
pub(crate) async fn name_trustees(app: &TestApp, election: &str, names: &[&str]) -> (String, Vec<String>) {
    add_staff(app, "olga", "officer", PASSWORD);
    let cookie = sign_in(app, "olga", PASSWORD, "").await.unwrap();
    let (_, page) = get(app, &cookie, &format!("/staff/elections/{election}")).await;
    assert!(page.contains("Trustees and the key ceremony"), "{page}");
    assert!(page.contains("0 of 3 trustees named"), "{page}");
    let mut codes = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let email = if i == 0 { "ada@example.org" } else { "" };
        let (status, page) = act(
            app,
            &cookie,
            election,
            &[
                ("action", "name-trustee"),
                ("trustee_name", name),
                ("trustee_email", email),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let marker = "Their access code is ";
        let at = page.find(marker).unwrap_or_else(|| panic!("{page}")) + marker.len();
        codes.push(page[at..at + page[at..].find(':').unwrap()].to_string());
    }
    // All named: no more.
    let (status, page) = act(
        app,
        &cookie,
        election,
        &[("action", "name-trustee"), ("trustee_name", "Extra")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("all 3 trustees are named"), "{page}");
    (cookie, codes)
}

async fn trustee_cookie(app: &TestApp, code: &str) -> String {
    let res = app
        .http
        .post(app.url("/trustee"))
        .form(&[("code", code)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    cookie.split(';').next().unwrap().to_string()
}

pub(crate) fn folder(app: &TestApp, j: u32) -> PathBuf {
    let dir = app.path(&format!("trustee-{j}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Trustee `dealer`'s honest deal with the share for `victim` replaced by
/// one that opens but does not match the commitments.
fn bad_deal(dir: &Path, honest: &Path, victim: u32, victim_key: teller_audit::encrypted::group::Element) -> Vec<u8> {
    let secret = read_secret_file(&dir.join("teller-trustee")).unwrap();
    let e: Envelope = serde_json::from_slice(&std::fs::read(honest).unwrap()).unwrap();
    let mut body: DealBody = serde_json::from_value(e.body).unwrap();
    let poly = read_polynomial(&dir.join("teller-trustee"), &secret, e.attempt)
        .unwrap()
        .unwrap();
    let good = poly.evaluate(victim);
    let wrong = *good + *good;
    let ctx = ShareContext {
        election: &e.election,
        attempt: e.attempt,
        dealer: e.trustee,
        recipient: victim,
    };
    let at = body.shares.iter().position(|s| s.to == victim).unwrap();
    body.shares[at] = seal(&ctx, &victim_key, &wrong, &mut OsRandom);
    secret.sign(e.attempt, Round::Deal, &body).canonical_bytes()
}

/// An encrypted election (`toml`) with `members` members, its three
/// trustees' ceremony run to completion over the API (no restart), and its
/// polls open: the election, the members' tokens and the trustees.
pub(crate) async fn open_encrypted(
    app: &TestApp,
    toml: &str,
    members: usize,
) -> (String, Vec<(String, String)>, Vec<Trustee>) {
    let (election, tokens) = app.draft_with_tokens(toml, members);
    let (_, codes) = name_trustees(app, &election, &["Ada Lovelace", "Bo Diddley", "Cy Twombly"]).await;
    let trustees: Vec<Trustee> = codes
        .iter()
        .enumerate()
        .map(|(i, code)| Trustee {
            number: i as u32 + 1,
            code: code.clone(),
            dir: folder(app, i as u32 + 1),
            cookie: None,
        })
        .collect();
    for (round, attempt) in [("register", 0), ("commit", 1), ("deal", 1), ("check", 1), ("finish", 1)] {
        for t in &trustees {
            t.turn(app, &election, round, attempt).await;
        }
    }
    app.teller_ok(&["election", "open", &election]);
    (election, tokens, trustees)
}

async fn whole_ceremony(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (election, tokens) = app.draft_with_tokens(ENCRYPTED, 4);
    let (staff, codes) = name_trustees(&app, &election, &["Ada Lovelace", "Bo Diddley", "Cy Twombly"]).await;
    // Trustees 1 and 2 use the page, trustee 3 the API.
    let mut trustees = Vec::new();
    for (i, code) in codes.iter().enumerate() {
        let number = i as u32 + 1;
        let cookie = if number < 3 {
            Some(trustee_cookie(&app, code).await)
        } else {
            None
        };
        trustees.push(Trustee {
            number,
            code: code.clone(),
            dir: folder(&app, number),
            cookie,
        });
    }
    // A wrong code opens nothing, on the page or the API.
    let res = app
        .http
        .post(app.url("/trustee"))
        .form(&[("code", "7K3M-Q9TD-AAAA-BBBB-CCCC-DDDD-EEEE")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .http
        .get(app.url(&format!("/api/v1/elections/{election}/ceremony")))
        .bearer_auth("not-a-code")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let page = trustees[0].page(&app).await;
    assert!(page.contains("You are trustee 1, Ada Lovelace"), "{page}");
    assert!(page.contains("keygen --board board.json --trustee 1"), "{page}");

    // The polls cannot open before the ceremony completes.
    let out = app.teller(&["election", "open", &election]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("key ceremony is not complete"), "{err}");
    let (status, page) = act(&app, &staff, &election, &[("action", "open")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");

    // Registration.
    for t in &trustees {
        t.turn(&app, &election, "register", 0).await;
    }
    // Attempt 1: everyone commits.
    let mut commits = Vec::new();
    for t in &trustees {
        commits.push(t.turn(&app, &election, "commit", 1).await);
    }

    // Refused messages change nothing: a forged signature, someone
    // else's message, a message out of turn, not JSON at all.
    let entries = count(
        &app,
        &format!("SELECT COUNT(*) AS n FROM log_entries WHERE election_id = '{election}'"),
    );
    let messages = count(&app, "SELECT COUNT(*) AS n FROM ceremony_messages");
    let mut forged: Value = serde_json::from_slice(&std::fs::read(&commits[2]).unwrap()).unwrap();
    forged["body"]["threshold"] = 3.into();
    let api = &trustees[2];
    // Its own commit again (altered): the board has its commit already.
    let (status, body) = api.upload(&app, &election, serde_json::to_vec(&forged).unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["error"],
        "duplicate",
        "{body}"
    );
    let (status, body) = api.upload(&app, &election, std::fs::read(&commits[0]).unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["error"],
        "not_your_message",
        "{body}"
    );
    let (status, body) = api.upload(&app, &election, b"{\"format\": 1".to_vec()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["error"],
        "unreadable",
        "{body}"
    );
    // A forged signature on a message in turn: trustee 1's deal, altered.
    trustees[0].download(&app, &election).await;
    let cmd = trustees[0].next_command(&app, "deal", 1).await;
    assert!(cmd.contains("--out deal-1.json"), "{cmd}");
    let honest_deal_1 = trustees[0].run(&cmd);
    let mut tampered: Value = serde_json::from_slice(&std::fs::read(&honest_deal_1).unwrap()).unwrap();
    let sig = tampered["signature"].as_str().unwrap().to_string();
    let flipped = if sig.starts_with('0') { "1" } else { "0" };
    tampered["signature"] = format!("{flipped}{}", &sig[1..]).into();
    let (status, page) = trustees[0]
        .upload(&app, &election, serde_json::to_vec(&tampered).unwrap())
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("the signature is not trustee 1&#x27;s (bad_signature)"),
        "{page}"
    );
    assert!(page.contains("aria-invalid=\"true\""), "{page}");
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) AS n FROM log_entries WHERE election_id = '{election}'")
        ),
        entries
    );
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM ceremony_messages"), messages);

    // Deals: trustee 1's honest one, trustee 2's, and trustee 3's with a
    // bad share for trustee 1.
    let (status, page) = trustees[0]
        .upload(&app, &election, std::fs::read(&honest_deal_1).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    trustees[1].turn(&app, &election, "deal", 1).await;
    trustees[2].download(&app, &election).await;
    let cmd = trustees[2].next_command(&app, "deal", 1).await;
    let honest_deal_3 = trustees[2].run(&cmd);
    let board: Value = serde_json::from_slice(&std::fs::read(trustees[2].dir.join("board.json")).unwrap()).unwrap();
    let key_1 = board["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["round"] == "register" && m["trustee"] == 1)
        .map(|m| serde_json::from_value(m["body"]["encryption_key"].clone()).unwrap())
        .unwrap();
    let bad = bad_deal(&trustees[2].dir, &honest_deal_3, 1, key_1);
    let (status, body) = trustees[2].upload(&app, &election, bad).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // Checks: trustee 2 is content; trustee 1's check complains against 3,
    // whom the board then excludes (bad-share); attempt 2 starts.
    trustees[1].turn(&app, &election, "check", 1).await;
    trustees[2].turn(&app, &election, "check", 1).await;
    trustees[0].turn(&app, &election, "check", 1).await;
    let page = trustees[0].page(&app).await;
    assert!(page.contains("Excluded (bad-share)"), "{page}");
    assert!(page.contains("commit message of attempt 2"), "{page}");
    let (_, console) = get(&app, &staff, &format!("/staff/elections/{election}")).await;
    assert!(console.contains("Excluded in attempt 1 (bad-share)"), "{console}");
    let res = app
        .http
        .get(app.url(&format!("/api/v1/elections/{election}/ceremony")))
        .bearer_auth(&trustees[2].code)
        .send()
        .await
        .unwrap();
    let board: Value = res.json().await.unwrap();
    assert_eq!(board["exclusions"][0]["rule"], "bad-share");
    assert_eq!(board["exclusions"][0]["trustee"], 3);

    // Attempt 2, without trustee 3, who can post nothing more.
    for round in ["commit", "deal", "check", "finish"] {
        for t in &trustees[..2] {
            t.turn(&app, &election, round, 2).await;
        }
    }
    let page = trustees[0].page(&app).await;
    assert!(page.contains("The ceremony is complete"), "{page}");
    let (status, body) = trustees[2]
        .upload(&app, &election, std::fs::read(&commits[2]).unwrap())
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["error"],
        "ceremony_over",
        "{body}"
    );

    // Now the polls open.
    app.teller_ok(&["election", "open", &election]);
    let log = ceremony_log(&app, &election);
    let expected: Vec<&str> = vec![
        "named 1",
        "named 2",
        "named 3",
        "registered 1",
        "registered 2",
        "registered 3",
        "commit 1/1",
        "commit 1/2",
        "commit 1/3",
        "deal 1/1",
        "deal 1/2",
        "deal 1/3",
        "check 1/2",
        "check 1/3",
        "check 1/1",
        "excluded 1/3 bad-share ",
        "commit 2/1",
        "commit 2/2",
        "deal 2/1",
        "deal 2/2",
        "check 2/1",
        "check 2/2",
        "finish 2/1",
        "finish 2/2",
        "completed 2",
        "polls_opened",
    ];
    assert_eq!(log, expected);
    // polls_opened says how the ballots are encrypted (§16.9): the joint
    // key of ceremony_completed, and the fingerprint of §14.7.
    let (opened, completed) = opened_and_completed(&app, &election);
    let encryption = opened.expect("polls_opened.encryption");
    let (joint_key, keys) = completed.unwrap();
    assert_eq!(encryption.mode, "trustees");
    assert_eq!(encryption.threshold, 2);
    assert_eq!(encryption.joint_key, joint_key);
    let definition_hash = {
        let mut conn = app.db.conn();
        teller::store::elections::find(&mut conn, &election)
            .unwrap()
            .unwrap()
            .definition()
            .unwrap()
            .hash()
    };
    let fp = teller_audit::encrypted::fingerprint::FingerprintInput {
        election: &election,
        definition_hash,
        threshold: 2,
        joint_key,
        verification_keys: &keys,
    }
    .fingerprint();
    assert_eq!(encryption.fingerprint, fp);
    assert_eq!(keys.iter().map(|(j, _)| *j).collect::<Vec<_>>(), [1, 2]);
    // A plain cast is refused (never stored as plain choices in an
    // encrypted election), and the code still works.
    let res = app
        .http
        .post(app.url(&format!("/api/v1/elections/{election}/ballots")))
        .json(&serde_json::json!({"token": tokens[0].1, "choices": {"directors": ["amara-okafor"], "bylaw": ["yes"]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["message"], teller::ops::cast::ENCRYPTED_ONLY, "{body}");
    // The record of the open election still verifies.
    let record = app.export(&election);
    let report = teller_audit::verify::verify_record(&record, &[]);
    assert!(report.ok(), "{report}");
    assert_eq!((record.counts.ballots, record.counts.tokens_used), (0, 0));
}

async fn absent_trustee(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (election, _) = app.draft_with_tokens(ENCRYPTED, 2);
    let (staff, codes) = name_trustees(&app, &election, &["Ada", "Bo", "Cy"]).await;
    let mut trustees = Vec::new();
    for (i, code) in codes.iter().enumerate().take(2) {
        trustees.push(Trustee {
            number: i as u32 + 1,
            code: code.clone(),
            dir: folder(&app, i as u32 + 1),
            cookie: None,
        });
    }
    // The two registrations arrive at once (on PostgreSQL, as if at two
    // instances): both are appended, one after the other.
    let mut files = Vec::new();
    for t in &trustees {
        t.download(&app, &election).await;
        let command = t.next_command(&app, "register", 0).await;
        files.push(std::fs::read(t.run(&command)).unwrap());
    }
    let (a, b) = tokio::join!(
        trustees[0].upload(&app, &election, files[0].clone()),
        trustees[1].upload(&app, &election, files[1].clone())
    );
    assert_eq!((a.0, b.0), (StatusCode::CREATED, StatusCode::CREATED), "{a:?} {b:?}");
    assert_eq!(
        count(&app, "SELECT COUNT(DISTINCT position) AS n FROM ceremony_messages"),
        2
    );
    // Trustee 3 never registers; staff stop waiting.
    let (status, page) = act(
        &app,
        &staff,
        &election,
        &[("action", "exclude-trustee"), ("trustee", "1")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("is not one the board is waiting for"), "{page}");
    let (status, page) = act(
        &app,
        &staff,
        &election,
        &[("action", "exclude-trustee"), ("trustee", "3")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Trustee 3 is excluded as absent"), "{page}");
    for round in ["commit", "deal", "check", "finish"] {
        for t in &trustees {
            t.turn(&app, &election, round, 1).await;
        }
    }
    app.teller_ok(&["election", "open", &election]);
    let log = ceremony_log(&app, &election);
    assert!(log.contains(&"excluded 0/3 absent staff:olga".to_string()), "{log:?}");
    assert!(log.contains(&"completed 1".to_string()), "{log:?}");
}

async fn definitions_refused_and_plain_unchanged(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let refused = |toml: &str, words: &str| {
        let file = app.path(&format!("refused-{}.toml", uuid::Uuid::new_v4().simple()));
        std::fs::write(&file, toml).unwrap();
        let out = app.teller(&["election", "create", file.to_str().unwrap()]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(words), "{words:?} not in {err}");
    };
    let irv = ENCRYPTED.replace("method = \"plurality\"\nseats = 2", "method = \"irv\"");
    refused(
        &irv,
        "ranked ballots under encryption need a verifiable mixnet, not available yet",
    );
    let write_ins = ENCRYPTED.replace("seats = 2", "seats = 2\nwrite_ins = true");
    refused(&write_ins, "write-ins cannot be counted under encryption yet");
    let cumulative = ENCRYPTED.replace(
        "method = \"plurality\"\nseats = 2",
        "method = \"cumulative\"\npoints = 200",
    );
    refused(&cumulative, "at most 500");
    refused(
        &ENCRYPTED.replace("threshold = 2", "threshold = 1"),
        "2 <= K <= N <= 32",
    );
    refused(&ENCRYPTED.replace("trustees = 3", "trustees = 40"), "2 <= K <= N <= 32");
    refused(
        &ENCRYPTED.replace("encryption = \"trustees\"\n", ""),
        "trustees and threshold apply only to an encrypted election",
    );

    // A plain election: no trustees, and it opens as before.
    let (election, _) = app.draft_with_tokens(include_str!("../../examples/board-election.toml"), 2);
    add_staff(&app, "olga", "officer", PASSWORD);
    let staff = sign_in(&app, "olga", PASSWORD, "").await.unwrap();
    let (_, page) = get(&app, &staff, &format!("/staff/elections/{election}")).await;
    assert!(!page.contains("Trustees and the key ceremony"));
    let (status, page) = act(
        &app,
        &staff,
        &election,
        &[("action", "name-trustee"), ("trustee_name", "Ada")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("this election is not encrypted"), "{page}");
    app.teller_ok(&["election", "open", &election]);
    assert!(ceremony_log(&app, &election) == ["polls_opened"]);
    // Its polls_opened says so: encryption is null (decision 10).
    assert_eq!(opened_and_completed(&app, &election), (None, None));
}

on_both_backends!(a_whole_ceremony_with_a_bad_share_and_a_restart, whole_ceremony);
on_both_backends!(staff_can_exclude_an_absent_trustee, absent_trustee);
on_both_backends!(
    encrypted_definitions_are_refused_as_14_8_says_and_plain_elections_are_unchanged,
    definitions_refused_and_plain_unchanged
);

// ------------------------------------------------- trustee codes' lockout

/// A client whose requests come from another loopback address.
fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<std::net::IpAddr>().unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Sign in with `code` from `client`: the status, the cookie if any, the page.
async fn sign_in_from(app: &TestApp, client: &reqwest::Client, code: &str) -> (StatusCode, Option<String>, String) {
    let res = client
        .post(app.url("/trustee"))
        .form(&[("code", code)])
        .send()
        .await
        .unwrap();
    let status = res.status();
    let cookie = res
        .headers()
        .get("set-cookie")
        .map(|c| c.to_str().unwrap().split(';').next().unwrap().to_string());
    (status, cookie, res.text().await.unwrap())
}

/// Trustee codes that do not work lock their client out (the web layer's
/// limits: 10 failures per address in 10 minutes): from then on every
/// trustee code from that client, even a right one, is refused with `429`,
/// `Retry-After` and a page saying so, on the sign-in form, through the
/// cookie of a trustee signed in before, and on the API. The lockout is the
/// client's: the same trustees sign in from another address, where a wrong
/// code is only a wrong code.
async fn trustee_lockout(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (election, _) = app.draft_with_tokens(ENCRYPTED, 2);
    let (_, codes) = name_trustees(&app, &election, &["Ada Lovelace", "Bo Diddley", "Cy Twombly"]).await;
    let guesser = client_from("127.0.0.2");
    // Trustee 1 signed in from this address before the guessing.
    let (status, cookie, _) = sign_in_from(&app, &guesser, &codes[0]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let cookie = cookie.unwrap();

    let wrong = teller::domain::token::Token::generate().unwrap().as_str().to_string();
    for _ in 0..10 {
        let (status, _, page) = sign_in_from(&app, &guesser, &wrong).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(
            page.contains("This access code is not one the election office gave a trustee"),
            "{page}"
        );
    }

    // Locked out: the right code too, with a clear page.
    let res = guesser
        .post(app.url("/trustee"))
        .form(&[("code", codes[0].as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().get("set-cookie").is_none(), "no sign-in while locked out");
    let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=600).contains(&retry), "Retry-After: {retry}");
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Too many access codes from your connection did not work, so every trustee access code, even a right one, is refused from it for 10 minutes"),
        "{page}"
    );
    assert!(
        page.contains(r#"<form method="post" action="/trustee""#),
        "the form, for later: {page}"
    );
    // The trustee signed in before: the cookie is a code like any other.
    let res = guesser
        .get(app.url("/trustee"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("even a right one") && !page.contains("Sign out"),
        "{page}"
    );
    let res = guesser
        .get(app.url("/trustee/board.json"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/trustee");
    // And the API, with the right bearer code.
    let res = guesser
        .get(app.url(&format!("/api/v1/elections/{election}/ceremony")))
        .bearer_auth(&codes[1])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "too_many_attempts", "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("too many trustee access codes"), "{body}");

    // Another address is not locked out: right codes sign in, the cookie
    // works, and a wrong code is answered as a wrong code.
    let other = client_from("127.0.0.3");
    let (status, _, page) = sign_in_from(&app, &other, &wrong).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    for code in &codes[..2] {
        let (status, cookie, page) = sign_in_from(&app, &other, code).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
        assert!(cookie.unwrap().starts_with("teller_trustee="));
    }
    let res = other
        .get(app.url("/trustee"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("You are trustee 1, Ada Lovelace"));
    let res = other
        .get(app.url(&format!("/api/v1/elections/{election}/ceremony")))
        .bearer_auth(&codes[1])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}
on_both_backends!(
    trustee_codes_lock_out_their_client_even_for_a_right_code,
    trustee_lockout
);

// ------------------------------------------- the keys' fingerprints shown

/// The signing-key fingerprint trustee `t`'s `keygen` printed them (the
/// key in their folder).
fn printed_fingerprint(t: &Trustee) -> String {
    read_secret_file(&t.dir.join("teller-trustee"))
        .unwrap()
        .signing_key()
        .fingerprint()
}

/// Each trustee's page and the staff console show every registered
/// trustee's signing-key fingerprint (the one `keygen` printed), so that
/// trustees can compare them out of band; a trustee not registered yet has
/// none. A trustee's page shows the other trustees' fingerprints too, and
/// they are the keys in those trustees' own folders.
async fn fingerprints_shown(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (election, _) = app.draft_with_tokens(ENCRYPTED, 2);
    let (staff, codes) = name_trustees(&app, &election, &["Ada Lovelace", "Bo Diddley", "Cy Twombly"]).await;
    let mut trustees = Vec::new();
    for (i, code) in codes.iter().enumerate() {
        trustees.push(Trustee {
            number: i as u32 + 1,
            code: code.clone(),
            dir: folder(&app, i as u32 + 1),
            cookie: Some(trustee_cookie(&app, code).await),
        });
    }
    // Nobody registered: no fingerprints yet.
    let page = trustees[1].page(&app).await;
    assert!(!page.contains("Signing key fingerprint"), "{page}");

    // Trustee 1 registers: everyone sees their fingerprint, and that the
    // others have none yet.
    trustees[0].turn(&app, &election, "register", 0).await;
    let first = printed_fingerprint(&trustees[0]);
    assert_eq!(first.len(), 16);
    let page = trustees[1].page(&app).await;
    assert!(page.contains("Signing key fingerprint"), "{page}");
    assert!(
        page.contains(&format!(
            "<td>Ada Lovelace</td><td>Has sent this round&#x27;s message</td><td><code>{first}</code></td>"
        )),
        "{page}"
    );
    assert!(
        page.contains("<td>Bo Diddley</td><td>Message awaited</td><td>Not registered yet</td>"),
        "{page}"
    );
    assert!(
        page.contains("Compare all of them with your fellow trustees, by phone or in person"),
        "{page}"
    );
    let (_, console) = get(&app, &staff, &format!("/staff/elections/{election}")).await;
    assert!(console.contains(&format!("<code>{first}</code>")), "{console}");
    assert!(console.contains("Not registered yet"), "{console}");

    // The whole ceremony: every page and the console list all three, each
    // the key in that trustee's own folder.
    for t in &trustees[1..] {
        t.turn(&app, &election, "register", 0).await;
    }
    for (round, attempt) in [("commit", 1), ("deal", 1), ("check", 1), ("finish", 1)] {
        for t in &trustees {
            t.turn(&app, &election, round, attempt).await;
        }
    }
    let printed: Vec<String> = trustees.iter().map(printed_fingerprint).collect();
    assert!(printed[0] != printed[1] && printed[1] != printed[2], "{printed:?}");
    for t in &trustees {
        let page = t.page(&app).await;
        assert!(page.contains("The ceremony is complete"), "{page}");
        for fp in &printed {
            assert!(
                page.contains(&format!("<code>{fp}</code>")),
                "trustee {}: {page}",
                t.number
            );
        }
        assert!(!page.contains("Not registered yet"), "{page}");
    }
    let (_, console) = get(&app, &staff, &format!("/staff/elections/{election}")).await;
    for fp in &printed {
        assert!(console.contains(&format!("<code>{fp}</code>")), "{console}");
    }
}
on_both_backends!(
    every_trustee_and_staff_see_each_trustees_key_fingerprint,
    fingerprints_shown
);
