//! One's own account: the password and the second factor.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::{Deserialize, Serialize};

use super::{check_csrf, signed_in, Nav};
use crate::domain::totp;
use crate::ops::staff::{change_password, enrol_totp, new_totp_key, AccountError};
use crate::web::error::PageError;
use crate::web::pages::{render, Page};
use crate::web::AppState;

#[derive(Serialize)]
struct AccountPage {
    nav: Nav,
    username: String,
    totp_enrolled: bool,
    totp_key: String,
    totp_uri: String,
    message: Option<String>,
    error: Option<String>,
}

fn page(status: StatusCode, body: AccountPage) -> Response {
    render(
        status,
        "staff_account",
        &Page {
            page_title: "Your account".into(),
            election_title: None,
            body,
        },
    )
}

fn fresh_key() -> Result<[u8; 20], Response> {
    new_totp_key().map_err(|e| PageError::from(e).into_response())
}

/// `GET /staff/account`.
pub async fn show(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let user = match signed_in(&state, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let key = match fresh_key() {
        Ok(k) => k,
        Err(r) => return r,
    };
    page(
        StatusCode::OK,
        AccountPage {
            username: user.username.clone(),
            totp_enrolled: user.totp,
            totp_key: totp::base32(&key),
            totp_uri: totp::uri(&key, &user.username),
            nav: Nav::of(&user),
            message: None,
            error: None,
        },
    )
}

/// The password form.
#[derive(Deserialize)]
pub struct PasswordForm {
    csrf: String,
    current: String,
    new: String,
    repeat: String,
}

/// `POST /staff/account/password`.
pub async fn password(State(state): State<AppState>, headers: HeaderMap, Form(form): Form<PasswordForm>) -> Response {
    let user = match signed_in(&state, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    if let Err(r) = check_csrf(&user, &form.csrf) {
        return r;
    }
    let fail = |message: String| -> Response {
        let key = match fresh_key() {
            Ok(k) => k,
            Err(r) => return r,
        };
        page(
            StatusCode::UNPROCESSABLE_ENTITY,
            AccountPage {
                username: user.username.clone(),
                totp_enrolled: user.totp,
                totp_key: totp::base32(&key),
                totp_uri: totp::uri(&key, &user.username),
                nav: Nav::of(&user),
                message: None,
                error: Some(message),
            },
        )
    };
    if form.new != form.repeat {
        return fail("The two new passwords differ.".into());
    }
    let u = user.clone();
    match state
        .run(move |conn, _| Ok(change_password(conn, &u, &form.current, &form.new)))
        .await
    {
        Ok(Ok(())) => Redirect::to("/staff/login?expired=1").into_response(),
        Ok(Err(AccountError::Op(e))) | Err(e) => PageError::from(e).into_response(),
        Ok(Err(e)) => fail(format!("{}.", capitalise(&e.to_string()))),
    }
}

/// The enrolment form: the key shown and a code from the app.
#[derive(Deserialize)]
pub struct TotpForm {
    csrf: String,
    key: String,
    code: String,
}

fn decode_base32(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0);
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let v = ALPHABET.iter().position(|a| *a == c.to_ascii_uppercase())? as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}

/// `POST /staff/account/totp`.
pub async fn enrol(State(state): State<AppState>, headers: HeaderMap, Form(form): Form<TotpForm>) -> Response {
    let user = match signed_in(&state, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    if let Err(r) = check_csrf(&user, &form.csrf) {
        return r;
    }
    let Some(key) = decode_base32(&form.key).filter(|k| k.len() == 20) else {
        return PageError::bad_request("The key was changed; reload the page and start again.").into_response();
    };
    let now = crate::time::now();
    let u = user.clone();
    let k = key.clone();
    match state
        .run(move |conn, secret| Ok(enrol_totp(conn, secret, &u, &k, &form.code, now)))
        .await
    {
        Ok(Ok(())) => page(
            StatusCode::OK,
            AccountPage {
                username: user.username.clone(),
                totp_enrolled: true,
                totp_key: String::new(),
                totp_uri: String::new(),
                nav: Nav::of(&user),
                message: Some("Two-step sign-in is on: from now on you will be asked for a code.".into()),
                error: None,
            },
        ),
        Ok(Err(AccountError::Op(e))) | Err(e) => PageError::from(e).into_response(),
        Ok(Err(e)) => page(
            StatusCode::UNPROCESSABLE_ENTITY,
            AccountPage {
                username: user.username.clone(),
                totp_enrolled: false,
                totp_key: totp::base32(&key),
                totp_uri: totp::uri(&key, &user.username),
                nav: Nav::of(&user),
                message: None,
                error: Some(format!("{}.", capitalise(&e.to_string()))),
            },
        ),
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
