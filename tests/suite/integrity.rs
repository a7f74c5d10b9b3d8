//! The security claims, attacked: one ballot per token under concurrency,
//! receipts kept under concurrent seals, an append-only log, a ballot table
//! that cannot identify a voter, all-or-nothing roll imports, and tampering
//! with the stored data detected by the verifier, naming the check.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::{example_choices, Backend, TestApp, TestDb};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde_json::Value;
use teller_audit::receipt::Receipt;
use teller_audit::verify::{verify_receipt, verify_record};

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(db: &TestDb, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<Count>(&mut db.conn()).unwrap().n
}

async fn fifty_concurrent_casts_of_one_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (id, tokens) = app.open_example(3);
    let token = tokens[0].1.clone();
    let app = std::sync::Arc::new(app);
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let app = app.clone();
            let (id, token) = (id.clone(), token.clone());
            tokio::spawn(async move { app.cast(&id, &token, example_choices(i)).await.0 })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 49, "{statuses:?}");
    assert_eq!(count(&app.db, "SELECT COUNT(*) AS n FROM ballots"), 1);
    assert_eq!(count(&app.db, "SELECT COUNT(*) AS n FROM members WHERE voted"), 1);
}
on_both_backends!(
    fifty_concurrent_casts_of_one_token_make_one_ballot,
    fifty_concurrent_casts_of_one_token
);

async fn receipts_hold_under_concurrent_seals(backend: Backend) {
    let app = std::sync::Arc::new(TestApp::spawn(backend).await);
    let (id, tokens) = app.open_example(60);
    let casts: Vec<_> = tokens
        .iter()
        .enumerate()
        .map(|(i, (_, token))| {
            let app = app.clone();
            let (id, token) = (id.clone(), token.clone());
            tokio::spawn(async move { app.cast(&id, &token, example_choices(i)).await })
        })
        .collect();
    // Seal over and over while the casts run, through the real binary.
    let sealer = {
        let app = app.clone();
        let id = id.clone();
        tokio::task::spawn_blocking(move || {
            for _ in 0..6 {
                app.teller_ok(&["seal", &id]);
            }
        })
    };
    let mut receipts = Vec::new();
    for c in casts {
        let (status, body) = c.await.unwrap();
        assert_eq!(status, 201, "{body}");
        receipts.push(body);
    }
    sealer.await.unwrap();
    app.teller_ok(&["election", "close", &id]);
    app.teller_ok(&["election", "tally", &id]);
    let record = app.export(&id);
    let report = verify_record(&record, &[]);
    assert!(report.ok(), "{report}");
    assert_eq!(record.counts.ballots, 60);
    for r in receipts {
        let receipt: Receipt = serde_json::from_value(r).unwrap();
        let report = verify_receipt(&receipt, &record);
        assert!(report.ok(), "receipt promising seal {}: {report}", receipt.body.seal);
    }
}
on_both_backends!(
    every_receipt_is_in_its_promised_seal_under_concurrency,
    receipts_hold_under_concurrent_seals
);

async fn the_log_is_append_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_id, _) = app.open_example(2);
    for statement in [
        "UPDATE log_entries SET body = 'x'",
        "DELETE FROM log_entries",
        "UPDATE checkpoints SET body = 'x'",
        "DELETE FROM checkpoints",
    ] {
        let err = app.db.sql_err(statement);
        assert!(err.contains("append-only"), "{statement}: {err}");
    }
    if backend == Backend::Postgres {
        assert!(app.db.sql_err("TRUNCATE log_entries CASCADE").contains("append-only"));
    }
    assert_eq!(count(&app.db, "SELECT COUNT(*) AS n FROM log_entries"), 4);
}
on_both_backends!(the_log_and_checkpoints_refuse_update_and_delete, the_log_is_append_only);

async fn ballots_cannot_identify_voters(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (id, tokens) = app.open_example(2);
    let columns_sql = match backend {
        Backend::Sqlite => "SELECT name FROM pragma_table_info('ballots') ORDER BY name",
        Backend::Postgres => {
            "SELECT column_name::text AS name FROM information_schema.columns WHERE table_name = 'ballots' ORDER BY column_name"
        }
    };
    let columns: Vec<String> = diesel::sql_query(columns_sql)
        .load::<Name>(&mut app.db.conn())
        .unwrap()
        .into_iter()
        .map(|n| n.name)
        .collect();
    // Exactly these: no voter, member, token, time or sequence column.
    assert_eq!(columns, ["body", "election_id", "seal", "tracker"]);
    let (status, _) = app.cast(&id, &tokens[0].1, example_choices(1)).await;
    assert_eq!(status, 201);
    #[derive(QueryableByName)]
    struct Body {
        #[diesel(sql_type = Text)]
        body: String,
    }
    let body: Body = diesel::sql_query("SELECT body FROM ballots")
        .get_result(&mut app.db.conn())
        .unwrap();
    let v: Value = serde_json::from_str(&body.body).unwrap();
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    // The weight is the member's vote weight (1 for most); see the README on weights.
    assert_eq!(keys, ["choices", "nonce", "weight"]);
    // A sealed ballot cannot be changed or deleted in place. (One ballot is
    // below the smallest batch staff may seal: the close seals it.)
    app.teller_ok(&["election", "close", &id]);
    assert!(app.db.sql_err("UPDATE ballots SET body = 'x'").contains("sealed"));
    assert!(app.db.sql_err("UPDATE ballots SET seal = 7").contains("sealed"));
    assert!(app.db.sql_err("DELETE FROM ballots").contains("cannot be deleted"));
}
on_both_backends!(
    the_ballot_table_has_no_column_that_could_identify_a_voter,
    ballots_cannot_identify_voters
);

async fn malformed_roll_imports_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let toml = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/board-election.toml");
    let id = app
        .teller_ok(&["election", "create", toml.to_str().unwrap()])
        .trim()
        .lines()
        .last()
        .unwrap()
        .to_string();
    let roll = app.path("bad.csv");
    std::fs::write(
        &roll,
        "member_id,name,email,region\nA1,Ann,ann@example.org,N\n,No Id,noid@example.org,S\nA1,Dup,dup@example.org,S\nA4,Bad Mail,bad@mail,E\nA5,Fine,fine@example.org,W\n",
    )
    .unwrap();
    let out = app.teller(&["voters", "import", &id, roll.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "row 3: the member id is missing",
        "row 4: member id \"A1\" is already on row 2",
        "row 5: \"bad@mail\" is not a valid e-mail",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(count(&app.db, "SELECT COUNT(*) AS n FROM members"), 0);
    assert_eq!(count(&app.db, "SELECT COUNT(*) AS n FROM log_entries"), 1);
    // A good roll then imports, noting the ignored column; a second import
    // that repeats a member imports nothing either.
    std::fs::write(
        &roll,
        "member_id,name,email,region\nA1,Ann,ann@example.org,N\nA2,Bo,,S\n",
    )
    .unwrap();
    let out = app.teller_ok(&["voters", "import", &id, roll.to_str().unwrap()]);
    assert!(out.contains("ignored column \"region\""), "{out}");
    assert!(out.contains("Imported 2 members"), "{out}");
    std::fs::write(
        &roll,
        "member_id,name,email\nA3,Cy,cy@example.org\nA2,Bo,bo@example.org\n",
    )
    .unwrap();
    let out = app.teller(&["voters", "import", &id, roll.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("row 3: member id \"A2\" is already on this election's roll"));
    assert_eq!(count(&app.db, "SELECT COUNT(*) AS n FROM members"), 2);
}
on_both_backends!(
    a_malformed_roll_imports_nothing_and_names_every_bad_row,
    malformed_roll_imports_nothing
);

async fn batch_outcomes_are_independent(backend: Backend) {
    use teller::domain::token::Token;
    use teller::ops::cast::{cast_batch, CastRequest};
    use teller::ops::OpError;
    let app = TestApp::spawn(backend).await;
    let (id, tokens) = app.open_example(3);
    let token = |i: usize| Token::parse(&tokens[i].1).unwrap();
    let request = |t: Token, choices: Value| CastRequest {
        election: id.clone(),
        token: t,
        choices: serde_json::from_value(choices).unwrap(),
        confirm: false,
    };
    let batch = vec![
        request(token(0), example_choices(1)),
        request(token(0), example_choices(2)),
        request(
            token(1),
            serde_json::json!({"directors": ["amara-okafor", "daniel-brooks", "mei-ling-chen", "rosa-delgado"]}),
        ),
        request(Token::generate().unwrap(), example_choices(3)),
        request(token(2), example_choices(4)),
    ];
    let results = cast_batch(&mut app.db.conn(), &common::secret(), batch, teller::time::now()).unwrap();
    assert!(results[0].is_ok());
    assert!(matches!(results[1], Err(OpError::TokenUsed)));
    assert!(matches!(results[2], Err(OpError::InvalidBallot(_))));
    assert!(matches!(results[3], Err(OpError::UnknownToken)));
    assert!(results[4].is_ok());
    // Exactly the two good casts are stored; the refused over-vote consumed nothing.
    assert_eq!(count(&app.db, "SELECT COUNT(*) AS n FROM ballots"), 2);
    assert_eq!(count(&app.db, "SELECT COUNT(*) AS n FROM members WHERE voted"), 2);
    assert_eq!(app.cast(&id, &tokens[1].1, example_choices(5)).await.0, 201);
}
on_both_backends!(
    casts_committed_together_succeed_or_fail_one_by_one,
    batch_outcomes_are_independent
);
