//! The ballot and review pages.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use serde::Serialize;
use teller_audit::ballot::{problems, BallotProblem};

use super::current_voter;
use super::form::{
    ballot_page, choices_from_marks, hidden_fields, marks_from_fields, summaries, ContestSummary, Hidden, Marks,
};
use crate::ops::cast::{normalise_choices, Choices};
use crate::ops::OpError;
use crate::web::client::ClientAddr;
use crate::web::error::PageError;
use crate::web::pages::{render, Page};
use crate::web::AppState;
use axum::response::IntoResponse;

/// Render the ballot with `choices` marked and `problems` shown.
pub fn render_ballot(
    election: &crate::store::elections::ElectionRow,
    definition: &teller_audit::definition::Definition,
    marks: &Marks,
    problems: Vec<BallotProblem>,
) -> Response {
    let title = election.title.as_str();
    let (status, page_title) = if problems.is_empty() {
        (StatusCode::OK, "Your ballot".to_string())
    } else {
        (StatusCode::UNPROCESSABLE_ENTITY, "Error: your ballot".to_string())
    };
    let mut body = ballot_page(definition, marks, problems);
    body.closing = crate::time::closing_text(election.closes_at, crate::time::now());
    render(
        status,
        "ballot",
        &Page {
            page_title,
            election_title: Some(title.to_string()),
            body,
        },
    )
}

/// The choices the marks stand for, or every problem the form and the
/// ballot's rules find.
pub fn checked_choices(
    definition: &teller_audit::definition::Definition,
    marks: &Marks,
) -> Result<Choices, Vec<BallotProblem>> {
    let (choices, mut found) = choices_from_marks(definition, marks);
    let choices = normalise_choices(definition, choices);
    // Every contest's problems at once: the ballot's rules are checked too
    // for each contest the form found nothing wrong with (a contest whose
    // ranks or points could not be read would only repeat its problem).
    let unreadable: std::collections::BTreeSet<String> = found.iter().map(|p| p.contest.clone()).collect();
    found.extend(
        problems(definition, &choices)
            .into_iter()
            .filter(|p| !unreadable.contains(&p.contest)),
    );
    // In ballot order, as the member reads it.
    let order = |c: &str| definition.contests.iter().position(|x| x.id == c).unwrap_or(usize::MAX);
    found.sort_by_key(|p| order(&p.contest));
    if found.is_empty() {
        Ok(choices)
    } else {
        Err(found)
    }
}

/// `GET /ballot`: a fresh ballot.
pub async fn show(State(state): State<AppState>, ClientAddr(ip): ClientAddr, headers: HeaderMap) -> Response {
    let voter = match current_voter(&state, &headers, ip).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    match voter.election.definition() {
        Ok(def) => render_ballot(&voter.election, &def, &Marks::new(), vec![]),
        Err(e) => PageError::from(OpError::from(e)).into_response(),
    }
}

/// `POST /ballot`: back from the review page, with the choices kept.
pub async fn change(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let voter = match current_voter(&state, &headers, ip).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    match voter.election.definition() {
        Ok(def) => {
            let marks = marks_from_fields(&def, &fields);
            render_ballot(&voter.election, &def, &marks, vec![])
        }
        Err(e) => PageError::from(OpError::from(e)).into_response(),
    }
}

#[derive(Serialize)]
struct Review {
    contests: Vec<ContestSummary>,
    hidden: Vec<Hidden>,
    closing: Option<String>,
    /// Offer the box asking for a confirmation e-mail.
    offer_confirmation: bool,
}

/// `POST /ballot/review`: check the marks; show problems on the ballot, or
/// the review page.
pub async fn review(
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
        Err(problems) => return render_ballot(&voter.election, &def, &marks, problems),
    };
    // Offered only where it can be honoured: the election sends
    // confirmations, this server can send mail, the member has an address.
    let offer_confirmation = voter.election.send_confirmations
        && state.mailer().is_some()
        && match confirmation_possible(&state, &voter).await {
            Ok(yes) => yes,
            Err(page) => return page,
        };
    render(
        StatusCode::OK,
        "review",
        &Page {
            page_title: "Check your choices".into(),
            election_title: Some(voter.election.title.clone()),
            body: Review {
                contests: summaries(&def, &choices),
                hidden: hidden_fields(&def, &choices),
                closing: crate::time::closing_text(voter.election.closes_at, crate::time::now()),
                offer_confirmation,
            },
        },
    )
}

/// Whether the voter has an e-mail address on the roll.
async fn confirmation_possible(state: &AppState, voter: &super::Voter) -> Result<bool, Response> {
    let election = voter.election.id.clone();
    let token = voter.token.clone();
    state
        .run(move |conn, secret| {
            Ok(crate::store::members::token_has_email(
                conn,
                &election,
                &secret.token_hash(token.as_str()),
            )?)
        })
        .await
        .map_err(|e| PageError::from(e).into_response())
}
