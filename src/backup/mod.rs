//! `teller backup` and `teller restore`: a consistent copy of the live
//! database, made while the server runs, encrypted and authenticated
//! ([`stream`]), and restored only into a fresh database.
//!
//! - SQLite: `VACUUM INTO` copies the database from one read transaction —
//!   the same consistent snapshot SQLite's online backup API gives, without
//!   `unsafe` code — while casting goes on (WAL readers do not block
//!   writers). The copy is written into an owner-only directory beside the
//!   output, encrypted into the backup, and deleted.
//! - PostgreSQL: `pg_dump --format=custom` (one snapshot of the whole
//!   database), its output encrypted as it streams: no plaintext copy is
//!   written. Restore streams the decrypted archive into `pg_restore
//!   --single-transaction`, and closes its input only once the final chunk
//!   has authenticated; a damaged file kills it before it commits.
//!
//! Either way a restore writes nothing unless the whole file authenticates,
//! refuses a target that holds anything, and then brings the schema up to
//! date, so a backup made by an older version restores into a newer one.

pub mod stream;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use diesel::connection::SimpleConnection;
use diesel::RunQueryDsl;

use crate::db::{self, AnyConnection};
use crate::secrets::BackupKey;
use stream::{backup_error, read_header, BackupFileError, Header, Opener, Sealer};

/// Why a backup or restore failed. Nothing is left behind either way: no
/// partial backup file, and no partly restored database.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The database could not be used.
    #[error(transparent)]
    Db(#[from] db::DbError),
    /// The backup file is not usable.
    #[error(transparent)]
    File(#[from] BackupFileError),
    /// A file could not be read or written.
    #[error("{0}")]
    Io(String),
    /// `pg_dump` or `pg_restore` failed or is missing.
    #[error("{0}")]
    Tool(String),
    /// The target is not a fresh database, or is the wrong kind.
    #[error("{0}")]
    Target(String),
}

impl From<diesel::result::Error> for BackupError {
    fn from(e: diesel::result::Error) -> Self {
        BackupError::Db(e.into())
    }
}

fn io_err(what: impl std::fmt::Display) -> impl FnOnce(std::io::Error) -> BackupError {
    move |e| BackupError::Io(format!("{what}: {e}"))
}

/// What a backup holds, for the operator.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The header written or read.
    pub header: Header,
    /// Bytes of database (plaintext) in it.
    pub bytes: u64,
}

#[derive(diesel::QueryableByName)]
struct Version {
    #[diesel(sql_type = diesel::sql_types::Text)]
    version: String,
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// The newest schema migration applied to `conn`'s database ("" if none).
fn schema_version(conn: &mut AnyConnection) -> Result<String, BackupError> {
    let q = diesel::sql_query("SELECT version FROM __diesel_schema_migrations ORDER BY version DESC LIMIT 1");
    let rows: Vec<Version> = match conn {
        AnyConnection::Sqlite(c) => q.load(c),
        AnyConnection::Postgresql(c) => q.load(c),
    }
    .map_err(|_| BackupError::Target("this database holds no Teller schema: nothing to back up".into()))?;
    Ok(rows.into_iter().next().map(|r| r.version).unwrap_or_default())
}

/// Back up the database at `url` to `out` (which must not exist),
/// encrypted under `key`. Safe while `teller serve` runs and polls are open.
pub fn backup(url: &str, key: &BackupKey, out: &Path) -> Result<Summary, BackupError> {
    if out.exists() {
        return Err(BackupError::Io(format!(
            "{} exists already; give a new file name (backups are never overwritten)",
            out.display()
        )));
    }
    let postgres = db::is_postgres_url(url);
    if !postgres {
        match db::sqlite_file(url) {
            Some(path) if path.exists() => {}
            Some(path) => {
                return Err(BackupError::Target(format!(
                    "there is no database at {}",
                    path.display()
                )))
            }
            None => return Err(BackupError::Target("an in-memory database cannot be backed up".into())),
        }
    }
    let mut conn = db::connect_one(url)?;
    let mut header = Header {
        format: String::new(),
        backend: if postgres { "postgres" } else { "sqlite" }.to_string(),
        created_at: crate::time::format_rfc3339(crate::time::now()),
        teller_version: env!("CARGO_PKG_VERSION").to_string(),
        schema: schema_version(&mut conn)?,
        key: String::new(),
        key_id: String::new(),
        salt: String::new(),
        chunk_size: 0,
    };

    // Written beside `out` under a temporary name, renamed when complete.
    let partial = sibling(out, ".partial");
    let result = (|| {
        let file =
            crate::files::create_new(&partial).map_err(io_err(format!("cannot create {}", partial.display())))?;
        let mut sealer =
            Sealer::new(std::io::BufWriter::new(file), key, &mut header).map_err(io_err("cannot write the backup"))?;
        if postgres {
            drop(conn);
            pg_dump_into(url, &mut sealer)?;
        } else {
            sqlite_snapshot_into(&mut conn, out, &mut sealer)?;
        }
        let bytes = sealer.plaintext_bytes;
        let file = sealer
            .finish()
            .map_err(io_err("cannot write the backup"))?
            .into_inner()
            .map_err(|e| BackupError::Io(format!("cannot write the backup: {}", e.error())))?;
        file.sync_all().map_err(io_err("cannot write the backup"))?;
        Ok(bytes)
    })();
    match result {
        Ok(bytes) => {
            std::fs::rename(&partial, out).map_err(io_err(format!("cannot rename to {}", out.display())))?;
            sync_parent(out);
            Ok(Summary { header, bytes })
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

fn sync_parent(path: &Path) {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        if let Ok(dir) = std::fs::File::open(parent) {
            let _ = dir.sync_all();
        }
    }
}

/// A private directory beside `near` for plaintext that must not outlive us.
struct PrivateDir(PathBuf);

impl PrivateDir {
    fn beside(near: &Path) -> Result<Self, BackupError> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let dir = sibling(near, &format!(".tmp-{}", &id[..12]));
        crate::files::create_dir_all(&dir).map_err(io_err(format!("cannot create {}", dir.display())))?;
        Ok(PrivateDir(dir))
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Copy the SQLite database from one read transaction (`VACUUM INTO`) and
/// encrypt the copy into `sealer`.
fn sqlite_snapshot_into(conn: &mut AnyConnection, out: &Path, sealer: &mut impl Write) -> Result<(), BackupError> {
    let dir = PrivateDir::beside(out)?;
    let copy = dir.0.join("snapshot.db");
    let path = copy
        .to_str()
        .ok_or_else(|| BackupError::Io("the backup's directory name is not UTF-8".into()))?;
    conn.batch_execute(&format!("VACUUM INTO '{}'", path.replace('\'', "''")))?;
    let mut file = std::fs::File::open(&copy).map_err(io_err("cannot read the snapshot"))?;
    std::io::copy(&mut file, sealer).map_err(io_err("cannot write the backup"))?;
    Ok(())
}

/// A `postgres://` URL split for libpq's tools: the URL without its
/// password, and the password (for `PGPASSWORD`, so it is not in the
/// process list).
fn pg_target(url: &str) -> Result<(String, Option<String>), BackupError> {
    let mut parsed = url::Url::parse(url).map_err(|e| BackupError::Target(format!("the database URL: {e}")))?;
    let password = parsed.password().map(|p| {
        url::form_urlencoded::parse(format!("p={p}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    });
    let _ = parsed.set_password(None);
    Ok((parsed.to_string(), password))
}

fn pg_tool(name: &str, url: &str) -> Result<Command, BackupError> {
    let (target, password) = pg_target(url)?;
    let mut c = Command::new(name);
    c.arg(format!("--dbname={target}"));
    if let Some(p) = password {
        c.env("PGPASSWORD", p);
    }
    Ok(c)
}

fn missing_tool(name: &str, e: std::io::Error) -> BackupError {
    if e.kind() == std::io::ErrorKind::NotFound {
        BackupError::Tool(format!(
            "{name} was not found: install PostgreSQL's client programs (Debian: postgresql-client, the same \
             major version as the server or newer) and make sure {name} is on PATH"
        ))
    } else {
        BackupError::Tool(format!("cannot run {name}: {e}"))
    }
}

/// Run `pg_dump` and encrypt its archive into `sealer` as it streams.
fn pg_dump_into(url: &str, sealer: &mut impl Write) -> Result<(), BackupError> {
    let mut child = pg_tool("pg_dump", url)?
        .args(["--format=custom", "--no-owner", "--no-privileges", "--compress=6"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| missing_tool("pg_dump", e))?;
    let copied = match child.stdout.take() {
        Some(mut stdout) => std::io::copy(&mut stdout, sealer).map(|_| ()),
        None => Ok(()),
    };
    let output = child.wait_with_output().map_err(|e| missing_tool("pg_dump", e))?;
    if !output.status.success() {
        return Err(BackupError::Tool(format!(
            "pg_dump failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    copied.map_err(io_err("cannot write the backup"))
}

/// Read a backup's header without its key (to say what it is).
pub fn inspect(file: &Path) -> Result<Header, BackupError> {
    let mut input = std::fs::File::open(file).map_err(io_err(format!("cannot open {}", file.display())))?;
    Ok(read_header(&mut input)?.0)
}

/// Restore `file` into the fresh database at `url`, then migrate it.
pub fn restore(file: &Path, key: &BackupKey, url: &str) -> Result<Summary, BackupError> {
    let input = std::fs::File::open(file).map_err(io_err(format!("cannot open {}", file.display())))?;
    let mut input = std::io::BufReader::new(input);
    let (header, line) = read_header(&mut input)?;
    let postgres = db::is_postgres_url(url);
    match (header.backend.as_str(), postgres) {
        ("sqlite", false) | ("postgres", true) => {}
        ("sqlite", true) => {
            return Err(BackupError::Target(
                "this is a backup of a SQLite database: restore it to a SQLite file path, not a postgres:// URL".into(),
            ))
        }
        ("postgres", false) => {
            return Err(BackupError::Target(
                "this is a backup of a PostgreSQL database: restore it to an empty PostgreSQL database \
                 (--database-url postgres://…)"
                    .into(),
            ))
        }
        (other, _) => return Err(BackupFileError::NotABackup(format!("unknown backend {other:?}")).into()),
    }
    let mut opener = Opener::new(input, key, &header, line)?;
    let bytes = if postgres {
        pg_restore_from(url, &mut opener)?
    } else {
        sqlite_restore_from(url, &mut opener)?
    };
    // Bring an older backup's schema up to date (and refuse a newer one).
    let mut conn = db::connect_one(url)?;
    db::migrate(&mut conn)?;
    Ok(Summary { header, bytes })
}

fn sqlite_restore_from(url: &str, opener: &mut impl Read) -> Result<u64, BackupError> {
    let target = db::sqlite_file(url)
        .ok_or_else(|| BackupError::Target("restore into a SQLite file path, not an in-memory database".into()))?;
    if target.exists() {
        return Err(BackupError::Target(format!(
            "{} exists: restore only into a new database file (move the old one aside first)",
            target.display()
        )));
    }
    let dir = PrivateDir::beside(target)?;
    let copy = dir.0.join("restore.db");
    let mut file = crate::files::create_new(&copy).map_err(io_err(format!("cannot create {}", copy.display())))?;
    let bytes = std::io::copy(opener, &mut file).map_err(backup_error)?;
    file.sync_all().map_err(io_err("cannot write the restored database"))?;
    drop(file);
    // Check it is a sound SQLite database before it takes the target's name.
    {
        let mut c = diesel::SqliteConnection::establish_readonly(&copy)?;
        let ok: Vec<IntegrityRow> = diesel::sql_query("PRAGMA integrity_check").load(&mut c)?;
        if ok.len() != 1 || ok[0].integrity_check != "ok" {
            return Err(BackupError::File(BackupFileError::Damaged(
                "the database inside fails SQLite's integrity check".into(),
            )));
        }
    }
    // `create_new` semantics for the rename: refuse if the target appeared meanwhile.
    std::fs::hard_link(&copy, target).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => BackupError::Target(format!(
            "{} appeared while restoring; nothing was restored",
            target.display()
        )),
        _ => BackupError::Io(format!("cannot create {}: {e}", target.display())),
    })?;
    sync_parent(target);
    Ok(bytes)
}

#[derive(diesel::QueryableByName)]
struct IntegrityRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    integrity_check: String,
}

trait EstablishReadonly: Sized {
    fn establish_readonly(path: &Path) -> Result<Self, BackupError>;
}

impl EstablishReadonly for diesel::SqliteConnection {
    fn establish_readonly(path: &Path) -> Result<Self, BackupError> {
        use diesel::Connection;
        let url = path
            .to_str()
            .ok_or_else(|| BackupError::Io("the restore path is not UTF-8".into()))?;
        diesel::SqliteConnection::establish(url)
            .map_err(|e| BackupError::File(BackupFileError::Damaged(format!("not a SQLite database: {e}"))))
    }
}

/// Whether the PostgreSQL database at `url` holds no tables.
fn pg_is_empty(url: &str) -> Result<(), BackupError> {
    let mut conn = db::connect_one(url)?;
    let q = diesel::sql_query(
        "SELECT COUNT(*) AS n FROM information_schema.tables \
         WHERE table_schema NOT IN ('pg_catalog', 'information_schema')",
    );
    let n: Vec<Count> = match &mut conn {
        AnyConnection::Postgresql(c) => q.load(c)?,
        AnyConnection::Sqlite(c) => q.load(c)?,
    };
    match n.first().map(|c| c.n) {
        Some(0) => Ok(()),
        Some(tables) => Err(BackupError::Target(format!(
            "the target database holds {tables} tables: restore only into an empty database \
             (createdb a new one); nothing was changed"
        ))),
        None => Err(BackupError::Target("cannot read the target database's tables".into())),
    }
}

/// Stream the decrypted archive into `pg_restore --single-transaction`;
/// its input is closed (letting it commit) only after the final chunk
/// authenticated.
fn pg_restore_from(url: &str, opener: &mut impl Read) -> Result<u64, BackupError> {
    pg_is_empty(url)?;
    let mut child = pg_tool("pg_restore", url)?
        .args([
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-privileges",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| missing_tool("pg_restore", e))?;
    let mut stdin = child.stdin.take();
    // Read stderr on a thread so a chatty pg_restore cannot block on it.
    let mut stderr = child.stderr.take();
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(e) = stderr.as_mut() {
            let _ = e.read_to_string(&mut text);
        }
        text
    });
    let mut bytes = 0u64;
    let mut buf = zeroize::Zeroizing::new(vec![0u8; 64 * 1024]);
    let fed: Result<(), BackupError> = loop {
        let n = match opener.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => n,
            Err(e) => break Err(backup_error(e).into()),
        };
        bytes += n as u64;
        let Some(pipe) = stdin.as_mut() else {
            break Err(BackupError::Tool("pg_restore closed its input".into()));
        };
        if let Err(e) = pipe.write_all(&buf[..n]) {
            break Err(BackupError::Tool(format!("pg_restore stopped reading: {e}")));
        }
    };
    if let Err(e) = fed {
        // Killed before its input ends, pg_restore never commits: the
        // transaction is rolled back with its connection.
        let _ = child.kill();
        let _ = child.wait();
        let _ = errors.join();
        return Err(e);
    }
    drop(stdin);
    let status = child.wait().map_err(|e| missing_tool("pg_restore", e))?;
    let text = errors.join().unwrap_or_default();
    if !status.success() {
        return Err(BackupError::Tool(format!(
            "pg_restore failed ({status}); nothing was restored: {}",
            text.trim()
        )));
    }
    Ok(bytes)
}
