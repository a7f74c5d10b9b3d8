//! `/healthz` and `/readyz` for load balancers and supervisors.
//!
//! `/healthz` answers `200 ok` while the process serves requests.
//! `/readyz` answers `200 ready` only when a database connection is had and
//! answers within [`READY_TIMEOUT`], every migration this binary knows has
//! been applied, and the scheduler finished a pass recently enough for its
//! interval; otherwise `503` with a plain reason.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::AppState;

/// How long `/readyz` waits for the database.
pub const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// `GET /healthz`.
pub async fn healthz() -> Response {
    plain(StatusCode::OK, "ok")
}

/// `GET /readyz`.
pub async fn readyz(State(state): State<AppState>) -> Response {
    match ready(&state).await {
        Ok(()) => plain(StatusCode::OK, "ready"),
        Err(why) => {
            tracing::warn!(reason = %why, "not ready");
            plain(StatusCode::SERVICE_UNAVAILABLE, &format!("not ready: {why}"))
        }
    }
}

async fn ready(state: &AppState) -> Result<(), String> {
    let pool = state.pool().clone();
    let check = tokio::task::spawn_blocking(move || {
        let mut conn = pool
            .get_timeout(READY_TIMEOUT)
            .map_err(|_| "the database did not give a connection in time".to_string())?;
        crate::db::migrations_current(&mut conn)
            .map_err(|e| format!("the database did not answer: {e}"))
            .and_then(|current| {
                if current {
                    Ok(())
                } else {
                    Err("the database schema is not current: migrations are pending".to_string())
                }
            })
    });
    match tokio::time::timeout(READY_TIMEOUT + Duration::from_millis(500), check).await {
        Err(_) => return Err("the database did not answer in time".into()),
        Ok(Err(_)) => return Err("the database check failed".into()),
        Ok(Ok(r)) => r?,
    }
    if !state.scheduler_on() {
        // `serve --no-scheduler`: ready without one, by choice.
        return Ok(());
    }
    let tick = state.scheduler_tick().as_secs().max(1) as i64;
    let last = state.metrics().scheduler_last_pass();
    if last == 0 {
        return Err("the scheduler has not finished a pass yet".into());
    }
    let age = crate::time::now() - last;
    // A pass may take a while (a large seal); allow three intervals and 30 s.
    if age > 3 * tick + 30 {
        return Err(format!(
            "the scheduler's last pass was {age} s ago (it runs every {tick} s)"
        ));
    }
    Ok(())
}

fn plain(status: StatusCode, text: &str) -> Response {
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{text}\n"),
    )
        .into_response()
}
