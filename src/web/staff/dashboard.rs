//! The console's front page: every election with its state and turnout as
//! of the last seal.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::{signed_in, Nav};
use crate::ops::status::status;
use crate::store::elections;
use crate::web::error::PageError;
use crate::web::pages::{render, Page};
use crate::web::public::state_label;
use crate::web::AppState;

#[derive(Serialize)]
struct Row {
    id: String,
    title: String,
    state: String,
    state_label: String,
    /// The next scheduled opening or closing, on the election's clocks.
    next: Option<String>,
    eligible: u64,
    voted: u64,
    seals: u64,
}

#[derive(Serialize)]
struct Dashboard {
    nav: Nav,
    elections: Vec<Row>,
    can_create: bool,
}

/// `GET /staff`.
pub async fn show(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let user = match signed_in(&state, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let rows = state
        .run(|conn, _| {
            let mut out = Vec::new();
            for e in elections::list(conn)? {
                out.push(status(conn, &e.id)?);
            }
            Ok(out)
        })
        .await;
    let rows = match rows {
        Ok(r) => r,
        Err(e) => return PageError::from(e).into_response(),
    };
    let elections = rows
        .into_iter()
        .map(|s| Row {
            id: s.election.id.clone(),
            title: s.election.title.clone(),
            state: s.state.as_str().into(),
            state_label: state_label(s.state),
            next: match s.state {
                crate::domain::lifecycle::State::Draft => s
                    .election
                    .opens_at
                    .map(|t| format!("Opens {}", s.election.zone().local(t).short())),
                crate::domain::lifecycle::State::Open => s
                    .election
                    .closes_at
                    .map(|t| format!("Closes {}", s.election.zone().local(t).short())),
                _ => None,
            },
            eligible: s.eligible,
            voted: s.voted_as_of_last_seal,
            seals: s.seals,
        })
        .collect();
    render(
        StatusCode::OK,
        "staff_dashboard",
        &Page {
            page_title: "Election console".into(),
            election_title: None,
            body: Dashboard {
                can_create: user.role.runs_elections(),
                nav: Nav::of(&user),
                elections,
            },
        },
    )
}
