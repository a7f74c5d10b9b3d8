//! Anonymous reads (the public election pages, results, tracker checks and
//! the public API) share a few permits, fewer than the database pool holds,
//! so that however many anonymous clients ask at once they can never take
//! the connections and threads that casting and staff need. A read that
//! cannot get a permit within a moment is answered `503` with
//! `Retry-After`, before it touches the database or a thread.
//!
//! The pages themselves are cheap (they read stored figures, never count
//! the roll: `ops::status`); the permits bound what a flood can cost.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use super::error::{ApiError, PageError};
use crate::db::{DbError, DbPool};
use crate::ops::OpError;

/// How long an anonymous read waits for a permit before `503`.
pub const WAIT: Duration = Duration::from_secs(1);

/// The permits.
#[derive(Clone)]
pub struct Gate {
    permits: Arc<Semaphore>,
}

impl Gate {
    /// A quarter of the pool (at least one, at most eight).
    pub fn for_pool(pool: &DbPool) -> Self {
        Self::with_permits((pool.max_size() / 4).clamp(1, 8) as usize)
    }

    /// A gate of `n` permits.
    pub fn with_permits(n: usize) -> Self {
        Gate {
            permits: Arc::new(Semaphore::new(n.max(1))),
        }
    }
}

/// Whether a request is an anonymous read of public data.
pub fn is_public_read(method: &Method, path: &str) -> bool {
    if method != Method::GET && method != Method::HEAD {
        return false;
    }
    path == "/" || path.starts_with("/e/") || path.starts_with("/api/")
}

/// The middleware: public reads wait for a permit (briefly), the rest pass.
pub async fn limit(State(gate): State<Gate>, req: Request, next: Next) -> Response {
    if !is_public_read(req.method(), req.uri().path()) {
        return next.run(req).await;
    }
    let api = req.uri().path().starts_with("/api/");
    match tokio::time::timeout(WAIT, gate.permits.clone().acquire_owned()).await {
        Ok(Ok(permit)) => {
            let res = next.run(req).await;
            drop(permit);
            res
        }
        _ => busy(api),
    }
}

fn busy(api: bool) -> Response {
    let e = OpError::Db(DbError::Connect("too many public requests at once".into()));
    let mut res = if api {
        ApiError::from(e).into_response()
    } else {
        PageError::from(e).into_response()
    };
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_anonymous_reads_are_gated() {
        assert!(is_public_read(&Method::GET, "/"));
        assert!(is_public_read(&Method::GET, "/e/abc"));
        assert!(is_public_read(&Method::GET, "/e/abc/results"));
        assert!(is_public_read(&Method::GET, "/api/v1/elections/abc"));
        assert!(!is_public_read(&Method::POST, "/api/v1/elections/abc/ballots"));
        assert!(!is_public_read(&Method::GET, "/ballot"));
        assert!(!is_public_read(&Method::GET, "/v/CODE"));
        assert!(!is_public_read(&Method::GET, "/vote"));
        assert!(!is_public_read(&Method::GET, "/staff/elections/abc"));
        assert!(!is_public_read(&Method::GET, "/static/site.css"));
    }
}
