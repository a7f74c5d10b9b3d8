//! A witness for Teller's logs (FORMAT.md §6b): the `add-checkpoint` call
//! of `c2sp.org/tlog-witness`, as plain functions over a request body. It
//! checks that a checkpoint is signed by the log's key and extends the
//! latest one it cosigned for that log, records it, and cosigns it
//! (`c2sp.org/tlog-cosignature`, Ed25519). The HTTP server is `server.rs`;
//! the memory of each log, `state.rs`.

pub mod cli;
pub mod logs;
pub mod server;
pub mod state;

use std::collections::HashMap;
use std::sync::Mutex;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ring::signature::Ed25519KeyPair;

use crate::cosignature::{cosign, WitnessKey};
use crate::crypto::{Digest, PublicKey};
use crate::merkle::{empty_root, verify_consistency, ProofError};
use crate::note::{LogKey, NoteError, TreeCheckpoint};
use state::{Cosigned, StateDir, StateError, STATE_FORMAT};

/// The most consistency proof lines a request may carry (tlog-witness).
pub const MAX_PROOF_LINES: usize = 63;

/// A parsed `add-checkpoint` request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpoint<'a> {
    /// The size of the checkpoint the client believes the witness holds.
    pub old: u64,
    /// The consistency proof from `old` to the checkpoint's size.
    pub proof: Vec<Digest>,
    /// The signed note of the checkpoint.
    pub note: &'a str,
}

/// Why a checkpoint was not cosigned, with the HTTP status of each
/// (tlog-witness, FORMAT.md §6b).
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// 400: the body is not an `add-checkpoint` request.
    #[error("malformed request: {0}")]
    Malformed(String),
    /// 404: no log with this origin is witnessed here.
    #[error("unknown origin {0:?}")]
    UnknownOrigin(String),
    /// 403: the log's key did not sign the checkpoint.
    #[error("{origin}: not signed by the log's key: {why}")]
    Unsigned {
        /// The origin.
        origin: String,
        /// What the note lacks.
        why: NoteError,
    },
    /// 400: the old size is above the checkpoint's size.
    #[error("{origin}: old size {old} is above the checkpoint's size {size}")]
    OldAboveSize {
        /// The origin.
        origin: String,
        /// The old size given.
        old: u64,
        /// The checkpoint's size.
        size: u64,
    },
    /// 409: the old size is not the size the witness last cosigned.
    #[error("{origin}: old size {old} is not {latest}, the size last cosigned")]
    Conflict {
        /// The origin.
        origin: String,
        /// The old size given.
        old: u64,
        /// The size last cosigned (0 if none).
        latest: u64,
    },
    /// 422: the checkpoint does not extend the latest one cosigned: a
    /// rewritten past, or a fork (the same size with another root).
    #[error("{origin}: size {size} is not consistent with size {old} last cosigned: {why}")]
    Inconsistent {
        /// The origin.
        origin: String,
        /// The size last cosigned.
        old: u64,
        /// The checkpoint's size.
        size: u64,
        /// What failed.
        why: Inconsistency,
        /// Where the request was kept as evidence, if it could be.
        evidence: Option<std::path::PathBuf>,
    },
    /// 500: the state could not be written; nothing was cosigned.
    #[error("{origin}: cannot record the checkpoint: {why}")]
    Storage {
        /// The origin.
        origin: String,
        /// The failure (logged, not sent).
        why: StateError,
    },
}

/// What made a checkpoint inconsistent with the witness's view.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Inconsistency {
    /// A checkpoint of size 0 whose root is not that of the empty tree.
    #[error("a tree of size 0 must have the empty tree's root")]
    EmptyRoot,
    /// The same size as last cosigned, another root: a fork.
    #[error("the same size with another root: the log forked")]
    Fork,
    /// The consistency proof fails.
    #[error("{0}")]
    Proof(ProofError),
}

impl Refusal {
    /// The HTTP status code of the refusal.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::Malformed(_) | Refusal::OldAboveSize { .. } => 400,
            Refusal::Unsigned { .. } => 403,
            Refusal::UnknownOrigin(_) => 404,
            Refusal::Conflict { .. } => 409,
            Refusal::Inconsistent { .. } => 422,
            Refusal::Storage { .. } => 500,
        }
    }
}

/// A cosigned checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The log's origin.
    pub origin: String,
    /// The size the witness held before.
    pub old: u64,
    /// The checkpoint's size.
    pub size: u64,
    /// The checkpoint's root.
    pub root: Digest,
    /// The response body: the cosignature line, ending in a newline.
    pub lines: String,
}

/// Read a decimal number without leading zeros (`0` alone is zero).
fn parse_decimal(s: &str) -> Option<u64> {
    let canonical = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    s.parse().ok().filter(|_| canonical)
}

/// Read a hash in standard base64 (exactly 32 bytes, canonical padding).
fn parse_hash(s: &str) -> Option<Digest> {
    let bytes = STANDARD.decode(s).ok()?;
    let hash: [u8; 32] = bytes.try_into().ok()?;
    (STANDARD.encode(hash) == s).then_some(Digest(hash))
}

/// Parse an `add-checkpoint` body: `old N`, up to 63 base64 hashes, one
/// per line, an empty line, and the checkpoint's signed note.
pub fn parse_request(body: &[u8]) -> Result<AddCheckpoint<'_>, Refusal> {
    let bad = |why: &str| Refusal::Malformed(why.to_string());
    let text = std::str::from_utf8(body).map_err(|_| bad("the body is not UTF-8"))?;
    let Some((first, mut rest)) = text.split_once('\n') else {
        return Err(bad("no old size line"));
    };
    let Some(old) = first.strip_prefix("old ").and_then(parse_decimal) else {
        return Err(bad("the first line is not `old` and a size without leading zeros"));
    };
    let mut proof = Vec::new();
    loop {
        let Some((line, after)) = rest.split_once('\n') else {
            return Err(bad("no empty line before the checkpoint"));
        };
        rest = after;
        if line.is_empty() {
            break;
        }
        if proof.len() == MAX_PROOF_LINES {
            return Err(bad("more than 63 consistency proof lines"));
        }
        proof.push(parse_hash(line).ok_or_else(|| bad("a proof line is not a 32-byte hash in base64"))?);
    }
    if rest.is_empty() {
        return Err(bad("no checkpoint after the empty line"));
    }
    Ok(AddCheckpoint { old, proof, note: rest })
}

/// One log the witness follows: its key and, locked, its latest cosigned
/// checkpoint. The lock makes check-and-update atomic per log.
struct Log {
    key: PublicKey,
    latest: Mutex<Option<Cosigned>>,
}

/// A witness: its key and name, the logs it follows, and its state.
pub struct Witness {
    name: String,
    secret: Ed25519KeyPair,
    logs: HashMap<String, Log>,
    /// Each origin by the lower-case hex of its SHA-256 (monitors' URLs).
    by_hash: HashMap<String, String>,
    states: StateDir,
}

impl std::fmt::Debug for Witness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Witness")
            .field("name", &self.name)
            .field("logs", &self.logs.len())
            .finish_non_exhaustive()
    }
}

impl Witness {
    /// A witness named `name` with key `secret`, following `logs` (one key
    /// per origin), its memory in `states`: each log's state is read now,
    /// and a damaged one is an error.
    pub fn open(name: &str, secret: Ed25519KeyPair, logs: &[LogKey], states: StateDir) -> Result<Witness, StateError> {
        let mut map = HashMap::new();
        for log in logs {
            let latest = states.load(&log.origin)?;
            map.insert(
                log.origin.clone(),
                Log {
                    key: log.key,
                    latest: Mutex::new(latest),
                },
            );
        }
        let by_hash = map
            .keys()
            .map(|origin| (Digest::of(origin.as_bytes()).to_hex(), origin.clone()))
            .collect();
        Ok(Witness {
            name: name.to_string(),
            secret,
            logs: map,
            by_hash,
            states,
        })
    }

    /// The witness's public key.
    pub fn key(&self) -> WitnessKey {
        WitnessKey::of(&self.name, &self.secret)
    }

    /// The latest checkpoint cosigned for `origin`, as a note carrying the
    /// witness's cosignature (the monitoring view of tlog-witness).
    pub fn latest_note(&self, origin: &str) -> Option<String> {
        let log = self.logs.get(origin)?;
        let latest = log.latest.lock().unwrap_or_else(|p| p.into_inner());
        latest.as_ref().map(|state| state.note.clone())
    }

    /// The origin whose SHA-256, in lower-case hex, is `hash`.
    pub fn origin_of_hash(&self, hash: &str) -> Option<&str> {
        self.by_hash.get(hash).map(String::as_str)
    }

    /// `add-checkpoint`: check the request in the order of tlog-witness,
    /// and, if it passes, record the checkpoint durably and cosign it at
    /// `now` (seconds since the epoch). A validly signed checkpoint that
    /// fails the consistency checks is kept as evidence.
    pub fn add_checkpoint(&self, body: &[u8], now: u64) -> Result<Accepted, Refusal> {
        let request = parse_request(body)?;
        // The note's first line names the log; its key then checks the rest.
        let origin = request.note.split('\n').next().unwrap_or_default();
        let Some(log) = self.logs.get(origin) else {
            return Err(Refusal::UnknownOrigin(origin.chars().take(200).collect()));
        };
        let origin = origin.to_string();
        let checkpoint = match TreeCheckpoint::open_log(request.note, &log.key) {
            Ok(checkpoint) => checkpoint,
            Err(why @ NoteError::Unsigned { .. }) => return Err(Refusal::Unsigned { origin, why }),
            Err(why) => return Err(Refusal::Malformed(why.to_string())),
        };
        if request.old > checkpoint.size {
            return Err(Refusal::OldAboveSize {
                origin,
                old: request.old,
                size: checkpoint.size,
            });
        }
        // From here to the state's update, one request per log at a time.
        let mut latest = log.latest.lock().unwrap_or_else(|p| p.into_inner());
        let (held, held_root) = latest.as_ref().map_or((0, empty_root()), |s| (s.size, s.root));
        if request.old != held {
            return Err(Refusal::Conflict {
                origin,
                old: request.old,
                latest: held,
            });
        }
        if let Err(why) = consistent(held, &held_root, &checkpoint, &request.proof) {
            // Best effort: the refusal stands whether or not it is kept.
            let evidence = self.states.keep_evidence(&origin, body).ok();
            return Err(Refusal::Inconsistent {
                origin,
                old: held,
                size: checkpoint.size,
                why,
                evidence,
            });
        }
        let line = cosign(&self.secret, &self.name, &checkpoint.text(), now);
        let state = Cosigned {
            format: STATE_FORMAT.into(),
            origin: origin.clone(),
            size: checkpoint.size,
            root: checkpoint.root,
            note: crate::cosignature::add_lines(request.note, std::slice::from_ref(&line)),
        };
        // Recorded before answering: a cosignature never outlives a crash
        // that forgot it.
        if let Err(why) = self.states.store(&state) {
            return Err(Refusal::Storage { origin, why });
        }
        *latest = Some(state);
        Ok(Accepted {
            origin,
            old: held,
            size: checkpoint.size,
            root: checkpoint.root,
            lines: line,
        })
    }
}

/// tlog-witness's consistency checks, from the witness's latest cosigned
/// size and root (0 and the empty root if none) to the checkpoint.
fn consistent(
    held: u64,
    held_root: &Digest,
    checkpoint: &TreeCheckpoint,
    proof: &[Digest],
) -> Result<(), Inconsistency> {
    if checkpoint.size == 0 && checkpoint.root != empty_root() {
        return Err(Inconsistency::EmptyRoot);
    }
    if held == checkpoint.size && proof.is_empty() && *held_root != checkpoint.root {
        return Err(Inconsistency::Fork);
    }
    // Covers the rest: an empty proof from 0, equal roots at equal sizes,
    // and RFC 9162 §2.1.4.2 between.
    verify_consistency(held, checkpoint.size, held_root, &checkpoint.root, proof).map_err(Inconsistency::Proof)
}

#[cfg(test)]
mod tests;
