//! Getting to the ballot: from a link carrying the token, or a typed code.

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::{Deserialize, Serialize};

use super::{failed_code, malformed_page, set_cookie};
use crate::domain::token::{Token, TokenFormatError};
use crate::web::client::ClientAddr;
use crate::web::limits::SITE;
use crate::web::pages::{render, Page};
use crate::web::AppState;

/// `GET /v/{token}`: keep the token in a cookie and move on to a URL without
/// it. A well-formed code always moves on (the ballot page checks it); only
/// malformed ones count against the client's limits. Whatever happens, the
/// answer is a redirect: no page is ever shown at an address holding a code,
/// which would stay in the address bar and the history.
pub async fn from_link(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    Path(text): Path<String>,
) -> Response {
    let limited = state.limiter().check(ip, SITE).err();
    match Token::parse(&text) {
        Ok(token) => (
            StatusCode::SEE_OTHER,
            [(header::SET_COOKIE, set_cookie(&state, &token))],
            Redirect::to("/ballot"),
        )
            .into_response(),
        Err(e) => {
            let why = match e {
                TokenFormatError::Mistyped => "/vote?link=mistyped",
                TokenFormatError::Malformed => "/vote?link=invalid",
            };
            let res = failed_code(&state, ip, SITE, limited, Redirect::to(why).into_response()).await;
            if res.status() == StatusCode::TOO_MANY_REQUESTS {
                Redirect::to("/vote?locked=1").into_response()
            } else {
                res
            }
        }
    }
}

/// Where `/v/{token}` sends a link that did not work.
#[derive(Deserialize)]
pub struct EntryQuery {
    /// `mistyped` or `invalid`: the link's code was not a code.
    link: Option<String>,
    /// Set when the client's code attempts are locked out.
    locked: Option<String>,
    /// The election whose page sent the member here: the page says when
    /// its voting closes.
    election: Option<String>,
}

#[derive(Serialize)]
struct EnterCode {
    code: String,
    error: Option<String>,
    closing: Option<crate::time::Closing>,
}

fn enter_page(status: StatusCode, code: String, error: Option<String>) -> Response {
    enter_page_for(status, code, error, None)
}

fn enter_page_for(
    status: StatusCode,
    code: String,
    error: Option<String>,
    closing: Option<crate::time::Closing>,
) -> Response {
    render(
        status,
        "enter_code",
        &Page {
            page_title: if error.is_some() {
                super::t("enter-title-error")
            } else {
                super::t("enter-title")
            },
            election_title: None,
            body: EnterCode { code, error, closing },
        },
    )
}

/// `GET /vote`: the page to type a code (after a link that did not work,
/// with why).
pub async fn form(State(state): State<AppState>, ClientAddr(ip): ClientAddr, Query(q): Query<EntryQuery>) -> Response {
    if q.locked.is_some() {
        if let Err(wait) = state.limiter().check(ip, SITE) {
            return super::too_many_page(wait);
        }
    }
    match q.link.as_deref() {
        Some("mistyped") => malformed_page(TokenFormatError::Mistyped),
        Some("invalid") => malformed_page(TokenFormatError::Malformed),
        _ => {
            let closing = match q.election {
                Some(id) => closing_of(&state, id).await,
                None => None,
            };
            enter_page_for(StatusCode::OK, String::new(), None, closing)
        }
    }
}

/// When voting closes in an election open to the public whose polls are
/// open; nothing for any other (or unknown) election.
async fn closing_of(state: &AppState, id: String) -> Option<crate::time::Closing> {
    let row = state
        .run(move |conn, _| crate::ops::resolve_public_election(conn, &id))
        .await
        .ok()?;
    let now = crate::time::now();
    crate::domain::lifecycle::voting_window(row.state().ok()?, row.opens_at, row.closes_at, now).ok()?;
    crate::time::closing(row.closes_at, &row.zone(), now)
}

/// The typed code.
#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// `POST /vote`: check the code's form and go to the ballot (as a link does).
pub async fn submit(State(state): State<AppState>, ClientAddr(ip): ClientAddr, Form(form): Form<CodeForm>) -> Response {
    let limited = state.limiter().check(ip, SITE).err();
    match Token::parse(&form.code) {
        Ok(token) => (
            StatusCode::SEE_OTHER,
            [(header::SET_COOKIE, set_cookie(&state, &token))],
            Redirect::to("/ballot"),
        )
            .into_response(),
        Err(e) => {
            let message = match e {
                TokenFormatError::Mistyped => super::t("enter-mistyped"),
                TokenFormatError::Malformed => super::t("enter-malformed"),
            };
            let code: String = form.code.chars().take(60).collect();
            let page = enter_page(StatusCode::UNPROCESSABLE_ENTITY, code, Some(message));
            failed_code(&state, ip, SITE, limited, page).await
        }
    }
}
