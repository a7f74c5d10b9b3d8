//! Casting ballots. Each cast is all or nothing: it consumes the token and
//! stores the ballot, awaiting its seal, or changes nothing.
//!
//! The work is split so that the one serial step is short:
//! 1. [`prepare`] (any thread): normalise and check the ballot against the
//!    frozen definition, hash the token, draw the nonce;
//! 2. [`commit_batch`] (the cast queue's worker): casts that arrived together
//!    are committed in one transaction — one durable write for many ballots —
//!    each consuming its token in a single conditional UPDATE;
//! 3. [`sign`] (any thread, after the commit returned): the receipt.
//!
//! No receipt exists before the commit that holds its ballot is durable.
//!
//! A connection that fails during COMMIT leaves the outcome unknown: the
//! ballot may be stored. [`find_stored`] finds out afterwards, from the
//! cast's own nonce, without any stored link between code and ballot.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use teller_audit::ballot::{self, Ballot};
use teller_audit::count::Weight;
use teller_audit::crypto::{Digest, Nonce, PublicKey};
use teller_audit::definition::{Definition, WRITE_IN_PREFIX};
use teller_audit::encrypted::ballot::{BallotShape, EncryptedBallot};
use teller_audit::encrypted::cast::CastRefusal;
use teller_audit::receipt::{Receipt, ReceiptBallot, ReceiptBody, RECEIPT_FORMAT};
use teller_audit::trustees::decrypt::{Aggregator, AggregatorState};

use super::OpError;
use crate::db::{write_tx, AnyConnection};
use crate::domain::lifecycle::{voting_window, NotOpen};
use crate::domain::token::Token;
use crate::secrets::{random_bytes, MasterSecret};
use crate::store::log::{self as logstore, Lock};
use crate::store::members::{self, TokenStatus};
use crate::store::{ballots, confirmations, corrupt, elections, StoreError};

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
    /// They asked for an e-mail when the ballot is sealed (honoured only if
    /// the election sends confirmations and they have an address).
    pub confirm: bool,
}

/// A cast checked and ready to commit.
#[derive(Debug, Clone)]
pub struct Prepared {
    election: String,
    token_hash: String,
    content: Content,
    /// The definition the ballot was checked against.
    definition_hash: Digest,
    /// A confirmation asked for: its random place in the sending order.
    confirm: Option<String>,
}

/// What a cast holds: plain choices (the server draws the nonce), or an
/// encrypted ballot made on the member's device (or by the server for a
/// member without JavaScript), already checked as far as the election
/// alone allows (`ops::encrypted::prepare`).
#[derive(Debug, Clone)]
pub enum Content {
    /// A plain ballot's choices and nonce.
    Plain {
        /// The normalised choices.
        choices: Choices,
        /// The nonce drawn for it.
        nonce: Nonce,
    },
    /// An encrypted ballot.
    Encrypted(Box<EncryptedCast>),
}

/// An encrypted ballot ready to store.
#[derive(Debug, Clone)]
pub struct EncryptedCast {
    ballot: EncryptedBallot,
    tracker: Digest,
    /// Its published form (canonical JSON without `election`, §16.9).
    body: String,
    /// Its ciphertexts' `alpha`s, in hex, in the ballot's order.
    alphas: Vec<String>,
    /// The election's contests, for adding the ballot to its running
    /// totals.
    shape: Arc<BallotShape>,
}

impl Content {
    /// An encrypted ballot's content; `shape` is its election's.
    pub fn encrypted(ballot: EncryptedBallot, shape: Arc<BallotShape>) -> Content {
        // The tracker hashes the whole ballot; the body is the same bytes
        // without `election`: one canonical writing for both.
        let (whole, published) = ballot.canonical_and_published_bytes();
        let tracker = Digest::of(&whole);
        let alphas = ballot.alphas().into_iter().map(|(_, a)| a.to_hex()).collect();
        Content::Encrypted(Box::new(EncryptedCast {
            body: text_of(published),
            ballot,
            tracker,
            alphas,
            shape,
        }))
    }
}

/// Canonical JSON as text: UTF-8 by construction (written from Rust strings
/// and hex); were it ever not, the lossy copy still stores text.
fn text_of(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

impl Prepared {
    /// The encrypted ballot it carries, if it is one.
    pub fn encrypted_ballot(&self) -> Option<&EncryptedBallot> {
        match &self.content {
            Content::Plain { .. } => None,
            Content::Encrypted(cast) => Some(&cast.ballot),
        }
    }

    /// A cast prepared elsewhere (`ops::encrypted`).
    pub(crate) fn new(
        election: String,
        token_hash: String,
        content: Content,
        definition_hash: Digest,
        confirm: Option<String>,
    ) -> Prepared {
        Prepared {
            election,
            token_hash,
            content,
            definition_hash,
            confirm,
        }
    }
}

/// Check a request against the election's (frozen) definition, whose hash
/// is `definition_hash`.
pub fn prepare(
    definition: &Definition,
    definition_hash: Digest,
    secret: &MasterSecret,
    request: CastRequest,
) -> Result<Prepared, OpError> {
    let choices = normalise_choices(definition, request.choices);
    let problems = ballot::problems(definition, &choices);
    if !problems.is_empty() {
        return Err(OpError::InvalidBallot(problems));
    }
    let confirm = if request.confirm {
        Some(hex::encode(random_bytes::<16>()?))
    } else {
        None
    };
    Ok(Prepared {
        confirm,
        token_hash: secret.token_hash(request.token.as_str()),
        content: Content::Plain {
            nonce: Nonce(random_bytes::<16>()?),
            choices,
        },
        definition_hash,
        election: request.election,
    })
}

/// A committed ballot's receipt, still to be signed.
#[derive(Debug, Clone)]
pub struct Unsigned {
    body: ReceiptBody,
    sealed_key: Arc<String>,
}

/// Sign a batch of committed receipts, opening each election's key once for
/// the batch rather than once per receipt (opening it derives the public
/// key: as costly as a signature). The key is dropped when the batch is done.
pub fn sign_batch(secret: &MasterSecret, batch: Vec<Unsigned>) -> Vec<Result<Receipt, OpError>> {
    let mut signers: HashMap<String, Option<crate::secrets::ElectionSigner>> = HashMap::new();
    batch
        .into_iter()
        .map(|unsigned| {
            let signer = signers
                .entry(unsigned.body.election.clone())
                .or_insert_with(|| secret.signer(&unsigned.body.election, &unsigned.sealed_key).ok());
            match signer {
                Some(signer) => Ok(Receipt {
                    signature: signer.sign(&unsigned.body.signed_bytes()),
                    body: unsigned.body,
                }),
                None => Err(OpError::from(crate::secrets::SecretError::Unseal)),
            }
        })
        .collect()
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
        confirm: false,
    };
    cast_batch(conn, secret, vec![request], now)?
        .pop()
        .unwrap_or_else(|| Err(OpError::NoSuchElection(election.to_string())))
}

/// Prepare, commit and sign a batch in one go (the bulk path, and tests).
/// `Err` means the transaction itself failed and nothing was cast.
pub fn cast_batch(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    requests: Vec<CastRequest>,
    now: i64,
) -> Result<Vec<Result<Receipt, OpError>>, OpError> {
    let mut definitions: HashMap<String, Option<Definition>> = HashMap::new();
    let mut prepared: Vec<Result<Prepared, OpError>> = Vec::with_capacity(requests.len());
    for request in requests {
        if !definitions.contains_key(&request.election) {
            let def = elections::find(conn, &request.election)?
                .map(|r| r.definition())
                .transpose()?;
            definitions.insert(request.election.clone(), def);
        }
        prepared.push(match definitions.get(&request.election) {
            Some(Some(def)) => prepare(def, def.hash(), secret, request),
            _ => Err(OpError::NoSuchElection(request.election)),
        });
    }
    let ready: Vec<Prepared> = prepared.iter().filter_map(|p| p.as_ref().ok().cloned()).collect();
    let committed = commit_batch(conn, ready, now)?;
    let (mut unsigned, mut refused) = (Vec::new(), Vec::new());
    for c in committed {
        match c {
            Ok(u) => {
                unsigned.push(u);
                refused.push(None);
            }
            Err(e) => refused.push(Some(e)),
        }
    }
    let mut signed = sign_batch(secret, unsigned).into_iter();
    let mut committed = refused.into_iter();
    Ok(prepared
        .into_iter()
        .map(|p| match p {
            Ok(_) => match committed.next() {
                Some(None) => signed
                    .next()
                    .unwrap_or_else(|| Err(OpError::Refused("the cast was lost".into()))),
                Some(Some(e)) => Err(e),
                None => Err(OpError::Refused("the cast was lost".into())),
            },
            Err(e) => Err(e),
        })
        .collect())
}

/// Why plain choices are refused in an encrypted election: taking them
/// would break its promise that the server never sees a ballot's content.
pub const ENCRYPTED_ONLY: &str = "this election's ballots must be encrypted under its trustees' key before they are sent (FORMAT: teller-encrypted-ballot/1); plain choices are not taken. Nothing was cast and your code still works";

/// Why an encrypted ballot is refused in a plain election.
pub const PLAIN_ONLY: &str =
    "this election takes plain ballots, not encrypted ones; nothing was cast and your code still works";

/// What one transaction knows about an election, loaded once per batch under
/// the election's shared lock.
struct Open {
    next_seal: i64,
    window: Result<(), NotOpen>,
    definition_hash: Digest,
    public_key: PublicKey,
    sealed_key: Arc<String>,
    /// The election sends confirmation e-mails.
    confirmations: bool,
    /// Its ballots are encrypted under trustees' keys (issue 13).
    encrypted: bool,
}

fn open_election(conn: &mut AnyConnection, election: &str, now: i64) -> Result<Option<Open>, OpError> {
    // Casts share the head; a seal or a close takes it exclusively, so every
    // receipt's promised seal really includes its ballot.
    let Some(head) = logstore::lock_head(conn, election, Lock::Shared)? else {
        return Ok(None);
    };
    let Some(row) = elections::find(conn, election)? else {
        return Ok(None);
    };
    Ok(Some(Open {
        next_seal: head.next_seal,
        window: voting_window(row.state()?, row.opens_at, row.closes_at, now),
        definition_hash: row.definition()?.hash(),
        public_key: row.public_key()?,
        sealed_key: Arc::new(row.secret_key.clone()),
        confirmations: row.send_confirmations,
        encrypted: crate::store::ceremony::parameters(conn, election)?.is_some(),
    }))
}

/// Commit prepared casts in one transaction; each succeeds or fails on its
/// own. `Err` means the transaction itself failed and nothing was cast.
pub fn commit_batch(
    conn: &mut AnyConnection,
    prepared: Vec<Prepared>,
    now: i64,
) -> Result<Vec<Result<Unsigned, OpError>>, OpError> {
    write_tx(conn, |conn| {
        let mut opened: HashMap<String, Option<Open>> = HashMap::new();
        let mut added = Added::new();
        let mut results = Vec::with_capacity(prepared.len());
        for p in prepared {
            if !opened.contains_key(&p.election) {
                let o = open_election(conn, &p.election, now)?;
                opened.insert(p.election.clone(), o);
            }
            let result = match opened.get(&p.election) {
                Some(Some(open)) => commit_one(conn, open, p, &mut added),
                _ => Err(OpError::NoSuchElection(p.election)),
            };
            match result {
                Err(e) if e.is_internal() => return Err(e),
                other => results.push(other),
            }
        }
        for (election, (shape, aggregator)) in added {
            add_to_running_totals(conn, &election, &shape, aggregator)?;
        }
        Ok(results)
    })
}

/// The encrypted ballots a batch stored, per election (in id order, so
/// that batches lock the elections' running totals in one order), added
/// up: `(shape, products)`.
type Added = BTreeMap<String, (Arc<BallotShape>, Aggregator)>;

/// The state an encrypted election's running totals start from when its
/// polls open: no ballots.
pub fn empty_running_totals(shape: &BallotShape) -> String {
    encode_state(&Aggregator::new(shape).state())
}

fn encode_state(state: &AggregatorState) -> String {
    text_of(teller_audit::canonical::to_bytes(state).expect(teller_audit::canonical::ENCODABLE))
}

/// `election`'s running totals as stored, and the number of ballots they
/// hold (`None` if it has none: its polls opened before Teller kept them).
/// Locks them on PostgreSQL for the rest of the transaction.
pub(crate) fn running_totals(
    conn: &mut AnyConnection,
    election: &str,
    shape: &BallotShape,
) -> Result<Option<Aggregator>, OpError> {
    let Some((ballots, state)) = ballots::running_totals_for_update(conn, election)? else {
        return Ok(None);
    };
    let bad = |what: String| {
        OpError::from(StoreError::from(corrupt(format!(
            "running totals of {election}: {what}"
        ))))
    };
    let state: AggregatorState = serde_json::from_str(&state).map_err(|e| bad(e.to_string()))?;
    let totals = Aggregator::restore(shape, &state).map_err(|e| bad(e.to_string()))?;
    if totals.ballots() != ballots {
        return Err(bad(format!("they say {ballots} ballots but hold {}", totals.ballots())));
    }
    Ok(Some(totals))
}

/// Add a batch's encrypted ballots to their election's running totals, in
/// the batch's transaction: the totals always equal the product of the
/// ballots stored, and the close need not decode them all again
/// (audit/FORMAT.md §16.6). An election whose polls
/// opened before the totals were kept has none, and gets none.
fn add_to_running_totals(
    conn: &mut AnyConnection,
    election: &str,
    shape: &BallotShape,
    added: Aggregator,
) -> Result<(), OpError> {
    let Some(mut totals) = running_totals(conn, election, shape)? else {
        return Ok(());
    };
    totals.merge(added);
    ballots::save_running_totals(conn, election, totals.ballots(), &encode_state(&totals.state()))?;
    Ok(())
}

/// After a commit whose outcome is unknown: the receipt (still to be
/// signed) of `p`'s ballot if it was stored, `None` if it was not.
///
/// The ballot's tracker is computed from the cast's own nonce and choices
/// and the weight of the member whose (now used) token it carried; the
/// nonce is fresh per cast, so a ballot found under that tracker is this
/// cast's and no other's. Under the election's shared lock (as a cast
/// holds it) no seal runs meanwhile, so the seal promised to a ballot still
/// awaiting one really will include it.
pub fn find_stored(conn: &mut AnyConnection, p: &Prepared, now: i64) -> Result<Option<Unsigned>, OpError> {
    write_tx(conn, |conn| {
        members::wait_for_token(conn, &p.election, &p.token_hash)?;
        let Some(open) = open_election(conn, &p.election, now)? else {
            return Ok(None);
        };
        let Some(weight) = members::weight_of_used_token(conn, &p.election, &p.token_hash)? else {
            return Ok(None);
        };
        let weight = Weight::parse(&weight).map_err(|e| StoreError::from(corrupt(format!("member weight: {e}"))))?;
        let (ballot, tracker): (ReceiptBallot, Digest) = match &p.content {
            Content::Plain { choices, nonce } => {
                let ballot = Ballot {
                    election: p.election.clone(),
                    nonce: *nonce,
                    choices: choices.clone(),
                    weight,
                };
                let tracker = ballot.tracker();
                (ballot.into(), tracker)
            }
            Content::Encrypted(cast) => (cast.ballot.clone().into(), cast.tracker),
        };
        let seal = match ballots::seal_of(conn, &p.election, &tracker)? {
            None => return Ok(None),
            Some(Some(sealed_in)) => sealed_in,
            Some(None) => open.next_seal,
        };
        Ok(Some(Unsigned {
            body: ReceiptBody {
                format: RECEIPT_FORMAT.to_string(),
                election: p.election.clone(),
                tracker,
                ballot,
                seal: seal as u64,
                public_key: open.public_key,
            },
            sealed_key: open.sealed_key.clone(),
        }))
    })
}

fn commit_one(conn: &mut AnyConnection, open: &Open, p: Prepared, added: &mut Added) -> Result<Unsigned, OpError> {
    open.window.map_err(OpError::PollsNotOpen)?;
    if p.definition_hash != open.definition_hash {
        return Err(OpError::Refused(
            "the ballot changed while you were voting; reload it and vote again".into(),
        ));
    }
    let (choices, nonce) = match p.content {
        Content::Plain { choices, nonce } => (choices, nonce),
        Content::Encrypted(cast) => {
            return commit_encrypted(conn, open, p.election, p.token_hash, *cast, p.confirm, added);
        }
    };
    if open.encrypted {
        return Err(OpError::Refused(ENCRYPTED_ONLY.into()));
    }
    // Consume the token: nothing else can happen before this succeeds, so a
    // refused cast writes nothing and needs no savepoint.
    let Some(member) = members::consume_returning_weight(conn, &p.election, &p.token_hash)? else {
        return Err(used_or_unknown(conn, &p.election, &p.token_hash)?);
    };
    let weight = Weight::parse(&member.weight).map_err(|e| StoreError::from(corrupt(format!("member weight: {e}"))))?;
    let ballot = Ballot {
        election: p.election.clone(),
        nonce,
        choices,
        weight,
    };
    let tracker = ballot.tracker();
    ballots::insert(conn, &p.election, &tracker, &ballot.nonce, &ballot.choices, weight)?;
    confirm_later(conn, open, &p.election, &tracker, &member, p.confirm.as_deref())?;
    Ok(Unsigned {
        body: ReceiptBody {
            format: RECEIPT_FORMAT.to_string(),
            election: p.election,
            tracker,
            ballot: ballot.into(),
            seal: open.next_seal as u64,
            public_key: open.public_key,
        },
        sealed_key: open.sealed_key.clone(),
    })
}

/// Why a token could not be consumed: used (in this election) or unknown.
fn used_or_unknown(conn: &mut AnyConnection, election: &str, token_hash: &str) -> Result<OpError, OpError> {
    Ok(match members::token_status(conn, token_hash)? {
        TokenStatus::Known {
            election: e,
            voted: true,
        } if e == election => OpError::TokenUsed,
        _ => OpError::UnknownToken,
    })
}

/// In the cast's own transaction: a confirmation is stored exactly when its
/// ballot is. Asked for on a form, so checked here: only if the election
/// sends them and the member has an address.
fn confirm_later(
    conn: &mut AnyConnection,
    open: &Open,
    election: &str,
    tracker: &Digest,
    member: &members::Consumed,
    send_order: Option<&str>,
) -> Result<(), OpError> {
    if let Some(send_order) = send_order {
        if open.confirmations && !member.email.trim().is_empty() {
            confirmations::insert_pending(conn, election, &tracker.to_hex(), &member.member_id, send_order)?;
        }
    }
    Ok(())
}

/// Commit an encrypted ballot (§15.7 rules 4, 6 and the weight): the checks
/// that need the database, in the cast's transaction.
///
/// A retry of a cast whose answer was lost sends the same bytes: if the
/// token is used and a ballot with exactly this tracker is stored, the
/// answer is that ballot's receipt again, as if the first answer had
/// arrived (§14.11). No link between token and ballot is stored or needed:
/// the receipt says nothing a reader of the log cannot see.
fn commit_encrypted(
    conn: &mut AnyConnection,
    open: &Open,
    election: String,
    token_hash: String,
    cast: EncryptedCast,
    confirm: Option<String>,
    added: &mut Added,
) -> Result<Unsigned, OpError> {
    if !open.encrypted {
        return Err(OpError::Refused(PLAIN_ONLY.into()));
    }
    let receipt = |seal: i64, cast: EncryptedCast, election: String| Unsigned {
        body: ReceiptBody {
            format: RECEIPT_FORMAT.to_string(),
            election,
            tracker: cast.tracker,
            ballot: cast.ballot.into(),
            seal: seal as u64,
            public_key: open.public_key,
        },
        sealed_key: open.sealed_key.clone(),
    };
    // One query answers the common case (no alpha of this ballot stored
    // yet); the rarer ones are told apart only when one is.
    if let Some(i) = ballots::stored_alpha(conn, &election, &cast.alphas)? {
        if let Some(sealed_in) = ballots::seal_of(conn, &election, &cast.tracker)? {
            return match members::token_status(conn, &token_hash)? {
                TokenStatus::Known {
                    election: e,
                    voted: true,
                } if e == election => Ok(receipt(sealed_in.unwrap_or(open.next_seal), cast, election)),
                // The same ballot with a code that has not voted: a replay.
                TokenStatus::Known {
                    election: e,
                    voted: false,
                } if e == election => Err(super::encrypted::refusal(CastRefusal::Duplicate {
                    path: "contests".into(),
                    found_in: "this very ballot was already cast",
                })),
                _ => Err(OpError::UnknownToken),
            };
        }
        // An audited ballot's alphas are stored too (§16.10).
        if ballots::is_audited(conn, &election, &cast.tracker)? {
            return Err(super::encrypted::refusal(CastRefusal::Audited {
                tracker: cast.tracker,
            }));
        }
        let path = cast.ballot.alphas().get(i).map(|(p, _)| p.clone()).unwrap_or_default();
        return Err(super::encrypted::refusal(CastRefusal::Duplicate {
            path,
            found_in: "by a stored ballot",
        }));
    }
    let Some(member) = members::consume_returning_weight(conn, &election, &token_hash)? else {
        return Err(used_or_unknown(conn, &election, &token_hash)?);
    };
    let weight = Weight::parse(&member.weight).map_err(|e| StoreError::from(corrupt(format!("member weight: {e}"))))?;
    if weight != cast.ballot.weight {
        // Not this member's ballot as sent: give the code back, in the same
        // transaction, so that nothing changes.
        members::unconsume(conn, &election, &token_hash)?;
        return Err(super::encrypted::refusal(CastRefusal::Weight {
            expected: weight,
            found: cast.ballot.weight,
        }));
    }
    ballots::insert_encrypted(conn, &election, &cast.tracker, &cast.body, &cast.alphas)?;
    let (_, aggregator) = added
        .entry(election.clone())
        .or_insert_with(|| (cast.shape.clone(), Aggregator::new(&cast.shape)));
    // The shape was checked before the queue (`encrypted::prepare`).
    aggregator
        .add_ballot(&cast.ballot)
        .map_err(|e| StoreError::from(corrupt(format!("a checked ballot's shape: {e}"))))?;
    confirm_later(conn, open, &election, &cast.tracker, &member, confirm.as_deref())?;
    Ok(receipt(open.next_seal, cast, election))
}
