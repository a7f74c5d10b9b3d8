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

/// Store a cast encrypted ballot, awaiting its seal: `body` is its
/// published form (canonical JSON, without `election`), `alphas` its
/// ciphertexts' `alpha`s in hex. The caller has checked that none is
/// stored ([`stored_alpha`]); the primary key refuses one anyway.
pub fn insert_encrypted(
    conn: &mut AnyConnection,
    election: &str,
    tracker: &Digest,
    body: &str,
    alphas: &[String],
) -> Result<(), StoreError> {
    diesel::insert_into(ballots::table)
        .values((
            ballots::election_id.eq(election),
            ballots::tracker.eq(tracker.to_hex()),
            ballots::body.eq(body),
            ballots::seal.eq(None::<i64>),
        ))
        .execute(conn)?;
    insert_alphas(conn, election, alphas)
}

/// Keep `alphas` (hex) as used in `election`.
pub fn insert_alphas(conn: &mut AnyConnection, election: &str, alphas: &[String]) -> Result<(), StoreError> {
    use crate::db::schema::ballot_alphas;
    // One statement for all of them (a cast writes a ballot's dozens in
    // its own transaction, on the single writer): multi-row inserts are
    // made on each backend's own connection, which supports them.
    let rows: Vec<_> = alphas
        .iter()
        .map(|a| (ballot_alphas::election_id.eq(election), ballot_alphas::alpha.eq(a)))
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    let insert = diesel::insert_into(ballot_alphas::table).values(&rows);
    match conn {
        AnyConnection::Postgresql(pg) => insert.execute(pg)?,
        AnyConnection::Sqlite(lite) => insert.execute(lite)?,
    };
    Ok(())
}

/// The first of `alphas` (hex) already used in `election` by a cast or
/// audited ballot, by its index in `alphas`.
pub fn stored_alpha(conn: &mut AnyConnection, election: &str, alphas: &[String]) -> Result<Option<usize>, StoreError> {
    use crate::db::schema::ballot_alphas;
    let mut found: Vec<String> = Vec::new();
    for chunk in alphas.chunks(200) {
        found.extend(
            ballot_alphas::table
                .filter(ballot_alphas::election_id.eq(election))
                .filter(ballot_alphas::alpha.eq_any(chunk))
                .select(ballot_alphas::alpha)
                .load::<String>(conn)?,
        );
    }
    Ok(alphas.iter().position(|a| found.contains(a)))
}

/// Every stored ballot's body `(tracker, body)`, sealed or not, in tracker
/// order (an encrypted election's aggregate, after the close).
pub fn all_bodies(conn: &mut AnyConnection, election: &str) -> Result<Vec<(String, String)>, StoreError> {
    Ok(ballots::table
        .filter(ballots::election_id.eq(election))
        .order(ballots::tracker)
        .select((ballots::tracker, ballots::body))
        .load(conn)?)
}

/// Whether `tracker` is an audited ballot of `election`.
pub fn is_audited(conn: &mut AnyConnection, election: &str, tracker: &Digest) -> Result<bool, StoreError> {
    use crate::db::schema::audited_ballots;
    let n: i64 = audited_ballots::table
        .filter(audited_ballots::election_id.eq(election))
        .filter(audited_ballots::tracker.eq(tracker.to_hex()))
        .select(count_star())
        .first(conn)?;
    Ok(n > 0)
}

/// Store an audited ballot (its file, canonical JSON) and its alphas.
pub fn insert_audited(
    conn: &mut AnyConnection,
    election: &str,
    tracker: &Digest,
    body: &str,
    alphas: &[String],
    now: i64,
) -> Result<(), StoreError> {
    use crate::db::schema::audited_ballots;
    diesel::insert_into(audited_ballots::table)
        .values((
            audited_ballots::election_id.eq(election),
            audited_ballots::tracker.eq(tracker.to_hex()),
            audited_ballots::body.eq(body),
            audited_ballots::received_at.eq(now),
            audited_ballots::seal.eq(None::<i64>),
        ))
        .execute(conn)?;
    insert_alphas(conn, election, alphas)
}

/// Every audited ballot's file `(tracker, body)`, in tracker order.
pub fn audited(conn: &mut AnyConnection, election: &str) -> Result<Vec<(String, String)>, StoreError> {
    use crate::db::schema::audited_ballots;
    Ok(audited_ballots::table
        .filter(audited_ballots::election_id.eq(election))
        .order(audited_ballots::tracker)
        .select((audited_ballots::tracker, audited_ballots::body))
        .load(conn)?)
}

/// Audited ballots awaiting a seal (their `audited` entries), in tracker
/// order.
pub fn pending_audited(conn: &mut AnyConnection, election: &str) -> Result<Vec<Digest>, StoreError> {
    use crate::db::schema::audited_ballots;
    let rows: Vec<String> = audited_ballots::table
        .filter(audited_ballots::election_id.eq(election))
        .filter(audited_ballots::seal.is_null())
        .order(audited_ballots::tracker)
        .select(audited_ballots::tracker)
        .load(conn)?;
    rows.iter()
        .map(|t| Digest::from_hex(t).map_err(|e| corrupt(format!("audited tracker: {e}")).into()))
        .collect()
}

/// Mark every waiting audited ballot as sealed by `seal`.
pub fn mark_audited_sealed(conn: &mut AnyConnection, election: &str, seal: i64) -> Result<usize, StoreError> {
    use crate::db::schema::audited_ballots;
    Ok(diesel::update(audited_ballots::table)
        .filter(audited_ballots::election_id.eq(election))
        .filter(audited_ballots::seal.is_null())
        .set(audited_ballots::seal.eq(Some(seal)))
        .execute(conn)?)
}

/// How many audited ballots `election` has.
pub fn audited_count(conn: &mut AnyConnection, election: &str) -> Result<u64, StoreError> {
    use crate::db::schema::audited_ballots;
    let n: i64 = audited_ballots::table
        .filter(audited_ballots::election_id.eq(election))
        .select(count_star())
        .first(conn)?;
    Ok(n.max(0) as u64)
}

/// Forget `election`'s used alphas (at the close: no cast can come).
pub fn delete_alphas(conn: &mut AnyConnection, election: &str) -> Result<usize, StoreError> {
    use crate::db::schema::ballot_alphas;
    Ok(diesel::delete(ballot_alphas::table.filter(ballot_alphas::election_id.eq(election))).execute(conn)?)
}

/// How many ballots `election` has stored, sealed or not.
pub fn count(conn: &mut AnyConnection, election: &str) -> Result<u64, StoreError> {
    let n: i64 = ballots::table
        .filter(ballots::election_id.eq(election))
        .select(count_star())
        .first(conn)?;
    Ok(n.max(0) as u64)
}

/// An encrypted election's running totals `(ballots, state)`
/// (`encrypted_totals`), `None` if it has none. On PostgreSQL the row is
/// locked for the rest of the transaction: two instances' batches of casts
/// must not both add to the same old totals. SQLite's write transaction
/// (`BEGIN IMMEDIATE`) already excludes every other writer.
pub fn running_totals_for_update(
    conn: &mut AnyConnection,
    election: &str,
) -> Result<Option<(u64, String)>, StoreError> {
    use crate::db::schema::encrypted_totals;
    let query = encrypted_totals::table
        .find(election)
        .select((encrypted_totals::ballots, encrypted_totals::state));
    let row: Option<(i64, String)> = match conn {
        AnyConnection::Postgresql(pg) => query.for_update().first(pg).optional()?,
        AnyConnection::Sqlite(_) => query.first(conn).optional()?,
    };
    Ok(row.map(|(n, state)| (n.max(0) as u64, state)))
}

/// Create `election`'s running totals (when its polls open): no ballots.
pub fn create_running_totals(conn: &mut AnyConnection, election: &str, state: &str) -> Result<(), StoreError> {
    use crate::db::schema::encrypted_totals;
    diesel::insert_into(encrypted_totals::table)
        .values((
            encrypted_totals::election_id.eq(election),
            encrypted_totals::ballots.eq(0i64),
            encrypted_totals::state.eq(state),
        ))
        .execute(conn)?;
    Ok(())
}

/// Write back running totals read with [`running_totals_for_update`] in
/// this transaction.
pub fn save_running_totals(
    conn: &mut AnyConnection,
    election: &str,
    ballots: u64,
    state: &str,
) -> Result<(), StoreError> {
    use crate::db::schema::encrypted_totals;
    let n = i64::try_from(ballots).map_err(|_| corrupt("running totals: the ballot count is out of range"))?;
    diesel::update(encrypted_totals::table.find(election))
        .set((encrypted_totals::ballots.eq(n), encrypted_totals::state.eq(state)))
        .execute(conn)?;
    Ok(())
}
