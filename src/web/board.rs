//! The public bulletin board of an opened election (`/e/{id}/board…`):
//! its state and schedule, the newest tree checkpoint (audit/FORMAT.md
//! §6a) with the key that verifies it, the log entries that checkpoint
//! covers, and the sealed trackers, a page at a time — plain HTML anyone
//! can read and cache briefly.
//!
//! Everything shown is already public (the record and the API hold it);
//! the pages only make it readable. The log pages show exactly the entries
//! of the newest signed tree checkpoint, the one `ops::tree` signs, so that
//! what a reader sees is what a witness can co-sign.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde::Serialize;
use teller_audit::crypto::PublicKey;
use teller_audit::note::{key_id, TreeCheckpoint};

use super::error::PageError;
use super::pages::{render, Page};
use super::public::state_label;
use super::AppState;
use crate::db::AnyConnection;
use crate::ops::status::{status, Status};
use crate::ops::{resolve_public_election, OpError};
use crate::secrets::MasterSecret;
use crate::store::elections::ElectionRow;
use crate::store::{ballots, corrupt, log as logstore, StoreError};

/// Log entries or trackers on one page.
pub const PAGE_SIZE: u64 = 100;

/// How long browsers and proxies may keep a board page: short, since a
/// seal can extend the log at any moment.
const CACHE: &str = "public, max-age=15";

/// A member-facing message without arguments, in the page's language.
fn t(key: &str) -> String {
    crate::i18n::t(key, &[])
}

/// An opened election and its newest tree checkpoint, signed by this
/// instance's tree cache (`ops::tree`), read in one go.
struct Signed {
    row: ElectionRow,
    note: String,
    checkpoint: TreeCheckpoint,
    key: PublicKey,
}

/// Read the public election `id` and its newest signed tree checkpoint,
/// then run `f` on them (on a database thread).
async fn with_checkpoint<T, F>(state: &AppState, id: String, f: F) -> Result<T, OpError>
where
    F: FnOnce(&mut AnyConnection, Signed) -> Result<T, OpError> + Send + 'static,
    T: Send + 'static,
{
    let shared = state.clone();
    state
        .run(move |conn, secret: &MasterSecret| {
            let row = resolve_public_election(conn, &id)?;
            let host = crate::ops::tree::host_of(shared.public_url());
            // Every opened election has signed a checkpoint at its opening.
            let note = crate::ops::tree::checkpoint_note(conn, secret, shared.trees(), &row, host)?
                .ok_or_else(|| StoreError::from(corrupt(format!("election {} has no checkpoint", row.id))))?;
            let key = row.public_key()?;
            let checkpoint = TreeCheckpoint::open(&note, &row.id, &key).map_err(|e| StoreError::from(corrupt(e)))?;
            f(
                conn,
                Signed {
                    row,
                    note,
                    checkpoint,
                    key,
                },
            )
        })
        .await
}

/// An operation's failure as a page: an election that is not there (or
/// still a draft) is the plain "page not found", in the reader's language.
pub(super) fn page_error(e: OpError) -> PageError {
    match e {
        OpError::NoSuchElection(_) => PageError::not_found(),
        e => e.into(),
    }
}

/// A page the board answers with: cacheable briefly, per language.
fn cacheable(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE));
    // The language comes from the switcher's cookie or Accept-Language.
    h.insert(header::VARY, HeaderValue::from_static("Accept-Language, Cookie"));
    res
}

/// The error page with a heading and message of the board's own.
#[derive(Serialize)]
struct MessagePage {
    heading: String,
    message: String,
}

/// An error page in the reader's language, with its own heading and
/// message (`templates/error.hbs`).
pub(super) fn message_page(status: StatusCode, heading: String, message: String) -> Response {
    render(
        status,
        "error",
        &Page {
            page_title: heading.clone(),
            election_title: None,
            body: MessagePage { heading, message },
        },
    )
}

/// The `?page=N` a list was asked for (1 when absent): digits only, from 1,
/// without a leading zero, given at most once. Other parameters are ignored.
fn page_asked(query: Result<Query<Vec<(String, String)>>, QueryRejection>) -> Result<u64, PageError> {
    let bad = || PageError::bad_request(t("board-bad-page"));
    let Query(pairs) = query.map_err(|_| bad())?;
    let mut pages = pairs.iter().filter(|(name, _)| name == "page");
    let page = match (pages.next(), pages.next()) {
        (None, _) => return Ok(1),
        (Some((_, value)), None) => value,
        (Some(_), Some(_)) => return Err(bad()),
    };
    let digits = page.len() <= 9 && page.bytes().all(|b| b.is_ascii_digit()) && !page.starts_with('0');
    if !digits {
        return Err(bad());
    }
    page.parse().map_err(|_| bad())
}

/// The number of pages for `total` items (one, empty, when there are none).
fn page_count(total: u64) -> u64 {
    total.div_ceil(PAGE_SIZE).max(1)
}

/// "There is no page N": the list has fewer pages.
fn no_such_page(page: u64, pages: u64) -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        t("board-no-such-page"),
        crate::i18n::t(
            "board-no-such-page-text",
            &[("page", page.into()), ("pages", pages.into())],
        ),
    )
}

/// Links between the pages of a list.
#[derive(Serialize)]
struct Paging {
    page: u64,
    pages: u64,
    first: Option<String>,
    previous: Option<String>,
    next: Option<String>,
    last: Option<String>,
}

impl Paging {
    fn new(base: &str, page: u64, pages: u64) -> Self {
        let link = |n: u64| format!("{base}?page={n}");
        let before = page > 1;
        let after = page < pages;
        Paging {
            page,
            pages,
            first: before.then(|| link(1)),
            previous: before.then(|| link(page - 1)),
            next: after.then(|| link(page + 1)),
            last: after.then(|| link(pages)),
        }
    }
}

/// The C2SP verifier key of the election's log (`<name>+<key id
/// hex>+<base64(0x01 ‖ key)>`), which witnesses and note tooling are
/// configured with.
fn verifier_key(origin: &str, key: &PublicKey) -> String {
    use base64::Engine;
    let mut typed = vec![0x01];
    typed.extend_from_slice(&key.0);
    let id: String = key_id(origin, key).iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{origin}+{id}+{}",
        base64::engine::general_purpose::STANDARD.encode(typed)
    )
}

#[derive(Serialize)]
struct Overview {
    id: String,
    title: String,
    state: String,
    state_label: String,
    opens: Option<String>,
    closes: Option<String>,
    size: u64,
    root: String,
    note: String,
    origin: String,
    verifier_key: String,
    key_fingerprint: String,
    seals: u64,
    sealed_ballots: u64,
    log_pages: u64,
    results_available: bool,
}

/// `GET /e/{id}/board`: the election's state, schedule, newest checkpoint,
/// counts, and where to read or fetch the rest.
pub async fn overview(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, PageError> {
    let (signed, s, sealed): (Signed, Status, i64) = with_checkpoint(&state, id, |conn, signed| {
        let s = status(conn, &signed.row.id)?;
        let head = logstore::head(conn, &signed.row.id)?;
        let sealed = head.map_or(0, |h| h.sealed_ballots);
        Ok((signed, s, sealed))
    })
    .await
    .map_err(page_error)?;
    let lang = crate::i18n::current();
    let zone = s.election.zone();
    let when = |at: i64| zone.local(at).text(lang);
    let cp = &signed.checkpoint;
    let page = Overview {
        id: signed.row.id.clone(),
        title: signed.row.title.clone(),
        state: s.state.as_str().into(),
        state_label: state_label(s.state),
        opens: s.election.opens_at.map(when),
        closes: s.election.closes_at.map(when),
        size: cp.size,
        root: cp.root.to_hex(),
        origin: cp.origin.clone(),
        verifier_key: verifier_key(&cp.origin, &signed.key),
        key_fingerprint: signed.key.fingerprint(),
        note: signed.note.clone(),
        seals: s.seals,
        sealed_ballots: u64::try_from(sealed).unwrap_or(0),
        log_pages: page_count(cp.size),
        results_available: s.state.results_public(),
    };
    Ok(cacheable(render(
        StatusCode::OK,
        "board",
        &Page {
            page_title: t("board-title"),
            election_title: Some(signed.row.title.clone()),
            body: page,
        },
    )))
}

/// One member of an entry's data, as text.
#[derive(Serialize)]
struct Field {
    name: String,
    value: String,
    /// A hash, key or signature: shown in code, broken anywhere.
    code: bool,
}

/// One log entry, readably.
#[derive(Serialize)]
struct EntryView {
    seq: u64,
    time: String,
    kind: String,
    label: String,
    fields: Vec<Field>,
}

/// The words for an entry's type (FORMAT.md §5's table), when Teller has them.
fn event_key(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "election_created" => "board-event-election-created",
        "definition_updated" => "board-event-definition-updated",
        "roll_imported" => "board-event-roll-imported",
        "tokens_issued" => "board-event-tokens-issued",
        "token_reissued" => "board-event-token-reissued",
        "certifier_registered" => "board-event-certifier-registered",
        "tokens_sent" => "board-event-tokens-sent",
        "polls_opened" => "board-event-polls-opened",
        "ballot" => "board-event-ballot",
        "seal" => "board-event-seal",
        "schedule_changed" => "board-event-schedule-changed",
        "polls_closed" => "board-event-polls-closed",
        "tallied" => "board-event-tallied",
        "certification" => "board-event-certification",
        "certified" => "board-event-certified",
        "trustee_named" => "board-event-trustee-named",
        "trustee_registered" => "board-event-trustee-registered",
        "ceremony_message" => "board-event-ceremony-message",
        "trustee_excluded" => "board-event-trustee-excluded",
        "ceremony_completed" => "board-event-ceremony-completed",
        "audited" => "board-event-audited",
        "aggregated" => "board-event-aggregated",
        "decryption_share" => "board-event-decryption-share",
        "decryption_refused" => "board-event-decryption-refused",
        _ => return None,
    })
}

/// An entry's data members as text, in their canonical (name) order.
fn fields(data: &serde_json::Value) -> Vec<Field> {
    let Some(members) = data.as_object() else {
        return vec![];
    };
    members
        .iter()
        .map(|(name, value)| {
            let (value, code) = match value {
                serde_json::Value::String(s) => (s.clone(), s.len() >= 32 && s.bytes().all(|b| b.is_ascii_hexdigit())),
                serde_json::Value::Null => ("—".to_string(), false),
                other => (other.to_string(), false),
            };
            Field {
                name: name.clone(),
                value,
                code,
            }
        })
        .collect()
}

#[derive(Serialize)]
struct LogPage {
    id: String,
    size: u64,
    first_seq: u64,
    last_seq: u64,
    entries: Vec<EntryView>,
    paging: Paging,
}

/// `GET /e/{id}/board/log?page=N`: the entries the newest tree checkpoint
/// covers, [`PAGE_SIZE`] a page, oldest first.
pub async fn log(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, PageError> {
    let page = page_asked(query)?;
    let found = with_checkpoint(&state, id, move |conn, signed| {
        let size = signed.checkpoint.size;
        let pages = page_count(size);
        if page > pages {
            return Ok(Err(pages));
        }
        let from = (page - 1) * PAGE_SIZE;
        let want = PAGE_SIZE.min(size.saturating_sub(from));
        let rows = logstore::entry_rows(conn, &signed.row.id, from as i64, want as i64)?;
        let mut entries = Vec::with_capacity(rows.len());
        for (seq, body, _) in rows {
            entries.push(logstore::parse_entry(conn, &signed.row.id, seq, &body)?);
        }
        Ok(Ok((signed.row, size, pages, entries)))
    })
    .await
    .map_err(page_error)?;
    let (row, size, pages, entries) = match found {
        Ok(found) => found,
        Err(pages) => return Ok(no_such_page(page, pages)),
    };
    let zone = row.zone();
    let mut views = Vec::with_capacity(entries.len());
    for entry in &entries {
        let json = serde_json::to_value(entry).map_err(|e| OpError::from(StoreError::from(corrupt(e))))?;
        let kind = json
            .get("type")
            .and_then(|k| k.as_str())
            .unwrap_or_default()
            .to_string();
        views.push(EntryView {
            seq: entry.seq,
            time: zone.local(entry.time).short(),
            label: event_key(&kind).map(t).unwrap_or_else(|| kind.clone()),
            kind,
            fields: json.get("data").map(fields).unwrap_or_default(),
        });
    }
    let body = LogPage {
        id: row.id.clone(),
        size,
        first_seq: views.first().map_or(0, |e| e.seq),
        last_seq: views.last().map_or(0, |e| e.seq),
        entries: views,
        paging: Paging::new(&format!("/e/{}/board/log", row.id), page, pages),
    };
    Ok(cacheable(render(
        StatusCode::OK,
        "board_log",
        &Page {
            page_title: crate::i18n::t(
                "board-log-title-page",
                &[("page", page.into()), ("pages", pages.into())],
            ),
            election_title: Some(row.title.clone()),
            body,
        },
    )))
}

/// One sealed tracker.
#[derive(Serialize)]
struct TrackerRow {
    tracker: String,
    seal: i64,
    href: String,
}

#[derive(Serialize)]
struct TrackersPage {
    id: String,
    total: u64,
    trackers: Vec<TrackerRow>,
    paging: Paging,
}

/// `GET /e/{id}/board/trackers?page=N`: the sealed trackers in log order,
/// [`PAGE_SIZE`] a page, each linking to its check.
pub async fn trackers(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, PageError> {
    let page = page_asked(query)?;
    let found = state
        .run(move |conn, _| {
            let row = resolve_public_election(conn, &id)?;
            // Seals sign their checkpoint in their own transaction: what is
            // sealed is what the newest checkpoint covers.
            let total = logstore::head(conn, &row.id)?.map_or(0, |h| u64::try_from(h.sealed_ballots).unwrap_or(0));
            let pages = page_count(total);
            if page > pages {
                return Ok(Err(pages));
            }
            let from = (page - 1) * PAGE_SIZE;
            let want = PAGE_SIZE.min(total.saturating_sub(from));
            let rows = ballots::sealed_in_log_order(conn, &row.id, from as i64, want as i64)?;
            Ok(Ok((row, total, pages, rows)))
        })
        .await
        .map_err(page_error)?;
    let (row, total, pages, rows) = match found {
        Ok(found) => found,
        Err(pages) => return Ok(no_such_page(page, pages)),
    };
    let trackers = rows
        .into_iter()
        .map(|(tracker, seal)| TrackerRow {
            href: format!("/e/{}/track?tracker={tracker}", row.id),
            tracker,
            seal,
        })
        .collect();
    let body = TrackersPage {
        id: row.id.clone(),
        total,
        trackers,
        paging: Paging::new(&format!("/e/{}/board/trackers", row.id), page, pages),
    };
    Ok(cacheable(render(
        StatusCode::OK,
        "board_trackers",
        &Page {
            page_title: crate::i18n::t(
                "board-trackers-title-page",
                &[("page", page.into()), ("pages", pages.into())],
            ),
            election_title: Some(row.title.clone()),
            body,
        },
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(query: &str) -> Result<u64, PageError> {
        let uri: axum::http::Uri = format!("/x?{query}").parse().unwrap_or_default();
        page_asked(Query::try_from_uri(&uri))
    }

    #[test]
    fn pages_are_read_strictly() {
        assert_eq!(asked("").ok(), Some(1));
        assert_eq!(asked("page=1").ok(), Some(1));
        assert_eq!(asked("page=12&lang=es").ok(), Some(12));
        for bad in [
            "page=0",
            "page=01",
            "page=-1",
            "page=+1",
            "page=1.5",
            "page=",
            "page=abc",
            "page=1&page=2",
        ] {
            assert!(asked(bad).is_err(), "{bad}");
        }
        assert!(asked(&format!("page={}", "9".repeat(10))).is_err());
    }

    #[test]
    fn page_counts() {
        assert_eq!(page_count(0), 1);
        assert_eq!(page_count(100), 1);
        assert_eq!(page_count(101), 2);
        let p = Paging::new("/b", 2, 3);
        assert_eq!(p.previous.as_deref(), Some("/b?page=1"));
        assert_eq!(p.next.as_deref(), Some("/b?page=3"));
        assert!(Paging::new("/b", 1, 1).next.is_none());
    }

    #[test]
    fn every_event_type_has_words_in_both_languages() {
        for kind in teller_audit::log::ENTRY_TYPES {
            let key = event_key(kind).unwrap_or_default();
            for lang in crate::i18n::Lang::ALL {
                assert!(crate::i18n::has(lang, key), "{kind} in {lang:?}");
            }
        }
    }
}
