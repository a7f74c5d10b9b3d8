//! The election office's contact (issue 12, finding 1): set once for the
//! instance, it is on every member page and at the end of every message.
//! (A test binary of its own: the office is set for the whole process.)
#![allow(clippy::unwrap_used)]

use crate::common;

use common::smtp::SmtpSink;
use common::staff::{add_staff, drained, post, sign_in};
use common::{Backend, TestApp};

async fn the_office_is_on_every_page_and_message(backend: Backend) {
    teller::office::set(teller::office::Office {
        name: "Election Office".into(),
        email: "elections@society.example".into(),
        phone: "+1 555 0100".into(),
        hours: "weekdays 9-17".into(),
    });
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with_mail(backend, Some(sink.url())).await;
    let (id, tokens) = app.open_example(3);
    let line = "Contact Election Office:";
    for path in [
        "/".to_string(),
        "/vote".into(),
        format!("/e/{id}"),
        "/v/not-a-code".into(),
    ] {
        let res = app.http.get(app.url(&path)).send().await.unwrap();
        let res = match res.headers().get("location") {
            Some(to) => app.http.get(app.url(to.to_str().unwrap())).send().await.unwrap(),
            None => res,
        };
        let html = res.text().await.unwrap();
        assert!(html.contains(line), "{path}: {html}");
        assert!(
            html.contains(r#"<a href="mailto:elections@society.example">"#),
            "{path}"
        );
        assert!(
            html.contains("+1 555 0100") && html.contains("(weekdays 9-17)"),
            "{path}"
        );
    }
    // The ballot page too.
    let res = app
        .http
        .get(app.url("/ballot"))
        .header("cookie", format!("teller_vote={}", tokens[0].1))
        .send()
        .await
        .unwrap();
    assert!(res.text().await.unwrap().contains(line));

    // Every message ends with it.
    add_staff(&app, "olga", "officer", "officer password!");
    let officer = sign_in(&app, "olga", "officer password!", "").await.unwrap();
    let delivery = format!("/staff/elections/{id}/delivery");
    post(&app, &officer, &delivery, &[("action", "invite")]).await;
    drained(&app, &officer, &id).await;
    let mails = sink.received();
    assert!(!mails.is_empty());
    for m in &mails {
        let text = m.data.replace("=\r\n", "");
        assert!(
            text.contains(
                "Questions? Contact Election Office, elections@society.example, +1 555 0100 (weekdays 9-17)."
            ),
            "{text}"
        );
    }
}
on_both_backends!(office, the_office_is_on_every_page_and_message);
