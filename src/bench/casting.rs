//! Casting over real HTTP: one election with a token for every cast of
//! every level, the real server as a child process, and the load generator
//! at each number of concurrent voters in turn, with the server's CPU and
//! memory watched from `/proc` while it runs.

use std::path::Path;
use std::time::Duration;

use anyhow::Result;

use super::ballots::{cast_body, BallotMaker};
use super::load::{self, Outcome, Plan};
use super::memory::{Resident, Sampler};
use super::prepare;
use super::scratch::{Backend, ScratchDb};
use super::server::Server;
use crate::db;
use crate::secrets::MasterSecret;

/// Casts made before the measured levels, so that the server's first
/// connections and caches are not counted against the first level.
pub(super) const WARM_UP_CASTS: usize = 50;
/// How often the server's memory is sampled during a level.
const SAMPLE_EVERY: Duration = Duration::from_millis(20);

/// How hard and how long to push.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Concurrent voters at each level, in order.
    pub levels: Vec<usize>,
    /// The most casts in one level.
    pub max_casts: usize,
    /// The longest one level runs.
    pub time_limit: Duration,
    /// After the unpaced levels, one more at the largest number of voters,
    /// paced to offer this share of the rate that level reached (`None`: no paced level).
    pub paced_share: Option<f64>,
}

/// One level's figures.
#[derive(Debug, Clone)]
pub struct Level {
    /// Concurrent voters.
    pub voters: usize,
    /// Paced: the casts per second offered. `None`: unpaced (closed loop).
    pub offered: Option<f64>,
    /// What the load generator saw.
    pub outcome: Outcome,
    /// CPU the server used while the voters ran.
    pub server_cpu: Duration,
    /// CPU this process (the load generator) used while the voters ran.
    pub load_cpu: Duration,
    /// CPU all `postgres` processes used while the voters ran (PostgreSQL only).
    pub postgres_cpu: Option<Duration>,
    /// The server's largest `VmRSS` sampled during the level, and its `VmHWM` at the end.
    pub server_memory: Resident,
}

/// Every level on one backend.
#[derive(Debug, Clone)]
pub struct Casting {
    /// The backend.
    pub backend: Backend,
    /// The levels, in the order run.
    pub levels: Vec<Level>,
    /// The server's resident memory once started, before any load.
    pub server_idle: Resident,
    /// The warnings and errors the server logged.
    pub server_problems: Vec<String>,
}

/// Run every level against a server on `database`.
pub fn run(
    database: &ScratchDb,
    secret: &MasterSecret,
    secret_file: &Path,
    exe: &Path,
    work: &Path,
    settings: &Settings,
) -> Result<Casting> {
    let label = format!("{} casting", database.backend);
    let paced_levels = usize::from(settings.paced_share.is_some());
    let members = ((settings.levels.len() + paced_levels) * settings.max_casts + WARM_UP_CASTS) as u64;
    let prepared = {
        let pool = db::connect(&database.url, 1)?;
        let mut conn = db::get(&pool)?;
        let prepared = prepare::election_with_tokens(&mut conn, secret, members, &label)?;
        prepare::open(&mut conn, secret, &prepared.election)?;
        prepared
    };
    let election = prepared.election.clone();
    let log = work.join(format!("server-{}.log", database.backend));
    let mut server = Server::start(
        exe,
        &database.url,
        secret_file,
        &log,
        &format!("/api/v1/elections/{election}"),
    )?;
    let server_idle = super::memory::resident(server.pid()).unwrap_or_default();
    let path = format!("/api/v1/elections/{election}/ballots");
    let mut maker = BallotMaker::new(&prepared.definition, 1);
    let mut tokens = prepared.tokens.iter();
    let mut bodies = |n: usize| -> Vec<Vec<u8>> {
        tokens
            .by_ref()
            .take(n)
            .map(|t| cast_body(t, &maker.choices()))
            .collect()
    };

    let warm_up = load::run(Plan {
        addr: server.addr(),
        path: path.clone(),
        bodies: bodies(WARM_UP_CASTS),
        voters: 10,
        time_limit: settings.time_limit,
        watch_pid: None,
        watch_comm: None,
        rate: None,
    })?;
    anyhow::ensure!(
        warm_up.problems() == 0,
        "the warm-up casts failed: {}\n{}",
        warm_up.first_problem.unwrap_or_default(),
        server.log_tail()
    );

    let mut target = Target {
        backend: database.backend,
        server: &mut server,
        path: &path,
        settings,
        label: &label,
    };
    let mut levels: Vec<Level> = Vec::new();
    for &voters in &settings.levels {
        levels.push(target.level(bodies(settings.max_casts), voters, None)?);
    }
    let busiest = levels
        .iter()
        .max_by_key(|l| l.voters)
        .map(|l| (l.voters, l.outcome.casts_per_second()));
    if let (Some(share), Some((voters, rate))) = (settings.paced_share, busiest) {
        levels.push(target.level(bodies(settings.max_casts), voters, Some(rate * share))?);
    }
    Ok(Casting {
        backend: database.backend,
        levels,
        server_idle,
        server_problems: server.log_problems(),
    })
}

/// The running server and what every level shares.
pub(super) struct Target<'a> {
    pub(super) backend: Backend,
    pub(super) server: &'a mut Server,
    pub(super) path: &'a str,
    pub(super) settings: &'a Settings,
    pub(super) label: &'a str,
}

impl Target<'_> {
    /// One level: run the voters while sampling the server's memory.
    pub(super) fn level(&mut self, bodies: Vec<Vec<u8>>, voters: usize, offered: Option<f64>) -> Result<Level> {
        let (backend, label) = (self.backend, self.label);
        let server = &mut *self.server;
        let plan = Plan {
            addr: server.addr(),
            path: self.path.to_string(),
            bodies,
            voters,
            time_limit: self.settings.time_limit,
            watch_pid: Some(server.pid()),
            watch_comm: (backend == Backend::Postgres).then_some("postgres"),
            rate: offered,
        };
        let sampler = Sampler::start(server.pid(), SAMPLE_EVERY);
        let outcome = load::run(plan);
        let server_memory = sampler.stop();
        server.check_alive()?;
        let outcome = outcome?;
        let level = Level {
            voters,
            offered,
            server_cpu: outcome.watched_cpu,
            load_cpu: outcome.load_cpu,
            postgres_cpu: (backend == Backend::Postgres).then_some(outcome.watched_comm_cpu),
            server_memory,
            outcome,
        };
        let pace = offered.map_or(String::new(), |r| format!(" paced at {r:.0}/s"));
        eprintln!(
            "  {label}: {voters} voters{pace}: {} casts in {:.1} s = {:.0}/s, p99 {:.1} ms, {} problems, \
             server RSS ≤ {:.0} MiB, {:.1} CPUs busy",
            level.outcome.created,
            level.outcome.elapsed.as_secs_f64(),
            level.outcome.casts_per_second(),
            level.outcome.latencies.p99.as_secs_f64() * 1000.0,
            level.outcome.problems(),
            super::memory::mib(level.server_memory.rss_kib),
            level.outcome.machine_cpus_busy
        );
        if let Some(problem) = &level.outcome.first_problem {
            eprintln!("    first problem: {problem}");
        }
        Ok(level)
    }
}
