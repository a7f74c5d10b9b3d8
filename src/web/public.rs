//! Public pages: the list of elections, an election's page, its results, and
//! the tracker check.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use teller_audit::definition::Definition;

use super::candidates::Audience;
use super::error::PageError;
use super::pages::{render, Page};
use super::voting::form::instructions;
use super::AppState;
use crate::domain::lifecycle::State as Lifecycle;
use crate::ops::status::{status, Status};
use crate::ops::{resolve_public_election, OpError};
use crate::store::{ballots, elections};
use crate::time::format as when;

/// A state in words.
pub fn state_label(s: Lifecycle) -> &'static str {
    match s {
        Lifecycle::Draft => "Not yet open",
        Lifecycle::Open => "Voting open",
        Lifecycle::Closed => "Closed, awaiting the count",
        Lifecycle::Tallied => "Results published",
        Lifecycle::Certified => "Results certified",
    }
}

#[derive(Serialize)]
struct ListItem {
    id: String,
    title: String,
    state: String,
    state_label: &'static str,
}

#[derive(Serialize)]
struct Home {
    elections: Vec<ListItem>,
}

/// `GET /`.
pub async fn home(State(state): State<AppState>) -> Result<Response, PageError> {
    let rows = state.run(|conn, _| Ok(elections::list(conn)?)).await?;
    // Drafts are the staff's alone.
    let elections = rows
        .into_iter()
        .filter_map(|r| {
            let s = r.state().ok().filter(|s| *s != Lifecycle::Draft)?;
            Some(ListItem {
                state_label: state_label(s),
                state: s.as_str().into(),
                id: r.id,
                title: r.title,
            })
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        "home",
        &Page {
            page_title: "Elections".into(),
            election_title: None,
            body: Home { elections },
        },
    ))
}

#[derive(Serialize)]
struct CandidateView {
    name: String,
    statement: String,
    photo: Option<String>,
    profile: Option<String>,
}

#[derive(Serialize)]
struct ContestView {
    id: String,
    title: String,
    description: String,
    instructions: String,
    candidates: Vec<CandidateView>,
}

#[derive(Serialize)]
struct ElectionPage {
    id: String,
    title: String,
    description: String,
    state: String,
    state_label: &'static str,
    schedule: String,
    voting_open: bool,
    results_available: bool,
    turnout_text: String,
    contests: Vec<ContestView>,
    key_fingerprint: String,
    log_size: u64,
    log_head: String,
}

fn schedule_text(s: &Status) -> String {
    let e = &s.election;
    match (s.state, e.opens_at, e.closes_at) {
        (Lifecycle::Draft, Some(o), Some(c)) => format!("Voting opens {} and closes {}.", when(o), when(c)),
        (Lifecycle::Draft, Some(o), None) => format!("Voting opens {}.", when(o)),
        (Lifecycle::Draft, None, _) => "The opening time will be announced.".into(),
        (Lifecycle::Open, _, Some(c)) => format!("Voting closes {}.", when(c)),
        (Lifecycle::Open, _, None) => "The election office will announce the close.".into(),
        _ => String::new(),
    }
}

fn turnout_text(s: &Status) -> String {
    match s.state {
        Lifecycle::Draft => format!("{} members are eligible to vote. Voting has not started.", s.eligible),
        Lifecycle::Open if s.seals == 0 => format!(
            "{} members are eligible. Turnout is published each time ballots are sealed into the log; the first seal has not happened yet.",
            s.eligible
        ),
        Lifecycle::Open => format!(
            "As of the last seal ({}), {} of {} eligible members had voted.",
            when(s.last_seal_at),
            s.voted_as_of_last_seal,
            s.eligible
        ),
        _ => format!("{} of {} eligible members voted.", s.voted_as_of_last_seal, s.eligible),
    }
}

/// `GET /e/{id}`.
pub async fn election(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, PageError> {
    let s = state
        .run(move |conn, _| {
            let id = resolve_public_election(conn, &id)?.id;
            status(conn, &id)
        })
        .await?;
    let def: Definition = s.election.definition().map_err(OpError::from)?;
    let key = s.election.public_key().map_err(OpError::from)?;
    let media = state.candidate_media(&s.election.id).await?;
    let contests = def
        .contests
        .iter()
        .map(|c| ContestView {
            id: c.id.clone(),
            title: c.title.clone(),
            description: c.description.clone(),
            instructions: instructions(c),
            candidates: c
                .candidates
                .iter()
                .map(|k| {
                    let links = media.links(&s.election.id, &c.id, &k.id, Audience::Public);
                    CandidateView {
                        name: k.name.clone(),
                        statement: k.statement.clone(),
                        photo: links.photo,
                        profile: links.profile,
                    }
                })
                .collect(),
        })
        .collect();
    let now = crate::time::now();
    let page = ElectionPage {
        id: s.election.id.clone(),
        title: def.title.clone(),
        description: def.description.clone(),
        state: s.state.as_str().into(),
        state_label: state_label(s.state),
        schedule: schedule_text(&s),
        voting_open: crate::domain::lifecycle::voting_window(s.state, s.election.opens_at, s.election.closes_at, now)
            .is_ok(),
        results_available: s.state.results_public(),
        turnout_text: turnout_text(&s),
        contests,
        key_fingerprint: key.fingerprint(),
        log_size: s.log_size,
        log_head: s.log_head.clone(),
    };
    Ok(render(
        StatusCode::OK,
        "election",
        &Page {
            page_title: def.title.clone(),
            election_title: None,
            body: page,
        },
    ))
}

/// The tracker typed on the check page.
#[derive(Deserialize)]
pub struct TrackQuery {
    tracker: Option<String>,
}

#[derive(Serialize)]
struct TrackPage {
    id: String,
    title: String,
    tracker: String,
    answered: bool,
    /// The tracker typed is not a tracker (the field is marked invalid).
    invalid: bool,
    answer_heading: String,
    answer: String,
    /// The tracker found, in groups of four (so it wraps between groups).
    found_tracker: Option<String>,
    /// What checking an uploaded receipt found, one plain sentence each.
    checks: Vec<Check>,
    /// The uploaded file could not be read as a receipt of this election.
    receipt_error: Option<String>,
}

/// One finding about an uploaded receipt.
#[derive(Serialize)]
struct Check {
    ok: bool,
    text: String,
}

/// `GET /e/{id}/track`: is a ballot with this tracker sealed into the log?
pub async fn track(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<TrackQuery>,
) -> Result<Response, PageError> {
    let typed = q.tracker.unwrap_or_default();
    let prefix: String = typed
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    let lookup = if typed.trim().is_empty() {
        None
    } else if prefix.len() < 16 || prefix.len() > 64 || !prefix.chars().all(|c| c.is_ascii_hexdigit()) {
        Some(Err(()))
    } else {
        Some(Ok(prefix))
    };
    let wanted = lookup.clone().and_then(Result::ok);
    let (row, found) = state
        .run(move |conn, _| {
            let row = resolve_public_election(conn, &id)?;
            let found = match wanted {
                Some(p) => Some(ballots::sealed_by_prefix(conn, &row.id, &p)?),
                None => None,
            };
            Ok((row, found))
        })
        .await?;
    let invalid = matches!(lookup, Some(Err(())));
    let mut found_tracker = None;
    let (answered, answer_heading, answer) = match (lookup, found) {
        (None, _) => (false, String::new(), String::new()),
        (Some(Err(())), _) => (
            true,
            "That is not a tracker code".to_string(),
            "A tracker code is 64 letters a–f and digits; enter at least the first 16.".to_string(),
        ),
        (Some(Ok(_)), Some(matches)) => match matches.as_slice() {
            [(tracker, seal)] => {
                found_tracker = Some(super::voting::cast::grouped_tracker(tracker));
                (
                    true,
                    "Your ballot is in the public log".to_string(),
                    format!("The ballot with this tracker was sealed into the log in seal {seal}:"),
                )
            }
            [] => (
                true,
                "Not in the log yet".to_string(),
                "No sealed ballot has this tracker. If you voted recently, your ballot is waiting for the next seal: the number on your receipt says which seal will include it at the latest. Check again later; if that seal has passed and your ballot is missing, keep your receipt and tell the election office or an auditor.".to_string(),
            ),
            _ => (
                true,
                "More than one ballot matches".to_string(),
                "Enter more of your tracker code.".to_string(),
            ),
        },
        (Some(Ok(_)), None) => (false, String::new(), String::new()),
    };
    Ok(render(
        if invalid {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        "track",
        &Page {
            page_title: if invalid {
                "Error: check the public log".into()
            } else {
                "Check the public log".into()
            },
            election_title: Some(row.title.clone()),
            body: TrackPage {
                id: row.id.clone(),
                title: row.title.clone(),
                tracker: typed.chars().take(80).collect(),
                answered,
                invalid,
                answer_heading,
                answer,
                found_tracker,
                checks: vec![],
                receipt_error: None,
            },
        },
    ))
}

/// Any other address.
pub async fn not_found() -> Response {
    PageError::not_found().into_response()
}

/// The most a receipt file may be.
const MAX_RECEIPT_BYTES: usize = 32 * 1024;

/// `POST /e/{id}/track`: check an uploaded receipt file — signed by this
/// election's key, its ballot in the public log (by the batch it promised),
/// and, once the ballots are published, counted exactly as on the receipt.
pub async fn check_receipt(
    State(state): State<AppState>,
    Path(id): Path<String>,
    mut upload: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let mut bytes = Vec::new();
    let mut too_big = false;
    while let Ok(Some(mut field)) = upload.next_field().await {
        if field.name() != Some("receipt") {
            continue;
        }
        while let Ok(Some(chunk)) = field.chunk().await {
            if bytes.len() + chunk.len() > MAX_RECEIPT_BYTES {
                too_big = true;
                break;
            }
            bytes.extend_from_slice(&chunk);
        }
    }
    let parsed: Result<teller_audit::receipt::Receipt, String> = if too_big {
        Err("That file is too large to be a receipt.".into())
    } else if bytes.is_empty() {
        Err("Choose your receipt file (teller-receipt-….json) to check it.".into())
    } else {
        serde_json::from_slice(&bytes).map_err(|_| "That file is not a Teller receipt.".to_string())
    };
    let (row, outcome) = state
        .run(move |conn, _| {
            let row = resolve_public_election(conn, &id)?;
            let outcome = match parsed {
                Err(e) => Err(e),
                Ok(r) if r.body.election != row.id => {
                    Err("That receipt is for another election; open that election's page to check it.".to_string())
                }
                Ok(r) => Ok(receipt_checks(conn, &row, &r)?),
            };
            Ok((row, outcome))
        })
        .await?;
    let (checks, receipt_error) = match outcome {
        Ok(checks) => (checks, None),
        Err(e) => (vec![], Some(e)),
    };
    let failed = receipt_error.is_some();
    Ok(render(
        if failed {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        "track",
        &Page {
            page_title: if failed {
                "Error: check my ballot".into()
            } else {
                "Check my ballot".into()
            },
            election_title: Some(row.title.clone()),
            body: TrackPage {
                id: row.id.clone(),
                title: row.title.clone(),
                tracker: String::new(),
                answered: false,
                invalid: false,
                answer_heading: String::new(),
                answer: String::new(),
                found_tracker: None,
                checks,
                receipt_error,
            },
        },
    ))
}

/// What a receipt says checked against this election, in plain sentences.
fn receipt_checks(
    conn: &mut crate::db::AnyConnection,
    row: &crate::store::elections::ElectionRow,
    receipt: &teller_audit::receipt::Receipt,
) -> Result<Vec<Check>, OpError> {
    let mut out = Vec::new();
    let signed = receipt.problems().is_empty() && receipt.body.public_key.to_hex() == row.public_key;
    out.push(Check {
        ok: signed,
        text: if signed {
            "The receipt is genuine: it was signed with this election's key, and nothing in it has been changed.".into()
        } else {
            "The receipt is not genuine: its signature does not match this election's key, or it has been changed."
                .into()
        },
    });
    if !signed {
        return Ok(out);
    }
    let state = row.state()?;
    let promised = receipt.body.seal as i64;
    let head = crate::store::log::head(conn, &row.id)?;
    let sealed_up_to = head.map(|h| h.next_seal - 1).unwrap_or(0);
    let stored = ballots::body_and_seal(conn, &row.id, &receipt.body.tracker)?;
    let in_log = match &stored {
        Some((_, Some(seal))) => Check {
            ok: *seal <= promised,
            text: if *seal <= promised {
                "Your ballot is in the public log, under the tracker code on your receipt.".into()
            } else {
                "Your ballot is in the public log, but later than the receipt promised. Keep your receipt and tell the election office or an auditor.".into()
            },
        },
        _ if sealed_up_to >= promised || state >= Lifecycle::Closed => Check {
            ok: false,
            text: "Your ballot is NOT in the public log, though it should be by now. Keep your receipt: it is your proof. Tell the election office or an auditor.".into(),
        },
        _ => Check {
            ok: true,
            text: "Your ballot is stored and waiting to be added to the public log, which happens in batches through the day and for all ballots when voting closes. Check again later.".into(),
        },
    };
    out.push(in_log);
    if state.results_public() {
        let counted = match &stored {
            Some((body, Some(_))) => serde_json::from_str::<serde_json::Value>(body)
                .ok()
                .and_then(|v| v.get("choices").cloned())
                .is_some_and(|c| serde_json::to_value(&receipt.body.ballot.choices).is_ok_and(|r| r == c)),
            _ => false,
        };
        out.push(Check {
            ok: counted,
            text: if counted {
                "The results are published, and the ballot counted under your tracker says exactly what your receipt says.".into()
            } else {
                "The results are published, but no counted ballot matches your receipt. Keep your receipt: it is your proof. Tell the election office or an auditor.".into()
            },
        });
    } else {
        out.push(Check {
            ok: true,
            text: "When the results are published, check again: this page will then say whether your ballot was counted exactly as on your receipt.".into(),
        });
    }
    Ok(out)
}
