//! The voter's path: a link or a typed code, the ballot, the review, the
//! cast, and the receipt. Works without JavaScript.
//!
//! The token travels in an HttpOnly, SameSite=Lax cookie after the first
//! request, so it does not stay in the address bar and is never sent as a
//! referrer (every response also says `Referrer-Policy: no-referrer`).

pub mod ballot;
pub mod cast;
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

pub(crate) fn problem_page(
    status: StatusCode,
    election: Option<&ElectionRow>,
    heading: &str,
    paragraphs: Vec<String>,
    links: Vec<(String, &str)>,
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
                links: links
                    .into_iter()
                    .map(|(href, text)| Link {
                        href,
                        text: text.to_string(),
                    })
                    .collect(),
            },
        },
    )
}

/// The page for a code that is not a well-formed token.
pub fn malformed_page(e: TokenFormatError) -> Response {
    let (heading, text) = match e {
        TokenFormatError::Mistyped => (
            "This voting code has a typing mistake",
            "The code is the right length, but one of its letters or digits is not right (or two are swapped). Check each group of four against your invitation.",
        ),
        TokenFormatError::Malformed => (
            "This is not a voting code",
            "A voting code has 28 letters and digits, usually written in groups of four, such as 7K3M-Q9TD-… . Check that you copied the whole link or code from your invitation.",
        ),
    };
    problem_page(
        StatusCode::BAD_REQUEST,
        None,
        heading,
        vec![text.to_string()],
        vec![("/vote".into(), "Type your voting code")],
    )
}

/// The page for a well-formed token nobody holds.
pub fn unknown_page() -> Response {
    problem_page(
        StatusCode::FORBIDDEN,
        None,
        "We do not recognise this voting code",
        vec![
            "The code may have been typed wrongly, or it may have been replaced: when the election office sends a member a new code, the old one stops working.".into(),
            "Check your most recent invitation. If the code still does not work, contact the election office; they can send you a new one if you have not voted.".into(),
        ],
        vec![("/vote".into(), "Type your voting code again")],
    )
}

/// The page for a token that has cast its ballot.
pub fn used_page(election: Option<&ElectionRow>) -> Response {
    let mut links = vec![];
    if let Some(e) = election {
        links.push((format!("/e/{}", e.id), "See the election's page"));
    }
    problem_page(
        StatusCode::CONFLICT,
        election,
        "This voting code has already been used",
        vec![
            "A ballot has already been cast with this code. Each code casts one ballot, and a cast ballot cannot be changed or shown again: Teller does not know which ballot is yours.".into(),
            "If you did not vote yourself, contact the election office straight away.".into(),
        ],
        links,
    )
}

/// The page for polls that are not open.
pub fn not_open_page(election: &ElectionRow, why: NotOpen) -> Response {
    let link = (format!("/e/{}", election.id), "See the election's page");
    match why {
        // Before the opening the election's page is public only if announced.
        NotOpen::NotYet(when) => problem_page(
            StatusCode::LOCKED,
            Some(election),
            "The polls are not open yet",
            vec![match when {
                Some(t) => format!(
                    "Voting opens {}. Your code will work then; keep your invitation.",
                    election.zone().local(t).english()
                ),
                None => "Voting has not started. The election office will announce when it opens; your code will work then.".into(),
            }],
            if election.announced_draft() { vec![link] } else { vec![] },
        ),
        NotOpen::Closed => problem_page(
            StatusCode::LOCKED,
            Some(election),
            "The polls are closed",
            vec!["Voting in this election has ended, so no more ballots can be cast. The results will be published on the election's page.".into()],
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
        "Too many voting codes did not work",
        vec![
            format!("Several voting codes from your connection did not work, so codes that do not work are refused from it for {minutes}. This protects every member's code."),
            "Your own code still works: check that you entered it exactly as printed in your invitation. If it keeps failing, contact the election office.".into(),
        ],
        vec![("/vote".into(), "Type your voting code")],
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
    let found = state
        .run(move |conn, secret| {
            let status = token_status(conn, secret, &t)?;
            let election = match &status {
                TokenStatus::Known { election, .. } => elections::find(conn, election)?,
                TokenStatus::Unknown => None,
            };
            Ok((status, election))
        })
        .await;
    match found {
        Err(e) => Err(super::error::PageError::from(e).into_response()),
        Ok((TokenStatus::Unknown, _)) | Ok((_, None)) => {
            Err(failed_code(state, ip, SITE, limited, unknown_page()).await)
        }
        Ok((TokenStatus::Known { voted: true, .. }, election)) => {
            state.limiter().failed(ip, SITE);
            state.metrics().refused(crate::web::metrics::Refusal::UsedCode);
            Err(used_page(election.as_ref()))
        }
        Ok((TokenStatus::Known { voted: false, .. }, Some(election))) => {
            let state_now = election
                .state()
                .map_err(|e| super::error::PageError::from(OpError::from(e)).into_response())?;
            match voting_window(state_now, election.opens_at, election.closes_at, now) {
                Ok(()) => Ok(Voter { token, election }),
                Err(why) => Err(not_open_page(&election, why)),
            }
        }
    }
}
