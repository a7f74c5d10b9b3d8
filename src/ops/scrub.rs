//! After the close, remove the physical traces that could line a used token
//! up with a ballot: the order rows were written in, and on PostgreSQL the
//! dead row versions a cast left behind (their `xmin` is the cast's
//! transaction, shared by the member's and the ballot's rows).
//!
//! - PostgreSQL: `CLUSTER` rewrites `members` and `ballots` in key order
//!   (member id, tracker), dropping dead versions. The live rows were last
//!   written by a seal, so their `xmin` is shared by a whole batch — what the
//!   public log already shows.
//! - SQLite: the WAL (which holds each cast's pages, in casting order) is
//!   checkpointed and truncated, and `VACUUM` rebuilds the file with every
//!   table in key order and no free pages; `secure_delete` (set on every
//!   connection) zeroes the space old versions occupied.
//!
//! - Delivery rows (who was sent a code or reminder, or skipped as having
//!   voted) had their times set to the close's in the close's transaction;
//!   `CLUSTER` drops their older versions on PostgreSQL, as `VACUUM` does on
//!   SQLite.
//!
//! - Confirmation e-mails (`ops::confirm`): a row links a member to a
//!   tracker from the cast until the message is sent, when it is deleted;
//!   the close drops any still pending. The rewrite removes what deleted
//!   rows leave behind: dead versions on PostgreSQL (and the heap order
//!   and `xmin` of the casts), free pages and WAL frames on SQLite.
//!
//! - An encrypted election's used alphas (`ballot_alphas`, written by each
//!   cast in its transaction) are deleted at the close; the rewrite drops
//!   their dead versions on PostgreSQL as `VACUUM` does on SQLite.
//!
//! The rewrite takes a brief exclusive lock on the tables, so it runs once,
//! after the close has committed.

use diesel::connection::SimpleConnection;

use super::OpError;
use crate::db::AnyConnection;

/// Rewrite the tables that hold voters and ballots. Must not run inside a
/// transaction.
pub fn scrub(conn: &mut AnyConnection) -> Result<(), OpError> {
    match conn {
        AnyConnection::Postgresql(c) => c.batch_execute(
            "CLUSTER members USING members_pkey; CLUSTER ballots USING ballots_pkey; \
                 CLUSTER deliveries USING deliveries_pkey; CLUSTER roll_upload_rows USING roll_upload_rows_pkey; \
                 CLUSTER confirmations USING confirmations_pkey; CLUSTER ballot_alphas USING ballot_alphas_pkey;",
        )?,
        AnyConnection::Sqlite(c) => {
            c.batch_execute("PRAGMA wal_checkpoint(TRUNCATE); VACUUM; PRAGMA wal_checkpoint(TRUNCATE);")?
        }
    }
    Ok(())
}
