//! A whole election, from the TOML file to a verified record, on each backend:
//! staff steps through the real `teller` binary, votes over real HTTP (JSON
//! API and the browser pages), verification with `teller_audit`.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::collections::BTreeMap;

use common::{example_choices, receipt_choices, Backend, TestApp};
use serde_json::{json, Value};
use teller_audit::receipt::Receipt;
use teller_audit::tally::Outcome;
use teller_audit::verify::{verify_receipt, verify_record};

async fn whole_election(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (id, tokens) = app.open_example(40);
    assert_eq!(tokens.len(), 40);

    // The published contract of the election endpoint.
    let (status, e) = app.get_json(&format!("/api/v1/elections/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(e["id"], json!(id));
    assert_eq!(e["state"], "open");
    assert_eq!(e["contests"].as_array().unwrap().len(), 3);
    assert_eq!(e["contests"][0]["method"], "plurality");
    assert_eq!(e["contests"][0]["seats"], 3);
    assert_eq!(e["contests"][0]["options"].as_array().unwrap().len(), 7);
    let bylaw: Vec<&str> = e["contests"][2]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(bylaw, ["yes", "no", "abstain"]);

    // 30 members vote; we keep every receipt and what each ballot said.
    let mut receipts: Vec<Value> = Vec::new();
    for (i, (_, token)) in tokens.iter().take(30).enumerate() {
        let (status, receipt) = app.cast(&id, token, example_choices(i)).await;
        assert_eq!(status, 201, "{receipt}");
        receipts.push(receipt);
    }
    // Nothing partial is published while the polls are open.
    let (_, record) = app.get_json(&format!("/api/v1/elections/{id}/record")).await;
    assert!(record["ballots"].is_null());
    assert!(record["tally"].is_null());
    assert_eq!(app.get_json(&format!("/api/v1/elections/{id}/results")).await.0, 409);
    let page = app.http.get(app.url(&format!("/e/{id}/results"))).send().await.unwrap();
    assert_eq!(page.status(), 409);

    // Seal, then the trackers are in the public log.
    let out = app.teller_ok(&["seal", &id]);
    assert!(out.contains("Sealed 30 ballots"), "{out}");
    let tracker = receipts[0]["tracker"].as_str().unwrap();
    let (_, t) = app
        .get_json(&format!("/api/v1/elections/{id}/trackers/{tracker}"))
        .await;
    assert_eq!(t["status"], "sealed");
    assert_eq!(t["seal"], 1);

    // Two more vote after the seal; their receipts promise seal 2.
    for (i, (_, token)) in tokens.iter().enumerate().skip(30).take(2) {
        let (status, receipt) = app.cast(&id, token, example_choices(i)).await;
        assert_eq!(status, 201);
        assert_eq!(receipt["seal"], 2);
        receipts.push(receipt);
    }
    let status = app.teller_ok(&["status", &id]);
    assert!(status.contains("30 voted as of the last seal"), "{status}");
    // Ballots cast since the last seal are counted nowhere staff look.
    assert!(!status.contains("await"), "{status}");

    let out = app.teller_ok(&["election", "close", &id]);
    assert!(out.contains("32 ballots from 32 tokens used"), "{out}");
    assert_eq!(app.cast(&id, &tokens[35].1, example_choices(0)).await.0, 423);
    app.teller_ok(&["election", "tally", &id]);

    let record = app.export(&id);
    let report = verify_record(&record, &[]);
    assert!(report.ok(), "{report}");
    assert_eq!(record.counts.ballots, 32);
    assert_eq!(record.counts.tokens_used, 32);
    assert_eq!(record.counts.eligible, 40);
    // The API serves the same record.
    let (_, api_record) = app.get_json(&format!("/api/v1/elections/{id}/record")).await;
    assert_eq!(serde_json::to_value(&record).unwrap(), api_record);

    // Every receipt verifies against the record.
    for r in &receipts {
        let receipt: Receipt = serde_json::from_value(r.clone()).unwrap();
        let report = verify_receipt(&receipt, &record);
        assert!(report.ok(), "{report}");
    }

    // The tally counts exactly what was cast.
    let mut yes = 0;
    let mut directors: BTreeMap<String, u64> = BTreeMap::new();
    for r in &receipts {
        let c = receipt_choices(r);
        if c["bylaw-amendment-7"] == ["yes"] {
            yes += 1;
        }
        for d in &c["directors"] {
            *directors.entry(d.clone()).or_default() += 1;
        }
    }
    let tally = record.tally.as_ref().unwrap();
    match &tally.contests[2].outcome {
        Outcome::Referendum { yes: y, .. } => assert_eq!(y.to_string(), yes.to_string()),
        other => panic!("{other:?}"),
    }
    match &tally.contests[0].outcome {
        Outcome::Plurality { candidates, .. } => {
            for c in candidates {
                let expected: u64 = directors.get(&c.id).copied().unwrap_or(0);
                assert_eq!(c.votes.to_string(), expected.to_string(), "{}", c.id);
            }
        }
        other => panic!("{other:?}"),
    }
    let results = app.http.get(app.url(&format!("/e/{id}/results"))).send().await.unwrap();
    assert_eq!(results.status(), 200);
    let html = results.text().await.unwrap();
    assert!(
        html.contains("32 ballots were cast by 32 of 40 eligible members"),
        "{html}"
    );
}
on_both_backends!(a_whole_election_from_toml_to_a_verified_record, whole_election);

async fn published_order_is_not_casting_order(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (id, tokens) = app.open_example(30);
    let mut cast_order = Vec::new();
    for (i, (_, token)) in tokens.iter().enumerate() {
        let (status, receipt) = app.cast(&id, token, example_choices(i)).await;
        assert_eq!(status, 201);
        cast_order.push(receipt["tracker"].as_str().unwrap().to_string());
    }
    app.teller_ok(&["election", "close", &id]);
    app.teller_ok(&["election", "tally", &id]);
    let record = app.export(&id);
    let published: Vec<String> = record
        .ballots
        .as_ref()
        .unwrap()
        .iter()
        .map(|b| b.tracker.to_hex())
        .collect();
    let logged: Vec<String> = record
        .log
        .iter()
        .filter_map(|e| match &e.entry.event {
            teller_audit::log::Event::Ballot { tracker } => Some(tracker.to_hex()),
            _ => None,
        })
        .collect();
    let mut sorted = cast_order.clone();
    sorted.sort();
    // Published and logged in tracker order, which is not the order of casting
    // (30 random trackers arrive sorted with probability 1/30!).
    assert_eq!(published, sorted);
    assert_eq!(logged, sorted);
    assert_ne!(cast_order, sorted);
    // Ballots carry no time.
    let text = serde_json::to_string(&record.ballots).unwrap();
    assert!(!text.contains("time"), "{text}");
}
on_both_backends!(
    ballots_are_published_in_tracker_order_not_casting_order,
    published_order_is_not_casting_order
);

async fn api_statuses(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (id, tokens) = app.open_example(5);
    let good = &tokens[0].1;

    // Over-vote: 422 naming the contest; nothing consumed.
    let (status, body) = app
        .cast(
            &id,
            good,
            json!({"directors": ["amara-okafor", "daniel-brooks", "mei-ling-chen", "rosa-delgado"]}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"], "invalid_ballot");
    assert!(
        body["message"].as_str().unwrap().contains("Board of Directors"),
        "{body}"
    );
    assert_eq!(body["problems"][0]["contest"], "directors");
    // Unknown option and unknown contest: 422.
    assert_eq!(app.cast(&id, good, json!({"directors": ["mallory"]})).await.0, 422);
    assert_eq!(app.cast(&id, good, json!({"nope": []})).await.0, 422);
    // Unknown (well-formed), malformed and mistyped tokens: 403.
    let forged = teller::domain::token::Token::generate().unwrap();
    let (status, body) = app.cast(&id, forged.as_str(), json!({})).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("unknown_token")));
    assert_eq!(app.cast(&id, "not a token", json!({})).await.0, 403);
    // The good token still works, exactly once.
    let (status, receipt) = app.cast(&id, good, json!({"directors": ["amara-okafor"]})).await;
    assert_eq!(status, 201);
    assert_eq!(receipt["format"], "teller-receipt/1");
    let (status, body) = app.cast(&id, good, json!({})).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("token_used")));
    assert!(body["message"].as_str().unwrap().contains("already been used"));
    // Bad JSON: 400 or 422 with the API's error body.
    let res = app
        .http
        .post(app.url(&format!("/api/v1/elections/{id}/ballots")))
        .header("content-type", "application/json")
        .body("{\"token\": 5")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error());
    let body: Value = res.json().await.unwrap();
    assert!(body["error"].is_string() && body["message"].is_string(), "{body}");
    // Oversized body: refused.
    // (On a connection of its own: the server drops a connection whose body it refused.)
    let huge = "x".repeat(600 * 1024);
    let res = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/elections/{id}/ballots")))
        .header("content-type", "application/json")
        .body(format!("{{\"token\": \"{huge}\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    // Unknown election: 404.
    assert_eq!(app.get_json("/api/v1/elections/does-not-exist").await.0, 404);
    // Closed polls: 423.
    app.teller_ok(&["election", "close", &id]);
    let (status, body) = app.cast(&id, &tokens[1].1, json!({})).await;
    assert_eq!((status, body["error"].as_str()), (423, Some("polls_closed")));
}
on_both_backends!(the_ballot_api_answers_each_failure_with_its_own_status, api_statuses);

async fn draft_polls_are_not_open(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Seals of one ballot, so that a vote can be made visible to staff below.
    let example = include_str!("../../examples/board-election.toml");
    let toml = app.path("election.toml");
    std::fs::write(&toml, example.replacen("min_ballots = 5", "min_ballots = 1", 1)).unwrap();
    let id = app
        .teller_ok(&["election", "create", toml.to_str().unwrap()])
        .trim()
        .lines()
        .last()
        .unwrap()
        .to_string();
    let roll = app.path("m.csv");
    std::fs::write(&roll, common::roll_csv(3)).unwrap();
    app.teller_ok(&["voters", "import", &id, roll.to_str().unwrap()]);
    let tokens = app.path("t.csv");
    app.teller_ok(&["tokens", "issue", &id, "--out", tokens.to_str().unwrap()]);
    let tokens = common::read_tokens(&tokens);
    let (status, body) = app.cast(&id, &tokens[0].1, json!({})).await;
    assert_eq!((status, body["error"].as_str()), (423, Some("polls_not_open")));
    // A draft is the staff's alone: not on the home page, its page, results,
    // tracker check, record or API answer as for no election at all.
    let home = app.http.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(!home.contains(&id), "a draft is listed on the home page");
    for path in [
        format!("/e/{id}"),
        format!("/e/{id}/results"),
        format!("/e/{id}/track"),
        format!("/api/v1/elections/{id}"),
        format!("/api/v1/elections/{id}/record"),
        format!("/api/v1/elections/{id}/results"),
    ] {
        let res = app.http.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 404, "{path}");
    }
    let (_, list) = app.get_json("/api/v1/elections").await;
    assert!(!list.to_string().contains(&id), "{list}");
    // Re-issue: the old token stops working, the new one works once open.
    let out = app.teller_ok(&["tokens", "reissue", &id, &tokens[0].0]);
    let new_token = out
        .lines()
        .find_map(|l| l.strip_prefix("token: "))
        .unwrap()
        .trim()
        .to_string();
    app.teller_ok(&["election", "open", &id]);
    // Open: public.
    assert_eq!(
        app.http
            .get(app.url(&format!("/e/{id}")))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    assert!(app.get_json("/api/v1/elections").await.1.to_string().contains(&id));
    assert_eq!(app.cast(&id, &tokens[0].1, json!({})).await.0, 403);
    assert_eq!(app.cast(&id, &new_token, json!({})).await.0, 201);
    // Voted since the last seal: the re-issue is accepted like any other (a
    // refusal would tell staff who has voted), and the new code cannot vote.
    let out = app.teller_ok(&["tokens", "reissue", &id, &tokens[0].0]);
    let newer = out
        .lines()
        .find_map(|l| l.strip_prefix("token: "))
        .unwrap()
        .trim()
        .to_string();
    assert_eq!(app.cast(&id, &newer, json!({})).await.0, 409);
    // Once sealed, staff know the member has voted: refused.
    assert!(app.teller_ok(&["seal", &id]).contains("Sealed 1 ballots"));
    let out = app.teller(&["tokens", "reissue", &id, &tokens[0].0]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already voted"));
    let record = app.export(&id);
    assert!(verify_record(&record, &[]).ok());
    assert!(record.log.iter().any(|e| e.entry.event.kind() == "token_reissued"));
}
on_both_backends!(
    tokens_work_only_while_the_polls_are_open_and_reissue_replaces_them,
    draft_polls_are_not_open
);
