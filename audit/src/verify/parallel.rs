//! Verifying a record on every core, with the same outcome as streaming it
//! on one.
//!
//! Three kinds of thread share the work:
//!
//! - the **reader** (the caller's thread) reads the record in chunks of
//!   1 MiB and finds its members and the log's and the ballots' elements
//!   without decoding them (`split.rs`: strings and brackets are tracked,
//!   syntax is not checked); small members are decoded there, and the
//!   elements go to the parsers in batches that share the chunk's bytes;
//! - the **parsers** (one per core) decode each batch with the same
//!   `Deserialize` implementations as streaming, then do the part of the
//!   checks that needs nothing but the element and the election: a log
//!   entry's canonical encoding, hashed with the hash the record gives the
//!   entry before it; a ballot's tracker and its validity problems;
//! - the **checker** feeds the [`Verifier`] every member, entry and ballot
//!   in record order, taking each batch's result when its turn comes: the
//!   chain (a comparison per entry while the chain holds), the §5 rules,
//!   order, matching and the recount.
//!
//! Every check sees exactly what it would see streamed. Queues are bounded
//! (a few batches), so memory is the verifier's own plus a few chunks,
//! whatever the size of the record.
//!
//! Failures are not reported here: if any part of the record cannot be
//! read — malformed, cut short, a key spelled with escapes, nesting deeper
//! than the scan follows — [`read`] gives up, and the caller reads the
//! record again on one thread, which names the failure (path, line and
//! column) exactly as streaming does. What reads here reads there too:
//! every value is decoded strictly by serde_json, and the bytes between
//! values are checked here.

use std::collections::VecDeque;
use std::io::Read;
use std::ops::Range;
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;

use super::ballots::Precheck;
use super::log::Ahead;
use super::split::{element, Chunks, Scan, Stop};
use super::stream::MEMBERS;
use super::Verifier;
use crate::ballot::{PublishedBallot, Rules};
use crate::checkpoint::SignedCheckpoint;
use crate::crypto::{Digest, PublicKey};
use crate::log::{ballot_entry_fast, ChainedEntry};
use crate::record::{Counts, ElectionInfo, RECORD_FORMAT};
use crate::tally::Tally;

/// Bytes read at a time: a chunk holds a few thousand elements.
const CHUNK: usize = 1 << 20;
/// Elements in a batch at most: large enough that handing one over costs
/// little beside parsing it, small enough to keep the cores evenly busy.
const BATCH: usize = 2048;
/// Batches queued for the parsers, and for the checker: bounds memory.
const IN_FLIGHT: usize = 8;
/// Parser threads at most, whatever the core count.
const MAX_PARSERS: usize = 8;

/// A log entry with the work on its chain hash done ahead.
type Prepared = (ChainedEntry, Ahead);

/// A ballot with its checks done ahead for the election the batch names,
/// when the record's `election` came before its ballots.
type Checked = (PublishedBallot, Option<Precheck>);

/// A batch's decoded elements, and the way back to the parser that decoded
/// them: the checker returns the vector once it is done with them, and the
/// parser frees them and fills the vector again. Memory goes back fastest
/// to the thread that allocated it: freed on the checker, the ballots'
/// maps and strings took a third of its time.
struct Decoded<T> {
    items: Vec<T>,
    back: Sender<Vec<T>>,
}

/// Where a batch's result goes: `None` if an element could not be read.
type Outcome<T> = SyncSender<Option<Decoded<T>>>;

/// The record's election as the parsers need it.
struct Election {
    id: String,
    /// Its definition's rules, for ballots' validity.
    rules: Rules,
}

/// One piece of the record, for the checker, in record order.
enum Piece {
    Format(String),
    Election(ElectionInfo),
    PublicKey(PublicKey),
    Log(Receiver<Option<Decoded<Prepared>>>),
    LogEnd,
    Checkpoints(Vec<SignedCheckpoint>),
    NoBallots,
    Ballots(Receiver<Option<Decoded<Checked>>>, Option<Arc<Election>>),
    BallotsEnd,
    Counts(Counts),
    Tally(Option<Tally>),
}

/// Consecutive elements of an array, found in one chunk of the text.
struct Batch {
    text: Arc<Vec<u8>>,
    elements: Vec<Range<usize>>,
}

/// A batch for a parser, and where its result goes.
enum Job {
    Log(Batch, Outcome<Prepared>),
    Ballots(Batch, Option<Arc<Election>>, Outcome<Checked>),
}

/// Read the record from `input` into `verifier` on every core. `None` if
/// any part of it cannot be read: the caller then reads it again on one
/// thread for the exact failure.
pub(super) fn read<'a>(input: impl Read, verifier: Verifier<'a>) -> Option<Verifier<'a>> {
    read_in_chunks(input, verifier, CHUNK)
}

/// [`read`], `chunk` bytes at a time (small in tests, to cut the record
/// everywhere).
fn read_in_chunks<'a>(input: impl Read, mut verifier: Verifier<'a>, chunk: usize) -> Option<Verifier<'a>> {
    let parsers = std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_PARSERS));
    let (piece_tx, pieces) = sync_channel(IN_FLIGHT);
    let (job_tx, jobs) = sync_channel(IN_FLIGHT);
    let jobs = Mutex::new(jobs);
    let (chunks_back, spare_chunks) = channel();
    std::thread::scope(|s| {
        let checker = s.spawn(move || check(&mut verifier, &pieces).then_some(verifier));
        for _ in 0..parsers {
            let chunks_back = chunks_back.clone();
            let jobs = &jobs;
            s.spawn(move || Parser::default().run(jobs, &chunks_back));
        }
        let mut reader = Reader {
            text: Chunks::new(input, chunk),
            spare_chunks,
            pieces: piece_tx,
            jobs: job_tx,
            election: None,
        };
        let complete = reader.record().is_ok();
        // Closing the queues ends the parsers, then the checker.
        drop(reader);
        let checked = checker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        checked.filter(|_| complete)
    })
}

/// A parser's vectors, coming back from the checker to be filled again.
struct Parser {
    log: Recycled<Prepared>,
    ballots: Recycled<Checked>,
}

impl Default for Parser {
    fn default() -> Self {
        Parser {
            log: Recycled::new(),
            ballots: Recycled::new(),
        }
    }
}

impl Parser {
    /// Decode batches until the queue closes. The chunks of text no other
    /// batch holds go back to the reader, to be filled again.
    fn run(mut self, jobs: &Mutex<Receiver<Job>>, chunks_back: &Sender<Vec<u8>>) {
        loop {
            let job = match jobs.lock() {
                Ok(queue) => queue.recv(),
                Err(_) => return,
            };
            // A send fails only if the checker or the reader has stopped:
            // nothing to do then.
            let text = match job {
                Ok(Job::Log(batch, result)) => {
                    drop(result.send(self.prepare_entries(&batch)));
                    batch.text
                }
                Ok(Job::Ballots(batch, election, result)) => {
                    drop(result.send(self.precheck_ballots(&batch, election.as_deref())));
                    batch.text
                }
                Err(_) => return,
            };
            if let Ok(text) = Arc::try_unwrap(text) {
                drop(chunks_back.send(text));
            }
        }
    }

    /// Decode a batch of log entries, and hash each one's canonical
    /// encoding with the hash the record gives the entry before it: while
    /// the chain holds, that is the entry's hash, and the checker only
    /// compares. The first entry of a batch has its predecessor in another
    /// batch: its encoding is hashed by the checker.
    fn prepare_entries(&mut self, batch: &Batch) -> Option<Decoded<Prepared>> {
        let mut before: Option<Digest> = None;
        let mut canonical = Vec::new();
        self.log.decode_with(batch, |text: &str| {
            // Ballot entries as Teller writes them are read directly; any
            // other text strictly, by serde (which reads the same ones).
            let chained = match ballot_entry_fast(text.as_bytes(), &mut canonical) {
                Some(chained) => chained,
                None => {
                    let chained: ChainedEntry = serde_json::from_str(text).ok()?;
                    canonical = chained.entry.canonical_bytes();
                    chained
                }
            };
            let ahead = match before {
                Some(hash) => Ahead::Chained(Digest::of_parts(&[&hash.0, &canonical])),
                None => Ahead::Canonical(canonical.clone()),
            };
            before = Some(chained.hash);
            Some((chained, ahead))
        })
    }

    /// Decode a batch of ballots, each with its tracker and its problems
    /// under the election's definition, if the election is known.
    fn precheck_ballots(&mut self, batch: &Batch, election: Option<&Election>) -> Option<Decoded<Checked>> {
        self.ballots.decode(batch, |ballot: PublishedBallot| {
            let precheck = election.map(|e| Precheck {
                tracker: ballot.computed_tracker(&e.id),
                problems: e.rules.problems(&ballot.choices),
            });
            (ballot, precheck)
        })
    }
}

/// One parser's vectors of one kind, and the way they come back.
struct Recycled<T> {
    back: Sender<Vec<T>>,
    spent: Receiver<Vec<T>>,
    /// Vectors the checker has returned, their elements not yet freed.
    returned: VecDeque<Vec<T>>,
    /// Empty vectors, to be filled again.
    empty: Vec<Vec<T>>,
}

impl<T> Recycled<T> {
    fn new() -> Self {
        let (back, spent) = channel();
        Recycled {
            back,
            spent,
            returned: VecDeque::new(),
            empty: Vec::new(),
        }
    }

    /// Decode each element of `batch` strictly, then `prepare` it, in
    /// order, into an empty vector (or a new one of the batch's size).
    fn decode<E: DeserializeOwned>(&mut self, batch: &Batch, mut prepare: impl FnMut(E) -> T) -> Option<Decoded<T>> {
        self.decode_with(batch, |text| serde_json::from_str(text).ok().map(&mut prepare))
    }

    /// Read each element of `batch` with `read` (`None`: it cannot be
    /// read), in order, into an empty vector (or a new one of the batch's
    /// size). One returned element is freed per element read: what it
    /// frees, the next reading allocates again straight away, which keeps
    /// the allocator on its fast path (freed in bulk, a batch's thousands
    /// of small maps and strings cost more to allocate again than to
    /// decode).
    fn decode_with(&mut self, batch: &Batch, mut read: impl FnMut(&str) -> Option<T>) -> Option<Decoded<T>> {
        self.returned.extend(self.spent.try_iter());
        let mut items = self
            .empty
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(batch.elements.len()));
        let mut old = self.returned.pop_front().unwrap_or_default();
        let decoded = decode_into(batch, &mut items, &mut old, &mut read);
        old.clear();
        self.empty.push(old);
        decoded?;
        Some(Decoded {
            items,
            back: self.back.clone(),
        })
    }
}

/// [`Recycled::decode_with`]'s loop: `None` if an element cannot be read.
fn decode_into<T>(
    batch: &Batch,
    items: &mut Vec<T>,
    old: &mut Vec<T>,
    read: &mut impl FnMut(&str) -> Option<T>,
) -> Option<()> {
    let start = batch.elements.first()?.start;
    let end = batch.elements.last()?.end;
    // One check of the whole batch's UTF-8, then each element as text.
    let text = std::str::from_utf8(batch.text.get(start..end)?).ok()?;
    let mut old = old.drain(..);
    for e in &batch.elements {
        drop(old.next());
        let element = text.get(e.start - start..e.end - start)?;
        items.push(read(element)?);
    }
    Some(())
}

/// The checker's loop: feed every piece to the verifier in order. Whether
/// the record was complete: every batch decoded and the reader finished.
fn check(verifier: &mut Verifier<'_>, pieces: &Receiver<Piece>) -> bool {
    while let Ok(piece) = pieces.recv() {
        match piece {
            Piece::Format(format) => verifier.format(&format),
            Piece::Election(election) => verifier.election(election),
            Piece::PublicKey(key) => verifier.public_key(key),
            Piece::Log(batch) => match batch.recv() {
                Ok(Some(decoded)) => {
                    for (entry, ahead) in &decoded.items {
                        verifier.prepared_log_entry(entry, ahead);
                    }
                    // If the parser has ended, they are freed here.
                    drop(decoded.back.send(decoded.items));
                }
                _ => return false,
            },
            Piece::LogEnd => verifier.log_end(),
            Piece::Checkpoints(checkpoints) => verifier.checkpoints(checkpoints),
            Piece::NoBallots => verifier.no_ballots(),
            Piece::Ballots(batch, election) => match batch.recv() {
                Ok(Some(decoded)) => {
                    let id = election.as_deref().map(|e| e.id.as_str());
                    for (ballot, precheck) in &decoded.items {
                        verifier.prechecked_ballot(ballot, id.zip(precheck.as_ref()));
                    }
                    // If the parser has ended, they are freed here.
                    drop(decoded.back.send(decoded.items));
                }
                _ => return false,
            },
            Piece::BallotsEnd => verifier.ballots_end(),
            Piece::Counts(counts) => verifier.counts(counts),
            Piece::Tally(tally) => verifier.tally(tally),
        }
    }
    true
}

/// Which array a batch's elements come from.
#[derive(Clone, Copy)]
enum Array {
    Log,
    Ballots,
}

/// The reader's side: the record's grammar at the top level, members to
/// the checker, batches of elements to the parsers with a place in the
/// checker's queue for their result.
struct Reader<R> {
    text: Chunks<R>,
    /// Chunks the parsers are done with.
    spare_chunks: Receiver<Vec<u8>>,
    pieces: SyncSender<Piece>,
    jobs: SyncSender<Job>,
    /// The record's election, once read.
    election: Option<Arc<Election>>,
}

impl<R: Read> Reader<R> {
    /// The whole record: one object with each member of §8 once, in any
    /// order, and nothing after it but white space.
    fn record(&mut self) -> Result<(), Stop> {
        if self.text.byte()? != b'{' {
            return Err(Stop);
        }
        let mut seen = [false; MEMBERS.len()];
        loop {
            let member = self.key()?;
            if std::mem::replace(&mut seen[member], true) {
                return Err(Stop);
            }
            self.member(member)?;
            match self.text.byte()? {
                b',' => {}
                b'}' => break,
                _ => return Err(Stop),
            }
        }
        if seen.contains(&false) {
            return Err(Stop);
        }
        self.text.end()
    }

    /// A member's name and its `:`: the member's index in [`MEMBERS`]. A
    /// name spelled with escapes is none of them here.
    fn key(&mut self) -> Result<usize, Stop> {
        let key = self.text.value()?;
        let key = &self.text.chunk()[key];
        let name = key.strip_prefix(b"\"").and_then(|k| k.strip_suffix(b"\""));
        let member = MEMBERS.iter().position(|m| name == Some(m.as_bytes())).ok_or(Stop)?;
        if self.text.byte()? != b':' {
            return Err(Stop);
        }
        Ok(member)
    }

    /// A member's value, in the order of [`MEMBERS`].
    fn member(&mut self, member: usize) -> Result<(), Stop> {
        match member {
            0 => {
                let format: String = self.decode()?;
                if format != RECORD_FORMAT {
                    return Err(Stop);
                }
                self.send(Piece::Format(format))
            }
            1 => {
                let election: ElectionInfo = self.decode()?;
                self.election = Some(Arc::new(Election {
                    id: election.id.clone(),
                    rules: Rules::new(election.definition.clone()),
                }));
                self.send(Piece::Election(election))
            }
            2 => {
                let key = self.decode()?;
                self.send(Piece::PublicKey(key))
            }
            3 => {
                self.array(Array::Log)?;
                self.send(Piece::LogEnd)
            }
            4 => {
                let checkpoints = self.decode()?;
                self.send(Piece::Checkpoints(checkpoints))
            }
            5 if self.text.peek()? == b'[' => {
                self.array(Array::Ballots)?;
                self.send(Piece::BallotsEnd)
            }
            5 => {
                let null = self.text.value()?;
                if self.text.chunk()[null] != *b"null" {
                    return Err(Stop);
                }
                self.send(Piece::NoBallots)
            }
            6 => {
                let counts = self.decode()?;
                self.send(Piece::Counts(counts))
            }
            _ => {
                let tally = self.decode()?;
                self.send(Piece::Tally(tally))
            }
        }
    }

    /// The next value, decoded strictly.
    fn decode<T: DeserializeOwned>(&mut self) -> Result<T, Stop> {
        let value = self.text.value()?;
        serde_json::from_slice(&self.text.chunk()[value]).map_err(|_| Stop)
    }

    /// An array's elements, in batches: each batch goes to the parsers, and
    /// the receiver of its result to the checker, in order. A batch ends
    /// with the array, after [`BATCH`] elements, or with the chunk.
    fn array(&mut self, array: Array) -> Result<(), Stop> {
        if self.text.byte()? != b'[' {
            return Err(Stop);
        }
        if self.text.peek()? == b']' {
            self.text.at += 1;
            return Ok(());
        }
        let mut elements = Vec::with_capacity(BATCH);
        loop {
            match element(self.text.chunk(), self.text.at) {
                Scan::Found(found) => {
                    elements.push(found.value);
                    self.text.at = found.next;
                    if found.last || elements.len() == BATCH {
                        let batch = std::mem::replace(&mut elements, Vec::with_capacity(BATCH));
                        self.ship(array, batch)?;
                    }
                    if found.last {
                        return Ok(());
                    }
                }
                Scan::More => {
                    if !elements.is_empty() {
                        let batch = std::mem::replace(&mut elements, Vec::with_capacity(BATCH));
                        self.ship(array, batch)?;
                    }
                    self.text.read_more(self.spare_chunks.try_recv().ok())?;
                }
                Scan::Bad => return Err(Stop),
            }
        }
    }

    /// Hand a batch of the current chunk's elements to the parsers, and
    /// the receiver of its result to the checker.
    fn ship(&mut self, array: Array, elements: Vec<Range<usize>>) -> Result<(), Stop> {
        let batch = Batch {
            text: Arc::clone(self.text.chunk()),
            elements,
        };
        let (job, piece) = match array {
            Array::Log => {
                let (result, parsed) = sync_channel(1);
                (Job::Log(batch, result), Piece::Log(parsed))
            }
            Array::Ballots => {
                let (result, parsed) = sync_channel(1);
                let election = self.election.clone();
                (
                    Job::Ballots(batch, election.clone(), result),
                    Piece::Ballots(parsed, election),
                )
            }
        };
        self.jobs.send(job).map_err(|_| Stop)?;
        self.send(piece)
    }

    /// Hand a piece to the checker; `Stop` if it has stopped.
    fn send(&mut self, piece: Piece) -> Result<(), Stop> {
        self.pieces.send(piece).map_err(|_| Stop)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::verify::{verify_reader_receipts, Report, Status};

    /// Every check's name, status, summary and failures, in order.
    fn full(report: &Report) -> Vec<(&str, Status, String, Vec<String>, u64)> {
        report
            .checks
            .iter()
            .map(|c| (c.name, c.status, c.summary.clone(), c.failures.clone(), c.more))
            .collect()
    }

    fn conformance_records() -> Vec<(String, Vec<u8>)> {
        let cases = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/cases");
        let mut records: Vec<_> = std::fs::read_dir(cases)
            .unwrap()
            .filter_map(|case| {
                let path = case.unwrap().path().join("record.json");
                Some((path.display().to_string(), std::fs::read(&path).ok()?))
            })
            .collect();
        records.sort();
        assert!(records.len() > 100, "{} conformance records", records.len());
        records
    }

    /// Whether the streamed report is an encrypted record's: the parallel
    /// reader hands those to the streaming one (it has no `encryption`
    /// member), whose workers check the ballots.
    fn encrypted(report: &crate::verify::Report) -> bool {
        report.check("encryption-parameters").is_some()
    }

    /// Each conformance case's record, cut into chunks of many sizes (one
    /// byte, a few, whole), reads in parallel to the streaming report; and
    /// the parallel reader gives up only on records the streaming one
    /// cannot read either, or that are encrypted.
    #[test]
    fn conformance_records_read_in_any_chunks_as_streamed() {
        for (path, bytes) in conformance_records() {
            let (streamed, _) = verify_reader_receipts(&bytes[..], "record.json", &[], &[]).unwrap();
            let readable = streamed.check("format").is_some_and(|c| c.status == Status::Pass) && !encrypted(&streamed);
            for chunk in [1, 3, 200, CHUNK] {
                match read_in_chunks(&bytes[..], Verifier::new(&[], None), chunk) {
                    Some(verifier) => {
                        assert_eq!(full(&verifier.finish()), full(&streamed), "{path}, chunks of {chunk}")
                    }
                    None => assert!(!readable, "{path}: refused in parallel in chunks of {chunk}"),
                }
            }
        }
    }

    /// A record cut short anywhere, or followed by anything but white
    /// space, is never taken as read.
    #[test]
    fn a_record_cut_short_or_with_more_after_it_is_refused() {
        let (_, bytes) = conformance_records()
            .into_iter()
            .filter(|(_, b)| !encrypted(&verify_reader_receipts(&b[..], "record.json", &[], &[]).unwrap().0))
            .max_by_key(|(_, b)| b.len())
            .unwrap();
        let read = |text: &[u8]| read_in_chunks(text, Verifier::new(&[], None), 64).is_some();
        assert!(read(&bytes));
        for cut in (0..bytes.len()).step_by(7) {
            assert!(!read(&bytes[..cut]), "cut at {cut}");
        }
        let mut spaced = bytes.clone();
        spaced.extend_from_slice(b" \n\t\r ");
        assert!(read(&spaced));
        for after in [&b"x"[..], b"{}", b",", b" 0"] {
            let mut more = bytes.clone();
            more.extend_from_slice(after);
            assert!(!read(&more), "{}", String::from_utf8_lossy(after));
        }
    }
}
