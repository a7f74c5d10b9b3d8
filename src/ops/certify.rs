//! Certification by the election committee: certifiers register their own
//! public keys before the polls open, then sign the result offline
//! (`teller-audit sign`); the election is certified when the quorum it names
//! has signed. The server checks each signature against the registered key
//! and cannot sign for anyone.

use teller_audit::certify::{SignedStatement, Statement};
use teller_audit::checkpoint::CheckpointReason;
use teller_audit::crypto::PublicKey;
use teller_audit::log::Event;

use super::staff::StaffUser;
use super::{checkpoint, lock_election, OpError};
use crate::db::{write_tx, AnyConnection};
use crate::domain::lifecycle::State;
use crate::secrets::MasterSecret;
use crate::store::{certify as store, corrupt, elections, StoreError};

/// Where certification stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// Valid signatures so far.
    pub signed: u64,
    /// Signatures needed.
    pub quorum: u64,
    /// Whether the election is now certified.
    pub certified: bool,
}

fn parse_key(hex: &str) -> Result<PublicKey, OpError> {
    serde_json::from_value(serde_json::Value::String(hex.trim().to_ascii_lowercase()))
        .map_err(|_| OpError::Refused("a public key is 64 hex digits, as `teller-audit keygen` prints it".to_string()))
}

/// Register the signed-in certifier's public key (before the polls open).
pub fn register_key(
    conn: &mut AnyConnection,
    election: &str,
    user: &StaffUser,
    public_key: &str,
    now: i64,
) -> Result<(), OpError> {
    if !user.role.certifies() {
        return Err(OpError::Refused("only certifiers register keys".into()));
    }
    let key = parse_key(public_key)?;
    write_tx(conn, |conn| {
        let (mut head, row) = lock_election(conn, election)?;
        let state = row.state()?;
        if state != State::Draft {
            return Err(OpError::WrongState {
                action: "registering a certifier's key",
                needed: "draft",
                actual: state,
            });
        }
        if store::keys(conn, election)?
            .iter()
            .any(|(staff, k)| k == &key.to_hex() && staff != &user.id)
        {
            return Err(OpError::Refused(
                "another certifier registered that key; make your own with teller-audit keygen".into(),
            ));
        }
        store::register(conn, election, &user.id, &key.to_hex(), now)?;
        crate::store::log::append(
            conn,
            &mut head,
            vec![Event::CertifierRegistered {
                certifier: user.display_name.clone(),
                public_key: key,
                actor: user.actor(),
            }],
            now,
        )?;
        Ok(())
    })
}

/// Accept a certifier's signed statement of the result.
pub fn certify(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    election: &str,
    user: &StaffUser,
    signed: &SignedStatement,
    now: i64,
) -> Result<Progress, OpError> {
    write_tx(conn, |conn| {
        let (mut head, row) = lock_election(conn, election)?;
        let state = row.state()?;
        if state != State::Tallied {
            return Err(OpError::WrongState {
                action: "certifying",
                needed: "tallied (and not yet certified)",
                actual: state,
            });
        }
        let registered = store::keys(conn, election)?
            .into_iter()
            .find(|(staff, _)| staff == &user.id)
            .map(|(_, k)| k)
            .ok_or_else(|| OpError::Refused("you registered no key for this election before it opened".into()))?;
        if registered != signed.public_key.to_hex() {
            return Err(OpError::Refused(format!(
                "the signature is by key {}, but your registered key is {}",
                signed.public_key.fingerprint(),
                parse_key(&registered)?.fingerprint()
            )));
        }
        let tally = row
            .tally
            .as_deref()
            .ok_or_else(|| StoreError::from(corrupt("tallied election without a tally")))?;
        let tally: teller_audit::tally::Tally =
            serde_json::from_str(tally).map_err(|e| StoreError::from(corrupt(e)))?;
        let expected = Statement::new(election, tally.digest());
        if signed.statement != expected {
            return Err(OpError::Refused(
                "the statement is not this election's result: sign the record you downloaded after the tally".into(),
            ));
        }
        if !signed.verifies() {
            return Err(OpError::Refused(
                "the signature does not verify: it was not made with your key over this result".into(),
            ));
        }
        if store::signed(conn, election)?
            .iter()
            .any(|(staff, _)| staff == &user.id)
        {
            return Err(OpError::Refused("you have already certified this result".into()));
        }
        let body = serde_json::to_string(signed).map_err(|e| StoreError::from(corrupt(e)))?;
        store::insert(conn, election, &user.id, &body, now)?;
        let mut events = vec![Event::Certification {
            certifier: user.display_name.clone(),
            public_key: signed.public_key,
            signature: signed.signature,
        }];
        let signed_count = store::signed(conn, election)?.len() as u64;
        let quorum = row.certification_quorum.max(0) as u64;
        let certified = quorum > 0 && signed_count >= quorum;
        if certified {
            events.push(Event::Certified {
                signatures: signed_count,
                quorum: quorum as u32,
            });
            elections::set_state(conn, election, State::Certified)?;
        }
        crate::store::log::append(conn, &mut head, events, now)?;
        if certified {
            checkpoint(conn, secret, &row, &head, CheckpointReason::Certified, now)?;
        }
        Ok(Progress {
            signed: signed_count,
            quorum,
            certified,
        })
    })
}
