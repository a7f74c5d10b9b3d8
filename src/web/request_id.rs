//! A request id for every request, in every log line of that request and in
//! the `X-Request-Id` response header. A well-formed `X-Request-Id` from a
//! trusted proxy (`--trusted-proxies`) is kept, so the proxy's log and
//! Teller's join up; from anyone else it is ignored and a new id made.
//!
//! Each request is logged once it is answered: its method, its route
//! pattern (`/v/{token}`, never the path itself, which may hold a voting
//! code), status and time. Refused requests (status 400 and up) and staff
//! actions (any non-GET under `/staff`) are logged at `info`, everything
//! else at `debug`; a signed-in staff member's requests carry their
//! account as the span's `actor` (`staff:NAME`). Nothing of the query, the body, the cookies or the
//! headers is logged.

use std::future::Future;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use super::AppState;

/// The header.
pub static HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Whether `id` is acceptable from a proxy: 1–64 of `A-Z a-z 0-9 . _ -`.
pub fn well_formed(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The middleware.
pub async fn tag(State(state): State<AppState>, req: Request, next: Next) -> Response {
    tagged(&state, req, |req| next.run(req)).await
}

/// [`tag`] around `run` (the rest of the stack), for the main router's
/// single layer (`web::every_request`).
pub async fn tagged<F: Future<Output = Response>>(
    state: &AppState,
    req: Request,
    run: impl FnOnce(Request) -> F,
) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let from_proxy = peer.is_some_and(|ip| state.client_settings().is_trusted(ip));
    let given = req
        .headers()
        .get(&HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| from_proxy && well_formed(v))
        .map(str::to_string);
    let id = given.unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "-".to_string(), |m| m.as_str().to_string());
    let method = req.method().clone();
    // `actor` is filled in by the console once it knows who is signed in
    // (`staff::signed_in`), so a staff action's line names the account.
    let span = tracing::info_span!("request", request_id = %id, actor = tracing::field::Empty);
    let started = std::time::Instant::now();
    let mut res = run(req).instrument(span.clone()).await;
    let status = res.status().as_u16();
    let ms = started.elapsed().as_millis() as u64;
    let staff = method != Method::GET && method != Method::HEAD && route.starts_with("/staff");
    span.in_scope(|| {
        if staff {
            tracing::info!(%method, route, status, ms, "staff action");
        } else if status >= 400 {
            tracing::info!(%method, route, status, ms, "refused");
        } else {
            tracing::debug!(%method, route, status, ms, "answered");
        }
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(HEADER.clone(), v);
    }
    res
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_plain_short_ids_are_taken() {
        assert!(super::well_formed("abc-123_x.y"));
        assert!(!super::well_formed(""));
        assert!(!super::well_formed(&"a".repeat(65)));
        assert!(!super::well_formed("a b"));
        assert!(!super::well_formed("a\u{e9}"));
    }
}
