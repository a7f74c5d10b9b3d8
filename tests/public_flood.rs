//! Anonymous load must not starve casting (issue 15, finding 5): public
//! pages read stored figures (one row, no count over the roll), and public
//! reads share a few permits below the database pool, so that casting keeps
//! its connections and threads. Bounded: 40 anonymous clients on
//! loopback while four voters cast one ballot after another, 6 s.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{example_choices, Backend, TestApp};

const FLOOD_CLIENTS: usize = 40;
const VOTERS: usize = 4;
const FLOOD_FOR: Duration = Duration::from_secs(6);
/// Generous: the pool gives up after 5 s, which is how casts failed before.
const CAST_BOUND: Duration = Duration::from_secs(3);

#[derive(Default)]
struct Served {
    ok: AtomicU64,
    busy: AtomicU64,
}

async fn flood_while_casting(backend: Backend) {
    let app = Arc::new(TestApp::spawn(backend).await);
    let (id, tokens) = app.open_example(2_000);

    // The public page reads the stored figures: change them in the database
    // and the page shows the change (it does not count the roll).
    app.db.sql(&format!(
        "UPDATE turnout SET eligible = 424242 WHERE election_id = '{id}'"
    ));
    let page = app.http.get(app.url(&format!("/e/{id}"))).send().await.unwrap();
    assert!(page.text().await.unwrap().contains("424242 members are eligible"));
    let (_, api) = app.get_json(&format!("/api/v1/elections/{id}")).await;
    assert_eq!(api["turnout"]["eligible"], 424242);
    app.db.sql(&format!(
        "UPDATE turnout SET eligible = 2000 WHERE election_id = '{id}'"
    ));

    let stop = Arc::new(AtomicBool::new(false));
    let served = Arc::new(Served::default());
    let paths = Arc::new([
        format!("/e/{id}"),
        format!("/api/v1/elections/{id}"),
        "/".to_string(),
        format!("/e/{id}/track?tracker=0123456789abcdef0123"),
        format!("/api/v1/elections/{id}/checkpoint"),
        format!("/api/v1/elections/{id}/record"),
    ]);
    let flood: Vec<_> = (0..FLOOD_CLIENTS)
        .map(|c| {
            let (app, stop, served, paths) = (app.clone(), stop.clone(), served.clone(), paths.clone());
            tokio::spawn(async move {
                // Each client its own connections, as separate people would.
                let http = reqwest::Client::builder()
                    .timeout(Duration::from_secs(20))
                    .build()
                    .unwrap();
                let mut k = c;
                while !stop.load(Ordering::Relaxed) {
                    let res = http.get(app.url(&paths[k % paths.len()])).send().await.unwrap();
                    k += 1;
                    match res.status().as_u16() {
                        200 => served.ok.fetch_add(1, Ordering::Relaxed),
                        503 => {
                            assert_eq!(res.headers()["retry-after"], "1", "a busy answer says when to retry");
                            served.busy.fetch_add(1, Ordering::Relaxed)
                        }
                        other => panic!("a public read got {other}"),
                    };
                    let _ = res.bytes().await;
                }
            })
        })
        .collect();

    // Voters cast one after another while the flood runs.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let tokens = Arc::new(tokens);
    let voters: Vec<_> = (0..VOTERS)
        .map(|_| {
            let (app, tokens, next, id) = (app.clone(), tokens.clone(), next.clone(), id.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while started.elapsed() < FLOOD_FOR {
                    let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                    let t0 = Instant::now();
                    let (status, body) = app.cast(&id, &tokens[i].1, example_choices(i)).await;
                    assert_eq!(status, 201, "a cast under the flood failed: {body}");
                    latencies.push(t0.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for v in voters {
        latencies.extend(v.await.unwrap());
    }
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    for f in flood {
        f.await.unwrap();
    }
    latencies.sort();
    let casts = latencies.len();
    let max = *latencies.last().unwrap();
    let p50 = latencies[casts / 2];
    let (ok, busy) = (served.ok.load(Ordering::Relaxed), served.busy.load(Ordering::Relaxed));
    eprintln!(
        "public_flood[{backend:?}]: {FLOOD_CLIENTS} anonymous clients, {} public reads served ({ok} × 200, {busy} × 503 busy) in {:.1} s; {casts} casts ({:.0}/s), latency p50 {:?}, max {:?}; peak memory of the test process (server and clients) {} MiB",
        ok + busy,
        elapsed.as_secs_f64(),
        casts as f64 / elapsed.as_secs_f64(),
        p50,
        max,
        peak_rss_kib() / 1024
    );
    assert!(casts >= 20, "only {casts} casts in {elapsed:?}");
    assert!(max < CAST_BOUND, "the slowest cast took {max:?}");
    assert!(ok > 200, "the public pages were served too ({ok})");
    // Turnout did not move with the casts: nothing was sealed.
    let (_, api) = app.get_json(&format!("/api/v1/elections/{id}")).await;
    assert_eq!(api["turnout"]["voted_as_of_last_seal"], 0);
}
on_both_backends!(anonymous_page_floods_leave_casting_working, flood_while_casting);

/// The process's peak resident memory (Linux), in KiB; 0 elsewhere.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
