//! The ceremony's public state (§16.2–§16.5): which message the board
//! accepts, who is excluded by which rule, when an attempt restarts, and
//! when the ceremony completes or fails.
//!
//! The server keeps one [`Board`] per election and posts every upload to
//! it; a trustee's `teller-audit trustee` and a verifier replay the same
//! messages into their own `Board` and reach the same state, so nobody
//! takes the server's word for an exclusion. Everything here is public:
//! no secret is needed to apply §16.4's rules, because a complaint
//! publishes the one shared secret that opens the disputed share.
//!
//! Life of a board:
//!
//! - **registering** (attempt 0): each named trustee posts `register`;
//!   staff may exclude one who never does (`absent`). When every named
//!   trustee has registered or been excluded, attempt 1 starts with the
//!   registered ones, and the roster digest is fixed.
//! - **attempt `a`**: `commit` from every participant, then `deal`, then
//!   `check`, then `finish`; each round opens only when the previous one
//!   is complete. Any exclusion (rules 1–5) ends the attempt at once, and
//!   attempt `a + 1` starts at `commit` with the others — or the ceremony
//!   **fails** if fewer than `K` remain.
//! - **complete**: every participant of the attempt posted a valid
//!   `finish`, with no complaint in the attempt.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::ceremony::{
    coefficient_challenge, coefficients_of, commitment_digest, complaint_challenge, key_possession_challenge,
    read_body, roster_digest, share_is_good, share_possession_challenge, CheckBody, CommitBody, Complaint,
    ComplaintStatement, DealBody, FinishBody, PublicKeys, RegisterBody, RosterEntry,
};
use super::envelope::{Envelope, Round, ENVELOPE_FORMAT};
use super::share::{open_with_secret, SealedShare, ShareContext};
use super::{Parameters, TrusteeIndex};
use crate::crypto::{Digest, PublicKey};
use crate::encrypted::group::Element;

/// A registered trustee's public keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The name it registered under (staff's name for it).
    pub name: String,
    /// Its signing key.
    pub signing_key: PublicKey,
    /// `E_j`.
    pub encryption_key: Element,
}

/// A valid deal, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deal {
    /// `A_{i,0} … A_{i,K−1}`.
    pub coefficients: Vec<Element>,
    /// The sealed shares, by recipient.
    pub shares: BTreeMap<TrusteeIndex, SealedShare>,
}

/// The rules of §16.4 that exclude a trustee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// 1: a deal that does not match its commit or is malformed (the dealer).
    InvalidDeal,
    /// 2: a complaint whose proof fails or whose share is good (the complainant).
    FalseComplaint,
    /// 3: a complaint that holds (the dealer).
    BadShare,
    /// 4: a finish with wrong keys or a failing proof (its sender).
    InvalidFinish,
    /// 5: staff stopped waiting for the trustee's message.
    Absent,
}

impl Rule {
    /// The rule's name, as logged (`trustee_excluded.rule`).
    pub fn name(self) -> &'static str {
        match self {
            Rule::InvalidDeal => "invalid-deal",
            Rule::FalseComplaint => "false-complaint",
            Rule::BadShare => "bad-share",
            Rule::InvalidFinish => "invalid-finish",
            Rule::Absent => "absent",
        }
    }

    /// The rule named `name`.
    pub fn from_name(name: &str) -> Option<Rule> {
        [
            Rule::InvalidDeal,
            Rule::FalseComplaint,
            Rule::BadShare,
            Rule::InvalidFinish,
            Rule::Absent,
        ]
        .into_iter()
        .find(|r| r.name() == name)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A trustee excluded: from attempt `attempt + 1` on it takes no part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exclusion {
    /// The attempt it was excluded in (0 if it never registered).
    pub attempt: u32,
    /// The trustee.
    pub trustee: TrusteeIndex,
    /// Why.
    pub rule: Rule,
    /// The staff member, for `absent`; `None` for rules 1–4.
    pub actor: Option<String>,
    /// What was found, in words (not logged; for people).
    pub detail: String,
}

impl fmt::Display for Exclusion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "trustee {} excluded in attempt {} ({}): {}",
            self.trustee, self.attempt, self.rule, self.detail
        )
    }
}

/// A trustee of the completed ceremony.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Its index.
    pub trustee: TrusteeIndex,
    /// Its signing key (which signs its partial decryption).
    pub signing_key: PublicKey,
    /// `K_j`.
    pub verification_key: Element,
}

/// The results of a complete ceremony (§16.5), as `ceremony_completed`
/// logs them and decryption uses them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The election.
    pub election: String,
    /// The completing attempt.
    pub attempt: u32,
    /// `K`.
    pub threshold: u32,
    /// `h`.
    pub joint_key: Element,
    /// The participants `P`, by increasing index.
    pub members: Vec<Member>,
}

impl Outcome {
    /// Trustee `j`, if it is in `P`.
    pub fn member(&self, j: TrusteeIndex) -> Option<&Member> {
        self.members.iter().find(|m| m.trustee == j)
    }

    /// `(j, K_j)` for each member: what the fingerprint lists (§14.7).
    pub fn verification_keys(&self) -> Vec<(TrusteeIndex, Element)> {
        self.members.iter().map(|m| (m.trustee, m.verification_key)).collect()
    }
}

/// Where the board is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Attempt 0: waiting for registrations.
    Registering,
    /// Waiting for commits.
    Committing,
    /// Every participant committed; waiting for deals.
    Dealing,
    /// Every participant dealt; waiting for checks.
    Checking,
    /// Every check is in, without complaint; waiting for finishes.
    Finishing,
    /// The ceremony is complete.
    Complete,
    /// Fewer than `K` trustees remain (or the keys were degenerate): the
    /// election cannot open; staff start a new one (§16.4).
    Failed,
}

impl Phase {
    /// The round the board waits for, if any.
    pub fn round(self) -> Option<Round> {
        match self {
            Phase::Registering => Some(Round::Register),
            Phase::Committing => Some(Round::Commit),
            Phase::Dealing => Some(Round::Deal),
            Phase::Checking => Some(Round::Check),
            Phase::Finishing => Some(Round::Finish),
            Phase::Complete | Phase::Failed => None,
        }
    }
}

/// What accepting a message led to; the server logs each part (§16.9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The message's digest (`SHA-256(canonical(envelope))`).
    pub digest: Digest,
    /// Trustees it excluded (the attempt then ended).
    pub exclusions: Vec<Exclusion>,
    /// The ceremony's results, if this message completed it.
    pub completed: Option<Outcome>,
    /// Why the ceremony failed, if this message made it fail.
    pub failed: Option<String>,
}

/// Why the board refuses a message (it is not logged; its sender may post
/// again).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Not a `teller-ceremony/1` envelope.
    #[error("not a ceremony message (format {0:?}, expected \"teller-ceremony/1\")")]
    Format(String),
    /// For another election.
    #[error("the message is for election {0}, not this one")]
    Election(String),
    /// No such trustee.
    #[error("there is no trustee {0} in this ceremony")]
    UnknownTrustee(TrusteeIndex),
    /// The trustee was excluded.
    #[error("trustee {0} was excluded and takes no further part")]
    Excluded(TrusteeIndex),
    /// The ceremony is over.
    #[error("the ceremony is {0}; it takes no more messages")]
    Over(&'static str),
    /// A `decrypt` message: not part of the ceremony.
    #[error("a partial decryption is posted after the close, not to the ceremony")]
    Decrypt,
    /// The trustee has not registered.
    #[error("trustee {0} has not registered")]
    NotRegistered(TrusteeIndex),
    /// The message is for another attempt or round than the board's.
    #[error("{0}")]
    OutOfTurn(String),
    /// The trustee already posted this round's message.
    #[error("trustee {trustee} has already posted its {round} message in attempt {attempt}")]
    Duplicate {
        /// The trustee.
        trustee: TrusteeIndex,
        /// The round.
        round: Round,
        /// The attempt.
        attempt: u32,
    },
    /// The signature does not verify.
    #[error("the signature is not trustee {0}'s")]
    Signature(TrusteeIndex),
    /// The body is not what the round needs.
    #[error("the {round} body is not valid: {detail}")]
    Body {
        /// The round.
        round: Round,
        /// What is wrong.
        detail: String,
    },
    /// Staff named a trustee who is not awaited.
    #[error("trustee {0} is not one the board is waiting for")]
    NotAbsent(TrusteeIndex),
    /// Staff named no trustee to exclude.
    #[error("name at least one trustee to exclude")]
    NoneNamed,
}

/// One ceremony's public state.
#[derive(Debug, Clone)]
pub struct Board {
    params: Parameters,
    registrations: BTreeMap<TrusteeIndex, Registration>,
    roster: Option<Digest>,
    exclusions: Vec<Exclusion>,
    attempt: u32,
    participants: Vec<TrusteeIndex>,
    commits: BTreeMap<TrusteeIndex, Digest>,
    deals: BTreeMap<TrusteeIndex, Deal>,
    checks: BTreeSet<TrusteeIndex>,
    keys: Option<PublicKeys>,
    finishes: BTreeSet<TrusteeIndex>,
    outcome: Option<Outcome>,
    failure: Option<String>,
}

impl Board {
    /// A new board: waiting for the named trustees' registrations.
    pub fn new(params: Parameters) -> Board {
        Board {
            params,
            registrations: BTreeMap::new(),
            roster: None,
            exclusions: Vec::new(),
            attempt: 0,
            participants: Vec::new(),
            commits: BTreeMap::new(),
            deals: BTreeMap::new(),
            checks: BTreeSet::new(),
            keys: None,
            finishes: BTreeSet::new(),
            outcome: None,
            failure: None,
        }
    }

    /// The parameters.
    pub fn params(&self) -> &Parameters {
        &self.params
    }

    /// The current attempt (0 while registering).
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The current attempt's participants `P_a`, increasing (empty while
    /// registering).
    pub fn participants(&self) -> &[TrusteeIndex] {
        &self.participants
    }

    /// Trustee `j`'s registration.
    pub fn registration(&self, j: TrusteeIndex) -> Option<&Registration> {
        self.registrations.get(&j)
    }

    /// The roster digest, fixed when registration ends.
    pub fn roster(&self) -> Option<Digest> {
        self.roster
    }

    /// Trustee `i`'s commitment digest `D_i` in the current attempt.
    pub fn commitment(&self, i: TrusteeIndex) -> Option<Digest> {
        self.commits.get(&i).copied()
    }

    /// Trustee `i`'s deal in the current attempt.
    pub fn deal(&self, i: TrusteeIndex) -> Option<&Deal> {
        self.deals.get(&i)
    }

    /// Whether trustee `j` posted its `round` message in the current attempt.
    pub fn has_posted(&self, j: TrusteeIndex, round: Round) -> bool {
        match round {
            Round::Register => self.registrations.contains_key(&j),
            Round::Commit => self.commits.contains_key(&j),
            Round::Deal => self.deals.contains_key(&j),
            Round::Check => self.checks.contains(&j),
            Round::Finish => self.finishes.contains(&j),
            Round::Decrypt => false,
        }
    }

    /// `h` and every `K_j` of the current attempt, once every check is in
    /// without complaint.
    pub fn public_keys(&self) -> Option<&PublicKeys> {
        self.keys.as_ref()
    }

    /// Every exclusion so far, in order.
    pub fn exclusions(&self) -> &[Exclusion] {
        &self.exclusions
    }

    /// Whether trustee `j` was excluded.
    pub fn is_excluded(&self, j: TrusteeIndex) -> bool {
        self.exclusions.iter().any(|e| e.trustee == j)
    }

    /// The results, once complete.
    pub fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }

    /// Why the ceremony failed, if it did.
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }

    /// Where the board is.
    pub fn phase(&self) -> Phase {
        if self.failure.is_some() {
            Phase::Failed
        } else if self.outcome.is_some() {
            Phase::Complete
        } else if self.attempt == 0 {
            Phase::Registering
        } else if self.commits.len() < self.participants.len() {
            Phase::Committing
        } else if self.deals.len() < self.participants.len() {
            Phase::Dealing
        } else if self.checks.len() < self.participants.len() {
            Phase::Checking
        } else {
            Phase::Finishing
        }
    }

    /// The trustees whose message of the current round is still missing.
    pub fn awaiting(&self) -> Vec<TrusteeIndex> {
        match self.phase().round() {
            Some(Round::Register) => self
                .params
                .indices()
                .filter(|j| !self.registrations.contains_key(j) && !self.is_excluded(*j))
                .collect(),
            Some(round) => self
                .participants
                .iter()
                .copied()
                .filter(|&j| !self.has_posted(j, round))
                .collect(),
            None => Vec::new(),
        }
    }

    /// Post a message: accepted (and what it led to) or refused.
    pub fn post(&mut self, e: &Envelope) -> Result<Accepted, Refusal> {
        if e.format != ENVELOPE_FORMAT {
            return Err(Refusal::Format(e.format.chars().take(80).collect()));
        }
        if e.election != self.params.election() {
            return Err(Refusal::Election(e.election.clone()));
        }
        let j = e.trustee;
        if self.params.name(j).is_none() {
            return Err(Refusal::UnknownTrustee(j));
        }
        match self.phase() {
            Phase::Complete => return Err(Refusal::Over("complete")),
            Phase::Failed => return Err(Refusal::Over("failed")),
            _ => {}
        }
        if self.is_excluded(j) {
            return Err(Refusal::Excluded(j));
        }
        let mut accepted = Accepted {
            digest: e.digest(),
            exclusions: Vec::new(),
            completed: None,
            failed: None,
        };
        match e.round {
            Round::Decrypt => return Err(Refusal::Decrypt),
            Round::Register => self.register(e)?,
            round => {
                let registration = self.registrations.get(&j).ok_or(Refusal::NotRegistered(j))?;
                self.in_turn(e)?;
                if !e.signed_by(&registration.signing_key) {
                    return Err(Refusal::Signature(j));
                }
                let excluded = match round {
                    Round::Commit => self.commit(e).map(|()| Vec::new())?,
                    Round::Deal => self.deal_message(e),
                    Round::Check => self.check(e)?,
                    _ => self.finish(e)?,
                };
                if !excluded.is_empty() {
                    accepted.exclusions = excluded.clone();
                    self.end_attempt(excluded);
                }
            }
        }
        accepted.completed = self.outcome.clone();
        accepted.failed = self.failure.clone();
        Ok(accepted)
    }

    /// Staff stop waiting for `trustees` (rule 5, `absent`): each must be
    /// one the board awaits. Ends the attempt (or, while registering,
    /// drops them from the roster).
    pub fn exclude_absent(&mut self, trustees: &[TrusteeIndex], actor: &str) -> Result<Vec<Exclusion>, Refusal> {
        match self.phase() {
            Phase::Complete => return Err(Refusal::Over("complete")),
            Phase::Failed => return Err(Refusal::Over("failed")),
            _ => {}
        }
        if trustees.is_empty() {
            return Err(Refusal::NoneNamed);
        }
        let awaited = self.awaiting();
        if let Some(&j) = trustees.iter().find(|j| !awaited.contains(j)) {
            return Err(Refusal::NotAbsent(j));
        }
        let round = self.phase().round().map_or("", Round::name);
        let mut unique: Vec<TrusteeIndex> = trustees.to_vec();
        unique.sort_unstable();
        unique.dedup();
        let excluded: Vec<Exclusion> = unique
            .into_iter()
            .map(|j| Exclusion {
                attempt: self.attempt,
                trustee: j,
                rule: Rule::Absent,
                actor: Some(actor.to_string()),
                detail: format!("staff stopped waiting for its {round} message"),
            })
            .collect();
        if self.attempt == 0 {
            self.exclusions.extend(excluded.iter().cloned());
            self.maybe_end_registration();
        } else {
            self.end_attempt(excluded.clone());
        }
        Ok(excluded)
    }

    // ------------------------------------------------------------ rounds

    fn register(&mut self, e: &Envelope) -> Result<(), Refusal> {
        let j = e.trustee;
        let round = Round::Register;
        if self.attempt != 0 || e.attempt != 0 {
            return Err(Refusal::OutOfTurn(if self.attempt == 0 {
                "a register message belongs to attempt 0".into()
            } else {
                "registration is over".into()
            }));
        }
        if self.registrations.contains_key(&j) {
            return Err(Refusal::Duplicate {
                trustee: j,
                round,
                attempt: 0,
            });
        }
        let body: RegisterBody = read_body(&e.body).map_err(|detail| Refusal::Body { round, detail })?;
        if !e.signed_by(&body.signing_key) {
            return Err(Refusal::Signature(j));
        }
        let bad = |detail: &str| Refusal::Body {
            round,
            detail: detail.to_string(),
        };
        if Some(body.name.as_str()) != self.params.name(j) {
            return Err(bad("the name is not the one staff gave this trustee"));
        }
        if body.encryption_key.is_identity() {
            return Err(bad("the encryption key is the identity"));
        }
        let election = self.params.election();
        if !body.possession.verify(&body.encryption_key, |a| {
            key_possession_challenge(election, j, &body.signing_key, &body.encryption_key, a)
        }) {
            return Err(bad("the proof of possession of the encryption key fails"));
        }
        if self
            .registrations
            .values()
            .any(|r| r.signing_key == body.signing_key || r.encryption_key == body.encryption_key)
        {
            return Err(bad("another trustee registered the same key"));
        }
        self.registrations.insert(
            j,
            Registration {
                name: body.name,
                signing_key: body.signing_key,
                encryption_key: body.encryption_key,
            },
        );
        self.maybe_end_registration();
        Ok(())
    }

    /// Registration ends when every named trustee registered or was
    /// excluded: attempt 1 starts, or the ceremony fails.
    fn maybe_end_registration(&mut self) {
        if !self.awaiting().is_empty() {
            return;
        }
        let registered: Vec<TrusteeIndex> = self.registrations.keys().copied().collect();
        let entries: Vec<RosterEntry<'_>> = self
            .registrations
            .iter()
            .map(|(&j, r)| RosterEntry {
                trustee: j,
                name: &r.name,
                signing_key: &r.signing_key,
                encryption_key: &r.encryption_key,
            })
            .collect();
        self.roster = Some(roster_digest(self.params.election(), self.params.trustees(), &entries));
        self.start_attempt(1, registered);
    }

    fn start_attempt(&mut self, attempt: u32, participants: Vec<TrusteeIndex>) {
        self.attempt = attempt;
        self.commits.clear();
        self.deals.clear();
        self.checks.clear();
        self.finishes.clear();
        self.keys = None;
        if participants.len() < self.params.threshold() as usize {
            self.failure = Some(format!(
                "only {} trustee(s) remain for attempt {attempt}, fewer than the threshold K = {}; the election cannot open (start a new one)",
                participants.len(),
                self.params.threshold()
            ));
        }
        self.participants = participants;
    }

    /// Record exclusions and start the next attempt without them (§16.4).
    fn end_attempt(&mut self, excluded: Vec<Exclusion>) {
        let out: BTreeSet<TrusteeIndex> = excluded.iter().map(|e| e.trustee).collect();
        self.exclusions.extend(excluded);
        let next: Vec<TrusteeIndex> = self.participants.iter().copied().filter(|j| !out.contains(j)).collect();
        self.start_attempt(self.attempt + 1, next);
    }

    /// The message is for the current attempt, from a participant, in the
    /// round the board is at, and the first of its kind.
    fn in_turn(&self, e: &Envelope) -> Result<(), Refusal> {
        let j = e.trustee;
        if self.attempt == 0 {
            return Err(Refusal::OutOfTurn(format!(
                "registration is not over: waiting for trustee(s) {}",
                list(&self.awaiting())
            )));
        }
        if e.attempt != self.attempt {
            return Err(Refusal::OutOfTurn(format!(
                "the message is for attempt {}, the ceremony is at attempt {}",
                e.attempt, self.attempt
            )));
        }
        if !self.participants.contains(&j) {
            return Err(Refusal::Excluded(j));
        }
        if self.has_posted(j, e.round) {
            return Err(Refusal::Duplicate {
                trustee: j,
                round: e.round,
                attempt: self.attempt,
            });
        }
        let phase = self.phase();
        let expected = phase.round();
        if expected != Some(e.round) {
            let waiting = expected.map_or("nothing", Round::name);
            return Err(Refusal::OutOfTurn(format!(
                "the board is waiting for {waiting} messages from trustee(s) {}, not {} messages",
                list(&self.awaiting()),
                e.round
            )));
        }
        Ok(())
    }

    fn commit(&mut self, e: &Envelope) -> Result<(), Refusal> {
        let round = Round::Commit;
        let body: CommitBody = read_body(&e.body).map_err(|detail| Refusal::Body { round, detail })?;
        let bad = |detail: String| Refusal::Body { round, detail };
        if Some(body.roster) != self.roster {
            return Err(bad("it names another roster digest than the registrations give".into()));
        }
        if body.threshold != self.params.threshold() {
            return Err(bad(format!(
                "it names K = {}, the ceremony's is {}",
                body.threshold,
                self.params.threshold()
            )));
        }
        if body.participants != self.participants {
            return Err(bad(format!(
                "it names participants {}, the attempt's are {}",
                list(&body.participants),
                list(&self.participants)
            )));
        }
        self.commits.insert(e.trustee, body.digest);
        Ok(())
    }

    /// Accept a deal; rule 1 excludes its dealer if it is not valid.
    fn deal_message(&mut self, e: &Envelope) -> Vec<Exclusion> {
        let i = e.trustee;
        match self.valid_deal(i, &e.body) {
            Ok(deal) => {
                self.deals.insert(i, deal);
                Vec::new()
            }
            Err(detail) => vec![Exclusion {
                attempt: self.attempt,
                trustee: i,
                rule: Rule::InvalidDeal,
                actor: None,
                detail,
            }],
        }
    }

    /// §16.4 rule 1: the deal's coefficients hash to the commit, none is
    /// the identity, every possession proof holds, and it has one
    /// well-formed share for each other participant, in order.
    fn valid_deal(&self, i: TrusteeIndex, body: &serde_json::Value) -> Result<Deal, String> {
        let body: DealBody = read_body(body)?;
        let election = self.params.election();
        let (attempt, k) = (self.attempt, self.params.threshold() as usize);
        if body.coefficients.len() != k {
            return Err(format!("it has {} coefficients, K = {k}", body.coefficients.len()));
        }
        if Some(commitment_digest(election, attempt, i, &body.coefficients)) != self.commits.get(&i).copied() {
            return Err("its coefficients do not hash to its commitment".into());
        }
        if let Some(l) = body.coefficients.iter().position(Element::is_identity) {
            return Err(format!("coefficient {l} is the identity"));
        }
        if body.possession.len() != k {
            return Err(format!("it has {} possession proofs, K = {k}", body.possession.len()));
        }
        for (l, (proof, a)) in body.possession.iter().zip(&body.coefficients).enumerate() {
            if !proof.verify(a, |c| coefficient_challenge(election, attempt, i, l as u32, a, c)) {
                return Err(format!("the possession proof of coefficient {l} fails"));
            }
        }
        let recipients: Vec<TrusteeIndex> = self.participants.iter().copied().filter(|&j| j != i).collect();
        let sent: Vec<TrusteeIndex> = body.shares.iter().map(|s| s.to).collect();
        if sent != recipients {
            return Err(format!(
                "it has shares for {}, it must have one for each of {} in that order",
                list(&sent),
                list(&recipients)
            ));
        }
        if let Some(s) = body.shares.iter().find(|s| s.ephemeral.is_identity()) {
            return Err(format!(
                "the ephemeral key of the share for trustee {} is the identity",
                s.to
            ));
        }
        Ok(Deal {
            coefficients: body.coefficients,
            shares: body.shares.into_iter().map(|s| (s.to, s)).collect(),
        })
    }

    /// Accept a check; each complaint excludes its dealer (rule 3) or its
    /// author (rule 2). Without complaint, the last check fixes the keys.
    fn check(&mut self, e: &Envelope) -> Result<Vec<Exclusion>, Refusal> {
        let round = Round::Check;
        let j = e.trustee;
        let body: CheckBody = read_body(&e.body).map_err(|detail| Refusal::Body { round, detail })?;
        let against: Vec<TrusteeIndex> = body.complaints.iter().map(|c| c.against).collect();
        let in_order = against.windows(2).all(|w| w[0] < w[1]);
        if !in_order || against.iter().any(|i| *i == j || !self.participants.contains(i)) {
            return Err(Refusal::Body {
                round,
                detail: format!(
                    "complaints name {}: each must be another participant, once, in increasing order",
                    list(&against)
                ),
            });
        }
        let mut excluded = Vec::new();
        for complaint in &body.complaints {
            let (rule, detail) = self.judge(j, complaint);
            let trustee = if rule == Rule::BadShare { complaint.against } else { j };
            if !excluded.iter().any(|x: &Exclusion| x.trustee == trustee) {
                excluded.push(Exclusion {
                    attempt: self.attempt,
                    trustee,
                    rule,
                    actor: None,
                    detail,
                });
            }
        }
        self.checks.insert(j);
        if excluded.is_empty() && self.checks.len() == self.participants.len() {
            let keys = PublicKeys::compute(coefficients_of(&self.deals));
            // §16.5: only K colluding trustees could make these the identity.
            if keys.joint_key.is_identity() || keys.verification_keys.iter().any(|k| k.key.is_identity()) {
                self.failure = Some(format!(
                    "attempt {}'s joint key or a verification key is the identity, which only trustees acting together can cause; the election cannot open (start a new one)",
                    self.attempt
                ));
            }
            self.keys = Some(keys);
        }
        Ok(excluded)
    }

    /// §16.4 rules 2–3 for `j`'s complaint: rule 3 (`bad-share`, the dealer
    /// is at fault) when the proof holds and the share does not open or
    /// does not match the commitments; rule 2 (`false-complaint`) otherwise.
    fn judge(&self, j: TrusteeIndex, complaint: &Complaint) -> (Rule, String) {
        let i = complaint.against;
        let (Some(registration), Some(deal)) = (self.registrations.get(&j), self.deals.get(&i)) else {
            return (
                Rule::FalseComplaint,
                format!("no share from trustee {i} to trustee {j}"),
            );
        };
        let Some(sealed) = deal.shares.get(&j) else {
            return (
                Rule::FalseComplaint,
                format!("no share from trustee {i} to trustee {j}"),
            );
        };
        let statement = ComplaintStatement {
            election: self.params.election(),
            attempt: self.attempt,
            dealer: i,
            complainant: j,
            key: &registration.encryption_key,
            ephemeral: &sealed.ephemeral,
            secret: &complaint.secret,
        };
        let proof_holds = complaint.proof.verify(
            &registration.encryption_key,
            &sealed.ephemeral,
            &complaint.secret,
            |a, b| complaint_challenge(&statement, a, b),
        );
        if !proof_holds {
            return (
                Rule::FalseComplaint,
                format!("its complaint against trustee {i} has a proof that fails"),
            );
        }
        let ctx = ShareContext {
            election: self.params.election(),
            attempt: self.attempt,
            dealer: i,
            recipient: j,
        };
        match open_with_secret(&ctx, &complaint.secret, &registration.encryption_key, sealed) {
            Ok(s) if share_is_good(&s, &deal.coefficients, j) => (
                Rule::FalseComplaint,
                format!("it complained against trustee {i}, whose share to it opens and matches the commitments"),
            ),
            Ok(_) => (
                Rule::BadShare,
                format!("its share to trustee {j} does not match its commitments (trustee {j}'s complaint holds)"),
            ),
            Err(e) => (
                Rule::BadShare,
                format!("its share to trustee {j}: {e} (trustee {j}'s complaint holds)"),
            ),
        }
    }

    /// Accept a finish; rule 4 excludes its sender if it is not valid. The
    /// last valid one completes the ceremony.
    fn finish(&mut self, e: &Envelope) -> Result<Vec<Exclusion>, Refusal> {
        let round = Round::Finish;
        let j = e.trustee;
        let body: FinishBody = read_body(&e.body).map_err(|detail| Refusal::Body { round, detail })?;
        let Some(keys) = self.keys.clone() else {
            return Err(Refusal::OutOfTurn("the checks are not all in".into()));
        };
        let problem = if body.joint_key != keys.joint_key {
            Some("its joint key differs from the one the deals give".to_string())
        } else if body.verification_keys != keys.verification_keys {
            Some("its verification keys differ from those the deals give".to_string())
        } else {
            let election = self.params.election();
            let attempt = self.attempt;
            let kj = keys.verification_key(j).copied().unwrap_or_else(Element::identity);
            (!body
                .possession
                .verify(&kj, |a| share_possession_challenge(election, attempt, j, &kj, a)))
            .then(|| "its proof of possession of its key share fails".to_string())
        };
        if let Some(detail) = problem {
            return Ok(vec![Exclusion {
                attempt: self.attempt,
                trustee: j,
                rule: Rule::InvalidFinish,
                actor: None,
                detail,
            }]);
        }
        self.finishes.insert(j);
        if self.finishes.len() == self.participants.len() {
            // Every participant registered before attempt 1 began.
            let members = keys
                .verification_keys
                .iter()
                .filter_map(|k| {
                    self.registrations.get(&k.trustee).map(|r| Member {
                        trustee: k.trustee,
                        signing_key: r.signing_key,
                        verification_key: k.key,
                    })
                })
                .collect();
            self.outcome = Some(Outcome {
                election: self.params.election().to_string(),
                attempt: self.attempt,
                threshold: self.params.threshold(),
                joint_key: keys.joint_key,
                members,
            });
        }
        Ok(Vec::new())
    }
}

/// `1, 2, 3` (or `none`).
pub fn list(items: &[TrusteeIndex]) -> String {
    if items.is_empty() {
        return "none".into();
    }
    items.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
}
