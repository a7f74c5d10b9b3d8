//! The election record, written as a stream from one consistent snapshot:
//! log entries and ballots are paged out of the database and written as
//! they come, so a million-ballot record needs little memory.

use std::io::Write;

use teller_audit::record::{Counts, Record, RECORD_FORMAT};

use super::{resolve_election, OpError};
use crate::db::{read_tx, AnyConnection};
use crate::domain::lifecycle::State;
use crate::store::log as logstore;
use crate::store::{ballots, corrupt, members, StoreError};

/// Rows read from the database at a time.
const PAGE: i64 = 5_000;

/// The format of the record of an election whose polls version 1 of Teller
/// closed (FORMAT.md §13).
const VERSION1_FORMAT: &str = "teller-record/1";

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The election's id.
    pub election: String,
    /// Its state.
    pub state: State,
    /// Log entries.
    pub entries: u64,
    /// Checkpoints.
    pub checkpoints: u64,
    /// Ballots published (none before the tally).
    pub ballots: Option<u64>,
}

/// Why writing a record failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the election failed.
    #[error(transparent)]
    Op(#[from] OpError),
    /// Writing the output failed.
    #[error("cannot write the record: {0}")]
    Io(#[from] std::io::Error),
}

impl From<diesel::result::Error> for ExportError {
    fn from(e: diesel::result::Error) -> Self {
        ExportError::Op(e.into())
    }
}

impl From<StoreError> for ExportError {
    fn from(e: StoreError) -> Self {
        ExportError::Op(e.into())
    }
}

fn json<T: serde::Serialize + ?Sized>(out: &mut impl Write, value: &T) -> Result<(), ExportError> {
    serde_json::to_writer(&mut *out, value).map_err(|e| ExportError::Io(e.into()))
}

/// Write the record of an election (id or unique prefix) to `out`. Ballots
/// and the tally are included once the election is tallied, so nothing
/// partial is ever published.
pub fn write_record(conn: &mut AnyConnection, election: &str, out: &mut impl Write) -> Result<Written, ExportError> {
    read_tx(conn, |conn| {
        let row = resolve_election(conn, election)?;
        let id = row.id.clone();
        let state = row.state()?;
        let head = logstore::head(conn, &id)?.ok_or_else(|| OpError::NoSuchElection(id.clone()))?;
        let roll = members::counts(conn, &id)?;
        // The roll is frozen when the polls open, so its size is the
        // `eligible` logged then.
        let eligible = roll.members;

        // An election closed by version 1 keeps version 1's record, byte for
        // byte: its `polls_closed` has no `tokens_issued` and its tally is
        // `teller-tally/1`, which only version 1's teller-audit verifies.
        let format = if logstore::closed_by_version1(conn, &id)? {
            VERSION1_FORMAT
        } else {
            RECORD_FORMAT
        };
        out.write_all(b"{\"format\":")?;
        json(out, format)?;
        out.write_all(b",\"election\":{\"id\":")?;
        json(out, &id)?;
        out.write_all(b",\"state\":")?;
        json(out, state.as_str())?;
        // The stored definition is its canonical encoding already.
        out.write_all(b",\"definition\":")?;
        out.write_all(row.definition.as_bytes())?;
        out.write_all(b"},\"public_key\":")?;
        json(out, &row.public_key)?;

        out.write_all(b",\"log\":[")?;
        let mut entries = 0u64;
        loop {
            let page = logstore::entry_rows(conn, &id, entries as i64, PAGE)?;
            if page.is_empty() {
                break;
            }
            for (seq, body, hash) in &page {
                // `{"data":…,"seq":…,"time":…,"type":…}` plus its hash.
                let inner = body
                    .strip_suffix('}')
                    .ok_or_else(|| StoreError::from(corrupt(format!("log entry {seq} is not a JSON object"))))?;
                if entries > 0 {
                    out.write_all(b",")?;
                }
                out.write_all(inner.as_bytes())?;
                out.write_all(b",\"hash\":\"")?;
                out.write_all(hash.as_bytes())?;
                out.write_all(b"\"}")?;
                entries += 1;
            }
        }
        out.write_all(b"],\"checkpoints\":")?;
        let checkpoints = logstore::checkpoints(conn, &id)?;
        json(out, &checkpoints)?;

        // An encrypted election's ballots reveal nothing: they are
        // published from the close, for the trustees and anyone to check
        // before the decryption (audit/FORMAT.md §16.9).
        let encrypted = crate::store::ceremony::parameters(conn, &id)?.is_some();
        out.write_all(b",\"ballots\":")?;
        let published = if encrypted && state >= State::Closed {
            Some(write_encrypted_ballots(conn, &id, out)?)
        } else if state.results_public() {
            out.write_all(b"[")?;
            let mut n = 0u64;
            let mut after = String::new();
            loop {
                let page = ballots::sealed_rows_after(conn, &id, &after, PAGE)?;
                let Some(last) = page.last() else { break };
                after = last.0.clone();
                for (tracker, body) in &page {
                    // `{"choices":…,"nonce":…}` with its tracker first.
                    let inner = body
                        .strip_prefix('{')
                        .ok_or_else(|| StoreError::from(corrupt(format!("ballot {tracker} is not a JSON object"))))?;
                    if n > 0 {
                        out.write_all(b",")?;
                    }
                    out.write_all(b"{\"tracker\":\"")?;
                    out.write_all(tracker.as_bytes())?;
                    out.write_all(b"\",")?;
                    out.write_all(inner.as_bytes())?;
                    n += 1;
                }
            }
            out.write_all(b"]")?;
            Some(n)
        } else {
            out.write_all(b"null")?;
            None
        };
        let counts = Counts {
            eligible,
            tokens_issued: roll.tokens_issued,
            tokens_used: if state >= State::Closed {
                roll.voted
            } else {
                roll.voted_sealed
            },
            ballots: head.sealed_ballots as u64,
        };
        out.write_all(b",\"counts\":")?;
        json(out, &counts)?;
        out.write_all(b",\"tally\":")?;
        match (&row.tally, state.results_public()) {
            (Some(t), true) => out.write_all(t.as_bytes())?,
            _ => out.write_all(b"null")?,
        }
        if encrypted {
            out.write_all(b",\"encryption\":")?;
            write_encryption(conn, &id, state, out)?;
        }
        out.write_all(b"}\n")?;
        out.flush()?;
        Ok(Written {
            election: id,
            state,
            entries,
            checkpoints: checkpoints.len() as u64,
            ballots: published,
        })
    })
}

/// An encrypted election's ballots: each stored body is its published
/// form already (§14.11 without `election`, canonical JSON), by tracker.
fn write_encrypted_ballots(conn: &mut AnyConnection, id: &str, out: &mut impl Write) -> Result<u64, ExportError> {
    out.write_all(b"[")?;
    let mut n = 0u64;
    let mut after = String::new();
    loop {
        let page = ballots::sealed_rows_after(conn, id, &after, PAGE)?;
        let Some(last) = page.last() else { break };
        after = last.0.clone();
        for (tracker, body) in &page {
            if !body.starts_with('{') {
                return Err(StoreError::from(corrupt(format!("ballot {tracker} is not a JSON object"))).into());
            }
            if n > 0 {
                out.write_all(b",")?;
            }
            out.write_all(body.as_bytes())?;
            n += 1;
        }
    }
    out.write_all(b"]")?;
    Ok(n)
}

/// The record's `encryption` member (§16.9): the trustees, every accepted
/// ceremony message in log order, the audited ballots (from the close),
/// the aggregate, every accepted partial decryption in log order, and the
/// decrypted totals.
fn write_encryption(conn: &mut AnyConnection, id: &str, state: State, out: &mut impl Write) -> Result<(), ExportError> {
    use crate::store::{ceremony, decryption};
    let trustees: Vec<serde_json::Value> = ceremony::trustees(conn, id)?
        .into_iter()
        .map(|t| serde_json::json!({"trustee": t.trustee, "name": t.name}))
        .collect();
    let messages = ceremony::messages(conn, id)?;
    let stored = decryption::aggregate(conn, id)?;
    // Audited ballots are published from the close (§16.9, decision 2).
    let audited = if state >= State::Closed {
        Some(
            ballots::audited(conn, id)?
                .iter()
                .map(|(tracker, body)| published_audited(tracker, body))
                .collect::<Result<Vec<_>, _>>()?,
        )
    } else {
        None
    };
    let member = serde_json::json!({
        "format": "teller-encryption/1",
        "trustees": trustees,
        "ceremony": messages,
        "audited": audited,
        "aggregate": stored.as_ref().map(|s| &s.aggregate),
        "decryptions": decryption::shares(conn, id)?,
        "totals": stored.as_ref().and_then(|s| s.totals.as_ref()),
    });
    json(out, &member)
}

/// An audited ballot as the record publishes it (§16.9): the stored file
/// (§16.10) without `definition` and `encryption`, which the record holds,
/// and its ballot without `election`.
fn published_audited(tracker: &str, body: &str) -> Result<serde_json::Value, StoreError> {
    let bad = |what: &str| StoreError::from(corrupt(format!("audited ballot {tracker}: {what}")));
    let mut file: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(body).map_err(|e| bad(&e.to_string()))?;
    let mut take = |key: &str| file.remove(key).ok_or_else(|| bad(&format!("no {key}")));
    let mut ballot = take("ballot")?;
    ballot
        .as_object_mut()
        .ok_or_else(|| bad("its ballot is not an object"))?
        .remove("election");
    Ok(serde_json::json!({
        "ballot": ballot,
        "tracker": take("tracker")?,
        "seed": take("seed")?,
        "choices": take("choices")?,
    }))
}

/// The record in memory (for the API on small elections, and tests). A
/// record in version 1's format does not parse: write it instead.
pub fn export(conn: &mut AnyConnection, election: &str) -> Result<Record, OpError> {
    let mut bytes = Vec::new();
    match write_record(conn, election, &mut bytes) {
        Ok(_) => {}
        Err(ExportError::Op(e)) => return Err(e),
        Err(ExportError::Io(e)) => return Err(StoreError::from(corrupt(e)).into()),
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| StoreError::from(corrupt(format!("the record does not parse: {e}"))).into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use teller_audit::record::EARLIER_RECORD_FORMATS;

    #[test]
    fn the_version1_format_is_one_teller_audit_names_as_earlier() {
        assert!(EARLIER_RECORD_FORMATS.contains(&VERSION1_FORMAT));
        assert_ne!(VERSION1_FORMAT, RECORD_FORMAT);
    }
}
