//! Create an election from its definition.

use teller_audit::log::Event;

use super::OpError;
use crate::db::{write_tx, AnyConnection};
use crate::domain::lifecycle::State;
use crate::domain::spec::ElectionSpec;
use crate::secrets::MasterSecret;
use crate::store::elections::{self, ElectionRow};
use crate::store::log as logstore;
use crate::store::{corrupt, StoreError};

/// Create a draft election with a fresh signing key and lot seed. Returns its id.
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
    let id = uuid::Uuid::new_v4().to_string();
    let keys = secret.new_election_secrets(&id)?;
    let definition = teller_audit::canonical::to_bytes(&spec.definition)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| StoreError::from(corrupt("definition could not be encoded")))?;
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
    };
    write_tx(conn, |conn| {
        elections::insert(conn, &row)?;
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
