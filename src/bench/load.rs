//! The load generator: N voters, each a task with its own keep-alive
//! connection, casting one ballot after another, each with a fresh token,
//! until the prepared ballots run out or the time is up.
//!
//! Unpaced (a closed loop), a voter sends its next ballot as soon as the
//! last is answered: the most the server can do, and, by Little's law, a
//! mean latency of N ÷ throughput. Paced (an open loop), each voter sends
//! on a fixed schedule, the voters' schedules staggered evenly, and latency
//! counts from the scheduled moment, so a server that falls behind is
//! charged for the wait it caused.
//!
//! It runs on one thread (a current-thread tokio runtime), with every
//! request body built beforehand, so that it takes as little as possible of
//! the CPU it shares with the server; its CPU time is measured and reported.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use tokio::sync::Barrier;

use super::http::Connection;
use super::memory::{cpu_time, cpu_time_of_all, MachineTicks};
use super::stats::{micros, Latencies};

/// What to run.
pub struct Plan {
    /// The server.
    pub addr: SocketAddr,
    /// `/api/v1/elections/{id}/ballots`.
    pub path: String,
    /// One request body per cast, each with its own token.
    pub bodies: Vec<Vec<u8>>,
    /// Concurrent voters.
    pub voters: usize,
    /// Stop starting casts after this long.
    pub time_limit: Duration,
    /// A process (the server) whose CPU time to measure over the same window.
    pub watch_pid: Option<u32>,
    /// Also measure the CPU of every process with this command name (`postgres`).
    pub watch_comm: Option<&'static str>,
    /// Paced: all voters together offer this many casts per second. `None`: as fast as answered.
    pub rate: Option<f64>,
}

/// What happened.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// From the moment every voter was connected to the last answer.
    pub elapsed: Duration,
    /// `201 Created`: durably cast ballots.
    pub created: u64,
    /// Other statuses and how often each came.
    pub other: BTreeMap<u16, u64>,
    /// Requests that got no answer (connection failures, malformed answers).
    pub failed: u64,
    /// The first non-201 answer or failure, to say what went wrong.
    pub first_problem: Option<String>,
    /// Latency of every answered request, 201 or not.
    pub latencies: Latencies,
    /// CPU this whole process used while the voters ran (the generator, and
    /// the memory sampler's occasional wake-ups).
    pub load_cpu: Duration,
    /// CPU the watched process used over the same window.
    pub watched_cpu: Duration,
    /// CPU the processes named `watch_comm` used over the same window.
    pub watched_comm_cpu: Duration,
    /// How many CPUs' worth of work the whole machine did over the same window.
    pub machine_cpus_busy: f64,
}

impl Outcome {
    /// Durable casts per second.
    pub fn casts_per_second(&self) -> f64 {
        self.created as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Requests that were not a 201.
    pub fn problems(&self) -> u64 {
        self.other.values().sum::<u64>() + self.failed
    }
}

#[derive(Default)]
struct VoterResult {
    created: u64,
    other: BTreeMap<u16, u64>,
    failed: u64,
    first_problem: Option<String>,
    latencies: Vec<u32>,
}

impl VoterResult {
    fn problem(&mut self, what: impl FnOnce() -> String) {
        if self.first_problem.is_none() {
            self.first_problem = Some(what());
        }
    }
}

struct Shared {
    addr: SocketAddr,
    path: String,
    bodies: Vec<Vec<u8>>,
    next: AtomicUsize,
    time_limit: Duration,
    /// Paced: the time between one voter's sends.
    interval: Option<Duration>,
    voters: usize,
}

/// Run `plan` to completion on a thread of its own making.
pub fn run(plan: Plan) -> Result<Outcome> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the load generator's runtime")?;
    runtime.block_on(drive(plan))
}

async fn drive(plan: Plan) -> Result<Outcome> {
    let voters = plan.voters.max(1);
    let shared = Arc::new(Shared {
        addr: plan.addr,
        path: plan.path,
        bodies: plan.bodies,
        next: AtomicUsize::new(0),
        time_limit: plan.time_limit,
        interval: plan
            .rate
            .filter(|r| *r > 0.0)
            .map(|r| Duration::from_secs_f64(voters as f64 / r)),
        voters,
    });
    // Every voter connects first; the clock starts when all are ready.
    let barrier = Arc::new(Barrier::new(voters + 1));
    let mut handles = Vec::with_capacity(voters);
    for i in 0..voters {
        handles.push(tokio::spawn(voter(i, shared.clone(), barrier.clone())));
    }
    let watched = plan.watch_pid.map(|p| p.to_string());
    let comm = plan.watch_comm;
    let cpu = || {
        (
            cpu_time("self"),
            watched.as_deref().and_then(cpu_time),
            comm.map(cpu_time_of_all),
        )
    };
    barrier.wait().await;
    let start = Instant::now();
    let cpu_before = cpu();
    let machine_before = MachineTicks::now();
    let mut outcome = Outcome::default();
    let mut latencies = Vec::with_capacity(shared.bodies.len());
    for handle in handles {
        let r = handle.await.context("a voter task failed")?;
        outcome.created += r.created;
        outcome.failed += r.failed;
        for (status, n) in r.other {
            *outcome.other.entry(status).or_default() += n;
        }
        if outcome.first_problem.is_none() {
            outcome.first_problem = r.first_problem;
        }
        latencies.extend_from_slice(&r.latencies);
    }
    outcome.elapsed = start.elapsed();
    let cpu_after = cpu();
    if let (Some(a), Some(b)) = (machine_before, MachineTicks::now()) {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        outcome.machine_cpus_busy = a.cpus_busy_until(&b, cpus);
    }
    let spent = |a: Option<Duration>, b: Option<Duration>| match (a, b) {
        (Some(a), Some(b)) => b.saturating_sub(a),
        _ => Duration::ZERO,
    };
    outcome.load_cpu = spent(cpu_before.0, cpu_after.0);
    outcome.watched_cpu = spent(cpu_before.1, cpu_after.1);
    outcome.watched_comm_cpu = spent(cpu_before.2, cpu_after.2);
    outcome.latencies = Latencies::from_micros(latencies);
    Ok(outcome)
}

async fn voter(index: usize, shared: Arc<Shared>, barrier: Arc<Barrier>) -> VoterResult {
    let mut result = VoterResult::default();
    let mut conn = match Connection::open(shared.addr).await {
        Ok(c) => Some(c),
        Err(e) => {
            result.failed += 1;
            result.problem(|| format!("cannot connect: {e}"));
            None
        }
    };
    barrier.wait().await;
    let start = Instant::now();
    let deadline = start + shared.time_limit;
    // Paced voters are staggered evenly over one interval.
    let mut due = shared
        .interval
        .map(|every| start + every.mul_f64(index as f64 / shared.voters as f64));
    while Instant::now() < deadline {
        if let Some(at) = due {
            if at >= deadline {
                break;
            }
            tokio::time::sleep_until(at.into()).await;
        }
        let i = shared.next.fetch_add(1, Ordering::Relaxed);
        let Some(body) = shared.bodies.get(i) else {
            break;
        };
        let connection = match conn.as_mut().filter(|c| !c.is_closed()) {
            Some(c) => c,
            None => match Connection::open(shared.addr).await {
                Ok(c) => conn.insert(c),
                Err(e) => {
                    result.failed += 1;
                    result.problem(|| format!("cannot connect: {e}"));
                    // Do not spin on a refusing server; the deadline still bounds the run.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        // Paced, latency runs from when the cast was due, so time spent
        // waiting for a late answer to the previous one counts too.
        let sent = due.unwrap_or_else(Instant::now);
        if let (Some(at), Some(every)) = (due.as_mut(), shared.interval) {
            *at += every;
        }
        match connection.post_json(&shared.path, body).await {
            Ok(response) => {
                result.latencies.push(micros(sent.elapsed()));
                if response.status == 201 {
                    result.created += 1;
                } else {
                    *result.other.entry(response.status).or_default() += 1;
                    result.problem(|| {
                        format!(
                            "HTTP {}: {}",
                            response.status,
                            String::from_utf8_lossy(&response.body[..response.body.len().min(300)])
                        )
                    });
                }
            }
            Err(e) => {
                result.failed += 1;
                result.problem(|| format!("request failed: {e}"));
                conn = None;
            }
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// A toy keep-alive server: answers each request with the status in its
    /// body ("201" or another), counting requests.
    fn toy_server() -> SocketAddr {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let mut s = stream.unwrap();
                std::thread::spawn(move || {
                    let mut seen = Vec::new();
                    let mut buf = [0u8; 4096];
                    loop {
                        let text = String::from_utf8_lossy(&seen).to_string();
                        if let Some(end) = text.find("\r\n\r\n") {
                            let len: usize = text[..end]
                                .lines()
                                .find_map(|l| l.strip_prefix("Content-Length: "))
                                .map(|n| n.parse().unwrap())
                                .unwrap_or(0);
                            if seen.len() >= end + 4 + len {
                                let status = text[end + 4..end + 4 + len].to_string();
                                seen.drain(..end + 4 + len);
                                let reply = format!("HTTP/1.1 {status} X\r\nContent-Length: 2\r\n\r\nok");
                                s.write_all(reply.as_bytes()).unwrap();
                                continue;
                            }
                        }
                        match s.read(&mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => seen.extend_from_slice(&buf[..n]),
                        }
                    }
                });
            }
        });
        addr
    }

    #[test]
    fn every_prepared_body_is_sent_once_and_answers_are_counted() {
        let addr = toy_server();
        let mut bodies: Vec<Vec<u8>> = (0..300).map(|_| b"201".to_vec()).collect();
        bodies[17] = b"409".to_vec();
        bodies[18] = b"409".to_vec();
        bodies[200] = b"503".to_vec();
        let outcome = run(Plan {
            addr,
            path: "/cast".into(),
            bodies,
            voters: 25,
            time_limit: Duration::from_secs(30),
            watch_pid: None,
            watch_comm: None,
            rate: None,
        })
        .unwrap();
        assert_eq!(outcome.created, 297);
        assert_eq!(outcome.other, BTreeMap::from([(409, 2), (503, 1)]));
        assert_eq!(outcome.failed, 0);
        assert_eq!(outcome.problems(), 3);
        assert_eq!(outcome.latencies.count, 300);
        assert!(outcome.first_problem.unwrap().starts_with("HTTP "));
    }

    #[test]
    fn paced_voters_keep_to_the_offered_rate() {
        let addr = toy_server();
        let started = Instant::now();
        let outcome = run(Plan {
            addr,
            path: "/cast".into(),
            bodies: vec![b"201".to_vec(); 1000],
            voters: 10,
            time_limit: Duration::from_millis(500),
            watch_pid: None,
            watch_comm: None,
            rate: Some(200.0),
        })
        .unwrap();
        // 200/s for half a second: about 100 casts, far fewer than the 1000 offered.
        assert!((80..=120).contains(&outcome.created), "{}", outcome.created);
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn the_time_limit_stops_voters() {
        let addr = toy_server();
        let outcome = run(Plan {
            addr,
            path: "/cast".into(),
            bodies: vec![b"201".to_vec(); 1000],
            voters: 5,
            time_limit: Duration::ZERO,
            watch_pid: None,
            watch_comm: None,
            rate: None,
        })
        .unwrap();
        assert_eq!(outcome.created, 0);
    }

    #[test]
    fn a_dead_server_is_failures_not_a_hang() {
        let addr = SocketAddr::from(([127, 0, 0, 1], super::super::server::free_port().unwrap()));
        let outcome = run(Plan {
            addr,
            path: "/cast".into(),
            bodies: vec![b"201".to_vec(); 10],
            voters: 2,
            time_limit: Duration::from_secs(5),
            watch_pid: None,
            watch_comm: None,
            rate: None,
        })
        .unwrap();
        assert_eq!(outcome.created, 0);
        assert!(outcome.failed >= 2);
        assert!(outcome.first_problem.unwrap().contains("cannot connect"));
    }
}
