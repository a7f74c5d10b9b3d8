//! Backups that restore (issue 11): `teller backup` while members cast over
//! HTTP, `teller restore` into a new database, and nothing acknowledged
//! before the backup is lost — the restored election verifies, every
//! receipt answered before the backup began verifies against it, those
//! members cannot vote again, and casting resumes. A backup that is
//! damaged, cut short, or opened with the wrong key restores nothing, and a
//! restore never writes over a database that holds anything.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::process::{cast_once, receipts, unexpected, verify_receipts, Attempt, Deployment, Ending, Load, Progress};
use common::{example_choices, Backend};
use teller_audit::verify::verify_record;

/// Members on the roll; the first `CAST_LIVE` vote on the live server.
const MEMBERS: usize = 240;
const CAST_LIVE: usize = 200;

async fn backup_under_load_restores_everything_acknowledged(backend: Backend) {
    let live = Deployment::new(backend);
    let (election, tokens) = live.open_election(MEMBERS);
    let server = live.serve().await;

    let progress = Arc::new(Progress::default());
    let load = Load {
        election: election.clone(),
        tokens: Arc::new(tokens[..CAST_LIVE].to_vec()),
        bases: vec![server.base.clone()],
        clients: 6,
        pause: Duration::from_millis(15),
        deadline: Instant::now() + Duration::from_secs(120),
        progress: progress.clone(),
    }
    .start();
    while progress.answered.load(Ordering::SeqCst) < 60 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // The backup, by the real binary, while the voters keep casting.
    let file = live.path("mid-election.backup");
    let backup_began = Instant::now();
    let answered_at_start = progress.answered.load(Ordering::SeqCst);
    let out = {
        let mut c = live.command();
        c.args(["backup", "--out", file.to_str().unwrap()]);
        tokio::task::spawn_blocking(move || c.output().unwrap()).await.unwrap()
    };
    let backup_ended = Instant::now();
    let answered_at_end = progress.answered.load(Ordering::SeqCst);
    assert!(
        out.status.success(),
        "backup failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("encrypted with the master secret"), "{said}");

    let voted = load.await.unwrap();
    assert!(unexpected(&voted).is_empty(), "{:?}", unexpected(&voted));
    let before: Vec<_> = voted
        .iter()
        .filter(|v| v.answered_at < backup_began)
        .filter_map(|v| match &v.ending {
            Ending::Receipt(r) => Some((v.token, &**r)),
            _ => None,
        })
        .collect();
    assert!(before.len() >= 60, "{} receipts before the backup", before.len());
    let after_backup = voted.iter().filter(|v| v.started_at > backup_ended).count();
    assert!(after_backup > 0, "casting went on after the backup");
    eprintln!(
        "{backend:?}: backup took {:.0?} ({} bytes of file); {} receipts before it, {} casts answered while it ran, \
         {} begun after it",
        backup_ended - backup_began,
        std::fs::metadata(&file).unwrap().len(),
        before.len(),
        answered_at_end - answered_at_start,
        after_backup
    );
    // The file is owner-only and holds no plaintext of the database.
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o077, 0);
        let bytes = std::fs::read(&file).unwrap();
        for plain in [&b"SQLite format 3"[..], b"PGDMP", b"member-0001", election.as_bytes()] {
            assert!(
                !bytes.windows(plain.len()).any(|w| w == plain),
                "plaintext {:?} in the backup",
                String::from_utf8_lossy(plain)
            );
        }
    }
    drop(server);

    // Restore into a new database and carry on there.
    let restored = Deployment::new(backend);
    let said = restored.teller_ok(&["restore", file.to_str().unwrap()]);
    assert!(said.contains(&election), "{said}");
    let server = restored.serve().await;
    let http = reqwest::Client::new();

    // Members whose receipt came before the backup have voted, there too.
    for (token, _) in before.iter().take(5) {
        match cast_once(&http, &server.base, &election, &tokens[*token], example_choices(*token)).await {
            Attempt::TokenUsed => {}
            other => panic!("token #{token} voted before the backup, and was not refused: {other:?}"),
        }
    }
    // Casting resumes with tokens never used.
    let mut resumed = Vec::new();
    for (i, token) in tokens.iter().enumerate().skip(CAST_LIVE) {
        match cast_once(&http, &server.base, &election, token, example_choices(i)).await {
            Attempt::Cast(r) => resumed.push(r),
            other => panic!("token #{i} on the restored server: {other:?}"),
        }
    }
    restored.teller_ok(&["election", "close", &election]);
    restored.teller_ok(&["election", "tally", &election]);
    let record = restored.export(&election);
    let report = verify_record(&record, &[]);
    assert!(report.ok(), "{report}");
    let mut check: Vec<_> = before.iter().map(|(_, r)| *r).collect();
    check.extend(resumed.iter().map(|r| &**r));
    verify_receipts(&check, &record);
    // Nothing else is in it: what was answered after the backup began was lost with the old server.
    let in_backup = restored.count("SELECT COUNT(*) AS n FROM ballots") as usize - resumed.len();
    assert!(in_backup >= before.len() && in_backup <= receipts(&voted).len());
}

on_both_backends!(backup_under_load, backup_under_load_restores_everything_acknowledged);

/// Tables in the database (0 for a SQLite file that does not exist), read
/// without migrating it.
fn tables(d: &Deployment) -> i64 {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let sql = match d.db.backend {
        Backend::Sqlite if !std::path::Path::new(&d.db.url).exists() => return 0,
        Backend::Sqlite => "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table'",
        Backend::Postgres => {
            "SELECT COUNT(*) AS n FROM information_schema.tables \
             WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
        }
    };
    let mut conn = teller::db::connect_one(&d.db.url).unwrap();
    let q = diesel::sql_query(sql);
    match &mut conn {
        teller::db::AnyConnection::Sqlite(c) => q.get_result::<Count>(c),
        teller::db::AnyConnection::Postgresql(c) => q.get_result::<Count>(c),
    }
    .unwrap()
    .n
}

fn fails(d: &Deployment, args: &[&str]) -> String {
    let out = d.teller(args);
    assert!(!out.status.success(), "teller {args:?} should have failed");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

async fn bad_backups_restore_nothing(backend: Backend) {
    let live = Deployment::new(backend);
    let (election, _) = live.open_election(20);
    let key = live.path("backup.key");
    live.teller_ok(&["secret", "new", key.to_str().unwrap()]);
    let file = live.path("with-key.backup");
    let said = live.teller_ok(&[
        "backup",
        "--out",
        file.to_str().unwrap(),
        "--backup-key-file",
        key.to_str().unwrap(),
    ]);
    assert!(said.contains("encrypted with the backup key"), "{said}");
    // A backup is never written over.
    let again = fails(&live, &["backup", "--out", file.to_str().unwrap()]);
    assert!(again.contains("exists already"), "{again}");

    let target = Deployment::new(backend);
    let path = file.to_str().unwrap();
    // Without the backup key, or with another one: refused, by name.
    let e = fails(&target, &["restore", path]);
    assert!(e.contains("--backup-key-file"), "{e}");
    let other = target.path("other.key");
    target.teller_ok(&["secret", "new", other.to_str().unwrap()]);
    let e = fails(
        &target,
        &["restore", path, "--backup-key-file", other.to_str().unwrap()],
    );
    assert!(e.contains("different backup key"), "{e}");
    // Damaged in its last byte, or cut short: nothing restored.
    let bytes = std::fs::read(&file).unwrap();
    let damaged = target.path("damaged.backup");
    let mut d = bytes.clone();
    *d.last_mut().unwrap() ^= 0x40;
    std::fs::write(&damaged, &d).unwrap();
    let e = fails(
        &target,
        &[
            "restore",
            damaged.to_str().unwrap(),
            "--backup-key-file",
            key.to_str().unwrap(),
        ],
    );
    assert!(e.contains("damaged or was altered"), "{e}");
    let cut = target.path("cut.backup");
    std::fs::write(&cut, &bytes[..bytes.len() - 100]).unwrap();
    let e = fails(
        &target,
        &[
            "restore",
            cut.to_str().unwrap(),
            "--backup-key-file",
            key.to_str().unwrap(),
        ],
    );
    assert!(e.contains("damaged or was altered"), "{e}");
    assert_eq!(tables(&target), 0, "a failed restore left tables behind");

    // The right key restores it; restoring again over it is refused.
    let keyed = ["restore", path, "--backup-key-file", key.to_str().unwrap()];
    target.teller_ok(&keyed);
    assert!(target.teller_ok(&["election", "list"]).contains(&election));
    let e = fails(&target, &keyed);
    assert!(e.contains("exists") || e.contains("holds"), "{e}");
    // Nor into the live database.
    let e = fails(&live, &keyed);
    assert!(e.contains("exists") || e.contains("holds"), "{e}");
    assert!(live.teller_ok(&["election", "list"]).contains(&election));
}

on_both_backends!(bad_backups, bad_backups_restore_nothing);

/// The restore drill: a restored copy served with `--no-scheduler` seals
/// nothing of its own (it would sign seals the live log never had) and is
/// ready; served normally, the same copy seals the waiting ballots.
async fn a_drill_copy_signs_nothing(backend: Backend) {
    let live = Deployment::new(backend);
    let (election, tokens) = live.open_election(6);
    let server = live.serve().await;
    let http = reqwest::Client::new();
    for (i, token) in tokens.iter().take(2).enumerate() {
        assert!(matches!(
            cast_once(&http, &server.base, &election, token, example_choices(i)).await,
            Attempt::Cast(_)
        ));
    }
    let file = live.path("drill.backup");
    live.teller_ok(&["backup", "--out", file.to_str().unwrap()]);
    drop(server);

    let drill = Deployment::new(backend);
    drill.teller_ok(&["restore", file.to_str().unwrap()]);
    let waiting = "SELECT COUNT(*) AS n FROM ballots WHERE seal IS NULL";
    let before = drill.count(waiting);
    assert!(before > 0, "the backup was taken with ballots waiting for their seal");
    let copy = drill.serve_with(&["--no-scheduler"], &[]).await;
    let ready = http.get(format!("{}/readyz", copy.base)).send().await.unwrap();
    assert_eq!(ready.status().as_u16(), 200);
    // Past the election's 10-second seal interval, twice over the scheduler's.
    tokio::time::sleep(Duration::from_secs(12)).await;
    assert_eq!(drill.count(waiting), before, "the drill copy sealed ballots");
    assert!(
        copy.log_text().contains("the scheduler is off"),
        "{}",
        copy.log_tail(10)
    );
    drop(copy);
    // The control: the same copy with its scheduler seals them.
    let normal = drill.serve().await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while drill.count(waiting) > 0 {
        assert!(
            Instant::now() < deadline,
            "no seal without --no-scheduler:\n{}",
            normal.log_tail(10)
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

on_both_backends!(drill_copy, a_drill_copy_signs_nothing);
