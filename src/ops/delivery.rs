//! Delivering voting codes: e-mailed invitations and reminders (from editable
//! templates), and printed letters for members without e-mail.
//!
//! A code exists in plain only while it is being delivered: each message
//! issues the member a new code (the old one stops working), stores its
//! keyed hash, and sends it. Messages are queued one per member and kind, so
//! nothing is sent twice by accident; failures are listed and retried on
//! request (with yet another new code). Nobody who had voted as of the last
//! seal is sent a code; who is chosen never depends on a vote cast since, so
//! nothing staff do or see here tells them about it.
//!
//! When staff replace a member's code (a lost code, by letter or from the
//! command line), the member is told at their e-mail address, by a notice
//! whose wording staff cannot change, with how to object.

use std::collections::BTreeMap;

use handlebars::Handlebars;
use serde::Serialize;
use teller_audit::log::Event;

use super::{lock_election, OpError};
use crate::db::{write_tx, AnyConnection};
use crate::domain::lifecycle::State;
use crate::domain::token::Token;
use crate::i18n::{text, Arg, Lang};
use crate::mail::Mailer;
use crate::organisation::Organisation;
use crate::secrets::MasterSecret;
use crate::store::deliveries::{self, INVITATION, NOTICE, REMINDER, REPLACEMENT};
use crate::store::{corrupt, members, StoreError};

/// A reminder is not sent again to the same member within this long.
pub const REMIND_AGAIN_AFTER: i64 = 24 * 3600;

/// The built-in wording in `lang`, until the officer changes it: the
/// Fluent messages of `locales/*/teller.ftl` with each placeable written as
/// the `{{field}}` the officer's wording uses.
pub fn default_template(kind: &str, lang: Lang) -> (String, String) {
    let fields: Vec<(&str, Arg)> = ["name", "election", "closes", "link", "vote_page", "code", "office"]
        .into_iter()
        .map(|f| (f, Arg::Text(format!("{{{{{f}}}}}"))))
        .collect();
    let say = |key: &str| text(lang, key, &fields);
    let (subject, paragraphs) = match kind {
        REPLACEMENT => (
            say("mail-replacement-subject"),
            vec![
                say("mail-replacement"),
                say("mail-vote-here"),
                say("mail-or-type"),
                say("mail-keep-private"),
            ],
        ),
        REMINDER => (
            say("mail-reminder-subject"),
            vec![
                say("mail-reminder"),
                say("mail-reminder-how"),
                say("mail-reminder-lost"),
            ],
        ),
        _ => (
            say("mail-invitation-subject"),
            vec![
                say("mail-invitation"),
                say("mail-vote-here"),
                say("mail-or-type"),
                say("mail-keep-private"),
            ],
        ),
    };
    (
        subject,
        letter_body(&say("mail-greeting"), &paragraphs, "{{signature}}"),
    )
}

/// A greeting, paragraphs and the sign-off, with blank lines between.
pub(super) fn letter_body(greeting: &str, paragraphs: &[String], signature: &str) -> String {
    let mut out = format!("{greeting}\n\n");
    for p in paragraphs {
        out.push_str(p);
        out.push_str("\n\n");
    }
    out.push_str(signature);
    out.push('\n');
    out
}

/// Who messages in `lang` are from: the election office and the
/// organisation (its profile, or `serve --office-*`), else "The Election
/// Office" in that language.
pub fn signature(organisation: &Organisation, lang: Lang) -> String {
    match organisation.office() {
        Some(_) => organisation.sign_off(),
        None => text(lang, "mail-signoff", &[]),
    }
}

/// The key under which the officer's wording of `kind` in `lang` is kept:
/// `invitation` for English, `invitation.es` for Spanish.
pub fn template_key(kind: &str, lang: Lang) -> String {
    match lang {
        Lang::En => kind.to_string(),
        other => format!("{kind}.{}", other.code()),
    }
}

/// The notice of a replaced code: fixed wording, no code in it.
fn notice_text(lang: Lang, name: &str, election: &str, office: &str, signature: &str) -> (String, String) {
    let say = |key: &str| text(lang, key, &[("name", name.into()), ("election", election.into())]);
    let warning = format!("{}: {office}", text(lang, "mail-replacement-warning", &[]));
    (
        say("mail-notice-subject"),
        letter_body(
            &say("mail-greeting"),
            &[
                say("mail-notice"),
                say("mail-notice-asked"),
                format!("{warning}\n{}", say("mail-notice-counted")),
            ],
            signature,
        ),
    )
}

/// Where a member asks or objects: the election office's contact when it
/// is set (the organisation's profile, or `serve --office-*`), else the
/// election's public page.
pub(super) fn office_of(organisation: &Organisation, public_url: &str, election: &str) -> String {
    match organisation.office() {
        Some(office) => office.line(),
        None => format!("{}/e/{election}", public_url.trim_end_matches('/')),
    }
}

/// Every message ends with how to reach the election office, whatever its
/// wording (when the office is set and the wording does not name it).
pub(super) fn with_contact(organisation: &Organisation, lang: Lang, body: String) -> String {
    match organisation.office() {
        Some(office) if !body.contains(&office.email) => {
            let line = text(lang, "mail-questions", &[("office", office.line().into())]);
            format!("{}\n\n{line}\n", body.trim_end())
        }
        _ => body,
    }
}

#[derive(Serialize)]
struct Fields<'a> {
    name: &'a str,
    election: &'a str,
    closes: &'a str,
    link: &'a str,
    vote_page: &'a str,
    code: &'a str,
    office: &'a str,
    /// Who the message is from: the office, and the organisation's name.
    signature: &'a str,
}

/// Render a template's text (plain text: no HTML escaping).
pub fn render_text(template: &str, fields: &impl Serialize) -> Result<String, String> {
    let mut hb = Handlebars::new();
    hb.register_escape_fn(handlebars::no_escape);
    hb.set_strict_mode(true);
    hb.render_template(template, fields).map_err(|e| e.to_string())
}

/// Check a `kind` template before saving it: it must render with the known
/// fields; an invitation must carry the link or the code, and a reminder
/// must not (it carries none: the invitation's code still works).
pub fn check_template(kind: &str, subject: &str, body: &str) -> Result<(), OpError> {
    let sample = Fields {
        name: "A. Member",
        election: "Election",
        closes: "soon",
        link: "https://example.org/v/CODE",
        vote_page: "https://example.org/vote",
        code: "ABCD-EFGH",
        office: "https://example.org/e/ELECTION",
        signature: "Election Office",
    };
    for (what, text) in [("subject", subject), ("body", body)] {
        render_text(text, &sample).map_err(|e| {
            OpError::Refused(format!(
                "the {what} does not work as a template ({e}); the fields are {{{{name}}}}, {{{{election}}}}, {{{{closes}}}}, {{{{link}}}}, {{{{vote_page}}}}, {{{{code}}}}, {{{{office}}}} and {{{{signature}}}}"
            ))
        })?;
    }
    let carries_code = body.contains("{{link}}") || body.contains("{{code}}");
    if kind == REMINDER {
        if carries_code || subject.contains("{{code}}") || subject.contains("{{link}}") {
            return Err(OpError::Refused(
                "a reminder carries no code (the one in the invitation still works), so it cannot use {{link}} or \
                 {{code}}; point members to {{vote_page}} instead"
                    .into(),
            ));
        }
    } else if !carries_code {
        return Err(OpError::Refused(
            "the body must include {{link}} or {{code}}, or members cannot vote".into(),
        ));
    }
    Ok(())
}

/// Queue invitations (to members not yet invited) or reminders (to members
/// who have not voted and were not reminded in the last day). Returns how
/// many were queued.
pub fn queue(conn: &mut AnyConnection, election: &str, kind: &str, now: i64) -> Result<usize, OpError> {
    write_tx(conn, |conn| {
        let (_head, row) = lock_election(conn, election)?;
        let state = row.state()?;
        if state > State::Open || (kind == REMINDER && state != State::Open) {
            return Err(OpError::WrongState {
                action: if kind == REMINDER {
                    "sending reminders"
                } else {
                    "sending invitations"
                },
                needed: if kind == REMINDER { "open" } else { "draft or open" },
                actual: state,
            });
        }
        let due: Vec<String> = deliveries::candidates(conn, election, kind)?
            .into_iter()
            .filter(|(_, last)| match (kind, last) {
                (_, None) => true,
                (REMINDER, Some((status, at))) => status == "skipped" || now - at >= REMIND_AGAIN_AFTER,
                _ => false,
            })
            .map(|(m, _)| m)
            .collect();
        Ok(deliveries::queue(conn, election, kind, &due, now)?)
    })
}

/// Send up to `limit` queued messages, then up to `limit` queued
/// confirmations of sealed ballots (`ops::confirm`). Returns how many were
/// sent.
pub fn send_queued(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    mailer: &Mailer,
    public_url: &str,
    limit: i64,
    now: i64,
) -> Result<usize, OpError> {
    deliveries::fail_stale(conn, now - 600)?;
    let claimed = write_tx(conn, |conn| Ok::<_, OpError>(deliveries::claim(conn, limit, now)?))?;
    let organisation = Organisation::load_text(conn)?;
    let mut by_election: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (election, member, kind) in claimed {
        by_election.entry(election).or_default().push((member, kind));
    }
    let mut sent = 0;
    for (election, batch) in by_election {
        // Issue the codes (and log it) in one transaction, then send.
        let issued = write_tx(conn, |conn| {
            let (mut head, row) = lock_election(conn, &election)?;
            let state = row.state()?;
            let mut out = Vec::new();
            let mut counts: BTreeMap<String, u64> = BTreeMap::new();
            for (member_id, kind) in &batch {
                let Some(m) = members::find(conn, &election, member_id)? else {
                    continue;
                };
                if kind == NOTICE {
                    out.push((m, kind.clone(), Outgoing::Notice));
                    continue;
                }
                // The sealed flag, never the live one (see the module's comment).
                if state > State::Open || m.voted_sealed {
                    out.push((m, kind.clone(), Outgoing::Skip));
                    continue;
                }
                // A reminder carries no code and changes nothing: the
                // invitation's code still works.
                if kind == REMINDER {
                    out.push((m, kind.clone(), Outgoing::Reminder));
                    continue;
                }
                let token = Token::generate()?;
                if members::set_token(conn, &election, member_id, &secret.token_hash(token.as_str()))? {
                    *counts.entry(kind.clone()).or_default() += 1;
                    out.push((m, kind.clone(), Outgoing::Code(token)));
                } else {
                    out.push((m, kind.clone(), Outgoing::Skip));
                }
            }
            let events: Vec<Event> = counts
                .into_iter()
                .map(|(kind, count)| Event::TokensSent {
                    kind,
                    count,
                    actor: "delivery".into(),
                })
                .collect();
            if !events.is_empty() {
                crate::store::log::append(conn, &mut head, events, now)?;
            }
            Ok::<_, OpError>((row, out))
        })?;
        let (row, out) = issued;
        for (member, kind, outgoing) in out {
            let rendered = match outgoing {
                Outgoing::Skip => {
                    deliveries::finish(
                        conn,
                        &election,
                        &member.member_id,
                        &kind,
                        "skipped",
                        Some("has voted, or the polls are closed"),
                        now,
                    )?;
                    continue;
                }
                Outgoing::Notice => Ok(notice_text(
                    member.lang(),
                    &member.name,
                    &row.title,
                    &office_of(&organisation, public_url, &row.id),
                    &signature(&organisation, member.lang()),
                )),
                Outgoing::Code(token) => compose(conn, &row, &member, Some(&token), &kind, public_url)?,
                Outgoing::Reminder => compose(conn, &row, &member, None, &kind, public_url)?,
            };
            let outcome = rendered.and_then(|(subject, body)| {
                mailer.send(
                    &member.name,
                    &member.email,
                    &subject,
                    &with_contact(&organisation, member.lang(), body),
                )
            });
            match outcome {
                Ok(()) => {
                    deliveries::finish(conn, &election, &member.member_id, &kind, "sent", None, now)?;
                    sent += 1;
                }
                Err(e) => {
                    tracing::warn!(election, member = %member.member_id, error = %e, "delivery failed");
                    deliveries::finish(conn, &election, &member.member_id, &kind, "failed", Some(&e), now)?;
                }
            }
        }
    }
    sent += super::confirm::send_queued(conn, mailer, public_url, limit, now)?;
    Ok(sent)
}

/// What a claimed message becomes.
enum Outgoing {
    /// A message carrying this new code.
    Code(Token),
    /// A reminder: no code (the invitation's still works).
    Reminder,
    /// The notice of a replaced code (no code).
    Notice,
    /// Nothing: the member had voted as of the last seal, or the polls closed.
    Skip,
}

/// The subject and body of a `kind` message to `member` carrying `token`
/// (none in a reminder), in the member's language, from the election's
/// wording in that language (or the built-in one). A replacement code always
/// ends with how to object, whatever the wording.
pub fn compose(
    conn: &mut AnyConnection,
    row: &crate::store::elections::ElectionRow,
    member: &members::MemberRow,
    token: Option<&Token>,
    kind: &str,
    public_url: &str,
) -> Result<Result<(String, String), String>, OpError> {
    let lang = member.lang();
    let name = member.name.as_str();
    let (subject_t, body_t) = match deliveries::template(conn, &row.id, &template_key(kind, lang))? {
        Some(t) => t,
        None => default_template(kind, lang),
    };
    let zone = row.zone();
    let closes = row
        .closes_at
        .map(|t| zone.local(t).text(lang))
        .unwrap_or_else(|| text(lang, "mail-closes-unannounced", &[]));
    let vote_page = format!("{}/vote", public_url.trim_end_matches('/'));
    let (link, code) = match token {
        Some(t) => (super::roll::voting_link(public_url, t), t.grouped()),
        // What `{{code}}` and `{{link}}` say in a reminder, which carries no
        // code (a wording saved before reminders stopped carrying codes may
        // use them).
        None => (vote_page.clone(), text(lang, "mail-no-code", &[])),
    };
    let organisation = Organisation::load_text(conn)?;
    let office = office_of(&organisation, public_url, &row.id);
    let signature = signature(&organisation, lang);
    let fields = Fields {
        name,
        election: &row.title,
        closes: &closes,
        link: &link,
        vote_page: &vote_page,
        code: &code,
        office: &office,
        signature: &signature,
    };
    let rendered = render_text(&subject_t, &fields).and_then(|s| render_text(&body_t, &fields).map(|b| (s, b)));
    Ok(rendered.map(|(subject, body)| {
        if kind == REPLACEMENT {
            (
                subject,
                with_contact(
                    &organisation,
                    lang,
                    format!("{body}\n{}: {office}\n", text(lang, "mail-replacement-warning", &[])),
                ),
            )
        } else {
            (subject, with_contact(&organisation, lang, body))
        }
    }))
}

/// A member lost their code: issue a new one (the old one stops working),
/// logged as `token_reissued` with who did it, for the caller to e-mail or
/// print. `email_links_to` is the public address when it goes by e-mail
/// (`None`: a letter, and a notice is queued to the member's e-mail address
/// if they have one). Refused once the member had voted as of the last seal
/// or the polls have closed.
pub fn replace_code(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    election: &str,
    member_id: &str,
    email_links_to: Option<&str>,
    actor: &str,
    now: i64,
) -> Result<Replacement, OpError> {
    let member_id = member_id.trim();
    if email_links_to.is_some() {
        let member =
            members::find(conn, election, member_id)?.ok_or_else(|| OpError::NoSuchMember(member_id.into()))?;
        if member.email.trim().is_empty() {
            return Err(OpError::Refused(format!(
                "member {member_id} has no e-mail address on the roll; print a letter instead"
            )));
        }
    }
    let notify = match email_links_to {
        Some(_) => super::roll::Notify::CodeGoesToMember,
        None => super::roll::Notify::Member,
    };
    let issued = super::roll::reissue_token(conn, secret, election, member_id, actor, notify, now)?;
    let row = crate::store::elections::find(conn, election)?.ok_or_else(|| OpError::NoSuchElection(election.into()))?;
    let message = match email_links_to {
        Some(public_url) => {
            let member =
                members::find(conn, election, member_id)?.ok_or_else(|| OpError::NoSuchMember(member_id.into()))?;
            Some(
                compose(conn, &row, &member, Some(&issued.token), REPLACEMENT, public_url)?
                    .map_err(OpError::Refused)?,
            )
        }
        None => None,
    };
    Ok(Replacement { issued, message })
}

/// A replaced code, and the message carrying it when it goes by e-mail.
pub struct Replacement {
    /// The member and their new code.
    pub issued: super::roll::IssuedToken,
    /// Subject and body, for e-mail.
    pub message: Option<(String, String)>,
}

/// Retry every failed message (each gets a new code), and every failed
/// confirmation.
pub fn retry_failed(conn: &mut AnyConnection, election: &str, now: i64) -> Result<usize, OpError> {
    Ok(deliveries::requeue_failed(conn, election, now)?
        + crate::store::confirmations::requeue_failed(conn, election, now)?)
}

/// A printed letter: the member and their new code.
#[derive(Debug, Clone)]
pub struct Letter {
    /// Member id.
    pub member_id: String,
    /// Name.
    pub name: String,
    /// The new code.
    pub token: Token,
    /// The language it is written in.
    pub lang: Lang,
}

/// Issue new codes for letters to members without e-mail who had not voted
/// as of the last seal (their old codes stop working), logged as sent by
/// letter.
pub fn letters(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    election: &str,
    actor: &str,
    now: i64,
) -> Result<Vec<Letter>, OpError> {
    write_tx(conn, |conn| {
        let (mut head, row) = lock_election(conn, election)?;
        let state = row.state()?;
        if state > State::Open {
            return Err(OpError::WrongState {
                action: "printing letters",
                needed: "draft or open",
                actual: state,
            });
        }
        let mut out = Vec::new();
        for m in members::without_email(conn, election)? {
            let token = Token::generate()?;
            if members::set_token(conn, election, &m.member_id, &secret.token_hash(token.as_str()))? {
                out.push(Letter {
                    lang: m.lang(),
                    member_id: m.member_id,
                    name: m.name,
                    token,
                });
            }
        }
        if !out.is_empty() {
            crate::store::log::append(
                conn,
                &mut head,
                vec![Event::TokensSent {
                    kind: "letter".into(),
                    count: out.len() as u64,
                    actor: actor.to_string(),
                }],
                now,
            )?;
        }
        Ok(out)
    })
}

/// Counts by kind: (queued + sending, sent, failed, skipped).
pub fn progress(conn: &mut AnyConnection, election: &str) -> Result<BTreeMap<String, [i64; 4]>, OpError> {
    let mut out: BTreeMap<String, [i64; 4]> = BTreeMap::new();
    for kind in [INVITATION, REMINDER, NOTICE] {
        out.insert(kind.to_string(), [0; 4]);
    }
    for (kind, status, n) in deliveries::stats(conn, election)? {
        let slot = match status.as_str() {
            "queued" | "sending" => 0,
            "sent" => 1,
            "failed" => 2,
            "skipped" => 3,
            other => return Err(StoreError::from(corrupt(format!("delivery status {other}"))).into()),
        };
        out.entry(kind).or_insert([0; 4])[slot] += n;
    }
    Ok(out)
}
