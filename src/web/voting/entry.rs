//! Getting to the ballot: from a link carrying the token, or a typed code.

use axum::extract::{Path, State};
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
/// malformed ones count against the client's limits.
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
        Err(e) => failed_code(&state, ip, SITE, limited, malformed_page(e)).await,
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
                TokenFormatError::Mistyped => {
                    "The code has a typing mistake: one letter or digit is wrong, or two are swapped. Check each group of four."
                }
                TokenFormatError::Malformed => "Enter the 28 letters and digits of your voting code, as printed in your invitation.",
            };
            let code: String = form.code.chars().take(60).collect();
            let page = enter_page(StatusCode::UNPROCESSABLE_ENTITY, code, Some(message.to_string()));
            failed_code(&state, ip, SITE, limited, page).await
        }
    }
}
