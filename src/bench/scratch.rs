//! Scratch space that cleans up after itself: the work directory, SQLite
//! files in it, and PostgreSQL databases made for one run. Each guard
//! removes what it made when dropped, on success, error or panic alike.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use diesel::connection::SimpleConnection;

use crate::db;

/// Which database a measurement ran on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Backend {
    /// SQLite, in the work directory.
    Sqlite,
    /// PostgreSQL, in a database made for the run.
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        })
    }
}

/// A directory removed, with everything in it, when dropped.
pub struct WorkDir {
    path: PathBuf,
}

impl WorkDir {
    /// Make a new directory `teller-bench-XXXXXXXX` under `parent`.
    pub fn create(parent: &Path) -> Result<Self> {
        let path = parent.join(format!(
            "teller-bench-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        ));
        std::fs::create_dir_all(&path).with_context(|| format!("cannot create {}", path.display()))?;
        Ok(WorkDir { path })
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.path) {
            eprintln!("warning: could not remove {}: {e}", self.path.display());
        }
    }
}

/// A database made for one measurement, dropped (PostgreSQL) or deleted
/// (SQLite) when this is dropped.
pub struct ScratchDb {
    /// The backend.
    pub backend: Backend,
    /// The URL Teller uses for it (a file path for SQLite).
    pub url: String,
    postgres: Option<(String, String)>,
}

impl ScratchDb {
    /// A SQLite database `NAME.db` in `dir` (the file is created by its first use).
    pub fn sqlite(dir: &Path, name: &str) -> Self {
        ScratchDb {
            backend: Backend::Sqlite,
            url: dir.join(format!("{name}.db")).to_string_lossy().into_owned(),
            postgres: None,
        }
    }

    /// A new PostgreSQL database beside the one `admin_url` names, whose
    /// role must be allowed to create databases.
    pub fn postgres(admin_url: &str, label: &str) -> Result<Self> {
        let name = format!(
            "teller_bench_{label}_{}",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let url = with_database(admin_url, &name)?;
        let mut admin = db::connect_one(admin_url).context("cannot connect to PostgreSQL (--postgres-url)")?;
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .with_context(|| format!("cannot create the database {name}; may the role CREATE DATABASE?"))?;
        Ok(ScratchDb {
            backend: Backend::Postgres,
            url,
            postgres: Some((admin_url.to_string(), name)),
        })
    }
}

impl Drop for ScratchDb {
    fn drop(&mut self) {
        match &self.postgres {
            Some((admin_url, name)) => {
                // FORCE: a server child killed a moment ago may still hold
                // sessions. Retried, because PostgreSQL may be restarting.
                let mut last = String::new();
                for attempt in 0..10 {
                    if attempt > 0 {
                        std::thread::sleep(std::time::Duration::from_secs(1));
                    }
                    let dropped = db::connect_one(admin_url).map_err(|e| e.to_string()).and_then(|mut c| {
                        c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .map_err(|e| e.to_string())
                    });
                    match dropped {
                        Ok(()) => return,
                        Err(e) => last = e,
                    }
                }
                eprintln!(
                    "warning: could not drop the PostgreSQL database {name} ({last}); drop it with \
                     DROP DATABASE {name} WITH (FORCE)"
                );
            }
            None => {
                for suffix in ["", "-wal", "-shm", "-journal"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", self.url));
                }
            }
        }
    }
}

/// `url` with its database name replaced by `name`, keeping credentials,
/// host, port and query parameters.
pub fn with_database(url: &str, name: &str) -> Result<String> {
    let scheme_end = url
        .find("://")
        .map(|i| i + 3)
        .context("a PostgreSQL URL looks like postgres://user:password@host/database")?;
    let (before_query, query) = match url[scheme_end..].find('?') {
        Some(q) => url.split_at(scheme_end + q),
        None => (url, ""),
    };
    let authority_end = before_query[scheme_end..]
        .find('/')
        .map_or(before_query.len(), |i| scheme_end + i);
    Ok(format!("{}/{name}{query}", &before_query[..authority_end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_name_is_replaced_and_the_rest_kept() {
        let cases = [
            (
                "postgres://teller:teller@127.0.0.1/teller",
                "postgres://teller:teller@127.0.0.1/x",
            ),
            (
                "postgresql://u:p@h:5433/db?sslmode=require",
                "postgresql://u:p@h:5433/x?sslmode=require",
            ),
            ("postgres://u@h", "postgres://u@h/x"),
            ("postgres://u@h?sslmode=disable", "postgres://u@h/x?sslmode=disable"),
        ];
        for (from, to) in cases {
            assert_eq!(with_database(from, "x").unwrap(), to);
        }
        assert!(with_database("teller.db", "x").is_err());
    }

    #[test]
    fn sqlite_files_are_removed_with_the_guard() {
        let dir = tempfile::tempdir().unwrap();
        let db = ScratchDb::sqlite(dir.path(), "t");
        std::fs::write(&db.url, b"x").unwrap();
        std::fs::write(format!("{}-wal", db.url), b"x").unwrap();
        drop(db);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn the_work_directory_goes_with_its_contents() {
        let parent = tempfile::tempdir().unwrap();
        let work = WorkDir::create(parent.path()).unwrap();
        std::fs::write(work.path().join("f"), b"x").unwrap();
        let path = work.path().to_path_buf();
        drop(work);
        assert!(!path.exists());
    }
}
