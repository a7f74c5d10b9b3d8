//! Public pages: the list of elections, an election's page, its results, and
//! the tracker check.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use teller_audit::definition::Definition;
use teller_audit::tally::{Outcome, Tally};

use super::error::PageError;
use super::pages::{render, Page};
use super::voting::form::instructions;
use super::AppState;
use crate::domain::lifecycle::State as Lifecycle;
use crate::ops::status::{status, Status};
use crate::ops::{resolve_election, OpError};
use crate::store::{ballots, corrupt, elections, StoreError};
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
    let elections = rows
        .into_iter()
        .filter_map(|r| {
            let s = r.state().ok()?;
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
    let s = state.run(move |conn, _| status(conn, &id)).await?;
    let def: Definition = s.election.definition().map_err(OpError::from)?;
    let key = s.election.public_key().map_err(OpError::from)?;
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
                .map(|k| CandidateView {
                    name: k.name.clone(),
                    statement: k.statement.clone(),
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

#[derive(Serialize)]
struct Row {
    name: String,
    votes: u64,
    share: String,
    outcome: String,
    won: bool,
}

#[derive(Serialize)]
struct ContestResultView {
    id: String,
    title: String,
    summary: String,
    option_heading: &'static str,
    rows: Vec<Row>,
    figures: Vec<String>,
    ties: Vec<String>,
}

#[derive(Serialize)]
struct ResultsPage {
    id: String,
    title: String,
    ballots: u64,
    tokens_used: u64,
    eligible: u64,
    turnout_percent: String,
    contests: Vec<ContestResultView>,
    digest: String,
}

/// `part / whole` as a percentage with one decimal, by integer arithmetic.
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "—".into();
    }
    let tenths = (u128::from(part) * 1000 + u128::from(whole) / 2) / u128::from(whole);
    format!("{}.{}%", tenths / 10, tenths % 10)
}

fn contest_view(def: &Definition, r: &teller_audit::tally::ContestResult) -> ContestResultView {
    let mut figures = vec![
        format!("Ballots with a vote in this contest: {}", r.cast),
        format!("Blank in this contest: {}", r.blank),
        format!("Invalid: {}", r.invalid),
    ];
    let names = |id: &str| -> String {
        def.contest(&r.contest)
            .and_then(|c| c.candidates.iter().find(|k| k.id == id).map(|k| k.name.clone()))
            .unwrap_or_else(|| {
                id.trim_start_matches(teller_audit::definition::WRITE_IN_PREFIX)
                    .to_string()
            })
    };
    match &r.outcome {
        Outcome::Plurality {
            candidates,
            write_ins,
            majority_needed,
            elected,
            unfilled,
            ties,
        } => {
            let mut all: Vec<_> = candidates.iter().chain(write_ins.iter()).collect();
            all.sort_by_key(|o| std::cmp::Reverse(o.votes));
            let rows = all
                .iter()
                .map(|o| {
                    let won = elected.contains(&o.id);
                    let written = o.id.starts_with(teller_audit::definition::WRITE_IN_PREFIX);
                    Row {
                        name: if written {
                            format!("{} (written in)", o.name)
                        } else {
                            o.name.clone()
                        },
                        votes: o.votes,
                        share: percent(o.votes, r.cast),
                        outcome: if won { "Elected".into() } else { String::new() },
                        won,
                    }
                })
                .collect();
            if let Some(n) = majority_needed {
                figures.push(format!(
                    "Votes needed to win (more than half of the ballots cast in this contest): {n}"
                ));
            }
            let winners: Vec<String> = elected.iter().map(|id| names(id)).collect();
            let mut summary = if winners.is_empty() {
                "Nobody was elected.".to_string()
            } else {
                format!("Elected: {}.", winners.join(", "))
            };
            if *unfilled > 0 {
                summary.push_str(&format!(
                    " {unfilled} seat(s) left unfilled: no other candidate {}.",
                    if majority_needed.is_some() {
                        "reached the majority needed"
                    } else {
                        "received votes"
                    }
                ));
            }
            let ties = ties
                .iter()
                .map(|t| {
                    format!(
                        "{} tied with {} votes for {} remaining seat(s). As the rules require, lots drawn from the seed committed before the polls opened decided the order: {}.",
                        t.between.iter().map(|id| names(id)).collect::<Vec<_>>().join(", "),
                        t.votes,
                        t.seats_left,
                        t.order.iter().map(|id| names(id)).collect::<Vec<_>>().join(", then ")
                    )
                })
                .collect();
            ContestResultView {
                id: r.contest.clone(),
                title: r.title.clone(),
                summary,
                option_heading: "Candidate",
                rows,
                figures,
                ties,
            }
        }
        Outcome::Referendum {
            yes,
            no,
            abstain,
            votes_cast,
            threshold,
            yes_needed,
            passed,
        } => {
            figures.push(format!(
                "Votes cast (yes + no): {votes_cast}; abstentions are not votes cast"
            ));
            figures.push(format!("Yes votes needed ({}): {yes_needed}", threshold.describe()));
            let row = |name: &str, votes: u64, share: String| Row {
                name: name.into(),
                votes,
                share,
                outcome: String::new(),
                won: false,
            };
            ContestResultView {
                id: r.contest.clone(),
                title: r.title.clone(),
                summary: format!(
                    "{}: {} of the votes cast were yes; it needed {}.",
                    if *passed { "Passed" } else { "Not passed" },
                    percent(*yes, *votes_cast),
                    threshold.describe()
                ),
                option_heading: "Answer",
                rows: vec![
                    row("Yes", *yes, percent(*yes, *votes_cast)),
                    row("No", *no, percent(*no, *votes_cast)),
                    row("Abstain", *abstain, "not a vote cast".into()),
                ],
                figures,
                ties: vec![],
            }
        }
    }
}

/// `GET /e/{id}/results`: only once tallied.
pub async fn results(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, PageError> {
    let s = state.run(move |conn, _| status(conn, &id)).await?;
    if !s.state.results_public() {
        return Ok(render(
            StatusCode::CONFLICT,
            "error",
            &Page {
                page_title: "No results yet".into(),
                election_title: Some(s.election.title.clone()),
                body: serde_json::json!({
                    "heading": "No results yet",
                    "message": "Results are published when the polls have closed and the ballots have been counted. Until then nobody, the election office included, can see any part of the result here."
                }),
            },
        ));
    }
    let def = s.election.definition().map_err(OpError::from)?;
    let tally: Tally = s
        .election
        .tally
        .as_deref()
        .ok_or_else(|| OpError::from(StoreError::from(corrupt("tallied election without a tally"))))
        .and_then(|t| serde_json::from_str(t).map_err(|e| OpError::from(StoreError::from(corrupt(e)))))?;
    let page = ResultsPage {
        id: s.election.id.clone(),
        title: def.title.clone(),
        ballots: tally.ballots,
        tokens_used: s.voted_as_of_last_seal,
        eligible: s.eligible,
        turnout_percent: percent(tally.ballots, s.eligible),
        contests: tally.contests.iter().map(|r| contest_view(&def, r)).collect(),
        digest: tally.digest().to_hex(),
    };
    Ok(render(
        StatusCode::OK,
        "results",
        &Page {
            page_title: format!("Results: {}", def.title),
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
    answer_heading: String,
    answer: String,
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
            let row = resolve_election(conn, &id)?;
            let found = match wanted {
                Some(p) => Some(ballots::sealed_by_prefix(conn, &row.id, &p)?),
                None => None,
            };
            Ok((row, found))
        })
        .await?;
    let (answered, answer_heading, answer) = match (lookup, found) {
        (None, _) => (false, String::new(), String::new()),
        (Some(Err(())), _) => (
            true,
            "That is not a tracker code".to_string(),
            "A tracker code is 64 letters a–f and digits; enter at least the first 16.".to_string(),
        ),
        (Some(Ok(_)), Some(matches)) => match matches.as_slice() {
            [(tracker, seal)] => (
                true,
                "Your ballot is in the public log".to_string(),
                format!("The ballot with tracker {tracker} was sealed into the log in seal {seal}."),
            ),
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
        StatusCode::OK,
        "track",
        &Page {
            page_title: "Check the public log".into(),
            election_title: Some(row.title.clone()),
            body: TrackPage {
                id: row.id.clone(),
                title: row.title.clone(),
                tracker: typed.chars().take(80).collect(),
                answered,
                answer_heading,
                answer,
            },
        },
    ))
}

/// Any other address.
pub async fn not_found() -> Response {
    PageError::not_found().into_response()
}
