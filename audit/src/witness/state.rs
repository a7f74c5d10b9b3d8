//! A witness's memory (FORMAT.md §6b): per log, the latest checkpoint it
//! cosigned. One file per origin in the state directory, named by the
//! SHA-256 of the origin in hex, replaced atomically: written to a
//! temporary file, flushed to disk, renamed over the old one, and the
//! directory flushed, so a crash leaves either the old or the new state,
//! never a mix and never nothing.
//!
//! Losing this file would let the log have a fork cosigned: a witness
//! that forgets a log refuses to start rather than begin again from zero.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::crypto::Digest;

/// The `format` of a state file.
pub const STATE_FORMAT: &str = "teller-witness-state/1";

/// The latest checkpoint the witness cosigned for one log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cosigned {
    /// [`STATE_FORMAT`].
    pub format: String,
    /// The log's origin.
    pub origin: String,
    /// The checkpoint's size.
    pub size: u64,
    /// The checkpoint's root.
    pub root: Digest,
    /// The signed note as submitted, with the witness's cosignature added:
    /// what a monitor may ask for.
    pub note: String,
}

/// Why the state could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The file system failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What failed.
        source: io::Error,
    },
    /// A state file is not one this witness wrote for that origin.
    #[error("{path} is damaged or not a witness state file: {why}")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
}

/// The state directory.
#[derive(Debug, Clone)]
pub struct StateDir {
    dir: PathBuf,
}

/// The error of an I/O step on `path`.
fn io_at(path: &Path) -> impl FnOnce(io::Error) -> StateError + '_ {
    move |source| StateError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl StateDir {
    /// Use `dir` (created if missing, owner-only on Unix).
    pub fn open(dir: &Path) -> Result<StateDir, StateError> {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder.create(dir).map_err(io_at(dir))?;
        Ok(StateDir { dir: dir.to_path_buf() })
    }

    /// The file of `origin`: `<SHA-256(origin) in hex>.json`.
    pub fn file_of(&self, origin: &str) -> PathBuf {
        self.dir
            .join(format!("{}.json", Digest::of(origin.as_bytes()).to_hex()))
    }

    /// The latest checkpoint cosigned for `origin`, if any.
    pub fn load(&self, origin: &str) -> Result<Option<Cosigned>, StateError> {
        let path = self.file_of(origin);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_at(&path)(e)),
        };
        let damaged = |why: String| StateError::Damaged {
            path: path.clone(),
            why,
        };
        let state: Cosigned = serde_json::from_slice(&bytes).map_err(|e| damaged(e.to_string()))?;
        if state.format != STATE_FORMAT || state.origin != origin {
            return Err(damaged(format!("expected {STATE_FORMAT} for {origin}")));
        }
        Ok(Some(state))
    }

    /// Replace the state of `state.origin`, durably and atomically.
    pub fn store(&self, state: &Cosigned) -> Result<(), StateError> {
        let path = self.file_of(&state.origin);
        let temporary = path.with_extension("json.tmp");
        let bytes = serde_json::to_vec_pretty(state).map_err(|e| StateError::Damaged {
            path: path.clone(),
            why: e.to_string(),
        })?;
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temporary)
            .map_err(io_at(&temporary))?;
        file.write_all(&bytes).map_err(io_at(&temporary))?;
        file.sync_all().map_err(io_at(&temporary))?;
        drop(file);
        fs::rename(&temporary, &path).map_err(io_at(&path))?;
        sync_dir(&self.dir)
    }

    /// Keep a validly signed checkpoint that failed the consistency checks:
    /// it may prove the log forked. Named by the SHA-256 of the request, so
    /// a repeated one is kept once. Returns the file written.
    pub fn keep_evidence(&self, origin: &str, request: &[u8]) -> Result<PathBuf, StateError> {
        let dir = self.dir.join("evidence");
        fs::create_dir_all(&dir).map_err(io_at(&dir))?;
        let name = format!(
            "{}-{}.txt",
            &Digest::of(origin.as_bytes()).to_hex()[..16],
            Digest::of(request).to_hex()
        );
        let path = dir.join(name);
        fs::write(&path, request).map_err(io_at(&path))?;
        Ok(path)
    }
}

/// Flush a directory's entries (the rename) to disk.
fn sync_dir(dir: &Path) -> Result<(), StateError> {
    #[cfg(unix)]
    {
        File::open(dir).and_then(|d| d.sync_all()).map_err(io_at(dir))?;
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("teller-witness-state-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    fn state(size: u64) -> Cosigned {
        Cosigned {
            format: STATE_FORMAT.into(),
            origin: "vote.example.org/teller/x".into(),
            size,
            root: Digest::of(&size.to_be_bytes()),
            note: "note\n".into(),
        }
    }

    #[test]
    fn a_stored_state_is_read_back_and_replaced() {
        let dir = temp_dir("round-trip");
        let states = StateDir::open(&dir).unwrap();
        assert_eq!(states.load("vote.example.org/teller/x").unwrap(), None);
        states.store(&state(3)).unwrap();
        states.store(&state(5)).unwrap();
        assert_eq!(states.load("vote.example.org/teller/x").unwrap(), Some(state(5)));
        let names: Vec<_> = fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 1, "no temporary file is left: {names:?}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_damaged_or_foreign_state_is_an_error_not_a_fresh_start() {
        let dir = temp_dir("damaged");
        let states = StateDir::open(&dir).unwrap();
        let path = states.file_of("vote.example.org/teller/x");
        fs::write(&path, b"{").unwrap();
        assert!(matches!(
            states.load("vote.example.org/teller/x"),
            Err(StateError::Damaged { .. })
        ));
        let mut other = state(1);
        other.origin = "elsewhere".into();
        fs::write(&path, serde_json::to_vec(&other).unwrap()).unwrap();
        assert!(matches!(
            states.load("vote.example.org/teller/x"),
            Err(StateError::Damaged { .. })
        ));
        fs::remove_dir_all(&dir).unwrap();
    }
}
