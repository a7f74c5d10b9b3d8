//! Anonymity at rest: after the close, the database files do not line a used
//! token up with its ballot — not by a column, a system column (`xmin`), the
//! order of rows, or the order of pages; and SQLite's WAL is empty.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::collections::BTreeSet;

use common::{example_choices, Backend, TestApp};
use diesel::prelude::*;
use diesel::sql_types::Text;

/// Members vote in a shuffled order, with seals in between; returns the
/// trackers in casting order.
async fn vote_and_close(app: &TestApp) -> (String, Vec<String>) {
    let (id, mut tokens) = app.open_example(40);
    // A fixed shuffle, so casting order is neither member order nor tracker order.
    let n = tokens.len();
    for i in 0..n {
        tokens.swap(i, (i * 17 + 5) % n);
    }
    let mut cast_order = Vec::new();
    for (i, (_, token)) in tokens.iter().enumerate() {
        let (status, receipt) = app.cast(&id, token, example_choices(i)).await;
        assert_eq!(status, 201);
        cast_order.push(receipt["tracker"].as_str().unwrap().to_string());
        if i == 12 || i == 27 {
            app.teller_ok(&["seal", &id]);
        }
    }
    let out = app.teller(&["election", "close", &id]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("could not rewrite"), "{err}");
    (id, cast_order)
}

fn is_sorted(v: &[String]) -> bool {
    v.windows(2).all(|w| w[0] < w[1])
}

async fn no_traces_on_sqlite() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (_, cast_order) = vote_and_close(&app).await;
    let wal = std::path::PathBuf::from(format!("{}-wal", app.db.url));
    let wal_len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert_eq!(wal_len, 0, "the WAL still holds {wal_len} bytes of history");
    let bytes = std::fs::read(&app.db.url).unwrap();
    let page_size = match u16::from_be_bytes([bytes[16], bytes[17]]) {
        1 => 65_536,
        n => n as usize,
    };
    // Where a row's text sits: (page, offset in page). SQLite fills a page
    // from its end, so rows written in key order sit at falling offsets.
    let place = |needle: &str| -> (usize, usize) {
        let at = bytes
            .windows(needle.len())
            .position(|w| w == needle.as_bytes())
            .unwrap_or_else(|| panic!("{needle} not found in the file"));
        (at / page_size, at % page_size)
    };
    // In key order, leaf pages come in order and each page's rows at falling
    // offsets. Rows that sit on interior pages of the B-tree (a few separator
    // keys; their place too depends only on keys) are left out: SQLite marks
    // a leaf page of an index B-tree (a WITHOUT ROWID table) with type 0x0a.
    let leaf = |page: usize| {
        let header = if page == 0 { 100 } else { page * page_size };
        bytes[header] == 0x0a
    };
    // The physical sequence of rows on leaf pages: page by page, and within
    // a page by falling offset (SQLite fills a page from its end).
    let physical = |keyed: &[(String, (usize, usize))]| -> Vec<String> {
        let mut on_leaves: Vec<&(String, (usize, usize))> = keyed.iter().filter(|(_, (p, _))| leaf(*p)).collect();
        on_leaves.sort_by_key(|(_, (p, o))| (*p, std::cmp::Reverse(*o)));
        on_leaves.into_iter().map(|(k, _)| k.clone()).collect()
    };
    // Of all pairs, the share whose order in `a` is their order in `b`.
    let concordance = |a: &[String], b: &[String]| -> f64 {
        let pos: std::collections::HashMap<&String, usize> = b.iter().enumerate().map(|(i, k)| (k, i)).collect();
        let (mut same, mut all) = (0u32, 0u32);
        for i in 0..a.len() {
            for j in i + 1..a.len() {
                all += 1;
                if pos[&a[i]] < pos[&a[j]] {
                    same += 1;
                }
            }
        }
        f64::from(same) / f64::from(all.max(1))
    };
    // Laid out by key (tracker or member id), not by when rows were written.
    let in_key_order = |keyed: Vec<(String, (usize, usize))>, written: &[String]| -> (f64, f64) {
        let seq = physical(&keyed);
        let mut by_key = seq.clone();
        by_key.sort();
        let written: Vec<String> = written.iter().filter(|k| seq.contains(k)).cloned().collect();
        (concordance(&seq, &by_key), concordance(&seq, &written))
    };
    // A ballot row is stored as …tracker{"choices"…
    let ballots: Vec<(String, (usize, usize))> = cast_order
        .iter()
        .map(|t| (t.clone(), place(&format!("{t}{{\"choices\""))))
        .collect();
    let (by_key, by_casting) = in_key_order(ballots, &cast_order);
    assert!(by_key > 0.9, "ballots are laid out in tracker order ({by_key:.2})");
    assert!(
        by_casting < 0.8,
        "the layout does not follow the order of casting ({by_casting:.2})"
    );
    assert!(!is_sorted(&cast_order));
    // Members too are laid out in member-id order, voters and non-voters alike.
    let members: Vec<(String, (usize, usize))> = (0..40)
        .map(|i| {
            let id = format!("M{i:05}");
            let p = place(&format!("{id}Member {i}member{i}@"));
            (id, p)
        })
        .collect();
    let voting_order: Vec<String> = (0..40).map(|i| format!("M{:05}", (i * 17 + 5) % 40)).collect();
    let (by_key, _) = in_key_order(members, &voting_order);
    assert!(by_key > 0.9, "members are laid out in member-id order ({by_key:.2})");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn after_the_close_sqlite_files_keep_no_order_of_casting() {
    no_traces_on_sqlite().await
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = Text)]
    xmin: String,
}

async fn no_traces_on_postgres() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let (id, cast_order) = vote_and_close(&app).await;
    let mut conn = app.db.conn();
    let ballots: Vec<Row> = diesel::sql_query(format!(
        "SELECT tracker AS key, xmin::text AS xmin FROM ballots WHERE election_id = '{id}' ORDER BY ctid"
    ))
    .load(&mut conn)
    .unwrap();
    let physical: Vec<String> = ballots.iter().map(|r| r.key.clone()).collect();
    assert_eq!(physical.len(), 40);
    assert!(is_sorted(&physical), "ballots are stored in tracker order");
    assert!(!is_sorted(&cast_order));
    let members: Vec<Row> = diesel::sql_query(format!(
        "SELECT member_id AS key, xmin::text AS xmin FROM members WHERE election_id = '{id}' AND voted ORDER BY ctid"
    ))
    .load(&mut conn)
    .unwrap();
    let ids: Vec<String> = members.iter().map(|r| r.key.clone()).collect();
    assert!(is_sorted(&ids), "members are stored in member-id order");
    // Every row was last written by a seal: at most one transaction id per
    // seal (three seals here), shared by many members and many ballots.
    let ballot_xmins: BTreeSet<&str> = ballots.iter().map(|r| r.xmin.as_str()).collect();
    let member_xmins: BTreeSet<&str> = members.iter().map(|r| r.xmin.as_str()).collect();
    assert!(ballot_xmins.len() <= 3, "{ballot_xmins:?}");
    assert!(member_xmins.len() <= 3, "{member_xmins:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(not(teller_pg_tests), ignore = "set TELLER_TEST_DATABASE_URL to run on PostgreSQL")]
async fn after_the_close_postgres_rows_keep_no_order_or_transaction_of_casting() {
    no_traces_on_postgres().await
}
