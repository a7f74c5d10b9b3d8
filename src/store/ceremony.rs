//! An encrypted election's key ceremony as stored (audit/FORMAT.md
//! §16): its parameters, the trustees staff named, every accepted message and
//! every exclusion. The board's state is never stored: it is replayed from
//! these rows by `teller_audit::trustees::files::replay`, as every trustee
//! and verifier replays it.

use diesel::prelude::*;
use teller_audit::trustees::envelope::Envelope;
use teller_audit::trustees::files::{BoardFile, ExclusionEntry, NamedTrustee, BOARD_FORMAT};

use super::{corrupt, StoreError};
use crate::db::schema::{ceremonies, ceremony_exclusions, ceremony_messages, trustees};
use crate::db::AnyConnection;

/// `encryption = "trustees"`: how many trustees, and how many decrypt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CeremonyRow {
    /// `N`.
    pub trustees: u32,
    /// `K`.
    pub threshold: u32,
}

/// A named trustee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrusteeRow {
    /// Its index, from 1.
    pub trustee: u32,
    /// Its name.
    pub name: String,
    /// Where staff reach it, if they gave an address.
    pub email: Option<String>,
    /// Who named it.
    pub named_by: String,
    /// When.
    pub named_at: i64,
}

fn u32_of(v: i64, what: &str) -> Result<u32, StoreError> {
    u32::try_from(v).map_err(|_| corrupt(format!("{what} {v} out of range")).into())
}

/// The election's ceremony parameters; `None` for a plain election.
pub fn parameters(conn: &mut AnyConnection, election: &str) -> Result<Option<CeremonyRow>, StoreError> {
    let row: Option<(i64, i64)> = ceremonies::table
        .find(election)
        .select((ceremonies::trustees, ceremonies::threshold))
        .first(conn)
        .optional()?;
    row.map(|(n, k)| {
        Ok(CeremonyRow {
            trustees: u32_of(n, "trustees")?,
            threshold: u32_of(k, "threshold")?,
        })
    })
    .transpose()
}

/// Set (or with `None`, remove) the election's ceremony parameters. The
/// caller checks that the election is a draft and no trustee is named.
pub fn set_parameters(conn: &mut AnyConnection, election: &str, p: Option<CeremonyRow>) -> Result<(), StoreError> {
    diesel::delete(ceremonies::table.find(election)).execute(conn)?;
    if let Some(p) = p {
        diesel::insert_into(ceremonies::table)
            .values((
                ceremonies::election_id.eq(election),
                ceremonies::trustees.eq(i64::from(p.trustees)),
                ceremonies::threshold.eq(i64::from(p.threshold)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The named trustees, by index.
pub fn trustees(conn: &mut AnyConnection, election: &str) -> Result<Vec<TrusteeRow>, StoreError> {
    let rows: Vec<(i64, String, Option<String>, String, i64)> = trustees::table
        .filter(trustees::election_id.eq(election))
        .order(trustees::trustee.asc())
        .select((
            trustees::trustee,
            trustees::name,
            trustees::email,
            trustees::named_by,
            trustees::named_at,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(j, name, email, named_by, named_at)| {
            Ok(TrusteeRow {
                trustee: u32_of(j, "trustee")?,
                name,
                email,
                named_by,
                named_at,
            })
        })
        .collect()
}

/// Name trustee `row.trustee`, reachable with the code whose SHA-256 is
/// `code_hash`.
pub fn insert_trustee(
    conn: &mut AnyConnection,
    election: &str,
    row: &TrusteeRow,
    code_hash: &str,
) -> Result<(), StoreError> {
    diesel::insert_into(trustees::table)
        .values((
            trustees::election_id.eq(election),
            trustees::trustee.eq(i64::from(row.trustee)),
            trustees::name.eq(&row.name),
            trustees::email.eq(&row.email),
            trustees::code_hash.eq(code_hash),
            trustees::named_by.eq(&row.named_by),
            trustees::named_at.eq(row.named_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The election and trustee an access code (by its SHA-256) belongs to.
pub fn by_code(conn: &mut AnyConnection, code_hash: &str) -> Result<Option<(String, u32)>, StoreError> {
    let row: Option<(String, i64)> = trustees::table
        .filter(trustees::code_hash.eq(code_hash))
        .select((trustees::election_id, trustees::trustee))
        .first(conn)
        .optional()?;
    row.map(|(e, j)| Ok((e, u32_of(j, "trustee")?))).transpose()
}

/// Every accepted message, in the order accepted.
pub fn messages(conn: &mut AnyConnection, election: &str) -> Result<Vec<Envelope>, StoreError> {
    let rows: Vec<(i64, String)> = ceremony_messages::table
        .filter(ceremony_messages::election_id.eq(election))
        .order(ceremony_messages::position.asc())
        .select((ceremony_messages::position, ceremony_messages::envelope))
        .load(conn)?;
    rows.into_iter()
        .map(|(at, text)| {
            serde_json::from_str(&text).map_err(|e| corrupt(format!("ceremony message {at}: {e}")).into())
        })
        .collect()
}

/// Append an accepted message (the caller holds the election's lock).
pub fn append_message(conn: &mut AnyConnection, election: &str, e: &Envelope, now: i64) -> Result<(), StoreError> {
    let position: i64 = ceremony_messages::table
        .filter(ceremony_messages::election_id.eq(election))
        .count()
        .get_result(conn)?;
    let text = String::from_utf8(e.canonical_bytes()).map_err(corrupt)?;
    diesel::insert_into(ceremony_messages::table)
        .values((
            ceremony_messages::election_id.eq(election),
            ceremony_messages::position.eq(position),
            ceremony_messages::attempt.eq(i64::from(e.attempt)),
            ceremony_messages::trustee.eq(i64::from(e.trustee)),
            ceremony_messages::round.eq(e.round.name()),
            ceremony_messages::envelope.eq(text),
            ceremony_messages::digest.eq(e.digest().to_hex()),
            ceremony_messages::received_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Every exclusion, in the order made.
pub fn exclusions(conn: &mut AnyConnection, election: &str) -> Result<Vec<ExclusionEntry>, StoreError> {
    let rows: Vec<(i64, i64, String, Option<String>)> = ceremony_exclusions::table
        .filter(ceremony_exclusions::election_id.eq(election))
        .order(ceremony_exclusions::position.asc())
        .select((
            ceremony_exclusions::attempt,
            ceremony_exclusions::trustee,
            ceremony_exclusions::rule,
            ceremony_exclusions::actor,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(attempt, trustee, rule, actor)| {
            Ok(ExclusionEntry {
                attempt: u32_of(attempt, "attempt")?,
                trustee: u32_of(trustee, "trustee")?,
                rule,
                actor,
            })
        })
        .collect()
}

/// Record an exclusion (the caller holds the election's lock).
pub fn append_exclusion(conn: &mut AnyConnection, election: &str, x: &ExclusionEntry) -> Result<(), StoreError> {
    let position: i64 = ceremony_exclusions::table
        .filter(ceremony_exclusions::election_id.eq(election))
        .count()
        .get_result(conn)?;
    diesel::insert_into(ceremony_exclusions::table)
        .values((
            ceremony_exclusions::election_id.eq(election),
            ceremony_exclusions::position.eq(position),
            ceremony_exclusions::attempt.eq(i64::from(x.attempt)),
            ceremony_exclusions::trustee.eq(i64::from(x.trustee)),
            ceremony_exclusions::rule.eq(&x.rule),
            ceremony_exclusions::actor.eq(&x.actor),
        ))
        .execute(conn)?;
    Ok(())
}

/// The board file as stored, for `election` with threshold `k` and the
/// named trustees (all `N` of them, or the board is not complete yet).
pub fn board_file(
    conn: &mut AnyConnection,
    election: &str,
    k: u32,
    named: &[TrusteeRow],
) -> Result<BoardFile, StoreError> {
    Ok(BoardFile {
        format: BOARD_FORMAT.to_string(),
        election: election.to_string(),
        threshold: k,
        trustees: named
            .iter()
            .map(|t| NamedTrustee {
                trustee: t.trustee,
                name: t.name.clone(),
            })
            .collect(),
        exclusions: exclusions(conn, election)?,
        messages: messages(conn, election)?,
    })
}

/// Delete a draft's ceremony (with the draft).
pub fn delete_election(conn: &mut AnyConnection, election: &str) -> Result<(), StoreError> {
    diesel::delete(ceremony_exclusions::table.filter(ceremony_exclusions::election_id.eq(election))).execute(conn)?;
    diesel::delete(ceremony_messages::table.filter(ceremony_messages::election_id.eq(election))).execute(conn)?;
    diesel::delete(trustees::table.filter(trustees::election_id.eq(election))).execute(conn)?;
    diesel::delete(ceremonies::table.filter(ceremonies::election_id.eq(election))).execute(conn)?;
    Ok(())
}
