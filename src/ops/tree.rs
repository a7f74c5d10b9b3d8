//! The log's Merkle tree as the service serves it (audit/FORMAT.md §5a):
//! the tree checkpoint of the newest checkpointed size, signed by the
//! election key (§6a), and a receipt's inclusion proof (§7a).
//!
//! Each instance keeps, per election, the tree's hashes and where each
//! ballot and seal entry is, built from the stored log on first use and
//! extended a page at a time as the log grows; it holds about 100 bytes
//! per entry, whatever clients ask, for at most the 16 elections used most
//! recently (`MAX_TREES`; an evicted tree is rebuilt when asked for). Only sizes that a checkpoint covers
//! are ever signed, so two tree checkpoints of one log always agree.
//!
//! Serving a proof reads no log entry from the database: the tree keeps
//! the `polls_opened` and seal entries (one per seal, so few), and a
//! ballot's entry is its tracker, its position and its seal's time (a seal
//! appends its ballots and itself at one time, `ops::seal`), checked
//! against the tree's leaf before it is served. The tree's lock is held
//! only for lookups in memory, never across a query, so concurrent proofs
//! of one election do not queue behind each other's reads.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use teller_audit::cosignature;
use teller_audit::crypto::Digest;
use teller_audit::inclusion::{InclusionProof, INCLUSION_FORMAT};
use teller_audit::log::{Event, LogEntry};
use teller_audit::merkle::{self, Tree};
use teller_audit::note::{origin, TreeCheckpoint};

use super::OpError;
use crate::db::AnyConnection;
use crate::secrets::MasterSecret;
use crate::store::elections::{self, ElectionRow};
use crate::store::log as logstore;
use crate::store::{corrupt, witnesses, StoreError};

/// Log rows read per query while extending a tree.
const PAGE: i64 = 10_000;

/// Lock `m`; a panic elsewhere while it was held leaves data that is still
/// whole (every change below is a single insertion or push).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One election's tree and what is kept beside it, each behind its own
/// lock so that none is held across a query.
#[derive(Default)]
struct ElectionTree {
    log: Mutex<LogTree>,
    /// The signed notes of the newest sizes asked for (Ed25519 is
    /// deterministic, so a size's note is signed once, not per request):
    /// the newest checkpoint's, and the co-signed one proofs fall back to.
    notes: Mutex<Vec<(u64, String)>>,
    witnesses: Mutex<WitnessCache>,
    /// Set once the election's row has been seen past the draft, for
    /// public reads by id: an election never returns to draft (nor is one
    /// deleted) once its polls open, so the row is read for this once.
    public: OnceLock<()>,
}

/// The tree's hashes, and where its ballot and seal entries are.
#[derive(Default)]
struct LogTree {
    tree: Tree,
    ballots: HashMap<Digest, u64>,
    /// The seal entries, by seal number.
    seals: HashMap<u64, LogEntry>,
    /// `(position, seal number)` of each seal entry, in log order: the
    /// seal that sealed a ballot is the first after it.
    seal_order: Vec<(u64, u64)>,
    /// The `polls_opened` entry (it names the witnesses).
    opened: Option<LogEntry>,
}

/// What is known of the election's witnesses.
#[derive(Default)]
struct WitnessCache {
    /// How many witnesses the election names, and its quorum, read once:
    /// the opening froze them (§5 rule 8), and a tree is read only once a
    /// checkpoint exists, that is after the opening.
    policy: Option<(usize, u32)>,
    /// The cosignature lines of sizes every witness has co-signed: a size
    /// has one line per witness at most, so these can gain no other.
    complete: HashMap<u64, Vec<String>>,
}

/// Signed notes kept per election.
const NOTES_KEPT: usize = 4;

/// The election served: its row when the caller has read it, else its id.
#[derive(Clone, Copy)]
enum Election<'a> {
    Row(&'a ElectionRow),
    Id(&'a str),
}

impl LogTree {
    /// Read the stored log up to `size` entries into the tree.
    fn extend_to(&mut self, conn: &mut AnyConnection, election: &str, size: u64) -> Result<(), StoreError> {
        while self.tree.size() < size {
            let from = self.tree.size();
            let want = i64::try_from(size - from).unwrap_or(PAGE).min(PAGE);
            let rows = logstore::entry_rows(conn, election, from as i64, want)?;
            if rows.is_empty() {
                return Err(corrupt(format!(
                    "the log ends at {from} entries, before its checkpoint of {size}"
                ))
                .into());
            }
            for (seq, body, _) in rows {
                if u64::try_from(seq).ok() != Some(self.tree.size()) {
                    return Err(corrupt(format!("log entry {seq} out of place")).into());
                }
                let entry = logstore::parse_entry(conn, election, seq, &body)?;
                self.tree.push(&entry.canonical_bytes());
                match &entry.event {
                    Event::Ballot { tracker } => {
                        self.ballots.insert(*tracker, entry.seq);
                    }
                    Event::Seal { seal, .. } => {
                        self.seal_order.push((entry.seq, *seal));
                        self.seals.insert(*seal, entry);
                    }
                    Event::PollsOpened { .. } => self.opened = Some(entry),
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// The number of the first seal entry after position `at`.
    fn seal_after(&self, at: u64) -> Option<u64> {
        let i = self.seal_order.partition_point(|(seq, _)| *seq <= at);
        self.seal_order.get(i).map(|(_, seal)| *seal)
    }
}

impl ElectionTree {
    /// The election key's signed note of the tree of `size` entries (held),
    /// kept among the [`NOTES_KEPT`] newest sizes asked for. The election's
    /// row (its keys) is read only to sign, when the caller has not.
    fn note_at(
        &self,
        conn: &mut AnyConnection,
        secret: &MasterSecret,
        election: Election,
        host: &str,
        size: u64,
    ) -> Result<String, OpError> {
        if let Some((_, note)) = lock(&self.notes).iter().find(|(signed, _)| *signed == size) {
            return Ok(note.clone());
        }
        let root = lock(&self.log).tree.root_at(size);
        let read;
        let row = match election {
            Election::Row(row) => row,
            Election::Id(id) => {
                read = elections::find(conn, id)?.ok_or_else(|| OpError::NoSuchElection(id.to_string()))?;
                &read
            }
        };
        let checkpoint = TreeCheckpoint {
            origin: origin(host, &row.id),
            size,
            root: root.map_err(|e| StoreError::from(corrupt(e)))?,
        };
        let signer = secret.signer(&row.id, &row.secret_key)?;
        let note = checkpoint.signed_note(&row.public_key()?, |bytes| signer.sign(bytes));
        let mut notes = lock(&self.notes);
        // Another request may have signed it meanwhile: the same note.
        if !notes.iter().any(|(signed, _)| *signed == size) {
            notes.push((size, note.clone()));
            notes.sort_by_key(|(size, _)| std::cmp::Reverse(*size));
            notes.truncate(NOTES_KEPT);
        }
        Ok(note)
    }

    /// How many witnesses the election names, and the quorum.
    fn witnesses(&self, conn: &mut AnyConnection, election: &str) -> Result<(usize, u32), StoreError> {
        if let Some(policy) = lock(&self.witnesses).policy {
            return Ok(policy);
        }
        let (list, quorum) = witnesses::policy(conn, election)?;
        let policy = (list.len(), quorum);
        lock(&self.witnesses).policy = Some(policy);
        Ok(policy)
    }

    /// The cosignature lines of the checkpoint of `size`, in witness-name
    /// order: read each time until every witness has co-signed it.
    fn lines(&self, conn: &mut AnyConnection, election: &str, size: u64) -> Result<Vec<String>, StoreError> {
        let (named, _) = self.witnesses(conn, election)?;
        if named == 0 {
            return Ok(Vec::new());
        }
        let kept = lock(&self.witnesses).complete.get(&size).cloned();
        if let Some(lines) = kept {
            return Ok(lines);
        }
        let lines = witnesses::lines(conn, election, size)?;
        if lines.len() >= named {
            lock(&self.witnesses).complete.insert(size, lines.clone());
        }
        Ok(lines)
    }

    /// `note` (of the tree of `size` entries) with the cosignatures its
    /// witnesses returned (§6b).
    fn cosigned(&self, conn: &mut AnyConnection, election: &str, size: u64, note: &str) -> Result<String, OpError> {
        Ok(cosignature::add_lines(note, &self.lines(conn, election, size)?))
    }
}

/// The trees of the elections this instance has served proofs for.
#[derive(Default)]
pub struct Trees {
    elections: Mutex<Cached>,
}

/// The cached trees, each with when it was last used (a counter).
#[derive(Default)]
struct Cached {
    trees: HashMap<String, (Arc<ElectionTree>, u64)>,
    uses: u64,
}

/// The most elections whose trees an instance keeps: a tree holds about 100
/// bytes per entry, so memory stays bounded however many elections a
/// service has run; the least recently used is dropped (and rebuilt from
/// the stored log if asked for again).
const MAX_TREES: usize = 16;

impl Trees {
    fn of(&self, election: &str) -> Arc<ElectionTree> {
        let mut cached = lock(&self.elections);
        cached.uses += 1;
        let now = cached.uses;
        if let Some((tree, used)) = cached.trees.get_mut(election) {
            *used = now;
            return tree.clone();
        }
        let tree = Arc::new(ElectionTree::default());
        cached.trees.insert(election.to_string(), (tree.clone(), now));
        if cached.trees.len() > MAX_TREES {
            let oldest = cached
                .trees
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(id, _)| id.clone());
            if let Some(oldest) = oldest {
                cached.trees.remove(&oldest);
            }
        }
        tree
    }

    /// How many elections' trees are kept (for tests).
    pub fn len(&self) -> usize {
        lock(&self.elections).trees.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The host part of the service's public address, for the origin: the
/// address without its scheme or a final slash.
pub fn host_of(public_url: &str) -> &str {
    let rest = public_url
        .strip_prefix("https://")
        .or_else(|| public_url.strip_prefix("http://"))
        .unwrap_or(public_url);
    rest.trim_end_matches('/')
}

/// The election's tree, read from the log as far as the newest checkpoint,
/// and that checkpoint's size; `None` before the polls open.
fn checkpointed(
    conn: &mut AnyConnection,
    trees: &Trees,
    election: &str,
) -> Result<Option<(Arc<ElectionTree>, u64)>, OpError> {
    let Some(size) = logstore::latest_checkpoint_size(conn, election)? else {
        return Ok(None);
    };
    let tree = trees.of(election);
    // Held while reading the log, so that one request extends it; only
    // when a checkpoint is newer than the tree.
    lock(&tree.log).extend_to(conn, election, size)?;
    Ok(Some((tree, size)))
}

/// The signed note of the newest tree checkpoint (§6a); `None` before the
/// polls open.
pub fn checkpoint_note(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    trees: &Trees,
    row: &ElectionRow,
    host: &str,
) -> Result<Option<String>, OpError> {
    let Some((tree, size)) = checkpointed(conn, trees, &row.id)? else {
        return Ok(None);
    };
    let note = tree.note_at(conn, secret, Election::Row(row), host, size)?;
    tree.cosigned(conn, &row.id, size, &note).map(Some)
}

/// What a witness that holds the tree of `old` entries is sent (§6b).
#[derive(Debug, Clone)]
pub struct WitnessStep {
    /// The newest tree checkpoint's size.
    pub size: u64,
    /// The consistency proof from `old` to it.
    pub proof: Vec<Digest>,
    /// Its note as the election key signed it (without cosignatures).
    pub note: String,
}

/// What to send a witness that holds the tree of `old` entries. `None`
/// before the polls open; `Some(Err(size))` when `old` is past the newest
/// checkpoint, of `size`.
pub fn submission(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    trees: &Trees,
    row: &ElectionRow,
    host: &str,
    old: u64,
) -> Result<Option<Result<WitnessStep, u64>>, OpError> {
    let Some((tree, size)) = checkpointed(conn, trees, &row.id)? else {
        return Ok(None);
    };
    let note = tree.note_at(conn, secret, Election::Row(row), host, size)?;
    let proof = lock(&tree.log).tree.consistency_proof(old, size);
    Ok(Some(match proof {
        Ok(proof) => Ok(WitnessStep { size, proof, note }),
        Err(_) => Err(size),
    }))
}

/// Run `then` on the election's tree as far as the newest tree checkpoint,
/// with that checkpoint's size (for tiles, `ops::tiles`); `None` before the
/// polls open.
pub fn with_checkpointed_tree<T>(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    trees: &Trees,
    row: &ElectionRow,
    host: &str,
    then: impl FnOnce(&Tree, u64) -> Result<T, OpError>,
) -> Result<Option<T>, OpError> {
    let Some((tree, size)) = checkpointed(conn, trees, &row.id)? else {
        return Ok(None);
    };
    // Signed as for every size served (kept, so once).
    tree.note_at(conn, secret, Election::Row(row), host, size)?;
    let log = lock(&tree.log);
    then(&log.tree, size).map(Some)
}

/// Why there is no proof for a tracker yet.
#[derive(Debug, PartialEq, Eq)]
pub enum NoProof {
    /// No ballot has this tracker.
    Unknown,
    /// The ballot, or the seal asked for, is not yet in a checkpoint.
    NotYetSealed,
}

/// The inclusion proof (§7a) of the ballot with `tracker` and of seal
/// `seal` (by default the seal that sealed it) in the newest tree
/// checkpoint of the election `election`, as the public may see it (an
/// unknown election or a draft is [`OpError::NoSuchElection`]).
///
/// The election's row is read only the first time its tree is used (to
/// see that it is not a draft) and when a note must be signed (its keys).
pub fn proof(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    trees: &Trees,
    election: &str,
    host: &str,
    tracker: &Digest,
    seal: Option<u64>,
) -> Result<Result<InclusionProof, NoProof>, OpError> {
    let Some(newest) = logstore::latest_checkpoint_size(conn, election)? else {
        super::resolve_public_election(conn, election)?;
        return not_in_tree(conn, election, tracker);
    };
    let tree = trees.of(election);
    if tree.public.get().is_none() {
        super::resolve_public_election(conn, election)?;
        let _ = tree.public.set(());
    }
    lock(&tree.log).extend_to(conn, election, newest)?;
    // Where the ballot is and which seal sealed it. A ballot in a
    // checkpointed tree was sealed by the first seal after it (a seal
    // appends its batch, then itself: `ops::seal`), as its stored row says.
    let found = {
        let log = lock(&tree.log);
        let at = log.ballots.get(tracker).copied().filter(|&at| at < newest);
        at.map(|at| (at, log.seal_after(at)))
    };
    let (at, sealed) = match found {
        None => return not_in_tree(conn, election, tracker),
        Some((at, Some(sealed))) => (at, sealed),
        // No seal after it in the tree: the stored row says which.
        Some((at, None)) => match crate::store::ballots::seal_of(conn, election, tracker)? {
            None => return Ok(Err(NoProof::Unknown)),
            Some(None) => return Ok(Err(NoProof::NotYetSealed)),
            Some(Some(k)) => (at, k as u64),
        },
    };
    let seal = seal.unwrap_or(sealed);
    let (seal_entry, opened_entry, ballot_time) = {
        let log = lock(&tree.log);
        let (Some(seal_entry), Some(opened_entry)) = (log.seals.get(&seal), &log.opened) else {
            return Ok(Err(NoProof::NotYetSealed));
        };
        (
            seal_entry.clone(),
            opened_entry.clone(),
            log.seals.get(&sealed).map(|e| e.time),
        )
    };
    if seal_entry.seq >= newest {
        return Ok(Err(NoProof::NotYetSealed));
    }
    let size = match cosigned_size(conn, &tree, election, seal_entry.seq + 1, newest)? {
        Some(cosigned) => cosigned,
        None => newest,
    };
    let note = tree.note_at(conn, secret, Election::Id(election), host, size)?;
    let note = tree.cosigned(conn, election, size, &note)?;
    let paths = {
        let log = lock(&tree.log);
        let path = |seq: u64| log.tree.inclusion_proof(seq, size).ok();
        (
            path(at),
            path(seal_entry.seq),
            path(opened_entry.seq),
            log.tree.leaf(at),
        )
    };
    let (Some(proof), Some(seal_proof), Some(opened_proof), Some(leaf)) = paths else {
        return Ok(Err(NoProof::NotYetSealed));
    };
    let Some(entry) = ballot_entry(conn, election, tracker, at, ballot_time, &leaf)? else {
        return Ok(Err(NoProof::NotYetSealed));
    };
    Ok(Ok(InclusionProof {
        format: INCLUSION_FORMAT.into(),
        election: election.to_string(),
        entry,
        proof,
        seal_entry,
        seal_proof,
        opened_entry,
        opened_proof,
        checkpoint: note,
    }))
}

/// Why a tracker whose ballot is not in the checkpointed tree has no proof,
/// as its stored row says.
fn not_in_tree(
    conn: &mut AnyConnection,
    election: &str,
    tracker: &Digest,
) -> Result<Result<InclusionProof, NoProof>, OpError> {
    Ok(Err(match crate::store::ballots::seal_of(conn, election, tracker)? {
        None => NoProof::Unknown,
        Some(_) => NoProof::NotYetSealed,
    }))
}

/// The ballot entry of `tracker` at position `at`, whose leaf hash in the
/// tree is `leaf`: made from what the tree knows when `time` (its seal's)
/// is given and the result hashes to `leaf`, which makes it the stored
/// entry, byte for byte; otherwise read from the log. `None` when the entry
/// there is not that ballot's.
fn ballot_entry(
    conn: &mut AnyConnection,
    election: &str,
    tracker: &Digest,
    at: u64,
    time: Option<i64>,
    leaf: &Digest,
) -> Result<Option<LogEntry>, OpError> {
    if let Some(time) = time {
        let entry = LogEntry {
            seq: at,
            time,
            event: Event::Ballot { tracker: *tracker },
        };
        if merkle::leaf_hash(&entry.canonical_bytes()) == *leaf {
            return Ok(Some(entry));
        }
    }
    let Ok(seq) = i64::try_from(at) else {
        return Ok(None);
    };
    let rows = logstore::entry_rows(conn, election, seq, 1)?;
    let Some((_, body, _)) = rows.into_iter().find(|(s, _, _)| *s == seq) else {
        return Err(StoreError::from(corrupt(format!("log entry {at} is missing"))).into());
    };
    let entry = logstore::parse_entry(conn, election, seq, &body)?;
    Ok(matches!(&entry.event, Event::Ballot { tracker: t } if t == tracker).then_some(entry))
}

/// The size a proof should use when the newest one (`newest`) lacks its
/// witnesses' quorum: the largest size of at least `min` entries that a
/// quorum co-signed, if any. `None` also when the election names no
/// witnesses.
fn cosigned_size(
    conn: &mut AnyConnection,
    tree: &ElectionTree,
    election: &str,
    min: u64,
    newest: u64,
) -> Result<Option<u64>, OpError> {
    let (named, quorum) = tree.witnesses(conn, election)?;
    if named == 0 || quorum == 0 {
        return Ok(None);
    }
    if tree.lines(conn, election, newest)?.len() >= quorum as usize {
        return Ok(Some(newest));
    }
    Ok(witnesses::largest_cosigned(conn, election, min, quorum)?)
}

/// A consistency proof (§5a) from size `from` to the newest tree
/// checkpoint, with that checkpoint's signed note.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Consistency {
    /// The earlier size.
    pub from: u64,
    /// The newest checkpoint's size.
    pub to: u64,
    /// `PROOF(from, D[to])`, lowest first.
    pub proof: Vec<Digest>,
    /// The newest tree checkpoint (§6a).
    pub checkpoint: String,
}

/// The consistency proof from size `from` to the newest tree checkpoint;
/// `Ok(None)` before the polls open, `Err` inside when `from` is past it.
pub fn consistency(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    trees: &Trees,
    row: &ElectionRow,
    host: &str,
    from: u64,
) -> Result<Option<Result<Consistency, u64>>, OpError> {
    let Some((tree, size)) = checkpointed(conn, trees, &row.id)? else {
        return Ok(None);
    };
    let note = tree.note_at(conn, secret, Election::Row(row), host, size)?;
    let proof = lock(&tree.log).tree.consistency_proof(from, size);
    Ok(Some(match proof {
        Ok(proof) => Ok(Consistency {
            from,
            to: size,
            proof,
            checkpoint: tree.cosigned(conn, &row.id, size, &note)?,
        }),
        Err(_) => Err(size),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_keeps_the_most_recently_used_trees_only() {
        let trees = Trees::default();
        let first = trees.of("e0");
        for i in 1..40 {
            trees.of(&format!("e{i}"));
            // e0 is used between the others: it stays.
            assert!(Arc::ptr_eq(&first, &trees.of("e0")));
            assert!(trees.len() <= MAX_TREES);
        }
        assert_eq!(trees.len(), MAX_TREES);
        // e1 was used least recently: dropped, and a new tree is made for it.
        let again = trees.of("e1");
        assert_eq!(lock(&again.log).tree.size(), 0);
        assert!(Arc::ptr_eq(&first, &trees.of("e0")));
    }
}
