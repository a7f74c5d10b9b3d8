//! The election committee's console over real HTTP: accounts, sign-in,
//! sessions, forgery protection, roles, and the second factor.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::staff::{act, add_staff, csrf_of, get, new_key, sign_in, upload, Certifier};
use common::{Backend, TestApp};
use reqwest::header::LOCATION;
use reqwest::StatusCode;

async fn signing_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    add_staff(&app, "ada", "administrator", "correct horse battery");
    // Without a session the console sends you to sign in.
    let res = app.http.get(app.url("/staff")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/staff/login");
    // A wrong password is refused without saying which part was wrong.
    let (status, html) = sign_in(&app, "ada", "wrong password!", "").await.unwrap_err();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        html.contains("The username or password is not right")
            || html.contains("the username or password is not right")
    );
    let (_, unknown) = sign_in(&app, "nobody", "wrong password!", "").await.unwrap_err();
    assert!(unknown.contains("username or password is not right"));
    // The right one opens the console.
    let cookie = sign_in(&app, "ada", "correct horse battery", "").await.unwrap();
    let (status, html) = get(&app, &cookie, "/staff").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Signed in as ada name (Administrator)"), "{html}");
    // Signing out ends the session on the server too.
    let res = app
        .http
        .post(app.url("/staff/logout"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = app
        .http
        .get(app.url("/staff"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()[LOCATION], "/staff/login?expired=1");
}
on_both_backends!(staff_sign_in_and_out_with_a_session_cookie, signing_in);

async fn forms_need_the_session_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    add_staff(&app, "bo", "officer", "a long enough password");
    let cookie = sign_in(&app, "bo", "a long enough password", "").await.unwrap();
    let (_, html) = get(&app, &cookie, "/staff/account").await;
    let csrf = csrf_of(&html);
    for forged in ["", "0000", csrf.as_str()][..2].iter() {
        let res = app
            .http
            .post(app.url("/staff/account/password"))
            .header("cookie", &cookie)
            .form(&[
                ("csrf", *forged),
                ("current", "a long enough password"),
                ("new", "another long password"),
                ("repeat", "another long password"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(res.text().await.unwrap().contains("This form has expired"));
    }
    // The password did not change.
    assert!(sign_in(&app, "bo", "a long enough password", "").await.is_ok());
    // With the token it does, and every session ends.
    let res = app
        .http
        .post(app.url("/staff/account/password"))
        .header("cookie", &cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("current", "a long enough password"),
            ("new", "another long password"),
            ("repeat", "another long password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(sign_in(&app, "bo", "a long enough password", "").await.is_err());
    assert!(sign_in(&app, "bo", "another long password", "").await.is_ok());
}
on_both_backends!(
    console_forms_without_the_session_token_are_refused,
    forms_need_the_session_token
);

async fn sign_in_attempts_are_limited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    add_staff(&app, "cy", "observer", "the observer password");
    for _ in 0..10 {
        let (status, _) = sign_in(&app, "cy", "guess guess guess", "").await.unwrap_err();
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, html) = sign_in(&app, "cy", "the observer password", "").await.unwrap_err();
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(html.contains("Too many sign-in attempts"));
}
on_both_backends!(staff_sign_in_attempts_are_rate_limited, sign_in_attempts_are_limited);

async fn two_step_sign_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    add_staff(&app, "di", "certifier", "certifier password");
    let cookie = sign_in(&app, "di", "certifier password", "").await.unwrap();
    let (_, html) = get(&app, &cookie, "/staff/account").await;
    let key_text = {
        let at = html.find("name=\"key\" value=\"").unwrap() + "name=\"key\" value=\"".len();
        html[at..at + html[at..].find('"').unwrap()].to_string()
    };
    let key = base32_decode(&key_text);
    let code = teller::domain::totp::code_at(&key, teller::time::now());
    let res = app
        .http
        .post(app.url("/staff/account/totp"))
        .header("cookie", &cookie)
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("key", key_text.as_str()),
            ("password", "certifier password"),
            ("code", code.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("Two-step sign-in is on"));
    let (status, html) = sign_in(&app, "di", "certifier password", "").await.unwrap_err();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(html.contains("6-digit code"));
    // The enrolment used this step's code; the next step's is accepted (one step of drift).
    let code = teller::domain::totp::code_at(&key, teller::time::now() + 30);
    assert!(sign_in(&app, "di", "certifier password", &code).await.is_ok());
}
on_both_backends!(two_step_sign_in_needs_the_code_once_enrolled, two_step_sign_in);

fn base32_decode(text: &str) -> Vec<u8> {
    const A: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut buf, mut bits, mut out) = (0u32, 0, Vec::new());
    for c in text.bytes() {
        buf = (buf << 5) | A.iter().position(|a| *a == c).unwrap() as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    out
}

async fn committee_certifies(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // An election certified by 2 of 3 committee members.
    let toml = app.path("certified.toml");
    let text =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/board-election.toml"))
            .unwrap();
    std::fs::write(&toml, format!("{text}\n[certification]\nquorum = 2\n")).unwrap();
    let id = app
        .teller_ok(&["election", "create", toml.to_str().unwrap()])
        .trim()
        .lines()
        .last()
        .unwrap()
        .to_string();
    let roll = app.path("m.csv");
    std::fs::write(&roll, common::roll_csv(4)).unwrap();
    app.teller_ok(&["voters", "import", &id, roll.to_str().unwrap()]);
    let tokens_path = app.path("t.csv");
    app.teller_ok(&["tokens", "issue", &id, "--out", tokens_path.to_str().unwrap()]);
    let tokens = common::read_tokens(&tokens_path);

    add_staff(&app, "olga", "officer", "officer password!");
    add_staff(&app, "oscar", "observer", "observer password!");
    let officer = sign_in(&app, "olga", "officer password!", "").await.unwrap();
    let observer = sign_in(&app, "oscar", "observer password!", "").await.unwrap();
    let mut committee = Vec::new();
    for name in ["cara", "cato", "cleo"] {
        add_staff(&app, name, "certifier", "certifier password");
        committee.push(Certifier {
            cookie: sign_in(&app, name, "certifier password", "").await.unwrap(),
            key: new_key(),
        });
    }
    // The polls cannot open before the quorum has registered keys.
    let (status, html) = act(&app, &officer, &id, &[("action", "open")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("only 0 have registered a key"), "{html}");
    for c in &committee {
        let (status, html) = act(
            &app,
            &c.cookie,
            &id,
            &[("action", "register-key"), ("public_key", &c.public_hex())],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("Your public key is registered"));
    }
    // Roles: an observer changes nothing; a certifier does not run elections.
    let (status, html) = act(&app, &observer, &id, &[("action", "open")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("Your role does not allow this"));
    let (status, _) = act(&app, &committee[0].cookie, &id, &[("action", "open")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, html) = act(&app, &officer, &id, &[("action", "open")]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    for (i, (_, t)) in tokens.iter().enumerate() {
        assert_eq!(app.cast(&id, t, common::example_choices(i)).await.0, 201);
    }
    // Closing and counting need the box ticked: one press alone does nothing.
    let (status, html) = act(
        &app,
        &officer,
        &id,
        &[("action", "close"), ("reason", "all members voted")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("tick the box to confirm closing the polls"), "{html}");
    assert!(html.contains("name=\"confirm\" value=\"yes\" required"), "{html}");
    assert_eq!(app.export(&id).election.state, "open");
    let (status, html) = act(
        &app,
        &officer,
        &id,
        &[("action", "close"), ("confirm", "yes"), ("reason", "all members voted")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("4 ballots from 4 tokens used"), "{html}");
    let report_path = format!("/staff/elections/{id}/report");
    let (status, html) = get(&app, &observer, &report_path).await;
    assert_eq!(status, StatusCode::CONFLICT, "no tellers' report before the count");
    assert!(html.contains("made after the count"), "{html}");
    let (status, _) = act(&app, &officer, &id, &[("action", "tally")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.export(&id).election.state, "closed");
    let (status, _) = act(&app, &officer, &id, &[("action", "tally"), ("confirm", "yes")]).await;
    assert_eq!(status, StatusCode::OK);
    let record = app.export(&id);
    let tally = record.tally.clone().unwrap();
    let (status, html) = get(&app, &observer, &report_path).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains(&tally.digest().to_hex()),
        "the report carries the tally digest"
    );
    assert!(html.contains("Not certified yet (quorum 2)"), "{html}");

    // A signature by a key other than the certifier's registered one is refused.
    let forger = Certifier {
        cookie: committee[1].cookie.clone(),
        key: new_key(),
    };
    let (status, html) = act(
        &app,
        &committee[1].cookie,
        &id,
        &[("action", "certify"), ("signed", &forger.sign(&id, &tally))],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("your registered key is"), "{html}");
    // So is a signature of another result.
    let mut other = tally.clone();
    other.ballots += 1;
    let (status, html) = act(
        &app,
        &committee[1].cookie,
        &id,
        &[("action", "certify"), ("signed", &committee[1].sign(&id, &other))],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("is not this election"), "{html}");
    // One valid signature is not yet a quorum; a second certifies.
    let (status, html) = act(
        &app,
        &committee[0].cookie,
        &id,
        &[("action", "certify"), ("signed", &committee[0].sign(&id, &tally))],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("1 of 2 needed"), "{html}");
    let (status, html) = act(
        &app,
        &committee[0].cookie,
        &id,
        &[("action", "certify"), ("signed", &committee[0].sign(&id, &tally))],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "signing twice is refused");
    assert!(html.contains("already certified"), "{html}");
    let (status, html) = act(
        &app,
        &committee[2].cookie,
        &id,
        &[("action", "certify"), ("signed", &committee[2].sign(&id, &tally))],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("the result is certified"), "{html}");

    let record = app.export(&id);
    assert_eq!(record.election.state, "certified");
    let (status, html) = get(&app, &observer, &report_path).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("Certified by the election committee (quorum 2)"),
        "{html}"
    );
    assert!(
        html.contains("<td>cara name</td>")
            && html.contains("<td>cleo name</td>")
            && !html.contains("<td>cato name</td>")
    );
    assert!(
        html.contains(&record.log.last().unwrap().hash.to_hex()),
        "the report names the record's head"
    );
    // Every candidate of every contest is on the report with its votes.
    for contest in &record.election.definition.contests {
        for c in &contest.candidates {
            assert!(
                html.contains(&format!("<th scope=\"row\">{}</th>", c.name)),
                "{} missing",
                c.name
            );
        }
    }
    let report = teller_audit::verify::verify_record(&record, &[]);
    assert!(report.ok(), "{report}");
    let check = report.check("certification").unwrap();
    assert_eq!(check.status, teller_audit::verify::Status::Pass);
    assert!(
        check.summary.contains("2 of 3 registered certifiers signed"),
        "{}",
        check.summary
    );
    assert!(record.log.iter().any(|e| matches!(&e.entry.event,
        teller_audit::log::Event::PollsClosed { reason, actor, .. } if reason == "all members voted" && actor == "staff:olga")));
}
on_both_backends!(
    the_committee_certifies_with_two_of_three_keys_and_forgeries_are_refused,
    committee_certifies
);

async fn roll_upload(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let toml = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/board-election.toml");
    let id = app
        .teller_ok(&["election", "create", toml.to_str().unwrap()])
        .trim()
        .lines()
        .last()
        .unwrap()
        .to_string();
    add_staff(&app, "olga", "officer", "officer password!");
    add_staff(&app, "oscar", "observer", "observer password!");
    let officer = sign_in(&app, "olga", "officer password!", "").await.unwrap();
    let observer = sign_in(&app, "oscar", "observer password!", "").await.unwrap();
    let count = |app: &TestApp| app.teller_ok(&["status", &id]);

    // A bad roll: every problem with its row number, nothing stored.
    let (status, html) = upload(
        &app,
        &officer,
        &id,
        "member_id,name,email,branch\nA1,Ann,ann@example.org,N\n,Bo,bo@example.org,S\nA1,Cy,not-mail,E\n",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("The roll has 3 problems; nothing was imported"), "{html}");
    assert!(
        html.contains("<td class=\"num\">3</td><td>the member id is missing</td>"),
        "{html}"
    );
    assert!(html.contains("already on row 2"), "{html}");
    assert!(!html.contains("name=\"upload\""), "no way to import a bad roll");
    assert!(count(&app).contains("0 eligible"));
    // A good one: a preview, the column mapping, and nothing stored yet.
    let (status, html) = upload(
        &app,
        &officer,
        &id,
        "Member_ID,Name,Email,Branch,Weight\nA1,Ann Lee,ann@example.org,N,1\nA2,Bo Chan,,S,2.5\n",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("2 members read from <strong>members.csv</strong>"),
        "{html}"
    );
    assert!(html.contains("<td>Branch</td><td>ignored</td>"), "{html}");
    assert!(html.contains("<td>Weight</td><td>vote weight</td>"), "{html}");
    assert!(html.contains("<td>Bo Chan</td>"), "{html}");
    assert!(count(&app).contains("0 eligible"), "nothing stored before confirming");
    // An observer may not import.
    let (status, _) = upload(&app, &observer, &id, "member_id,name,email\nA9,Z,z@example.org\n").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Confirming imports all of it.
    let at = html.find("name=\"upload\" value=\"").unwrap() + "name=\"upload\" value=\"".len();
    let upload_id = &html[at..at + html[at..].find('"').unwrap()];
    let res = app
        .http
        .post(app.url(&format!("/staff/elections/{id}/roll/confirm")))
        .header("cookie", &officer)
        .form(&[("csrf", csrf_of(&html).as_str()), ("upload", upload_id)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("Imported 2 members"));
    assert!(count(&app).contains("2 eligible"));
    let record = app.export(&id);
    assert!(record.log.iter().any(|e| matches!(&e.entry.event,
        teller_audit::log::Event::RollImported { actor, added: 2, .. } if actor == "staff:olga")));
}
on_both_backends!(
    the_roll_is_uploaded_previewed_and_imported_only_on_confirmation,
    roll_upload
);

/// An officer deletes a draft (the box ticked), and everything prepared for
/// it goes; an opened election cannot be deleted, not even by forging its
/// state back to draft in the database.
async fn drafts_can_be_deleted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let toml = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/board-election.toml");
    let out = app.teller_ok(&["election", "create", toml.to_str().unwrap()]);
    let draft = out.trim().lines().last().unwrap().to_string();
    let roll = app.path("m.csv");
    std::fs::write(&roll, common::roll_csv(5)).unwrap();
    app.teller_ok(&["voters", "import", &draft, roll.to_str().unwrap()]);
    let (open, _) = app.open_example(2);
    add_staff(&app, "olga", "officer", "officer password!");
    let officer = sign_in(&app, "olga", "officer password!", "").await.unwrap();
    let rows = |id: &str| {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let q = format!(
            "SELECT (SELECT COUNT(*) FROM members WHERE election_id = '{id}') + \
             (SELECT COUNT(*) FROM log_entries WHERE election_id = '{id}') + \
             (SELECT COUNT(*) FROM elections WHERE id = '{id}') AS n"
        );
        let mut c = app.db.conn();
        match &mut c {
            teller::db::AnyConnection::Sqlite(c) => diesel::sql_query(q).get_result::<N>(c),
            teller::db::AnyConnection::Postgresql(c) => diesel::sql_query(q).get_result::<N>(c),
        }
        .unwrap()
        .n
    };
    let before = rows(&draft);
    assert!(before > 5, "the draft has its roll and log");

    // Without the box: nothing deleted.
    let (status, html) = act(&app, &officer, &draft, &[("action", "delete-draft")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("tick the box to confirm deleting the draft"), "{html}");
    assert_eq!(rows(&draft), before);
    // An opened election: refused.
    let (status, html) = act(&app, &officer, &open, &[("action", "delete-draft"), ("confirm", "yes")]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{html}");
    assert!(app.teller_ok(&["election", "list"]).contains(&open));
    // The draft, confirmed: gone, roll and log with it.
    let (status, _) = act(
        &app,
        &officer,
        &draft,
        &[("action", "delete-draft"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(rows(&draft), 0);
    assert!(!app.teller_ok(&["election", "list"]).contains(&draft));
    // Forging the opened election back to draft does not make its log deletable.
    app.db
        .sql(&format!("UPDATE elections SET state = 'draft' WHERE id = '{open}'"));
    let err = app
        .db
        .sql_err(&format!("DELETE FROM log_entries WHERE election_id = '{open}'"));
    assert!(err.contains("append-only"), "{err}");
}
on_both_backends!(an_officer_deletes_a_draft_and_only_a_draft, drafts_can_be_deleted);
