//! Signing in and out.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::{Deserialize, Serialize};

use super::{clear_cookie, cookie_value, session_cookie};
use crate::ops::staff::{finish_login, logout as end_session, password_matches, LoginAttempt, LoginError};
use crate::ops::OpError;
use crate::web::client::ClientAddr;
use crate::web::error::PageError;
use crate::web::limits::{minutes_text, retry_after};
use crate::web::pages::{render, Page};
use crate::web::AppState;

#[derive(Serialize)]
struct LoginPage {
    username: String,
    error: Option<String>,
    notice: Option<String>,
}

fn page(status: StatusCode, username: String, error: Option<String>, notice: Option<String>) -> Response {
    render(
        status,
        "staff_login",
        &Page {
            page_title: if error.is_some() {
                "Error: sign in".into()
            } else {
                "Sign in".into()
            },
            election_title: None,
            body: LoginPage {
                username,
                error,
                notice,
            },
        },
    )
}

/// Why the login page is shown.
#[derive(Deserialize)]
pub struct LoginQuery {
    expired: Option<String>,
}

/// `GET /staff/login`.
pub async fn form(Query(q): Query<LoginQuery>) -> Response {
    let notice = q
        .expired
        .map(|_| "Your session ended. Please sign in again.".to_string());
    page(StatusCode::OK, String::new(), None, notice)
}

/// The login form.
#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
}

/// How long a sign-in waits for a turn at password checking before it is
/// answered "busy".
const HASHING_WAIT: Duration = Duration::from_secs(10);

/// Bounds password checking (Argon2, about 19 MiB and tens of milliseconds
/// each): a few dedicated threads do all of it, holding no database
/// connection; sign-ins wait their turn. Dedicated threads also keep the
/// memory bounded: each keeps reusing its own allocator arena, where checks
/// on the shared blocking pool left 19 MiB behind in the arena of every
/// thread they happened to run on. Counts what it ran.
#[derive(Debug)]
pub struct PasswordGate {
    permits: tokio::sync::Semaphore,
    jobs: std::sync::mpsc::Sender<PasswordJob>,
    checks: AtomicU64,
    peak: std::sync::Arc<AtomicUsize>,
}

/// A password, the hash to check it against, and where to send the answer.
type PasswordJob = (String, String, tokio::sync::oneshot::Sender<bool>);

impl PasswordGate {
    /// A gate with `threads` checking threads.
    pub fn new(threads: usize) -> Self {
        let threads = threads.max(1);
        let (jobs, queue) = std::sync::mpsc::channel::<PasswordJob>();
        let queue = std::sync::Arc::new(std::sync::Mutex::new(queue));
        let running = std::sync::Arc::new(AtomicUsize::new(0));
        let peak = std::sync::Arc::new(AtomicUsize::new(0));
        for i in 0..threads {
            let (queue, running, peak) = (queue.clone(), running.clone(), peak.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("teller-passwords-{i}"))
                .spawn(move || loop {
                    // The threads end when the gate (the sender) is dropped.
                    let job = queue.lock().unwrap_or_else(|p| p.into_inner()).recv();
                    let Ok((password, hash, reply)) = job else { break };
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    let ok = password_matches(&password, &hash);
                    running.fetch_sub(1, Ordering::SeqCst);
                    let _ = reply.send(ok);
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password-checking thread");
            }
        }
        PasswordGate {
            permits: tokio::sync::Semaphore::new(threads),
            jobs,
            checks: AtomicU64::new(0),
            peak,
        }
    }

    /// Half the processors (at least one, at most four): sign-ins never
    /// take every core from voters.
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        Self::new((cores / 2).clamp(1, 4))
    }

    /// Whether `password` matches `hash`; `None` if no turn came within
    /// [`HASHING_WAIT`] (or no checking thread could be started).
    pub async fn check(&self, password: String, hash: String) -> Option<bool> {
        let _permit = tokio::time::timeout(HASHING_WAIT, self.permits.acquire())
            .await
            .ok()?
            .ok()?;
        self.checks.fetch_add(1, Ordering::Relaxed);
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.jobs.send((password, hash, reply)).ok()?;
        answer.await.ok()
    }

    /// Password checks run so far.
    pub fn checks(&self) -> u64 {
        self.checks.load(Ordering::Relaxed)
    }

    /// The most password checks that ran at once.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
}

/// `POST /staff/login`: rate-limited per address and per account. The
/// attempt is counted as a failure before the password is checked (and
/// taken back if it succeeds), so parallel attempts cannot overrun the limit.
pub async fn submit(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    Form(form): Form<LoginForm>,
) -> Response {
    let target = format!("login:{}", form.username.trim().to_ascii_lowercase());
    if let Err(wait) = state.login_limiter().reserve(ip, &target) {
        state.metrics().login_rate_limited();
        let mut res = page(
            StatusCode::TOO_MANY_REQUESTS,
            form.username.clone(),
            Some(format!(
                "Too many sign-in attempts did not work. Wait {} and try again.",
                minutes_text(wait)
            )),
            None,
        );
        res.headers_mut().insert(header::RETRY_AFTER, retry_after(wait));
        return res;
    }
    let now = crate::time::now();
    let username = form.username.clone();
    let attempt = match state.run(move |conn, _| LoginAttempt::find(conn, &username)).await {
        Ok(a) => a,
        Err(e) => {
            state.login_limiter().release(ip, &target);
            return PageError::from(e).into_response();
        }
    };
    let Some(password_ok) = state
        .password_gate()
        .check(form.password, attempt.hash().to_string())
        .await
    else {
        state.login_limiter().release(ip, &target);
        let busy = OpError::Db(crate::db::DbError::Connect("too many sign-ins at once".into()));
        return PageError::from(busy).into_response();
    };
    let code = form.code;
    let result = state
        .run(move |conn, secret| Ok(finish_login(conn, secret, attempt, password_ok, &code, now)))
        .await;
    match result {
        Ok(Ok(session)) => {
            state.login_limiter().release(ip, &target);
            (
                StatusCode::SEE_OTHER,
                [(header::SET_COOKIE, session_cookie(&state, &session.cookie))],
                Redirect::to("/staff"),
            )
                .into_response()
        }
        Ok(Err(LoginError::Op(e))) | Err(e) => {
            state.login_limiter().release(ip, &target);
            PageError::from(e).into_response()
        }
        Ok(Err(e)) => page(StatusCode::UNAUTHORIZED, form.username, Some(e.to_string()), None),
    }
}

/// `POST /staff/logout`.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(cookie) = cookie_value(&headers) {
        if let Err(e) = state.run(move |conn, _| end_session(conn, &cookie)).await {
            return PageError::from(e).into_response();
        }
    }
    (
        StatusCode::SEE_OTHER,
        [(header::SET_COOKIE, clear_cookie())],
        Redirect::to("/staff/login"),
    )
        .into_response()
}
