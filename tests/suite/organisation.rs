//! The society's own look (issue 12): an administrator sets the
//! organisation's profile once in the console, and member pages, e-mails
//! and printed letters carry it; colours without enough contrast, and
//! uploads that are not a usable logo, are refused and change nothing.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::io::Cursor;

use common::smtp::SmtpSink;
use common::staff::{add_staff, csrf_of, drained, get, post, sign_in};
use common::{Backend, TestApp};
use reqwest::StatusCode;

/// The policy every response carries, profile or not.
const CSP: &str =
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const NAME: &str = "Society of Pharmacy Technicians";

fn profile<'a>(changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("action", "save"),
        ("name", NAME),
        ("short_name", "SPT"),
        ("primary_colour", "#0B5D3B"),
        ("accent_colour", "#8a4b00"),
        ("office_name", "SPT Election Office"),
        ("office_email", "vote@spt.example"),
        ("office_phone", "+1 555 0199"),
        ("office_hours", "weekdays 9-5"),
        ("privacy_url", "https://spt.example/privacy"),
    ];
    for (k, v) in changes {
        fields.iter_mut().find(|(name, _)| name == k).unwrap().1 = v;
    }
    fields
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(width, height, image::Rgb([11, 93, 59])));
    let mut out = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let image = image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(width, height, image::Rgb([200, 10, 10])));
    let mut out = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Jpeg)
        .unwrap();
    out
}

/// A PNG chunk with its CRC-32.
fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = 0xffff_ffffu32;
    for &b in kind.iter().chain(data) {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    out.extend_from_slice(&(!crc).to_be_bytes());
    out
}

/// A decompression bomb's shape: a few dozen bytes whose header claims
/// 60,000 × 60,000 pixels (3.6 GB decoded).
fn bomb() -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = 60_000u32.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&60_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    out.extend_from_slice(&chunk(b"IHDR", &ihdr));
    out.extend_from_slice(&chunk(b"IDAT", &[0x78, 0x9c, 0x63, 0x00, 0x00]));
    out.extend_from_slice(&chunk(b"IEND", b""));
    out
}

async fn upload_logo(app: &TestApp, cookie: &str, bytes: Vec<u8>, file_name: &str) -> (StatusCode, String) {
    let (_, page) = get(app, cookie, "/staff/organisation").await;
    let form = reqwest::multipart::Form::new().text("csrf", csrf_of(&page)).part(
        "logo",
        reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_string()),
    );
    let res = app
        .http
        .post(app.url("/staff/organisation/logo"))
        .header("cookie", cookie)
        .multipart(form)
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

/// Status, headers and body of an anonymous GET.
async fn fetch(app: &TestApp, path: &str) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let res = app.http.get(app.url(path)).send().await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    (status, headers, res.bytes().await.unwrap().to_vec())
}

fn text(body: &[u8]) -> String {
    String::from_utf8(body.to_vec()).unwrap()
}

/// The `v` the pages link `/brand.css` with.
fn version_in(html: &str) -> String {
    let at = html.find("/brand.css?v=").unwrap() + "/brand.css?v=".len();
    html[at..at + html[at..].find('"').unwrap()].to_string()
}

async fn the_profile_is_on_pages_messages_and_letters(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with_mail(backend, Some(sink.url())).await;
    let example = app.path("election.toml");
    std::fs::write(&example, include_str!("../../examples/board-election.toml")).unwrap();
    let id = app
        .teller_ok(&["election", "create", example.to_str().unwrap()])
        .trim()
        .lines()
        .last()
        .unwrap()
        .to_string();
    let roll = app.path("m.csv");
    std::fs::write(&roll, "member_id,name,email\nM1,Ann Lee,ann@example.org\nM2,Di Roe,\n").unwrap();
    app.teller_ok(&["voters", "import", &id, roll.to_str().unwrap()]);
    app.teller_ok(&["election", "open", &id]);
    add_staff(&app, "ada", "administrator", "administrator password!");
    let admin = sign_in(&app, "ada", "administrator password!", "").await.unwrap();

    // Before any profile: Teller's own look, no logo.
    let (_, headers, body) = fetch(&app, "/").await;
    let html = text(&body);
    assert!(html.contains("— Teller</title>") && html.contains(r#"<a class="brand" href="/">Teller</a>"#));
    assert!(!html.contains("/brand.css"), "{html}");
    assert_eq!(headers["content-security-policy"], CSP);
    assert_eq!(fetch(&app, "/brand/logo.png").await.0, StatusCode::NOT_FOUND);
    let (_, nav) = get(&app, &admin, "/staff").await;
    assert!(nav.contains(r#"<a href="/staff/organisation">Organisation</a>"#));

    // The administrator saves the profile, then a logo.
    let (status, html) = post(&app, &admin, "/staff/organisation", &profile(&[])).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("The organisation&#x27;s profile is saved."), "{html}");
    let (status, html) = upload_logo(&app, &admin, png(300, 150), "logo.png").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("The logo is saved."), "{html}");

    // The logo: re-encoded PNG, 96 px high keeping its shape, same origin, cached briefly.
    let (status, headers, logo) = fetch(&app, "/brand/logo.png").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["cache-control"], "public, max-age=300");
    assert_eq!(headers["content-security-policy"], CSP);
    let decoded = image::load_from_memory_with_format(&logo, image::ImageFormat::Png).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (192, 96));
    let etag = headers["etag"].to_str().unwrap().to_string();
    let again = app
        .http
        .get(app.url("/brand/logo.png"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    // Member pages: the name, logo, short name, contact, privacy notice, and
    // Teller only as the small line at the foot.
    let mut pages = vec![
        "/".to_string(),
        "/vote".into(),
        format!("/e/{id}"),
        "/no-such-page".into(),
    ];
    pages.push(format!("/e/{id}/track"));
    for path in &pages {
        let (_, headers, body) = fetch(&app, path).await;
        let html = text(&body);
        assert_eq!(headers["content-security-policy"], CSP, "{path}");
        assert!(html.contains("— SPT</title>"), "{path}: {html}");
        assert!(
            html.contains(&format!(r#"alt="{NAME}" width="192" height="96""#)),
            "{path}: {html}"
        );
        assert!(html.contains(&format!(r#"<span class="brand-name" aria-hidden="true">{NAME}</span>"#)));
        assert!(html.contains("Contact SPT Election Office:"), "{path}");
        assert!(html.contains(r#"<a href="mailto:vote@spt.example">vote@spt.example</a>, +1 555 0199 (weekdays 9-5)"#));
        assert!(html.contains(r#"<a href="https://spt.example/privacy">Privacy notice</a>"#));
        assert!(html.contains(r#"<p class="runs-on">Runs on Teller"#));
        assert!(!html.contains(">Teller<") && !html.contains("— Teller"), "{path}");
        // The stylesheets: Teller's, then the profile's, both same-origin.
        let ours = html.find(r#"href="/static/teller.css""#).unwrap();
        let theirs = html.find(r#"href="/brand.css?v="#).unwrap();
        assert!(ours < theirs, "{path}");
        assert!(!html.contains("style=") && !html.contains("<style"), "{path}");
    }

    // The colours, as a stylesheet.
    let (_, _, body) = fetch(&app, "/").await;
    let version = version_in(&text(&body));
    let (status, headers, css) = fetch(&app, &format!("/brand.css?v={version}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/css; charset=utf-8");
    assert!(headers.contains_key("etag"));
    assert_eq!(headers["content-security-policy"], CSP);
    let css = text(&css);
    assert!(
        css.contains("--brand: #0b5d3b;") && css.contains("--brand-accent: #8a4b00;"),
        "{css}"
    );
    let teller_css = text(&fetch(&app, "/static/teller.css").await.2);
    assert!(teller_css.contains("background: var(--brand)") && teller_css.contains("var(--brand-accent)"));

    // E-mail: signed by the office and the organisation, with its contact.
    add_staff(&app, "olga", "officer", "officer password!");
    let officer = sign_in(&app, "olga", "officer password!", "").await.unwrap();
    post(
        &app,
        &officer,
        &format!("/staff/elections/{id}/delivery"),
        &[("action", "invite")],
    )
    .await;
    drained(&app, &officer, &id).await;
    let mails = sink.received();
    assert_eq!(mails.len(), 1, "the member with an e-mail address");
    let mail = mails[0].data.replace("=\r\n", "");
    assert!(mail.contains(&format!("SPT Election Office\r\n{NAME}")), "{mail}");
    assert!(
        mail.contains("Questions? Contact SPT Election Office, vote@spt.example, +1 555 0199 (weekdays 9-5)."),
        "{mail}"
    );
    assert!(!mail.contains("The Election Office"), "{mail}");

    // Printed letters: headed with the organisation's name and logo, signed by it.
    let (status, html) = post(&app, &officer, &format!("/staff/elections/{id}/letters"), &[]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert_eq!(
        html.matches("<article class=\"letter\" lang=\"en\">").count(),
        1,
        "{html}"
    );
    let letter = &html[html.find("<article class=\"letter\" lang=\"en\">").unwrap()..];
    assert!(
        letter.contains(r#"<header class="letterhead"><img src="/brand/logo.png?v="#),
        "{letter}"
    );
    assert!(letter.contains(&format!(r#"<p class="letterhead-name">{NAME}</p>"#)));
    assert!(
        letter.contains(&format!("<p>SPT Election Office<br>{NAME}</p>")),
        "{letter}"
    );

    // The console shows what is saved, and who saved it.
    let (_, console) = get(&app, &admin, "/staff/organisation").await;
    assert!(
        console.contains("by staff:ada") && console.contains(r##"value="#0b5d3b""##),
        "{console}"
    );

    // Removing the logo: gone from the pages and the address.
    let (status, _) = post(&app, &admin, "/staff/organisation", &[("action", "remove-logo")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetch(&app, "/brand/logo.png").await.0, StatusCode::NOT_FOUND);
    let html = text(&fetch(&app, "/").await.2);
    assert!(html.contains(&format!(r#"<a class="brand" href="/">{NAME}</a>"#)) && !html.contains("/brand/logo.png"));
}
on_both_backends!(profile_everywhere, the_profile_is_on_pages_messages_and_letters);

async fn refused_changes_change_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    add_staff(&app, "ada", "administrator", "administrator password!");
    add_staff(&app, "olga", "officer", "officer password!");
    let admin = sign_in(&app, "ada", "administrator password!", "").await.unwrap();
    let officer = sign_in(&app, "olga", "officer password!", "").await.unwrap();

    // Only administrators.
    let (status, html) = get(&app, &officer, "/staff/organisation").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("cannot change the organisation&#x27;s profile"), "{html}");
    let (status, _) = post(&app, &officer, "/staff/organisation", &profile(&[])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = upload_logo(&app, &admin, png(10, 10), "early.png").await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no profile yet: save it first"
    );
    let (_, nav) = get(&app, &officer, "/staff").await;
    assert!(!nav.contains("/staff/organisation"));
    assert!(!text(&fetch(&app, "/").await.2).contains("/brand.css"), "nothing saved");
    // Without the form's anti-forgery token.
    let res = app
        .http
        .post(app.url("/staff/organisation"))
        .header("cookie", &admin)
        .form(&[profile(&[]), vec![("csrf", "forged")]].concat())
        .send()
        .await;
    assert_eq!(res.unwrap().status(), StatusCode::FORBIDDEN);

    let (status, _) = post(&app, &admin, "/staff/organisation", &profile(&[])).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = upload_logo(&app, &admin, jpeg(120, 60), "logo.jpg").await;
    assert_eq!(status, StatusCode::OK);
    let before_css = text(&fetch(&app, "/brand.css").await.2);
    let (_, before_headers, before_logo) = fetch(&app, "/brand/logo.png").await;
    assert_eq!(before_headers["content-type"], "image/png", "a JPEG is stored as PNG");
    let before_home = text(&fetch(&app, "/").await.2);

    // Colours short of the contrast needed, every problem at once, with the measured ratio.
    let (status, html) = post(
        &app,
        &admin,
        "/staff/organisation",
        &profile(&[
            ("primary_colour", "#777777"),
            ("accent_colour", "#ffbf47"),
            ("name", "Someone Else"),
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Nothing was changed"), "{html}");
    assert!(
        html.contains("the primary colour #777777 has a contrast of 4.47:1 with white, below the 4.5:1 needed"),
        "{html}"
    );
    assert!(
        html.contains("the accent colour #ffbf47 has a contrast of 1.64:1 with white, below the 3:1 needed"),
        "{html}"
    );
    assert!(
        html.contains(r#"value="Someone Else""#),
        "the form keeps what was typed"
    );
    for bad in [
        profile(&[("primary_colour", "green")]),
        profile(&[("privacy_url", "http://spt.example/privacy")]),
        profile(&[("privacy_url", "javascript:alert(1)")]),
        profile(&[("office_email", "not an address")]),
        profile(&[("name", "")]),
    ] {
        let (status, html) = post(&app, &admin, "/staff/organisation", &bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}: {html}");
    }

    // Uploads that are not a usable logo.
    let good = png(64, 64);
    let mut oversize = png(8, 8);
    oversize.resize(1024 * 1024 + 1, 0);
    let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "notes.txt",
            b"hello, not a picture".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not a PNG or JPEG image",
        ),
        (
            "logo.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not a PNG or JPEG image",
        ),
        (
            "cut.png",
            good[..good.len() / 2].to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "could not be read as a whole PNG image",
        ),
        ("big.png", oversize, StatusCode::PAYLOAD_TOO_LARGE, "larger than 1 MiB"),
        (
            "huge.png",
            vec![0x89; 3 * 1024 * 1024],
            StatusCode::PAYLOAD_TOO_LARGE,
            "larger than 1 MiB",
        ),
        (
            "bomb.png",
            bomb(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "larger than 4096 × 4096 pixels",
        ),
        (
            "empty.png",
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "no file was chosen",
        ),
    ];
    for (name, bytes, want, says) in cases {
        let (status, html) = upload_logo(&app, &admin, bytes, name).await;
        assert_eq!(status, want, "{name}: {html}");
        assert!(
            html.contains("Nothing was changed") && html.contains(says),
            "{name}: {html}"
        );
    }

    // Nothing changed: the same stylesheet, logo and pages.
    assert_eq!(text(&fetch(&app, "/brand.css").await.2), before_css);
    let (_, after_headers, after_logo) = fetch(&app, "/brand/logo.png").await;
    assert_eq!(after_logo, before_logo);
    assert_eq!(after_headers["etag"], before_headers["etag"]);
    assert_eq!(text(&fetch(&app, "/").await.2), before_home);
    assert_eq!(fetch(&app, "/").await.1["content-security-policy"], CSP);
}
on_both_backends!(refusals, refused_changes_change_nothing);

/// Instances sharing one database: a second server picks up a profile the
/// first saved within `organisation::REFRESH`.
async fn other_instances_follow_a_saved_profile(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let other = format!("http://{}", listener.local_addr().unwrap());
    let state = teller::web::AppState::new(app.db.pool(), common::secret(), other.clone());
    tokio::spawn(teller::web::serve(
        state,
        listener,
        std::time::Duration::from_secs(3600),
        std::future::pending(),
    ));
    let css_of = |base: String| async move {
        reqwest::get(format!("{base}/brand.css"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    assert!(css_of(other.clone()).await.contains("No organisation profile"));

    add_staff(&app, "ada", "administrator", "administrator password!");
    let admin = sign_in(&app, "ada", "administrator password!", "").await.unwrap();
    let (status, _) = post(&app, &admin, "/staff/organisation", &profile(&[])).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        css_of(app.base.clone()).await.contains("--brand: #0b5d3b;"),
        "at once where it was saved"
    );
    let started = std::time::Instant::now();
    loop {
        if css_of(other.clone()).await.contains("--brand: #0b5d3b;") {
            break;
        }
        assert!(
            started.elapsed() < teller::organisation::REFRESH + std::time::Duration::from_secs(5),
            "the other instance never followed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let home = reqwest::get(format!("{other}/")).await.unwrap().text().await.unwrap();
    assert!(
        home.contains("— SPT</title>") && home.contains("Contact SPT Election Office:"),
        "{home}"
    );
}
on_both_backends!(instances, other_instances_follow_a_saved_profile);
