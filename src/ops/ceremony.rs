//! An encrypted election's key ceremony run through Teller
//! (audit/FORMAT.md §16.1–§16.5, §16.9): staff name the
//! trustees while the election is a draft; each trustee posts its signed
//! messages, which the board of `teller_audit::trustees` checks and this
//! module appends with their log entries, in one transaction under the
//! election's lock; staff may stop waiting for an absent trustee. The polls
//! open only once the ceremony is complete ([`completed`]).
//!
//! The server holds no trustee secret: it keeps the public messages and the
//! SHA-256 of each trustee's access code, and replays the board from the
//! stored messages whenever it needs its state, as every trustee and
//! verifier does.

use teller_audit::crypto::Digest;
use teller_audit::log::Event;
use teller_audit::trustees::board::{Accepted, Board, Exclusion, Outcome, Refusal};
use teller_audit::trustees::ceremony::KeyEntry;
use teller_audit::trustees::envelope::{Envelope, Round};
use teller_audit::trustees::files::{replay, BoardFile, ExclusionEntry};
use teller_audit::trustees::TrusteeIndex;

use super::{lock_election, require_state, OpError};
use crate::db::{write_tx, AnyConnection};
use crate::domain::lifecycle::State;
use crate::domain::token::Token;
use crate::store::ceremony::{self as store, CeremonyRow, TrusteeRow};
use crate::store::log as logstore;
use crate::store::{corrupt, StoreError};

/// The largest message a trustee may post: a deal to 31 others with
/// `K = 32` is about 14 KB; requests are capped at 64 KiB anyway.
pub const MAX_MESSAGE_BYTES: usize = 48 * 1024;

/// A ceremony as staff and trustees see it.
#[derive(Debug)]
pub struct Ceremony {
    /// `N` and `K`.
    pub params: CeremonyRow,
    /// The trustees named so far.
    pub named: Vec<TrusteeRow>,
    /// The board file and its replayed state, once all `N` are named.
    pub board: Option<(BoardFile, Board)>,
}

impl Ceremony {
    /// Whether the ceremony is complete.
    pub fn outcome(&self) -> Option<&Outcome> {
        self.board.as_ref().and_then(|(_, b)| b.outcome())
    }
}

fn refused(code: &'static str, message: impl Into<String>) -> OpError {
    OpError::Ceremony {
        code,
        message: message.into(),
    }
}

/// The stable name of each refusal of the board.
fn refusal(r: Refusal) -> OpError {
    let code = match &r {
        Refusal::Format(_) => "not_a_ceremony_message",
        Refusal::Election(_) => "wrong_election",
        Refusal::UnknownTrustee(_) => "unknown_trustee",
        Refusal::Excluded(_) => "excluded",
        Refusal::Over(_) => "ceremony_over",
        Refusal::Decrypt => "not_a_ceremony_round",
        Refusal::NotRegistered(_) => "not_registered",
        Refusal::OutOfTurn(_) => "out_of_turn",
        Refusal::Duplicate { .. } => "duplicate",
        Refusal::Signature(_) => "bad_signature",
        Refusal::Body { .. } => "invalid_body",
        Refusal::NotAbsent(_) => "not_awaited",
        Refusal::NoneNamed => "none_named",
    };
    refused(code, r.to_string())
}

/// The election's ceremony, `None` for a plain election.
pub fn load(conn: &mut AnyConnection, election: &str) -> Result<Option<Ceremony>, OpError> {
    let Some(params) = store::parameters(conn, election)? else {
        return Ok(None);
    };
    let named = store::trustees(conn, election)?;
    let board = if named.len() == params.trustees as usize {
        let file = store::board_file(conn, election, params.threshold, &named)?;
        // What was accepted is accepted again: anything else is tampering.
        let board = replay(&file, false)
            .map_err(|e| StoreError::from(corrupt(format!("the stored ceremony does not replay: {e}"))))?
            .board;
        Some((file, board))
    } else {
        None
    };
    Ok(Some(Ceremony { params, named, board }))
}

/// A trustee named, with the access code to hand them (shown once; only
/// its SHA-256 is kept).
#[derive(Debug)]
pub struct Named {
    /// Its index.
    pub trustee: TrusteeIndex,
    /// The access code.
    pub code: Token,
}

/// The SHA-256 of an access code, as stored.
pub fn code_hash(code: &Token) -> String {
    Digest::of(code.as_str().as_bytes()).to_hex()
}

/// Name the next trustee of a draft (`name`, and an e-mail address if
/// staff have one), logged as `trustee_named`.
pub fn name_trustee(
    conn: &mut AnyConnection,
    election: &str,
    name: &str,
    email: Option<&str>,
    actor: &str,
    now: i64,
) -> Result<Named, OpError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(OpError::Refused(
            "a trustee's name is 1 to 200 characters, without control characters".into(),
        ));
    }
    let email = email.map(str::trim).filter(|e| !e.is_empty());
    if let Some(e) = email {
        let plausible = e.len() <= 254
            && e.split_once('@').is_some_and(|(l, d)| !l.is_empty() && d.contains('.'))
            && !e.chars().any(|c| c.is_whitespace() || c.is_control());
        if !plausible {
            return Err(OpError::Refused(format!(
                "{e:?} is not an e-mail address; leave it empty if you have none"
            )));
        }
    }
    let code = Token::generate()?;
    let hash = code_hash(&code);
    let trustee = write_tx(conn, |conn| {
        let (mut head, row) = lock_election(conn, election)?;
        require_state(&row, State::Draft, "naming trustees")?;
        let params = store::parameters(conn, election)?.ok_or_else(|| {
            OpError::Refused(
                "this election is not encrypted: its ballots are counted in plain, so it has no trustees".into(),
            )
        })?;
        let named = store::trustees(conn, election)?;
        if named.len() >= params.trustees as usize {
            return Err(OpError::Refused(format!(
                "all {} trustees are named; a trustee's number is never reused",
                params.trustees
            )));
        }
        if named.iter().any(|t| t.name == name) {
            return Err(OpError::Refused(format!(
                "a trustee named {name:?} is named already; give each trustee a name the others can tell apart"
            )));
        }
        let trustee = named.len() as u32 + 1;
        let row = TrusteeRow {
            trustee,
            name: name.to_string(),
            email: email.map(str::to_string),
            named_by: actor.to_string(),
            named_at: now,
        };
        store::insert_trustee(conn, election, &row, &hash)?;
        logstore::append(
            conn,
            &mut head,
            vec![Event::TrusteeNamed {
                trustee,
                name: name.to_string(),
                actor: actor.to_string(),
            }],
            now,
        )?;
        Ok::<_, OpError>(trustee)
    })?;
    Ok(Named { trustee, code })
}

/// The election and trustee an access code opens, if any.
pub fn trustee_of(conn: &mut AnyConnection, code: &str) -> Result<Option<(String, TrusteeIndex)>, OpError> {
    let Ok(token) = Token::parse(code) else {
        return Ok(None);
    };
    Ok(store::by_code(conn, &code_hash(&token))?)
}

/// What posting a message did.
#[derive(Debug)]
pub struct Posted {
    /// The message's digest.
    pub digest: Digest,
    /// Trustees it excluded.
    pub exclusions: Vec<Exclusion>,
    /// Whether it completed the ceremony.
    pub completed: bool,
    /// Why the ceremony failed, if it did now.
    pub failed: Option<String>,
}

/// Post trustee `trustee`'s message (the bytes it uploaded): read strictly,
/// checked by the board (§16.2–§16.4), appended with its log entries, all
/// or nothing. A refusal names what is wrong and changes nothing.
pub fn post(
    conn: &mut AnyConnection,
    election: &str,
    trustee: TrusteeIndex,
    bytes: &[u8],
    now: i64,
) -> Result<Posted, OpError> {
    if bytes.len() > MAX_MESSAGE_BYTES {
        return Err(refused(
            "too_large",
            format!("a ceremony message is at most {MAX_MESSAGE_BYTES} bytes"),
        ));
    }
    let envelope: Envelope = teller_audit::verify::read_strict(bytes, "message")
        .map_err(|e| refused("unreadable", format!("the file is not a ceremony message: {e}")))?;
    if envelope.trustee != trustee {
        return Err(refused(
            "not_your_message",
            format!(
                "this message is trustee {}'s, and you signed in as trustee {trustee}; upload your own message",
                envelope.trustee
            ),
        ));
    }
    write_tx(conn, |conn| {
        let (mut head, row) = lock_election(conn, election)?;
        require_state(&row, State::Draft, "posting ceremony messages")?;
        let ceremony =
            load(conn, election)?.ok_or_else(|| refused("not_encrypted", "this election has no trustees"))?;
        let Some((_, mut board)) = ceremony.board else {
            return Err(refused(
                "not_ready",
                format!(
                    "staff have named {} of the {} trustees; the ceremony starts when all are named",
                    ceremony.named.len(),
                    ceremony.params.trustees
                ),
            ));
        };
        let accepted = board.post(&envelope).map_err(refusal)?;
        store::append_message(conn, election, &envelope, now)?;
        let events = events_of(&envelope, &accepted);
        for x in &accepted.exclusions {
            store::append_exclusion(conn, election, &ExclusionEntry::from(x))?;
        }
        logstore::append(conn, &mut head, events, now)?;
        Ok(Posted {
            digest: accepted.digest,
            exclusions: accepted.exclusions,
            completed: accepted.completed.is_some(),
            failed: accepted.failed,
        })
    })
}

/// The log entries an accepted message makes (§16.9): the message, then
/// each exclusion, then the completion.
fn events_of(e: &Envelope, accepted: &Accepted) -> Vec<Event> {
    let mut events = Vec::new();
    match e.round {
        Round::Register => {
            // Read again by the board just now; these cannot fail.
            let body: Option<teller_audit::trustees::ceremony::RegisterBody> =
                serde_json::from_value(e.body.clone()).ok();
            if let Some(body) = body {
                events.push(Event::TrusteeRegistered {
                    trustee: e.trustee,
                    signing_key: body.signing_key,
                    encryption_key: body.encryption_key,
                    message: accepted.digest,
                });
            }
        }
        round => events.push(Event::CeremonyMessage {
            attempt: e.attempt,
            trustee: e.trustee,
            round: round.name().to_string(),
            message: accepted.digest,
        }),
    }
    events.extend(accepted.exclusions.iter().map(excluded));
    if let Some(outcome) = &accepted.completed {
        events.push(completed_event(outcome));
    }
    events
}

fn excluded(x: &Exclusion) -> Event {
    Event::TrusteeExcluded {
        attempt: x.attempt,
        trustee: x.trustee,
        rule: x.rule.name().to_string(),
        actor: x.actor.clone(),
    }
}

fn completed_event(o: &Outcome) -> Event {
    Event::CeremonyCompleted {
        attempt: o.attempt,
        threshold: o.threshold,
        joint_key: o.joint_key,
        verification_keys: o
            .members
            .iter()
            .map(|m| KeyEntry {
                trustee: m.trustee,
                key: m.verification_key,
            })
            .collect(),
    }
}

/// Staff stop waiting for `trustees` (rule 5, `absent`, decision 8): each
/// must be one the board awaits. Logged with the staff member's name; the
/// attempt restarts without them (or, while registering, they are dropped
/// from the roster).
pub fn exclude_absent(
    conn: &mut AnyConnection,
    election: &str,
    trustees: &[TrusteeIndex],
    actor: &str,
    now: i64,
) -> Result<Vec<Exclusion>, OpError> {
    write_tx(conn, |conn| {
        let (mut head, row) = lock_election(conn, election)?;
        require_state(&row, State::Draft, "excluding a trustee")?;
        let ceremony =
            load(conn, election)?.ok_or_else(|| refused("not_encrypted", "this election has no trustees"))?;
        let Some((_, mut board)) = ceremony.board else {
            return Err(refused("not_ready", "the ceremony starts when all trustees are named"));
        };
        let made = board.exclude_absent(trustees, actor).map_err(refusal)?;
        let mut events: Vec<Event> = Vec::new();
        for x in &made {
            store::append_exclusion(conn, election, &ExclusionEntry::from(x))?;
            events.push(excluded(x));
        }
        logstore::append(conn, &mut head, events, now)?;
        Ok(made)
    })
}

/// For the opening: the ceremony's outcome if the election is encrypted
/// (`Ok(None)` for a plain one), or why the polls cannot open yet.
pub fn completed(conn: &mut AnyConnection, election: &str) -> Result<Option<Outcome>, OpError> {
    let Some(c) = load(conn, election)? else {
        return Ok(None);
    };
    let Some((_, board)) = &c.board else {
        return Err(OpError::Refused(format!(
            "the ballots are to be encrypted under {} trustees' keys, but only {} are named; name them all and let them complete the key ceremony before the polls open",
            c.params.trustees,
            c.named.len()
        )));
    };
    match board.outcome() {
        Some(o) => Ok(Some(o.clone())),
        None => Err(OpError::Refused(match board.failure() {
            Some(why) => format!("the trustees' key ceremony failed: {why}"),
            None => format!(
                "the trustees' key ceremony is not complete (waiting for {} messages from trustee(s) {}); the polls open only once it is",
                board.phase().round().map_or("no", Round::name),
                teller_audit::trustees::board::list(&board.awaiting())
            ),
        })),
    }
}
