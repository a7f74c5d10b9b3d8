//! The tellers' report: a printable certificate of the result, in the form
//! boards expect.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use teller_audit::log::Event;
use teller_audit::tally::Tally;

use super::signed_in;
use crate::ops::status::status;
use crate::ops::OpError;
use crate::store::log::entries;
use crate::store::{corrupt, StoreError};
use crate::time::format as when;
use crate::web::error::PageError;
use crate::web::pages::{render, Page};
use crate::web::results::{contest_view, ContestResultView};
use crate::web::AppState;

#[derive(Serialize)]
struct Signer {
    name: String,
    key: String,
    signature: String,
}

#[derive(Serialize)]
struct Report {
    title: String,
    id: String,
    state: String,
    opened: String,
    closed: String,
    counted: String,
    eligible: u64,
    ballots: u64,
    turnout: String,
    /// Codes replaced one by one (`token_reissued`): a lost code, or an
    /// officer's attempt to vote in a member's name.
    replaced: u64,
    /// Codes that went out on paper (staff saw them).
    letters: u64,
    contests: Vec<ContestResultView>,
    tally_digest: String,
    record_head: String,
    record_size: u64,
    certified: bool,
    quorum: u32,
    signers: Vec<Signer>,
}

/// `GET /staff/elections/{id}/report`: after the count. Reads the status,
/// the tally and the log; never the ballots, so it is quick at any size.
pub async fn show(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(r) = signed_in(&state, &headers).await {
        return r;
    }
    let loaded = state
        .run(move |conn, _| {
            let s = status(conn, &id)?;
            let log = entries(conn, &id).map_err(OpError::from)?;
            Ok::<_, OpError>((s, log))
        })
        .await;
    let (s, log) = match loaded {
        Ok(x) => x,
        Err(e) => return PageError::from(e).into_response(),
    };
    let Some(tally_json) = s.election.tally.as_deref() else {
        return PageError::from(OpError::WrongState {
            action: "the tellers' report, made after the count,",
            needed: "tallied",
            actual: s.state,
        })
        .into_response();
    };
    let parsed = serde_json::from_str::<Tally>(tally_json)
        .map_err(|e| StoreError::from(corrupt(e)))
        .and_then(|t| Ok((t, s.election.definition()?)));
    let (tally, def) = match parsed {
        Ok(x) => x,
        Err(e) => return PageError::from(OpError::from(e)).into_response(),
    };
    let time_of = |kind: &str| {
        log.iter()
            .find(|e| e.entry.event.kind() == kind)
            .map(|e| when(e.entry.time))
            .unwrap_or_else(|| "—".into())
    };
    let replaced = log
        .iter()
        .filter(|e| matches!(e.entry.event, Event::TokenReissued { .. }))
        .count() as u64;
    let letters = log
        .iter()
        .map(|e| match &e.entry.event {
            Event::TokensSent { kind, count, .. } if kind == "letter" => *count,
            _ => 0,
        })
        .sum();
    let mut signers = Vec::new();
    let mut quorum = 0;
    let mut certified = false;
    for e in &log {
        match &e.entry.event {
            Event::Certification {
                certifier,
                public_key,
                signature,
            } => signers.push(Signer {
                name: certifier.clone(),
                key: public_key.fingerprint(),
                signature: teller_audit::crypto::Digest::of(&signature.0).to_hex()[..16].to_string(),
            }),
            Event::Certified { quorum: q, .. } => {
                certified = true;
                quorum = *q;
            }
            Event::PollsOpened {
                certification_quorum, ..
            } => quorum = *certification_quorum,
            _ => {}
        }
    }
    let report = Report {
        title: def.title.clone(),
        id: s.election.id.clone(),
        state: s.state.to_string(),
        opened: time_of("polls_opened"),
        closed: time_of("polls_closed"),
        counted: time_of("tallied"),
        eligible: s.eligible,
        ballots: tally.ballots,
        turnout: crate::web::results::percent(tally.ballots, s.eligible),
        replaced,
        letters,
        contests: tally
            .contests
            .iter()
            .map(|r| contest_view(&def, r).with_method(&def))
            .collect(),
        tally_digest: tally.digest().to_hex(),
        record_head: s.log_head.clone(),
        record_size: s.log_size,
        certified,
        quorum,
        signers,
    };
    render(
        StatusCode::OK,
        "staff_report",
        &Page {
            page_title: format!("Tellers' report: {}", def.title),
            election_title: None,
            body: report,
        },
    )
}
