//! The voter's path: a link or a typed code, the ballot, the review, the
//! cast, and the receipt. Works without JavaScript.
//!
//! The token travels in an HttpOnly, SameSite=Lax cookie after the first
//! request, so it does not stay in the address bar and is never sent as a
//! referrer (every response also says `Referrer-Policy: no-referrer`).

pub mod ballot;
pub mod cast;
pub mod encrypted;
pub mod entry;
pub mod form;

use std::net::IpAddr;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;

use super::limits::SITE;
use super::pages::{render, Page};
use super::AppState;
use crate::domain::lifecycle::{voting_window, NotOpen};
use crate::domain::token::{Token, TokenFormatError};
use crate::ops::cast::token_status;
use crate::ops::OpError;
use crate::store::elections::{self, ElectionRow};
use crate::store::members::TokenStatus;

/// The cookie that carries the voting token between the voter's pages.
pub const COOKIE: &str = "teller_vote";

/// A `Set-Cookie` value holding the token for an hour.
pub fn set_cookie(state: &AppState, token: &Token) -> HeaderValue {
    let secure = if state.https() { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age=3600{secure}",
        token.as_str()
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("teller_vote=; Path=/; Max-Age=0"))
}

/// A `Set-Cookie` value that removes the token.
pub fn clear_cookie(state: &AppState) -> HeaderValue {
    if state.https() {
        HeaderValue::from_static("teller_vote=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure")
    } else {
        HeaderValue::from_static("teller_vote=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
    }
}

/// The token in the request's cookie, if any.
pub fn cookie_token(headers: &HeaderMap) -> Option<String> {
    crate::web::cookie(headers, COOKIE)
}

/// A voter whose token is valid for an election whose polls are open.
pub struct Voter {
    /// The token.
    pub token: Token,
    /// The election.
    pub election: ElectionRow,
    /// The election's own texts in the page's language (domain::texts).
    pub texts: std::collections::BTreeMap<String, String>,
}

impl Voter {
    /// The ballot as the member reads it: the definition, with its texts in
    /// the page's language where the election office translated them.
    pub fn definition(&self) -> Result<teller_audit::definition::Definition, OpError> {
        let def = self.election.definition().map_err(OpError::from)?;
        Ok(crate::domain::texts::localise(def, &self.texts))
    }
}

#[derive(Serialize)]
struct Link {
    href: String,
    text: String,
}

#[derive(Serialize)]
struct Problem {
    heading: String,
    paragraphs: Vec<String>,
    links: Vec<Link>,
}

/// A member-facing message without arguments, in the page's language.
pub(crate) fn t(key: &str) -> String {
    crate::i18n::t(key, &[])
}

pub(crate) fn problem_page(
    status: StatusCode,
    election: Option<&ElectionRow>,
    heading: &str,
    paragraphs: Vec<String>,
    links: Vec<(String, String)>,
) -> Response {
    render(
        status,
        "problem",
        &Page {
            page_title: heading.to_string(),
            election_title: election.map(|e| e.title.clone()),
            body: Problem {
                heading: heading.to_string(),
                paragraphs,
                links: links.into_iter().map(|(href, text)| Link { href, text }).collect(),
            },
        },
    )
}

/// The page for a code that is not a well-formed token.
pub fn malformed_page(e: TokenFormatError) -> Response {
    let (heading, text) = match e {
        TokenFormatError::Mistyped => ("code-mistyped-title", "code-mistyped-text"),
        TokenFormatError::Malformed => ("code-malformed-title", "code-malformed-text"),
    };
    problem_page(
        StatusCode::BAD_REQUEST,
        None,
        &t(heading),
        vec![t(text)],
        vec![("/vote".into(), t("code-type-it"))],
    )
}

/// The page for a well-formed token nobody holds.
pub fn unknown_page() -> Response {
    problem_page(
        StatusCode::FORBIDDEN,
        None,
        &t("code-unknown-title"),
        vec![t("code-unknown-text-1"), t("code-unknown-text-2")],
        vec![("/vote".into(), t("code-type-again"))],
    )
}

/// The page for a token that has cast its ballot.
pub fn used_page(election: Option<&ElectionRow>) -> Response {
    let mut links = vec![];
    if let Some(e) = election {
        links.push((format!("/e/{}", e.id), t("see-election-page")));
    }
    problem_page(
        StatusCode::CONFLICT,
        election,
        &t("code-used-title"),
        vec![t("code-used-text-1"), t("code-used-text-2")],
        links,
    )
}

/// The page for polls that are not open.
pub fn not_open_page(election: &ElectionRow, why: NotOpen) -> Response {
    let link = (format!("/e/{}", election.id), t("see-election-page"));
    match why {
        // Before the opening the election's page is public only if announced.
        NotOpen::NotYet(when) => problem_page(
            StatusCode::LOCKED,
            Some(election),
            &t("not-open-title"),
            vec![match when {
                Some(at) => crate::i18n::t(
                    "not-open-at",
                    &[("when", election.zone().local(at).text(crate::i18n::current()).into())],
                ),
                None => t("not-open-unannounced"),
            }],
            if election.announced_draft() { vec![link] } else { vec![] },
        ),
        NotOpen::Closed => problem_page(
            StatusCode::LOCKED,
            Some(election),
            &t("closed-title"),
            vec![t("closed-text")],
            vec![link],
        ),
    }
}

/// The page for an address that has tried too many codes that did not work.
pub fn too_many_page(wait: std::time::Duration) -> Response {
    let minutes = super::limits::minutes_text(wait);
    let mut res = problem_page(
        StatusCode::TOO_MANY_REQUESTS,
        None,
        &t("too-many-title"),
        vec![
            crate::i18n::t("too-many-text-1", &[("wait", minutes.into())]),
            t("too-many-text-2"),
        ],
        vec![("/vote".into(), t("code-type-it"))],
    );
    if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

/// A code that did not work: count it against the client `ip` and `target`.
/// A client that was already over its limits (`limited`) gets, after a
/// pause, the "too many" page instead of `page`.
pub async fn failed_code(
    state: &AppState,
    ip: IpAddr,
    target: &str,
    limited: Option<std::time::Duration>,
    page: Response,
) -> Response {
    state.limiter().failed(ip, target);
    state.metrics().refused(if limited.is_some() {
        crate::web::metrics::Refusal::RateLimited
    } else {
        crate::web::metrics::Refusal::BadCode
    });
    match limited {
        Some(wait) => {
            tokio::time::sleep(state.limiter().refusal_delay()).await;
            too_many_page(wait)
        }
        None => page,
    }
}

/// Find the voter behind the request's cookie, or the page to show instead.
/// Codes that do not work (and used ones) count against the client address
/// `ip`. The code is checked whatever the limits say: they refuse guesses,
/// never a valid code; a used code is always told it was used (its member
/// must learn that someone voted with it).
pub async fn current_voter(state: &AppState, headers: &HeaderMap, ip: IpAddr) -> Result<Voter, Response> {
    let Some(text) = cookie_token(headers) else {
        return Err(Redirect::to("/vote").into_response());
    };
    let limited = state.limiter().check(ip, SITE).err();
    let token = match Token::parse(&text) {
        Ok(t) => t,
        Err(e) => return Err(failed_code(state, ip, SITE, limited, malformed_page(e)).await),
    };
    let now = crate::time::now();
    let t = token.clone();
    let lang = crate::i18n::current();
    let found = state
        .run(move |conn, secret| {
            let status = token_status(conn, secret, &t)?;
            let election = match &status {
                TokenStatus::Known { election, .. } => elections::find(conn, election)?,
                TokenStatus::Unknown => None,
            };
            let texts = match &election {
                Some(e) => crate::store::texts::load(conn, &e.id, lang)?,
                None => Default::default(),
            };
            Ok((status, election, texts))
        })
        .await;
    match found {
        Err(e) => Err(super::error::PageError::from(e).into_response()),
        Ok((TokenStatus::Unknown, _, _)) | Ok((_, None, _)) => {
            Err(failed_code(state, ip, SITE, limited, unknown_page()).await)
        }
        Ok((TokenStatus::Known { voted: true, .. }, election, _)) => {
            state.limiter().failed(ip, SITE);
            state.metrics().refused(crate::web::metrics::Refusal::UsedCode);
            Err(used_page(election.as_ref()))
        }
        Ok((TokenStatus::Known { voted: false, .. }, Some(election), texts)) => {
            let state_now = election
                .state()
                .map_err(|e| super::error::PageError::from(OpError::from(e)).into_response())?;
            match voting_window(state_now, election.opens_at, election.closes_at, now) {
                Ok(()) => Ok(Voter { token, election, texts }),
                Err(why) => Err(not_open_page(&election, why)),
            }
        }
    }
}
