//! Helpers for tests that run `teller serve` as child processes (crash,
//! scale-out): a deployment (a fresh database, a master secret, the CLI), a
//! server process guarded so it dies with the test, and voters that cast
//! through the JSON API and retry until they get an answer.

use std::fmt;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use teller_audit::receipt::Receipt;

use super::{example_choices, read_tokens, roll_csv, write_private, Backend, TestDb, SECRET_HEX};

/// A number from the environment, or `default` when it is unset; a value
/// that is not a number is a mistake in the soak script, not a default.
pub fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a whole number")),
        _ => default,
    }
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A database, a master secret and the real `teller` binary: what an
/// operator has, without a server running yet.
pub struct Deployment {
    pub db: TestDb,
    pub secret_file: PathBuf,
    servers_started: AtomicUsize,
}

/// The real `teller` binary, pointed at a database and a master secret.
fn teller_command(url: &str, secret_file: &Path, dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_teller"));
    c.env("TELLER_DATABASE_URL", url)
        .env("TELLER_MASTER_SECRET_FILE", secret_file)
        .env_remove("TELLER_MASTER_SECRET")
        .env_remove("TELLER_LISTEN")
        .env_remove("TELLER_PUBLIC_URL")
        .env("NO_COLOR", "1")
        .current_dir(dir);
    c
}

impl Deployment {
    pub fn new(backend: Backend) -> Self {
        let db = TestDb::new(backend);
        let secret_file = db.dir.path().join("master.key");
        write_private(&secret_file, SECRET_HEX);
        Deployment {
            db,
            secret_file,
            servers_started: AtomicUsize::new(0),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.db.dir.path().join(name)
    }

    /// The real `teller` command, pointed at this deployment (for a test
    /// that runs it with its own arguments and process handling).
    pub fn command(&self) -> Command {
        teller_command(&self.db.url, &self.secret_file, self.db.dir.path())
    }

    /// Run `teller` against this deployment's database.
    pub fn teller(&self, args: &[&str]) -> Output {
        self.command().args(args).output().unwrap()
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

    /// The example election, sealing as often as the rules allow (every 10 s
    /// once one ballot waits), with `members` members holding tokens, open.
    /// Returns the election id and the tokens in roll order.
    pub fn open_election(&self, members: usize) -> (String, Vec<String>) {
        let example = include_str!("../../examples/board-election.toml");
        let toml = example
            .replacen("interval_seconds = 600", "interval_seconds = 10", 1)
            .replacen("min_ballots = 5", "min_ballots = 1", 1);
        assert!(
            toml.contains("interval_seconds = 10") && toml.contains("min_ballots = 1"),
            "the example election's [sealing] section changed; update open_election"
        );
        let file = self.path("election.toml");
        std::fs::write(&file, toml).unwrap();
        let out = self.teller_ok(&["election", "create", file.to_str().unwrap()]);
        let id = out.trim().lines().last().unwrap().to_string();
        let roll = self.path("members.csv");
        std::fs::write(&roll, roll_csv(members)).unwrap();
        self.teller_ok(&["voters", "import", &id, roll.to_str().unwrap()]);
        let tokens = self.path("tokens.csv");
        self.teller_ok(&["tokens", "issue", &id, "--out", tokens.to_str().unwrap()]);
        self.teller_ok(&["election", "open", &id]);
        let tokens = read_tokens(&tokens).into_iter().map(|(_, t)| t).collect();
        (id, tokens)
    }

    /// `teller seal` now; the seal number made, if any ballots waited.
    pub fn seal(&self, election: &str) -> Option<u64> {
        let out = self.teller_ok(&["seal", election]);
        // "Sealed N ballots into the log as seal S."
        out.split("as seal ")
            .nth(1)
            .map(|rest| rest.trim().trim_end_matches('.').parse().unwrap())
    }

    /// Export through the real CLI and parse the record.
    pub fn export(&self, election: &str) -> teller_audit::record::Record {
        let out = self.path(&format!("record-{}.json", uuid::Uuid::new_v4().simple()));
        self.teller_ok(&["export", election, "--out", out.to_str().unwrap()]);
        serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap()
    }

    /// A single number from SQL (`SELECT … AS n`), as an attacker or auditor
    /// with database access would read it.
    pub fn count(&self, sql: &str) -> i64 {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        diesel::sql_query(sql)
            .get_result::<Count>(&mut self.db.conn())
            .unwrap()
            .n
    }

    /// Start `teller serve` on a free loopback port and wait until it answers.
    pub async fn serve(&self) -> Server {
        self.serve_with(&[], &[]).await
    }

    /// Start `teller serve` with more arguments and environment variables.
    pub async fn serve_with(&self, args: &[&str], env: &[(&str, &str)]) -> Server {
        let n = self.servers_started.fetch_add(1, Ordering::SeqCst);
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let mut server = Server {
            url: self.db.url.clone(),
            secret_file: self.secret_file.clone(),
            dir: self.db.dir.path().to_path_buf(),
            addr,
            base: format!("http://{addr}"),
            log: self.path(&format!("serve-{n}.log")),
            child: None,
            starts: 0,
            extra_args: args.iter().map(|a| a.to_string()).collect(),
            extra_env: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        };
        server.start().await;
        server
    }
}

/// A `teller serve` process. Dropping it kills the process, so a failing
/// test leaves nothing running; the log is printed when a test panics.
pub struct Server {
    url: String,
    secret_file: PathBuf,
    dir: PathBuf,
    pub addr: SocketAddr,
    pub base: String,
    pub log: PathBuf,
    child: Option<Child>,
    /// How many times it was started.
    pub starts: usize,
    extra_args: Vec<String>,
    extra_env: Vec<(String, String)>,
}

/// How long a server may take to start answering.
const START_LIMIT: Duration = Duration::from_secs(30);

impl Server {
    /// Start the process (again, on the same address and database) and wait
    /// until the JSON API answers from the database.
    pub async fn start(&mut self) {
        assert!(self.child.is_none(), "server already running");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let child = teller_command(&self.url, &self.secret_file, &self.dir)
            .args(["serve", "--listen", &self.addr.to_string(), "--scheduler-seconds", "1"])
            .env("TELLER_LOG", "info")
            .args(&self.extra_args)
            .envs(self.extra_env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap();
        self.child = Some(child);
        self.starts += 1;
        self.wait_ready().await;
    }

    async fn wait_ready(&mut self) {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap();
        let url = format!("{}/api/v1/elections", self.base);
        let started = Instant::now();
        loop {
            if let Ok(res) = http.get(&url).send().await {
                if res.status().is_success() {
                    return;
                }
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!(
                    "teller serve exited with {status} while starting:\n{}",
                    self.log_tail(40)
                );
            }
            assert!(
                started.elapsed() < START_LIMIT,
                "teller serve did not answer within {START_LIMIT:?}:\n{}",
                self.log_tail(40)
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGKILL, as a crash would: no shutdown, no flushing, nothing.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => c.try_wait().unwrap().is_none(),
            None => false,
        }
    }

    /// Everything the server logged, without terminal colours.
    pub fn log_text(&self) -> String {
        strip_ansi(&std::fs::read_to_string(&self.log).unwrap_or_default())
    }

    /// The last `lines` lines of the log.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = self.log_text();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Seal numbers this server's scheduler made, from its log.
    pub fn scheduler_seals(&self) -> Vec<u64> {
        self.log_text()
            .lines()
            .filter(|l| l.contains("teller::scheduler") && l.contains(" sealed "))
            .filter_map(|l| field(l, "seal="))
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let was_running = self.child.is_some();
        self.kill();
        if was_running && std::thread::panicking() {
            eprintln!("--- last lines of {} ---\n{}", self.log.display(), self.log_tail(30));
        }
    }
}

/// The number after `name` in a log line (`seal=3`).
fn field(line: &str, name: &str) -> Option<u64> {
    let rest = &line[line.find(name)? + name.len()..];
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

/// Text without ANSI escape sequences (in case a log is coloured anyway).
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// One HTTP attempt to cast, classified.
#[derive(Debug)]
pub enum Attempt {
    /// `201`: the signed receipt.
    Cast(Box<Receipt>),
    /// `409 token_used`.
    TokenUsed,
    /// `503 unavailable`: the service says retry; the ballot may or may not
    /// have been committed.
    Unavailable,
    /// No answer (connection refused, reset, closed, timed out): the ballot
    /// may or may not have been committed.
    NoAnswer(String),
    /// Anything else: a status and body the test did not expect.
    Other(u16, Value),
}

/// Cast once through the JSON API.
pub async fn cast_once(http: &reqwest::Client, base: &str, election: &str, token: &str, choices: Value) -> Attempt {
    let url = format!("{base}/api/v1/elections/{election}/ballots");
    let res = match http
        .post(url)
        .json(&json!({"token": token, "choices": choices}))
        .send()
        .await
    {
        Ok(res) => res,
        Err(e) => return Attempt::NoAnswer(error_chain(&e)),
    };
    let status = res.status().as_u16();
    let body: Value = match res.bytes().await {
        Ok(bytes) => {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        }
        // The status arrived but the body did not: the answer is lost.
        Err(e) => return Attempt::NoAnswer(error_chain(&e)),
    };
    match (status, body["error"].as_str()) {
        (201, _) => match serde_json::from_value::<Receipt>(body.clone()) {
            Ok(r) => Attempt::Cast(Box::new(r)),
            Err(_) => Attempt::Other(status, body),
        },
        (409, Some("token_used")) => Attempt::TokenUsed,
        (503, Some("unavailable")) if body["message"].is_string() => Attempt::Unavailable,
        _ => Attempt::Other(status, body),
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

/// How a voter's cast ended.
#[derive(Debug)]
pub enum Ending {
    /// A receipt.
    Receipt(Box<Receipt>),
    /// An attempt went unanswered (or got `503`), and the retry found the
    /// token used: the ballot was committed but the voter never saw a receipt.
    CommittedUnanswered,
    /// An answer the test did not expect (including `409` on a first attempt).
    Unexpected(u16, Value),
    /// No answer before the deadline.
    GaveUp(String),
}

/// One voter's cast, retried with the same token until answered.
#[derive(Debug)]
pub struct Voted {
    pub token: usize,
    pub ending: Ending,
    pub attempts: u32,
    pub no_answers: u32,
    pub unavailable: u32,
    /// When the first attempt was sent.
    pub started_at: Instant,
    /// When the final answer arrived.
    pub answered_at: Instant,
}

/// What the casting clients share: which token is next, and counters a
/// crash or a database restart can be timed by.
#[derive(Default)]
pub struct Progress {
    next: AtomicUsize,
    /// Casts with a final answer.
    pub answered: AtomicUsize,
    /// HTTP requests sent and not yet answered.
    pub in_flight: AtomicUsize,
}

/// A bounded load: `tokens` cast once each by `clients` concurrent voters
/// (voter `c` talks to `bases[c % bases.len()]`), each pausing `pause`
/// between casts, every cast retried until answered or `deadline`.
pub struct Load {
    pub election: String,
    pub tokens: Arc<Vec<String>>,
    pub bases: Vec<String>,
    pub clients: usize,
    pub pause: Duration,
    pub deadline: Instant,
    pub progress: Arc<Progress>,
}

/// Pause between retries of a cast that got no answer.
const RETRY_PAUSE: Duration = Duration::from_millis(50);

impl Load {
    /// Start the voters; the handle yields every cast's ending, in token order.
    pub fn start(self) -> tokio::task::JoinHandle<Vec<Voted>> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(45))
            .pool_max_idle_per_host(self.clients)
            .build()
            .unwrap();
        let this = Arc::new(self);
        tokio::spawn(async move {
            let voters: Vec<_> = (0..this.clients)
                .map(|c| {
                    let (this, http) = (this.clone(), http.clone());
                    tokio::spawn(async move { this.voter(&http, c).await })
                })
                .collect();
            let mut all = Vec::with_capacity(this.tokens.len());
            for v in voters {
                all.extend(v.await.unwrap());
            }
            all.sort_by_key(|v| v.token);
            all
        })
    }

    async fn voter(&self, http: &reqwest::Client, client: usize) -> Vec<Voted> {
        let base = &self.bases[client % self.bases.len()];
        let mut done = Vec::new();
        loop {
            let i = self.progress.next.fetch_add(1, Ordering::SeqCst);
            if i >= self.tokens.len() {
                return done;
            }
            done.push(self.cast_until_answered(http, base, i).await);
            self.progress.answered.fetch_add(1, Ordering::SeqCst);
            if !self.pause.is_zero() {
                tokio::time::sleep(self.pause).await;
            }
        }
    }

    async fn cast_until_answered(&self, http: &reqwest::Client, base: &str, i: usize) -> Voted {
        let mut voted = Voted {
            token: i,
            ending: Ending::GaveUp(String::new()),
            attempts: 0,
            no_answers: 0,
            unavailable: 0,
            started_at: Instant::now(),
            answered_at: Instant::now(),
        };
        loop {
            voted.attempts += 1;
            self.progress.in_flight.fetch_add(1, Ordering::SeqCst);
            let attempt = cast_once(http, base, &self.election, &self.tokens[i], example_choices(i)).await;
            self.progress.in_flight.fetch_sub(1, Ordering::SeqCst);
            let uncertain = voted.no_answers + voted.unavailable > 0;
            let why = match attempt {
                Attempt::Cast(r) => Some(Ending::Receipt(r)),
                Attempt::TokenUsed if uncertain => Some(Ending::CommittedUnanswered),
                Attempt::TokenUsed => Some(Ending::Unexpected(409, json!("token_used on the first attempt"))),
                Attempt::Other(status, body) => Some(Ending::Unexpected(status, body)),
                Attempt::Unavailable => {
                    voted.unavailable += 1;
                    None
                }
                Attempt::NoAnswer(e) => {
                    voted.no_answers += 1;
                    voted.ending = Ending::GaveUp(e);
                    None
                }
            };
            if let Some(ending) = why {
                voted.ending = ending;
                voted.answered_at = Instant::now();
                return voted;
            }
            if Instant::now() >= self.deadline {
                return voted;
            }
            tokio::time::sleep(RETRY_PAUSE).await;
        }
    }
}

/// The figures a crash or scale-out run reports.
#[derive(Debug, Default, Clone)]
pub struct Figures {
    /// Crash rounds (SIGKILL and restart).
    pub rounds: usize,
    /// Casts attempted (one per token).
    pub casts: usize,
    /// HTTP requests made for them, retries included.
    pub requests: u64,
    /// Receipts received (`201`).
    pub receipts: usize,
    /// Casts started but not answered when a kill happened, summed over kills.
    pub in_flight_at_kills: usize,
    /// Retries that found their ballot already committed (`409`).
    pub committed_unanswered: usize,
    /// Attempts with no answer (connection refused, reset, timed out).
    pub no_answers: u64,
    /// Attempts answered `503 unavailable`.
    pub unavailable: u64,
}

impl Figures {
    /// Add up what the voters saw.
    pub fn count(&mut self, voted: &[Voted]) {
        self.casts += voted.len();
        for v in voted {
            self.requests += u64::from(v.attempts);
            self.no_answers += u64::from(v.no_answers);
            self.unavailable += u64::from(v.unavailable);
            match v.ending {
                Ending::Receipt(_) => self.receipts += 1,
                Ending::CommittedUnanswered => self.committed_unanswered += 1,
                _ => {}
            }
        }
    }
}

impl fmt::Display for Figures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "rounds={} casts={} requests={} receipts={} in_flight_at_kills={} committed_unanswered={} \
             no_answer_attempts={} unavailable_503={}",
            self.rounds,
            self.casts,
            self.requests,
            self.receipts,
            self.in_flight_at_kills,
            self.committed_unanswered,
            self.no_answers,
            self.unavailable
        )
    }
}

/// Every ending that is not a receipt or a committed-unanswered cast,
/// described for an assertion message.
pub fn unexpected(voted: &[Voted]) -> Vec<String> {
    voted
        .iter()
        .filter_map(|v| match &v.ending {
            Ending::Receipt(_) | Ending::CommittedUnanswered => None,
            Ending::Unexpected(status, body) => Some(format!("token #{}: {status} {body}", v.token)),
            Ending::GaveUp(e) => Some(format!(
                "token #{}: no answer after {} attempts: {e}",
                v.token, v.attempts
            )),
        })
        .collect()
}

/// The receipts among the endings.
pub fn receipts(voted: &[Voted]) -> Vec<&Receipt> {
    voted
        .iter()
        .filter_map(|v| match &v.ending {
            Ending::Receipt(r) => Some(&**r),
            _ => None,
        })
        .collect()
}

/// Check every receipt against the record, on every core: each must pass
/// `verify_receipt` (signature, inclusion in its promised seal, content).
pub fn verify_receipts(receipts: &[&Receipt], record: &teller_audit::record::Record) {
    let began = Instant::now();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = receipts.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        for part in receipts.chunks(chunk) {
            s.spawn(move || {
                for r in part {
                    let report = teller_audit::verify::verify_receipt(r, record);
                    assert!(
                        report.ok(),
                        "receipt {} promising seal {}: {report}",
                        r.body.tracker.to_hex(),
                        r.body.seal
                    );
                }
            });
        }
    });
    eprintln!("verified {} receipts in {:.1?}", receipts.len(), began.elapsed());
}
