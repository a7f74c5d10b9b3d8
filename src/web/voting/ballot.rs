//! The ballot and review pages.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use serde::Serialize;
use teller_audit::ballot::{problems, BallotProblem};

use super::current_voter;
use super::form::{ballot_page, choices_from_fields, hidden_fields, summaries, ContestSummary, Hidden};
use crate::ops::cast::{normalise_choices, Choices};
use crate::ops::OpError;
use crate::web::error::PageError;
use crate::web::pages::{render, Page};
use crate::web::AppState;
use axum::response::IntoResponse;

/// Render the ballot with `choices` marked and `problems` shown.
pub fn render_ballot(
    title: &str,
    definition: &teller_audit::definition::Definition,
    choices: &Choices,
    problems: Vec<BallotProblem>,
) -> Response {
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page_title = if problems.is_empty() {
        "Your ballot".to_string()
    } else {
        "Error: your ballot".to_string()
    };
    render(
        status,
        "ballot",
        &Page {
            page_title,
            election_title: Some(title.to_string()),
            body: ballot_page(definition, choices, problems),
        },
    )
}

/// `GET /ballot`: a fresh ballot.
pub async fn show(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let voter = match current_voter(&state, &headers, addr.ip()).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    match voter.election.definition() {
        Ok(def) => render_ballot(&voter.election.title, &def, &Choices::new(), vec![]),
        Err(e) => PageError::from(OpError::from(e)).into_response(),
    }
}

/// `POST /ballot`: back from the review page, with the choices kept.
pub async fn change(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let voter = match current_voter(&state, &headers, addr.ip()).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    match voter.election.definition() {
        Ok(def) => {
            let choices = choices_from_fields(&def, &fields);
            render_ballot(&voter.election.title, &def, &choices, vec![])
        }
        Err(e) => PageError::from(OpError::from(e)).into_response(),
    }
}

#[derive(Serialize)]
struct Review {
    contests: Vec<ContestSummary>,
    hidden: Vec<Hidden>,
}

/// `POST /ballot/review`: check the marks; show problems on the ballot, or
/// the review page.
pub async fn review(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let voter = match current_voter(&state, &headers, addr.ip()).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    let def = match voter.election.definition() {
        Ok(d) => d,
        Err(e) => return PageError::from(OpError::from(e)).into_response(),
    };
    let choices = normalise_choices(&def, choices_from_fields(&def, &fields));
    let found = problems(&def, &choices);
    if !found.is_empty() {
        return render_ballot(&voter.election.title, &def, &choices, found);
    }
    render(
        StatusCode::OK,
        "review",
        &Page {
            page_title: "Check your choices".into(),
            election_title: Some(voter.election.title.clone()),
            body: Review {
                contests: summaries(&def, &choices),
                hidden: hidden_fields(&choices),
            },
        },
    )
}
