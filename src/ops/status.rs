//! An election's status: state, turnout as of the last seal, log head.
//!
//! Read from stored rows only (the election, its log head, its turnout
//! figures), never by counting the roll or the waiting ballots: it is cheap
//! enough for every public page view, and nothing in it moves between seals.

use super::{resolve_election, OpError};
use crate::db::AnyConnection;
use crate::domain::lifecycle::State;
use crate::store::elections::ElectionRow;
use crate::store::log as logstore;
use crate::store::{members, turnout};

/// What staff and the public see of an election.
#[derive(Debug, Clone)]
pub struct Status {
    /// The election.
    pub election: ElectionRow,
    /// Its state.
    pub state: State,
    /// Members on the roll.
    pub eligible: u64,
    /// Members who have voted, as of the last seal.
    pub voted_as_of_last_seal: u64,
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
    let figures = turnout::get(conn, &row.id)?;
    Ok(Status {
        state: row.state()?,
        eligible: figures.eligible,
        voted_as_of_last_seal: figures.voted,
        seals: (head.next_seal - 1).max(0) as u64,
        last_seal_at: head.last_seal_at,
        log_size: head.size as u64,
        log_head: head.head,
        election: row,
    })
}

/// Members holding a code (for staff; it says nothing about voting, but it
/// counts the roll, so public pages do not ask for it).
pub fn tokens_issued(conn: &mut AnyConnection, election: &str) -> Result<u64, OpError> {
    Ok(members::tokens_issued(conn, election)?)
}
