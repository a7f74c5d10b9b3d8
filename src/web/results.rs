//! The results page: per contest the votes (weighted), blank and invalid
//! ballots, the winners, the rule and whether it was met, ties and how lots
//! settled them, and for counted methods the round-by-round transcript.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use teller_audit::count::Weight;
use teller_audit::definition::{Definition, WRITE_IN_PREFIX};
use teller_audit::tally::{ContestResult, Outcome, Tally};

use super::error::PageError;
use super::pages::{render, Page};
use super::AppState;
use crate::ops::status::status;
use crate::ops::OpError;
use crate::store::{corrupt, StoreError};

/// `part / whole` as a percentage with one decimal, by integer arithmetic.
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "—".into();
    }
    let tenths = (u128::from(part) * 1000 + u128::from(whole) / 2) / u128::from(whole);
    format!("{}.{}%", tenths / 10, tenths % 10)
}

fn share(part: Weight, whole: Weight) -> String {
    percent(part.micros(), whole.micros())
}

#[derive(Serialize)]
struct Row {
    name: String,
    votes: String,
    share: String,
    outcome: String,
    won: bool,
}

#[derive(Serialize)]
struct TranscriptRow {
    name: String,
    cells: Vec<String>,
    fate: String,
}

#[derive(Serialize)]
struct TranscriptView {
    rule: String,
    parameters: Vec<String>,
    columns: Vec<String>,
    rows: Vec<TranscriptRow>,
    exhausted: Vec<String>,
    events: Vec<String>,
}

/// One contest's result as the results page and the tellers' report show it.
#[derive(Serialize)]
pub struct ContestResultView {
    id: String,
    title: String,
    /// The method in words (the tellers' report names it).
    method: Option<String>,
    seats: u32,
    summary: String,
    option_heading: String,
    votes_heading: String,
    rows: Vec<Row>,
    figures: Vec<String>,
    ties: Vec<String>,
    transcript: Option<TranscriptView>,
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

/// The parts of a `teller_audit::count` transcript the page shows.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Transcript {
    rule: String,
    candidates: Vec<String>,
    total: String,
    quota: Option<String>,
    parameters: Vec<Parameter>,
    rounds: Vec<Round>,
    elected: Vec<usize>,
    ranking: Option<Vec<usize>>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Parameter {
    name: String,
    value: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Round {
    number: usize,
    action: serde_json::Value,
    tally: Vec<String>,
    status: Vec<String>,
    exhausted: String,
    elected: Vec<Decision>,
    excluded: Vec<Decision>,
    ties: Vec<Tie>,
    notes: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Decision {
    candidate: usize,
    reason: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Tie {
    purpose: String,
    tied: Vec<usize>,
    chosen: Option<usize>,
    rule: serde_json::Value,
}

/// Member-facing text in the page's language (`crate::i18n::t`; named so
/// that a transcript's `t` does not hide it).
fn tr(key: &str, args: &[(&str, crate::i18n::Arg)]) -> String {
    crate::i18n::t(key, args)
}

fn words(kebab: &str) -> String {
    kebab.replace('-', " ")
}

fn transcript_view(t: &Transcript) -> TranscriptView {
    let name = |i: usize| t.candidates.get(i).cloned().unwrap_or_else(|| format!("candidate {i}"));
    let mut events = Vec::new();
    for r in &t.rounds {
        let mut parts = Vec::new();
        let kind = r.action.get("kind").and_then(|k| k.as_str()).unwrap_or("");
        let who = r
            .action
            .get("candidate")
            .and_then(|c| c.as_u64())
            .map(|c| name(c as usize));
        parts.push(match (kind, who) {
            ("", _) => String::new(),
            (k, Some(w)) => format!("{} of {w}", words(k)),
            (k, None) => words(k),
        });
        for d in &r.elected {
            parts.push(format!("{} elected ({})", name(d.candidate), words(&d.reason)));
        }
        for d in &r.excluded {
            parts.push(format!("{} excluded ({})", name(d.candidate), words(&d.reason)));
        }
        for tie in &r.ties {
            let by = tie.rule.get("by").and_then(|b| b.as_str()).unwrap_or("the rule");
            parts.push(format!(
                "tie for {} between {} settled by {}{}",
                words(&tie.purpose),
                tie.tied.iter().map(|&c| name(c)).collect::<Vec<_>>().join(", "),
                words(by),
                tie.chosen.map(|c| format!(": {}", name(c))).unwrap_or_default()
            ));
        }
        parts.extend(r.notes.iter().cloned());
        let text: Vec<String> = parts.into_iter().filter(|p| !p.is_empty()).collect();
        if !text.is_empty() {
            events.push(tr(
                "result-round-event",
                &[("n", (r.number + 1).into()), ("events", text.join("; ").into())],
            ));
        }
    }
    let rows = t
        .candidates
        .iter()
        .enumerate()
        .map(|(i, n)| TranscriptRow {
            name: n.clone(),
            cells: t
                .rounds
                .iter()
                .map(|r| r.tally.get(i).cloned().unwrap_or_default())
                .collect(),
            fate: t
                .rounds
                .last()
                .and_then(|r| r.status.get(i).cloned())
                .map(|s| words(&s))
                .unwrap_or_default(),
        })
        .collect();
    let mut parameters: Vec<String> = t
        .parameters
        .iter()
        .map(|p| format!("{}: {}", p.name, p.value))
        .collect();
    parameters.push(tr("result-votes-counted", &[("n", t.total.to_string().into())]));
    if let Some(q) = &t.quota {
        parameters.push(tr("result-quota", &[("quota", q.to_string().into())]));
    }
    TranscriptView {
        rule: t.rule.clone(),
        parameters,
        columns: t
            .rounds
            .iter()
            .map(|r| tr("result-round", &[("n", (r.number + 1).into())]))
            .collect(),
        rows,
        exhausted: t.rounds.iter().map(|r| r.exhausted.clone()).collect(),
        events,
    }
}

/// The view of one contest's result.
pub fn contest_view(def: &Definition, r: &ContestResult) -> ContestResultView {
    let mut figures = vec![
        tr(
            "result-cast",
            &[("n", r.cast.into()), ("weight", r.cast_weight.to_string().into())],
        ),
        tr("result-blank", &[("n", r.blank.into())]),
        tr("result-invalid", &[("n", r.invalid.into())]),
    ];
    let contest = def.contest(&r.contest);
    let name = |id: &str| -> String {
        contest
            .and_then(|c| c.candidates.iter().find(|k| k.id == id).map(|k| k.name.clone()))
            .unwrap_or_else(|| id.trim_start_matches(WRITE_IN_PREFIX).to_string())
    };
    let mut view = ContestResultView {
        id: r.contest.clone(),
        title: r.title.clone(),
        method: None,
        seats: r.seats,
        summary: String::new(),
        option_heading: tr("result-candidate", &[]),
        votes_heading: tr("result-votes", &[]),
        rows: vec![],
        figures: vec![],
        ties: vec![],
        transcript: None,
    };
    match &r.outcome {
        Outcome::Plurality {
            candidates,
            write_ins,
            majority_over,
            elected,
            unfilled,
            ties,
        } => {
            let mut all: Vec<_> = candidates.iter().chain(write_ins.iter()).collect();
            all.sort_by_key(|o| std::cmp::Reverse(o.votes));
            view.rows = all
                .iter()
                .map(|o| {
                    let won = elected.contains(&o.id);
                    let written = o.id.starts_with(WRITE_IN_PREFIX);
                    Row {
                        name: if written {
                            tr("summary-written-in", &[("name", o.name.as_str().into())])
                        } else {
                            o.name.clone()
                        },
                        votes: o.votes.to_string(),
                        share: share(o.votes, r.cast_weight),
                        outcome: if won { tr("result-elected", &[]) } else { String::new() },
                        won,
                    }
                })
                .collect();
            if let Some(over) = majority_over {
                figures.push(tr("result-majority", &[("over", over.to_string().into())]));
            }
            let winners: Vec<String> = elected.iter().map(|id| name(id)).collect();
            view.summary = if winners.is_empty() {
                tr("result-nobody", &[])
            } else {
                tr("result-elected-list", &[("names", winners.join(", ").into())])
            };
            if *unfilled > 0 {
                let key = if majority_over.is_some() {
                    "result-unfilled-majority"
                } else {
                    "result-unfilled-votes"
                };
                view.summary.push(' ');
                view.summary.push_str(&tr(key, &[("n", (*unfilled).into())]));
            }
            view.ties = ties
                .iter()
                .map(|t| {
                    let then = format!(", {} ", tr("result-then", &[]));
                    tr(
                        "result-tie",
                        &[
                            (
                                "names",
                                t.between
                                    .iter()
                                    .map(|id| name(id))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                                    .into(),
                            ),
                            ("votes", t.votes.to_string().into()),
                            ("seats", t.seats_left.into()),
                            (
                                "order",
                                t.order.iter().map(|id| name(id)).collect::<Vec<_>>().join(&then).into(),
                            ),
                        ],
                    )
                })
                .collect();
        }
        Outcome::Referendum {
            yes,
            no,
            abstain,
            votes_cast,
            threshold,
            yes_needed: _,
            passed,
        } => {
            figures.push(tr("result-votes-cast", &[("n", votes_cast.to_string().into())]));
            let needed = crate::web::voting::form::threshold_text(threshold);
            figures.push(tr("result-needed", &[("threshold", needed.as_str().into())]));
            let row = |name: &str, votes: Weight, share: String| Row {
                name: name.into(),
                votes: votes.to_string(),
                share,
                outcome: String::new(),
                won: false,
            };
            view.option_heading = tr("result-answer", &[]);
            view.summary = tr(
                if *passed { "result-passed" } else { "result-not-passed" },
                &[("share", share(*yes, *votes_cast).into()), ("threshold", needed.into())],
            );
            view.rows = vec![
                row(&tr("answer-yes", &[]), *yes, share(*yes, *votes_cast)),
                row(&tr("answer-no", &[]), *no, share(*no, *votes_cast)),
                row(&tr("answer-abstain", &[]), *abstain, tr("result-not-a-vote", &[])),
            ];
        }
        Outcome::Counted {
            counted_by,
            elected,
            transcript,
        } => {
            let t: Transcript = serde_json::from_value(transcript.clone()).unwrap_or_default();
            let winners: Vec<String> = elected.iter().map(|id| name(id)).collect();
            view.summary = match &t.error {
                Some(e) => tr("result-count-failed", &[("error", e.as_str().into())]),
                None if winners.is_empty() => tr("result-nobody", &[]),
                None => tr("result-elected-in-order", &[("names", winners.join(", ").into())]),
            };
            let last = t.rounds.last();
            let single_round = t.rounds.len() <= 1;
            if counted_by == "cumulative" {
                view.votes_heading = tr("result-points", &[]);
            }
            // Final figures, winners first in order of election.
            let mut order: Vec<usize> = t.elected.clone();
            if let Some(ranking) = &t.ranking {
                order.extend(ranking.iter().filter(|c| !t.elected.contains(c)));
            }
            let rest: Vec<usize> = (0..t.candidates.len()).filter(|c| !order.contains(c)).collect();
            order.extend(rest);
            view.rows = order
                .iter()
                .map(|&i| {
                    let won = t.elected.contains(&i);
                    let votes = last.and_then(|r| r.tally.get(i).cloned()).unwrap_or_default();
                    Row {
                        name: t.candidates.get(i).cloned().unwrap_or_default(),
                        share: if single_round {
                            votes
                                .parse::<Weight>()
                                .ok()
                                .map(|v| share(v, r.cast_weight))
                                .unwrap_or_default()
                        } else {
                            String::new()
                        },
                        votes: if t.ranking.is_some() { String::new() } else { votes },
                        outcome: if won { tr("result-elected", &[]) } else { String::new() },
                        won,
                    }
                })
                .collect();
            if t.ranking.is_some() {
                view.votes_heading = String::new();
                figures.push(tr("result-schulze-order", &[]));
            }
            if !single_round {
                view.votes_heading = tr("result-final-round", &[]);
                view.transcript = Some(transcript_view(&t));
            } else {
                view.ties = transcript_view(&t).events;
            }
        }
    }
    view.figures = figures;
    view
}

impl ContestResultView {
    /// Name the method too, as the tellers' report does.
    pub fn with_method(mut self, def: &Definition) -> Self {
        self.method = def.contest(&self.id).map(|c| c.method.describe().to_string());
        self
    }
}

/// `GET /e/{id}/results`: only once tallied.
pub async fn results(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, PageError> {
    let s = state
        .run(move |conn, _| {
            let id = crate::ops::resolve_public_election(conn, &id)?.id;
            status(conn, &id)
        })
        .await?;
    if !s.state.results_public() {
        return Ok(render(
            StatusCode::CONFLICT,
            "error",
            &Page {
                page_title: tr("result-none-yet", &[]),
                election_title: Some(s.election.title.clone()),
                body: serde_json::json!({
                    "heading": tr("result-none-yet", &[]),
                    "message": tr("result-none-yet-text", &[]),
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
            page_title: tr("result-title", &[("title", def.title.as_str().into())]),
            election_title: None,
            body: page,
        },
    ))
}
