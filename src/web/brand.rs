//! The organisation's look on the web (`crate::organisation`): its colours
//! as a same-origin stylesheet (`/brand.css`: the CSP allows no inline
//! style), its logo (`/brand/logo.png`), the profile set around every
//! request for the templates, and the instance's copy kept current.
//!
//! Both files are served from memory with a short cache and an ETag naming
//! the profile's version; pages link them with `?v=VERSION`, so a saved
//! change shows on the next page a browser loads.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::organisation::{self, Organisation};

/// How long browsers may keep the stylesheet and the logo without asking.
const CACHE: &str = "public, max-age=300";

/// Run `f` (a request, `web::every_request`) with the instance's copy of
/// the profile as the request's, for rendering.
pub async fn scope<F: std::future::Future>(state: &AppState, f: F) -> F::Output {
    organisation::scope(state.organisation(), f).await
}

fn etag(organisation: &Organisation, what: &str) -> String {
    format!("\"{what}-{}\"", organisation.version())
}

/// 304 when the browser's copy is current.
fn unchanged(headers: &HeaderMap, tag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"))
}

fn cached(tag: &str, content_type: &'static str, body: Vec<u8>, headers: &HeaderMap) -> Response {
    let tag_value = HeaderValue::from_str(tag).unwrap_or_else(|_| HeaderValue::from_static("\"brand\""));
    let common = [
        (header::CACHE_CONTROL, HeaderValue::from_static(CACHE)),
        (header::ETAG, tag_value),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
    ];
    if unchanged(headers, tag) {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    (
        common,
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response()
}

/// `GET /brand.css`: the profile's colours as custom properties.
pub async fn stylesheet(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let organisation = state.organisation();
    cached(
        &etag(&organisation, "css"),
        "text/css; charset=utf-8",
        organisation.stylesheet().into_bytes(),
        &headers,
    )
}

/// `GET /brand/logo.png`: the logo as Teller re-encoded it, or 404.
pub async fn logo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let organisation = state.organisation();
    match &organisation.logo {
        Some(png) => cached(&etag(&organisation, "logo"), "image/png", png.to_vec(), &headers),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Keep the instance's copy current: compare the stored version every
/// [`organisation::REFRESH`] and reload when another instance saved.
pub async fn follow(state: AppState) {
    let mut tick = tokio::time::interval(organisation::REFRESH);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let held = state.organisation().version();
        let stored = state
            .run(|conn, _| Ok(crate::store::organisation::version(conn)?))
            .await;
        match stored {
            Ok(v) if v.unwrap_or(0) == held => {}
            Ok(_) => {
                if let Err(e) = state.reload_organisation().await {
                    tracing::warn!(error = %e, "reloading the organisation profile failed");
                }
            }
            Err(e) => tracing::warn!(error = %e, "checking the organisation profile failed"),
        }
    }
}
