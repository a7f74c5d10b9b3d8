//! Guessing voting codes is limited per client address and per election,
//! with a clear answer, without ever refusing a good code.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::net::IpAddr;

use common::{example_choices, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::json;

/// A client whose requests come from another loopback address.
fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<IpAddr>().unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn forged() -> String {
    teller::domain::token::Token::generate().unwrap().as_str().to_string()
}

async fn guessing_in_the_browser(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, tokens) = app.open_example(3);
    let guesser = client_from("127.0.0.2");
    for _ in 0..10 {
        let res = guesser
            .post(app.url("/vote"))
            .form(&[("code", "ABCD")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    // Well-formed but unknown codes count too (checked on the ballot page).
    let res = guesser
        .get(app.url("/ballot"))
        .header("cookie", format!("teller_vote={}", forged()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
    let html = res.text().await.unwrap();
    assert!(html.contains("Too many voting codes did not work"), "{html}");
    assert!(html.contains("Your own code still works"));
    assert!(!html.contains("minute(s)") && html.contains(" minute"), "{html}");
    // A bad link while locked out: moved on to the lock-out page, so the
    // address bar and the history never hold the link's text.
    let res = guesser.get(app.url("/v/not-a-code")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/vote?locked=1");
    let res = guesser.get(app.url("/vote?locked=1")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.text().await.unwrap().contains("Too many voting codes did not work"));
    // The same address from a client that is not locked out: the form.
    let res = client_from("127.0.0.4")
        .get(app.url("/vote?locked=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // A good code works from that address too, and from any other.
    let good = tokens[0].1.as_str();
    let res = guesser
        .post(app.url("/vote"))
        .form(&[("code", good)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = guesser
        .get(app.url("/ballot"))
        .header("cookie", format!("teller_vote={good}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = client_from("127.0.0.3")
        .post(app.url("/vote"))
        .form(&[("code", good)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}
on_both_backends!(
    guessing_codes_in_the_browser_is_paused_per_address,
    guessing_in_the_browser
);

async fn guessing_through_the_api(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (id, tokens) = app.open_example(3);
    let url = app.url(&format!("/api/v1/elections/{id}/ballots"));
    // Eleven addresses guess 9 times each: none is paused on its own…
    for a in 10..21 {
        let c = client_from(&format!("127.0.1.{a}"));
        for _ in 0..9 {
            let res = c
                .post(&url)
                .json(&json!({"token": forged(), "choices": {}}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::FORBIDDEN);
        }
    }
    // …but the election has now seen 99 failures; one more makes a flood.
    let c = client_from("127.0.1.30");
    let res = c
        .post(&url)
        .json(&json!({"token": forged(), "choices": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // During the flood, guesses from addresses that failed are refused…
    let res = client_from("127.0.1.10")
        .post(&url)
        .json(&json!({"token": forged(), "choices": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "too_many_attempts");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("too many voting codes"),
        "{body}"
    );
    // …but a good code from such an address still votes…
    let res = client_from("127.0.1.10")
        .post(&url)
        .json(&json!({"token": tokens[0].1, "choices": example_choices(0)}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    // …and members on clean addresses vote as usual.
    let res = client_from("127.0.1.40")
        .post(&url)
        .json(&json!({"token": tokens[1].1, "choices": example_choices(1)}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    // Ten failures from one address pause it on its own.
    let c = client_from("127.0.2.1");
    for _ in 0..10 {
        c.post(&url)
            .json(&json!({"token": "nonsense", "choices": {}}))
            .send()
            .await
            .unwrap();
    }
    let res = c
        .post(&url)
        .json(&json!({"token": forged(), "choices": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let res = c
        .post(&url)
        .json(&json!({"token": tokens[2].1, "choices": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
}
on_both_backends!(
    guessing_codes_through_the_api_is_limited_per_address_and_election,
    guessing_through_the_api
);
