//! Casting encrypted ballots over real HTTP beside plain ones (issue 13's
//! target: the server's check of a cast at most 2 ms of CPU, so that
//! encrypted casting sustains at least 1,000 casts/s on SQLite; casts/s and
//! p99 at 100 and 1,000 voters beside the plaintext mode).
//!
//! `teller bench --encrypted-casting`: for each backend, the plain levels
//! (the example board election, as `casting` runs them) and the same
//! levels in the encrypted example election (three trustees, any two
//! decrypt; its ceremony run as the demo runs it), each against its own
//! server. The encrypted ballots are made before the load by this process
//! with the audit crate's encrypter (the device's work is not the
//! server's), each with its member's weight.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use teller_audit::count::Weight;
use teller_audit::encrypted::ballot::BallotShape;

use super::casting::{self, Casting, Settings};
use super::load::{self, Plan};
use super::prepare::ACTOR;
use super::scratch::{Backend, ScratchDb};
use super::server::Server;
use crate::db;
use crate::domain::token::Token;
use crate::ops::encrypted::Encryption;
use crate::secrets::MasterSecret;

/// One backend's plain and encrypted figures.
struct Pair {
    plain: Casting,
    encrypted: Casting,
    /// How long making the encrypted ballots took, and how many.
    made: (usize, Duration),
}

/// Run plain and encrypted casting on SQLite (and PostgreSQL, if given)
/// and print (or write to `out`) a Markdown table.
pub fn run(
    settings: &Settings,
    postgres_url: Option<&str>,
    parent: &Path,
    out: Option<&Path>,
    exe: &Path,
) -> Result<()> {
    let work = super::scratch::WorkDir::create(parent)?;
    let secret_file = work.path().join("master.key");
    let secret = MasterSecret::generate_file(&secret_file)?;
    let mut pairs = Vec::new();
    let mut backends = vec![Backend::Sqlite];
    if postgres_url.is_some() {
        backends.push(Backend::Postgres);
    }
    for backend in backends {
        let scratch = |name: &str| -> Result<ScratchDb> {
            match (backend, postgres_url) {
                (Backend::Postgres, Some(url)) => ScratchDb::postgres(url, name),
                _ => Ok(ScratchDb::sqlite(work.path(), name)),
            }
        };
        let plain_db = scratch("plain")?;
        let plain = casting::run(&plain_db, &secret, &secret_file, exe, work.path(), settings)?;
        drop(plain_db);
        let encrypted_db = scratch("encrypted")?;
        let (encrypted, made) = encrypted_levels(&encrypted_db, &secret, &secret_file, exe, work.path(), settings)?;
        pairs.push(Pair { plain, encrypted, made });
    }
    let report = report(&pairs, settings);
    match out {
        Some(path) => std::fs::write(path, report).with_context(|| format!("cannot write {}", path.display()))?,
        None => print!("{report}"),
    }
    Ok(())
}

/// The encrypted example election's levels.
fn encrypted_levels(
    database: &ScratchDb,
    secret: &MasterSecret,
    secret_file: &Path,
    exe: &Path,
    work: &Path,
    settings: &Settings,
) -> Result<(Casting, (usize, Duration))> {
    let label = format!("{} encrypted casting", database.backend);
    let paced = usize::from(settings.paced_share.is_some());
    let members = (settings.levels.len() + paced) * settings.max_casts + casting::WARM_UP_CASTS;
    let dir = work.join(format!("encrypted-{}", database.backend));
    crate::files::create_dir_all(&dir)?;
    let (election, bodies, made) = {
        let pool = db::connect(&database.url, 1)?;
        let mut conn = db::get(&pool)?;
        eprintln!("  {label}: the encrypted example election with {members} members, its ceremony…");
        let demo =
            crate::cli::demo_encrypted::create(&mut conn, secret, &dir, "http://127.0.0.1", members as u32, ACTOR)?;
        let encryption = Encryption::load(&mut conn, &demo.id)?
            .ok_or_else(|| anyhow::anyhow!("the encrypted election did not open"))?;
        let mut voters = Vec::with_capacity(members);
        let mut reader = csv::Reader::from_path(&demo.tokens_path)?;
        for record in reader.records() {
            let token = Token::parse(record?.get(3).unwrap_or_default())
                .map_err(|_| anyhow::anyhow!("a token in the demo's tokens file does not parse"))?;
            let hash = secret.token_hash(token.as_str());
            let weight = crate::store::members::weight_of_token(&mut conn, &demo.id, &hash)?
                .ok_or_else(|| anyhow::anyhow!("a token has no member"))?;
            voters.push((
                token,
                Weight::parse(&weight).map_err(|e| anyhow::anyhow!("weight: {e}"))?,
            ));
        }
        eprintln!("  {label}: encrypting {} ballots on two threads…", voters.len());
        let started = Instant::now();
        let bodies = encrypt_all(&encryption, &voters)?;
        (demo.id, bodies, (voters.len(), started.elapsed()))
    };
    let log = work.join(format!("server-encrypted-{}.log", database.backend));
    let mut server = Server::start(
        exe,
        &database.url,
        secret_file,
        &log,
        &format!("/api/v1/elections/{election}"),
    )?;
    let server_idle = super::memory::resident(server.pid()).unwrap_or_default();
    let path = format!("/api/v1/elections/{election}/ballots");
    let mut bodies = bodies.into_iter();
    let warm_up = load::run(Plan {
        addr: server.addr(),
        path: path.clone(),
        bodies: bodies.by_ref().take(casting::WARM_UP_CASTS).collect(),
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
    let mut target = casting::Target {
        backend: database.backend,
        server: &mut server,
        path: &path,
        settings,
        label: &label,
    };
    let mut levels = Vec::new();
    for &voters in &settings.levels {
        levels.push(target.level(bodies.by_ref().take(settings.max_casts).collect(), voters, None)?);
    }
    let busiest = levels
        .iter()
        .max_by_key(|l: &&casting::Level| l.voters)
        .map(|l| (l.voters, l.outcome.casts_per_second()));
    if let (Some(share), Some((voters, rate))) = (settings.paced_share, busiest) {
        levels.push(target.level(
            bodies.by_ref().take(settings.max_casts).collect(),
            voters,
            Some(rate * share),
        )?);
    }
    Ok((
        Casting {
            backend: database.backend,
            levels,
            server_idle,
            server_problems: server.log_problems(),
        },
        made,
    ))
}

/// One cast body per voter, `{"token", "ballot"}`, encrypted on two threads;
/// each voter marks one option per contest (the first, second, … in turn).
fn encrypt_all(encryption: &Encryption, voters: &[(Token, Weight)]) -> Result<Vec<Vec<u8>>> {
    let shape: &BallotShape = &encryption.shape;
    let half = voters.len().div_ceil(2).max(1);
    let parts: Vec<Result<Vec<Vec<u8>>>> = std::thread::scope(|s| {
        let handles: Vec<_> = voters
            .chunks(half)
            .enumerate()
            .map(|(part, chunk)| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .enumerate()
                        .map(|(i, (token, weight))| {
                            let n = part * half + i;
                            let choices = shape
                                .contests
                                .iter()
                                .map(|c| {
                                    let option = c.options[n % c.options.len()].clone();
                                    (c.id.clone(), vec![option])
                                })
                                .collect();
                            let made = encryption.encrypt(&choices, *weight)?;
                            let ballot: serde_json::Value = serde_json::from_slice(&made.bytes)?;
                            Ok(serde_json::json!({"token": token.as_str(), "ballot": ballot})
                                .to_string()
                                .into_bytes())
                        })
                        .collect::<Result<Vec<_>>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("an encrypting thread failed")))
            })
            .collect()
    });
    let mut out = Vec::with_capacity(voters.len());
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}

fn report(pairs: &[Pair], settings: &Settings) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Casting plain and encrypted ballots over HTTP ({} casts at most per level, {} s at most).\n",
        settings.max_casts,
        settings.time_limit.as_secs()
    );
    let _ = writeln!(
        out,
        "| backend | mode | voters | casts/s | p50 | p99 | server CPU per cast | PostgreSQL CPU per cast |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|");
    for pair in pairs {
        for (mode, casting) in [("plain", &pair.plain), ("encrypted", &pair.encrypted)] {
            for level in &casting.levels {
                let casts = level.outcome.created.max(1) as f64;
                let per_cast = |d: Duration| format!("{:.0} µs", d.as_secs_f64() * 1e6 / casts);
                let voters = match level.offered {
                    Some(rate) => format!("{} paced at {rate:.0}/s", level.voters),
                    None => level.voters.to_string(),
                };
                let _ = writeln!(
                    out,
                    "| {} | {mode} | {voters} | {:.0} | {:.1} ms | {:.1} ms | {} | {} |",
                    casting.backend,
                    level.outcome.casts_per_second(),
                    level.outcome.latencies.p50.as_secs_f64() * 1000.0,
                    level.outcome.latencies.p99.as_secs_f64() * 1000.0,
                    per_cast(level.server_cpu),
                    level.postgres_cpu.map_or("—".into(), per_cast),
                );
            }
        }
        let (n, took) = pair.made;
        let _ = writeln!(
            out,
            "\n{}: {n} encrypted ballots made beforehand in {:.1} s ({:.1} ms each on one of two threads).\n",
            pair.encrypted.backend,
            took.as_secs_f64(),
            took.as_secs_f64() * 2000.0 / n.max(1) as f64
        );
        for problem in pair
            .plain
            .server_problems
            .iter()
            .chain(&pair.encrypted.server_problems)
            .take(5)
        {
            let _ = writeln!(out, "server problem: {problem}");
        }
    }
    out
}
