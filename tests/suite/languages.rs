//! Members in their language (English and Spanish): the roll's `language`
//! column chooses the language of e-mails, letters and the ballot a member
//! opens from their link; the switcher on every member page changes it; a
//! browser that asks for Spanish gets Spanish; the console stays English.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::collections::BTreeMap;

use common::smtp::SmtpSink;
use common::staff::{add_staff, code_in, drained, post, sign_in};
use common::{Backend, TestApp};
use reqwest::header::{ACCEPT_LANGUAGE, LOCATION, SET_COOKIE};
use reqwest::StatusCode;

/// A browser's cookies, by name.
#[derive(Default)]
struct Jar(BTreeMap<String, String>);

impl Jar {
    fn keep(&mut self, res: &reqwest::Response) {
        for c in res.headers().get_all(SET_COOKIE) {
            let pair = c.to_str().unwrap().split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() {
                self.0.remove(name);
            } else {
                self.0.insert(name.to_string(), value.to_string());
            }
        }
    }

    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn get(&mut self, app: &TestApp, path: &str) -> (StatusCode, String) {
        let res = app
            .http
            .get(app.url(path))
            .header("cookie", self.header())
            .send()
            .await
            .unwrap();
        self.keep(&res);
        (res.status(), res.text().await.unwrap())
    }

    async fn post(&mut self, app: &TestApp, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
        let res = app
            .http
            .post(app.url(path))
            .header("cookie", self.header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.keep(&res);
        (res.status(), res.text().await.unwrap())
    }
}

async fn languages(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with_mail(backend, Some(sink.url())).await;
    let toml = app.path("election.toml");
    std::fs::write(&toml, include_str!("../../examples/board-election.toml")).unwrap();
    let id = app
        .teller_ok(&["election", "create", toml.to_str().unwrap()])
        .trim()
        .lines()
        .last()
        .unwrap()
        .to_string();

    // A language Teller does not write in is refused, naming the row, and
    // nothing is imported.
    let bad = app.path("bad.csv");
    std::fs::write(
        &bad,
        "member_id,name,email,language\nM1,Ana Ruiz,ana@example.org,es\nM2,Ben Ode,ben@example.org,fr\n",
    )
    .unwrap();
    let out = app.teller(&["voters", "import", &id, bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("row 3") && err.contains("\"fr\""), "{err}");
    assert_eq!(teller::store::members::count(&mut app.db.conn(), &id).unwrap(), 0);

    let roll = app.path("m.csv");
    std::fs::write(
        &roll,
        "member_id,name,email,language\nM1,Ana Ruiz,ana@example.org,ES\nM2,Ben Ode,ben@example.org,\nM3,Carla Gil,,es-MX\nM4,Dan Roe,,en\n",
    )
    .unwrap();
    app.teller_ok(&["voters", "import", &id, roll.to_str().unwrap()]);
    let stored: Vec<String> = teller::store::members::without_token(&mut app.db.conn(), &id)
        .unwrap()
        .into_iter()
        .map(|m| m.language)
        .collect();
    assert_eq!(stored, ["es", "", "es", "en"]);
    app.teller_ok(&["election", "open", &id]);
    add_staff(&app, "olga", "officer", "officer password!");
    let officer = sign_in(&app, "olga", "officer password!", "").await.unwrap();
    let delivery = format!("/staff/elections/{id}/delivery");

    // The console offers the wording in both languages, and stays English.
    let (_, html) = post(&app, &officer, &delivery, &[("action", "noop")]).await;
    assert!(html.contains("The invitation in Español") && html.contains("Su código de votación para {{election}}"));
    assert!(html.contains("<html lang=\"en\">"));

    // Invitations in each member's language.
    let (status, _) = post(&app, &officer, &delivery, &[("action", "invite")]).await;
    assert_eq!(status, StatusCode::OK);
    drained(&app, &officer, &id).await;
    let mails = sink.received();
    let ana = mails.iter().find(|m| m.to[0].contains("ana@")).unwrap();
    let ben = mails.iter().find(|m| m.to[0].contains("ben@")).unwrap();
    let title = "Society of Pharmacy Technicians — 2026 Board Election";
    assert_eq!(ana.subject(), format!("Su código de votación para {title}"));
    assert!(
        ana.body()
            .starts_with("Estimado/a Ana Ruiz:\r\n\r\nLe invitamos a votar en"),
        "{}",
        ana.body()
    );
    assert_eq!(ben.subject(), format!("Your voting code for {title}"));
    assert!(ben.body().starts_with("Dear Ben Ode,"), "{}", ben.body());

    // Letters: each in its member's language.
    let (_, html) = post(&app, &officer, &format!("/staff/elections/{id}/letters"), &[]).await;
    let carla = html.find("Carla Gil").unwrap();
    let dan = html.find("Dan Roe").unwrap();
    let (carla_letter, dan_letter) = if carla < dan {
        (&html[carla..dan], &html[dan..])
    } else {
        (&html[carla..], &html[dan..carla])
    };
    assert!(carla_letter.contains("Su código de votación para") && carla_letter.contains("Miembro M3"));
    assert!(dan_letter.contains("Your voting code for") && dan_letter.contains("Member M4"));
    assert_eq!(
        html.matches("<article class=\"letter\" lang=\"es\">").count(),
        1,
        "{html}"
    );

    // Ana's link opens her ballot in Spanish, and the choice is kept.
    let mut browser = Jar::default();
    let res = app
        .http
        .get(app.url(&format!("/v/{}", code_in(ana))))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    browser.keep(&res);
    let (status, html) = browser.get(&app, "/ballot").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("<html lang=\"es\">") && html.contains("<h1>Su papeleta</h1>"),
        "{html}"
    );
    assert!(html.contains("Vote hasta por 3.") && html.contains("Dejar esta votación en blanco"));
    assert_eq!(browser.0.get("teller_lang").map(String::as_str), Some("es"));
    // The switcher offers English and returns to the ballot.
    assert!(
        html.contains(r#"<a href="/lang/en?back&#x3D;%2Fballot" lang="en" hreflang="en">English</a>"#),
        "{html}"
    );

    // Problems are listed in Spanish, every contest at once.
    let (status, html) = browser
        .post(
            &app,
            "/ballot/review",
            &[
                ("c.directors", "amara-okafor"),
                ("c.directors", "daniel-brooks"),
                ("c.directors", "mei-ling-chen"),
                ("c.directors", "rosa-delgado"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Hay que cambiar algo en su papeleta"), "{html}");
    assert!(
        html.contains("ha elegido 4 pero puede elegir como máximo 3; quite 1 para continuar"),
        "{html}"
    );
    // Back to the ballot after switching from a page answering a form.
    assert!(html.contains("/lang/en?back&#x3D;%2Fballot\""), "{html}");

    // Switching to English: a redirect back, with the choice kept.
    let res = app
        .http
        .get(app.url("/lang/en?back=%2Fballot"))
        .header("cookie", browser.header())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/ballot");
    browser.keep(&res);
    let (_, html) = browser.get(&app, "/ballot").await;
    assert!(html.contains("<h1>Your ballot</h1>"), "{html}");

    // Review and cast in Spanish: the receipt is in Spanish.
    browser.0.insert("teller_lang".into(), "es".into());
    let (status, html) = browser
        .post(&app, "/ballot/review", &[("c.directors", "amara-okafor")])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Revise sus opciones") && html.contains("Emitir mi papeleta"));
    let hidden: Vec<(String, String)> = html
        .split("<input type=\"hidden\" name=\"")
        .skip(1)
        .map(|s| {
            let name = s.split('"').next().unwrap().to_string();
            let value = s
                .split("value=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .to_string();
            (name, value)
        })
        .collect();
    let form: Vec<(&str, &str)> = hidden.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let (status, _) = browser.post(&app, "/ballot/cast", &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, html) = browser.get(&app, "/receipt").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Su papeleta se ha emitido") && html.contains("Guarde su recibo"),
        "{html}"
    );

    // A browser that asks for Spanish gets Spanish; one that asks for a
    // language Teller does not write in gets English.
    let res = app
        .http
        .get(app.url("/"))
        .header(ACCEPT_LANGUAGE, "es-MX,es;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap();
    let html = res.text().await.unwrap();
    assert!(
        html.contains("<html lang=\"es\">") && html.contains("<h1>Elecciones</h1>"),
        "{html}"
    );
    let res = app
        .http
        .get(app.url("/"))
        .header(ACCEPT_LANGUAGE, "de")
        .send()
        .await
        .unwrap();
    assert!(res.text().await.unwrap().contains("<h1>Elections</h1>"));

    // The switcher returns only to this site.
    for evil in ["//evil.example/x", "https://evil.example/", "/\\evil.example"] {
        let path = format!("/lang/es?back={}", url_encode(evil));
        let res = app.http.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(res.headers()[LOCATION], "/", "{evil}");
    }
    // A language Teller does not write in is not found.
    let res = app.http.get(app.url("/lang/fr?back=/")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // The console stays English whatever the browser asks.
    let res = app
        .http
        .get(app.url("/staff/login"))
        .header("cookie", "teller_lang=es")
        .header(ACCEPT_LANGUAGE, "es")
        .send()
        .await
        .unwrap();
    let html = res.text().await.unwrap();
    assert!(
        html.contains("<html lang=\"en\">") && !html.contains("/lang/es"),
        "{html}"
    );
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

on_both_backends!(members_in_their_language, languages);

/// The election's own texts in Spanish: entered in the builder while the
/// election is a draft, shown to members reading Spanish, refused when bad
/// (nothing saved) and once the polls have opened.
async fn election_texts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (id, tokens) = app.draft_with_tokens(include_str!("../../examples/board-election.toml"), 2);
    add_staff(&app, "olga", "officer", "officer password!");
    let officer = sign_in(&app, "olga", "officer password!", "").await.unwrap();
    let page = format!("/staff/elections/{id}/texts/es");
    let (status, html) = common::staff::get(&app, &officer, &page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Original: <span lang=\"en\">Board of Directors</span>"),
        "{html}"
    );

    // A title on two lines is refused, and nothing is saved.
    let (status, html) = post(
        &app,
        &officer,
        &page,
        &[
            ("t.title", "Elección\nde la Junta"),
            ("t.contest.directors.title", "Junta Directiva"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("must be one line"), "{html}");
    assert!(
        teller::store::texts::load(&mut app.db.conn(), &id, teller::i18n::Lang::Es)
            .unwrap()
            .is_empty()
    );
    let (status, html) = post(&app, &officer, &page, &[("t.nothing.here", "x")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");

    let (status, html) = post(
        &app,
        &officer,
        &page,
        &[
            ("t.title", "Elección de la Junta 2026"),
            ("t.contest.directors.title", "Junta Directiva"),
            (
                "t.candidate.directors.amara-okafor.statement",
                "Técnica de farmacia hospitalaria desde hace 12 años.",
            ),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("The Español texts are saved."));
    app.teller_ok(&["election", "open", &id]);

    // After the opening the texts are final.
    let (status, html) = post(&app, &officer, &page, &[("t.title", "Otra")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Not saved") && html.contains("the texts are final"),
        "{html}"
    );
    let saved = teller::store::texts::load(&mut app.db.conn(), &id, teller::i18n::Lang::Es).unwrap();
    assert_eq!(saved["title"], "Elección de la Junta 2026");

    // A member reading Spanish sees them; one reading English the originals.
    let mut browser = Jar::default();
    browser.0.insert("teller_lang".into(), "es".into());
    let res = app
        .http
        .get(app.url(&format!("/v/{}", tokens[0].1.replace('-', ""))))
        .send()
        .await
        .unwrap();
    browser.keep(&res);
    let (_, html) = browser.get(&app, "/ballot").await;
    assert!(
        html.contains("Junta Directiva") && html.contains("Técnica de farmacia hospitalaria"),
        "{html}"
    );
    assert!(html.contains("<title>Su papeleta — Teller</title>"));
    assert!(html.contains("Elección de la Junta 2026"));
    // Names and choices are the same in every language.
    assert!(html.contains("Amara Okafor") && html.contains(r#"value="amara-okafor""#));
    browser.0.insert("teller_lang".into(), "en".into());
    let (_, html) = browser.get(&app, "/ballot").await;
    assert!(html.contains("Board of Directors") && !html.contains("Junta Directiva"));
    let (_, html) = Jar(BTreeMap::from([("teller_lang".to_string(), "es".to_string())]))
        .get(&app, &format!("/e/{id}"))
        .await;
    assert!(
        html.contains("<h1>Elección de la Junta 2026</h1>") && html.contains("Junta Directiva"),
        "{html}"
    );
    // The published definition keeps the original texts.
    let (_, election) = app.get_json(&format!("/api/v1/elections/{id}")).await;
    assert!(election.to_string().contains("Board of Directors") && !election.to_string().contains("Junta"));
}

on_both_backends!(the_election_in_spanish, election_texts);
