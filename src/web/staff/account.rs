//! One's own account: the password and the second factor.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::{Deserialize, Serialize};

use super::{check_csrf, signed_in, Nav};
use crate::domain::totp;
use crate::ops::staff::{change_password, change_second_factor, new_totp_key, AccountError, SecondFactorChange};
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
        Ok(Ok(())) | Ok(Err(AccountError::SignedOut)) => Redirect::to("/staff/login?expired=1").into_response(),
        Ok(Err(AccountError::Op(e))) | Err(e) => PageError::from(e).into_response(),
        Ok(Err(e)) => fail(format!("{}.", capitalise(&e.to_string()))),
    }
}

/// The second-factor form: enrol (or replace) with the key shown and a code
/// from the app, or remove; either way with the password and, when a second
/// factor is on, a current code from it.
#[derive(Deserialize)]
pub struct TotpForm {
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    current_code: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
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

/// `POST /staff/account/totp`: `action` is `enrol` (the default; replaces
/// an enrolled second factor) or `remove`.
pub async fn enrol(State(state): State<AppState>, headers: HeaderMap, Form(form): Form<TotpForm>) -> Response {
    let user = match signed_in(&state, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    if let Err(r) = check_csrf(&user, &form.csrf) {
        return r;
    }
    let remove = match form.action.as_str() {
        "" | "enrol" => false,
        "remove" => true,
        _ => return PageError::bad_request("Unknown action; reload the page and start again.").into_response(),
    };
    let key = if remove {
        Vec::new()
    } else {
        match decode_base32(&form.key).filter(|k| k.len() == 20) {
            Some(k) => k,
            None => {
                return PageError::bad_request("The key was changed; reload the page and start again.").into_response()
            }
        }
    };
    let now = crate::time::now();
    let u = user.clone();
    let k = key.clone();
    let result = state
        .run(move |conn, secret| {
            let change = if remove {
                SecondFactorChange::Remove
            } else {
                SecondFactorChange::Enrol {
                    key: &k,
                    code: &form.code,
                }
            };
            Ok(change_second_factor(
                conn,
                secret,
                &u,
                &form.password,
                &form.current_code,
                change,
                now,
            ))
        })
        .await;
    // The page shows a key to enrol (or to replace the enrolled one) in any case.
    let shown = if remove || matches!(result, Ok(Ok(_))) {
        match fresh_key() {
            Ok(k) => k.to_vec(),
            Err(r) => return r,
        }
    } else {
        key
    };
    let (status, enrolled, message, error) = match result {
        Ok(Ok(true)) => (
            StatusCode::OK,
            true,
            Some("Two-step sign-in is on: from now on you will be asked for a code.".to_string()),
            None,
        ),
        Ok(Ok(false)) => (
            StatusCode::OK,
            false,
            Some("Two-step sign-in is off.".to_string()),
            None,
        ),
        Ok(Err(AccountError::SignedOut)) => return Redirect::to("/staff/login?expired=1").into_response(),
        Ok(Err(AccountError::Op(e))) | Err(e) => return PageError::from(e).into_response(),
        Ok(Err(e)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            user.totp,
            None,
            Some(format!("{}. Nothing was changed.", capitalise(&e.to_string()))),
        ),
    };
    page(
        status,
        AccountPage {
            username: user.username.clone(),
            totp_enrolled: enrolled,
            totp_key: totp::base32(&shown),
            totp_uri: totp::uri(&shown, &user.username),
            nav: Nav::of(&user),
            message,
            error,
        },
    )
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
