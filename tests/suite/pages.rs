//! The voter's pages over real HTTP, without JavaScript: link, ballot,
//! over-vote, review, cast, receipt, and each problem page.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::{Backend, TestApp};
use reqwest::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, LOCATION, REFERRER_POLICY, SET_COOKIE};
use reqwest::StatusCode;
use teller_audit::receipt::Receipt;

/// Undo handlebars' HTML escaping.
fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x60;", "`")
        .replace("&#x3D;", "=")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn attribute<'a>(html: &'a str, before: &str) -> &'a str {
    let start = html.find(before).unwrap() + before.len();
    let rest = &html[start..];
    &rest[..rest.find('"').unwrap()]
}

struct Browser<'a> {
    app: &'a TestApp,
    /// The voting code's cookie.
    cookie: Option<String>,
    /// The fresh receipt's cookie (sent only to /receipt).
    receipt: Option<String>,
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Self {
        Browser {
            app,
            cookie: None,
            receipt: None,
        }
    }

    fn remember(&mut self, res: &reqwest::Response) {
        for c in res.headers().get_all(SET_COOKIE) {
            let pair = c.to_str().unwrap().split(';').next().unwrap().to_string();
            let kept = if pair.ends_with('=') { None } else { Some(pair.clone()) };
            if pair.starts_with("teller_receipt=") {
                self.receipt = kept;
            } else {
                self.cookie = kept;
            }
        }
    }

    async fn get(&mut self, path: &str) -> (StatusCode, String) {
        let mut req = self.app.http.get(self.app.url(path));
        let receipt = self.receipt.as_ref().filter(|_| path.starts_with("/receipt"));
        let cookies: Vec<&String> = self.cookie.iter().chain(receipt).collect();
        if !cookies.is_empty() {
            req = req.header(
                "cookie",
                cookies.iter().map(|c| c.as_str()).collect::<Vec<_>>().join("; "),
            );
        }
        let res = req.send().await.unwrap();
        self.remember(&res);
        (res.status(), res.text().await.unwrap())
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
        let mut req = self.app.http.post(self.app.url(path)).form(form);
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
        }
        let res = req.send().await.unwrap();
        self.remember(&res);
        (res.status(), res.text().await.unwrap())
    }
}

async fn voting_in_the_browser(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (id, tokens) = app.open_example(3);
    let token = &tokens[0].1;

    // The link keeps the token in an HttpOnly cookie and moves to a URL without it.
    let res = app
        .http
        .get(app.url(&format!("/v/{}", token.replace('-', ""))))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/ballot");
    assert_eq!(res.headers()[REFERRER_POLICY], "no-referrer");
    assert_eq!(res.headers()[CACHE_CONTROL], "no-store");
    let cookie = res.headers()[SET_COOKIE].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let mut browser = Browser::new(&app);
    browser.remember(&res);

    // The ballot: every contest a fieldset with a legend and instructions,
    // every input labelled, no script, nothing from elsewhere.
    let (status, html) = browser.get("/ballot").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(html.matches("<fieldset").count(), 3);
    assert_eq!(html.matches("<legend>").count(), 3);
    assert!(html.contains("Vote for up to 3."));
    // "Vote for one" is a radio group, with a way to choose no one; "up to
    // 3" are boxes to tick.
    assert!(html.contains(r#"<input type="radio" name="c.treasurer""#), "{html}");
    assert!(html.contains("Leave this contest blank"));
    assert!(html.contains(r#"<input type="checkbox" name="c.directors""#));
    assert!(!html.contains(r#"<input type="checkbox" name="c.treasurer""#));
    assert!(html.contains("Choose yes, no or abstain. Passing needs at least two-thirds of the votes cast."));
    assert!(html.contains(r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#));
    assert!(
        !html.contains("<script") && !html.contains("style=") && !html.contains("https://"),
        "no scripts, inline styles or third-party assets"
    );
    for part in html.split("<input").skip(1) {
        let input = &part[..part.find('>').unwrap()];
        if input.contains("type=\"hidden\"") {
            continue;
        }
        let id = attribute(input, "id=\"");
        assert!(
            html.contains(&format!("<label for=\"{id}\">")),
            "input {id} has no label"
        );
    }

    // Over-vote: refused, naming the contest, marks kept, nothing consumed.
    let overvote = [
        ("c.directors", "amara-okafor"),
        ("c.directors", "daniel-brooks"),
        ("c.directors", "mei-ling-chen"),
        ("c.directors", "rosa-delgado"),
        ("c.bylaw-amendment-7", "yes"),
    ];
    let (status, html) = browser.post("/ballot/review", &overvote).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("<title>Error: your ballot"));
    assert!(
        html.contains(r##"<a href="#contest-directors">Board of Directors: you chose 4 but may choose at most 3"##),
        "{html}"
    );
    assert!(html.contains(r#"value="rosa-delgado" checked"#));
    let (status, _) = browser.post("/ballot/cast", &overvote).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "casting an over-vote directly is refused too"
    );

    // Review, with a write-in, then cast.
    let choices = [
        ("c.directors", "amara-okafor"),
        ("c.directors", "priya-raman"),
        ("w.treasurer", "  Jo   Bloggs "),
        ("c.bylaw-amendment-7", "no"),
    ];
    let (status, html) = browser.post("/ballot/review", &choices).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<li>Jo Bloggs (written in)</li>"));
    assert!(
        html.contains(r#"formaction="/ballot""#),
        "a way back to change the choices"
    );
    let hidden: Vec<(String, String)> = html
        .split("<input type=\"hidden\" ")
        .skip(1)
        .map(|p| (unescape(attribute(p, "name=\"")), unescape(attribute(p, "value=\""))))
        .collect();
    let hidden_refs: Vec<(&str, &str)> = hidden.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let res = app
        .http
        .post(app.url("/ballot/cast"))
        .header("cookie", browser.cookie.clone().unwrap())
        .form(&hidden_refs)
        .send()
        .await
        .unwrap();
    // Post, redirect, get: the receipt is a page of its own.
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/receipt");
    let receipt_cookie = res
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("teller_receipt="))
        .unwrap();
    assert!(
        receipt_cookie.contains("Path=/receipt; HttpOnly; SameSite=Strict; Max-Age=900"),
        "{receipt_cookie}"
    );
    browser.remember(&res);
    assert!(browser.cookie.is_none(), "the token cookie is cleared after casting");
    let (status, html) = browser.get("/receipt").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Your ballot has been cast"));
    assert!(html.contains("Keep it private."));
    // Reloaded (or come Back to): the same page again.
    let (status, again) = browser.get("/receipt").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again, html);
    // Member words on the page; the auditor's only under "Details for auditors".
    // (The signed receipt itself, in the download form's hidden field, aside.)
    let (member_part, details) = html.split_once("<details>").unwrap();
    let hidden_at = member_part.find(r#"name="receipt" value=""#).unwrap();
    let hidden_end = hidden_at + member_part[hidden_at..].find("\">").unwrap();
    let member_part = format!("{}{}", &member_part[..hidden_at], &member_part[hidden_end..]);
    for word in ["seal", "teller-audit", "weight"] {
        assert!(
            !member_part.to_lowercase().contains(word),
            "{word:?} on the receipt page: {member_part}"
        );
    }
    assert!(details.contains("teller-audit verify-receipt"));
    // The commands it gives are the ones teller-audit takes: with the
    // proof the tracker check offers, or with the record.
    assert!(
        details.contains("verify-receipt receipt.json --proof proof.json"),
        "{details}"
    );
    assert!(details.contains("verify-receipt receipt.json record.json"), "{details}");
    assert!(!details.contains("--record"), "{details}");

    // The receipt on the page is signed and says what was cast.
    let json = unescape(attribute(&html, "name=\"receipt\" value=\""));
    let receipt: Receipt = serde_json::from_str(&json).unwrap();
    assert!(receipt.problems().is_empty());
    assert_eq!(
        receipt.body.ballot.plain().unwrap().choices["treasurer"],
        ["write-in:Jo Bloggs"]
    );
    let grouped: String = receipt
        .body
        .tracker
        .to_hex()
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(html.contains(&grouped));
    let download = app
        .http
        .post(app.url("/receipt/download"))
        .form(&[("receipt", json.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), StatusCode::OK);
    assert!(download.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let downloaded: Receipt = download.json().await.unwrap();
    assert_eq!(downloaded, receipt);
    let tampered = json.replace("write-in:Jo Bloggs", "write-in:Mallory");
    let refused = app
        .http
        .post(app.url("/receipt/download"))
        .form(&[("receipt", tampered.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    // Done: the receipt is forgotten in this browser.
    let res = app
        .http
        .post(app.url("/receipt/done"))
        .header("cookie", browser.receipt.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    browser.remember(&res);
    assert!(browser.receipt.is_none());
    let (status, html) = browser.get("/receipt").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("There is no receipt to show here"), "{html}");
    // A forged receipt cookie is not shown.
    let forged = hex::encode(tampered.as_bytes());
    let res = app
        .http
        .get(app.url("/receipt"))
        .header("cookie", format!("teller_receipt={forged}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // The same code again: its own page.
    let mut again = Browser::new(&app);
    again.cookie = Some(format!("teller_vote={}", token.replace('-', "")));
    let (status, html) = again.get("/ballot").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("This voting code has already been used"));

    // The public election page shows turnout only as of the last seal.
    let (status, html) = Browser::new(&app).get(&format!("/e/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("the first seal has not happened yet"), "{html}");
}
on_both_backends!(a_member_votes_in_the_browser_without_javascript, voting_in_the_browser);

async fn problem_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (id, tokens) = app.open_example(2);
    let mut b = Browser::new(&app);

    // Typed code: case, spaces and dashes do not matter.
    let typed = tokens[0].1.to_lowercase().replace('-', " ");
    let res = app
        .http
        .post(app.url("/vote"))
        .form(&[("code", typed.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // A typo is caught by the check characters, with the code kept to fix.
    let mut typo: Vec<char> = tokens[0].1.chars().collect();
    typo[0] = if typo[0] == 'A' { 'B' } else { 'A' };
    let typo: String = typo.into_iter().collect();
    let (status, html) = b.post("/vote", &[("code", typo.as_str())]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("typing mistake"));
    assert!(html.contains(r#"aria-invalid="true""#));

    // Not a code at all: the link moves on at once (no page is shown at an
    // address holding a code), to a page that says what is wrong.
    let res = app.http.get(app.url("/v/hello")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/vote?link=invalid");
    let (status, html) = b.get("/vote?link=invalid").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("This is not a voting code"));

    // A well-formed code nobody holds.
    let forged = teller::domain::token::Token::generate().unwrap();
    b.cookie = Some(format!("teller_vote={}", forged.as_str()));
    let (status, html) = b.get("/ballot").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("We do not recognise this voting code"));

    // No code at all: sent to the page to type one.
    let res = app.http.get(app.url("/ballot")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/vote");

    // Closed polls.
    app.teller_ok(&["election", "close", &id]);
    b.cookie = Some(format!("teller_vote={}", tokens[1].1.replace('-', "")));
    let (status, html) = b.get("/ballot").await;
    assert_eq!(status, StatusCode::LOCKED);
    assert!(html.contains("The polls are closed"));

    // No results before the tally, results after.
    let (status, _) = b.get(&format!("/e/{id}/results")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    app.teller_ok(&["election", "tally", &id]);
    let (status, html) = b.get(&format!("/e/{id}/results")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Results: Society of Pharmacy Technicians"));

    // Every page carries the strict security headers.
    let res = app.http.get(app.url("/")).send().await.unwrap();
    let csp = res.headers()[CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(
        app.http.get(app.url("/nowhere")).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}
on_both_backends!(each_problem_has_its_own_clear_page, problem_pages);

async fn not_yet_open(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, mut tokens) = app.draft_with_tokens(include_str!("../../examples/board-election.toml"), 1);
    let token = tokens.remove(0).1;
    let mut b = Browser::new(&app);
    b.cookie = Some(format!("teller_vote={}", token.replace('-', "")));
    let (status, html) = b.get("/ballot").await;
    assert_eq!(status, StatusCode::LOCKED);
    assert!(html.contains("The polls are not open yet"));
}
on_both_backends!(a_code_before_the_polls_open_gets_its_own_page, not_yet_open);

/// The tracker check: a mistyped tracker is named in an error summary that
/// takes focus, with the field marked invalid; a sealed ballot's tracker is
/// shown in groups of four, so it wraps between groups on a phone.
async fn tracker_check(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (id, tokens) = app.open_example(6);
    let mut receipt = None;
    for (i, (_, token)) in tokens.iter().enumerate() {
        let (status, body) = app.cast(&id, token, common::example_choices(i)).await;
        assert_eq!(status, 201);
        receipt.get_or_insert(body);
    }
    app.teller_ok(&["seal", &id]);
    let receipt = receipt.unwrap();
    let tracker = receipt["tracker"].as_str().unwrap().to_string();

    let res = app
        .http
        .get(app.url(&format!("/e/{id}/track?tracker=not-a-tracker")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains(r#"<div class="error-summary" role="alert" tabindex="-1" autofocus>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"aria-invalid="true""#) && html.contains("tracker-error"),
        "{html}"
    );
    assert!(html.contains("<title>Error: "), "{html}");

    let res = app
        .http
        .get(app.url(&format!("/e/{id}/track?tracker={}", &tracker[..20])))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("Your ballot is in the public log"), "{html}");
    // Ungrouped only in the address of the proof's download.
    let proof = format!("/e/{id}/trackers/{tracker}/proof");
    assert!(html.contains(&proof), "{html}");
    assert!(
        !html.replace(&proof, "").contains(&tracker),
        "the tracker is shown ungrouped: {html}"
    );
    assert!(
        html.contains(&format!("{} {}", &tracker[..4], &tracker[4..8])),
        "{html}"
    );
    assert!(!html.contains("aria-invalid"));

    // The receipt file, uploaded: genuine, in the log; after the count,
    // counted as cast. A changed receipt is not genuine; a file that is no
    // receipt is named as such.
    let upload = |bytes: Vec<u8>| {
        let form = reqwest::multipart::Form::new().part(
            "receipt",
            reqwest::multipart::Part::bytes(bytes).file_name("teller-receipt.json"),
        );
        app.http.post(app.url(&format!("/e/{id}/track"))).multipart(form).send()
    };
    let file = serde_json::to_vec_pretty(&receipt).unwrap();
    let res = upload(file.clone()).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("The receipt is genuine"), "{html}");
    assert!(html.contains("Your ballot is in the public log"), "{html}");
    assert!(html.contains("When the results are published, check again"), "{html}");
    // A receipt whose promise was changed: its signature no longer holds.
    let mut changed = receipt.clone();
    changed["seal"] = serde_json::json!(changed["seal"].as_u64().unwrap() + 1);
    let html = upload(serde_json::to_vec(&changed).unwrap())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("The receipt is not genuine"), "{html}");
    let res = upload(b"not a receipt".to_vec()).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("That file is not a Teller receipt."));
    app.teller_ok(&["election", "close", &id]);
    app.teller_ok(&["election", "tally", &id]);
    let html = upload(file).await.unwrap().text().await.unwrap();
    assert!(
        html.contains("counted under your tracker says exactly what your receipt says"),
        "{html}"
    );
}
on_both_backends!(the_tracker_check_marks_mistakes_and_groups_the_tracker, tracker_check);

/// The ballot and review pages say when voting closes and how long is left.
async fn closing_time_on_voting_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let closes = teller::time::now() + 2 * 86_400 + 3 * 3600 + 600;
    let example = include_str!("../../examples/board-election.toml");
    let toml = example.replacen(
        "# closes_at = 2026-12-15T17:00:00",
        &format!("closes_at = {}", teller::time::format_rfc3339(closes)),
        1,
    );
    assert_ne!(toml, example, "the example's closes_at line changed");
    let (id, tokens) = app.draft_with_tokens(&toml, 2);
    app.teller_ok(&["election", "open", &id]);
    let token = tokens[0].1.clone();
    let mut browser = Browser::new(&app);
    browser.cookie = Some(format!("teller_vote={}", token.replace('-', "")));
    // The example election is on New York's clocks.
    let zone = teller::time::Zone::parse("America/New_York").unwrap();
    let expected = format!(
        "Voting closes {}: 2 days and 3 hours left.",
        zone.local(closes).english()
    );
    let (status, html) = browser.get("/ballot").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&expected), "{html}");
    let (status, html) = browser.post("/ballot/review", &[("c.bylaw-amendment-7", "yes")]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains(&expected), "{html}");
}
on_both_backends!(voting_pages_say_when_voting_closes, closing_time_on_voting_pages);
