//! Files and directories that hold personal data or secrets (the SQLite
//! database and its `-wal`/`-shm`, the master secret, `tokens.csv`, the
//! demo's data directory) are created readable by their owner only: mode
//! 0600 for files and 0700 for directories on Unix. The mode is given when
//! the file is created, so no umask can widen it, and no moment passes in
//! which others could open it.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// Mode of a file that holds personal data or secrets.
pub const PRIVATE_FILE: u32 = 0o600;
/// Mode of a directory that holds such files.
pub const PRIVATE_DIR: u32 = 0o700;

/// Create a new file only its owner can read and write; fails if `path`
/// exists, so nothing already there (or a planted link) is overwritten.
pub fn create_new(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(PRIVATE_FILE);
    }
    options.open(path)
}

/// Create `path` as an empty owner-only file unless it exists already
/// (an existing file keeps its mode). Returns whether it was created.
pub fn ensure_exists(path: &Path) -> io::Result<bool> {
    match create_new(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

/// Create a directory and any missing parents; each one created is owner-only.
pub fn create_dir_all(path: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(PRIVATE_DIR);
    }
    builder.create(path)
}

/// Whether others than the owner may read or write `path` (always false
/// off Unix, where modes do not apply).
pub fn readable_by_others(path: &Path) -> io::Result<bool> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        Ok(std::fs::metadata(path)?.permissions().mode() & 0o077 != 0)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(false)
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0)
    }

    #[test]
    fn files_and_directories_are_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        create_dir_all(&nested).unwrap();
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        assert_eq!(mode(&nested), 0o700);
        let f = nested.join("f");
        create_new(&f).unwrap();
        assert_eq!(mode(&f), 0o600);
        assert!(create_new(&f).is_err(), "an existing file is not overwritten");
        assert!(!ensure_exists(&f).unwrap());
        assert!(!readable_by_others(&f).unwrap());
    }
}
