//! Scale-out on PostgreSQL: several `teller serve` instances share one
//! database and one election. Clients spread over the instances cast while
//! the instances' schedulers and staff (`teller seal`) seal; the result is
//! one hash chain with no fork or gap, one ballot per token whichever
//! instances a token is sent to, and every receipt valid in the final record.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `TELLER_SCALEOUT_INSTANCES` | 3 | `teller serve` processes |
//! | `TELLER_SCALEOUT_CASTS` | 600 | casts, one token each |
//! | `TELLER_SCALEOUT_CLIENTS` | 30 | concurrent clients |
//! | `TELLER_SCALEOUT_SECONDS` | 16 | how long the casts are spread over (at least 12, so a scheduler seal falls inside) |
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::process::{
    cast_once, env_number, receipts, unexpected, verify_receipts, Attempt, Deployment, Figures, Load, Progress,
};
use common::{example_choices, Backend};
use teller_audit::log::Event;
use teller_audit::verify::{verify_record, Status};

/// How many casts of one token race across the instances.
const RACING: usize = 50;

async fn instances_share_one_chain() {
    let instances = env_number("TELLER_SCALEOUT_INSTANCES", 3).max(2) as usize;
    let casts = env_number("TELLER_SCALEOUT_CASTS", 600).max(1) as usize;
    let clients = env_number("TELLER_SCALEOUT_CLIENTS", 30).max(1) as usize;
    let seconds = env_number("TELLER_SCALEOUT_SECONDS", 16).max(12);
    let t0 = Instant::now();
    let d = Arc::new(Deployment::new(Backend::Postgres));
    let (id, mut tokens) = d.open_election(casts + 1);
    let racing = tokens.pop().unwrap();
    let mut servers = Vec::new();
    for _ in 0..instances {
        servers.push(d.serve().await);
    }
    let bases: Vec<String> = servers.iter().map(|s| s.base.clone()).collect();
    eprintln!("scaleout: {instances} instances, {casts} casts from {clients} clients over ~{seconds} s");

    // Spread the casts over `seconds`: each client pauses between its casts.
    let span = Duration::from_secs(seconds);
    let pause = span.mul_f64(clients as f64 / casts as f64);
    let progress = Arc::new(Progress::default());
    let load = Load {
        election: id.clone(),
        tokens: Arc::new(tokens.clone()),
        bases: bases.clone(),
        clients,
        pause,
        deadline: Instant::now() + span * 4 + Duration::from_secs(60),
        progress: progress.clone(),
    }
    .start();
    // Staff seal at the start and near the end; the schedulers (every 1 s,
    // sealing 10 s after the last seal) seal in between.
    let sealer = {
        let (d, id) = (d.clone(), id.clone());
        tokio::task::spawn_blocking(move || {
            std::thread::sleep(Duration::from_millis(500));
            let first = d.seal(&id);
            std::thread::sleep(span.saturating_sub(Duration::from_millis(1500)));
            let second = d.seal(&id);
            [first, second]
        })
    };
    // Halfway, one token cast 50 times at once, spread across the instances.
    tokio::time::sleep(span / 2).await;
    let http = reqwest::Client::new();
    let race: Vec<_> = (0..RACING)
        .map(|j| {
            let (http, base, id, token) = (http.clone(), bases[j % instances].clone(), id.clone(), racing.clone());
            tokio::spawn(async move { cast_once(&http, &base, &id, &token, example_choices(j)).await })
        })
        .collect();
    let mut raced = Vec::new();
    let mut race_receipts = Vec::new();
    for r in race {
        match r.await.unwrap() {
            Attempt::Cast(receipt) => {
                raced.push(201);
                race_receipts.push(receipt);
            }
            Attempt::TokenUsed => raced.push(409),
            other => panic!("a racing cast: {other:?}"),
        }
    }
    assert_eq!(race_receipts.len(), 1, "{raced:?}");
    assert_eq!(raced.iter().filter(|s| **s == 409).count(), RACING - 1, "{raced:?}");

    let voted = load.await.unwrap();
    let explicit: Vec<u64> = sealer.await.unwrap().into_iter().flatten().collect();
    let load_time = t0.elapsed();
    let mut figures = Figures::default();
    figures.count(&voted);
    let problems = unexpected(&voted);
    assert!(problems.is_empty(), "casts that ended badly:\n{}", problems.join("\n"));
    // Retries happen only if the database went away (another program may
    // restart the shared PostgreSQL); they are reported, not failed.
    if figures.requests != casts as u64 {
        eprintln!("scaleout: casts were retried: {figures}");
    }
    let scheduled: Vec<Vec<u64>> = servers.iter().map(|s| s.scheduler_seals()).collect();
    let complaints: Vec<String> = servers
        .iter()
        .flat_map(|s| {
            s.log_text()
                .lines()
                .filter(|l| l.contains(" WARN ") || l.contains(" ERROR "))
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .collect();
    eprintln!(
        "scaleout: {} receipts from {} requests; racing token: {} × 201, {} × 409",
        figures.receipts,
        figures.requests,
        race_receipts.len(),
        RACING - race_receipts.len()
    );
    eprintln!(
        "scaleout: load done in {load_time:.1?}; staff seals {explicit:?}, scheduler seals per instance {scheduled:?}"
    );
    // Instances contending for one election must queue on its row lock, not
    // fail: a deadlock or serialisation failure is a bug even if retried.
    let conflicts: Vec<&String> = complaints
        .iter()
        .filter(|l| l.contains("deadlock") || l.contains("could not serialize"))
        .collect();
    assert!(conflicts.is_empty(), "instances conflicted:\n{conflicts:?}");
    if !complaints.is_empty() {
        eprintln!(
            "scaleout: the instances logged {} warnings and errors (the database went away?); the first:\n{}",
            complaints.len(),
            complaints[..complaints.len().min(5)].join("\n")
        );
    }
    drop(servers);

    d.teller_ok(&["election", "close", &id]);
    d.teller_ok(&["election", "tally", &id]);
    let record = d.export(&id);
    let report = verify_record(&record, &[]);
    assert!(report.ok(), "{report}");
    for check in ["log-chain", "log-structure", "ballots-match-log", "counts"] {
        assert_eq!(
            report.check(check).map(|c| c.status),
            Some(Status::Pass),
            "{check}: {report}"
        );
    }
    let ballots = (casts + 1) as u64;
    assert_eq!((record.counts.ballots, record.counts.tokens_used), (ballots, ballots));
    assert_eq!(d.count("SELECT COUNT(*) AS n FROM members WHERE voted"), ballots as i64);

    // One chain: entries numbered 0, 1, 2, … and seals 1, 2, 3, …, each seal
    // closing the ballots since the one before.
    let mut seals = Vec::new();
    let mut since_seal = 0;
    for (i, e) in record.log.iter().enumerate() {
        assert_eq!(e.entry.seq, i as u64, "log entry {i} has seq {}", e.entry.seq);
        match &e.entry.event {
            Event::Ballot { .. } => since_seal += 1,
            Event::Seal { seal, ballots } => {
                assert_eq!(*ballots, since_seal, "seal {seal}");
                since_seal = 0;
                seals.push(*seal);
            }
            _ => {}
        }
    }
    assert_eq!(since_seal, 0, "ballot entries after the last seal");
    assert_eq!(seals, (1..=seals.len() as u64).collect::<Vec<_>>());
    // Each seal made once, by one of: staff, one instance's scheduler, the close.
    let mut made = BTreeSet::new();
    for s in explicit.iter().chain(scheduled.iter().flatten()) {
        assert!(
            made.insert(*s),
            "seal {s} reported twice: staff {explicit:?}, schedulers {scheduled:?}"
        );
        assert!(seals.contains(s), "seal {s} is not in the log {seals:?}");
    }
    assert!(
        seals.len() - made.len() <= 1,
        "seals {seals:?}; made by staff or schedulers {made:?}"
    );
    assert!(
        scheduled.iter().map(Vec::len).sum::<usize>() >= 1,
        "no scheduler sealed during {seconds} s"
    );
    assert_eq!(explicit.len(), 2, "staff seals {explicit:?}");

    let mut all = receipts(&voted);
    all.extend(race_receipts.iter().map(|r| &**r));
    verify_receipts(&all, &record);
    eprintln!(
        "FIGURES scaleout instances={instances} casts={} requests={} receipts={} racing=1x201+{}x409 seals={} \
         scheduler_seals={} staff_seals={} ballots={} seconds={:.1}",
        figures.casts,
        figures.requests,
        all.len(),
        RACING - 1,
        seals.len(),
        scheduled.iter().map(Vec::len).sum::<usize>(),
        explicit.len(),
        record.counts.ballots,
        t0.elapsed().as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(not(teller_pg_tests), ignore = "set TELLER_TEST_DATABASE_URL to run on PostgreSQL")]
async fn instances_on_one_database_keep_one_chain_and_one_ballot_per_token() {
    instances_share_one_chain().await
}
