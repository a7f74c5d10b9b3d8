//! The delivery queue: one row per member and kind of message.

use diesel::prelude::*;

use super::StoreError;
use crate::db::schema::{deliveries, members};
use crate::db::AnyConnection;

/// A message's kind.
pub const INVITATION: &str = "invitation";
/// A reminder to someone who has not voted.
pub const REMINDER: &str = "reminder";
/// A new code for a member who lost theirs (sent at once, not queued).
pub const REPLACEMENT: &str = "replacement";
/// A notice to a member that their code was replaced (carries no code).
pub const NOTICE: &str = "notice";

/// Queue a message of `kind` for each of `member_ids` (existing rows are replaced).
pub fn queue(
    conn: &mut AnyConnection,
    election: &str,
    kind: &str,
    member_ids: &[String],
    now: i64,
) -> Result<usize, StoreError> {
    for chunk in member_ids.chunks(500) {
        diesel::delete(
            deliveries::table
                .filter(deliveries::election_id.eq(election))
                .filter(deliveries::kind.eq(kind))
                .filter(deliveries::member_id.eq_any(chunk)),
        )
        .execute(conn)?;
        for id in chunk {
            diesel::insert_into(deliveries::table)
                .values((
                    deliveries::election_id.eq(election),
                    deliveries::member_id.eq(id),
                    deliveries::kind.eq(kind),
                    deliveries::status.eq("queued"),
                    deliveries::attempts.eq(0i64),
                    deliveries::error.eq(None::<String>),
                    deliveries::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
    }
    Ok(member_ids.len())
}

/// A member's latest delivery of a kind: (status, when).
pub type Latest = Option<(String, i64)>;

/// Members with an e-mail address who had not voted as of the last seal
/// (never by the live flag: who is chosen must not move with a vote cast
/// since), with their latest delivery of `kind`.
pub fn candidates(conn: &mut AnyConnection, election: &str, kind: &str) -> Result<Vec<(String, Latest)>, StoreError> {
    let people: Vec<String> = members::table
        .filter(members::election_id.eq(election))
        .filter(members::email.ne(""))
        .filter(members::voted_sealed.eq(false))
        .order(members::member_id)
        .select(members::member_id)
        .load(conn)?;
    let rows: Vec<(String, String, i64)> = deliveries::table
        .filter(deliveries::election_id.eq(election))
        .filter(deliveries::kind.eq(kind))
        .select((deliveries::member_id, deliveries::status, deliveries::updated_at))
        .load(conn)?;
    let by_member: std::collections::HashMap<String, (String, i64)> =
        rows.into_iter().map(|(m, s, t)| (m, (s, t))).collect();
    Ok(people
        .into_iter()
        .map(|m| {
            let last = by_member.get(&m).cloned();
            (m, last)
        })
        .collect())
}

/// Failed messages of an election go back in the queue.
pub fn requeue_failed(conn: &mut AnyConnection, election: &str, now: i64) -> Result<usize, StoreError> {
    Ok(diesel::update(
        deliveries::table
            .filter(deliveries::election_id.eq(election))
            .filter(deliveries::status.eq("failed")),
    )
    .set((deliveries::status.eq("queued"), deliveries::updated_at.eq(now)))
    .execute(conn)?)
}

/// Take up to `limit` queued messages to send, marking them `sending`.
/// Call inside a write transaction (on PostgreSQL the rows are locked, and
/// other instances skip them).
pub fn claim(conn: &mut AnyConnection, limit: i64, now: i64) -> Result<Vec<(String, String, String)>, StoreError> {
    #[derive(QueryableByName)]
    struct Claimed {
        #[diesel(sql_type = diesel::sql_types::Text)]
        election_id: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        member_id: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        kind: String,
    }
    let rows: Vec<Claimed> = match conn {
        AnyConnection::Postgresql(pg) => diesel::sql_query(
            "UPDATE deliveries SET status = 'sending', updated_at = $1, attempts = attempts + 1 \
             WHERE (election_id, member_id, kind) IN (SELECT election_id, member_id, kind FROM deliveries \
             WHERE status = 'queued' ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED) \
             RETURNING election_id, member_id, kind",
        )
        .bind::<diesel::sql_types::BigInt, _>(now)
        .bind::<diesel::sql_types::BigInt, _>(limit)
        .load(pg)?,
        AnyConnection::Sqlite(lite) => diesel::sql_query(
            "UPDATE deliveries SET status = 'sending', updated_at = ?, attempts = attempts + 1 \
             WHERE rowid IN (SELECT rowid FROM deliveries WHERE status = 'queued' ORDER BY updated_at LIMIT ?) \
             RETURNING election_id, member_id, kind",
        )
        .bind::<diesel::sql_types::BigInt, _>(now)
        .bind::<diesel::sql_types::BigInt, _>(limit)
        .load(lite)?,
    };
    Ok(rows.into_iter().map(|c| (c.election_id, c.member_id, c.kind)).collect())
}

/// Record how a message went.
pub fn finish(
    conn: &mut AnyConnection,
    election: &str,
    member: &str,
    kind: &str,
    status: &str,
    error: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    diesel::update(deliveries::table.find((election, member, kind)))
        .set((
            deliveries::status.eq(status),
            deliveries::error.eq(error),
            deliveries::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Messages left `sending` by a stopped server count as failed.
pub fn fail_stale(conn: &mut AnyConnection, before: i64) -> Result<usize, StoreError> {
    Ok(diesel::update(
        deliveries::table
            .filter(deliveries::status.eq("sending"))
            .filter(deliveries::updated_at.lt(before)),
    )
    .set((
        deliveries::status.eq("failed"),
        deliveries::error.eq(Some(
            "interrupted: the server stopped while sending; retry to send a new link",
        )),
    ))
    .execute(conn)?)
}

/// Counts by kind and status.
pub fn stats(conn: &mut AnyConnection, election: &str) -> Result<Vec<(String, String, i64)>, StoreError> {
    use diesel::dsl::count_star;
    Ok(deliveries::table
        .filter(deliveries::election_id.eq(election))
        .group_by((deliveries::kind, deliveries::status))
        .select((deliveries::kind, deliveries::status, count_star()))
        .load(conn)?)
}

/// A failed message, for the list staff retry from.
#[derive(Debug, Clone)]
pub struct Failure {
    /// Member id.
    pub member_id: String,
    /// Name.
    pub name: String,
    /// Address.
    pub email: String,
    /// invitation or reminder.
    pub kind: String,
    /// What the mail server said.
    pub error: String,
    /// Attempts so far.
    pub attempts: i64,
}

/// Failed messages, with the member's name and address.
pub fn failures(conn: &mut AnyConnection, election: &str) -> Result<Vec<Failure>, StoreError> {
    let rows: Vec<(String, String, Option<String>, i64, String, String)> = deliveries::table
        .inner_join(
            members::table.on(members::election_id
                .eq(deliveries::election_id)
                .and(members::member_id.eq(deliveries::member_id))),
        )
        .filter(deliveries::election_id.eq(election))
        .filter(deliveries::status.eq("failed"))
        .order(deliveries::member_id)
        .select((
            deliveries::member_id,
            deliveries::kind,
            deliveries::error,
            deliveries::attempts,
            members::name,
            members::email,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(member_id, kind, error, attempts, name, email)| Failure {
            member_id,
            name,
            email,
            kind,
            error: error.unwrap_or_default(),
            attempts,
        })
        .collect())
}

/// The officer's wording for a kind of message, if set.
pub fn template(conn: &mut AnyConnection, election: &str, kind: &str) -> Result<Option<(String, String)>, StoreError> {
    use crate::db::schema::mail_templates;
    Ok(mail_templates::table
        .find((election, kind))
        .select((mail_templates::subject, mail_templates::body))
        .first(conn)
        .optional()?)
}

/// Set the wording for a kind of message.
pub fn set_template(
    conn: &mut AnyConnection,
    election: &str,
    kind: &str,
    subject: &str,
    body: &str,
) -> Result<(), StoreError> {
    use crate::db::schema::mail_templates;
    diesel::delete(mail_templates::table.find((election, kind))).execute(conn)?;
    diesel::insert_into(mail_templates::table)
        .values((
            mail_templates::election_id.eq(election),
            mail_templates::kind.eq(kind),
            mail_templates::subject.eq(subject),
            mail_templates::body.eq(body),
        ))
        .execute(conn)?;
    Ok(())
}

/// At the close: messages still waiting with a code are dropped (they could
/// not be used), and every row's time becomes the close's, so that the
/// table keeps no finer trace of when anyone was written to or skipped.
/// Notices still go out.
pub fn coarsen_at_close(conn: &mut AnyConnection, election: &str, closed_at: i64) -> Result<usize, StoreError> {
    diesel::update(
        deliveries::table
            .filter(deliveries::election_id.eq(election))
            .filter(deliveries::kind.ne(NOTICE))
            .filter(deliveries::status.eq_any(["queued", "sending"])),
    )
    .set((
        deliveries::status.eq("skipped"),
        deliveries::error.eq(Some("the polls closed before it was sent")),
    ))
    .execute(conn)?;
    Ok(
        diesel::update(deliveries::table.filter(deliveries::election_id.eq(election)))
            .set(deliveries::updated_at.eq(closed_at))
            .execute(conn)?,
    )
}

/// Messages waiting to be sent and messages whose sending failed, over
/// every election (for the metrics).
pub fn queue_figures(conn: &mut AnyConnection) -> Result<(i64, i64), StoreError> {
    let queued: i64 = deliveries::table
        .filter(deliveries::status.eq("queued"))
        .select(diesel::dsl::count_star())
        .first(conn)?;
    let failed: i64 = deliveries::table
        .filter(deliveries::status.eq("failed"))
        .select(diesel::dsl::count_star())
        .first(conn)?;
    Ok((queued, failed))
}
