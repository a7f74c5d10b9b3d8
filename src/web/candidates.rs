//! Candidates presented properly: each candidate's photo and profile page,
//! public once the polls open (a draft's answer 404, as its other pages do),
//! and the links the ballot and election page show to them.
//!
//! `GET /e/{id}/candidates/{contest}/{candidate}` is the profile page: the
//! photo, the name, the contest, the ballot statement and the longer profile
//! (plain text, paragraphs kept). `…/photo` is Teller's 240 × 240 picture,
//! served from this origin with its digest as ETag and in the URL pages use
//! (`?v=`), so browsers keep it for good: photos freeze when the polls open.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::error::PageError;
use super::pages::{render, Page};
use super::AppState;
use crate::domain::lifecycle::State as Lifecycle;
use crate::ops::profiles::{find_candidate, paragraphs};
use crate::ops::{resolve_public_election, OpError};
use crate::store::elections::ElectionRow;
use crate::store::profiles::{self, CandidateKey, StoredPhoto, Summary};

/// Every candidate's photo digest and profile, by (contest, candidate).
#[derive(Debug, Default)]
pub struct Media {
    by_candidate: BTreeMap<(String, String), Summary>,
}

/// Where a page's links to candidates' photos and profiles go: the public
/// pages, or the console's (a draft's are not public).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// `/e/…`.
    Public,
    /// `/staff/elections/…`: the ballot preview.
    Staff,
}

/// A candidate's links, for a page.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Links {
    /// The photo's address, if there is a photo.
    pub photo: Option<String>,
    /// The profile page's address, if there is a profile to read.
    pub profile: Option<String>,
}

impl Media {
    /// Load `election`'s.
    pub fn load(conn: &mut crate::db::AnyConnection, election: &str) -> Result<Self, OpError> {
        Ok(Media {
            by_candidate: profiles::summaries(conn, election)?,
        })
    }

    /// The links for one candidate of `election`.
    pub fn links(&self, election: &str, contest: &str, candidate: &str, audience: Audience) -> Links {
        let Some(s) = self.by_candidate.get(&(contest.to_string(), candidate.to_string())) else {
            return Links::default();
        };
        let base = candidate_path(election, contest, candidate, audience);
        Links {
            photo: s.photo.as_ref().map(|v| format!("{base}/photo?v={v}")),
            profile: (!s.profile.is_empty()).then(|| match audience {
                Audience::Public => base.clone(),
                Audience::Staff => format!("{base}/profile"),
            }),
        }
    }
}

/// The candidate's address under `audience`'s pages (ids are `a-z 0-9 -`,
/// so nothing needs escaping).
pub fn candidate_path(election: &str, contest: &str, candidate: &str, audience: Audience) -> String {
    match audience {
        Audience::Public => format!("/e/{election}/candidates/{contest}/{candidate}"),
        Audience::Staff => format!("/staff/elections/{election}/candidates/{contest}/{candidate}"),
    }
}

/// Whether `text` can be a contest or candidate id (FORMAT.md: 1–64 of
/// `a-z 0-9 -`); anything else is not looked up.
pub fn is_item_id(text: &str) -> bool {
    (1..=64).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The profile page's fields.
#[derive(Serialize)]
pub struct ProfilePage {
    /// Set when staff preview it: the console's address of the candidate.
    pub preview: Option<String>,
    /// The election page's address.
    pub election_href: String,
    /// Voting is open: the member may have come from their ballot.
    pub voting_open: bool,
    name: String,
    contest_title: String,
    statement: String,
    photo: Option<String>,
    /// The profile, as paragraphs of lines.
    paragraphs: Vec<Vec<String>>,
}

/// The profile page of `contest`/`candidate` in `row`, photo links for `audience`.
pub fn profile_page(
    row: &ElectionRow,
    summary: Option<Summary>,
    contest: &str,
    candidate: &str,
    audience: Audience,
    texts: &std::collections::BTreeMap<String, String>,
) -> Result<Response, OpError> {
    let (c, k) = find_candidate(row, contest, candidate)?;
    // The election's own texts in the page's language (domain::texts).
    let text = |key: String, original: &str| texts.get(&key).cloned().unwrap_or_else(|| original.to_string());
    let summary = summary.unwrap_or_default();
    let base = candidate_path(&row.id, contest, candidate, audience);
    let state = row.state()?;
    let page = ProfilePage {
        preview: (audience == Audience::Staff).then(|| base.clone()),
        election_href: match audience {
            Audience::Public => format!("/e/{}", row.id),
            Audience::Staff => format!("/staff/elections/{}", row.id),
        },
        voting_open: audience == Audience::Public && state == Lifecycle::Open,
        photo: summary.photo.as_ref().map(|v| format!("{base}/photo?v={v}")),
        paragraphs: paragraphs(&summary.profile),
        name: k.name.clone(),
        contest_title: text(format!("contest.{}.title", c.id), &c.title),
        statement: text(format!("candidate.{}.{}.statement", c.id, k.id), &k.statement),
    };
    Ok(render(
        StatusCode::OK,
        "candidate",
        &Page {
            page_title: k.name,
            election_title: Some(text("title".into(), &row.title)),
            body: page,
        },
    ))
}

/// A photo as an answer: its type, its digest as ETag (a matching
/// `If-None-Match` gets `304`), `cache` as Cache-Control, never sniffed.
pub fn photo_response(stored: StoredPhoto, headers: &HeaderMap, cache: &'static str) -> Response {
    let etag = format!("\"{}\"", stored.digest);
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut res = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, stored.photo.kind.mime())], stored.photo.bytes).into_response()
    };
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    res
}

/// The key of a public candidate, or 404 for ids that cannot be.
fn public_key(id: &str, contest: &str, candidate: &str) -> Result<CandidateKey, PageError> {
    if !is_item_id(contest) || !is_item_id(candidate) {
        return Err(PageError::not_found());
    }
    Ok(CandidateKey {
        election: id.to_string(),
        contest: contest.to_string(),
        candidate: candidate.to_string(),
    })
}

/// `GET /e/{id}/candidates/{contest}/{candidate}`.
pub async fn profile(
    State(state): State<AppState>,
    Path((id, contest, candidate)): Path<(String, String, String)>,
) -> Result<Response, PageError> {
    let key = public_key(&id, &contest, &candidate)?;
    let lang = crate::i18n::current();
    let (row, summary, texts) = state
        .run(move |conn, _| {
            let row = resolve_public_election(conn, &key.election)?;
            let summary = profiles::summary(conn, &key)?;
            let texts = crate::store::texts::load(conn, &row.id, lang)?;
            Ok((row, summary, texts))
        })
        .await?;
    match profile_page(&row, summary, &contest, &candidate, Audience::Public, &texts) {
        Ok(page) => Ok(page),
        Err(OpError::NoSuchCandidate { .. }) => Err(PageError::not_found()),
        Err(e) => Err(e.into()),
    }
}

/// `GET /e/{id}/candidates/{contest}/{candidate}/photo`: public once the
/// polls open, and unchanging from then on.
pub async fn photo(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, contest, candidate)): Path<(String, String, String)>,
) -> Result<Response, PageError> {
    let key = public_key(&id, &contest, &candidate)?;
    let stored = state
        .run(move |conn, _| {
            resolve_public_election(conn, &key.election)?;
            Ok(profiles::photo(conn, &key)?)
        })
        .await?;
    match stored {
        Some(stored) => Ok(photo_response(stored, &headers, "public, max-age=31536000, immutable")),
        None => Err(PageError::not_found()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_definition_ids_are_looked_up() {
        assert!(is_item_id("amara-okafor"));
        assert!(is_item_id(&"a".repeat(64)));
        for bad in ["", "Amara", "a_b", "a/b", "..", "a b", "é"] {
            assert!(!is_item_id(bad), "{bad}");
        }
        assert!(!is_item_id(&"a".repeat(65)));
    }

    #[test]
    fn links_name_the_audience_s_addresses() {
        let mut media = Media::default();
        media.by_candidate.insert(
            ("board".into(), "ann".into()),
            Summary {
                photo: Some("0123456789abcdef".into()),
                profile: "Long text".into(),
            },
        );
        media.by_candidate.insert(
            ("board".into(), "bob".into()),
            Summary {
                photo: None,
                profile: String::new(),
            },
        );
        let l = media.links("E", "board", "ann", Audience::Public);
        assert_eq!(
            l.photo.as_deref(),
            Some("/e/E/candidates/board/ann/photo?v=0123456789abcdef")
        );
        assert_eq!(l.profile.as_deref(), Some("/e/E/candidates/board/ann"));
        let l = media.links("E", "board", "ann", Audience::Staff);
        assert_eq!(
            l.profile.as_deref(),
            Some("/staff/elections/E/candidates/board/ann/profile")
        );
        let l = media.links("E", "board", "bob", Audience::Public);
        assert!(l.photo.is_none() && l.profile.is_none());
        assert!(media.links("E", "board", "cy", Audience::Public).photo.is_none());
    }
}
