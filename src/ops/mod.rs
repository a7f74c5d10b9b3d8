//! Election operations: each is one transaction that changes an election and
//! writes its audit-log entries and checkpoint inside that same transaction.
//! The command line and the web layer both call these.

pub mod cast;
pub mod ceremony;
pub mod certify;
pub mod confirm;
pub mod create;
pub mod decryption;
pub mod delivery;
pub mod encrypted;
pub mod lifecycle;
pub mod profiles;
pub mod purge;
pub mod record;
pub mod roll;
pub mod roll_upload;
pub mod scrub;
pub mod seal;
pub mod staff;
pub mod status;
pub mod tiles;
pub mod tree;
pub mod witnesses;

use teller_audit::ballot::BallotProblem;
use teller_audit::checkpoint::{Checkpoint, CheckpointReason, SignedCheckpoint, CHECKPOINT_FORMAT};
use teller_audit::crypto::Digest;

use crate::db::{AnyConnection, DbError};
use crate::domain::lifecycle::{NotOpen, State};
use crate::domain::roll::RowProblem;
use crate::secrets::{MasterSecret, SecretError};
use crate::store::elections::{self, ElectionRow};
use crate::store::log::{self as logstore, HeadRow, Lock};
use crate::store::{corrupt, StoreError};

/// Why an operation did not happen. Every variant but the last three is
/// something the user can act on; nothing was changed in any case but
/// [`OpError::OutcomeUnknown`].
#[derive(Debug, thiserror::Error)]
pub enum OpError {
    /// No such election.
    #[error("there is no election {0}")]
    NoSuchElection(String),
    /// A short id matched more than one election.
    #[error("{0:?} matches more than one election; give more of its id")]
    AmbiguousElection(String),
    /// The election is not in a state that allows this.
    #[error("the election is {actual}; {action} needs it to be {needed}")]
    WrongState {
        /// What was attempted.
        action: &'static str,
        /// The state needed.
        needed: &'static str,
        /// The state it is in.
        actual: State,
    },
    /// The election file is unusable.
    #[error("the election definition has problems:\n  - {}", .0.join("\n  - "))]
    Definition(Vec<String>),
    /// The roll has bad rows; nothing was imported.
    #[error("the member roll has {}; nothing was imported:\n  - {}", crate::text::count(.0.len() as u64, "problem", "problems"), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  - "))]
    Roll(Vec<RowProblem>),
    /// Opening needs members.
    #[error("the election has no members; import the member roll first")]
    EmptyRoll,
    /// No member with that id.
    #[error("there is no member {0:?} on this election's roll")]
    NoSuchMember(String),
    /// No candidate with that id in that contest of the election.
    #[error("there is no candidate {candidate:?} in contest {contest:?} of this election")]
    NoSuchCandidate {
        /// The contest id asked for.
        contest: String,
        /// The candidate id asked for.
        candidate: String,
    },
    /// The member has voted: their token cannot be replaced.
    #[error("member {0:?} has already voted; their token cannot be re-issued")]
    MemberVoted(String),
    /// The token is not one Teller issued (or it was replaced).
    #[error(
        "this voting code is not valid: check it against your invitation, or ask the election office for a new one"
    )]
    UnknownToken,
    /// The token has cast its ballot.
    #[error("this voting code has already been used to cast a ballot; each code casts one ballot")]
    TokenUsed,
    /// The polls are not open.
    #[error("{}", not_open_message(.0))]
    PollsNotOpen(NotOpen),
    /// The ballot breaks a contest's rules; nothing was cast.
    #[error("the ballot was not cast: {}", .0.iter().map(|p| p.message.clone()).collect::<Vec<_>>().join("; "))]
    InvalidBallot(Vec<BallotProblem>),
    /// Refused for a reason stated in full (the certifier's key does not
    /// match, say).
    #[error("{0}")]
    Refused(String),
    /// A key-ceremony message or action refused by the board's rules
    /// (audit/FORMAT.md §16.2–§16.4), with its stable
    /// name; nothing changed.
    #[error("{message}")]
    Ceremony {
        /// The refusal's name, as the API gives it (`bad_signature`, …).
        code: &'static str,
        /// What is wrong, in words.
        message: String,
    },
    /// An encrypted ballot refused by a named check (§15.7); nothing was
    /// cast.
    #[error("the ballot was not cast: {message}")]
    Encrypted {
        /// The check's name (`ballot-proofs`, …), as the API gives it.
        check: &'static str,
        /// What is wrong, in words.
        message: String,
    },
    /// The database failed while committing a cast and could not be asked
    /// afterwards whether the ballot was stored: the one case where Teller
    /// cannot say that nothing changed.
    #[error(
        "the database failed while storing your ballot, and we could not yet find out whether it was stored. \
         Try again in a minute: if you are then told that your code has already been used, your ballot was stored"
    )]
    OutcomeUnknown,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Stored data could not be read back.
    #[error(transparent)]
    Store(StoreError),
    /// The master secret could not open an election's keys.
    #[error(transparent)]
    Secret(#[from] SecretError),
}

fn not_open_message(n: &NotOpen) -> String {
    match n {
        NotOpen::NotYet(Some(t)) => format!("the polls are not open yet; they open at {}", crate::time::format(*t)),
        NotOpen::NotYet(None) => "the polls are not open yet".to_string(),
        NotOpen::Closed => "the polls are closed; no more ballots can be cast".to_string(),
    }
}

impl From<StoreError> for OpError {
    fn from(e: StoreError) -> Self {
        OpError::Store(e)
    }
}

impl From<diesel::result::Error> for OpError {
    fn from(e: diesel::result::Error) -> Self {
        OpError::Db(DbError::Query(e))
    }
}

impl OpError {
    /// Whether the failure is the server's, not the user's.
    pub fn is_internal(&self) -> bool {
        matches!(self, OpError::Db(_) | OpError::Store(_) | OpError::Secret(_))
    }
}

/// An election as the public may see it: a draft is the staff's alone, and
/// answers as if it did not exist (staff preview it in the console).
pub fn resolve_public_election(conn: &mut AnyConnection, id: &str) -> Result<ElectionRow, OpError> {
    let row = resolve_election(conn, id)?;
    if row.state()? == crate::domain::lifecycle::State::Draft {
        return Err(OpError::NoSuchElection(id.chars().take(40).collect()));
    }
    Ok(row)
}

/// An election whose page the public may see: [`resolve_public_election`]'s,
/// and a draft staff announced with its opening time (its page shows only
/// the title and the schedule; everything else about it stays 404).
pub fn resolve_announced_election(conn: &mut AnyConnection, id: &str) -> Result<ElectionRow, OpError> {
    let row = resolve_election(conn, id)?;
    if !row.public()? {
        return Err(OpError::NoSuchElection(id.chars().take(40).collect()));
    }
    Ok(row)
}

/// Find an election by full id or by a unique prefix of at least 4 characters.
/// Text that cannot be (part of) an id is not looked up at all.
pub fn resolve_election(conn: &mut AnyConnection, id: &str) -> Result<ElectionRow, OpError> {
    if id.is_empty() || id.len() > 36 || !id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
        return Err(OpError::NoSuchElection(id.chars().take(40).collect()));
    }
    if let Some(row) = elections::find(conn, id)? {
        return Ok(row);
    }
    if id.len() >= 4 {
        let ids = elections::ids_with_prefix(conn, id)?;
        match ids.as_slice() {
            [one] => {
                return elections::find(conn, one)?.ok_or_else(|| OpError::NoSuchElection(id.to_string()));
            }
            [_, _, ..] => return Err(OpError::AmbiguousElection(id.to_string())),
            [] => {}
        }
    }
    Err(OpError::NoSuchElection(id.to_string()))
}

/// Lock the election's log head exclusively and load the election under it.
pub(crate) fn lock_election(conn: &mut AnyConnection, id: &str) -> Result<(HeadRow, ElectionRow), OpError> {
    let head =
        logstore::lock_head(conn, id, Lock::Exclusive)?.ok_or_else(|| OpError::NoSuchElection(id.to_string()))?;
    let row = elections::find(conn, id)?.ok_or_else(|| OpError::NoSuchElection(id.to_string()))?;
    Ok((head, row))
}

/// Require a state, naming the action for the error.
pub(crate) fn require_state(row: &ElectionRow, needed: State, action: &'static str) -> Result<(), OpError> {
    let actual = row.state()?;
    if actual != needed {
        return Err(OpError::WrongState {
            action,
            needed: needed.as_str(),
            actual,
        });
    }
    Ok(())
}

/// Sign and store a checkpoint of the log as it stands at `head`.
pub(crate) fn checkpoint(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    row: &ElectionRow,
    head: &HeadRow,
    reason: CheckpointReason,
    now: i64,
) -> Result<SignedCheckpoint, OpError> {
    let checkpoint = Checkpoint {
        format: CHECKPOINT_FORMAT.to_string(),
        election: row.id.clone(),
        size: head.size as u64,
        head: Digest::from_hex(&head.head).map_err(|e| StoreError::from(corrupt(e)))?,
        time: now,
        reason,
    };
    let signature = secret.sign(&row.id, &row.secret_key, &checkpoint.signed_bytes())?;
    let signed = SignedCheckpoint { checkpoint, signature };
    logstore::insert_checkpoint(conn, &signed)?;
    Ok(signed)
}

/// Who did something from the command line: `cli:USER`.
pub fn cli_actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!("cli:{user}")
}
