//! The checks of an encrypted election's record
//! (docs/design/encrypted-ballots.md §16.11, steps 1–16).
//!
//! What the log says about encryption is gathered as it streams by
//! ([`EncLog`]); the published encrypted ballots are checked as they
//! arrive, on worker threads ([`check_texts`], the proofs of a job's
//! ballots in one batch, §15.6), and what the sequential checks need of each (its tracker, its
//! `alpha`s, its weight) is kept; the ceremony, the audited ballots, the
//! aggregate and the decryption are checked from the record's `encryption`
//! member when the report is made.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::count::Weight;
use crate::crypto::Digest;
use crate::definition::Definition;
use crate::encrypted::audited;
use crate::encrypted::ballot::BallotShape;
use crate::encrypted::ballot::EncryptedBallot;
use crate::encrypted::batch::{Bases, Batch};
use crate::encrypted::cast::CastContext;
use crate::encrypted::elgamal::EncryptionKey;
use crate::encrypted::fingerprint::FingerprintInput;
use crate::encrypted::group::{Element, OsRandom};
use crate::encrypted::published::PublishedEncryptedBallot;
use crate::log::{Event, OpenedEncryption, ENCRYPTION_MODE};
use crate::record::{EncryptionRecord, ENCRYPTION_FORMAT};
use crate::trustees::board::{Board, Exclusion, Outcome, Rule};
use crate::trustees::decrypt::{
    check_partial, lagrange_at_zero, quorum, total_holds, Aggregate, Aggregator, PartialDecryption, RefusalReason,
    Totals,
};
use crate::trustees::envelope::Round;
use crate::trustees::{Parameters, TrusteeIndex, MAX_TRUSTEES};

use super::report::{Failures, Report};

/// The checks of §16.11 in report order (steps 1–8 after `definition`,
/// 9–13 in place of `ballot-validity`, 14–15 before `tally`).
pub const ENCRYPTED_CHECKS: &[&str] = &[
    "encryption-parameters",
    "ceremony-roster",
    "ceremony-messages",
    "ceremony-deals",
    "ceremony-exclusions",
    "joint-key",
    "verification-keys",
    "election-fingerprint",
    "ballot-elements",
    "ballot-proofs",
    "ballot-duplicates",
    "audited-ballots",
    "aggregate",
    "decryption-shares",
    "decryption-combined",
];

/// One ceremony entry of the log, in log order.
#[derive(Debug, Clone)]
enum CeremonyEntry {
    Registered {
        seq: u64,
        trustee: u32,
        signing_key: crate::crypto::PublicKey,
        encryption_key: Element,
        message: Digest,
    },
    Message {
        seq: u64,
        attempt: u32,
        trustee: u32,
        round: String,
        message: Digest,
    },
    Excluded {
        seq: u64,
        attempt: u32,
        trustee: u32,
        rule: String,
        actor: Option<String>,
    },
}

/// `ceremony_completed`.
#[derive(Debug, Clone)]
pub(crate) struct Completed {
    pub seq: u64,
    pub attempt: u32,
    pub threshold: u32,
    pub joint_key: Element,
    pub keys: Vec<(u32, Element)>,
}

/// `aggregated`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Aggregated {
    pub seq: u64,
    pub digest: Digest,
    pub ballots: u64,
    pub weight_decimals: u32,
}

/// A `decryption_refused` entry.
#[derive(Debug, Clone)]
struct Refused {
    seq: u64,
    trustee: u32,
    reason: String,
    target: Option<u32>,
}

/// What the log says about encryption.
#[derive(Debug, Default)]
pub(crate) struct EncLog {
    /// `polls_opened.encryption` and the entry's seq, when present.
    pub opened: Option<(u64, Option<OpenedEncryption>)>,
    /// `trustee_named`: (seq, trustee, name).
    named: Vec<(u64, u32, String)>,
    ceremony: Vec<CeremonyEntry>,
    pub completed: Option<Completed>,
    /// `audited` entries: (seq, tracker), in log order.
    pub audited: Vec<(u64, Digest)>,
    pub aggregated: Option<Aggregated>,
    /// `decryption_share`: (seq, trustee, message digest).
    shares: Vec<(u64, u32, Digest)>,
    /// `decryption_refused` entries, in log order.
    refused: Vec<Refused>,
}

impl EncLog {
    /// Note an entry of the log (not called for `ballot` and `seal`).
    #[cold]
    #[inline(never)]
    pub fn entry(&mut self, seq: u64, event: &Event) {
        match event {
            Event::PollsOpened {
                encryption: Some(e), ..
            } if self.opened.is_none() => self.opened = Some((seq, e.clone())),
            Event::TrusteeNamed { trustee, name, .. } => self.named.push((seq, *trustee, name.clone())),
            Event::TrusteeRegistered {
                trustee,
                signing_key,
                encryption_key,
                message,
            } => self.ceremony.push(CeremonyEntry::Registered {
                seq,
                trustee: *trustee,
                signing_key: *signing_key,
                encryption_key: *encryption_key,
                message: *message,
            }),
            Event::CeremonyMessage {
                attempt,
                trustee,
                round,
                message,
            } => self.ceremony.push(CeremonyEntry::Message {
                seq,
                attempt: *attempt,
                trustee: *trustee,
                round: round.clone(),
                message: *message,
            }),
            Event::TrusteeExcluded {
                attempt,
                trustee,
                rule,
                actor,
            } => self.ceremony.push(CeremonyEntry::Excluded {
                seq,
                attempt: *attempt,
                trustee: *trustee,
                rule: rule.clone(),
                actor: actor.clone(),
            }),
            Event::CeremonyCompleted {
                attempt,
                threshold,
                joint_key,
                verification_keys,
            } if self.completed.is_none() => {
                self.completed = Some(Completed {
                    seq,
                    attempt: *attempt,
                    threshold: *threshold,
                    joint_key: *joint_key,
                    keys: verification_keys.iter().map(|k| (k.trustee, k.key)).collect(),
                })
            }
            Event::Audited { tracker } => self.audited.push((seq, *tracker)),
            Event::Aggregated {
                aggregate_digest,
                ballots,
                weight_decimals,
            } if self.aggregated.is_none() => {
                self.aggregated = Some(Aggregated {
                    seq,
                    digest: *aggregate_digest,
                    ballots: *ballots,
                    weight_decimals: *weight_decimals,
                })
            }
            Event::DecryptionShare { trustee, message } => self.shares.push((seq, *trustee, *message)),
            Event::DecryptionRefused {
                trustee,
                reason,
                target,
            } => self.refused.push(Refused {
                seq,
                trustee: *trustee,
                reason: reason.clone(),
                target: *target,
            }),
            _ => {}
        }
    }

    /// The encryption the polls opened with, in an encrypted election.
    pub fn encryption(&self) -> Option<&OpenedEncryption> {
        self.opened.as_ref().and_then(|(_, e)| e.as_ref())
    }

    /// Whether the log shows an encrypted election (or its ceremony).
    pub fn is_encrypted(&self) -> bool {
        self.encryption().is_some() || !self.named.is_empty()
    }
}

// ---------------------------------------------------------------- ballots

/// What every ballot is checked against; shared by the worker threads.
pub(crate) struct Context {
    pub election: String,
    pub fingerprint: Digest,
    pub shape: BallotShape,
    pub bases: Bases,
    pub key: EncryptionKey,
    /// Trackers whose published ballot a receipt needs (kept whole).
    pub watch: HashSet<Digest>,
}

impl Context {
    /// The context of an election opened with `e`, or why there is none.
    pub fn new(
        election: &str,
        definition: &Definition,
        e: &OpenedEncryption,
        watch: HashSet<Digest>,
    ) -> Option<Context> {
        let shape = BallotShape::of(definition).ok()?;
        let key = EncryptionKey::new(e.joint_key).ok()?;
        Some(Context {
            election: election.to_string(),
            fingerprint: e.fingerprint,
            shape,
            bases: Bases::new(&e.joint_key),
            key,
            watch,
        })
    }

    pub fn cast(&self) -> CastContext<'_> {
        CastContext {
            election: &self.election,
            fingerprint: self.fingerprint,
            shape: &self.shape,
            bases: &self.bases,
        }
    }
}

/// What the sequential checks keep of one ballot.
pub(crate) struct Checked {
    pub tracker: Digest,
    pub weight: Weight,
    pub alphas: Vec<[u8; 32]>,
    /// `ballot-elements` failure.
    pub elements: Option<String>,
    /// `ballot-proofs` failure.
    pub proofs: Option<String>,
    /// The whole ballot, when a receipt watches its tracker.
    pub kept: Option<PublishedEncryptedBallot>,
}

/// Check one published ballot (everything that needs no other ballot),
/// adding it to `aggregator` if its shape is right.
pub(crate) fn check_ballot(ctx: &Context, b: PublishedEncryptedBallot, aggregator: &mut Aggregator) -> Checked {
    let (mut checked, ballot) = precheck(ctx, b, aggregator);
    if let Some(ballot) = ballot {
        if let Err(e) = ctx.cast().check_proofs(&ballot, &mut OsRandom) {
            checked.proofs = Some(proof_failure(&checked.tracker, &e));
        }
    }
    checked
}

fn proof_failure(tracker: &Digest, e: &crate::encrypted::cast::CastRefusal) -> String {
    match e.path() {
        Some(path) => format!("§15: ballot {tracker}: {path}: {e}"),
        None => format!("§15: ballot {tracker}: {e}"),
    }
}

/// Everything but the proofs; the ballot, whole again, when its proofs are
/// to be checked (its shape is right).
fn precheck(
    ctx: &Context,
    b: PublishedEncryptedBallot,
    aggregator: &mut Aggregator,
) -> (Checked, Option<EncryptedBallot>) {
    let weight = b.weight;
    let kept = ctx
        .watch
        .is_empty()
        .then_some(())
        .map_or_else(|| Some(b.clone()), |()| None);
    let ballot = b.into_ballot(&ctx.election);
    let tracker = ballot.tracker();
    let at = |e: &crate::encrypted::cast::CastRefusal| match e.path() {
        Some(path) => format!("ballot {tracker}: {path}: {e}"),
        None => format!("ballot {tracker}: {e}"),
    };
    let cast = ctx.cast();
    let mut elements = None;
    if let Err(e) = cast.check_shape(&ballot) {
        elements = Some(format!("§14.11: {}", at(&e)));
    } else if let Err(e) = cast.check_ballot(&ballot, weight) {
        elements = Some(format!("§14.11: {}", at(&e)));
    }
    let shape_ok = elements.is_none();
    if shape_ok && aggregator.add_ballot(&ballot).is_err() {
        elements.get_or_insert_with(|| format!("§14.11: ballot {tracker}: not the definition's shape"));
    }
    if weight.is_zero() {
        elements.get_or_insert_with(|| format!("§4: ballot {tracker}: expected a positive weight, found 0"));
    }
    let alphas = ballot.alphas().into_iter().map(|(_, a)| *a.as_bytes()).collect();
    let checked = Checked {
        tracker,
        weight,
        alphas,
        elements,
        proofs: None,
        kept: kept.filter(|_| ctx.watch.contains(&tracker)),
    };
    (checked, shape_ok.then_some(ballot))
}

/// Read and check a job of ballots (their JSON texts). The proofs of all
/// the job's ballots are checked in one random-weighted batch (§15.6): one
/// Pippenger multiscalar multiplication over every ballot's points, several
/// times cheaper per ballot than a batch per ballot; when it fails, each
/// ballot is checked on its own, and each failing one is read again to name
/// its proof at fault. `Err` names the path of a reading failure.
pub(crate) fn check_texts<'t>(
    ctx: &Context,
    texts: impl Iterator<Item = &'t str>,
    aggregator: &mut Aggregator,
) -> Vec<Result<Checked, String>> {
    let cast = ctx.cast();
    let mut batch = Batch::new(&ctx.bases);
    let mut read: Vec<&'t str> = Vec::new();
    let mut out: Vec<Result<Checked, String>> = Vec::new();
    for text in texts {
        read.push(text);
        let b = match serde_json::from_str::<PublishedEncryptedBallot>(text) {
            Ok(b) => b,
            Err(_) => {
                out.push(Err(reading_failure(text)));
                continue;
            }
        };
        let (mut checked, ballot) = precheck(ctx, b, aggregator);
        if let Some(ballot) = ballot {
            match cast.ballot_equations(&ballot) {
                Ok(equations) => batch.push(out.len(), equations),
                Err(e) => checked.proofs = Some(proof_failure(&checked.tracker, &e)),
            }
        }
        out.push(Ok(checked));
    }
    if let Err(failing) = batch.verify(&mut OsRandom) {
        for k in failing {
            if let Ok(checked) = &mut out[k] {
                checked.proofs = Some(named_proof_failure(ctx, read[k], &checked.tracker));
            }
        }
    }
    out
}

/// The path and reason of a ballot text that does not read.
#[cold]
fn reading_failure(text: &str) -> String {
    let mut de = serde_json::Deserializer::from_str(text);
    match serde_path_to_error::deserialize::<_, PublishedEncryptedBallot>(&mut de) {
        Err(e) => format!("{}: {}", e.path(), e.inner()),
        Ok(_) => "not one JSON value".into(),
    }
}

/// The failure of a ballot whose proofs' equations failed in a batch of
/// its own: read again, its proofs are checked as the cast check does, to
/// name the proof and branch at fault.
#[cold]
fn named_proof_failure(ctx: &Context, text: &str, tracker: &Digest) -> String {
    let refusal = serde_json::from_str::<PublishedEncryptedBallot>(text)
        .ok()
        .and_then(|b| {
            ctx.cast()
                .check_proofs(&b.into_ballot(&ctx.election), &mut OsRandom)
                .err()
        });
    match refusal {
        Some(e) => proof_failure(tracker, &e),
        None => format!("§15: ballot {tracker}: its proofs' equations do not hold"),
    }
}

/// The sequential side: order, the log's trackers, repeated `alpha`s, and
/// the running aggregate.
pub(crate) struct EncryptedBallots {
    pub count: u64,
    last: Option<Digest>,
    pub order: Failures,
    pub matching: Failures,
    pub elements: Failures,
    pub proofs: Failures,
    pub duplicates: Failures,
    /// Every `alpha` seen, with the tracker of its ballot.
    alphas: HashMap<[u8; 32], Digest>,
    pub trackers: Vec<Digest>,
    pub aggregator: Aggregator,
    pub total_weight: u64,
    pub watched: HashMap<Digest, PublishedEncryptedBallot>,
    pub unreadable: Option<String>,
}

impl EncryptedBallots {
    pub fn new(shape: &BallotShape) -> EncryptedBallots {
        EncryptedBallots {
            count: 0,
            last: None,
            order: Failures::default(),
            matching: Failures::default(),
            elements: Failures::default(),
            proofs: Failures::default(),
            duplicates: Failures::default(),
            alphas: HashMap::new(),
            trackers: Vec::new(),
            aggregator: Aggregator::new(shape),
            total_weight: 0,
            watched: HashMap::new(),
            unreadable: None,
        }
    }

    /// The next ballot, checked already.
    pub fn add(&mut self, c: Checked) {
        self.count += 1;
        if let Some(last) = self.last {
            if c.tracker <= last {
                self.order.push(format!(
                    "§16.9: ballot {} (number {}): expected ballots in increasing tracker order, found it after {last}",
                    c.tracker, self.count
                ));
            }
        }
        self.last = Some(c.tracker);
        if let Some(e) = c.elements {
            self.elements.push(e);
        }
        if let Some(e) = c.proofs {
            self.proofs.push(e);
        }
        for a in c.alphas {
            if let Some(other) = self.alphas.insert(a, c.tracker) {
                self.duplicates.push(format!(
                    "§16.11 step 11: ballot {}: an alpha ({}) already in ballot {other}: a replayed ciphertext or reused randomness",
                    c.tracker,
                    hex::encode(a)
                ));
            }
        }
        self.total_weight = self.total_weight.saturating_add(c.weight.micros());
        self.trackers.push(c.tracker);
        if let Some(b) = c.kept {
            self.watched.insert(c.tracker, b);
        }
    }

    /// Note an `alpha` of ballot `tracker`: the ballot that had it already, if any.
    pub fn note_alpha(&mut self, alpha: &[u8; 32], tracker: Digest) -> Option<Digest> {
        self.alphas.insert(*alpha, tracker)
    }

    /// All ballots are in: compare their trackers with the log's.
    pub fn finish(&mut self, log_trackers: &[(Digest, u64)]) {
        let mut mine = self.trackers.clone();
        mine.sort_unstable();
        let (mut i, mut j) = (0, 0);
        while i < mine.len() || j < log_trackers.len() {
            match (mine.get(i), log_trackers.get(j)) {
                (Some(a), Some((b, _))) if a == b => {
                    i += 1;
                    j += 1;
                }
                (Some(a), Some((b, _))) if a < b => {
                    self.matching.push(format!(
                        "§8: ballot {a}: expected its tracker in a ballot entry of the log, found none (a ballot added or changed)"
                    ));
                    i += 1;
                }
                (Some(a), None) => {
                    self.matching.push(format!(
                        "§8: ballot {a}: expected its tracker in a ballot entry of the log, found none (a ballot added or changed)"
                    ));
                    i += 1;
                }
                (_, Some((b, seq))) => {
                    self.matching.push(format!(
                        "§8: entry {seq} (ballot): expected a published ballot with tracker {b}, found none"
                    ));
                    j += 1;
                }
                (None, None) => break,
            }
        }
    }
}

// ---------------------------------------------------------------- the record's encryption member

/// Steps 1–8. Returns the ceremony's outcome when it completed.
pub(crate) fn ceremony_checks(
    election: &str,
    definition: &Definition,
    log: &EncLog,
    enc: Option<&EncryptionRecord>,
    report: &mut Report,
) -> Option<Outcome> {
    // Step 1.
    let mut params = Failures::default();
    let opened = log.encryption();
    let n = log.named.len();
    match (&log.opened, opened) {
        (None, _) => {}
        (Some(_), None) => params.push(
            "§16.9: polls_opened.encryption: expected the encryption of this encrypted election, found null".into(),
        ),
        (Some((seq, _)), Some(e)) => {
            if e.mode != ENCRYPTION_MODE {
                params.push(format!(
                    "§16.9: entry {seq} (polls_opened): encryption.mode: expected {ENCRYPTION_MODE:?}, found {:?}",
                    e.mode
                ));
            }
            if e.threshold < 2 || n < e.threshold as usize || n > MAX_TRUSTEES as usize {
                params.push(format!(
                    "§16.1: entry {seq} (polls_opened): expected 2 <= K <= N <= 32, found K = {} and N = {n}",
                    e.threshold
                ));
            }
            if e.joint_key.is_identity() {
                params.push(format!(
                    "§16.5: entry {seq} (polls_opened): encryption.joint_key is the identity"
                ));
            }
            if let Err(u) = BallotShape::of(definition) {
                params.push(format!(
                    "§14.8: definition: contest {:?} cannot be encrypted: {}",
                    u.contest, u.message
                ));
            }
        }
    }
    match enc {
        Some(enc) if enc.format != ENCRYPTION_FORMAT => params.push(format!(
            "§16.9: encryption.format: expected {ENCRYPTION_FORMAT:?}, found {:?}",
            enc.format
        )),
        Some(_) => {}
        None => params.push("§16.9: expected the record's encryption member, found none".into()),
    }
    let summary = match opened {
        Some(e) => format!("trustees mode, K = {} of N = {n}, joint key decodes", e.threshold),
        None => "the polls have not opened: the ceremony's checks only".into(),
    };
    report.push("encryption-parameters", summary, params);
    let Some(enc) = enc else {
        for name in &ENCRYPTED_CHECKS[1..8] {
            report.skip(name, "the record has no encryption member");
        }
        return None;
    };

    // Step 2: the roster.
    let mut roster = Failures::default();
    for (i, (seq, j, _)) in log.named.iter().enumerate() {
        if *j as usize != i + 1 {
            roster.push(format!(
                "§16.9: entry {seq} (trustee_named): expected trustee {}, found {j}",
                i + 1
            ));
        }
    }
    let named: Vec<(u32, &str)> = log.named.iter().map(|(_, j, name)| (*j, name.as_str())).collect();
    let published: Vec<(u32, &str)> = enc.trustees.iter().map(|t| (t.trustee, t.name.as_str())).collect();
    if named != published {
        roster.push(format!(
            "§16.9: encryption.trustees: expected the {} trustees the log names, in order, found {} that differ",
            named.len(),
            published.len()
        ));
    }
    let threshold = opened
        .map(|e| e.threshold)
        .or(log.completed.as_ref().map(|c| c.threshold))
        .or_else(|| {
            enc.ceremony
                .iter()
                .find(|e| e.round == Round::Commit)
                .and_then(|e| e.body.get("threshold").and_then(|t| t.as_u64()))
                .map(|t| t as u32)
        })
        .unwrap_or(2);
    let names: Vec<String> = log.named.iter().map(|(_, _, name)| name.clone()).collect();
    let mut board = match Parameters::new(election, threshold, names) {
        Ok(p) => Board::new(p),
        Err(e) => {
            roster.push(format!("§16.1: the ceremony's parameters: {e}"));
            report.push("ceremony-roster", "the trustees named and registered", roster);
            for name in &ENCRYPTED_CHECKS[2..8] {
                report.skip(name, "not run: the ceremony's parameters are not valid");
            }
            return None;
        }
    };

    // Steps 3–5: replay the ceremony on a board, in log order.
    let mut messages = Failures::default();
    let mut deals = Failures::default();
    let mut exclusions = Failures::default();
    let mut envelopes = enc.ceremony.iter().enumerate();
    let mut pending: VecDeque<Exclusion> = VecDeque::new();
    let mut registered: HashSet<u32> = HashSet::new();
    let mut deal_count = 0u64;
    let unlogged = |pending: &mut VecDeque<Exclusion>, deals: &mut Failures, exclusions: &mut Failures| {
        for x in pending.drain(..) {
            let text = format!(
                "§16.4 rule {}: trustee {} in attempt {}: the rules exclude it ({}), the log does not",
                rule_number(x.rule),
                x.trustee,
                x.attempt,
                x.detail
            );
            if x.rule == Rule::InvalidDeal {
                deals.push(text.clone());
            }
            exclusions.push(text);
        }
    };
    let entries = &log.ceremony;
    let mut k = 0;
    while k < entries.len() {
        let entry = &entries[k];
        k += 1;
        let (seq, what, digest) = match entry {
            CeremonyEntry::Registered { seq, message, .. } => (*seq, "trustee_registered", *message),
            CeremonyEntry::Message { seq, message, .. } => (*seq, "ceremony_message", *message),
            CeremonyEntry::Excluded {
                seq,
                attempt,
                trustee,
                rule,
                actor,
            } => {
                if let Some(x) = pending.pop_front() {
                    if x.attempt != *attempt || x.trustee != *trustee || x.rule.name() != rule {
                        exclusions.push(format!(
                            "§16.4: entry {seq} (trustee_excluded): expected trustee {} excluded in attempt {} by rule {}, found trustee {trustee}, attempt {attempt}, rule {rule}",
                            x.trustee, x.attempt, x.rule
                        ));
                    }
                    continue;
                }
                if rule != Rule::Absent.name() {
                    exclusions.push(format!(
                        "§16.4: entry {seq} (trustee_excluded): trustee {trustee} excluded by rule {rule}, which no message of the record requires"
                    ));
                    continue;
                }
                let Some(actor) = actor else {
                    exclusions.push(format!(
                        "§16.4 rule 5: entry {seq} (trustee_excluded): an absent exclusion names the staff member, found null"
                    ));
                    continue;
                };
                // Staff's absent exclusions made at once are consecutive entries.
                let mut group = vec![*trustee];
                while let Some(CeremonyEntry::Excluded {
                    attempt: a,
                    trustee: t,
                    rule: r,
                    actor: Some(who),
                    ..
                }) = entries.get(k)
                {
                    if a != attempt || r != rule || who != actor {
                        break;
                    }
                    group.push(*t);
                    k += 1;
                }
                match board.exclude_absent(&group, actor) {
                    Ok(done) => {
                        if done.iter().any(|x| x.attempt != *attempt) {
                            exclusions.push(format!(
                                "§16.4: entry {seq} (trustee_excluded): expected attempt {}, found {attempt}",
                                board.attempt()
                            ));
                        }
                    }
                    Err(e) => exclusions.push(format!(
                        "§16.4 rule 5: entry {seq} (trustee_excluded): trustee {trustee} absent: {e}"
                    )),
                }
                continue;
            }
        };
        unlogged(&mut pending, &mut deals, &mut exclusions);
        let Some((i, e)) = envelopes.next() else {
            messages.push(format!(
                "§16.11 step 3: entry {seq} ({what}): expected its message in the record's encryption.ceremony, found the list ended"
            ));
            continue;
        };
        let at = format!(
            "encryption.ceremony[{i}] (trustee {}, {} of attempt {})",
            e.trustee, e.round, e.attempt
        );
        if e.digest() != digest {
            messages.push(format!(
                "§16.11 step 3: {at}: expected the message whose digest entry {seq} ({what}) logs, {digest}, found one hashing to {}",
                e.digest()
            ));
        }
        match entry {
            CeremonyEntry::Registered { trustee, .. } if e.round != Round::Register || e.trustee != *trustee => {
                messages.push(format!(
                    "§16.11 step 3: {at}: expected trustee {trustee}'s register message (entry {seq}), found another"
                ))
            }
            CeremonyEntry::Message {
                attempt,
                trustee,
                round,
                ..
            } if e.round.name() != round || e.trustee != *trustee || e.attempt != *attempt => messages.push(format!(
                "§16.11 step 3: {at}: expected trustee {trustee}'s {round} of attempt {attempt} (entry {seq}), found another"
            )),
            _ => {}
        }
        if e.round == Round::Deal {
            deal_count += 1;
        }
        match board.post(e) {
            Ok(accepted) => {
                pending.extend(accepted.exclusions);
                if let Some(why) = accepted.failed {
                    exclusions.push(format!("§16.4: {at}: the ceremony failed: {why}"));
                }
            }
            Err(refusal) => {
                let text = format!("§16.2: {at}: the board refuses it: {refusal}");
                if e.round == Round::Register {
                    roster.push(text);
                } else {
                    messages.push(text);
                }
            }
        }
        if let CeremonyEntry::Registered {
            trustee,
            signing_key,
            encryption_key,
            ..
        } = entry
        {
            if !registered.insert(*trustee) {
                roster.push(format!(
                    "§16.11 step 2: entry {seq} (trustee_registered): trustee {trustee} registered twice"
                ));
            }
            if let Some(r) = board.registration(*trustee) {
                if r.signing_key != *signing_key || r.encryption_key != *encryption_key {
                    roster.push(format!(
                        "§16.11 step 2: entry {seq} (trustee_registered): expected trustee {trustee}'s keys as its register message gives them, found others"
                    ));
                }
            }
        }
    }
    unlogged(&mut pending, &mut deals, &mut exclusions);
    for (i, e) in envelopes {
        messages.push(format!(
            "§16.11 step 3: encryption.ceremony[{i}] (trustee {}, {} of attempt {}): expected a log entry with its digest, found none",
            e.trustee, e.round, e.attempt
        ));
    }
    let outcome = board.outcome().cloned();
    if outcome.is_none() && log.opened.is_some() {
        exclusions.push(format!(
            "§16.4: the polls opened, but the ceremony replayed from the record is {}",
            board
                .failure()
                .map_or("not complete".to_string(), |f| format!("failed: {f}"))
        ));
    }
    report.push(
        "ceremony-roster",
        format!("{} trustees named, {} registered", log.named.len(), registered.len()),
        roster,
    );
    report.push(
        "ceremony-messages",
        format!(
            "{} ceremony messages, each logged, signed and in turn",
            enc.ceremony.len()
        ),
        messages,
    );
    report.push("ceremony-deals", format!("{deal_count} deals checked"), deals);
    report.push(
        "ceremony-exclusions",
        format!(
            "{} exclusions, each required by the rules or by staff",
            board.exclusions().len()
        ),
        exclusions,
    );

    // Steps 6–7.
    let Some(outcome) = outcome else {
        for name in &ENCRYPTED_CHECKS[5..8] {
            report.skip(name, "the ceremony has not completed");
        }
        return None;
    };
    let mut joint = Failures::default();
    let mut keys = Failures::default();
    match &log.completed {
        Some(c) => {
            if c.joint_key != outcome.joint_key {
                joint.push(format!(
                    "§16.5: entry {} (ceremony_completed): expected the joint key computed from the deals, {}, found {}",
                    c.seq,
                    hex::encode(outcome.joint_key.as_bytes()),
                    hex::encode(c.joint_key.as_bytes())
                ));
            }
            if c.attempt != outcome.attempt || c.threshold != outcome.threshold {
                joint.push(format!(
                    "§16.5: entry {} (ceremony_completed): expected attempt {} and threshold {}, found {} and {}",
                    c.seq, outcome.attempt, outcome.threshold, c.attempt, c.threshold
                ));
            }
            let computed = outcome.verification_keys();
            if c.keys != computed {
                keys.push(format!(
                    "§16.5: entry {} (ceremony_completed): expected the verification keys of trustees {} computed from the deals, found others",
                    c.seq,
                    computed.iter().map(|(j, _)| j.to_string()).collect::<Vec<_>>().join(", ")
                ));
            }
        }
        None => joint.push("§16.9: expected a ceremony_completed entry, found none".into()),
    }
    if let Some(e) = opened {
        if e.joint_key != outcome.joint_key {
            joint.push(format!(
                "§16.5: polls_opened.encryption.joint_key: expected {}, found {}",
                hex::encode(outcome.joint_key.as_bytes()),
                hex::encode(e.joint_key.as_bytes())
            ));
        }
    }
    for (j, key) in outcome.verification_keys() {
        if key.is_identity() {
            keys.push(format!("§16.5: trustee {j}'s verification key is the identity"));
        }
    }
    report.push(
        "joint-key",
        "the joint key is the product of the participants' first coefficients",
        joint,
    );
    report.push(
        "verification-keys",
        format!("{} verification keys recomputed", outcome.members.len()),
        keys,
    );

    // Step 8.
    match (opened, &log.completed) {
        (Some(e), Some(c)) => {
            let fp = FingerprintInput {
                election,
                definition_hash: definition.hash(),
                threshold: e.threshold,
                joint_key: outcome.joint_key,
                verification_keys: &c.keys,
            }
            .fingerprint();
            let failures = if fp == e.fingerprint {
                vec![]
            } else {
                vec![format!(
                    "§14.7: polls_opened.encryption.fingerprint: expected {fp} (recomputed from the election, definition and ceremony), found {}",
                    e.fingerprint
                )]
            };
            report.push_list(
                "election-fingerprint",
                format!("fingerprint {}", crate::encrypted::fingerprint::short(&fp)),
                failures,
            );
        }
        _ => report.skip("election-fingerprint", "the polls have not opened"),
    }
    Some(outcome)
}

fn rule_number(rule: Rule) -> u32 {
    match rule {
        Rule::InvalidDeal => 1,
        Rule::FalseComplaint => 2,
        Rule::BadShare => 3,
        Rule::InvalidFinish => 4,
        Rule::Absent => 5,
    }
}

/// Step 12: the audited ballots against the log and the record.
pub(crate) fn audited_checks(
    ctx: Option<&Context>,
    log: &EncLog,
    enc: Option<&EncryptionRecord>,
    cast: &HashSet<Digest>,
    alphas_seen: &mut dyn FnMut(&[u8; 32], Digest) -> Option<Digest>,
    duplicates: &mut Failures,
    report: &mut Report,
) {
    let (Some(ctx), Some(enc)) = (ctx, enc) else {
        report.skip("audited-ballots", "the polls have not opened");
        return;
    };
    let Some(list) = &enc.audited else {
        if log.audited.is_empty() {
            report.skip("audited-ballots", "no audited ballot is published before the close");
        } else {
            report.skip(
                "audited-ballots",
                format!(
                    "{} audited ballots are logged; their content is published from the close",
                    log.audited.len()
                ),
            );
        }
        return;
    };
    let mut failures = Failures::default();
    let mut logged: Vec<(Digest, u64)> = log.audited.iter().map(|(seq, t)| (*t, *seq)).collect();
    logged.sort();
    let mut last: Option<Digest> = None;
    let mut published: Vec<Digest> = Vec::new();
    for (i, a) in list.iter().enumerate() {
        let at = format!("encryption.audited[{i}] ({})", a.tracker);
        if last.is_some_and(|l| a.tracker <= l) {
            failures.push(format!(
                "§16.9: {at}: expected audited ballots in increasing tracker order"
            ));
        }
        last = Some(a.tracker);
        published.push(a.tracker);
        let ballot = a.ballot.with_election(&ctx.election);
        if let Some(p) = audited::tracker_problem(&ballot, &a.tracker) {
            failures.push(format!("§16.10 audit-tracker: {at}: {p}"));
        }
        if let Some(p) = audited::proofs_problem(&ctx.cast(), &ballot, &mut OsRandom) {
            failures.push(format!("§16.10 audit-proofs: {at}: {p}"));
            continue;
        }
        if let Some(p) = audited::opening_problem(&ctx.shape, &ctx.key, &ballot, &a.seed, &a.choices) {
            failures.push(format!("§16.10 audit-opening: {at}: {p}"));
        }
        if cast.contains(&a.tracker) {
            failures.push(format!("§16.10: {at}: the tracker of a cast ballot"));
        }
        for (path, alpha) in ballot.alphas() {
            if let Some(other) = alphas_seen(alpha.as_bytes(), a.tracker) {
                duplicates.push(format!(
                    "§16.11 step 11: audited ballot {}: {path} is an alpha already in ballot {other}: a replayed ciphertext or reused randomness",
                    a.tracker
                ));
            }
        }
    }
    let mut sorted = published.clone();
    sorted.sort();
    for (t, seq) in &logged {
        if sorted.binary_search(t).is_err() {
            failures.push(format!(
                "§16.9: entry {seq} (audited): expected the audited ballot with tracker {t} in encryption.audited, found none"
            ));
        }
    }
    for t in &sorted {
        if logged.binary_search_by(|(l, _)| l.cmp(t)).is_err() {
            failures.push(format!(
                "§16.9: encryption.audited: ballot {t} has no audited entry in the log"
            ));
        }
    }
    report.push(
        "audited-ballots",
        format!("{} audited ballots open to their choices", list.len()),
        failures,
    );
}

/// Step 13: the aggregate recomputed from the cast ballots.
pub(crate) fn aggregate_check(
    fp: Option<&Digest>,
    log: &EncLog,
    enc: Option<&EncryptionRecord>,
    ballots: Option<&EncryptedBallots>,
    report: &mut Report,
) -> Option<Aggregate> {
    let (Some(fp), Some(enc)) = (fp, enc) else {
        report.skip("aggregate", "the polls have not opened");
        return None;
    };
    let Some(published) = &enc.aggregate else {
        if let Some(a) = &log.aggregated {
            report.push_list(
                "aggregate",
                "the aggregate is published",
                vec![format!(
                    "§16.9: entry {} (aggregated): expected the record's encryption.aggregate, found null",
                    a.seq
                )],
            );
        } else {
            report.skip("aggregate", "the ballots are not aggregated yet (before the close)");
        }
        return None;
    };
    let mut failures = Vec::new();
    match ballots {
        Some(b) => match b.aggregator.finish() {
            Ok(mine) => {
                if mine.weight_decimals != published.weight_decimals {
                    failures.push(format!(
                        "§16.6: encryption.aggregate.weight_decimals: expected {} (from the ballots' weights), found {}",
                        mine.weight_decimals, published.weight_decimals
                    ));
                }
                if mine.targets.len() != published.targets.len() {
                    failures.push(format!(
                        "§16.6: encryption.aggregate.targets: expected {} targets, found {}",
                        mine.targets.len(),
                        published.targets.len()
                    ));
                }
                for (n, (m, p)) in mine.targets.iter().zip(&published.targets).enumerate() {
                    if m != p {
                        failures.push(format!(
                            "§16.6: target {n} ({} {} {}): expected the product of the cast ballots' ciphertexts (bound {}), found another",
                            m.contest,
                            m.kind.name(),
                            m.option.as_deref().unwrap_or(""),
                            m.bound
                        ));
                    }
                }
            }
            Err(e) => failures.push(format!("§16.6: the aggregate cannot be formed: {e}")),
        },
        None => failures.push("§16.9: expected the published ballots the aggregate sums, found null".into()),
    }
    let digest = published.digest(fp);
    match &log.aggregated {
        Some(a) => {
            if a.digest != digest {
                failures.push(format!(
                    "§16.6: entry {} (aggregated): expected the digest of encryption.aggregate, {digest}, found {}",
                    a.seq, a.digest
                ));
            }
            if let Some(b) = ballots {
                if a.ballots != b.count {
                    failures.push(format!(
                        "§16.9: entry {} (aggregated): expected ballots = {} (the published ballots), found {}",
                        a.seq, b.count, a.ballots
                    ));
                }
            }
            if a.weight_decimals != published.weight_decimals {
                failures.push(format!(
                    "§16.9: entry {} (aggregated): expected weight_decimals = {}, found {}",
                    a.seq, published.weight_decimals, a.weight_decimals
                ));
            }
        }
        None => failures.push("§16.9: expected an aggregated entry in the log, found none".into()),
    }
    report.push_list(
        "aggregate",
        format!(
            "{} encrypted totals recomputed from the ballots",
            published.targets.len()
        ),
        failures,
    );
    Some(published.clone())
}

/// Steps 14–15: the partial decryptions and their combination. Returns
/// the totals when they hold.
pub(crate) fn decryption_checks(
    fp: Option<&Digest>,
    outcome: Option<&Outcome>,
    log: &EncLog,
    enc: Option<&EncryptionRecord>,
    aggregate: Option<&Aggregate>,
    report: &mut Report,
) -> Option<Totals> {
    let (Some(fp), Some(outcome), Some(enc), Some(aggregate)) = (fp, outcome, enc, aggregate) else {
        let why = if fp.is_none() || enc.is_none() {
            "the polls have not opened"
        } else if outcome.is_none() {
            "not run: the ceremony replayed from the record did not complete"
        } else {
            "nothing is aggregated yet"
        };
        report.skip("decryption-shares", why);
        report.skip("decryption-combined", why);
        return None;
    };
    let mut shares = Failures::default();
    let mut partials: Vec<PartialDecryption> = Vec::new();
    let mut seen: HashSet<TrusteeIndex> = HashSet::new();
    for (i, e) in enc.decryptions.iter().enumerate() {
        let at = format!("encryption.decryptions[{i}] (trustee {})", e.trustee);
        match log.shares.get(i) {
            Some((seq, trustee, digest)) => {
                if *digest != e.digest() || *trustee != e.trustee {
                    shares.push(format!(
                        "§16.9: {at}: expected the message entry {seq} (decryption_share) logs for trustee {trustee}, {digest}, found trustee {}'s hashing to {}",
                        e.trustee,
                        e.digest()
                    ));
                }
            }
            None => shares.push(format!(
                "§16.9: {at}: expected a decryption_share entry with its digest, found none"
            )),
        }
        if !seen.insert(e.trustee) {
            shares.push(format!(
                "§16.7: {at}: a second partial decryption by trustee {}",
                e.trustee
            ));
            continue;
        }
        match check_partial(outcome, fp, aggregate, e) {
            Ok(p) => partials.push(p),
            Err(r) => shares.push(format!(
                "§16.7: {at}: {} ({}{})",
                r.detail,
                r.reason.name(),
                r.target.map(|t| format!(", target {t}")).unwrap_or_default()
            )),
        }
    }
    for (seq, trustee, _) in log.shares.iter().skip(enc.decryptions.len()) {
        shares.push(format!(
            "§16.9: entry {seq} (decryption_share): expected trustee {trustee}'s message in encryption.decryptions, found none"
        ));
    }
    refusal_checks(outcome, log, aggregate, &mut shares);
    report.push(
        "decryption-shares",
        format!(
            "{} partial decryptions with valid proofs ({} refused and logged)",
            partials.len(),
            log.refused.len()
        ),
        shares,
    );
    let Some(totals) = &enc.totals else {
        report.skip("decryption-combined", "the totals are not published yet");
        return None;
    };
    let mut combined = Vec::new();
    let q = match quorum(&partials, outcome.threshold) {
        Ok(q) => q,
        Err(e) => {
            report.push_list(
                "decryption-combined",
                "the totals are combined from K shares",
                vec![format!("§16.8: encryption.totals: {e}")],
            );
            return None;
        }
    };
    let lambdas = lagrange_at_zero(&q);
    let chosen: Vec<&PartialDecryption> = q
        .iter()
        .filter_map(|j| partials.iter().find(|p| p.trustee == *j))
        .collect();
    if totals.len() != aggregate.targets.len() {
        combined.push(format!(
            "§16.8: encryption.totals: expected one total per target ({}), found {}",
            aggregate.targets.len(),
            totals.len()
        ));
    }
    let mut values = Vec::new();
    for (n, (total, target)) in totals.iter().zip(&aggregate.targets).enumerate() {
        let at = format!(
            "encryption.totals[{n}] ({} {} {})",
            target.contest,
            target.kind.name(),
            target.option.as_deref().unwrap_or("")
        );
        if total.target != n as u64 {
            combined.push(format!("§16.8: {at}: expected target {n}, found {}", total.target));
        }
        if total.trustees != q {
            combined.push(format!(
                "§16.8: {at}: expected Q = {:?} (the K lowest indices among the accepted shares), found {:?}",
                q, total.trustees
            ));
        }
        let factors: Vec<&Element> = chosen.iter().filter_map(|p| p.factors.get(n)).collect();
        if factors.len() != chosen.len() || !total_holds(target, &lambdas, &factors, total.value) {
            combined.push(format!(
                "§16.8: {at}: expected B / M = g^t with t <= {} for the published t = {}, found it does not hold",
                target.bound, total.value
            ));
        }
        values.push(total.value);
    }
    let ok = combined.is_empty();
    report.push_list(
        "decryption-combined",
        format!("{} totals decrypt as published, from trustees {:?}", totals.len(), q),
        combined,
    );
    ok.then_some(Totals { trustees: q, values })
}

/// Step 14's `decryption_refused` entries: what the log can show of them.
/// The refused message itself is neither logged nor published (§16.7), so
/// it cannot be checked again; each entry must still be one the upload's
/// checks can make: `target` for `proof` only, and a target of the
/// aggregate; `not-a-trustee` for a trustee outside the completing attempt
/// and the later reasons for one inside it; none by a trustee whose share
/// was accepted already, and none once `K` accepted shares decrypted the
/// totals (both refused without an entry).
fn refusal_checks(outcome: &Outcome, log: &EncLog, aggregate: &Aggregate, failures: &mut Failures) {
    for r in &log.refused {
        let at = format!(
            "entry {} (decryption_refused, trustee {}, {})",
            r.seq, r.trustee, r.reason
        );
        let proof = r.reason == RefusalReason::Proof.name();
        match r.target {
            Some(t) if !proof => failures.push(format!(
                "§16.7: {at}: expected target null (only a proof refusal names one), found {t}"
            )),
            None if proof => failures.push(format!("§16.7: {at}: expected the first failing target, found null")),
            Some(t) if t as usize >= aggregate.targets.len() => failures.push(format!(
                "§16.7: {at}: expected a target below {} (the aggregate's), found {t}",
                aggregate.targets.len()
            )),
            _ => {}
        }
        let member = outcome.member(r.trustee).is_some();
        let before_membership = [RefusalReason::Envelope.name(), RefusalReason::NotMember.name()];
        if r.reason == RefusalReason::NotMember.name() && member {
            failures.push(format!(
                "§16.7: {at}: trustee {} is a trustee of the completed ceremony, so not-a-trustee would not refuse it",
                r.trustee
            ));
        } else if !before_membership.contains(&r.reason.as_str()) && !member {
            failures.push(format!(
                "§16.7: {at}: expected a trustee of the completed ceremony (the {} check comes after not-a-trustee), found trustee {}",
                r.reason, r.trustee
            ));
        }
        let accepted_before: Vec<u32> = log
            .shares
            .iter()
            .filter(|(seq, _, _)| *seq < r.seq)
            .map(|(_, trustee, _)| *trustee)
            .collect();
        if accepted_before.len() >= outcome.threshold as usize {
            failures.push(format!(
                "§16.7: {at}: after {} accepted shares decrypted the totals, a share is refused without an entry",
                accepted_before.len()
            ));
        } else if accepted_before.contains(&r.trustee) {
            failures.push(format!(
                "§16.7: {at}: trustee {}'s share was accepted already, so a second is refused without an entry",
                r.trustee
            ));
        }
    }
}
