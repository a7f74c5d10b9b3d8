//! Crash safety: the real `teller serve` is killed with SIGKILL at random
//! moments while many clients cast, and restarted on the same database; on
//! PostgreSQL the database itself is restarted under load while Teller keeps
//! running. Afterwards every receipt is in the record, the record verifies,
//! ballots equal tokens used, and no token is both unused and counted.
//!
//! Bounded by default (5 rounds, 300 casts); `scripts/soak.sh` runs it long:
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `TELLER_CRASH_ROUNDS` | 5 | SIGKILLs (each followed by a restart) |
//! | `TELLER_CRASH_CASTS` | 300 | casts, one token each |
//! | `TELLER_CRASH_CLIENTS` | 60 | concurrent clients |
//! | `TELLER_CRASH_PAUSE_MS` | 0 | each client's pause between casts (spreads the load over time) |
//! | `TELLER_CRASH_SEED` | time | seed of the kill moments (printed) |
//! | `TELLER_CRASH_PG_RESTARTS` | 1 | PostgreSQL restarts under load |
//! | `TELLER_CRASH_PG_SECONDS` | 15 | how long the casts are spread over while PostgreSQL restarts |
//! | `TELLER_CRASH_PG_DOWN_MS` | 1000 | how long PostgreSQL stays stopped (0: `pg_ctlcluster restart`) |
//! | `TELLER_CRASH_PG_BURST` | 200 | extra casts sent at full speed as each restart begins |
//! | `TELLER_CRASH_SECONDS` | 120 | deadline for the load (a safety bound) |
//! | `TELLER_PG_CLUSTER` | found by port | the local cluster `pg_ctlcluster` restarts (`15 main`) |
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::process::{
    cast_once, env_number, receipts, unexpected, verify_receipts, Attempt, Deployment, Ending, Figures, Load, Progress,
    Voted,
};
use common::{example_choices, Backend};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use teller_audit::record::Record;
use teller_audit::verify::verify_record;

struct Settings {
    rounds: usize,
    casts: usize,
    clients: usize,
    pause: Duration,
    seed: u64,
    pg_restarts: usize,
    pg_span: Duration,
    pg_down: Duration,
    pg_burst: usize,
    limit: Duration,
}

impl Settings {
    fn from_env() -> Self {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap();
        Settings {
            rounds: env_number("TELLER_CRASH_ROUNDS", 5) as usize,
            casts: env_number("TELLER_CRASH_CASTS", 300).max(1) as usize,
            clients: env_number("TELLER_CRASH_CLIENTS", 60).max(1) as usize,
            pause: Duration::from_millis(env_number("TELLER_CRASH_PAUSE_MS", 0)),
            seed: env_number("TELLER_CRASH_SEED", now.as_secs() ^ u64::from(now.subsec_nanos())),
            pg_restarts: env_number("TELLER_CRASH_PG_RESTARTS", 1) as usize,
            pg_span: Duration::from_secs(env_number("TELLER_CRASH_PG_SECONDS", 15)),
            pg_down: Duration::from_millis(env_number("TELLER_CRASH_PG_DOWN_MS", 1000)),
            pg_burst: env_number("TELLER_CRASH_PG_BURST", 200) as usize,
            limit: Duration::from_secs(env_number("TELLER_CRASH_SECONDS", 120)),
        }
    }
}

/// The tests here run one at a time: each loads the machine, and one
/// restarts the PostgreSQL server the others use.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// `rounds` points in (0, casts), one in each slice, spread at random: the
/// number of answered casts at which each kill happens.
fn kill_points(rng: &mut StdRng, rounds: usize, casts: usize) -> Vec<usize> {
    (0..rounds)
        .map(|r| {
            let at = (r as f64 + 1.0 + rng.gen_range(-0.5..0.5)) / (rounds as f64 + 1.0);
            ((at * casts as f64) as usize).min(casts.saturating_sub(1))
        })
        .collect()
}

/// Wait until `answered` casts have their answer.
async fn wait_for(progress: &Progress, answered: usize, deadline: Instant) {
    while progress.answered.load(Ordering::SeqCst) < answered {
        assert!(Instant::now() < deadline, "the load stalled before {answered} answers");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// `teller seal` every 700 ms until told to stop; the seals made.
fn seal_repeatedly(d: Arc<Deployment>, id: String, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<Vec<u64>> {
    tokio::task::spawn_blocking(move || {
        let mut seals = Vec::new();
        while !stop.load(Ordering::SeqCst) {
            seals.extend(d.seal(&id));
            std::thread::sleep(Duration::from_millis(700));
        }
        seals
    })
}

async fn killed_under_load(backend: Backend) {
    let _serial = ONE_AT_A_TIME.lock().await;
    let s = Settings::from_env();
    let t0 = Instant::now();
    eprintln!(
        "crash[{backend:?}]: seed={} rounds={} casts={} clients={} (TELLER_CRASH_SEED={} reproduces the kill moments)",
        s.seed, s.rounds, s.casts, s.clients, s.seed
    );
    let d = Arc::new(Deployment::new(backend));
    let (id, tokens) = d.open_election(s.casts);
    let mut server = d.serve().await;
    let progress = Arc::new(Progress::default());
    let deadline = Instant::now() + s.limit;
    let load = Load {
        election: id.clone(),
        tokens: Arc::new(tokens.clone()),
        bases: vec![server.base.clone()],
        clients: s.clients,
        pause: s.pause,
        deadline,
        progress: progress.clone(),
    }
    .start();
    let stop = Arc::new(AtomicBool::new(false));
    let sealer = seal_repeatedly(d.clone(), id.clone(), stop.clone());

    let mut rng = StdRng::seed_from_u64(s.seed);
    let mut figures = Figures {
        rounds: s.rounds,
        ..Figures::default()
    };
    let mut downtime = Duration::ZERO;
    for (round, at) in kill_points(&mut rng, s.rounds, s.casts).into_iter().enumerate() {
        let jitter = Duration::from_micros(rng.gen_range(0..3_000));
        wait_for(&progress, at, deadline).await;
        tokio::time::sleep(jitter).await;
        let in_flight = progress.in_flight.load(Ordering::SeqCst);
        server.kill();
        let killed = Instant::now();
        figures.in_flight_at_kills += in_flight;
        eprintln!(
            "crash[{backend:?}]: round {}: SIGKILL after {} answers, {in_flight} casts in flight",
            round + 1,
            progress.answered.load(Ordering::SeqCst)
        );
        server.start().await;
        downtime += killed.elapsed();
    }
    let voted = load.await.unwrap();
    stop.store(true, Ordering::SeqCst);
    let explicit_seals = sealer.await.unwrap();
    let load_time = t0.elapsed();
    figures.count(&voted);
    eprintln!("crash[{backend:?}]: {figures}");
    eprintln!(
        "crash[{backend:?}]: load done in {load_time:.1?} (down {downtime:.1?} in all); {} explicit seals; \
         scheduler seals {:?}",
        explicit_seals.len(),
        server.scheduler_seals()
    );
    let problems = unexpected(&voted);
    assert!(problems.is_empty(), "casts that ended badly:\n{}", problems.join("\n"));

    assert_used_tokens_are_refused(&server.base, &id, &tokens, &voted, s.clients).await;
    let record = close_and_export(&d, &id);
    check_record(&d, &record, &voted);
    eprintln!(
        "FIGURES crash-{} {figures} seconds={:.1} seed={}",
        format!("{backend:?}").to_lowercase(),
        t0.elapsed().as_secs_f64(),
        s.seed
    );
}
on_both_backends!(acknowledged_ballots_survive_sigkill_under_load, killed_under_load);

/// Every token that cast a ballot is refused now with `409`, however its
/// cast ended (receipt, or committed without an answer).
async fn assert_used_tokens_are_refused(base: &str, id: &str, tokens: &[String], voted: &[Voted], clients: usize) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let permits = Arc::new(tokio::sync::Semaphore::new(clients));
    let checks: Vec<_> = voted
        .iter()
        .map(|v| {
            let (http, permits) = (http.clone(), permits.clone());
            let (base, id, token, n) = (base.to_string(), id.to_string(), tokens[v.token].clone(), v.token);
            tokio::spawn(async move {
                let _permit = permits.acquire().await.unwrap();
                // A different ballot, so that the refusal is the token's, not the content's.
                (n, cast_once(&http, &base, &id, &token, example_choices(n + 1)).await)
            })
        })
        .collect();
    let mut wrong = Vec::new();
    for c in checks {
        let (n, attempt) = c.await.unwrap();
        if !matches!(attempt, Attempt::TokenUsed) {
            wrong.push(format!("token #{n}: {attempt:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "used tokens not refused with 409:\n{}",
        wrong.join("\n")
    );
}

fn close_and_export(d: &Deployment, id: &str) -> Record {
    d.teller_ok(&["election", "close", id]);
    d.teller_ok(&["election", "tally", id]);
    d.export(id)
}

/// The record verifies; each token cast exactly one ballot in it; the
/// database marks exactly those tokens used; every receipt is in it.
fn check_record(d: &Deployment, record: &Record, voted: &[Voted]) {
    let report = verify_record(record, &[]);
    assert!(report.ok(), "{report}");
    let cast = voted.len() as u64;
    assert_eq!(record.counts.ballots, cast, "ballots in the record");
    assert_eq!(record.counts.tokens_used, cast, "tokens used in the record");
    assert_eq!(record.ballots.as_ref().map(Vec::len), Some(cast as usize));
    assert_eq!(d.count("SELECT COUNT(*) AS n FROM members WHERE voted"), cast as i64);
    assert_eq!(d.count("SELECT COUNT(*) AS n FROM ballots"), cast as i64);
    assert_eq!(d.count("SELECT COUNT(*) AS n FROM ballots WHERE seal IS NULL"), 0);
    if d.db.backend == Backend::Sqlite {
        // The file itself survived the kills intact, not only the rows read.
        assert_eq!(
            d.count("SELECT COUNT(*) AS n FROM pragma_integrity_check WHERE integrity_check <> 'ok'"),
            0
        );
    }
    let receipts = receipts(voted);
    let trackers: BTreeSet<_> = receipts.iter().map(|r| r.body.tracker).collect();
    assert_eq!(trackers.len(), receipts.len(), "two receipts with one tracker");
    verify_receipts(&receipts, record);
}

/// The local PostgreSQL cluster; dropping it starts it again if it is down,
/// so that a failed test never leaves it stopped.
#[derive(Clone)]
struct Cluster {
    version: String,
    name: String,
}

impl Cluster {
    /// `TELLER_PG_CLUSTER` ("15 main"), or the local cluster listening on
    /// the port of `TELLER_TEST_DATABASE_URL` (5432 when it names none).
    fn from_env() -> Self {
        let spec = match std::env::var("TELLER_PG_CLUSTER") {
            Ok(spec) => spec,
            Err(_) => {
                let url = std::env::var("TELLER_TEST_DATABASE_URL").unwrap_or_default();
                let host = url.rsplit('@').next().unwrap_or("").split('/').next().unwrap_or("");
                let port = host.rsplit_once(':').map_or("5432", |(_, p)| p).to_string();
                let out = std::process::Command::new("pg_lsclusters").arg("-h").output().expect(
                    "the PostgreSQL restart test needs pg_lsclusters and pg_ctlcluster (Debian's postgresql-common)",
                );
                String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .map(|l| l.split_whitespace().collect::<Vec<_>>())
                    .find(|f| f.len() > 2 && f[2] == port)
                    .map(|f| format!("{} {}", f[0], f[1]))
                    .unwrap_or_else(|| {
                        panic!(
                            "no local PostgreSQL cluster listens on port {port} (pg_lsclusters); the restart \
                             test restarts the test database's server: set TELLER_PG_CLUSTER=\"VERSION NAME\""
                        )
                    })
            }
        };
        let (version, name) = spec.split_once(' ').expect("TELLER_PG_CLUSTER is `VERSION NAME`");
        Cluster {
            version: version.into(),
            name: name.trim().into(),
        }
    }

    fn ctl(&self, action: &str) -> std::process::Output {
        std::process::Command::new("pg_ctlcluster")
            .args([&self.version, &self.name, action])
            .output()
            .unwrap()
    }

    fn must(&self, action: &str) {
        let out = self.ctl(action);
        assert!(
            out.status.success(),
            "pg_ctlcluster {} {} {action}: {}",
            self.version,
            self.name,
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Kill the server (`stop -m immediate`: no shutdown checkpoint,
    /// sessions cut mid-statement or mid-COMMIT, crash recovery at start),
    /// keep it down for `down`, start it again.
    fn bounce(&self, down: Duration) {
        if down.is_zero() {
            return self.must("restart");
        }
        let out = std::process::Command::new("pg_ctlcluster")
            .args([&self.version, &self.name, "stop", "-m", "immediate"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pg_ctlcluster stop -m immediate: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(down);
        self.must("start");
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if !self.ctl("status").status.success() {
            let _ = self.ctl("start");
        }
    }
}

async fn postgres_restarted_under_load() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let s = Settings::from_env();
    let t0 = Instant::now();
    let cluster = Cluster::from_env();
    let d = Deployment::new(Backend::Postgres);
    // Tokens for the paced load, for a burst at each restart, and a few kept
    // to show casting works after recovery.
    const AFTER: usize = 10;
    let (id, mut tokens) = d.open_election(s.casts + s.pg_restarts * s.pg_burst + AFTER);
    let after = tokens.split_off(tokens.len() - AFTER);
    let mut spare = tokens.split_off(s.casts);
    let mut server = d.serve().await;
    let progress = Arc::new(Progress::default());
    let deadline = Instant::now() + s.limit;
    // Paced over `pg_span`, so that casts keep arriving while the database
    // is down and after it is back.
    let load = Load {
        election: id.clone(),
        tokens: Arc::new(tokens.clone()),
        bases: vec![server.base.clone()],
        clients: s.clients,
        pause: s.pg_span.mul_f64(s.clients as f64 / s.casts as f64),
        deadline,
        progress: progress.clone(),
    }
    .start();
    let mut rng = StdRng::seed_from_u64(s.seed);
    let mut restarts = Vec::new();
    let mut bursts = Vec::new();
    let mut figures = Figures {
        rounds: s.pg_restarts,
        ..Figures::default()
    };
    for at in kill_points(&mut rng, s.pg_restarts, s.casts) {
        wait_for(&progress, at, deadline).await;
        let in_flight = progress.in_flight.load(Ordering::SeqCst);
        figures.in_flight_at_kills += in_flight;
        let began = Instant::now();
        let restarting = cluster.clone();
        let bounce = tokio::task::spawn_blocking(move || restarting.bounce(s.pg_down));
        // Casts at full speed as the server goes down, so that some are
        // inside a transaction when their connection is cut.
        let burst_tokens = Arc::new(spare.split_off(spare.len() - s.pg_burst));
        let burst = Load {
            election: id.clone(),
            tokens: burst_tokens.clone(),
            bases: vec![server.base.clone()],
            clients: s.clients,
            pause: Duration::ZERO,
            deadline,
            progress: Arc::new(Progress::default()),
        }
        .start();
        bounce.await.unwrap();
        let ended = Instant::now();
        eprintln!(
            "pg-restart: PostgreSQL stopped after {at} answers ({in_flight} paced casts in flight) under a burst of \
             {} casts, held down {:?}, started; took {:.1?}",
            s.pg_burst,
            s.pg_down,
            ended - began
        );
        restarts.push((began, ended));
        bursts.push((burst_tokens, burst));
    }
    let mut voted = load.await.unwrap();
    let mut burst_voted = Vec::new();
    for (burst_tokens, burst) in bursts {
        burst_voted.push((burst_tokens, burst.await.unwrap()));
    }
    figures.count(&voted);
    for (_, v) in &burst_voted {
        figures.count(v);
    }
    assert!(
        server.is_running(),
        "teller serve died with its database:\n{}",
        server.log_tail(30)
    );
    eprintln!("pg-restart: {figures}; load done in {:.1?}", t0.elapsed());
    let problems: Vec<String> = std::iter::once(&voted)
        .chain(burst_voted.iter().map(|(_, v)| v))
        .flat_map(|v| unexpected(v))
        .collect();
    assert!(problems.is_empty(), "casts that ended badly:\n{}", problems.join("\n"));
    // Teller kept running, so every attempt was answered: a `503` must mean
    // "nothing was cast", never a stored ballot answered as a failure (its
    // member would get `409` on retry and never a receipt).
    let hidden: Vec<String> = std::iter::once(&voted)
        .chain(burst_voted.iter().map(|(_, v)| v))
        .flatten()
        .filter(|v| matches!(v.ending, Ending::CommittedUnanswered) && v.no_answers == 0)
        .map(|v| format!("token {}: {} attempt(s) answered 503, then 409", v.token, v.unavailable))
        .collect();
    assert!(
        hidden.is_empty(),
        "stored ballots answered as failures:\n{}",
        hidden.join("\n")
    );
    for (began, ended) in &restarts {
        let overlapping: Vec<&Voted> = std::iter::once(&voted)
            .chain(burst_voted.iter().map(|(_, v)| v))
            .flatten()
            .filter(|v| v.started_at < *ended && v.answered_at > *began)
            .collect();
        let slowest = overlapping.iter().map(|v| v.answered_at - v.started_at).max();
        let after = voted
            .iter()
            .filter(|v| matches!(v.ending, Ending::Receipt(_)) && v.started_at > *ended)
            .count();
        eprintln!(
            "pg-restart: {} casts overlapped the restart (slowest answered in {slowest:.1?}); {after} receipts for \
             paced casts begun after it",
            overlapping.len()
        );
    }
    // After recovery, casting works on the first attempt, without restarting Teller.
    let http = reqwest::Client::new();
    let mut recovered = Vec::new();
    for (i, token) in after.iter().enumerate() {
        match cast_once(&http, &server.base, &id, token, example_choices(i)).await {
            Attempt::Cast(receipt) => recovered.push(receipt),
            other => panic!("a cast after recovery: {other:?}"),
        }
    }
    assert_eq!(server.starts, 1, "teller was restarted");
    assert_used_tokens_are_refused(&server.base, &id, &tokens, &voted, s.clients).await;
    for (burst_tokens, v) in &burst_voted {
        assert_used_tokens_are_refused(&server.base, &id, burst_tokens, v, s.clients).await;
    }
    server.kill();
    let complaints: Vec<String> = server
        .log_text()
        .lines()
        .filter(|l| l.contains(" WARN ") || l.contains(" ERROR "))
        .map(String::from)
        .collect();
    let record = close_and_export(&d, &id);
    let report = verify_record(&record, &[]);
    assert!(report.ok(), "{report}");
    let cast = (voted.len() + burst_voted.iter().map(|(_, v)| v.len()).sum::<usize>() + after.len()) as u64;
    assert_eq!((record.counts.ballots, record.counts.tokens_used), (cast, cast));
    assert_eq!(d.count("SELECT COUNT(*) AS n FROM members WHERE voted"), cast as i64);
    for (_, v) in burst_voted {
        voted.extend(v);
    }
    let mut all = receipts(&voted);
    all.extend(recovered.iter().map(|r| &**r));
    verify_receipts(&all, &record);
    eprintln!(
        "pg-restart: teller logged {} warnings and errors while the database was away; the first:\n{}",
        complaints.len(),
        complaints.iter().take(5).cloned().collect::<Vec<_>>().join("\n")
    );
    eprintln!(
        "FIGURES pg-restart {figures} seconds={:.1} seed={}",
        t0.elapsed().as_secs_f64(),
        s.seed
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(not(teller_pg_tests), ignore = "set TELLER_TEST_DATABASE_URL to run on PostgreSQL")]
async fn a_postgres_restart_under_load_is_survived_without_restarting_teller() {
    postgres_restarted_under_load().await
}
