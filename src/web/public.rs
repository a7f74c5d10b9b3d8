//! Public pages: the list of elections, an election's page, its results, and
//! the tracker check.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use teller_audit::definition::Definition;

use super::candidates::Audience;
use super::error::PageError;
use super::pages::{render, Page};
use super::voting::form::instructions;
use super::AppState;
use crate::domain::lifecycle::State as Lifecycle;
use crate::ops::status::{status, Status};
use crate::ops::{resolve_announced_election, resolve_public_election, OpError};
use crate::store::{ballots, elections};

/// A state in words.
pub fn state_label(s: Lifecycle) -> String {
    t(match s {
        Lifecycle::Draft => "state-draft",
        Lifecycle::Open => "state-open",
        Lifecycle::Closed => "state-closed",
        Lifecycle::Tallied => "state-tallied",
        Lifecycle::Certified => "state-certified",
    })
}

/// A member-facing message without arguments, in the page's language.
fn t(key: &str) -> String {
    crate::i18n::t(key, &[])
}

#[derive(Serialize)]
struct ListItem {
    id: String,
    title: String,
    state: String,
    state_label: String,
}

/// A draft announced with its opening time.
#[derive(Serialize)]
struct ComingUp {
    id: String,
    title: String,
    /// The opening on the election's clocks, in parts.
    opens: crate::time::LocalTime,
    /// "Tuesday 1 December 2026 at 09:00 Eastern time (EST)".
    opens_text: String,
}

#[derive(Serialize)]
struct Home {
    elections: Vec<ListItem>,
    coming_up: Vec<ComingUp>,
}

/// `GET /`.
pub async fn home(State(state): State<AppState>) -> Result<Response, PageError> {
    let rows = state.run(|conn, _| Ok(elections::list(conn)?)).await?;
    // Drafts are the staff's alone, unless announced with their opening.
    let mut coming_up: Vec<(i64, ComingUp)> = rows
        .iter()
        .filter(|r| r.announced_draft())
        .filter_map(|r| {
            let at = r.opens_at?;
            let opens = r.zone().local(at);
            Some((
                at,
                ComingUp {
                    id: r.id.clone(),
                    title: r.title.clone(),
                    opens_text: opens.text(crate::i18n::current()),
                    opens,
                },
            ))
        })
        .collect();
    coming_up.sort_by_key(|(at, _)| *at);
    let coming_up = coming_up.into_iter().map(|(_, c)| c).collect();
    let elections = rows
        .into_iter()
        .filter_map(|r| {
            let s = r.state().ok().filter(|s| *s != Lifecycle::Draft)?;
            Some(ListItem {
                state_label: state_label(s),
                state: s.as_str().into(),
                id: r.id,
                title: r.title,
            })
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        "home",
        &Page {
            page_title: t("home-title"),
            election_title: None,
            body: Home { elections, coming_up },
        },
    ))
}

#[derive(Serialize)]
struct CandidateView {
    name: String,
    statement: String,
    photo: Option<String>,
    profile: Option<String>,
}

#[derive(Serialize)]
struct ContestView {
    id: String,
    title: String,
    description: String,
    instructions: String,
    candidates: Vec<CandidateView>,
}

#[derive(Serialize)]
struct ElectionPage {
    id: String,
    title: String,
    description: String,
    state: String,
    state_label: String,
    schedule: String,
    voting_open: bool,
    results_available: bool,
    turnout_text: String,
    contests: Vec<ContestView>,
    key_fingerprint: String,
    log_size: u64,
    log_head: String,
}

fn schedule_text(s: &Status) -> String {
    let e = &s.election;
    let zone = e.zone();
    let when = |t: i64| zone.local(t).text(crate::i18n::current());
    match (s.state, e.opens_at, e.closes_at) {
        (Lifecycle::Draft, Some(o), Some(c)) => crate::i18n::t(
            "schedule-opens-closes",
            &[("opens", when(o).into()), ("closes", when(c).into())],
        ),
        (Lifecycle::Draft, Some(o), None) => crate::i18n::t("schedule-opens", &[("opens", when(o).into())]),
        (Lifecycle::Draft, None, _) => t("schedule-unannounced"),
        (Lifecycle::Open, _, Some(c)) => {
            crate::time::closing_text(Some(c), &zone, crate::time::now()).unwrap_or_default()
        }
        (Lifecycle::Open, _, None) => t("schedule-close-by-hand"),
        _ => String::new(),
    }
}

fn turnout_text(s: &Status) -> String {
    let when = |t: i64| s.election.zone().local(t).text(crate::i18n::current());
    match s.state {
        Lifecycle::Draft => crate::i18n::t("turnout-draft", &[("eligible", s.eligible.into())]),
        Lifecycle::Open if s.seals == 0 => crate::i18n::t("turnout-no-seal", &[("eligible", s.eligible.into())]),
        Lifecycle::Open => crate::i18n::t(
            "turnout-open",
            &[
                ("when", when(s.last_seal_at).into()),
                ("voted", s.voted_as_of_last_seal.into()),
                ("eligible", s.eligible.into()),
            ],
        ),
        _ => crate::i18n::t(
            "turnout-final",
            &[
                ("voted", s.voted_as_of_last_seal.into()),
                ("eligible", s.eligible.into()),
            ],
        ),
    }
}

/// `GET /e/{id}`.
pub async fn election(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, PageError> {
    let lang = crate::i18n::current();
    let (s, texts) = state
        .run(move |conn, _| {
            let id = resolve_announced_election(conn, &id)?.id;
            Ok((status(conn, &id)?, crate::store::texts::load(conn, &id, lang)?))
        })
        .await?;
    if s.election.announced_draft() {
        return Ok(announced_page(&s));
    }
    let def: Definition = s.election.definition().map_err(OpError::from)?;
    let def = crate::domain::texts::localise(def, &texts);
    let key = s.election.public_key().map_err(OpError::from)?;
    let media = state.candidate_media(&s.election.id).await?;
    let contests = def
        .contests
        .iter()
        .map(|c| ContestView {
            id: c.id.clone(),
            title: c.title.clone(),
            description: c.description.clone(),
            instructions: instructions(c),
            candidates: c
                .candidates
                .iter()
                .map(|k| {
                    let links = media.links(&s.election.id, &c.id, &k.id, Audience::Public);
                    CandidateView {
                        name: k.name.clone(),
                        statement: k.statement.clone(),
                        photo: links.photo,
                        profile: links.profile,
                    }
                })
                .collect(),
        })
        .collect();
    let now = crate::time::now();
    let page = ElectionPage {
        id: s.election.id.clone(),
        title: def.title.clone(),
        description: def.description.clone(),
        state: s.state.as_str().into(),
        state_label: state_label(s.state),
        schedule: schedule_text(&s),
        voting_open: crate::domain::lifecycle::voting_window(s.state, s.election.opens_at, s.election.closes_at, now)
            .is_ok(),
        results_available: s.state.results_public(),
        turnout_text: turnout_text(&s),
        contests,
        key_fingerprint: key.fingerprint(),
        log_size: s.log_size,
        log_head: s.log_head.clone(),
    };
    Ok(render(
        StatusCode::OK,
        "election",
        &Page {
            page_title: def.title.clone(),
            election_title: None,
            body: page,
        },
    ))
}

#[derive(Serialize)]
struct AnnouncedPage {
    title: String,
    state: String,
    state_label: String,
    schedule: String,
}

/// An announced draft's page: the title and the schedule, nothing of the
/// ballot (which may still change).
fn announced_page(s: &Status) -> Response {
    render(
        StatusCode::OK,
        "election_announced",
        &Page {
            page_title: s.election.title.clone(),
            election_title: None,
            body: AnnouncedPage {
                title: s.election.title.clone(),
                state: s.state.as_str().into(),
                state_label: state_label(s.state),
                schedule: schedule_text(s),
            },
        },
    )
}

/// The tracker typed on the check page.
#[derive(Deserialize)]
pub struct TrackQuery {
    tracker: Option<String>,
}

#[derive(Serialize)]
struct TrackPage {
    id: String,
    title: String,
    tracker: String,
    answered: bool,
    /// The tracker typed is not a tracker (the field is marked invalid).
    invalid: bool,
    answer_heading: String,
    answer: String,
    /// The tracker found, in groups of four (so it wraps between groups).
    found_tracker: Option<String>,
    /// What checking an uploaded receipt found, one plain sentence each.
    checks: Vec<Check>,
    /// The uploaded file could not be read as a receipt of this election.
    receipt_error: Option<String>,
    /// The download of the ballot's inclusion proof, once it is sealed.
    proof_href: Option<String>,
    /// The ballot is not sealed yet: say when its proof will be there.
    proof_later: bool,
}

/// One finding about an uploaded receipt.
#[derive(Serialize)]
struct Check {
    ok: bool,
    text: String,
}

/// `GET /e/{id}/track`: is a ballot with this tracker sealed into the log?
pub async fn track(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<TrackQuery>,
) -> Result<Response, PageError> {
    let typed = q.tracker.unwrap_or_default();
    let prefix: String = typed
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    let lookup = if typed.trim().is_empty() {
        None
    } else if prefix.len() < 16 || prefix.len() > 64 || !prefix.chars().all(|c| c.is_ascii_hexdigit()) {
        Some(Err(()))
    } else {
        Some(Ok(prefix))
    };
    let wanted = lookup.clone().and_then(Result::ok);
    let (row, found) = state
        .run(move |conn, _| {
            let row = resolve_public_election(conn, &id)?;
            let found = match wanted {
                Some(p) => Some(ballots::sealed_by_prefix(conn, &row.id, &p)?),
                None => None,
            };
            Ok((row, found))
        })
        .await?;
    let invalid = matches!(lookup, Some(Err(())));
    let mut found_tracker = None;
    let mut proof_href = None;
    let (answered, answer_heading, answer) = match (lookup, found) {
        (None, _) => (false, String::new(), String::new()),
        (Some(Err(())), _) => (true, t("track-not-tracker"), t("track-not-tracker-text")),
        (Some(Ok(_)), Some(matches)) => match matches.as_slice() {
            [(tracker, seal)] => {
                found_tracker = Some(super::voting::cast::grouped_tracker(tracker));
                proof_href = Some(proof_link(&row.id, tracker, None));
                (
                    true,
                    t("track-found"),
                    crate::i18n::t("track-found-text", &[("seal", (*seal).into())]),
                )
            }
            [] => (true, t("track-not-found"), t("track-not-found-text")),
            _ => (true, t("track-ambiguous"), t("track-ambiguous-text")),
        },
        (Some(Ok(_)), None) => (false, String::new(), String::new()),
    };
    Ok(render(
        if invalid {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        "track",
        &Page {
            page_title: if invalid {
                t("track-title-error")
            } else {
                t("track-title")
            },
            election_title: Some(row.title.clone()),
            body: TrackPage {
                id: row.id.clone(),
                title: row.title.clone(),
                tracker: typed.chars().take(80).collect(),
                answered,
                invalid,
                answer_heading,
                answer,
                found_tracker,
                checks: vec![],
                receipt_error: None,
                proof_href,
                proof_later: false,
            },
        },
    ))
}

/// Any other address.
pub async fn not_found() -> Response {
    PageError::not_found().into_response()
}

/// The most a receipt file may be.
const MAX_RECEIPT_BYTES: usize = 32 * 1024;

/// `POST /e/{id}/track`: check an uploaded receipt file — signed by this
/// election's key, its ballot in the public log (by the batch it promised),
/// and, once the ballots are published, counted exactly as on the receipt.
pub async fn check_receipt(
    State(state): State<AppState>,
    Path(id): Path<String>,
    mut upload: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let mut bytes = Vec::new();
    let mut too_big = false;
    while let Ok(Some(mut field)) = upload.next_field().await {
        if field.name() != Some("receipt") {
            continue;
        }
        while let Ok(Some(chunk)) = field.chunk().await {
            if bytes.len() + chunk.len() > MAX_RECEIPT_BYTES {
                too_big = true;
                break;
            }
            bytes.extend_from_slice(&chunk);
        }
    }
    let parsed: Result<teller_audit::receipt::Receipt, String> = if too_big {
        Err(t("track-file-too-large"))
    } else if bytes.is_empty() {
        Err(t("track-file-missing"))
    } else {
        serde_json::from_slice(&bytes).map_err(|_| t("track-file-not-receipt"))
    };
    // The checks run on a database thread: they name the language themselves.
    let lang = crate::i18n::current();
    let (row, outcome) = state
        .run(move |conn, _| {
            let row = resolve_public_election(conn, &id)?;
            let outcome = match parsed {
                Err(e) => Err(e),
                Ok(r) if r.body.election != row.id => Err(crate::i18n::text(lang, "track-file-other-election", &[])),
                Ok(r) => Ok(receipt_checks(conn, &row, &r, lang)?),
            };
            Ok((row, outcome))
        })
        .await?;
    let (checks, sealed, receipt_error) = match outcome {
        Ok((checks, sealed)) => (checks, sealed, None),
        Err(e) => (vec![], None, Some(e)),
    };
    // The proof of the seal the receipt promised, so that it verifies
    // against this receipt (`teller-audit verify-receipt`).
    let proof_href = sealed
        .as_ref()
        .and_then(|s| s.as_ref())
        .map(|(tracker, seal)| proof_link(&row.id, tracker, Some(*seal)));
    let proof_later = matches!(sealed, Some(None));
    let failed = receipt_error.is_some();
    Ok(render(
        if failed {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        "track",
        &Page {
            page_title: if failed {
                t("track-receipt-title-error")
            } else {
                t("track-receipt-title")
            },
            election_title: Some(row.title.clone()),
            body: TrackPage {
                id: row.id.clone(),
                title: row.title.clone(),
                tracker: String::new(),
                answered: false,
                invalid: false,
                answer_heading: String::new(),
                answer: String::new(),
                found_tracker: None,
                checks,
                receipt_error,
                proof_href,
                proof_later,
            },
        },
    ))
}

/// Where a member downloads the inclusion proof of the ballot with
/// `tracker` (hex), of `seal` when given (`web::receipt_proof`).
fn proof_link(election: &str, tracker: &str, seal: Option<u64>) -> String {
    match seal {
        Some(k) => format!("/e/{election}/trackers/{tracker}/proof?seal={k}"),
        None => format!("/e/{election}/trackers/{tracker}/proof"),
    }
}

/// Whether a genuine receipt's ballot is in the log by its promised seal:
/// `Some((tracker, seal promised))` if so, `None` while it waits.
type Sealed = Option<(String, u64)>;

/// What a receipt says checked against this election, in plain sentences;
/// with them, whether its proof can be downloaded (`None` when the receipt
/// is not genuine or its ballot is missing).
fn receipt_checks(
    conn: &mut crate::db::AnyConnection,
    row: &crate::store::elections::ElectionRow,
    receipt: &teller_audit::receipt::Receipt,
    lang: crate::i18n::Lang,
) -> Result<(Vec<Check>, Option<Sealed>), OpError> {
    let t = |key: &str| crate::i18n::text(lang, key, &[]);
    let mut out = Vec::new();
    let signed = receipt.problems().is_empty() && receipt.body.public_key.to_hex() == row.public_key;
    out.push(Check {
        ok: signed,
        text: if signed {
            t("track-genuine")
        } else {
            t("track-not-genuine")
        },
    });
    if !signed {
        return Ok((out, None));
    }
    let state = row.state()?;
    let promised = receipt.body.seal as i64;
    let head = crate::store::log::head(conn, &row.id)?;
    let sealed_up_to = head.map(|h| h.next_seal - 1).unwrap_or(0);
    let stored = ballots::body_and_seal(conn, &row.id, &receipt.body.tracker)?;
    let sealed = match &stored {
        Some((_, Some(seal))) if *seal <= promised => Some(Some((receipt.body.tracker.to_hex(), receipt.body.seal))),
        Some((_, None)) if sealed_up_to < promised && state < Lifecycle::Closed => Some(None),
        _ => None,
    };
    let in_log = match &stored {
        Some((_, Some(seal))) => Check {
            ok: *seal <= promised,
            text: if *seal <= promised {
                t("track-in-log")
            } else {
                t("track-in-log-late")
            },
        },
        _ if sealed_up_to >= promised || state >= Lifecycle::Closed => Check {
            ok: false,
            text: t("track-missing"),
        },
        _ => Check {
            ok: true,
            text: t("track-waiting"),
        },
    };
    out.push(in_log);
    if state.results_public() {
        let counted = match &stored {
            // An encrypted ballot stored under the receipt's tracker is the
            // receipt's: the tracker is the hash of all of it.
            Some((_, Some(_))) if receipt.body.ballot.encrypted().is_some() => true,
            Some((body, Some(_))) => serde_json::from_str::<serde_json::Value>(body)
                .ok()
                .and_then(|v| v.get("choices").cloned())
                .zip(receipt.body.ballot.plain())
                .is_some_and(|(c, b)| serde_json::to_value(&b.choices).is_ok_and(|r| r == c)),
            _ => false,
        };
        out.push(Check {
            ok: counted,
            text: if counted {
                t("track-counted")
            } else {
                t("track-not-counted")
            },
        });
    } else {
        out.push(Check {
            ok: true,
            text: t("track-count-later"),
        });
    }
    Ok((out, sealed))
}
