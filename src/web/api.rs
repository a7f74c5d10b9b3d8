//! The JSON API beside the HTML (documented in `docs/API.md`).

use std::collections::BTreeMap;

use axum::extract::{FromRequest, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use teller_audit::crypto::Digest;
use teller_audit::definition::{options, Method};

use super::client::ClientAddr;
use super::error::ApiError;
use super::limits::retry_after;
use super::AppState;
use crate::domain::token::Token;
use crate::ops::cast::{token_status, CastRequest};
use crate::ops::record::{write_record, ExportError};
use crate::ops::status::status;
use crate::ops::{resolve_public_election, OpError};
use crate::store::members::TokenStatus;
use crate::store::{ballots, elections, log as logstore};

/// A JSON body whose rejection is answered in the API's own error format.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => {
                let status = rejection.status();
                let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
                    "too_large"
                } else {
                    "invalid_request"
                };
                let mut res = ApiError::bad_request(code, rejection.body_text()).into_response();
                *res.status_mut() = status;
                Err(res)
            }
        }
    }
}

#[derive(Serialize)]
struct Summary {
    id: String,
    title: String,
    state: String,
}

/// `GET /api/v1/elections`.
pub async fn list(State(state): State<AppState>) -> Result<Response, ApiError> {
    let rows = state.run(|conn, _| Ok(elections::list(conn)?)).await?;
    // Drafts are the staff's alone.
    let list: Vec<Summary> = rows
        .into_iter()
        .filter(|r| r.state != "draft")
        .map(|r| Summary {
            id: r.id,
            title: r.title,
            state: r.state,
        })
        .collect();
    Ok(Json(list).into_response())
}

#[derive(Serialize)]
struct OptionView {
    id: String,
    name: String,
}

#[derive(Serialize)]
struct ContestView {
    id: String,
    title: String,
    description: String,
    method: &'static str,
    seats: u32,
    options: Vec<OptionView>,
    rules: Method,
}

#[derive(Serialize)]
struct Turnout {
    eligible: u64,
    voted_as_of_last_seal: u64,
    seals: u64,
    last_seal_at: i64,
}

#[derive(Serialize)]
struct ElectionView {
    id: String,
    title: String,
    description: String,
    state: String,
    opens_at: Option<i64>,
    closes_at: Option<i64>,
    /// IANA name of the zone its times are shown in.
    time_zone: String,
    public_key: String,
    contests: Vec<ContestView>,
    turnout: Turnout,
}

/// `GET /api/v1/elections/{id}`.
pub async fn election(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let s = state
        .run(move |conn, _| {
            let id = resolve_public_election(conn, &id)?.id;
            status(conn, &id)
        })
        .await?;
    let def = s.election.definition().map_err(OpError::from)?;
    Ok(Json(ElectionView {
        id: s.election.id.clone(),
        title: def.title.clone(),
        description: def.description.clone(),
        state: s.state.as_str().into(),
        opens_at: s.election.opens_at,
        closes_at: s.election.closes_at,
        time_zone: s.election.zone().name().to_string(),
        public_key: s.election.public_key.clone(),
        contests: def
            .contests
            .iter()
            .map(|c| ContestView {
                id: c.id.clone(),
                title: c.title.clone(),
                description: c.description.clone(),
                method: c.method.name(),
                seats: c.seats,
                options: options(c)
                    .into_iter()
                    .map(|(id, name)| OptionView { id, name })
                    .collect(),
                rules: c.method.clone(),
            })
            .collect(),
        turnout: Turnout {
            eligible: s.eligible,
            voted_as_of_last_seal: s.voted_as_of_last_seal,
            seals: s.seals,
            last_seal_at: s.last_seal_at,
        },
    })
    .into_response())
}

/// The body of a cast.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CastBody {
    token: String,
    /// A plain election's choices.
    #[serde(default)]
    choices: Option<BTreeMap<String, Vec<String>>>,
    /// An encrypted election's ballot (`teller-encrypted-ballot/1`), kept
    /// as sent so that it is read strictly (a repeated member is refused).
    #[serde(default)]
    ballot: Option<Box<serde_json::value::RawValue>>,
}

/// A code that did not work, through the API: counted against the client
/// and the election; a client already over its limits gets, after a pause,
/// `429` with `Retry-After` instead of `error`.
async fn failed_code(
    state: &AppState,
    ip: std::net::IpAddr,
    id: &str,
    limited: Option<std::time::Duration>,
    error: ApiError,
) -> Result<Response, ApiError> {
    state.limiter().failed(ip, id);
    let Some(wait) = limited else {
        state.metrics().refused(crate::web::metrics::Refusal::BadCode);
        return Err(error);
    };
    state.metrics().refused(crate::web::metrics::Refusal::RateLimited);
    tokio::time::sleep(state.limiter().refusal_delay()).await;
    let mut res = ApiError::too_many("voting codes", wait).into_response();
    res.headers_mut()
        .insert(axum::http::header::RETRY_AFTER, retry_after(wait));
    Ok(res)
}

/// `POST /api/v1/elections/{id}/ballots`: 201 with the signed receipt.
///
/// The guessing limits refuse codes that do not work, never a valid one: a
/// client over its limits has its code checked first (a lookup, no cast) and
/// casts if the code is valid and unused.
pub async fn cast(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CastBody>,
) -> Result<Response, ApiError> {
    let limited = state.limiter().check(ip, &id).err();
    // A malformed token is as unknown as a well-formed one nobody holds.
    let Ok(token) = Token::parse(&body.token) else {
        return failed_code(&state, ip, &id, limited, OpError::UnknownToken.into()).await;
    };
    if limited.is_some() {
        let t = token.clone();
        let status = state.run(move |conn, secret| token_status(conn, secret, &t)).await?;
        match status {
            TokenStatus::Known { election, voted: false } if election == id => {}
            TokenStatus::Known { election, voted: true } if election == id => {
                state.limiter().failed(ip, &id);
                state.metrics().refused(crate::web::metrics::Refusal::UsedCode);
                return Err(OpError::TokenUsed.into());
            }
            _ => return failed_code(&state, ip, &id, limited, OpError::UnknownToken.into()).await,
        }
    }
    let result = match (body.ballot, body.choices) {
        (Some(ballot), None) => {
            state
                .cast_encrypted(&id, token, ballot.get().as_bytes().to_vec(), false)
                .await
        }
        (None, choices) => {
            state
                .cast(CastRequest {
                    election: id.clone(),
                    token,
                    choices: choices.unwrap_or_default(),
                    confirm: false,
                })
                .await
        }
        (Some(_), Some(_)) => Err(OpError::Refused(
            "a cast has either `choices` (a plain election) or `ballot` (an encrypted one), not both; nothing was cast"
                .into(),
        )),
    };
    match result {
        Ok(receipt) => Ok((StatusCode::CREATED, Json(receipt)).into_response()),
        Err(e @ (OpError::UnknownToken | OpError::TokenUsed)) => {
            state.limiter().failed(ip, &id);
            Err(e.into())
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /api/v1/elections/{id}/record`: the record; ballots and tally once tallied.
pub async fn record(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let bytes = state
        .run(move |conn, _| {
            let id = resolve_public_election(conn, &id)?.id;
            let mut bytes = Vec::new();
            match write_record(conn, &id, &mut bytes) {
                Ok(_) => Ok(bytes),
                Err(ExportError::Op(e)) => Err(e),
                Err(ExportError::Io(e)) => Err(OpError::from(crate::store::StoreError::from(crate::store::corrupt(e)))),
            }
        })
        .await?;
    Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], bytes).into_response())
}

/// `GET /api/v1/elections/{id}/results`: the tally, once made.
pub async fn results(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let s = state
        .run(move |conn, _| {
            let id = resolve_public_election(conn, &id)?.id;
            status(conn, &id)
        })
        .await?;
    match (&s.election.tally, s.state.results_public()) {
        (Some(t), true) => {
            let value: serde_json::Value = serde_json::from_str(t)
                .map_err(|e| ApiError::from(OpError::from(crate::store::StoreError::from(crate::store::corrupt(e)))))?;
            Ok(Json(value).into_response())
        }
        _ => Err(ApiError::conflict(
            "not_tallied",
            "results are published once the polls have closed and the ballots are counted",
        )),
    }
}

#[derive(Serialize)]
struct TrackerView {
    tracker: String,
    status: &'static str,
    seal: Option<i64>,
}

/// `GET /api/v1/elections/{id}/trackers/{tracker}`: whether a ballot is sealed.
pub async fn tracker(
    State(state): State<AppState>,
    Path((id, tracker)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let digest = Digest::from_hex(&tracker.to_ascii_lowercase())
        .map_err(|_| ApiError::bad_request("invalid_tracker", "a tracker is 64 hex digits"))?;
    let seal = state
        .run(move |conn, _| {
            let row = resolve_public_election(conn, &id)?;
            Ok(ballots::seal_of(conn, &row.id, &digest)?)
        })
        .await?;
    let (status, seal) = match seal {
        Some(Some(k)) => ("sealed", Some(k)),
        Some(None) => ("awaiting_seal", None),
        None => ("not_found", None),
    };
    Ok(Json(TrackerView {
        tracker: digest.to_hex(),
        status,
        seal,
    })
    .into_response())
}

/// `GET /api/v1/elections/{id}/checkpoint`: the newest signed checkpoint.
pub async fn checkpoint(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let cp = state
        .run(move |conn, _| {
            let row = resolve_public_election(conn, &id)?;
            Ok(logstore::latest_checkpoint(conn, &row.id)?)
        })
        .await?;
    match cp {
        Some(cp) => Ok(Json(cp).into_response()),
        None => Err(ApiError::not_found(
            "no checkpoint has been signed yet: the polls have not opened",
        )),
    }
}

/// Run `f` on the public election `id` with this instance's tree cache and
/// the host its tree checkpoints name (`ops::tree`).
async fn with_tree<T, F>(state: &AppState, id: String, f: F) -> Result<T, OpError>
where
    F: FnOnce(
            &mut crate::db::AnyConnection,
            &crate::secrets::MasterSecret,
            &crate::ops::tree::Trees,
            &elections::ElectionRow,
            &str,
        ) -> Result<T, OpError>
        + Send
        + 'static,
    T: Send + 'static,
{
    let shared = state.clone();
    state
        .run(move |conn, secret| {
            let row = resolve_public_election(conn, &id)?;
            let host = crate::ops::tree::host_of(shared.public_url());
            f(conn, secret, shared.trees(), &row, host)
        })
        .await
}

/// `GET /api/v1/elections/{id}/log/checkpoint`: the newest tree checkpoint
/// (audit/FORMAT.md §6a), a signed note in the C2SP format.
pub async fn tree_checkpoint(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let note = with_tree(&state, id, crate::ops::tree::checkpoint_note).await?;
    match note {
        Some(note) => Ok(([(axum::http::header::CONTENT_TYPE, "text/plain; charset=utf-8")], note).into_response()),
        None => Err(ApiError::not_found(
            "no checkpoint has been signed yet: the polls have not opened",
        )),
    }
}

#[derive(Deserialize)]
pub struct ProofQuery {
    /// The seal the receipt promised, when not the one that sealed the ballot.
    #[serde(default)]
    seal: Option<String>,
}

/// A query parameter that is a count: decimal digits only, at most 18 of
/// them; anything else is a JSON `400 invalid_query` naming the parameter.
fn count_param(name: &str, value: &str) -> Result<u64, ApiError> {
    let digits = !value.is_empty() && value.len() <= 18 && value.bytes().all(|b| b.is_ascii_digit());
    match value.parse::<u64>() {
        Ok(n) if digits => Ok(n),
        _ => Err(ApiError::bad_request(
            "invalid_query",
            format!("{name} must be a whole number, such as {name}=3; found {value:?}"),
        )),
    }
}

/// `GET /api/v1/elections/{id}/receipts/{tracker}/proof[?seal=N]`: the
/// receipt's inclusion proof (audit/FORMAT.md §7a), once its ballot is
/// sealed; `teller-audit verify-receipt RECEIPT --proof PROOF` checks it.
pub async fn inclusion_proof(
    State(state): State<AppState>,
    Path((id, tracker)): Path<(String, String)>,
    axum::extract::Query(q): axum::extract::Query<ProofQuery>,
) -> Result<Response, ApiError> {
    let digest = Digest::from_hex(&tracker.to_ascii_lowercase())
        .map_err(|_| ApiError::bad_request("invalid_tracker", "a tracker is 64 hex digits"))?;
    let seal = q.seal.as_deref().map(|s| count_param("seal", s)).transpose()?;
    let shared = state.clone();
    let found = state
        .run(move |conn, secret| {
            let host = crate::ops::tree::host_of(shared.public_url());
            crate::ops::tree::proof(conn, secret, shared.trees(), &id, host, &digest, seal)
        })
        .await?;
    match found {
        Ok(proof) => Ok(proof_json(&proof)?),
        Err(crate::ops::tree::NoProof::Unknown) => {
            Err(ApiError::not_found("no ballot has this tracker in this election"))
        }
        Err(crate::ops::tree::NoProof::NotYetSealed) => Err(ApiError::not_found(
            "the ballot is not yet in a signed checkpoint: it is sealed at the seal its receipt names; try again after it",
        )),
    }
}

/// A proof as the JSON body of a response, written into a buffer of about
/// its size at once (a proof is about 5 KB: growing from a small buffer
/// would copy it several times).
fn proof_json(proof: &teller_audit::inclusion::InclusionProof) -> Result<Response, OpError> {
    let mut body = Vec::with_capacity(8 * 1024);
    serde_json::to_writer(&mut body, proof).map_err(|e| crate::store::StoreError::from(crate::store::corrupt(e)))?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct ConsistencyQuery {
    #[serde(default)]
    from: Option<String>,
}

/// `GET /api/v1/elections/{id}/log/consistency?from=N`: the proof that the
/// newest tree checkpoint extends the log of size N (audit/FORMAT.md §6a),
/// for monitors holding an earlier checkpoint.
pub async fn consistency(
    State(state): State<AppState>,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<ConsistencyQuery>,
) -> Result<Response, ApiError> {
    let from = match q.from.as_deref() {
        Some(from) => count_param("from", from)?,
        None => {
            return Err(ApiError::bad_request(
                "invalid_query",
                "give the size of the checkpoint you hold, such as ?from=120",
            ))
        }
    };
    let found = with_tree(&state, id, move |conn, secret, trees, row, host| {
        crate::ops::tree::consistency(conn, secret, trees, row, host, from)
    })
    .await?;
    match found {
        Some(Ok(proof)) => Ok(Json(proof).into_response()),
        Some(Err(size)) => Err(ApiError::bad_request(
            "beyond_checkpoint",
            format!("from is past the newest checkpoint, of {size} entries"),
        )),
        None => Err(ApiError::not_found(
            "no checkpoint has been signed yet: the polls have not opened",
        )),
    }
}

/// `GET /api/v1/elections/{id}/log/tile/{path}`: a hash tile or an entry
/// bundle of the log (`c2sp.org/tlog-tiles`, audit/FORMAT.md §6a "Tiles"),
/// within the newest tree checkpoint; full tiles are cached for good.
pub async fn tile(
    State(state): State<AppState>,
    Path((id, path)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    use crate::ops::tiles::Served;
    let tile = teller_audit::tiles::Tile::parse(&path)
        .map_err(|e| ApiError::bad_request("invalid_tile_path", e.to_string()))?;
    let served = with_tree(&state, id, move |conn, secret, trees, row, host| {
        crate::ops::tiles::tile(conn, secret, trees, row, host, tile)
    })
    .await?;
    match served {
        Served::Bytes(bytes) => {
            let cache = if tile.is_full() {
                "public, max-age=31536000, immutable"
            } else {
                "public, max-age=60"
            };
            let headers = [
                (axum::http::header::CONTENT_TYPE, "application/octet-stream"),
                (axum::http::header::CACHE_CONTROL, cache),
            ];
            Ok((headers, bytes).into_response())
        }
        Served::Beyond(size) => Err(ApiError::not_found(format!(
            "{tile} is past the newest tree checkpoint, of {size} entries"
        ))),
        Served::NoCheckpoint => Err(ApiError::not_found(
            "no checkpoint has been signed yet: the polls have not opened",
        )),
    }
}

/// `GET /api/v1/elections/{id}/encryption`: what a device needs to encrypt
/// a ballot of this open encrypted election (browser/README.md, "The page
/// contract", without `weight`: a ballot carries its member's weight from
/// the roll, and a cast with another is refused, `ballot-weight`). 404 for
/// a plain election or one not open yet.
pub async fn encryption(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let row = {
        let id = id.clone();
        state.run(move |conn, _| resolve_public_election(conn, &id)).await?
    };
    match state.encryption(&row.id).await? {
        Some(enc) => Ok(Json(enc.device_params(None)).into_response()),
        None => Err(OpError::Refused(format!(
            "election {} takes no encrypted ballots now: it is plain, or its polls have not opened",
            row.id
        ))
        .into()),
    }
}

/// `POST /api/v1/elections/{id}/audited`: keep an audited ballot
/// (`teller-audited-ballot/1`, §16.10) a device checked instead of casting.
/// No token: an audit is anonymous. 201 with its tracker; the same file
/// again, 201 and nothing changes; a file that fails a check, 422 naming it.
pub async fn audited(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let row = {
        let id = id.clone();
        state.run(move |conn, _| resolve_public_election(conn, &id)).await?
    };
    let Some(enc) = state.encryption(&row.id).await? else {
        return Err(OpError::Refused(format!(
            "election {} takes no audited ballots: it is plain, or its polls have not opened",
            row.id
        ))
        .into());
    };
    let tracker = state
        .run(move |conn, _| crate::ops::encrypted::accept_audited(conn, &enc, &body, crate::time::now()))
        .await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({"tracker": tracker}))).into_response())
}
