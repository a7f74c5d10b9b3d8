//! A roll uploaded in the console: read as it arrives, checked, and kept in
//! the database (never in the page, never whole in memory) until the officer
//! who uploaded it confirms or cancels, or it is an hour old.
//!
//! The upload is read row by row ([`crate::domain::roll::read`]); members that
//! pass their checks are stored in batches under an unguessable upload id
//! bound to the election, the officer and their session. A roll with any
//! problem keeps nothing. Confirming copies the stored rows onto the roll in
//! one transaction with its log entry, and deletes the upload in the same
//! transaction: all rows or none, exactly once.

use std::cell::RefCell;

use super::roll::ImportSummary;
use super::{lock_election, require_state, OpError};
use crate::db::{write_tx, AnyConnection};
use crate::domain::lifecycle::State;
use crate::domain::roll::{self, RollMember, RowProblem};
use crate::ops::staff::StaffUser;
use crate::store::roll_uploads::{self, UploadRow};

/// How long an upload waits for its confirmation, in seconds.
pub const LIFETIME_SECONDS: i64 = 3600;
/// Members stored per transaction while an upload is read.
const BATCH: usize = 2000;
/// Rows a preview shows.
pub const PREVIEW_ROWS: usize = 10;
/// Problems a preview lists (it says how many more there are).
pub const SHOWN_PROBLEMS: usize = 200;

/// Who an upload belongs to: an officer, in one session.
#[derive(Debug, Clone)]
pub struct Owner {
    staff_id: String,
    session: String,
}

impl Owner {
    /// The signed-in officer's current session.
    pub fn of(user: &StaffUser) -> Self {
        // The session's anti-forgery token is its secret of its own; only a
        // hash of it is stored.
        let digest = ring::digest::digest(&ring::digest::SHA256, user.csrf.as_bytes());
        Owner {
            staff_id: user.id.clone(),
            session: hex::encode(digest.as_ref()),
        }
    }

    fn owns(&self, row: &UploadRow) -> bool {
        let same_session: bool = subtle::ConstantTimeEq::ct_eq(row.session.as_bytes(), self.session.as_bytes()).into();
        row.staff_id == self.staff_id && same_session
    }
}

/// What reading an upload found: what the preview page shows.
#[derive(Debug, Clone)]
pub struct Preview {
    /// The upload to confirm; `None` when the roll has problems (nothing was kept).
    pub upload: Option<String>,
    /// Members read.
    pub members: u64,
    /// How each column is used: (heading, field or `None`).
    pub columns: Vec<(String, Option<&'static str>)>,
    /// Ignored columns and the like.
    pub notices: Vec<String>,
    /// The first members, as read.
    pub first_rows: Vec<RollMember>,
    /// The first [`SHOWN_PROBLEMS`] problems, in row order.
    pub problems: Vec<RowProblem>,
    /// How many problems there are in all.
    pub problem_count: u64,
}

/// Read a roll from `input` (blocking: call it off the async runtime) for
/// the draft `election`, owned by `owner`. Keeps the members only when the
/// whole roll is good.
pub fn receive<R: std::io::Read>(
    conn: &mut AnyConnection,
    election: &str,
    owner: &Owner,
    file_name: &str,
    input: R,
    now: i64,
) -> Result<Preview, OpError> {
    sweep(conn, now)?;
    let id = hex::encode(crate::secrets::random_bytes::<16>()?);
    roll_uploads::insert(
        conn,
        &UploadRow {
            id: id.clone(),
            election_id: election.to_string(),
            staff_id: owner.staff_id.clone(),
            session: owner.session.clone(),
            file_name: file_name.to_string(),
            members: 0,
            ready: false,
            created_at: now,
        },
    )?;
    let result = read_into(conn, &id, election, input);
    match result {
        Ok(preview) if preview.upload.is_some() => Ok(preview),
        other => {
            // Nothing of a roll with problems, or of a failed read, is kept.
            write_tx(conn, |conn| roll_uploads::delete(conn, &id).map_err(OpError::from))?;
            other
        }
    }
}

fn read_into<R: std::io::Read>(
    conn: &mut AnyConnection,
    id: &str,
    election: &str,
    input: R,
) -> Result<Preview, OpError> {
    let problems = RefCell::new(Vec::new());
    let any_problem = || !problems.borrow().is_empty();
    let mut first_rows = Vec::new();
    let mut batch: Vec<RollMember> = Vec::with_capacity(BATCH);
    let summary = roll::read(
        input,
        |m| {
            if first_rows.len() < PREVIEW_ROWS {
                first_rows.push(m.clone());
            }
            if any_problem() {
                // Nothing of this roll will be kept: stop storing it.
                batch.clear();
                return Ok(());
            }
            batch.push(m);
            if batch.len() >= BATCH {
                write_tx(conn, |conn| {
                    roll_uploads::add_rows(conn, id, &batch).map_err(OpError::from)
                })?;
                batch.clear();
            }
            Ok::<(), OpError>(())
        },
        |p| {
            let mut list = problems.borrow_mut();
            if list.len() < SHOWN_PROBLEMS {
                list.push(p);
            }
        },
    )?;
    let mut problems = problems.into_inner();
    let mut problem_count = summary.problems;
    if problem_count == 0 {
        write_tx(conn, |conn| {
            roll_uploads::add_rows(conn, id, &batch).map_err(OpError::from)
        })?;
        // Ids already on this election's roll are problems too.
        let (on_roll, count) = roll_uploads::already_on_roll(conn, id, election, SHOWN_PROBLEMS as i64)?;
        problem_count += count;
        problems.extend(on_roll.into_iter().map(|(row, member_id)| RowProblem {
            row,
            message: format!("member id {member_id:?} is already on this election's roll"),
        }));
    }
    let ready = problem_count == 0;
    if ready {
        write_tx(conn, |conn| {
            roll_uploads::mark_ready(conn, id, i64::try_from(summary.members).unwrap_or(i64::MAX))
                .map_err(OpError::from)
        })?;
    }
    Ok(Preview {
        upload: ready.then(|| id.to_string()),
        members: summary.members,
        columns: summary.columns,
        notices: summary.notices,
        first_rows,
        problems,
        problem_count,
    })
}

/// The refusal for an upload that is not (or no longer) this officer's to
/// import: the same words whatever the reason, so that they tell nothing
/// about other people's uploads.
fn not_waiting() -> OpError {
    OpError::Refused(
        "this upload is not waiting to be imported (it was imported or cancelled, is more than an hour old, \
         or was made in another session or for another election); nothing was imported. Upload the file again"
            .into(),
    )
}

/// Import a previewed upload into its draft election: all rows or none, in
/// one transaction with the log entry, and the upload is deleted in the
/// same transaction.
pub fn confirm(
    conn: &mut AnyConnection,
    election: &str,
    upload: &str,
    owner: &Owner,
    actor: &str,
    now: i64,
) -> Result<ImportSummary, OpError> {
    write_tx(conn, |conn| {
        let (mut head, row) = lock_election(conn, election)?;
        require_state(&row, State::Draft, "importing members")?;
        let stored = roll_uploads::find(conn, upload)?
            .filter(|u| u.election_id == row.id && owner.owns(u) && u.ready && u.created_at > now - LIFETIME_SECONDS)
            .ok_or_else(not_waiting)?;
        // The roll may have changed since the preview.
        let (on_roll, _) = roll_uploads::already_on_roll(conn, &stored.id, &row.id, SHOWN_PROBLEMS as i64)?;
        if !on_roll.is_empty() {
            return Err(OpError::Roll(
                on_roll
                    .into_iter()
                    .map(|(row, member_id)| RowProblem {
                        row,
                        message: format!("member id {member_id:?} is already on this election's roll"),
                    })
                    .collect(),
            ));
        }
        let added = roll_uploads::copy_to_roll(conn, &stored.id, &row.id)?;
        if i64::try_from(added).ok() != Some(stored.members) {
            return Err(OpError::Refused(
                "the stored upload is not whole; nothing was imported. Upload the file again".into(),
            ));
        }
        roll_uploads::delete(conn, &stored.id)?;
        super::roll::record_import(conn, &mut head, &row.id, added, actor, now, vec![])
    })
}

/// Discard an upload (the officer cancelled). Returns whether there was one
/// of theirs to discard.
pub fn cancel(conn: &mut AnyConnection, election: &str, upload: &str, owner: &Owner) -> Result<bool, OpError> {
    write_tx(conn, |conn| match roll_uploads::find(conn, upload)? {
        Some(u) if u.election_id == election && owner.owns(&u) => {
            roll_uploads::delete(conn, upload)?;
            Ok(true)
        }
        _ => Ok(false),
    })
}

/// Delete uploads older than [`LIFETIME_SECONDS`]; returns how many.
pub fn sweep(conn: &mut AnyConnection, now: i64) -> Result<usize, OpError> {
    let stale = roll_uploads::stale(conn, now - LIFETIME_SECONDS)?;
    for id in &stale {
        write_tx(conn, |conn| roll_uploads::delete(conn, id).map_err(OpError::from))?;
    }
    Ok(stale.len())
}
