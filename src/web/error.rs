//! The web layer's errors: a clear page or JSON body naming what the user can
//! fix; internal failures get a generic message and the detail goes to the log.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use teller_audit::ballot::BallotProblem;

use super::pages::{render, Page};
use crate::domain::lifecycle::NotOpen;
use crate::ops::OpError;

/// Status and stable error code for an operation's failure.
pub fn classify(e: &OpError) -> (StatusCode, &'static str) {
    match e {
        OpError::NoSuchElection(_) | OpError::AmbiguousElection(_) => (StatusCode::NOT_FOUND, "not_found"),
        OpError::NoSuchMember(_) => (StatusCode::NOT_FOUND, "no_such_member"),
        OpError::NoSuchCandidate { .. } => (StatusCode::NOT_FOUND, "no_such_candidate"),
        OpError::WrongState { .. } => (StatusCode::CONFLICT, "wrong_state"),
        OpError::Definition(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_definition"),
        OpError::Roll(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_roll"),
        OpError::EmptyRoll => (StatusCode::CONFLICT, "empty_roll"),
        OpError::MemberVoted(_) => (StatusCode::CONFLICT, "member_voted"),
        OpError::UnknownToken => (StatusCode::FORBIDDEN, "unknown_token"),
        OpError::TokenUsed => (StatusCode::CONFLICT, "token_used"),
        OpError::PollsNotOpen(NotOpen::Closed) => (StatusCode::LOCKED, "polls_closed"),
        OpError::PollsNotOpen(NotOpen::NotYet(_)) => (StatusCode::LOCKED, "polls_not_open"),
        OpError::InvalidBallot(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_ballot"),
        OpError::Refused(_) => (StatusCode::UNPROCESSABLE_ENTITY, "refused"),
        OpError::Ceremony { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, *code),
        OpError::Encrypted { check, .. } => (StatusCode::UNPROCESSABLE_ENTITY, *check),
        OpError::Db(crate::db::DbError::Connect(_)) | OpError::OutcomeUnknown => {
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
        OpError::Db(_) | OpError::Store(_) | OpError::Secret(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    }
}

const INTERNAL_MESSAGE: &str = "something went wrong on our side; nothing was changed. Please try again in a moment";

/// An error answered as JSON: `{"error": code, "message": text}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    problems: Vec<BallotProblem>,
}

impl ApiError {
    /// A request the client must fix.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code,
            message: message.into(),
            problems: vec![],
        }
    }

    /// Something that does not exist.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: message.into(),
            problems: vec![],
        }
    }

    /// Too many failed code attempts from this address; `codes` names
    /// them ("voting codes", "trustee access codes").
    pub fn too_many(codes: &str, wait: std::time::Duration) -> Self {
        Self {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "too_many_attempts",
            message: format!(
                "too many {codes} from this address did not work; wait {} and try again",
                super::limits::minutes_text(wait)
            ),
            problems: vec![],
        }
    }

    /// A request whose credentials do not work.
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            code,
            message: message.into(),
            problems: vec![],
        }
    }

    /// A request that conflicts with the election's state.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::CONFLICT,
            code,
            message: message.into(),
            problems: vec![],
        }
    }
}

impl From<OpError> for ApiError {
    fn from(e: OpError) -> Self {
        let (status, code) = classify(&e);
        let message = if e.is_internal() {
            tracing::error!(error = %e, "request failed");
            if status == StatusCode::SERVICE_UNAVAILABLE {
                "the service is busy or its database is unreachable; nothing was changed. Try again in a moment"
                    .to_string()
            } else {
                INTERNAL_MESSAGE.to_string()
            }
        } else {
            e.to_string()
        };
        let problems = match e {
            OpError::InvalidBallot(p) => p,
            _ => vec![],
        };
        Self {
            status,
            code,
            message,
            problems,
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    problems: &'a [BallotProblem],
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.code,
            message: &self.message,
            problems: &self.problems,
        };
        (self.status, Json(body)).into_response()
    }
}

/// An error answered as an HTML page.
/// A member-facing message without arguments, in the page's language.
fn t(key: &str) -> String {
    crate::i18n::t(key, &[])
}

#[derive(Debug)]
pub struct PageError {
    status: StatusCode,
    heading: String,
    message: String,
}

impl PageError {
    /// A page that does not exist.
    pub fn not_found() -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            heading: t("error-not-found-title"),
            message: t("error-not-found-text"),
        }
    }

    /// A request the user can fix.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            heading: t("error-did-not-work"),
            message: message.into(),
        }
    }
}

impl From<OpError> for PageError {
    fn from(e: OpError) -> Self {
        let (status, _) = classify(&e);
        if e.is_internal() {
            tracing::error!(error = %e, "page failed");
            return Self {
                status,
                heading: t("error-ours-title"),
                message: t("error-ours-text"),
            };
        }
        let heading = match status {
            StatusCode::NOT_FOUND => t("error-not-found"),
            _ => t("error-cannot"),
        };
        let mut message = e.to_string();
        if let Some(first) = message.get(..1) {
            message = first.to_uppercase() + &message[1..];
        }
        Self {
            status,
            heading,
            message,
        }
    }
}

#[derive(Serialize)]
struct ErrorPage<'a> {
    heading: &'a str,
    message: &'a str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        render(
            self.status,
            "error",
            &Page {
                page_title: self.heading.clone(),
                election_title: None,
                body: ErrorPage {
                    heading: &self.heading,
                    message: &self.message,
                },
            },
        )
    }
}
