//! Turnout as staff and the public see it: members on the roll, and members
//! who had voted as of the last seal. Stored, one row per election, so that
//! a page reads one row instead of counting the roll, and so that nothing
//! anyone can see moves between seals.

use diesel::prelude::*;

use super::StoreError;
use crate::db::schema::{members, turnout};
use crate::db::AnyConnection;

/// The stored figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Turnout {
    /// Members on the roll.
    pub eligible: u64,
    /// Members who had voted as of the last seal.
    pub voted: u64,
}

fn n(v: i64) -> u64 {
    v.max(0) as u64
}

/// The figures of an election. An election whose row was never written (one
/// created before any roll was imported) is counted once, from the sealed
/// flags only, never the live ones.
pub fn get(conn: &mut AnyConnection, election: &str) -> Result<Turnout, StoreError> {
    let row: Option<(i64, i64)> = turnout::table
        .find(election)
        .select((turnout::eligible, turnout::voted))
        .first(conn)
        .optional()?;
    match row {
        Some((eligible, voted)) => Ok(Turnout {
            eligible: n(eligible),
            voted: n(voted),
        }),
        None => count(conn, election),
    }
}

/// Count the figures from the roll (sealed flags only).
fn count(conn: &mut AnyConnection, election: &str) -> Result<Turnout, StoreError> {
    use diesel::dsl::count_star;
    let eligible: i64 = members::table
        .filter(members::election_id.eq(election))
        .select(count_star())
        .first(conn)?;
    let voted: i64 = members::table
        .filter(members::election_id.eq(election))
        .filter(members::voted_sealed.eq(true))
        .select(count_star())
        .first(conn)?;
    Ok(Turnout {
        eligible: n(eligible),
        voted: n(voted),
    })
}

fn put(conn: &mut AnyConnection, election: &str, t: Turnout) -> Result<(), StoreError> {
    let eligible = t.eligible as i64;
    let voted = t.voted as i64;
    let updated = diesel::update(turnout::table.find(election))
        .set((turnout::eligible.eq(eligible), turnout::voted.eq(voted)))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(turnout::table)
            .values((
                turnout::election_id.eq(election),
                turnout::eligible.eq(eligible),
                turnout::voted.eq(voted),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Recount and store the figures (sealed flags only). Call in the write
/// transaction that changed the roll (an import), opened the polls, or
/// sealed: those are the only moments the figures may change.
pub fn refresh(conn: &mut AnyConnection, election: &str) -> Result<Turnout, StoreError> {
    let t = count(conn, election)?;
    put(conn, election, t)?;
    Ok(t)
}

/// At a seal, after the sealed flags are set: `revealed` more members are
/// now seen to have voted.
pub fn add_voted(conn: &mut AnyConnection, election: &str, revealed: u64) -> Result<(), StoreError> {
    let updated = diesel::update(turnout::table.find(election))
        .set(turnout::voted.eq(turnout::voted + revealed as i64))
        .execute(conn)?;
    if updated == 0 {
        // No row yet: the sealed flags already include this seal.
        refresh(conn, election)?;
    }
    Ok(())
}
