//! `teller demo`, as a newcomer runs it: the real binary starts an open
//! election whose log two witnesses co-sign (audit/FORMAT.md §6b), and
//! prints how to run those witnesses on their own; beside it an encrypted
//! election whose three demo trustees' key ceremony the demo ran, with
//! their folders in its data directory, which `teller demo-decrypt` closes
//! and has two trustees decrypt into a published tally.
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
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    // What the demo writes to standard error (its server's logs), read
    // meanwhile so that the pipe never fills.
    let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    {
        let pipe = child.stderr.take().unwrap();
        let stderr = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let mut text = stderr.lock().unwrap();
                text.push_str(&line);
                text.push('\n');
            }
        });
    }
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
    // The trustees' key ceremony ran before the banner, and none of what
    // their commands printed reached the terminal (it is in the log file,
    // below).
    std::thread::sleep(Duration::from_millis(300));
    {
        let stderr = stderr.lock().unwrap();
        for chatter in ["Signing key fingerprint", "Wrote your", "Joint key", "key ceremony"] {
            assert!(
                !stderr.contains(chatter),
                "{chatter:?} in the demo's standard error:\n{stderr}"
            );
        }
    }
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

    the_encrypted_demo_election(&http, &listen, &banner, &dir.path().join("demo")).await;
}

/// The encrypted election beside it: open, encrypted under the key its
/// three trustees made, their secrets in owner-only folders of the demo's
/// data directory; `teller demo-decrypt` closes it and two trustees'
/// partial decryptions publish its tally.
async fn the_encrypted_demo_election(http: &reqwest::Client, listen: &str, banner: &str, data: &std::path::Path) {
    let id = banner
        .split("Encrypted election page:")
        .nth(1)
        .and_then(|rest| rest.split("/e/").nth(1))
        .and_then(|rest| rest.get(..36))
        .unwrap_or_else(|| panic!("no encrypted election in the banner:\n{banner}"))
        .to_string();
    // The banner is a short summary: where trustees sign in, the command
    // that tallies, and the file with the details.
    let log = data.join("trustees/ceremony.log");
    for needed in [
        format!("demo-decrypt {id} --data-dir"),
        "/trustee".to_string(),
        "access-codes.txt".to_string(),
        log.display().to_string(),
    ] {
        assert!(banner.contains(&needed), "{needed:?} not in\n{banner}");
    }
    assert!(!banner.contains("teller-audit trustee keygen"), "{banner}");
    // The log holds every trustee's command, one per round, with what it
    // printed (the chatter that no longer fills the terminal).
    let log = std::fs::read_to_string(&log).unwrap();
    for j in 1..=3 {
        for command in [
            format!("$ teller-audit trustee keygen --board board.json --trustee {j} --dir trustee-{j}"),
            format!("$ teller-audit trustee share --board board.json --dir trustee-{j}"),
            format!("$ teller-audit trustee check --board board.json --dir trustee-{j}"),
            format!("$ teller-audit trustee finish --board board.json --dir trustee-{j}"),
        ] {
            assert!(log.contains(&command), "{command:?} not in\n{log}");
        }
    }
    assert_eq!(log.matches("Signing key fingerprint").count(), 3, "{log}");
    assert_eq!(log.matches("Joint key: ").count(), 3, "{log}");
    let record = |http: reqwest::Client, url: String| async move {
        let res = http.get(url).send().await.unwrap();
        assert_eq!(res.status(), 200);
        res.json::<teller_audit::record::Record>().await.unwrap()
    };
    let url = format!("http://{listen}/api/v1/elections/{id}/record");
    let opened = record(http.clone(), url.clone()).await;
    let encryption = opened
        .log
        .iter()
        .find_map(|e| match &e.entry.event {
            Event::PollsOpened { encryption, .. } => Some(encryption.clone()),
            _ => None,
        })
        .expect("the encrypted demo election's polls are open");
    let encryption = encryption.flatten().expect("its polls_opened names its encryption");
    assert_eq!(encryption.threshold, 2);
    assert!(opened
        .log
        .iter()
        .any(|e| matches!(e.entry.event, Event::CeremonyCompleted { .. })));
    assert!(opened.tally.is_none());

    // Each trustee's folder holds its secret keys and key share, owner-only.
    for j in 1..=3 {
        let folder = data.join(format!("trustees/trustee-{j}"));
        for file in ["trustee.json", "attempt-1-key-share.json"] {
            assert!(folder.join(file).is_file(), "{}/{file}", folder.display());
        }
        assert!(
            !folder.join("attempt-1-polynomial.json").exists(),
            "finish erases the polynomial"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&folder), 0o700, "{}", folder.display());
            assert_eq!(mode(&folder.join("attempt-1-key-share.json")), 0o600);
        }
    }

    // The tally step, as the banner says to run it, while the demo runs.
    let out = Command::new(env!("CARGO_BIN_EXE_teller"))
        .args(["demo-decrypt", &id, "--data-dir"])
        .arg(data)
        .args(["--public-url", &format!("http://{listen}")])
        .env_remove("TELLER_DATABASE_URL")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for j in 1..=2 {
        assert!(
            stdout.contains(&format!(
                "teller-audit trustee decrypt --board board.json --dir trustee-{j} --request decryption-request.json"
            )),
            "{stdout}"
        );
    }
    assert!(stdout.contains("The totals are decrypted"), "{stdout}");
    let tallied = record(http.clone(), url).await;
    let tally = tallied.tally.expect("the trustees' decryption published the tally");
    assert_eq!(tally.contests.len(), 3);
    let shares = tallied
        .log
        .iter()
        .filter(|e| matches!(e.entry.event, Event::DecryptionShare { .. }))
        .count();
    assert_eq!(shares, 2);
}
