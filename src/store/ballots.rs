//! Ballots: no voter, no time. Stored awaiting their seal, then sealed.

use std::collections::BTreeMap;

use diesel::dsl::count_star;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use teller_audit::ballot::PublishedBallot;
use teller_audit::count::Weight;
use teller_audit::crypto::{Digest, Nonce};

use super::{corrupt, StoreError};
use crate::db::schema::ballots;
use crate::db::AnyConnection;

/// What is stored in `ballots.body`: the ballot without its election id.
#[derive(Serialize, Deserialize)]
struct Body {
    nonce: Nonce,
    choices: BTreeMap<String, Vec<String>>,
    weight: Weight,
}

/// Store a cast ballot, awaiting its seal.
pub fn insert(
    conn: &mut AnyConnection,
    election: &str,
    tracker: &Digest,
    nonce: &Nonce,
    choices: &BTreeMap<String, Vec<String>>,
    weight: Weight,
) -> Result<(), StoreError> {
    let body = teller_audit::canonical::to_bytes(&Body {
        nonce: *nonce,
        choices: choices.clone(),
        weight,
    })
    .map_err(corrupt)?;
    diesel::insert_into(ballots::table)
        .values((
            ballots::election_id.eq(election),
            ballots::tracker.eq(tracker.to_hex()),
            ballots::body.eq(String::from_utf8(body).map_err(corrupt)?),
            ballots::seal.eq(None::<i64>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Trackers awaiting a seal, in tracker order.
pub fn pending(conn: &mut AnyConnection, election: &str) -> Result<Vec<Digest>, StoreError> {
    let rows: Vec<String> = ballots::table
        .filter(ballots::election_id.eq(election))
        .filter(ballots::seal.is_null())
        .order(ballots::tracker)
        .select(ballots::tracker)
        .load(conn)?;
    rows.iter()
        .map(|t| Digest::from_hex(t).map_err(|e| corrupt(format!("ballot tracker: {e}")).into()))
        .collect()
}

/// How many ballots await a seal.
pub fn pending_count(conn: &mut AnyConnection, election: &str) -> Result<u64, StoreError> {
    let n: i64 = ballots::table
        .filter(ballots::election_id.eq(election))
        .filter(ballots::seal.is_null())
        .select(count_star())
        .first(conn)?;
    Ok(n.max(0) as u64)
}

/// Mark every waiting ballot as sealed by `seal`.
pub fn mark_sealed(conn: &mut AnyConnection, election: &str, seal: i64) -> Result<usize, StoreError> {
    Ok(diesel::update(ballots::table)
        .filter(ballots::election_id.eq(election))
        .filter(ballots::seal.is_null())
        .set(ballots::seal.eq(Some(seal)))
        .execute(conn)?)
}

/// Every sealed ballot, sorted by tracker, as published in the record.
pub fn all_sealed(conn: &mut AnyConnection, election: &str) -> Result<Vec<PublishedBallot>, StoreError> {
    let rows: Vec<(String, String)> = ballots::table
        .filter(ballots::election_id.eq(election))
        .filter(ballots::seal.is_not_null())
        .order(ballots::tracker)
        .select((ballots::tracker, ballots::body))
        .load(conn)?;
    rows.into_iter()
        .map(|(tracker, body)| {
            let parsed: Body = serde_json::from_str(&body).map_err(|e| corrupt(format!("ballot {tracker}: {e}")))?;
            Ok(PublishedBallot {
                tracker: Digest::from_hex(&tracker).map_err(|e| corrupt(format!("ballot tracker: {e}")))?,
                nonce: parsed.nonce,
                choices: parsed.choices,
                weight: parsed.weight,
            })
        })
        .collect()
}

/// One page of sealed ballots `(tracker, body)` with trackers after `after`,
/// in tracker order.
pub fn sealed_rows_after(
    conn: &mut AnyConnection,
    election: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<(String, String)>, StoreError> {
    Ok(ballots::table
        .filter(ballots::election_id.eq(election))
        .filter(ballots::seal.is_not_null())
        .filter(ballots::tracker.gt(after))
        .order(ballots::tracker)
        .limit(limit)
        .select((ballots::tracker, ballots::body))
        .load(conn)?)
}

/// The seal a ballot is in: `None` if there is no such ballot, `Some(None)`
/// while it awaits its seal.
pub fn seal_of(conn: &mut AnyConnection, election: &str, tracker: &Digest) -> Result<Option<Option<i64>>, StoreError> {
    Ok(ballots::table
        .find((election, tracker.to_hex()))
        .select(ballots::seal)
        .first(conn)
        .optional()?)
}

/// Sealed ballots whose tracker starts with `prefix` (lower-case hex), at
/// most two: enough to tell "found", "not found" and "ambiguous" apart.
pub fn sealed_by_prefix(
    conn: &mut AnyConnection,
    election: &str,
    prefix: &str,
) -> Result<Vec<(String, i64)>, StoreError> {
    let clean: String = prefix.chars().filter(char::is_ascii_hexdigit).collect();
    let rows: Vec<(String, Option<i64>)> = ballots::table
        .filter(ballots::election_id.eq(election))
        .filter(ballots::tracker.like(format!("{clean}%")))
        .filter(ballots::seal.is_not_null())
        .select((ballots::tracker, ballots::seal))
        .limit(2)
        .load(conn)?;
    Ok(rows.into_iter().filter_map(|(t, s)| s.map(|s| (t, s))).collect())
}

/// Ballots of every election still waiting for a seal (the metrics publish
/// per-cast figures only when this is zero: see `web::metrics`).
pub fn waiting_total(conn: &mut AnyConnection) -> Result<u64, StoreError> {
    let n: i64 = ballots::table
        .filter(ballots::seal.is_null())
        .select(count_star())
        .first(conn)?;
    Ok(n.max(0) as u64)
}

/// A ballot's stored body and seal, by its full tracker.
pub fn body_and_seal(
    conn: &mut AnyConnection,
    election: &str,
    tracker: &Digest,
) -> Result<Option<(String, Option<i64>)>, StoreError> {
    Ok(ballots::table
        .find((election, tracker.to_hex()))
        .select((ballots::body, ballots::seal))
        .first(conn)
        .optional()?)
}

/// One page of sealed trackers with their seals, in log order (by seal,
/// and within a seal by tracker: FORMAT.md §5 rule 3), skipping the first
/// `offset`.
pub fn sealed_in_log_order(
    conn: &mut AnyConnection,
    election: &str,
    offset: i64,
    limit: i64,
) -> Result<Vec<(String, i64)>, StoreError> {
    let rows: Vec<(String, Option<i64>)> = ballots::table
        .filter(ballots::election_id.eq(election))
        .filter(ballots::seal.is_not_null())
        .order((ballots::seal, ballots::tracker))
        .offset(offset)
        .limit(limit)
        .select((ballots::tracker, ballots::seal))
        .load(conn)?;
    Ok(rows.into_iter().filter_map(|(t, s)| s.map(|s| (t, s))).collect())
}
