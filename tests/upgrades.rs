//! Upgrades (issue 11): a database whose schema a newer Teller has already
//! migrated is refused by an older binary, with a clear message, and left
//! as it was.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Backend, TestDb};
use diesel::connection::SimpleConnection;
use teller::db;

/// A migration no released Teller has: what a newer version would leave.
const FUTURE: &str = "29991231000001";

fn applied(db: &TestDb) -> usize {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut c = db::connect_one(&db.url).unwrap();
    let q = diesel::sql_query("SELECT COUNT(*) AS n FROM __diesel_schema_migrations");
    let rows: Vec<N> = match &mut c {
        db::AnyConnection::Sqlite(c) => diesel::RunQueryDsl::load(q, c).unwrap(),
        db::AnyConnection::Postgresql(c) => diesel::RunQueryDsl::load(q, c).unwrap(),
    };
    rows[0].n as usize
}

async fn a_newer_schema_is_refused(backend: Backend) {
    let db = TestDb::new(backend);
    drop(db.pool()); // migrated by this version
    let before = applied(&db);
    db.sql(&format!(
        "INSERT INTO __diesel_schema_migrations (version) VALUES ('{FUTURE}')"
    ));

    // The library refuses, naming the unknown migration.
    let err = match db::connect(&db.url, 2) {
        Ok(_) => panic!("a newer schema must be refused"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("newer version of Teller") && err.contains(FUTURE), "{err}");
    let mut c = db::connect_one(&db.url).unwrap();
    assert!(db::migrate(&mut c).is_err());
    c.batch_execute("SELECT 1").unwrap();
    drop(c);

    // So does the command line, with the same words and a failure status.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_teller"))
        .args(["election", "list"])
        .env("TELLER_DATABASE_URL", &db.url)
        .env("TELLER_LOG", "warn")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("newer version of Teller") && stderr.contains(FUTURE),
        "{stderr}"
    );

    // Nothing was changed: the migrations table holds what it held.
    assert_eq!(applied(&db), before + 1);
}
on_both_backends!(
    a_database_migrated_by_a_newer_teller_is_refused,
    a_newer_schema_is_refused
);
