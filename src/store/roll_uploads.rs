//! Rolls uploaded in the console, parsed and waiting for the officer's
//! confirmation (see `ops::roll_upload`).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::StoreError;
use crate::db::schema::{roll_upload_rows, roll_uploads};
use crate::db::AnyConnection;
use crate::domain::roll::RollMember;

/// An upload as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = roll_uploads)]
pub struct UploadRow {
    /// Its unguessable id.
    pub id: String,
    /// The election it is for.
    pub election_id: String,
    /// The officer who uploaded it.
    pub staff_id: String,
    /// SHA-256 (hex) of their session's anti-forgery token.
    pub session: String,
    /// The file's name, as the browser gave it.
    pub file_name: String,
    /// Members read.
    pub members: i64,
    /// Read to the end with no problem: may be imported.
    pub ready: bool,
    /// When it was uploaded.
    pub created_at: i64,
}

/// Record a new upload (not ready yet).
pub fn insert(conn: &mut AnyConnection, row: &UploadRow) -> Result<(), StoreError> {
    diesel::insert_into(roll_uploads::table)
        .values((
            roll_uploads::id.eq(&row.id),
            roll_uploads::election_id.eq(&row.election_id),
            roll_uploads::staff_id.eq(&row.staff_id),
            roll_uploads::session.eq(&row.session),
            roll_uploads::file_name.eq(&row.file_name),
            roll_uploads::members.eq(row.members),
            roll_uploads::ready.eq(row.ready),
            roll_uploads::created_at.eq(row.created_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Add members read from an upload. On PostgreSQL many to a statement (a
/// statement per member would cost a round trip each); SQLite is in
/// process, and its own dialect has no multi-row insert in diesel.
pub fn add_rows(conn: &mut AnyConnection, upload: &str, rows: &[RollMember]) -> Result<(), StoreError> {
    let value = |m: &RollMember| {
        (
            roll_upload_rows::upload_id.eq(upload.to_string()),
            roll_upload_rows::row_number.eq(i64::try_from(m.row).unwrap_or(i64::MAX)),
            roll_upload_rows::member_id.eq(m.member_id.clone()),
            roll_upload_rows::name.eq(m.name.clone()),
            roll_upload_rows::email.eq(m.email.clone()),
            roll_upload_rows::weight.eq(m.weight.to_string()),
        )
    };
    match conn {
        AnyConnection::Postgresql(pg) => {
            // 6 parameters a row: well under PostgreSQL's 65,535.
            for chunk in rows.chunks(1000) {
                let values: Vec<_> = chunk.iter().map(value).collect();
                diesel::insert_into(roll_upload_rows::table)
                    .values(values)
                    .execute(pg)?;
            }
        }
        AnyConnection::Sqlite(lite) => {
            for m in rows {
                diesel::insert_into(roll_upload_rows::table)
                    .values(value(m))
                    .execute(lite)?;
            }
        }
    }
    Ok(())
}

/// Mark an upload ready to import, with its count of members.
pub fn mark_ready(conn: &mut AnyConnection, upload: &str, members: i64) -> Result<(), StoreError> {
    diesel::update(roll_uploads::table.find(upload))
        .set((roll_uploads::ready.eq(true), roll_uploads::members.eq(members)))
        .execute(conn)?;
    Ok(())
}

/// One upload.
pub fn find(conn: &mut AnyConnection, upload: &str) -> Result<Option<UploadRow>, StoreError> {
    Ok(roll_uploads::table
        .find(upload)
        .select(UploadRow::as_select())
        .first(conn)
        .optional()?)
}

/// `sql` as the connection's backend writes parameters: `$1, $2, …` on
/// PostgreSQL, `?` on SQLite (each parameter is used once, in order).
fn for_backend(conn: &AnyConnection, sql: &str) -> String {
    match conn {
        AnyConnection::Postgresql(_) => sql.to_string(),
        AnyConnection::Sqlite(_) => (1..=9)
            .rev()
            .fold(sql.to_string(), |s, i| s.replace(&format!("${i}"), "?")),
    }
}

#[derive(QueryableByName)]
struct OnRoll {
    #[diesel(sql_type = BigInt)]
    row_number: i64,
    #[diesel(sql_type = Text)]
    member_id: String,
}

/// Rows of an upload whose member id is already on the election's roll:
/// (row, member id), in row order, at most `limit`, with how many there are
/// in all.
pub fn already_on_roll(
    conn: &mut AnyConnection,
    upload: &str,
    election: &str,
    limit: i64,
) -> Result<(Vec<(u64, String)>, u64), StoreError> {
    const FROM: &str = "FROM roll_upload_rows r JOIN members m ON m.election_id = $1 AND m.member_id = r.member_id \
                        WHERE r.upload_id = $2";
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let total: Count = diesel::sql_query(for_backend(conn, &format!("SELECT COUNT(*) AS n {FROM}")))
        .bind::<Text, _>(election)
        .bind::<Text, _>(upload)
        .get_result(conn)?;
    if total.n == 0 {
        return Ok((vec![], 0));
    }
    let rows: Vec<OnRoll> = diesel::sql_query(for_backend(
        conn,
        &format!("SELECT r.row_number, r.member_id {FROM} ORDER BY r.row_number LIMIT $3"),
    ))
    .bind::<Text, _>(election)
    .bind::<Text, _>(upload)
    .bind::<BigInt, _>(limit)
    .load(conn)?;
    Ok((
        rows.into_iter()
            .map(|r| (u64::try_from(r.row_number).unwrap_or(0), r.member_id))
            .collect(),
        u64::try_from(total.n).unwrap_or(0),
    ))
}

/// Copy an upload's members onto the election's roll, in file order;
/// returns how many. The caller's transaction makes it all or nothing.
pub fn copy_to_roll(conn: &mut AnyConnection, upload: &str, election: &str) -> Result<u64, StoreError> {
    let n = diesel::sql_query(for_backend(
        conn,
        "INSERT INTO members (election_id, member_id, name, email, weight) \
         SELECT $1, member_id, name, email, weight FROM roll_upload_rows WHERE upload_id = $2 ORDER BY row_number",
    ))
    .bind::<Text, _>(election)
    .bind::<Text, _>(upload)
    .execute(conn)?;
    Ok(n as u64)
}

/// Delete an upload and its rows.
pub fn delete(conn: &mut AnyConnection, upload: &str) -> Result<(), StoreError> {
    diesel::delete(roll_upload_rows::table.filter(roll_upload_rows::upload_id.eq(upload))).execute(conn)?;
    diesel::delete(roll_uploads::table.find(upload)).execute(conn)?;
    Ok(())
}

/// Uploads made before `cutoff` (stale: never confirmed nor cancelled).
pub fn stale(conn: &mut AnyConnection, cutoff: i64) -> Result<Vec<String>, StoreError> {
    Ok(roll_uploads::table
        .filter(roll_uploads::created_at.lt(cutoff))
        .select(roll_uploads::id)
        .load(conn)?)
}

/// Rows waiting in all uploads (for tests and the benchmark: none after a
/// confirmation).
pub fn waiting_rows(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    Ok(roll_upload_rows::table.count().get_result(conn)?)
}
