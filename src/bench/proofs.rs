//! `teller bench --proofs N`: serving receipts' inclusion proofs (audit/
//! FORMAT.md §7a) and consistency proofs (§6a) from an election of N
//! sealed ballots, and casting with and without witnesses (§6b).
//!
//! Reads: the election is built by the bulk path ([`record::build`]: the
//! cast queue's own `cast_batch`, sealed every 25,000, closed and tallied),
//! `teller serve` runs as a child process with its default settings (the
//! public-read permits of `web::public_gate` included), and C clients on
//! loopback, each a keep-alive connection sending one request after the
//! other, fetch in turn the plain election summary (the baseline: the
//! cheapest public read), inclusion proofs of random ballots, and
//! consistency proofs from random sizes. Each read level stops after a
//! number of requests or a time, whichever comes first; every answer must
//! be a 200.
//!
//! Casting: one server, two elections on the example ballot sealed every
//! 10 s, the second naming three witnesses with a quorum of two — two real
//! `teller_audit::witness` servers on loopback in this process and one that
//! accepts connections and never answers. The same voters cast into each
//! in turn while the server seals and submits checkpoints on its own
//! tasks; the figures side by side show whether witnesses slow casting.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use ring::signature::Ed25519KeyPair;
use teller_audit::cosignature::WitnessKey;
use teller_audit::inclusion::InclusionProof;
use teller_audit::log::{Event, Witness as Named};
use teller_audit::note::{origin, LogKey};
use teller_audit::witness::server::{serve, Limits};
use teller_audit::witness::state::StateDir;
use teller_audit::witness::Witness;

use super::ballots::{cast_body, BallotMaker};
use super::http::Connection;
use super::load::{self, Outcome, Plan};
use super::memory::{cpu_time, MachineTicks};
use super::prepare::{roll_csv, ACTOR};
use super::record::{self, SEAL_EVERY};
use super::scratch::{Backend, ScratchDb, WorkDir};
use super::server::Server;
use super::stats::{micros, Latencies};
use crate::db::{self, AnyConnection};
use crate::domain::spec;
use crate::domain::token::Token;
use crate::ops::{create, lifecycle, roll, witnesses, OpError};
use crate::secrets::MasterSecret;
use crate::store::{log as logstore, witnesses as witness_store};
use crate::time::now;

/// Distinct random ballots whose proofs are asked for (in turn, repeatedly).
const TRACKERS: usize = 5_000;
/// Concurrent voters in the casting comparison.
const CAST_VOTERS: usize = 100;
/// Seconds between seals in the casting comparison (the least a definition allows).
const SEAL_SECONDS: u64 = 10;

/// How hard and how long to push.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Sealed ballots in the election whose proofs are served.
    pub ballots: u64,
    /// Concurrent clients reading.
    pub clients: usize,
    /// The most requests of one read level.
    pub max_reads: usize,
    /// The longest one level (read or cast) runs.
    pub time_limit: Duration,
    /// The most casts into each election of the casting comparison.
    pub casts: usize,
}

/// What one read level saw.
#[derive(Debug, Clone, Default)]
pub struct Reads {
    /// `200 OK`s.
    pub ok: u64,
    /// Other statuses and how often.
    pub other: BTreeMap<u16, u64>,
    /// Requests with no answer.
    pub failed: u64,
    /// The first problem, to say what went wrong.
    pub first_problem: Option<String>,
    /// Body bytes of the 200s.
    pub bytes: u64,
    /// Latency of every answered request.
    pub latencies: Latencies,
    /// From the moment every client was connected to the last answer.
    pub elapsed: Duration,
    /// CPU the server used meanwhile.
    pub server_cpu: Duration,
    /// CPU this process (the clients) used meanwhile.
    pub load_cpu: Duration,
    /// CPUs' worth of work the whole machine did meanwhile.
    pub machine_cpus_busy: f64,
    /// The machine's one-minute load average at the end (other work on it
    /// shows here: the figures are only comparable at similar loads).
    pub load_average: Option<f64>,
}

impl Reads {
    /// Answered 200s per second.
    pub fn per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn problems(&self) -> u64 {
        self.other.values().sum::<u64>() + self.failed
    }
}

/// One casting window.
#[derive(Debug, Clone)]
pub struct CastWindow {
    /// Whether the election names witnesses.
    pub witnessed: bool,
    /// What the voters saw.
    pub outcome: Outcome,
    /// Seals the server made in the election during the window.
    pub seals: usize,
}

/// Everything measured on one backend.
#[derive(Debug, Clone)]
pub struct Figures {
    /// The backend.
    pub backend: Backend,
    /// Building the election (roll and tokens, casting, close and tally).
    pub build: Duration,
    /// The first proof: the server reads the whole log into its tree.
    pub first_proof: Duration,
    /// Entries in the newest checkpoint.
    pub checkpoint_size: u64,
    /// `GET /api/v1/elections/{id}`.
    pub summary: Reads,
    /// `GET …/receipts/{tracker}/proof`.
    pub proofs: Reads,
    /// `GET …/log/consistency?from=N`.
    pub consistency: Reads,
    /// Casting without, then with, witnesses.
    pub casting: Vec<CastWindow>,
    /// Each witness's name and the largest size it co-signed, at the end.
    pub cosigned: Vec<(String, u64)>,
    /// The witnessed election's log size at the end.
    pub witnessed_log: u64,
    /// Warnings and errors the server logged.
    pub server_problems: Vec<String>,
}

/// Measure on SQLite and, given a URL, PostgreSQL; print the report and
/// write it to `out`.
pub fn run(settings: &Settings, postgres_url: Option<&str>, work_parent: &Path, out: Option<&Path>) -> Result<String> {
    let work = WorkDir::create(work_parent)?;
    let exe = std::env::current_exe().context("cannot find this program's own path")?;
    let secret_file = work.path().join("master.key");
    let secret = MasterSecret::generate_file(&secret_file)?;
    eprintln!("teller bench --proofs: working in {}", work.path().display());
    let started = crate::time::now();
    let mut databases = vec![ScratchDb::sqlite(work.path(), "proofs")];
    if let Some(url) = postgres_url {
        databases.push(ScratchDb::postgres(url, "proofs")?);
    }
    let mut figures = Vec::new();
    for database in &databases {
        figures.push(measure(database, settings, &secret, &secret_file, &exe, work.path())?);
    }
    let machine = super::machine::describe(work.path());
    let mut report = format!(
        "# Serving proofs\n\nMachine: {} × {} ({} available), {:.1} GiB, Linux {}. Started at {} (Unix time); \
         {} clients, levels of at most {} requests or {} s.\n\n",
        machine.cpu_model,
        machine.cpus,
        machine.available_cpus,
        machine.memory_kib as f64 / 1_048_576.0,
        machine.kernel,
        started,
        settings.clients,
        settings.max_reads,
        settings.time_limit.as_secs()
    );
    report.push_str(&render(settings, &figures));
    println!("{report}");
    if let Some(out) = out {
        std::fs::write(out, &report).with_context(|| format!("cannot write {}", out.display()))?;
    }
    Ok(report)
}

fn measure(
    database: &ScratchDb,
    settings: &Settings,
    secret: &MasterSecret,
    secret_file: &Path,
    exe: &Path,
    work: &Path,
) -> Result<Figures> {
    let backend = database.backend;
    let label = format!("{backend} proofs");
    eprintln!("{backend}: building an election of {} ballots", settings.ballots);
    let started = Instant::now();
    let built = record::build(&database.url, settings.ballots, SEAL_EVERY, secret, &label)?;
    let build = started.elapsed();
    let election = built.election;
    let (trackers, checkpoint_size) = {
        let pool = db::connect(&database.url, 1)?;
        let mut conn = db::get(&pool)?;
        let size = logstore::latest_checkpoint(&mut conn, &election)?
            .context("the election has no checkpoint")?
            .checkpoint
            .size;
        (sample_trackers(&mut conn, &election, size)?, size)
    };
    let log = work.join(format!("server-proofs-{backend}.log"));
    let mut server = Server::start(
        exe,
        &database.url,
        secret_file,
        &log,
        &format!("/api/v1/elections/{election}"),
    )?;
    let proof_path = |t: &String| format!("/api/v1/elections/{election}/receipts/{t}/proof");

    // The first proof reads the whole log into the server's tree: timed apart.
    let started = Instant::now();
    let first = first_proof(server.addr(), &proof_path(&trackers[0]))?;
    let first_proof = started.elapsed();
    anyhow::ensure!(first.election == election, "the proof is of another election");
    eprintln!(
        "  {label}: first proof in {:.2} s (the tree of {checkpoint_size} entries built)",
        first_proof.as_secs_f64()
    );

    let mut rng = StdRng::seed_from_u64(settings.ballots);
    let level = |name: &str, paths: Vec<String>, server: &mut Server| -> Result<Reads> {
        let reads = reads(server.addr(), paths, settings, server.pid())?;
        server.check_alive()?;
        eprintln!(
            "  {label}: {name}: {} in {:.1} s = {:.0}/s, p50 {:.2} ms, p99 {:.2} ms, {:.0} bytes each, {} problems, \
             server CPU {:.0} µs each, load generator CPU {:.0} µs each, {:.2} CPUs busy, load average {}",
            reads.ok,
            reads.elapsed.as_secs_f64(),
            reads.per_second(),
            ms(reads.latencies.p50),
            ms(reads.latencies.p99),
            reads.bytes as f64 / reads.ok.max(1) as f64,
            reads.problems(),
            reads.server_cpu.as_secs_f64() * 1e6 / reads.ok.max(1) as f64,
            reads.load_cpu.as_secs_f64() * 1e6 / reads.ok.max(1) as f64,
            reads.machine_cpus_busy,
            load_text(reads.load_average)
        );
        if let Some(problem) = &reads.first_problem {
            eprintln!("    first problem: {problem}");
        }
        Ok(reads)
    };
    let summary = level("summary", vec![format!("/api/v1/elections/{election}")], &mut server)?;
    let proofs = level("proofs", trackers.iter().map(proof_path).collect(), &mut server)?;
    let consistency_paths = (0..TRACKERS)
        .map(|_| {
            let from = rng.gen_range(1..=checkpoint_size);
            format!("/api/v1/elections/{election}/log/consistency?from={from}")
        })
        .collect();
    let consistency = level("consistency", consistency_paths, &mut server)?;
    let mut server_problems = server.log_problems();
    drop(server);

    let witnessed = cast_with_and_without_witnesses(database, settings, secret, secret_file, exe, work)?;
    server_problems.extend(witnessed.server_problems);
    Ok(Figures {
        backend,
        build,
        first_proof,
        checkpoint_size,
        summary,
        proofs,
        consistency,
        casting: witnessed.windows,
        cosigned: witnessed.cosigned,
        witnessed_log: witnessed.log_size,
        server_problems,
    })
}

/// Up to [`TRACKERS`] trackers of random ballots within the checkpoint of `size`.
fn sample_trackers(conn: &mut AnyConnection, election: &str, size: u64) -> Result<Vec<String>> {
    let mut rng = StdRng::seed_from_u64(size);
    let mut out = Vec::with_capacity(TRACKERS);
    for _ in 0..TRACKERS * 4 {
        if out.len() == TRACKERS {
            break;
        }
        let seq = rng.gen_range(0..size) as i64;
        for (seq, body, _) in logstore::entry_rows(conn, election, seq, 1)? {
            if let Event::Ballot { tracker } = logstore::parse_entry(conn, election, seq, &body)?.event {
                out.push(tracker.to_hex());
            }
        }
    }
    anyhow::ensure!(!out.is_empty(), "no ballot found in the log");
    Ok(out)
}

/// One proof, read and parsed.
fn first_proof(addr: SocketAddr, path: &str) -> Result<InclusionProof> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let response = runtime.block_on(async {
        let mut conn = Connection::open(addr).await?;
        conn.get(path).await
    })?;
    anyhow::ensure!(
        response.status == 200,
        "GET {path}: HTTP {}: {}",
        response.status,
        String::from_utf8_lossy(&response.body)
    );
    serde_json::from_slice(&response.body).context("the proof does not parse")
}

/// `clients` keep-alive connections sending `GET paths[i % len]` for
/// successive `i`, until `max_reads` or the time limit.
fn reads(addr: SocketAddr, paths: Vec<String>, settings: &Settings, server_pid: u32) -> Result<Reads> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the clients' runtime")?;
    let shared = Arc::new((paths, AtomicUsize::new(0), settings.max_reads, settings.time_limit));
    runtime.block_on(async move {
        let clients = settings.clients.max(1);
        let barrier = Arc::new(tokio::sync::Barrier::new(clients + 1));
        let handles: Vec<_> = (0..clients)
            .map(|_| tokio::spawn(client(addr, shared.clone(), barrier.clone())))
            .collect();
        let pid = server_pid.to_string();
        barrier.wait().await;
        let start = Instant::now();
        let before = (cpu_time("self"), cpu_time(&pid), MachineTicks::now());
        let mut total = Reads::default();
        let mut latencies = Vec::new();
        for handle in handles {
            let (r, l) = handle.await.context("a client task failed")?;
            total.ok += r.ok;
            total.failed += r.failed;
            total.bytes += r.bytes;
            for (status, n) in r.other {
                *total.other.entry(status).or_default() += n;
            }
            total.first_problem = total.first_problem.or(r.first_problem);
            latencies.extend(l);
        }
        total.elapsed = start.elapsed();
        let after = (cpu_time("self"), cpu_time(&pid), MachineTicks::now());
        let spent =
            |a: Option<Duration>, b: Option<Duration>| b.zip(a).map_or(Duration::ZERO, |(b, a)| b.saturating_sub(a));
        total.load_cpu = spent(before.0, after.0);
        total.server_cpu = spent(before.1, after.1);
        if let (Some(a), Some(b)) = (before.2, after.2) {
            total.machine_cpus_busy =
                a.cpus_busy_until(&b, std::thread::available_parallelism().map_or(1, |n| n.get()));
        }
        total.latencies = Latencies::from_micros(latencies);
        total.load_average = load_average();
        Ok(total)
    })
}

/// The one-minute load average (`/proc/loadavg`).
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

type ReadShared = (Vec<String>, AtomicUsize, usize, Duration);

async fn client(addr: SocketAddr, shared: Arc<ReadShared>, barrier: Arc<tokio::sync::Barrier>) -> (Reads, Vec<u32>) {
    let (paths, next, max, limit) = &*shared;
    let mut r = Reads::default();
    let mut latencies = Vec::new();
    let mut conn = Connection::open(addr).await.ok();
    barrier.wait().await;
    let deadline = Instant::now() + *limit;
    while Instant::now() < deadline {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= *max {
            break;
        }
        let connection = match conn.as_mut().filter(|c| !c.is_closed()) {
            Some(c) => c,
            None => match Connection::open(addr).await {
                Ok(c) => conn.insert(c),
                Err(e) => {
                    r.failed += 1;
                    r.first_problem.get_or_insert_with(|| format!("cannot connect: {e}"));
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let path = &paths[i % paths.len()];
        let sent = Instant::now();
        match connection.get(path).await {
            Ok(response) => {
                latencies.push(micros(sent.elapsed()));
                if response.status == 200 {
                    r.ok += 1;
                    r.bytes += response.body.len() as u64;
                } else {
                    *r.other.entry(response.status).or_default() += 1;
                    r.first_problem.get_or_insert_with(|| {
                        format!(
                            "GET {path}: HTTP {}: {}",
                            response.status,
                            String::from_utf8_lossy(&response.body[..response.body.len().min(300)])
                        )
                    });
                }
            }
            Err(e) => {
                r.failed += 1;
                r.first_problem.get_or_insert_with(|| format!("GET {path}: {e}"));
                conn = None;
            }
        }
    }
    (r, latencies)
}

struct Witnessed {
    windows: Vec<CastWindow>,
    cosigned: Vec<(String, u64)>,
    log_size: u64,
    server_problems: Vec<String>,
}

/// An election on the example ballot sealed every [`SEAL_SECONDS`], with
/// `members` tokens; a draft.
fn draft(conn: &mut AnyConnection, secret: &MasterSecret, members: u64) -> Result<(String, Vec<Token>, BallotMaker)> {
    let text = include_str!("../../examples/board-election.toml");
    let fast = text.replace("interval_seconds = 600", &format!("interval_seconds = {SEAL_SECONDS}"));
    anyhow::ensure!(fast != text, "the example election's sealing interval moved");
    let spec = spec::parse(&fast).map_err(OpError::Definition)?;
    let election = create::create_election(conn, secret, &spec, ACTOR, now())?;
    roll::import_roll(conn, &election, roll_csv(members).as_bytes(), ACTOR, now())?;
    let tokens = roll::issue_tokens(conn, secret, &election, ACTOR, now())?;
    let maker = BallotMaker::new(&spec.definition, members);
    Ok((election, tokens.into_iter().map(|t| t.token).collect(), maker))
}

/// A witness serving on loopback (on `runtime`) for the one log `log`.
fn start_witness(runtime: &tokio::runtime::Runtime, name: &str, log: &LogKey, dir: &Path) -> Result<Named> {
    let seed = ring::digest::digest(&ring::digest::SHA256, name.as_bytes());
    let pair = Ed25519KeyPair::from_seed_unchecked(seed.as_ref()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let key = WitnessKey::of(name, &pair);
    let witness = Witness::open(name, pair, std::slice::from_ref(log), StateDir::open(dir)?)?;
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let url = format!("http://{}", listener.local_addr()?);
    // Serves until the runtime is dropped.
    runtime.spawn(serve(
        listener,
        Arc::new(witness),
        Limits::default(),
        std::future::pending(),
    ));
    witnesses::parse_witness(&key.vkey(), &url).map_err(|e| anyhow::anyhow!(e))
}

/// A "witness" that accepts connections and never answers.
fn black_hole(runtime: &tokio::runtime::Runtime) -> Result<Named> {
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let url = format!("http://{}", listener.local_addr()?);
    runtime.spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let pair = Ed25519KeyPair::from_seed_unchecked(&[7; 32]).map_err(|e| anyhow::anyhow!("{e}"))?;
    let key = WitnessKey::of("witness.silent.test/w1", &pair);
    witnesses::parse_witness(&key.vkey(), &url).map_err(|e| anyhow::anyhow!(e))
}

fn cast_with_and_without_witnesses(
    database: &ScratchDb,
    settings: &Settings,
    secret: &MasterSecret,
    secret_file: &Path,
    exe: &Path,
    work: &Path,
) -> Result<Witnessed> {
    let backend = database.backend;
    let label = format!("{backend} casting");
    let db = ScratchDb::sqlite(work, "witnesses");
    let url = if backend == Backend::Sqlite {
        &db.url
    } else {
        &database.url
    };
    let pool = db::connect(url, 1)?;
    let mut conn = db::get(&pool)?;
    eprintln!("{backend}: casting with and without witnesses");
    let log = work.join(format!("server-witnesses-{backend}.log"));
    let mut server = Server::start(exe, url, secret_file, &log, "/api/v1/elections")?;
    let host = server.addr().to_string();
    let members = settings.casts as u64;
    let (plain, plain_tokens, mut plain_maker) = draft(&mut conn, secret, members)?;
    let (witnessed, witnessed_tokens, mut witnessed_maker) = draft(&mut conn, secret, members)?;
    let row = crate::store::elections::find(&mut conn, &witnessed)?.context("the election vanished")?;
    let log_key = LogKey {
        origin: origin(&host, &witnessed),
        key: row.public_key()?,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let named = vec![
        start_witness(&runtime, "witness.auditors.test/w1", &log_key, &work.join("w1"))?,
        start_witness(&runtime, "witness.partner.test/w1", &log_key, &work.join("w2"))?,
        black_hole(&runtime)?,
    ];
    witnesses::set_policy(&mut conn, &witnessed, &named, 2, ACTOR)?;
    lifecycle::open(&mut conn, secret, &plain, ACTOR, now())?;
    lifecycle::open(&mut conn, secret, &witnessed, ACTOR, now())?;

    let mut windows = Vec::new();
    for (election, tokens, maker, is_witnessed) in [
        (&plain, plain_tokens, &mut plain_maker, false),
        (&witnessed, witnessed_tokens, &mut witnessed_maker, true),
    ] {
        let bodies = tokens.iter().map(|t| cast_body(t, &maker.choices())).collect();
        let seals_before = logstore::seal_history(&mut conn, election)?.len();
        let outcome = load::run(Plan {
            addr: server.addr(),
            path: format!("/api/v1/elections/{election}/ballots"),
            bodies,
            voters: CAST_VOTERS,
            time_limit: cast_window(settings),
            watch_pid: Some(server.pid()),
            watch_comm: None,
            rate: None,
        })?;
        server.check_alive()?;
        let seals = logstore::seal_history(&mut conn, election)?.len() - seals_before;
        eprintln!(
            "  {label}: {} witnesses: {} casts in {:.1} s = {:.0}/s, p50 {:.1} ms, p99 {:.1} ms, {} problems, \
             {seals} seals",
            if is_witnessed { "with" } else { "without" },
            outcome.created,
            outcome.elapsed.as_secs_f64(),
            outcome.casts_per_second(),
            ms(outcome.latencies.p50),
            ms(outcome.latencies.p99),
            outcome.problems()
        );
        if let Some(problem) = &outcome.first_problem {
            eprintln!("    first problem: {problem}");
        }
        windows.push(CastWindow {
            witnessed: is_witnessed,
            outcome,
            seals,
        });
    }
    // Give the witnesses' task a few rounds to catch up with the last seal.
    std::thread::sleep(Duration::from_secs(12));
    let (list, _) = witness_store::policy(&mut conn, &witnessed)?;
    let cosigned = list.into_iter().map(|w| (w.witness.name, w.cosigned_size)).collect();
    let log_size = logstore::latest_checkpoint(&mut conn, &witnessed)?.map_or(0, |c| c.checkpoint.size);
    let server_problems = server.log_problems();
    drop(server);
    drop(runtime);
    Ok(Witnessed {
        windows,
        cosigned,
        log_size,
        server_problems,
    })
}

/// How long voters cast into each election: the level's time, and at
/// least long enough for two seals (so both windows see sealing alike).
fn cast_window(settings: &Settings) -> Duration {
    settings.time_limit.max(Duration::from_secs(SEAL_SECONDS * 5 / 2))
}

fn load_text(load: Option<f64>) -> String {
    load.map_or_else(|| "-".to_string(), |l| format!("{l:.2}"))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The Markdown tables.
fn render(settings: &Settings, figures: &[Figures]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "## Reads over HTTP ({} ballots, {} clients)\n\n\
         | backend | request | per second | p50 | p99 | max | bytes each | server CPU each | load generator CPU each | machine busy | load average | problems |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        settings.ballots, settings.clients
    );
    for f in figures {
        for (name, r) in [
            ("election summary (baseline)", &f.summary),
            ("inclusion proof", &f.proofs),
            ("consistency proof", &f.consistency),
        ] {
            let _ = writeln!(
                s,
                "| {} | {name} | {:.0} | {:.2} ms | {:.2} ms | {:.1} ms | {:.0} | {:.0} µs | {:.0} µs | {:.2} CPUs | {} | {} |",
                f.backend,
                r.per_second(),
                ms(r.latencies.p50),
                ms(r.latencies.p99),
                ms(r.latencies.max),
                r.bytes as f64 / r.ok.max(1) as f64,
                r.server_cpu.as_secs_f64() * 1e6 / r.ok.max(1) as f64,
                r.load_cpu.as_secs_f64() * 1e6 / r.ok.max(1) as f64,
                r.machine_cpus_busy,
                load_text(r.load_average),
                r.problems()
            );
        }
    }
    let _ = writeln!(
        s,
        "\nBuilding the election (bulk path, sealed every {SEAL_EVERY}, closed and tallied): {}. The first proof \
         after the server starts reads the log into its tree: {}.\n",
        figures
            .iter()
            .map(|f| format!("{} {:.1} s", f.backend, f.build.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", "),
        figures
            .iter()
            .map(|f| format!(
                "{} {:.2} s for {} entries",
                f.backend,
                f.first_proof.as_secs_f64(),
                f.checkpoint_size
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        s,
        "## Casting with and without witnesses ({CAST_VOTERS} voters for {} s each, sealing every {SEAL_SECONDS} s)\n\n\
         | backend | witnesses | casts | casts/s | p50 | p99 | max | seals meanwhile | problems |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|",
        cast_window(settings).as_secs()
    );
    for f in figures {
        for w in &f.casting {
            let o = &w.outcome;
            let _ = writeln!(
                s,
                "| {} | {} | {} | {:.0} | {:.1} ms | {:.1} ms | {:.1} ms | {} | {} |",
                f.backend,
                if w.witnessed {
                    "3 named, quorum 2 (one never answers)"
                } else {
                    "none"
                },
                o.created,
                o.casts_per_second(),
                ms(o.latencies.p50),
                ms(o.latencies.p99),
                ms(o.latencies.max),
                w.seals,
                o.problems()
            );
        }
        let _ = writeln!(
            s,
            "\n{}: the witnessed election's newest checkpoint has {} entries; co-signed so far: {}.",
            f.backend,
            f.witnessed_log,
            f.cosigned
                .iter()
                .map(|(name, size)| format!("{name} {size}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if !f.server_problems.is_empty() {
            let _ = writeln!(s, "\nThe server logged ({}):\n", f.backend);
            for line in &f.server_problems {
                let _ = writeln!(s, "    {line}");
            }
        }
    }
    s
}
