//! An election's status for staff: state, turnout as of the last seal, log head.

use super::{resolve_election, OpError};
use crate::db::AnyConnection;
use crate::domain::lifecycle::State;
use crate::store::elections::ElectionRow;
use crate::store::log as logstore;
use crate::store::{ballots, members};

/// What staff see of an election.
#[derive(Debug, Clone)]
pub struct Status {
    /// The election.
    pub election: ElectionRow,
    /// Its state.
    pub state: State,
    /// Members on the roll.
    pub eligible: u64,
    /// Members holding a token.
    pub tokens_issued: u64,
    /// Members who have voted, as of the last seal.
    pub voted_as_of_last_seal: u64,
    /// Ballots awaiting the next seal (a number only: who is not shown).
    pub awaiting_seal: u64,
    /// Seals made.
    pub seals: u64,
    /// When the last seal was made.
    pub last_seal_at: i64,
    /// Entries in the log.
    pub log_size: u64,
    /// Hash of the last entry.
    pub log_head: String,
}

/// Read an election's status.
pub fn status(conn: &mut AnyConnection, election: &str) -> Result<Status, OpError> {
    let row = resolve_election(conn, election)?;
    let head = logstore::head(conn, &row.id)?.ok_or_else(|| OpError::NoSuchElection(row.id.clone()))?;
    let counts = members::counts(conn, &row.id)?;
    let awaiting_seal = ballots::pending_count(conn, &row.id)?;
    Ok(Status {
        state: row.state()?,
        eligible: counts.members,
        tokens_issued: counts.tokens_issued,
        voted_as_of_last_seal: counts.voted_sealed,
        awaiting_seal,
        seals: (head.next_seal - 1).max(0) as u64,
        last_seal_at: head.last_seal_at,
        log_size: head.size as u64,
        log_head: head.head,
        election: row,
    })
}
