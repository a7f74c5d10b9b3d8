//! The data layer's plumbing: one connection type for both backends, the
//! pool, migrations, and write transactions.
//!
//! SQLite (bundled, WAL, `synchronous=FULL`, busy timeout) is the embedded
//! default; PostgreSQL is production. Write transactions are `BEGIN
//! IMMEDIATE` on SQLite, so writers queue instead of failing on upgrade, and
//! take row locks on `log_heads` on PostgreSQL (see `store::log`).

pub mod schema;

use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::r2d2::{CustomizeConnection, ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

/// A connection to either backend.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    /// PostgreSQL: production, and several instances sharing one database.
    Postgresql(diesel::PgConnection),
    /// SQLite: the embedded default.
    Sqlite(diesel::SqliteConnection),
}

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Makes connections for the pool, choosing the backend by the URL, so that
/// a failure says what went wrong ("connection refused", "password
/// authentication failed") rather than that no backend took the URL.
#[derive(Debug, Clone)]
pub struct Manager {
    url: String,
}

impl ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, Self::Error> {
        establish(&self.url).map_err(diesel::r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

fn establish(url: &str) -> diesel::ConnectionResult<AnyConnection> {
    if is_postgres_url(url) {
        diesel::PgConnection::establish(url).map(AnyConnection::Postgresql)
    } else {
        // The database holds the roll's personal data: create it owner-only
        // before SQLite does (SQLite would use 0644 less the umask). Its
        // -wal and -shm files take the database file's mode.
        if let Some(path) = sqlite_file(url) {
            crate::files::ensure_exists(path).map_err(|e| {
                diesel::ConnectionError::BadConnection(format!("cannot create {}: {e}", path.display()))
            })?;
        }
        diesel::SqliteConnection::establish(url).map(AnyConnection::Sqlite)
    }
}

/// The file a SQLite URL names: a plain path, or a `file:` URI without
/// parameters; `None` for an in-memory database or a URI with parameters
/// (those are left to SQLite as given).
pub fn sqlite_file(url: &str) -> Option<&std::path::Path> {
    let path = match url.strip_prefix("file:") {
        Some(rest) if rest.contains('?') => return None,
        Some(rest) => rest,
        None => url,
    };
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    Some(std::path::Path::new(path))
}

/// Warn when an existing SQLite database (made before Teller created it
/// owner-only, or opened up since) can be read by others.
fn warn_if_readable_by_others(url: &str) {
    if let Some(path) = sqlite_file(url) {
        if matches!(crate::files::readable_by_others(path), Ok(true)) {
            tracing::warn!(
                path = %path.display(),
                "the database holds personal data and others may read it; make it owner-only: chmod 600 (and its -wal and -shm files)"
            );
        }
    }
}

/// A pool of connections.
pub type DbPool = Pool<Manager>;
/// A connection taken from the pool.
pub type DbConn = PooledConnection<Manager>;

/// Why the database could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// A query failed.
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
    /// No connection could be made or taken from the pool.
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    /// Migrations failed.
    #[error("cannot prepare the database schema: {0}")]
    Migrate(String),
}

/// Which backend a URL names: `postgres://` or `postgresql://`, else a SQLite path.
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

#[derive(Debug)]
struct SessionSetup;

impl CustomizeConnection<AnyConnection, diesel::r2d2::Error> for SessionSetup {
    // r2d2 calls this for every new connection.
    fn on_acquire(&self, conn: &mut AnyConnection) -> Result<(), diesel::r2d2::Error> {
        configure(conn).map_err(diesel::r2d2::Error::QueryError)
    }
}

fn configure(conn: &mut AnyConnection) -> diesel::QueryResult<()> {
    match conn {
        // FULL: a commit is on disk before it returns (acknowledged means durable).
        AnyConnection::Sqlite(c) => c.batch_execute(
            "PRAGMA busy_timeout = 15000; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
             PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;",
        ),
        // Durability is the server's `synchronous_commit`; insist on it.
        AnyConnection::Postgresql(c) => c.batch_execute("SET synchronous_commit = on"),
    }
}

/// Open a pool on `url` and bring the schema up to date.
pub fn connect(url: &str, max_size: u32) -> Result<DbPool, DbError> {
    // Fail the first connection quickly with its real reason.
    drop(connect_one(url)?);
    warn_if_readable_by_others(url);
    let manager = Manager { url: url.to_string() };
    let pool = Pool::builder()
        .max_size(max_size)
        // A request waits at most this long for a connection, then gets a
        // clear "unavailable, try again" (well inside the request timeout).
        .connection_timeout(Duration::from_secs(5))
        .connection_customizer(Box::new(SessionSetup))
        .build(manager)
        .map_err(|e| DbError::Connect(e.to_string()))?;
    let mut conn = pool.get().map_err(|e| DbError::Connect(e.to_string()))?;
    migrate(&mut conn)?;
    Ok(pool)
}

/// Run pending migrations; on PostgreSQL under an advisory lock, so that
/// instances starting together do not race.
///
/// A database whose schema a newer Teller has already migrated is refused,
/// naming the migration this binary does not know: running an older binary
/// on it could misread or damage what the newer one wrote.
pub fn migrate(conn: &mut AnyConnection) -> Result<(), DbError> {
    match conn {
        AnyConnection::Sqlite(c) => {
            refuse_newer_schema(c, &SQLITE_MIGRATIONS)?;
            c.run_pending_migrations(SQLITE_MIGRATIONS)
                .map(|_| ())
                .map_err(|e| DbError::Migrate(e.to_string()))
        }
        AnyConnection::Postgresql(c) => {
            c.batch_execute("SELECT pg_advisory_lock(7310117114)")?;
            let r = refuse_newer_schema(c, &POSTGRES_MIGRATIONS).and_then(|()| {
                c.run_pending_migrations(POSTGRES_MIGRATIONS)
                    .map(|_| ())
                    .map_err(|e| DbError::Migrate(e.to_string()))
            });
            c.batch_execute("SELECT pg_advisory_unlock(7310117114)")?;
            r
        }
    }
}

/// Refuse a database holding an applied migration this binary does not know.
fn refuse_newer_schema<DB: diesel::backend::Backend>(
    harness: &mut impl MigrationHarness<DB>,
    source: &EmbeddedMigrations,
) -> Result<(), DbError> {
    use diesel::migration::MigrationSource;
    let known: Vec<String> = MigrationSource::<DB>::migrations(source)
        .map_err(|e| DbError::Migrate(e.to_string()))?
        .iter()
        .map(|m| m.name().version().to_string())
        .collect();
    let applied = harness
        .applied_migrations()
        .map_err(|e| DbError::Migrate(e.to_string()))?;
    let newest = known.iter().max().cloned().unwrap_or_default();
    match applied.iter().map(|v| v.to_string()).find(|v| !known.contains(v)) {
        None => Ok(()),
        Some(unknown) => Err(DbError::Migrate(format!(
            "this database was upgraded by a newer version of Teller (it has schema migration {unknown}; \
             this version knows migrations up to {newest}). Run the newer version, or restore a backup \
             made before the upgrade; nothing was changed"
        ))),
    }
}

/// The page cache of the connection the cast worker keeps (SQLite), in KiB:
/// its inserts land at random places in the ballots' and alphas' indexes,
/// and SQLite's default of 2 MiB soon stops holding the pages they need
/// (BENCHMARKS.md, "A larger page cache"). Only that one connection has it.
pub const WRITER_CACHE_KIB: u32 = 16 * 1024;

/// Give `conn` the cast worker's page cache (SQLite; PostgreSQL keeps its
/// own), or, with `wide` false, SQLite's default again before it goes back
/// to the pool.
pub fn writer_cache(conn: &mut AnyConnection, wide: bool) -> diesel::QueryResult<()> {
    match conn {
        AnyConnection::Sqlite(c) => {
            let kib = if wide { WRITER_CACHE_KIB } else { 2000 };
            c.batch_execute(&format!("PRAGMA cache_size = -{kib}"))
        }
        AnyConnection::Postgresql(_) => Ok(()),
    }
}

/// Take a connection from the pool.
pub fn get(pool: &DbPool) -> Result<DbConn, DbError> {
    pool.get().map_err(|e| DbError::Connect(e.to_string()))
}

/// Run `f` in a write transaction: all or nothing, committed durably before
/// this returns `Ok`.
pub fn write_tx<T, E, F>(conn: &mut AnyConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        AnyConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        AnyConnection::Postgresql(c) => AnsiTransactionManager::begin_transaction(c)?,
    }
    match f(conn) {
        Ok(value) => {
            AnyConnection::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            // The error that caused the rollback matters more than a failed rollback.
            let _ = AnyConnection::rollback_transaction(conn);
            Err(e)
        }
    }
}

/// Run `f` in a read transaction that sees one consistent snapshot.
pub fn read_tx<T, E, F>(conn: &mut AnyConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        AnyConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN DEFERRED")?,
        AnyConnection::Postgresql(c) => AnsiTransactionManager::begin_transaction_sql(
            c,
            "BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
        )?,
    }
    match f(conn) {
        Ok(value) => {
            AnyConnection::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            let _ = AnyConnection::rollback_transaction(conn);
            Err(e)
        }
    }
}

/// Open a single connection (for tests and one-off tools).
pub fn connect_one(url: &str) -> Result<AnyConnection, DbError> {
    let mut conn = establish(url).map_err(|e| DbError::Connect(e.to_string()))?;
    configure(&mut conn)?;
    Ok(conn)
}

/// Whether every migration this binary knows has been applied (`/readyz`).
pub fn migrations_current(conn: &mut AnyConnection) -> Result<bool, DbError> {
    let pending = match conn {
        AnyConnection::Sqlite(c) => c.has_pending_migration(SQLITE_MIGRATIONS),
        AnyConnection::Postgresql(c) => c.has_pending_migration(POSTGRES_MIGRATIONS),
    };
    pending.map(|p| !p).map_err(|e| DbError::Migrate(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::sql_types::BigInt;
    use diesel::RunQueryDsl;

    #[derive(diesel::QueryableByName)]
    struct CacheSize {
        #[diesel(sql_type = BigInt)]
        cache_size: i64,
    }

    fn cache_size(conn: &mut AnyConnection) -> i64 {
        let AnyConnection::Sqlite(c) = conn else {
            panic!("SQLite expected")
        };
        diesel::sql_query("PRAGMA cache_size")
            .get_result::<CacheSize>(c)
            .unwrap()
            .cache_size
    }

    #[test]
    fn only_the_cast_workers_connection_gets_the_wider_page_cache_and_gives_it_back() {
        let dir = tempfile::tempdir().unwrap();
        let pool = connect(&dir.path().join("t.db").to_string_lossy(), 2).unwrap();
        let mut writer = get(&pool).unwrap();
        let mut other = get(&pool).unwrap();
        assert_eq!(
            cache_size(&mut writer),
            -2000,
            "SQLite's default for every pooled connection"
        );
        writer_cache(&mut writer, true).unwrap();
        assert_eq!(cache_size(&mut writer), -i64::from(WRITER_CACHE_KIB));
        assert_eq!(cache_size(&mut other), -2000, "the other connections keep the default");
        writer_cache(&mut writer, false).unwrap();
        assert_eq!(cache_size(&mut writer), -2000);
    }
}
