//! The log as tiles (`c2sp.org/tlog-tiles`, audit/FORMAT.md §6a "Tiles")
//! and `teller-audit monitor` following it over real HTTP: the first run
//! trusts and records, later runs fetch only the new entries, and a log an
//! insider rewrote — served by a fresh instance that signs the rewritten
//! tree — is caught, with evidence; on both backends.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::time::Duration;

use crate::common;

use common::{example_choices, Backend, TestApp};
use teller_audit::merkle::{leaf_hash, node_hash, Tree};
use teller_audit::monitor::{self, MonitorError, Options, Outcome};
use teller_audit::note::TreeCheckpoint;
use teller_audit::tiles::{split_bundle, Tile, TileKind};

/// One monitor run on `base`'s election `id`, off the async runtime.
async fn run_monitor(base: &str, id: &str, dir: &Path) -> Result<Outcome, MonitorError> {
    let options = Options {
        url: format!("{base}/api/v1/elections/{id}"),
        state_dir: dir.to_path_buf(),
        key: None,
        timeout: Duration::from_secs(30),
    };
    tokio::task::spawn_blocking(move || monitor::run(&options))
        .await
        .unwrap()
}

/// Cast `n` ballots with tokens from `from` on, then seal (a seal holds
/// back fewer than 5 ballots).
async fn cast_and_seal(app: &TestApp, id: &str, tokens: &[(String, String)], from: usize, n: usize) {
    for (i, (_, token)) in tokens.iter().enumerate().skip(from).take(n) {
        assert_eq!(app.cast(id, token, example_choices(i)).await.0, 201);
    }
    app.teller_ok(&["seal", id]);
}

/// Another instance of the service on the same database: its tree cache is
/// built afresh from the stored log, as after a restart.
async fn second_instance(app: &TestApp) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = teller::web::AppState::new(app.db.pool(), common::secret(), app.base.clone());
    tokio::spawn(async move {
        teller::web::serve(state, listener, Duration::from_secs(3600), std::future::pending::<()>())
            .await
            .unwrap();
    });
    base
}

/// What an insider does first: switch off the log table's guards.
fn disable_log_guards(app: &TestApp) {
    match app.db.backend {
        Backend::Postgres => app.db.sql("ALTER TABLE log_entries DISABLE TRIGGER USER"),
        Backend::Sqlite => {
            app.db.sql("DROP TRIGGER log_entries_append_only_update");
            app.db.sql("DROP TRIGGER log_entries_append_only_delete");
        }
    }
}

fn evidence_of(err: &MonitorError, kind: &str) -> serde_json::Value {
    let MonitorError::Rewritten { evidence, what } = err else {
        panic!("expected a rewritten log, found {err}");
    };
    assert_eq!(err.exit_code(), 1);
    assert!(err.to_string().starts_with("the log was rewritten: "), "{err}");
    let file: serde_json::Value = serde_json::from_slice(&std::fs::read(evidence).unwrap()).unwrap();
    assert_eq!(file["kind"], kind, "{what}");
    assert!(file["previous_checkpoint"].is_string() && file["checkpoint"].is_string());
    assert_eq!(file["failed"], what.as_str());
    file
}

async fn monitor_follows_and_catches(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (id, tokens) = app.open_example(20);
    let key = app.export(&id).public_key;
    let dir = tempfile::tempdir().unwrap();
    cast_and_seal(&app, &id, &tokens, 0, 5).await;

    // The first run trusts entry 0's key and checks the whole log.
    let first = run_monitor(&app.base, &id, dir.path()).await.unwrap();
    assert_eq!(first.trusted_key, Some(key));
    assert_eq!((first.old_size, first.entries), (0, first.new_size));
    assert!(monitor::state_path(dir.path(), &id).exists());

    // Nothing new: nothing fetched but the checkpoints.
    let same = run_monitor(&app.base, &id, dir.path()).await.unwrap();
    assert_eq!(
        (same.old_size, same.new_size, same.entries),
        (first.new_size, first.new_size, 0)
    );
    assert!(same.bytes < 2000, "{same}");

    // After more casts and a seal, only the new entries are fetched.
    cast_and_seal(&app, &id, &tokens, 5, 5).await;
    let second = run_monitor(&app.base, &id, dir.path()).await.unwrap();
    assert_eq!(second.old_size, first.new_size);
    assert_eq!(second.entries, 6, "5 ballots and their seal: {second}");
    assert_eq!(second.new_size, first.new_size + 6);
    assert_eq!(second.trusted_key, None);
    assert!(second
        .to_string()
        .contains(&format!("{} → {} entries", first.new_size, second.new_size)));

    // A second monitor starts here, at the same size.
    let other = tempfile::tempdir().unwrap();
    run_monitor(&app.base, &id, other.path()).await.unwrap();

    // An insider with the database and the key rewrites a sealed ballot
    // entry; a fresh instance signs the rewritten tree.
    let record = app.export(&id);
    let (seq, tracker) = record
        .log
        .iter()
        .find_map(|e| match &e.entry.event {
            teller_audit::log::Event::Ballot { tracker } => Some((e.entry.seq, tracker.to_hex())),
            _ => None,
        })
        .unwrap();
    disable_log_guards(&app);
    app.db.sql(&format!(
        "UPDATE log_entries SET body = REPLACE(body, '{tracker}', '{}') WHERE election_id = '{id}' AND seq = {seq}",
        "0".repeat(64)
    ));
    let rewritten = second_instance(&app).await;

    // Same size, another root: a fork.
    let err = run_monitor(&rewritten, &id, other.path()).await.unwrap_err();
    let fork = evidence_of(&err, "fork");
    assert!(err.to_string().contains("different roots"), "{err}");
    assert_ne!(fork["previous_checkpoint"], fork["checkpoint"]);

    // Grown past the rewrite: no consistency proof joins the two.
    cast_and_seal(&app, &id, &tokens, 10, 5).await;
    let err = run_monitor(&rewritten, &id, dir.path()).await.unwrap_err();
    let evidence = evidence_of(&err, "inconsistent");
    assert!(evidence["consistency"]["proof"].is_array(), "{evidence}");
    assert!(err.to_string().contains("no consistency"), "{err}");
    // Nothing was saved: the state is still the last good one.
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(monitor::state_path(dir.path(), &id)).unwrap()).unwrap();
    assert_eq!(state["size"], second.new_size);

    // A service that cannot be reached is not a rewrite, and saves nothing.
    let err = run_monitor("http://127.0.0.1:9", &id, dir.path()).await.unwrap_err();
    assert!(matches!(err, MonitorError::Unavailable(_)), "{err}");
    assert_eq!(err.exit_code(), 3);
}
on_both_backends!(
    the_monitor_follows_the_log_and_catches_a_rewrite,
    monitor_follows_and_catches
);

async fn get_bytes(app: &TestApp, path: &str) -> (u16, String, Vec<u8>) {
    let res = app.http.get(app.url(path)).send().await.unwrap();
    let status = res.status().as_u16();
    let cache = res
        .headers()
        .get("cache-control")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, cache, res.bytes().await.unwrap().to_vec())
}

async fn tiles_served(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (id, tokens) = app.open_example(300);
    let prefix = format!("/api/v1/elections/{id}/log");
    // Before any ballot the tree is a few entries: partial tiles only.
    let (status, _, _) = get_bytes(&app, &format!("{prefix}/tile/0/000")).await;
    assert_eq!(status, 404);

    let batch = 25;
    for from in (0..275).step_by(batch) {
        let casts = tokens[from..from + batch].iter().enumerate().map(|(i, (_, token))| {
            let app = &app;
            let id = &id;
            async move { app.cast(id, token, example_choices(from + i)).await.0 }
        });
        for status in join_all(casts.collect()).await {
            assert_eq!(status, 201);
        }
    }
    app.teller_ok(&["seal", &id]);
    let record = app.export(&id);
    let key = record.public_key;
    let (_, _, note) = get_bytes(&app, &format!("{prefix}/checkpoint")).await;
    let checkpoint = TreeCheckpoint::open(std::str::from_utf8(&note).unwrap(), &id, &key).unwrap();
    let size = checkpoint.size;
    assert_eq!(size, record.log.len() as u64);
    assert!(size > 256 && size < 512, "{size}");

    // Every tile and bundle the spec defines for this size is served.
    let mut level0 = Vec::new();
    let mut level1 = Vec::new();
    for tile in Tile::all_for(size) {
        let (status, cache, bytes) = get_bytes(&app, &format!("{prefix}/{tile}")).await;
        assert_eq!(status, 200, "{tile}");
        if tile.is_full() {
            assert_eq!(cache, "public, max-age=31536000, immutable", "{tile}");
        } else {
            assert_eq!(cache, "public, max-age=60", "{tile}");
        }
        match tile.kind {
            TileKind::Entries => {
                let entries = split_bundle(&bytes, usize::from(tile.width)).unwrap();
                for (i, entry) in entries.iter().enumerate() {
                    let at = tile.start() as usize + i;
                    assert_eq!(*entry, record.log[at].entry.canonical_bytes().as_slice(), "entry {at}");
                }
            }
            TileKind::Hashes(level) => {
                assert_eq!(bytes.len(), usize::from(tile.width) * 32, "{tile}");
                let hashes = bytes
                    .chunks(32)
                    .map(|c| teller_audit::crypto::Digest(c.try_into().unwrap()));
                match level {
                    0 => level0.extend(hashes),
                    1 => level1.extend(hashes),
                    _ => panic!("no tile of level {level} for {size} entries"),
                }
            }
        }
    }
    // The tiles' hashes reproduce the signed root: level 0 holds every leaf
    // hash, level 1 the root of the first full tile.
    assert_eq!(level0.len() as u64, size);
    for (i, e) in record.log.iter().enumerate() {
        assert_eq!(level0[i], leaf_hash(&e.entry.canonical_bytes()));
    }
    let tree = Tree::from_leaf_hashes(level0.iter().copied());
    assert_eq!(tree.root(), checkpoint.root);
    assert_eq!(level1, [tree.root_at(256).unwrap()]);
    let first_half = Tree::from_leaf_hashes(level0[..128].iter().copied()).root();
    let second_half = Tree::from_leaf_hashes(level0[128..256].iter().copied()).root();
    assert_eq!(node_hash(&first_half, &second_half), level1[0]);

    // Past the signed size: 404. Not a tile path: 400.
    let partial = size % 256;
    for past in [
        format!("tile/0/001.p/{}", partial + 1),
        "tile/0/001".into(),
        "tile/entries/002.p/1".into(),
        "tile/1/000".into(),
        "tile/2/000.p/1".into(),
        "tile/0/x001/000".into(),
    ] {
        let (status, _, body) = get_bytes(&app, &format!("{prefix}/{past}")).await;
        assert_eq!(status, 404, "{past}: {}", String::from_utf8_lossy(&body));
    }
    for bad in [
        "tile/0/0001",
        "tile/64/000",
        "tile/00/000",
        "tile/0/000.p/0",
        "tile/0/000.p/256",
        "tile/0/x000/001",
        "tile/entries/1",
        "tile/0",
        "tile/leaves/000",
        "tile/0/x018/x446/x744/x073/x709/x551/616",
    ] {
        let (status, _, body) = get_bytes(&app, &format!("{prefix}/{bad}")).await;
        assert_eq!(status, 400, "{bad}: {}", String::from_utf8_lossy(&body));
    }

    // The monitor reads the same tiles: the whole log, in two bundles.
    let dir = tempfile::tempdir().unwrap();
    let outcome = run_monitor(&app.base, &id, dir.path()).await.unwrap();
    assert_eq!((outcome.new_size, outcome.entries), (size, size));
}
on_both_backends!(tiles_and_bundles_cover_the_signed_tree, tiles_served);

/// Run futures together, so that casts share group commits (the suite
/// does not depend on `futures`).
async fn join_all<F: std::future::Future<Output = u16>>(futures: Vec<F>) -> Vec<u16> {
    let mut pinned: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut done: Vec<Option<u16>> = vec![None; pinned.len()];
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, slot) in pinned.iter_mut().zip(done.iter_mut()) {
            if slot.is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => *slot = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    done.into_iter().map(|v| v.unwrap()).collect()
}
