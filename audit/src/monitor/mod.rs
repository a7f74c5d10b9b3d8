//! `teller-audit monitor`: follow an election's log over HTTP and prove it
//! is never rewritten (FORMAT.md §5a, §6a "Tiles").
//!
//! Each run reads the newest tree checkpoint, checks it against the last
//! one verified (never smaller; the same root at the same size; a
//! consistency proof otherwise), fetches only the entries added since
//! through the entry bundles, checks them one by one against the rules of
//! §5 it can check incrementally, and recomputes the new root from the
//! tree's saved right edge. What it keeps is O(log n) per election
//! ([`state`]). Anything inconsistent is saved as evidence: the two signed
//! notes, the proof and what failed.

pub mod rules;
pub mod state;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::checkpoint::SignedCheckpoint;
use crate::cosignature::{count_valid, WitnessKey};
use crate::crypto::{Digest, PublicKey};
use crate::http;
use crate::log::{Event, LogEntry};
use crate::merkle::{leaf_hash, verify_consistency, Frontier};
use crate::note::{TreeCheckpoint, MAX_NOTE_BYTES};
use crate::tiles::{split_bundle, Tile, TileKind, MAX_ENTRY_BYTES, TILE_WIDTH};
use rules::{Broken, Rules};
use state::{write_atomically, KeySource, State, StateError, STATE_FORMAT};

/// The longest consistency answer read: 64 hashes and a note.
const MAX_CONSISTENCY_BYTES: u64 = 8 * 1024 + MAX_NOTE_BYTES as u64;
/// The longest bundle read: 256 entries of the longest length.
const MAX_BUNDLE_BYTES: u64 = TILE_WIDTH * (2 + MAX_ENTRY_BYTES as u64);
/// The longest §6 checkpoint read.
const MAX_CHECKPOINT_BYTES: u64 = 4096;

/// What to monitor, and where to keep what was verified.
#[derive(Debug, Clone)]
pub struct Options {
    /// The election's API base, `https://host/api/v1/elections/{id}`.
    pub url: String,
    /// The state directory.
    pub state_dir: PathBuf,
    /// The election key, if known; otherwise trusted from entry 0.
    pub key: Option<PublicKey>,
    /// The time allowed for each request.
    pub timeout: Duration,
}

/// A run that found the log consistent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The election.
    pub election: String,
    /// The size verified before (0 on the first run).
    pub old_size: u64,
    /// The size verified now.
    pub new_size: u64,
    /// Entries fetched and checked in this run.
    pub entries: u64,
    /// Bytes of the service's answers read.
    pub bytes: u64,
    /// Set when the key was trusted on this first run, from entry 0.
    pub trusted_key: Option<PublicKey>,
    /// The witnesses named at the opening that co-signed the checkpoint,
    /// how many were named, and the quorum (§6b); `None` before the
    /// opening or when none are named.
    pub witnessed: Option<(Vec<String>, usize, u32)>,
}

impl Outcome {
    /// Whether the checkpoint lacks its witnesses' quorum (not proof of a
    /// rewrite: witnesses may not have co-signed the newest checkpoint yet).
    pub fn short_of_witnesses(&self) -> bool {
        self.witnessed
            .as_ref()
            .is_some_and(|(signed, _, quorum)| signed.len() < *quorum as usize)
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "election {}: log consistent, {} → {} entries; {} entries checked, {} bytes fetched",
            self.election, self.old_size, self.new_size, self.entries, self.bytes
        )?;
        if let Some((signed, named, quorum)) = &self.witnessed {
            let names = if signed.is_empty() {
                "none".to_string()
            } else {
                signed.join(", ")
            };
            write!(
                f,
                "; co-signed by {} of the {named} witnesses named (quorum {quorum}): {names}",
                signed.len()
            )?;
        }
        Ok(())
    }
}

/// Why a run did not end in a consistent log.
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    /// The log contradicts what was verified before, or the rules: the
    /// evidence is saved in the named file.
    #[error("the log was rewritten: {what} (evidence: {})", evidence.display())]
    Rewritten {
        /// What failed.
        what: String,
        /// The evidence file.
        evidence: PathBuf,
    },
    /// The service could not be reached or gave an answer that proves
    /// nothing (an error status, an unsigned checkpoint); nothing saved.
    #[error("{0}; nothing was saved, try again later")]
    Unavailable(String),
    /// The command line or the state directory is wrong.
    #[error("{0}")]
    Local(String),
}

impl MonitorError {
    /// The exit code: 1 for a rewritten log, 3 for the network or the
    /// service, 2 for a local problem.
    pub fn exit_code(&self) -> u8 {
        match self {
            MonitorError::Rewritten { .. } => 1,
            MonitorError::Local(_) => 2,
            MonitorError::Unavailable(_) => 3,
        }
    }
}

impl From<StateError> for MonitorError {
    fn from(e: StateError) -> Self {
        MonitorError::Local(e.to_string())
    }
}

/// The consistency answer (FORMAT.md §6a), read strictly.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsistencyAnswer {
    from: u64,
    to: u64,
    proof: Vec<Digest>,
    checkpoint: String,
}

/// The service's answers, counted.
struct Service {
    base: String,
    timeout: Duration,
    bytes: u64,
}

impl Service {
    /// `GET <base>/<path>`: the body of a 200 answer.
    fn get(&mut self, path: &str, max_bytes: u64) -> Result<Vec<u8>, MonitorError> {
        let url = format!("{}/{path}", self.base);
        let res = http::get(&url, max_bytes, self.timeout).map_err(|e| MonitorError::Unavailable(e.to_string()))?;
        self.bytes += res.body.len() as u64;
        if res.status != 200 {
            let text = String::from_utf8_lossy(&res.body[..res.body.len().min(200)]).into_owned();
            return Err(MonitorError::Unavailable(format!(
                "{url}: the service answered {}: {text}",
                res.status
            )));
        }
        Ok(res.body)
    }

    fn note(&mut self) -> Result<String, MonitorError> {
        let body = self.get("log/checkpoint", MAX_NOTE_BYTES as u64)?;
        String::from_utf8(body).map_err(|_| MonitorError::Unavailable("the tree checkpoint is not UTF-8".into()))
    }

    fn bundle(&mut self, tile: Tile) -> Result<Vec<u8>, MonitorError> {
        self.get(&format!("log/{tile}"), MAX_BUNDLE_BYTES)
    }
}

/// Everything known about a run so far, for the evidence file.
struct Run<'a> {
    options: &'a Options,
    election: String,
    previous: Option<State>,
    checkpoint: Option<String>,
    consistency: Option<serde_json::Value>,
}

impl Run<'_> {
    /// Save the evidence and return the error that names it.
    fn rewritten(&self, kind: &str, what: String) -> MonitorError {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let evidence = serde_json::json!({
            "format": "teller-monitor-evidence/1",
            "election": self.election,
            "url": self.options.url,
            "found_at": now,
            "kind": kind,
            "failed": what,
            "previous_checkpoint": self.previous.as_ref().map(|s| &s.checkpoint),
            "previous_key_source": self.previous.as_ref().map(|s| s.key_source),
            "checkpoint": self.checkpoint,
            "consistency": self.consistency,
        });
        let path = self
            .options
            .state_dir
            .join(format!("{}.evidence-{now}-{kind}.json", self.election));
        let bytes = serde_json::to_vec_pretty(&evidence).unwrap_or_default();
        match write_atomically(&path, &bytes) {
            Ok(()) => MonitorError::Rewritten { what, evidence: path },
            Err(e) => MonitorError::Local(format!(
                "the log was rewritten: {what}; the evidence could not be saved: {e}"
            )),
        }
    }
}

/// The election id at the end of the API base.
fn election_of(url: &str) -> Result<(String, String), MonitorError> {
    let base = url.trim_end_matches('/').to_string();
    let id = base.rsplit('/').next().unwrap_or_default();
    let ok = base.contains("/elections/")
        && !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !ok {
        return Err(MonitorError::Local(format!(
            "{url}: expected the election's API address, https://HOST/api/v1/elections/ID"
        )));
    }
    Ok((id.to_string(), base))
}

/// The size line of a note not yet verified (to find entry 0's bundle).
fn unverified_size(note: &str) -> Option<u64> {
    let size = note.lines().nth(1)?;
    size.parse().ok().filter(|_| !size.starts_with('+'))
}

/// Entries of the log from `from` to `to` as the bundles frame them: each
/// bundle from the first one holding entry `from`, with the entries checked
/// before skipped. `first` is a bundle fetched already (entry 0's).
fn fetch_entries(
    service: &mut Service,
    from: u64,
    to: u64,
    mut first: Option<(Tile, Vec<u8>)>,
    mut each: impl FnMut(&[u8]) -> Result<(), MonitorError>,
) -> Result<(), MonitorError> {
    if from >= to {
        return Ok(());
    }
    for index in from / TILE_WIDTH..=(to - 1) / TILE_WIDTH {
        let end = ((index + 1) * TILE_WIDTH).min(to);
        let width = (end - index * TILE_WIDTH) as u16;
        let tile = Tile {
            kind: TileKind::Entries,
            index,
            width,
        };
        let bytes = match first.take() {
            Some((t, bytes)) if t == tile => bytes,
            _ => service.bundle(tile)?,
        };
        let entries =
            split_bundle(&bytes, usize::from(width)).map_err(|e| MonitorError::Unavailable(format!("{tile}: {e}")))?;
        let skip = from.saturating_sub(index * TILE_WIDTH) as usize;
        for entry in entries.into_iter().skip(skip) {
            each(entry)?;
        }
    }
    Ok(())
}

/// Read one entry strictly: a log entry (§5) whose bytes are its
/// canonical encoding.
fn parse_entry(bytes: &[u8], seq: u64) -> Result<LogEntry, String> {
    let entry: LogEntry = serde_json::from_slice(bytes).map_err(|e| format!("entry {seq}: not a log entry: {e}"))?;
    if entry.canonical_bytes() != bytes {
        return Err(format!("entry {seq}: not in canonical form (§2)"));
    }
    Ok(entry)
}

/// The election key named by entry 0, from the bundle that holds it.
fn key_from_entry_zero(
    service: &mut Service,
    election: &str,
    size: u64,
) -> Result<(PublicKey, (Tile, Vec<u8>)), MonitorError> {
    let tile = Tile {
        kind: TileKind::Entries,
        index: 0,
        width: size.min(TILE_WIDTH) as u16,
    };
    let bytes = service.bundle(tile)?;
    let unusable = |why: String| MonitorError::Unavailable(format!("cannot trust a key from entry 0: {why}"));
    let first = split_bundle(&bytes, usize::from(tile.width)).map_err(|e| unusable(e.to_string()))?[0];
    match parse_entry(first, 0).map_err(unusable)?.event {
        Event::ElectionCreated {
            election: named,
            public_key,
            ..
        } if named == election => Ok((public_key, (tile, bytes))),
        _ => Err(unusable(format!("it is not the election_created entry of {election}"))),
    }
}

/// Run the monitor once.
pub fn run(options: &Options) -> Result<Outcome, MonitorError> {
    let (election, base) = election_of(&options.url)?;
    std::fs::create_dir_all(&options.state_dir)
        .map_err(|e| MonitorError::Local(format!("{}: {e}", options.state_dir.display())))?;
    let previous = State::load(&options.state_dir, &election)?;
    if let (Some(state), Some(key)) = (&previous, &options.key) {
        if state.public_key != *key {
            return Err(MonitorError::Local(format!(
                "--key {} differs from the key this election was monitored with, {}",
                key.to_hex(),
                state.public_key.to_hex()
            )));
        }
    }
    let mut service = Service {
        base,
        timeout: options.timeout,
        bytes: 0,
    };
    let mut run = Run {
        options,
        election: election.clone(),
        previous,
        checkpoint: None,
        consistency: None,
    };
    let note = service.note()?;
    run.checkpoint = Some(note.clone());

    // The key: kept, given, or trusted from entry 0 on the first run.
    let mut first_bundle = None;
    let (key, source) = match (&run.previous, options.key) {
        (Some(state), _) => (state.public_key, state.key_source),
        (None, Some(key)) => (key, KeySource::Given),
        (None, None) => {
            let size = unverified_size(&note)
                .filter(|s| *s > 0)
                .ok_or_else(|| MonitorError::Unavailable("the tree checkpoint has no size".into()))?;
            let (key, bundle) = key_from_entry_zero(&mut service, &election, size)?;
            first_bundle = Some(bundle);
            (key, KeySource::FirstUse)
        }
    };
    let checkpoint = TreeCheckpoint::open(&note, &election, &key)
        .map_err(|e| MonitorError::Unavailable(format!("the tree checkpoint does not verify: {e}")))?;

    // Against the last checkpoint verified: never smaller, never another
    // root at the same size, and a consistency proof to a larger one.
    let (old_size, mut frontier, mut rules) = match run.previous.clone() {
        None => (0, Frontier::default(), Rules::default()),
        Some(state) => {
            check_against(&mut service, &mut run, &state, &checkpoint)?;
            let frontier = state
                .frontier()
                .ok_or_else(|| MonitorError::Local("the state's frontier does not fit its size".into()))?;
            (state.size, frontier, state.rules)
        }
    };

    // The new entries, one by one, onto the frontier.
    let mut broken: Option<Broken> = None;
    let mut malformed: Option<String> = None;
    let mut checked = 0u64;
    fetch_entries(&mut service, old_size, checkpoint.size, first_bundle, |bytes| {
        let seq = frontier.size();
        frontier.push_hash(leaf_hash(bytes));
        checked += 1;
        if broken.is_some() || malformed.is_some() {
            return Ok(());
        }
        match parse_entry(bytes, seq) {
            Ok(entry) => broken = rules.entry(&entry, &election, &key).err(),
            Err(why) => malformed = Some(why),
        }
        Ok(())
    })?;
    if frontier.root() != checkpoint.root {
        let what = format!(
            "the entries served from {old_size} to {} do not have the root the checkpoint signs ({})",
            checkpoint.size,
            checkpoint.root.to_hex()
        );
        return Err(run.rewritten("entries", what));
    }
    // The entries are the signed log's: what they break, the log breaks.
    if let Some(why) = malformed {
        return Err(run.rewritten("malformed-entry", why));
    }
    if let Some(b) = broken.or_else(|| rules.checkpointable().err()) {
        return Err(run.rewritten("rule", b.to_string()));
    }
    check_chain_head(&mut service, &run, &key, &rules)?;
    let witnessed = (!rules.witnesses.is_empty()).then(|| {
        let keys: Vec<WitnessKey> = rules
            .witnesses
            .iter()
            .map(|w| WitnessKey {
                name: w.name.clone(),
                key: w.key.0,
            })
            .collect();
        (
            count_valid(&keys, &checkpoint.text(), &note),
            keys.len(),
            rules.witness_quorum,
        )
    });

    let state = State {
        format: STATE_FORMAT.into(),
        election: election.clone(),
        url: options.url.clone(),
        public_key: key,
        key_source: source,
        checkpoint: note,
        size: checkpoint.size,
        root: checkpoint.root,
        frontier: frontier.hashes().to_vec(),
        rules,
    };
    state.save(&options.state_dir)?;
    Ok(Outcome {
        election,
        old_size,
        new_size: checkpoint.size,
        entries: checked,
        bytes: service.bytes,
        trusted_key: (run.previous.is_none() && source == KeySource::FirstUse).then_some(key),
        witnessed,
    })
}

/// The new checkpoint against the last one verified (§5a, §6a).
fn check_against(
    service: &mut Service,
    run: &mut Run<'_>,
    state: &State,
    checkpoint: &TreeCheckpoint,
) -> Result<(), MonitorError> {
    if checkpoint.size < state.size {
        let what = format!(
            "the newest checkpoint has {} entries, fewer than the {} verified before",
            checkpoint.size, state.size
        );
        return Err(run.rewritten("rollback", what));
    }
    if checkpoint.size == state.size {
        if checkpoint.root != state.root {
            let what = format!(
                "two checkpoints of {} entries with different roots, {} before and {} now (a fork)",
                state.size,
                state.root.to_hex(),
                checkpoint.root.to_hex()
            );
            return Err(run.rewritten("fork", what));
        }
        return Ok(());
    }
    let body = service.get(&format!("log/consistency?from={}", state.size), MAX_CONSISTENCY_BYTES)?;
    let answer: ConsistencyAnswer = serde_json::from_slice(&body)
        .map_err(|e| MonitorError::Unavailable(format!("the consistency proof is not readable: {e}")))?;
    run.consistency = serde_json::from_slice(&body).ok();
    if answer.from != state.size
        || answer.to != checkpoint.size
        || answer.checkpoint != run.checkpoint.clone().unwrap_or_default()
    {
        return Err(MonitorError::Unavailable(
            "the checkpoint changed while the monitor ran (or the proof is not for it)".into(),
        ));
    }
    verify_consistency(
        state.size,
        checkpoint.size,
        &state.root,
        &checkpoint.root,
        &answer.proof,
    )
    .map_err(|e| {
        let what = format!(
            "no consistency between the checkpoint of {} entries verified before and the new one of {}: {e}",
            state.size, checkpoint.size
        );
        run.rewritten("inconsistent", what)
    })
}

/// The hash chain (§5) against the election's newest signed checkpoint
/// (§6), when it is of the size just verified.
fn check_chain_head(service: &mut Service, run: &Run<'_>, key: &PublicKey, rules: &Rules) -> Result<(), MonitorError> {
    let body = service.get("checkpoint", MAX_CHECKPOINT_BYTES)?;
    let Ok(signed) = serde_json::from_slice::<SignedCheckpoint>(&body) else {
        return Err(MonitorError::Unavailable("the checkpoint (§6) is not readable".into()));
    };
    if !signed.verifies(key) || signed.checkpoint.election != run.election {
        return Err(MonitorError::Unavailable(
            "the checkpoint (§6) is not signed by the election key".into(),
        ));
    }
    if signed.checkpoint.size == rules.size && signed.checkpoint.head != rules.head {
        let what = format!(
            "the signed checkpoint of {} entries has head {}; the entries chain to {}",
            rules.size,
            signed.checkpoint.head.to_hex(),
            rules.head.to_hex()
        );
        return Err(run.rewritten("chain", what));
    }
    Ok(())
}

/// The state directory's file for an election (for messages and tests).
pub fn state_path(dir: &Path, election: &str) -> PathBuf {
    State::path(dir, election)
}
