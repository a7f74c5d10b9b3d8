//! The election record, read from one consistent snapshot.

use teller_audit::log::Event;
use teller_audit::record::{Counts, ElectionInfo, Record, RECORD_FORMAT};
use teller_audit::tally::Tally;

use super::{resolve_election, OpError};
use crate::db::{read_tx, AnyConnection};
use crate::domain::lifecycle::State;
use crate::store::log as logstore;
use crate::store::{ballots, corrupt, members, StoreError};

/// Build the record of an election. Ballots and the tally are included once
/// the election is tallied, so nothing partial is ever published.
pub fn export(conn: &mut AnyConnection, election: &str) -> Result<Record, OpError> {
    read_tx(conn, |conn| {
        let row = resolve_election(conn, election)?;
        let id = row.id.clone();
        let state = row.state()?;
        let head = logstore::head(conn, &id)?.ok_or_else(|| OpError::NoSuchElection(id.clone()))?;
        let log = logstore::entries(conn, &id)?;
        let checkpoints = logstore::checkpoints(conn, &id)?;
        let roll = members::counts(conn, &id)?;
        let eligible = log
            .iter()
            .find_map(|e| match e.entry.event {
                Event::PollsOpened { eligible, .. } => Some(eligible),
                _ => None,
            })
            .unwrap_or(roll.members);
        let tokens_used = if state >= State::Closed {
            roll.voted
        } else {
            roll.voted_sealed
        };
        let (ballots, tally) = if state.results_public() {
            let tally: Option<Tally> = match &row.tally {
                Some(t) => Some(serde_json::from_str(t).map_err(|e| StoreError::from(corrupt(format!("tally: {e}"))))?),
                None => None,
            };
            (Some(ballots::all_sealed(conn, &id)?), tally)
        } else {
            (None, None)
        };
        Ok(Record {
            format: RECORD_FORMAT.to_string(),
            election: ElectionInfo {
                id: id.clone(),
                state: state.as_str().to_string(),
                definition: row.definition()?,
            },
            public_key: row.public_key()?,
            log,
            checkpoints,
            ballots,
            counts: Counts {
                eligible,
                tokens_issued: roll.tokens_issued,
                tokens_used,
                ballots: head.sealed_ballots as u64,
            },
            tally,
        })
    })
}
