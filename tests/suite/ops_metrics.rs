//! Health, metrics and structured logs of the real `teller serve` process
//! (issue 11, items 4 and 5): `/healthz` and `/readyz` on both listeners,
//! `/metrics` only on `--metrics-listen`, per-cast figures that move only
//! once every ballot is sealed, labels that name nobody, and JSON logs with
//! request ids that never hold a code, a password or a choice.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::time::{Duration, Instant};

use common::process::{free_port, Deployment, Server};
use common::Backend;
use serde_json::{json, Value};

on_both_backends!(health_metrics_and_logs, scenario);

const PASSWORD: &str = "plum-orbit-velvet-42-canyon";

/// The value of the sample `name` (with its labels, as printed) in an exposition.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
        .map(|v| v.trim().parse().unwrap())
}

async fn scrape(http: &reqwest::Client, ops: &str) -> String {
    let res = http.get(format!("{ops}/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

async fn scenario(backend: Backend) {
    let d = Deployment::new(backend);
    let (election, tokens) = d.open_election(6);
    common::staff::add_staff_to(&d.db.url, "officer", "officer", PASSWORD);
    let ops_addr = format!("127.0.0.1:{}", free_port());
    let server: Server = d
        .serve_with(
            &["--metrics-listen", &ops_addr, "--trusted-proxies", "127.0.0.2"],
            &[("TELLER_LOG_FORMAT", "json")],
        )
        .await;
    let ops = format!("http://{ops_addr}");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // Health on both listeners; readiness once the scheduler has run a pass.
    for base in [&server.base, &ops] {
        let res = http.get(format!("{base}/healthz")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.text().await.unwrap().trim(), "ok");
        let started = Instant::now();
        loop {
            let res = http.get(format!("{base}/readyz")).send().await.unwrap();
            let status = res.status();
            let text = res.text().await.unwrap();
            if status == 200 {
                assert_eq!(text.trim(), "ready");
                break;
            }
            assert_eq!(status, 503, "{text}");
            assert!(started.elapsed() < Duration::from_secs(15), "never ready: {text}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    // /metrics is not on the public listener at all.
    let res = http.get(format!("{}/metrics", server.base)).send().await.unwrap();
    assert_eq!(res.status(), 404);
    // …and the voter pages are not on the operations listener.
    let res = http.get(format!("{ops}/vote")).send().await.unwrap();
    assert_eq!(res.status(), 404);

    let before = scrape(&http, &ops).await;
    for name in [
        "teller_casts_accepted_total",
        "teller_casts_refused_total{reason=\"bad_code\"}",
        "teller_casts_refused_total{reason=\"used_code\"}",
        "teller_casts_refused_total{reason=\"rate_limited\"}",
        "teller_cast_seconds_count",
        "teller_cast_batch_size_count",
        "teller_seal_age_seconds",
        "teller_mail_queued",
        "teller_mail_failed",
        "teller_db_pool_in_use",
        "teller_db_pool_size",
        "teller_staff_logins_rate_limited_total",
        "teller_scheduler_last_pass_seconds",
    ] {
        assert!(sample(&before, name).is_some(), "{name} missing from:\n{before}");
    }
    assert_eq!(sample(&before, "teller_casts_accepted_total"), Some(0.0));
    assert!(sample(&before, "teller_db_pool_size").unwrap() >= 1.0);

    // A real cast, a cast with a wrong code, a cast with the used code.
    let choices =
        json!({"directors": ["rosa-delgado"], "treasurer": ["omar-haddad"], "bylaw-amendment-7": ["abstain"]});
    let cast = |token: String, choices: Value| {
        let http = http.clone();
        let url = format!("{}/api/v1/elections/{election}/ballots", server.base);
        async move {
            let res = http
                .post(url)
                .json(&json!({"token": token, "choices": choices}))
                .send()
                .await
                .unwrap();
            let id = res.headers()["x-request-id"].to_str().unwrap().to_string();
            (res.status().as_u16(), id)
        }
    };
    let (status, cast_id) = cast(tokens[0].clone(), choices.clone()).await;
    assert_eq!(status, 201);
    // A wrong code: the real one with its last character changed.
    let mut wrong = tokens[1].clone();
    let last = wrong.pop().unwrap();
    wrong.push(if last == 'A' { 'B' } else { 'A' });
    let (status, wrong_id) = cast(wrong.clone(), choices.clone()).await;
    assert!(status == 403 || status == 404 || status == 401, "{status}");
    let (status, used_id) = cast(tokens[0].clone(), choices.clone()).await;
    assert_eq!(status, 409);
    for id in [&cast_id, &wrong_id, &used_id] {
        assert!(id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    }

    // Scraped at once and until the next seal: the per-cast figures do not
    // move before the ballot is sealed. Each scrape is compared with the
    // sealed count read after it (which only grows).
    let started = Instant::now();
    let mut published = false;
    while started.elapsed() < Duration::from_secs(40) {
        let text = scrape(&http, &ops).await;
        let sealed = d.count("SELECT COUNT(*) AS n FROM ballots WHERE seal IS NOT NULL");
        let accepted = sample(&text, "teller_casts_accepted_total").unwrap();
        let bad = sample(&text, "teller_casts_refused_total{reason=\"bad_code\"}").unwrap();
        let used = sample(&text, "teller_casts_refused_total{reason=\"used_code\"}").unwrap();
        let latencies = sample(&text, "teller_cast_seconds_count").unwrap();
        if accepted == 0.0 {
            assert_eq!(
                (bad, used, latencies),
                (0.0, 0.0, 0.0),
                "refusals published before the seal"
            );
        } else {
            assert!(sealed >= 1, "a cast was published before it was sealed:\n{text}");
            assert_eq!((accepted, bad, used, latencies), (1.0, 1.0, 1.0, 1.0), "{text}");
            assert!(sample(&text, "teller_cast_batch_size_count").unwrap() >= 1.0);
            assert!(sample(&text, "teller_casts_published_at_seconds").unwrap() > 0.0);
            published = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(published, "the figures were never published:\n{}", server.log_tail(20));

    // Nothing in the exposition names an election, a member, a code, a
    // tracker or a client: the only label is the fixed refusal reason.
    let text = scrape(&http, &ops).await;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        if let Some(labels) = line.split('{').nth(1) {
            let labels = labels.split('}').next().unwrap();
            for pair in labels.split(',') {
                let (key, value) = pair.split_once('=').unwrap();
                let value = value.trim_matches('"');
                match key {
                    "reason" => assert!(
                        [
                            "bad_code",
                            "used_code",
                            "closed",
                            "invalid_ballot",
                            "rate_limited",
                            "overloaded"
                        ]
                        .contains(&value),
                        "{line}"
                    ),
                    "le" => assert!(value == "+Inf" || value.parse::<f64>().is_ok(), "{line}"),
                    _ => panic!("unexpected label in {line}"),
                }
            }
        }
    }
    assert!(!text.contains(&election), "the election id is in the metrics");
    assert!(!text.contains(&tokens[0]) && !text.contains("omar-haddad") && !text.contains("127.0.0.1"));

    // A staff sign-in.
    let res = http
        .post(format!("{}/staff/login", server.base))
        .form(&[("username", "officer"), ("password", PASSWORD), ("code", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let login_id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    let cookie_value = cookie.split(';').next().unwrap().split_once('=').unwrap().1.to_string();
    // A staff action by that account: its log line names the account.
    let cookie_header = cookie.split(';').next().unwrap().to_string();
    let page = http
        .get(format!("{}/staff/elections/{election}", server.base))
        .header("cookie", &cookie_header)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let res = http
        .post(format!("{}/staff/elections/{election}", server.base))
        .header("cookie", &cookie_header)
        .form(&[("csrf", csrf.as_str()), ("action", "seal")])
        .send()
        .await
        .unwrap();
    let action_id = res.headers()["x-request-id"].to_str().unwrap().to_string();

    // Request ids: a trusted proxy's well-formed id is kept; a malformed one,
    // or one from anyone else, is replaced.
    let proxy = reqwest::Client::builder()
        .local_address(Some("127.0.0.2".parse().unwrap()))
        .build()
        .unwrap();
    let res = proxy
        .get(format!("{}/healthz", server.base))
        .header("x-request-id", "proxy-abc.123")
        .header("x-forwarded-for", "192.0.2.7")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "proxy-abc.123");
    let res = proxy
        .get(format!("{}/healthz", server.base))
        .header("x-request-id", "bad id with spaces")
        .send()
        .await
        .unwrap();
    assert_ne!(res.headers()["x-request-id"], "bad id with spaces");
    let res = http
        .get(format!("{}/healthz", server.base))
        .header("x-request-id", "client-chosen-1")
        .send()
        .await
        .unwrap();
    assert_ne!(res.headers()["x-request-id"], "client-chosen-1");

    // The logs: JSON, one object a line; the refused and staff requests are
    // there with their request ids; no code, password, cookie or choice.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = server.log_text();
    let lines: Vec<Value> = log
        .lines()
        .filter(|l| l.trim_start().starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(!lines.is_empty(), "no JSON log lines:\n{log}");
    let with_id = |id: &str| -> Vec<&Value> {
        lines
            .iter()
            .filter(|l| l["span"]["request_id"].as_str() == Some(id))
            .collect()
    };
    let refused = with_id(&wrong_id);
    assert!(
        refused
            .iter()
            .any(|l| l["fields"]["message"] == "refused" && l["fields"]["route"] == "/api/v1/elections/{id}/ballots"),
        "{refused:?}\n{log}"
    );
    assert!(with_id(&used_id).iter().any(|l| l["fields"]["message"] == "refused"));
    assert!(
        with_id(&login_id)
            .iter()
            .any(|l| l["fields"]["message"] == "staff action" && l["fields"]["status"] == 303),
        "{log}"
    );
    assert!(
        with_id(&action_id)
            .iter()
            .any(|l| l["fields"]["message"] == "staff action" && l["span"]["actor"] == "staff:officer"),
        "{log}"
    );
    assert!(with_id("proxy-abc.123")
        .iter()
        .all(|l| l["span"]["request_id"] == "proxy-abc.123"));
    for secret in [
        tokens[0].as_str(),
        wrong.as_str(),
        PASSWORD,
        cookie_value.as_str(),
        "omar-haddad",
        "rosa-delgado",
    ] {
        assert!(!log.contains(secret), "{secret:?} is in the server log:\n{log}");
    }

    // Readiness fails for real when the database goes away (PostgreSQL: the
    // database is dropped under the running server).
    if backend == Backend::Postgres {
        let admin = std::env::var("TELLER_TEST_DATABASE_URL").unwrap();
        let name = d.db.url.rsplit('/').next().unwrap().to_string();
        let mut conn = teller::db::connect_one(&admin).unwrap();
        use diesel::connection::SimpleConnection;
        conn.batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .unwrap();
        let res = http.get(format!("{ops}/readyz")).send().await.unwrap();
        assert_eq!(res.status(), 503);
        let text = res.text().await.unwrap();
        assert!(text.starts_with("not ready: the database"), "{text}");
        let res = http.get(format!("{}/healthz", server.base)).send().await.unwrap();
        assert_eq!(res.status(), 200);
    }
}

/// `/readyz` fails, naming why, when the scheduler has stopped passing or
/// the database gives no connection (every one held), and recovers after.
async fn readiness_names_what_is_wrong(backend: Backend) {
    let held = std::sync::Arc::new(std::sync::Mutex::new(None));
    let keep = held.clone();
    let app = common::TestApp::spawn_configured(backend, None, None, move |state| {
        *keep.lock().unwrap() = Some(state.clone());
    })
    .await;
    let state: teller::web::AppState = held.lock().unwrap().clone().unwrap();
    let readyz = || async {
        let res = app.http.get(app.url("/readyz")).send().await.unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    };
    // The scheduler's first pass comes at start.
    let deadline = Instant::now() + Duration::from_secs(10);
    while readyz().await.0 != 200 {
        assert!(Instant::now() < deadline, "{:?}", readyz().await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A scheduler whose last pass was four of its (hour-long) intervals ago.
    let now = teller::time::now();
    state.metrics().scheduler_pass(now - 4 * 3600);
    let (status, text) = readyz().await;
    assert_eq!(status, 503);
    assert!(text.starts_with("not ready: the scheduler's last pass was"), "{text}");
    state.metrics().scheduler_pass(now);
    assert_eq!(readyz().await.0, 200);

    // Every connection taken: the database gives none in time.
    let pool = state.pool().clone();
    let taken: Vec<_> = (0..pool.max_size()).map(|_| pool.get().unwrap()).collect();
    let (status, text) = readyz().await;
    assert_eq!(status, 503);
    assert!(
        text.starts_with("not ready: the database did not give a connection in time"),
        "{text}"
    );
    let health = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status().as_u16(), 200, "the process is still up");
    drop(taken);
    assert_eq!(readyz().await.0, 200);
}

on_both_backends!(readiness, readiness_names_what_is_wrong);
