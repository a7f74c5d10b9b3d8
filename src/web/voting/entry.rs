//! Getting to the ballot: from a link carrying the token, or a typed code.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::{Deserialize, Serialize};

use super::{malformed_page, set_cookie, too_many_page};
use crate::domain::token::{Token, TokenFormatError};
use crate::web::limits::SITE;
use crate::web::pages::{render, Page};
use crate::web::AppState;

/// `GET /v/{token}`: keep the token in a cookie and move on to a URL without it.
pub async fn from_link(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(text): Path<String>,
) -> Response {
    if let Err(wait) = state.limiter().check(addr.ip(), SITE) {
        return too_many_page(wait);
    }
    match Token::parse(&text) {
        Ok(token) => (
            StatusCode::SEE_OTHER,
            [(header::SET_COOKIE, set_cookie(&state, &token))],
            Redirect::to("/ballot"),
        )
            .into_response(),
        Err(e) => {
            state.limiter().failed(addr.ip(), SITE);
            malformed_page(e)
        }
    }
}

#[derive(Serialize)]
struct EnterCode {
    code: String,
    error: Option<String>,
}

fn enter_page(status: StatusCode, code: String, error: Option<String>) -> Response {
    render(
        status,
        "enter_code",
        &Page {
            page_title: if error.is_some() {
                "Error: enter your voting code".into()
            } else {
                "Enter your voting code".into()
            },
            election_title: None,
            body: EnterCode { code, error },
        },
    )
}

/// `GET /vote`: the page to type a code.
pub async fn form() -> Response {
    enter_page(StatusCode::OK, String::new(), None)
}

/// The typed code.
#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// `POST /vote`: check the code's form and go to the ballot.
pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Form(form): Form<CodeForm>,
) -> Response {
    if let Err(wait) = state.limiter().check(addr.ip(), SITE) {
        return too_many_page(wait);
    }
    match Token::parse(&form.code) {
        Ok(token) => (
            StatusCode::SEE_OTHER,
            [(header::SET_COOKIE, set_cookie(&state, &token))],
            Redirect::to("/ballot"),
        )
            .into_response(),
        Err(e) => {
            state.limiter().failed(addr.ip(), SITE);
            let message = match e {
                TokenFormatError::Mistyped => {
                    "The code has a typing mistake: one letter or digit is wrong, or two are swapped. Check each group of four."
                }
                TokenFormatError::Malformed => "Enter the 28 letters and digits of your voting code, as printed in your invitation.",
            };
            let code: String = form.code.chars().take(60).collect();
            enter_page(StatusCode::UNPROCESSABLE_ENTITY, code, Some(message.to_string()))
        }
    }
}
