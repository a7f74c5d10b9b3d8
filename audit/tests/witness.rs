//! The witness server over real HTTP (FORMAT.md §6b, c2sp.org/tlog-witness):
//! a server on 127.0.0.1:0 in this process, a raw HTTP/1.1 client over
//! `std::net::TcpStream`, and a log grown with the crate's own Merkle tree.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ring::signature::{Ed25519KeyPair, KeyPair};
use teller_audit::cosignature::{self, WitnessKey};
use teller_audit::crypto::{Digest, PublicKey, Signature};
use teller_audit::merkle::Tree;
use teller_audit::note::{LogKey, TreeCheckpoint};
use teller_audit::witness::server::{serve, Limits};
use teller_audit::witness::state::StateDir;
use teller_audit::witness::Witness;

const ORIGIN: &str = "vote.example.org/teller/2a6f16d2-c738-4ef1-8402-71c1bfa25a25";
const NAME: &str = "witness.example.org/w1";

fn pair(byte: u8) -> Ed25519KeyPair {
    Ed25519KeyPair::from_seed_unchecked(&[byte; 32]).unwrap()
}

fn public(pair: &Ed25519KeyPair) -> PublicKey {
    PublicKey(pair.public_key().as_ref().try_into().unwrap())
}

/// The election key of the log witnessed.
fn log_key() -> Ed25519KeyPair {
    pair(2)
}

/// A log of `n` entries, each `<prefix> <i>`.
fn tree(prefix: &str, n: u64) -> Tree {
    let mut tree = Tree::new();
    for i in 0..n {
        tree.push(format!("{prefix} {i}").as_bytes());
    }
    tree
}

fn checkpoint(tree: &Tree, size: u64) -> TreeCheckpoint {
    TreeCheckpoint {
        origin: ORIGIN.into(),
        size,
        root: tree.root_at(size).unwrap(),
    }
}

/// The checkpoint of the first `size` entries, signed by `key`.
fn note(tree: &Tree, size: u64, key: &Ed25519KeyPair) -> String {
    checkpoint(tree, size).signed_note(&public(key), |b| Signature(key.sign(b).as_ref().try_into().unwrap()))
}

/// An add-checkpoint body.
fn body(old: u64, proof: &[Digest], note: &str) -> String {
    let mut text = format!("old {old}\n");
    for hash in proof {
        text.push_str(&STANDARD.encode(hash.0));
        text.push('\n');
    }
    format!("{text}\n{note}")
}

/// The step from `old` to `size` of `tree`: its body.
fn step(tree: &Tree, old: u64, size: u64) -> String {
    let proof = if old == 0 {
        Vec::new()
    } else {
        tree.consistency_proof(old, size).unwrap()
    };
    body(old, &proof, &note(tree, size, &log_key()))
}

/// A witness server running in its own runtime.
struct Server {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    runtime: tokio::runtime::Runtime,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Server {
    fn start(state: &Path) -> Server {
        let logs = [LogKey {
            origin: ORIGIN.into(),
            key: public(&log_key()),
        }];
        let witness = Witness::open(NAME, pair(1), &logs, StateDir::open(state).unwrap()).unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let limits = Limits {
            header_timeout: Duration::from_secs(2),
            body_timeout: Duration::from_secs(2),
            ..Limits::default()
        };
        let task = runtime.spawn(serve(listener, Arc::new(witness), limits, async {
            let _ = stopped.await;
        }));
        Server {
            addr,
            stop: Some(stop),
            runtime,
            task: Some(task),
        }
    }

    /// Stop accepting, and wait until the listener is closed.
    fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            self.runtime.block_on(task).unwrap().unwrap();
        }
    }

    fn post(&self, body: &str) -> Reply {
        self.raw(&format!(
            "POST /add-checkpoint HTTP/1.1\r\nHost: w\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ))
    }

    fn get(&self, path: &str) -> Reply {
        self.raw(&format!("GET {path} HTTP/1.1\r\nHost: w\r\nConnection: close\r\n\r\n"))
    }

    /// Send bytes as they are and read the reply to the end.
    fn raw(&self, request: &str) -> Reply {
        let mut stream = TcpStream::connect(self.addr).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        read_reply(&mut stream)
    }
}

/// A response: status, content type and body.
#[derive(Debug)]
struct Reply {
    status: u16,
    content_type: String,
    body: String,
}

fn read_reply(stream: &mut TcpStream) -> Reply {
    let mut bytes = Vec::new();
    let _ = stream.read_to_end(&mut bytes);
    let text = String::from_utf8(bytes).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let content_type = head
        .lines()
        .find_map(|l| l.strip_prefix("content-type: "))
        .unwrap_or_default()
        .to_string();
    Reply {
        status,
        content_type,
        body: body.to_string(),
    }
}

/// A fresh state directory, removed when the test ends.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("teller-witness-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn witness_key() -> WitnessKey {
    WitnessKey::of(NAME, &pair(1))
}

#[test]
fn the_first_checkpoint_and_a_consistent_later_one_are_cosigned() {
    let dir = TempDir::new("grow");
    let server = Server::start(&dir.0);
    let log = tree("ballot", 11);
    let first = server.post(&step(&log, 0, 4));
    assert_eq!(first.status, 200, "{first:?}");
    assert!(first.body.starts_with("\u{2014} witness.example.org/w1 "));
    assert_eq!(first.body.lines().count(), 1);
    let time = cosignature::verify(&witness_key(), &checkpoint(&log, 4).text(), &first.body).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(time <= now && now - time < 60);

    let later = server.post(&step(&log, 4, 11));
    assert_eq!(later.status, 200, "{later:?}");
    let text = checkpoint(&log, 11).text();
    cosignature::verify(&witness_key(), &text, &later.body).unwrap();
    // The note with the cosignature added: the log's line and the witness's.
    let cosigned = cosignature::add_lines(&note(&log, 11, &log_key()), std::slice::from_ref(&later.body));
    assert_eq!(cosignature::count_valid(&[witness_key()], &text, &cosigned), vec![NAME]);
    assert_eq!(
        TreeCheckpoint::open_log(&cosigned, &public(&log_key())).unwrap(),
        checkpoint(&log, 11)
    );
    // Monitors read it at /<SHA-256(origin)>/checkpoint.
    let hash = Digest::of(ORIGIN.as_bytes()).to_hex();
    let seen = server.get(&format!("/{hash}/checkpoint"));
    assert_eq!(seen.status, 200);
    assert_eq!(seen.body, cosigned);
    server.stop();
}

#[test]
fn a_wrong_old_size_is_409_with_the_size_held() {
    let dir = TempDir::new("conflict");
    let server = Server::start(&dir.0);
    let log = tree("ballot", 9);
    assert_eq!(server.post(&step(&log, 0, 5)).status, 200);
    for old in [0, 3] {
        let reply = server.post(&step(&log, old, 9));
        assert_eq!(reply.status, 409, "{reply:?}");
        assert_eq!(reply.content_type, "text/x.tlog.size");
        assert_eq!(reply.body, "5\n");
    }
}

#[test]
fn a_fork_and_a_rewritten_past_are_refused_with_422() {
    let dir = TempDir::new("fork");
    let server = Server::start(&dir.0);
    let log = tree("ballot", 9);
    let rewritten = tree("forged", 9);
    assert_eq!(server.post(&step(&log, 0, 5)).status, 200);
    // The same size, another root, validly signed by the log's key.
    let fork = server.post(&body(5, &[], &note(&rewritten, 5, &log_key())));
    assert_eq!(fork.status, 422, "{fork:?}");
    assert!(fork.body.contains("forked"), "{fork:?}");
    // A later size whose proof is from another past.
    let past = server.post(&step(&rewritten, 5, 9));
    assert_eq!(past.status, 422, "{past:?}");
    // A proof of the right log but the wrong length.
    let mut proof = log.consistency_proof(5, 9).unwrap();
    proof.pop();
    assert_eq!(server.post(&body(5, &proof, &note(&log, 9, &log_key()))).status, 422);
    // Nothing moved: the honest step still works.
    assert_eq!(server.post(&step(&log, 5, 9)).status, 200);
    // The refused notes are kept as evidence.
    let evidence = std::fs::read_dir(dir.0.join("evidence")).unwrap().count();
    assert_eq!(evidence, 3);
}

#[test]
fn unknown_origins_bad_signatures_and_malformed_bodies() {
    let dir = TempDir::new("refusals");
    let server = Server::start(&dir.0);
    let log = tree("ballot", 4);
    let foreign =
        note(&log, 4, &log_key()).replace(ORIGIN, "vote.example.org/teller/11111111-1111-4111-8111-111111111111");
    assert_eq!(server.post(&body(0, &[], &foreign)).status, 404);
    let forged = server.post(&body(0, &[], &note(&log, 4, &pair(3))));
    assert_eq!(forged.status, 403, "{forged:?}");
    // The log's own key, but the text changed after signing.
    let changed = note(&log, 4, &log_key()).replacen("\n4\n", "\n3\n", 1);
    assert_eq!(server.post(&body(0, &[], &changed)).status, 403);
    for bad in [
        "",
        "old 0\n",
        "old x\n\nnote\n",
        "old 5\n\n",
        "old 0\nnot base64\n\nnote\n",
    ] {
        let reply = server.post(bad);
        assert_eq!(reply.status, 400, "{bad:?}: {reply:?}");
    }
    // The old size above the checkpoint's.
    assert_eq!(server.post(&body(5, &[], &note(&log, 4, &log_key()))).status, 400);
    assert_eq!(server.get("/add-checkpoint").status, 405);
    assert_eq!(server.get("/elsewhere").status, 404);
    // No cosignature was given: the first honest step is from 0.
    assert_eq!(server.post(&step(&log, 0, 4)).status, 200);
}

#[test]
fn an_oversized_body_is_refused_from_its_length_without_being_read() {
    let dir = TempDir::new("oversized");
    let server = Server::start(&dir.0);
    // A declared 64 MiB, of which nothing is sent: the answer comes anyway.
    let started = std::time::Instant::now();
    let reply = server.raw("POST /add-checkpoint HTTP/1.1\r\nHost: w\r\nContent-Length: 67108864\r\n\r\nold 0\n");
    assert_eq!(reply.status, 413, "{reply:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
    // A client that sends headers and then nothing is dropped.
    let mut idle = TcpStream::connect(server.addr).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    idle.write_all(b"POST /add-checkpoint HTTP/1.1\r\nHost: w\r\nContent-Length: 100\r\n\r\nold")
        .unwrap();
    let started = std::time::Instant::now();
    assert_eq!(read_reply(&mut idle).status, 408);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_restarted_witness_remembers_what_it_cosigned() {
    let dir = TempDir::new("restart");
    let log = tree("ballot", 9);
    let server = Server::start(&dir.0);
    assert_eq!(server.post(&step(&log, 0, 6)).status, 200);
    server.stop();
    let server = Server::start(&dir.0);
    let stale = server.post(&step(&log, 0, 9));
    assert_eq!((stale.status, stale.body.as_str()), (409, "6\n"));
    assert_eq!(server.post(&step(&log, 6, 9)).status, 200);
    server.stop();
}

#[test]
fn of_concurrent_steps_from_one_size_exactly_one_wins() {
    let dir = TempDir::new("race");
    let server = Server::start(&dir.0);
    let log = tree("ballot", 16);
    assert_eq!(server.post(&step(&log, 0, 4)).status, 200);
    let bodies: Vec<String> = (5..=16).map(|size| step(&log, 4, size)).collect();
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = bodies.iter().map(|b| s.spawn(|| server.post(b).status)).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(statuses.iter().filter(|&&s| s == 200).count(), 1, "{statuses:?}");
    assert_eq!(
        statuses.iter().filter(|&&s| s == 409).count(),
        bodies.len() - 1,
        "{statuses:?}"
    );
}

#[test]
fn keygen_writes_an_owner_only_key_once_and_prints_the_vkey() {
    let dir = TempDir::new("keygen");
    std::fs::create_dir_all(&dir.0).unwrap();
    let out = dir.0.join("witness.key");
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_teller-audit"))
            .args(["witness", "keygen", "--name", NAME, "--out"])
            .arg(&out)
            .output()
            .unwrap()
    };
    let first = run();
    assert!(first.status.success(), "{first:?}");
    let stdout = String::from_utf8(first.stdout).unwrap();
    let vkey = stdout.lines().last().unwrap();
    assert_eq!(WitnessKey::parse(vkey).unwrap().name, NAME);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let before = std::fs::read(&out).unwrap();
    let second = run();
    assert!(!second.status.success());
    assert_eq!(std::fs::read(&out).unwrap(), before, "the key is not overwritten");
}
