//! `teller demo`, as a newcomer runs it: the real binary starts an open
//! election whose log two witnesses co-sign (audit/FORMAT.md §6b), and
//! prints how to run those witnesses on their own.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use teller_audit::cosignature::{cosignature_lines, count_valid, WitnessKey};
use teller_audit::log::Event;
use teller_audit::note::TreeCheckpoint;

/// Stops the demo when the test ends, however it ends.
struct Demo(std::process::Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_election_is_cosigned_by_two_witnesses() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_teller"))
        .args(["demo", "--members", "12", "--listen", &listen, "--data-dir"])
        .arg(dir.path().join("demo"))
        .env_remove("TELLER_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _demo = Demo(child);

    // The banner names the election and the two witness commands.
    let mut banner = String::new();
    let mut lines = BufReader::new(stdout).lines();
    while let Some(Ok(line)) = lines.next() {
        banner.push_str(&line);
        banner.push('\n');
        if line.contains("Ctrl-C stops the demo") {
            break;
        }
    }
    assert_eq!(
        banner.matches("teller-audit witness serve --key").count(),
        2,
        "{banner}"
    );
    let id = banner
        .split("/e/")
        .nth(1)
        .and_then(|rest| rest.get(..36))
        .unwrap()
        .to_string();
    let logs = std::fs::read_to_string(dir.path().join("demo/witness-logs.txt")).unwrap();
    assert!(logs.contains(&format!("/teller/{id}+")), "{logs}");

    // Within a few scheduler ticks, the opening's checkpoint carries both
    // witnesses' cosignatures.
    let http = reqwest::Client::new();
    let url = format!("http://{listen}/api/v1/elections/{id}/log/checkpoint");
    let deadline = Instant::now() + Duration::from_secs(40);
    let note = loop {
        if let Ok(res) = http.get(&url).send().await {
            if res.status() == 200 {
                let note = res.text().await.unwrap();
                if cosignature_lines(&note).len() == 2 {
                    break note;
                }
            }
        }
        assert!(Instant::now() < deadline, "the demo's checkpoint was not co-signed");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let record: teller_audit::record::Record = http
        .get(format!("http://{listen}/api/v1/elections/{id}/record"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let checkpoint = TreeCheckpoint::open(&note, &id, &record.public_key).unwrap();
    // Signed by the two witnesses the opening named, both required.
    let opened = record
        .log
        .iter()
        .find_map(|e| match &e.entry.event {
            Event::PollsOpened {
                witnesses: Some(w),
                witness_quorum: Some(q),
                ..
            } => Some((w.clone(), *q)),
            _ => None,
        })
        .unwrap();
    assert_eq!(opened.1, 2);
    let keys: Vec<WitnessKey> = opened
        .0
        .iter()
        .map(|w| WitnessKey {
            name: w.name.clone(),
            key: w.key.0,
        })
        .collect();
    assert_eq!(count_valid(&keys, &checkpoint.text(), &note).len(), 2);
}
