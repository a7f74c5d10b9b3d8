//! Shared helpers: a fresh database on either backend, the real server on an
//! ephemeral port, the real `teller` binary, and small election scenarios.
#![allow(dead_code, clippy::unwrap_used)]

pub mod form;
pub mod process;
pub mod smtp;
pub mod staff;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{json, Value};
use teller::db::{self, AnyConnection, DbPool};
use teller::secrets::MasterSecret;
use teller::web::AppState;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Run a scenario on SQLite always, and on PostgreSQL when a test database
/// URL was given at build time (ignored otherwise).
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident, $scenario:path) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                $scenario($crate::common::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            #[cfg_attr(
                not(teller_pg_tests),
                ignore = "set TELLER_TEST_DATABASE_URL to run on PostgreSQL"
            )]
            async fn postgres() {
                $scenario($crate::common::Backend::Postgres).await
            }
        }
    };
}

/// A fresh, empty database and the files beside it; dropped with the test.
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    pub dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl TestDb {
    pub fn new(backend: Backend) -> Self {
        let dir = tempfile::tempdir().unwrap();
        match backend {
            Backend::Sqlite => TestDb {
                backend,
                url: dir.path().join("teller.db").to_string_lossy().into(),
                dir,
                pg: None,
            },
            Backend::Postgres => {
                let admin = std::env::var("TELLER_TEST_DATABASE_URL")
                    .expect("TELLER_TEST_DATABASE_URL must name a PostgreSQL database whose role may CREATE DATABASE");
                let name = format!("teller_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = db::connect_one(&admin).unwrap();
                use diesel::connection::SimpleConnection;
                conn.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
                let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap();
                TestDb {
                    backend,
                    url: format!("{base}/{name}"),
                    dir,
                    pg: Some((admin, name)),
                }
            }
        }
    }

    pub fn pool(&self) -> DbPool {
        db::connect(&self.url, 16).unwrap()
    }

    pub fn conn(&self) -> AnyConnection {
        let mut c = db::connect_one(&self.url).unwrap();
        db::migrate(&mut c).unwrap();
        c
    }

    /// Run raw SQL as an attacker with database access would.
    pub fn sql(&self, statements: &str) {
        use diesel::connection::SimpleConnection;
        self.conn().batch_execute(statements).unwrap();
    }

    /// Run raw SQL that is expected to fail; returns the error text.
    pub fn sql_err(&self, statements: &str) -> String {
        use diesel::connection::SimpleConnection;
        self.conn().batch_execute(statements).unwrap_err().to_string()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg {
            if let Ok(mut conn) = db::connect_one(admin) {
                use diesel::connection::SimpleConnection;
                let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

pub const SECRET_HEX: &str = "5e1f2c3d4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

pub fn secret() -> MasterSecret {
    MasterSecret::from_hex(SECRET_HEX).unwrap()
}

/// The real server on an ephemeral loopback port, on a fresh database.
pub struct TestApp {
    pub db: TestDb,
    pub base: String,
    pub addr: SocketAddr,
    pub secret_file: PathBuf,
    pub http: reqwest::Client,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with_mail(backend, None).await
    }

    /// The app, sending e-mail through `smtp_url` when given.
    pub async fn spawn_with_mail(backend: Backend, smtp_url: Option<String>) -> Self {
        Self::spawn_with(backend, smtp_url, None).await
    }

    /// The app, sending e-mail through `smtp_url` when given, and believing
    /// itself reached at `public_url` (default: its own loopback address).
    #[allow(dead_code)] // not every test crate uses every helper
    pub async fn spawn_with(backend: Backend, smtp_url: Option<String>, public_url: Option<&str>) -> Self {
        Self::spawn_configured(backend, smtp_url, public_url, |_| {}).await
    }

    /// [`TestApp::spawn_with`], with `configure` setting the app's
    /// settings (as `teller serve`'s flags do) before it serves.
    pub async fn spawn_configured(
        backend: Backend,
        smtp_url: Option<String>,
        public_url: Option<&str>,
        configure: impl FnOnce(&AppState),
    ) -> Self {
        let db = TestDb::new(backend);
        let secret_file = db.dir.path().join("master.key");
        write_private(&secret_file, SECRET_HEX);
        let pool = db.pool();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        let state = AppState::new(pool, secret(), public_url.unwrap_or(&base).to_string());
        if let Some(url) = smtp_url {
            state.set_mailer(teller::mail::Mailer::new(&url, "Election Office <office@teller.test>").unwrap());
        }
        configure(&state);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            // The scheduler is slow here; tests seal, open and close explicitly.
            teller::web::serve(state, listener, std::time::Duration::from_secs(3600), async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        TestApp {
            db,
            base,
            addr,
            secret_file,
            http,
            shutdown: Some(tx),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Run the real `teller` binary against this app's database.
    pub fn teller(&self, args: &[&str]) -> Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_teller"))
            .args(args)
            .env("TELLER_DATABASE_URL", &self.db.url)
            .env("TELLER_MASTER_SECRET_FILE", &self.secret_file)
            .env("TELLER_PUBLIC_URL", &self.base)
            .env_remove("TELLER_MASTER_SECRET")
            .current_dir(self.db.dir.path())
            .output()
            .unwrap()
    }

    /// Run the real `teller` binary with `input` as its standard input (its
    /// answers to questions it asks).
    pub fn teller_answering(&self, args: &[&str], input: &str) -> Output {
        use std::io::Write;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_teller"))
            .args(args)
            .env("TELLER_DATABASE_URL", &self.db.url)
            .env("TELLER_MASTER_SECRET_FILE", &self.secret_file)
            .env("TELLER_PUBLIC_URL", &self.base)
            .env_remove("TELLER_MASTER_SECRET")
            .env_remove("TELLER_RECOUNT_WINDOW_DAYS")
            .current_dir(self.db.dir.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    /// Run `teller` and insist it succeeds; returns stdout.
    pub fn teller_ok(&self, args: &[&str]) -> String {
        let out = self.teller(args);
        assert!(
            out.status.success(),
            "teller {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.db.dir.path().join(name)
    }

    /// Create the example election, import `members` members, issue tokens
    /// and open it. Returns the election id and the tokens (member id → token).
    pub fn open_example(&self, members: usize) -> (String, Vec<(String, String)>) {
        let (id, tokens) = self.draft_with_tokens(include_str!("../../examples/board-election.toml"), members);
        self.teller_ok(&["election", "open", &id]);
        (id, tokens)
    }

    /// Create an election from the text of an election file, import
    /// `members` members and issue their tokens, leaving it a draft.
    /// Returns the election id and the tokens (member id → token).
    pub fn draft_with_tokens(&self, toml: &str, members: usize) -> (String, Vec<(String, String)>) {
        let file = self.path(&format!("election-{}.toml", uuid::Uuid::new_v4().simple()));
        std::fs::write(&file, toml).unwrap();
        let out = self.teller_ok(&["election", "create", file.to_str().unwrap()]);
        let id = out.trim().lines().last().unwrap().to_string();
        let roll = self.path("members.csv");
        std::fs::write(&roll, roll_csv(members)).unwrap();
        self.teller_ok(&["voters", "import", &id, roll.to_str().unwrap()]);
        let tokens = self.path(&format!("tokens-{}.csv", uuid::Uuid::new_v4().simple()));
        self.teller_ok(&["tokens", "issue", &id, "--out", tokens.to_str().unwrap()]);
        (id, read_tokens(&tokens))
    }

    /// Cast through the JSON API; returns status and body.
    pub async fn cast(&self, election: &str, token: &str, choices: Value) -> (u16, Value) {
        let res = self
            .http
            .post(self.url(&format!("/api/v1/elections/{election}/ballots")))
            .json(&json!({"token": token, "choices": choices}))
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let res = self.http.get(self.url(path)).send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Export through the real CLI and parse the record.
    pub fn export(&self, election: &str) -> teller_audit::record::Record {
        let out = self.path(&format!("record-{}.json", uuid::Uuid::new_v4().simple()));
        self.teller_ok(&["export", election, "--out", out.to_str().unwrap()]);
        serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub fn write_private(path: &Path, text: &str) {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

pub fn roll_csv(members: usize) -> String {
    let mut s = String::from("member_id,name,email\n");
    for i in 0..members {
        s.push_str(&format!("M{i:05},Member {i},member{i}@example.org\n"));
    }
    s
}

pub fn read_tokens(path: &Path) -> Vec<(String, String)> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let headers = r.headers().unwrap().clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        ["member_id", "name", "email", "token", "link"]
    );
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (rec[0].to_string(), rec[3].to_string())
        })
        .collect()
}

/// A valid ballot for the example election, varied by `i`.
pub fn example_choices(i: usize) -> Value {
    let directors = [
        "amara-okafor",
        "daniel-brooks",
        "mei-ling-chen",
        "rosa-delgado",
        "tomasz-nowak",
        "priya-raman",
        "samuel-adeyemi",
    ];
    let picks: Vec<&str> = (0..(i % 4)).map(|k| directors[(i + k * 3) % 7]).collect();
    let treasurer = match i % 5 {
        0 => json!([]),
        1 | 2 => json!(["grace-whitfield"]),
        _ => json!(["omar-haddad"]),
    };
    let bylaw = ["yes", "yes", "no", "abstain", "yes"][i % 5];
    json!({"directors": picks, "treasurer": treasurer, "bylaw-amendment-7": [bylaw]})
}

/// Choices of a receipt, for comparison.
pub fn receipt_choices(receipt: &Value) -> BTreeMap<String, Vec<String>> {
    serde_json::from_value(receipt["ballot"]["choices"].clone()).unwrap()
}
