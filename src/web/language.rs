//! The language of member pages (src/i18n.rs): chosen by the member with the
//! switcher on every member page (`GET /lang/{code}`, kept in the
//! `teller_lang` cookie), else by the roll's `language` column when the
//! member arrives with their link, else by the browser's `Accept-Language`;
//! English by default. The staff console is in English.

use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use crate::i18n::{Lang, RequestLang};

/// The cookie that keeps a member's choice of language.
pub const COOKIE: &str = "teller_lang";

/// The `Set-Cookie` value that keeps `lang` for a year.
pub fn cookie_for(lang: Lang, https: bool) -> Option<HeaderValue> {
    let secure = if https { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000{secure}",
        lang.code()
    ))
    .ok()
}

/// The language a request asked for: its cookie, then `Accept-Language`.
pub fn of_request(headers: &HeaderMap) -> Lang {
    super::cookie(headers, COOKIE)
        .and_then(|c| Lang::from_code(&c))
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or_default()
}

/// Where the switcher on the page answering `method path?query` returns to:
/// the page itself when it was a plain GET, else the page a member would
/// reach again by hand; `None` for staff, API and other non-member paths.
fn back_to(method: &Method, path: &str, query: Option<&str>) -> Option<String> {
    let non_member = ["/staff", "/api/", "/static/", "/healthz", "/readyz", "/lang/"];
    if non_member.iter().any(|p| path.starts_with(p)) {
        return None;
    }
    // A voting link carries the code: never put it back in an address.
    if path.starts_with("/v/") {
        return Some("/vote".into());
    }
    if method == Method::GET {
        return Some(match query {
            Some(q) if !q.is_empty() && q.len() <= 300 => format!("{path}?{q}"),
            _ => path.to_string(),
        });
    }
    Some(match path {
        p if p.starts_with("/ballot") => "/ballot".into(),
        p if p.starts_with("/e/") && p.ends_with("/track") => p.to_string(),
        "/vote" => "/vote".into(),
        _ => "/".into(),
    })
}

/// Render the request's pages in its language: `run` (the rest of the
/// stack) in its scope; part of every request's layer (`web::every_request`).
pub async fn choose<F: std::future::Future<Output = Response>>(
    req: Request,
    run: impl FnOnce(Request) -> F,
) -> Response {
    let back = back_to(req.method(), req.uri().path(), req.uri().query());
    let lang = if back.is_some() {
        of_request(req.headers())
    } else {
        Lang::En
    };
    crate::i18n::scope(RequestLang { lang, back }, run(req)).await
}

/// A path to come back to, made safe for a query string.
pub fn encode_path(path: &str) -> String {
    url::form_urlencoded::byte_serialize(path.as_bytes()).collect()
}

#[derive(Deserialize)]
pub struct Back {
    back: Option<String>,
}

/// `GET /lang/{code}?back=/path`: keep the choice and return to the page.
pub async fn switch(State(state): State<AppState>, Path(code): Path<String>, Query(q): Query<Back>) -> Response {
    let Some(lang) = Lang::from_code(&code).filter(|l| l.code() == code) else {
        return super::error::PageError::not_found().into_response();
    };
    // Only a path on this site: no scheme, no host, no `//evil.example`.
    let back = q
        .back
        .filter(|b| b.starts_with('/') && !b.starts_with("//") && !b.contains('\\') && b.len() <= 400)
        .filter(|b| !b.chars().any(char::is_control))
        .unwrap_or_else(|| "/".into());
    let mut res = (StatusCode::SEE_OTHER, [(header::LOCATION, back)]).into_response();
    if let Some(cookie) = cookie_for(lang, state.https()) {
        res.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switcher_returns_to_member_pages_only() {
        assert_eq!(
            back_to(&Method::GET, "/e/x/track", Some("tracker=ab")).as_deref(),
            Some("/e/x/track?tracker=ab")
        );
        assert_eq!(
            back_to(&Method::POST, "/ballot/review", None).as_deref(),
            Some("/ballot")
        );
        assert_eq!(back_to(&Method::GET, "/v/SECRET", None).as_deref(), Some("/vote"));
        assert_eq!(back_to(&Method::GET, "/staff/elections/x", None), None);
        assert_eq!(back_to(&Method::GET, "/api/v1/elections", None), None);
    }
}
