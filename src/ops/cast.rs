//! Casting a ballot: one transaction consumes the token and stores the
//! ballot, awaiting its seal. The receipt is signed inside the transaction
//! and handed out only after the commit is durable.

use std::collections::BTreeMap;

use teller_audit::ballot::{self, Ballot};
use teller_audit::crypto::Nonce;
use teller_audit::definition::{Definition, WRITE_IN_PREFIX};
use teller_audit::receipt::{Receipt, ReceiptBody, RECEIPT_FORMAT};

use super::OpError;
use crate::db::{write_tx, AnyConnection};
use crate::domain::lifecycle::voting_window;
use crate::domain::token::Token;
use crate::secrets::{random_bytes, MasterSecret};
use crate::store::log::{self as logstore, Lock};
use crate::store::members::{self, TokenStatus};
use crate::store::{ballots, elections};

/// Choices as submitted: contest id → option ids.
pub type Choices = BTreeMap<String, Vec<String>>;

/// Fill in blank contests and normalise write-in names, so that equal
/// intentions make equal ballots.
pub fn normalise_choices(definition: &Definition, mut choices: Choices) -> Choices {
    for contest in &definition.contests {
        choices.entry(contest.id.clone()).or_default();
    }
    for chosen in choices.values_mut() {
        for choice in chosen.iter_mut() {
            if let Some(name) = choice.strip_prefix(WRITE_IN_PREFIX) {
                *choice = format!("{WRITE_IN_PREFIX}{}", ballot::normalise_write_in(name));
            }
        }
    }
    choices
}

/// What a token is good for, without using it.
pub fn token_status(conn: &mut AnyConnection, secret: &MasterSecret, token: &Token) -> Result<TokenStatus, OpError> {
    Ok(members::token_status(conn, &secret.token_hash(token.as_str()))?)
}

/// Cast a ballot with `token` in `election`, returning the signed receipt.
pub fn cast(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    election: &str,
    token: &Token,
    choices: Choices,
    now: i64,
) -> Result<Receipt, OpError> {
    let hash = secret.token_hash(token.as_str());
    let nonce = Nonce(random_bytes::<16>()?);
    write_tx(conn, |conn| {
        // Casts share the head; a seal or a close waits for them, and they
        // for it, so every receipt's promised seal really includes it.
        let head = logstore::lock_head(conn, election, Lock::Shared)?
            .ok_or_else(|| OpError::NoSuchElection(election.to_string()))?;
        let row = elections::find(conn, election)?.ok_or_else(|| OpError::NoSuchElection(election.to_string()))?;
        voting_window(row.state()?, row.opens_at, row.closes_at, now).map_err(OpError::PollsNotOpen)?;
        match members::token_status(conn, &hash)? {
            TokenStatus::Known { election: e, voted } if e == election => {
                if voted {
                    return Err(OpError::TokenUsed);
                }
            }
            _ => return Err(OpError::UnknownToken),
        }
        let definition = row.definition()?;
        let choices = normalise_choices(&definition, choices);
        let problems = ballot::problems(&definition, &choices);
        if !problems.is_empty() {
            return Err(OpError::InvalidBallot(problems));
        }
        if !members::consume(conn, election, &hash)? {
            // Another cast with this token committed first.
            return Err(OpError::TokenUsed);
        }
        let ballot = Ballot {
            election: election.to_string(),
            nonce,
            choices,
        };
        let tracker = ballot.tracker();
        ballots::insert(conn, election, &tracker, &ballot.nonce, &ballot.choices)?;
        let body = ReceiptBody {
            format: RECEIPT_FORMAT.to_string(),
            election: election.to_string(),
            tracker,
            ballot,
            seal: head.next_seal as u64,
            public_key: row.public_key()?,
        };
        let signature = secret.sign(election, &row.secret_key, &body.signed_bytes())?;
        Ok(Receipt { body, signature })
    })
}
