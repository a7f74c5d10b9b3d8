//! The verifier as a state machine fed a record piece by piece, in the order
//! `FORMAT.md` lists its members. Pieces that arrive before what they need
//! (ballots before the log, say) are held until it comes, so any order works;
//! the usual order needs no ballot held in memory.

use crate::ballot::PublishedBallot;
use std::collections::HashMap;

use crate::checkpoint::{SignedCheckpoint, CHECKPOINT_FORMAT};
use crate::crypto::PublicKey;
use crate::encrypted::published::PublishedEncryptedBallot;
use crate::log::ChainedEntry;
use crate::receipt::Receipt;
use crate::record::{Counts, ElectionInfo, EncryptionRecord, RECORD_FORMAT};
use crate::tally::Tally;

use super::ballots::BallotChecker;
use super::ballots::Precheck;
use super::encrypted::{self as enc, Context, EncryptedBallots};
use super::log::{Ahead, LogChecker, LogFacts};
use super::report::{Failures, Report};

enum Ballots {
    /// The record has not reached its ballots yet.
    NotYet,
    /// `"ballots": null`: not published.
    Unpublished,
    /// Being checked as they arrive.
    Checking(Box<BallotChecker>),
    /// Held until the log and definition have been read.
    Held(Vec<PublishedBallot>),
    /// Checked; the count.
    Done(Box<BallotChecker>, u64),
}

/// Verifies a record fed to it piece by piece; [`Verifier::finish`] gives the report.
pub struct Verifier<'a> {
    seen: &'a [SignedCheckpoint],
    receipts: &'a [Receipt],
    format: Option<String>,
    election: Option<ElectionInfo>,
    public_key: Option<PublicKey>,
    log: Option<LogChecker>,
    facts: Option<(LogFacts, Failures, Failures)>,
    checkpoints: Vec<SignedCheckpoint>,
    ballots: Ballots,
    ballots_ended: bool,
    counts: Option<Counts>,
    tally: Option<Tally>,
    /// The record's `encryption` member (§16.9), if it has one.
    encryption: Option<EncryptionRecord>,
    /// An encrypted election's ballots, checked as they arrive.
    encrypted: Option<Box<EncryptedBallots>>,
    encrypted_context: Option<Context>,
}

impl<'a> Verifier<'a> {
    /// A verifier that also checks the record against checkpoints `seen`
    /// elsewhere and, if given, a voter's receipt.
    pub fn new(seen: &'a [SignedCheckpoint], receipt: Option<&'a Receipt>) -> Self {
        Self::with_receipts(seen, receipt.map_or(&[], std::slice::from_ref))
    }

    /// A verifier that also checks any number of receipts against the
    /// record, in the same pass ([`Verifier::finish_each`] reports on each).
    pub fn with_receipts(seen: &'a [SignedCheckpoint], receipts: &'a [Receipt]) -> Self {
        Verifier {
            seen,
            receipts,
            format: None,
            election: None,
            public_key: None,
            log: None,
            facts: None,
            checkpoints: vec![],
            ballots: Ballots::NotYet,
            ballots_ended: false,
            counts: None,
            tally: None,
            encryption: None,
            encrypted: None,
            encrypted_context: None,
        }
    }

    /// The record's `format`.
    pub fn format(&mut self, format: &str) {
        self.format = Some(format.to_string());
    }

    /// The record's `election`.
    pub fn election(&mut self, election: ElectionInfo) {
        self.election = Some(election);
        self.start_ballots();
    }

    /// The record's `public_key`.
    pub fn public_key(&mut self, key: PublicKey) {
        self.public_key = Some(key);
    }

    /// The next log entry.
    pub fn log_entry(&mut self, entry: &ChainedEntry) {
        self.prepared_log_entry(entry, &Ahead::Nothing);
    }

    /// The next log entry, with the work on its hash done `ahead` (on a
    /// parser thread).
    pub(super) fn prepared_log_entry(&mut self, entry: &ChainedEntry, ahead: &Ahead) {
        self.log.get_or_insert_with(LogChecker::default).entry(entry, ahead);
    }

    /// The log is complete.
    pub fn log_end(&mut self) {
        let checker = self.log.take().unwrap_or_default();
        self.facts = Some(checker.finish());
        self.start_ballots();
    }

    /// The record's checkpoints.
    pub fn checkpoints(&mut self, checkpoints: Vec<SignedCheckpoint>) {
        self.checkpoints = checkpoints;
    }

    /// `"ballots": null`.
    pub fn no_ballots(&mut self) {
        self.ballots = Ballots::Unpublished;
        self.ballots_ended = true;
    }

    /// The next published ballot.
    pub fn ballot(&mut self, b: &PublishedBallot) {
        self.prechecked_ballot(b, None);
    }

    /// The next published ballot, with its checks done `ahead` (on a
    /// parser thread) for the election named, if they were.
    pub(super) fn prechecked_ballot(&mut self, b: &PublishedBallot, ahead: Option<(&str, &Precheck)>) {
        if matches!(self.ballots, Ballots::NotYet) {
            self.ballots = Ballots::Held(vec![]);
            self.start_ballots();
        }
        match (&mut self.ballots, &self.facts) {
            (Ballots::Checking(checker), Some((facts, _, _))) => checker.ballot(b, facts, ahead),
            (Ballots::Held(held), _) => held.push(b.clone()),
            _ => {}
        }
    }

    /// The last published ballot has been fed.
    pub fn ballots_end(&mut self) {
        if matches!(self.ballots, Ballots::NotYet) {
            self.ballots = Ballots::Held(vec![]);
            self.start_ballots();
        }
        self.ballots_ended = true;
        self.end_ballots();
    }

    /// The record's `encryption` member (docs/design/encrypted-ballots.md §16.9).
    pub fn encryption(&mut self, encryption: EncryptionRecord) {
        self.encryption = Some(encryption);
    }

    /// Whether the log (read already) shows an encrypted election, whose
    /// `ballots` are encrypted ones; `None` before the log is read.
    pub fn is_encrypted(&self) -> Option<bool> {
        self.facts.as_ref().map(|(f, _, _)| f.encryption.is_encrypted())
    }

    /// What encrypted ballots are checked against, once the election and
    /// the log are known and the polls opened encrypted.
    pub(super) fn encrypted_context(&self) -> Option<Context> {
        self.context_with(&self.facts.as_ref()?.0)
    }

    fn context_with(&self, facts: &LogFacts) -> Option<Context> {
        let election = self.election.as_ref()?;
        let opened = facts.encryption.encryption()?;
        let watch = self.receipts.iter().map(|r| r.body.tracker).collect();
        Context::new(&election.id, &election.definition, opened, watch)
    }

    /// The next published encrypted ballot, checked on this thread (a
    /// reader may check them on several threads instead and hand over the
    /// result with [`Verifier::encrypted_ballots_checked`]).
    pub fn encrypted_ballot(&mut self, b: PublishedEncryptedBallot) {
        if self.encrypted_context.is_none() {
            self.encrypted_context = self.encrypted_context();
        }
        let Some(ctx) = &self.encrypted_context else {
            let checker = self.encrypted.get_or_insert_with(|| {
                Box::new(EncryptedBallots::new(&crate::encrypted::ballot::BallotShape {
                    contests: vec![],
                }))
            });
            checker.unreadable.get_or_insert_with(|| {
                "§16.9: the record publishes encrypted ballots, but its log opens no encrypted election".into()
            });
            return;
        };
        let checker = self
            .encrypted
            .get_or_insert_with(|| Box::new(EncryptedBallots::new(&ctx.shape)));
        let checked = enc::check_ballot(ctx, b, &mut checker.aggregator);
        checker.add(checked);
    }

    /// Encrypted ballots checked elsewhere: all of them, in record order.
    pub(super) fn encrypted_ballots_checked(&mut self, checked: EncryptedBallots) {
        self.encrypted = Some(Box::new(checked));
        self.ballots_ended = true;
    }

    /// The record's counts.
    pub fn counts(&mut self, counts: Counts) {
        self.counts = Some(counts);
    }

    /// The record's tally.
    pub fn tally(&mut self, tally: Option<Tally>) {
        self.tally = tally;
    }

    /// Begin checking ballots once the definition and the log are known,
    /// replaying any held ones.
    fn start_ballots(&mut self) {
        let (Some(election), Some((facts, _, _))) = (&self.election, &self.facts) else {
            return;
        };
        if let Ballots::Held(held) = &mut self.ballots {
            let held = std::mem::take(held);
            let watch = self.receipts.iter().map(|r| r.body.tracker).collect();
            let mut checker = Box::new(BallotChecker::new(&election.id, &election.definition, facts, watch));
            for b in &held {
                checker.ballot(b, facts, None);
            }
            self.ballots = Ballots::Checking(checker);
            if self.ballots_ended {
                self.end_ballots();
            }
        }
    }

    fn end_ballots(&mut self) {
        if let (Ballots::Checking(_), Some((facts, _, _))) = (&self.ballots, &self.facts) {
            if let Ballots::Checking(mut checker) = std::mem::replace(&mut self.ballots, Ballots::NotYet) {
                let n = checker.finish(facts);
                self.ballots = Ballots::Done(checker, n);
            }
        }
    }

    /// Every check's outcome, in the order of FORMAT.md §10.
    pub fn finish(self) -> Report {
        let (mut report, receipts) = self.finish_each();
        for r in receipts {
            report.checks.extend(r.checks);
        }
        report
    }

    /// The record's report, and one report per receipt (in the order given
    /// to [`Verifier::with_receipts`]) holding that receipt's checks alone.
    pub fn finish_each(mut self) -> (Report, Vec<Report>) {
        if self.facts.is_none() {
            self.log_end();
        }
        let mut report = Report::default();
        let mut format = Failures::default();
        match self.format.as_deref() {
            Some(RECORD_FORMAT) => {}
            other => format.push(format!(
                "§8: the record's format: expected {RECORD_FORMAT:?}, found {}",
                other.map_or("nothing".to_string(), |f| format!("{f:?}"))
            )),
        }
        report.push("format", format!("the record is a well-formed {RECORD_FORMAT}"), format);

        let Some((facts, chain, mut structure)) = self.facts.take() else {
            let not_run = |_: &Receipt| {
                let mut r = Report::default();
                for name in super::RECEIPT_CHECKS {
                    r.skip(name, "not run: the record's log could not be read");
                }
                r
            };
            return (report, self.receipts.iter().map(not_run).collect());
        };
        let (id, state) = self
            .election
            .as_ref()
            .map(|e| (e.id.clone(), e.state.clone()))
            .unwrap_or_default();
        match &facts.created {
            Some((election, key)) => {
                if election != &id {
                    structure.push(format!(
                        "§5 rule 1: entry 0 (election_created): expected the record's election {id}, found {election}"
                    ));
                }
                if Some(key) != self.public_key.as_ref() {
                    structure.push(format!(
                        "§5 rule 1: entry 0 (election_created): expected the record's key {}, found {}",
                        self.public_key.map(|k| k.to_hex()).unwrap_or_default(),
                        key.to_hex()
                    ));
                }
            }
            None if facts.hashes.is_empty() => {
                structure.push("§5 rule 1: expected election_created as entry 0, found an empty log".into())
            }
            None => {}
        }
        if state != facts.state {
            structure.push(format!(
                "§5 rule 7: election.state: expected {:?} (the state the log shows), found {state:?}",
                facts.state
            ));
        }
        report.push(
            "log-chain",
            format!("{} entries, each hash chained to the one before", facts.hashes.len()),
            chain,
        );
        report.push(
            "log-structure",
            format!(
                "lifecycle in order; {} ballots in {} seals, each batch in tracker order",
                facts.trackers.len(),
                facts.seals.len()
            ),
            structure,
        );
        self.check_definition(&facts, &mut report);
        if facts.encryption.is_encrypted() || self.encryption.is_some() {
            let reports = self.finish_encrypted(&facts, report);
            return (reports.0, reports.1);
        }
        self.check_checkpoints(&facts, &mut report);
        // Ballots fed but never ended (an in-memory caller's slip) still count.
        if self.ballots_ended || matches!(self.ballots, Ballots::Checking(_)) {
            self.end_ballots();
        }
        let ballots = std::mem::replace(&mut self.ballots, Ballots::NotYet);
        let (checker, published) = match ballots {
            Ballots::Done(checker, n) => (Some(checker), Some(n)),
            _ => (None, None),
        };
        let mut checker = checker;
        match (checker.as_deref_mut(), published) {
            (Some(c), Some(n)) => {
                report.push(
                    "ballot-tracker",
                    format!("{n} ballots hash to their trackers"),
                    std::mem::take(&mut c.tracker),
                );
                report.push(
                    "ballot-order",
                    "ballots are sorted by tracker, none twice",
                    std::mem::take(&mut c.order),
                );
                report.push(
                    "ballots-match-log",
                    "the published ballots are exactly the log's",
                    std::mem::take(&mut c.matching),
                );
                report.push(
                    "ballot-validity",
                    "every ballot obeys the definition's rules",
                    std::mem::take(&mut c.validity),
                );
            }
            _ => {
                for name in ["ballot-tracker", "ballot-order", "ballots-match-log", "ballot-validity"] {
                    report.skip(name, "the record publishes no ballots");
                }
            }
        }
        // §8: `ballots` is non-null exactly when the record is tallied or certified.
        match (facts.tallied_or_certified(), published.is_some()) {
            (true, true) => report.push_list("ballots-published", "the ballots are published with the tally", vec![]),
            (false, false) => report.push_list(
                "ballots-published",
                "no ballot is published before the tally",
                vec![],
            ),
            (true, false) => report.push_list(
                "ballots-published",
                "the ballots are published with the tally",
                vec![format!(
                    "§8: ballots: expected the published ballots (the election is {}), found null",
                    facts.state
                )],
            ),
            (false, true) => report.push_list(
                "ballots-published",
                "no ballot is published before the tally",
                vec![format!(
                    "§8: ballots: expected null (the election is {}: ballots are published only once tallied), found {} ballots",
                    facts.state,
                    published.unwrap_or(0)
                )],
            ),
        }
        self.check_counts(&facts, published, &mut report);
        let watched = checker
            .as_mut()
            .map(|c| std::mem::take(&mut c.watched))
            .unwrap_or_default();
        self.check_certification(&facts, &mut report);
        self.check_tally(&facts, checker, &mut report);
        let receipts = self
            .receipts
            .iter()
            .map(|receipt| {
                let mut own = Report::default();
                let published_ballot = watched.get(&receipt.body.tracker).cloned();
                self.check_receipt(receipt, &facts, published.is_some(), published_ballot, None, &mut own);
                own
            })
            .collect();
        (report, receipts)
    }

    /// The rest of an encrypted record's report, after `definition`:
    /// docs/design/encrypted-ballots.md §16.11's steps in their places in
    /// FORMAT.md §10's order.
    fn finish_encrypted(&mut self, facts: &LogFacts, mut report: Report) -> (Report, Vec<Report>) {
        let (id, definition) = match &self.election {
            Some(e) => (e.id.clone(), e.definition.clone()),
            None => (
                String::new(),
                crate::definition::Definition {
                    title: String::new(),
                    description: String::new(),
                    contests: vec![],
                },
            ),
        };
        let log = &facts.encryption;
        // Steps 1–8.
        let outcome = enc::ceremony_checks(&id, &definition, log, self.encryption.as_ref(), &mut report);
        self.check_checkpoints(facts, &mut report);
        let ctx = self.encrypted_context.take().or_else(|| self.context_with(facts));
        let fp = log.encryption().map(|e| e.fingerprint);
        let mut ballots = self.encrypted.take();
        if let Some(b) = ballots.as_deref_mut() {
            b.finish(&facts.trackers);
        }
        // Steps 9–13, where ballot-validity stands for a plain record.
        let mut audited = Report::default();
        let duplicates = match ballots.as_deref_mut() {
            Some(b) => {
                report.skip(
                    "ballot-tracker",
                    "an encrypted record publishes no trackers: each is computed from its ballot and matched with the log (ballots-match-log)",
                );
                report.push(
                    "ballot-order",
                    "ballots are sorted by tracker, none twice",
                    std::mem::take(&mut b.order),
                );
                report.push(
                    "ballots-match-log",
                    "the published ballots are exactly the log's",
                    std::mem::take(&mut b.matching),
                );
                if let Some(u) = b.unreadable.take() {
                    b.elements.push(u);
                }
                report.push(
                    "ballot-elements",
                    format!(
                        "{} encrypted ballots have the definition's shape, fingerprint and elements",
                        b.count
                    ),
                    std::mem::take(&mut b.elements),
                );
                report.push(
                    "ballot-proofs",
                    format!(
                        "every selection and contest proof of {} ballots verifies (batched)",
                        b.count
                    ),
                    std::mem::take(&mut b.proofs),
                );
                let cast: std::collections::HashSet<_> = b.trackers.iter().copied().collect();
                let mut more = crate::verify::report::Failures::default();
                enc::audited_checks(
                    ctx.as_ref(),
                    log,
                    self.encryption.as_ref(),
                    &cast,
                    &mut |a, t| b.note_alpha(a, t),
                    &mut more,
                    &mut audited,
                );
                let mut duplicates = std::mem::take(&mut b.duplicates);
                duplicates.extend(more);
                duplicates
            }
            None => {
                for name in [
                    "ballot-tracker",
                    "ballot-order",
                    "ballots-match-log",
                    "ballot-elements",
                    "ballot-proofs",
                ] {
                    report.skip(
                        name,
                        "the record publishes no ballots (they are published from the close)",
                    );
                }
                let mut seen = std::collections::HashMap::new();
                let mut more = crate::verify::report::Failures::default();
                enc::audited_checks(
                    ctx.as_ref(),
                    log,
                    self.encryption.as_ref(),
                    &Default::default(),
                    &mut |a, t| seen.insert(*a, t),
                    &mut more,
                    &mut audited,
                );
                more
            }
        };
        report.push(
            "ballot-duplicates",
            "no alpha appears twice among the cast and audited ballots",
            duplicates,
        );
        report.checks.extend(audited.checks);
        let aggregate = enc::aggregate_check(
            fp.as_ref(),
            log,
            self.encryption.as_ref(),
            ballots.as_deref(),
            &mut report,
        );
        // §16.9: encrypted ballots are published from the close.
        let published = ballots.as_ref().map(|b| b.count);
        let closed = facts.closed.is_some();
        let failures = match (closed, published) {
            (true, None) => vec![format!(
                "§16.9: ballots: expected the published encrypted ballots (the election is {}), found null",
                facts.state
            )],
            (false, Some(n)) => vec![format!(
                "§16.9: ballots: expected null (the election is {}: encrypted ballots are published from the close), found {n} ballots",
                facts.state
            )],
            _ => vec![],
        };
        report.push_list(
            "ballots-published",
            if closed {
                "the encrypted ballots are published from the close"
            } else {
                "no ballot is published before the close"
            },
            failures,
        );
        self.check_counts(facts, published, &mut report);
        self.check_certification(facts, &mut report);
        // Steps 14–15, then the tally (step 16).
        let totals = enc::decryption_checks(
            fp.as_ref(),
            outcome.as_ref(),
            log,
            self.encryption.as_ref(),
            aggregate.as_ref(),
            &mut report,
        );
        self.check_encrypted_tally(
            facts,
            aggregate.as_ref(),
            totals.as_ref(),
            ballots.as_deref(),
            &mut report,
        );
        let watched = ballots.map(|b| b.watched).unwrap_or_default();
        let receipts = self
            .receipts
            .iter()
            .map(|receipt| {
                let mut own = Report::default();
                let kept = watched.get(&receipt.body.tracker).cloned();
                self.check_receipt(receipt, facts, published.is_some(), None, Some(kept), &mut own);
                own
            })
            .collect();
        (report, receipts)
    }

    /// Step 16: the tally made from the decrypted totals (§16.8).
    fn check_encrypted_tally(
        &self,
        facts: &LogFacts,
        aggregate: Option<&crate::trustees::decrypt::Aggregate>,
        totals: Option<&crate::trustees::decrypt::Totals>,
        ballots: Option<&EncryptedBallots>,
        report: &mut Report,
    ) {
        let Some(tallied) = facts.tallied else {
            if self.tally.is_some() {
                report.push_list(
                    "tally",
                    "the tally is published with the tallied entry",
                    vec!["§8: tally: expected null (the log has no tallied entry), found a tally".into()],
                );
            } else {
                report.skip("tally", "the election is not tallied yet");
            }
            return;
        };
        let seq = tallied.seq;
        let mut failures = Vec::new();
        if let Some(opened) = facts.opened {
            if tallied.lot_seed.commitment() != opened.lot_seed_commitment {
                failures.push(format!(
                    "§9.1: entry {seq} (tallied): expected a lot seed whose SHA-256 is {} (entry {}, polls_opened), found one hashing to {}",
                    opened.lot_seed_commitment,
                    opened.seq,
                    tallied.lot_seed.commitment()
                ));
            }
        }
        let Some(published) = &self.tally else {
            failures.push(format!(
                "§8: entry {seq} (tallied): expected the record's tally, found none"
            ));
            report.push_list("tally", "the tally from the decrypted totals", failures);
            return;
        };
        if published.digest() != tallied.tally_digest {
            failures.push(format!(
                "§9: tally: expected the digest {} logged in entry {seq} (tallied), found a tally hashing to {}",
                tallied.tally_digest,
                published.digest()
            ));
        }
        let (Some(election), Some(aggregate), Some(totals), Some(ballots)) =
            (&self.election, aggregate, totals, ballots)
        else {
            failures.push(format!(
                "§16.11 step 16: entry {seq} (tallied): expected ballots, an aggregate and decrypted totals that hold to tally from, found {}",
                if ballots.is_none() { "no ballots" } else { "none that hold" }
            ));
            report.push_list("tally", "the tally from the decrypted totals", failures);
            return;
        };
        let weight = crate::count::Weight::from_micros(ballots.total_weight).unwrap_or(crate::count::Weight::ONE);
        match crate::tally::encrypted::tally(
            &election.id,
            &election.definition,
            aggregate,
            totals,
            ballots.count,
            weight,
            &tallied.lot_seed,
        ) {
            Ok(recount) => {
                if &recount != published {
                    for (mine, theirs) in recount.contests.iter().zip(&published.contests) {
                        if mine != theirs {
                            failures.push(format!(
                                "§16.8: contest {:?}: expected the result the decrypted totals give, found a published result that differs",
                                mine.contest
                            ));
                        }
                    }
                    if failures.is_empty() {
                        failures.push(
                            "§16.8: tally: expected the tally the decrypted totals give, found one that differs".into(),
                        );
                    }
                }
            }
            Err(e) => failures.push(format!("§16.8: the decrypted totals make no tally: {e}")),
        }
        report.push_list(
            "tally",
            "the tally from the decrypted totals equals the published tally",
            failures,
        );
    }

    fn check_definition(&self, facts: &LogFacts, report: &mut Report) {
        let Some(election) = &self.election else {
            report.push_list(
                "definition",
                "the definition",
                vec!["§8: expected the record's election, found none".into()],
            );
            return;
        };
        let def = &election.definition;
        let mut failures: Vec<String> = def
            .soundness()
            .into_iter()
            .map(|p| format!("§3 rule {}: definition: {}", p.rule, p.message))
            .collect();
        match facts.opened {
            Some(opened) => {
                let computed = def.hash();
                if computed != opened.definition_hash {
                    failures.push(format!(
                        "§3: entry {} (polls_opened): expected the definition frozen at opening, with hash {}, found a definition with hash {computed}",
                        opened.seq, opened.definition_hash
                    ));
                }
                report.push_list(
                    "definition",
                    "the definition is sound and is the one frozen at opening",
                    failures,
                );
            }
            None => report.push_list(
                "definition",
                "the definition is sound (a draft: not yet frozen)",
                failures,
            ),
        }
    }

    fn check_checkpoints(&self, facts: &LogFacts, report: &mut Report) {
        let id = self.election.as_ref().map(|e| e.id.as_str()).unwrap_or("");
        let mut signature = Failures::default();
        let mut consistency = Failures::default();
        let mut check_one = |i: usize, cp: &SignedCheckpoint, label: &str| {
            let c = &cp.checkpoint;
            let name = format!("{label} {i} (size {}, {})", c.size, c.reason.as_str());
            if c.format != CHECKPOINT_FORMAT {
                signature.push(format!(
                    "§6: {name}: expected format {CHECKPOINT_FORMAT:?}, found {:?}",
                    c.format
                ));
            } else if !self.public_key.is_some_and(|k| cp.verifies(&k)) {
                signature.push(format!(
                    "§6: {name}: expected a signature by the election key over the checkpoint, found one that does not verify"
                ));
            }
            if c.election != id {
                consistency.push(format!("§6: {name}: expected election {id}, found {}", c.election));
            }
            if c.size == 0 || c.size > facts.hashes.len() as u64 {
                consistency.push(format!(
                    "§6: {name}: expected a size from 1 to the log's {} entries, found {}",
                    facts.hashes.len(),
                    c.size
                ));
            } else if facts.hashes[(c.size - 1) as usize] != c.head {
                consistency.push(format!(
                    "§6: {name}: expected head {} (the hash of entry {}), found {}",
                    facts.hashes[(c.size - 1) as usize],
                    c.size - 1,
                    c.head
                ));
            }
            c.size
        };
        let mut last = 0;
        let mut order = Vec::new();
        for (i, cp) in self.checkpoints.iter().enumerate() {
            let size = check_one(i, cp, "checkpoint");
            if size < last {
                order.push(format!(
                    "§8: checkpoint {i}: expected checkpoints in order of size, found size {size} after {last}"
                ));
            }
            last = size;
        }
        for (i, cp) in self.seen.iter().enumerate() {
            check_one(i, cp, "previously seen checkpoint");
        }
        for o in order {
            consistency.push(o);
        }
        report.push(
            "checkpoint-signature",
            format!(
                "{} checkpoints signed by the election key",
                self.checkpoints.len() + self.seen.len()
            ),
            signature,
        );
        report.push(
            "checkpoint-consistency",
            "every checkpoint's size and head match the log",
            consistency,
        );
        report.push_list(
            "checkpoint-coverage",
            "exactly one checkpoint at opening, every seal, closing, tallying and certifying",
            coverage(facts, &self.checkpoints),
        );
    }

    fn check_counts(&self, facts: &LogFacts, published: Option<u64>, report: &mut Report) {
        let Some(c) = self.counts else {
            report.push_list(
                "counts",
                "the record's counts",
                vec!["§8: expected the record's counts, found none".into()],
            );
            return;
        };
        let mut failures = Vec::new();
        let in_log = facts.trackers.len() as u64;
        if c.ballots != in_log {
            failures.push(format!(
                "§8 counts rule 3: counts.ballots: expected {in_log} (the ballot entries in the log), found {}",
                c.ballots
            ));
        }
        if let Some(n) = published {
            if n != in_log {
                failures.push(format!(
                    "§8 counts rule 3: ballots: expected {in_log} published ballots (the ballot entries in the log), found {n}"
                ));
            }
        }
        // §8: each roll import adds to the total before it.
        let mut total = 0u64;
        for roll in &facts.rolls {
            let expected = total.saturating_add(roll.added);
            if roll.total != expected {
                failures.push(format!(
                    "§8 counts rule 1: entry {} (roll_imported): expected total = {total} (the previous total) + {} (added) = {expected}, found {}",
                    roll.seq, roll.added, roll.total
                ));
            }
            total = roll.total;
        }
        if let Some(opened) = facts.opened {
            if opened.eligible != total {
                failures.push(format!(
                    "§8 counts rule 2: entry {} (polls_opened): expected eligible = {total} (the last roll_imported total before opening), found {}",
                    opened.seq, opened.eligible
                ));
            }
            if c.eligible != opened.eligible {
                failures.push(format!(
                    "§8 counts rule 2: counts.eligible: expected {} (entry {}, polls_opened), found {}",
                    opened.eligible, opened.seq, c.eligible
                ));
            }
        }
        if let Some(closed) = facts.closed {
            if c.tokens_used != closed.tokens_used {
                failures.push(format!(
                    "§8 counts rule 4: counts.tokens_used: expected {} (entry {}, polls_closed), found {}",
                    closed.tokens_used, closed.seq, c.tokens_used
                ));
            }
            if closed.tokens_used != closed.ballots {
                failures.push(format!(
                    "§8 counts rule 4: entry {} (polls_closed): expected tokens_used = ballots = {}, found tokens_used {}",
                    closed.seq, closed.ballots, closed.tokens_used
                ));
            }
            if c.tokens_issued != closed.tokens_issued {
                failures.push(format!(
                    "§8 counts rule 4: counts.tokens_issued: expected {} (entry {}, polls_closed), found {}",
                    closed.tokens_issued, closed.seq, c.tokens_issued
                ));
            }
        } else if let Some(opened) = facts.opened {
            if c.tokens_used != in_log {
                failures.push(format!(
                    "§8 counts rule 4: counts.tokens_used: expected {in_log} (the sealed ballots: both are as of the last seal), found {}",
                    c.tokens_used
                ));
            }
            if c.tokens_issued < opened.tokens_issued {
                failures.push(format!(
                    "§8 counts rule 4: counts.tokens_issued: expected at least {} (entry {}, polls_opened), found {}",
                    opened.tokens_issued, opened.seq, c.tokens_issued
                ));
            }
        }
        if c.tokens_used > c.tokens_issued {
            failures.push(format!(
                "§8 counts rule 5: counts: expected tokens_used ≤ tokens_issued, found {} used but {} issued",
                c.tokens_used, c.tokens_issued
            ));
        }
        if facts.opened.is_some() && c.tokens_issued > c.eligible {
            failures.push(format!(
                "§8 counts rule 5: counts: expected tokens_issued ≤ eligible, found {} issued but {} eligible",
                c.tokens_issued, c.eligible
            ));
        }
        report.push_list(
            "counts",
            format!(
                "{} eligible, {} tokens issued, {} used, {} ballots; {} replaced by staff (token_reissued)",
                c.eligible, c.tokens_issued, c.tokens_used, c.ballots, facts.replaced
            ),
            failures,
        );
    }

    fn check_tally(&self, facts: &LogFacts, checker: Option<Box<BallotChecker>>, report: &mut Report) {
        let id = self.election.as_ref().map(|e| e.id.as_str()).unwrap_or("");
        let Some(tallied) = facts.tallied else {
            if self.tally.is_some() {
                report.push_list(
                    "tally",
                    "the tally is published with the tallied entry",
                    vec!["§8: tally: expected null (the log has no tallied entry), found a tally".into()],
                );
            } else {
                report.skip("tally", "the election is not tallied yet");
            }
            return;
        };
        let seq = tallied.seq;
        let mut failures = Vec::new();
        if let Some(opened) = facts.opened {
            if tallied.lot_seed.commitment() != opened.lot_seed_commitment {
                failures.push(format!(
                    "§9.1: entry {seq} (tallied): expected a lot seed whose SHA-256 is {} (entry {}, polls_opened), found one hashing to {}",
                    opened.lot_seed_commitment,
                    opened.seq,
                    tallied.lot_seed.commitment()
                ));
            }
        }
        let (Some(published), Some(checker)) = (&self.tally, checker) else {
            failures.push(format!(
                "§8: entry {seq} (tallied): expected the record's tally and ballots, found {}",
                if self.tally.is_none() { "no tally" } else { "no ballots" }
            ));
            report.push_list("tally", "recount from the ballots", failures);
            return;
        };
        if published.digest() != tallied.tally_digest {
            failures.push(format!(
                "§9: tally: expected the digest {} logged in entry {seq} (tallied), found a tally hashing to {}",
                tallied.tally_digest,
                published.digest()
            ));
        }
        let recount = checker.tallier.finish(id, &tallied.lot_seed);
        if &recount != published {
            for (mine, theirs) in recount.contests.iter().zip(&published.contests) {
                if mine != theirs {
                    failures.push(format!(
                        "§9: contest {:?}: expected the recount's result, found a published result that differs",
                        mine.contest
                    ));
                }
            }
            if recount.contests.len() != published.contests.len() || recount.ballots != published.ballots {
                failures.push(format!(
                    "§9: tally: expected {} contests and {} ballots (the recount), found {} and {}",
                    recount.contests.len(),
                    recount.ballots,
                    published.contests.len(),
                    published.ballots
                ));
            }
            if recount.election != published.election {
                failures.push(format!(
                    "§9: tally.election: expected {}, found {}",
                    recount.election, published.election
                ));
            }
            if recount.format != published.format || recount.weight != published.weight {
                failures.push(format!(
                    "§9: tally: expected format {:?} and weight {}, found {:?} and {}",
                    recount.format, recount.weight, published.format, published.weight
                ));
            }
        }
        report.push_list(
            "tally",
            "the recount from the ballots equals the published tally",
            failures,
        );
    }

    fn check_certification(&self, facts: &LogFacts, report: &mut Report) {
        if facts.quorum == 0
            && facts.certifiers.is_empty()
            && facts.certifications.is_empty()
            && facts.certified.is_none()
        {
            report.skip("certification", "this election is not certified by a committee");
            return;
        }
        let id = self.election.as_ref().map(|e| e.id.as_str()).unwrap_or("");
        let mut failures = Vec::new();
        if facts.opened.is_some() && facts.quorum as usize > facts.certifiers.len() {
            failures.push(format!(
                "§8a: polls_opened: expected a quorum of at most {} (the registered certifiers), found {}",
                facts.certifiers.len(),
                facts.quorum
            ));
        }
        let mut valid: Vec<PublicKey> = Vec::new();
        for c in &facts.certifications {
            let seq = c.seq;
            let at = format!("entry {seq} (certification by {:?})", c.name);
            let Some(registered) = facts.certifiers.iter().find(|r| r.key == c.key) else {
                failures.push(format!(
                    "§8a: {at}: expected a registered key, found {} which was never registered",
                    c.key.fingerprint()
                ));
                continue;
            };
            if registered.name != c.name {
                failures.push(format!(
                    "§8a: {at}: expected the certifier {:?} registered with key {} (entry {}), found {:?}",
                    registered.name,
                    c.key.fingerprint(),
                    registered.seq,
                    c.name
                ));
            }
            let Some(tallied) = facts.tallied else {
                failures.push(format!("§8a: {at}: expected a tally to certify, found none"));
                continue;
            };
            let statement = crate::certify::Statement::new(id, tallied.tally_digest);
            if !c.key.verifies(&statement.signed_bytes(), &c.signature) {
                failures.push(format!(
                    "§8a: {at}: expected a signature by key {} of this election's statement with tally digest {}, found one that does not verify",
                    c.key.fingerprint(),
                    tallied.tally_digest
                ));
                continue;
            }
            if valid.contains(&c.key) {
                failures.push(format!(
                    "§8a: {at}: expected one signature per certifier, found a second by key {}",
                    c.key.fingerprint()
                ));
                continue;
            }
            if facts.certified.is_none_or(|certified| seq < certified.seq) {
                valid.push(c.key);
            }
        }
        if let Some(certified) = facts.certified {
            let seq = certified.seq;
            if certified.quorum != facts.quorum || certified.quorum == 0 {
                failures.push(format!(
                    "§8a: entry {seq} (certified): expected quorum {} (set at opening, not 0), found {}",
                    facts.quorum, certified.quorum
                ));
            }
            if (valid.len() as u64) < u64::from(facts.quorum) {
                failures.push(format!(
                    "§8a: entry {seq} (certified): expected at least the quorum of {} valid certifications before it, found {}",
                    facts.quorum,
                    valid.len()
                ));
            } else if certified.signatures != valid.len() as u64 {
                failures.push(format!(
                    "§8a: entry {seq} (certified): expected signatures = {} (the valid certifications before it), found {}",
                    valid.len(),
                    certified.signatures
                ));
            }
        }
        report.push_list(
            "certification",
            format!(
                "{} of {} registered certifiers signed the result (quorum {})",
                valid.len(),
                facts.certifiers.len(),
                facts.quorum
            ),
            failures,
        );
    }
    fn check_receipt(
        &self,
        receipt: &Receipt,
        facts: &LogFacts,
        ballots_published: bool,
        watched: Option<PublishedBallot>,
        encrypted: Option<Option<PublishedEncryptedBallot>>,
        report: &mut Report,
    ) {
        let body = &receipt.body;
        let id = self.election.as_ref().map(|e| e.id.as_str()).unwrap_or("");
        let own: Vec<String> = receipt.problems().iter().map(|p| format!("§7: {p}")).collect();
        report.push_list(
            "receipt-signature",
            "the receipt is signed and its tracker is its ballot's hash",
            own,
        );
        let mut key = Vec::new();
        if body.election != id {
            key.push(format!(
                "§7: receipt election: expected the record's election {id}, found {}",
                body.election
            ));
        }
        if Some(&body.public_key) != self.public_key.as_ref() {
            key.push(format!(
                "§7: receipt public_key: expected the election's key {}, found {}",
                self.public_key.map(|k| k.to_hex()).unwrap_or_default(),
                body.public_key.to_hex()
            ));
        }
        report.push_list("receipt-election", "the receipt belongs to this election and key", key);

        let closed = facts.closed.is_some();
        match (facts.seal_entry(body.seal), facts.ballot_entry(&body.tracker)) {
            (Some(seal_seq), Some(seq)) if seq < seal_seq => report.push_list(
                "receipt-inclusion",
                format!("the ballot is entry {seq}, sealed by seal {} as promised", body.seal),
                vec![],
            ),
            (Some(seal_seq), Some(seq)) => report.push_list(
                "receipt-inclusion",
                "the ballot is in the log by the promised seal",
                vec![format!(
                    "§7: expected the ballot entry before seal {} (entry {seal_seq}), found it at entry {seq}, after it: the service broke its promise",
                    body.seal
                )],
            ),
            (Some(seal_seq), None) => report.push_list(
                "receipt-inclusion",
                "the ballot is in the log by the promised seal",
                vec![format!(
                    "§7: expected tracker {1} in the log by seal {0} (entry {seal_seq}), found it nowhere: the service broke its promise",
                    body.seal, body.tracker
                )],
            ),
            (None, _) if closed => report.push_list(
                "receipt-inclusion",
                "the ballot is in the log by the promised seal",
                vec![format!(
                    "§7: expected seal {} before the polls closed, found the polls closed without it: the service broke its promise",
                    body.seal
                )],
            ),
            (None, Some(seq)) => report.push_list(
                "receipt-inclusion",
                format!("the ballot is already entry {seq}, before its promised seal {}", body.seal),
                vec![],
            ),
            (None, None) => report.skip(
                "receipt-inclusion",
                format!("seal {} has not happened yet; check again later", body.seal),
            ),
        }
        if let (true, Some(kept)) = (ballots_published, &encrypted) {
            let failures = match (kept, body.ballot.encrypted()) {
                (Some(b), Some(mine)) if b.with_election(id) == *mine => vec![],
                (Some(_), _) => vec![format!(
                    "§7: expected the published encrypted ballot with tracker {} to be the receipt's, found a different one",
                    body.tracker
                )],
                (None, _) => vec![format!(
                    "§7: expected a published ballot with tracker {}, found none",
                    body.tracker
                )],
            };
            report.push_list(
                "receipt-content",
                "the published ballot is the one in the receipt",
                failures,
            );
        } else if ballots_published {
            let failures = match watched {
                Some(b)
                    if body
                        .ballot
                        .plain()
                        .is_some_and(|p| b.nonce == p.nonce && b.choices == p.choices) =>
                {
                    vec![]
                }
                Some(_) => vec![format!(
                    "§7: expected the published ballot with tracker {} to have the receipt's nonce and choices, found different ones",
                    body.tracker
                )],
                None => vec![format!(
                    "§7: expected a published ballot with tracker {}, found none",
                    body.tracker
                )],
            };
            report.push_list(
                "receipt-content",
                "the published ballot is the one in the receipt",
                failures,
            );
        } else {
            report.skip(
                "receipt-content",
                "ballots are published with the tally; the tracker already commits to the content",
            );
        }
    }
}

/// §6 and §10 `checkpoint-coverage`: the record's checkpoints are exactly
/// one per `polls_opened`, `seal`, `polls_closed`, `tallied` and `certified`
/// entry at position p, of size p + 1 with the matching reason.
fn coverage(facts: &LogFacts, checkpoints: &[SignedCheckpoint]) -> Vec<String> {
    let mut out = Vec::new();
    let mut used = vec![false; checkpoints.len()];
    let mut by_size: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, cp) in checkpoints.iter().enumerate() {
        by_size.entry(cp.checkpoint.size).or_default().push(i);
    }
    for need in &facts.needs_checkpoint {
        let size = need.seq + 1;
        let at_size: Vec<usize> = by_size.get(&size).cloned().unwrap_or_default();
        let matching: Vec<usize> = at_size
            .iter()
            .copied()
            .filter(|&i| checkpoints[i].checkpoint.reason == need.reason)
            .collect();
        let at = format!("entry {} ({})", need.seq, need.kind);
        match (matching.as_slice(), at_size.as_slice()) {
            ([one], _) => used[*one] = true,
            ([], []) => out.push(format!(
                "§6: {at}: expected one checkpoint of size {size} with reason {}, found none",
                need.reason.as_str()
            )),
            ([], [other, ..]) => {
                used[*other] = true;
                out.push(format!(
                    "§6: {at}: expected a checkpoint of size {size} with reason {}, found checkpoint {other} with reason {}",
                    need.reason.as_str(),
                    checkpoints[*other].checkpoint.reason.as_str()
                ));
            }
            ([first, rest @ ..], _) => {
                used[*first] = true;
                for i in rest {
                    used[*i] = true;
                    out.push(format!(
                        "§6: {at}: expected one checkpoint of size {size} with reason {}, found another: checkpoint {i} (checkpoint {first} is the first)",
                        need.reason.as_str()
                    ));
                }
            }
        }
    }
    for (i, cp) in checkpoints.iter().enumerate() {
        if !used[i] {
            let c = &cp.checkpoint;
            let other = facts
                .needs_checkpoint
                .iter()
                .any(|n| n.seq + 1 == c.size && n.reason != c.reason);
            out.push(if other {
                format!(
                    "§6: checkpoint {i} (size {}, {}): expected one checkpoint per entry, found an extra one for entry {}",
                    c.size,
                    c.reason.as_str(),
                    c.size.saturating_sub(1)
                )
            } else {
                format!(
                    "§6: checkpoint {i} (size {}, {}): expected no checkpoint of this size (entry {} is not polls_opened, seal, polls_closed, tallied or certified), found one",
                    c.size,
                    c.reason.as_str(),
                    c.size.saturating_sub(1)
                )
            });
        }
    }
    out
}
