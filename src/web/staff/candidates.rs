//! A candidate's photo and longer profile, edited on a page of their own
//! (`/staff/elections/{id}/candidates/{contest}/{candidate}`, linked from
//! each saved candidate in the builder) while the election is a draft.
//!
//! The photo is a file upload (multipart, at most 2 MiB, the anti-forgery
//! token first): decoded under limits, cropped, resized and re-encoded by
//! `domain::photo` on a blocking thread before anything is stored; a file
//! that cannot be used changes nothing. Removing the photo and saving the
//! profile are ordinary forms. After the opening the page shows what is
//! frozen. The console's own copies of the photo and profile page
//! (`…/photo`, `…/profile`) serve the ballot preview of a draft, whose
//! public pages do not exist yet.

use axum::extract::multipart::MultipartError;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::{Deserialize, Serialize};

use super::{check_csrf, require, signed_in, Nav};
use crate::domain::lifecycle::State as Lifecycle;
use crate::domain::photo::{self, PhotoError};
use crate::ops::profiles::{self as ops, find_candidate, MAX_PROFILE_CHARS};
use crate::ops::staff::StaffUser;
use crate::ops::OpError;
use crate::store::elections::ElectionRow;
use crate::store::profiles::{self, CandidateKey, Summary};
use crate::web::candidates::{candidate_path, is_item_id, photo_response, profile_page, Audience};
use crate::web::error::PageError;
use crate::web::pages::{render, Page};
use crate::web::AppState;

/// The longest anti-forgery token read from the upload form.
const MAX_CSRF: usize = 256;
/// The largest request the photo routes accept: the photo and the form
/// around it (a profile of 5,000 characters, percent-encoded, is under 64 KiB).
pub const MAX_REQUEST_BYTES: usize = photo::MAX_UPLOAD_BYTES + 64 * 1024;

#[derive(Serialize)]
struct EditorPage {
    nav: Nav,
    id: String,
    title: String,
    contest_title: String,
    /// The contest's position in the builder (its anchor there).
    contest_index: usize,
    name: String,
    statement: String,
    action: String,
    photo: Option<String>,
    profile: String,
    max_profile: usize,
    /// Draft: editable; otherwise frozen and shown read-only.
    editable: bool,
    notice: Option<String>,
    errors: Vec<String>,
}

/// Which candidate a request names.
struct Target {
    election: String,
    contest: String,
    candidate: String,
}

impl Target {
    fn of((election, contest, candidate): (String, String, String)) -> Result<Self, Response> {
        if !is_item_id(&contest) || !is_item_id(&candidate) {
            return Err(PageError::not_found().into_response());
        }
        Ok(Target {
            election,
            contest,
            candidate,
        })
    }

    fn key(&self) -> CandidateKey {
        CandidateKey {
            election: self.election.clone(),
            contest: self.contest.clone(),
            candidate: self.candidate.clone(),
        }
    }

    fn path(&self) -> String {
        candidate_path(&self.election, &self.contest, &self.candidate, Audience::Staff)
    }
}

/// The election and the candidate's summary, or the page saying why not.
async fn load(state: &AppState, target: &Target) -> Result<(ElectionRow, Option<Summary>), Response> {
    let key = target.key();
    state
        .run(move |conn, _| {
            let row = crate::ops::resolve_election(conn, &key.election)?;
            let summary = profiles::summary(conn, &key)?;
            Ok((row, summary))
        })
        .await
        .map_err(|e| PageError::from(e).into_response())
}

/// What the page says besides the candidate's details.
#[derive(Default)]
struct Notes {
    notice: Option<String>,
    errors: Vec<String>,
    /// The profile as typed, when it was refused.
    typed: Option<String>,
}

fn editor(
    user: &StaffUser,
    row: &ElectionRow,
    summary: Option<Summary>,
    target: &Target,
    notes: Notes,
    status: StatusCode,
) -> Response {
    let (contest, candidate) = match find_candidate(row, &target.contest, &target.candidate) {
        Ok(found) => found,
        Err(e) => return PageError::from(e).into_response(),
    };
    let contest_index = row
        .definition()
        .ok()
        .and_then(|d| d.contests.iter().position(|c| c.id == contest.id))
        .unwrap_or(0);
    let editable = row.state().is_ok_and(|s| s == Lifecycle::Draft);
    let summary = summary.unwrap_or_default();
    let failed = !notes.errors.is_empty();
    let body = EditorPage {
        nav: Nav::of(user),
        id: row.id.clone(),
        title: row.title.clone(),
        contest_title: contest.title.clone(),
        contest_index,
        name: candidate.name.clone(),
        statement: candidate.statement.clone(),
        action: target.path(),
        photo: summary.photo.map(|v| format!("{}/photo?v={v}", target.path())),
        profile: notes.typed.unwrap_or(summary.profile),
        max_profile: MAX_PROFILE_CHARS,
        editable,
        notice: notes.notice,
        errors: notes.errors,
    };
    render(
        status,
        "staff_candidate",
        &Page {
            page_title: format!(
                "{}Photo and profile: {}",
                if failed { "Error: " } else { "" },
                candidate.name
            ),
            election_title: None,
            body,
        },
    )
}

/// Re-read and show the page with `notes`.
async fn show_with(state: &AppState, user: &StaffUser, target: &Target, notes: Notes, status: StatusCode) -> Response {
    match load(state, target).await {
        Ok((row, summary)) => editor(user, &row, summary, target, notes, status),
        Err(r) => r,
    }
}

/// The signed-in staff member and the candidate their request names, or the
/// page saying why not (sign in; no such candidate).
async fn staff_and_target(
    state: &AppState,
    headers: &HeaderMap,
    path: (String, String, String),
) -> Result<(StaffUser, Target), Response> {
    let user = signed_in(state, headers).await?;
    Ok((user, Target::of(path)?))
}

async fn officer(state: &AppState, headers: &HeaderMap) -> Result<StaffUser, Response> {
    let user = signed_in(state, headers).await?;
    require(
        &user,
        user.role.runs_elections(),
        "change candidates' photos and profiles",
    )?;
    Ok(user)
}

#[derive(Deserialize)]
pub struct Saved {
    #[serde(default)]
    saved: Option<String>,
}

/// `GET /staff/elections/{id}/candidates/{contest}/{candidate}`.
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(path): Path<(String, String, String)>,
    Query(q): Query<Saved>,
) -> Response {
    let user = match officer(&state, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let target = match Target::of(path) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let notice = match q.saved.as_deref() {
        Some("photo") => Some("The photo was saved.".to_string()),
        Some("removed") => Some("The photo was removed.".to_string()),
        Some("profile") => Some("The profile was saved.".to_string()),
        _ => None,
    };
    show_with(
        &state,
        &user,
        &target,
        Notes {
            notice,
            ..Notes::default()
        },
        StatusCode::OK,
    )
    .await
}

/// What an operation's refusal says on the page, or the page it needs.
fn refused(e: OpError) -> Result<(String, StatusCode), Response> {
    match e {
        OpError::WrongState { .. } => Ok((
            "The polls have opened, so the candidates' photos and profiles are frozen, like the ballot: nothing was changed.".into(),
            StatusCode::CONFLICT,
        )),
        OpError::Refused(message) => {
            let mut message = message;
            if let Some(first) = message.get(..1) {
                message = first.to_uppercase() + &message[1..];
            }
            Ok((format!("{message}."), StatusCode::UNPROCESSABLE_ENTITY))
        }
        e => Err(PageError::from(e).into_response()),
    }
}

/// The form that removes the photo or saves the profile.
#[derive(Deserialize)]
pub struct EditForm {
    csrf: String,
    action: String,
    #[serde(default)]
    profile: String,
}

/// `POST /staff/elections/{id}/candidates/{contest}/{candidate}`:
/// `action=remove-photo` or `action=save-profile`.
pub async fn edit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(path): Path<(String, String, String)>,
    Form(form): Form<EditForm>,
) -> Response {
    let user = match super::authorised(
        &state,
        &headers,
        &form.csrf,
        crate::domain::roles::Role::runs_elections,
        "change candidates' photos and profiles",
    )
    .await
    {
        Ok(u) => u,
        Err(r) => return r,
    };
    let target = match Target::of(path) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let actor = user.actor();
    let (election, contest, candidate) = (
        target.election.clone(),
        target.contest.clone(),
        target.candidate.clone(),
    );
    let now = crate::time::now();
    let (result, done, typed) = match form.action.as_str() {
        "remove-photo" => (
            state
                .run(move |conn, _| ops::remove_photo(conn, &election, &contest, &candidate, &actor, now).map(|_| ()))
                .await,
            "removed",
            None,
        ),
        "save-profile" => {
            let text = form.profile.clone();
            (
                state
                    .run(move |conn, _| {
                        ops::set_profile(conn, &election, &contest, &candidate, &text, &actor, now).map(|_| ())
                    })
                    .await,
                "profile",
                Some(form.profile),
            )
        }
        _ => {
            return PageError::bad_request("That button is not one of this page's; nothing was changed.")
                .into_response()
        }
    };
    match result {
        Ok(()) => Redirect::to(&format!("{}?saved={done}", target.path())).into_response(),
        Err(e) => match refused(e) {
            Ok((message, status)) => {
                let notes = Notes {
                    errors: vec![message],
                    typed,
                    ..Notes::default()
                };
                show_with(&state, &user, &target, notes, status).await
            }
            Err(page) => page,
        },
    }
}

/// Read a small text field of the upload form.
async fn small_field(field: &mut axum::extract::multipart::Field<'_>) -> Result<String, MultipartError> {
    let mut text = Vec::new();
    while let Some(chunk) = field.chunk().await? {
        if text.len() + chunk.len() > MAX_CSRF {
            return Ok(String::new()); // not a token of ours: refused by the check
        }
        text.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8_lossy(&text).into_owned())
}

/// The upload's file, or `None` once it passes the limit.
async fn file_field(field: &mut axum::extract::multipart::Field<'_>) -> Result<Option<Vec<u8>>, MultipartError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await? {
        if bytes.len() + chunk.len() > photo::MAX_UPLOAD_BYTES {
            return Ok(None);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Some(bytes))
}

/// An upload refused for what it is: the editor with the reason.
async fn refuse_upload(state: &AppState, user: &StaffUser, target: &Target, e: &PhotoError) -> Response {
    let status = match e {
        PhotoError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let mut message = e.to_string();
    if let Some(first) = message.get(..1) {
        message = first.to_uppercase() + &message[1..];
    }
    let notes = Notes {
        errors: vec![format!("{message}. Nothing was changed.")],
        ..Notes::default()
    };
    show_with(state, user, target, notes, status).await
}

/// `POST /staff/elections/{id}/candidates/{contest}/{candidate}/photo`:
/// the uploaded photo, checked and made Teller's own, then stored. The
/// form sends the anti-forgery token before the file.
pub async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(path): Path<(String, String, String)>,
    mut form: Multipart,
) -> Response {
    let (user, target) = match staff_and_target(&state, &headers, path).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let mut csrf = String::new();
    let mut file = None;
    let mut too_large = false;
    loop {
        let mut field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                too_large = true;
                break;
            }
            Err(e) => {
                return PageError::bad_request(format!(
                    "The upload did not arrive whole ({}); nothing was changed.",
                    e.body_text()
                ))
                .into_response()
            }
        };
        let read = match field.name() {
            Some("csrf") => small_field(&mut field).await.map(|t| csrf = t),
            Some("photo") => {
                // A token after the file, or none, is no token: the form sends it first.
                if let Err(r) = check_csrf(&user, &csrf) {
                    return r;
                }
                match file_field(&mut field).await {
                    Ok(Some(bytes)) => {
                        file = Some(bytes);
                        break;
                    }
                    Ok(None) => {
                        too_large = true;
                        break;
                    }
                    Err(e) => Err(e),
                }
            }
            _ => small_field(&mut field).await.map(|_| ()),
        };
        match read {
            Ok(()) => {}
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                too_large = true;
                break;
            }
            Err(e) => {
                return PageError::bad_request(format!(
                    "The upload did not arrive whole ({}); nothing was changed.",
                    e.body_text()
                ))
                .into_response()
            }
        }
    }
    if let Err(r) = check_csrf(&user, &csrf) {
        return r;
    }
    if let Err(r) = require(
        &user,
        user.role.runs_elections(),
        "change candidates' photos and profiles",
    ) {
        return r;
    }
    if too_large {
        return refuse_upload(&state, &user, &target, &PhotoError::TooLarge).await;
    }
    let bytes = file.unwrap_or_default();
    // Decoding is work for a blocking thread, and holds no database connection.
    let prepared = match tokio::task::spawn_blocking(move || photo::prepare(&bytes)).await {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %e, "photo worker failed");
            return PageError::from(OpError::Db(crate::db::DbError::Connect("photo worker failed".into())))
                .into_response();
        }
    };
    let picture = match prepared {
        Ok(p) => p,
        Err(e) => return refuse_upload(&state, &user, &target, &e).await,
    };
    let actor = user.actor();
    let (election, contest, candidate) = (
        target.election.clone(),
        target.contest.clone(),
        target.candidate.clone(),
    );
    let result = state
        .run(move |conn, _| {
            ops::set_photo(
                conn,
                &election,
                &contest,
                &candidate,
                &picture,
                &actor,
                crate::time::now(),
            )
        })
        .await;
    match result {
        Ok(_) => Redirect::to(&format!("{}?saved=photo", target.path())).into_response(),
        Err(e) => match refused(e) {
            Ok((message, status)) => {
                let notes = Notes {
                    errors: vec![message],
                    ..Notes::default()
                };
                show_with(&state, &user, &target, notes, status).await
            }
            Err(page) => page,
        },
    }
}

/// `GET /staff/elections/{id}/candidates/{contest}/{candidate}/photo`: the
/// photo, for any signed-in staff member (a draft's is not public). It may
/// still change: browsers check before reusing it.
pub async fn photo(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(path): Path<(String, String, String)>,
) -> Response {
    let target = match staff_and_target(&state, &headers, path).await {
        Ok((_, target)) => target,
        Err(r) => return r,
    };
    let key = target.key();
    match state
        .run(move |conn, _| {
            let row = crate::ops::resolve_election(conn, &key.election)?;
            let key = CandidateKey {
                election: row.id,
                ..key
            };
            Ok(profiles::photo(conn, &key)?)
        })
        .await
    {
        Ok(Some(stored)) => photo_response(stored, &headers, "private, no-cache"),
        Ok(None) => PageError::not_found().into_response(),
        Err(e) => PageError::from(e).into_response(),
    }
}

/// `GET /staff/elections/{id}/candidates/{contest}/{candidate}/profile`:
/// the candidate's page as members will see it, for any signed-in staff
/// member.
pub async fn preview(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(path): Path<(String, String, String)>,
) -> Response {
    let target = match staff_and_target(&state, &headers, path).await {
        Ok((_, target)) => target,
        Err(r) => return r,
    };
    match load(&state, &target).await {
        Ok((row, summary)) => profile_page(
            &row,
            summary,
            &target.contest,
            &target.candidate,
            Audience::Staff,
            &Default::default(),
        )
        .unwrap_or_else(|e| PageError::from(e).into_response()),
        Err(r) => r,
    }
}
