//! The election builder: create and edit a draft election in the browser —
//! title, schedule, contests, methods, seats, candidates with statements —
//! and preview the ballot exactly as members will see it.
//!
//! One form holds the whole draft and works without JavaScript: a blank row
//! at the end of each contest adds a candidate, a blank contest at the end
//! adds a contest, and buttons remove or move items. Every button saves the
//! whole form. Work in progress may be incomplete: it is saved, and what is
//! still missing is listed; the polls cannot open until nothing is. Input the
//! form cannot hold (a seat count that is not a number, a date that is not a
//! date) is refused with the reason, and nothing is saved.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::{Deserialize, Serialize};
use teller_audit::definition::Method;

use super::{check_csrf, require, signed_in, Nav};
use crate::domain::lifecycle::State as Lifecycle;
use crate::domain::spec::{
    assemble, threshold_text, ElectionSpec, FileCandidate, FileCertification, FileContest, FileElection, FileSealing,
    DEFAULT_SEAL_INTERVAL, DEFAULT_SEAL_MIN_BALLOTS,
};
use crate::ops::create::{create_draft, draft_version, update_draft};
use crate::ops::staff::StaffUser;
use crate::ops::OpError;
use crate::store::ceremony::{self, CeremonyRow};
use crate::store::elections::{self, ElectionRow};
use crate::time::{now, LocalTimeError, Zone, COMMON_ZONES};
use crate::web::candidates::{Audience, Media};
use crate::web::error::PageError;
use crate::web::pages::{render, Page};
use crate::web::voting::ballot::checked_choices;
use crate::web::voting::form::{ballot_page, marks_from_fields, Marks};
use crate::web::AppState;

/// The most contests the builder accepts in one election.
const MAX_CONTESTS: usize = 50;

const METHODS: &[(&str, &str)] = &[
    (
        "plurality",
        "Plurality: vote for up to the number of seats; most votes win",
    ),
    ("referendum", "Referendum: yes, no or abstain on a question"),
    ("approval", "Approval: approve any number; most approvals win"),
    ("cumulative", "Cumulative: spread points among the candidates"),
    ("irv", "Instant-runoff: ranked, one seat"),
    ("stv-scottish", "Single transferable vote, Scottish rules: ranked"),
    ("stv-meek", "Single transferable vote, Meek's method: ranked"),
    ("schulze", "Condorcet–Schulze: ranked"),
];

const THRESHOLDS: &[(&str, &str)] = &[
    ("simple-majority", "More than half of the votes cast"),
    ("two-thirds", "At least two-thirds of the votes cast"),
    ("three-fifths", "At least three-fifths of the votes cast"),
    ("three-quarters", "At least three-quarters of the votes cast"),
];

const SKIPPED: &[(&str, &str)] = &[
    ("refuse", "Refuse the ballot, saying which rank is missing"),
    ("close-up", "Close the gap: 1, 2, 4 counts as 1, 2, 3"),
];

#[derive(Serialize, Clone)]
struct Opt {
    value: String,
    label: String,
    selected: bool,
}

fn options(list: &[(&str, &str)], current: &str) -> Vec<Opt> {
    let mut out: Vec<Opt> = list
        .iter()
        .map(|(v, l)| Opt {
            value: (*v).to_string(),
            label: (*l).to_string(),
            selected: *v == current,
        })
        .collect();
    if !current.is_empty() && !list.iter().any(|(v, _)| *v == current) {
        out.push(Opt {
            value: current.to_string(),
            label: current.to_string(),
            selected: true,
        });
    }
    out
}

/// One candidate row as the form holds it.
#[derive(Serialize, Clone, Default, Debug)]
struct CandidateRow {
    id: String,
    name: String,
    statement: String,
}

/// One contest as the form holds it: strings, as typed.
#[derive(Serialize, Clone, Default, Debug)]
struct ContestRow {
    id: String,
    title: String,
    description: String,
    method: String,
    seats: String,
    majority: bool,
    write_ins: bool,
    threshold: String,
    skipped: String,
    points: String,
    candidates: Vec<CandidateRow>,
}

/// The whole draft as the form holds it.
#[derive(Serialize, Clone, Default, Debug)]
struct DraftForm {
    title: String,
    description: String,
    time_zone: String,
    opens_at: String,
    closes_at: String,
    announce: bool,
    seal_minutes: String,
    seal_min: String,
    quorum: String,
    /// Members may ask for a confirmation e-mail.
    confirmations: bool,
    /// Ballots encrypted under trustees' keys.
    encrypted: bool,
    /// `N`, with `encrypted`.
    trustees: String,
    /// `K`, with `encrypted`.
    decrypt_threshold: String,
    contests: Vec<ContestRow>,
}

impl DraftForm {
    fn blank() -> Self {
        DraftForm {
            time_zone: "UTC".into(),
            seal_minutes: (DEFAULT_SEAL_INTERVAL / 60).to_string(),
            seal_min: DEFAULT_SEAL_MIN_BALLOTS.to_string(),
            quorum: "0".into(),
            ..DraftForm::default()
        }
    }

    /// The form showing a stored election, with its ceremony's parameters
    /// if it is encrypted.
    fn of(row: &ElectionRow, encryption: Option<CeremonyRow>) -> Result<Self, OpError> {
        let def = row.definition()?;
        let contests = def
            .contests
            .iter()
            .map(|c| {
                let mut r = ContestRow {
                    id: c.id.clone(),
                    title: c.title.clone(),
                    description: c.description.clone(),
                    method: c.method.name().to_string(),
                    seats: c.seats.to_string(),
                    candidates: c
                        .candidates
                        .iter()
                        .map(|k| CandidateRow {
                            id: k.id.clone(),
                            name: k.name.clone(),
                            statement: k.statement.clone(),
                        })
                        .collect(),
                    ..ContestRow::default()
                };
                match &c.method {
                    Method::Plurality {
                        majority_required,
                        write_ins,
                    } => {
                        r.majority = *majority_required;
                        r.write_ins = *write_ins;
                    }
                    Method::Referendum { threshold } => r.threshold = threshold_text(threshold),
                    Method::Cumulative { points } => r.points = points.to_string(),
                    m => {
                        if let Some(s) = m.skipped_ranks() {
                            r.skipped = match s {
                                teller_audit::definition::SkippedRanks::Refuse => "refuse".into(),
                                teller_audit::definition::SkippedRanks::CloseUp => "close-up".into(),
                            };
                        }
                    }
                }
                r
            })
            .collect();
        let zone = row.zone();
        Ok(DraftForm {
            title: def.title.clone(),
            description: def.description.clone(),
            time_zone: zone.name().to_string(),
            opens_at: row.opens_at.map(|t| zone.format_form(t)).unwrap_or_default(),
            closes_at: row.closes_at.map(|t| zone.format_form(t)).unwrap_or_default(),
            announce: row.announced,
            seal_minutes: ((row.seal_interval_seconds + 59) / 60).to_string(),
            seal_min: row.seal_min_ballots.to_string(),
            quorum: row.certification_quorum.to_string(),
            confirmations: row.send_confirmations,
            encrypted: encryption.is_some(),
            trustees: encryption.map(|e| e.trustees.to_string()).unwrap_or_default(),
            decrypt_threshold: encryption.map(|e| e.threshold.to_string()).unwrap_or_default(),
            contests,
        })
    }

    /// Read the submitted fields. Unknown fields are ignored; indexes out of
    /// range are refused.
    fn from_fields(fields: &[(String, String)]) -> Result<(Self, String, String), Vec<String>> {
        let mut form = DraftForm::blank();
        let mut contests: BTreeMap<usize, ContestRow> = BTreeMap::new();
        let mut candidates: BTreeMap<(usize, usize), CandidateRow> = BTreeMap::new();
        let mut action = String::new();
        let mut base = String::new();
        let mut problems = Vec::new();
        for (name, value) in fields {
            let value = value.replace("\r\n", "\n");
            match name.as_str() {
                "title" => form.title = value,
                "description" => form.description = value,
                "time_zone" => form.time_zone = value,
                "announce" => form.announce = !value.is_empty(),
                "opens_at" => form.opens_at = value,
                "closes_at" => form.closes_at = value,
                "seal_minutes" => form.seal_minutes = value,
                "seal_min" => form.seal_min = value,
                "quorum" => form.quorum = value,
                "confirmations" => form.confirmations = value == "on",
                "encrypted" => form.encrypted = value == "on",
                "trustees" => form.trustees = value,
                "decrypt_threshold" => form.decrypt_threshold = value,
                "action" => action = value,
                "base" => base = value,
                _ => {
                    let Some(rest) = name.strip_prefix('c') else { continue };
                    let Some((i, field)) = rest.split_once('.') else {
                        continue;
                    };
                    let Ok(i) = i.parse::<usize>() else { continue };
                    if i >= MAX_CONTESTS {
                        problems.push(format!("an election may have at most {MAX_CONTESTS} contests"));
                        continue;
                    }
                    if let Some(krest) = field.strip_prefix('k') {
                        let Some((j, kfield)) = krest.split_once('.') else {
                            continue;
                        };
                        let Ok(j) = j.parse::<usize>() else { continue };
                        if j > teller_audit::definition::MAX_CANDIDATES {
                            problems.push(format!(
                                "a contest may have at most {} candidates",
                                teller_audit::definition::MAX_CANDIDATES
                            ));
                            continue;
                        }
                        let row = candidates.entry((i, j)).or_default();
                        match kfield {
                            "id" => row.id = value,
                            "name" => row.name = value,
                            "statement" => row.statement = value,
                            _ => {}
                        }
                    } else {
                        set_contest_field(contests.entry(i).or_default(), field, value);
                    }
                }
            }
        }
        problems.dedup();
        if !problems.is_empty() {
            return Err(problems);
        }
        for ((i, _), row) in candidates {
            let Some(contest) = contests.get_mut(&i) else { continue };
            let blank = row.id.is_empty() && row.name.trim().is_empty() && row.statement.trim().is_empty();
            if !blank {
                contest.candidates.push(row);
            }
        }
        // The blank contest at the end of the form, left blank, is no contest.
        form.contests = contests
            .into_values()
            .filter(|c| {
                !(c.id.is_empty()
                    && c.title.trim().is_empty()
                    && c.description.trim().is_empty()
                    && c.candidates.is_empty())
            })
            .collect();
        Ok((form, action, base))
    }

    /// Apply a button other than "save": remove or move an item.
    fn apply(&mut self, action: &str) -> Option<String> {
        let mut parts = action.split('.');
        let verb = parts.next()?;
        let i: usize = parts.next()?.parse().ok()?;
        let j: Option<usize> = parts.next().and_then(|j| j.parse().ok());
        match (verb, j) {
            ("remove-contest", None) if i < self.contests.len() => {
                self.contests.remove(i);
                Some("contests".into())
            }
            ("up-contest", None) if i > 0 && i < self.contests.len() => {
                self.contests.swap(i - 1, i);
                Some(format!("contest-{}", i - 1))
            }
            ("remove-candidate", Some(j)) => {
                let c = self.contests.get_mut(i)?;
                (j < c.candidates.len()).then(|| {
                    c.candidates.remove(j);
                    format!("contest-{i}")
                })
            }
            ("up-candidate", Some(j)) => {
                let c = self.contests.get_mut(i)?;
                (j > 0 && j < c.candidates.len()).then(|| {
                    c.candidates.swap(j - 1, j);
                    format!("contest-{i}")
                })
            }
            _ => None,
        }
    }

    /// The spec the form describes, or what the form cannot hold. Times are
    /// read on the clocks of the form's time zone; a time whose text is what
    /// the stored draft (`stored`) shows, in the same zone, keeps its stored
    /// instant (so that saving never moves the fold's second hour).
    fn to_spec(&self, stored: Option<&ElectionRow>) -> Result<ElectionSpec, Vec<String>> {
        let mut problems = Vec::new();
        let zone = match Zone::parse(&self.time_zone) {
            Ok(zone) => zone,
            Err(e) => {
                problems.push(format!("Time zone: {e}"));
                Zone::utc()
            }
        };
        let unchanged = |text: &str, at: fn(&ElectionRow) -> Option<i64>| {
            let row = stored.filter(|r| r.time_zone == zone.name())?;
            at(row).filter(|t| zone.format_form(*t) == text.trim())
        };
        let time = |what: &str, text: &str, kept: Option<i64>, problems: &mut Vec<String>| {
            if text.trim().is_empty() {
                return None;
            }
            let instant = match kept.map(Ok).unwrap_or_else(|| zone.parse_form(text)) {
                Ok(t) => t,
                Err(LocalTimeError::Unreadable) => {
                    problems.push(format!(
                        "{what}: {:?} is not a date and time; use the form 2026-12-01 09:00",
                        text.trim()
                    ));
                    return None;
                }
                Err(e) => {
                    problems.push(format!("{what}: {e}"));
                    return None;
                }
            };
            crate::time::format_rfc3339(instant)
                .parse::<toml::value::Datetime>()
                .ok()
        };
        let opens_at = time(
            "Polls open",
            &self.opens_at,
            unchanged(&self.opens_at, |r| r.opens_at),
            &mut problems,
        );
        let closes_at = time(
            "Polls close",
            &self.closes_at,
            unchanged(&self.closes_at, |r| r.closes_at),
            &mut problems,
        );
        let number = |what: &str, text: &str, problems: &mut Vec<String>| -> Option<u64> {
            let t = text.trim();
            if t.is_empty() {
                return None;
            }
            t.parse::<u64>().map(Some).unwrap_or_else(|_| {
                problems.push(format!("{what}: {t:?} is not a whole number"));
                None
            })
        };
        let seal_minutes = number("Seal every (minutes)", &self.seal_minutes, &mut problems);
        let seal_min = number("Smallest batch", &self.seal_min, &mut problems);
        let quorum = number("Certifiers who must sign", &self.quorum, &mut problems);
        let (trustees, threshold) = if self.encrypted {
            let n = number("Trustees", &self.trustees, &mut problems);
            let k = number("Trustees needed to decrypt", &self.decrypt_threshold, &mut problems);
            let small = |v: Option<u64>| v.map(|v| u32::try_from(v).unwrap_or(u32::MAX));
            (small(n), small(k))
        } else {
            (None, None)
        };
        let mut contests = Vec::new();
        for (i, c) in self.contests.iter().enumerate() {
            let at = format!("Contest {} ({})", i + 1, c.title.trim());
            if c.id.is_empty() && c.title.trim().is_empty() {
                problems.push(format!("Contest {}: the new contest needs a title", i + 1));
                continue;
            }
            let seats = number(&format!("{at}: seats"), &c.seats, &mut problems);
            let points = match c.method.as_str() {
                "cumulative" => number(&format!("{at}: points"), &c.points, &mut problems),
                _ => None,
            };
            let mut candidates = Vec::new();
            for (j, k) in c.candidates.iter().enumerate() {
                if k.name.trim().is_empty() && k.id.is_empty() {
                    problems.push(format!(
                        "{at}: the new candidate (row {}) needs a name as well as a statement",
                        j + 1
                    ));
                    continue;
                }
                candidates.push(FileCandidate {
                    id: (!k.id.is_empty()).then(|| k.id.clone()),
                    name: k.name.clone(),
                    statement: k.statement.clone(),
                });
            }
            contests.push(FileContest {
                id: (!c.id.is_empty()).then(|| c.id.clone()),
                title: c.title.clone(),
                description: c.description.clone(),
                method: c.method.clone(),
                seats: seats.map(|s| u32::try_from(s).unwrap_or(u32::MAX)),
                majority_required: c.method == "plurality" && c.majority,
                write_ins: c.method == "plurality" && c.write_ins,
                threshold: (c.method == "referendum").then(|| {
                    if c.threshold.is_empty() {
                        "simple-majority".into()
                    } else {
                        c.threshold.clone()
                    }
                }),
                skipped_ranks: matches!(c.method.as_str(), "irv" | "stv-scottish" | "stv-meek" | "schulze").then(
                    || {
                        if c.skipped.is_empty() {
                            "refuse".into()
                        } else {
                            c.skipped.clone()
                        }
                    },
                ),
                points: points
                    .map(|p| u32::try_from(p).unwrap_or(u32::MAX))
                    .or((c.method == "cumulative").then_some(0)),
                candidates,
            });
        }
        if self.announce && self.opens_at.trim().is_empty() {
            problems.push(
                "Announce before it opens: an election is announced with its opening time; fill in when the polls open"
                    .into(),
            );
        }
        let file = FileElection {
            title: self.title.clone(),
            description: self.description.clone(),
            time_zone: Some(zone.name().to_string()),
            // Checked above with the form's own words.
            announce: self.announce && !self.opens_at.trim().is_empty(),
            opens_at,
            closes_at,
            sealing: FileSealing {
                interval_seconds: seal_minutes.map(|m| m.saturating_mul(60)),
                min_ballots: seal_min,
            },
            certification: FileCertification {
                quorum: quorum.map(|q| u32::try_from(q).unwrap_or(u32::MAX)),
            },
            confirmation_emails: self.confirmations,
            encryption: self.encrypted.then(|| "trustees".to_string()),
            trustees,
            threshold,
            contests,
        };
        let (spec, more) = assemble(file);
        problems.extend(more);
        // Look-alike names are refused at once, not left for the opening:
        // a draft may be incomplete, never misleading.
        problems.extend(spec.definition.look_alike_problems());
        if spec.definition.title.trim().is_empty() {
            problems.push("the election needs a title".into());
        }
        if problems.is_empty() {
            Ok(spec)
        } else {
            Err(problems)
        }
    }
}

fn set_contest_field(c: &mut ContestRow, field: &str, value: String) {
    match field {
        "id" => c.id = value,
        "title" => c.title = value,
        "description" => c.description = value,
        "method" => c.method = value,
        "seats" => c.seats = value,
        "majority" => c.majority = !value.is_empty(),
        "write_ins" => c.write_ins = !value.is_empty(),
        "threshold" => c.threshold = value,
        "skipped" => c.skipped = value,
        "points" => c.points = value,
        _ => {}
    }
}

#[derive(Serialize)]
struct CandidateView {
    j: usize,
    id: String,
    name: String,
    statement: String,
    first: bool,
    /// Saved, so its photo and profile can be edited (on a page of their own).
    saved: bool,
}

#[derive(Serialize)]
struct ContestView {
    i: usize,
    number: usize,
    id: String,
    title: String,
    description: String,
    seats: String,
    majority: bool,
    write_ins: bool,
    points: String,
    methods: Vec<Opt>,
    thresholds: Vec<Opt>,
    skipped: Vec<Opt>,
    candidates: Vec<CandidateView>,
    /// Indexes of the blank rows that add candidates.
    blank_rows: Vec<usize>,
    first: bool,
    is_new: bool,
}

/// Blank candidate rows under each contest.
const BLANK_ROWS: usize = 3;

fn contest_view(i: usize, c: &ContestRow, is_new: bool) -> ContestView {
    ContestView {
        i,
        number: i + 1,
        id: c.id.clone(),
        title: c.title.clone(),
        description: c.description.clone(),
        seats: c.seats.clone(),
        majority: c.majority,
        write_ins: c.write_ins,
        points: c.points.clone(),
        methods: options(METHODS, &c.method),
        thresholds: options(
            THRESHOLDS,
            if c.threshold.is_empty() {
                "simple-majority"
            } else {
                &c.threshold
            },
        ),
        skipped: options(SKIPPED, if c.skipped.is_empty() { "refuse" } else { &c.skipped }),
        candidates: c
            .candidates
            .iter()
            .enumerate()
            .map(|(j, k)| CandidateView {
                j,
                id: k.id.clone(),
                name: k.name.clone(),
                statement: k.statement.clone(),
                first: j == 0,
                saved: !k.id.is_empty() && !c.id.is_empty(),
            })
            .collect(),
        blank_rows: (c.candidates.len()..c.candidates.len() + BLANK_ROWS).collect(),
        first: i == 0,
        is_new,
    }
}

#[derive(Serialize)]
struct BuilderPage {
    nav: Nav,
    /// None while creating.
    id: Option<String>,
    base: String,
    action: String,
    title: String,
    description: String,
    time_zone: String,
    /// Common zones, offered as suggestions.
    zones: Vec<Opt>,
    opens_at: String,
    closes_at: String,
    /// The stored times in words, on the zone's clocks ("Tuesday 1 December
    /// 2026 at 09:00 Eastern time (EST)").
    opens_local: Option<String>,
    closes_local: Option<String>,
    announce: bool,
    seal_minutes: String,
    seal_min: String,
    quorum: String,
    confirmations: bool,
    encrypted: bool,
    trustees: String,
    decrypt_threshold: String,
    contests: Vec<ContestView>,
    new_contest: ContestView,
    /// What the form could not hold: nothing was saved.
    errors: Vec<String>,
    /// What the saved draft still lacks before the polls can open.
    missing: Vec<String>,
    saved: bool,
}

/// What the builder page says above the form.
#[derive(Default)]
struct Notes {
    /// What the form could not hold: nothing was saved.
    errors: Vec<String>,
    /// What the saved draft still lacks.
    missing: Vec<String>,
    /// Just saved.
    saved: bool,
}

impl Notes {
    fn refused(errors: Vec<String>) -> Self {
        Notes {
            errors,
            ..Notes::default()
        }
    }
}

fn builder_page(
    user: &StaffUser,
    stored: Option<&ElectionRow>,
    id: Option<&str>,
    base: &str,
    form: &DraftForm,
    notes: Notes,
    status: StatusCode,
) -> Response {
    let zone = stored.map(ElectionRow::zone);
    let local = |at: Option<i64>| Some(zone.as_ref()?.local(at?).english());
    let Notes { errors, missing, saved } = notes;
    let page_title = match (&errors.is_empty(), id) {
        (false, _) => "Error: election builder".to_string(),
        (true, None) => "Create an election".to_string(),
        (true, Some(_)) => format!("Edit the ballot: {}", form.title),
    };
    let body = BuilderPage {
        nav: Nav::of(user),
        id: id.map(str::to_string),
        base: base.to_string(),
        action: match id {
            Some(id) => format!("/staff/elections/{id}/edit"),
            None => "/staff/elections/new".into(),
        },
        title: form.title.clone(),
        description: form.description.clone(),
        time_zone: form.time_zone.clone(),
        zones: COMMON_ZONES
            .iter()
            .map(|(name, label)| Opt {
                value: (*name).to_string(),
                label: (*label).to_string(),
                selected: false,
            })
            .collect(),
        opens_at: form.opens_at.clone(),
        closes_at: form.closes_at.clone(),
        opens_local: local(stored.and_then(|r| r.opens_at)),
        closes_local: local(stored.and_then(|r| r.closes_at)),
        announce: form.announce,
        seal_minutes: form.seal_minutes.clone(),
        seal_min: form.seal_min.clone(),
        quorum: form.quorum.clone(),
        confirmations: form.confirmations,
        encrypted: form.encrypted,
        trustees: form.trustees.clone(),
        decrypt_threshold: form.decrypt_threshold.clone(),
        contests: form
            .contests
            .iter()
            .enumerate()
            .map(|(i, c)| contest_view(i, c, false))
            .collect(),
        new_contest: contest_view(
            form.contests.len(),
            &ContestRow {
                method: "plurality".into(),
                seats: "1".into(),
                ..ContestRow::default()
            },
            true,
        ),
        errors,
        missing,
        saved,
    };
    render(
        status,
        "staff_builder",
        &Page {
            page_title,
            election_title: None,
            body,
        },
    )
}

async fn officer(state: &AppState, headers: &HeaderMap) -> Result<StaffUser, Response> {
    let user = signed_in(state, headers).await?;
    require(&user, user.role.runs_elections(), "build elections")?;
    Ok(user)
}

/// `GET /staff/elections/new`.
pub async fn new_form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match officer(&state, &headers).await {
        Ok(user) => builder_page(
            &user,
            None,
            None,
            "",
            &DraftForm::blank(),
            Notes::default(),
            StatusCode::OK,
        ),
        Err(r) => r,
    }
}

/// Read the form, check the anti-forgery token, apply the button.
fn submitted(user: &StaffUser, fields: &[(String, String)]) -> Result<(DraftForm, String, Option<String>), Response> {
    let csrf = fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    check_csrf(user, csrf)?;
    let (mut form, action, base) = DraftForm::from_fields(fields).map_err(|errors| {
        builder_page(
            user,
            None,
            None,
            "",
            &DraftForm::blank(),
            Notes::refused(errors),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    })?;
    let anchor = form.apply(&action);
    Ok((form, base, anchor))
}

/// `POST /staff/elections/new`: create the draft.
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let user = match officer(&state, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let (form, _, _) = match submitted(&user, &fields) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let spec = match form.to_spec(None) {
        Ok(s) => s,
        Err(errors) => {
            return builder_page(
                &user,
                None,
                None,
                "",
                &form,
                Notes::refused(errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    };
    let actor = user.actor();
    match state
        .run(move |conn, secret| create_draft(conn, secret, &spec, &actor, now()))
        .await
    {
        Ok(id) => Redirect::to(&format!("/staff/elections/{id}/edit?saved=1")).into_response(),
        Err(e) => PageError::from(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

/// `GET /staff/elections/{id}/edit`.
pub async fn edit_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Response {
    let user = match officer(&state, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let lookup = id.clone();
    let found = state
        .run(move |conn, _| {
            let row = elections::find(conn, &lookup)?;
            Ok((row, ceremony::parameters(conn, &lookup)?))
        })
        .await;
    let (row, encryption) = match found {
        Ok((Some(row), encryption)) => (row, encryption),
        Ok((None, _)) => return PageError::from(OpError::NoSuchElection(id)).into_response(),
        Err(e) => return PageError::from(e).into_response(),
    };
    show_row(&user, &row, encryption, q.saved.is_some())
}

fn show_row(user: &StaffUser, row: &ElectionRow, encryption: Option<CeremonyRow>, saved: bool) -> Response {
    let state = match row.state() {
        Ok(s) => s,
        Err(e) => return PageError::from(OpError::from(e)).into_response(),
    };
    if state != Lifecycle::Draft {
        return locked(row);
    }
    let form = match DraftForm::of(row, encryption) {
        Ok(f) => f,
        Err(e) => return PageError::from(e).into_response(),
    };
    let missing = row
        .definition()
        .map(|d| {
            let mut problems = d.problems();
            if encryption.is_some() {
                problems.extend(crate::domain::spec::unencryptable(&d));
            }
            problems
        })
        .unwrap_or_default();
    builder_page(
        user,
        Some(row),
        Some(&row.id),
        &draft_version(row),
        &form,
        Notes {
            errors: vec![],
            missing,
            saved,
        },
        StatusCode::OK,
    )
}

fn locked(row: &ElectionRow) -> Response {
    render(
        StatusCode::CONFLICT,
        "error",
        &Page {
            page_title: "The ballot is locked".into(),
            election_title: Some(row.title.clone()),
            body: serde_json::json!({
                "heading": "The ballot is locked",
                "message": format!(
                    "The ballot was frozen, and its fingerprint logged, when the polls opened{}. It can no longer be changed. You can still preview it from the election's page.",
                    row.opens_at.map(|t| format!(" (scheduled for {})", row.zone().local(t).english())).unwrap_or_default()
                ),
            }),
        },
    )
}

/// `POST /staff/elections/{id}/edit`: save the draft (every button saves).
pub async fn save(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let user = match officer(&state, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let (form, base, anchor) = match submitted(&user, &fields) {
        Ok(x) => x,
        Err(r) => return r,
    };
    // The draft as stored: its times, unchanged in the form, keep their instants.
    let lookup = id.clone();
    let stored = match state.run(move |conn, _| Ok(elections::find(conn, &lookup)?)).await {
        Ok(row) => row,
        Err(e) => return PageError::from(e).into_response(),
    };
    let spec = match form.to_spec(stored.as_ref()) {
        Ok(s) => s,
        Err(errors) => {
            return builder_page(
                &user,
                stored.as_ref(),
                Some(&id),
                &base,
                &form,
                Notes::refused(errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    };
    let actor = user.actor();
    let election = id.clone();
    let result = state
        .run(move |conn, _| update_draft(conn, &election, Some(&base), &spec, &actor, now()))
        .await;
    match result {
        Ok(()) => {
            let anchor = anchor.map(|a| format!("#{a}")).unwrap_or_default();
            Redirect::to(&format!("/staff/elections/{id}/edit?saved=1{anchor}")).into_response()
        }
        Err(OpError::WrongState { .. }) => {
            let lookup = id.clone();
            match state.run(move |conn, _| Ok(elections::find(conn, &lookup)?)).await {
                Ok(Some(row)) => locked(&row),
                Ok(None) => PageError::from(OpError::NoSuchElection(id)).into_response(),
                Err(e) => PageError::from(e).into_response(),
            }
        }
        Err(OpError::Refused(message)) => builder_page(
            &user,
            stored.as_ref(),
            Some(&id),
            "",
            &form,
            Notes::refused(vec![message]),
            StatusCode::CONFLICT,
        ),
        Err(e) => PageError::from(e).into_response(),
    }
}

/// The ballot exactly as members see it, marked with `marks`.
fn preview_page(
    row: &ElectionRow,
    media: &Media,
    marks: &Marks,
    problems: Vec<teller_audit::ballot::BallotProblem>,
    notice: Option<String>,
) -> Response {
    let definition = match row.definition() {
        Ok(d) => d,
        Err(e) => return PageError::from(OpError::from(e)).into_response(),
    };
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut body = ballot_page(&definition, marks, problems);
    body.preview = Some(row.id.clone());
    body.preview_notice = notice;
    body.present(&row.id, media, Audience::Staff);
    render(
        status,
        "ballot",
        &Page {
            page_title: "Preview: your ballot".into(),
            election_title: Some(row.title.clone()),
            body,
        },
    )
}

async fn election_row(
    state: &AppState,
    headers: &HeaderMap,
    id: String,
) -> Result<(ElectionRow, Arc<Media>), Response> {
    signed_in(state, headers).await?;
    let lookup = id.clone();
    let row = match state.run(move |conn, _| Ok(elections::find(conn, &lookup)?)).await {
        Ok(Some(row)) => row,
        Ok(None) => return Err(PageError::from(OpError::NoSuchElection(id)).into_response()),
        Err(e) => return Err(PageError::from(e).into_response()),
    };
    match state.candidate_media(&row.id).await {
        Ok(media) => Ok((row, media)),
        Err(e) => Err(PageError::from(e).into_response()),
    }
}

/// `GET /staff/elections/{id}/preview`: any signed-in staff member.
pub async fn preview(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    match election_row(&state, &headers, id).await {
        Ok((row, media)) => preview_page(&row, &media, &Marks::default(), vec![], None),
        Err(r) => r,
    }
}

/// `POST /staff/elections/{id}/preview`: check marks the way the real ballot
/// does. Nothing is stored.
pub async fn preview_check(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let (row, media) = match election_row(&state, &headers, id).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let definition = match row.definition() {
        Ok(d) => d,
        Err(e) => return PageError::from(OpError::from(e)).into_response(),
    };
    let marks = marks_from_fields(&definition, &fields);
    match checked_choices(&definition, &marks) {
        Ok(_) => preview_page(
            &row,
            &media,
            &marks,
            vec![],
            Some("These choices are valid. A member would now see the review page and cast the ballot.".into()),
        ),
        Err(problems) => preview_page(&row, &media, &marks, problems, None),
    }
}
