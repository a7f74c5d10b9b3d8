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
//! server's), each with its member's weight. After the levels, the
//! election is closed and a fresh server streams its decryption request to
//! trustee 1 while its memory is sampled: every ballot cast goes into that
//! one response, so it shows whether the server's memory grows with it.

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
    /// The decryption request of every ballot cast, streamed after the close.
    request: RequestStream,
}

/// The decryption request of the encrypted election, downloaded by a
/// trustee from a freshly started server after the close: how big, how
/// fast, and how much the server's memory grew meanwhile (the request is
/// streamed page by page, `web::decryption`, so it should not grow with the
/// number of ballots).
struct RequestStream {
    ballots: u64,
    bytes: u64,
    took: Duration,
    /// The server's memory before the download, once started and idle.
    idle: super::memory::Resident,
    /// The most it held during the download.
    peak: super::memory::Resident,
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
        let (encrypted, made, request) =
            encrypted_levels(&encrypted_db, &secret, &secret_file, exe, work.path(), settings)?;
        pairs.push(Pair {
            plain,
            encrypted,
            made,
            request,
        });
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
) -> Result<(Casting, (usize, Duration), RequestStream)> {
    let label = format!("{} encrypted casting", database.backend);
    let paced = usize::from(settings.paced_share.is_some());
    let members = (settings.levels.len() + paced) * settings.max_casts + casting::WARM_UP_CASTS;
    let dir = work.join(format!("encrypted-{}", database.backend));
    crate::files::create_dir_all(&dir)?;
    let (election, trustee_code, bodies, made) = {
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
        let code = demo.trustees[0].3.clone();
        (demo.id, code, bodies, (voters.len(), started.elapsed()))
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
    let casting = Casting {
        backend: database.backend,
        levels,
        server_idle,
        server_problems: server.log_problems(),
    };
    drop(server);
    let request = stream_request(database, secret, secret_file, exe, &log, &election, &trustee_code)?;
    eprintln!(
        "  {label}: the decryption request of {} ballots, {:.1} MB, streamed in {:.1} s; server RSS {:.0} MiB before, at most {:.0} MiB during",
        request.ballots,
        request.bytes as f64 / 1e6,
        request.took.as_secs_f64(),
        super::memory::mib(request.idle.rss_kib),
        super::memory::mib(request.peak.rss_kib)
    );
    Ok((casting, made, request))
}

/// Close the election (as staff would), start a fresh server, and download
/// its decryption request as trustee 1 over HTTP, sampling the server's
/// memory every 20 ms. The body is counted and dropped as it arrives.
fn stream_request(
    database: &ScratchDb,
    secret: &MasterSecret,
    secret_file: &Path,
    exe: &Path,
    log: &Path,
    election: &str,
    code: &Token,
) -> Result<RequestStream> {
    let ballots = {
        let pool = db::connect(&database.url, 1)?;
        let mut conn = db::get(&pool)?;
        let closed = crate::ops::lifecycle::close(&mut conn, secret, election, "bench", ACTOR, crate::time::now())?;
        closed.ballots
    };
    let server = Server::start(
        exe,
        &database.url,
        secret_file,
        log,
        &format!("/api/v1/elections/{election}"),
    )?;
    std::thread::sleep(Duration::from_millis(200));
    let idle = super::memory::resident(server.pid()).unwrap_or_default();
    let sampler = super::memory::Sampler::start(server.pid(), Duration::from_millis(20));
    let started = Instant::now();
    let got = download(
        server.addr(),
        &format!("/api/v1/elections/{election}/decryption/request"),
        code.as_str(),
    );
    let took = started.elapsed();
    let peak = sampler.stop();
    let (bytes, tail) = got.with_context(|| format!("downloading the decryption request\n{}", server.log_tail()))?;
    anyhow::ensure!(
        ends_complete(&tail),
        "the decryption request did not end as a complete stream: {:?}",
        String::from_utf8_lossy(&tail)
    );
    Ok(RequestStream {
        ballots,
        bytes,
        took,
        idle,
        peak,
    })
}

/// Whether a chunked body's last bytes are its last, empty chunk: sent only
/// when the whole body was (a stream stopped early is cut off without it).
fn ends_complete(tail: &[u8]) -> bool {
    tail.ends_with(b"\r\n0\r\n\r\n")
}

/// `GET path` with a bearer code on a new connection that the server closes
/// at the end: the status must be 200; returns how many bytes of body came
/// (chunk framing included) and the last 16 of them.
fn download(addr: std::net::SocketAddr, path: &str, code: &str) -> Result<(u64, Vec<u8>)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {code}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes())?;
    let mut buf = vec![0u8; 1 << 16];
    let mut head: Vec<u8> = Vec::new();
    let mut in_body = false;
    let mut body = 0u64;
    let mut tail: Vec<u8> = Vec::new();
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        let mut chunk = &buf[..n];
        if !in_body {
            head.extend_from_slice(chunk);
            let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") else {
                anyhow::ensure!(head.len() < 16 * 1024, "no end to the response's head");
                continue;
            };
            let status_line = head.split(|&b| b == b'\r').next().unwrap_or_default();
            let status = String::from_utf8_lossy(status_line).to_string();
            anyhow::ensure!(status.contains(" 200 "), "the server answered {status}");
            in_body = true;
            let start = n - (head.len() - (end + 4));
            chunk = &buf[start..n];
        }
        body += chunk.len() as u64;
        tail.extend_from_slice(chunk);
        if tail.len() > 16 {
            tail.drain(..tail.len() - 16);
        }
    }
    anyhow::ensure!(in_body, "the server closed the connection before answering");
    Ok((body, tail))
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
        let r = &pair.request;
        let _ = writeln!(
            out,
            "{}: after the close, the decryption request of {} ballots ({:.1} MB) streamed to one trustee in {:.1} s; \
             the server's RSS {:.0} MiB before, at most {:.0} MiB during (sampled every 20 ms).\n",
            pair.encrypted.backend,
            r.ballots,
            r.bytes as f64 / 1e6,
            r.took.as_secs_f64(),
            super::memory::mib(r.idle.rss_kib),
            super::memory::mib(r.peak.rss_kib)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// A one-shot server on loopback that answers the first request with
    /// `response`, written in pieces of `piece` bytes, then closes.
    fn serve_once(response: Vec<u8>, piece: usize) -> std::net::SocketAddr {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            // Read the whole request first: closing with some of it unread
            // would reset the connection.
            let mut request = Vec::new();
            let mut buf = [0u8; 256];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = conn.read(&mut buf).unwrap();
                assert!(n > 0, "the request ended early");
                request.extend_from_slice(&buf[..n]);
            }
            assert!(request.starts_with(b"GET /r HTTP/1.1\r\n"));
            let bearer = b"\r\nAuthorization: Bearer CODE\r\n";
            assert!(request.windows(bearer.len()).any(|w| w == bearer));
            for part in response.chunks(piece) {
                conn.write_all(part).unwrap();
                conn.flush().unwrap();
            }
        });
        addr
    }

    fn chunked(status: &str, chunks: &[&str], complete: bool) -> Vec<u8> {
        let mut out = format!("HTTP/1.1 {status}\r\ntransfer-encoding: chunked\r\n\r\n").into_bytes();
        for c in chunks {
            out.extend_from_slice(format!("{:x}\r\n{c}\r\n", c.len()).as_bytes());
        }
        if complete {
            out.extend_from_slice(b"0\r\n\r\n");
        }
        out
    }

    #[test]
    fn a_whole_stream_is_counted_and_ends_complete_however_it_arrives() {
        let response = chunked("200 OK", &["{\"format\":", "\"x\", \"ballots\": [1, 2, 3]}"], true);
        let head = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        for piece in [1, 3, 7, 64, 4096] {
            let addr = serve_once(response.clone(), piece);
            let (bytes, tail) = download(addr, "/r", "CODE").unwrap();
            assert_eq!(bytes, (response.len() - head) as u64, "piece {piece}");
            assert!(ends_complete(&tail), "piece {piece}: {tail:?}");
        }
    }

    #[test]
    fn a_stream_cut_off_does_not_end_complete() {
        let response = chunked("200 OK", &["{\"format\":", "\"x\""], false);
        let (_, tail) = download(serve_once(response, 5), "/r", "CODE").unwrap();
        assert!(!ends_complete(&tail), "{tail:?}");
    }

    #[test]
    fn a_refusal_is_an_error_naming_the_status() {
        let response = b"HTTP/1.1 403 Forbidden\r\ncontent-length: 2\r\n\r\n{}".to_vec();
        let e = download(serve_once(response, 10), "/r", "CODE").unwrap_err();
        assert!(e.to_string().contains("403"), "{e}");
    }

    #[test]
    fn a_connection_closed_before_the_head_ends_is_an_error() {
        let e = download(serve_once(b"HTTP/1.1 200 OK\r\ntransfer".to_vec(), 4), "/r", "CODE").unwrap_err();
        assert!(e.to_string().contains("before answering"), "{e}");
    }
}
