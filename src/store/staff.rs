//! Staff accounts and their sessions.

use diesel::dsl::count_star;
use diesel::prelude::*;

use super::StoreError;
use crate::db::schema::{staff, staff_sessions};
use crate::db::AnyConnection;

/// A staff account as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = staff)]
pub struct StaffRow {
    /// UUID.
    pub id: String,
    /// Login name.
    pub username: String,
    /// The name shown in the log and on certificates.
    pub display_name: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// administrator, officer, certifier or observer.
    pub role: String,
    /// TOTP key encrypted under the master secret.
    pub totp_secret: Option<String>,
    /// Cannot log in.
    pub disabled: bool,
    /// When created.
    pub created_at: i64,
}

/// Store a new account.
pub fn insert(conn: &mut AnyConnection, row: &StaffRow) -> Result<(), StoreError> {
    diesel::insert_into(staff::table).values(row).execute(conn)?;
    Ok(())
}

/// The account with this login name.
pub fn by_username(conn: &mut AnyConnection, username: &str) -> Result<Option<StaffRow>, StoreError> {
    Ok(staff::table
        .filter(staff::username.eq(username))
        .select(StaffRow::as_select())
        .first(conn)
        .optional()?)
}

/// The account with this id.
pub fn by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<StaffRow>, StoreError> {
    Ok(staff::table
        .find(id)
        .select(StaffRow::as_select())
        .first(conn)
        .optional()?)
}

/// Every account, by login name.
pub fn list(conn: &mut AnyConnection) -> Result<Vec<StaffRow>, StoreError> {
    Ok(staff::table
        .order(staff::username)
        .select(StaffRow::as_select())
        .load(conn)?)
}

/// How many accounts exist.
pub fn count(conn: &mut AnyConnection) -> Result<u64, StoreError> {
    let n: i64 = staff::table.select(count_star()).first(conn)?;
    Ok(n.max(0) as u64)
}

/// Replace an account's password hash.
pub fn set_password(conn: &mut AnyConnection, id: &str, hash: &str) -> Result<(), StoreError> {
    diesel::update(staff::table.find(id))
        .set(staff::password_hash.eq(hash))
        .execute(conn)?;
    Ok(())
}

/// Set or clear an account's TOTP key, with the last time step counted as
/// used (the step of the code that proved a new key; `None` when cleared).
pub fn set_totp(
    conn: &mut AnyConnection,
    id: &str,
    sealed: Option<&str>,
    last_step: Option<i64>,
) -> Result<(), StoreError> {
    diesel::update(staff::table.find(id))
        .set((staff::totp_secret.eq(sealed), staff::totp_last_step.eq(last_step)))
        .execute(conn)?;
    Ok(())
}

/// Use TOTP time step `step` for an account: true when it is later than any
/// step used before (and is now the last one), false when it is not. One
/// conditional UPDATE, so two sign-ins racing with one code cannot both win.
pub fn use_totp_step(conn: &mut AnyConnection, id: &str, step: i64) -> Result<bool, StoreError> {
    let updated = diesel::update(
        staff::table
            .find(id)
            .filter(staff::totp_last_step.is_null().or(staff::totp_last_step.lt(step))),
    )
    .set(staff::totp_last_step.eq(step))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Change an account's role.
pub fn set_role(conn: &mut AnyConnection, id: &str, role: &str) -> Result<(), StoreError> {
    diesel::update(staff::table.find(id))
        .set(staff::role.eq(role))
        .execute(conn)?;
    Ok(())
}

/// Enable or disable an account.
pub fn set_disabled(conn: &mut AnyConnection, id: &str, disabled: bool) -> Result<(), StoreError> {
    diesel::update(staff::table.find(id))
        .set(staff::disabled.eq(disabled))
        .execute(conn)?;
    Ok(())
}

/// A session as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = staff_sessions)]
pub struct SessionRow {
    /// SHA-256 of the cookie value (hex).
    pub token_hash: String,
    /// Whose.
    pub staff_id: String,
    /// The anti-forgery token its forms carry.
    pub csrf: String,
    /// When it began.
    pub created_at: i64,
    /// When it was last used.
    pub last_seen: i64,
    /// When it ends at the latest.
    pub expires_at: i64,
}

/// Store a new session.
pub fn insert_session(conn: &mut AnyConnection, row: &SessionRow) -> Result<(), StoreError> {
    diesel::insert_into(staff_sessions::table).values(row).execute(conn)?;
    Ok(())
}

/// A session and its account.
pub fn session(conn: &mut AnyConnection, token_hash: &str) -> Result<Option<(SessionRow, StaffRow)>, StoreError> {
    let Some(s) = staff_sessions::table
        .find(token_hash)
        .select(SessionRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    Ok(by_id(conn, &s.staff_id)?.map(|staff| (s, staff)))
}

/// Note that a session was used.
pub fn touch_session(conn: &mut AnyConnection, token_hash: &str, now: i64) -> Result<(), StoreError> {
    diesel::update(staff_sessions::table.find(token_hash))
        .set(staff_sessions::last_seen.eq(now))
        .execute(conn)?;
    Ok(())
}

/// Count an attempt at the current password made in a session (before it is
/// checked, so parallel attempts are counted too); returns the attempts so
/// far, or `None` when the session is gone.
pub fn count_password_attempt(conn: &mut AnyConnection, token_hash: &str) -> Result<Option<i32>, StoreError> {
    diesel::update(staff_sessions::table.find(token_hash))
        .set(staff_sessions::password_failures.eq(staff_sessions::password_failures + 1))
        .execute(conn)?;
    Ok(staff_sessions::table
        .find(token_hash)
        .select(staff_sessions::password_failures)
        .first(conn)
        .optional()?)
}

/// Forget a session's attempts at the current password (one was right).
pub fn clear_password_attempts(conn: &mut AnyConnection, token_hash: &str) -> Result<(), StoreError> {
    diesel::update(staff_sessions::table.find(token_hash))
        .set(staff_sessions::password_failures.eq(0))
        .execute(conn)?;
    Ok(())
}

/// End a session.
pub fn delete_session(conn: &mut AnyConnection, token_hash: &str) -> Result<(), StoreError> {
    diesel::delete(staff_sessions::table.find(token_hash)).execute(conn)?;
    Ok(())
}

/// End every session of an account (after a password change).
pub fn delete_sessions_of(conn: &mut AnyConnection, staff_id: &str) -> Result<(), StoreError> {
    diesel::delete(staff_sessions::table.filter(staff_sessions::staff_id.eq(staff_id))).execute(conn)?;
    Ok(())
}

/// Forget sessions that have ended.
pub fn delete_expired(conn: &mut AnyConnection, now: i64) -> Result<(), StoreError> {
    diesel::delete(staff_sessions::table.filter(staff_sessions::expires_at.le(now))).execute(conn)?;
    Ok(())
}
