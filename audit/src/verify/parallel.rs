//! Verifying a record held in memory on every core, with the same outcome
//! as streaming it on one.
//!
//! Three kinds of thread share the work:
//!
//! - the **reader** (the caller's thread) reads the record's members in
//!   order, strictly, as streaming does; it only splits the log and the
//!   ballots into batches of raw elements (their syntax checked, nothing
//!   decoded) and hands each batch to the parsers;
//! - the **parsers** (one per core) decode batches into entries and ballots;
//! - the **checker** feeds the [`Verifier`] every member, entry and ballot
//!   in record order, taking each batch's result when its turn comes.
//!
//! So the chain, the trackers, the validity rules and the recount run while
//! the rest of the file is parsed, and every check sees exactly what it
//! would see streamed. Queues are bounded (a few batches), so the memory on
//! top of the text is the verifier's own.
//!
//! Failures are not reported here: if any element or member cannot be
//! read, [`read`] gives up and the caller reads the record again on one
//! thread, which names the failure — path, line and column — exactly as
//! streaming does. An element decodes here with the same `Deserialize`
//! implementation as there, after serde_json has checked its syntax (nesting
//! depth included) in place, so what reads here reads there too.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

use serde::de::{self, DeserializeOwned, SeqAccess};
use serde_json::value::RawValue;

use super::stream::{read_record, Sink};
use super::Verifier;
use crate::ballot::PublishedBallot;
use crate::checkpoint::SignedCheckpoint;
use crate::crypto::{Digest, PublicKey};
use crate::log::ChainedEntry;
use crate::record::{Counts, ElectionInfo};
use crate::tally::Tally;

/// Elements in a batch: large enough that handing one over costs little
/// beside parsing it, small enough to keep the cores evenly busy.
const BATCH: usize = 2048;
/// Batches queued for the parsers, and for the checker: bounds memory.
const IN_FLIGHT: usize = 8;
/// Parser threads at most, whatever the core count.
const MAX_PARSERS: usize = 8;

/// A batch's decoded elements, or `None` if one could not be read.
type Parsed<T> = Option<Vec<T>>;

/// A log entry with its canonical encoding, which its chain hash covers.
type Encoded = (ChainedEntry, Vec<u8>);

/// A ballot with its tracker as computed for the election named with the
/// batch, when the record's `election` came before its ballots.
type Hashed = (PublishedBallot, Option<Digest>);

/// One piece of the record, for the checker, in record order.
enum Piece {
    Format(String),
    Election(ElectionInfo),
    PublicKey(PublicKey),
    Log(Receiver<Parsed<Encoded>>),
    LogEnd,
    Checkpoints(Vec<SignedCheckpoint>),
    NoBallots,
    Ballots(Receiver<Parsed<Hashed>>, Option<Arc<str>>),
    BallotsEnd,
    Counts(Counts),
    Tally(Option<Tally>),
}

/// A batch for a parser, and where its result goes. Beside decoding, the
/// parsers do the work of the checks that needs nothing but the element:
/// a log entry's canonical encoding, a ballot's tracker.
enum Job<'de> {
    Log(Vec<&'de RawValue>, SyncSender<Parsed<Encoded>>),
    Ballots(Vec<&'de RawValue>, Option<Arc<str>>, SyncSender<Parsed<Hashed>>),
}

/// Read the record in `bytes` into `verifier` on every core. `None` if any
/// part of it cannot be read: the caller then reads it on one thread for
/// the exact failure.
pub(super) fn read<'a>(bytes: &[u8], mut verifier: Verifier<'a>) -> Option<Verifier<'a>> {
    let parsers = std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_PARSERS));
    let (piece_tx, pieces) = sync_channel(IN_FLIGHT);
    let (job_tx, jobs) = sync_channel(IN_FLIGHT);
    let jobs = Mutex::new(jobs);
    std::thread::scope(|s| {
        let checker = s.spawn(move || check(&mut verifier, &pieces).then_some(verifier));
        for _ in 0..parsers {
            s.spawn(|| parse(&jobs));
        }
        let mut dispatch = Dispatch {
            pieces: piece_tx,
            jobs: job_tx,
            stopped: false,
            election: None,
        };
        // The file name only labels failures, which are not reported here.
        let read = read_record(serde_json::Deserializer::from_slice(bytes), &mut dispatch, "");
        let complete = read.is_ok() && !dispatch.stopped;
        // Closing the queues ends the parsers, then the checker.
        drop(dispatch);
        let checked = checker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        checked.filter(|_| complete)
    })
}

/// The parsers' loop: decode batches until the queue closes.
fn parse(jobs: &Mutex<Receiver<Job<'_>>>) {
    loop {
        let job = match jobs.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        // A send fails only if the checker has stopped: nothing to do then.
        match job {
            Ok(Job::Log(raw, result)) => {
                let encode = |e: ChainedEntry| {
                    let bytes = e.entry.canonical_bytes();
                    (e, bytes)
                };
                drop(result.send(decode(&raw, encode)));
            }
            Ok(Job::Ballots(raw, election, result)) => {
                let hash = |b: PublishedBallot| {
                    let tracker = election.as_deref().map(|id| b.computed_tracker(id));
                    (b, tracker)
                };
                drop(result.send(decode(&raw, hash)));
            }
            Err(_) => return,
        }
    }
}

/// Decode each raw element, then `prepare` it for the checks.
fn decode<T: DeserializeOwned, U>(raw: &[&RawValue], prepare: impl Fn(T) -> U) -> Parsed<U> {
    raw.iter()
        .map(|r| serde_json::from_str(r.get()).ok().map(&prepare))
        .collect()
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
                Ok(Some(entries)) => {
                    for (entry, canonical) in &entries {
                        verifier.encoded_log_entry(entry, Some(canonical));
                    }
                }
                _ => return false,
            },
            Piece::LogEnd => verifier.log_end(),
            Piece::Checkpoints(checkpoints) => verifier.checkpoints(checkpoints),
            Piece::NoBallots => verifier.no_ballots(),
            Piece::Ballots(batch, election) => match batch.recv() {
                Ok(Some(ballots)) => {
                    for (ballot, tracker) in &ballots {
                        let hashed = election.as_deref().zip(*tracker);
                        verifier.hashed_ballot(ballot, hashed);
                    }
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

/// The reader's side: members go to the checker, batches of raw elements
/// to the parsers with a place in the checker's queue for their result.
struct Dispatch<'de> {
    pieces: SyncSender<Piece>,
    jobs: SyncSender<Job<'de>>,
    /// The checker stopped early (a batch could not be read).
    stopped: bool,
    /// The record's election id, once read: ballots' trackers are
    /// computed for it.
    election: Option<Arc<str>>,
}

impl Dispatch<'_> {
    fn send(&mut self, piece: Piece) {
        self.stopped |= self.pieces.send(piece).is_err();
    }
}

impl<'de> Sink<'de> for Dispatch<'de> {
    fn format(&mut self, format: &str) {
        self.send(Piece::Format(format.to_string()));
    }
    fn election(&mut self, election: ElectionInfo) {
        self.election = Some(Arc::from(election.id.as_str()));
        self.send(Piece::Election(election));
    }
    fn public_key(&mut self, key: PublicKey) {
        self.send(Piece::PublicKey(key));
    }
    fn log<A: SeqAccess<'de>>(&mut self, seq: A) -> Result<(), A::Error> {
        split(self, seq, Job::Log, Piece::Log)
    }
    fn log_end(&mut self) {
        self.send(Piece::LogEnd);
    }
    fn checkpoints(&mut self, checkpoints: Vec<SignedCheckpoint>) {
        self.send(Piece::Checkpoints(checkpoints));
    }
    fn no_ballots(&mut self) {
        self.send(Piece::NoBallots);
    }
    fn ballots<A: SeqAccess<'de>>(&mut self, seq: A) -> Result<(), A::Error> {
        let election = self.election.clone();
        let job = |raw, result| Job::Ballots(raw, election.clone(), result);
        let piece = |parsed| Piece::Ballots(parsed, election.clone());
        split(self, seq, job, piece)
    }
    fn ballots_end(&mut self) {
        self.send(Piece::BallotsEnd);
    }
    fn counts(&mut self, counts: Counts) {
        self.send(Piece::Counts(counts));
    }
    fn tally(&mut self, tally: Option<Tally>) {
        self.send(Piece::Tally(tally));
    }
}

/// Read an array's elements raw, in batches: each batch goes to the
/// parsers, and the receiver of its result to the checker, in order.
fn split<'de, A: SeqAccess<'de>, T>(
    dispatch: &mut Dispatch<'de>,
    mut seq: A,
    job: impl Fn(Vec<&'de RawValue>, SyncSender<Parsed<T>>) -> Job<'de>,
    piece: impl Fn(Receiver<Parsed<T>>) -> Piece,
) -> Result<(), A::Error> {
    let stop = || de::Error::custom("the checker stopped");
    loop {
        let mut raw = Vec::with_capacity(BATCH);
        while raw.len() < BATCH {
            match seq.next_element::<&'de RawValue>()? {
                Some(element) => raw.push(element),
                None => break,
            }
        }
        if raw.is_empty() {
            return Ok(());
        }
        let last = raw.len() < BATCH;
        let (result, parsed) = sync_channel(1);
        if dispatch.jobs.send(job(raw, result)).is_err() {
            return Err(stop());
        }
        dispatch.send(piece(parsed));
        if dispatch.stopped {
            return Err(stop());
        }
        if last {
            return Ok(());
        }
    }
}
