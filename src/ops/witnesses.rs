//! The election's witnesses (audit/FORMAT.md §6b): staff name them while
//! the election is a draft, the opening freezes them into `polls_opened`,
//! and every instance then submits each new tree checkpoint to each
//! witness (C2SP `tlog-witness` `add-checkpoint`), keeping the
//! cosignatures they return to serve with the checkpoint and in receipts'
//! proofs.
//!
//! Submitting runs on its own task, never on the casting or sealing path:
//! a witness that is slow, down or refusing delays only its cosignature.
//! Several instances may submit the same checkpoint; the witness answers
//! all but the first with 409, which is harmless.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use teller_audit::cosignature::{self, WitnessKey};
use teller_audit::crypto::Digest;
use teller_audit::log::{policy_problems, Witness};

use super::tree::{self, host_of, Trees};
use super::{lock_election, require_state, OpError};
use crate::db::{write_tx, AnyConnection};
use crate::domain::lifecycle::State;
use crate::secrets::MasterSecret;
use crate::store::elections;
use crate::store::witnesses::{self as store, WitnessStatus};

/// The longest an answer may be (a few cosignature lines).
const MAX_ANSWER: u64 = 16 * 1024;

/// Name the election's witnesses and how many must co-sign (draft only).
/// An empty list with quorum 0 names none.
pub fn set_policy(
    conn: &mut AnyConnection,
    election: &str,
    list: &[Witness],
    quorum: u32,
    actor: &str,
) -> Result<(), OpError> {
    let problems = policy_problems(list, quorum);
    if !problems.is_empty() {
        return Err(OpError::Definition(problems));
    }
    write_tx(conn, |conn| {
        let (_head, row) = lock_election(conn, election)?;
        require_state(&row, State::Draft, "naming the witnesses")?;
        store::set_policy(conn, &row.id, list, quorum)?;
        Ok::<_, OpError>(())
    })?;
    tracing::info!(election, actor, witnesses = list.len(), quorum, "witnesses named");
    Ok(())
}

/// Read a witness as staff give it: its verifier key (`name+id+key`, as
/// `teller-audit witness keygen` prints it) and its URL.
pub fn parse_witness(vkey: &str, url: &str) -> Result<Witness, String> {
    let key = WitnessKey::parse(vkey.trim()).map_err(|e| format!("the witness key {vkey:?}: {e}"))?;
    Ok(Witness {
        name: key.name,
        key: teller_audit::crypto::PublicKey(key.key),
        url: url.trim().trim_end_matches('/').to_string(),
    })
}

/// One checkpoint to send one witness.
#[derive(Debug, Clone)]
pub struct Submission {
    /// The election.
    pub election: String,
    /// The witness.
    pub witness: Witness,
    /// The size the witness is believed to hold.
    pub old: u64,
    /// The checkpoint's size.
    pub size: u64,
    /// The consistency proof from `old` to `size`.
    pub proof: Vec<Digest>,
    /// The checkpoint's note, as the election key signed it.
    pub note: String,
}

impl Submission {
    /// The `add-checkpoint` request body: `old N`, the proof's hashes in
    /// base64, one per line, an empty line, the note.
    pub fn body(&self) -> String {
        let mut body = format!("old {}\n", self.old);
        for hash in &self.proof {
            body.push_str(&STANDARD.encode(hash.0));
            body.push('\n');
        }
        body.push('\n');
        body.push_str(&self.note);
        body
    }
}

/// What a witness answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It co-signed: its cosignature line, checked.
    Cosigned(String),
    /// It holds another size (409): resubmit from there.
    Conflict(u64),
    /// Anything else, said for staff.
    Failed(String),
}

/// The submissions due: for each opened election that names witnesses,
/// each witness that has not co-signed its newest tree checkpoint.
pub fn due(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    trees: &Trees,
    public_url: &str,
) -> Result<Vec<Submission>, OpError> {
    let mut out = Vec::new();
    for id in store::elections_with_witnesses(conn)? {
        let Some(row) = elections::find(conn, &id)? else {
            continue;
        };
        if row.state()? == State::Draft {
            continue;
        }
        let (list, _) = store::policy(conn, &id)?;
        for status in list {
            if let Some(sub) = submission_from(
                conn,
                secret,
                trees,
                &row,
                public_url,
                &status.witness,
                status.cosigned_size,
            )? {
                out.push(sub);
            }
        }
    }
    Ok(out)
}

/// The submission to `witness` from `old`, if the newest checkpoint is
/// past it.
pub fn submission_from(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    trees: &Trees,
    row: &elections::ElectionRow,
    public_url: &str,
    witness: &Witness,
    old: u64,
) -> Result<Option<Submission>, OpError> {
    Ok(
        match tree::submission(conn, secret, trees, row, host_of(public_url), old)? {
            Some(Ok(step)) if step.size > old => Some(Submission {
                election: row.id.clone(),
                witness: witness.clone(),
                old,
                size: step.size,
                proof: step.proof,
                note: step.note,
            }),
            _ => None,
        },
    )
}

/// Send one submission and check the answer (blocking; at most `timeout`).
pub fn send(sub: &Submission, timeout: Duration) -> Outcome {
    let url = format!("{}/add-checkpoint", sub.witness.url);
    let res = match teller_audit::http::post(&url, sub.body().as_bytes(), "text/plain", MAX_ANSWER, timeout) {
        Ok(res) => res,
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    let body = String::from_utf8_lossy(&res.body);
    match res.status {
        200 => {
            let key = WitnessKey {
                name: sub.witness.name.clone(),
                key: sub.witness.key.0,
            };
            let Some(text) = checkpoint_text(&sub.note) else {
                return Outcome::Failed("the note sent has no text".into());
            };
            let line = body.lines().find(|line| cosignature::verify(&key, &text, line).is_ok());
            match line {
                Some(line) => Outcome::Cosigned(line.to_string()),
                None => Outcome::Failed(format!(
                    "the witness answered 200 without a valid cosignature of size {}",
                    sub.size
                )),
            }
        }
        409 => match body.trim().parse::<u64>() {
            Ok(size) => Outcome::Conflict(size),
            Err(_) => Outcome::Failed(format!("409 without a size: {}", first_line(&body))),
        },
        status => Outcome::Failed(format!("HTTP {status}: {}", first_line(&body))),
    }
}

/// The witness's cosignature of the checkpoint `sub` sent, read from the
/// latest note it serves for the log (`GET <url>/<SHA-256(origin)>/checkpoint`,
/// FORMAT.md §6b): `None` unless that note is of the same text and carries
/// the witness's valid line.
fn fetch_cosigned(sub: &Submission, timeout: Duration) -> Option<String> {
    let text = checkpoint_text(&sub.note)?;
    let origin = text.lines().next()?;
    let url = format!(
        "{}/{}/checkpoint",
        sub.witness.url,
        teller_audit::crypto::Digest::of(origin.as_bytes()).to_hex()
    );
    let res = teller_audit::http::get(&url, MAX_ANSWER, timeout).ok()?;
    if res.status != 200 {
        return None;
    }
    let note = String::from_utf8(res.body).ok()?;
    if checkpoint_text(&note)? != text {
        return None;
    }
    let key = WitnessKey {
        name: sub.witness.name.clone(),
        key: sub.witness.key.0,
    };
    cosignature::cosignature_lines(&note)
        .into_iter()
        .find(|line| cosignature::verify(&key, &text, line).is_ok())
        .map(str::to_string)
}

/// The checkpoint text of a note: everything before the blank line.
fn checkpoint_text(note: &str) -> Option<String> {
    note.split_once("\n\n").map(|(text, _)| format!("{text}\n"))
}

fn first_line(body: &str) -> String {
    body.lines().next().unwrap_or("").chars().take(200).collect()
}

/// Keep what a witness answered.
pub fn record(conn: &mut AnyConnection, sub: &Submission, outcome: &Outcome, now: i64) -> Result<(), OpError> {
    let name = &sub.witness.name;
    match outcome {
        Outcome::Cosigned(line) => store::record_cosigned(conn, &sub.election, name, sub.size, line, now)?,
        Outcome::Conflict(size) => store::record_error(
            conn,
            &sub.election,
            name,
            &format!("the witness holds size {size}, not {}; resubmitting from it", sub.old),
            now,
        )?,
        Outcome::Failed(why) => store::record_error(conn, &sub.election, name, why, now)?,
    }
    Ok(())
}

/// One round: send every due submission, the witnesses in parallel, each
/// keeping its own answer as soon as it comes (a silent witness delays
/// only itself); a witness that holds another size (409) is sent the
/// checkpoint again from that size, once. Returns the number co-signed.
pub fn round(
    pool: &crate::db::DbPool,
    secret: &MasterSecret,
    trees: &Trees,
    public_url: &str,
    timeout: Duration,
) -> Result<usize, OpError> {
    let subs = {
        let mut conn = crate::db::get(pool)?;
        due(&mut conn, secret, trees, public_url)?
    };
    let done: Vec<Result<bool, OpError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = subs
            .into_iter()
            .map(|sub| scope.spawn(move || submit(pool, secret, trees, public_url, sub, timeout)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(Ok(false))).collect()
    });
    let mut cosigned = 0;
    for d in done {
        if d? {
            cosigned += 1;
        }
    }
    Ok(cosigned)
}

/// Send one submission (and, after a 409, once more from the size the
/// witness holds) and keep the answer. Whether it was co-signed.
fn submit(
    pool: &crate::db::DbPool,
    secret: &MasterSecret,
    trees: &Trees,
    public_url: &str,
    mut sub: Submission,
    timeout: Duration,
) -> Result<bool, OpError> {
    let mut outcome = send(&sub, timeout);
    let mut conn = crate::db::get(pool)?;
    if let Outcome::Conflict(held) = outcome {
        let Some(row) = elections::find(&mut conn, &sub.election)? else {
            return Ok(false);
        };
        match submission_from(&mut conn, secret, trees, &row, public_url, &sub.witness, held)? {
            Some(again) => {
                sub = again;
                outcome = send(&sub, timeout);
            }
            // It holds this very checkpoint: another instance sent it, or
            // its answer to us was lost. Its cosignature is read from the
            // witness's own copy (or another instance keeps it already).
            None if held == sub.size => match fetch_cosigned(&sub, timeout) {
                Some(line) => outcome = Outcome::Cosigned(line),
                None => return Ok(false),
            },
            None => {
                outcome = Outcome::Failed(format!(
                "the witness holds size {held}, past this log's newest checkpoint of {}: it may have seen another log",
                sub.size
            ))
            }
        }
    }
    let cosigned = matches!(outcome, Outcome::Cosigned(_));
    if !cosigned {
        tracing::warn!(election = %sub.election, witness = %sub.witness.name, outcome = ?outcome, "witness did not co-sign");
    }
    record(&mut conn, &sub, &outcome, crate::time::now())?;
    Ok(cosigned)
}

/// The witnesses' progress for the console.
pub fn statuses(conn: &mut AnyConnection, election: &str) -> Result<(Vec<WitnessStatus>, u32), OpError> {
    Ok(store::policy(conn, election)?)
}
