//! Casting in an encrypted election (issue 13, audit/FORMAT.md §14.11,
//! §15.7): what the member's device needs to encrypt, the checks of
//! a ballot it sends, and the server's own encryption for the path without
//! JavaScript.
//!
//! The checks are split as the plain cast's are: everything that needs only
//! the ballot and the election (shape, election, fingerprint, elements,
//! proofs: about 2 ms of CPU) runs in [`prepare`], on any thread, before the
//! cast queue; what needs the database (the member's weight, alphas already
//! used, audited trackers) runs in the cast's transaction
//! (`cast::commit_batch`).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use teller_audit::count::Weight;
use teller_audit::crypto::Digest;
use teller_audit::definition::Definition;
use teller_audit::encrypted::audited::AuditedBallot;
use teller_audit::encrypted::ballot::{BallotShape, EncryptedBallot, Encrypter};
use teller_audit::encrypted::batch::{Bases, Equations};
use teller_audit::encrypted::cast::{read_ballot, CastContext, CastRefusal};
use teller_audit::encrypted::elgamal::EncryptionKey;
use teller_audit::encrypted::fingerprint::FingerprintInput;
use teller_audit::encrypted::group::{Element, OsRandom};
use teller_audit::encrypted::nonces::BallotSeed;
use teller_audit::trustees::board::Outcome;

use super::cast::{Content, Prepared};
use super::OpError;
use crate::db::AnyConnection;
use crate::domain::token::Token;
use crate::secrets::MasterSecret;
use crate::store::{ballots, corrupt, elections, StoreError};

/// An encrypted election, as casting needs it: fixed once the polls open.
pub struct Encryption {
    /// The election id.
    pub election: String,
    /// The frozen definition.
    pub definition: Definition,
    /// Its hash.
    pub definition_hash: Digest,
    /// Its contests and their limits (§14.8); shared with each cast, whose
    /// ciphertexts are added to the election's running totals.
    pub shape: Arc<BallotShape>,
    /// `K`.
    pub threshold: u32,
    /// The joint key `h`.
    pub joint_key: Element,
    /// `(j, K_j)` of each trustee of the completing attempt.
    pub verification_keys: Vec<(u32, Element)>,
    /// The election fingerprint (§14.7).
    pub fingerprint: Digest,
    /// `g` and `h`, with their tables for checking proofs.
    pub bases: Bases,
    key: EncryptionKey,
}

/// The fingerprint of `election` with this definition and ceremony (§14.7).
pub fn fingerprint_of(election: &str, definition: &Definition, outcome: &Outcome) -> Digest {
    let keys = outcome.verification_keys();
    FingerprintInput {
        election,
        definition_hash: definition.hash(),
        threshold: outcome.threshold,
        joint_key: outcome.joint_key,
        verification_keys: &keys,
    }
    .fingerprint()
}

/// The JSON the ballot page hands the device (browser/README.md, "The page
/// contract"): enough to encrypt, and to check the fingerprint.
#[derive(Serialize)]
pub struct DeviceParams<'a> {
    election: &'a str,
    /// The member's weight, when a member asks (the ballot page).
    #[serde(skip_serializing_if = "Option::is_none")]
    weight: Option<String>,
    definition: &'a Definition,
    encryption: DeviceEncryption,
    fingerprint: String,
}

#[derive(Serialize)]
struct DeviceEncryption {
    threshold: u32,
    joint_key: String,
    verification_keys: Vec<DeviceKey>,
}

#[derive(Serialize)]
struct DeviceKey {
    trustee: u32,
    key: String,
}

/// How the server encrypted a ballot for a member without JavaScript.
pub struct ServerEncrypted {
    /// The ballot.
    pub ballot: EncryptedBallot,
    /// Its canonical bytes, as cast.
    pub bytes: Vec<u8>,
    /// Its tracker.
    pub tracker: Digest,
    /// The seed that opens it (for an audit of it).
    pub seed: BallotSeed,
}

impl Encryption {
    /// The election's encryption, from its frozen definition and completed
    /// ceremony; `None` for a plain election or one whose polls have not
    /// opened.
    pub fn load(conn: &mut AnyConnection, election: &str) -> Result<Option<Encryption>, OpError> {
        let Some(row) = elections::find(conn, election)? else {
            return Ok(None);
        };
        if row.state()? < crate::domain::lifecycle::State::Open {
            return Ok(None);
        }
        let Some(outcome) = super::ceremony::completed(conn, election)? else {
            return Ok(None);
        };
        let definition = row.definition()?;
        let shape = BallotShape::of(&definition)
            .map_err(|e| StoreError::from(corrupt(format!("an open encrypted election's contests: {e}"))))?;
        let key = EncryptionKey::new(outcome.joint_key)
            .map_err(|e| StoreError::from(corrupt(format!("the joint key: {e}"))))?;
        Ok(Some(Encryption {
            election: election.to_string(),
            fingerprint: fingerprint_of(election, &definition, &outcome),
            definition_hash: definition.hash(),
            shape: Arc::new(shape),
            threshold: outcome.threshold,
            joint_key: outcome.joint_key,
            verification_keys: outcome.verification_keys(),
            bases: Bases::new(&outcome.joint_key),
            key,
            definition,
        }))
    }

    /// The cast checks' view of the election.
    pub fn cast_context(&self) -> CastContext<'_> {
        CastContext {
            election: &self.election,
            fingerprint: self.fingerprint,
            shape: &self.shape,
            bases: &self.bases,
        }
    }

    /// What the device needs to encrypt for a member of this weight (or,
    /// without one, for anyone: the API's `GET …/encryption`).
    pub fn device_params(&self, weight: Option<Weight>) -> DeviceParams<'_> {
        DeviceParams {
            election: &self.election,
            weight: weight.map(|w| w.to_string()),
            definition: &self.definition,
            encryption: DeviceEncryption {
                threshold: self.threshold,
                joint_key: self.joint_key.to_hex(),
                verification_keys: self
                    .verification_keys
                    .iter()
                    .map(|(j, k)| DeviceKey {
                        trustee: *j,
                        key: k.to_hex(),
                    })
                    .collect(),
            },
            fingerprint: self.fingerprint.to_hex(),
        }
    }

    /// Encrypt `choices` here, for a member without JavaScript: the server
    /// sees the choices at this moment (the page says so).
    pub fn encrypt(&self, choices: &BTreeMap<String, Vec<String>>, weight: Weight) -> Result<ServerEncrypted, OpError> {
        let encrypter = Encrypter {
            election: &self.election,
            fingerprint: self.fingerprint,
            key: &self.key,
            shape: &self.shape,
        };
        let (ballot, seed) = encrypter
            .encrypt(choices, weight, &mut OsRandom)
            .map_err(|e| OpError::Refused(format!("the ballot was not cast: {e}")))?;
        let bytes = ballot.canonical_bytes();
        Ok(ServerEncrypted {
            tracker: ballot.tracker(),
            ballot,
            bytes,
            seed,
        })
    }
}

/// A refusal of an encrypted ballot, named by its check (§15.7).
pub fn refusal(r: CastRefusal) -> OpError {
    OpError::Encrypted {
        check: r.check(),
        message: match r.path() {
            Some(path) if !r.to_string().starts_with(path) => format!("{path}: {r}"),
            _ => r.to_string(),
        },
    }
}

/// Check an encrypted ballot sent with `token` as far as the election
/// alone allows (§15.7 rules 1–3, 5, and no `alpha` twice within it), and
/// make it ready to commit. The member's weight, and alphas or trackers
/// already stored, are checked in the cast's transaction.
pub fn prepare(
    enc: &Encryption,
    secret: &MasterSecret,
    token: &Token,
    bytes: &[u8],
    confirm: Option<String>,
) -> Result<Prepared, OpError> {
    let (prepared, equations) = prepare_unchecked(enc, secret, token, bytes, confirm)?;
    let mut batch = teller_audit::encrypted::batch::Batch::new(&enc.bases);
    batch.push((), equations);
    match batch.verify(&mut OsRandom) {
        Ok(()) => Ok(prepared),
        Err(_) => name_failing_proof(enc, prepared),
    }
}

/// [`prepare`] up to the proofs' group equations, which it returns for the
/// caller to check, alone or in a batch with other casts'
/// (`web::proof_batch`): everything else of rules 1–3 and 5 is checked.
pub fn prepare_unchecked(
    enc: &Encryption,
    secret: &MasterSecret,
    token: &Token,
    bytes: &[u8],
    confirm: Option<String>,
) -> Result<(Prepared, Equations), OpError> {
    let ballot = read_ballot(bytes).map_err(refusal)?;
    let ctx = enc.cast_context();
    // The ballot's own weight here; the member's is compared at the commit.
    ctx.check_ballot(&ballot, ballot.weight).map_err(refusal)?;
    let equations = ctx.ballot_equations(&ballot).map_err(refusal)?;
    let prepared = Prepared::new(
        enc.election.clone(),
        secret.token_hash(token.as_str()),
        Content::encrypted(ballot, enc.shape.clone()),
        enc.definition_hash,
        confirm,
    );
    Ok((prepared, equations))
}

/// After a batch whose equations did not all hold: check the cast's proofs
/// one by one, naming the first at fault — or, if each holds after all,
/// the cast as prepared.
pub fn name_failing_proof(enc: &Encryption, prepared: Prepared) -> Result<Prepared, OpError> {
    let Some(ballot) = prepared.encrypted_ballot() else {
        return Ok(prepared);
    };
    match enc.cast_context().check_proofs_unbatched(ballot) {
        Ok(()) => Ok(prepared),
        Err(r) => Err(refusal(r)),
    }
}

/// Audited ballots an election keeps per member on its roll, and beyond.
pub const AUDITS_PER_MEMBER: u64 = 5;
/// See [`AUDITS_PER_MEMBER`].
pub const AUDITS_SPARE: u64 = 100;

/// Why an audited ballot file was refused, named by its check (§16.10).
fn audit_refused(check: &'static str, message: impl Into<String>) -> OpError {
    OpError::Encrypted {
        check,
        message: message.into(),
    }
}

/// Keep an audited ballot a device sent (§16.10), anonymously: it must be
/// this election's, pass `verify-audit`'s checks, and never have been
/// cast; its tracker and alphas can never be cast afterwards, and its
/// `audited` entry goes into the log with the next seal. Sending the same
/// file again changes nothing. Returns its tracker.
pub fn accept_audited(conn: &mut AnyConnection, enc: &Encryption, bytes: &[u8], now: i64) -> Result<Digest, OpError> {
    let audited: AuditedBallot = serde_json::from_slice(bytes).map_err(|e| {
        audit_refused(
            "format",
            format!("not an audited ballot (teller-audited-ballot/1): {e}"),
        )
    })?;
    if audited.ballot.election != enc.election {
        return Err(audit_refused(
            "audit-record",
            format!("the ballot is for election {}, not this one", audited.ballot.election),
        ));
    }
    if audited.definition.hash() != enc.definition_hash {
        return Err(audit_refused(
            "audit-record",
            "the file's definition is not this election's",
        ));
    }
    audited
        .check(&mut OsRandom)
        .map_err(|f| audit_refused(f.check, f.message))?;
    if audited.ballot.fingerprint != enc.fingerprint {
        return Err(audit_refused(
            "audit-fingerprint",
            "the file's keys are not this election's: its fingerprint differs",
        ));
    }
    let tracker = audited.tracker;
    let alphas: Vec<String> = audited.ballot.alphas().into_iter().map(|(_, a)| a.to_hex()).collect();
    let body = teller_audit::canonical::to_bytes(&audited)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| StoreError::from(corrupt("an audited ballot that cannot be written")))?;
    crate::db::write_tx(conn, |conn| {
        // The polls must be open, as for a cast: the shared lock keeps a
        // close from running meanwhile.
        // (The lock lasts until the transaction ends.)
        if crate::store::log::lock_head(conn, &enc.election, crate::store::log::Lock::Shared)?.is_none() {
            return Err(OpError::NoSuchElection(enc.election.clone()));
        }
        let row = elections::find(conn, &enc.election)?.ok_or_else(|| OpError::NoSuchElection(enc.election.clone()))?;
        crate::domain::lifecycle::voting_window(row.state()?, row.opens_at, row.closes_at, now)
            .map_err(OpError::PollsNotOpen)?;
        if ballots::is_audited(conn, &enc.election, &tracker)? {
            return Ok(tracker);
        }
        if ballots::seal_of(conn, &enc.election, &tracker)?.is_some() {
            return Err(audit_refused(
                "ballot-audited",
                "this ballot was cast, so it cannot be audited",
            ));
        }
        if ballots::stored_alpha(conn, &enc.election, &alphas)?.is_some() {
            return Err(audit_refused(
                "ballot-duplicates",
                "an alpha of this ballot is already used by another ballot",
            ));
        }
        // Audits are anonymous, so bounded by the roll: a member checks a
        // few encryptions, not thousands.
        let cap = AUDITS_PER_MEMBER * crate::store::members::count(conn, &enc.election)? + AUDITS_SPARE;
        if ballots::audited_count(conn, &enc.election)? >= cap {
            return Err(OpError::Refused(format!(
                "this election has taken {cap} audited ballots, as many as it keeps; check your encryption with teller-audit verify-audit on the downloaded file instead"
            )));
        }
        ballots::insert_audited(conn, &enc.election, &tracker, &body, &alphas, now)?;
        Ok(tracker)
    })
}
