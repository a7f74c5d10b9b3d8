//! The public bulletin board (`/e/{id}/board…`) and the proof download on
//! "check my ballot": the board shows the checkpoint the API serves, its
//! log pages exactly the checkpointed entries, its tracker pages exactly
//! the sealed trackers in log order; drafts and bad pages are refused
//! clearly, in the reader's language; the proof downloads as a file that
//! verifies against the receipt, and is offered only once the ballot is
//! sealed — on both backends.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::{example_choices, Backend, TestApp};
use reqwest::header::{ACCEPT_LANGUAGE, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_SECURITY_POLICY, VARY};
use teller_audit::inclusion::{verify_receipt_with_proof, InclusionProof};
use teller_audit::log::Event;
use teller_audit::note::TreeCheckpoint;
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

/// A page: its status, headers and text.
async fn get(app: &TestApp, path: &str, lang: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let res = app
        .http
        .get(app.url(path))
        .header(ACCEPT_LANGUAGE, lang)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.text().await.unwrap())
}

/// What every board page must be: no script, no inline style, nothing from
/// elsewhere, a strict CSP, a first-level heading, every table captioned
/// and its headers scoped.
fn assert_plain_accessible(html: &str, headers: &reqwest::header::HeaderMap) {
    assert!(
        !html.contains("<script") && !html.contains("style=") && !html.contains("<style"),
        "no scripts or inline styles: {html}"
    );
    assert!(!html.contains("src=\"http"), "nothing from elsewhere: {html}");
    assert!(headers[CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .contains("default-src 'none'"));
    assert_eq!(html.matches("<h1>").count(), 1, "{html}");
    assert_eq!(
        html.matches("<table").count(),
        html.matches("<caption").count(),
        "{html}"
    );
    assert_eq!(html.matches("<th>").count(), 0, "every header has a scope: {html}");
}

/// The text after each `marker` up to the next `end`.
fn each_after<'a>(html: &'a str, marker: &str, end: char) -> Vec<&'a str> {
    html.split(marker)
        .skip(1)
        .map(|rest| &rest[..rest.find(end).unwrap()])
        .collect()
}

/// Cast with `tokens`, several at once, returning the receipts.
async fn cast_all(app: &TestApp, id: &str, tokens: &[(String, String)], from: usize) -> Vec<Receipt> {
    let mut casts = tokio::task::JoinSet::new();
    for (i, (_, token)) in tokens.iter().enumerate() {
        let (http, url) = (app.http.clone(), app.url(&format!("/api/v1/elections/{id}/ballots")));
        let body = serde_json::json!({"token": token, "choices": example_choices(from + i)});
        casts.spawn(async move { http.post(url).json(&body).send().await.unwrap() });
    }
    let mut receipts = Vec::new();
    while let Some(res) = casts.join_next().await {
        let res = res.unwrap();
        assert_eq!(res.status().as_u16(), 201);
        receipts.push(res.json::<Receipt>().await.unwrap());
    }
    receipts
}

/// Every page of a board list, following its "next" links from page 1:
/// the pages' texts.
async fn all_pages(app: &TestApp, first: &str) -> Vec<String> {
    let mut pages = Vec::new();
    let mut next = Some(first.to_string());
    while let Some(path) = next {
        let (status, headers, html) = get(app, &path, "en").await;
        assert_eq!(status, 200, "{path}: {html}");
        assert_plain_accessible(&html, &headers);
        assert!(headers[CACHE_CONTROL].to_str().unwrap().starts_with("public, max-age="));
        // `<a href="…" rel="next">`, its `=` escaped.
        next = html
            .find("\" rel=\"next\"")
            .and_then(|end| html[..end].rsplit("href=\"").next())
            .map(unescape);
        pages.push(html);
    }
    pages
}

async fn board(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    // A draft has no board, and no proof.
    let (draft, _) = app.draft_with_tokens(include_str!("../../examples/board-election.toml"), 2);
    for path in ["board", "board/log", "board/trackers"] {
        let (status, _, html) = get(&app, &format!("/e/{draft}/{path}"), "en").await;
        assert_eq!(status, 404, "{path}: {html}");
        assert!(
            html.contains("<h1>Page not found</h1>"),
            "a page, not a bare status: {html}"
        );
    }
    let (status, _, _) = get(&app, &format!("/e/{draft}/trackers/{}/proof", "ab".repeat(32)), "en").await;
    assert_eq!(status, 404);

    let (id, tokens) = app.open_example(105);
    // The election's page links its board.
    let (_, _, html) = get(&app, &format!("/e/{id}"), "en").await;
    assert!(html.contains(&format!("href=\"/e/{id}/board\"")), "{html}");

    // Before any seal: a receipt's check says when its proof will be
    // there, and links none; the download itself says so too.
    let early = cast_all(&app, &id, &tokens[..3], 0).await;
    let receipt = &early[0];
    let tracker = receipt.body.tracker.to_hex();
    let upload = |bytes: Vec<u8>, lang: &'static str| {
        let form = reqwest::multipart::Form::new().part(
            "receipt",
            reqwest::multipart::Part::bytes(bytes).file_name("teller-receipt.json"),
        );
        app.http
            .post(app.url(&format!("/e/{id}/track")))
            .header(ACCEPT_LANGUAGE, lang)
            .multipart(form)
            .send()
    };
    let file = serde_json::to_vec(receipt).unwrap();
    let html = upload(file.clone(), "en").await.unwrap().text().await.unwrap();
    assert!(
        html.contains("can be downloaded here once your ballot is sealed"),
        "{html}"
    );
    assert!(!html.contains("/proof"), "no link before the seal: {html}");
    let html = upload(file.clone(), "es").await.unwrap().text().await.unwrap();
    assert!(
        html.contains("podrá descargarse aquí cuando su papeleta se selle"),
        "{html}"
    );
    let (_, _, html) = get(&app, &format!("/e/{id}/track?tracker={}", &tracker[..20]), "en").await;
    assert!(!html.contains("/proof"), "{html}");
    let (status, headers, html) = get(&app, &format!("/e/{id}/trackers/{tracker}/proof"), "en").await;
    assert_eq!(status, 404);
    assert!(headers.get(CONTENT_DISPOSITION).is_none());
    assert!(html.contains("The proof is not ready yet"), "{html}");

    // Two seals, more than a page of ballots, and a replaced code after
    // the last seal: an entry no checkpoint covers yet.
    app.teller_ok(&["seal", &id]);
    let mut receipts = early.clone();
    receipts.extend(cast_all(&app, &id, &tokens[3..103], 3).await);
    app.teller_ok(&["seal", &id]);
    app.teller_ok(&["tokens", "reissue", &id, &tokens[104].0]);
    let record = app.export(&id);

    // The board shows the checkpoint the API serves.
    let res = app
        .http
        .get(app.url(&format!("/api/v1/elections/{id}/log/checkpoint")))
        .send()
        .await
        .unwrap();
    let note = res.text().await.unwrap();
    let checkpoint = TreeCheckpoint::open(&note, &id, &record.public_key).unwrap();
    assert_eq!(
        checkpoint.size + 1,
        record.log.len() as u64,
        "the reissue is not checkpointed"
    );
    let (status, headers, html) = get(&app, &format!("/e/{id}/board"), "en").await;
    assert_eq!(status, 200, "{html}");
    assert_plain_accessible(&html, &headers);
    assert_eq!(headers[CACHE_CONTROL], "public, max-age=15");
    assert!(headers[VARY].to_str().unwrap().contains("Accept-Language"));
    let page = unescape(&html);
    assert!(page.contains(&format!("<pre class=\"note\">{note}</pre>")), "{page}");
    assert!(page.contains(&checkpoint.root.to_hex()), "{page}");
    assert!(page.contains(&format!("<dd>{}</dd>", checkpoint.size)), "{page}");
    assert!(
        page.contains(&format!("{}+", checkpoint.origin)),
        "the verifier key: {page}"
    );
    assert!(
        page.contains(&format!("<td class=\"num\">{}</td>", receipts.len())),
        "sealed ballots: {page}"
    );
    for link in [
        format!("/e/{id}/board/log"),
        format!("/e/{id}/board/trackers"),
        format!("/e/{id}/track"),
        format!("/api/v1/elections/{id}/record"),
        format!("/api/v1/elections/{id}/log/checkpoint"),
        format!("/api/v1/elections/{id}/log/consistency?from=N"),
        format!("/api/v1/elections/{id}/log/tile/"),
    ] {
        assert!(page.contains(&link), "{link}: {page}");
    }
    assert!(
        !page.contains(&format!("/e/{id}/results")),
        "no results before the count"
    );

    // The log pages: exactly the checkpointed entries, in order, a hundred a page.
    let pages = all_pages(&app, &format!("/e/{id}/board/log")).await;
    let expected_pages = checkpoint.size.div_ceil(100) as usize;
    assert!(expected_pages > 1);
    assert_eq!(pages.len(), expected_pages);
    let mut seqs = Vec::new();
    for (n, html) in pages.iter().enumerate() {
        assert!(html.contains(&format!("Page {} of {expected_pages}", n + 1)), "{html}");
        assert_eq!(html.contains("rel=\"prev\""), n > 0);
        let on_page: Vec<u64> = each_after(html, "<th scope=\"row\" class=\"num\">", '<')
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        assert!(on_page.len() <= 100);
        seqs.extend(on_page);
    }
    assert_eq!(seqs, (0..checkpoint.size).collect::<Vec<_>>());
    assert!(pages[0].contains("Voting opened") && pages[0].contains("<code>polls_opened</code>"));
    let last = pages.last().unwrap();
    assert!(
        last.contains("<code>seal</code>") && !last.contains("<code>token_reissued</code>"),
        "{last}"
    );

    // The tracker pages: exactly the sealed trackers, in log order.
    let logged: Vec<String> = record
        .log
        .iter()
        .filter_map(|e| match &e.entry.event {
            Event::Ballot { tracker } => Some(tracker.to_hex()),
            _ => None,
        })
        .collect();
    assert_eq!(logged.len(), receipts.len());
    let pages = all_pages(&app, &format!("/e/{id}/board/trackers")).await;
    assert_eq!(pages.len(), 2);
    let listed: Vec<String> = pages
        .iter()
        .flat_map(|html| each_after(html, &format!("<a href=\"/e/{id}/track?tracker&#x3D;"), '"'))
        .map(str::to_string)
        .collect();
    assert_eq!(listed, logged);

    // Bad and missing pages: clear pages, in the reader's language.
    for bad in ["0", "01", "-1", "abc", "1.5", "", "1&page=2"] {
        let (status, _, html) = get(&app, &format!("/e/{id}/board/log?page={bad}"), "en").await;
        assert_eq!(status, 400, "{bad}: {html}");
        assert!(html.contains("A page number is a whole number from 1"), "{html}");
    }
    let (status, _, html) = get(&app, &format!("/e/{id}/board/trackers?page=3"), "en").await;
    assert_eq!(status, 404);
    assert!(
        html.contains("You asked for page 3, but this list has 2 pages."),
        "{html}"
    );
    let (status, _, html) = get(&app, &format!("/e/{id}/board/log?page=99"), "es").await;
    assert_eq!(status, 404);
    assert!(html.contains("Esa página no existe"), "{html}");
    let (status, _, html) = get(&app, &format!("/e/{id}/board/log?page=x"), "es").await;
    assert_eq!(status, 400);
    assert!(html.contains("El número de página es un número entero"), "{html}");
    for path in ["board", "board/log?page=2", "board/trackers"] {
        let (status, _, html) = get(&app, &format!("/e/{}/{path}", uuid::Uuid::new_v4()), "es").await;
        assert_eq!(status, 404);
        assert!(html.contains("Página no encontrada"), "{html}");
    }

    // In Spanish.
    let (status, headers, html) = get(&app, &format!("/e/{id}/board"), "es-MX,es;q=0.9").await;
    assert_eq!(status, 200);
    assert_plain_accessible(&html, &headers);
    assert!(
        html.contains("<html lang=\"es\">") && html.contains("Tablón público"),
        "{html}"
    );
    assert!(html.contains("Último punto de control"), "{html}");
    let (_, _, html) = get(&app, &format!("/e/{id}/board/log?page=2"), "es").await;
    assert!(
        html.contains("Página 2 de") && html.contains("Papeleta sellada"),
        "{html}"
    );
    let (_, _, html) = get(&app, &format!("/e/{id}/board/trackers"), "es").await;
    assert!(html.contains("Códigos sellados"), "{html}");

    // Sealed: the check offers the proof, which downloads as a file and
    // verifies against the receipt offline.
    let (_, _, html) = get(&app, &format!("/e/{id}/track?tracker={}", &tracker[..20]), "en").await;
    let link = format!("/e/{id}/trackers/{tracker}/proof");
    assert!(html.contains(&format!("<a href=\"{link}\" download>")), "{html}");
    assert!(
        html.contains("teller-audit verify-receipt RECEIPT --proof PROOF"),
        "{html}"
    );
    let (_, _, html) = get(&app, &format!("/e/{id}/track?tracker={}", &tracker[..20]), "es").await;
    assert!(
        html.contains("Descargue la prueba de que su papeleta está en el registro"),
        "{html}"
    );
    let html = upload(file, "en").await.unwrap().text().await.unwrap();
    let promised = format!("{link}?seal&#x3D;{}", receipt.body.seal);
    assert!(html.contains(&promised), "{html}");
    for path in [link.clone(), unescape(&promised)] {
        let res = app.http.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(
            res.headers()[CONTENT_DISPOSITION],
            format!("attachment; filename=\"teller-proof-{}.json\"", &tracker[..12]).as_str()
        );
        assert_eq!(res.headers()["content-type"], "application/json");
        let proof: InclusionProof = serde_json::from_slice(&res.bytes().await.unwrap()).unwrap();
        let report = verify_receipt_with_proof(receipt, &proof);
        assert!(report.ok(), "{report}");
    }
    // The same JSON as the API's.
    let (_, api) = app
        .get_json(&format!("/api/v1/elections/{id}/receipts/{tracker}/proof"))
        .await;
    let page: serde_json::Value = app.http.get(app.url(&link)).send().await.unwrap().json().await.unwrap();
    assert_eq!(page, api);
    // Not a tracker, and a tracker nobody cast.
    let (status, _, html) = get(&app, &format!("/e/{id}/trackers/xyz/proof"), "en").await;
    assert_eq!(status, 400);
    assert!(html.contains("A tracker code is 64 letters"), "{html}");
    let (status, _, html) = get(&app, &format!("/e/{id}/trackers/{}/proof", "ab".repeat(32)), "es").await;
    assert_eq!(status, 404);
    assert!(html.contains("Ninguna papeleta tiene este código"), "{html}");
    let (status, _, _) = get(&app, &format!("{link}?seal=0"), "en").await;
    assert_eq!(status, 400);
}
on_both_backends!(the_bulletin_board_shows_the_checkpointed_log, board);
