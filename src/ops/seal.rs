//! Sealing: waiting ballots move into the log in one batch, in tracker
//! order, and the election key signs a checkpoint.

use teller_audit::checkpoint::CheckpointReason;
use teller_audit::log::Event;

use super::{checkpoint, lock_election, OpError};
use crate::db::{write_tx, AnyConnection};
use crate::domain::lifecycle::State;
use crate::secrets::MasterSecret;
use crate::store::elections::ElectionRow;
use crate::store::log::{self as logstore, HeadRow};
use crate::store::{ballots, members};

/// When to seal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealWhen {
    /// Only if the interval has passed and enough ballots wait (the scheduler).
    Due,
    /// Now, whatever waits (staff, and the close).
    Now,
}

/// What a seal did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sealed {
    /// Seal number.
    pub seal: u64,
    /// Ballots in it.
    pub ballots: u64,
}

/// Seal waiting ballots of an open election. `None` when nothing was due.
pub fn seal(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    election: &str,
    when: SealWhen,
    now: i64,
) -> Result<Option<Sealed>, OpError> {
    write_tx(conn, |conn| {
        let (mut head, row) = lock_election(conn, election)?;
        if row.state()? != State::Open {
            return Ok(None);
        }
        seal_locked(conn, secret, &mut head, &row, when, now)
    })
}

/// Seal with the head already locked exclusively in this transaction.
pub(crate) fn seal_locked(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    head: &mut HeadRow,
    row: &ElectionRow,
    when: SealWhen,
    now: i64,
) -> Result<Option<Sealed>, OpError> {
    let waiting = ballots::pending(conn, &row.id)?;
    if waiting.is_empty() {
        return Ok(None);
    }
    if when == SealWhen::Due
        && (now - head.last_seal_at < row.seal_interval_seconds || (waiting.len() as i64) < row.seal_min_ballots)
    {
        return Ok(None);
    }
    let seal = head.next_seal;
    let count = waiting.len() as u64;
    let mut events: Vec<Event> = waiting.into_iter().map(|tracker| Event::Ballot { tracker }).collect();
    events.push(Event::Seal {
        seal: seal as u64,
        ballots: count,
    });
    ballots::mark_sealed(conn, &row.id, seal)?;
    members::reveal_voted(conn, &row.id)?;
    head.next_seal += 1;
    head.sealed_ballots += count as i64;
    head.last_seal_at = now;
    logstore::append(conn, head, events, now)?;
    logstore::record_seal(conn, &row.id, seal, now, count as i64, head.sealed_ballots)?;
    checkpoint(conn, secret, row, head, CheckpointReason::Sealed, now)?;
    Ok(Some(Sealed {
        seal: seal as u64,
        ballots: count,
    }))
}
