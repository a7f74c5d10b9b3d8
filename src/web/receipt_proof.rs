//! `GET /e/{id}/trackers/{tracker}/proof[?seal=K]`: a member's download of
//! the inclusion proof of their ballot (audit/FORMAT.md §7a) — the JSON
//! that `GET /api/v1/elections/{id}/receipts/{tracker}/proof` answers,
//! built by `ops::tree`, as a file from this site, so that "check my
//! ballot" can offer it with a plain link. `teller-audit verify-receipt
//! RECEIPT --proof PROOF` checks it offline.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use teller_audit::crypto::Digest;

use super::board::{message_page, page_error};
use super::error::PageError;
use super::AppState;
use crate::ops::tree::NoProof;
use crate::ops::OpError;
use crate::store::{corrupt, StoreError};

/// A member-facing message without arguments, in the page's language.
fn t(key: &str) -> String {
    crate::i18n::t(key, &[])
}

/// A tracker in a path: exactly 64 hex digits (either case).
fn tracker_in_path(text: &str) -> Option<Digest> {
    (text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| Digest::from_hex(&text.to_ascii_lowercase()).ok())
        .flatten()
}

/// The optional `?seal=K`: the seal a receipt promised, when the proof is
/// to show that seal rather than the one that sealed the ballot. Digits
/// only, from 1, at most once; other parameters are ignored.
fn seal_asked(query: Result<Query<Vec<(String, String)>>, QueryRejection>) -> Result<Option<u64>, PageError> {
    let bad = || PageError::bad_request(t("proof-bad-seal"));
    let Query(pairs) = query.map_err(|_| bad())?;
    let mut seals = pairs.iter().filter(|(name, _)| name == "seal");
    let seal = match (seals.next(), seals.next()) {
        (None, _) => return Ok(None),
        (Some((_, value)), None) => value,
        (Some(_), Some(_)) => return Err(bad()),
    };
    if seal.is_empty() || seal.len() > 9 || seal.starts_with('0') || !seal.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    seal.parse().map(Some).map_err(|_| bad())
}

/// The file name of a tracker's proof: `teller-proof-<first 12 hex>.json`.
pub fn file_name(tracker: &Digest) -> String {
    let hex = tracker.to_hex();
    format!("teller-proof-{}.json", &hex[..12])
}

/// The proof, as an attachment; a page in the member's language when there
/// is none (yet).
pub async fn download(
    State(state): State<AppState>,
    Path((id, tracker)): Path<(String, String)>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, PageError> {
    let digest = tracker_in_path(&tracker).ok_or_else(|| PageError::bad_request(t("proof-bad-tracker")))?;
    let seal = seal_asked(query)?;
    let shared = state.clone();
    let found = state
        .run(move |conn, secret| {
            let host = crate::ops::tree::host_of(shared.public_url());
            crate::ops::tree::proof(conn, secret, shared.trees(), &id, host, &digest, seal)
        })
        .await
        .map_err(page_error)?;
    let proof = match found {
        Ok(proof) => proof,
        Err(NoProof::Unknown) => {
            return Ok(message_page(
                StatusCode::NOT_FOUND,
                t("proof-unknown"),
                t("proof-unknown-text"),
            ))
        }
        Err(NoProof::NotYetSealed) => {
            return Ok(message_page(
                StatusCode::NOT_FOUND,
                t("proof-not-yet"),
                t("proof-not-yet-text"),
            ))
        }
    };
    let bytes = serde_json::to_vec(&proof).map_err(|e| OpError::from(StoreError::from(corrupt(e))))?;
    let disposition = format!("attachment; filename=\"{}\"", file_name(&digest));
    let disposition = HeaderValue::from_str(&disposition).map_err(|e| OpError::from(StoreError::from(corrupt(e))))?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/json")),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trackers_and_seals_are_read_strictly() {
        let hex = "ab".repeat(32);
        assert!(tracker_in_path(&hex).is_some());
        assert!(tracker_in_path(&hex.to_uppercase()).is_some());
        assert!(tracker_in_path(&hex[..63]).is_none());
        assert!(tracker_in_path(&format!("{}zz", &hex[..62])).is_none());
        let d = tracker_in_path(&hex).unwrap_or(Digest([0; 32]));
        assert_eq!(file_name(&d), "teller-proof-abababababab.json");
        let asked = |q: &str| {
            let uri: axum::http::Uri = format!("/x?{q}").parse().unwrap_or_default();
            seal_asked(Query::try_from_uri(&uri))
        };
        assert_eq!(asked("").ok(), Some(None));
        assert_eq!(asked("seal=3").ok(), Some(Some(3)));
        for bad in ["seal=0", "seal=", "seal=x", "seal=1&seal=2", "seal=-1"] {
            assert!(asked(bad).is_err(), "{bad}");
        }
    }
}
