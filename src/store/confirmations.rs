//! Confirmation e-mails waiting for their seal, then for their sending
//! (`ops::confirm`). A row is the one stored link between a member and a
//! tracker: written by the cast (`pending`, no seal, no time), given its
//! seal by the seal (`queued`), and deleted as soon as the message is sent.

use diesel::prelude::*;

use super::StoreError;
use crate::db::schema::confirmations;
use crate::db::AnyConnection;

/// Waiting for the seal that will include the ballot.
pub const PENDING: &str = "pending";
/// Sealed: waiting to be sent.
pub const QUEUED: &str = "queued";
/// Being sent.
pub const SENDING: &str = "sending";
/// The mail server refused it; kept for a retry.
pub const FAILED: &str = "failed";

/// At the cast, in its transaction: `member_id` asked for a confirmation of
/// the ballot `tracker`. `send_order` is random (see the migration).
pub fn insert_pending(
    conn: &mut AnyConnection,
    election: &str,
    tracker: &str,
    member_id: &str,
    send_order: &str,
) -> Result<(), StoreError> {
    diesel::insert_into(confirmations::table)
        .values((
            confirmations::election_id.eq(election),
            confirmations::tracker.eq(tracker),
            confirmations::member_id.eq(member_id),
            confirmations::send_order.eq(send_order),
            confirmations::seal.eq(None::<i64>),
            confirmations::status.eq(PENDING),
            confirmations::attempts.eq(0i64),
            confirmations::error.eq(None::<String>),
            confirmations::updated_at.eq(None::<i64>),
        ))
        .execute(conn)?;
    Ok(())
}

/// At a seal, in its transaction: the confirmations of the ballots it
/// seals (`trackers`, hex) are queued for sending, naming the seal.
pub fn queue_sealed(
    conn: &mut AnyConnection,
    election: &str,
    trackers: &[String],
    seal: i64,
    now: i64,
) -> Result<usize, StoreError> {
    let mut queued = 0;
    for chunk in trackers.chunks(500) {
        queued += diesel::update(
            confirmations::table
                .filter(confirmations::election_id.eq(election))
                .filter(confirmations::status.eq(PENDING))
                .filter(confirmations::tracker.eq_any(chunk)),
        )
        .set((
            confirmations::seal.eq(Some(seal)),
            confirmations::status.eq(QUEUED),
            confirmations::updated_at.eq(Some(now)),
        ))
        .execute(conn)?;
    }
    Ok(queued)
}

/// At the close, after the final seal: any confirmation still pending has
/// no ballot waiting (there can be none; this makes sure) and is dropped.
pub fn drop_pending(conn: &mut AnyConnection, election: &str) -> Result<usize, StoreError> {
    Ok(diesel::delete(
        confirmations::table
            .filter(confirmations::election_id.eq(election))
            .filter(confirmations::status.eq(PENDING)),
    )
    .execute(conn)?)
}

/// A confirmation taken for sending.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// Election.
    pub election_id: String,
    /// The ballot's tracker (hex).
    pub tracker: String,
    /// Who asked.
    pub member_id: String,
    /// The seal that included the ballot.
    pub seal: Option<i64>,
}

/// Take up to `limit` queued confirmations, in their random order, marking
/// them `sending`. Call inside a write transaction (on PostgreSQL the rows
/// are locked, and other instances skip them).
pub fn claim(conn: &mut AnyConnection, limit: i64, now: i64) -> Result<Vec<Claimed>, StoreError> {
    let mut rows: Vec<ClaimedInOrder> = match conn {
        AnyConnection::Postgresql(pg) => diesel::sql_query(
            "UPDATE confirmations SET status = 'sending', updated_at = $1, attempts = attempts + 1 \
             WHERE (election_id, tracker) IN (SELECT election_id, tracker FROM confirmations \
             WHERE status = 'queued' ORDER BY send_order LIMIT $2 FOR UPDATE SKIP LOCKED) \
             RETURNING election_id, tracker, member_id, seal, send_order",
        )
        .bind::<diesel::sql_types::BigInt, _>(now)
        .bind::<diesel::sql_types::BigInt, _>(limit)
        .load(pg)?,
        AnyConnection::Sqlite(lite) => diesel::sql_query(
            "UPDATE confirmations SET status = 'sending', updated_at = ?, attempts = attempts + 1 \
             WHERE (election_id, tracker) IN (SELECT election_id, tracker FROM confirmations \
             WHERE status = 'queued' ORDER BY send_order LIMIT ?) \
             RETURNING election_id, tracker, member_id, seal, send_order",
        )
        .bind::<diesel::sql_types::BigInt, _>(now)
        .bind::<diesel::sql_types::BigInt, _>(limit)
        .load(lite)?,
    };
    // RETURNING promises no order.
    rows.sort_by(|a, b| a.send_order.cmp(&b.send_order));
    Ok(rows
        .into_iter()
        .map(|c| Claimed {
            election_id: c.election_id,
            tracker: c.tracker,
            member_id: c.member_id,
            seal: c.seal,
        })
        .collect())
}

#[derive(QueryableByName)]
struct ClaimedInOrder {
    #[diesel(sql_type = diesel::sql_types::Text)]
    election_id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    tracker: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    member_id: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    seal: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    send_order: String,
}

/// Sent (or nothing left to send it to): the row, and with it the link
/// between the member and the tracker, is deleted.
pub fn delete(conn: &mut AnyConnection, election: &str, tracker: &str) -> Result<(), StoreError> {
    diesel::delete(confirmations::table.find((election, tracker))).execute(conn)?;
    Ok(())
}

/// The mail server refused it: kept, `failed`, for a retry.
pub fn fail(conn: &mut AnyConnection, election: &str, tracker: &str, error: &str, now: i64) -> Result<(), StoreError> {
    diesel::update(confirmations::table.find((election, tracker)))
        .set((
            confirmations::status.eq(FAILED),
            confirmations::error.eq(Some(error)),
            confirmations::updated_at.eq(Some(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Confirmations left `sending` by a stopped server count as failed.
pub fn fail_stale(conn: &mut AnyConnection, before: i64) -> Result<usize, StoreError> {
    Ok(diesel::update(
        confirmations::table
            .filter(confirmations::status.eq(SENDING))
            .filter(confirmations::updated_at.lt(before)),
    )
    .set((
        confirmations::status.eq(FAILED),
        confirmations::error.eq(Some("interrupted: the server stopped while sending")),
    ))
    .execute(conn)?)
}

/// Failed confirmations of an election go back in the queue.
pub fn requeue_failed(conn: &mut AnyConnection, election: &str, now: i64) -> Result<usize, StoreError> {
    Ok(diesel::update(
        confirmations::table
            .filter(confirmations::election_id.eq(election))
            .filter(confirmations::status.eq(FAILED)),
    )
    .set((
        confirmations::status.eq(QUEUED),
        confirmations::updated_at.eq(Some(now)),
    ))
    .execute(conn)?)
}

/// Sealed confirmations of an election (waiting or being sent, failed).
/// Pending ones are never counted: their number moves with each cast, and
/// would tell staff when someone voted.
pub fn sealed_figures(conn: &mut AnyConnection, election: &str) -> Result<(i64, i64), StoreError> {
    let count = |conn: &mut AnyConnection, statuses: &[&str]| -> Result<i64, StoreError> {
        Ok(confirmations::table
            .filter(confirmations::election_id.eq(election))
            .filter(confirmations::status.eq_any(statuses))
            .select(diesel::dsl::count_star())
            .first(conn)?)
    };
    Ok((count(conn, &[QUEUED, SENDING])?, count(conn, &[FAILED])?))
}

/// Every confirmation of an election (a purge; a draft's deletion).
pub fn delete_all(conn: &mut AnyConnection, election: &str) -> Result<usize, StoreError> {
    Ok(diesel::delete(confirmations::table.filter(confirmations::election_id.eq(election))).execute(conn)?)
}
