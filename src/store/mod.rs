//! Queries, next to the types they load. Plain functions over an open
//! connection; transactions are the caller's (see `ops`).

pub mod ballots;
pub mod ceremony;
pub mod certify;
pub mod confirmations;
pub mod decryption;
pub mod deliveries;
pub mod elections;
pub mod log;
pub mod members;
pub mod organisation;
pub mod profiles;
pub mod purges;
pub mod roll_uploads;
pub mod staff;
pub mod texts;
pub mod turnout;
pub mod witnesses;

/// A value in the database that Teller itself wrote but cannot read back:
/// corruption or tampering, never a user's mistake.
#[derive(Debug, thiserror::Error)]
#[error("stored data is corrupt: {0}")]
pub struct Corrupt(pub String);

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed.
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    /// Something stored cannot be decoded.
    #[error(transparent)]
    Corrupt(#[from] Corrupt),
}

pub(crate) fn corrupt(what: impl std::fmt::Display) -> Corrupt {
    Corrupt(what.to_string())
}
