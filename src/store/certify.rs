//! Certifiers' keys and their signatures of results.

use diesel::prelude::*;

use super::StoreError;
use crate::db::schema::{certifications, certifier_keys};
use crate::db::AnyConnection;

/// Register (or replace) a certifier's public key for an election.
pub fn register(
    conn: &mut AnyConnection,
    election: &str,
    staff_id: &str,
    key: &str,
    now: i64,
) -> Result<(), StoreError> {
    diesel::delete(certifier_keys::table.find((election, staff_id))).execute(conn)?;
    diesel::insert_into(certifier_keys::table)
        .values((
            certifier_keys::election_id.eq(election),
            certifier_keys::staff_id.eq(staff_id),
            certifier_keys::public_key.eq(key),
            certifier_keys::registered_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Every registered key: (staff id, hex public key).
pub fn keys(conn: &mut AnyConnection, election: &str) -> Result<Vec<(String, String)>, StoreError> {
    Ok(certifier_keys::table
        .filter(certifier_keys::election_id.eq(election))
        .order(certifier_keys::registered_at)
        .select((certifier_keys::staff_id, certifier_keys::public_key))
        .load(conn)?)
}

/// Store a certifier's signed statement.
pub fn insert(
    conn: &mut AnyConnection,
    election: &str,
    staff_id: &str,
    body: &str,
    now: i64,
) -> Result<(), StoreError> {
    diesel::insert_into(certifications::table)
        .values((
            certifications::election_id.eq(election),
            certifications::staff_id.eq(staff_id),
            certifications::body.eq(body),
            certifications::signed_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Who has signed: (staff id, signed statement JSON).
pub fn signed(conn: &mut AnyConnection, election: &str) -> Result<Vec<(String, String)>, StoreError> {
    Ok(certifications::table
        .filter(certifications::election_id.eq(election))
        .order(certifications::signed_at)
        .select((certifications::staff_id, certifications::body))
        .load(conn)?)
}
