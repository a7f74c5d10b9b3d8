//! Elections whose personal data was deleted (`ops::purge`), with the roll's
//! figures as they were.

use diesel::prelude::*;

use super::members::RollCounts;
use super::StoreError;
use crate::db::schema::purges;
use crate::db::AnyConnection;

/// A purge as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = purges)]
pub struct PurgeRow {
    /// The election.
    pub election_id: String,
    /// When (Unix seconds).
    pub purged_at: i64,
    /// Who (`cli:USER`, `staff:NAME` or `scheduler`).
    pub actor: String,
    /// Members on the roll.
    pub members: i64,
    /// Members who held a voting code.
    pub tokens_issued: i64,
    /// Codes used.
    pub voted: i64,
    /// Codes used, as of the last seal.
    pub voted_sealed: i64,
    /// Delivery records deleted.
    pub deliveries: i64,
    /// Unconfirmed roll uploads deleted.
    pub roll_uploads: i64,
}

impl PurgeRow {
    /// The roll's figures as they were before the purge.
    pub fn counts(&self) -> RollCounts {
        let n = |v: i64| v.max(0) as u64;
        RollCounts {
            members: n(self.members),
            tokens_issued: n(self.tokens_issued),
            voted: n(self.voted),
            voted_sealed: n(self.voted_sealed),
        }
    }
}

/// The election's purge, if it was purged.
pub fn get(conn: &mut AnyConnection, election: &str) -> Result<Option<PurgeRow>, StoreError> {
    Ok(purges::table
        .find(election)
        .select(PurgeRow::as_select())
        .first(conn)
        .optional()?)
}

/// Record a purge.
pub fn insert(conn: &mut AnyConnection, row: &PurgeRow) -> Result<(), StoreError> {
    diesel::insert_into(purges::table).values(row).execute(conn)?;
    Ok(())
}
