//! Signing in and out.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::{Deserialize, Serialize};

use super::{clear_cookie, cookie_value, session_cookie};
use crate::ops::staff::{login as check_login, logout as end_session, LoginError};
use crate::web::error::PageError;
use crate::web::limits::minutes;
use crate::web::pages::{render, Page};
use crate::web::AppState;

#[derive(Serialize)]
struct LoginPage {
    username: String,
    error: Option<String>,
    notice: Option<String>,
}

fn page(status: StatusCode, username: String, error: Option<String>, notice: Option<String>) -> Response {
    render(
        status,
        "staff_login",
        &Page {
            page_title: if error.is_some() {
                "Error: sign in".into()
            } else {
                "Sign in".into()
            },
            election_title: None,
            body: LoginPage {
                username,
                error,
                notice,
            },
        },
    )
}

/// Why the login page is shown.
#[derive(Deserialize)]
pub struct LoginQuery {
    expired: Option<String>,
}

/// `GET /staff/login`.
pub async fn form(Query(q): Query<LoginQuery>) -> Response {
    let notice = q
        .expired
        .map(|_| "Your session ended. Please sign in again.".to_string());
    page(StatusCode::OK, String::new(), None, notice)
}

/// The login form.
#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
}

/// `POST /staff/login`: rate-limited per address and per account.
pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Form(form): Form<LoginForm>,
) -> Response {
    let ip = addr.ip();
    let target = format!("login:{}", form.username.trim().to_ascii_lowercase());
    if let Err(wait) = state.login_limiter().check(ip, &target) {
        let mut res = page(
            StatusCode::TOO_MANY_REQUESTS,
            form.username.clone(),
            Some(format!(
                "Too many sign-in attempts did not work. Wait {} minute(s) and try again.",
                minutes(wait)
            )),
            None,
        );
        if let Ok(v) = axum::http::HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return res;
    }
    let now = crate::time::now();
    let (username, password, code) = (form.username.clone(), form.password, form.code);
    let result = state
        .run(move |conn, secret| Ok(check_login(conn, secret, &username, &password, &code, now)))
        .await;
    match result {
        Ok(Ok(session)) => (
            StatusCode::SEE_OTHER,
            [(header::SET_COOKIE, session_cookie(&state, &session.cookie))],
            Redirect::to("/staff"),
        )
            .into_response(),
        Ok(Err(LoginError::Op(e))) | Err(e) => PageError::from(e).into_response(),
        Ok(Err(e)) => {
            state.login_limiter().failed(ip, &target);
            page(StatusCode::UNAUTHORIZED, form.username, Some(e.to_string()), None)
        }
    }
}

/// `POST /staff/logout`.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(cookie) = cookie_value(&headers) {
        if let Err(e) = state.run(move |conn, _| end_session(conn, &cookie)).await {
            return PageError::from(e).into_response();
        }
    }
    (
        StatusCode::SEE_OTHER,
        [(header::SET_COOKIE, clear_cookie())],
        Redirect::to("/staff/login"),
    )
        .into_response()
}
