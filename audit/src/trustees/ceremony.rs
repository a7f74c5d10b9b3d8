//! The key ceremony's messages (§16.2) and what a trustee computes in each
//! round, on its own machine.
//!
//! Rounds, per attempt `a` with participants `P_a` (§16.4):
//!
//! 1. **register** (attempt 0, once): an Ed25519 signing key and an
//!    encryption key `E_j = g^{d_j}` with a Schnorr proof of `d_j`;
//! 2. **commit**: a fresh polynomial `f_i` of degree `K − 1`, and only the
//!    digest `D_i` of its coefficient commitments `A_{i,l} = g^{a_{i,l}}`;
//! 3. **deal** (once every participant has committed): the commitments,
//!    a Schnorr proof for each, and each other participant's share
//!    `f_i(j)` sealed to it (§16.3);
//! 4. **check**: each share received checked against its dealer's
//!    commitments; a bad one is named by a complaint (§16.4);
//! 5. **finish**: the key share `x_j = Σ f_i(j)`, the joint key and every
//!    verification key (§16.5), with a Schnorr proof of `x_j`.
//!
//! The types that hold secrets ([`TrusteeSecret`], [`Polynomial`],
//! [`KeyShare`]) zeroize them when dropped, and exist only on the
//! trustee's machine; what they make is an [`Envelope`] to post.

use std::collections::BTreeMap;

use curve25519_dalek::traits::{Identity, VartimeMultiscalarMul};
use ring::signature::Ed25519KeyPair;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use super::board::Board;
use super::envelope::{public_key, Envelope, Round};
use super::proofs::{DleqProof, SchnorrProof};
use super::share::{self, OpenError, SealedShare, ShareContext};
use super::TrusteeIndex;
use crate::crypto::{Digest, PublicKey};
use crate::encrypted::group::{g_pow, int, random_scalar, Element, RandomSource, RistrettoPoint, Scalar};
use crate::encrypted::hash::{tag, Framer};

/// `register`'s body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterBody {
    /// The trustee's name, as staff named it.
    pub name: String,
    /// The Ed25519 key that signs this trustee's messages.
    pub signing_key: PublicKey,
    /// `E_j = g^{d_j}`, which shares are sealed to; never the identity.
    pub encryption_key: Element,
    /// Schnorr proof of `d_j` ([`key_possession_challenge`]).
    pub possession: SchnorrProof,
}

/// `commit`'s body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitBody {
    /// The roster digest the trustee saw ([`roster_digest`]).
    pub roster: Digest,
    /// `K`.
    pub threshold: u32,
    /// The attempt's participants, increasing.
    pub participants: Vec<TrusteeIndex>,
    /// `D_i` ([`commitment_digest`]).
    pub digest: Digest,
}

/// `deal`'s body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DealBody {
    /// `A_{i,0} … A_{i,K−1}`; they hash to the committed `D_i`.
    pub coefficients: Vec<Element>,
    /// A Schnorr proof for each coefficient ([`coefficient_challenge`]).
    pub possession: Vec<SchnorrProof>,
    /// One sealed share per other participant, by increasing recipient.
    pub shares: Vec<SealedShare>,
}

/// `check`'s body: no complaint says every share received is good.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckBody {
    /// Complaints, by increasing dealer.
    pub complaints: Vec<Complaint>,
}

/// A complaint by `j` against dealer `i` (§16.4): the shared secret of the
/// share `i` sealed to `j`, with a DLEQ proof that it is `Y_ij^{d_j}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Complaint {
    /// The dealer `i`.
    pub against: TrusteeIndex,
    /// `S_ij`.
    pub secret: Element,
    /// `log_g E_j = log_{Y_ij} S_ij` ([`complaint_challenge`]).
    pub proof: DleqProof,
}

/// `finish`'s body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinishBody {
    /// `h`.
    pub joint_key: Element,
    /// `K_i` for each participant, increasing.
    pub verification_keys: Vec<KeyEntry>,
    /// Schnorr proof of `x_j` for `K_j` ([`share_possession_challenge`]).
    pub possession: SchnorrProof,
}

/// A trustee's verification key, `{"trustee": i, "key": E(K_i)}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    /// The trustee.
    pub trustee: TrusteeIndex,
    /// `K_i = g^{x_i}`.
    pub key: Element,
}

// ---------------------------------------------------------------- hashes

/// `c = HS("teller/key-possession/v1"; str(election id), u32(j), raw(signing_key), elt(E_j), elt(a))`.
pub fn key_possession_challenge(
    election: &str,
    j: TrusteeIndex,
    signing_key: &PublicKey,
    key: &Element,
    a: &Element,
) -> Scalar {
    let mut h = Framer::hs(tag::KEY_POSSESSION);
    h.str(election).u32(j).raw(&signing_key.0).elt(key).elt(a);
    h.scalar()
}

/// One registered trustee as the roster lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterEntry<'a> {
    /// `j`.
    pub trustee: TrusteeIndex,
    /// Its name.
    pub name: &'a str,
    /// Its signing key.
    pub signing_key: &'a PublicKey,
    /// `E_j`.
    pub encryption_key: &'a Element,
}

/// `roster = H256("teller/dkg-roster/v1"; str(election id), u32(N),
/// list((u32(j), str(name_j), raw(signing_key_j), elt(E_j)) …))` over the
/// registered trustees by increasing `j` (a named trustee excluded as
/// absent before registering is not listed; `N` is still the number named).
pub fn roster_digest(election: &str, n: u32, entries: &[RosterEntry<'_>]) -> Digest {
    let mut h = Framer::h256(tag::DKG_ROSTER);
    h.str(election).u32(n).list(entries.len());
    for e in entries {
        h.u32(e.trustee).str(e.name).raw(&e.signing_key.0).elt(e.encryption_key);
    }
    Digest(h.digest())
}

/// `D_i = H256("teller/dkg-commitment/v1"; str(election id), u32(a), u32(i), list(elt(A_{i,0}), …))`.
pub fn commitment_digest(election: &str, attempt: u32, i: TrusteeIndex, coefficients: &[Element]) -> Digest {
    let mut h = Framer::h256(tag::DKG_COMMITMENT);
    h.str(election).u32(attempt).u32(i).list(coefficients.len());
    for a in coefficients {
        h.elt(a);
    }
    Digest(h.digest())
}

/// `c = HS("teller/dkg-coefficient/v1"; str(election id), u32(a), u32(i), u32(l), elt(A_{i,l}), elt(a))`.
pub fn coefficient_challenge(
    election: &str,
    attempt: u32,
    i: TrusteeIndex,
    l: u32,
    coefficient: &Element,
    a: &Element,
) -> Scalar {
    let mut h = Framer::hs(tag::DKG_COEFFICIENT);
    h.str(election).u32(attempt).u32(i).u32(l).elt(coefficient).elt(a);
    h.scalar()
}

/// The complaint's statement: who, in which attempt, and the elements.
#[derive(Debug, Clone, Copy)]
pub struct ComplaintStatement<'a> {
    /// The election.
    pub election: &'a str,
    /// The attempt.
    pub attempt: u32,
    /// The dealer `i`.
    pub dealer: TrusteeIndex,
    /// The complainant `j`.
    pub complainant: TrusteeIndex,
    /// `E_j`.
    pub key: &'a Element,
    /// `Y_ij`.
    pub ephemeral: &'a Element,
    /// `S_ij`.
    pub secret: &'a Element,
}

/// `c = HS("teller/dkg-complaint/v1"; str(election id), u32(a), u32(i), u32(j), elt(E_j), elt(Y_ij), elt(S_ij), elt(a), elt(b))`.
pub fn complaint_challenge(s: &ComplaintStatement<'_>, a: &Element, b: &Element) -> Scalar {
    let mut h = Framer::hs(tag::DKG_COMPLAINT);
    h.str(s.election)
        .u32(s.attempt)
        .u32(s.dealer)
        .u32(s.complainant)
        .elt(s.key)
        .elt(s.ephemeral)
        .elt(s.secret)
        .elt(a)
        .elt(b);
    h.scalar()
}

/// `c = HS("teller/share-possession/v1"; str(election id), u32(a), u32(j), elt(K_j), elt(a))`.
pub fn share_possession_challenge(election: &str, attempt: u32, j: TrusteeIndex, key: &Element, a: &Element) -> Scalar {
    let mut h = Framer::hs(tag::SHARE_POSSESSION);
    h.str(election).u32(attempt).u32(j).elt(key).elt(a);
    h.scalar()
}

// ---------------------------------------------------------------- public arithmetic

/// `Π_l A_l^{(j^l mod ℓ)}`: what `g^{f(j)}` must be, from the commitments.
pub fn expected_share(coefficients: &[Element], j: TrusteeIndex) -> RistrettoPoint {
    let powers = powers_of(j, coefficients.len());
    RistrettoPoint::vartime_multiscalar_mul(powers, coefficients.iter().map(|a| *a.point()))
}

/// `1, j, j², …` (mod ℓ), `count` of them.
fn powers_of(j: TrusteeIndex, count: usize) -> Vec<Scalar> {
    let j = int(u64::from(j));
    let mut out = Vec::with_capacity(count);
    let mut p = Scalar::ONE;
    for _ in 0..count {
        out.push(p);
        p *= j;
    }
    out
}

/// Whether a share opened from dealer `i` satisfies `g^s = Π_l A_{i,l}^{(j^l)}` (§16.2 check).
pub fn share_is_good(share: &Scalar, coefficients: &[Element], j: TrusteeIndex) -> bool {
    g_pow(share) == expected_share(coefficients, j)
}

/// The ceremony's public results (§16.5), computed from the participants'
/// coefficient commitments: `h = Π_i A_{i,0}` and each
/// `K_j = Π_i Π_l A_{i,l}^{(j^l)}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKeys {
    /// `h`.
    pub joint_key: Element,
    /// `K_j` for each participant, by increasing `j`.
    pub verification_keys: Vec<KeyEntry>,
}

impl PublicKeys {
    /// Compute `h` and every `K_j` from each participant's commitments
    /// (all of length `K`).
    pub fn compute<'a>(deals: impl IntoIterator<Item = (TrusteeIndex, &'a [Element])>) -> PublicKeys {
        // Summing over the dealers first: C_l = Π_i A_{i,l}, then K_j = Π_l C_l^{j^l}.
        let mut sums: Vec<RistrettoPoint> = Vec::new();
        let mut participants = Vec::new();
        for (i, coefficients) in deals {
            participants.push(i);
            if sums.len() < coefficients.len() {
                sums.resize(coefficients.len(), RistrettoPoint::identity());
            }
            for (sum, a) in sums.iter_mut().zip(coefficients) {
                *sum += a.point();
            }
        }
        let joint_key = Element::from_point(sums.first().copied().unwrap_or_else(RistrettoPoint::identity));
        let verification_keys = participants
            .iter()
            .map(|&j| KeyEntry {
                trustee: j,
                key: Element::from_point(RistrettoPoint::vartime_multiscalar_mul(
                    powers_of(j, sums.len()),
                    sums.iter(),
                )),
            })
            .collect();
        PublicKeys {
            joint_key,
            verification_keys,
        }
    }

    /// `K_j`, if `j` took part.
    pub fn verification_key(&self, j: TrusteeIndex) -> Option<&Element> {
        self.verification_keys.iter().find(|k| k.trustee == j).map(|k| &k.key)
    }
}

// ---------------------------------------------------------------- the trustee's secrets

/// What `keygen` makes and the trustee keeps for the whole election: the
/// Ed25519 signing seed and the encryption secret `d_j`.
pub struct TrusteeSecret {
    election: String,
    trustee: TrusteeIndex,
    name: String,
    signing_seed: Zeroizing<[u8; 32]>,
    encryption_secret: Zeroizing<Scalar>,
}

impl std::fmt::Debug for TrusteeSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "TrusteeSecret(trustee {} of {}, secrets hidden)",
            self.trustee, self.election
        )
    }
}

impl TrusteeSecret {
    /// Draw new keys for trustee `trustee` (named `name`) of `election`:
    /// 32 bytes of signing seed, then `d_j` (§14.4).
    pub fn generate(election: &str, trustee: TrusteeIndex, name: &str, rng: &mut dyn RandomSource) -> TrusteeSecret {
        let mut signing_seed = Zeroizing::new([0u8; 32]);
        rng.fill(signing_seed.as_mut());
        let encryption_secret = random_scalar(rng);
        TrusteeSecret {
            election: election.to_string(),
            trustee,
            name: name.to_string(),
            signing_seed,
            encryption_secret,
        }
    }

    /// Rebuild from the values kept in the secret file.
    pub fn from_parts(
        election: &str,
        trustee: TrusteeIndex,
        name: &str,
        signing_seed: [u8; 32],
        encryption_secret: Scalar,
    ) -> TrusteeSecret {
        TrusteeSecret {
            election: election.to_string(),
            trustee,
            name: name.to_string(),
            signing_seed: Zeroizing::new(signing_seed),
            encryption_secret: Zeroizing::new(encryption_secret),
        }
    }

    /// The election.
    pub fn election(&self) -> &str {
        &self.election
    }

    /// The trustee's index.
    pub fn trustee(&self) -> TrusteeIndex {
        self.trustee
    }

    /// The trustee's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The signing seed (for writing the secret file).
    pub fn signing_seed(&self) -> &[u8; 32] {
        &self.signing_seed
    }

    /// `d_j` (for writing the secret file).
    pub fn encryption_secret(&self) -> &Scalar {
        &self.encryption_secret
    }

    /// The Ed25519 key pair.
    pub fn key_pair(&self) -> Ed25519KeyPair {
        // Any 32 bytes are an Ed25519 seed (RFC 8032 §5.1.5).
        Ed25519KeyPair::from_seed_unchecked(self.signing_seed.as_ref()).expect("any 32 bytes are an Ed25519 seed")
    }

    /// The signing key.
    pub fn signing_key(&self) -> PublicKey {
        public_key(&self.key_pair())
    }

    /// `E_j = g^{d_j}`.
    pub fn encryption_key(&self) -> Element {
        Element::from_point(g_pow(&self.encryption_secret))
    }

    /// Sign a message of this trustee.
    pub fn sign(&self, attempt: u32, round: Round, body: &impl Serialize) -> Envelope {
        let body = serde_json::to_value(body).expect("ceremony bodies are plain JSON");
        Envelope::sign(&self.election, attempt, self.trustee, round, body, &self.key_pair())
    }

    /// The `register` message (attempt 0), proving possession of `d_j`.
    pub fn register(&self, rng: &mut dyn RandomSource) -> Envelope {
        let signing_key = self.signing_key();
        let key = self.encryption_key();
        let possession = SchnorrProof::prove(&self.encryption_secret, rng, |a| {
            key_possession_challenge(&self.election, self.trustee, &signing_key, &key, a)
        });
        let body = RegisterBody {
            name: self.name.clone(),
            signing_key,
            encryption_key: key,
            possession,
        };
        self.sign(0, Round::Register, &body)
    }
}

/// A trustee's polynomial for one attempt: `f_i(z) = a_0 + a_1 z + … + a_{K−1} z^{K−1}`,
/// each coefficient a random non-zero scalar. Kept from `commit` to
/// `finish`, then erased.
pub struct Polynomial {
    attempt: u32,
    coefficients: Vec<Zeroizing<Scalar>>,
}

impl std::fmt::Debug for Polynomial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Polynomial(attempt {}, degree {}, secret)",
            self.attempt,
            self.coefficients.len().saturating_sub(1)
        )
    }
}

impl Polynomial {
    /// Draw `threshold` coefficients for `attempt` (§14.4).
    pub fn draw(attempt: u32, threshold: u32, rng: &mut dyn RandomSource) -> Polynomial {
        Polynomial {
            attempt,
            coefficients: (0..threshold).map(|_| random_scalar(rng)).collect(),
        }
    }

    /// Rebuild from the coefficients kept in the polynomial file.
    pub fn from_coefficients(attempt: u32, mut coefficients: Vec<Scalar>) -> Polynomial {
        let p = Polynomial {
            attempt,
            coefficients: coefficients.iter().copied().map(Zeroizing::new).collect(),
        };
        coefficients.zeroize();
        p
    }

    /// The attempt it was drawn for.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The coefficients (for writing the polynomial file).
    pub fn coefficients(&self) -> impl Iterator<Item = &Scalar> {
        self.coefficients.iter().map(|c| &**c)
    }

    /// `K`, the number of coefficients.
    pub fn len(&self) -> usize {
        self.coefficients.len()
    }

    /// Whether it has no coefficient (never, for a drawn polynomial).
    pub fn is_empty(&self) -> bool {
        self.coefficients.is_empty()
    }

    /// `A_l = g^{a_l}`.
    pub fn commitments(&self) -> Vec<Element> {
        self.coefficients
            .iter()
            .map(|a| Element::from_point(g_pow(a)))
            .collect()
    }

    /// `f(j) mod ℓ` (Horner's rule).
    pub fn evaluate(&self, j: TrusteeIndex) -> Zeroizing<Scalar> {
        let z = int(u64::from(j));
        let mut acc = Zeroizing::new(Scalar::ZERO);
        for a in self.coefficients.iter().rev() {
            *acc = *acc * z + **a;
        }
        acc
    }
}

/// What a trustee keeps after the ceremony: `x_j`, with the public values
/// it goes with. The only secret needed to decrypt.
pub struct KeyShare {
    /// The election.
    pub election: String,
    /// The completing attempt.
    pub attempt: u32,
    /// The trustee.
    pub trustee: TrusteeIndex,
    /// `x_j`.
    pub secret: Zeroizing<Scalar>,
    /// `K_j = g^{x_j}`.
    pub verification_key: Element,
    /// `h`.
    pub joint_key: Element,
}

impl std::fmt::Debug for KeyShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "KeyShare(trustee {}, attempt {}, K_j {}, secret hidden)",
            self.trustee,
            self.attempt,
            self.verification_key.to_hex()
        )
    }
}

// ---------------------------------------------------------------- the rounds

/// Why a trustee cannot make its message of a round now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoundError {
    /// The board is not at this round (yet, or any more).
    #[error("{0}")]
    NotNow(String),
    /// The trustee's own files disagree with the board.
    #[error("{0}")]
    Mismatch(String),
}

/// The `commit` message for `polynomial` in the board's current attempt.
pub fn commit(secret: &TrusteeSecret, board: &Board, polynomial: &Polynomial) -> Result<Envelope, RoundError> {
    let attempt = board.attempt();
    if polynomial.attempt() != attempt || polynomial.len() != board.params().threshold() as usize {
        return Err(RoundError::Mismatch(format!(
            "the polynomial was drawn for attempt {} with {} coefficients; the board is at attempt {attempt} with K = {}",
            polynomial.attempt(),
            polynomial.len(),
            board.params().threshold()
        )));
    }
    let roster = board
        .roster()
        .ok_or_else(|| RoundError::NotNow("registration is not over yet".into()))?;
    let body = CommitBody {
        roster,
        threshold: board.params().threshold(),
        participants: board.participants().to_vec(),
        digest: commitment_digest(secret.election(), attempt, secret.trustee(), &polynomial.commitments()),
    };
    Ok(secret.sign(attempt, Round::Commit, &body))
}

/// The `deal` message: the commitments with their proofs, and each other
/// participant's share sealed to it. Draws the proofs' nonces (`l = 0 …
/// K−1`), then each share's `y` (by increasing recipient).
pub fn deal(
    secret: &TrusteeSecret,
    board: &Board,
    polynomial: &Polynomial,
    rng: &mut dyn RandomSource,
) -> Result<Envelope, RoundError> {
    let attempt = board.attempt();
    let i = secret.trustee();
    let election = secret.election();
    let coefficients = polynomial.commitments();
    if board.commitment(i) != Some(commitment_digest(election, attempt, i, &coefficients)) {
        return Err(RoundError::Mismatch(format!(
            "this polynomial is not the one trustee {i} committed to in attempt {attempt}"
        )));
    }
    let possession = polynomial
        .coefficients()
        .zip(&coefficients)
        .enumerate()
        .map(|(l, (a, big_a))| {
            SchnorrProof::prove(a, rng, |c| {
                coefficient_challenge(election, attempt, i, l as u32, big_a, c)
            })
        })
        .collect();
    let mut shares = Vec::new();
    for &j in board.participants().iter().filter(|&&j| j != i) {
        let key = board
            .registration(j)
            .map(|r| r.encryption_key)
            .ok_or_else(|| RoundError::Mismatch(format!("trustee {j} has no registration")))?;
        let ctx = ShareContext {
            election,
            attempt,
            dealer: i,
            recipient: j,
        };
        shares.push(share::seal(&ctx, &key, &polynomial.evaluate(j), rng));
    }
    let body = DealBody {
        coefficients,
        possession,
        shares,
    };
    Ok(secret.sign(attempt, Round::Deal, &body))
}

/// What a trustee found in the shares sent to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// Dealers whose share was good.
    pub good: Vec<TrusteeIndex>,
    /// Dealers complained about, with why.
    pub bad: Vec<(TrusteeIndex, String)>,
}

/// Open and check every share sent to `secret`'s trustee in the current
/// attempt; the `check` message names each bad one by a complaint with
/// its proof (drawing one nonce per complaint, by increasing dealer).
pub fn check(
    secret: &TrusteeSecret,
    board: &Board,
    rng: &mut dyn RandomSource,
) -> Result<(Envelope, CheckReport), RoundError> {
    let attempt = board.attempt();
    let j = secret.trustee();
    let key = secret.encryption_key();
    let mut complaints = Vec::new();
    let mut report = CheckReport {
        good: Vec::new(),
        bad: Vec::new(),
    };
    for (i, sealed, coefficients) in shares_to(board, j)? {
        let ctx = ShareContext {
            election: secret.election(),
            attempt,
            dealer: i,
            recipient: j,
        };
        let problem = match share::open(&ctx, secret.encryption_secret(), &key, &sealed) {
            Ok(s) if share_is_good(&s, &coefficients, j) => None,
            Ok(_) => Some("the share does not match the dealer's commitments".to_string()),
            Err(e) => Some(e.to_string()),
        };
        let Some(problem) = problem else {
            report.good.push(i);
            continue;
        };
        let shared = share::shared_secret(&sealed.ephemeral, secret.encryption_secret());
        let statement = ComplaintStatement {
            election: secret.election(),
            attempt,
            dealer: i,
            complainant: j,
            key: &key,
            ephemeral: &sealed.ephemeral,
            secret: &shared,
        };
        let proof = DleqProof::prove(secret.encryption_secret(), &sealed.ephemeral, rng, |a, b| {
            complaint_challenge(&statement, a, b)
        });
        complaints.push(Complaint {
            against: i,
            secret: shared,
            proof,
        });
        report.bad.push((i, problem));
    }
    Ok((secret.sign(attempt, Round::Check, &CheckBody { complaints }), report))
}

/// The shares sealed to `j` in the board's current attempt, with their
/// dealers' commitments, by increasing dealer.
fn shares_to(board: &Board, j: TrusteeIndex) -> Result<Vec<(TrusteeIndex, SealedShare, Vec<Element>)>, RoundError> {
    let mut out = Vec::new();
    for &i in board.participants().iter().filter(|&&i| i != j) {
        let deal = board
            .deal(i)
            .ok_or_else(|| RoundError::NotNow(format!("trustee {i} has not dealt yet")))?;
        let sealed = deal
            .shares
            .get(&j)
            .ok_or_else(|| RoundError::Mismatch(format!("trustee {i}'s deal has no share for trustee {j}")))?;
        out.push((i, *sealed, deal.coefficients.clone()));
    }
    Ok(out)
}

/// Compute the key share `x_j = Σ_{i∈P} f_i(j)` (own share from the
/// polynomial, the others opened from the deals) and check it against the
/// board's `K_j`; the `finish` message proves possession of it.
pub fn finish(
    secret: &TrusteeSecret,
    board: &Board,
    polynomial: &Polynomial,
    rng: &mut dyn RandomSource,
) -> Result<(KeyShare, Envelope), RoundError> {
    let attempt = board.attempt();
    let j = secret.trustee();
    let keys = board
        .public_keys()
        .ok_or_else(|| RoundError::NotNow("the checks are not all in, or a complaint ended the attempt".into()))?;
    if polynomial.attempt() != attempt {
        return Err(RoundError::Mismatch(format!(
            "the polynomial was drawn for attempt {}, the board is at attempt {attempt}",
            polynomial.attempt()
        )));
    }
    let key = secret.encryption_key();
    let mut x = polynomial.evaluate(j);
    for (i, sealed, _) in shares_to(board, j)? {
        let ctx = ShareContext {
            election: secret.election(),
            attempt,
            dealer: i,
            recipient: j,
        };
        let s = share::open(&ctx, secret.encryption_secret(), &key, &sealed)
            .map_err(|e: OpenError| RoundError::Mismatch(format!("trustee {i}'s share: {e}")))?;
        *x += *s;
    }
    let share = KeyShare {
        election: secret.election().to_string(),
        attempt,
        trustee: j,
        verification_key: Element::from_point(g_pow(&x)),
        secret: x,
        joint_key: keys.joint_key,
    };
    let message = finish_message(secret, board, &share, rng)?;
    Ok((share, message))
}

/// The `finish` message for a key share already computed (and kept in its
/// file): the board's keys, with a fresh proof of possession of `x_j`.
pub fn finish_message(
    secret: &TrusteeSecret,
    board: &Board,
    share: &KeyShare,
    rng: &mut dyn RandomSource,
) -> Result<Envelope, RoundError> {
    let attempt = board.attempt();
    let j = secret.trustee();
    let keys = board
        .public_keys()
        .ok_or_else(|| RoundError::NotNow("the checks are not all in, or a complaint ended the attempt".into()))?;
    if share.attempt != attempt || keys.verification_key(j) != Some(&share.verification_key) {
        return Err(RoundError::Mismatch(format!(
            "the key share computed does not match the verification key K_{j} the board's commitments give for attempt {attempt}"
        )));
    }
    let possession = SchnorrProof::prove(&share.secret, rng, |a| {
        share_possession_challenge(secret.election(), attempt, j, &share.verification_key, a)
    });
    let body = FinishBody {
        joint_key: keys.joint_key,
        verification_keys: keys.verification_keys.clone(),
        possession,
    };
    Ok(secret.sign(attempt, Round::Finish, &body))
}

/// Decode a round's body, naming what is wrong with it.
pub fn read_body<T: serde::de::DeserializeOwned>(body: &serde_json::Value) -> Result<T, String> {
    serde_path_to_error::deserialize(body).map_err(|e| {
        let path = e.path().to_string();
        if path == "." {
            e.inner().to_string()
        } else {
            format!("body.{path}: {}", e.inner())
        }
    })
}

/// Each dealer's commitments in the attempt, for [`PublicKeys::compute`].
pub fn coefficients_of(deals: &BTreeMap<TrusteeIndex, super::board::Deal>) -> Vec<(TrusteeIndex, &[Element])> {
    deals.iter().map(|(&i, d)| (i, d.coefficients.as_slice())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encrypted::group::OsRandom;

    #[test]
    fn shares_of_a_polynomial_match_its_commitments() {
        let p = Polynomial::draw(1, 3, &mut OsRandom);
        let commitments = p.commitments();
        for j in 1..=5 {
            assert!(share_is_good(&p.evaluate(j), &commitments, j));
        }
        assert!(!share_is_good(&(*p.evaluate(1) + Scalar::ONE), &commitments, 1));
        assert_eq!(*p.evaluate(0), *p.coefficients().next().unwrap());
    }

    #[test]
    fn public_keys_are_the_sums_of_the_dealers_commitments() {
        let polys: Vec<Polynomial> = (0..3).map(|_| Polynomial::draw(1, 2, &mut OsRandom)).collect();
        let commitments: Vec<Vec<Element>> = polys.iter().map(Polynomial::commitments).collect();
        let keys = PublicKeys::compute((1..=3).zip(commitments.iter().map(Vec::as_slice)));
        let x: Scalar = polys.iter().map(|p| *p.evaluate(0)).sum();
        assert_eq!(keys.joint_key, Element::from_point(g_pow(&x)));
        for j in 1..=3u32 {
            let xj: Scalar = polys.iter().map(|p| *p.evaluate(j)).sum();
            assert_eq!(keys.verification_key(j), Some(&Element::from_point(g_pow(&xj))));
        }
    }
}
