//! Staff helpers for console tests: accounts through the real CLI, sign-in,
//! pages and their anti-forgery tokens.

use std::io::Write;
use std::process::Stdio;

use reqwest::header::{LOCATION, SET_COOKIE};
use reqwest::StatusCode;

use super::TestApp;

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
