//! A committee runs a whole election from the browser, over real HTTP: the
//! administrator makes the accounts, an officer builds the ballot (with
//! mistakes caught and nothing half-saved), previews it, uploads the roll,
//! e-mails the links through a real SMTP server, watches turnout, closes,
//! counts; two of three certifiers sign; the tellers' report is printed; the
//! record verifies.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::form::{fields, set, unescape};
use common::smtp::SmtpSink;
use common::staff::{act, add_staff, code_in, drained, get, new_key, post, sign_in, upload, Certifier};
use common::{Backend, TestApp};
use reqwest::header::LOCATION;
use reqwest::StatusCode;
use serde_json::json;

async fn post_fields(
    app: &TestApp,
    cookie: &str,
    path: &str,
    form: &[(String, String)],
) -> (StatusCode, String, String) {
    let res = app
        .http
        .post(app.url(path))
        .header("cookie", cookie)
        .form(form)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let location = res
        .headers()
        .get(LOCATION)
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, location, res.text().await.unwrap())
}

/// Press the button `action` on the builder page at `page`, after `change`.
async fn builder_submit(
    app: &TestApp,
    cookie: &str,
    page: &str,
    action: &str,
    change: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let (status, html) = get(app, cookie, page).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let target = page.split('?').next().unwrap();
    let mut form = fields(&html, target);
    for (k, v) in change {
        set(&mut form, k, v);
    }
    form.push(("action".into(), action.into()));
    post_fields(app, cookie, target, &form).await
}

/// The password the accounts page shows once for `username`.
fn shown_password(html: &str, username: &str) -> String {
    let at = html
        .find(&format!("The password for {username}</h2>"))
        .unwrap_or_else(|| panic!("no password shown for {username}: {html}"));
    let code = html[at..].find("<code class=\"hash\">").unwrap() + at + "<code class=\"hash\">".len();
    unescape(&html[code..code + html[code..].find('<').unwrap()])
}

async fn create_account(app: &TestApp, admin: &str, username: &str, role: &str) -> String {
    let (status, html) = post(
        app,
        admin,
        "/staff/accounts",
        &[
            ("action", "create"),
            ("username", username),
            ("display_name", &format!("{username} name")),
            ("role", role),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    shown_password(&html, username)
}

fn account_id(html: &str, username: &str) -> String {
    let at = html.find(&format!("{username} · since")).unwrap();
    let id_at = html[at..].find("name=\"id\" value=\"").unwrap() + at + "name=\"id\" value=\"".len();
    html[id_at..id_at + 36].to_string()
}

async fn whole_election(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with_mail(backend, Some(sink.url())).await;

    // The first administrator comes from the command line; the rest from the console.
    add_staff(&app, "ada", "administrator", "administrator password");
    let admin = sign_in(&app, "ada", "administrator password", "").await.unwrap();
    let officer_password = create_account(&app, &admin, "olga", "officer").await;
    let officer = sign_in(&app, "olga", &officer_password, "").await.unwrap();
    let mut committee = Vec::new();
    for name in ["cara", "cato", "cleo"] {
        let password = create_account(&app, &admin, name, "certifier").await;
        committee.push(Certifier {
            cookie: sign_in(&app, name, &password, "").await.unwrap(),
            key: new_key(),
        });
    }
    let (status, html) = get(&app, &officer, "/staff/accounts").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "officers do not manage accounts");
    assert!(html.contains("Your role does not allow this"));
    // An account that is disabled can no longer sign in, and its session ends.
    let temp_password = create_account(&app, &admin, "tmp", "observer").await;
    let temp = sign_in(&app, "tmp", &temp_password, "").await.unwrap();
    let (_, html) = get(&app, &admin, "/staff/accounts").await;
    let tmp_id = account_id(&html, "tmp");
    let (status, html) = post(
        &app,
        &admin,
        "/staff/accounts",
        &[("action", "disable"), ("id", &tmp_id)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("tmp is disabled and signed out"), "{html}");
    assert!(sign_in(&app, "tmp", &temp_password, "").await.is_err());
    assert_eq!(get(&app, &temp, "/staff").await.0, StatusCode::SEE_OTHER);
    // The administrator cannot lock themselves out.
    let ada_id = teller::store::staff::by_username(&mut app.db.conn(), "ada")
        .unwrap()
        .unwrap()
        .id;
    let (status, html) = post(
        &app,
        &admin,
        "/staff/accounts",
        &[("action", "disable"), ("id", &ada_id)],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("you cannot disable your own account"), "{html}");

    // The officer builds the ballot.
    let (status, location, html) = builder_submit(
        &app,
        &officer,
        "/staff/elections/new",
        "save",
        &[
            ("title", "Pharmacy Technicians Society 2027"),
            ("description", "Elect two directors & decide Bylaw 3."),
            ("quorum", "2"),
            // Four members: seals of one ballot, for the turnout check below.
            ("seal_min", "1"),
            ("c0.title", "Directors"),
            ("c0.method", "plurality"),
            ("c0.seats", "2"),
            ("c0.k0.name", "Ann Lee"),
            ("c0.k0.statement", "Safe staffing \"now\"."),
            ("c0.k1.name", "Bo Chan"),
            ("c0.k2.name", "Cy Doe"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    let id = location
        .strip_prefix("/staff/elections/")
        .and_then(|l| l.strip_suffix("/edit?saved=1"))
        .unwrap()
        .to_string();
    let edit = format!("/staff/elections/{id}/edit");
    let (_, html) = get(&app, &officer, &format!("{edit}?saved=1")).await;
    assert!(html.contains("Saved."));
    assert!(html.contains("value=\"Ann Lee\"") && html.contains("Safe staffing &quot;now&quot;."));
    assert!(html.contains("The ballot is complete"), "{html}");

    // A second contest, added through the blank contest at the end.
    let (status, _, html) = builder_submit(
        &app,
        &officer,
        &edit,
        "save",
        &[
            ("c1.title", "Bylaw 3"),
            ("c1.description", "Shall dues be indexed to inflation?"),
            ("c1.method", "referendum"),
            ("c1.threshold", "two-thirds"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    // A third, unfinished: saved, and listed as what stops the polls opening.
    let (status, _, _) = builder_submit(
        &app,
        &officer,
        &edit,
        "save",
        &[("c2.title", "Treasurer"), ("c2.method", "irv")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = get(&app, &officer, &edit).await;
    assert!(html.contains("Before the polls can open"), "{html}");
    assert!(html.contains("instant-runoff voting needs candidates"), "{html}");
    let log_size = app.export(&id).log.len();
    // What the form cannot hold is refused, with the reason, and nothing is saved.
    let (status, _, html) = builder_submit(&app, &officer, &edit, "save", &[("c0.seats", "two")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Nothing was saved") && html.contains("&quot;two&quot; is not a whole number"),
        "{html}"
    );
    assert!(html.contains("value=\"two\""), "what was typed is kept to correct");
    let (status, _, html) = builder_submit(&app, &officer, &edit, "save", &[("closes_at", "next friday")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("is not a date and time"), "{html}");
    assert_eq!(app.export(&id).log.len(), log_size, "nothing was logged or saved");
    // Two people editing one draft cannot overwrite each other silently.
    let (_, stale) = get(&app, &officer, &edit).await;
    let mut stale_form = fields(&stale, &edit);
    assert_eq!(
        builder_submit(&app, &admin, &edit, "save", &[("title", "Renamed by Ada")])
            .await
            .0,
        StatusCode::SEE_OTHER
    );
    stale_form.push(("action".into(), "save".into()));
    let (status, _, html) = post_fields(&app, &officer, &edit, &stale_form).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("someone else changed this election"), "{html}");
    // The polls cannot open while the ballot is unfinished.
    let (status, html) = act(&app, &officer, &id, &[("action", "open")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("instant-runoff voting needs candidates"), "{html}");
    // Remove the unfinished contest; move Cy Doe above Bo Chan; restore the title.
    let (status, location, _) = builder_submit(&app, &officer, &edit, "remove-contest.2", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.ends_with("#contests"), "{location}");
    builder_submit(&app, &officer, &edit, "up-candidate.0.2", &[]).await;
    builder_submit(
        &app,
        &officer,
        &edit,
        "save",
        &[("title", "Pharmacy Technicians Society 2027")],
    )
    .await;
    let (_, html) = get(&app, &officer, &edit).await;
    assert!(html.contains("The ballot is complete"), "{html}");
    let record = app.export(&id);
    let def = &record.election.definition;
    assert_eq!(def.title, "Pharmacy Technicians Society 2027");
    assert_eq!(def.description, "Elect two directors & decide Bylaw 3.");
    assert_eq!(def.contests.len(), 2);
    let names: Vec<&str> = def.contests[0].candidates.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Ann Lee", "Cy Doe", "Bo Chan"]);
    assert_eq!(def.contests[0].candidates[0].statement, "Safe staffing \"now\".");
    assert_eq!(def.contests[1].id, "bylaw-3");
    assert!(
        matches!(def.contests[1].method, teller_audit::definition::Method::Referendum { threshold }
        if threshold == teller_audit::definition::Threshold::TWO_THIRDS)
    );
    assert!(record.log.iter().any(|e| matches!(&e.entry.event,
        teller_audit::log::Event::DefinitionUpdated { actor, .. } if actor == "staff:ada")));
    assert!(record.log.iter().any(|e| matches!(&e.entry.event,
        teller_audit::log::Event::ElectionCreated { actor, .. } if actor == "staff:olga")));

    // The preview is the members' ballot, and checks choices as it does.
    let preview = format!("/staff/elections/{id}/preview");
    let (status, html) = get(&app, &committee[0].cookie, &preview).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Preview.") && html.contains("Vote for up to 2") && html.contains("Bylaw 3"),
        "{html}"
    );
    let (status, _, html) = post_fields(
        &app,
        &officer,
        &preview,
        &[
            ("c.directors".into(), "ann-lee".into()),
            ("c.directors".into(), "bo-chan".into()),
            ("c.directors".into(), "cy-doe".into()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Directors") && html.contains("at most 2"), "{html}");
    let (status, _, html) = post_fields(&app, &officer, &preview, &[("c.directors".into(), "ann-lee".into())]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("These choices are valid"), "{html}");

    // The roll, uploaded and confirmed.
    let csv = "member_id,name,email\nM1,Mia One,m1@example.org\nM2,Max Two,m2@example.org\nM3,Meg Three,m3@example.org\nM4,Mo Four,m4@example.org\n";
    let (status, html) = upload(&app, &officer, &id, csv).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let confirm = format!("/staff/elections/{id}/roll/confirm");
    let (status, _, html) = post_fields(&app, &officer, &confirm, &fields(&html, &confirm)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Imported 4 members"), "{html}");

    // The committee registers keys; the officer opens the polls; the ballot locks.
    for c in &committee {
        let (status, html) = act(
            &app,
            &c.cookie,
            &id,
            &[("action", "register-key"), ("public_key", &c.public_hex())],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{html}");
    }
    let (status, html) = act(&app, &officer, &id, &[("action", "open")]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let (status, html) = get(&app, &officer, &edit).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("The ballot is locked"));
    let (status, _, _html) = builder_submit(&app, &officer, &preview, "save", &[]).await;
    assert_eq!(status, StatusCode::OK, "previewing still works once open: {_html}");
    let mut locked_form = fields(&stale, &edit);
    locked_form.push(("action".into(), "save".into()));
    assert_eq!(
        post_fields(&app, &officer, &edit, &locked_form).await.0,
        StatusCode::CONFLICT
    );

    // Links go out by e-mail; three members vote with them.
    let delivery = format!("/staff/elections/{id}/delivery");
    let (status, html) = post(&app, &officer, &delivery, &[("action", "invite")]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    drained(&app, &officer, &id).await;
    let mails = sink.received();
    assert_eq!(mails.len(), 4);
    let ballots = [
        json!({"directors": ["ann-lee", "cy-doe"], "bylaw-3": ["yes"]}),
        json!({"directors": ["ann-lee"], "bylaw-3": ["yes"]}),
        json!({"directors": ["bo-chan", "ann-lee"], "bylaw-3": ["no"]}),
    ];
    for (mail, ballot) in mails.iter().zip(ballots) {
        assert_eq!(app.cast(&id, &code_in(mail), ballot).await.0, 201);
    }
    // Turnout, as of the seal; never a partial result.
    let (status, _) = act(&app, &officer, &id, &[("action", "seal")]).await;
    assert_eq!(status, StatusCode::OK);
    let (_, html) = get(&app, &committee[1].cookie, &format!("/staff/elections/{id}")).await;
    assert!(html.contains("3 of 4 members had voted as of the last seal"), "{html}");
    assert!(html.contains("<polyline"), "a turnout chart");
    assert!(
        html.contains("E-mails with voting codes: 4 delivered to the mail server, 0 failed."),
        "{html}"
    );
    assert!(
        !html.contains("Ann Lee"),
        "no candidate (so no partial result) on the console while open"
    );

    // Close early with a reason; count; two of three certify; print the report.
    let (status, html) = act(
        &app,
        &officer,
        &id,
        &[
            ("action", "close"),
            ("confirm", "yes"),
            ("reason", "board resolution 12"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let (status, _) = act(&app, &officer, &id, &[("action", "tally"), ("confirm", "yes")]).await;
    assert_eq!(status, StatusCode::OK);
    let tally = app.export(&id).tally.unwrap();
    for c in [&committee[0], &committee[2]] {
        let (status, html) = act(
            &app,
            &c.cookie,
            &id,
            &[("action", "certify"), ("signed", &c.sign(&id, &tally))],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{html}");
    }
    let (status, html) = get(&app, &officer, &format!("/staff/elections/{id}/report")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Certified by the election committee (quorum 2)"),
        "{html}"
    );
    assert!(html.contains("<td>cara name</td>") && html.contains("<td>cleo name</td>"));
    assert!(
        html.contains("<tr><th scope=\"row\">Members eligible to vote</th><td>4</td></tr>"),
        "{html}"
    );
    assert!(
        html.contains("<tr class=\"won\"><th scope=\"row\">Ann Lee</th><td class=\"num\">3</td><td class=\"num\">100.0%</td><td>Elected</td></tr>"),
        "{html}"
    );
    assert!(html.contains("Method: plurality (most votes win); seats: 2."), "{html}");
    assert!(
        html.contains("Passed: 66.7% of the votes cast were yes; it needed at least two-thirds of the votes cast."),
        "2 of 3 is two-thirds: {html}"
    );
    assert!(html.contains(&tally.digest().to_hex()));

    let record = app.export(&id);
    assert_eq!(record.election.state, "certified");
    let report = teller_audit::verify::verify_record(&record, &[]);
    assert!(report.ok(), "{report}");
    assert!(record.log.iter().any(|e| matches!(&e.entry.event,
        teller_audit::log::Event::PollsClosed { reason, actor, .. } if reason == "board resolution 12" && actor == "staff:olga")));

    // After the recount window (here none), the roll and the delivery
    // records are deleted; the certified record stays as it was.
    let answers = format!("{id}\nDELETE\n");
    let out = app.teller_answering(&["election", "purge", &id, "--recount-window-days", "0"], &answers);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("Deleted the personal data") && said.contains("4 members"),
        "{said}"
    );
    let after = app.export(&id);
    assert!(after == record, "the purge changed the record");
    let report = teller_audit::verify::verify_record(&after, &[]);
    assert!(report.ok(), "{report}");
    let (status, html) = get(&app, &officer, &format!("/staff/elections/{id}/report")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("<tr><th scope=\"row\">Members eligible to vote</th><td>4</td></tr>"),
        "{html}"
    );
}
on_both_backends!(a_committee_runs_a_whole_election_from_the_browser, whole_election);
