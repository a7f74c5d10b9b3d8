//! Offline verification of a record, and of a receipt against it.
//!
//! Every check has a stable name (listed in `FORMAT.md`, "Verification"); a
//! failure names the check and the entry, checkpoint or ballot at fault.
//!
//! The checks run incrementally (see [`Verifier`]): a record is read as a
//! stream, entry by entry and ballot by ballot, keeping only what later
//! checks need — the log's hashes and trackers, and running counts — so a
//! million-ballot record verifies in bounded memory. A record in a file or
//! in memory is parsed on every core while the checks run (`parallel.rs`),
//! with the same report.

pub mod audit;
mod ballots;
mod encrypted;
mod log;
mod parallel;
pub(crate) mod report;
pub(crate) mod split;
mod stream;
mod verifier;

pub use encrypted::ENCRYPTED_CHECKS;
pub use report::{Check, Report, Status, RECEIPT_CHECKS, RECORD_CHECKS, REPORT_FORMAT};
pub use stream::{
    read_strict, verify_file_receipts, verify_reader, verify_reader_receipts, verify_slice_receipts, ParseFailure,
    ReadError,
};
pub use verifier::Verifier;

use crate::checkpoint::SignedCheckpoint;
use crate::receipt::Receipt;
use crate::record::Record;

/// Verify a whole record held in memory. `seen` are checkpoints obtained
/// elsewhere (from a monitor, or earlier downloads) that the record must
/// agree with.
pub fn verify_record(record: &Record, seen: &[SignedCheckpoint]) -> Report {
    let mut v = Verifier::new(seen, None);
    feed(&mut v, record);
    v.finish()
}

/// Verify a receipt against a record held in memory: the record's own
/// checks, then the receipt's signature, inclusion and content.
pub fn verify_receipt(receipt: &Receipt, record: &Record) -> Report {
    let mut v = Verifier::new(&[], Some(receipt));
    feed(&mut v, record);
    v.finish()
}

fn feed(v: &mut Verifier<'_>, record: &Record) {
    v.format(&record.format);
    v.election(record.election.clone());
    v.public_key(record.public_key);
    for entry in &record.log {
        v.log_entry(entry);
    }
    v.log_end();
    v.checkpoints(record.checkpoints.clone());
    if let Some(e) = &record.encryption {
        v.encryption(e.clone());
    }
    match (&record.ballots, &record.encrypted_ballots) {
        (Some(ballots), _) => {
            for b in ballots {
                v.ballot(b);
            }
            v.ballots_end();
        }
        (None, Some(ballots)) => {
            for b in ballots {
                v.encrypted_ballot(b.clone());
            }
            v.ballots_end();
        }
        (None, None) => v.no_ballots(),
    }
    v.counts(record.counts);
    v.tally(record.tally.clone());
}
