//! An encrypted election's decryption as stored (audit/FORMAT.md
//! §16.6–§16.9): the aggregate formed at the close, the trustees' accepted
//! partial decryptions (their signed envelopes, in the order accepted),
//! the refused ones with why, and the decrypted totals once combined.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use teller_audit::count::Weight;
use teller_audit::crypto::Digest;
use teller_audit::trustees::decrypt::Aggregate;
use teller_audit::trustees::envelope::Envelope;

use super::{corrupt, StoreError};
use crate::db::schema::{aggregates, decryption_refusals, decryption_shares};
use crate::db::AnyConnection;

/// The aggregate as stored.
#[derive(Debug, Clone)]
pub struct StoredAggregate {
    /// Ballots it sums.
    pub ballots: u64,
    /// Their total weight.
    pub weight: Weight,
    /// The targets.
    pub aggregate: Aggregate,
    /// The digest logged in `aggregated`.
    pub digest: Digest,
    /// The decrypted totals, once combined.
    pub totals: Option<Vec<TotalEntry>>,
}

/// One decrypted total, as the record writes it (§16.9):
/// `{"target": index, "trustees": [Q], "value": t}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TotalEntry {
    /// The target's index.
    pub target: u32,
    /// `Q`: the trustees whose shares were combined.
    pub trustees: Vec<u32>,
    /// `t`.
    pub value: u64,
}

/// A refused partial decryption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusalRow {
    /// The trustee who uploaded it.
    pub trustee: u32,
    /// The reason logged (§16.7).
    pub reason: String,
    /// The first failing target, for `proof`.
    pub target: Option<u32>,
    /// What is wrong, in words.
    pub detail: String,
    /// When.
    pub received_at: i64,
}

fn text<T: Serialize>(value: &T) -> Result<String, StoreError> {
    let bytes = teller_audit::canonical::to_bytes(value).map_err(corrupt)?;
    Ok(String::from_utf8(bytes).map_err(corrupt)?)
}

/// Store the aggregate formed at the close (once).
pub fn insert_aggregate(
    conn: &mut AnyConnection,
    election: &str,
    ballots: u64,
    weight: Weight,
    aggregate: &Aggregate,
    digest: &Digest,
) -> Result<(), StoreError> {
    diesel::insert_into(aggregates::table)
        .values((
            aggregates::election_id.eq(election),
            aggregates::ballots.eq(ballots as i64),
            aggregates::weight.eq(weight.to_string()),
            aggregates::weight_decimals.eq(i64::from(aggregate.weight_decimals)),
            aggregates::aggregate.eq(text(aggregate)?),
            aggregates::digest.eq(digest.to_hex()),
            aggregates::totals.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// The election's aggregate, if it has one.
pub fn aggregate(conn: &mut AnyConnection, election: &str) -> Result<Option<StoredAggregate>, StoreError> {
    let row: Option<(i64, String, String, String, Option<String>)> = aggregates::table
        .find(election)
        .select((
            aggregates::ballots,
            aggregates::weight,
            aggregates::aggregate,
            aggregates::digest,
            aggregates::totals,
        ))
        .first(conn)
        .optional()?;
    let Some((ballots, weight, aggregate, digest, totals)) = row else {
        return Ok(None);
    };
    let bad = |what: &str, e: &dyn std::fmt::Display| StoreError::from(corrupt(format!("the aggregate's {what}: {e}")));
    Ok(Some(StoredAggregate {
        ballots: u64::try_from(ballots).map_err(|e| bad("ballots", &e))?,
        weight: Weight::parse(&weight).map_err(|e| bad("weight", &e))?,
        aggregate: serde_json::from_str(&aggregate).map_err(|e| bad("targets", &e))?,
        digest: Digest::from_hex(&digest).map_err(|e| bad("digest", &e))?,
        totals: totals
            .map(|t| serde_json::from_str(&t).map_err(|e| bad("totals", &e)))
            .transpose()?,
    }))
}

/// Store the decrypted totals.
pub fn set_totals(conn: &mut AnyConnection, election: &str, totals: &[TotalEntry]) -> Result<(), StoreError> {
    diesel::update(aggregates::table.find(election))
        .set(aggregates::totals.eq(Some(text(&totals)?)))
        .execute(conn)?;
    Ok(())
}

/// Every accepted partial decryption, in the order accepted.
pub fn shares(conn: &mut AnyConnection, election: &str) -> Result<Vec<Envelope>, StoreError> {
    let rows: Vec<(i64, String)> = decryption_shares::table
        .filter(decryption_shares::election_id.eq(election))
        .order(decryption_shares::position.asc())
        .select((decryption_shares::position, decryption_shares::envelope))
        .load(conn)?;
    rows.into_iter()
        .map(|(at, text)| {
            serde_json::from_str(&text).map_err(|e| corrupt(format!("partial decryption {at}: {e}")).into())
        })
        .collect()
}

/// Append an accepted partial decryption (the caller holds the election's lock).
pub fn append_share(conn: &mut AnyConnection, election: &str, e: &Envelope, now: i64) -> Result<(), StoreError> {
    let position: i64 = decryption_shares::table
        .filter(decryption_shares::election_id.eq(election))
        .count()
        .get_result(conn)?;
    diesel::insert_into(decryption_shares::table)
        .values((
            decryption_shares::election_id.eq(election),
            decryption_shares::position.eq(position),
            decryption_shares::trustee.eq(i64::from(e.trustee)),
            decryption_shares::envelope.eq(String::from_utf8(e.canonical_bytes()).map_err(corrupt)?),
            decryption_shares::digest.eq(e.digest().to_hex()),
            decryption_shares::received_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Every refused partial decryption, in the order refused.
pub fn refusals(conn: &mut AnyConnection, election: &str) -> Result<Vec<RefusalRow>, StoreError> {
    let rows: Vec<(i64, String, Option<i64>, String, i64)> = decryption_refusals::table
        .filter(decryption_refusals::election_id.eq(election))
        .order(decryption_refusals::position.asc())
        .select((
            decryption_refusals::trustee,
            decryption_refusals::reason,
            decryption_refusals::target,
            decryption_refusals::detail,
            decryption_refusals::received_at,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(trustee, reason, target, detail, received_at)| {
            let n = |v: i64| u32::try_from(v).map_err(|_| StoreError::from(corrupt(format!("refusal: {v}"))));
            Ok(RefusalRow {
                trustee: n(trustee)?,
                reason,
                target: target.map(n).transpose()?,
                detail,
                received_at,
            })
        })
        .collect()
}

/// Record a refusal (the caller holds the election's lock).
pub fn append_refusal(conn: &mut AnyConnection, election: &str, r: &RefusalRow) -> Result<(), StoreError> {
    let position: i64 = decryption_refusals::table
        .filter(decryption_refusals::election_id.eq(election))
        .count()
        .get_result(conn)?;
    diesel::insert_into(decryption_refusals::table)
        .values((
            decryption_refusals::election_id.eq(election),
            decryption_refusals::position.eq(position),
            decryption_refusals::trustee.eq(i64::from(r.trustee)),
            decryption_refusals::reason.eq(&r.reason),
            decryption_refusals::target.eq(r.target.map(i64::from)),
            decryption_refusals::detail.eq(&r.detail),
            decryption_refusals::received_at.eq(r.received_at),
        ))
        .execute(conn)?;
    Ok(())
}
