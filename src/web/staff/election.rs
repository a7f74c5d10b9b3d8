//! One election in the console: status and turnout (as of the last seal,
//! with a chart), the actions the role allows (open, close, extend, seal,
//! tally), and the committee's certification.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::{Deserialize, Serialize};

use super::{check_csrf, require, signed_in, Nav};
use crate::domain::lifecycle::State as Lifecycle;
use crate::ops::staff::StaffUser;
use crate::ops::status::{status, Status};
use crate::ops::{certify, lifecycle, seal, OpError};
use crate::store::{certify as certstore, log as logstore, staff as staffstore};
use crate::time::{format as when, now};
use crate::web::error::PageError;
use crate::web::pages::{render, Page};
use crate::web::public::state_label;
use crate::web::AppState;

#[derive(Serialize)]
struct Certifier {
    name: String,
    fingerprint: String,
    signed: bool,
}

#[derive(Serialize)]
struct Point {
    x: i64,
    y: i64,
}

#[derive(Serialize)]
struct Chart {
    /// The polyline's points, in a 600 × 200 box.
    points: String,
    max: i64,
    first: String,
    last: String,
    rows: Vec<ChartRow>,
}

#[derive(Serialize)]
struct ChartRow {
    time: String,
    voted: i64,
}

#[derive(Serialize)]
struct ElectionConsole {
    nav: Nav,
    id: String,
    title: String,
    state: String,
    state_label: String,
    schedule: String,
    /// "Eastern time (America/New_York)".
    time_zone: String,
    /// A draft announced on the public home with its opening time.
    announced: bool,
    eligible: u64,
    mail_waiting: i64,
    mail_sent: i64,
    mail_failed: i64,
    /// The election sends confirmation e-mails (a setting of the builder).
    confirmations: bool,
    /// Sealed confirmations waiting to be sent, and failed: counts only,
    /// never who, and never those still waiting for their seal.
    confirm_waiting: i64,
    confirm_failed: i64,
    tokens_issued: u64,
    voted: u64,
    seal_min: i64,
    seals: u64,
    last_seal: String,
    log_size: u64,
    log_head: String,
    chart: Option<Chart>,
    notice: Option<String>,
    runs: bool,
    certifier: bool,
    draft: bool,
    contest_count: usize,
    open: bool,
    closed: bool,
    tallied: bool,
    quorum: i64,
    certifiers: Vec<Certifier>,
    my_key: Option<String>,
    signed_count: usize,
    personal_data: Option<PersonalData>,
    witnesses: Vec<WitnessRow>,
    witness_quorum: u32,
    /// The trustees' key ceremony, for an encrypted election.
    ceremony: Option<CeremonyConsole>,
}

/// An encrypted election's key ceremony as the console shows it.
#[derive(Serialize)]
struct CeremonyConsole {
    trustees: u32,
    threshold: u32,
    /// Staff may name another trustee.
    may_name: bool,
    /// Where the ceremony is, in words.
    progress: String,
    complete: bool,
    rows: Vec<TrusteeConsoleRow>,
    /// Trustees whose message the board awaits (staff may exclude them).
    awaited: Vec<TrusteeConsoleRow>,
    /// After the close: the trustees' decryption.
    decryption: Option<DecryptionConsole>,
}

/// The trustees' decryption as the console shows it.
#[derive(Serialize)]
struct DecryptionConsole {
    progress: String,
    refusals: Vec<String>,
}

#[derive(Serialize)]
struct TrusteeConsoleRow {
    trustee: u32,
    name: String,
    email: Option<String>,
    state: String,
    /// The registered signing key's fingerprint (docs/TRUSTEES.md: trustees
    /// compare them out of band; staff can read them out).
    fingerprint: Option<String>,
}

fn ceremony_console(c: &crate::ops::ceremony::Ceremony) -> CeremonyConsole {
    use teller_audit::trustees::board::list;
    let row = |j: u32, state: String| {
        let named = c.named.iter().find(|n| n.trustee == j);
        TrusteeConsoleRow {
            trustee: j,
            name: named.map(|n| n.name.clone()).unwrap_or_default(),
            email: named.and_then(|n| n.email.clone()),
            state,
            fingerprint: c
                .board
                .as_ref()
                .and_then(|(_, board)| crate::web::ceremony::key_fingerprint(board, j)),
        }
    };
    let mut view = CeremonyConsole {
        trustees: c.params.trustees,
        threshold: c.params.threshold,
        may_name: c.named.len() < c.params.trustees as usize,
        progress: String::new(),
        complete: false,
        rows: Vec::new(),
        awaited: Vec::new(),
        decryption: None,
    };
    let Some((_, board)) = &c.board else {
        view.progress = format!(
            "{} of {} trustees named. The ceremony starts when all are named; the polls cannot open before it completes.",
            c.named.len(),
            c.params.trustees
        );
        view.rows = c.named.iter().map(|n| row(n.trustee, "Named".into())).collect();
        return view;
    };
    let awaiting = board.awaiting();
    view.rows = c
        .named
        .iter()
        .map(|n| {
            let state = match board.exclusions().iter().find(|x| x.trustee == n.trustee) {
                Some(x) => format!("Excluded in attempt {} ({})", x.attempt, x.rule),
                None if awaiting.contains(&n.trustee) => "Message awaited".into(),
                None => "Up to date".into(),
            };
            row(n.trustee, state)
        })
        .collect();
    view.progress = if let Some(o) = board.outcome() {
        view.complete = true;
        format!(
            "Complete in attempt {}: the election's key is {}…. The polls can open.",
            o.attempt,
            &o.joint_key.to_hex()[..16]
        )
    } else if let Some(why) = board.failure() {
        format!("Failed: {why}")
    } else {
        let round = board.phase().round().map_or("no", |r| r.name());
        view.awaited = awaiting.iter().map(|&j| row(j, String::new())).collect();
        format!(
            "Attempt {}: waiting for the {round} messages of trustee(s) {}. The polls cannot open until the ceremony completes.",
            board.attempt(),
            list(&awaiting)
        )
    };
    view
}

/// A witness as the console shows it (audit/FORMAT.md §6b).
#[derive(Serialize)]
struct WitnessRow {
    name: String,
    vkey: String,
    url: String,
    progress: String,
    error: Option<String>,
}

/// What the console says about the election's personal data once its
/// result is counted (retention, `ops::purge`).
#[derive(Serialize)]
struct PersonalData {
    /// Set once deleted: when and by whom.
    done: Option<String>,
    members: i64,
    deliveries: i64,
    /// Until when it is kept, or that it may now be deleted.
    when: String,
    may_delete: bool,
    /// Asking the second time (the title to be typed).
    confirming: bool,
}

fn personal_data(plan: &crate::ops::purge::Plan, window_days: u32, confirming: bool, at: i64) -> PersonalData {
    let may_delete = plan.refusal(at).is_none();
    let kept = match (plan.final_at, plan.purge_from) {
        _ if may_delete => format!("The {window_days}-day recount window has passed: it may be deleted now."),
        (Some(_), Some(from)) => format!(
            "It is kept for the recount window, {window_days} days after the result became final: until {}.",
            when(from)
        ),
        _ => "It is kept until the result is final (certified by the committee, if the election has one) and the \
              recount window has passed."
            .to_string(),
    };
    PersonalData {
        done: plan.done.as_ref().map(|d| {
            format!(
                "The personal data of this election (the roll of {} members and {} delivery records) was deleted on {} \
                 by {}. The log, ballots, results and figures remain, and the record still verifies.",
                d.members,
                d.deliveries,
                when(d.purged_at),
                d.actor
            )
        }),
        members: plan.members,
        deliveries: plan.deliveries,
        when: kept,
        may_delete,
        confirming: confirming && may_delete,
    }
}

fn chart(history: &[(i64, i64)], zone: &crate::time::Zone) -> Option<Chart> {
    let when = |t: i64| zone.local(t).short();
    let (first, last) = (history.first()?, history.last()?);
    let span = (last.0 - first.0).max(1);
    let max = history.iter().map(|h| h.1).max().unwrap_or(1).max(1);
    let points = history
        .iter()
        .map(|(t, v)| Point {
            x: (t - first.0) * 600 / span,
            y: 200 - v * 200 / max,
        })
        .map(|p| format!("{},{}", p.x, p.y))
        .collect::<Vec<_>>()
        .join(" ");
    Some(Chart {
        points,
        max,
        first: when(first.0),
        last: when(last.0),
        rows: history
            .iter()
            .map(|(t, v)| ChartRow {
                time: when(*t),
                voted: *v,
            })
            .collect(),
    })
}

async fn page(
    state: &AppState,
    user: &StaffUser,
    id: String,
    notice: Option<String>,
    status_code: StatusCode,
) -> Response {
    page_asking(state, user, id, notice, status_code, false).await
}

async fn page_asking(
    state: &AppState,
    user: &StaffUser,
    id: String,
    notice: Option<String>,
    status_code: StatusCode,
    confirm_purge: bool,
) -> Response {
    let uid = user.id.clone();
    let window_days = state.retention().window_days;
    let loaded = state
        .run(move |conn, _| {
            let s = status(conn, &id)?;
            let tokens_issued = crate::ops::status::tokens_issued(conn, &s.election.id)?;
            let history = logstore::seal_history(conn, &s.election.id)?;
            let keys = certstore::keys(conn, &s.election.id)?;
            let signed = certstore::signed(conn, &s.election.id)?;
            let mut certifiers = Vec::new();
            for (staff_id, key) in &keys {
                let name = staffstore::by_id(conn, staff_id)?
                    .map(|r| r.display_name)
                    .unwrap_or_default();
                let fingerprint =
                    serde_json::from_value::<teller_audit::crypto::PublicKey>(serde_json::Value::String(key.clone()))
                        .map(|k| k.fingerprint())
                        .unwrap_or_default();
                certifiers.push(Certifier {
                    name,
                    fingerprint,
                    signed: signed.iter().any(|(s, _)| s == staff_id),
                });
            }
            let my_key = keys.iter().find(|(s, _)| *s == uid).map(|(_, k)| k.clone());
            let mut mail = crate::ops::delivery::progress(conn, &s.election.id)?;
            // Messages carrying codes (notices of replaced codes carry none).
            mail.remove(crate::store::deliveries::NOTICE);
            let mail = mail.values().fold([0i64; 4], |mut acc, c| {
                for (a, n) in acc.iter_mut().zip(c) {
                    *a += n;
                }
                acc
            });
            let confirm = crate::ops::confirm::figures(conn, &s.election.id)?;
            let witnesses = crate::ops::witnesses::statuses(conn, &s.election.id)?;
            let decryption = crate::ops::decryption::progress(conn, &s.election.id)?;
            let ceremony = crate::ops::ceremony::load(conn, &s.election.id)?.map(|c| {
                let mut view = ceremony_console(&c);
                view.decryption = decryption.as_ref().map(|p| DecryptionConsole {
                    progress: if p.decrypted {
                        "The totals are decrypted. Tally the election to publish the result.".to_string()
                    } else {
                        crate::web::decryption::progress_text(&c, p)
                    },
                    refusals: crate::web::decryption::refusal_texts(&c, p),
                });
                view
            });
            let retention = if s.state >= Lifecycle::Tallied {
                Some(crate::ops::purge::plan(conn, &s.election.id, window_days)?)
            } else {
                None
            };
            Ok((
                s,
                tokens_issued,
                history,
                certifiers,
                my_key,
                signed.len(),
                mail,
                confirm,
                retention,
                (witnesses, ceremony),
            ))
        })
        .await;
    #[allow(clippy::type_complexity)]
    let (s, tokens_issued, history, certifiers, my_key, signed_count, mail, confirm, retention, witnesses): (
        Status,
        u64,
        _,
        _,
        _,
        _,
        [i64; 4],
        (i64, i64),
        Option<crate::ops::purge::Plan>,
        (
            (Vec<crate::store::witnesses::WitnessStatus>, u32),
            Option<CeremonyConsole>,
        ),
    ) = match loaded {
        Ok(v) => v,
        Err(e) => return PageError::from(e).into_response(),
    };
    let (witnesses, ceremony) = witnesses;
    let zone = s.election.zone();
    let local = |t: i64| zone.local(t).english();
    let schedule = match (s.election.opens_at, s.election.closes_at) {
        (Some(o), Some(c)) => format!("Opens {}; closes {}.", local(o), local(c)),
        (Some(o), None) => format!("Opens {}; closes by hand.", local(o)),
        (None, Some(c)) => format!("Closes {}.", local(c)),
        (None, None) => "Opened and closed by hand.".into(),
    };
    let body = ElectionConsole {
        nav: Nav::of(user),
        id: s.election.id.clone(),
        title: s.election.title.clone(),
        state: s.state.as_str().into(),
        state_label: state_label(s.state),
        schedule,
        time_zone: format!("{} ({})", zone.label(), zone.name()),
        announced: s.election.announced_draft(),
        eligible: s.eligible,
        tokens_issued,
        mail_waiting: mail[0],
        mail_sent: mail[1],
        mail_failed: mail[2],
        confirmations: s.election.send_confirmations,
        confirm_waiting: confirm.0,
        confirm_failed: confirm.1,
        voted: s.voted_as_of_last_seal,
        seal_min: s.election.seal_min_ballots.max(1),
        seals: s.seals,
        last_seal: zone.local(s.last_seal_at).short(),
        log_size: s.log_size,
        log_head: s.log_head.clone(),
        chart: chart(&history, &zone),
        notice,
        runs: user.role.runs_elections(),
        certifier: user.role.certifies(),
        draft: s.state == Lifecycle::Draft,
        contest_count: s.election.definition().map(|d| d.contests.len()).unwrap_or(0),
        open: s.state == Lifecycle::Open,
        closed: s.state == Lifecycle::Closed,
        tallied: s.state == Lifecycle::Tallied,
        quorum: s.election.certification_quorum,
        certifiers,
        my_key,
        signed_count,
        personal_data: retention.map(|plan| personal_data(&plan, window_days, confirm_purge, now())),
        witness_quorum: witnesses.1,
        witnesses: witnesses.0.into_iter().map(|w| witness_row(w, &zone)).collect(),
        ceremony,
    };
    render(
        status_code,
        "staff_election",
        &Page {
            page_title: format!("Console: {}", s.election.title),
            election_title: None,
            body,
        },
    )
}

/// How far a witness has co-signed, in words.
fn witness_row(w: crate::store::witnesses::WitnessStatus, zone: &crate::time::Zone) -> WitnessRow {
    let key = teller_audit::cosignature::WitnessKey {
        name: w.witness.name.clone(),
        key: w.witness.key.0,
    };
    let progress = match (w.cosigned_size, w.cosigned_at) {
        (0, _) => "Nothing co-signed yet".to_string(),
        (n, Some(at)) => format!("Co-signed the log up to {n} entries ({})", zone.local(at).short()),
        (n, None) => format!("Co-signed the log up to {n} entries"),
    };
    WitnessRow {
        name: w.witness.name,
        vkey: key.vkey(),
        url: w.witness.url,
        progress,
        error: w.last_error,
    }
}

/// The election page with a notice (after an action elsewhere).
pub async fn page_with_notice(state: &AppState, user: &StaffUser, id: String, notice: String) -> Response {
    page(state, user, id, Some(notice), StatusCode::OK).await
}

/// `GET /staff/elections/{id}`.
pub async fn show(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    match signed_in(&state, &headers).await {
        Ok(user) => page(&state, &user, id, None, StatusCode::OK).await,
        Err(r) => r,
    }
}

/// An action on the election.
#[derive(Deserialize)]
pub struct ActionForm {
    csrf: String,
    action: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    closes_at: String,
    #[serde(default)]
    public_key: String,
    #[serde(default)]
    signed: String,
    /// `yes` from the box confirming a close or a count; the election's
    /// title, typed to confirm deleting personal data.
    #[serde(default)]
    confirm: String,
    /// The witnesses, one per line: verifier key, a space, URL.
    #[serde(default)]
    witnesses: String,
    /// How many of them must co-sign.
    #[serde(default)]
    witness_quorum: String,
    /// A trustee's name, to name them.
    #[serde(default)]
    trustee_name: String,
    /// Their e-mail address, if staff have one.
    #[serde(default)]
    trustee_email: String,
    /// A trustee's number, to exclude them as absent.
    #[serde(default)]
    trustee: String,
}

/// The witnesses as staff typed them, one per line (`VKEY URL`; blank
/// lines skipped), and the quorum (blank: all of them).
fn parse_witnesses(lines: &str, quorum: &str) -> Result<(Vec<teller_audit::log::Witness>, u32), OpError> {
    let mut list = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in lines.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let parsed = line
            .trim()
            .split_once(char::is_whitespace)
            .ok_or_else(|| "give the verifier key, a space and the URL".to_string())
            .and_then(|(vkey, url)| crate::ops::witnesses::parse_witness(vkey, url));
        match parsed {
            Ok(w) => list.push(w),
            Err(e) => problems.push(format!("line {}: {e}", i + 1)),
        }
    }
    let quorum = match quorum.trim() {
        "" => list.len() as u32,
        q => q.parse().unwrap_or_else(|_| {
            problems.push(format!(
                "the number that must co-sign: expected a whole number, found {q:?}"
            ));
            0
        }),
    };
    if problems.is_empty() {
        Ok((list, quorum))
    } else {
        Err(OpError::Definition(problems))
    }
}

/// Parse `2026-12-15T17:00` (as a browser's datetime-local field sends it)
/// on the election's clocks, or with a `Z`/offset.
fn parse_when(text: &str, zone: &crate::time::Zone) -> Result<i64, OpError> {
    zone.parse_form(text).map_err(|e| match e {
        crate::time::LocalTimeError::Unreadable => OpError::Refused(format!(
            "give the new closing time as a date and time, such as 2026-12-15 17:00 ({})",
            zone.label()
        )),
        skipped => OpError::Refused(format!("the new closing time {skipped}")),
    })
}

/// `POST /staff/elections/{id}`: open, close, extend, seal, tally, register a
/// key, certify, name the witnesses.
pub async fn act(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    let user = match signed_in(&state, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    if let Err(r) = check_csrf(&user, &form.csrf) {
        return r;
    }
    let allowed = match form.action.as_str() {
        "register-key" | "certify" => require(&user, user.role.certifies(), "register keys or certify results"),
        _ => require(&user, user.role.runs_elections(), "change an election"),
    };
    if let Err(r) = allowed {
        return r;
    }
    // Closing and counting cannot be undone: the form's box must be ticked
    // (the browser insists too, without JavaScript).
    if matches!(form.action.as_str(), "close" | "tally" | "delete-draft") && form.confirm != "yes" {
        let what = match form.action.as_str() {
            "close" => "closing the polls",
            "tally" => "counting the ballots",
            _ => "deleting the draft",
        };
        let notice = format!("Not done: tick the box to confirm {what}; nothing was changed.");
        return page(&state, &user, id, Some(notice), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    // Deleting personal data is asked twice: this shows the question.
    if form.action == "purge-review" {
        return page_asking(&state, &user, id, None, StatusCode::OK, true).await;
    }
    let window_days = state.retention().window_days;
    let deleting = form.action == "delete-draft";
    let u = user.clone();
    let election = id.clone();
    let t = now();
    let result: Result<String, OpError> = state
        .run(move |conn, secret| {
            let actor = u.actor();
            match form.action.as_str() {
                "open" => lifecycle::open(conn, secret, &election, &actor, t).map(|()| "The polls are open.".into()),
                "close" => {
                    let reason = if form.reason.trim().is_empty() {
                        "closed by staff".to_string()
                    } else {
                        form.reason.trim().to_string()
                    };
                    lifecycle::close(conn, secret, &election, &reason, &actor, t).map(|c| {
                        format!(
                            "The polls are closed: {} ballots from {} tokens used.",
                            c.ballots, c.tokens_used
                        )
                    })
                }
                "extend" => {
                    let zone = crate::store::elections::find(conn, &election)?
                        .map(|r| r.zone())
                        .unwrap_or_default();
                    let at = parse_when(&form.closes_at, &zone)?;
                    lifecycle::reschedule(conn, &election, Some(at), &form.reason, &actor, t)
                        .map(|()| format!("The polls now close at {}.", zone.local(at).english()))
                }
                "seal" => match seal::seal_by_staff(conn, secret, &election, t)? {
                    Ok(s) => Ok(format!("Sealed {} ballots as seal {}.", s.ballots, s.seal)),
                    Err(not) => Err(OpError::Refused(not.to_string())),
                },
                "tally" => lifecycle::tally(conn, secret, &election, &actor, t)
                    .map(|r| format!("Counted {} ballots; the results are published.", r.ballots)),
                "register-key" => certify::register_key(conn, &election, &u, &form.public_key, t)
                    .map(|()| "Your public key is registered.".into()),
                "certify" => {
                    let signed: teller_audit::certify::SignedStatement = serde_json::from_str(form.signed.trim())
                        .map_err(|_| {
                            OpError::Refused(
                                "that is not a signed statement from teller-audit sign; paste the whole file".into(),
                            )
                        })?;
                    certify::certify(conn, secret, &election, &u, &signed, t).map(|p| {
                        if p.certified {
                            format!(
                                "Your signature is accepted. With {} of {} signatures, the result is certified.",
                                p.signed, p.quorum
                            )
                        } else {
                            format!("Your signature is accepted: {} of {} needed.", p.signed, p.quorum)
                        }
                    })
                }
                "witnesses" => {
                    let (list, quorum) = parse_witnesses(&form.witnesses, &form.witness_quorum)?;
                    crate::ops::witnesses::set_policy(conn, &election, &list, quorum, &actor).map(|()| {
                        if list.is_empty() {
                            "No witnesses are named.".to_string()
                        } else {
                            format!(
                                "{} named; {quorum} must co-sign each checkpoint.",
                                crate::text::count(list.len() as u64, "witness", "witnesses")
                            )
                        }
                    })
                }
                "name-trustee" => {
                    let email = Some(form.trustee_email.as_str());
                    crate::ops::ceremony::name_trustee(conn, &election, &form.trustee_name, email, &actor, t).map(|n| {
                        format!(
                            "Trustee {} is named. Their access code is {}: give it to them privately (it is shown only now). \
                             They sign in with it at /trustee, where they follow the ceremony",
                            n.trustee,
                            n.code.grouped()
                        )
                    })
                }
                "exclude-trustee" => {
                    let j: u32 = form
                        .trustee
                        .trim()
                        .parse()
                        .map_err(|_| OpError::Refused("choose the trustee to stop waiting for".into()))?;
                    crate::ops::ceremony::exclude_absent(conn, &election, &[j], &actor, t).map(|x| {
                        format!(
                            "Trustee {j} is excluded as absent{}; the log names you",
                            x.first()
                                .map(|x| format!(" in attempt {}", x.attempt))
                                .unwrap_or_default()
                        )
                    })
                }
                "delete-draft" => lifecycle::delete_draft(conn, &election, &actor)
                    .map(|title| format!("The draft election \"{title}\" was deleted.")),
                "purge" => {
                    let row = crate::ops::resolve_election(conn, &election)?;
                    if form.confirm.trim() != row.title.trim() {
                        return Err(OpError::Refused(
                            "the title typed does not match this election's, so nothing was deleted".into(),
                        ));
                    }
                    crate::ops::purge::purge(conn, &row.id, &actor, window_days, t).map(|d| {
                        format!(
                            "Deleted the personal data: the roll of {} members and {} delivery records. The record is unchanged",
                            d.members, d.deliveries
                        )
                    })
                }
                other => Err(OpError::Refused(format!("unknown action {other:?}"))),
            }
        })
        .await;
    match result {
        // The election is gone: back to the list of elections.
        Ok(_) if deleting => axum::response::Redirect::to("/staff").into_response(),
        Ok(notice) => page(&state, &user, id, Some(notice), StatusCode::OK).await,
        Err(e) if !e.is_internal() => {
            let message = e.to_string();
            let (status, _) = crate::web::error::classify(&e);
            page(&state, &user, id, Some(format!("Not done: {message}.")), status).await
        }
        Err(e) => PageError::from(e).into_response(),
    }
}
