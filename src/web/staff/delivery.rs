//! Delivering voting codes from the console: e-mailed invitations and
//! reminders with progress and per-member failures, the wording of each
//! message, and printable letters for members without e-mail.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::{Deserialize, Serialize};

use super::{authorised, signed_in, Nav};
use crate::domain::roles::Role;
use crate::ops::delivery::{self, default_template};
use crate::ops::staff::StaffUser;
use crate::ops::{resolve_election, OpError};
use crate::store::deliveries::{self, INVITATION, NOTICE, REMINDER};
use crate::store::elections::ElectionRow;
use crate::web::error::PageError;
use crate::web::pages::{render, Page};
use crate::web::AppState;

/// Send queued messages for as long as the server runs.
pub async fn run(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(mailer) = state.mailer().cloned() else {
            continue;
        };
        let s = state.clone();
        let public_url = state.public_url().to_string();
        let result = s
            .run(move |conn, secret| delivery::send_queued(conn, secret, &mailer, &public_url, 25, crate::time::now()))
            .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "sending queued messages failed");
        }
    }
}

#[derive(Serialize)]
struct Counts {
    kind: &'static str,
    waiting: i64,
    sent: i64,
    failed: i64,
    skipped: i64,
}

#[derive(Serialize)]
struct FailureView {
    member_id: String,
    name: String,
    email: String,
    kind: String,
    error: String,
    attempts: i64,
}

#[derive(Serialize)]
struct TemplateView {
    kind: &'static str,
    lang: &'static str,
    language: &'static str,
    subject: String,
    body: String,
}

#[derive(Serialize)]
struct DeliveryPage {
    nav: Nav,
    id: String,
    title: String,
    mail: Option<String>,
    sending: bool,
    counts: Vec<Counts>,
    failures: Vec<FailureView>,
    templates: Vec<TemplateView>,
    without_email: usize,
    /// Sealed confirmation e-mails (`ops::confirm`) waiting and failed:
    /// counts only.
    confirm_waiting: i64,
    confirm_failed: i64,
    notice: Option<String>,
    runs: bool,
}

async fn page(state: &AppState, user: &StaffUser, id: String, notice: Option<String>, status: StatusCode) -> Response {
    let loaded = state
        .run(move |conn, _| {
            let row = resolve_election(conn, &id)?;
            let progress = delivery::progress(conn, &row.id)?;
            let failures = deliveries::failures(conn, &row.id)?;
            let mut templates = Vec::new();
            for kind in [INVITATION, REMINDER] {
                for lang in crate::i18n::Lang::ALL {
                    let (subject, body) = deliveries::template(conn, &row.id, &delivery::template_key(kind, lang))?
                        .unwrap_or_else(|| default_template(kind, lang));
                    templates.push(TemplateView {
                        kind,
                        lang: lang.code(),
                        language: lang.name(),
                        subject,
                        body,
                    });
                }
            }
            let without_email = crate::store::members::without_email(conn, &row.id)?.len();
            let confirm = crate::ops::confirm::figures(conn, &row.id)?;
            Ok((row, progress, failures, templates, without_email, confirm))
        })
        .await;
    let (row, progress, failures, templates, without_email, (confirm_waiting, confirm_failed)) = match loaded {
        Ok(v) => v,
        Err(e) => return PageError::from(e).into_response(),
    };
    let counts: Vec<Counts> = [
        (INVITATION, "Invitations"),
        (REMINDER, "Reminders"),
        (NOTICE, "Notices of replaced codes"),
    ]
    .into_iter()
    .map(|(kind, label)| {
        let c = progress.get(kind).copied().unwrap_or([0; 4]);
        Counts {
            kind: label,
            waiting: c[0],
            sent: c[1],
            failed: c[2],
            skipped: c[3],
        }
    })
    .collect();
    let sending = counts.iter().any(|c| c.waiting > 0) || confirm_waiting > 0;
    let mut res = render(
        status,
        "staff_delivery",
        &Page {
            page_title: format!("Voting codes: {}", row.title),
            election_title: None,
            body: DeliveryPage {
                nav: Nav::of(user),
                id: row.id.clone(),
                title: row.title.clone(),
                mail: state.mailer().map(|m| m.shown.clone()),
                sending,
                counts,
                failures: failures
                    .into_iter()
                    .map(|f| FailureView {
                        member_id: f.member_id,
                        name: f.name,
                        email: f.email,
                        kind: f.kind,
                        error: f.error,
                        attempts: f.attempts,
                    })
                    .collect(),
                templates,
                without_email,
                confirm_waiting,
                confirm_failed,
                notice,
                runs: user.role.runs_elections(),
            },
        },
    );
    if sending {
        // Browsers reload the page by themselves while messages go out.
        res.headers_mut().insert(header::REFRESH, HeaderValue::from_static("3"));
    }
    res
}

/// `GET /staff/elections/{id}/delivery`.
pub async fn show(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    match signed_in(&state, &headers).await {
        Ok(user) => page(&state, &user, id, None, StatusCode::OK).await,
        Err(r) => r,
    }
}

/// A delivery action.
#[derive(Deserialize)]
pub struct ActionForm {
    csrf: String,
    action: String,
    #[serde(default)]
    kind: String,
    /// The language of a wording (`en` when absent).
    #[serde(default)]
    lang: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
}

/// `POST /staff/elections/{id}/delivery`: send invitations or reminders,
/// retry failures, or change a message's wording.
pub async fn act(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    let user = match authorised(&state, &headers, &form.csrf, Role::runs_elections, "send voting codes").await {
        Ok(u) => u,
        Err(r) => return r,
    };
    if state.mailer().is_none() && matches!(form.action.as_str(), "invite" | "remind" | "retry") {
        return page(
            &state,
            &user,
            id,
            Some("Not done: no mail server is configured. Start Teller with --smtp-url and --mail-from.".into()),
            StatusCode::CONFLICT,
        )
        .await;
    }
    let election = id.clone();
    let now = crate::time::now();
    let result = state
        .run(move |conn, _| {
            let row = resolve_election(conn, &election)?;
            match form.action.as_str() {
                "invite" => delivery::queue(conn, &row.id, INVITATION, now)
                    .map(|n| format!("{n} invitations are being sent. Members already invited are not sent another.")),
                "remind" => delivery::queue(conn, &row.id, REMINDER, now)
                    .map(|n| format!("{n} reminders are being sent, to members who have not voted.")),
                "retry" => delivery::retry_failed(conn, &row.id, now).map(|n| {
                    format!("{n} failed messages are being sent again; invitations among them carry a new code.")
                }),
                "template" => {
                    let kind = if form.kind == REMINDER { REMINDER } else { INVITATION };
                    let lang = match form.lang.as_str() {
                        "" => crate::i18n::Lang::En,
                        code => crate::i18n::Lang::from_code(code)
                            .filter(|l| l.code() == code)
                            .ok_or_else(|| OpError::Refused(format!("Teller does not write in {code:?}")))?,
                    };
                    delivery::check_template(kind, &form.subject, &form.body)?;
                    let key = delivery::template_key(kind, lang);
                    deliveries::set_template(conn, &row.id, &key, form.subject.trim(), &form.body)?;
                    Ok(format!("The {kind} wording in {} is saved.", lang.name()))
                }
                other => Err(OpError::Refused(format!("unknown action {other:?}"))),
            }
        })
        .await;
    match result {
        Ok(notice) => page(&state, &user, id, Some(notice), StatusCode::OK).await,
        Err(e) if !e.is_internal() => {
            let (status, _) = crate::web::error::classify(&e);
            page(&state, &user, id, Some(format!("Not done: {e}.")), status).await
        }
        Err(e) => PageError::from(e).into_response(),
    }
}

#[derive(Serialize)]
struct LetterView {
    member_id: String,
    name: String,
    code: String,
    lang: &'static str,
    closes: String,
    /// Who it is from, line by line, in its language.
    sign_off: Vec<String>,
}

#[derive(Serialize)]
struct LettersPage {
    title: String,
    vote_page: String,
    letters: Vec<LetterView>,
}

/// The letters form.
#[derive(Deserialize)]
pub struct LettersForm {
    csrf: String,
}

/// `POST /staff/elections/{id}/letters`: new codes for members without
/// e-mail, one print-ready letter per page.
pub async fn letters(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<LettersForm>,
) -> Response {
    let user = match authorised(&state, &headers, &form.csrf, Role::runs_elections, "print letters").await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let actor = user.actor();
    let result = state
        .run(move |conn, secret| {
            let row = resolve_election(conn, &id)?;
            let letters = delivery::letters(conn, secret, &row.id, &actor, crate::time::now())?;
            Ok((row, letters))
        })
        .await;
    let (row, letters) = match result {
        Ok(v) => v,
        Err(e) => return PageError::from(e).into_response(),
    };
    letters_page(&state, &row, letters)
}

fn letters_page(state: &AppState, row: &ElectionRow, letters: Vec<delivery::Letter>) -> Response {
    render(
        StatusCode::OK,
        "staff_letters",
        &Page {
            page_title: format!("Letters: {}", row.title),
            election_title: None,
            body: LettersPage {
                title: row.title.clone(),
                vote_page: format!("{}/vote", state.public_url()),
                letters: letters
                    .into_iter()
                    .map(|l| LetterView {
                        closes: row
                            .closes_at
                            .map(|t| row.zone().local(t).text(l.lang))
                            .unwrap_or_else(|| crate::i18n::text(l.lang, "mail-closes-unannounced", &[])),
                        member_id: l.member_id,
                        name: l.name,
                        code: l.token.grouped(),
                        sign_off: delivery::signature(&crate::organisation::current(), l.lang)
                            .lines()
                            .map(str::to_string)
                            .collect(),
                        lang: l.lang.code(),
                    })
                    .collect(),
            },
        },
    )
}

/// The lost-code form.
#[derive(Deserialize)]
pub struct ReplaceForm {
    csrf: String,
    member_id: String,
    how: String,
}

/// `POST /staff/elections/{id}/replace`: a member lost their code. A new one
/// is issued (the old one stops working; logged as `token_reissued` with who
/// did it) and e-mailed to the member's address on the roll, or printed as a
/// letter. The console never shows it otherwise.
pub async fn replace(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<ReplaceForm>,
) -> Response {
    let user = match authorised(&state, &headers, &form.csrf, Role::runs_elections, "issue voting codes").await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let by_email = form.how != "letter";
    let mailer = state.mailer().cloned();
    if by_email && mailer.is_none() {
        let notice = "Not done: no mail server is configured, so the new code cannot be e-mailed. Print a letter instead, or start Teller with --smtp-url and --mail-from.";
        return page(&state, &user, id, Some(notice.into()), StatusCode::CONFLICT).await;
    }
    let actor = user.actor();
    let public_url = state.public_url().to_string();
    let election = id.clone();
    let member_id = form.member_id.trim().to_string();
    let result = state
        .run(move |conn, secret| {
            let row = resolve_election(conn, &election)?;
            let r = delivery::replace_code(
                conn,
                secret,
                &row.id,
                &member_id,
                by_email.then_some(public_url.as_str()),
                &actor,
                crate::time::now(),
            )?;
            Ok((row, r))
        })
        .await;
    let (row, replacement) = match result {
        Ok(v) => v,
        Err(e) if !e.is_internal() => {
            let (status, _) = crate::web::error::classify(&e);
            return page(&state, &user, id, Some(format!("Not done: {e}.")), status).await;
        }
        Err(e) => return PageError::from(e).into_response(),
    };
    let issued = replacement.issued;
    match (replacement.message, mailer) {
        (Some((subject, body)), Some(mailer)) => {
            let (name, email) = (issued.name.clone(), issued.email.clone());
            let sent = tokio::task::spawn_blocking(move || mailer.send(&name, &email, &subject, &body))
                .await
                .unwrap_or_else(|e| Err(e.to_string()));
            let notice = match sent {
                Ok(()) => format!(
                    "A new code was e-mailed to {} ({}). Their earlier code no longer works.",
                    issued.name, issued.member_id
                ),
                Err(e) => format!(
                    "Not done: the new code for {} could not be e-mailed ({e}). Their earlier code no longer works either: try again, or print a letter.",
                    issued.member_id
                ),
            };
            page(&state, &user, id, Some(notice), StatusCode::OK).await
        }
        _ => letters_page(
            &state,
            &row,
            vec![delivery::Letter {
                lang: issued.lang,
                member_id: issued.member_id,
                name: issued.name,
                token: issued.token,
            }],
        ),
    }
}
