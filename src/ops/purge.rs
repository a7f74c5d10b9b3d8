//! Retention of personal data: once an election's result is final — certified
//! by its committee, or tallied when it has none — and the recount window
//! has passed, its personal data is deleted for good:
//!
//! - the roll: member ids, names, e-mail addresses, voting-code hashes,
//!   weights and who voted (the `members` rows);
//! - delivery records (who was sent a code or reminder, and when);
//! - roll uploads nobody confirmed.
//!
//! Kept: the log, its checkpoints, the ballots, the tally, the
//! certifications and the roll's figures (members, codes issued, codes
//! used) — everything the record needs, so it still verifies, byte for
//! byte as before. A `purges` row says when, by whom and what was deleted.
//! Afterwards the tables are rewritten (`scrub`), so the deleted rows do
//! not linger in free pages or dead row versions. Backups made before the
//! purge still hold the data (docs/DEPLOY.md).

use diesel::prelude::*;
use teller_audit::log::Event;

use super::{lock_election, resolve_election, OpError};
use crate::db::schema::{deliveries, members, roll_upload_rows, roll_uploads};
use crate::db::{write_tx, AnyConnection};
use crate::domain::lifecycle::State;
use crate::store::elections::ElectionRow;
use crate::store::purges::{self, PurgeRow};
use crate::store::{log as logstore, members as members_store};

/// The recount window when none is configured, in days.
pub const DEFAULT_RECOUNT_WINDOW_DAYS: u32 = 90;

const DAY: i64 = 86_400;

/// What a purge of one election would delete, and from when it may.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The election's id.
    pub election: String,
    /// Its title.
    pub title: String,
    /// When the result became final (certified, or tallied without a
    /// committee); `None` while it is not.
    pub final_at: Option<i64>,
    /// When the recount window ends and the purge may run.
    pub purge_from: Option<i64>,
    /// Members on the roll.
    pub members: i64,
    /// Delivery records.
    pub deliveries: i64,
    /// Unconfirmed roll uploads.
    pub roll_uploads: i64,
    /// The purge already made, if any.
    pub done: Option<PurgeRow>,
}

impl Plan {
    /// Why the purge may not run at `now`, in words for staff; `None` if it may.
    pub fn refusal(&self, now: i64) -> Option<String> {
        if let Some(done) = &self.done {
            return Some(format!(
                "the personal data of this election was deleted on {} (by {}); there is nothing left to delete",
                crate::time::format(done.purged_at),
                done.actor
            ));
        }
        match (self.final_at, self.purge_from) {
            (Some(_), Some(from)) if now >= from => None,
            (Some(at), Some(from)) => Some(format!(
                "the recount window is still open: the result became final on {}, and its personal data may be \
                 deleted from {}",
                crate::time::format(at),
                crate::time::format(from)
            )),
            _ => Some(
                "the result is not final yet: personal data is deleted only after the election is certified (or \
                 tallied, when it has no certifying committee) and the recount window has passed"
                    .to_string(),
            ),
        }
    }
}

/// When the election's result became final: the `certified` entry's time,
/// or the `tallied` entry's when it has no committee.
fn final_at(conn: &mut AnyConnection, row: &ElectionRow) -> Result<Option<i64>, OpError> {
    let state = row.state()?;
    let wanted = match state {
        State::Certified => "certified",
        State::Tallied if row.certification_quorum == 0 => "tallied",
        _ => return Ok(None),
    };
    let entries = logstore::entries(conn, &row.id)?;
    Ok(entries
        .iter()
        .rev()
        .find(|e| match &e.entry.event {
            Event::Certified { .. } => wanted == "certified",
            Event::Tallied { .. } => wanted == "tallied",
            _ => false,
        })
        .map(|e| e.entry.time))
}

/// What purging `election` (id or unique prefix) would delete.
pub fn plan(conn: &mut AnyConnection, election: &str, window_days: u32) -> Result<Plan, OpError> {
    let row = resolve_election(conn, election)?;
    plan_for(conn, &row, window_days)
}

fn plan_for(conn: &mut AnyConnection, row: &ElectionRow, window_days: u32) -> Result<Plan, OpError> {
    let id = row.id.as_str();
    let final_at = final_at(conn, row)?;
    let members_n: i64 = members::table
        .filter(members::election_id.eq(id))
        .count()
        .get_result(conn)?;
    let deliveries_n: i64 = deliveries::table
        .filter(deliveries::election_id.eq(id))
        .count()
        .get_result(conn)?;
    let uploads_n: i64 = roll_uploads::table
        .filter(roll_uploads::election_id.eq(id))
        .count()
        .get_result(conn)?;
    Ok(Plan {
        election: row.id.clone(),
        title: row.title.clone(),
        final_at,
        purge_from: final_at.map(|t| t.saturating_add(i64::from(window_days) * DAY)),
        members: members_n.max(0),
        deliveries: deliveries_n.max(0),
        roll_uploads: uploads_n.max(0),
        done: purges::get(conn, id)?,
    })
}

/// Delete the personal data of `election` (a full id) if its result is
/// final and `window_days` have passed since; all or nothing. The tables
/// are rewritten afterwards so nothing deleted lingers on disk.
pub fn purge(
    conn: &mut AnyConnection,
    election: &str,
    actor: &str,
    window_days: u32,
    now: i64,
) -> Result<PurgeRow, OpError> {
    let done = write_tx(conn, |conn| {
        let (_head, row) = lock_election(conn, election)?;
        let plan = plan_for(conn, &row, window_days)?;
        if let Some(why) = plan.refusal(now) {
            return Err(OpError::Refused(why));
        }
        let figures = members_store::counts(conn, election)?;
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let uploads: Vec<String> = roll_uploads::table
            .filter(roll_uploads::election_id.eq(election))
            .select(roll_uploads::id)
            .load(conn)?;
        diesel::delete(roll_upload_rows::table.filter(roll_upload_rows::upload_id.eq_any(&uploads))).execute(conn)?;
        let roll_uploads_deleted =
            diesel::delete(roll_uploads::table.filter(roll_uploads::election_id.eq(election))).execute(conn)?;
        let deliveries_deleted =
            diesel::delete(deliveries::table.filter(deliveries::election_id.eq(election))).execute(conn)?;
        // Confirmations that could never be sent hold a member's tracker.
        crate::store::confirmations::delete_all(conn, election)?;
        let record = PurgeRow {
            election_id: election.to_string(),
            purged_at: now,
            actor: actor.to_string(),
            members: n(figures.members),
            tokens_issued: n(figures.tokens_issued),
            voted: n(figures.voted),
            voted_sealed: n(figures.voted_sealed),
            deliveries: deliveries_deleted as i64,
            roll_uploads: roll_uploads_deleted as i64,
        };
        // The figures are stored before the rows they count are deleted.
        purges::insert(conn, &record)?;
        diesel::delete(members::table.filter(members::election_id.eq(election))).execute(conn)?;
        Ok::<_, OpError>(record)
    })?;
    tracing::info!(
        election = %done.election_id,
        actor = %done.actor,
        members = done.members,
        deliveries = done.deliveries,
        roll_uploads = done.roll_uploads,
        "personal data deleted (purge)"
    );
    // Rewrite the tables so the deleted rows leave no trace in free pages
    // (SQLite) or dead row versions (PostgreSQL).
    if let Err(e) = super::scrub::scrub(conn) {
        tracing::warn!(election = %done.election_id, error = %e, "purge: could not rewrite the tables afterwards");
    }
    Ok(done)
}

/// Elections whose personal data may be deleted at `now` (for the
/// scheduler's automatic purge).
pub fn due(conn: &mut AnyConnection, window_days: u32, now: i64) -> Result<Vec<String>, OpError> {
    let mut out = Vec::new();
    for state in [State::Tallied, State::Certified] {
        for row in crate::store::elections::in_state(conn, state)? {
            if state == State::Tallied && row.certification_quorum != 0 {
                continue;
            }
            if purges::get(conn, &row.id)?.is_some() {
                continue;
            }
            let plan = plan_for(conn, &row, window_days)?;
            if plan.refusal(now).is_none() {
                out.push(row.id);
            }
        }
    }
    Ok(out)
}
