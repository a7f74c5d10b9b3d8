//! Identifiers in paths, checked before any handler runs.
//!
//! Every `{id}` in a route is an election id, and election ids are UUIDs in
//! their canonical text form (`ops::create`). Anything else is a `404` at
//! once: no state is kept for it and no query runs, whatever its length.
//! (The command line also takes unique prefixes; the web does not.)

use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{RawPathParams, Request};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::{ApiError, PageError};

/// Whether `text` is an election id: a UUID, lower-case, with hyphens.
pub fn is_election_id(text: &str) -> bool {
    text.len() == 36
        && text.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}

/// Route middleware: a request whose `{id}` is not an election id is answered
/// `404`, as JSON under `/api/` and as a page elsewhere (so is one whose
/// path parameters are not even text).
pub async fn election_ids(params: Result<RawPathParams, RawPathParamsRejection>, req: Request, next: Next) -> Response {
    let bad = match &params {
        Ok(params) => params
            .iter()
            .any(|(name, value)| name == "id" && !is_election_id(value)),
        Err(_) => true,
    };
    if !bad {
        return next.run(req).await;
    }
    if req.uri().path().starts_with("/api/") {
        ApiError::not_found("there is no election with that id").into_response()
    } else {
        PageError::not_found().into_response()
    }
}

/// A body over the size limit is refused by the limit layer before any
/// handler runs, as plain text; under `/api/` it becomes the API's JSON
/// `too_large` error (docs/API.md).
pub async fn json_too_large(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    let json = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !api || res.status() != StatusCode::PAYLOAD_TOO_LARGE || json {
        return res;
    }
    let mut res = ApiError::bad_request(
        "too_large",
        format!("the request body is larger than {} bytes", super::MAX_BODY_BYTES),
    )
    .into_response();
    *res.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
    res
}

#[cfg(test)]
mod tests {
    use super::is_election_id;

    #[test]
    fn only_canonical_uuids_are_election_ids() {
        assert!(is_election_id(&uuid::Uuid::new_v4().to_string()));
        for bad in [
            "",
            "0c5e",
            "0C5E1A2B-1111-4222-8333-444455556666",
            "0c5e1a2b111142228333444455556666",
            "0c5e1a2b-1111-4222-8333-4444555566667",
            "0c5e1a2b-1111-4222-8333-44445555666g",
            "{0c5e1a2b-1111-4222-8333-444455556666}",
        ] {
            assert!(!is_election_id(bad), "{bad}");
        }
        assert!(!is_election_id(&"a".repeat(50_000)));
    }
}
