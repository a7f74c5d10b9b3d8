//! The audit log: its head (the per-election lock), entries and checkpoints.

use diesel::prelude::*;
use teller_audit::checkpoint::{CheckpointReason, SignedCheckpoint};
use teller_audit::crypto::Digest;
use teller_audit::log::{ChainedEntry, Event, LogEntry, GENESIS};

use super::{corrupt, StoreError};
use crate::db::schema::{checkpoints, log_entries, log_heads, seals};
use crate::db::AnyConnection;

/// The head of an election's log, and the sealing counters kept with it.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = log_heads)]
pub struct HeadRow {
    /// The election.
    pub election_id: String,
    /// Entries in the log.
    pub size: i64,
    /// Hash of the last entry (hex), or the genesis hash.
    pub head: String,
    /// The seal the next cast ballot is promised.
    pub next_seal: i64,
    /// When the last seal was made (or the head created).
    pub last_seal_at: i64,
    /// Ballots sealed so far.
    pub sealed_ballots: i64,
}

/// How strongly to lock the head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// Appending to the log or changing the election: excludes everyone.
    Exclusive,
    /// Casting: excludes seals and state changes, not other casts.
    Shared,
}

/// A new, empty head.
pub fn create_head(conn: &mut AnyConnection, election: &str, now: i64) -> Result<HeadRow, StoreError> {
    let row = HeadRow {
        election_id: election.to_string(),
        size: 0,
        head: GENESIS.to_hex(),
        next_seal: 1,
        last_seal_at: now,
        sealed_ballots: 0,
    };
    diesel::insert_into(log_heads::table).values(&row).execute(conn)?;
    Ok(row)
}

/// Read the head, locking it for the rest of the transaction. On SQLite the
/// write transaction (`BEGIN IMMEDIATE`) already excludes other writers.
pub fn lock_head(conn: &mut AnyConnection, election: &str, lock: Lock) -> Result<Option<HeadRow>, StoreError> {
    let query = log_heads::table.find(election);
    let row = match conn {
        AnyConnection::Postgresql(pg) => match lock {
            Lock::Exclusive => query.select(HeadRow::as_select()).for_update().first(pg).optional()?,
            Lock::Shared => query
                .select(HeadRow::as_select())
                .for_key_share()
                .first(pg)
                .optional()?,
        },
        AnyConnection::Sqlite(_) => query.select(HeadRow::as_select()).first(conn).optional()?,
    };
    Ok(row)
}

/// Read the head without locking (for pages and status).
pub fn head(conn: &mut AnyConnection, election: &str) -> Result<Option<HeadRow>, StoreError> {
    Ok(log_heads::table
        .find(election)
        .select(HeadRow::as_select())
        .first(conn)
        .optional()?)
}

/// Write back a head changed in this transaction.
pub fn save_head(conn: &mut AnyConnection, head: &HeadRow) -> Result<(), StoreError> {
    diesel::update(log_heads::table.find(&head.election_id))
        .set(head)
        .execute(conn)?;
    Ok(())
}

/// Append events after `head` (which must be locked exclusively), advance it
/// and save it. Returns the chained entries.
pub fn append(
    conn: &mut AnyConnection,
    head: &mut HeadRow,
    events: Vec<Event>,
    now: i64,
) -> Result<Vec<ChainedEntry>, StoreError> {
    let mut previous = Digest::from_hex(&head.head).map_err(|e| corrupt(format!("log head: {e}")))?;
    let mut out = Vec::with_capacity(events.len());
    for event in events {
        let entry = LogEntry {
            seq: head.size as u64,
            time: now,
            event,
        };
        let hash = entry.chain_hash(&previous);
        let body = String::from_utf8(entry.canonical_bytes()).map_err(corrupt)?;
        diesel::insert_into(log_entries::table)
            .values((
                log_entries::election_id.eq(&head.election_id),
                log_entries::seq.eq(head.size),
                log_entries::body.eq(body),
                log_entries::hash.eq(hash.to_hex()),
            ))
            .execute(conn)?;
        head.size += 1;
        previous = hash;
        out.push(ChainedEntry { entry, hash });
    }
    head.head = previous.to_hex();
    save_head(conn, head)?;
    Ok(out)
}

/// The whole log, in order, for pages that show what happened (the stored
/// bytes and hashes are never re-encoded: the record copies them as stored).
///
/// Entries are read strictly, with one exception for elections closed by
/// version 1 of Teller (FORMAT.md §13): its `polls_closed` has no
/// `tokens_issued`, and is read with the number of members holding a token,
/// which cannot change after the close and is the `counts.tokens_issued`
/// that version 1's record published. Such an entry's `canonical_bytes()`
/// are not its stored bytes; its `hash` is the stored one.
pub fn entries(conn: &mut AnyConnection, election: &str) -> Result<Vec<ChainedEntry>, StoreError> {
    let rows: Vec<(i64, String, String)> = log_entries::table
        .filter(log_entries::election_id.eq(election))
        .order(log_entries::seq)
        .select((log_entries::seq, log_entries::body, log_entries::hash))
        .load(conn)?;
    rows.into_iter()
        .map(|(seq, body, hash)| {
            let entry = parse_entry(conn, election, seq, &body)?;
            let hash = Digest::from_hex(&hash).map_err(|e| corrupt(format!("log entry {seq}: {e}")))?;
            Ok::<_, StoreError>(ChainedEntry { entry, hash })
        })
        .collect()
}

/// A stored entry's body read as [`entries`] reads it (version 1's
/// `polls_closed` included).
pub fn parse_entry(conn: &mut AnyConnection, election: &str, seq: i64, body: &str) -> Result<LogEntry, StoreError> {
    match serde_json::from_str::<LogEntry>(body) {
        Ok(entry) => Ok(entry),
        Err(e) => match version1_polls_closed(body) {
            Some(read) => Ok(read(crate::store::members::tokens_issued(conn, election)?)),
            None => Err(corrupt(format!("log entry {seq}: {e}")).into()),
        },
    }
}

/// A `polls_closed` entry as version 1 wrote it (without `tokens_issued`):
/// given that figure, the entry. `None` for anything else.
fn version1_polls_closed(body: &str) -> Option<impl FnOnce(u64) -> LogEntry> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Version1 {
        seq: u64,
        time: i64,
        #[serde(rename = "type")]
        kind: String,
        data: Data,
    }
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Data {
        tokens_used: u64,
        ballots: u64,
        reason: String,
        actor: String,
    }
    let v1: Version1 = serde_json::from_str(body).ok()?;
    (v1.kind == "polls_closed").then_some(move |tokens_issued| LogEntry {
        seq: v1.seq,
        time: v1.time,
        event: Event::PollsClosed {
            tokens_used: v1.data.tokens_used,
            tokens_issued,
            ballots: v1.data.ballots,
            reason: v1.data.reason,
            actor: v1.data.actor,
        },
    })
}

/// Whether the election's polls were closed by version 1 of Teller: its
/// `polls_closed` entry (the one its `closed` checkpoint covers) has no
/// `tokens_issued`. Its record keeps version 1's format (FORMAT.md §13).
pub fn closed_by_version1(conn: &mut AnyConnection, election: &str) -> Result<bool, StoreError> {
    let size: Option<i64> = checkpoints::table
        .filter(checkpoints::election_id.eq(election))
        .filter(checkpoints::reason.eq(CheckpointReason::Closed.as_str()))
        .select(checkpoints::size)
        .first(conn)
        .optional()?;
    let Some(size) = size else { return Ok(false) };
    let body: String = log_entries::table
        .filter(log_entries::election_id.eq(election))
        .filter(log_entries::seq.eq(size - 1))
        .select(log_entries::body)
        .first(conn)?;
    Ok(version1_polls_closed(&body).is_some())
}

/// One page of log rows `(seq, body, hash)` from `from_seq`, in order.
pub fn entry_rows(
    conn: &mut AnyConnection,
    election: &str,
    from_seq: i64,
    limit: i64,
) -> Result<Vec<(i64, String, String)>, StoreError> {
    Ok(log_entries::table
        .filter(log_entries::election_id.eq(election))
        .filter(log_entries::seq.ge(from_seq))
        .order(log_entries::seq)
        .limit(limit)
        .select((log_entries::seq, log_entries::body, log_entries::hash))
        .load(conn)?)
}

/// The log rows `(seq, body, hash)` at `seqs`, in order of `seq`, in one
/// query (a proof's few entries).
pub fn entry_rows_at(
    conn: &mut AnyConnection,
    election: &str,
    seqs: &[i64],
) -> Result<Vec<(i64, String, String)>, StoreError> {
    Ok(log_entries::table
        .filter(log_entries::election_id.eq(election))
        .filter(log_entries::seq.eq_any(seqs))
        .order(log_entries::seq)
        .select((log_entries::seq, log_entries::body, log_entries::hash))
        .load(conn)?)
}

/// Store a signed checkpoint.
pub fn insert_checkpoint(conn: &mut AnyConnection, cp: &SignedCheckpoint) -> Result<(), StoreError> {
    let body = serde_json::to_string(cp).map_err(corrupt)?;
    let reason = cp.checkpoint.reason.as_str();
    diesel::insert_into(checkpoints::table)
        .values((
            checkpoints::election_id.eq(&cp.checkpoint.election),
            checkpoints::size.eq(cp.checkpoint.size as i64),
            checkpoints::reason.eq(reason),
            checkpoints::body.eq(body),
        ))
        .execute(conn)?;
    Ok(())
}

/// Every checkpoint, in order of size.
pub fn checkpoints(conn: &mut AnyConnection, election: &str) -> Result<Vec<SignedCheckpoint>, StoreError> {
    let rows: Vec<String> = checkpoints::table
        .filter(checkpoints::election_id.eq(election))
        .order((checkpoints::size, checkpoints::reason))
        .select(checkpoints::body)
        .load(conn)?;
    let mut out: Vec<SignedCheckpoint> = rows
        .iter()
        .map(|b| serde_json::from_str(b).map_err(|e| corrupt(format!("checkpoint: {e}"))))
        .collect::<Result<_, _>>()?;
    // Same size: keep the order in which they were signed.
    out.sort_by_key(|c| (c.checkpoint.size, c.checkpoint.time));
    Ok(out)
}

/// The newest checkpoint: the last [`checkpoints`] gives, read in one
/// query of the rows of the largest sizes (served with every proof, so it
/// must not cost a read of every seal's checkpoint).
pub fn latest_checkpoint(conn: &mut AnyConnection, election: &str) -> Result<Option<SignedCheckpoint>, StoreError> {
    // A size has at most one checkpoint per reason (the key is election,
    // size, reason): this many rows hold every one of the largest size.
    const REASONS: i64 = 5;
    let rows: Vec<(i64, String)> = checkpoints::table
        .filter(checkpoints::election_id.eq(election))
        .order((checkpoints::size.desc(), checkpoints::reason))
        .limit(REASONS)
        .select((checkpoints::size, checkpoints::body))
        .load(conn)?;
    let largest = rows.first().map(|(size, _)| *size);
    let rows = rows
        .into_iter()
        .filter(|(size, _)| Some(*size) == largest)
        .map(|(_, body)| body);
    let mut newest: Option<SignedCheckpoint> = None;
    for body in rows {
        let cp: SignedCheckpoint = serde_json::from_str(&body).map_err(|e| corrupt(format!("checkpoint: {e}")))?;
        // Same size: the one signed last, as `checkpoints` orders them.
        if newest.as_ref().is_none_or(|n| n.checkpoint.time <= cp.checkpoint.time) {
            newest = Some(cp);
        }
    }
    Ok(newest)
}

/// The size of the newest checkpoint, without reading any checkpoint's
/// body: the size is all a tree checkpoint or a proof needs of it
/// (`ops::tree`), and it is asked for on every one.
pub fn latest_checkpoint_size(conn: &mut AnyConnection, election: &str) -> Result<Option<u64>, StoreError> {
    let size: Option<i64> = checkpoints::table
        .filter(checkpoints::election_id.eq(election))
        .order(checkpoints::size.desc())
        .select(checkpoints::size)
        .first(conn)
        .optional()?;
    size.map(|s| u64::try_from(s).map_err(|_| corrupt(format!("checkpoint size {s}")).into()))
        .transpose()
}

/// Record a seal for the turnout chart.
pub fn record_seal(
    conn: &mut AnyConnection,
    election: &str,
    seal: i64,
    at: i64,
    ballots: i64,
    total: i64,
) -> Result<(), StoreError> {
    diesel::insert_into(seals::table)
        .values((
            seals::election_id.eq(election),
            seals::seal.eq(seal),
            seals::sealed_at.eq(at),
            seals::ballots.eq(ballots),
            seals::total.eq(total),
        ))
        .execute(conn)?;
    Ok(())
}

/// Every seal: (time, ballots sealed so far), in order.
pub fn seal_history(conn: &mut AnyConnection, election: &str) -> Result<Vec<(i64, i64)>, StoreError> {
    Ok(seals::table
        .filter(seals::election_id.eq(election))
        .order(seals::seal)
        .select((seals::sealed_at, seals::total))
        .load(conn)?)
}

/// The earliest last-seal time among `elections` (for the metrics' seal
/// age: seals are public, so their times reveal nothing new).
pub fn oldest_last_seal(conn: &mut AnyConnection, elections: &[String]) -> Result<Option<i64>, StoreError> {
    if elections.is_empty() {
        return Ok(None);
    }
    Ok(log_heads::table
        .filter(log_heads::election_id.eq_any(elections))
        .select(diesel::dsl::min(log_heads::last_seal_at))
        .first(conn)?)
}
