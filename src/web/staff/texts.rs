//! The election's own texts in Spanish (`/staff/elections/{id}/texts/es`):
//! every title, introduction, description and candidate statement beside a
//! field for its translation, saved while the election is a draft
//! (domain::texts; store::texts). Member pages in that language show them.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Serialize;

use super::{authorised, require, signed_in, Nav, StaffUser};
use crate::domain::lifecycle::State as Lifecycle;
use crate::domain::texts;
use crate::i18n::Lang;
use crate::ops::{resolve_election, OpError};
use crate::web::error::PageError;
use crate::web::pages::{render, Page};
use crate::web::AppState;

#[derive(Serialize)]
struct Field {
    key: String,
    label: String,
    original: String,
    value: String,
    long: bool,
    n: usize,
}

#[derive(Serialize)]
struct TextsPage {
    nav: Nav,
    id: String,
    title: String,
    lang: &'static str,
    language: &'static str,
    fields: Vec<Field>,
    draft: bool,
    notice: Option<String>,
    error: Option<String>,
}

fn language(code: &str) -> Result<Lang, Response> {
    Lang::from_code(code)
        .filter(|l| l.code() == code && *l != Lang::En)
        .ok_or_else(|| PageError::not_found().into_response())
}

async fn page(
    state: &AppState,
    user: &StaffUser,
    id: String,
    lang: Lang,
    entered: Option<BTreeMap<String, String>>,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let loaded = state
        .run(move |conn, _| {
            let row = resolve_election(conn, &id)?;
            let saved = crate::store::texts::load(conn, &row.id, lang)?;
            Ok((row, saved))
        })
        .await;
    let (row, saved) = match loaded {
        Ok(v) => v,
        Err(e) => return PageError::from(e).into_response(),
    };
    let (def, draft) = match (row.definition(), row.state()) {
        (Ok(d), Ok(s)) => (d, s == Lifecycle::Draft),
        (Err(e), _) => return PageError::from(OpError::from(e)).into_response(),
        (_, Err(e)) => return PageError::from(OpError::from(e)).into_response(),
    };
    let values = entered.unwrap_or(saved);
    let fields = texts::translatable(&def)
        .into_iter()
        .enumerate()
        .map(|(n, t)| Field {
            value: values.get(&t.key).cloned().unwrap_or_default(),
            key: t.key,
            label: t.label,
            original: t.original,
            long: t.long,
            n,
        })
        .collect();
    render(
        status,
        "staff_texts",
        &Page {
            page_title: format!("{}: {}", lang.name(), row.title),
            election_title: None,
            body: TextsPage {
                nav: Nav::of(user),
                id: row.id.clone(),
                title: row.title.clone(),
                lang: lang.code(),
                language: lang.name(),
                fields,
                draft,
                notice,
                error,
            },
        },
    )
}

/// `GET /staff/elections/{id}/texts/{lang}`.
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, code)): Path<(String, String)>,
) -> Response {
    let user = match signed_in(&state, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    if let Err(r) = require(&user, user.role.runs_elections(), "translate elections") {
        return r;
    }
    match language(&code) {
        Ok(lang) => page(&state, &user, id, lang, None, None, None).await,
        Err(r) => r,
    }
}

/// `POST /staff/elections/{id}/texts/{lang}`: save every translation at
/// once (fields `t.KEY`), while the election is a draft.
pub async fn save(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, code)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let csrf = fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    let user = match authorised(
        &state,
        &headers,
        csrf,
        crate::domain::roles::Role::runs_elections,
        "translate elections",
    )
    .await
    {
        Ok(u) => u,
        Err(r) => return r,
    };
    let lang = match language(&code) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let entered: BTreeMap<String, String> = fields
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("t.")
                .map(|key| (key.to_string(), v.replace("\r\n", "\n")))
        })
        .collect();
    let to_save = entered.clone();
    let actor = user.actor();
    let election = id.clone();
    let result = state
        .run(move |conn, _| {
            crate::db::write_tx(conn, |conn| {
                let (_head, row) = crate::ops::lock_election(conn, &election)?;
                crate::ops::require_state(&row, Lifecycle::Draft, "translating the ballot")?;
                let def = row.definition().map_err(OpError::from)?;
                texts::check(&def, &to_save).map_err(OpError::Refused)?;
                crate::store::texts::save(conn, &row.id, lang, &to_save)?;
                Ok::<_, OpError>(())
            })
        })
        .await;
    match result {
        Ok(()) => {
            tracing::info!(election = %id, lang = lang.code(), actor, "election texts translated");
            let notice = format!("The {} texts are saved.", lang.name());
            page(&state, &user, id, lang, None, Some(notice), None).await
        }
        Err(e) if !e.is_internal() => page(&state, &user, id, lang, Some(entered), None, Some(e.to_string())).await,
        Err(e) => PageError::from(e).into_response(),
    }
}
