//! Casting from the browser, the receipt page, and the receipt download.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::{Deserialize, Serialize};
use teller_audit::receipt::Receipt;

use super::ballot::{checked_choices, render_ballot};
use super::form::{marks_from_fields, summaries, ContestSummary, Marks};
use super::{clear_cookie, current_voter, not_open_page, unknown_page, used_page};
use crate::ops::cast::CastRequest;
use crate::ops::OpError;
use crate::web::client::ClientAddr;
use crate::web::error::PageError;
use crate::web::limits::SITE;
use crate::web::pages::{render, Page};
use crate::web::AppState;

#[derive(Serialize)]
struct ReceiptPage {
    election_id: String,
    tracker_grouped: String,
    seal: u64,
    contests: Vec<ContestSummary>,
    /// An encrypted ballot's receipt: it holds no choices to show.
    encrypted: bool,
    receipt_json: String,
}

/// The review page's box asking for a confirmation e-mail (value `yes`).
pub const CONFIRM_FIELD: &str = "confirm";

/// The field the booth (`static/js/teller-ballot.js`) casts an encrypted
/// ballot in: its canonical JSON (§14.11), as the device made it.
pub const ENCRYPTED_FIELD: &str = "encrypted_ballot";

/// A tracker in groups of four hex digits, for reading aloud or comparing.
pub fn grouped_tracker(hex: &str) -> String {
    crate::text::grouped(hex)
}

/// The cookie that carries a fresh receipt from the cast to `GET /receipt`
/// (only that path, for a quarter of an hour), so that reloading the
/// receipt page or coming Back to it shows it again instead of a browser
/// error. It holds nothing the member's own receipt does not.
pub const RECEIPT_COOKIE: &str = "teller_receipt";
/// How long the receipt page can be shown again.
const RECEIPT_SECONDS: u32 = 15 * 60;
/// Cookies larger than this are not set (browsers keep about 4 KB); the
/// receipt page is then shown at once, as the answer to the cast.
const MAX_RECEIPT_COOKIE: usize = 3800;

fn receipt_cookie(state: &AppState, value: &str, max_age: u32) -> Option<HeaderValue> {
    let secure = if state.https() { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{RECEIPT_COOKIE}={value}; Path=/receipt; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .ok()
}

/// The receipt in the request's cookie, if it is one and validly signed.
fn receipt_from_cookie(headers: &HeaderMap) -> Option<Receipt> {
    let value = crate::web::cookie(headers, RECEIPT_COOKIE)?;
    let bytes = hex::decode(value).ok()?;
    let receipt: Receipt = serde_json::from_slice(&bytes).ok()?;
    receipt.problems().is_empty().then_some(receipt)
}

fn receipt_page(title: &str, def: &teller_audit::definition::Definition, receipt: &Receipt) -> Response {
    let Ok(receipt_json) = serde_json::to_string(receipt) else {
        return PageError::from(OpError::Store(crate::store::corrupt("receipt").into())).into_response();
    };
    let page = ReceiptPage {
        election_id: receipt.body.election.clone(),
        tracker_grouped: grouped_tracker(&receipt.body.tracker.to_hex()),
        seal: receipt.body.seal,
        // An encrypted ballot's receipt shows no choices: it holds none.
        contests: receipt
            .body
            .ballot
            .plain()
            .map(|b| summaries(def, &b.choices))
            .unwrap_or_default(),
        encrypted: receipt.body.ballot.encrypted().is_some(),
        receipt_json,
    };
    render(
        StatusCode::OK,
        "receipt",
        &Page {
            page_title: super::t("receipt-title"),
            election_title: Some(title.to_string()),
            body: page,
        },
    )
}

/// `GET /receipt`: the receipt page of the ballot this browser just cast.
pub async fn show_receipt(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(receipt) = receipt_from_cookie(&headers) else {
        return super::problem_page(
            StatusCode::NOT_FOUND,
            None,
            &super::t("receipt-gone-title"),
            vec![super::t("receipt-gone-text-1"), super::t("receipt-gone-text-2")],
            vec![("/".into(), super::t("elections-link"))],
        );
    };
    let id = receipt.body.election.clone();
    let lang = crate::i18n::current();
    let (row, texts) = match state
        .run(move |conn, _| {
            let row = crate::store::elections::find(conn, &id)?;
            let texts = crate::store::texts::load(conn, &id, lang)?;
            Ok((row, texts))
        })
        .await
    {
        Ok((Some(row), texts)) => (row, texts),
        Ok((None, _)) => return PageError::not_found().into_response(),
        Err(e) => return PageError::from(e).into_response(),
    };
    match row.definition() {
        Ok(def) => {
            let def = crate::domain::texts::localise(def, &texts);
            receipt_page(&def.title, &def, &receipt)
        }
        Err(e) => PageError::from(OpError::from(e)).into_response(),
    }
}

/// `POST /receipt/done`: forget the receipt in this browser (on a shared
/// computer, once it is downloaded).
pub async fn forget_receipt(State(state): State<AppState>) -> Response {
    let mut res = Redirect::to("/").into_response();
    if let Some(v) = receipt_cookie(&state, "", 0) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

/// `POST /ballot/cast`: cast, and show the receipt only once it is durable.
///
/// A plain election's marks are cast as they are. In an encrypted
/// election the booth sends the encrypted ballot its device made
/// (`encrypted_ballot`, and no marks); without JavaScript the marks come,
/// and the server encrypts them for the member (the review page said so).
pub async fn cast(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let voter = match current_voter(&state, &headers, ip).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    let def = match voter.definition() {
        Ok(d) => d,
        Err(e) => return PageError::from(e).into_response(),
    };
    // The box on the review page; honoured only where it was offered (the
    // election sends confirmations, this server can send mail, and the
    // member has an address: the last is checked in the cast itself).
    let confirm = voter.election.send_confirmations
        && state.mailer().is_some()
        && fields.iter().any(|(k, v)| k == CONFIRM_FIELD && v == "yes");
    if let Some((_, ballot)) = fields.iter().find(|(k, _)| k == ENCRYPTED_FIELD) {
        let result = state
            .cast_encrypted(
                &voter.election.id,
                voter.token.clone(),
                ballot.clone().into_bytes(),
                confirm,
            )
            .await;
        return answer(&state, ip, &voter, &def, &Marks::new(), result).await;
    }
    let marks = marks_from_fields(&def, &fields);
    let choices = match checked_choices(&def, &marks) {
        Ok(c) => c,
        Err(problems) => {
            state.metrics().refused(crate::web::metrics::Refusal::InvalidBallot);
            return render_ballot(&state, &voter, &def, &marks, problems, None).await;
        }
    };
    let result = match state.encryption(&voter.election.id).await {
        Ok(Some(enc)) => encrypt_and_cast(&state, &voter, enc, choices, confirm).await,
        Ok(None) => {
            state
                .cast(CastRequest {
                    election: voter.election.id.clone(),
                    token: voter.token.clone(),
                    choices,
                    confirm,
                })
                .await
        }
        Err(e) => Err(e),
    };
    answer(&state, ip, &voter, &def, &marks, result).await
}

/// The path without JavaScript in an encrypted election: the server
/// encrypts the member's choices (`Encryption::encrypt`, with their
/// weight) and casts the ballot as a device's.
async fn encrypt_and_cast(
    state: &AppState,
    voter: &super::Voter,
    enc: std::sync::Arc<crate::ops::encrypted::Encryption>,
    choices: crate::ops::cast::Choices,
    confirm: bool,
) -> Result<Receipt, OpError> {
    let weight = super::encrypted::member_weight(state, voter).await?;
    let bytes = tokio::task::spawn_blocking(move || enc.encrypt(&choices, weight).map(|e| e.bytes))
        .await
        .map_err(|e| OpError::Refused(format!("the encryption failed: {e}")))??;
    state
        .cast_encrypted(&voter.election.id, voter.token.clone(), bytes, confirm)
        .await
}

/// The answer to a cast: the receipt, or the page that says why not.
async fn answer(
    state: &AppState,
    ip: std::net::IpAddr,
    voter: &super::Voter,
    def: &teller_audit::definition::Definition,
    marks: &Marks,
    result: Result<Receipt, OpError>,
) -> Response {
    match result {
        Ok(receipt) => {
            // Post, redirect, get: the receipt page is a page of its own, so
            // reloading it or coming Back to it shows it again. A receipt
            // too large for a cookie (an encrypted ballot's, about 14 KB)
            // is shown at once, as the answer to the cast.
            let cookie = serde_json::to_vec(&receipt)
                .ok()
                .map(hex::encode)
                .filter(|v| v.len() <= MAX_RECEIPT_COOKIE)
                .and_then(|v| receipt_cookie(state, &v, RECEIPT_SECONDS));
            let mut res = match cookie {
                Some(c) => {
                    let mut res = Redirect::to("/receipt").into_response();
                    res.headers_mut().append(header::SET_COOKIE, c);
                    res
                }
                None => receipt_page(&def.title, def, &receipt),
            };
            res.headers_mut().append(header::SET_COOKIE, clear_cookie(state));
            res
        }
        Err(OpError::InvalidBallot(problems)) => render_ballot(state, voter, def, marks, problems, None).await,
        Err(OpError::TokenUsed) => {
            state.limiter().failed(ip, SITE);
            used_page(Some(&voter.election))
        }
        Err(OpError::UnknownToken) => {
            state.limiter().failed(ip, SITE);
            unknown_page()
        }
        Err(OpError::PollsNotOpen(why)) => not_open_page(&voter.election, why),
        // An encrypted ballot refused by a check: the ballot again, saying
        // why; the code still works.
        Err(e) => match super::encrypted::refusal_notice(&e) {
            Some(notice) => render_ballot(state, voter, def, marks, vec![], Some(notice)).await,
            None => PageError::from(e).into_response(),
        },
    }
}

/// The receipt posted back for download.
#[derive(Deserialize)]
pub struct ReceiptForm {
    receipt: String,
}

/// `POST /receipt/download`: hand the signed receipt back as a file. Nothing
/// is stored server-side: a receipt is shown once, to its voter.
pub async fn download_receipt(Form(form): Form<ReceiptForm>) -> Response {
    let receipt: Receipt = match serde_json::from_str(&form.receipt) {
        Ok(r) => r,
        Err(_) => return PageError::bad_request(super::t("receipt-not-teller")).into_response(),
    };
    if !receipt.problems().is_empty() {
        return PageError::bad_request(super::t("receipt-bad-signature")).into_response();
    }
    let Ok(body) = serde_json::to_string_pretty(&receipt) else {
        return PageError::bad_request(super::t("receipt-cannot-write")).into_response();
    };
    let name = format!(
        "attachment; filename=\"teller-receipt-{}.json\"",
        &receipt.body.tracker.to_hex()[..12]
    );
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (header::CONTENT_DISPOSITION, name),
        ],
        body,
    )
        .into_response()
}
