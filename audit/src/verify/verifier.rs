//! The verifier as a state machine fed a record piece by piece, in the order
//! `FORMAT.md` lists its members. Pieces that arrive before what they need
//! (ballots before the log, say) are held until it comes, so any order works;
//! the usual order needs no ballot held in memory.

use std::collections::HashSet;

use crate::ballot::PublishedBallot;
use crate::checkpoint::{CheckpointReason, SignedCheckpoint, CHECKPOINT_FORMAT};
use crate::crypto::PublicKey;
use crate::log::ChainedEntry;
use crate::receipt::Receipt;
use crate::record::{Counts, ElectionInfo, RECORD_FORMAT};
use crate::tally::Tally;

use super::ballots::BallotChecker;
use super::log::{LogChecker, LogFacts};
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
    receipt: Option<&'a Receipt>,
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
}

impl<'a> Verifier<'a> {
    /// A verifier that also checks the record against checkpoints `seen`
    /// elsewhere and, if given, a voter's receipt.
    pub fn new(seen: &'a [SignedCheckpoint], receipt: Option<&'a Receipt>) -> Self {
        Verifier {
            seen,
            receipt,
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
        self.log.get_or_insert_with(LogChecker::default).entry(entry);
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
        if matches!(self.ballots, Ballots::NotYet) {
            self.ballots = Ballots::Held(vec![]);
            self.start_ballots();
        }
        match (&mut self.ballots, &self.facts) {
            (Ballots::Checking(checker), Some((facts, _, _))) => checker.ballot(b, facts),
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
            let watch = self.receipt.map(|r| r.body.tracker);
            let mut checker = Box::new(BallotChecker::new(&election.id, &election.definition, facts, watch));
            for b in &held {
                checker.ballot(b, facts);
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

    /// Every check's outcome.
    pub fn finish(mut self) -> Report {
        if self.facts.is_none() {
            self.log_end();
        }
        let mut report = Report::default();
        let mut format = Failures::default();
        match self.format.as_deref() {
            Some(RECORD_FORMAT) => {}
            other => format.push(format!("the record's format is {other:?}, expected {RECORD_FORMAT:?}")),
        }
        report.push("format", "the record is a teller-record/1", format);

        let Some((facts, chain, mut structure)) = self.facts.take() else {
            return report;
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
                        "entry 0 (election_created): names election {election}, the record is for {id}"
                    ));
                }
                if Some(key) != self.public_key.as_ref() {
                    structure.push(format!(
                        "entry 0 (election_created): the election key {} differs from the record's key",
                        key.to_hex()
                    ));
                }
            }
            None if facts.hashes.is_empty() => structure.push("the log is empty".into()),
            None => {}
        }
        if state != facts.state {
            structure.push(format!(
                "the record says the election is {state:?} but its log shows it {}",
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
            _ if facts.tallied.is_some() => report.push_list(
                "ballots-published",
                "the ballots are published with the tally",
                vec!["the election is tallied but the record has no ballots".into()],
            ),
            _ => {
                for name in ["ballot-tracker", "ballot-order", "ballots-match-log", "ballot-validity"] {
                    report.skip(name, "the ballots are published with the tally; not yet in this record");
                }
            }
        }
        self.check_counts(&facts, published, &mut report);
        let watched = checker.as_ref().and_then(|c| c.watched.clone());
        self.check_tally(&facts, checker, &mut report);
        self.check_certification(&facts, &mut report);
        if let Some(receipt) = self.receipt {
            self.check_receipt(receipt, &facts, published.is_some(), watched, &mut report);
        }
        report
    }

    fn check_definition(&self, facts: &LogFacts, report: &mut Report) {
        let Some(election) = &self.election else {
            report.push_list(
                "definition",
                "the definition",
                vec!["the record has no election".into()],
            );
            return;
        };
        let def = &election.definition;
        let mut failures: Vec<String> = def.problems().into_iter().map(|p| format!("definition: {p}")).collect();
        match facts.opened {
            Some((seq, logged, _, _)) => {
                let computed = def.hash();
                if computed != logged {
                    failures.push(format!(
                        "entry {seq} (polls_opened): froze definition {logged}, but the record's definition hashes to {computed}"
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
        let mut covered: HashSet<(u64, CheckpointReason)> = HashSet::new();
        let mut check_one = |i: usize, cp: &SignedCheckpoint, label: &str| {
            let c = &cp.checkpoint;
            let name = format!("{label} {i} (size {}, {:?})", c.size, c.reason);
            let signed = self.public_key.is_some_and(|k| cp.verifies(&k));
            if c.format != CHECKPOINT_FORMAT || !signed {
                signature.push(format!("{name}: the signature is not the election key's"));
            }
            if c.election != id {
                consistency.push(format!("{name}: names election {}", c.election));
            }
            if c.size == 0 || c.size > facts.hashes.len() as u64 {
                consistency.push(format!(
                    "{name}: covers {} entries but the log has {}",
                    c.size,
                    facts.hashes.len()
                ));
            } else if facts.hashes[(c.size - 1) as usize] != c.head {
                consistency.push(format!(
                    "{name}: head {} differs from the log's hash after entry {} ({})",
                    c.head,
                    c.size - 1,
                    facts.hashes[(c.size - 1) as usize]
                ));
            }
            c.size
        };
        let mut last = 0;
        let mut order = Vec::new();
        for (i, cp) in self.checkpoints.iter().enumerate() {
            let size = check_one(i, cp, "checkpoint");
            if size < last {
                order.push(format!("checkpoint {i}: out of order (size {size} after {last})"));
            }
            last = size;
            covered.insert((size.saturating_sub(1), cp.checkpoint.reason));
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
        let missing: Vec<String> = facts
            .needs_checkpoint
            .iter()
            .filter(|need| !covered.contains(need))
            .map(|(seq, reason)| format!("entry {seq}: no {reason:?} checkpoint covers exactly up to it"))
            .collect();
        report.push_list(
            "checkpoint-coverage",
            "a checkpoint at opening, every seal, closing and tallying",
            missing,
        );
    }

    fn check_counts(&self, facts: &LogFacts, published: Option<u64>, report: &mut Report) {
        let Some(c) = self.counts else {
            report.push_list("counts", "the record's counts", vec!["the record has no counts".into()]);
            return;
        };
        let mut failures = Vec::new();
        let in_log = facts.trackers.len() as u64;
        if c.ballots != in_log {
            failures.push(format!(
                "counts.ballots is {} but the log holds {in_log} ballots",
                c.ballots
            ));
        }
        if let Some(n) = published {
            if n != in_log {
                failures.push(format!("the record publishes {n} ballots but the log holds {in_log}"));
            }
        }
        if let Some((seq, _, eligible, _)) = facts.opened {
            if c.eligible != eligible {
                failures.push(format!(
                    "counts.eligible is {} but entry {seq} (polls_opened) says {eligible}",
                    c.eligible
                ));
            }
        }
        if let Some((seq, tokens_used, ballots)) = facts.closed {
            if c.tokens_used != tokens_used {
                failures.push(format!(
                    "counts.tokens_used is {} but entry {seq} (polls_closed) says {tokens_used}",
                    c.tokens_used
                ));
            }
            if tokens_used != ballots {
                failures.push(format!(
                    "entry {seq} (polls_closed): {tokens_used} tokens used but {ballots} ballots: they must be equal"
                ));
            }
        } else if facts.opened.is_some() && c.tokens_used != in_log {
            failures.push(format!(
                "counts.tokens_used is {} but {in_log} ballots are sealed (both are as of the last seal)",
                c.tokens_used
            ));
        }
        if c.tokens_used > c.tokens_issued {
            failures.push(format!(
                "{} tokens used but only {} issued",
                c.tokens_used, c.tokens_issued
            ));
        }
        if facts.opened.is_some() && c.tokens_issued > c.eligible {
            failures.push(format!(
                "{} tokens issued but only {} members are eligible",
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
        let Some((seq, logged_digest, seed)) = facts.tallied else {
            if self.tally.is_some() {
                report.push_list(
                    "tally",
                    "",
                    vec!["the record has a tally but the log has no tallied entry".into()],
                );
            } else {
                report.skip("tally", "the election is not tallied yet");
            }
            return;
        };
        let mut failures = Vec::new();
        if let Some((open_seq, _, _, commitment)) = facts.opened {
            if seed.commitment() != commitment {
                failures.push(format!(
                    "entry {seq} (tallied): the lot seed does not hash to the commitment in entry {open_seq} (polls_opened)"
                ));
            }
        }
        let (Some(published), Some(checker)) = (&self.tally, checker) else {
            failures.push(format!(
                "entry {seq} (tallied): the record lacks the tally or the ballots"
            ));
            report.push_list("tally", "recount from the ballots", failures);
            return;
        };
        if published.digest() != logged_digest {
            failures.push(format!(
                "the record's tally hashes to {} but entry {seq} (tallied) logged {logged_digest}",
                published.digest()
            ));
        }
        let recount = checker.tallier.finish(id, &seed);
        if &recount != published {
            for (mine, theirs) in recount.contests.iter().zip(&published.contests) {
                if mine != theirs {
                    failures.push(format!(
                        "contest {:?}: the recount differs from the published result",
                        mine.contest
                    ));
                }
            }
            if recount.contests.len() != published.contests.len() || recount.ballots != published.ballots {
                failures.push("the recount's contests or ballot total differ from the published tally".into());
            }
            if recount.election != published.election {
                failures.push(format!("the tally names election {}", published.election));
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
                "a quorum of {} certifiers, but only {} registered a key",
                facts.quorum,
                facts.certifiers.len()
            ));
        }
        let mut valid: Vec<PublicKey> = Vec::new();
        for (seq, name, key, signature) in &facts.certifications {
            let at = format!("entry {seq} (certification by {name})");
            if !facts.certifiers.iter().any(|(_, _, k)| k == key) {
                failures.push(format!("{at}: the key {} was never registered", key.fingerprint()));
                continue;
            }
            let Some((_, digest, _)) = facts.tallied else {
                failures.push(format!("{at}: there is no tally to certify"));
                continue;
            };
            let statement = crate::certify::Statement::new(id, digest);
            if !key.verifies(&statement.signed_bytes(), signature) {
                failures.push(format!(
                    "{at}: the signature is not a signature of this result by that key"
                ));
                continue;
            }
            if valid.contains(key) {
                failures.push(format!("{at}: this certifier already signed"));
                continue;
            }
            if facts.certified.is_none_or(|(certified_at, _, _)| *seq < certified_at) {
                valid.push(*key);
            }
        }
        if let Some((seq, signatures, quorum)) = facts.certified {
            if quorum != facts.quorum || quorum == 0 {
                failures.push(format!(
                    "entry {seq} (certified): quorum {quorum}, but the polls opened with a quorum of {}",
                    facts.quorum
                ));
            }
            if (valid.len() as u64) < u64::from(facts.quorum) || signatures != valid.len() as u64 {
                failures.push(format!(
                    "entry {seq} (certified): {signatures} signatures claimed, {} valid ones before it, quorum {}",
                    valid.len(),
                    facts.quorum
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
        report: &mut Report,
    ) {
        let body = &receipt.body;
        let id = self.election.as_ref().map(|e| e.id.as_str()).unwrap_or("");
        let own: Vec<String> = receipt.problems().iter().map(ToString::to_string).collect();
        report.push_list(
            "receipt-signature",
            "the receipt is signed and its tracker is its ballot's hash",
            own,
        );
        let mut key = Vec::new();
        if body.election != id {
            key.push(format!(
                "the receipt is for election {}, the record for {id}",
                body.election
            ));
        }
        if Some(&body.public_key) != self.public_key.as_ref() {
            key.push(format!(
                "the receipt is signed by key {}, which is not the election's key",
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
                    "the receipt promised seal {} (entry {seal_seq}) but the ballot is entry {seq}, after it: the service broke its promise",
                    body.seal
                )],
            ),
            (Some(seal_seq), None) => report.push_list(
                "receipt-inclusion",
                "the ballot is in the log by the promised seal",
                vec![format!(
                    "seal {} (entry {seal_seq}) has passed and tracker {} is not in the log: the service broke its promise",
                    body.seal, body.tracker
                )],
            ),
            (None, _) if closed => report.push_list(
                "receipt-inclusion",
                "the ballot is in the log by the promised seal",
                vec![format!(
                    "the polls are closed and seal {} never happened: the service broke its promise",
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
        if ballots_published {
            let failures = match watched {
                Some(b) if b.nonce == body.ballot.nonce && b.choices == body.ballot.choices => vec![],
                Some(_) => vec![format!(
                    "the published ballot with tracker {} differs from the receipt's",
                    body.tracker
                )],
                None => vec![format!("no published ballot has tracker {}", body.tracker)],
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
