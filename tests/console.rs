//! The election committee's console over real HTTP: accounts, sign-in,
//! sessions, forgery protection, roles, and the second factor.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::process::Stdio;

use common::{Backend, TestApp};
use reqwest::header::{LOCATION, SET_COOKIE};
use reqwest::StatusCode;

/// Create an account through the real CLI.
pub fn add_staff(app: &TestApp, username: &str, role: &str, password: &str) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_teller"))
        .args([
            "staff",
            "add",
            username,
            "--role",
            role,
            "--name",
            &format!("{username} name"),
            "--password-stdin",
        ])
        .env("TELLER_DATABASE_URL", &app.db.url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Sign in; returns the session cookie pair (`teller_staff=…`).
pub async fn sign_in(
    app: &TestApp,
    username: &str,
    password: &str,
    code: &str,
) -> Result<String, (StatusCode, String)> {
    let res = app
        .http
        .post(app.url("/staff/login"))
        .form(&[("username", username), ("password", password), ("code", code)])
        .send()
        .await
        .unwrap();
    if res.status() != StatusCode::SEE_OTHER {
        let status = res.status();
        return Err((status, res.text().await.unwrap()));
    }
    assert_eq!(res.headers()[LOCATION], "/staff");
    let cookie = res.headers()[SET_COOKIE].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/staff"),
        "{cookie}"
    );
    Ok(cookie.split(';').next().unwrap().to_string())
}

pub async fn get(app: &TestApp, cookie: &str, path: &str) -> (StatusCode, String) {
    let res = app
        .http
        .get(app.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

pub fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    html[at..at + html[at..].find('"').unwrap()].to_string()
}

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
    let code = teller::domain::totp::code_at(&key, teller::time::now());
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
