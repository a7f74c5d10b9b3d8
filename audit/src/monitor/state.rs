//! What a monitor remembers of an election between runs, one JSON file per
//! election in its state directory, and the evidence files it writes.
//! Every file is written whole or not at all: a temporary file beside it,
//! flushed to disk, then renamed over the old one.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::rules::Rules;
use crate::crypto::{Digest, PublicKey};
use crate::merkle::Frontier;
use crate::note::TreeCheckpoint;

/// The `format` of a state file.
pub const STATE_FORMAT: &str = "teller-monitor-state/1";
/// The longest state file read (its size grows with the log's only as
/// log₂ n, and with the number of certifiers).
const MAX_STATE_BYTES: u64 = 1 << 20;

/// Where the election key came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeySource {
    /// `--key`.
    Given,
    /// Entry 0 of the log, on the first run (trust on first use).
    FirstUse,
}

/// The state of one election, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// Always [`STATE_FORMAT`].
    pub format: String,
    /// The election's id.
    pub election: String,
    /// The API base the log was read from.
    pub url: String,
    /// The election key.
    pub public_key: PublicKey,
    /// Where the key came from.
    pub key_source: KeySource,
    /// The last verified tree checkpoint, as its signed note.
    pub checkpoint: String,
    /// Its size.
    pub size: u64,
    /// Its root.
    pub root: Digest,
    /// The roots of the complete subtrees of the log of `size` entries,
    /// largest first (the tree's right edge).
    pub frontier: Vec<Digest>,
    /// The rules' memory, with the hash chain's head.
    pub rules: Rules,
}

/// Why the state directory could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// The state file is not one this monitor wrote, or was damaged.
    #[error("{path}: not a monitor state file ({why}); move it away to start again")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
}

impl State {
    /// The state file of `election` in `dir`.
    pub fn path(dir: &Path, election: &str) -> PathBuf {
        dir.join(format!("{election}.json"))
    }

    /// The stored state of `election`, checked: its note verifies with its
    /// key and states its size and root, and its frontier has that root.
    pub fn load(dir: &Path, election: &str) -> Result<Option<State>, StateError> {
        let path = Self::path(dir, election);
        let io = |source| StateError::Io {
            path: path.clone(),
            source,
        };
        let file = match fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(e)),
        };
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::Read::take(file, MAX_STATE_BYTES), &mut bytes).map_err(io)?;
        let damaged = |why: String| StateError::Damaged {
            path: path.clone(),
            why,
        };
        let state: State = serde_json::from_slice(&bytes).map_err(|e| damaged(e.to_string()))?;
        state.check(election).map_err(damaged)?;
        Ok(Some(state))
    }

    /// The checks [`State::load`] makes.
    fn check(&self, election: &str) -> Result<(), String> {
        if self.format != STATE_FORMAT || self.election != election {
            return Err(format!("expected format {STATE_FORMAT} of election {election}"));
        }
        let cp = TreeCheckpoint::open(&self.checkpoint, election, &self.public_key).map_err(|e| e.to_string())?;
        if cp.size != self.size || cp.root != self.root || self.rules.size != self.size {
            return Err("its size and root differ from its checkpoint's".into());
        }
        let frontier = self.frontier().ok_or("its frontier does not fit its size")?;
        if frontier.root() != self.root {
            return Err("its frontier does not lead to its root".into());
        }
        Ok(())
    }

    /// The tree's right edge as a frontier to extend.
    pub fn frontier(&self) -> Option<Frontier> {
        Frontier::from_parts(self.size, self.frontier.clone())
    }

    /// Write the state of its election into `dir`, atomically.
    pub fn save(&self, dir: &Path) -> Result<(), StateError> {
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| StateError::Damaged {
            path: dir.to_path_buf(),
            why: e.to_string(),
        })?;
        write_atomically(&Self::path(dir, &self.election), &bytes)
    }
}

/// Write `bytes` to `path` whole or not at all: a temporary file in the
/// same directory, flushed to disk, renamed over `path`, and the directory
/// flushed so that the rename itself survives a crash.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), StateError> {
    let io = |source| StateError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut file = fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temp, path)?;
        // Flushing a directory is how POSIX keeps a rename; elsewhere the
        // open may fail, and the rename is as durable as the system makes it.
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written.map_err(io)
}
