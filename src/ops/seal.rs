//! Sealing: waiting ballots move into the log in one batch, in tracker
//! order, and the election key signs a checkpoint.
//!
//! A seal is also the only moment staff learn anything about who has voted:
//! the members whose ballots it seals become visible as having voted, and
//! the stored turnout figures move (`store::turnout`). So no seal before the
//! close may be smaller than the election's `seal_min_ballots`, whoever asks
//! for it: a batch hides who cast which of its ballots among at least that
//! many voters. Only the final seal, at the close, may be smaller.
//!
//! It is also when the confirmation e-mails members asked for at their
//! casts are queued (`ops::confirm`): a message says no more about when
//! someone voted than the seal itself does.

use teller_audit::checkpoint::CheckpointReason;
use teller_audit::log::Event;

use super::{checkpoint, lock_election, OpError};
use crate::db::{write_tx, AnyConnection};
use crate::domain::lifecycle::State;
use crate::secrets::MasterSecret;
use crate::store::elections::ElectionRow;
use crate::store::log::{self as logstore, HeadRow};
use crate::store::{ballots, confirmations, members, turnout};

/// When to seal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealWhen {
    /// Only if the interval has passed and enough ballots wait (the scheduler).
    Due,
    /// Now, if at least the election's smallest batch waits (staff asking
    /// for a seal before the interval has passed).
    Staff,
    /// Now, whatever waits: the final seal at the close.
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
    // Audited ballots (encrypted elections, §16.10) are sealed with the
    // ballots, after them.
    let audited = ballots::pending_audited(conn, &row.id)?;
    if waiting.is_empty() && audited.is_empty() {
        return Ok(None);
    }
    let too_few = ((waiting.len() + audited.len()) as i64) < row.seal_min_ballots;
    let too_soon = now - head.last_seal_at < row.seal_interval_seconds;
    match when {
        SealWhen::Due if too_soon || too_few => return Ok(None),
        SealWhen::Staff if too_few => return Ok(None),
        _ => {}
    }
    let seal = head.next_seal;
    let count = waiting.len() as u64;
    // Confirmations asked for at these ballots' casts go out now, naming
    // this seal, in a random order (ops::confirm).
    let trackers: Vec<String> = waiting.iter().map(|t| t.to_hex()).collect();
    confirmations::queue_sealed(conn, &row.id, &trackers, seal, now)?;
    let mut events: Vec<Event> = waiting.into_iter().map(|tracker| Event::Ballot { tracker }).collect();
    events.extend(audited.into_iter().map(|tracker| Event::Audited { tracker }));
    events.push(Event::Seal {
        seal: seal as u64,
        ballots: count,
    });
    ballots::mark_sealed(conn, &row.id, seal)?;
    ballots::mark_audited_sealed(conn, &row.id, seal)?;
    let revealed = members::reveal_voted(conn, &row.id)?;
    turnout::add_voted(conn, &row.id, revealed as u64)?;
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

/// Staff ask for a seal now ("Seal now" in the console, `teller seal`).
/// Sealed only if at least the election's smallest batch waits; otherwise
/// nothing happens, and the answer is the same whether none or a few wait,
/// so asking says no more than the rule itself.
pub fn seal_by_staff(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    election: &str,
    now: i64,
) -> Result<Result<Sealed, NotSealed>, OpError> {
    write_tx(conn, |conn| {
        let (mut head, row) = lock_election(conn, election)?;
        super::require_state(&row, State::Open, "sealing ballots")?;
        let min = row.seal_min_ballots.max(1) as u64;
        Ok(seal_locked(conn, secret, &mut head, &row, SealWhen::Staff, now)?.ok_or(NotSealed { min }))
    })
}

/// Why staff's seal did not happen: fewer than `min` ballots wait (perhaps none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotSealed {
    /// The election's smallest batch.
    pub min: u64,
}

impl std::fmt::Display for NotSealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "nothing was sealed: a seal before the close needs at least {}, the election's smallest batch, so that nobody learns who voted in a smaller group. Ballots are sealed on schedule once that many wait, and all of them at the close",
            crate::text::count(self.min, "waiting ballot", "waiting ballots")
        )
    }
}
