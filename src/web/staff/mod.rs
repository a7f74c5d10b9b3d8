//! The election committee's console: staff sign in, run elections, and
//! certify results. Every page needs a signed-in account; every form
//! carries the session's anti-forgery token; every action checks the role.
//!
//! The session cookie is HttpOnly, `SameSite=Strict`, `Path=/staff`,
//! `Secure` over HTTPS, and expires (30 minutes idle, 12 hours at most).

pub mod account;
pub mod accounts;
pub mod builder;
pub mod candidates;
pub mod dashboard;
pub mod delivery;
pub mod election;
pub mod login;
pub mod organisation;
pub mod report;
pub mod roll;
pub mod texts;

use std::net::IpAddr;

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;

use super::error::PageError;
use super::pages::{render, Page};
use super::AppState;
use crate::ops::staff::{session_user, StaffUser};

/// The session cookie.
pub const COOKIE: &str = "teller_staff";

/// A `Set-Cookie` value for a new session.
pub fn session_cookie(state: &AppState, value: &str) -> HeaderValue {
    let secure = if state.https() { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE}={value}; Path=/staff; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        crate::ops::staff::MAX_SECONDS
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("teller_staff=; Path=/staff; Max-Age=0"))
}

/// A `Set-Cookie` value that ends the session in the browser.
pub fn clear_cookie() -> HeaderValue {
    HeaderValue::from_static("teller_staff=; Path=/staff; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// The session cookie's value, if any.
pub fn cookie_value(headers: &HeaderMap) -> Option<String> {
    crate::web::cookie(headers, COOKIE)
}

/// The signed-in staff member, or a redirect to the login page.
pub async fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<StaffUser, Response> {
    let Some(cookie) = cookie_value(headers) else {
        return Err(Redirect::to("/staff/login").into_response());
    };
    let now = crate::time::now();
    match state.run(move |conn, _| session_user(conn, &cookie, now)).await {
        Ok(Some(user)) => {
            // The request's log line names the account (web::request_id).
            tracing::Span::current().record("actor", user.actor().as_str());
            Ok(user)
        }
        Ok(None) => Err(Redirect::to("/staff/login?expired=1").into_response()),
        Err(e) => Err(PageError::from(e).into_response()),
    }
}

/// Admit a posted console form: its sender is signed in, the form carries
/// the session's anti-forgery token, and their role passes `allowed`
/// (refused with "… accounts cannot {what}").
pub async fn authorised(
    state: &AppState,
    headers: &HeaderMap,
    csrf: &str,
    allowed: fn(crate::domain::roles::Role) -> bool,
    what: &str,
) -> Result<StaffUser, Response> {
    let user = signed_in(state, headers).await?;
    check_csrf(&user, csrf)?;
    require(&user, allowed(user.role), what)?;
    Ok(user)
}

/// Refuse a form whose anti-forgery token is not the session's.
pub fn check_csrf(user: &StaffUser, submitted: &str) -> Result<(), Response> {
    if subtle::ConstantTimeEq::ct_eq(user.csrf.as_bytes(), submitted.as_bytes()).into() {
        Ok(())
    } else {
        Err(refusal(
            StatusCode::FORBIDDEN,
            "This form has expired",
            "The form did not carry this session's security code, so nothing was changed. Go back, reload the page and try again.",
        ))
    }
}

/// Refuse an action the role does not allow.
pub fn require(user: &StaffUser, allowed: bool, what: &str) -> Result<(), Response> {
    if allowed {
        Ok(())
    } else {
        Err(refusal(
            StatusCode::FORBIDDEN,
            "Your role does not allow this",
            &format!(
                "{} accounts cannot {what}. Ask an administrator if you need to.",
                user.role.label()
            ),
        ))
    }
}

#[derive(Serialize)]
struct Refusal<'a> {
    heading: &'a str,
    message: &'a str,
}

fn refusal(status: StatusCode, heading: &str, message: &str) -> Response {
    render(
        status,
        "error",
        &Page {
            page_title: heading.to_string(),
            election_title: None,
            body: Refusal { heading, message },
        },
    )
}

/// What every console page shows in its navigation.
#[derive(Serialize)]
pub struct Nav {
    /// Display name.
    pub name: String,
    /// Role in words.
    pub role: &'static str,
    /// The anti-forgery token for the page's forms.
    pub csrf: String,
    /// Whether the accounts page is offered.
    pub admin: bool,
}

impl Nav {
    /// The navigation for `user`.
    pub fn of(user: &StaffUser) -> Self {
        Nav {
            name: user.display_name.clone(),
            role: user.role.label(),
            csrf: user.csrf.clone(),
            admin: user.role.manages_accounts(),
        }
    }
}

/// The client's address, for rate limits.
pub fn ip_of(addr: &std::net::SocketAddr) -> IpAddr {
    addr.ip()
}
