//! Create an election from its definition.

use teller_audit::log::Event;

use super::OpError;
use crate::db::{write_tx, AnyConnection};
use crate::domain::lifecycle::State;
use crate::domain::spec::ElectionSpec;
use crate::secrets::MasterSecret;
use crate::store::ceremony::{self, CeremonyRow};
use crate::store::elections::{self, ElectionRow};
use crate::store::log as logstore;
use crate::store::{corrupt, StoreError};

/// Create a draft election with a fresh signing key and lot seed. Returns its
/// id. The definition must be sound.
pub fn create_election(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    spec: &ElectionSpec,
    actor: &str,
    now: i64,
) -> Result<String, OpError> {
    let problems = spec.definition.problems();
    if !problems.is_empty() {
        return Err(OpError::Definition(problems));
    }
    create_draft(conn, secret, spec, actor, now)
}

fn encode(definition: &teller_audit::definition::Definition) -> Result<String, OpError> {
    Ok(teller_audit::canonical::to_bytes(definition)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| StoreError::from(corrupt("definition could not be encoded")))?)
}

/// Create a draft that may still be incomplete (the election builder saves
/// work in progress); the polls cannot open until its problems are fixed.
/// It needs a title.
pub fn create_draft(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    spec: &ElectionSpec,
    actor: &str,
    now: i64,
) -> Result<String, OpError> {
    if spec.definition.title.trim().is_empty() {
        return Err(OpError::Definition(vec!["the election needs a title".into()]));
    }
    let id = uuid::Uuid::new_v4().to_string();
    let keys = secret.new_election_secrets(&id)?;
    let definition = encode(&spec.definition)?;
    let row = ElectionRow {
        id: id.clone(),
        title: spec.definition.title.clone(),
        state: State::Draft.as_str().to_string(),
        definition,
        opens_at: spec.opens_at,
        closes_at: spec.closes_at,
        seal_interval_seconds: spec.seal_interval_seconds as i64,
        seal_min_ballots: spec.seal_min_ballots as i64,
        public_key: keys.public_key.to_hex(),
        secret_key: keys.sealed_key,
        lot_seed: keys.sealed_seed,
        created_at: now,
        tally: None,
        certification_quorum: i64::from(spec.certification_quorum),
        time_zone: spec.time_zone.name().to_string(),
        announced: spec.announced,
        send_confirmations: spec.send_confirmations,
    };
    write_tx(conn, |conn| {
        elections::insert(conn, &row)?;
        ceremony::set_parameters(conn, &id, spec.encryption.map(ceremony_row))?;
        let mut head = logstore::create_head(conn, &id, now)?;
        logstore::append(
            conn,
            &mut head,
            vec![Event::ElectionCreated {
                election: id.clone(),
                title: row.title.clone(),
                public_key: keys.public_key,
                actor: actor.to_string(),
            }],
            now,
        )?;
        Ok::<_, OpError>(())
    })?;
    Ok(id)
}

/// Replace a draft's definition, schedule, sealing policy, quorum and
/// confirmation setting, as long
/// as nobody else changed it since `base` (the [`draft_version`] the editor
/// started from). Logs `definition_updated` with who saved it.
pub fn update_draft(
    conn: &mut AnyConnection,
    election: &str,
    base: Option<&str>,
    spec: &ElectionSpec,
    actor: &str,
    now: i64,
) -> Result<(), OpError> {
    if spec.definition.title.trim().is_empty() {
        return Err(OpError::Definition(vec!["the election needs a title".into()]));
    }
    let definition = encode(&spec.definition)?;
    write_tx(conn, |conn| {
        let (mut head, row) = super::lock_election(conn, election)?;
        super::require_state(&row, State::Draft, "changing the ballot")?;
        if base.is_some_and(|b| b != draft_version(&row)) {
            return Err(OpError::Refused(
                "someone else changed this election while you were editing it; nothing was saved. Open it again to see their changes, then make yours".into(),
            ));
        }
        let updated = ElectionRow {
            title: spec.definition.title.clone(),
            definition: definition.clone(),
            opens_at: spec.opens_at,
            closes_at: spec.closes_at,
            seal_interval_seconds: spec.seal_interval_seconds as i64,
            seal_min_ballots: spec.seal_min_ballots as i64,
            certification_quorum: i64::from(spec.certification_quorum),
            time_zone: spec.time_zone.name().to_string(),
            announced: spec.announced,
            send_confirmations: spec.send_confirmations,
            ..row
        };
        elections::update_draft(conn, &updated)?;
        let wanted = spec.encryption.map(ceremony_row);
        if ceremony::parameters(conn, election)? != wanted {
            // N and K are fixed once a trustee is named (§16.1: indices are
            // never reused); K is never lowered in place (decision 6).
            if !ceremony::trustees(conn, election)?.is_empty() {
                return Err(OpError::Refused(
                    "trustees have been named, so whether the ballots are encrypted, and the number of trustees and the threshold, can no longer change; nothing was saved. Start a new election to change them".into(),
                ));
            }
            ceremony::set_parameters(conn, election, wanted)?;
        }
        // Photos and profiles of candidates no longer on the ballot go with
        // them, so that a later candidate given the same id does not inherit them.
        let keep: Vec<(String, String)> = spec
            .definition
            .contests
            .iter()
            .flat_map(|c| c.candidates.iter().map(|k| (c.id.clone(), k.id.clone())))
            .collect();
        crate::store::profiles::prune(conn, &updated.id, &keep)?;
        logstore::append(
            conn,
            &mut head,
            vec![Event::DefinitionUpdated {
                definition_hash: spec.definition.hash(),
                actor: actor.to_string(),
            }],
            now,
        )?;
        Ok(())
    })
}

fn ceremony_row(e: crate::domain::spec::Encryption) -> CeremonyRow {
    CeremonyRow {
        trustees: e.trustees,
        threshold: e.threshold,
    }
}

/// A short fingerprint of everything the election builder edits, so that two
/// people editing one draft cannot silently overwrite each other.
pub fn draft_version(row: &ElectionRow) -> String {
    let text = format!(
        "{}\n{:?}\n{:?}\n{}\n{}\n{}\n{}\n{}\n{}",
        row.definition,
        row.opens_at,
        row.closes_at,
        row.seal_interval_seconds,
        row.seal_min_ballots,
        row.certification_quorum,
        row.time_zone,
        row.announced,
        row.send_confirmations
    );
    teller_audit::crypto::Digest::of(text.as_bytes()).to_hex()[..16].to_string()
}
