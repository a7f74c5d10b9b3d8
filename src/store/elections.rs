//! The `elections` table.

use diesel::prelude::*;
use teller_audit::crypto::PublicKey;
use teller_audit::definition::Definition;

use super::{corrupt, StoreError};
use crate::db::schema::elections;
use crate::db::AnyConnection;
use crate::domain::lifecycle::State;

/// An election as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = elections)]
pub struct ElectionRow {
    /// UUID.
    pub id: String,
    /// Title (a copy of the definition's, for lists).
    pub title: String,
    /// Lifecycle state.
    pub state: String,
    /// Canonical JSON of the definition.
    pub definition: String,
    /// Scheduled opening.
    pub opens_at: Option<i64>,
    /// Scheduled closing.
    pub closes_at: Option<i64>,
    /// Seconds between seals.
    pub seal_interval_seconds: i64,
    /// Smallest batch sealed before the close.
    pub seal_min_ballots: i64,
    /// Hex Ed25519 public key.
    pub public_key: String,
    /// Signing key, encrypted under the master secret.
    pub secret_key: String,
    /// Lot seed, encrypted under the master secret.
    pub lot_seed: String,
    /// Creation time.
    pub created_at: i64,
    /// Canonical JSON of the tally, once made.
    pub tally: Option<String>,
    /// Certifiers who must sign the result (0: no committee certification).
    pub certification_quorum: i64,
    /// IANA name of the time zone its times are shown in (not part of the
    /// definition: a setting of the service).
    pub time_zone: String,
    /// Whether the public home lists the draft, with its opening time, before
    /// the polls open.
    pub announced: bool,
    /// Whether members may ask for an e-mail when their ballot is sealed
    /// (`ops::confirm`). A setting, not part of the definition or the record.
    pub send_confirmations: bool,
}

impl ElectionRow {
    /// The lifecycle state.
    pub fn state(&self) -> Result<State, StoreError> {
        self.state.parse().map_err(|e| corrupt(e).into())
    }

    /// The definition.
    pub fn definition(&self) -> Result<Definition, StoreError> {
        serde_json::from_str(&self.definition)
            .map_err(|e| corrupt(format!("election {}: definition: {e}", self.id)).into())
    }

    /// The time zone its times are shown in (UTC if the stored name is no
    /// longer known, which only an edit of the database could cause).
    pub fn zone(&self) -> crate::time::Zone {
        crate::time::Zone::parse(&self.time_zone).unwrap_or_default()
    }

    /// Whether the public may see this election: once the polls have opened,
    /// or before, when staff announced it with an opening time.
    pub fn public(&self) -> Result<bool, StoreError> {
        Ok(self.state()? != State::Draft || self.announced_draft())
    }

    /// A draft announced to the public with its opening time.
    pub fn announced_draft(&self) -> bool {
        self.announced && self.opens_at.is_some() && self.state == State::Draft.as_str()
    }

    /// The election's public key.
    pub fn public_key(&self) -> Result<PublicKey, StoreError> {
        serde_json::from_value(serde_json::Value::String(self.public_key.clone()))
            .map_err(|e| corrupt(format!("election {}: public key: {e}", self.id)).into())
    }
}

/// Store a new election.
pub fn insert(conn: &mut AnyConnection, row: &ElectionRow) -> Result<(), StoreError> {
    diesel::insert_into(elections::table).values(row).execute(conn)?;
    Ok(())
}

/// The election with this id.
pub fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<ElectionRow>, StoreError> {
    Ok(elections::table
        .find(id)
        .select(ElectionRow::as_select())
        .first(conn)
        .optional()?)
}

/// Ids of elections whose id starts with `prefix` (for short ids typed by staff).
pub fn ids_with_prefix(conn: &mut AnyConnection, prefix: &str) -> Result<Vec<String>, StoreError> {
    let escaped: String = prefix.chars().filter(|c| c.is_ascii_hexdigit() || *c == '-').collect();
    Ok(elections::table
        .filter(elections::id.like(format!("{escaped}%")))
        .select(elections::id)
        .limit(2)
        .load(conn)?)
}

/// Every election, newest first.
pub fn list(conn: &mut AnyConnection) -> Result<Vec<ElectionRow>, StoreError> {
    Ok(elections::table
        .order((elections::created_at.desc(), elections::id))
        .select(ElectionRow::as_select())
        .load(conn)?)
}

/// Elections in one state.
pub fn in_state(conn: &mut AnyConnection, state: State) -> Result<Vec<ElectionRow>, StoreError> {
    Ok(elections::table
        .filter(elections::state.eq(state.as_str()))
        .select(ElectionRow::as_select())
        .load(conn)?)
}

/// Move an election to `state`.
pub fn set_state(conn: &mut AnyConnection, id: &str, state: State) -> Result<(), StoreError> {
    diesel::update(elections::table.find(id))
        .set(elections::state.eq(state.as_str()))
        .execute(conn)?;
    Ok(())
}

/// Replace a draft's definition, title, schedule, time zone, announcement,
/// sealing policy and quorum.
pub fn update_draft(conn: &mut AnyConnection, row: &ElectionRow) -> Result<(), StoreError> {
    diesel::update(elections::table.find(&row.id))
        .set((
            elections::title.eq(&row.title),
            elections::definition.eq(&row.definition),
            elections::opens_at.eq(row.opens_at),
            elections::closes_at.eq(row.closes_at),
            elections::seal_interval_seconds.eq(row.seal_interval_seconds),
            elections::seal_min_ballots.eq(row.seal_min_ballots),
            elections::certification_quorum.eq(row.certification_quorum),
            elections::time_zone.eq(&row.time_zone),
            elections::announced.eq(row.announced),
            elections::send_confirmations.eq(row.send_confirmations),
        ))
        .execute(conn)?;
    Ok(())
}

/// Change the scheduled closing time.
pub fn set_closes_at(conn: &mut AnyConnection, id: &str, closes_at: Option<i64>) -> Result<(), StoreError> {
    diesel::update(elections::table.find(id))
        .set(elections::closes_at.eq(closes_at))
        .execute(conn)?;
    Ok(())
}

/// Store the tally.
pub fn set_tally(conn: &mut AnyConnection, id: &str, tally: &str) -> Result<(), StoreError> {
    diesel::update(elections::table.find(id))
        .set(elections::tally.eq(Some(tally)))
        .execute(conn)?;
    Ok(())
}
