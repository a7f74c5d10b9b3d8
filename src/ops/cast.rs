//! Casting ballots. Each cast is all or nothing: it consumes the token and
//! stores the ballot, awaiting its seal, or changes nothing. Casts arriving
//! together are committed together, each in a savepoint of one transaction
//! (group commit: one durable write for many ballots). Receipts are signed
//! inside the transaction and handed out only after the commit is durable.

use std::collections::{BTreeMap, HashMap};

use diesel::Connection;
use teller_audit::ballot::{self, Ballot};
use teller_audit::count::Weight;
use teller_audit::crypto::{Nonce, PublicKey};
use teller_audit::definition::{Definition, WRITE_IN_PREFIX};
use teller_audit::receipt::{Receipt, ReceiptBody, RECEIPT_FORMAT};

use super::OpError;
use crate::db::{write_tx, AnyConnection};
use crate::domain::lifecycle::{voting_window, NotOpen};
use crate::domain::token::Token;
use crate::secrets::{random_bytes, ElectionSigner, MasterSecret};
use crate::store::log::{self as logstore, Lock};
use crate::store::members::{self, TokenStatus};
use crate::store::{ballots, corrupt, elections, StoreError};

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

/// One request to cast.
#[derive(Debug, Clone)]
pub struct CastRequest {
    /// The election the voter is voting in.
    pub election: String,
    /// The voter's token.
    pub token: Token,
    /// Their choices.
    pub choices: Choices,
}

/// Cast one ballot with `token` in `election`, returning the signed receipt.
pub fn cast(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    election: &str,
    token: &Token,
    choices: Choices,
    now: i64,
) -> Result<Receipt, OpError> {
    let request = CastRequest {
        election: election.to_string(),
        token: token.clone(),
        choices,
    };
    cast_batch(conn, secret, vec![request], now)?
        .pop()
        .unwrap_or_else(|| Err(OpError::NoSuchElection(election.to_string())))
}

/// What one transaction knows about an election, loaded once per batch under
/// the election's shared lock.
struct Open {
    next_seal: i64,
    window: Result<(), NotOpen>,
    definition: Definition,
    public_key: PublicKey,
    signer: ElectionSigner,
}

/// Cast a batch in one transaction; each request succeeds or fails on its
/// own. `Err` means the transaction itself failed and nothing was cast.
pub fn cast_batch(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    requests: Vec<CastRequest>,
    now: i64,
) -> Result<Vec<Result<Receipt, OpError>>, OpError> {
    let nonces = requests
        .iter()
        .map(|_| random_bytes::<16>().map(Nonce))
        .collect::<Result<Vec<_>, _>>()?;
    write_tx(conn, |conn| {
        // Per election: `None` when there is no such election.
        let mut opened: HashMap<String, Option<Open>> = HashMap::new();
        let mut results = Vec::with_capacity(requests.len());
        for (request, nonce) in requests.into_iter().zip(nonces) {
            let election = request.election.clone();
            if !opened.contains_key(&election) {
                let loaded = match open_election(conn, secret, &election, now) {
                    Ok(open) => Some(open),
                    Err(OpError::NoSuchElection(_)) => None,
                    Err(e) => return Err(e),
                };
                opened.insert(election.clone(), loaded);
            }
            let result = match opened.get(&election) {
                Some(Some(open)) => {
                    // A savepoint: a refused cast leaves the others intact.
                    match conn.transaction(|conn| cast_one(conn, secret, open, request, nonce)) {
                        Err(e) if e.is_internal() => return Err(e),
                        other => other,
                    }
                }
                _ => Err(OpError::NoSuchElection(election)),
            };
            results.push(result);
        }
        Ok(results)
    })
}

fn open_election(conn: &mut AnyConnection, secret: &MasterSecret, election: &str, now: i64) -> Result<Open, OpError> {
    // Casts share the head; a seal or a close takes it exclusively, so every
    // receipt's promised seal really includes its ballot.
    let head = logstore::lock_head(conn, election, Lock::Shared)?
        .ok_or_else(|| OpError::NoSuchElection(election.to_string()))?;
    let row = elections::find(conn, election)?.ok_or_else(|| OpError::NoSuchElection(election.to_string()))?;
    Ok(Open {
        next_seal: head.next_seal,
        window: voting_window(row.state()?, row.opens_at, row.closes_at, now),
        definition: row.definition()?,
        public_key: row.public_key()?,
        signer: secret.signer(election, &row.secret_key)?,
    })
}

fn cast_one(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    open: &Open,
    request: CastRequest,
    nonce: Nonce,
) -> Result<Receipt, OpError> {
    open.window.map_err(OpError::PollsNotOpen)?;
    let election = request.election;
    let hash = secret.token_hash(request.token.as_str());
    match members::token_status(conn, &hash)? {
        TokenStatus::Known { election: e, voted } if e == election => {
            if voted {
                return Err(OpError::TokenUsed);
            }
        }
        _ => return Err(OpError::UnknownToken),
    }
    let choices = normalise_choices(&open.definition, request.choices);
    let problems = ballot::problems(&open.definition, &choices);
    if !problems.is_empty() {
        return Err(OpError::InvalidBallot(problems));
    }
    if !members::consume(conn, &election, &hash)? {
        // Another cast with this token committed first.
        return Err(OpError::TokenUsed);
    }
    let weight = match members::weight_of(conn, &hash)? {
        Some(text) => Weight::parse(&text).map_err(|e| StoreError::from(corrupt(format!("member weight: {e}"))))?,
        None => return Err(OpError::UnknownToken),
    };
    let ballot = Ballot {
        election: election.clone(),
        nonce,
        choices,
        weight,
    };
    let tracker = ballot.tracker();
    ballots::insert(conn, &election, &tracker, &ballot.nonce, &ballot.choices, weight)?;
    let body = ReceiptBody {
        format: RECEIPT_FORMAT.to_string(),
        election,
        tracker,
        ballot,
        seal: open.next_seal as u64,
        public_key: open.public_key,
    };
    let signature = open.signer.sign(&body.signed_bytes());
    Ok(Receipt { body, signature })
}
