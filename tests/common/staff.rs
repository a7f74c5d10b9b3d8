//! Staff helpers for console tests: accounts through the real CLI, sign-in,
//! pages and their anti-forgery tokens.

use std::io::Write;
use std::process::Stdio;

use reqwest::header::{LOCATION, SET_COOKIE};
use reqwest::StatusCode;
use std::time::{Duration, Instant};

use super::TestApp;

/// Create an account through the real CLI.
pub fn add_staff(app: &TestApp, username: &str, role: &str, password: &str) {
    add_staff_to(&app.db.url, username, role, password);
}

/// Create an account through the real CLI in the database at `db_url`.
pub fn add_staff_to(db_url: &str, username: &str, role: &str, password: &str) {
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
        .env("TELLER_DATABASE_URL", db_url)
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

/// Post a console action; returns status and page.
pub async fn act(app: &TestApp, cookie: &str, election: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let (_, page) = get(app, cookie, &format!("/staff/elections/{election}")).await;
    let csrf = csrf_of(&page);
    let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    let res = app
        .http
        .post(app.url(&format!("/staff/elections/{election}")))
        .header("cookie", cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

pub struct Certifier {
    pub cookie: String,
    pub key: ring::signature::Ed25519KeyPair,
}

impl Certifier {
    pub fn public_hex(&self) -> String {
        use ring::signature::KeyPair;
        hex::encode(self.key.public_key().as_ref())
    }

    pub fn sign(&self, election: &str, tally: &teller_audit::tally::Tally) -> String {
        use teller_audit::certify::{SignedStatement, Statement};
        let statement = Statement::new(election, tally.digest());
        let mut sig = [0u8; 64];
        sig.copy_from_slice(self.key.sign(&statement.signed_bytes()).as_ref());
        let mut pk = [0u8; 32];
        pk.copy_from_slice(&hex::decode(self.public_hex()).unwrap());
        serde_json::to_string(&SignedStatement {
            statement,
            public_key: teller_audit::crypto::PublicKey(pk),
            signature: teller_audit::crypto::Signature(sig),
        })
        .unwrap()
    }
}

pub fn new_key() -> ring::signature::Ed25519KeyPair {
    let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
    ring::signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap()
}

pub async fn upload(app: &TestApp, cookie: &str, election: &str, csv: &str) -> (StatusCode, String) {
    let (_, page) = get(app, cookie, &format!("/staff/elections/{election}")).await;
    let form = reqwest::multipart::Form::new().text("csrf", csrf_of(&page)).part(
        "roll",
        reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("members.csv"),
    );
    let res = app
        .http
        .post(app.url(&format!("/staff/elections/{election}/roll")))
        .header("cookie", cookie)
        .multipart(form)
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

pub async fn post(app: &TestApp, cookie: &str, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
    // The anti-forgery token is the session's: any console page carries it.
    let (_, page) = get(app, cookie, "/staff").await;
    let csrf = csrf_of(&page);
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    let res = app
        .http
        .post(app.url(path))
        .header("cookie", cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

/// Wait until nothing is waiting to be sent.
pub async fn drained(app: &TestApp, cookie: &str, id: &str) -> String {
    let started = Instant::now();
    loop {
        let (_, html) = get(app, cookie, &format!("/staff/elections/{id}/delivery")).await;
        if !html.contains("Sending…") {
            return html;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "messages were never sent");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub fn code_in(mail: &super::smtp::Mail) -> String {
    let at = mail.data.find("/v/").unwrap() + 3;
    mail.data[at..at + 28].to_string()
}
