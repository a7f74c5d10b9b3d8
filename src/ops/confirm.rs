//! Confirmation e-mails: a member who asked for one (a box on the review
//! page, in an election whose staff turned them on) is sent their ballot's
//! tracker and a link to check it once the ballot is sealed into the
//! public log — not when they cast it, so that the message, and any mail
//! server's log of it, says no more about when they voted than the seal
//! does.
//!
//! To send it, the server must know which member's address gets which
//! tracker between the cast and the sending: the one stored link between a
//! member and a ballot (docs/SECURITY.md). It is kept as short and as bare
//! as it can be:
//! - written by the cast, in its transaction, only when asked for; with no
//!   time and no sequence, keyed by the tracker (`store::confirmations`);
//! - queued by the seal that includes the ballot, in its transaction;
//! - deleted as soon as the message is sent. A message the mail server
//!   refuses stays, for staff to retry, until it is sent or the election's
//!   personal data is purged;
//! - never shown to staff member by member: they see only how many sealed
//!   confirmations wait or failed, never pending ones (that number would
//!   move with each cast).
//!
//! Messages leave in a random order drawn at the cast, neither the order of
//! casting nor the trackers' (the public log lists each seal's trackers in
//! order: a mail log listing recipients in tracker order would pair them).

use super::delivery::{letter_body, office_of, signature, with_contact};
use super::OpError;
use crate::db::{write_tx, AnyConnection};
use crate::i18n::{text, Arg};
use crate::mail::Mailer;
use crate::organisation::Organisation;
use crate::store::confirmations::{self, Claimed};
use crate::store::{elections, members};

/// The subject and body of the confirmation of the ballot `tracker` (hex)
/// in `election`, sealed in `seal`.
pub fn compose(
    organisation: &Organisation,
    public_url: &str,
    election: &elections::ElectionRow,
    member: &members::MemberRow,
    tracker: &str,
    seal: i64,
) -> (String, String) {
    let (lang, name) = (member.lang(), member.name.as_str());
    let (election_id, election_title) = (election.id.as_str(), election.title.as_str());
    let base = public_url.trim_end_matches('/');
    let link = format!("{base}/e/{election_id}/track?tracker={tracker}");
    let office = office_of(organisation, public_url, election_id);
    let args: Vec<(&str, Arg)> = vec![
        ("name", name.into()),
        ("election", election_title.into()),
        ("seal", seal.into()),
        ("tracker", crate::text::grouped(tracker).into()),
        ("link", link.into()),
        ("office", office.into()),
    ];
    let say = |key: &str| text(lang, key, &args);
    (
        say("confirm-subject"),
        with_contact(
            organisation,
            lang,
            letter_body(
                &say("mail-greeting"),
                &[
                    say("confirm-sealed"),
                    say("confirm-tracker"),
                    say("confirm-check"),
                    say("confirm-private"),
                    say("confirm-wrong"),
                ],
                &signature(organisation, lang),
            ),
        ),
    )
}

/// Send up to `limit` queued confirmations (over every election), each
/// deleted once sent. Returns how many were sent.
pub fn send_queued(
    conn: &mut AnyConnection,
    mailer: &Mailer,
    public_url: &str,
    limit: i64,
    now: i64,
) -> Result<usize, OpError> {
    confirmations::fail_stale(conn, now - 600)?;
    let claimed = write_tx(conn, |conn| Ok::<_, OpError>(confirmations::claim(conn, limit, now)?))?;
    let organisation = Organisation::load_text(conn)?;
    let mut sent = 0;
    for Claimed {
        election_id,
        tracker,
        member_id,
        seal,
    } in claimed
    {
        let election = elections::find(conn, &election_id)?;
        let member = members::find(conn, &election_id, &member_id)?;
        let (Some(election), Some(member), Some(seal)) = (election, member, seal) else {
            // Nobody left to write to (the roll was purged), or no seal
            // (cannot be: only sealed rows are queued).
            confirmations::delete(conn, &election_id, &tracker)?;
            continue;
        };
        if member.email.trim().is_empty() {
            confirmations::delete(conn, &election_id, &tracker)?;
            continue;
        }
        let (subject, body) = compose(&organisation, public_url, &election, &member, &tracker, seal);
        match mailer.send(&member.name, &member.email, &subject, &body) {
            Ok(()) => {
                confirmations::delete(conn, &election_id, &tracker)?;
                sent += 1;
            }
            Err(e) => {
                // The log names the member, never the tracker.
                tracing::warn!(election = %election_id, member = %member_id, error = %e, "confirmation e-mail failed");
                confirmations::fail(conn, &election_id, &tracker, &e, now)?;
            }
        }
    }
    Ok(sent)
}

/// Sealed confirmations of an election: (waiting to be sent, failed).
pub fn figures(conn: &mut AnyConnection, election: &str) -> Result<(i64, i64), OpError> {
    Ok(confirmations::sealed_figures(conn, election)?)
}
