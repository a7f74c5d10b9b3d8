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

/// Render the voter's ballot with `marks` marked and `problems` shown, with
/// the candidates' photos and profile links, and `notice` (why a cast was
/// refused) above it. In an encrypted election the page carries the booth
/// (`encrypted::booth`) and its script, and says so in its CSP.
pub async fn render_ballot(
    state: &AppState,
    voter: &super::Voter,
    definition: &teller_audit::definition::Definition,
    marks: &Marks,
    problems: Vec<BallotProblem>,
    notice: Option<String>,
) -> Response {
    let election = &voter.election;
    let media = match state.candidate_media(&election.id).await {
        Ok(m) => m,
        Err(e) => return PageError::from(e).into_response(),
    };
    let booth = match super::encrypted::booth(state, voter).await {
        Ok(b) => b,
        Err(OpError::TokenUsed) => return super::used_page(Some(election)),
        Err(e) => return PageError::from(e).into_response(),
    };
    let title = definition.title.as_str();
    let (status, page_title) = if problems.is_empty() && notice.is_none() {
        (StatusCode::OK, super::t("ballot-title"))
    } else {
        (StatusCode::UNPROCESSABLE_ENTITY, super::t("ballot-title-error"))
    };
    let runs_script = booth.is_some();
    let mut body = ballot_page(definition, marks, problems);
    body.closing = crate::time::closing(election.closes_at, &election.zone(), crate::time::now());
    body.present(&election.id, &media, crate::web::candidates::Audience::Public);
    body.booth = booth;
    body.notice = notice;
    let mut res = render(
        status,
        "ballot",
        &Page {
            page_title,
            election_title: Some(title.to_string()),
            body,
        },
    );
    if runs_script {
        res.extensions_mut().insert(crate::web::pages::RunsScript);
    }
    res
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
            .filter(|p| !unreadable.contains(&p.contest))
            .map(|p| in_members_words(definition, &choices, p)),
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

/// A problem the ballot's rules found, in the page's language where a
/// member can meet it by marking the form (too many choices, too many
/// points). Others (a forged form's unknown candidate, a write-in's
/// forbidden characters) keep the rules' own English words.
fn in_members_words(
    definition: &teller_audit::definition::Definition,
    choices: &Choices,
    problem: BallotProblem,
) -> BallotProblem {
    use teller_audit::definition::Method;
    let Some(contest) = definition.contest(&problem.contest) else {
        return problem;
    };
    let chosen = choices.get(&contest.id).map_or(0, Vec::len);
    let message = match contest.method {
        Method::Plurality { .. } if chosen > contest.seats as usize => crate::i18n::t(
            "problem-too-many",
            &[
                ("chosen", chosen.into()),
                ("seats", contest.seats.into()),
                ("remove", (chosen - contest.seats as usize).into()),
            ],
        ),
        Method::Cumulative { points } if chosen > points as usize => crate::i18n::t(
            "problem-too-many-points",
            &[
                ("given", chosen.into()),
                ("points", points.into()),
                ("remove", (chosen - points as usize).into()),
            ],
        ),
        _ => return problem,
    };
    BallotProblem {
        message: super::form::in_contest(&contest.title, message),
        contest: problem.contest,
    }
}

/// `GET /ballot`: a fresh ballot.
pub async fn show(State(state): State<AppState>, ClientAddr(ip): ClientAddr, headers: HeaderMap) -> Response {
    let voter = match current_voter(&state, &headers, ip).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    let mut voter = voter;
    let mut chosen = None;
    // A member who has not chosen a language yet gets the one the roll
    // gives them, and keeps it (they can switch on any page).
    if crate::web::cookie(&headers, crate::web::language::COOKIE).is_none() {
        let hash = state.secret().token_hash(voter.token.as_str());
        let election = voter.election.id.clone();
        let roll_lang = state
            .run(move |conn, _| {
                let lang = crate::store::members::language_of_token(conn, &hash)?;
                let texts = match lang {
                    Some(l) => crate::store::texts::load(conn, &election, l)?,
                    None => Default::default(),
                };
                Ok((lang, texts))
            })
            .await;
        if let Ok((Some(lang), texts)) = roll_lang {
            voter = super::Voter { texts, ..voter };
            chosen = Some(lang);
        }
    }
    let page = async {
        match voter.definition() {
            Ok(def) => render_ballot(&state, &voter, &def, &Marks::new(), vec![], None).await,
            Err(e) => PageError::from(e).into_response(),
        }
    };
    let Some(lang) = chosen else {
        return page.await;
    };
    let back = crate::i18n::back();
    let mut res = crate::i18n::scope(crate::i18n::RequestLang { lang, back }, page).await;
    if let Some(cookie) = crate::web::language::cookie_for(lang, state.https()) {
        res.headers_mut().append(axum::http::header::SET_COOKIE, cookie);
    }
    res
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
    match voter.definition() {
        Ok(def) => {
            let marks = marks_from_fields(&def, &fields);
            render_ballot(&state, &voter, &def, &marks, vec![], None).await
        }
        Err(e) => PageError::from(e).into_response(),
    }
}

#[derive(Serialize)]
struct Review {
    contests: Vec<ContestSummary>,
    hidden: Vec<Hidden>,
    closing: Option<crate::time::Closing>,
    /// Offer the box asking for a confirmation e-mail.
    offer_confirmation: bool,
    /// An encrypted election: on this path (no JavaScript) the server
    /// encrypts, the page says so, and offers to check the encryption.
    encrypted: bool,
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
    let def = match voter.definition() {
        Ok(d) => d,
        Err(e) => return PageError::from(e).into_response(),
    };
    let marks = marks_from_fields(&def, &fields);
    let choices = match checked_choices(&def, &marks) {
        Ok(c) => c,
        Err(problems) => return render_ballot(&state, &voter, &def, &marks, problems, None).await,
    };
    let offer_confirmation = match offer_confirmation(&state, &voter).await {
        Ok(yes) => yes,
        Err(e) => return PageError::from(e).into_response(),
    };
    let encrypted = match state.encryption(&voter.election.id).await {
        Ok(e) => e.is_some(),
        Err(e) => return PageError::from(e).into_response(),
    };
    render(
        StatusCode::OK,
        "review",
        &Page {
            page_title: super::t("review-title"),
            election_title: Some(def.title.clone()),
            body: Review {
                contests: summaries(&def, &choices),
                hidden: hidden_fields(&def, &choices),
                closing: crate::time::closing(voter.election.closes_at, &voter.election.zone(), crate::time::now()),
                offer_confirmation,
                encrypted,
            },
        },
    )
}

/// Whether to offer the box asking for a confirmation e-mail (on the
/// review page, and in an encrypted election's booth): only where it can be
/// honoured, that is where the election sends confirmations, this server
/// can send mail, and the member has an address on the roll.
pub(super) async fn offer_confirmation(state: &AppState, voter: &super::Voter) -> Result<bool, OpError> {
    if !voter.election.send_confirmations || state.mailer().is_none() {
        return Ok(false);
    }
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
}
