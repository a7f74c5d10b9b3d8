//! Witnesses (audit/FORMAT.md §6b) with a whole election, on both
//! backends: two real `teller-audit` witnesses on loopback co-sign the
//! log's tree checkpoints, a third never answers and holds up nothing, the
//! served checkpoint and every receipt's proof carry the cosignatures, and
//! a second instance's own background task keeps them coming.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common;

use common::{example_choices, Backend, TestApp};
use ring::signature::Ed25519KeyPair;
use teller::web::AppState;
use teller_audit::cosignature::{cosignature_lines, count_valid, WitnessKey};
use teller_audit::inclusion::{verify_receipt_with_proof, InclusionProof};
use teller_audit::note::{origin, LogKey, TreeCheckpoint};
use teller_audit::receipt::Receipt;
use teller_audit::verify::Status;
use teller_audit::witness::server::{serve, Limits};
use teller_audit::witness::state::StateDir;
use teller_audit::witness::Witness;

/// A witness serving on loopback; dropped, it stops.
struct RunningWitness {
    key: WitnessKey,
    url: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn start_witness(name: &str, log: &LogKey, dir: &std::path::Path) -> RunningWitness {
    let pair =
        Ed25519KeyPair::from_seed_unchecked(ring::digest::digest(&ring::digest::SHA256, name.as_bytes()).as_ref())
            .unwrap();
    let key = WitnessKey::of(name, &pair);
    let witness = Witness::open(name, pair, std::slice::from_ref(log), StateDir::open(dir).unwrap()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve(listener, Arc::new(witness), Limits::default(), async {
        let _ = rx.await;
    }));
    RunningWitness { key, url, _stop: tx }
}

/// A "witness" that accepts connections and never answers.
async fn black_hole() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    url
}

/// One round of submissions by `state`, as its background task runs them.
async fn round(state: &AppState, timeout: Duration) -> usize {
    let s = state.clone();
    tokio::task::spawn_blocking(move || {
        teller::ops::witnesses::round(s.pool(), s.secret(), s.trees(), s.public_url(), timeout).unwrap()
    })
    .await
    .unwrap()
}

async fn checkpoint_note(app: &TestApp, id: &str) -> String {
    let res = app
        .http
        .get(app.url(&format!("/api/v1/elections/{id}/log/checkpoint")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

async fn witnessed_election(backend: Backend) {
    let captured: Arc<Mutex<Option<AppState>>> = Arc::default();
    let keep = captured.clone();
    let app = TestApp::spawn_configured(backend, None, None, move |s| *keep.lock().unwrap() = Some(s.clone())).await;
    let state = captured.lock().unwrap().clone().unwrap();
    let (id, tokens) = app.draft_with_tokens(include_str!("../../examples/board-election.toml"), 12);
    let key = app.export(&id).public_key;
    let host = teller::ops::tree::host_of(&app.base).to_string();
    let log = LogKey {
        origin: origin(&host, &id),
        key,
    };
    let dirs = tempfile::tempdir().unwrap();
    let w1 = start_witness("witness.auditors.test/w1", &log, &dirs.path().join("w1")).await;
    let w2 = start_witness("witness.partner.test/w1", &log, &dirs.path().join("w2")).await;
    let silent = black_hole().await;
    let silent_key = WitnessKey::of(
        "witness.silent.test/w1",
        &Ed25519KeyPair::from_seed_unchecked(&[7; 32]).unwrap(),
    );

    // Staff name the three, two of them required; then the polls open.
    let out = app.teller_ok(&[
        "election",
        "witnesses",
        &id,
        "--witness",
        &format!("{} {}", w1.key.vkey(), w1.url),
        "--witness",
        &format!("{} {}", w2.key.vkey(), w2.url),
        "--witness",
        &format!("{} {silent}", silent_key.vkey()),
        "--quorum",
        "2",
    ]);
    assert!(out.contains("2 witnesses must co-sign"), "{out}");
    assert!(out.contains(&w1.key.vkey()) && out.contains("not yet asked"), "{out}");
    let bad = app.teller(&["election", "witnesses", &id, "--witness", "not-a-key http://x"]);
    assert!(!bad.status.success());
    app.teller_ok(&["election", "open", &id]);
    let record = app.export(&id);
    let opened = record
        .log
        .iter()
        .find(|e| e.entry.event.kind() == "polls_opened")
        .unwrap();
    let json = serde_json::to_value(&opened.entry).unwrap();
    assert_eq!(json["data"]["witness_quorum"], 2);
    assert_eq!(json["data"]["witnesses"][2]["url"], silent.as_str());
    // Named witnesses are frozen with the opening.
    let late = app.teller(&["election", "witnesses", &id, "--none"]);
    assert!(!late.status.success());

    // A round is under way, held by the silent witness for its whole
    // timeout; casting and sealing go on meanwhile, as fast as ever.
    let started = Instant::now();
    let pending = {
        let s = state.clone();
        tokio::spawn(async move { round(&s, Duration::from_secs(4)).await })
    };
    let mut receipts = Vec::new();
    for (i, (_, token)) in tokens.iter().take(5).enumerate() {
        let (status, receipt) = app.cast(&id, token, example_choices(i)).await;
        assert_eq!(status, 201, "{receipt}");
        receipts.push(serde_json::from_value::<Receipt>(receipt).unwrap());
    }
    assert!(app.teller_ok(&["seal", &id]).contains("Sealed 5 ballots"));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "casting waited for a witness: {:?}",
        started.elapsed()
    );
    assert_eq!(
        pending.await.unwrap(),
        2,
        "the opening co-signed by the two that answer"
    );
    assert!(started.elapsed() >= Duration::from_secs(4));

    // The seal's checkpoint: the next round co-signs it (from the size each
    // witness holds, with a consistency proof).
    assert_eq!(round(&state, Duration::from_secs(2)).await, 2);
    let note = checkpoint_note(&app, &id).await;
    let checkpoint = TreeCheckpoint::open(&note, &id, &key).unwrap();
    assert_eq!(checkpoint.size, app.export(&id).log.len() as u64);
    let keys = [w1.key.clone(), w2.key.clone(), silent_key.clone()];
    assert_eq!(
        count_valid(&keys, &checkpoint.text(), &note),
        vec![w1.key.name.clone(), w2.key.name.clone()]
    );

    // Every receipt's proof is witnessed.
    for r in &receipts {
        let tracker = r.body.tracker.to_hex();
        let (status, body) = app
            .get_json(&format!("/api/v1/elections/{id}/receipts/{tracker}/proof"))
            .await;
        assert_eq!(status, 200, "{body}");
        let proof: InclusionProof = serde_json::from_value(body).unwrap();
        let report = verify_receipt_with_proof(r, &proof);
        assert_eq!(report.first_failure(), None, "{report:?}");
        let witnesses = report.checks.iter().find(|c| c.name == "proof-witnesses").unwrap();
        assert_eq!(witnesses.status, Status::Pass);
        assert!(
            witnesses.summary.contains("co-signed by 2 of the 3"),
            "{}",
            witnesses.summary
        );
    }

    // A monitor sees the same: the log consistent, co-signed by the two
    // that answer of the three named, which meets the quorum.
    let monitored = tempfile::tempdir().unwrap();
    let outcome = {
        let options = teller_audit::monitor::Options {
            url: app.url(&format!("/api/v1/elections/{id}")),
            state_dir: monitored.path().to_path_buf(),
            key: Some(key),
            timeout: Duration::from_secs(10),
        };
        tokio::task::spawn_blocking(move || teller_audit::monitor::run(&options).unwrap())
            .await
            .unwrap()
    };
    assert!(!outcome.short_of_witnesses());
    assert!(
        outcome
            .to_string()
            .contains("co-signed by 2 of the 3 witnesses named (quorum 2)"),
        "{outcome}"
    );

    // Staff see how far each got, and why the silent one has not.
    let out = app.teller_ok(&["election", "witnesses", &id]);
    let size = checkpoint.size.to_string();
    assert_eq!(
        out.matches(&format!("co-signed up to {size} entries")).count(),
        2,
        "{out}"
    );
    assert!(out.contains("nothing co-signed yet; last error"), "{out}");
    let console = app.teller_ok(&["election", "witnesses", &id]);
    assert!(console.contains(&silent_key.vkey()));

    // A second instance on the same database, with its own background
    // task on a one-second tick, co-signs the next seal by itself.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let second = AppState::new(app.db.pool(), common::secret(), app.base.clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(teller::web::serve(second, listener, Duration::from_secs(1), async {
        let _ = stopped.await;
    }));
    for (i, (_, token)) in tokens.iter().skip(5).take(5).enumerate() {
        let (status, _) = app.cast(&id, token, example_choices(i)).await;
        assert_eq!(status, 201);
    }
    app.teller_ok(&["seal", &id]);
    let newest = app.export(&id).log.len() as u64;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let note = checkpoint_note(&app, &id).await;
        let c = TreeCheckpoint::open(&note, &id, &key).unwrap();
        if c.size == newest && count_valid(&keys, &c.text(), &note).len() == 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the background task did not co-sign size {newest}: {note}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = stop.send(());
}

on_both_backends!(two_witnesses_cosign_a_whole_election, witnessed_election);

/// A witness served at `addr` (until then, submissions to it are refused).
async fn serve_witness_on(
    addr: std::net::SocketAddr,
    name: &str,
    log: &LogKey,
    dir: &std::path::Path,
) -> tokio::sync::oneshot::Sender<()> {
    let pair =
        Ed25519KeyPair::from_seed_unchecked(ring::digest::digest(&ring::digest::SHA256, name.as_bytes()).as_ref())
            .unwrap();
    let witness = Witness::open(name, pair, std::slice::from_ref(log), StateDir::open(dir).unwrap()).unwrap();
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve(listener, Arc::new(witness), Limits::default(), async {
        let _ = rx.await;
    }));
    tx
}

/// The tree checkpoint in the proof of `tracker`'s ballot.
async fn proof_note(app: &TestApp, id: &str, tracker: &str) -> String {
    let (status, body) = app
        .get_json(&format!("/api/v1/elections/{id}/receipts/{tracker}/proof"))
        .await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_value::<InclusionProof>(body).unwrap().checkpoint
}

/// Cast five ballots (the least a staff seal seals) and seal them.
async fn cast_five_and_seal(app: &TestApp, id: &str, tokens: &[(String, String)]) -> String {
    let mut first = None;
    for (i, (_, token)) in tokens.iter().take(5).enumerate() {
        let (status, receipt) = app.cast(id, token, example_choices(i)).await;
        assert_eq!(status, 201, "{receipt}");
        first.get_or_insert(
            serde_json::from_value::<Receipt>(receipt)
                .unwrap()
                .body
                .tracker
                .to_hex(),
        );
    }
    assert!(app.teller_ok(&["seal", id]).contains("Sealed 5 ballots"));
    first.unwrap()
}

/// The instance keeps the witnesses' policy and the lines of fully
/// co-signed sizes between requests: a proof or checkpoint served before a
/// cosignature or a checkpoint existed never hides it once it does.
async fn served_notes_follow_new_cosignatures_and_checkpoints(backend: Backend) {
    let captured: Arc<Mutex<Option<AppState>>> = Arc::default();
    let keep = captured.clone();
    let app = TestApp::spawn_configured(backend, None, None, move |s| *keep.lock().unwrap() = Some(s.clone())).await;
    let state = captured.lock().unwrap().clone().unwrap();
    let (id, tokens) = app.draft_with_tokens(include_str!("../../examples/board-election.toml"), 10);
    let key = app.export(&id).public_key;
    let log = LogKey {
        origin: origin(teller::ops::tree::host_of(&app.base), &id),
        key,
    };
    let dirs = tempfile::tempdir().unwrap();
    let w1 = start_witness("witness.auditors.test/w1", &log, &dirs.path().join("w1")).await;
    // The second witness's address: nobody listens there yet.
    let late_addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let late_url = format!("http://{late_addr}");
    let late_name = "witness.partner.test/w1";
    let late_key = WitnessKey::of(
        late_name,
        &Ed25519KeyPair::from_seed_unchecked(
            ring::digest::digest(&ring::digest::SHA256, late_name.as_bytes()).as_ref(),
        )
        .unwrap(),
    );
    app.teller_ok(&[
        "election",
        "witnesses",
        &id,
        "--witness",
        &format!("{} {}", w1.key.vkey(), w1.url),
        "--witness",
        &format!("{} {late_url}", late_key.vkey()),
        "--quorum",
        "1",
    ]);
    app.teller_ok(&["election", "open", &id]);
    let keys = [w1.key.clone(), late_key.clone()];
    let tracker = cast_five_and_seal(&app, &id, &tokens[..5]).await;
    let signed_by = |note: &str| {
        let c = TreeCheckpoint::open(note, &id, &key).unwrap();
        (c.size, count_valid(&keys, &c.text(), note).len())
    };

    // Served before any witness answered: no cosignature yet.
    let sealed = app.export(&id).log.len() as u64;
    assert_eq!(signed_by(&proof_note(&app, &id, &tracker).await), (sealed, 0));
    assert_eq!(signed_by(&checkpoint_note(&app, &id).await), (sealed, 0));

    // The first witness co-signs: the very next proof and checkpoint carry it.
    assert_eq!(round(&state, Duration::from_secs(3)).await, 1);
    assert_eq!(signed_by(&proof_note(&app, &id, &tracker).await), (sealed, 1));
    assert_eq!(signed_by(&checkpoint_note(&app, &id).await), (sealed, 1));

    // The second starts answering and co-signs too.
    let _late = serve_witness_on(late_addr, late_name, &log, &dirs.path().join("w2")).await;
    let n = round(&state, Duration::from_secs(10)).await;
    assert_eq!(n, 1, "{}", app.teller_ok(&["election", "witnesses", &id]));
    assert_eq!(signed_by(&proof_note(&app, &id, &tracker).await), (sealed, 2));
    assert_eq!(signed_by(&checkpoint_note(&app, &id).await), (sealed, 2));

    // A new seal: the checkpoint is the new one at once; the proof keeps
    // the co-signed size until the quorum co-signs the new one, then moves.
    cast_five_and_seal(&app, &id, &tokens[5..]).await;
    let resealed = app.export(&id).log.len() as u64;
    assert!(resealed > sealed);
    assert_eq!(signed_by(&checkpoint_note(&app, &id).await), (resealed, 0));
    assert_eq!(signed_by(&proof_note(&app, &id, &tracker).await), (sealed, 2));
    assert_eq!(round(&state, Duration::from_secs(10)).await, 2);
    assert_eq!(signed_by(&proof_note(&app, &id, &tracker).await), (resealed, 2));
    assert_eq!(signed_by(&checkpoint_note(&app, &id).await), (resealed, 2));
}

on_both_backends!(
    served_notes_follow_new_cosignatures_and_checkpoints_test,
    served_notes_follow_new_cosignatures_and_checkpoints
);

/// Staff name the witnesses in the console while the election is a draft:
/// a bad line changes nothing and says which; the opening freezes them.
async fn named_in_the_console(backend: Backend) {
    use common::staff::{act, add_staff, get, sign_in};
    use reqwest::StatusCode;
    let app = TestApp::spawn(backend).await;
    let (id, _) = app.draft_with_tokens(include_str!("../../examples/board-election.toml"), 3);
    add_staff(&app, "olga", "officer", "officer password!");
    add_staff(&app, "oscar", "observer", "observer password!");
    let officer = sign_in(&app, "olga", "officer password!", "").await.unwrap();
    let observer = sign_in(&app, "oscar", "observer password!", "").await.unwrap();
    let key = |n: u8| {
        WitnessKey::of(
            &format!("w{n}.example.org/w"),
            &Ed25519KeyPair::from_seed_unchecked(&[n; 32]).unwrap(),
        )
    };
    let (_, page) = get(&app, &officer, &format!("/staff/elections/{id}")).await;
    assert!(
        page.contains("names no witnesses") && page.contains("Save the witnesses"),
        "{page}"
    );

    let two = format!(
        "{} https://w1.example.org/\n\n{} https://w2.example.org\n",
        key(1).vkey(),
        key(2).vkey()
    );
    let (status, page) = act(
        &app,
        &officer,
        &id,
        &[("action", "witnesses"), ("witnesses", &two), ("witness_quorum", "")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("2 witnesses named; 2 must co-sign each checkpoint."),
        "{page}"
    );
    assert!(
        page.contains(&key(2).vkey()) && page.contains("https://w1.example.org<"),
        "{page}"
    );

    // A bad key or quorum: nothing changes, and the notice says why.
    for (lines, quorum, says) in [
        (
            format!("{} https://w1.example.org\nnot-a-key https://x", key(1).vkey()),
            "1",
            "line 2",
        ),
        (two.clone(), "3", "witness_quorum"),
        (two.clone(), "two", "whole number"),
        (format!("{} ftp://w1.example.org", key(1).vkey()), "1", "url"),
    ] {
        let (status, page) = act(
            &app,
            &officer,
            &id,
            &[
                ("action", "witnesses"),
                ("witnesses", &lines),
                ("witness_quorum", quorum),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert!(page.contains(says), "{says}: {page}");
    }
    let out = app.teller_ok(&["election", "witnesses", &id]);
    assert!(
        out.contains("2 witnesses must co-sign") && out.contains(&key(1).vkey()),
        "{out}"
    );
    // Observers cannot name them.
    let (status, _) = act(&app, &observer, &id, &[("action", "witnesses"), ("witnesses", "")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The opening freezes them: the form is gone and a late change refused.
    app.teller_ok(&["election", "open", &id]);
    let (_, page) = get(&app, &officer, &format!("/staff/elections/{id}")).await;
    assert!(
        !page.contains("Save the witnesses") && page.contains("Nothing co-signed yet"),
        "{page}"
    );
    let (status, _) = act(&app, &officer, &id, &[("action", "witnesses"), ("witnesses", "")]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(app.teller_ok(&["election", "witnesses", &id]).contains(&key(2).vkey()));
}
on_both_backends!(staff_name_witnesses_in_the_console, named_in_the_console);

/// A witness co-signed, but its answer never reached Teller (or another
/// instance sent the checkpoint first): the next round reads the
/// cosignature from the witness's own copy, and the served note has it.
async fn a_lost_answer_is_recovered(backend: Backend) {
    let captured: Arc<Mutex<Option<AppState>>> = Arc::default();
    let keep = captured.clone();
    let app = TestApp::spawn_configured(backend, None, None, move |s| *keep.lock().unwrap() = Some(s.clone())).await;
    let state = captured.lock().unwrap().clone().unwrap();
    let (id, _) = app.draft_with_tokens(include_str!("../../examples/board-election.toml"), 3);
    let key = app.export(&id).public_key;
    let log = LogKey {
        origin: origin(teller::ops::tree::host_of(&app.base), &id),
        key,
    };
    let dirs = tempfile::tempdir().unwrap();
    let w = start_witness("witness.lost.test/w1", &log, dirs.path()).await;
    app.teller_ok(&[
        "election",
        "witnesses",
        &id,
        "--witness",
        &format!("{} {}", w.key.vkey(), w.url),
    ]);
    app.teller_ok(&["election", "open", &id]);

    // The submission is sent, and its answer dropped.
    let s = state.clone();
    let sent = tokio::task::spawn_blocking(move || {
        let mut conn = teller::db::get(s.pool()).unwrap();
        let subs = teller::ops::witnesses::due(&mut conn, s.secret(), s.trees(), s.public_url()).unwrap();
        assert_eq!(subs.len(), 1);
        teller::ops::witnesses::send(&subs[0], Duration::from_secs(5))
    })
    .await
    .unwrap();
    assert!(matches!(sent, teller::ops::witnesses::Outcome::Cosigned(_)), "{sent:?}");
    let note = checkpoint_note(&app, &id).await;
    assert!(cosignature_lines(&note).is_empty(), "{note}");

    // The next round hears 409 (the witness holds that size) and reads the
    // line from the witness.
    assert_eq!(round(&state, Duration::from_secs(5)).await, 1);
    let note = checkpoint_note(&app, &id).await;
    let checkpoint = TreeCheckpoint::open(&note, &id, &key).unwrap();
    assert_eq!(
        count_valid(std::slice::from_ref(&w.key), &checkpoint.text(), &note),
        vec![w.key.name.clone()]
    );
    let out = app.teller_ok(&["election", "witnesses", &id]);
    assert!(
        out.contains(&format!("co-signed up to {} entries", checkpoint.size)),
        "{out}"
    );
}
on_both_backends!(a_lost_answer_is_recovered_from_the_witness, a_lost_answer_is_recovered);
