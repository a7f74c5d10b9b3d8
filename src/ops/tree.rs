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

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use teller_audit::cosignature;
use teller_audit::crypto::Digest;
use teller_audit::inclusion::{self, InclusionProof};
use teller_audit::log::{Event, LogEntry};
use teller_audit::merkle::Tree;
use teller_audit::note::{origin, TreeCheckpoint};

use super::OpError;
use crate::db::AnyConnection;
use crate::secrets::MasterSecret;
use crate::store::elections::ElectionRow;
use crate::store::log as logstore;
use crate::store::{corrupt, witnesses, StoreError};

/// Log rows read per query while extending a tree.
const PAGE: i64 = 10_000;

/// One election's tree, and where its ballot and seal entries are.
#[derive(Default)]
struct ElectionTree {
    tree: Tree,
    ballots: HashMap<Digest, u64>,
    seals: HashMap<u64, u64>,
    /// Where the `polls_opened` entry is (it names the witnesses).
    opened: Option<u64>,
    /// The signed notes of the newest sizes asked for (Ed25519 is
    /// deterministic, so a size's note is signed once, not per request):
    /// the newest checkpoint's, and the co-signed one proofs fall back to.
    notes: Vec<(u64, String)>,
    /// How many witnesses the election names, and its quorum, read once:
    /// the opening froze them (§5 rule 8), and a tree is read only once a
    /// checkpoint exists, that is after the opening.
    witnesses: Option<(usize, u32)>,
    /// The cosignature lines of sizes every witness has co-signed: a size
    /// has one line per witness at most, so these can gain no other.
    complete: HashMap<u64, Vec<String>>,
}

/// Signed notes kept per election.
const NOTES_KEPT: usize = 4;

impl ElectionTree {
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
                match &entry.event {
                    Event::Ballot { tracker } => {
                        self.ballots.insert(*tracker, entry.seq);
                    }
                    Event::Seal { seal, .. } => {
                        self.seals.insert(*seal, entry.seq);
                    }
                    Event::PollsOpened { .. } => self.opened = Some(entry.seq),
                    _ => {}
                }
                self.tree.push(&entry.canonical_bytes());
            }
        }
        Ok(())
    }
}

impl ElectionTree {
    /// The election key's signed note of the tree of `size` entries (held),
    /// kept among the [`NOTES_KEPT`] newest sizes asked for.
    fn note_at(&mut self, secret: &MasterSecret, row: &ElectionRow, host: &str, size: u64) -> Result<String, OpError> {
        if let Some((_, note)) = self.notes.iter().find(|(signed, _)| *signed == size) {
            return Ok(note.clone());
        }
        let checkpoint = TreeCheckpoint {
            origin: origin(host, &row.id),
            size,
            root: self.tree.root_at(size).map_err(|e| StoreError::from(corrupt(e)))?,
        };
        let signer = secret.signer(&row.id, &row.secret_key)?;
        let note = checkpoint.signed_note(&row.public_key()?, |bytes| signer.sign(bytes));
        self.notes.push((size, note.clone()));
        self.notes.sort_by_key(|(size, _)| std::cmp::Reverse(*size));
        self.notes.truncate(NOTES_KEPT);
        Ok(note)
    }

    /// How many witnesses the election names, and the quorum.
    fn witnesses(&mut self, conn: &mut AnyConnection, election: &str) -> Result<(usize, u32), StoreError> {
        if let Some(policy) = self.witnesses {
            return Ok(policy);
        }
        let (list, quorum) = witnesses::policy(conn, election)?;
        let policy = (list.len(), quorum);
        self.witnesses = Some(policy);
        Ok(policy)
    }

    /// The cosignature lines of the checkpoint of `size`, in witness-name
    /// order: read each time until every witness has co-signed it.
    fn lines(&mut self, conn: &mut AnyConnection, election: &str, size: u64) -> Result<Vec<String>, StoreError> {
        let (named, _) = self.witnesses(conn, election)?;
        if named == 0 {
            return Ok(Vec::new());
        }
        if let Some(lines) = self.complete.get(&size) {
            return Ok(lines.clone());
        }
        let lines = witnesses::lines(conn, election, size)?;
        if lines.len() >= named {
            self.complete.insert(size, lines.clone());
        }
        Ok(lines)
    }

    /// `note` (of the tree of `size` entries) with the cosignatures its
    /// witnesses returned (§6b).
    fn cosigned(&mut self, conn: &mut AnyConnection, election: &str, size: u64, note: &str) -> Result<String, OpError> {
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
    trees: HashMap<String, (Arc<Mutex<ElectionTree>>, u64)>,
    uses: u64,
}

/// The most elections whose trees an instance keeps: a tree holds about 100
/// bytes per entry, so memory stays bounded however many elections a
/// service has run; the least recently used is dropped (and rebuilt from
/// the stored log if asked for again).
const MAX_TREES: usize = 16;

impl Trees {
    fn of(&self, election: &str) -> Arc<Mutex<ElectionTree>> {
        let mut cached = self.elections.lock().unwrap_or_else(|p| p.into_inner());
        cached.uses += 1;
        let now = cached.uses;
        let tree = {
            let entry = cached.trees.entry(election.to_string()).or_default();
            entry.1 = now;
            entry.0.clone()
        };
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
        self.elections.lock().unwrap_or_else(|p| p.into_inner()).trees.len()
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

/// The newest tree checkpoint, signed: `None` before the polls open.
/// With it, the election's tree (locked) and the checkpoint's size.
fn signed<T>(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    trees: &Trees,
    row: &ElectionRow,
    host: &str,
    then: impl FnOnce(&mut AnyConnection, &mut ElectionTree, u64, String) -> Result<T, OpError>,
) -> Result<Option<T>, OpError> {
    let Some(latest) = logstore::latest_checkpoint(conn, &row.id)? else {
        return Ok(None);
    };
    let size = latest.checkpoint.size;
    let tree = trees.of(&row.id);
    let mut tree = tree.lock().unwrap_or_else(|p| p.into_inner());
    tree.extend_to(conn, &row.id, size)?;
    let note = tree.note_at(secret, row, host, size)?;
    then(conn, &mut tree, size, note).map(Some)
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
    signed(conn, secret, trees, row, host, |conn, tree, size, note| {
        tree.cosigned(conn, &row.id, size, &note)
    })
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
    signed(conn, secret, trees, row, host, |_, tree, size, note| {
        Ok(match tree.tree.consistency_proof(old, size) {
            Ok(proof) => Ok(WitnessStep { size, proof, note }),
            Err(_) => Err(size),
        })
    })
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
    signed(conn, secret, trees, row, host, |_, tree, size, _| {
        then(&tree.tree, size)
    })
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
/// checkpoint.
pub fn proof(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    trees: &Trees,
    row: &ElectionRow,
    host: &str,
    tracker: &Digest,
    seal: Option<u64>,
) -> Result<Result<InclusionProof, NoProof>, OpError> {
    let sealed = match crate::store::ballots::seal_of(conn, &row.id, tracker)? {
        None => return Ok(Err(NoProof::Unknown)),
        Some(None) => return Ok(Err(NoProof::NotYetSealed)),
        Some(Some(k)) => k as u64,
    };
    let seal = seal.unwrap_or(sealed);
    let found = signed(conn, secret, trees, row, host, |conn, tree, size, note| {
        let (Some(&at), Some(&seal_at), Some(opened_at)) =
            (tree.ballots.get(tracker), tree.seals.get(&seal), tree.opened)
        else {
            return Ok(Err(NoProof::NotYetSealed));
        };
        if at >= size || seal_at >= size {
            return Ok(Err(NoProof::NotYetSealed));
        }
        let (size, note) = match cosigned_size(conn, tree, &row.id, seal_at + 1, size)? {
            Some(cosigned) if cosigned != size => {
                let note = tree.note_at(secret, row, host, cosigned)?;
                (cosigned, tree.cosigned(conn, &row.id, cosigned, &note)?)
            }
            _ => (size, tree.cosigned(conn, &row.id, size, &note)?),
        };
        let entries = entries_at(conn, &row.id, [opened_at, at, seal_at])?;
        let proof = inclusion::prove(&entries, &tree.tree, &row.id, tracker, seal, size, note);
        Ok(proof.ok_or(NoProof::NotYetSealed))
    })?;
    Ok(found.unwrap_or(Err(NoProof::NotYetSealed)))
}

/// The size a proof should use when the newest one (`newest`) lacks its
/// witnesses' quorum: the largest size of at least `min` entries that a
/// quorum co-signed, if any. `None` also when the election names no
/// witnesses.
fn cosigned_size(
    conn: &mut AnyConnection,
    tree: &mut ElectionTree,
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

/// The stored entries at `seqs`, read in one query.
fn entries_at<const N: usize>(
    conn: &mut AnyConnection,
    election: &str,
    seqs: [u64; N],
) -> Result<[LogEntry; N], OpError> {
    let wanted: Vec<i64> = seqs.iter().map(|&s| s as i64).collect();
    let rows = logstore::entry_rows_at(conn, election, &wanted)?;
    let mut out = Vec::with_capacity(N);
    for seq in seqs {
        let Some((at, body, _)) = rows.iter().find(|(at, _, _)| *at as u64 == seq) else {
            return Err(StoreError::from(corrupt(format!("log entry {seq} is missing"))).into());
        };
        out.push(logstore::parse_entry(conn, election, *at, body)?);
    }
    out.try_into()
        .map_err(|_| StoreError::from(corrupt("log entries out of place")).into())
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
    signed(conn, secret, trees, row, host, |conn, tree, size, note| {
        Ok(match tree.tree.consistency_proof(from, size) {
            Ok(proof) => Ok(Consistency {
                from,
                to: size,
                proof,
                checkpoint: tree.cosigned(conn, &row.id, size, &note)?,
            }),
            Err(_) => Err(size),
        })
    })
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
        assert_eq!(again.lock().unwrap().tree.size(), 0);
        assert!(Arc::ptr_eq(&first, &trees.of("e0")));
    }
}
