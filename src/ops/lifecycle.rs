//! Opening, closing and tallying.

use teller_audit::checkpoint::CheckpointReason;
use teller_audit::log::Event;
use teller_audit::tally::{self, Tally};

use super::seal::{seal_locked, SealWhen};
use super::{checkpoint, lock_election, require_state, OpError};
use crate::db::{write_tx, AnyConnection};
use crate::domain::lifecycle::State;
use crate::secrets::MasterSecret;
use crate::store::elections::ElectionRow;
use crate::store::log::HeadRow;
use crate::store::{ballots, corrupt, elections, members, StoreError};

/// Open the polls: freeze the definition, log its hash, the roll size and
/// the commitment to the lot seed, and sign a checkpoint.
pub fn open(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    election: &str,
    actor: &str,
    now: i64,
) -> Result<(), OpError> {
    write_tx(conn, |conn| {
        let (mut head, row) = lock_election(conn, election)?;
        require_state(&row, State::Draft, "opening the polls")?;
        if row.closes_at.is_some_and(|c| c <= now) {
            return Err(OpError::Definition(vec![format!(
                "the scheduled closing time {} has already passed",
                crate::time::format(row.closes_at.unwrap_or(now))
            )]));
        }
        let definition = row.definition()?;
        let problems = definition.problems();
        if !problems.is_empty() {
            return Err(OpError::Definition(problems));
        }
        // An encrypted election opens only once its trustees' key ceremony
        // is complete (§16.4), and only with contests it can encrypt (§14.8).
        let ceremony = super::ceremony::completed(conn, election)?;
        let encryption = match &ceremony {
            None => None,
            Some(outcome) => {
                let refused = crate::domain::spec::unencryptable(&definition);
                if !refused.is_empty() {
                    return Err(OpError::Definition(refused));
                }
                // The fingerprint binds every proof to this election, this
                // frozen definition and this key (§14.7).
                let keys = outcome.verification_keys();
                let fingerprint = teller_audit::encrypted::fingerprint::FingerprintInput {
                    election: &row.id,
                    definition_hash: definition.hash(),
                    threshold: outcome.threshold,
                    joint_key: outcome.joint_key,
                    verification_keys: &keys,
                }
                .fingerprint();
                // Its running totals start empty: each batch of casts adds
                // its ballots in its own transaction (ops::cast).
                let shape = teller_audit::encrypted::ballot::BallotShape::of(&definition)
                    .map_err(|e| OpError::Definition(vec![e.to_string()]))?;
                crate::store::ballots::create_running_totals(
                    conn,
                    election,
                    &super::cast::empty_running_totals(&shape),
                )?;
                Some(teller_audit::log::OpenedEncryption {
                    mode: teller_audit::log::ENCRYPTION_MODE.to_string(),
                    threshold: outcome.threshold,
                    joint_key: outcome.joint_key,
                    fingerprint,
                })
            }
        };
        let counts = members::counts(conn, election)?;
        if counts.members == 0 {
            return Err(OpError::EmptyRoll);
        }
        crate::store::turnout::refresh(conn, election)?;
        let registered = crate::store::certify::keys(conn, election)?.len() as i64;
        if registered < row.certification_quorum {
            return Err(OpError::Refused(format!(
                "the result is to be certified by {} certifiers, but only {registered} have registered a key; they must do so before the polls open",
                row.certification_quorum
            )));
        }
        let seed = secret.lot_seed(&row.id, &row.lot_seed)?;
        // The witnesses co-signing the log are fixed here (FORMAT.md §6b).
        let (witnesses, witness_quorum) = crate::store::witnesses::policy(conn, election)?;
        let witnesses: Vec<_> = witnesses.into_iter().map(|w| w.witness).collect();
        elections::set_state(conn, election, State::Open)?;
        head.last_seal_at = now;
        crate::store::log::append(
            conn,
            &mut head,
            vec![Event::PollsOpened {
                definition_hash: definition.hash(),
                eligible: counts.members,
                tokens_issued: counts.tokens_issued,
                lot_seed_commitment: seed.commitment(),
                certification_quorum: u32::try_from(row.certification_quorum).unwrap_or(0),
                closes_at: row.closes_at,
                actor: actor.to_string(),
                witnesses: Some(witnesses),
                witness_quorum: Some(witness_quorum),
                encryption: Some(encryption),
            }],
            now,
        )?;
        checkpoint(conn, secret, &row, &head, CheckpointReason::Opened, now)?;
        Ok(())
    })
}

/// Change when the polls close (extend them, or bring the close forward),
/// with the reason, in the log once the polls are open.
pub fn reschedule(
    conn: &mut AnyConnection,
    election: &str,
    closes_at: Option<i64>,
    reason: &str,
    actor: &str,
    now: i64,
) -> Result<(), OpError> {
    if reason.trim().is_empty() {
        return Err(OpError::Refused(
            "give the reason for changing the closing time; it goes in the public log".into(),
        ));
    }
    if closes_at.is_some_and(|t| t <= now) {
        return Err(OpError::Refused(
            "the new closing time has already passed; close the polls instead".into(),
        ));
    }
    write_tx(conn, |conn| {
        let (mut head, row) = lock_election(conn, election)?;
        let state = row.state()?;
        if state > State::Open {
            return Err(OpError::WrongState {
                action: "changing the closing time",
                needed: "draft or open",
                actual: state,
            });
        }
        elections::set_closes_at(conn, election, closes_at)?;
        if state < State::Open {
            // A draft's closing time is a setting like any other: the log
            // records it when the polls open (`polls_opened.closes_at`), and
            // `schedule_changed` only ever follows the opening (FORMAT.md §5).
            return Ok(());
        }
        crate::store::log::append(
            conn,
            &mut head,
            vec![Event::ScheduleChanged {
                closes_at,
                reason: reason.trim().to_string(),
                actor: actor.to_string(),
            }],
            now,
        )?;
        Ok(())
    })
}

/// What the close did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed {
    /// Ballots in the log.
    pub ballots: u64,
    /// Tokens used.
    pub tokens_used: u64,
}

/// Close the polls: seal what waits, log the count of tokens used, sign;
/// then remove the physical traces of the order of casting (see `scrub`).
pub fn close(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    election: &str,
    reason: &str,
    actor: &str,
    now: i64,
) -> Result<Closed, OpError> {
    let closed = close_polls(conn, secret, election, reason, actor, now)?;
    // The close is committed whatever happens here; a failed rewrite is
    // reported and can be repeated (it is also part of every later close).
    if let Err(e) = super::scrub::scrub(conn) {
        tracing::warn!(election, error = %e, "could not rewrite the voter and ballot tables after the close");
    }
    Ok(closed)
}

fn close_polls(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    election: &str,
    reason: &str,
    actor: &str,
    now: i64,
) -> Result<Closed, OpError> {
    write_tx(conn, |conn| {
        let (mut head, row) = lock_election(conn, election)?;
        require_state(&row, State::Open, "closing the polls")?;
        seal_locked(conn, secret, &mut head, &row, SealWhen::Now, now)?;
        // The final seal queued every confirmation still waiting; none may
        // stay pending past the close.
        crate::store::confirmations::drop_pending(conn, election)?;
        // Delivery rows keep no finer time than the close (see `scrub`).
        crate::store::deliveries::coarsen_at_close(conn, election, now)?;
        // An encrypted election's used alphas were needed only to refuse
        // replays while casting; their rows were written by the casts (in
        // casting order, with the casts' transaction ids), so they go.
        crate::store::ballots::delete_alphas(conn, election)?;
        let counts = members::counts(conn, election)?;
        let tokens_issued = members::tokens_issued(conn, election)?;
        let ballots = head.sealed_ballots as u64;
        elections::set_state(conn, election, State::Closed)?;
        crate::store::log::append(
            conn,
            &mut head,
            vec![Event::PollsClosed {
                tokens_used: counts.voted,
                tokens_issued,
                ballots,
                reason: reason.to_string(),
                actor: actor.to_string(),
            }],
            now,
        )?;
        checkpoint(conn, secret, &row, &head, CheckpointReason::Closed, now)?;
        // An encrypted election's totals are fixed now, before any
        // decryption (audit/FORMAT.md §16.6), in the same
        // transaction: `aggregated` follows the closing checkpoint (which
        // is at `polls_closed`, FORMAT.md §6) and the tally's signs it.
        if crate::store::ceremony::parameters(conn, election)?.is_some() {
            super::decryption::aggregate_locked(conn, &mut head, &row, now)?;
        }
        Ok(Closed {
            ballots,
            tokens_used: counts.voted,
        })
    })
}

/// Count the ballots, store and log the tally with the revealed lot seed.
pub fn tally(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    election: &str,
    actor: &str,
    now: i64,
) -> Result<Tally, OpError> {
    write_tx(conn, |conn| {
        let (mut head, row) = lock_election(conn, election)?;
        require_state(&row, State::Closed, "tallying")?;
        // Its record is version 1's (FORMAT.md §13), which needs version 1's
        // tally: a version 2 tally in it would verify nowhere.
        if crate::store::log::closed_by_version1(conn, &row.id)? {
            return Err(OpError::Refused(
                "the polls were closed by an earlier version of Teller, whose count this version does not make: \
                 nothing was changed; count it with that version (restore the backup made before the upgrade)"
                    .into(),
            ));
        }
        // An encrypted election is counted from its decrypted totals, once
        // the trustees have decrypted them (§16.8), never from ballots.
        if crate::store::ceremony::parameters(conn, election)?.is_some() {
            return super::decryption::tally_locked(conn, secret, &mut head, &row, actor, now);
        }
        let definition = row.definition()?;
        let seed = secret.lot_seed(&row.id, &row.lot_seed)?;
        let all = ballots::all_sealed(conn, election)?;
        let result = tally::tally(&row.id, &definition, &all, &seed);
        publish_tally(conn, secret, &mut head, &row, &result, seed, actor, now)?;
        Ok(result)
    })
}

/// Store and log a tally with the revealed lot seed, and sign (the head
/// locked, the election closed): the election is tallied.
#[allow(clippy::too_many_arguments)]
pub(crate) fn publish_tally(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    head: &mut HeadRow,
    row: &ElectionRow,
    result: &Tally,
    seed: teller_audit::crypto::Seed,
    actor: &str,
    now: i64,
) -> Result<(), OpError> {
    let json = teller_audit::canonical::to_bytes(result)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| StoreError::from(corrupt("the tally could not be encoded")))?;
    elections::set_tally(conn, &row.id, &json)?;
    elections::set_state(conn, &row.id, State::Tallied)?;
    crate::store::log::append(
        conn,
        head,
        vec![Event::Tallied {
            tally_digest: result.digest(),
            lot_seed: seed,
            actor: actor.to_string(),
        }],
        now,
    )?;
    checkpoint(conn, secret, row, head, CheckpointReason::Tallied, now)?;
    Ok(())
}

/// Delete a draft election with everything staff prepared for it (its roll,
/// deliveries, wording, registered keys and its log, which no checkpoint
/// has signed yet); all or nothing. An election whose polls have opened
/// cannot be deleted: the database refuses to delete a log a checkpoint
/// commits to. Returns the deleted election's title.
pub fn delete_draft(conn: &mut AnyConnection, election: &str, actor: &str) -> Result<String, OpError> {
    use crate::db::schema::{
        certifier_keys, deliveries, election_texts, elections as elections_t, log_entries, log_heads, mail_templates,
        members as members_t, roll_upload_rows, roll_uploads, turnout,
    };
    use diesel::prelude::*;
    let title = write_tx(conn, |conn| {
        let (_head, row) = lock_election(conn, election)?;
        require_state(&row, State::Draft, "deleting an election")?;
        let id = row.id.as_str();
        let uploads: Vec<String> = roll_uploads::table
            .filter(roll_uploads::election_id.eq(id))
            .select(roll_uploads::id)
            .load(conn)?;
        diesel::delete(roll_upload_rows::table.filter(roll_upload_rows::upload_id.eq_any(&uploads))).execute(conn)?;
        diesel::delete(roll_uploads::table.filter(roll_uploads::election_id.eq(id))).execute(conn)?;
        diesel::delete(deliveries::table.filter(deliveries::election_id.eq(id))).execute(conn)?;
        crate::store::confirmations::delete_all(conn, id)?;
        diesel::delete(mail_templates::table.filter(mail_templates::election_id.eq(id))).execute(conn)?;
        diesel::delete(election_texts::table.filter(election_texts::election_id.eq(id))).execute(conn)?;
        diesel::delete(certifier_keys::table.filter(certifier_keys::election_id.eq(id))).execute(conn)?;
        diesel::delete(turnout::table.filter(turnout::election_id.eq(id))).execute(conn)?;
        diesel::delete(members_t::table.filter(members_t::election_id.eq(id))).execute(conn)?;
        crate::store::profiles::delete_election(conn, id)?;
        crate::store::witnesses::delete_election(conn, id)?;
        crate::store::ceremony::delete_election(conn, id)?;
        diesel::delete(log_entries::table.filter(log_entries::election_id.eq(id))).execute(conn)?;
        diesel::delete(log_heads::table.filter(log_heads::election_id.eq(id))).execute(conn)?;
        diesel::delete(elections_t::table.filter(elections_t::id.eq(id))).execute(conn)?;
        Ok::<_, OpError>(row.title)
    })?;
    tracing::info!(election, actor, title = %title, "draft election deleted");
    Ok(title)
}
