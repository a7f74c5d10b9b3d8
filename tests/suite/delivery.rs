//! Delivering voting codes from the console through a real SMTP server on
//! loopback: invitations, failures and retries, nothing sent twice,
//! reminders only to members who have not voted, editable wording, and
//! printed letters for members without e-mail.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::smtp::SmtpSink;
use common::staff::{add_staff, code_in, drained, post, sign_in};
use common::{Backend, TestApp};
use reqwest::StatusCode;

async fn delivery(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with_mail(backend, Some(sink.url())).await;
    // Seals of one ballot, so that a single vote becomes visible to staff.
    let example = include_str!("../../examples/board-election.toml");
    let toml = app.path("election.toml");
    std::fs::write(&toml, example.replacen("min_ballots = 5", "min_ballots = 1", 1)).unwrap();
    let id = app
        .teller_ok(&["election", "create", toml.to_str().unwrap()])
        .trim()
        .lines()
        .last()
        .unwrap()
        .to_string();
    let roll = app.path("m.csv");
    std::fs::write(
        &roll,
        "member_id,name,email\nM1,Ann Lee,ann@example.org\nM2,Bo Chan,bo@example.org\nM3,Cy Doe,bounce@example.org\nM4,Di Roe,\n",
    )
    .unwrap();
    app.teller_ok(&["voters", "import", &id, roll.to_str().unwrap()]);
    app.teller_ok(&["election", "open", &id]);
    add_staff(&app, "olga", "officer", "officer password!");
    let officer = sign_in(&app, "olga", "officer password!", "").await.unwrap();
    let delivery = format!("/staff/elections/{id}/delivery");

    // The wording: a template without a link or code is refused; a good one is used.
    let (status, html) = post(
        &app,
        &officer,
        &delivery,
        &[
            ("action", "template"),
            ("kind", "invitation"),
            ("subject", "Vote!"),
            ("body", "Hello {{name}}"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("must include"), "{html}");
    let body = "Dear {{name}}, vote in {{election}} at {{link}} (code {{code}}).";
    let (status, _) = post(
        &app,
        &officer,
        &delivery,
        &[
            ("action", "template"),
            ("kind", "invitation"),
            ("subject", "Your code for {{election}}"),
            ("body", body),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // Invitations: sent to the three with e-mail; one bounces.
    let (status, html) = post(&app, &officer, &delivery, &[("action", "invite")]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("3 invitations are being sent"), "{html}");
    let html = drained(&app, &officer, &id).await;
    let mails = sink.received();
    assert_eq!(mails.len(), 2, "{mails:?}");
    let ann = mails.iter().find(|m| m.to[0].contains("ann@example.org")).unwrap();
    assert!(ann.from.contains("office@teller.test"));
    assert!(
        ann.data
            .contains("Subject: Your code for Society of Pharmacy Technicians"),
        "{}",
        ann.data
    );
    assert!(
        ann.data
            .contains("Dear Ann Lee, vote in Society of Pharmacy Technicians"),
        "{}",
        ann.data
    );
    assert!(
        html.contains("bounce@example.org") && html.contains("mailbox unavailable"),
        "failures are listed: {html}"
    );
    // The e-mailed code votes.
    let ann_code = code_in(ann);
    assert_eq!(app.cast(&id, &ann_code, common::example_choices(0)).await.0, 201);

    // Nothing is sent twice by accident.
    let (_, html) = post(&app, &officer, &delivery, &[("action", "invite")]).await;
    assert!(html.contains("0 invitations are being sent"), "{html}");
    // A retry sends the failed one again (and it fails again).
    let (_, html) = post(&app, &officer, &delivery, &[("action", "retry")]).await;
    assert!(html.contains("1 failed messages are being sent again"), "{html}");
    let html = drained(&app, &officer, &id).await;
    assert!(html.contains("<td class=\"num\">2</td></tr>"), "two attempts: {html}");
    assert_eq!(sink.received().len(), 2);

    // Reminders go only to members with e-mail who have not voted: Bo (and the bouncing Cy).
    app.teller_ok(&["seal", &id]);
    let bo_invitation = code_in(
        sink.received()
            .iter()
            .find(|m| m.to[0].contains("bo@example.org"))
            .unwrap(),
    );
    let (_, html) = post(&app, &officer, &delivery, &[("action", "remind")]).await;
    assert!(html.contains("2 reminders are being sent"), "{html}");
    drained(&app, &officer, &id).await;
    let mails = sink.received();
    assert_eq!(mails.len(), 3);
    let reminder = &mails[2];
    assert!(reminder.to[0].contains("bo@example.org"));
    assert!(reminder.data.contains("You have not voted yet"), "{}", reminder.data);
    assert!(
        !mails.iter().skip(2).any(|m| m.to[0].contains("ann@")),
        "never to those who have voted"
    );
    // A reminder carries no code and changes nothing: the invitation's code
    // still works (its ballot page opens; casting is left for later).
    assert!(!reminder.data.contains("/v/"), "{}", reminder.data);
    // (The body is quoted-printable: soft line breaks undone.)
    let text = reminder.data.replace("=\r\n", "");
    assert!(text.contains("the invitation we sent you: it still works"), "{text}");
    let ballot = app
        .http
        .get(app.url("/ballot"))
        .header("cookie", format!("teller_vote={bo_invitation}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        ballot.status(),
        StatusCode::OK,
        "the invitation's code stopped working after a reminder"
    );
    // A reminder's wording cannot carry a code.
    let (status, html) = post(
        &app,
        &officer,
        &delivery,
        &[
            ("action", "template"),
            ("kind", "reminder"),
            ("subject", "Vote"),
            ("body", "Vote: {{link}}"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("a reminder carries no code"), "{html}");

    // Bo loses the reminder: a new code goes straight to Bo, never to the page,
    // and the replacement is logged with who did it.
    let replace = format!("/staff/elections/{id}/replace");
    let (status, html) = post(&app, &officer, &replace, &[("member_id", "M2"), ("how", "email")]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("A new code was e-mailed to Bo Chan (M2)"), "{html}");
    let mails = sink.received();
    assert_eq!(mails.len(), 4);
    let replacement = &mails[3];
    assert!(replacement.to[0].contains("bo@example.org"));
    assert!(
        replacement.data.contains("Subject: Your new voting code"),
        "{}",
        replacement.data
    );
    let new_code = code_in(replacement);
    assert!(!html.contains(&new_code[..9]), "the console never shows the code");
    assert_eq!(app.cast(&id, &bo_invitation, common::example_choices(1)).await.0, 403);
    assert_eq!(app.cast(&id, &new_code, common::example_choices(1)).await.0, 201);
    // Refused: someone who has voted, someone without e-mail by e-mail, an unknown member.
    let (status, html) = post(&app, &officer, &replace, &[("member_id", "M1"), ("how", "email")]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{html}");
    assert!(html.contains("has already voted"), "{html}");
    let (status, html) = post(&app, &officer, &replace, &[("member_id", "M4"), ("how", "email")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("has no e-mail address on the roll; print a letter instead"),
        "{html}"
    );
    let (status, _) = post(&app, &officer, &replace, &[("member_id", "M99"), ("how", "letter")]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(sink.received().len(), 4, "nothing else was sent");
    let record = app.export(&id);
    assert_eq!(
        record
            .log
            .iter()
            .filter(|e| matches!(&e.entry.event,
                teller_audit::log::Event::TokenReissued { actor, .. } if actor == "staff:olga"))
            .count(),
        1
    );

    // Letters for members without e-mail: one per page, with a new code that votes.
    let (status, html) = post(&app, &officer, &format!("/staff/elections/{id}/letters"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        html.matches("<article class=\"letter\" lang=\"en\">").count(),
        1,
        "{html}"
    );
    assert!(html.contains("Di Roe"));
    let at = html.find("class=\"letter-code\">").unwrap() + "class=\"letter-code\">".len();
    let code = html[at..at + 34].to_string();
    assert_eq!(app.cast(&id, &code, common::example_choices(2)).await.0, 201);

    // The log says how many codes were sent, by whom, without saying to whom.
    let record = app.export(&id);
    let sent: Vec<(String, u64)> = record
        .log
        .iter()
        .filter_map(|e| match &e.entry.event {
            teller_audit::log::Event::TokensSent { kind, count, .. } => Some((kind.clone(), *count)),
            _ => None,
        })
        .collect();
    assert!(
        sent.contains(&("invitation".to_string(), 3))
            || sent
                .iter()
                .filter(|(k, _)| k == "invitation")
                .map(|(_, c)| c)
                .sum::<u64>()
                == 4,
        "{sent:?}"
    );
    assert!(sent.contains(&("letter".to_string(), 1)), "{sent:?}");
    assert!(teller_audit::verify::verify_record(&record, &[]).ok());
}
on_both_backends!(codes_are_delivered_by_email_and_letter, delivery);
