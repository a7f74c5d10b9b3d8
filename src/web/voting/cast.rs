//! Casting from the browser, the receipt page, and the receipt download.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::{Deserialize, Serialize};
use teller_audit::receipt::Receipt;

use super::ballot::{checked_choices, render_ballot};
use super::form::{marks_from_fields, summaries, ContestSummary};
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
    receipt_json: String,
}

/// A tracker in groups of four hex digits, for reading aloud or comparing.
pub fn grouped_tracker(hex: &str) -> String {
    hex.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `POST /ballot/cast`: cast, and show the receipt only once it is durable.
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
    let def = match voter.election.definition() {
        Ok(d) => d,
        Err(e) => return PageError::from(OpError::from(e)).into_response(),
    };
    let marks = marks_from_fields(&def, &fields);
    let choices = match checked_choices(&def, &marks) {
        Ok(c) => c,
        Err(problems) => {
            state.metrics().refused(crate::web::metrics::Refusal::InvalidBallot);
            return render_ballot(&voter.election.title, &def, &marks, problems);
        }
    };
    let result = state
        .cast(CastRequest {
            election: voter.election.id.clone(),
            token: voter.token.clone(),
            choices: choices.clone(),
        })
        .await;
    match result {
        Ok(receipt) => {
            let Ok(receipt_json) = serde_json::to_string(&receipt) else {
                return PageError::from(OpError::Store(crate::store::corrupt("receipt").into())).into_response();
            };
            let page = ReceiptPage {
                election_id: voter.election.id.clone(),
                tracker_grouped: grouped_tracker(&receipt.body.tracker.to_hex()),
                seal: receipt.body.seal,
                contests: summaries(&def, &receipt.body.ballot.choices),
                receipt_json,
            };
            let mut res = render(
                StatusCode::OK,
                "receipt",
                &Page {
                    page_title: "Your ballot has been cast".into(),
                    election_title: Some(voter.election.title.clone()),
                    body: page,
                },
            );
            res.headers_mut().insert(header::SET_COOKIE, clear_cookie(&state));
            res
        }
        Err(OpError::InvalidBallot(problems)) => render_ballot(&voter.election.title, &def, &marks, problems),
        Err(OpError::TokenUsed) => {
            state.limiter().failed(ip, SITE);
            used_page(Some(&voter.election))
        }
        Err(OpError::UnknownToken) => {
            state.limiter().failed(ip, SITE);
            unknown_page()
        }
        Err(OpError::PollsNotOpen(why)) => not_open_page(&voter.election, why),
        Err(e) => PageError::from(e).into_response(),
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
        Err(_) => return PageError::bad_request("That is not a Teller receipt.").into_response(),
    };
    if !receipt.problems().is_empty() {
        return PageError::bad_request("That receipt is not validly signed.").into_response();
    }
    let Ok(body) = serde_json::to_string_pretty(&receipt) else {
        return PageError::bad_request("That receipt cannot be written out.").into_response();
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
