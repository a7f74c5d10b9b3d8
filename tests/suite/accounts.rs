//! Staff accounts under attack over real HTTP and the real CLI: a second
//! factor code replayed, a second factor replaced or removed by someone
//! holding only a session, and weak passwords wherever a password is set.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use common::staff::{add_staff, csrf_of, get, post, sign_in};
use common::{Backend, TestApp};
use reqwest::StatusCode;
use teller::domain::totp::code_at;

/// Now, but not within the last seconds of a 30-second step, so that a code
/// computed here is checked by the server in the same step.
async fn steady_now() -> i64 {
    loop {
        let t = teller::time::now();
        if t.rem_euclid(30) < 27 {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

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

/// The key the account page offers to enrol: (text as shown, bytes).
async fn offered_key(app: &TestApp, cookie: &str) -> (String, Vec<u8>) {
    let (status, html) = get(app, cookie, "/staff/account").await;
    assert_eq!(status, StatusCode::OK);
    let at = html.find("name=\"key\" value=\"").unwrap() + "name=\"key\" value=\"".len();
    let text = html[at..at + html[at..].find('"').unwrap()].to_string();
    let bytes = base32_decode(&text);
    (text, bytes)
}

/// Post the second-factor form.
async fn second_factor(app: &TestApp, cookie: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
    post(app, cookie, "/staff/account/totp", fields).await
}

fn sealed_key_of(app: &TestApp, username: &str) -> Option<String> {
    teller::store::staff::by_username(&mut app.db.conn(), username)
        .unwrap()
        .unwrap()
        .totp_secret
}

async fn a_totp_code_signs_in_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    add_staff(&app, "di", "certifier", "certifier password");
    let cookie = sign_in(&app, "di", "certifier password", "").await.unwrap();
    let (key_text, key) = offered_key(&app, &cookie).await;
    let now = steady_now().await;
    let enrol_code = code_at(&key, now - 30);
    let (status, html) = second_factor(
        &app,
        &cookie,
        &[
            ("action", "enrol"),
            ("key", &key_text),
            ("password", "certifier password"),
            ("code", &enrol_code),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Two-step sign-in is on"), "{html}");
    // The code that proved the key is used up.
    let (status, html) = sign_in(&app, "di", "certifier password", &enrol_code)
        .await
        .unwrap_err();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(html.contains("used already"), "{html}");

    // One code, three sign-ins at once (as someone who watched it typed
    // would try): exactly one gets in.
    let code = code_at(&key, steady_now().await);
    let attempts = futures_join3(
        sign_in(&app, "di", "certifier password", &code),
        sign_in(&app, "di", "certifier password", &code),
        sign_in(&app, "di", "certifier password", &code),
    )
    .await;
    let signed_in = attempts.iter().filter(|a| a.is_ok()).count();
    assert_eq!(signed_in, 1, "{attempts:?}");
    for refused in attempts.iter().filter_map(|a| a.as_ref().err()) {
        assert_eq!(refused.0, StatusCode::UNAUTHORIZED);
        assert!(refused.1.contains("used already"), "{}", refused.1);
    }
    // And once more afterwards, one by one; an earlier code neither.
    for again in [code.clone(), enrol_code] {
        let (status, html) = sign_in(&app, "di", "certifier password", &again).await.unwrap_err();
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(html.contains("used already"), "{html}");
    }
    // The next step's code works.
    let next = code_at(&key, steady_now().await + 30);
    assert!(sign_in(&app, "di", "certifier password", &next).await.is_ok());
}
on_both_backends!(a_totp_code_signs_in_only_once, a_totp_code_signs_in_once);

/// A session as someone who stole its cookie holds it (made in the database:
/// signing in again would need a new code each time).
struct Stolen {
    cookie: String,
    csrf: String,
}

impl Stolen {
    fn session(app: &TestApp, username: &str) -> Stolen {
        let mut conn = app.db.conn();
        let staff = teller::store::staff::by_username(&mut conn, username).unwrap().unwrap();
        let value = hex::encode(rand_bytes());
        let csrf = hex::encode(rand_bytes());
        let now = teller::time::now();
        teller::store::staff::insert_session(
            &mut conn,
            &teller::store::staff::SessionRow {
                token_hash: teller_audit::crypto::Digest::of(value.as_bytes()).to_hex(),
                staff_id: staff.id,
                csrf: csrf.clone(),
                created_at: now,
                last_seen: now,
                expires_at: now + 3600,
            },
        )
        .unwrap();
        Stolen {
            cookie: format!("teller_staff={value}"),
            csrf,
        }
    }

    /// Post the second-factor form with this session.
    async fn post(&self, app: &TestApp, fields: &[(&str, &str)]) -> (StatusCode, String) {
        let mut form = vec![("csrf", self.csrf.as_str())];
        form.extend_from_slice(fields);
        let res = app
            .http
            .post(app.url("/staff/account/totp"))
            .header("cookie", &self.cookie)
            .form(&form)
            .send()
            .await
            .unwrap();
        (res.status(), res.text().await.unwrap())
    }
}

fn rand_bytes() -> [u8; 32] {
    let mut b = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b).unwrap();
    b
}

async fn futures_join3<T>(
    a: impl std::future::Future<Output = T>,
    b: impl std::future::Future<Output = T>,
    c: impl std::future::Future<Output = T>,
) -> Vec<T> {
    let (a, b, c) = tokio::join!(a, b, c);
    vec![a, b, c]
}

async fn a_session_alone_cannot_change_the_second_factor(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    add_staff(&app, "di", "certifier", "certifier password");
    let cookie = sign_in(&app, "di", "certifier password", "").await.unwrap();

    // Enrolling needs the password too.
    let (key_text, key) = offered_key(&app, &cookie).await;
    let code = code_at(&key, steady_now().await - 30);
    let (status, html) = second_factor(&app, &cookie, &[("key", &key_text), ("code", &code)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("The current password is not right"), "{html}");
    assert_eq!(sealed_key_of(&app, "di"), None);
    let (status, html) = second_factor(
        &app,
        &cookie,
        &[("key", &key_text), ("password", "certifier password"), ("code", &code)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let enrolled = sealed_key_of(&app, "di").unwrap();

    // Someone holding only a session (a borrowed laptop, a stolen cookie)
    // tries to move the second factor to their own app, or to turn it off.
    // Each try on a session of its own, as each failure counts in the session.
    let (attacker_key_text, attacker_key) = offered_key(&app, &cookie).await;
    assert_ne!(attacker_key, key);
    let attacker_code = code_at(&attacker_key, steady_now().await);
    let replace = |password: &'static str, current: String| {
        vec![
            ("action", "enrol".to_string()),
            ("key", attacker_key_text.clone()),
            ("password", password.to_string()),
            ("current_code", current),
            ("code", attacker_code.clone()),
        ]
    };
    for (fields, says) in [
        (replace("", String::new()), "The current password is not right"),
        (
            replace("guessed password", code_at(&key, teller::time::now())),
            "The current password is not right",
        ),
        (replace("certifier password", String::new()), "current 6-digit code"),
        (replace("certifier password", "123456".into()), "current 6-digit code"),
        (
            replace("certifier password", attacker_code.clone()),
            "current 6-digit code",
        ),
        (
            vec![("action", "remove".to_string()), ("password", String::new())],
            "The current password is not right",
        ),
        (
            vec![
                ("action", "remove".to_string()),
                ("password", "certifier password".into()),
            ],
            "current 6-digit code",
        ),
    ] {
        let stolen = Stolen::session(&app, "di");
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, html) = stolen.post(&app, &fields).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}: {html}");
        assert!(
            html.contains(says) && html.contains("Nothing was changed"),
            "{fields:?}: {html}"
        );
        assert_eq!(
            sealed_key_of(&app, "di").as_deref(),
            Some(enrolled.as_str()),
            "{fields:?}"
        );
    }
    // The attacker's app gives no way in.
    let (status, html) = sign_in(
        &app,
        "di",
        "certifier password",
        &code_at(&attacker_key, teller::time::now()),
    )
    .await
    .unwrap_err();
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{html}");

    // Nor can the session be used to guess the password, or (knowing the
    // password) the current code: the third failure in a session ends it.
    let right = code_at(&key, steady_now().await + 30);
    for guessing in ["password", "code"] {
        let stolen = Stolen::session(&app, "di");
        for attempt in 1..=4 {
            let fields = match guessing {
                "password" => replace("guessed password", right.clone()),
                _ => replace("certifier password", format!("{:06}", 100_000 + attempt)),
            };
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (status, html) = stolen.post(&app, &fields).await;
            let ended = status == StatusCode::SEE_OTHER;
            assert_eq!(ended, attempt >= 3, "{guessing} #{attempt}: {html}");
        }
        // Afterwards even the right password and code do nothing.
        let (status, _) = stolen
            .post(
                &app,
                &replace("certifier password", right.clone())
                    .iter()
                    .map(|(k, v)| (*k, v.as_str()))
                    .collect::<Vec<_>>(),
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(sealed_key_of(&app, "di").as_deref(), Some(enrolled.as_str()));
    }
    // Nor many guesses at once: at most two are answered "not right"
    // before the session ends, the rest are turned away unchecked.
    let stolen = Stolen::session(&app, "di");
    let guesses: Vec<Vec<(&str, String)>> = (0..8).map(|_| replace("guessed password", right.clone())).collect();
    let tasks: Vec<_> = guesses
        .into_iter()
        .map(|fields| {
            let (http, url) = (app.http.clone(), app.url("/staff/account/totp"));
            let (cookie, csrf) = (stolen.cookie.clone(), stolen.csrf.clone());
            tokio::spawn(async move {
                let mut form = vec![("csrf", csrf)];
                form.extend(fields);
                let res = http
                    .post(url)
                    .header("cookie", cookie)
                    .form(&form)
                    .send()
                    .await
                    .unwrap();
                (res.status(), res.text().await.unwrap())
            })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    let not_right = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::UNPROCESSABLE_ENTITY)
        .count();
    let ended = answers.iter().filter(|(s, _)| *s == StatusCode::SEE_OTHER).count();
    assert!(
        not_right <= 2 && not_right + ended == 8,
        "{not_right} not right, {ended} signed out"
    );
    assert_eq!(sealed_key_of(&app, "di").as_deref(), Some(enrolled.as_str()));

    // The owner, with the password and a current code, moves it to a new
    // app (whose code then signs in), and later turns it off.
    let (new_key_text, new_key) = offered_key(&app, &cookie).await;
    let now = steady_now().await;
    let (status, html) = second_factor(
        &app,
        &cookie,
        &[
            ("action", "enrol"),
            ("key", &new_key_text),
            ("password", "certifier password"),
            ("current_code", &code_at(&key, now)),
            ("code", &code_at(&new_key, now - 30)),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert_ne!(sealed_key_of(&app, "di").as_deref(), Some(enrolled.as_str()));
    let now = steady_now().await;
    assert!(sign_in(&app, "di", "certifier password", &code_at(&key, now + 30))
        .await
        .is_err());
    let cookie = sign_in(&app, "di", "certifier password", &code_at(&new_key, now))
        .await
        .unwrap();
    let (status, html) = second_factor(
        &app,
        &cookie,
        &[
            ("action", "remove"),
            ("password", "certifier password"),
            ("current_code", &code_at(&new_key, steady_now().await + 30)),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Two-step sign-in is off"), "{html}");
    assert_eq!(sealed_key_of(&app, "di"), None);
    assert!(sign_in(&app, "di", "certifier password", "").await.is_ok());
}
on_both_backends!(
    a_session_alone_cannot_replace_or_remove_the_second_factor,
    a_session_alone_cannot_change_the_second_factor
);

const WEAK: [&str; 5] = [
    "aaaaaaaaaaaa",
    "password1234",
    "qwertyuiopasdf",
    "1qaz2wsx3edc4rfv",
    "abcdefghijklmnop",
];

/// `teller staff add --password-stdin`: (success, stderr).
fn add_with_password(app: &TestApp, username: &str, password: &str) -> (bool, String) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_teller"))
        .args(["staff", "add", username, "--role", "officer", "--password-stdin"])
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
    (out.status.success(), String::from_utf8_lossy(&out.stderr).to_string())
}

async fn weak_passwords_are_refused_wherever_a_password_is_set(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // The command line.
    for weak in WEAK {
        let (ok, err) = add_with_password(&app, "bo", weak);
        assert!(!ok, "{weak} was accepted");
        assert!(err.contains("too easy to guess"), "{weak}: {err}");
    }
    let (ok, err) = add_with_password(&app, "bo", "bo-bo-bo-bo-bo");
    assert!(!ok && err.contains("too easy to guess"), "{err}");
    assert!(teller::store::staff::by_username(&mut app.db.conn(), "bo")
        .unwrap()
        .is_none());
    let (ok, err) = add_with_password(&app, "bo", "plum tractor vivid oyster");
    assert!(ok, "{err}");

    // One's own account page.
    let cookie = sign_in(&app, "bo", "plum tractor vivid oyster", "").await.unwrap();
    for weak in WEAK {
        let (status, html) = post(
            &app,
            &cookie,
            "/staff/account/password",
            &[
                ("current", "plum tractor vivid oyster"),
                ("new", weak),
                ("repeat", weak),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{weak}: {html}");
        assert!(html.contains("too easy to guess"), "{weak}: {html}");
    }
    assert!(sign_in(&app, "bo", WEAK[0], "").await.is_err());
    let (status, html) = get(&app, &cookie, "/staff/account").await;
    assert_eq!(status, StatusCode::OK, "the session lives on: {html}");

    // Accounts an administrator creates get a generated password the policy accepts.
    add_staff(&app, "ada", "administrator", "correct horse battery");
    let admin = sign_in(&app, "ada", "correct horse battery", "").await.unwrap();
    let (_, page) = get(&app, &admin, "/staff/accounts").await;
    let csrf = csrf_of(&page);
    let res = app
        .http
        .post(app.url("/staff/accounts"))
        .header("cookie", &admin)
        .form(&[
            ("csrf", csrf.as_str()),
            ("action", "create"),
            ("username", "cy"),
            ("display_name", "Cy Doe"),
            ("role", "observer"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    let at = html.find("The password for cy</h2>").unwrap();
    let code = html[at..].find("<code class=\"hash\">").unwrap() + at + "<code class=\"hash\">".len();
    let generated = &html[code..code + html[code..].find('<').unwrap()];
    assert_eq!(teller::domain::password::check(generated, &["cy", "Cy Doe"]), Ok(()));
    assert!(sign_in(&app, "cy", generated, "").await.is_ok());
}
on_both_backends!(
    weak_passwords_are_refused_on_the_command_line_and_the_account_page,
    weak_passwords_are_refused_wherever_a_password_is_set
);
