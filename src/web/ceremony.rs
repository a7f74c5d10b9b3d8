//! The trustees' side of the key ceremony (audit/FORMAT.md
//! §16.1–§16.5): the trustee's page (`/trustee`), which shows the
//! ceremony's progress and the `teller-audit trustee` command to run next,
//! offers the board file and takes the message file it writes; and the
//! same as JSON (`/api/v1/elections/{id}/ceremony`), for trustees who script
//! it. Works without JavaScript.
//!
//! A trustee is known by the access code staff handed them when naming
//! them (`ops::ceremony::name_trustee`): on the page it travels in an
//! HttpOnly, SameSite=Strict cookie after sign-in (so a page of another
//! site cannot post in the trustee's name), in the API as
//! `Authorization: Bearer CODE`. Codes that do not work count against the
//! client's failed-attempt limits (`super::limits`: per client address,
//! and for trustee codes as a whole), as voting codes do. Unlike a voting
//! code, a trustee code is not let through a client's lockout: a handful
//! of trustees can wait out ten minutes, and their codes guard the
//! election's key, so from a locked-out client every trustee code, even a
//! right one, is refused until the lockout ends, on the sign-in form, in
//! the cookie of a signed-in page and on the API alike. Other clients are
//! not affected.

use axum::body::Bytes;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use serde::{Deserialize, Serialize};
use teller_audit::trustees::board::{list, Board, Phase};
use teller_audit::trustees::envelope::Round;
use teller_audit::trustees::TrusteeIndex;

use super::client::ClientAddr;
use super::error::{ApiError, PageError};
use super::pages::{render, Page};
use super::AppState;
use crate::ops::ceremony::{self, Ceremony, Posted};
use crate::ops::OpError;
use crate::store::elections;
use crate::time::now;

/// The cookie holding a signed-in trustee's access code.
pub const COOKIE: &str = "teller_trustee";

/// The failed-attempt limits' target for trustee codes.
const TARGET: &str = "trustee";

fn set_cookie(state: &AppState, code: &str) -> HeaderValue {
    let secure = if state.https() { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE}={code}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("teller_trustee=; Path=/; Max-Age=0"))
}

fn clear_cookie() -> HeaderValue {
    HeaderValue::from_static("teller_trustee=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// A signed-in trustee: which election, which index.
pub(super) struct Trustee {
    pub(super) election: String,
    pub(super) trustee: TrusteeIndex,
}

/// Who an access code belongs to; a code that opens nothing counts as a
/// failed attempt.
async fn who(state: &AppState, ip: std::net::IpAddr, code: &str) -> Result<Option<Trustee>, OpError> {
    let code = code.to_string();
    let found = state.run(move |conn, _| ceremony::trustee_of(conn, &code)).await?;
    if found.is_none() {
        state.limiter().failed(ip, TARGET);
    }
    Ok(found.map(|(election, trustee)| Trustee { election, trustee }))
}

// ---------------------------------------------------------------- the API

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The trustee the request's bearer code names, for election `id`.
pub(super) async fn api_trustee(
    state: &AppState,
    ip: std::net::IpAddr,
    headers: &HeaderMap,
    id: &str,
) -> Result<Trustee, ApiError> {
    if let Err(wait) = state.limiter().check(ip, TARGET) {
        return Err(ApiError::too_many("trustee access codes", wait));
    }
    let forbidden = || {
        ApiError::forbidden(
            "unknown_trustee_code",
            "send the access code staff gave you when they named you a trustee, as Authorization: Bearer CODE, for this election",
        )
    };
    let Some(code) = bearer(headers) else {
        return Err(forbidden());
    };
    match who(state, ip, code).await? {
        Some(t) if t.election == id => Ok(t),
        Some(_) => {
            state.limiter().failed(ip, TARGET);
            Err(forbidden())
        }
        None => Err(forbidden()),
    }
}

/// `GET /api/v1/elections/{id}/ceremony`: the board file (§16.12), which
/// `teller-audit trustee` reads.
pub async fn api_board(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let t = api_trustee(&state, ip, &headers, &id).await?;
    let file = board_file(&state, t.election).await?;
    Ok(Json(file).into_response())
}

async fn board_file(state: &AppState, election: String) -> Result<teller_audit::trustees::files::BoardFile, OpError> {
    state
        .run(move |conn, _| {
            let c = ceremony::load(conn, &election)?
                .ok_or_else(|| OpError::Refused("this election has no trustees".into()))?;
            match c.board {
                Some((file, _)) => Ok(file),
                None => Err(not_ready(&c)),
            }
        })
        .await
}

fn not_ready(c: &Ceremony) -> OpError {
    OpError::Ceremony {
        code: "not_ready",
        message: format!(
            "staff have named {} of the {} trustees; the board opens when all are named",
            c.named.len(),
            c.params.trustees
        ),
    }
}

/// What an accepted message led to, as JSON.
#[derive(Serialize)]
struct PostedBody {
    digest: String,
    exclusions: Vec<teller_audit::trustees::files::ExclusionEntry>,
    completed: bool,
    failed: Option<String>,
}

impl From<Posted> for PostedBody {
    fn from(p: Posted) -> Self {
        PostedBody {
            digest: p.digest.to_hex(),
            exclusions: p.exclusions.iter().map(Into::into).collect(),
            completed: p.completed,
            failed: p.failed,
        }
    }
}

/// `POST /api/v1/elections/{id}/ceremony/messages`: a message file as
/// `teller-audit trustee` wrote it. `201` with its digest when accepted;
/// `422` with the refusal's name (`bad_signature`, `out_of_turn`, …)
/// otherwise, and nothing changed.
pub async fn api_post(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let t = api_trustee(&state, ip, &headers, &id).await?;
    let posted = state
        .run(move |conn, _| ceremony::post(conn, &t.election, t.trustee, &body, now()))
        .await?;
    Ok((StatusCode::CREATED, Json(PostedBody::from(posted))).into_response())
}

// ---------------------------------------------------------------- the page

/// What the trustee's page shows.
#[derive(Serialize, Default)]
struct TrusteePage {
    signed_in: bool,
    /// Sign-in failed: why.
    error: Option<String>,
    election_title: String,
    trustee: u32,
    name: String,
    trustees: u32,
    threshold: u32,
    /// Every trustee, with where they are.
    roster: Vec<RosterRow>,
    /// Some trustee has registered a key: show the fingerprints' column.
    fingerprints: bool,
    /// What happens now, in words.
    status: String,
    /// The command to run next, if it is this trustee's turn.
    command: Option<String>,
    /// The file name the command writes, to upload.
    upload: bool,
    complete: bool,
    joint_key: Option<String>,
    /// The result of an upload.
    notice: Option<String>,
    refused: Option<String>,
    /// After the close: the decryption step (§16.7).
    decryption: Option<super::decryption::DecryptionView>,
}

#[derive(Serialize)]
struct RosterRow {
    trustee: u32,
    name: String,
    state: String,
    /// The fingerprint of the signing key the trustee registered (the one
    /// `teller-audit trustee keygen` printed them), once they have, for
    /// trustees to compare with each other out of band (docs/TRUSTEES.md).
    fingerprint: Option<String>,
}

/// Trustee `j`'s signing-key fingerprint on `board`, if they registered:
/// `PublicKey::fingerprint`, as `keygen` prints it.
pub fn key_fingerprint(board: &Board, j: TrusteeIndex) -> Option<String> {
    board.registration(j).map(|r| r.signing_key.fingerprint())
}

fn page(status: StatusCode, body: TrusteePage) -> Response {
    let title = if body.signed_in {
        crate::i18n::t("trustee-title", &[])
    } else {
        crate::i18n::t("trustee-sign-in-title", &[])
    };
    let title = if body.error.is_some() || body.refused.is_some() {
        format!("{} {title}", crate::i18n::t("error-prefix", &[]))
    } else {
        title
    };
    render(
        status,
        "trustee",
        &Page {
            page_title: title,
            election_title: None,
            body,
        },
    )
}

/// The page for trustee `t`, with a notice or a refusal.
pub(super) async fn trustee_page(
    state: &AppState,
    t: &Trustee,
    notice: Option<String>,
    refused: Option<String>,
) -> Response {
    let (election, j) = (t.election.clone(), t.trustee);
    let loaded = state
        .run(move |conn, _| {
            let row = elections::find(conn, &election)?.ok_or_else(|| OpError::NoSuchElection(election.clone()))?;
            let c = ceremony::load(conn, &election)?
                .ok_or_else(|| OpError::Refused("this election has no trustees".into()))?;
            let progress = crate::ops::decryption::progress(conn, &election)?;
            Ok((row, c, progress))
        })
        .await;
    let (row, c, progress) = match loaded {
        Ok(v) => v,
        Err(e) => return PageError::from(e).into_response(),
    };
    let status = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut body = view(&c, j);
    body.decryption = progress.map(|p| super::decryption::view(&c, &p, j));
    body.election_title = row.title;
    body.notice = notice;
    body.refused = refused;
    page(status, body)
}

/// What trustee `j` sees of ceremony `c`.
fn view(c: &Ceremony, j: TrusteeIndex) -> TrusteePage {
    use crate::i18n::{t, Arg};
    let name = c
        .named
        .iter()
        .find(|n| n.trustee == j)
        .map(|n| n.name.clone())
        .unwrap_or_default();
    let mut body = TrusteePage {
        signed_in: true,
        trustee: j,
        name,
        trustees: c.params.trustees,
        threshold: c.params.threshold,
        ..TrusteePage::default()
    };
    let Some((_, board)) = &c.board else {
        body.status = t(
            "trustee-status-naming",
            &[("named", c.named.len().into()), ("total", c.params.trustees.into())],
        );
        body.roster = c
            .named
            .iter()
            .map(|n| RosterRow {
                trustee: n.trustee,
                name: n.name.clone(),
                state: t("trustee-state-named", &[]),
                fingerprint: None,
            })
            .collect();
        return body;
    };
    body.roster = c
        .named
        .iter()
        .map(|n| RosterRow {
            trustee: n.trustee,
            name: n.name.clone(),
            state: roster_state(board, n.trustee),
            fingerprint: key_fingerprint(board, n.trustee),
        })
        .collect();
    body.fingerprints = body.roster.iter().any(|r| r.fingerprint.is_some());
    let dir = "teller-trustee";
    let attempt = board.attempt();
    let phase = board.phase();
    if board.is_excluded(j) {
        body.status = t("trustee-status-excluded", &[]);
    } else if let Some(outcome) = board.outcome() {
        body.complete = true;
        body.joint_key = Some(outcome.joint_key.to_hex());
        body.status = t("trustee-status-complete", &[]);
    } else if let Some(why) = board.failure() {
        body.status = t("trustee-status-failed", &[("why", Arg::Text(why.to_string()))]);
    } else if let Some(round) = phase.round() {
        let awaiting = board.awaiting();
        if awaiting.contains(&j) {
            let (cmd, file) = match round {
                Round::Register => (
                    format!("keygen --board board.json --trustee {j} --dir {dir}"),
                    "register.json".to_string(),
                ),
                Round::Commit => (
                    format!("share --board board.json --dir {dir}"),
                    format!("commit-{attempt}.json"),
                ),
                Round::Deal => (
                    format!("share --board board.json --dir {dir}"),
                    format!("deal-{attempt}.json"),
                ),
                Round::Check => (
                    format!("check --board board.json --dir {dir}"),
                    format!("check-{attempt}.json"),
                ),
                _ => (
                    format!("finish --board board.json --dir {dir}"),
                    format!("finish-{attempt}.json"),
                ),
            };
            body.command = Some(format!("teller-audit trustee {cmd} --out {file}"));
            body.upload = true;
            body.status = t(
                "trustee-status-your-turn",
                &[
                    ("round", Arg::Text(round.name().to_string())),
                    ("attempt", attempt.into()),
                ],
            );
        } else {
            body.status = t(
                "trustee-status-waiting",
                &[
                    ("round", Arg::Text(round.name().to_string())),
                    ("who", Arg::Text(list(&awaiting))),
                ],
            );
        }
    }
    body
}

fn roster_state(board: &Board, j: TrusteeIndex) -> String {
    use crate::i18n::t;
    if let Some(x) = board.exclusions().iter().find(|x| x.trustee == j) {
        return t(
            "trustee-state-excluded",
            &[("rule", crate::i18n::Arg::Text(x.rule.name().to_string()))],
        );
    }
    match board.phase() {
        Phase::Complete => t("trustee-state-done", &[]),
        Phase::Failed => t("trustee-state-failed", &[]),
        phase => match phase.round() {
            Some(round) if board.has_posted(j, round) => t("trustee-state-posted", &[]),
            Some(_) => t("trustee-state-awaited", &[]),
            None => String::new(),
        },
    }
}

/// The signed-in trustee, from the cookie, if its code still works and
/// the client is not locked out (a cookie is as much a guess as the form:
/// without this, codes could be tried through it without limit). `None`
/// sends the client to `/trustee`, which says why.
pub(super) async fn from_cookie(
    state: &AppState,
    ip: std::net::IpAddr,
    headers: &HeaderMap,
) -> Result<Option<Trustee>, OpError> {
    if state.limiter().check(ip, TARGET).is_err() {
        return Ok(None);
    }
    match super::cookie(headers, COOKIE) {
        Some(code) => who(state, ip, &code).await,
        None => Ok(None),
    }
}

/// The sign-in form of a client that is locked out: `429`, saying for how
/// long and that even a right code is refused meanwhile, with `Retry-After`.
fn locked_out(wait: std::time::Duration) -> Response {
    let mut res = page(
        StatusCode::TOO_MANY_REQUESTS,
        TrusteePage {
            error: Some(crate::i18n::t(
                "trustee-too-many",
                &[("wait", super::limits::minutes_text(wait).into())],
            )),
            ..TrusteePage::default()
        },
    );
    res.headers_mut()
        .insert(header::RETRY_AFTER, super::limits::retry_after(wait));
    res
}

/// `GET /trustee`: the trustee's page, or the sign-in form.
pub async fn show(State(state): State<AppState>, ClientAddr(ip): ClientAddr, headers: HeaderMap) -> Response {
    if let Err(wait) = state.limiter().check(ip, TARGET) {
        return locked_out(wait);
    }
    match from_cookie(&state, ip, &headers).await {
        Ok(Some(t)) => trustee_page(&state, &t, None, None).await,
        Ok(None) => page(StatusCode::OK, TrusteePage::default()),
        Err(e) => PageError::from(e).into_response(),
    }
}

/// The sign-in form.
#[derive(Deserialize)]
pub struct SignIn {
    code: String,
}

/// `POST /trustee`: sign in with the access code.
pub async fn sign_in(State(state): State<AppState>, ClientAddr(ip): ClientAddr, Form(form): Form<SignIn>) -> Response {
    if let Err(wait) = state.limiter().check(ip, TARGET) {
        return locked_out(wait);
    }
    match who(&state, ip, &form.code).await {
        Ok(Some(_)) => {
            let code = crate::domain::token::Token::parse(&form.code)
                .map(|t| t.as_str().to_string())
                .unwrap_or_default();
            (
                StatusCode::SEE_OTHER,
                [(header::SET_COOKIE, set_cookie(&state, &code))],
                Redirect::to("/trustee"),
            )
                .into_response()
        }
        Ok(None) => page(
            StatusCode::FORBIDDEN,
            TrusteePage {
                error: Some(crate::i18n::t("trustee-code-unknown", &[])),
                ..TrusteePage::default()
            },
        ),
        Err(e) => PageError::from(e).into_response(),
    }
}

/// `POST /trustee/sign-out`.
pub async fn sign_out() -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::SET_COOKIE, clear_cookie())],
        Redirect::to("/trustee"),
    )
        .into_response()
}

/// `GET /trustee/board.json`: the board file, to download.
pub async fn download(State(state): State<AppState>, ClientAddr(ip): ClientAddr, headers: HeaderMap) -> Response {
    let t = match from_cookie(&state, ip, &headers).await {
        Ok(Some(t)) => t,
        Ok(None) => return Redirect::to("/trustee").into_response(),
        Err(e) => return PageError::from(e).into_response(),
    };
    match board_file(&state, t.election).await {
        Ok(file) => {
            let bytes = serde_json::to_vec_pretty(&file).unwrap_or_default();
            (
                [
                    (header::CONTENT_TYPE, "application/json"),
                    (header::CONTENT_DISPOSITION, "attachment; filename=\"board.json\""),
                ],
                bytes,
            )
                .into_response()
        }
        Err(e) => PageError::from(e).into_response(),
    }
}

/// `POST /trustee/message`: the message file `teller-audit trustee` wrote.
pub async fn upload(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    headers: HeaderMap,
    mut form: Multipart,
) -> Response {
    let t = match from_cookie(&state, ip, &headers).await {
        Ok(Some(t)) => t,
        Ok(None) => return Redirect::to("/trustee").into_response(),
        Err(e) => return PageError::from(e).into_response(),
    };
    let mut bytes = Vec::new();
    loop {
        match form.next_field().await {
            Ok(Some(mut field)) if field.name() == Some("message") => loop {
                match field.chunk().await {
                    Ok(Some(chunk)) if bytes.len() + chunk.len() <= ceremony::MAX_MESSAGE_BYTES => {
                        bytes.extend_from_slice(&chunk)
                    }
                    Ok(Some(_)) => {
                        let refused = crate::i18n::t("trustee-too-large", &[]);
                        return trustee_page(&state, &t, None, Some(refused)).await;
                    }
                    Ok(None) => break,
                    Err(_) => {
                        return trustee_page(&state, &t, None, Some(crate::i18n::t("trustee-broken-upload", &[]))).await
                    }
                }
            },
            Ok(Some(_)) => continue,
            Ok(None) => break,
            Err(_) => return trustee_page(&state, &t, None, Some(crate::i18n::t("trustee-broken-upload", &[]))).await,
        }
    }
    if bytes.is_empty() {
        return trustee_page(&state, &t, None, Some(crate::i18n::t("trustee-no-file", &[]))).await;
    }
    let (election, j) = (t.election.clone(), t.trustee);
    let result = state
        .run(move |conn, _| ceremony::post(conn, &election, j, &bytes, now()))
        .await;
    match result {
        Ok(p) => {
            let notice = crate::i18n::t(
                "trustee-accepted",
                &[("digest", crate::i18n::Arg::Text(p.digest.to_hex()[..16].to_string()))],
            );
            trustee_page(&state, &t, Some(notice), None).await
        }
        Err(e) if !e.is_internal() => {
            let (_, code) = super::error::classify(&e);
            trustee_page(&state, &t, None, Some(format!("{e} ({code})"))).await
        }
        Err(e) => PageError::from(e).into_response(),
    }
}
