//! The scheduler: opens and closes polls at their scheduled times and seals
//! waiting ballots on each election's interval. Every instance runs one;
//! the operations lock the election's log head, so instances never clash
//! and a repeated action is a no-op.

use std::time::Duration;

use crate::db;
use crate::domain::lifecycle::State;
use crate::ops::seal::{seal, SealWhen};
use crate::ops::{lifecycle, OpError};
use crate::secrets::MasterSecret;
use crate::store::elections;
use crate::web::AppState;

/// The actor named in the log for scheduled actions.
pub const ACTOR: &str = "scheduler";

/// Run forever, one pass per `tick`.
pub async fn run(state: AppState, tick: Duration) {
    if !state.scheduler_on() {
        tracing::warn!(
            "the scheduler is off (--no-scheduler): this instance seals, opens, closes and purges nothing on its own"
        );
        return;
    }
    let mut interval = tokio::time::interval(tick);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let s = state.clone();
        let pass = tokio::task::spawn_blocking(move || match db::get(s.pool()) {
            Ok(mut conn) => {
                let now = crate::time::now();
                pass(&mut conn, s.secret(), now);
                let retention = s.retention();
                if retention.auto_purge {
                    auto_purge(&mut conn, retention.window_days, now);
                }
                // Per-cast metrics become visible only once every ballot is
                // sealed (web::metrics); the rest are refreshed each pass.
                s.metrics().publish_if_sealed(&mut conn, now);
                s.metrics().refresh(&mut conn, now);
                s.metrics().scheduler_pass(crate::time::now());
            }
            Err(e) => tracing::warn!(error = %e, "scheduler: no database connection"),
        })
        .await;
        if let Err(e) = pass {
            tracing::error!(error = %e, "scheduler pass failed");
        }
    }
}

/// The longest a witness may take to answer one submission.
pub const WITNESS_TIMEOUT: Duration = Duration::from_secs(10);

/// Run forever: each `tick`, submit the newest tree checkpoints to the
/// witnesses that have not co-signed them (`ops::witnesses`). Its own task,
/// so a slow or silent witness never holds up sealing or casting.
pub async fn witnesses(state: AppState, tick: Duration) {
    if !state.scheduler_on() {
        return;
    }
    let mut interval = tokio::time::interval(tick);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let s = state.clone();
        let round = tokio::task::spawn_blocking(move || {
            crate::ops::witnesses::round(s.pool(), s.secret(), s.trees(), s.public_url(), WITNESS_TIMEOUT)
        })
        .await;
        match round {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::info!(cosigned = n, "witnesses co-signed checkpoints"),
            Ok(Err(e)) => tracing::warn!(error = %e, "witnesses: could not submit checkpoints"),
            Err(e) => tracing::error!(error = %e, "witness round failed"),
        }
    }
}

/// One pass over every election that may need something done at `now`.
pub fn pass(conn: &mut db::AnyConnection, secret: &MasterSecret, now: i64) {
    let report = |what: &str, id: &str, r: Result<(), OpError>| match r {
        Ok(()) => {}
        // Another instance got there first.
        Err(OpError::WrongState { .. }) => {}
        Err(e) => tracing::warn!(election = id, error = %e, "scheduler: could not {what}"),
    };
    match elections::in_state(conn, State::Draft) {
        Ok(drafts) => {
            for e in drafts.iter().filter(|e| e.opens_at.is_some_and(|t| t <= now)) {
                tracing::info!(election = %e.id, "scheduler: opening the polls");
                report(
                    "open the polls",
                    &e.id,
                    lifecycle::open(conn, secret, &e.id, ACTOR, now),
                );
            }
        }
        Err(e) => tracing::warn!(error = %e, "scheduler: cannot list elections"),
    }
    match elections::in_state(conn, State::Open) {
        Ok(open) => {
            for e in open {
                if e.closes_at.is_some_and(|t| t <= now) {
                    tracing::info!(election = %e.id, "scheduler: closing the polls");
                    let r = lifecycle::close(conn, secret, &e.id, "scheduled close", ACTOR, now).map(|_| ());
                    report("close the polls", &e.id, r);
                } else {
                    match seal(conn, secret, &e.id, SealWhen::Due, now) {
                        Ok(Some(s)) => tracing::info!(election = %e.id, seal = s.seal, ballots = s.ballots, "sealed"),
                        Ok(None) => {}
                        Err(err) => tracing::warn!(election = %e.id, error = %err, "scheduler: could not seal"),
                    }
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "scheduler: cannot list elections"),
    }
    // Roll uploads nobody confirmed or cancelled within the hour hold
    // personal data for nothing.
    if let Err(e) = crate::ops::roll_upload::sweep(conn, now) {
        tracing::warn!(error = %e, "scheduler: could not delete stale roll uploads");
    }
}

/// Delete the personal data of every election whose recount window has
/// passed (`serve --auto-purge`).
pub fn auto_purge(conn: &mut db::AnyConnection, window_days: u32, now: i64) {
    let due = match crate::ops::purge::due(conn, window_days, now) {
        Ok(due) => due,
        Err(e) => {
            tracing::warn!(error = %e, "scheduler: cannot list elections due for a purge");
            return;
        }
    };
    for id in due {
        match crate::ops::purge::purge(conn, &id, ACTOR, window_days, now) {
            Ok(_) => {
                tracing::info!(election = %id, window_days, "scheduler: personal data deleted after the recount window")
            }
            // Another instance got there first.
            Err(OpError::Refused(_)) => {}
            Err(e) => tracing::warn!(election = %id, error = %e, "scheduler: could not delete personal data"),
        }
    }
}
