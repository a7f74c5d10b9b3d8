//! Importing the member roll in the console: upload the CSV, see a preview
//! (the first rows, how each column is used, every problem with its row
//! number — the first 200 listed, with how many more), and import only when
//! the officer confirms — all rows or none.
//!
//! The file is read as it arrives, never held whole: the request body is
//! passed chunk by chunk to a reader on a blocking thread, which checks it
//! row by row and stores the members of a good roll in the database under
//! an unguessable upload id (`ops::roll_upload`). The preview page carries
//! only that id; confirming posts the id and the form's anti-forgery token.

use axum::body::Bytes;
use axum::extract::multipart::Field;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::{authorised, check_csrf, require, signed_in, Nav};
use crate::domain::lifecycle::State as ElectionState;
use crate::domain::roles::Role;
use crate::domain::roll::RowProblem;
use crate::ops::roll_upload::{self, Owner, Preview};
use crate::ops::staff::StaffUser;
use crate::ops::OpError;
use crate::web::error::PageError;
use crate::web::pages::{render, Page};
use crate::web::AppState;

/// The longest anti-forgery token read from an upload form.
const MAX_CSRF: usize = 256;
/// The longest file name kept.
const MAX_FILE_NAME: usize = 200;
/// Chunks of the body in flight between the connection and the reader.
const CHUNKS_IN_FLIGHT: usize = 8;

#[derive(Serialize)]
struct Column {
    heading: String,
    used_as: String,
}

#[derive(Serialize)]
struct PreviewRow {
    row: u64,
    member_id: String,
    name: String,
    email: String,
    weight: String,
}

#[derive(Serialize)]
struct Problem {
    row: String,
    message: String,
}

#[derive(Serialize)]
struct RollPage {
    nav: Nav,
    id: String,
    title: String,
    file_name: String,
    members: u64,
    columns: Vec<Column>,
    rows: Vec<PreviewRow>,
    problems: Vec<Problem>,
    problem_count: u64,
    more_problems: u64,
    notices: Vec<String>,
    upload: String,
}

fn problems_of(list: &[RowProblem]) -> Vec<Problem> {
    list.iter()
        .map(|p| Problem {
            row: if p.row == 0 { "file".into() } else { p.row.to_string() },
            message: p.message.clone(),
        })
        .collect()
}

fn arrived_broken(e: &axum::extract::multipart::MultipartError) -> Response {
    let status = e.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        let mut page = PageError::bad_request(format!(
            "The upload is larger than {} MiB, the most the console accepts; nothing was imported.",
            crate::web::MAX_UPLOAD_BYTES / (1024 * 1024)
        ))
        .into_response();
        *page.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
        return page;
    }
    PageError::bad_request(format!(
        "The upload did not arrive whole ({}); nothing was imported.",
        e.body_text()
    ))
    .into_response()
}

/// `POST /staff/elections/{id}/roll`: the uploaded file, read as it
/// arrives, checked and previewed. The form sends the anti-forgery token
/// before the file, so the sender is admitted before any of it is read.
pub async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    mut form: Multipart,
) -> Response {
    let user = match signed_in(&state, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let mut csrf = String::new();
    loop {
        let mut field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return arrived_broken(&e),
        };
        match field.name() {
            Some("csrf") => {
                let mut text = Vec::new();
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) if text.len() + chunk.len() <= MAX_CSRF => text.extend_from_slice(&chunk),
                        Ok(Some(_)) => break, // not a token of ours: refused below
                        Ok(None) => break,
                        Err(e) => return arrived_broken(&e),
                    }
                }
                csrf = String::from_utf8_lossy(&text).into_owned();
            }
            Some("roll") => return receive(&state, user, &id, &csrf, field).await,
            _ => loop {
                match field.chunk().await {
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(e) => return arrived_broken(&e),
                }
            },
        }
    }
    if let Err(r) = check_csrf(&user, &csrf) {
        return r;
    }
    PageError::bad_request("Choose the roll's CSV file, then upload it.").into_response()
}

/// Admit the sender, then read the file field as it arrives.
async fn receive(state: &AppState, user: StaffUser, id: &str, csrf: &str, mut field: Field<'_>) -> Response {
    // A token after the file, or none, is no token: the form sends it first.
    if let Err(r) = check_csrf(&user, csrf) {
        return r;
    }
    if let Err(r) = require(&user, user.role.runs_elections(), "import members") {
        return r;
    }
    let election = id.to_string();
    let row = match state
        .run(move |conn, _| {
            let row = crate::ops::resolve_election(conn, &election)?;
            let actual = row.state()?;
            if actual != ElectionState::Draft {
                return Err(OpError::WrongState {
                    action: "importing members",
                    needed: "draft",
                    actual,
                });
            }
            Ok(row)
        })
        .await
    {
        Ok(r) => r,
        Err(e) => return PageError::from(e).into_response(),
    };
    let file_name: String = field
        .file_name()
        .filter(|n| !n.is_empty())
        .unwrap_or("roll.csv")
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_FILE_NAME)
        .collect();

    // The body goes chunk by chunk to the reader on a blocking thread; the
    // bounded channel holds the connection back while the reader is busy.
    let (tx, rx) = mpsc::channel::<Result<Bytes, String>>(CHUNKS_IN_FLIGHT);
    let (owner, election, name) = (Owner::of(&user), row.id.clone(), file_name.clone());
    let work = state.run(move |conn, _| {
        roll_upload::receive(
            conn,
            &election,
            &owner,
            &name,
            ChannelReader::new(rx),
            crate::time::now(),
        )
    });
    let pump = async move {
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    if tx.send(Ok(chunk)).await.is_err() {
                        return None; // the reader stopped (the header was unusable)
                    }
                }
                Ok(None) => return None,
                Err(e) => {
                    let _ = tx.send(Err(e.to_string())).await;
                    return Some(e);
                }
            }
        }
    };
    let (broken, result) = tokio::join!(pump, work);
    if let Some(e) = broken {
        // The reader saw the break too, so nothing was kept.
        return arrived_broken(&e);
    }
    let preview = match result {
        Ok(p) => p,
        Err(e) => return PageError::from(e).into_response(),
    };
    preview_page(&user, &row.id, &row.title, file_name, preview)
}

fn preview_page(user: &StaffUser, id: &str, title: &str, file_name: String, preview: Preview) -> Response {
    let status = if preview.upload.is_some() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let shown = preview.problems.len() as u64;
    render(
        status,
        "staff_roll",
        &Page {
            page_title: if preview.upload.is_some() {
                "Check the roll".into()
            } else {
                "Error: the roll has problems".into()
            },
            election_title: None,
            body: RollPage {
                nav: Nav::of(user),
                id: id.to_string(),
                title: title.to_string(),
                file_name,
                members: preview.members,
                columns: preview
                    .columns
                    .into_iter()
                    .map(|(heading, field)| Column {
                        heading,
                        used_as: field.map(str::to_string).unwrap_or_else(|| "ignored".into()),
                    })
                    .collect(),
                rows: if preview.upload.is_some() {
                    preview
                        .first_rows
                        .iter()
                        .map(|m| PreviewRow {
                            row: m.row,
                            member_id: m.member_id.clone(),
                            name: m.name.clone(),
                            email: m.email.clone(),
                            weight: m.weight.to_string(),
                        })
                        .collect()
                } else {
                    vec![]
                },
                problems: problems_of(&preview.problems),
                problem_count: preview.problem_count,
                more_problems: preview.problem_count.saturating_sub(shown),
                notices: preview.notices,
                upload: preview.upload.unwrap_or_default(),
            },
        },
    )
}

/// The request body as a `Read`, for the reader on its blocking thread.
struct ChannelReader {
    rx: mpsc::Receiver<Result<Bytes, String>>,
    current: Bytes,
}

impl ChannelReader {
    fn new(rx: mpsc::Receiver<Result<Bytes, String>>) -> Self {
        ChannelReader {
            rx,
            current: Bytes::new(),
        }
    }
}

impl std::io::Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(e)) => return Err(std::io::Error::other(e)),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

/// The confirmation: the upload's id, nothing of the file.
#[derive(Deserialize)]
pub struct Confirm {
    csrf: String,
    upload: String,
}

/// `POST /staff/elections/{id}/roll/confirm`: import, all rows or none.
pub async fn confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<Confirm>,
) -> Response {
    let user = match authorised(&state, &headers, &form.csrf, Role::runs_elections, "import members").await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let (actor, owner, election) = (user.actor(), Owner::of(&user), id.clone());
    let result = state
        .run(move |conn, _| {
            let row = crate::ops::resolve_election(conn, &election)?;
            roll_upload::confirm(conn, &row.id, &form.upload, &owner, &actor, crate::time::now())
        })
        .await;
    match result {
        Ok(summary) => {
            super::election::page_with_notice(
                &state,
                &user,
                id,
                format!(
                    "Imported {} members; the roll now has {}.",
                    summary.added, summary.total
                ),
            )
            .await
        }
        Err(e) => PageError::from(e).into_response(),
    }
}

/// `POST /staff/elections/{id}/roll/cancel`: discard a previewed upload.
pub async fn cancel(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<Confirm>,
) -> Response {
    let user = match authorised(&state, &headers, &form.csrf, Role::runs_elections, "import members").await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let (owner, election) = (Owner::of(&user), id.clone());
    let result = state
        .run(move |conn, _| {
            let row = crate::ops::resolve_election(conn, &election)?;
            roll_upload::cancel(conn, &row.id, &form.upload, &owner)
        })
        .await;
    match result {
        Ok(_) => {
            super::election::page_with_notice(
                &state,
                &user,
                id,
                "The uploaded roll was discarded; nothing was imported.".into(),
            )
            .await
        }
        Err(e) => PageError::from(e).into_response(),
    }
}
