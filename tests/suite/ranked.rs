//! Ranked and other counted methods end to end: the ballot page's rank
//! selectors (with skipped and repeated ranks), weighted members, the count
//! with its transcript in the record and on the results page, and the
//! verifier's recount.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::{Backend, TestApp};
use reqwest::StatusCode;
use serde_json::json;
use teller_audit::tally::Outcome;
use teller_audit::verify::verify_record;

fn setup(app: &TestApp) -> (String, Vec<(String, String)>) {
    let toml = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ranked-election.toml");
    let id = app
        .teller_ok(&["election", "create", toml.to_str().unwrap()])
        .trim()
        .lines()
        .last()
        .unwrap()
        .to_string();
    let mut roll = String::from("member_id,name,email,weight\n");
    for i in 0..12 {
        // One member holds 2.5 votes (shares, say).
        roll.push_str(&format!(
            "R{i:03},Voter {i},v{i}@example.org,{}\n",
            if i == 0 { "2.5" } else { "1" }
        ));
    }
    let path = app.path("ranked-roll.csv");
    std::fs::write(&path, roll).unwrap();
    app.teller_ok(&["voters", "import", &id, path.to_str().unwrap()]);
    let out = app.path("ranked-tokens.csv");
    app.teller_ok(&["tokens", "issue", &id, "--out", out.to_str().unwrap()]);
    app.teller_ok(&["election", "open", &id]);
    (id, common::read_tokens(&out))
}

async fn ranked_election(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (id, tokens) = setup(&app);
    let (_, e) = app.get_json(&format!("/api/v1/elections/{id}")).await;
    let methods: Vec<&str> = e["contests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["method"].as_str().unwrap())
        .collect();
    assert_eq!(methods, ["stv-scottish", "irv", "approval", "cumulative", "schulze"]);

    // Rankings through the API: contest → candidate ids in order of preference.
    let ballots = [
        json!({"council": ["ann", "bo", "cy"], "chair": ["gus", "hal"], "panel": ["jo", "kim"], "shares": ["max", "max", "max"], "motto": ["onward", "upward", "forward"]}),
        json!({"council": ["bo", "ann"], "chair": ["hal"], "panel": ["kim"], "shares": ["ned"], "motto": ["upward", "onward"]}),
        json!({"council": ["cy", "di", "ed"], "chair": ["ivy", "hal"], "panel": ["lee", "jo"], "shares": ["max"], "motto": ["forward", "upward"]}),
        json!({"council": ["di", "cy"], "chair": ["ivy", "gus"], "panel": ["jo"], "shares": ["ned", "ned", "ned"], "motto": ["onward"]}),
        json!({"council": ["ed", "flo", "ann"], "chair": ["gus"], "panel": ["jo", "lee"], "shares": [], "motto": ["upward", "forward", "onward"]}),
        json!({"council": ["ann", "flo"], "chair": ["hal", "gus"], "panel": ["kim", "lee"], "shares": ["max"], "motto": ["onward", "forward"]}),
        json!({"council": ["bo", "cy", "ann"], "chair": ["gus", "ivy"], "panel": [], "shares": ["max", "ned"], "motto": []}),
        json!({"council": ["flo", "ed"], "chair": ["ivy"], "panel": ["jo", "kim", "lee"], "shares": ["ned"], "motto": ["forward"]}),
    ];
    for (i, choices) in ballots.iter().enumerate() {
        let (status, body) = app.cast(&id, &tokens[i].1, choices.clone()).await;
        assert_eq!(status, 201, "{body}");
        if i == 0 {
            assert_eq!(
                body["ballot"]["weight"], "2.5",
                "the ballot carries its member's weight"
            );
        }
    }
    // Breaking a method's rules is refused, naming the contest.
    let (status, body) = app.cast(&id, &tokens[8].1, json!({"council": ["ann", "ann"]})).await;
    assert_eq!(status, 422);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Council: a candidate is ranked twice"),
        "{body}"
    );
    let (status, body) = app
        .cast(&id, &tokens[8].1, json!({"shares": ["max", "max", "max", "ned"]}))
        .await;
    assert_eq!(status, 422);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("you gave 4 points but have 3"),
        "{body}"
    );

    // The browser: rank selectors; a repeated rank and a skipped rank are explained.
    let cookie = format!("teller_vote={}", tokens[9].1.replace('-', ""));
    let post = |fields: Vec<(&'static str, &'static str)>| {
        let (app, cookie) = (&app, cookie.clone());
        async move {
            let res = app
                .http
                .post(app.url("/ballot/review"))
                .header("cookie", cookie)
                .form(&fields)
                .send()
                .await
                .unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };
    let page = app
        .http
        .get(app.url("/ballot"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"<select name="r.council.ann""#), "rank selectors");
    assert!(page.contains(r#"<select name="p.shares.max""#), "points selectors");
    assert!(page.contains("Number the candidates in order of preference"));
    let (status, html) = post(vec![("r.council.ann", "1"), ("r.council.bo", "1")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("you gave rank 1 to both Ann and Bo"), "{html}");
    let (status, html) = post(vec![("r.council.ann", "1"), ("r.council.bo", "3")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("there is no rank 2"), "{html}");
    // IRV closes gaps up, as its contest says.
    let (status, html) = post(vec![
        ("r.council.cy", "1"),
        ("r.chair.hal", "1"),
        ("r.chair.gus", "3"),
        ("p.shares.ned", "2"),
    ])
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("<ol class=\"chosen\"><li>Hal</li><li>Gus</li></ol>"),
        "{html}"
    );
    assert!(html.contains("<li>Ned: 2 points</li>"), "{html}");

    app.teller_ok(&["election", "close", &id]);
    app.teller_ok(&["election", "tally", &id]);
    let record = app.export(&id);
    let report = verify_record(&record, &[]);
    assert!(report.ok(), "{report}");
    let tally = record.tally.as_ref().unwrap();
    assert_eq!(tally.weight.to_string(), "9.5");
    for c in &tally.contests {
        let Outcome::Counted {
            counted_by,
            elected,
            transcript,
        } = &c.outcome
        else {
            panic!("{} was not counted by a counting method", c.contest)
        };
        assert!(transcript.get("rounds").is_some(), "{} has a transcript", c.contest);
        assert!(!elected.is_empty(), "{counted_by} elected nobody");
    }
    // Cumulative: Max 3×2.5 + 1 + 1 + 1 = 10.5 points, Ned 1 + 3 + 1 + 1 = 6.
    // Unweighted they would tie at 6: the weight decides.
    let Outcome::Counted { elected, .. } = &tally.contests[3].outcome else {
        unreachable!()
    };
    assert_eq!(elected, &vec!["max".to_string()]);
    let results = app
        .http
        .get(app.url(&format!("/e/{id}/results")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(results.contains("How the count went"), "{results}");
    assert!(results.contains("Scottish STV"), "{results}");
}
on_both_backends!(
    ranked_and_counted_methods_from_ballot_to_verified_transcript,
    ranked_election
);
