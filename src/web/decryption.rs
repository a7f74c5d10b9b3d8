//! The trustees' side of the decryption after the close
//! (audit/FORMAT.md §16.7, §16.12): the decryption request
//! to download, and the partial decryption `teller-audit trustee decrypt`
//! writes, to upload — on the trustee's page (`/trustee`, signed in with
//! the access code) or through the API (`Authorization: Bearer CODE`).
//!
//! A refused share is logged with its reason and answered `422` naming
//! what is wrong; a second share from the same trustee, or one after the
//! totals are decrypted, `409`, changing nothing.

use axum::body::{Body, Bytes};
use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde::Serialize;
use teller_audit::trustees::TrusteeIndex;

use super::ceremony::{api_trustee, from_cookie, trustee_page, Trustee};
use super::client::ClientAddr;
use super::error::{ApiError, PageError};
use super::AppState;
use crate::i18n::{t, Arg};
use crate::ops::ceremony::Ceremony;
use crate::ops::decryption::{self, Accepted, Progress};
use crate::ops::OpError;
use crate::time::now;

/// The command a trustee runs, in the folder holding `board.json`, the
/// request and their `teller-trustee` folder.
pub const COMMAND: &str =
    "teller-audit trustee decrypt --board board.json --dir teller-trustee --request request.json --out partial.json";

/// The decryption step as the trustee's page shows it.
#[derive(Serialize, Debug)]
pub struct DecryptionView {
    /// What is decrypted, and by whom.
    intro: String,
    /// "k of K accepted (names)".
    status: String,
    /// The totals are decrypted.
    decrypted: bool,
    /// This trustee's share is accepted.
    yours: bool,
    /// This trustee should decrypt now.
    your_turn: bool,
    command: String,
    /// The aggregate digest the trustees decrypt (its first 16 digits).
    digest: String,
    refusals: Vec<RefusalView>,
}

#[derive(Serialize, Debug)]
struct RefusalView {
    text: String,
}

fn name_of(c: &Ceremony, j: TrusteeIndex) -> String {
    c.named
        .iter()
        .find(|n| n.trustee == j)
        .map_or_else(|| format!("{j}"), |n| format!("{j} ({})", n.name))
}

/// "k of K partial decryptions accepted (trustees …)", in words.
pub fn progress_text(c: &Ceremony, p: &Progress) -> String {
    let who = if p.accepted.is_empty() {
        t("decryption-none-yet", &[])
    } else {
        p.accepted.iter().map(|&j| name_of(c, j)).collect::<Vec<_>>().join(", ")
    };
    t(
        "decryption-progress",
        &[
            ("accepted", (p.accepted.len() as u32).into()),
            ("threshold", p.threshold.into()),
            ("who", Arg::Text(who)),
        ],
    )
}

/// Each refusal, in words: who, the reason logged, what was wrong.
pub fn refusal_texts(c: &Ceremony, p: &Progress) -> Vec<String> {
    p.refusals
        .iter()
        .map(|r| {
            let reason = match r.target {
                Some(target) => format!("{}, target {target}", r.reason),
                None => r.reason.clone(),
            };
            t(
                "decryption-refusal",
                &[
                    ("who", Arg::Text(name_of(c, r.trustee))),
                    ("reason", Arg::Text(reason)),
                    ("detail", Arg::Text(r.detail.clone())),
                ],
            )
        })
        .collect()
}

/// What trustee `j` sees of the decryption.
pub fn view(c: &Ceremony, p: &Progress, j: TrusteeIndex) -> DecryptionView {
    let yours = p.accepted.contains(&j);
    let member = c.outcome().is_some_and(|o| o.member(j).is_some());
    DecryptionView {
        intro: t(
            "decryption-intro",
            &[
                ("ballots", Arg::Num(i64::try_from(p.ballots).unwrap_or(i64::MAX))),
                ("digest", Arg::Text(p.digest.to_hex()[..16].to_string())),
                ("threshold", p.threshold.into()),
            ],
        ),
        status: if p.decrypted {
            t("decryption-done", &[])
        } else {
            progress_text(c, p)
        },
        decrypted: p.decrypted,
        yours,
        your_turn: member && !yours && !p.decrypted,
        command: COMMAND.to_string(),
        digest: p.digest.to_hex()[..16].to_string(),
        refusals: refusal_texts(c, p)
            .into_iter()
            .map(|text| RefusalView { text })
            .collect(),
    }
}

/// Parts of the decryption request waiting to be sent: with pages of about
/// 1.4 MB (`REQUEST_PAGE` ballots), the server holds a few MB of it
/// whatever the number of ballots.
const PAGES_IN_FLIGHT: usize = 2;

/// The decryption request as a download, produced page by page from the
/// database while it is sent (§16.12: about 14 KB a ballot, 1.4 GB for
/// 100,000). What would refuse it (no such election, not closed) is
/// answered before the first byte; a failure after that aborts the
/// connection, so the trustee's file is incomplete and is refused by
/// `teller-audit trustee decrypt`, never a shorter request that looks
/// whole.
async fn request_file(state: &AppState, election: String) -> Result<Response, OpError> {
    let stream = state
        .run(move |conn, _| decryption::RequestStream::open(conn, &election))
        .await?;
    let (parts, body) = tokio::sync::mpsc::channel(PAGES_IN_FLIGHT);
    tokio::spawn(produce(state.clone(), stream, parts));
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"request.json\""),
        ],
        Body::new(ChannelBody(body)),
    )
        .into_response())
}

type Part = Result<Bytes, std::io::Error>;

/// Send the request's parts, each page read on the blocking pool with a
/// connection held only while it is read; stop when the client has gone.
async fn produce(state: AppState, mut stream: decryption::RequestStream, parts: tokio::sync::mpsc::Sender<Part>) {
    if parts.send(Ok(Bytes::from(stream.head()))).await.is_err() {
        return;
    }
    loop {
        let read = state
            .run(move |conn, _| {
                let page = stream.next_page(conn, decryption::REQUEST_PAGE);
                Ok((stream, page))
            })
            .await;
        let (next, page) = match read {
            Ok((s, Ok(page))) => (s, page),
            Ok((_, Err(e))) | Err(e) => return abort(&parts, e).await,
        };
        stream = next;
        let part = match page {
            Some(page) => page,
            None => match stream.tail() {
                Ok(tail) => {
                    let _ = parts.send(Ok(Bytes::from(tail))).await;
                    return;
                }
                Err(e) => return abort(&parts, e).await,
            },
        };
        if parts.send(Ok(Bytes::from(part))).await.is_err() {
            return;
        }
    }
}

/// Log why the request stopped and end the body with an error: the
/// connection is closed without the end of the chunked body, which the
/// client sees as an incomplete download.
async fn abort(parts: &tokio::sync::mpsc::Sender<Part>, e: OpError) {
    tracing::error!(error = %e, "the decryption request stopped part way; the connection is aborted");
    let _ = parts
        .send(Err(std::io::Error::other(
            "the decryption request could not be completed",
        )))
        .await;
}

/// A response body fed by a channel (`http_body::Body`), ending with an
/// error when the producer sends one.
struct ChannelBody(tokio::sync::mpsc::Receiver<Part>);

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        self.0
            .poll_recv(cx)
            .map(|part| part.map(|p| p.map(http_body::Frame::data)))
    }
}

/// `GET /api/v1/elections/{id}/decryption/request`: the decryption request
/// (`teller-decryption-request/1`), once the polls have closed.
pub async fn api_request(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let who = api_trustee(&state, ip, &headers, &id).await?;
    Ok(request_file(&state, who.election).await?)
}

/// `GET /trustee/decryption-request.json`: the same, to download.
pub async fn download(State(state): State<AppState>, ClientAddr(ip): ClientAddr, headers: HeaderMap) -> Response {
    let who = match from_cookie(&state, ip, &headers).await {
        Ok(Some(who)) => who,
        Ok(None) => return Redirect::to("/trustee").into_response(),
        Err(e) => return PageError::from(e).into_response(),
    };
    match request_file(&state, who.election).await {
        Ok(response) => response,
        Err(e) => PageError::from(e).into_response(),
    }
}

async fn post(state: &AppState, t: &Trustee, bytes: Vec<u8>) -> Result<Accepted, OpError> {
    let (election, j) = (t.election.clone(), t.trustee);
    state
        .run(move |conn, _| decryption::post_share(conn, &election, j, &bytes, now()))
        .await
}

/// A refusal that is not the share's fault but its timing: `409`.
fn conflict(e: &OpError) -> bool {
    matches!(
        e,
        OpError::Ceremony {
            code: "duplicate_share" | "decrypted",
            ..
        }
    )
}

/// What an accepted share led to, as JSON.
#[derive(Serialize)]
struct AcceptedBody {
    digest: String,
    accepted: usize,
    threshold: u32,
    decrypted: bool,
}

/// `POST /api/v1/elections/{id}/decryption/partials`: the partial
/// decryption file as `teller-audit trustee decrypt` wrote it. `201` when
/// accepted (and `decrypted` when it completed the decryption); `422`
/// `share_refused` naming the reason and target (logged); `409` for a
/// second share.
pub async fn api_post(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let who = api_trustee(&state, ip, &headers, &id).await?;
    match post(&state, &who, body.to_vec()).await {
        Ok(a) => Ok((
            StatusCode::CREATED,
            Json(AcceptedBody {
                digest: a.digest.to_hex(),
                accepted: a.accepted,
                threshold: a.threshold,
                decrypted: a.decrypted,
            }),
        )
            .into_response()),
        Err(OpError::Ceremony { code, message }) if matches!(code, "duplicate_share" | "decrypted") => {
            Err(ApiError::conflict(code, message))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /trustee/decryption`: the partial decryption file, from the page.
pub async fn upload(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    headers: HeaderMap,
    mut form: Multipart,
) -> Response {
    let who = match from_cookie(&state, ip, &headers).await {
        Ok(Some(who)) => who,
        Ok(None) => return Redirect::to("/trustee").into_response(),
        Err(e) => return PageError::from(e).into_response(),
    };
    let mut bytes = Vec::new();
    let broken = || Some(t_("trustee-broken-upload"));
    loop {
        match form.next_field().await {
            Ok(Some(mut field)) if field.name() == Some("partial") => loop {
                match field.chunk().await {
                    Ok(Some(chunk)) if bytes.len() + chunk.len() <= decryption::MAX_SHARE_BYTES => {
                        bytes.extend_from_slice(&chunk)
                    }
                    Ok(Some(_)) => {
                        return trustee_page(&state, &who, None, Some(t_("decryption-too-large"))).await;
                    }
                    Ok(None) => break,
                    Err(_) => return trustee_page(&state, &who, None, broken()).await,
                }
            },
            Ok(Some(_)) => continue,
            Ok(None) => break,
            Err(_) => return trustee_page(&state, &who, None, broken()).await,
        }
    }
    if bytes.is_empty() {
        return trustee_page(&state, &who, None, Some(t_("decryption-no-file"))).await;
    }
    match post(&state, &who, bytes).await {
        Ok(a) => {
            let key = if a.decrypted {
                "decryption-accepted-decrypted"
            } else {
                "decryption-accepted"
            };
            let notice = t(key, &[("digest", Arg::Text(a.digest.to_hex()[..16].to_string()))]);
            trustee_page(&state, &who, Some(notice), None).await
        }
        Err(e) if !e.is_internal() => {
            let (_, code) = super::error::classify(&e);
            let mut page = trustee_page(&state, &who, None, Some(format!("{e} ({code})"))).await;
            if conflict(&e) && page.status() == StatusCode::UNPROCESSABLE_ENTITY {
                *page.status_mut() = StatusCode::CONFLICT;
            }
            page
        }
        Err(e) => PageError::from(e).into_response(),
    }
}

fn t_(key: &str) -> String {
    t(key, &[])
}
