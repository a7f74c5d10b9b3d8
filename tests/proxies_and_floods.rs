//! The second round of attacks on availability (issue 15): a guesser behind
//! the reverse proxy every member shares, anonymous requests that try to
//! make the server keep state, a parallel sign-in flood, oversized API
//! bodies, and one client holding many idle connections. Each test performs
//! the attack over real HTTP against a server configured as deployed.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use common::staff::add_staff;
use common::{example_choices, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use teller::web::client::{ClientSettings, ProxyHeader};
use teller::web::limits::LimitSettings;
use teller::web::{AppState, CastSettings};

/// A second server on the test app's database, configured as a deployment
/// would be (trusted proxies, limits); stops when dropped.
struct Configured {
    base: String,
    state: AppState,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Configured {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

async fn serve_configured(app: &TestApp, clients: ClientSettings, limits: LimitSettings) -> Configured {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let pool = app.db.pool();
    let casts = CastSettings::for_pool(&pool);
    let state = AppState::with_settings(pool, common::secret(), base.clone(), casts, limits);
    state.set_client_settings(clients);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let serving = state.clone();
    tokio::spawn(async move {
        teller::web::serve(serving, listener, Duration::from_secs(3600), async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    Configured { base, state, _stop: tx }
}

/// Trusting the reverse proxy on 127.0.0.1 (where the test's requests come
/// from by default) and its `X-Forwarded-For`.
fn behind_proxy() -> ClientSettings {
    ClientSettings {
        trusted_proxies: ClientSettings::parse_proxies("127.0.0.1").unwrap(),
        proxy_header: ProxyHeader::XForwardedFor,
        ..ClientSettings::default()
    }
}

/// The default limits, with a short pause before refusals to keep tests quick.
fn quick_limits() -> LimitSettings {
    LimitSettings {
        refusal_delay: Duration::from_millis(50),
        ..LimitSettings::default()
    }
}

/// A client whose requests come from another loopback address.
fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<IpAddr>().unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn forged() -> String {
    teller::domain::token::Token::generate().unwrap().as_str().to_string()
}

/// Cast through the API as the proxy would forward it for `xff`.
async fn cast_as(
    http: &reqwest::Client,
    s: &Configured,
    id: &str,
    xff: &str,
    token: &str,
    choices: Value,
) -> (StatusCode, Option<String>, Value) {
    let res = http
        .post(s.url(&format!("/api/v1/elections/{id}/ballots")))
        .header("x-forwarded-for", xff)
        .json(&json!({"token": token, "choices": choices}))
        .send()
        .await
        .unwrap();
    let status = res.status();
    let retry = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    (status, retry, res.json().await.unwrap_or(Value::Null))
}

/// Enter a code in the browser as the proxy would forward it; returns the
/// status of `POST /vote` and of the ballot page it leads to.
async fn enter_code_as(http: &reqwest::Client, s: &Configured, xff: &str, code: &str) -> (StatusCode, StatusCode) {
    let res = http
        .post(s.url("/vote"))
        .header("x-forwarded-for", xff)
        .form(&[("code", code)])
        .send()
        .await
        .unwrap();
    let entered = res.status();
    if entered != StatusCode::SEE_OTHER {
        return (entered, entered);
    }
    let ballot = http
        .get(s.url("/ballot"))
        .header("x-forwarded-for", xff)
        .header("cookie", format!("teller_vote={code}"))
        .send()
        .await
        .unwrap()
        .status();
    (entered, ballot)
}

async fn guesser_behind_the_proxy(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (id, tokens) = app.open_example(8);
    let s = serve_configured(&app, behind_proxy(), quick_limits()).await;
    let proxy = client_from("127.0.0.1");
    let attacker = "198.51.100.66";
    // The attacker guesses through the proxy, writing junk of its own in
    // front of the address the proxy appends: ten guesses are answered…
    for i in 0..10 {
        let xff = format!("10.9.9.{i}, {attacker}");
        let (status, _, body) = cast_as(&proxy, &s, &id, &xff, &forged(), json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    // …then its guesses are refused, in the API and in the browser.
    let (status, retry, body) = cast_as(&proxy, &s, &id, attacker, &forged(), json!({})).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"], "too_many_attempts");
    let retry: u64 = retry.expect("Retry-After").parse().unwrap();
    assert!((1..=600).contains(&retry), "{retry}");
    let (status, _) = enter_code_as(&proxy, &s, attacker, "ABCD-EFGH").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);

    // Other members behind the same proxy vote as usual, by API and browser.
    let (status, _, body) = cast_as(&proxy, &s, &id, "203.0.113.7", &tokens[0].1, example_choices(0)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        enter_code_as(&proxy, &s, "203.0.113.8", &tokens[1].1).await,
        (StatusCode::SEE_OTHER, StatusCode::OK)
    );
    // The attacker's own valid code still works, from the limited address.
    assert_eq!(
        enter_code_as(&proxy, &s, attacker, &tokens[2].1).await,
        (StatusCode::SEE_OTHER, StatusCode::OK)
    );
    let (status, _, body) = cast_as(&proxy, &s, &id, attacker, &tokens[2].1, example_choices(2)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // A used code is told so (its member must learn someone voted with it)…
    let (status, _, body) = cast_as(&proxy, &s, &id, attacker, &tokens[2].1, example_choices(2)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::CONFLICT, Some("token_used"))
    );
    // …and counts as a failed attempt: ten of them and guesses are refused.
    let replayer = "203.0.113.50";
    for _ in 0..10 {
        let (status, _, _) = cast_as(&proxy, &s, &id, replayer, &tokens[0].1, example_choices(0)).await;
        assert_eq!(status, StatusCode::CONFLICT);
    }
    let (status, _, _) = cast_as(&proxy, &s, &id, replayer, &forged(), json!({})).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);

    // IPv6 clients count by /64: changing the last 64 bits does not help.
    for i in 0..10 {
        let (status, _, _) = cast_as(&proxy, &s, &id, &format!("2001:db8:1:2::{i:x}"), &forged(), json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, _, _) = cast_as(&proxy, &s, &id, "2001:db8:1:2:ffff::1", &forged(), json!({})).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let (status, _, _) = cast_as(&proxy, &s, &id, "2001:db8:1:3::1", &forged(), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the next /64 is another client");

    // A peer that is not a trusted proxy cannot choose its address.
    let direct = client_from("127.0.0.2");
    for i in 0..10 {
        let (status, _, _) = cast_as(&direct, &s, &id, &format!("192.0.2.{i}"), &forged(), json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, _, _) = cast_as(&direct, &s, &id, "192.0.2.200", &forged(), json!({})).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "X-Forwarded-For from an untrusted peer is ignored"
    );
    let (status, _, body) = cast_as(&direct, &s, &id, "192.0.2.201", &tokens[5].1, example_choices(5)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // A flood on the election from many addresses: more than 100 failures
    // in its window. Guessers that failed are refused; the election is not
    // switched off: a member's first mistake gets its answer, good codes vote.
    for i in 0..100 {
        let xff = format!("100.64.{}.{}", i / 200, i % 200 + 1);
        cast_as(&proxy, &s, &id, &xff, &forged(), json!({})).await;
    }
    let (status, _, _) = cast_as(&proxy, &s, &id, "100.64.0.1", &forged(), json!({})).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let (status, _, _) = cast_as(&proxy, &s, &id, "203.0.113.9", &forged(), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a first mistake is answered as such");
    let (status, _, body) = cast_as(&proxy, &s, &id, "100.64.0.1", &tokens[3].1, example_choices(3)).await;
    assert_eq!(status, StatusCode::CREATED, "a flooder's own good code: {body}");
    let (status, _, body) = cast_as(&proxy, &s, &id, "203.0.113.10", &tokens[4].1, example_choices(4)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}
on_both_backends!(
    a_guesser_behind_the_shared_proxy_locks_out_no_member,
    guesser_behind_the_proxy
);

/// `VmRSS` of this process (the server runs in it), in MiB.
fn rss_mib() -> u64 {
    status_field("VmRSS")
}

/// `VmHWM` of this process, in MiB.
fn peak_mib() -> u64 {
    status_field("VmHWM")
}

fn status_field(name: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(name)?.trim_start_matches(':').trim().strip_suffix("kB"))
        .and_then(|n| n.trim().parse::<u64>().ok())
        .map_or(0, |kib| kib / 1024)
}

async fn garbage_ids(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (id, tokens) = app.open_example(2);
    let limits = LimitSettings {
        max_entries: 300,
        refusal_delay: Duration::ZERO,
        ..LimitSettings::default()
    };
    let s = serve_configured(&app, behind_proxy(), limits).await;
    let http = client_from("127.0.0.1");
    let before = rss_mib();
    let started = Instant::now();
    // 96 casts to 60 kB ids with malformed codes (the attack that grew the
    // server by 1.9 GB with 15,000 of them), 16 at a time.
    let huge: String = "7".repeat(60_000);
    let mut statuses = Vec::new();
    for round in 0..6 {
        let batch: Vec<_> = (0..16)
            .map(|k| {
                let (http, url) = (
                    http.clone(),
                    s.url(&format!("/api/v1/elections/{huge}{round}x{k}/ballots")),
                );
                tokio::spawn(async move {
                    let res = http
                        .post(url)
                        .header("x-forwarded-for", format!("192.0.2.{k}"))
                        .json(&json!({"token": "nonsense", "choices": {}}))
                        .send()
                        .await
                        .unwrap();
                    let status = res.status();
                    (status, res.json::<Value>().await.unwrap()["error"].clone())
                })
            })
            .collect();
        for b in batch {
            statuses.push(b.await.unwrap());
        }
    }
    assert!(
        statuses
            .iter()
            .all(|(st, e)| *st == StatusCode::NOT_FOUND && e == "not_found"),
        "{:?}",
        statuses.iter().find(|(st, _)| *st != StatusCode::NOT_FOUND)
    );
    // Ids that once reached the database (a 50,000-digit "prefix" made
    // SQLite fail with a 500), on every kind of route.
    let digits = "a".repeat(50_000);
    let upper = id.to_uppercase();
    let paths = [
        format!("/api/v1/elections/{digits}"),
        format!("/api/v1/elections/{digits}/record"),
        format!("/api/v1/elections/{digits}/trackers/{}", "0".repeat(64)),
        format!("/api/v1/elections/{}", &id[..8]),
        format!("/api/v1/elections/{upper}/checkpoint"),
        format!("/e/{digits}"),
        format!("/e/{digits}/results"),
        format!("/e/%ff{digits}"),
        format!("/staff/elections/{digits}/delivery"),
    ];
    for path in &paths {
        for _ in 0..3 {
            let res = http.get(s.url(path)).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{}", &path[..path.len().min(80)]);
        }
    }
    let res = http
        .post(s.url(&format!("/staff/elections/{digits}/roll")))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // Nothing was kept for any of them.
    assert_eq!(s.state.limiter().entries(), (0, 0));
    // Well-formed ids of elections that do not exist, each from a new
    // client: counted, but never more than the bound (beyond it, newcomers
    // share one window, and are soon refused together).
    let fakes: Vec<_> = (0..16u32)
        .map(|w| {
            let (http, base) = (http.clone(), s.base.clone());
            tokio::spawn(async move {
                for i in (w..1_000).step_by(16) {
                    let xff = format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255);
                    let fake = uuid::Uuid::new_v4();
                    let res = http
                        .post(format!("{base}/api/v1/elections/{fake}/ballots"))
                        .header("x-forwarded-for", xff)
                        .json(&json!({"token": "nonsense", "choices": {}}))
                        .send()
                        .await
                        .unwrap();
                    assert!(
                        [StatusCode::FORBIDDEN, StatusCode::TOO_MANY_REQUESTS].contains(&res.status()),
                        "{}",
                        res.status()
                    );
                }
            })
        })
        .collect();
    for f in fakes {
        f.await.unwrap();
    }
    let (clients, targets) = s.state.limiter().entries();
    assert!(clients <= 300 && targets <= 300, "{clients} clients, {targets} targets");
    // The server is fine, and members vote.
    let res = http.get(s.url("/api/v1/elections")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (status, _, body) = cast_as(&http, &s, &id, "203.0.113.1", &tokens[0].1, example_choices(0)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    eprintln!(
        "FIGURES garbage-ids backend={backend:?} requests={} seconds={:.1} rss_before_mib={before} rss_after_mib={} limiter_entries={clients}+{targets}",
        statuses.len() + paths.len() * 3 + 1_001,
        started.elapsed().as_secs_f64(),
        rss_mib()
    );
}
on_both_backends!(garbage_election_ids_are_404s_and_keep_no_state, garbage_ids);

async fn sign_in_flood(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (id, tokens) = app.open_example(40);
    let password = "Qv7-mT2x-Lp9w-Zr4k";
    add_staff(&app, "ada", "administrator", password);
    let s = serve_configured(&app, behind_proxy(), quick_limits()).await;
    let http = client_from("127.0.0.1");
    let checks_before = s.state.password_gate().checks();
    // 200 wrong passwords at once from one address (through the proxy),
    // while 40 members cast, four at a time.
    let flood: Vec<_> = (0..200)
        .map(|i| {
            let (http, url) = (http.clone(), s.url("/staff/login"));
            tokio::spawn(async move {
                let res = http
                    .post(url)
                    .header("x-forwarded-for", "198.51.100.99")
                    .form(&[("username", "ada"), ("password", &format!("wrong {i}")), ("code", "")])
                    .send()
                    .await
                    .unwrap();
                res.status()
            })
        })
        .collect();
    let voters: Vec<_> = (0..4)
        .map(|w| {
            let (http, base, id) = (http.clone(), s.base.clone(), id.clone());
            let mine: Vec<(usize, String)> = tokens
                .iter()
                .enumerate()
                .filter(|(i, _)| i % 4 == w)
                .map(|(i, (_, t))| (i, t.clone()))
                .collect();
            tokio::spawn(async move {
                let mut took = Vec::new();
                for (i, token) in mine {
                    let t0 = Instant::now();
                    let res = http
                        .post(format!("{base}/api/v1/elections/{id}/ballots"))
                        .header("x-forwarded-for", format!("203.0.113.{i}"))
                        .json(&json!({"token": token, "choices": example_choices(i)}))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(res.status(), StatusCode::CREATED);
                    took.push(t0.elapsed());
                }
                took
            })
        })
        .collect();
    let mut answers = Vec::new();
    for f in flood {
        answers.push(f.await.unwrap());
    }
    let mut took = Vec::new();
    for v in voters {
        took.extend(v.await.unwrap());
    }
    took.sort();
    let evaluated = answers.iter().filter(|s| **s != StatusCode::TOO_MANY_REQUESTS).count();
    let checks = s.state.password_gate().checks() - checks_before;
    // Each attempt is counted before its password is hashed: at most ten
    // from one address are ever checked, however many arrive at once.
    assert!(
        answers
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED || *s == StatusCode::TOO_MANY_REQUESTS),
        "{answers:?}"
    );
    assert_eq!(evaluated, 10, "{answers:?}");
    assert!(checks <= 10, "{checks} password checks");
    let permits = (std::thread::available_parallelism().unwrap().get() / 2).clamp(1, 4);
    assert!(s.state.password_gate().peak() <= permits);
    // Casting went on quickly meanwhile.
    let max = *took.last().unwrap();
    let p50 = took[took.len() / 2];
    assert!(max < Duration::from_secs(3), "slowest cast took {max:?}");
    // The account's owner, from their own address, still signs in.
    let res = http
        .post(s.url("/staff/login"))
        .header("x-forwarded-for", "203.0.113.200")
        .form(&[("username", "ada"), ("password", password), ("code", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    eprintln!(
        "FIGURES sign-in-flood backend={backend:?} attempts=200 password_checks={checks} peak_parallel_checks={} casts={} cast_p50_ms={} cast_max_ms={} process_peak_rss_mib={}",
        s.state.password_gate().peak(),
        took.len(),
        p50.as_millis(),
        max.as_millis(),
        peak_mib()
    );
}
on_both_backends!(
    a_parallel_sign_in_flood_is_counted_before_hashing_and_casting_goes_on,
    sign_in_flood
);

/// POST to `path` a request that declares a body of `length` bytes and
/// sends none of it, then read the whole answer. The server answers from
/// the declared length alone; sending the body as well raced the server's
/// close (the client's write then failed with a broken pipe).
async fn declared_post(app: &TestApp, path: &str, content_type: &str, length: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app
        .url("")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), conn.read_to_end(&mut answer))
        .await
        .expect("the server answered from the declared length")
        .unwrap();
    String::from_utf8_lossy(&answer).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn api_bodies_over_the_limit_get_the_json_too_large_error() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (id, _) = app.open_example(1);
    let answer = declared_post(
        &app,
        &format!("/api/v1/elections/{id}/ballots"),
        "application/json",
        600 * 1024,
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("content-type: application/json"),
        "{answer}"
    );
    assert!(answer.contains("\"too_large\""), "{answer}");
    // Pages keep their own answer.
    let answer = declared_post(&app, "/vote", "application/x-www-form-urlencoded", 100 * 1024).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
}

/// Open `n` idle connections from `local` to `server`.
async fn idle_connections(local: &str, server: SocketAddr, n: usize) -> Vec<tokio::net::TcpStream> {
    let mut out = Vec::new();
    for _ in 0..n {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(format!("{local}:0").parse().unwrap()).unwrap();
        out.push(socket.connect(server).await.unwrap());
    }
    out
}

/// How many of `conns` the server has closed (end of stream or reset
/// within half a second, all watched at once); the open ones are kept.
async fn closed(conns: &mut Vec<tokio::net::TcpStream>) -> usize {
    use tokio::io::AsyncReadExt;
    let watching: Vec<_> = conns
        .drain(..)
        .map(|mut c| {
            tokio::spawn(async move {
                let mut buf = [0u8; 1];
                match tokio::time::timeout(Duration::from_millis(500), c.read(&mut buf)).await {
                    Ok(Ok(0)) | Ok(Err(_)) => None,
                    Ok(Ok(_)) | Err(_) => Some(c),
                }
            })
        })
        .collect();
    let mut n = 0;
    for w in watching {
        match w.await.unwrap() {
            Some(c) => conns.push(c),
            None => n += 1,
        }
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_client_cannot_hold_more_connections_than_its_cap() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let clients = ClientSettings {
        max_connections_per_client: 8,
        max_connections_per_proxy: 64,
        ..behind_proxy()
    };
    let s = serve_configured(&app, clients, quick_limits()).await;
    let server: SocketAddr = s.base.trim_start_matches("http://").parse().unwrap();
    // One client opens 40 idle connections: the server keeps 8.
    let mut held = idle_connections("127.0.0.2", server, 40).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(closed(&mut held).await, 32);
    assert_eq!(held.len(), 8);
    // Another client is served meanwhile (also over several connections).
    for _ in 0..3 {
        let res = client_from("127.0.0.3")
            .get(s.url("/api/v1/elections"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    // The capped client itself gets nothing more until it lets go.
    assert!(client_from("127.0.0.2")
        .get(s.url("/api/v1/elections"))
        .send()
        .await
        .is_err());
    drop(held);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let res = client_from("127.0.0.2")
        .get(s.url("/api/v1/elections"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // The trusted proxy carries many clients: it has the higher cap.
    let mut proxied = idle_connections("127.0.0.1", server, 40).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(closed(&mut proxied).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_trusted_proxy_setting_that_cannot_be_read_is_refused() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    for (flag, value) in [("--trusted-proxies", "nginx"), ("--proxy-header", "x-real-ip")] {
        let out = app.teller(&["serve", "--listen", "127.0.0.1:0", flag, value]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(flag) && err.contains(value), "{err}");
    }
}
