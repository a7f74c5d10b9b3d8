//! Upgrades (issue 11): a database whose schema a newer Teller has already
//! migrated is refused by an older binary, with a clear message, and left
//! as it was; a database written by the previous release (the fixtures in
//! tests/fixtures/upgrade, made by its make.sh with that release's binaries)
//! is migrated with every stored byte kept, its finished election's record
//! is still the one the previous teller-audit verified, and the election it
//! left open carries on to a record this version verifies.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::path::{Path, PathBuf};

use common::process::Deployment;
use common::{example_choices, read_tokens, Backend, TestDb, SECRET_HEX};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::{json, Value};
use teller::db;
use teller::db::schema;
use teller_audit::receipt::Receipt;
use teller_audit::record::Record;
use teller_audit::verify::{verify_reader, verify_receipt, verify_record, Status};

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

/// The fixture of one backend: what the previous release wrote.
struct Fixture {
    dir: PathBuf,
    /// `elections.json`: ids and what make.sh did.
    manifest: Value,
}

impl Fixture {
    fn of(backend: Backend) -> Self {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/upgrade");
        assert_eq!(
            std::fs::read_to_string(root.join("master.key")).unwrap().trim(),
            SECRET_HEX,
            "the fixtures were made with the tests' master secret"
        );
        let dir = root.join(match backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        });
        let manifest = serde_json::from_slice(&std::fs::read(dir.join("elections.json")).unwrap()).unwrap();
        Fixture { dir, manifest }
    }

    fn id(&self, which: &str) -> String {
        self.manifest[which]["id"].as_str().unwrap().to_string()
    }

    fn bytes(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.dir.join(name)).unwrap()
    }

    fn json(&self, name: &str) -> Value {
        serde_json::from_slice(&self.bytes(name)).unwrap()
    }

    fn receipt(&self, name: &str) -> Receipt {
        serde_json::from_slice(&self.bytes(name)).unwrap()
    }

    /// Put the old database where `db` points, without migrating it.
    fn restore_into(&self, db: &TestDb) {
        match db.backend {
            Backend::Sqlite => {
                std::fs::copy(self.dir.join("teller.db"), &db.url).unwrap();
            }
            Backend::Postgres => {
                let dump = std::fs::read_to_string(self.dir.join("dump.sql")).unwrap();
                db::connect_one(&db.url).unwrap().batch_execute(&dump).unwrap();
            }
        }
    }
}

/// The migrations this version has.
fn migrations_known() -> usize {
    std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite"))
        .unwrap()
        .count()
}

type ElectionRow = (String, String, String, String, String, String, Option<String>);
type MemberRow = (String, String, String, String, Option<String>, bool, bool, String);
type StaffRow = (String, String, String, String, String, Option<String>, bool);

/// Everything the previous release stored that this one must keep as it
/// was, read with columns both schemas have.
#[derive(Debug, PartialEq)]
struct Stored {
    elections: Vec<ElectionRow>,
    heads: Vec<(String, i64, String, i64, i64, i64)>,
    log: Vec<(String, i64, String, String)>,
    checkpoints: Vec<(String, i64, String, String)>,
    members: Vec<MemberRow>,
    ballots: Vec<(String, String, String, Option<i64>)>,
    staff: Vec<StaffRow>,
}

fn stored(db: &TestDb) -> Stored {
    use schema::{
        ballots as b, checkpoints as c, elections as e, log_entries as l, log_heads as h, members as m, staff as s,
    };
    let mut conn = db::connect_one(&db.url).unwrap();
    let conn = &mut conn;
    Stored {
        elections: e::table
            .order(e::id)
            .select((
                e::id,
                e::state,
                e::definition,
                e::public_key,
                e::secret_key,
                e::lot_seed,
                e::tally,
            ))
            .load(conn)
            .unwrap(),
        heads: h::table
            .order(h::election_id)
            .select((
                h::election_id,
                h::size,
                h::head,
                h::next_seal,
                h::last_seal_at,
                h::sealed_ballots,
            ))
            .load(conn)
            .unwrap(),
        log: l::table
            .order((l::election_id, l::seq))
            .select((l::election_id, l::seq, l::body, l::hash))
            .load(conn)
            .unwrap(),
        checkpoints: c::table
            .order((c::election_id, c::size, c::reason))
            .select((c::election_id, c::size, c::reason, c::body))
            .load(conn)
            .unwrap(),
        members: m::table
            .order((m::election_id, m::member_id))
            .select((
                m::election_id,
                m::member_id,
                m::name,
                m::email,
                m::token_hash,
                m::voted,
                m::voted_sealed,
                m::weight,
            ))
            .load(conn)
            .unwrap(),
        ballots: b::table
            .order((b::election_id, b::tracker))
            .select((b::election_id, b::tracker, b::body, b::seal))
            .load(conn)
            .unwrap(),
        staff: s::table
            .order(s::id)
            .select((
                s::id,
                s::username,
                s::display_name,
                s::password_hash,
                s::role,
                s::totp_secret,
                s::disabled,
            ))
            .load(conn)
            .unwrap(),
    }
}

/// `teller export` by this version: the bytes it writes.
fn export_bytes(dep: &Deployment, election: &str) -> Vec<u8> {
    let out = dep.path(&format!("record-{}.json", uuid::Uuid::new_v4().simple()));
    dep.teller_ok(&["export", election, "--out", out.to_str().unwrap()]);
    std::fs::read(out).unwrap()
}

async fn get(http: &reqwest::Client, url: &str, cookie: Option<&str>) -> (u16, String) {
    let mut req = http.get(url);
    if let Some(c) = cookie {
        req = req.header(reqwest::header::COOKIE, c);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn cast(http: &reqwest::Client, base: &str, election: &str, token: &str, choices: Value) -> (u16, Value) {
    let res = http
        .post(format!("{base}/api/v1/elections/{election}/ballots"))
        .json(&json!({"token": token, "choices": choices}))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
}

/// Where a receipt's promise is kept in a record's log (§7): the index of
/// its `ballot` entry and of the `seal` entry it named.
fn receipt_in_log(log: &Value, receipt: &Receipt) -> (usize, usize) {
    let log = log.as_array().unwrap();
    let tracker = receipt.body.tracker.to_hex();
    let ballot = log
        .iter()
        .position(|e| e["type"] == "ballot" && e["data"]["tracker"] == json!(tracker))
        .unwrap();
    let seal = log
        .iter()
        .position(|e| e["type"] == "seal" && e["data"]["seal"] == json!(receipt.body.seal))
        .unwrap();
    (ballot, seal)
}

async fn the_previous_release_s_data_survives(backend: Backend) {
    let fx = Fixture::of(backend);
    let (a, b, c, d) = (fx.id("a"), fx.id("b"), fx.id("c"), fx.id("d"));
    let dep = Deployment::new(backend);
    fx.restore_into(&dep.db);
    assert_eq!(applied(&dep.db), 5, "the fixture has the previous release's schema");
    let before = stored(&dep.db);
    assert_eq!(before.elections.len(), 4);
    assert_eq!(before.staff.len(), 1);
    let count = |e: &str, rows: &[(String, String, String, Option<i64>)]| rows.iter().filter(|r| r.0 == e).count();
    assert_eq!(
        [&a, &b, &c, &d].map(|e| count(e, &before.ballots)),
        [9, 6, 0, 1],
        "ballots as make.sh cast them"
    );

    // This version's server migrates it when it starts, and changes no
    // stored byte: log entries and their hashes, checkpoints, ballots,
    // members and their tokens, keys, tallies, staff accounts.
    let server = dep.serve().await;
    assert_eq!(applied(&dep.db), migrations_known());
    let after = stored(&dep.db);
    assert_eq!(after, before);
    // Each election's chain still holds over the stored bytes (§5), up to
    // the head kept beside it, and the roll is the one imported.
    for (election, size, head, ..) in &after.heads {
        let mut previous = teller_audit::log::GENESIS;
        let entries: Vec<_> = after.log.iter().filter(|e| &e.0 == election).collect();
        for (_, seq, body, hash) in &entries {
            previous = teller_audit::crypto::Digest::of_parts(&[&previous.0, body.as_bytes()]);
            assert_eq!(&previous.to_hex(), hash, "{election} entry {seq}");
        }
        assert_eq!((entries.len() as i64, &previous.to_hex()), (*size, head), "{election}");
        let members = after.members.iter().filter(|m| &m.0 == election).count();
        let which = ["a", "b", "c", "d"]
            .into_iter()
            .find(|w| &fx.id(w) == election)
            .unwrap();
        assert_eq!(json!(members), fx.manifest[which]["members"], "{election}");
    }
    // The turnout kept since (migration 000006) is the one of the last seal.
    assert_eq!(
        dep.count(&format!(
            "SELECT eligible + 1000 * voted AS n FROM turnout WHERE election_id = '{b}'"
        )),
        10 + 1000 * 4
    );
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let base = server.base.clone();

    // Election a, tallied by the previous release: this version exports the
    // very bytes the previous `teller export` wrote, which the previous
    // teller-audit verified when the fixture was made (make.sh). They are a
    // teller-record/1, which this teller-audit sends back to its own version.
    let old_a = fx.bytes("a-record.json");
    assert!(old_a.starts_with(br#"{"format":"teller-record/1""#));
    assert_eq!(
        export_bytes(&dep, &a),
        old_a,
        "teller export of a record closed by version 1"
    );
    let res = http
        .get(format!("{base}/api/v1/elections/{a}/record"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.bytes().await.unwrap(),
        old_a,
        "the API's record of a closed by version 1"
    );
    let report = verify_reader(&old_a[..], "a-record.json", &[], None).unwrap();
    let format = report.check("format").unwrap();
    assert_eq!(format.status, Status::Fail);
    assert!(
        format.failures.iter().any(|f| f.contains("earlier version of Teller")),
        "{:?}",
        format.failures
    );
    // Its receipts still hold against it (§7): signed by its key, their
    // ballots in the log before the seals they promised.
    let old_a_json: Value = serde_json::from_slice(&old_a).unwrap();
    for name in ["a-receipt-1.json", "a-receipt-2.json"] {
        let r = fx.receipt(name);
        assert!(r.problems().is_empty(), "{name}: {:?}", r.problems());
        assert_eq!(json!(r.body.public_key.to_hex()), old_a_json["public_key"]);
        let (ballot, seal) = receipt_in_log(&old_a_json["log"], &r);
        assert!(ballot < seal, "{name}");
    }
    // Its pages read the old log and tally.
    let (status, page) = get(&http, &format!("{base}/e/{a}/results"), None).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Amara Okafor") && page.contains("Jane Q. Member"),
        "{page}"
    );

    // The staff account made by the previous release signs in, and the
    // tellers' report reads the log with version 1's `polls_closed`.
    let password = fx.manifest["staff"]["password"].as_str().unwrap();
    let res = http
        .post(format!("{base}/staff/login"))
        .form(&[("username", "admin"), ("password", password), ("code", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let cookie = res.headers()[reqwest::header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let (status, report_page) = get(&http, &format!("{base}/staff/elections/{a}/report"), Some(&cookie)).await;
    assert_eq!(status, 200, "{report_page}");
    assert!(report_page.contains("Society of Pharmacy Technicians"), "{report_page}");
    for e in [&a, &b, &c, &d] {
        let (status, page) = get(&http, &format!("{base}/staff/elections/{e}"), Some(&cookie)).await;
        assert_eq!(status, 200, "{e}: {page}");
    }

    // Election d, closed by the previous release and not counted: its record
    // is still the previous export; this version refuses to count it (a
    // version 2 tally in a version 1 record would verify nowhere) and
    // changes nothing.
    let old_d = fx.bytes("d-record-closed.json");
    assert_eq!(export_bytes(&dep, &d), old_d);
    let out = dep.teller(&["election", "tally", &d]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("closed by an earlier version of Teller"), "{stderr}");
    assert_eq!(export_bytes(&dep, &d), old_d);

    // Election c, a draft: its record is this version's, and verifies.
    let c_record: Record = serde_json::from_slice(&export_bytes(&dep, &c)).unwrap();
    assert_eq!(c_record.election.state, "draft");
    assert_eq!(c_record.counts.eligible, 12);
    let report = verify_record(&c_record, &[]);
    assert!(report.ok(), "{report:?}");

    // Election b, open at the upgrade: its log and checkpoints are the ones
    // the previous release exported, and this teller-audit verifies them.
    let old_b = fx.json("b-record-open.json");
    let b_now: Value = serde_json::from_slice(&export_bytes(&dep, &b)).unwrap();
    assert_eq!(b_now["format"], "teller-record/2");
    for member in ["election", "public_key", "log", "checkpoints", "counts"] {
        assert_eq!(b_now[member], old_b[member], "b's {member}");
    }
    let report = verify_record(&serde_json::from_value(b_now).unwrap(), &[]);
    assert!(report.ok(), "{report:?}");

    // It carries on: codes used before the upgrade stay used, a replaced
    // code stays dead, the others vote over HTTP.
    let tokens = read_tokens(&fx.dir.join("b-tokens.csv"));
    let token = |m: &str| tokens.iter().find(|(id, _)| id == m).unwrap().1.clone();
    let (status, body) = cast(&http, &base, &b, &token("B001"), example_choices(0)).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("token_used")), "{body}");
    let (status, body) = cast(&http, &base, &b, &token("B010"), example_choices(0)).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("unknown_token")), "{body}");
    let mut receipts: Vec<Receipt> = ["b-receipt-1.json", "b-receipt-2.json", "b-receipt-3.json"]
        .iter()
        .map(|n| fx.receipt(n))
        .collect();
    for (i, m) in ["B006", "B007", "B008", "B009"].iter().enumerate() {
        let (status, receipt) = cast(&http, &base, &b, &token(m), example_choices(10 + i)).await;
        assert_eq!(status, 201, "{m}: {receipt}");
        receipts.push(serde_json::from_value(receipt).unwrap());
    }
    drop(server);
    dep.teller_ok(&["election", "close", &b]);
    dep.teller_ok(&["election", "tally", &b]);
    let record: Record = serde_json::from_slice(&export_bytes(&dep, &b)).unwrap();
    let report = verify_record(&record, &[]);
    assert!(report.ok(), "{report:?}");
    // Every check ran and passed, but certification: no committee here.
    for check in &report.checks {
        let expected = if check.name == "certification" {
            Status::Skipped
        } else {
            Status::Pass
        };
        assert_eq!(check.status, expected, "{check:?}");
    }
    assert_eq!(record.election.state, "tallied");
    assert_eq!(
        (
            record.counts.eligible,
            record.counts.tokens_issued,
            record.counts.tokens_used,
            record.counts.ballots
        ),
        (10, 10, 10, 10)
    );
    assert_eq!(record.ballots.as_ref().unwrap().len(), 10);
    let tally = record.tally.as_ref().unwrap();
    // Members B003, B006 and B009 weigh 2 (members-b.csv).
    assert_eq!(serde_json::to_value(tally.weight).unwrap(), json!("13"));
    // The log before the upgrade is the start of the log after it.
    let old_log = old_b["log"].as_array().unwrap();
    let new_log = serde_json::to_value(&record.log).unwrap();
    assert_eq!(&new_log.as_array().unwrap()[..old_log.len()], &old_log[..]);
    // Every receipt holds: the three issued before the upgrade (one sealed
    // then, two sealed after it) and the four after.
    for r in &receipts {
        let report = verify_receipt(r, &record);
        assert!(report.ok(), "{report:?}");
    }

    // And a's record is still the previous release's, byte for byte.
    assert_eq!(export_bytes(&dep, &a), old_a);
}
on_both_backends!(
    a_database_of_the_previous_release_is_migrated_with_its_data_intact,
    the_previous_release_s_data_survives
);
