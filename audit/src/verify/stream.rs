//! Reading a record as a stream: the top-level members one by one, the log
//! entry by entry and the ballots one at a time, each fed to the
//! [`Verifier`] and dropped.

use std::fmt;
use std::io::{Read, Seek};

use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::{Report, Verifier, RECEIPT_CHECKS};
use crate::ballot::PublishedBallot;
use crate::checkpoint::SignedCheckpoint;
use crate::crypto::PublicKey;
use crate::log::ChainedEntry;
use crate::receipt::Receipt;
use crate::record::{Counts, ElectionInfo, EncryptionRecord, EARLIER_RECORD_FORMATS, RECORD_FORMAT};
use crate::tally::Tally;

/// Why an input could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be read (exit status 2): not a finding about it.
    #[error("cannot read {file}: {source}")]
    Io {
        /// The input's name.
        file: String,
        /// What went wrong.
        source: std::io::Error,
    },
    /// Read, but not a well-formed input: check `format` fails.
    #[error("{0}")]
    Invalid(ParseFailure),
}

/// Where and how an input breaks the strict reading rules (FORMAT.md §1):
/// JSON syntax, an unknown or missing member, a key written twice, a wrong
/// type, a non-canonical spelling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseFailure {
    /// The input's name (its path, as given).
    pub file: String,
    /// The JSON path of the value at fault, such as `log[12].data.extra`
    /// (`.` for the whole document).
    pub path: String,
    /// Line and column (from 1) where reading stopped.
    pub line: usize,
    /// See `line`.
    pub column: usize,
    /// What was expected and what was found.
    pub message: String,
}

impl fmt::Display for ParseFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "§1: {} at {} (line {}, column {}): {}",
            self.file, self.path, self.line, self.column, self.message
        )
    }
}

fn failure(file: &str, path: String, e: &serde_json::Error) -> ReadError {
    if e.is_io() {
        return ReadError::Io {
            file: file.to_string(),
            source: std::io::Error::other(e.to_string()),
        };
    }
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    ReadError::Invalid(ParseFailure {
        file: file.to_string(),
        path,
        line: e.line(),
        column: e.column(),
        message: text.strip_suffix(&suffix).unwrap_or(&text).to_string(),
    })
}

/// Read one JSON document (a receipt, a checkpoint) strictly, naming
/// the path and position of whatever is wrong.
pub fn read_strict<T: DeserializeOwned, R: Read>(reader: R, file: &str) -> Result<T, ReadError> {
    let mut de = serde_json::Deserializer::from_reader(reader);
    let mut track = serde_path_to_error::Track::new();
    let value = T::deserialize(serde_path_to_error::Deserializer::new(&mut de, &mut track));
    match value {
        Ok(v) => {
            de.end().map_err(|e| failure(file, ".".into(), &e))?;
            Ok(v)
        }
        Err(e) => Err(failure(file, track.path().to_string(), &e)),
    }
}

/// Verify a record read from `reader` (the file `file`), holding only what
/// the checks need, and optionally a receipt against it. A record that is
/// not well-formed gives a report whose `format` check fails and whose
/// other checks did not run; only a failure to read is an error.
pub fn verify_reader<R: Read>(
    reader: R,
    file: &str,
    seen: &[SignedCheckpoint],
    receipt: Option<&Receipt>,
) -> Result<Report, ReadError> {
    let receipts = receipt.map_or(&[][..], std::slice::from_ref);
    let (mut report, each) = verify_reader_receipts(reader, file, seen, receipts)?;
    for r in each {
        report.checks.extend(r.checks);
    }
    Ok(report)
}

/// Verify a record read from `reader` and any number of receipts against
/// it in one pass: the record's report, and one report per receipt with
/// that receipt's checks alone (all "not run" when the record could not
/// be read).
pub fn verify_reader_receipts<R: Read>(
    reader: R,
    file: &str,
    seen: &[SignedCheckpoint],
    receipts: &[Receipt],
) -> Result<(Report, Vec<Report>), ReadError> {
    let mut verifier = Verifier::with_receipts(seen, receipts);
    let read = read_record(serde_json::Deserializer::from_reader(reader), &mut verifier, file);
    reports(read, verifier, receipts)
}

/// Verify a record held in memory, and any number of receipts against it,
/// as [`verify_reader_receipts`] does, with the log and the ballots parsed
/// on every core (see `parallel.rs`). The reports are the same, failures
/// and their order included: a record that is not well-formed is read
/// again on one thread, which names what is wrong exactly as streaming does.
pub fn verify_slice_receipts(
    bytes: &[u8],
    file: &str,
    seen: &[SignedCheckpoint],
    receipts: &[Receipt],
) -> Result<(Report, Vec<Report>), ReadError> {
    if let Some(verifier) = super::parallel::read(bytes, Verifier::with_receipts(seen, receipts)) {
        return Ok(verifier.finish_each());
    }
    verify_reader_receipts(bytes, file, seen, receipts)
}

/// Verify the record in `file` (named `name`), and any number of receipts
/// against it. A regular file is read in chunks and checked on every core
/// (see `parallel.rs`); if it is not well-formed, it is read again from
/// the start on one thread, which names the failure. Anything else (a
/// pipe) is streamed on one thread. The reports do not depend on which,
/// and memory stays bounded whatever the size.
pub fn verify_file_receipts(
    mut file: std::fs::File,
    name: &str,
    seen: &[SignedCheckpoint],
    receipts: &[Receipt],
) -> Result<(Report, Vec<Report>), ReadError> {
    if file.metadata().is_ok_and(|m| m.is_file()) {
        if let Some(verifier) = super::parallel::read(&mut file, Verifier::with_receipts(seen, receipts)) {
            return Ok(verifier.finish_each());
        }
        file.rewind().map_err(|source| ReadError::Io {
            file: name.to_string(),
            source,
        })?;
    }
    verify_reader_receipts(std::io::BufReader::with_capacity(1 << 20, file), name, seen, receipts)
}

/// Read a whole record from `de` into `verifier`, strictly (FORMAT.md §1).
fn read_record<'de, R: serde_json::de::Read<'de>>(
    mut de: serde_json::Deserializer<R>,
    verifier: &mut Verifier<'_>,
    file: &str,
) -> Result<(), ReadError> {
    let mut track = serde_path_to_error::Track::new();
    let read = RecordSeed(verifier).deserialize(serde_path_to_error::Deserializer::new(&mut de, &mut track));
    match read {
        Ok(()) => de.end().map_err(|e| failure(file, ".".into(), &e)),
        Err(e) => Err(failure(file, track.path().to_string(), &e)),
    }
}

/// The reports once the record has been read into `verifier`, or its
/// `format` failure.
fn reports(
    read: Result<(), ReadError>,
    verifier: Verifier<'_>,
    receipts: &[Receipt],
) -> Result<(Report, Vec<Report>), ReadError> {
    match read {
        Ok(()) => Ok(verifier.finish_each()),
        Err(ReadError::Invalid(f)) => {
            let not_run = || {
                let mut r = Report::default();
                for name in RECEIPT_CHECKS {
                    r.skip(name, "not run: the record could not be read");
                }
                r
            };
            Ok((
                Report::unreadable(f.to_string(), false, "record"),
                receipts.iter().map(|_| not_run()).collect(),
            ))
        }
        Err(e) => Err(e),
    }
}

/// The record, read into a verifier.
struct RecordSeed<'s, 'v>(&'s mut Verifier<'v>);

/// The record's members (§8), each required once.
pub(super) const MEMBERS: &[&str] = &[
    "format",
    "election",
    "public_key",
    "log",
    "checkpoints",
    "ballots",
    "counts",
    "tally",
];

/// The member an encrypted election's record has besides those of §8
/// (docs/design/encrypted-ballots.md §16.9). The parallel reader does not
/// know it: a record with it is read here, on one thread for the log and
/// on every core for the ballots' proofs.
pub(super) const ENCRYPTION_MEMBER: &str = "encryption";

impl<'de> DeserializeSeed<'de> for RecordSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(RecordVisitor(self.0))
    }
}

struct RecordVisitor<'s, 'v>(&'s mut Verifier<'v>);

impl<'de> Visitor<'de> for RecordVisitor<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Teller election record (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let v = self.0;
        let mut seen = [false; 9];
        while let Some(key) = map.next_key::<String>()? {
            let position = MEMBERS
                .iter()
                .position(|m| *m == key)
                .or((key == ENCRYPTION_MEMBER).then_some(MEMBERS.len()));
            // Refused while reading the value, so that the path names the member.
            let Some(index) = position else {
                let message = format!(
                    "unknown member {key:?} of the record, expected one of {}",
                    MEMBERS.join(", ")
                );
                return Err(refuse(&mut map, message));
            };
            if std::mem::replace(&mut seen[index], true) {
                let message = format!("the member {key:?} appears twice (§2 rule 2: keys are unique)");
                return Err(refuse(&mut map, message));
            }
            match index {
                0 => v.format(&map.next_value_seed(FormatSeed)?),
                1 => v.election(map.next_value::<ElectionInfo>()?),
                2 => v.public_key(map.next_value::<PublicKey>()?),
                3 => {
                    map.next_value_seed(LogSeed(v))?;
                    v.log_end();
                }
                4 => v.checkpoints(map.next_value::<Vec<SignedCheckpoint>>()?),
                5 => map.next_value_seed(BallotsSeed(v))?,
                6 => v.counts(map.next_value::<Counts>()?),
                7 => v.tally(map.next_value::<Option<Tally>>()?),
                _ => v.encryption(map.next_value::<EncryptionRecord>()?),
            }
        }
        if let Some(missing) = MEMBERS.iter().zip(seen).find(|(_, s)| !s) {
            return Err(de::Error::custom(format!(
                "the record has no member {:?} (every member of §8 is required)",
                missing.0
            )));
        }
        Ok(())
    }
}

/// Refuses whatever value it is given, with its message: an error raised
/// while reading a member's value carries that member in its path.
struct Refuse(String);

impl<'de> DeserializeSeed<'de> for Refuse {
    type Value = de::IgnoredAny;

    fn deserialize<D: Deserializer<'de>>(self, _: D) -> Result<de::IgnoredAny, D::Error> {
        Err(de::Error::custom(self.0))
    }
}

/// The error of refusing the value of the member just read.
fn refuse<'de, A: MapAccess<'de>>(map: &mut A, message: String) -> A::Error {
    match map.next_value_seed(Refuse(message.clone())) {
        Err(e) => e,
        Ok(_) => de::Error::custom(message),
    }
}

/// The record's `format`: this version's, or a helpful refusal (§13).
struct FormatSeed;

impl<'de> DeserializeSeed<'de> for FormatSeed {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        let format = String::deserialize(d)?;
        if format == RECORD_FORMAT {
            Ok(format)
        } else if EARLIER_RECORD_FORMATS.contains(&format.as_str()) {
            Err(de::Error::custom(format!(
                "expected {RECORD_FORMAT:?}, found {format:?}: made by an earlier version of Teller: verify it with the teller-audit of that version"
            )))
        } else {
            Err(de::Error::custom(format!(
                "expected {RECORD_FORMAT:?}, found {format:?}: not a Teller election record of this version"
            )))
        }
    }
}

struct LogSeed<'s, 'v>(&'s mut Verifier<'v>);

impl<'de> DeserializeSeed<'de> for LogSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for LogSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the log: an array of entries")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(entry) = seq.next_element::<ChainedEntry>()? {
            self.0.log_entry(&entry);
        }
        Ok(())
    }
}

struct BallotsSeed<'s, 'v>(&'s mut Verifier<'v>);

impl<'de> DeserializeSeed<'de> for BallotsSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for BallotsSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the ballots: null or an array of ballots")
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.0.no_ballots();
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.visit_none()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if self.0.is_encrypted() == Some(true) {
            return encrypted_ballots(self.0, seq);
        }
        while let Some(ballot) = seq.next_element::<PublishedBallot>()? {
            self.0.ballot(&ballot);
        }
        self.0.ballots_end();
        Ok(())
    }
}

/// Ballots checked per job on a worker thread, their proofs in one batch
/// (about 13,000 points for the example ballot: Pippenger's cost per point
/// has levelled off, and a job's memory stays a few megabytes).
const ENCRYPTED_BATCH: usize = 128;

/// An encrypted election's ballots: read here as raw JSON, then decoded
/// and checked (shape, proofs, tracker, aggregate) on every core, the
/// results taken back in record order for the checks across ballots.
fn encrypted_ballots<'de, A: SeqAccess<'de>>(v: &mut Verifier<'_>, mut seq: A) -> Result<(), A::Error> {
    use super::encrypted::{check_texts, Checked, EncryptedBallots};
    use crate::trustees::decrypt::Aggregator;
    use std::collections::BTreeMap;
    use std::sync::mpsc::{channel, sync_channel};
    use std::sync::Mutex;

    let Some(ctx) = v.encrypted_context() else {
        while let Some(b) = seq.next_element::<crate::encrypted::published::PublishedEncryptedBallot>()? {
            v.encrypted_ballot(b);
        }
        v.ballots_end();
        return Ok(());
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    let mut checker = EncryptedBallots::new(&ctx.shape);
    type Done = (usize, Vec<Result<Checked, String>>);
    let (work_tx, work_rx) = sync_channel::<(usize, Vec<Box<serde_json::value::RawValue>>)>(threads * 2);
    let work_rx = Mutex::new(work_rx);
    let (done_tx, done_rx) = channel::<Done>();
    let outcome: Result<Option<String>, A::Error> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let (rx, tx, ctx) = (&work_rx, done_tx.clone(), &ctx);
                scope.spawn(move || {
                    let mut aggregator = Aggregator::new(&ctx.shape);
                    loop {
                        let job = match rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => break,
                        };
                        let Ok((n, texts)) = job else { break };
                        let out = check_texts(ctx, texts.iter().map(|t| t.get()), &mut aggregator);
                        if tx.send((n, out)).is_err() {
                            break;
                        }
                    }
                    aggregator
                })
            })
            .collect();
        drop(done_tx);
        let mut pending: BTreeMap<usize, Vec<Result<Checked, String>>> = BTreeMap::new();
        let mut next = 0usize;
        let mut first_error: Option<String> = None;
        let mut take = |done: Done, checker: &mut EncryptedBallots, first_error: &mut Option<String>| {
            pending.insert(done.0, done.1);
            while let Some(results) = pending.remove(&next) {
                for (k, r) in results.into_iter().enumerate() {
                    match r {
                        Ok(c) => checker.add(c),
                        Err(e) => {
                            first_error.get_or_insert_with(|| format!("ballots[{}].{e}", next * ENCRYPTED_BATCH + k));
                        }
                    }
                }
                next += 1;
            }
        };
        let mut batch = Vec::with_capacity(ENCRYPTED_BATCH);
        let mut jobs = 0usize;
        let read: Result<(), A::Error> = loop {
            match seq.next_element::<Box<serde_json::value::RawValue>>() {
                Ok(Some(raw)) => {
                    batch.push(raw);
                    if batch.len() == ENCRYPTED_BATCH {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(ENCRYPTED_BATCH));
                        if work_tx.send((jobs, full)).is_err() {
                            break Ok(());
                        }
                        jobs += 1;
                        while let Ok(done) = done_rx.try_recv() {
                            take(done, &mut checker, &mut first_error);
                        }
                    }
                }
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        if !batch.is_empty() && read.is_ok() {
            let _ = work_tx.send((jobs, std::mem::take(&mut batch)));
        }
        drop(work_tx);
        for done in done_rx.iter() {
            take(done, &mut checker, &mut first_error);
        }
        for w in workers {
            match w.join() {
                Ok(a) => checker.aggregator.merge(a),
                Err(_) => {
                    first_error.get_or_insert_with(|| "a worker thread failed".into());
                }
            }
        }
        read.map(|()| first_error)
    });
    if let Some(e) = outcome? {
        return Err(de::Error::custom(e));
    }
    v.encrypted_ballots_checked(checker);
    Ok(())
}
