//! Metrics in the Prometheus text format (`/metrics`), kept so that they
//! cannot tell anyone when a member voted more finely than a seal does.
//!
//! Per-cast figures (casts accepted, code and ballot refusals, cast latency,
//! group-commit batch sizes) are gathered here unpublished, and moved into
//! the exported figures only by [`Metrics::publish_if_sealed`], which the
//! scheduler calls after each pass: it publishes only when no ballot of any
//! election waits for a seal, so everything published had been sealed —
//! made public in a batch — before it could be scraped. A scrape every
//! second therefore shows the figures move at seals and never between them.
//! The remaining figures are not about casts: the age of the oldest last
//! seal of an open election (seal times are public), the e-mail queue,
//! the database pool and the staff sign-in limiter. See docs/SECURITY.md,
//! "Health, metrics and logs".
//!
//! No per-cast figure carries an election id, a member, a client address
//! or any other label than the fixed refusal reason.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::db::{AnyConnection, DbPool};

/// Why a voting code or a cast was refused: a small fixed set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A code Teller did not issue (or that was replaced), or a malformed one.
    BadCode,
    /// A code whose ballot has been cast.
    UsedCode,
    /// The polls are not open.
    Closed,
    /// The ballot broke a contest's rules.
    InvalidBallot,
    /// The client was over its limit of failed codes.
    RateLimited,
    /// The server was too busy or the database did not answer.
    Overloaded,
}

impl Refusal {
    const ALL: [Refusal; 6] = [
        Refusal::BadCode,
        Refusal::UsedCode,
        Refusal::Closed,
        Refusal::InvalidBallot,
        Refusal::RateLimited,
        Refusal::Overloaded,
    ];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::BadCode => "bad_code",
            Refusal::UsedCode => "used_code",
            Refusal::Closed => "closed",
            Refusal::InvalidBallot => "invalid_ballot",
            Refusal::RateLimited => "rate_limited",
            Refusal::Overloaded => "overloaded",
        }
    }

    fn index(self) -> usize {
        Refusal::ALL.iter().position(|r| *r == self).unwrap_or(0)
    }

    /// The reason for an operation's error, if it is a refusal of a cast.
    pub fn of(error: &crate::ops::OpError) -> Self {
        use crate::ops::OpError;
        match error {
            OpError::UnknownToken => Refusal::BadCode,
            OpError::TokenUsed => Refusal::UsedCode,
            OpError::PollsNotOpen(_) | OpError::WrongState { .. } | OpError::NoSuchElection(_) => Refusal::Closed,
            OpError::InvalidBallot(_) | OpError::Encrypted { .. } => Refusal::InvalidBallot,
            _ => Refusal::Overloaded,
        }
    }
}

/// Per-cast observations not yet published. Bounded: beyond this many
/// latency or batch observations, further ones are not kept until the next
/// publication (the accepted and refused counts still are).
const MAX_PENDING_OBSERVATIONS: usize = 1_000_000;

#[derive(Default)]
struct Pending {
    accepted: u64,
    refused: [u64; 6],
    latencies: Vec<f64>,
    batches: Vec<f64>,
}

impl Pending {
    fn merge(&mut self, other: Pending) {
        self.accepted += other.accepted;
        for (a, b) in self.refused.iter_mut().zip(other.refused) {
            *a += b;
        }
        for (mine, theirs) in [
            (&mut self.latencies, other.latencies),
            (&mut self.batches, other.batches),
        ] {
            mine.extend(theirs);
            if mine.len() > MAX_PENDING_OBSERVATIONS {
                let excess = mine.len() - MAX_PENDING_OBSERVATIONS;
                mine.drain(..excess);
            }
        }
    }
}

type Labels = Vec<(&'static str, &'static str)>;

/// Every figure this instance exports.
pub struct Metrics {
    registry: Registry,
    pending: Mutex<Pending>,
    casts_accepted: Counter,
    casts_refused: Family<Labels, Counter>,
    cast_seconds: Histogram,
    batch_size: Histogram,
    published_at: Gauge,
    seal_age: Gauge,
    mail_queued: Gauge,
    mail_failed: Gauge,
    pool_in_use: Gauge,
    pool_size: Gauge,
    logins_rate_limited: Counter,
    scheduler_last_pass: Gauge,
    scheduler_pass_at: AtomicI64,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Every figure at zero, registered.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let casts_accepted = Counter::default();
        let casts_refused = Family::<Labels, Counter>::default();
        let cast_seconds = Histogram::new([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0]);
        let batch_size = Histogram::new([1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0]);
        let published_at = Gauge::default();
        let seal_age = Gauge::default();
        let mail_queued = Gauge::default();
        let mail_failed = Gauge::default();
        let pool_in_use = Gauge::default();
        let pool_size = Gauge::default();
        let logins_rate_limited = Counter::default();
        let scheduler_last_pass = Gauge::default();
        registry.register(
            "teller_casts_accepted",
            "Ballots cast on this instance (published only when every ballot is sealed)",
            casts_accepted.clone(),
        );
        registry.register(
            "teller_casts_refused",
            "Voting codes and casts refused on this instance, by reason (published only when every ballot is sealed)",
            casts_refused.clone(),
        );
        registry.register(
            "teller_cast_seconds",
            "Time to check, commit and sign one accepted cast (published only when every ballot is sealed)",
            cast_seconds.clone(),
        );
        registry.register(
            "teller_cast_batch_size",
            "Casts per group commit (published only when every ballot is sealed)",
            batch_size.clone(),
        );
        registry.register(
            "teller_casts_published_at_seconds",
            "Unix time the per-cast figures were last published",
            published_at.clone(),
        );
        registry.register(
            "teller_seal_age_seconds",
            "Seconds since the oldest last seal (or opening) of an open election; 0 when none is open",
            seal_age.clone(),
        );
        registry.register(
            "teller_mail_queued",
            "E-mail messages waiting to be sent",
            mail_queued.clone(),
        );
        registry.register(
            "teller_mail_failed",
            "E-mail messages whose sending failed (until retried)",
            mail_failed.clone(),
        );
        registry.register(
            "teller_db_pool_in_use",
            "Database connections of this instance in use at the scrape",
            pool_in_use.clone(),
        );
        registry.register(
            "teller_db_pool_size",
            "Database connections this instance may open",
            pool_size.clone(),
        );
        registry.register(
            "teller_staff_logins_rate_limited",
            "Staff sign-ins refused because the client or account was over its limit",
            logins_rate_limited.clone(),
        );
        registry.register(
            "teller_scheduler_last_pass_seconds",
            "Unix time the scheduler last finished a pass",
            scheduler_last_pass.clone(),
        );
        for r in Refusal::ALL {
            // Every reason is shown from the start, at 0.
            let _ = casts_refused.get_or_create(&vec![("reason", r.as_str())]);
        }
        Metrics {
            registry,
            pending: Mutex::new(Pending::default()),
            casts_accepted,
            casts_refused,
            cast_seconds,
            batch_size,
            published_at,
            seal_age,
            mail_queued,
            mail_failed,
            pool_in_use,
            pool_size,
            logins_rate_limited,
            scheduler_last_pass,
            scheduler_pass_at: AtomicI64::new(0),
        }
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A cast was accepted (its commit durable) after `seconds`.
    pub fn accepted(&self, seconds: f64) {
        let mut p = self.pending();
        p.accepted += 1;
        if p.latencies.len() < MAX_PENDING_OBSERVATIONS {
            p.latencies.push(seconds);
        }
    }

    /// A code or cast was refused.
    pub fn refused(&self, why: Refusal) {
        self.pending().refused[why.index()] += 1;
    }

    /// A group commit of `size` casts.
    pub fn batch(&self, size: usize) {
        let mut p = self.pending();
        if p.batches.len() < MAX_PENDING_OBSERVATIONS {
            p.batches.push(size as f64);
        }
    }

    /// A staff sign-in was refused by the limiter.
    pub fn login_rate_limited(&self) {
        self.logins_rate_limited.inc();
    }

    /// The scheduler finished a pass at `now`.
    pub fn scheduler_pass(&self, now: i64) {
        self.scheduler_pass_at.store(now, Ordering::Relaxed);
        self.scheduler_last_pass.set(now);
    }

    /// When the scheduler last finished a pass (0: never).
    pub fn scheduler_last_pass(&self) -> i64 {
        self.scheduler_pass_at.load(Ordering::Relaxed)
    }

    /// Publish the per-cast figures gathered so far, if no ballot of any
    /// election waits for a seal. The figures are taken first and the
    /// database asked after, so a cast accepted in between stays unpublished.
    /// Returns whether they were published.
    pub fn publish_if_sealed(&self, conn: &mut AnyConnection, now: i64) -> bool {
        let taken = std::mem::take(&mut *self.pending());
        let sealed = matches!(crate::store::ballots::waiting_total(conn), Ok(0));
        if !sealed {
            self.pending().merge(taken);
            return false;
        }
        self.casts_accepted.inc_by(taken.accepted);
        for r in Refusal::ALL {
            let n = taken.refused[r.index()];
            if n > 0 {
                self.casts_refused
                    .get_or_create(&vec![("reason", r.as_str())])
                    .inc_by(n);
            }
        }
        for v in taken.latencies {
            self.cast_seconds.observe(v);
        }
        for v in taken.batches {
            self.batch_size.observe(v);
        }
        self.published_at.set(now);
        true
    }

    /// Refresh the figures read from the database (the scheduler does, once
    /// a pass): seal age and the e-mail queue.
    pub fn refresh(&self, conn: &mut AnyConnection, now: i64) {
        use crate::domain::lifecycle::State;
        if let Ok(open) = crate::store::elections::in_state(conn, State::Open) {
            let ids: Vec<String> = open.into_iter().map(|e| e.id).collect();
            if let Ok(oldest) = crate::store::log::oldest_last_seal(conn, &ids) {
                self.seal_age.set(oldest.map_or(0, |t| (now - t).max(0)));
            }
        }
        if let Ok((queued, failed)) = crate::store::deliveries::queue_figures(conn) {
            self.mail_queued.set(queued);
            self.mail_failed.set(failed);
        }
    }

    /// The text exposition, with the pool's figures as of now.
    pub fn render(&self, pool: &DbPool) -> String {
        let state = pool.state();
        self.pool_size.set(i64::from(pool.max_size()));
        self.pool_in_use
            .set(i64::from(state.connections.saturating_sub(state.idle_connections)));
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            return String::new();
        }
        out
    }
}

/// `GET /metrics`.
pub async fn serve(axum::extract::State(state): axum::extract::State<super::AppState>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let body = state.metrics().render(state.pool());
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
        .into_response()
}
