//! Importing the member roll in the console: upload the CSV, see a preview
//! (the first rows, how each column is used, every problem with its row
//! number), and import only when the officer confirms — all rows or none.

use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::{Deserialize, Serialize};

use super::{authorised, check_csrf, require, signed_in, Nav};
use crate::domain::roles::Role;
use crate::domain::roll::{self, RowProblem};
use crate::ops::roll::import_roll;
use crate::ops::OpError;
use crate::store::members;
use crate::web::error::PageError;
use crate::web::pages::{render, Page};
use crate::web::AppState;

/// Rows shown in the preview.
const PREVIEW_ROWS: usize = 10;

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
    members: usize,
    columns: Vec<Column>,
    rows: Vec<PreviewRow>,
    problems: Vec<Problem>,
    problem_count: usize,
    notices: Vec<String>,
    csv_hex: String,
}

fn problems_of(list: &[RowProblem]) -> Vec<Problem> {
    list.iter()
        .map(|p| Problem {
            row: if p.row == 0 { "file".into() } else { p.row.to_string() },
            message: p.message.clone(),
        })
        .collect()
}

/// `POST /staff/elections/{id}/roll`: the uploaded file, previewed.
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
    let (mut csrf, mut bytes, mut file_name) = (String::new(), Vec::new(), String::new());
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
                if name == "roll" {
                    file_name = field.file_name().unwrap_or("roll.csv").to_string();
                }
                match field.bytes().await {
                    Ok(data) if name == "csrf" => csrf = String::from_utf8_lossy(&data).into_owned(),
                    Ok(data) if name == "roll" => bytes = data.to_vec(),
                    Ok(_) => {}
                    Err(e) => {
                        return PageError::bad_request(format!("The upload did not arrive whole: {e}")).into_response()
                    }
                }
            }
            Ok(None) => break,
            Err(e) => return PageError::bad_request(format!("The upload did not arrive whole: {e}")).into_response(),
        }
    }
    if let Err(r) = check_csrf(&user, &csrf) {
        return r;
    }
    if let Err(r) = require(&user, user.role.runs_elections(), "import members") {
        return r;
    }
    let election = id.clone();
    let row = match state
        .run(move |conn, _| crate::ops::resolve_election(conn, &election))
        .await
    {
        Ok(r) => r,
        Err(e) => return PageError::from(e).into_response(),
    };
    let columns = roll::column_mapping(&bytes)
        .into_iter()
        .map(|(heading, field)| Column {
            heading,
            used_as: field.map(str::to_string).unwrap_or_else(|| "ignored".into()),
        })
        .collect();
    let (members_read, rows, mut problems, notices) = match roll::parse(&bytes) {
        Ok(r) => {
            let rows = r
                .members
                .iter()
                .take(PREVIEW_ROWS)
                .map(|m| PreviewRow {
                    row: m.row,
                    member_id: m.member_id.clone(),
                    name: m.name.clone(),
                    email: m.email.clone(),
                    weight: m.weight.to_string(),
                })
                .collect();
            (r.members, rows, vec![], r.notices)
        }
        Err(p) => (vec![], vec![], problems_of(&p), vec![]),
    };
    // Ids already on this election's roll are problems too.
    if !members_read.is_empty() {
        let ids: Vec<String> = members_read.iter().map(|m| m.member_id.clone()).collect();
        let election = row.id.clone();
        match state
            .run(move |conn, _| Ok(members::existing_ids(conn, &election, &ids)?))
            .await
        {
            Ok(existing) => {
                for m in members_read.iter().filter(|m| existing.contains(&m.member_id)) {
                    problems.push(Problem {
                        row: m.row.to_string(),
                        message: format!("member id {:?} is already on this election's roll", m.member_id),
                    });
                }
            }
            Err(e) => return PageError::from(e).into_response(),
        }
    }
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        "staff_roll",
        &Page {
            page_title: if problems.is_empty() {
                "Check the roll".into()
            } else {
                "Error: the roll has problems".into()
            },
            election_title: None,
            body: RollPage {
                nav: Nav::of(&user),
                id: row.id.clone(),
                title: row.title.clone(),
                file_name,
                members: members_read.len(),
                columns,
                rows,
                csv_hex: if problems.is_empty() {
                    hex::encode(&bytes)
                } else {
                    String::new()
                },
                problem_count: problems.len(),
                problems,
                notices,
            },
        },
    )
}

/// The confirmation, carrying the previewed file back.
#[derive(Deserialize)]
pub struct Confirm {
    csrf: String,
    csv_hex: String,
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
    let Ok(bytes) = hex::decode(&form.csv_hex) else {
        return PageError::bad_request("The confirmation was damaged; upload the file again.").into_response();
    };
    let actor = user.actor();
    let election = id.clone();
    let result = state
        .run(move |conn, _| {
            let row = crate::ops::resolve_election(conn, &election)?;
            import_roll(conn, &row.id, &bytes, &actor, crate::time::now())
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
        Err(e @ (OpError::Roll(_) | OpError::WrongState { .. })) => PageError::from(e).into_response(),
        Err(e) => PageError::from(e).into_response(),
    }
}
